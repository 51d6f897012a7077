//! sqlx storage backends for yauth: PostgreSQL, MySQL / MariaDB and SQLite.
//!
//! Each backend implements every repository of [`yauth_store`] (all plugins) on a sqlx pool you
//! create, behind the crate feature of its dialect:
//!
//! | feature | backend | constructors |
//! |---|---|---|
//! | `postgres` | [`pg::SqlxPgBackend`] | `from_pool(PgPool)`, `from_pool_with_schema(PgPool, "schema")` |
//! | `mysql` | [`mysql::SqlxMysqlBackend`] | `from_pool(MySqlPool)` |
//! | `sqlite` | [`sqlite::SqlxSqliteBackend`] | `from_pool(SqlitePool)` |
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # async fn demo() -> Result<(), sqlx::Error> {
//! use std::str::FromStr;
//! use yauth_sqlx::sqlite::SqlxSqliteBackend;
//! use yauth_store::DatabaseBackend;
//!
//! let options = sqlx::sqlite::SqliteConnectOptions::from_str("sqlite://yauth.db")?
//!     .busy_timeout(std::time::Duration::from_secs(5));
//! let pool = sqlx::SqlitePool::connect_with(options).await?;
//! let backend = SqlxSqliteBackend::from_pool(pool);
//! let repos = backend.repositories();
//! # let _ = repos;
//! # Ok(())
//! # }
//! ```
//!
//! # Tables
//!
//! The backends never create or alter tables: apply the migrations that `cargo yauth generate`
//! writes for sqlx and your dialect first (default table prefix `yauth_`). On PostgreSQL,
//! [`pg::SqlxPgBackend::from_pool_with_schema`] works with tables in another schema.
//!
//! # Compile-time checked queries
//!
//! Every query is a `sqlx::query!` / `query_as!` / `query_scalar!` macro with literal SQL,
//! checked against a real database of its dialect. The result of those checks is committed in
//! `.sqlx/` (the offline data), so building this crate needs no database: the macros read the
//! URL from `YAUTH_SQLX_DATABASE_URL` (set in `sqlx.toml`, so an application's `DATABASE_URL`
//! is ignored) and fall back to `.sqlx/` when it is unset. After changing a query, regenerate the
//! data with `crates/yauth-sqlx/scripts/prepare.sh`, which provisions a PostgreSQL, a MariaDB /
//! MySQL and a SQLite database from the generated migrations and re-checks every query against
//! its dialect; then commit `.sqlx/`. CI builds with `SQLX_OFFLINE=true`.
//!
//! # One implementation, three dialects
//!
//! The repositories are written once, as macros expanded per dialect: each query names its
//! PostgreSQL, MySQL and SQLite text side by side, and the few operations whose statements
//! differ (MySQL has no `RETURNING`) choose a block per dialect. Values are encoded the same way
//! by every yauth backend (UUIDs as `UUID` / `CHAR(36)` / `TEXT`, timestamps as `TIMESTAMPTZ` /
//! `DATETIME(6)` in UTC / RFC 3339 text with microseconds, so one database works with any of
//! them).
//!
//! # Atomicity
//!
//! Single-use tokens are consumed by one statement (`DELETE ... RETURNING`,
//! `UPDATE ... RETURNING`) on PostgreSQL and SQLite, and on MySQL by an `UPDATE`/`DELETE` guarded
//! by the consumable condition whose affected-row count names the one winner. Counters (rate
//! limits, failed logins) are upserts (`ON CONFLICT` / `ON DUPLICATE KEY UPDATE`). Multi-statement
//! operations run in a transaction (`BEGIN IMMEDIATE` on SQLite) that is retried when the
//! database aborts it to break a deadlock. Errors map to [`yauth_store::StoreError`]: pool and
//! connection failures to `Unavailable`, unique violations to `Conflict` with the stable names
//! of [`yauth_store::constraint`], foreign-key violations to `NotFound`.

// Without a dialect feature the crate is empty: its machinery has no user.
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(unused, dead_code)
)]

mod backend;
mod codec;
mod dialect;
mod error;
mod macros;
mod repos;
mod rows;

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod pg;
#[cfg(feature = "sqlite")]
pub mod sqlite;
