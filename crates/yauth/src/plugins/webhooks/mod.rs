//! The webhooks plugin: signed HTTP callbacks on auth events, delivered from a durable outbox.
//!
//! - Administrators manage webhooks under `/webhooks`: a target URL and the event types it
//!   subscribes to. Its signing secret is shown once, at creation or rotation, and stored
//!   sealed by the key ring.
//! - Every event a webhook subscribes to becomes a row of the delivery outbox in the same
//!   database, before the request that caused it answers. The delivery worker sends due rows;
//!   a restart or a crash loses nothing, because a row stays until its outcome is recorded.
//! - Workers claim rows with a lease, atomically, so replicas sharing a database never send one
//!   delivery at the same time; a worker that dies mid-attempt leaves its rows to be claimed
//!   again when their lease ends.
//! - Failures are retried with exponential backoff and jitter up to `max_retries`, then the
//!   delivery is dead-lettered (`failed`). The history is on `GET /webhooks/{id}`, and
//!   `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver` sends one again.
//! - Requests are signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature`), and go only to destinations the SSRF guard allows, connecting to the
//!   addresses it checked: no redirects, bounded time. `docs/webhooks.md` has the details.

mod config;
mod delivery;
mod destination;
mod routes;
mod signing;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use tokio::sync::Notify;
use utoipa_axum::router::OpenApiRouter;
use yauth_entity::{DeliveryStatus, Webhook, WebhookDelivery, new_id, truncate_to_micros};
use yauth_store::WebhookRepository;

use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::events::{AuthEvent, EventContext, EventResponse};
use crate::plugin::{BackgroundTask, PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::WebhookConfig;
pub use destination::{HostResolver, SystemResolver};
pub use routes::{
    CreateWebhookRequest, CreatedWebhook, DeliveryInfo, UpdateWebhookRequest, UpdatedWebhook,
    WebhookDetails, WebhookInfo,
};

/// The event type of the deliveries `POST /webhooks/{id}/test` sends.
pub const TEST_EVENT: &str = "webhook_test";

pub(crate) struct Inner {
    pub config: WebhookConfig,
    /// Resolved from the backend when the plugin was added.
    pub repo: Arc<dyn WebhookRepository>,
    pub policy: destination::DestinationPolicy,
    pub client: reqwest::Client,
    /// Wakes this process's worker when a delivery is recorded.
    pub wake: Notify,
}

/// State of the plugin's handlers.
pub(crate) type WebhookState = PluginState<Inner>;

/// The plugin itself; added with [`YAuthBuilder::with_webhooks`].
pub struct WebhooksPlugin {
    inner: Arc<Inner>,
}

impl YAuthBuilder {
    /// Enables webhooks. Needs a key ring (the signing secrets are sealed).
    pub fn with_webhooks(self, config: WebhookConfig) -> Self {
        let invalid = |message: String| BuildError::InvalidPluginConfig {
            plugin: "webhooks",
            message,
        };
        if let Err(message) = config.validate() {
            return self.add_error(invalid(message));
        }
        let Some(repo) = self.repositories().webhooks.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "webhooks",
                tables: PluginId::Webhooks.tables(),
            });
        };
        let policy = destination::DestinationPolicy {
            allow_http: config.allow_http,
            allowed_networks: config.allowed_networks.clone(),
        };
        let client = match delivery::client(&config, &policy) {
            Ok(client) => client,
            Err(error) => return self.add_error(invalid(format!("HTTP client: {error}"))),
        };
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(WebhooksPlugin {
                inner: Arc::new(Inner {
                    config,
                    repo,
                    policy,
                    client,
                    wake: Notify::new(),
                }),
            }),
            id: Some(PluginId::Webhooks),
            sends_email: false,
        })
    }
}

impl Inner {
    /// Records a delivery of `payload` to `webhook` in the outbox, due now, and wakes the
    /// worker.
    pub(crate) async fn enqueue(
        &self,
        webhook: &Webhook,
        event_type: &str,
        payload: serde_json::Value,
        state: &YAuthState,
    ) -> yauth_store::StoreResult<WebhookDelivery> {
        let now = truncate_to_micros(state.now());
        let delivery = WebhookDelivery {
            id: new_id(),
            webhook_id: webhook.id,
            event_type: event_type.to_owned(),
            payload,
            status: DeliveryStatus::Pending,
            attempt: 0,
            next_attempt_at: now,
            locked_until: None,
            status_code: None,
            response_body: None,
            last_error: None,
            duration_ms: None,
            success: false,
            created_at: now,
            updated_at: now,
        };
        self.repo.enqueue_delivery(&delivery).await?;
        self.wake.notify_one();
        Ok(delivery)
    }
}

/// Whether `webhook` subscribes to `event_type`.
fn subscribes(webhook: &Webhook, event_type: &str) -> bool {
    webhook
        .events
        .as_array()
        .is_some_and(|events| events.iter().any(|e| e.as_str() == Some(event_type)))
}

/// The JSON body of a delivery: `type`, `timestamp` (RFC 3339) and the event's `data`.
fn payload(
    event_type: &str,
    at: time::OffsetDateTime,
    data: serde_json::Value,
) -> serde_json::Value {
    json!({
        "type": event_type,
        "timestamp": at.format(&time::format_description::well_known::Rfc3339).ok(),
        "data": data,
    })
}

#[async_trait]
impl YAuthPlugin for WebhooksPlugin {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::protected(PluginState::new(state.clone(), self.inner.clone()))
    }

    fn background_tasks(&self, state: &YAuthState) -> Vec<BackgroundTask> {
        if !self.inner.config.run_worker {
            return Vec::new();
        }
        vec![Box::pin(delivery::run(self.inner.clone(), state.clone()))]
    }

    async fn on_event(
        &self,
        event: &AuthEvent,
        _: &EventContext,
        state: &YAuthState,
    ) -> EventResponse {
        let event_type = event.event_type();
        let webhooks = match self.inner.repo.list_active_webhooks().await {
            Ok(webhooks) => webhooks,
            Err(error) => {
                tracing::error!(%error, event = event_type, "listing webhooks failed: event not delivered");
                return EventResponse::Continue;
            }
        };
        let body = payload(event_type, state.now(), event.details());
        for webhook in webhooks.iter().filter(|w| subscribes(w, event_type)) {
            if let Err(error) = self
                .inner
                .enqueue(webhook, event_type, body.clone(), state)
                .await
            {
                tracing::error!(%error, webhook_id = %webhook.id, event = event_type, "recording a webhook delivery failed");
            }
        }
        EventResponse::Continue
    }
}
