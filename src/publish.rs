//! Publishing a snapshot: encode the output tables as Parquet, write them
//! under `<table>/snapshot_date=D/`, then write the manifest — the commit
//! point — last. A snapshot exists exactly when its manifest does.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::manifest::{self, Manifest, OutputFileRecord, ReplacedRecord};
use crate::storage::{Location, WriteMode};

/// Rows per Parquet row group of the outputs.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// One output table, encoded and ready to write.
pub struct EncodedTable {
    pub table: &'static str,
    pub rows: u64,
    pub bytes: Vec<u8>,
}

/// Encodes sorted batches as one Parquet file. The bytes depend only on the
/// rows: batches are concatenated first, so batch boundaries cannot move pages.
pub fn encode(
    table: &'static str,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<EncodedTable> {
    let wrap =
        |e: parquet::errors::ParquetError| Error::internal_from(format!("encoding `{table}`"), e);
    let batch = datafusion::arrow::compute::concat_batches(&schema, batches)
        .map_err(|e| Error::internal_from(format!("concatenating `{table}`"), e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, schema, Some(props)).map_err(wrap)?;
    if batch.num_rows() > 0 {
        writer.write(&batch).map_err(wrap)?;
    }
    writer.close().map_err(wrap)?;
    Ok(EncodedTable {
        table,
        rows: batch.num_rows() as u64,
        bytes: buffer,
    })
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

/// Reads a manifest at a path relative to the output root, if it exists.
pub async fn read_manifest_at(out: &Location, rel: &str) -> Result<Option<Manifest>> {
    let path = out.path(rel);
    match out.store().get(&path).await {
        Ok(result) => {
            let bytes = result
                .bytes()
                .await
                .map_err(|e| Error::storage(format!("reading {}", out.describe(&path)), e))?;
            let manifest = serde_json::from_slice(&bytes).map_err(|e| {
                Error::internal_from(format!("parsing manifest {}", out.describe(&path)), e)
            })?;
            Ok(Some(manifest))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(Error::storage(
            format!("reading {}", out.describe(&path)),
            e,
        )),
    }
}

/// Publishes a snapshot. The protocol (README, "Publishing"):
///
/// 1. If a manifest for the date exists with the same content digest, nothing
///    is written ([`Outcome::Unchanged`]); with another digest the run stops
///    with [`Error::SnapshotConflict`] unless `replace`.
/// 2. An intent record `_staging/snapshot_date=D/<run_id>.json` lists the
///    files about to be written and those about to be replaced (so `verify` can tell a failed run's
///    leftovers from foreign files); then each table file is written
///    atomically under a content-derived name.
/// 3. When replacing, the old manifest and files are copied under
///    `_history/snapshot_date=D/run_id=R/` first.
/// 4. The manifest is written last — create-if-absent (or atomically
///    overwritten when replacing): this is the commit point.
/// 5. Files in the date's partition folders that the committed manifest does
///    not list (a replaced snapshot's, a failed run's) are deleted, then the
///    date's intent records. This is best effort: the snapshot is committed,
///    so a failure here is a warning and the next run of the date cleans up.
///
/// A failure before step 4 leaves the previous state committed; its
/// leftovers are removed by step 5 of the next run for that date.
pub async fn publish(
    out: &Location,
    tables: &[EncodedTable],
    manifest: &mut Manifest,
    replace: bool,
) -> Result<Outcome> {
    let date = manifest.snapshot_date.clone();
    let existing = read_manifest(out, &date).await?;
    if let Some(existing) = &existing {
        if existing.content_digest == manifest.content_digest {
            info!(snapshot_date = %date, run_id = %existing.run_id, "snapshot already published with identical content");
            clean_up(out, existing).await;
            return Ok(Outcome::Unchanged);
        }
        if !replace {
            return Err(Error::SnapshotConflict {
                date,
                detail: describe_difference(existing, manifest),
            });
        }
    }
    let intent = intent_path(&date, &manifest.run_id);
    // New files, and (when replacing) the files the replaced snapshot leaves behind.
    let listed: Vec<&str> = manifest
        .outputs
        .iter()
        .chain(existing.iter().flat_map(|m| m.outputs.iter()))
        .map(|o| o.path.as_str())
        .collect();
    let intent_body = serde_json::to_vec_pretty(&listed)
        .map_err(|e| Error::internal_from("serialising the intent record", e))?;
    out.write(&out.path(&intent), intent_body, WriteMode::Overwrite)
        .await
        .map_err(|e| Error::storage(format!("writing {intent}"), e))?;
    for (table, record) in tables.iter().zip(&manifest.outputs) {
        let path = out.path(&record.path);
        out.write(&path, table.bytes.clone(), WriteMode::Overwrite)
            .await
            .map_err(|e| Error::storage(format!("writing {}", out.describe(&path)), e))?;
        info!(table = table.table, rows = table.rows, path = %record.path, "written");
    }
    let mut outcome = Outcome::Published;
    if let Some(existing) = existing {
        let history = archive(out, &existing).await?;
        manifest.replaces = Some(ReplacedRecord {
            run_id: existing.run_id.clone(),
            content_digest: existing.content_digest.clone(),
            history_path: history,
        });
        outcome = Outcome::Replaced {
            previous_run_id: existing.run_id,
        };
    }
    let manifest_path = out.path(&manifest::manifest_path(&date));
    let body = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::internal_from("serialising the manifest", e))?;
    let mode = if matches!(outcome, Outcome::Replaced { .. }) {
        WriteMode::Overwrite
    } else {
        WriteMode::CreateNew
    };
    if let Err(error) = out.write(&manifest_path, body, mode).await {
        // The request may have been applied even though it reported an error (a
        // lost response, or "already exists" for our own retried create).
        // Decide on what is committed now, never on the error alone.
        let committed = read_manifest(out, &date).await.ok().flatten();
        match committed {
            Some(m) if m.content_digest == manifest.content_digest => {
                warn!(error = %error, "the manifest write reported an error but our manifest is committed");
            }
            Some(m) if matches!(error, object_store::Error::AlreadyExists { .. }) => {
                return Err(Error::SnapshotConflict {
                    date,
                    detail: describe_difference(&m, manifest),
                });
            }
            _ => {
                return Err(Error::storage(
                    format!("committing {}", out.describe(&manifest_path)),
                    error,
                ));
            }
        }
    }
    info!(snapshot_date = %date, run_id = %manifest.run_id, "committed");
    clean_up(out, manifest).await;
    Ok(outcome)
}

/// The intent record of a run, relative to the output root.
pub fn intent_path(snapshot_date: &str, run_id: &str) -> String {
    format!("{}/{run_id}.json", intent_dir(snapshot_date))
}

/// The folder of a date's intent records, relative to the output root.
pub fn intent_dir(snapshot_date: &str) -> String {
    format!("_staging/snapshot_date={snapshot_date}")
}

/// Paths listed by the intent records of a date: files some run meant to
/// write, which are leftovers if no manifest lists them.
pub async fn pending_paths(out: &Location, snapshot_date: &str) -> Result<Vec<String>> {
    let dir = out.path(&intent_dir(snapshot_date));
    let records: Vec<_> = out.list_all(&dir).await?;
    let mut paths = Vec::new();
    for record in records {
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

/// Step 5, best effort: leftovers and intent records of the date.
async fn clean_up(out: &Location, committed: &Manifest) {
    let result = async {
        remove_unlisted(out, committed).await?;
        remove_all(out, &out.path(&intent_dir(&committed.snapshot_date))).await
    }
    .await;
    if let Err(e) = result {
        warn!(error = %e, "the snapshot is committed, but cleaning up leftovers failed; the next run of this date retries");
    }
}

async fn remove_all(out: &Location, dir: &Path) -> Result<()> {
    let listed: Vec<_> = out.list_all(dir).await?;
    for meta in listed {
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
    Ok(())
}

/// Deletes files in the date's partition folders that `committed` does not
/// list: a replaced snapshot's files (archived first) or a failed run's.
async fn remove_unlisted(out: &Location, committed: &Manifest) -> Result<()> {
    let tables: std::collections::BTreeSet<&str> =
        committed.outputs.iter().map(|o| o.table.as_str()).collect();
    for table in tables {
        let dir = out.path(&partition_dir(table, &committed.snapshot_date));
        let listed: Vec<_> = out.list_all(&dir).await?;
        for meta in listed {
            let rel = out.relative(&meta.location);
            if committed.outputs.iter().any(|o| o.path == rel) {
                continue;
            }
            warn!(path = %rel, "removing a file the committed manifest does not list");
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
    Ok(())
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
