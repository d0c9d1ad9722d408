#!/usr/bin/env bash
# Does the live view slow the echo? One ActorEcho server (Release, bench/bench.hocon plus an HTTP endpoint on
# loopback) holds IDLE idle connections (echoload --mode=idle) for the whole run; ping-pong loads of 64 B on 50 and on
# 1,000 connections (echoload --busy-poll) then run once while `curl <endpoint>/connections?limit=10000` is polled
# every POLL_INTERVAL seconds and once without, the order alternating by round, ROUNDS rounds. Prints one line per
# run (msg/s, p99, the poll's time and size, the load average) and a table of medians with the ratio polled /
# unpolled, and the noise: the spread of the unpolled runs and of the rounds' ratios. Same server, same run: the
# ratio compares like with like. Where taskset exists and there are at least 2 CPUs, the server runs on CPU 0 and
# the load and the poller on CPU 1 (as bench/run.sh). Traffic stays on 127.0.0.1.
#
#   bench/view-poll.sh                                  # 10,000 idle, 5 rounds, 10 s runs: about 8 minutes
#   IDLE=200 ROUNDS=1 DURATION=5 WARMUP=2 bench/view-poll.sh   # smoke: checks the harness (figures meaningless)
#   CONNS="50" POLL_INTERVAL=0.5 bench/view-poll.sh     # one load, polled twice a second
#   ACTOR_CONFIG=my.hocon bench/view-poll.sh           # another overlay instead of bench/bench.hocon
set -euo pipefail
cd "$(dirname "$0")/.."

IDLE=${IDLE:-10000}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-10}
POLL_INTERVAL=${POLL_INTERVAL:-1}
CONNS=${CONNS:-"50 1000"}
ACTOR_CONFIG=${ACTOR_CONFIG:-bench/bench.hocon}
for tool in gcc curl; do
  command -v "$tool" >/dev/null || { echo "view-poll.sh: $tool is needed" >&2; exit 2; }
done
# Per process (the limit is each process's own): the server holds every connection, the idle ones and the largest
# load, plus its runtime's (about 250).
needed=$(( IDLE + 1000 + 300 ))
if (( $(ulimit -n) < needed )); then
  ulimit -n "$needed" 2>/dev/null || { echo "view-poll.sh: ulimit -n is $(ulimit -n); $needed needed for IDLE=$IDLE" >&2; exit 2; }
fi

echo "Building (Release)..." >&2
mkdir -p bench/build
gcc -O2 -Wall -o bench/build/echoload bench/echoload/echoload.c
dotnet build ActorEcho -c Release --nologo -v quiet >&2
actor=ActorEcho/bin/Release/net10.0/ActorEcho.dll
echoload=bench/build/echoload

server_cpu=(); load_cpu=()
if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  server_cpu=(taskset -c 0); load_cpu=(taskset -c 1)
  echo "Server on CPU 0, load and poller on CPU 1." >&2
else
  echo "No taskset or a single CPU: server and load share the CPUs (figures are noisier)." >&2
fi

http_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config=$(mktemp --suffix=.hocon); out=$(mktemp); err=$(mktemp)
# Room for the idle connections beside the largest load, and no idle timeout to close them during a long run.
{ cat "$ACTOR_CONFIG"; echo
  echo "actor-echo.http-endpoint = \"http://127.0.0.1:$http_port\""
  echo "actor-echo.max-connections = $(( IDLE + 2000 ))"
  echo "actor-echo.per-source.max-sources = $(( IDLE + 2000 ))"
  echo "actor-echo.idle-timeout = off"; } > "$config"
url="http://127.0.0.1:$http_port"

server_pid=""; idle_pid=""; poller_pid=""
cleanup() {
  for pid in "$poller_pid" "$idle_pid" "$server_pid"; do
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
  done
  rm -f "$config" "$out" "$err"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${server_cpu[@]}" dotnet "$actor" 127.0.0.1:0 --config "$config" > "$out" 2>"$err" &
server_pid=$!
port=""
for _ in $(seq 1 300); do
  if grep -q "^Listening on " "$out"; then port=$(grep -m1 "^Listening on " "$out" | sed 's/.*://'); break; fi
  sleep 0.1
done
[[ -n "$port" ]] || { echo "view-poll.sh: the server did not start:" >&2; cat "$err" >&2; exit 1; }

open_now() { curl -s --max-time 10 "$url/connections?limit=1" | sed -n 's/^{"open":\([0-9]*\).*/\1/p'; }

# The idle connections, held far longer than the run; killed at the end.
"${load_cpu[@]}" "$echoload" --mode=idle --port="$port" --conns="$IDLE" --secs=86400 > /dev/null &
idle_pid=$!
for _ in $(seq 1 600); do
  open=$(open_now); if [[ "${open:-0}" -ge "$IDLE" ]]; then break; fi
  sleep 0.5
done
[[ "${open:-0}" -ge "$IDLE" ]] || { echo "view-poll.sh: only ${open:-0} of $IDLE idle connections open" >&2; exit 1; }
echo "$open idle connections open." >&2

# Polls until killed; each poll's time and size go to stderr of the run's poll log.
poll_log=$(mktemp)
start_poller() {
  : > "$poll_log"
  ( while :; do
      curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "$url/connections?limit=10000" >> "$poll_log" || true
      sleep "$POLL_INTERVAL"
    done ) &
  poller_pid=$!
}
stop_poller() { kill "$poller_pid" 2>/dev/null || true; wait "$poller_pid" 2>/dev/null || true; poller_pid=""; }

pingpong() { # $1 = connections, $2 = seconds, $3 = warmup seconds; prints echoload's summary line
  "${load_cpu[@]}" timeout 300 "$echoload" --mode=pingpong --port="$port" --conns="$1" --size=64 --secs="$2" \
    --warmup="$3" --busy-poll
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# Warm-up: tiered compilation of the echo and of the endpoint (a fresh server needs about 10 s; docs/code-notes.md).
echo "Warm-up: ${WARMUP} s of ping-pong on 50 connections, with the poll..." >&2
start_poller
pingpong 50 "$WARMUP" 0 > /dev/null
stop_poller

results=()  # "conns kind msgs_per_s p99_us", one per run
ratios=()   # "conns ratio", one per round
for round in $(seq 1 "$ROUNDS"); do
  for conns in $CONNS; do
    kinds=(polled unpolled); if (( round % 2 == 0 )); then kinds=(unpolled polled); fi
    declare -A msgs_of=()
    for kind in "${kinds[@]}"; do
      if [[ $kind == polled ]]; then start_poller; fi
      line=$(pingpong "$conns" "$DURATION" 2)
      poll_note=""
      if [[ $kind == polled ]]; then
        stop_poller
        poll_note=$(awk '{t += $1; if ($1 > m) m = $1; b = $2} END {if (NR) printf "%d polls, mean %.0f ms, max %.0f ms, %.0f kB each", NR, 1000 * t / NR, 1000 * m, b / 1e3}' "$poll_log")
      fi
      msgs=$(field msgs_per_s "$line"); p99=$(field p99_us "$line"); errors=$(field errors "$line")
      printf 'pingpong-%-5s round %d  %-8s %9.0f msg/s  p99 %6.0f us  errors %s  load %s  %s\n' \
        "$conns" "$round" "$kind" "$msgs" "$p99" "$errors" "$(loadavg)" "$poll_note" >&2
      results+=("$conns $kind $msgs $p99")
      msgs_of[$kind]=$msgs
    done
    ratios+=("$conns $(awk -v p="${msgs_of[polled]}" -v u="${msgs_of[unpolled]}" 'BEGIN {printf "%.3f", (u > 0) ? p / u : 0}')")
    unset msgs_of
  done
done
open_end=$(open_now)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rows=("load|msg/s polled|msg/s unpolled|polled/unpolled|p99 polled|p99 unpolled|unpolled spread|round ratios")
for conns in $CONNS; do
  get() { printf '%s\n' "${results[@]}" | awk -v c="$conns" -v k="$1" -v f="$2" '$1 == c && $2 == k {print $f}'; }
  msgs_polled=$(get polled 3 | median); msgs_unpolled=$(get unpolled 3 | median)
  p99_polled=$(get polled 4 | median); p99_unpolled=$(get unpolled 4 | median)
  # Noise: how far the unpolled runs alone spread around their median, and the range of the rounds' own ratios.
  spread=$(get unpolled 3 | awk -v m="$msgs_unpolled" 'NR == 1 {lo = hi = $1} {if ($1 < lo) lo = $1; if ($1 > hi) hi = $1}
    END {printf (m > 0) ? "-%.1f%% / +%.1f%%" : "-", 100 * (m - lo) / m, 100 * (hi - m) / m}')
  range=$(printf '%s\n' "${ratios[@]}" | awk -v c="$conns" '$1 == c {print $2}' | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2fx", lo, hi}')
  rows+=("pingpong-$conns x 64 B|$(printf %.0f "$msgs_polled")|$(printf %.0f "$msgs_unpolled")|$(
    awk -v p="$msgs_polled" -v u="$msgs_unpolled" 'BEGIN {printf (u > 0) ? "%.2fx" : "-", p / u}')|$(
    printf %.0f "$p99_polled") us|$(printf %.0f "$p99_unpolled") us|$spread|$range")
done
echo
printf '%s\n' "${rows[@]}" | awk -F'|' '
  { for (c = 1; c <= NF; c++) { cell[NR, c] = $c; if (length($c) > w[c]) w[c] = length($c) } }
  END {
    for (r = 1; r <= NR; r++) {
      line = "|"; for (c = 1; c <= NF; c++) line = line sprintf(c == 1 ? " %-*s |" : " %*s |", w[c], cell[r, c]); print line
      if (r == 1) { line = "|"; for (c = 1; c <= NF; c++) { d = ""; for (i = 0; i < w[c] + 1; i++) d = d "-"; line = line (c == 1 ? d "-|" : d ":|") } print line }
    }
  }'
echo
echo "Medians of $ROUNDS round(s), $DURATION s per run after 2 s warm-up, one server with $IDLE idle connections"
echo "(${open_end:-?} open at the end), /connections?limit=10000 polled every $POLL_INTERVAL s in the polled runs; load average at the end: $(loadavg)."
echo "Unpolled spread: the unpolled runs' lowest and highest msg/s against their median; a ratio within it is noise."
