//! The conformance suite on PostgreSQL with every table in the schema `yauth_custom` (and none
//! in `public`), through `SqlxPgBackend::from_pool_with_schema`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use yauth_sqlx::pg::SqlxPgBackend;
use yauth_test_support::Target;

const SCHEMA: &str = "yauth_custom";

async fn backend() -> Option<SqlxPgBackend> {
    let url = common::database("sqlx_pg_schema", Target::PostgresSchema(SCHEMA))?;
    let pool = PgPoolOptions::new()
        .max_connections(common::POOL_SIZE)
        // Loopback: no TLS handshake per connection (slow in debug builds).
        .connect_with(
            PgConnectOptions::from_str(&url)
                .expect("a PostgreSQL URL")
                .ssl_mode(PgSslMode::Disable),
        )
        .await
        .expect("connect to the test database");
    Some(SqlxPgBackend::from_pool_with_schema(pool, SCHEMA))
}

// `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
yauth_store::conformance_tests!(backend);
