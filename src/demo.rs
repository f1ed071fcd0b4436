//! The built-in demo: a small generated dataset and a default job.

use std::path::{Path, PathBuf};

use crate::config::{DEFAULT_MAX_REJECT_RATIO, JobConfig, ThresholdPair, Thresholds};
use crate::error::{Error, Result};
use crate::generate::{self, GenerateOptions};

pub const DEMO_OUTPUT: &str = "zafra-out";
pub const DEMO_SCALE: f64 = 0.01;
pub const DEMO_SEED: u64 = 42;

/// The demo job: data generated into `zafra-out/_demo/crm` (once), output to `zafra-out`.
pub fn demo_job(output_override: Option<&str>, input_override: Option<&str>) -> Result<JobConfig> {
    let output = output_override.unwrap_or(DEMO_OUTPUT).to_string();
    let input = match input_override {
        Some(i) => i.to_string(),
        None => {
            let dir = Path::new(&output).join("_demo").join("crm");
            ensure_demo_data(&dir)?;
            dir.display().to_string()
        }
    };
    Ok(JobConfig {
        base_currency: "USD".to_string(),
        input_root: input,
        output_root: output,
        // The contract's example thresholds, so the seed texts' campaign shapes
        // get their segment labels.
        thresholds: Thresholds {
            default: ThresholdPair {
                high_potential: Some(rust_decimal::Decimal::from(5000)),
                high_billing: Some(rust_decimal::Decimal::from(5000)),
            },
            season: Default::default(),
        },
        max_reject_ratio: DEFAULT_MAX_REJECT_RATIO,
        memory_limit: None,
        engine: crate::config::Engine::Local,
    })
}

/// Generates the demo dataset unless a complete one (marked) is there.
fn ensure_demo_data(dir: &Path) -> Result<()> {
    let marker: PathBuf = dir.join("_GENERATED");
    let stamp = format!(
        "scale={DEMO_SCALE} seed={DEMO_SEED} zafra={}\n",
        env!("CARGO_PKG_VERSION")
    );
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(stamp.as_str()) {
        return Ok(());
    }
    generate::generate(&GenerateOptions {
        scale: DEMO_SCALE,
        seed: DEMO_SEED,
        out: dir.to_path_buf(),
        progress: false,
        campaigns: None,
        narrow_campaigns: false,
    })?;
    std::fs::write(&marker, stamp)
        .map_err(|e| Error::internal_from(format!("writing {}", marker.display()), e))?;
    Ok(())
}

/// The demo's default as-of date: the generated data's reference date.
pub fn demo_as_of() -> chrono::NaiveDate {
    let (y, m, d) = generate::DEMO_AS_OF;
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}
