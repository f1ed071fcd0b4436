//! Everything zafra prints on a terminal: one function per report. The
//! library computes typed reports; this module only formats them.

use std::fmt::Write;

use crate::diff::DiffReport;
use crate::generate::GenerateReport;
use crate::outputs::OUTPUTS;
use crate::pipeline::RunReport;
use crate::publish::Outcome;
use crate::snapshots::{SnapshotInfo, Verification};

/// The summary of a run: outcome, clients per segment, thresholds,
/// campaigns, rejects.
pub fn run(report: &RunReport) -> String {
    let m = &report.manifest;
    let mut s = String::new();
    let outcome = match &report.outcome {
        None => match &report.plan {
            Some(plan) => format!("dry run: nothing published; the real run {plan}"),
            None => "dry run: nothing published".to_string(),
        },
        Some(Outcome::Published) => format!("published to {}", report.output_root),
        Some(Outcome::Unchanged) => {
            format!(
                "unchanged: an identical snapshot is already in {}",
                report.output_root
            )
        }
        Some(Outcome::Replaced { previous_run_id }) => format!(
            "published to {} (replaced run {previous_run_id}, kept under _history/)",
            report.output_root
        ),
    };
    let _ = writeln!(
        s,
        "zafra snapshot {} (run {}): {outcome}",
        m.snapshot_date, m.run_id
    );
    let _ = writeln!(s, "\nclients per segment and season:");
    let _ = writeln!(
        s,
        "  {:<10} {:>10} {:>10} {:>10} {:>13}",
        "season", "RETENCION", "INVERSION", "REVISION", "NO_INVERSION"
    );
    for (season, segs) in &m.counts.segments {
        let n = |k: &str| segs.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "  {:<10} {:>10} {:>10} {:>10} {:>13}",
            season,
            n("RETENCION"),
            n("INVERSION"),
            n("REVISION"),
            n("NO_INVERSION")
        );
    }
    let _ = writeln!(s, "\nthresholds (high potential / high billing):");
    for t in &m.thresholds {
        let _ = writeln!(
            s,
            "  {:<10} {} ({}) / {} ({})",
            t.season_id,
            t.high_potential,
            t.high_potential_source,
            t.high_billing,
            t.high_billing_source
        );
    }
    let _ = writeln!(s, "\ncampaigns active on {}:", m.snapshot_date);
    for c in &m.campaigns {
        let _ = writeln!(
            s,
            "  {:<14} {:<9} {:<18} {:>8} members{}",
            c.campaign_id,
            c.season_id.as_deref().unwrap_or("-"),
            c.label.as_deref().unwrap_or("-"),
            c.members,
            c.status_note
                .as_ref()
                .map(|n| format!("  [{n}]"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(s, "\nrejected input rows:");
    for (table, rows) in &m.counts.input_rows {
        let rejected = m.counts.rejected_rows.get(table).copied().unwrap_or(0);
        let reasons = m
            .counts
            .reject_reasons
            .get(table)
            .map(|r| {
                r.iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {table:<16} {rejected} of {rows}{}",
            if reasons.is_empty() {
                String::new()
            } else {
                format!("  ({reasons})")
            }
        );
    }
    let _ = writeln!(s, "\nunpriced hectares: {}", m.unpriced_hectares);
    s
}

/// What `generate` wrote.
pub fn generate(report: &GenerateReport, out: &std::path::Path) -> String {
    let mut s = String::new();
    for table in &report.tables {
        let _ = writeln!(
            s,
            "{:<16} {:>10} rows  {} file(s)",
            table.table,
            table.rows,
            table.files.len()
        );
    }
    let _ = writeln!(
        s,
        "generated in {:.1}s into {}",
        report.elapsed.as_secs_f64(),
        out.display()
    );
    s
}

/// The committed snapshots, one line each: rows per published table.
pub fn snapshots(infos: &[SnapshotInfo], root: &str) -> String {
    let mut s = String::new();
    let _ = write!(s, "{:<12} {:<16}", "date", "run_id");
    for table in OUTPUTS {
        let _ = write!(s, " {:>w$}", table.listing, w = table.listing.len());
    }
    let _ = writeln!(s, "  replaced");
    for i in infos {
        let _ = write!(s, "{:<12} {:<16}", i.snapshot_date, i.run_id);
        for table in OUTPUTS {
            let rows = i
                .rows
                .iter()
                .find(|(name, _)| *name == table.name)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let _ = write!(s, " {:>w$}", rows, w = table.listing.len());
        }
        let replaced = if i.replaced.is_empty() {
            "-".to_string()
        } else {
            i.replaced.join(", ")
        };
        let _ = writeln!(s, "  {replaced}");
    }
    let _ = writeln!(s, "{} committed snapshot(s) in {root}", infos.len());
    s
}

/// One snapshot's verification: `ok` or `FAIL` with its problems, and the
/// leftovers of interrupted runs.
pub fn verification(v: &Verification) -> String {
    let mut s = String::new();
    let date = &v.snapshot_date;
    for leftover in &v.leftovers {
        let _ = writeln!(
            s,
            "      leftover of an interrupted run (removed by the next run of {date}): {leftover}"
        );
    }
    if v.problems.is_empty() {
        let _ = writeln!(
            s,
            "ok    {date} run {} ({} files)",
            v.run_id.as_deref().unwrap_or("-"),
            v.files_checked
        );
    } else {
        let _ = writeln!(s, "FAIL  {date} run {}", v.run_id.as_deref().unwrap_or("-"));
        for p in &v.problems {
            let _ = writeln!(s, "      {p}");
        }
    }
    s
}

/// A diff as a table or as JSON.
pub fn diff(report: &DiffReport, json: bool) -> String {
    if json {
        format!("{}\n", report.to_json())
    } else {
        report.to_table()
    }
}

/// What `zafra export` wrote.
pub fn export(report: &crate::export::ExportReport) -> String {
    format!(
        "{} member(s) of the snapshot of {} -> {}\n",
        report.rows,
        report.snapshot_date,
        report.path.display()
    )
}

/// `zafra preview --format table`.
pub fn preview(report: &crate::preview::PreviewReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "preview on the snapshot of {} (run {}), season {}",
        report.snapshot_date, report.run_id, report.season
    );
    if let Some(segment) = &report.segment {
        let _ = writeln!(
            s,
            "ranges that select exactly {segment} under the season's thresholds:"
        );
    }
    let _ = writeln!(
        s,
        "potential {}   billing {}",
        crate::preview::Range::show(report.potential.as_ref()),
        crate::preview::Range::show(report.billing.as_ref())
    );
    let Some(given) = report.variants.first() else {
        return s;
    };
    let _ = writeln!(s, "label: {}", given.label.as_deref().unwrap_or("-"));
    if let Some(note) = &given.status_note {
        let _ = writeln!(
            s,
            "status note: {note} (a campaign with this range gets no members)"
        );
    }
    let _ = writeln!(
        s,
        "members: {}   potential total: {}   billing total: {}",
        given.members, given.potential_total, given.billing_total
    );
    let _ = writeln!(s, "\nsegment mix of the members:");
    for (segment, members) in &report.segment_mix {
        let _ = writeln!(s, "  {segment:<14} {members:>10}");
    }
    if report.variants.len() > 1 {
        let _ = writeln!(s, "\nif one bound moves by 10% of its value:");
        let _ = writeln!(
            s,
            "  {:<20} {:>16} {:>10} {:>8} {:>8}",
            "bound", "moved to", "members", "joined", "left"
        );
        for v in &report.variants[1..] {
            let moved_to = match v.moved_bound.as_deref() {
                Some("potential_min") => v.potential_min.clone(),
                Some("potential_max") => v.potential_max.clone(),
                Some("billing_min") => v.billing_min.clone(),
                Some("billing_max") => v.billing_max.clone(),
                _ => None,
            };
            let _ = writeln!(
                s,
                "  {:<20} {:>16} {:>10} {:>8} {:>8}",
                v.campaign_id,
                moved_to.unwrap_or_default(),
                v.members,
                v.joined,
                v.left
            );
        }
    }
    let _ = writeln!(
        s,
        "\noverlap with the snapshot's campaigns of {}:",
        report.season
    );
    if report.overlap.is_empty() {
        let _ = writeln!(s, "  (no campaign of the season has members)");
    } else {
        let _ = writeln!(
            s,
            "  {:<16} {:<18} {:>10} {:>10}",
            "campaign", "label", "members", "shared"
        );
        for o in &report.overlap {
            let _ = writeln!(
                s,
                "  {:<16} {:<18} {:>10} {:>10}",
                o.campaign_id,
                o.label.as_deref().unwrap_or("-"),
                o.members,
                o.shared
            );
        }
    }
    s
}

/// `zafra preview --format json`.
pub fn preview_json(report: &crate::preview::PreviewReport) -> crate::Result<String> {
    serde_json::to_string_pretty(report)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| crate::Error::internal_from("writing the preview as JSON", e))
}

/// What `zafra report` wrote.
pub fn report(written: &crate::report::Written) -> String {
    format!(
        "report of the snapshot of {} ({} bytes) -> {}\n",
        written.snapshot_date,
        written.bytes,
        written.path.display()
    )
}
