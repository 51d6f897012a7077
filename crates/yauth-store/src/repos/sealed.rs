//! Values sealed by the library's key ring (AEAD ciphertexts of secrets that must be readable
//! again), addressed by column, so that a key rotation can find and rewrite them in batches.
//!
//! A sealed value is text that starts with a prefix naming the key that sealed it (the library
//! writes `<format>.<key id>.<payload>`). Prefixes contain only lowercase ASCII letters, digits,
//! `-` and `.`, so a backend may compare them with any collation and needs no escaping.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// A column that holds sealed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SealedColumn {
    /// `totp_secrets.encrypted_secret` (mfa), rows keyed by `id`.
    TotpSecret,
    /// `oauth_accounts.access_token_enc` (oauth), nullable, rows keyed by `id`.
    OauthAccessToken,
    /// `oauth_accounts.refresh_token_enc` (oauth), nullable, rows keyed by `id`.
    OauthRefreshToken,
    /// `webhooks.secret_enc` (webhooks), rows keyed by `id`.
    WebhookSecret,
    /// `signing_keys.private_key_enc` (bearer, also used by oidc), rows keyed by `kid`.
    SigningKey,
}

impl SealedColumn {
    /// Every sealed column of the schema.
    pub const ALL: [SealedColumn; 5] = [
        SealedColumn::TotpSecret,
        SealedColumn::OauthAccessToken,
        SealedColumn::OauthRefreshToken,
        SealedColumn::WebhookSecret,
        SealedColumn::SigningKey,
    ];

    /// The table, without the configured prefix (as the schema model names it).
    pub fn table(self) -> &'static str {
        match self {
            Self::TotpSecret => "totp_secrets",
            Self::OauthAccessToken | Self::OauthRefreshToken => "oauth_accounts",
            Self::WebhookSecret => "webhooks",
            Self::SigningKey => "signing_keys",
        }
    }

    /// The column holding the sealed value.
    pub fn column(self) -> &'static str {
        match self {
            Self::TotpSecret => "encrypted_secret",
            Self::OauthAccessToken => "access_token_enc",
            Self::OauthRefreshToken => "refresh_token_enc",
            Self::WebhookSecret => "secret_enc",
            Self::SigningKey => "private_key_enc",
        }
    }

    /// The primary-key column that names a row: a UUID `id`, or the text `kid` of a signing key.
    pub fn row_key(self) -> &'static str {
        match self {
            Self::SigningKey => "kid",
            _ => "id",
        }
    }

    /// Whether the row key is a UUID (its text form, lowercase and hyphenated, is the row name).
    pub fn row_key_is_uuid(self) -> bool {
        !matches!(self, Self::SigningKey)
    }

    /// The plugin whose table holds the column, as `yauth-migration` names plugins.
    pub fn plugin(self) -> &'static str {
        match self {
            Self::TotpSecret => "mfa",
            Self::OauthAccessToken | Self::OauthRefreshToken => "oauth",
            Self::WebhookSecret => "webhooks",
            Self::SigningKey => "bearer",
        }
    }
}

/// The key of a row of a sealed column, parsed for a SQL backend to bind as the key column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedRowKey<'a> {
    /// A row's UUID `id`.
    Uuid(Uuid),
    /// A signing key's text `kid`.
    Text(&'a str),
}

impl<'a> SealedRowKey<'a> {
    /// The UUID of a UUID-keyed row, for a backend that binds it on its own.
    pub fn uuid(self) -> Option<Uuid> {
        match self {
            Self::Uuid(id) => Some(id),
            Self::Text(_) => None,
        }
    }

    /// The text key of a row (`kid`), for a backend that binds it on its own.
    pub fn text(self) -> Option<&'a str> {
        match self {
            Self::Text(kid) => Some(kid),
            Self::Uuid(_) => None,
        }
    }
}

impl SealedColumn {
    /// The key of the row named `row` (a UUID's text, any case, or a `kid`). `None` when the
    /// column's keys are UUIDs and `row` is not one: no row of the column has that name, so a
    /// compare-and-swap on it simply does not happen.
    pub fn row_key_of(self, row: &str) -> Option<SealedRowKey<'_>> {
        if self.row_key_is_uuid() {
            Uuid::parse_str(row).ok().map(SealedRowKey::Uuid)
        } else {
            Some(SealedRowKey::Text(row))
        }
    }

    /// The `after` cursor of [`SealedValueRepository::list_sealed_values`] as a row key. A cursor
    /// that is no UUID on a UUID-keyed column never came from a listed row: that is the caller's
    /// bug, reported as [`StoreError::Internal`] (a database with a native UUID type could not
    /// compare it, so every backend refuses it alike).
    pub fn cursor_key(self, after: Option<&str>) -> StoreResult<Option<SealedRowKey<'_>>> {
        after
            .map(|row| {
                self.row_key_of(row).ok_or_else(|| {
                    StoreError::Internal(format!(
                        "cursor {row:?} is not a row of {}.{}: its keys are UUIDs",
                        self.table(),
                        self.column()
                    ))
                })
            })
            .transpose()
    }
}

/// The length of a sealed-value prefix in characters, as SQL backends pass it to
/// `SUBSTR(value, 1, n)` (an `INTEGER`, so that PostgreSQL finds `substr(text, int, int)`) to
/// test the prefix without `LIKE` wildcards.
pub fn sealed_prefix_chars(prefix: &str) -> i32 {
    i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX)
}

/// One sealed value and the row that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedValue {
    /// The row's key: a UUID's lowercase hyphenated text, or a signing key's `kid`.
    pub row: String,
    /// The sealed value as stored.
    pub value: String,
}

/// Reading and rewriting sealed values by column, for key rotation.
///
/// Rows are ordered by their key as the database orders the key column (for UUID keys that is
/// the order of their lowercase text; for `kid` a byte-wise order of ASCII text), so a caller can
/// walk a column in batches with `after`.
#[async_trait]
pub trait SealedValueRepository: Send + Sync {
    /// Up to `limit` non-null values of `column` that do **not** start with `prefix`, in row-key
    /// order, starting after the row `after` when given. An empty batch means the walk is over.
    async fn list_sealed_values(
        &self,
        column: SealedColumn,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<SealedValue>>;

    /// Atomically replaces the value of `column` in `row` by `replacement`, only if it still is
    /// `expected`. Returns whether it did: `false` when another writer changed the value first or
    /// the row is gone (a compare-and-swap, so concurrent rotations never lose a write).
    async fn replace_sealed_value(
        &self,
        column: SealedColumn,
        row: &str,
        expected: &str,
        replacement: &str,
    ) -> StoreResult<bool>;

    /// How many non-null values of `column` start with `prefix`.
    async fn count_sealed_values(&self, column: SealedColumn, prefix: &str) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_parse_by_column() {
        let id = Uuid::new_v4();
        let upper = id.hyphenated().to_string().to_uppercase();
        assert_eq!(
            SealedColumn::WebhookSecret.row_key_of(&upper),
            Some(SealedRowKey::Uuid(id))
        );
        assert_eq!(SealedColumn::TotpSecret.row_key_of("kid-1"), None);
        assert_eq!(SealedRowKey::Uuid(id).uuid(), Some(id));
        assert_eq!(SealedRowKey::Uuid(id).text(), None);
        assert_eq!(SealedRowKey::Text("kid-1").text(), Some("kid-1"));
        assert_eq!(SealedRowKey::Text("kid-1").uuid(), None);
        assert_eq!(
            SealedColumn::SigningKey.row_key_of("kid-1"),
            Some(SealedRowKey::Text("kid-1"))
        );
        assert!(
            SealedColumn::OauthAccessToken
                .cursor_key(None)
                .is_ok_and(|k| k.is_none())
        );
        assert!(matches!(
            SealedColumn::OauthAccessToken.cursor_key(Some("kid-1")),
            Err(StoreError::Internal(_))
        ));
    }

    #[test]
    fn prefix_length_counts_characters() {
        assert_eq!(sealed_prefix_chars(""), 0);
        assert_eq!(sealed_prefix_chars("v1.key-2."), 9);
    }
}
