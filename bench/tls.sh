#!/usr/bin/env bash
# TLS: ActorEcho's TLS listener (certificate = self-signed, bench/bench.hocon otherwise) against a raw .NET SslStream
# echo (bench/RawTlsEchoServer), measured by the product's own `bench --tls` (a handshake storm: handshakes/s; then
# the echo, every byte checked). For each scenario and round, a fresh server of each kind, alternating. Where
# taskset exists and there are at least 2 CPUs, servers run on CPU 0 and the load on CPU 1.
# Prints one line per run, then medians with ActorEcho's ratio to raw (issue 19 asks for at least 0.8).
#
#   bench/tls.sh                 # 3 rounds, 5 s per phase after 2 s warmup: about 4 minutes
#   ROUNDS=1 DURATION=2 WARMUP=1 bench/tls.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
SCENARIOS=${SCENARIOS:-"pingpong:50x64 stream:10x16384"}   # mode:connections x bytes

echo "Building (Release)..." >&2
dotnet build ActorEcho -c Release --nologo -v quiet >&2
dotnet build bench/RawTlsEchoServer -c Release --nologo -v quiet >&2
actor=ActorEcho/bin/Release/net10.0/ActorEcho.dll
raw=bench/RawTlsEchoServer/bin/Release/net10.0/RawTlsEchoServer.dll
config=$(mktemp --suffix=.hocon)
{ cat bench/bench.hocon; echo 'actor-echo.tls.certificate = self-signed'; } > "$config"

server_cpu=(); load_cpu=()
if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  server_cpu=(taskset -c 0); load_cpu=(taskset -c 1)
  echo "Servers on CPU 0, load on CPU 1." >&2
fi

server_pid=""; out=$(mktemp); err=$(mktemp)
cleanup() { if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi; rm -f "$out" "$err" "$config"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() { # $1 = actor|raw; sets server_pid and port
  : > "$out"
  if [[ $1 == actor ]]; then
    "${server_cpu[@]}" dotnet "$actor" 127.0.0.1:0 --tls 127.0.0.1:0 --config "$config" > "$out" 2>"$err" &
  else
    "${server_cpu[@]}" dotnet "$raw" 127.0.0.1:0 > "$out" 2>"$err" &
  fi
  server_pid=$!
  for _ in $(seq 1 300); do
    if grep -q "^Listening on tls " "$out"; then port=$(grep "^Listening on tls " "$out" | sed 's/.*://'); return; fi
    sleep 0.1
  done
  echo "tls.sh: $1 server did not start:" >&2; cat "$err" >&2; exit 1
}

stop_server() { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

field() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p"; }

results=()
for scenario in $SCENARIOS; do
  mode=${scenario%%:*}; shape=${scenario#*:}; connections=${shape%x*}; size=${shape#*x}
  for round in $(seq 1 "$ROUNDS"); do
    for kind in actor raw; do
      start_server "$kind"
      json=$("${load_cpu[@]}" timeout 300 dotnet "$actor" bench --tls --insecure "127.0.0.1:$port" -m "$mode" \
        -c "$connections" -s "$size" -d "$DURATION" -w "$WARMUP" --json)
      stop_server
      hs=$(field handshakesPerSecond <<<"$json"); msgs=$(field messagesPerSecond <<<"$json"); mb=$(field megabytesPerSecond <<<"$json")
      printf '%-18s round %d  %-5s %9.0f handshakes/s %11.0f msg/s %9.2f MB/s\n' "$scenario" "$round" "$kind" "$hs" "$msgs" "$mb" >&2
      results+=("$scenario $kind $hs $msgs $mb")
    done
  done
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
printf '%-18s %12s %12s %7s %12s %12s %7s\n' "scenario" "Actor hs/s" "raw hs/s" "ratio" "Actor MB/s" "raw MB/s" "ratio"
for scenario in $SCENARIOS; do
  get() { printf '%s\n' "${results[@]}" | awk -v s="$scenario" -v k="$1" -v c="$2" '$1==s && $2==k {print $c}' | median; }
  ah=$(get actor 3); rh=$(get raw 3); am=$(get actor 5); rm_=$(get raw 5)
  printf '%-18s %12.0f %12.0f %7.2f %12.2f %12.2f %7.2f\n' "$scenario" "$ah" "$rh" "$(awk -v a="$ah" -v r="$rh" 'BEGIN{print (r>0)?a/r:0}')" \
    "$am" "$rm_" "$(awk -v a="$am" -v r="$rm_" 'BEGIN{print (r>0)?a/r:0}')"
done
