//! The conformance suite on PostgreSQL with every table in the `yauth_custom` schema.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::LazyLock;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use yauth_diesel::pg::DieselPgBackend;
use yauth_store::conformance::Setup;
use yauth_test_support::{Target, migrated_database};

/// Provisioned once per test process, outside any Tokio runtime.
static URL: LazyLock<Option<String>> = LazyLock::new(|| {
    std::thread::spawn(|| {
        migrated_database("diesel_pg_schema", Target::PostgresSchema("yauth_custom"))
    })
    .join()
    .expect("provisioning the test database panicked")
});

// For a race case every connection is open before the case starts.
yauth_store::conformance_tests!(|setup: Setup| async move {
    let url = URL.clone()?;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    let pool = common::case_pool!(manager, setup);
    Some(DieselPgBackend::from_pool_with_schema(pool, "yauth_custom"))
});
