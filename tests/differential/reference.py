"""Independent reference implementation of zafra's contract, in DuckDB SQL.

Written from `../shared/CONTRACT.md` and `docs/SEMANTICS.md` only (not from
zafra's own SQL), so that the differential test (`run_differential.py`) can
compare zafra's published tables with it value for value.

    import reference
    tables = reference.compute("data/crm", datetime.date(2026, 3, 31), "USD",
                               {"default": {"high_potential": Decimal("5000"),
                                            "high_billing": None},
                                "season": {"2025/26": {"high_potential": Decimal("8000")}}})
    tables["client_segments"]   # pyarrow.Table, published schema and order

`compute_all()` returns the same tables plus a `Report` (reject counts per
table, input row counts, unpriced parcels) that is not part of the snapshot.

How it is built, in the order of the contract:

1. Inputs (`read_table`): every Parquet file of a table is read with pyarrow
   and normalised to one canonical Arrow type per column: ids and other text
   `string` (integers as their decimal text), dates `date32` (a TIMESTAMP's
   date on its own clock), booleans `bool`, and numbers an exact
   `decimal128(38, s)` where `s` is the largest scale seen in the table's
   files (integers scale 0; FLOAT64/FLOAT32 rounded half away from zero to 6
   decimals, from the float's exact binary value).
2. Row validation (`_validate`): one SQL `CASE` per table, whose branches are
   the problems in SEMANTICS.md's order, so the first problem wins.
3. Figures, thresholds, segments, campaigns: plain SQL over the accepted rows.

Exact arithmetic: every number stays a DuckDB DECIMAL. DuckDB multiplies
DECIMAL(38,a) x DECIMAL(38,b) into DECIMAL(38,a+b), and raises an error (never
silently loses digits) on overflow; sums stay DECIMAL(38,.) with an overflow
check. The only rounding is `CAST(x AS DECIMAL(38,2))`, which DuckDB rounds
half away from zero (0.125 -> 0.13, -0.125 -> -0.13); `test_reference.py`
checks that against Python's `ROUND_HALF_UP` on random values. Comparisons
between decimals of different scales are always made after an explicit cast
to a common type, never left to DuckDB's implicit type unification (which can
drop scale, e.g. in lists). No DOUBLE is ever involved.
"""
from __future__ import annotations

import dataclasses
import datetime
import decimal
from decimal import Decimal
from pathlib import Path
from typing import Optional

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# --------------------------------------------------------------------------
# Published schemas (CONTRACT.md, "Outputs")
# --------------------------------------------------------------------------

MONEY = pa.decimal128(38, 2)

PUBLISHED = {
    "client_segments": pa.schema([
        ("season_id", pa.string()),
        ("client_id", pa.string()),
        ("potential", MONEY),
        ("billing", MONEY),
        ("segment", pa.string()),
        ("has_cadastre", pa.bool_()),
        ("has_sales", pa.bool_()),
    ]),
    "memberships": pa.schema([
        ("campaign_id", pa.string()),
        ("client_id", pa.string()),
        ("season_id", pa.string()),
        ("potential", MONEY),
        ("billing", MONEY),
        ("segment", pa.string()),
    ]),
    "campaign_summary": pa.schema([
        ("campaign_id", pa.string()),
        ("description", pa.string()),
        ("season_id", pa.string()),
        ("label", pa.string()),
        ("members", pa.int64()),
        ("potential_total", MONEY),
        ("billing_total", MONEY),
        ("status_note", pa.string()),
    ]),
    "rejects": pa.schema([
        ("table_name", pa.string()),
        ("row_key", pa.string()),
        ("reason", pa.string()),
    ]),
    "campaign_diagnostics": pa.schema([
        ("campaign_id", pa.string()),
        ("season_id", pa.string()),
        ("clients", pa.int64()),
        ("with_cadastre", pa.int64()),
        ("with_sales", pa.int64()),
        ("passing_potential", pa.int64()),
        ("passing_billing", pa.int64()),
        ("members", pa.int64()),
        ("season_min_potential", MONEY),
        ("season_max_potential", MONEY),
        ("season_min_billing", MONEY),
        ("season_max_billing", MONEY),
        ("potential_below_min_client", pa.string()),
        ("potential_below_min", MONEY),
        ("potential_above_max_client", pa.string()),
        ("potential_above_max", MONEY),
        ("billing_below_min_client", pa.string()),
        ("billing_below_min", MONEY),
        ("billing_above_max_client", pa.string()),
        ("billing_above_max", MONEY),
        ("empty_reason", pa.string()),
    ]),
    "contact_plan": pa.schema([
        ("client_id", pa.string()),
        ("primary_campaign_id", pa.string()),
        ("primary_season_id", pa.string()),
        ("primary_priority", pa.int64()),
        ("other_campaigns", pa.int64()),
    ]),
    "campaign_overlap": pa.schema([
        ("season_id", pa.string()),
        ("campaign_id", pa.string()),
        ("other_campaign_id", pa.string()),
        ("members", pa.int64()),
        ("other_members", pa.int64()),
        ("shared", pa.int64()),
    ]),
}

# Sort keys of the published tables (byte-wise string order).
SORT_KEYS = {
    "client_segments": ["season_id", "client_id"],
    "memberships": ["campaign_id", "client_id"],
    "campaign_summary": ["campaign_id"],
    "rejects": ["table_name", "row_key", "reason"],
    "campaign_diagnostics": ["campaign_id"],
    "contact_plan": ["client_id"],
    "campaign_overlap": ["campaign_id", "other_campaign_id"],
}

# --------------------------------------------------------------------------
# Input tables (CONTRACT.md, "Inputs")
# --------------------------------------------------------------------------

TEXT, DATE, NUMBER, BOOL, INT = "text", "date", "number", "bool", "int"

# table -> [(column, kind, required)]; column order = the table's column order
# (it decides which `null <column>` problem is reported first).
INPUTS: dict[str, list[tuple[str, str, bool]]] = {
    "clients": [
        ("client_id", TEXT, True), ("name", TEXT, True), ("active", BOOL, False),
    ],
    "seasons": [
        ("season_id", TEXT, True), ("name", TEXT, True),
        ("start_date", DATE, True), ("end_date", DATE, True),
    ],
    "cadastre": [
        ("client_id", TEXT, True), ("parcel_id", TEXT, True), ("activity", TEXT, True),
        ("productive_ha", NUMBER, True), ("season_id", TEXT, True),
    ],
    "potential_rates": [
        ("season_id", TEXT, True), ("activity", TEXT, True), ("amount_per_ha", NUMBER, True),
    ],
    "sales": [
        ("document_id", TEXT, True), ("line_no", TEXT, True), ("client_id", TEXT, True),
        ("document_date", DATE, True), ("document_type", TEXT, True), ("status", TEXT, True),
        ("amount", NUMBER, True), ("currency", TEXT, True),
    ],
    "campaigns": [
        ("campaign_id", TEXT, True), ("description", TEXT, True), ("season_id", TEXT, True),
        ("start_date", DATE, True), ("end_date", DATE, True), ("status", TEXT, True),
        ("by_potential", BOOL, True), ("potential_min", NUMBER, True), ("potential_max", NUMBER, True),
        ("by_billing", BOOL, True), ("billing_min", NUMBER, True), ("billing_max", NUMBER, True),
        ("priority", INT, False),
    ],
    "fx_rates": [
        ("currency", TEXT, True), ("rate_date", DATE, True), ("rate_to_base", NUMBER, True),
    ],
}
OPTIONAL_TABLES = {"fx_rates"}

MAX_INPUT_SCALE = 12    # DECIMAL scale above this is an input error
FLOAT_SCALE = 6         # FLOAT64/FLOAT32 become DECIMAL(38,6)


class InputError(Exception):
    """An input problem for which zafra exits 3 and publishes nothing."""


class ConfigError(Exception):
    """A configuration problem for which zafra exits 2."""


def table_files(root: Path, table: str) -> list[Path]:
    """`<root>/<table>/**/*.parquet` in byte-wise path order, else `<root>/<table>.parquet`."""
    folder = root / table
    if folder.is_dir():
        files = [p for p in folder.rglob("*.parquet") if p.is_file()]
        if files:
            return sorted(files, key=lambda p: str(p.relative_to(folder)).encode())
    single = root / f"{table}.parquet"
    return [single] if single.is_file() else []


def _round_float(x: float) -> Optional[Decimal]:
    """A float as a decimal with 6 decimals, half away from zero, from its exact value."""
    if x is None:
        return None
    d = Decimal(x)  # exact binary value
    if not d.is_finite():
        raise InputError(f"non-finite number {x!r}")
    return d.quantize(Decimal(1).scaleb(-FLOAT_SCALE), rounding=decimal.ROUND_HALF_UP)


def _number_scale(t: pa.DataType, where: str) -> int:
    if pa.types.is_decimal(t):
        if t.scale > MAX_INPUT_SCALE or t.scale < 0:
            raise InputError(f"{where}: DECIMAL scale {t.scale} not supported")
        return t.scale
    if pa.types.is_integer(t) or pa.types.is_null(t):
        return 0
    if pa.types.is_floating(t):
        return FLOAT_SCALE
    raise InputError(f"{where}: type {t} is not a number")


def _to_text(col: pa.ChunkedArray, where: str) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_dictionary(t):
        col, t = col.cast(t.value_type), t.value_type
    if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
            or pa.types.is_integer(t) or pa.types.is_null(t)):
        return col.cast(pa.string())  # an integer id becomes its decimal text: 7 -> "7"
    raise InputError(f"{where}: type {t} is not text")


def _to_date(col: pa.ChunkedArray, where: str) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            col = pc.local_timestamp(col)  # the wall clock of the timestamp's own zone
        return col.cast(pa.date32(), safe=False)  # drop the time of day
    if pa.types.is_date(t) or pa.types.is_null(t):
        return col.cast(pa.date32())
    raise InputError(f"{where}: type {t} is not a date")


def _to_bool(col: pa.ChunkedArray, where: str) -> pa.ChunkedArray:
    if pa.types.is_boolean(col.type) or pa.types.is_null(col.type):
        return col.cast(pa.bool_())
    raise InputError(f"{where}: type {col.type} is not BOOLEAN")


def _to_int(col: pa.ChunkedArray, where: str) -> pa.ChunkedArray:
    if pa.types.is_integer(col.type) or pa.types.is_null(col.type):
        return col.cast(pa.int64())  # a UInt64 beyond INT64 raises
    raise InputError(f"{where}: type {col.type} is not an integer")


def _to_number(col: pa.ChunkedArray, scale: int, where: str) -> pa.ChunkedArray:
    target = pa.decimal128(38, scale)
    if pa.types.is_floating(col.type):
        values = [_round_float(x) for x in col.to_pylist()]
        return pa.chunked_array([pa.array(values, target)])
    _number_scale(col.type, where)  # type check
    return col.cast(target)  # widening a decimal's scale is exact; overflow raises


def read_table(root: Path, table: str) -> pa.Table:
    """One input table with the contract's coercions, as canonical Arrow types."""
    spec = INPUTS[table]
    files = table_files(root, table)
    if not files:
        if table in OPTIONAL_TABLES:
            files = []
        else:
            raise InputError(f"missing table {table}")
    schemas = []
    for f in files:
        try:
            schemas.append(pq.ParquetFile(f).schema_arrow)
        except Exception as e:  # zero bytes, not Parquet, corrupt
            raise InputError(f"{table}: unreadable file {f}: {e}") from e
    # One scale per number column: the largest seen in the table's files.
    scales = {}
    for name, kind, _ in spec:
        if kind == NUMBER:
            seen = [_number_scale(s.field(name).type, f"{table}.{name}")
                    for s in schemas if name in s.names]
            scales[name] = max(seen, default=0)
    parts = []
    for f, schema in zip(files, schemas):
        present = [name for name, _, _ in spec if name in schema.names]
        missing = [name for name, _, required in spec if required and name not in schema.names]
        if missing:
            raise InputError(f"{table}: file {f} has no column {missing[0]}")
        raw = pq.ParquetFile(f).read(columns=present)
        columns = {}
        for name, kind, _ in spec:
            where = f"{table}.{name} in {f}"
            if name not in schema.names:
                columns[name] = pa.nulls(raw.num_rows)  # an absent optional column
                col = pa.chunked_array([columns[name]])
            else:
                col = raw.column(name)
            if kind == TEXT:
                columns[name] = _to_text(col, where)
            elif kind == DATE:
                columns[name] = _to_date(col, where)
            elif kind == BOOL:
                columns[name] = _to_bool(col, where)
            elif kind == INT:
                columns[name] = _to_int(col, where)
            else:
                columns[name] = _to_number(col, scales[name], where)
        parts.append(pa.table(columns))
    if not parts:  # the optional table is absent: no row
        return pa.table({name: pa.array([], _arrow_type(kind, scales.get(name, 0)))
                         for name, kind, _ in spec})
    return pa.concat_tables(parts)


def _arrow_type(kind: str, scale: int) -> pa.DataType:
    return {TEXT: pa.string(), DATE: pa.date32(), BOOL: pa.bool_(), INT: pa.int64(),
            NUMBER: pa.decimal128(38, scale)}[kind]


# --------------------------------------------------------------------------
# Row validation (SEMANTICS.md, "Row problems")
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RowRules:
    key: list[str]                   # key columns, in `row_key` order
    nullable_key: tuple[str, ...]    # key columns whose null is a value (cadastre.season_id)
    required: list[str]              # required value columns, in the table's column order
    invalid: list[tuple[str, str]]   # (SQL condition, reason), in order
    client_must_exist: bool


ROW_RULES = {
    "cadastre": RowRules(
        key=["client_id", "parcel_id", "season_id"], nullable_key=("season_id",),
        required=["activity", "productive_ha"],
        invalid=[("productive_ha < 0", "negative productive_ha")],
        client_must_exist=True),
    "sales": RowRules(
        key=["document_id", "line_no"], nullable_key=(),
        required=["client_id", "document_date", "document_type", "status", "amount"],
        invalid=[("document_type NOT IN ('INVOICE', 'DEBIT_NOTE', 'CREDIT_NOTE')", "unknown document_type"),
                 ("status NOT IN ('VALID', 'VOID')", "unknown status")],
        client_must_exist=True),
    "potential_rates": RowRules(
        key=["season_id", "activity"], nullable_key=(), required=["amount_per_ha"],
        invalid=[], client_must_exist=False),
    "fx_rates": RowRules(
        key=["currency", "rate_date"], nullable_key=(), required=["rate_to_base"],
        invalid=[], client_must_exist=False),
}
# Rejects are validated in this order because `sales` needs the accepted fx rates.
VALIDATION_ORDER = ["fx_rates", "potential_rates", "cadastre", "sales"]


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _validate(con: duckdb.DuckDBPyConnection, table: str, base_currency: str) -> None:
    """Creates `chk_<table>`: every input row plus `row_key` and `reason` (NULL = accepted)."""
    rules = ROW_RULES[table]
    kinds = {name: kind for name, kind, _ in INPUTS[table]}

    def as_text(c: str) -> str:
        return f"strftime({c}, '%Y-%m-%d')" if kinds[c] == DATE else c

    row_key = " || '|' || ".join(f"coalesce({as_text(c)}, '<null>')" for c in rules.key)
    branches = []
    # 1. a null key column, in key order; 2. a null required value, in column order
    for c in [k for k in rules.key if k not in rules.nullable_key] + rules.required:
        branches.append((f"{c} IS NULL", f"null {c}"))
    # 3. invalid values
    branches += rules.invalid
    # 4. duplicate key, over all input rows, nulls equal (PARTITION BY groups NULLs together)
    branches.append(("rows_with_key > 1", "duplicate key"))
    # 5. a client_id that is not in `clients` (active or not)
    if rules.client_must_exist:
        branches.append(("NOT EXISTS (SELECT 1 FROM in_clients k WHERE k.client_id = t.client_id)",
                         "unknown client_id"))
    # 6. sales only: a foreign currency without an accepted rate on or before the document date
    if table == "sales":
        branches.append((
            f"currency IS NOT NULL AND currency <> {_sql_str(base_currency)} AND NOT EXISTS ("
            "SELECT 1 FROM chk_fx_rates f WHERE f.reason IS NULL AND f.currency = t.currency "
            "AND f.rate_date <= t.document_date)",
            "no fx rate"))
    case = "CASE " + " ".join(f"WHEN {cond} THEN {_sql_str(reason)}" for cond, reason in branches) + " END"
    con.execute(f"""
        CREATE TABLE chk_{table} AS
        WITH t AS (
            SELECT *, count(*) OVER (PARTITION BY {', '.join(rules.key)}) AS rows_with_key
            FROM in_{table}
        )
        SELECT t.* EXCLUDE (rows_with_key), {row_key} AS row_key, {case} AS reason
        FROM t
    """)
    con.execute(f"CREATE VIEW ok_{table} AS SELECT * EXCLUDE (row_key, reason) "
                f"FROM chk_{table} WHERE reason IS NULL")


def _check_keys(con: duckdb.DuckDBPyConnection) -> None:
    """The table-level problems that fail a run (exit 3): bad keys, inverted seasons."""
    for table, key in (("clients", "client_id"), ("seasons", "season_id"), ("campaigns", "campaign_id")):
        bad = con.execute(f"""
            SELECT {key} FROM in_{table} GROUP BY {key}
            HAVING {key} IS NULL OR count(*) > 1 ORDER BY {key} LIMIT 10""").fetchall()
        if bad:
            raise InputError(f"{table}: null or duplicate {key}: {[r[0] for r in bad]}")
    bad = con.execute("SELECT season_id FROM in_seasons WHERE start_date > end_date "
                      "OR start_date IS NULL OR end_date IS NULL").fetchall()
    if bad:
        raise InputError(f"seasons: start_date > end_date or a null date: {[r[0] for r in bad]}")


# --------------------------------------------------------------------------
# Thresholds (CONTRACT.md §5)
# --------------------------------------------------------------------------

def _threshold(value) -> Optional[Decimal]:
    """A configured threshold: a decimal with at most 2 decimals (else a configuration error)."""
    if value is None:
        return None
    d = Decimal(str(value))
    if not d.is_finite() or d != d.quantize(Decimal("0.01")):
        raise ConfigError(f"threshold {value} is not a decimal with at most 2 decimals")
    return d


def resolve_thresholds(thresholds: dict, season_id: str, median: Decimal) -> tuple[Decimal, Decimal]:
    """(Tp, Tb) of a season: the season's override, else the default, else the median; each on its own."""
    default = thresholds.get("default") or {}
    override = (thresholds.get("season") or {}).get(season_id) or {}
    out = []
    for name in ("high_potential", "high_billing"):
        value = _threshold(override.get(name))
        if value is None:
            value = _threshold(default.get(name))
        if value is None:
            value = median  # both thresholds fall back to the potentials' median (SEMANTICS.md)
        out.append(value)
    return out[0], out[1]


def lower_median(values: list[Decimal]) -> Decimal:
    """The value at position ceil(n/2) (1-based) of the ascending non-zero values; 0 if none."""
    xs = sorted(v for v in values if v != 0)
    if not xs:
        return Decimal("0.00")
    return xs[(len(xs) + 1) // 2 - 1]


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Report:
    """What the run reports besides the snapshot (not compared with zafra's files)."""
    input_rows: dict[str, int]
    reject_counts: dict[str, int]          # rejected rows per validated table
    unpriced_parcels: int                  # (season in scope, client in scope, parcel) without a rate
    unpriced_hectares: Decimal
    thresholds: dict[str, tuple[Decimal, Decimal]]   # season in scope -> (Tp, Tb)

    def reject_ratio_exceeded(self, max_reject_ratio: float) -> list[str]:
        """Tables whose rejected rows exceed `max_reject_ratio` of their rows (zafra exits 3)."""
        return [t for t, n in self.reject_counts.items()
                if self.input_rows[t] > 0 and Decimal(n) > Decimal(str(max_reject_ratio)) * self.input_rows[t]]


def compute(input_root, as_of: datetime.date, base_currency: str, thresholds: dict) -> dict[str, pa.Table]:
    """The published tables of a run as of `as_of` (see module docstring)."""
    tables, _ = compute_all(input_root, as_of, base_currency, thresholds)
    return tables


def compute_all(input_root, as_of: datetime.date, base_currency: str,
                thresholds: dict) -> tuple[dict[str, pa.Table], Report]:
    """The published tables and the run's `Report`.

    Raises `InputError` where zafra exits 3 for the whole table (missing table
    or column, unusable type, bad key in clients/seasons/campaigns, inverted
    season) and `ConfigError` where it exits 2 (a threshold with more than 2
    decimals). The reject-ratio limit is left to the caller
    (`Report.reject_ratio_exceeded`).
    """
    root = Path(str(input_root).removeprefix("file://"))
    con = duckdb.connect()
    inputs = {t: read_table(root, t) for t in INPUTS}
    for t, arrow in inputs.items():
        con.register(f"arrow_{t}", arrow)
        con.execute(f"CREATE TABLE in_{t} AS SELECT * FROM arrow_{t}")
    _check_keys(con)
    for t in VALIDATION_ORDER:
        _validate(con, t, base_currency)

    d = as_of.isoformat()
    base = _sql_str(base_currency)

    # --- 1. clients in scope: active true or null --------------------------
    con.execute("""
        CREATE TABLE scope_clients AS
        SELECT client_id FROM in_clients WHERE active IS NULL OR active
    """)

    # --- 6. campaigns active on D (a null date never matches; a null flag is false)
    con.execute(f"""
        CREATE TABLE active_campaigns AS
        SELECT * REPLACE (coalesce(by_potential, false) AS by_potential,
                          coalesce(by_billing, false) AS by_billing),
               EXISTS (SELECT 1 FROM in_seasons s WHERE s.season_id = c.season_id) AS season_known
        FROM in_campaigns c
        WHERE status = 'ACTIVE' AND start_date <= DATE '{d}' AND DATE '{d}' <= end_date
    """)

    # --- 2. seasons in scope: containing D, or of an active campaign -------
    con.execute(f"""
        CREATE TABLE scope_seasons AS
        SELECT season_id, start_date, end_date FROM in_seasons
        WHERE (start_date <= DATE '{d}' AND DATE '{d}' <= end_date)
           OR season_id IN (SELECT season_id FROM active_campaigns WHERE season_id IS NOT NULL)
    """)

    # --- 3. potential ------------------------------------------------------
    # The parcel row that applies to (season s, client, parcel): the accepted row
    # with season_id = s, else the accepted row with a null season_id.
    con.execute("""
        CREATE TABLE applied_parcels AS
        SELECT s.season_id, c.client_id, c.parcel_id, c.activity, c.productive_ha
        FROM scope_seasons s
        JOIN ok_cadastre c ON c.season_id = s.season_id
        WHERE c.client_id IN (SELECT client_id FROM scope_clients)
        UNION ALL
        SELECT s.season_id, g.client_id, g.parcel_id, g.activity, g.productive_ha
        FROM scope_seasons s
        JOIN ok_cadastre g ON g.season_id IS NULL
        WHERE g.client_id IN (SELECT client_id FROM scope_clients)
          AND NOT EXISTS (SELECT 1 FROM ok_cadastre o
                          WHERE o.season_id = s.season_id AND o.client_id = g.client_id
                            AND o.parcel_id = g.parcel_id)
    """)
    # Its rate: (s, activity), else (s, '*'), else none (unpriced: contributes 0).
    con.execute("""
        CREATE TABLE priced_parcels AS
        SELECT p.*, coalesce(exact.amount_per_ha, star.amount_per_ha) AS rate
        FROM applied_parcels p
        LEFT JOIN ok_potential_rates exact ON exact.season_id = p.season_id AND exact.activity = p.activity
        LEFT JOIN ok_potential_rates star ON star.season_id = p.season_id AND star.activity = '*'
    """)
    # Exact sum of exact products, rounded once (half away from zero) to 2 decimals.
    con.execute("""
        CREATE TABLE potentials AS
        SELECT season_id, client_id,
               CAST(coalesce(sum(productive_ha * rate), 0) AS DECIMAL(38,2)) AS potential
        FROM priced_parcels GROUP BY season_id, client_id
    """)

    # --- 4. billing --------------------------------------------------------
    # fx: 1 for the base (or a null) currency, else the rate of the latest
    # accepted rate_date <= document_date of that currency (ASOF join).
    fx_type = _column_sql_type(inputs["fx_rates"], "rate_to_base")
    con.execute(f"""
        CREATE TABLE billed_lines AS
        SELECT x.client_id, x.document_date, x.document_type, x.amount,
               CASE WHEN x.currency IS NULL OR x.currency = {base} THEN CAST(1 AS {fx_type})
                    ELSE f.rate_to_base END AS fx
        FROM ok_sales x
        ASOF LEFT JOIN (SELECT * FROM ok_fx_rates WHERE currency <> {base}) f
          ON f.currency = x.currency AND x.document_date >= f.rate_date
        WHERE x.status = 'VALID'
    """)
    missing_fx = con.execute("SELECT count(*) FROM billed_lines WHERE fx IS NULL").fetchall()[0][0]
    assert missing_fx == 0, "an accepted sale without fx (would have been rejected)"
    con.execute(f"""
        CREATE TABLE billings AS
        SELECT s.season_id, b.client_id,
               CAST(sum(CASE WHEN b.document_type = 'CREDIT_NOTE' THEN -(b.amount * b.fx)
                             ELSE b.amount * b.fx END) AS DECIMAL(38,2)) AS billing
        FROM billed_lines b
        JOIN scope_seasons s
          ON s.start_date <= b.document_date AND b.document_date <= least(s.end_date, DATE '{d}')
        WHERE b.client_id IN (SELECT client_id FROM scope_clients)
        GROUP BY s.season_id, b.client_id
    """)

    # --- figures: one row per season in scope x client in scope ------------
    con.execute("""
        CREATE TABLE figures AS
        SELECT s.season_id, c.client_id,
               coalesce(p.potential, CAST(0 AS DECIMAL(38,2))) AS potential,
               coalesce(b.billing, CAST(0 AS DECIMAL(38,2))) AS billing,
               p.client_id IS NOT NULL AS has_cadastre,
               b.client_id IS NOT NULL AS has_sales
        FROM scope_seasons s CROSS JOIN scope_clients c
        LEFT JOIN potentials p ON p.season_id = s.season_id AND p.client_id = c.client_id
        LEFT JOIN billings b ON b.season_id = s.season_id AND b.client_id = c.client_id
    """)

    # --- 5. thresholds (resolved in Python: each on its own) and segments ---
    seasons = [r[0] for r in con.execute("SELECT season_id FROM scope_seasons").fetchall()]
    resolved = {}
    for s in seasons:
        pots = [r[0] for r in con.execute(
            "SELECT potential FROM figures WHERE season_id = ?", [s]).fetchall()]
        resolved[s] = resolve_thresholds(thresholds, s, lower_median(pots))
    con.execute("CREATE TABLE thresholds (season_id VARCHAR, tp DECIMAL(38,2), tb DECIMAL(38,2))")
    if resolved:
        con.executemany("INSERT INTO thresholds VALUES (?, ?, ?)",
                        [(s, tp, tb) for s, (tp, tb) in resolved.items()])
    con.execute(f"CREATE MACRO segment_of(high_p, high_b) AS {SEGMENT_CASE}")
    con.execute("""
        CREATE TABLE segments AS
        SELECT f.*, segment_of(f.potential >= t.tp, f.billing >= t.tb) AS segment
        FROM figures f JOIN thresholds t USING (season_id)
    """)

    # --- campaigns: status_note, label, members ----------------------------
    camp = inputs["campaigns"]
    p_type = _common_type(camp, ["potential_min", "potential_max"])
    b_type = _common_type(camp, ["billing_min", "billing_max"])
    con.execute(f"""
        CREATE TABLE campaign_checks AS
        SELECT k.*,
               nullif(concat_ws('; ',
                   CASE WHEN NOT k.season_known THEN 'unknown season' END,
                   CASE WHEN k.by_potential AND CAST(k.potential_min AS {p_type}) > CAST(k.potential_max AS {p_type})
                        THEN 'potential_min > potential_max' END,
                   CASE WHEN k.by_billing AND CAST(k.billing_min AS {b_type}) > CAST(k.billing_max AS {b_type})
                        THEN 'billing_min > billing_max' END), '') AS status_note
        FROM active_campaigns k
    """)
    # Label: with both flags, the segment of the ranges' midpoints. Compared
    # without division: (min + max) / 2 >= T  <=>  min + max >= 2 T.
    con.execute(f"""
        CREATE TABLE campaign_labels AS
        SELECT k.campaign_id,
               CASE
                 WHEN NOT k.by_potential AND NOT k.by_billing THEN 'TODOS'
                 WHEN k.by_potential AND NOT k.by_billing THEN 'SOLO_POTENCIAL'
                 WHEN NOT k.by_potential AND k.by_billing THEN 'SOLO_FACTURACION'
                 WHEN NOT k.season_known THEN NULL
                 ELSE segment_of(
                   CAST(coalesce(k.potential_min, k.potential_max, 0) AS {p_type})
                     + CAST(coalesce(k.potential_max, k.potential_min, 0) AS {p_type})
                     >= CAST(2 * t.tp AS {p_type}),
                   CAST(coalesce(k.billing_min, k.billing_max, 0) AS {b_type})
                     + CAST(coalesce(k.billing_max, k.billing_min, 0) AS {b_type})
                     >= CAST(2 * t.tb AS {b_type}))
               END AS label
        FROM campaign_checks k LEFT JOIN thresholds t ON t.season_id = k.season_id
    """)
    # Members: clients in scope whose rounded figures of the campaign's season are
    # inside every range whose flag is set (inclusive; a null bound is unbounded).
    con.execute(f"""
        CREATE TABLE members AS
        SELECT k.campaign_id, g.client_id, g.season_id, g.potential, g.billing, g.segment
        FROM campaign_checks k
        JOIN segments g ON g.season_id = k.season_id
        WHERE k.status_note IS NULL
          AND (NOT k.by_potential OR (
                (k.potential_min IS NULL OR CAST(k.potential_min AS {p_type}) <= CAST(g.potential AS {p_type}))
            AND (k.potential_max IS NULL OR CAST(g.potential AS {p_type}) <= CAST(k.potential_max AS {p_type}))))
          AND (NOT k.by_billing OR (
                (k.billing_min IS NULL OR CAST(k.billing_min AS {b_type}) <= CAST(g.billing AS {b_type}))
            AND (k.billing_max IS NULL OR CAST(g.billing AS {b_type}) <= CAST(k.billing_max AS {b_type}))))
    """)
    con.execute("""
        CREATE TABLE summary AS
        SELECT k.campaign_id, k.description, k.season_id, l.label,
               CAST(count(m.client_id) AS BIGINT) AS members,
               CAST(coalesce(sum(m.potential), 0) AS DECIMAL(38,2)) AS potential_total,
               CAST(coalesce(sum(m.billing), 0) AS DECIMAL(38,2)) AS billing_total,
               k.status_note
        FROM campaign_checks k
        JOIN campaign_labels l USING (campaign_id)
        LEFT JOIN members m USING (campaign_id)
        GROUP BY ALL
    """)

    # --- rejects -----------------------------------------------------------
    con.execute("""
        CREATE TABLE rejects AS
        SELECT 'cadastre' AS table_name, row_key, reason FROM chk_cadastre WHERE reason IS NOT NULL
        UNION ALL SELECT 'sales', row_key, reason FROM chk_sales WHERE reason IS NOT NULL
        UNION ALL SELECT 'potential_rates', row_key, reason FROM chk_potential_rates WHERE reason IS NOT NULL
        UNION ALL SELECT 'fx_rates', row_key, reason FROM chk_fx_rates WHERE reason IS NOT NULL
    """)

    # --- campaign diagnostics: counts per range, extremes, nearest outsiders,
    # and the first empty reason (SEMANTICS.md, "Campaign diagnostics");
    # written with correlated subqueries, one question at a time.
    pin = lambda dim, t: (f"(k.{dim}_min IS NULL OR CAST(k.{dim}_min AS {t}) <= CAST(g.{dim} AS {t})) AND "
                          f"(k.{dim}_max IS NULL OR CAST(g.{dim} AS {t}) <= CAST(k.{dim}_max AS {t}))")

    def nearest(dim: str, t: str, side: str) -> str:
        bound, op, pick = (f"{dim}_min", "<", "max") if side == "below" else (f"{dim}_max", ">", "min")
        value = (f"(SELECT {pick}(g.{dim}) FROM segments g WHERE g.season_id = k.season_id "
                 f"AND CAST(g.{dim} AS {t}) {op} CAST(k.{bound} AS {t}))")
        searched = f"k.by_{dim} AND k.status_note IS NULL AND k.{bound} IS NOT NULL"
        return (f"CASE WHEN {searched} THEN (SELECT min(g.client_id) FROM segments g "
                f"WHERE g.season_id = k.season_id AND g.{dim} = {value}) END AS {dim}_{side}_{bound.split('_')[1]}_client, "
                f"CASE WHEN {searched} THEN {value} END AS {dim}_{side}_{bound.split('_')[1]}")

    con.execute(f"""
        CREATE TABLE diag_counts AS
        SELECT k.*,
          (SELECT count(*) FROM segments g WHERE g.season_id = k.season_id) AS clients,
          (SELECT count(*) FROM segments g WHERE g.season_id = k.season_id AND g.has_cadastre) AS with_cadastre,
          (SELECT count(*) FROM segments g WHERE g.season_id = k.season_id AND g.has_sales) AS with_sales,
          (SELECT count(*) FROM segments g WHERE g.season_id = k.season_id
             AND (NOT k.by_potential OR ({pin("potential", p_type)}))) AS passing_potential,
          (SELECT count(*) FROM segments g WHERE g.season_id = k.season_id
             AND (NOT k.by_billing OR ({pin("billing", b_type)}))) AS passing_billing,
          (SELECT count(*) FROM members m WHERE m.campaign_id = k.campaign_id) AS members,
          (SELECT min(potential) FROM segments g WHERE g.season_id = k.season_id) AS season_min_potential,
          (SELECT max(potential) FROM segments g WHERE g.season_id = k.season_id) AS season_max_potential,
          (SELECT min(billing) FROM segments g WHERE g.season_id = k.season_id) AS season_min_billing,
          (SELECT max(billing) FROM segments g WHERE g.season_id = k.season_id) AS season_max_billing,
          {nearest("potential", p_type, "below")},
          {nearest("potential", p_type, "above")},
          {nearest("billing", b_type, "below")},
          {nearest("billing", b_type, "above")}
        FROM campaign_checks k
    """)
    gap = lambda dim, t: [
        (f"k.by_{dim} AND k.passing_{dim} = 0 AND CAST(k.{dim}_min AS {t}) > k.season_max_{dim}",
         f"{dim} range above the season''s maximum"),
        (f"k.by_{dim} AND k.passing_{dim} = 0 AND CAST(k.{dim}_max AS {t}) < k.season_min_{dim}",
         f"{dim} range below the season''s minimum"),
        (f"k.by_{dim} AND k.passing_{dim} = 0", f"no client''s {dim} in the range"),
    ]
    reasons = [
        ("k.status_note LIKE 'unknown season%'", "unknown season"),
        ("k.status_note IS NOT NULL", "invalid range"),
        ("k.clients = 0", "no client in scope in the season"),
        ("k.by_potential AND k.passing_potential = 0 AND k.with_cadastre = 0",
         "no client has cadastre in the season"),
        ("k.by_billing AND k.passing_billing = 0 AND k.with_sales = 0", "the season has no sales up to D"),
        *gap("potential", p_type), *gap("billing", b_type),
    ]
    whens = "\n".join(f"WHEN {cond} THEN '{text}'" for cond, text in reasons)
    con.execute(f"""
        CREATE TABLE diagnostics AS
        SELECT k.*, CASE WHEN k.members > 0 THEN NULL {whens} ELSE 'no client in both ranges' END AS empty_reason
        FROM diag_counts k
    """)

    # --- contact plan: each member client's primary campaign (priority
    # ascending, nulls last, then campaign_id byte-wise) and its other campaigns
    con.execute("""
        CREATE TABLE contacts AS
        SELECT client_id, campaign_id AS primary_campaign_id, season_id AS primary_season_id,
               priority AS primary_priority, CAST(n - 1 AS BIGINT) AS other_campaigns
        FROM (
            SELECT m.client_id, m.campaign_id, m.season_id, k.priority,
                   row_number() OVER (PARTITION BY m.client_id
                                      ORDER BY k.priority ASC NULLS LAST, m.campaign_id) AS rn,
                   count(*) OVER (PARTITION BY m.client_id) AS n
            FROM members m JOIN in_campaigns k USING (campaign_id)
        ) WHERE rn = 1
    """)
    # --- overlap: pairs of campaigns of one season sharing members, each pair once
    con.execute("""
        CREATE TABLE overlap AS
        WITH n AS (SELECT campaign_id, count(*) AS members FROM members GROUP BY campaign_id)
        SELECT a.season_id, a.campaign_id, b.campaign_id AS other_campaign_id,
               na.members, nb.members AS other_members, count(*) AS shared
        FROM members a
        JOIN members b ON b.season_id = a.season_id AND b.client_id = a.client_id
                      AND a.campaign_id < b.campaign_id
        JOIN n na ON na.campaign_id = a.campaign_id
        JOIN n nb ON nb.campaign_id = b.campaign_id
        GROUP BY ALL
    """)

    queries = {
        "client_segments": "SELECT season_id, client_id, potential, billing, segment, has_cadastre, has_sales "
                           "FROM segments",
        "memberships": "SELECT campaign_id, client_id, season_id, potential, billing, segment FROM members",
        "campaign_summary": "SELECT campaign_id, description, season_id, label, members, potential_total, "
                            "billing_total, status_note FROM summary",
        "rejects": "SELECT table_name, row_key, reason FROM rejects",
        "campaign_diagnostics": "SELECT campaign_id, season_id, clients, with_cadastre, with_sales, "
                                "passing_potential, passing_billing, members, season_min_potential, "
                                "season_max_potential, season_min_billing, season_max_billing, "
                                "potential_below_min_client, potential_below_min, potential_above_max_client, "
                                "potential_above_max, billing_below_min_client, billing_below_min, "
                                "billing_above_max_client, billing_above_max, empty_reason FROM diagnostics",
        "contact_plan": "SELECT client_id, primary_campaign_id, primary_season_id, primary_priority, "
                        "other_campaigns FROM contacts",
        "campaign_overlap": "SELECT season_id, campaign_id, other_campaign_id, members, other_members, "
                            "shared FROM overlap",
    }
    tables = {name: _publish(name, con.sql(q).to_arrow_table()) for name, q in queries.items()}

    reject_counts = {t: con.execute(f"SELECT count(*) FROM chk_{t} WHERE reason IS NOT NULL").fetchall()[0][0]
                     for t in ROW_RULES}
    unpriced = con.execute("SELECT count(*), coalesce(sum(productive_ha), 0) FROM priced_parcels "
                           "WHERE rate IS NULL").fetchall()[0]
    report = Report(
        input_rows={t: inputs[t].num_rows for t in INPUTS},
        reject_counts=reject_counts,
        unpriced_parcels=unpriced[0],
        unpriced_hectares=Decimal(unpriced[1]),
        thresholds=resolved,
    )
    con.close()
    return tables, report


SEGMENT_CASE = """CASE
    WHEN high_p AND high_b THEN 'RETENCION'
    WHEN high_p THEN 'INVERSION'
    WHEN high_b THEN 'REVISION'
    ELSE 'NO_INVERSION' END"""


def _column_sql_type(table: pa.Table, column: str) -> str:
    t = table.schema.field(column).type
    return f"DECIMAL({t.precision},{t.scale})"


def _common_type(table: pa.Table, columns: list[str]) -> str:
    """A DECIMAL type holding the columns and 2-decimal money exactly."""
    scale = max([table.schema.field(c).type.scale for c in columns] + [2])
    return f"DECIMAL(38,{scale})"


def _publish(name: str, table: pa.Table) -> pa.Table:
    """Casts to the published schema (refusing any lossy cast) and sorts byte-wise."""
    schema = PUBLISHED[name]
    if table.schema.names != schema.names:
        raise AssertionError(f"{name}: columns {table.schema.names}, expected {schema.names}")
    table = table.cast(schema, safe=True)
    # Arrow sorts strings as byte strings (UTF-8 byte order = code point order).
    order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in SORT_KEYS[name]])
    return table.take(order).combine_chunks()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Print the reference's tables for an input root.")
    ap.add_argument("root")
    ap.add_argument("as_of")
    ap.add_argument("--base-currency", default="USD")
    args = ap.parse_args()
    out, rep = compute_all(args.root, datetime.date.fromisoformat(args.as_of), args.base_currency, {})
    for n, t in out.items():
        print(f"{n}: {t.num_rows} rows")
    print(rep)
