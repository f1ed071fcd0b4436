#!/usr/bin/env python3
"""zafra vs DuckDB on the same generated data, side by side.

    python3 bench/bench.py --scale 10 --runs 3

Generates the data once with `zafra generate` (cached under bench-data/),
then, for each of --runs rounds, runs in turn:
  - zafra:  `zafra run` (contract semantics, rejects, publishing, manifest)
            into a fresh output folder;
  - duckdb: the same job written in DuckDB SQL, the fastest way we could
            (bench/duckdb_fast.py: pipelined views, two sales passes,
            seasons pivoted as columns, ASOF fx on distinct days,
            threads=2), writing the same seven tables as zstd Parquet;
  - duckdb-four: the same script without the manager's three tables
            (campaign_diagnostics, contact_plan, campaign_overlap), the
            peer of the sections before the twenty-second session, as a
            labelled row (--skip-four-table-peer);
  - duckdb-tables: the first peer (bench/duckdb_job.py, every step a
            table), kept as a labelled second row (--skip-old-duckdb);
  - floor:  `zafra scan-floor`, decoding the sales columns a run reads;
and optionally zafra with `[limits] memory` (--memory 1GiB) and with a
narrow-campaigns variant (--campaigns 2000). Reports medians of wall time and
peak RSS (of the process tree's largest process, from wait4), the ratios, and
checks that the memory-limited run published byte-identical files.
Prints a Markdown table (for BENCHMARKS.md) and the machine description.
"""
import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peer_contract import SCHEMAS  # bench/, the script's folder

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-03-31"


def timed(cmd, env=None, cwd=None):
    """Runs cmd; returns (seconds, peak RSS in MiB, stdout). Fails loudly."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    rss = resource_peak(proc)
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"{cmd[0]} failed with exit {proc.returncode}")
    return seconds, rss, out.decode(errors="replace")


_last_rusage = {}


def resource_peak(proc):
    return _last_rusage.pop(proc.pid, 0.0)


class RusagePopen(subprocess.Popen):
    """Popen that records the child's peak RSS via wait4."""

    def _try_wait(self, wait_flags):
        try:
            pid, status, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return (self.pid, 0)
        if pid == self.pid:
            _last_rusage[self.pid] = usage.ru_maxrss / 1024.0
        return (pid, status)


subprocess.Popen = RusagePopen


def generate(zafra, scale, seed, campaigns=None, narrow=False):
    name = f"scale-{scale}-seed-{seed}" + (f"-campaigns-{campaigns}" if campaigns else "") + ("-narrow" if narrow else "")
    out = ROOT / "bench-data" / name
    marker = out / "_GENERATED"
    if marker.exists():
        return out
    if out.exists():
        shutil.rmtree(out)
    cmd = [zafra, "generate", "--scale", str(scale), "--seed", str(seed), "--out", str(out)]
    if campaigns:
        cmd += ["--campaigns", str(campaigns)]
    if narrow:
        cmd += ["--narrow-campaigns"]
    seconds, _, _ = timed(cmd)
    marker.write_text(f"generated in {seconds:.1f}s\n")
    print(f"generated {name} in {seconds:.1f}s", file=sys.stderr)
    return out


def config(path, data, out, memory=None):
    text = f'base_currency = "USD"\n[input]\nroot = "{data}"\n[output]\nroot = "{out}"\n'
    text += '[segments]\nhigh_potential = "5000"\nhigh_billing = "5000"\n'
    if memory:
        text += f'[limits]\nmemory = "{memory}"\n'
    Path(path).write_text(text)
    return path


def run_zafra(zafra, data, work, memory=None, keep=False):
    out = Path(tempfile.mkdtemp(dir=work))
    cfg = config(out.parent / f"{out.name}.toml", data, out, memory)
    env = dict(os.environ, ZAFRA_LOG="warn")
    seconds, rss, _ = timed([zafra, "--log-format", "json", "run", "--quiet", "--config", str(cfg), "--as-of", AS_OF], env=env)
    manifest = json.loads((out / "_manifests" / f"snapshot_date={AS_OF}.json").read_text())
    files = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    stages = manifest["timings_ms"]
    if keep:
        return seconds, rss, files, stages, manifest["run_id"], out
    shutil.rmtree(out)
    return seconds, rss, files, stages


DUCKDB_RUNNER = r"""
import sys, datetime, decimal
sys.path.insert(0, sys.argv[1])
import importlib
module, _, variant = sys.argv[5].partition(":")
duckdb_job = importlib.import_module(module)
import pyarrow.parquet as pq
from pathlib import Path
out = Path(sys.argv[3])
extra = {"manager_tables": False} if variant == "four" else {}
tables = duckdb_job.compute(sys.argv[2], datetime.date.fromisoformat(sys.argv[4]), "USD",
    {"default": {"high_potential": decimal.Decimal("5000"), "high_billing": decimal.Decimal("5000")}, "season": {}},
    **extra)
for name in tables:
    d = out / name / f"snapshot_date={sys.argv[4]}"
    d.mkdir(parents=True, exist_ok=True)
    pq.write_table(tables[name], d / "part-00000.parquet", compression="zstd")
"""


def run_duckdb(data, work, keep=False, module="duckdb_fast"):
    out = Path(tempfile.mkdtemp(dir=work))
    seconds, rss, _ = timed([sys.executable, "-c", DUCKDB_RUNNER, str(ROOT / "bench"), str(data), str(out), AS_OF, module])
    if keep:
        return (seconds, rss), out
    shutil.rmtree(out)
    return seconds, rss


# The published tables (the peers' schemas list them), and the four the
# first peer and the four-table script publish.
SEVEN = tuple(SCHEMAS)
FOUR = ("client_segments", "memberships", "campaign_summary", "rejects")


def same_tables(zafra_out, duckdb_out, names):
    """Both jobs published the same tables `names`: schema, values and order
    (and the peer published no other)."""
    import pyarrow.parquet as pq
    published = sorted(p.name for p in duckdb_out.iterdir() if p.is_dir())
    if published != sorted(names):
        raise SystemExit(f"the DuckDB peer published {published}, expected {sorted(names)}")
    for name in names:
        part = f"snapshot_date={AS_OF}"
        z = pq.read_table(sorted((zafra_out / name / part).glob("*.parquet"))[0])
        d = pq.read_table(duckdb_out / name / part / "part-00000.parquet")
        if not z.equals(d):
            raise SystemExit(f"zafra and DuckDB disagree on {name}: {z.num_rows} vs {d.num_rows} rows")
    return True


def run_floor(zafra, data):
    seconds, rss, _ = timed([zafra, "scan-floor", "--input", str(data)])
    return seconds, rss


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--zafra", default=str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "zafra"))
    ap.add_argument("--memory", default=None, help="also run zafra with [limits] memory = this")
    ap.add_argument("--campaigns", type=int, default=None, help="also time narrow campaigns: 200 vs this many")
    ap.add_argument("--skip-duckdb", action="store_true")
    ap.add_argument("--skip-old-duckdb", action="store_true", help="skip the slower first peer (bench/duckdb_job.py)")
    ap.add_argument("--skip-four-table-peer", action="store_true",
                    help="skip the fastest script without the manager's three tables (the peer before the 22nd session)")
    ap.add_argument("--campaign-runs", type=int, default=None, help="runs per campaign variant (default --runs)")
    ap.add_argument("--data-campaigns", type=int, default=None,
                    help="generate the data with this many campaigns (default: the generator's, 20 per scale unit)")
    ap.add_argument("--zafra-memory", default=None,
                    help="the main zafra runs use [limits] memory = this (scale 100: no unlimited run)")
    args = ap.parse_args()
    zafra = args.zafra
    data = generate(zafra, args.scale, args.seed, campaigns=args.data_campaigns)
    work = Path(tempfile.mkdtemp(prefix="zafra-bench-"))
    results = {"zafra": [], "duckdb": [], "duckdb_four": [], "duckdb_tables": [], "floor": [], "zafra_mem": []}
    campaign_runs = args.campaign_runs or args.runs
    stages = []
    run_ids = set()
    reference_files = None
    for i in range(args.runs):
        s, rss, files, st, run_id, zafra_out = run_zafra(zafra, data, work, memory=args.zafra_memory, keep=True)
        results["zafra"].append((s, rss))
        stages.append(st)
        run_ids.add(run_id)
        reference_files = reference_files or files
        assert files == reference_files, "zafra output differs between runs"
        # (result key, runner module, the tables it publishes, label), in
        # the order they run; checked equal outside the timings, first round.
        peers = [] if args.skip_duckdb else [
            ("duckdb", "duckdb_fast", SEVEN, "DuckDB (all seven)"),
            *([] if args.skip_four_table_peer else
              [("duckdb_four", "duckdb_fast:four", FOUR, "the four-table DuckDB peer")]),
            *([] if args.skip_old_duckdb else
              [("duckdb_tables", "duckdb_job", FOUR, "the first DuckDB peer")]),
        ]
        for key, module, names, label in peers:
            timing, duckdb_out = run_duckdb(data, work, keep=True, module=module)
            results[key].append(timing)
            if i == 0:
                same_tables(zafra_out, duckdb_out, names)
                print(f"zafra and {label} published equal tables", file=sys.stderr)
            shutil.rmtree(duckdb_out)
        shutil.rmtree(zafra_out)
        results["floor"].append(run_floor(zafra, data))
        if args.memory:
            try:
                s, rss, files, _ = run_zafra(zafra, data, work, memory=args.memory)
                assert files == reference_files, "the memory-limited run published different files"
                results["zafra_mem"].append((s, rss))
            except SystemExit as e:
                print(f"memory-limited run failed: {e}", file=sys.stderr)
                results["zafra_mem_failed"] = str(e)
        print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f}s" for k, v in results.items() if isinstance(v, list) and v), file=sys.stderr)
    campaign_rows = []
    if args.campaigns:
        for n in (200, args.campaigns):
            d = generate(zafra, args.scale, args.seed, campaigns=n, narrow=True)
            times = [run_zafra(zafra, d, work) for _ in range(campaign_runs)]
            # Campaign evaluation: the checkpoints after client_segments.
            stage = ("checkpoint:int_active_campaigns", "checkpoint:int_client_buckets", "checkpoint:int_memberships")
            evaluation = median([sum(t[3].get(k, 0) for k in stage) for t in times]) / 1000
            campaign_rows.append((n, median([t[0] for t in times]), evaluation))
    shutil.rmtree(work, ignore_errors=True)

    def row(name, xs):
        return f"| {name} | {median([x[0] for x in xs]):.2f} | {median([x[1] for x in xs]):.0f} |"

    print(f"\n### scale {args.scale}, seed {args.seed}, {args.runs} runs (medians)\n")
    print(f"Command: `python3 bench/bench.py --scale {args.scale} --runs {args.runs}"
          + (f" --memory {args.memory}" if args.memory else "")
          + (f" --campaigns {args.campaigns}" if args.campaigns else "")
          + (f" --campaign-runs {args.campaign_runs}" if args.campaign_runs else "")
          + (f" --data-campaigns {args.data_campaigns}" if args.data_campaigns else "")
          + (f" --zafra-memory {args.zafra_memory}" if args.zafra_memory else "")
          + (" --skip-old-duckdb" if args.skip_old_duckdb else "")
          + (" --skip-four-table-peer" if args.skip_four_table_peer else "") + "`\n")
    print("| run | wall s | peak RSS MiB |\n|---|---:|---:|")
    print(row("zafra run" + (f" (memory {args.zafra_memory})" if args.zafra_memory else ""), results["zafra"]))
    if results["duckdb"]:
        print(row("DuckDB, fastest script, all seven tables (bench/duckdb_fast.py)", results["duckdb"]))
    if results["duckdb_four"]:
        print(row("DuckDB, fastest script, four tables (no diagnostics, contact plan, overlap)", results["duckdb_four"]))
    if results["duckdb_tables"]:
        print(row("DuckDB, first script, every step a table (bench/duckdb_job.py)", results["duckdb_tables"]))
    print(row("scan floor (sales columns)", results["floor"]))
    if results["zafra_mem"]:
        print(row(f"zafra run, memory {args.memory}", results["zafra_mem"]))
    z = median([x[0] for x in results["zafra"]])
    if results["duckdb"]:
        print(f"\nzafra / DuckDB (fastest script, seven tables) = {z / median([x[0] for x in results['duckdb']]):.2f} (equal tables: yes)")
        # Each round runs the two one after the other: on a machine whose
        # speed drifts between rounds, the median of the rounds' own ratios
        # is the steadier figure.
        paired = [a[0] / b[0] for a, b in zip(results["zafra"], results["duckdb"])]
        print("zafra / DuckDB, round by round = " + ", ".join(f"{r:.2f}" for r in paired)
              + f" (median {median(paired):.2f})")
    if results["duckdb_four"]:
        print(f"zafra (seven tables) / DuckDB (fastest script, four tables) = {z / median([x[0] for x in results['duckdb_four']]):.2f} (equal tables: yes, the four)")
    if results["duckdb_tables"]:
        print(f"zafra / DuckDB (first script) = {z / median([x[0] for x in results['duckdb_tables']]):.2f} (equal tables: yes)")
    print(f"zafra / scan floor = {z / median([x[0] for x in results['floor']]):.2f}")
    if results.get("zafra_mem_failed"):
        print(f"memory-limited run ({args.memory}): FAILED: {results['zafra_mem_failed']}")
    if results["zafra_mem"]:
        print(f"memory-limited / unlimited = {median([x[0] for x in results['zafra_mem']]) / z:.2f} (identical files: yes)")
    print(f"zafra run id: {', '.join(sorted(run_ids))}")
    keys = sorted({k for st in stages for k in st})
    print("\nzafra stages (median ms): " + ", ".join(f"{k} {median([st.get(k, 0) for st in stages]):.0f}" for k in keys))
    if campaign_rows:
        print("\n| narrow campaigns | whole run s | campaign evaluation s |\n|---:|---:|---:|")
        for n, whole, evaluation in campaign_rows:
            print(f"| {n} | {whole:.2f} | {evaluation:.2f} |")
        print(f"\nratio {campaign_rows[1][0]} / {campaign_rows[0][0]} campaigns (campaign evaluation): "
              f"{campaign_rows[1][2] / campaign_rows[0][2]:.2f}")
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        mem = next(l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    print(f"\nMachine: {os.cpu_count()} cores ({cpu}), {mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
