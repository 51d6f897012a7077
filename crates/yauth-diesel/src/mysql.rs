//! MySQL 8 / MariaDB 10.6+ over `diesel_async::AsyncMysqlConnection` (pure Rust, no
//! libmysqlclient).

use diesel::mysql::Mysql;
use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::Pool;

use crate::dialect::{Kind, network_dialect};
use crate::store::DieselBackend;

network_dialect!(
    /// The MySQL / MariaDB dialect.
    MysqlDialect, Mysql, AsyncMysqlConnection, Kind::Mysql
);

/// The yauth backend on MySQL / MariaDB.
pub type DieselMysqlBackend = DieselBackend<MysqlDialect>;

impl DieselBackend<MysqlDialect> {
    /// A backend over the pool's database, tables `yauth_users`, ...
    pub fn from_pool(pool: Pool<AsyncMysqlConnection>) -> Self {
        Self::with_prefix(pool, "yauth_".to_owned())
    }
}
