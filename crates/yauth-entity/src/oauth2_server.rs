//! Rows of the OAuth2 authorization server plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A registered client (`yauth_oauth2_clients`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oauth2Client {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Public client identifier; unique.
    pub client_id: String,
    /// Argon2id PHC string of the secret; `None` for public clients.
    pub client_secret_hash: Option<String>,
    /// Allowed redirect URIs (JSON array of strings).
    pub redirect_uris: serde_json::Value,
    /// Display name on the consent screen.
    pub client_name: Option<String>,
    /// Allowed grant types (JSON array of strings).
    pub grant_types: serde_json::Value,
    /// Allowed scopes (JSON array of strings).
    pub scopes: Option<serde_json::Value>,
    /// Public clients cannot keep a secret and must use PKCE.
    pub is_public: bool,
    /// Registration time.
    pub created_at: OffsetDateTime,
}

/// An authorization code (`yauth_authorization_codes`); exchanged once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Hex SHA-256 of the code; unique.
    pub code_hash: String,
    /// The client the code was issued to.
    pub client_id: String,
    /// The user who consented.
    pub user_id: Uuid,
    /// Granted scopes.
    pub scopes: Option<serde_json::Value>,
    /// The redirect URI the code was sent to; the token request must repeat it.
    pub redirect_uri: String,
    /// PKCE challenge.
    pub code_challenge: String,
    /// PKCE method (`S256`).
    pub code_challenge_method: String,
    /// OpenID Connect nonce to echo in the id_token.
    pub nonce: Option<String>,
    /// When the user signed in to the session that consented (the id_token's `auth_time`):
    /// not the code's creation, which may come long after the sign-in.
    pub auth_time: OffsetDateTime,
    /// How the user signed in (the id_token's `amr`): a JSON array of method names.
    pub amr: serde_json::Value,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// Whether the code was exchanged.
    pub used: bool,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// A user's standing consent for a client (`yauth_consents`), one per (user, client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The consenting user.
    pub user_id: Uuid,
    /// The client.
    pub client_id: String,
    /// Consented scopes.
    pub scopes: serde_json::Value,
    /// First consent.
    pub created_at: OffsetDateTime,
    /// Last change of scopes.
    pub updated_at: OffsetDateTime,
}

/// Where a device authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceCodeStatus {
    /// Waiting for the user to approve or deny.
    Pending,
    /// Approved; the next poll receives tokens.
    Approved,
    /// Denied by the user.
    Denied,
    /// Tokens were issued; the code is spent.
    Consumed,
}

impl DeviceCodeStatus {
    /// The stored string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Consumed => "consumed",
        }
    }

    /// Parses the stored string.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            "consumed" => Self::Consumed,
            _ => return None,
        })
    }
}

/// A device authorization (`yauth_device_codes`, RFC 8628).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCode {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Hex SHA-256 of the device code the client polls with; unique.
    pub device_code_hash: String,
    /// Short code the user types; unique.
    pub user_code: String,
    /// The polling client.
    pub client_id: String,
    /// Requested scopes.
    pub scopes: Option<serde_json::Value>,
    /// The user who approved or denied.
    pub user_id: Option<Uuid>,
    /// Where the authorization stands.
    pub status: DeviceCodeStatus,
    /// Minimum seconds between polls.
    pub interval: i32,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// Last poll.
    pub last_polled_at: Option<OffsetDateTime>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}
