//! The conformance suite on PostgreSQL, tables in `public`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

// For a race case every connection is open before the case starts.
yauth_store::conformance_tests!(|setup: yauth_store::conformance::Setup| async move {
    // `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
    let db = common::connect_for("seaorm_pg", yauth_test_support::Target::Postgres, setup).await?;
    Some(yauth_seaorm::pg::SeaOrmPgBackend::from_connection(db))
});
