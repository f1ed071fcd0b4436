//! The `zafra` binary: parse the command line, run, print the error chain,
//! return the contract's exit code.

use std::process::ExitCode;

use clap::Parser;
use zafra::cli::{Cli, Command, GenerateArgs, RunArgs};
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
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
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
        as_of: args.as_of.unwrap_or(default_as_of),
        dry_run: args.dry_run,
        strict: args.strict,
        replace: args.replace,
    };
    let report = zafra::run(&job, &options).await?;
    if !args.quiet {
        print!("{}", report.summary());
    }
    Ok(())
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
    })?;
    for table in &report.tables {
        println!("{:<16} {:>10} rows  {} file(s)", table.table, table.rows, table.files.len());
    }
    println!("generated in {:.1}s into {}", report.elapsed.as_secs_f64(), args.out.display());
    Ok(())
}
