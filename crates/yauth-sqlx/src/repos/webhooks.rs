//! Webhook subscriptions and the durable delivery outbox.

/// `WebhookRepository` for the dialect.
macro_rules! webhooks {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{IntoEntity as _, count, entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::{DeliveryRow, WebhookRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{Webhook, WebhookDelivery, WebhookUpdate};
            use yauth_store::{DeliveryOutcome, StoreError, StoreResult, WebhookRepository};

            #[async_trait::async_trait]
            impl WebhookRepository for Store<c::Db> {
                async fn create_webhook(&self, w: &Webhook) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(w.id), c::opt_uuid(w.user_id), &w.url, &w.secret_enc, c::json(&w.events), w.active,
                        c::time(w.created_at), c::time(w.updated_at)
                    ],
                    pg: r#"INSERT INTO yauth_webhooks (id, user_id, url, secret_enc, events, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
                    mysql: r#"INSERT INTO yauth_webhooks (id, user_id, url, secret_enc, events, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_webhooks (id, user_id, url, secret_enc, events, active, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_webhook(&self, id: Uuid) -> StoreResult<Option<Webhook>> {
                    let row = sql!($d, query_as(WebhookRow), [c::uuid(id)],
                        pg: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE id = $1"#,
                        mysql: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE id = ?"#,
                        sqlite: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE id = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn list_webhooks(&self, owner: Option<Uuid>) -> StoreResult<Vec<Webhook>> {
                    let owner = c::opt_uuid(owner);
                    let rows = sql!($d, query_as(WebhookRow), [owner.clone()],
                        pg: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE $1::uuid IS NULL OR user_id = $1 ORDER BY created_at, id"#,
                        mysql [owner.clone(), owner]: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE ? IS NULL OR user_id = ? ORDER BY created_at, id"#,
                        sqlite: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE ?1 IS NULL OR user_id = ?1 ORDER BY created_at, id"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn count_webhooks(&self, user_id: Uuid) -> StoreResult<u64> {
                    let n = sql!($d, query_scalar, [c::uuid(user_id)],
                        pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhooks WHERE user_id = $1"#,
                        mysql: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhooks WHERE user_id = ?"#,
                        sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhooks WHERE user_id = ?1"#)
                    .fetch_one(&self.pool).await.map_err(db_err)?;
                    Ok(count(n))
                }

                async fn list_active_webhooks(&self) -> StoreResult<Vec<Webhook>> {
                    let rows = sql!($d, query_as(WebhookRow), [],
                        pg: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE active = TRUE ORDER BY created_at, id -- postgres"#,
                        mysql: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE active = TRUE ORDER BY created_at, id -- mysql"#,
                        sqlite: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE active = TRUE ORDER BY created_at, id -- sqlite"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn update_webhook(
                    &self,
                    id: Uuid,
                    u: &WebhookUpdate,
                    now: OffsetDateTime,
                ) -> StoreResult<Webhook> {
                    let (uid, events, now) = (c::uuid(id), c::opt_json(u.events.as_ref()), c::time(now));
                    let (url, secret) = (u.url.as_deref(), u.secret_enc.as_deref());
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(WebhookRow), [uid, url, secret, events, u.active, now],
                            pg: r#"UPDATE yauth_webhooks SET url = COALESCE($2, url), secret_enc = COALESCE($3, secret_enc), events = COALESCE($4, events), active = COALESCE($5, active), updated_at = $6 WHERE id = $1 RETURNING id, user_id, url, secret_enc, events, active, created_at, updated_at"#,
                            sqlite: r#"UPDATE yauth_webhooks SET url = COALESCE(?2, url), secret_enc = COALESCE(?3, secret_enc), events = COALESCE(?4, events), active = COALESCE(?5, active), updated_at = ?6 WHERE id = ?1 RETURNING id, user_id, url, secret_enc, events, active, created_at, updated_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let (pool, uid, events) = (&self.pool, &uid, &events);
                        $crate::error::retry(|| async move {
                            let mut tx = c::begin_write(pool).await?;
                            let changed = sql!($d, query, [url, secret, events, u.active, now, uid],
                                mysql: r#"UPDATE yauth_webhooks SET url = COALESCE(?, url), secret_enc = COALESCE(?, secret_enc), events = COALESCE(?, events), active = COALESCE(?, active), updated_at = ? WHERE id = ?"#)
                            .execute(&mut *tx).await?.rows_affected();
                            if changed == 0 {
                                return Ok::<_, $crate::error::TxError>(None);
                            }
                            let row = sql!($d, query_as(WebhookRow), [uid],
                                mysql: r#"SELECT id, user_id, url, secret_enc, events, active, created_at, updated_at FROM yauth_webhooks WHERE id = ?"#)
                            .fetch_optional(&mut *tx).await?;
                            tx.commit().await?;
                            Ok(row)
                        }).await?
                    });
                    row.ok_or(StoreError::NotFound)?.into_entity()
                }

                async fn delete_webhook(&self, id: Uuid) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(id)],
                        pg: r#"DELETE FROM yauth_webhooks WHERE id = $1"#,
                        mysql: r#"DELETE FROM yauth_webhooks WHERE id = ?"#,
                        sqlite: r#"DELETE FROM yauth_webhooks WHERE id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn enqueue_delivery(&self, w: &WebhookDelivery) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(w.id), c::uuid(w.webhook_id), &w.event_type, c::json(&w.payload), w.status.as_str(), w.attempt,
                        c::time(w.next_attempt_at), c::opt_time(w.locked_until), w.status_code, w.response_body.as_deref(),
                        w.last_error.as_deref(), w.duration_ms, w.success, c::time(w.created_at), c::time(w.updated_at)
                    ],
                    pg: r#"INSERT INTO yauth_webhook_deliveries (id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"#,
                    mysql: r#"INSERT INTO yauth_webhook_deliveries (id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_webhook_deliveries (id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn claim_due_deliveries(
                    &self,
                    now: OffsetDateTime,
                    lease_until: OffsetDateTime,
                    limit: u32,
                ) -> StoreResult<Vec<WebhookDelivery>> {
                    let (now, lease, limit) = (c::time(now), c::time(lease_until), i64::from(limit));
                    let rows = by_dialect!($d, returning: {
                        // One statement; on PostgreSQL, SKIP LOCKED lets concurrent workers claim
                        // disjoint sets instead of waiting on each other.
                        sql!($d, query_as(DeliveryRow), [now, lease, limit],
                            pg: r#"UPDATE yauth_webhook_deliveries SET status = 'in_flight', locked_until = $2, attempt = attempt + 1, updated_at = $1 WHERE id IN (SELECT id FROM yauth_webhook_deliveries WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'in_flight' AND (locked_until IS NULL OR locked_until <= $1)) ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at"#,
                            sqlite: r#"UPDATE yauth_webhook_deliveries SET status = 'in_flight', locked_until = ?2, attempt = attempt + 1, updated_at = ?1 WHERE id IN (SELECT id FROM yauth_webhook_deliveries WHERE (status = 'pending' AND next_attempt_at <= ?1) OR (status = 'in_flight' AND (locked_until IS NULL OR locked_until <= ?1)) ORDER BY next_attempt_at, id LIMIT ?3) RETURNING id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at"#)
                        .fetch_all(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        // A locking read with ORDER BY ... LIMIT locks every row it sorts, not
                        // only the ones it returns, so concurrent workers would skip rows nobody
                        // claims. Instead each row is claimed by an UPDATE guarded by the due
                        // condition (the one whose UPDATE changed it owns it), and a worker that
                        // lost rows to others looks again until it has `limit` or none is due.
                        let mut rows = Vec::new();
                        for _ in 0..limit.saturating_mul(4).max(4) {
                            let wanted = limit - i64::try_from(rows.len()).unwrap_or(limit);
                            if wanted <= 0 {
                                break;
                            }
                            let ids: Vec<String> = sql!($d, query_scalar, [now, now, wanted],
                                mysql: r#"SELECT id FROM yauth_webhook_deliveries WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'in_flight' AND (locked_until IS NULL OR locked_until <= ?)) ORDER BY next_attempt_at, id LIMIT ?"#)
                            .fetch_all(&self.pool).await.map_err(db_err)?;
                            if ids.is_empty() {
                                break;
                            }
                            for id in &ids {
                                let changed = sql!($d, query, [lease, now, id, now, now],
                                    mysql: r#"UPDATE yauth_webhook_deliveries SET status = 'in_flight', locked_until = ?, attempt = attempt + 1, updated_at = ? WHERE id = ? AND ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'in_flight' AND (locked_until IS NULL OR locked_until <= ?)))"#)
                                .execute(&self.pool).await.map(|done| done.rows_affected());
                                rows.extend($crate::repos::read_if_won(changed, || {
                                    sql!($d, query_as(DeliveryRow), [id],
                                        mysql: r#"SELECT id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at FROM yauth_webhook_deliveries WHERE id = ?"#)
                                    .fetch_optional(&self.pool)
                                }).await?);
                            }
                        }
                        rows
                    });
                    let mut claimed = entities(rows)?;
                    claimed.sort_by_key(|d| (d.next_attempt_at, d.id));
                    Ok(claimed)
                }

                async fn complete_delivery(
                    &self,
                    id: Uuid,
                    outcome: &DeliveryOutcome,
                    now: OffsetDateTime,
                ) -> StoreResult<()> {
                    let (status, retry_at) = (outcome.status(), outcome.next_attempt_at());
                    let done = sql!($d, query, [
                        outcome.success, outcome.status_code, outcome.response_body.as_deref(), outcome.error.as_deref(),
                        c::time(now), status.as_str(), c::opt_time(retry_at), c::uuid(id), outcome.duration_ms
                    ],
                    pg: r#"UPDATE yauth_webhook_deliveries SET success = $1, status_code = $2, response_body = $3, last_error = $4, duration_ms = $9, locked_until = NULL, updated_at = $5, status = $6, next_attempt_at = COALESCE($7, next_attempt_at) WHERE id = $8"#,
                    mysql [
                        outcome.success, outcome.status_code, outcome.response_body.as_deref(), outcome.error.as_deref(),
                        outcome.duration_ms, c::time(now), status.as_str(), c::opt_time(retry_at), c::uuid(id)
                    ]: r#"UPDATE yauth_webhook_deliveries SET success = ?, status_code = ?, response_body = ?, last_error = ?, duration_ms = ?, locked_until = NULL, updated_at = ?, status = ?, next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?"#,
                    sqlite: r#"UPDATE yauth_webhook_deliveries SET success = ?1, status_code = ?2, response_body = ?3, last_error = ?4, duration_ms = ?9, locked_until = NULL, updated_at = ?5, status = ?6, next_attempt_at = COALESCE(?7, next_attempt_at) WHERE id = ?8"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn find_delivery(&self, id: Uuid) -> StoreResult<Option<WebhookDelivery>> {
                    let row = sql!($d, query_as(DeliveryRow), [c::uuid(id)],
                        pg: r#"SELECT id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at FROM yauth_webhook_deliveries WHERE id = $1"#,
                        mysql: r#"SELECT id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at FROM yauth_webhook_deliveries WHERE id = ?"#,
                        sqlite: r#"SELECT id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at FROM yauth_webhook_deliveries WHERE id = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn count_queued_deliveries(&self, webhook_id: Option<Uuid>) -> StoreResult<u64> {
                    let n = match webhook_id {
                        Some(id) => sql!($d, query_scalar, [c::uuid(id)],
                            pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhook_deliveries WHERE status IN ('pending', 'in_flight') AND webhook_id = $1"#,
                            mysql: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhook_deliveries WHERE status IN ('pending', 'in_flight') AND webhook_id = ?"#,
                            sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhook_deliveries WHERE status IN ('pending', 'in_flight') AND webhook_id = ?1"#)
                        .fetch_one(&self.pool).await.map_err(db_err)?,
                        None => sql!($d, query_scalar, [],
                            pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhook_deliveries WHERE status IN ('pending', 'in_flight') -- postgres"#,
                            mysql: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhook_deliveries WHERE status IN ('pending', 'in_flight') -- mysql"#,
                            sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_webhook_deliveries WHERE status IN ('pending', 'in_flight') -- sqlite"#)
                        .fetch_one(&self.pool).await.map_err(db_err)?,
                    };
                    Ok(count(n))
                }

                async fn list_deliveries(
                    &self,
                    webhook_id: Uuid,
                    limit: u32,
                ) -> StoreResult<Vec<WebhookDelivery>> {
                    let rows = sql!($d, query_as(DeliveryRow), [c::uuid(webhook_id), i64::from(limit)],
                        pg: r#"SELECT id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at FROM yauth_webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"#,
                        mysql: r#"SELECT id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at FROM yauth_webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"#,
                        sqlite: r#"SELECT id, webhook_id, event_type, payload, status, attempt, next_attempt_at, locked_until, status_code, response_body, last_error, duration_ms, success, created_at, updated_at FROM yauth_webhook_deliveries WHERE webhook_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }
            }
        };
    };
}
pub(crate) use webhooks;
