//! The backends HTTP tests run on: memory and one per ORM family and database (sqlx on
//! PostgreSQL, diesel on MariaDB, SeaORM on SQLite), over migrated databases provisioned by
//! `yauth-test-support`. Declare this module with `#[macro_use]` to get `on_every_family!`.
#![allow(dead_code, unused_macros, clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use yauth_store::{DatabaseBackend, InMemoryBackend, Repositories};
use yauth_test_support::Target;

/// A database family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The in-memory reference backend.
    Memory,
    /// PostgreSQL through sqlx.
    Postgres,
    /// MariaDB through diesel-async.
    Mariadb,
    /// SQLite through SeaORM.
    Sqlite,
}

/// Every family.
pub const FAMILIES: [Family; 4] = [
    Family::Memory,
    Family::Postgres,
    Family::Mariadb,
    Family::Sqlite,
];

/// Runs each case (an `async fn(Family)`) once per database family, as its own test on a
/// multi-thread runtime, so that concurrent requests really run in parallel.
macro_rules! on_every_family {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn memory() { super::$case(Family::Memory).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() { super::$case(Family::Postgres).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn mariadb() { super::$case(Family::Mariadb).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() { super::$case(Family::Sqlite).await }
            }
        )*
    };
}

/// Any backend's repositories as a backend.
#[derive(Clone)]
pub struct AnyBackend(pub Repositories);

impl DatabaseBackend for AnyBackend {
    fn repositories(&self) -> Repositories {
        self.0.clone()
    }
}

/// The migrated database of `label` (unique per test binary) on `target`; `None` when the server
/// is missing and services are not required. Provisioning runs its own runtime, so it runs on a
/// plain thread.
fn database(label: &'static str, target: Target) -> Option<String> {
    std::thread::spawn(move || yauth_test_support::migrated_database(label, target))
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The URL of the database `backend(binary, family)` runs on (the same database: provisioning
/// is idempotent), for tests that reach past the backend (fault injection); `None` for memory
/// or a missing server.
pub fn database_url(binary: &'static str, family: Family) -> Option<String> {
    let label = |suffix: &str| -> &'static str {
        Box::leak(format!("yauth_{binary}_{suffix}").into_boxed_str())
    };
    match family {
        Family::Memory => None,
        Family::Postgres => database(label("pg"), Target::Postgres),
        Family::Mariadb => database(label("mysql"), Target::Mysql),
        Family::Sqlite => database(label("sqlite"), Target::Sqlite),
    }
}

/// A backend of `family` for the test binary `binary`, or `None` (server missing, services not
/// required: the helper has printed why).
pub async fn backend(binary: &'static str, family: Family) -> Option<AnyBackend> {
    let label = |suffix: &str| -> &'static str {
        Box::leak(format!("yauth_{binary}_{suffix}").into_boxed_str())
    };
    let repos = match family {
        Family::Memory => InMemoryBackend::new().repositories(),
        Family::Postgres => {
            let url = database(label("pg"), Target::Postgres)?;
            let options = sqlx::postgres::PgConnectOptions::from_str(&url)
                .unwrap()
                .ssl_mode(sqlx::postgres::PgSslMode::Disable);
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .unwrap();
            yauth::backends::sqlx_pg::SqlxPgBackend::from_pool(pool).repositories()
        }
        Family::Mariadb => {
            use diesel_async::pooled_connection::AsyncDieselConnectionManager;
            use diesel_async::pooled_connection::deadpool::Pool;
            let url = database(label("mysql"), Target::Mysql)?;
            let manager =
                AsyncDieselConnectionManager::<diesel_async::AsyncMysqlConnection>::new(url);
            let pool = Pool::builder(manager).max_size(8).build().unwrap();
            yauth::backends::diesel_mysql::DieselMysqlBackend::from_pool(pool).repositories()
        }
        Family::Sqlite => {
            let url = database(label("sqlite"), Target::Sqlite)?;
            let mut options = sea_orm::ConnectOptions::new(url);
            options.max_connections(4).sqlx_logging(false);
            let conn = sea_orm::Database::connect(options).await.unwrap();
            yauth::backends::seaorm_sqlite::SeaOrmSqliteBackend::from_connection(conn)
                .repositories()
        }
    };
    Some(AnyBackend(repos))
}

/// Runs raw SQL statements on the database at `url` of `family` (nothing for memory): for tests
/// that reach past the backend, to inject faults or tamper with rows.
pub async fn execute_sql(family: Family, url: &str, statements: &[&str]) {
    use sea_orm::ConnectionTrait;
    use sqlx::Connection;
    match family {
        Family::Postgres => {
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            for sql in statements {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                    .execute(&mut db)
                    .await
                    .unwrap();
            }
        }
        Family::Mariadb => {
            let mut db = sqlx::MySqlConnection::connect(url).await.unwrap();
            for sql in statements {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                    .execute(&mut db)
                    .await
                    .unwrap();
            }
        }
        Family::Sqlite => {
            let db = sea_orm::Database::connect(url).await.unwrap();
            for sql in statements {
                db.execute_unprepared(sql).await.unwrap();
            }
        }
        Family::Memory => {}
    }
}
