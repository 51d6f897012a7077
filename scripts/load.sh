#!/usr/bin/env bash
# Load run on loopback (wrk -t2 -c32) against crates/yauth/examples/load_server.rs: in each mode,
# a bare axum handler and yauth's GET /session served by one process, so they are measured in
# the same run. Prints a markdown table of requests per second, p50, p99 and the ratio to the
# bare handler. Not part of the test command: it measures, it does not check.
#
#   MODES="memory postgres postgres+redis diesel-postgres seaorm-postgres"   (default: all five)
#   DURATION=10s                              (per workload)
#   EXTRA_FEATURES=telemetry                  (more yauth features compiled in, e.g. to see their cost)
# postgres provisions a migrated database from YAUTH_TEST_POSTGRES_URL; +redis uses
# YAUTH_TEST_REDIS_URL (default redis://127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10s}"
modes="${MODES:-memory postgres postgres+redis diesel-postgres seaorm-postgres}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p yauth --example load_server \
  --features "email-password,bearer,api-key,sqlx-pg-backend,diesel-pg-backend,seaorm-pg-backend,redis${EXTRA_FEATURES:+,$EXTRA_FEATURES}"
target="${CARGO_TARGET_DIR:-target}"
redis_url="${YAUTH_TEST_REDIS_URL:-redis://127.0.0.1:6379}"

# "req/s p50 p99" of one workload.
measure() {
  wrk -t2 -c32 -d"$duration" --latency "$@" | awk '
    /Requests\/sec/ {rps=$2}
    $1=="50%" {p50=$2}
    $1=="99%" {p99=$2}
    END {print rps, p50, p99}'
}

echo "| mode | workload | req/s | p50 | p99 | ratio to bare |"
echo "|---|---|---|---|---|---|"
for mode in $modes; do
  out="$(mktemp)"
  case "$mode" in
    memory) env LOAD_BACKEND=memory "$target/release/examples/load_server" >"$out" & ;;
    postgres|diesel-postgres|seaorm-postgres)
      env LOAD_BACKEND="$mode" "$target/release/examples/load_server" >"$out" & ;;
    postgres+redis) env LOAD_BACKEND=postgres LOAD_REDIS_URL="$redis_url" \
      "$target/release/examples/load_server" >"$out" & ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  server=$!
  for _ in $(seq 300); do grep -q READY=1 "$out" && break; sleep 0.1; done
  # shellcheck disable=SC1090
  source "$out"
  base="http://127.0.0.1:$PORT"
  read -r bare bare50 bare99 < <(measure "$base/hello")
  echo "| $mode | bare axum \`/hello\` | $bare | $bare50 | $bare99 | 100 % |"
  row() {
    local name=$1; shift
    read -r rps p50 p99 < <(measure "$@")
    printf '| %s | %s | %s | %s | %s | %.0f %% |\n' "$mode" "$name" "$rps" "$p50" "$p99" \
      "$(echo "$rps / $bare * 100" | bc -l)"
  }
  if [ "$mode" != memory ]; then
    row "bare axum + one PK select \`/pk\`" "$base/pk"
  fi
  row "GET /session, cookie" -H "Cookie: $COOKIE" "$base/api/auth/session"
  row "GET /session, bearer JWT" -H "Authorization: Bearer $ACCESS_TOKEN" "$base/api/auth/session"
  row "GET /session, API key" -H "X-Api-Key: $API_KEY" "$base/api/auth/session"
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -f "$out"
done
