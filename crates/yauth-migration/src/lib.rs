//! The yauth schema model, DDL per dialect, diff engine, migration history and migration file
//! generators for diesel, sqlx, SeaORM and Toasty. No ORM dependency.
//!
//! The tables are those of `docs/schema.md`. Users generate migration files with
//! `cargo yauth generate`; the SQL backends' tests apply the very same statements through
//! [`up_statements`] or files written by [`Generator`].
//!
//! ```
//! use yauth_migration::{Dialect, Plugin, SchemaConfig, down_statements, up_statements};
//!
//! let config = SchemaConfig::new(Dialect::Sqlite, [Plugin::EmailPassword, Plugin::Passkey]);
//! let up: Vec<String> = up_statements(&config).unwrap();
//! assert!(up[0].starts_with("CREATE TABLE \"yauth_users\""));
//! // Execute `up` one statement at a time, in order; `down_statements` undoes it.
//! let down = down_statements(&config).unwrap();
//! assert_eq!(down.last().unwrap(), "DROP TABLE \"yauth_users\"");
//! ```

mod config;
mod ddl;
mod dialect;
mod diff;
mod generate;
mod history;
pub mod model;
mod named;
mod plugin;

use std::path::PathBuf;

pub use config::{ConfigError, DEFAULT_TABLE_PREFIX, SchemaConfig};
pub use ddl::SqlTarget;
pub use dialect::{Dialect, UnknownDialect};
pub use diff::{Change, DiffError, MigrationSql, SqlScript, diff, render};
pub use generate::{FileChange, Generator, Orm, Plan, UnknownOrm};
pub use history::{SNAPSHOT_FILE, Snapshot};
pub use model::Schema;
pub use plugin::{MissingDependency, Plugin, UnknownPlugin, schema_for, tables_for};

/// Anything that can go wrong while generating migrations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The change cannot be expressed.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The snapshot file is not valid.
    #[error("{path}: invalid migration snapshot: {source}")]
    Snapshot {
        /// The snapshot file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// The migration history in the directory is incomplete.
    #[error("{dir}: {problem}")]
    History {
        /// The migrations directory.
        dir: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The migrations were generated for another ORM, dialect, prefix or schema.
    #[error(
        "the migrations in {dir} were generated with {what} = {old}, but the configuration now says {new}; \
         change it back, or generate into a new, empty migrations directory"
    )]
    TargetChanged {
        /// The migrations directory.
        dir: PathBuf,
        /// The setting that changed.
        what: &'static str,
        /// Its recorded value.
        old: String,
        /// Its configured value.
        new: String,
    },
}

/// The statements, in order, that create every table of `config` from an empty database: exactly
/// the statements of the first migration file `cargo yauth generate` writes for this configuration.
pub fn up_statements(config: &SchemaConfig) -> Result<Vec<String>, Error> {
    Ok(initial_migration(config)?.up.statements)
}

/// The statements, in order, that drop every table [`up_statements`] creates (children first).
pub fn down_statements(config: &SchemaConfig) -> Result<Vec<String>, Error> {
    Ok(initial_migration(config)?.down.statements)
}

/// The first migration for `config`: from an empty database to its tables.
pub fn initial_migration(config: &SchemaConfig) -> Result<MigrationSql, Error> {
    config.validate()?;
    Ok(MigrationSql::between(
        &Schema::default(),
        &config.schema(),
        &config.target(),
    )?)
}
