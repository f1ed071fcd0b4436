//! Test fixtures: small CRM datasets written as Parquet by DataFusion from
//! SQL `VALUES`, so each test states its data inline.

#![allow(dead_code)]

pub mod faults;
pub mod moto;

use std::path::{Path, PathBuf};

use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::SessionContext;

/// Writes the result of `sql` as one Parquet file at `path`.
pub fn write_parquet(path: &Path, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ctx = SessionContext::new();
        let df = ctx.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        df.write_parquet(
            path.to_str().unwrap(),
            DataFrameWriteOptions::new().with_single_file_output(true),
            None,
        )
        .await
        .unwrap();
    });
}

pub const CLIENTS: &str = "SELECT * FROM (VALUES \
    ('C1', 'Uno', true), ('C2', 'Dos', CAST(NULL AS BOOLEAN)), ('C3', 'Tres', false), ('C4', 'Cuatro', true)) \
    AS t(client_id, name, active)";

pub const SEASONS: &str = "SELECT * FROM (VALUES \
    ('2025/26', 'Zafra 2025/26', DATE '2025-07-01', DATE '2026-06-30')) \
    AS t(season_id, name, start_date, end_date)";

pub const CADASTRE: &str = "SELECT client_id, parcel_id, activity, CAST(productive_ha AS DECIMAL(12,2)) AS productive_ha, \
    CAST(season_id AS VARCHAR) AS season_id FROM (VALUES \
    ('C1', 'P1', 'SOJA', 100, NULL), ('C2', 'P1', 'MAIZ', 10, NULL), ('C4', 'P1', 'SOJA', 300, NULL)) \
    AS t(client_id, parcel_id, activity, productive_ha, season_id)";

pub const RATES: &str = "SELECT season_id, activity, CAST(amount_per_ha AS DECIMAL(10,2)) AS amount_per_ha FROM (VALUES \
    ('2025/26', 'SOJA', 50), ('2025/26', '*', 20)) AS t(season_id, activity, amount_per_ha)";

pub const SALES: &str = "SELECT document_id, CAST(line_no AS INT) AS line_no, client_id, document_date, document_type, status, \
    CAST(amount AS DECIMAL(18,2)) AS amount, CAST(currency AS VARCHAR) AS currency FROM (VALUES \
    ('F1', 1, 'C1', DATE '2025-08-01', 'INVOICE', 'VALID', 6000, 'USD'), \
    ('F2', 1, 'C2', DATE '2025-08-02', 'INVOICE', 'VALID', 70000000, 'PYG'), \
    ('F3', 1, 'C4', DATE '2025-08-03', 'INVOICE', 'VALID', 100, NULL)) \
    AS t(document_id, line_no, client_id, document_date, document_type, status, amount, currency)";

pub const FX: &str = "SELECT currency, rate_date, CAST(rate_to_base AS DECIMAL(18,10)) AS rate_to_base FROM (VALUES \
    ('PYG', DATE '2025-07-01', 0.0001)) AS t(currency, rate_date, rate_to_base)";

pub const CAMPAIGNS: &str = "SELECT campaign_id, description, season_id, start_date, end_date, status, by_potential, \
    CAST(potential_min AS DECIMAL(14,2)) AS potential_min, CAST(potential_max AS DECIMAL(14,2)) AS potential_max, by_billing, \
    CAST(billing_min AS DECIMAL(14,2)) AS billing_min, CAST(billing_max AS DECIMAL(14,2)) AS billing_max FROM (VALUES \
    ('K1', 'Retencion', '2025/26', DATE '2025-07-01', DATE '2026-06-30', 'ACTIVE', true, 5000, 20000, true, 5000, 20000), \
    ('K2', 'Todos', '2025/26', DATE '2025-07-01', DATE '2026-06-30', 'ACTIVE', false, NULL, NULL, false, NULL, NULL)) \
    AS t(campaign_id, description, season_id, start_date, end_date, status, by_potential, potential_min, potential_max, by_billing, billing_min, billing_max)";

/// A small valid dataset; `replace` swaps one table's SQL.
pub fn dataset(root: &Path, replace: &[(&str, &str)]) -> PathBuf {
    let tables = [
        ("clients", CLIENTS),
        ("seasons", SEASONS),
        ("cadastre", CADASTRE),
        ("potential_rates", RATES),
        ("sales", SALES),
        ("fx_rates", FX),
        ("campaigns", CAMPAIGNS),
    ];
    for (table, sql) in tables {
        let sql = replace
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, s)| *s)
            .unwrap_or(sql);
        if sql.is_empty() {
            continue; // table left out on purpose
        }
        write_parquet(&root.join(table).join("part-00000.parquet"), sql);
    }
    root.to_path_buf()
}

/// A config file for `input` → `output`, with extra TOML appended.
pub fn config(dir: &Path, input: &Path, output: &Path, extra: &str) -> PathBuf {
    let path = dir.join("job.toml");
    std::fs::write(
        &path,
        format!(
            "base_currency = \"USD\"\n{extra}\n[input]\nroot = \"{}\"\n\n[output]\nroot = \"{}\"\n",
            input.display(),
            output.display()
        ),
    )
    .unwrap();
    path
}

/// Every file under `dir` (relative paths, sorted).
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The runs' scratch folders (`zafra-*`) directly under `dir`, sorted; none
/// if `dir` does not exist. (A hidden `.zafra-*` folder is a run's folder
/// before it is locked: only a kill in that instant leaves one.)
pub fn scratch_folders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("zafra-"))
        .collect();
    out.sort();
    out
}
