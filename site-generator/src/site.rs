//! The public board as a build: which pages exist, which group of pages each record
//! touches, and rendering a set of groups to `(path, bytes)` pairs. The pipeline is
//! flat: facts in ([`BoardFacts`]), files out; writing is the sinks' business
//! ([`crate::publish`]).
//!
//! Layout (Chinese at `/`, English under `/en/`, same paths below):
//!
//! | path | group |
//! |---|---|
//! | `index.html` | [`Group::Home`] |
//! | `jobs/<id>/index.html` | [`Group::Job`] |
//! | `trades/<slug>/index.html`, `…/page/<n>/index.html` | [`Group::Trade`] |
//! | `districts/<slug>/…` | [`Group::District`] |
//! | `stats/index.html` | [`Group::Stats`] |
//! | `feed.xml`, `jobs.json` | [`Group::Feeds`] |
//! | `sitemap.xml`, `sitemaps/pages.xml` | [`Group::SitemapIndex`] |
//! | `sitemaps/jobs-<week>.xml` | [`Group::SitemapWeek`] |
//! | `policy/index.html`, `policy/<slug>/index.html` | [`Group::Policy`] |
//! | `training/index.html` (courses, a registration form each) | [`Group::Training`] |
//! | `live/index.html` (livestream recruitment events) | [`Group::Live`] |
//! | forms, about, privacy, 404, `robots.txt`, `assets/` | [`Group::Static`] |

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use lingong_core::{
    Lang,
    board::{BoardFacts, BoardJob, BoardStats},
    i18n::{Arg, t, tf},
    report::ReportReason,
    station::Station,
};
use minijinja::{Value, context, value::Serde};
use rayon::prelude::*;
use serde::Serialize;

use crate::{
    FormState, RenderError, Renderer, STATIC_FILES,
    charts::{self, Bar, WeekBar},
    content::PolicyPages,
    publish::{Scope, SiteFile},
    view::{StationView, root_of},
};

/// Jobs per listing page.
pub const PAGE_SIZE: usize = 50;
/// Jobs on the home page.
pub const HOME_JOBS: usize = 10;
/// Entries in the Atom feeds.
pub const FEED_JOBS: usize = 50;
/// Jobs in `jobs.json` (newest first); the API pages through the rest.
pub const JSON_JOBS: usize = 1000;

/// A set of pages rendered together and owning a part of the site's paths.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// The home page.
    Home,
    /// One job's page.
    Job(String),
    /// A trade's listing pages.
    Trade(String),
    /// A district's listing pages.
    District(String),
    /// The data wall.
    Stats,
    /// Atom feeds and `jobs.json`.
    Feeds,
    /// The sitemap index and the sitemap of pages that are not jobs.
    SitemapIndex,
    /// The sitemap of jobs posted in one ISO week (`2026-W48`).
    SitemapWeek(String),
    /// Pages that do not depend on records: forms, about, 404, assets.
    Static,
    /// The policy index and pages: the shipped files with staff's stored pages over
    /// them (issue 6).
    Policy,
    /// Upcoming training courses (issue 6).
    Training,
    /// Upcoming livestream recruitment events (issue 6).
    Live,
}

const LANG_PREFIXES: [&str; 2] = ["", "en/"];

impl Group {
    /// The paths this group owns: exact paths and prefixes.
    fn paths(&self) -> (Vec<String>, Vec<String>) {
        let both = |rel: &str| -> Vec<String> {
            LANG_PREFIXES.iter().map(|l| format!("{l}{rel}")).collect()
        };
        match self {
            Group::Home => (both("index.html"), vec![]),
            Group::Job(id) => (vec![], both(&format!("jobs/{id}/"))),
            Group::Trade(slug) => (vec![], both(&format!("trades/{slug}/"))),
            Group::District(slug) => (vec![], both(&format!("districts/{slug}/"))),
            Group::Stats => (vec![], both("stats/")),
            Group::Feeds => {
                let mut exact = both("feed.xml");
                exact.push("jobs.json".into());
                (exact, vec![])
            }
            Group::SitemapIndex => (
                vec!["sitemap.xml".into(), "sitemaps/pages.xml".into()],
                vec![],
            ),
            Group::SitemapWeek(week) => (vec![format!("sitemaps/jobs-{week}.xml")], vec![]),
            Group::Static => (vec![], vec![]),
            Group::Policy => (vec![], both("policy/")),
            Group::Training => (vec![], both("training/")),
            Group::Live => (vec![], both("live/")),
        }
    }
}

/// The scope covered by `groups` (never [`Group::Static`], which has no fixed paths).
pub fn scope_of(groups: &BTreeSet<Group>) -> Scope {
    let (mut exact, mut prefixes) = (Vec::new(), Vec::new());
    for group in groups {
        let (e, p) = group.paths();
        exact.extend(e);
        prefixes.extend(p);
    }
    Scope::Paths { exact, prefixes }
}

/// The ISO week a job is filed under in the sitemaps.
pub fn sitemap_week(_station: &Station, job: &BoardJob) -> String {
    let (year, week) = week_of(job);
    format!("{year}-W{week:02}")
}

fn week_of(job: &BoardJob) -> (i32, u32) {
    lingong_core::board::iso_week(job.created_day)
}

/// The groups a job shows up in while it is on the board.
pub fn groups_of_job(station: &Station, job: &BoardJob) -> [Group; 4] {
    [
        Group::Job(job.id.clone()),
        Group::Trade(job.trade.clone()),
        Group::District(job.district.clone()),
        Group::SitemapWeek(sitemap_week(station, job)),
    ]
}

/// The groups of the pages about training, livestreams and policy.
pub const EXTRA_PAGES: [Group; 3] = [Group::Policy, Group::Training, Group::Live];

/// The groups every change to the board touches.
pub const BOARD_WIDE: [Group; 4] = [Group::Home, Group::Stats, Group::Feeds, Group::SitemapIndex];

/// Renders the site of one station.
pub struct SiteBuilder {
    renderer: Renderer,
    station: std::sync::Arc<Station>,
    policy: PolicyPages,
    base_url: String,
    version: String,
    /// Rendered job cards by (job, language), with the job version they show: a card
    /// appears on several pages (home, trade, district) and shifts from page to page
    /// as jobs come and go, but is rendered once per version.
    cards: std::sync::Mutex<Cards>,
}

/// Job id → (version, card in Chinese, card in English).
type Cards = std::collections::HashMap<
    String,
    (u64, std::sync::Arc<str>, std::sync::Arc<str>),
    std::hash::BuildHasherDefault<Fnv>,
>;

/// FNV-1a: keys are short ids we generate, so a fast non-keyed hash is enough.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = hash;
    }
}

impl std::fmt::Debug for SiteBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteBuilder")
            .field("station", &self.station.id)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// Why a site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A template failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The policy content is malformed.
    #[error(transparent)]
    Content(#[from] crate::content::ContentError),
    /// A JSON feed could not be written.
    #[error("jobs.json: {0}")]
    Json(#[from] serde_json::Error),
}

/// A job as pages show it.
#[derive(Clone, Debug, Serialize)]
struct JobView<'a> {
    id: &'a str,
    /// The job number SMS name it by (the last six characters of its id).
    number: String,
    url: String,
    title: &'a str,
    trade: &'a str,
    trade_name: &'a str,
    trade_url: String,
    district: &'a str,
    district_name: &'a str,
    district_url: String,
    address: &'a str,
    start: String,
    end: String,
    start_iso: String,
    end_iso: String,
    days: i64,
    headcount: u16,
    open_places: u16,
    wage: String,
    pay_terms: &'static str,
    employer_name: &'a str,
    verified: bool,
    description: &'a str,
    requirements: &'a str,
}

/// A trade or district with its count, for the home page.
#[derive(Clone, Debug, Serialize)]
struct Count {
    slug: String,
    name: String,
    url: String,
    jobs: usize,
}

#[derive(Clone, Debug, Serialize)]
struct PageLink {
    number: usize,
    url: String,
    current: bool,
}

#[derive(Clone, Debug, Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

/// One language's unchanging page context, computed once per build.
struct LangContext {
    lang: Lang,
    root: &'static str,
    prefix: &'static str,
    station: Value,
    empty_form: Value,
    report_reasons: Value,
}

pub(crate) fn format_date(lang: Lang, day: NaiveDate) -> String {
    tf(
        lang,
        "date.full",
        &[
            ("year", Arg::Text(day.year().to_string())),
            (
                "month",
                Arg::Text(t(lang, &format!("date.month_{}", day.month())).to_owned()),
            ),
            ("day", Arg::Text(day.day().to_string())),
            (
                "weekday",
                Arg::Text(
                    t(
                        lang,
                        &format!("date.weekday_{}", day.weekday().number_from_monday()),
                    )
                    .to_owned(),
                ),
            ),
        ],
    )
}

fn site_version(station: &Station, base_url: &str) -> String {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    for (name, body) in crate::TEMPLATES
        .iter()
        .chain(STATIC_FILES)
        .chain(crate::CONTENT_FILES)
    {
        hash.update(name.as_bytes());
        hash.update(body.as_bytes());
    }
    let catalog = lingong_core::i18n::catalog();
    for lang in Lang::ALL {
        let mut keys: Vec<&str> = catalog.keys(lang).collect();
        keys.sort_unstable();
        for key in keys {
            hash.update(key.as_bytes());
            hash.update(catalog.text(lang, key).as_bytes());
        }
    }
    hash.update(format!("{station:?}").as_bytes());
    hash.update(base_url.as_bytes());
    format!("{:016x}", hash.digest())
}

impl SiteBuilder {
    /// A builder for `station`'s site, published at `base_url` (absolute links in the
    /// sitemap and the feeds; no trailing slash needed).
    pub fn new(
        station: std::sync::Arc<Station>,
        base_url: &str,
    ) -> Result<SiteBuilder, BuildError> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        Ok(SiteBuilder {
            renderer: Renderer::new()?,
            version: site_version(&station, &base_url),
            station,
            policy: PolicyPages::embedded()?,
            base_url,
            cards: std::sync::Mutex::new(Cards::default()),
        })
    }

    /// A fingerprint of everything besides records that shapes the output: templates,
    /// static files, policy content, the language catalogue, the station's settings and
    /// the base URL. A sink built with another version gets a full build.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The station.
    pub fn station(&self) -> &std::sync::Arc<Station> {
        &self.station
    }

    /// The renderer (for the pages the API answers with).
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    fn lang_context(&self, lang: Lang) -> LangContext {
        LangContext {
            lang,
            root: root_of(lang),
            prefix: if lang == Lang::En { "en/" } else { "" },
            station: Value::from(Serde(StationView::new(&self.station, lang))),
            empty_form: Value::from(Serde(FormState::empty())),
            report_reasons: Value::from(Serde(
                ReportReason::ALL
                    .iter()
                    .map(|r| Choice {
                        value: r.as_str(),
                        label: t(lang, &format!("report.reason_{}", r.as_str())),
                    })
                    .collect::<Vec<_>>(),
            )),
        }
    }

    fn page(
        &self,
        lc: &LangContext,
        template: &str,
        rel: &str,
        file: &str,
        extra: Vec<(&'static str, Value)>,
    ) -> Result<SiteFile, BuildError> {
        let other = if lc.lang == Lang::En {
            Lang::Zh
        } else {
            Lang::En
        };
        // One flat map (a merged context makes every lookup walk two).
        let mut ctx: Vec<(&'static str, Value)> = Vec::with_capacity(8 + extra.len());
        ctx.push(("lang", Value::from(lc.lang.tag())));
        ctx.push(("root", Value::from(lc.root)));
        ctx.push((
            "other_lang_url",
            Value::from(format!("{}{rel}", root_of(other))),
        ));
        ctx.push(("path", Value::from(rel)));
        ctx.push(("station", lc.station.clone()));
        ctx.push(("form", lc.empty_form.clone()));
        ctx.extend(extra);
        let html = self
            .renderer
            .render_in(lc.lang, template, Value::from_pairs(ctx))?;
        Ok((format!("{}{file}", lc.prefix), html.into_bytes()))
    }

    fn job_view<'a>(&'a self, lang: Lang, job: &'a BoardJob) -> JobView<'a> {
        let root = root_of(lang);
        JobView {
            id: &job.id,
            number: lingong_core::notices::sms_catalogue::job_number(&job.id),
            url: format!("{root}jobs/{}/", job.id),
            title: &job.title,
            trade: &job.trade,
            trade_name: self
                .station
                .trade(&job.trade)
                .map(|t| t.name.get(lang))
                .unwrap_or(&job.trade),
            trade_url: format!("{root}trades/{}/", job.trade),
            district: &job.district,
            district_name: self
                .station
                .district(&job.district)
                .map(|d| d.name.get(lang))
                .unwrap_or(&job.district),
            district_url: format!("{root}districts/{}/", job.district),
            address: &job.address,
            start: format_date(lang, job.dates.start),
            end: format_date(lang, job.dates.end),
            start_iso: job.dates.start.to_string(),
            end_iso: job.dates.end.to_string(),
            days: job.dates.days(),
            headcount: job.headcount,
            open_places: job.open_places,
            wage: job.daily_wage.to_string(),
            pay_terms: job.pay_terms.as_str(),
            employer_name: &job.employer_name,
            verified: job.employer_verified,
            description: &job.description,
            requirements: &job.requirements,
        }
    }

    /// Every file of the site.
    pub fn render_all(
        &self,
        facts: &BoardFacts,
        today: NaiveDate,
    ) -> Result<Vec<SiteFile>, BuildError> {
        let board = facts.board();
        let groups = self.all_groups(&board);
        let files = self.render(facts, today, &groups)?;
        self.prune_cards(&board);
        Ok(files)
    }

    fn all_groups(&self, board: &[&BoardJob]) -> BTreeSet<Group> {
        let mut groups: BTreeSet<Group> = BOARD_WIDE.into_iter().collect();
        groups.insert(Group::Static);
        groups.extend(EXTRA_PAGES);
        for trade in &self.station.trades {
            groups.insert(Group::Trade(trade.slug.clone()));
        }
        for district in &self.station.districts {
            groups.insert(Group::District(district.slug.clone()));
        }
        for job in board {
            groups.extend(groups_of_job(&self.station, job));
        }
        groups
    }

    /// Every group of the site, in chunks of about `size` groups, so a full build can
    /// be rendered and written a chunk at a time (memory stays flat as the board grows).
    pub fn plan_all(&self, facts: &BoardFacts, size: usize) -> Vec<BTreeSet<Group>> {
        let board = facts.board();
        let all: Vec<Group> = self.all_groups(&board).into_iter().collect();
        all.chunks(size.max(1))
            .map(|chunk| chunk.iter().cloned().collect())
            .collect()
    }

    /// The files of one chunk of [`SiteBuilder::plan_all`].
    pub fn render_chunk(
        &self,
        facts: &BoardFacts,
        today: NaiveDate,
        groups: &BTreeSet<Group>,
    ) -> Result<Vec<SiteFile>, BuildError> {
        self.render(facts, today, groups)
    }

    /// Forgets cached cards of jobs that left the board (after a full build).
    pub fn forget_stale_cards(&self, facts: &BoardFacts) {
        self.prune_cards(&facts.board());
    }

    /// The files of `groups` and the scope they are authoritative for.
    pub fn render_groups(
        &self,
        facts: &BoardFacts,
        today: NaiveDate,
        groups: &BTreeSet<Group>,
    ) -> Result<(Vec<SiteFile>, Scope), BuildError> {
        Ok((self.render(facts, today, groups)?, scope_of(groups)))
    }

    fn render(
        &self,
        facts: &BoardFacts,
        today: NaiveDate,
        groups: &BTreeSet<Group>,
    ) -> Result<Vec<SiteFile>, BuildError> {
        let langs = [self.lang_context(Lang::Zh), self.lang_context(Lang::En)];
        self.ensure_cards(facts, groups)?;
        let stats = groups
            .contains(&Group::Stats)
            .then(|| facts.stats(&self.station, today));
        let groups: Vec<&Group> = groups.iter().collect();
        let rendered: Vec<Result<Vec<SiteFile>, BuildError>> = groups
            .par_iter()
            .flat_map_iter(|group| langs.iter().map(move |lc| (*group, lc)))
            .map(|(group, lc)| match group {
                Group::Home => self.home(lc, facts).map(|f| vec![f]),
                Group::Job(id) => match facts.board_job(id) {
                    Some(job) => self.job_page(lc, job).map(|f| vec![f]),
                    None => Ok(vec![]),
                },
                Group::Trade(slug) => self.listing(lc, facts, "trades", slug),
                Group::District(slug) => self.listing(lc, facts, "districts", slug),
                Group::Stats => match &stats {
                    Some(stats) => self.stats_page(lc, stats).map(|f| vec![f]),
                    None => Ok(vec![]),
                },
                Group::Feeds => self.feeds(lc, facts),
                Group::SitemapIndex => {
                    if lc.lang == Lang::Zh {
                        self.sitemap_index(facts)
                    } else {
                        Ok(vec![])
                    }
                }
                Group::SitemapWeek(week) => {
                    if lc.lang == Lang::Zh {
                        self.sitemap_week(facts, week)
                    } else {
                        Ok(vec![])
                    }
                }
                Group::Static => self.static_pages(lc),
                Group::Policy => self.policy_pages(lc, facts),
                Group::Training => self.training_page(lc, facts, today).map(|f| vec![f]),
                Group::Live => self.live_page(lc, facts, today).map(|f| vec![f]),
            })
            .collect();
        let mut files = Vec::new();
        for result in rendered {
            files.extend(result?);
        }
        Ok(files)
    }

    /// The cards the listings and home of `groups` show, rendered where the cache has
    /// none for the job's current version.
    /// Renders the cards the listings and home of `groups` show where the cache has
    /// none for the job's current version.
    fn ensure_cards(&self, facts: &BoardFacts, groups: &BTreeSet<Group>) -> Result<(), BuildError> {
        let mut wanted: Vec<&BoardJob> = Vec::new();
        for group in groups {
            match group {
                Group::Home => wanted.extend(facts.newest(HOME_JOBS)),
                Group::Trade(slug) => wanted.extend(facts.board_in_trade(slug)),
                Group::District(slug) => wanted.extend(facts.board_in_district(slug)),
                _ => {}
            }
        }
        let version = |job: &BoardJob| job.version;
        let mut missing: Vec<&BoardJob> = {
            let cache = self
                .cards
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            wanted
                .into_iter()
                .filter(|job| {
                    cache
                        .get(job.id.as_str())
                        .is_none_or(|(v, _, _)| *v != version(job))
                })
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_by(|a, b| a.id.cmp(&b.id));
        missing.dedup_by(|a, b| a.id == b.id);
        let card = |job: &BoardJob, lang: Lang| -> Result<std::sync::Arc<str>, BuildError> {
            Ok(std::sync::Arc::from(self.renderer.render_in(
                lang,
                "partials/job_card.html",
                Value::from_pairs([
                    ("lang", Value::from(lang.tag())),
                    ("job", Value::from(Serde(self.job_view(lang, job)))),
                ]),
            )?))
        };
        type Fresh<'j> = Result<(&'j BoardJob, [std::sync::Arc<str>; 2]), BuildError>;
        let fresh: Vec<Fresh> = missing
            .par_iter()
            .map(|job| Ok((*job, [card(job, Lang::Zh)?, card(job, Lang::En)?])))
            .collect();
        let mut cache = self
            .cards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for result in fresh {
            let (job, [zh, en]) = result?;
            cache.insert(job.id.clone(), (version(job), zh, en));
        }
        Ok(())
    }

    /// The cards of `jobs` in `lang`, one after the other (see [`SiteBuilder::ensure_cards`]).
    fn join_cards<'a>(&self, lang: Lang, jobs: impl Iterator<Item = &'a &'a BoardJob>) -> String {
        let cards: Vec<std::sync::Arc<str>> = {
            let cache = self
                .cards
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            jobs.filter_map(|job| {
                cache.get(job.id.as_str()).map(|(_, zh, en)| {
                    if lang == Lang::En {
                        en.clone()
                    } else {
                        zh.clone()
                    }
                })
            })
            .collect()
        };
        let mut out = String::with_capacity(cards.iter().map(|c| c.len() + 1).sum());
        for card in cards {
            out.push_str(&card);
            out.push('\n');
        }
        out
    }

    /// Forgets cards of jobs no longer on the board (after a full build).
    fn prune_cards(&self, board: &[&BoardJob]) {
        let live: std::collections::HashSet<&str> = board.iter().map(|j| j.id.as_str()).collect();
        self.cards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|id, _| live.contains(id.as_str()));
    }

    fn home(&self, lc: &LangContext, facts: &BoardFacts) -> Result<SiteFile, BuildError> {
        let newest = self.join_cards(lc.lang, facts.newest(HOME_JOBS).iter());
        let trades: Vec<Count> = self
            .station
            .trades
            .iter()
            .map(|tr| Count {
                slug: tr.slug.clone(),
                name: tr.name.get(lc.lang).to_owned(),
                url: format!("{}trades/{}/", lc.root, tr.slug),
                jobs: facts.count_in_trade(&tr.slug),
            })
            .collect();
        let districts: Vec<Count> = self
            .station
            .districts
            .iter()
            .map(|d| Count {
                slug: d.slug.clone(),
                name: d.name.get(lc.lang).to_owned(),
                url: format!("{}districts/{}/", lc.root, d.slug),
                jobs: facts.count_in_district(&d.slug),
            })
            .collect();
        self.page(
            lc,
            "pages/home.html",
            "",
            "index.html",
            vec![
                ("cards", Value::from_safe_string(newest)),
                ("trades", Value::from(Serde(&trades))),
                ("districts", Value::from(Serde(&districts))),
                ("total_jobs", Value::from(facts.board_len())),
                ("open_places", Value::from(facts.open_places())),
            ],
        )
    }

    fn job_page(&self, lc: &LangContext, job: &BoardJob) -> Result<SiteFile, BuildError> {
        let rel = format!("jobs/{}/", job.id);
        self.page(
            lc,
            "pages/job.html",
            &rel,
            &format!("{rel}index.html"),
            vec![
                ("job", Value::from(Serde(self.job_view(lc.lang, job)))),
                ("report_reasons", lc.report_reasons.clone()),
            ],
        )
    }

    fn listing(
        &self,
        lc: &LangContext,
        facts: &BoardFacts,
        kind: &str,
        slug: &str,
    ) -> Result<Vec<SiteFile>, BuildError> {
        let (name, jobs): (&str, Vec<&BoardJob>) = if kind == "trades" {
            let Some(trade) = self.station.trade(slug) else {
                return Ok(vec![]);
            };
            (trade.name.get(lc.lang), facts.board_in_trade(slug))
        } else {
            let Some(district) = self.station.district(slug) else {
                return Ok(vec![]);
            };
            (district.name.get(lc.lang), facts.board_in_district(slug))
        };
        let pages = jobs.len().div_ceil(PAGE_SIZE).max(1);
        let base = format!("{kind}/{slug}/");
        let rel_of = |n: usize| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}page/{n}/")
            }
        };
        let total = jobs.len();
        (1..=pages)
            .into_par_iter()
            .map(|n| {
                let chunk = self.join_cards(
                    lc.lang,
                    jobs.iter().skip((n - 1) * PAGE_SIZE).take(PAGE_SIZE),
                );
                let links: Vec<PageLink> = (1..=pages)
                    .filter(|p| pages <= 9 || *p == 1 || *p == pages || p.abs_diff(n) <= 2)
                    .map(|p| PageLink {
                        number: p,
                        url: format!("{}{}", lc.root, rel_of(p)),
                        current: p == n,
                    })
                    .collect();
                let rel = rel_of(n);
                self.page(
                    lc,
                    "pages/listing.html",
                    &rel,
                    &format!("{rel}index.html"),
                    vec![
                        ("kind", Value::from(kind)),
                        ("name", Value::from(name)),
                        ("cards", Value::from_safe_string(chunk)),
                        ("total", Value::from(total)),
                        ("page", Value::from(n)),
                        ("pages", Value::from(pages)),
                        ("page_links", Value::from(Serde(&links))),
                        (
                            "prev_url",
                            Value::from((n > 1).then(|| format!("{}{}", lc.root, rel_of(n - 1)))),
                        ),
                        (
                            "next_url",
                            Value::from(
                                (n < pages).then(|| format!("{}{}", lc.root, rel_of(n + 1))),
                            ),
                        ),
                    ],
                )
            })
            .collect()
    }

    fn stats_page(&self, lc: &LangContext, stats: &BoardStats) -> Result<SiteFile, BuildError> {
        let lang = lc.lang;
        let yuan = |m: Option<lingong_core::money::Money>| {
            m.map(|m| tf(lang, "stats.yuan", &[("amount", Arg::Text(m.to_string()))]))
                .unwrap_or_else(|| t(lang, "stats.none").to_owned())
        };
        let trade_name = |slug: &str| {
            self.station
                .trade(slug)
                .map(|t| t.name.get(lang).to_owned())
                .unwrap_or_default()
        };
        let district_name = |slug: &str| {
            self.station
                .district(slug)
                .map(|d| d.name.get(lang).to_owned())
                .unwrap_or_default()
        };
        let wage_bars: Vec<Bar> = stats
            .by_trade
            .iter()
            .map(|g| Bar {
                label: trade_name(&g.slug),
                value: g.average_wage.map(|m| m.fen()).unwrap_or(0),
                shown: yuan(g.average_wage),
            })
            .collect();
        let trade_bars: Vec<Bar> = stats
            .by_trade
            .iter()
            .map(|g| Bar {
                label: trade_name(&g.slug),
                value: g.open_places,
                shown: g.open_places.to_string(),
            })
            .collect();
        let district_bars: Vec<Bar> = stats
            .by_district
            .iter()
            .map(|g| Bar {
                label: district_name(&g.slug),
                value: g.open_places,
                shown: g.open_places.to_string(),
            })
            .collect();
        let weeks: Vec<WeekBar> = stats
            .trend
            .iter()
            .map(|w| WeekBar {
                label: format!("{}/{}", w.week_start.month(), w.week_start.day()),
                places: w.places_posted,
                placements: w.placements,
            })
            .collect();
        let ratio = stats
            .places_per_worker_x100
            .map(|r| format!("{}.{:02}", r / 100, r % 100))
            .unwrap_or_else(|| t(lang, "stats.none").to_owned());
        let charts = context! {
            wage => Value::from_safe_string(charts::bar_chart("c-wage", t(lang, "stats.chart_wage"), &wage_bars)),
            trades => Value::from_safe_string(charts::bar_chart("c-trade", t(lang, "stats.chart_trades"), &trade_bars)),
            districts => Value::from_safe_string(charts::bar_chart("c-district", t(lang, "stats.chart_districts"), &district_bars)),
            trend => Value::from_safe_string(charts::trend_chart(
                "c-trend",
                t(lang, "stats.chart_trend"),
                (t(lang, "stats.places_posted"), t(lang, "stats.placements")),
                &weeks,
            )),
        };
        let rows = |bars: &[Bar]| -> Vec<(String, String)> {
            bars.iter()
                .map(|b| (b.label.clone(), b.shown.clone()))
                .collect()
        };
        let trend_rows: Vec<(String, u64, u64, u64)> = stats
            .trend
            .iter()
            .map(|w| {
                (
                    format_date(lang, w.week_start),
                    w.jobs_posted,
                    w.places_posted,
                    w.placements,
                )
            })
            .collect();
        self.page(
            lc,
            "pages/stats.html",
            "stats/",
            "stats/index.html",
            vec![
                ("stats", Value::from(Serde(stats))),
                ("as_of", Value::from(format_date(lang, stats.as_of))),
                (
                    "average_offered",
                    Value::from(yuan(stats.average_offered_wage)),
                ),
                ("average_paid", Value::from(yuan(stats.average_paid_wage))),
                ("ratio", Value::from(ratio)),
                ("charts", charts),
                ("wage_rows", Value::from(Serde(rows(&wage_bars)))),
                ("trade_rows", Value::from(Serde(rows(&trade_bars)))),
                ("district_rows", Value::from(Serde(rows(&district_bars)))),
                ("trend_rows", Value::from(Serde(trend_rows))),
            ],
        )
    }

    fn feeds(&self, lc: &LangContext, facts: &BoardFacts) -> Result<Vec<SiteFile>, BuildError> {
        let board = facts.newest(JSON_JOBS.max(FEED_JOBS));
        let entries: Vec<JobView> = board
            .iter()
            .take(FEED_JOBS)
            .map(|j| self.job_view(lc.lang, j))
            .collect();
        let updated: Vec<String> = board
            .iter()
            .take(FEED_JOBS)
            .map(|j| lingong_core::keys::sortable_time(j.listed_at))
            .collect();
        let feed_updated = updated
            .first()
            .cloned()
            .unwrap_or_else(|| "2023-06-02T00:00:00.000Z".to_owned());
        let (_, feed) = self.page(
            lc,
            "feed.xml",
            "feed.xml",
            "feed.xml",
            vec![
                ("base_url", Value::from(self.base_url.as_str())),
                ("entries", Value::from(Serde(&entries))),
                ("entry_updated", Value::from(Serde(updated))),
                ("feed_updated", Value::from(feed_updated)),
            ],
        )?;
        let mut files = vec![(format!("{}feed.xml", lc.prefix), feed)];
        if lc.lang == Lang::Zh {
            files.push((
                "jobs.json".into(),
                self.jobs_json(&board, facts.board_len())?,
            ));
        }
        Ok(files)
    }

    fn jobs_json(&self, board: &[&BoardJob], total: usize) -> Result<Vec<u8>, BuildError> {
        #[derive(Serialize)]
        struct Entry<'a> {
            id: &'a str,
            url: String,
            title: &'a str,
            trade: &'a str,
            district: &'a str,
            address: &'a str,
            start_date: NaiveDate,
            end_date: NaiveDate,
            headcount: u16,
            open_places: u16,
            daily_wage_yuan: String,
            pay_terms: &'static str,
            employer_name: &'a str,
            employer_verified: bool,
            description: &'a str,
            requirements: &'a str,
            listed_at: String,
        }
        let jobs: Vec<Entry> = board
            .iter()
            .take(JSON_JOBS)
            .map(|j| Entry {
                id: &j.id,
                url: format!("{}/jobs/{}/", self.base_url, j.id),
                title: &j.title,
                trade: &j.trade,
                district: &j.district,
                address: &j.address,
                start_date: j.dates.start,
                end_date: j.dates.end,
                headcount: j.headcount,
                open_places: j.open_places,
                daily_wage_yuan: j.daily_wage.to_string(),
                pay_terms: j.pay_terms.as_str(),
                employer_name: &j.employer_name,
                employer_verified: j.employer_verified,
                description: &j.description,
                requirements: &j.requirements,
                listed_at: lingong_core::keys::sortable_time(j.listed_at),
            })
            .collect();
        // A struct, not `json!`: its fields keep their declared order whichever
        // serde_json features other crates in the build switch on.
        #[derive(Serialize)]
        struct Body<'a> {
            station: &'a str,
            total: usize,
            jobs: Vec<Entry<'a>>,
        }
        let body = Body {
            station: self.station.id.as_str(),
            total,
            jobs,
        };
        // `<`, `>` and `&` only ever occur inside JSON strings: writing them as \u
        // escapes keeps the file inert even if something shows it as HTML.
        let text = serde_json::to_string_pretty(&body)?
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        Ok(format!("{text}\n").into_bytes())
    }

    fn static_urls(&self) -> Vec<String> {
        let rels = vec![
            String::new(),
            "stats/".into(),
            "post/".into(),
            "signup/".into(),
            "rights/".into(),
            "about/".into(),
            "privacy/".into(),
            "policy/".into(),
            "training/".into(),
            "live/".into(),
        ];
        rels
    }

    /// The policy pages in force: the shipped files with staff's pages over them.
    fn policy_in_force(&self, facts: &BoardFacts) -> PolicyPages {
        self.policy.with_overrides(facts.policies.pages())
    }

    fn sitemap_index(&self, facts: &BoardFacts) -> Result<Vec<SiteFile>, BuildError> {
        let mut rels = self.static_urls();
        for (kind, slugs) in [
            (
                "trades",
                self.station
                    .trades
                    .iter()
                    .map(|t| t.slug.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                "districts",
                self.station
                    .districts
                    .iter()
                    .map(|d| d.slug.as_str())
                    .collect(),
            ),
        ] {
            for slug in slugs {
                let n = if kind == "trades" {
                    facts.count_in_trade(slug)
                } else {
                    facts.count_in_district(slug)
                };
                let pages = n.div_ceil(PAGE_SIZE).max(1);
                for p in 1..=pages {
                    rels.push(if p == 1 {
                        format!("{kind}/{slug}/")
                    } else {
                        format!("{kind}/{slug}/page/{p}/")
                    });
                }
            }
        }
        let weeks: Vec<(i32, u32)> = facts.board_weeks().collect();
        let mut urls: Vec<String> = rels
            .iter()
            .flat_map(|rel| {
                LANG_PREFIXES
                    .iter()
                    .map(move |l| format!("{}/{l}{rel}", self.base_url))
            })
            .collect();
        // A page staff added may exist in one language only.
        let policy = self.policy_in_force(facts);
        for (lang, l) in [(Lang::Zh, ""), (Lang::En, "en/")] {
            urls.extend(
                policy
                    .pages(lang)
                    .iter()
                    .map(|p| format!("{}/{l}policy/{}/", self.base_url, p.slug)),
            );
        }
        let pages = self.renderer.render(
            "sitemap.xml",
            context! { urls => urls, lastmods => Vec::<String>::new() },
        )?;
        let mut maps = vec![format!("{}/sitemaps/pages.xml", self.base_url)];
        maps.extend(
            weeks
                .iter()
                .map(|(y, w)| format!("{}/sitemaps/jobs-{y}-W{w:02}.xml", self.base_url)),
        );
        let index = self
            .renderer
            .render("sitemap_index.xml", context! { maps => maps })?;
        Ok(vec![
            ("sitemap.xml".into(), index.into_bytes()),
            ("sitemaps/pages.xml".into(), pages.into_bytes()),
        ])
    }

    fn sitemap_week(&self, facts: &BoardFacts, week: &str) -> Result<Vec<SiteFile>, BuildError> {
        let Some(target) = week
            .split_once("-W")
            .and_then(|(y, w)| Some((y.parse::<i32>().ok()?, w.parse::<u32>().ok()?)))
        else {
            return Ok(vec![]);
        };
        let mut jobs = facts.board_in_week(target);
        if jobs.is_empty() {
            return Ok(vec![]);
        }
        jobs.sort_by(|a, b| a.id.cmp(&b.id));
        // Written directly: thousands of entries, nothing a template adds.
        let mut base = String::new();
        crate::escape_html(&self.base_url, &mut base).unwrap_or_default();
        let mut xml = String::with_capacity(120 + jobs.len() * 2 * 110);
        xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        for job in jobs {
            let lastmod = job.listed_day.to_string();
            for l in LANG_PREFIXES {
                for part in [
                    "<url><loc>",
                    base.as_str(),
                    "/",
                    l,
                    "jobs/",
                    job.id.as_str(),
                    "/</loc><lastmod>",
                    lastmod.as_str(),
                    "</lastmod></url>\n",
                ] {
                    xml.push_str(part);
                }
            }
        }
        xml.push_str("</urlset>\n");
        Ok(vec![(
            format!("sitemaps/jobs-{week}.xml"),
            xml.into_bytes(),
        )])
    }

    fn static_pages(&self, lc: &LangContext) -> Result<Vec<SiteFile>, BuildError> {
        let lang = lc.lang;
        let mut files = vec![
            self.page(
                lc,
                "pages/post_job.html",
                "post/",
                "post/index.html",
                vec![],
            )?,
            self.page(
                lc,
                "pages/sign_up.html",
                "signup/",
                "signup/index.html",
                vec![],
            )?,
            self.page(
                lc,
                "pages/rights.html",
                "rights/",
                "rights/index.html",
                vec![],
            )?,
            self.page(lc, "pages/about.html", "about/", "about/index.html", vec![])?,
            self.page(
                lc,
                "pages/privacy.html",
                "privacy/",
                "privacy/index.html",
                vec![],
            )?,
            self.page(lc, "pages/not_found.html", "", "404.html", vec![])?,
        ];
        if lang == Lang::Zh {
            let robots = self
                .renderer
                .render("robots.txt", context! { base_url => &self.base_url })?;
            files.push(("robots.txt".into(), robots.into_bytes()));
            for (name, body) in STATIC_FILES {
                files.push((format!("assets/{name}"), body.as_bytes().to_vec()));
            }
        }
        Ok(files)
    }
}

// ---- training, livestreams and policy pages (issue 6) ----

impl SiteBuilder {
    fn policy_pages(
        &self,
        lc: &LangContext,
        facts: &BoardFacts,
    ) -> Result<Vec<SiteFile>, BuildError> {
        let lang = lc.lang;
        let policy = self.policy_in_force(facts);
        let mut files = vec![self.page(
            lc,
            "pages/policy_index.html",
            "policy/",
            "policy/index.html",
            vec![("pages", Value::from(Serde(policy.pages(lang))))],
        )?];
        for page in policy.pages(lang) {
            let rel = format!("policy/{}/", page.slug);
            files.push(self.page(
                lc,
                "pages/policy.html",
                &rel,
                &format!("{rel}index.html"),
                vec![
                    ("page", Value::from(Serde(page))),
                    // Rendered by `content::markdown_to_html`: raw HTML is text and
                    // unsafe links are dropped, so staff's text cannot add markup.
                    ("body", Value::from_safe_string(page.html.clone())),
                    ("updated", Value::from(format_date(lang, page.updated))),
                ],
            )?);
        }
        Ok(files)
    }

    fn training_page(
        &self,
        lc: &LangContext,
        facts: &BoardFacts,
        today: NaiveDate,
    ) -> Result<SiteFile, BuildError> {
        let courses: Vec<crate::outreach::CourseView> = facts
            .events
            .upcoming_courses(today, self.station.time_zone)
            .into_iter()
            .map(|c| crate::outreach::CourseView::new(&self.station, lc.lang, c))
            .collect();
        self.page(
            lc,
            "pages/training.html",
            "training/",
            "training/index.html",
            vec![("courses", Value::from(Serde(courses)))],
        )
    }

    fn live_page(
        &self,
        lc: &LangContext,
        facts: &BoardFacts,
        today: NaiveDate,
    ) -> Result<SiteFile, BuildError> {
        let lives: Vec<crate::outreach::LiveView> = facts
            .events
            .upcoming_lives(today, self.station.time_zone)
            .into_iter()
            .map(|l| crate::outreach::LiveView::new(&self.station, lc.lang, l, facts))
            .collect();
        self.page(
            lc,
            "pages/live.html",
            "live/",
            "live/index.html",
            vec![("lives", Value::from(Serde(lives)))],
        )
    }
}
