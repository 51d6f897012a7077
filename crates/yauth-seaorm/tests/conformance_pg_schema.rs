//! The conformance suite on PostgreSQL with every table in the non-public schema `yauth_custom`
//! (the tables exist only there).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

// For a race case every connection is open before the case starts.
yauth_store::conformance_tests!(|setup: yauth_store::conformance::Setup| async move {
    // `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
    let target = yauth_test_support::Target::PostgresSchema("yauth_custom");
    let db = common::connect_for("seaorm_pg_schema", target, setup).await?;
    Some(yauth_seaorm::pg::SeaOrmPgBackend::from_connection_with_schema(db, "yauth_custom"))
});
