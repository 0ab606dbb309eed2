//! Demo data for `lingong serve --demo`: postings and workers such as the Chengzhong
//! station sees, entered through the same use cases (and checks) as real ones. Phone
//! numbers are made up.

use chrono::Duration;
use lingong_core::{
    App,
    app::{JobFilter, Submission},
    idempotency::IdempotencyKey,
    input::RawInput,
    job::Source,
};

struct DemoJob {
    title: &'static str,
    trade: &'static str,
    district: &'static str,
    address: &'static str,
    starts_in: i64,
    days: i64,
    headcount: u16,
    wage: u32,
    pay: &'static str,
    employer: &'static str,
    contact: &'static str,
    description: &'static str,
    requirements: &'static str,
}

const JOBS: &[DemoJob] = &[
    DemoJob {
        title: "小区楼道及电梯间保洁",
        trade: "cleaning",
        district: "chengzhong",
        address: "城中区南关街附近小区",
        starts_in: 1,
        days: 5,
        headcount: 2,
        wage: 200,
        pay: "daily",
        employer: "城中区某物业服务公司",
        contact: "王经理",
        description: "负责 3 栋楼的楼道、电梯间清扫和垃圾清运，早 8 点到下午 4 点，中午管一顿饭。工具由物业提供。",
        requirements: "能爬楼梯，做事细心。",
    },
    DemoJob {
        title: "超市夜间理货搬运",
        trade: "moving",
        district: "chengxi",
        address: "城西区五四大街某超市",
        starts_in: 0,
        days: 3,
        headcount: 4,
        wage: 260,
        pay: "daily",
        employer: "城西区某连锁超市",
        contact: "刘主管",
        description: "晚 8 点到凌晨 2 点卸货、上架、整理仓库，单件不超过 25 公斤。",
        requirements: "身体健康，能上夜班。",
    },
    DemoJob {
        title: "家庭大扫除（三室一厅）",
        trade: "housekeeping",
        district: "chengdong",
        address: "城东区八一路某小区",
        starts_in: 2,
        days: 1,
        headcount: 1,
        wage: 240,
        pay: "on_completion",
        employer: "张女士家",
        contact: "张女士",
        description: "三室一厅全屋清洁，擦窗、厨房去油污、卫生间清洁，大约 7 小时。清洁用品雇主提供。",
        requirements: "",
    },
    DemoJob {
        title: "装修工地清运小工",
        trade: "construction",
        district: "chengbei",
        address: "城北区朝阳西路某装修项目",
        starts_in: 1,
        days: 6,
        headcount: 3,
        wage: 280,
        pay: "daily",
        employer: "西宁某装饰工程公司",
        contact: "马师傅",
        description: "清运装修垃圾、搬运材料、配合师傅打下手。早 7 点半到下午 5 点半。",
        requirements: "自带手套，需穿劳保鞋。",
    },
    DemoJob {
        title: "餐馆帮厨（洗菜切配）",
        trade: "kitchen",
        district: "chengzhong",
        address: "城中区莫家街美食街",
        starts_in: 0,
        days: 7,
        headcount: 2,
        wage: 210,
        pay: "daily",
        employer: "城中区某清真餐馆",
        contact: "韩老板",
        description: "上午 9 点到晚上 8 点，中间休息 2 小时。洗菜、切配、收拾后厨，管两顿饭。",
        requirements: "有健康证优先。",
    },
    DemoJob {
        title: "社区老年食堂送餐",
        trade: "community",
        district: "chengzhong",
        address: "城中区礼让街社区",
        starts_in: 3,
        days: 14,
        headcount: 2,
        wage: 180,
        pay: "on_completion",
        employer: "城中区某社区居委会",
        contact: "李主任",
        description: "中午 11 点到 1 点给社区高龄老人送餐上门，下午整理食堂。",
        requirements: "有耐心，会骑电动车更好。",
    },
    DemoJob {
        title: "展会搭建临时工",
        trade: "temp",
        district: "chengxi",
        address: "城西区青海国际会展中心",
        starts_in: 4,
        days: 2,
        headcount: 8,
        wage: 250,
        pay: "daily",
        employer: "青海某会展服务公司",
        contact: "赵经理",
        description: "协助展位搭建和拆除、搬运展板。早 8 点到晚 6 点，管午饭。",
        requirements: "",
    },
    DemoJob {
        title: "同城跑腿配送员",
        trade: "delivery",
        district: "chengdong",
        address: "城东区建国路商圈",
        starts_in: 1,
        days: 10,
        headcount: 3,
        wage: 230,
        pay: "daily",
        employer: "城东区某同城配送站",
        contact: "周站长",
        description: "商圈内取送文件和小件物品，电动车由站点提供，每天 8 小时。",
        requirements: "会用手机导航。",
    },
    DemoJob {
        title: "住院病人陪护（白班）",
        trade: "care",
        district: "chengzhong",
        address: "城中区某医院住院部",
        starts_in: 0,
        days: 5,
        headcount: 1,
        wage: 260,
        pay: "daily",
        employer: "患者家属陈先生",
        contact: "陈先生",
        description: "白天陪护术后老人，协助吃饭、翻身、去卫生间，早 8 点到晚 8 点。",
        requirements: "有陪护经验优先，女性优先。",
    },
    DemoJob {
        title: "小区绿化修剪",
        trade: "greening",
        district: "huangzhong",
        address: "湟中区鲁沙尔镇某小区",
        starts_in: 2,
        days: 4,
        headcount: 2,
        wage: 200,
        pay: "on_completion",
        employer: "湟中区某物业公司",
        contact: "祁经理",
        description: "修剪草坪和灌木、清理落叶，工具由物业提供。",
        requirements: "",
    },
    DemoJob {
        title: "仓库货物装卸",
        trade: "moving",
        district: "datong",
        address: "大通县桥头镇某物流园",
        starts_in: 1,
        days: 3,
        headcount: 5,
        wage: 270,
        pay: "daily",
        employer: "大通县某物流公司",
        contact: "孙队长",
        description: "装卸建材和日用品，按车计件另有补贴，每天约 8 小时。",
        requirements: "身体强壮。",
    },
    DemoJob {
        title: "写字楼开荒保洁",
        trade: "cleaning",
        district: "chengxi",
        address: "城西区海晏路某写字楼",
        starts_in: 5,
        days: 3,
        headcount: 6,
        wage: 220,
        pay: "on_completion",
        employer: "西宁某保洁服务公司",
        contact: "杨经理",
        description: "新装修写字楼开荒清洁，擦玻璃、清理地面胶渍和墙面灰尘。",
        requirements: "能登高作业者优先。",
    },
];

struct DemoWorker {
    name: &'static str,
    trades: &'static str,
    districts: &'static str,
    wage: &'static str,
}

const WORKERS: &[DemoWorker] = &[
    DemoWorker {
        name: "马秀英",
        trades: "cleaning,housekeeping",
        districts: "chengzhong,chengdong",
        wage: "200",
    },
    DemoWorker {
        name: "韩建国",
        trades: "moving,temp",
        districts: "chengxi,chengzhong",
        wage: "250",
    },
    DemoWorker {
        name: "李桂兰",
        trades: "housekeeping,care",
        districts: "chengzhong",
        wage: "",
    },
    DemoWorker {
        name: "祁永福",
        trades: "construction,moving",
        districts: "chengbei,chengxi,datong",
        wage: "280",
    },
    DemoWorker {
        name: "冶海燕",
        trades: "kitchen,cleaning",
        districts: "chengzhong,chengxi",
        wage: "210",
    },
    DemoWorker {
        name: "赵德明",
        trades: "temp,moving,delivery",
        districts: "chengdong,chengzhong",
        wage: "230",
    },
    DemoWorker {
        name: "王淑珍",
        trades: "community,cleaning",
        districts: "chengzhong",
        wage: "180",
    },
    DemoWorker {
        name: "孙志强",
        trades: "greening,temp",
        districts: "huangzhong,chengxi",
        wage: "",
    },
    DemoWorker {
        name: "陈玉梅",
        trades: "care,housekeeping",
        districts: "chengzhong,chengbei",
        wage: "250",
    },
    DemoWorker {
        name: "鲁成林",
        trades: "moving,construction",
        districts: "datong,chengbei",
        wage: "260",
    },
    DemoWorker {
        name: "张红霞",
        trades: "cleaning",
        districts: "chengxi,chengzhong,chengdong",
        wage: "200",
    },
    DemoWorker {
        name: "马有才",
        trades: "delivery,temp",
        districts: "chengdong",
        wage: "220",
    },
];

fn input(pairs: &[(&str, String)]) -> RawInput {
    let mut input = RawInput::new();
    for (name, value) in pairs {
        input.push(*name, value.clone());
    }
    input
}

/// Seeds the default station if it has no published jobs yet; returns how many records
/// were added.
pub async fn seed(app: &App) -> anyhow::Result<usize> {
    let station = app.stations.default_station().clone();
    let (existing, _) = app
        .published_jobs(&station, &JobFilter::default(), 1, None)
        .await?;
    if !existing.is_empty() {
        return Ok(0);
    }
    let today = station.today(app.clock.now());
    let mut added = 0;
    for (n, job) in JOBS.iter().enumerate() {
        let start = today + Duration::days(job.starts_in);
        let end = start + Duration::days(job.days - 1);
        let fields = input(&[
            ("title", job.title.into()),
            ("trade", job.trade.into()),
            ("district", job.district.into()),
            ("address", job.address.into()),
            ("start_date", start.to_string()),
            ("end_date", end.to_string()),
            ("headcount", job.headcount.to_string()),
            ("daily_wage_yuan", job.wage.to_string()),
            ("pay_terms", job.pay.into()),
            ("employer_name", job.employer.into()),
            ("contact_name", job.contact.into()),
            ("contact_phone", format!("1390000{:04}", 100 + n)),
            ("description", job.description.into()),
            ("requirements", job.requirements.into()),
        ]);
        let key = IdempotencyKey::parse("demo", &format!("demo-job-{n:03}"))?;
        app.post_job(Submission {
            station: None,
            input: &fields,
            idempotency_key: Some(&key),
            source: Source::Desk,
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo job {n}: {e:?}"))?;
        added += 1;
    }
    for (n, worker) in WORKERS.iter().enumerate() {
        let fields = input(&[
            ("name", worker.name.into()),
            ("phone", format!("1370000{:04}", 200 + n)),
            ("trades", worker.trades.into()),
            ("districts", worker.districts.into()),
            ("expected_daily_wage_yuan", worker.wage.into()),
            ("channel", "sms".into()),
            ("consent", "true".into()),
        ]);
        let key = IdempotencyKey::parse("demo", &format!("demo-worker-{n:03}"))?;
        app.sign_up(Submission {
            station: None,
            input: &fields,
            idempotency_key: Some(&key),
            source: Source::Desk,
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo worker {n}: {e:?}"))?;
        added += 1;
    }
    // Two courses and a livestream, as staff would enter them (the audit log names the
    // demo).
    let staff = lingong_core::app::Actor {
        station: station.id.clone(),
        username: "demo".into(),
        role: lingong_core::staff::Role::Admin,
        session_id: "demo".into(),
    };
    for (n, course) in COURSES.iter().enumerate() {
        let day = today + Duration::days(course.starts_in);
        let fields = input(&[
            ("title", course.title.into()),
            ("description", course.description.into()),
            ("trade", course.trade.into()),
            ("place", course.place.into()),
            ("starts_at", format!("{day}T{}", course.from)),
            ("ends_at", format!("{day}T{}", course.until)),
            ("capacity", course.capacity.to_string()),
        ]);
        let key = IdempotencyKey::parse("demo", &format!("demo-course-{n:03}"))?;
        app.create_course(&staff, &fields, Some(&key))
            .await
            .map_err(|e| anyhow::anyhow!("demo course {n}: {e:?}"))?;
        added += 1;
    }
    let fields = input(&[
        ("title", "直播带岗：城中区年前保洁、搬运岗位专场".into()),
        (
            "description",
            "驿站工作人员在直播间逐个介绍年前的保洁、搬运和家政岗位，现场答疑工资和结算方式，看中了可以直接在招工栏报名。".into(),
        ),
        ("platform", "微信视频号".into()),
        ("link", "https://channels.weixin.qq.com/".into()),
        ("starts_at", format!("{}T19:30", today + Duration::days(3))),
    ]);
    let key = IdempotencyKey::parse("demo", "demo-live-000")?;
    app.create_live(&staff, &fields, Some(&key))
        .await
        .map_err(|e| anyhow::anyhow!("demo livestream: {e:?}"))?;
    added += 1;
    Ok(added)
}

/// A demo course.
struct DemoCourse {
    title: &'static str,
    description: &'static str,
    trade: &'static str,
    place: &'static str,
    starts_in: i64,
    from: &'static str,
    until: &'static str,
    capacity: u16,
}

const COURSES: [DemoCourse; 2] = [
    DemoCourse {
        title: "家政服务员岗前培训（免费）",
        description: "两天课程：居家保洁、收纳整理、老人照护基础和安全常识。结业发培训证明，优先推荐家政岗位。请带身份证。",
        trade: "housekeeping",
        place: "城中区零工驿站二楼培训室",
        starts_in: 4,
        from: "09:00",
        until: "16:30",
        capacity: 30,
    },
    DemoCourse {
        title: "建筑工地安全与职业技能短训",
        description: "半天课程：高处作业、用电和防护用品的正确使用，讲清工伤保险怎么报。适合准备去工地做小工的朋友。",
        trade: "construction",
        place: "城中区零工驿站一楼大厅",
        starts_in: 6,
        from: "14:00",
        until: "17:30",
        capacity: 40,
    },
];

/// The demo administrator's login, created on first use and kept (readable, for the
/// demo only) in `<data>/demo-admin-password` so every start can print it.
pub async fn admin_login(app: &App, data: &std::path::Path) -> anyhow::Result<(String, String)> {
    let station = app.stations.default_station().clone();
    let file = data.join("demo-admin-password");
    if let Ok(password) = std::fs::read_to_string(&file) {
        return Ok(("admin".into(), password.trim().to_owned()));
    }
    let password = crate::staff::generate_password()?;
    match app
        .add_staff(
            &station,
            "admin",
            "演示管理员",
            lingong_core::staff::Role::Admin,
            &password,
        )
        .await
    {
        Ok(_) => {}
        Err(lingong_core::app::AddStaffError::Taken) => {
            anyhow::bail!(
                "a staff account `admin` exists but {} is missing",
                file.display()
            )
        }
        Err(e) => return Err(e.into()),
    }
    std::fs::create_dir_all(data)?;
    std::fs::write(&file, &password)?;
    Ok(("admin".into(), password))
}
