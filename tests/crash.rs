//! Crashes and full disks on local storage, with the real binary:
//! - `kill -9` at many points of runs: afterwards every committed snapshot
//!   verifies and the next run succeeds, and the killed runs' scratch
//!   folders are removed by the runs after them;
//! - a file-size limit (`ulimit -f`, SIGXFSZ ignored: writes fail with EFBIG
//!   as on a full disk): exit 5, nothing committed.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{config, dataset};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_zafra")
}

fn verify_all(out: &Path) -> (i32, String) {
    let output = Command::new(bin())
        .args(["--log-format", "text", "verify", "--all", "--output"])
        .arg(out)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string(),
    )
}

#[test]
fn kill_9_at_random_points_never_leaves_a_bad_committed_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let scratch = tmp.path().join("scratch");
    let plain = config(tmp.path(), &input, &out, "");
    let other_dir = tmp.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = config(
        &other_dir,
        &input,
        &out,
        "[segments]\nhigh_billing = \"1\"\n",
    );
    let dates = ["2026-03-29", "2026-03-30", "2026-03-31"];
    // A deterministic pseudo-random sequence of kill delays.
    let mut state: u64 = 0x2545F4914F6CDD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut killed = 0;
    // The most scratch folders seen after a killed run: a killed run cannot
    // remove its own, so this is at least 1 when a kill lands while a run
    // holds one.
    let mut most_left = 0;
    for i in 0..30 {
        let date = dates[i % dates.len()];
        let cfg = if (i / 3) % 2 == 0 { &plain } else { &other };
        let delay = Duration::from_millis(next() % 700);
        let mut child = Command::new(bin())
            .args([
                "--log-format",
                "json",
                "run",
                "--replace",
                "--quiet",
                "--as-of",
                date,
                "--config",
            ])
            .arg(cfg)
            .env("ZAFRA_SCRATCH", &scratch)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        let status = child.wait().unwrap();
        if let Some(code) = status.code() {
            assert_eq!(code, 0, "run {i} ({date}) failed without being killed");
        }
        most_left = most_left.max(common::scratch_folders(&scratch).len());
        let (code, stdout) = verify_all(&out);
        assert_eq!(code, 0, "after run {i} (killed after {delay:?}):\n{stdout}");
    }
    assert!(
        killed >= 5,
        "only {killed} runs were killed: delays too long for this machine"
    );
    // The next run of every date succeeds and everything verifies.
    for date in dates {
        let status = Command::new(bin())
            .args([
                "--log-format",
                "json",
                "run",
                "--replace",
                "--quiet",
                "--as-of",
                date,
                "--config",
            ])
            .arg(&plain)
            .env("ZAFRA_SCRATCH", &scratch)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    // The killed runs left scratch folders; the runs after them removed
    // them, and the clean runs their own.
    assert!(
        most_left >= 1,
        "no killed run left a scratch folder: the kills missed the runs"
    );
    let scratch_left = common::scratch_folders(&scratch);
    assert!(
        scratch_left.is_empty(),
        "scratch folders after clean runs: {scratch_left:?}"
    );
    let (code, stdout) = verify_all(&out);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        !stdout.contains("leftover"),
        "leftovers after clean runs:\n{stdout}"
    );
}

#[test]
fn a_full_disk_exits_5_and_commits_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let mut full = 0;
    for blocks in [1, 2, 4, 8] {
        let out = tmp.path().join(format!("out-{blocks}"));
        let cfg = config(tmp.path(), &input, &out, "");
        let script = format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" --log-format text run --as-of 2026-03-31 --config \"$1\""
        );
        let output = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg(bin())
            .arg(&cfg)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(5) => {
                full += 1;
                assert!(stderr.contains("storage error"), "{stderr}");
                assert!(
                    !out.join("_manifests")
                        .join("snapshot_date=2026-03-31.json")
                        .exists(),
                    "limit {blocks}: a snapshot was committed after a failed write"
                );
            }
            Some(0) => {
                let (code, stdout) = verify_all(&out);
                assert_eq!(code, 0, "limit {blocks}: {stdout}");
            }
            other => panic!("limit {blocks}: exit {other:?}\n{stderr}"),
        }
        // With room again, the same run succeeds.
        let status = Command::new(bin())
            .args([
                "--log-format",
                "text",
                "run",
                "--quiet",
                "--as-of",
                "2026-03-31",
                "--config",
            ])
            .arg(&cfg)
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(verify_all(&out).0, 0);
    }
    assert!(
        full >= 1,
        "no limit made a write fail: the test proves nothing"
    );
}
