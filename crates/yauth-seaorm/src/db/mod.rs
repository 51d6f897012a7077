//! The one implementation behind the three dialects: the connection and what the repositories
//! need to know about it. Statement building, execution and the atomic write patterns are its
//! submodules; the error mapping is [`crate::error`].

mod atomic;
mod exec;

pub(crate) use exec::{ATTEMPTS, Conn, transaction};
mod statements;

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbBackend};

/// A connection plus what the repositories need to know about it.
pub(crate) struct Db {
    pub(crate) conn: DatabaseConnection,
    pub(crate) backend: DbBackend,
    /// PostgreSQL schema holding the tables, when not the search path's.
    schema: Option<Arc<str>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// The PostgreSQL schema holding the tables, when not the search path's.
    pub(crate) fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    pub(crate) fn new(conn: DatabaseConnection, schema: Option<&str>) -> Self {
        let backend = conn.get_database_backend();
        let schema = match backend {
            DbBackend::Postgres => schema.map(Arc::from),
            _ => None,
        };
        Self {
            conn,
            backend,
            schema,
        }
    }

    /// Whether the dialect has `RETURNING` on `INSERT`, `UPDATE` and `DELETE`.
    pub(crate) fn returning(&self) -> bool {
        matches!(self.backend, DbBackend::Postgres | DbBackend::Sqlite)
    }
}
