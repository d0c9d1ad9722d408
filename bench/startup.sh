#!/usr/bin/env bash
# Start-up time of ActorEcho's build variants: from exec to the "Listening on" line on stdout, RUNS times each, the
# variants alternating (so a machine that gets busier mid-way slows them all alike), then median and min per variant
# with the load average before and after. Each start is `<variant> 127.0.0.1:0` in an empty directory, stopped with
# SIGTERM once it has printed the line (and must exit 0).
#
# Variants (each built here into a temporary directory; one that does not build or does not serve is reported as
# such, with the reason, and left out of the table):
#   debug      dotnet build (Debug), run as `dotnet ActorEcho.dll`, what `dotnet run` starts
#   release    dotnet publish -c Release, framework-dependent, the apphost
#   r2r        the same with -r linux-x64 -p:PublishReadyToRun=true (precompiled code, still framework-dependent)
#   trimmed    -r linux-x64 --self-contained -p:PublishSingleFile=true -p:PublishTrimmed=true: Akka.NET 1.5 is not
#              trim-safe (akka.net#7246: HOCON-named types and serializers are found by reflection); built with trim
#              warnings allowed, to see whether it serves at all
#
#   bash bench/startup.sh                 # 10 runs each (the docs' table); RUNS=2 for a smoke run
#   VARIANTS="release r2r" bash bench/startup.sh
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

RUNS=${RUNS:-10}
VARIANTS=${VARIANTS:-debug release r2r trimmed}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { echo "startup: $*" >&2; }

declare -A command=()
build() {
  local variant=$1 out="$work/$1"
  case $variant in
    debug)
      dotnet build ActorEcho -c Debug --nologo -v q >"$work/$variant.log" 2>&1 \
        && command[$variant]="dotnet $PWD/ActorEcho/bin/Debug/net10.0/ActorEcho.dll" ;;
    release)
      dotnet publish ActorEcho -c Release -o "$out" --nologo -v q >"$work/$variant.log" 2>&1 \
        && command[$variant]="$out/ActorEcho" ;;
    r2r)
      dotnet publish ActorEcho -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out" \
        --nologo -v q >"$work/$variant.log" 2>&1 && command[$variant]="$out/ActorEcho" ;;
    trimmed)
      dotnet publish ActorEcho -c Release -r linux-x64 --self-contained true -p:PublishSingleFile=true \
        -p:PublishTrimmed=true -p:TreatWarningsAsErrors=false -o "$out" --nologo -v q >"$work/$variant.log" 2>&1 \
        && command[$variant]="$out/ActorEcho" ;;
    *) say "unknown variant $variant"; return 1 ;;
  esac
  if [ -z "${command[$variant]:-}" ]; then
    say "$variant: does not build:"; grep -E "error" "$work/$variant.log" | sort -u | head -n 5 >&2
    return 1
  fi
  [ "$variant" = trimmed ] && say "trimmed: $(grep -c 'warning IL' "$work/$variant.log") trim warnings (IL2xxx/IL3xxx) in the build"
}

for variant in $VARIANTS; do
  say "building $variant"
  build "$variant"
done

mkdir -p "$work/cwd"
# One start: exec, wait for "Listening on", SIGTERM, wait for exit 0. Prints milliseconds, or fails with the reason.
measure() {
  python3 - "$work/cwd" "$@" <<'EOF'
import os, signal, subprocess, sys, time
cwd, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
p = subprocess.Popen(argv + ["127.0.0.1:0"], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
line = p.stdout.readline()
elapsed = (time.perf_counter() - start) * 1000
if not line.startswith("Listening on"):
    p.kill(); err = p.stderr.read()
    sys.exit(f"no 'Listening on' line: {line.strip()!r} {err.strip().splitlines()[-1:] if err.strip() else ''}")
p.send_signal(signal.SIGTERM)
try:
    code = p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill(); sys.exit("did not exit within 30 s of SIGTERM")
if code != 0:
    sys.exit(f"exited {code} after SIGTERM")
print(f"{elapsed:.1f}")
EOF
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A times=()
for variant in $VARIANTS; do
  [ -n "${command[$variant]:-}" ] || continue
  # A first start outside the count: the file cache warm for every variant alike.
  if ! warm=$(measure ${command[$variant]} 2>&1); then
    say "$variant: does not serve: $warm"
    unset "command[$variant]"
  fi
done
for run in $(seq 1 "$RUNS"); do
  for variant in $VARIANTS; do
    [ -n "${command[$variant]:-}" ] || continue
    if ms=$(measure ${command[$variant]} 2>&1); then
      times[$variant]="${times[$variant]:-} $ms"
    else
      say "$variant run $run: $ms"
    fi
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "start-up, exec to 'Listening on' (ms), $RUNS runs each, alternating; load average $load_before before, $load_after after"
printf '%-9s %9s %9s  %s\n' variant median min "size on disk"
for variant in $VARIANTS; do
  if [ -z "${times[$variant]:-}" ]; then
    printf '%-9s %9s %9s\n' "$variant" - -
    continue
  fi
  read -r median min < <(tr ' ' '\n' <<<"${times[$variant]}" | sed '/^$/d' | sort -n \
    | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1] }')
  size=$([ "$variant" = debug ] && du -sh ActorEcho/bin/Debug/net10.0 | cut -f1 || du -sh "$work/$variant" | cut -f1)
  printf '%-9s %9.1f %9.1f  %s\n' "$variant" "$median" "$min" "$size"
done
