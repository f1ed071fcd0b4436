// Spike (2026-12-03, issue 10): do zafra's kinds of relations run on
// Ballista 55, with a real scheduler and executors as separate processes?
// Not part of zafra's build. It was built as its own crate:
//
//   [dependencies]
//   ballista = { version = "55.0.0", features = ["standalone"] }
//   ballista-scheduler = "55.0.0"
//   ballista-executor = "55.0.0"
//   datafusion = "=55.2.0"
//   tokio = { version = "1", features = ["full"] }
//
//   spike scheduler 50450 &
//   spike executor 50450 50461 50462 /tmp/bw1 &
//   spike executor 50450 50471 50472 /tmp/bw2 &
//   spike remote 50450 /work/s10/data/sales/      # or: spike SALES_DIR (standalone)
//
// Result: the scheduler and the executors were started from the library
// crates (`scheduler_process::start_server`,
// `executor_process::start_executor_process`), not the shipped binaries. A
// `df://` client ran:
//   - the parameter relation registered the way src/params.rs does it (a
//     view over a VALUES plan of typed literals);
//   - Parquet registered by path;
//   - a SQL view over both.
// Both executors wrote shuffle files, so the work was split over the two
// processes. The count and the Decimal128 sum (49 596 074 rows,
// 64149983683046.05) equal DuckDB's for the same filter. 18.1 s in a debug
// build; the standalone run took 19.5 s.
// `cargo generate-lockfile` resolves to DataFusion 55.2.0, arrow 59.3.2 and
// object_store 0.13.2 (366 packages).
// Still to check: zafra's checkpoints and publishing through the cluster,
// object-store (S3) setup on the executors, and killing an executor.
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
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        // scheduler PORT
        Some("scheduler") => {
            let port: u16 = args[2].parse().expect("port");
            let config = ballista_scheduler::config::SchedulerConfig::default()
                .with_hostname("127.0.0.1")
                .with_port(port);
            let cluster = ballista_scheduler::cluster::BallistaCluster::new_from_config(&config)
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
            let addr = format!("127.0.0.1:{port}").parse().expect("addr");
            ballista_scheduler::scheduler_process::start_server(cluster, addr, std::sync::Arc::new(config))
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
            return Ok(());
        }
        // executor SCHEDULER_PORT PORT GRPC_PORT WORK_DIR
        Some("executor") => {
            let config = ballista_executor::executor_process::ExecutorProcessConfig {
                scheduler_host: "127.0.0.1".into(),
                scheduler_port: args[2].parse().expect("port"),
                port: args[3].parse().expect("port"),
                grpc_port: args[4].parse().expect("port"),
                work_dir: Some(args[5].clone()),
                vcores: 1,
                ..Default::default()
            };
            ballista_executor::executor_process::start_executor_process(std::sync::Arc::new(config))
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
            return Ok(());
        }
        _ => {}
    }
    // [remote SCHEDULER_PORT] SALES_DIR
    let (ctx, dir) = if args.get(1).map(String::as_str) == Some("remote") {
        (SessionContext::remote(&format!("df://127.0.0.1:{}", args[2])).await?, args[3].clone())
    } else {
        (SessionContext::standalone().await?, args[1].clone())
    };
    let plan = LogicalPlanBuilder::values(vec![vec![
        lit(ScalarValue::Utf8(Some("USD".into()))),
        lit(ScalarValue::Date32(Some(20_543))),
    ]])?
    .build()?;
    let df = DataFrame::new(ctx.state(), plan);
    ctx.register_table("run_params", df.into_view())?;
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
