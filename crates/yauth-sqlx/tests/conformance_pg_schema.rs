//! The conformance suite on PostgreSQL with every table in the schema `yauth_custom` (and none
//! in `public`), through `SqlxPgBackend::from_pool_with_schema`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use yauth_sqlx::pg::SqlxPgBackend;
use yauth_store::conformance::Setup;
use yauth_test_support::Target;

const SCHEMA: &str = "yauth_custom";

/// A backend on its own pool; for a race case every connection is open before the case starts.
async fn backend(setup: Setup) -> Option<SqlxPgBackend> {
    let url = common::database("sqlx_pg_schema", Target::PostgresSchema(SCHEMA))?;
    let pool = common::pg_pool(&url, setup.warm_connections()).await;
    Some(SqlxPgBackend::from_pool_with_schema(pool, SCHEMA))
}

// `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
yauth_store::conformance_tests!(backend);
