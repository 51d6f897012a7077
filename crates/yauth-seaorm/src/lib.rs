//! SeaORM 2 storage backends for yauth: PostgreSQL, MySQL / MariaDB and SQLite.
//!
//! One implementation serves the three dialects (SeaORM builds each statement for the
//! connection's dialect); [`pg::SeaOrmPgBackend`], [`mysql::SeaOrmMysqlBackend`] and
//! [`sqlite::SeaOrmSqliteBackend`] are thin names over it. The tables must exist already: apply
//! the migrations `cargo yauth generate` writes (this crate never runs DDL).
//!
//! ```no_run
//! # #[cfg(all(feature = "postgres", feature = "sqlite"))]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sea_orm::{ConnectOptions, Database};
//! use yauth_seaorm::pg::SeaOrmPgBackend;
//! use yauth_seaorm::sqlite::SeaOrmSqliteBackend;
//!
//! // PostgreSQL, tables in `public` (or wherever the search path finds them).
//! let db = Database::connect("postgres://postgres@127.0.0.1/app").await?;
//! let backend = SeaOrmPgBackend::from_connection(db);
//!
//! // PostgreSQL, tables in the `auth` schema: every statement names `auth`.
//! let db = Database::connect("postgres://postgres@127.0.0.1/app").await?;
//! let backend = SeaOrmPgBackend::from_connection_with_schema(db, "auth");
//!
//! // SQLite (sqlx turns foreign keys on and sets a busy timeout by default).
//! let db = Database::connect(ConnectOptions::new("sqlite://yauth.db?mode=rwc")).await?;
//! let backend = SeaOrmSqliteBackend::from_connection(db);
//! # let _ = backend;
//! # Ok(())
//! # }
//! ```
//!
//! The entities of every yauth table are public ([`entities`], also re-exported as
//! `pg::entities` etc.) for your own queries. They read every dialect; to bind values the way
//! yauth stores them (UUIDs as text on MySQL and SQLite, fixed-width timestamps on SQLite), render
//! your statement with [`types::portable`]:
//!
//! ```no_run
//! # async fn demo(db: sea_orm::DatabaseConnection, id: uuid::Uuid) -> Result<(), sea_orm::DbErr> {
//! use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, QueryTrait};
//! use yauth_seaorm::entities::users;
//!
//! let find = users::Entity::find_by_id(id).into_query();
//! let stmt = yauth_seaorm::types::portable(db.get_database_backend(), &find);
//! let user: Option<users::Model> = users::Model::find_by_statement(stmt).one(&db).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # How the dialects differ
//!
//! - Single-use tokens are consumed by one `UPDATE ... RETURNING` / `DELETE ... RETURNING` on
//!   PostgreSQL and SQLite; MySQL has no `RETURNING`, so there the statement is guarded by the
//!   consumable condition and its affected-row count names the one winner.
//! - Counters (rate limits, failed logins) are one upsert (`ON CONFLICT DO UPDATE` /
//!   `ON DUPLICATE KEY UPDATE`); MySQL reads the row back inside the upsert's transaction.
//! - Multi-statement operations (refresh-token rotation, device-code polls) run in a transaction
//!   that locks the row (`SELECT ... FOR UPDATE`; `BEGIN IMMEDIATE` on SQLite).

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use yauth_store::{DatabaseBackend, Repositories};

mod db;
mod error;
// Generated (see tests/entities.rs): kept byte-identical to the generator's output.
#[rustfmt::skip]
pub mod entities;
mod repos;
pub mod types;

use db::Db;

/// The SeaORM backend for whatever dialect its connection speaks.
///
/// The dialect-named types ([`pg::SeaOrmPgBackend`], ...) wrap this one.
#[derive(Clone, Debug)]
pub struct SeaOrmBackend {
    db: Arc<Db>,
}

impl SeaOrmBackend {
    /// A backend over `conn`, with the tables where the connection finds them.
    pub fn from_connection(conn: DatabaseConnection) -> Self {
        Self {
            db: Arc::new(Db::new(conn, None)),
        }
    }

    /// A PostgreSQL backend whose tables live in `schema`: every statement names the schema
    /// (no `search_path` change, no extra round trip). On MySQL and SQLite the schema is ignored.
    pub fn from_connection_with_schema(conn: DatabaseConnection, schema: &str) -> Self {
        Self {
            db: Arc::new(Db::new(conn, Some(schema))),
        }
    }

    /// The underlying connection (pool), for your own queries.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db.conn
    }
}

impl DatabaseBackend for SeaOrmBackend {
    fn repositories(&self) -> Repositories {
        Repositories::all(&self.db)
    }

    fn db_system(&self) -> &'static str {
        match self.db.conn.get_database_backend() {
            sea_orm::DbBackend::Postgres => "postgresql",
            sea_orm::DbBackend::MySql => "mysql",
            sea_orm::DbBackend::Sqlite => "sqlite",
            _ => "other_sql",
        }
    }
}

/// Defines a dialect-named backend over [`SeaOrmBackend`].
macro_rules! dialect_backend {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(crate::SeaOrmBackend);

        impl $name {
            /// A backend over `conn` (see [`SeaOrmBackend::from_connection`](crate::SeaOrmBackend::from_connection)).
            pub fn from_connection(conn: sea_orm::DatabaseConnection) -> Self {
                Self(crate::SeaOrmBackend::from_connection(conn))
            }

            /// The underlying connection (pool), for your own queries.
            pub fn connection(&self) -> &sea_orm::DatabaseConnection {
                self.0.connection()
            }
        }

        impl yauth_store::DatabaseBackend for $name {
            fn repositories(&self) -> yauth_store::Repositories {
                self.0.repositories()
            }

            fn db_system(&self) -> &'static str {
                self.0.db_system()
            }
        }

        impl From<$name> for crate::SeaOrmBackend {
            fn from(backend: $name) -> Self {
                backend.0
            }
        }

        pub use crate::entities;
    };
}

/// PostgreSQL.
#[cfg(feature = "postgres")]
pub mod pg {
    dialect_backend!(
        /// yauth on PostgreSQL through SeaORM.
        SeaOrmPgBackend
    );

    impl SeaOrmPgBackend {
        /// A backend whose tables live in the PostgreSQL schema `schema` (created by the
        /// migrations generated with that schema): every statement names the schema, at no extra
        /// round trip.
        pub fn from_connection_with_schema(
            conn: sea_orm::DatabaseConnection,
            schema: &str,
        ) -> Self {
            Self(crate::SeaOrmBackend::from_connection_with_schema(
                conn, schema,
            ))
        }
    }
}

/// MySQL 8 / MariaDB 10.6+.
#[cfg(feature = "mysql")]
pub mod mysql {
    dialect_backend!(
        /// yauth on MySQL / MariaDB through SeaORM.
        SeaOrmMysqlBackend
    );
}

/// SQLite 3.35+.
#[cfg(feature = "sqlite")]
pub mod sqlite {
    dialect_backend!(
        /// yauth on SQLite through SeaORM.
        SeaOrmSqliteBackend
    );
}
