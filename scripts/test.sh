#!/usr/bin/env bash
# Runs every check the project has: formatting, clippy with warnings denied, and all tests.
# Tests that need PostgreSQL, MariaDB or Redis read their URLs from the environment:
#   YAUTH_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test)
#   YAUTH_TEST_MYSQL_URL    (default mysql://root@127.0.0.1:3306/test)
#   YAUTH_TEST_REDIS_URL    (default redis://127.0.0.1:6379)
# With YAUTH_REQUIRE_SERVICES=1 a missing server fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
# sqlx's query! macros read the committed offline data in crates/yauth-sqlx/.sqlx.
export SQLX_OFFLINE=true

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy (workspace, all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

echo "== cargo doc (missing docs are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --quiet

echo "== migrations of the examples are fresh"
cargo run -q -p cargo-yauth -- yauth -f examples/quickstart/yauth.toml generate --check
cargo run -q -p cargo-yauth -- yauth -f examples/getting-started/yauth.toml generate --check
for dialect in sqlite postgres mysql; do
    cargo run -q -p cargo-yauth -- yauth -f "examples/full/yauth.$dialect.toml" generate --check
done

echo "== tests"
cargo nextest run --workspace --all-features --no-fail-fast
cargo test --workspace --all-features --doc

echo "== schemathesis (all checks, bounded) over the OpenAPI document, against the full example"
cargo build -q -p yauth-example-full
./scripts/schemathesis.sh

# diesel-libsql links its own SQLite, so its backend is a separate workspace (own lockfile and
# target directory) and is checked on its own.
echo "== yauth-libsql"
libsql=(--manifest-path crates/yauth-libsql/Cargo.toml)
cargo fmt "${libsql[@]}" --check
cargo clippy "${libsql[@]}" --all-targets -- -D warnings
cargo nextest run "${libsql[@]}" --no-fail-fast
