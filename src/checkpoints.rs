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
    "val_sales_candidate_documents",
    "val_sales_duplicate_keys",
    "int_fx_by_day",
    "int_sales_outcomes",
    "int_cadastre",
    "int_potential",
    "int_client_figures",
    "int_thresholds",
    "int_client_segments",
    "int_active_campaigns",
    "int_client_buckets",
    "int_memberships",
    "int_campaign_list_members",
];

/// Checkpoints computed in parts, one after the other, into one file, when
/// the session has no memory limit: the view has an integer column `part`,
/// a function of its grouping key, so `part = k` is applied before the rows
/// are grouped and each part's hash table holds only that part's groups.
/// Part k < n - 1 is `part = k`; the last part is every other row
/// (`part >= n - 1` or null), so the parts cover the view's rows whatever
/// its `part` values. Under `[limits] memory` the view is one query: its
/// aggregation spills within the limit, which costs less than reading the
/// input once per part (BENCHMARKS.md, "Scale 100").
pub const IN_PARTS: &[(&str, i64)] = &[("val_sales_candidate_documents", 2)];

/// The queries computing `view`: its parts, in order, when `unbounded`
/// ([`IN_PARTS`]), else the view itself.
fn parts(view: &str, df: DataFrame, unbounded: bool) -> datafusion::error::Result<Vec<DataFrame>> {
    use datafusion::prelude::{col, lit};
    let Some(&(_, n)) = IN_PARTS.iter().find(|(name, _)| *name == view) else {
        return Ok(vec![df]);
    };
    if !unbounded {
        return Ok(vec![df]);
    }
    (0..n)
        .map(|k| {
            let part = col("part");
            let condition = if k < n - 1 {
                part.eq(lit(k))
            } else {
                part.clone().is_null().or(part.gt_eq(lit(k)))
            };
            df.clone().filter(condition)
        })
        .collect()
}

/// A private scratch folder for checkpoints. On the embedded engine it is
/// under `ZAFRA_SCRATCH` if set, else the system's temporary folder, and is
/// removed on drop. On a cluster it is under `[engine] scratch` (storage
/// every node sees: a shared path or an object-store URL) and is removed by
/// [`Scratch::remove`] at the end of the run.
pub struct Scratch {
    place: Place,
}

enum Place {
    /// A folder of this machine's file system (possibly a shared mount).
    Local(std::path::PathBuf),
    /// A folder under an object-store root.
    Store {
        root: crate::storage::Location,
        dir: object_store::path::Path,
    },
}

/// A name no other run shares: the process id and the clock (the name is
/// never part of an output).
fn run_folder_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("zafra-{}-{nanos}", std::process::id())
}

impl Scratch {
    /// A folder on this machine, for the embedded engine.
    pub fn new() -> Result<Self> {
        let base = std::env::var_os("ZAFRA_SCRATCH")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        Self::local(base.join(run_folder_name()))
    }

    fn local(dir: std::path::PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::storage_io(format!("creating scratch folder {}", dir.display()), e)
        })?;
        Ok(Scratch {
            place: Place::Local(dir),
        })
    }

    /// The scratch folder of a run on `engine`.
    pub fn for_engine(engine: &crate::config::Engine) -> Result<Self> {
        match engine {
            crate::config::Engine::Local => Self::new(),
            crate::config::Engine::Cluster(cluster) => Self::under(&cluster.scratch),
        }
    }

    /// A folder under `root` (a path or URL every node of the cluster sees).
    pub fn under(root: &str) -> Result<Self> {
        let location = crate::storage::Location::parse(root)?;
        let name = run_folder_name();
        match location.local_root() {
            Some(path) => Self::local(path.join(name)),
            None => {
                let dir = location.path(&name);
                Ok(Scratch {
                    place: Place::Store {
                        root: location,
                        dir,
                    },
                })
            }
        }
    }

    /// Removes the folder now (an object-store folder is not removed on drop).
    pub async fn remove(&self) {
        use futures::StreamExt;
        match &self.place {
            Place::Local(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Place::Store { root, dir } => {
                let store = root.store();
                let listed = store.list(Some(dir)).map(|meta| meta.map(|m| m.location));
                let mut deleted = store.delete_stream(listed.boxed());
                while let Some(outcome) = deleted.next().await {
                    if let Err(e) = outcome {
                        tracing::warn!(error = %e, "could not remove a checkpoint file");
                    }
                }
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Place::Local(dir) = &self.place {
            let _ = std::fs::remove_dir_all(dir);
        }
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
    // Whether checkpoints in IN_PARTS are computed in parts: a property of
    // the session, the same for every view.
    let unbounded = matches!(
        ctx.runtime_env().memory_pool.memory_limit(),
        datafusion::execution::memory_pool::MemoryLimit::Infinite
    );
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
        let queries = parts(view.name, df, unbounded)?;
        let (rows, url) = match write_checkpoint(view.name, queries, scratch).await? {
            Ok(written) => written,
            Err(e) => return Ok(Err(e)),
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

/// Streams a checkpoint's rows (its parts' rows, one part after the other)
/// into a Parquet file in `scratch` (LZ4: the file lives for one run), batch
/// by batch; returns the rows written and the file's URL. Logs each part's
/// plan (see [`log_plan`]).
async fn write_checkpoint(
    name: &str,
    parts: Vec<DataFrame>,
    scratch: &Scratch,
) -> std::result::Result<Result<(u64, String)>, datafusion::error::DataFusionError> {
    use futures::StreamExt;
    let file = format!("{name}.parquet");
    let mut sink: Option<Sink> = None;
    let mut rows = 0u64;
    for df in parts {
        let task = std::sync::Arc::new(df.task_ctx());
        let plan = df.create_physical_plan().await?;
        let sink = match &mut sink {
            Some(sink) => sink,
            // The file takes the schema the plan produces: a view's logical
            // schema is the one before type coercion (a `CASE WHEN .. THEN 1
            // ELSE <decimal>` is Int64 there), which can differ from its
            // batches.
            None => match Sink::create(scratch, &file, plan.schema()) {
                Ok(created) => sink.insert(created),
                Err(e) => return Ok(Err(e)),
            },
        };
        let mut stream =
            datafusion::physical_plan::execute_stream(std::sync::Arc::clone(&plan), task)?;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            if let Err(e) = sink.write(&batch).await {
                return Ok(Err(e));
            }
        }
        log_plan(name, plan.as_ref());
    }
    let Some(sink) = sink else {
        return Ok(Err(Error::internal(format!(
            "checkpoint `{name}` has no query"
        ))));
    };
    let url = match sink.finish().await {
        Ok(url) => url,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok((rows, url)))
}

/// A checkpoint file being written: a local file (written directly) or an
/// object-store object (a multipart upload).
enum Sink {
    Local {
        path: std::path::PathBuf,
        writer: Box<parquet::arrow::ArrowWriter<std::io::BufWriter<std::fs::File>>>,
    },
    Store {
        url: String,
        writer: Box<parquet::arrow::AsyncArrowWriter<object_store::buffered::BufWriter>>,
    },
}

impl Sink {
    fn create(
        scratch: &Scratch,
        file: &str,
        schema: datafusion::arrow::datatypes::SchemaRef,
    ) -> Result<Self> {
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::LZ4_RAW)
            .build();
        let encoding = |e: parquet::errors::ParquetError| {
            Error::internal_from(format!("encoding `{file}`"), e)
        };
        match &scratch.place {
            Place::Local(dir) => {
                let path = dir.join(file);
                let handle = std::fs::File::create(&path).map_err(|e| {
                    Error::storage_io(format!("writing checkpoint {}", path.display()), e)
                })?;
                let writer = parquet::arrow::ArrowWriter::try_new(
                    std::io::BufWriter::new(handle),
                    schema,
                    Some(props),
                )
                .map_err(encoding)?;
                Ok(Sink::Local {
                    path,
                    writer: Box::new(writer),
                })
            }
            Place::Store { root, dir } => {
                let path = dir.clone().join(file);
                let url = root.url(&path);
                let object = object_store::buffered::BufWriter::new(
                    std::sync::Arc::clone(root.store()),
                    path,
                );
                let writer = parquet::arrow::AsyncArrowWriter::try_new(object, schema, Some(props))
                    .map_err(encoding)?;
                Ok(Sink::Store {
                    url,
                    writer: Box::new(writer),
                })
            }
        }
    }

    fn failed(&self, e: parquet::errors::ParquetError) -> Error {
        // Once the writer exists, its errors are the file's: a full disk or
        // a failed upload is a storage error (exit 5), not a bug.
        let place = match self {
            Sink::Local { path, .. } => path.display().to_string(),
            Sink::Store { url, .. } => url.clone(),
        };
        Error::storage_io(
            format!("writing checkpoint {place}"),
            std::io::Error::other(e),
        )
    }

    async fn write(&mut self, batch: &datafusion::arrow::array::RecordBatch) -> Result<()> {
        let outcome = match self {
            Sink::Local { writer, .. } => writer.write(batch),
            Sink::Store { writer, .. } => writer.write(batch).await,
        };
        outcome.map_err(|e| self.failed(e))
    }

    /// Closes the file; returns its URL.
    async fn finish(self) -> Result<String> {
        match self {
            Sink::Local { path, writer } => {
                let io = |e: std::io::Error| {
                    Error::storage_io(format!("writing checkpoint {}", path.display()), e)
                };
                let mut file = writer
                    .into_inner()
                    .map_err(|e| io(std::io::Error::other(e)))?;
                std::io::Write::flush(&mut file).map_err(io)?;
                url::Url::from_file_path(&path)
                    .map(|u| u.to_string())
                    .map_err(|()| Error::internal(format!("checkpoint path {}", path.display())))
            }
            Sink::Store { url, writer } => {
                writer.close().await.map_err(|e| {
                    Error::storage_io(
                        format!("writing checkpoint {url}"),
                        std::io::Error::other(e),
                    )
                })?;
                Ok(url)
            }
        }
    }
}

/// An executed plan, indented, with each operator's metrics.
pub fn plan_with_metrics(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> String {
    datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(plan)
        .indent(true)
        .to_string()
}

/// At debug level (`ZAFRA_LOG=zafra=debug`) logs a query's executed plan
/// with each operator's metrics (rows, time, memory, spills), so a slow
/// night can be diagnosed from the logs alone.
pub(crate) fn log_plan(name: &str, plan: &dyn datafusion::physical_plan::ExecutionPlan) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        let shown = plan_with_metrics(plan);
        tracing::debug!(query = name, plan = %shown, "query plan with metrics");
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of every part of `IN_PARTS`' first view, over a table whose
    /// `part` column holds 0, 1, 7 and null.
    async fn rows_of_parts(unbounded: bool) -> (usize, Vec<i64>) {
        let ctx = SessionContext::new();
        let df = ctx
            .sql("SELECT * FROM (VALUES (1, 0), (2, 1), (3, 7), (4, NULL)) AS t(id, part)")
            .await
            .unwrap();
        let (view, _) = IN_PARTS[0];
        let queries = parts(view, df, unbounded).unwrap();
        let mut ids = Vec::new();
        for q in &queries {
            for batch in q.clone().collect().await.unwrap() {
                use datafusion::arrow::array::AsArray;
                let column = datafusion::arrow::compute::cast(
                    batch.column_by_name("id").unwrap(),
                    &datafusion::arrow::datatypes::DataType::Int64,
                )
                .unwrap();
                let values = column.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                ids.extend(values.iter().flatten());
            }
        }
        ids.sort();
        (queries.len(), ids)
    }

    #[tokio::test]
    async fn the_parts_cover_every_row_once_whatever_the_part_values() {
        let (queries, ids) = rows_of_parts(true).await;
        assert_eq!(queries, 2);
        assert_eq!(ids, vec![1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn under_a_memory_limit_the_view_is_one_query() {
        let (queries, ids) = rows_of_parts(false).await;
        assert_eq!(queries, 1);
        assert_eq!(ids, vec![1, 2, 3, 4]);
    }
}
