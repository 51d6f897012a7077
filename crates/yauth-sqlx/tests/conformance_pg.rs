//! The conformance suite on PostgreSQL, tables in `public`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use yauth_sqlx::pg::SqlxPgBackend;
use yauth_test_support::Target;

async fn backend() -> Option<SqlxPgBackend> {
    let url = common::database("sqlx_pg", Target::Postgres)?;
    Some(SqlxPgBackend::from_pool(common::pg_pool(&url).await))
}

// `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
yauth_store::conformance_tests!(backend);
