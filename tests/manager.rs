//! The commercial manager's commands on the real binary: `zafra preview`
//! (its figures against the published tables, its refusals) and `zafra
//! report` (opened in Debian's Chromium by `tests/browser/check_report.py`,
//! which compares every number of the page with pyarrow's reading of the
//! snapshot).

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{config, dataset};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use predicates::prelude::*;

const AS_OF: &str = "2026-03-31";
const SEASON: &str = "2025/26";

fn zafra() -> Command {
    let mut cmd = Command::cargo_bin("zafra").unwrap();
    cmd.env("ZAFRA_LOG", "warn").arg("--log-format").arg("text");
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

fn table_file(out: &Path, table: &str) -> String {
    let dir = out.join(table).join(format!("snapshot_date={AS_OF}"));
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    file.display().to_string()
}

/// A committed snapshot of the small dataset; (tmp dir, output root).
fn published() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let input = dataset(&tmp.path().join("in"), &[]);
    let out = tmp.path().join("out");
    let cfg = config(tmp.path(), &input, &out, "");
    zafra()
        .args(["run", "--as-of", AS_OF, "--config"])
        .arg(&cfg)
        .assert()
        .code(0);
    (tmp, out)
}

fn preview(out: &Path, args: &[&str]) -> Command {
    let mut cmd = zafra();
    cmd.arg("preview")
        .arg("--output")
        .arg(out)
        .args(["--season", SEASON])
        .args(args);
    cmd
}

/// `zafra report` of a snapshot under `out` (the latest unless `--as-of`
/// follows), written to `html`.
fn report(out: &Path, html: &Path) -> Command {
    let mut cmd = zafra();
    cmd.args(["report", "--output"])
        .arg(out)
        .arg("--out")
        .arg(html);
    cmd
}

fn preview_json(out: &Path, args: &[&str]) -> serde_json::Value {
    let mut cmd = preview(out, args);
    let output = cmd.arg("--format").arg("json").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// (members, potential total, billing total) of the season's clients whose
/// figures lie in the inclusive ranges (None = unbounded), computed here
/// from the published client_segments.
fn in_ranges(
    out: &Path,
    potential: (Option<&str>, Option<&str>),
    billing: (Option<&str>, Option<&str>),
) -> (i64, String, String) {
    let bound = |column: &str, (min, max): (Option<&str>, Option<&str>)| {
        let mut conds = Vec::new();
        if let Some(min) = min {
            conds.push(format!("{column} >= CAST('{min}' AS DECIMAL(38,2))"));
        }
        if let Some(max) = max {
            conds.push(format!("{column} <= CAST('{max}' AS DECIMAL(38,2))"));
        }
        conds
    };
    let mut conds = vec![format!("season_id = '{SEASON}'")];
    conds.extend(bound("potential", potential));
    conds.extend(bound("billing", billing));
    let rows = query(&format!(
        "SELECT COUNT(*), COALESCE(SUM(potential), 0), COALESCE(SUM(billing), 0) FROM '{}' WHERE {}",
        table_file(out, "client_segments"),
        conds.join(" AND ")
    ));
    let f: Vec<&str> = rows[0].split('|').collect();
    (f[0].parse().unwrap(), f[1].to_string(), f[2].to_string())
}

fn money(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

#[test]
fn preview_of_a_campaigns_ranges_gives_its_published_members() {
    let (_tmp, out) = published();
    // K1's ranges (5000..20000 on both figures): the preview must give K1's
    // published members, totals and label.
    let report = preview_json(
        &out,
        &["--potential", "5000..20000", "--billing", "5000..20000"],
    );
    let k1 = query(&format!(
        "SELECT members, potential_total, billing_total, label FROM '{}' WHERE campaign_id = 'K1'",
        table_file(&out, "campaign_summary")
    ));
    let k1: Vec<&str> = k1[0].split('|').collect();
    let given = &report["variants"][0];
    assert_eq!(given["campaign_id"], "range");
    assert_eq!(given["members"].as_i64().unwrap().to_string(), k1[0]);
    assert!(given["members"].as_i64().unwrap() > 0, "{report}");
    assert_eq!(
        money(given["potential_total"].as_str().unwrap()),
        money(k1[1])
    );
    assert_eq!(
        money(given["billing_total"].as_str().unwrap()),
        money(k1[2])
    );
    assert_eq!(given["label"], k1[3]);
    // The segment mix adds up to the members.
    let mix: i64 = report["segment_mix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_i64().unwrap())
        .sum();
    assert_eq!(mix, given["members"].as_i64().unwrap());
    // Each bound moved by ±10%: eight variants, each with the members the
    // moved range selects, and joined/left against the given range.
    let variants = report["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 9, "{report}");
    let (base_members, _, _) = in_ranges(
        &out,
        (Some("5000"), Some("20000")),
        (Some("5000"), Some("20000")),
    );
    for v in &variants[1..] {
        let field = |name: &str| v[name].as_str().map(str::to_string);
        let (pmin, pmax, bmin, bmax) = (
            field("potential_min"),
            field("potential_max"),
            field("billing_min"),
            field("billing_max"),
        );
        let moved = v["moved_bound"].as_str().unwrap();
        let step = v["step"].as_str().unwrap();
        let expected_value = match (moved.ends_with("min"), step) {
            (true, "-10%") => "4500.00",
            (true, _) => "5500.00",
            (false, "-10%") => "18000.00",
            (false, _) => "22000.00",
        };
        assert_eq!(field(moved).as_deref(), Some(expected_value), "{v}");
        let (members, _, _) = in_ranges(
            &out,
            (pmin.as_deref(), pmax.as_deref()),
            (bmin.as_deref(), bmax.as_deref()),
        );
        assert_eq!(v["members"].as_i64().unwrap(), members, "{v}");
        let joined = v["joined"].as_i64().unwrap();
        let left = v["left"].as_i64().unwrap();
        assert_eq!(base_members + joined - left, members, "{v}");
        // Widening only adds clients, narrowing only removes them.
        let widens = (moved.ends_with("min") && step == "-10%")
            || (moved.ends_with("max") && step == "+10%");
        if widens {
            assert_eq!(left, 0, "{v}");
        } else {
            assert_eq!(joined, 0, "{v}");
        }
    }
    // Overlap: K1 has exactly these members; K2 reaches every client.
    let overlap = report["overlap"].as_array().unwrap();
    let shared = |k: &str| {
        overlap.iter().find(|o| o["campaign_id"] == k).map(|o| {
            (
                o["members"].as_i64().unwrap(),
                o["shared"].as_i64().unwrap(),
            )
        })
    };
    let base = given["members"].as_i64().unwrap();
    assert_eq!(shared("K1"), Some((base, base)));
    assert_eq!(shared("K2").map(|s| s.1), Some(base));

    // The table format says the same.
    preview(
        &out,
        &["--potential", "5000..20000", "--billing", "5000..20000"],
    )
    .assert()
    .code(0)
    .stdout(predicate::str::contains(format!("members: {base} ")))
    .stdout(predicate::str::contains(
        "if one bound moves by 10% of its value",
    ))
    .stdout(predicate::str::contains(format!("season {SEASON}")));
}

#[test]
fn preview_segment_selects_exactly_that_segment() {
    let (_tmp, out) = published();
    for segment in ["RETENCION", "INVERSION", "REVISION", "NO_INVERSION"] {
        let report = preview_json(&out, &["--segment", segment]);
        let expected = query(&format!(
            "SELECT COUNT(*) FROM '{}' WHERE season_id = '{SEASON}' AND segment = '{segment}'",
            table_file(&out, "client_segments")
        ));
        let given = &report["variants"][0];
        assert_eq!(
            given["members"].as_i64().unwrap().to_string(),
            expected[0],
            "{segment}: {report}"
        );
        assert_eq!(given["label"], segment, "{segment}: {report}");
        let mix = report["segment_mix"].as_array().unwrap();
        for pair in mix {
            let n = pair[1].as_i64().unwrap();
            if pair[0] == segment {
                assert_eq!(n.to_string(), expected[0]);
            } else {
                assert_eq!(n, 0, "{segment}: {report}");
            }
        }
    }
}

#[test]
fn preview_refuses_bad_ranges_seasons_and_missing_snapshots() {
    let (tmp, out) = published();
    for (range, needle) in [
        ("5..", "range `5..` has no maximum"),
        ("..", "range `..` has no minimum"),
        (
            "20..10",
            "range `20..10`: the minimum 20 is above the maximum 10",
        ),
        ("abc..5", "`abc` is not a number"),
        ("5", "`5` is not a range"),
        ("1.234..5", "`1.234` has more than 2 decimals"),
        ("*..*", "has neither bound"),
    ] {
        preview(&out, &["--potential", range])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
    }
    zafra()
        .args([
            "preview",
            "--season",
            "1999/00",
            "--potential",
            "1..2",
            "--output",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "season '1999/00' is not in the snapshot of {AS_OF} (its seasons: {SEASON})"
        )));
    preview(&out, &["--segment", "OTRO"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'OTRO' is not a segment"));
    preview(&out, &["--as-of", "2020-01-01", "--potential", "1..2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no committed snapshot for 2020-01-01",
        ));
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    preview(&empty, &["--potential", "1..2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no committed snapshot in"));
    zafra()
        .args(["report", "--output"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no committed snapshot in"));
}

#[test]
fn report_on_a_snapshot_older_than_the_manager_tables_shows_what_it_has() {
    let (_tmp, out) = published();
    let members = query(&format!(
        "SELECT members FROM '{}' WHERE campaign_id = 'K1'",
        table_file(&out, "campaign_summary")
    ));
    let page_of = |name: &str| {
        let html = out.with_file_name(name);
        report(&out, &html).assert().code(0);
        std::fs::read_to_string(&html).unwrap()
    };
    let later = ["campaign_diagnostics", "campaign_overlap", "contact_plan"];
    let page = page_of("current.html");
    for table in later {
        assert!(
            !page.contains(&format!("data-not-recorded=\"{table}\"")),
            "{table} is in this snapshot"
        );
    }
    // The snapshot as a zafra from before those tables wrote it: no such
    // files, no such entries in the manifest.
    let path = out.join(format!("_manifests/snapshot_date={AS_OF}.json"));
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let outputs = manifest["outputs"].as_array_mut().unwrap();
    let before = outputs.len();
    outputs.retain(|o| !later.contains(&o["table"].as_str().unwrap()));
    assert_eq!(outputs.len(), before - later.len());
    manifest
        .as_object_mut()
        .unwrap()
        .remove("unpriced_by_activity");
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    for table in later {
        std::fs::remove_dir_all(out.join(table)).unwrap();
    }
    let page = page_of("older.html");
    for table in later {
        assert!(
            page.contains(&format!("data-not-recorded=\"{table}\"")),
            "no note for {table}"
        );
    }
    // The sections it has still show the snapshot's numbers.
    assert!(
        page.contains(&format!(
            "data-check=\"camp|K1|members\" data-value=\"{}\"",
            members[0]
        )),
        "K1's members on the page"
    );
    assert!(page.contains("<svg"), "the chart");
}

#[test]
fn report_shows_the_snapshots_numbers_in_a_real_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // Two committed demo snapshots: the report shows the changes between them.
    for as_of in ["2026-01-31", "2026-03-31"] {
        zafra()
            .args(["run", "--quiet", "--as-of", as_of, "--output"])
            .arg(&out)
            .assert()
            .code(0);
    }
    let html = tmp.path().join("report.html");
    report(&out, &html)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "report of the snapshot of 2026-03-31",
        ));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html lang=\"es\">"));
    assert!(
        page.contains("Segmentos") && page.contains("<svg"),
        "a chart per season"
    );
    assert!(!page.contains("<script"), "no script");
    assert!(
        !page.contains("src=\"http") && !page.contains("href=\"http"),
        "no link to fetch"
    );
    assert!(page.len() < 5 * 1024 * 1024);

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let check = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_report.py"))
        .arg("--report")
        .arg(&html)
        .arg("--snapshot-root")
        .arg(&out)
        .args(["--date", "2026-03-31", "--previous-date", "2026-01-31"])
        .arg("--screenshot")
        .arg(&shot)
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{summary}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert!(summary["checked"].as_i64().unwrap() > 20, "{summary}");
    // The data being checked has unpriced hectares per activity (so the
    // page's table of them was compared, not skipped).
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("_manifests/snapshot_date=2026-03-31.json")).unwrap(),
    )
    .unwrap();
    let unpriced = manifest["unpriced_by_activity"].as_array().unwrap();
    assert!(!unpriced.is_empty(), "{manifest}");
    for u in unpriced {
        let key = format!(
            "unpriced|{}|{}|hectares",
            u["season_id"].as_str().unwrap(),
            u["activity"].as_str().unwrap()
        );
        assert!(
            page.contains(&format!("data-check=\"{key}\"")),
            "{key} not on the page"
        );
    }
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a screenshot"
    );

    // English on request; the same numbers (raw values are language-free).
    let english = tmp.path().join("report-en.html");
    report(&out, &english)
        .args(["--lang", "en", "--as-of", "2026-01-31"])
        .assert()
        .code(0);
    let page = std::fs::read_to_string(&english).unwrap();
    assert!(page.contains("<html lang=\"en\">") && page.contains("Segments"));
    assert!(page.contains("There is no earlier committed snapshot"));
}
