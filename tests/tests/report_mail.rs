//! The weekly station report, end to end on DynamoDB Local and on the embedded store:
//! known employers, workers, jobs, offers, placements, complaints and a parked notice written
//! through the use cases with a fixed clock over two weeks, the report made and sent
//! over real SMTP by the step `lingong report --send` and the `lingong-report` function
//! run, then the message the sink received parsed and every figure checked against
//! what the test wrote: recipients, the HTML and text parts, the table-drawn chart and
//! the CSV attachment.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use lingong_core::{
    App, Clock, FixedClock, Lang,
    app::{Answer, PlaceOutcome},
    i18n::{Arg, t, tf},
    matching::offer::AnswerVia,
    notices::NoticeStatus,
    records::notice_item,
    secrets::Secrets,
    station::Stations,
    station_report::ReportPeriod,
    store::Write,
};
use lingong_notify_smtp::{SmtpNotifier, SmtpSettings};
use lingong_report::{Sent, send_reports};
use lingong_site::Renderer;
use lingong_tests::{
    Backend,
    flow::{Fixture, maildir, smtp_address, unique_phone},
    fresh_store,
};
use mailparse::{MailHeaderMap, ParsedMail};

lingong_tests::on_both_backends!(
    the_weekly_report_arrives_with_the_figures_the_data_implies,
    a_posting_approved_later_counts_in_the_week_it_was_posted,
);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The shipped station with its own staff list, so this test's mail is told apart from
/// every other test's in the shared sink.
fn station_with_staff(staff: &[String]) -> (tempfile::TempDir, Stations) {
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../stations/xining-chengzhong.toml"),
    )
    .unwrap();
    let list = staff
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = shipped.replace(
        "recipients = [\"staff@lingong.example.cn\"]",
        &format!("recipients = [{list}]"),
    );
    assert_ne!(text, shipped, "the station file's recipients line moved");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("xining-chengzhong.toml"), text).unwrap();
    let stations = Stations::from_dir(dir.path()).unwrap();
    (dir, stations)
}

/// The message in the Maildir whose `Message-ID` is `id` and that went to `to`.
fn received(to: &str, id: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(maildir().join("new")).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        let mail = mailparse::parse_mail(&bytes).unwrap();
        let headers = mail.get_headers();
        if headers
            .get_first_value("To")
            .is_some_and(|t| t.contains(to))
            && headers
                .get_first_value("Message-ID")
                .is_some_and(|m| m.contains(id))
        {
            out.push(bytes);
        }
    }
    out
}

fn parts<'a>(mail: &'a ParsedMail<'a>, out: &mut Vec<&'a ParsedMail<'a>>) {
    if mail.subparts.is_empty() {
        out.push(mail);
    }
    for part in &mail.subparts {
        parts(part, out);
    }
}

/// The HTML table row of the figure labelled `label`: its cells' text.
fn html_row(html: &str, label: &str) -> Vec<String> {
    let start = html
        .find(&format!("<td>{label}</td>"))
        .unwrap_or_else(|| panic!("no row {label} in the HTML part"));
    let row = &html[start..start + html[start..].find("</tr>").unwrap()];
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let inner = &cell[cell.find('>').unwrap() + 1..];
            inner[..inner.find("</td>").unwrap()]
                .replace("<strong>", "")
                .replace("</strong>", "")
        })
        .collect()
}

async fn the_weekly_report_arrives_with_the_figures_the_data_implies(backend: Backend) {
    let tag = lingong_tests::unique_name("r").replace('-', "");
    let staff = vec![
        format!("desk-{tag}@lingong.test"),
        format!("head-{tag}@lingong.test"),
    ];
    let (_dir, stations) = station_with_staff(&staff);
    let store = fresh_store(backend).await;
    let clock = Arc::new(FixedClock::new(at("2026-11-17T09:00:00+08:00")));
    let app = App {
        store: store.store.clone(),
        stations: Arc::new(stations),
        clock: clock.clone(),
        secrets: Secrets::from_bytes(&[42u8; 32]).unwrap(),
    };
    let station = app.stations.default_station().clone();
    let f = Fixture {
        store,
        clock: clock.clone(),
        app: app.clone(),
        station: station.clone(),
    };

    // The week before (Monday 16 – Sunday 22 November): employer A posts one cleaning job
    // for two at 200 yuan; two workers sign up; one takes a place.
    let employer_a = unique_phone();
    let w1 = f.sign_up("一号", &["cleaning"], &["chengzhong"], &[]).await;
    let w2 = f.sign_up("二号", &["cleaning"], &["chengzhong"], &[]).await;
    let j1 = f
        .post_job(
            2,
            &[
                ("daily_wage_yuan", "200"),
                ("contact_phone", &employer_a),
                ("start_date", "2026-12-01"),
                ("end_date", "2026-12-02"),
            ],
        )
        .await;
    take(&f, &j1.id, &w1).await;
    // A worker comes to the desk: not paid. Filed the week before, closed last week.
    let unpaid = complain(&f, "欠了三天工资，打电话不接。").await;

    // Last week (Monday 23 – Sunday 29 November): three workers sign up; employer A
    // (known) posts moving for two at 260, employers B and C (new) post cleaning for
    // three at 220 and for one at 240; matching offers the moving job to the one mover,
    // who accepts; four more places are taken, one of them on the week before's job.
    f.clock.set(at("2026-11-24T10:00:00+08:00"));
    let w3 = f.sign_up("三号", &["cleaning"], &["chengzhong"], &[]).await;
    let w4 = f.sign_up("四号", &["moving"], &["chengzhong"], &[]).await;
    let w5 = f.sign_up("五号", &["cleaning"], &["chengzhong"], &[]).await;
    let j2 = f.post_job(3, &[("daily_wage_yuan", "220")]).await;
    f.clock.set(at("2026-11-24T10:05:00+08:00"));
    let j3 = f
        .post_job(
            2,
            &[
                ("trade", "moving"),
                ("title", "搬家帮工"),
                ("daily_wage_yuan", "260"),
                ("contact_phone", &employer_a),
            ],
        )
        .await;
    let offered = f.wave(&j3.id).await;
    let offers = f.offers(&j3.id).await;
    assert_eq!(offers.len(), 1, "{offered:?}");
    assert_eq!(offers[0].worker_id, w4.id);
    let offer_notice = format!("{}.{}.offer", j3.id, w4.id);
    f.app
        .answer_offer(None, &offers[0].id, &f.sig(&offers[0].id), Answer::Accept)
        .await
        .unwrap();
    take(&f, &j2.id, &w3).await;
    take(&f, &j2.id, &w5).await;
    take(&f, &j1.id, &w2).await;
    // One complaint filed last week; the week before's is settled.
    complain(&f, "想问问灵活就业人员怎么交养老保险。").await;
    let clerk = lingong_core::app::Actor {
        station: station.id.clone(),
        username: "clerk".into(),
        role: lingong_core::staff::Role::Staff,
        session_id: "report-test".into(),
    };
    f.app
        .advance_complaint(
            &clerk,
            &unpaid,
            &lingong_core::app::ComplaintStep {
                status: "resolved",
                note: "用人方已当面结清三天工资。",
                employer_id: "",
                version: "",
            },
        )
        .await
        .unwrap();
    // Sunday, one minute before midnight: still last week.
    f.clock.set(at("2026-11-29T23:59:00+08:00"));
    let j4 = f
        .post_job(
            1,
            &[
                ("daily_wage_yuan", "240"),
                ("start_date", "2026-12-03"),
                ("end_date", "2026-12-03"),
            ],
        )
        .await;
    take(&f, &j4.id, &w1).await;

    // This week, before the report: counted in neither week.
    f.clock.set(at("2026-11-30T07:00:00+08:00"));
    f.sign_up("六号", &["cleaning"], &["chengzhong"], &[]).await;
    f.post_job(5, &[("daily_wage_yuan", "300")]).await;
    complain(&f, "工地上没有安全帽，想反映一下。").await;

    // The offer's SMS was claimed by a sender that never reported back: the sweep parks
    // it for staff.
    let mut notice = f
        .app
        .notice(&station, &offer_notice)
        .await
        .unwrap()
        .unwrap();
    let before = notice.version;
    notice.status = NoticeStatus::Sending;
    notice.attempts = 1;
    notice.claimed_at = Some(f.clock.now());
    notice.version += 1;
    f.store
        .store
        .write(vec![Write::replace(notice_item(&notice).unwrap(), before)])
        .await
        .unwrap();
    f.clock.set(at("2026-11-30T08:00:00+08:00"));
    assert_eq!(f.app.sweep().await.unwrap().parked_notices, 1);

    // Monday 08:00, as the weekly schedule fires: the report, sent as `lingong report
    // --period weekly --send` and the lingong-report function send it.
    let mailer = SmtpNotifier::new(&SmtpSettings {
        url: format!("smtp://{}", smtp_address()),
        from: "reports@lingong.test".into(),
        credentials: None,
        extra_root_pem: None,
        send_timeout: None,
    })
    .unwrap();
    let renderer = Renderer::new().unwrap();
    let sent = send_reports(
        &f.app,
        &renderer,
        &mailer,
        ReportPeriod::Weekly,
        Lang::Zh,
        None,
    )
    .await
    .unwrap();
    assert_eq!(sent, vec![(station.id.to_string(), Sent::To(2))]);

    // One message, to exactly the staff list.
    let id = "report-xining-chengzhong-weekly-2026-11-23";
    let messages = received(&staff[0], id);
    assert_eq!(messages.len(), 1);
    let mail = mailparse::parse_mail(&messages[0]).unwrap();
    let headers = mail.get_headers();
    let to: Vec<String> = mailparse::addrparse_header(headers.get_first_header("To").unwrap())
        .unwrap()
        .iter()
        .flat_map(|a| match a {
            mailparse::MailAddr::Single(one) => vec![one.addr.clone()],
            mailparse::MailAddr::Group(g) => g.addrs.iter().map(|a| a.addr.clone()).collect(),
        })
        .collect();
    assert_eq!(to, staff);
    assert!(headers.get_first_value("Cc").is_none());
    let from = headers.get_first_value("From").unwrap();
    assert!(
        from.contains("西宁市城中区零工驿站") && from.contains("reports@lingong.test"),
        "{from}"
    );
    let subject = headers.get_first_value("Subject").unwrap();
    assert!(subject.contains("西宁市城中区零工驿站"), "{subject}");
    assert!(subject.contains("2026-11-23 – 2026-11-29"), "{subject}");

    // multipart/mixed: the alternative text and HTML parts, then the CSV.
    assert_eq!(mail.ctype.mimetype, "multipart/mixed");
    let mut leaves = Vec::new();
    parts(&mail, &mut leaves);
    let kinds: Vec<&str> = leaves.iter().map(|p| p.ctype.mimetype.as_str()).collect();
    assert_eq!(kinds, ["text/plain", "text/html", "text/csv"]);
    // Mail travels with CRLF line ends.
    let text = leaves[0].get_body().unwrap().replace("\r\n", "\n");
    let html = leaves[1].get_body().unwrap().replace("\r\n", "\n");

    // The figures: last week beside the week before, and the change. The fill rate is
    // of each week's own jobs as they stand now: the week before's job has since filled.
    //                         figure                                this   before  change
    let expected: [(&str, &str, &str, &str); 11] = [
        ("new_employers", "2", "1", "▲ 1"),
        ("new_workers", "3", "2", "▲ 1"),
        ("new_jobs", "3", "1", "▲ 2"),
        ("openings", "6", "2", "▲ 4"),
        ("offers", "1", "0", "▲ 1"),
        ("placements", "5", "1", "▲ 4"),
        ("fill_rate", "66.7", "100", "▼ 33.3"),
        ("average_wage", "228", "200", "▲ 28"),
        ("openings_per_job_seeker", "2", "1", "▲ 1"),
        ("complaints_opened", "1", "1", "="),
        ("complaints_closed", "1", "0", "▲ 1"),
    ];
    for (figure, now, before, change) in expected {
        let label = t(Lang::Zh, &format!("station_report.{figure}"));
        assert_eq!(
            html_row(&html, label),
            [label, now, before, change],
            "HTML row {figure}"
        );
        let line = format!("{label}：{now}（上期 {before}，{change}）");
        assert!(text.contains(&line), "text part lacks `{line}`:\n{text}");
    }
    let parked = tf(
        Lang::Zh,
        "station_report.parked",
        &[("count", Arg::Text("1".into()))],
    );
    assert!(html.contains(&parked), "parked notices in the HTML part");
    assert!(text.contains(&parked), "parked notices in the text part");

    // The chart: bars drawn as table cells, as wide as the trade's share of the largest
    // (cleaning 3 + 1 = 4 openings, moving 2), no SVG or script a mail program strips.
    let bar = |width: u64| format!("background:#9b1c1c;height:14px;width:{width}%");
    assert_eq!(html.matches("background:#9b1c1c").count(), 2, "two bars");
    assert!(html.contains(&bar(100)), "cleaning bar");
    assert!(html.contains(&bar(50)), "moving bar");
    for forbidden in ["<svg", "<script", "<img"] {
        assert!(!html.contains(forbidden), "{forbidden} in the HTML part");
    }
    // Cleaning: J2 and J4 (3 + 1 openings); places at 220, 220, 240 and, on the week
    // before's job, 200. Moving: J3, one place at 260.
    let cleaning = station.trade("cleaning").unwrap().name.zh.clone();
    let moving = station.trade("moving").unwrap().name.zh.clone();
    let [openings, placements, wage] = ["openings", "placements", "average_wage"]
        .map(|figure| t(Lang::Zh, &format!("station_report.{figure}")));
    for line in [
        format!("- {cleaning}：{openings} 4，{placements} 4，{wage} 220\n"),
        format!("- {moving}：{openings} 2，{placements} 1，{wage} 260\n"),
    ] {
        assert!(text.contains(&line), "text part lacks `{line}`:\n{text}");
    }

    // The CSV: an attachment with the period's postings, oldest first.
    let csv_part = leaves[2];
    let disposition = csv_part.get_content_disposition();
    assert_eq!(
        disposition.disposition,
        mailparse::DispositionType::Attachment
    );
    assert_eq!(
        disposition.params.get("filename").map(String::as_str),
        Some("lingong-xining-chengzhong-weekly-2026-11-23.csv")
    );
    let csv = String::from_utf8(csv_part.get_body_raw().unwrap()).unwrap();
    let csv = csv.strip_prefix('\u{feff}').expect("UTF-8 byte-order mark");
    let rows: Vec<Vec<&str>> = csv
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "发布日期",
            "岗位编号",
            "招工标题",
            "工种",
            "区县",
            "招工人数",
            "已上岗",
            "日工资(元)",
            "状态"
        ]
    );
    let body: Vec<Vec<&str>> = rows[1..].to_vec();
    assert_eq!(
        body,
        vec![
            vec![
                "2026-11-24",
                j2.id.as_str(),
                "小区楼道保洁",
                cleaning.as_str(),
                "城中区",
                "3",
                "2",
                "220",
                "published"
            ],
            vec![
                "2026-11-24",
                j3.id.as_str(),
                "搬家帮工",
                moving.as_str(),
                "城中区",
                "2",
                "1",
                "260",
                "published"
            ],
            vec![
                "2026-11-29",
                j4.id.as_str(),
                "小区楼道保洁",
                cleaning.as_str(),
                "城中区",
                "1",
                "1",
                "240",
                "filled"
            ],
        ]
    );
    let attachment = tf(
        Lang::Zh,
        "station_report.attachment",
        &[("count", Arg::Text("3".into()))],
    );
    assert!(
        html.contains(&attachment),
        "the HTML part names the attachment"
    );

    // Sending again (a retried schedule) sends the same message id: mail programs show
    // it once.
    send_reports(
        &f.app,
        &renderer,
        &mailer,
        ReportPeriod::Weekly,
        Lang::Zh,
        None,
    )
    .await
    .unwrap();
    let again = received(&staff[1], id);
    assert_eq!(again.len(), 2);
}

/// A worker takes a place on a job (as an application from the board would).
/// Files a complaint as someone at the desk would; returns its id.
async fn complain(f: &Fixture, description: &str) -> String {
    let mut input = lingong_core::input::RawInput::new();
    for (name, value) in [
        ("kind", "unpaid"),
        ("name", "韩建国"),
        ("phone", unique_phone().as_str()),
        ("description", description),
        ("consent", "true"),
    ] {
        input.push(name, value);
    }
    f.app
        .file_complaint(lingong_core::app::Submission {
            station: None,
            input: &input,
            idempotency_key: None,
            source: lingong_core::job::Source::Desk,
        })
        .await
        .unwrap()
        .record
        .id
}

async fn take(f: &Fixture, job_id: &str, worker: &lingong_core::worker::Worker) {
    let outcome = f
        .app
        .take_place(&f.station, job_id, worker, None, AnswerVia::Application)
        .await
        .unwrap();
    assert!(
        matches!(outcome, PlaceOutcome::Placed { newly: true, .. }),
        "{outcome:?}"
    );
}

async fn a_posting_approved_later_counts_in_the_week_it_was_posted(backend: Backend) {
    let f = lingong_tests::flow::fixture(backend).await;
    let admin = lingong_core::app::Actor {
        station: f.station.id.clone(),
        username: "admin".into(),
        role: lingong_core::staff::Role::Admin,
        session_id: "report-test".into(),
    };
    f.app
        .set_moderation(&admin, lingong_core::station::Moderation::Pre)
        .await
        .unwrap();
    // Posted on Saturday 28 November (review first), approved on Tuesday 1 December.
    f.clock.set(at("2026-11-28T10:00:00+08:00"));
    let job = f
        .post_job(
            2,
            &[("start_date", "2026-12-03"), ("end_date", "2026-12-04")],
        )
        .await;
    assert_eq!(job.status, lingong_core::job::JobStatus::PendingReview);
    f.clock.set(at("2026-12-01T09:00:00+08:00"));
    f.app.approve_job(&admin, &job.id).await.unwrap();
    // The next Monday's report: the week it was approved has no new posting; the week
    // it was posted has it.
    f.clock.set(at("2026-12-07T08:00:00+08:00"));
    let report = f
        .app
        .station_report(&f.station, ReportPeriod::Weekly)
        .await
        .unwrap();
    assert_eq!(report.current.new_jobs, 0);
    assert_eq!(report.previous.new_jobs, 1);
    assert_eq!(report.previous.openings, 2);
}
