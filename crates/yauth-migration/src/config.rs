//! What a migration is generated for: dialect, plugins, table prefix, PostgreSQL schema.

use crate::ddl::SqlTarget;
use crate::dialect::Dialect;
use crate::model::Schema;
use crate::plugin::{MissingDependency, Plugin, schema_for};

/// The default table prefix.
pub const DEFAULT_TABLE_PREFIX: &str = "yauth_";

/// A configuration that cannot produce a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An enabled plugin lacks a plugin it needs.
    #[error(transparent)]
    MissingDependency(#[from] MissingDependency),
    /// The table prefix is not a valid identifier start.
    #[error(
        "invalid table prefix `{0}`: use at most 24 ASCII letters, digits and underscores, not starting with a digit"
    )]
    InvalidPrefix(String),
    /// The PostgreSQL schema name is not a plain identifier.
    #[error(
        "invalid PostgreSQL schema `{0}`: use 1 to 63 ASCII letters, digits and underscores, not starting with a digit"
    )]
    InvalidPgSchema(String),
    /// A PostgreSQL schema was given for another dialect.
    #[error("pg_schema is only supported with the postgres dialect, not {0}")]
    PgSchemaNotPostgres(Dialect),
}

/// The schema-level configuration: everything that decides the SQL, nothing about files.
///
/// ```
/// use yauth_migration::{Dialect, Plugin, SchemaConfig};
///
/// let config = SchemaConfig::new(Dialect::Postgres, [Plugin::EmailPassword, Plugin::Mfa])
///     .with_pg_schema("auth")
///     .with_table_prefix("yauth_");
/// config.validate().unwrap();
/// assert!(config.schema().table("totp_secrets").is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaConfig {
    /// The SQL dialect.
    pub dialect: Dialect,
    /// Enabled plugins (sorted, without duplicates).
    pub plugins: Vec<Plugin>,
    /// Prefix of every table name.
    pub table_prefix: String,
    /// PostgreSQL schema for the tables.
    pub pg_schema: Option<String>,
}

fn is_identifier(s: &str, max: usize) -> bool {
    s.len() <= max
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl SchemaConfig {
    /// A configuration with the default prefix and no PostgreSQL schema.
    pub fn new(dialect: Dialect, plugins: impl IntoIterator<Item = Plugin>) -> Self {
        let mut plugins: Vec<Plugin> = plugins.into_iter().collect();
        plugins.sort();
        plugins.dedup();
        Self {
            dialect,
            plugins,
            table_prefix: DEFAULT_TABLE_PREFIX.to_owned(),
            pg_schema: None,
        }
    }

    /// Every plugin enabled (the "full plugin set").
    pub fn all_plugins(dialect: Dialect) -> Self {
        Self::new(dialect, Plugin::ALL)
    }

    /// Sets the table prefix.
    #[must_use]
    pub fn with_table_prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.table_prefix);
        self
    }

    /// Sets the PostgreSQL schema.
    #[must_use]
    pub fn with_pg_schema(mut self, schema: &str) -> Self {
        self.pg_schema = Some(schema.to_owned());
        self
    }

    /// Checks plugin dependencies, the prefix and the schema name.
    pub fn validate(&self) -> Result<(), ConfigError> {
        Plugin::check_dependencies(&self.plugins)?;
        if !is_identifier(&self.table_prefix, 24) {
            return Err(ConfigError::InvalidPrefix(self.table_prefix.clone()));
        }
        if let Some(schema) = &self.pg_schema {
            if self.dialect != Dialect::Postgres {
                return Err(ConfigError::PgSchemaNotPostgres(self.dialect));
            }
            if schema.is_empty() || !is_identifier(schema, 63) {
                return Err(ConfigError::InvalidPgSchema(schema.clone()));
            }
        }
        Ok(())
    }

    /// The tables of the enabled plugins, parents first.
    pub fn schema(&self) -> Schema {
        schema_for(&self.plugins)
    }

    /// The SQL target (dialect, prefix, schema).
    pub fn target(&self) -> SqlTarget {
        SqlTarget {
            dialect: self.dialect,
            table_prefix: self.table_prefix.clone(),
            pg_schema: self.pg_schema.clone(),
        }
    }
}
