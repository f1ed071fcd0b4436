//! `zafra explain --client C`: why a client has its figures, segment and
//! memberships, computed from the inputs with the same views as a run.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, i256};
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn::{count, max, min, sum};
use datafusion::prelude::{SessionContext, cast, col, lit};
use rust_decimal::Decimal;

use crate::config::JobConfig;
use crate::error::{Error, Result, quoted};
use crate::inputs;
use crate::pipeline::{session, strings};
use crate::storage::Location;

/// Explains one client as of a date; returns the report text.
pub async fn explain(job: &JobConfig, as_of: NaiveDate, client: &str) -> Result<String> {
    let input_root = Location::parse(&job.input_root)?;
    let tables = inputs::discover(&input_root).await?;
    let scratch = crate::views::Scratch::new()?;
    let (ctx, _) = session(job, as_of, &input_root, &tables, &scratch).await?;
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
            "contribution",
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
    let segments = segment_rows(&ctx, client).await?;
    let mut figures: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for r in &segments {
        let v = |i: usize| r[i].clone().unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "  {:<8} potential {} {} {} ({}), billing {} {} {} ({}) -> {}",
            v(0),
            v(1),
            if dec(&v(1)) >= dec(&v(4)) { ">=" } else { "<" },
            v(4),
            v(5),
            v(2),
            if dec(&v(2)) >= dec(&v(6)) { ">=" } else { "<" },
            v(6),
            v(7),
            v(3)
        );
        figures.insert(v(0), (dec(&v(1)), dec(&v(2))));
    }

    let _ = writeln!(s, "\ncampaigns active on {as_of}:");
    let campaigns = all_rows(
        &ctx,
        "active_campaigns",
        &[
            "campaign_id",
            "season_id",
            "by_potential",
            "potential_min",
            "potential_max",
            "by_billing",
            "billing_min",
            "billing_max",
            "status_note",
            "label",
        ],
        &["campaign_id"],
    )
    .await?;
    for c in &campaigns {
        let v = |i: usize| c[i].clone();
        let name = v(0).unwrap_or_default();
        let season = v(1).unwrap_or_default();
        if let Some(note) = v(8) {
            let _ = writeln!(s, "  {} ({season}): not evaluated: {note}", quoted(&name));
            continue;
        }
        let Some((potential, billing)) = figures.get(&season).copied() else {
            let _ = writeln!(
                s,
                "  {} ({season}): the client is not in scope",
                quoted(&name)
            );
            continue;
        };
        let mut conditions = Vec::new();
        if v(2).as_deref() == Some("true") {
            conditions.push(condition("potential", potential, v(3), v(4)));
        }
        if v(5).as_deref() == Some("true") {
            conditions.push(condition("billing", billing, v(6), v(7)));
        }
        let member = conditions.iter().all(|(pass, _)| *pass);
        let _ = writeln!(
            s,
            "  {} ({season}, {}): {}",
            quoted(&name),
            v(9).unwrap_or_else(|| "-".into()),
            if member { "MEMBER" } else { "not a member" }
        );
        if conditions.is_empty() {
            let _ = writeln!(s, "      no range: every client in scope");
        }
        for (_, text) in conditions {
            let _ = writeln!(s, "      {text}");
        }
    }
    Ok(s)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

/// One range condition: pass/fail and the distance to the nearest bound
/// (inside: how far the value may move before leaving; outside: how far it
/// must move to enter).
fn condition(what: &str, value: Decimal, lo: Option<String>, hi: Option<String>) -> (bool, String) {
    let lo = lo.map(|s| dec(&s));
    let hi = hi.map(|s| dec(&s));
    let range = format!(
        "[{}, {}]",
        lo.map_or("-inf".to_string(), |d| d.normalize().to_string()),
        hi.map_or("+inf".to_string(), |d| d.normalize().to_string())
    );
    let below = lo.is_some_and(|l| value < l);
    let above = hi.is_some_and(|h| value > h);
    if below {
        let gap = lo.unwrap_or_default() - value;
        return (
            false,
            format!("{what} {value} in {range}: FAIL, {gap} below the minimum"),
        );
    }
    if above {
        let gap = value - hi.unwrap_or_default();
        return (
            false,
            format!("{what} {value} in {range}: FAIL, {gap} above the maximum"),
        );
    }
    let distance = [lo.map(|l| value - l), hi.map(|h| h - value)]
        .into_iter()
        .flatten()
        .min();
    let text = match distance {
        Some(d) => format!("{what} {value} in {range}: pass, {d} from the nearest bound"),
        None => format!("{what} {value} in {range}: pass (unbounded)"),
    };
    (true, text)
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
    let mut df = ctx
        .table(view)
        .await
        .map_err(wrap)?
        .filter(col("client_id").eq(client))
        .map_err(wrap)?;
    if columns.contains(&"contribution") {
        // productive_ha × rate, exact (DECIMAL(76, s): it cannot overflow).
        df = df
            .with_column("contribution", col("parcel_potential"))
            .map_err(wrap)?;
    }
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

async fn segment_rows(ctx: &SessionContext, client: &str) -> Result<Vec<Vec<Option<String>>>> {
    let segments = ctx
        .table("client_segments")
        .await
        .map_err(wrap)?
        .filter(col("client_id").eq(lit(client.to_string())))
        .map_err(wrap)?;
    let thresholds = ctx
        .table("int_thresholds")
        .await
        .map_err(wrap)?
        .select(vec![
            col("season_id").alias("t_season_id"),
            col("high_potential"),
            col("high_potential_source"),
            col("high_billing"),
            col("high_billing_source"),
        ])
        .map_err(wrap)?;
    let joined = segments
        .join(
            thresholds,
            datafusion::common::JoinType::Inner,
            &["season_id"],
            &["t_season_id"],
            None,
        )
        .map_err(wrap)?;
    collect(
        joined,
        &[
            "season_id",
            "potential",
            "billing",
            "segment",
            "high_potential",
            "high_potential_source",
            "high_billing",
            "high_billing_source",
        ],
        &["season_id"],
    )
    .await
}
