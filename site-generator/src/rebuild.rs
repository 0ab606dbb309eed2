//! Keeping the board current: [`SiteRebuilder`] builds the whole site once, then, for
//! each batch of changes, re-reads the records that changed, works out the page groups
//! they touch (the job's page, its trade and district listings — before and after the
//! change —, its sitemap week, home, the data wall, the feeds) and publishes only
//! those. A job that left the board has its pages deleted.
//!
//! The same consumer runs in `lingong serve` (fed by the embedded store's change log)
//! and as the stream-triggered Lambda function (fed by DynamoDB Streams). It is safe
//! to run twice on the same batch: records are read as stored now, and unchanged files
//! are not written. If another process published since this one last did (the sink's
//! generation moved), the facts are loaded afresh before anything is rendered.

use std::{collections::BTreeSet, sync::Arc};

use async_trait::async_trait;
use chrono::NaiveDate;
use lingong_core::{
    App,
    board::{BoardFacts, FactKind},
    changes::{Change, ChangeConsumer, ConsumeError},
    store::{Key, StoreError},
};
use tokio::sync::Mutex;

use crate::{
    publish::{Manifest, PublishReport, Sink, SinkError, content_hash, publish},
    site::{BOARD_WIDE, BuildError, EXTRA_PAGES, Group, SiteBuilder, groups_of_job},
};

/// Why a build or rebuild failed.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// Reading records failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Rendering failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Writing failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

/// Groups rendered and written at once by a full build: large enough to keep both
/// cores busy, small enough that memory does not grow with the board.
const FULL_BUILD_CHUNK: usize = 2000;

fn empty_manifest(generation: u64) -> Manifest {
    Manifest {
        generation,
        version: String::new(),
        files: Default::default(),
    }
}

struct Built {
    facts: BoardFacts,
    manifest: Manifest,
    today: NaiveDate,
}

/// Builds the board and keeps it current.
pub struct SiteRebuilder {
    app: App,
    site: SiteBuilder,
    sink: Arc<dyn Sink>,
    state: Mutex<Option<Built>>,
}

impl std::fmt::Debug for SiteRebuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteRebuilder")
            .field("site", &self.site)
            .finish()
    }
}

impl SiteRebuilder {
    /// A rebuilder of `site` (one station's board) from `app`'s store into `sink`.
    pub fn new(app: App, site: SiteBuilder, sink: Arc<dyn Sink>) -> SiteRebuilder {
        SiteRebuilder {
            app,
            site,
            sink,
            state: Mutex::new(None),
        }
    }

    /// The site builder.
    pub fn site(&self) -> &SiteBuilder {
        &self.site
    }

    fn today(&self) -> NaiveDate {
        self.site.station().today(self.app.clock.now())
    }

    async fn load(&self) -> Result<Built, RebuildError> {
        let now = self.app.clock.now();
        Ok(Built {
            facts: self.app.board_facts(self.site.station(), now).await?,
            manifest: self.sink.load_manifest().await?,
            today: self.site.station().today(now),
        })
    }

    /// Loads every fact afresh, renders the whole site and publishes what changed.
    pub async fn build_all(&self) -> Result<PublishReport, RebuildError> {
        let mut state = self.state.lock().await;
        self.build_all_locked(&mut state).await
    }

    async fn build_all_locked(
        &self,
        state: &mut Option<Built>,
    ) -> Result<PublishReport, RebuildError> {
        *state = None;
        let mut built = self.load().await?;
        let old = std::mem::take(&mut built.manifest);
        let generation = old.generation + 1;
        let mut new = Manifest {
            generation,
            version: self.site.version().to_owned(),
            files: Default::default(),
        };
        let mut report = PublishReport::default();
        // Rendered and written a chunk at a time. Before the first write the stored
        // manifest is emptied: a crash half-way then leads to a full build, never to a
        // stale file taken as current.
        let mut started = false;
        for groups in self.site.plan_all(&built.facts, FULL_BUILD_CHUNK) {
            let files = self.site.render_chunk(&built.facts, built.today, &groups)?;
            report.rendered += files.len();
            let hashes: Vec<u128> = {
                use rayon::prelude::*;
                files.par_iter().map(|(_, b)| content_hash(b)).collect()
            };
            let mut to_put = Vec::new();
            for ((path, bytes), hash) in files.into_iter().zip(hashes) {
                if old.files.get(&path) != Some(&hash) {
                    report.written.push(path.clone());
                    to_put.push((path.clone(), bytes));
                }
                new.files.insert(path, hash);
            }
            if !to_put.is_empty() {
                if !started {
                    self.sink.save_manifest(&empty_manifest(generation)).await?;
                    started = true;
                }
                self.sink.put(&to_put).await?;
            }
        }
        let stale: Vec<String> = old
            .files
            .keys()
            .filter(|p| !new.files.contains_key(*p))
            .cloned()
            .collect();
        if !stale.is_empty() {
            if !started {
                self.sink.save_manifest(&empty_manifest(generation)).await?;
                started = true;
            }
            self.sink.delete(&stale).await?;
            report.deleted = stale;
        }
        if started {
            let mut changed = report.written.clone();
            changed.extend(report.deleted.iter().cloned());
            self.sink.changed(generation, &changed).await?;
            self.sink.save_manifest(&new).await?;
            built.manifest = new;
        } else {
            built.manifest = old;
            if built.manifest.version != self.site.version() {
                // Nothing changed, but the manifest must record the version it matches.
                built.manifest.version = self.site.version().to_owned();
                self.sink.save_manifest(&built.manifest).await?;
            }
        }
        self.site.forget_stale_cards(&built.facts);
        *state = Some(built);
        tracing::info!(
            station = %self.site.station().id,
            rendered = report.rendered,
            written = report.written.len(),
            deleted = report.deleted.len(),
            "site built"
        );
        Ok(report)
    }

    /// The state to build on: kept from the last publish if nobody published since and
    /// the templates are the same; `None` when a full build is due.
    async fn current(&self, state: &mut Option<Built>) -> Result<Option<Built>, RebuildError> {
        let generation = self.sink.generation().await?;
        let built = match state.take() {
            Some(built) if built.manifest.generation == generation => built,
            _ => self.load().await?,
        };
        if built.manifest.files.is_empty() || built.manifest.version != self.site.version() {
            return Ok(None);
        }
        Ok(Some(built))
    }

    /// Re-renders what `changes` touch and publishes it. An empty batch reconciles:
    /// a full build if the sink is empty, stale or built by other templates, else the
    /// data wall if the day has changed.
    pub async fn rebuild_after_change(
        &self,
        changes: &[Change],
    ) -> Result<PublishReport, RebuildError> {
        let mut state = self.state.lock().await;
        let Some(mut built) = self.current(&mut state).await? else {
            return self.build_all_locked(&mut state).await;
        };
        let today = self.today();
        let day_changed = built.today != today;
        built.today = today;
        let station = self.site.station().clone();
        let mut keys: Vec<Key> = changes
            .iter()
            .map(|c| c.key.clone())
            .filter(|k| built.facts.cares_about(k))
            .collect();
        keys.sort();
        keys.dedup();
        let mut groups: BTreeSet<Group> = BTreeSet::new();
        if day_changed {
            groups.insert(Group::Stats);
            // Courses and livestreams of past days leave their pages.
            groups.extend([Group::Training, Group::Live]);
        }
        if keys.is_empty() && groups.is_empty() {
            *state = Some(built);
            return Ok(PublishReport::default());
        }
        let jobs: Vec<String> = keys
            .iter()
            .filter(|k| FactKind::of(k) == Some(FactKind::Job))
            .filter_map(|k| k.pk.rsplit('#').next().map(str::to_owned))
            .collect();
        let job_groups = |facts: &BoardFacts, groups: &mut BTreeSet<Group>| {
            for id in &jobs {
                // A job off the board still owns its page's paths (to delete them).
                groups.insert(Group::Job(id.clone()));
                if let Some(job) = facts.board_job(id) {
                    groups.extend(groups_of_job(&station, job));
                }
            }
        };
        job_groups(&built.facts, &mut groups);
        self.app
            .refresh_board_facts(&mut built.facts, &keys)
            .await?;
        job_groups(&built.facts, &mut groups);
        // Courses, livestreams and policy pages (issue 6) have pages of their own; a
        // livestream page names the jobs it features, so job changes touch it too.
        let extra = extra_groups(&keys);
        let facts_changed = keys.len() > extra.1;
        groups.extend(extra.0);
        if !jobs.is_empty() {
            groups.insert(Group::Live);
        }
        if facts_changed {
            if jobs.is_empty() {
                // Workers, employers, placements: only the data wall counts them.
                groups.insert(Group::Stats);
            } else {
                groups.extend(BOARD_WIDE);
            }
        }
        let (files, scope) = self
            .site
            .render_groups(&built.facts, built.today, &groups)?;
        // On failure the state stays empty: the next batch starts from the sink.
        let report = publish(&*self.sink, &mut built.manifest, files, &scope).await?;
        *state = Some(built);
        if report.changed_anything() {
            tracing::info!(
                station = %station.id,
                changes = changes.len(),
                written = report.written.len(),
                deleted = report.deleted.len(),
                "board updated"
            );
        }
        Ok(report)
    }

    /// Reconciles the board with the store and the clock: see
    /// [`SiteRebuilder::rebuild_after_change`] with an empty batch.
    pub async fn refresh_day(&self) -> Result<PublishReport, RebuildError> {
        self.rebuild_after_change(&[]).await
    }
}

#[async_trait]
impl ChangeConsumer for SiteRebuilder {
    fn name(&self) -> &'static str {
        "site"
    }

    async fn consume(&self, changes: &[Change]) -> Result<(), ConsumeError> {
        // The batch is rebuilt as one unit (it is idempotent), so a failure asks for
        // the whole batch again. An empty batch (the scheduled event on AWS) reconciles.
        self.rebuild_after_change(changes)
            .await
            .map(|_| ())
            .map_err(|e| ConsumeError {
                consumer: "site",
                first_failed: 0,
                reason: e.to_string(),
            })
    }
}

/// The page groups the course, livestream and policy records among `keys` touch, and
/// how many of `keys` are such records.
fn extra_groups(keys: &[Key]) -> (BTreeSet<Group>, usize) {
    let mut groups = BTreeSet::new();
    let mut count = 0;
    for key in keys {
        let group = if key.sk == lingong_core::events::COURSE_SK {
            Group::Training
        } else if key.sk == lingong_core::events::LIVE_SK {
            Group::Live
        } else if lingong_core::policy::PolicyFacts::owns(key) {
            // A page added or reverted changes the sitemap too.
            groups.insert(Group::SitemapIndex);
            Group::Policy
        } else {
            continue;
        };
        count += 1;
        groups.insert(group);
    }
    debug_assert!(
        groups
            .iter()
            .all(|g| EXTRA_PAGES.contains(g) || *g == Group::SitemapIndex)
    );
    (groups, count)
}
