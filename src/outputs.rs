//! The published tables, each declared once: its view (the file
//! `sql/marts/<name>.sql`, which is also its folder under the output root),
//! its exact Arrow columns, its sort order, its column in `zafra snapshots`
//! and its grain. A run computes, encodes and publishes exactly these, in
//! this order; `snapshots`, the run summary and the README's Outputs table
//! read them from here (a test fails if the README disagrees). Adding a
//! table: CONTRIBUTING.md.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// The data type every money column of the outputs has.
pub const MONEY: DataType = DataType::Decimal128(38, 2);

/// One published table.
#[derive(Debug)]
pub struct OutputTable {
    /// The view that computes it, and its folder under the output root.
    pub name: &'static str,
    /// Columns in file order, with their exact types.
    pub columns: &'static [(&'static str, DataType)],
    /// The rows' order (ascending, nulls last), also across files.
    pub sort: &'static [&'static str],
    /// Its row-count column in `zafra snapshots`.
    pub listing: &'static str,
    /// What one row is.
    pub grain: &'static str,
    /// Money columns that are null by design where there is no such figure
    /// (every other money column is null only when `check_money` stops the
    /// run).
    pub nullable_money: &'static [&'static str],
    /// Under `[limits] memory`, sorted in ranges of its first sort column:
    /// one sorted query per range, each holding at most the rows the limit
    /// allows, written one after the other (src/pipeline.rs,
    /// `sorted_queries`). For the large tables whose first sort column has
    /// few values (campaigns, seasons), so one sort never spills.
    pub in_ranges: bool,
}

impl OutputTable {
    /// The Parquet schema of its files (every column nullable).
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|(name, t)| Field::new(*name, t.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }
}

/// The published tables, in the order they are computed and listed.
pub const OUTPUTS: &[OutputTable] = &[
    OutputTable {
        name: "client_segments",
        columns: &[
            ("season_id", DataType::Utf8),
            ("client_id", DataType::Utf8),
            ("potential", MONEY),
            ("billing", MONEY),
            ("segment", DataType::Utf8),
            ("has_cadastre", DataType::Boolean),
            ("has_sales", DataType::Boolean),
        ],
        sort: &["season_id", "client_id"],
        listing: "client_segments",
        grain: "season in scope × client in scope",
        nullable_money: &[],
        in_ranges: true,
    },
    OutputTable {
        name: "memberships",
        columns: &[
            ("campaign_id", DataType::Utf8),
            ("client_id", DataType::Utf8),
            ("season_id", DataType::Utf8),
            ("potential", MONEY),
            ("billing", MONEY),
            ("segment", DataType::Utf8),
        ],
        sort: &["campaign_id", "client_id"],
        listing: "memberships",
        grain: "active campaign × member client",
        nullable_money: &[],
        in_ranges: true,
    },
    OutputTable {
        name: "campaign_summary",
        columns: &[
            ("campaign_id", DataType::Utf8),
            ("description", DataType::Utf8),
            ("season_id", DataType::Utf8),
            ("label", DataType::Utf8),
            ("members", DataType::Int64),
            ("potential_total", MONEY),
            ("billing_total", MONEY),
            ("status_note", DataType::Utf8),
        ],
        sort: &["campaign_id"],
        listing: "campaigns",
        grain: "campaign active on D",
        nullable_money: &[],
        in_ranges: false,
    },
    OutputTable {
        name: "rejects",
        columns: &[
            ("table_name", DataType::Utf8),
            ("row_key", DataType::Utf8),
            ("reason", DataType::Utf8),
        ],
        sort: &["table_name", "row_key", "reason"],
        listing: "rejects",
        grain: "rejected input row",
        nullable_money: &[],
        in_ranges: false,
    },
    OutputTable {
        name: "campaign_diagnostics",
        columns: &[
            ("campaign_id", DataType::Utf8),
            ("season_id", DataType::Utf8),
            ("clients", DataType::Int64),
            ("with_cadastre", DataType::Int64),
            ("with_sales", DataType::Int64),
            ("passing_potential", DataType::Int64),
            ("passing_billing", DataType::Int64),
            ("members", DataType::Int64),
            ("season_min_potential", MONEY),
            ("season_max_potential", MONEY),
            ("season_min_billing", MONEY),
            ("season_max_billing", MONEY),
            ("potential_below_min_client", DataType::Utf8),
            ("potential_below_min", MONEY),
            ("potential_above_max_client", DataType::Utf8),
            ("potential_above_max", MONEY),
            ("billing_below_min_client", DataType::Utf8),
            ("billing_below_min", MONEY),
            ("billing_above_max_client", DataType::Utf8),
            ("billing_above_max", MONEY),
            ("empty_reason", DataType::Utf8),
        ],
        sort: &["campaign_id"],
        listing: "diagnostics",
        grain: "campaign active on D",
        nullable_money: &[
            "season_min_potential",
            "season_max_potential",
            "season_min_billing",
            "season_max_billing",
            "potential_below_min",
            "potential_above_max",
            "billing_below_min",
            "billing_above_max",
        ],
        in_ranges: false,
    },
    OutputTable {
        name: "contact_plan",
        columns: &[
            ("client_id", DataType::Utf8),
            ("primary_campaign_id", DataType::Utf8),
            ("primary_season_id", DataType::Utf8),
            ("primary_priority", DataType::Int64),
            ("other_campaigns", DataType::Int64),
        ],
        sort: &["client_id"],
        listing: "contacts",
        grain: "client in at least one active campaign",
        nullable_money: &[],
        in_ranges: false,
    },
    OutputTable {
        name: "campaign_overlap",
        columns: &[
            ("season_id", DataType::Utf8),
            ("campaign_id", DataType::Utf8),
            ("other_campaign_id", DataType::Utf8),
            ("members", DataType::Int64),
            ("other_members", DataType::Int64),
            ("shared", DataType::Int64),
        ],
        sort: &["campaign_id", "other_campaign_id"],
        listing: "overlaps",
        grain: "pair of active campaigns of a season sharing members",
        nullable_money: &[],
        in_ranges: false,
    },
];

/// The README's Outputs table rows for the published tables, as the README
/// must spell them.
pub fn readme_rows() -> Vec<String> {
    OUTPUTS
        .iter()
        .map(|t| {
            let columns: Vec<String> = t.columns.iter().map(|(c, _)| format!("`{c}`")).collect();
            format!(
                "| `{}/snapshot_date=D/` | {} | {} | `{}` |",
                t.name,
                t.grain,
                columns.join(", "),
                t.sort.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's Outputs table lists exactly the registry's tables, with
    /// their grain, columns and order.
    #[test]
    fn the_readme_outputs_table_is_the_registry() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let section = readme
            .split("\n## Outputs\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README has an Outputs section");
        let rows: Vec<String> = section
            .lines()
            .filter(|l| l.starts_with("| `") && !l.starts_with("| `_manifests/"))
            .map(str::to_string)
            .collect();
        assert_eq!(rows, readme_rows());
    }

    #[test]
    fn every_output_is_a_mart_view_sorted_by_its_own_columns() {
        for table in OUTPUTS {
            let sql = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("sql/marts")
                .join(format!("{}.sql", table.name));
            assert!(sql.exists(), "{} has no view {}", table.name, sql.display());
            for key in table.sort {
                assert!(
                    table.columns.iter().any(|(c, _)| c == key),
                    "{} sorts by {key}, not one of its columns",
                    table.name
                );
            }
        }
    }
}
