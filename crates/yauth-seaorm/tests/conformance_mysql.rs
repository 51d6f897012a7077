//! The conformance suite on MySQL / MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

// For a race case every connection is open before the case starts.
yauth_store::conformance_tests!(|setup: yauth_store::conformance::Setup| async move {
    // `None` (server missing, YAUTH_REQUIRE_SERVICES unset) skips the case with a notice.
    let db = common::connect_for("seaorm_mysql", yauth_test_support::Target::Mysql, setup).await?;
    Some(yauth_seaorm::mysql::SeaOrmMysqlBackend::from_connection(db))
});
