//! Rows of the webhooks plugin.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A webhook subscription (`yauth_webhooks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// The owner (`max_webhooks` counts per owner); `None` for site-wide hooks.
    pub user_id: Option<Uuid>,
    /// Target URL.
    pub url: String,
    /// AEAD ciphertext of the HMAC signing key.
    pub secret_enc: String,
    /// Subscribed event types (JSON array of strings).
    pub events: serde_json::Value,
    /// Inactive hooks receive nothing.
    pub active: bool,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// A partial update of a [`Webhook`]; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookUpdate {
    /// New target URL.
    pub url: Option<String>,
    /// New secret ciphertext.
    pub secret_enc: Option<String>,
    /// New event list.
    pub events: Option<serde_json::Value>,
    /// New active flag.
    pub active: Option<bool>,
}

/// Where a delivery stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for `next_attempt_at`.
    Pending,
    /// Claimed by a worker until `locked_until`.
    InFlight,
    /// Delivered.
    Succeeded,
    /// Retries exhausted.
    Failed,
}

impl DeliveryStatus {
    /// The stored string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored string.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "in_flight" => Self::InFlight,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// One event to deliver to one webhook, and the record of its attempts
/// (`yauth_webhook_deliveries`): the durable outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Primary key (UUIDv7).
    pub id: Uuid,
    /// Target webhook.
    pub webhook_id: Uuid,
    /// Event type.
    pub event_type: String,
    /// The signed JSON body.
    pub payload: serde_json::Value,
    /// Outbox state.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempt: i32,
    /// Earliest time of the next attempt.
    pub next_attempt_at: OffsetDateTime,
    /// Lease of the worker that claimed it; an expired lease can be claimed again.
    pub locked_until: Option<OffsetDateTime>,
    /// HTTP status of the last attempt.
    pub status_code: Option<i32>,
    /// Truncated response body of the last attempt.
    pub response_body: Option<String>,
    /// Transport error of the last attempt.
    pub last_error: Option<String>,
    /// How long the last attempt took, in milliseconds.
    pub duration_ms: Option<i32>,
    /// Whether it was delivered.
    pub success: bool,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}
