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

yauth_store::conformance_tests!(|| async {
    let path = DB.1.to_str().unwrap().to_owned();
    let manager = diesel_libsql::deadpool::Manager::new(path);
    let pool = diesel_libsql::deadpool::Pool::builder(manager)
        .max_size(6)
        .build()
        .unwrap();
    DieselLibsqlBackend::from_pool(pool)
});
