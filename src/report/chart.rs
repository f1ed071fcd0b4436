//! The potential × billing chart of a season, drawn by `plotters` as SVG:
//! the density of clients (the cells of `rpt_density`, never one mark per
//! client, so the file's size does not grow with the clients), the
//! season's thresholds as lines, and each active campaign's range as a box.
//! Coordinates are f64: they place marks, they are not money.

use plotters::prelude::*;

use super::Row;
use super::strings::Strings;
use crate::error::{Error, Result};
use crate::manifest::{CampaignRecord, ThresholdRecord};

const WIDTH: u32 = 760;
const HEIGHT: u32 = 480;

/// A campaign's range on the chart; `None` = that figure is not filtered,
/// an open end is `None` inside.
pub struct CampaignBox {
    pub campaign_id: String,
    pub potential: Option<(Option<f64>, Option<f64>)>,
    pub billing: Option<(Option<f64>, Option<f64>)>,
}

impl CampaignBox {
    pub fn of(c: &CampaignRecord) -> CampaignBox {
        let number = |t: &Option<String>| t.as_deref().and_then(|t| t.parse::<f64>().ok());
        let rule = &c.rule;
        CampaignBox {
            campaign_id: c.campaign_id.clone(),
            potential: rule
                .by_potential
                .then(|| (number(&rule.potential_min), number(&rule.potential_max))),
            billing: rule
                .by_billing
                .then(|| (number(&rule.billing_min), number(&rule.billing_max))),
        }
    }
}

fn number(row: &Row, column: &str) -> Result<f64> {
    let text = row.get(column);
    text.parse::<f64>()
        .map_err(|_| Error::internal(format!("rpt_density: {column} {text:?} is not a number")))
}

fn drawing(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("drawing the chart: {e}"))
}

/// The season's chart as an SVG element; empty when it has no clients.
pub fn density(
    t: &Strings,
    cells: &[Row],
    threshold: &ThresholdRecord,
    campaigns: &[CampaignBox],
    bins: i64,
) -> Result<String> {
    let Some(first) = cells.first() else {
        return Ok(String::new());
    };
    let x_low = number(first, "potential_low")?;
    let mut x_high = number(first, "potential_high")?;
    let y_low = number(first, "billing_low")?;
    let mut y_high = number(first, "billing_high")?;
    if x_high <= x_low {
        x_high = x_low + 1.0;
    }
    if y_high <= y_low {
        y_high = y_low + 1.0;
    }
    let bins = bins.max(1) as f64;
    let (cell_w, cell_h) = ((x_high - x_low) / bins, (y_high - y_low) / bins);
    let mut parsed = Vec::with_capacity(cells.len());
    for c in cells {
        parsed.push((
            number(c, "potential_cell")?,
            number(c, "billing_cell")?,
            number(c, "clients")?,
        ));
    }
    let most = parsed.iter().map(|c| c.2).fold(1.0_f64, f64::max);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(90)
            .build_cartesian_2d(x_low..x_high, y_low..y_high)
            .map_err(drawing)?;
        let label = |v: &f64| t.number(&format!("{v:.0}"));
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(t.chart_x)
            .y_desc(t.chart_y)
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&label)
            .y_label_formatter(&label)
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(parsed.iter().map(|&(px, by, clients)| {
                // Darker with more clients, on a log scale (one client is
                // still visible).
                let level = (1.0 + clients).ln() / (1.0 + most).ln();
                let shade = |light: f64, dark: f64| (light + (dark - light) * level).round() as u8;
                let colour = RGBColor(shade(225.0, 27.0), shade(238.0, 94.0), shade(215.0, 32.0));
                let x0 = x_low + px * cell_w;
                let y0 = y_low + by * cell_h;
                Rectangle::new([(x0, y0), (x0 + cell_w, y0 + cell_h)], colour.filled())
            }))
            .map_err(drawing)?;
        let red = RGBColor(200, 30, 30).stroke_width(2);
        if let Ok(hp) = threshold.high_potential.parse::<f64>()
            && (x_low..=x_high).contains(&hp)
        {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(hp, y_low), (hp, y_high)],
                    red,
                )))
                .map_err(drawing)?;
        }
        if let Ok(hb) = threshold.high_billing.parse::<f64>()
            && (y_low..=y_high).contains(&hb)
        {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x_low, hb), (x_high, hb)],
                    red,
                )))
                .map_err(drawing)?;
        }
        let blue = RGBColor(30, 70, 180);
        for b in campaigns {
            let clip = |range: Option<(Option<f64>, Option<f64>)>, low: f64, high: f64| {
                let (min, max) = range.unwrap_or((None, None));
                (
                    min.unwrap_or(low).clamp(low, high),
                    max.unwrap_or(high).clamp(low, high),
                )
            };
            let (x0, x1) = clip(b.potential, x_low, x_high);
            let (y0, y1) = clip(b.billing, y_low, y_high);
            if x0 > x1 || y0 > y1 {
                continue;
            }
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x1, y1)],
                    blue.stroke_width(1),
                )))
                .map_err(drawing)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    b.campaign_id.clone(),
                    (x0, y1),
                    ("sans-serif", 11).into_font().color(&blue),
                )))
                .map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}
