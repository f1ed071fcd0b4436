//! Hostile inputs: values that look like paths or SQL are data, never code
//! or locations; huge strings do not crash the job.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{config, dataset, files_under};

fn run(cfg: &Path) -> assert_cmd::assert::Assert {
    Command::cargo_bin("zafra")
        .unwrap()
        .env("ZAFRA_LOG", "warn")
        .args([
            "--log-format",
            "text",
            "run",
            "--as-of",
            "2026-03-31",
            "--config",
        ])
        .arg(cfg)
        .assert()
}

#[test]
fn ids_with_path_separators_and_sql_are_plain_data() {
    let tmp = tempfile::tempdir().unwrap();
    let clients = "SELECT * FROM (VALUES \
        ('../../../etc/passwd', 'a'), \
        ('x''; DROP TABLE clients; --', 'b'), \
        ('C1\" OR 1=1 --', 'c'), \
        ('/abs/olute', 'd'), \
        ('snapshot_date=1999-01-01', 'e')) AS t(client_id, name)";
    let campaigns = "SELECT '../../escape' AS campaign_id, 'x' AS description, '2025/26' AS season_id, \
        DATE '2025-07-01' AS start_date, DATE '2026-06-30' AS end_date, 'ACTIVE' AS status, \
        false AS by_potential, CAST(NULL AS DECIMAL(10,2)) AS potential_min, CAST(NULL AS DECIMAL(10,2)) AS potential_max, \
        false AS by_billing, CAST(NULL AS DECIMAL(10,2)) AS billing_min, CAST(NULL AS DECIMAL(10,2)) AS billing_max";
    let sales = "SELECT '../../../tmp/evil' AS document_id, '1'' OR ''1''=''1' AS line_no, 'nobody' AS client_id, \
        DATE '2025-08-01' AS document_date, 'INVOICE' AS document_type, 'VALID' AS status, \
        CAST(1 AS DECIMAL(10,2)) AS amount, 'USD' AS currency";
    let input = dataset(
        &tmp.path().join("in"),
        &[
            ("clients", clients),
            ("campaigns", campaigns),
            ("sales", sales),
            (
                "cadastre",
                "SELECT 'x' AS client_id, 'p' AS parcel_id, 'SOJA' AS activity, CAST(1 AS DECIMAL(5,2)) AS productive_ha, CAST(NULL AS VARCHAR) AS season_id WHERE false",
            ),
        ],
    );
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "[limits]\nmax_reject_ratio = 1\n");
    run(&cfg).code(0);
    // Only the expected files, all under the output root: one Parquet file
    // per published table, plus the manifest, the lease and their locks.
    let files = files_under(&out);
    assert_eq!(files.len(), zafra::outputs::OUTPUTS.len() + 4, "{files:?}");
    for f in &files {
        assert!(
            f.starts_with("_manifests/snapshot_date=2026-03-31.json")
                || f == "_leases/snapshot_date=2026-03-31.json"
                || f == "_leases/.snapshot_date=2026-03-31.json.lock"
                || f == "_manifests/.snapshot_date=2026-03-31.json.lock"
                || f.contains("/snapshot_date=2026-03-31/part-00000-"),
            "unexpected file {f}"
        );
    }
    assert!(!tmp.path().join("escape").exists() && !Path::new("/tmp/evil").exists());
    // The values come back verbatim.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let read = |table: &str, sql: &str| -> Vec<String> {
        let dir = out.join(table).join("snapshot_date=2026-03-31");
        rt.block_on(async {
            let ctx = datafusion::prelude::SessionContext::new();
            ctx.register_parquet("t", dir.to_str().unwrap(), Default::default())
                .await
                .unwrap();
            let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            let mut rows = Vec::new();
            for b in batches {
                let col = datafusion::arrow::compute::cast(
                    b.column(0),
                    &datafusion::arrow::datatypes::DataType::Utf8,
                )
                .unwrap();
                let col = col
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::StringArray>()
                    .unwrap();
                rows.extend(col.iter().map(|v| v.unwrap_or("NULL").to_string()));
            }
            rows
        })
    };
    assert_eq!(
        read(
            "memberships",
            "SELECT campaign_id || ' ' || client_id FROM t ORDER BY 1"
        ),
        [
            "../../escape ../../../etc/passwd",
            "../../escape /abs/olute",
            "../../escape C1\" OR 1=1 --",
            "../../escape snapshot_date=1999-01-01",
            "../../escape x'; DROP TABLE clients; --",
        ]
    );
    assert_eq!(
        read("rejects", "SELECT row_key || ' ' || reason FROM t"),
        ["../../../tmp/evil|1' OR '1'='1 unknown client_id"]
    );
}

#[test]
fn a_64_mib_string_does_not_crash_the_job() {
    let tmp = tempfile::tempdir().unwrap();
    let clients = "SELECT * FROM (VALUES ('C1', repeat('n', 67108864)), ('C2', 'b'), ('C4', 'd')) AS t(client_id, name)";
    let input = dataset(&tmp.path().join("in"), &[("clients", clients)]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    let assert = run(&cfg);
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panic"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}
