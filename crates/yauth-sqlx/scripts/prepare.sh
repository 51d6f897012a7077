#!/usr/bin/env bash
# Regenerates crates/yauth-sqlx/.sqlx: the offline data of the crate's compile-time checked
# queries, so that nobody needs a database to build the crate (SQLX_OFFLINE=true, or no
# YAUTH_SQLX_DATABASE_URL at all).
#
# For each dialect it creates a scratch database, applies the migration `cargo yauth generate`
# writes for sqlx and that dialect (every plugin), then compiles the crate with only that
# dialect's feature and YAUTH_SQLX_DATABASE_URL pointing at it, so the sqlx macros check every
# query against the real database and record it. The three sets are merged into .sqlx/ (each file
# is keyed by the hash of its SQL text and names its database; the texts differ per dialect).
#
# Needs: psql, mariadb (or mysql) and sqlite3 clients, a PostgreSQL and a MySQL/MariaDB server.
#   PREPARE_PG_URL      admin URL of PostgreSQL   [postgres://postgres@127.0.0.1:5432/postgres]
#   PREPARE_MYSQL_HOST / PREPARE_MYSQL_PORT / PREPARE_MYSQL_USER / PREPARE_MYSQL_PASSWORD
#                                                 [127.0.0.1 / 3306 / root / (none)]
# Usage: crates/yauth-sqlx/scripts/prepare.sh [postgres|mysql|sqlite ...]   (default: all three)
set -euo pipefail

crate_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$crate_dir/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pg_admin="${PREPARE_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
my_host="${PREPARE_MYSQL_HOST:-127.0.0.1}"
my_port="${PREPARE_MYSQL_PORT:-3306}"
my_user="${PREPARE_MYSQL_USER:-root}"
my_pass="${PREPARE_MYSQL_PASSWORD:-}"
db=yauth_sqlx_prepare
mysql_cli="$(command -v mariadb || command -v mysql)"
mysql_run() { MYSQL_PWD="$my_pass" "$mysql_cli" -h "$my_host" -P "$my_port" -u "$my_user" "$@"; }

dialects=("$@")
[ ${#dialects[@]} -eq 0 ] && dialects=(postgres mysql sqlite)

plugins=email-password,passkey,mfa,oauth,bearer,api-key,magic-link,oauth2-server,account-lockout,webhooks,oidc
(cd "$root" && cargo build --quiet -p cargo-yauth)
cargo_yauth="${CARGO_TARGET_DIR:-$root/target}/debug/cargo-yauth"

# The up migration `cargo yauth generate` writes for sqlx and the dialect.
migration() {
    local dir="$work/migrations-$1"
    mkdir -p "$dir"
    (cd "$dir" && "$cargo_yauth" yauth init --orm sqlx --dialect "$1" --plugins "$plugins" \
        --migrations-dir migrations </dev/null >/dev/null)
    cat "$dir"/migrations/*.up.sql
}

for dialect in "${dialects[@]}"; do
    echo "== $dialect"
    case "$dialect" in
        postgres)
            psql -q -v ON_ERROR_STOP=1 "$pg_admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
            url="${pg_admin%/*}/$db"
            migration postgres | psql -q -v ON_ERROR_STOP=1 "$url"
            ;;
        mysql)
            mysql_run -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4"
            migration mysql | mysql_run "$db"
            url="mysql://$my_user${my_pass:+:$my_pass}@$my_host:$my_port/$db"
            ;;
        sqlite)
            file="$work/$db.sqlite"
            migration sqlite | sqlite3 "$file"
            url="sqlite://$file"
            ;;
        *) echo "unknown dialect $dialect" >&2; exit 2 ;;
    esac
    out="$work/sqlx-$dialect"
    mkdir -p "$out"
    touch "$crate_dir/src/lib.rs"
    (cd "$root" && SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" YAUTH_SQLX_DATABASE_URL="$url" \
        cargo check --quiet -p yauth-sqlx --lib --no-default-features --features "$dialect")
    echo "   $(ls "$out" | wc -l) queries checked against $dialect"
done

# Replace the data of the dialects just checked, keep the others'.
mkdir -p "$crate_dir/.sqlx"
for dialect in "${dialects[@]}"; do
    case "$dialect" in postgres) name=PostgreSQL ;; mysql) name=MySQL ;; sqlite) name=SQLite ;; esac
    { grep -l "\"db_name\": \"$name\"" "$crate_dir"/.sqlx/query-*.json 2>/dev/null || true; } | xargs -r rm --
done
for dialect in "${dialects[@]}"; do
    for f in "$work/sqlx-$dialect"/query-*.json; do
        if [ -e "$crate_dir/.sqlx/$(basename "$f")" ]; then
            echo "two dialects share the SQL text of $(basename "$f"): make the texts differ" >&2
            exit 1
        fi
        cp "$f" "$crate_dir/.sqlx/"
    done
done
touch "$crate_dir/src/lib.rs"
(cd "$root" && SQLX_OFFLINE=true cargo check --quiet -p yauth-sqlx --all-features --all-targets)
echo "offline data in $crate_dir/.sqlx: $(ls "$crate_dir"/.sqlx | wc -l) queries; commit it"
