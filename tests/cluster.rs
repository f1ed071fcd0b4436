//! The cluster engine with real processes on loopback: one `zafra cluster
//! scheduler` and two `zafra cluster executor`s (Ballista's own scheduler
//! and executor, started from zafra's binary), each a separate process on
//! free 127.0.0.1 ports. The job runs through them on generated data and
//! must publish the very bytes the embedded engine publishes; on the S3 API
//! server (moto, installed by `.ci/run`) too; an executor killed with
//! SIGKILL mid-run loses nothing and commits nothing partial; an
//! unreachable scheduler is a storage error (exit 5) within the timeout.
//! Every process is killed when its guard drops, whatever happens.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::files_under;
use common::moto::{SECRET, listed, s3_env_std, start_moto, store, upload};

const AS_OF: &str = "2026-03-31";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Two free ports in a row (an executor's shuffle and task services).
fn free_port_pair() -> u16 {
    loop {
        let port = free_port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn zafra() -> Process {
    Process::new(assert_cmd::cargo::cargo_bin("zafra"))
}

/// A process killed (SIGKILL) and reaped when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One scheduler and two executors, each its own process.
struct Cluster {
    scheduler_port: u16,
    executors: Vec<Killed>,
    _scheduler: Killed,
    _work: tempfile::TempDir,
}

impl Cluster {
    /// Starts the processes and waits until each listens (an executor
    /// listens once the scheduler has registered it). `s3` gives every
    /// process the S3 server's `AWS_*` variables.
    fn start(s3: Option<&str>) -> Cluster {
        let work = tempfile::tempdir().unwrap();
        let scheduler_port = free_port();
        let spawn = |args: &[&str], log: &str| {
            let mut cmd = zafra();
            cmd.args(["--log-format", "text", "cluster"])
                .args(args)
                .env("ZAFRA_LOG", "info")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(work.path().join(log)).unwrap());
            if let Some(endpoint) = s3 {
                s3_env_std(&mut cmd, endpoint);
            }
            cmd.spawn().unwrap()
        };
        let mut scheduler = spawn(
            &[
                "scheduler",
                "--bind",
                &format!("127.0.0.1:{scheduler_port}"),
                "--executor-timeout-secs",
                "6",
            ],
            "scheduler.log",
        );
        wait_for_port(scheduler_port, "the scheduler", &mut scheduler);
        let scheduler = Killed(scheduler);
        let mut executors = Vec::new();
        for n in 1..=2 {
            let port = free_port_pair();
            let dir = work.path().join(format!("executor{n}"));
            let mut child = spawn(
                &[
                    "executor",
                    "--scheduler",
                    &format!("127.0.0.1:{scheduler_port}"),
                    "--bind",
                    &format!("127.0.0.1:{port}"),
                    "--work-dir",
                    dir.to_str().unwrap(),
                    "--slots",
                    "1",
                    "--heartbeat-secs",
                    "1",
                ],
                &format!("executor{n}.log"),
            );
            wait_for_port(port, "an executor", &mut child);
            executors.push(Killed(child));
        }
        Cluster {
            scheduler_port,
            executors,
            _scheduler: scheduler,
            _work: work,
        }
    }

    fn engine(&self, scratch: &str) -> String {
        format!(
            "[engine]\nkind = \"ballista\"\nscheduler = \"df://127.0.0.1:{}\"\nscratch = \"{scratch}\"\nconnect_timeout_secs = 5\n",
            self.scheduler_port
        )
    }

    /// Whether an executor has written shuffle files (so the work was
    /// spread over the processes, not run on the client).
    fn executors_worked(&self) -> Vec<bool> {
        (1..=2)
            .map(|n| !files_under(&self._work.path().join(format!("executor{n}"))).is_empty())
            .collect()
    }
}

/// Generated data at scale 0.1 (10 000 clients, about half a million sales
/// lines), once per test.
fn generated(dir: &Path) -> PathBuf {
    let out = dir.join("crm");
    let status = zafra()
        .args(["generate", "--scale", "0.1", "--seed", "11", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    out
}

fn write_config(dir: &Path, name: &str, input: &str, output: &str, extra: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "base_currency = \"USD\"\n\n[input]\nroot = \"{input}\"\n\n[output]\nroot = \"{output}\"\n\n{extra}"
        ),
    )
    .unwrap();
    path
}

/// Runs `zafra run`; returns (exit code, stdout, stderr).
fn run(config: &Path, s3: Option<&str>) -> (i32, String, String) {
    let mut cmd = zafra();
    cmd.args(["--log-format", "text", "run", "--as-of", AS_OF, "--config"])
        .arg(config);
    if let Some(endpoint) = s3 {
        s3_env_std(&mut cmd, endpoint);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What a run published: its table files (relative path → bytes) and run id.
type Published = (Vec<(String, Vec<u8>)>, String);

/// The embedded engine's run on generated data under `dir`: the input
/// folder, the run's configuration and what it published (the reference a
/// cluster run must equal).
fn embedded_reference(dir: &Path) -> (PathBuf, PathBuf, Published) {
    let input = generated(dir);
    let local_out = dir.join("local");
    let local = write_config(
        dir,
        "local.toml",
        input.to_str().unwrap(),
        local_out.to_str().unwrap(),
        "",
    );
    let (code, _, stderr) = run(&local, None);
    assert_eq!(code, 0, "{stderr}");
    let reference = published_local(&local_out);
    (input, local, reference)
}

/// The published table files (relative path → bytes) and the run id.
fn published_local(out: &Path) -> Published {
    let files = files_under(out)
        .into_iter()
        .filter(|f| f.ends_with(".parquet"))
        .map(|f| {
            let bytes = std::fs::read(out.join(&f)).unwrap();
            (f, bytes)
        })
        .collect();
    let manifest =
        std::fs::read(out.join(format!("_manifests/snapshot_date={AS_OF}.json"))).unwrap();
    (files, run_id(&manifest))
}

fn run_id(manifest: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    json["run_id"].as_str().unwrap().to_string()
}

fn assert_same(reference: &Published, got: &Published) {
    // The files first: a file's name carries its digest, so a difference
    // names the table.
    let names = |p: &Published| p.0.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
    assert_eq!(names(reference), names(got), "published files differ");
    assert_eq!(reference.1, got.1, "run ids differ");
    assert_eq!(reference.0.len(), zafra::outputs::OUTPUTS.len());
    for ((file, a), (_, b)) in reference.0.iter().zip(&got.0) {
        assert!(a == b, "{file} differs between the engines");
    }
}

#[test]
fn the_cluster_publishes_the_embedded_engines_bytes_on_local_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, local, reference) = embedded_reference(tmp.path());

    let cluster = Cluster::start(None);
    let scratch = tmp.path().join("scratch");
    let cluster_out = tmp.path().join("cluster");
    let on_cluster = write_config(
        tmp.path(),
        "cluster.toml",
        input.to_str().unwrap(),
        cluster_out.to_str().unwrap(),
        &cluster.engine(scratch.to_str().unwrap()),
    );
    let (code, stdout, stderr) = run(&on_cluster, None);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_same(&reference, &published_local(&cluster_out));
    assert_eq!(
        cluster.executors_worked(),
        [true, true],
        "both executors should have run tasks"
    );
    // The run's checkpoints are gone from the scratch folder.
    assert!(
        files_under(&scratch).is_empty(),
        "{:?}",
        files_under(&scratch)
    );
    // Explaining a client goes through the cluster too, with the same answer.
    let explain = |config: &Path| {
        let out = zafra()
            .args([
                "explain", "--as-of", AS_OF, "--client", "C0000001", "--config",
            ])
            .arg(config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(explain(&local), explain(&on_cluster));
}

#[test]
fn the_cluster_reads_and_writes_s3_with_the_embedded_engines_bytes() {
    let moto = start_moto();
    let tmp = tempfile::tempdir().unwrap();
    let (input, _, reference) = embedded_reference(tmp.path());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s3 = store(&moto.endpoint);
    rt.block_on(upload(&s3, &input, "crm"));
    let cluster = Cluster::start(Some(&moto.endpoint));
    let config = write_config(
        tmp.path(),
        "s3.toml",
        "s3://zafra/crm",
        "s3://zafra/out",
        &cluster.engine("s3://zafra/scratch"),
    );
    let (code, stdout, stderr) = run(&config, Some(&moto.endpoint));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stderr.contains(SECRET), "the secret key was logged");
    for n in ["scheduler", "executor1", "executor2"] {
        let log = std::fs::read_to_string(cluster._work.path().join(format!("{n}.log"))).unwrap();
        assert!(
            !log.contains(SECRET),
            "the secret key reached the {n}'s log"
        );
    }
    let remote = rt.block_on(listed(&s3, "out"));
    let parquet: Vec<_> = remote
        .iter()
        .filter(|(f, _)| f.ends_with(".parquet"))
        .cloned()
        .collect();
    let manifest = &remote
        .iter()
        .find(|(f, _)| f == &format!("_manifests/snapshot_date={AS_OF}.json"))
        .expect("a committed manifest")
        .1;
    assert_same(&reference, &(parquet, run_id(manifest)));
    assert_eq!(cluster.executors_worked(), [true, true]);
    // The checkpoints were written to, and removed from, the S3 scratch.
    assert!(rt.block_on(listed(&s3, "scratch")).is_empty());
}

#[test]
fn an_executor_killed_mid_run_loses_nothing_and_commits_nothing_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, _, reference) = embedded_reference(tmp.path());

    let mut cluster = Cluster::start(None);
    let cluster_out = tmp.path().join("cluster");
    let config = write_config(
        tmp.path(),
        "cluster.toml",
        input.to_str().unwrap(),
        cluster_out.to_str().unwrap(),
        &cluster.engine(tmp.path().join("scratch").to_str().unwrap()),
    );
    let mut running = Killed(
        zafra()
            .args(["--log-format", "text", "run", "--as-of", AS_OF, "--config"])
            .arg(&config)
            .env("ZAFRA_LOG", "zafra=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Mid-run: once the run has computed its first checkpoint, SIGKILL one
    // executor (it may hold running tasks and shuffle files others need).
    let stderr = running.0.stderr.take().unwrap();
    let log = Arc::new(std::sync::Mutex::new(String::new()));
    let (first_checkpoint, checkpointed) = std::sync::mpsc::channel();
    let reader = {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let line = line.unwrap_or_default();
                if line.contains("checkpoint computed") {
                    let _ = first_checkpoint.send(());
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        })
    };
    let shown = |log: &Arc<std::sync::Mutex<String>>| log.lock().unwrap().clone();
    checkpointed
        .recv_timeout(Duration::from_secs(300))
        .unwrap_or_else(|_| panic!("no checkpoint within 5 minutes:\n{}", shown(&log)));
    let victim = cluster.executors.remove(1);
    drop(victim); // SIGKILL, reaped
    // The run ends by itself (it never hangs on the lost executor).
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the run did not end within 10 minutes of the kill:\n{}",
            shown(&log)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    reader.join().unwrap();
    let log = shown(&log);
    let manifest = cluster_out.join(format!("_manifests/snapshot_date={AS_OF}.json"));
    match status.code() {
        Some(0) => assert_same(&reference, &published_local(&cluster_out)),
        Some(5) => {
            assert!(!manifest.exists(), "a failed run committed a manifest");
            assert!(log.contains("the cluster at df://"), "{log}");
        }
        other => panic!("exit {other:?}, expected 0 or 5:\n{log}"),
    }
    // A re-run on what is left of the cluster publishes the same snapshot
    // (or finds it already there).
    let (code, stdout, stderr) = run(&config, None);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_same(&reference, &published_local(&cluster_out));
}

#[test]
fn an_unreachable_scheduler_is_a_storage_error_within_the_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let input = common::dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    // A port nobody listens on.
    let port = free_port();
    let config = write_config(
        tmp.path(),
        "job.toml",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        &format!(
            "[engine]\nkind = \"ballista\"\nscheduler = \"df://127.0.0.1:{port}\"\nscratch = \"{}\"\nconnect_timeout_secs = 2\n",
            tmp.path().join("scratch").display()
        ),
    );
    let started = Instant::now();
    let (code, _, stderr) = run(&config, None);
    assert_eq!(code, 5, "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains(&format!("the cluster at df://127.0.0.1:{port} failed")),
        "{stderr}"
    );
    assert!(!out.join("_manifests").exists());
}

/// The physical plan text's operator tree: (depth, line) per operator.
fn operators(plan: &str) -> Vec<(usize, String)> {
    plan.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let trimmed = l.trim_start();
            ((l.len() - trimmed.len()) / 2, trimmed.to_string())
        })
        .collect()
}

/// The operators of the subtree whose root is at `at`.
fn subtree(ops: &[(usize, String)], at: usize) -> &[(usize, String)] {
    let depth = ops[at].0;
    let end = ops[at + 1..]
        .iter()
        .position(|(d, _)| *d <= depth)
        .map_or(ops.len(), |p| at + 1 + p);
    &ops[at..end]
}

/// Does the subtree at `at` read raw sales rows, not through an aggregation?
fn reads_raw_sales(ops: &[(usize, String)], at: usize) -> bool {
    let (depth, line) = &ops[at];
    if line.starts_with("AggregateExec") {
        return false;
    }
    if line.starts_with("DataSourceExec") {
        return line.contains("/sales/");
    }
    let tree = subtree(ops, at);
    (1..tree.len())
        .filter(|i| tree[*i].0 == depth + 1)
        .any(|i| reads_raw_sales(ops, at + i))
}

/// Every join of the plan whose build (first) side reads raw sales rows.
fn sales_build_sides(plan: &str) -> Vec<String> {
    let ops = operators(plan);
    (0..ops.len())
        .filter(|&i| {
            let line = &ops[i].1;
            ["HashJoinExec", "NestedLoopJoinExec", "CrossJoinExec"]
                .iter()
                .any(|j| line.starts_with(j))
        })
        .filter(|&i| {
            let first_child = (i + 1..ops.len()).find(|&c| ops[c].0 == ops[i].0 + 1);
            first_child.is_some_and(|c| subtree(&ops, i).len() > c - i && reads_raw_sales(&ops, c))
        })
        .map(|i| ops[i].1.clone())
        .collect()
}

#[test]
fn the_plan_text_reader_finds_a_sales_build_side() {
    // The reader below must be able to fail: a hash join building on a sales
    // scan is found, one building on an aggregate of sales is not.
    let bad = "HashJoinExec: mode=CollectLeft\n  DataSourceExec: file_groups={1 group: [[x/sales/part-0.parquet]]}\n  DataSourceExec: file_groups={1 group: [[x/clients/part-0.parquet]]}\n";
    assert_eq!(sales_build_sides(bad).len(), 1);
    let good = "HashJoinExec: mode=CollectLeft\n  AggregateExec: mode=Final\n    DataSourceExec: x/sales/part-0.parquet\n  DataSourceExec: x/sales/part-0.parquet\n";
    assert!(sales_build_sides(good).is_empty());
    let merge = "SortMergeJoinExec: join_type=Inner\n  SortExec\n    DataSourceExec: x/sales/part-0.parquet\n  DataSourceExec: x/clients/part-0.parquet\n";
    assert!(sales_build_sides(merge).is_empty());
}

/// The heavy views planned by the cluster's scheduler (`EXPLAIN` runs as a
/// job there): no join holds raw sales rows on its build side, as on the
/// embedded engine (tests/plans.rs). Prints the chosen plans' join kinds.
#[test]
fn the_clusters_plans_of_the_heavy_views_build_no_hash_table_of_sales_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let input = generated(tmp.path());
    let cluster = Cluster::start(None);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let plans = rt.block_on(async {
        let engine = zafra::config::ClusterEngine {
            scheduler: format!("df://127.0.0.1:{}", cluster.scheduler_port),
            scratch: tmp.path().join("scratch").display().to_string(),
            connect_timeout_secs: 5,
        };
        let ctx = zafra::cluster::client_context(Default::default(), &engine)
            .await
            .unwrap();
        let root = zafra::storage::Location::parse(input.to_str().unwrap()).unwrap();
        let tables = zafra::inputs::discover(&root).await.unwrap();
        zafra::inputs::register(&ctx, &root, &tables).await.unwrap();
        let thresholds = zafra::config::Thresholds::default();
        zafra::params::register_params(
            &ctx,
            &zafra::params::Params {
                as_of: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
                base_currency: "USD",
                thresholds: &thresholds,
                explain_client: None,
            },
        )
        .unwrap();
        zafra::views::register_job_views(&ctx).await.unwrap();
        let mut plans = Vec::new();
        for view in [
            "val_sales_duplicate_keys",
            "int_fx_by_day",
            "int_sales_outcomes",
            "int_billing",
            "rejects",
            "int_memberships",
        ] {
            let batches = ctx
                .sql(&format!("EXPLAIN SELECT * FROM {view}"))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .unwrap()
                .to_string();
            let physical: String = batches
                .iter()
                .flat_map(|b| {
                    let kinds = b
                        .column(0)
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::StringArray>()
                        .unwrap()
                        .clone();
                    let plans = b
                        .column(1)
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::StringArray>()
                        .unwrap()
                        .clone();
                    (0..b.num_rows())
                        .filter(move |&i| kinds.value(i) == "physical_plan")
                        .map(move |i| plans.value(i).to_string())
                        .collect::<Vec<_>>()
                })
                .collect();
            assert!(!physical.is_empty(), "no physical plan for {view}:\n{text}");
            plans.push((view, physical));
        }
        plans
    });
    for (view, plan) in &plans {
        let found = sales_build_sides(plan);
        assert!(
            found.is_empty(),
            "on the cluster, view `{view}` builds on raw sales rows in {found:#?}:\n{plan}"
        );
        // What the scheduler chose, for the README: each join kind and mode.
        let mut joins = std::collections::BTreeMap::<String, usize>::new();
        for (_, line) in operators(plan) {
            let kind = line.split(':').next().unwrap_or_default();
            if kind.contains("Join") {
                let mode = line
                    .split(", ")
                    .find_map(|part| part.split("mode=").nth(1))
                    .unwrap_or("-");
                *joins.entry(format!("{kind} {mode}")).or_default() += 1;
            }
        }
        println!("{view}: {joins:?}");
    }
}

#[test]
fn an_executor_exits_5_without_its_scheduler_and_2_on_a_bad_memory_size() {
    let work = tempfile::tempdir().unwrap();
    let scheduler = format!("127.0.0.1:{}", free_port());
    let executor = |memory: &str| {
        let out = zafra()
            .args(["cluster", "executor", "--scheduler", &scheduler, "--bind"])
            .arg(format!("127.0.0.1:{}", free_port_pair()))
            .arg("--work-dir")
            .arg(work.path().join("executor"))
            .args(["--memory", memory])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = executor("1GiB");
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains(&format!("(scheduler {scheduler})")),
        "{stderr}"
    );
    let (code, stderr) = executor("lots");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--memory 'lots'"), "{stderr}");
}
