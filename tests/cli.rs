//! The real `zafra` binary: exit codes, messages, outputs, nothing published
//! on failure.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{config, dataset, files_under};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use predicates::prelude::*;

const AS_OF: &str = "2026-03-31";

fn zafra() -> Command {
    let mut cmd = Command::cargo_bin("zafra").unwrap();
    cmd.env("ZAFRA_LOG", "warn").arg("--log-format").arg("text");
    cmd
}

fn run(cfg: &Path) -> Command {
    let mut cmd = zafra();
    cmd.arg("run")
        .arg("--config")
        .arg(cfg)
        .arg("--as-of")
        .arg(AS_OF);
    cmd
}

/// Rows of a SQL query over published files, as `a|b|c` strings.
fn query(sql: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ctx = datafusion::prelude::SessionContext::new().enable_url_table();
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for b in &batches {
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
    })
}

/// The one Parquet file of a table's partition for AS_OF.
fn table_file(out: &Path, table: &str) -> String {
    let dir = out.join(table).join(format!("snapshot_date={AS_OF}"));
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    assert_eq!(files.len(), 1, "{}: {files:?}", dir.display());
    files[0].display().to_string()
}

#[test]
fn publishes_the_contract_outputs_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    let first = run(&cfg).assert().code(0);
    let summary = String::from_utf8(first.get_output().stdout.clone()).unwrap();
    assert!(
        summary.starts_with(&format!("zafra snapshot {AS_OF} (run ")),
        "{summary}"
    );
    assert!(
        summary
            .lines()
            .next()
            .unwrap()
            .ends_with(&format!("): published to {}", out.display())),
        "{summary}"
    );
    // Every active campaign's line: id, season, label, members, and no note.
    let campaigns: Vec<&str> = summary
        .lines()
        .skip_while(|l| *l != format!("campaigns active on {AS_OF}:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        campaigns,
        [
            "  K1             2025/26   RETENCION                 1 members",
            "  K2             2025/26   TODOS                     3 members",
        ],
        "{summary}"
    );

    // Median of non-zero potentials {200, 5000, 15000} = 5000 for both thresholds.
    assert_eq!(
        query(&format!(
            "SELECT * FROM '{}'",
            table_file(&out, "client_segments")
        )),
        vec![
            "2025/26|C1|5000.00|6000.00|RETENCION|true|true",
            "2025/26|C2|200.00|7000.00|REVISION|true|true",
            "2025/26|C4|15000.00|100.00|INVERSION|true|true",
        ]
    );
    assert_eq!(
        query(&format!(
            "SELECT * FROM '{}'",
            table_file(&out, "memberships")
        )),
        vec![
            "K1|C1|2025/26|5000.00|6000.00|RETENCION",
            "K2|C1|2025/26|5000.00|6000.00|RETENCION",
            "K2|C2|2025/26|200.00|7000.00|REVISION",
            "K2|C4|2025/26|15000.00|100.00|INVERSION",
        ]
    );
    assert_eq!(
        query(&format!(
            "SELECT * FROM '{}'",
            table_file(&out, "campaign_summary")
        )),
        vec![
            "K1|Retencion|2025/26|RETENCION|1|5000.00|6000.00|NULL",
            "K2|Todos|2025/26|TODOS|3|20200.00|13100.00|NULL",
        ]
    );
    // The files' own Arrow schemas (not a reader's choice of string encoding).
    let schema = |table: &str| -> Vec<String> {
        let file = std::fs::File::open(table_file(&out, table)).unwrap();
        let builder =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        builder
            .schema()
            .fields()
            .iter()
            .map(|f| format!("{}:{}", f.name(), f.data_type()))
            .collect()
    };
    assert_eq!(
        schema("client_segments"),
        [
            "season_id:Utf8",
            "client_id:Utf8",
            "potential:Decimal128(38, 2)",
            "billing:Decimal128(38, 2)",
            "segment:Utf8",
            "has_cadastre:Boolean",
            "has_sales:Boolean"
        ]
    );
    assert_eq!(
        schema("memberships"),
        [
            "campaign_id:Utf8",
            "client_id:Utf8",
            "season_id:Utf8",
            "potential:Decimal128(38, 2)",
            "billing:Decimal128(38, 2)",
            "segment:Utf8"
        ]
    );
    assert_eq!(
        schema("campaign_summary"),
        [
            "campaign_id:Utf8",
            "description:Utf8",
            "season_id:Utf8",
            "label:Utf8",
            "members:Int64",
            "potential_total:Decimal128(38, 2)",
            "billing_total:Decimal128(38, 2)",
            "status_note:Utf8"
        ]
    );
    assert_eq!(
        schema("rejects"),
        ["table_name:Utf8", "row_key:Utf8", "reason:Utf8"]
    );
    let manifest_path = out
        .join("_manifests")
        .join(format!("snapshot_date={AS_OF}.json"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    assert_eq!(manifest["snapshot_date"], AS_OF);
    assert_eq!(
        manifest["outputs"].as_array().unwrap().len(),
        zafra::outputs::OUTPUTS.len()
    );
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 7);
    assert_eq!(manifest["counts"]["segments"]["2025/26"]["RETENCION"], 1);
    assert_eq!(manifest["thresholds"][0]["high_potential"], "5000.00");
    assert_eq!(manifest["thresholds"][0]["high_potential_source"], "median");
    let files_before = files_under(&out);
    let bytes_before: Vec<Vec<u8>> = files_before
        .iter()
        .filter(|f| f.ends_with(".parquet"))
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();

    // Same inputs, config and date: exit 0, nothing rewritten.
    run(&cfg)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("unchanged"));
    assert_eq!(files_under(&out), files_before);
    let manifest_again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    assert_eq!(
        manifest, manifest_again,
        "the committed manifest was rewritten"
    );

    // A fresh output root gives byte-identical files.
    let out2 = tmp.path().join("out2");
    run(&cfg).arg("--output").arg(&out2).assert().code(0);
    let bytes_again: Vec<Vec<u8>> = files_before
        .iter()
        .filter(|f| f.ends_with(".parquet"))
        .map(|f| std::fs::read(out2.join(f)).unwrap())
        .collect();
    assert!(bytes_before == bytes_again, "output is not byte-identical");

    // Different configuration: refuse with exit 4 and keep the snapshot.
    let cfg2 = config(
        tmp.path(),
        &input,
        &out,
        "[segments]\nhigh_potential = \"1\"\n",
    );
    run(&cfg2)
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "already exists with other content",
        ))
        .stderr(predicate::str::contains("configuration differs"));
    assert_eq!(files_under(&out), files_before);

    // --replace publishes the new one and keeps the old one under _history/.
    run(&cfg2)
        .arg("--replace")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("replaced"));
    let after = files_under(&out);
    assert!(
        after
            .iter()
            .any(|f| f.starts_with("_history/") && f.ends_with("manifest.json")),
        "{after:?}"
    );
    let replaced: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    assert_eq!(replaced["replaces"]["run_id"], manifest["run_id"]);
    // The partition folders hold exactly the new snapshot's files.
    for table in [
        "client_segments",
        "memberships",
        "campaign_summary",
        "rejects",
    ] {
        let listed = replaced["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["table"] == table)
            .unwrap()["path"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            table_file(&out, table),
            out.join(listed).display().to_string()
        );
    }
}

#[test]
fn leftovers_of_a_failed_run_are_removed_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let leftover = out
        .join("memberships")
        .join(format!("snapshot_date={AS_OF}"))
        .join("part-00000-deadbeefdeadbeef.parquet");
    std::fs::create_dir_all(leftover.parent().unwrap()).unwrap();
    std::fs::write(&leftover, b"half a file").unwrap();
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg).assert().code(0);
    assert!(!leftover.exists(), "the leftover is still there");
    assert_eq!(
        query(&format!(
            "SELECT count(*) FROM '{}'",
            table_file(&out, "memberships")
        )),
        ["4"]
    );
}

#[test]
fn dry_run_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg)
        .arg("--dry-run")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "dry run: nothing published; the real run would publish a new snapshot",
        ));
    assert!(files_under(&out).is_empty());
}

/// A dry run says what the real run would do, and exits with its code.
#[test]
fn dry_run_tells_what_the_real_run_would_do() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg).assert().code(0);
    let committed = files_under(&out);
    run(&cfg)
        .arg("--dry-run")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "the real run would change nothing: the identical snapshot (run ",
        ));
    let other_dir = tmp.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = config(
        &other_dir,
        &input,
        &out,
        "[segments]\nhigh_billing = \"1\"\n",
    );
    run(&other)
        .arg("--dry-run")
        .assert()
        .code(4)
        .stdout(predicate::str::contains(
            "the real run would exit 4: snapshot run ",
        ))
        .stdout(predicate::str::contains("the configuration differs"))
        .stderr(predicate::str::contains(
            "already exists with other content",
        ));
    run(&other)
        .args(["--dry-run", "--replace"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "the real run would replace snapshot run ",
        ));
    assert_eq!(
        files_under(&out),
        committed,
        "a dry run wrote or deleted files"
    );
}

#[test]
fn debug_logs_carry_each_query_plan_with_operator_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    let output = run(&cfg)
        .env("ZAFRA_LOG", "warn,zafra=debug")
        .arg("--dry-run")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // One plan per checkpoint and per output table, with executed metrics.
    for query in [
        "val_sales_duplicate_keys",
        "int_client_figures",
        "memberships",
        "rejects",
    ] {
        assert!(
            stderr.contains(&format!("query plan with metrics query={query}"))
                || stderr.contains(&format!("query plan with metrics query=\"{query}\"")),
            "no plan for {query}:\n{stderr}"
        );
    }
    assert!(stderr.contains("output_rows="), "{stderr}");
    assert!(stderr.contains("elapsed_compute="), "{stderr}");
    // At the default level the plans are not logged.
    let quiet = run(&cfg).arg("--dry-run").output().unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("query plan with metrics"));
}

/// Runs a failing case; asserts the exit code, message parts and that nothing was published.
fn assert_fails(replace: &[(&str, &str)], extra_toml: &str, code: i32, needles: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), replace);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, extra_toml);
    let assert = run(&cfg).assert().code(code);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        files_under(&out).is_empty(),
        "something was published: {:?}",
        files_under(&out)
    );
}

#[test]
fn missing_table_exits_3() {
    assert_fails(
        &[("campaigns", "")],
        "",
        3,
        &["table `campaigns` not found"],
    );
}

#[test]
fn fx_rates_is_optional_but_then_foreign_sales_are_rejected() {
    // Without fx_rates the PYG sale has no rate: 1 of 3 rows rejected > 1%.
    assert_fails(
        &[("fx_rates", "")],
        "",
        3,
        &["table `sales`", "1 of 3 rows rejected"],
    );
}

#[test]
fn missing_column_exits_3_naming_table_file_and_column() {
    assert_fails(
        &[(
            "clients",
            "SELECT * FROM (VALUES ('C1', true)) AS t(client_id, active)",
        )],
        "",
        3,
        &[
            "table `clients`",
            "clients/part-00000.parquet",
            "missing required column `name`",
        ],
    );
}

#[test]
fn unusable_column_type_exits_3() {
    assert_fails(
        &[(
            "potential_rates",
            "SELECT * FROM (VALUES ('2025/26', 'SOJA', true)) AS t(season_id, activity, amount_per_ha)",
        )],
        "",
        3,
        &[
            "table `potential_rates`",
            "column `amount_per_ha`",
            "Boolean",
        ],
    );
}

#[test]
fn duplicate_client_key_exits_3_naming_the_key() {
    assert_fails(
        &[(
            "clients",
            "SELECT * FROM (VALUES ('C1', 'a'), ('C1', 'b'), ('C2', 'c')) AS t(client_id, name)",
        )],
        "",
        3,
        &["table `clients`", "duplicate client_id", "'C1'"],
    );
}

#[test]
fn season_with_start_after_end_exits_3() {
    assert_fails(
        &[(
            "seasons",
            "SELECT * FROM (VALUES ('2025/26', 'x', DATE '2026-07-01', DATE '2025-06-30')) AS t(season_id, name, start_date, end_date)",
        )],
        "",
        3,
        &["table `seasons`", "start_date > end_date", "'2025/26'"],
    );
}

#[test]
fn too_many_rejects_exits_3_and_the_ratio_is_configurable() {
    let bad_sales = "SELECT document_id, line_no, client_id, document_date, document_type, status, \
        CAST(amount AS DECIMAL(18,2)) AS amount, currency FROM (VALUES \
        ('F1', '1', 'C1', DATE '2025-08-01', 'INVOICE', 'VALID', 10, 'USD'), \
        ('F2', '1', 'C9', DATE '2025-08-01', 'INVOICE', 'VALID', 10, 'USD')) \
        AS t(document_id, line_no, client_id, document_date, document_type, status, amount, currency)";
    assert_fails(
        &[("sales", bad_sales)],
        "",
        3,
        &["table `sales`", "1 of 2 rows rejected"],
    );
    // With max_reject_ratio = 0.5 the same data passes.
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[("sales", bad_sales)]);
    let out = tmp.path().join("out");
    let cfg = config(
        tmp.path(),
        &input,
        &out,
        "[limits]\nmax_reject_ratio = 0.5\n",
    );
    run(&cfg)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("unknown client_id: 1"));
    assert_eq!(
        query(&format!("SELECT * FROM '{}'", table_file(&out, "rejects"))),
        vec!["sales|F2|1|unknown client_id"]
    );
}

#[test]
fn empty_and_corrupt_files_exit_3_naming_the_file() {
    for (name, bytes) in [
        ("empty", Vec::new()),
        (
            "garbage",
            b"this is not a parquet file at all, not even close".to_vec(),
        ),
        ("truncated", b"PAR1\x00\x00\x00\x00PAR1".to_vec()),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let input = dataset(&tmp.path().join("in"), &[]);
        std::fs::write(input.join("sales").join(format!("{name}.parquet")), &bytes).unwrap();
        let out = tmp.path().join("out");
        let cfg = config(tmp.path(), &input, &out, "");
        let assert = run(&cfg).assert().code(3);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(
            stderr.contains(&format!("sales/{name}.parquet")),
            "{name}: {stderr}"
        );
        if name != "empty" {
            // The reader's own error is kept as the cause.
            assert!(
                stderr.contains("unreadable or corrupt parquet file\n  caused by: "),
                "{name}: {stderr}"
            );
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(files_under(&out).is_empty());
    }
}

#[test]
fn integer_ids_timestamps_and_floats_are_coerced() {
    let tmp = tempfile::tempdir().unwrap();
    let clients = "SELECT * FROM (VALUES (CAST(1 AS BIGINT), 'Uno')) AS t(client_id, name)";
    let cadastre = "SELECT CAST(1 AS BIGINT) AS client_id, 'P1' AS parcel_id, 'SOJA' AS activity, \
        CAST(10.5 AS DOUBLE) AS productive_ha, CAST(NULL AS VARCHAR) AS season_id";
    let sales = "SELECT 'F1' AS document_id, 1 AS line_no, CAST(1 AS BIGINT) AS client_id, \
        CAST('2025-08-01T23:30:00' AS TIMESTAMP) AS document_date, 'INVOICE' AS document_type, \
        'VALID' AS status, CAST(100 AS BIGINT) AS amount, 'USD' AS currency";
    let input = dataset(
        &tmp.path().join("in"),
        &[
            ("clients", clients),
            ("cadastre", cadastre),
            ("sales", sales),
        ],
    );
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    let assert = run(&cfg).assert().code(0);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("FLOAT"),
        "one warning per float column expected: {stderr}"
    );
    assert_eq!(
        query(&format!(
            "SELECT client_id, potential, billing FROM '{}'",
            table_file(&out, "client_segments")
        )),
        vec!["1|525.00|100.00"]
    );
}

#[test]
fn campaign_problems_warn_or_fail_with_strict() {
    let campaigns = "SELECT campaign_id, description, season_id, start_date, end_date, status, by_potential, \
        CAST(potential_min AS DECIMAL(14,2)) AS potential_min, CAST(potential_max AS DECIMAL(14,2)) AS potential_max, \
        by_billing, CAST(billing_min AS DECIMAL(14,2)) AS billing_min, CAST(billing_max AS DECIMAL(14,2)) AS billing_max \
        FROM (VALUES ('K9', 'x', '2099/00', DATE '2026-01-01', DATE '2026-12-31', 'ACTIVE', true, 1, 2, true, 1, 2)) \
        AS t(campaign_id, description, season_id, start_date, end_date, status, by_potential, potential_min, potential_max, by_billing, billing_min, billing_max)";
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[("campaigns", campaigns)]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg)
        .arg("--strict")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("campaign 'K9': unknown season"));
    assert!(files_under(&out).is_empty());
    run(&cfg).assert().code(0);
    assert_eq!(
        query(&format!(
            "SELECT * FROM '{}'",
            table_file(&out, "campaign_summary")
        )),
        vec!["K9|x|2099/00|NULL|0|0.00|0.00|unknown season"]
    );
}

#[test]
fn configuration_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    for (extra, needle) in [
        ("[segments]\nhigh_potencial = \"1\"\n", "high_potencial"),
        (
            "[segments]\nhigh_billing = \"1.001\"\n",
            "more than 2 decimals",
        ),
        ("[limits]\nmax_reject_ratio = 2.0\n", "max_reject_ratio"),
    ] {
        let cfg = config(tmp.path(), &input, &out, extra);
        run(&cfg)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
    }
    zafra()
        .args(["run", "--config", "/nonexistent/job.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/job.toml"));
    zafra()
        .args(["run", "--as-of", "2026-13-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2026-13-01"));
    zafra().args(["frobnicate"]).assert().code(2);
    assert!(files_under(&out).is_empty());
}

/// A Parquet file decoded by the parquet crate (every row, no statistics
/// used), all columns but the top-level ones in `skip`: its schema and
/// batches, or None when it does not decode.
type Decoded = (
    datafusion::arrow::datatypes::SchemaRef,
    Vec<datafusion::arrow::record_batch::RecordBatch>,
);

fn decode_parquet(path: &Path, skip: &[usize]) -> Option<Decoded> {
    let file = std::fs::File::open(path).unwrap();
    let skip = skip.to_vec();
    std::panic::catch_unwind(move || {
        let builder =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).ok()?;
        let n = builder.parquet_schema().root_schema().get_fields().len();
        let mask = parquet::arrow::ProjectionMask::roots(
            builder.parquet_schema(),
            (0..n).filter(|i| !skip.contains(i)),
        );
        let builder = builder.with_projection(mask);
        let schema = std::sync::Arc::clone(builder.schema());
        let batches = builder.build().ok()?.collect::<Result<Vec<_>, _>>().ok()?;
        Some((schema, batches))
    })
    .ok()
    .flatten()
}

/// The columns whose footer statistics say they hold one value (min = max
/// and no null in every row group): (column index, value bytes). DataFusion
/// takes such a column's values from these statistics and does not read its
/// pages. None when the footer does not read.
fn constant_columns(path: &Path) -> Option<Vec<(usize, Vec<u8>)>> {
    let file = std::fs::File::open(path).unwrap();
    std::panic::catch_unwind(move || {
        let meta = parquet::file::metadata::ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .ok()?;
        let columns = meta.file_metadata().schema_descr().num_columns();
        let constant = |c: usize| -> Option<Vec<u8>> {
            let mut value: Option<Vec<u8>> = None;
            for rg in meta.row_groups() {
                let stats = rg.column(c).statistics()?;
                let (min, max) = (stats.min_bytes_opt()?, stats.max_bytes_opt()?);
                if min != max || stats.null_count_opt() != Some(0) {
                    return None;
                }
                match &value {
                    Some(v) if v.as_slice() != min => return None,
                    _ => value = Some(min.to_vec()),
                }
            }
            value
        };
        Some(
            (0..columns)
                .filter_map(|c| constant(c).map(|v| (c, v)))
                .collect(),
        )
    })
    .ok()
    .flatten()
}

/// The published output files of the snapshot of AS_OF: (table, SHA-256).
fn published_outputs(out: &Path) -> Vec<(String, String)> {
    let path = out
        .join("_manifests")
        .join(format!("snapshot_date={AS_OF}.json"));
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["table"].as_str().unwrap().to_string(),
                o["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// One byte of `sales` flipped at positions spread over the file. Each run
/// either refuses the input (exit 3, naming table `sales`, nothing
/// published) or succeeds (exit 0) and publishes exactly what the file
/// holds:
///
/// - if the file decodes whole (parquet crate, every column and row, no
///   statistics), the published tables are byte-identical to those of a run
///   on a clean encoding of the decoded rows (for a flip that leaves the rows
///   as they were, the unflipped run's tables);
/// - if it does not, the only accepted case is today's known one: the
///   undecodable pages belong to columns whose footer statistics say they
///   hold one value, which DataFusion 55 takes from the statistics without
///   reading the pages; then the file must decode without those columns to
///   the original rows, the statistics must give the original values, and the
///   tables must be the unflipped run's. (The contract asks exit 3 for a
///   corrupt file; this gap is DataFusion's constant-column shortcut.)
///
/// Reading other rows than the file holds (e.g. a row group skipped on
/// corrupt statistics), or exit 0 on a file that does not decode otherwise,
/// fails.
#[test]
fn bit_flipped_input_files_never_panic_nor_publish_partially() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let sales = input.join("sales").join("part-00000.parquet");
    let original = std::fs::read(&sales).unwrap();
    let original_copy = tmp.path().join("original-sales.parquet");
    std::fs::write(&original_copy, &original).unwrap();
    let original_rows = decode_parquet(&original_copy, &[]).expect("the fixture decodes");
    assert_eq!(
        original_rows.1.iter().map(|b| b.num_rows()).sum::<usize>(),
        3
    );
    let original_constants = constant_columns(&original_copy).unwrap();
    let run_into = |cfg_dir: &Path, input: &Path, out: &Path| {
        std::fs::create_dir_all(cfg_dir).unwrap();
        let cfg = config(cfg_dir, input, out, "");
        run(&cfg).output().unwrap()
    };
    let baseline_out = tmp.path().join("out-baseline");
    let baseline = run_into(&tmp.path().join("cfg-baseline"), &input, &baseline_out);
    assert_eq!(baseline.status.code(), Some(0));
    let baseline_outputs = published_outputs(&baseline_out);

    // Positions spread over the whole file: magic, pages, footer, footer length.
    let n = original.len();
    let mut positions: Vec<usize> = (0..24).map(|i| i * n / 24).collect();
    positions.extend([1, 3, n - 1, n - 5, n - 8, n - 9, n - 20, n - 40]);
    let (mut refused, mut same_rows, mut other_rows, mut unread_pages) = (0, 0, 0, 0);
    for pos in positions {
        let mut bytes = original.clone();
        bytes[pos] ^= 0xA5;
        std::fs::write(&sales, &bytes).unwrap();
        let out = tmp.path().join(format!("out-{pos}"));
        let output = run_into(&tmp.path().join(format!("cfg-{pos}")), &input, &out);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        assert!(!stderr.contains("panic"), "flip at {pos}: {stderr}");
        let outcome = match code {
            Some(3) => {
                assert!(
                    stderr.contains("table `sales`") && stderr.contains("sales/part-00000.parquet"),
                    "flip at {pos}: the message names no table and file: {stderr}"
                );
                assert!(
                    files_under(&out).is_empty(),
                    "flip at {pos}: exit 3 but published {:?}",
                    files_under(&out)
                );
                refused += 1;
                "refused"
            }
            Some(0) => match decode_parquet(&sales, &[]) {
                Some(decoded) if decoded == original_rows => {
                    assert_eq!(
                        published_outputs(&out),
                        baseline_outputs,
                        "flip at {pos}: same rows, other output"
                    );
                    same_rows += 1;
                    "accepted: the file decodes to the same rows, same output"
                }
                Some(decoded) => {
                    // Re-encode what the flipped file holds and run on that.
                    let clean = tmp.path().join(format!("in-clean-{pos}"));
                    for table in [
                        "clients",
                        "seasons",
                        "cadastre",
                        "potential_rates",
                        "fx_rates",
                        "campaigns",
                    ] {
                        std::fs::create_dir_all(clean.join(table)).unwrap();
                        std::fs::copy(
                            input.join(table).join("part-00000.parquet"),
                            clean.join(table).join("part-00000.parquet"),
                        )
                        .unwrap();
                    }
                    std::fs::create_dir_all(clean.join("sales")).unwrap();
                    let file =
                        std::fs::File::create(clean.join("sales").join("part-00000.parquet"))
                            .unwrap();
                    let mut writer =
                        parquet::arrow::ArrowWriter::try_new(file, decoded.0.clone(), None)
                            .unwrap();
                    for batch in &decoded.1 {
                        writer.write(batch).unwrap();
                    }
                    writer.close().unwrap();
                    let clean_out = tmp.path().join(format!("out-clean-{pos}"));
                    let reference = run_into(
                        &tmp.path().join(format!("cfg-clean-{pos}")),
                        &clean,
                        &clean_out,
                    );
                    assert_eq!(
                        reference.status.code(),
                        Some(0),
                        "flip at {pos}: exit 0, but its decoded rows are refused when clean:\n{}",
                        String::from_utf8_lossy(&reference.stderr)
                    );
                    assert_eq!(
                        published_outputs(&out),
                        published_outputs(&clean_out),
                        "flip at {pos}: exit 0 with other output than the file's rows give"
                    );
                    other_rows += 1;
                    "accepted: the file decodes to other rows, their output"
                }
                None => {
                    let constants = constant_columns(&sales).unwrap_or_else(|| {
                        panic!("flip at {pos}: exit 0 on a file whose footer does not read")
                    });
                    let skip: Vec<usize> = constants.iter().map(|(c, _)| *c).collect();
                    assert!(
                        !skip.is_empty()
                            && decode_parquet(&sales, &skip)
                                == decode_parquet(&original_copy, &skip),
                        "flip at {pos}: exit 0 on a file that does not decode\n{stderr}"
                    );
                    for c in &constants {
                        assert!(
                            original_constants.contains(c),
                            "flip at {pos}: column {} read from changed statistics",
                            c.0
                        );
                    }
                    assert_eq!(
                        published_outputs(&out),
                        baseline_outputs,
                        "flip at {pos}: other output than the original rows give"
                    );
                    unread_pages += 1;
                    "accepted: a corrupt page of a column taken from its statistics (unread)"
                }
            },
            other => panic!("flip at {pos}/{n}: exit {other:?}\n{stderr}"),
        };
        eprintln!(
            "flip {pos}: exit {code:?}, {outcome} {}",
            stderr
                .lines()
                .find(|l| l.starts_with("error"))
                .unwrap_or("")
        );
    }
    std::fs::write(&sales, &original).unwrap();
    eprintln!(
        "{refused} refused, {same_rows} same rows, {other_rows} other rows, \
         {unread_pages} corrupt unread pages"
    );
    // The footer length and the trailing magic bytes are always refused.
    assert!(refused >= 4, "{refused} refused");
}

#[test]
fn verify_catches_a_single_changed_byte_and_missing_and_extra_files() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg).assert().code(0);
    zafra()
        .args(["run", "--as-of", "2026-04-01", "--config"])
        .arg(&cfg)
        .assert()
        .code(0);
    zafra()
        .args(["snapshots", "--config"])
        .arg(&cfg)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(AS_OF))
        .stdout(predicate::str::contains("2026-04-01"))
        .stdout(predicate::str::contains("2 committed snapshot(s)"));
    let verify = || {
        let mut cmd = zafra();
        cmd.args(["verify", "--output"]).arg(&out);
        cmd
    };
    verify()
        .assert()
        .code(0)
        .stdout(predicate::str::contains("2 snapshot(s) verified"));

    // One changed byte.
    let file = table_file(&out, "client_segments");
    let original = std::fs::read(&file).unwrap();
    let mut changed = original.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 1;
    std::fs::write(&file, &changed).unwrap();
    verify()
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "changed: client_segments/snapshot_date=2026-03-31/",
        ))
        .stdout(predicate::str::contains("ok    2026-04-01"));
    std::fs::write(&file, &original).unwrap();

    // A missing file and an extra one, checked for one date only.
    let rejects = table_file(&out, "rejects");
    std::fs::remove_file(&rejects).unwrap();
    let extra = Path::new(&file).with_file_name("part-00001.parquet");
    std::fs::write(&extra, b"x").unwrap();
    verify()
        .args(["--as-of", AS_OF])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "missing: rejects/snapshot_date=2026-03-31/",
        ))
        .stdout(predicate::str::contains(
            "extra: client_segments/snapshot_date=2026-03-31/part-00001.parquet",
        ));
}

#[test]
fn diff_reports_joins_leaves_and_segment_changes_with_causes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let before = dataset(&tmp.path().join("in1"), &[]);
    let cfg1 = config(tmp.path(), &before, &out, "");
    run(&cfg1).assert().code(0);
    // The next day: C4 buys 6000 more (joins K1, becomes RETENCION) and K2's
    // rule becomes potential-only from 1000 (C2, potential 200, leaves).
    let sales = "SELECT document_id, CAST(line_no AS INT) AS line_no, client_id, document_date, document_type, status, \
        CAST(amount AS DECIMAL(18,2)) AS amount, CAST(currency AS VARCHAR) AS currency FROM (VALUES \
        ('F1', 1, 'C1', DATE '2025-08-01', 'INVOICE', 'VALID', 6000, 'USD'), \
        ('F2', 1, 'C2', DATE '2025-08-02', 'INVOICE', 'VALID', 70000000, 'PYG'), \
        ('F3', 1, 'C4', DATE '2025-08-03', 'INVOICE', 'VALID', 100, NULL), \
        ('F4', 1, 'C4', DATE '2026-04-01', 'INVOICE', 'VALID', 6000, 'USD')) \
        AS t(document_id, line_no, client_id, document_date, document_type, status, amount, currency)";
    let campaigns = &common::CAMPAIGNS.replace(
        "('K2', 'Todos', '2025/26', DATE '2025-07-01', DATE '2026-06-30', 'ACTIVE', false, NULL, NULL, false, NULL, NULL)",
        "('K2', 'Todos', '2025/26', DATE '2025-07-01', DATE '2026-06-30', 'ACTIVE', true, 1000, NULL, false, NULL, NULL)",
    );
    let after = dataset(
        &tmp.path().join("in2"),
        &[("sales", sales), ("campaigns", campaigns)],
    );
    let dir2 = tmp.path().join("second");
    std::fs::create_dir_all(&dir2).unwrap();
    let cfg2 = config(&dir2, &after, &out, "");
    zafra()
        .args(["run", "--as-of", "2026-04-01", "--config"])
        .arg(&cfg2)
        .assert()
        .code(0);

    let diff = |extra: &[&str]| {
        let mut cmd = zafra();
        cmd.args(["diff", "--from", AS_OF, "--to", "2026-04-01", "--output"])
            .arg(&out)
            .args(extra);
        cmd.assert().code(0).get_output().stdout.clone()
    };
    let json: serde_json::Value = serde_json::from_slice(&diff(&["--format", "json"])).unwrap();
    let members: Vec<String> = json["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} [{}]",
                r["campaign_id"].as_str().unwrap(),
                r["change"].as_str().unwrap(),
                r["client_id"].as_str().unwrap(),
                r["causes"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            "K1 joined C4 [billing changed]",
            "K2 left C2 [rule changed]"
        ]
    );
    let segments: Vec<String> = json["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}->{} [{}]",
                r["client_id"].as_str().unwrap(),
                r["from_segment"].as_str().unwrap(),
                r["to_segment"].as_str().unwrap(),
                r["causes"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(segments, ["C4 INVERSION->RETENCION [billing changed]"]);
    let table = String::from_utf8(diff(&["--campaign", "K1"])).unwrap();
    assert!(
        table.contains("campaign 'K1'") && table.contains("joined") && !table.contains("'K2'"),
        "{table}"
    );
    let pq = tmp.path().join("diffpq");
    diff(&["--format", "parquet", "--out", pq.to_str().unwrap()]);
    assert_eq!(
        query(&format!(
            "SELECT count(*) FROM '{}'",
            pq.join("diff_memberships.parquet").display()
        )),
        ["2"]
    );
}

#[test]
fn explain_shows_parcels_billing_thresholds_and_every_campaign_condition() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let cfg = config(tmp.path(), &input, &tmp.path().join("out"), "");
    let explain = |client: &str| {
        let output = zafra()
            .args(["explain", "--as-of", AS_OF, "--client", client, "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let c2 = explain("C2");
    for needle in [
        "parcel P1       MAIZ", // priced by the '*' rate
        "× 20.00 ('*' rate) = 200.0000",
        "INVOICE      PYG", // billing by type and currency, fx used
        "fx 0.0001000000",
        "potential 200.00 < 5000.00 (median), billing 7000.00 >= 5000.00 (median) -> REVISION",
        "'K1' (2025/26, RETENCION): not a member",
        "potential 200.00 in [5000, 20000]: FAIL, 4800.00 below the minimum",
        "billing 7000.00 in [5000, 20000]: pass, 2000.00 from the nearest bound",
        "'K2' (2025/26, TODOS): MEMBER",
    ] {
        assert!(c2.contains(needle), "missing {needle:?} in:\n{c2}");
    }
    let c1 = explain("C1");
    assert!(
        c1.contains("potential 5000.00 in [5000, 20000]: pass, 0.00 from the nearest bound"),
        "{c1}"
    );
    assert!(explain("C3").contains("inactive"));
    zafra()
        .args([
            "explain", "--as-of", AS_OF, "--client", "nobody", "--config",
        ])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "client 'nobody' is not in `clients`",
        ));
    // A campaign: its diagnostics, from the same views as campaign_diagnostics.
    let output = zafra()
        .args(["explain", "--as-of", AS_OF, "--campaign", "K1", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let k1 = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "campaign 'K1' as of",
        "potential range [5000, 20000]",
        "billing range [5000, 20000]",
        "members                      ",
    ] {
        assert!(k1.contains(needle), "missing {needle:?} in:\n{k1}");
    }
    zafra()
        .args([
            "explain",
            "--as-of",
            AS_OF,
            "--campaign",
            "nope",
            "--config",
        ])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("campaign 'nope' is not active on"));
    zafra()
        .args(["explain", "--client", "C1", "--campaign", "K1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--campaign"));
}

#[test]
fn a_memory_limit_gives_identical_output_and_the_same_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg).assert().code(0);
    let limited_dir = tmp.path().join("limited");
    std::fs::create_dir_all(&limited_dir).unwrap();
    let limited = config(&limited_dir, &input, &out, "[limits]\nmemory = \"64MiB\"\n");
    // Same content: the memory limit is not part of the configuration digest.
    run(&limited)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("unchanged"));
    let bad = config(&limited_dir, &input, &out, "[limits]\nmemory = \"lots\"\n");
    run(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("memory"));
}

/// Generated sales are written in document order, 1M rows a file: at scale
/// 0.25 two files with disjoint `document_id` ranges (the generator's
/// duplicate keys are in the second). Under a 64 MiB limit (262 144 rows a
/// key range) the duplicate-key pass runs in two ranges of ids, one per
/// file; with no limit (2M rows a range) it is one query. Same snapshot:
/// the duplicate keys, and so the rejects, are found either way.
#[test]
fn the_duplicate_key_pass_in_ranges_of_document_ids_publishes_the_same_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("crm");
    zafra()
        .args(["generate", "--scale", "0.25", "--seed", "5", "--out"])
        .arg(&input)
        .assert()
        .code(0);
    let out = tmp.path().join("out");
    let one = config(tmp.path(), &input, &out, "");
    let logged = |cfg: &Path| {
        let mut cmd = Command::cargo_bin("zafra").unwrap();
        cmd.env("ZAFRA_LOG", "zafra=debug")
            .args(["--log-format", "json", "run", "--as-of", AS_OF, "--config"])
            .arg(cfg);
        cmd
    };
    let first = logged(&one).assert().code(0);
    let stderr = String::from_utf8_lossy(&first.get_output().stderr).to_string();
    assert!(
        !stderr.contains("checkpoint in key ranges"),
        "no limit: one query\n{stderr}"
    );
    let duplicates = query(&format!(
        "SELECT COUNT(*) FROM '{}' WHERE table_name = 'sales' AND reason = 'duplicate key'",
        table_file(&out, "rejects")
    ));
    assert_ne!(duplicates, vec!["0"], "the generator writes duplicate keys");
    let limited_dir = tmp.path().join("limited");
    std::fs::create_dir_all(&limited_dir).unwrap();
    let limited = config(&limited_dir, &input, &out, "[limits]\nmemory = \"64MiB\"\n");
    let second = logged(&limited)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("unchanged"));
    let stderr = String::from_utf8_lossy(&second.get_output().stderr).to_string();
    assert!(
        stderr.contains(r#""message":"checkpoint in key ranges","view":"val_sales_candidate_documents","ranges":2"#),
        "{stderr}"
    );
}

/// Usage and not-found errors exit 2 and name the thing at fault, with the
/// cause below the message (issue 8: errors that keep their cause).
#[test]
fn usage_errors_name_the_thing_at_fault() {
    let tmp = tempfile::tempdir().unwrap();
    zafra()
        .args(["generate", "--scale", "0", "--out"])
        .arg(tmp.path().join("gen"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'0' is not a scale"));
    // A date with no committed snapshot.
    let out = tmp.path().join("out");
    zafra()
        .args([
            "diff",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
            "--output",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: no committed snapshot for 2026-01-01 in",
        ));
    // A typo in the configuration: the file in the message, the key in the cause.
    let input = dataset(&tmp.path().join("in"), &[]);
    // A storage root zafra cannot open: the root and what is wrong with it.
    run(&config(tmp.path(), &input, &out, ""))
        .args(["--input", "ftp://host/crm"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: storage root 'ftp://host/crm': scheme `ftp` is not supported",
        ));
    run(&config(tmp.path(), &input, &out, ""))
        .args(["--output", "s3:///no-bucket"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: storage root 's3:///no-bucket': has no bucket",
        ));
    let cfg = config(
        tmp.path(),
        &input,
        &out,
        "[segments]\nhigh_potencial = \"1\"\n",
    );
    run(&cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "error: config file `{}` is invalid",
            cfg.display()
        )))
        .stderr(
            predicate::str::contains("caused by: ").and(predicate::str::contains("high_potencial")),
        );
    // A corrupt manifest: verify reports it as a problem of that snapshot.
    run(&config(tmp.path(), &input, &out, "")).assert().code(0);
    let manifest = out
        .join("_manifests")
        .join(format!("snapshot_date={AS_OF}.json"));
    std::fs::write(&manifest, b"{ not json").unwrap();
    zafra()
        .args(["verify", "--all", "--output"])
        .arg(&out)
        .assert()
        .code(3)
        .stdout(predicate::str::contains(format!(
            "unreadable manifest _manifests/snapshot_date={AS_OF}.json: key must be a string"
        )));
}

#[test]
fn export_writes_a_campaigns_members_as_csv_and_xlsx() {
    let tmp = tempfile::tempdir().unwrap();
    let clients = "SELECT * FROM (VALUES \
        ('C1', 'Uno, \"S.A.\"', true, 'Norte', 'Ana'), ('C2', 'Dos', CAST(NULL AS BOOLEAN), NULL, 'Beto'), \
        ('C3', 'Tres', false, 'Sur', 'Ana'), ('C4', 'Cuatro', true, 'Sur', NULL)) \
        AS t(client_id, name, active, branch, salesperson)";
    let input = dataset(&tmp.path().join("in"), &[("clients", clients)]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    run(&cfg).assert().code(0);
    let export = |campaign: &str, format: &str, file: &Path| {
        let mut cmd = zafra();
        cmd.args([
            "export",
            "--campaign",
            campaign,
            "--format",
            format,
            "--out",
        ])
        .arg(file)
        .arg("--config")
        .arg(&cfg);
        cmd
    };
    // K2 reaches every client in scope (C3 is inactive).
    let csv = tmp.path().join("k2.csv");
    export("K2", "csv", &csv).assert().code(0).stdout(format!(
        "3 member(s) of the snapshot of {AS_OF} -> {}\n",
        csv.display()
    ));
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "client_id,name,branch,salesperson,season_id,potential,billing,segment"
    );
    // Name, branch and salesperson from `clients` (quoted where needed,
    // empty when null); the figures are the published memberships rows.
    let published = query(&format!(
        "SELECT client_id, season_id, potential, billing, segment FROM '{}' \
         WHERE campaign_id = 'K2' ORDER BY client_id",
        table_file(&out, "memberships")
    ));
    assert_eq!(published.len(), 3);
    let who = [
        "\"Uno, \"\"S.A.\"\"\",Norte,Ana",
        "Dos,,Beto",
        "Cuatro,Sur,",
    ];
    for ((line, row), who) in lines[1..].iter().zip(&published).zip(who) {
        let f: Vec<&str> = row.split('|').collect();
        assert_eq!(
            *line,
            format!("{},{who},{},{},{},{}", f[0], f[1], f[2], f[3], f[4])
        );
    }
    assert_eq!(lines.len(), 4);

    // XLSX: a header row, money as numbers formatted 0.00.
    let xlsx = tmp.path().join("k2.xlsx");
    export("K2", "xlsx", &xlsx).assert().code(0);
    let sheet = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
             print(z.read('xl/worksheets/sheet1.xml').decode()); \
             print(z.read('xl/sharedStrings.xml').decode()); \
             print(z.read('xl/styles.xml').decode())",
        ])
        .arg(&xlsx)
        .output()
        .unwrap();
    assert!(sheet.status.success(), "{sheet:?}");
    let xml = String::from_utf8(sheet.stdout).unwrap();
    assert!(xml.contains("formatCode=\"0.00\""), "{xml}");
    assert!(xml.contains("<t>client_id</t>") && xml.contains("<t>salesperson</t>"));
    let first_potential = published[0].split('|').nth(2).unwrap();
    let number = first_potential.trim_end_matches('0').trim_end_matches('.');
    assert!(
        xml.contains(&format!("<v>{number}</v>")),
        "potential {first_potential} as a number in:\n{xml}"
    );

    // Unknown campaign, no snapshot: exit 2 naming it.
    export("K9", "csv", &csv)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "campaign 'K9' is not in the snapshot of {AS_OF}"
        )));
    zafra()
        .args([
            "export",
            "--campaign",
            "K2",
            "--format",
            "csv",
            "--as-of",
            "2020-01-01",
            "--out",
        ])
        .arg(&csv)
        .arg("--config")
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no committed snapshot for 2020-01-01",
        ));
}
