//! Plan shapes the performance depends on (docs/SEMANTICS.md, "Plans"): no
//! join ever holds raw `sales` rows in its hash table (its left, build side),
//! and sales are read by the views only where the contract needs a pass.
//! Runs on a small generated dataset registered exactly as a run does.

use std::sync::Arc;

use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::joins::{CrossJoinExec, HashJoinExec, NestedLoopJoinExec};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::{ExecutionPlan, displayable};

/// Does this subtree read raw sales rows, not through an aggregation?
fn reads_raw_sales(plan: &Arc<dyn ExecutionPlan>) -> bool {
    if plan.is::<AggregateExec>() {
        return false;
    }
    if plan.is::<DataSourceExec>() {
        let shown = displayable(plan.as_ref()).one_line().to_string();
        return shown.contains("/sales/");
    }
    plan.children().into_iter().any(reads_raw_sales)
}

/// Every join whose build (collected) side is a subtree `large` says yes
/// to, as a one-line description.
fn build_sides(
    plan: &Arc<dyn ExecutionPlan>,
    large: fn(&Arc<dyn ExecutionPlan>) -> bool,
    found: &mut Vec<String>,
) {
    let is_join =
        plan.is::<HashJoinExec>() || plan.is::<NestedLoopJoinExec>() || plan.is::<CrossJoinExec>();
    if is_join
        && let Some(build) = plan.children().first()
        && large(build)
    {
        found.push(displayable(plan.as_ref()).one_line().to_string());
    }
    for child in plan.children() {
        build_sides(child, large, found);
    }
}

/// The filter of a join, from its one-line description (empty when it has
/// none).
fn join_filter(shown: &str) -> &str {
    shown
        .split("filter=")
        .nth(1)
        .and_then(|rest| rest.split(", projection=").next())
        .unwrap_or_default()
}

/// Every nested-loop join on a document date range with raw sales rows on
/// either side (a join with the one-row parameters is not one).
fn sales_range_joins(plan: &Arc<dyn ExecutionPlan>, found: &mut Vec<String>) {
    if plan.is::<NestedLoopJoinExec>() && plan.children().into_iter().any(reads_raw_sales) {
        let shown = displayable(plan.as_ref()).one_line().to_string();
        if join_filter(&shown).contains("document_date") {
            found.push(shown);
        }
    }
    for child in plan.children() {
        sales_range_joins(child, found);
    }
}

/// Does this subtree expand parcels by seasons (a cross join over cadastre)?
fn expands_parcels(plan: &Arc<dyn ExecutionPlan>) -> bool {
    if plan.is::<AggregateExec>() {
        return false;
    }
    if plan.is::<CrossJoinExec>() || plan.is::<NestedLoopJoinExec>() {
        let shown = format!("{}", displayable(plan.as_ref()).indent(true));
        if shown.contains("int_cadastre") || shown.contains("/cadastre/") {
            return true;
        }
    }
    plan.children().into_iter().any(expands_parcels)
}

/// How many nodes of the plan `is` says yes to.
fn count_nodes(plan: &Arc<dyn ExecutionPlan>, is: fn(&Arc<dyn ExecutionPlan>) -> bool) -> usize {
    usize::from(is(plan))
        + plan
            .children()
            .into_iter()
            .map(|child| count_nodes(child, is))
            .sum::<usize>()
}

/// Is this node a scan of the files of the input table `table`?
fn is_scan_of(plan: &Arc<dyn ExecutionPlan>, table: &str) -> bool {
    plan.is::<DataSourceExec>()
        && displayable(plan.as_ref())
            .one_line()
            .to_string()
            .contains(&format!("/{table}/"))
}

/// Is this node a scan of the raw sales files?
fn is_sales_scan(plan: &Arc<dyn ExecutionPlan>) -> bool {
    is_scan_of(plan, "sales")
}

fn sales_scans(plan: &Arc<dyn ExecutionPlan>) -> usize {
    count_nodes(plan, is_sales_scan)
}

async fn session() -> (tempfile::TempDir, datafusion::prelude::SessionContext) {
    let (dir, ctx) = session_without_views().await;
    zafra::views::register_job_views(&ctx).await.expect("views");
    (dir, ctx)
}

async fn session_without_views() -> (tempfile::TempDir, datafusion::prelude::SessionContext) {
    session_with_thresholds(zafra::config::Thresholds::default()).await
}

async fn session_with_thresholds(
    thresholds: zafra::config::Thresholds,
) -> (tempfile::TempDir, datafusion::prelude::SessionContext) {
    let (dir, ctx, _) = session_with(thresholds, zafra::session::SessionSettings::default()).await;
    (dir, ctx)
}

/// Generated data at scale 0.02 registered in a session built with
/// `settings`, with its input tables.
async fn session_with(
    thresholds: zafra::config::Thresholds,
    settings: zafra::session::SessionSettings,
) -> (
    tempfile::TempDir,
    datafusion::prelude::SessionContext,
    Vec<zafra::inputs::InputTable>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    zafra::generate::generate(&zafra::generate::GenerateOptions {
        scale: 0.02,
        seed: 7,
        out: dir.path().to_path_buf(),
        progress: false,
        campaigns: None,
        narrow_campaigns: false,
    })
    .expect("generate");
    let root = zafra::storage::Location::parse(dir.path().to_str().expect("utf-8 path"))
        .expect("location");
    let tables = zafra::inputs::discover(&root).await.expect("discover");
    let ctx = zafra::session::context(settings).expect("session");
    zafra::inputs::register(&ctx, &root, &tables)
        .await
        .expect("register");
    zafra::params::register_params(
        &ctx,
        &zafra::params::Params {
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
            base_currency: "USD",
            thresholds: &thresholds,
            explain_client: None,
        },
    )
    .expect("params");
    (dir, ctx, tables)
}

/// A session as a run registers it: the job's views, the checkpoints
/// computed (the scratch folder lives as long as the returned guard).
async fn checkpointed_session() -> (
    tempfile::TempDir,
    zafra::scratch::Scratch,
    datafusion::prelude::SessionContext,
    Vec<zafra::views::View>,
) {
    let (dir, ctx) = session_without_views().await;
    let scratch = zafra::scratch::Scratch::new().expect("scratch");
    let views = zafra::views::job_views().expect("views");
    zafra::checkpoints::register_views_checkpointed(&ctx, &views, &[], &scratch)
        .await
        .expect("query")
        .expect("checkpoints");
    (dir, scratch, ctx, views)
}

/// The job view called `name`.
fn named<'a>(views: &'a [zafra::views::View], name: &str) -> &'a zafra::views::View {
    views
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no view `{name}`"))
}

/// The physical plan a run computes the checkpoint `view` with.
async fn checkpoint_plan(
    ctx: &datafusion::prelude::SessionContext,
    view: &zafra::views::View,
) -> Arc<dyn ExecutionPlan> {
    zafra::checkpoints::plan_view(ctx, view)
        .await
        .expect("plan")
        .create_physical_plan()
        .await
        .expect("physical plan")
}

async fn physical(ctx: &datafusion::prelude::SessionContext, view: &str) -> Arc<dyn ExecutionPlan> {
    ctx.table(view)
        .await
        .expect("view")
        .create_physical_plan()
        .await
        .expect("physical plan")
}

/// Three properties of every job view's physical plan as a run plans it
/// (over the checkpoints computed before it, the checkpoints with their
/// session settings), checked on one planning pass: no join builds a hash
/// table of raw sales rows; sales rows find their seasons by an equi-join,
/// not a range join; and no rows come from no table. Ballista 55 loses the
/// job of a stage with a `SELECT` of literals alone (no `FROM`, planned as
/// `PlaceholderRowExec`): its scheduler refuses the task's metrics ("task
/// metrics array size 4 does not equal with the stage metrics array size
/// 5") and the run waits forever, so a view that needs a row of literals
/// selects it from a one-row parameter relation.
#[tokio::test]
async fn view_plans_stream_raw_sales_through_equi_joins_and_read_tables_only() {
    let (_dir, _scratch, ctx, views) = checkpointed_session().await;
    for view in &views {
        let plan = checkpoint_plan(&ctx, view).await;
        let mut built = Vec::new();
        build_sides(&plan, reads_raw_sales, &mut built);
        assert!(
            built.is_empty(),
            "view `{}` builds on raw sales rows in: {built:#?}",
            view.name
        );
        let mut ranged = Vec::new();
        sales_range_joins(&plan, &mut ranged);
        assert!(
            ranged.is_empty(),
            "view `{}` range-joins raw sales rows in: {ranged:#?}",
            view.name
        );
        let mut tableless = Vec::new();
        rows_from_no_table(&plan, &mut tableless);
        assert!(
            tableless.is_empty(),
            "view `{}` selects rows from no table: {tableless:#?}",
            view.name
        );
    }
}

/// The names of the operators in a plan that produce rows from no table.
fn rows_from_no_table(plan: &Arc<dyn ExecutionPlan>, found: &mut Vec<String>) {
    if plan.name() == "PlaceholderRowExec" {
        found.push(displayable(plan.as_ref()).one_line().to_string());
    }
    for child in plan.children() {
        rows_from_no_table(child, found);
    }
}

/// The first join below the projection that computes the signed amounts
/// (the one whose `CASE` is named `signed_amount`), shown on one line;
/// `None` when no projection computes them.
fn join_below_the_signed_amounts(plan: &Arc<dyn ExecutionPlan>) -> Option<String> {
    let shown = displayable(plan.as_ref()).one_line().to_string();
    if plan.is::<ProjectionExec>() && shown.contains("END as signed_amount") {
        let mut node = plan.children().first().map(|c| Arc::clone(c));
        while let Some(current) = node {
            if current.is::<HashJoinExec>() {
                return Some(displayable(current.as_ref()).one_line().to_string());
            }
            node = current.children().first().map(|c| Arc::clone(c));
        }
        return Some("no join".into());
    }
    plan.children()
        .into_iter()
        .find_map(join_below_the_signed_amounts)
}

#[tokio::test]
async fn the_signed_amounts_are_computed_after_the_season_join() {
    // int_sales_seasons' product (Decimal256) is computed for the rows the
    // season join keeps (at scale 10, 18M of 51M), not for every sales row:
    // the first join below the projection is the inner join on the day.
    let (_dir, _scratch, ctx, views) = checkpointed_session().await;
    let view = named(&views, "int_sales_outcomes");
    let plan = checkpoint_plan(&ctx, view).await;
    let join = join_below_the_signed_amounts(&plan).expect("a projection computes the amounts");
    assert!(
        join.contains("join_type=Inner") && join.contains("counted_date"),
        "the amounts are not computed on the season join's rows: {join}\n{}",
        displayable(plan.as_ref()).indent(true)
    );
}

#[tokio::test]
async fn no_join_builds_a_hash_table_of_generic_parcels_by_seasons() {
    // The generic parcels x seasons are 60M rows at scale 100: a hash table
    // of them does not fit a 4 GiB run.
    let (_dir, ctx) = session().await;
    let plan = physical(&ctx, "int_parcel_potential").await;
    let mut found = Vec::new();
    build_sides(&plan, expands_parcels, &mut found);
    assert!(found.is_empty(), "built on parcels x seasons: {found:#?}");
}

#[tokio::test]
async fn billing_and_rejects_read_sales_once_each_beyond_the_checkpoints() {
    let (_dir, ctx) = session().await;
    // Without checkpoints the duplicate keys (two scans: the line bitmask per
    // document, then the exact count over the candidates) and the fx days
    // (one) are part of the plan, plus the pass of the view itself.
    assert_eq!(
        sales_scans(&physical(&ctx, "val_sales_duplicate_keys").await),
        2
    );
    assert_eq!(sales_scans(&physical(&ctx, "int_sales_outcomes").await), 4);
    assert_eq!(sales_scans(&physical(&ctx, "int_billing").await), 4);
    assert_eq!(sales_scans(&physical(&ctx, "rejects").await), 4);
}

#[tokio::test]
async fn a_run_reads_sales_in_the_key_pass_the_fx_days_and_one_checked_pass_only() {
    // As a run registers them: with checkpoints, billing and rejects both
    // read the one checked pass (int_sales_outcomes), not sales.
    let (_dir, _scratch, ctx, _views) = checkpointed_session().await;
    for view in ["int_billing", "int_client_figures", "rejects"] {
        assert_eq!(
            sales_scans(&physical(&ctx, view).await),
            0,
            "view `{view}` reads sales in a run"
        );
    }
}

/// The rows each window operator of the median (over the `nonzero` CTE of
/// `int_thresholds`) received in an executed plan. Other windows of the
/// plan (in the views below the client figures) are not counted: with no
/// season to rank, the join may or may not have pulled rows from its probe
/// side before it finished.
fn median_window_input_rows(plan: &Arc<dyn ExecutionPlan>, rows: &mut Vec<usize>) {
    let shown = displayable(plan.as_ref()).one_line().to_string();
    if plan.name().contains("WindowAggExec") && shown.contains("nonzero.") {
        for child in plan.children() {
            let received = child
                .metrics()
                .and_then(|m| m.output_rows())
                .expect("the window's input reports its rows");
            rows.push(received);
        }
    }
    for child in plan.children() {
        median_window_input_rows(child, rows);
    }
}

#[tokio::test]
async fn the_median_sorts_no_client_when_both_thresholds_are_configured() {
    let both = zafra::config::Thresholds {
        default: zafra::config::ThresholdPair {
            high_potential: Some(rust_decimal::Decimal::new(5000, 0)),
            high_billing: Some(rust_decimal::Decimal::new(5000, 0)),
        },
        season: Default::default(),
    };
    // Billing only: the potential threshold is still the median.
    let one = zafra::config::Thresholds {
        default: zafra::config::ThresholdPair {
            high_potential: None,
            high_billing: Some(rust_decimal::Decimal::new(5000, 0)),
        },
        season: Default::default(),
    };
    for (thresholds, sorted) in [(both, false), (one, true)] {
        let (_dir, ctx) = session_with_thresholds(thresholds).await;
        zafra::views::register_job_views(&ctx).await.expect("views");
        let df = ctx.table("int_thresholds").await.expect("view");
        let task = Arc::new(df.task_ctx());
        let plan = df.create_physical_plan().await.expect("physical plan");
        datafusion::physical_plan::collect(Arc::clone(&plan), task)
            .await
            .expect("thresholds");
        let mut rows = Vec::new();
        median_window_input_rows(&plan, &mut rows);
        assert_eq!(rows.len(), 2, "the median's two windows: {rows:?}");
        assert!(
            !rows.is_empty(),
            "no window in: {}",
            displayable(plan.as_ref()).indent(true)
        );
        assert_eq!(
            rows.iter().any(|&n| n > 0),
            sorted,
            "rows into the median's windows: {rows:?}"
        );
    }
}

/// Is this node a sort or a window?
fn is_sort_or_window(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.name().contains("Sort") || plan.name().contains("Window")
}

#[tokio::test]
async fn the_value_buckets_sort_nothing_beyond_the_segments() {
    // The buckets are a function of each figure, computed row by row: at
    // scale 100 the position buckets' two window sorts of 19.4M
    // client-seasons took 24 s under a 4 GiB pool (BENCHMARKS.md).
    let (_dir, ctx) = session().await;
    let segments = count_nodes(
        &physical(&ctx, "int_client_segments").await,
        is_sort_or_window,
    );
    let buckets = count_nodes(
        &physical(&ctx, "int_client_buckets").await,
        is_sort_or_window,
    );
    assert_eq!(buckets, segments, "sorts and windows added by the buckets");
}

/// The joins of `int_client_figures` (the client × season grid with its
/// potentials and billing) are partitioned on their key when a run plans
/// the checkpoint (`zafra::checkpoints::PARTITIONED_JOINS`), so no thread
/// builds a whole table, and they are right joins: the figures are the
/// hash tables and the grid streams through them (a left join would build
/// the grid with every column joined so far, twice the CPU at scale 10);
/// the checkpoints before it mean no sales row is
/// repartitioned (the plan reads no sales). The session's own plan of the
/// same SQL keeps collected build sides.
#[tokio::test]
async fn the_client_figures_checkpoint_joins_in_partitions_and_reads_no_sales() {
    let (_dir, _scratch, ctx, views) = checkpointed_session().await;
    let view = named(&views, "int_client_figures");
    let hash_joins = |plan: &Arc<dyn ExecutionPlan>| {
        let mut found = Vec::new();
        build_sides(plan, |_| true, &mut found);
        found
            .into_iter()
            .filter(|j| j.starts_with("HashJoinExec") && j.contains("client_id"))
            .collect::<Vec<_>>()
    };
    let planned = checkpoint_plan(&ctx, view).await;
    assert_eq!(sales_scans(&planned), 0);
    let joins = hash_joins(&planned);
    assert_eq!(joins.len(), 2, "{joins:#?}");
    assert!(
        joins
            .iter()
            .all(|j| j.contains("mode=Partitioned") && j.contains("join_type=Right")),
        "{joins:#?}"
    );
    let session_plan = ctx
        .sql(view.sql)
        .await
        .expect("plan")
        .create_physical_plan()
        .await
        .expect("physical plan");
    let joins = hash_joins(&session_plan);
    assert_eq!(joins.len(), 2, "{joins:#?}");
    assert!(
        joins.iter().all(|j| j.contains("mode=CollectLeft")),
        "{joins:#?}"
    );
}

/// Every hash join whose probe side streams raw sales rows: its one-line
/// description, its keys on the build side, how many of the columns it
/// outputs come from its build side (the hash table), and the names of the
/// columns it outputs.
type SalesJoin = (String, String, usize, Vec<String>);

fn sales_joins(plan: &Arc<dyn ExecutionPlan>, found: &mut Vec<SalesJoin>) {
    if let Some(join) = plan.downcast_ref::<HashJoinExec>()
        && reads_raw_sales(join.right())
    {
        let build_width = join.left().schema().fields().len();
        let build_columns = match &join.projection {
            Some(projection) => projection.iter().filter(|&&i| i < build_width).count(),
            None => build_width,
        };
        let keys = join
            .on()
            .iter()
            .map(|(build, _)| build.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let names = join
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let shown = displayable(plan.as_ref()).one_line().to_string();
        found.push((shown, keys, build_columns, names));
    }
    for child in plan.children() {
        sales_joins(child, found);
    }
}

#[tokio::test]
async fn the_checked_pass_copies_one_column_out_of_each_hash_table() {
    // A join copies every column it passes on for every row it streams
    // (51M sales rows at scale 10): each of the four joins the sales rows
    // stream through brings one column from its hash table (the duplicated
    // flag, the rate, in_scope, the season), and the rate is joined before
    // the known clients, so the currency goes no further than its own join.
    let (_dir, _scratch, ctx, views) = checkpointed_session().await;
    let plan = checkpoint_plan(&ctx, named(&views, "int_sales_outcomes")).await;
    let mut joins = Vec::new();
    sales_joins(&plan, &mut joins);
    assert_eq!(joins.len(), 4, "{joins:#?}");
    for (shown, _, build_columns, _) in &joins {
        assert_eq!(*build_columns, 1, "{shown}");
    }
    let (shown, _, _, names) = joins
        .iter()
        .find(|(_, keys, ..)| keys.contains("client_id"))
        .expect("the known clients' join");
    assert!(!names.iter().any(|n| n == "currency"), "{shown}");
}

/// Is this node a scan of the raw clients files?
fn is_clients_scan(plan: &Arc<dyn ExecutionPlan>) -> bool {
    is_scan_of(plan, "clients")
}

#[tokio::test]
async fn the_known_clients_are_grouped_once_per_run_not_once_per_reader() {
    // int_known_clients is a checkpoint: the cadastre and the checked pass
    // over sales join its file, and neither groups the clients again (at
    // scale 100 that aggregate of 10M ids spilled inside int_cadastre).
    let (_dir, _scratch, ctx, views) = checkpointed_session().await;
    assert!(zafra::checkpoints::CHECKPOINTS.contains(&"int_known_clients"));
    for name in ["int_cadastre", "int_sales_outcomes"] {
        let view = named(&views, name);
        let planned = checkpoint_plan(&ctx, view).await;
        assert_eq!(count_nodes(&planned, is_clients_scan), 0, "{name}");
        let text = displayable(planned.as_ref()).indent(true).to_string();
        assert!(text.contains("int_known_clients"), "{name}: {text}");
    }
    // Without the checkpoint, the same SQL reads the clients files.
    let (_dir, ctx) = session().await;
    assert!(count_nodes(&physical(&ctx, "int_cadastre").await, is_clients_scan) > 0);
}

#[tokio::test]
async fn only_the_checked_pass_aggregates_in_one_step() {
    // int_sales_outcomes skips partial aggregation from its first probe
    // (ratio 0); every other checkpoint keeps the session's threshold, and
    // the session itself is unchanged.
    let (_dir, _scratch, ctx, views) = checkpointed_session().await;
    let threshold = |df: &datafusion::prelude::DataFrame| {
        df.task_ctx()
            .session_config()
            .options()
            .execution
            .skip_partial_aggregation_probe_ratio_threshold
    };
    let session = ctx
        .copied_config()
        .options()
        .execution
        .skip_partial_aggregation_probe_ratio_threshold;
    assert_eq!(session, 0.1);
    for view in views
        .iter()
        .filter(|v| zafra::checkpoints::CHECKPOINTS.contains(&v.name))
    {
        let planned = zafra::checkpoints::plan_view(&ctx, view)
            .await
            .expect("plan");
        let expected = if view.name == "int_sales_outcomes" {
            0.0
        } else {
            session
        };
        assert_eq!(threshold(&planned), expected, "{}", view.name);
    }
    assert_eq!(
        zafra::checkpoints::ONE_STEP_AGGREGATES,
        &["int_sales_outcomes"]
    );
}

#[tokio::test]
async fn under_a_memory_limit_the_potential_is_computed_in_parts_with_the_same_rows() {
    // int_potential is computed in hash parts of client_id under a memory
    // limit, as many as the cadastre's rows × 128 bytes need: the rows
    // claimed here (2 × what one part holds, plus one) make three parts of
    // the small generated cadastre. The rows are those of one query.
    let limit = 64u64 << 20;
    let settings = zafra::session::SessionSettings {
        memory_limit: Some(limit),
    };
    let (_limited_dir, limited, mut tables) = session_with(Default::default(), settings).await;
    let cadastre = tables
        .iter_mut()
        .find(|t| t.spec.name == "cadastre")
        .expect("cadastre");
    for file in &mut cadastre.files {
        file.rows = 0;
    }
    cadastre.files[0].rows = 2 * (limit / 128) + 1;
    let views = zafra::views::job_views().expect("views");
    let log = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer({
            let log = Arc::clone(&log);
            move || LogWriter(Arc::clone(&log))
        })
        .finish();
    let scratch = zafra::scratch::Scratch::new().expect("scratch");
    {
        let _logging = tracing::subscriber::set_default(subscriber);
        zafra::checkpoints::register_views_checkpointed(&limited, &views, &tables, &scratch)
            .await
            .expect("query")
            .expect("checkpoints");
    }
    let logged = String::from_utf8(log.lock().expect("log").clone()).expect("utf-8");
    assert!(
        logged.contains(
            "checkpoint in hash parts under the memory limit view=\"int_potential\" parts=3"
        ),
        "{logged}"
    );
    let (_dir, _one_scratch, one, _) = checkpointed_session().await;
    let rows = |ctx: datafusion::prelude::SessionContext| async move {
        let batches = ctx
            .sql("SELECT * FROM int_potential ORDER BY season_id, client_id")
            .await
            .expect("query")
            .collect()
            .await
            .expect("rows");
        datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .expect("format")
            .to_string()
    };
    let (parts, whole) = (rows(limited).await, rows(one).await);
    assert!(whole.lines().count() > 100, "{whole}");
    assert_eq!(parts, whole);
}

/// Appends what a tracing subscriber writes to a shared buffer.
struct LogWriter(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("log buffer poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every hash join on a client's value bucket (`int_campaign_candidates`),
/// as a one-line description.
fn bucket_joins(plan: &Arc<dyn ExecutionPlan>, found: &mut Vec<String>) {
    if plan.is::<HashJoinExec>() {
        let shown = displayable(plan.as_ref()).one_line().to_string();
        let on = shown
            .split("on=")
            .nth(1)
            .and_then(|rest| rest.split("]").next())
            .unwrap_or_default();
        if on.contains("potential_bucket") || on.contains("billing_bucket") {
            found.push(shown);
        }
    }
    for child in plan.children() {
        bucket_joins(child, found);
    }
}

/// Is this node an aggregation of the figure values into buckets
/// (`int_figure_buckets` computed, not read from its checkpoint)?
fn aggregates_figure_buckets(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<AggregateExec>()
        && displayable(plan.as_ref())
            .one_line()
            .to_string()
            .contains("int_figure_values")
}

#[tokio::test]
async fn the_campaign_ranges_are_compared_in_the_joins_that_find_the_pairs() {
    // At scale 10 the value buckets find 20.9M (campaign, client) pairs for
    // 4.5M members: each bucket join compares the figures with the
    // campaign's bounds in cents (int_campaign_bounds) as its join filter,
    // so no pair outside the ranges is copied out of it; and the figure
    // buckets are read from their checkpoint, not aggregated again for each
    // reference (BENCHMARKS.md, "Campaign bounds in cents").
    let (_dir, _scratch, ctx, views) = checkpointed_session().await;
    assert!(zafra::checkpoints::CHECKPOINTS.contains(&"int_figure_buckets"));
    let planned = checkpoint_plan(&ctx, named(&views, "int_memberships")).await;
    let mut joins = Vec::new();
    bucket_joins(&planned, &mut joins);
    assert_eq!(joins.len(), 2, "one bucket join per dimension: {joins:?}");
    for join in &joins {
        let filter = join_filter(join);
        for bound in [
            "potential_low",
            "potential_high",
            "billing_low",
            "billing_high",
        ] {
            assert!(filter.contains(bound), "{bound} not compared in {join}");
        }
    }
    let diagnostics = physical(&ctx, "campaign_diagnostics").await;
    for (name, plan) in [
        ("int_memberships", &planned),
        ("campaign_diagnostics", &diagnostics),
    ] {
        assert_eq!(count_nodes(plan, aggregates_figure_buckets), 0, "{name}");
        let text = displayable(plan.as_ref()).indent(true).to_string();
        assert!(text.contains("int_figure_buckets"), "{name}: {text}");
    }
    // Without the checkpoint, the same SQL aggregates the figure values.
    let (_dir, ctx) = session().await;
    let diagnostics = physical(&ctx, "campaign_diagnostics").await;
    assert!(count_nodes(&diagnostics, aggregates_figure_buckets) > 0);
}
