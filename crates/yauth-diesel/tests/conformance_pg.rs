//! The conformance suite on PostgreSQL, tables in `public`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::LazyLock;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::Pool;
use yauth_diesel::pg::DieselPgBackend;
use yauth_test_support::{Target, migrated_database};

/// Provisioned once per test process, outside any Tokio runtime.
static URL: LazyLock<Option<String>> = LazyLock::new(|| {
    std::thread::spawn(|| migrated_database("diesel_pg", Target::Postgres))
        .join()
        .expect("provisioning the test database panicked")
});

yauth_store::conformance_tests!(|| async {
    let url = URL.clone()?;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    let pool = Pool::builder(manager).max_size(6).build().unwrap();
    Some(DieselPgBackend::from_pool(pool))
});
