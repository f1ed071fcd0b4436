//! One run, end to end: inputs → checks → SQL views → outputs → publish.
//! Returns a [`RunReport`]; each stage has its own tracing span and timing.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::prelude::{Expr, SessionContext, col};
use futures::{FutureExt, StreamExt};
use object_store::ObjectStoreExt;
use sha2::{Digest, Sha256};
use tracing::{Instrument, info, info_span, warn};

use crate::checkpoints;
use crate::config::{JobConfig, hex};
use crate::error::{Error, InputError, ReadFailure, Result, quoted};
use crate::inputs::{self, InputFile, InputTable, panic_message};
use crate::lease::Clock;
use crate::manifest::{
    self, CampaignRecord, CampaignRule, Counts, InputFileRecord, Manifest, ThresholdRecord,
    UnpricedRecord,
};
use crate::outputs::{MONEY, OUTPUTS, OutputTable};
use crate::params::{self, Params};
use crate::publish::{self, EncodedTable, Outcome, Plan, PublishOptions, Step};
use crate::scratch::Scratch;
use crate::storage::Location;
use crate::views;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub as_of: NaiveDate,
    /// Run every check and computation; publish nothing.
    pub dry_run: bool,
    /// Campaign problems fail the run (exit 3) instead of warning.
    pub strict: bool,
    /// Replace a different snapshot for the same date (the old one is kept).
    pub replace: bool,
    /// The clock the publishing lease reads (tests shift it).
    pub clock: Clock,
    /// Test hook: stop the process at this step of publishing.
    pub pause_at: Option<Step>,
}

impl RunOptions {
    /// A plain run for `as_of`: publishes, not strict, no replace.
    pub fn new(as_of: NaiveDate) -> Self {
        RunOptions {
            as_of,
            dry_run: false,
            strict: false,
            replace: false,
            clock: Clock::System,
            pause_at: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub manifest: Manifest,
    /// `None` for a dry run.
    pub outcome: Option<Outcome>,
    /// For a dry run: what the real run would do.
    pub plan: Option<Plan>,
    pub output_root: String,
}

/// Runs the job for one as-of date, on the roots of the configuration.
pub async fn run(job: &JobConfig, opts: &RunOptions) -> Result<RunReport> {
    let input_root = Location::parse(&job.input_root)?;
    let output_root = Location::parse(&job.output_root)?;
    run_at(job, opts, &input_root, &output_root).await
}

/// Runs the job for one as-of date on given locations (tests wrap the
/// stores to inject faults).
pub async fn run_at(
    job: &JobConfig,
    opts: &RunOptions,
    input_root: &Location,
    output_root: &Location,
) -> Result<RunReport> {
    let snapshot_date = opts.as_of.format("%Y-%m-%d").to_string();
    let span = info_span!("run", snapshot_date = %snapshot_date, dry_run = opts.dry_run);
    let scratch = Scratch::for_engine(&job.engine)?;
    let report = run_inner(job, opts, snapshot_date, input_root, output_root, &scratch)
        .instrument(span)
        .await;
    scratch.remove().await;
    report
}

async fn run_inner(
    job: &JobConfig,
    opts: &RunOptions,
    snapshot_date: String,
    input_root: &Location,
    output_root: &Location,
    scratch: &Scratch,
) -> Result<RunReport> {
    let started = Instant::now();
    let mut timings = BTreeMap::new();

    // Stage 1: find and check the input files; digest them beside the
    // stages that follow.
    let t = Instant::now();
    let (tables, digests) = async {
        let tables = inputs::discover(input_root).await?;
        crate::values::check_table_sizes(&tables)?;
        let digests = InputDigests::start(input_root, &tables);
        info!(
            tables = tables.len(),
            files = tables.iter().map(|t| t.files.len()).sum::<usize>(),
            "inputs checked"
        );
        Ok::<_, Error>((tables, digests))
    }
    .instrument(info_span!("inputs"))
    .await?;
    timings.insert("inputs".to_string(), t.elapsed().as_millis() as u64);
    let mut warnings: Vec<String> = tables
        .iter()
        .flat_map(|t| {
            t.float_columns.iter().map(move |c| {
                format!(
                    "{}.{c} is FLOAT; converted to DECIMAL(38,6), rounded",
                    t.spec.name
                )
            })
        })
        .collect();

    // Stage 2: register tables, parameters and views (computing the
    // checkpoints) after the table-level checks.
    let t = Instant::now();
    let (ctx, checkpoint_timings) = session(
        job,
        &Params::of_job(job, opts.as_of),
        input_root,
        &tables,
        scratch,
    )
    .instrument(info_span!("prepare"))
    .await?;
    timings.insert("prepare".to_string(), t.elapsed().as_millis() as u64);
    timings.extend(checkpoint_timings);

    // Stage 3: compute the output tables, each streamed to its encoder.
    let scope = QueryScope::of(job, input_root, &tables);
    let t = Instant::now();
    let computed = guarded(&scope, compute(&ctx))
        .instrument(info_span!("compute"))
        .await??;
    timings.insert("compute".to_string(), t.elapsed().as_millis() as u64);
    // Stage 4: the encoders finish (each file's bytes depend only on its
    // rows, see encode::RowGroupWriter), while the manifest's small queries
    // run (most of the encoders' wait keeps one core busy).
    let t = Instant::now();
    let finishing = async {
        let mut encoded: Vec<EncodedTable> = Vec::with_capacity(computed.encoders.len());
        for encoder in computed.encoders {
            encoded.push(encoder.finish().await?);
        }
        Ok::<_, Error>((encoded, t.elapsed()))
    };
    let (finished, described) = tokio::join!(finishing, Described::query(&scope, &ctx));
    let (encoded, encoding) = finished?;
    timings.insert("encode".to_string(), encoding.as_millis() as u64);
    // A money figure that cannot be published exactly is null in the views
    // (docs/SEMANTICS.md, "Exact money"): name it and stop.
    if computed.null_money {
        return Err(crate::values::money_error(&ctx, input_root, &tables).await);
    }

    // Stage 5: row-level rejects and campaign problems.
    let counts = counts(&encoded, &computed.kept, &tables)?;
    check_reject_ratio(&counts, job.max_reject_ratio)?;
    let Described {
        rules,
        thresholds,
        unpriced,
        unpriced_by_activity,
    } = described?;
    let campaigns = campaign_records(&computed.kept, &rules)?;
    let notes: Vec<String> = campaigns
        .iter()
        .filter_map(|c| {
            c.status_note
                .as_ref()
                .map(|n| format!("campaign {}: {n}", quoted(&c.campaign_id)))
        })
        .collect();
    for note in &notes {
        warn!(note = %note, "campaign has a problem; it gets 0 members");
    }
    if opts.strict && !notes.is_empty() {
        return Err(InputError::StrictCampaigns { notes }.into());
    }
    warnings.extend(notes);
    let input_records = digests.finish().await?;

    // Stage 6: describe, publish.
    let outputs = publish::records(&encoded, &snapshot_date);
    let config_digest = job.digest();
    let content_digest =
        manifest::content_digest(&snapshot_date, &config_digest, &input_records, &outputs);
    let run_id = content_digest
        .trim_start_matches("sha256:")
        .chars()
        .take(16)
        .collect::<String>();
    let mut manifest = Manifest {
        format_version: manifest::FORMAT_VERSION,
        run_id,
        snapshot_date: snapshot_date.clone(),
        tool: "zafra".to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        config_digest,
        content_digest,
        base_currency: job.base_currency.clone(),
        max_reject_ratio: job.max_reject_ratio,
        inputs: input_records,
        outputs,
        counts,
        thresholds,
        campaigns,
        unpriced_hectares: unpriced,
        unpriced_by_activity,
        warnings,
        replaces: None,
        timings_ms: timings,
    };
    if opts.dry_run {
        manifest
            .timings_ms
            .insert("total".to_string(), started.elapsed().as_millis() as u64);
        let plan = publish::plan(output_root, &manifest, opts.replace)
            .instrument(info_span!("plan"))
            .await?;
        info!(run_id = %manifest.run_id, plan = %plan, "dry run: nothing published");
        return Ok(RunReport {
            manifest,
            outcome: None,
            plan: Some(plan),
            output_root: output_root.display().to_string(),
        });
    }
    let t = Instant::now();
    manifest
        .timings_ms
        .insert("total".to_string(), started.elapsed().as_millis() as u64);
    let publish_options = PublishOptions {
        replace: opts.replace,
        clock: opts.clock,
        pause_at: opts.pause_at,
    };
    let outcome = publish::publish(output_root, &encoded, &mut manifest, &publish_options)
        .instrument(info_span!("publish"))
        .await?;
    manifest
        .timings_ms
        .insert("publish".to_string(), t.elapsed().as_millis() as u64);
    Ok(RunReport {
        manifest,
        outcome: Some(outcome),
        plan: None,
        output_root: output_root.display().to_string(),
    })
}

/// A DataFusion session with the input tables, the run's parameters and
/// every view of `sql/` registered, after the table-level checks (null or
/// duplicate keys, bad seasons: exit 3) passed. Checkpointed views are
/// computed here, into `scratch`. The queries run on `job.engine`.
pub async fn session(
    job: &JobConfig,
    params: &Params<'_>,
    input_root: &Location,
    tables: &[InputTable],
    scratch: &Scratch,
) -> Result<(SessionContext, Vec<(String, u64)>)> {
    let ctx = crate::session::for_engine(
        crate::session::SessionSettings {
            memory_limit: job.memory_limit,
        },
        &job.engine,
    )
    .await?;
    let scope = QueryScope::of(job, input_root, tables);
    inputs::register(&ctx, input_root, tables).await?;
    params::register_params(&ctx, params)?;
    let (checks, rest) = views::split_after(views::job_views()?, "val_table_keys")?;
    views::register_view_list(&ctx, &checks).await?;
    guarded(&scope, check_keys(&ctx))
        .instrument(info_span!("check_keys"))
        .await??;
    let timings = guarded(
        &scope,
        checkpoints::register_views_checkpointed(&ctx, &rest, tables, scratch),
    )
    .instrument(info_span!("checkpoints"))
    .await??;
    Ok((ctx, timings))
}

/// What the manifest reads from the views besides the outputs.
struct Described {
    rules: BTreeMap<String, CampaignRule>,
    thresholds: Vec<ThresholdRecord>,
    unpriced: String,
    unpriced_by_activity: Vec<UnpricedRecord>,
}

impl Described {
    async fn query(scope: &QueryScope<'_>, ctx: &SessionContext) -> Result<Self> {
        Ok(Described {
            rules: guarded(scope, campaign_rules(ctx)).await?,
            thresholds: guarded(scope, thresholds(ctx)).await?,
            unpriced: guarded(scope, unpriced(ctx)).await?,
            unpriced_by_activity: guarded(scope, unpriced_activities(ctx)).await?,
        })
    }
}

/// A spawned task, aborted if dropped before it ends.
struct Aborting<T>(tokio::task::JoinHandle<T>);

impl<T> Aborting<T> {
    /// Its result; a panic in the task continues here. `what` names the
    /// task in the error of one cancelled from outside.
    async fn join(mut self, what: &str) -> Result<T> {
        match (&mut self.0).await {
            Ok(value) => Ok(value),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Error::internal(format!("{what}: {e}"))),
        }
    }
}

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// SHA-256, size and rows of every input file, computed on a task of its
/// own beside the queries: only the manifest needs them (at scale 10 the
/// stage held the queries back 0.2-0.4 s with one of two cores busy).
/// Dropped before it is awaited (the run stopped), it is aborted, and so
/// are the files' tasks in flight.
struct InputDigests(Aborting<Result<Vec<InputFileRecord>>>);

impl InputDigests {
    /// Starts hashing two files at a time, each on a task of its own, so
    /// the two are read and hashed on both cores. The records keep the
    /// files' order.
    fn start(root: &Location, tables: &[InputTable]) -> Self {
        let store = Arc::clone(root.store());
        let files: Vec<(InputFileRecord, object_store::path::Path, String)> = tables
            .iter()
            .flat_map(|table| {
                table.files.iter().map(move |file| {
                    let record = InputFileRecord {
                        table: table.spec.name.to_string(),
                        path: root.relative(&file.path),
                        size: file.size,
                        rows: file.rows,
                        sha256: String::new(),
                    };
                    (record, file.path.clone(), file.name.clone())
                })
            })
            .collect();
        InputDigests(Aborting(tokio::spawn(async move {
            futures::stream::iter(files)
                .map(|(mut record, path, name)| {
                    let hashed = Aborting(tokio::spawn(file_sha256(
                        Arc::clone(&store),
                        path,
                        name,
                        record.size,
                    )));
                    async move {
                        record.sha256 =
                            hashed.join(&format!("digesting {}", record.path)).await??;
                        Ok(record)
                    }
                })
                .buffered(2)
                .collect::<Vec<Result<_>>>()
                .await
                .into_iter()
                .collect()
        })))
    }

    /// The records, once every file is hashed.
    async fn finish(self) -> Result<Vec<InputFileRecord>> {
        self.0.join("digesting the inputs").await?
    }
}

/// How many bytes of an input file are read (and hashed) at a time.
const DIGEST_CHUNK: u64 = 8 << 20;

/// `sha256:<hex>` of one file's `size` bytes (the size found when the
/// inputs were listed, which is also what the reader reads), read in ranges
/// of `DIGEST_CHUNK` bytes: one request per 8 MiB on a remote store, one
/// read per 8 MiB on a local disk (a stream of the whole file reads a local
/// one in 8 KiB pieces, each waking a thread: most of this stage's time at
/// scale 10, BENCHMARKS.md).
async fn file_sha256(
    store: Arc<dyn object_store::ObjectStore>,
    path: object_store::path::Path,
    name: String,
    size: u64,
) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut start = 0;
    while start < size {
        let end = size.min(start + DIGEST_CHUNK);
        let chunk = store
            .get_range(&path, start..end)
            .await
            .map_err(|e| Error::storage(format!("reading {name}"), e))?;
        hasher.update(&chunk);
        start = end;
    }
    Ok(format!("sha256:{}", hex(&hasher.finalize())))
}

/// What a failed query is judged against: the input tables (to name a file
/// the reader cannot read) and, on a cluster, its scheduler.
pub(crate) struct QueryScope<'a> {
    root: &'a Location,
    tables: &'a [InputTable],
    cluster: Option<&'a str>,
}

impl<'a> QueryScope<'a> {
    pub(crate) fn of(job: &'a JobConfig, root: &'a Location, tables: &'a [InputTable]) -> Self {
        let cluster = match &job.engine {
            crate::config::Engine::Local => None,
            crate::config::Engine::Cluster(c) => Some(c.scheduler.as_str()),
        };
        QueryScope {
            root,
            tables,
            cluster,
        }
    }
}

/// Runs a query stage; a data error or a reader panic is turned into an
/// input error naming the file that cannot be read, if one can be found.
pub(crate) async fn guarded<T>(
    scope: &QueryScope<'_>,
    stage: impl std::future::Future<Output = Result<T, DataFusionError>>,
) -> Result<T> {
    let (root, tables) = (scope.root, scope.tables);
    match AssertUnwindSafe(stage).catch_unwind().await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(match scope.cluster {
            None => classify(root, tables, e).await,
            Some(scheduler) => classify_cluster(root, tables, scheduler, e).await,
        }),
        Err(panic) => {
            let message = panic_message(&panic);
            match find_unreadable_file(root, tables).await {
                Some(error) => Err(error),
                None => Err(Error::internal(format!("a query panicked: {message}"))),
            }
        }
    }
}

async fn classify(root: &Location, tables: &[InputTable], e: DataFusionError) -> Error {
    let root_cause = e.find_root();
    let is_data = match root_cause {
        DataFusionError::ObjectStore(_) => false,
        DataFusionError::ParquetError(_) | DataFusionError::ArrowError(_, _) => true,
        DataFusionError::External(inner) => inner
            .downcast_ref::<parquet::errors::ParquetError>()
            .is_some(),
        _ => false,
    };
    if matches!(root_cause, DataFusionError::ResourcesExhausted(_)) {
        return Error::MemoryExhausted { source: e };
    }
    if matches!(root_cause, DataFusionError::ObjectStore(_)) {
        return Error::InputStorage { source: e };
    }
    if is_data {
        return data_error(root, tables, e).await;
    }
    Error::internal_from("running the SQL views", e)
}

/// A failure of a query run on the cluster. The executors' errors arrive
/// as text ("Job … failed: …"), so they are judged by what they say: a
/// Parquet or Arrow error is the input data's (the file is then found and
/// named here, as on the embedded engine: exit 3); an error raised on this
/// side is classified as on the embedded engine; anything else (the
/// scheduler unreachable, an executor lost, a failed job) is the cluster's
/// (exit 5: run again once the cluster is healthy).
async fn classify_cluster(
    root: &Location,
    tables: &[InputTable],
    scheduler: &str,
    e: DataFusionError,
) -> Error {
    if !matches!(e.find_root(), DataFusionError::Execution(_)) {
        return classify(root, tables, e).await;
    }
    let said = e.to_string().to_lowercase();
    let says = |words: &[&str]| words.iter().any(|w| said.contains(w));
    if says(&["parquet error", "parqueterror", "arrow error", "arrowerror"]) {
        return data_error(root, tables, e).await;
    }
    if says(&["resources exhausted"]) {
        return Error::MemoryExhausted { source: e };
    }
    Error::Cluster {
        scheduler: scheduler.to_string(),
        context: "running the SQL views".to_string(),
        source: e,
    }
}

/// A query could not read a value: names the file or value at fault.
async fn data_error(root: &Location, tables: &[InputTable], e: DataFusionError) -> Error {
    if let Some(error) = find_unreadable_file(root, tables).await {
        return error;
    }
    if let Some(error) = crate::values::find_bad_value(root, tables).await {
        return error;
    }
    InputError::Data {
        detail: "the query engine could not read a value".to_string(),
        source: Some(Box::new(e)),
    }
    .into()
}

/// Decodes every input file in full, one at a time, to name the first one
/// the Parquet reader cannot read (or panics on).
async fn find_unreadable_file(root: &Location, tables: &[InputTable]) -> Option<Error> {
    for table in tables {
        for file in &table.files {
            let cause = match decode(root, file, None).await {
                Ok(()) => continue,
                Err(ReadFailure::Parquet(e)) if is_not_utf8(&e) => {
                    if let Some(column) = column_not_utf8(root, table, file).await {
                        return Some(
                            InputError::NotUtf8 {
                                table: table.spec.name.to_string(),
                                file: file.name.clone(),
                                column,
                                cause: e,
                            }
                            .into(),
                        );
                    }
                    ReadFailure::Parquet(e)
                }
                Err(cause) => cause,
            };
            return Some(
                InputError::CorruptFile {
                    table: table.spec.name.to_string(),
                    file: file.name.clone(),
                    cause,
                }
                .into(),
            );
        }
    }
    None
}

/// Decodes `file` in full, or only `column` of it, with the Parquet
/// reader's own types; a panic of the reader is caught as a failure.
async fn decode(
    root: &Location,
    file: &InputFile,
    column: Option<&str>,
) -> std::result::Result<(), ReadFailure> {
    #[allow(deprecated)]
    use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
    #[allow(deprecated)]
    let reader = ParquetObjectReader::new(Arc::clone(root.store()), file.path.clone())
        .with_file_size(file.size);
    let outcome = AssertUnwindSafe(async move {
        let mut builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
        if let Some(column) = column {
            let mask = parquet::arrow::ProjectionMask::columns(builder.parquet_schema(), [column]);
            builder = builder.with_projection(mask);
        }
        let mut stream = builder.build()?;
        while let Some(batch) = stream.next().await {
            batch?;
        }
        Ok::<_, parquet::errors::ParquetError>(())
    })
    .catch_unwind()
    .await;
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ReadFailure::Parquet(e)),
        Err(panic) => Err(ReadFailure::Panic(panic_message(&panic))),
    }
}

/// Whether the Parquet reader failed on text that is not UTF-8.
fn is_not_utf8(e: &parquet::errors::ParquetError) -> bool {
    e.to_string().contains("non UTF-8")
}

/// The first of `table`'s columns (in the contract's order) whose text the
/// Parquet reader rejects as not UTF-8, each column decoded alone. The row
/// is not found this way: the reader rejects a whole page or dictionary.
async fn column_not_utf8(root: &Location, table: &InputTable, file: &InputFile) -> Option<String> {
    for column in table.spec.columns {
        if matches!(decode(root, file, Some(column.name)).await, Err(ReadFailure::Parquet(e)) if is_not_utf8(&e))
        {
            return Some(column.name.to_string());
        }
    }
    None
}

/// Table-level problems that stop the run: null or duplicate keys of
/// clients, seasons, campaigns; bad season dates.
async fn check_keys(ctx: &SessionContext) -> Result<Result<(), InputError>, DataFusionError> {
    let batches = ctx
        .table("val_table_keys")
        .await?
        .sort(vec![
            col("table_name").sort(true, false),
            col("problem").sort(true, false),
            col("key_value").sort(true, false),
        ])?
        .collect()
        .await?;
    let mut problems: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for batch in &batches {
        let tables = strings(batch, "table_name");
        let kinds = strings(batch, "problem");
        let keys = strings(batch, "key_value");
        for i in 0..batch.num_rows() {
            let entry = problems
                .entry((
                    tables[i].clone().unwrap_or_default(),
                    kinds[i].clone().unwrap_or_default(),
                ))
                .or_default();
            if entry.len() < 10 {
                entry.push(quoted(keys[i].as_deref().unwrap_or("<null>")));
            }
        }
    }
    match problems.into_iter().next() {
        None => Ok(Ok(())),
        Some(((table, problem), keys)) => Ok(Err(InputError::KeyProblems {
            table,
            problem,
            keys,
        })),
    }
}

/// The output tables, computed: each one's file being encoded, and the rows
/// of the tables the manifest reads ([`KEPT`]).
struct Computed {
    /// One per table, in [`OUTPUTS`] order.
    encoders: Vec<publish::Encoder>,
    kept: BTreeMap<&'static str, Vec<RecordBatch>>,
    /// Whether a money value that must not be null is null: the views leave
    /// a figure null when it cannot be published exactly (`check_money`).
    null_money: bool,
}

/// The outputs whose rows the manifest reads (counts, campaign problems),
/// with the columns it reads: only these are kept. The others' rows go to
/// their encoders only.
const KEPT: &[(&str, &[&str])] = &[
    ("client_segments", &["season_id", "segment"]),
    ("rejects", &["table_name", "reason"]),
    (
        "campaign_summary",
        &[
            "campaign_id",
            "season_id",
            "label",
            "status_note",
            "members",
        ],
    ),
];

/// Computes the output tables, sorted, in [`OUTPUTS`] order, streaming each
/// table's rows to its encoder as they come.
async fn compute(ctx: &SessionContext) -> Result<Result<Computed, Error>, DataFusionError> {
    use futures::StreamExt;
    let mut computed = Computed {
        encoders: Vec::new(),
        kept: BTreeMap::new(),
        null_money: false,
    };
    for spec in OUTPUTS {
        let t = Instant::now();
        let queries = sorted_queries(ctx, spec, rows_per_range(ctx)).await?;
        let ranges = queries.len();
        let encoder = match publish::Encoder::start(spec.name, spec.schema()) {
            Ok(e) => e,
            Err(e) => return Ok(Err(e)),
        };
        let keep = match KEPT.iter().find(|(name, _)| *name == spec.name) {
            None => None,
            Some((_, columns)) => match columns
                .iter()
                .map(|c| spec.schema().index_of(c))
                .collect::<std::result::Result<Vec<_>, _>>()
            {
                Ok(indices) => Some(indices),
                Err(e) => {
                    return Ok(Err(Error::internal_from(
                        format!("keeping `{}`", spec.name),
                        e,
                    )));
                }
            },
        };
        let mut kept = Vec::new();
        let mut rows = 0usize;
        let mut encoding = true;
        for (range, df) in queries.into_iter().enumerate() {
            if !encoding {
                break;
            }
            let task = Arc::new(df.task_ctx());
            let plan = df.create_physical_plan().await?;
            let mut stream = datafusion::physical_plan::execute_stream(Arc::clone(&plan), task)?;
            let range_rows = rows;
            while let Some(batch) = stream.next().await {
                let batch = match conform(spec, batch?) {
                    Ok(b) => b,
                    Err(e) => return Ok(Err(e)),
                };
                rows += batch.num_rows();
                computed.null_money |= has_null_money(spec, &batch);
                if let Some(indices) = &keep {
                    match batch.project(indices) {
                        Ok(columns) => kept.push(columns),
                        Err(e) => {
                            return Ok(Err(Error::internal_from(
                                format!("keeping `{}`", spec.name),
                                e,
                            )));
                        }
                    }
                }
                if !encoder.push(batch).await {
                    encoding = false;
                    break;
                }
            }
            checkpoints::log_plan(spec.name, plan.as_ref());
            tracing::debug!(
                table = spec.name,
                range,
                ranges,
                rows = rows - range_rows,
                "range computed"
            );
        }
        info!(
            table = spec.name,
            rows,
            ms = t.elapsed().as_millis() as u64,
            "computed"
        );
        if keep.is_some() {
            computed.kept.insert(spec.name, kept);
        }
        computed.encoders.push(encoder);
    }
    Ok(Ok(computed))
}

/// Bytes of the memory limit counted per row of a sort range. The rows of
/// a 45M-row `memberships` spilled as 3.4 GB (about 75 bytes a row), and
/// an in-memory sort holds its input and its sorted copy, split over the
/// pool's shares of its partitions. Measured at scale 100 under 4 GiB
/// (BENCHMARKS.md, "Sorted outputs in ranges"): `memberships` took 25.7 s
/// at 256 bytes and 25.5 s at 512, against 30.7 s in one sort that spills;
/// at 1024 bytes (10 ranges) 30.2 s, as each range reads the checkpoint
/// again (about 1.7 s).
const BYTES_PER_SORTED_ROW: u64 = 256;

/// The most rows one sort of an [`OutputTable::in_ranges`] table may hold:
/// none (one sort) with no memory limit.
fn rows_per_range(ctx: &SessionContext) -> Option<u64> {
    match ctx.runtime_env().memory_pool.memory_limit() {
        datafusion::execution::memory_pool::MemoryLimit::Finite(bytes) => {
            Some((bytes as u64 / BYTES_PER_SORTED_ROW).max(1))
        }
        _ => None,
    }
}

/// The sorted queries whose rows, one query after the other, are `spec`'s
/// rows in its order. One query, unless `spec` is [`OutputTable::in_ranges`]
/// and `rows_per_range` is set: then its first sort column's values are
/// counted, and each query is one range of them (see [`range_starts`]).
/// The ranges are conditions on the column alone (`< b1`, `>= b1 AND < b2`,
/// …, `>= bk OR IS NULL`), so they cover every row whatever its value, and
/// since nulls sort last and the sort keys are unique the concatenation is
/// the one sort's rows, byte for byte.
async fn sorted_queries(
    ctx: &SessionContext,
    spec: &OutputTable,
    rows_per_range: Option<u64>,
) -> std::result::Result<Vec<datafusion::prelude::DataFrame>, DataFusionError> {
    use datafusion::functions_aggregate::expr_fn::count;
    use datafusion::prelude::lit;
    let columns: Vec<_> = spec.columns.iter().map(|(c, _)| col(*c)).collect();
    let sort: Vec<_> = spec
        .sort
        .iter()
        .map(|c| col(*c).sort(true, false))
        .collect();
    let (Some(budget), Some(first), true) = (rows_per_range, spec.sort.first(), spec.in_ranges)
    else {
        let rows = ctx.table(spec.name).await?.select(columns)?;
        return Ok(vec![rows.sort(sort)?]);
    };
    // Each range reads the whole checkpoint and keeps its share (the rows
    // are in no order of the column): its condition is applied in the
    // Parquet scan, which decodes the other columns only for the rows it
    // keeps, instead of in a filter over every row decoded.
    let rows = filtering_scans(ctx)
        .table(spec.name)
        .await?
        .select(columns)?;
    let counted = rows
        .clone()
        .aggregate(vec![col(*first)], vec![count(lit(1)).alias("n")])?
        .sort(vec![col(*first).sort(true, false)])?
        .collect()
        .await?;
    let mut values = Vec::new();
    for batch in &counted {
        let Some(counts) = batch
            .column(1)
            .as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>()
        else {
            return Err(DataFusionError::Internal(format!(
                "counting `{}` by {first}: the count is {}, not Int64",
                spec.name,
                batch.column(1).data_type()
            )));
        };
        for i in 0..batch.num_rows() {
            let value = datafusion::scalar::ScalarValue::try_from_array(batch.column(0), i)?;
            // Nulls sort last: their rows are in the last range, whatever
            // its start.
            if value.is_null() {
                continue;
            }
            values.push((value, u64::try_from(counts.value(i)).unwrap_or(0)));
        }
    }
    let starts = range_starts(&values, budget);
    let mut queries = Vec::with_capacity(starts.len() + 1);
    for condition in range_conditions(&col(*first), &starts) {
        let range = match condition {
            Some(condition) => rows.clone().filter(condition)?,
            None => rows.clone(),
        };
        queries.push(range.sort(sort.clone())?);
    }
    Ok(queries)
}

/// A context sharing `ctx`'s tables and memory pool whose Parquet scans
/// apply a query's filters while decoding (`pushdown_filters`, off in the
/// session, see [`crate::session::config`]): the filter's columns are
/// decoded first, and the others only for the rows that pass. At scale 100
/// under 4 GiB the ranges of `memberships` and `client_segments` lost their
/// filters' 9.7 s of CPU, and the outputs' stage took 134 s against 149 s
/// (BENCHMARKS.md, "Filters in the scans of the sorted ranges").
fn filtering_scans(ctx: &SessionContext) -> SessionContext {
    let mut state = ctx.state();
    state
        .config_mut()
        .options_mut()
        .execution
        .parquet
        .pushdown_filters = true;
    SessionContext::new_with_state(state)
}

/// The conditions on `key` of the ranges starting at `starts` (ascending):
/// `< b1`, `>= b1 AND < b2`, …, `>= bk OR IS NULL`; one range with no
/// condition (`None`) when `starts` is empty. They cover every row once,
/// whatever its value: the ranges are disjoint, and a null is in the last.
pub(crate) fn range_conditions<T>(key: &Expr, starts: &[T]) -> Vec<Option<Expr>>
where
    T: datafusion::logical_expr::Literal + Clone,
{
    use datafusion::prelude::lit;
    (0..=starts.len())
        .map(|k| {
            let from = k
                .checked_sub(1)
                .map(|j| key.clone().gt_eq(lit(starts[j].clone())));
            let to = starts.get(k).map(|b| key.clone().lt(lit(b.clone())));
            match (from, to) {
                (None, None) => None,
                (None, Some(to)) => Some(to),
                (Some(from), Some(to)) => Some(from.and(to)),
                (Some(from), None) => Some(from.or(key.clone().is_null())),
            }
        })
        .collect()
}

/// Where the ranges of a sorted column start, from its values and their row
/// counts in ascending order (nulls last): a value starts a new range when
/// adding its rows to the current range would pass `budget` rows. A value
/// is never split, so a range passes the budget only when one value alone
/// does. The first range starts at the smallest value (no bound); the
/// result holds the starts of the others.
pub(crate) fn range_starts<T: Clone>(values: &[(T, u64)], budget: u64) -> Vec<T> {
    let mut starts = Vec::new();
    let mut current = 0u64;
    for (value, rows) in values {
        if current > 0 && current.saturating_add(*rows) > budget {
            starts.push(value.clone());
            current = 0;
        }
        current = current.saturating_add(*rows);
    }
    starts
}

/// Checks each batch has the exact output types (string encodings are
/// normalised to Utf8; anything else differing is a bug) and that every
/// money value fits DECIMAL(38,2).
fn conform(spec: &OutputTable, batch: RecordBatch) -> Result<RecordBatch> {
    let schema = spec.schema();
    let mut columns = Vec::with_capacity(batch.num_columns());
    for ((name, expected), array) in spec.columns.iter().zip(batch.columns()) {
        let found = array.data_type();
        let array = if found == expected {
            Arc::clone(array)
        } else if matches!(expected, DataType::Utf8)
            && matches!(found, DataType::Utf8View | DataType::LargeUtf8)
        {
            datafusion::arrow::compute::cast(array, expected)
                .map_err(|e| Error::internal_from(format!("casting {}.{name}", spec.name), e))?
        } else {
            return Err(Error::internal(format!(
                "{}.{name} has type {found}, expected {expected}",
                spec.name
            )));
        };
        if let DataType::Decimal128(precision, _) = expected {
            let money = array.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
            money
                .validate_decimal_precision(*precision)
                .map_err(|e| InputError::Data {
                    detail: format!(
                        "{}.{name} exceeds DECIMAL(38,2) (sums too large for exact money)",
                        spec.name
                    ),
                    source: Some(Box::new(e)),
                })?;
        }
        columns.push(array);
    }
    RecordBatch::try_new(Arc::clone(&schema), columns)
        .map_err(|e| Error::internal_from(format!("building {}", spec.name), e))
}

/// Whether a money value of this batch of `spec` is null where it must not be.
fn has_null_money(spec: &OutputTable, batch: &RecordBatch) -> bool {
    spec.columns.iter().enumerate().any(|(i, (name, t))| {
        *t == MONEY
            && !spec.nullable_money.contains(name)
            && batch.columns().get(i).is_some_and(|c| c.null_count() > 0)
    })
}

/// Reads a string column of a batch (Utf8 after [`conform`]); all null if
/// the batch has no such column or it does not cast to text.
pub(crate) fn strings(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let Some(array) = texts(batch, column) else {
        return vec![None; batch.num_rows()];
    };
    let array = array.as_string::<i32>();
    (0..array.len())
        .map(|i| (!array.is_null(i)).then(|| array.value(i).to_string()))
        .collect()
}

/// The rows of a table in [`KEPT`].
fn output<'a>(
    kept: &'a BTreeMap<&'static str, Vec<RecordBatch>>,
    name: &str,
) -> Result<&'a [RecordBatch]> {
    kept.get(name)
        .map(|v| v.as_slice())
        .ok_or_else(|| Error::internal(format!("output `{name}` not kept")))
}

/// Rows per table, clients per segment per season, rejects per table and reason.
fn counts(
    encoded: &[EncodedTable],
    kept: &BTreeMap<&'static str, Vec<RecordBatch>>,
    tables: &[InputTable],
) -> Result<Counts> {
    let mut counts = Counts::default();
    for table in encoded {
        counts.tables.insert(table.table.to_string(), table.rows);
    }
    counts.segments = pair_counts(output(kept, "client_segments")?, "season_id", "segment");
    for name in ["cadastre", "sales", "potential_rates", "fx_rates"] {
        let rows = tables
            .iter()
            .find(|t| t.spec.name == name)
            .map(|t| t.rows())
            .unwrap_or(0);
        counts.input_rows.insert(name.to_string(), rows);
        counts.rejected_rows.insert(name.to_string(), 0);
    }
    counts.reject_reasons = pair_counts(output(kept, "rejects")?, "table_name", "reason");
    for (table, reasons) in &counts.reject_reasons {
        *counts.rejected_rows.entry(table.clone()).or_default() += reasons.values().sum::<u64>();
    }
    Ok(counts)
}

/// How many rows of `batches` hold each pair of values of columns `a` and
/// `b` (a null or missing value counts as ""). The pairs of a batch are
/// counted by reference first: a run counts 1.9M client rows, which as one
/// `String` pair each took 0.2-0.3 s at scale 10.
fn pair_counts(
    batches: &[RecordBatch],
    a: &str,
    b: &str,
) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for batch in batches {
        let (left, right) = (texts(batch, a), texts(batch, b));
        let (left, right) = (
            left.as_ref().map(|c| c.as_string::<i32>()),
            right.as_ref().map(|c| c.as_string::<i32>()),
        );
        let mut pairs: std::collections::HashMap<(&str, &str), u64> = Default::default();
        for i in 0..batch.num_rows() {
            *pairs.entry((value(left, i), value(right, i))).or_default() += 1;
        }
        for ((x, y), n) in pairs {
            *counts
                .entry(x.to_string())
                .or_default()
                .entry(y.to_string())
                .or_default() += n;
        }
    }
    counts
}

/// Row `i` of a text column ("" if null or missing).
fn value(column: Option<&StringArray>, i: usize) -> &str {
    column.filter(|c| c.is_valid(i)).map_or("", |c| c.value(i))
}

/// A column of `batch` as `Utf8`, if it has it and it casts.
fn texts(batch: &RecordBatch, column: &str) -> Option<datafusion::arrow::array::ArrayRef> {
    batch
        .column_by_name(column)
        .and_then(|array| datafusion::arrow::compute::cast(array, &DataType::Utf8).ok())
}

fn check_reject_ratio(counts: &Counts, max_ratio: f64) -> Result<()> {
    for (table, &rejected) in &counts.rejected_rows {
        let total = counts.input_rows.get(table).copied().unwrap_or(0);
        if rejected > 0 {
            let reasons = counts
                .reject_reasons
                .get(table)
                .map(|r| {
                    r.iter()
                        .map(|(reason, n)| format!("{reason}: {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            warn!(table = %table, rejected, total, reasons = %reasons, "rows rejected");
        }
        // rejected / total > ratio, in integers-and-floats that cannot round the wrong way
        // for realistic sizes: compare rejected > ratio * total.
        if total > 0 && (rejected as f64) > max_ratio * (total as f64) {
            return Err(InputError::TooManyRejects {
                table: table.clone(),
                rejected,
                total,
                ratio: max_ratio,
            }
            .into());
        }
    }
    Ok(())
}

/// Each active campaign's rule, by campaign id.
async fn campaign_rules(
    ctx: &SessionContext,
) -> Result<BTreeMap<String, CampaignRule>, DataFusionError> {
    use datafusion::prelude::cast;
    let text = |c: &str| cast(col(c), DataType::Utf8).alias(c);
    let batches = ctx
        .table("int_active_campaigns")
        .await?
        .select(vec![
            col("campaign_id"),
            col("season_id"),
            text("by_potential"),
            text("potential_min"),
            text("potential_max"),
            text("by_billing"),
            text("billing_min"),
            text("billing_max"),
        ])?
        .collect()
        .await?;
    let mut rules = BTreeMap::new();
    for batch in &batches {
        let column = |c: &str| strings(batch, c);
        let (ids, seasons) = (column("campaign_id"), column("season_id"));
        let (bp, pmin, pmax) = (
            column("by_potential"),
            column("potential_min"),
            column("potential_max"),
        );
        let (bb, bmin, bmax) = (
            column("by_billing"),
            column("billing_min"),
            column("billing_max"),
        );
        let norm = |v: &Option<String>| v.as_deref().map(manifest::normalise_decimal);
        for i in 0..batch.num_rows() {
            rules.insert(
                ids[i].clone().unwrap_or_default(),
                CampaignRule {
                    season_id: seasons[i].clone(),
                    by_potential: bp[i].as_deref() == Some("true"),
                    potential_min: norm(&pmin[i]),
                    potential_max: norm(&pmax[i]),
                    by_billing: bb[i].as_deref() == Some("true"),
                    billing_min: norm(&bmin[i]),
                    billing_max: norm(&bmax[i]),
                },
            );
        }
    }
    Ok(rules)
}

fn campaign_records(
    kept: &BTreeMap<&'static str, Vec<RecordBatch>>,
    rules: &BTreeMap<String, CampaignRule>,
) -> Result<Vec<CampaignRecord>> {
    let mut records = Vec::new();
    for batch in output(kept, "campaign_summary")? {
        let ids = strings(batch, "campaign_id");
        let seasons = strings(batch, "season_id");
        let labels = strings(batch, "label");
        let notes = strings(batch, "status_note");
        let members = batch
            .column_by_name("members")
            .ok_or_else(|| Error::internal("campaign_summary.members missing"))?
            .as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>()
            .ok_or_else(|| Error::internal("campaign_summary.members is not INT64"))?
            .clone();
        for i in 0..batch.num_rows() {
            let campaign_id = ids[i].clone().unwrap_or_default();
            let rule = rules.get(&campaign_id).cloned().ok_or_else(|| {
                Error::internal(format!("no rule for campaign {}", quoted(&campaign_id)))
            })?;
            records.push(CampaignRecord {
                rule_digest: rule.digest(),
                rule,
                campaign_id,
                season_id: seasons[i].clone(),
                label: labels[i].clone(),
                members: members.value(i),
                status_note: notes[i].clone(),
            });
        }
    }
    Ok(records)
}

async fn thresholds(ctx: &SessionContext) -> Result<Vec<ThresholdRecord>, DataFusionError> {
    let batches = ctx
        .table("int_thresholds")
        .await?
        .select(vec![
            col("season_id"),
            datafusion::prelude::cast(col("high_potential"), DataType::Utf8)
                .alias("high_potential"),
            col("high_potential_source"),
            datafusion::prelude::cast(col("high_billing"), DataType::Utf8).alias("high_billing"),
            col("high_billing_source"),
        ])?
        .sort(vec![col("season_id").sort(true, false)])?
        .collect()
        .await?;
    let mut records = Vec::new();
    for batch in &batches {
        let s = strings(batch, "season_id");
        let hp = strings(batch, "high_potential");
        let hps = strings(batch, "high_potential_source");
        let hb = strings(batch, "high_billing");
        let hbs = strings(batch, "high_billing_source");
        for i in 0..batch.num_rows() {
            records.push(ThresholdRecord {
                season_id: s[i].clone().unwrap_or_default(),
                high_potential: hp[i].clone().unwrap_or_default(),
                high_potential_source: hps[i].clone().unwrap_or_default(),
                high_billing: hb[i].clone().unwrap_or_default(),
                high_billing_source: hbs[i].clone().unwrap_or_default(),
            });
        }
    }
    Ok(records)
}

async fn unpriced_activities(ctx: &SessionContext) -> Result<Vec<UnpricedRecord>, DataFusionError> {
    let batches = ctx
        .table("report_unpriced_activities")
        .await?
        .select(vec![
            col("season_id"),
            col("activity"),
            col("hectares"),
            col("clients"),
        ])?
        .sort(vec![
            col("season_id").sort(true, false),
            col("activity").sort(true, false),
        ])?
        .collect()
        .await?;
    let mut records = Vec::new();
    for batch in &batches {
        let season = strings(batch, "season_id");
        let activity = strings(batch, "activity");
        let hectares = strings(batch, "hectares");
        // COUNT(DISTINCT …): an INT64 that is never null.
        let clients = batch
            .column_by_name("clients")
            .and_then(|c| c.as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>())
            .ok_or_else(|| {
                DataFusionError::Internal(
                    "report_unpriced_activities.clients is not INT64".to_string(),
                )
            })?;
        for i in 0..batch.num_rows() {
            records.push(UnpricedRecord {
                season_id: season[i].clone().unwrap_or_default(),
                activity: activity[i].clone().unwrap_or_default(),
                hectares: hectares[i].clone().unwrap_or_default(),
                clients: clients.value(i),
            });
        }
    }
    Ok(records)
}

async fn unpriced(ctx: &SessionContext) -> Result<String, DataFusionError> {
    let batches = ctx.table("report_unpriced").await?.collect().await?;
    Ok(batches
        .first()
        .and_then(|b| strings(b, "unpriced_ha").into_iter().next().flatten())
        .unwrap_or_else(|| "0".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};

    /// A task whose guard is dropped is aborted: its future is dropped, and
    /// with it what it holds (here the sender of a channel).
    #[tokio::test]
    async fn a_dropped_aborting_task_is_aborted() {
        let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
        let task = Aborting(tokio::spawn(async move {
            let _held = sender;
            std::future::pending::<()>().await
        }));
        drop(task);
        let received = tokio::time::timeout(std::time::Duration::from_secs(10), receiver).await;
        assert!(
            matches!(received, Ok(Err(_))),
            "the task still holds the sender: {received:?}"
        );
    }

    /// A task that ends gives its value through `join`.
    #[tokio::test]
    async fn an_aborting_task_that_ends_gives_its_value() {
        let task = Aborting(tokio::spawn(async { 7 }));
        assert_eq!(task.join("seven").await.ok(), Some(7));
    }

    /// A context whose `memberships` has 9 rows over campaigns K1 (3 rows),
    /// K10 (1), K2 (2), K3 (1) and null (2), in no order.
    async fn memberships_of_nine() -> SessionContext {
        let ctx = SessionContext::new();
        let df = ctx
            .sql(
                "SELECT campaign_id, client_id, 'S1' AS season_id, \
                 CAST(1 AS DECIMAL(38, 2)) AS potential, CAST(2 AS DECIMAL(38, 2)) AS billing, \
                 'RETENCION' AS segment \
                 FROM (VALUES ('K2', 'C9'), ('K1', 'C3'), (NULL, 'C1'), ('K3', 'C2'), \
                 ('K1', 'C1'), ('K2', 'C1'), ('K10', 'C5'), (NULL, 'C0'), ('K1', 'C2')) \
                 AS t(campaign_id, client_id)",
            )
            .await
            .unwrap();
        ctx.register_table("memberships", df.into_view()).unwrap();
        ctx
    }

    /// Each query's rows, then all of them as one table.
    async fn rows_of(queries: Vec<datafusion::prelude::DataFrame>) -> (Vec<usize>, String) {
        let mut counts = Vec::new();
        let mut all = Vec::new();
        for df in queries {
            let batches = df.collect().await.unwrap();
            counts.push(batches.iter().map(|b| b.num_rows()).sum());
            all.extend(batches);
        }
        let table = datafusion::arrow::util::pretty::pretty_format_batches(&all)
            .unwrap()
            .to_string();
        (counts, table)
    }

    #[tokio::test]
    async fn an_output_sorted_in_ranges_has_the_one_sorts_rows_in_order() {
        let ctx = memberships_of_nine().await;
        let spec = OUTPUTS.iter().find(|s| s.name == "memberships").unwrap();
        assert!(spec.in_ranges);
        let (counts, one) = rows_of(sorted_queries(&ctx, spec, None).await.unwrap()).await;
        assert_eq!(counts, vec![9]);
        // Byte order: K1 < K10 < K2 < K3, then the nulls.
        let order: Vec<&str> = one.lines().filter_map(|l| l.split('|').nth(1)).collect();
        assert_eq!(
            order.iter().map(|s| s.trim()).collect::<Vec<_>>(),
            vec![
                "campaign_id",
                "K1",
                "K1",
                "K1",
                "K10",
                "K2",
                "K2",
                "K3",
                "",
                ""
            ]
        );
        for (budget, expected) in [
            (1, vec![3, 1, 2, 3]),
            (3, vec![3, 3, 3]),
            (4, vec![4, 5]),
            (5, vec![4, 5]),
            (7, vec![9]),
            (100, vec![9]),
        ] {
            let queries = sorted_queries(&ctx, spec, Some(budget)).await.unwrap();
            let (counts, table) = rows_of(queries).await;
            assert_eq!(counts, expected, "budget {budget}");
            assert_eq!(table, one, "budget {budget}");
        }
    }

    /// The ranges of an output read from Parquet (as a checkpoint is) have
    /// the one sort's rows, and each range's condition is applied in its
    /// scan: no filter over the decoded rows is left in the plan.
    #[tokio::test]
    async fn the_ranges_of_a_parquet_output_filter_in_the_scan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memberships.parquet");
        let nine = memberships_of_nine().await;
        nine.table("memberships")
            .await
            .unwrap()
            .write_parquet(
                path.to_str().unwrap(),
                datafusion::dataframe::DataFrameWriteOptions::new().with_single_file_output(true),
                None,
            )
            .await
            .unwrap();
        let ctx = SessionContext::new_with_config(crate::session::config(
            crate::session::SessionSettings { memory_limit: None },
        ));
        ctx.register_parquet(
            "memberships",
            path.to_str().unwrap(),
            datafusion::prelude::ParquetReadOptions::default(),
        )
        .await
        .unwrap();
        let spec = OUTPUTS.iter().find(|s| s.name == "memberships").unwrap();
        let (_, one) = rows_of(sorted_queries(&ctx, spec, None).await.unwrap()).await;
        let queries = sorted_queries(&ctx, spec, Some(3)).await.unwrap();
        assert_eq!(queries.len(), 3);
        for df in &queries {
            let plan = df.clone().create_physical_plan().await.unwrap();
            let shown = datafusion::physical_plan::displayable(plan.as_ref())
                .indent(false)
                .to_string();
            assert!(!shown.contains("FilterExec"), "{shown}");
            assert!(shown.contains("predicate=campaign_id"), "{shown}");
        }
        let (counts, table) = rows_of(queries).await;
        assert_eq!(counts, vec![3, 3, 3]);
        assert_eq!(table, one);
    }

    #[test]
    fn a_range_starts_where_the_budget_would_be_passed_and_never_splits_a_value() {
        assert_eq!(range_starts(&[("a", 10), ("b", 1)], 5), vec!["b"]);
        assert_eq!(range_starts(&[("a", 2), ("b", 2), ("c", 2)], 4), vec!["c"]);
        assert_eq!(
            range_starts(&[("a", 2), ("b", 2), ("c", 2)], 1),
            vec!["b", "c"]
        );
        assert_eq!(range_starts::<&str>(&[], 1), Vec::<&str>::new());
        assert_eq!(
            range_starts(&[("a", u64::MAX), ("b", u64::MAX)], 1),
            vec!["b"]
        );
    }

    /// One row of `table`'s kept columns only: each text column holds its
    /// own name, `members` holds 7.
    fn kept_row(table: &str) -> RecordBatch {
        let spec = OUTPUTS.iter().find(|s| s.name == table).expect("output");
        let (_, columns) = KEPT.iter().find(|(n, _)| *n == table).expect("kept");
        let schema = spec.schema();
        let indices: Vec<usize> = columns
            .iter()
            .map(|c| schema.index_of(c).expect("a kept column of the output"))
            .collect();
        let projected = schema.project(&indices).expect("projection");
        let arrays: Vec<ArrayRef> = projected
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Utf8 => Arc::new(StringArray::from(vec![f.name().as_str()])) as ArrayRef,
                DataType::Int64 => Arc::new(Int64Array::from(vec![7])) as ArrayRef,
                other => panic!("kept column {} has type {other}", f.name()),
            })
            .collect();
        RecordBatch::try_new(Arc::new(projected), arrays).expect("batch")
    }

    /// The manifest's readers find every value they read among the kept
    /// columns: a column missing from `KEPT` would read as null here.
    #[test]
    fn the_manifest_reads_only_kept_columns() {
        let kept: BTreeMap<&'static str, Vec<RecordBatch>> = KEPT
            .iter()
            .map(|(table, _)| (*table, vec![kept_row(table)]))
            .collect();
        let counts = counts(&[], &kept, &[]).expect("counts");
        assert_eq!(counts.segments["season_id"]["segment"], 1);
        assert_eq!(counts.reject_reasons["table_name"]["reason"], 1);
        let rule = CampaignRule {
            season_id: None,
            by_potential: false,
            potential_min: None,
            potential_max: None,
            by_billing: false,
            billing_min: None,
            billing_max: None,
        };
        let rules = BTreeMap::from([("campaign_id".to_string(), rule)]);
        let records = campaign_records(&kept, &rules).expect("records");
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record.campaign_id, "campaign_id");
        assert_eq!(record.season_id.as_deref(), Some("season_id"));
        assert_eq!(record.label.as_deref(), Some("label"));
        assert_eq!(record.status_note.as_deref(), Some("status_note"));
        assert_eq!(record.members, 7);
    }
}
