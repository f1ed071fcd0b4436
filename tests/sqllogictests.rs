//! Runs every `tests/slt/**/*.slt` file against zafra's SQL views on a fresh
//! DataFusion session with the job's session configuration.
//!
//! The suite is one file per view: `tests/slt/<layer>/<view>.slt` for every
//! view of `zafra::views::job_views()`, `diff_views()`, `report_views()` and `preview_views()`
//! (`<layer>` = `view.layer.folder()`), and no other `.slt` file; the run
//! fails naming the missing and the extra files. Shared fixtures are
//! `tests/slt/parts/*.slt.part`, included by the files.
//!
//! Directives added to plain SQL: the statement `LOAD ZAFRA VIEWS`
//! creates every view of a run (in the binary's order) over the tables the
//! file has created so far, `LOAD ZAFRA DIFF VIEWS` the views of
//! `zafra diff`, `LOAD ZAFRA REPORT VIEWS` those of `zafra report`,
//! `LOAD ZAFRA PREVIEW VIEWS` those of `zafra preview` (with the job views
//! it reuses, bound as the command binds them), `CHECKPOINT ZAFRA VIEWS`
//! computes the views a run checkpoints over the rows inserted so far and
//! creates the job views again over them, as a run does (for files whose
//! view reads a deep stack several times: see `checkpoint_job_views`), and
//! `RESET ZAFRA SESSION` replaces the session with a fresh one (no table,
//! no view), so that a file can hold several independent scenarios.
//! `tests/slt/parts/inputs.slt.part` starts a fresh session and creates the
//! input tables (canonical types) and the parameter tables, empty, then
//! loads the views; files insert their own rows.
//!
//! Values are printed with Arrow's display: NULL as `NULL`, an empty string
//! as `(empty)`, decimals with their scale (`1.50`).
//!
//! Usage: `cargo test --test sqllogictests [-- FILTER]`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};

struct ZafraDb {
    ctx: SessionContext,
    /// The checkpoints of the last `CHECKPOINT ZAFRA VIEWS`, which the
    /// session reads, and the folder holding them (both removed when
    /// replaced or dropped, the scratch first).
    checkpoints: Option<(zafra::scratch::Scratch, tempfile::TempDir)>,
}

#[derive(Debug)]
struct DbError(String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

#[async_trait]
impl AsyncDB for ZafraDb {
    type Error = DbError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DbError> {
        let directive = sql.trim().trim_end_matches(';').to_ascii_uppercase();
        if directive == "RESET ZAFRA SESSION" {
            self.ctx = new_context()?;
            return Ok(DBOutput::StatementComplete(0));
        }
        if directive == "CHECKPOINT ZAFRA VIEWS" {
            self.checkpoints = Some(checkpoint_job_views(&self.ctx).await?);
            return Ok(DBOutput::StatementComplete(0));
        }
        if directive == "LOAD ZAFRA PREVIEW VIEWS" {
            zafra::views::register_preview_views(&self.ctx, zafra::views::PreviewMembers::Computed)
                .await
                .map_err(|e| DbError(error_chain(&e)))?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let views = match directive.as_str() {
            "LOAD ZAFRA VIEWS" => Some(zafra::views::job_views()),
            "LOAD ZAFRA DIFF VIEWS" => Some(zafra::views::diff_views()),
            "LOAD ZAFRA REPORT VIEWS" => Some(zafra::views::report_views()),
            _ => None,
        };
        if let Some(views) = views {
            let views = views.map_err(|e| DbError(error_chain(&e)))?;
            zafra::views::register_view_list(&self.ctx, &views)
                .await
                .map_err(|e| DbError(error_chain(&e)))?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let df = self
            .ctx
            .sql(sql)
            .await
            .map_err(|e| DbError(e.to_string()))?;
        let schema = df.schema().as_arrow().clone();
        let batches = df.collect().await.map_err(|e| DbError(e.to_string()))?;
        let is_statement = {
            let head = sql.trim_start().to_ascii_uppercase();
            ["CREATE", "INSERT", "DROP", "SET"]
                .iter()
                .any(|k| head.starts_with(k))
        };
        if is_statement {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let rows = format_rows(&batches)?;
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "zafra-datafusion"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

/// `CHECKPOINT ZAFRA VIEWS`: creates the job's views again, in order, over
/// the rows the file's tables hold now, as a run does
/// (`zafra::checkpoints::register_views_checkpointed`): the views a run
/// checkpoints are computed once into Parquet files in the returned scratch
/// folder (inside the returned temporary folder) and registered by URL. Later queries then plan each view over the views
/// it reads instead of inlining the whole stack below it: a view that reads
/// a deep view several times (`int_campaign_overlap` reads
/// `int_campaign_list_members` four times) takes minutes to plan inlined in
/// a debug build. Rows inserted afterwards are not seen by the checkpoints.
async fn checkpoint_job_views(
    ctx: &SessionContext,
) -> Result<(zafra::scratch::Scratch, tempfile::TempDir), DbError> {
    let views = zafra::views::job_views().map_err(|e| DbError(error_chain(&e)))?;
    for view in &views {
        ctx.deregister_table(view.name)
            .map_err(|e| DbError(e.to_string()))?;
    }
    // A folder of its own per call: files run on several threads at once.
    let folder = tempfile::tempdir().map_err(|e| DbError(e.to_string()))?;
    let scratch = zafra::scratch::Scratch::under(&folder.path().to_string_lossy())
        .map_err(|e| DbError(error_chain(&e)))?;
    zafra::checkpoints::register_views_checkpointed(ctx, &views, &[], &scratch)
        .await
        .map_err(|e| DbError(error_chain(&e)))?
        .map_err(|e| DbError(error_chain(&e)))?;
    Ok((scratch, folder))
}

fn new_context() -> Result<SessionContext, DbError> {
    zafra::session::context(zafra::session::SessionSettings::default())
        .map_err(|e| DbError(e.to_string()))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

fn column_type(t: &DataType) -> DefaultColumnType {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DefaultColumnType::Text,
        t if t.is_integer() => DefaultColumnType::Integer,
        t if t.is_floating() => DefaultColumnType::FloatingPoint,
        _ => DefaultColumnType::Any,
    }
}

fn format_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, DbError> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DbError(e.to_string()))?;
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| {
                        let v = f.value(row).to_string();
                        if v.is_empty() {
                            "(empty)".to_string()
                        } else {
                            v
                        }
                    })
                    .collect(),
            );
        }
    }
    Ok(rows)
}

/// The suite's layout against the views: the expected files
/// (`<layer folder>/<view>.slt`, relative to `tests/slt`) that do not exist,
/// and the `.slt` files that are not one of them. Both empty when the suite
/// is exactly one file per view.
fn layout_problems(root: &Path, files: &[PathBuf]) -> (Vec<String>, Vec<String>) {
    let listed = zafra::views::job_views().and_then(|job| {
        let diff = zafra::views::diff_views()?;
        let report = zafra::views::report_views()?;
        let (first, second) = zafra::views::preview_views()?;
        Ok(job
            .into_iter()
            .chain(diff)
            .chain(report)
            .chain(first)
            .chain(second))
    });
    let views = match listed {
        Ok(views) => views,
        Err(e) => panic!("listing the views: {}", error_chain(&e)),
    };
    let expected: BTreeSet<String> = views
        .map(|v| format!("{}/{}.slt", v.layer.folder(), v.name))
        .collect();
    let found: BTreeSet<String> = files
        .iter()
        .map(|f| {
            let relative = f.strip_prefix(root).unwrap_or(f);
            relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    (
        expected.difference(&found).cloned().collect(),
        found.difference(&expected).cloned().collect(),
    )
}

fn slt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            slt_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "slt") {
            out.push(path);
        }
    }
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let root = Path::new(&manifest_dir()).join("tests").join("slt");
    let mut all_files = Vec::new();
    slt_files(&root, &mut all_files);
    all_files.sort();
    // One file per view, whatever the filter: checked before running them.
    let (missing, extra) = layout_problems(&root, &all_files);
    let layout_ok = missing.is_empty() && extra.is_empty();
    if layout_ok {
        println!("ok    layout: one tests/slt/<layer>/<view>.slt per view");
    } else {
        println!("FAIL  layout: the suite must be one tests/slt/<layer>/<view>.slt per view");
        for file in &missing {
            println!("      missing: tests/slt/{file}");
        }
        for file in &extra {
            println!("      extra:   tests/slt/{file} (not a view of zafra::views)");
        }
        println!();
    }
    let files: Vec<_> = all_files
        .into_iter()
        .filter(|f| {
            filter
                .as_ref()
                .is_none_or(|p| f.to_string_lossy().contains(p.as_str()))
        })
        .collect();
    assert!(
        !files.is_empty(),
        "no .slt files found under {}",
        root.display()
    );
    let failures = run_files(&root, &files);
    if !failures.is_empty() || !layout_ok {
        let mut why = Vec::new();
        if !failures.is_empty() {
            why.push(format!(
                "{} of {} slt files failed: {}",
                failures.len(),
                files.len(),
                failures.join(", ")
            ));
        }
        if !layout_ok {
            why.push(format!(
                "not one file per view: {} missing, {} extra (listed above)",
                missing.len(),
                extra.len()
            ));
        }
        eprintln!("{}", why.join("; "));
        std::process::exit(1);
    }
    println!("{} slt files passed", files.len());
}

/// Runs the files on as many threads as the machine has cores
/// (`ZAFRA_SLT_THREADS` when set), each file on a fresh session and a
/// runtime of its own (two workers, as the job's). Prints each file's
/// outcome and wall time as it ends (in the order they end) and returns the
/// names of the files that failed, in the files' order. Planning a view
/// stack is single-threaded work: files in parallel, not partitions, keep
/// both cores busy.
fn run_files(root: &Path, files: &[PathBuf]) -> Vec<String> {
    let threads = std::env::var("ZAFRA_SLT_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, files.len().max(1));
    let name = |file: &PathBuf| {
        file.strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string()
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let passed: Vec<std::sync::atomic::AtomicBool> = files
        .iter()
        .map(|_| std::sync::atomic::AtomicBool::new(false))
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the slt files");
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(file) = files.get(i) else { break };
                    let started = std::time::Instant::now();
                    let outcome = runtime.block_on(run_file(file));
                    let secs = started.elapsed().as_secs_f64();
                    match &outcome {
                        Ok(()) => println!("ok    {} ({secs:.1} s)", name(file)),
                        Err(e) => println!("FAIL  {} ({secs:.1} s)\n{e}\n", name(file)),
                    }
                    passed[i].store(outcome.is_ok(), std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    // A file whose thread stopped (a panic) was never marked passed.
    files
        .iter()
        .zip(&passed)
        .filter(|(_, ok)| !ok.load(std::sync::atomic::Ordering::SeqCst))
        .map(|(file, _)| name(file))
        .collect()
}

/// One file on a fresh session: `Err` holds the runner's report.
async fn run_file(file: &Path) -> Result<(), String> {
    let mut runner = sqllogictest::Runner::new(|| async {
        Ok(ZafraDb {
            ctx: new_context()?,
            checkpoints: None,
        })
    });
    runner.run_file_async(file).await.map_err(|e| e.to_string())
}

/// The package folder at run time (cargo sets it when running tests): a
/// binary built from another checkout sharing the target folder still reads
/// this checkout's files.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
