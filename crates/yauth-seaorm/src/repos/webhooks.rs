//! Webhook subscriptions and the delivery outbox.

use async_trait::async_trait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Order};
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{DeliveryStatus, Webhook, WebhookDelivery, WebhookUpdate};
use yauth_store::{DeliveryOutcome, StoreError, StoreResult, WebhookRepository};

use super::{newest_first, oldest_first};
use crate::db::Db;
use crate::entities::{webhook_deliveries as wd, webhooks as wh};

fn to_hook(m: wh::Model) -> Webhook {
    Webhook {
        id: m.id.0,
        user_id: m.user_id.map(|u| u.0),
        url: m.url,
        secret_enc: m.secret_enc,
        events: m.events,
        active: m.active,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn to_delivery(m: wd::Model) -> StoreResult<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: m.id.0,
        webhook_id: m.webhook_id.0,
        event_type: m.event_type,
        payload: m.payload,
        status: DeliveryStatus::parse(&m.status)
            .ok_or_else(|| StoreError::Internal(format!("unknown delivery status {}", m.status)))?,
        attempt: m.attempt,
        next_attempt_at: m.next_attempt_at,
        locked_until: m.locked_until,
        status_code: m.status_code,
        response_body: m.response_body,
        last_error: m.last_error,
        duration_ms: m.duration_ms,
        success: m.success,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

impl Db {
    async fn hooks_where(&self, cond: Cond) -> StoreResult<Vec<Webhook>> {
        let mut q = self.select(wh::Entity);
        q.cond_where(cond);
        oldest_first(&mut q, wh::Column::CreatedAt, wh::Column::Id);
        Ok(self
            .all::<wh::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_hook)
            .collect())
    }
}

#[async_trait]
impl WebhookRepository for Db {
    async fn create_webhook(&self, w: &Webhook) -> StoreResult<()> {
        use wh::Column as C;
        self.insert_row(
            &self.conn,
            wh::Entity,
            vec![
                (C::Id, w.id.into()),
                (C::UserId, w.user_id.into()),
                (C::Url, w.url.clone().into()),
                (C::SecretEnc, w.secret_enc.clone().into()),
                (C::Events, w.events.clone().into()),
                (C::Active, w.active.into()),
                (C::CreatedAt, w.created_at.into()),
                (C::UpdatedAt, w.updated_at.into()),
            ],
        )
        .await
    }

    async fn find_webhook(&self, id: Uuid) -> StoreResult<Option<Webhook>> {
        Ok(self
            .hooks_where(Cond::all().add(Expr::col(wh::Column::Id).eq(id)))
            .await?
            .into_iter()
            .next())
    }

    async fn list_webhooks(&self, owner: Option<Uuid>) -> StoreResult<Vec<Webhook>> {
        let mut cond = Cond::all();
        if let Some(owner) = owner {
            cond = cond.add(Expr::col(wh::Column::UserId).eq(owner));
        }
        self.hooks_where(cond).await
    }

    async fn count_webhooks(&self, user_id: Uuid) -> StoreResult<u64> {
        let mut q = self.select(wh::Entity);
        q.and_where(Expr::col(wh::Column::UserId).eq(user_id));
        self.count(q).await
    }

    async fn list_active_webhooks(&self) -> StoreResult<Vec<Webhook>> {
        self.hooks_where(Cond::all().add(Expr::col(wh::Column::Active).eq(true)))
            .await
    }

    async fn update_webhook(
        &self,
        id: Uuid,
        u: &WebhookUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<Webhook> {
        use wh::Column as C;
        let mut q = self.update(wh::Entity);
        q.value(C::UpdatedAt, now);
        if let Some(v) = &u.url {
            q.value(C::Url, v.clone());
        }
        if let Some(v) = &u.secret_enc {
            q.value(C::SecretEnc, v.clone());
        }
        if let Some(v) = &u.events {
            q.value(C::Events, v.clone());
        }
        if let Some(v) = u.active {
            q.value(C::Active, v);
        }
        q.and_where(Expr::col(C::Id).eq(id));
        let key = Cond::all().add(Expr::col(C::Id).eq(id));
        self.update_returning(wh::Entity, q, key)
            .await?
            .map(to_hook)
            .ok_or(StoreError::NotFound)
    }

    async fn delete_webhook(&self, id: Uuid) -> StoreResult<bool> {
        let mut q = self.delete(wh::Entity);
        q.and_where(Expr::col(wh::Column::Id).eq(id));
        Ok(self.exec(&self.conn, &q).await? > 0)
    }

    async fn enqueue_delivery(&self, d: &WebhookDelivery) -> StoreResult<()> {
        use wd::Column as C;
        self.insert_row(
            &self.conn,
            wd::Entity,
            vec![
                (C::Id, d.id.into()),
                (C::WebhookId, d.webhook_id.into()),
                (C::EventType, d.event_type.clone().into()),
                (C::Payload, d.payload.clone().into()),
                (C::Status, d.status.as_str().into()),
                (C::Attempt, d.attempt.into()),
                (C::NextAttemptAt, d.next_attempt_at.into()),
                (C::LockedUntil, d.locked_until.into()),
                (C::StatusCode, d.status_code.into()),
                (C::ResponseBody, d.response_body.clone().into()),
                (C::LastError, d.last_error.clone().into()),
                (C::DurationMs, d.duration_ms.into()),
                (C::Success, d.success.into()),
                (C::CreatedAt, d.created_at.into()),
                (C::UpdatedAt, d.updated_at.into()),
            ],
        )
        .await
    }

    async fn claim_due_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        use wd::Column as C;
        let due = || {
            Cond::any()
                .add(
                    Cond::all()
                        .add(Expr::col(C::Status).eq(DeliveryStatus::Pending.as_str()))
                        .add(Expr::col(C::NextAttemptAt).lte(now)),
                )
                .add(
                    Cond::all()
                        .add(Expr::col(C::Status).eq(DeliveryStatus::InFlight.as_str()))
                        .add(
                            Cond::any()
                                .add(Expr::col(C::LockedUntil).is_null())
                                .add(Expr::col(C::LockedUntil).lte(now)),
                        ),
                )
        };
        // No locking read (MySQL locks every row a sorted scan examines, which starves or
        // deadlocks concurrent workers): read due candidates, then claim each with one update
        // guarded by the same condition; the winner of a row is the one whose update matched.
        // Candidates taken by others are simply not due any more, so re-read until the batch
        // is full or nothing is due.
        let mut claimed = Vec::new();
        while claimed.len() < limit as usize {
            let mut sel = self.select(wd::Entity);
            sel.cond_where(due())
                .order_by(C::NextAttemptAt, Order::Asc)
                .order_by(C::Id, Order::Asc)
                .limit(u64::from(limit) - claimed.len() as u64);
            let candidates = self.all::<wd::Model, _, _>(&self.conn, &sel).await?;
            if candidates.is_empty() {
                break;
            }
            for row in candidates {
                let mut q = self.update(wd::Entity);
                q.value(C::Status, DeliveryStatus::InFlight.as_str())
                    .value(C::LockedUntil, lease_until)
                    .value(C::Attempt, Expr::col(C::Attempt).add(1i32))
                    .value(C::UpdatedAt, now)
                    .and_where(Expr::col(C::Id).eq(row.id.0))
                    .cond_where(due());
                let key = Cond::all().add(Expr::col(C::Id).eq(row.id.0));
                if let Some(won) = self.update_returning(wd::Entity, q, key).await? {
                    claimed.push(to_delivery(won)?);
                }
            }
        }
        claimed.sort_by_key(|d| (d.next_attempt_at, d.id));
        Ok(claimed)
    }

    async fn complete_delivery(
        &self,
        id: Uuid,
        o: &DeliveryOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        use wd::Column as C;
        let mut q = self.update(wd::Entity);
        q.value(C::Success, o.success)
            .value(C::StatusCode, o.status_code)
            .value(C::ResponseBody, o.response_body.clone())
            .value(C::LastError, o.error.clone())
            .value(C::DurationMs, o.duration_ms)
            .value(C::LockedUntil, Option::<OffsetDateTime>::None)
            .value(C::UpdatedAt, now)
            .value(C::Status, o.status().as_str());
        if let Some(at) = o.next_attempt_at() {
            q.value(C::NextAttemptAt, at);
        }
        q.and_where(Expr::col(C::Id).eq(id));
        match self.exec(&self.conn, &q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn find_delivery(&self, id: Uuid) -> StoreResult<Option<WebhookDelivery>> {
        let mut q = self.select(wd::Entity);
        q.and_where(Expr::col(wd::Column::Id).eq(id));
        self.all::<wd::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .next()
            .map(to_delivery)
            .transpose()
    }

    async fn count_queued_deliveries(&self, webhook_id: Option<Uuid>) -> StoreResult<u64> {
        let mut q = self.select(wd::Entity);
        q.and_where(Expr::col(wd::Column::Status).is_in([
            DeliveryStatus::Pending.as_str(),
            DeliveryStatus::InFlight.as_str(),
        ]));
        if let Some(id) = webhook_id {
            q.and_where(Expr::col(wd::Column::WebhookId).eq(id));
        }
        self.count(q).await
    }

    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        let mut q = self.select(wd::Entity);
        q.and_where(Expr::col(wd::Column::WebhookId).eq(webhook_id));
        newest_first(&mut q, wd::Column::CreatedAt, wd::Column::Id);
        q.limit(u64::from(limit));
        self.all::<wd::Model, _, _>(&self.conn, &q)
            .await?
            .into_iter()
            .map(to_delivery)
            .collect()
    }
}
