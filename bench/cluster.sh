#!/bin/sh
# The embedded engine against a loopback Ballista cluster (1 scheduler,
# 2 executors x 1 slot) on the same data, each process under
# /usr/bin/time -v (wall time, peak RSS); then checks both published the
# same Parquet bytes and run id.
#   bench/cluster.sh DATA_DIR WORK_DIR     (release build, e.g. scale 10:
#   zafra generate --scale 10 --seed 1 --out DATA_DIR)
set -u
DATA=$1
WORK=$2
Z=${CARGO_TARGET_DIR:-$HOME/.cache/zafra-target}/release/zafra
mkdir -p "$WORK" && cd "$WORK" || exit 2
for engine in local cluster; do
  cat > $engine.toml <<TOML
base_currency = "USD"
[input]
root = "$DATA"
[output]
root = "$WORK/out_$engine"
[segments]
high_potential = "5000"
high_billing = "5000"
TOML
done
cat >> cluster.toml <<TOML
[engine]
kind = "ballista"
scheduler = "df://127.0.0.1:52000"
scratch = "$WORK/scratch"
TOML
rm -rf out_local out_cluster scratch e1 e2
/usr/bin/time -v $Z run --config local.toml --as-of 2026-03-31 -q 2> local.time
/usr/bin/time -v $Z cluster scheduler --bind 127.0.0.1:52000 2> scheduler.time &
sleep 1
/usr/bin/time -v $Z cluster executor --scheduler 127.0.0.1:52000 --bind 127.0.0.1:52001 --work-dir e1 2> executor1.time &
/usr/bin/time -v $Z cluster executor --scheduler 127.0.0.1:52000 --bind 127.0.0.1:52011 --work-dir e2 2> executor2.time &
sleep 2
/usr/bin/time -v $Z run --config cluster.toml --as-of 2026-03-31 -q 2> client.time
echo "cluster run exit $?"
pkill -TERM -f "^$Z cluster executor"; sleep 2; pkill -TERM -f "^$Z cluster scheduler"; sleep 2
for f in local client scheduler executor1 executor2; do
  printf '%s: ' $f; grep -E "Elapsed|Maximum resident" $f.time | tr -s ' ' | tr '\n' ' '; echo
done
grep -h run_id out_local/_manifests/*.json out_cluster/_manifests/*.json
(cd out_local && find . -name '*.parquet' | sort | xargs md5sum) > local.md5
(cd out_cluster && find . -name '*.parquet' | sort | xargs md5sum) > cluster.md5
cmp local.md5 cluster.md5 && echo "same Parquet bytes"
