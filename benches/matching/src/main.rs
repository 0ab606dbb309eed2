//! `matching-bench`: the measurements behind the README's matching section.
//!
//! 1. **Fairness** — a simulated month at the Xining Chengzhong station: 1,000 workers
//!    and 300 jobs with the station's own trades and districts, answered by workers who
//!    differ only in how fast they respond (some always have their phone in hand, some
//!    read SMS in the evening). Fair rotation runs through the real use cases (waves,
//!    offers, answers, the sweep) on the in-memory store; beside it, in the same run and
//!    with the same workers, jobs and answers, two first-come-first-served baselines:
//!    *broadcast* (every eligible worker hears of every job; the fastest to say yes
//!    win) and *queue* (the desk's list in sign-up order, asked in waves). Reported: the
//!    Gini coefficient of offers and of days worked among equally eligible workers
//!    (same trades, same districts), and messages sent per place filled.
//! 2. **Cost** — items read (through a counting wrapper around the store port) to run
//!    the first wave of a new job, with 10,000 and with 1,000,000 workers in the table;
//!    the job's candidates are the same in both.
//!
//! `cargo run --release -p lingong-bench-matching -- [fairness|cost|all] [runs]`
//! With `LINGONG_TEST_DYNAMODB_ENDPOINT` set, the 10,000-worker cost case also runs on
//! DynamoDB Local.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap, HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use lingong_core::{
    App, Clock, FixedClock, ItemStore,
    app::{Answer, Submission},
    input::RawInput,
    job::{Job, Source},
    matching::{offer::AnswerVia, wave::WaveOutcome},
    records::{skill_items, worker_item},
    secrets::Secrets,
    station::{Station, StationId, Stations},
    store::{Item, Key, Page, Query, StoreError, Write},
    store_memory::MemoryStore,
    worker::{Channel, Consent, ConsentMethod, Worker, WorkerStatus},
};

// ---------------------------------------------------------------- randomness

/// A small seeded generator (SplitMix64), so every run of a policy sees the same
/// workers, jobs and answers.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn weighted<'a>(&mut self, choices: &'a [(&'a str, u32)]) -> &'a str {
        let total: u32 = choices.iter().map(|(_, w)| w).sum();
        let mut pick = (self.next() % u64::from(total)) as u32;
        for (name, weight) in choices {
            if pick < *weight {
                return name;
            }
            pick -= weight;
        }
        choices[0].0
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn mix(seed: u64, a: u64, b: u64) -> Rng {
    let mut r = Rng(seed ^ a.wrapping_mul(0x100_0000_01B3) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F));
    r.next();
    r
}

// ---------------------------------------------------------------- the station's market

/// Share of postings by trade (temporary work, cleaning and moving dominate, as the
/// station's account says).
const TRADES: &[(&str, u32)] = &[
    ("cleaning", 24),
    ("moving", 20),
    ("temp", 16),
    ("housekeeping", 10),
    ("construction", 8),
    ("kitchen", 7),
    ("delivery", 6),
    ("community", 4),
    ("care", 3),
    ("greening", 2),
];
/// Share of postings and of workers by district (the urban districts first).
const DISTRICTS: &[(&str, u32)] = &[
    ("chengzhong", 25),
    ("chengxi", 20),
    ("chengdong", 18),
    ("chengbei", 15),
    ("huangzhong", 10),
    ("datong", 7),
    ("huangyuan", 5),
];

struct SimWorker {
    trades: Vec<String>,
    districts: Vec<String>,
    /// Median minutes to answer an offer.
    median_minutes: f64,
}

struct SimJob {
    post_at: DateTime<Utc>,
    trade: String,
    district: String,
    headcount: u16,
    start_in_days: i64,
    days: i64,
    wage: u32,
}

fn population(
    station: &Station,
    seed: u64,
    workers: usize,
    jobs: usize,
    month_start: DateTime<Utc>,
) -> (Vec<SimWorker>, Vec<SimJob>) {
    let mut rng = Rng(seed);
    let mut ws = Vec::with_capacity(workers);
    for _ in 0..workers {
        let mut trades = vec![rng.weighted(TRADES).to_owned()];
        if rng.unit() < 0.25 {
            let second = rng.weighted(TRADES).to_owned();
            if !trades.contains(&second) {
                trades.push(second);
            }
        }
        let home = rng.weighted(DISTRICTS).to_owned();
        let mut districts = vec![home.clone()];
        if rng.unit() < 0.3 {
            let neighbours = &station.district(&home).unwrap().neighbours;
            let next = neighbours[rng.below(neighbours.len())].clone();
            districts.push(next);
        }
        trades.sort();
        districts.sort();
        // 30 % answer within minutes, half within the hour, a fifth only hours later
        // (no smartphone, SMS read after work).
        let speed = rng.unit();
        let median_minutes = if speed < 0.3 {
            4.0
        } else if speed < 0.8 {
            35.0
        } else {
            200.0
        };
        ws.push(SimWorker {
            trades,
            districts,
            median_minutes,
        });
    }
    let mut js = Vec::with_capacity(jobs);
    let per_day = jobs.div_ceil(30);
    for n in 0..jobs {
        let day = (n / per_day) as i64;
        // Posted between 08:00 and 18:00 station time.
        let minute = 8 * 60 + rng.below(600) as i64;
        let trade = rng.weighted(TRADES).to_owned();
        let floor = station.trade(&trade).unwrap().wage_floor_yuan;
        let headcount = [1u16, 1, 1, 2, 2, 3, 4, 5][rng.below(8)];
        js.push(SimJob {
            post_at: month_start + Duration::days(day) + Duration::minutes(minute),
            trade,
            district: rng.weighted(DISTRICTS).to_owned(),
            headcount,
            start_in_days: 1 + rng.below(3) as i64,
            days: 1 + rng.below(3) as i64,
            wage: floor + 20 + 10 * rng.below(9) as u32,
        });
    }
    js.sort_by_key(|j| j.post_at);
    (ws, js)
}

/// How worker `w` answers an offer of job `j`: after how many minutes, and yes or no.
/// The same for every policy. `None`: never answers.
fn answer_of(seed: u64, w: usize, j: usize, worker: &SimWorker) -> Option<(i64, bool)> {
    let mut rng = mix(seed, w as u64 + 1, j as u64 + 1);
    if rng.unit() < 0.1 {
        return None;
    }
    let minutes = (worker.median_minutes * (0.6 * rng.normal()).exp()).clamp(1.0, 24.0 * 60.0);
    Some((minutes.round() as i64, rng.unit() < 0.7))
}

// ---------------------------------------------------------------- measurements

fn gini(values: &[u64]) -> f64 {
    let n = values.len();
    let total: u64 = values.iter().sum();
    if n < 2 || total == 0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64 + 1.0) * *v as f64)
        .sum();
    (2.0 * weighted) / (n as f64 * total as f64) - (n as f64 + 1.0) / n as f64
}

#[derive(Default, Clone)]
struct Tally {
    offers: Vec<u64>,
    days: Vec<u64>,
    placed: u64,
    messages: u64,
}

impl Tally {
    fn new(workers: usize) -> Tally {
        Tally {
            offers: vec![0; workers],
            days: vec![0; workers],
            ..Tally::default()
        }
    }
}

/// What the fairness table reports, within classes of equally eligible workers (the
/// same trades and districts) with at least `min` members, weighted by class size.
struct ClassFigures {
    offers: f64,
    days: f64,
    /// The lowest Gini the same days could have: split as evenly as whole days allow.
    days_floor: f64,
    /// Share of the classes' workers with at least one day of work.
    with_work: f64,
    members: usize,
}

fn class_figures(workers: &[SimWorker], tally: &Tally, min: usize) -> ClassFigures {
    let mut classes: BTreeMap<(Vec<String>, Vec<String>), Vec<usize>> = BTreeMap::new();
    for (i, w) in workers.iter().enumerate() {
        classes
            .entry((w.trades.clone(), w.districts.clone()))
            .or_default()
            .push(i);
    }
    let (mut offers, mut days, mut floor, mut with_work, mut n) = (0.0, 0.0, 0.0, 0usize, 0usize);
    for members in classes.values().filter(|m| m.len() >= min) {
        let size = members.len();
        let o: Vec<u64> = members.iter().map(|&i| tally.offers[i]).collect();
        let d: Vec<u64> = members.iter().map(|&i| tally.days[i]).collect();
        let total: u64 = d.iter().sum();
        let even: Vec<u64> = (0..size as u64)
            .map(|k| total / size as u64 + u64::from(k < total % size as u64))
            .collect();
        offers += gini(&o) * size as f64;
        days += gini(&d) * size as f64;
        floor += gini(&even) * size as f64;
        with_work += d.iter().filter(|x| **x > 0).count();
        n += size;
    }
    let n_f = n.max(1) as f64;
    ClassFigures {
        offers: offers / n_f,
        days: days / n_f,
        days_floor: floor / n_f,
        with_work: with_work as f64 / n_f,
        members: n,
    }
}

// ---------------------------------------------------------------- a station to simulate

struct Sim {
    app: App,
    clock: Arc<FixedClock>,
    station: Arc<Station>,
    /// worker id → index
    index: HashMap<String, usize>,
    ids: Vec<String>,
}

fn input(pairs: &[(&str, String)]) -> RawInput {
    let mut input = RawInput::new();
    for (k, v) in pairs {
        input.push(*k, v.clone());
    }
    input
}

/// The built-in stations, with the fairness window set to `window_days`.
fn stations_with_window(window_days: u32) -> Stations {
    let dir = tempfile::tempdir().unwrap();
    let source = include_str!("../../../stations/xining-chengzhong.toml")
        .replace("window_days = 7", &format!("window_days = {window_days}"));
    std::fs::write(dir.path().join("xining-chengzhong.toml"), source).unwrap();
    Stations::from_dir(dir.path()).unwrap()
}

async fn sim(workers: &[SimWorker], month_start: DateTime<Utc>, window_days: u32) -> Sim {
    let clock = Arc::new(FixedClock::new(month_start - Duration::days(1)));
    let app = App {
        store: Arc::new(MemoryStore::new()),
        stations: Arc::new(stations_with_window(window_days)),
        clock: clock.clone(),
        secrets: Secrets::from_bytes(&[7u8; 32]).unwrap(),
    };
    let station = app.stations.default_station().clone();
    let mut index = HashMap::new();
    let mut ids = Vec::new();
    for (n, w) in workers.iter().enumerate() {
        // Sign-ups spread over the day before the month starts.
        clock.set(month_start - Duration::days(1) + Duration::seconds(n as i64 * 60));
        let saved = app
            .sign_up(Submission {
                station: None,
                input: &input(&[
                    ("name", format!("工人{n:04}")),
                    ("phone", format!("136{n:08}")),
                    ("trades", w.trades.join(",")),
                    ("districts", w.districts.join(",")),
                    ("channel", "sms".into()),
                    ("consent", "true".into()),
                ]),
                idempotency_key: None,
                source: Source::Desk,
            })
            .await
            .unwrap();
        index.insert(saved.record.id.clone(), n);
        ids.push(saved.record.id);
    }
    Sim {
        app,
        clock,
        station,
        index,
        ids,
    }
}

async fn post(sim: &Sim, job: &SimJob, n: usize) -> Job {
    let start = sim.station.today(job.post_at) + Duration::days(job.start_in_days);
    sim.app
        .post_job(Submission {
            station: None,
            input: &input(&[
                ("title", format!("模拟岗位{n:03}")),
                ("trade", job.trade.clone()),
                ("district", job.district.clone()),
                ("address", "西宁市某处".into()),
                ("start_date", start.to_string()),
                (
                    "end_date",
                    (start + Duration::days(job.days - 1)).to_string(),
                ),
                ("headcount", job.headcount.to_string()),
                ("daily_wage_yuan", job.wage.to_string()),
                ("pay_terms", "daily".into()),
                ("employer_name", format!("模拟用工单位{n:03}")),
                ("contact_name", "联系人".into()),
                ("contact_phone", format!("135{n:08}")),
                (
                    "description",
                    "模拟的工作内容：打扫、搬运或帮工，按天结算。".into(),
                ),
            ]),
            idempotency_key: None,
            source: Source::Desk,
        })
        .await
        .unwrap()
        .record
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Policy {
    /// Fair rotation with this fairness window, in days.
    Fair(u32),
    Broadcast,
    Queue,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Post(usize),
    Answer {
        job: usize,
        worker: usize,
        yes: bool,
    },
    Expire {
        job: usize,
    },
}

/// One month under `policy`. Every policy sees the same workers, jobs and answers.
async fn month(
    policy: Policy,
    seed: u64,
    workers: &[SimWorker],
    jobs: &[SimJob],
    month_start: DateTime<Utc>,
) -> Tally {
    let window = match policy {
        Policy::Fair(days) => days,
        _ => 7,
    };
    let sim = sim(workers, month_start, window).await;
    let mut tally = Tally::new(workers.len());
    let mut queue: BinaryHeap<Reverse<(DateTime<Utc>, u64, Event)>> = BinaryHeap::new();
    let seq = AtomicU64::new(0);
    let push = |q: &mut BinaryHeap<_>, at: DateTime<Utc>, e: Event| {
        q.push(Reverse((at, seq.fetch_add(1, Ordering::Relaxed), e)));
    };
    for (n, job) in jobs.iter().enumerate() {
        push(&mut queue, job.post_at, Event::Post(n));
    }
    let mut posted: Vec<Option<Job>> = (0..jobs.len()).map(|_| None).collect();
    let mut asked: Vec<HashSet<usize>> = vec![HashSet::new(); jobs.len()];
    // Baseline offers (the fair policy's are in the store).
    let mut open: Vec<HashMap<usize, DateTime<Utc>>> = vec![HashMap::new(); jobs.len()];
    let expiry = Duration::minutes(i64::from(sim.station.matching.offer_expiry_minutes));
    while let Some(Reverse((at, _, event))) = queue.pop() {
        sim.clock.set(at.max(sim.clock.now()));
        let job_n = match event {
            Event::Post(n) => {
                posted[n] = Some(post(&sim, &jobs[n], n).await);
                n
            }
            Event::Answer { job, worker, yes } => {
                let Some(posted_job) = &posted[job] else {
                    continue;
                };
                let worker_id = &sim.ids[worker];
                match policy {
                    Policy::Fair(_) => {
                        let offers = sim
                            .app
                            .offers_of_job(&sim.station, &posted_job.id)
                            .await
                            .unwrap();
                        let Some(offer) = offers.iter().find(|o| &o.worker_id == worker_id) else {
                            continue;
                        };
                        let sig = lingong_core::matching::offer::link_signature(
                            &sim.app.secrets,
                            &sim.station.id,
                            &offer.id,
                        );
                        let answer = if yes { Answer::Accept } else { Answer::Decline };
                        sim.app
                            .answer_offer(None, &offer.id, &sig, answer)
                            .await
                            .unwrap();
                    }
                    Policy::Broadcast | Policy::Queue => {
                        open[job].remove(&worker);
                        if yes {
                            let w = sim
                                .app
                                .worker(&sim.station, worker_id)
                                .await
                                .unwrap()
                                .unwrap();
                            sim.app
                                .take_place(
                                    &sim.station,
                                    &posted_job.id,
                                    &w,
                                    None,
                                    AnswerVia::Application,
                                )
                                .await
                                .unwrap();
                        }
                    }
                }
                job
            }
            Event::Expire { job } => {
                if matches!(policy, Policy::Fair(_)) {
                    sim.app.sweep().await.unwrap();
                } else {
                    let now = sim.clock.now();
                    open[job].retain(|_, until| *until > now);
                }
                job
            }
        };
        // Top the job's offers up (the matcher does this on the change stream).
        let Some(job) = &posted[job_n] else { continue };
        let current = sim.app.job(&sim.station, &job.id).await.unwrap().unwrap();
        if current.open_places() == 0 || current.status != lingong_core::job::JobStatus::Published {
            continue;
        }
        let now = sim.clock.now();
        let newly: Vec<usize> = match policy {
            Policy::Fair(_) => {
                let outcome = sim.app.run_wave(&sim.station, &job.id).await.unwrap();
                if !matches!(outcome, WaveOutcome::Offered { .. }) {
                    continue;
                }
                sim.app
                    .offers_of_job(&sim.station, &job.id)
                    .await
                    .unwrap()
                    .iter()
                    .map(|o| sim.index[&o.worker_id])
                    .filter(|w| !asked[job_n].contains(w))
                    .collect()
            }
            Policy::Broadcast | Policy::Queue => {
                let known = HashMap::new();
                let search = sim
                    .app
                    .find_candidates(&sim.station, &current, &known, now)
                    .await
                    .unwrap();
                let mut eligible: Vec<usize> = search
                    .eligible
                    .iter()
                    .map(|(w, _)| sim.index[&w.id])
                    .filter(|w| !asked[job_n].contains(w))
                    .collect();
                // The desk's list: whoever signed up first is asked first.
                eligible.sort_unstable();
                if policy == Policy::Queue {
                    let target = sim.station.matching.wave_factor as usize
                        * usize::from(current.open_places());
                    let need = target.saturating_sub(open[job_n].len());
                    eligible.truncate(need);
                }
                eligible
            }
        };
        for w in newly {
            asked[job_n].insert(w);
            tally.offers[w] += 1;
            tally.messages += 1;
            if !matches!(policy, Policy::Fair(_)) {
                open[job_n].insert(w, now + expiry);
            }
            if let Some((minutes, yes)) = answer_of(seed, w, job_n, &workers[w]) {
                push(
                    &mut queue,
                    now + Duration::minutes(minutes),
                    Event::Answer {
                        job: job_n,
                        worker: w,
                        yes,
                    },
                );
            }
            push(
                &mut queue,
                now + expiry + Duration::seconds(1),
                Event::Expire { job: job_n },
            );
        }
    }
    // Days worked: every place held, day by day.
    for job in posted.iter().flatten() {
        let offers_and_places = lingong_core::store::query_all(
            &*sim.app.store,
            Query {
                range: lingong_core::store::SortKeyRange::BeginsWith("PLACE#".into()),
                ..Query::partition(format!("ST#{}#JOB#{}", sim.station.id, job.id), 100)
            },
        )
        .await
        .unwrap();
        for item in offers_and_places {
            let placement = lingong_core::records::placement_from_item(&item).unwrap();
            tally.days[sim.index[&placement.worker_id]] +=
                ((placement.end - placement.start).num_days() + 1) as u64;
            tally.placed += 1;
        }
    }
    tally
}

async fn fairness(runs: u64) {
    let stations = Stations::embedded().unwrap();
    let station = stations.default_station().clone();
    let month_start = Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap(); // 1 Dec, 00:00 in Xining
    println!("## Fairness: a simulated month, 1,000 workers, 300 jobs ({runs} runs)\n");
    let mut rows: BTreeMap<&str, Vec<[f64; 6]>> = BTreeMap::new();
    let mut members = 0;
    let policies = [
        (
            "fair rotation (Lingong, default 7-day window)",
            Policy::Fair(7),
        ),
        ("fair rotation, `window_days = 30`", Policy::Fair(30)),
        (
            "first come, first served: broadcast to all, fastest yes wins",
            Policy::Broadcast,
        ),
        (
            "first come, first served: desk list in sign-up order",
            Policy::Queue,
        ),
    ];
    for run in 0..runs {
        let seed = 0x5EED_0000 + run;
        let (workers, jobs) = population(&station, seed, 1000, 300, month_start);
        for (name, policy) in policies {
            let started = Instant::now();
            let tally = month(policy, seed, &workers, &jobs, month_start).await;
            let figures = class_figures(&workers, &tally, 10);
            members = figures.members;
            let per_place = tally.messages as f64 / tally.placed.max(1) as f64;
            eprintln!(
                "run {run} {name}: offers {:.3}, days {:.3} (floor {:.3}), with work {:.0}%, {} places, {per_place:.1} messages/place, {:.1?}",
                figures.offers,
                figures.days,
                figures.days_floor,
                figures.with_work * 100.0,
                tally.placed,
                started.elapsed()
            );
            rows.entry(name).or_default().push([
                figures.offers,
                figures.days,
                figures.days_floor,
                figures.with_work * 100.0,
                per_place,
                tally.placed as f64,
            ]);
        }
    }
    println!(
        "Equally eligible = the same trades and the same districts; classes of 10 or more ({members} of 1,000 workers in the last run). Mean of {runs} runs (lowest–highest).\n"
    );
    println!(
        "| policy | Gini of offers | Gini of days worked | lowest possible Gini of those days | workers with any work | offer messages per place filled | places filled |"
    );
    println!("|---|---|---|---|---|---|---|");
    let fmt = |v: Vec<f64>, digits: usize| {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
        if v.len() > 1 && hi - lo > 0.5 * 10f64.powi(-(digits as i32)) {
            format!("{mean:.digits$} ({lo:.digits$}–{hi:.digits$})")
        } else {
            format!("{mean:.digits$}")
        }
    };
    for (name, _) in policies {
        let r = &rows[name];
        let col = |i: usize, digits: usize| fmt(r.iter().map(|x| x[i]).collect(), digits);
        println!(
            "| {name} | {} | {} | {} | {}% | {} | {} |",
            col(0, 2),
            col(1, 2),
            col(2, 2),
            col(3, 0),
            col(4, 1),
            col(5, 0),
        );
    }
    println!();
}

// ---------------------------------------------------------------- cost

/// Counts the items and requests a use case reads through the store port.
struct Counting {
    inner: Arc<dyn ItemStore>,
    items: AtomicU64,
    requests: AtomicU64,
}

impl Counting {
    fn reset(&self) {
        self.items.store(0, Ordering::Relaxed);
        self.requests.store(0, Ordering::Relaxed);
    }
}

#[async_trait]
impl ItemStore for Counting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let got = self.inner.get(key).await?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.items
            .fetch_add(u64::from(got.is_some()), Ordering::Relaxed);
        Ok(got)
    }
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let got = self.inner.get_many(keys).await?;
        self.requests
            .fetch_add(keys.len().div_ceil(100) as u64, Ordering::Relaxed);
        self.items.fetch_add(got.len() as u64, Ordering::Relaxed);
        Ok(got)
    }
    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.inner.write(writes).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let page = self.inner.query(query).await?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.items
            .fetch_add(page.items.len() as u64, Ordering::Relaxed);
        Ok(page)
    }
}

fn filler_worker(
    station: &StationId,
    n: u64,
    trade: &str,
    district: &str,
    at: DateTime<Utc>,
) -> Worker {
    let id = ulid::Ulid::from_parts(at.timestamp_millis() as u64, u128::from(n) + 1).to_string();
    Worker {
        id,
        station: station.clone(),
        name: lingong_core::text::PersonName::parse("name", "填充工人").unwrap(),
        phone: lingong_core::phone::MobileNumber::parse(
            "phone",
            &format!("13{:09}", n % 1_000_000_000),
        )
        .unwrap(),
        trades: vec![trade.to_owned()],
        districts: vec![district.to_owned()],
        available_from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        expected_daily_wage: None,
        email: None,
        channel: Channel::Sms,
        auto_matching: true,
        consent: Consent {
            version: "2026-11-01".into(),
            accepted_at: at,
            method: ConsentMethod::InPerson,
        },
        status: WorkerStatus::Active,
        source: Source::Desk,
        created_at: at,
        updated_at: at,
        version: 1,
        manage_token_hash: lingong_core::secrets::ManageToken::from_link("x").hash(),
        pending_token_hash: None,
        lang: lingong_core::Lang::Zh,
        hold: None,
    }
}

/// Fills `store` with `total` workers: `cohort` of them cleaners in Xining
/// Chengzhong's reach (the candidates of the measured job), the rest spread over the
/// other trades and districts, or over other stations of a provincial deployment.
async fn fill(store: &dyn ItemStore, total: u64, cohort: u64, other_stations: bool) {
    let xining = StationId::parse("xining-chengzhong").unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let mut batch = Vec::new();
    let started = Instant::now();
    let mut rng = Rng(99);
    for n in 0..total {
        let worker = if n < cohort {
            let district = [
                "chengzhong",
                "chengdong",
                "chengxi",
                "chengbei",
                "huangzhong",
            ][(n % 5) as usize];
            filler_worker(&xining, n, "cleaning", district, at)
        } else if other_stations {
            let station = StationId::parse(&format!("qinghai-station-{:02}", n % 99)).unwrap();
            filler_worker(
                &station,
                n,
                rng.weighted(TRADES),
                rng.weighted(DISTRICTS),
                at,
            )
        } else {
            // Same station, never a candidate: another trade, or too far away.
            let trade = rng.weighted(&TRADES[1..]);
            filler_worker(&xining, n, trade, rng.weighted(DISTRICTS), at)
        };
        batch.push(Write::put(worker_item(&worker).unwrap()));
        batch.extend(skill_items(&worker).unwrap().into_iter().map(Write::put));
        if batch.len() >= 90 {
            store.write(std::mem::take(&mut batch)).await.unwrap();
        }
        if n > 0 && n % 200_000 == 0 {
            eprintln!("  {n} workers written ({:.0?})", started.elapsed());
        }
    }
    if !batch.is_empty() {
        store.write(batch).await.unwrap();
    }
}

async fn items_per_job(store: Arc<dyn ItemStore>) -> (u64, u64, u32) {
    let counting = Arc::new(Counting {
        inner: store,
        items: AtomicU64::new(0),
        requests: AtomicU64::new(0),
    });
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap(),
    ));
    let app = App {
        store: counting.clone(),
        stations: Arc::new(Stations::embedded().unwrap()),
        clock,
        secrets: Secrets::from_bytes(&[7u8; 32]).unwrap(),
    };
    let station = app.stations.default_station().clone();
    let sim = Sim {
        app: app.clone(),
        clock: Arc::new(FixedClock::new(Utc::now())),
        station: station.clone(),
        index: HashMap::new(),
        ids: Vec::new(),
    };
    let job_spec = SimJob {
        post_at: Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap(),
        trade: "cleaning".into(),
        district: "chengzhong".into(),
        headcount: 3,
        start_in_days: 2,
        days: 2,
        wage: 220,
    };
    let job = post(&sim, &job_spec, 0).await;
    counting.reset();
    let outcome = app.run_wave(&station, &job.id).await.unwrap();
    let (items, requests) = (
        counting.items.load(Ordering::Relaxed),
        counting.requests.load(Ordering::Relaxed),
    );
    assert!(
        matches!(outcome, WaveOutcome::Offered { .. }),
        "{outcome:?}"
    );
    let found = app.decisions_of_job(&station, &job.id).await.unwrap()[0].found;
    (items, requests, found)
}

fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
                    / 1024
            })
        })
        .unwrap_or(0)
}

async fn cost() {
    const COHORT: u64 = 600;
    println!("## Cost: items read for the first wave of a new job\n");
    println!(
        "The job: cleaning in Chengzhong, 3 places. Its candidates (cleaners in Chengzhong and its four neighbours) are the same {COHORT} workers in every table; the rest never match it.\n"
    );
    println!(
        "| store | workers in the table | others are | candidates found | items read | read requests |"
    );
    println!("|---|---|---|---|---|---|");
    let mut results = Vec::new();
    for (label, total, other_stations) in [
        ("in-memory", 10_000u64, false),
        ("in-memory", 1_000_000, false),
        ("in-memory", 1_000_000, true),
    ] {
        let store: Arc<dyn ItemStore> = Arc::new(MemoryStore::new());
        let started = Instant::now();
        fill(&*store, total, COHORT, other_stations).await;
        eprintln!(
            "{label} {total}: filled in {:.1?}, RSS {} MB",
            started.elapsed(),
            rss_mb()
        );
        let (items, requests, found) = items_per_job(store).await;
        let others = if other_stations {
            "other stations' workers"
        } else {
            "other trades or districts, same station"
        };
        println!("| {label} | {total} | {others} | {found} | {items} | {requests} |");
        results.push(items);
    }
    if let Ok(endpoint) = std::env::var("LINGONG_TEST_DYNAMODB_ENDPOINT") {
        let client = lingong_store_dynamodb::DynamoStore::local_client(&endpoint);
        let table = format!("lingong-bench-{}", std::process::id());
        lingong_store_dynamodb::create_table(&client, &table)
            .await
            .unwrap();
        let store: Arc<dyn ItemStore> = Arc::new(lingong_store_dynamodb::DynamoStore::new(
            client.clone(),
            table.clone(),
        ));
        let started = Instant::now();
        fill(&*store, 10_000, COHORT, false).await;
        eprintln!("DynamoDB Local 10000: filled in {:.1?}", started.elapsed());
        let (items, requests, found) = items_per_job(store).await;
        println!(
            "| DynamoDB Local | 10000 | other trades or districts, same station | {found} | {items} | {requests} |"
        );
        let _ = lingong_store_dynamodb::delete_table(&client, &table).await;
    }
    if results.len() >= 2 {
        println!(
            "\nRatio of items read, 1,000,000 to 10,000 workers: {:.3} (same station), {:.3} (other stations).\n",
            results[1] as f64 / results[0] as f64,
            results[2] as f64 / results[0] as f64
        );
    }
}

#[tokio::main]
async fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let runs = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    if what == "fairness" || what == "all" {
        fairness(runs).await;
    }
    if what == "cost" || what == "all" {
        cost().await;
    }
}
