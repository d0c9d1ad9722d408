#!/usr/bin/env bash
# UDP request/response: ActorEcho's UDP echo (bench/udp-bench.hocon: limits raised, every check still on) against
# the raw Socket.ReceiveFromAsync echo (bench/RawUdpEchoServer), measured by the product's own `bench --udp`
# (every byte checked, loss counted). For each scenario and round, a fresh server of each kind, alternating.
# Where taskset exists and there are at least 2 CPUs, servers run on CPU 0 and the load on CPU 1.
# Prints one line per run, then medians with ActorEcho's ratio to raw.
#
#   bench/udp.sh                 # 3 rounds, 5 s each after 2 s warmup: about 3 minutes
#   ROUNDS=1 DURATION=2 bench/udp.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
SCENARIOS=${SCENARIOS:-"1x64 10x64 10x1400"}   # sockets x datagram bytes

echo "Building (Release)..." >&2
dotnet build ActorEcho -c Release --nologo -v quiet >&2
dotnet build bench/RawUdpEchoServer -c Release --nologo -v quiet >&2
actor=ActorEcho/bin/Release/net10.0/ActorEcho.dll
raw=bench/RawUdpEchoServer/bin/Release/net10.0/RawUdpEchoServer.dll

server_cpu=(); load_cpu=()
if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  server_cpu=(taskset -c 0); load_cpu=(taskset -c 1)
  echo "Servers on CPU 0, load on CPU 1." >&2
fi

server_pid=""; out=$(mktemp); err=$(mktemp)
cleanup() { if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi; rm -f "$out" "$err"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() { # $1 = actor|raw; sets server_pid and port
  : > "$out"
  if [[ $1 == actor ]]; then
    "${server_cpu[@]}" dotnet "$actor" --config bench/udp-bench.hocon > "$out" 2>"$err" &
  else
    "${server_cpu[@]}" dotnet "$raw" 127.0.0.1:0 > "$out" 2>"$err" &
  fi
  server_pid=$!
  for _ in $(seq 1 300); do
    if grep -q "^Listening on udp " "$out"; then port=$(grep "^Listening on udp " "$out" | sed 's/.*://'); return; fi
    sleep 0.1
  done
  echo "udp.sh: $1 server did not start:" >&2; cat "$err" >&2; exit 1
}

stop_server() { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

field() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p"; }

results=()
for scenario in $SCENARIOS; do
  sockets=${scenario%x*}; size=${scenario#*x}
  for round in $(seq 1 "$ROUNDS"); do
    for kind in actor raw; do
      start_server "$kind"
      json=$("${load_cpu[@]}" timeout 120 dotnet "$actor" bench --udp "127.0.0.1:$port" -c "$sockets" -s "$size" \
        -d "$DURATION" -w "$WARMUP" --timeout 200ms --json)
      stop_server
      rate=$(field echoesPerSecond <<<"$json"); lost=$(field lost <<<"$json"); sent=$(field sent <<<"$json")
      p50=$(sed -n 's/.*"p50":\([0-9.]*\).*/\1/p' <<<"$json"); p99=$(sed -n 's/.*"p99":\([0-9.]*\).*/\1/p' <<<"$json")
      printf '%-10s round %d  %-5s %10.0f echoes/s  p50 %7.1f us  p99 %8.1f us  lost %s of %s\n' \
        "$scenario" "$round" "$kind" "$rate" "$p50" "$p99" "$lost" "$sent" >&2
      results+=("$scenario $kind $rate $p50 $p99 $lost $sent")
    done
  done
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
printf '%-12s %14s %14s %7s %12s %12s %12s %12s\n' "sockets x B" "ActorEcho/s" "raw/s" "ratio" "Actor p50us" "raw p50us" "Actor p99us" "raw p99us"
for scenario in $SCENARIOS; do
  get() { printf '%s\n' "${results[@]}" | awk -v s="$scenario" -v k="$1" -v c="$2" '$1==s && $2==k {print $c}' | median; }
  a=$(get actor 3); r=$(get raw 3)
  printf '%-12s %14.0f %14.0f %7.2f %12.1f %12.1f %12.1f %12.1f\n' "$scenario" "$a" "$r" "$(awk -v a="$a" -v r="$r" 'BEGIN{print a/r}')" \
    "$(get actor 4)" "$(get raw 4)" "$(get actor 5)" "$(get raw 5)"
done
lost=$(printf '%s\n' "${results[@]}" | awk '{l+=$6; s+=$7} END {print l " of " s}')
echo "datagrams lost (no echo within 200 ms), all runs: $lost"
