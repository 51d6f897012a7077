//! Rows of the api-key plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// An API key (`yauth_api_keys`). The key is `<prefix>_<secret>`; the prefix finds the row, the
/// secret's hash proves possession.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Public lookup prefix; unique.
    pub key_prefix: String,
    /// Hex SHA-256 of the secret part.
    pub key_hash: String,
    /// User-chosen label.
    pub name: String,
    /// Granted scopes (a JSON array of strings); `None` means all of the owner's rights.
    pub scopes: Option<serde_json::Value>,
    /// Last authenticated use.
    pub last_used_at: Option<OffsetDateTime>,
    /// End of validity; `None` never expires.
    pub expires_at: Option<OffsetDateTime>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

impl ApiKey {
    /// Whether the key is usable at `now`.
    pub fn is_active_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}
