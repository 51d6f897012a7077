#!/usr/bin/env bash
# Runs schemathesis with every check over packages/client/openapi.json (every plugin) against the
# full example (every plugin), anonymous, with a user's session cookie, and (the admin routes) with
# an administrator's. Bounded: SCHEMATHESIS_EXAMPLES
# examples per operation (default 25). Expects the example to be built
# (`cargo build -p yauth-example-full`).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${SCHEMATHESIS_EXAMPLES:-25}
work=$(mktemp -d)
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')
base=http://127.0.0.1:3000/api/auth

# Rate limits off: the fuzzer sends hundreds of requests per operation from one address. The
# example's public URL is a host name (WebAuthn needs one), so requests carry its origin.
origin=http://localhost:3000
admin_email="schemathesis-admin@example.com"
password="correct-horse-battery-staple-42"
(cd "$work" && DATABASE_URL="sqlite://$work/st.db" YAUTH_RATE_LIMITS=off \
  YAUTH_EXAMPLE_ADDR=127.0.0.1:3000 YAUTH_EXAMPLE_BASE_URL="$origin" \
  YAUTH_ADMIN_EMAIL="$admin_email" YAUTH_ADMIN_PASSWORD="$password" \
  exec "$target_dir/debug/yauth-example-full" >"$work/server.log" 2>&1) &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "$base/status" -H 'accept: application/json' && break
  curl -s -o /dev/null "$base/status" && break
  sleep 0.2
done

# A verified account and its session cookie, through the API itself.
email="schemathesis-$RANDOM@example.com"
curl -sf -X POST "$base/register" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" >/dev/null
token=""
for _ in $(seq 1 50); do
  token=$(grep -o 'verify-email?token=[A-Za-z0-9_-]*' "$work/server.log" | tail -1 | cut -d= -f2 || true)
  [ -n "$token" ] && break
  sleep 0.1
done
[ -n "$token" ] || { echo "no verification email in the server log" >&2; exit 1; }
curl -sf -X POST "$base/verify-email" -H 'content-type: application/json' \
  -d "{\"token\":\"$token\"}" >/dev/null
session_of() {
  curl -sf -i -X POST "$base/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$password\"}" \
    | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1
}
cookie=$(session_of "$email")
[ -n "$cookie" ] || { echo "login did not set a session cookie" >&2; exit 1; }

# The session goes in through the document's own security scheme, so schemathesis knows which
# requests carry it (and checks that requests without it are refused).
cp scripts/schemathesis.toml "$work/session.toml"
printf '\n[auth.openapi.session]\napi_key = "%s"\n' "${cookie#*=}" >>"$work/session.toml"

run() {
  local config=$1; shift
  schemathesis --config-file "$config" run packages/client/openapi.json \
    --url "$base" --checks all --max-examples "$examples" --seed 1 "$@"
}
echo "== schemathesis: anonymous"
run scripts/schemathesis.toml
echo "== schemathesis: with a session cookie"
# Logging out would end the session the rest of the run needs; it has its own tests.
run "$work/session.toml" -H "Origin: $origin" --exclude-path /logout
# The admin routes with an administrator's session (created by the example from
# YAUTH_ADMIN_EMAIL), after the user's run: the fuzzer may ban or delete that user.
admin_cookie=$(session_of "$admin_email")
[ -n "$admin_cookie" ] || { echo "the admin login did not set a session cookie" >&2; exit 1; }
cp scripts/schemathesis.toml "$work/admin.toml"
printf '\n[auth.openapi.session]\napi_key = "%s"\n' "${admin_cookie#*=}" >>"$work/admin.toml"
echo "== schemathesis: admin and webhook routes with an administrator's session"
run "$work/admin.toml" -H "Origin: $origin" --include-path-regex '^/(admin|webhooks)(/|$)'
