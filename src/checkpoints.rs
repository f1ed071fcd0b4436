//! Checkpoints: views whose result later views read several times are
//! computed once per run into a private scratch folder as Parquet and
//! re-registered by URL; and the helpers that collect a query while logging
//! its executed plan.

use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::prelude::{DataFrame, SessionContext};

use crate::encode::{Background, RowGroupWriter};
use crate::error::{Error, Result};
use crate::inputs::{InputFile, InputTable};
use crate::scratch::{Place, Scratch};
use crate::views::View;

/// Views whose result later views read several times: a run computes each
/// once, writes it as Parquet to the scratch folder and re-registers the name
/// as that Parquet table (by URL), so later views read it instead of
/// recomputing it. Results are identical either way (the SQL tests run
/// without checkpoints, except the files that ask for them with
/// `CHECKPOINT ZAFRA VIEWS`).
pub const CHECKPOINTS: &[&str] = &[
    "val_sales_candidate_documents",
    "val_sales_duplicate_keys",
    "int_fx_by_day",
    "int_known_clients",
    "int_sales_outcomes",
    "int_cadastre",
    "int_potential",
    "int_client_figures",
    "int_thresholds",
    "int_client_segments",
    "int_active_campaigns",
    "int_client_buckets",
    "int_figure_buckets",
    "int_memberships",
    "int_campaign_list_members",
];

/// Checkpoints computed in hash parts of a key column, one after the other,
/// into one file, when the session has no memory limit and the view is not
/// computed in key ranges ([`KEY_RANGED`]): (view, column, parts). The
/// parts are those of [`PARTS_UNDER_LIMIT`] (one rule, [`key_part`]): a
/// condition on the view's grouping key, so it is applied before the rows
/// are grouped and each part's hash table holds only that part's groups.
/// Under `[limits] memory` the view is one query: its aggregation spills
/// within the limit, which costs less than reading the input once per part
/// (BENCHMARKS.md, "Scale 100").
pub const IN_PARTS: &[(&str, &str, u64)] = &[("val_sales_candidate_documents", "document_id", 2)];

/// Checkpoints computed in ranges of a key column, one range after the
/// other, into one file, when the input files hold disjoint ranges of that
/// column (their footers' statistics, [`InputFile::key_range`]): the view
/// is grouped by the column, so a range's condition is applied to the rows
/// before they are grouped, and it reaches the scan, which skips the files
/// (and pages) outside the range. So each range reads about its share of
/// the input, and its hash table holds its share of the keys: no second
/// read of the input as with [`IN_PARTS`], and no spilling under `[limits]
/// memory`. (view, the table whose files are ranged; the column is that
/// table's in [`crate::inputs::RANGED_COLUMNS`], the view's grouping key.)
pub const KEY_RANGED: &[(&str, &str)] = &[("val_sales_candidate_documents", "sales")];

/// Checkpoints computed in hash parts of a key column, one part after the
/// other, into one file, under `[limits] memory` only, when the table that
/// sizes the view is large against the limit: (view, table, column). Part
/// k of n holds the rows whose column's last character has a code equal to
/// k modulo n (the last part also every other row: null, empty), a
/// condition on the view's grouping key, so it is applied before the rows
/// are grouped and reaches the scans of its inputs. `int_potential` groups
/// 17.5M (season, client) pairs at scale 100: in one query its aggregation
/// spilled 1.6 GB under 4 GiB (20–23 s); in two parts neither spills (14.6
/// s), each part re-reading the cadastre checkpoint. Parts pay only with a
/// pool whose shares go to the consumers holding memory
/// ([`crate::memory::SharedSpillPool`]): under `FairSpillPool` each part's
/// partitions got an eighth of the pool and still spilled (BENCHMARKS.md,
/// "A pool shared by the consumers that hold memory"). With no limit the
/// view is one query.
pub const PARTS_UNDER_LIMIT: &[(&str, &str, &str)] = &[("int_potential", "cadastre", "client_id")];

/// Bytes of the memory limit taken per row of the sizing table of a view
/// in [`PARTS_UNDER_LIMIT`]: parts = rows × this / limit, rounded up.
const BYTES_PER_PART_ROW: u64 = 128;

/// At most this many parts.
const MAX_PARTS: u64 = 64;

/// Checkpoints planned with partitioned hash joins (`repartition_joins`,
/// off for every other query: no sales join is ever repartitioned). Their
/// joins have build sides as large as their probe sides, such as the
/// potentials and billing that the client × season grid of
/// `int_client_figures` (19.4M rows at scale 100) streams through: with
/// both sides repartitioned on the key, each partition builds its own share
/// of the table, in parallel, instead of one thread building the whole
/// table for every partition. The rows are the same either way. Only for a
/// view whose inputs are checkpoints or small: its joins must never see
/// sales rows (`int_potential` and `int_sales_outcomes` are checkpoints;
/// `tests/plans.rs` checks the plan reads no sales).
pub const PARTITIONED_JOINS: &[&str] = &["int_client_figures"];

/// Checkpoints aggregated in one step: partial aggregation is skipped from
/// its first probe (`skip_partial_aggregation_probe_ratio_threshold` 0; the
/// session's is 0.1). The checked pass over sales groups 18M counted rows
/// into 1.6M (season, client) groups at scale 10, a ratio just under the
/// session's threshold, and its input is in client order: each partial
/// aggregation held every group of its half until its input ended, then
/// the final step hashed them all again. At scale 100 under 4 GiB the
/// partial steps' 16.4M groups held the pool while the final step grew,
/// and the final step spilled 1.1 GB; in one step it does not spill, and
/// the pass takes 4 % less CPU (BENCHMARKS.md, "A pool shared by the
/// consumers that hold memory").
pub const ONE_STEP_AGGREGATES: &[&str] = &["int_sales_outcomes"];

/// Plans `view`, with partitioned joins if it is in [`PARTITIONED_JOINS`]
/// and one-step aggregation if it is in [`ONE_STEP_AGGREGATES`].
pub async fn plan_view(ctx: &SessionContext, view: &View) -> datafusion::error::Result<DataFrame> {
    let partitioned = PARTITIONED_JOINS.contains(&view.name);
    let one_step = ONE_STEP_AGGREGATES.contains(&view.name);
    if !partitioned && !one_step {
        return ctx.sql(view.sql).await;
    }
    // A copy of the session's state (same catalog), its settings changed
    // for this view only.
    let mut state = ctx.state();
    let options = state.config_mut().options_mut();
    if partitioned {
        // DataFusion would still collect a build side that its size
        // thresholds find small (they see estimates), so they are zero:
        // every join of the view is partitioned.
        options.optimizer.repartition_joins = true;
        options.optimizer.hash_join_single_partition_threshold = 0;
        options.optimizer.hash_join_single_partition_threshold_rows = 0;
    }
    if one_step {
        options
            .execution
            .skip_partial_aggregation_probe_ratio_threshold = 0.0;
    }
    let plan = state.create_logical_plan(view.sql).await?;
    Ok(DataFrame::new(state, plan))
}

/// Input rows per key range (at most; fewer under a memory limit): about
/// 670K documents of 3 lines. A smaller hash table is probed faster: at
/// scale 10 the candidates took a median 2.2 s in ranges of 2M rows against
/// 2.9 s in ranges of 8M (2.4 s at 1M, 52 queries; BENCHMARKS.md, "The
/// product after the season join, smaller key ranges").
const ROWS_PER_KEY_RANGE: u64 = 2_000_000;

/// Under `[limits] memory`, a key range holds at most the limit / this many
/// input rows (a hash-table entry and its key, with room to spare).
const BYTES_PER_KEY_ROW: u64 = 256;

/// How the checkpoints of [`IN_PARTS`], [`PARTS_UNDER_LIMIT`] and
/// [`KEY_RANGED`] are split: a function of the session's memory limit and
/// of the input files.
struct Splits<'a> {
    limit: MemoryLimit,
    tables: &'a [InputTable],
}

impl<'a> Splits<'a> {
    fn of(ctx: &SessionContext, tables: &'a [InputTable]) -> Self {
        Splits {
            limit: ctx.runtime_env().memory_pool.memory_limit(),
            tables,
        }
    }

    /// Whether the session has no memory limit.
    fn unbounded(&self) -> bool {
        matches!(self.limit, MemoryLimit::Infinite)
    }

    /// The most input rows a key range may hold: [`ROWS_PER_KEY_RANGE`]
    /// with no limit, fewer under a limit; none when the limit is unknown.
    fn rows_per_range(&self) -> Option<u64> {
        match self.limit {
            MemoryLimit::Infinite => Some(ROWS_PER_KEY_RANGE),
            MemoryLimit::Finite(bytes) => {
                Some((bytes as u64 / BYTES_PER_KEY_ROW).clamp(1, ROWS_PER_KEY_RANGE))
            }
            MemoryLimit::Unknown => None,
        }
    }

    /// How many parts a view of [`PARTS_UNDER_LIMIT`] sized by `table` is
    /// computed in: 1 with no finite limit (see [`limited_parts`]).
    fn limited_parts(&self, table: &str) -> u64 {
        let MemoryLimit::Finite(bytes) = self.limit else {
            return 1;
        };
        let rows = self
            .tables
            .iter()
            .find(|t| t.spec.name == table)
            .map_or(0, |t| t.rows());
        limited_parts(rows, bytes as u64)
    }

    /// Where the key ranges of `table`'s files start (see [`key_range_starts`]).
    fn starts(&self, table: &str) -> Vec<String> {
        let (Some(budget), Some(table)) = (
            self.rows_per_range(),
            self.tables.iter().find(|t| t.spec.name == table),
        ) else {
            return Vec::new();
        };
        key_range_starts(&table.files, budget)
    }
}

/// Where the ranges of a key column start, from the files' ranges of it
/// ([`InputFile::key_range`]), so that a range holds at most `budget` of the
/// files' rows (or one file's, when a file alone passes it): the files are
/// sorted by their smallest value, and a file starts a new range at that
/// value when its rows would pass the budget (`pipeline::range_starts`).
/// Empty (one range) when a file with rows has no known range, or when two
/// files' ranges overlap (a shared end value is fine: one document split
/// across two files): then a range would read most files.
fn key_range_starts(files: &[InputFile], budget: u64) -> Vec<String> {
    let mut ranges = Vec::with_capacity(files.len());
    for file in files.iter().filter(|f| f.rows > 0) {
        let Some((low, high)) = &file.key_range else {
            return Vec::new();
        };
        ranges.push((low, high, file.rows));
    }
    ranges.sort();
    if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
        return Vec::new();
    }
    let values: Vec<(String, u64)> = ranges
        .iter()
        .map(|(low, _, rows)| ((*low).clone(), *rows))
        .collect();
    let mut starts = crate::pipeline::range_starts(&values, budget);
    starts.dedup();
    starts
}

/// Parts for `rows` rows under a memory limit of `limit` bytes:
/// rows × [`BYTES_PER_PART_ROW`] / limit rounded up, from 1 to [`MAX_PARTS`].
fn limited_parts(rows: u64, limit: u64) -> u64 {
    rows.saturating_mul(BYTES_PER_PART_ROW)
        .div_ceil(limit.max(1))
        .clamp(1, MAX_PARTS)
}

/// `df` split into `n` hash parts of `column`, one query per part: a row's
/// part is its last character's code modulo n ([`key_part`]); part k < n - 1
/// is `= k`, and the last one every other row (`>= n - 1` or null: null
/// ids), so the parts cover every row, each row in one part.
fn in_hash_parts(df: DataFrame, column: &str, n: u64) -> datafusion::error::Result<Vec<DataFrame>> {
    use datafusion::prelude::lit;
    let part = key_part(column, n);
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    (0..n)
        .map(|k| {
            let condition = if k < n - 1 {
                part.clone().eq(lit(k))
            } else {
                part.clone().is_null().or(part.clone().gt_eq(lit(k)))
            };
            df.clone().filter(condition)
        })
        .collect()
}

/// A row's part of `n` by `column`: its last character's code modulo n.
fn key_part(column: &str, n: u64) -> datafusion::prelude::Expr {
    use datafusion::functions::expr_fn::{ascii, right};
    use datafusion::prelude::{cast, col, lit};
    let code = cast(
        ascii(right(col(column), lit(1_i64))),
        datafusion::arrow::datatypes::DataType::Int64,
    );
    code % lit(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The queries computing `view`: its key ranges, in order ([`KEY_RANGED`],
/// when its files allow more than one), else its hash parts under a memory
/// limit ([`PARTS_UNDER_LIMIT`], when the limit needs more than one) or
/// when the session is unbounded ([`IN_PARTS`]), else the view itself.
fn parts(view: &str, df: DataFrame, splits: &Splits) -> datafusion::error::Result<Vec<DataFrame>> {
    use datafusion::prelude::col;
    let ranged = KEY_RANGED
        .iter()
        .find(|(name, _)| *name == view)
        .and_then(|(_, table)| crate::inputs::ranged_column(table).map(|column| (table, column)));
    if let Some((table, column)) = ranged {
        let starts = splits.starts(table);
        if !starts.is_empty() {
            tracing::debug!(view, ranges = starts.len() + 1, "checkpoint in key ranges");
            return crate::pipeline::range_conditions(&col(column), &starts)
                .into_iter()
                .map(|condition| match condition {
                    Some(condition) => df.clone().filter(condition),
                    None => Ok(df.clone()),
                })
                .collect();
        }
    }
    if let Some(&(_, table, column)) = PARTS_UNDER_LIMIT.iter().find(|(name, ..)| *name == view) {
        let n = splits.limited_parts(table);
        if n == 1 {
            return Ok(vec![df]);
        }
        tracing::debug!(
            view,
            parts = n,
            "checkpoint in hash parts under the memory limit"
        );
        return in_hash_parts(df, column, n);
    }
    let Some(&(_, column, n)) = IN_PARTS.iter().find(|(name, ..)| *name == view) else {
        return Ok(vec![df]);
    };
    if !splits.unbounded() {
        return Ok(vec![df]);
    }
    in_hash_parts(df, column, n)
}

/// Creates `views` in order, checkpointing those named in [`CHECKPOINTS`]
/// into `scratch`. Query errors are returned as such (the caller classifies
/// them: a corrupt input file surfaces here).
pub async fn register_views_checkpointed(
    ctx: &SessionContext,
    views: &[View],
    tables: &[InputTable],
    scratch: &Scratch,
) -> std::result::Result<Result<Vec<(String, u64)>>, datafusion::error::DataFusionError> {
    let splits = Splits::of(ctx, tables);
    let mut timings = Vec::new();
    for view in views {
        let started = std::time::Instant::now();
        let df = match plan_view(ctx, view).await {
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
        let queries = parts(view.name, df, &splits)?
            .into_iter()
            .map(text_not_view)
            .collect::<datafusion::error::Result<Vec<_>>>()?;
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

/// `df` with each `Utf8View` column cast to `Utf8` (same name, same
/// values), the others as they are: a checkpoint is written with the
/// contract's text type, so the views that read it see `Utf8` only,
/// whatever the input tables it derives from were registered with
/// ([`crate::inputs::VIEW_TEXT_TABLES`]). Applied to each part after its
/// key condition, so the condition reaches the scan on the column itself.
fn text_not_view(df: DataFrame) -> datafusion::error::Result<DataFrame> {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::prelude::{cast, col};
    let columns: Vec<(datafusion::common::Column, bool)> = df
        .schema()
        .iter()
        .map(|(qualifier, field)| {
            (
                datafusion::common::Column::new(qualifier.cloned(), field.name()),
                field.data_type() == &DataType::Utf8View,
            )
        })
        .collect();
    if !columns.iter().any(|(_, view)| *view) {
        return Ok(df);
    }
    let exprs = columns
        .into_iter()
        .map(|(column, view)| {
            let name = column.name.clone();
            if view {
                cast(col(column), DataType::Utf8).alias(name)
            } else {
                col(column)
            }
        })
        .collect::<Vec<_>>();
    df.select(exprs)
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
    'parts: for df in parts {
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
            match sink.write(&batch).await {
                Ok(true) => {}
                // The encoder stopped: finishing the file returns its error.
                Ok(false) => break 'parts,
                Err(e) => return Ok(Err(e)),
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

/// Rows per row group of a local checkpoint file: a quarter of the outputs'
/// (src/publish.rs), since the encoder holds one group's rows (about 25 MB
/// for the widest checkpoint) while the query that produces them runs.
const CHECKPOINT_GROUP_ROWS: usize = 1 << 18;

/// Batches queued for a local checkpoint's encoder: one row group's worth of
/// the queries' batches (8192 rows each).
const CHECKPOINT_QUEUED_BATCHES: usize = CHECKPOINT_GROUP_ROWS / 8192;

/// A checkpoint file being written: a local file (encoded on a thread of its
/// own, each row group's columns in parallel: src/encode.rs, so the query's
/// partitions keep both cores while a row group is encoded) or an
/// object-store object (a multipart upload).
enum Sink {
    Local {
        path: std::path::PathBuf,
        encoder: Background<std::io::BufWriter<std::fs::File>>,
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
            .set_max_row_group_row_count(Some(CHECKPOINT_GROUP_ROWS))
            .build();
        let encoding = |e: parquet::errors::ParquetError| {
            Error::internal_from(format!("encoding `{file}`"), e)
        };
        match scratch.place() {
            Place::Local(dir) => {
                let path = dir.join(file);
                let handle = std::fs::File::create(&path).map_err(|e| {
                    Error::storage_io(format!("writing checkpoint {}", path.display()), e)
                })?;
                let writer = RowGroupWriter::new(
                    std::io::BufWriter::new(handle),
                    schema,
                    props,
                    CHECKPOINT_GROUP_ROWS,
                )
                .map_err(encoding)?;
                Ok(Sink::Local {
                    path,
                    encoder: Background::start(writer, CHECKPOINT_QUEUED_BATCHES),
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

    /// The file's place, for errors.
    fn place(&self) -> String {
        match self {
            Sink::Local { path, .. } => path.display().to_string(),
            Sink::Store { url, .. } => url.clone(),
        }
    }

    /// Once the writer exists, its errors are the file's: a full disk or a
    /// failed upload is a storage error (exit 5), not a bug.
    fn failed(place: &str, e: parquet::errors::ParquetError) -> Error {
        Error::storage_io(
            format!("writing checkpoint {place}"),
            std::io::Error::other(e),
        )
    }

    /// Takes the next rows. False when a local file's encoder has stopped
    /// on an error, which [`Sink::finish`] returns.
    async fn write(&mut self, batch: &datafusion::arrow::array::RecordBatch) -> Result<bool> {
        match self {
            Sink::Local { encoder, .. } => Ok(encoder.push(batch.clone()).await),
            Sink::Store { writer, url } => writer
                .write(batch)
                .await
                .map(|()| true)
                .map_err(|e| Self::failed(url, e)),
        }
    }

    /// Closes the file; returns its URL.
    async fn finish(self) -> Result<String> {
        let place = self.place();
        match self {
            Sink::Local { path, encoder } => {
                let io = |e: std::io::Error| {
                    Error::storage_io(format!("writing checkpoint {}", path.display()), e)
                };
                let (_, mut file) = encoder
                    .finish()
                    .await
                    .map_err(|e| Self::failed(&place, e))?;
                std::io::Write::flush(&mut file).map_err(io)?;
                url::Url::from_file_path(&path)
                    .map(|u| u.to_string())
                    .map_err(|()| Error::internal(format!("checkpoint path {}", path.display())))
            }
            Sink::Store { url, writer } => {
                writer.close().await.map_err(|e| Self::failed(&place, e))?;
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
    /// document ids end in even and odd codes, or are empty or null.
    async fn rows_of_parts(limit: MemoryLimit) -> Vec<Vec<i64>> {
        let ctx = SessionContext::new();
        let df = ctx
            .sql(
                "SELECT * FROM (VALUES (1, 'D0'), (2, 'D1'), (3, 'D7'), (4, NULL), (5, ''), \
                 (6, 'DÑ')) AS t(id, document_id)",
            )
            .await
            .unwrap();
        let (view, column, _) = IN_PARTS[0];
        assert_eq!(column, "document_id");
        let splits = Splits { limit, tables: &[] };
        let mut per_part = Vec::new();
        for q in &parts(view, df, &splits).unwrap() {
            per_part.push(ids_of(q).await);
        }
        per_part
    }

    /// The `id` column of a query's rows, sorted.
    async fn ids_of(query: &DataFrame) -> Vec<i64> {
        use datafusion::arrow::array::AsArray;
        let mut ids = Vec::new();
        for batch in query.clone().collect().await.unwrap() {
            let column = datafusion::arrow::compute::cast(
                batch.column_by_name("id").unwrap(),
                &datafusion::arrow::datatypes::DataType::Int64,
            )
            .unwrap();
            let values = column.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            ids.extend(values.iter().flatten());
        }
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn the_parts_cover_every_row_once_whatever_the_ids() {
        // Part 0: even last codes ('0' 48, '' 0); part 1: odd ('1' 49, '7'
        // 55, 'Ñ' 209) and the null.
        let per_part = rows_of_parts(MemoryLimit::Infinite).await;
        assert_eq!(per_part, vec![vec![1, 5], vec![2, 3, 4, 6]]);
    }

    #[tokio::test]
    async fn under_a_memory_limit_the_view_is_one_query() {
        let per_part = rows_of_parts(MemoryLimit::Finite(1 << 30)).await;
        assert_eq!(per_part, vec![vec![1, 2, 3, 4, 5, 6]]);
    }

    #[tokio::test]
    async fn a_checkpoint_holds_text_not_views_and_the_same_rows() {
        use datafusion::arrow::datatypes::DataType;
        let ctx = SessionContext::new();
        let df = ctx
            .sql(
                "SELECT arrow_cast(k, 'Utf8View') AS k, n, t FROM \
                 (VALUES ('a-long-id-of-more-than-12-bytes', 1, 'x'), ('b', 2, NULL), \
                 (NULL, 3, 'z')) AS v(k, n, t)",
            )
            .await
            .unwrap();
        let types = |df: &DataFrame| -> Vec<(String, DataType)> {
            df.schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().clone()))
                .collect()
        };
        assert_eq!(types(&df)[0].1, DataType::Utf8View);
        let before = df.clone().collect().await.unwrap();
        let cast = text_not_view(df).unwrap();
        assert_eq!(
            types(&cast),
            vec![
                ("k".to_string(), DataType::Utf8),
                ("n".to_string(), DataType::Int64),
                ("t".to_string(), DataType::Utf8),
            ]
        );
        let after = cast.collect().await.unwrap();
        let text = |batches: &[datafusion::arrow::array::RecordBatch]| {
            datafusion::arrow::util::pretty::pretty_format_batches(batches)
                .unwrap()
                .to_string()
        };
        assert_eq!(text(&before), text(&after));
        // No view column: the same plan, untouched.
        let plain = ctx.sql("SELECT 1 AS n").await.unwrap();
        let plan = plain.logical_plan().clone();
        assert_eq!(text_not_view(plain).unwrap().logical_plan(), &plan);
    }

    /// A `sales` file of `rows` rows whose document ids span `range`.
    fn file(rows: u64, range: Option<(&str, &str)>) -> InputFile {
        InputFile {
            table: "sales".into(),
            path: object_store::path::Path::from("sales/x.parquet"),
            name: "sales/x.parquet".into(),
            size: 1,
            rows,
            key_range: range.map(|(l, h)| (l.to_string(), h.to_string())),
        }
    }

    #[test]
    fn key_ranges_start_at_file_bounds_within_the_budget_only_for_disjoint_files() {
        // Listed out of order; D003 ends one file and starts the next (one
        // document split across two files).
        let files = [
            file(3, Some(("D004", "D006"))),
            file(2, Some(("D001", "D003"))),
            file(2, Some(("D003", "D003"))),
            file(0, None),
            file(4, Some(("D007", "D009"))),
        ];
        let starts = |budget| key_range_starts(&files, budget);
        // Sorted: D001 (2 rows), D003 (2), D004 (3), D007 (4).
        assert_eq!(starts(100), Vec::<String>::new());
        assert_eq!(starts(11), Vec::<String>::new());
        assert_eq!(starts(7), vec!["D007"]);
        assert_eq!(starts(4), vec!["D004", "D007"]);
        assert_eq!(starts(3), vec!["D003", "D004", "D007"]);
        assert_eq!(starts(1), vec!["D003", "D004", "D007"]);
        // Overlapping files, or a file with rows and no range: one range.
        let overlapping = [
            file(2, Some(("D001", "D005"))),
            file(2, Some(("D004", "D009"))),
        ];
        assert!(key_range_starts(&overlapping, 1).is_empty());
        let unknown = [file(2, Some(("D001", "D003"))), file(2, None)];
        assert!(key_range_starts(&unknown, 1).is_empty());
    }

    #[tokio::test]
    async fn key_ranges_cover_every_row_once_whatever_the_ids() {
        let ctx = SessionContext::new();
        let df = ctx
            .sql(
                "SELECT * FROM (VALUES (1, 'D001'), (2, 'D003'), (3, 'D0035'), (4, 'D004'), \
                 (5, 'D007'), (6, 'E'), (7, NULL), (8, ''), (9, 'D003')) AS t(id, document_id)",
            )
            .await
            .unwrap();
        let tables = [table(
            "sales",
            vec![
                file(2, Some(("D001", "D003"))),
                file(2, Some(("D004", "D006"))),
                file(2, Some(("D007", "D009"))),
            ],
        )];
        // 512 bytes: 2 rows a range.
        let splits = Splits {
            limit: MemoryLimit::Finite(512),
            tables: &tables,
        };
        assert_eq!(splits.rows_per_range(), Some(2));
        let (view, _) = KEY_RANGED[0];
        let queries = parts(view, df, &splits).unwrap();
        assert_eq!(queries.len(), 3);
        let mut per_range = Vec::new();
        for q in &queries {
            per_range.push(ids_of(q).await);
        }
        // < D004 (with '' and D0035, between the files' ranges), then
        // [D004, D007), then >= D007 or null.
        assert_eq!(per_range, vec![vec![1, 2, 3, 8, 9], vec![4], vec![5, 6, 7]]);
    }

    #[test]
    fn parts_under_a_limit_grow_with_the_rows_against_the_limit() {
        let gib = 1u64 << 30;
        // 128 bytes a row, rounded up: scale 100's 36M cadastre rows under
        // 4 GiB are two parts; scale 10's 3.6M are one.
        assert_eq!(limited_parts(36_000_000, 4 * gib), 2);
        assert_eq!(limited_parts(3_600_000, 4 * gib), 1);
        assert_eq!(limited_parts(4 * gib / 128, 4 * gib), 1);
        assert_eq!(limited_parts(4 * gib / 128 + 1, 4 * gib), 2);
        // From 1 (no rows) to MAX_PARTS (a tiny limit).
        assert_eq!(limited_parts(0, gib), 1);
        assert_eq!(limited_parts(u64::MAX, 1), MAX_PARTS);
        assert_eq!(limited_parts(10, 0), MAX_PARTS);
    }

    /// The input table `name` with these files.
    fn table(name: &str, files: Vec<InputFile>) -> InputTable {
        let spec = *crate::inputs::TABLES
            .iter()
            .find(|t| t.name == name)
            .unwrap();
        InputTable {
            spec,
            files,
            schema: std::sync::Arc::new(datafusion::arrow::datatypes::Schema::empty()),
            float_columns: Vec::new(),
        }
    }

    #[tokio::test]
    async fn hash_parts_of_client_ids_cover_every_row_once_and_only_under_a_limit() {
        let ctx = SessionContext::new();
        // Last characters: digits, a letter, a non-ASCII letter, an empty
        // id and a null one.
        let df = ctx
            .sql(
                "SELECT * FROM (VALUES (1, 'C1'), (2, 'C2'), (3, 'C3'), (4, 'C10'), \
                 (5, 'CX'), (6, 'CÑ'), (7, ''), (8, NULL), (9, 'C9')) AS t(id, client_id)",
            )
            .await
            .unwrap();
        let (view, sizing, _) = PARTS_UNDER_LIMIT[0];
        assert_eq!((view, sizing), ("int_potential", "cadastre"));
        // (The file is named as a sales file: only its rows count.)
        let tables = [table(sizing, vec![file(1_000, None)])];
        // 1 000 rows × 128 bytes under 64 000 bytes: two parts.
        let limited = Splits {
            limit: MemoryLimit::Finite(64_000),
            tables: &tables,
        };
        let queries = parts(view, df.clone(), &limited).unwrap();
        let mut per_part = Vec::new();
        for q in &queries {
            per_part.push(ids_of(q).await);
        }
        // Part 0: even codes ('2' 50, '0' 48, 'X' 88, 'Ñ' 209 is odd; ''
        // has code 0); part 1: the odd codes and the null.
        assert_eq!(per_part, vec![vec![2, 4, 5, 7], vec![1, 3, 6, 8, 9]]);
        // 16 000 bytes: eight parts, still every row once.
        let smaller = Splits {
            limit: MemoryLimit::Finite(16_000),
            tables: &tables,
        };
        let queries = parts(view, df.clone(), &smaller).unwrap();
        assert_eq!(queries.len(), 8);
        let mut ids = Vec::new();
        for q in &queries {
            ids.extend(ids_of(q).await);
        }
        ids.sort();
        assert_eq!(ids, (1..=9).collect::<Vec<_>>());
        // No limit: one query.
        let unbounded = Splits {
            limit: MemoryLimit::Infinite,
            tables: &tables,
        };
        assert_eq!(parts(view, df, &unbounded).unwrap().len(), 1);
    }
}
