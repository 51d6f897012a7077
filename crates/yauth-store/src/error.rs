//! Errors every repository returns.

/// What can go wrong in a storage operation.
///
/// Backends map their driver errors onto these variants; database text stays in the message for
/// logs and is never shown to HTTP clients (the library maps variants to stable error codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule was violated. `constraint` is one of the stable names in
    /// [`constraint`](crate::constraint#constants), whatever the database calls it.
    #[error("conflict on {constraint}")]
    Conflict {
        /// Stable name of the violated rule, e.g. [`constraint::USERS_EMAIL`].
        constraint: String,
    },
    /// The row the operation needs does not exist (including a foreign key that points nowhere).
    #[error("not found")]
    NotFound,
    /// The database could not be reached (pool exhausted, connection refused, timeout).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a corrupted row.
    #[error("storage error: {0}")]
    Internal(String),
}

impl StoreError {
    /// A conflict on the named rule.
    pub fn conflict(constraint: &str) -> Self {
        Self::Conflict {
            constraint: constraint.to_owned(),
        }
    }

    /// Whether this is a conflict on `constraint`.
    pub fn is_conflict_on(&self, constraint: &str) -> bool {
        matches!(self, Self::Conflict { constraint: c } if c == constraint)
    }
}

/// The result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Stable names of the uniqueness rules, reported in [`StoreError::Conflict`].
///
/// Names are `<table without prefix>.<what is unique>`, independent of the database's own index
/// names, so callers (and the conformance suite) can match on them.
pub mod constraint {
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
    /// Primary keys (a row with this id already exists).
    pub const PRIMARY_KEY: &str = "primary_key";
}
