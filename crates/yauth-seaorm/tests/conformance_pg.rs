//! The conformance suite on PostgreSQL, tables in `public`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

yauth_store::conformance_tests!(|| async {
    let db = common::connect("seaorm_pg", yauth_test_support::Target::Postgres).await;
    yauth_seaorm::pg::SeaOrmPgBackend::from_connection(db)
});
