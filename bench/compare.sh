#!/usr/bin/env bash
# incidentd side by side with Prometheus Alertmanager (Debian's prometheus-alertmanager, installed here if missing),
# in the same run and in turns, with the same load generator and the same alerts: alerts/s at batch 1, 10, 100, 1000
# for re-sent (known) and never-seen (new) alerts, server CPU per alert, request latency at one fixed offered load,
# RSS per active alert, and POST-to-page time (through build/bench/page_latency --target, when it has it). Both
# servers get the same grouping (alertname, cluster, service; 30s / 5m / 4h) and a webhook to one local sink, and
# each measurement starts a fresh server on an empty data dir. Loopback only; every process started here is stopped
# by its PID on exit. Prints a markdown table with the ratios and keeps it, the raw RESULT lines, the machine and a
# PNG plot in bench/results/<date>-<short commit>/. bench/README.md ("Side by side with Alertmanager") explains it.
# Usage:
#   bench/compare.sh [BUILD_DIR]          (make bench-compare)
#   REPS=3 DURATION=5 CONNECTIONS=4 RSS_COUNTS="100000 1000000" bench/compare.sh build
set -euo pipefail
BUILD=$(realpath -m "${1:-build}")
REPS=${REPS:-1}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-4}
RSS_COUNTS=${RSS_COUNTS:-"100000 1000000"}
RSS_MAX_SECONDS=${RSS_MAX_SECONDS:-400}   # bound on loading one RSS point
LAT_RATE=${LAT_RATE:-}                    # offered alerts/s for the latency row; default: 1/4 of Alertmanager's
                                          # known batch-100 alerts/s measured just before
INCIDENTD_PORT=${INCIDENTD_PORT:-19201}
AM_PORT=${AM_PORT:-19202}
SINK_PORT=${SINK_PORT:-19203}
AM_BIN=${AM_BIN:-prometheus-alertmanager}
LOADGEN=$BUILD/bench/loadgen/incidentd-loadgen
PAGE_LATENCY=$BUILD/bench/page_latency
cd "$(dirname "$0")/.."

# Packages, only if missing, as the Makefile's deps target does it.
missing=$(for p in prometheus-alertmanager gnuplot-nox python3 curl; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
  echo "== installing:" $missing
  if [ "$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else
    echo "compare.sh: need root or sudo to install: $missing (apt-get install $missing)" >&2; exit 1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
  # Debian's package enables and starts its own service on :9093 (all interfaces), the port `make run` gives incidentd:
  # this script starts the Alertmanagers it measures itself, on loopback.
  if [[ " $missing " == *" prometheus-alertmanager "* ]] && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now prometheus-alertmanager >/dev/null 2>&1 || true
  fi
fi
for f in "$BUILD/incidentd" "$LOADGEN"; do
  [ -x "$f" ] || { echo "compare.sh: $f missing; run make build" >&2; exit 1; }
done

WORK=$(mktemp -d)
PID=
SINK_PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "$SINK_PID" ]; then kill "$SINK_PID" 2>/dev/null || true; wait "$SINK_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
RESULTS=bench/results/$(date -u +%F)-$COMMIT
mkdir -p "$RESULTS"
RAW=$RESULTS/raw.tsv
: > "$RAW"
AM_VERSION=$("$AM_BIN" --version 2>&1 | head -1)
{
  echo "date: $(date -u '+%F %T UTC')"
  echo "incidentd commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "alertmanager: $AM_VERSION"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "memory: $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1048576}')"
  echo "kernel: $(uname -sr)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "settings: REPS=$REPS DURATION=$DURATION CONNECTIONS=$CONNECTIONS RSS_COUNTS=\"$RSS_COUNTS\""
} > "$RESULTS/machine.txt"
echo "== $(tr '\n' ';' < "$RESULTS/machine.txt" | sed 's/;/; /g')"

# The sink both servers' webhooks post to: answers 200 to everything and counts requests.
cat > "$WORK/sink.py" <<'PY'
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
python3 "$WORK/sink.py" "$SINK_PORT" & SINK_PID=$!

# The alerts carry alertname, cluster and service (loadgen --dump-body); both group by them.
cat > "$WORK/am.yml" <<YAML
global:
  resolve_timeout: 5m
route:
  receiver: sink
  group_by: [alertname, cluster, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:$SINK_PORT/alertmanager
        send_resolved: true
YAML
cat > "$WORK/rules.yaml" <<YAML
correlations:
  - name: compare
    group_by: [alertname, cluster, service]
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 4h
    policy: sink
policies:
  - name: sink
    steps:
      - notify: [sink]
receivers:
  - name: sink
    type: webhook
    url: http://127.0.0.1:$SINK_PORT/incidentd
YAML
cat > "$WORK/incidentd.yaml" <<YAML
listen: 127.0.0.1:$INCIDENTD_PORT
data_dir: $WORK/data
rule_files: [$WORK/rules.yaml]
resolve_timeout: 5m
log_level: warn
YAML

# start_server incidentd|alertmanager: a fresh server on an empty data dir; sets PID and URL, waits until ready.
start_server() {
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
  local ready
  if [ "$1" = incidentd ]; then
    "$BUILD/incidentd" --config "$WORK/incidentd.yaml" 2>>"$WORK/incidentd.log" & PID=$!
    URL=http://127.0.0.1:$INCIDENTD_PORT; ready=$URL/readyz
  else
    "$AM_BIN" --config.file="$WORK/am.yml" --storage.path="$WORK/data" --web.listen-address="127.0.0.1:$AM_PORT" \
      --cluster.listen-address= --log.level=warn 2>>"$WORK/alertmanager.log" & PID=$!
    URL=http://127.0.0.1:$AM_PORT; ready=$URL/-/ready
  fi
  for _ in $(seq 100); do curl -sf "$ready" >/dev/null && return 0; sleep 0.1; done
  echo "compare.sh: $1 not ready after 10 s; its log:" >&2; tail -20 "$WORK/$1.log" >&2; exit 1
}
stop_server() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }

# loadgen SERVER TEST MODE BATCH REP ARGS...: one loadgen run against the running server; appends its RESULT line.
loadgen() {
  local server=$1 test=$2 mode=$3 batch=$4 rep=$5; shift 5
  local line
  line=$("$LOADGEN" --url "$URL/api/v2/alerts" --mode "$mode" --batch "$batch" --server-pid "$PID" "$@" 2>/dev/null \
    | grep '^RESULT ' | head -1 || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$test" "$mode" "$batch" "$rep" "${line#RESULT }" >> "$RAW"
  LAST=${line#RESULT }
}
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<< "$LAST"; }

echo "== throughput: $CONNECTIONS keep-alive connections, closed loop, ${DURATION}s per point, $REPS rep(s)"
for mode in known new; do
  for batch in 1 10 100 1000; do
    for rep in $(seq "$REPS"); do
      for server in incidentd alertmanager; do
        start_server "$server"
        loadgen "$server" throughput "$mode" "$batch" "$rep" --connections "$CONNECTIONS" --duration "$DURATION"
        stop_server
        printf '   %-12s %-5s batch %-4s rep %s: %s alerts/s, %s µs CPU/alert\n' "$server" "$mode" "$batch" "$rep" \
          "$(field alerts_per_s)" "$(field server_cpu_us_per_alert)"
      done
    done
  done
done

if [ -z "$LAT_RATE" ]; then
  LAT_RATE=$(awk -F'\t' '$1=="alertmanager" && $2=="throughput" && $3=="known" && $4==100' "$RAW" | cut -f6 \
    | sed -n 's/.*"alerts_per_s":\([0-9.]*\).*/\1/p' | sort -n | awk '{a[NR]=$1} END {print (NR ? int(a[int((NR+1)/2)]/4) : 2000)}')
fi
[ "$LAT_RATE" -ge 100 ] || LAT_RATE=100
echo "== latency: known alerts, batch 100, offered $LAT_RATE alerts/s (open loop), ${DURATION}s"
for rep in $(seq "$REPS"); do
  for server in incidentd alertmanager; do
    start_server "$server"
    loadgen "$server" latency known 100 "$rep" --connections "$CONNECTIONS" --duration "$DURATION" --rate "$LAT_RATE"
    stop_server
    printf '   %-12s rep %s: p50 %s µs, p99 %s µs, %s alerts/s\n' "$server" "$rep" "$(field latency_p50_us)" \
      "$(field latency_p99_us)" "$(field alerts_per_s)"
  done
done

echo "== RSS per active alert: load N new alerts (batch 1000), RSS after minus RSS at start"
for n in $RSS_COUNTS; do
  for server in incidentd alertmanager; do
    start_server "$server"
    sleep 1
    base=$(rss_kib)
    loadgen "$server" rss new 1000 1 --connections "$CONNECTIONS" --count "$n" --warmup 0 \
      --duration "$RSS_MAX_SECONDS"
    sleep 3   # let the engine queue drain and the Go runtime settle
    after=$(rss_kib)
    accepted=$(field accepted_alerts)
    stop_server
    printf '%s\trss_kib\tnew\t%s\t1\t{"count":%s,"accepted_alerts":%s,"rss_start_kib":%s,"rss_end_kib":%s}\n' \
      "$server" "$n" "$n" "${accepted:-0}" "$base" "$after" >> "$RAW"
    printf '   %-12s %8s alerts: %s accepted, RSS %s -> %s KiB\n' "$server" "$n" "${accepted:-0}" "$base" "$after"
  done
done

echo "== POST to first notification of a new group (page_latency)"
if [ -x "$PAGE_LATENCY" ] && "$PAGE_LATENCY" --help 2>&1 | grep -q -- '--target'; then
  for server in incidentd alertmanager; do
    args=(--target "$server" --incidentd "$BUILD/incidentd" --alerts 200 --interval-ms 20 --max-seconds 60)
    if "$PAGE_LATENCY" --help 2>&1 | grep -q -- '--alertmanager '; then
      args+=(--alertmanager "$(command -v "$AM_BIN")")
    fi
    line=$("$PAGE_LATENCY" "${args[@]}" 2>/dev/null | grep '^RESULT ' | head -1 || true)
    printf '%s\tpage\t-\t-\t1\t%s\n' "$server" "${line#RESULT }" >> "$RAW"
    echo "   $server: ${line:-no RESULT}"
  done
else
  echo "   not measured ($PAGE_LATENCY has no --target yet)"
fi

# The table, the plot data and the plot.
python3 - "$RAW" "$RESULTS" "$LAT_RATE" <<'PY' | tee "$RESULTS/table.md"
import json, statistics, sys
raw, out, lat_rate = sys.argv[1], sys.argv[2], sys.argv[3]
runs = {}
for line in open(raw):
    server, test, mode, batch, rep, js = line.rstrip("\n").split("\t", 5)
    try:
        runs.setdefault((server, test, mode, batch), []).append(json.loads(js))
    except ValueError:
        pass
def med(server, test, mode, batch, key):
    v = [r[key] for r in runs.get((server, test, mode, batch), []) if key in r]
    return statistics.median(v) if v else None
def fmt(x):
    if x is None: return "not measured"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
rows = []
def row(name, inc, am, higher_better, target=None, target_ok=None):
    if inc is None or am is None or am == 0:
        ratio, better, met = "-", "-", ("not measured" if target else "")
    else:
        r = inc / am
        ratio = f"{r:.3g}"
        better = "incidentd" if (r > 1) == higher_better and r != 1 else "Alertmanager" if r != 1 else "equal"
        met = ("yes" if target_ok(r) else "**no**") if target else ""
    rows.append(f"| {name} | {fmt(inc)} | {fmt(am)} | {ratio} | {better} | {target or ''} | {met} |")
for mode in ("known", "new"):
    for b in ("1", "10", "100", "1000"):
        t = ("≥ 25", lambda r: r >= 25) if b == "100" else (None, None)
        row(f"alerts/s, {mode}, batch {b}", med("incidentd", "throughput", mode, b, "alerts_per_s"),
            med("alertmanager", "throughput", mode, b, "alerts_per_s"), True, *t)
for mode in ("known", "new"):
    for b in ("1", "100", "1000"):
        t = ("≤ 0.033 (1/30)", lambda r: r <= 1 / 30) if b == "100" else (None, None)
        row(f"server CPU µs/alert, {mode}, batch {b}", med("incidentd", "throughput", mode, b, "server_cpu_us_per_alert"),
            med("alertmanager", "throughput", mode, b, "server_cpu_us_per_alert"), False, *t)
for key, name, t in (("latency_p50_us", "p50", (None, None)), ("latency_p99_us", "p99", ("< 1", lambda r: r < 1))):
    row(f"request {name} µs at {lat_rate} alerts/s offered (known, batch 100)", med("incidentd", "latency", "known", "100", key),
        med("alertmanager", "latency", "known", "100", key), False, *t)
def rss(server, n):
    r = runs.get((server, "rss_kib", "new", n))
    if not r or not r[0]["accepted_alerts"]: return None
    r = r[0]
    return (r["rss_end_kib"] - r["rss_start_kib"]) * 1024 / r["accepted_alerts"]
rss_ns = sorted({k[3] for k in runs if k[1] == "rss_kib"}, key=int)
for n in rss_ns:
    row(f"RSS bytes per active alert, {int(n):,} new alerts", rss("incidentd", n), rss("alertmanager", n), False,
        "≤ 0.1 (1/10)", lambda r: r <= 0.1)
for key, name in (("p50_us", "p50"), ("p99_us", "p99")):
    row(f"POST to first page µs, {name} (page_latency)", med("incidentd", "page", "-", "-", key),
        med("alertmanager", "page", "-", "-", key), False)
print("| measure | incidentd | Alertmanager | incidentd/AM | better | target | met |")
print("|---|---|---|---|---|---|---|")
print("\n".join(rows))
for n in rss_ns:
    for s in ("incidentd", "alertmanager"):
        r = runs.get((s, "rss_kib", "new", n))
        if r and r[0]["accepted_alerts"] != int(n):
            print(f"\nNote: {s} accepted {r[0]['accepted_alerts']:,} of {int(n):,} alerts in the RSS run; "
                  "bytes per alert divide by what it accepted.")
with open(f"{out}/throughput.dat", "w") as f:
    f.write("# batch incidentd_known alertmanager_known incidentd_new alertmanager_new (alerts/s)\n")
    for b in ("1", "10", "100", "1000"):
        v = [med(s, "throughput", m, b, "alerts_per_s") for m in ("known", "new") for s in ("incidentd", "alertmanager")]
        f.write(b + " " + " ".join("NaN" if x is None else str(x) for x in v) + "\n")
with open(f"{out}/latency.dat", "w") as f:
    f.write(f"# server p50_ms p99_ms at {lat_rate} alerts/s offered\n")
    for s in ("incidentd", "Alertmanager"):
        p50, p99 = (med(s.lower(), "latency", "known", "100", k) for k in ("latency_p50_us", "latency_p99_us"))
        f.write(f"{s} {'NaN' if p50 is None else p50 / 1000} {'NaN' if p99 is None else p99 / 1000}\n")
PY

cat > "$RESULTS/plot.gp" <<GP
set terminal pngcairo size 1200,500 font ",10"
set output "$RESULTS/compare.png"
set multiplot layout 1,2 title "incidentd vs Alertmanager ($(date -u +%F), $COMMIT, $(nproc) cores)"
set title "alerts/s by batch size ($CONNECTIONS connections, closed loop)"
set logscale xy
set xlabel "alerts per request"
set ylabel "alerts/s"
set key top left
set grid
set xtics ("1" 1, "10" 10, "100" 100, "1000" 1000)
plot "$RESULTS/throughput.dat" using 1:2 with linespoints lw 2 title "incidentd, known", \
     "" using 1:4 with linespoints lw 2 title "incidentd, new", \
     "" using 1:3 with linespoints lw 2 dt 2 title "Alertmanager, known", \
     "" using 1:5 with linespoints lw 2 dt 2 title "Alertmanager, new"
unset logscale x
unset xlabel
set xtics auto
set title "request latency at $LAT_RATE alerts/s offered (known, batch 100)"
set ylabel "ms (log)"
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
plot "$RESULTS/latency.dat" using 2:xtic(1) title "p50", "" using 3 title "p99"
unset multiplot
GP
gnuplot "$RESULTS/plot.gp" 2>>"$WORK/gnuplot.log" || { echo "compare.sh: gnuplot failed:" >&2; cat "$WORK/gnuplot.log" >&2; }
echo
echo "== kept in $RESULTS/: table.md, raw.tsv (one RESULT per run), machine.txt, throughput.dat, latency.dat, compare.png"
