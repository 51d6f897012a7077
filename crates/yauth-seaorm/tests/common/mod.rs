//! Provisioning shared by the test binaries.

#![allow(dead_code)]

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use yauth_test_support::Target;

/// The URL of this test binary's migrated database, or `None` when its server is missing and
/// `YAUTH_REQUIRE_SERVICES` is unset (with it set, provisioning panics instead).
pub fn database_url(label: &'static str, target: Target) -> Option<String> {
    // The helper runs its own runtime: call it from a thread outside the case's runtime.
    std::thread::spawn(move || yauth_test_support::migrated_database(label, target))
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A pool (each case has its own runtime, so its own pool) on `url` of
/// [`POOL_SIZE`](yauth_store::conformance::POOL_SIZE) connections, `warm` of them open before it
/// is returned (the race cases need every racer to have one when the barrier opens).
pub async fn pool(url: String, warm: u32) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(yauth_store::conformance::POOL_SIZE)
        .min_connections(warm)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    Database::connect(options).await.expect("connect")
}

/// A pool on the migrated database, or `None` to skip (see [`database_url`]).
pub async fn connect_opt(label: &'static str, target: Target) -> Option<DatabaseConnection> {
    match database_url(label, target) {
        Some(url) => Some(pool(url, 0).await),
        None => None,
    }
}

/// A pool for one conformance case, warmed as its `setup` asks, or `None` to skip.
pub async fn connect_for(
    label: &'static str,
    target: Target,
    setup: yauth_store::conformance::Setup,
) -> Option<DatabaseConnection> {
    let url = database_url(label, target)?;
    Some(pool(url, setup.warm_connections()).await)
}

/// A pool on the migrated database; panics when the server is missing.
pub async fn connect(label: &'static str, target: Target) -> DatabaseConnection {
    connect_opt(label, target)
        .await
        .expect("database server unreachable (set YAUTH_REQUIRE_SERVICES=1 to fail loudly)")
}
