//! The conformance suite on MySQL / MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

yauth_store::conformance_tests!(|| async {
    let db = common::connect("seaorm_mysql", yauth_test_support::Target::Mysql).await;
    yauth_seaorm::mysql::SeaOrmMysqlBackend::from_connection(db)
});
