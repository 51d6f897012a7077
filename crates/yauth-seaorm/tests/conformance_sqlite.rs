//! The conformance suite on a SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

yauth_store::conformance_tests!(|| async {
    // `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
    let db = common::connect_opt("seaorm_sqlite", yauth_test_support::Target::Sqlite).await?;
    Some(yauth_seaorm::sqlite::SeaOrmSqliteBackend::from_connection(
        db,
    ))
});
