//! `zafra generate`: a realistic synthetic CRM in the contract's input layout.
//!
//! Seasons July–June 2021/22 … 2026/27; activities with rates per season (a
//! `*` rate in some seasons, FORESTAL without its own rate); clients with
//! skewed hectares, some inactive, some without cadastre or sales;
//! season-specific parcels; USD and PYG sales with business-day fx rates,
//! ~5% credit notes, ~1% void, more purchases in planting months; spend
//! mostly below the potential, some above, a few clients far above it (an
//! outdated cadastre) and clients without cadastre who buy anyway (the
//! REVISION segment); campaigns shaped like the product texts' examples plus
//! one-dimension, all-clients and broken ones; and a few bad rows (about
//! 0.1% of each table). Deterministic per seed: the same seed gives
//! byte-identical files. The values use integer and IEEE-exact float
//! arithmetic only (no libm functions), so they do not depend on the
//! platform's math library either.
//!
//! Layout: `DIR/<table>/part-NNNNN.parquet` (sales split every 1M rows), and
//! `DIR/fx_rates.parquet` as a single file (the contract's other layout).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Int32Builder, RecordBatch,
    StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

/// How much and where.
pub struct GenerateOptions {
    /// 1 ≈ 100k clients and 5M sales lines.
    pub scale: f64,
    pub seed: u64,
    pub out: PathBuf,
    /// Print a progress line on stderr.
    pub progress: bool,
    /// Number of campaigns (default: 20 × scale, at least 20).
    pub campaigns: Option<usize>,
    /// Campaigns beyond the fixed shapes are narrow potential ranges (each
    /// about 0.1% of clients), for the campaign-scaling benchmark.
    pub narrow_campaigns: bool,
}

/// One generated table.
pub struct TableReport {
    pub table: String,
    pub rows: u64,
    pub files: Vec<PathBuf>,
}

/// What was generated.
pub struct GenerateReport {
    pub tables: Vec<TableReport>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("scale {0} must be a number above 0 and at most 1000")]
    InvalidScale(f64),
    #[error("cannot write {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode {path}")]
    Parquet {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("cannot build a batch of {table}")]
    Arrow {
        table: String,
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },
}

/// The as-of date the demo runs at: the generated data's reference date.
pub const DEMO_AS_OF: (i32, u32, u32) = (2026, 3, 31);

/// Sales lines per client, on average.
const LINES_PER_CLIENT: f64 = 50.0;
/// Sales rows per file.
const ROWS_PER_FILE: usize = 1_000_000;
/// One bad row of each kind per this many good rows (cadastre: 5 bad rows,
/// sales: 6, so about 0.1% of each table).
const BAD_ROW_EVERY: usize = 5_000;
/// Rows per written batch.
const BATCH_ROWS: usize = 62_500; // divides ROWS_PER_FILE: files of exactly 1M rows

const ACTIVITIES: &[(&str, u32, i64, i64)] = &[
    // name, weight, rate range in cents per ha
    ("SOJA", 40, 6_000, 9_000),
    ("MAIZ", 20, 5_000, 8_000),
    ("TRIGO", 10, 4_000, 6_500),
    ("GANADERIA", 12, 800, 1_500),
    ("ARROZ", 5, 7_000, 11_000),
    ("GIRASOL", 4, 3_500, 5_500),
    ("CANOLA", 3, 4_000, 6_000),
    ("SORGO", 3, 3_000, 4_500),
    ("FORESTAL", 3, 0, 0), // never has its own rate
];

const SEASON_START_YEARS: std::ops::RangeInclusive<i32> = 2021..=2026;

/// SplitMix64: small, fast, and the same sequence on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi].
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    // Only called with valid constant or computed-in-range dates.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn days(d: NaiveDate) -> i32 {
    (d - date(1970, 1, 1)).num_days() as i32
}

fn season_id(start_year: i32) -> String {
    format!("{start_year}/{:02}", (start_year + 1) % 100)
}

/// Writes batches to one Parquet file.
struct TableWriter {
    path: PathBuf,
    writer: ArrowWriter<std::fs::File>,
    rows: u64,
}

impl TableWriter {
    fn create(path: PathBuf, schema: SchemaRef) -> Result<Self, GenerateError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| GenerateError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let file = std::fs::File::create(&path).map_err(|source| GenerateError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
            .set_max_row_group_row_count(Some(ROWS_PER_FILE))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(|source| {
            GenerateError::Parquet {
                path: path.display().to_string(),
                source,
            }
        })?;
        Ok(TableWriter {
            path,
            writer,
            rows: 0,
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), GenerateError> {
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(batch)
            .map_err(|source| GenerateError::Parquet {
                path: self.path.display().to_string(),
                source,
            })
    }

    fn finish(self) -> Result<(PathBuf, u64), GenerateError> {
        let path = self.path;
        self.writer
            .close()
            .map_err(|source| GenerateError::Parquet {
                path: path.display().to_string(),
                source,
            })?;
        Ok((path, self.rows))
    }
}

fn batch(
    table: &str,
    schema: &SchemaRef,
    columns: Vec<ArrayRef>,
) -> Result<RecordBatch, GenerateError> {
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(|source| GenerateError::Arrow {
        table: table.to_string(),
        source,
    })
}

fn decimal(precision: u8, scale: i8) -> Decimal128Builder {
    Decimal128Builder::new().with_data_type(DataType::Decimal128(precision, scale))
}

/// One client's generated profile, kept for the sales.
struct Client {
    id: String,
    /// Expected yearly spend, in USD cents.
    yearly_cents: i64,
    buys: bool,
}

/// Generates the dataset.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateReport, GenerateError> {
    if !(opts.scale.is_finite() && opts.scale > 0.0 && opts.scale <= 1000.0) {
        return Err(GenerateError::InvalidScale(opts.scale));
    }
    let started = Instant::now();
    let n_clients = ((100_000.0 * opts.scale).round() as usize).max(10);
    let n_campaigns = opts
        .campaigns
        .unwrap_or_else(|| ((20.0 * opts.scale).round() as usize).max(20));
    let mut tables = Vec::new();
    tables.push(seasons(&opts.out)?);
    let (report, clients) = clients_table(&opts.out, opts.seed, n_clients)?;
    tables.push(report);
    let (report, potentials) = cadastre(&opts.out, opts.seed, &clients)?;
    tables.push(report);
    tables.push(rates(&opts.out, opts.seed)?);
    // Clients without a cadastre still buy like a typical farm (1k–20k USD of
    // potential): their potential is 0, so they land in REVISION or NO_INVERSION.
    let mut rng = Rng::new(opts.seed, 6);
    let clients: Vec<Client> = clients
        .into_iter()
        .zip(potentials)
        .map(|(mut c, potential_cents)| {
            let u = rng.unit();
            let base = if potential_cents > 0 {
                potential_cents
            } else {
                100_000 + (u * u * 1_900_000.0) as i64
            };
            c.yearly_cents = c.yearly_cents.max(1) * base.max(10_000) / 100;
            c
        })
        .collect();
    tables.push(sales(&opts.out, opts.seed, &clients, opts.progress)?);
    tables.push(fx_rates(&opts.out, opts.seed)?);
    tables.push(campaigns(
        &opts.out,
        opts.seed,
        n_campaigns,
        opts.narrow_campaigns,
    )?);
    Ok(GenerateReport {
        tables,
        elapsed: started.elapsed(),
    })
}

fn single(
    out: &Path,
    table: &str,
    schema: SchemaRef,
    columns: Vec<ArrayRef>,
) -> Result<TableReport, GenerateError> {
    let mut w = TableWriter::create(
        out.join(table).join("part-00000.parquet"),
        Arc::clone(&schema),
    )?;
    w.write(&batch(table, &schema, columns)?)?;
    let (path, rows) = w.finish()?;
    Ok(TableReport {
        table: table.to_string(),
        rows,
        files: vec![path],
    })
}

fn seasons(out: &Path) -> Result<TableReport, GenerateError> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("season_id", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("start_date", DataType::Date32, false),
        Field::new("end_date", DataType::Date32, false),
    ]));
    let (mut id, mut name, mut start, mut end) = (
        StringBuilder::new(),
        StringBuilder::new(),
        Date32Builder::new(),
        Date32Builder::new(),
    );
    for y in SEASON_START_YEARS {
        id.append_value(season_id(y));
        name.append_value(format!("Zafra {}", season_id(y)));
        start.append_value(days(date(y, 7, 1)));
        end.append_value(days(date(y + 1, 6, 30)));
    }
    single(
        out,
        "seasons",
        schema,
        vec![
            Arc::new(id.finish()),
            Arc::new(name.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
        ],
    )
}

const BRANCHES: &[&str] = &[
    "Asuncion",
    "Ciudad del Este",
    "Encarnacion",
    "Katuete",
    "Santa Rita",
    "Pedro Juan Caballero",
];

const FIRST_NAMES: &[&str] = &[
    "Juan", "María", "Carlos", "Ana", "José", "Rosa", "Luis", "Carmen", "Pedro", "Lucía", "Jorge",
    "Elena", "Hugo", "Sofía", "Raúl", "Mirta", "Heinrich", "Anna", "Jakob", "Helena",
];

const SURNAMES: &[&str] = &[
    "Benítez",
    "González",
    "Fernández",
    "Ramírez",
    "Giménez",
    "Martínez",
    "Vera",
    "Duarte",
    "Ortiz",
    "Báez",
    "Rojas",
    "Acosta",
    "Villalba",
    "Cáceres",
    "Sosa",
    "Klassen",
    "Friesen",
    "Wiens",
    "Schmidt",
    "Yamamoto",
];

const PLACES: &[&str] = &[
    "San Miguel",
    "Santa Rosa",
    "La Paloma",
    "El Ceibo",
    "Yguazú",
    "Naranjal",
    "Campo 9",
    "Tres Marías",
    "Ñu Guazú",
    "Loma Plata",
];

const COMPANY_FORMS: &[&str] = &[
    "Agroganadera {} S.A.",
    "Estancia {}",
    "Agrícola {} S.R.L.",
    "Granos {} S.A.",
];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    // `items` is one of the non-empty constant lists above.
    items[rng.range(0, items.len() as i64 - 1) as usize]
}

/// A person (about 60%) or a company, with Spanish and Mennonite names.
fn client_name(rng: &mut Rng) -> String {
    if rng.chance(0.6) {
        let first = pick(rng, FIRST_NAMES);
        let last = pick(rng, SURNAMES);
        let second = pick(rng, SURNAMES);
        format!("{first} {last} {second}")
    } else {
        let form = pick(rng, COMPANY_FORMS);
        form.replace("{}", pick(rng, PLACES))
    }
}

fn clients_table(
    out: &Path,
    seed: u64,
    n: usize,
) -> Result<(TableReport, Vec<Client>), GenerateError> {
    let mut rng = Rng::new(seed, 1);
    let schema = Arc::new(Schema::new(vec![
        Field::new("client_id", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("active", DataType::Boolean, true),
        Field::new("tax_id", DataType::Utf8, true),
        Field::new("branch", DataType::Utf8, true),
        Field::new("salesperson", DataType::Utf8, true),
        Field::new(
            "created_at",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ),
    ]));
    let mut id = StringBuilder::new();
    let mut name = StringBuilder::new();
    let mut active = BooleanBuilder::new();
    let mut tax = StringBuilder::new();
    let mut branch = StringBuilder::new();
    let mut seller = StringBuilder::new();
    let mut created = TimestampMicrosecondBuilder::new();
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        let client_id = format!("C{:07}", i + 1);
        id.append_value(&client_id);
        name.append_value(client_name(&mut rng));
        let r = rng.unit();
        if r < 0.03 {
            active.append_value(false);
        } else if r < 0.05 {
            active.append_null();
        } else {
            active.append_value(true);
        }
        tax.append_value(format!(
            "80{:06}-{}",
            rng.range(0, 999_999),
            rng.range(0, 9)
        ));
        branch.append_value(pick(&mut rng, BRANCHES));
        seller.append_value(format!("V{:03}", rng.range(1, 120)));
        // 2017-07-14 … 2025-05-01, in microseconds.
        created.append_value((1_500_000_000 + rng.range(0, 246_000_000)) * 1_000_000);
        // Spend factor in percent of the potential: most buy below it, some
        // above; a few clients' cadastre is out of date (they buy 2–6 times
        // their estimate: the REVISION segment).
        let factor = if rng.chance(0.04) {
            rng.range(200, 600)
        } else {
            let u = rng.unit();
            (u * u.sqrt() * 160.0) as i64
        };
        clients.push(Client {
            id: client_id,
            yearly_cents: factor,
            buys: !rng.chance(0.15),
        });
    }
    let report = single(
        out,
        "clients",
        schema,
        vec![
            Arc::new(id.finish()),
            Arc::new(name.finish()),
            Arc::new(active.finish()),
            Arc::new(tax.finish()),
            Arc::new(branch.finish()),
            Arc::new(seller.finish()),
            Arc::new(created.finish()),
        ],
    )?;
    Ok((report, clients))
}

fn pick_activity(rng: &mut Rng) -> &'static str {
    let total: u32 = ACTIVITIES.iter().map(|a| a.1).sum();
    let mut x = rng.range(0, i64::from(total) - 1) as u32;
    for a in ACTIVITIES {
        if x < a.1 {
            return a.0;
        }
        x -= a.1;
    }
    "SOJA"
}

/// Cadastre; returns each client's rough potential in cents (for sales sizes).
fn cadastre(
    out: &Path,
    seed: u64,
    clients: &[Client],
) -> Result<(TableReport, Vec<i64>), GenerateError> {
    let mut rng = Rng::new(seed, 2);
    let schema = Arc::new(Schema::new(vec![
        Field::new("client_id", DataType::Utf8, true),
        Field::new("parcel_id", DataType::Utf8, true),
        Field::new("activity", DataType::Utf8, true),
        Field::new("productive_ha", DataType::Decimal128(12, 2), true),
        Field::new("season_id", DataType::Utf8, true),
    ]));
    let mut cid = StringBuilder::new();
    let mut pid = StringBuilder::new();
    let mut act = StringBuilder::new();
    let mut ha = decimal(12, 2);
    let mut sid = StringBuilder::new();
    let mut potentials = Vec::with_capacity(clients.len());
    let mut rows = 0usize;
    let seasons: Vec<i32> = SEASON_START_YEARS.collect();
    for c in clients {
        if rng.chance(0.10) {
            potentials.push(0);
            continue;
        }
        let parcels = rng.range(1, 6);
        let mut potential = 0i64;
        for p in 1..=parcels {
            let activity = pick_activity(&mut rng);
            // Skewed hectares: most 5–120 ha, a few in the thousands.
            // Hectares in hundredths (DECIMAL(12,2)).
            let u = rng.unit();
            let mut hectare_cents = 500 + (u * u * 12_000.0) as i64;
            if rng.chance(0.01) {
                hectare_cents *= rng.range(10, 40);
            }
            cid.append_value(&c.id);
            pid.append_value(format!("P{p:02}"));
            act.append_value(activity);
            ha.append_value(i128::from(hectare_cents));
            sid.append_null();
            rows += 1;
            potential += hectare_cents * 60 / 100;
            if rng.chance(0.10) {
                // A season-specific row replaces the generic one for that season.
                // One or two distinct seasons.
                let first = rng.range(0, seasons.len() as i64 - 1) as usize;
                let second =
                    (first + rng.range(1, seasons.len() as i64 - 1) as usize) % seasons.len();
                let picked = if rng.chance(0.5) {
                    vec![first]
                } else {
                    vec![first, second]
                };
                for y in picked.into_iter().map(|i| seasons[i]) {
                    cid.append_value(&c.id);
                    pid.append_value(format!("P{p:02}"));
                    act.append_value(if rng.chance(0.5) {
                        pick_activity(&mut rng)
                    } else {
                        activity
                    });
                    ha.append_value(i128::from(hectare_cents * rng.range(70, 130) / 100));
                    sid.append_value(season_id(y));
                    rows += 1;
                }
            }
        }
        potentials.push(potential * 100);
    }
    // Bad rows (each kind once per 5000 rows, at least once from 1000 rows on).
    let bad = if rows >= 1000 {
        (rows / BAD_ROW_EVERY).max(1)
    } else {
        0
    };
    for k in 0..bad {
        let c = &clients[(k * 7919) % clients.len()].id;
        // negative hectares
        cid.append_value(c);
        pid.append_value(format!("XNEG{k}"));
        act.append_value("SOJA");
        ha.append_value(-1_000);
        sid.append_null();
        // null activity
        cid.append_value(c);
        pid.append_value(format!("XNULL{k}"));
        act.append_null();
        ha.append_value(1_000);
        sid.append_null();
        // unknown client
        cid.append_value(format!("CX{k:06}"));
        pid.append_value("P01");
        act.append_value("SOJA");
        ha.append_value(1_000);
        sid.append_null();
        // a duplicated key: two rows for the same (client, parcel, null season)
        for _ in 0..2 {
            cid.append_value(c);
            pid.append_value(format!("XDUP{k}"));
            act.append_value("MAIZ");
            ha.append_value(2_000);
            sid.append_null();
        }
    }
    let report = single(
        out,
        "cadastre",
        schema,
        vec![
            Arc::new(cid.finish()),
            Arc::new(pid.finish()),
            Arc::new(act.finish()),
            Arc::new(ha.finish()),
            Arc::new(sid.finish()),
        ],
    )?;
    Ok((report, potentials))
}

fn rates(out: &Path, seed: u64) -> Result<TableReport, GenerateError> {
    let mut rng = Rng::new(seed, 3);
    let schema = Arc::new(Schema::new(vec![
        Field::new("season_id", DataType::Utf8, false),
        Field::new("activity", DataType::Utf8, false),
        Field::new("amount_per_ha", DataType::Decimal128(10, 2), false),
    ]));
    let (mut sid, mut act, mut amt) = (StringBuilder::new(), StringBuilder::new(), decimal(10, 2));
    for y in SEASON_START_YEARS {
        for (name, _, lo, hi) in ACTIVITIES {
            if *hi == 0 {
                continue;
            }
            sid.append_value(season_id(y));
            act.append_value(*name);
            amt.append_value(i128::from(rng.range(*lo, *hi)));
        }
        if y % 2 == 1 {
            // A '*' rate in odd-start seasons only: FORESTAL is priced there, unpriced elsewhere.
            sid.append_value(season_id(y));
            act.append_value("*");
            amt.append_value(i128::from(rng.range(1_000, 2_500)));
        }
    }
    single(
        out,
        "potential_rates",
        schema,
        vec![
            Arc::new(sid.finish()),
            Arc::new(act.finish()),
            Arc::new(amt.finish()),
        ],
    )
}

/// Business-day PYG rates from `first` to `last` (day numbers): a
/// mean-reverting random walk of guaraníes per dollar around 7000, as
/// DECIMAL(18,10) units of `rate_to_base` (≈ 1/7000). Only IEEE-exact float
/// operations (no libm), so the values are the same on every platform.
fn pyg_rates(first: i32, last: i32, seed: u64) -> Vec<(i32, i128)> {
    let mut rng = Rng::new(seed, 7);
    let mut pyg_per_usd = 6_900.0_f64;
    let mut out = Vec::new();
    for day in first..=last {
        // 1970-01-01 (day 0) was a Thursday: Monday = 0 … Sunday = 6.
        if (day + 3).rem_euclid(7) >= 5 {
            continue;
        }
        pyg_per_usd += (rng.unit() - 0.5) * 30.0 + (7_000.0 - pyg_per_usd) * 0.005;
        pyg_per_usd = pyg_per_usd.clamp(6_400.0, 7_700.0);
        out.push((day, (1e10 / pyg_per_usd).round() as i128));
    }
    out
}

/// Share of a season's purchases by month, July … June, in percent: inputs
/// for the soy planting peak in August–October, the second crop in February.
const MONTH_WEIGHTS: [i64; 12] = [8, 12, 14, 12, 8, 6, 7, 9, 8, 6, 5, 5];

/// The sales months, 2021-07 … 2026-06: (first day, number of days).
fn sales_calendar() -> Vec<(i32, i64)> {
    let mut months = Vec::with_capacity(60);
    for year in 2021..=2025 {
        for k in 0..12 {
            let (y, m) = (year + (6 + k) / 12, (6 + k) % 12 + 1);
            let next = if m == 12 {
                date(y + 1, 1, 1)
            } else {
                date(y, m as u32 + 1, 1)
            };
            let first = date(y, m as u32, 1);
            months.push((days(first), (next - first).num_days()));
        }
    }
    months
}

/// A document date: a uniform season, a month by `MONTH_WEIGHTS`, a uniform day.
fn sales_day(rng: &mut Rng, calendar: &[(i32, i64)]) -> i32 {
    let season = rng.range(0, (calendar.len() / 12) as i64 - 1) as usize;
    let mut x = rng.range(0, MONTH_WEIGHTS.iter().sum::<i64>() - 1);
    let mut month = 0;
    while month < 11 && x >= MONTH_WEIGHTS[month] {
        x -= MONTH_WEIGHTS[month];
        month += 1;
    }
    match calendar.get(season * 12 + month) {
        Some(&(first, len)) => first + rng.range(0, len - 1) as i32,
        // Unreachable: `calendar` has 12 months per season.
        None => days(date(2021, 7, 1)),
    }
}

struct SalesColumns {
    doc: StringBuilder,
    line: Int32Builder,
    client: StringBuilder,
    date: Date32Builder,
    kind: StringBuilder,
    status: StringBuilder,
    amount: Decimal128Builder,
    currency: StringBuilder,
    rows: usize,
}

impl SalesColumns {
    fn new() -> Self {
        SalesColumns {
            doc: StringBuilder::new(),
            line: Int32Builder::new(),
            client: StringBuilder::new(),
            date: Date32Builder::new(),
            kind: StringBuilder::new(),
            status: StringBuilder::new(),
            amount: decimal(18, 2),
            currency: StringBuilder::new(),
            rows: 0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        doc: &str,
        line: i32,
        client: &str,
        day: i32,
        kind: &str,
        status: &str,
        cents: Option<i64>,
        currency: Option<&str>,
    ) {
        self.doc.append_value(doc);
        self.line.append_value(line);
        self.client.append_value(client);
        self.date.append_value(day);
        self.kind.append_value(kind);
        self.status.append_value(status);
        match cents {
            Some(c) => self.amount.append_value(i128::from(c)),
            None => self.amount.append_null(),
        }
        match currency {
            Some(c) => self.currency.append_value(c),
            None => self.currency.append_null(),
        }
        self.rows += 1;
    }

    fn take(&mut self, schema: &SchemaRef) -> Result<RecordBatch, GenerateError> {
        self.rows = 0;
        batch(
            "sales",
            schema,
            vec![
                Arc::new(self.doc.finish()),
                Arc::new(self.line.finish()),
                Arc::new(self.client.finish()),
                Arc::new(self.date.finish()),
                Arc::new(self.kind.finish()),
                Arc::new(self.status.finish()),
                Arc::new(self.amount.finish()),
                Arc::new(self.currency.finish()),
            ],
        )
    }
}

fn sales(
    out: &Path,
    seed: u64,
    clients: &[Client],
    progress: bool,
) -> Result<TableReport, GenerateError> {
    let mut rng = Rng::new(seed, 4);
    let schema: SchemaRef = Arc::new(Schema::new(vec![
        Field::new("document_id", DataType::Utf8, true),
        Field::new("line_no", DataType::Int32, true),
        Field::new("client_id", DataType::Utf8, true),
        Field::new("document_date", DataType::Date32, true),
        Field::new("document_type", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, true),
        Field::new("amount", DataType::Decimal128(18, 2), true),
        Field::new("currency", DataType::Utf8, true),
    ]));
    let calendar = sales_calendar();
    let buyers = clients.iter().filter(|c| c.buys).count().max(1);
    let lines_per_buyer = LINES_PER_CLIENT * clients.len() as f64 / buyers as f64;
    let target = (LINES_PER_CLIENT * clients.len() as f64) as usize;
    let mut cols = SalesColumns::new();
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut part = 0usize;
    let mut writer: Option<TableWriter> = None;
    let mut document = 0u64;
    let mut written = 0usize;
    let mut last_percent = u64::MAX;
    let mut flush = |cols: &mut SalesColumns,
                     writer: &mut Option<TableWriter>,
                     part: &mut usize,
                     force_new: bool|
     -> Result<(), GenerateError> {
        if cols.rows == 0 {
            return Ok(());
        }
        if writer.is_none() {
            *writer = Some(TableWriter::create(
                out.join("sales").join(format!("part-{:05}.parquet", *part)),
                Arc::clone(&schema),
            )?);
            *part += 1;
        }
        let b = cols.take(&schema)?;
        let full = match writer.as_mut() {
            Some(w) => {
                w.write(&b)?;
                force_new || w.rows as usize >= ROWS_PER_FILE
            }
            None => false,
        };
        if full && let Some(w) = writer.take() {
            let (path, rows) = w.finish()?;
            files.push(path);
            total += rows;
        }
        Ok(())
    };
    for (ci, c) in clients.iter().enumerate() {
        if !c.buys {
            continue;
        }
        let lines = (lines_per_buyer * (0.5 + rng.unit())).round() as usize;
        let mut made = 0;
        while made < lines {
            document += 1;
            let doc = format!("F{document:09}");
            let day = sales_day(&mut rng, &calendar);
            let k = rng.unit();
            let kind = if k < 0.94 {
                "INVOICE"
            } else if k < 0.99 {
                "CREDIT_NOTE"
            } else {
                "DEBIT_NOTE"
            };
            let status = if rng.chance(0.01) { "VOID" } else { "VALID" };
            let cur = rng.unit();
            let (currency, factor) = if cur < 0.70 {
                (Some("USD"), 1)
            } else if cur < 0.95 {
                (Some("PYG"), 7_000)
            } else {
                (None, 1)
            };
            let n_lines = rng.range(1, 5) as usize;
            for line in 1..=n_lines {
                // A line is a share of the client's yearly spend (5 seasons of lines).
                let share = c.yearly_cents as f64 * 5.0 / lines_per_buyer;
                let cents = ((share * (0.2 + 1.6 * rng.unit())) as i64).max(100) * factor;
                cols.push(
                    &doc,
                    line as i32,
                    &c.id,
                    day,
                    kind,
                    status,
                    Some(cents),
                    currency,
                );
                made += 1;
                written += 1;
                if cols.rows >= BATCH_ROWS {
                    flush(&mut cols, &mut writer, &mut part, false)?;
                }
            }
        }
        if progress && ci % 1024 == 0 {
            let percent = (written as u64 * 100) / target.max(1) as u64;
            if percent != last_percent {
                last_percent = percent;
                eprint!("\rgenerating sales: {:>3}%", percent.min(100));
                let _ = std::io::stderr().flush();
            }
        }
    }
    // Bad rows: once per 5000 lines of each kind (at least once from 1000 lines on).
    let bad = if written >= 1000 {
        (written / BAD_ROW_EVERY).max(1)
    } else {
        0
    };
    let some_client = |k: usize| clients[(k * 104_729) % clients.len()].id.clone();
    let day = days(date(2025, 9, 15));
    for k in 0..bad {
        let c = some_client(k);
        cols.push(
            &format!("XNULL{k}"),
            1,
            &c,
            day,
            "INVOICE",
            "VALID",
            None,
            Some("USD"),
        );
        cols.push(
            &format!("XPRO{k}"),
            1,
            &c,
            day,
            "PROFORMA",
            "VALID",
            Some(10_000),
            Some("USD"),
        );
        cols.push(
            &format!("XCLI{k}"),
            1,
            &format!("CX{k:06}"),
            day,
            "INVOICE",
            "VALID",
            Some(10_000),
            Some("USD"),
        );
        cols.push(
            &format!("XBRL{k}"),
            1,
            &c,
            day,
            "INVOICE",
            "VALID",
            Some(10_000),
            Some("BRL"),
        );
        for _ in 0..2 {
            cols.push(
                &format!("XDUP{k}"),
                1,
                &c,
                day,
                "INVOICE",
                "VALID",
                Some(10_000),
                Some("USD"),
            );
        }
    }
    flush(&mut cols, &mut writer, &mut part, true)?;
    if progress {
        eprintln!("\rgenerating sales: 100%");
    }
    Ok(TableReport {
        table: "sales".to_string(),
        rows: total,
        files,
    })
}

fn fx_rates(out: &Path, seed: u64) -> Result<TableReport, GenerateError> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("currency", DataType::Utf8, false),
        Field::new("rate_date", DataType::Date32, false),
        Field::new("rate_to_base", DataType::Decimal128(18, 10), false),
    ]));
    let (mut cur, mut day, mut rate) =
        (StringBuilder::new(), Date32Builder::new(), decimal(18, 10));
    // From the Monday before the first sales date (2021-07-01, a Thursday).
    for (d, r) in pyg_rates(days(date(2021, 6, 28)), days(date(2026, 6, 30)), seed) {
        cur.append_value("PYG");
        day.append_value(d);
        rate.append_value(r);
    }
    let path = out.join("fx_rates.parquet");
    let mut w = TableWriter::create(path, Arc::clone(&schema))?;
    w.write(&batch(
        "fx_rates",
        &(schema as SchemaRef),
        vec![
            Arc::new(cur.finish()),
            Arc::new(day.finish()),
            Arc::new(rate.finish()),
        ],
    )?)?;
    let (path, rows) = w.finish()?;
    Ok(TableReport {
        table: "fx_rates".to_string(),
        rows,
        files: vec![path],
    })
}

/// One campaign shape: description, season, dates, status, ranges (USD, None = open).
struct Shape {
    description: &'static str,
    season: &'static str,
    start: NaiveDate,
    end: NaiveDate,
    status: &'static str,
    potential: Option<(Option<i64>, Option<i64>)>,
    billing: Option<(Option<i64>, Option<i64>)>,
    /// Bounds stored even though the flag is off (must be ignored).
    ignored_bounds: bool,
}

fn shapes() -> Vec<Shape> {
    let (s, e) = (date(2025, 7, 1), date(2026, 6, 30));
    let shape = |description, potential, billing| Shape {
        description,
        season: "2025/26",
        start: s,
        end: e,
        status: "ACTIVE",
        potential,
        billing,
        ignored_bounds: false,
    };
    vec![
        shape(
            "RETENCION - Temporada 2025",
            Some((Some(5_000), Some(8_000))),
            Some((Some(5_000), Some(8_000))),
        ),
        shape(
            "INVERSION - Temporada 2025",
            Some((Some(8_000), Some(10_000))),
            Some((Some(1_000), Some(2_000))),
        ),
        // The seed text's REVISION example (potential 1000–2000, billing
        // 8000–10000) is nearly empty on this data (billing follows the
        // cadastre); this range is a few percent of the clients.
        shape(
            "REVISION - Temporada 2025",
            Some((Some(0), Some(2_000))),
            Some((Some(5_000), Some(10_000))),
        ),
        shape(
            "NO INVERSION - Temporada 2025",
            Some((Some(0), Some(1_000))),
            Some((Some(0), Some(1_000))),
        ),
        shape("Solo potencial alto", Some((Some(10_000), None)), None),
        shape("Solo facturacion baja", None, Some((None, Some(3_000)))),
        shape("Todos los clientes", None, None),
        Shape {
            season: "2099/00",
            ..shape(
                "Zafra inexistente",
                Some((Some(1), Some(2))),
                Some((Some(1), Some(2))),
            )
        },
        shape("Rango invertido", Some((Some(9_000), Some(100))), None),
        Shape {
            ignored_bounds: true,
            ..shape(
                "Bandera apagada",
                Some((Some(9_000), Some(100))),
                Some((Some(0), Some(5_000))),
            )
        },
        Shape {
            status: "PAUSED",
            ..shape("Pausada", None, None)
        },
        Shape {
            status: "CANCELLED",
            ..shape("Cancelada", None, None)
        },
        Shape {
            end: date(2025, 12, 31),
            ..shape("Vencida", None, None)
        },
        Shape {
            season: "2024/25",
            start: date(2025, 1, 1),
            end: date(2026, 12, 31),
            ..shape(
                "RETENCION - Temporada 2024",
                Some((Some(5_000), Some(8_000))),
                Some((Some(5_000), Some(8_000))),
            )
        },
    ]
}

fn campaigns(out: &Path, seed: u64, n: usize, narrow: bool) -> Result<TableReport, GenerateError> {
    let mut rng = Rng::new(seed, 5);
    let money = || DataType::Decimal128(14, 2);
    let schema = Arc::new(Schema::new(vec![
        Field::new("campaign_id", DataType::Utf8, false),
        Field::new("description", DataType::Utf8, true),
        Field::new("season_id", DataType::Utf8, true),
        Field::new("start_date", DataType::Date32, true),
        Field::new("end_date", DataType::Date32, true),
        Field::new("status", DataType::Utf8, true),
        Field::new("by_potential", DataType::Boolean, true),
        Field::new("potential_min", money(), true),
        Field::new("potential_max", money(), true),
        Field::new("by_billing", DataType::Boolean, true),
        Field::new("billing_min", money(), true),
        Field::new("billing_max", money(), true),
    ]));
    let mut id = StringBuilder::new();
    let mut desc = StringBuilder::new();
    let mut season = StringBuilder::new();
    let (mut start, mut end) = (Date32Builder::new(), Date32Builder::new());
    let mut status = StringBuilder::new();
    let (mut byp, mut byb) = (BooleanBuilder::new(), BooleanBuilder::new());
    let (mut pmin, mut pmax, mut bmin, mut bmax) = (
        decimal(14, 2),
        decimal(14, 2),
        decimal(14, 2),
        decimal(14, 2),
    );
    let base = shapes();
    let bound = |b: &mut Decimal128Builder, v: Option<i64>, jitter: i64| match v {
        Some(v) => b.append_value(i128::from((v + jitter).max(0)) * 100),
        None => b.append_null(),
    };
    for i in 0..n {
        if narrow && i >= base.len() {
            // A potential-only range about 0.1% of clients wide.
            let low = rng.range(1_000, 15_000);
            let width = 8 + low / 1_000;
            id.append_value(format!("CMP{:04}", i + 1));
            desc.append_value("Rango angosto");
            season.append_value("2025/26");
            start.append_value(days(date(2025, 7, 1)));
            end.append_value(days(date(2026, 6, 30)));
            status.append_value("ACTIVE");
            byp.append_value(true);
            byb.append_value(false);
            pmin.append_value(i128::from(low) * 100);
            pmax.append_value(i128::from(low + width) * 100);
            bmin.append_null();
            bmax.append_null();
            continue;
        }
        // Beyond the fixed shapes: the four segment shapes again, with
        // shifted ranges (each a few percent of the clients).
        let (s, jitter) = if i < base.len() {
            (&base[i], 0)
        } else {
            (&base[i % 4], rng.range(-500, 4_000))
        };
        id.append_value(format!("CMP{:04}", i + 1));
        desc.append_value(s.description);
        season.append_value(s.season);
        start.append_value(days(s.start));
        end.append_value(days(s.end));
        status.append_value(s.status);
        let (p, b) = (s.potential.is_some(), s.billing.is_some());
        byp.append_value(p && !s.ignored_bounds);
        byb.append_value(b);
        let (plo, phi) = s.potential.unwrap_or((None, None));
        let (blo, bhi) = s.billing.unwrap_or((None, None));
        bound(&mut pmin, plo, jitter);
        bound(&mut pmax, phi, jitter);
        bound(&mut bmin, blo, jitter);
        bound(&mut bmax, bhi, jitter);
    }
    single(
        out,
        "campaigns",
        schema,
        vec![
            Arc::new(id.finish()),
            Arc::new(desc.finish()),
            Arc::new(season.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(status.finish()),
            Arc::new(byp.finish()),
            Arc::new(pmin.finish()),
            Arc::new(pmax.finish()),
            Arc::new(byb.finish()),
            Arc::new(bmin.finish()),
            Arc::new(bmax.finish()),
        ],
    )
}

#[cfg(test)]
mod tests {
    // Tests may unwrap: a failure is a test failure.
    use super::*;
    use datafusion::arrow::array::{
        Array, AsArray, BooleanArray, Date32Array, Decimal128Array, Int32Array, RecordBatchReader,
        StringArray,
    };
    use datafusion::arrow::compute::concat_batches;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use sha2::{Digest, Sha256};
    use std::collections::{BTreeMap, BTreeSet, HashSet};

    fn digest_tree(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let bytes = std::fs::read(&p).unwrap();
                    let rel = p.strip_prefix(dir).unwrap().display().to_string();
                    out.push((rel, format!("{:x}", Sha256::digest(&bytes))));
                }
            }
        }
        out.sort();
        out
    }

    fn options(dir: &Path, scale: f64, seed: u64) -> GenerateOptions {
        GenerateOptions {
            scale,
            seed,
            out: dir.to_path_buf(),
            progress: false,
            campaigns: None,
            narrow_campaigns: false,
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        generate(&options(a.path(), 0.005, 7)).unwrap();
        generate(&options(b.path(), 0.005, 7)).unwrap();
        generate(&options(c.path(), 0.005, 8)).unwrap();
        let (da, db, dc) = (
            digest_tree(a.path()),
            digest_tree(b.path()),
            digest_tree(c.path()),
        );
        assert_eq!(da.len(), 7, "{da:?}");
        assert_eq!(da, db);
        // Every random table differs under another seed (seasons is fixed).
        let differing: BTreeSet<&str> = da
            .iter()
            .zip(&dc)
            .filter(|(x, y)| x.0 == y.0 && x.1 != y.1)
            .map(|(x, _)| x.0.as_str())
            .collect();
        for t in [
            "clients",
            "cadastre",
            "potential_rates",
            "sales",
            "fx_rates",
        ] {
            assert!(
                differing.iter().any(|f| f.starts_with(t)),
                "{t}: {differing:?}"
            );
        }
    }

    #[test]
    fn invalid_scale_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        for scale in [0.0, -1.0, f64::NAN, f64::INFINITY, 1000.5] {
            let err = generate(&options(dir.path(), scale, 1)).err().unwrap();
            assert!(matches!(err, GenerateError::InvalidScale(_)));
            assert!(err.to_string().contains(&scale.to_string()), "{err}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn unwritable_output_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-folder");
        std::fs::write(&file, b"x").unwrap();
        let err = generate(&options(&file, 0.001, 1)).err().unwrap();
        assert!(matches!(err, GenerateError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("not-a-folder"), "{err}");
    }

    /// The table's files read back (all with the same schema) as one batch.
    fn read(report: &GenerateReport, table: &str) -> RecordBatch {
        let t = report.tables.iter().find(|r| r.table == table).unwrap();
        let mut batches = Vec::new();
        let mut schema = None;
        for f in &t.files {
            let file = std::fs::File::open(f).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap()
                .build()
                .unwrap();
            schema = Some(reader.schema());
            batches.extend(reader.map(|b| b.unwrap()));
        }
        let batch = concat_batches(&schema.unwrap(), &batches).unwrap();
        assert_eq!(batch.num_rows() as u64, t.rows, "{table}");
        batch
    }

    fn columns(batch: &RecordBatch) -> Vec<(String, DataType)> {
        batch
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect()
    }

    fn strings<'a>(batch: &'a RecordBatch, column: &str) -> &'a StringArray {
        batch.column_by_name(column).unwrap().as_string::<i32>()
    }

    fn decimals<'a>(batch: &'a RecordBatch, column: &str) -> &'a Decimal128Array {
        batch
            .column_by_name(column)
            .unwrap()
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap()
    }

    fn dates<'a>(batch: &'a RecordBatch, column: &str) -> &'a Date32Array {
        batch
            .column_by_name(column)
            .unwrap()
            .as_any()
            .downcast_ref::<Date32Array>()
            .unwrap()
    }

    #[test]
    fn shape_schemas_and_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let report = generate(&options(dir.path(), 0.02, 1)).unwrap();
        let names: Vec<&str> = report.tables.iter().map(|t| t.table.as_str()).collect();
        assert_eq!(
            names,
            [
                "seasons",
                "clients",
                "cadastre",
                "potential_rates",
                "sales",
                "fx_rates",
                "campaigns"
            ]
        );
        assert_eq!(
            report
                .tables
                .iter()
                .find(|t| t.table == "fx_rates")
                .unwrap()
                .files,
            [dir.path().join("fx_rates.parquet")]
        );
        let (utf8, date32, boolean) = (DataType::Utf8, DataType::Date32, DataType::Boolean);
        let col = |n: &str, t: &DataType| (n.to_string(), t.clone());

        let seasons = read(&report, "seasons");
        assert_eq!(
            columns(&seasons),
            [
                col("season_id", &utf8),
                col("name", &utf8),
                col("start_date", &date32),
                col("end_date", &date32)
            ]
        );
        let ids: Vec<&str> = strings(&seasons, "season_id").iter().flatten().collect();
        assert_eq!(
            ids,
            [
                "2021/22", "2022/23", "2023/24", "2024/25", "2025/26", "2026/27"
            ]
        );

        let clients = read(&report, "clients");
        assert_eq!(
            columns(&clients),
            [
                col("client_id", &utf8),
                col("name", &utf8),
                col("active", &boolean),
                col("tax_id", &utf8),
                col("branch", &utf8),
                col("salesperson", &utf8),
                col(
                    "created_at",
                    &DataType::Timestamp(TimeUnit::Microsecond, None)
                ),
            ]
        );
        assert_eq!(clients.num_rows(), 2_000);
        let client_ids: HashSet<&str> = strings(&clients, "client_id").iter().flatten().collect();
        assert_eq!(client_ids.len(), 2_000);
        assert!(client_ids.contains("C0000001") && client_ids.contains("C0002000"));
        let active = clients
            .column_by_name("active")
            .unwrap()
            .as_any()
            .downcast_ref::<BooleanArray>()
            .unwrap();
        let inactive = active.iter().filter(|a| *a == Some(false)).count();
        assert!((20..=110).contains(&inactive), "{inactive} inactive");
        assert!(active.null_count() > 10, "{} null", active.null_count());

        let cadastre = read(&report, "cadastre");
        assert_eq!(
            columns(&cadastre),
            [
                col("client_id", &utf8),
                col("parcel_id", &utf8),
                col("activity", &utf8),
                col("productive_ha", &DataType::Decimal128(12, 2)),
                col("season_id", &utf8),
            ]
        );
        let n = cadastre.num_rows();
        let cid = strings(&cadastre, "client_id");
        let pid = strings(&cadastre, "parcel_id");
        let act = strings(&cadastre, "activity");
        let ha = decimals(&cadastre, "productive_ha");
        let sid = strings(&cadastre, "season_id");
        let mut keys = BTreeMap::new();
        for i in 0..n {
            let key = (
                cid.value(i),
                pid.value(i),
                sid.is_valid(i).then(|| sid.value(i)),
            );
            *keys.entry(key).or_insert(0) += 1;
        }
        let bad = [
            (0..n).filter(|&i| ha.value(i) < 0).count(),
            act.null_count(),
            (0..n)
                .filter(|&i| !client_ids.contains(cid.value(i)))
                .count(),
            keys.values().filter(|&&k| k > 1).count(),
        ];
        assert!(bad.iter().all(|&b| b >= 1), "cadastre bad rows {bad:?}");
        assert!(bad.iter().sum::<usize>() * 200 < n, "{bad:?} of {n}");
        let specific = n - sid.null_count();
        assert!(
            specific * 100 > n * 4 && specific * 100 < n * 20,
            "{specific}"
        );
        let clients_with_cadastre: HashSet<&str> = cid.iter().flatten().collect();
        let without = 2_000 - clients_with_cadastre.len() + 1; // + the unknown client
        assert!((100..=300).contains(&without), "{without} without cadastre");

        let rates = read(&report, "potential_rates");
        assert_eq!(
            columns(&rates),
            [
                col("season_id", &utf8),
                col("activity", &utf8),
                col("amount_per_ha", &DataType::Decimal128(10, 2)),
            ]
        );
        let rate_keys: HashSet<(&str, &str)> = strings(&rates, "season_id")
            .iter()
            .flatten()
            .zip(strings(&rates, "activity").iter().flatten())
            .collect();
        assert!(!rate_keys.iter().any(|k| k.1 == "FORESTAL"));
        assert!(rate_keys.contains(&("2025/26", "*")));
        assert!(!rate_keys.contains(&("2024/25", "*")));
        assert!(rate_keys.contains(&("2024/25", "SOJA")));

        let sales = read(&report, "sales");
        assert_eq!(
            columns(&sales),
            [
                col("document_id", &utf8),
                col("line_no", &DataType::Int32),
                col("client_id", &utf8),
                col("document_date", &date32),
                col("document_type", &utf8),
                col("status", &utf8),
                col("amount", &DataType::Decimal128(18, 2)),
                col("currency", &utf8),
            ]
        );
        let n = sales.num_rows();
        assert!((80_000..=120_000).contains(&n), "{n} sales lines");
        let doc = strings(&sales, "document_id");
        let line = sales
            .column_by_name("line_no")
            .unwrap()
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        let client = strings(&sales, "client_id");
        let day = dates(&sales, "document_date");
        let kind = strings(&sales, "document_type");
        let amount = decimals(&sales, "amount");
        let currency = strings(&sales, "currency");
        let mut keys = HashSet::new();
        let duplicates = (0..n)
            .filter(|&i| !keys.insert((doc.value(i), line.value(i))))
            .count();
        let count = |f: &dyn Fn(usize) -> bool| (0..n).filter(|&i| f(i)).count();
        let bad = [
            amount.null_count(),
            count(&|i| kind.value(i) == "PROFORMA"),
            count(&|i| !client_ids.contains(client.value(i))),
            count(&|i| currency.is_valid(i) && currency.value(i) == "BRL"),
            duplicates,
        ];
        assert!(bad.iter().all(|&b| b >= 1), "sales bad rows {bad:?}");
        assert!(bad.iter().sum::<usize>() * 200 < n, "{bad:?} of {n}");
        let kinds = [
            count(&|i| kind.value(i) == "INVOICE"),
            count(&|i| kind.value(i) == "CREDIT_NOTE"),
            count(&|i| kind.value(i) == "DEBIT_NOTE"),
        ];
        assert!(kinds[0] * 100 > n * 92 && kinds[1] * 100 > n * 3 && kinds[2] > n / 300);
        let pyg = count(&|i| currency.is_valid(i) && currency.value(i) == "PYG");
        assert!(pyg * 100 > n * 20 && pyg * 100 < n * 30, "{pyg} PYG");
        assert!(currency.null_count() * 100 > n * 3, "null currency");
        assert!((1..=5).contains(&line.values().iter().copied().max().unwrap()));
        let (first, last) = (days(date(2021, 7, 1)), days(date(2026, 6, 30)));
        assert!(day.values().iter().all(|d| (first..=last).contains(d)));
        let as_of = days(date(DEMO_AS_OF.0, DEMO_AS_OF.1, DEMO_AS_OF.2));
        assert!(day.values().iter().any(|&d| d > as_of));
        let buyers: HashSet<&str> = client.iter().flatten().collect();
        assert!(
            (1_550..=1_850).contains(&buyers.len()),
            "{} buyers",
            buyers.len()
        );

        let fx = read(&report, "fx_rates");
        assert_eq!(
            columns(&fx),
            [
                col("currency", &utf8),
                col("rate_date", &date32),
                col("rate_to_base", &DataType::Decimal128(18, 10)),
            ]
        );
        let fx_days = dates(&fx, "rate_date").values();
        assert!(fx_days[0] <= first && fx_days[fx_days.len() - 1] >= last - 3);
        assert!(fx_days.windows(2).all(|w| w[0] < w[1]));
        assert!(
            fx_days.iter().all(|d| (d + 3).rem_euclid(7) < 5),
            "weekdays only"
        );
        assert!(
            fx_days.windows(2).all(|w| w[1] - w[0] <= 3),
            "every weekday"
        );
        // ≈ 1/7000 with DECIMAL(18,10): 1/6400 … 1/7700.
        let rate = decimals(&fx, "rate_to_base");
        assert!(
            rate.values()
                .iter()
                .all(|&r| (1_298_000..=1_563_000).contains(&r))
        );

        let campaigns = read(&report, "campaigns");
        let money = DataType::Decimal128(14, 2);
        assert_eq!(
            columns(&campaigns),
            [
                col("campaign_id", &utf8),
                col("description", &utf8),
                col("season_id", &utf8),
                col("start_date", &date32),
                col("end_date", &date32),
                col("status", &utf8),
                col("by_potential", &boolean),
                col("potential_min", &money),
                col("potential_max", &money),
                col("by_billing", &boolean),
                col("billing_min", &money),
                col("billing_max", &money),
            ]
        );
        assert_eq!(campaigns.num_rows(), 20);
        let seasons: Vec<&str> = strings(&campaigns, "season_id").iter().flatten().collect();
        let status: Vec<&str> = strings(&campaigns, "status").iter().flatten().collect();
        assert!(seasons.contains(&"2099/00") && seasons.contains(&"2024/25"));
        assert!(status.contains(&"PAUSED") && status.contains(&"CANCELLED"));
        let (pmin, pmax) = (
            decimals(&campaigns, "potential_min"),
            decimals(&campaigns, "potential_max"),
        );
        assert!(
            (0..20).any(|i| pmin.is_valid(i) && pmax.is_valid(i) && pmin.value(i) > pmax.value(i))
        );
        assert!(pmax.null_count() > 0);
    }

    #[test]
    fn sales_dates_follow_the_planting_months() {
        let calendar = sales_calendar();
        assert_eq!(calendar.len(), 60);
        assert_eq!(calendar[0], (days(date(2021, 7, 1)), 31));
        assert_eq!(calendar[59], (days(date(2026, 6, 1)), 30));
        let mut rng = Rng::new(3, 4);
        let mut september = 0;
        for _ in 0..10_000 {
            let d = sales_day(&mut rng, &calendar);
            if calendar
                .iter()
                .skip(2)
                .step_by(12)
                .any(|&(f, l)| (f..f + l as i32).contains(&d))
            {
                september += 1;
            }
        }
        // 14% of purchases in September.
        assert!((1_250..=1_550).contains(&september), "{september}");
    }
}
