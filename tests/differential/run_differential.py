#!/usr/bin/env python3
"""Differential test: zafra's published tables must equal the reference's.

For every dataset (zafra-generated data for several seeds, the two hand-made
edge-case datasets built below, and the one of `edge_cases.py`), every
configuration of CONFIGS and every as-of date, this driver

1. writes a TOML configuration and runs
   `ZAFRA run --config CFG --as-of D --output OUT` into a fresh output root;
2. computes the same snapshot with the independent DuckDB implementation of
   the contract (`reference.py`);
3. reads zafra's files `OUT/<table>/snapshot_date=D/*.parquet` (each file on
   its own, concatenated in byte-wise file-name order, so no partition column
   is added) and requires, for each of the four tables, the same column names
   and types, and the same values in the same row order.

Usage:

    python3 tests/differential/run_differential.py --zafra target/debug/zafra --work /tmp/zafra-diff

It prints one line per case (`agree ...` or `DIFFER ...`), then
`N passed, M failed`, and exits 0 when every case agrees; for a differing
case it prints, per table, the first differing rows and the keys found on one
side only, and it exits 1. When the reference finds more rejected rows than
`max_reject_ratio` allows, zafra must exit 3 instead (and does not publish).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import edge_cases  # noqa: E402  (a second, independently written edge-case dataset)
import reference  # noqa: E402

TABLES = ["client_segments", "memberships", "campaign_summary", "rejects",
          "campaign_diagnostics", "contact_plan", "campaign_overlap"]
BASE_CURRENCY = "USD"
RUN_TIMEOUT_SECONDS = 600   # one `zafra run` on these small datasets takes about a second
SLOW_RUN_SECONDS = 60

# --------------------------------------------------------------------------
# Configurations: the TOML [segments] part and the same thresholds for the reference
# --------------------------------------------------------------------------

CONFIGS: dict[str, dict] = {
    # No threshold set: both thresholds of every season are the lower median of its potentials.
    "median": {"default": {}, "season": {}},
    # Defaults plus per-season overrides that each set only one of the two thresholds,
    # so every threshold is resolved on its own (override, else default).
    "configured": {
        "default": {"high_potential": Decimal("5000"), "high_billing": Decimal("4000.50")},
        "season": {
            "2025/26": {"high_potential": Decimal("8000")},
            "2024/25": {"high_billing": Decimal("1.5")},
        },
    },
    # Only a default billing threshold: the potential threshold falls back to the median.
    "billing-only": {"default": {"high_billing": Decimal("100")}, "season": {}},
}


def toml_string(s: str) -> str:
    return json.dumps(s)  # a JSON string of a path is a valid TOML basic string


def write_config(path: Path, input_root: Path, output_root: Path, thresholds: dict,
                 max_reject_ratio: str) -> None:
    lines = [f"base_currency = {toml_string(BASE_CURRENCY)}", "",
             "[input]", f"root = {toml_string(str(input_root))}", "",
             "[output]", f"root = {toml_string(str(output_root))}", ""]
    if thresholds["default"] or thresholds["season"]:
        lines.append("[segments]")
        for name, value in thresholds["default"].items():
            lines.append(f'{name} = "{value}"')
        lines.append("")
        for season, values in thresholds["season"].items():
            lines.append(f"[segments.season.{toml_string(season)}]")
            for name, value in values.items():
                lines.append(f'{name} = "{value}"')
            lines.append("")
    lines += ["[limits]", f"max_reject_ratio = {max_reject_ratio}", ""]
    path.write_text("\n".join(lines))


# --------------------------------------------------------------------------
# Hand-made datasets on the contract's boundaries
# --------------------------------------------------------------------------

def _d(s: str | None) -> dt.date | None:
    return None if s is None else dt.date.fromisoformat(s)


def _dec(values, precision: int, scale: int) -> pa.Array:
    return pa.array([None if v is None else Decimal(v) for v in values], pa.decimal128(precision, scale))


def _write(root: Path, table: str, columns: dict, file: str | None = None) -> None:
    """Writes `<root>/<table>/<file>`, or `<root>/<table>.parquet` when file is None."""
    if file is None:
        path = root / f"{table}.parquet"
    else:
        (root / table).mkdir(parents=True, exist_ok=True)
        path = root / table / file
    pq.write_table(pa.table(columns), path)


# The edge-case dataset's story, client by client (ids are integers in `clients`,
# so they are read as text; season 2025/26 unless said otherwise):
#   1  potential 0.005 ha x 25 = 0.125 -> 0.13; bad cadastre rows of all kinds
#   2  a 2025/26 parcel row (TRIGO 7 ha) replaces the generic one (MAIZ 10 ha)
#   3  GANADERIA has no rate: the season's '*' rate; unpriced in 2024/25
#   4  a negative rate: 0.005 x -25 = -0.125 -> -0.13
#   5  FLOAT64 hectares 0.0078125 (exactly a tie at 6 decimals) -> 0.007813
#   6  FLOAT64 hectares 33.3 -> 33.300000
#   7  sales on the season's first and last day, credit and debit notes, a VOID
#   8  sales on 2025-10-15 and 2025-10-16 (D and D+1 for D = 2025-10-15)
#   9  PYG sales: on the first rate date, between rates, after a rejected
#      (duplicate) rate, before the first rate (rejected); two lines of 0.0045
#      that sum to 0.009 (rounded once: 0.01, not 0.00 + 0.00)
#   10 active is null: in scope; its 2025/26 parcel row is rejected, so the
#      generic row applies
#   11 inactive: valid cadastre and sales rows, in no output
#   12 neither cadastre nor sales
#   13 an invoice and a credit note of the same amount: billing 0.00, has_sales
#   14 TIMESTAMP dates (naive and UTC), FLOAT64 and INT64 amounts, a negative amount
#   15 potential 8000.00 and billing 4000.50: exactly the configured thresholds
#   16 only a credit note: negative billing; an ARS sale at rate 0
EDGE_DATES = ["2025-06-30", "2025-07-01", "2025-10-15", "2026-03-31", "2026-06-30", "2026-07-01"]


def write_edge_dataset(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)

    _write(root, "clients", {
        "client_id": pa.array(range(1, 17), pa.int64()),
        "name": [f"Client {i}" for i in range(1, 17)],
        "active": [True] * 9 + [None, False] + [True] * 5,
        "branch": ["Norte"] * 16,           # an optional column
        "loaded_at": pa.array(range(16)),   # an extra column: ignored
    }, "part-00000.parquet")

    _write(root, "seasons", {
        "season_id": ["2024/25", "2025/26", "2026/27"],
        "name": ["Zafra 2024/25", "Zafra 2025/26", "Zafra 2026/27"],
        "start_date": [_d("2024-07-01"), _d("2025-07-01"), _d("2026-07-01")],
        "end_date": [_d("2025-06-30"), _d("2026-06-30"), _d("2027-06-30")],
    }, "part-00000.parquet")

    # potential_rates as a single file <root>/potential_rates.parquet
    rates = [
        ("2025/26", "SOJA", "25"), ("2025/26", "TRIGO", "10.001"), ("2025/26", "MAIZ", "100"),
        ("2025/26", "*", "4"), ("2025/26", "ALGODON", "-25"),
        ("2024/25", "MAIZ", "2"), ("2024/25", "SOJA", "1"), ("2024/25", "SOJA", "1.5"),  # duplicate
        ("2026/27", "SOJA", "7"), ("2026/27", "*", "1"),
        ("1999/00", "SOJA", "5"),            # season not in `seasons`: not a row problem
        (None, "SOJA", "1"), (None, "SOJA", "2"),  # null season_id (twice: still `null season_id`)
        ("2025/26", None, "1"),              # null activity
        ("2026/27", "MAIZ", None),           # null amount_per_ha
    ]
    _write(root, "potential_rates", {
        "season_id": [r[0] for r in rates],
        "activity": [r[1] for r in rates],
        "amount_per_ha": _dec([r[2] for r in rates], 10, 3),
    })

    cadastre = [
        # client, parcel, activity, ha, season
        ("1", "P1", "SOJA", "0.005", None),
        ("2", "P1", "MAIZ", "10", None),
        ("2", "P1", "TRIGO", "7", "2025/26"),
        ("3", "P1", "GANADERIA", "3", None),
        ("4", "P1", "ALGODON", "0.005", None),
        ("7", "P1", "SOJA", "4", None),
        ("7", "P2", "SOJA", "0", "2025/26"),        # zero hectares: has_cadastre, adds 0
        ("8", "P1", "MAIZ", "1", "2024/25"),        # applies to 2024/25 only
        ("9", "P1", "SOJA", "2", "2025/26"),
        ("9", "P1", "SOJA", "-1", None),            # rejected: no generic row for 9
        ("10", "P1", "SOJA", "2.4", None),
        ("10", "P1", "SOJA", None, "2025/26"),      # rejected: the generic row applies
        ("11", "P1", "SOJA", "100", None),          # inactive client: a valid row
        ("15", "P1", "SOJA", "320", None),
        ("15", "P2", "FORESTAL", "1", "1999/00"),   # unknown season: accepted, never applies
        (None, "P1", "SOJA", "1", None),            # null client_id
        ("1", None, "SOJA", "1", None),             # null parcel_id
        ("1", "P3", None, "1", None),               # null activity
        ("1", "P4", "SOJA", None, None),            # null productive_ha
        ("1", "P5", "SOJA", "-1", None),            # negative (and duplicated)
        ("1", "P5", "SOJA", "2", None),             # duplicate key
        ("404", "P1", "SOJA", "1", None),           # unknown client_id
        ("404", "P2", "SOJA", "-5", "2025/26"),     # negative comes before unknown client
        ("13", "P1", None, "1", None),              # duplicate (null season_id) with a null activity
        ("13", "P1", "SOJA", "1", None),            # duplicate key
        ("13", "P2", "SOJA", "1", "2025/26"),       # duplicate key
        ("13", "P2", "SOJA", "1", "2025/26"),       # duplicate key
    ]
    _write(root, "cadastre", {
        "client_id": [r[0] for r in cadastre],
        "parcel_id": [r[1] for r in cadastre],
        "activity": [r[2] for r in cadastre],
        "productive_ha": _dec([r[3] for r in cadastre], 12, 3),
        "season_id": pa.array([r[4] for r in cadastre], pa.string()),
    }, "part-00000.parquet")
    # A second file: integer client ids, FLOAT64 hectares, other column order.
    _write(root, "cadastre", {
        "season_id": pa.array([None, None], pa.string()),
        "productive_ha": pa.array([0.0078125, 33.3], pa.float64()),
        "activity": ["MAIZ", "SOJA"],
        "parcel_id": ["P1", "P1"],
        "client_id": pa.array([5, 6], pa.int64()),
    }, "part-00001.parquet")

    sales = [
        # document, line, client, date, type, status, amount, currency
        ("F01", 1, "7", "2025-07-01", "INVOICE", "VALID", "100.00", "USD"),      # season's first day
        ("F01", 2, "7", "2026-06-30", "INVOICE", "VALID", "50.00", None),        # last day; null currency
        ("F02", 1, "7", "2025-08-01", "CREDIT_NOTE", "VALID", "30.00", "USD"),
        ("F03", 1, "7", "2025-08-01", "DEBIT_NOTE", "VALID", "5.13", "USD"),
        ("F04", 1, "7", "2025-08-02", "INVOICE", "VOID", "999.00", "USD"),
        ("F05", 1, "7", "2025-06-30", "INVOICE", "VALID", "1.00", "USD"),        # 2024/25's last day
        ("F06", 1, "8", "2025-10-15", "INVOICE", "VALID", "10.00", "USD"),
        ("F07", 1, "8", "2025-10-16", "INVOICE", "VALID", "20.00", "USD"),
        ("F08", 1, "9", "2025-07-01", "INVOICE", "VALID", "1000.00", "PYG"),     # on the first rate date
        ("F08", 2, "9", "2025-07-06", "INVOICE", "VALID", "1000.00", "PYG"),     # rate of 2025-07-04
        ("F08", 3, "9", "2025-07-08", "INVOICE", "VALID", "1000.00", "PYG"),     # 07-07 rejected: 07-04
        ("F08", 4, "9", "2025-07-10", "INVOICE", "VALID", "45.00", "PYG"),       # 0.0045
        ("F08", 5, "9", "2025-07-10", "INVOICE", "VALID", "45.00", "PYG"),       # 0.0045
        ("F09", 1, "9", "2025-06-30", "INVOICE", "VALID", "1000.00", "PYG"),     # before any rate: rejected
        ("F10", 1, "9", "2025-09-01", "INVOICE", "VALID", "7.00", "USD"),        # a USD fx row is ignored
        ("F11", 1, "9", "2025-09-01", "CREDIT_NOTE", "VOID", "1.00", "BRL"),     # VOID, still validated
        ("F12", 1, "10", "2024-12-01", "INVOICE", "VALID", "6000.00", "USD"),
        ("F13", 1, "11", "2025-09-01", "INVOICE", "VALID", "10.00", "USD"),      # inactive client: valid row
        ("F14", 1, "13", "2025-09-01", "INVOICE", "VALID", "5.00", "USD"),
        ("F14", 2, "13", "2025-09-02", "CREDIT_NOTE", "VALID", "5.00", "USD"),
        ("F15", 1, "15", "2025-11-30", "INVOICE", "VALID", "4000.50", "USD"),
        ("F16", 1, "16", "2025-09-01", "CREDIT_NOTE", "VALID", "20.00", None),
        ("F16", 2, "16", "2025-09-01", "INVOICE", "VALID", "100.00", "ARS"),     # rate 0
        ("F17", 1, "1", "2025-09-01", "INVOICE", "VALID", "0.01", "USD"),
        (None, 1, "1", "2025-09-01", "INVOICE", "VALID", "1", "USD"),            # null document_id
        ("R01", None, "1", "2025-09-01", "INVOICE", "VALID", "1", "USD"),        # null line_no
        ("R02", 1, None, "2025-09-01", "INVOICE", "VALID", "1", "USD"),
        ("R03", 1, "1", None, "INVOICE", "VALID", "1", "USD"),
        ("R04", 1, "1", "2025-09-01", None, "VALID", "1", "USD"),
        ("R05", 1, "1", "2025-09-01", "INVOICE", None, "1", "USD"),
        ("R06", 1, "1", "2025-09-01", "INVOICE", "VALID", None, "USD"),
        ("R07", 1, "1", "2025-09-01", "PROFORMA", "VALID", "1", "USD"),
        ("R08", 1, "1", "2025-09-01", "INVOICE", "PENDING", "1", "USD"),
        ("R09", 1, "1", "2025-09-01", "invoice", "void", "1", "USD"),            # type comes first
        ("R10", 1, "1", "2025-09-01", "INVOICE", "VALID", "7.00", "USD"),        # duplicate key
        ("R10", 1, "1", "2025-09-01", "INVOICE", "VALID", None, "USD"),          # null amount first
        ("R11", 1, "404", "2025-09-01", "INVOICE", "VALID", "1", "BRL"),         # client before fx
        ("R12", 1, "1", "2025-09-01", "INVOICE", "VALID", "1", "BRL"),           # no accepted BRL rate
        ("R13", 1, "1", "2025-09-01", "INVOICE", "VALID", "1", "usd"),           # byte-wise: not USD
        ("R14", 1, "1", "2030-01-01", "INVOICE", "VALID", "1", "PYG"),           # future: accepted
    ]
    _write(root, "sales", {
        "document_id": [r[0] for r in sales],
        "line_no": pa.array([r[1] for r in sales], pa.int32()),
        "client_id": [r[2] for r in sales],
        "document_date": [_d(r[3]) for r in sales],
        "document_type": [r[4] for r in sales],
        "status": [r[5] for r in sales],
        "amount": _dec([r[6] for r in sales], 18, 2),
        "currency": [r[7] for r in sales],
    }, "part-00000.parquet")
    # Naive TIMESTAMP dates, FLOAT64 amounts, INT64 ids (the table's amounts become 6 decimals).
    _write(root, "sales", {
        "document_id": ["T01", "T01", "T02", "T03"],
        "line_no": pa.array([1, 2, 1, 1], pa.int64()),
        "client_id": pa.array([14, 14, 14, 14], pa.int64()),
        "document_date": pa.array([dt.datetime(2025, 12, 31, 23, 59, 59), dt.datetime(2026, 6, 30, 23, 0),
                                   dt.datetime(2026, 7, 1, 0, 0), dt.datetime(2025, 11, 1, 12, 0)],
                                  pa.timestamp("us")),
        "document_type": ["INVOICE", "INVOICE", "INVOICE", "DEBIT_NOTE"],
        "status": ["VALID"] * 4,
        "amount": pa.array([123.45, 0.0078125, 1000.0, -2.5], pa.float64()),
        "currency": ["USD", None, "USD", "USD"],
    }, "part-00001.parquet")
    # UTC TIMESTAMP dates and INT64 amounts.
    _write(root, "sales", {
        "document_id": ["T04"],
        "line_no": pa.array([1], pa.int64()),
        "client_id": ["14"],
        "document_date": pa.array([dt.datetime(2026, 3, 31, 23, 30)], pa.timestamp("ms", tz="UTC")),
        "document_type": ["INVOICE"],
        "status": ["VALID"],
        "amount": pa.array([1], pa.int64()),
        "currency": ["USD"],
    }, "part-00002.parquet")

    fx = [
        ("PYG", "2025-07-01", "0.0001"),
        ("PYG", "2025-07-04", "0.00011"),
        ("PYG", "2025-07-07", "0.5"),       # duplicate key
        ("PYG", "2025-07-07", "0.6"),       # duplicate key
        ("PYG", "2025-07-10", "0.0001"),
        ("USD", "2025-07-01", "2"),         # the base currency: ignored (fx is 1)
        ("ARS", "2025-01-01", "0"),         # a zero rate is accepted
        (None, "2025-07-01", "1"),          # null currency
        ("BRL", None, "1"),                 # null rate_date
        ("BRL", "2025-09-01", None),        # null rate_to_base
    ]
    _write(root, "fx_rates", {
        "currency": [r[0] for r in fx],
        "rate_date": [_d(r[1]) for r in fx],
        "rate_to_base": _dec([r[2] for r in fx], 18, 10),
    })

    campaigns = [
        # id, season, start, end, status, by_p, p_min, p_max, by_b, b_min, b_max
        ("K01", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, "0.13", "0.130", False, None, None),
        ("K02", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", False, None, None, True, None, "10"),
        ("K03", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", False, None, None, False, None, None),
        ("K04", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", False, "900", "1", True, "-1", "125.13"),
        ("K05", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, "900", "1", False, None, None),
        ("K06", "2099/00", "2025-07-01", "2026-06-30", "ACTIVE", True, "2", "1", True, "2", "1"),
        ("K07", "2024/25", "2025-10-15", "2025-10-15", "ACTIVE", True, "0", None, True, None, "10000"),
        ("K08", "2025/26", "2025-07-01", "2026-06-30", "PAUSED", False, None, None, False, None, None),
        ("K09", "2025/26", "2025-10-16", "2026-06-30", "ACTIVE", False, None, None, False, None, None),
        ("K10", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, "7000", "9000", True, "4000", "4001"),
        ("K11", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, None, None, True, None, None),
        ("K12", "2099/00", "2025-07-01", "2026-06-30", "ACTIVE", True, "1", "2", False, None, None),
        ("K13", None, "2025-07-01", "2026-06-30", "ACTIVE", False, None, None, False, None, None),
        ("K14", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", None, "5", "1", None, "5", "1"),
        ("K15", "2025/26", None, "2026-06-30", "ACTIVE", False, None, None, False, None, None),
        ("K16", "2025/26", "2025-07-01", "2026-06-30", "active", False, None, None, False, None, None),
        ("K17", "2026/27", "2026-01-01", "2026-12-31", "ACTIVE", True, "0.01", None, False, None, None),
        ("K18", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", False, None, None, True, "125.13", "125.13"),
        ("K19", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, "-0.13", "0", True, "-20", "0"),
        ("K20", "2025/26", "2025-07-01", "2026-06-30", "CANCELLED", True, "1", "2", True, "1", "2"),
        ("K21", "2024/25", "2024-07-01", "2025-06-30", "ACTIVE", True, "0.015", "2.005", True, None, "1.5"),
        ("K22", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, "9000", "7000", True, "1", "0"),
    ]
    _write(root, "campaigns", {
        "campaign_id": [r[0] for r in campaigns],
        "description": [f"Campaign {r[0]}" if r[0] != "K03" else None for r in campaigns],
        "season_id": [r[1] for r in campaigns],
        "start_date": [_d(r[2]) for r in campaigns],
        "end_date": [_d(r[3]) for r in campaigns],
        "status": [r[4] for r in campaigns],
        "by_potential": pa.array([r[5] for r in campaigns], pa.bool_()),
        "potential_min": _dec([r[6] for r in campaigns], 16, 3),
        "potential_max": _dec([r[7] for r in campaigns], 16, 3),
        "by_billing": pa.array([r[8] for r in campaigns], pa.bool_()),
        "billing_min": _dec([r[9] for r in campaigns], 16, 3),
        "billing_max": _dec([r[10] for r in campaigns], 16, 3),
    }, "part-00000.parquet")


# A minimal dataset: no fx_rates table at all, empty cadastre and rates tables
# (so every potential is 0 and the median of no value is 0), a table as a
# single file, money as INT64.
MINIMAL_DATES = ["2025-07-01", "2026-06-30"]


def write_minimal_dataset(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    # No `active` column (every client in scope); ids that sort differently by bytes and by locale.
    _write(root, "clients", {"client_id": ["a", "b", "c", "Ñandú", "Zeta"],
                             "name": ["A", "B", "C", "Ñandú S.A.", "Zeta"]})
    _write(root, "seasons", {
        "season_id": ["2025/26"], "name": ["Zafra 2025/26"],
        "start_date": [_d("2025-07-01")], "end_date": [_d("2026-06-30")],
    }, "part-00000.parquet")
    _write(root, "cadastre", {
        "client_id": pa.array([], pa.string()), "parcel_id": pa.array([], pa.string()),
        "activity": pa.array([], pa.string()), "productive_ha": pa.array([], pa.decimal128(12, 2)),
        "season_id": pa.array([], pa.string()),
    }, "part-00000.parquet")
    _write(root, "potential_rates", {
        "season_id": pa.array([], pa.string()), "activity": pa.array([], pa.string()),
        "amount_per_ha": pa.array([], pa.int64()),
    })
    _write(root, "sales", {
        "document_id": ["S1", "S2", "S3", "S4"],
        "line_no": ["1", "1", "1", "01"],
        "client_id": ["a", "b", "c", "a"],
        "document_date": [_d("2025-07-01"), _d("2025-07-02"), _d("2025-07-01"), _d("2026-06-30")],
        "document_type": ["INVOICE", "INVOICE", "INVOICE", "CREDIT_NOTE"],
        "status": ["VALID", "VALID", "VALID", "VALID"],
        "amount": pa.array([10, 5, 1, 3], pa.int64()),
        "currency": ["USD", None, "EUR", "USD"],                 # EUR: no fx table, rejected
    }, "part-00000.parquet")
    _write(root, "campaigns", {
        "campaign_id": ["M1", "M2", "m0"],
        "description": ["both, unbounded", "billing >= 0", "Campaña para todos"],
        "season_id": ["2025/26", "2025/26", "2025/26"],
        "start_date": [_d("2025-07-01")] * 3, "end_date": [_d("2026-06-30")] * 3,
        "status": ["ACTIVE", "ACTIVE", "ACTIVE"],
        "by_potential": [True, False, False], "potential_min": pa.array([None, None, None], pa.int64()),
        "potential_max": pa.array([None, None, None], pa.int64()),
        "by_billing": [True, True, False], "billing_min": pa.array([None, 0, None], pa.int64()),
        "billing_max": pa.array([None, None, None], pa.int64()),
    }, "part-00000.parquet")


# --------------------------------------------------------------------------
# Reading zafra's output and comparing
# --------------------------------------------------------------------------

def read_published(output_root: Path, table: str, date: str) -> pa.Table:
    """zafra's files of one table, each read on its own (no partition column), in byte-wise name order."""
    folder = output_root / table / f"snapshot_date={date}"
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".parquet")),
                   key=lambda p: p.name.encode())
    if not files:
        raise FileNotFoundError(f"no .parquet file in {folder}")
    parts = [pq.ParquetFile(f).read() for f in files]
    return pa.concat_tables(parts) if len(parts) > 1 else parts[0]


def _fmt(row: dict) -> str:
    return "{" + ", ".join(f"{k}={'null' if v is None else v}" for k, v in row.items()) + "}"


def compare(table: str, got: pa.Table, want: pa.Table, max_rows: int = 5,
            got_name: str = "zafra") -> list[str]:
    """The differences between `got_name`'s table (zafra's, or the benchmark
    peer's in bench/check_peer.py) and the reference's, readable; [] when equal."""
    side = f"{got_name}:".ljust(11)
    got_fields = [(f.name, str(f.type)) for f in got.schema]
    want_fields = [(f.name, str(f.type)) for f in want.schema]
    if got_fields != want_fields:
        return [f"{table}: schema differs\n    {side}{got_fields}\n    reference: {want_fields}"]
    got_rows, want_rows = got.to_pylist(), want.to_pylist()
    if got_rows == want_rows:
        return []
    out = [f"{table}: {len(got_rows)} rows from {got_name}, {len(want_rows)} from the reference"]
    shown = 0
    for i in range(max(len(got_rows), len(want_rows))):
        g = got_rows[i] if i < len(got_rows) else None
        w = want_rows[i] if i < len(want_rows) else None
        if g != w:
            out.append(f"  row {i}:\n    {side}{'(none)' if g is None else _fmt(g)}\n"
                       f"    reference: {'(none)' if w is None else _fmt(w)}")
            shown += 1
            if shown == max_rows:
                break
    # Rows present on one side only (by the table's sort key), the usual cause of a shift.
    key = reference.SORT_KEYS[table]
    got_keys = {tuple(r[k] for k in key) for r in got_rows}
    want_keys = {tuple(r[k] for k in key) for r in want_rows}
    only_got = sorted(got_keys - want_keys, key=str)[:max_rows]
    only_want = sorted(want_keys - got_keys, key=str)[:max_rows]
    if only_got:
        out.append(f"  keys only in {got_name}'s output (first {len(only_got)}): {only_got}")
    if only_want:
        out.append(f"  keys only in the reference (first {len(only_want)}): {only_want}")
    return out


def run_case(zafra: str, work: Path, dataset: str, input_root: Path, config: str,
             date: str, max_reject_ratio: str) -> tuple[bool, str]:
    """One (dataset, configuration, as-of date): zafra's snapshot against the reference's."""
    label = f"{dataset:<10} {config:<12} {date}"
    case = f"{dataset}-{config}-{date}"
    output_root = work / "out" / case          # a fresh output root per case (no idempotency case)
    if output_root.exists():
        shutil.rmtree(output_root)
    cfg = work / "config" / f"{case}.toml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    thresholds = CONFIGS[config]
    write_config(cfg, input_root, output_root, thresholds, max_reject_ratio)

    # The reference first: it also says whether zafra must refuse the input (exit 3).
    try:
        want, report = reference.compute_all(input_root, dt.date.fromisoformat(date), BASE_CURRENCY, thresholds)
        over = report.reject_ratio_exceeded(float(max_reject_ratio))
        expected_exit = 3 if over else 0
    except reference.InputError as e:
        want, report, over, expected_exit = None, None, [str(e)], 3

    command = [zafra, "run", "--config", str(cfg), "--as-of", date, "--output", str(output_root)]
    started = time.monotonic()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as e:
        stderr = (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return False, (f"DIFFER {label}: zafra did not finish in {RUN_TIMEOUT_SECONDS} s\n"
                       f"  command: {' '.join(command)}\n  stderr so far:\n"
                       + "\n".join("    " + line for line in stderr.strip().splitlines()[-40:]))
    seconds = time.monotonic() - started
    if seconds > SLOW_RUN_SECONDS:  # not a failure, but worth seeing
        print(f"note: {label}: zafra took {seconds:.0f} s; the end of its log:\n"
              + "\n".join("    " + line for line in proc.stderr.strip().splitlines()[-10:]), flush=True)
    if proc.returncode != expected_exit:
        return False, (f"DIFFER {label}: zafra exited {proc.returncode}, expected {expected_exit}"
                       + (f" (reference: {over})" if over else "")
                       + f"\n  command: {' '.join(command)}\n  stderr:\n"
                       + "\n".join("    " + line for line in proc.stderr.strip().splitlines()[-40:]))
    manifest = output_root / "_manifests" / f"snapshot_date={date}.json"
    if expected_exit != 0:
        if manifest.exists():
            return False, f"DIFFER {label}: zafra exited {proc.returncode} but published {manifest}"
        return True, f"agree  {label}  zafra refused the input as expected (exit 3: {over})"

    problems = []
    if not manifest.is_file():
        problems.append(f"no manifest {manifest}")
    counts = []
    for table in TABLES:
        try:
            got = read_published(output_root, table, date)
        except FileNotFoundError as e:
            problems.append(f"{table}: {e}")
            continue
        problems += compare(table, got, want[table])
        counts.append(f"{table}={want[table].num_rows}")
    if problems:
        return False, f"DIFFER {label}\n  " + "\n  ".join(p.replace("\n", "\n  ") for p in problems)
    rejects = sum(report.reject_counts.values())
    return True, f"agree  {label}  {' '.join(counts)}  (rejected rows {rejects}; zafra {seconds:.1f}s)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zafra", required=True, help="path to the zafra binary")
    ap.add_argument("--work", required=True, help="a scratch folder (inputs, configs, outputs)")
    ap.add_argument("--seeds", default="1,2,3", help="generator seeds (comma-separated)")
    ap.add_argument("--scale", default="0.01", help="generator scale")
    ap.add_argument("--dates", default="2026-03-31,2025-07-01,2025-06-30,2026-06-30",
                    help="as-of dates for the generated datasets")
    args = ap.parse_args()
    zafra = str(Path(args.zafra).resolve())
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)

    # (dataset name, input root, as-of dates, max_reject_ratio)
    datasets: list[tuple[str, Path, list[str], str]] = []
    for seed in [s for s in args.seeds.split(",") if s]:
        root = work / f"in-{seed}"
        if root.exists():
            shutil.rmtree(root)
        proc = subprocess.run([zafra, "generate", "--scale", args.scale, "--seed", seed, "--out", str(root)],
                              capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            print(f"DIFFER zafra generate --seed {seed} exited {proc.returncode}:\n{proc.stderr}")
            return 1
        datasets.append((f"gen-{seed}", root, args.dates.split(","), "0.01"))
    # The edge-case datasets reject many rows on purpose: no ratio limit for them.
    write_edge_dataset(work / "in-edge")
    datasets.append(("edge", work / "in-edge", EDGE_DATES, "1.0"))
    write_minimal_dataset(work / "in-minimal")
    datasets.append(("minimal", work / "in-minimal", MINIMAL_DATES, "1.0"))
    edge_cases.write(work / "in-edge-b")
    datasets.append(("edge-b", work / "in-edge-b", edge_cases.AS_OF_DATES, "1.0"))

    passed = failed = 0
    for name, root, dates, ratio in datasets:
        for config in CONFIGS:
            for date in dates:
                ok, message = run_case(zafra, work, name, root, config, date, ratio)
                print(message, flush=True)
                passed += ok
                failed += not ok
    print(f"differential: {passed} of {passed + failed} cases agree")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
