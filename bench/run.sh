#!/usr/bin/env bash
# Runs the benchmarks: decoder micro-benchmarks, the engine micro-benchmark (1 M active alerts, about 1.5 minutes and
# 3 GB of memory), then HTTP ingestion through the load generator against a daemon started here on 127.0.0.1. Each
# ingestion point runs REPS times; the table shows medians. Usage:
#   bench/run.sh [BUILD_DIR]          (make bench)
#   REPS=5 DURATION=5 CONNECTIONS=4 bench/run.sh build
set -euo pipefail
BUILD=${1:-build}
REPS=${REPS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-4}
PORT=${PORT:-19193}
OUT=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "== decoders (Google Benchmark, medians of 5)"
"$BUILD/bench/decode_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null \
  | grep -E '_median|^Benchmark|^-'
echo
echo "== engine: 100 correlation rules, 100 inhibit rules, 1 M active alerts (Google Benchmark, medians of 5)"
"$BUILD/bench/engine_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null \
  | grep -E '_median|^BM_EngineMemory|^Benchmark|^-'

cat > "$OUT/c.yaml" <<YAML
listen: 127.0.0.1:$PORT
data_dir: $OUT/data
log_level: warn
YAML

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

echo
echo "== HTTP ingestion, POST /api/v2/alerts, $CONNECTIONS keep-alive connections, ${DURATION}s per run, median of $REPS"
printf '| mode | batch | alerts/s | server CPU µs/alert | p50 µs | p99 µs |\n|---|---|---|---|---|---|\n'
for mode in known new; do
  for batch in 1 10 100 1000; do
    : > "$OUT/results"
    for rep in $(seq "$REPS"); do
      # A fresh daemon on an empty data_dir per run, so "new" alerts do not pile up across runs (the state store would
      # bring the earlier runs' alerts back).
      rm -rf "$OUT/data"
      "$BUILD/incidentd" --config "$OUT/c.yaml" 2>>"$OUT/daemon.log" & PID=$!
      for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
      "$BUILD/bench/loadgen/incidentd-loadgen" --url "http://127.0.0.1:$PORT/api/v2/alerts" --mode "$mode" \
        --batch "$batch" --connections "$CONNECTIONS" --duration "$DURATION" --server-pid "$PID" 2>/dev/null \
        | grep '^RESULT ' >> "$OUT/results" || true
      kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    done
    printf '| %s | %s | %s | %s | %s | %s |\n' "$mode" "$batch" \
      "$(field alerts_per_s < "$OUT/results" | median)" "$(field server_cpu_us_per_alert < "$OUT/results" | median)" \
      "$(field latency_p50_us < "$OUT/results" | median)" "$(field latency_p99_us < "$OUT/results" | median)"
  done
done
