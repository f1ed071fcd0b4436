//! Fault injection on the output store (local disk): every request of a
//! run, one at a time, fails before it is applied, or is applied and then
//! reports an error (a lost response). After each faulty run: the run either
//! succeeded and its snapshot verifies, or it failed with exit 5 and the
//! committed state is what it was; it never reports success after a write
//! that did not happen. A clean re-run then succeeds and verifies. The same
//! sweep runs against moto's S3 server in tests/s3.rs.

mod common;

use common::faults::{When, sweep};

/// Builds the input dataset (outside any runtime), then sweeps on local disk.
fn run_sweeps(cases: &[(When, bool)]) {
    let tmp = tempfile::tempdir().unwrap();
    let input = common::dataset(&tmp.path().join("in"), &[]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for &(when, replace) in cases {
        let base = tmp.path().join(format!("out-{when:?}-{replace}"));
        rt.block_on(sweep(&input, when, replace, |i| {
            base.join(i.to_string()).display().to_string()
        }));
    }
}

#[test]
fn faults_before_a_request_never_commit_a_partial_snapshot() {
    run_sweeps(&[(When::Before, false)]);
}

#[test]
fn lost_responses_are_resolved_by_reading_back() {
    run_sweeps(&[(When::After, false)]);
}

#[test]
fn faults_while_replacing_keep_the_old_or_commit_the_new() {
    run_sweeps(&[(When::Before, true)]);
}

#[test]
fn lost_responses_while_replacing_are_resolved_by_reading_back() {
    run_sweeps(&[(When::After, true)]);
}
