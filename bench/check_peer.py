#!/usr/bin/env python3
"""The benchmark's peer (bench/duckdb_fast.py) against the differential
test's reference implementation (tests/differential/reference.py, which
tests/differential.rs proves equal to zafra), table by table, on the
differential test's hand-made datasets (every configuration and as-of date)
and, with --zafra, on one generated dataset:

    python3 bench/check_peer.py [--zafra target/debug/zafra] [--work DIR]

The harness (bench/bench.py) checks the peer against zafra on its own data
in its first round; this checks it where the edge cases are (null and
inverted bounds, unknown seasons, priorities with ties and nulls, credit
notes, missing rates). Prints one line per case, then
`peer: N tables equal, M differ` and, per table, how many non-empty
comparisons; exits 1 on any difference or error.
"""
from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "differential"))
sys.path.insert(0, str(ROOT / "bench"))
import duckdb_fast  # noqa: E402
import edge_cases  # noqa: E402
import reference  # noqa: E402
import run_differential as rd  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zafra", help="a zafra binary: also compare on `zafra generate --scale 0.01 --seed 1`")
    ap.add_argument("--work", help="a scratch folder (default: a new temporary one)")
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="zafra-peer-check-"))
    work.mkdir(parents=True, exist_ok=True)
    datasets = []
    rd.write_edge_dataset(work / "in-edge")
    datasets.append(("edge", work / "in-edge", rd.EDGE_DATES))
    rd.write_minimal_dataset(work / "in-minimal")
    datasets.append(("minimal", work / "in-minimal", rd.MINIMAL_DATES))
    edge_cases.write(work / "in-edge-b")
    datasets.append(("edge-b", work / "in-edge-b", edge_cases.AS_OF_DATES))
    if args.zafra:
        root = work / "in-gen-1"
        subprocess.run([args.zafra, "generate", "--scale", "0.01", "--seed", "1", "--out", str(root)],
                       check=True, capture_output=True)
        datasets.append(("gen-1", root, ["2026-03-31", "2025-07-01"]))

    equal = differ = 0
    non_empty: dict[str, int] = {}
    for name, root, dates in datasets:
        for config, thresholds in rd.CONFIGS.items():
            for date in dates:
                label = f"{name:<8} {config:<12} {date}"
                as_of = dt.date.fromisoformat(date)
                try:
                    want, _ = reference.compute_all(root, as_of, rd.BASE_CURRENCY, thresholds)
                except reference.InputError as e:
                    # zafra refuses this input (exit 3): nothing to compare
                    print(f"refused {label}: {e}")
                    continue
                try:
                    got = duckdb_fast.compute(root, as_of, rd.BASE_CURRENCY, thresholds)
                except Exception:
                    differ += 1
                    print(f"DIFFER {label}: the peer failed\n{traceback.format_exc()}")
                    continue
                if sorted(got) != sorted(want):
                    differ += 1
                    print(f"DIFFER {label}: the peer published {sorted(got)}, the reference {sorted(want)}")
                    continue
                problems = []
                for table in want:
                    found = rd.compare(table, got[table], want[table], got_name="the peer")
                    problems += found
                    differ += bool(found)
                    equal += not found
                    if not found and want[table].num_rows:
                        non_empty[table] = non_empty.get(table, 0) + 1
                if problems:
                    print(f"DIFFER {label}\n  " + "\n  ".join(p.replace("\n", "\n  ") for p in problems))
                else:
                    print(f"agree  {label}")
    print(f"peer: {equal} tables equal, {differ} differ")
    print("non-empty: " + ", ".join(f"{t}={n}" for t, n in sorted(non_empty.items())))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
