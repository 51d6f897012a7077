//! What every test binary of this crate shares: the migrated databases, provisioned once per
//! process and label.

use std::collections::HashMap;
use std::sync::Mutex;

use yauth_test_support::Target;

/// Connections per pool: one per racer of the race cases, plus headroom.
#[allow(unused_imports)]
pub use yauth_store::conformance::POOL_SIZE;

/// The URL of the migrated database for `label`, or `None` when the server is missing (and
/// `YAUTH_REQUIRE_SERVICES` is unset; with it, a missing server panics).
///
/// Provisioning runs its own Tokio runtime, so it runs on a plain thread, outside the caller's.
#[allow(dead_code)]
pub fn database(label: &'static str, target: Target) -> Option<String> {
    static URLS: Mutex<Option<HashMap<&'static str, Option<String>>>> = Mutex::new(None);
    let mut urls = URLS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    urls.get_or_insert_with(HashMap::new)
        .entry(label)
        .or_insert_with(|| {
            std::thread::spawn(move || yauth_test_support::migrated_database(label, target))
                .join()
                .unwrap_or_else(|_| panic!("provisioning the {label} database failed"))
        })
        .clone()
}

/// A PostgreSQL pool on `url` with `warm` connections open before it is returned (no TLS on
/// loopback: the handshake is slow in debug builds).
#[cfg(feature = "postgres")]
#[allow(dead_code)]
pub async fn pg_pool(url: &str, warm: u32) -> sqlx::PgPool {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .expect("a PostgreSQL URL")
        .ssl_mode(sqlx::postgres::PgSslMode::Disable);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .min_connections(warm)
        .connect_with(options)
        .await
        .expect("connect to the test database")
}
