//! The conformance suite on PostgreSQL, tables in `public`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

yauth_store::conformance_tests!(|| async {
    // `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
    let db = common::connect_opt("seaorm_pg", yauth_test_support::Target::Postgres).await?;
    Some(yauth_seaorm::pg::SeaOrmPgBackend::from_connection(db))
});
