#!/usr/bin/env python3
"""Per-range figures of a checkpoint computed in key ranges, from a run's
debug log (`ZAFRA_LOG=info,zafra=debug zafra --log-format json run ...`,
stderr): each range query's wall time (between the logged plans, from the
"checkpoint in key ranges" line), and the sums of its plan's metrics.

Usage: python3 bench/range_plans.py run.log [--view val_sales_candidate_documents]
"""
from __future__ import annotations

import argparse
import datetime
import json
import re

UNITS = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
METRICS = [
    "elapsed_compute",
    "time_elapsed_opening",
    "time_elapsed_processing",
    "time_elapsed_scanning_total",
    "metadata_load_time",
]


def seconds(metric: str, plan: str) -> float:
    return sum(float(v) * UNITS[u] for v, u in re.findall(metric + r"=([\d.]+)(ns|µs|ms|s)\b", plan))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("--view", default="val_sales_candidate_documents")
    args = ap.parse_args()
    with open(args.log, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.startswith("{")]

    def at(row: dict) -> datetime.datetime:
        return datetime.datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))

    start = next((r for r in rows if r["message"] == "checkpoint in key ranges" and r.get("view") == args.view), None)
    if start is None:
        raise SystemExit(f"{args.log}: `{args.view}` was not computed in key ranges")
    plans = [r for r in rows if r["message"] == "query plan with metrics" and r.get("query") == args.view]
    if not plans:
        raise SystemExit(f"{args.log}: no plan of `{args.view}` (is zafra=debug set?)")
    previous, walls = at(start), []
    for r in plans:
        walls.append((at(r) - previous).total_seconds())
        previous = at(r)
    n = len(plans)
    print(f"{args.view}: {n} range queries, {sum(walls):.2f} s of wall, {1000 * sum(walls) / n:.0f} ms per range")
    for metric in METRICS:
        total = sum(seconds(metric, r["plan"]) for r in plans)
        print(f"  {metric}: {total:.2f} s in all, {1000 * total / n:.1f} ms per range")
    opened = sorted({int(x) for r in plans for x in re.findall(r"files_opened=(\d+)", r["plan"])})
    kept = sorted({int(m) for r in plans for m in re.findall(r"files_ranges_pruned_statistics=\d+ total → (\d+) matched", r["plan"])})
    print(f"  files_opened per range: {opened}; kept by their statistics: {kept}")


if __name__ == "__main__":
    main()
