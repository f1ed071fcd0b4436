//! The real binary on input values that cannot be used exactly: every such
//! run exits 3 naming table, file, column and an example key, and publishes
//! nothing; a figure that fits DECIMAL(38,2) is published exactly, whatever
//! the scales (docs/SEMANTICS.md, "Exact money").

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{config, dataset, write_parquet};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

const AS_OF: &str = "2026-03-31";

fn run(cfg: &Path) -> Command {
    let mut cmd = Command::cargo_bin("zafra").unwrap();
    cmd.env("ZAFRA_LOG", "warn")
        .arg("--log-format")
        .arg("text")
        .arg("run")
        .arg("--config")
        .arg(cfg)
        .arg("--as-of")
        .arg(AS_OF);
    cmd
}

/// An input folder: the common dataset with `replace`d tables, plus `extra`
/// files (table, file name, SQL) next to them.
fn input(tmp: &Path, replace: &[(&str, &str)], extra: &[(&str, &str, &str)]) -> PathBuf {
    let input = dataset(&tmp.join("in"), replace);
    for (table, file, sql) in extra {
        write_parquet(&input.join(table).join(file), sql);
    }
    input
}

/// Runs on `input`; asserts exit 3, every `expected` text in the message,
/// no panic, and that nothing was published. Returns stderr.
fn fails(tmp: &Path, input: &Path, expected: &[&str]) -> String {
    let out = tmp.join("out");
    let cfg = config(tmp, input, &out, "");
    let assert = run(&cfg).assert().code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for text in expected {
        assert!(stderr.contains(text), "`{text}` missing from: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !out.join("_manifests").exists(),
        "nothing may be published: {stderr}"
    );
    stderr
}

/// Sales with FLOAT amounts; line F2|7 has `amount` (text cast to DOUBLE).
fn float_sales(amount: &str) -> String {
    format!(
        "SELECT document_id, CAST(line_no AS INT) AS line_no, client_id, document_date, document_type, status, \
        CAST(amount AS DOUBLE) AS amount, CAST(currency AS VARCHAR) AS currency FROM (VALUES \
        ('F1', 1, 'C1', DATE '2025-08-01', 'INVOICE', 'VALID', '6000', 'USD'), \
        ('F2', 7, 'C4', DATE '2025-08-03', 'INVOICE', 'VALID', '{amount}', NULL)) \
        AS t(document_id, line_no, client_id, document_date, document_type, status, amount, currency)"
    )
}

fn float_value_fails(amount: &str, problem: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let sales = float_sales(amount);
    let input = input(tmp.path(), &[("sales", &sales)], &[]);
    fails(
        tmp.path(),
        &input,
        &[
            "table `sales`",
            &format!("file `{}", input.join("sales/part-00000.parquet").display()),
            "column `amount`",
            "key 'F2|7'",
            problem,
        ],
    );
}

#[test]
fn nan_in_a_float_money_column_names_table_file_column_and_key() {
    float_value_fails("NaN", "value NaN is not a number");
}

#[test]
fn plus_infinity_in_a_float_money_column_names_table_file_column_and_key() {
    float_value_fails("inf", "value +inf is not a finite number");
}

#[test]
fn minus_infinity_in_a_float_money_column_names_table_file_column_and_key() {
    float_value_fails("-inf", "value -inf is not a finite number");
}

#[test]
fn a_float_beyond_decimal_38_6_names_table_file_column_and_key() {
    float_value_fails("1e300", "value 1e300 does not fit DECIMAL(38,6)");
}

/// A DECIMAL(38,0) amount of 10^37 in one file, a DECIMAL(18,2) one in
/// another: at the table's common scale 2 it needs 40 digits.
#[test]
fn a_decimal_beyond_the_tables_common_scale_names_table_file_column_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let big = "SELECT 'G1' AS document_id, '3' AS line_no, 'C1' AS client_id, DATE '2025-08-01' AS document_date, \
        'INVOICE' AS document_type, 'VALID' AS status, \
        CAST('10000000000000000000000000000000000000' AS DECIMAL(38,0)) AS amount, 'USD' AS currency";
    let input = input(tmp.path(), &[], &[("sales", "part-00001.parquet", big)]);
    fails(
        tmp.path(),
        &input,
        &[
            "table `sales`",
            &format!("file `{}", input.join("sales/part-00001.parquet").display()),
            "column `amount`",
            "key 'G1|3'",
            "value 10000000000000000000000000000000000000 does not fit DECIMAL(38,2)",
        ],
    );
}

/// A DECIMAL(38,0) amount of 10^38 - 1 PYG at a rate of 100: the line is
/// about 10^40 (its product is exact, but no figure it is part of can be
/// published).
#[test]
fn a_decimal_38_0_amount_times_fx_beyond_money_names_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let sales = "SELECT document_id, line_no, client_id, document_date, document_type, status, \
        CAST(amount AS DECIMAL(38,0)) AS amount, currency FROM (VALUES \
        ('F1', '1', 'C1', DATE '2025-08-01', 'INVOICE', 'VALID', '6000', 'USD'), \
        ('F2', '1', 'C2', DATE '2025-08-02', 'INVOICE', 'VALID', '99999999999999999999999999999999999999', 'PYG')) \
        AS t(document_id, line_no, client_id, document_date, document_type, status, amount, currency)";
    let fx = "SELECT 'PYG' AS currency, DATE '2025-07-01' AS rate_date, \
        CAST(100 AS DECIMAL(18,10)) AS rate_to_base";
    let input = input(tmp.path(), &[("sales", sales), ("fx_rates", fx)], &[]);
    fails(
        tmp.path(),
        &input,
        &[
            "billing of client 'C2' in season '2025/26' cannot be published exactly",
            "is 10^36 or more in absolute value",
            "table `sales`, column `amount`",
            &format!("file `{}", input.join("sales/part-00000.parquet").display()),
            "key 'F2|1'",
            "amount 99999999999999999999999999999999999999 × fx 100.0000000000 = 9999999999999999999999999999999999999900.0000000000",
        ],
    );
}

/// Two invoices of 6 × 10^35 (in a second sales file): each fits, their
/// exact sum 1.2 × 10^36 does not fit DECIMAL(38,2).
#[test]
fn a_billing_sum_beyond_decimal_38_2_names_client_season_table_column_and_a_line() {
    let tmp = tempfile::tempdir().unwrap();
    let big = "SELECT document_id, line_no, 'C1' AS client_id, DATE '2025-09-01' AS document_date, \
        'INVOICE' AS document_type, 'VALID' AS status, \
        CAST('600000000000000000000000000000000000' AS DECIMAL(38,0)) AS amount, 'USD' AS currency \
        FROM (VALUES ('G1', '1'), ('G1', '2')) AS t(document_id, line_no)";
    let input = input(tmp.path(), &[], &[("sales", "part-00001.parquet", big)]);
    fails(
        tmp.path(),
        &input,
        &[
            "billing of client 'C1' in season '2025/26' cannot be published exactly",
            "its exact value 1200000000000000000000000000000006000.00 is beyond DECIMAL(38,2)",
            "table `sales`, column `amount`",
            &format!("file `{}", input.join("sales/part-00001.parquet").display()),
            "key 'G1|1'",
        ],
    );
}

/// Two parcels of 10^34 ha at 50 per ha (in a second cadastre file): the
/// potential is exactly 10^36.
#[test]
fn a_potential_sum_beyond_decimal_38_2_names_client_season_table_column_and_a_parcel() {
    let tmp = tempfile::tempdir().unwrap();
    let big = "SELECT 'C4' AS client_id, parcel_id, 'SOJA' AS activity, \
        CAST('10000000000000000000000000000000000' AS DECIMAL(38,0)) AS productive_ha, \
        CAST(NULL AS VARCHAR) AS season_id FROM (VALUES ('P8'), ('P9')) AS t(parcel_id)";
    let input = input(tmp.path(), &[], &[("cadastre", "part-00001.parquet", big)]);
    fails(
        tmp.path(),
        &input,
        &[
            "potential of client 'C4' in season '2025/26' cannot be published exactly",
            "its exact value 1000000000000000000000000000000015000.00 is beyond DECIMAL(38,2)",
            "table `cadastre`, column `productive_ha`",
            &format!(
                "file `{}",
                input.join("cadastre/part-00001.parquet").display()
            ),
            "key 'C4|P8|<null>'",
            "productive_ha 10000000000000000000000000000000000.00 × rate 50.00",
        ],
    );
}

/// C1 and C4 have a potential of 6 × 10^35 each: campaign K2 (every client)
/// totals 1.2 × 10^36.
#[test]
fn a_campaign_total_beyond_decimal_38_2_names_the_campaign_and_a_parcel() {
    let tmp = tempfile::tempdir().unwrap();
    let cadastre = "SELECT client_id, parcel_id, activity, CAST(productive_ha AS DECIMAL(38,0)) AS productive_ha, \
        CAST(NULL AS VARCHAR) AS season_id FROM (VALUES \
        ('C1', 'P1', 'SOJA', '12000000000000000000000000000000000'), \
        ('C4', 'P1', 'SOJA', '12000000000000000000000000000000000')) \
        AS t(client_id, parcel_id, activity, productive_ha)";
    let input = input(tmp.path(), &[("cadastre", cadastre)], &[]);
    fails(
        tmp.path(),
        &input,
        &[
            "potential_total of campaign 'K2' cannot be published exactly",
            "its exact value 1200000000000000000000000000000000000.00 is beyond DECIMAL(38,2)",
            "table `cadastre`, column `productive_ha`",
            &format!(
                "file `{}",
                input.join("cadastre/part-00000.parquet").display()
            ),
            "key 'C1|P1|<null>'",
            "its largest member, client 'C1' in season '2025/26'",
        ],
    );
}

#[test]
fn a_timestamp_beyond_the_date_range_names_table_file_column_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let sales = "SELECT 'F1' AS document_id, '1' AS line_no, 'C1' AS client_id, \
        to_timestamp_millis(9000000000000000000) AS document_date, 'INVOICE' AS document_type, \
        'VALID' AS status, CAST(10 AS DECIMAL(18,2)) AS amount, 'USD' AS currency";
    let input = input(tmp.path(), &[("sales", sales)], &[]);
    fails(
        tmp.path(),
        &input,
        &[
            "table `sales`",
            &format!("file `{}", input.join("sales/part-00000.parquet").display()),
            "column `document_date`",
            "key 'F1|1'",
            "date 9000000000000000000 milliseconds since 1970-01-01 is out of the supported range",
        ],
    );
}

#[test]
fn a_date64_beyond_the_date_range_names_table_file_column_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let campaigns = "SELECT 'K7' AS campaign_id, 'x' AS description, '2025/26' AS season_id, \
        arrow_cast(9000000000000000000, 'Date64') AS start_date, DATE '2026-06-30' AS end_date, \
        'ACTIVE' AS status, false AS by_potential, CAST(NULL AS DECIMAL(14,2)) AS potential_min, \
        CAST(NULL AS DECIMAL(14,2)) AS potential_max, false AS by_billing, \
        CAST(NULL AS DECIMAL(14,2)) AS billing_min, CAST(NULL AS DECIMAL(14,2)) AS billing_max";
    let input = input(tmp.path(), &[("campaigns", campaigns)], &[]);
    fails(
        tmp.path(),
        &input,
        &[
            "table `campaigns`",
            &format!(
                "file `{}",
                input.join("campaigns/part-00000.parquet").display()
            ),
            "column `start_date`",
            "key 'K7'",
            "date 9000000000000000000 milliseconds since 1970-01-01 is out of the supported range",
        ],
    );
}

/// The issue's case: amounts DECIMAL(38,0), fx at scale 10, four invoices of
/// one client summing to 3.4 × 10^28 (their 10-decimal products overflow an
/// i128 sum): published exactly.
#[test]
fn the_issues_billing_of_3_4e28_is_published_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let sales = "SELECT document_id, line_no, 'C1' AS client_id, DATE '2025-08-01' AS document_date, \
        'INVOICE' AS document_type, 'VALID' AS status, \
        CAST('8500000000000000000000000000' AS DECIMAL(38,0)) AS amount, 'EUR' AS currency \
        FROM (VALUES ('F1', '1'), ('F1', '2'), ('F1', '3'), ('F1', '4')) AS t(document_id, line_no)";
    let fx = "SELECT 'EUR' AS currency, DATE '2025-07-01' AS rate_date, \
        CAST('1.0000000000' AS DECIMAL(38,10)) AS rate_to_base";
    let input = input(tmp.path(), &[("sales", sales), ("fx_rates", fx)], &[]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg).assert().code(0);
    let dir = out
        .join("client_segments")
        .join(format!("snapshot_date={AS_OF}"));
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = rt.block_on(async {
        let ctx = datafusion::prelude::SessionContext::new().enable_url_table();
        let sql = format!(
            "SELECT client_id, billing, arrow_typeof(billing) FROM '{}' ORDER BY client_id",
            file.display()
        );
        let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let mut rows = Vec::new();
        for b in &batches {
            let options = FormatOptions::default();
            let f: Vec<_> = b
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
                .collect();
            for r in 0..b.num_rows() {
                rows.push(
                    f.iter()
                        .map(|f| f.value(r).to_string())
                        .collect::<Vec<_>>()
                        .join("|"),
                );
            }
        }
        rows
    });
    assert_eq!(
        rows[0],
        "C1|34000000000000000000000000000.00|Decimal128(38, 2)"
    );
}

/// A column of a Parquet file written with the low-level writer, values as
/// they are (none null): text is raw bytes under the `UTF8` annotation, so
/// a file can hold text that is not UTF-8, as a foreign writer may write it.
enum Raw<'a> {
    Text(Vec<&'a [u8]>),
    Bool(Vec<bool>),
    Int(Vec<i32>),
    Date(Vec<i32>),
    /// DECIMAL(18, 2), as unscaled cents.
    Cents(Vec<i64>),
}

/// The common dataset with `table` as one file written raw: the input
/// root and that file.
fn raw_input(tmp: &Path, table: &str, columns: &[(&str, Raw)]) -> (PathBuf, PathBuf) {
    let input = dataset(&tmp.join("in"), &[(table, "")]);
    let file = input.join(table).join("part-00000.parquet");
    write_raw_parquet(&file, columns);
    (input, file)
}

fn write_raw_parquet(path: &Path, columns: &[(&str, Raw)]) {
    use std::sync::Arc;

    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    let fields: Vec<String> = columns
        .iter()
        .map(|(name, raw)| match raw {
            Raw::Text(_) => format!("optional binary {name} (UTF8);"),
            Raw::Bool(_) => format!("optional boolean {name};"),
            Raw::Int(_) => format!("optional int32 {name};"),
            Raw::Date(_) => format!("optional int32 {name} (DATE);"),
            Raw::Cents(_) => format!("optional int64 {name} (DECIMAL(18,2));"),
        })
        .collect();
    let schema = parse_message_type(&format!("message schema {{ {} }}", fields.join(" "))).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let properties = Arc::new(WriterProperties::builder().build());
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema), properties).unwrap();
    let mut group = writer.next_row_group().unwrap();
    for (_, raw) in columns {
        let mut column = group.next_column().unwrap().unwrap();
        match raw {
            Raw::Text(values) => {
                let values: Vec<ByteArray> =
                    values.iter().map(|v| ByteArray::from(v.to_vec())).collect();
                let defined = vec![1; values.len()];
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defined), None)
                    .unwrap();
            }
            Raw::Bool(values) => {
                let defined = vec![1; values.len()];
                column
                    .typed::<BoolType>()
                    .write_batch(values, Some(&defined), None)
                    .unwrap();
            }
            Raw::Int(values) | Raw::Date(values) => {
                let defined = vec![1; values.len()];
                column
                    .typed::<Int32Type>()
                    .write_batch(values, Some(&defined), None)
                    .unwrap();
            }
            Raw::Cents(values) => {
                let defined = vec![1; values.len()];
                column
                    .typed::<Int64Type>()
                    .write_batch(values, Some(&defined), None)
                    .unwrap();
            }
        }
        column.close().unwrap();
    }
    group.close().unwrap();
    writer.close().unwrap();
}

#[test]
fn text_that_is_not_utf8_stops_the_run_naming_table_file_and_column() {
    // `clients` is read as Arrow `Utf8`: the id of the third client holds
    // the byte 0xFF. The Parquet reader rejects the whole page or
    // dictionary, so the column is named, not the row (docs/SEMANTICS.md).
    let tmp = tempfile::tempdir().unwrap();
    let (input, file) = raw_input(
        tmp.path(),
        "clients",
        &[
            ("client_id", Raw::Text(vec![b"C1", b"C2", b"C\xff3", b"C4"])),
            ("name", Raw::Text(vec![b"Uno", b"Dos", b"Tres", b"Cuatro"])),
            ("active", Raw::Bool(vec![true, true, false, true])),
        ],
    );
    fails(
        tmp.path(),
        &input,
        &[
            "table `clients`",
            &format!("file `{}`", file.display()),
            "column `client_id`: text that is not UTF-8",
            "encountered non UTF-8 data",
        ],
    );
}

#[test]
fn text_that_is_not_utf8_in_sales_stops_the_run_naming_table_file_and_column() {
    // `sales` is read as Arrow string views (`Utf8View`): the status of
    // line F2|1 holds the byte 0xFF.
    let tmp = tempfile::tempdir().unwrap();
    // 2025-08-01 and 2025-08-02 as days since 1970-01-01.
    let (input, file) = raw_input(
        tmp.path(),
        "sales",
        &[
            ("document_id", Raw::Text(vec![b"F1", b"F2"])),
            ("line_no", Raw::Int(vec![1, 1])),
            ("client_id", Raw::Text(vec![b"C1", b"C2"])),
            ("document_date", Raw::Date(vec![20301, 20302])),
            ("document_type", Raw::Text(vec![b"INVOICE", b"INVOICE"])),
            ("status", Raw::Text(vec![b"VALID", b"VAL\xffID"])),
            ("amount", Raw::Cents(vec![600_000, 700_000])),
            ("currency", Raw::Text(vec![b"USD", b"USD"])),
        ],
    );
    fails(
        tmp.path(),
        &input,
        &[
            "table `sales`",
            &format!("file `{}`", file.display()),
            "column `status`: text that is not UTF-8",
            "encountered non UTF-8 data",
        ],
    );
}

#[test]
fn a_column_the_run_does_not_read_is_not_checked_for_utf8() {
    // The clients' `name` is read by no view: bytes that are not UTF-8
    // there do not stop the run (its digest still covers the file).
    let tmp = tempfile::tempdir().unwrap();
    let (input, _) = raw_input(
        tmp.path(),
        "clients",
        &[
            ("client_id", Raw::Text(vec![b"C1", b"C2", b"C3", b"C4"])),
            (
                "name",
                Raw::Text(vec![b"Uno", b"Dos", b"Tr\xffes", b"Cuatro"]),
            ),
            ("active", Raw::Bool(vec![true, true, false, true])),
        ],
    );
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg).assert().code(0);
    assert!(out.join("_manifests").exists());
}
