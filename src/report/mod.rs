//! `zafra report`: the commercial manager's report of a committed snapshot,
//! one self-contained HTML file (inline CSS and SVG, no script, no
//! request: its Content-Security-Policy forbids any).
//!
//! Every figure comes from the snapshot's published Parquet files through
//! the views of `sql/report/` (and the previous committed snapshot's, for
//! the changes); Rust only formats them. The page is the askama template
//! `templates/report.html`, the charts are drawn by `plotters` (SVG), and
//! every text is in [`strings`].

mod chart;
pub mod strings;

use std::path::PathBuf;
use std::sync::Arc;

use askama::Template;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{SortExpr, col};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::storage::Location;
use crate::views;
use strings::Strings;

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    fn strings(self) -> &'static Strings {
        match self {
            Lang::Es => &strings::ES,
            Lang::En => &strings::EN,
        }
    }
}

/// What to write.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The snapshot's date; the latest committed one when `None`.
    pub snapshot_date: Option<String>,
    /// The file; `zafra-report-<date>.html` when `None`.
    pub out: Option<PathBuf>,
    pub lang: Lang,
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub snapshot_date: String,
    pub path: PathBuf,
    pub bytes: usize,
}

/// Cells per axis of the density chart.
const BINS: i64 = 48;
/// Clients listed per season as billing far above their potential.
const OUTLIERS: i64 = 10;
/// Campaign pairs listed in the overlap table (most shared first).
const MAX_OVERLAP_ROWS: usize = 300;

/// Writes the report of a committed snapshot under `out`.
pub async fn write(out: &Location, request: &ReportRequest) -> Result<Written> {
    let manifest = crate::snapshots::committed(out, request.snapshot_date.as_deref()).await?;
    let previous = crate::snapshots::previous(out, &manifest.snapshot_date).await?;
    let html = render(out, &manifest, previous.as_ref(), request.lang).await?;
    let path = request
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("zafra-report-{}.html", manifest.snapshot_date)));
    std::fs::write(&path, html.as_bytes())
        .map_err(|e| Error::storage_io(format!("writing {}", path.display()), e))?;
    Ok(Written {
        snapshot_date: manifest.snapshot_date.clone(),
        path,
        bytes: html.len(),
    })
}

/// The report's HTML.
pub async fn render(
    out: &Location,
    manifest: &Manifest,
    previous: Option<&Manifest>,
    lang: Lang,
) -> Result<String> {
    let ctx = session(out, manifest, previous).await?;
    let t = lang.strings();
    let q = Query { ctx: &ctx };

    let segments = q
        .rows("rpt_segments", vec![asc("season_id"), asc("position")])
        .await?;
    let density = q
        .rows(
            "rpt_density",
            vec![asc("season_id"), asc("potential_cell"), asc("billing_cell")],
        )
        .await?;
    let health = q.rows("rpt_health", vec![asc("season_id")]).await?;
    let outliers = q
        .rows(
            "rpt_billing_outliers",
            vec![asc("season_id"), asc("position")],
        )
        .await?;
    let migration = q
        .rows(
            "rpt_migration",
            vec![asc("season_id"), asc("from_segment"), asc("to_segment")],
        )
        .await?;
    let campaigns = q
        .rows("rpt_campaigns", vec![asc("season_id"), asc("campaign_id")])
        .await?;
    let overlap = q
        .rows(
            "rpt_overlap",
            vec![
                col("shared").sort(false, true),
                asc("campaign_id"),
                asc("other_campaign_id"),
            ],
        )
        .await?;
    let contacts = q
        .rows("rpt_contacts", vec![asc("primary_campaign_id")])
        .await?;
    let changes = q.rows("rpt_changes", vec![asc("campaign_id")]).await?;
    let rejects = q
        .rows("rpt_rejects", vec![asc("table_name"), asc("reason")])
        .await?;

    let mut seasons = Vec::new();
    for threshold in &manifest.thresholds {
        let season = threshold.season_id.as_str();
        let of_season = |rows: &Rows, column: &str| -> Vec<Row> { rows.of(column, season) };
        let cells: Vec<Cell> = of_season(&segments, "season_id")
            .iter()
            .map(|r| Cell::new(t, season, r))
            .collect::<Result<_>>()?;
        let total: u64 = cells.iter().map(|c| c.clients_count).sum();
        let cells = cells
            .into_iter()
            .map(|mut c| {
                c.share = share(t, c.clients_count, total);
                c
            })
            .collect::<Vec<_>>();
        let health_row = of_season(&health, "season_id").into_iter().next();
        let chart_campaigns: Vec<chart::CampaignBox> = manifest
            .campaigns
            .iter()
            .filter(|c| c.season_id.as_deref() == Some(season) && c.status_note.is_none())
            .map(chart::CampaignBox::of)
            .collect();
        let svg = chart::density(
            t,
            &of_season(&density, "season_id"),
            threshold,
            &chart_campaigns,
            BINS,
        )?;
        seasons.push(SeasonView {
            season_id: season.to_string(),
            cells,
            total: t.number(&total.to_string()),
            high_potential: t.number(&threshold.high_potential),
            high_potential_source: threshold.high_potential_source.clone(),
            high_billing: t.number(&threshold.high_billing),
            high_billing_source: threshold.high_billing_source.clone(),
            chart: svg,
            health: health_row
                .map(|r| HealthView {
                    clients: Num::count(t, r.get("clients")),
                    sales_without_cadastre: Num::count(t, r.get("sales_without_cadastre")),
                    cadastre_without_sales: Num::count(t, r.get("cadastre_without_sales")),
                    billing_far_above: Num::count(t, r.get("billing_far_above")),
                })
                .unwrap_or_default(),
            outliers: of_season(&outliers, "season_id")
                .iter()
                .map(|r| OutlierView {
                    client_id: r.get("client_id"),
                    potential: Num::money(t, r.get("potential")),
                    billing: Num::money(t, r.get("billing")),
                    segment: r.get("segment"),
                })
                .collect(),
            migration: of_season(&migration, "season_id")
                .iter()
                .map(|r| MigrationView {
                    key: format!(
                        "migration|{season}|{}|{}|clients",
                        r.get("from_segment"),
                        r.get("to_segment")
                    ),
                    from: segment_name(t, &r.get("from_segment")),
                    to: segment_name(t, &r.get("to_segment")),
                    clients: Num::count(t, r.get("clients")),
                    unchanged: r.get("from_segment") == r.get("to_segment"),
                })
                .collect(),
        });
    }

    let campaigns: Vec<CampaignView> = campaigns
        .all()
        .iter()
        .map(|r| {
            let label = r.get("label");
            let named = r.get("named_segment");
            CampaignView {
                campaign_id: r.get("campaign_id"),
                description: r.get("description"),
                season_id: r.get("season_id"),
                members: Num::count(t, r.get("members")),
                potential_total: Num::money(t, r.get("potential_total")),
                billing_total: Num::money(t, r.get("billing_total")),
                status_note: r.get("status_note"),
                empty_reason: r.get("empty_reason"),
                warning: (r.get("label_contradicts") == "true").then(|| {
                    format!(
                        "{} {named}, {} {label}",
                        t.contradiction_names, t.contradiction_gives
                    )
                }),
                label,
            }
        })
        .collect();
    let overlap_rows = overlap.all();
    let more_pairs = overlap_rows.len().saturating_sub(MAX_OVERLAP_ROWS);
    let overlaps: Vec<OverlapView> = overlap_rows
        .iter()
        .take(MAX_OVERLAP_ROWS)
        .map(|r| OverlapView {
            season_id: r.get("season_id"),
            campaign_id: r.get("campaign_id"),
            other_campaign_id: r.get("other_campaign_id"),
            members: Num::count(t, r.get("members")),
            other_members: Num::count(t, r.get("other_members")),
            shared: Num::count(t, r.get("shared")),
        })
        .collect();
    let contacts: Vec<ContactView> = contacts
        .all()
        .iter()
        .map(|r| ContactView {
            campaign_id: r.get("primary_campaign_id"),
            season_id: r.get("primary_season_id"),
            priority: r.get("primary_priority"),
            clients: Num::count(t, r.get("clients")),
            also_elsewhere: Num::count(t, r.get("also_elsewhere")),
        })
        .collect();
    let changes: Vec<ChangeView> = changes
        .all()
        .iter()
        .map(|r| ChangeView {
            campaign_id: r.get("campaign_id"),
            joined: Num::count(t, r.get("joined")),
            left: Num::count(t, r.get("left_clients")),
        })
        .collect();
    let rejects: Vec<RejectView> = rejects
        .all()
        .iter()
        .map(|r| RejectView {
            table: r.get("table_name"),
            reason: r.get("reason"),
            rows: Num::count(t, r.get("rows_rejected")),
        })
        .collect();

    let page = Page {
        t,
        snapshot_date: manifest.snapshot_date.clone(),
        run_id: manifest.run_id.clone(),
        previous: previous.map(|p| p.snapshot_date.clone()),
        seasons,
        campaigns,
        overlaps,
        more_pairs,
        contacts,
        changes,
        rejects,
        unpriced_hectares: t.number(&manifest.unpriced_hectares),
        unpriced: manifest
            .unpriced_by_activity
            .iter()
            .map(|u| UnpricedView {
                season_id: u.season_id.clone(),
                activity: u.activity.clone(),
                hectares: Num::money(t, u.hectares.clone()),
                clients: Num::count(t, u.clients.to_string()),
            })
            .collect(),
        not_recorded: LATER_TABLES
            .iter()
            .copied()
            .filter(|table| !lists(manifest, table))
            .collect(),
        unpriced_recorded: !manifest.unpriced_by_activity.is_empty()
            || manifest
                .unpriced_hectares
                .parse::<rust_decimal::Decimal>()
                .is_ok_and(|total| total.is_zero()),
    };
    page.render()
        .map_err(|e| Error::internal_from("rendering the report", e))
}

/// Published tables that snapshots written before zafra published them lack
/// (campaign diagnostics, overlaps and the contact plan): the report shows
/// their sections empty, with a note, instead of failing.
const LATER_TABLES: [&str; 3] = ["campaign_diagnostics", "campaign_overlap", "contact_plan"];

/// Whether the snapshot's manifest lists a file of `table`.
fn lists(manifest: &Manifest, table: &str) -> bool {
    manifest.outputs.iter().any(|o| o.table == table)
}

/// Registers `name` as the published table `table` with no rows: its
/// columns and types from the outputs registry.
fn register_empty(ctx: &SessionContext, table: &str, name: &str) -> Result<()> {
    let schema = crate::outputs::OUTPUTS
        .iter()
        .find(|o| o.name == table)
        .map(|o| o.schema())
        .ok_or_else(|| Error::internal(format!("`{table}` is not a published table")))?;
    let wrap = |e| Error::internal_from(format!("building `{name}`"), e);
    let empty = datafusion::datasource::MemTable::try_new(schema, vec![vec![]]).map_err(wrap)?;
    ctx.register_table(name, Arc::new(empty)).map_err(wrap)?;
    Ok(())
}

/// A session over the snapshot (and the previous one) with the report's
/// relations and views.
async fn session(
    out: &Location,
    manifest: &Manifest,
    previous: Option<&Manifest>,
) -> Result<SessionContext> {
    let ctx = crate::session::context(crate::session::SessionSettings::default())?;
    ctx.register_object_store(out.store_url(), Arc::clone(out.store()));
    for (table, name) in [
        ("client_segments", "snap_segments"),
        ("memberships", "snap_memberships"),
        ("campaign_summary", "snap_summary"),
        ("campaign_diagnostics", "snap_diagnostics"),
        ("campaign_overlap", "snap_overlap"),
        ("contact_plan", "snap_contacts"),
        ("rejects", "snap_rejects"),
    ] {
        if LATER_TABLES.contains(&table) && !lists(manifest, table) {
            // Published before zafra wrote this table (the page says so).
            register_empty(&ctx, table, name)?;
            continue;
        }
        crate::snapshots::register_published(&ctx, out, manifest, table, name).await?;
    }
    for (table, name) in [
        ("client_segments", "prev_segments"),
        ("memberships", "prev_memberships"),
        ("campaign_summary", "prev_summary"),
    ] {
        match previous {
            Some(p) => crate::snapshots::register_published(&ctx, out, p, table, name).await?,
            // No earlier snapshot.
            None => register_empty(&ctx, table, name)?,
        }
    }
    crate::params::register_values(
        &ctx,
        "report_params",
        &["bins", "outliers"],
        vec![vec![
            ScalarValue::Int64(Some(BINS)),
            ScalarValue::Int64(Some(OUTLIERS)),
        ]],
    )?;
    views::register_view_list(&ctx, &views::report_views()?).await?;
    Ok(ctx)
}

fn asc(name: &str) -> SortExpr {
    col(name).sort(true, false)
}

struct Query<'a> {
    ctx: &'a SessionContext,
}

impl Query<'_> {
    /// A report view's rows, sorted, as text.
    async fn rows(&self, view: &str, order: Vec<SortExpr>) -> Result<Rows> {
        let wrap = |e| Error::internal_from(format!("computing `{view}`"), e);
        let batches = self
            .ctx
            .table(view)
            .await
            .map_err(wrap)?
            .sort(order)
            .map_err(wrap)?
            .collect()
            .await
            .map_err(wrap)?;
        let (names, rows) = crate::diff::rows(&batches);
        Ok(Rows { names, rows })
    }
}

/// A view's rows as text.
struct Rows {
    names: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

/// One row, by column name; null reads as the empty text.
#[derive(Clone)]
pub(crate) struct Row {
    names: Arc<Vec<String>>,
    values: Vec<Option<String>>,
}

impl Row {
    pub(crate) fn get(&self, column: &str) -> String {
        self.names
            .iter()
            .position(|n| n == column)
            .and_then(|i| self.values.get(i).cloned().flatten())
            .unwrap_or_default()
    }
}

impl Rows {
    fn all(&self) -> Vec<Row> {
        let names = Arc::new(self.names.clone());
        self.rows
            .iter()
            .map(|values| Row {
                names: Arc::clone(&names),
                values: values.clone(),
            })
            .collect()
    }

    fn of(&self, column: &str, value: &str) -> Vec<Row> {
        self.all()
            .into_iter()
            .filter(|r| r.get(column) == value)
            .collect()
    }
}

/// A number as the page shows it, with its exact text for the checks.
#[derive(Default, Clone)]
pub struct Num {
    pub raw: String,
    pub shown: String,
}

impl Num {
    fn count(t: &Strings, raw: String) -> Num {
        let raw = if raw.is_empty() { "0".to_string() } else { raw };
        Num {
            shown: t.number(&raw),
            raw,
        }
    }

    fn money(t: &Strings, raw: String) -> Num {
        Num {
            shown: t.number(&raw),
            raw,
        }
    }
}

/// `clients / total` as a percentage with one decimal (rounded half up),
/// computed on integers.
fn share(t: &Strings, clients: u64, total: u64) -> String {
    if total == 0 {
        return "–".to_string();
    }
    let tenths = (u128::from(clients) * 1000 + u128::from(total) / 2) / u128::from(total);
    t.number(&format!("{}.{}", tenths / 10, tenths % 10)) + " %"
}

fn segment_name(t: &Strings, segment: &str) -> String {
    if segment == "NONE" {
        t.none_segment.to_string()
    } else {
        segment.to_string()
    }
}

pub struct Cell {
    pub key: String,
    pub segment: String,
    pub clients_count: u64,
    pub clients: Num,
    pub share: String,
    pub potential: Num,
    pub billing: Num,
}

impl Cell {
    fn new(t: &Strings, season: &str, r: &Row) -> Result<Cell> {
        let segment = r.get("segment");
        let clients = r.get("clients");
        Ok(Cell {
            key: format!("seg|{season}|{segment}"),
            clients_count: clients.parse().map_err(|_| {
                Error::internal(format!("rpt_segments: clients {clients:?} is not a count"))
            })?,
            clients: Num::count(t, clients),
            share: String::new(),
            potential: Num::money(t, r.get("potential_total")),
            billing: Num::money(t, r.get("billing_total")),
            segment,
        })
    }
}

#[derive(Default)]
pub struct HealthView {
    pub clients: Num,
    pub sales_without_cadastre: Num,
    pub cadastre_without_sales: Num,
    pub billing_far_above: Num,
}

pub struct OutlierView {
    pub client_id: String,
    pub potential: Num,
    pub billing: Num,
    pub segment: String,
}

pub struct MigrationView {
    pub key: String,
    pub from: String,
    pub to: String,
    pub clients: Num,
    pub unchanged: bool,
}

pub struct SeasonView {
    pub season_id: String,
    /// RETENCION, INVERSION, REVISION, NO_INVERSION.
    pub cells: Vec<Cell>,
    pub total: String,
    pub high_potential: String,
    pub high_potential_source: String,
    pub high_billing: String,
    pub high_billing_source: String,
    pub chart: String,
    pub health: HealthView,
    pub outliers: Vec<OutlierView>,
    pub migration: Vec<MigrationView>,
}

pub struct CampaignView {
    pub campaign_id: String,
    pub description: String,
    pub season_id: String,
    pub label: String,
    pub members: Num,
    pub potential_total: Num,
    pub billing_total: Num,
    pub status_note: String,
    pub empty_reason: String,
    pub warning: Option<String>,
}

pub struct OverlapView {
    pub season_id: String,
    pub campaign_id: String,
    pub other_campaign_id: String,
    pub members: Num,
    pub other_members: Num,
    pub shared: Num,
}

pub struct ContactView {
    pub campaign_id: String,
    pub season_id: String,
    pub priority: String,
    pub clients: Num,
    pub also_elsewhere: Num,
}

pub struct ChangeView {
    pub campaign_id: String,
    pub joined: Num,
    pub left: Num,
}

pub struct RejectView {
    pub table: String,
    pub reason: String,
    pub rows: Num,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    t: &'a Strings,
    snapshot_date: String,
    run_id: String,
    previous: Option<String>,
    seasons: Vec<SeasonView>,
    campaigns: Vec<CampaignView>,
    overlaps: Vec<OverlapView>,
    more_pairs: usize,
    contacts: Vec<ContactView>,
    changes: Vec<ChangeView>,
    rejects: Vec<RejectView>,
    unpriced_hectares: String,
    /// Per season and activity, from the manifest.
    unpriced: Vec<UnpricedView>,
    /// False when the manifest has unpriced hectares but no detail (written
    /// before zafra recorded it).
    unpriced_recorded: bool,
    /// Tables of [`LATER_TABLES`] the snapshot has no file of (written
    /// before zafra published them); their sections are empty.
    not_recorded: Vec<&'static str>,
}

impl Page<'_> {
    /// Whether the snapshot has no file of `table` (see `not_recorded`).
    fn lacks(&self, table: &str) -> bool {
        self.not_recorded.contains(&table)
    }
}

pub struct UnpricedView {
    pub season_id: String,
    pub activity: String,
    pub hectares: Num,
    pub clients: Num,
}
