//! yauth storage backend on [diesel-libsql](https://docs.rs/diesel-libsql) (libSQL: local SQLite
//! files, Turso).
//!
//! ```no_run
//! # async fn demo() {
//! use yauth_store::DatabaseBackend;
//!
//! let manager = diesel_libsql::deadpool::Manager::new("app.db");
//! let pool = diesel_libsql::deadpool::Pool::builder(manager).max_size(8).build().unwrap();
//! let backend = yauth_libsql::DieselLibsqlBackend::from_pool(pool);
//! let repos = backend.repositories();
//! # }
//! ```
//!
//! The tables must exist: create them with the SQLite migrations `cargo yauth generate` writes.
//!
//! # Shared with yauth-diesel
//!
//! Every repository is yauth-diesel's generic implementation: this crate only adds a
//! [`Dialect`](yauth_diesel::dialect::Dialect) for libSQL, [`LibsqlDialect`], and the SQL it
//! renders is yauth-diesel's SQLite SQL. What cannot be shared is the glue to the connection:
//! diesel-libsql implements the diesel-async **0.8** traits while yauth-diesel's dialects use
//! 0.9, so loading rows, executing statements and the transaction calls are written here
//! against 0.8; and diesel-libsql has its own diesel backend type (`LibSql`), for which
//! yauth-diesel's SQL types have no `ToSql`/`FromSql` impls (and, by Rust's orphan rule, none can
//! be added here), so UUIDs, timestamps and JSON are bound and read as text with yauth-diesel's
//! own formatting functions ([`yauth_diesel::types`]), giving byte-identical rows.
//!
//! This crate lives outside the main workspace: libSQL links its own SQLite, which cannot share
//! a binary with sqlx's or SeaORM's SQLite.

use diesel::deserialize;
use diesel::row::NamedRow;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel_async_08::{AnsiTransactionManager, SimpleAsyncConnection, TransactionManager};
use diesel_libsql::deadpool::{Object, Pool};
use diesel_libsql::{AsyncLibSqlConnection, LibSql};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_diesel::DieselBackend;
use yauth_diesel::dialect::{BoxFuture, Dialect, FromRow, Kind, Q, Rec, SqlTypes};
use yauth_diesel::types::{format_sqlite_ts, format_uuid, parse_json, parse_sqlite_ts, parse_uuid};
use yauth_store::{DatabaseBackend, Repositories, StoreError, StoreResult};

/// What every connection runs once, before its first use: foreign keys on (yauth relies on them
/// for cascades and `NotFound`) and a busy timeout so writers wait for each other.
pub const CONNECTION_SETUP: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// The libSQL dialect: yauth-diesel's SQLite SQL over diesel-libsql's async connection.
#[derive(Debug, Clone, Copy)]
pub struct LibsqlDialect;

impl SqlTypes for LibsqlDialect {
    type Db = LibSql;

    fn bind_uuid(q: Q<'_, LibSql>, v: Uuid) -> Q<'_, LibSql> {
        q.bind::<Text, _>(format_uuid(v))
    }
    fn bind_opt_uuid(q: Q<'_, LibSql>, v: Option<Uuid>) -> Q<'_, LibSql> {
        q.bind::<Nullable<Text>, _>(v.map(format_uuid))
    }
    fn bind_ts(q: Q<'_, LibSql>, v: OffsetDateTime) -> Q<'_, LibSql> {
        q.bind::<Text, _>(format_sqlite_ts(v))
    }
    fn bind_opt_ts(q: Q<'_, LibSql>, v: Option<OffsetDateTime>) -> Q<'_, LibSql> {
        q.bind::<Nullable<Text>, _>(v.map(format_sqlite_ts))
    }
    fn bind_json<'f>(q: Q<'f, LibSql>, v: &'f serde_json::Value) -> Q<'f, LibSql> {
        q.bind::<Text, _>(v.to_string())
    }
    fn bind_opt_json<'f>(q: Q<'f, LibSql>, v: Option<&'f serde_json::Value>) -> Q<'f, LibSql> {
        q.bind::<Nullable<Text>, _>(v.map(serde_json::Value::to_string))
    }
    fn bind_text<'f>(q: Q<'f, LibSql>, v: &'f str) -> Q<'f, LibSql> {
        q.bind::<Text, _>(v)
    }
    fn bind_string(q: Q<'_, LibSql>, v: String) -> Q<'_, LibSql> {
        q.bind::<Text, _>(v)
    }
    fn bind_opt_text<'f>(q: Q<'f, LibSql>, v: Option<&'f str>) -> Q<'f, LibSql> {
        q.bind::<Nullable<Text>, _>(v)
    }
    fn bind_bool(q: Q<'_, LibSql>, v: bool) -> Q<'_, LibSql> {
        q.bind::<Bool, _>(v)
    }
    fn bind_i32(q: Q<'_, LibSql>, v: i32) -> Q<'_, LibSql> {
        q.bind::<Integer, _>(v)
    }
    fn bind_opt_i32(q: Q<'_, LibSql>, v: Option<i32>) -> Q<'_, LibSql> {
        q.bind::<Nullable<Integer>, _>(v)
    }
    fn bind_i64(q: Q<'_, LibSql>, v: i64) -> Q<'_, LibSql> {
        q.bind::<BigInt, _>(v)
    }
    fn bind_opt_i64(q: Q<'_, LibSql>, v: Option<i64>) -> Q<'_, LibSql> {
        q.bind::<Nullable<BigInt>, _>(v)
    }

    fn get_uuid<'a, R: NamedRow<'a, LibSql>>(r: &R, c: &str) -> deserialize::Result<Uuid> {
        parse_uuid(&text(r, c)?)
    }
    fn get_opt_uuid<'a, R: NamedRow<'a, LibSql>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<Uuid>> {
        opt_text(r, c)?.as_deref().map(parse_uuid).transpose()
    }
    fn get_ts<'a, R: NamedRow<'a, LibSql>>(r: &R, c: &str) -> deserialize::Result<OffsetDateTime> {
        parse_sqlite_ts(&text(r, c)?)
    }
    fn get_opt_ts<'a, R: NamedRow<'a, LibSql>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<OffsetDateTime>> {
        opt_text(r, c)?.as_deref().map(parse_sqlite_ts).transpose()
    }
    fn get_json<'a, R: NamedRow<'a, LibSql>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<serde_json::Value> {
        parse_json(&text(r, c)?)
    }
    fn get_opt_json<'a, R: NamedRow<'a, LibSql>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<serde_json::Value>> {
        opt_text(r, c)?.as_deref().map(parse_json).transpose()
    }
    fn get_text<'a, R: NamedRow<'a, LibSql>>(r: &R, c: &str) -> deserialize::Result<String> {
        text(r, c)
    }
    fn get_opt_text<'a, R: NamedRow<'a, LibSql>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<String>> {
        opt_text(r, c)
    }
    fn get_bool<'a, R: NamedRow<'a, LibSql>>(r: &R, c: &str) -> deserialize::Result<bool> {
        <R as NamedRow<'a, LibSql>>::get::<Bool, _>(r, c)
    }
    fn get_i32<'a, R: NamedRow<'a, LibSql>>(r: &R, c: &str) -> deserialize::Result<i32> {
        <R as NamedRow<'a, LibSql>>::get::<Integer, _>(r, c)
    }
    fn get_opt_i32<'a, R: NamedRow<'a, LibSql>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<i32>> {
        <R as NamedRow<'a, LibSql>>::get::<Nullable<Integer>, _>(r, c)
    }
    fn get_i64<'a, R: NamedRow<'a, LibSql>>(r: &R, c: &str) -> deserialize::Result<i64> {
        <R as NamedRow<'a, LibSql>>::get::<BigInt, _>(r, c)
    }
    fn get_opt_i64<'a, R: NamedRow<'a, LibSql>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<i64>> {
        <R as NamedRow<'a, LibSql>>::get::<Nullable<BigInt>, _>(r, c)
    }
}

fn text<'a, R: NamedRow<'a, LibSql>>(r: &R, c: &str) -> deserialize::Result<String> {
    <R as NamedRow<'a, LibSql>>::get::<Text, _>(r, c)
}

fn opt_text<'a, R: NamedRow<'a, LibSql>>(r: &R, c: &str) -> deserialize::Result<Option<String>> {
    <R as NamedRow<'a, LibSql>>::get::<Nullable<Text>, _>(r, c)
}

impl Dialect for LibsqlDialect {
    type Conn = AsyncLibSqlConnection;
    type Pool = Pool;
    type Guard = Object;
    const KIND: Kind = Kind::Sqlite;

    fn checkout(pool: &Self::Pool) -> BoxFuture<'_, StoreResult<Self::Guard>> {
        Box::pin(async move {
            let mut conn = pool
                .get()
                .await
                .map_err(|e| StoreError::Unavailable(format!("libSQL pool: {e}")))?;
            // First checkout of a new connection: per-connection settings, once.
            if Object::metrics(&conn).recycle_count == 0
                && let Err(e) = conn.batch_execute(CONNECTION_SETUP).await
            {
                let _ = Object::take(conn);
                return Err(StoreError::Unavailable(format!(
                    "libSQL connection setup failed: {e}"
                )));
            }
            Ok(conn)
        })
    }

    fn begin(conn: &mut Self::Conn) -> BoxFuture<'_, diesel::QueryResult<()>> {
        // IMMEDIATE: take the write lock up front, so a transaction never has to upgrade.
        Box::pin(AnsiTransactionManager::begin_transaction_sql(
            conn,
            "BEGIN IMMEDIATE",
        ))
    }

    fn commit(conn: &mut Self::Conn) -> BoxFuture<'_, diesel::QueryResult<()>> {
        Box::pin(<AnsiTransactionManager as TransactionManager<
            AsyncLibSqlConnection,
        >>::commit_transaction(conn))
    }

    fn rollback(conn: &mut Self::Conn) -> BoxFuture<'_, diesel::QueryResult<()>> {
        Box::pin(<AnsiTransactionManager as TransactionManager<
            AsyncLibSqlConnection,
        >>::rollback_transaction(conn))
    }

    fn load<'a, T>(
        conn: &'a mut Self::Conn,
        q: Q<'a, LibSql>,
    ) -> BoxFuture<'a, diesel::QueryResult<Vec<T>>>
    where
        T: FromRow<Self> + Send + 'static,
    {
        Box::pin(async move {
            let rows: Vec<Rec<Self, T>> = diesel_async_08::RunQueryDsl::load(q, conn).await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    fn execute<'a>(
        conn: &'a mut Self::Conn,
        q: Q<'a, LibSql>,
    ) -> BoxFuture<'a, diesel::QueryResult<usize>> {
        Box::pin(diesel_async_08::RunQueryDsl::execute(q, conn))
    }
}

/// The yauth backend on libSQL.
#[derive(Clone, Debug)]
pub struct DieselLibsqlBackend {
    inner: DieselBackend<LibsqlDialect>,
}

impl DieselLibsqlBackend {
    /// A backend over the pool's database, tables `yauth_users`, ... Each connection gets
    /// [`CONNECTION_SETUP`] before its first use.
    pub fn from_pool(pool: Pool) -> Self {
        Self {
            inner: DieselBackend::with_prefix(pool, "yauth_".to_owned()),
        }
    }
}

impl DatabaseBackend for DieselLibsqlBackend {
    fn repositories(&self) -> Repositories {
        self.inner.repositories()
    }

    fn db_system(&self) -> &'static str {
        "sqlite"
    }
}
