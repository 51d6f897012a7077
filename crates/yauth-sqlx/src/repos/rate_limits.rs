//! Fixed-window rate limits: one atomic upsert per hit.

/// `RateLimitRepository` for the dialect.
macro_rules! rate_limits {
    ($d:ident) => {
        const _: () = {
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::RateRow;
            use time::{Duration, OffsetDateTime};
            use yauth_store::{RateDecision, RateLimitRepository, StoreResult};

            #[async_trait::async_trait]
            impl RateLimitRepository for Store<c::Db> {
                async fn hit_rate_limit(
                    &self,
                    key: &str,
                    limit: u32,
                    window: Duration,
                    now: OffsetDateTime,
                ) -> StoreResult<RateDecision> {
                    // A window that ended by `now` restarts at count 1; otherwise the count grows.
                    let (start, end) = (c::time(now), c::time(now + window));
                    let row: RateRow = by_dialect!($d, returning: {
                        sql!($d, query_as(RateRow), [key, start, end],
                            pg: r#"INSERT INTO yauth_rate_limits ("key", count, window_start, expires_at) VALUES ($1, 1, $2, $3) ON CONFLICT ("key") DO UPDATE SET count = CASE WHEN yauth_rate_limits.expires_at <= EXCLUDED.window_start THEN 1 ELSE yauth_rate_limits.count + 1 END, window_start = CASE WHEN yauth_rate_limits.expires_at <= EXCLUDED.window_start THEN EXCLUDED.window_start ELSE yauth_rate_limits.window_start END, expires_at = CASE WHEN yauth_rate_limits.expires_at <= EXCLUDED.window_start THEN EXCLUDED.expires_at ELSE yauth_rate_limits.expires_at END RETURNING count, expires_at"#,
                            sqlite: r#"INSERT INTO yauth_rate_limits ("key", count, window_start, expires_at) VALUES (?1, 1, ?2, ?3) ON CONFLICT ("key") DO UPDATE SET count = CASE WHEN yauth_rate_limits.expires_at <= excluded.window_start THEN 1 ELSE yauth_rate_limits.count + 1 END, window_start = CASE WHEN yauth_rate_limits.expires_at <= excluded.window_start THEN excluded.window_start ELSE yauth_rate_limits.window_start END, expires_at = CASE WHEN yauth_rate_limits.expires_at <= excluded.window_start THEN excluded.expires_at ELSE yauth_rate_limits.expires_at END RETURNING count, expires_at"#)
                        .fetch_one(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        // The upsert locks the row until commit, so the read sees this hit's count.
                        // MySQL applies the assignments left to right: `expires_at`, which the
                        // conditions read, is assigned last.
                        let pool = &self.pool;
                        let (start, end) = (&start, &end);
                        $crate::error::retry(|| async move {
                            let mut tx = c::begin_write(pool).await?;
                            sql!($d, query, [key, *start, *end],
                                mysql: r#"INSERT INTO yauth_rate_limits (`key`, count, window_start, expires_at) VALUES (?, 1, ?, ?) ON DUPLICATE KEY UPDATE count = IF(expires_at <= VALUES(window_start), 1, count + 1), window_start = IF(expires_at <= VALUES(window_start), VALUES(window_start), window_start), expires_at = IF(expires_at <= VALUES(window_start), VALUES(expires_at), expires_at)"#)
                            .execute(&mut *tx).await?;
                            let row = sql!($d, query_as(RateRow), [key],
                                mysql: r#"SELECT count, expires_at FROM yauth_rate_limits WHERE `key` = ?"#)
                            .fetch_one(&mut *tx).await?;
                            tx.commit().await?;
                            Ok::<_, $crate::error::TxError>(row)
                        }).await?
                    });
                    Ok(RateDecision::counted(row.count.get("count")?, limit, row.expires_at.get("expires_at")?))
                }

                async fn reset_rate_limit(&self, key: &str) -> StoreResult<()> {
                    sql!($d, query, [key],
                        pg: r#"DELETE FROM yauth_rate_limits WHERE "key" = $1"#,
                        mysql: r#"DELETE FROM yauth_rate_limits WHERE `key` = ?"#,
                        sqlite: r#"DELETE FROM yauth_rate_limits WHERE "key" = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use rate_limits;
