// Spike (2026-12-03, issue 10): do zafra's kinds of relations run on
// Ballista 55? Not part of the build. It was built as its own crate
// (Cargo.toml below) and run against the scale-10 sales:
//
//   [dependencies]
//   ballista = { version = "55.0.0", features = ["standalone"] }
//   datafusion = "=55.2.0"
//   tokio = { version = "1", features = ["full"] }
//
//   cargo run -- /work/s10/data/sales/
//
// Result: with a standalone Ballista context (the scheduler and one executor
// in the process, the plan serialized as a real cluster would), the parameter
// relation registered the way src/params.rs does it (a view over a VALUES
// plan of typed literals) worked. So did the Parquet folder registered by
// path and the SQL view over both. The count and the Decimal128 sum
// (49 596 074 rows, 64149983683046.05) equal DuckDB's for the same filter.
// 19.5 s in a debug build.
// `cargo generate-lockfile` with ballista, ballista-scheduler and
// ballista-executor 55.0.0 resolves to DataFusion 55.2.0, arrow 59.3.2 and
// object_store 0.13.2 (366 packages).
// Still to check: a remote scheduler and executors as separate processes,
// zafra's checkpoints, the object-store setup on the executors.
//! Spike: do zafra's kinds of relations run on Ballista 55 (standalone)?
//! 1. a parameter relation registered as zafra does (a view over a VALUES
//!    plan of typed literals), 2. Parquet registered by URL, 3. a view
//!    created by SQL over both, 4. a Decimal128 sum.
use ballista::prelude::*;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{LogicalPlanBuilder, lit};
use datafusion::prelude::*;

#[tokio::main]
async fn main() -> datafusion::error::Result<()> {
    let ctx = SessionContext::standalone().await?;
    let plan = LogicalPlanBuilder::values(vec![vec![
        lit(ScalarValue::Utf8(Some("USD".into()))),
        lit(ScalarValue::Date32(Some(20_543))),
    ]])?
    .build()?;
    let df = DataFrame::new(ctx.state(), plan);
    ctx.register_table("run_params", df.into_view())?;
    let dir = std::env::args().nth(1).expect("a sales folder");
    ctx.register_parquet("sales", &dir, ParquetReadOptions::default())
        .await?;
    ctx.sql(
        "CREATE VIEW counted AS SELECT p.column1 AS base, COUNT(*) AS n, \
         SUM(s.amount) AS total FROM run_params AS p CROSS JOIN sales AS s \
         WHERE s.document_date <= p.column2 GROUP BY p.column1",
    )
    .await?;
    let started = std::time::Instant::now();
    let batches = ctx.sql("SELECT * FROM counted").await?.collect().await?;
    println!("{}", datafusion::arrow::util::pretty::pretty_format_batches(&batches)?);
    println!("elapsed {:?}", started.elapsed());
    let batches = ctx
        .sql("SELECT arrow_typeof(total) FROM counted")
        .await?
        .collect()
        .await?;
    println!("{}", datafusion::arrow::util::pretty::pretty_format_batches(&batches)?);
    Ok(())
}
