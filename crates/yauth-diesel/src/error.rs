//! The one mapping from diesel and pool errors to [`StoreError`].

use diesel::result::{DatabaseErrorKind, Error};
use diesel_async::pooled_connection::PoolError as ManagerError;
use diesel_async::pooled_connection::deadpool::PoolError;
use yauth_store::{StoreError, constraint};

/// Marker text of a transaction that lost a deadlock or serialization check; such a transaction
/// is retried (`transaction!`). It is an `Unavailable` error, so what reaches a client after the
/// last attempt (or from a statement outside a transaction) is a 503 to retry, never a 500.
pub(crate) const RETRYABLE: &str = "transaction conflict (deadlock or serialization failure)";

/// Maps a diesel error. `table` is the (unprefixed) table the statement wrote, if any.
pub(crate) fn map_error(error: Error, table: Option<&str>) -> StoreError {
    match error {
        Error::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::UniqueViolation => StoreError::Conflict {
                constraint: constraint::resolve(info.constraint_name(), info.message(), table),
            },
            DatabaseErrorKind::ForeignKeyViolation => StoreError::NotFound,
            DatabaseErrorKind::SerializationFailure => StoreError::Unavailable(RETRYABLE.into()),
            DatabaseErrorKind::ClosedConnection => {
                StoreError::Unavailable("the database connection was closed".into())
            }
            _ => classify_message(info.message()),
        },
        Error::BrokenTransactionManager => {
            StoreError::Unavailable("the database connection is in a broken state".into())
        }
        Error::DeserializationError(e) => {
            StoreError::Internal(format!("a stored row could not be read: {e}"))
        }
        Error::SerializationError(e) => {
            StoreError::Internal(format!("a value could not be sent to the database: {e}"))
        }
        Error::NotFound => StoreError::NotFound,
        other => StoreError::Internal(format!("database error: {}", kind_of(&other))),
    }
}

/// Errors without a diesel kind: constraint failures reported as text (diesel-libsql),
/// deadlocks, busy databases, lost connections. Messages that may quote SQL are not passed on.
fn classify_message(message: &str) -> StoreError {
    let lower = message.to_ascii_lowercase();
    if yauth_store::schema_probe::is_missing_schema(message) {
        yauth_store::schema_probe::missing_schema_error(message)
    } else if message.contains("UNIQUE constraint failed") {
        StoreError::Conflict {
            constraint: constraint::resolve(None, message, None),
        }
    } else if message.contains("FOREIGN KEY constraint failed") {
        StoreError::NotFound
    } else if lower.contains("deadlock") || lower.contains("could not serialize") {
        StoreError::Unavailable(RETRYABLE.into())
    } else if lower.contains("database is locked") || lower.contains("busy") {
        StoreError::Unavailable("the database is busy".into())
    } else if lower.contains("connection")
        || lower.contains("broken pipe")
        || lower.contains("timed out")
        || lower.contains("io error")
    {
        StoreError::Unavailable("the database connection failed".into())
    } else if lower.contains("syntax") || lower.contains("select") || lower.contains("insert") {
        StoreError::Internal("the database rejected a statement".into())
    } else {
        StoreError::Internal(format!("database error: {message}"))
    }
}

fn kind_of(error: &Error) -> &'static str {
    match error {
        Error::InvalidCString(_) => "invalid string",
        Error::QueryBuilderError(_) => "query builder error",
        Error::RollbackErrorOnCommit { .. } => "rollback after a failed commit",
        Error::RollbackTransaction => "transaction rolled back",
        Error::AlreadyInTransaction => "already in a transaction",
        Error::NotInTransaction => "not in a transaction",
        _ => "unexpected error",
    }
}

/// Maps a pool checkout failure: always `Unavailable`.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]
pub(crate) fn map_pool_error(error: PoolError) -> StoreError {
    use diesel_async::pooled_connection::deadpool::PoolError as P;
    let why = match error {
        P::Timeout(_) => "timed out waiting for a database connection".to_owned(),
        P::Backend(ManagerError::ConnectionError(e)) => {
            format!("cannot connect to the database: {e}")
        }
        P::Backend(ManagerError::QueryError(_)) => {
            "a new database connection failed its check".to_owned()
        }
        P::Closed => "the connection pool is closed".to_owned(),
        P::NoRuntimeSpecified => "the connection pool has no runtime for timeouts".to_owned(),
        P::PostCreateHook(_) => "a connection setup hook failed".to_owned(),
    };
    StoreError::Unavailable(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_without_a_kind() {
        assert_eq!(
            classify_message(
                "SQLite failure: `UNIQUE constraint failed: yauth_api_keys.key_prefix`"
            ),
            StoreError::conflict(constraint::API_KEYS_PREFIX)
        );
        assert_eq!(
            classify_message("SQLite failure: `FOREIGN KEY constraint failed`"),
            StoreError::NotFound
        );
    }
}
