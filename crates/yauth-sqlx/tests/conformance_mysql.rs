//! The conformance suite on MySQL / MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use sqlx::mysql::MySqlPoolOptions;
use yauth_sqlx::mysql::SqlxMysqlBackend;
use yauth_store::conformance::Setup;
use yauth_test_support::Target;

/// A backend on its own pool; for a race case every connection is open before the case starts.
async fn backend(setup: Setup) -> Option<SqlxMysqlBackend> {
    let url = common::database("sqlx_mysql", Target::Mysql)?;
    let pool = MySqlPoolOptions::new()
        .max_connections(common::POOL_SIZE)
        .min_connections(setup.warm_connections())
        .connect(&url)
        .await
        .expect("connect to the test database");
    Some(SqlxMysqlBackend::from_pool(pool))
}

// `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
yauth_store::conformance_tests!(backend);
