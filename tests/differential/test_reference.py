#!/usr/bin/env python3
"""Hand-computed checks of the reference implementation (no zafra needed).

    python3 tests/differential/test_reference.py

Each expected value below is worked out by hand from the contract and the
edge-case datasets of `run_differential.py`; the comments show the arithmetic.
Ends with the line `N passed, M failed` and exits non-zero on any failure.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import traceback
from decimal import ROUND_HALF_UP, Decimal as D
from pathlib import Path

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference  # noqa: E402
import run_differential as rd  # noqa: E402

WORK = Path(tempfile.mkdtemp(prefix="zafra-reference-test-"))
EDGE = WORK / "edge"
MINIMAL = WORK / "minimal"
rd.write_edge_dataset(EDGE)
rd.write_minimal_dataset(MINIMAL)

_cache: dict = {}


def run(root: Path, date: str, config: str = "median"):
    key = (root, date, config)
    if key not in _cache:
        _cache[key] = reference.compute_all(root, dt.date.fromisoformat(date), "USD", rd.CONFIGS[config])
    return _cache[key]


def seg(date: str, season: str, client: str, config: str = "median", root: Path = EDGE) -> dict | None:
    """The client_segments row of (season, client), or None."""
    rows = [r for r in run(root, date, config)[0]["client_segments"].to_pylist()
            if r["season_id"] == season and r["client_id"] == client]
    assert len(rows) <= 1
    return rows[0] if rows else None


def summary(date: str, campaign: str, config: str = "median", root: Path = EDGE) -> dict | None:
    rows = [r for r in run(root, date, config)[0]["campaign_summary"].to_pylist()
            if r["campaign_id"] == campaign]
    return rows[0] if rows else None


def members(date: str, campaign: str, config: str = "median") -> list[str]:
    return [r["client_id"] for r in run(EDGE, date, config)[0]["memberships"].to_pylist()
            if r["campaign_id"] == campaign]


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

def test_duckdb_cast_rounds_half_away_from_zero():
    """The reference's only rounding, CAST(x AS DECIMAL(38,2)), against Python's ROUND_HALF_UP."""
    rng = random.Random(7)
    con = duckdb.connect()
    for scale in (3, 4, 6, 12, 18, 24):
        values = []
        for _ in range(300):
            units = rng.randrange(-10**13, 10**13)
            if rng.random() < 0.3:  # force a tie: ...5 followed by zeros
                units = (units // 10**(scale - 2)) * 10**(scale - 2) + 5 * 10**(scale - 3)
            values.append(D(units).scaleb(-scale))
        got = [r[0] for r in con.execute(
            f"SELECT CAST(v AS DECIMAL(38,2)) FROM (SELECT unnest(?::DECIMAL(38,{scale})[]) AS v)",
            [values]).fetchall()]
        want = [v.quantize(D("0.01"), rounding=ROUND_HALF_UP) for v in values]
        assert got == want, f"scale {scale}: {[(v, g, w) for v, g, w in zip(values, got, want) if g != w][:3]}"
    assert con.execute("SELECT CAST(0.125 AS DECIMAL(38,2)), CAST(-0.125 AS DECIMAL(38,2))").fetchall() == \
        [(D("0.13"), D("-0.13"))]


def test_lower_median():
    m = reference.lower_median
    assert m([]) == D("0.00")
    assert m([D("0"), D("0.00")]) == D("0.00")                          # zeros do not count
    assert m([D("3"), D("1"), D("2")]) == D("2")                        # n = 3: position 2
    assert m([D("4"), D("1"), D("3"), D("2"), D("0")]) == D("2")        # n = 4: position 2
    assert m([D("-0.13"), D("5")]) == D("-0.13")                        # a negative potential counts


def test_thresholds_resolved_each_on_its_own():
    cfg = rd.CONFIGS["configured"]
    assert reference.resolve_thresholds(cfg, "2025/26", D("1")) == (D("8000"), D("4000.50"))
    assert reference.resolve_thresholds(cfg, "2024/25", D("1")) == (D("5000"), D("1.5"))
    assert reference.resolve_thresholds(rd.CONFIGS["billing-only"], "x", D("7")) == (D("7"), D("100"))
    assert reference.resolve_thresholds({}, "x", D("7")) == (D("7"), D("7"))  # both from the median
    try:
        reference.resolve_thresholds({"default": {"high_potential": D("1.005")}}, "x", D("0"))
    except reference.ConfigError:
        pass
    else:
        raise AssertionError("a threshold with 3 decimals must be a configuration error")


def test_float_is_rounded_from_its_exact_value():
    assert reference._round_float(0.0078125) == D("0.007813")     # an exact tie: away from zero
    assert reference._round_float(-0.0078125) == D("-0.007813")
    assert reference._round_float(33.3) == D("33.300000")
    assert reference._round_float(123.45) == D("123.450000")


# --------------------------------------------------------------------------
# Potential
# --------------------------------------------------------------------------

def test_potential_rounds_half_away_from_zero():
    assert seg("2026-03-31", "2025/26", "1")["potential"] == D("0.13")   # 0.005 ha x 25 = 0.125
    assert seg("2026-03-31", "2025/26", "4")["potential"] == D("-0.13")  # 0.005 ha x -25 = -0.125
    assert seg("2026-03-31", "2026/27", "4")["potential"] == D("0.01")   # 0.005 ha x '*' 1 = 0.005


def test_season_specific_parcel_replaces_generic():
    assert seg("2026-03-31", "2025/26", "2")["potential"] == D("70.01")  # TRIGO 7 x 10.001 = 70.007
    assert seg("2025-10-15", "2024/25", "2")["potential"] == D("20.00")  # generic MAIZ 10 x 2
    assert seg("2026-03-31", "2026/27", "2")["potential"] == D("10.00")  # MAIZ has no rate: '*' 1 x 10


def test_rejected_specific_row_falls_back_to_generic():
    # client 10: its 2025/26 row has a null productive_ha; the generic SOJA 2.4 ha x 25 applies
    assert seg("2026-03-31", "2025/26", "10")["potential"] == D("60.00")
    # client 9: the generic row is rejected (negative); only the 2025/26 row exists
    assert seg("2026-03-31", "2025/26", "9")["potential"] == D("50.00")
    r = seg("2026-03-31", "2026/27", "9")
    assert (r["potential"], r["has_cadastre"]) == (D("0.00"), False)


def test_star_rate_and_unpriced_parcels():
    assert seg("2026-03-31", "2025/26", "3")["potential"] == D("12.00")  # GANADERIA 3 x '*' 4
    r = seg("2025-10-15", "2024/25", "3")                                # 2024/25 has no '*': unpriced
    assert (r["potential"], r["has_cadastre"]) == (D("0.00"), True)
    r = seg("2025-10-15", "2024/25", "1")                                # both SOJA rates rejected
    assert (r["potential"], r["has_cadastre"]) == (D("0.00"), True)
    rep = run(EDGE, "2026-03-31")[1]
    assert rep.unpriced_parcels == 0
    # 2024/25 unpriced: 1 SOJA 0.005, 3 GANADERIA 3, 4 ALGODON 0.005, 6 SOJA 33.3, 7 SOJA 4,
    # 10 SOJA 2.4, 15 SOJA 320 -> 7 parcels, 362.71 ha
    rep = run(EDGE, "2025-10-15")[1]
    assert (rep.unpriced_parcels, rep.unpriced_hectares) == (7, D("362.71"))


def test_float_hectares():
    assert seg("2026-03-31", "2025/26", "5")["potential"] == D("0.78")   # 0.007813 x 100 = 0.7813
    assert seg("2025-10-15", "2024/25", "5")["potential"] == D("0.02")   # 0.007813 x 2 = 0.015626
    assert seg("2026-03-31", "2025/26", "6")["potential"] == D("832.50")  # 33.3 x 25


def test_zero_hectares_and_other_season_parcels():
    r = seg("2026-03-31", "2025/26", "8")  # its only parcel is for 2024/25
    assert (r["potential"], r["has_cadastre"]) == (D("0.00"), False)
    assert seg("2025-10-15", "2024/25", "8")["potential"] == D("2.00")
    assert seg("2026-03-31", "2025/26", "7")["potential"] == D("100.00")  # 4 x 25 + 0 ha
    assert seg("2026-03-31", "2025/26", "15")["potential"] == D("8000.00")  # 320 x 25; 1999/00 row unused


# --------------------------------------------------------------------------
# Billing
# --------------------------------------------------------------------------

def test_billing_signs_void_and_window():
    # client 7: 100 (season's first day) + 5.13 (debit) - 30 (credit); VOID 999 ignored;
    # the 50 of 2026-06-30 counts only from D = 2026-06-30; the 1.00 of 2025-06-30 is 2024/25's
    assert seg("2026-03-31", "2025/26", "7")["billing"] == D("75.13")
    assert seg("2026-06-30", "2025/26", "7")["billing"] == D("125.13")
    assert seg("2025-07-01", "2025/26", "7")["billing"] == D("100.00")
    assert seg("2025-06-30", "2024/25", "7")["billing"] == D("1.00")


def test_sale_on_d_counts_and_on_d_plus_1_does_not():
    assert seg("2025-10-15", "2025/26", "8")["billing"] == D("10.00")
    assert seg("2026-03-31", "2025/26", "8")["billing"] == D("30.00")


def test_fx_rate_of_the_latest_earlier_date_and_rounding_once():
    # 1000 x 0.0001 (07-01) + 1000 x 0.00011 (07-06 -> 07-04) + 1000 x 0.00011 (07-08: the
    # duplicated 07-07 rates are rejected -> 07-04) + 2 x 45 x 0.0001 (0.009) + 7 USD (fx 1,
    # the USD fx row is ignored) = 7.329 -> 7.33 (rounding each line would give 7.32)
    assert seg("2026-03-31", "2025/26", "9")["billing"] == D("7.33")
    assert seg("2025-07-01", "2025/26", "9")["billing"] == D("0.10")  # on the first rate date


def test_net_zero_negative_and_zero_rate_billing():
    r = seg("2026-03-31", "2025/26", "13")  # invoice 5, credit note 5
    assert (r["billing"], r["has_sales"]) == (D("0.00"), True)
    r = seg("2026-03-31", "2025/26", "16")  # credit note 20 (null currency), ARS 100 x 0
    assert (r["billing"], r["has_sales"]) == (D("-20.00"), True)


def test_timestamps_floats_and_integers_in_sales():
    # 123.45 (float, 2025-12-31 23:59:59) - 2.5 (float debit note amount) + 1 (int64, UTC
    # 2026-03-31 23:30 is on D) = 121.95
    assert seg("2026-03-31", "2025/26", "14")["billing"] == D("121.95")
    # + 0.007813 (float 0.0078125, 2026-06-30 23:00) = 121.957813; the 2026-07-01 sale is 2026/27's
    assert seg("2026-06-30", "2025/26", "14")["billing"] == D("121.96")
    assert seg("2026-07-01", "2026/27", "14")["billing"] == D("1000.00")


# --------------------------------------------------------------------------
# Scope, thresholds, segments
# --------------------------------------------------------------------------

def test_clients_in_scope():
    clients = {r["client_id"] for r in run(EDGE, "2026-03-31")[0]["client_segments"].to_pylist()}
    assert clients == {str(i) for i in range(1, 17)} - {"11"}   # 11 inactive, 10 null-active in scope
    r = seg("2026-03-31", "2025/26", "12")
    assert r == {"season_id": "2025/26", "client_id": "12", "potential": D("0.00"), "billing": D("0.00"),
                 "segment": "NO_INVERSION", "has_cadastre": False, "has_sales": False}


def test_seasons_in_scope():
    def seasons(date):
        return sorted({r["season_id"] for r in run(EDGE, date)[0]["client_segments"].to_pylist()})
    assert seasons("2025-06-30") == ["2024/25"]
    assert seasons("2025-07-01") == ["2025/26"]
    assert seasons("2025-10-15") == ["2024/25", "2025/26"]   # K07 (2024/25) is active that day only
    assert seasons("2026-03-31") == ["2025/26", "2026/27"]   # K17 (2026/27) is active
    assert seasons("2026-07-01") == ["2026/27"]


def test_median_thresholds():
    # 2025/26 non-zero potentials: -0.13 0.13 0.78 12 50 60 70.01 100 832.50 8000 -> n = 10, 5th = 50
    #   (not the 6th, 60, nor a mean, 55)
    # 2024/25: 0.02 2 20 -> n = 3, 2nd = 2;  2026/27: 0.01 0.01 0.04 3 10 16.80 28 233.10 2240 -> 5th = 10
    assert run(EDGE, "2025-10-15")[1].thresholds == {"2024/25": (D("2.00"), D("2.00")),
                                                     "2025/26": (D("50.00"), D("50.00"))}
    assert run(EDGE, "2026-03-31")[1].thresholds["2026/27"] == (D("10.00"), D("10.00"))
    assert run(MINIMAL, "2025-07-01")[1].thresholds == {"2025/26": (D("0.00"), D("0.00"))}  # n = 0


def test_segments():
    assert seg("2026-03-31", "2025/26", "9")["segment"] == "INVERSION"     # potential = median 50
    assert seg("2026-03-31", "2025/26", "3")["segment"] == "NO_INVERSION"  # 12 < 50
    assert seg("2026-03-31", "2025/26", "14")["segment"] == "REVISION"     # billing 121.95 >= 50
    assert seg("2026-03-31", "2025/26", "7")["segment"] == "RETENCION"     # 100 and 75.13
    assert seg("2026-03-31", "2025/26", "1")["segment"] == "NO_INVERSION"
    # configured: Tp 8000 (season override), Tb 4000.50 (default): 15 is exactly on both
    assert seg("2026-03-31", "2025/26", "15", "configured")["segment"] == "RETENCION"
    assert seg("2026-03-31", "2025/26", "7", "configured")["segment"] == "NO_INVERSION"
    # configured 2024/25: Tp 5000 (default), Tb 1.5 (season override); 7 billed 1.00, 10 billed 6000
    assert seg("2025-06-30", "2024/25", "10", "configured")["segment"] == "REVISION"
    assert seg("2025-06-30", "2024/25", "7", "configured")["segment"] == "NO_INVERSION"
    # billing-only: Tp = median 50, Tb = 100: 7 (100, 75.13) is INVERSION
    assert seg("2026-03-31", "2025/26", "7", "billing-only")["segment"] == "INVERSION"
    # all thresholds 0 with no potential: everyone is high on both (0 >= 0), even the rejected-EUR client
    assert {r["segment"] for r in run(MINIMAL, "2025-07-01")[0]["client_segments"].to_pylist()} == {"RETENCION"}


# --------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------

def test_active_campaigns():
    def ids(date):
        return [r["campaign_id"] for r in run(EDGE, date)[0]["campaign_summary"].to_pylist()]
    # K08 PAUSED, K15 null start, K16 'active', K20 CANCELLED never; K09 from 2025-10-16; K07 on 2025-10-15
    assert ids("2025-10-15") == ["K01", "K02", "K03", "K04", "K05", "K06", "K07", "K10", "K11", "K12",
                                 "K13", "K14", "K18", "K19", "K22"]
    assert ids("2026-03-31") == ["K01", "K02", "K03", "K04", "K05", "K06", "K09", "K10", "K11", "K12",
                                 "K13", "K14", "K17", "K18", "K19", "K22"]
    assert ids("2025-06-30") == ["K21"]


def test_status_notes_and_labels():
    s = summary("2026-03-31", "K06")
    assert s["status_note"] == "unknown season; potential_min > potential_max; billing_min > billing_max"
    assert (s["label"], s["members"], s["potential_total"]) == (None, 0, D("0.00"))
    s = summary("2026-03-31", "K05")
    assert (s["status_note"], s["label"], s["members"]) == ("potential_min > potential_max", "SOLO_POTENCIAL", 0)
    s = summary("2026-03-31", "K04")  # potential bounds inverted but by_potential is false
    assert (s["status_note"], s["label"]) == (None, "SOLO_FACTURACION")
    assert (summary("2026-03-31", "K12")["status_note"], summary("2026-03-31", "K12")["label"]) == \
        ("unknown season", "SOLO_POTENCIAL")
    assert (summary("2026-03-31", "K13")["status_note"], summary("2026-03-31", "K13")["label"]) == \
        ("unknown season", "TODOS")   # a null season_id is an unknown season
    assert summary("2026-03-31", "K14")["label"] == "TODOS"   # null flags are false
    assert summary("2026-03-31", "K03")["description"] is None
    # K10: midpoints 8000 and 4000.5, exactly the configured thresholds -> RETENCION
    assert summary("2026-03-31", "K10", "configured")["label"] == "RETENCION"
    assert summary("2026-03-31", "K10", "median")["label"] == "RETENCION"
    # K11: all bounds null -> midpoints 0, 0: below the medians, but >= the minimal dataset's 0
    assert summary("2026-03-31", "K11")["label"] == "NO_INVERSION"
    assert summary("2025-07-01", "M1", root=MINIMAL)["label"] == "RETENCION"
    # K19: midpoints -0.065 and -10 -> NO_INVERSION; K07: (0+0)/2 < 2, (10000+10000)/2 >= 2 -> REVISION
    assert summary("2026-03-31", "K19")["label"] == "NO_INVERSION"
    assert summary("2025-10-15", "K07")["label"] == "REVISION"
    # K22: both ranges inverted: two notes, no member, but still a label from the midpoints
    # (9000+7000)/2 = 8000 >= 50 and (1+0)/2 = 0.5 < 50 -> INVERSION
    s = summary("2026-03-31", "K22")
    assert (s["status_note"], s["label"], s["members"]) == \
        ("potential_min > potential_max; billing_min > billing_max", "INVERSION", 0)


def test_members_and_totals():
    assert members("2026-03-31", "K01") == ["1"]                    # [0.13, 0.130] inclusive
    assert members("2026-06-30", "K18") == ["7"]                    # billing exactly 125.13
    assert members("2026-03-31", "K18") == []
    # K19: potential in [-0.13, 0] and billing in [-20, 0]: 4 (-0.13, 0), 12 (0, 0), 16 (0, -20);
    # 8 (0, 30) is out, 13 (0, 0) is in
    assert set(members("2026-03-31", "K19")) == {"4", "12", "13", "16"}
    # K02: billing <= 10: 1 2 3 4 5 6 9 10 12 13 16; totals 0.01 + 7.33 - 20 = -12.66
    s = summary("2026-03-31", "K02")
    assert (s["members"], s["billing_total"]) == (11, D("-12.66"))
    assert members("2025-06-30", "K21") == ["5", "8"]               # potentials 0.02 and 2.00 in [0.015, 2.005]
    assert summary("2026-03-31", "K14")["members"] == 15            # every client in scope
    rows = run(EDGE, "2026-03-31")[0]["memberships"].to_pylist()
    assert [(r["campaign_id"], r["client_id"]) for r in rows] == \
        sorted((r["campaign_id"], r["client_id"]) for r in rows)    # sorted byte-wise ("10" < "2")


# --------------------------------------------------------------------------
# Rejects
# --------------------------------------------------------------------------

EXPECTED_REJECTS = [
    ("cadastre", "10|P1|2025/26", "null productive_ha"),
    ("cadastre", "13|P1|<null>", "duplicate key"),
    ("cadastre", "13|P1|<null>", "null activity"),
    ("cadastre", "13|P2|2025/26", "duplicate key"),
    ("cadastre", "13|P2|2025/26", "duplicate key"),
    ("cadastre", "1|<null>|<null>", "null parcel_id"),
    ("cadastre", "1|P3|<null>", "null activity"),
    ("cadastre", "1|P4|<null>", "null productive_ha"),
    ("cadastre", "1|P5|<null>", "duplicate key"),
    ("cadastre", "1|P5|<null>", "negative productive_ha"),
    ("cadastre", "404|P1|<null>", "unknown client_id"),
    ("cadastre", "404|P2|2025/26", "negative productive_ha"),
    ("cadastre", "9|P1|<null>", "negative productive_ha"),
    ("cadastre", "<null>|P1|<null>", "null client_id"),
    ("fx_rates", "<null>|2025-07-01", "null currency"),
    ("fx_rates", "BRL|2025-09-01", "null rate_to_base"),
    ("fx_rates", "BRL|<null>", "null rate_date"),
    ("fx_rates", "PYG|2025-07-07", "duplicate key"),
    ("fx_rates", "PYG|2025-07-07", "duplicate key"),
    ("potential_rates", "2024/25|SOJA", "duplicate key"),
    ("potential_rates", "2024/25|SOJA", "duplicate key"),
    ("potential_rates", "2025/26|<null>", "null activity"),
    ("potential_rates", "2026/27|MAIZ", "null amount_per_ha"),
    ("potential_rates", "<null>|SOJA", "null season_id"),
    ("potential_rates", "<null>|SOJA", "null season_id"),
    ("sales", "<null>|1", "null document_id"),
    ("sales", "F09|1", "no fx rate"),        # PYG before the first PYG rate
    ("sales", "F11|1", "no fx rate"),        # VOID rows are validated too
    ("sales", "R01|<null>", "null line_no"),
    ("sales", "R02|1", "null client_id"),
    ("sales", "R03|1", "null document_date"),
    ("sales", "R04|1", "null document_type"),
    ("sales", "R05|1", "null status"),
    ("sales", "R06|1", "null amount"),
    ("sales", "R07|1", "unknown document_type"),
    ("sales", "R08|1", "unknown status"),
    ("sales", "R09|1", "unknown document_type"),
    ("sales", "R10|1", "duplicate key"),
    ("sales", "R10|1", "null amount"),
    ("sales", "R11|1", "unknown client_id"),
    ("sales", "R12|1", "no fx rate"),
    ("sales", "R13|1", "no fx rate"),
]


def test_rejects():
    tables, rep = run(EDGE, "2026-03-31")
    got = [(r["table_name"], r["row_key"], r["reason"]) for r in tables["rejects"].to_pylist()]
    assert got == EXPECTED_REJECTS, "\n".join(map(str, got))
    assert rep.reject_counts == {"cadastre": 14, "sales": 17, "potential_rates": 6, "fx_rates": 5}
    assert rep.reject_ratio_exceeded(1.0) == []
    assert rep.reject_ratio_exceeded(0.01) == ["cadastre", "sales", "potential_rates", "fx_rates"]
    # rejects do not depend on D
    assert run(EDGE, "2025-06-30")[0]["rejects"].equals(tables["rejects"])
    minimal = run(MINIMAL, "2026-06-30")[0]["rejects"].to_pylist()
    assert minimal == [{"table_name": "sales", "row_key": "S3|1", "reason": "no fx rate"}]  # no fx table


def test_minimal_dataset_billing():
    # a: 10 (2025-07-01) - 3 (credit note, 2026-06-30); string line_no "01" is another key than "1"
    assert seg("2025-07-01", "2025/26", "a", root=MINIMAL)["billing"] == D("10.00")
    assert seg("2026-06-30", "2025/26", "a", root=MINIMAL)["billing"] == D("7.00")
    # b: 5 with a null currency, dated 2025-07-02: after D = 2025-07-01
    r = seg("2025-07-01", "2025/26", "b", root=MINIMAL)
    assert (r["billing"], r["has_sales"]) == (D("0.00"), False)
    assert seg("2026-06-30", "2025/26", "b", root=MINIMAL)["billing"] == D("5.00")


def test_published_schemas():
    tables, _ = run(EDGE, "2026-03-31")
    for name, table in tables.items():
        assert table.schema.equals(reference.PUBLISHED[name]), (name, table.schema)
    assert tables["campaign_summary"].schema.field("members").type == pa.int64()


def test_driver_compare_reports_differences():
    want = run(EDGE, "2026-03-31")[0]["client_segments"]
    assert rd.compare("client_segments", want, want) == []
    changed = want.set_column(2, "potential", pa.array(
        [D("0.12")] + want.column("potential").to_pylist()[1:], pa.decimal128(38, 2)))
    out = rd.compare("client_segments", changed, want)
    assert out and "row 0" in "\n".join(out)
    out = rd.compare("client_segments", want.slice(1), want)
    assert out and "keys only in the reference" in "\n".join(out)
    out = rd.compare("client_segments", want.cast(pa.schema(
        [f.with_type(pa.large_string()) if f.type == pa.string() else f for f in want.schema])), want)
    assert out and "schema" in out[0]


# --------------------------------------------------------------------------

def main() -> int:
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, fn in tests:
        try:
            fn()
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
