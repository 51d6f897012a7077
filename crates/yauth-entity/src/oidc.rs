//! Rows of the OpenID Connect provider plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A nonce bound to an authorization code (`yauth_oidc_nonces`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcNonce {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Hex SHA-256 of the nonce.
    pub nonce_hash: String,
    /// The authorization code it belongs to.
    pub authorization_code_id: Uuid,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// A JWT signing key of the bearer plugin (`yauth_signing_keys`): it signs access tokens and, with
/// oidc, id_tokens. The newest unretired key signs; retired keys stay in the JWKS until
/// `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    /// Key id (`kid`); primary key.
    pub kid: String,
    /// JOSE algorithm, e.g. `RS256`, `ES256`.
    pub algorithm: String,
    /// AEAD ciphertext of the private key.
    pub private_key_enc: String,
    /// Public key as a JWK.
    pub public_jwk: serde_json::Value,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// When the key stopped signing.
    pub retired_at: Option<OffsetDateTime>,
    /// When the key leaves the JWKS.
    pub expires_at: Option<OffsetDateTime>,
}
