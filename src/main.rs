//! The `zafra` binary: parse the command line, run, print the error chain,
//! return the contract's exit code.

use std::process::ExitCode;

use clap::Parser;
use zafra::cli::{
    Cli, Command, DiffArgs, DiffFormat, ExplainArgs, GenerateArgs, OutputArgs, RunArgs, VerifyArgs,
};
use zafra::config::{JobConfig, Overrides};
use zafra::{ExitStatus, RunOptions, demo, generate};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(ExitStatus::Usage.code()),
            };
        }
    };
    zafra::telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(ExitStatus::Internal.code());
        }
    };
    // Panics are bugs: report them once, as an internal error (exit 1). A panic
    // the library contains (a Parquet reader failing on a hostile file) only
    // reaches the debug log; the library turns it into an input error.
    std::panic::set_hook(Box::new(|info| {
        tracing::debug!(panic = %info, "panic");
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async {
            match cli.command {
                Command::Run(args) => run(args).await,
                Command::Generate(args) => generate_data(args),
                Command::Snapshots(args) => list_snapshots(args).await,
                Command::Verify(args) => verify(args).await,
                Command::Diff(args) => diff(args).await,
                Command::Explain(args) => explain(args).await,
                Command::ScanFloor { input } => scan_floor(&input).await,
                Command::ProfileSql {
                    input,
                    sql,
                    views_as_of,
                } => profile_sql(&input, &sql, views_as_of).await,
            }
        })
    }));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Err(panic) => {
            let message = zafra::inputs::panic_message(&panic);
            eprintln!("error: internal error (a bug): panic: {message}");
            ExitCode::from(ExitStatus::Internal.code())
        }
        Ok(Err(e)) => {
            let status = e.exit_status();
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(status.code())
        }
    }
}

async fn run(args: RunArgs) -> zafra::Result<()> {
    let (job, default_as_of) = match &args.config {
        Some(path) => {
            let overrides = Overrides {
                input_root: args.input.clone(),
                output_root: args.output.clone(),
            };
            (JobConfig::load(path, &overrides)?, today())
        }
        None => (
            demo::demo_job(args.output.as_deref(), args.input.as_deref())?,
            demo::demo_as_of(),
        ),
    };
    let options = RunOptions {
        dry_run: args.dry_run,
        strict: args.strict,
        replace: args.replace,
        clock: test_clock()?,
        pause_at: test_pause_at()?,
        ..RunOptions::new(args.as_of.unwrap_or(default_as_of))
    };
    let report = zafra::run(&job, &options).await?;
    if !args.quiet {
        print!("{}", report.summary());
    }
    // A dry run exits with the code the real run would return.
    match report
        .plan
        .as_ref()
        .and_then(|p| p.error(&report.manifest.snapshot_date))
    {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Test hook `ZAFRA_TEST_CLOCK_OFFSET_SECS`: shifts the clock the
/// publishing lease reads (a test sees another run's lease expire without
/// waiting for it).
fn test_clock() -> zafra::Result<zafra::lease::Clock> {
    match std::env::var("ZAFRA_TEST_CLOCK_OFFSET_SECS") {
        Err(_) => Ok(zafra::lease::Clock::System),
        Ok(text) => text
            .trim()
            .parse()
            .map(zafra::lease::Clock::OffsetSeconds)
            .map_err(|_| {
                zafra::error::ConfigError::Invalid(format!(
                    "ZAFRA_TEST_CLOCK_OFFSET_SECS: {} is not a whole number of seconds",
                    zafra::error::quoted(&text)
                ))
                .into()
            }),
    }
}

/// Test hook `ZAFRA_TEST_PAUSE_AT=<step>`: the run stops itself (SIGSTOP) at
/// that step of publishing, so a test can interleave another run.
fn test_pause_at() -> zafra::Result<Option<zafra::publish::Step>> {
    match std::env::var("ZAFRA_TEST_PAUSE_AT") {
        Err(_) => Ok(None),
        Ok(text) => text.parse().map(Some).map_err(|e: String| {
            zafra::error::ConfigError::Invalid(format!("ZAFRA_TEST_PAUSE_AT: {e}")).into()
        }),
    }
}

/// Today's date: the one place the job reads the clock.
fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn generate_data(args: GenerateArgs) -> zafra::Result<()> {
    let report = generate::generate(&generate::GenerateOptions {
        scale: args.scale,
        seed: args.seed,
        out: args.out.clone(),
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        campaigns: args.campaigns,
        narrow_campaigns: args.narrow_campaigns,
    })?;
    for table in &report.tables {
        println!(
            "{:<16} {:>10} rows  {} file(s)",
            table.table,
            table.rows,
            table.files.len()
        );
    }
    println!(
        "generated in {:.1}s into {}",
        report.elapsed.as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

/// The output root of `snapshots` / `verify`: --output, else the config's, else the demo's.
fn output_location(args: &OutputArgs) -> zafra::Result<zafra::storage::Location> {
    let root = match (&args.output, &args.config) {
        (Some(root), _) => root.clone(),
        (None, Some(path)) => zafra::config::output_root_of(path)?.ok_or_else(|| {
            zafra::error::ConfigError::Invalid(format!("{} has no [output] root", path.display()))
        })?,
        (None, None) => demo::DEMO_OUTPUT.to_string(),
    };
    Ok(zafra::storage::Location::parse(&root)?)
}

async fn list_snapshots(args: OutputArgs) -> zafra::Result<()> {
    let out = output_location(&args)?;
    let infos = zafra::snapshots::list(&out).await?;
    println!(
        "{:<12} {:<16} {:>15} {:>11} {:>9} {:>7}  replaced",
        "date", "run_id", "client_segments", "memberships", "campaigns", "rejects"
    );
    for i in &infos {
        println!(
            "{:<12} {:<16} {:>15} {:>11} {:>9} {:>7}  {}",
            i.snapshot_date,
            i.run_id,
            i.client_segments,
            i.memberships,
            i.campaigns,
            i.rejects,
            if i.replaced.is_empty() {
                "-".to_string()
            } else {
                i.replaced.join(", ")
            }
        );
    }
    println!("{} committed snapshot(s) in {}", infos.len(), out.display());
    Ok(())
}

async fn verify(args: VerifyArgs) -> zafra::Result<()> {
    let out = output_location(&args.location)?;
    let dates = match args.as_of {
        Some(d) => vec![d.format("%Y-%m-%d").to_string()],
        None => zafra::snapshots::committed_dates(&out).await?,
    };
    let mut bad = Vec::new();
    for date in &dates {
        let v = zafra::snapshots::verify(&out, date).await?;
        for leftover in &v.leftovers {
            println!(
                "      leftover of an interrupted run (removed by the next run of {date}): {leftover}"
            );
        }
        if v.problems.is_empty() {
            println!(
                "ok    {date} run {} ({} files)",
                v.run_id.as_deref().unwrap_or("-"),
                v.files_checked
            );
        } else {
            println!("FAIL  {date} run {}", v.run_id.as_deref().unwrap_or("-"));
            for p in &v.problems {
                println!("      {p}");
            }
            bad.push(date.clone());
        }
    }
    if bad.is_empty() {
        println!("{} snapshot(s) verified in {}", dates.len(), out.display());
        Ok(())
    } else {
        Err(zafra::Error::VerifyFailed(bad.join(", ")))
    }
}

async fn diff(args: DiffArgs) -> zafra::Result<()> {
    let out = output_location(&args.location)?;
    let report = zafra::diff::diff(
        &out,
        &zafra::diff::DiffOptions {
            from: args.from.format("%Y-%m-%d").to_string(),
            to: args.to.format("%Y-%m-%d").to_string(),
            campaign: args.campaign.clone(),
        },
    )
    .await?;
    match args.format {
        DiffFormat::Table => print!("{}", report.to_table()),
        DiffFormat::Json => println!("{}", report.to_json()),
        DiffFormat::Parquet => {
            let dir = args.out.clone().unwrap_or_default();
            std::fs::create_dir_all(&dir).map_err(|e| {
                zafra::Error::internal_from(format!("creating {}", dir.display()), e)
            })?;
            for (name, batches) in [
                ("diff_memberships", &report.memberships),
                ("diff_segments", &report.segments),
            ] {
                let path = dir.join(format!("{name}.parquet"));
                let schema = match batches.first() {
                    Some(b) => b.schema(),
                    None => continue,
                };
                let encoded = zafra::publish::encode("diff", schema, batches)?;
                std::fs::write(&path, &encoded.bytes).map_err(|e| {
                    zafra::Error::internal_from(format!("writing {}", path.display()), e)
                })?;
                println!("{} rows -> {}", encoded.rows, path.display());
            }
        }
    }
    Ok(())
}

async fn explain(args: ExplainArgs) -> zafra::Result<()> {
    let (job, default_as_of) = match &args.config {
        Some(path) => {
            let overrides = Overrides {
                input_root: args.input.clone(),
                output_root: Some(String::new()),
            };
            (JobConfig::load(path, &overrides)?, today())
        }
        None => (
            demo::demo_job(None, args.input.as_deref())?,
            demo::demo_as_of(),
        ),
    };
    let text =
        zafra::explain::explain(&job, args.as_of.unwrap_or(default_as_of), &args.client).await?;
    print!("{text}");
    Ok(())
}

async fn scan_floor(input: &str) -> zafra::Result<()> {
    let started = std::time::Instant::now();
    let rows = zafra::inputs::scan_sales(&zafra::storage::Location::parse(input)?).await?;
    println!(
        "{rows} rows decoded in {:.3}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn profile_sql(
    input: &str,
    sql: &std::path::Path,
    views_as_of: Option<chrono::NaiveDate>,
) -> zafra::Result<()> {
    let text = std::fs::read_to_string(sql)
        .map_err(|e| zafra::Error::storage_io(format!("reading {}", sql.display()), e))?;
    let root = zafra::storage::Location::parse(input)?;
    let tables = zafra::inputs::discover(&root).await?;
    let ctx = zafra::session::context(zafra::session::SessionSettings::default())?;
    zafra::inputs::register(&ctx, &root, &tables).await?;
    // Checkpoints live in the scratch folder until the statements have run.
    let _scratch = match views_as_of {
        None => None,
        Some(as_of) => {
            let scratch = zafra::views::Scratch::new()?;
            let thresholds = zafra::config::Thresholds::default();
            zafra::views::register_params(
                &ctx,
                &zafra::views::Params {
                    as_of,
                    base_currency: "USD",
                    thresholds: &thresholds,
                },
            )?;
            let timings =
                zafra::views::register_views_checkpointed(&ctx, zafra::views::VIEWS, &scratch)
                    .await
                    .map_err(|e| zafra::Error::internal_from("creating the views", e))??;
            for (stage, ms) in timings {
                println!("-- {stage}: {ms} ms");
            }
            Some(scratch)
        }
    };
    for statement in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let started = std::time::Instant::now();
        let (batches, plan) =
            async { zafra::views::collect_with_plan(ctx.sql(statement).await?).await }
                .await
                .map_err(|e| zafra::Error::internal_from("running a profiled statement", e))?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        println!(
            "-- {:.3}s, {rows} rows: {statement}\n{}",
            started.elapsed().as_secs_f64(),
            zafra::views::plan_with_metrics(plan.as_ref())
        );
    }
    Ok(())
}
