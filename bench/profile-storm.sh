#!/usr/bin/env bash
# CPU profile of one reconnect storm against a fresh server (docs/journal/issue-20-storm-and-pingpong.md,
# "Where a storm's CPU goes"): the server on CPU 0 with perf maps on, echoload --mode=storm on CPU 1 (every client
# connects at once, echoes 16 B, all are held 1 s, each echoes again, all close); perf record -g over the whole
# cycle, the server's CPU from /proc, and bench/storm_breakdown.py's table of where it went (ours, Akka.IO's listener
# and connections, actor creation, watch, timers, mailboxes, JIT, kernel) with the Akka.IO methods that make the floor.
#
#   bench/profile-storm.sh                 # ActorEcho, 10,000 clients
#   SERVER=floor bench/profile-storm.sh    # the Akka.IO floor (bench/AkkaIoFloor); SERVER=raw: the raw echo
#   CONNS=18000 bench/profile-storm.sh
# Needs perf (apt linux-perf) and root; builds nothing: run bench/run.sh (or build Release and bench/echoload) first.
# Two runs side by side, method by method (OUT=dir keeps perf.data): bench/profile_diff.py.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${SERVER:-actor}
CONNS=${CONNS:-10000}
out=${OUT:-$(mktemp -d /tmp/storm-profile.XXXXXX)}
echoload=${ECHOLOAD:-bench/build/echoload}
ulimit -n $((CONNS + 2000))
case "$SERVER" in
  actor) server=(dotnet ActorEcho/bin/Release/net10.0/ActorEcho.dll 127.0.0.1:0 --config "${ACTOR_CONFIG:-bench/bench.hocon}") ;;
  floor) server=(dotnet bench/AkkaIoFloor/bin/Release/net10.0/AkkaIoFloor.dll 127.0.0.1:0 --config "${ACTOR_CONFIG:-bench/bench.hocon}") ;;
  raw) server=(dotnet bench/models/AsyncAwait/bin/Release/net10.0/AsyncAwait.dll 127.0.0.1:0) ;;
  *) echo "SERVER is actor, floor or raw" >&2; exit 2 ;;
esac
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 taskset -c 0 "${server[@]}" >"$out/server.out" 2>"$out/server.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 150); do grep -q "Listening on" "$out/server.out" && break; sleep 0.2; done
port=$(sed -n 's/^Listening on .*:\([0-9]*\)$/\1/p' "$out/server.out" | head -n 1)
[[ -n "$port" ]] || { echo "profile-storm.sh: the server did not start: $(head -c 500 "$out/server.err")" >&2; exit 1; }
sleep 1
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
cpu_before=$(cpu)
perf record -F 999 -g -p "$pid" -o "$out/perf.data" 2>"$out/perf-record.err" &
rec=$!
taskset -c 1 "$echoload" --mode=storm --conns="$CONNS" --port="$port" | tee "$out/storm.txt"
sleep 1 # the closes
kill -INT "$rec"; wait "$rec" 2>/dev/null || true
cpu_after=$(cpu)
cpu_seconds=$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN {print (b-a)/100}')
echo "server: ${server[*]}; load average $(cut -d' ' -f1 /proc/loadavg)"
perf script -i "$out/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null | python3 bench/storm_breakdown.py "$CONNS" "$cpu_seconds"
echo "(raw data in $out)"
