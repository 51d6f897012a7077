//! MySQL 8 / MariaDB 10.6+ over `diesel_async::AsyncMysqlConnection` (pure Rust, no
//! libmysqlclient).

use diesel::mysql::Mysql;
use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};

use crate::dialect::{BoxFuture, Dialect, Kind, dialect_queries, impl_sql_backend};
use crate::store::DieselBackend;

/// The MySQL / MariaDB dialect.
#[derive(Debug, Clone, Copy)]
pub struct MysqlDialect;

impl_sql_backend!(Mysql);

impl Dialect for MysqlDialect {
    type Backend = Mysql;
    type Conn = AsyncMysqlConnection;
    const KIND: Kind = Kind::Mysql;

    type Pool = Pool<Self::Conn>;
    type Guard = Object<Self::Conn>;

    fn checkout(pool: &Self::Pool) -> BoxFuture<'_, Result<Self::Guard, PoolError>> {
        Box::pin(pool.get())
    }

    fn begin(conn: &mut Self::Conn) -> BoxFuture<'_, diesel::QueryResult<()>> {
        crate::dialect::ansi_begin(conn)
    }

    dialect_queries!();
}

/// The yauth backend on MySQL / MariaDB.
pub type DieselMysqlBackend = DieselBackend<MysqlDialect>;

impl DieselBackend<MysqlDialect> {
    /// A backend over the pool's database, tables `yauth_users`, ...
    pub fn from_pool(pool: Pool<AsyncMysqlConnection>) -> Self {
        Self::with_prefix(pool, "yauth_".to_owned())
    }
}
