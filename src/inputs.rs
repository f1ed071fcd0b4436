//! Input tables: find their Parquet files, check every file's schema against
//! the contract, and register each table with DataFusion as a Parquet listing
//! table (by URL, with a canonical schema whose types the reader casts to).

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;
use futures::FutureExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
// ParquetObjectReader is deprecated in parquet 59 in favour of a hand-written
// AsyncFileReader; it is what DataFusion 55 itself uses, so keep it for now.
#[allow(deprecated)]
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
use tracing::warn;

use crate::error::{Error, InputError, ReadFailure, Result};
use crate::storage::Location;

/// What a column must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Identifiers and labels: strings; integers are read as their decimal text.
    Text,
    /// DATE; a TIMESTAMP is accepted and its date taken.
    Date,
    /// Money, rates, hectares: DECIMAL (scale ≤ 12), integers, or floats (→ 6 decimals).
    Number,
    /// BOOLEAN.
    Flag,
    /// A whole number: any integer type, read as INT64.
    Integer,
}

#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    pub required: bool,
    pub columns: &'static [ColumnSpec],
}

const fn req(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: false,
    }
}

use Kind::{Date, Flag, Integer, Number, Text};

/// The contract's input tables.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "clients",
        required: true,
        columns: &[
            req("client_id", Text),
            req("name", Text),
            opt("active", Flag),
            opt("tax_id", Text),
            opt("branch", Text),
            opt("salesperson", Text),
        ],
    },
    TableSpec {
        name: "seasons",
        required: true,
        columns: &[
            req("season_id", Text),
            req("name", Text),
            req("start_date", Date),
            req("end_date", Date),
        ],
    },
    TableSpec {
        name: "cadastre",
        required: true,
        columns: &[
            req("client_id", Text),
            req("parcel_id", Text),
            req("activity", Text),
            req("productive_ha", Number),
            req("season_id", Text),
        ],
    },
    TableSpec {
        name: "potential_rates",
        required: true,
        columns: &[
            req("season_id", Text),
            req("activity", Text),
            req("amount_per_ha", Number),
        ],
    },
    TableSpec {
        name: "sales",
        required: true,
        columns: &[
            req("document_id", Text),
            req("line_no", Text),
            req("client_id", Text),
            req("document_date", Date),
            req("document_type", Text),
            req("status", Text),
            req("amount", Number),
            req("currency", Text),
        ],
    },
    TableSpec {
        name: "campaigns",
        required: true,
        columns: &[
            req("campaign_id", Text),
            req("description", Text),
            req("season_id", Text),
            req("start_date", Date),
            req("end_date", Date),
            req("status", Text),
            req("by_potential", Flag),
            req("potential_min", Number),
            req("potential_max", Number),
            req("by_billing", Flag),
            req("billing_min", Number),
            req("billing_max", Number),
            opt("priority", Integer),
        ],
    },
    TableSpec {
        name: "fx_rates",
        required: false,
        columns: &[
            req("currency", Text),
            req("rate_date", Date),
            req("rate_to_base", Number),
        ],
    },
];

/// Largest decimal scale the contract accepts.
pub const MAX_SCALE: i8 = 12;
/// Scale a float column is converted to.
pub const FLOAT_SCALE: i8 = 6;

/// One input file, as found and checked.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub table: String,
    pub path: Path,
    /// Root as written + relative path, for messages and the manifest.
    pub name: String,
    pub size: u64,
    pub rows: u64,
    /// The smallest and largest value of the table's [`RANGED_COLUMNS`]
    /// column in this file, from the footer's statistics: `None` when the
    /// table has no such column, the column is not text, a row group has
    /// values but no statistics, or a bound is not UTF-8. Bounds, not
    /// values: a truncated statistic is still below (above) every value.
    pub key_range: Option<(String, String)>,
}

/// The column of a table whose per-file range is read from the footers
/// ([`InputFile::key_range`]): the duplicate-key pass over `sales` is
/// computed in ranges of `document_id` when the files hold disjoint ranges
/// (src/checkpoints.rs).
pub const RANGED_COLUMNS: &[(&str, &str)] = &[("sales", "document_id")];

/// Text columns that are registered in the files' own integer type when
/// every file of the table holds that same integer type there (else as
/// text, `Utf8`). The contract's text columns accept integers, read as
/// their decimal text; for a key such as `line_no`, most ERP exports write
/// an integer, and casting 51M of them to text on every read of `sales`,
/// then hashing the texts, is work no result needs: two integers are equal
/// exactly when their texts are. The views that read these columns are
/// written for both types: they compare and group them with values of the
/// same column only, and turn them to text (`CAST(... AS VARCHAR)`, the
/// same cast the reader would do) where they show them (the row keys).
pub const INTEGER_TEXT_COLUMNS: &[(&str, &str)] = &[("sales", "line_no")];

/// Tables whose text columns are registered as `Utf8View` (Arrow's string
/// views: each value a 16-byte view holding up to 12 bytes inline, else a
/// prefix and a reference into shared buffers) instead of `Utf8`. `sales`
/// is the one table read by passes that carry its rows through several
/// joins (the checked pass, `int_sales_outcomes`: 51M rows at scale 10
/// through four hash joins); each join copies every column it passes on,
/// and a view is copied as 16 bytes where a `Utf8` value copies its bytes
/// and an offset, and compared by its inline prefix first. At scale 10
/// the checked pass took a median 6.7 s against 8.7 s (BENCHMARKS.md,
/// "Sales text as string views"). Every checkpoint is written with `Utf8`
/// in place of `Utf8View` (`checkpoints::text_not_view`), so the views
/// that read checkpoints, and the outputs, see only `Utf8`, the
/// contract's type: DataFusion 55 can push a filter to the wrong side of
/// an outer join whose key it coerces between the two types (same
/// section), so the campaign views must not mix them. Other tables
/// measured no gain beyond the spread; they stay `Utf8`.
pub const VIEW_TEXT_TABLES: &[&str] = &["sales"];

fn integer_text_column(table: &str, column: &str) -> bool {
    INTEGER_TEXT_COLUMNS
        .iter()
        .any(|(t, c)| *t == table && *c == column)
}

/// The column of `table` in [`RANGED_COLUMNS`], if any.
pub fn ranged_column(table: &str) -> Option<&'static str> {
    RANGED_COLUMNS
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, column)| *column)
}

/// One input table, checked and ready to register.
#[derive(Debug, Clone)]
pub struct InputTable {
    pub spec: TableSpec,
    pub files: Vec<InputFile>,
    /// The canonical schema the reader casts every file to.
    pub schema: SchemaRef,
    /// Columns read from floats (one warning each).
    pub float_columns: Vec<String>,
}

impl InputTable {
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// Finds, checks and describes every input table. `fx_rates` may be absent.
pub async fn discover(root: &Location) -> Result<Vec<InputTable>> {
    let mut tables = Vec::new();
    for spec in TABLES {
        if let Some(table) = discover_table(root, spec).await? {
            tables.push(table);
        }
    }
    Ok(tables)
}

async fn discover_table(root: &Location, spec: &TableSpec) -> Result<Option<InputTable>> {
    let files = find_files(root, spec).await?;
    if files.is_empty() {
        if spec.required {
            return Err(InputError::MissingTable {
                table: spec.name.into(),
                dir: format!("{}/", root.describe(&root.path(spec.name))),
                file: root.describe(&root.path(&format!("{}.parquet", spec.name))),
            }
            .into());
        }
        return Ok(None);
    }
    let mut checked = Vec::with_capacity(files.len());
    let mut scales: BTreeMap<&'static str, i8> = BTreeMap::new();
    let mut float_columns: Vec<String> = Vec::new();
    // Per INTEGER_TEXT_COLUMNS column: the integer type every file so far
    // holds, or None once a file holds another type (or lacks the column).
    let mut integer_types: BTreeMap<&'static str, Option<DataType>> = BTreeMap::new();
    let ranged = ranged_column(spec.name);
    for meta in files {
        let name = root.describe(&meta.location);
        let (schema, rows, key_range) =
            read_schema(root.store(), spec.name, &name, &meta, ranged).await?;
        for column in spec.columns {
            let Ok(field) = schema.field_with_name(column.name) else {
                integer_types.insert(column.name, None);
                if column.required {
                    return Err(InputError::MissingColumn {
                        table: spec.name.into(),
                        file: name,
                        column: column.name.into(),
                    }
                    .into());
                }
                continue;
            };
            let found = field.data_type();
            if integer_text_column(spec.name, column.name) {
                let same = found.is_integer()
                    && integer_types
                        .get(column.name)
                        .is_none_or(|seen| seen.as_ref() == Some(found));
                integer_types.insert(column.name, same.then(|| found.clone()));
            }
            let usable = match column.kind {
                Kind::Text => text_type(found),
                Kind::Date => date_type(found),
                Kind::Flag => matches!(found, DataType::Boolean),
                Kind::Integer => found.is_integer(),
                Kind::Number => match number_scale(found) {
                    Some(NumberType::Exact(scale)) => {
                        let s = scales.entry(column.name).or_insert(0);
                        *s = (*s).max(scale);
                        true
                    }
                    Some(NumberType::Float) => {
                        let s = scales.entry(column.name).or_insert(0);
                        *s = (*s).max(FLOAT_SCALE);
                        if !float_columns.iter().any(|c| c == column.name) {
                            float_columns.push(column.name.to_string());
                        }
                        true
                    }
                    None => false,
                },
            };
            if !usable {
                return Err(InputError::BadColumnType {
                    table: spec.name.into(),
                    file: name,
                    column: column.name.into(),
                    found: found.to_string(),
                    expected: expected(column.kind).into(),
                }
                .into());
            }
        }
        checked.push(InputFile {
            table: spec.name.to_string(),
            path: meta.location.clone(),
            name,
            size: meta.size,
            rows,
            key_range,
        });
    }
    for column in &float_columns {
        warn!(
            table = spec.name,
            column = column.as_str(),
            "column is FLOAT; converting to DECIMAL(38,6), rounded"
        );
    }
    let fields: Vec<Field> = spec
        .columns
        .iter()
        .map(|c| {
            let data_type = match c.kind {
                Kind::Text => match integer_types.get(c.name) {
                    Some(Some(integer)) => integer.clone(),
                    _ if VIEW_TEXT_TABLES.contains(&spec.name) => DataType::Utf8View,
                    _ => DataType::Utf8,
                },
                Kind::Date => DataType::Date32,
                Kind::Flag => DataType::Boolean,
                Kind::Integer => DataType::Int64,
                Kind::Number => DataType::Decimal128(38, scales.get(c.name).copied().unwrap_or(0)),
            };
            Field::new(c.name, data_type, true)
        })
        .collect();
    Ok(Some(InputTable {
        spec: *spec,
        files: checked,
        schema: Arc::new(Schema::new(fields)),
        float_columns,
    }))
}

/// `<root>/<table>/**.parquet` in byte-wise path order, else `<root>/<table>.parquet`.
/// Parts starting with `.` or `_` (hidden files, `_SUCCESS`, temp folders) are skipped.
async fn find_files(root: &Location, spec: &TableSpec) -> Result<Vec<ObjectMeta>> {
    let dir = root.path(spec.name);
    let listed: Vec<ObjectMeta> = root.list_all(&dir).await?;
    let mut files: Vec<ObjectMeta> = listed
        .into_iter()
        .filter(|m| {
            let rel: Vec<_> = m
                .location
                .prefix_match(&dir)
                .map(|parts| parts.map(|p| p.as_ref().to_string()).collect())
                .unwrap_or_default();
            !rel.is_empty()
                && rel
                    .iter()
                    .all(|p| !p.starts_with('.') && !p.starts_with('_'))
                && rel.last().is_some_and(|p| p.ends_with(".parquet"))
        })
        .collect();
    files.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
    if !files.is_empty() {
        return Ok(files);
    }
    let single = root.path(&format!("{}.parquet", spec.name));
    match root.store().head(&single).await {
        Ok(meta) => Ok(vec![meta]),
        Err(object_store::Error::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(Error::storage(
            format!("reading {}", root.describe(&single)),
            e,
        )),
    }
}

/// A file's Arrow schema, row count and the range of its `ranged` column.
type Footer = (SchemaRef, u64, Option<(String, String)>);

/// Reads a file's footer: its Arrow schema, row count and, when `ranged`
/// names a column, that column's range ([`InputFile::key_range`]). A
/// zero-byte file, a non-Parquet file and a corrupt footer are input errors;
/// a reader panic on a hostile file is contained here and reported the same
/// way.
async fn read_schema(
    store: &Arc<dyn ObjectStore>,
    table: &str,
    name: &str,
    meta: &ObjectMeta,
    ranged: Option<&str>,
) -> Result<Footer> {
    if meta.size == 0 {
        return Err(InputError::EmptyFile {
            table: table.into(),
            file: name.into(),
        }
        .into());
    }
    #[allow(deprecated)]
    let reader = ParquetObjectReader::new(Arc::clone(store), meta.location.clone())
        .with_file_size(meta.size);
    let outcome = AssertUnwindSafe(async move {
        let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
        let rows = builder.metadata().file_metadata().num_rows();
        let range = ranged.and_then(|column| text_range(builder.metadata(), column));
        Ok::<_, parquet::errors::ParquetError>((Arc::clone(builder.schema()), rows, range))
    })
    .catch_unwind()
    .await;
    let corrupt = |cause: ReadFailure| -> Error {
        InputError::CorruptFile {
            table: table.into(),
            file: name.into(),
            cause,
        }
        .into()
    };
    match outcome {
        Ok(Ok((schema, rows, range))) => {
            let rows = u64::try_from(rows).map_err(|_| {
                corrupt(ReadFailure::Metadata(format!("negative row count {rows}")))
            })?;
            Ok((schema, rows, range))
        }
        Ok(Err(parquet::errors::ParquetError::External(e))) => {
            match e.downcast::<object_store::Error>() {
                Ok(store_error) => Err(Error::storage(format!("reading {name}"), *store_error)),
                Err(other) => Err(corrupt(ReadFailure::Other(other))),
            }
        }
        Ok(Err(e)) => Err(corrupt(ReadFailure::Parquet(e))),
        Err(panic) => Err(corrupt(ReadFailure::Panic(panic_message(&panic)))),
    }
}

/// The smallest and largest value of the top-level text column `column`
/// over a file's row groups, from their statistics (see
/// [`InputFile::key_range`]). A row group of nulls only has no bounds and is
/// skipped.
fn text_range(
    metadata: &parquet::file::metadata::ParquetMetaData,
    column: &str,
) -> Option<(String, String)> {
    use parquet::file::statistics::Statistics;
    let index = metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().parts() == [column.to_string()])?;
    let mut bounds: Option<(Vec<u8>, Vec<u8>)> = None;
    for group in metadata.row_groups() {
        if group.num_rows() == 0 {
            continue;
        }
        let Some(Statistics::ByteArray(stats)) = group.column(index).statistics() else {
            return None;
        };
        let (low, high) = match (stats.min_opt(), stats.max_opt()) {
            (Some(low), Some(high)) => (low.data(), high.data()),
            (None, None) if stats.null_count_opt() == Some(group.num_rows() as u64) => continue,
            _ => return None,
        };
        bounds = Some(match bounds {
            None => (low.to_vec(), high.to_vec()),
            Some((l, h)) => (
                if low < l.as_slice() { low.to_vec() } else { l },
                if high > h.as_slice() {
                    high.to_vec()
                } else {
                    h
                },
            ),
        });
    }
    let (low, high) = bounds?;
    Some((String::from_utf8(low).ok()?, String::from_utf8(high).ok()?))
}

/// The text of a caught panic.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

fn text_type(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => true,
        DataType::Dictionary(_, value) => text_type(value),
        t => t.is_integer(),
    }
}

fn date_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
    )
}

enum NumberType {
    Exact(i8),
    Float,
}

fn number_scale(t: &DataType) -> Option<NumberType> {
    match t {
        DataType::Decimal32(_, s) | DataType::Decimal64(_, s) | DataType::Decimal128(_, s)
            if (0..=MAX_SCALE).contains(s) =>
        {
            Some(NumberType::Exact(*s))
        }
        DataType::Decimal256(p, s) if *p <= 38 && (0..=MAX_SCALE).contains(s) => {
            Some(NumberType::Exact(*s))
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Some(NumberType::Float),
        DataType::Dictionary(_, value) => number_scale(value),
        t if t.is_integer() => Some(NumberType::Exact(0)),
        _ => None,
    }
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "a string or an integer",
        Kind::Date => "DATE or TIMESTAMP",
        Kind::Number => "DECIMAL with scale <= 12, an integer or FLOAT64",
        Kind::Flag => "BOOLEAN",
        Kind::Integer => "an integer",
    }
}

/// Registers every table with DataFusion as a Parquet listing table over its
/// file URLs. `fx_rates`, when absent, is registered as an empty relation
/// with its canonical columns.
pub async fn register(ctx: &SessionContext, root: &Location, tables: &[InputTable]) -> Result<()> {
    ctx.register_object_store(root.store_url(), Arc::clone(root.store()));
    for table in tables {
        let urls = table
            .files
            .iter()
            .map(|f| ListingTableUrl::parse(root.url(&f.path)))
            .collect::<datafusion::error::Result<Vec<_>>>()
            .map_err(|e| Error::internal_from("building input file urls", e))?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(Arc::clone(&table.schema));
        let provider = ListingTable::try_new(config)
            .map_err(|e| Error::internal_from(format!("registering `{}`", table.spec.name), e))?;
        ctx.register_table(table.spec.name, Arc::new(provider))
            .map_err(|e| Error::internal_from(format!("registering `{}`", table.spec.name), e))?;
    }
    if !tables.iter().any(|t| t.spec.name == "fx_rates") {
        let df = ctx
            .sql(
                "SELECT CAST(NULL AS VARCHAR) AS currency, CAST(NULL AS DATE) AS rate_date, \
                 CAST(NULL AS DECIMAL(38, 0)) AS rate_to_base WHERE FALSE",
            )
            .await
            .map_err(|e| Error::internal_from("registering the empty `fx_rates`", e))?;
        ctx.register_table("fx_rates", df.into_view())
            .map_err(|e| Error::internal_from("registering the empty `fx_rates`", e))?;
    }
    Ok(())
}

/// Decodes the `sales` columns a run reads, every file, two at a time: the
/// floor a run's time is compared with in the benchmark. Returns the rows.
pub async fn scan_sales(root: &Location) -> Result<u64> {
    use futures::StreamExt;
    use parquet::arrow::ProjectionMask;
    let spec = TABLES
        .iter()
        .find(|t| t.name == "sales")
        .ok_or_else(|| Error::internal("no sales spec"))?;
    let files = find_files(root, spec).await?;
    let scans = files.into_iter().map(|meta| {
        let store = Arc::clone(root.store());
        tokio::spawn(async move {
            #[allow(deprecated)]
            let reader =
                ParquetObjectReader::new(store, meta.location.clone()).with_file_size(meta.size);
            let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
            let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
            let mask = ProjectionMask::columns(builder.parquet_schema(), names);
            let mut stream = builder.with_projection(mask).build()?;
            let mut rows = 0u64;
            while let Some(batch) = stream.next().await {
                rows += batch?.num_rows() as u64;
            }
            Ok::<u64, parquet::errors::ParquetError>(rows)
        })
    });
    let results: Vec<_> = futures::stream::iter(scans)
        .buffer_unordered(2)
        .collect()
        .await;
    let mut total = 0;
    for r in results {
        total += r
            .map_err(|e| Error::internal_from("scanning sales", e))?
            .map_err(|e| Error::internal_from("scanning sales", e))?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};

    /// The footer of a Parquet file of `batches`, one row group each.
    fn footer(batches: &[RecordBatch]) -> parquet::file::metadata::ParquetMetaData {
        let file = tempfile::tempfile().unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(
            file.try_clone().unwrap(),
            batches[0].schema(),
            None,
        )
        .unwrap();
        for batch in batches {
            writer.write(batch).unwrap();
            writer.flush().unwrap();
        }
        writer.close().unwrap();
        let reader = parquet::file::serialized_reader::SerializedFileReader::new(file).unwrap();
        parquet::file::reader::FileReader::metadata(&reader).clone()
    }

    fn ids(values: &[Option<&str>]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("document_id", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(values.to_vec())),
                Arc::new(Int64Array::from(vec![1; values.len()])),
            ],
        )
        .unwrap()
    }

    /// Writes `<table>/part-<i>.parquet` under `dir`: one row of nulls, each
    /// column in its kind's usual type (text `Utf8`), `line_no` in `line_no`.
    fn write_null_row(dir: &std::path::Path, spec: &TableSpec, i: usize, line_no: &DataType) {
        use datafusion::arrow::array::{ArrayRef, new_null_array};
        std::fs::create_dir_all(dir.join(spec.name)).unwrap();
        let fields: Vec<Field> = spec
            .columns
            .iter()
            .map(|c| match (c.name, c.kind) {
                ("line_no", _) => Field::new(c.name, line_no.clone(), true),
                (_, Kind::Date) => Field::new(c.name, DataType::Date32, true),
                (_, Kind::Number) => Field::new(c.name, DataType::Decimal128(18, 2), true),
                (_, Kind::Flag) => Field::new(c.name, DataType::Boolean, true),
                (_, Kind::Integer) => Field::new(c.name, DataType::Int64, true),
                (_, Kind::Text) => Field::new(c.name, DataType::Utf8, true),
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| new_null_array(f.data_type(), 1))
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
        let path = dir.join(format!("{}/part-{i}.parquet", spec.name));
        let file = std::fs::File::create(path).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    /// Writes `sales/part-<i>.parquet` under `dir`, one file per type of
    /// `line_no`, and returns the registered type of that column.
    async fn registered_line_no(dir: &std::path::Path, types: &[DataType]) -> DataType {
        let sales = TABLES.iter().find(|t| t.name == "sales").unwrap();
        for (i, line_no) in types.iter().enumerate() {
            write_null_row(dir, sales, i, line_no);
        }
        let root = Location::parse(dir.to_str().unwrap()).unwrap();
        let table = discover_table(&root, sales).await.unwrap().unwrap();
        table
            .schema
            .field_with_name("line_no")
            .unwrap()
            .data_type()
            .clone()
    }

    #[tokio::test]
    async fn line_no_keeps_the_files_integer_type_only_when_every_file_has_it() {
        // Else text: sales' text is registered as string views
        // (VIEW_TEXT_TABLES).
        use DataType::{Int32, Int64, UInt16, Utf8, Utf8View};
        let cases: &[(&[DataType], DataType)] = &[
            (&[Int32], Int32),
            (&[Int32, Int32, Int32], Int32),
            (&[UInt16, UInt16], UInt16),
            (&[Utf8], Utf8View),
            (&[Int32, Utf8], Utf8View),
            (&[Utf8, Int32], Utf8View),
            (&[Int32, Int64], Utf8View),
            (&[Int64, Int32, Int32], Utf8View),
        ];
        for (types, expected) in cases {
            let dir = tempfile::tempdir().unwrap();
            assert_eq!(
                &registered_line_no(dir.path(), types).await,
                expected,
                "files with line_no of {types:?}"
            );
        }
    }

    #[tokio::test]
    async fn other_text_columns_stay_text_whatever_the_files_hold() {
        // document_id is not in INTEGER_TEXT_COLUMNS: an integer there is
        // registered as text, as the contract's type says (string views:
        // sales is in VIEW_TEXT_TABLES).
        let dir = tempfile::tempdir().unwrap();
        registered_line_no(dir.path(), &[DataType::Int32]).await;
        let root = Location::parse(dir.path().to_str().unwrap()).unwrap();
        let sales = TABLES.iter().find(|t| t.name == "sales").unwrap();
        let table = discover_table(&root, sales).await.unwrap().unwrap();
        for column in ["document_id", "client_id", "currency"] {
            assert_eq!(
                table.schema.field_with_name(column).unwrap().data_type(),
                &DataType::Utf8View
            );
        }
    }

    #[tokio::test]
    async fn only_the_view_text_tables_register_text_as_string_views() {
        // VIEW_TEXT_TABLES' text is Utf8View; every other table's stays
        // the contract's Utf8 (and a non-text column keeps its own type).
        let dir = tempfile::tempdir().unwrap();
        let root = Location::parse(dir.path().to_str().unwrap()).unwrap();
        for spec in TABLES {
            write_null_row(dir.path(), spec, 0, &DataType::Utf8);
            let table = discover_table(&root, spec).await.unwrap().unwrap();
            let text = if VIEW_TEXT_TABLES.contains(&spec.name) {
                DataType::Utf8View
            } else {
                DataType::Utf8
            };
            for column in spec.columns {
                let registered = table.schema.field_with_name(column.name).unwrap();
                assert_eq!(
                    registered.data_type() == &text,
                    matches!(column.kind, Kind::Text),
                    "{}.{}: {}",
                    spec.name,
                    column.name,
                    registered.data_type()
                );
            }
        }
        assert!(
            VIEW_TEXT_TABLES
                .iter()
                .all(|t| TABLES.iter().any(|s| s.name == *t))
        );
    }

    #[test]
    fn a_text_columns_range_spans_its_row_groups_and_skips_all_null_ones() {
        let md = footer(&[
            ids(&[Some("D5"), Some("D3")]),
            ids(&[None, None]),
            ids(&[Some("D7"), None, Some("D4")]),
        ]);
        assert_eq!(
            text_range(&md, "document_id"),
            Some(("D3".to_string(), "D7".to_string()))
        );
        // Not text, or no such column: no range.
        assert_eq!(text_range(&md, "n"), None);
        assert_eq!(text_range(&md, "nope"), None);
        // Only nulls: no bounds.
        assert_eq!(text_range(&footer(&[ids(&[None])]), "document_id"), None);
    }
}
