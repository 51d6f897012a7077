//! The conformance suite on a SQLite file (WAL mode, as the test helper creates it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use yauth_sqlx::sqlite::SqlxSqliteBackend;
use yauth_store::conformance::Setup;
use yauth_test_support::Target;

/// A backend on its own pool; for a race case every connection is open before the case starts.
async fn backend(setup: Setup) -> Option<SqlxSqliteBackend> {
    let url = common::database("sqlx_sqlite", Target::Sqlite)?;
    let options = SqliteConnectOptions::from_str(&url)
        .expect("a SQLite URL")
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(common::POOL_SIZE)
        .min_connections(setup.warm_connections())
        .connect_with(options)
        .await
        .expect("open the test database");
    Some(SqlxSqliteBackend::from_pool(pool))
}

// `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
yauth_store::conformance_tests!(backend);
