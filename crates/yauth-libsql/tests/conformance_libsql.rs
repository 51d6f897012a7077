//! The conformance suite on libSQL, on a local WAL-mode SQLite file migrated with the statements
//! `cargo yauth generate` writes (applied here through libSQL itself: yauth-test-support's sqlx
//! SQLite cannot share a binary with libSQL).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::sync::LazyLock;

use diesel_async_08::{AsyncConnection, SimpleAsyncConnection};
use diesel_libsql::AsyncLibSqlConnection;
use yauth_libsql::DieselLibsqlBackend;
use yauth_migration::{Dialect, SchemaConfig};
use yauth_store::conformance::{POOL_SIZE, Setup};

/// A fresh, migrated database file per test process (each case runs in its own process under
/// nextest; under `cargo test` the cases share it, which the suite allows).
static DB: LazyLock<(tempfile::TempDir, PathBuf)> = LazyLock::new(|| {
    std::thread::spawn(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("yauth.db");
        let url = path.to_str().unwrap().to_owned();
        let statements =
            yauth_migration::up_statements(&SchemaConfig::all_plugins(Dialect::Sqlite)).unwrap();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let mut conn = AsyncLibSqlConnection::establish(&url).await.unwrap();
                conn.batch_execute("PRAGMA journal_mode = WAL")
                    .await
                    .unwrap();
                for statement in statements {
                    conn.batch_execute(&statement).await.unwrap();
                }
            });
        (dir, path)
    })
    .join()
    .expect("provisioning the test database panicked")
});

// A pool with a connection per racer (and headroom); for a race case they are all open before
// the case starts, so the racers reach the database together.
yauth_store::conformance_tests!(|setup: Setup| async move {
    let path = DB.1.to_str().unwrap().to_owned();
    let manager = diesel_libsql::deadpool::Manager::new(path);
    let pool = diesel_libsql::deadpool::Pool::builder(manager)
        .max_size(POOL_SIZE as usize)
        .build()
        .unwrap();
    // Holding every connection at once makes the pool open a new one for each `get`. The
    // backend sets a connection up on its first checkout, which for these is here, outside it.
    let mut held = Vec::new();
    for _ in 0..setup.warm_connections() {
        let mut conn = pool.get().await.unwrap();
        conn.batch_execute(yauth_libsql::CONNECTION_SETUP)
            .await
            .unwrap();
        held.push(conn);
    }
    drop(held);
    DieselLibsqlBackend::from_pool(pool)
});
