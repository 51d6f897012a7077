//! Webhook subscriptions and the delivery outbox.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use super::MemoryStore;
use super::state::{newest_first, oldest_first};
use crate::repos::*;
use crate::{StoreError, StoreResult};

#[async_trait]
impl WebhookRepository for MemoryStore {
    async fn create_webhook(&self, webhook: &Webhook) -> StoreResult<()> {
        let mut st = self.state.write();
        if let Some(owner) = webhook.user_id {
            st.require_user(owner)?;
        }
        st.webhooks.insert(webhook.id, webhook.clone());
        Ok(())
    }

    async fn find_webhook(&self, id: Uuid) -> StoreResult<Option<Webhook>> {
        Ok(self.state.read().webhooks.get(&id).cloned())
    }

    async fn list_webhooks(&self, owner: Option<Uuid>) -> StoreResult<Vec<Webhook>> {
        let st = self.state.read();
        let mut hooks: Vec<Webhook> = st
            .webhooks
            .values()
            .filter(|w| owner.is_none() || w.user_id == owner)
            .cloned()
            .collect();
        oldest_first(&mut hooks, |w| (w.created_at, w.id));
        Ok(hooks)
    }

    async fn count_webhooks(&self, user_id: Uuid) -> StoreResult<u64> {
        let st = self.state.read();
        Ok(st
            .webhooks
            .values()
            .filter(|w| w.user_id == Some(user_id))
            .count() as u64)
    }

    async fn list_active_webhooks(&self) -> StoreResult<Vec<Webhook>> {
        let st = self.state.read();
        let mut hooks: Vec<Webhook> = st.webhooks.values().filter(|w| w.active).cloned().collect();
        oldest_first(&mut hooks, |w| (w.created_at, w.id));
        Ok(hooks)
    }

    async fn update_webhook(
        &self,
        id: Uuid,
        update: &WebhookUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<Webhook> {
        let mut st = self.state.write();
        let hook = st.webhooks.get_mut(&id).ok_or(StoreError::NotFound)?;
        if let Some(url) = &update.url {
            hook.url = url.clone();
        }
        if let Some(secret) = &update.secret_enc {
            hook.secret_enc = secret.clone();
        }
        if let Some(events) = &update.events {
            hook.events = events.clone();
        }
        if let Some(active) = update.active {
            hook.active = active;
        }
        hook.updated_at = now;
        Ok(hook.clone())
    }

    async fn delete_webhook(&self, id: Uuid) -> StoreResult<bool> {
        let mut st = self.state.write();
        let existed = st.webhooks.contains_key(&id);
        st.delete_webhooks_cascade(&[id]);
        Ok(existed)
    }

    async fn enqueue_delivery(&self, delivery: &WebhookDelivery) -> StoreResult<()> {
        let mut st = self.state.write();
        if !st.webhooks.contains_key(&delivery.webhook_id) {
            return Err(StoreError::NotFound);
        }
        st.deliveries.insert(delivery.id, delivery.clone());
        Ok(())
    }

    async fn claim_due_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        let mut st = self.state.write();
        let mut due: Vec<(OffsetDateTime, Uuid)> = st
            .deliveries
            .values()
            .filter(|d| is_due(d, now))
            .map(|d| (d.next_attempt_at, d.id))
            .collect();
        oldest_first(&mut due, |k| *k);
        let mut claimed = Vec::new();
        for (_, id) in due.into_iter().take(limit as usize) {
            if let Some(d) = st.deliveries.get_mut(&id) {
                d.status = DeliveryStatus::InFlight;
                d.locked_until = Some(lease_until);
                d.attempt = d.attempt.saturating_add(1);
                d.updated_at = now;
                claimed.push(d.clone());
            }
        }
        Ok(claimed)
    }

    async fn complete_delivery(
        &self,
        id: Uuid,
        outcome: &DeliveryOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut st = self.state.write();
        let d = st.deliveries.get_mut(&id).ok_or(StoreError::NotFound)?;
        d.success = outcome.success;
        d.status_code = outcome.status_code;
        d.response_body = outcome.response_body.clone();
        d.last_error = outcome.error.clone();
        d.duration_ms = outcome.duration_ms;
        d.locked_until = None;
        d.updated_at = now;
        d.status = outcome.status();
        if let Some(at) = outcome.next_attempt_at() {
            d.next_attempt_at = at;
        }
        Ok(())
    }

    async fn find_delivery(&self, id: Uuid) -> StoreResult<Option<WebhookDelivery>> {
        Ok(self.state.read().deliveries.get(&id).cloned())
    }

    async fn count_queued_deliveries(&self, webhook_id: Option<Uuid>) -> StoreResult<u64> {
        let st = self.state.read();
        Ok(st
            .deliveries
            .values()
            .filter(|d| webhook_id.is_none_or(|id| d.webhook_id == id))
            .filter(|d| matches!(d.status, DeliveryStatus::Pending | DeliveryStatus::InFlight))
            .count() as u64)
    }

    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        let st = self.state.read();
        let mut deliveries: Vec<WebhookDelivery> = st
            .deliveries
            .values()
            .filter(|d| d.webhook_id == webhook_id)
            .cloned()
            .collect();
        newest_first(&mut deliveries, |d| (d.created_at, d.id));
        deliveries.truncate(limit as usize);
        Ok(deliveries)
    }
}

/// Due: pending and its time has come, or in flight with a lapsed lease.
fn is_due(d: &WebhookDelivery, now: OffsetDateTime) -> bool {
    match d.status {
        DeliveryStatus::Pending => d.next_attempt_at <= now,
        DeliveryStatus::InFlight => d.locked_until.is_none_or(|until| until <= now),
        DeliveryStatus::Succeeded | DeliveryStatus::Failed => false,
    }
}
