//! `zafra diff`: what changed between two committed snapshots, and why —
//! computed from the two snapshots alone (their Parquet files and manifests).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::prelude::{ParquetReadOptions, SessionContext, col, lit};

use crate::error::{Error, Result, quoted};
use crate::manifest::{Manifest, normalise_decimal};
use crate::params;
use crate::publish::read_manifest;
use crate::storage::Location;
use crate::views;

/// What to compare.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub from: String,
    pub to: String,
    /// Only this campaign's membership changes.
    pub campaign: Option<String>,
}

/// The two change tables, sorted.
pub struct DiffReport {
    pub from: Manifest,
    pub to: Manifest,
    /// `change, campaign_id, client_id, season_id, causes, from_/to_potential, from_/to_billing`,
    /// sorted by campaign, change, client.
    pub memberships: Vec<RecordBatch>,
    /// `season_id, client_id, from_segment, to_segment, causes, …`, sorted by season, client.
    pub segments: Vec<RecordBatch>,
}

pub async fn diff(out: &Location, opts: &DiffOptions) -> Result<DiffReport> {
    let load = |date: String| async move {
        read_manifest(out, &date)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: format!("no committed snapshot for {date} in {}", out.display()),
            })
    };
    let from = load(opts.from.clone()).await?;
    let to = load(opts.to.clone()).await?;
    let ctx = crate::session::context(crate::session::SessionSettings::default())?;
    ctx.register_object_store(out.store_url(), Arc::clone(out.store()));
    for (side, manifest) in [("from", &from), ("to", &to)] {
        register_snapshot(&ctx, out, side, manifest).await?;
    }
    views::register_view_list(&ctx, &views::diff_views()?).await?;
    let wrap = |e| Error::internal_from("computing the diff", e);
    let mut memberships = ctx.table("diff_memberships").await.map_err(wrap)?;
    if let Some(campaign) = &opts.campaign {
        memberships = memberships
            .filter(col("campaign_id").eq(lit(campaign.clone())))
            .map_err(wrap)?;
    }
    let memberships = memberships
        .sort(vec![
            col("campaign_id").sort(true, false),
            col("change").sort(true, false),
            col("client_id").sort(true, false),
        ])
        .map_err(wrap)?
        .collect()
        .await
        .map_err(wrap)?;
    let segments = ctx
        .table("diff_segments")
        .await
        .map_err(wrap)?
        .sort(vec![
            col("season_id").sort(true, false),
            col("client_id").sort(true, false),
        ])
        .map_err(wrap)?
        .collect()
        .await
        .map_err(wrap)?;
    let segments = if opts.campaign.is_some() {
        Vec::new()
    } else {
        segments
    };
    Ok(DiffReport {
        from,
        to,
        memberships,
        segments,
    })
}

/// `<side>_segments`, `<side>_memberships` (the published files, by URL),
/// `<side>_campaigns` and `<side>_thresholds` (typed values from the manifest).
async fn register_snapshot(
    ctx: &SessionContext,
    out: &Location,
    side: &str,
    m: &Manifest,
) -> Result<()> {
    for table in ["client_segments", "memberships"] {
        let file = m.outputs.iter().find(|o| o.table == table).ok_or_else(|| {
            Error::internal(format!(
                "the manifest of {} lists no {table}",
                m.snapshot_date
            ))
        })?;
        let name = match table {
            "client_segments" => format!("{side}_segments"),
            _ => format!("{side}_memberships"),
        };
        ctx.register_parquet(
            &name,
            out.url(&out.path(&file.path)),
            ParquetReadOptions::default(),
        )
        .await
        .map_err(|e| Error::internal_from(format!("reading {}", file.path), e))?;
    }
    let text = |v: Option<String>| ScalarValue::Utf8(v);
    // A leading all-null row keeps the relations non-empty; it joins nothing.
    let mut campaigns = vec![vec![text(None), text(None), text(None)]];
    for c in &m.campaigns {
        campaigns.push(vec![
            text(Some(c.campaign_id.clone())),
            text(Some(c.rule_digest.clone())),
            text(c.status_note.clone()),
        ]);
    }
    params::register_values(
        ctx,
        &format!("{side}_campaigns"),
        &["campaign_id", "rule_digest", "status_note"],
        campaigns,
    )?;
    let mut thresholds = vec![vec![text(None), text(None), text(None)]];
    for t in &m.thresholds {
        thresholds.push(vec![
            text(Some(t.season_id.clone())),
            text(Some(normalise_decimal(&t.high_potential))),
            text(Some(normalise_decimal(&t.high_billing))),
        ]);
    }
    params::register_values(
        ctx,
        &format!("{side}_thresholds"),
        &["season_id", "high_potential", "high_billing"],
        thresholds,
    )
}

/// Rows of batches as strings (`NULL` for null), with the column names.
pub fn rows(batches: &[RecordBatch]) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let names = batches
        .first()
        .map(|b| {
            b.schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for batch in batches {
        let columns: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8).ok())
            .collect();
        for i in 0..batch.num_rows() {
            out.push(
                columns
                    .iter()
                    .map(|c| {
                        c.as_ref().and_then(|c| {
                            let s = c.as_string::<i32>();
                            (!s.is_null(i)).then(|| s.value(i).to_string())
                        })
                    })
                    .collect(),
            );
        }
    }
    (names, out)
}

impl DiffReport {
    /// A readable report.
    pub fn to_table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "diff {} (run {}) -> {} (run {})",
            self.from.snapshot_date, self.from.run_id, self.to.snapshot_date, self.to.run_id
        );
        let (_, members) = rows(&self.memberships);
        let _ = writeln!(s, "\ncampaign membership changes: {}", members.len());
        let mut current: Option<String> = None;
        for r in &members {
            let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_else(|| "-".into());
            if current.as_deref() != Some(get(1).as_str()) {
                current = Some(get(1));
                let _ = writeln!(s, "  campaign {}", quoted(&get(1)));
            }
            let _ = writeln!(
                s,
                "    {:<6} {:<14} season {:<8} because {}  (potential {} -> {}, billing {} -> {})",
                get(0),
                get(2),
                get(3),
                get(4),
                get(5),
                get(6),
                get(7),
                get(8)
            );
        }
        let (_, segs) = rows(&self.segments);
        let _ = writeln!(s, "\nsegment changes: {}", segs.len());
        for r in &segs {
            let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_else(|| "-".into());
            let _ = writeln!(
                s,
                "  {:<8} {:<14} {:<13} -> {:<13} because {}",
                get(0),
                get(1),
                get(2),
                get(3),
                get(4)
            );
        }
        s
    }

    /// One JSON document: both tables as arrays of objects.
    pub fn to_json(&self) -> String {
        let table = |batches: &[RecordBatch]| -> Vec<serde_json::Value> {
            let (names, rows) = rows(batches);
            rows.into_iter()
                .map(|r| {
                    serde_json::Value::Object(
                        names
                            .iter()
                            .cloned()
                            .zip(r.into_iter().map(|v| {
                                v.map_or(serde_json::Value::Null, serde_json::Value::String)
                            }))
                            .collect(),
                    )
                })
                .collect()
        };
        let doc = serde_json::json!({
            "from": {"snapshot_date": self.from.snapshot_date, "run_id": self.from.run_id},
            "to": {"snapshot_date": self.to.snapshot_date, "run_id": self.to.run_id},
            "memberships": table(&self.memberships),
            "segments": table(&self.segments),
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }
}

/// Writes the diff's two tables as Parquet files in `dir` (created if
/// needed); returns each file's rows and path. An empty table writes no file.
pub fn export_parquet(
    report: &DiffReport,
    dir: &std::path::Path,
) -> Result<Vec<(u64, std::path::PathBuf)>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::storage_io(format!("creating {}", dir.display()), e))?;
    let mut written = Vec::new();
    for (name, batches) in [
        ("diff_memberships", &report.memberships),
        ("diff_segments", &report.segments),
    ] {
        let path = dir.join(format!("{name}.parquet"));
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => continue,
        };
        let encoded = crate::publish::encode("diff", schema, batches)?;
        std::fs::write(&path, &encoded.bytes)
            .map_err(|e| Error::storage_io(format!("writing {}", path.display()), e))?;
        written.push((encoded.rows, path));
    }
    Ok(written)
}
