//! Committed snapshots: list them and verify their files against their
//! manifests (what auditors run).

use std::collections::BTreeSet;

use object_store::ObjectStoreExt;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::manifest::{self, Manifest};
use crate::publish::{partition_dir, read_manifest_at};
use crate::storage::Location;

/// One committed snapshot, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotInfo {
    pub snapshot_date: String,
    pub run_id: String,
    pub content_digest: String,
    /// Rows per published table, in [`crate::outputs::OUTPUTS`] order.
    pub rows: Vec<(&'static str, u64)>,
    /// Run ids of the snapshots this date replaced, kept under `_history/`.
    pub replaced: Vec<String>,
}

/// Every committed snapshot under the output root, by date.
pub async fn list(out: &Location) -> Result<Vec<SnapshotInfo>> {
    let mut infos = Vec::new();
    for date in committed_dates(out).await? {
        let Some(m) = read_manifest_at(out, &manifest::manifest_path(&date)).await? else {
            continue;
        };
        let count = |t: &str| m.counts.tables.get(t).copied().unwrap_or(0);
        infos.push(SnapshotInfo {
            snapshot_date: m.snapshot_date.clone(),
            run_id: m.run_id.clone(),
            content_digest: m.content_digest.clone(),
            rows: crate::outputs::OUTPUTS
                .iter()
                .map(|t| (t.name, count(t.name)))
                .collect(),
            replaced: replaced_runs(out, &date).await?,
        });
    }
    Ok(infos)
}

/// Dates with a manifest in `_manifests/`, sorted.
pub async fn committed_dates(out: &Location) -> Result<Vec<String>> {
    let dir = out.path("_manifests");
    let listed: Vec<_> = out.list_all(&dir).await?;
    let mut dates: Vec<String> = listed
        .iter()
        .filter_map(|m| m.location.filename())
        .filter_map(|name| {
            name.strip_prefix("snapshot_date=")
                .and_then(|rest| rest.strip_suffix(".json"))
                .map(str::to_string)
        })
        .collect();
    dates.sort();
    Ok(dates)
}

async fn replaced_runs(out: &Location, date: &str) -> Result<Vec<String>> {
    let dir = out.path(&format!("_history/snapshot_date={date}"));
    let listed: Vec<_> = out.list_all(&dir).await?;
    let runs: BTreeSet<String> = listed
        .iter()
        .filter_map(|m| {
            let rel = out.relative(&m.location);
            rel.split('/')
                .find_map(|part| part.strip_prefix("run_id=").map(str::to_string))
        })
        .collect();
    Ok(runs.into_iter().collect())
}

/// One problem `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Problem {
    /// A file the manifest lists is not there.
    Missing { path: String },
    /// A file's bytes do not hash to the manifest's SHA-256 (or its size differs).
    Changed {
        path: String,
        expected: String,
        found: String,
    },
    /// A file in the snapshot's partition folders that the manifest does not list.
    Extra { path: String },
    /// The manifest cannot be read.
    BadManifest { path: String, detail: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing { path } => write!(f, "missing: {path}"),
            Problem::Changed {
                path,
                expected,
                found,
            } => {
                write!(f, "changed: {path} (manifest {expected}, file {found})")
            }
            Problem::Extra { path } => write!(f, "extra: {path} (not in the manifest)"),
            Problem::BadManifest { path, detail } => {
                write!(f, "unreadable manifest {path}: {detail}")
            }
        }
    }
}

/// The result of verifying one snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub snapshot_date: String,
    pub run_id: Option<String>,
    pub files_checked: usize,
    pub problems: Vec<Problem>,
    /// Files an interrupted run wrote for this date (listed in its intent
    /// record, in no manifest): not part of the snapshot; the next run of the
    /// date removes them.
    pub leftovers: Vec<String>,
}

/// Re-hashes every file of the snapshot of `date` against its manifest and
/// looks for files the manifest does not list. Hidden files (names starting
/// with `.`, e.g. an interrupted write's temporary file) are not snapshot
/// files and are ignored, as Parquet readers ignore them; files an
/// interrupted run declared in its intent record are reported as leftovers,
/// not problems.
pub async fn verify(out: &Location, date: &str) -> Result<Verification> {
    let manifest_rel = manifest::manifest_path(date);
    let manifest: Manifest = match read_manifest_at(out, &manifest_rel).await {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Ok(Verification {
                snapshot_date: date.to_string(),
                run_id: None,
                files_checked: 0,
                problems: vec![Problem::Missing { path: manifest_rel }],
                leftovers: Vec::new(),
            });
        }
        Err(Error::BadManifest { source, .. }) => {
            return Ok(Verification {
                snapshot_date: date.to_string(),
                run_id: None,
                files_checked: 0,
                problems: vec![Problem::BadManifest {
                    path: manifest_rel,
                    detail: source.to_string(),
                }],
                leftovers: Vec::new(),
            });
        }
        Err(e) => return Err(e),
    };
    let mut problems = Vec::new();
    for file in &manifest.outputs {
        let path = out.path(&file.path);
        match out.store().get(&path).await {
            Ok(result) => {
                let bytes = result
                    .bytes()
                    .await
                    .map_err(|e| Error::storage(format!("reading {}", out.describe(&path)), e))?;
                let found = manifest::sha256(&bytes);
                if found != file.sha256 || bytes.len() as u64 != file.bytes {
                    problems.push(Problem::Changed {
                        path: file.path.clone(),
                        expected: file.sha256.clone(),
                        found,
                    });
                }
            }
            Err(object_store::Error::NotFound { .. }) => {
                problems.push(Problem::Missing {
                    path: file.path.clone(),
                });
            }
            Err(e) => {
                return Err(Error::storage(
                    format!("reading {}", out.describe(&path)),
                    e,
                ));
            }
        }
    }
    let pending = crate::publish::pending_paths(out, date).await?;
    let mut leftovers = Vec::new();
    let tables: BTreeSet<&str> = manifest.outputs.iter().map(|o| o.table.as_str()).collect();
    for table in tables {
        let dir = out.path(&partition_dir(table, date));
        let listed: Vec<_> = out.list_all(&dir).await?;
        for meta in listed {
            let rel = out.relative(&meta.location);
            let hidden = meta.location.filename().is_some_and(|n| n.starts_with('.'));
            if hidden || manifest.outputs.iter().any(|o| o.path == rel) {
                continue;
            }
            if pending.contains(&rel) {
                leftovers.push(rel);
            } else {
                problems.push(Problem::Extra { path: rel });
            }
        }
    }
    Ok(Verification {
        snapshot_date: date.to_string(),
        run_id: Some(manifest.run_id.clone()),
        files_checked: manifest.outputs.len(),
        problems,
        leftovers,
    })
}

/// The manifest of the committed snapshot of `date`, or of the latest one
/// when `date` is `None`; "not found" (exit 2) naming the root otherwise.
pub async fn committed(out: &Location, date: Option<&str>) -> Result<Manifest> {
    let date = match date {
        Some(date) => date.to_string(),
        None => committed_dates(out)
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound {
                what: format!("no committed snapshot in {}", out.display()),
            })?,
    };
    crate::publish::read_manifest(out, &date)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: format!("no committed snapshot for {date} in {}", out.display()),
        })
}

/// The latest committed snapshot before `date`, if any.
pub async fn previous(out: &Location, date: &str) -> Result<Option<Manifest>> {
    let earlier = committed_dates(out)
        .await?
        .into_iter()
        .rfind(|d| d.as_str() < date);
    match earlier {
        None => Ok(None),
        Some(d) => crate::publish::read_manifest(out, &d).await,
    }
}

/// Registers the published file of `table` in the snapshot `manifest` as
/// `name` (by URL: the session reads the file where it is).
pub async fn register_published(
    ctx: &datafusion::prelude::SessionContext,
    out: &Location,
    manifest: &Manifest,
    table: &str,
    name: &str,
) -> Result<()> {
    let file = manifest
        .outputs
        .iter()
        .find(|o| o.table == table)
        .ok_or_else(|| {
            Error::internal(format!(
                "the manifest of {} lists no {table} file",
                manifest.snapshot_date
            ))
        })?;
    ctx.register_parquet(
        name,
        out.url(&out.path(&file.path)),
        datafusion::prelude::ParquetReadOptions::default(),
    )
    .await
    .map_err(|e| Error::internal_from(format!("reading {}", file.path), e))
}
