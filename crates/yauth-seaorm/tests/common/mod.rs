//! Provisioning shared by the conformance test binaries.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use yauth_test_support::Target;

/// A small pool on the migrated database of this test binary.
pub async fn connect(label: &'static str, target: Target) -> DatabaseConnection {
    // The helper runs its own runtime: call it from a thread outside the case's runtime.
    let url = std::thread::spawn(move || yauth_test_support::migrated_database(label, target))
        .join()
        .expect("provisioning panicked")
        .expect("database server unreachable (set YAUTH_REQUIRE_SERVICES=1 to fail loudly)");
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(6)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    Database::connect(options).await.expect("connect")
}
