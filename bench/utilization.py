#!/usr/bin/env python3
"""How busy a `zafra run` keeps the cores, stage by stage.

    python3 bench/utilization.py ZAFRA_BINARY INPUT_ROOT [OUT_DIR]

Runs `zafra run --as-of 2026-03-31` with the harness's job (base currency
USD, thresholds 5000/5000) into OUT_DIR (default /tmp/zafra-utilization),
samples the process's CPU time (/proc/PID/stat, every 50 ms) and prints,
for each stage the run logs as done (inputs, each checkpoint, each output
table, the commit), its wall time and the cores it kept busy on average
(CPU seconds / wall seconds), with the gaps between logged stages. A stage
at 2.0 on two cores has nothing to gain from running beside another.
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    zafra, data = sys.argv[1], os.path.abspath(sys.argv[2])
    out = sys.argv[3] if len(sys.argv) > 3 else "/tmp/zafra-utilization"
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with open(f"{out}/job.toml", "w") as f:
        f.write(
            f'base_currency = "USD"\n[input]\nroot = "{data}"\n'
            f'[output]\nroot = "{out}/out"\n'
            '[segments]\nhigh_potential = "5000"\nhigh_billing = "5000"\n'
        )
    env = dict(os.environ, ZAFRA_LOG="zafra=info")
    ticks = os.sysconf("SC_CLK_TCK")
    samples = []  # (unix time, CPU seconds)
    with open(f"{out}/log.json", "w") as log:
        run = subprocess.Popen(
            [zafra, "--log-format", "json", "run", "--quiet", "--config",
             f"{out}/job.toml", "--as-of", "2026-03-31"],
            stderr=log, stdout=subprocess.DEVNULL, env=env)
        while run.poll() is None:
            try:
                with open(f"/proc/{run.pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                samples.append((time.time(),
                                (int(fields[11]) + int(fields[12])) / ticks))
            except OSError:
                pass
            time.sleep(0.05)
    if run.returncode != 0 or len(samples) < 2:
        sys.exit(f"zafra exited with {run.returncode}; see {out}/log.json")

    def cpu_at(t: float) -> float:
        before = samples[0]
        for s in samples:
            if s[0] >= t:
                if s[0] == before[0]:
                    return s[1]
                return before[1] + (s[1] - before[1]) * (t - before[0]) / (s[0] - before[0])
            before = s
        return samples[-1][1]

    def busy(t0: float, t1: float) -> float:
        return (cpu_at(t1) - cpu_at(t0)) / (t1 - t0) if t1 > t0 else 0.0

    start, end = samples[0][0], samples[-1][0]
    print(f"whole run: {end - start:.2f} s, {samples[-1][1]:.1f} s of CPU, "
          f"{busy(start, end):.2f} cores busy")
    last = start
    with open(f"{out}/log.json") as log:
        for line in log:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            fields = event.get("fields", event)
            message = fields.get("message")
            if message not in ("inputs checked", "checkpoint computed", "computed", "committed"):
                continue
            at = datetime.datetime.fromisoformat(
                event["timestamp"].replace("Z", "+00:00")).timestamp()
            ms = fields.get("ms")
            began = at - int(ms) / 1000 if ms is not None else last
            if began - last > 0.05:
                print(f"  (between stages) {began - last:5.2f} s  {busy(last, began):4.2f} cores")
            name = fields.get("view") or fields.get("table") or message
            print(f"{name[:34]:34} {at - began:5.2f} s  {busy(began, at):4.2f} cores")
            last = at
    print(f"  (after the commit) {end - last:5.2f} s  {busy(last, end):4.2f} cores")


if __name__ == "__main__":
    main()
