"""Headless-browser check of zafra's HTML report.

    python3 tests/browser/check_report.py --report REPORT.html \
        --snapshot-root OUT_ROOT --date YYYY-MM-DD --screenshot SHOT.png \
        [--previous-date YYYY-MM-DD]

The report is opened from disk in Debian's Chromium (headless, through the
Playwright package). The page must load with no console error or warning, no
uncaught exception and no request for anything but its own file and `data:`
URLs. Every element carrying `data-check="KEY"` states one figure in its
`data-value` attribute, and its visible text must show that same figure
(Spanish grouping and decimal marks tolerated: "1.234,50" shows "1234.50").

The rule: the page's numbers are compared with pyarrow's reading of the
committed snapshot (OUT_ROOT/<table>/snapshot_date=<DATE>/*.parquet), never
with zafra's own computation. Sums of money are exact (`decimal.Decimal`) and
written with two decimals. When the snapshot's manifest exists, each folder
must hold exactly the files it commits (an uncommitted run's leftovers would
otherwise be counted). The keys the page must hold, exactly, are those
with the prefixes in PREFIXES (see `expected_values`); keys with other
prefixes are ignored.

Prints a JSON summary; exit 0 when everything matches, 1 when the page fails
the check, 2 when the check itself cannot run (missing file, bad snapshot).
"""

import argparse
import datetime
import decimal
import json
import re
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SEGMENTS = ("RETENCION", "INVERSION", "REVISION", "NO_INVERSION")
PREFIXES = ("seg|", "camp|", "overlap|", "rejects|", "contact|", "migration|", "changes|",
            "unpriced|")
CHROMIUM = "/usr/bin/chromium"
# Sums of DECIMAL(38,2) need more than the default 28 significant digits.
decimal.getcontext().prec = 80
decimal.getcontext().traps[decimal.Inexact] = True


class CheckError(Exception):
    """The check cannot run (exit 2)."""


def read_rows(root, table, date, columns):
    """All rows of one table of a snapshot, as dicts (Decimal for money)."""
    folder = root / table / f"snapshot_date={date}"
    if not folder.is_dir():
        raise CheckError(f"missing snapshot folder {folder}")
    files = sorted(folder.glob("*.parquet"))
    manifest = root / "_manifests" / f"snapshot_date={date}.json"
    if manifest.is_file():  # the folder must hold exactly the committed files
        listed = {root / o["path"] for o in json.loads(manifest.read_text())["outputs"]
                  if o["table"] == table}
        if set(files) != listed:
            raise CheckError(f"{folder} holds {sorted(map(str, files))}, but "
                             f"{manifest} commits {sorted(map(str, listed))}")
    if not files:
        return []
    data = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    absent = [c for c in columns if c not in data.column_names]
    if absent:
        raise CheckError(f"{folder}: no column(s) {absent}")
    return data.select(columns).to_pylist()


def segments(root, date, columns):
    """client_segments rows; a segment outside SEGMENTS is a bad snapshot."""
    rows = read_rows(root, "client_segments", date, columns)
    unknown = {r["segment"] for r in rows} - set(SEGMENTS)
    if unknown:
        raise CheckError(f"client_segments of {date}: unknown segment(s) {sorted(map(str, unknown))}")
    return rows


def money(value):
    """Exact two-decimal text: 1234.50, 0.00, -3.10."""
    value = Decimal(value).quantize(Decimal("0.01"))
    return f"{abs(value) if value == 0 else value:f}"


def text(value):
    return "NONE" if value is None else str(value)


def expected_values(root, date, previous):
    """KEY -> expected data-value, from the snapshot's Parquet files only."""
    expected = {}

    def put(key, value):
        if expected.setdefault(key, value) != value:
            raise CheckError(f"key {key} has two values: {expected[key]!r} and {value!r}")

    segs = segments(root, date, ["season_id", "client_id", "potential", "billing", "segment"])
    for season in sorted({text(r["season_id"]) for r in segs}):
        for segment in SEGMENTS:
            rows = [r for r in segs if text(r["season_id"]) == season and r["segment"] == segment]
            put(f"seg|{season}|{segment}|clients", str(len(rows)))
            for col in ("potential", "billing"):
                total = sum((r[col] for r in rows if r[col] is not None), Decimal(0))
                put(f"seg|{season}|{segment}|{col}", money(total))

    summary = read_rows(root, "campaign_summary", date,
                        ["campaign_id", "members", "potential_total", "billing_total"])
    for r in summary:
        put(f"camp|{text(r['campaign_id'])}|members", text(r["members"]))
        for col in ("potential_total", "billing_total"):
            value = r[col]
            put(f"camp|{text(r['campaign_id'])}|{col}", text(value) if value is None else money(value))

    for r in read_rows(root, "campaign_overlap", date, ["campaign_id", "other_campaign_id", "shared"]):
        put(f"overlap|{text(r['campaign_id'])}|{text(r['other_campaign_id'])}|shared", text(r["shared"]))

    rejects = read_rows(root, "rejects", date, ["table_name", "reason"])
    for (table, reason), n in Counter((text(r["table_name"]), text(r["reason"])) for r in rejects).items():
        put(f"rejects|{table}|{reason}|rows", str(n))

    # Unpriced hectares per season and activity are in the manifest (not a
    # Parquet table); their sum must be the manifest's total.
    manifest = json.loads((root / "_manifests" / f"snapshot_date={date}.json").read_text())
    unpriced = manifest.get("unpriced_by_activity", [])
    if unpriced and sum(Decimal(u["hectares"]) for u in unpriced) != Decimal(manifest["unpriced_hectares"]):
        raise CheckError("the manifest's unpriced hectares per activity do not add up to its total")
    for u in unpriced:
        put(f"unpriced|{u['season_id']}|{u['activity']}|hectares", u["hectares"])
        put(f"unpriced|{u['season_id']}|{u['activity']}|clients", str(u["clients"]))

    plan = read_rows(root, "contact_plan", date, ["primary_campaign_id"])
    for campaign, n in Counter(text(r["primary_campaign_id"]) for r in plan).items():
        put(f"contact|{campaign}|clients", str(n))

    if previous:
        def segment_of(day):
            rows = segments(root, day, ["season_id", "client_id", "segment"])
            return {(text(r["season_id"]), text(r["client_id"])): text(r["segment"]) for r in rows}
        before, after = segment_of(previous), segment_of(date)
        moves = Counter((k[0], before.get(k, "NONE"), after.get(k, "NONE")) for k in before.keys() | after.keys())
        for (season, old, new), n in moves.items():
            put(f"migration|{season}|{old}|{new}|clients", str(n))

        def members_of(day):
            rows = read_rows(root, "memberships", day, ["campaign_id", "client_id"])
            return {(text(r["campaign_id"]), text(r["client_id"])) for r in rows}
        was, now = members_of(previous), members_of(date)
        campaigns = {c for c, _ in was | now}
        campaigns |= {text(r["campaign_id"]) for r in summary}
        campaigns |= {text(r["campaign_id"]) for r in read_rows(root, "campaign_summary", previous, ["campaign_id"])}
        for campaign in campaigns:
            put(f"changes|{campaign}|joined", str(sum(1 for c, _ in now - was if c == campaign)))
            put(f"changes|{campaign}|left", str(sum(1 for c, _ in was - now if c == campaign)))
    return expected


def shows(visible, value):
    """Does the visible text show data-value? Labels (with letters): verbatim.
    Numbers: the same sign and digits once spaces, '.', ',' and '€' are
    dropped, a Unicode minus read as '-' and a leading '+' as no sign."""
    visible, value = visible.strip(), value.strip()
    if re.search(r"[^\W\d_]", value):
        return visible == value

    def digits(s):
        return re.sub(r"[\s.,€]", "", s.replace("\u2212", "-")).removeprefix("+")
    return digits(visible) == digits(value)


def read_page(report, screenshot):
    """Load the report; return (data-check elements, console, page errors, requests)."""
    from playwright.sync_api import sync_playwright

    own_url = report.as_uri()
    console, page_errors, requests = [], [], []

    def foreign(url):
        return url != own_url and not url.startswith("data:")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1,
                                      locale="es-ES", timezone_id="UTC")
        context.route(foreign, lambda route: route.abort())  # record, never fetch
        page = context.new_page()

        def on_console(m):
            if m.type in ("error", "warning"):
                where = f"{m.location.get('url', '')}:{m.location.get('lineNumber', '')}"
                console.append(f"{m.type}: {m.text} ({where})")

        def on_request(r):
            if foreign(r.url):
                requests.append(f"{r.method} {r.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        page.on("request", on_request)
        page.on("websocket", lambda w: requests.append(f"websocket {w.url}"))
        page.goto(own_url, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(250)  # late console messages
        elements = page.eval_on_selector_all(
            "[data-check]",
            "els => els.map(e => [e.getAttribute('data-check'), e.getAttribute('data-value'),"
            " e.innerText ?? e.textContent])")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return elements, console, page_errors, requests


def iso_date(s):
    return datetime.date.fromisoformat(s).isoformat()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report", type=Path, required=True)
    ap.add_argument("--snapshot-root", type=Path, required=True)
    ap.add_argument("--date", type=iso_date, required=True)
    ap.add_argument("--previous-date", type=iso_date)
    ap.add_argument("--screenshot", type=Path, required=True)
    args = ap.parse_args()

    report, root = args.report.resolve(), args.snapshot_root.resolve()
    if not report.is_file():
        raise CheckError(f"no report file {report}")
    if not Path(CHROMIUM).is_file():
        raise CheckError(f"{CHROMIUM} missing (apt-get install chromium)")
    expected = expected_values(root, args.date, args.previous_date)
    elements, console, page_errors, requests = read_page(report, args.screenshot.resolve())

    checked, mismatches, seen = 0, [], set()
    for key, value, visible in elements:
        if not key.startswith(PREFIXES) or key not in expected:
            continue
        checked += 1
        seen.add(key)
        if value != expected[key]:
            mismatches.append(f"{key}: data-value {value!r}, snapshot says {expected[key]!r}")
        elif not shows(visible, value):
            mismatches.append(f"{key}: visible text {visible.strip()!r} does not show {value!r}")
    unexpected = [f"{k} = {v!r}" for k, v, _ in elements if k.startswith(PREFIXES) and k not in expected]
    missing = [f"{k} (expected {v!r})" for k, v in sorted(expected.items()) if k not in seen]

    summary = {"checked": checked, "console_errors": console, "page_errors": page_errors,
               "requests": requests, "mismatches": mismatches, "missing": missing,
               "unexpected": unexpected}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    failed = checked == 0 or any(v for k, v in summary.items() if k != "checked")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # bad input, unreadable snapshot, browser failure
        print(f"check_report: the check could not run: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
