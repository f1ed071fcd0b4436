//! Publishing a snapshot: encode the output tables as Parquet, write them
//! under `<table>/snapshot_date=D/`, then write the manifest — the commit
//! point — last. A snapshot exists exactly when its manifest does.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use object_store::path::Path;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::manifest::{self, Manifest, OutputFileRecord, ReplacedRecord};
use crate::storage::Location;

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
pub fn encode(table: &'static str, schema: SchemaRef, batches: &[RecordBatch]) -> Result<EncodedTable> {
    let wrap = |e: parquet::errors::ParquetError| Error::internal_from(format!("encoding `{table}`"), e);
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

/// The path of a table's file for a date, relative to the output root.
pub fn table_file(table: &str, snapshot_date: &str) -> String {
    format!("{table}/snapshot_date={snapshot_date}/part-00000.parquet")
}

/// Output file records (path, rows, size, digest) of encoded tables.
pub fn records(tables: &[EncodedTable], snapshot_date: &str) -> Vec<OutputFileRecord> {
    tables
        .iter()
        .map(|t| OutputFileRecord {
            table: t.table.to_string(),
            path: table_file(t.table, snapshot_date),
            rows: t.rows,
            bytes: t.bytes.len() as u64,
            sha256: manifest::sha256(&t.bytes),
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
    let path = out.path(&manifest::manifest_path(snapshot_date));
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
        Err(e) => Err(Error::storage(format!("reading {}", out.describe(&path)), e)),
    }
}

/// Publishes the tables and then the manifest. If a snapshot for the date
/// exists: identical content ⇒ [`Outcome::Unchanged`]; different content ⇒
/// [`Error::SnapshotConflict`] unless `replace`, which first copies the old
/// snapshot (data + manifest) under `_history/`.
pub async fn publish(
    out: &Location,
    tables: &[EncodedTable],
    manifest: &mut Manifest,
    replace: bool,
) -> Result<Outcome> {
    let date = manifest.snapshot_date.clone();
    let mut outcome = Outcome::Published;
    if let Some(existing) = read_manifest(out, &date).await? {
        if existing.content_digest == manifest.content_digest {
            info!(snapshot_date = %date, run_id = %existing.run_id, "snapshot already published with identical content");
            return Ok(Outcome::Unchanged);
        }
        if !replace {
            return Err(Error::SnapshotConflict {
                date,
                detail: describe_difference(&existing, manifest),
            });
        }
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
    for table in tables {
        let rel = table_file(table.table, &date);
        let dir = out.path(&format!("{}/snapshot_date={date}", table.table));
        remove_other_files(out, &dir, &out.path(&rel)).await?;
        put(out, &out.path(&rel), PutPayload::from(table.bytes.clone()), PutMode::Overwrite).await?;
        info!(table = table.table, rows = table.rows, path = %rel, "written");
    }
    let manifest_rel = manifest::manifest_path(&date);
    let body = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::internal_from("serialising the manifest", e))?;
    let mode = if matches!(outcome, Outcome::Replaced { .. }) {
        PutMode::Overwrite
    } else {
        PutMode::Create
    };
    match put(out, &out.path(&manifest_rel), PutPayload::from(body.clone()), mode).await {
        Ok(()) => {}
        Err(Error::Storage {
            source: object_store::Error::AlreadyExists { .. },
            ..
        }) => {
            // Another writer (or our own retried request) committed first: read
            // it back and decide on its content, never on the error alone.
            match read_manifest(out, &date).await? {
                Some(m) if m.content_digest == manifest.content_digest => {
                    return Ok(Outcome::Unchanged);
                }
                Some(m) => {
                    return Err(Error::SnapshotConflict {
                        date,
                        detail: describe_difference(&m, manifest),
                    });
                }
                None => return Err(Error::internal("manifest vanished after AlreadyExists")),
            }
        }
        Err(e) => return Err(e),
    }
    info!(snapshot_date = %date, run_id = %manifest.run_id, path = %manifest_rel, "committed");
    Ok(outcome)
}

async fn put(out: &Location, path: &Path, payload: PutPayload, mode: PutMode) -> Result<()> {
    let options = PutOptions {
        mode,
        ..Default::default()
    };
    out.store()
        .put_opts(path, payload, options)
        .await
        .map(|_| ())
        .map_err(|e| Error::storage(format!("writing {}", out.describe(path)), e))
}

/// Deletes files in a partition folder other than `keep` (leftovers of a
/// failed run, or files of a replaced snapshot already archived).
async fn remove_other_files(out: &Location, dir: &Path, keep: &Path) -> Result<()> {
    use futures::TryStreamExt;
    let listed: Vec<_> = out
        .store()
        .list(Some(dir))
        .try_collect()
        .await
        .or_else(|e| match e {
            object_store::Error::NotFound { .. } => Ok(Vec::new()),
            e => Err(Error::storage(format!("listing {}", out.describe(dir)), e)),
        })?;
    for meta in listed {
        if &meta.location != keep {
            warn!(path = %out.describe(&meta.location), "removing a file no manifest refers to");
            out.store()
                .delete(&meta.location)
                .await
                .map_err(|e| Error::storage(format!("deleting {}", out.describe(&meta.location)), e))?;
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
        copy(out.store(), &from, &to)
            .await
            .map_err(|e| Error::storage(format!("archiving {}", out.describe(&from)), e))?;
    }
    let from = out.path(&manifest::manifest_path(&existing.snapshot_date));
    let to = out.path(&format!("{history}/manifest.json"));
    copy(out.store(), &from, &to)
        .await
        .map_err(|e| Error::storage(format!("archiving {}", out.describe(&from)), e))?;
    Ok(history)
}

async fn copy(store: &Arc<dyn ObjectStore>, from: &Path, to: &Path) -> object_store::Result<()> {
    let bytes = store.get(from).await?.bytes().await?;
    store.put(to, PutPayload::from(bytes)).await.map(|_| ())
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
        .filter(|f| !old.outputs.iter().any(|o| o.path == f.path && o.sha256 == f.sha256))
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
