//! Differential test: every table zafra publishes must equal, exactly (values,
//! types, order), what an independent DuckDB implementation of the contract
//! (`tests/differential/reference.py`) computes from the same inputs, on
//! generated data with several seeds, as-of dates and configurations, and on
//! a hand-made edge-case dataset. Needs `python3` with the packages of
//! `tests/requirements.txt` (`.ci/run` installs them); it fails, never skips,
//! without them.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Generator seeds, scale and as-of dates passed to the driver.
const SEEDS: [&str; 3] = ["1", "2", "3"];
const SCALE: &str = "0.01";
const GENERATED_DATES: [&str; 4] = ["2026-03-31", "2025-07-01", "2025-06-30", "2026-06-30"];
/// The driver's configurations (`CONFIGS` in run_differential.py).
const CONFIGS: [&str; 3] = ["median", "configured", "billing-only"];
/// The hand-made datasets and their as-of dates: `EDGE_DATES` and
/// `MINIMAL_DATES` in run_differential.py, `AS_OF_DATES` in edge_cases.py.
const HAND_MADE: [(&str, &[&str]); 3] = [
    (
        "edge",
        &[
            "2025-06-30",
            "2025-07-01",
            "2025-10-15",
            "2026-03-31",
            "2026-06-30",
            "2026-07-01",
        ],
    ),
    ("minimal", &["2025-07-01", "2026-06-30"]),
    (
        "edge-b",
        &["2025-07-01", "2025-10-15", "2026-06-30", "2025-06-30"],
    ),
];

/// Every (dataset, configuration, as-of date) the driver must compare.
fn expected_cases() -> BTreeSet<(String, String, String)> {
    let mut datasets: Vec<(String, Vec<&str>)> = SEEDS
        .iter()
        .map(|s| (format!("gen-{s}"), GENERATED_DATES.to_vec()))
        .collect();
    datasets.extend(
        HAND_MADE
            .iter()
            .map(|(d, dates)| (d.to_string(), dates.to_vec())),
    );
    let mut cases = BTreeSet::new();
    for (dataset, dates) in &datasets {
        for config in CONFIGS {
            for date in dates {
                cases.insert((dataset.clone(), config.to_string(), date.to_string()));
            }
        }
    }
    cases
}

/// One `agree` line of the driver, parsed: the case and, when zafra
/// published, the compared tables' row counts and the rejected input rows.
#[derive(Debug)]
struct Agreed {
    case: (String, String, String),
    /// None when zafra refused the input (exit 3) as the reference expected.
    /// The row counts of the published tables, in `OUTPUTS` order.
    rows: Option<(Vec<u64>, u64)>,
}

/// Parses `agree  <dataset> <config> <date>  client_segments=N memberships=N
/// … (one `name=N` per published table, in `OUTPUTS` order)  (rejected rows N;
/// zafra Xs)` or
/// `agree  <dataset> <config> <date>  zafra refused the input as expected (exit 3: …)`.
fn parse_agree(line: &str) -> Agreed {
    let rest = line
        .strip_prefix("agree  ")
        .unwrap_or_else(|| panic!("not an agree line: {line:?}"));
    let mut words = rest.split_whitespace();
    let mut next = || {
        words
            .next()
            .unwrap_or_else(|| panic!("short line: {line:?}"))
    };
    let case = (next().to_string(), next().to_string(), next().to_string());
    let tail: Vec<&str> = words.collect();
    if tail.starts_with(&[
        "zafra", "refused", "the", "input", "as", "expected", "(exit", "3:",
    ]) {
        return Agreed { case, rows: None };
    }
    let count = |word: &str, name: &str| -> u64 {
        word.strip_prefix(name)
            .and_then(|n| n.strip_prefix('='))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("expected {name}=N, got {word:?} in {line:?}"))
    };
    let n = zafra::outputs::OUTPUTS.len();
    assert!(tail.len() >= n + 3, "unexpected agree line: {line:?}");
    let tables: Vec<u64> = zafra::outputs::OUTPUTS
        .iter()
        .zip(&tail)
        .map(|(table, word)| count(word, table.name))
        .collect();
    assert_eq!(&tail[n..n + 2], ["(rejected", "rows"], "{line:?}");
    let rejected: u64 = tail[n + 2]
        .strip_suffix(';')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("expected the rejected rows in {line:?}"));
    Agreed {
        case,
        rows: Some((tables, rejected)),
    }
}

#[test]
fn published_tables_equal_the_duckdb_reference() {
    let output = run_script(
        &["tests", "differential", "run_differential.py"],
        &[
            "--seeds",
            &SEEDS.join(","),
            "--scale",
            SCALE,
            "--dates",
            &GENERATED_DATES.join(","),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the differential test failed (exit {:?}); see the output above",
        output.status.code()
    );

    // The driver prints one line per case, slow-run notes (indented
    // continuation lines), then its two summary lines.
    let lines: Vec<&str> = stdout.lines().collect();
    let expected = expected_cases();
    let n = expected.len();
    assert_eq!(n, 72);
    assert_eq!(
        lines
            .iter()
            .rev()
            .take(2)
            .rev()
            .copied()
            .collect::<Vec<_>>(),
        [
            format!("differential: {n} of {n} cases agree"),
            format!("{n} passed, 0 failed")
        ],
        "the driver's summary"
    );
    let mut agreed = Vec::new();
    for line in &lines[..lines.len() - 2] {
        if line.starts_with("agree  ") {
            agreed.push(parse_agree(line));
        } else {
            assert!(
                line.starts_with("note: ") || line.starts_with("    "),
                "unexpected driver output line (a mismatch?): {line:?}"
            );
        }
    }
    let compared: BTreeSet<_> = agreed.iter().map(|a| a.case.clone()).collect();
    assert_eq!(compared.len(), agreed.len(), "a case was compared twice");
    assert_eq!(compared, expected, "the cases compared");
    let at = |name: &str| {
        zafra::outputs::OUTPUTS
            .iter()
            .position(|t| t.name == name)
            .unwrap_or_else(|| panic!("no published table {name}"))
    };
    for a in &agreed {
        if let Some((counts, rejected)) = &a.rows {
            // Every published case compared a non-empty client_segments, and
            // one rejects row per rejected input row.
            assert!(counts[at("client_segments")] > 0, "{a:?}");
            assert_eq!(counts[at("rejects")], *rejected, "{a:?}");
        }
    }
    // The contact plan and the overlaps were compared non-empty somewhere,
    // on the edge dataset (priorities with ties, nulls, a negative one) too.
    for table in ["contact_plan", "campaign_overlap"] {
        for dataset in ["gen-1", "edge"] {
            assert!(
                agreed.iter().any(|a| a.case.0 == dataset
                    && a.rows.as_ref().is_some_and(|(c, _)| c[at(table)] > 0)),
                "{table} never compared non-empty on {dataset}"
            );
        }
    }
    // None of these inputs is refused: every case compared published tables
    // (a case where both sides refuse the input compares no table).
    let published = agreed.iter().filter(|a| a.rows.is_some()).count();
    assert_eq!(
        published,
        n,
        "cases where zafra refused the input: {}",
        n - published
    );
}

/// The benchmark's peer (`bench/duckdb_fast.py`, the script BENCHMARKS.md
/// compares zafra with) computes the same seven tables as the reference
/// above, on the hand-made datasets (every configuration and date) and on
/// one generated dataset: so the figures compare zafra with a peer of the
/// same contract, edge cases included, not only on the benchmark's data
/// (which bench/bench.py checks in its first round).
#[test]
fn the_benchmark_peer_equals_the_reference() {
    let output = run_script(&["bench", "check_peer.py"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the peer differs from the reference (exit {:?}); see the output above",
        output.status.code()
    );
    // The generated dataset is compared at two dates (check_peer.py).
    let dates: usize = HAND_MADE.iter().map(|(_, d)| d.len()).sum::<usize>() + 2;
    let tables = zafra::outputs::OUTPUTS.len();
    assert_eq!(tables, 7);
    let cases = dates * CONFIGS.len();
    assert!(
        stdout.contains(&format!("peer: {} tables equal, 0 differ", cases * tables)),
        "expected {cases} cases of {tables} tables each, all equal"
    );
    let non_empty = stdout
        .lines()
        .find_map(|l| l.strip_prefix("non-empty: "))
        .expect("the per-table summary");
    for table in zafra::outputs::OUTPUTS {
        assert!(
            non_empty
                .split(", ")
                .any(|kv| kv.starts_with(&format!("{}=", table.name))),
            "{} was never compared non-empty: {non_empty}",
            table.name
        );
    }
}

/// Runs the Python script at `path` (under the package folder) with this
/// build's zafra binary (`--zafra`), a new scratch folder (`--work`) and
/// `args`.
fn run_script(path: &[&str], args: &[&str]) -> std::process::Output {
    let work = tempfile::tempdir().unwrap();
    let script = path
        .iter()
        .fold(Path::new(&manifest_dir()).to_path_buf(), |p, part| {
            p.join(part)
        });
    Command::new("python3")
        .arg(&script)
        .arg("--zafra")
        .arg(env!("CARGO_BIN_EXE_zafra"))
        .arg("--work")
        .arg(work.path())
        .args(args)
        .output()
        .expect("python3 must be installed (see tests/requirements.txt)")
}

/// The package folder at run time (cargo sets it when running tests): a
/// binary built from another checkout sharing the target folder still reads
/// this checkout's files.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
