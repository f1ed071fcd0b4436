//! The parameter relations the views read, built from typed literal values
//! (never from SQL text): `run_params` (as-of date, base currency),
//! `config_thresholds` (the `[segments]` default and per-season overrides)
//! and `explain_params` (the client `zafra explain` asks about; null in a
//! run).

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{LogicalPlanBuilder, col, lit};
use datafusion::prelude::{DataFrame, SessionContext};
use rust_decimal::Decimal;

use crate::config::Thresholds;
use crate::error::{Error, Result};

/// The names of the parameter relations.
pub const RELATIONS: &[&str] = &["run_params", "config_thresholds", "explain_params"];

/// The run's parameters, as typed values.
pub struct Params<'a> {
    pub as_of: chrono::NaiveDate,
    pub base_currency: &'a str,
    pub thresholds: &'a Thresholds,
    /// The client `zafra explain` evaluates against every active campaign
    /// (int_campaign_conditions); `None` in a run.
    pub explain_client: Option<&'a str>,
}

impl<'a> Params<'a> {
    /// A run's parameters: the job's, as of `as_of`.
    pub fn of_job(job: &'a crate::config::JobConfig, as_of: chrono::NaiveDate) -> Self {
        Params {
            as_of,
            base_currency: &job.base_currency,
            thresholds: &job.thresholds,
            explain_client: None,
        }
    }
}

/// Registers `run_params` (one row: as_of, base_currency),
/// `config_thresholds` (season_id null = the `[segments]` default, then one
/// row per configured season) and `explain_params` (one row: client_id).
pub fn register_params(ctx: &SessionContext, params: &Params<'_>) -> Result<()> {
    let epoch =
        chrono::NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| Error::internal("epoch date"))?;
    let days = i32::try_from((params.as_of - epoch).num_days())
        .map_err(|_| Error::internal("as-of date out of range"))?;
    register_values(
        ctx,
        "run_params",
        &["as_of", "base_currency"],
        vec![vec![
            ScalarValue::Date32(Some(days)),
            ScalarValue::Utf8(Some(params.base_currency.to_string())),
        ]],
    )?;
    let mut rows = vec![vec![
        ScalarValue::Utf8(None),
        money(params.thresholds.default.high_potential)?,
        money(params.thresholds.default.high_billing)?,
    ]];
    for (season, pair) in &params.thresholds.season {
        rows.push(vec![
            ScalarValue::Utf8(Some(season.clone())),
            money(pair.high_potential)?,
            money(pair.high_billing)?,
        ]);
    }
    register_values(
        ctx,
        "config_thresholds",
        &["season_id", "high_potential", "high_billing"],
        rows,
    )?;
    register_values(
        ctx,
        "explain_params",
        &["client_id"],
        vec![vec![ScalarValue::Utf8(
            params.explain_client.map(str::to_string),
        )]],
    )
}

/// A threshold as DECIMAL(38,2) (config guarantees at most 2 decimals).
fn money(value: Option<Decimal>) -> Result<ScalarValue> {
    let Some(value) = value else {
        return Ok(ScalarValue::Decimal128(None, 38, 2));
    };
    let mut v = value;
    v.rescale(2);
    if v != value {
        return Err(Error::internal(format!(
            "threshold {value} has more than 2 decimals"
        )));
    }
    Ok(ScalarValue::Decimal128(Some(v.mantissa()), 38, 2))
}

pub(crate) fn register_values(
    ctx: &SessionContext,
    name: &str,
    columns: &[&str],
    rows: Vec<Vec<ScalarValue>>,
) -> Result<()> {
    let wrap = |e| Error::internal_from(format!("building `{name}`"), e);
    let exprs: Vec<Vec<_>> = rows
        .into_iter()
        .map(|row| row.into_iter().map(lit).collect())
        .collect();
    let plan = LogicalPlanBuilder::values(exprs)
        .and_then(|b| b.build())
        .map_err(wrap)?;
    let df = DataFrame::new(ctx.state(), plan);
    let projection: Vec<_> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| col(format!("column{}", i + 1)).alias(*c))
        .collect();
    let df = df.select(projection).map_err(wrap)?;
    ctx.register_table(name, df.into_view()).map_err(wrap)?;
    Ok(())
}
