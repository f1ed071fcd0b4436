//! Checkpoints: views whose result later views read several times are
//! computed once per run into a private scratch folder as Parquet and
//! re-registered by URL; and the helpers that collect a query while logging
//! its executed plan.

use datafusion::prelude::{DataFrame, SessionContext};

use crate::error::{Error, Result};
use crate::views::View;

/// Views whose result later views read several times: a run computes each
/// once, writes it as Parquet to the scratch folder and re-registers the name
/// as that Parquet table (by URL), so later views read it instead of
/// recomputing it. Results are identical either way (the SQL tests run
/// without checkpoints).
pub const CHECKPOINTS: &[&str] = &[
    "val_sales_duplicate_keys",
    "int_fx_by_day",
    "int_cadastre",
    "int_potential",
    "int_client_figures",
    "int_thresholds",
    "int_client_segments",
    "int_active_campaigns",
    "int_client_buckets",
    "int_memberships",
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
