#!/usr/bin/env bash
# CPU profile of one echo server under one load, broken down per echoed frame
# (docs/journal/issue-11-storms-frames-profile.md, "Profile per echoed frame").
# The server runs on CPU 0 with perf maps on (JIT'ed method names; W^X off so perf can map them; ReadyToRun off, so framework code is named
# too), the load (the product's own bench command) on CPU 1. After the warmup, for RECORD seconds at once:
# perf record -g (stacks, kernel included: run as root), perf stat counting the server's successful reads
# (recvfrom/recvmsg returning > 0 bytes: one per echoed frame), dotnet-counters for the allocation rate, and the
# server's CPU time from /proc. bench/profile_breakdown.py then charges each sample to kernel / Akka.IO /
# mailbox+dispatcher / EchoConnection / ByteString copies / GC and divides by the frames.
#
#   bench/profile.sh pingpong            # 50 connections x 64 B round trips against ActorEcho
#   bench/profile.sh bulk                # 10 connections writing 64 KiB at a time, 256 KiB in flight
#   SERVER=streams bench/profile.sh bulk # the Akka.Streams peer (SERVER=raw: the raw echo)
#   ACTOR_CONFIG=my.hocon bench/profile.sh bulk
# Needs perf (apt linux-perf) and dotnet-counters (dotnet tool install -g dotnet-counters); builds nothing:
# run bench/run.sh (or dotnet build bench/Bench.sln -c Release) first.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-pingpong}
SERVER=${SERVER:-actor}
RECORD=${RECORD:-8}
WARMUP=${WARMUP:-10}  # long enough for tiered compilation to settle on a busy machine
out=${OUT:-$(mktemp -d /tmp/echo-profile.XXXXXX)}
mkdir -p "$out"
export PATH="$PATH:$HOME/.dotnet/tools"

case "$SERVER" in
  actor) server=(dotnet ActorEcho/bin/Release/net10.0/ActorEcho.dll 127.0.0.1:0 --config "${ACTOR_CONFIG:-bench/bench.hocon}") ;;
  streams) server=(dotnet bench/StreamsEchoServer/bin/Release/net10.0/StreamsEchoServer.dll 127.0.0.1:0 --config "${ACTOR_CONFIG:-bench/bench.hocon}") ;;
  raw) server=(dotnet bench/models/AsyncAwait/bin/Release/net10.0/AsyncAwait.dll 127.0.0.1:0) ;;
  *) echo "SERVER is actor, streams or raw" >&2; exit 2 ;;
esac
case "$mode" in
  pingpong) load=(--mode pingpong -c 50 -s 64) ;;
  pingpong-1000) load=(--mode pingpong -c 1000 -s 64) ;;
  bulk) load=(--mode stream -c 10 -s 64k --window 256k) ;;
  stream) load=(--mode stream -c 10 -s 16k --window 256k) ;;
  *) echo "mode is pingpong, pingpong-1000, bulk or stream" >&2; exit 2 ;;
esac

DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0 taskset -c 0 "${server[@]}" >"$out/server.out" 2>"$out/server.err" &
server_pid=$!
bench_pid=""
cleanup() {
  [[ -n "$bench_pid" ]] && kill "$bench_pid" 2>/dev/null || true
  kill "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do grep -q "Listening on" "$out/server.out" && break; sleep 0.2; done
endpoint=$(sed -n 's/^Listening on //p' "$out/server.out")
[[ -n "$endpoint" ]] || { echo "profile.sh: the server did not start: $(head -c 500 "$out/server.err")" >&2; exit 1; }
# dotnet is exec'ed by taskset: same PID.
pid=$server_pid

duration=$((WARMUP + RECORD + 2))
taskset -c 1 dotnet ActorEcho/bin/Release/net10.0/ActorEcho.dll bench "$endpoint" "${load[@]}" -d "$duration" -w 0 --json \
  >"$out/bench.json" 2>"$out/bench.err" &
bench_pid=$!
sleep "$WARMUP"

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
cpu_before=$(cpu)
perf record -F 999 -g -p "$pid" -o "$out/perf.data" -- sleep "$RECORD" 2>"$out/perf-record.err" &
rec=$!
perf stat -x, -e syscalls:sys_exit_recvfrom --filter 'ret > 0' -e syscalls:sys_exit_recvmsg --filter 'ret > 0' \
  -e syscalls:sys_exit_recvfrom -e syscalls:sys_exit_sendmsg -e syscalls:sys_exit_sendto -e context-switches \
  -p "$pid" -o "$out/stat.csv" -- sleep "$RECORD" &
st=$!
timeout $((RECORD + 3)) dotnet-counters collect -p "$pid" --counters System.Runtime --refresh-interval 1 --format csv \
  -o "$out/counters.csv" >/dev/null 2>&1 &
ctr=$!
wait "$rec" "$st"
cpu_after=$(cpu)
wait "$ctr" 2>/dev/null || true
wait "$bench_pid" || true
bench_pid=""

# The filtered events come first in the file (in the order given); count only those two.
frames=$(awk -F, 'NR>0 && $3 ~ /sys_exit_recv/ {n++; if (n<=2) s+=$1} END {print s+0}' "$out/stat.csv")
cpu_seconds=$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN {print (b-a)/100}')
echo "server: ${server[*]}"
echo "load: bench ${load[*]}; recorded ${RECORD} s after ${WARMUP} s"
grep -v '^#' "$out/stat.csv" | grep -v '^$' | awk -F, '{printf "  perf stat: %s %s\n", $1, $3}'
python3 -c "import json;d=json.load(open('$out/bench.json'));print('  bench: %.0f msg/s, %.1f MB/s, p99 %.0f us' % (d['messagesPerSecond'], d['receivedMegabytesPerSecond'], d['latencyMicroseconds']['p99']))" || true
python3 - "$out/counters.csv" "$frames" "$RECORD" >"$out/counters.txt" <<'PY'
import csv, sys
series = {}
try:
    for row in csv.reader(open(sys.argv[1])):
        if len(row) >= 5:
            try: series.setdefault(row[2], []).append(float(row[-1]))
            except ValueError: pass
except FileNotFoundError:
    pass
def median(name):
    values = [v for k, vs in series.items() if k.startswith(name) for v in vs]
    values = values[1:-1] if len(values) > 2 else values
    return sorted(values)[len(values) // 2] if values else 0.0
frames, seconds = float(sys.argv[2]), float(sys.argv[3])
alloc = median("dotnet.gc.heap.total_allocated")
pause = median("dotnet.gc.pause.time")
gen0 = median("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]")
jit = median("dotnet.jit.compilation.time")
per_frame = alloc * seconds / frames if frames else 0
print(f"  dotnet-counters (medians of 1 s samples): allocated {alloc/1e6:.1f} MB/s = {per_frame:.0f} B per frame; "
      f"GC pauses {pause*100:.1f} % of the time, {gen0:.1f} gen0 GCs/s; JIT {jit*100:.1f} % of the time")
PY
echo "  frames echoed: $frames; server CPU: $cpu_seconds s"
cat "$out/counters.txt"
perf script -i "$out/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null | python3 bench/profile_breakdown.py "$frames" "$cpu_seconds"
echo "(raw data in $out)"
