#!/usr/bin/env python3
"""Differential test driver: zafra's published tables must equal the DuckDB
reference implementation's (reference.py) exactly — schema, values, order —
on generated data (several seeds, as-of dates, configurations) and on a
hand-made edge-case dataset (edge_cases.py).

    python3 tests/differential/run_differential.py --zafra PATH --work DIR
"""
import argparse
import datetime
import decimal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import edge_cases  # noqa: E402
import reference  # noqa: E402

TABLES = ["client_segments", "memberships", "campaign_summary", "rejects"]

CONFIGS = {
    "median": {"toml": "", "thresholds": {}},
    "configured": {
        "toml": '[segments]\nhigh_potential = "5000"\nhigh_billing = "4000.50"\n'
                '[segments.season."2025/26"]\nhigh_potential = "8000"\n',
        "thresholds": {
            "default": {"high_potential": decimal.Decimal("5000"), "high_billing": decimal.Decimal("4000.50")},
            "season": {"2025/26": {"high_potential": decimal.Decimal("8000")}},
        },
    },
}


def published(out: Path, table: str, date: str) -> pa.Table:
    folder = out / table / f"snapshot_date={date}"
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".parquet"))
    if not files:
        raise AssertionError(f"no file in {folder}")
    return pa.concat_tables([pq.read_table(f) for f in files])


def first_difference(a: pa.Table, b: pa.Table) -> str:
    rows_a, rows_b = a.to_pylist(), b.to_pylist()
    for i, (x, y) in enumerate(zip(rows_a, rows_b)):
        if x != y:
            return f"row {i}:\n  zafra:     {x}\n  reference: {y}"
    return f"row counts differ: zafra {len(rows_a)}, reference {len(rows_b)}" + (
        f"; next zafra row {rows_a[len(rows_b)]}" if len(rows_a) > len(rows_b) else
        f"; next reference row {rows_b[len(rows_a)]}" if len(rows_b) > len(rows_a) else "")


def run_case(zafra: str, data: Path, work: Path, config: str, date: str, ratio: str) -> list:
    out = work / f"out-{data.name}-{config}-{date}"
    cfg = work / f"{data.name}-{config}-{date}.toml"
    cfg.write_text(f'base_currency = "USD"\n{CONFIGS[config]["toml"]}\n[limits]\nmax_reject_ratio = {ratio}\n'
                   f'[input]\nroot = "{data}"\n[output]\nroot = "{out}"\n')
    proc = subprocess.run([zafra, "--log-format", "json", "run", "--quiet", "--config", str(cfg), "--as-of", date],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return [f"zafra exited {proc.returncode}:\n{proc.stderr[-3000:]}"]
    expected = reference.compute(data, datetime.date.fromisoformat(date), "USD", CONFIGS[config]["thresholds"])
    problems = []
    for table in TABLES:
        got = published(out, table, date)
        want = expected[table]
        if got.schema != want.schema:
            problems.append(f"{table}: schema\n  zafra:     {got.schema}\n  reference: {want.schema}")
        elif not got.equals(want):
            problems.append(f"{table}: {first_difference(got, want)}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zafra", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    datasets = []
    for seed in (1, 2, 3):
        data = work / f"gen-{seed}"
        subprocess.run([args.zafra, "generate", "--scale", "0.01", "--seed", str(seed), "--out", str(data)],
                       check=True, capture_output=True)
        datasets.append((data, ["2026-03-31", "2025-07-01", "2025-06-30", "2026-06-30"], "0.01"))
    edge = work / "edge"
    edge_cases.write(edge)
    datasets.append((edge, edge_cases.AS_OF_DATES, "1"))
    failures = 0
    cases = 0
    for data, dates, ratio in datasets:
        for config in CONFIGS:
            for date in dates:
                cases += 1
                problems = run_case(args.zafra, data, work, config, date, ratio)
                label = f"{data.name} {config} {date}"
                if problems:
                    failures += 1
                    print(f"DIFFER {label}")
                    for p in problems:
                        print("  " + p.replace("\n", "\n  "))
                else:
                    print(f"agree  {label}")
    print(f"{cases - failures} of {cases} cases agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
