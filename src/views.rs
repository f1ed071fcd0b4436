//! The SQL views of `sql/`: every file is embedded in the binary (`build.rs`),
//! its folder is its layer and its file name its view name. The order in
//! which views are created is derived from what each file reads (parsed with
//! DataFusion's SQL parser), never kept by hand, and the layering is checked
//! every time it is derived:
//!
//! | layer          | reads                                                    |
//! |----------------|----------------------------------------------------------|
//! | `staging`      | the input tables only (renames and casts)                |
//! | `validation`   | staging, validation (row problems; one duplicate-key method) |
//! | `intermediate` | the layers above and parameters                          |
//! | `marts`        | the layers above (one view per published table)          |
//! | `checks`       | the layers above (what stops a run, run-report figures)  |
//!
//! Three folders are sets of their own, over committed snapshots' tables
//! rather than the inputs: `sql/diff/` (`zafra diff`), `sql/report/`
//! (`zafra report`) and `sql/preview/` (`zafra preview`, which also reuses
//! the job's campaign views, bound to a snapshot: [`preview_binding`]).

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};

/// One embedded file of `sql/`, as `build.rs` lists it.
#[derive(Debug, Clone, Copy)]
pub struct SqlFile {
    pub folder: &'static str,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every file of `sql/<folder>/<name>.sql`, sorted by path.
pub const SQL_FILES: &[SqlFile] = include!(concat!(env!("OUT_DIR"), "/sql_files.rs"));

/// A view's layer: its folder under `sql/`, in reading order (a view reads
/// only its own layer or the ones before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Staging,
    Validation,
    Intermediate,
    Marts,
    Checks,
    /// `zafra diff`'s views: a set of their own.
    Diff,
    /// `zafra report`'s views: a set of their own.
    Report,
    /// `zafra preview`'s views: a set of their own.
    Preview,
}

impl Layer {
    pub const ALL: [Layer; 8] = [
        Layer::Staging,
        Layer::Validation,
        Layer::Intermediate,
        Layer::Marts,
        Layer::Checks,
        Layer::Diff,
        Layer::Report,
        Layer::Preview,
    ];

    /// Whether its views are the job's (run over the inputs).
    pub fn is_job(self) -> bool {
        !matches!(self, Layer::Diff | Layer::Report | Layer::Preview)
    }

    /// Its folder under `sql/`.
    pub fn folder(self) -> &'static str {
        match self {
            Layer::Staging => "staging",
            Layer::Validation => "validation",
            Layer::Intermediate => "intermediate",
            Layer::Marts => "marts",
            Layer::Checks => "checks",
            Layer::Diff => "diff",
            Layer::Report => "report",
            Layer::Preview => "preview",
        }
    }

    fn of_folder(folder: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.folder() == folder)
    }
}

/// One view: its name (= file name), layer (= folder), SQL, and the
/// relations its SQL reads (tables, views, parameters; not its own CTEs).
#[derive(Debug, Clone)]
pub struct View {
    pub name: &'static str,
    pub layer: Layer,
    pub sql: &'static str,
    pub reads: BTreeSet<String>,
}

/// What the views of a set may read besides each other.
struct Sources<'a> {
    /// Read by staging only.
    inputs: &'a [&'a str],
    /// Read by any layer but staging.
    parameters: &'a [&'a str],
}

/// The job's views (every layer but diff), in creation order.
pub fn job_views() -> Result<Vec<View>> {
    let inputs: Vec<&str> = crate::inputs::TABLES.iter().map(|t| t.name).collect();
    ordered(
        SQL_FILES,
        Layer::is_job,
        &Sources {
            inputs: &inputs,
            parameters: crate::params::RELATIONS,
        },
    )
}

/// The relations `zafra diff` registers for its views: each side's
/// published tables, and its campaigns and thresholds (from the manifest).
pub const DIFF_INPUTS: &[&str] = &[
    "from_memberships",
    "to_memberships",
    "from_segments",
    "to_segments",
    "from_campaigns",
    "to_campaigns",
    "from_thresholds",
    "to_thresholds",
];

/// `zafra diff`'s views, in creation order.
pub fn diff_views() -> Result<Vec<View>> {
    ordered(
        SQL_FILES,
        |layer| layer == Layer::Diff,
        &Sources {
            inputs: &[],
            parameters: DIFF_INPUTS,
        },
    )
}

/// The relations `zafra report` registers for its views: the snapshot's
/// published tables (`snap_*`), the previous committed snapshot's
/// (`prev_*`; empty when there is none) and `report_params`.
pub const REPORT_INPUTS: &[&str] = &[
    "snap_segments",
    "snap_memberships",
    "snap_summary",
    "snap_diagnostics",
    "snap_overlap",
    "snap_contacts",
    "snap_rejects",
    "prev_segments",
    "prev_memberships",
    "prev_summary",
    "report_params",
];

/// `zafra report`'s views, in creation order.
pub fn report_views() -> Result<Vec<View>> {
    ordered(
        SQL_FILES,
        |layer| layer == Layer::Report,
        &Sources {
            inputs: &[],
            parameters: REPORT_INPUTS,
        },
    )
}

/// The relations `zafra preview` registers: the snapshot's client_segments
/// and memberships, its campaigns and thresholds (from the manifest), the
/// preview's ranges, and an empty `explain_params`.
pub const PREVIEW_INPUTS: &[&str] = &[
    "snap_segments",
    "snap_memberships",
    "snap_campaigns",
    "snap_thresholds",
    "preview_params",
    "explain_params",
];

/// How `zafra preview` reuses the job's campaign rule instead of restating
/// it: the job views it creates (`views`, in this order), and, for each
/// relation those views read, the preview relation bound in its place.
pub struct PreviewBinding {
    pub views: &'static [&'static str],
    pub bound: &'static [(&'static str, &'static str)],
}

pub fn preview_binding() -> PreviewBinding {
    PreviewBinding {
        views: &[
            "int_segment_rule",
            "int_active_campaigns",
            "int_campaign_bounds",
            "int_campaign_conditions",
        ],
        bound: &[
            ("int_campaigns_on_date", "preview_campaigns"),
            ("stg_seasons", "preview_seasons"),
            ("int_thresholds", "snap_thresholds"),
            ("int_campaign_candidates", "preview_candidates"),
            ("int_client_segments", "snap_segments"),
        ],
    }
}

/// `zafra preview`'s views in two groups, each in creation order: those
/// the bound job views need (created first), and those that read the job
/// views (created after them).
pub fn preview_views() -> Result<(Vec<View>, Vec<View>)> {
    let binding = preview_binding();
    let mut sources: Vec<&str> = PREVIEW_INPUTS.to_vec();
    sources.extend(binding.views.iter().copied());
    let views = ordered(
        SQL_FILES,
        |layer| layer == Layer::Preview,
        &Sources {
            inputs: &[],
            parameters: &sources,
        },
    )?;
    let mut late: BTreeSet<&str> = binding.views.iter().copied().collect();
    let mut first = Vec::new();
    let mut second = Vec::new();
    for view in views {
        if view.reads.iter().any(|r| late.contains(r.as_str())) {
            late.insert(view.name);
            second.push(view);
        } else {
            first.push(view);
        }
    }
    Ok((first, second))
}

/// The job views `zafra preview` reuses (see [`preview_binding`]), in
/// order. Fails when one of them reads a relation that is neither bound,
/// nor one of them, nor `explain_params`: the binding must be complete.
pub fn preview_job_views() -> Result<Vec<View>> {
    let binding = preview_binding();
    let job = job_views()?;
    let mut out = Vec::new();
    for name in binding.views {
        let view = job
            .iter()
            .find(|v| v.name == *name)
            .ok_or_else(|| Error::internal(format!("no job view named `{name}`")))?;
        for read in &view.reads {
            let known = binding.views.contains(&read.as_str())
                || binding.bound.iter().any(|(job_name, _)| job_name == read)
                || read == "explain_params";
            if !known {
                return Err(Error::internal(format!(
                    "the preview reuses `{name}`, which reads `{read}`: bind it in preview_binding()"
                )));
            }
        }
        out.push(view.clone());
    }
    Ok(out)
}

/// Registers, for each `(job_name, preview_name)` of the binding, the
/// relation `preview_name` under the name `job_name`.
pub async fn bind_preview_relations(ctx: &SessionContext) -> Result<()> {
    for (job_name, preview_name) in preview_binding().bound {
        let df = ctx
            .table(*preview_name)
            .await
            .map_err(|e| Error::internal_from(format!("binding `{job_name}`"), e))?;
        ctx.register_table(*job_name, df.into_view())
            .map_err(|e| Error::internal_from(format!("binding `{job_name}`"), e))?;
    }
    Ok(())
}

/// Whether [`register_preview_views`] computes the rule's verdicts for the
/// preview campaigns ([`PREVIEW_CACHED`]: the range's members and the moved
/// bounds' band rows) up front and keeps them in memory (a preview reads
/// them three times) or leaves them a view, computed only if read (a
/// session that reads only the segment ranges never computes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewMembers {
    Computed,
    Lazy,
}

/// Creates `zafra preview`'s views on `ctx` (its relations, see
/// [`PREVIEW_INPUTS`], must be registered): the first group, the binding,
/// the reused job views, then the views that read them. With
/// [`PreviewMembers::Computed`], the rule's verdicts for the preview
/// campaigns are computed once, when their view is created, and the views
/// after it read them from memory (a preview is a local command over a committed
/// snapshot: no engine but the embedded one runs it).
pub async fn register_preview_views(ctx: &SessionContext, members: PreviewMembers) -> Result<()> {
    let (first, second) = preview_views()?;
    register_view_list(ctx, &first).await?;
    bind_preview_relations(ctx).await?;
    register_view_list(ctx, &preview_job_views()?).await?;
    for view in second {
        register_view_list(ctx, std::slice::from_ref(&view)).await?;
        if view.name == PREVIEW_CACHED && members == PreviewMembers::Computed {
            let wrap = |e| Error::internal_from(format!("computing `{PREVIEW_CACHED}`"), e);
            let rows = ctx
                .table(PREVIEW_CACHED)
                .await
                .map_err(wrap)?
                .cache()
                .await
                .map_err(wrap)?;
            ctx.deregister_table(PREVIEW_CACHED).map_err(wrap)?;
            ctx.register_table(PREVIEW_CACHED, rows.into_view())
                .map_err(wrap)?;
        }
    }
    Ok(())
}

/// The preview view computed once and kept in memory.
pub const PREVIEW_CACHED: &str = "preview_evaluated";

/// The views of `files` whose layer `keep` accepts, each with what it reads,
/// in an order where every view comes after the views it reads (ties by
/// layer, then name). Fails naming the view when a file is in an unknown
/// folder, does not parse, reads something unknown or of a later layer, or
/// when views read each other in a cycle.
fn ordered(
    files: &[SqlFile],
    keep: impl Fn(Layer) -> bool,
    sources: &Sources<'_>,
) -> Result<Vec<View>> {
    let mut views: BTreeMap<&'static str, View> = BTreeMap::new();
    for file in files {
        let layer = Layer::of_folder(file.folder).ok_or_else(|| {
            Error::internal(format!(
                "sql/{}/{}.sql: `{}` is not a layer",
                file.folder, file.name, file.folder
            ))
        })?;
        if !keep(layer) {
            continue;
        }
        let view = View {
            name: file.name,
            layer,
            sql: file.sql,
            reads: reads(file)?,
        };
        if views.insert(file.name, view).is_some() {
            return Err(Error::internal(format!(
                "two files define the view `{}`",
                file.name
            )));
        }
    }
    for view in views.values() {
        for read in &view.reads {
            check_read(view, read, views.get(read.as_str()), sources)?;
        }
    }
    // Kahn's algorithm; the ready views by (layer, name), so the order is
    // the same every time.
    let mut waiting: BTreeMap<&str, usize> = views
        .values()
        .map(|v| {
            let n = v
                .reads
                .iter()
                .filter(|r| views.contains_key(r.as_str()))
                .count();
            (v.name, n)
        })
        .collect();
    let mut ready: BTreeSet<(Layer, &str)> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(name, _)| (views[name].layer, *name))
        .collect();
    let mut order = Vec::with_capacity(views.len());
    while let Some(next) = ready.pop_first() {
        let (_, name) = next;
        waiting.remove(name);
        order.push(views[name].clone());
        for other in views.values() {
            if other.reads.contains(name)
                && let Some(n) = waiting.get_mut(other.name)
            {
                *n -= 1;
                if *n == 0 {
                    ready.insert((other.layer, other.name));
                }
            }
        }
    }
    if !waiting.is_empty() {
        let names: Vec<&str> = waiting.keys().copied().collect();
        return Err(Error::internal(format!(
            "views read each other in a cycle: {}",
            names.join(", ")
        )));
    }
    Ok(order)
}

/// The relations a file's SQL reads (its own CTEs excluded).
fn reads(file: &SqlFile) -> Result<BTreeSet<String>> {
    use datafusion::sql::parser::DFParser;
    let at = |e: datafusion::error::DataFusionError| {
        Error::internal_from(format!("parsing sql/{}/{}.sql", file.folder, file.name), e)
    };
    let mut statements = DFParser::parse_sql(file.sql).map_err(at)?;
    let statement = match (statements.pop_front(), statements.is_empty()) {
        (Some(statement), true) => statement,
        _ => {
            return Err(Error::internal(format!(
                "sql/{}/{}.sql must hold exactly one statement",
                file.folder, file.name
            )));
        }
    };
    let (tables, _ctes) =
        datafusion::sql::resolve::resolve_table_references(&statement, true).map_err(at)?;
    Ok(tables.iter().map(|t| t.table().to_string()).collect())
}

/// Whether `view` may read `read` (`target` is the view of that name, if
/// any).
fn check_read(view: &View, read: &str, target: Option<&View>, sources: &Sources<'_>) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::internal(format!(
            "sql/{}/{}.sql reads `{read}`: {why}",
            view.layer.folder(),
            view.name
        )))
    };
    if let Some(target) = target {
        if target.layer > view.layer {
            return refuse(format!(
                "a view of the later layer `{}`",
                target.layer.folder()
            ));
        }
        if view.layer == Layer::Staging {
            return refuse("staging reads input tables only".to_string());
        }
        return Ok(());
    }
    if sources.inputs.contains(&read) {
        if view.layer == Layer::Staging {
            return Ok(());
        }
        return refuse("an input table, which only staging reads".to_string());
    }
    if sources.parameters.contains(&read) {
        if view.layer == Layer::Staging {
            return refuse("staging reads input tables only".to_string());
        }
        return Ok(());
    }
    refuse("no view, input table or parameter has that name".to_string())
}

/// Splits `views` (in creation order) into the views `target` needs, itself
/// included, and the rest; both keep the order.
pub fn split_after(views: Vec<View>, target: &str) -> Result<(Vec<View>, Vec<View>)> {
    let mut needed: BTreeSet<String> = BTreeSet::from([target.to_string()]);
    // Later views read only earlier ones: one pass from the end collects
    // the closure.
    for view in views.iter().rev() {
        if needed.contains(view.name) {
            needed.extend(view.reads.iter().cloned());
        }
    }
    if !views.iter().any(|v| v.name == target) {
        return Err(Error::internal(format!("no view named `{target}`")));
    }
    Ok(views.into_iter().partition(|v| needed.contains(v.name)))
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

/// Creates every job view on `ctx`; the input tables and parameter relations
/// must already be registered.
pub async fn register_job_views(ctx: &SessionContext) -> Result<()> {
    register_view_list(ctx, &job_views()?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: Sources<'static> = Sources {
        inputs: &["sales"],
        parameters: &["run_params"],
    };

    fn file(folder: &'static str, name: &'static str, sql: &'static str) -> SqlFile {
        SqlFile { folder, name, sql }
    }

    fn names(views: &[View]) -> Vec<&str> {
        views.iter().map(|v| v.name).collect()
    }

    fn refusal(files: &[SqlFile]) -> String {
        match ordered(files, |_| true, &SOURCES) {
            Ok(v) => panic!("accepted: {:?}", names(&v)),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn order_follows_reads_not_file_names() {
        let files = [
            file("intermediate", "a_late", "SELECT * FROM z_early"),
            file("intermediate", "z_early", "SELECT * FROM stg_sales"),
            file("staging", "stg_sales", "SELECT * FROM sales"),
            file(
                "marts",
                "out",
                "WITH x AS (SELECT * FROM a_late) SELECT * FROM x",
            ),
        ];
        let views = ordered(&files, |_| true, &SOURCES).expect("ordered");
        assert_eq!(names(&views), ["stg_sales", "z_early", "a_late", "out"]);
        assert_eq!(
            views[3].reads,
            BTreeSet::from(["a_late".to_string()]),
            "a CTE is not a read"
        );
    }

    #[test]
    fn a_view_reading_a_later_layer_is_refused() {
        let e = refusal(&[
            file("marts", "out", "SELECT 1 AS x"),
            file("intermediate", "int_x", "SELECT * FROM out"),
        ]);
        assert!(e.contains("sql/intermediate/int_x.sql reads `out`"), "{e}");
        assert!(e.contains("later layer `marts`"), "{e}");
    }

    #[test]
    fn only_staging_reads_input_tables_and_staging_reads_nothing_else() {
        let e = refusal(&[file("intermediate", "int_x", "SELECT * FROM sales")]);
        assert!(
            e.contains("an input table, which only staging reads"),
            "{e}"
        );
        let e = refusal(&[file("staging", "stg_x", "SELECT * FROM run_params")]);
        assert!(e.contains("staging reads input tables only"), "{e}");
        let e = refusal(&[
            file("staging", "stg_a", "SELECT * FROM sales"),
            file("staging", "stg_b", "SELECT * FROM stg_a"),
        ]);
        assert!(e.contains("staging reads input tables only"), "{e}");
    }

    #[test]
    fn unknown_relations_cycles_and_unknown_folders_are_refused() {
        let e = refusal(&[file("marts", "out", "SELECT * FROM nowhere")]);
        assert!(e.contains("reads `nowhere`: no view"), "{e}");
        let e = refusal(&[
            file("intermediate", "int_a", "SELECT * FROM int_b"),
            file("intermediate", "int_b", "SELECT * FROM int_a"),
        ]);
        assert!(e.contains("cycle: int_a, int_b"), "{e}");
        let e = refusal(&[file("misc", "x", "SELECT 1")]);
        assert!(e.contains("`misc` is not a layer"), "{e}");
    }

    #[test]
    fn split_after_keeps_what_the_target_needs() {
        let files = [
            file("staging", "stg_a", "SELECT * FROM sales"),
            file("staging", "stg_b", "SELECT * FROM sales"),
            file("validation", "val_a", "SELECT * FROM stg_a"),
            file("intermediate", "int_b", "SELECT * FROM stg_b"),
        ];
        let views = ordered(&files, |_| true, &SOURCES).expect("ordered");
        let (first, rest) = split_after(views, "val_a").expect("split");
        assert_eq!(names(&first), ["stg_a", "val_a"]);
        assert_eq!(names(&rest), ["stg_b", "int_b"]);
    }

    #[test]
    fn the_shipped_views_are_layered_and_marts_are_the_published_tables() {
        let views = job_views().expect("the shipped SQL is layered");
        let marts: BTreeSet<&str> = views
            .iter()
            .filter(|v| v.layer == Layer::Marts)
            .map(|v| v.name)
            .collect();
        let published: BTreeSet<&str> = crate::outputs::OUTPUTS.iter().map(|t| t.name).collect();
        assert_eq!(marts, published);
        let diff = diff_views().expect("diff views");
        assert_eq!(names(&diff), ["diff_memberships", "diff_segments"]);
    }

    #[test]
    fn the_report_and_preview_sets_read_only_what_their_commands_register() {
        let report = report_views().expect("report views");
        assert!(report.iter().all(|v| v.layer == Layer::Report));
        assert!(names(&report).contains(&"rpt_segments"));
        let (first, second) = preview_views().expect("preview views");
        assert_eq!(
            names(&first),
            ["preview_campaigns", "preview_candidates", "preview_seasons"]
        );
        assert!(names(&second).contains(&"preview_result"));
        let reused = preview_job_views().expect("the binding is complete");
        assert_eq!(
            names(&reused),
            [
                "int_segment_rule",
                "int_active_campaigns",
                "int_campaign_bounds",
                "int_campaign_conditions"
            ]
        );
        // Every bound preview relation exists.
        for (_, preview_name) in preview_binding().bound {
            assert!(
                PREVIEW_INPUTS.contains(preview_name)
                    || first.iter().any(|v| v.name == *preview_name),
                "{preview_name}"
            );
        }
    }
}
