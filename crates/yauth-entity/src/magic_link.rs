//! Rows of the magic-link plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// An emailed sign-in link (`yauth_magic_links`); consumed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MagicLink {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Normalised email the link was sent to (the account may not exist yet).
    pub email: String,
    /// Hex SHA-256 of the token; unique.
    pub token_hash: String,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// Whether the link was consumed.
    pub used: bool,
    /// Creation time.
    pub created_at: OffsetDateTime,
}
