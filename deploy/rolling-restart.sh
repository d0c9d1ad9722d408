#!/usr/bin/env bash
# Rolling restart of two ActorEcho instances behind HAProxy, under client load, checked byte for byte.
#
# Starts two instances (built binaries, 127.0.0.1, free ports, each with its HTTP endpoint, a lame duck and the
# PROXY protocol v2 from 127.0.0.1) and HAProxy with deploy/haproxy.cfg (health check: GET /ready; send-proxy-v2). Clients connect through HAProxy all along: short
# sessions (connect, echo, half-close, verify) and a few multi-MB transfers. Each instance in turn gets SIGTERM,
# must exit 0, is started again, and HAProxy must see it UP before the next one goes. Prints how many sessions
# failed and how many bytes came back wrong; exit 0 only if both are zero (and every instance exited 0).
#
# Loopback only, bounded (about 40 s after the build; every wait has a limit), cleans up every process it started.
# Installs haproxy with apt-get when missing (run it as root there). Tunables (environment):
#   LAME_DUCK (4s), SHORT_CLIENTS (8), BULK_CLIENTS (3), BULK_BYTES (8 MiB), SETTLE_SECONDS (3),
#   CONFIGURATION (Release; CI passes Debug to reuse the build that `dotnet test` just made)
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

LAME_DUCK=${LAME_DUCK:-4s}
SHORT_CLIENTS=${SHORT_CLIENTS:-8}
BULK_CLIENTS=${BULK_CLIENTS:-3}
BULK_BYTES=${BULK_BYTES:-8388608}
SETTLE_SECONDS=${SETTLE_SECONDS:-3}
CONFIGURATION=${CONFIGURATION:-Release}
STOP_LIMIT_SECONDS=60

say() { echo "rolling-restart: $*"; }
fail() { say "FAIL: $*"; exit 1; }

work=$(mktemp -d)
declare -a pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  sleep 0.5
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

if ! command -v haproxy >/dev/null; then
  say "installing haproxy (apt-get)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; } >"$work/apt.log" 2>&1 \
    || { cat "$work/apt.log"; fail "cannot install haproxy"; }
fi

say "building ($CONFIGURATION)"
dotnet build ActorEcho/ActorEcho.csproj -c "$CONFIGURATION" -o "$work/actor-echo" >"$work/build.log" 2>&1 \
  && dotnet build deploy/RollingCheck/RollingCheck.csproj -c "$CONFIGURATION" -o "$work/check" >>"$work/build.log" 2>&1 \
  || { cat "$work/build.log"; fail "build failed"; }
check() { dotnet "$work/check/RollingCheck.dll" "$@"; }

read -r -d '' front e1 h1 e2 h2 stats < <(check ports 6; printf '\0')
declare -A address=([1]="127.0.0.1:$e1" [2]="127.0.0.1:$e2")
declare -A http=([1]="$h1" [2]="$h2")
declare -A instance_pid=()

for i in 1 2; do
  cat >"$work/echo$i.hocon" <<EOF
actor-echo {
  http-endpoint = "http://127.0.0.1:${http[$i]}"
  lame-duck = $LAME_DUCK
  # deploy/haproxy.cfg sends send-proxy-v2 from 127.0.0.1
  proxy-protocol { mode = v2, trusted-sources = ["127.0.0.1/32"] }
}
EOF
done

# Starts instance $1 and waits (bounded) for its "Listening on" line.
start_instance() {
  local i=$1 log="$work/echo$1.log"
  dotnet "$work/actor-echo/ActorEcho.dll" "${address[$i]}" --config "$work/echo$i.hocon" >>"$log" 2>&1 &
  instance_pid[$i]=$!
  pids+=("$!")
  for _ in $(seq 1 300); do
    grep -q "^Listening on ${address[$i]}" "$log" 2>/dev/null && return 0
    kill -0 "${instance_pid[$i]}" 2>/dev/null || { cat "$log"; fail "instance $i exited while starting"; }
    sleep 0.1
  done
  cat "$log"
  fail "instance $i did not listen within 30 s"
}

for i in 1 2; do start_instance "$i"; done
say "instances on ${address[1]} (http :${http[1]}) and ${address[2]} (http :${http[2]}), lame duck $LAME_DUCK"

ECHO_FRONTEND="127.0.0.1:$front" ECHO1_ADDRESS="${address[1]}" ECHO1_HTTP_PORT="${http[1]}" \
  ECHO2_ADDRESS="${address[2]}" ECHO2_HTTP_PORT="${http[2]}" HAPROXY_STATS="127.0.0.1:$stats" \
  haproxy -db -f deploy/haproxy.cfg >"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
pids+=("$haproxy_pid")
stats_url="http://127.0.0.1:$stats/"
sleep 0.5
kill -0 "$haproxy_pid" 2>/dev/null || { cat "$work/haproxy.log"; fail "haproxy exited"; }
for i in 1 2; do
  check wait-server "$stats_url" actor_echo "echo$i" UP 20 || { cat "$work/haproxy.log"; fail "HAProxy does not see echo$i UP"; }
done
say "HAProxy on 127.0.0.1:$front sees both UP; starting $SHORT_CLIENTS short-session and $BULK_CLIENTS bulk ($BULK_BYTES bytes) clients"

dotnet "$work/check/RollingCheck.dll" clients "127.0.0.1:$front" "$SHORT_CLIENTS" "$BULK_CLIENTS" "$BULK_BYTES" 180 >"$work/clients.log" 2>&1 &
clients=$!
pids+=("$clients")
sleep "$SETTLE_SECONDS"

restart_failed=0
for i in 1 2; do
  started=$(date +%s%N)
  kill -TERM "${instance_pid[$i]}"
  # Wait (bounded) for the exit; its status must be 0, a graceful shutdown.
  for _ in $(seq 1 $((STOP_LIMIT_SECONDS * 10))); do
    kill -0 "${instance_pid[$i]}" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "${instance_pid[$i]}" 2>/dev/null && fail "instance $i still running ${STOP_LIMIT_SECONDS} s after SIGTERM"
  wait "${instance_pid[$i]}"
  status=$?
  stopped_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  [ "$status" -eq 0 ] || { say "instance $i exited with $status"; tail -n 20 "$work/echo$i.log"; restart_failed=1; }
  start_instance "$i"
  check wait-server "$stats_url" actor_echo "echo$i" UP 20 || restart_failed=1
  say "echo$i: SIGTERM -> exit $status after $stopped_ms ms; restarted; HAProxy sees it UP again. Its shutdown log:"
  grep -E 'Lame duck|Shutting down|No longer accepting|Draining|Drain timeout|All connections closed|Rejecting' "$work/echo$i.log" \
    | sed -e 's/^/    /' | head -n 10
  sleep "$SETTLE_SECONDS"
done

kill -TERM "$clients"
wait "$clients"
clients_status=$?
cat "$work/clients.log"
for i in 1 2; do
  if grep -q '\[ERROR\]\|\[WARNING\]' "$work/echo$i.log"; then
    say "echo$i log:"; grep '\[ERROR\]\|\[WARNING\]' "$work/echo$i.log" | head -n 10
  fi
done

# The PROXY header went through: the instances log HAProxy's clients as "Accepting connection from C via B".
proxied=0
for i in 1 2; do
  grep -q 'Accepting connection from .* via 127\.0\.0\.1:' "$work/echo$i.log" || { say "echo$i logged no connection via HAProxy's PROXY header"; proxied=1; }
done

if [ "$clients_status" -ne 0 ] || [ "$restart_failed" -ne 0 ] || [ "$proxied" -ne 0 ]; then
  fail "sessions failed or bytes wrong (clients exit $clients_status), or an instance did not restart cleanly"
fi
say "PASS: rolling restart of 2 instances, no session failed, no byte wrong (${SECONDS} s)"
