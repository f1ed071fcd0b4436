//! Typed job configuration: the TOML file, then command-line overrides,
//! resolved into a [`JobConfig`].

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ConfigError, quoted};

/// The configuration file as written by the user. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub base_currency: Option<String>,
    #[serde(default)]
    pub input: InputSection,
    #[serde(default)]
    pub output: OutputSection,
    #[serde(default)]
    pub segments: SegmentsSection,
    #[serde(default)]
    pub limits: LimitsSection,
    #[serde(default)]
    pub engine: EngineSection,
}

/// `[engine]`: where the queries run. Not part of the config digest: the
/// engine changes no result (the cluster's snapshots are byte-identical).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    /// "local" (default: DataFusion embedded in the process) or "ballista".
    pub kind: Option<String>,
    /// The Ballista scheduler, `df://host:port`.
    pub scheduler: Option<String>,
    /// Where checkpoints go on a cluster: a URL (`s3://bucket/prefix`,
    /// `file:///…`) or a path every node sees under the same name.
    pub scratch: Option<String>,
    /// Seconds to wait for the scheduler to accept a connection (default 10).
    pub connect_timeout_secs: Option<u64>,
}

/// The resolved `[engine]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Engine {
    /// DataFusion embedded in the process.
    #[default]
    Local,
    /// A Ballista cluster runs every checkpoint and output query.
    Cluster(ClusterEngine),
}

/// `[engine] kind = "ballista"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterEngine {
    /// `df://host:port`, as written.
    pub scheduler: String,
    /// The scratch root (URL or shared path), as written.
    pub scratch: String,
    pub connect_timeout_secs: u64,
}

pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSection {
    pub root: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    pub root: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentsSection {
    pub high_potential: Option<ThresholdValue>,
    pub high_billing: Option<ThresholdValue>,
    #[serde(default)]
    pub season: BTreeMap<String, SeasonSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeasonSection {
    pub high_potential: Option<ThresholdValue>,
    pub high_billing: Option<ThresholdValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    pub max_reject_ratio: Option<f64>,
    /// Memory for query execution, e.g. "1GiB"; beyond it sorts, joins and
    /// aggregations spill to the temporary folder.
    pub memory: Option<String>,
}

/// A threshold as written: a string such as `"5000.50"` or an integer.
/// Floats are refused: they cannot say 0.1 exactly.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ThresholdValue {
    Text(String),
    Integer(i64),
    Float(f64),
}

/// One pair of thresholds; `None` means "not configured here".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ThresholdPair {
    pub high_potential: Option<Decimal>,
    pub high_billing: Option<Decimal>,
}

/// The thresholds of the configuration: a default and per-season overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    pub default: ThresholdPair,
    pub season: BTreeMap<String, ThresholdPair>,
}

/// The resolved job: everything a run needs besides the as-of date and flags.
/// Its digest covers what decides the results (base currency, thresholds,
/// reject ratio), not where data lives nor how much memory the run may use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobConfig {
    pub base_currency: String,
    #[serde(skip)]
    pub input_root: String,
    #[serde(skip)]
    pub output_root: String,
    pub thresholds: Thresholds,
    pub max_reject_ratio: f64,
    /// `[limits] memory` in bytes; `None` = unlimited.
    #[serde(skip)]
    pub memory_limit: Option<u64>,
    /// `[engine]`: where the queries run (no result depends on it).
    #[serde(skip)]
    pub engine: Engine,
}

/// Command-line values that override the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub input_root: Option<String>,
    pub output_root: Option<String>,
}

pub const DEFAULT_MAX_REJECT_RATIO: f64 = 0.01;

impl JobConfig {
    /// Reads and resolves a configuration file, then applies the overrides.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string(), overrides)
    }

    /// Parses configuration text; `origin` names it in messages.
    pub fn from_toml(text: &str, origin: &str, overrides: &Overrides) -> Result<Self, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            source: Box::new(e),
        })?;
        Self::resolve(file, overrides)
    }

    pub fn resolve(file: ConfigFile, overrides: &Overrides) -> Result<Self, ConfigError> {
        let base_currency = file.base_currency.ok_or_else(|| {
            ConfigError::Invalid("`base_currency` is required (e.g. \"USD\")".into())
        })?;
        if base_currency.trim().is_empty() || base_currency.trim() != base_currency {
            return Err(ConfigError::Invalid(format!(
                "`base_currency` {} must be a non-empty code without spaces",
                quoted(&base_currency)
            )));
        }
        let input_root = overrides
            .input_root
            .clone()
            .or(file.input.root)
            .ok_or_else(|| {
                ConfigError::Invalid("no input root: set `[input] root` or pass --input".into())
            })?;
        let output_root = overrides
            .output_root
            .clone()
            .or(file.output.root)
            .ok_or_else(|| {
                ConfigError::Invalid("no output root: set `[output] root` or pass --output".into())
            })?;
        let max_reject_ratio = file
            .limits
            .max_reject_ratio
            .unwrap_or(DEFAULT_MAX_REJECT_RATIO);
        if !(0.0..=1.0).contains(&max_reject_ratio) {
            return Err(ConfigError::Invalid(format!(
                "`[limits] max_reject_ratio` = {max_reject_ratio} must be between 0 and 1"
            )));
        }
        let default = ThresholdPair {
            high_potential: threshold("segments.high_potential", file.segments.high_potential)?,
            high_billing: threshold("segments.high_billing", file.segments.high_billing)?,
        };
        let mut season = BTreeMap::new();
        for (season_id, s) in file.segments.season {
            let key = |name: &str| format!("segments.season.{}.{name}", quoted(&season_id));
            let pair = ThresholdPair {
                high_potential: threshold(&key("high_potential"), s.high_potential)?,
                high_billing: threshold(&key("high_billing"), s.high_billing)?,
            };
            season.insert(season_id, pair);
        }
        let memory_limit = file.limits.memory.as_deref().map(parse_size).transpose()?;
        let engine = engine(file.engine)?;
        Ok(JobConfig {
            base_currency,
            input_root,
            output_root,
            thresholds: Thresholds { default, season },
            max_reject_ratio,
            memory_limit,
            engine,
        })
    }

    /// SHA-256 of the canonical JSON of the resolved configuration.
    pub fn digest(&self) -> String {
        // serde_json of a struct of strings, decimals (as strings) and BTreeMaps is
        // canonical: field order is declaration order and maps are sorted.
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("sha256:{}", hex(&Sha256::digest(&json)))
    }
}

/// The `[output] root` of a configuration file, for commands that only read
/// snapshots (the rest of the file is still checked for unknown keys).
pub fn output_root_of(path: &Path) -> Result<Option<String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.display().to_string(),
        source: Box::new(e),
    })?;
    Ok(file.output.root)
}

/// Resolves `[engine]`: `ballista` needs a `df://host:port` scheduler and a
/// scratch root; `local` takes no other key.
fn engine(section: EngineSection) -> Result<Engine, ConfigError> {
    let kind = section.kind.as_deref().unwrap_or("local");
    match kind {
        "local" => {
            if section.scheduler.is_some() || section.scratch.is_some() {
                return Err(ConfigError::Invalid(
                    "`[engine] scheduler` and `scratch` need `kind = \"ballista\"`".into(),
                ));
            }
            Ok(Engine::Local)
        }
        "ballista" => {
            let scheduler = section.scheduler.ok_or_else(|| {
                ConfigError::Invalid(
                    "`[engine] kind = \"ballista\"` needs `scheduler = \"df://host:port\"`".into(),
                )
            })?;
            let parsed = url::Url::parse(&scheduler).ok();
            let valid = parsed.as_ref().is_some_and(|u| {
                u.scheme() == "df"
                    && u.host_str().is_some_and(|h| !h.is_empty())
                    && u.port().is_some()
                    && (u.path().is_empty() || u.path() == "/")
            });
            if !valid {
                return Err(ConfigError::Invalid(format!(
                    "`[engine] scheduler` = {} is not a `df://host:port` address",
                    quoted(&scheduler)
                )));
            }
            let scratch = section.scratch.ok_or_else(|| {
                ConfigError::Invalid(
                    "`[engine] kind = \"ballista\"` needs `scratch`: a URL or path every node sees (checkpoints go there)".into(),
                )
            })?;
            let connect_timeout_secs = section
                .connect_timeout_secs
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECS);
            if connect_timeout_secs == 0 {
                return Err(ConfigError::Invalid(
                    "`[engine] connect_timeout_secs` must be at least 1".into(),
                ));
            }
            Ok(Engine::Cluster(ClusterEngine {
                scheduler,
                scratch,
                connect_timeout_secs,
            }))
        }
        other => Err(ConfigError::Invalid(format!(
            "`[engine] kind` = {} is not \"local\" or \"ballista\"",
            quoted(other)
        ))),
    }
}

/// "1GiB", "512MiB", "2GB", "1048576" → bytes (at least 32 MiB).
pub fn parse_size(text: &str) -> Result<u64, ConfigError> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let bad = || {
        ConfigError::Invalid(format!(
            "`[limits] memory` = {} is not a size such as \"1GiB\" or \"512MiB\"",
            quoted(text)
        ))
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(bad()),
    };
    let bytes = n.checked_mul(factor).ok_or_else(bad)?;
    if bytes < 32 << 20 {
        return Err(ConfigError::Invalid(format!(
            "`[limits] memory` = {} is below the minimum of 32MiB",
            quoted(text)
        )));
    }
    Ok(bytes)
}

fn threshold(key: &str, value: Option<ThresholdValue>) -> Result<Option<Decimal>, ConfigError> {
    let Some(value) = value else { return Ok(None) };
    let decimal = match value {
        ThresholdValue::Integer(i) => Decimal::from(i),
        ThresholdValue::Text(s) => s.trim().parse::<Decimal>().map_err(|_| {
            ConfigError::Invalid(format!("`{key}` = {} is not a decimal number", quoted(&s)))
        })?,
        ThresholdValue::Float(f) => {
            return Err(ConfigError::Invalid(format!(
                "`{key}` = {f} is a float; write thresholds as strings (\"{f}\") so they are exact"
            )));
        }
    };
    if decimal.scale() > 2 {
        return Err(ConfigError::Invalid(format!(
            "`{key}` = {decimal} has more than 2 decimals"
        )));
    }
    Ok(Some(decimal))
}

/// Lowercase hexadecimal of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<JobConfig, ConfigError> {
        JobConfig::from_toml(text, "test.toml", &Overrides::default())
    }

    const BASE: &str =
        "base_currency = \"USD\"\n[input]\nroot = \"in\"\n[output]\nroot = \"out\"\n";

    #[test]
    fn full_example_parses() {
        let cfg = parse(&format!(
            "{BASE}[segments]\nhigh_potential = \"5000\"\nhigh_billing = 4000\n\
             [segments.season.\"2025/26\"]\nhigh_potential = \"8000.50\"\n[limits]\nmax_reject_ratio = 0.02\n"
        ))
        .unwrap();
        assert_eq!(
            cfg.thresholds.default.high_potential,
            Some(Decimal::from(5000))
        );
        assert_eq!(
            cfg.thresholds.default.high_billing,
            Some(Decimal::from(4000))
        );
        let s = &cfg.thresholds.season["2025/26"];
        assert_eq!(s.high_potential, Some("8000.50".parse().unwrap()));
        assert_eq!(s.high_billing, None);
        assert_eq!(cfg.max_reject_ratio, 0.02);
    }

    /// An error with its causes, as the binary prints them.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        text
    }

    #[test]
    fn unknown_key_is_an_error() {
        let err = parse(&format!("{BASE}[segments]\nhigh_potencial = \"1\"\n")).unwrap_err();
        assert!(chain(&err).contains("high_potencial"), "{}", chain(&err));
    }

    #[test]
    fn three_decimals_is_an_error() {
        let err = parse(&format!("{BASE}[segments]\nhigh_billing = \"1.005\"\n")).unwrap_err();
        assert!(
            chain(&err).contains("more than 2 decimals"),
            "{}",
            chain(&err)
        );
    }

    #[test]
    fn float_threshold_is_an_error() {
        let err = parse(&format!("{BASE}[segments]\nhigh_billing = 1.5\n")).unwrap_err();
        assert!(chain(&err).contains("float"), "{}", chain(&err));
    }

    #[test]
    fn overrides_win_and_roots_are_required() {
        let o = Overrides {
            input_root: Some("x".into()),
            output_root: None,
        };
        let cfg = JobConfig::from_toml(BASE, "t", &o).unwrap();
        assert_eq!(cfg.input_root, "x");
        assert!(parse("base_currency = \"USD\"\n").is_err());
    }

    #[test]
    fn the_engine_is_local_unless_a_cluster_is_configured() {
        assert_eq!(parse(BASE).unwrap().engine, Engine::Local);
        let cfg = parse(&format!(
            "{BASE}[engine]\nkind = \"ballista\"\nscheduler = \"df://10.0.0.5:50050\"\nscratch = \"s3://b/scratch\"\n"
        ))
        .unwrap();
        assert_eq!(
            cfg.engine,
            Engine::Cluster(ClusterEngine {
                scheduler: "df://10.0.0.5:50050".into(),
                scratch: "s3://b/scratch".into(),
                connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT_SECS,
            })
        );
        // The engine changes no result, so not the digest either.
        assert_eq!(cfg.digest(), parse(BASE).unwrap().digest());
    }

    #[test]
    fn the_example_configs_in_jobs_parse() {
        for (name, text) in [
            ("nightly.toml", include_str!("../jobs/nightly.toml")),
            ("demo.toml", include_str!("../jobs/demo.toml")),
            (
                "cluster/nightly-cluster.toml",
                include_str!("../jobs/cluster/nightly-cluster.toml"),
            ),
        ] {
            let cfg = JobConfig::from_toml(text, name, &Overrides::default());
            assert!(cfg.is_ok(), "{name}: {cfg:?}");
        }
        let cluster = JobConfig::from_toml(
            include_str!("../jobs/cluster/nightly-cluster.toml"),
            "cluster",
            &Overrides::default(),
        )
        .unwrap();
        assert!(matches!(cluster.engine, Engine::Cluster(_)));
    }

    #[test]
    fn a_bad_engine_section_names_the_key_and_value() {
        let cases = [
            ("kind = \"spark\"", "`[engine] kind` = 'spark'"),
            ("kind = \"ballista\"\nscratch = \"/s\"", "needs `scheduler"),
            (
                "kind = \"ballista\"\nscheduler = \"http://h:1\"\nscratch = \"/s\"",
                "`[engine] scheduler` = 'http://h:1'",
            ),
            (
                "kind = \"ballista\"\nscheduler = \"df://h\"\nscratch = \"/s\"",
                "`[engine] scheduler` = 'df://h'",
            ),
            (
                "kind = \"ballista\"\nscheduler = \"df://h:1\"",
                "needs `scratch`",
            ),
            ("scheduler = \"df://h:1\"", "need `kind = \"ballista\"`"),
            (
                "kind = \"ballista\"\nscheduler = \"df://h:1\"\nscratch = \"/s\"\nconnect_timeout_secs = 0",
                "at least 1",
            ),
            ("schedular = \"df://h:1\"", "unknown field `schedular`"),
        ];
        for (section, expected) in cases {
            let err = parse(&format!("{BASE}[engine]\n{section}\n")).unwrap_err();
            let shown = format!("{err}: {:?}", std::error::Error::source(&err));
            assert!(shown.contains(expected), "{section}: {shown}");
        }
    }

    #[test]
    fn memory_sizes_parse_with_units() {
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("2GB").unwrap(), 2_000_000_000);
        assert!(parse_size("1 TB").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("1MiB").is_err(), "below the minimum");
        let cfg = parse(&format!("{BASE}[limits]\nmemory = \"1GiB\"\n")).unwrap();
        assert_eq!(cfg.memory_limit, Some(1 << 30));
    }

    #[test]
    fn ratio_out_of_range_is_an_error() {
        assert!(parse(&format!("{BASE}[limits]\nmax_reject_ratio = 1.5\n")).is_err());
    }

    #[test]
    fn digest_changes_with_thresholds() {
        let a = parse(BASE).unwrap();
        let b = parse(&format!("{BASE}[segments]\nhigh_billing = \"1\"\n")).unwrap();
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.digest(), parse(BASE).unwrap().digest());
        // Where data lives and how much memory the run may use change no result.
        let moved = JobConfig::from_toml(
            &format!("{BASE}[limits]\nmemory = \"1GiB\"\n"),
            "t",
            &Overrides {
                input_root: Some("elsewhere".into()),
                output_root: Some("other".into()),
            },
        )
        .unwrap();
        assert_eq!(a.digest(), moved.digest());
    }
}
