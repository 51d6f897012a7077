//! The one mapping from sqlx errors to [`StoreError`], and the retry of transactions that the
//! database aborted to break a deadlock.

use std::future::Future;

use sqlx::error::ErrorKind;
use yauth_store::{StoreError, constraint};

/// Unique indexes and primary keys by the name PostgreSQL / MySQL report and by the columns
/// SQLite reports (`table.col[, table.col]`), with the stable name of
/// [`constraint`](yauth_store::constraint).
const UNIQUE_RULES: &[(&str, &str, &str)] = &[
    (
        "yauth_users_email_key",
        "yauth_users.email",
        constraint::USERS_EMAIL,
    ),
    (
        "yauth_sessions_token_hash_key",
        "yauth_sessions.token_hash",
        constraint::SESSIONS_TOKEN_HASH,
    ),
    (
        "yauth_email_verifications_token_hash_key",
        "yauth_email_verifications.token_hash",
        constraint::EMAIL_VERIFICATIONS_TOKEN_HASH,
    ),
    (
        "yauth_password_resets_token_hash_key",
        "yauth_password_resets.token_hash",
        constraint::PASSWORD_RESETS_TOKEN_HASH,
    ),
    (
        "yauth_webauthn_credentials_credential_id_key",
        "yauth_webauthn_credentials.credential_id",
        constraint::WEBAUTHN_CREDENTIAL_ID,
    ),
    (
        "yauth_oauth_accounts_provider_provider_user_id_key",
        "yauth_oauth_accounts.provider, yauth_oauth_accounts.provider_user_id",
        constraint::OAUTH_ACCOUNTS_PROVIDER_USER,
    ),
    (
        "yauth_oauth_accounts_user_id_provider_key",
        "yauth_oauth_accounts.user_id, yauth_oauth_accounts.provider",
        constraint::OAUTH_ACCOUNTS_USER_PROVIDER,
    ),
    (
        "yauth_oauth_states_pkey",
        "yauth_oauth_states.state",
        constraint::OAUTH_STATES_STATE,
    ),
    (
        "yauth_refresh_tokens_token_hash_key",
        "yauth_refresh_tokens.token_hash",
        constraint::REFRESH_TOKENS_TOKEN_HASH,
    ),
    (
        "yauth_api_keys_key_prefix_key",
        "yauth_api_keys.key_prefix",
        constraint::API_KEYS_PREFIX,
    ),
    (
        "yauth_magic_links_token_hash_key",
        "yauth_magic_links.token_hash",
        constraint::MAGIC_LINKS_TOKEN_HASH,
    ),
    (
        "yauth_oauth2_clients_client_id_key",
        "yauth_oauth2_clients.client_id",
        constraint::OAUTH2_CLIENTS_CLIENT_ID,
    ),
    (
        "yauth_authorization_codes_code_hash_key",
        "yauth_authorization_codes.code_hash",
        constraint::AUTHORIZATION_CODES_CODE_HASH,
    ),
    (
        "yauth_device_codes_device_code_hash_key",
        "yauth_device_codes.device_code_hash",
        constraint::DEVICE_CODES_DEVICE_CODE_HASH,
    ),
    (
        "yauth_device_codes_user_code_key",
        "yauth_device_codes.user_code",
        constraint::DEVICE_CODES_USER_CODE,
    ),
    (
        "yauth_unlock_tokens_token_hash_key",
        "yauth_unlock_tokens.token_hash",
        constraint::UNLOCK_TOKENS_TOKEN_HASH,
    ),
    (
        "yauth_signing_keys_pkey",
        "yauth_signing_keys.kid",
        constraint::SIGNING_KEYS_KID,
    ),
];

/// Maps a sqlx error onto the storage contract's errors. No SQL text is ever included.
pub(crate) fn db_err(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict {
                constraint: unique_rule(db.constraint(), db.message()),
            },
            ErrorKind::ForeignKeyViolation => StoreError::NotFound,
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

/// The stable name of a violated unique rule.
fn unique_rule(constraint_name: Option<&str>, message: &str) -> String {
    let reported = constraint_name
        .map(str::to_owned)
        .or_else(|| mysql_key(message))
        .or_else(|| {
            message
                .strip_prefix("UNIQUE constraint failed: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if let Some((_, _, stable)) = UNIQUE_RULES
        .iter()
        .find(|(index, columns, _)| reported == *index || reported == *columns)
    {
        return (*stable).to_owned();
    }
    let is_primary = reported == "PRIMARY"
        || reported.ends_with(".PRIMARY")
        || reported.ends_with("_pkey")
        || reported.ends_with(".id");
    if is_primary {
        constraint::PRIMARY_KEY.to_owned()
    } else {
        reported
    }
}

/// The key name of a MySQL / MariaDB duplicate-entry message (`... for key 'name'`), without the
/// `table.` prefix MySQL 8 adds.
fn mysql_key(message: &str) -> Option<String> {
    let key = message.rsplit_once("for key '")?.1.strip_suffix('\'')?;
    Some(match key.split_once('.') {
        Some((_, name)) if name != "PRIMARY" => name.to_owned(),
        _ => key.to_owned(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_rules_from_every_dialect() {
        assert_eq!(
            unique_rule(Some("yauth_users_email_key"), ""),
            constraint::USERS_EMAIL
        );
        assert_eq!(
            unique_rule(
                None,
                "Duplicate entry 'a@b' for key 'yauth_users_email_key'"
            ),
            constraint::USERS_EMAIL
        );
        assert_eq!(
            unique_rule(
                None,
                "Duplicate entry 'a@b' for key 'yauth_users.yauth_users_email_key'"
            ),
            constraint::USERS_EMAIL
        );
        assert_eq!(
            unique_rule(
                None,
                "UNIQUE constraint failed: yauth_oauth_accounts.user_id, yauth_oauth_accounts.provider"
            ),
            constraint::OAUTH_ACCOUNTS_USER_PROVIDER
        );
        assert_eq!(
            unique_rule(None, "Duplicate entry 'x' for key 'PRIMARY'"),
            constraint::PRIMARY_KEY
        );
        assert_eq!(
            unique_rule(None, "UNIQUE constraint failed: yauth_users.id"),
            constraint::PRIMARY_KEY
        );
        assert_eq!(
            unique_rule(Some("yauth_signing_keys_pkey"), ""),
            constraint::SIGNING_KEYS_KID
        );
    }
}
