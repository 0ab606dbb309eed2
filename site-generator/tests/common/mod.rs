//! Fixture boards for the page tests: jobs made through the same validating parsers as
//! real postings, fixed ids and times, so every build is byte-for-byte repeatable.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lingong_core::{
    board::BoardFacts,
    dates::WorkDates,
    employer::Employer,
    job::{Job, JobStatus, PayTerms, Source},
    money::Money,
    phone::MobileNumber,
    records::{employer_item, job_item, placement_item, worker_item},
    secrets::ManageToken,
    station::{Station, Stations},
    text::{Address, Description, EmployerName, JobTitle, PersonName, Requirements},
    worker::{Channel, Consent, ConsentMethod, Worker, WorkerStatus},
};

/// The shipped station.
pub fn station() -> Arc<Station> {
    Stations::embedded().unwrap().default_station().clone()
}

/// 10:00 in Xining on 28 November 2026.
pub fn now() -> DateTime<Utc> {
    "2026-11-28T02:00:00Z".parse().unwrap()
}

/// The station day of [`now`].
pub fn today() -> NaiveDate {
    "2026-11-28".parse().unwrap()
}

/// A job's text fields.
pub struct Fields<'a> {
    pub title: &'a str,
    pub address: &'a str,
    pub employer: &'a str,
    pub description: &'a str,
    pub requirements: &'a str,
}

/// A stored job with fixed identity, `n` hours before [`now`].
pub fn job(n: u32, trade: &str, district: &str, fields: &Fields, status: JobStatus) -> Job {
    let at = now() - Duration::hours(i64::from(n));
    let id = ulid::Ulid::from_parts(at.timestamp_millis() as u64, u128::from(n) * 7919).to_string();
    Job {
        id,
        station: station().id.clone(),
        title: JobTitle::parse("title", fields.title).unwrap(),
        trade: trade.into(),
        district: district.into(),
        address: Address::parse("address", fields.address).unwrap(),
        dates: WorkDates {
            start: today() + Duration::days(1),
            end: today() + Duration::days(3),
        },
        headcount: 3,
        placed: 1,
        daily_wage: Money::from_yuan(200 + u64::from(n % 7) * 10),
        pay_terms: if n.is_multiple_of(2) {
            PayTerms::Daily
        } else {
            PayTerms::OnCompletion
        },
        employer_id: "01KB0000000000000000000EMP".into(),
        employer_name: EmployerName::parse("employer_name", fields.employer).unwrap(),
        employer_verified: n.is_multiple_of(3),
        contact_name: PersonName::parse("contact_name", "王经理").unwrap(),
        contact_phone: MobileNumber::parse("contact_phone", "13800000001").unwrap(),
        contact_email: None,
        description: Description::parse("description", fields.description).unwrap(),
        requirements: Requirements::parse("requirements", fields.requirements).unwrap(),
        status,
        status_reason: None,
        source: Source::Online,
        approved_by_staff: false,
        created_at: at,
        published_at: (status == JobStatus::Published).then_some(at),
        updated_at: at,
        version: 1,
        manage_token_hash: ManageToken::from_link("fixture").hash(),
        lang: Default::default(),
    }
}

/// Plain fields.
pub const PLAIN: Fields = Fields {
    title: "小区楼道及电梯间保洁",
    address: "城中区南关街附近小区",
    employer: "城中区某物业服务公司",
    description: "负责 3 栋楼的楼道、电梯间清扫和垃圾清运，早 8 点到下午 4 点，中午管一顿饭。有事打13912345678。",
    requirements: "能爬楼梯，做事细心。",
};

/// A worker (personal data that must never reach a page).
pub fn worker(n: u32, status: WorkerStatus) -> Worker {
    let at = now() - Duration::days(i64::from(n));
    Worker {
        id: ulid::Ulid::from_parts(at.timestamp_millis() as u64, u128::from(n) + 1).to_string(),
        station: station().id.clone(),
        name: PersonName::parse("name", "马秀英").unwrap(),
        phone: MobileNumber::parse("phone", &format!("137{:08}", 20000 + n)).unwrap(),
        trades: vec!["cleaning".into()],
        districts: vec!["chengzhong".into()],
        available_from: today(),
        expected_daily_wage: None,
        email: None,
        channel: Channel::Sms,
        auto_matching: true,
        consent: Consent {
            version: "2026-11-01".into(),
            accepted_at: at,
            method: ConsentMethod::Online,
        },
        status,
        source: Source::Online,
        created_at: at,
        updated_at: at,
        version: 1,
        manage_token_hash: ManageToken::from_link("fixture").hash(),
        pending_token_hash: None,
        hold: None,
        lang: Default::default(),
    }
}

/// Facts with `jobs` published jobs spread over trades and districts, a few jobs off
/// the board, workers, an employer and a placement.
pub fn facts(jobs: u32) -> BoardFacts {
    let station = station();
    let mut facts = BoardFacts::new(&station);
    for n in 0..jobs {
        let trade = &station.trades[n as usize % station.trades.len()].slug;
        let district = &station.districts[n as usize % station.districts.len()].slug;
        facts
            .apply_item(&job_item(&job(n, trade, district, &PLAIN, JobStatus::Published)).unwrap())
            .unwrap();
    }
    for (n, status) in [
        (900, JobStatus::Closed),
        (901, JobStatus::Expired),
        (902, JobStatus::PendingReview),
    ] {
        facts
            .apply_item(&job_item(&job(n, "moving", "chengxi", &PLAIN, status)).unwrap())
            .unwrap();
    }
    for n in 0..5 {
        let status = if n == 4 {
            WorkerStatus::Withdrawn
        } else {
            WorkerStatus::Active
        };
        facts
            .apply_item(&worker_item(&worker(n, status)).unwrap())
            .unwrap();
    }
    let employer = Employer {
        id: "01KB0000000000000000000EMP".into(),
        station: station.id.clone(),
        name: EmployerName::parse("n", "城中区某物业服务公司").unwrap(),
        contact_name: PersonName::parse("n", "王经理").unwrap(),
        contact_phone: MobileNumber::parse("p", "13800000001").unwrap(),
        contact_email: None,
        verified: true,
        credit_code: None,
        licence_name: None,
        blacklisted: false,
        blacklist_reason: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    };
    facts
        .apply_item(&employer_item(&employer).unwrap())
        .unwrap();
    let placement = lingong_core::placement::Placement {
        station: station.id.clone(),
        job_id: job(901, "moving", "chengxi", &PLAIN, JobStatus::Expired).id,
        worker_id: worker(1, WorkerStatus::Active).id,
        trade: "moving".into(),
        district: "chengxi".into(),
        daily_wage: Money::from_yuan(260),
        start: today() - Duration::days(10),
        end: today() - Duration::days(8),
        status: lingong_core::placement::PlacementStatus::Completed,
        origin: lingong_core::placement::PlacementOrigin::Desk,
        days_worked: Some(3),
        wage_paid: Some(Money::from_yuan(780)),
        paid_check: None,
        created_at: now() - Duration::days(12),
        updated_at: now() - Duration::days(8),
        version: 2,
    };
    facts
        .apply_item(&placement_item(&placement).unwrap())
        .unwrap();
    facts
}

/// The builder for the shipped station at a fixed origin.
pub fn builder() -> lingong_site::site::SiteBuilder {
    lingong_site::site::SiteBuilder::new(station(), "https://lingong.example.cn").unwrap()
}
