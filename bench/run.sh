#!/usr/bin/env bash
# Benchmarks ActorEcho against the raw-socket echo baseline (bench/models/AsyncAwait), the Akka.IO floor
# (bench/AkkaIoFloor: one trivial actor per connection, push mode, no acks: what Akka.IO itself allows, with
# ActorEcho's akka.hocon) and the Akka.Streams echo (bench/StreamsEchoServer, same Akka.NET and akka.hocon) on
# loopback, and prints tables of medians with each server's ratio to raw and to the floor, and the targets.
# Scenarios (SCENARIOS=a,b,... picks some; the names stay, so old tables compare):
#   pingpong-50x64B, pingpong-1000          ping-pong of 64 B on 50 / 1000 connections (echoload --busy-poll: msg/s,
#                                           p50/p99/p99.9, server CPU per message)
#   stream-10x256KiB-in-flight              10 connections, 256 KiB in flight each, 16 KiB writes (echoload: MB/s)
#   bulk-10x64KiB-writes                    the same with 64 KiB writes
#   idle-10000                              10,000 idle connections (512 connecting at a time): memory, still echoing
#   slow-reader-10                          10 clients that stop reading: peak memory, every byte back
#   storm-10000, storm-18000                every client connects at once to a fresh server (echoload --mode=storm):
#                                           16 B echo, 1 s hold, 16 B echo, close; time until all connected and all
#                                           echoed, the server's CPU for the cycle, client errors
#   slow-reader-flood                       5,000 clients x 1 MiB that read nothing for 10 s, then read it all back,
#                                           twice against one server, with a 64 B ping-pong client throughout: peak
#                                           RSS, RSS 10 s after, every byte checked, survival, OutOfMemory lines
#   slow-reader-flood-512MiB                the same with the server started inside a 512 MiB cgroup v1 memory cgroup
#                                           (needs root; skipped, with one line saying why, where impossible)
# TLS, after the plain scenarios, in tables of their own: ActorEcho's TLS listener against a raw .NET SslStream echo
# (bench/RawTlsEchoServer) through bench/tls.sh (the load: the product's `bench --tls`; see the script's header):
#   tls-handshakes                          handshakes/s of 50 workers, each connecting, handshaking, echoing 1 byte
#                                           and closing, again and again
#   tls-pingpong-50x64B                     ping-pong of 64 B on 50 TLS connections (msg/s)
#   tls-stream-10x16KiB                     10 TLS connections writing 16 KiB and reading at once (MB/s)
#   tls-slow-reader-flood                   bench/tls-flood.sh: 1,000 clients x 1 MiB that read nothing for 10 s, over
#                                           plain TCP and over TLS against ActorEcho, 2 rounds: peak RSS, every byte
#                                           checked, the ping-pong's p99; again in a 512 MiB cgroup v1 memory cgroup
#                                           when root
# Each scenario runs against a fresh server process, the servers alternating, for ROUNDS rounds (the floods: the
# first round only; the storms and pingpong-1000: SWING_ROUNDS, 7 by default, as their rounds swing here (storms
# ±15 % and a stall now and then, the ping-pong up to 2x between two modes); tls-slow-reader-flood: its own
# rounds). Where taskset exists and there are at least 2 CPUs, the servers run on CPU 0 and the load on CPU 1.
# FLOOR, STREAMS, SERVERS, BEFORE and BEFORE_CONFIG concern the plain scenarios only; ACTOR_CONFIG all of them.
# Pingpong, stream, bulk, storm and flood loads come from bench/echoload (C, epoll, one process, every byte checked:
# a client that outruns every server here), compiled with `gcc -O2` into bench/build/ (gitignored) at each run.
# Everything stops by itself; the servers are killed on exit, whatever happens.
#
#   bench/run.sh            # full run: 3 rounds (storms and pingpong-1000: 7), about 55 minutes, 15 of them TLS (a server that stalls in a flood can add minutes)
#   bench/run.sh --quick    # 1 round, short loads, floods of 500 clients, about 8 minutes (also QUICK=1)
#   bench/run.sh --smoke    # checks the harness itself in a few minutes: storms of 200, floods of 50 x 64 KiB (also SMOKE=1; figures meaningless)
#   ROUNDS=5 bench/run.sh   # more rounds on a noisy machine (SWING_ROUNDS=9: more rounds of the storms and pingpong-1000)
#   SCENARIOS=pingpong-50x64B,idle-10000 bench/run.sh
#   SCENARIOS=tls-handshakes,tls-pingpong-50x64B,tls-stream-10x16KiB bench/run.sh   # TLS only (about 4 minutes)
#   ACTOR_CONFIG=my.hocon bench/run.sh   # try settings: ActorEcho (and the Akka peers) run with this overlay instead of bench/bench.hocon
#   FLOOR=0 bench/run.sh    # without the Akka.IO floor peer
#   BEFORE=main bench/run.sh             # also "ActorEcho-before": that git revision's ActorEcho (its own akka.hocon, same
#                                        # overlay), built into bench/build/before/, beside today's in the same run
#   BEFORE_CONFIG=old.hocon bench/run.sh # also "ActorEcho-before": today's build with that overlay (with BEFORE: that build)
#   STREAMS=0 bench/run.sh  # without the Akka.Streams peer
#   SERVERS=raw,ActorEcho bench/run.sh   # only these servers (raw, ActorEcho, akka-io-floor, akka-streams, ActorEcho-before)
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
SMOKE=${SMOKE:-0}
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --smoke) SMOKE=1 ;;
    *) echo "usage: bench/run.sh [--quick | --smoke]" >&2; exit 2 ;;
  esac
done

# SCENARIOS splits into the plain ones (bench/Compare), the TLS echo ones (bench/tls.sh) and the TLS flood
# (bench/tls-flood.sh); none given: all of them.
tls_echo_all=(tls-handshakes tls-pingpong-50x64B tls-stream-10x16KiB)
plain=(); tls_echo=(); tls_flood=0
if [[ -z "${SCENARIOS:-}" ]]; then
  run_plain=1; tls_echo=("${tls_echo_all[@]}"); tls_flood=1
else
  IFS=, read -r -a picked <<<"$SCENARIOS"
  for scenario in "${picked[@]}"; do
    case "$scenario" in
      tls-handshakes | tls-pingpong-50x64B | tls-stream-10x16KiB) tls_echo+=("$scenario") ;;
      tls-slow-reader-flood) tls_flood=1 ;;
      tls-*) echo "run.sh: unknown scenario $scenario (TLS: ${tls_echo_all[*]} tls-slow-reader-flood)" >&2; exit 2 ;;
      *) plain+=("$scenario") ;;
    esac
  done
  run_plain=$(( ${#plain[@]} > 0 ))
fi

driver_args=()
if [[ "$SMOKE" == 1 ]]; then driver_args+=(--smoke); elif [[ "$QUICK" == 1 ]]; then driver_args+=(--quick); fi
if [[ -n "${ROUNDS:-}" ]]; then driver_args+=(--rounds "$ROUNDS"); fi
if [[ -n "${SWING_ROUNDS:-}" ]]; then driver_args+=(--swing-rounds "$SWING_ROUNDS"); fi
if [[ -n "${SCENARIOS:-}" ]]; then driver_args+=(--scenarios "$(IFS=,; echo "${plain[*]}")"); fi
if [[ -n "${SERVERS:-}" ]]; then driver_args+=(--servers "$SERVERS"); fi
# FLOOR=0 and STREAMS=0 leave the Akka.IO floor and the Akka.Streams peer out (a sweep of ActorEcho settings against raw, say).
if [[ "${FLOOR:-1}" != 0 ]]; then driver_args+=(--floor bench/AkkaIoFloor/bin/Release/net10.0/AkkaIoFloor.dll); fi
if [[ "${STREAMS:-1}" != 0 ]]; then driver_args+=(--streams bench/StreamsEchoServer/bin/Release/net10.0/StreamsEchoServer.dll); fi

pid_file=$(mktemp)
driver_pid=""
saved_backlogs=""
# slow-reader-flood-512MiB's memory cgroup (made and removed by the driver around each server).
cgroup_name="actorecho-bench-$$"
cleanup() {
  # The driver kills its servers and removes its cgroup itself; this covers a driver that was killed or crashed.
  if [[ -n "$driver_pid" ]]; then kill "$driver_pid" 2>/dev/null || true; fi
  while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$pid_file"
  rm -f "$pid_file"
  if [[ -d "/sys/fs/cgroup/memory/$cgroup_name" ]]; then sleep 1; rmdir "/sys/fs/cgroup/memory/$cgroup_name" 2>/dev/null || true; fi
  if [[ -n "$saved_backlogs" ]]; then sysctl -qw $saved_backlogs || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if (( run_plain )); then
  # Up to 18,000 client sockets live in echoload at once (storm-18000), and as many in the server.
  if (( $(ulimit -n) < 20000 )); then
    ulimit -n 20000 2>/dev/null || ulimit -n 12000 2>/dev/null \
      || { echo "run.sh: ulimit -n is $(ulimit -n); the idle scenario needs 12000 (storm-18000: 20000)" >&2; exit 2; }
  fi

  echo "Building (Release)..." >&2
  if ! command -v gcc >/dev/null; then
    echo "run.sh: gcc is needed to build bench/echoload (Debian/Ubuntu: apt-get install -y gcc)" >&2
    exit 2
  fi
  mkdir -p bench/build
  gcc -O2 -Wall -o bench/build/echoload bench/echoload/echoload.c
  dotnet build ActorEcho -c Release --nologo -v quiet >&2
  dotnet build bench/models/AsyncAwait -c Release --nologo -v quiet >&2
  if [[ "${FLOOR:-1}" != 0 ]]; then dotnet build bench/AkkaIoFloor -c Release --nologo -v quiet >&2; fi
  if [[ "${STREAMS:-1}" != 0 ]]; then dotnet build bench/StreamsEchoServer -c Release --nologo -v quiet >&2; fi
  dotnet build bench/Compare -c Release --nologo -v quiet >&2
  if [[ -n "${BEFORE:-}" ]]; then
    # The revision's files only (git archive: no worktree, no change to the repository), built on their own.
    rm -rf bench/build/before && mkdir -p bench/build/before
    git archive "$BEFORE" | tar -x -C bench/build/before
    dotnet build bench/build/before/ActorEcho -c Release --nologo -v quiet >&2
    driver_args+=(--before-dll bench/build/before/ActorEcho/bin/Release/net10.0/ActorEcho.dll)
  fi
  if [[ -n "${BEFORE_CONFIG:-}" ]]; then driver_args+=(--before-config "$BEFORE_CONFIG"); fi

  load_prefix=()
  if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
    driver_args+=(--server-cpu 0)
    load_prefix=(taskset -c 1)
    echo "Servers on CPU 0, load on CPU 1." >&2
  else
    echo "No taskset or a single CPU: servers and load share the CPUs (figures are noisier)." >&2
  fi

  # The storms connect 10,000 and 18,000 clients at the same instant. Linux caps every listen backlog at
  # net.core.somaxconn (4096 by default) and the half-open queue at net.ipv4.tcp_max_syn_backlog: the SYNs over them
  # are dropped and retried after 1 s and 3 s, so the storm would measure the kernel's caps (2.2-2.6 s to all
  # connected for every server here), not the servers (0.42-0.49 s with the caps raised). As root, the run raises
  # both to 32768 (every server asks for the largest backlog allowed) and puts them back at the end; BACKLOGS=keep
  # leaves them as they are.
  if [[ "${BACKLOGS:-raise}" != keep && -w /proc/sys/net/core/somaxconn ]]; then
    saved_backlogs="net.core.somaxconn=$(cat /proc/sys/net/core/somaxconn) net.ipv4.tcp_max_syn_backlog=$(cat /proc/sys/net/ipv4/tcp_max_syn_backlog)"
    sysctl -qw net.core.somaxconn=32768 net.ipv4.tcp_max_syn_backlog=32768 \
      && echo "Listen backlogs raised to 32768 for the storms (restored at the end; BACKLOGS=keep to leave them)." >&2 \
      || saved_backlogs=""
  fi

  # A hard cap on the plain run, in case anything hangs (each load has its own limit well inside it).
  "${load_prefix[@]}" timeout --kill-after=10 3600 dotnet bench/Compare/bin/Release/net10.0/Compare.dll \
    --actor-echo ActorEcho/bin/Release/net10.0/ActorEcho.dll \
    --raw bench/models/AsyncAwait/bin/Release/net10.0/AsyncAwait.dll \
    --echoload bench/build/echoload \
    --actor-config "${ACTOR_CONFIG:-bench/bench.hocon}" \
    --pid-file "$pid_file" \
    --cgroup-name "$cgroup_name" \
    "${driver_args[@]}" &
  driver_pid=$!
  wait "$driver_pid"
fi

# The TLS scenarios, after the plain ones so that their tables print after the plain tables; each script starts and
# stops its own servers and bounds its own loads.
tls_env=(QUICK="$QUICK" SMOKE="$SMOKE")
if (( ${#tls_echo[@]} > 0 )); then
  echo
  echo "TLS: ActorEcho's TLS listener against a raw .NET SslStream echo (bench/tls.sh)"
  env "${tls_env[@]}" SCENARIOS="$(IFS=,; echo "${tls_echo[*]}")" bench/tls.sh
fi
if (( tls_flood )); then
  echo
  echo "TLS slow-reader flood: the same slow readers over plain TCP and over TLS against ActorEcho (bench/tls-flood.sh, its own rounds)"
  echo
  env "${tls_env[@]}" ROUNDS= bench/tls-flood.sh
fi
