#!/usr/bin/env bash
# Out of file descriptors (issue 29): RUNS fresh Release servers, each under `prlimit --nofile=LIMIT:LIMIT`; CONNS
# clients connect at once (each sends a byte: echoed if served, closed at once if refused), are held HOLD seconds and
# leave; then 50 fresh clients must all be echoed within a second (one refused because the server still counts the
# leavers connects again). Per run: alive?, the log lines written while the CONNS were connecting and held (all, which
# at INFO include one "Accepting connection" per client served; and warnings and errors, per second too), the fresh
# clients echoed, how long they took; then a summary. Exit 1 if any run died or left a fresh client unechoed.
#
#   bench/fd-exhaustion.sh                       # 20 runs, limit 256, 600 clients
#   LIMIT=1024 CONNS=1500 bench/fd-exhaustion.sh
#   RUNS=2 bench/fd-exhaustion.sh                # a smoke run
#   ACTOR_CONFIG=f.hocon bench/fd-exhaustion.sh  # e.g. actor-echo.descriptor-reserve = 1: the bound off
# Builds nothing: `dotnet build ActorEcho -c Release` first. Needs prlimit (util-linux) and python3; root if LIMIT is
# above the hard limit this shell has.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
LIMIT=${LIMIT:-256}
CONNS=${CONNS:-600}
HOLD=${HOLD:-5}
FRESH=${FRESH:-50}
dll=ActorEcho/bin/Release/net10.0/ActorEcho.dll
[ -f "$dll" ] || { echo "no $dll: run dotnet build ActorEcho -c Release" >&2; exit 2; }
ulimit -n $((CONNS + FRESH + 1024)) 2>/dev/null || true
out=$(mktemp -d /tmp/fd-exhaustion.XXXXXX)
config=()
[ -n "${ACTOR_CONFIG:-}" ] && config=(--config "$ACTOR_CONFIG")

alive=0 died=0 fresh_failed=0
for run in $(seq "$RUNS"); do
  prlimit --nofile="$LIMIT:$LIMIT" dotnet "$dll" serve 127.0.0.1:0 "${config[@]}" >"$out/$run.out" 2>"$out/$run.err" &
  pid=$!
  for _ in $(seq 150); do grep -q "^Listening on" "$out/$run.out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.2; done
  port=$(sed -n 's/^Listening on .*:\([0-9]*\)$/\1/p' "$out/$run.out" | head -n 1)
  if [ -z "$port" ]; then
    wait $pid; echo "run $run: did not start (exit $?): $(tail -n 1 "$out/$run.err")"; died=$((died + 1)); continue
  fi
  started=$(date +%s.%N)
  result=$(timeout 120 python3 bench/fd_clients.py 127.0.0.1 "$port" "$CONNS" "$HOLD" "$FRESH" 1 "$out/$run.err")
  elapsed=$(echo "$(date +%s.%N) - $started" | bc)
  if kill -0 $pid 2>/dev/null; then
    state=alive; alive=$((alive + 1)); kill $pid; wait $pid 2>/dev/null
  else
    wait $pid; state="DIED (exit $?)"; died=$((died + 1))
  fi
  warnings=$(sed -n 's/.* warn_lines=\([0-9]*\).*/\1/p' <<<"$result")
  per_second=$(echo "scale=1; ${warnings:-0} / $HOLD" | bc)
  ok=$(sed -n 's/.* fresh_ok=\([0-9]*\).*/\1/p' <<<"$result")
  [ "${ok:-0}" -eq "$FRESH" ] || fresh_failed=$((fresh_failed + 1))
  printf 'run %d: %s; %s (%s warning lines/s while held); elapsed %.1f s\n' "$run" "$state" "$result" "$per_second" "$elapsed"
done
echo "limit $LIMIT, $CONNS clients, $RUNS runs: $alive alive, $died died, $fresh_failed with a fresh client not echoed within 1 s; logs in $out"
[ "$died" -eq 0 ] && [ "$fresh_failed" -eq 0 ]
