//! Differential test: every table zafra publishes must equal, exactly (values,
//! types, order), what an independent DuckDB implementation of the contract
//! (`tests/differential/reference.py`) computes from the same inputs, on
//! generated data with several seeds, as-of dates and configurations, and on
//! a hand-made edge-case dataset. Needs `python3` with the packages of
//! `tests/requirements.txt` (`.ci/run` installs them); it fails, never skips,
//! without them.

use std::path::Path;
use std::process::Command;

#[test]
fn published_tables_equal_the_duckdb_reference() {
    let work = tempfile::tempdir().unwrap();
    let script = Path::new(&manifest_dir())
        .join("tests")
        .join("differential")
        .join("run_differential.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--zafra")
        .arg(env!("CARGO_BIN_EXE_zafra"))
        .arg("--work")
        .arg(work.path())
        .output()
        .expect("python3 must be installed (see tests/requirements.txt)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the differential test failed (exit {:?}); see the output above",
        output.status.code()
    );
    assert!(
        stdout.contains("agree"),
        "the driver reported no compared case:\n{stdout}"
    );
}

/// The package folder at run time (cargo sets it when running tests): a
/// binary built from another checkout sharing the target folder still reads
/// this checkout's files.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
