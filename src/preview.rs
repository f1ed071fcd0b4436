//! `zafra preview`: what a campaign with given ranges would get on a
//! committed snapshot, without a run: its members, totals, label, the
//! segment mix of its members, how many clients would join or leave if a
//! bound moved by 10%, and its overlap with the snapshot's campaigns.
//!
//! The rule is not restated here: the preview binds the job's campaign
//! views (`int_active_campaigns`, `int_campaign_conditions`) to the
//! snapshot's `client_segments` ([`crate::views::preview_binding`]), so a
//! previewed range selects exactly the clients a campaign with that range
//! would have in `memberships` for the same figures.

use std::sync::Arc;

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{SortExpr, col};
use datafusion::prelude::SessionContext;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Error, Result, quoted};
use crate::manifest::Manifest;
use crate::storage::Location;
use crate::views::{self, PreviewMembers};

/// A range of a figure; `None` = unbounded on that side. Bounds in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
}

impl Range {
    /// Parses `MIN..MAX`, with `*` for an open end (`5000..*`, `*..20000`).
    /// Refuses a missing end (`5..`, `..`), both ends open, a bound that is
    /// not a number or has more than 2 decimals, and `MIN > MAX`.
    pub fn parse(text: &str) -> std::result::Result<Range, String> {
        let hint = "write MIN..MAX, with * for an open end (5000..*, *..20000)";
        let Some((min, max)) = text.split_once("..") else {
            return Err(format!("`{text}` is not a range: {hint}"));
        };
        let bound = |part: &str, side: &str| -> std::result::Result<Option<Decimal>, String> {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!("range `{text}` has no {side}: {hint}"));
            }
            if part == "*" {
                return Ok(None);
            }
            let value: Decimal = part
                .parse()
                .map_err(|_| format!("range `{text}`: `{part}` is not a number"))?;
            if value.scale() > 2 {
                return Err(format!(
                    "range `{text}`: `{part}` has more than 2 decimals (figures are in cents)"
                ));
            }
            Ok(Some(value))
        };
        let range = Range {
            min: bound(min, "minimum")?,
            max: bound(max, "maximum")?,
        };
        match (range.min, range.max) {
            (None, None) => Err(format!(
                "range `{text}` has neither bound: leave the option out not to filter on that figure"
            )),
            (Some(a), Some(b)) if a > b => Err(format!(
                "range `{text}`: the minimum {a} is above the maximum {b}"
            )),
            _ => Ok(range),
        }
    }

    /// `MIN..MAX` with `*` for an open end; `any` when not filtered.
    pub fn show(range: Option<&Range>) -> String {
        match range {
            None => "any".to_string(),
            Some(r) => format!(
                "{}..{}",
                r.min.map_or("*".to_string(), |d| d.to_string()),
                r.max.map_or("*".to_string(), |d| d.to_string())
            ),
        }
    }
}

/// The four segments, as `--segment` accepts them.
pub const SEGMENTS: &[&str] = &["RETENCION", "INVERSION", "REVISION", "NO_INVERSION"];

/// What to preview.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    /// The snapshot's date; the latest committed one when `None`.
    pub snapshot_date: Option<String>,
    pub season: String,
    pub potential: Option<Range>,
    pub billing: Option<Range>,
    /// Preview the ranges that select exactly this segment instead.
    pub segment: Option<String>,
}

/// One evaluated campaign: the range as given (`range`) or one bound moved.
#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub campaign_id: String,
    pub moved_bound: Option<String>,
    pub step: Option<String>,
    pub potential_min: Option<String>,
    pub potential_max: Option<String>,
    pub billing_min: Option<String>,
    pub billing_max: Option<String>,
    pub label: Option<String>,
    pub status_note: Option<String>,
    pub members: i64,
    pub potential_total: String,
    pub billing_total: String,
    pub joined: i64,
    pub left: i64,
}

/// A campaign of the snapshot sharing the season.
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    pub campaign_id: String,
    pub label: Option<String>,
    pub members: i64,
    pub shared: i64,
}

/// What a preview found.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewReport {
    pub snapshot_date: String,
    pub run_id: String,
    pub season: String,
    /// The segment whose ranges were previewed, with `--segment`.
    pub segment: Option<String>,
    pub potential: Option<Range>,
    pub billing: Option<Range>,
    /// The range as given: first; then each bound moved down and up.
    pub variants: Vec<Variant>,
    /// Members of the range per segment (all four).
    pub segment_mix: Vec<(String, i64)>,
    /// The season's campaigns in the snapshot, most shared members first.
    pub overlap: Vec<Overlap>,
}

/// Previews a range on the committed snapshot under `out`.
pub async fn preview(out: &Location, request: &PreviewRequest) -> Result<PreviewReport> {
    let manifest = crate::snapshots::committed(out, request.snapshot_date.as_deref()).await?;
    let seasons: Vec<&str> = manifest
        .thresholds
        .iter()
        .map(|t| t.season_id.as_str())
        .collect();
    if !seasons.contains(&request.season.as_str()) {
        return Err(Error::NotFound {
            what: format!(
                "season {} is not in the snapshot of {} (its seasons: {})",
                quoted(&request.season),
                manifest.snapshot_date,
                seasons.join(", ")
            ),
        });
    }
    let (potential, billing) = match &request.segment {
        None => (request.potential, request.billing),
        Some(segment) => segment_ranges(out, &manifest, &request.season, segment).await?,
    };
    let ctx = session(out, &manifest, &request.season, potential, billing).await?;
    views::register_preview_views(&ctx, PreviewMembers::Computed).await?;
    let wrap = |e| Error::internal_from("computing the preview", e);
    let sorted = |view: &'static str, order: Vec<SortExpr>| {
        let ctx = &ctx;
        async move {
            ctx.table(view)
                .await
                .map_err(wrap)?
                .sort(order)
                .map_err(wrap)?
                .collect()
                .await
                .map_err(wrap)
        }
    };
    let (_, rows) = crate::diff::rows(
        &sorted(
            "preview_result",
            vec![
                col("moved_bound").sort(true, true),
                col("step").sort(false, true),
            ],
        )
        .await?,
    );
    let variants = rows.into_iter().map(variant).collect::<Result<Vec<_>>>()?;
    let (_, rows) = crate::diff::rows(
        &sorted(
            "preview_segment_mix",
            vec![col("segment").sort(true, false)],
        )
        .await?,
    );
    let mut segment_mix = Vec::new();
    for segment in SEGMENTS {
        let members = rows
            .iter()
            .find(|r| r.first().cloned().flatten().as_deref() == Some(*segment))
            .map(|r| count(r.get(1)))
            .transpose()?
            .unwrap_or(0);
        segment_mix.push((segment.to_string(), members));
    }
    let (_, rows) = crate::diff::rows(
        &sorted(
            "preview_overlap",
            vec![
                col("shared").sort(false, true),
                col("campaign_id").sort(true, false),
            ],
        )
        .await?,
    );
    let overlap = rows
        .into_iter()
        .map(|r| {
            Ok(Overlap {
                campaign_id: r.first().cloned().flatten().unwrap_or_default(),
                label: r.get(1).cloned().flatten(),
                members: count(r.get(2))?,
                shared: count(r.get(3))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PreviewReport {
        snapshot_date: manifest.snapshot_date.clone(),
        run_id: manifest.run_id.clone(),
        season: request.season.clone(),
        segment: request.segment.clone(),
        potential,
        billing,
        variants,
        segment_mix,
        overlap,
    })
}

/// The ranges that select exactly `segment` in `season` under the
/// snapshot's thresholds (`preview_segment_ranges`).
async fn segment_ranges(
    out: &Location,
    manifest: &Manifest,
    season: &str,
    segment: &str,
) -> Result<(Option<Range>, Option<Range>)> {
    if !SEGMENTS.contains(&segment) {
        return Err(Error::NotFound {
            what: format!(
                "{} is not a segment (segments: {})",
                quoted(segment),
                SEGMENTS.join(", ")
            ),
        });
    }
    let ctx = session(out, manifest, season, None, None).await?;
    // Only the thresholds are read: the members are never computed.
    views::register_preview_views(&ctx, PreviewMembers::Lazy).await?;
    let wrap = |e| Error::internal_from("computing the segment's ranges", e);
    let batches = ctx
        .table("preview_segment_ranges")
        .await
        .map_err(wrap)?
        .collect()
        .await
        .map_err(wrap)?;
    let (_, rows) = crate::diff::rows(&batches);
    let row = rows
        .into_iter()
        .find(|r| r.first().cloned().flatten().as_deref() == Some(segment))
        .ok_or_else(|| Error::NotFound {
            what: format!(
                "season {} has no thresholds in the snapshot of {}",
                quoted(season),
                manifest.snapshot_date
            ),
        })?;
    let bound = |i: usize| -> Result<Option<Decimal>> {
        row.get(i)
            .cloned()
            .flatten()
            .map(|t| {
                t.parse::<Decimal>()
                    .map_err(|_| Error::internal(format!("threshold bound {t} is not a decimal")))
            })
            .transpose()
    };
    let range = |min: Option<Decimal>, max: Option<Decimal>| Range { min, max };
    let potential = range(bound(1)?, bound(2)?);
    let billing = range(bound(3)?, bound(4)?);
    if potential.min.is_none() && potential.max.is_none() {
        return Err(Error::NotFound {
            what: format!(
                "season {} has no thresholds in the snapshot of {}",
                quoted(season),
                manifest.snapshot_date
            ),
        });
    }
    Ok((Some(potential), Some(billing)))
}

/// A session over the snapshot with the preview's relations (the caller
/// creates the views: [`views::register_preview_views`]).
async fn session(
    out: &Location,
    manifest: &Manifest,
    season: &str,
    potential: Option<Range>,
    billing: Option<Range>,
) -> Result<SessionContext> {
    let ctx = crate::session::context(crate::session::SessionSettings::default())?;
    ctx.register_object_store(out.store_url(), Arc::clone(out.store()));
    crate::snapshots::register_published(&ctx, out, manifest, "client_segments", "snap_segments")
        .await?;
    crate::snapshots::register_published(&ctx, out, manifest, "memberships", "snap_memberships")
        .await?;
    let text = |v: Option<String>| ScalarValue::Utf8(v);
    // A leading all-null row keeps the relation typed when there is no
    // campaign; it joins nothing.
    let mut campaigns = vec![vec![
        text(None),
        text(None),
        text(None),
        ScalarValue::Int64(None),
    ]];
    for c in &manifest.campaigns {
        campaigns.push(vec![
            text(Some(c.campaign_id.clone())),
            text(c.season_id.clone()),
            text(c.label.clone()),
            ScalarValue::Int64(Some(c.members)),
        ]);
    }
    crate::params::register_values(
        &ctx,
        "snap_campaigns",
        &["campaign_id", "season_id", "label", "members"],
        campaigns,
    )?;
    let mut thresholds = vec![vec![text(None), money(None), money(None)]];
    for t in &manifest.thresholds {
        thresholds.push(vec![
            text(Some(t.season_id.clone())),
            money(decimal_text(&t.high_potential)?),
            money(decimal_text(&t.high_billing)?),
        ]);
    }
    crate::params::register_values(
        &ctx,
        "snap_thresholds",
        &["season_id", "high_potential", "high_billing"],
        thresholds,
    )?;
    crate::params::register_values(
        &ctx,
        "explain_params",
        &["client_id"],
        vec![vec![text(None)]],
    )?;
    crate::params::register_values(
        &ctx,
        "preview_params",
        &[
            "season_id",
            "by_potential",
            "potential_min",
            "potential_max",
            "by_billing",
            "billing_min",
            "billing_max",
        ],
        vec![vec![
            text(Some(season.to_string())),
            ScalarValue::Boolean(Some(potential.is_some())),
            money(potential.and_then(|r| r.min)),
            money(potential.and_then(|r| r.max)),
            ScalarValue::Boolean(Some(billing.is_some())),
            money(billing.and_then(|r| r.min)),
            money(billing.and_then(|r| r.max)),
        ]],
    )?;
    Ok(ctx)
}

/// A bound or threshold as DECIMAL(38,2); the callers hold at most 2
/// decimals (ranges are parsed so, thresholds are published so).
fn money(value: Option<Decimal>) -> ScalarValue {
    match value {
        None => ScalarValue::Decimal128(None, 38, 2),
        Some(v) => {
            let mut v = v;
            v.rescale(2);
            ScalarValue::Decimal128(Some(v.mantissa()), 38, 2)
        }
    }
}

/// A manifest threshold: empty text is no threshold.
fn decimal_text(text: &str) -> Result<Option<Decimal>> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<Decimal>()
        .map(Some)
        .map_err(|_| Error::internal(format!("the manifest's threshold {text} is not a decimal")))
}

fn count(cell: Option<&Option<String>>) -> Result<i64> {
    let text = cell.cloned().flatten().unwrap_or_default();
    text.parse()
        .map_err(|_| Error::internal(format!("count {text:?} is not an integer")))
}

fn variant(row: Vec<Option<String>>) -> Result<Variant> {
    let cell = |i: usize| row.get(i).cloned().flatten();
    Ok(Variant {
        campaign_id: cell(0).unwrap_or_default(),
        moved_bound: cell(1),
        step: cell(2),
        potential_min: cell(5),
        potential_max: cell(6),
        billing_min: cell(8),
        billing_max: cell(9),
        label: cell(10),
        status_note: cell(11),
        members: count(row.get(12))?,
        potential_total: cell(13).unwrap_or_default(),
        billing_total: cell(14).unwrap_or_default(),
        joined: count(row.get(15))?,
        left: count(row.get(16))?,
    })
}
