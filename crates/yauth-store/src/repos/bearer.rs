//! The bearer plugin's storage: refresh tokens (rotation, reuse detection), revoked JWT ids, the
//! rotating signing keys (of access tokens and, with oidc, of id_tokens), and the issue rule of a
//! rotation.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{JtiRevocation, RefreshToken, SigningKey};

use crate::StoreResult;

/// The new token of a rotation; user, family, client and scopes are copied from the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenSeed {
    /// Id of the new token (UUIDv7).
    pub id: Uuid,
    /// Hex SHA-256 of the new token.
    pub token_hash: String,
    /// End of validity of the new token.
    pub expires_at: OffsetDateTime,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

impl RefreshTokenSeed {
    /// The token a rotation issues in place of `previous`: this seed's id, hash and times, the
    /// owner, family, client and scopes of `previous`, not revoked.
    pub fn issue_after(&self, previous: &RefreshToken) -> RefreshToken {
        RefreshToken {
            id: self.id,
            user_id: previous.user_id,
            token_hash: self.token_hash.clone(),
            family_id: previous.family_id,
            client_id: previous.client_id.clone(),
            scopes: previous.scopes.clone(),
            expires_at: self.expires_at,
            revoked: false,
            created_at: self.created_at,
        }
    }
}

/// The outcome of [`BearerRepository::rotate_refresh_token`].
// A rotation result lives for one request; boxing the rows would only cost an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The old token was valid: it is now revoked and `issued` replaces it in the same family.
    Rotated {
        /// The old token, as it was before rotation.
        previous: RefreshToken,
        /// The new token.
        issued: RefreshToken,
    },
    /// The old token had already been rotated or revoked: this is reuse (a stolen token or a
    /// replay), and every token of the family is now revoked.
    Reused {
        /// The revoked family.
        family_id: Uuid,
        /// Its owner.
        user_id: Uuid,
    },
    /// Unknown or expired token; nothing changed.
    Invalid,
}

/// Refresh tokens (rotation with family reuse detection), JWT-id revocations and the rotating
/// signing keys.
#[async_trait]
pub trait BearerRepository: Send + Sync {
    /// Stores a token (the first of a new family, typically). Errors: `NotFound` (user),
    /// `Conflict(refresh_tokens.token_hash)`.
    async fn create_refresh_token(&self, token: &RefreshToken) -> StoreResult<()>;

    /// The token with this hash, in any state.
    async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>>;

    /// One atomic rotation. Of concurrent callers presenting the same valid token exactly one gets
    /// `Rotated`; the others see it revoked and get `Reused` (which revokes the family).
    async fn rotate_refresh_token(
        &self,
        old_token_hash: &str,
        new: &RefreshTokenSeed,
        now: OffsetDateTime,
    ) -> StoreResult<RotateOutcome>;

    /// Revokes one token. Returns it if it existed and was not revoked before.
    async fn revoke_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>>;

    /// Revokes every token of a family. Returns how many changed.
    async fn revoke_refresh_family(&self, family_id: Uuid) -> StoreResult<u64>;

    /// Revokes every token of a user. Returns how many changed.
    async fn revoke_user_refresh_tokens(&self, user_id: Uuid) -> StoreResult<u64>;

    /// The tokens issued to a user since a time, revoked or not: the access tokens issued with
    /// them may still be live, so revocation puts their ids on the jti list. Every token of the
    /// user created at or after `created_since`, in any state (revoked or not, expired or not),
    /// newest first (`created_at` descending, then `id` descending). An unknown user gives an
    /// empty list.
    async fn list_user_refresh_tokens(
        &self,
        user_id: Uuid,
        created_since: OffsetDateTime,
    ) -> StoreResult<Vec<RefreshToken>>;

    /// Records a revoked JWT id (idempotent).
    async fn revoke_jti(&self, revocation: &JtiRevocation) -> StoreResult<()>;

    /// Whether the JWT id is revoked (and the revocation not yet expired) at `now`.
    async fn is_jti_revoked(&self, jti: &str, now: OffsetDateTime) -> StoreResult<bool>;

    /// Stores a key. Errors: `Conflict(signing_keys.kid)`.
    async fn create_signing_key(&self, key: &SigningKey) -> StoreResult<()>;

    /// Keys not yet expired at `now`, newest first: the first unretired one signs access tokens
    /// (and, with oidc, id_tokens), all are published in the JWKS.
    async fn list_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKey>>;

    /// Retires a key: it stops signing at `retired_at` and leaves the JWKS at `expires_at`.
    /// Returns whether the key existed.
    async fn retire_signing_key(
        &self,
        kid: &str,
        retired_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<bool>;
}
