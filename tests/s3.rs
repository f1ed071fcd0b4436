//! End-to-end against a real S3 API server on loopback (moto's server, from
//! PyPI: `pip install 'moto[server]'`, installed by `.ci/run`). The test
//! starts its own server on a free port; it fails, never skips, without it.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use assert_cmd::Command;
use common::moto::{SECRET, listed, s3_env, start_moto, store, upload};
use common::{config, dataset};
use predicates::prelude::*;

#[test]
fn runs_end_to_end_on_s3_with_the_same_bytes_as_on_local_disk() {
    let moto = start_moto();
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let local_out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &local_out, "");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s3 = store(&moto.endpoint);
    rt.block_on(upload(&s3, &input, "crm"));

    // Local run, for reference.
    let mut cmd = Command::cargo_bin("zafra").unwrap();
    cmd.args([
        "--log-format",
        "text",
        "run",
        "--as-of",
        "2026-03-31",
        "--config",
    ])
    .arg(&cfg);
    cmd.assert().code(0);

    // Same job on S3, with debug logs: the secret must never appear.
    let s3_run = || {
        let mut cmd = Command::cargo_bin("zafra").unwrap();
        s3_env(&mut cmd, &moto.endpoint);
        cmd.env("ZAFRA_LOG", "debug")
            .args([
                "--log-format",
                "text",
                "run",
                "--as-of",
                "2026-03-31",
                "--config",
            ])
            .arg(&cfg)
            .args(["--input", "s3://zafra/crm", "--output", "s3://zafra/out"]);
        cmd
    };
    let first = s3_run()
        .assert()
        .code(0)
        .stdout(predicate::str::contains("published to s3://zafra/out"));
    let stderr = String::from_utf8_lossy(&first.get_output().stderr).to_string();
    assert!(!stderr.contains(SECRET), "the secret key was logged");
    s3_run()
        .assert()
        .code(0)
        .stdout(predicate::str::contains("unchanged"));

    let mut verify = Command::cargo_bin("zafra").unwrap();
    s3_env(&mut verify, &moto.endpoint);
    verify
        .args(["verify", "--output", "s3://zafra/out"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 snapshot(s) verified"));

    // Every Parquet file is byte-identical to the local run's.
    let remote = rt.block_on(listed(&s3, "out"));
    let remote_parquet: Vec<_> = remote
        .iter()
        .filter(|(p, _)| p.ends_with(".parquet"))
        .collect();
    assert_eq!(
        remote_parquet.len(),
        zafra::outputs::OUTPUTS.len(),
        "{:?}",
        remote.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    for (rel, bytes) in remote_parquet {
        let local = std::fs::read(local_out.join(rel)).unwrap();
        assert!(&local == bytes, "{rel} differs between S3 and local disk");
    }

    // A missing input table on S3 is an input error; nothing is published.
    let mut cmd = Command::cargo_bin("zafra").unwrap();
    s3_env(&mut cmd, &moto.endpoint);
    cmd.args(["run", "--as-of", "2026-03-31", "--config"])
        .arg(&cfg)
        .args([
            "--input",
            "s3://zafra/nothing-here",
            "--output",
            "s3://zafra/out2",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("table `clients` not found"));
    assert!(rt.block_on(listed(&s3, "out2")).is_empty());
}

#[test]
fn an_unreachable_store_is_a_storage_error_exit_5() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let cfg = config(tmp.path(), &input, &tmp.path().join("out"), "");
    let mut cmd = Command::cargo_bin("zafra").unwrap();
    s3_env(&mut cmd, &format!("http://127.0.0.1:{port}"));
    cmd.env("ZAFRA_S3_RETRY_TIMEOUT_SECS", "2")
        .args(["run", "--as-of", "2026-03-31", "--config"])
        .arg(&cfg)
        .args(["--output", "s3://zafra/out"])
        .timeout(Duration::from_secs(120))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("storage error"));
}

/// The fault sweep of tests/faults.rs, against the S3 server: every request
/// of a run fails in turn, before or after it is applied.
#[test]
fn faults_on_s3_never_commit_a_partial_snapshot() {
    use common::faults::{When, sweep};
    let moto = start_moto();
    // This test binary's other tests pass credentials to child processes
    // only, so setting them for this process is not racy in effect.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET);
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_ENDPOINT_URL", &moto.endpoint);
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    // Both sweeps at once, each on a thread and runtime of its own: they
    // share the server and the credentials, and each has its own prefixes.
    std::thread::scope(|scope| {
        for when in [When::Before, When::After] {
            let input = &input;
            scope.spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(sweep(input, when, false, |i| {
                    format!("s3://zafra/faults-{when:?}-{i}")
                }));
            });
        }
    });
}
