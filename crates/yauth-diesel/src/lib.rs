//! yauth storage backends on [diesel](https://diesel.rs) 2.3 + diesel-async 0.9 with deadpool:
//! PostgreSQL, MySQL 8 / MariaDB 10.6+ and SQLite.
//!
//! ```no_run
//! # #[cfg(all(feature = "postgres", feature = "mysql", feature = "sqlite"))]
//! # async fn demo() {
//! use diesel_async::pooled_connection::AsyncDieselConnectionManager;
//! use diesel_async::pooled_connection::deadpool::Pool;
//! use yauth_store::DatabaseBackend;
//!
//! // PostgreSQL, tables in `public` (or `from_pool_with_schema(pool, "auth")`).
//! let manager = AsyncDieselConnectionManager::<diesel_async::AsyncPgConnection>::new(
//!     "postgres://postgres@127.0.0.1/app",
//! );
//! let pool = Pool::builder(manager).max_size(8).build().unwrap();
//! let backend = yauth_diesel::pg::DieselPgBackend::from_pool(pool);
//!
//! // MySQL / MariaDB.
//! let manager = AsyncDieselConnectionManager::<diesel_async::AsyncMysqlConnection>::new(
//!     "mysql://root@127.0.0.1/app",
//! );
//! let pool = Pool::builder(manager).max_size(8).build().unwrap();
//! let backend = yauth_diesel::mysql::DieselMysqlBackend::from_pool(pool);
//!
//! // SQLite.
//! let manager = AsyncDieselConnectionManager::<yauth_diesel::sqlite::AsyncSqliteConnection>::new(
//!     "app.db",
//! );
//! let pool = Pool::builder(manager).max_size(8).build().unwrap();
//! let backend = yauth_diesel::sqlite::DieselSqliteBackend::from_pool(pool);
//! let repos = backend.repositories();
//! # }
//! ```
//!
//! The tables must exist: create them with the migrations `cargo yauth generate` writes. The
//! backend never runs DDL.
//!
//! # Design
//!
//! **One implementation for three dialects.** The repositories (`src/repos/`) are written once,
//! generic over a [`Dialect`](dialect::Dialect), with raw SQL through `diesel::sql_query`. Each
//! statement is a template written once for every dialect (`{p}` for the table prefix, `?` for a
//! placeholder, `"ident"` for a quoted identifier), rendered per dialect (`$n` on PostgreSQL,
//! backticks on MySQL, the schema-qualified prefix for
//! [`from_pool_with_schema`](pg::DieselPgBackend::from_pool_with_schema)). Rows are read by
//! column name into the `yauth-entity` types. Where the dialects truly differ, the repository
//! asks the store: `RETURNING` (PostgreSQL, SQLite) versus a guarded write followed by a read
//! (MySQL), `ON CONFLICT` versus `ON DUPLICATE KEY UPDATE`, row locks (`FOR UPDATE SKIP
//! LOCKED`) versus SQLite's `BEGIN IMMEDIATE`.
//!
//! Why not diesel's typed DSL over the generated `schema.rs`? The generated `table!`s differ per
//! dialect in their column SQL types (`Uuid`/`Varchar`/`Text`, `Timestamptz`/`Datetime`/`Text`,
//! `Jsonb`/`Json`/`Text`), so one generic DSL implementation would need three `table!` modules
//! selected by a type parameter plus a trait bound for every expression; and a `table!` names
//! its schema at compile time, so the PostgreSQL schema chosen at run time could not be honoured
//! without a second copy. Raw SQL with three custom SQL types ([`types`]) that encode the
//! storage contract (UUID as text, timestamps as `DATETIME(6)` UTC or fixed-width text, JSON)
//! gives a single implementation, atomic single statements, and a one-query hot path. The test
//! `tests/schema_in_step.rs` keeps the column names used here in step with the generator.
//!
//! **Atomicity.** Single-use tokens are consumed by one guarded statement (`UPDATE ... WHERE
//! used = FALSE AND expires_at > now RETURNING *`, `DELETE ... RETURNING *`); on MySQL, which has
//! no `UPDATE ... RETURNING`, the guarded write runs alone and only the caller whose write
//! matched the row reads it back. Counters are atomic upserts. Multi-statement writes (refresh
//! rotation, backup-code replacement, outbox claims) run in one transaction with row locks
//! (`BEGIN IMMEDIATE` on SQLite) and are retried on deadlock.
//!
//! **Hot path.** `validate_session` and `find_api_key_by_prefix` are one `SELECT` joining the
//! user.
//!
//! **Errors.** Pool and connection failures are `Unavailable`; unique violations are `Conflict`
//! with the stable names of `yauth_store::constraint`; foreign-key violations are `NotFound`.

pub mod dialect;
mod error;
mod repos;
mod rows;
mod sql_backend;
mod store;
pub mod types;

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod pg;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use store::DieselBackend;
