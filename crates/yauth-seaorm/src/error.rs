//! The one mapping from SeaORM and driver errors to [`StoreError`]. Constraint names come from
//! [`yauth_store::constraint::resolve`], as on every backend.

use sea_orm::{DbErr, RuntimeErr};
use yauth_store::{StoreError, constraint};

/// Maps every SeaORM / driver error onto [`StoreError`]: the one error mapping of this crate.
pub(crate) fn map_err(err: DbErr) -> StoreError {
    map_err_on(err, None)
}

/// [`map_err`] for a statement on `table` (MySQL's `PRIMARY` key conflicts name no table).
pub(crate) fn map_err_on(err: DbErr, table: Option<&str>) -> StoreError {
    let sqlx = match &err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e.clone()),
        _ => None,
    };
    match (&err, sqlx) {
        (DbErr::ConnectionAcquire(e), _) => StoreError::Unavailable(e.to_string()),
        (_, Some(e)) => map_sqlx(&e, table),
        (DbErr::Conn(_), None) => StoreError::Unavailable("database connection failed".into()),
        _ => StoreError::Internal(short(&err.to_string())),
    }
}

fn map_sqlx(e: &sea_orm::sqlx::Error, table: Option<&str>) -> StoreError {
    use sea_orm::sqlx::Error as E;
    use sea_orm::sqlx::error::ErrorKind;
    match e {
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
            StoreError::Unavailable(short(&e.to_string()))
        }
        E::Database(db) => {
            let message = db.message();
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    StoreError::conflict(&constraint::resolve(db.constraint(), message, table))
                }
                ErrorKind::ForeignKeyViolation => StoreError::NotFound,
                _ if aborted_by_conflict(db.as_ref()) => {
                    StoreError::Unavailable(CONFLICT_ABORT.to_owned())
                }
                _ if transient(db.as_ref()) => StoreError::Unavailable(short(message)),
                _ if yauth_store::schema_probe::is_missing_schema(message) => {
                    yauth_store::schema_probe::missing_schema_error(message)
                }
                _ => StoreError::Internal(short(message)),
            }
        }
        _ => StoreError::Internal(short(&e.to_string())),
    }
}

/// What a statement or transaction that the database rolled back to resolve a conflict with a
/// concurrent one reports. It changed nothing, so it runs again (see [`is_conflict_abort`]); the
/// error reaches the caller only when every attempt lost.
const CONFLICT_ABORT: &str =
    "aborted by the database to resolve a conflict with a concurrent transaction";

/// Whether `error` is a statement or transaction the database rolled back on a deadlock or a
/// serialization failure.
pub(crate) fn is_conflict_abort(error: &StoreError) -> bool {
    matches!(error, StoreError::Unavailable(m) if m == CONFLICT_ABORT)
}

/// Deadlock victims and serialization failures: the database rolled the work back, so it may
/// run again.
fn aborted_by_conflict(db: &dyn sea_orm::sqlx::error::DatabaseError) -> bool {
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        return my.number() == 1213;
    }
    matches!(db.code().as_deref(), Some("40P01" | "40001"))
}

/// Errors that say the database is there but could not serve us in time: lock waits, busy SQLite files, too many connections, shutdowns.
fn transient(db: &dyn sea_orm::sqlx::error::DatabaseError) -> bool {
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        // Lock wait timeout, too many connections, server shutdown.
        return matches!(my.number(), 1205 | 1040 | 1053);
    }
    let code = db.code().unwrap_or_default();
    matches!(
        code.as_ref(),
        // PostgreSQL: lock not available, statement timeout, admin shutdown, too many
        // connections, cannot connect now.
        "55P03" | "57014" | "57P01" | "53300" | "57P03"
        // SQLite: BUSY, LOCKED and their extended codes.
        | "5" | "6" | "261" | "517" | "262"
    )
}

/// Driver messages never carry SQL here, but keep them short for logs.
fn short(message: &str) -> String {
    message.chars().take(300).collect()
}
