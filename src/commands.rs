//! One library function per command of the binary: each takes the parsed
//! arguments, does the work and returns what to print, plus the error the
//! command ends with after printing (a verify that found problems, a dry run
//! that would exit 4). `main.rs` only dispatches, prints and maps errors to
//! exit codes.

use crate::cli::{
    ClusterCommand, Command, DiffArgs, DiffFormat, ExplainArgs, ExportArgs, ExportFormat,
    GenerateArgs, OutputArgs, PreviewArgs, PreviewFormat, ReportArgs, ReportLang, RunArgs,
    VerifyArgs,
};
use crate::config::{JobConfig, Overrides};
use crate::error::{ConfigError, Error, Result, quoted};
use crate::{RunOptions, demo, generate, render};

/// What a command prints on stdout, and how it ends.
pub struct Printed {
    pub stdout: String,
    /// The error to report after printing `stdout` (its exit code applies).
    pub failure: Option<Error>,
}

impl Printed {
    fn ok(stdout: String) -> Self {
        Printed {
            stdout,
            failure: None,
        }
    }
}

/// Runs one command.
pub async fn execute(command: Command) -> Result<Printed> {
    match command {
        Command::Run(args) => run(args).await,
        Command::Generate(args) => generate_data(args),
        Command::Snapshots(args) => list_snapshots(args).await,
        Command::Verify(args) => verify(args).await,
        Command::Diff(args) => diff(args).await,
        Command::Explain(args) => explain(args).await,
        Command::Export(args) => export(args).await,
        Command::Preview(args) => preview(args).await,
        Command::Report(args) => report(args).await,
        Command::Cluster(command) => cluster(command).await,
        Command::ScanFloor { input } => scan_floor(&input).await,
        Command::ProfileSql {
            input,
            sql,
            views_as_of,
        } => profile_sql(&input, &sql, views_as_of).await,
    }
}

/// Runs a scheduler or an executor until it is stopped.
async fn cluster(command: ClusterCommand) -> Result<Printed> {
    match command {
        ClusterCommand::Scheduler(args) => {
            crate::cluster::run_scheduler(crate::cluster::SchedulerOptions {
                bind: args.bind,
                executor_timeout_secs: args.executor_timeout_secs,
            })
            .await?;
        }
        ClusterCommand::Executor(args) => {
            let memory = args
                .memory
                .as_deref()
                .map(|m| {
                    crate::config::parse_size(m).map_err(|_| {
                        ConfigError::Invalid(format!(
                            "--memory {} is not a size of at least 32MiB such as \"4GiB\"",
                            quoted(m)
                        ))
                    })
                })
                .transpose()?;
            let grpc_port = match args.grpc_port {
                Some(port) => port,
                None => args.bind.port().checked_add(1).ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "--bind {}: no port after it for the task service; pass --grpc-port",
                        args.bind
                    ))
                })?,
            };
            crate::cluster::run_executor(crate::cluster::ExecutorOptions {
                scheduler_host: args.scheduler.0,
                scheduler_port: args.scheduler.1,
                bind: args.bind,
                grpc_port,
                advertise: args.advertise,
                work_dir: args.work_dir,
                slots: usize::from(args.slots),
                memory,
                heartbeat_secs: args.heartbeat_secs,
            })
            .await?;
        }
    }
    Ok(Printed::ok(String::new()))
}

async fn run(args: RunArgs) -> Result<Printed> {
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
    let report = crate::run(&job, &options).await?;
    Ok(Printed {
        stdout: if args.quiet {
            String::new()
        } else {
            render::run(&report)
        },
        // A dry run exits with the code the real run would return.
        failure: report
            .plan
            .as_ref()
            .and_then(|p| p.error(&report.manifest.snapshot_date)),
    })
}

/// Test hook `ZAFRA_TEST_CLOCK_OFFSET_SECS`: shifts the clock the
/// publishing lease reads (a test sees another run's lease expire without
/// waiting for it).
fn test_clock() -> Result<crate::lease::Clock> {
    match std::env::var("ZAFRA_TEST_CLOCK_OFFSET_SECS") {
        Err(_) => Ok(crate::lease::Clock::System),
        Ok(text) => text
            .trim()
            .parse()
            .map(crate::lease::Clock::OffsetSeconds)
            .map_err(|_| {
                ConfigError::Invalid(format!(
                    "ZAFRA_TEST_CLOCK_OFFSET_SECS: {} is not a whole number of seconds",
                    quoted(&text)
                ))
                .into()
            }),
    }
}

/// Test hook `ZAFRA_TEST_PAUSE_AT=<step>`: the run stops itself (SIGSTOP) at
/// that step of publishing, so a test can interleave another run.
fn test_pause_at() -> Result<Option<crate::publish::Step>> {
    match std::env::var("ZAFRA_TEST_PAUSE_AT") {
        Err(_) => Ok(None),
        Ok(text) => text
            .parse()
            .map(Some)
            .map_err(|e: String| ConfigError::Invalid(format!("ZAFRA_TEST_PAUSE_AT: {e}")).into()),
    }
}

/// Today's date: the one place the job reads the clock.
fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn generate_data(args: GenerateArgs) -> Result<Printed> {
    let report = generate::generate(&generate::GenerateOptions {
        scale: args.scale,
        seed: args.seed,
        out: args.out.clone(),
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        campaigns: args.campaigns,
        narrow_campaigns: args.narrow_campaigns,
    })?;
    Ok(Printed::ok(render::generate(&report, &args.out)))
}

/// The output root of `snapshots` / `verify`: --output, else the config's, else the demo's.
fn output_location(args: &OutputArgs) -> Result<crate::storage::Location> {
    let root = match (&args.output, &args.config) {
        (Some(root), _) => root.clone(),
        (None, Some(path)) => crate::config::output_root_of(path)?.ok_or_else(|| {
            ConfigError::Invalid(format!("{} has no [output] root", path.display()))
        })?,
        (None, None) => demo::DEMO_OUTPUT.to_string(),
    };
    Ok(crate::storage::Location::parse(&root)?)
}

async fn list_snapshots(args: OutputArgs) -> Result<Printed> {
    let out = output_location(&args)?;
    let infos = crate::snapshots::list(&out).await?;
    Ok(Printed::ok(render::snapshots(&infos, out.display())))
}

/// Verifies one or every committed snapshot; problems in any of them end
/// the command with [`Error::VerifyFailed`] (exit 3) after the report.
async fn verify(args: VerifyArgs) -> Result<Printed> {
    let out = output_location(&args.location)?;
    let dates = match args.as_of {
        Some(d) => vec![d.format("%Y-%m-%d").to_string()],
        None => crate::snapshots::committed_dates(&out).await?,
    };
    let mut stdout = String::new();
    let mut bad = Vec::new();
    for date in &dates {
        let v = crate::snapshots::verify(&out, date).await?;
        stdout.push_str(&render::verification(&v));
        if !v.problems.is_empty() {
            bad.push(date.clone());
        }
    }
    if bad.is_empty() {
        stdout.push_str(&format!(
            "{} snapshot(s) verified in {}\n",
            dates.len(),
            out.display()
        ));
        Ok(Printed::ok(stdout))
    } else {
        Ok(Printed {
            stdout,
            failure: Some(Error::VerifyFailed(bad.join(", "))),
        })
    }
}

async fn diff(args: DiffArgs) -> Result<Printed> {
    let out = output_location(&args.location)?;
    let report = crate::diff::diff(
        &out,
        &crate::diff::DiffOptions {
            from: args.from.format("%Y-%m-%d").to_string(),
            to: args.to.format("%Y-%m-%d").to_string(),
            campaign: args.campaign.clone(),
        },
    )
    .await?;
    let stdout = match args.format {
        DiffFormat::Table => render::diff(&report, false),
        DiffFormat::Json => render::diff(&report, true),
        DiffFormat::Parquet => {
            let dir = args.out.clone().unwrap_or_default();
            crate::diff::export_parquet(&report, &dir)?
                .into_iter()
                .map(|(rows, path)| format!("{rows} rows -> {}\n", path.display()))
                .collect()
        }
    };
    Ok(Printed::ok(stdout))
}

async fn explain(args: ExplainArgs) -> Result<Printed> {
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
    let as_of = args.as_of.unwrap_or(default_as_of);
    let text = match (&args.client, &args.campaign) {
        (Some(client), _) => crate::explain::explain(&job, as_of, client).await?,
        (None, Some(campaign)) => crate::explain::explain_campaign(&job, as_of, campaign).await?,
        (None, None) => {
            return Err(ConfigError::Invalid("explain needs --client or --campaign".into()).into());
        }
    };
    Ok(Printed::ok(text))
}

async fn export(args: ExportArgs) -> Result<Printed> {
    let job = match &args.config {
        Some(path) => {
            let overrides = Overrides {
                input_root: args.input.clone(),
                output_root: args.output.clone(),
            };
            JobConfig::load(path, &overrides)?
        }
        None => demo::demo_job(args.output.as_deref(), args.input.as_deref())?,
    };
    let output_root = crate::storage::Location::parse(&job.output_root)?;
    let input_root = crate::storage::Location::parse(&job.input_root)?;
    let report = crate::export::export(&crate::export::ExportRequest {
        output_root: &output_root,
        input_root: &input_root,
        snapshot_date: args.as_of.map(|d| d.format("%Y-%m-%d").to_string()),
        campaign: &args.campaign,
        format: match args.format {
            ExportFormat::Csv => crate::export::Format::Csv,
            ExportFormat::Xlsx => crate::export::Format::Xlsx,
        },
        out: &args.out,
    })
    .await?;
    Ok(Printed::ok(render::export(&report)))
}

async fn preview(args: PreviewArgs) -> Result<Printed> {
    let out = output_location(&args.location)?;
    let report = crate::preview::preview(
        &out,
        &crate::preview::PreviewRequest {
            snapshot_date: args.as_of.map(|d| d.format("%Y-%m-%d").to_string()),
            season: args.season.clone(),
            potential: args.potential,
            billing: args.billing,
            segment: args.segment.clone(),
        },
    )
    .await?;
    Ok(Printed::ok(match args.format {
        PreviewFormat::Table => render::preview(&report),
        PreviewFormat::Json => render::preview_json(&report)?,
    }))
}

async fn report(args: ReportArgs) -> Result<Printed> {
    let out = output_location(&args.location)?;
    let written = crate::report::write(
        &out,
        &crate::report::ReportRequest {
            snapshot_date: args.as_of.map(|d| d.format("%Y-%m-%d").to_string()),
            out: args.out.clone(),
            lang: match args.lang {
                ReportLang::Es => crate::report::Lang::Es,
                ReportLang::En => crate::report::Lang::En,
            },
        },
    )
    .await?;
    Ok(Printed::ok(render::report(&written)))
}

async fn scan_floor(input: &str) -> Result<Printed> {
    let started = std::time::Instant::now();
    let rows = crate::inputs::scan_sales(&crate::storage::Location::parse(input)?).await?;
    Ok(Printed::ok(format!(
        "{rows} rows decoded in {:.3}s\n",
        started.elapsed().as_secs_f64()
    )))
}

async fn profile_sql(
    input: &str,
    sql: &std::path::Path,
    views_as_of: Option<chrono::NaiveDate>,
) -> Result<Printed> {
    let mut stdout = String::new();
    let text = std::fs::read_to_string(sql)
        .map_err(|e| Error::storage_io(format!("reading {}", sql.display()), e))?;
    let root = crate::storage::Location::parse(input)?;
    let tables = crate::inputs::discover(&root).await?;
    let ctx = crate::session::context(crate::session::SessionSettings::default())?;
    crate::inputs::register(&ctx, &root, &tables).await?;
    // Checkpoints live in the scratch folder until the statements have run.
    let _scratch = match views_as_of {
        None => None,
        Some(as_of) => {
            let scratch = crate::scratch::Scratch::new()?;
            let thresholds = crate::config::Thresholds::default();
            crate::params::register_params(
                &ctx,
                &crate::params::Params {
                    as_of,
                    base_currency: "USD",
                    thresholds: &thresholds,
                    explain_client: None,
                },
            )?;
            let timings = crate::checkpoints::register_views_checkpointed(
                &ctx,
                &crate::views::job_views()?,
                &tables,
                &scratch,
            )
            .await
            .map_err(|e| Error::internal_from("creating the views", e))??;
            for (stage, ms) in timings {
                stdout.push_str(&format!("-- {stage}: {ms} ms\n"));
            }
            Some(scratch)
        }
    };
    for statement in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let started = std::time::Instant::now();
        let (batches, plan) =
            async { crate::checkpoints::collect_with_plan(ctx.sql(statement).await?).await }
                .await
                .map_err(|e| Error::internal_from("running a profiled statement", e))?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        stdout.push_str(&format!(
            "-- {:.3}s, {rows} rows: {statement}\n{}\n",
            started.elapsed().as_secs_f64(),
            crate::checkpoints::plan_with_metrics(plan.as_ref())
        ));
    }
    Ok(Printed::ok(stdout))
}
