//! Webhook subscriptions and the delivery outbox.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::{Webhook, WebhookDelivery, WebhookUpdate};
use yauth_store::{DeliveryOutcome, StoreError, StoreResult, WebhookRepository};

use crate::dialect::{Dialect, Kind};
use crate::rows::{Count, Id};
use crate::store::{Store, transaction};

/// Due deliveries: pending and due, or in flight with a lapsed lease.
const DUE: &str = "(status = 'pending' AND next_attempt_at <= ?) \
                   OR (status = 'in_flight' AND (locked_until IS NULL OR locked_until <= ?))";

impl<D: Dialect> Store<D> {
    /// One claim inside an open transaction: lock the due rows (skipping rows another worker
    /// holds), mark them, and return them oldest `next_attempt_at` first.
    async fn claim_in_tx(
        &self,
        conn: &mut D::Conn,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        let ids: Vec<Id> = self
            .q(&format!(
                "SELECT id FROM {{p}}webhook_deliveries WHERE {DUE} \
                 ORDER BY next_attempt_at, id LIMIT ?{}",
                self.for_update(true)
            ))
            .ts(now)
            .ts(now)
            .i64(i64::from(limit))
            .all(conn)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = vec!["?"; ids.len()].join(", ");
        let mut update = self
            .q(&format!(
                "UPDATE {{p}}webhook_deliveries SET status = 'in_flight', locked_until = ?, \
                 attempt = attempt + 1, updated_at = ? WHERE id IN ({list})"
            ))
            .ts(lease_until)
            .ts(now);
        let mut reread = self.q(&format!(
            "SELECT * FROM {{p}}webhook_deliveries WHERE id IN ({list})"
        ));
        for Id(id) in &ids {
            update = update.uuid(*id);
            reread = reread.uuid(*id);
        }
        let mut claimed: Vec<WebhookDelivery> = if self.returning() {
            update.append(" RETURNING *").all(conn).await?
        } else {
            update.exec(conn).await?;
            reread.all(conn).await?
        };
        claimed.sort_by_key(|d| (d.next_attempt_at, d.id));
        Ok(claimed)
    }

    /// The claim on MySQL/MariaDB, which has no `SKIP LOCKED` that suits: a locking read with
    /// `ORDER BY ... LIMIT` locks every row its sorted scan examines, so concurrent workers
    /// deadlock on each other. Instead each candidate is claimed by its own update guarded by
    /// the due condition (the worker whose update matched owns the row), and a worker that lost
    /// candidates to others reads again until its batch is full or nothing is due. Rows taken by
    /// others carry a lease past `now`, so they are never candidates again and the loop ends.
    async fn claim_row_by_row(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        let mut claimed: Vec<WebhookDelivery> = Vec::new();
        while claimed.len() < limit as usize {
            let wanted = i64::from(limit) - claimed.len() as i64;
            let candidates: Vec<Id> = self
                .q(&format!(
                    "SELECT id FROM {{p}}webhook_deliveries WHERE {DUE} \
                     ORDER BY next_attempt_at, id LIMIT ?"
                ))
                .ts(now)
                .ts(now)
                .i64(wanted)
                .all(conn)
                .await?;
            if candidates.is_empty() {
                break;
            }
            for Id(id) in candidates {
                let update = self
                    .q(&format!(
                        "UPDATE {{p}}webhook_deliveries SET status = 'in_flight', \
                         locked_until = ?, attempt = attempt + 1, updated_at = ? \
                         WHERE id = ? AND ({DUE})"
                    ))
                    .ts(lease_until)
                    .ts(now)
                    .uuid(id)
                    .ts(now)
                    .ts(now);
                let reread = self
                    .q("SELECT * FROM {p}webhook_deliveries WHERE id = ?")
                    .uuid(id);
                if let Some(won) = self.update_returning(conn, update, reread).await? {
                    claimed.push(won);
                }
            }
        }
        claimed.sort_by_key(|d| (d.next_attempt_at, d.id));
        Ok(claimed)
    }
}

#[async_trait]
impl<D: Dialect> WebhookRepository for Store<D> {
    async fn create_webhook(&self, w: &Webhook) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}webhooks (id, user_id, url, secret_enc, events, active, \
                 created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(w.id)
            .opt_uuid(w.user_id)
            .text(&w.url)
            .text(&w.secret_enc)
            .json(&w.events)
            .bool(w.active)
            .ts(w.created_at)
            .ts(w.updated_at),
        )
        .await
        .map(drop)
    }

    async fn find_webhook(&self, id: Uuid) -> StoreResult<Option<Webhook>> {
        self.opt(self.q("SELECT * FROM {p}webhooks WHERE id = ?").uuid(id))
            .await
    }

    async fn list_webhooks(&self, owner: Option<Uuid>) -> StoreResult<Vec<Webhook>> {
        self.all(
            self.q(
                "SELECT * FROM {p}webhooks WHERE (? IS NULL OR user_id = ?) \
                 ORDER BY created_at, id",
            )
            .opt_uuid(owner)
            .opt_uuid(owner),
        )
        .await
    }

    async fn count_webhooks(&self, user_id: Uuid) -> StoreResult<u64> {
        let n: Option<Count> = self
            .opt(
                self.q("SELECT COUNT(*) AS n FROM {p}webhooks WHERE user_id = ?")
                    .uuid(user_id),
            )
            .await?;
        Ok(n.map_or(0, |c| c.0 as u64))
    }

    async fn list_active_webhooks(&self) -> StoreResult<Vec<Webhook>> {
        self.all(self.q("SELECT * FROM {p}webhooks WHERE active = TRUE ORDER BY created_at, id"))
            .await
    }

    async fn update_webhook(
        &self,
        id: Uuid,
        u: &WebhookUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<Webhook> {
        let mut conn = self.conn().await?;
        let update = self
            .q("UPDATE {p}webhooks SET \
                 url = CASE WHEN ? THEN ? ELSE url END, \
                 secret_enc = CASE WHEN ? THEN ? ELSE secret_enc END, \
                 events = CASE WHEN ? THEN ? ELSE events END, \
                 active = CASE WHEN ? THEN ? ELSE active END, \
                 updated_at = ? WHERE id = ?")
            .bool(u.url.is_some())
            .opt_text(u.url.as_deref())
            .bool(u.secret_enc.is_some())
            .opt_text(u.secret_enc.as_deref())
            .bool(u.events.is_some())
            .opt_json(u.events.as_ref())
            .bool(u.active.is_some())
            .bool(u.active.unwrap_or(false))
            .ts(now)
            .uuid(id);
        let reread = self.q("SELECT * FROM {p}webhooks WHERE id = ?").uuid(id);
        self.update_returning(&mut conn, update, reread)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn delete_webhook(&self, id: Uuid) -> StoreResult<bool> {
        self.changed(self.q("DELETE FROM {p}webhooks WHERE id = ?").uuid(id))
            .await
    }

    async fn enqueue_delivery(&self, d: &WebhookDelivery) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}webhook_deliveries (id, webhook_id, event_type, payload, status, \
                 attempt, next_attempt_at, locked_until, status_code, response_body, last_error, \
                 duration_ms, success, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(d.id)
            .uuid(d.webhook_id)
            .text(&d.event_type)
            .json(&d.payload)
            .text(d.status.as_str())
            .i32(d.attempt)
            .ts(d.next_attempt_at)
            .opt_ts(d.locked_until)
            .opt_i32(d.status_code)
            .opt_text(d.response_body.as_deref())
            .opt_text(d.last_error.as_deref())
            .opt_i32(d.duration_ms)
            .bool(d.success)
            .ts(d.created_at)
            .ts(d.updated_at),
        )
        .await
        .map(drop)
    }

    async fn claim_due_deliveries(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        if D::KIND == Kind::Mysql {
            return self.claim_row_by_row(now, lease_until, limit).await;
        }
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        transaction!(
            self,
            conn,
            self.claim_in_tx(conn, now, lease_until, limit).await
        )
    }

    async fn complete_delivery(
        &self,
        id: Uuid,
        o: &DeliveryOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.exec_found(
            self.q(
                "UPDATE {p}webhook_deliveries SET success = ?, status_code = ?, \
                     response_body = ?, last_error = ?, duration_ms = ?, locked_until = NULL, \
                     updated_at = ?, \
                     status = ?, next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?",
            )
            .bool(o.success)
            .opt_i32(o.status_code)
            .opt_text(o.response_body.as_deref())
            .opt_text(o.error.as_deref())
            .opt_i32(o.duration_ms)
            .ts(now)
            .text(o.status().as_str())
            .opt_ts(o.next_attempt_at())
            .uuid(id),
        )
        .await
    }

    async fn find_delivery(&self, id: Uuid) -> StoreResult<Option<WebhookDelivery>> {
        self.opt(
            self.q("SELECT * FROM {p}webhook_deliveries WHERE id = ?")
                .uuid(id),
        )
        .await
    }

    async fn count_queued_deliveries(&self, webhook_id: Option<Uuid>) -> StoreResult<u64> {
        const QUEUED: &str = "SELECT COUNT(*) AS n FROM {p}webhook_deliveries \
                              WHERE status IN ('pending', 'in_flight')";
        let query = match webhook_id {
            Some(id) => self.q(&format!("{QUEUED} AND webhook_id = ?")).uuid(id),
            None => self.q(QUEUED),
        };
        let n: Option<Count> = self.opt(query).await?;
        Ok(n.map_or(0, |c| c.0 as u64))
    }

    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        self.all(
            self.q("SELECT * FROM {p}webhook_deliveries WHERE webhook_id = ? \
                 ORDER BY created_at DESC, id DESC LIMIT ?")
                .uuid(webhook_id)
                .i64(i64::from(limit)),
        )
        .await
    }
}
