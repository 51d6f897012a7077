//! SQL dialects and the few facts in which they differ: quoting, type names, literals, options.

use serde::{Deserialize, Serialize};

use crate::model::{ColumnType, DefaultValue};

/// A SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// PostgreSQL 13+.
    Postgres,
    /// MySQL 8 and MariaDB 10.6+ (InnoDB, utf8mb4).
    Mysql,
    /// SQLite 3.35+.
    Sqlite,
}

/// A dialect name that is not `postgres`, `mysql` or `sqlite`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dialect `{0}` (expected one of: postgres, mysql, sqlite)")]
pub struct UnknownDialect(pub String);

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 3] = [Self::Postgres, Self::Mysql, Self::Sqlite];

    /// The name used in `yauth.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
        }
    }

    /// Quotes an identifier.
    pub fn quote(self, ident: &str) -> String {
        match self {
            Self::Mysql => format!("`{}`", ident.replace('`', "``")),
            Self::Postgres | Self::Sqlite => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }

    /// The column type for a logical type (`docs/schema.md`, "Column types").
    pub fn type_name(self, ty: ColumnType) -> String {
        use ColumnType as T;
        match (self, ty) {
            (Self::Sqlite, T::Bool | T::Int | T::BigInt) => "INTEGER".to_owned(),
            (Self::Sqlite, _) => "TEXT".to_owned(),
            (Self::Postgres, T::Uuid) => "UUID".to_owned(),
            (Self::Mysql, T::Uuid) => "CHAR(36)".to_owned(),
            (_, T::String(n)) => format!("VARCHAR({n})"),
            (_, T::Text) => "TEXT".to_owned(),
            (_, T::Bool) => "BOOLEAN".to_owned(),
            (Self::Postgres, T::Int) => "INTEGER".to_owned(),
            (Self::Mysql, T::Int) => "INT".to_owned(),
            (_, T::BigInt) => "BIGINT".to_owned(),
            (Self::Postgres, T::Timestamp) => "TIMESTAMPTZ".to_owned(),
            (Self::Mysql, T::Timestamp) => "DATETIME(6)".to_owned(),
            (Self::Postgres, T::Json) => "JSONB".to_owned(),
            (Self::Mysql, T::Json) => "JSON".to_owned(),
        }
    }

    /// A default value as a SQL literal.
    pub fn literal(self, value: &DefaultValue) -> String {
        match (self, value) {
            (Self::Sqlite, DefaultValue::Bool(b)) => i32::from(*b).to_string(),
            (_, DefaultValue::Bool(true)) => "TRUE".to_owned(),
            (_, DefaultValue::Bool(false)) => "FALSE".to_owned(),
            (_, DefaultValue::Int(i)) => i.to_string(),
            (_, DefaultValue::Text(s)) => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// Text after the closing parenthesis of `CREATE TABLE`. MySQL tables use the binary
    /// collation, so comparisons are case-sensitive as on PostgreSQL and SQLite: tokens,
    /// credential ids and key prefixes differ by case, and emails are stored lowercased.
    pub fn table_options(self) -> &'static str {
        match self {
            Self::Mysql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            Self::Postgres | Self::Sqlite => "",
        }
    }

    /// Whether foreign keys are declared inside `CREATE TABLE` (SQLite cannot add them later).
    pub fn inline_foreign_keys(self) -> bool {
        self == Self::Sqlite
    }

    /// Whether `ALTER TABLE` can change columns and constraints in place (SQLite rebuilds tables).
    pub fn alters_in_place(self) -> bool {
        self != Self::Sqlite
    }

    /// The longest identifier the dialect accepts.
    pub fn max_identifier_len(self) -> usize {
        match self {
            Self::Postgres => 63,
            Self::Mysql => 64,
            Self::Sqlite => 128,
        }
    }
}

crate::named::named_enum!(Dialect, UnknownDialect);
