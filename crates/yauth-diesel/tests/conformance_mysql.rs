//! The conformance suite on MySQL / MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::LazyLock;

use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use yauth_diesel::mysql::DieselMysqlBackend;
use yauth_store::conformance::Setup;
use yauth_test_support::{Target, migrated_database};

/// Provisioned once per test process, outside any Tokio runtime.
static URL: LazyLock<Option<String>> = LazyLock::new(|| {
    std::thread::spawn(|| migrated_database("diesel_mysql", Target::Mysql))
        .join()
        .expect("provisioning the test database panicked")
});

// For a race case every connection is open before the case starts.
yauth_store::conformance_tests!(|setup: Setup| async move {
    let url = URL.clone()?;
    let manager = AsyncDieselConnectionManager::<AsyncMysqlConnection>::new(url);
    let pool = common::case_pool!(manager, setup);
    Some(DieselMysqlBackend::from_pool(pool))
});
