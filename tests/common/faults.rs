//! An object store that fails one request of a run, and the sweep that
//! runs the job once per request with the fault there (tests/faults.rs on
//! local disk, tests/s3.rs on moto's S3 server).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use zafra::config::{JobConfig, Overrides};
use zafra::storage::Location;
use zafra::{ExitStatus, RunOptions};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// The request fails and nothing happens.
    Before,
    /// The request is applied, then reports an error.
    After,
}

/// Fails the `fail_at`-th request (0-based, counting puts, gets, lists, deletes).
#[derive(Debug)]
pub struct Faulty {
    pub inner: Arc<dyn ObjectStore>,
    pub fail_at: usize,
    pub when: When,
    pub count: AtomicUsize,
}

impl fmt::Display for Faulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Faulty({})", self.fail_at)
    }
}

impl Faulty {
    /// True when this request is the one to fail.
    fn hit(&self) -> bool {
        self.count.fetch_add(1, Ordering::SeqCst) == self.fail_at
    }

    fn error(&self) -> object_store::Error {
        object_store::Error::Generic {
            store: "faulty",
            source: format!(
                "injected fault at request {} ({:?})",
                self.fail_at, self.when
            )
            .into(),
        }
    }
}

#[async_trait]
impl ObjectStore for Faulty {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        if self.hit() {
            if self.when == When::After {
                let _ = self.inner.put_opts(location, payload, opts).await;
            }
            return Err(self.error());
        }
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        if self.hit() {
            return Err(self.error());
        }
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        if self.hit() {
            return Err(self.error());
        }
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        if self.hit() {
            if self.when == When::After {
                return Box::pin(futures::stream::once({
                    let err = self.error();
                    let inner = self.inner.delete_stream(locations);
                    async move {
                        use futures::StreamExt;
                        let _ = inner.collect::<Vec<_>>().await;
                        Err(err)
                    }
                }));
            }
            return Box::pin(futures::stream::once(futures::future::ready(Err(
                self.error()
            ))));
        }
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        if self.hit() {
            return Box::pin(futures::stream::once(futures::future::ready(Err(
                self.error()
            ))));
        }
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        if self.hit() {
            return Err(self.error());
        }
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        if self.hit() {
            return Err(self.error());
        }
        self.inner.copy_opts(from, to, options).await
    }
}

pub fn job(input: &std::path::Path, out: &std::path::Path, extra: &str) -> JobConfig {
    let text = format!(
        "base_currency = \"USD\"\n{extra}\n[input]\nroot = \"{}\"\n[output]\nroot = \"{}\"\n",
        input.display(),
        out.display()
    );
    JobConfig::from_toml(&text, "test", &Overrides::default()).unwrap()
}

pub fn options(replace: bool) -> RunOptions {
    RunOptions {
        replace,
        ..RunOptions::new(chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())
    }
}

async fn committed_digest(out: &Location) -> Option<String> {
    zafra::publish::read_manifest(out, "2026-03-31")
        .await
        .unwrap()
        .map(|m| m.content_digest)
}

async fn verifies(out: &Location) -> bool {
    zafra::snapshots::verify(out, "2026-03-31")
        .await
        .unwrap()
        .problems
        .is_empty()
}

/// Runs the job once per request index with a fault there; with `replace`, a
/// different snapshot is committed first and the faulty run replaces it.
/// `output(i)` gives a fresh, empty output root for iteration `i`.
pub async fn sweep(
    input: &std::path::Path,
    when: When,
    replace: bool,
    output: impl Fn(usize) -> String,
) {
    let input = input.to_path_buf();
    let input_loc = Location::parse(input.to_str().unwrap()).unwrap();
    // With `replace`, a different snapshot (other thresholds) is committed
    // once, by a real run, and each iteration starts from a copy of that
    // output folder: the faulty run replaces it.
    let template = if replace {
        let root = format!("{}-committed-before", output(0));
        assert!(
            !root.contains("://"),
            "replace sweeps copy a local output folder: {root}"
        );
        let dir = std::path::PathBuf::from(&root);
        let old = job(&input, &dir, "[segments]\nhigh_potential = \"1\"\n");
        zafra::pipeline::run_at(
            &old,
            &options(false),
            &input_loc,
            &Location::parse(&root).unwrap(),
        )
        .await
        .unwrap();
        Some(dir)
    } else {
        None
    };
    let mut index = 0;
    loop {
        let out_root = output(index);
        let out_dir = std::path::PathBuf::from(&out_root);
        let plain_out = Location::parse(&out_root).unwrap();
        let before = match &template {
            Some(dir) => {
                copy_folder(dir, &out_dir);
                let digest = committed_digest(&plain_out).await;
                assert!(digest.is_some(), "the copied snapshot is committed");
                digest
            }
            None => None,
        };
        let faulty = Arc::new(Faulty {
            inner: Arc::clone(plain_out.store()),
            fail_at: index,
            when,
            count: AtomicUsize::new(0),
        });
        let out = plain_out.with_store(faulty.clone());
        let the_job = job(&input, &out_dir, "");
        let result = zafra::pipeline::run_at(&the_job, &options(replace), &input_loc, &out).await;
        let requests = faulty.count.load(Ordering::SeqCst);
        let after = committed_digest(&plain_out).await;
        match &result {
            Ok(report) => {
                assert_eq!(
                    after.as_ref(),
                    Some(&report.manifest.content_digest),
                    "fault {index} {when:?}: success reported but the committed snapshot is not ours"
                );
                assert!(
                    verifies(&plain_out).await,
                    "fault {index} {when:?}: committed snapshot does not verify"
                );
            }
            Err(e) => {
                assert_eq!(
                    e.exit_status(),
                    ExitStatus::Storage,
                    "fault {index} {when:?}: {e}"
                );
                assert_eq!(
                    after, before,
                    "fault {index} {when:?}: a failed run changed what is committed"
                );
                if after.is_some() {
                    assert!(
                        verifies(&plain_out).await,
                        "fault {index} {when:?}: the previous snapshot no longer verifies"
                    );
                }
            }
        }
        // A clean re-run always succeeds and verifies.
        let report = zafra::pipeline::run_at(&the_job, &options(replace), &input_loc, &plain_out)
            .await
            .unwrap_or_else(|e| panic!("fault {index} {when:?}: clean re-run failed: {e}"));
        assert_eq!(
            committed_digest(&plain_out).await,
            Some(report.manifest.content_digest.clone())
        );
        assert!(
            verifies(&plain_out).await,
            "fault {index} {when:?}: re-run does not verify"
        );
        if index >= requests {
            break; // the fault was past the last request: every request was covered
        }
        index += 1;
    }
    assert!(index > 5, "too few requests swept: {index}");
}

/// Copies a local folder tree (the committed-before output of a replace
/// sweep) into a new folder.
fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
