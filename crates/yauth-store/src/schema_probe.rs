//! The schema check: whether the tables and columns yauth needs exist, asked the way any query
//! would ask (selecting them from no rows), so that it needs no access to the catalogue. Also the
//! one reading of a database's "no such table / column" errors, so that a table that goes
//! missing at run time is reported by name with the fix, on every backend alike.

use crate::{MaintenanceRepository, StoreError, StoreResult};

/// What selecting a table's columns from no rows found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The statement ran: the table and columns exist.
    Present,
    /// The database says the table or a column does not exist.
    Missing,
    /// The backend cannot tell (it has no SQL schema, like the in-memory backend).
    NotChecked,
}

/// A table or column that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSchema {
    /// The table as the backend names it in SQL (prefix and schema included).
    pub table: String,
    /// The missing column, when the table itself exists.
    pub column: Option<String>,
}

/// How to create what is missing; every message about a missing table carries it.
pub const MISSING_SCHEMA_HINT: &str = "create the yauth tables: run `cargo yauth generate`, then \
     apply the migrations with your ORM (`sqlx::migrate!` or `sqlx migrate run`, \
     `diesel migration run`, or SeaORM's migrator)";

/// Marks [`StoreError::Internal`] texts made by [`missing_schema_error`].
const MARKER: &str = "missing yauth schema: ";

/// The `SELECT` a probe runs: `columns` (or `1`) of `table` from no rows. `quote` is the
/// dialect's identifier quote: `"` on PostgreSQL, `` ` `` on MySQL and on SQLite (which reads a
/// double-quoted name that matches no column as a string literal); `table` is pasted as it is (prefix and schema
/// already applied and quoted by the backend).
pub fn probe_sql(quote: char, table: &str, columns: &[&str]) -> String {
    let list = if columns.is_empty() {
        "1".to_owned()
    } else {
        columns
            .iter()
            .map(|c| format!("{quote}{c}{quote}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("SELECT {list} FROM {table} WHERE 1 = 0")
}

/// Whether a database's error message says a table or column does not exist: PostgreSQL
/// (`relation "…" does not exist`, `column "…" does not exist`), MySQL and MariaDB
/// (`Table '…' doesn't exist`, `Unknown column '…'`) and SQLite (`no such table: …`,
/// `no such column: …`).
pub fn is_missing_schema(message: &str) -> bool {
    let pg = (message.starts_with("relation \"") || message.starts_with("column "))
        && message.contains("does not exist");
    let mysql = (message.starts_with("Table '") && message.contains("doesn't exist"))
        || message.starts_with("Unknown column '");
    let sqlite = message.contains("no such table:") || message.contains("no such column:");
    pg || mysql || sqlite
}

/// The name a "no such table / column" message quotes, when it quotes one.
fn quoted_name(message: &str) -> Option<&str> {
    if let Some(rest) = message
        .split_once("no such table: ")
        .or_else(|| message.split_once("no such column: "))
        .map(|(_, rest)| rest)
    {
        return rest.split_whitespace().next();
    }
    let open = message.find(['"', '\''])?;
    let quote = message[open..].chars().next()?;
    let rest = &message[open + 1..];
    rest.find(quote).map(|end| &rest[..end])
}

/// The error for a statement that failed because a table or column does not exist: an
/// [`StoreError::Internal`] that names it and says how to create it (for logs; HTTP answers
/// never show storage texts).
pub fn missing_schema_error(message: &str) -> StoreError {
    let what = quoted_name(message).unwrap_or("a table or column");
    StoreError::Internal(format!(
        "{MARKER}{what} does not exist: {MISSING_SCHEMA_HINT}"
    ))
}

impl StoreError {
    /// Whether this error says a yauth table or column does not exist.
    pub fn is_missing_schema(&self) -> bool {
        matches!(self, Self::Internal(text) if text.starts_with(MARKER))
    }
}

/// Finds what of `table` is missing, if anything: one probe of every column, and only when that
/// fails, one of the table alone and then one per column to name the culprit.
pub async fn find_missing(
    repo: &dyn MaintenanceRepository,
    table: &str,
    columns: &[&str],
) -> StoreResult<Option<MissingSchema>> {
    if repo.probe_table(table, columns).await? != Probe::Missing {
        return Ok(None);
    }
    let name = repo.table_name_in_sql(table);
    if repo.probe_table(table, &[]).await? == Probe::Missing {
        return Ok(Some(MissingSchema {
            table: name,
            column: None,
        }));
    }
    for column in columns {
        if repo.probe_table(table, &[column]).await? == Probe::Missing {
            return Ok(Some(MissingSchema {
                table: name,
                column: Some((*column).to_owned()),
            }));
        }
    }
    Ok(Some(MissingSchema {
        table: name,
        column: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dialect_s_missing_table_and_column_messages_are_recognised_and_named() {
        for (message, name) in [
            ("relation \"yauth_users\" does not exist", "yauth_users"),
            ("column \"chain\" does not exist", "chain"),
            ("Table 'test.yauth_users' doesn't exist", "test.yauth_users"),
            ("Unknown column 'chain' in 'field list'", "chain"),
            ("no such table: yauth_users", "yauth_users"),
            ("no such column: chain", "chain"),
        ] {
            assert!(is_missing_schema(message), "{message}");
            let error = missing_schema_error(message);
            assert!(error.is_missing_schema());
            let text = error.to_string();
            assert!(
                text.contains(name) && text.contains("cargo yauth generate"),
                "{text}"
            );
        }
        for other in [
            "duplicate key value violates unique constraint",
            "function lower(integer) does not exist",
            "database is locked",
        ] {
            assert!(!is_missing_schema(other), "{other}");
        }
        assert!(!StoreError::Internal("x".into()).is_missing_schema());
    }

    #[test]
    fn probes_select_quoted_columns_from_no_rows() {
        assert_eq!(
            probe_sql('"', "yauth_users", &["id", "email"]),
            r#"SELECT "id", "email" FROM yauth_users WHERE 1 = 0"#
        );
        assert_eq!(
            probe_sql('`', "yauth_users", &[]),
            "SELECT 1 FROM yauth_users WHERE 1 = 0"
        );
    }
}
