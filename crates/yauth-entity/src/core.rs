//! Core rows: users, sessions, the audit log and short-lived challenges.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A user account (`yauth_users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Trimmed, lowercased email; unique.
    pub email: String,
    /// Name shown in the UI.
    pub display_name: Option<String>,
    /// Whether the user proved they own `email`.
    pub email_verified: bool,
    /// `"user"`, `"admin"` or an application-defined role.
    pub role: String,
    /// Banned users cannot authenticate.
    pub banned: bool,
    /// Why the user was banned, shown to admins.
    pub banned_reason: Option<String>,
    /// When a temporary ban ends; `None` with `banned` means permanent.
    pub banned_until: Option<OffsetDateTime>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last modification time.
    pub updated_at: OffsetDateTime,
}

impl User {
    /// A fresh, unverified, unbanned user with the default role; the email is normalised.
    pub fn new(id: Uuid, email: &str, now: OffsetDateTime) -> Self {
        Self {
            id,
            email: crate::normalize_email(email),
            display_name: None,
            email_verified: false,
            role: crate::DEFAULT_ROLE.to_owned(),
            banned: false,
            banned_reason: None,
            banned_until: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether a ban is in force at `now` (a temporary ban lapses at `banned_until`).
    pub fn is_banned_at(&self, now: OffsetDateTime) -> bool {
        self.banned && self.banned_until.is_none_or(|until| until > now)
    }
}

/// A partial update of a [`User`]: `None` leaves a field unchanged; for nullable fields
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    /// New email (normalised by the store).
    pub email: Option<String>,
    /// New display name.
    pub display_name: Option<Option<String>>,
    /// New verification state.
    pub email_verified: Option<bool>,
    /// New role.
    pub role: Option<String>,
    /// New ban state.
    pub banned: Option<bool>,
    /// New ban reason.
    pub banned_reason: Option<Option<String>>,
    /// New ban end.
    pub banned_until: Option<Option<OffsetDateTime>>,
}

/// A login session (`yauth_sessions`). Only the SHA-256 of the cookie token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Hex SHA-256 of the session token; unique.
    pub token_hash: String,
    /// Client IP captured at creation, for binding.
    pub ip_address: Option<String>,
    /// User-Agent captured at creation, for binding.
    pub user_agent: Option<String>,
    /// The admin acting as `user_id`, for impersonation sessions.
    pub impersonator_id: Option<Uuid>,
    /// Idle expiry; slides forward on use, never past `absolute_expires_at`.
    pub expires_at: OffsetDateTime,
    /// Hard end of the session.
    pub absolute_expires_at: OffsetDateTime,
    /// Last time the session authenticated a request (updated on renewal).
    pub last_seen_at: OffsetDateTime,
    /// Creation time: when the user authenticated (a session begins with a sign-in and is never
    /// re-authenticated in place).
    pub created_at: OffsetDateTime,
    /// How the user proved who they are when the session began: authentication method
    /// reference values (RFC 8176: `pwd`, `otp`, `mfa`, `hwk`, `user`, ...) separated by single
    /// spaces, e.g. `"pwd otp mfa"`. Empty for sessions that predate it.
    pub amr: String,
}

impl Session {
    /// The authentication method references of [`amr`](Self::amr), in order.
    pub fn amr_values(&self) -> impl Iterator<Item = &str> {
        self.amr.split(' ').filter(|v| !v.is_empty())
    }

    /// Whether the session is usable at `now`.
    pub fn is_active_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at > now && self.absolute_expires_at > now
    }
}

/// One audit-log row (`yauth_audit_log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogEntry {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The user the event concerns; cleared if the user is deleted.
    pub user_id: Option<Uuid>,
    /// Event name, e.g. `login_succeeded`.
    pub event_type: String,
    /// Event details.
    pub metadata: Option<serde_json::Value>,
    /// Client IP of the request that caused the event.
    pub ip_address: Option<String>,
    /// When the event happened.
    pub created_at: OffsetDateTime,
    /// The tamper-evident chain the row belongs to: the user's id as written (kept when the
    /// user is deleted), or `global`. Set by the store on append; `None` only on rows written
    /// before chaining existed.
    pub chain: Option<String>,
    /// The row's position in its chain, from 1.
    pub seq: Option<i64>,
    /// The hash of the row before it in its chain; `None` for the first.
    pub prev_hash: Option<String>,
    /// Hex SHA-256 of the row's content and `prev_hash`.
    pub hash: Option<String>,
}

impl AuditLogEntry {
    /// A new entry; the store sets its chain fields when it appends it.
    pub fn new(
        id: Uuid,
        user_id: Option<Uuid>,
        event_type: &str,
        metadata: Option<serde_json::Value>,
        ip_address: Option<String>,
        created_at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            user_id,
            event_type: event_type.to_owned(),
            metadata,
            ip_address,
            created_at,
            chain: None,
            seq: None,
            prev_hash: None,
            hash: None,
        }
    }
}

/// Short-lived state keyed by an opaque string (`yauth_challenges`): WebAuthn ceremonies, pending
/// MFA logins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Primary key, chosen by the caller (e.g. `webauthn:<id>`).
    pub key: String,
    /// The state.
    pub value: serde_json::Value,
    /// After this instant the challenge no longer exists.
    pub expires_at: OffsetDateTime,
    /// Creation time.
    pub created_at: OffsetDateTime,
}
