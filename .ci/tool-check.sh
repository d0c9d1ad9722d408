#!/usr/bin/env bash
# The .NET tool, as a user gets it: packs ActorEcho (`dotnet pack`), installs the package into a temporary tool
# path from that folder alone (a nuget.config with <clear/> and the folder, the network cut off with `unshare -n`
# where it can be), then runs the installed `actor-echo` from an empty directory, with no settings file anywhere:
#   --version            must print the csproj's Version, alone;
#   127.0.0.1:0          must serve (the embedded defaults), echo through `actor-echo client`, carry a 1 s
#                        `actor-echo bench`, and exit 0 on SIGTERM;
#   --config FILE        a relative path is read from the working directory.
# Exit 0 when all of that holds. Bounded (every wait has a limit); removes what it made.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { echo "tool-check: $*"; }
fail() { say "FAIL: $*"; exit 1; }

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

version=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' ActorEcho/ActorEcho.csproj | head -n 1)
[ -n "$version" ] || fail "no <Version> in ActorEcho/ActorEcho.csproj"

dotnet pack ActorEcho -c Release -o "$work/artifacts" --nologo -v q >"$work/pack.log" 2>&1 \
  || { cat "$work/pack.log"; fail "dotnet pack failed"; }

cat >"$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="artifacts" value="$work/artifacts" />
  </packageSources>
</configuration>
EOF
# A packages folder of its own, so nothing comes from the machine's cache: the package must carry everything.
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); else say "unshare -n unavailable: installing with the network up (from the local folder only)"; fi
NUGET_PACKAGES="$work/packages" timeout 120 "${offline[@]}" dotnet tool install ActorEcho --version "$version" \
  --tool-path "$work/tools" --configfile "$work/nuget.config" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "dotnet tool install failed"; }
tool="$work/tools/actor-echo"
[ -x "$tool" ] || fail "no actor-echo command in the tool path"

mkdir "$work/cwd" && cd "$work/cwd"

printed=$(timeout 30 "$tool" --version) || fail "actor-echo --version exited non-zero"
[ "$printed" = "$version" ] || fail "actor-echo --version printed '$printed', expected '$version'"
say "--version: $printed"

# Starts the tool in the background with its stdout in $1, then waits for its "Listening on" line.
start_server() {
  local out=$1; shift
  "$tool" "$@" >"$out" 2>"$out.err" &
  server=$!
  for _ in $(seq 1 300); do
    listening=$(sed -n 's/^Listening on \([0-9.]*:[0-9]*\)$/\1/p' "$out" | head -n 1)
    [ -n "$listening" ] && return 0
    kill -0 "$server" 2>/dev/null || { cat "$out.err"; fail "actor-echo $* exited before listening"; }
    sleep 0.1
  done
  cat "$out.err"
  fail "actor-echo $* printed no 'Listening on' line within 30 s"
}

stop_server() {
  kill -TERM "$server"
  local code
  for _ in $(seq 1 300); do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  wait "$server"
  code=$?
  server=""
  [ "$code" -eq 0 ] || fail "actor-echo exited $code after SIGTERM, expected 0"
}

start_server "$work/serve.out" 127.0.0.1:0
say "serving on $listening (embedded defaults, no akka.hocon anywhere)"
echo=$(timeout 30 "$tool" client "$listening" 'hello through the tool') || fail "actor-echo client exited non-zero"
[ "$echo" = 'hello through the tool' ] || fail "actor-echo client printed '$echo'"
timeout 60 "$tool" bench "$listening" -c 2 -d 1 --json >"$work/bench.json" 2>"$work/bench.err" \
  || { cat "$work/bench.err"; fail "actor-echo bench exited non-zero"; }
grep -q '"errors":0' "$work/bench.json" || fail "actor-echo bench printed no result: $(head -c 300 "$work/bench.json")"
stop_server
say "client echo, a 1 s bench, and SIGTERM exit 0"

# A relative --config path is the working directory's file.
echo 'actor-echo.bind-address = "127.0.0.1:0"' >relative.hocon
start_server "$work/config.out" --config relative.hocon
[ "${listening##*:}" != 2000 ] || fail "--config relative.hocon was not read (listening on the default port)"
stop_server
say "--config relative.hocon read from the working directory"
say "OK"
