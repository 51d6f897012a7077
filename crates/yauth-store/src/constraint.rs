//! Stable names of the uniqueness rules, reported in [`StoreError::Conflict`](crate::StoreError),
//! and the one translation from what a database says about a violated rule to that name.
//!
//! Names are `<table without prefix>.<what is unique>`, independent of the database's own index
//! names, so callers (and the conformance suite) can match on them. [`RULES`] lists every unique
//! rule of the schema with its table and columns; a test checks it against `yauth-migration`'s
//! model, so a unique index added there without a name here fails the build's tests.
//!
//! Backends never parse driver messages themselves: they hand the driver's constraint name (if
//! any), its message and the table the statement wrote to [`resolve`].

/// Users' emails (case-insensitive).
pub const USERS_EMAIL: &str = "users.email";
/// Session token hashes.
pub const SESSIONS_TOKEN_HASH: &str = "sessions.token_hash";
/// Email-verification token hashes.
pub const EMAIL_VERIFICATIONS_TOKEN_HASH: &str = "email_verifications.token_hash";
/// Password-reset token hashes.
pub const PASSWORD_RESETS_TOKEN_HASH: &str = "password_resets.token_hash";
/// WebAuthn credential ids.
pub const WEBAUTHN_CREDENTIAL_ID: &str = "webauthn_credentials.credential_id";
/// One TOTP secret per user. Writes are upserts, so callers never see it; named for completeness.
pub const TOTP_SECRETS_USER_ID: &str = "totp_secrets.user_id";
/// One external account per (provider, provider user id).
pub const OAUTH_ACCOUNTS_PROVIDER_USER: &str = "oauth_accounts.provider_user_id";
/// One linked account per (user, provider).
pub const OAUTH_ACCOUNTS_USER_PROVIDER: &str = "oauth_accounts.user_provider";
/// OAuth state values.
pub const OAUTH_STATES_STATE: &str = "oauth_states.state";
/// Refresh-token hashes.
pub const REFRESH_TOKENS_TOKEN_HASH: &str = "refresh_tokens.token_hash";
/// API-key prefixes.
pub const API_KEYS_PREFIX: &str = "api_keys.key_prefix";
/// Magic-link token hashes.
pub const MAGIC_LINKS_TOKEN_HASH: &str = "magic_links.token_hash";
/// OAuth2 client ids.
pub const OAUTH2_CLIENTS_CLIENT_ID: &str = "oauth2_clients.client_id";
/// One consent per (user, client). Written by upsert only; named for completeness.
pub const CONSENTS_USER_CLIENT: &str = "consents.user_client";
/// One lock row per user. Written by upsert only; named for completeness.
pub const ACCOUNT_LOCKS_USER_ID: &str = "account_locks.user_id";
/// Authorization-code hashes.
pub const AUTHORIZATION_CODES_CODE_HASH: &str = "authorization_codes.code_hash";
/// Device-code hashes.
pub const DEVICE_CODES_DEVICE_CODE_HASH: &str = "device_codes.device_code_hash";
/// Device user codes.
pub const DEVICE_CODES_USER_CODE: &str = "device_codes.user_code";
/// Unlock-token hashes.
pub const UNLOCK_TOKENS_TOKEN_HASH: &str = "unlock_tokens.token_hash";
/// Signing-key ids.
pub const SIGNING_KEYS_KID: &str = "signing_keys.kid";
/// One audit row per position of a chain.
pub const AUDIT_LOG_CHAIN_SEQ: &str = "audit_log.chain_seq";
/// Primary keys (a row with this id already exists).
pub const PRIMARY_KEY: &str = "primary_key";

/// One uniqueness rule of the schema and its stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueRule {
    /// The table, without prefix.
    pub table: &'static str,
    /// The unique columns, in index order.
    pub columns: &'static [&'static str],
    /// The stable name.
    pub name: &'static str,
    /// Whether the rule is the table's primary key: a natural key (a state, a kid) whose
    /// conflicts callers tell apart from an id clash. Other primary keys are [`PRIMARY_KEY`].
    pub primary_key: bool,
}

const fn unique(
    table: &'static str,
    columns: &'static [&'static str],
    name: &'static str,
) -> UniqueRule {
    UniqueRule {
        table,
        columns,
        name,
        primary_key: false,
    }
}

const fn natural_key(
    table: &'static str,
    column: &'static [&'static str],
    name: &'static str,
) -> UniqueRule {
    UniqueRule {
        table,
        columns: column,
        name,
        primary_key: true,
    }
}

/// Every unique index of the schema, and the primary keys with a name of their own.
pub const RULES: &[UniqueRule] = &[
    unique("users", &["email"], USERS_EMAIL),
    unique("audit_log", &["chain", "seq"], AUDIT_LOG_CHAIN_SEQ),
    unique("sessions", &["token_hash"], SESSIONS_TOKEN_HASH),
    unique(
        "email_verifications",
        &["token_hash"],
        EMAIL_VERIFICATIONS_TOKEN_HASH,
    ),
    unique(
        "password_resets",
        &["token_hash"],
        PASSWORD_RESETS_TOKEN_HASH,
    ),
    unique(
        "webauthn_credentials",
        &["credential_id"],
        WEBAUTHN_CREDENTIAL_ID,
    ),
    unique("totp_secrets", &["user_id"], TOTP_SECRETS_USER_ID),
    unique(
        "oauth_accounts",
        &["provider", "provider_user_id"],
        OAUTH_ACCOUNTS_PROVIDER_USER,
    ),
    unique(
        "oauth_accounts",
        &["user_id", "provider"],
        OAUTH_ACCOUNTS_USER_PROVIDER,
    ),
    natural_key("oauth_states", &["state"], OAUTH_STATES_STATE),
    unique("refresh_tokens", &["token_hash"], REFRESH_TOKENS_TOKEN_HASH),
    unique("api_keys", &["key_prefix"], API_KEYS_PREFIX),
    unique("magic_links", &["token_hash"], MAGIC_LINKS_TOKEN_HASH),
    unique("oauth2_clients", &["client_id"], OAUTH2_CLIENTS_CLIENT_ID),
    unique("consents", &["user_id", "client_id"], CONSENTS_USER_CLIENT),
    unique("account_locks", &["user_id"], ACCOUNT_LOCKS_USER_ID),
    unique(
        "authorization_codes",
        &["code_hash"],
        AUTHORIZATION_CODES_CODE_HASH,
    ),
    unique(
        "device_codes",
        &["device_code_hash"],
        DEVICE_CODES_DEVICE_CODE_HASH,
    ),
    unique("device_codes", &["user_code"], DEVICE_CODES_USER_CODE),
    unique("unlock_tokens", &["token_hash"], UNLOCK_TOKENS_TOKEN_HASH),
    natural_key("signing_keys", &["kid"], SIGNING_KEYS_KID),
];

/// The stable name of the unique rule a database reported as violated.
///
/// - `reported`: the constraint or index name the driver hands over, if it does (PostgreSQL:
///   `yauth_users_email_key`, `yauth_oauth_states_pkey`);
/// - `message`: the driver's message, where MySQL / MariaDB name the key
///   (`... for key 'yauth_users_email_key'`, `'PRIMARY'`, MySQL 8: `'yauth_users.PRIMARY'`) and
///   SQLite the columns (`UNIQUE constraint failed: yauth_t.a, yauth_t.b`, possibly quoted by a
///   wrapping driver);
/// - `table`: the table the failing statement wrote, with or without prefix, when known: MySQL
///   names a violated primary key only `PRIMARY`.
///
/// Table prefixes are recognised whatever they are. A rule this table does not know (a schema
/// that is not yauth's) comes back as the database named it.
pub fn resolve(reported: Option<&str>, message: &str, table: Option<&str>) -> String {
    let from_message = || {
        if let Some((_, list)) = message.split_once("UNIQUE constraint failed: ") {
            return Some(list.trim_end_matches(['`', '\'', '"']).to_owned());
        }
        let (_, key) = message.rsplit_once("for key '")?;
        Some(key.trim_end_matches('\'').to_owned())
    };
    let Some(name) = reported.map(str::to_owned).or_else(from_message) else {
        return table.map_or(PRIMARY_KEY, natural_key_of).to_owned();
    };
    let name = name.trim();
    if name.contains(", ") || is_column_list(name) {
        return by_columns(name);
    }
    // MySQL 8 qualifies the key with its table: `yauth_users.yauth_users_email_key`.
    if let Some((qualifier, key)) = name.split_once('.') {
        return by_index(key, Some(qualifier));
    }
    by_index(name, table)
}

/// A SQLite list names `table.column`; a MySQL 8 key is `table.key`, and keys end in `_key`,
/// `_pkey` or are `PRIMARY`.
fn is_column_list(name: &str) -> bool {
    name.split_once('.').is_some_and(|(_, key)| {
        key != "PRIMARY" && !key.ends_with("_key") && !key.ends_with("_pkey")
    })
}

/// SQLite: `yauth_t.a, yauth_t.b`.
fn by_columns(list: &str) -> String {
    let mut table = "";
    let mut columns = Vec::new();
    for item in list.split(", ") {
        if let Some((t, c)) = item.trim().split_once('.') {
            table = t;
            columns.push(c);
        }
    }
    let logical = logical_table(table);
    if let Some(rule) = RULES
        .iter()
        .find(|r| r.table == logical && r.columns == columns.as_slice())
    {
        return rule.name.to_owned();
    }
    if columns == ["id"] {
        return PRIMARY_KEY.to_owned();
    }
    format!("{logical}.{}", columns.join("_"))
}

/// PostgreSQL and MySQL: the index name `<prefix><table>_<columns>_key`, `<prefix><table>_pkey`
/// or `PRIMARY` (whose table is `table`).
fn by_index(index: &str, table: Option<&str>) -> String {
    if index == "PRIMARY" {
        return table.map_or(PRIMARY_KEY, natural_key_of).to_owned();
    }
    let found = RULES
        .iter()
        .filter(|r| {
            let suffix = if r.primary_key {
                format!("{}_pkey", r.table)
            } else {
                format!("{}_{}_key", r.table, r.columns.join("_"))
            };
            index.ends_with(&suffix)
        })
        .max_by_key(|r| r.table.len());
    if let Some(rule) = found {
        return rule.name.to_owned();
    }
    if index.ends_with("_pkey") {
        return PRIMARY_KEY.to_owned();
    }
    index.to_owned()
}

/// The stable name of a conflict on `table`'s primary key.
fn natural_key_of(table: &str) -> &'static str {
    let logical = logical_table(table);
    RULES
        .iter()
        .find(|r| r.primary_key && r.table == logical)
        .map_or(PRIMARY_KEY, |r| r.name)
}

/// `physical` without its prefix: any prefix before a table of [`RULES`], else the default one.
fn logical_table(physical: &str) -> &str {
    RULES
        .iter()
        .map(|r| r.table)
        .filter(|t| physical.ends_with(t))
        .max_by_key(|t| t.len())
        .unwrap_or_else(|| physical.strip_prefix("yauth_").unwrap_or(physical))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_names_the_index() {
        assert_eq!(
            resolve(Some("yauth_users_email_key"), "", None),
            USERS_EMAIL
        );
        assert_eq!(
            resolve(Some("yauth_oauth_states_pkey"), "", None),
            OAUTH_STATES_STATE
        );
        assert_eq!(
            resolve(Some("yauth_signing_keys_pkey"), "", None),
            SIGNING_KEYS_KID
        );
        assert_eq!(resolve(Some("yauth_users_pkey"), "", None), PRIMARY_KEY);
        assert_eq!(
            resolve(Some("auth_refresh_tokens_token_hash_key"), "", None),
            REFRESH_TOKENS_TOKEN_HASH
        );
    }

    #[test]
    fn mysql_names_the_key_in_its_message() {
        let dup = |key: &str| format!("Duplicate entry 'a' for key '{key}'");
        assert_eq!(
            resolve(
                None,
                &dup("yauth_oauth_accounts_user_id_provider_key"),
                None
            ),
            OAUTH_ACCOUNTS_USER_PROVIDER
        );
        assert_eq!(
            resolve(None, &dup("yauth_users.yauth_users_email_key"), None),
            USERS_EMAIL
        );
        assert_eq!(
            resolve(None, &dup("PRIMARY"), Some("oauth_states")),
            OAUTH_STATES_STATE
        );
        assert_eq!(
            resolve(None, &dup("PRIMARY"), Some("yauth_signing_keys")),
            SIGNING_KEYS_KID
        );
        assert_eq!(resolve(None, &dup("PRIMARY"), Some("users")), PRIMARY_KEY);
        assert_eq!(resolve(None, &dup("PRIMARY"), None), PRIMARY_KEY);
        assert_eq!(
            resolve(None, &dup("yauth_users.PRIMARY"), None),
            PRIMARY_KEY
        );
        assert_eq!(
            resolve(None, &dup("yauth_signing_keys.PRIMARY"), None),
            SIGNING_KEYS_KID
        );
    }

    #[test]
    fn sqlite_names_the_columns() {
        let failed = |cols: &str| format!("UNIQUE constraint failed: {cols}");
        assert_eq!(
            resolve(
                None,
                &failed("yauth_oauth_accounts.provider, yauth_oauth_accounts.provider_user_id"),
                None
            ),
            OAUTH_ACCOUNTS_PROVIDER_USER
        );
        assert_eq!(
            resolve(None, &failed("yauth_users.email"), None),
            USERS_EMAIL
        );
        assert_eq!(resolve(None, &failed("yauth_users.id"), None), PRIMARY_KEY);
        assert_eq!(
            resolve(None, &failed("yauth_oauth_states.state"), None),
            OAUTH_STATES_STATE
        );
        // diesel-libsql quotes SQLite's message.
        assert_eq!(
            resolve(
                None,
                "SQLite failure: `UNIQUE constraint failed: yauth_api_keys.key_prefix`",
                None
            ),
            API_KEYS_PREFIX
        );
    }

    #[test]
    fn unknown_rules_keep_the_database_name() {
        assert_eq!(
            resolve(Some("other_thing_key"), "", None),
            "other_thing_key"
        );
    }
}
