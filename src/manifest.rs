//! The manifest: the commit record of one snapshot, written last.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::hex;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputFileRecord {
    pub table: String,
    /// Path relative to the input root.
    pub path: String,
    pub size: u64,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutputFileRecord {
    pub table: String,
    /// Path relative to the output root.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ThresholdRecord {
    pub season_id: String,
    pub high_potential: String,
    pub high_potential_source: String,
    pub high_billing: String,
    pub high_billing_source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CampaignRecord {
    pub campaign_id: String,
    pub season_id: Option<String>,
    pub label: Option<String>,
    pub members: i64,
    pub status_note: Option<String>,
    /// The rule as evaluated, so `diff` can tell a rule change from a data change.
    pub rule: CampaignRule,
    /// SHA-256 of the rule (season, flags, normalised bounds).
    pub rule_digest: String,
}

/// A campaign's range rule; bounds as normalised decimal text, null = unbounded.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CampaignRule {
    pub season_id: Option<String>,
    pub by_potential: bool,
    pub potential_min: Option<String>,
    pub potential_max: Option<String>,
    pub by_billing: bool,
    pub billing_min: Option<String>,
    pub billing_max: Option<String>,
}

impl CampaignRule {
    /// The digest of the rule: equal rules (whatever the bounds' scale) give equal digests.
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        sha256(&json)
    }
}

/// `5000.00` → `5000`, `-0.50` → `-0.5`: one text per decimal value.
pub fn normalise_decimal(text: &str) -> String {
    match text.parse::<rust_decimal::Decimal>() {
        Ok(d) => d.normalize().to_string(),
        Err(_) => text.to_string(),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    /// Rows per published table.
    pub tables: BTreeMap<String, u64>,
    /// Clients per segment per season.
    pub segments: BTreeMap<String, BTreeMap<String, u64>>,
    /// Input rows and rejected rows per row-checked table.
    pub input_rows: BTreeMap<String, u64>,
    pub rejected_rows: BTreeMap<String, u64>,
    /// Rejected rows per table and reason.
    pub reject_reasons: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Hectares of a season in scope and an activity that no rate prices.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UnpricedRecord {
    pub season_id: String,
    pub activity: String,
    /// Exact decimal text.
    pub hectares: String,
    /// Clients holding them.
    pub clients: i64,
}

/// What replaced snapshot this one took the place of.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReplacedRecord {
    pub run_id: String,
    pub content_digest: String,
    /// Where the replaced data and manifest were kept, relative to the output root.
    pub history_path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format_version: u32,
    /// Deterministic: the first 16 hex digits of `content_digest`.
    pub run_id: String,
    pub snapshot_date: String,
    pub tool: String,
    pub tool_version: String,
    pub config_digest: String,
    /// SHA-256 over config digest, date, inputs and outputs (not timings):
    /// equal digests mean an identical snapshot.
    pub content_digest: String,
    pub base_currency: String,
    pub max_reject_ratio: f64,
    pub inputs: Vec<InputFileRecord>,
    pub outputs: Vec<OutputFileRecord>,
    pub counts: Counts,
    pub thresholds: Vec<ThresholdRecord>,
    pub campaigns: Vec<CampaignRecord>,
    pub unpriced_hectares: String,
    /// Unpriced hectares per season in scope and activity
    /// (`report_unpriced_activities`); empty in manifests written before
    /// zafra recorded them.
    #[serde(default)]
    pub unpriced_by_activity: Vec<UnpricedRecord>,
    pub warnings: Vec<String>,
    pub replaces: Option<ReplacedRecord>,
    /// Milliseconds per stage; the only part that differs between identical runs.
    pub timings_ms: BTreeMap<String, u64>,
}

/// The content digest: what makes two snapshots "the same".
pub fn content_digest(
    snapshot_date: &str,
    config_digest: &str,
    inputs: &[InputFileRecord],
    outputs: &[OutputFileRecord],
) -> String {
    #[derive(Serialize)]
    struct Identity<'a> {
        snapshot_date: &'a str,
        config_digest: &'a str,
        inputs: &'a [InputFileRecord],
        outputs: &'a [OutputFileRecord],
    }
    let json = serde_json::to_vec(&Identity {
        snapshot_date,
        config_digest,
        inputs,
        outputs,
    })
    .unwrap_or_default();
    format!("sha256:{}", hex(&Sha256::digest(&json)))
}

/// `sha256:<hex>` of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// Where the manifest of a date lives, relative to the output root.
pub fn manifest_path(snapshot_date: &str) -> String {
    format!("_manifests/snapshot_date={snapshot_date}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_digest_ignores_nothing_but_changes_with_outputs() {
        let out = |sha: &str| OutputFileRecord {
            table: "t".into(),
            path: "t/x".into(),
            rows: 1,
            bytes: 1,
            sha256: sha.into(),
        };
        let a = content_digest("2026-01-01", "c", &[], &[out("a")]);
        assert_eq!(a, content_digest("2026-01-01", "c", &[], &[out("a")]));
        assert_ne!(a, content_digest("2026-01-01", "c", &[], &[out("b")]));
        assert_ne!(a, content_digest("2026-01-02", "c", &[], &[out("a")]));
    }
}
