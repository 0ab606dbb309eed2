//! The public board on AWS: [`S3Sink`] puts the built site into a private S3 bucket
//! that CloudFront serves (origin access control, or an origin access identity in the
//! China regions), uploading only files whose content changed, with the right
//! `Content-Type`, `Cache-Control` and, when precompressing, `Content-Encoding`;
//! deleting files the site no longer has; and invalidating exactly the changed paths in
//! CloudFront, in one batch per publish.
//!
//! Layout in the bucket: the site under `prefix` (the CloudFront origin path), the
//! manifest under `manifest_key`, outside it, so it is never served. Every page
//! `<folder>/index.html` is stored a second time under the key `<folder>/` (see
//! [`folder_key`]): the board's links are folder URLs (`/jobs/<id>/`), and CloudFront
//! asks S3 for exactly the key in the URL. That way no edge function rewrites URLs, and
//! CloudFront in the China regions, which has none, serves the same board.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use aws_sdk_s3::{
    primitives::ByteStream,
    types::{Delete, ObjectIdentifier},
};
use futures::{StreamExt, TryStreamExt, stream};
use lingong_site::publish::{
    Manifest, SinkError, SiteFile, cache_control, content_type, is_compressible, is_site_path,
};

/// Uploads in flight at once.
const CONCURRENCY: usize = 16;
/// Most keys one `DeleteObjects` call takes.
const DELETE_BATCH: usize = 1000;
/// Above this many changed paths one wildcard invalidation (`/*`) is sent instead.
/// CloudFront bills each listed path ($0.005 after 1,000 free a month) and a wildcard
/// counts as one; a typical publish (a job page, the home page, its district and trade
/// lists) changes 5-10 paths, so listing them would cost 5-10x the wildcard, while
/// refetching the whole board from S3 after a wildcard costs fractions of a cent.
pub const MAX_INVALIDATION_PATHS: usize = 1;

/// Metadata on the manifest object saying the bucket holds folder keys. A manifest
/// without it was written before folder keys existed: its pages lack them, so it is
/// read as stale and the next publish rebuilds and rewrites the whole board.
const LAYOUT_METADATA: &str = "layout";
/// The value of [`LAYOUT_METADATA`] for this layout.
const LAYOUT: &str = "folder-keys-1";

/// The folder key a page is also stored under: `jobs/A/` for `jobs/A/index.html`.
/// `None` for other files and for the root `index.html`, which CloudFront serves for
/// `/` as the distribution's default root object.
pub fn folder_key(path: &str) -> Option<&str> {
    path.strip_suffix("index.html")
        .filter(|folder| folder.ends_with('/'))
}

/// The site-relative paths viewers reach changed files by: each file's own path, its
/// folder key, and `""` (the viewer path `/`) for the root `index.html`.
pub fn served_paths(changed: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(changed.len() * 2);
    for path in changed {
        out.push(path.clone());
        if path == "index.html" {
            out.push(String::new());
        } else if let Some(folder) = folder_key(path) {
            out.push(folder.to_owned());
        }
    }
    out
}

fn remote(context: &str, error: impl std::fmt::Display) -> SinkError {
    SinkError::Remote(format!("{context}: {error}"))
}

/// Invalidates changed paths in one CloudFront distribution.
#[derive(Clone, Debug)]
pub struct CloudFrontInvalidator {
    client: aws_sdk_cloudfront::Client,
    distribution_id: String,
}

impl CloudFrontInvalidator {
    /// An invalidator for `distribution_id`.
    pub fn new(client: aws_sdk_cloudfront::Client, distribution_id: impl Into<String>) -> Self {
        CloudFrontInvalidator {
            client,
            distribution_id: distribution_id.into(),
        }
    }

    /// The viewer paths to invalidate for changed paths (site files, folder keys, `""`
    /// for the root): each one's own path, or `/*` when there are more than
    /// [`MAX_INVALIDATION_PATHS`].
    pub fn paths_for(changed: &[String]) -> Vec<String> {
        let mut paths: Vec<String> = changed.iter().map(|p| format!("/{p}")).collect();
        paths.sort();
        paths.dedup();
        if paths.len() > MAX_INVALIDATION_PATHS {
            return vec!["/*".to_owned()];
        }
        paths
    }

    /// Invalidates `changed` (site paths) as one batch. The caller reference is derived
    /// from the publish generation and the paths, so a retried call is the same
    /// invalidation, not a second one.
    pub async fn invalidate(&self, generation: u64, changed: &[String]) -> Result<(), SinkError> {
        if changed.is_empty() {
            return Ok(());
        }
        let paths = Self::paths_for(changed);
        let reference = format!(
            "lingong-{generation}-{:016x}",
            xxhash_rust::xxh3::xxh3_64(paths.join("\n").as_bytes())
        );
        let batch = InvalidationBatch::builder()
            .caller_reference(reference)
            .paths(
                Paths::builder()
                    .quantity(paths.len() as i32)
                    .set_items(Some(paths.clone()))
                    .build()
                    .map_err(|e| remote("invalidation paths", e))?,
            )
            .build()
            .map_err(|e| remote("invalidation batch", e))?;
        self.client
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| {
                remote(
                    "CloudFront CreateInvalidation",
                    aws_sdk_cloudfront::error::DisplayErrorContext(e),
                )
            })?;
        tracing::info!(
            paths = paths.len(),
            generation,
            "CloudFront invalidation created"
        );
        Ok(())
    }
}

/// The built site in an S3 bucket.
#[derive(Clone, Debug)]
pub struct S3Sink {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    manifest_key: String,
    precompress: bool,
    cdn: Option<CloudFrontInvalidator>,
}

impl S3Sink {
    /// A sink writing the site under `site/` in `bucket`, the manifest at
    /// `state/site-manifest`, without precompression or a CDN.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> S3Sink {
        S3Sink {
            client,
            bucket: bucket.into(),
            prefix: "site/".into(),
            manifest_key: "state/site-manifest".into(),
            precompress: false,
            cdn: None,
        }
    }

    /// Puts the site under `prefix` (`""` for the bucket's root).
    pub fn with_prefix(mut self, prefix: &str) -> S3Sink {
        let trimmed = prefix.trim_matches('/');
        self.prefix = if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}/")
        };
        self
    }

    /// Keeps the manifest at `key`.
    pub fn with_manifest_key(mut self, key: impl Into<String>) -> S3Sink {
        self.manifest_key = key.into();
        self
    }

    /// Stores text files gzip-compressed with `Content-Encoding: gzip`. Only for a CDN
    /// that does not compress itself: every client then gets gzip, asked for or not.
    pub fn precompressed(mut self, on: bool) -> S3Sink {
        self.precompress = on;
        self
    }

    /// Invalidates changed paths in this CloudFront distribution after each publish.
    pub fn with_cdn(mut self, cdn: CloudFrontInvalidator) -> S3Sink {
        self.cdn = Some(cdn);
        self
    }

    /// The object key of site path `path`.
    pub fn key_of(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    fn body_of(
        &self,
        path: &str,
        bytes: &[u8],
    ) -> Result<(Vec<u8>, Option<&'static str>), SinkError> {
        if self.precompress && is_compressible(path) {
            use std::io::Write;
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(bytes.len() / 3),
                flate2::Compression::best(),
            );
            encoder
                .write_all(bytes)
                .and_then(|()| encoder.finish())
                .map(|gz| (gz, Some("gzip")))
                .map_err(|e| remote("gzip", e))
        } else {
            Ok((bytes.to_vec(), None))
        }
    }

    async fn upload(&self, path: &str, bytes: &[u8]) -> Result<(), SinkError> {
        if !is_site_path(path) {
            return Err(SinkError::Remote(format!("refusing path {path:?}")));
        }
        let (body, encoding) = self.body_of(path, bytes)?;
        if let Some(folder) = folder_key(path) {
            self.put_object(&self.key_of(folder), path, body.clone(), encoding)
                .await?;
        }
        self.put_object(&self.key_of(path), path, body, encoding)
            .await
    }

    /// Puts `body` at `key` with the headers of site file `path`.
    async fn put_object(
        &self,
        key: &str,
        path: &str,
        body: Vec<u8>,
        encoding: Option<&'static str>,
    ) -> Result<(), SinkError> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type(path))
            .cache_control(cache_control(path))
            .body(ByteStream::from(body));
        if let Some(encoding) = encoding {
            request = request.content_encoding(encoding);
        }
        // Transient failures are retried by the SDK's standard retry policy.
        request.send().await.map(|_| ()).map_err(|e| {
            remote(
                &format!("S3 PutObject {key}"),
                aws_sdk_s3::error::DisplayErrorContext(e),
            )
        })
    }
}

#[async_trait]
impl lingong_site::publish::Sink for S3Sink {
    async fn load_manifest(&self) -> Result<Manifest, SinkError> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.manifest_key)
            .send()
            .await;
        match result {
            Ok(object) => {
                let current_layout = object
                    .metadata()
                    .and_then(|m| m.get(LAYOUT_METADATA))
                    .is_some_and(|layout| layout == LAYOUT);
                let bytes = object
                    .body
                    .collect()
                    .await
                    .map_err(|e| remote("reading the manifest", e))?
                    .into_bytes();
                let mut manifest = Manifest::from_text(&String::from_utf8_lossy(&bytes))?;
                if !current_layout {
                    // No version: the rebuilder builds the whole board. No true hash:
                    // every page is written again, now with its folder key, and pages
                    // the board no longer has are deleted as usual.
                    manifest.version.clear();
                    manifest.files.values_mut().for_each(|hash| *hash = 0);
                }
                Ok(manifest)
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                Ok(Manifest::default())
            }
            Err(e) => Err(remote(
                "S3 GetObject manifest",
                aws_sdk_s3::error::DisplayErrorContext(e),
            )),
        }
    }

    async fn generation(&self) -> Result<u64, SinkError> {
        let result = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&self.manifest_key)
            .send()
            .await;
        match result {
            Ok(head) => Ok(head
                .metadata()
                .and_then(|m| m.get("generation"))
                .and_then(|g| g.parse().ok())
                .unwrap_or(0)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(0),
            Err(e) => Err(remote(
                "S3 HeadObject manifest",
                aws_sdk_s3::error::DisplayErrorContext(e),
            )),
        }
    }

    async fn save_manifest(&self, manifest: &Manifest) -> Result<(), SinkError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.manifest_key)
            .content_type("text/plain; charset=utf-8")
            .cache_control("no-store")
            .metadata("generation", manifest.generation.to_string())
            .metadata(LAYOUT_METADATA, LAYOUT)
            .body(ByteStream::from(manifest.to_text().into_bytes()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                remote(
                    "S3 PutObject manifest",
                    aws_sdk_s3::error::DisplayErrorContext(e),
                )
            })
    }

    async fn put(&self, files: &[SiteFile]) -> Result<(), SinkError> {
        stream::iter(files.iter().map(Ok::<_, SinkError>))
            .try_for_each_concurrent(CONCURRENCY, |(path, bytes)| async move {
                self.upload(path, bytes).await
            })
            .await
    }

    async fn delete(&self, paths: &[String]) -> Result<(), SinkError> {
        let batches: Vec<Vec<ObjectIdentifier>> = paths
            .iter()
            .filter(|p| is_site_path(p))
            .flat_map(|p| std::iter::once(p.as_str()).chain(folder_key(p)))
            .map(|p| ObjectIdentifier::builder().key(self.key_of(p)).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| remote("object identifier", e))?
            .chunks(DELETE_BATCH)
            .map(<[ObjectIdentifier]>::to_vec)
            .collect();
        let results: Vec<Result<(), SinkError>> = stream::iter(batches)
            .map(|objects| async move {
                let delete = Delete::builder()
                    .set_objects(Some(objects))
                    .quiet(true)
                    .build()
                    .map_err(|e| remote("delete batch", e))?;
                let output = self
                    .client
                    .delete_objects()
                    .bucket(&self.bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| {
                        remote(
                            "S3 DeleteObjects",
                            aws_sdk_s3::error::DisplayErrorContext(e),
                        )
                    })?;
                match output.errors().first() {
                    Some(error) => Err(SinkError::Remote(format!(
                        "S3 DeleteObjects: {} {}",
                        error.key().unwrap_or(""),
                        error.message().unwrap_or("")
                    ))),
                    None => Ok(()),
                }
            })
            .buffer_unordered(4)
            .collect()
            .await;
        results.into_iter().collect()
    }

    async fn changed(&self, generation: u64, paths: &[String]) -> Result<(), SinkError> {
        let Some(cdn) = &self.cdn else {
            return Ok(());
        };
        let paths = &served_paths(paths);
        match cdn.invalidate(generation, paths).await {
            Ok(()) => Ok(()),
            Err(first) => {
                tracing::warn!(error = %first, "CloudFront invalidation failed; retrying once");
                tokio::time::sleep(Duration::from_millis(500)).await;
                // An error here fails the publish before its manifest is saved, so the
                // batch is retried and the paths are invalidated then.
                cdn.invalidate(generation, paths).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_paths_are_exact_or_one_wildcard() {
        let one = vec!["jobs/A/index.html".to_owned()];
        assert_eq!(
            CloudFrontInvalidator::paths_for(&one),
            vec!["/jobs/A/index.html"]
        );
        let many: Vec<String> = (0..=MAX_INVALIDATION_PATHS)
            .map(|i| format!("jobs/{i}/index.html"))
            .collect();
        assert_eq!(CloudFrontInvalidator::paths_for(&many), vec!["/*"]);
    }

    #[test]
    fn pages_are_also_served_by_their_folder_key() {
        assert_eq!(folder_key("jobs/A/index.html"), Some("jobs/A/"));
        assert_eq!(folder_key("en/index.html"), Some("en/"));
        assert_eq!(folder_key("index.html"), None, "the default root object");
        assert_eq!(folder_key("assets/style.css"), None);
        assert_eq!(folder_key("jobs/notindex.html"), None);
        let changed = vec![
            "index.html".to_owned(),
            "jobs/A/index.html".to_owned(),
            "feed.xml".to_owned(),
        ];
        assert_eq!(
            served_paths(&changed),
            vec!["index.html", "", "jobs/A/index.html", "jobs/A/", "feed.xml"]
        );
    }
}
