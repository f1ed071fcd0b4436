//! Overlapping runs of one date, as real processes, on local disk and on
//! moto's S3 server (README, "Publishing": the lease protocol).
//!
//! Deterministic interleavings: a first run stops itself (SIGSTOP, through
//! the `ZAFRA_TEST_PAUSE_AT` hook) at each step of the publishing protocol;
//! a second run of the same date runs to its end — while the first one's
//! lease is live, or with its clock moved past the lease's expiry (a first
//! run stalled for too long) — then the first one is continued. For every
//! pair of modes (normal, `--replace`, same or other content, with or without
//! a committed snapshot before) the exit codes are the expected ones, the
//! last run that succeeded is what is committed, every committed snapshot
//! verifies with nothing missing, changed or extra, and a later run leaves
//! no leftovers. Then 50 races of 2–3 runs at random offsets (some killed
//! with SIGKILL, some dry runs) on each store.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::moto::{Moto, s3_env_std, start_moto, store};
use common::{config, dataset};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_zafra")
}

const DATE: &str = "2026-03-31";

/// Three configurations over the same input: three different snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cfg {
    A,
    B,
    C,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mode {
    cfg: Cfg,
    replace: bool,
}

const fn normal(cfg: Cfg) -> Mode {
    Mode {
        cfg,
        replace: false,
    }
}

const fn replace(cfg: Cfg) -> Mode {
    Mode { cfg, replace: true }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    configs: [PathBuf; 3],
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let input = dataset(&root.join("in"), &[]);
        let extras = [
            "",
            "[segments]\nhigh_billing = \"1\"\n",
            "[segments]\nhigh_potential = \"1\"\n",
        ];
        let configs = extras.map(|extra| {
            let dir = root.join(format!("cfg-{}", extra.len()));
            std::fs::create_dir_all(&dir).unwrap();
            // The output root is always given with --output.
            config(&dir, &input, &root.join("unused"), extra)
        });
        Fixture {
            _tmp: tmp,
            root,
            configs,
        }
    }

    fn config(&self, cfg: Cfg) -> &Path {
        match cfg {
            Cfg::A => &self.configs[0],
            Cfg::B => &self.configs[1],
            Cfg::C => &self.configs[2],
        }
    }
}

/// Where snapshots go: a local folder or a prefix on the S3 server; and the
/// folder of the runs' scratch folders (`ZAFRA_SCRATCH`).
struct Target<'a> {
    root: String,
    moto: Option<&'a Moto>,
    scratch: PathBuf,
}

impl Target<'_> {
    fn command(&self) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(["--log-format", "text"])
            .env("ZAFRA_SCRATCH", &self.scratch);
        if let Some(moto) = self.moto {
            s3_env_std(&mut cmd, &moto.endpoint);
            cmd.env("ZAFRA_S3_RETRY_TIMEOUT_SECS", "10");
        }
        cmd
    }

    fn spawn(&self, fx: &Fixture, mode: Mode, date: &str, hooks: &[(&str, String)]) -> Child {
        let mut cmd = self.command();
        cmd.args(["run", "--as-of", date, "--config"])
            .arg(fx.config(mode.cfg))
            .args(["--output", &self.root]);
        if mode.replace {
            cmd.arg("--replace");
        }
        for (key, value) in hooks {
            cmd.env(key, value);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn run(&self, fx: &Fixture, mode: Mode, date: &str, hooks: &[(&str, String)]) -> Ran {
        Ran::from(
            self.spawn(fx, mode, date, hooks)
                .wait_with_output()
                .unwrap(),
        )
    }

    /// `zafra verify --all`: exit code and report.
    fn verify(&self) -> (i32, String) {
        let output = self
            .command()
            .args(["verify", "--all", "--output", &self.root])
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }

    /// The run id of the committed snapshot of `date`, if any.
    fn committed(&self, date: &str) -> Option<String> {
        let rel = format!("_manifests/snapshot_date={date}.json");
        let bytes = match self.moto {
            None => std::fs::read(Path::new(&self.root).join(rel)).ok()?,
            Some(moto) => {
                let prefix = self.root.trim_start_matches("s3://zafra/");
                let path = object_store::path::Path::from(format!("{prefix}/{rel}"));
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use object_store::ObjectStoreExt;
                    match store(&moto.endpoint).get(&path).await {
                        Ok(r) => Some(r.bytes().await.unwrap().to_vec()),
                        Err(object_store::Error::NotFound { .. }) => None,
                        Err(e) => panic!("reading {path}: {e}"),
                    }
                })?
            }
        };
        let manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        Some(manifest["run_id"].as_str().unwrap().to_string())
    }

    /// Verifies every committed snapshot: nothing missing, changed or extra.
    fn assert_verifies(&self, context: &str) -> String {
        let (code, report) = self.verify();
        assert_eq!(code, 0, "{context}: verify --all failed:\n{report}");
        for word in ["missing", "changed", "extra"] {
            assert!(
                !report.contains(word),
                "{context}: verify reports {word}:\n{report}"
            );
        }
        report
    }
}

/// A finished run.
#[derive(Debug)]
struct Ran {
    code: i32,
    run_id: Option<String>,
    stderr: String,
}

impl From<Output> for Ran {
    fn from(output: Output) -> Self {
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        // "zafra snapshot D (run <id>): <outcome>"
        let run_id = stdout
            .split("(run ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .map(str::to_string);
        Ran {
            code: output.status.code().unwrap_or(-1),
            run_id,
            stderr: String::from_utf8_lossy(&output.stderr).to_string(),
        }
    }
}

impl Ran {
    /// Exit 5 must say that another run was in progress.
    fn assert_honest(&self, context: &str) {
        match self.code {
            0 => assert!(self.run_id.is_some(), "{context}: exit 0 without a summary"),
            4 => assert!(
                self.stderr.contains("already exists with other content"),
                "{context}: exit 4 without saying why:\n{}",
                self.stderr
            ),
            5 => assert!(
                self.stderr.contains("another run"),
                "{context}: exit 5 without naming the other run:\n{}",
                self.stderr
            ),
            other => panic!("{context}: exit {other}:\n{}", self.stderr),
        }
    }
}

/// Waits until `child` has stopped itself; false if it exited instead.
fn wait_stopped(child: &mut Child, context: &str) -> bool {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .unwrap_or("");
        if state == "T" {
            return true;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{context}: the first run neither stopped nor exited"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The steps of the protocol a run that writes passes through.
fn steps(replaces: bool) -> Vec<String> {
    let mut steps = vec!["after-intent".to_string()];
    steps.extend((1..=4).map(|n| format!("after-file-{n}")));
    if replaces {
        steps.push("after-archive".to_string());
    }
    steps.push("before-manifest".to_string());
    steps.push("before-cleanup".to_string());
    steps
}

/// One interleaving: `pre` committed first (if any); `first` stops at
/// `step`; `second` runs to its end (with its clock past the first's lease
/// when `expired`); `first` continues.
fn interleave(
    fx: &Fixture,
    target: &Target,
    pre: Option<Mode>,
    first: Mode,
    second: Mode,
    step: &str,
    expired: bool,
) {
    let context = format!(
        "{}: pre {pre:?}, first {first:?} stopped {step}, second {second:?}{}",
        target.root,
        if expired {
            " after the lease expired"
        } else {
            ""
        }
    );
    let mut baseline = None;
    if let Some(pre) = pre {
        let ran = target.run(fx, pre, DATE, &[]);
        assert_eq!(ran.code, 0, "{context}: baseline: {}", ran.stderr);
        baseline = ran.run_id;
    }
    let mut child = target.spawn(
        fx,
        first,
        DATE,
        &[("ZAFRA_TEST_PAUSE_AT", step.to_string())],
    );
    assert!(
        wait_stopped(&mut child, &context),
        "{context}: the first run exited before {step}: {:?}",
        Ran::from(child.wait_with_output().unwrap())
    );
    let hooks = if expired {
        vec![("ZAFRA_TEST_CLOCK_OFFSET_SECS", "3600".to_string())]
    } else {
        Vec::new()
    };
    let second_ran = target.run(fx, second, DATE, &hooks);
    signal(&child, "-CONT");
    let first_ran = Ran::from(child.wait_with_output().unwrap());
    second_ran.assert_honest(&format!("{context}: second"));
    first_ran.assert_honest(&format!("{context}: first"));

    // What each run must have done.
    let first_committed = step == "before-cleanup";
    let committed_cfg = if first_committed {
        Some(first.cfg)
    } else {
        pre.map(|p| p.cfg)
    };
    let second_expected = match committed_cfg {
        Some(c) if c == second.cfg => 0, // unchanged
        Some(_) if !second.replace => 4,
        _ if expired => 0, // takes over the stalled run's lease
        _ => 5,            // the first run's lease is live
    };
    let second_wrote = second_expected == 0 && committed_cfg != Some(second.cfg);
    // A live lease, a commit already made, or a second run that touched
    // nothing (exit 4): the first run ends normally.
    let undisturbed = !expired || first_committed || second_expected == 4;
    let first_expected = if undisturbed {
        0
    } else if step == "before-manifest" {
        // Its commit is conditional on the manifest it planned against.
        if !second_wrote || second.cfg == first.cfg {
            0
        } else {
            4
        }
    } else {
        5 // it lost its lease and stops before writing more
    };
    assert_eq!(
        second_ran.code, second_expected,
        "{context}: second run: {}",
        second_ran.stderr
    );
    assert_eq!(
        first_ran.code, first_expected,
        "{context}: first run: {}",
        first_ran.stderr
    );
    // What is committed is what the run that committed last wrote.
    let (expected_committed, last_cfg) = if first_committed {
        if second_wrote {
            (second_ran.run_id.clone(), Some(second.cfg))
        } else {
            (first_ran.run_id.clone(), Some(first.cfg))
        }
    } else if first_ran.code == 0 {
        (first_ran.run_id.clone(), Some(first.cfg))
    } else if second_wrote {
        (second_ran.run_id.clone(), Some(second.cfg))
    } else {
        (baseline, pre.map(|p| p.cfg))
    };
    assert_eq!(
        target.committed(DATE),
        expected_committed,
        "{context}: committed snapshot"
    );
    target.assert_verifies(&context);
    // A later run of the committed content finds it unchanged and leaves no
    // leftovers behind.
    if let Some(cfg) = last_cfg {
        let ran = target.run(fx, normal(cfg), DATE, &[]);
        assert_eq!(ran.code, 0, "{context}: tidy run: {}", ran.stderr);
        let report = target.assert_verifies(&context);
        assert!(
            !report.contains("leftover"),
            "{context}: leftovers after a clean run:\n{report}"
        );
    }
}

/// Every step × both lease regimes for one pair of runs, each on a fresh
/// output root (a folder, or a prefix on the S3 server).
fn all_steps(moto: Option<&Moto>, pair: &str, pre: Option<Mode>, first: Mode, second: Mode) {
    let fx = Fixture::new();
    let replaces = pre.is_some_and(|p| p.cfg != first.cfg) && first.replace;
    for step in steps(replaces) {
        for expired in [false, true] {
            let name = format!("{step}-{}", if expired { "expired" } else { "live" });
            let root = match moto {
                Some(_) => format!("s3://zafra/{pair}/{name}"),
                None => fx.root.join("out").join(&name).display().to_string(),
            };
            let target = Target {
                root,
                moto,
                scratch: fx.root.join("scratch"),
            };
            interleave(&fx, &target, pre, first, second, &step, expired);
        }
    }
}

/// The reproduction: a `--replace` run stalls while a normal run of
/// the committed content runs to its end.
#[test]
fn replace_stalled_while_a_normal_run_finds_it_unchanged() {
    all_steps(
        None,
        "p1",
        Some(normal(Cfg::A)),
        replace(Cfg::B),
        normal(Cfg::A),
    );
}

#[test]
fn replace_stalled_while_another_replace_runs() {
    all_steps(
        None,
        "p2",
        Some(normal(Cfg::A)),
        replace(Cfg::B),
        replace(Cfg::C),
    );
    all_steps(
        None,
        "p6",
        Some(normal(Cfg::A)),
        replace(Cfg::B),
        replace(Cfg::B),
    );
}

/// An Airflow retry while the first try still runs, and other first runs.
#[test]
fn first_run_stalled_while_a_retry_or_another_run_runs() {
    all_steps(None, "p3", None, normal(Cfg::A), normal(Cfg::A));
    all_steps(None, "p4", None, normal(Cfg::A), normal(Cfg::B));
    all_steps(None, "p5", None, normal(Cfg::A), replace(Cfg::B));
}

#[test]
fn interleavings_on_s3() {
    let moto = start_moto();
    let m = Some(&moto);
    all_steps(
        m,
        "p1",
        Some(normal(Cfg::A)),
        replace(Cfg::B),
        normal(Cfg::A),
    );
    all_steps(
        m,
        "p2",
        Some(normal(Cfg::A)),
        replace(Cfg::B),
        replace(Cfg::C),
    );
    all_steps(m, "p3", None, normal(Cfg::A), normal(Cfg::A));
    all_steps(m, "p5", None, normal(Cfg::A), replace(Cfg::B));
}

/// 50 races of 2–3 runs of the same date started at random offsets, some
/// killed, some dry runs; three dates share one output root.
fn races(target: &Target, seed: u64) {
    let fx = Fixture::new();
    let mut state = seed;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let dates = ["2026-03-29", "2026-03-30", "2026-03-31"];
    for race in 0..50 {
        let date = dates[race % dates.len()];
        let before = target.committed(date);
        let runs = 2 + next(2) as usize;
        let mut children = Vec::new();
        let started = Instant::now();
        let mut plan: Vec<(u64, Mode, bool)> = (0..runs)
            .map(|_| {
                let cfg = [Cfg::A, Cfg::B, Cfg::C][next(3) as usize];
                let dry = next(6) == 0;
                (
                    next(400),
                    Mode {
                        cfg,
                        replace: next(2) == 0,
                    },
                    dry,
                )
            })
            .collect();
        plan.sort_by_key(|(delay, _, _)| *delay);
        let kill = (next(4) == 0).then(|| (next(runs as u64) as usize, 50 + next(900)));
        for (delay, mode, dry) in &plan {
            let wait = Duration::from_millis(*delay).saturating_sub(started.elapsed());
            std::thread::sleep(wait);
            let mut cmd = target.command();
            cmd.args(["run", "--as-of", date, "--config"])
                .arg(fx.config(mode.cfg))
                .args(["--output", &target.root]);
            if mode.replace {
                cmd.arg("--replace");
            }
            if *dry {
                cmd.arg("--dry-run");
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            children.push(child);
        }
        let mut killed = None;
        if let Some((victim, after)) = kill {
            let wait = Duration::from_millis(after).saturating_sub(started.elapsed());
            std::thread::sleep(wait);
            if children[victim].try_wait().unwrap().is_none() {
                children[victim].kill().unwrap();
                killed = Some(victim);
            }
        }
        let mut succeeded = Vec::new();
        for (i, child) in children.into_iter().enumerate() {
            let ran = Ran::from(child.wait_with_output().unwrap());
            let context = format!(
                "{} race {race} ({date}), run {i} {:?}",
                target.root, plan[i]
            );
            if killed == Some(i) {
                continue;
            }
            ran.assert_honest(&context);
            if plan[i].2 {
                // A dry run exits as the real run would, but never with 5:
                // it takes no lease.
                assert!(
                    ran.code == 0 || ran.code == 4,
                    "{context}: a dry run failed: {}",
                    ran.stderr
                );
            } else if ran.code == 0 {
                succeeded.push(ran.run_id);
            }
        }
        let committed = target.committed(date);
        assert!(
            committed == before || succeeded.contains(&committed),
            "{} race {race}: committed {committed:?}, neither the previous one {before:?} nor one a run reported ({succeeded:?})",
            target.root
        );
        target.assert_verifies(&format!("{} race {race}", target.root));
    }
    // Clean runs afterwards succeed (a killed run's lease is taken over at
    // once: its process is gone) and leave no leftovers.
    for date in dates {
        let ran = target.run(&fx, replace(Cfg::A), date, &[]);
        assert_eq!(
            ran.code, 0,
            "{}: clean run of {date}: {}",
            target.root, ran.stderr
        );
    }
    let report = target.assert_verifies(&format!("{} after the races", target.root));
    assert!(
        !report.contains("leftover"),
        "{}: leftovers after clean runs:\n{report}",
        target.root
    );
    // Nor scratch folders: the killed runs' are removed by the runs after
    // them (a live run's lock keeps its own).
    let scratch_left = common::scratch_folders(&target.scratch);
    assert!(
        scratch_left.is_empty(),
        "{}: scratch folders after clean runs: {scratch_left:?}",
        target.root
    );
}

#[test]
fn random_races_on_local_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let target = Target {
        root: tmp.path().join("out").display().to_string(),
        moto: None,
        scratch: tmp.path().join("scratch"),
    };
    races(&target, 0x9E37_79B9_7F4A_7C15);
}

#[test]
fn random_races_on_s3() {
    let moto = start_moto();
    let tmp = tempfile::tempdir().unwrap();
    let target = Target {
        root: "s3://zafra/races".to_string(),
        moto: Some(&moto),
        scratch: tmp.path().join("scratch"),
    };
    races(&target, 0xD1B5_4A32_D192_ED03);
}
