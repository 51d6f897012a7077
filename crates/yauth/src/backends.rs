//! The storage backends, each behind its cargo feature.
//!
//! | feature | type |
//! |---|---|
//! | `memory-backend` | [`memory::InMemoryBackend`] |
//! | `diesel-pg-backend` | `diesel_pg::DieselPgBackend` |
//! | `diesel-mysql-backend` | `diesel_mysql::DieselMysqlBackend` |
//! | `diesel-sqlite-backend` | `diesel_sqlite::DieselSqliteBackend` |
//! | `sqlx-pg-backend` | `sqlx_pg::SqlxPgBackend` |
//! | `sqlx-mysql-backend` | `sqlx_mysql::SqlxMysqlBackend` |
//! | `sqlx-sqlite-backend` | `sqlx_sqlite::SqlxSqliteBackend` |
//! | `seaorm-pg-backend` | `seaorm_pg::SeaOrmPgBackend` (and `seaorm_pg::entities`) |
//! | `seaorm-mysql-backend` | `seaorm_mysql::SeaOrmMysqlBackend` |
//! | `seaorm-sqlite-backend` | `seaorm_sqlite::SeaOrmSqliteBackend` |

/// The in-memory backend: tests, prototypes, the quickstart.
#[cfg(feature = "memory-backend")]
pub mod memory {
    pub use yauth_store::memory::InMemoryBackend;
}

/// PostgreSQL through diesel-async.
#[cfg(feature = "diesel-pg-backend")]
pub mod diesel_pg {
    pub use yauth_diesel::pg::*;
}

/// MySQL / MariaDB through diesel-async.
#[cfg(feature = "diesel-mysql-backend")]
pub mod diesel_mysql {
    pub use yauth_diesel::mysql::*;
}

/// SQLite through diesel and `SyncConnectionWrapper`.
#[cfg(feature = "diesel-sqlite-backend")]
pub mod diesel_sqlite {
    pub use yauth_diesel::sqlite::*;
}

/// PostgreSQL through sqlx.
#[cfg(feature = "sqlx-pg-backend")]
pub mod sqlx_pg {
    pub use yauth_sqlx::pg::*;
}

/// MySQL / MariaDB through sqlx.
#[cfg(feature = "sqlx-mysql-backend")]
pub mod sqlx_mysql {
    pub use yauth_sqlx::mysql::*;
}

/// SQLite through sqlx.
#[cfg(feature = "sqlx-sqlite-backend")]
pub mod sqlx_sqlite {
    pub use yauth_sqlx::sqlite::*;
}

/// PostgreSQL through SeaORM 2.
#[cfg(feature = "seaorm-pg-backend")]
pub mod seaorm_pg {
    pub use yauth_seaorm::pg::*;
}

/// MySQL / MariaDB through SeaORM 2.
#[cfg(feature = "seaorm-mysql-backend")]
pub mod seaorm_mysql {
    pub use yauth_seaorm::mysql::*;
}

/// SQLite through SeaORM 2.
#[cfg(feature = "seaorm-sqlite-backend")]
pub mod seaorm_sqlite {
    pub use yauth_seaorm::sqlite::*;
}
