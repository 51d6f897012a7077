//! The negative controls on every sqlx dialect: each decorator that breaks one promise of the
//! real backend on purpose must fail exactly the conformance cases that name that promise. This
//! is what shows the suite, and the pools it runs on, can catch such bugs on a real database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::Future;

use yauth_store::DatabaseBackend;
use yauth_store::conformance::controls::CONTROLS;

/// Runs every control against backends made by `backend` over one pool from `connect`, opened
/// with all its connections (the race controls need every racer to have one at once).
#[allow(dead_code)]
fn run_controls<P, B, Fut>(connect: impl FnOnce() -> Fut, backend: fn(P) -> B)
where
    P: Clone,
    B: DatabaseBackend,
    Fut: Future<Output = Option<P>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let Some(pool) = connect().await else {
            eprintln!("SKIPPED: the server is unavailable");
            return;
        };
        let mut problems = Vec::new();
        for control in CONTROLS {
            let report = control
                .run(|| {
                    let pool = pool.clone();
                    async move { backend(pool) }
                })
                .await;
            if let Err(problem) = control.check(&report) {
                problems.push(problem);
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    });
}

#[cfg(feature = "postgres")]
#[test]
fn controls_fail_on_postgres() {
    use yauth_store::conformance::POOL_SIZE;
    use yauth_test_support::Target;
    run_controls(
        || async {
            let url = common::database("sqlx_ctl_pg", Target::Postgres)?;
            Some(common::pg_pool(&url, POOL_SIZE).await)
        },
        yauth_sqlx::pg::SqlxPgBackend::from_pool,
    );
}

#[cfg(feature = "mysql")]
#[test]
fn controls_fail_on_mysql() {
    use sqlx::mysql::MySqlPoolOptions;
    use yauth_store::conformance::POOL_SIZE;
    use yauth_test_support::Target;
    run_controls(
        || async {
            let url = common::database("sqlx_ctl_mysql", Target::Mysql)?;
            let pool = MySqlPoolOptions::new()
                .max_connections(POOL_SIZE)
                .min_connections(POOL_SIZE)
                .connect(&url)
                .await
                .expect("connect to the test database");
            Some(pool)
        },
        yauth_sqlx::mysql::SqlxMysqlBackend::from_pool,
    );
}

#[cfg(feature = "sqlite")]
#[test]
fn controls_fail_on_sqlite() {
    use std::str::FromStr;
    use std::time::Duration;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use yauth_store::conformance::POOL_SIZE;
    use yauth_test_support::Target;
    run_controls(
        || async {
            let url = common::database("sqlx_ctl_sqlite", Target::Sqlite)?;
            let options = SqliteConnectOptions::from_str(&url)
                .expect("a SQLite URL")
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30));
            let pool = SqlitePoolOptions::new()
                .max_connections(POOL_SIZE)
                .min_connections(POOL_SIZE)
                .connect_with(options)
                .await
                .expect("open the test database");
            Some(pool)
        },
        yauth_sqlx::sqlite::SqlxSqliteBackend::from_pool,
    );
}
