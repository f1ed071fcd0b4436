//! Object stores from a root given as a path or URL. Local paths and
//! `file://` use the local file system; `s3://bucket/prefix` uses S3 with
//! credentials, region and endpoint from the usual `AWS_*` environment
//! variables (never logged).

use std::sync::Arc;
use std::time::Duration;

use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use crate::error::ConfigError;

/// A root folder on some object store.
#[derive(Clone)]
pub struct Location {
    store: Arc<dyn ObjectStore>,
    /// `scheme://authority/`: what DataFusion maps to `store`.
    store_url: Url,
    /// The root inside the store.
    prefix: Path,
    /// The root as the user wrote it, for messages.
    display: String,
    /// For local roots: the folder (conditional writes lock files here).
    local_root: Option<std::path::PathBuf>,
    /// Writes go straight to the local file system (fsync and rename)
    /// instead of through `store` (false when tests wrap the store).
    direct: bool,
}

/// The version of an object, for conditional writes: the store's ETag, or on
/// local disk the SHA-256 of its bytes (local writes are atomic renames, so
/// a read sees one whole version).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Version(pub String);

/// The condition of [`Location::put_if`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// The object must not exist (create-if-absent).
    Absent,
    /// The object must exist at exactly this version (compare-and-swap).
    At(Version),
}

/// Why a conditional write did not happen (or may not have).
#[derive(Debug)]
pub enum PutIfError {
    /// The precondition did not hold: nothing was written.
    Conflict,
    /// The store failed; the write may or may not have been applied (a lost
    /// response): read the object back to decide.
    Store(object_store::Error),
}

/// How [`Location::write`] treats an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Overwrite,
    /// Fails with `AlreadyExists` if the object exists (the commit point).
    CreateNew,
}

fn write_local(
    target: &std::path::Path,
    bytes: &[u8],
    mode: WriteMode,
) -> object_store::Result<()> {
    use std::io::Write;
    let io = |e: std::io::Error| object_store::Error::Generic {
        store: "local",
        source: format!("{}: {e}", target.display()).into(),
    };
    let dir = target
        .parent()
        .ok_or_else(|| io(std::io::Error::other("no parent folder")))?;
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let temp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        match mode {
            WriteMode::Overwrite => std::fs::rename(&temp, target),
            WriteMode::CreateNew => {
                let linked = std::fs::hard_link(&temp, target);
                let _ = std::fs::remove_file(&temp);
                linked
            }
        }?;
        std::fs::File::open(dir)?.sync_all()
    })();
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Err(object_store::Error::AlreadyExists {
                    path: target.display().to_string(),
                    source: Box::new(e),
                })
            } else {
                Err(io(e))
            }
        }
    }
}

/// The version of a local object: the SHA-256 of its bytes.
fn local_version(bytes: &[u8]) -> Version {
    use sha2::Digest;
    Version(crate::config::hex(&sha2::Sha256::digest(bytes)))
}

/// Takes an exclusive lock on `.<name>.lock` beside `target` (waiting for
/// it); the lock is released when the returned file is dropped.
async fn lock_beside(target: std::path::PathBuf) -> object_store::Result<std::fs::File> {
    let io = |e: std::io::Error| object_store::Error::Generic {
        store: "local",
        source: format!("locking {}: {e}", target.display()).into(),
    };
    let dir = target
        .parent()
        .ok_or_else(|| io(std::io::Error::other("no parent folder")))?
        .to_path_buf();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let lock = dir.join(format!(".{name}.lock"));
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| object_store::Error::Generic {
        store: "local",
        source: Box::new(e),
    })?
    .map_err(io)
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({})", self.display)
    }
}

/// An S3 store for `bucket` from this process's `AWS_*` variables (region,
/// credentials, endpoint; plain HTTP only when the endpoint says so), with
/// bounded retries. Every storage root, and on a cluster every node, builds
/// its stores here.
pub fn s3_store(bucket: &str) -> Result<object_store::aws::AmazonS3, object_store::Error> {
    let endpoint_is_http = std::env::var("AWS_ENDPOINT_URL")
        .or_else(|_| std::env::var("AWS_ENDPOINT"))
        .map(|e| e.starts_with("http://"))
        .unwrap_or(false);
    // ZAFRA_S3_RETRY_TIMEOUT_SECS bounds the retries (tests use a short one).
    let retry_timeout = std::env::var("ZAFRA_S3_RETRY_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(120);
    let retry = object_store::RetryConfig {
        max_retries: 5,
        retry_timeout: Duration::from_secs(retry_timeout),
        ..Default::default()
    };
    let client = object_store::ClientOptions::new()
        .with_timeout(Duration::from_secs(60))
        .with_connect_timeout(Duration::from_secs(10));
    // with_client_options replaces all client options, so allow_http comes after it.
    object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_retry(retry)
        .with_client_options(client)
        .with_allow_http(endpoint_is_http)
        .build()
}

impl Location {
    /// Opens a root: a relative or absolute path, `file:///…` or `s3://bucket/prefix`.
    pub fn parse(root: &str) -> Result<Self, ConfigError> {
        let root_trimmed = root.trim();
        if root_trimmed.is_empty() {
            return Err(ConfigError::root(root, "is empty", None));
        }
        match Url::parse(root_trimmed) {
            Ok(url) if url.scheme() == "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|_| ConfigError::root(root, "is not a local file URL", None))?;
                Self::local(&path, root)
            }
            Ok(url) if url.scheme() == "s3" => Self::s3(&url, root),
            // A Windows drive letter parses as a one-letter scheme; anything else is a path.
            Ok(url) if url.scheme().len() > 1 => Err(ConfigError::root(
                root,
                format!(
                    "scheme `{}` is not supported (use a path, file:// or s3://)",
                    url.scheme()
                ),
                None,
            )),
            _ => Self::local(std::path::Path::new(root_trimmed), root),
        }
    }

    fn local(path: &std::path::Path, display: &str) -> Result<Self, ConfigError> {
        let absolute = std::path::absolute(path).map_err(|e| {
            ConfigError::root(display, "cannot resolve the path", Some(Box::new(e)))
        })?;
        let prefix = Path::from_absolute_path(&absolute)
            .map_err(|e| ConfigError::root(display, "invalid local path", Some(Box::new(e))))?;
        let store_url = Url::parse("file:///")
            .map_err(|e| ConfigError::root(display, "file store URL", Some(Box::new(e))))?;
        Ok(Location {
            store: Arc::new(LocalFileSystem::new()),
            store_url,
            prefix,
            display: display.to_string(),
            local_root: Some(absolute),
            direct: true,
        })
    }

    fn s3(url: &Url, display: &str) -> Result<Self, ConfigError> {
        let bucket = url.host_str().unwrap_or_default();
        if bucket.is_empty() {
            return Err(ConfigError::root(display, "has no bucket", None));
        }
        let store = s3_store(bucket).map_err(|e| {
            ConfigError::root(display, "cannot open the S3 store", Some(Box::new(e)))
        })?;
        let prefix = Path::from_url_path(url.path())
            .map_err(|e| ConfigError::root(display, "bad prefix", Some(Box::new(e))))?;
        let store_url = Url::parse(&format!("s3://{bucket}/"))
            .map_err(|e| ConfigError::root(display, "bad bucket name", Some(Box::new(e))))?;
        Ok(Location {
            store: Arc::new(store),
            store_url,
            prefix,
            display: display.to_string(),
            local_root: None,
            direct: false,
        })
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The root's folder when it is on this machine's file system.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        self.local_root.as_deref()
    }

    pub fn store_url(&self) -> &Url {
        &self.store_url
    }

    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    /// The path of `rel` (`/`-separated, each part a fixed name) under the root.
    pub fn path(&self, rel: &str) -> Path {
        rel.split('/')
            .filter(|p| !p.is_empty())
            .fold(self.prefix.clone(), |acc, part| acc.join(part))
    }

    /// A path relative to the root, for manifests and messages.
    pub fn relative(&self, path: &Path) -> String {
        match path.prefix_match(&self.prefix) {
            Some(parts) => parts
                .map(|p| p.as_ref().to_string())
                .collect::<Vec<_>>()
                .join("/"),
            None => path.to_string(),
        }
    }

    /// The URL of a path in this store (what DataFusion is given).
    pub fn url(&self, path: &Path) -> String {
        format!("{}{}", self.store_url, path)
    }

    /// Writes one object atomically: readers see the old object or the whole
    /// new one, never a part. Local roots write a hidden temporary file in the
    /// same folder, fsync it, rename (or, for [`WriteMode::CreateNew`],
    /// hard-link: fails if the target exists) and fsync the folder. Other
    /// stores use one PUT (objects are only visible once complete).
    pub async fn write(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        mode: WriteMode,
    ) -> object_store::Result<()> {
        match self.local_root.as_ref().filter(|_| self.direct) {
            Some(root) => {
                let target = root.join(self.relative(path));
                tokio::task::spawn_blocking(move || write_local(&target, &bytes, mode))
                    .await
                    .map_err(|e| object_store::Error::Generic {
                        store: "local",
                        source: Box::new(e),
                    })?
            }
            None => {
                let put_mode = match mode {
                    WriteMode::Overwrite => object_store::PutMode::Overwrite,
                    WriteMode::CreateNew => object_store::PutMode::Create,
                };
                let options = object_store::PutOptions {
                    mode: put_mode,
                    ..Default::default()
                };
                self.store
                    .put_opts(path, object_store::PutPayload::from(bytes), options)
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Wraps the store (tests inject faults this way); writes then go through
    /// the wrapped store, not the local fsync path (conditional writes on a
    /// local root still take the root's lock files).
    pub fn with_store(&self, store: Arc<dyn ObjectStore>) -> Self {
        Location {
            store,
            direct: false,
            ..self.clone()
        }
    }

    /// Reads an object and its version; `None` if it does not exist.
    pub async fn get_versioned(
        &self,
        path: &Path,
    ) -> object_store::Result<Option<(Vec<u8>, Version)>> {
        let result = match self.store.get(path).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let e_tag = result.meta.e_tag.clone();
        let bytes = result.bytes().await?;
        let version = match (&self.local_root, e_tag) {
            (Some(_), _) => local_version(&bytes),
            (None, Some(tag)) => Version(tag),
            (None, None) => {
                return Err(object_store::Error::Generic {
                    store: "output",
                    source: format!(
                        "{} has no ETag: conditional writes need a store that reports one",
                        self.describe(path)
                    )
                    .into(),
                });
            }
        };
        Ok(Some((bytes.to_vec(), version)))
    }

    /// Writes one object only if `condition` holds, atomically with the
    /// check: S3 uses `If-None-Match: *` / `If-Match: <etag>`; a local root
    /// compares and renames while holding an exclusive lock (`flock`) on a
    /// hidden `.<name>.lock` file beside the object, which every conditional
    /// writer of that object takes. Returns the new version.
    pub async fn put_if(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        condition: &Precondition,
    ) -> Result<Version, PutIfError> {
        let Some(root) = &self.local_root else {
            let mode = match condition {
                Precondition::Absent => object_store::PutMode::Create,
                Precondition::At(v) => object_store::PutMode::Update(object_store::UpdateVersion {
                    e_tag: Some(v.0.clone()),
                    version: None,
                }),
            };
            let options = object_store::PutOptions {
                mode,
                ..Default::default()
            };
            return match self
                .store
                .put_opts(path, object_store::PutPayload::from(bytes), options)
                .await
            {
                Ok(result) => result.e_tag.map(Version).ok_or_else(|| {
                    PutIfError::Store(object_store::Error::Generic {
                        store: "output",
                        source: format!("no ETag returned for {}", self.describe(path)).into(),
                    })
                }),
                Err(
                    object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. },
                ) => Err(PutIfError::Conflict),
                Err(e) => Err(PutIfError::Store(e)),
            };
        };
        let target = root.join(self.relative(path));
        let _lock = lock_beside(target).await.map_err(PutIfError::Store)?;
        let current = self
            .get_versioned(path)
            .await
            .map_err(PutIfError::Store)?
            .map(|(_, v)| v);
        let holds = match condition {
            Precondition::Absent => current.is_none(),
            Precondition::At(v) => current.as_ref() == Some(v),
        };
        if !holds {
            return Err(PutIfError::Conflict);
        }
        let version = local_version(&bytes);
        self.write(path, bytes, WriteMode::Overwrite)
            .await
            .map_err(PutIfError::Store)?;
        Ok(version)
    }

    /// Every object under `dir`, recursively; a folder that does not exist is
    /// empty (object stores have no folders).
    pub async fn list_all(
        &self,
        dir: &Path,
    ) -> crate::error::Result<Vec<object_store::ObjectMeta>> {
        use futures::TryStreamExt;
        match self.store.list(Some(dir)).try_collect().await {
            Ok(listed) => Ok(listed),
            Err(object_store::Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(crate::error::Error::storage(
                format!("listing {}", self.describe(dir)),
                e,
            )),
        }
    }

    /// A user-facing name of a path: the root as written plus the relative path.
    pub fn describe(&self, path: &Path) -> String {
        let rel = self.relative(path);
        let root = self.display.trim_end_matches('/');
        if rel.is_empty() {
            root.to_string()
        } else {
            format!("{root}/{rel}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_under_the_root() {
        let loc = Location::parse("some/dir").unwrap();
        let p = loc.path("clients/part-0.parquet");
        assert!(p.as_ref().ends_with("some/dir/clients/part-0.parquet"));
        assert_eq!(loc.relative(&p), "clients/part-0.parquet");
        assert_eq!(loc.describe(&p), "some/dir/clients/part-0.parquet");
        assert!(loc.url(&p).starts_with("file:///"));
    }

    #[test]
    fn file_urls_and_paths_agree() {
        let a = Location::parse("/tmp/x").unwrap();
        let b = Location::parse("file:///tmp/x").unwrap();
        assert_eq!(a.prefix(), b.prefix());
    }

    #[test]
    fn unknown_scheme_is_a_config_error() {
        let err = Location::parse("ftp://host/x").unwrap_err();
        assert!(err.to_string().contains("ftp"), "{err}");
    }
}
