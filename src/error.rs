//! The library's error type. Every variant knows the contract's exit code.

use std::fmt;

/// Exit codes of the contract (for cron and Airflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success (also: snapshot already present and identical).
    Success = 0,
    /// 1: internal error (a bug).
    Internal = 1,
    /// 2: usage or configuration error.
    Usage = 2,
    /// 3: input data error; nothing published.
    InputData = 3,
    /// 4: a snapshot for the date exists with other content and `--replace` was not given.
    SnapshotConflict = 4,
    /// 5: storage error after retries; nothing published.
    Storage = 5,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// One problem with the input data; the message names table, file and column.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("table `{table}` not found: neither `{dir}` holds a .parquet file nor `{file}` exists")]
    MissingTable {
        table: String,
        dir: String,
        file: String,
    },
    #[error("table `{table}`, file `{file}`: missing required column `{column}`")]
    MissingColumn {
        table: String,
        file: String,
        column: String,
    },
    #[error(
        "table `{table}`, file `{file}`: column `{column}` has unusable type {found} (expected {expected})"
    )]
    BadColumnType {
        table: String,
        file: String,
        column: String,
        found: String,
        expected: String,
    },
    #[error("table `{table}`, file `{file}`: file is empty (0 bytes), not a parquet file")]
    EmptyFile { table: String, file: String },
    #[error("table `{table}`, file `{file}`: unreadable or corrupt parquet file")]
    CorruptFile {
        table: String,
        file: String,
        #[source]
        cause: ReadFailure,
    },
    #[error(
        "table `{table}`, file `{file}`, column `{column}`: text that is not UTF-8 (the Parquet reader rejects the column's page or dictionary, so no row is named)"
    )]
    NotUtf8 {
        table: String,
        file: String,
        column: String,
        #[source]
        cause: parquet::errors::ParquetError,
    },
    #[error("table `{table}`: {problem} for keys {}", keys.join(", "))]
    KeyProblems {
        table: String,
        problem: String,
        /// Up to 10 offending keys, quoted.
        keys: Vec<String>,
    },
    #[error(
        "table `{table}`: {rejected} of {total} rows rejected, more than max_reject_ratio {ratio} allows (see the reasons above)"
    )]
    TooManyRejects {
        table: String,
        rejected: u64,
        total: u64,
        ratio: f64,
    },
    /// One input value the job cannot read as its column's type (boxed: it
    /// names a lot).
    #[error(transparent)]
    BadValue(Box<BadValue>),
    /// A money figure that cannot be published exactly (boxed, likewise).
    #[error(transparent)]
    FigureOutOfRange(Box<FigureOutOfRange>),
    #[error("--strict: campaign problems: {}", notes.join("; "))]
    StrictCampaigns { notes: Vec<String> },
    #[error("reading the input data failed: {detail}")]
    Data {
        detail: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// Why the Parquet reader could not read an input file.
#[derive(Debug, thiserror::Error)]
pub enum ReadFailure {
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
    #[error("the parquet reader failed on it ({0})")]
    Panic(String),
    #[error("{0}")]
    Metadata(String),
}

/// One input value the job cannot read as its column's type (NaN, an
/// infinity, a number or date out of range, text that is not UTF-8).
#[derive(Debug, thiserror::Error)]
#[error("table `{table}`, file `{file}`, column `{column}`, key {key}: {problem}")]
pub struct BadValue {
    pub table: String,
    pub file: String,
    pub column: String,
    /// The row's key, as in `rejects.row_key`, quoted.
    pub key: String,
    /// What is wrong, naming the value.
    pub problem: String,
}

/// A money figure (a client's potential or billing, a campaign total) whose
/// exact value cannot be published as DECIMAL(38,2).
#[derive(Debug, thiserror::Error)]
#[error(
    "{figure} of {group} cannot be published exactly: {reason}; it sums table `{table}`, column `{column}`; example: file `{file}`, key {key}: {example}"
)]
pub struct FigureOutOfRange {
    /// `potential`, `billing`, `potential_total`, `billing_total`.
    pub figure: String,
    /// e.g. "client 'C1' in season '2025/26'".
    pub group: String,
    /// Why, naming the value.
    pub reason: String,
    pub table: String,
    pub column: String,
    pub file: String,
    /// The example row's key, quoted.
    pub key: String,
    /// The example row's contribution.
    pub example: String,
}

/// A configuration or usage problem (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("config file `{path}` is invalid")]
    Parse {
        path: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("config: {0}")]
    Invalid(String),
    #[error("storage root {root}: {problem}")]
    Root {
        /// The root as given, quoted.
        root: String,
        problem: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl ConfigError {
    /// A storage root that cannot be opened, with the cause if there is one.
    pub fn root(
        root: &str,
        problem: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        ConfigError::Root {
            root: quoted(root),
            problem: problem.into(),
            source,
        }
    }
}

/// Everything that can make a zafra operation fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(
        "a snapshot for {date} already exists with other content ({detail}); re-run with --replace to publish the new one and keep the old one under _history/"
    )]
    SnapshotConflict { date: String, detail: String },
    #[error(
        "another run of {date} is in progress ({holder}); this run published nothing: run it again once that one has ended"
    )]
    Busy { date: String, holder: String },
    #[error(
        "another run of {date} took over this run's lease ({by}): this run was paused or stalled for longer than the lease lasts, and published nothing"
    )]
    LeaseLost { date: String, by: String },
    #[error("storage error while {context}")]
    Storage {
        context: String,
        #[source]
        source: object_store::Error,
    },
    #[error("verify found problems in snapshot(s) {0}")]
    VerifyFailed(String),
    /// Something the command was asked about does not exist (a snapshot, a
    /// client): a usage error.
    #[error("{what}")]
    NotFound { what: String },
    /// A manifest that is not valid JSON of the manifest format.
    #[error("unreadable manifest {path}")]
    BadManifest {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    /// The memory pool of `[limits] memory` cannot hold what a query needs.
    #[error("`[limits] memory` is too small for this data")]
    MemoryExhausted {
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// The object store failed while a query read the input tables.
    #[error("storage error while reading the input tables")]
    InputStorage {
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// The Ballista cluster failed a query for a reason other than the input
    /// data: the scheduler is unreachable, an executor was lost, a job failed.
    #[error("the cluster at {scheduler} failed while {context}; nothing was published")]
    Cluster {
        scheduler: String,
        context: String,
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// A scheduler or executor process of `zafra cluster` could not start or
    /// stopped serving (a port in use, an unreachable scheduler).
    #[error("cluster process failed: {what}")]
    ClusterProcess {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("generating data failed")]
    Generate(#[from] crate::generate::GenerateError),
    #[error("internal error (a bug): {context}")]
    Internal {
        context: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Config(_) => ExitStatus::Usage,
            Error::Input(_) => ExitStatus::InputData,
            Error::SnapshotConflict { .. } => ExitStatus::SnapshotConflict,
            Error::Storage { .. } => ExitStatus::Storage,
            Error::Busy { .. } | Error::LeaseLost { .. } => ExitStatus::Storage,
            Error::VerifyFailed(_) => ExitStatus::InputData,
            Error::NotFound { .. } | Error::MemoryExhausted { .. } => ExitStatus::Usage,
            Error::BadManifest { .. } => ExitStatus::Internal,
            Error::InputStorage { .. } | Error::Cluster { .. } | Error::ClusterProcess { .. } => {
                ExitStatus::Storage
            }
            // The scale is validated by the CLI; what remains is writing files.
            Error::Generate(crate::generate::GenerateError::InvalidScale(_)) => ExitStatus::Usage,
            Error::Generate(_) => ExitStatus::Storage,
            Error::Internal { .. } => ExitStatus::Internal,
        }
    }

    pub fn internal(context: impl Into<String>) -> Self {
        Error::Internal {
            context: context.into(),
            source: None,
        }
    }

    pub fn internal_from(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Internal {
            context: context.into(),
            source: Some(Box::new(source)),
        }
    }

    /// A local file-system failure (scratch folder, local writes): exit 5.
    pub fn storage_io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Storage {
            context: context.into(),
            source: object_store::Error::Generic {
                store: "local",
                source: Box::new(source),
            },
        }
    }

    pub fn storage(context: impl Into<String>, source: object_store::Error) -> Self {
        Error::Storage {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Quotes a value for a message: `'value'`, with control characters escaped.
pub fn quoted(value: &str) -> String {
    struct Q<'a>(&'a str);
    impl fmt::Display for Q<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "'{}'", self.0.escape_debug())
        }
    }
    Q(value).to_string()
}
