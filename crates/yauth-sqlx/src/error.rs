//! The one mapping from sqlx errors to [`StoreError`], and the retry of transactions that the
//! database aborted to break a deadlock.

use std::future::Future;

use sqlx::error::ErrorKind;
use yauth_store::{StoreError, constraint};

/// Maps a sqlx error onto the storage contract's errors. No SQL text is ever included.
pub(crate) fn db_err(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict {
                constraint: constraint::resolve(db.constraint(), db.message(), None),
            },
            ErrorKind::ForeignKeyViolation => StoreError::NotFound,
            _ if yauth_store::schema_probe::is_missing_schema(db.message()) => {
                yauth_store::schema_probe::missing_schema_error(db.message())
            }
            _ if is_transient_code(db.code().as_deref()) => StoreError::Unavailable(format!(
                "the database aborted the operation (code {}); try again",
                db.code().unwrap_or_default()
            )),
            _ => StoreError::Internal(format!(
                "database error (code {})",
                db.code().unwrap_or_default()
            )),
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(error.to_string()),
        sqlx::Error::RowNotFound => StoreError::NotFound,
        // Decoding and configuration errors name columns and types, never SQL.
        other => StoreError::Internal(other.to_string()),
    }
}

/// For tables whose primary key is a natural key: reports a primary-key conflict under that
/// key's stable name.
pub(crate) fn primary_key_is(error: StoreError, stable: &str) -> StoreError {
    if error.is_conflict_on(constraint::PRIMARY_KEY) {
        StoreError::conflict(stable)
    } else {
        error
    }
}

/// Deadlocks, serialization failures and SQLite's busy / locked codes.
fn is_transient_code(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("40001" | "40P01" | "1213" | "5" | "6" | "517" | "261" | "262")
    )
}

/// An error inside a retried transaction: the database's, or the contract's.
#[derive(Debug)]
pub(crate) enum TxError {
    /// From the driver; retried when transient.
    Db(sqlx::Error),
    /// A contract error decided by the repository code.
    Store(StoreError),
}

impl From<sqlx::Error> for TxError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// How often a transaction the database aborted (deadlock, serialization failure) is retried.
const ATTEMPTS: usize = 8;

/// Runs a transaction, retrying it when the database aborted it to resolve a conflict with a
/// concurrent one. The transaction must be safe to run again (it is: an aborted transaction
/// changed nothing).
pub(crate) async fn retry<T, F, Fut>(mut transaction: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, TxError>>,
{
    let mut attempt = 1;
    loop {
        match transaction().await {
            Ok(value) => return Ok(value),
            Err(TxError::Store(e)) => return Err(e),
            Err(TxError::Db(e)) => {
                let mapped = db_err(e);
                if attempt >= ATTEMPTS || !matches!(mapped, StoreError::Unavailable(_)) {
                    return Err(mapped);
                }
                attempt += 1;
            }
        }
    }
}
