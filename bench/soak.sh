#!/usr/bin/env bash
# Connection-churn soak for ActorEcho: the long version of ChurnSpec. Starts a server on 127.0.0.1 (a free port)
# inside the soak process and runs CYCLES connect/echo/close cycles against it, then prints throughput, listener
# stats, open descriptors and memory before/after, and exits 0 only if every cycle echoed exactly and nothing
# leaked. Traffic goes to loopback only; it stops by itself after CYCLES or MAX_SECONDS.
#
#   bench/soak.sh                       # 100,000 cycles, 16 clients at a time, at most 600 s
#   CYCLES=20000 CONCURRENCY=8 bench/soak.sh
#   SECONDS_TO_RUN=1800 bench/soak.sh   # 30 minutes of churn, a sample a minute (RSS, descriptors, GC counts,
#                                       # heap), judged flat: the last third of the minutes against the first
set -euo pipefail
cd "$(dirname "$0")/.."

CYCLES=${CYCLES:-100000}
CONCURRENCY=${CONCURRENCY:-16}
PAYLOAD=${PAYLOAD:-64}
MAX_SECONDS=${MAX_SECONDS:-600}
SECONDS_TO_RUN=${SECONDS_TO_RUN:-0}
if (( SECONDS_TO_RUN > 0 && MAX_SECONDS < SECONDS_TO_RUN + 120 )); then MAX_SECONDS=$((SECONDS_TO_RUN + 120)); fi

dotnet build bench/Soak -c Release --nologo -v quiet
# The tool enforces MAX_SECONDS itself; the outer timeout is a backstop for a hang in start-up or shutdown.
exec timeout --kill-after=10 $((MAX_SECONDS + 60)) \
  dotnet bench/Soak/bin/Release/net10.0/Soak.dll \
  --cycles "$CYCLES" --concurrency "$CONCURRENCY" --payload "$PAYLOAD" --max-seconds "$MAX_SECONDS" --seconds "$SECONDS_TO_RUN"
