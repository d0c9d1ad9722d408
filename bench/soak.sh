#!/usr/bin/env bash
# Connection-churn soak for ActorEcho: the long version of ChurnSpec. Starts a server on 127.0.0.1 (a free port)
# inside the soak process and runs CYCLES connect/echo/close cycles against it, then prints throughput, listener
# stats, open descriptors and memory before/after, and exits 0 only if every cycle echoed exactly and nothing
# leaked. Traffic goes to loopback only; it stops by itself after CYCLES or MAX_SECONDS.
#
#   bench/soak.sh                       # 100,000 cycles, 16 clients at a time, at most 600 s
#   CYCLES=20000 CONCURRENCY=8 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CYCLES=${CYCLES:-100000}
CONCURRENCY=${CONCURRENCY:-16}
PAYLOAD=${PAYLOAD:-64}
MAX_SECONDS=${MAX_SECONDS:-600}

dotnet build bench/Soak -c Release --nologo -v quiet
# The tool enforces MAX_SECONDS itself; the outer timeout is a backstop for a hang in start-up or shutdown.
exec timeout --kill-after=10 $((MAX_SECONDS + 60)) \
  dotnet bench/Soak/bin/Release/net10.0/Soak.dll \
  --cycles "$CYCLES" --concurrency "$CONCURRENCY" --payload "$PAYLOAD" --max-seconds "$MAX_SECONDS"
