#!/usr/bin/env bash
# Load run on loopback (wrk -t2 -c32): a bare axum handler, then GET /session with a session
# cookie, a bearer access token and an API key, all served by one process
# (crates/yauth/examples/load_server.rs). Prints requests per second and the ratio to bare axum.
# Not part of the test command: it measures, it does not check. DURATION=10s by default.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10s}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p yauth --example load_server --features email-password,bearer,api-key
target="${CARGO_TARGET_DIR:-target}"
out="$(mktemp)"
"$target/release/examples/load_server" >"$out" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q READY=1 "$out" && break; sleep 0.1; done
# shellcheck disable=SC1090
source "$out"
base="http://127.0.0.1:$PORT"
rate() { wrk -t2 -c32 -d"$duration" "$@" | awk '/Requests\/sec/ {print $2}'; }
bare=$(rate "$base/hello")
cookie=$(rate -H "Cookie: $COOKIE" "$base/api/auth/session")
bearer=$(rate -H "Authorization: Bearer $ACCESS_TOKEN" "$base/api/auth/session")
apikey=$(rate -H "X-Api-Key: $API_KEY" "$base/api/auth/session")
printf '%-28s %12s %8s\n' workload 'req/s' ratio
for row in "bare axum /hello:$bare" "session cookie:$cookie" "bearer access token:$bearer" "API key:$apikey"; do
  name="${row%%:*}"; value="${row##*:}"
  printf '%-28s %12s %7.0f%%\n' "$name" "$value" "$(echo "$value / $bare * 100" | bc -l)"
done
