//! Rows of the passkey (WebAuthn) plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A registered WebAuthn credential (`yauth_webauthn_credentials`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebauthnCredential {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Base64url of the authenticator's raw credential id; unique.
    pub credential_id: String,
    /// User-chosen label.
    pub name: String,
    /// Authenticator model (AAGUID), when the authenticator disclosed it.
    pub aaguid: Option<String>,
    /// Human name of the authenticator model.
    pub device_name: Option<String>,
    /// The serialised passkey (public key, counter, flags).
    pub credential: serde_json::Value,
    /// Registration time.
    pub created_at: OffsetDateTime,
    /// Last successful authentication.
    pub last_used_at: Option<OffsetDateTime>,
}
