#!/usr/bin/env bash
# Runs the notification delivery benchmarks (bench/README.md, "Notification delivery") from an existing build and
# prints medians; it builds nothing. Everything stays on 127.0.0.1 and every run is bounded in count and time.
#   bench/run_notify.sh [BUILD_DIR]                          (needs incidentd, bench/notify_bench, bench/page_latency)
#   REPS=5 COUNT=20000 SEQ_COUNT=2000 ALERTS=2000 LOAD_RATE=100000 bench/run_notify.sh build
# REPS runs of each point; COUNT notifications per throughput run over 1000 incidents, SEQ_COUNT for the
# one-incident (sequential) runs; ALERTS probes per latency run, one every 10 ms; LOAD_RATE background alerts/s;
# BACKLOG=N adds a run of N notifications for N incidents (N lanes ready at once; 0, the default, leaves it out).
set -euo pipefail
BUILD=${1:-build}
REPS=${REPS:-5}
COUNT=${COUNT:-20000}
SEQ_COUNT=${SEQ_COUNT:-2000}
ALERTS=${ALERTS:-2000}
LOAD_RATE=${LOAD_RATE:-100000}
MAX_SECONDS=${MAX_SECONDS:-60}
BACKLOG=${BACKLOG:-0}
for f in "$BUILD/incidentd" "$BUILD/bench/notify_bench" "$BUILD/bench/page_latency"; do
  [ -x "$f" ] || { echo "run_notify.sh: $f is missing: build it first" >&2; exit 2; }
done
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$OUT/results" | median; }
# Runs "$@" REPS times, keeping the RESULT lines in $OUT/results.
reps() {
  : > "$OUT/results"
  for _ in $(seq "$REPS"); do "$@" 2>>"$OUT/stderr" | grep '^RESULT ' >> "$OUT/results" || true; done
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== throughput: Outbox + HttpClient + pager on 2 threads to a 202 sink (1 thread), medians of $REPS"
printf '| receiver | mode | incidents | notifications | notifications/s | CPU µs/notification (process) | io threads | sink |\n'
printf '|---|---|---|---|---|---|---|---|\n'
row() {  # receiver mode incidents count
  reps "$BUILD/bench/notify_bench" --receiver-type "$1" --mode "$2" --incidents "$3" --count "$4" \
    --max-seconds "$MAX_SECONDS"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$(field per_s)" \
    "$(field process_cpu_us_per_notification)" "$(field io_cpu_us)" "$(field sink_cpu_us)"
}
for type in webhook pagerduty; do
  row "$type" outbox 1000 "$COUNT"
  row "$type" outbox 1 "$SEQ_COUNT"
done
if [ "$BACKLOG" -gt 0 ]; then row webhook outbox "$BACKLOG" "$BACKLOG"; fi
row webhook client 1000 "$COUNT"
row webhook render 1000 "$COUNT"
row pagerduty render 1000 "$COUNT"

echo
echo "== latency: alert POST to page at the sink, group_wait 0s, $ALERTS probes every 10 ms, medians of $REPS"
printf '| background load | p50 µs | p90 µs | p99 µs | max µs | mean µs | POST answer p50 µs | decision to answer, mean µs |'
printf ' background alerts/s | daemon CPU s |\n|---|---|---|---|---|---|---|---|---|---|\n'
for rate in 0 "$LOAD_RATE"; do
  reps "$BUILD/bench/page_latency" --incidentd "$BUILD/incidentd" --alerts "$ALERTS" --interval-ms 10 \
    --load-rate "$rate" --max-seconds "$MAX_SECONDS"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$([ "$rate" = 0 ] && echo idle || echo "$rate alerts/s")" "$(field p50_us)" "$(field p90_us)" "$(field p99_us)" \
    "$(field max_us)" "$(field mean_us)" "$(field post_p50_us)" \
    "$(field daemon_delivery_mean_us)" "$(field load_alerts_per_s)" "$(field daemon_cpu_s)"
done
if [ -s "$OUT/stderr" ]; then
  echo
  echo "== stderr of the runs (last 20 lines)"
  tail -n 20 "$OUT/stderr"
fi
