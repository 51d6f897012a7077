//! PostgreSQL over `diesel_async::AsyncPgConnection` (pure Rust, no libpq).

use diesel::pg::Pg;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};

use crate::dialect::{BoxFuture, Dialect, Kind, dialect_queries, impl_sql_backend};
use crate::store::DieselBackend;

/// The PostgreSQL dialect.
#[derive(Debug, Clone, Copy)]
pub struct PgDialect;

impl_sql_backend!(Pg);

impl Dialect for PgDialect {
    type Backend = Pg;
    type Conn = AsyncPgConnection;
    const KIND: Kind = Kind::Postgres;

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

/// The yauth backend on PostgreSQL.
pub type DieselPgBackend = DieselBackend<PgDialect>;

impl DieselBackend<PgDialect> {
    /// A backend whose tables (`yauth_users`, ...) are found through the connection's
    /// `search_path` (normally `public`).
    pub fn from_pool(pool: Pool<AsyncPgConnection>) -> Self {
        Self::with_prefix(pool, "yauth_".to_owned())
    }

    /// A backend whose tables live in the PostgreSQL schema `schema` (created by the migrations
    /// `cargo yauth generate` writes with that schema). Every statement names the tables
    /// schema-qualified (`"schema".yauth_users`), so the pool needs no `search_path` and no
    /// extra round trip is made.
    pub fn from_pool_with_schema(pool: Pool<AsyncPgConnection>, schema: &str) -> Self {
        let quoted = schema.replace('"', "\"\"");
        Self::with_prefix(pool, format!("\"{quoted}\".yauth_"))
    }
}
