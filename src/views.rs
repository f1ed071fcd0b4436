//! The SQL views of `sql/`, embedded in the binary, created in dependency
//! order; and the two parameter relations they read (`run_params`,
//! `config_thresholds`), built from typed literal values — never from SQL text.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{LogicalPlanBuilder, col, lit};
use datafusion::prelude::{DataFrame, SessionContext};
use rust_decimal::Decimal;

use crate::config::Thresholds;
use crate::error::{Error, Result};

/// One view: its name (= file name) and its SQL.
pub struct View {
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! view {
    ($dir:literal, $name:literal) => {
        View {
            name: $name,
            sql: include_str!(concat!("../sql/", $dir, "/", $name, ".sql")),
        }
    };
}

/// Every view, in dependency order: staging, intermediate, marts, checks.
pub const VIEWS: &[View] = &[
    view!("staging", "stg_clients"),
    view!("staging", "stg_seasons"),
    view!("staging", "stg_campaigns"),
    view!("checks", "check_keys"),
    view!("staging", "stg_cadastre"),
    view!("staging", "stg_potential_rates"),
    view!("staging", "stg_fx_rates"),
    view!("intermediate", "int_sales_duplicate_keys"),
    view!("staging", "stg_sales"),
    view!("intermediate", "int_known_clients"),
    view!("intermediate", "int_clients_in_scope"),
    view!("intermediate", "int_campaigns_on_date"),
    view!("intermediate", "int_seasons_in_scope"),
    view!("intermediate", "int_cadastre"),
    view!("intermediate", "int_fx_intervals"),
    view!("intermediate", "int_fx_by_day"),
    view!("intermediate", "int_sales"),
    view!("intermediate", "int_parcel_potential"),
    view!("intermediate", "int_billing_lines"),
    view!("marts", "potential"),
    view!("marts", "billing"),
    view!("intermediate", "int_client_figures"),
    view!("intermediate", "int_thresholds"),
    view!("marts", "client_segments"),
    view!("marts", "active_campaigns"),
    view!("intermediate", "int_memberships_simple"),
    view!("intermediate", "int_client_buckets"),
    view!("intermediate", "int_campaign_buckets"),
    view!("marts", "memberships"),
    view!("marts", "campaign_summary"),
    view!("marts", "rejects"),
    view!("checks", "report_unpriced"),
    view!("checks", "check_money"),
];

/// How many views of [`VIEWS`] (the small tables' staging and the table-level
/// checks) are created before the checks run; the rest come after.
pub const PRE_CHECK_VIEWS: usize = 4;

/// Views whose result later views read several times: a run computes each
/// once, writes it as Parquet to the scratch folder and re-registers the name
/// as that Parquet table (by URL), so later views read it instead of
/// recomputing it. Results are identical either way (the SQL tests run
/// without checkpoints).
pub const CHECKPOINTS: &[&str] = &[
    "int_sales_duplicate_keys",
    "int_fx_by_day",
    "int_cadastre",
    "potential",
    "int_client_figures",
    "int_thresholds",
    "client_segments",
    "active_campaigns",
    "int_client_buckets",
    "memberships",
];

/// A private scratch folder for checkpoints, removed on drop. It is under
/// `ZAFRA_SCRATCH` if set (on a cluster: storage the executors share), else
/// the system's temporary folder.
pub struct Scratch {
    dir: std::path::PathBuf,
}

impl Scratch {
    pub fn new() -> Result<Self> {
        let base = std::env::var_os("ZAFRA_SCRATCH")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = base.join(format!("zafra-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::storage_io(format!("creating scratch folder {}", dir.display()), e)
        })?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Creates `views` in order, checkpointing those named in [`CHECKPOINTS`]
/// into `scratch`. Query errors are returned as such (the caller classifies
/// them: a corrupt input file surfaces here).
pub async fn register_views_checkpointed(
    ctx: &SessionContext,
    views: &[View],
    scratch: &Scratch,
) -> std::result::Result<Result<Vec<(String, u64)>>, datafusion::error::DataFusionError> {
    let mut timings = Vec::new();
    for view in views {
        let started = std::time::Instant::now();
        let df = match ctx.sql(view.sql).await {
            Ok(df) => df,
            Err(e) => {
                return Ok(Err(Error::internal_from(
                    format!("planning view `{}`", view.name),
                    e,
                )));
            }
        };
        if !CHECKPOINTS.contains(&view.name) {
            if let Err(e) = ctx.register_table(view.name, df.into_view()) {
                return Ok(Err(Error::internal_from(
                    format!("registering view `{}`", view.name),
                    e,
                )));
            }
            continue;
        }
        let path = scratch.dir.join(format!("{}.parquet", view.name));
        let rows = match write_checkpoint(view.name, df, &path).await? {
            Ok(rows) => rows,
            Err(e) => return Ok(Err(e)),
        };
        let url = match url::Url::from_file_path(&path) {
            Ok(u) => u.to_string(),
            Err(()) => {
                return Ok(Err(Error::internal(format!(
                    "checkpoint path {}",
                    path.display()
                ))));
            }
        };
        ctx.register_parquet(
            view.name,
            url,
            datafusion::prelude::ParquetReadOptions::default(),
        )
        .await?;
        let ms = started.elapsed().as_millis() as u64;
        tracing::info!(view = view.name, rows, ms, "checkpoint computed");
        timings.push((format!("checkpoint:{}", view.name), ms));
    }
    Ok(Ok(timings))
}

/// Streams a checkpoint's rows into a Parquet file (LZ4: the file lives for
/// one run), batch by batch; returns the rows written. Logs the plan like
/// [`collect_logged`].
async fn write_checkpoint(
    name: &str,
    df: DataFrame,
    path: &std::path::Path,
) -> std::result::Result<Result<u64>, datafusion::error::DataFusionError> {
    use futures::StreamExt;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    let io =
        |e: std::io::Error| Error::storage_io(format!("writing checkpoint {}", path.display()), e);
    let encoding = |e: parquet::errors::ParquetError| {
        Error::internal_from(format!("encoding checkpoint `{name}`"), e)
    };
    // Once the writer exists, its errors are the file's: a full disk or a
    // file-size limit is a storage error (exit 5), not a bug.
    let writing = |e: parquet::errors::ParquetError| io(std::io::Error::other(e));
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let task = std::sync::Arc::new(df.task_ctx());
    let plan = df.create_physical_plan().await?;
    let mut stream = datafusion::physical_plan::execute_stream(std::sync::Arc::clone(&plan), task)?;
    let file = match std::fs::File::create(path) {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => return Ok(Err(io(e))),
    };
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::LZ4_RAW)
        .build();
    let mut writer = match ArrowWriter::try_new(file, schema, Some(props)) {
        Ok(w) => w,
        Err(e) => return Ok(Err(encoding(e))),
    };
    let mut rows = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        if let Err(e) = writer.write(&batch) {
            return Ok(Err(writing(e)));
        }
    }
    let mut file = match writer.into_inner() {
        Ok(file) => file,
        Err(e) => return Ok(Err(writing(e))),
    };
    if let Err(e) = std::io::Write::flush(&mut file) {
        return Ok(Err(io(e)));
    }
    log_plan(name, plan.as_ref());
    Ok(Ok(rows))
}

/// An executed plan, indented, with each operator's metrics.
pub fn plan_with_metrics(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> String {
    datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(plan)
        .indent(true)
        .to_string()
}

fn log_plan(name: &str, plan: &dyn datafusion::physical_plan::ExecutionPlan) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        let shown = plan_with_metrics(plan);
        tracing::debug!(query = name, plan = %shown, "query plan with metrics");
    }
}

/// Collects a query's result; at debug level (`ZAFRA_LOG=zafra=debug`) logs
/// its physical plan with each operator's metrics (rows, time, memory, spills),
/// so a slow night can be diagnosed from the logs alone.
pub async fn collect_logged(
    name: &str,
    df: DataFrame,
) -> std::result::Result<
    Vec<datafusion::arrow::array::RecordBatch>,
    datafusion::error::DataFusionError,
> {
    let (batches, plan) = collect_with_plan(df).await?;
    log_plan(name, plan.as_ref());
    Ok(batches)
}

/// Collects a query's result and returns it with the executed plan (whose
/// metrics are then filled in).
pub async fn collect_with_plan(
    df: DataFrame,
) -> std::result::Result<
    (
        Vec<datafusion::arrow::array::RecordBatch>,
        std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    ),
    datafusion::error::DataFusionError,
> {
    let task = std::sync::Arc::new(df.task_ctx());
    let plan = df.create_physical_plan().await?;
    let batches = datafusion::physical_plan::collect(std::sync::Arc::clone(&plan), task).await?;
    Ok((batches, plan))
}

/// The views of `zafra diff`, over two snapshots' tables.
pub const DIFF_VIEWS: &[View] = &[
    view!("diff", "diff_memberships"),
    view!("diff", "diff_segments"),
];

/// The run's parameters, as typed values.
pub struct Params<'a> {
    pub as_of: chrono::NaiveDate,
    pub base_currency: &'a str,
    pub thresholds: &'a Thresholds,
}

/// Registers `run_params` (one row: as_of, base_currency) and
/// `config_thresholds` (season_id null = the `[segments]` default, then one
/// row per configured season).
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

/// Creates every view of [`VIEWS`] on `ctx`; the input tables and parameter
/// relations must already be registered.
pub async fn register_views(ctx: &SessionContext) -> Result<()> {
    register_view_list(ctx, VIEWS).await
}

/// Creates the given views, in order.
pub async fn register_view_list(ctx: &SessionContext, views: &[View]) -> Result<()> {
    for view in views {
        let df = ctx
            .sql(view.sql)
            .await
            .map_err(|e| Error::internal_from(format!("planning view `{}`", view.name), e))?;
        ctx.register_table(view.name, df.into_view())
            .map_err(|e| Error::internal_from(format!("registering view `{}`", view.name), e))?;
    }
    Ok(())
}

pub use crate::outputs::MONEY;
