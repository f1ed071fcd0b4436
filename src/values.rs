//! Input values that cannot be used exactly, named for the user: table, file,
//! column and the row's key. Both diagnoses run only on an error path.
//!
//! - [`find_bad_value`]: a query failed with a data error; find the first
//!   input value that the Parquet reader cannot cast to its column's
//!   canonical type (NaN, ±inf, a float or decimal beyond DECIMAL(38, s), a
//!   date out of range, text that is not UTF-8), reading every file in its
//!   raw types with the cast DataFusion's reader uses.
//! - [`money_error`]: a computed money figure is null because it cannot be
//!   published exactly (`sql/checks/check_money.sql`); name the figure, its
//!   group, the input table and column it sums, and an example row (the one
//!   with the largest absolute contribution) with its file.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type, TimeUnit};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use datafusion::functions::math::expr_fn::abs;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::prelude::{SessionContext, cast, col, lit};
use futures::StreamExt;
#[allow(deprecated)]
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};

use crate::error::{BadValue, Error, FigureOutOfRange, InputError, quoted};
use crate::inputs::{InputFile, InputTable};
use crate::pipeline::strings;
use crate::storage::Location;

/// Most rows an input table may have. A figure sums at most one table's rows
/// (a campaign total at most its members); each line is below 10^36 with at
/// most 24 decimals (10^60 as an integer), so fewer than 5.7 × 10^16 of them
/// cannot overflow a Decimal256 sum (docs/SEMANTICS.md, "Exact money").
pub const MAX_TABLE_ROWS: u64 = 10_000_000_000_000_000;

/// Refuses a table too large for the exact sums' bound (exit 3).
pub fn check_table_sizes(tables: &[InputTable]) -> Result<(), Error> {
    match tables.iter().find(|t| t.rows() >= MAX_TABLE_ROWS) {
        Some(t) => Err(InputError::Data {
            detail: format!(
                "table `{}` has {} rows; zafra sums at most 10^16 rows exactly",
                t.spec.name,
                t.rows()
            ),
            source: None,
        }
        .into()),
        None => Ok(()),
    }
}

/// The contract's key columns of a table, in `row_key` order.
pub fn key_columns(table: &str) -> &'static [&'static str] {
    match table {
        "clients" => &["client_id"],
        "seasons" => &["season_id"],
        "cadastre" => &["client_id", "parcel_id", "season_id"],
        "potential_rates" => &["season_id", "activity"],
        "sales" => &["document_id", "line_no"],
        "campaigns" => &["campaign_id"],
        "fx_rates" => &["currency", "rate_date"],
        _ => &[],
    }
}

const STRICT: CastOptions<'static> = CastOptions {
    safe: false,
    format_options: FormatOptions::new(),
};

const LENIENT: CastOptions<'static> = CastOptions {
    safe: true,
    format_options: FormatOptions::new(),
};

/// Reads every input file in its raw types, table by table, file by file, in
/// order, and returns the first value that cannot be cast to its column's
/// canonical type as an [`InputError::BadValue`]. `None` if every value can.
pub async fn find_bad_value(root: &Location, tables: &[InputTable]) -> Option<Error> {
    for table in tables {
        for file in &table.files {
            if let Some(error) = scan_file(root, table, file).await {
                return Some(error);
            }
        }
    }
    None
}

#[allow(deprecated)]
async fn open(
    root: &Location,
    file: &InputFile,
    columns: &[&str],
) -> Result<
    parquet::arrow::async_reader::ParquetRecordBatchStream<ParquetObjectReader>,
    parquet::errors::ParquetError,
> {
    let reader = ParquetObjectReader::new(Arc::clone(root.store()), file.path.clone())
        .with_file_size(file.size);
    let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
    let mask =
        parquet::arrow::ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    builder.with_projection(mask).build()
}

async fn scan_file(root: &Location, table: &InputTable, file: &InputFile) -> Option<Error> {
    let names: Vec<&str> = table.spec.columns.iter().map(|c| c.name).collect();
    // A file that cannot be decoded was reported before this runs.
    let mut stream = open(root, file, &names).await.ok()?;
    while let Some(batch) = stream.next().await {
        let batch = batch.ok()?;
        for column in table.spec.columns {
            let Some(array) = batch.column_by_name(column.name) else {
                continue;
            };
            let Ok(field) = table.schema.field_with_name(column.name) else {
                continue;
            };
            if let Some((row, problem)) = first_bad(array, field.data_type()) {
                return Some(
                    InputError::BadValue(Box::new(BadValue {
                        table: table.spec.name.to_string(),
                        file: file.name.clone(),
                        column: column.name.to_string(),
                        key: quoted(&row_key(&batch, key_columns(table.spec.name), row)),
                        problem,
                    }))
                    .into(),
                );
            }
        }
    }
    None
}

/// The first row of `array` whose value the reader's cast to `target` rejects
/// (or, for dates, turns into a day no calendar date has), with the problem.
fn first_bad(array: &ArrayRef, target: &DataType) -> Option<(usize, String)> {
    match cast_with_options(array, target, &STRICT) {
        Ok(cast) => {
            if *target != DataType::Date32 {
                return None;
            }
            let days = cast.as_primitive_opt::<Date32Type>()?;
            (0..days.len())
                .find(|&i| days.is_valid(i) && date_from_days(days.value(i)).is_none())
                .map(|i| (i, describe(array, i, target, None)))
        }
        Err(whole) => {
            for i in 0..array.len() {
                if array.is_null(i) {
                    continue;
                }
                // The row alone, copied: a slice shares the whole array's
                // value bytes, and casting binary to text checks all of them,
                // so a slice of a good row fails when a later row is bad.
                let Ok(row) = datafusion::arrow::compute::take(
                    array.as_ref(),
                    &datafusion::arrow::array::UInt32Array::from(vec![i as u32]),
                    None,
                ) else {
                    continue;
                };
                match cast_with_options(&row, target, &STRICT) {
                    Err(e) => return Some((i, describe(array, i, target, Some(&e.to_string())))),
                    Ok(one) if *target == DataType::Date32 => {
                        let days = one.as_primitive_opt::<Date32Type>()?;
                        if days.is_valid(0) && date_from_days(days.value(0)).is_none() {
                            return Some((i, describe(array, i, target, None)));
                        }
                    }
                    Ok(_) => {}
                }
            }
            // No single value fails: nothing to name (the caller falls back
            // to the query's own message).
            tracing::debug!(error = %whole, "a column's cast fails but none of its values does");
            None
        }
    }
}

/// A calendar date from days since 1970-01-01, if chrono can represent it.
fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?
        .checked_add_signed(chrono::TimeDelta::try_days(days.into())?)
}

/// Whether a date or timestamp value lies outside the calendar's range (or
/// DATE's); `None` if it is not one.
fn date_out_of_range(array: &ArrayRef, i: usize) -> Option<bool> {
    let per_day: i64 = match array.data_type() {
        DataType::Date32 => 1,
        DataType::Date64 | DataType::Timestamp(TimeUnit::Millisecond, _) => 86_400_000,
        DataType::Timestamp(TimeUnit::Second, _) => 86_400,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 86_400_000_000,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => 86_400_000_000_000,
        _ => return None,
    };
    let raw = cast_with_options(&array.slice(i, 1), &DataType::Int64, &LENIENT).ok()?;
    let raw = raw.as_primitive_opt::<Int64Type>()?;
    if !raw.is_valid(0) {
        return None;
    }
    let days = raw.value(0).div_euclid(per_day);
    Some(i32::try_from(days).ok().and_then(date_from_days).is_none())
}

/// What is wrong with `array[i]` read as `target`, naming the value.
fn describe(array: &ArrayRef, i: usize, target: &DataType, error: Option<&str>) -> String {
    let source = match array.data_type() {
        DataType::Dictionary(_, value) => value.as_ref(),
        t => t,
    };
    let text = value_text(array, i);
    if source.is_floating() {
        return match float_at(array, i) {
            Some(v) if v.is_nan() => "value NaN is not a number".to_string(),
            Some(v) if v.is_infinite() => format!("value {text} is not a finite number"),
            _ => format!(
                "value {text} does not fit {} (floats become decimals with {} decimals)",
                sql_type(target),
                decimal_scale(target).unwrap_or(0)
            ),
        };
    }
    match target {
        DataType::Decimal128(..) => format!(
            "value {text} does not fit {}, the column's type over all of the table's files (its largest scale)",
            sql_type(target)
        ),
        DataType::Date32 if date_out_of_range(array, i) != Some(false) => {
            format!("date {text} is out of the supported range")
        }
        DataType::Utf8 | DataType::Utf8View => "value is not valid UTF-8 text".to_string(),
        _ => format!(
            "value {text} cannot be read as {}: {}",
            sql_type(target),
            error.unwrap_or("unsupported value")
        ),
    }
}

fn decimal_scale(t: &DataType) -> Option<i8> {
    match t {
        DataType::Decimal128(_, s) | DataType::Decimal256(_, s) => Some(*s),
        _ => None,
    }
}

/// A type as the messages and docs spell it.
fn sql_type(t: &DataType) -> String {
    match t {
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Date32 => "DATE".to_string(),
        DataType::Utf8 | DataType::Utf8View => "text".to_string(),
        t => t.to_string(),
    }
}

fn float_at(array: &ArrayRef, i: usize) -> Option<f64> {
    let one = cast_with_options(&array.slice(i, 1), &DataType::Float64, &LENIENT).ok()?;
    let one = one.as_primitive_opt::<Float64Type>()?;
    one.is_valid(0).then(|| one.value(0))
}

fn float_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "+inf" } else { "-inf" }.to_string()
    } else if v != 0.0 && (v.abs() >= 1e16 || v.abs() < 1e-6) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// `array[i]` as text: floats with their special values, dates and
/// timestamps as such or, beyond the calendar, as their raw count.
fn value_text(array: &ArrayRef, i: usize) -> String {
    let source = match array.data_type() {
        DataType::Dictionary(_, value) => value.as_ref().clone(),
        t => t.clone(),
    };
    if source.is_floating()
        && let Some(v) = float_at(array, i)
    {
        return float_text(v);
    }
    let options = FormatOptions::default();
    let shown = ArrayFormatter::try_new(array.as_ref(), &options)
        .ok()
        .and_then(|f| f.value(i).try_to_string().ok());
    if let Some(shown) = shown {
        return shown;
    }
    let unit = match source {
        DataType::Timestamp(TimeUnit::Second, _) => "seconds",
        DataType::Timestamp(TimeUnit::Millisecond, _) | DataType::Date64 => "milliseconds",
        DataType::Timestamp(TimeUnit::Microsecond, _) => "microseconds",
        DataType::Timestamp(TimeUnit::Nanosecond, _) => "nanoseconds",
        DataType::Date32 => "days",
        _ => return "<unprintable>".to_string(),
    };
    cast_with_options(&array.slice(i, 1), &DataType::Int64, &LENIENT)
        .ok()
        .and_then(|a| {
            let a = a.as_primitive_opt::<Int64Type>()?.clone();
            a.is_valid(0)
                .then(|| format!("{} {unit} since 1970-01-01", a.value(0)))
        })
        .unwrap_or_else(|| "<unprintable>".to_string())
}

/// Row `i`'s key as `rejects.row_key` writes it: the key columns as text
/// joined by `|`, `<null>` for a null, dates as YYYY-MM-DD.
fn row_key(batch: &RecordBatch, columns: &[&str], i: usize) -> String {
    columns
        .iter()
        .map(|c| match batch.column_by_name(c) {
            Some(array) => key_part(array, i),
            None => "<null>".to_string(),
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn key_part(array: &ArrayRef, i: usize) -> String {
    if array.is_null(i) {
        return "<null>".to_string();
    }
    let one = array.slice(i, 1);
    let is_date = matches!(
        array.data_type(),
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
    );
    let text = if is_date {
        cast_with_options(&one, &DataType::Date32, &LENIENT)
            .ok()
            .and_then(|d| {
                let d = d.as_primitive_opt::<Date32Type>()?.clone();
                d.is_valid(0)
                    .then(|| date_from_days(d.value(0)))
                    .flatten()
                    .map(|d| d.format("%Y-%m-%d").to_string())
            })
    } else {
        cast_with_options(&one, &DataType::Utf8, &LENIENT)
            .ok()
            .and_then(|s| {
                let s = s.as_string_opt::<i32>()?.clone();
                s.is_valid(0).then(|| s.value(0).to_string())
            })
    };
    text.unwrap_or_else(|| value_text(array, i))
}

/// The name of the file of `table` holding the row whose key is `key`
/// (the first one, in the files' order).
async fn file_of_key(root: &Location, tables: &[InputTable], table: &str, key: &str) -> String {
    let Some(table) = tables.iter().find(|t| t.spec.name == table) else {
        return "<unknown>".to_string();
    };
    if let [only] = table.files.as_slice() {
        return only.name.clone();
    }
    let columns = key_columns(table.spec.name);
    for file in &table.files {
        let Ok(mut stream) = open(root, file, columns).await else {
            continue;
        };
        while let Some(Ok(batch)) = stream.next().await {
            if (0..batch.num_rows()).any(|i| row_key(&batch, columns, i) == key) {
                return file.name.clone();
            }
        }
    }
    "<unknown>".to_string()
}

/// Where a client figure comes from: the view of its lines and the input
/// table and column it sums.
struct Source {
    /// `potential` or `billing`.
    figure: &'static str,
    view: &'static str,
    /// The line's exact value (DECIMAL(76, s)).
    value: &'static str,
    /// The view's columns that make the input row's key, in key order.
    key: &'static [&'static str],
    /// The two factors, as (name shown, view column).
    factors: [(&'static str, &'static str); 2],
    table: &'static str,
    column: &'static str,
    noun: &'static str,
}

const POTENTIAL: Source = Source {
    figure: "potential",
    view: "int_parcel_potential",
    value: "parcel_potential",
    key: &["client_id", "parcel_id", "cadastre_season_id"],
    factors: [("productive_ha", "productive_ha"), ("rate", "rate")],
    table: "cadastre",
    column: "productive_ha",
    noun: "parcel",
};

const BILLING: Source = Source {
    figure: "billing",
    view: "int_billing_lines",
    value: "signed_amount",
    key: &["document_id", "line_no"],
    factors: [("amount", "amount"), ("fx", "fx_rate")],
    table: "sales",
    column: "amount",
    noun: "line",
};

/// The line of a client figure with the largest absolute value.
struct Line {
    key: String,
    /// e.g. "amount 10 × fx 1.5 = 15.0".
    text: String,
    value: String,
}

type Rows = Vec<Vec<Option<String>>>;

/// Collects `df`'s `columns` as text.
async fn text_rows(
    df: datafusion::prelude::DataFrame,
    columns: &[&str],
) -> Result<Rows, DataFusionError> {
    let df = df.select(
        columns
            .iter()
            .map(|c| cast(col(*c), DataType::Utf8).alias(*c))
            .collect::<Vec<_>>(),
    )?;
    let mut rows = Vec::new();
    for batch in df.collect().await? {
        let cols: Vec<_> = columns.iter().map(|c| strings(&batch, c)).collect();
        for i in 0..batch.num_rows() {
            rows.push(cols.iter().map(|c| c[i].clone()).collect());
        }
    }
    Ok(rows)
}

fn text(row: &[Option<String>], i: usize) -> String {
    row.get(i)
        .cloned()
        .flatten()
        .unwrap_or_else(|| "<null>".to_string())
}

async fn largest_line(
    ctx: &SessionContext,
    source: &Source,
    season: &str,
    client: &str,
) -> Result<Option<Line>, DataFusionError> {
    let df = ctx
        .table(source.view)
        .await?
        .filter(
            col("season_id")
                .eq(lit(season.to_string()))
                .and(col("client_id").eq(lit(client.to_string())))
                .and(col(source.value).is_not_null()),
        )?
        .with_column("magnitude", abs(col(source.value)))?;
    let mut order = vec![col("magnitude").sort(false, false)];
    order.extend(source.key.iter().map(|k| col(*k).sort(true, true)));
    let df = df.sort(order)?.limit(0, Some(1))?;
    let mut columns: Vec<&str> = source.key.to_vec();
    columns.extend([source.factors[0].1, source.factors[1].1, source.value]);
    let rows = text_rows(df, &columns).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let n = source.key.len();
    let key = (0..n).map(|i| text(row, i)).collect::<Vec<_>>().join("|");
    let value = text(row, n + 2);
    Ok(Some(Line {
        key,
        text: format!(
            "{} {} × {} {} = {value}",
            source.factors[0].0,
            text(row, n),
            source.factors[1].0,
            text(row, n + 1)
        ),
        value,
    }))
}

/// The exact sum of a client figure's lines, rounded to 2 decimals (only
/// called when every line is below 10^36, so the sum has not wrapped).
async fn exact_sum(
    ctx: &SessionContext,
    source: &Source,
    season: &str,
    client: &str,
) -> Result<String, DataFusionError> {
    let df = ctx
        .table(source.view)
        .await?
        .filter(
            col("season_id")
                .eq(lit(season.to_string()))
                .and(col("client_id").eq(lit(client.to_string()))),
        )?
        .aggregate(
            vec![],
            vec![cast(sum(col(source.value)), DataType::Decimal256(76, 2)).alias("total")],
        )?;
    let rows = text_rows(df, &["total"]).await?;
    Ok(rows.first().map(|r| text(r, 0)).unwrap_or_default())
}

/// One row of `check_money`.
struct Flagged {
    figure: String,
    season: String,
    client: String,
    campaign: String,
    problem: String,
}

/// The typed error for the first money figure that `check_money` lists (a
/// client's potential or billing before the campaign totals), naming where
/// it comes from. Called when a computed money value is null.
pub async fn money_error(ctx: &SessionContext, root: &Location, tables: &[InputTable]) -> Error {
    match diagnose_money(ctx, root, tables).await {
        Ok(Some(error)) => error,
        Ok(None) => Error::internal("a published money value is null but check_money lists none"),
        Err(e) => Error::internal_from("naming the money figure that cannot be published", e),
    }
}

async fn diagnose_money(
    ctx: &SessionContext,
    root: &Location,
    tables: &[InputTable],
) -> Result<Option<Error>, DataFusionError> {
    let rows = text_rows(
        ctx.table("check_money").await?,
        &["figure", "season_id", "client_id", "campaign_id", "problem"],
    )
    .await?;
    let rank = |figure: &str| {
        ["potential", "billing", "potential_total", "billing_total"]
            .iter()
            .position(|f| *f == figure)
            .unwrap_or(4)
    };
    let first = rows
        .iter()
        .map(|r| Flagged {
            figure: text(r, 0),
            season: text(r, 1),
            client: text(r, 2),
            campaign: text(r, 3),
            problem: text(r, 4),
        })
        .min_by(|a, b| {
            (rank(&a.figure), &a.season, &a.client, &a.campaign).cmp(&(
                rank(&b.figure),
                &b.season,
                &b.client,
                &b.campaign,
            ))
        });
    let Some(flagged) = first else {
        return Ok(None);
    };
    let others = rows.len() - 1;
    let and_more = if others > 0 {
        format!(" ({others} more figure(s) have the same kind of problem)")
    } else {
        String::new()
    };
    let (source, total) = match flagged.figure.as_str() {
        "potential" => (&POTENTIAL, false),
        "billing" => (&BILLING, false),
        "potential_total" => (&POTENTIAL, true),
        "billing_total" => (&BILLING, true),
        other => {
            return Err(DataFusionError::Internal(format!(
                "check_money lists an unknown figure `{other}`"
            )));
        }
    };
    if !total {
        let line = largest_line(ctx, source, &flagged.season, &flagged.client).await?;
        let group = format!(
            "client {} in season {}",
            quoted(&flagged.client),
            quoted(&flagged.season)
        );
        let reason = if flagged.problem == "line" {
            format!(
                "one of its {noun}s, {}, is 10^36 or more in absolute value, beyond DECIMAL(38,2){and_more}",
                line.as_ref().map(|l| l.value.as_str()).unwrap_or("?"),
                noun = source.noun
            )
        } else {
            format!(
                "its exact value {} is beyond DECIMAL(38,2) (|value| < 10^36 after rounding){and_more}",
                exact_sum(ctx, source, &flagged.season, &flagged.client).await?
            )
        };
        let finding = Finding {
            figure: flagged.figure,
            group,
            reason,
            line,
            prefix: String::new(),
        };
        return Ok(Some(finding.into_error(root, tables, source).await));
    }
    // A campaign total: its largest member, and that member's largest line.
    let figure = source.figure;
    let df = ctx
        .table("memberships")
        .await?
        .filter(col("campaign_id").eq(lit(flagged.campaign.clone())))?;
    let sum_df = df.clone().aggregate(
        vec![],
        vec![sum(cast(col(figure), DataType::Decimal256(76, 2))).alias("total")],
    )?;
    let total_text = text_rows(sum_df, &["total"])
        .await?
        .first()
        .map(|r| text(r, 0))
        .unwrap_or_default();
    let largest = df
        .with_column("magnitude", abs(col(figure)))?
        .sort(vec![
            col("magnitude").sort(false, false),
            col("client_id").sort(true, true),
        ])?
        .limit(0, Some(1))?;
    let member = text_rows(largest, &["client_id", "season_id", figure]).await?;
    let Some(member) = member.first() else {
        return Ok(None);
    };
    let (client, season) = (text(member, 0), text(member, 1));
    let line = largest_line(ctx, source, &season, &client).await?;
    let group = format!("campaign {}", quoted(&flagged.campaign));
    let reason =
        format!("its exact value {total_text} is beyond DECIMAL(38,2) (|value| < 10^36){and_more}");
    let prefix = format!(
        "its largest member, client {} in season {}, has {figure} {}; that client's largest {}: ",
        quoted(&client),
        quoted(&season),
        text(member, 2),
        source.noun
    );
    let finding = Finding {
        figure: flagged.figure,
        group,
        reason,
        line,
        prefix,
    };
    Ok(Some(finding.into_error(root, tables, source).await))
}

/// What check_money found about one figure, before its input file is
/// looked up.
struct Finding {
    figure: String,
    /// Whose figure: "client 'C1' in season '2025/26'", "campaign 'K1'".
    group: String,
    reason: String,
    /// The input line with the largest absolute value, if any.
    line: Option<Line>,
    /// Text before the line's description in the example.
    prefix: String,
}

impl Finding {
    /// The exit-3 error, naming the input table, column, file and key of
    /// the line.
    async fn into_error(self, root: &Location, tables: &[InputTable], source: &Source) -> Error {
        let Finding {
            figure,
            group,
            reason,
            line,
            prefix,
        } = self;
        let (key, file, example) = match line {
            Some(line) => {
                let file = file_of_key(root, tables, source.table, &line.key).await;
                (
                    quoted(&line.key),
                    file,
                    format!(
                        "{prefix}{} (the {} with the largest absolute value)",
                        line.text, source.noun
                    ),
                )
            }
            None => (
                "<none>".to_string(),
                "<unknown>".to_string(),
                format!("{prefix}no {} found", source.noun),
            ),
        };
        InputError::FigureOutOfRange(Box::new(FigureOutOfRange {
            figure,
            group,
            reason,
            table: source.table.to_string(),
            column: source.column.to_string(),
            file,
            key,
            example,
        }))
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Date64Array, Decimal128Array, Float64Array, StringArray, TimestampSecondArray,
    };

    #[test]
    fn the_first_value_the_cast_rejects_is_named() {
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(1.5),
            None,
            Some(f64::NAN),
            Some(f64::INFINITY),
        ]));
        let target = DataType::Decimal128(38, 6);
        assert_eq!(
            first_bad(&floats, &target),
            Some((2, "value NaN is not a number".to_string()))
        );
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![1.0, f64::NEG_INFINITY, 1e300]));
        assert_eq!(
            first_bad(&floats, &target),
            Some((1, "value -inf is not a finite number".to_string()))
        );
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![1e31, 1e300]));
        let (row, problem) = first_bad(&floats, &target).unwrap();
        assert_eq!(row, 1);
        assert!(
            problem.starts_with("value 1e300 does not fit DECIMAL(38,6)"),
            "{problem}"
        );

        let decimals: ArrayRef = Arc::new(
            Decimal128Array::from(vec![1, 10_i128.pow(37)])
                .with_precision_and_scale(38, 0)
                .unwrap(),
        );
        let (row, problem) = first_bad(&decimals, &DataType::Decimal128(38, 2)).unwrap();
        assert_eq!(row, 1);
        assert!(
            problem.starts_with(
                "value 10000000000000000000000000000000000000 does not fit DECIMAL(38,2)"
            ),
            "{problem}"
        );
        assert_eq!(first_bad(&decimals, &DataType::Decimal128(38, 0)), None);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_named_for_either_text_type() {
        // sales' text is registered as string views (inputs::VIEW_TEXT_TABLES).
        let bytes: ArrayRef = Arc::new(datafusion::arrow::array::BinaryArray::from(vec![
            Some(b"ok".as_slice()),
            Some(&[0xff, 0xfe]),
        ]));
        for target in [DataType::Utf8, DataType::Utf8View] {
            assert_eq!(
                first_bad(&bytes, &target),
                Some((1, "value is not valid UTF-8 text".to_string())),
                "{target}"
            );
        }
    }

    #[test]
    fn dates_beyond_the_calendar_are_named_with_their_raw_count() {
        let date64: ArrayRef = Arc::new(Date64Array::from(vec![0, 9_000_000_000_000_000_000]));
        assert_eq!(
            first_bad(&date64, &DataType::Date32),
            Some((
                1,
                "date 9000000000000000000 milliseconds since 1970-01-01 is out of the supported range"
                    .to_string()
            ))
        );
        // Within DATE's range but beyond the calendar's: the cast itself fails.
        let seconds: ArrayRef = Arc::new(TimestampSecondArray::from(vec![86_400, i64::MAX / 2]));
        let (row, problem) = first_bad(&seconds, &DataType::Date32).unwrap();
        assert_eq!(row, 1);
        assert!(
            problem.ends_with("is out of the supported range"),
            "{problem}"
        );
        let fine: ArrayRef = Arc::new(TimestampSecondArray::from(vec![86_400]));
        assert_eq!(first_bad(&fine, &DataType::Date32), None);
    }

    #[test]
    fn row_keys_are_written_like_rejects_row_key() {
        let batch = RecordBatch::try_from_iter(vec![
            (
                "client_id",
                Arc::new(StringArray::from(vec![Some("C1"), None])) as ArrayRef,
            ),
            (
                "rate_date",
                Arc::new(Date64Array::from(vec![86_400_000, 0])) as ArrayRef,
            ),
        ])
        .unwrap();
        assert_eq!(
            row_key(&batch, &["client_id", "rate_date"], 0),
            "C1|1970-01-02"
        );
        assert_eq!(
            row_key(&batch, &["client_id", "rate_date"], 1),
            "<null>|1970-01-01"
        );
    }
}
