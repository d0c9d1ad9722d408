#!/usr/bin/env bash
# TLS: ActorEcho's TLS listener (certificate = self-signed, bench/bench.hocon otherwise) against a raw .NET SslStream
# echo (bench/RawTlsEchoServer), measured by the product's own `bench --tls`, which in every run measures a
# handshake storm first and then the echo, every byte checked. For each load and round, a fresh server of each kind,
# which goes first alternating. Where taskset exists and there are at least 2 CPUs, servers run on CPU 0 and the load
# on CPU 1. Prints one line per run, then a table of medians with ActorEcho's ratio to raw (the goal: at least 0.8).
# Scenarios (SCENARIOS=a,b,... picks some; bench/run.sh runs them after its plain ones, under the same names):
#   tls-handshakes         handshakes/s: 50 workers, each connecting, completing a handshake, echoing 1 byte, sending
#                          close_notify and closing, again and again (the handshake phase of tls-pingpong-50x64B's run)
#   tls-pingpong-50x64B    msg/s: a 64 B ping-pong on 50 TLS connections
#   tls-stream-10x16KiB    MB/s each way: 10 TLS connections writing 16 KiB and reading at once
#
#   bench/tls.sh                 # 3 rounds, 5 s per phase after 10 s warmup: about 7 minutes
# The 10 s warmup: a fresh ActorEcho spends 10-17 % of its samples in the JIT for the first 20 s (tiered compilation
# of Akka's and SslStream's paths), the raw server far less; with 2 s the stream measured the JIT, not the echo.
#   QUICK=1 bench/tls.sh         # 1 round, 2 s phases after 10 s warmup: about 2 minutes
#   SMOKE=1 bench/tls.sh         # the harness itself: 1 round, 1 s phases, no warmup (figures meaningless)
#   ROUNDS=1 DURATION=2 WARMUP=1 SCENARIOS=tls-stream-10x16KiB bench/tls.sh
#   ACTOR_CONFIG=my.hocon bench/tls.sh   # another overlay instead of bench/bench.hocon
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then defaults=(1 1 0); elif [[ "$QUICK" == 1 ]]; then defaults=(1 2 10); else defaults=(3 5 10); fi
ROUNDS=${ROUNDS:-${defaults[0]}}
DURATION=${DURATION:-${defaults[1]}}
WARMUP=${WARMUP:-${defaults[2]}}
ACTOR_CONFIG=${ACTOR_CONFIG:-bench/bench.hocon}
all_scenarios=(tls-handshakes tls-pingpong-50x64B tls-stream-10x16KiB)
IFS=, read -r -a scenarios <<<"${SCENARIOS:-$(IFS=,; echo "${all_scenarios[*]}")}"

# Each scenario: the load it is read from (mode:connections x bytes), the JSON field, its unit and printf format.
load_of() { case $1 in tls-handshakes|tls-pingpong-50x64B) echo pingpong:50x64 ;; tls-stream-10x16KiB) echo stream:10x16384 ;; esac; }
field_of() { case $1 in tls-handshakes) echo handshakesPerSecond ;; tls-pingpong-50x64B) echo messagesPerSecond ;; *) echo megabytesPerSecond ;; esac; }
unit_of() { case $1 in tls-handshakes) echo handshakes/s ;; tls-pingpong-50x64B) echo msg/s ;; *) echo "MB/s each way" ;; esac; }
format_of() { case $1 in tls-stream-10x16KiB) echo %.2f ;; *) echo %.0f ;; esac; }
loads=()
for scenario in "${scenarios[@]}"; do
  load=$(load_of "$scenario")
  [[ -n "$load" ]] || { echo "tls.sh: unknown scenario $scenario (known: ${all_scenarios[*]})" >&2; exit 2; }
  [[ " ${loads[*]} " == *" $load "* ]] || loads+=("$load")
done

echo "Building (Release)..." >&2
dotnet build ActorEcho -c Release --nologo -v quiet >&2
dotnet build bench/RawTlsEchoServer -c Release --nologo -v quiet >&2
actor=ActorEcho/bin/Release/net10.0/ActorEcho.dll
raw=bench/RawTlsEchoServer/bin/Release/net10.0/RawTlsEchoServer.dll
config=$(mktemp --suffix=.hocon)
{ cat "$ACTOR_CONFIG"; echo; echo 'actor-echo.tls.certificate = self-signed'; } > "$config"

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

field() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" <<<"$2"; }

results=()   # "load kind handshakes/s msg/s MB/s", one per run
for load in "${loads[@]}"; do
  mode=${load%%:*}; shape=${load#*:}; connections=${shape%x*}; size=${shape#*x}
  for round in $(seq 1 "$ROUNDS"); do
    # Which kind goes first alternates, so a drift in the machine's load does not always favour one.
    kinds=(actor raw); if (( round % 2 == 0 )); then kinds=(raw actor); fi
    for kind in "${kinds[@]}"; do
      start_server "$kind"
      json=$("${load_cpu[@]}" timeout 300 dotnet "$actor" bench --tls --insecure "127.0.0.1:$port" -m "$mode" \
        -c "$connections" -s "$size" -d "$DURATION" -w "$WARMUP" --json)
      stop_server
      hs=$(field handshakesPerSecond "$json"); msgs=$(field messagesPerSecond "$json"); mb=$(field megabytesPerSecond "$json")
      printf '%-16s round %d  %-5s %9.0f handshakes/s %11.0f msg/s %9.2f MB/s\n' "$load" "$round" "$kind" "$hs" "$msgs" "$mb" >&2
      results+=("$load $kind $hs $msgs $mb")
    done
  done
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
column_of() { case $1 in handshakesPerSecond) echo 3 ;; messagesPerSecond) echo 4 ;; *) echo 5 ;; esac; }
rows=("scenario|figure|ActorEcho|raw|vs raw")
for scenario in "${scenarios[@]}"; do
  load=$(load_of "$scenario"); column=$(column_of "$(field_of "$scenario")"); format=$(format_of "$scenario")
  get() { printf '%s\n' "${results[@]}" | awk -v l="$load" -v k="$1" -v c="$column" '$1 == l && $2 == k {print $c}' | median; }
  actor_median=$(get actor); raw_median=$(get raw)
  rows+=("$scenario|$(unit_of "$scenario")|$(printf "$format" "$actor_median")|$(printf "$format" "$raw_median")|$(
    awk -v a="$actor_median" -v r="$raw_median" 'BEGIN {printf (r > 0) ? "%.2fx" : "-", a / r}')")
done
echo
# A markdown table, as bench/run.sh's: text columns left, figures right.
printf '%s\n' "${rows[@]}" | awk -F'|' '
  { for (c = 1; c <= NF; c++) { cell[NR, c] = $c; if (length($c) > w[c]) w[c] = length($c) } }
  END {
    for (r = 1; r <= NR; r++) {
      line = "|"; for (c = 1; c <= NF; c++) line = line sprintf(c <= 2 ? " %-*s |" : " %*s |", w[c], cell[r, c]); print line
      if (r == 1) { line = "|"; for (c = 1; c <= NF; c++) { d = ""; for (i = 0; i < w[c] + 1; i++) d = d "-"; line = line (c <= 2 ? d "-|" : d ":|") } print line }
    }
  }'
echo
echo "Medians of $ROUNDS round(s), $DURATION s per phase after $WARMUP s warmup; MB = 10^6 B. Both phases come from every run:"
echo "tls-handshakes is the handshake phase of tls-pingpong-50x64B's load (50 x 64 B ping-pong)."
if [[ "$SMOKE" == 1 ]]; then echo "SMOKE RUN: tiny durations to check the harness; these figures mean nothing."; fi
