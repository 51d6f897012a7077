//! The conformance suite on MySQL / MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

yauth_store::conformance_tests!(|| async {
    // `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
    let db = common::connect_opt("seaorm_mysql", yauth_test_support::Target::Mysql).await?;
    Some(yauth_seaorm::mysql::SeaOrmMysqlBackend::from_connection(db))
});
