#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: immune to the other processes on
# the machine, unlike bench/run's timings (issue 22: how the misses were profiled). One worker,
# wrk with 8 connections; each phase runs 2 s unmeasured, then 4 s counted, and the instructions
# of 4 idle seconds (background tasks, sled's flusher) are subtracted.
#
#   bench/callgrind.sh [LATCHKEY_BINARY] [BASELINE_BINARY]
#
# Defaults: target/release/latchkey and target/release/bench-baseline (bench/run builds both).
# Phases: the baseline's GET /ping; Latchkey's GET /health, a secret-key read
# (GET /v1/environments/current) and a client-credentials access-token read
# (GET /v1/environments), each with one credential (always a principal-cache hit), on a freshly
# bootstrapped store. The profiles stay in the printed directory, for callgrind_annotate.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BIN=${1:-$REPO/target/release/latchkey}
BASE=${2:-$REPO/target/release/bench-baseline}
command -v valgrind >/dev/null || { echo "bench/callgrind.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
D=$(mktemp -d /tmp/latchkey-callgrind.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; true' EXIT

# start NAME BANNER_PATTERN COMMAND...: runs COMMAND under callgrind (counting off); sets PID, URL.
start() {
  local name=$1 banner=$2; shift 2
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$D/$name.%p" "$@" >"$D/$name.out" 2>"$D/$name.err" &
  PID=$!
  for _ in $(seq 1 600); do grep -q "$banner" "$D/$name.out" 2>/dev/null && break; sleep 0.2; done
  URL=$(sed -n "s/^$banner \(http:[^ ]*\).*/\1/p" "$D/$name.out" | head -1)
  [ -n "$URL" ] || { cat "$D/$name.err" >&2; echo "bench/callgrind.sh: $name did not start" >&2; exit 1; }
}
# counted NAME: instructions since the last zeroing, dumped as NAME.
counted() {
  callgrind_control -d "$1" "$PID" >/dev/null 2>&1
  sleep 0.5
  grep -h '^totals:' "$(ls -t "$D"/*."$PID".* | head -1)" | awk '{print $2}'
}
idle() {
  callgrind_control -z "$PID" >/dev/null 2>&1; callgrind_control -i on "$PID" >/dev/null 2>&1
  sleep 4
  callgrind_control -i off "$PID" >/dev/null 2>&1
  IDLE=$(counted idle)
}
# phase NAME PATH [BEARER]
phase() {
  local auth=()
  [ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
  wrk -t1 -c8 -d2s --timeout 10s "${auth[@]}" "$URL$2" >/dev/null 2>&1
  callgrind_control -z "$PID" >/dev/null 2>&1; callgrind_control -i on "$PID" >/dev/null 2>&1
  local n
  n=$(wrk -t1 -c8 -d4s --timeout 10s "${auth[@]}" "$URL$2" | awk '/requests in/ {print $1}')
  callgrind_control -i off "$PID" >/dev/null 2>&1
  local total
  total=$(counted "$1")
  if [ "${n:-0}" -gt 0 ]; then
    printf '%-16s %7d requests  %8d instructions/request\n' "$1" "$n" $(( (total - IDLE) / n ))
  else
    printf '%-16s no answer within the 4 s (a loaded machine: run it again)\n' "$1"
  fi
}
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(eval(process.argv[1]))})' "$1"; }

start baseline "baseline is listening on" "$BASE" serve --workers 1
idle
phase ping /ping
kill "$PID"; wait "$PID" 2>/dev/null || true

export LATCHKEY_SERVER__BIND=127.0.0.1:0 LATCHKEY_SERVER__WORKERS=1 \
  LATCHKEY_BOOTSTRAP__ADMIN_PASSWORD=callgrind-password LATCHKEY_SECURITY__PBKDF2_ITERATIONS=1000 \
  LATCHKEY_STORAGE__DATA_DIR="$D/data" LATCHKEY_SECURITY__MASTER_KEY_FILE="$D/master-key"
start latchkey "Latchkey is listening on" "$BIN"
SK=$(sed -n 's/^FLATFILE_API_KEY=//p' "$D/latchkey.out")
ADMIN=$(curl -sf -H 'content-type: application/json' -d '{"email":"admin@example.com","password":"callgrind-password"}' "$URL/v1/auth" | json 'v.accessToken')
USER_ID=$(curl -sf -H "Authorization: Bearer $ADMIN" "$URL/v1/latchkey/whoami" | json 'v.data.id')
PAIR=$(curl -sf -X POST -H "Authorization: Bearer $ADMIN" "$URL/v1/users/$USER_ID/api-token?tenantId=callgrind" | json 'JSON.stringify({clientId: v.data.clientId, secret: v.data.secret})')
JWT=$(curl -sf -H 'content-type: application/json' -d "$PAIR" "$URL/v1/auth" | json 'v.accessToken')
idle
phase health /health
phase secret /v1/environments/current "$SK"
phase jwt /v1/environments "$JWT"
echo "profiles: $D (callgrind_annotate --inclusive=yes FILE)"
