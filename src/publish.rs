//! Publishing a snapshot: encode the output tables as Parquet, write them
//! under `<table>/snapshot_date=D/`, then write the manifest — the commit
//! point — last. A snapshot exists exactly when its manifest does.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use tracing::{info, warn};

use std::collections::BTreeSet;
use std::sync::Arc;

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
/// rows (see [`RowGroupWriter`]).
pub fn encode(
    table: &'static str,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<EncodedTable> {
    let mut writer = RowGroupWriter::new(table, schema)?;
    for batch in batches {
        writer.push(batch.clone())?;
    }
    writer.finish()
}

/// Writes an output table's rows, in their order, into an in-memory Parquet
/// file, one full row group at a time: rows are held until
/// [`ROW_GROUP_ROWS`] of them are there, then written as one row group of
/// exactly that many (the last group: the rest). The bytes thus depend only
/// on the rows, however they arrived in batches; at most one row group's
/// rows are held.
///
/// A row group's columns are encoded in parallel, each by its own
/// `ArrowColumnWriter` on a scoped thread, then appended in schema order:
/// the same column writers, the same calls and the same order as
/// `ArrowWriter::write` of the whole group followed by a flush, so the same
/// bytes (tests: `parallel_columns_write_the_bytes_of_arrow_writer`).
pub struct RowGroupWriter {
    table: &'static str,
    schema: SchemaRef,
    held: Vec<RecordBatch>,
    held_rows: usize,
    rows: u64,
    file: SerializedFileWriter<Vec<u8>>,
    columns: ArrowRowGroupWriterFactory,
    row_groups: usize,
    group_rows: usize,
}

impl RowGroupWriter {
    pub fn new(table: &'static str, schema: SchemaRef) -> Result<Self> {
        Self::with_group_rows(table, schema, ROW_GROUP_ROWS)
    }

    fn with_group_rows(table: &'static str, schema: SchemaRef, group_rows: usize) -> Result<Self> {
        let encoding = |e| Error::internal_from(format!("encoding `{table}`"), e);
        // The Arrow writer sets the file up (Parquet schema, properties, the
        // Arrow schema in its metadata); its lower-level parts write the rows.
        let props = properties(group_rows);
        let (file, columns) = ArrowWriter::try_new(Vec::new(), Arc::clone(&schema), Some(props))
            .and_then(ArrowWriter::into_serialized_writer)
            .map_err(encoding)?;
        Ok(Self {
            table,
            schema,
            held: Vec::new(),
            held_rows: 0,
            rows: 0,
            file,
            columns,
            row_groups: 0,
            group_rows,
        })
    }

    /// Takes the next rows.
    pub fn push(&mut self, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.held_rows += batch.num_rows();
        self.held.push(batch);
        while self.held_rows >= self.group_rows {
            let all = self.concat()?;
            self.write(&all.slice(0, self.group_rows))?;
            let rest = all.slice(self.group_rows, all.num_rows() - self.group_rows);
            self.held_rows = rest.num_rows();
            self.held = vec![rest];
        }
        Ok(())
    }

    /// Writes the last row group and closes the file.
    pub fn finish(mut self) -> Result<EncodedTable> {
        if self.held_rows > 0 {
            let all = self.concat()?;
            self.write(&all)?;
        }
        let table = self.table;
        let bytes = self
            .file
            .into_inner()
            .map_err(|e| Error::internal_from(format!("encoding `{table}`"), e))?;
        Ok(EncodedTable {
            table,
            rows: self.rows,
            bytes,
        })
    }

    fn concat(&mut self) -> Result<RecordBatch> {
        let held = std::mem::take(&mut self.held);
        datafusion::arrow::compute::concat_batches(&self.schema, &held)
            .map_err(|e| Error::internal_from(format!("concatenating `{}`", self.table), e))
    }

    /// Writes one row group: every column encoded on a thread of its own.
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let table = self.table;
        let encoding = |e| Error::internal_from(format!("encoding `{table}`"), e);
        let writers = self
            .columns
            .create_column_writers(self.row_groups)
            .map_err(encoding)?;
        // One leaf per column: the output tables have no nested columns.
        let mut leaves = Vec::with_capacity(writers.len());
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            leaves.extend(compute_leaves(field, column).map_err(encoding)?);
        }
        if leaves.len() != writers.len() {
            return Err(Error::internal(format!(
                "encoding `{table}`: {} leaves for {} columns",
                leaves.len(),
                writers.len()
            )));
        }
        let chunks = std::thread::scope(|scope| {
            let running: Vec<_> = writers
                .into_iter()
                .zip(&leaves)
                .map(|(mut writer, leaf)| {
                    scope.spawn(move || {
                        writer.write(leaf)?;
                        writer.close()
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|thread| match thread.join() {
                    Ok(chunk) => chunk.map_err(encoding),
                    Err(_) => Err(Error::internal(format!(
                        "encoding `{table}`: a column's thread panicked"
                    ))),
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let mut group = self.file.next_row_group().map_err(encoding)?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group).map_err(encoding)?;
        }
        group.close().map_err(encoding)?;
        self.row_groups += 1;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }
}

/// The outputs' Parquet settings, with `group_rows` rows per row group.
fn properties(group_rows: usize) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(group_rows))
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

/// A [`RowGroupWriter`] on a blocking thread of its own, so that a table is
/// encoded while the next rows (and the next tables) are computed. Batches
/// reach it through a queue of [`QUEUED_BATCHES`]: a producer further ahead
/// of the encoder waits.
pub struct Encoder {
    table: &'static str,
    sender: tokio::sync::mpsc::Sender<RecordBatch>,
    handle: tokio::task::JoinHandle<Result<EncodedTable>>,
}

impl Encoder {
    pub fn start(table: &'static str, schema: SchemaRef) -> Result<Self> {
        let mut writer = RowGroupWriter::new(table, schema)?;
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<RecordBatch>(QUEUED_BATCHES);
        let handle = tokio::task::spawn_blocking(move || {
            while let Some(batch) = receiver.blocking_recv() {
                writer.push(batch)?;
            }
            writer.finish()
        });
        Ok(Self {
            table,
            sender,
            handle,
        })
    }

    /// Queues the next rows. False when the encoder has stopped on an error,
    /// which [`Encoder::finish`] returns.
    pub async fn push(&self, batch: RecordBatch) -> bool {
        self.sender.send(batch).await.is_ok()
    }

    /// Waits for the file.
    pub async fn finish(self) -> Result<EncodedTable> {
        drop(self.sender);
        let table = self.table;
        self.handle
            .await
            .map_err(|e| Error::internal_from(format!("encoding `{table}` stopped"), e))?
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

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        ArrayRef, Date32Array, Decimal128Array, Int64Array, StringArray,
    };
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    /// Rows with nulls, repeats (dictionary pages) and distinct strings.
    fn rows(n: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("client_id", DataType::Utf8, true),
            Field::new("segment", DataType::Utf8, false),
            Field::new("billing", DataType::Decimal128(38, 2), true),
            Field::new("day", DataType::Date32, true),
            Field::new("lines", DataType::Int64, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter((0..n).map(|i| {
                (i % 7 != 3).then(|| format!("C{:06}", i * 7919 % 100_003))
            }))),
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| ["RETENCION", "INVERSION", "REVISION"][i % 3]),
            )),
            Arc::new(
                Decimal128Array::from_iter(
                    (0..n).map(|i| (i % 11 != 0).then_some(i as i128 * 1013 - 500_000)),
                )
                .with_precision_and_scale(38, 2)
                .unwrap(),
            ),
            Arc::new(Date32Array::from_iter(
                (0..n).map(|i| (i % 5 != 0).then_some(19_000 + (i % 400) as i32)),
            )),
            Arc::new(Int64Array::from_iter_values(
                (0..n).map(|i| (i * i % 97) as i64),
            )),
        ];
        RecordBatch::try_new(schema, columns).unwrap()
    }

    #[test]
    fn parallel_columns_write_the_bytes_of_arrow_writer() {
        let group_rows = 1000;
        for n in [0, 1, 999, 1000, 1001, 3500] {
            let all = rows(n);
            // The reference: one Arrow writer, fed in uneven slices.
            let mut reference =
                ArrowWriter::try_new(Vec::new(), all.schema(), Some(properties(group_rows)))
                    .unwrap();
            let mut at = 0;
            for len in [1, 700, 1500, usize::MAX].into_iter().cycle() {
                if at >= n {
                    break;
                }
                let len = len.min(n - at);
                reference.write(&all.slice(at, len)).unwrap();
                at += len;
            }
            let expected = reference.into_inner().unwrap();
            // Row groups of parallel columns, fed in other slices.
            let mut writer =
                RowGroupWriter::with_group_rows("t", all.schema(), group_rows).unwrap();
            let mut at = 0;
            for len in [333, 1, 2000].into_iter().cycle() {
                if at >= n {
                    break;
                }
                let len = len.min(n - at);
                writer.push(all.slice(at, len)).unwrap();
                at += len;
            }
            let encoded = writer.finish().unwrap();
            assert_eq!(encoded.rows, n as u64);
            assert!(encoded.bytes == expected, "{n} rows: the files differ");
        }
    }
}
