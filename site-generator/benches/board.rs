//! The board benchmark: full builds of 1k, 10k and 100k synthetic listings (Chinese
//! text, the station's 7 districts and 10 trades), pages per second and peak memory,
//! side by side with Hugo rendering the same pages from the same data; and the time
//! of an incremental rebuild after one new job. Not a test: it prints a Markdown table
//! for the README. Run it with `scripts/bench-site.sh` (which installs Debian's hugo).
//!
//! Each build runs in its own child process, so peak memory (VmHWM) is that build's.
//! Our side is the real path: records in the embedded store, `SiteRebuilder::build_all`
//! (load through the indexes, render, write to a directory), then a job posted through
//! the use case and `rebuild_after_change` on the change log's batch. Hugo gets the same
//! jobs as content files (Hugo 0.111 cannot make pages from a data file); writing them
//! is not timed. Templates for Hugo are in `benches/hugo/`.
//!
//! Environment: `LINGONG_BENCH_SIZES` (default `1000,10000,100000`), `HUGO` (default
//! `hugo`), `LINGONG_BENCH_DIR` (default `/dev/shm/lingong-bench`, a tmpfs, else
//! `target/bench-site`).

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Duration as Days, NaiveDate, Utc};
use lingong_core::{
    App, ItemStore,
    app::Submission,
    changes::ChangeLog,
    dates::WorkDates,
    idempotency::IdempotencyKey,
    input::RawInput,
    job::{Job, JobStatus, PayTerms, Source},
    money::Money,
    phone::MobileNumber,
    records::job_item,
    secrets::ManageToken,
    station::Stations,
    store::Write as StoreWrite,
    text::{Address, Description, EmployerName, JobTitle, PersonName, Requirements},
};
use lingong_site::{publish::DirSink, rebuild::SiteRebuilder, site::SiteBuilder};
use serde::{Deserialize, Serialize};

/// One synthetic listing, as the data file holds it (both sides read this).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Listing {
    id: String,
    title: String,
    trade: String,
    district: String,
    address: String,
    employer: String,
    description: String,
    requirements: String,
    wage: u32,
    pay_terms: String,
    headcount: u16,
    placed: u16,
    start: NaiveDate,
    end: NaiveDate,
    listed_at: DateTime<Utc>,
    verified: bool,
}

fn now() -> DateTime<Utc> {
    "2026-11-28T02:00:00Z".parse().expect("fixed time")
}

/// xorshift64*: deterministic data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const PLACES: &[&str] = &[
    "小区",
    "超市",
    "工地",
    "餐馆",
    "仓库",
    "写字楼",
    "医院",
    "学校",
    "物流园",
    "菜市场",
];
const WORK: &[&str] = &[
    "保洁",
    "搬运",
    "理货",
    "帮厨",
    "打包",
    "陪护",
    "绿化修剪",
    "送餐",
    "装卸",
    "清运",
];
const STREETS: &[&str] = &[
    "南关街",
    "东关大街",
    "五四大街",
    "朝阳西路",
    "建国路",
    "八一路",
    "海晏路",
    "礼让街",
    "莫家街",
    "西门",
];
const PHRASES: &[&str] = &[
    "早上八点到下午五点，中午管一顿饭。",
    "工具由雇主提供，需要自带手套。",
    "单件不超过二十五公斤，按天结算。",
    "活儿不难，有人带着干，第一次做也可以。",
    "需要爬楼梯，身体要好。",
    "晚上加班另算加班费。",
    "地点离公交站很近，步行五分钟。",
    "干完当天结清，不拖欠。",
    "请穿劳保鞋，注意安全。",
    "需要会用手机扫码签到。",
    "有健康证的优先。",
    "做事细心，按要求完成。",
];
const EMPLOYERS: &[&str] = &[
    "物业服务公司",
    "连锁超市",
    "装饰工程公司",
    "清真餐馆",
    "物流公司",
    "保洁服务公司",
    "会展服务公司",
    "社区居委会",
];

fn generate(n: usize) -> Vec<Listing> {
    let station = Stations::embedded()
        .expect("stations")
        .default_station()
        .clone();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ n as u64);
    let today = station.today(now());
    (0..n)
        .map(|i| {
            let trade = &station.trades[rng.below(station.trades.len() as u64) as usize];
            let district = &station.districts[rng.below(station.districts.len() as u64) as usize];
            let listed_at = now() - Days::seconds(rng.below(84 * 86_400) as i64);
            let start = today + Days::days(rng.below(30) as i64 + 1);
            let headcount = rng.below(10) as u16 + 1;
            let sentences = 3 + rng.below(4) as usize;
            let description: String = (0..sentences).map(|_| rng.pick(PHRASES)).collect();
            Listing {
                id: ulid::Ulid::from_parts(listed_at.timestamp_millis() as u64, i as u128 + 1)
                    .to_string(),
                title: format!(
                    "{}{}{}{}人",
                    district.name.zh,
                    rng.pick(PLACES),
                    rng.pick(WORK),
                    headcount
                ),
                trade: trade.slug.clone(),
                district: district.slug.clone(),
                address: format!(
                    "{}{}附近{}号",
                    district.name.zh,
                    rng.pick(STREETS),
                    rng.below(300) + 1
                ),
                employer: format!("{}某{}", district.name.zh, rng.pick(EMPLOYERS)),
                description,
                requirements: if rng.below(3) == 0 {
                    String::new()
                } else {
                    rng.pick(PHRASES).to_owned()
                },
                wage: trade.wage_floor_yuan + rng.below(150) as u32,
                pay_terms: if rng.below(2) == 0 {
                    "daily".into()
                } else {
                    "on_completion".into()
                },
                headcount,
                placed: rng.below(u64::from(headcount)) as u16,
                start,
                end: start + Days::days(rng.below(7) as i64),
                listed_at,
                verified: rng.below(4) == 0,
            }
        })
        .collect()
}

fn job_of(l: &Listing) -> Job {
    let station = Stations::embedded()
        .expect("stations")
        .default_station()
        .id
        .clone();
    Job {
        id: l.id.clone(),
        station,
        title: JobTitle::parse("title", &l.title).expect("title"),
        trade: l.trade.clone(),
        district: l.district.clone(),
        address: Address::parse("address", &l.address).expect("address"),
        dates: WorkDates {
            start: l.start,
            end: l.end,
        },
        headcount: l.headcount,
        placed: l.placed,
        daily_wage: Money::from_yuan(u64::from(l.wage)),
        pay_terms: if l.pay_terms == "daily" {
            PayTerms::Daily
        } else {
            PayTerms::OnCompletion
        },
        employer_id: "01KB0000000000000000000EMP".into(),
        employer_name: EmployerName::parse("employer", &l.employer).expect("employer"),
        employer_verified: l.verified,
        contact_name: PersonName::parse("contact", "王经理").expect("name"),
        contact_phone: MobileNumber::parse("phone", "13800000001").expect("phone"),
        contact_email: None,
        description: Description::parse("description", &l.description).expect("description"),
        requirements: Requirements::parse("requirements", &l.requirements).expect("requirements"),
        status: JobStatus::Published,
        status_reason: None,
        source: Source::Online,
        approved_by_staff: false,
        created_at: l.listed_at,
        published_at: Some(l.listed_at),
        updated_at: l.listed_at,
        version: 1,
        manage_token_hash: ManageToken::from_link("bench").hash(),
        lang: Default::default(),
    }
}

/// Peak resident memory of process `pid` so far, in KiB.
fn peak_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// HTML pages under `dir`, leaving out redirect stubs (Hugo writes one per first
/// paginator page and language root), so both sides count real pages.
fn count_pages(dir: &Path, ext: &str) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext)
                && !std::fs::read_to_string(&p).is_ok_and(|t| t.contains("http-equiv=\"refresh\""))
            {
                n += 1;
            }
        }
    }
    n
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct OurRun {
    html: usize,
    files: usize,
    seconds: f64,
    incremental_seconds: f64,
    incremental_written: usize,
    peak_kib: u64,
}

/// The child: our full build and one incremental rebuild of `data` into `out`.
fn child(data: &Path, work: &Path) {
    let listings: Vec<Listing> =
        serde_json::from_slice(&std::fs::read(data).expect("data file")).expect("data JSON");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store_dir = work.join("store");
        let out = work.join("ours");
        let _ = std::fs::remove_dir_all(&store_dir);
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).expect("out dir");
        let store =
            Arc::new(lingong_store_embedded::RedbStore::open_dir(&store_dir).expect("store"));
        for chunk in listings.chunks(100) {
            let writes = chunk
                .iter()
                .map(|l| job_item(&job_of(l)).map(StoreWrite::create))
                .collect::<Result<Vec<_>, _>>()
                .expect("items");
            store.write(writes).await.expect("write");
        }
        let app = App {
            store: store.clone(),
            stations: Arc::new(Stations::embedded().expect("stations")),
            clock: Arc::new(lingong_core::FixedClock::new(now())),
            secrets: lingong_core::secrets::Secrets::from_bytes(&[7u8; 32]).expect("secret"),
        };
        let seen = store
            .changes_after(0, usize::MAX)
            .await
            .expect("log")
            .last()
            .map(|(s, _)| *s)
            .unwrap_or(0);
        let site = SiteBuilder::new(
            app.stations.default_station().clone(),
            "https://lingong.example.cn",
        )
        .expect("site");
        let board = SiteRebuilder::new(app.clone(), site, Arc::new(DirSink::new(&out)));
        let started = Instant::now();
        let report = board.build_all().await.expect("full build");
        let seconds = started.elapsed().as_secs_f64();
        let html = report
            .written
            .iter()
            .filter(|p| p.ends_with(".html"))
            .count();
        // One new job, posted like any other.
        let mut input = RawInput::new();
        for (k, v) in [
            ("title", "新发布：城中区超市夜间理货4人"),
            ("trade", "moving"),
            ("district", "chengzhong"),
            ("address", "城中区南关街附近某超市"),
            ("start_date", "2026-11-30"),
            ("end_date", "2026-12-02"),
            ("headcount", "4"),
            ("daily_wage_yuan", "260"),
            ("pay_terms", "daily"),
            ("employer_name", "城中区某连锁超市"),
            ("contact_name", "刘主管"),
            ("contact_phone", "13900000001"),
            (
                "description",
                "晚八点到凌晨两点卸货、上架、整理仓库，单件不超过二十五公斤。",
            ),
        ] {
            input.push(k, v);
        }
        let key = IdempotencyKey::parse("k", "bench-new-job-0001").expect("key");
        app.post_job(Submission {
            station: None,
            input: &input,
            idempotency_key: Some(&key),
            source: Source::Online,
        })
        .await
        .expect("post");
        let batch: Vec<_> = store
            .changes_after(seen, 10_000)
            .await
            .expect("log")
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        let started = Instant::now();
        let incremental = board
            .rebuild_after_change(&batch)
            .await
            .expect("incremental");
        let incremental_seconds = started.elapsed().as_secs_f64();
        let run = OurRun {
            html,
            files: report.rendered,
            seconds,
            incremental_seconds,
            incremental_written: incremental.written.len() + incremental.deleted.len(),
            peak_kib: peak_kib("self"),
        };
        println!("{}", serde_json::to_string(&run).expect("json"));
    });
}

fn hugo_content(listings: &[Listing], site: &Path) {
    let _ = std::fs::remove_dir_all(site);
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/hugo");
    for sub in [
        "",
        "layouts",
        "layouts/_default",
        "layouts/jobs",
        "layouts/partials",
        "i18n",
    ] {
        std::fs::create_dir_all(site.join(sub)).expect("hugo dirs");
    }
    for file in [
        "config.toml",
        "layouts/index.html",
        "layouts/_default/baseof.html",
        "layouts/_default/term.html",
        "layouts/jobs/single.html",
        "layouts/partials/job-card.html",
        "i18n/zh.toml",
        "i18n/en.toml",
    ] {
        std::fs::copy(template.join(file), site.join(file)).expect("copy hugo template");
    }
    let content = site.join("content/jobs");
    std::fs::create_dir_all(&content).expect("content dir");
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    for l in listings {
        let front = format!(
            "+++\ntitle = \"{}\"\ndate = {}\nid = \"{}\"\ntrades = [\"{}\"]\ndistricts = [\"{}\"]\nwage = \"{}\"\npay_terms = \"{}\"\naddress = \"{}\"\nheadcount = {}\nopen = {}\nemployer = \"{}\"\nverified = {}\nstart = \"{}\"\nend = \"{}\"\ndescription = \"{}\"\nrequirements = \"{}\"\n+++\n",
            esc(&l.title),
            l.listed_at.to_rfc3339(),
            l.id,
            l.trade,
            l.district,
            l.wage,
            l.pay_terms,
            esc(&l.address),
            l.headcount,
            l.headcount - l.placed,
            esc(&l.employer),
            l.verified,
            l.start,
            l.end,
            esc(&l.description),
            esc(&l.requirements),
        );
        for lang in ["zh", "en"] {
            std::fs::write(content.join(format!("{}.{lang}.md", l.id)), &front)
                .expect("content file");
        }
    }
}

/// Runs `command` to completion, polling its peak memory.
fn timed(mut command: Command) -> (f64, u64, bool) {
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn");
    let pid = child.id().to_string();
    let mut peak = 0;
    let status = loop {
        peak = peak.max(peak_kib(&pid));
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (started.elapsed().as_secs_f64(), peak, status.success())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[pos + 1]), Path::new(&args[pos + 2]));
        return;
    }
    let sizes: Vec<usize> = std::env::var("LINGONG_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let hugo = std::env::var("HUGO").unwrap_or_else(|_| "hugo".into());
    let hugo_version = Command::new(&hugo)
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    // A tmpfs by default: the generators' speed, not the disk's (and not whatever else
    // the machine writes meanwhile), is what is compared; both sides write the same way.
    let root = std::env::var("LINGONG_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            if Path::new("/dev/shm").is_dir() {
                PathBuf::from("/dev/shm/lingong-bench")
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-site")
            }
        });
    std::fs::create_dir_all(&root).expect("bench dir");
    let me = std::env::current_exe().expect("exe");
    println!(
        "machine: {} cores; hugo: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        hugo_version
            .as_ref()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "not found".into())
    );
    let mut rows = Vec::new();
    for &n in &sizes {
        let work = root.join(format!("n{n}"));
        std::fs::create_dir_all(&work).expect("work dir");
        let data = work.join("listings.json");
        let listings = generate(n);
        std::fs::write(&data, serde_json::to_vec(&listings).expect("json")).expect("data file");
        eprintln!("{n} listings: our build…");
        let started = Instant::now();
        let output = Command::new(&me)
            .arg("--child")
            .arg(&data)
            .arg(&work)
            .output()
            .expect("child");
        assert!(
            output.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let _ = started;
        let ours: OurRun = serde_json::from_str(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .last()
                .unwrap_or("{}"),
        )
        .expect("child result");
        let theirs = if hugo_version.is_some() {
            eprintln!("{n} listings: hugo content…");
            let site = work.join("hugo");
            hugo_content(&listings, &site);
            eprintln!("{n} listings: hugo build…");
            let mut command = Command::new(&hugo);
            command
                .args(["--quiet", "-s"])
                .arg(&site)
                .arg("-d")
                .arg(site.join("public"));
            let (seconds, peak, ok) = timed(command);
            assert!(ok, "hugo failed");
            Some((count_pages(&site.join("public"), "html"), seconds, peak))
        } else {
            None
        };
        let _ = std::fs::remove_dir_all(work.join("ours"));
        let _ = std::fs::remove_dir_all(work.join("hugo"));
        let _ = std::fs::remove_dir_all(work.join("store"));
        rows.push((n, ours, theirs));
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\n| listings | lingong pages | lingong time | lingong pages/s | lingong peak RSS | Hugo pages | Hugo time | Hugo pages/s | Hugo peak RSS | speed ratio | incremental (1 new job) | incremental / full |"
    );
    let _ = writeln!(
        out,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (n, ours, theirs) in &rows {
        let our_rate = ours.html as f64 / ours.seconds;
        let (hugo_pages, hugo_time, hugo_rate, hugo_peak, ratio) = match theirs {
            Some((pages, seconds, peak)) => {
                let rate = *pages as f64 / seconds;
                (
                    pages.to_string(),
                    format!("{seconds:.2} s"),
                    format!("{rate:.0}"),
                    format!("{} MiB", peak / 1024),
                    format!("{:.1}×", our_rate / rate),
                )
            }
            None => ("—".into(), "—".into(), "—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            out,
            "| {n} | {} | {:.2} s | {our_rate:.0} | {} MiB | {hugo_pages} | {hugo_time} | {hugo_rate} | {hugo_peak} | {ratio} | {:.1} ms ({} files) | {:.2} % |",
            ours.html,
            ours.seconds,
            ours.peak_kib / 1024,
            ours.incremental_seconds * 1000.0,
            ours.incremental_written,
            ours.incremental_seconds / ours.seconds * 100.0,
        );
    }
}
