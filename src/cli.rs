//! What the command line accepts.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "zafra",
    version,
    about = "Client segmentation and campaign membership snapshots for agribusiness distributors",
    after_help = "Exit codes: 0 success (or identical snapshot already present), 1 internal error, \
2 usage or configuration error, 3 input data error, 4 snapshot exists with other content, \
5 storage error."
)]
pub struct Cli {
    /// Log format on stderr (default: text on a terminal, json otherwise).
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute and publish the snapshot for a date. Without --config, runs the
    /// built-in demo (generated into ./zafra-out/_demo/, published to ./zafra-out/).
    Run(RunArgs),
    /// Generate a synthetic CRM dataset in the contract's input layout.
    Generate(GenerateArgs),
    /// Benchmark helper: decode the sales columns a run reads (the scan floor).
    #[command(hide = true)]
    ScanFloor {
        /// Input root.
        #[arg(long)]
        input: String,
    },
    /// Benchmark helper: run the SQL statements of a file (`;`-separated)
    /// over the input tables, printing each one's time and plan with metrics.
    #[command(hide = true)]
    ProfileSql {
        /// Input root.
        #[arg(long)]
        input: String,
        /// File of SQL statements.
        #[arg(long)]
        sql: std::path::PathBuf,
        /// Also create the run's views (checkpoints computed) as of this date,
        /// with the `[segments]` thresholds unset.
        #[arg(long)]
        views_as_of: Option<chrono::NaiveDate>,
    },
    /// List the committed snapshots under the output root.
    Snapshots(OutputArgs),
    /// Who joined and left each campaign, and whose segment changed, between
    /// two snapshots, each change with its causes.
    Diff(DiffArgs),
    /// Why a client has its figures, segment and memberships, or why a
    /// campaign has its members, from the inputs.
    Explain(ExplainArgs),
    /// Write a campaign's member list of a committed snapshot (with each
    /// client's name, branch and salesperson) as CSV or XLSX.
    Export(ExportArgs),
    /// What a campaign with these ranges would get on a committed snapshot,
    /// without a run: members, totals, label, segment mix, the effect of
    /// moving each bound by 10%, overlap with the season's campaigns.
    Preview(PreviewArgs),
    /// Write the commercial manager's report of a committed snapshot: one
    /// self-contained HTML file (segments, chart, campaigns, overlaps,
    /// changes since the previous snapshot, data health).
    Report(ReportArgs),
    /// Re-hash every file of committed snapshots against their manifests;
    /// exit 3 if any file is missing, extra or changed.
    Verify(VerifyArgs),
    /// Start a process of the cluster engine (`[engine] kind = "ballista"`):
    /// a Ballista scheduler or executor, with zafra's object-store setup.
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Run a Ballista scheduler: it plans each query into stages and hands
    /// their tasks to the executors. Runs until stopped.
    Scheduler(SchedulerArgs),
    /// Run a Ballista executor: it registers with the scheduler, runs tasks
    /// and serves its shuffle files to the other executors. Runs until
    /// stopped (SIGTERM or Ctrl-C).
    Executor(ExecutorArgs),
}

#[derive(Debug, clap::Args)]
pub struct SchedulerArgs {
    /// Address to listen on (default: loopback only).
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: std::net::SocketAddr,
    /// Seconds without a heartbeat after which an executor counts as lost
    /// and its tasks run again on the others.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub executor_timeout_secs: u64,
}

#[derive(Debug, clap::Args)]
pub struct ExecutorArgs {
    /// The scheduler, HOST:PORT.
    #[arg(long, value_parser = parse_host_port)]
    pub scheduler: (String, u16),
    /// Address of the shuffle (Arrow Flight) service (default: loopback only).
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub bind: std::net::SocketAddr,
    /// Port of the task service the scheduler pushes tasks to (default: the
    /// --bind port + 1), on the --bind address.
    #[arg(long)]
    pub grpc_port: Option<u16>,
    /// Host name the scheduler and other executors reach this one by
    /// (default: the --bind address).
    #[arg(long)]
    pub advertise: Option<String>,
    /// Folder for shuffle files and spills.
    #[arg(long)]
    pub work_dir: PathBuf,
    /// Tasks run at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub slots: u16,
    /// Memory pool of the executor, e.g. "4GiB"; beyond it sorts and
    /// aggregations spill to the work folder. Default: Ballista's (a share
    /// of the machine's memory).
    #[arg(long)]
    pub memory: Option<String>,
    /// Seconds between heartbeats to the scheduler (keep it well below the
    /// scheduler's --executor-timeout-secs).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub heartbeat_secs: u64,
}

fn parse_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not HOST:PORT"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("`{port}` in `{s}` is not a port number"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("`{s}` has no host"));
    }
    Ok((host.to_string(), port))
}

/// Where the snapshots are: a job config's output root, or --output.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Job configuration (TOML) whose `[output] root` to use.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output root (path or URL); overrides the config. Default: ./zafra-out (the demo's).
    #[arg(long)]
    pub output: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub location: OutputArgs,
    /// Verify the snapshot of this date.
    #[arg(long, value_parser = parse_date, conflicts_with = "all")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Verify every committed snapshot (the default when no --as-of is given).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Job configuration (TOML). Without it, the demo runs.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The as-of date D (YYYY-MM-DD). Default: today (the demo: its reference date).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Input root (path or URL); overrides `[input] root`.
    #[arg(long)]
    pub input: Option<String>,
    /// Output root (path or URL); overrides `[output] root`.
    #[arg(long)]
    pub output: Option<String>,
    /// Run every check and computation, publish nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Campaign problems (unknown season, min > max) fail the run with exit 3.
    #[arg(long)]
    pub strict: bool,
    /// Replace an existing snapshot with other content (the old one is kept under _history/).
    #[arg(long)]
    pub replace: bool,
    /// Do not print the summary on stdout.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Size: 1 ≈ 100k clients and 5M sales lines.
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
    pub scale: f64,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of campaigns (default: 20 × scale, at least 20).
    #[arg(long)]
    pub campaigns: Option<usize>,
    /// Make the extra campaigns narrow potential ranges (~0.1% of clients each).
    #[arg(long)]
    pub narrow_campaigns: bool,
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date in YYYY-MM-DD form"))
}

fn parse_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1000.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a scale between 0 (exclusive) and 1000"
        )),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
    Parquet,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub location: OutputArgs,
    /// The earlier snapshot's date.
    #[arg(long, value_parser = parse_date)]
    pub from: chrono::NaiveDate,
    /// The later snapshot's date.
    #[arg(long, value_parser = parse_date)]
    pub to: chrono::NaiveDate,
    /// Only this campaign's membership changes.
    #[arg(long)]
    pub campaign: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: DiffFormat,
    /// Folder for `--format parquet` (diff_memberships.parquet, diff_segments.parquet).
    #[arg(long, required_if_eq("format", "parquet"))]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The campaign whose members to write.
    #[arg(long)]
    pub campaign: String,
    /// The snapshot's date (default: the latest committed one).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Job configuration (TOML): its output root (the snapshots) and input
    /// root (the `clients` table). Without it, the demo's.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Output root; overrides the config.
    #[arg(long)]
    pub output: Option<String>,
    /// Input root; overrides the config.
    #[arg(long)]
    pub input: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The client to explain.
    #[arg(
        long,
        required_unless_present = "campaign",
        conflicts_with = "campaign"
    )]
    pub client: Option<String>,
    /// The campaign to explain: its diagnostics (how many clients pass each
    /// range, the nearest client outside each bound, why it is empty).
    #[arg(long)]
    pub campaign: Option<String>,
    /// Job configuration (TOML). Without it, the demo's.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The as-of date (default: today; the demo: its reference date).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Input root; overrides the config.
    #[arg(long)]
    pub input: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PreviewFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub location: OutputArgs,
    /// The campaign's season.
    #[arg(long)]
    pub season: String,
    /// The potential range MIN..MAX, `*` for an open end (5000..*); the
    /// rule's bounds are inclusive.
    #[arg(long, value_parser = parse_range, conflicts_with = "segment")]
    pub potential: Option<crate::preview::Range>,
    /// The billing range MIN..MAX, `*` for an open end (*..20000).
    #[arg(long, value_parser = parse_range, conflicts_with = "segment")]
    pub billing: Option<crate::preview::Range>,
    /// Preview the ranges that select exactly this segment
    /// (RETENCION, INVERSION, REVISION, NO_INVERSION) under the season's thresholds.
    #[arg(long)]
    pub segment: Option<String>,
    /// The snapshot's date (default: the latest committed one).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: PreviewFormat,
}

fn parse_range(s: &str) -> Result<crate::preview::Range, String> {
    crate::preview::Range::parse(s)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportLang {
    Es,
    En,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub location: OutputArgs,
    /// The snapshot's date (default: the latest committed one).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// The HTML file to write (default: zafra-report-<date>.html).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The report's language.
    #[arg(long, value_enum, default_value = "es")]
    pub lang: ReportLang,
}
