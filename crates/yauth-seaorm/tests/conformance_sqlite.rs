//! The conformance suite on a SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

yauth_store::conformance_tests!(|| async {
    let db = common::connect("seaorm_sqlite", yauth_test_support::Target::Sqlite).await;
    yauth_seaorm::sqlite::SeaOrmSqliteBackend::from_connection(db)
});
