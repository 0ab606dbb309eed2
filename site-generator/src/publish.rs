//! Writing a build: what changed since the last one (a content-hash manifest), and the
//! sinks that take the files (a local directory here; S3 in `lingong-site-s3`).
//!
//! A build is a list of `(path, bytes)` plus the part of the site it is authoritative
//! for ([`Scope`]): everything, for a full build, or the path prefixes of the page
//! groups an incremental rebuild re-rendered. [`publish`] writes only files whose hash
//! differs from the manifest, deletes files of the scope the build no longer has, and
//! keeps the manifest truthful across crashes: before writing, the paths about to
//! change are dropped from the stored manifest, so a crash half-way leads to those
//! files being written again, never to a stale file being taken as current.

use std::{collections::BTreeMap, path::PathBuf};

use async_trait::async_trait;
use xxhash_rust::xxh3::xxh3_128;

/// A file of the built site: its path (relative, `/`-separated, e.g.
/// `jobs/01J…/index.html`) and its contents.
pub type SiteFile = (String, Vec<u8>);

/// The content hash of `bytes` as the manifest keeps it.
///
/// XXH3-128: fast enough to hash a 100,000-job site in a fraction of its render time;
/// the manifest only has to notice change, not resist forgery (a forged collision
/// could at worst keep someone's own page from updating).
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxh3_128(bytes)
}

/// What is on the sink: path → content hash, a generation that grows by one with
/// every publish (so a second writer can tell its picture of the sink is stale), and
/// the version of the templates and settings the last full build used (so new
/// templates lead to a full build).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Bumped by every publish that changed something.
    pub generation: u64,
    /// [`crate::site::SiteBuilder::version`] of the last full build (`-` if none).
    pub version: String,
    /// Path → hash of the bytes written there.
    pub files: BTreeMap<String, u128>,
}

const MANIFEST_MAGIC: &str = "lingong-site-manifest 1";

impl Manifest {
    /// The manifest as text: a header line with the generation, then one
    /// `<hash> <path>` line per file (compact and fast for 200,000 files).
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(64 + self.files.len() * 72);
        out.push_str(MANIFEST_MAGIC);
        out.push(' ');
        out.push_str(&self.generation.to_string());
        out.push(' ');
        out.push_str(if self.version.is_empty() {
            "-"
        } else {
            &self.version
        });
        out.push('\n');
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0u8; 32];
        for (path, hash) in &self.files {
            for (i, byte) in hash.to_be_bytes().iter().enumerate() {
                hex[2 * i] = HEX[usize::from(byte >> 4)];
                hex[2 * i + 1] = HEX[usize::from(byte & 15)];
            }
            // Only ASCII hex digits were written.
            out.push_str(std::str::from_utf8(&hex).unwrap_or_default());
            out.push(' ');
            out.push_str(path);
            out.push('\n');
        }
        out
    }

    /// Reads [`Manifest::to_text`]'s form.
    pub fn from_text(text: &str) -> Result<Manifest, SinkError> {
        let bad = |why: &str| SinkError::Manifest(why.to_owned());
        let mut lines = text.lines();
        let header = lines
            .next()
            .and_then(|l| l.strip_prefix(MANIFEST_MAGIC))
            .ok_or_else(|| bad("missing header"))?;
        let mut parts = header.split_whitespace();
        let generation = parts
            .next()
            .and_then(|g| g.parse().ok())
            .ok_or_else(|| bad("missing generation"))?;
        let version = match parts.next() {
            None | Some("-") => String::new(),
            Some(v) => v.to_owned(),
        };
        let mut files = BTreeMap::new();
        for line in lines {
            let (hash, path) = line.split_once(' ').ok_or_else(|| bad("bad line"))?;
            let hash = u128::from_str_radix(hash, 16).map_err(|_| bad("bad hash"))?;
            files.insert(path.to_owned(), hash);
        }
        Ok(Manifest {
            generation,
            version,
            files,
        })
    }

    /// The generation in the header of [`Manifest::to_text`]'s form, reading only the
    /// first line.
    pub fn generation_of(first_line: &str) -> Option<u64> {
        first_line
            .lines()
            .next()?
            .strip_prefix(MANIFEST_MAGIC)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }
}

/// The part of the site a build is authoritative for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole site: anything the build lacks is deleted.
    All,
    /// Only paths equal to one of `exact` or starting with one of `prefixes`.
    Paths {
        /// Whole paths.
        exact: Vec<String>,
        /// Path prefixes, each ending in `/`.
        prefixes: Vec<String>,
    },
}

impl Scope {
    /// The keys of `files` in the scope (a range lookup per prefix, not a scan).
    pub fn paths_in<'a, V>(
        &'a self,
        files: &'a BTreeMap<String, V>,
    ) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        match self {
            Scope::All => Box::new(files.keys()),
            Scope::Paths { exact, prefixes } => Box::new(
                exact
                    .iter()
                    .filter_map(|e| files.get_key_value(e).map(|(k, _)| k))
                    .chain(prefixes.iter().flat_map(|prefix| {
                        files
                            .range::<String, _>(prefix..)
                            .map(|(k, _)| k)
                            .take_while(move |k| k.starts_with(prefix.as_str()))
                    })),
            ),
        }
    }

    /// Whether `path` is in the scope.
    pub fn contains(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Paths { exact, prefixes } => {
                exact.iter().any(|e| e == path) || prefixes.iter().any(|p| path.starts_with(p))
            }
        }
    }
}

/// What a publish did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Files rendered.
    pub rendered: usize,
    /// Files written (new or changed).
    pub written: Vec<String>,
    /// Files deleted.
    pub deleted: Vec<String>,
}

impl PublishReport {
    /// Whether anything on the sink changed.
    pub fn changed_anything(&self) -> bool {
        !self.written.is_empty() || !self.deleted.is_empty()
    }
}

/// Why the sink could not take a build.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A local file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The manifest on the sink is unreadable.
    #[error("unreadable manifest: {0}")]
    Manifest(String),
    /// A remote store (S3, CloudFront) failed.
    #[error("{0}")]
    Remote(String),
}

/// Where a built site goes.
#[async_trait]
pub trait Sink: Send + Sync {
    /// The manifest of what is on the sink (empty if nothing was ever published).
    async fn load_manifest(&self) -> Result<Manifest, SinkError>;
    /// The generation of the stored manifest, read cheaply (0 if none).
    async fn generation(&self) -> Result<u64, SinkError>;
    /// Stores the manifest.
    async fn save_manifest(&self, manifest: &Manifest) -> Result<(), SinkError>;
    /// Records, before a scoped publish writes anything, that `paths` are about to
    /// change: until [`Sink::finish_update`], the stored manifest must not vouch for
    /// them. `manifest` is the whole manifest without them. Saves it whole by default;
    /// a sink may record just the paths.
    async fn begin_update(&self, manifest: &Manifest, _paths: &[String]) -> Result<(), SinkError> {
        self.save_manifest(manifest).await
    }
    /// Records a scoped publish as done: `written` with their hashes, `deleted` gone;
    /// `manifest` is the whole result. Saves it whole by default.
    async fn finish_update(
        &self,
        manifest: &Manifest,
        _written: &[(String, u128)],
        _deleted: &[String],
    ) -> Result<(), SinkError> {
        self.save_manifest(manifest).await
    }
    /// Writes these files, replacing any at their paths.
    async fn put(&self, files: &[SiteFile]) -> Result<(), SinkError>;
    /// Removes the files at these paths (a missing one is not an error).
    async fn delete(&self, paths: &[String]) -> Result<(), SinkError>;
    /// Called after publish `generation` with every path written or deleted (a CDN
    /// invalidates them). Does nothing by default.
    async fn changed(&self, _generation: u64, _paths: &[String]) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Writes `files` (authoritative for `scope`) to `sink`, given that `manifest` says
/// what is there; updates `manifest` to match.
pub async fn publish(
    sink: &dyn Sink,
    manifest: &mut Manifest,
    files: Vec<SiteFile>,
    scope: &Scope,
) -> Result<PublishReport, SinkError> {
    let rendered = files.len();
    let hashes: Vec<u128> = {
        use rayon::prelude::*;
        files.par_iter().map(|(_, b)| content_hash(b)).collect()
    };
    let mut new_paths = std::collections::HashSet::with_capacity(files.len());
    let mut to_put = Vec::new();
    let mut put_hashes = Vec::new();
    for ((path, bytes), hash) in files.into_iter().zip(hashes) {
        new_paths.insert(path.clone());
        if manifest.files.get(&path) != Some(&hash) {
            put_hashes.push((path.clone(), hash));
            to_put.push((path, bytes));
        }
    }
    let to_delete: Vec<String> = scope
        .paths_in(&manifest.files)
        .filter(|p| !new_paths.contains(p.as_str()))
        .cloned()
        .collect();
    if to_put.is_empty() && to_delete.is_empty() {
        return Ok(PublishReport {
            rendered,
            ..PublishReport::default()
        });
    }
    let generation = manifest.generation + 1;
    // First forget what is about to change, so a crash leaves no false "current".
    let mut changing: Vec<String> = put_hashes.iter().map(|(p, _)| p.clone()).collect();
    changing.extend(to_delete.iter().cloned());
    manifest.generation = generation;
    for path in &changing {
        manifest.files.remove(path);
    }
    sink.begin_update(manifest, &changing).await?;
    sink.put(&to_put).await?;
    sink.delete(&to_delete).await?;
    // Before the manifest says "done": if telling the CDN fails, the retry finds these
    // paths missing from the manifest, writes them again and tells the CDN again.
    sink.changed(generation, &changing).await?;
    manifest
        .files
        .extend(put_hashes.iter().map(|(p, h)| (p.clone(), *h)));
    sink.finish_update(manifest, &put_hashes, &to_delete)
        .await?;
    let written: Vec<String> = put_hashes.into_iter().map(|(p, _)| p).collect();
    Ok(PublishReport {
        rendered,
        written,
        deleted: to_delete,
    })
}

/// The `Content-Type` of a site file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" if path.ends_with("feed.xml") => "application/atom+xml; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Whether a file of this path is text worth compressing.
pub fn is_compressible(path: &str) -> bool {
    matches!(
        path.rsplit('.').next().unwrap_or(""),
        "html" | "css" | "js" | "json" | "xml" | "txt" | "svg"
    )
}

/// The `Cache-Control` of a site file behind a CDN that is told about every change:
/// browsers revalidate pages after a minute (the board changes all day); the CDN keeps
/// them a day at most (the publish invalidates changed paths at once). Assets are
/// linked with a content version (`?v=`), so browsers may keep them a day.
pub fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        "public, max-age=86400"
    } else {
        "public, max-age=60, s-maxage=86400"
    }
}

/// Whether `path` is a safe relative site path: non-empty `/`-separated segments, none
/// empty, `.` or `..`, none starting with `.` (the manifest's own file).
pub fn is_site_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && !seg.contains('\\')
                && !seg.chars().any(char::is_control)
        })
}

/// The file name the directory sink keeps its manifest under (hidden, never served).
pub const DIR_MANIFEST: &str = ".lingong-manifest";
/// The directory sink's manifest journal: scoped publishes append to it instead of
/// rewriting the whole manifest (200,000 lines for a large board). Lines: `- <path>`
/// (not vouched for), `<hash> <path>`, `= <generation>` (a publish done). Replayed in
/// order over the manifest; folded into it when it grows long.
pub const DIR_JOURNAL: &str = ".lingong-manifest.log";
/// Journal lines after which the journal is folded into the manifest.
const JOURNAL_LIMIT: usize = 50_000;

/// A local directory: `lingong build-site --out DIR` and `lingong serve`'s
/// `<data>/site`. Files are written to a temporary name and renamed, so a reader never
/// sees half a page.
#[derive(Clone, Debug)]
pub struct DirSink {
    root: PathBuf,
}

impl DirSink {
    /// A sink writing under `root` (created if missing).
    pub fn new(root: impl Into<PathBuf>) -> DirSink {
        DirSink { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    fn io(path: &std::path::Path, source: std::io::Error) -> SinkError {
        SinkError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), SinkError> {
        let dir = path.parent().unwrap_or(path);
        std::fs::create_dir_all(dir).map_err(|e| Self::io(dir, e))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes).map_err(|e| Self::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Self::io(path, e))
    }
}

impl DirSink {
    fn read_optional(path: &std::path::Path) -> Result<Option<String>, SinkError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Self::io(path, e)),
        }
    }

    fn append_journal(&self, text: &str) -> Result<(), SinkError> {
        use std::io::Write;
        let path = self.root.join(DIR_JOURNAL);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| Self::io(&path, e))
    }

    fn journal_lines(&self) -> Result<usize, SinkError> {
        Ok(Self::read_optional(&self.root.join(DIR_JOURNAL))?.map_or(0, |t| t.lines().count()))
    }
}

/// Applies a manifest journal to `manifest`.
fn replay(manifest: &mut Manifest, journal: &str) -> Result<(), SinkError> {
    for line in journal.lines() {
        if let Some(path) = line.strip_prefix("- ") {
            manifest.files.remove(path);
        } else if let Some(generation) = line.strip_prefix("= ") {
            manifest.generation = generation
                .trim()
                .parse()
                .map_err(|_| SinkError::Manifest("bad journal generation".into()))?;
        } else if let Some((hash, path)) = line.split_once(' ') {
            let hash = u128::from_str_radix(hash, 16)
                .map_err(|_| SinkError::Manifest("bad journal hash".into()))?;
            manifest.files.insert(path.to_owned(), hash);
        }
    }
    Ok(())
}

#[async_trait]
impl Sink for DirSink {
    async fn load_manifest(&self) -> Result<Manifest, SinkError> {
        let mut manifest = match Self::read_optional(&self.root.join(DIR_MANIFEST))? {
            Some(text) => Manifest::from_text(&text)?,
            None => Manifest::default(),
        };
        if let Some(journal) = Self::read_optional(&self.root.join(DIR_JOURNAL))? {
            replay(&mut manifest, &journal)?;
        }
        Ok(manifest)
    }

    async fn generation(&self) -> Result<u64, SinkError> {
        use std::io::Read;
        let path = self.root.join(DIR_MANIFEST);
        let mut head = [0u8; 64];
        let base = match std::fs::File::open(&path) {
            Ok(mut file) => {
                let n = file.read(&mut head).map_err(|e| Self::io(&path, e))?;
                Manifest::generation_of(&String::from_utf8_lossy(&head[..n])).unwrap_or(0)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(Self::io(&path, e)),
        };
        let journal = Self::read_optional(&self.root.join(DIR_JOURNAL))?.unwrap_or_default();
        Ok(journal
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("= ").and_then(|g| g.trim().parse().ok()))
            .unwrap_or(base))
    }

    async fn save_manifest(&self, manifest: &Manifest) -> Result<(), SinkError> {
        std::fs::create_dir_all(&self.root).map_err(|e| Self::io(&self.root, e))?;
        Self::write_atomic(&self.root.join(DIR_MANIFEST), manifest.to_text().as_bytes())?;
        // The manifest now holds everything the journal said.
        match std::fs::remove_file(self.root.join(DIR_JOURNAL)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Self::io(&self.root.join(DIR_JOURNAL), e)),
        }
    }

    async fn begin_update(&self, manifest: &Manifest, paths: &[String]) -> Result<(), SinkError> {
        if !self.root.join(DIR_MANIFEST).exists() || self.journal_lines()? > JOURNAL_LIMIT {
            return self.save_manifest(manifest).await;
        }
        let mut text = String::with_capacity(paths.len() * 48);
        for path in paths {
            text.push_str("- ");
            text.push_str(path);
            text.push('\n');
        }
        self.append_journal(&text)
    }

    async fn finish_update(
        &self,
        manifest: &Manifest,
        written: &[(String, u128)],
        _deleted: &[String],
    ) -> Result<(), SinkError> {
        if !self.root.join(DIR_JOURNAL).exists() {
            return self.save_manifest(manifest).await;
        }
        let mut text = String::with_capacity(written.len() * 80 + 32);
        for (path, hash) in written {
            text.push_str(&format!("{hash:032x} {path}\n"));
        }
        text.push_str(&format!("= {}\n", manifest.generation));
        self.append_journal(&text)
    }

    async fn put(&self, files: &[SiteFile]) -> Result<(), SinkError> {
        use rayon::prelude::*;
        if let Some((path, _)) = files.iter().find(|(p, _)| !is_site_path(p)) {
            return Err(SinkError::Manifest(format!("refusing path {path:?}")));
        }
        // Each folder once, then the files in parallel.
        let dirs: std::collections::BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|(p, _)| self.root.join(p).parent().map(std::path::Path::to_path_buf))
            .collect();
        // Sequentially: parallel mkdirs in one parent contend for its lock.
        for dir in &dirs {
            std::fs::create_dir_all(dir).map_err(|e| Self::io(dir, e))?;
        }
        files.par_iter().try_for_each(|(path, bytes)| {
            let full = self.root.join(path);
            if std::fs::symlink_metadata(&full).is_ok() {
                // Replacing a page someone may be reading: never show half of it.
                Self::write_atomic(&full, bytes)
            } else {
                std::fs::write(&full, bytes).map_err(|e| Self::io(&full, e))
            }
        })
    }

    async fn delete(&self, paths: &[String]) -> Result<(), SinkError> {
        for path in paths {
            if !is_site_path(path) {
                continue;
            }
            let full = self.root.join(path);
            match std::fs::remove_file(&full) {
                Ok(()) => {
                    // Tidy directories left empty (a removed job's folder).
                    let mut dir = full.parent().map(std::path::Path::to_path_buf);
                    while let Some(d) = dir {
                        if d == self.root || std::fs::remove_dir(&d).is_err() {
                            break;
                        }
                        dir = d.parent().map(std::path::Path::to_path_buf);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Self::io(&full, e)),
            }
        }
        Ok(())
    }
}

/// A sink in memory, for tests: path → bytes, and every batch of changed paths.
#[derive(Debug, Default)]
pub struct MemorySink {
    /// The files.
    pub files: std::sync::Mutex<BTreeMap<String, Vec<u8>>>,
    /// The manifest as last saved.
    pub manifest: std::sync::Mutex<Manifest>,
    /// The paths reported to [`Sink::changed`], one entry per publish.
    pub changes: std::sync::Mutex<Vec<Vec<String>>>,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl Sink for MemorySink {
    async fn load_manifest(&self) -> Result<Manifest, SinkError> {
        Ok(lock(&self.manifest).clone())
    }
    async fn generation(&self) -> Result<u64, SinkError> {
        Ok(lock(&self.manifest).generation)
    }
    async fn save_manifest(&self, manifest: &Manifest) -> Result<(), SinkError> {
        *lock(&self.manifest) = manifest.clone();
        Ok(())
    }
    async fn put(&self, files: &[SiteFile]) -> Result<(), SinkError> {
        let mut stored = lock(&self.files);
        for (path, bytes) in files {
            stored.insert(path.clone(), bytes.clone());
        }
        Ok(())
    }
    async fn delete(&self, paths: &[String]) -> Result<(), SinkError> {
        let mut stored = lock(&self.files);
        for path in paths {
            stored.remove(path);
        }
        Ok(())
    }
    async fn changed(&self, _generation: u64, paths: &[String]) -> Result<(), SinkError> {
        lock(&self.changes).push(paths.to_vec());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SiteFile {
        (path.to_owned(), text.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn only_changes_are_written_and_scoped_deletes_happen() {
        let sink = MemorySink::default();
        let mut manifest = Manifest::default();
        let first = vec![
            file("index.html", "home"),
            file("jobs/a/index.html", "a"),
            file("jobs/b/index.html", "b"),
        ];
        let report = publish(&sink, &mut manifest, first.clone(), &Scope::All)
            .await
            .unwrap();
        assert_eq!(report.written.len(), 3);
        assert_eq!(manifest.generation, 1);
        let again = publish(&sink, &mut manifest, first, &Scope::All)
            .await
            .unwrap();
        assert!(!again.changed_anything());
        assert_eq!(manifest.generation, 1, "nothing changed, nothing saved");
        // An incremental build of job b's group only: b changes, a is untouched.
        let scope = Scope::Paths {
            exact: vec![],
            prefixes: vec!["jobs/b/".into()],
        };
        let report = publish(&sink, &mut manifest, vec![], &scope).await.unwrap();
        assert_eq!(report.deleted, vec!["jobs/b/index.html".to_owned()]);
        assert!(lock(&sink.files).contains_key("jobs/a/index.html"));
        assert!(!lock(&sink.files).contains_key("jobs/b/index.html"));
        assert_eq!(lock(&sink.manifest).clone(), manifest);
    }

    #[test]
    fn manifests_round_trip() {
        let mut m = Manifest {
            generation: 7,
            version: "abc123".into(),
            ..Manifest::default()
        };
        m.files.insert("a b/index.html".into(), 42);
        m.files.insert("x".into(), u128::MAX);
        let text = m.to_text();
        assert_eq!(Manifest::from_text(&text).unwrap(), m);
        assert_eq!(Manifest::generation_of(&text), Some(7));
    }

    #[test]
    fn site_paths_are_checked() {
        assert!(is_site_path("jobs/01J/index.html"));
        for bad in [
            "",
            "/etc",
            "a//b",
            "../x",
            "a/./b",
            ".lingong-manifest",
            "a\\b",
        ] {
            assert!(!is_site_path(bad), "{bad}");
        }
    }
}
