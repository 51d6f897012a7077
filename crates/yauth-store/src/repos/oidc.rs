//! The oidc plugin's storage: the nonces bound to authorization codes. Its id_tokens are signed
//! with the bearer plugin's signing keys ([`BearerRepository`](super::BearerRepository)).

use async_trait::async_trait;
use uuid::Uuid;
use yauth_entity::OidcNonce;

use crate::StoreResult;

/// OpenID Connect nonces.
#[async_trait]
pub trait OidcRepository: Send + Sync {
    /// Stores a nonce. Errors: `NotFound` (authorization code).
    async fn create_oidc_nonce(&self, nonce: &OidcNonce) -> StoreResult<()>;

    /// The nonce bound to an authorization code.
    async fn find_oidc_nonce(&self, authorization_code_id: Uuid) -> StoreResult<Option<OidcNonce>>;
}
