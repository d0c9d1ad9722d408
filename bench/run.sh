#!/usr/bin/env bash
# Benchmarks ActorEcho against the raw-socket echo baseline (bench/models/AsyncAwait) and the Akka.Streams echo
# (bench/StreamsEchoServer, same Akka.NET and akka.hocon) on loopback and prints one table: pingpong 50 x 64 B,
# streaming 10 connections with 256 KiB in flight (16 KiB messages; and bulk: 64 KiB writes), pingpong 1000
# connections, 10,000 idle connections, clients that stop reading, and reconnect storms (10,000 and 18,000
# clients connecting at the same instant to a fresh server, each echoing one message). Each scenario runs against a fresh server process,
# the two servers alternating, for ROUNDS rounds; the table shows medians and ActorEcho's ratio to raw.
# Where taskset exists and there are at least 2 CPUs, the servers run on CPU 0 and the load on CPU 1.
# Everything stops by itself; the servers are killed on exit, whatever happens.
#
#   bench/run.sh            # full run: 3 rounds, about 6 minutes
#   bench/run.sh --quick    # 1 round, short loads, about 1 minute (also QUICK=1)
#   ROUNDS=5 bench/run.sh   # more rounds on a noisy machine
#   SCENARIOS=pingpong-50x64B,idle-10000 bench/run.sh
#   ACTOR_CONFIG=my.hocon bench/run.sh   # try settings: ActorEcho (and the Akka.Streams peer) run with this overlay instead of bench/bench.hocon
#   STREAMS=0 bench/run.sh  # without the Akka.Streams peer
#   SERVERS=raw,ActorEcho bench/run.sh   # only these servers
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
  esac
done

driver_args=()
if [[ "$QUICK" == 1 ]]; then driver_args+=(--quick); fi
if [[ -n "${ROUNDS:-}" ]]; then driver_args+=(--rounds "$ROUNDS"); fi
if [[ -n "${SCENARIOS:-}" ]]; then driver_args+=(--scenarios "$SCENARIOS"); fi
if [[ -n "${SERVERS:-}" ]]; then driver_args+=(--servers "$SERVERS"); fi
# STREAMS=0 leaves the Akka.Streams peer out (a sweep of ActorEcho settings against raw, say).
if [[ "${STREAMS:-1}" != 0 ]]; then driver_args+=(--streams bench/StreamsEchoServer/bin/Release/net10.0/StreamsEchoServer.dll); fi

# Up to 18,000 client sockets live in the driver at once (storm-18000), and as many in the server.
if (( $(ulimit -n) < 20000 )); then
  ulimit -n 20000 2>/dev/null || ulimit -n 12000 2>/dev/null \
    || { echo "run.sh: ulimit -n is $(ulimit -n); the idle scenario needs 12000 (storm-18000: 20000)" >&2; exit 2; }
fi

echo "Building (Release)..." >&2
dotnet build ActorEcho -c Release --nologo -v quiet >&2
dotnet build bench/models/AsyncAwait -c Release --nologo -v quiet >&2
dotnet build bench/StreamsEchoServer -c Release --nologo -v quiet >&2
dotnet build bench/Compare -c Release --nologo -v quiet >&2

load_prefix=()
if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  driver_args+=(--server-cpu 0)
  load_prefix=(taskset -c 1)
  echo "Servers on CPU 0, load on CPU 1." >&2
else
  echo "No taskset or a single CPU: servers and load share the CPUs (figures are noisier)." >&2
fi

pid_file=$(mktemp)
driver_pid=""
cleanup() {
  # The driver kills its servers itself; this covers a driver that was killed or crashed.
  if [[ -n "$driver_pid" ]]; then kill "$driver_pid" 2>/dev/null || true; fi
  while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$pid_file"
  rm -f "$pid_file"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A hard cap on the whole run, in case anything hangs.
"${load_prefix[@]}" timeout --kill-after=10 1200 dotnet bench/Compare/bin/Release/net10.0/Compare.dll \
  --actor-echo ActorEcho/bin/Release/net10.0/ActorEcho.dll \
  --raw bench/models/AsyncAwait/bin/Release/net10.0/AsyncAwait.dll \
  --actor-config "${ACTOR_CONFIG:-bench/bench.hocon}" \
  --pid-file "$pid_file" \
  "${driver_args[@]}" &
driver_pid=$!
wait "$driver_pid"
