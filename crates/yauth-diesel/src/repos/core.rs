//! Audit log, challenges, rate limits and the expiry purge.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use yauth_entity::{AuditLogEntry, Challenge};
use yauth_store::{
    AuditLogRepository, AuditQuery, ChallengeRepository, MaintenanceRepository, Page, PurgeReport,
    RateDecision, RateLimitRepository, StoreError, StoreResult,
};

use crate::dialect::{Cols, Dialect, FromRow, SqlTypes};
use crate::rows::Count;
use crate::store::Store;

#[async_trait]
impl<D: Dialect> AuditLogRepository for Store<D> {
    async fn append_audit(&self, e: &AuditLogEntry) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}audit_log (id, user_id, event_type, metadata, ip_address, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .uuid(e.id)
            .opt_uuid(e.user_id)
            .text(&e.event_type)
            .opt_json(e.metadata.as_ref())
            .opt_text(e.ip_address.as_deref())
            .ts(e.created_at),
        )
        .await
        .map(drop)
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>> {
        let filter = "(? IS NULL OR user_id = ?) AND (? IS NULL OR event_type = ?) \
                      AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)";
        let bind = |sql: &str| {
            self.q(sql)
                .opt_uuid(query.user_id)
                .opt_uuid(query.user_id)
                .opt_text(query.event_type.as_deref())
                .opt_text(query.event_type.as_deref())
                .opt_ts(query.since)
                .opt_ts(query.since)
                .opt_ts(query.until)
                .opt_ts(query.until)
        };
        let mut conn = self.conn().await?;
        let total: Option<Count> = bind(&format!(
            "SELECT COUNT(*) AS n FROM {{p}}audit_log WHERE {filter}"
        ))
        .opt(&mut conn)
        .await?;
        let items = bind(&format!(
            "SELECT * FROM {{p}}audit_log WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .count(query.page.limit)
        .count(query.page.offset)
        .all(&mut conn)
        .await?;
        Ok(Page {
            items,
            total: total.map_or(0, |c| c.0 as u64),
        })
    }
}

#[async_trait]
impl<D: Dialect> ChallengeRepository for Store<D> {
    async fn put_challenge(&self, c: &Challenge) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO {{p}}challenges (\"key\", value, expires_at, created_at) \
             VALUES (?, ?, ?, ?) {} value = {}, expires_at = {}, created_at = {}",
            self.on_conflict("\"key\""),
            self.excluded("value"),
            self.excluded("expires_at"),
            self.excluded("created_at"),
        );
        self.exec(
            self.q(&sql)
                .text(&c.key)
                .json(&c.value)
                .ts(c.expires_at)
                .ts(c.created_at),
        )
        .await
        .map(drop)
    }

    async fn get_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        self.opt(
            self.q("SELECT * FROM {p}challenges WHERE \"key\" = ? AND expires_at > ?")
                .text(key)
                .ts(now),
        )
        .await
    }

    async fn take_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        let select = self
            .q("SELECT * FROM {p}challenges WHERE \"key\" = ? AND expires_at > ?")
            .text(key)
            .ts(now);
        let delete = self
            .q("DELETE FROM {p}challenges WHERE \"key\" = ? AND expires_at > ?")
            .text(key)
            .ts(now);
        self.delete_returning(select, delete).await
    }

    async fn delete_challenge(&self, key: &str) -> StoreResult<bool> {
        self.changed(
            self.q("DELETE FROM {p}challenges WHERE \"key\" = ?")
                .text(key),
        )
        .await
    }
}

/// The counter row after a hit.
struct Window {
    count: i32,
    expires_at: OffsetDateTime,
}

impl<S: SqlTypes> FromRow<S> for Window {
    fn from_row<'a, R: diesel::row::NamedRow<'a, S::Db>>(
        c: &Cols<'_, 'a, S, R>,
    ) -> diesel::deserialize::Result<Self> {
        Ok(Self {
            count: c.i32("count")?,
            expires_at: c.ts("expires_at")?,
        })
    }
}

#[async_trait]
impl<D: Dialect> RateLimitRepository for Store<D> {
    async fn hit_rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<RateDecision> {
        let end = now + window;
        // One atomic upsert: a lapsed window restarts at 1, a live one counts up. The
        // assignments are ordered so MySQL (which evaluates them left to right, seeing earlier
        // assignments) tests the old `expires_at` in each.
        let sql = format!(
            "INSERT INTO {{p}}rate_limits (\"key\", \"count\", window_start, expires_at) \
             VALUES (?, 1, ?, ?) {} \
             \"count\" = CASE WHEN {{t}}rate_limits.expires_at <= ? THEN 1 \
                          ELSE {{t}}rate_limits.\"count\" + 1 END, \
             window_start = CASE WHEN {{t}}rate_limits.expires_at <= ? THEN ? \
                          ELSE {{t}}rate_limits.window_start END, \
             expires_at = CASE WHEN {{t}}rate_limits.expires_at <= ? THEN ? \
                          ELSE {{t}}rate_limits.expires_at END",
            self.on_conflict("\"key\""),
        );
        let upsert = || {
            self.q(&sql)
                .text(key)
                .ts(now)
                .ts(end)
                .ts(now)
                .ts(now)
                .ts(now)
                .ts(now)
                .ts(end)
        };
        // Where there is no RETURNING, the upsert's row lock (held until commit) makes the
        // read in the same transaction see exactly this hit's count.
        let reread = || {
            self.q("SELECT * FROM {p}rate_limits WHERE \"key\" = ?")
                .text(key)
        };
        let row: Option<Window> = self.upsert_returning(upsert, reread).await?;
        let row = row.ok_or_else(|| StoreError::Internal("rate-limit row vanished".into()))?;
        let count = u32::try_from(row.count).unwrap_or(0);
        Ok(RateDecision {
            allowed: count <= limit,
            count,
            limit,
            reset_at: row.expires_at,
        })
    }

    async fn reset_rate_limit(&self, key: &str) -> StoreResult<()> {
        self.exec(
            self.q("DELETE FROM {p}rate_limits WHERE \"key\" = ?")
                .text(key),
        )
        .await
        .map(drop)
    }
}

#[async_trait]
impl<D: Dialect> MaintenanceRepository for Store<D> {
    async fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport> {
        const PURGES: &[(&str, &str)] = &[
            ("sessions", "expires_at <= ? OR absolute_expires_at <= ?"),
            ("email_verifications", "expires_at <= ?"),
            ("password_resets", "expires_at <= ?"),
            ("magic_links", "expires_at <= ?"),
            ("oauth_states", "expires_at <= ?"),
            ("refresh_tokens", "expires_at <= ?"),
            (
                "oidc_nonces",
                "authorization_code_id IN (SELECT id FROM {p}authorization_codes WHERE expires_at <= ?)",
            ),
            ("authorization_codes", "expires_at <= ?"),
            ("device_codes", "expires_at <= ?"),
            ("unlock_tokens", "expires_at <= ?"),
            ("challenges", "expires_at <= ?"),
            ("rate_limits", "expires_at <= ?"),
            ("revocations", "expires_at <= ?"),
            ("signing_keys", "expires_at IS NOT NULL AND expires_at <= ?"),
        ];
        let mut report = PurgeReport::default();
        let mut conn = self.conn().await?;
        for (table, condition) in PURGES {
            let mut q = self.q(&format!("DELETE FROM {{p}}{table} WHERE {condition}"));
            for _ in 0..condition.matches('?').count() {
                q = q.ts(now);
            }
            let n = q.exec(&mut conn).await?;
            report.add(table, n);
        }
        Ok(report)
    }
}
