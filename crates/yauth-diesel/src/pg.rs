//! PostgreSQL over `diesel_async::AsyncPgConnection` (pure Rust, no libpq).

use diesel::pg::Pg;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Pool;

use crate::dialect::{Kind, network_dialect};
use crate::store::DieselBackend;

network_dialect!(
    /// The PostgreSQL dialect.
    PgDialect, Pg, AsyncPgConnection, Kind::Postgres
);

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
