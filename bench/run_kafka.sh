#!/usr/bin/env bash
# Kafka ingestion (bench/README.md, "Kafka"): incidentd consuming from librdkafka's mock cluster, beside a bare
# librdkafka consumer reading the same messages on the same machine. Builds nothing; everything on 127.0.0.1, every
# loop bounded, every process it starts stopped by its PID.
#   bench/run_kafka.sh BUILD_DIR
#   REPS=3 PROFILE=1 bench/run_kafka.sh build-release
# Per scenario: a fresh mock cluster (BUILD_DIR/tests/mock_kafka) with one topic of PARTITIONS partitions, the
# messages produced once (kafka_bench produce), then REPS times a bare consumer (kafka_bench raw) and the daemon
# (kafka_bench incidentd: a new group, a fresh data_dir, storage.sync true), each in a new consumer group so that every
# run reads the same messages. Prints medians and [min-max]; the ratio is of the medians (incidentd's messages/s over
# the bare consumer's). Scenarios: (a) new alerts, 1 a message; (b) re-sent alerts (10,000 distinct), 1 a message;
# (c) new alerts, 10 a message. MESSAGES (default 1000000) alerts each, which at ~500 bytes an alert leaves the
# fullest of 256 partitions at about 3 MiB, under the mock cluster's ~5 MiB (kafka_bench produce checks that nothing
# was dropped). The mock cluster's CPU over each window is reported too: it shares the two cores. A run that fails
# (the daemon ends, a timeout) is reported and left out of the medians. PROFILE=1 adds a run of (b) under
# `perf record -e cpu-clock -g -p PID` (not in the medians) and prints its top functions and threads.
# TIMEOUT (default 120 s) bounds each command; KEEP=1 keeps the directory (logs, perf data).
set -euo pipefail
BUILD=${1:?usage: bench/run_kafka.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
REPS=${REPS:-3}
PARTITIONS=${PARTITIONS:-256}
MESSAGES=${MESSAGES:-1000000}
TIMEOUT=${TIMEOUT:-120}
PROFILE=${PROFILE:-0}
KEEP=${KEEP:-0}
BENCH="$BUILD/bench/kafka_bench"
MOCK="$BUILD/tests/mock_kafka"
INCIDENTD="$BUILD/incidentd"
DIR=$(mktemp -d /tmp/incidentd-kafka-bench.XXXXXX)
MOCK_PID=
BOOTSTRAP=

# The cluster ends when its stdin closes (fd 3, our end of the fifo); the kill is for a cluster that does not.
stop_mock() {
  exec 3>&-
  if [ -n "$MOCK_PID" ]; then
    for _ in $(seq 100); do kill -0 "$MOCK_PID" 2>/dev/null || break; sleep 0.05; done
    kill "$MOCK_PID" 2>/dev/null || true
    wait "$MOCK_PID" 2>/dev/null || true
    MOCK_PID=
  fi
}
cleanup() {
  stop_mock
  [ "$KEEP" = 1 ] || rm -rf "$DIR"
}
trap cleanup EXIT
for f in "$BENCH" "$MOCK" "$INCIDENTD"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 1; }; done

# A new cluster with topic $1 of $PARTITIONS partitions; sets MOCK_PID and BOOTSTRAP.
start_mock() {
  rm -f "$DIR/mock.in" "$DIR/mock.out"
  mkfifo "$DIR/mock.in"
  "$MOCK" --topic "$1:$PARTITIONS" < "$DIR/mock.in" > "$DIR/mock.out" 2>> "$DIR/mock.err" &
  MOCK_PID=$!
  exec 3> "$DIR/mock.in"
  for _ in $(seq 500); do
    grep -q '^bootstrap ' "$DIR/mock.out" && break
    kill -0 "$MOCK_PID" 2>/dev/null || { echo "mock_kafka ended:" >&2; cat "$DIR/mock.err" >&2; exit 1; }
    sleep 0.02
  done
  BOOTSTRAP=$(sed -n 's/^bootstrap //p' "$DIR/mock.out")
  [ -n "$BOOTSTRAP" ] || { echo "mock_kafka did not start" >&2; exit 1; }
}

# "median [min-max]" of the numbers on stdin.
stats() {
  sort -g | awk 'function f(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.2f", x) }
    {a[NR]=$1} END {if (NR==0) print "-"; else printf "%s [%s-%s]\n", f(a[int((NR+1)/2)]), f(a[1]), f(a[NR])}'
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR > 0) print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([0-9.a-z]*\).*/\1/p"; }
load() { cut -d' ' -f1 /proc/loadavg; }

echo "== $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown), load $(load)"
echo "== $MESSAGES alerts a scenario, $PARTITIONS partitions, 3 brokers, $REPS runs each (raw, then incidentd)"

# measure LABEL RESULTS COMMAND...: runs it, appends its RESULT line to RESULTS; a failed run is reported, kept out of
# the medians and listed at the end, and the other runs go on.
FAILED=()
measure() {
  local label=$1 results=$2
  shift 2
  if "$@" > "$DIR/out" 2> "$DIR/err"; then
    grep '^RESULT' "$DIR/out" | tee -a "$results" | sed "s/^/  $label: /"
  else
    FAILED+=("$label: $(head -1 "$DIR/err")")
    echo "  $label: FAILED: $(head -1 "$DIR/err")"
    sed -n '2,$p' "$DIR/err" | tail -5
  fi
}

ROWS=()
# scenario NAME PER_MESSAGE DISTINCT(0: all new) DESCRIPTION
scenario() {
  local name=$1 k=$2 distinct=$3 what=$4 messages=$((MESSAGES / $2)) l
  echo; echo "== ($name) $what: $messages messages of $k alerts"
  l=$(load)
  start_mock "$name"
  "$BENCH" produce --bootstrap "$BOOTSTRAP" --topic "$name" --messages "$messages" --per-message "$k" \
    $([ "$distinct" -gt 0 ] && echo --distinct "$distinct") --timeout "$TIMEOUT" | tee "$DIR/produce.txt" | grep -v '^RESULT'
  : > "$DIR/raw"; : > "$DIR/inc"
  for r in $(seq "$REPS"); do
    measure "($name) run $r raw" "$DIR/raw" "$BENCH" raw --bootstrap "$BOOTSTRAP" --topic "$name" \
      --messages "$messages" --timeout "$TIMEOUT" --broker-pid "$MOCK_PID"
    measure "($name) run $r incidentd" "$DIR/inc" "$BENCH" incidentd --incidentd "$INCIDENTD" --dir "$DIR/run" \
      --bootstrap "$BOOTSTRAP" --topic "$name" --messages "$messages" --per-message "$k" --timeout "$TIMEOUT" \
      --broker-pid "$MOCK_PID"
    rm -rf "$DIR/run"
  done
  if [ "$PROFILE" = 1 ] && [ "$name" = b ]; then
    echo "-- a profiled run (perf record -e cpu-clock -g -p PID over the measured window; not in the medians)"
    measure "($name) profiled" "$DIR/profiled" "$BENCH" incidentd --incidentd "$INCIDENTD" --dir "$DIR/run" \
      --bootstrap "$BOOTSTRAP" --topic "$name" --messages "$messages" --per-message "$k" --timeout "$TIMEOUT" \
      --perf "$DIR/perf-$name.data"
    rm -rf "$DIR/run"
    if [ -s "$DIR/perf-$name.data" ]; then
      # sed, not head: a reader that stops early would end perf with SIGPIPE, and this script with it.
      echo "-- threads (share of the samples)"
      perf report -i "$DIR/perf-$name.data" --no-children --sort pid --stdio -g none 2>/dev/null \
        | grep -v '^#' | grep . | sed -n '1,12p'
      echo "-- functions, self time, all threads"
      perf report -i "$DIR/perf-$name.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null \
        | grep -v '^#' | grep . | sed -n '1,30p' | cut -c1-170
      echo "-- functions, self time, by thread"
      perf report -i "$DIR/perf-$name.data" --no-children --sort pid,sym --stdio -g none 2>/dev/null \
        | grep -v '^#' | grep . | sed -n '1,40p' | cut -c1-170
    fi
  fi
  stop_mock
  local raw_rate inc_rate
  raw_rate=$(field messages_per_s < "$DIR/raw" | median)
  inc_rate=$(field messages_per_s < "$DIR/inc" | median)
  ROWS+=("$(printf '| (%s) %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s-%s |' "$name" "$what" "$k" \
    "$(field messages_per_s < "$DIR/raw" | stats)" "$(field mb_per_s < "$DIR/raw" | stats)" \
    "$(field cpu_us_per_message < "$DIR/raw" | stats)" \
    "$(field alerts_per_s < "$DIR/inc" | stats)" "$(field messages_per_s < "$DIR/inc" | stats)" \
    "$(awk -v a="$inc_rate" -v b="$raw_rate" 'BEGIN {if (b > 0) printf "%.0f %%", 100 * a / b; else print "-"}')" \
    "$(field cpu_us_per_alert < "$DIR/inc" | stats)" "$(field cores < "$DIR/inc" | stats)" \
    "$(field broker_cores < "$DIR/raw" | median)" "$(field broker_cores < "$DIR/inc" | median)" "$l" "$(load)")")
}

scenario a 1 0 "new alerts"
scenario b 1 10000 "re-sent alerts (10,000 distinct)"
scenario c 10 0 "new alerts"

echo
echo "== medians of $REPS [min-max]; ratio: incidentd's messages/s over raw's (medians)"
echo '| scenario | alerts a message | raw messages/s | raw MB/s | raw CPU µs/message | incidentd alerts/s | incidentd messages/s | ratio | incidentd CPU µs/alert | incidentd cores | mock cluster cores (raw / incidentd) | load |'
echo '|---|---|---|---|---|---|---|---|---|---|---|---|'
printf '%s\n' "${ROWS[@]}"
if [ "${#FAILED[@]}" -gt 0 ]; then
  echo; echo "== failed runs (not in the medians)"
  printf '%s\n' "${FAILED[@]}"
fi
