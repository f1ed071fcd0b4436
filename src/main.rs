//! The `zafra` binary, a dispatcher: parse the command line, start tracing
//! and the runtime, run the command ([`zafra::commands::execute`]), print
//! what it returns, print the error chain, return the contract's exit code.

use std::process::ExitCode;

use clap::Parser;
use zafra::ExitStatus;
use zafra::cli::Cli;

/// glibc's allocator gives threads up to 8 arenas per core and keeps what a
/// stage frees in them for reuse, so a run's peak RSS grows with the number
/// of arenas its threads touched (tokio's workers, the blocking threads of
/// the encoders). Two per core keep a scale-10 run near 1.3 GiB instead of
/// 1.5 GiB, in the same time (BENCHMARKS.md, "Thresholds, parallel column
/// encoding, numeric passes, fewer malloc arenas"). A `MALLOC_ARENA_MAX` in
/// the environment wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn cap_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = i32::try_from(cores.saturating_mul(2)).unwrap_or(i32::MAX);
    // SAFETY: mallopt only sets a parameter of the allocator; it is called
    // first thing in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn cap_malloc_arenas() {}

fn main() -> ExitCode {
    cap_malloc_arenas();
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
    // reaches the debug log; the library turns it into an input error. The
    // cluster's processes log every panic of their tasks and services.
    let server = matches!(cli.command, zafra::cli::Command::Cluster(_));
    std::panic::set_hook(Box::new(move |info| {
        if server {
            tracing::error!(panic = %info, "panic");
        } else {
            tracing::debug!(panic = %info, "panic");
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(zafra::commands::execute(cli.command))
    }));
    match result {
        Err(panic) => {
            let message = zafra::inputs::panic_message(&panic);
            eprintln!("error: internal error (a bug): panic: {message}");
            ExitCode::from(ExitStatus::Internal.code())
        }
        Ok(Ok(printed)) => {
            print!("{}", printed.stdout);
            match printed.failure {
                None => ExitCode::SUCCESS,
                Some(e) => report(&e),
            }
        }
        Ok(Err(e)) => report(&e),
    }
}

/// Prints an error with its chain of causes; returns its exit code.
fn report(e: &zafra::Error) -> ExitCode {
    eprintln!("error: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
    ExitCode::from(e.exit_status().code())
}
