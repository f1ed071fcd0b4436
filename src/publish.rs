//! Publishing a snapshot: encode the output tables as Parquet, write them
//! under `<table>/snapshot_date=D/`, then write the manifest — the commit
//! point — last. A snapshot exists exactly when its manifest does.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tracing::{info, warn};

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::encode::{Background, RowGroupWriter};
use crate::error::{Error, Result};
use crate::lease::{self, Acquired, Claim, Clock, SharedLease};
use crate::manifest::{self, Manifest, OutputFileRecord, ReplacedRecord};
use crate::storage::{Location, Precondition, PutIfError, Version, WriteMode};

/// Rows per Parquet row group of the outputs.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// One output table, encoded and ready to write.
pub struct EncodedTable {
    pub table: &'static str,
    pub rows: u64,
    pub bytes: Vec<u8>,
}

/// Encodes sorted batches as one Parquet file. The bytes depend only on the
/// rows (see [`crate::encode::RowGroupWriter`]).
pub fn encode(
    table: &'static str,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<EncodedTable> {
    let mut writer = table_writer(table, schema)?;
    for batch in batches {
        writer.push(batch.clone()).map_err(|e| encoding(table, e))?;
    }
    let (rows, bytes) = writer.finish().map_err(|e| encoding(table, e))?;
    Ok(EncodedTable { table, rows, bytes })
}

/// An output table's writer: in memory, the outputs' settings, row groups
/// of [`ROW_GROUP_ROWS`].
fn table_writer(table: &'static str, schema: SchemaRef) -> Result<RowGroupWriter<Vec<u8>>> {
    RowGroupWriter::new(Vec::new(), schema, properties(), ROW_GROUP_ROWS)
        .map_err(|e| encoding(table, e))
}

fn encoding(table: &str, e: parquet::errors::ParquetError) -> Error {
    Error::internal_from(format!("encoding `{table}`"), e)
}

/// The outputs' Parquet settings.
fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// Batches queued for an [`Encoder`]: a row group's worth of the queries'
/// batches (8192 rows each), so the next row group is computed while one is
/// encoded. With a queue of 4, the producer of `memberships` (4.5M rows at
/// scale 10) waited for each row group's encoding: the table took 5.3 s for
/// 1.3 s of its operators' time, and in alternating runs the outputs' stage
/// took 5.5 s against 4.8 s with this queue (BENCHMARKS.md, "Encoding
/// beside the sort").
const QUEUED_BATCHES: usize = ROW_GROUP_ROWS / 8192;

/// An output table's [`RowGroupWriter`] on a blocking thread of its own
/// ([`Background`]), so that a table is encoded while the next rows (and the
/// next tables) are computed.
pub struct Encoder {
    table: &'static str,
    background: Background<Vec<u8>>,
}

impl Encoder {
    pub fn start(table: &'static str, schema: SchemaRef) -> Result<Self> {
        let writer = table_writer(table, schema)?;
        Ok(Self {
            table,
            background: Background::start(writer, QUEUED_BATCHES),
        })
    }

    /// Queues the next rows. False when the encoder has stopped on an error,
    /// which [`Encoder::finish`] returns.
    pub async fn push(&self, batch: RecordBatch) -> bool {
        self.background.push(batch).await
    }

    /// Waits for the file.
    pub async fn finish(self) -> Result<EncodedTable> {
        let table = self.table;
        let (rows, bytes) = self
            .background
            .finish()
            .await
            .map_err(|e| encoding(table, e))?;
        Ok(EncodedTable { table, rows, bytes })
    }
}

/// The path of a table's file for a date, relative to the output root. The
/// name carries the first 16 hex digits of the file's SHA-256, so a new
/// snapshot's files never overwrite a committed snapshot's files.
pub fn table_file(table: &str, snapshot_date: &str, sha256: &str) -> String {
    let short: String = sha256
        .trim_start_matches("sha256:")
        .chars()
        .take(16)
        .collect();
    format!(
        "{}/part-00000-{short}.parquet",
        partition_dir(table, snapshot_date)
    )
}

/// A table's partition folder for a date, relative to the output root.
pub fn partition_dir(table: &str, snapshot_date: &str) -> String {
    format!("{table}/snapshot_date={snapshot_date}")
}

/// Output file records (path, rows, size, digest) of encoded tables.
pub fn records(tables: &[EncodedTable], snapshot_date: &str) -> Vec<OutputFileRecord> {
    tables
        .iter()
        .map(|t| {
            let sha256 = manifest::sha256(&t.bytes);
            OutputFileRecord {
                table: t.table.to_string(),
                path: table_file(t.table, snapshot_date, &sha256),
                rows: t.rows,
                bytes: t.bytes.len() as u64,
                sha256,
            }
        })
        .collect()
}

/// What publishing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new snapshot was committed.
    Published,
    /// An identical snapshot was already committed; nothing was written.
    Unchanged,
    /// A different snapshot was replaced (kept under `_history/`).
    Replaced { previous_run_id: String },
}

/// Reads the committed manifest of a date, if any.
pub async fn read_manifest(out: &Location, snapshot_date: &str) -> Result<Option<Manifest>> {
    read_manifest_at(out, &manifest::manifest_path(snapshot_date)).await
}

/// Reads the committed manifest of a date and its version, if any.
pub async fn read_manifest_versioned(
    out: &Location,
    snapshot_date: &str,
) -> Result<Option<(Manifest, Version)>> {
    read_versioned_at(out, &manifest::manifest_path(snapshot_date)).await
}

/// Reads a manifest and its version at a path relative to the output root.
async fn read_versioned_at(out: &Location, rel: &str) -> Result<Option<(Manifest, Version)>> {
    let path = out.path(rel);
    match out.get_versioned(&path).await {
        Ok(Some((bytes, version))) => {
            let manifest = serde_json::from_slice(&bytes).map_err(|e| Error::BadManifest {
                path: out.describe(&path),
                source: e,
            })?;
            Ok(Some((manifest, version)))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(Error::storage(
            format!("reading {}", out.describe(&path)),
            e,
        )),
    }
}

/// The version of the committed manifest of a date, if any.
pub async fn manifest_version(out: &Location, snapshot_date: &str) -> Result<Option<Version>> {
    let path = out.path(&manifest::manifest_path(snapshot_date));
    match out.get_versioned(&path).await {
        Ok(found) => Ok(found.map(|(_, v)| v)),
        Err(e) => Err(Error::storage(
            format!("reading {}", out.describe(&path)),
            e,
        )),
    }
}

/// Reads a manifest at a path relative to the output root, if it exists.
pub async fn read_manifest_at(out: &Location, rel: &str) -> Result<Option<Manifest>> {
    Ok(read_versioned_at(out, rel).await?.map(|(m, _)| m))
}

/// What publishing a snapshot would do, decided from the committed manifest
/// of its date (step 1 of [`publish`]; what `--dry-run` reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// No snapshot is committed for the date: a new one would be.
    New,
    /// An identical snapshot is committed: nothing would be written (exit 0).
    Unchanged { run_id: String },
    /// Another snapshot is committed and `--replace` was not given (exit 4).
    Conflict { run_id: String, detail: String },
    /// Another snapshot is committed and would be replaced (kept under `_history/`).
    Replace { run_id: String, detail: String },
}

impl Plan {
    /// Decides against the committed manifest, if any.
    pub fn decide(committed: Option<&Manifest>, new: &Manifest, replace: bool) -> Plan {
        match committed {
            None => Plan::New,
            Some(old) if old.content_digest == new.content_digest => Plan::Unchanged {
                run_id: old.run_id.clone(),
            },
            Some(old) if replace => Plan::Replace {
                run_id: old.run_id.clone(),
                detail: describe_difference(old, new),
            },
            Some(old) => Plan::Conflict {
                run_id: old.run_id.clone(),
                detail: describe_difference(old, new),
            },
        }
    }

    /// The error the real run would end with (exit 4), if any.
    pub fn error(&self, date: &str) -> Option<Error> {
        match self {
            Plan::Conflict { detail, .. } => Some(Error::SnapshotConflict {
                date: date.to_string(),
                detail: detail.clone(),
            }),
            _ => None,
        }
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Plan::New => write!(f, "would publish a new snapshot"),
            Plan::Unchanged { run_id } => write!(
                f,
                "would change nothing: the identical snapshot (run {run_id}) is committed"
            ),
            Plan::Conflict { run_id, detail } => write!(
                f,
                "would exit 4: snapshot run {run_id} is committed with other content ({detail}); --replace would replace it"
            ),
            Plan::Replace { run_id, detail } => write!(
                f,
                "would replace snapshot run {run_id} ({detail}), keeping it under _history/"
            ),
        }
    }
}

/// The plan for publishing `new` now (read-only).
pub async fn plan(out: &Location, new: &Manifest, replace: bool) -> Result<Plan> {
    let committed = read_manifest(out, &new.snapshot_date).await?;
    Ok(Plan::decide(committed.as_ref(), new, replace))
}

/// A point of the publishing protocol where a test can stop the process
/// (`ZAFRA_TEST_PAUSE_AT`, see README "Publishing") to interleave another run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The lease (which is also the run's intent record) is taken.
    AfterIntent,
    /// The n-th data file (1-based) is written.
    AfterFile(usize),
    /// The replaced snapshot is archived under `_history/`.
    AfterArchive,
    /// Everything is written; the manifest is next.
    BeforeManifest,
    /// The manifest is committed; cleaning up is next.
    BeforeCleanup,
}

impl std::str::FromStr for Step {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "after-intent" => Ok(Step::AfterIntent),
            "after-archive" => Ok(Step::AfterArchive),
            "before-manifest" => Ok(Step::BeforeManifest),
            "before-cleanup" => Ok(Step::BeforeCleanup),
            other => other
                .strip_prefix("after-file-")
                .and_then(|n| n.parse().ok())
                .map(Step::AfterFile)
                .ok_or_else(|| {
                    format!(
                        "unknown step {other:?} (after-intent, after-file-N, after-archive, before-manifest, before-cleanup)"
                    )
                }),
        }
    }
}

/// How to publish.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// Replace a different committed snapshot (the old one is archived).
    pub replace: bool,
    /// The clock the lease's expiry is read with.
    pub clock: Clock,
    /// Test hook: stop this process (SIGSTOP) at this step.
    pub pause_at: Option<Step>,
}

impl PublishOptions {
    fn pause(&self, step: Step) {
        if self.pause_at == Some(step) {
            warn!(step = ?step, "test hook: stopping this process (SIGSTOP) until it is continued");
            #[cfg(unix)]
            // SAFETY: raise(3) has no memory-safety preconditions.
            unsafe {
                libc::raise(libc::SIGSTOP);
            }
        }
    }
}

/// Publishes a snapshot. The protocol (README, "Publishing"):
///
/// 1. Read the committed manifest of the date and its version. The same
///    content digest: nothing is written ([`Outcome::Unchanged`]); another
///    digest: [`Error::SnapshotConflict`] unless `replace`.
/// 2. Take the date's lease ([`crate::lease`]), whose record is also this
///    run's intent: the files it will write and the manifest version it
///    planned against. Another live holder: [`Error::Busy`] (exit 5).
///    The manifest is read again; if it moved, start over.
/// 3. Write each table file atomically under a content-derived name; when
///    replacing, copy the old snapshot under `_history/`. The lease is
///    renewed (compare-and-swap) before each write: a run that lost it stops.
/// 4. Renew the lease, then commit the manifest conditionally on the version
///    planned against (create-if-absent, or `If-Match` that version): a run
///    never commits over a snapshot it has not seen. A failed condition is
///    decided on what is committed: ours (a retried request) is success;
///    another run's is [`Error::SnapshotConflict`].
/// 5. Clean up as the lease holder: delete files that no committed manifest
///    lists and that no run can still commit (renewing before each delete),
///    then release the lease.
pub async fn publish(
    out: &Location,
    tables: &[EncodedTable],
    manifest: &mut Manifest,
    opts: &PublishOptions,
) -> Result<Outcome> {
    let date = manifest.snapshot_date.clone();
    for _ in 0..4 {
        let existing = read_manifest_versioned(out, &date).await?;
        match Plan::decide(existing.as_ref().map(|(m, _)| m), manifest, opts.replace) {
            Plan::Unchanged { run_id } => {
                info!(snapshot_date = %date, run_id = %run_id, "snapshot already published with identical content");
                tidy(out, &date, &manifest.run_id, opts.clock).await;
                return Ok(Outcome::Unchanged);
            }
            Plan::Conflict { detail, .. } => {
                return Err(Error::SnapshotConflict { date, detail });
            }
            Plan::New | Plan::Replace { .. } => {}
        }
        let planned = existing.as_ref().map(|(_, v)| v.clone());
        // On record: the files this run writes and, when replacing, those of
        // the snapshot it retires (verify reports them as leftovers, not
        // foreign files, until they are deleted).
        let claim = Claim {
            run_id: manifest.run_id.clone(),
            planned_manifest: planned.clone(),
            files: manifest
                .outputs
                .iter()
                .chain(existing.iter().flat_map(|(m, _)| m.outputs.iter()))
                .map(|o| o.path.clone())
                .collect(),
        };
        let lease = match lease::acquire(out, &date, claim, opts.clock).await? {
            Acquired::Held(lease) => lease,
            Acquired::Busy(holder) => {
                return Err(Error::Busy {
                    date,
                    holder: holder.describe(),
                });
            }
        };
        let lease: SharedLease = Arc::new(tokio::sync::Mutex::new(*lease));
        // Whatever happens while the lease is held, it is released after.
        let outcome = as_holder(out, tables, manifest, existing, planned, &lease, opts).await;
        let committed = matches!(outcome, Ok(Some(_)));
        lease.lock().await.release(committed).await;
        if let Some(outcome) = outcome? {
            return Ok(outcome);
        }
    }
    Err(Error::Busy {
        date,
        holder: "other runs kept committing while this one prepared".to_string(),
    })
}

/// Steps 3 to 5, holding the lease. `None`: the manifest moved between
/// reading it and taking the lease; start over.
async fn as_holder(
    out: &Location,
    tables: &[EncodedTable],
    manifest: &mut Manifest,
    existing: Option<(Manifest, Version)>,
    planned: Option<Version>,
    lease: &SharedLease,
    opts: &PublishOptions,
) -> Result<Option<Outcome>> {
    if manifest_version(out, &manifest.snapshot_date).await? != planned {
        return Ok(None);
    }
    opts.pause(Step::AfterIntent);
    let renewal = lease::keep_alive(Arc::clone(lease));
    let outcome = write_and_commit(out, tables, manifest, existing, lease, opts).await;
    renewal.stop().await;
    let outcome = outcome?;
    opts.pause(Step::BeforeCleanup);
    clean_up(out, lease, manifest).await;
    Ok(Some(outcome))
}

/// Step 3 and 4, as the lease holder.
async fn write_and_commit(
    out: &Location,
    tables: &[EncodedTable],
    manifest: &mut Manifest,
    existing: Option<(Manifest, Version)>,
    lease: &SharedLease,
    opts: &PublishOptions,
) -> Result<Outcome> {
    let date = manifest.snapshot_date.clone();
    for (i, (table, record)) in tables.iter().zip(&manifest.outputs).enumerate() {
        lease.lock().await.renew().await?;
        let path = out.path(&record.path);
        out.write(&path, table.bytes.clone(), WriteMode::Overwrite)
            .await
            .map_err(|e| Error::storage(format!("writing {}", out.describe(&path)), e))?;
        info!(table = table.table, rows = table.rows, path = %record.path, "written");
        opts.pause(Step::AfterFile(i + 1));
    }
    let mut outcome = Outcome::Published;
    let mut condition = Precondition::Absent;
    if let Some((previous, version)) = existing {
        lease.lock().await.renew().await?;
        let history = archive(out, &previous).await?;
        manifest.replaces = Some(ReplacedRecord {
            run_id: previous.run_id.clone(),
            content_digest: previous.content_digest.clone(),
            history_path: history,
        });
        outcome = Outcome::Replaced {
            previous_run_id: previous.run_id,
        };
        condition = Precondition::At(version);
        opts.pause(Step::AfterArchive);
    }
    lease.lock().await.renew().await?;
    opts.pause(Step::BeforeManifest);
    let manifest_path = out.path(&manifest::manifest_path(&date));
    let body = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::internal_from("serialising the manifest", e))?;
    match out.put_if(&manifest_path, body, &condition).await {
        Ok(_) => {}
        Err(failure) => {
            // The request may have been applied even though it reported an
            // error (a lost response, or a retried request refused by its own
            // first attempt). Decide on what is committed now.
            let committed = read_manifest(out, &date).await.ok().flatten();
            match (committed, failure) {
                (Some(m), failure) if m.content_digest == manifest.content_digest => {
                    warn!(error = ?failure, "the manifest write reported an error but our manifest is committed");
                }
                (Some(m), PutIfError::Conflict) => {
                    return Err(Error::SnapshotConflict {
                        date,
                        detail: format!(
                            "another run committed run {} while this run was publishing: {}",
                            m.run_id,
                            describe_difference(&m, manifest)
                        ),
                    });
                }
                (None, PutIfError::Conflict) => {
                    return Err(Error::Busy {
                        date,
                        holder: "another run changed the snapshot while this run was publishing"
                            .to_string(),
                    });
                }
                (_, PutIfError::Store(error)) => {
                    return Err(Error::storage(
                        format!("committing {}", out.describe(&manifest_path)),
                        error,
                    ));
                }
            }
        }
    }
    info!(snapshot_date = %date, run_id = %manifest.run_id, "committed");
    Ok(outcome)
}

/// Paths on record as written but not committed, for `verify`: the lease's
/// files (its holder's, pending, garbage) and, from earlier versions of
/// zafra, intent records under `_staging/`.
pub async fn pending_paths(out: &Location, snapshot_date: &str) -> Result<Vec<String>> {
    let mut paths: Vec<String> = match lease::read(out, snapshot_date).await? {
        Some(record) => record.recorded_files().cloned().collect(),
        None => Vec::new(),
    };
    let dir = out.path(&intent_dir(snapshot_date));
    for record in out.list_all(&dir).await? {
        let bytes = match out.store().get(&record.location).await {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        }
        .map_err(|e| Error::storage(format!("reading {}", out.describe(&record.location)), e))?;
        // An unreadable record (a torn write) lists nothing.
        if let Ok(listed) = serde_json::from_slice::<Vec<String>>(&bytes) {
            paths.extend(listed);
        }
    }
    Ok(paths)
}

/// The folder of a date's intent records written by zafra before leases.
fn intent_dir(snapshot_date: &str) -> String {
    format!("_staging/snapshot_date={snapshot_date}")
}

/// For a run that found its snapshot already committed: clean up leftovers
/// if the lease is free (best effort; a busy lease is left alone).
async fn tidy(out: &Location, date: &str, run_id: &str, clock: Clock) {
    let claim = Claim {
        run_id: run_id.to_string(),
        planned_manifest: None,
        files: Vec::new(),
    };
    let lease = match lease::acquire(out, date, claim, clock).await {
        Ok(Acquired::Held(lease)) => Arc::new(tokio::sync::Mutex::new(*lease)),
        Ok(Acquired::Busy(holder)) => {
            info!(holder = %holder.describe(), "another run holds the lease; leftovers are left to it");
            return;
        }
        Err(e) => {
            warn!(error = %e, "cannot take the lease to clean up leftovers");
            return;
        }
    };
    match read_manifest(out, date).await {
        Ok(Some(committed)) => clean_up(out, &lease, &committed).await,
        Ok(None) => {}
        Err(e) => warn!(error = %e, "cannot read the manifest to clean up leftovers"),
    }
    lease.lock().await.release(true).await;
}

/// Step 5, best effort, as the lease holder: deletes files of the date
/// that the committed manifest does not list and that no run can still
/// commit, renewing the lease before each delete; records what is left.
async fn clean_up(out: &Location, lease: &SharedLease, committed: &Manifest) {
    if let Err(e) = try_clean_up(out, lease, committed).await {
        warn!(error = %e, "the snapshot is committed, but cleaning up leftovers failed; the next run of this date retries");
    }
}

async fn try_clean_up(out: &Location, lease: &SharedLease, committed: &Manifest) -> Result<()> {
    let date = &committed.snapshot_date;
    // The version the manifest has now: pending entries planned against
    // another version can no longer commit.
    let Some((now_committed, version)) = read_manifest_versioned(out, date).await? else {
        return Ok(());
    };
    if now_committed.content_digest != committed.content_digest {
        return Ok(()); // another run committed since; it cleans up
    }
    let record = lease.lock().await.record().clone();
    let (pending, garbage) = lease::sort_pending(&record, Some(&version));
    let keep: BTreeSet<&str> = committed
        .outputs
        .iter()
        .map(|o| o.path.as_str())
        .chain(
            pending
                .iter()
                .flat_map(|p| p.files.iter().map(String::as_str)),
        )
        .collect();
    let mut doomed: BTreeSet<String> = garbage.iter().cloned().collect();
    let tables: BTreeSet<&str> = committed.outputs.iter().map(|o| o.table.as_str()).collect();
    for table in tables {
        let dir = out.path(&partition_dir(table, date));
        for meta in out.list_all(&dir).await? {
            if meta.location.filename().is_some_and(|n| n.starts_with('.')) {
                continue; // another writer's temporary file
            }
            doomed.insert(out.relative(&meta.location));
        }
    }
    doomed.retain(|p| !keep.contains(p.as_str()));
    let mut left = Vec::new();
    let mut failed = None;
    for rel in doomed {
        if failed.is_some() {
            left.push(rel);
            continue;
        }
        if let Err(e) = lease.lock().await.renew().await {
            failed = Some(e);
            left.push(rel);
            continue;
        }
        warn!(path = %rel, "removing a file no committed snapshot lists");
        match out.store().delete(&out.path(&rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => {
                failed = Some(Error::storage(format!("deleting {rel}"), e));
                left.push(rel);
            }
        }
    }
    if failed.is_none() {
        // Intent records of zafra versions before leases.
        let dir = out.path(&intent_dir(date));
        for meta in out.list_all(&dir).await? {
            lease.lock().await.renew().await?;
            match out.store().delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => {
                    return Err(Error::storage(
                        format!("deleting {}", out.describe(&meta.location)),
                        e,
                    ));
                }
            }
        }
    }
    lease.lock().await.set_leftovers(pending, left).await?;
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Copies a committed snapshot's files and manifest under
/// `_history/snapshot_date=D/run_id=R/`; returns that folder.
async fn archive(out: &Location, existing: &Manifest) -> Result<String> {
    let history = format!(
        "_history/snapshot_date={}/run_id={}",
        existing.snapshot_date, existing.run_id
    );
    for file in &existing.outputs {
        let from = out.path(&file.path);
        let to = out.path(&format!("{history}/{}", file.path));
        copy(out, &from, &to).await?;
    }
    let from = out.path(&manifest::manifest_path(&existing.snapshot_date));
    let to = out.path(&format!("{history}/manifest.json"));
    copy(out, &from, &to).await?;
    Ok(history)
}

async fn copy(out: &Location, from: &Path, to: &Path) -> Result<()> {
    let bytes = out
        .store()
        .get(from)
        .await
        .map_err(|e| Error::storage(format!("archiving {}", out.describe(from)), e))?
        .bytes()
        .await
        .map_err(|e| Error::storage(format!("archiving {}", out.describe(from)), e))?;
    out.write(to, bytes.to_vec(), WriteMode::Overwrite)
        .await
        .map_err(|e| Error::storage(format!("archiving to {}", out.describe(to)), e))
}

fn describe_difference(old: &Manifest, new: &Manifest) -> String {
    let mut parts = Vec::new();
    if old.config_digest != new.config_digest {
        parts.push("the configuration differs".to_string());
    }
    if old.inputs != new.inputs {
        let changed: Vec<_> = new
            .inputs
            .iter()
            .filter(|f| !old.inputs.contains(f))
            .map(|f| f.path.clone())
            .chain(
                old.inputs
                    .iter()
                    .filter(|f| !new.inputs.iter().any(|n| n.path == f.path))
                    .map(|f| format!("{} (gone)", f.path)),
            )
            .take(10)
            .collect();
        parts.push(format!("input files differ: {}", changed.join(", ")));
    }
    let tables: Vec<_> = new
        .outputs
        .iter()
        .filter(|f| {
            !old.outputs
                .iter()
                .any(|o| o.path == f.path && o.sha256 == f.sha256)
        })
        .map(|f| f.table.clone())
        .collect();
    if !tables.is_empty() {
        parts.push(format!("output tables differ: {}", tables.join(", ")));
    }
    if parts.is_empty() {
        parts.push(format!(
            "content digest {} vs {}",
            old.content_digest, new.content_digest
        ));
    }
    parts.join("; ")
}
