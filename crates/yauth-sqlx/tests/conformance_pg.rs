//! The conformance suite on PostgreSQL, tables in `public`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use yauth_sqlx::pg::SqlxPgBackend;
use yauth_test_support::Target;

async fn backend() -> Option<SqlxPgBackend> {
    let url = common::database("sqlx_pg", Target::Postgres)?;
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
    Some(SqlxPgBackend::from_pool(pool))
}

// `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
yauth_store::conformance_tests!(backend);
