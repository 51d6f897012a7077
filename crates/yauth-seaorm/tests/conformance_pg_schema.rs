//! The conformance suite on PostgreSQL with every table in the non-public schema `yauth_custom`
//! (the tables exist only there).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

yauth_store::conformance_tests!(|| async {
    let target = yauth_test_support::Target::PostgresSchema("yauth_custom");
    let db = common::connect("seaorm_pg_schema", target).await;
    yauth_seaorm::pg::SeaOrmPgBackend::from_connection_with_schema(db, "yauth_custom")
});
