//! Fixed-window rate limits: one atomic upsert per hit.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use yauth_store::{RateDecision, RateLimitRepository, StoreError, StoreResult};

use crate::dialect::{Cols, Dialect, FromRow, SqlTypes};
use crate::store::Store;

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
        Ok(RateDecision::counted(
            i64::from(row.count),
            limit,
            row.expires_at,
        ))
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
