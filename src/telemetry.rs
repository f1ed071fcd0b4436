//! Logging: `tracing` to stderr, text on a terminal, JSON lines for schedulers.
//! The level comes from `ZAFRA_LOG` (e.g. `info`, `zafra=debug`); default `info`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

pub fn init(format: Option<LogFormat>) {
    let filter = EnvFilter::try_from_env("ZAFRA_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,datafusion=warn"));
    let json = match format {
        Some(LogFormat::Json) => true,
        Some(LogFormat::Text) => false,
        None => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
