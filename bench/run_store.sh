#!/usr/bin/env bash
# The durable state's benchmarks (bench/README.md, "Durable state"). Builds nothing; everything on 127.0.0.1, every
# loop bounded, every daemon stopped by its PID. Each figure runs REPS times and prints the median and [min-max].
#   bench/run_store.sh BUILD_DIR [SECTION...]      sections: fsync store restart http latency (default: all)
#   REPS=3 DIR=/tmp/incidentd-store-bench bench/run_store.sh build store
# DIR (default: a new directory under /tmp, removed at the end unless KEEP=1) holds the stores; the restart section
# needs about 3 GB there. ALERTS (default 200000) is the count per store-alone run; DURATION (4 s) and
# CONNECTIONS (4) shape the HTTP runs. INCIDENTD (default BUILD_DIR/incidentd) is the daemon the http and latency
# sections run, and SYNCS (default "true false") the storage.sync values; SYNCS=none writes no storage block, for a
# daemon from before the store (its figures for an A/B on the same machine at the same time).
set -euo pipefail
BUILD=${1:?usage: bench/run_store.sh BUILD_DIR [fsync|store|restart|http|latency]...}
shift
SECTIONS=${*:-fsync store restart http latency}
REPS=${REPS:-3}
ALERTS=${ALERTS:-200000}
DURATION=${DURATION:-4}
CONNECTIONS=${CONNECTIONS:-4}
PORT=${PORT:-19194}
KEEP=${KEEP:-0}
DIR=${DIR:-$(mktemp -d /tmp/incidentd-store-bench.XXXXXX)}
BENCH="$BUILD/bench/store_bench"
INCIDENTD=${INCIDENTD:-$BUILD/incidentd}
SYNCS=${SYNCS:-true false}
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  [ "$KEEP" = 1 ] || rm -rf "$DIR"
}
trap cleanup EXIT
mkdir -p "$DIR"

# "median [min-max]" of the numbers on stdin.
stats() {
  sort -g | awk 'function f(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.2f", x) }
    {a[NR]=$1} END {if (NR==0) print "-"; else printf "%s [%s-%s]\n", f(a[int((NR+1)/2)]), f(a[1]), f(a[NR])}'
}
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([0-9.a-z]*\).*/\1/p"; }
load() { cut -d' ' -f1 /proc/loadavg; }

echo "== $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(load)"

if [[ " $SECTIONS " == *" fsync "* ]]; then
  echo; echo "== the disk: 200 appends of 4 KiB, each synced (store_bench fsync), $REPS runs"
  : > "$DIR/r"
  for _ in $(seq "$REPS"); do "$BENCH" fsync --dir "$DIR/fsync" | grep '^RESULT' >> "$DIR/r"; done
  echo "fdatasync p50 µs: $(field fdatasync_p50_us < "$DIR/r" | stats)   p99 µs: $(field fdatasync_p99_us < "$DIR/r" | stats)"
  echo "fsync     p50 µs: $(field fsync_p50_us < "$DIR/r" | stats)   p99 µs: $(field fsync_p99_us < "$DIR/r" | stats)"
fi

if [[ " $SECTIONS " == *" store "* ]]; then
  echo; echo "== the store alone: $ALERTS new alerts through engine + StateStore::Commit (store_bench ingest), $REPS runs"
  printf '| rules | tick | sync | alerts/s | CPU µs/alert: engine | Commit | … encoding | … RocksDB Write | Commit share of wall time | Commit p50 µs | p99 µs | load |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
  for rules in group none; do
    for tick in 100 1000 10000; do
      [ "$rules" = none ] && [ "$tick" != 100 ] && continue
      for sync in on off; do
        : > "$DIR/r"; l=$(load)
        for _ in $(seq "$REPS"); do
          rm -rf "$DIR/ingest"
          "$BENCH" ingest --dir "$DIR/ingest" --tick "$tick" --sync "$sync" --rules "$rules" --alerts "$ALERTS" \
            | grep '^RESULT' >> "$DIR/r"
        done
        rm -rf "$DIR/ingest"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s-%s |\n' "$rules" "$tick" "$sync" \
          "$(field alerts_per_s < "$DIR/r" | stats)" "$(field engine_cpu_us_per_alert < "$DIR/r" | stats)" \
          "$(field commit_cpu_us_per_alert < "$DIR/r" | stats)" "$(field encode_cpu_us_per_alert < "$DIR/r" | stats)" \
          "$(field write_cpu_us_per_alert < "$DIR/r" | stats)" "$(field commit_share < "$DIR/r" | stats)" \
          "$(field commit_p50_us < "$DIR/r" | stats)" "$(field commit_p99_us < "$DIR/r" | stats)" "$l" "$(load)"
      done
    done
  done
fi

# A daemon on $2 (its data_dir), config $1; sets PID and prints the milliseconds from exec to /readyz 200.
start_daemon() {
  local t0 t1
  t0=$(date +%s%N)
  "$INCIDENTD" --config "$1" 2>>"$DIR/daemon.log" & PID=$!
  for _ in $(seq 3000); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break
    kill -0 "$PID" 2>/dev/null || { echo "the daemon exited; its log:" >&2; tail "$DIR/daemon.log" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}
stop_daemon() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

if [[ " $SECTIONS " == *" restart "* ]]; then
  echo; echo "== restart with 1 M firing alerts in 10,000 incidents of 100"
  rm -rf "$DIR/base"
  "$BENCH" build --dir "$DIR/base/state" --alerts 1000000 --tick 10000 | tee "$DIR/build.txt" | grep -v '^RESULT'
  ls -l "$DIR/base/state" | awk '/\.(log|sst)$/ {n[substr($NF, length($NF)-2)]++; b[substr($NF, length($NF)-2)]+=$5}
    END {for (k in n) printf "  after close: %d .%s files, %.1f MB\n", n[k], k, b[k]/1e6}'
  for mode in warm cold; do
    : > "$DIR/r"
    for _ in $(seq "$REPS"); do
      "$BENCH" recover --from "$DIR/base/state" --dir "$DIR/run/state" $([ "$mode" = cold ] && echo --cold) \
        | tee -a "$DIR/recover.txt" | grep '^RESULT' >> "$DIR/r"
    done
    echo "Open + Recover, $mode: total s $(field total_s < "$DIR/r" | stats); Open s $(field open_s < "$DIR/r" | stats);" \
      "Recover s $(field recover_s < "$DIR/r" | stats); CPU s $(field cpu_s < "$DIR/r" | stats);" \
      "RSS MB $(field rss_bytes < "$DIR/r" | awk '{print $1/1e6}' | stats); DiskBytes after $(field disk_bytes < "$DIR/r" | awk '{print $1/1e6}' | stats) MB"
  done
  # The same directory again: its write-ahead log was replayed and flushed by the start before.
  : > "$DIR/r"
  for _ in $(seq "$REPS"); do "$BENCH" recover --dir "$DIR/run/state" | grep '^RESULT' >> "$DIR/r"; done
  echo "Open + Recover, warm, a second start of the same directory: total s $(field total_s < "$DIR/r" | stats);" \
    "Open s $(field open_s < "$DIR/r" | stats); CPU s $(field cpu_s < "$DIR/r" | stats);" \
    "WAL MB $(field wal_bytes < "$DIR/r" | awk '{print $1/1e6}' | stats)"

  echo "-- compaction (a copy of the loaded store)"
  rm -rf "$DIR/run"; cp -a "$DIR/base" "$DIR/run"
  "$BENCH" compact --dir "$DIR/run/state" | grep -v '^RESULT'

  echo "-- the daemon against that data_dir (a fresh copy per run), exec to /readyz 200"
  cat > "$DIR/rules.yaml" <<YAML
correlations:
  - name: by-group
    group_by: [group]
YAML
  cat > "$DIR/restart.yaml" <<YAML
listen: 127.0.0.1:$PORT
data_dir: $DIR/run
rule_files: [$DIR/rules.yaml]
log_level: warn
YAML
  for mode in warm cold; do
    : > "$DIR/ms"; : > "$DIR/rss"; : > "$DIR/gauge"
    for _ in $(seq "$REPS"); do
      rm -rf "$DIR/run"; cp -a "$DIR/base" "$DIR/run"
      "$BENCH" evict --dir "$DIR/run/state" > /dev/null
      [ "$mode" = warm ] && cat "$DIR"/run/state/* > /dev/null
      start_daemon "$DIR/restart.yaml" >> "$DIR/ms"
      awk '/^VmRSS/ {print $2/1000}' "/proc/$PID/status" >> "$DIR/rss"
      curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^incidentd_store_recovery_seconds / {print $2}' >> "$DIR/gauge"
      stop_daemon
    done
    echo "daemon start, $mode page cache: ms $(stats < "$DIR/ms"); its recovery gauge s $(stats < "$DIR/gauge");" \
      "RSS MB $(stats < "$DIR/rss")"
  done
  rm -rf "$DIR/run"
fi

if [[ " $SECTIONS " == *" http "* ]]; then
  echo; echo "== HTTP ingestion at batch 100, a fresh daemon and data_dir per run, ${DURATION}s, median of $REPS"
  printf '| mode | storage.sync | connections | alerts/s | server CPU µs/alert | p50 µs | p99 µs | alerts per commit | commit ms (mean) | load |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|\n'
  for mode in new known; do
    for sync in $SYNCS; do
      for conns in $CONNECTIONS 16; do
        printf 'listen: 127.0.0.1:%s\ndata_dir: %s\nlog_level: warn\n' "$PORT" "$DIR/http" > "$DIR/http.yaml"
        [ "$sync" = none ] || printf 'storage:\n  sync: %s\n' "$sync" >> "$DIR/http.yaml"
        : > "$DIR/r"; : > "$DIR/per"; : > "$DIR/ms"; l=$(load)
        for _ in $(seq "$REPS"); do
          rm -rf "$DIR/http"
          start_daemon "$DIR/http.yaml" > /dev/null
          "$BUILD/bench/loadgen/incidentd-loadgen" --url "http://127.0.0.1:$PORT/api/v2/alerts" --mode "$mode" \
            --batch 100 --connections "$conns" --duration "$DURATION" --server-pid "$PID" 2>/dev/null \
            | grep '^RESULT ' >> "$DIR/r" || true
          # The whole run's ticks: alerts per written tick and the mean time of its write (the daemon's metrics).
          curl -sf "http://127.0.0.1:$PORT/metrics" > "$DIR/metrics"
          awk '/^incidentd_alerts_accepted_total\{source="http",format="prometheus"\}/ {a=$2}
            /^incidentd_store_commits_total / {c=$2} END {if (c > 0) printf "%.0f\n", a/c}' "$DIR/metrics" >> "$DIR/per"
          awk '/^incidentd_store_commit_seconds_sum / {s=$2} /^incidentd_store_commit_seconds_count / {c=$2}
            END {if (c > 0) printf "%.2f\n", 1000*s/c}' "$DIR/metrics" >> "$DIR/ms"
          stop_daemon
        done
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s-%s |\n' "$mode" "$sync" "$conns" \
          "$(field alerts_per_s < "$DIR/r" | stats)" "$(field server_cpu_us_per_alert < "$DIR/r" | stats)" \
          "$(field latency_p50_us < "$DIR/r" | stats)" "$(field latency_p99_us < "$DIR/r" | stats)" \
          "$(stats < "$DIR/per")" "$(stats < "$DIR/ms")" "$l" "$(load)"
      done
    done
  done
  rm -rf "$DIR/http"
fi

if [[ " $SECTIONS " == *" latency "* ]]; then
  echo; echo "== page latency of $INCIDENTD (storage.sync at its default, true, in page_latency's own data_dir), $REPS runs"
  for rate in 0 100000; do
    : > "$DIR/r"
    for _ in $(seq "$REPS"); do
      "$BUILD/bench/page_latency" --incidentd "$INCIDENTD" --alerts 2000 --interval-ms 10 --load-rate "$rate" \
        2>/dev/null | grep '^RESULT' >> "$DIR/r" || true
    done
    echo "load $rate alerts/s: p50 µs $(field p50_us < "$DIR/r" | stats); p90 µs $(field p90_us < "$DIR/r" | stats);" \
      "p99 µs $(field p99_us < "$DIR/r" | stats); POST p50 µs $(field post_p50_us < "$DIR/r" | stats);" \
      "load reached $(field load_alerts_per_s < "$DIR/r" | stats)"
  done
fi
