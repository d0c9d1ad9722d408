#!/usr/bin/env bash
# TLS slow-reader flood: do 1,000 TLS clients that stop reading hold memory within the same bound as plain TCP
# clients? (docs/tls.md) ActorEcho serves TCP and TLS (`--tls`, certificate = self-signed, bench/bench.hocon
# otherwise); against a fresh server each time, alternating, CLIENTS clients x BYTES read nothing for HOLD s, then
# read it all back, every byte checked: over plain TCP (bench/echoload --mode=slowread, with an echoload 64 B
# ping-pong beside it) and over TLS (bench/TlsFlood: the same over SslStream, with a 64 B TLS ping-pong). Per run:
# the server's idle RSS, its peak RSS (VmHWM), its RSS AFTER s later, clients completed/failed, wrong bytes (TLS:
# each one counted; plain: echoload stops a client at its first, so clients), the ping-pong's p99 and worst; then the
# same inside a CGROUP_MIB (512) MiB cgroup v1 memory cgroup when root (memory.failcnt, the cgroup's peak, whether
# the server survived). Ends with the highest peak of each kind and TLS's ratio to plain. MB = 10^6 bytes.
# Where taskset exists and there are at least 2 CPUs, the server runs on CPU 0 and the clients on CPU 1.
#
#   bench/tls-flood.sh                   # 1,000 x 1 MiB, hold 10 s, 2 rounds, with and without the cgroup: ~6 minutes
#   QUICK=1 bench/tls-flood.sh           # 500 x 1 MiB, hold 5 s, 1 round, RSS again 5 s after: ~2 minutes
#   SMOKE=1 bench/tls-flood.sh           # the harness itself: 50 x 64 KiB, hold 1 s, 1 round (figures meaningless)
#   CLIENTS=2000 BYTES=524288 HOLD=20 ROUNDS=3 AFTER=10 PARALLEL=64 TIMEOUT=180 bench/tls-flood.sh
#   CGROUP=0 (never) | only (only in the cgroup) | auto (default: both, the cgroup when possible); CGROUP_MIB=512
#   ACTOR_CONFIG=my.hocon bench/tls-flood.sh   # another overlay instead of bench/bench.hocon
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
SMOKE=${SMOKE:-0}
if [[ "$SMOKE" == 1 ]]; then defaults=(50 65536 1 1 1); elif [[ "$QUICK" == 1 ]]; then defaults=(500 1048576 5 1 5);
else defaults=(1000 1048576 10 2 10); fi
CLIENTS=${CLIENTS:-${defaults[0]}}
BYTES=${BYTES:-${defaults[1]}}
HOLD=${HOLD:-${defaults[2]}}
ROUNDS=${ROUNDS:-${defaults[3]}}
AFTER=${AFTER:-${defaults[4]}}
PARALLEL=${PARALLEL:-64}      # TLS handshakes at a time (the plain flood's connects are sequential)
TIMEOUT=${TIMEOUT:-180}       # each flood's bound, in seconds
CGROUP=${CGROUP:-auto}
CGROUP_MIB=${CGROUP_MIB:-512}
ACTOR_CONFIG=${ACTOR_CONFIG:-bench/bench.hocon}

# Each flood client is a socket in the load process, and each of its connections one in the server (which
# inherits this limit), plus the runtime's own descriptors.
descriptors=$((CLIENTS + 512))
if (( $(ulimit -n) < descriptors )); then
  ulimit -n "$descriptors" 2>/dev/null \
    || { echo "tls-flood.sh: ulimit -n is $(ulimit -n) (hard $(ulimit -Hn)); $CLIENTS clients need $descriptors" >&2; exit 2; }
fi

variants=()
cgroup_root=/sys/fs/cgroup/memory
cgroup_dir="$cgroup_root/actorecho-tlsflood-$$"
if [[ "$CGROUP" != only ]]; then variants+=(free); fi
if [[ "$CGROUP" != 0 ]]; then
  if [[ ! -f "$cgroup_root/memory.limit_in_bytes" ]]; then
    echo "In a ${CGROUP_MIB} MiB cgroup: skipped (no cgroup v1 memory controller at $cgroup_root)." >&2
  elif ! mkdir "$cgroup_dir" 2>/dev/null; then
    echo "In a ${CGROUP_MIB} MiB cgroup: skipped (cannot make a memory cgroup under $cgroup_root: root needed)." >&2
  else
    rmdir "$cgroup_dir"; variants+=(cgroup)
  fi
fi
(( ${#variants[@]} > 0 )) || { echo "tls-flood.sh: nothing to run (CGROUP=only, and no cgroup possible)" >&2; exit 2; }

echo "Building (Release)..." >&2
command -v gcc >/dev/null || { echo "tls-flood.sh: gcc is needed to build bench/echoload (apt-get install -y gcc)" >&2; exit 2; }
mkdir -p bench/build
gcc -O2 -Wall -o bench/build/echoload bench/echoload/echoload.c
dotnet build bench/TlsFlood -c Release --nologo -v quiet >&2   # builds ActorEcho too (a project reference)
actor=ActorEcho/bin/Release/net10.0/ActorEcho.dll
tlsflood=bench/TlsFlood/bin/Release/net10.0/TlsFlood.dll
echoload=bench/build/echoload

work=$(mktemp -d)
config="$work/flood.hocon"
{
  cat "$ACTOR_CONFIG"; echo; echo 'actor-echo.tls.certificate = self-signed'
  # max-connections is counted per listener (10,000 shipped); the flood and its ping-pong must fit.
  if (( CLIENTS + 1 > 10000 )); then echo "actor-echo.max-connections = $((CLIENTS + 100))"; fi
} > "$config"

server_cpu=(); load_cpu=()
if command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
  server_cpu=(taskset -c 0); load_cpu=(taskset -c 1)
  echo "Server on CPU 0, clients on CPU 1." >&2
fi

server_pid=""; sampler_pid=""; ping_pid=""
cleanup() {
  for pid in "$ping_pid" "$sampler_pid" "$server_pid"; do if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi; done
  if [[ -d "$cgroup_dir" ]]; then sleep 1; rmdir "$cgroup_dir" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status_kb() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$server_pid/status" 2>/dev/null || true; }
alive() { [[ -r "/proc/$server_pid/status" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$server_pid/status" 2>/dev/null; }
mb() { awk -v kb="${1:-0}" 'BEGIN {printf "%.0f", kb * 1024 / 1e6}'; }
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }
field() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" <<<"$2"; }

start_server() { # $1 = free|cgroup; sets server_pid, tcp_port, tls_port
  : > "$work/out"; : > "$work/err"
  local into=()
  if [[ $1 == cgroup ]]; then
    mkdir "$cgroup_dir"
    echo $((CGROUP_MIB * 1024 * 1024)) > "$cgroup_dir/memory.limit_in_bytes"
    # The process joins the cgroup before the runtime starts, so the GC sizes itself to the limit as in a container.
    into=(sh -c 'echo $$ > "$0" && exec "$@"' "$cgroup_dir/cgroup.procs")
  fi
  "${into[@]}" "${server_cpu[@]}" dotnet "$actor" 127.0.0.1:0 --tls 127.0.0.1:0 --config "$config" >"$work/out" 2>"$work/err" &
  server_pid=$!
  for _ in $(seq 1 300); do
    if grep -q '^Listening on tls ' "$work/out"; then
      tcp_port=$(sed -n 's/^Listening on [0-9.]*:\([0-9]*\)$/\1/p' "$work/out" | head -1)
      tls_port=$(sed -n 's/^Listening on tls [0-9.]*:\([0-9]*\)$/\1/p' "$work/out" | head -1)
      # The runtime's start-up allocations settle first: "idle" is the idle server.
      sleep 1
      return
    fi
    sleep 0.1
  done
  echo "tls-flood.sh: the server did not start:" >&2; cat "$work/err" >&2; exit 1
}

stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if [[ -d "$cgroup_dir" ]]; then
    for _ in $(seq 1 50); do rmdir "$cgroup_dir" 2>/dev/null && break; sleep 0.1; done
  fi
}

# VmHWM is the process's own peak RSS; sampled so that a server killed mid-flood still has the last one read.
start_sampler() {
  # Written aside and renamed: a sampler stopped mid-write must not leave an empty file (a peak of 0).
  ( while alive; do hwm=$(status_kb VmHWM); if [[ -n "$hwm" ]]; then echo "$hwm" > "$work/peak.new"; mv -f "$work/peak.new" "$work/peak"; fi; sleep 0.1; done ) &
  sampler_pid=$!
}
stop_sampler() { kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""; }

flood_tcp() { # sets completed, failed, wrong, p99_ms, worst_ms; the raw lines go to stderr
  "${load_cpu[@]}" "$echoload" --host=127.0.0.1 --port="$tcp_port" --mode=pingpong --conns=1 --size=64 \
    --secs=$((2 * TIMEOUT + 60)) > "$work/ping" 2>&1 &
  ping_pid=$!
  sleep 0.5
  local line
  line=$("${load_cpu[@]}" timeout --kill-after=10 $((TIMEOUT + 30)) "$echoload" --host=127.0.0.1 --port="$tcp_port" \
    --mode=slowread --conns="$CLIENTS" --total="$BYTES" --secs="$HOLD" --timeout="$TIMEOUT" | grep '^mode=' | tail -1) || true
  kill -INT "$ping_pid" 2>/dev/null || true; wait "$ping_pid" 2>/dev/null || true; ping_pid=""
  local ping; ping=$(grep '^mode=' "$work/ping" | tail -1 || true)
  echo "    flood: ${line:-no summary}" >&2; echo "    ping:  ${ping:-no summary}" >&2
  completed=$(kv complete "$line"); completed=${completed:-0}
  failed=$((CLIENTS - completed)); wrong=$(kv mismatches "$line"); wrong=${wrong:-?}
  p99_ms=$(awk -v us="$(kv p99_us "$ping")" 'BEGIN {printf "%.2f", us / 1000}')
  worst_ms=$(awk -v us="$(kv max_us "$ping")" 'BEGIN {printf "%.0f ms", us / 1000}')
  if [[ $(kv errors "$ping") != 0 || $(kv mismatches "$ping") != 0 ]]; then worst_ms="$worst_ms (the ping-pong failed)"; fi
}

flood_tls() { # the same figures from bench/TlsFlood's JSON line
  local json
  json=$("${load_cpu[@]}" timeout --kill-after=10 $((TIMEOUT + 90)) dotnet "$tlsflood" "127.0.0.1:$tls_port" --clients "$CLIENTS" \
    --bytes "$BYTES" --hold "$HOLD" --parallel "$PARALLEL" --timeout "$TIMEOUT" | tail -1) || true
  echo "    $json" >&2
  completed=$(field completed "$json"); completed=${completed:-0}
  failed=$((CLIENTS - completed)); wrong=$(field wrongBytes "$json"); wrong=${wrong:-?}
  p99_ms=$(awk -v us="$(field pingP99Micros "$json")" 'BEGIN {printf "%.2f", us / 1000}')
  worst_ms=$(awk -v us="$(field pingWorstMicros "$json")" 'BEGIN {printf "%.0f ms", us / 1000}')
  if ! grep -q '"pingError":null' <<<"$json"; then worst_ms="$worst_ms (the ping-pong failed)"; fi
}

echo "Flood: $CLIENTS clients x $BYTES B, not reading for $HOLD s; RSS read again $AFTER s after; $ROUNDS round(s)." >&2
results=()
for variant in "${variants[@]}"; do
  label=$([[ $variant == cgroup ]] && echo "${CGROUP_MIB}MiB" || echo "no-limit")
  for round in $(seq 1 "$ROUNDS"); do
    # Which kind goes first alternates, so a drift in the machine's load does not always favour one.
    kinds=(tcp tls); if (( round % 2 == 0 )); then kinds=(tls tcp); fi
    for kind in "${kinds[@]}"; do
      start_server "$variant"
      idle_kb=$(status_kb VmRSS)
      echo "  $label round $round $kind (server pid $server_pid, tcp $tcp_port, tls $tls_port)" >&2
      echo 0 > "$work/peak"; start_sampler
      "flood_$kind"
      stop_sampler
      peak_kb=$(cat "$work/peak")
      if alive; then now_kb=$(status_kb VmHWM); if (( ${now_kb:-0} > ${peak_kb:-0} )); then peak_kb=$now_kb; fi; fi
      after_mb=-; if alive; then sleep "$AFTER"; after_mb=$(mb "$(status_kb VmRSS)"); fi
      if alive; then state=alive; else wait "$server_pid" 2>/dev/null && state="exit 0" || state="exit $?"; fi
      oom=$(cat "$work/out" "$work/err" | grep -c -e 'OutOfMemory' -e 'Out of memory' || true)
      extra=""
      if [[ $variant == cgroup ]]; then
        extra=$(printf '  cgroup max %s MB, failcnt %s' "$(( $(cat "$cgroup_dir/memory.max_usage_in_bytes") / 1000000 ))" "$(cat "$cgroup_dir/memory.failcnt")")
      fi
      printf '%-9s round %d  %-3s  idle %4s MB  peak %5s MB  after %5s MB  completed %d/%d  failed %d  wrong %s  ping p99 %s ms, worst %s  server %s, OOM lines %s%s\n' \
        "$label" "$round" "$kind" "$(mb "$idle_kb")" "$(mb "$peak_kb")" "$after_mb" \
        "$completed" "$CLIENTS" "$failed" "$wrong" "$p99_ms" "$worst_ms" "$state" "$oom" "$extra"
      results+=("$label $kind $(mb "$peak_kb") $failed $wrong $state")
      stop_server
    done
  done
done

echo
echo "Highest peak RSS per kind ($CLIENTS clients x $BYTES B, $ROUNDS round(s)); TLS against plain TCP:"
for variant in "${variants[@]}"; do
  label=$([[ $variant == cgroup ]] && echo "${CGROUP_MIB}MiB" || echo "no-limit")
  peak() { printf '%s\n' "${results[@]}" | awk -v l="$label" -v k="$1" '$1 == l && $2 == k {if ($3 > m) m = $3} END {print m + 0}'; }
  clean() { printf '%s\n' "${results[@]}" | awk -v l="$label" -v k="$1" '$1 == l && $2 == k && ($4 != 0 || $5 != 0 || $6 != "alive") {bad++} END {print bad ? "NOT all complete, right and alive" : "all complete, every byte right, server alive"}'; }
  tcp=$(peak tcp); tls=$(peak tls)
  printf '%-9s tcp %5s MB (%s)   tls %5s MB (%s)   tls/tcp %s\n' "$label" "$tcp" "$(clean tcp)" "$tls" "$(clean tls)" \
    "$(awk -v a="$tls" -v b="$tcp" 'BEGIN {printf (b > 0) ? "%.2fx" : "-", a / b}')"
done
if [[ "$SMOKE" == 1 ]]; then echo "SMOKE RUN: tiny counts to check the harness; these figures mean nothing."; fi
