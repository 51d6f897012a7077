//! The oidc plugin's storage: nonces and signing keys.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{OidcNonce, SigningKey};

use crate::StoreResult;

/// OpenID Connect nonces and the rotating signing keys.
#[async_trait]
pub trait OidcRepository: Send + Sync {
    /// Stores a nonce. Errors: `NotFound` (authorization code).
    async fn create_oidc_nonce(&self, nonce: &OidcNonce) -> StoreResult<()>;

    /// The nonce bound to an authorization code.
    async fn find_oidc_nonce(&self, authorization_code_id: Uuid) -> StoreResult<Option<OidcNonce>>;

    /// Stores a key. Errors: `Conflict(signing_keys.kid)`.
    async fn create_signing_key(&self, key: &SigningKey) -> StoreResult<()>;

    /// Keys not yet expired at `now`, newest first: the first unretired one signs, all are
    /// published in the JWKS.
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
