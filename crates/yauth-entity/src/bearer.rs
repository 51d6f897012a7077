//! Rows of the bearer (JWT) plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A refresh token (`yauth_refresh_tokens`). Rotation keeps the `family_id`; presenting a revoked
/// member of a family is reuse and revokes the whole family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Hex SHA-256 of the token; unique.
    pub token_hash: String,
    /// The rotation chain this token belongs to.
    pub family_id: Uuid,
    /// The OAuth2 client the token was issued to (oauth2-server tokens only).
    pub client_id: Option<String>,
    /// Granted scopes (oauth2-server tokens only).
    pub scopes: Option<serde_json::Value>,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// Revoked by rotation, logout or reuse detection.
    pub revoked: bool,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// A revoked JWT id (`yauth_revocations`), kept until the token would have expired anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JtiRevocation {
    /// The `jti` claim; primary key.
    pub jti: String,
    /// When the revoked token expires; the row can go after that.
    pub expires_at: OffsetDateTime,
    /// Revocation time.
    pub created_at: OffsetDateTime,
}
