"""A hand-made dataset on the contract's boundaries, for the differential test.

Every case below is a boundary of a contract rule; both implementations must
agree on every one of them at each date of AS_OF_DATES (season start, end, a
date inside, the day before a season).
"""
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

AS_OF_DATES = ["2025-07-01", "2025-10-15", "2026-06-30", "2025-06-30"]


def d(s):
    return dt.date.fromisoformat(s)


def write(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)

    def table(name, columns, file="part-00000.parquet"):
        (root / name).mkdir(exist_ok=True)
        pq.write_table(pa.table(columns), root / name / file)

    # clients: integer ids in this table (read as text "1", …); 9 inactive, 10 null-active.
    table("clients", {
        "client_id": pa.array(list(range(1, 13)), pa.int64()),
        "name": [f"c{i}" for i in range(1, 13)],
        "active": [True, True, True, True, True, True, True, True, False, None, True, True],
        "extra_column": ["ignored"] * 12,
    })
    table("seasons", {
        "season_id": ["2024/25", "2025/26", "2026/27"],
        "name": ["a", "b", "c"],
        "start_date": [d("2024-07-01"), d("2025-07-01"), d("2026-07-01")],
        "end_date": [d("2025-06-30"), d("2026-06-30"), d("2027-06-30")],
    })
    ha = pa.decimal128(12, 3)
    # Client 8 in 2025/26: 320 ha × 25 = 8000.00 = the configured high_potential
    # and billing 8000.00 >= 4000.50: RETENCION exactly on the boundary.
    # cadastre in two files: DECIMAL(12,3) and FLOAT64 hectares (widened to 6 decimals).
    table("cadastre", {
        "client_id": ["1", "1", "1", "2", "3", "4", "5", "6", "6", "6", "9", "7", "404", "8", None, "8"],
        "parcel_id": ["P1", "P2", "P2", "P1", "P1", "P1", "P1", "P1", "P1", "P2", "P1", "P1", "P1", "P1", "P9", "P2"],
        "activity": ["SOJA", "MAIZ", "TRIGO", "FORESTAL", "GANADERIA", "SOJA", "SOJA", "SOJA", "SOJA", "SOJA",
                     "SOJA", None, "SOJA", "SOJA", "SOJA", "SOJA"],
        "productive_ha": pa.array([D("10"), D("5"), D("7"), D("2.5"), D("3"), D("0.005"), D("-1"), D("4"), D("4"),
                                   D("0"), D("1000"), D("1"), D("1"), D("320"), D("1"), D("200")], ha),
        "season_id": [None, None, "2025/26", None, None, None, None, None, None, "2024/25", None, None, None,
                      "2025/26", None, "2024/25"],
    })
    pq.write_table(pa.table({
        "client_id": ["11", "12"],
        "parcel_id": ["P1", "P1"],
        "activity": ["MAIZ", "SOJA"],
        "productive_ha": pa.array([1.2345675, 33.3], pa.float64()),
        "season_id": pa.array([None, None], pa.string()),
    }), root / "cadastre" / "part-00001.parquet")
    rate = pa.decimal128(10, 3)
    table("potential_rates", {
        "season_id": ["2025/26", "2025/26", "2025/26", "2025/26", "2024/25", "2024/25", "2024/25", "2026/27", "2026/27"],
        "activity": ["SOJA", "TRIGO", "MAIZ", "*", "SOJA", "MAIZ", "MAIZ", "SOJA", None],
        "amount_per_ha": pa.array([D("25"), D("10.001"), D("1000"), D("4"), D("1"), D("2"), D("3"), D("7"), D("1")], rate),
    })
    money = pa.decimal128(18, 2)
    rows = [
        # id, line, client, date, type, status, amount, currency
        ("F1", 1, "1", "2025-07-01", "INVOICE", "VALID", "100.00", "USD"),       # season start
        ("F1", 2, "1", "2026-06-30", "INVOICE", "VALID", "50.00", None),         # season end, null currency
        ("F2", 1, "1", "2025-08-01", "CREDIT_NOTE", "VALID", "30.00", "USD"),
        ("F3", 1, "1", "2025-08-01", "DEBIT_NOTE", "VALID", "5.125", "USD"),      # amount rounds? stored 2dp
        ("F4", 1, "1", "2025-08-02", "INVOICE", "VOID", "999.00", "USD"),
        ("F5", 1, "2", "2025-10-15", "INVOICE", "VALID", "10.00", "USD"),        # on D (2025-10-15)
        ("F6", 1, "2", "2025-10-16", "INVOICE", "VALID", "20.00", "USD"),        # D + 1
        ("F7", 1, "3", "2025-07-01", "INVOICE", "VALID", "1000.00", "PYG"),      # on the first rate date
        ("F8", 1, "3", "2025-06-30", "INVOICE", "VALID", "1000.00", "PYG"),      # before it: no fx rate
        ("F9", 1, "3", "2025-07-06", "INVOICE", "VALID", "1000.00", "PYG"),      # Sunday: Friday's rate
        ("F10", 1, "4", "2025-09-01", "CREDIT_NOTE", "VALID", "0.125", "USD"),   # -0.125 -> -0.13 (stored -0.13?)
        ("F11", 1, "4", "2025-09-01", "INVOICE", "VALID", "0.00", "USD"),        # has_sales with net 0
        ("F12", 1, "404", "2025-09-01", "INVOICE", "VALID", "1.00", "USD"),      # unknown client
        ("F13", 1, "5", "2025-09-01", "PROFORMA", "VALID", "1.00", "USD"),
        ("F14", 1, "5", "2025-09-01", "INVOICE", "PENDING", "1.00", "USD"),
        ("F15", 1, "5", "2025-09-01", "INVOICE", "VALID", "7.00", "USD"),        # duplicated key ...
        ("F15", 1, "5", "2025-09-01", "INVOICE", "VALID", None, "USD"),          # ... one also null amount
        ("F16", 1, "6", "2025-09-01", "INVOICE", "VALID", "10.00", "BRL"),       # no rate for BRL
        ("F17", 1, "9", "2025-09-01", "INVOICE", "VALID", "10.00", "USD"),       # inactive client: valid row
        ("F18", 1, "10", "2024-12-01", "INVOICE", "VALID", "6000.00", "USD"),    # null-active, other season
        ("F19", 1, "7", "2025-11-30", "INVOICE", "VALID", "4000.50", "USD"),     # = configured Tb
        ("F20", 1, "8", "2025-11-30", "INVOICE", "VALID", "8000.00", "USD"),
    ]
    table("sales", {
        "document_id": [r[0] for r in rows],
        "line_no": pa.array([r[1] for r in rows], pa.int32()),
        "client_id": [r[2] for r in rows],
        "document_date": [d(r[3]) for r in rows],
        "document_type": [r[4] for r in rows],
        "status": [r[5] for r in rows],
        "amount": pa.array([None if r[6] is None else D(r[6]).quantize(D("0.01")) for r in rows], money),
        "currency": [r[7] for r in rows],
    })
    # A second sales file with TIMESTAMP dates.
    pq.write_table(pa.table({
        "document_id": ["T1"],
        "line_no": pa.array([1], pa.int32()),
        "client_id": ["12"],
        "document_date": pa.array([dt.datetime(2025, 12, 31, 23, 59, 59)], pa.timestamp("us")),
        "document_type": ["INVOICE"],
        "status": ["VALID"],
        "amount": pa.array([D("123.45")], money),
        "currency": ["USD"],
    }), root / "sales" / "part-00001.parquet")
    fx = pa.decimal128(18, 10)
    pq.write_table(pa.table({
        "currency": ["PYG", "PYG", "PYG", "PYG", "USD"],
        "rate_date": [d("2025-07-01"), d("2025-07-04"), d("2025-07-07"), d("2025-07-07"), d("2025-07-01")],
        "rate_to_base": pa.array([D("0.0001"), D("0.00011"), D("0.5"), D("0.6"), D("2")], fx),
    }), root / "fx_rates.parquet")
    bound = pa.decimal128(14, 2)
    k = [
        # id, season, start, end, status, by_p, pmin, pmax, by_b, bmin, bmax
        ("K01", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, "320.01", "320.01", False, None, None),
        ("K02", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, None, "12", True, "0", None),
        ("K03", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", False, None, None, False, None, None),
        ("K04", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", False, "900", "1", True, "-1", "4000.50"),
        ("K05", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, "900", "1", False, None, None),
        ("K06", "2099/00", "2025-07-01", "2026-06-30", "ACTIVE", True, "1", "2", True, "1", "2"),
        ("K07", "2024/25", "2025-10-15", "2025-10-15", "ACTIVE", True, "0", None, True, None, "10000"),
        ("K08", "2025/26", "2025-07-01", "2026-06-30", "PAUSED", False, None, None, False, None, None),
        ("K09", "2025/26", "2025-10-16", "2026-06-30", "ACTIVE", False, None, None, False, None, None),
        ("K10", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, None, "9000", True, "8000", None),
        ("K11", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, None, None, True, None, None),
        ("K12", "2099/00", "2025-07-01", "2026-06-30", "ACTIVE", True, "1", "2", False, None, None),
        ("K13", "2025/26", "2025-07-01", "2026-06-30", "ACTIVE", True, "5", "1", True, "9", "3"),
    ]
    table("campaigns", {
        "campaign_id": [r[0] for r in k],
        "description": [f"campaign {r[0]}" for r in k],
        "season_id": [r[1] for r in k],
        "start_date": [d(r[2]) for r in k],
        "end_date": [d(r[3]) for r in k],
        "status": [r[4] for r in k],
        "by_potential": [r[5] for r in k],
        "potential_min": pa.array([None if r[6] is None else D(r[6]) for r in k], bound),
        "potential_max": pa.array([None if r[7] is None else D(r[7]) for r in k], bound),
        "by_billing": [r[8] for r in k],
        "billing_min": pa.array([None if r[9] is None else D(r[9]) for r in k], bound),
        "billing_max": pa.array([None if r[10] is None else D(r[10]) for r in k], bound),
        # Contact priority as INT32 (read as INT64): ties (K02, K03 at 1),
        # nulls (after every numbered one), a negative one.
        "priority": pa.array([None, 1, 1, 5, None, 0, -3, None, None, 2, None, None, None],
                             pa.int32()),
    })
