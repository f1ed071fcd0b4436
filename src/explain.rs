//! `zafra explain --client C`: why a client has its figures, segment and
//! memberships, computed from the inputs with the same views as a run: the
//! figures, flags and each campaign condition (value, bounds, pass/fail,
//! distance) are read from the views (`int_client_segments`,
//! `int_campaign_conditions`, with the client in `explain_params`); this
//! module only formats them.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, i256};
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn::{count, max, min, sum};
use datafusion::prelude::{SessionContext, cast, col, lit};

use crate::config::JobConfig;
use crate::error::{Error, Result, quoted};
use crate::inputs;
use crate::params::Params;
use crate::pipeline::{session, strings};
use crate::scratch::Scratch;
use crate::storage::Location;

/// Explains one client as of a date; returns the report text. The views run
/// on the job's engine, as in a run.
pub async fn explain(job: &JobConfig, as_of: NaiveDate, client: &str) -> Result<String> {
    let scratch = Scratch::for_engine(&job.engine)?;
    let text = explain_client_in(job, as_of, client, &scratch).await;
    scratch.remove().await;
    text
}

async fn explain_client_in(
    job: &JobConfig,
    as_of: NaiveDate,
    client: &str,
    scratch: &Scratch,
) -> Result<String> {
    let input_root = Location::parse(&job.input_root)?;
    let tables = inputs::discover(&input_root).await?;
    let params = Params {
        explain_client: Some(client),
        ..Params::of_job(job, as_of)
    };
    let (ctx, _) = session(job, &params, &input_root, &tables, scratch).await?;
    let id = || lit(client.to_string());
    let mut s = String::new();
    let _ = writeln!(s, "client {} as of {as_of}", quoted(client));

    let known = query(&ctx, "stg_clients", id(), &["is_active"], &[]).await?;
    let Some(row) = known.first() else {
        return Err(Error::NotFound {
            what: format!("client {} is not in `clients`", quoted(client)),
        });
    };
    if row[0].as_deref() != Some("true") {
        let _ = writeln!(
            s,
            "  inactive: in no output (its cadastre and sales rows are still validated)"
        );
    }

    let _ = writeln!(
        s,
        "\npotential: parcels × rates (season row replaces the generic one)"
    );
    let parcels = query(
        &ctx,
        "int_parcel_potential",
        id(),
        &[
            "season_id",
            "parcel_id",
            "activity",
            "productive_ha",
            "rate",
            "rate_activity",
            "parcel_potential",
        ],
        &["season_id", "parcel_id"],
    )
    .await?;
    if parcels.is_empty() {
        let _ = writeln!(
            s,
            "  no parcel applies in the seasons in scope: potential 0.00"
        );
    }
    for p in &parcels {
        let v = |i: usize| p[i].clone().unwrap_or_else(|| "-".into());
        match &p[4] {
            Some(rate) => {
                let _ = writeln!(
                    s,
                    "  {:<8} parcel {:<8} {:<10} {:>10} ha × {} ({} rate) = {}",
                    v(0),
                    v(1),
                    v(2),
                    v(3),
                    rate,
                    if v(5) == "*" { "'*'" } else { "own" },
                    v(6)
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "  {:<8} parcel {:<8} {:<10} {:>10} ha × no rate (unpriced: contributes 0)",
                    v(0),
                    v(1),
                    v(2),
                    v(3)
                );
            }
        }
    }

    let _ = writeln!(
        s,
        "\nbilling: counted sales lines by document type and currency"
    );
    let lines = billing_groups(&ctx, client).await?;
    if lines.is_empty() {
        let _ = writeln!(
            s,
            "  no counted sales line (VALID, dated in the season up to {as_of}): billing 0.00"
        );
    }
    for l in &lines {
        let v = |i: usize| l[i].clone().unwrap_or_else(|| "-".into());
        let fx = if v(5) == v(6) {
            v(5)
        } else {
            format!("{}..{}", v(5), v(6))
        };
        let _ = writeln!(
            s,
            "  {:<8} {:<12} {:<5} {:>4} line(s) amount {} × fx {} = {} (signed, base currency)",
            v(0),
            v(1),
            v(2),
            v(3),
            v(4),
            fx,
            v(7)
        );
    }
    let rejected = rejected_rows(&ctx, client).await?;
    if !rejected.is_empty() {
        let _ = writeln!(s, "\nrejected input rows of this client (not counted):");
        for r in &rejected {
            let _ = writeln!(s, "  {r}");
        }
    }

    let _ = writeln!(s, "\nsegment: thresholds and figures per season in scope");
    let segments = query(
        &ctx,
        "int_client_segments",
        id(),
        &[
            "season_id",
            "potential",
            "potential_is_high",
            "high_potential",
            "high_potential_source",
            "billing",
            "billing_is_high",
            "high_billing",
            "high_billing_source",
            "segment",
        ],
        &["season_id"],
    )
    .await?;
    for r in &segments {
        let v = |i: usize| r[i].clone().unwrap_or_else(|| "-".into());
        let side = |i: usize| if v(i) == "true" { ">=" } else { "<" };
        let _ = writeln!(
            s,
            "  {:<8} potential {} {} {} ({}), billing {} {} {} ({}) -> {}",
            v(0),
            v(1),
            side(2),
            v(3),
            v(4),
            v(5),
            side(6),
            v(7),
            v(8),
            v(9)
        );
    }

    let _ = writeln!(s, "\ncampaigns active on {as_of}:");
    let campaigns = all_rows(
        &ctx,
        "int_active_campaigns",
        &["campaign_id", "season_id", "status_note", "label"],
        &["campaign_id"],
    )
    .await?;
    let conditions = query(
        &ctx,
        "int_campaign_conditions",
        id(),
        &[
            "campaign_id",
            "is_member",
            "by_potential",
            "potential",
            "potential_min",
            "potential_max",
            "potential_position",
            "potential_distance",
            "by_billing",
            "billing",
            "billing_min",
            "billing_max",
            "billing_position",
            "billing_distance",
        ],
        &["campaign_id"],
    )
    .await?;
    let conditions: BTreeMap<String, &Vec<Option<String>>> = conditions
        .iter()
        .map(|r| (r[0].clone().unwrap_or_default(), r))
        .collect();
    for c in &campaigns {
        let name = c[0].clone().unwrap_or_default();
        let season = c[1].clone().unwrap_or_default();
        if let Some(note) = &c[2] {
            let _ = writeln!(s, "  {} ({season}): not evaluated: {note}", quoted(&name));
            continue;
        }
        let Some(r) = conditions.get(&name) else {
            let _ = writeln!(
                s,
                "  {} ({season}): the client is not in scope",
                quoted(&name)
            );
            continue;
        };
        let member = r[1].as_deref() == Some("true");
        let _ = writeln!(
            s,
            "  {} ({season}, {}): {}",
            quoted(&name),
            c[3].clone().unwrap_or_else(|| "-".into()),
            if member { "MEMBER" } else { "not a member" }
        );
        let applied: Vec<String> = [("potential", 2), ("billing", 8)]
            .into_iter()
            .filter(|(_, at)| r[*at].as_deref() == Some("true"))
            .map(|(what, at)| condition(what, &r[at + 1..at + 6]))
            .collect();
        if applied.is_empty() {
            let _ = writeln!(s, "      no range: every client in scope");
        }
        for text in applied {
            let _ = writeln!(s, "      {text}");
        }
    }
    Ok(s)
}

/// One range condition as int_campaign_conditions evaluated it: `cells` are
/// the figure, minimum, maximum, position and distance.
fn condition(what: &str, cells: &[Option<String>]) -> String {
    let value = cells[0].as_deref().unwrap_or("unknown");
    let bound = |cell: &Option<String>, unbounded: &str| {
        cell.as_deref()
            .map_or_else(|| unbounded.to_string(), trim_zeros)
    };
    let range = format!(
        "[{}, {}]",
        bound(&cells[1], "-inf"),
        bound(&cells[2], "+inf")
    );
    let distance = cells[4].as_deref();
    match (cells[3].as_deref(), distance) {
        (Some("below"), Some(d)) => {
            format!("{what} {value} in {range}: FAIL, {d} below the minimum")
        }
        (Some("above"), Some(d)) => {
            format!("{what} {value} in {range}: FAIL, {d} above the maximum")
        }
        (Some("inside"), Some(d)) => {
            format!("{what} {value} in {range}: pass, {d} from the nearest bound")
        }
        (Some("inside"), None) => format!("{what} {value} in {range}: pass (unbounded)"),
        _ => format!("{what} {value} in {range}: FAIL, the figure cannot be published"),
    }
}

/// A decimal's text without trailing fractional zeros (`5000.00` → `5000`).
fn trim_zeros(text: &str) -> String {
    if !text.contains('.') {
        return text.to_string();
    }
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    match trimmed {
        "-0" | "" => "0".to_string(),
        t => t.to_string(),
    }
}

/// Explains one campaign as of a date: its row of int_campaign_diagnostics
/// (the view `campaign_diagnostics` publishes), with its ranges.
pub async fn explain_campaign(job: &JobConfig, as_of: NaiveDate, campaign: &str) -> Result<String> {
    let scratch = Scratch::for_engine(&job.engine)?;
    let text = explain_campaign_in(job, as_of, campaign, &scratch).await;
    scratch.remove().await;
    text
}

async fn explain_campaign_in(
    job: &JobConfig,
    as_of: NaiveDate,
    campaign: &str,
    scratch: &Scratch,
) -> Result<String> {
    let input_root = Location::parse(&job.input_root)?;
    let tables = inputs::discover(&input_root).await?;
    let params = Params::of_job(job, as_of);
    let (ctx, _) = session(job, &params, &input_root, &tables, scratch).await?;
    let only = |view: &'static str| {
        let ctx = &ctx;
        async move {
            ctx.table(view)
                .await
                .map_err(wrap)?
                .filter(col("campaign_id").eq(lit(campaign.to_string())))
                .map_err(wrap)
        }
    };
    let ranges = collect(
        only("int_active_campaigns").await?,
        &[
            "season_id",
            "label",
            "status_note",
            "by_potential",
            "potential_min",
            "potential_max",
            "by_billing",
            "billing_min",
            "billing_max",
        ],
        &[],
    )
    .await?;
    let Some(r) = ranges.first() else {
        return Err(Error::NotFound {
            what: format!("campaign {} is not active on {as_of}", quoted(campaign)),
        });
    };
    let v = |i: usize| r[i].clone().unwrap_or_else(|| "-".into());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "campaign {} as of {as_of}: season {}, label {}",
        quoted(campaign),
        v(0),
        v(1)
    );
    if let Some(note) = &r[2] {
        let _ = writeln!(s, "  status note: {note} (not evaluated)");
    }
    for (what, at) in [("potential", 3), ("billing", 6)] {
        if r[at].as_deref() == Some("true") {
            let bound = |cell: &Option<String>, open: &str| {
                cell.as_deref().map_or_else(|| open.to_string(), trim_zeros)
            };
            let _ = writeln!(
                s,
                "  {what} range [{}, {}]",
                bound(&r[at + 1], "-inf"),
                bound(&r[at + 2], "+inf")
            );
        }
    }
    let columns: Vec<&str> = crate::outputs::OUTPUTS
        .iter()
        .find(|t| t.name == "campaign_diagnostics")
        .map(|t| t.columns.iter().map(|(name, _)| *name).skip(2).collect())
        .unwrap_or_default();
    let _ = writeln!(s, "\ndiagnostics (campaign_diagnostics):");
    for row in collect(only("int_campaign_diagnostics").await?, &columns, &[]).await? {
        for (name, value) in columns.iter().zip(row) {
            let _ = writeln!(
                s,
                "  {name:<28} {}",
                value.unwrap_or_else(|| "-".to_string())
            );
        }
    }
    Ok(s)
}

fn wrap(e: datafusion::error::DataFusionError) -> Error {
    Error::internal_from("explaining", e)
}

/// Rows of a view for one client (`client_id = value`), columns as text.
async fn query(
    ctx: &SessionContext,
    view: &str,
    client: datafusion::prelude::Expr,
    columns: &[&str],
    order: &[&str],
) -> Result<Vec<Vec<Option<String>>>> {
    let df = ctx
        .table(view)
        .await
        .map_err(wrap)?
        .filter(col("client_id").eq(client))
        .map_err(wrap)?;
    collect(df, columns, order).await
}

async fn all_rows(
    ctx: &SessionContext,
    view: &str,
    columns: &[&str],
    order: &[&str],
) -> Result<Vec<Vec<Option<String>>>> {
    collect(ctx.table(view).await.map_err(wrap)?, columns, order).await
}

async fn collect(
    df: datafusion::prelude::DataFrame,
    columns: &[&str],
    order: &[&str],
) -> Result<Vec<Vec<Option<String>>>> {
    let mut df = df
        .select(
            columns
                .iter()
                .map(|c| cast(col(*c), DataType::Utf8).alias(*c))
                .collect::<Vec<_>>(),
        )
        .map_err(wrap)?;
    if !order.is_empty() {
        df = df
            .sort(order.iter().map(|c| col(*c).sort(true, false)).collect())
            .map_err(wrap)?;
    }
    let batches: Vec<RecordBatch> = df.collect().await.map_err(wrap)?;
    let mut rows = Vec::new();
    for b in &batches {
        let cols: Vec<_> = columns.iter().map(|c| strings(b, c)).collect();
        for i in 0..b.num_rows() {
            rows.push(cols.iter().map(|c| c[i].clone()).collect());
        }
    }
    Ok(rows)
}

async fn billing_groups(ctx: &SessionContext, client: &str) -> Result<Vec<Vec<Option<String>>>> {
    let df = ctx
        .table("int_billing_lines")
        .await
        .map_err(wrap)?
        .filter(col("client_id").eq(lit(client.to_string())))
        .map_err(wrap)?
        .aggregate(
            vec![col("season_id"), col("document_type"), col("currency")],
            vec![
                count(lit(1)).alias("lines"),
                // Summed as DECIMAL(76, s), like the views: it cannot wrap.
                sum(col("amount") + lit(ScalarValue::Decimal256(Some(i256::ZERO), 39, 0)))
                    .alias("amount"),
                min(col("fx_rate")).alias("fx_min"),
                max(col("fx_rate")).alias("fx_max"),
                sum(col("signed_amount")).alias("signed"),
            ],
        )
        .map_err(wrap)?;
    collect(
        df,
        &[
            "season_id",
            "document_type",
            "currency",
            "lines",
            "amount",
            "fx_min",
            "fx_max",
            "signed",
        ],
        &["season_id", "document_type", "currency"],
    )
    .await
}

async fn rejected_rows(ctx: &SessionContext, client: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for view in ["int_cadastre", "int_sales"] {
        let df = ctx
            .table(view)
            .await
            .map_err(wrap)?
            .filter(
                col("client_id")
                    .eq(lit(client.to_string()))
                    .and(col("reject_reason").is_not_null()),
            )
            .map_err(wrap)?;
        for r in collect(df, &["row_key", "reject_reason"], &["row_key"]).await? {
            let table = view.trim_start_matches("int_");
            out.push(format!(
                "{table} {}: {}",
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default()
            ));
        }
    }
    Ok(out)
}
