//! What every conformance test binary of this crate shares: the migrated database, provisioned
//! once per process.

use std::sync::OnceLock;

use yauth_test_support::Target;

/// Connections per case: the race cases run 16 tasks at once against a small pool.
pub const POOL_SIZE: u32 = 6;

/// The URL of the migrated database for `label`, or `None` when the server is missing (and
/// `YAUTH_REQUIRE_SERVICES` is unset; with it, a missing server panics).
///
/// Provisioning runs its own Tokio runtime, so it runs on a plain thread, outside the case's.
pub fn database(label: &'static str, target: Target) -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        std::thread::spawn(move || yauth_test_support::migrated_database(label, target))
            .join()
            .unwrap_or_else(|_| panic!("provisioning the {label} database failed"))
    })
    .clone()
}
