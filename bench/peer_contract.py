"""What both DuckDB peers share: the published tables' exact schemas, the
contract's input columns, how input files are found, and the final cast to
the published schema (bench/duckdb_fast.py, bench/duckdb_job.py)."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

MONEY = pa.decimal128(38, 2)

SCHEMAS = {
    "client_segments": pa.schema([
        ("season_id", pa.string()), ("client_id", pa.string()), ("potential", MONEY),
        ("billing", MONEY), ("segment", pa.string()), ("has_cadastre", pa.bool_()),
        ("has_sales", pa.bool_()),
    ]),
    "memberships": pa.schema([
        ("campaign_id", pa.string()), ("client_id", pa.string()), ("season_id", pa.string()),
        ("potential", MONEY), ("billing", MONEY), ("segment", pa.string()),
    ]),
    "campaign_summary": pa.schema([
        ("campaign_id", pa.string()), ("description", pa.string()), ("season_id", pa.string()),
        ("label", pa.string()), ("members", pa.int64()), ("potential_total", MONEY),
        ("billing_total", MONEY), ("status_note", pa.string()),
    ]),
    "rejects": pa.schema([("table_name", pa.string()), ("row_key", pa.string()), ("reason", pa.string())]),
    "campaign_diagnostics": pa.schema([
        ("campaign_id", pa.string()), ("season_id", pa.string()), ("clients", pa.int64()),
        ("with_cadastre", pa.int64()), ("with_sales", pa.int64()), ("passing_potential", pa.int64()),
        ("passing_billing", pa.int64()), ("members", pa.int64()),
        ("season_min_potential", MONEY), ("season_max_potential", MONEY),
        ("season_min_billing", MONEY), ("season_max_billing", MONEY),
        ("potential_below_min_client", pa.string()), ("potential_below_min", MONEY),
        ("potential_above_max_client", pa.string()), ("potential_above_max", MONEY),
        ("billing_below_min_client", pa.string()), ("billing_below_min", MONEY),
        ("billing_above_max_client", pa.string()), ("billing_above_max", MONEY),
        ("empty_reason", pa.string()),
    ]),
    "contact_plan": pa.schema([
        ("client_id", pa.string()), ("primary_campaign_id", pa.string()), ("primary_season_id", pa.string()),
        ("primary_priority", pa.int64()), ("other_campaigns", pa.int64()),
    ]),
    "campaign_overlap": pa.schema([
        ("season_id", pa.string()), ("campaign_id", pa.string()), ("other_campaign_id", pa.string()),
        ("members", pa.int64()), ("other_members", pa.int64()), ("shared", pa.int64()),
    ]),
}

# Column kinds of the contract's input tables: T text, D date, N number, B boolean.
INPUTS = {
    "clients": [("client_id", "T"), ("name", "T"), ("active", "B")],
    "seasons": [("season_id", "T"), ("name", "T"), ("start_date", "D"), ("end_date", "D")],
    "cadastre": [("client_id", "T"), ("parcel_id", "T"), ("activity", "T"), ("productive_ha", "N"), ("season_id", "T")],
    "potential_rates": [("season_id", "T"), ("activity", "T"), ("amount_per_ha", "N")],
    "sales": [("document_id", "T"), ("line_no", "T"), ("client_id", "T"), ("document_date", "D"),
              ("document_type", "T"), ("status", "T"), ("amount", "N"), ("currency", "T")],
    "campaigns": [("campaign_id", "T"), ("description", "T"), ("season_id", "T"), ("start_date", "D"),
                  ("end_date", "D"), ("status", "T"), ("by_potential", "B"), ("potential_min", "N"),
                  ("potential_max", "N"), ("by_billing", "B"), ("billing_min", "N"), ("billing_max", "N")],
    "fx_rates": [("currency", "T"), ("rate_date", "D"), ("rate_to_base", "N")],
}


def table_files(root: Path, table: str) -> list[str]:
    folder = root / table
    files = []
    if folder.is_dir():
        for p in sorted(folder.rglob("*.parquet")):
            rel = p.relative_to(folder).parts
            if not any(part.startswith((".", "_")) for part in rel):
                files.append(str(p))
    if not files and (root / f"{table}.parquet").is_file():
        files = [str(root / f"{table}.parquet")]
    return files


def number_scale(t: pa.DataType) -> int:
    if pa.types.is_decimal(t):
        return t.scale
    if pa.types.is_floating(t):
        return 6
    return 0


def conform(name: str, table: pa.Table) -> pa.Table:
    """Casts to the published schema; refuses any lossy change."""
    schema = SCHEMAS[name]
    if table.num_columns != len(schema):
        raise ValueError(f"{name}: {table.schema.names} vs {schema.names}")
    table = table.rename_columns(schema.names)
    return table.cast(schema, safe=True)
