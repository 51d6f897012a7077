//! The conformance suite on SQLite (a WAL-mode file).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::LazyLock;

use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use yauth_diesel::sqlite::{AsyncSqliteConnection, DieselSqliteBackend};
use yauth_store::conformance::Setup;
use yauth_test_support::{Target, migrated_database};

/// Provisioned once per test process, outside any Tokio runtime; diesel wants the file path.
static PATH: LazyLock<Option<String>> = LazyLock::new(|| {
    let url = std::thread::spawn(|| migrated_database("diesel_sqlite", Target::Sqlite))
        .join()
        .expect("provisioning the test database panicked")?;
    Some(url.strip_prefix("sqlite://").unwrap_or(&url).to_owned())
});

// For a race case every connection is open before the case starts.
yauth_store::conformance_tests!(|setup: Setup| async move {
    let path = PATH.clone()?;
    let manager = AsyncDieselConnectionManager::<AsyncSqliteConnection>::new(path);
    let pool = common::case_pool!(manager, setup, yauth_diesel::sqlite::CONNECTION_SETUP);
    Some(DieselSqliteBackend::from_pool(pool))
});
