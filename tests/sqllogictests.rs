//! Runs every `tests/slt/**/*.slt` file against zafra's SQL views on a fresh
//! DataFusion session with the job's session configuration.
//!
//! Two directives are added to plain SQL: the statement `LOAD ZAFRA VIEWS`
//! creates every view of a run (in the binary's order) over the tables the
//! file has created so far, and `LOAD ZAFRA DIFF VIEWS` the views of
//! `zafra diff`. `tests/slt/inputs.slt.part` creates the input
//! tables (canonical types) and the parameter tables, empty; files insert
//! their own rows.
//!
//! Values are printed with Arrow's display: NULL as `NULL`, an empty string
//! as `(empty)`, decimals with their scale (`1.50`).
//!
//! Usage: `cargo test --test sqllogictests [-- FILTER]`.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};

struct ZafraDb {
    ctx: SessionContext,
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
        let views = match directive.as_str() {
            "LOAD ZAFRA VIEWS" => Some(zafra::views::job_views()),
            "LOAD ZAFRA DIFF VIEWS" => Some(zafra::views::diff_views()),
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

#[tokio::main]
async fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let root = Path::new(&manifest_dir()).join("tests").join("slt");
    let mut files = Vec::new();
    slt_files(&root, &mut files);
    files.sort();
    let files: Vec<_> = files
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
    let mut failures = Vec::new();
    for file in &files {
        let mut runner = sqllogictest::Runner::new(|| async {
            Ok(ZafraDb {
                ctx: zafra::session::context(zafra::session::SessionSettings::default())
                    .map_err(|e| DbError(e.to_string()))?,
            })
        });
        let name = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        match runner.run_file_async(file).await {
            Ok(()) => println!("ok    {name}"),
            Err(e) => {
                println!("FAIL  {name}\n{e}\n");
                failures.push(name);
            }
        }
    }
    if !failures.is_empty() {
        eprintln!(
            "{} of {} slt files failed: {}",
            failures.len(),
            files.len(),
            failures.join(", ")
        );
        std::process::exit(1);
    }
    println!("{} slt files passed", files.len());
}

/// The package folder at run time (cargo sets it when running tests): a
/// binary built from another checkout sharing the target folder still reads
/// this checkout's files.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
