//! `zafra export --campaign K`: a committed snapshot's member list of one
//! campaign for the sales team, with each client's name, branch and
//! salesperson from the input `clients` table, as CSV or XLSX.
//!
//! Rows are the snapshot's `memberships` rows of the campaign (never a new
//! computation), sorted by client_id. CSV money is the exact decimal text
//! (`1234.50`); XLSX money is a number with the format `0.00` when its
//! decimal text has at most 15 significant digits (what an XLSX number, a
//! double, holds exactly to the cent), else the exact text.

use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::JoinType;
use datafusion::prelude::{ParquetReadOptions, cast, col, lit};

use crate::error::{Error, Result, quoted};
use crate::publish::read_manifest;
use crate::storage::Location;

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// What to export.
pub struct ExportRequest<'a> {
    pub output_root: &'a Location,
    pub input_root: &'a Location,
    /// The snapshot's date; the latest committed one when `None`.
    pub snapshot_date: Option<String>,
    pub campaign: &'a str,
    pub format: Format,
    pub out: &'a Path,
}

/// What an export wrote.
#[derive(Debug)]
pub struct ExportReport {
    pub snapshot_date: String,
    pub rows: usize,
    pub path: PathBuf,
}

/// The columns of an export, in order: (header, is money).
pub const COLUMNS: &[(&str, bool)] = &[
    ("client_id", false),
    ("name", false),
    ("branch", false),
    ("salesperson", false),
    ("season_id", false),
    ("potential", true),
    ("billing", true),
    ("segment", false),
];

/// Writes the member list of `request.campaign`.
pub async fn export(request: &ExportRequest<'_>) -> Result<ExportReport> {
    let out = request.output_root;
    let date = match &request.snapshot_date {
        Some(date) => date.clone(),
        None => crate::snapshots::committed_dates(out)
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound {
                what: format!("no committed snapshot in {}", out.display()),
            })?,
    };
    let manifest = read_manifest(out, &date)
        .await?
        .ok_or_else(|| Error::NotFound {
            what: format!("no committed snapshot for {date} in {}", out.display()),
        })?;
    if !manifest
        .campaigns
        .iter()
        .any(|c| c.campaign_id == request.campaign)
    {
        return Err(Error::NotFound {
            what: format!(
                "campaign {} is not in the snapshot of {date}",
                quoted(request.campaign)
            ),
        });
    }
    let file = manifest
        .outputs
        .iter()
        .find(|o| o.table == "memberships")
        .ok_or_else(|| {
            Error::internal(format!("the manifest of {date} lists no memberships file"))
        })?;
    let ctx = crate::session::context(crate::session::SessionSettings::default())?;
    ctx.register_object_store(out.store_url(), std::sync::Arc::clone(out.store()));
    let wrap = |e| Error::internal_from("exporting the member list", e);
    ctx.register_parquet(
        "snapshot_memberships",
        out.url(&out.path(&file.path)),
        ParquetReadOptions::default(),
    )
    .await
    .map_err(|e| Error::internal_from(format!("reading {}", file.path), e))?;
    let tables = crate::inputs::discover(request.input_root).await?;
    crate::inputs::register(&ctx, request.input_root, &tables).await?;
    let members = ctx
        .table("snapshot_memberships")
        .await
        .map_err(wrap)?
        .filter(col("campaign_id").eq(lit(request.campaign.to_string())))
        .map_err(wrap)?;
    let clients = ctx
        .table("clients")
        .await
        .map_err(wrap)?
        .select(vec![
            col("client_id").alias("c_client_id"),
            col("name"),
            col("branch"),
            col("salesperson"),
        ])
        .map_err(wrap)?;
    let rows = members
        .join(
            clients,
            JoinType::Left,
            &["client_id"],
            &["c_client_id"],
            None,
        )
        .map_err(wrap)?
        .select(
            COLUMNS
                .iter()
                .map(|(name, _)| cast(col(*name), DataType::Utf8).alias(*name))
                .collect::<Vec<_>>(),
        )
        .map_err(wrap)?
        .sort(vec![col("client_id").sort(true, false)])
        .map_err(wrap)?
        .collect()
        .await
        .map_err(wrap)?;
    let table = text_rows(&rows);
    let bytes = match request.format {
        Format::Csv => csv_bytes(&table)?,
        Format::Xlsx => xlsx_bytes(&table)?,
    };
    std::fs::write(request.out, bytes)
        .map_err(|e| Error::storage_io(format!("writing {}", request.out.display()), e))?;
    Ok(ExportReport {
        snapshot_date: date,
        rows: table.len(),
        path: request.out.to_path_buf(),
    })
}

fn text_rows(batches: &[RecordBatch]) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for batch in batches {
        let columns: Vec<_> = COLUMNS
            .iter()
            .map(|(name, _)| crate::pipeline::strings(batch, name))
            .collect();
        for i in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| c[i].clone()).collect());
        }
    }
    rows
}

fn csv_bytes(rows: &[Vec<Option<String>>]) -> Result<Vec<u8>> {
    let wrap = |e: csv::Error| Error::internal_from("writing CSV", e);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(COLUMNS.iter().map(|(name, _)| *name))
        .map_err(wrap)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|v| v.as_deref().unwrap_or("")))
            .map_err(wrap)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::internal(format!("writing CSV: {e}")))
}

/// Whether a decimal's text is held exactly by an XLSX number (a double):
/// at most 15 significant digits.
fn fits_a_double(text: &str) -> bool {
    let digits = text.trim_start_matches('-').replace('.', "");
    digits.trim_start_matches('0').len() <= 15
}

fn xlsx_bytes(rows: &[Vec<Option<String>>]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let wrap = |e: rust_xlsxwriter::XlsxError| Error::internal_from("writing XLSX", e);
    let mut workbook = Workbook::new();
    let money = CellFormat::new().set_num_format("0.00");
    let header = CellFormat::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("members").map_err(wrap)?;
    for (c, (name, _)) in COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *name, &header)
            .map_err(wrap)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let at = (r + 1) as u32;
        for (c, ((_, is_money), value)) in COLUMNS.iter().zip(row).enumerate() {
            let Some(value) = value else { continue };
            let number = is_money
                .then(|| value.parse::<f64>().ok())
                .flatten()
                .filter(|_| fits_a_double(value));
            match number {
                Some(n) => sheet.write_number_with_format(at, c as u16, n, &money),
                None => sheet.write_string(at, c as u16, value),
            }
            .map_err(wrap)?;
        }
    }
    workbook.save_to_buffer().map_err(wrap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_decimals_a_double_holds_to_the_cent_become_numbers() {
        assert!(fits_a_double("1234.50"));
        assert!(fits_a_double("-9999999999999.99"));
        assert!(!fits_a_double("99999999999999.99"));
        assert!(fits_a_double("0.00"));
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_leaves_nulls_empty() {
        let rows = vec![vec![
            Some("C1".to_string()),
            Some("Agro, \"La Paz\"".to_string()),
            None,
            None,
            Some("2025/26".to_string()),
            Some("1234.50".to_string()),
            Some("-0.01".to_string()),
            Some("RETENCION".to_string()),
        ]];
        let text = String::from_utf8(csv_bytes(&rows).expect("csv")).expect("utf-8");
        assert_eq!(
            text,
            "client_id,name,branch,salesperson,season_id,potential,billing,segment\n\
             C1,\"Agro, \"\"La Paz\"\"\",,,2025/26,1234.50,-0.01,RETENCION\n"
        );
    }
}
