#!/usr/bin/env bash
# Runs the lesson's server models (docs/models.md) and ActorEcho under the same loads and prints one markdown
# table, a row per model as each finishes: pingpong over 50 and 1,000 connections, streaming, 10,000 idle
# connections, a client that never reads beside well-behaved ones, a silent client beside others, and ten busy
# clients among 5,000 idle connections (what each readiness mechanism costs when most sockets are idle).
# Each scenario gets a fresh server process. Where taskset exists and there are at least 2 CPUs, the servers
# run on CPU 0 and the load on CPU 1, as bench/run.sh does. Every scenario is bounded in time; the servers are
# killed on exit, whatever happens. One run takes about 4 minutes on an idle 2-core machine.
#
#   bench/models/run.sh                       # the table on stdout, progress on stderr
#   bench/models/run.sh --full                # longer loads (2 s warm-up + 5 s instead of 1 s + 2 s)
#   MODELS=EventLoop,ActorEcho SCENARIOS=slow-reader,silent-client bench/models/run.sh
#   JSON=results.json bench/models/run.sh     # also every figure behind the table
set -euo pipefail
cd "$(dirname "$0")/../.."

models=(OneAtATime EventLoop EventLoopWritable ThreadPerConnection AsyncAwait)
driver_args=()
for arg in "$@"; do
  case "$arg" in
    --full) driver_args+=(--full) ;;
    *) echo "usage: bench/models/run.sh [--full]" >&2; exit 2 ;;
  esac
done
if [[ -n "${MODELS:-}" ]]; then driver_args+=(--models "$MODELS"); fi
if [[ -n "${SCENARIOS:-}" ]]; then driver_args+=(--scenarios "$SCENARIOS"); fi
if [[ -n "${JSON:-}" ]]; then driver_args+=(--json "$JSON"); fi

# 10,000 client sockets live in the driver at once, and as many in the server (which inherits this limit).
if (( $(ulimit -n) < 12000 )); then
  ulimit -n 12000 2>/dev/null || { echo "run.sh: ulimit -n is $(ulimit -n); the idle scenario needs 12000" >&2; exit 2; }
fi

echo "Building (Release)..." >&2
dotnet build ActorEcho -c Release --nologo -v quiet >&2
for model in "${models[@]}"; do
  dotnet build "bench/models/$model" -c Release --nologo -v quiet >&2
  driver_args+=(--model "$model=bench/models/$model/bin/Release/net10.0/$model.dll")
done
dotnet build bench/models/Driver -c Release --nologo -v quiet >&2
# Pingpong and stream loads come from bench/echoload (C, epoll), as in bench/run.sh.
command -v gcc >/dev/null || { echo "models/run.sh: gcc is needed to build bench/echoload (apt-get install -y gcc)" >&2; exit 2; }
mkdir -p bench/build
gcc -O2 -Wall -o bench/build/echoload bench/echoload/echoload.c

load_prefix=()
if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  driver_args+=(--server-cpu 0)
  load_prefix=(taskset -c 1)
  echo "Servers on CPU 0, load on CPU 1." >&2
else
  echo "No taskset or a single CPU: servers and load share the CPUs (figures are noisier)." >&2
fi
echo "Machine: $(nproc) CPUs, $(uptime | sed 's/.*load average/load average/')" >&2

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

# A hard cap on the whole run, in case anything hangs (each scenario is capped at 2 minutes besides).
"${load_prefix[@]}" timeout --kill-after=10 1800 dotnet bench/models/Driver/bin/Release/net10.0/Driver.dll \
  --actor-echo ActorEcho/bin/Release/net10.0/ActorEcho.dll \
  --echoload bench/build/echoload \
  --actor-config "${ACTOR_CONFIG:-bench/bench.hocon}" \
  --pid-file "$pid_file" \
  "${driver_args[@]}" &
driver_pid=$!
wait "$driver_pid"
