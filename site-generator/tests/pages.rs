//! The built board, page by page: snapshots of representative pages, every field of a
//! job filled with an XSS corpus and rendered as text everywhere, no full phone or ID
//! number anywhere, each job page within 14 KB gzip with its stylesheet, and the
//! accessibility basics (language, labels, skip link).

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::{collections::BTreeMap, io::Write};

use common::{Fields, PLAIN, builder, facts, job, station, today};
use lingong_core::{job::JobStatus, records::job_item};

fn site(facts: &lingong_core::board::BoardFacts) -> BTreeMap<String, String> {
    builder()
        .render_all(facts, today())
        .unwrap()
        .into_iter()
        .map(|(path, bytes)| (path, String::from_utf8(bytes).unwrap()))
        .collect()
}

#[test]
fn every_page_of_the_issue_exists_in_both_languages() {
    let files = site(&facts(12));
    for lang in ["", "en/"] {
        for page in [
            "index.html",
            "stats/index.html",
            "post/index.html",
            "signup/index.html",
            "rights/index.html",
            "about/index.html",
            "privacy/index.html",
            "policy/index.html",
            "policy/unpaid-wages/index.html",
            "trades/cleaning/index.html",
            "districts/chengzhong/index.html",
            "404.html",
            "feed.xml",
        ] {
            let path = format!("{lang}{page}");
            assert!(files.contains_key(&path), "{path} missing");
        }
    }
    for page in [
        "sitemap.xml",
        "sitemaps/pages.xml",
        "jobs.json",
        "robots.txt",
        "assets/style.css",
        "assets/site.js",
    ] {
        assert!(files.contains_key(page), "{page} missing");
    }
    let jobs = files.keys().filter(|p| p.starts_with("jobs/")).count();
    assert_eq!(jobs, 12, "one page per job on the board");
    assert!(
        !files
            .keys()
            .any(|p| p.contains(&job(900, "moving", "chengxi", &PLAIN, JobStatus::Closed).id)),
        "closed jobs have no page"
    );
    // Every trade and district has a listing, even an empty one.
    for trade in &station().trades {
        assert!(files.contains_key(&format!("trades/{}/index.html", trade.slug)));
    }
}

#[test]
fn listings_are_paginated_newest_first() {
    let station = station();
    let mut facts = lingong_core::board::BoardFacts::new(&station);
    for n in 0..120 {
        facts
            .apply_item(
                &job_item(&job(
                    n,
                    "cleaning",
                    "chengzhong",
                    &PLAIN,
                    JobStatus::Published,
                ))
                .unwrap(),
            )
            .unwrap();
    }
    let files = site(&facts);
    let first = &files["trades/cleaning/index.html"];
    let third = &files["trades/cleaning/page/3/index.html"];
    assert!(!files.contains_key("trades/cleaning/page/4/index.html"));
    assert_eq!(first.matches("class=\"job\"").count(), 50);
    assert_eq!(third.matches("class=\"job\"").count(), 20);
    let newest = job(0, "cleaning", "chengzhong", &PLAIN, JobStatus::Published).id;
    let oldest = job(119, "cleaning", "chengzhong", &PLAIN, JobStatus::Published).id;
    assert!(first.contains(&newest) && third.contains(&oldest));
    assert!(first.contains("rel=\"next\"") && third.contains("rel=\"prev\""));
}

#[test]
fn snapshots_of_representative_pages() {
    let files = site(&facts(12));
    let first_job = files
        .keys()
        .find(|p| p.starts_with("jobs/"))
        .unwrap()
        .clone();
    for (name, path) in [
        ("home_zh", "index.html".to_owned()),
        ("home_en", "en/index.html".to_owned()),
        ("job_zh", first_job.clone()),
        ("job_en", format!("en/{first_job}")),
        ("listing_trade_zh", "trades/cleaning/index.html".to_owned()),
        ("stats_zh", "stats/index.html".to_owned()),
        ("stats_en", "en/stats/index.html".to_owned()),
        (
            "policy_unpaid_zh",
            "policy/unpaid-wages/index.html".to_owned(),
        ),
        ("rights_zh", "rights/index.html".to_owned()),
        ("feed_zh", "feed.xml".to_owned()),
        ("sitemap", "sitemap.xml".to_owned()),
        ("jobs_json", "jobs.json".to_owned()),
    ] {
        insta::assert_snapshot!(name, without_asset_versions(&files[&path]));
    }
}

/// The page with each asset link's content version (`?v=` and 8 hex digits) blanked,
/// so a stylesheet edit does not change every snapshot; the version itself is checked
/// where assets are built.
fn without_asset_versions(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    while let Some(at) = rest.find("?v=") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits > 0 {
            out.push_str("VERSION");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

const XSS: [&str; 6] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}",
    "'><svg onload=alert(1)>",
    "</title><script>x</script>",
];

#[test]
fn an_xss_corpus_in_every_field_renders_as_text_in_every_page_and_feed() {
    let station = station();
    let mut facts = lingong_core::board::BoardFacts::new(&station);
    for (n, payload) in XSS.iter().enumerate() {
        let title = format!("{payload}x");
        let long = format!("{payload} {payload} 工作内容足够长");
        let employer = format!("{payload}店");
        let fields = Fields {
            title: &title,
            address: &long,
            employer: &employer,
            description: &long,
            requirements: payload,
        };
        facts
            .apply_item(
                &job_item(&job(
                    n as u32,
                    "cleaning",
                    "chengzhong",
                    &fields,
                    JobStatus::Published,
                ))
                .unwrap(),
            )
            .unwrap();
    }
    let files = site(&facts);
    let mut checked = 0;
    for (path, body) in &files {
        if path.ends_with(".js") || path.ends_with(".css") {
            continue;
        }
        checked += 1;
        for bad in [
            "<script>alert",
            "<img src=x",
            "<svg onload",
            "onerror=alert(1)>",
            "</title><script>",
        ] {
            assert!(!body.contains(bad), "{path} contains raw {bad:?}");
        }
        assert!(
            !body.contains("49x"),
            "{path} evaluated a template expression"
        );
        // No attribute anywhere takes a javascript: URL.
        for attr in ["href=\"", "src=\"", "action=\""] {
            for value in body.split(attr).skip(1) {
                assert!(
                    !value
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("javascript:"),
                    "{path} has {attr}javascript:"
                );
            }
        }
    }
    assert!(checked > 40);
    // The text is there, escaped.
    let job_page = files
        .iter()
        .find(|(p, b)| p.starts_with("jobs/") && b.contains("{{7*7}}x"))
        .map(|(_, b)| b)
        .expect("the template-looking title is shown literally");
    assert!(
        job_page.contains("&lt;script&gt;")
            || files
                .values()
                .any(|b| b.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    );
    let json: serde_json::Value = serde_json::from_str(&files["jobs.json"]).unwrap();
    let titles: Vec<&str> = json["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"<script>alert(1)</script>x"),
        "JSON keeps the text exactly: {titles:?}"
    );
}

/// 11-digit mainland mobile numbers and 18-digit ID numbers, as whole tokens.
fn leaked_numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || (j - i == 17 && (chars[j] == 'X' || chars[j] == 'x')))
            {
                j += 1;
            }
            let token: String = chars[i..j].iter().collect();
            let boundary = j == chars.len() || !chars[j].is_ascii_alphanumeric();
            let mobile = token.len() == 11
                && token.starts_with('1')
                && matches!(token.as_bytes()[1], b'3'..=b'9');
            if boundary && (mobile || token.len() == 18) {
                found.push(token);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

#[test]
fn no_page_shows_a_full_phone_or_id_number() {
    assert_eq!(
        leaked_numbers("tel 13812345678 and 630102199001011234 ok"),
        vec!["13812345678", "630102199001011234"]
    );
    assert!(leaked_numbers("138****5678 01KB12345678901234567890AB 2026-11-28").is_empty());
    let mut facts = facts(30);
    let fields = Fields {
        title: "搬家 电话13812345678",
        address: "城中区 身份证630102199001011234",
        employer: "李女士 138-1234-5678",
        description: "联系 +86 139 1234 5678，或者 0086 13712345678，身份证号 63010219900101123X 也别写",
        requirements: "微信同号15912345678",
    };
    facts
        .apply_item(
            &job_item(&job(
                77,
                "moving",
                "chengbei",
                &fields,
                JobStatus::Published,
            ))
            .unwrap(),
        )
        .unwrap();
    let files = site(&facts);
    for (path, body) in &files {
        let leaks = leaked_numbers(body);
        assert!(leaks.is_empty(), "{path} shows {leaks:?}");
        assert!(!body.contains("马秀英"), "{path} shows a worker's name");
        assert!(!body.contains("王经理"), "{path} shows a contact name");
    }
    assert!(
        files.values().any(|b| b.contains("138****5678")),
        "numbers are masked, not dropped"
    );
}

fn gzip(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len()
}

#[test]
fn each_job_page_with_its_stylesheet_is_within_14_kb_gzipped() {
    let mut facts = lingong_core::board::BoardFacts::new(&station());
    // The longest texts a posting may hold, in characters that compress badly.
    let description: String = (0..2000)
        .map(|i| char::from_u32(0x4E00 + (i * 37) % 20000).unwrap())
        .collect();
    let requirements: String = (0..500)
        .map(|i| char::from_u32(0x4E00 + (i * 53) % 20000).unwrap())
        .collect();
    let title: String = (0..40)
        .map(|i| char::from_u32(0x4E00 + i * 11).unwrap())
        .collect();
    let address: String = (0..100)
        .map(|i| char::from_u32(0x4E00 + i * 13).unwrap())
        .collect();
    let employer: String = (0..60)
        .map(|i| char::from_u32(0x4E00 + i * 17).unwrap())
        .collect();
    let fields = Fields {
        title: &title,
        address: &address,
        employer: &employer,
        description: &description,
        requirements: &requirements,
    };
    facts
        .apply_item(&job_item(&job(1, "care", "huangyuan", &fields, JobStatus::Published)).unwrap())
        .unwrap();
    let files = site(&facts);
    let css = gzip(files["assets/style.css"].as_bytes());
    let mut largest = 0;
    for (path, body) in files
        .iter()
        .filter(|(p, _)| p.contains("jobs/") && p.ends_with(".html"))
    {
        let total = gzip(body.as_bytes()) + css;
        largest = largest.max(total);
        assert!(
            total <= 14 * 1024,
            "{path}: {total} bytes gzipped with its CSS"
        );
    }
    println!("largest job page with CSS, gzipped: {largest} bytes");
    assert!(largest > 0);
}

#[test]
fn pages_keep_the_accessibility_basics() {
    let files = site(&facts(5));
    for (path, body) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        let lang = if path.starts_with("en/") {
            "en"
        } else {
            "zh-CN"
        };
        assert!(
            body.contains(&format!("<html lang=\"{lang}\">")),
            "{path} lang"
        );
        assert!(
            body.contains("class=\"skip\" href=\"#main\""),
            "{path} skip link"
        );
        assert!(body.contains("<main id=\"main\">"), "{path} main landmark");
        assert_eq!(body.matches("<h1").count(), 1, "{path} has one h1");
        assert!(
            !body.contains("style=\""),
            "{path} inline style breaks the CSP"
        );
        assert!(
            !body.contains("<script>"),
            "{path} inline script breaks the CSP"
        );
        // Every visible input has a label (by id), or is a checkbox/radio inside one.
        for input in body.split("<input ").skip(1) {
            let tag = input.split('>').next().unwrap();
            if tag.contains("type=\"hidden\"")
                || tag.contains("type=\"checkbox\"")
                || tag.contains("type=\"radio\"")
            {
                continue;
            }
            let id = tag
                .split("id=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("{path}: input without id: {tag}"));
            assert!(
                body.contains(&format!("for=\"{id}\"")),
                "{path}: no label for {id}"
            );
        }
    }
}

#[test]
fn stats_show_real_counts_and_the_ratio() {
    let facts = facts(12);
    let stats = facts.stats(&station(), today());
    assert_eq!(stats.open_jobs, 12);
    assert_eq!(stats.open_places, 24, "3 asked, 1 placed, per job");
    assert_eq!(stats.workers, 5);
    assert_eq!(stats.workers_active, 4);
    assert_eq!(stats.places_per_worker_x100, Some(600));
    assert_eq!(stats.employers, 1);
    assert_eq!(stats.matches, 1);
    assert_eq!(
        stats.average_paid_wage.map(|m| m.to_string()),
        Some("260".into())
    );
    assert_eq!(stats.trend.len(), 12);
    let files = site(&facts);
    let wall = &files["stats/index.html"];
    assert!(wall.contains("6.00"), "求人倍率 shown");
    assert_eq!(wall.matches("<svg class=\"chart\"").count(), 4);
}
