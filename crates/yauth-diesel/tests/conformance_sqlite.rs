//! The conformance suite on SQLite (a WAL-mode file).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::LazyLock;

use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::Pool;
use yauth_diesel::sqlite::{AsyncSqliteConnection, DieselSqliteBackend};
use yauth_test_support::{Target, migrated_database};

/// Provisioned once per test process, outside any Tokio runtime; diesel wants the file path.
static PATH: LazyLock<Option<String>> = LazyLock::new(|| {
    let url = std::thread::spawn(|| migrated_database("diesel_sqlite", Target::Sqlite))
        .join()
        .expect("provisioning the test database panicked")?;
    Some(url.strip_prefix("sqlite://").unwrap_or(&url).to_owned())
});

yauth_store::conformance_tests!(|| async {
    let path = PATH.clone()?;
    let manager = AsyncDieselConnectionManager::<AsyncSqliteConnection>::new(path);
    let pool = Pool::builder(manager).max_size(6).build().unwrap();
    Some(DieselSqliteBackend::from_pool(pool))
});
