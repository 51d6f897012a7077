//! Migration history: the schema state the generator last wrote, kept beside the migrations.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::generate::Orm;
use crate::model::Schema;
use crate::{Error, Plugin, SchemaConfig};

/// The snapshot's file name inside the migrations directory. It has no `_` and does not end in
/// `.sql`, so neither sqlx nor diesel mistakes it for a migration.
pub const SNAPSHOT_FILE: &str = "yauth.snapshot.json";

const FORMAT: u32 = 1;

/// The recorded state of a migrations directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Snapshot format version.
    pub format: u32,
    /// ORM the files were written for.
    pub orm: Orm,
    /// Dialect of the SQL.
    pub dialect: crate::Dialect,
    /// Table prefix.
    pub table_prefix: String,
    /// PostgreSQL schema.
    #[serde(default)]
    pub pg_schema: Option<String>,
    /// Enabled plugins.
    pub plugins: Vec<Plugin>,
    /// Migrations written so far, oldest first.
    pub migrations: Vec<String>,
    /// The schema after the last migration.
    pub schema: Schema,
}

impl Snapshot {
    /// The snapshot of `config` after `migrations`.
    pub fn new(orm: Orm, config: &SchemaConfig, migrations: Vec<String>) -> Self {
        Self {
            format: FORMAT,
            orm,
            dialect: config.dialect,
            table_prefix: config.table_prefix.clone(),
            pg_schema: config.pg_schema.clone(),
            plugins: config.plugins.clone(),
            migrations,
            schema: config.schema(),
        }
    }

    /// Reads the snapshot of `dir`; `None` when there is none yet.
    pub fn load(dir: &Path) -> Result<Option<Self>, Error> {
        let path = dir.join(SNAPSHOT_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|source| Error::Snapshot { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    /// The file contents.
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self)
            .map(|s| s + "\n")
            .map_err(|source| Error::Snapshot {
                path: SNAPSHOT_FILE.into(),
                source,
            })
    }

    /// Fails when the snapshot was written for another ORM, dialect, prefix or schema.
    pub fn check_target(&self, dir: &Path, orm: Orm, config: &SchemaConfig) -> Result<(), Error> {
        let changed = |what, old: String, new: String| {
            if old == new {
                Ok(())
            } else {
                Err(Error::TargetChanged {
                    dir: dir.to_path_buf(),
                    what,
                    old,
                    new,
                })
            }
        };
        let schema = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".to_owned());
        changed("orm", self.orm.to_string(), orm.to_string())?;
        changed(
            "dialect",
            self.dialect.to_string(),
            config.dialect.to_string(),
        )?;
        changed(
            "table_prefix",
            self.table_prefix.clone(),
            config.table_prefix.clone(),
        )?;
        changed(
            "pg_schema",
            schema(&self.pg_schema),
            schema(&config.pg_schema),
        )
    }
}
