//! The webhooks plugin's storage: subscriptions, the delivery outbox, and how an attempt's outcome is recorded.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{DeliveryStatus, Webhook, WebhookDelivery, WebhookUpdate};

use crate::StoreResult;

/// The result of one delivery attempt, for [`WebhookRepository::complete_delivery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    /// Whether the receiver accepted it (2xx).
    pub success: bool,
    /// HTTP status, when a response came.
    pub status_code: Option<i32>,
    /// Truncated response body.
    pub response_body: Option<String>,
    /// Transport error, when no response came.
    pub error: Option<String>,
    /// How long the attempt took, in milliseconds.
    pub duration_ms: Option<i32>,
    /// For a failure: when to try again; `None` gives up (status `failed`).
    pub retry_at: Option<OffsetDateTime>,
}

impl DeliveryOutcome {
    /// The status the delivery takes: `succeeded`, `pending` again when a retry is scheduled,
    /// otherwise `failed`.
    pub fn status(&self) -> DeliveryStatus {
        match (self.success, self.retry_at) {
            (true, _) => DeliveryStatus::Succeeded,
            (false, Some(_)) => DeliveryStatus::Pending,
            (false, None) => DeliveryStatus::Failed,
        }
    }

    /// The new `next_attempt_at`: the retry time of a failure that will be retried; `None`
    /// leaves the stored value as it is (a success ignores a `retry_at` it was given).
    pub fn next_attempt_at(&self) -> Option<OffsetDateTime> {
        if self.success { None } else { self.retry_at }
    }
}

/// Webhook subscriptions and the delivery outbox.
#[async_trait]
pub trait WebhookRepository: Send + Sync {
    /// Stores a webhook. Errors: `NotFound` (owner).
    async fn create_webhook(&self, webhook: &Webhook) -> StoreResult<()>;

    /// The webhook with this id.
    async fn find_webhook(&self, id: Uuid) -> StoreResult<Option<Webhook>>;

    /// Webhooks of `owner` (`None`: all webhooks), oldest first.
    async fn list_webhooks(&self, owner: Option<Uuid>) -> StoreResult<Vec<Webhook>>;

    /// How many webhooks `user_id` owns (for `max_webhooks`).
    async fn count_webhooks(&self, user_id: Uuid) -> StoreResult<u64>;

    /// Every active webhook (the caller filters by event).
    async fn list_active_webhooks(&self) -> StoreResult<Vec<Webhook>>;

    /// Applies `update`, sets `updated_at = now`, returns the new row. Errors: `NotFound`.
    async fn update_webhook(
        &self,
        id: Uuid,
        update: &WebhookUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<Webhook>;

    /// Deletes a webhook and its deliveries. Returns whether it existed.
    async fn delete_webhook(&self, id: Uuid) -> StoreResult<bool>;

    /// Adds a delivery to the outbox. Errors: `NotFound` (webhook).
    async fn enqueue_delivery(&self, delivery: &WebhookDelivery) -> StoreResult<()>;

    /// Atomically claims up to `limit` deliveries that are due (`pending` with
    /// `next_attempt_at <= now`, or `in_flight` whose lease ended): each becomes `in_flight` with
    /// `locked_until = lease_until` and `attempt + 1`. A delivery is claimed by one worker only.
    /// Oldest `next_attempt_at` first.
    async fn claim_due_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>>;

    /// Records an attempt's outcome: `succeeded`, `pending` again at `retry_at`, or `failed`;
    /// clears the lease. Errors: `NotFound`.
    async fn complete_delivery(
        &self,
        id: Uuid,
        outcome: &DeliveryOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    /// The delivery with this id.
    async fn find_delivery(&self, id: Uuid) -> StoreResult<Option<WebhookDelivery>>;

    /// How many deliveries are still to be made (`pending` or `in_flight`), of `webhook_id` or,
    /// with `None`, of every webhook: the outbox's depth.
    async fn count_queued_deliveries(&self, webhook_id: Option<Uuid>) -> StoreResult<u64>;

    /// The newest `limit` deliveries of a webhook, newest first.
    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>>;
}
