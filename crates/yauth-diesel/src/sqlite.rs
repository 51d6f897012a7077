//! SQLite over `SyncConnectionWrapper<SqliteConnection>` (diesel-async's `sqlite` feature, with
//! the bundled SQLite of `libsqlite3-sys`).

use diesel::SqliteConnection;
use diesel::connection::AnsiTransactionManager;
use diesel::sqlite::Sqlite;
use diesel_async::SimpleAsyncConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use yauth_store::StoreResult;

use crate::dialect::{BoxFuture, Dialect, Kind, dialect_queries, impl_sql_backend};
use crate::error::{map_error, map_pool_error};
use crate::store::DieselBackend;

/// The async SQLite connection the pool hands out.
pub type AsyncSqliteConnection = SyncConnectionWrapper<SqliteConnection>;

/// What every connection runs once, before its first use: foreign keys are off by default in
/// SQLite (and yauth relies on them for cascades and `NotFound`), and writers wait for each
/// other instead of failing with `SQLITE_BUSY`.
pub const CONNECTION_SETUP: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// The SQLite dialect.
#[derive(Debug, Clone, Copy)]
pub struct SqliteDialect;

impl_sql_backend!(SqliteDialect, Sqlite);

impl Dialect for SqliteDialect {
    type Conn = AsyncSqliteConnection;
    type Pool = Pool<Self::Conn>;
    type Guard = Object<Self::Conn>;
    const KIND: Kind = Kind::Sqlite;

    fn checkout(pool: &Self::Pool) -> BoxFuture<'_, StoreResult<Self::Guard>> {
        Box::pin(async move {
            let mut conn = pool.get().await.map_err(map_pool_error)?;
            // A connection that was never recycled is on its first checkout: apply the
            // per-connection settings once (cheap and idempotent if the pool's own setup did).
            let fresh = Object::metrics(&conn).recycle_count == 0;
            if fresh && let Err(e) = conn.batch_execute(CONNECTION_SETUP).await {
                // Never hand out (or return to the pool) a connection without foreign keys.
                let _ = Object::take(conn);
                return Err(map_error(e, None));
            }
            Ok(conn)
        })
    }

    fn begin(conn: &mut Self::Conn) -> BoxFuture<'_, diesel::QueryResult<()>> {
        Box::pin(conn.spawn_blocking(|c| {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }))
    }

    fn commit(conn: &mut Self::Conn) -> BoxFuture<'_, diesel::QueryResult<()>> {
        crate::dialect::ansi_commit(conn)
    }

    fn rollback(conn: &mut Self::Conn) -> BoxFuture<'_, diesel::QueryResult<()>> {
        crate::dialect::ansi_rollback(conn)
    }

    dialect_queries!();
}

/// The yauth backend on SQLite.
pub type DieselSqliteBackend = DieselBackend<SqliteDialect>;

impl DieselBackend<SqliteDialect> {
    /// A backend over the pool's database file, tables `yauth_users`, ... Each connection gets
    /// [`CONNECTION_SETUP`] (foreign keys on, a busy timeout) before its first use.
    pub fn from_pool(pool: Pool<AsyncSqliteConnection>) -> Self {
        Self::with_prefix(pool, "yauth_".to_owned())
    }
}
