//! The one mapping from diesel and pool errors to [`StoreError`].

use diesel::result::{DatabaseErrorKind, Error};
use diesel_async::pooled_connection::PoolError as ManagerError;
use diesel_async::pooled_connection::deadpool::PoolError;
use yauth_store::{StoreError, constraint};

/// Marker text of a transaction that lost a deadlock or serialization check; such a transaction
/// is retried (see `Store::retry`).
pub(crate) const RETRYABLE: &str = "transaction conflict (deadlock or serialization failure)";

/// Unique rules by table and columns, with their stable names. Primary keys that are themselves
/// the lookup value (states, kids) have their own names; other primary keys are `primary_key`.
const UNIQUES: &[(&str, &[&str], &str)] = &[
    ("users", &["email"], constraint::USERS_EMAIL),
    ("sessions", &["token_hash"], constraint::SESSIONS_TOKEN_HASH),
    (
        "email_verifications",
        &["token_hash"],
        constraint::EMAIL_VERIFICATIONS_TOKEN_HASH,
    ),
    (
        "password_resets",
        &["token_hash"],
        constraint::PASSWORD_RESETS_TOKEN_HASH,
    ),
    (
        "webauthn_credentials",
        &["credential_id"],
        constraint::WEBAUTHN_CREDENTIAL_ID,
    ),
    (
        "oauth_accounts",
        &["provider", "provider_user_id"],
        constraint::OAUTH_ACCOUNTS_PROVIDER_USER,
    ),
    (
        "oauth_accounts",
        &["user_id", "provider"],
        constraint::OAUTH_ACCOUNTS_USER_PROVIDER,
    ),
    (
        "refresh_tokens",
        &["token_hash"],
        constraint::REFRESH_TOKENS_TOKEN_HASH,
    ),
    ("api_keys", &["key_prefix"], constraint::API_KEYS_PREFIX),
    (
        "magic_links",
        &["token_hash"],
        constraint::MAGIC_LINKS_TOKEN_HASH,
    ),
    (
        "oauth2_clients",
        &["client_id"],
        constraint::OAUTH2_CLIENTS_CLIENT_ID,
    ),
    (
        "authorization_codes",
        &["code_hash"],
        constraint::AUTHORIZATION_CODES_CODE_HASH,
    ),
    (
        "device_codes",
        &["device_code_hash"],
        constraint::DEVICE_CODES_DEVICE_CODE_HASH,
    ),
    (
        "device_codes",
        &["user_code"],
        constraint::DEVICE_CODES_USER_CODE,
    ),
    (
        "unlock_tokens",
        &["token_hash"],
        constraint::UNLOCK_TOKENS_TOKEN_HASH,
    ),
    ("totp_secrets", &["user_id"], "totp_secrets.user_id"),
    ("account_locks", &["user_id"], "account_locks.user_id"),
    (
        "consents",
        &["user_id", "client_id"],
        "consents.user_client",
    ),
];

/// Primary keys that carry a stable name of their own.
const NAMED_KEYS: &[(&str, &str)] = &[
    ("oauth_states", constraint::OAUTH_STATES_STATE),
    ("signing_keys", constraint::SIGNING_KEYS_KID),
];

/// The stable name of a violated unique rule. `table` (without prefix) is the table the failing
/// statement wrote, when known: MySQL names a violated primary key only `PRIMARY`.
fn unique_name(message: &str, constraint_name: Option<&str>, table: Option<&str>) -> String {
    let primary = |table: Option<&str>| {
        table
            .and_then(|t| NAMED_KEYS.iter().find(|(k, _)| *k == t))
            .map_or(constraint::PRIMARY_KEY, |(_, name)| name)
            .to_owned()
    };
    // PostgreSQL reports the index name; MySQL/MariaDB put it in the message.
    let index = constraint_name.map(str::to_owned).or_else(|| {
        let rest = message.split("for key '").nth(1)?;
        let name = rest.split('\'').next()?;
        // MySQL 8 qualifies the index with the table name.
        Some(name.rsplit('.').next().unwrap_or(name).to_owned())
    });
    if let Some(index) = index {
        for (t, cols, name) in UNIQUES {
            if index == format!("yauth_{t}_{}_key", cols.join("_")) {
                return (*name).to_owned();
            }
        }
        if index == "PRIMARY" {
            return primary(table);
        }
        if let Some(t) = index.strip_suffix("_pkey") {
            return primary(Some(t.strip_prefix("yauth_").unwrap_or(t)));
        }
    }
    // SQLite: "UNIQUE constraint failed: yauth_users.email" (or several `table.col`).
    if let Some((_, list)) = message.split_once("UNIQUE constraint failed: ") {
        // Drivers that wrap SQLite's message (diesel-libsql) may quote it.
        let list = list.trim_end_matches(['`', '\'', '"']);
        let mut table_name = None;
        let mut cols = Vec::new();
        for item in list.split(", ") {
            if let Some((t, c)) = item.trim().split_once('.') {
                table_name = Some(t.strip_prefix("yauth_").unwrap_or(t));
                cols.push(c);
            }
        }
        if let Some(t) = table_name {
            for (ut, ucols, name) in UNIQUES {
                if *ut == t && *ucols == cols.as_slice() {
                    return (*name).to_owned();
                }
            }
            return primary(Some(t));
        }
    }
    primary(table)
}

/// Maps a diesel error. `table` is the (unprefixed) table the statement wrote, if any.
pub(crate) fn map_error(error: Error, table: Option<&str>) -> StoreError {
    match error {
        Error::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::UniqueViolation => StoreError::Conflict {
                constraint: unique_name(info.message(), info.constraint_name(), table),
            },
            DatabaseErrorKind::ForeignKeyViolation => StoreError::NotFound,
            DatabaseErrorKind::SerializationFailure => StoreError::Internal(RETRYABLE.into()),
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
    if message.contains("UNIQUE constraint failed") {
        StoreError::Conflict {
            constraint: unique_name(message, None, None),
        }
    } else if message.contains("FOREIGN KEY constraint failed") {
        StoreError::NotFound
    } else if lower.contains("deadlock") || lower.contains("could not serialize") {
        StoreError::Internal(RETRYABLE.into())
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
    fn unique_names_from_every_dialect() {
        assert_eq!(
            unique_name("dup", Some("yauth_users_email_key"), None),
            constraint::USERS_EMAIL
        );
        assert_eq!(
            unique_name(
                "Duplicate entry 'a' for key 'yauth_oauth_accounts_user_id_provider_key'",
                None,
                Some("oauth_accounts")
            ),
            constraint::OAUTH_ACCOUNTS_USER_PROVIDER
        );
        assert_eq!(
            unique_name(
                "Duplicate entry 'a' for key 'PRIMARY'",
                None,
                Some("oauth_states")
            ),
            constraint::OAUTH_STATES_STATE
        );
        assert_eq!(
            unique_name(
                "Duplicate entry 'a' for key 'yauth_users.PRIMARY'",
                None,
                Some("users")
            ),
            constraint::PRIMARY_KEY
        );
        assert_eq!(
            unique_name("dup", Some("yauth_signing_keys_pkey"), None),
            constraint::SIGNING_KEYS_KID
        );
        assert_eq!(
            unique_name(
                "UNIQUE constraint failed: yauth_oauth_accounts.provider, yauth_oauth_accounts.provider_user_id",
                None,
                None
            ),
            constraint::OAUTH_ACCOUNTS_PROVIDER_USER
        );
        assert_eq!(
            unique_name("UNIQUE constraint failed: yauth_users.id", None, None),
            constraint::PRIMARY_KEY
        );
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
