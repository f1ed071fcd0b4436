//! Pinned behaviour of the real `zafra` binary: the exact stdout, stderr and
//! exit code of `--help`, of the demo's runs, and of `snapshots`, `verify`,
//! `diff` and `explain` on demo snapshots, as insta snapshots under
//! `tests/snapshots/`. A refactor that keeps behaviour keeps every snapshot.
//!
//! Every command runs with a temporary folder as its current directory, so
//! the demo writes `./zafra-out/` there and no absolute path reaches the
//! output; logs are text at the default level (`ZAFRA_LOG` unset). What is
//! not deterministic is filtered: log timestamps, `ms=` timings, the
//! manifest's `timings_ms` values, the temporary folder's path. Run ids and
//! digests are deterministic (same inputs, configuration and date) and kept:
//! they pin the published bytes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The demo data's reference date (the default `--as-of` of the demo).
const DEMO_DATE: &str = "2026-03-31";
/// An earlier date whose snapshot differs from DEMO_DATE's (sales of the
/// second half of March 2026 move clients between campaigns and segments).
const EARLIER: &str = "2026-03-15";
/// The day before DEMO_DATE: no sales in between, so an empty diff.
const DAY_BEFORE: &str = "2026-03-30";

/// Filters for what is not deterministic, and the temporary folder.
fn settings(tmp: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(true);
    s.set_omit_expression(true);
    // Log timestamps (tracing's text format): 2026-12-02T17:36:13.328569Z
    s.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z",
        "[timestamp]",
    );
    // Durations in log fields: ms=91
    s.add_filter(r"\bms=\d+\b", "ms=[ms]");
    // The temporary folder, should any output name it (none does today).
    for dir in [tmp.to_path_buf(), tmp.canonicalize().unwrap()] {
        s.add_filter(&regex_escape(&dir.display().to_string()), "[tmp]");
    }
    s
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The binary, run in `dir`, with the default log level and no test hooks.
/// Its scratch folders go under `dir` (a folder with no file once the runs
/// end), not the machine's temporary folder: a killed run's folder there
/// would be removed by this run, and logged.
fn zafra(dir: &Path, args: &[&str]) -> (String, i32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zafra"));
    cmd.current_dir(dir)
        .env("ZAFRA_SCRATCH", dir.join(".zafra-scratch"))
        .env_remove("ZAFRA_LOG")
        .env_remove("ZAFRA_TEST_PAUSE_AT")
        .env_remove("ZAFRA_TEST_CLOCK_OFFSET_SECS")
        .args(args)
        .timeout(Duration::from_secs(600));
    let output = cmd.output().unwrap();
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("zafra {args:?} was killed: {:?}", output.status));
    let rendered = format!(
        "$ zafra {}\nexit code: {code}\n----- stdout -----\n{}----- stderr -----\n{}",
        args.join(" "),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    );
    (rendered, code)
}

/// `zafra --log-format text ARGS…` in `dir`: its rendering and exit code.
fn zafra_text(dir: &Path, args: &[&str]) -> (String, i32) {
    let mut all = vec!["--log-format", "text"];
    all.extend_from_slice(args);
    zafra(dir, &all)
}

/// Runs and pins one command; returns its exit code.
fn pin(name: &str, dir: &Path, args: &[&str]) -> i32 {
    let (rendered, code) = zafra_text(dir, args);
    insta::assert_snapshot!(name, rendered);
    code
}

/// Every file under `dir` (relative paths, sorted), skipping `skip`.
fn files_under(dir: &Path, skip: &str) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, skip: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            if rel == skip {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, skip, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, skip, &mut out);
    out.sort();
    out
}

/// A Parquet file as text: row count, row groups and codecs, the Arrow
/// schema (with nullability), then every row.
fn render_parquet(path: &Path) -> String {
    let file = std::fs::File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let mut codecs: Vec<String> = meta
        .row_groups()
        .iter()
        .flat_map(|rg| {
            rg.columns()
                .iter()
                .map(|c| format!("{:?}", c.compression()))
        })
        .collect();
    codecs.sort();
    codecs.dedup();
    let mut text = format!(
        "rows: {}\nrow groups: {}\ncompression: {}\nschema:\n",
        meta.file_metadata().num_rows(),
        meta.num_row_groups(),
        codecs.join(", ")
    );
    for f in schema.fields() {
        text.push_str(&format!(
            "  {}: {}{}\n",
            f.name(),
            f.data_type(),
            if f.is_nullable() { " (nullable)" } else { "" }
        ));
    }
    text.push_str("rows:\n");
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = 0;
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for r in 0..batch.num_rows() {
            let cells: Vec<String> = formatters.iter().map(|f| f.value(r).to_string()).collect();
            text.push_str(&format!("  {}\n", cells.join(" | ")));
            rows += 1;
        }
    }
    assert_eq!(rows as i64, meta.file_metadata().num_rows(), "{path:?}");
    text
}

fn manifest(dir: &Path, date: &str) -> serde_json::Value {
    let path = dir
        .join("zafra-out")
        .join("_manifests")
        .join(format!("snapshot_date={date}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn help_of_zafra_and_of_every_subcommand() {
    let tmp = tempfile::tempdir().unwrap();
    let _guard = settings(tmp.path()).bind_to_scope();
    let (rendered, code) = zafra(tmp.path(), &["--help"]);
    insta::assert_snapshot!("help_zafra", rendered);
    assert_eq!(code, 0);
    let (rendered, code) = zafra(tmp.path(), &["--version"]);
    insta::assert_snapshot!("version", rendered);
    assert_eq!(code, 0);
    for sub in [
        "run",
        "generate",
        "snapshots",
        "diff",
        "explain",
        "export",
        "preview",
        "report",
        "verify",
        "cluster",
        "cluster scheduler",
        "cluster executor",
    ] {
        let mut args: Vec<&str> = sub.split(' ').collect();
        args.push("--help");
        let (rendered, code) = zafra(tmp.path(), &args);
        insta::assert_snapshot!(format!("help_{}", sub.replace(' ', "_")), rendered);
        assert_eq!(code, 0, "{sub}");
    }
    // Usage errors: exit 2 and clap's message.
    let (rendered, code) = zafra(tmp.path(), &["frobnicate"]);
    insta::assert_snapshot!("usage_unknown_subcommand", rendered);
    assert_eq!(code, 2);
    let (rendered, code) = zafra(tmp.path(), &["run", "--as-of", "2026-13-01"]);
    insta::assert_snapshot!("usage_bad_date", rendered);
    assert_eq!(code, 2);
    // Nothing was written by any of them.
    assert!(files_under(tmp.path(), "").is_empty());
}

/// The demo: a dry run on an empty output root, the first run (which
/// generates the demo CRM and publishes), what it wrote, the committed
/// manifest, an unchanged re-run and a dry run against the committed
/// snapshot.
#[test]
fn demo_run_rerun_and_dry_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let _guard = settings(dir).bind_to_scope();

    assert_eq!(
        pin(
            "demo_dry_run_before_any_snapshot",
            dir,
            &["run", "--dry-run"]
        ),
        0
    );
    // The dry run generated the demo inputs but published nothing.
    assert_eq!(
        files_under(&dir.join("zafra-out"), "_demo"),
        Vec::<String>::new()
    );

    assert_eq!(pin("demo_run", dir, &["run"]), 0);
    let published = files_under(&dir.join("zafra-out"), "_demo");
    insta::assert_snapshot!("demo_run_files", published.join("\n"));
    // The committed manifest, its per-stage timings (stage names kept) redacted.
    let mut committed = manifest(dir, DEMO_DATE);
    let timings = committed["timings_ms"].as_object_mut().unwrap();
    assert!(timings.contains_key("total"), "{timings:?}");
    for ms in timings.values_mut() {
        assert!(ms.is_u64(), "{ms}");
        *ms = "[ms]".into();
    }
    insta::assert_json_snapshot!("demo_run_manifest", committed);
    let demo_inputs = files_under(&dir.join("zafra-out").join("_demo"), "");
    insta::assert_snapshot!("demo_input_files", demo_inputs.join("\n"));

    let manifest_before = std::fs::read(
        dir.join("zafra-out/_manifests")
            .join(format!("snapshot_date={DEMO_DATE}.json")),
    )
    .unwrap();
    assert_eq!(pin("demo_rerun_unchanged", dir, &["run"]), 0);
    assert_eq!(pin("demo_dry_run_identical", dir, &["run", "--dry-run"]), 0);
    assert_eq!(
        files_under(&dir.join("zafra-out"), "_demo"),
        published,
        "the re-run or the dry run added or removed files"
    );
    assert_eq!(
        std::fs::read(
            dir.join("zafra-out/_manifests")
                .join(format!("snapshot_date={DEMO_DATE}.json"))
        )
        .unwrap(),
        manifest_before,
        "the committed manifest was rewritten"
    );
}

/// Three demo snapshots (EARLIER, DAY_BEFORE, DEMO_DATE), then `snapshots`,
/// `verify --all`, `diff` in every format with and without `--campaign`,
/// and `explain` of two demo clients.
#[test]
fn demo_snapshots_verify_diff_and_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let _guard = settings(dir).bind_to_scope();

    assert_eq!(
        pin(
            "demo_run_as_of_2026_03_15",
            dir,
            &["run", "--as-of", EARLIER]
        ),
        0
    );
    assert_eq!(
        pin(
            "demo_run_as_of_2026_03_30",
            dir,
            &["run", "--as-of", DAY_BEFORE]
        ),
        0
    );
    assert_eq!(zafra_text(dir, &["run", "--quiet"]).1, 0);

    assert_eq!(pin("snapshots", dir, &["snapshots"]), 0);
    assert_eq!(pin("verify_all", dir, &["verify", "--all"]), 0);
    assert_eq!(
        pin(
            "preview_table",
            dir,
            &[
                "preview",
                "--season",
                "2025/26",
                "--potential",
                "5000..*",
                "--billing",
                "*..20000"
            ]
        ),
        0
    );
    assert_eq!(
        pin(
            "preview_segment_json",
            dir,
            &[
                "preview",
                "--season",
                "2025/26",
                "--segment",
                "INVERSION",
                "--format",
                "json"
            ]
        ),
        0
    );

    let range = ["diff", "--from", EARLIER, "--to", DEMO_DATE];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        range.iter().copied().chain(extra.iter().copied()).collect()
    };
    assert_eq!(pin("diff_table", dir, &with(&[])), 0);
    assert_eq!(pin("diff_json", dir, &with(&["--format", "json"])), 0);
    // The JSON is a JSON document (the snapshot pins its text).
    let (json_out, _) = zafra_text(dir, &with(&["--format", "json"]));
    let json_text = json_out
        .split("----- stdout -----\n")
        .nth(1)
        .and_then(|s| s.split("----- stderr -----\n").next())
        .unwrap();
    let _: serde_json::Value = serde_json::from_str(json_text).unwrap();
    assert_eq!(
        pin(
            "diff_parquet",
            dir,
            &with(&["--format", "parquet", "--out", "diff-all"])
        ),
        0
    );
    pin_diff_files(dir, "diff-all", "diff_parquet");

    let campaign = ["--campaign", "CMP0006"];
    assert_eq!(pin("diff_campaign_table", dir, &with(&campaign)), 0);
    assert_eq!(
        pin(
            "diff_campaign_json",
            dir,
            &with(&["--campaign", "CMP0006", "--format", "json"])
        ),
        0
    );
    assert_eq!(
        pin(
            "diff_campaign_parquet",
            dir,
            &with(&[
                "--campaign",
                "CMP0006",
                "--format",
                "parquet",
                "--out",
                "diff-cmp0006"
            ])
        ),
        0
    );
    pin_diff_files(dir, "diff-cmp0006", "diff_campaign_parquet");

    assert_eq!(
        pin(
            "diff_table_no_change",
            dir,
            &["diff", "--from", DAY_BEFORE, "--to", DEMO_DATE]
        ),
        0
    );

    // A client with rejected rows, debit notes and PYG sales at several rates.
    assert_eq!(
        pin(
            "explain_c0000001",
            dir,
            &["explain", "--client", "C0000001"]
        ),
        0
    );
    // A client with a FORESTAL parcel (unpriced in 2024/25, the '*' rate in
    // 2025/26), a season row replacing a generic one, credit notes and sales
    // without a currency.
    assert_eq!(
        pin(
            "explain_c0000007",
            dir,
            &["explain", "--client", "C0000007"]
        ),
        0
    );
    // A campaign with members (the nearest clients outside its bounds) and
    // one with a status note.
    for campaign in ["CMP0001", "CMP0009"] {
        assert_eq!(
            pin(
                &format!("explain_campaign_{}", campaign.to_lowercase()),
                dir,
                &["explain", "--campaign", campaign]
            ),
            0
        );
    }
}

/// Pins every file of a `diff --format parquet --out` folder, and that the
/// folder holds nothing else.
fn pin_diff_files(dir: &Path, out: &str, name: &str) {
    let folder: PathBuf = dir.join(out);
    let files = files_under(&folder, "");
    insta::assert_snapshot!(format!("{name}_files"), files.join("\n"));
    for f in files {
        let stem = f.trim_end_matches(".parquet").to_string();
        insta::assert_snapshot!(format!("{name}_{stem}"), render_parquet(&folder.join(&f)));
    }
}
