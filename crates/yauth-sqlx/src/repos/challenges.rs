//! Short-lived challenges.

/// `ChallengeRepository` for the dialect.
macro_rules! challenges {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::entity;
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::ChallengeRow;
            use time::OffsetDateTime;
            use yauth_entity::Challenge;
            use yauth_store::{ChallengeRepository, StoreResult};

            #[async_trait::async_trait]
            impl ChallengeRepository for Store<c::Db> {
                async fn put_challenge(&self, ch: &Challenge) -> StoreResult<()> {
                    sql!($d, query, [&ch.key, c::json(&ch.value), c::time(ch.expires_at), c::time(ch.created_at)],
                        pg: r#"INSERT INTO yauth_challenges ("key", value, expires_at, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT ("key") DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at"#,
                        mysql: r#"INSERT INTO yauth_challenges (`key`, value, expires_at, created_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value), expires_at = VALUES(expires_at), created_at = VALUES(created_at)"#,
                        sqlite: r#"INSERT INTO yauth_challenges ("key", value, expires_at, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT ("key") DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn get_challenge(
                    &self,
                    key: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<Challenge>> {
                    let row = sql!($d, query_as(ChallengeRow), [key, c::time(now)],
                        pg: r#"SELECT "key", value, expires_at, created_at FROM yauth_challenges WHERE "key" = $1 AND expires_at > $2"#,
                        mysql: r#"SELECT `key`, value, expires_at, created_at FROM yauth_challenges WHERE `key` = ? AND expires_at > ?"#,
                        sqlite: r#"SELECT "key", value, expires_at, created_at FROM yauth_challenges WHERE "key" = ?1 AND expires_at > ?2"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn take_challenge(
                    &self,
                    key: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<Challenge>> {
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(ChallengeRow), [key, c::time(now)],
                            pg: r#"DELETE FROM yauth_challenges WHERE "key" = $1 AND expires_at > $2 RETURNING "key", value, expires_at, created_at"#,
                            sqlite: r#"DELETE FROM yauth_challenges WHERE "key" = ?1 AND expires_at > ?2 RETURNING "key", value, expires_at, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        // Read, then delete guarded by the same condition: the one whose DELETE
                        // removed the row is the one winner.
                        let row = sql!($d, query_as(ChallengeRow), [key, c::time(now)],
                            mysql: r#"SELECT `key`, value, expires_at, created_at FROM yauth_challenges WHERE `key` = ? AND expires_at > ?"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?;
                        $crate::repos::claimed(row, || async {
                            sql!($d, query, [key, c::time(now)],
                                mysql: r#"DELETE FROM yauth_challenges WHERE `key` = ? AND expires_at > ?"#)
                            .execute(&self.pool).await.map(|done| done.rows_affected())
                        }).await?
                    });
                    entity(row)
                }

                async fn delete_challenge(&self, key: &str) -> StoreResult<bool> {
                    let done = sql!($d, query, [key],
                        pg: r#"DELETE FROM yauth_challenges WHERE "key" = $1"#,
                        mysql: r#"DELETE FROM yauth_challenges WHERE `key` = ?"#,
                        sqlite: r#"DELETE FROM yauth_challenges WHERE "key" = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }
            }
        };
    };
}
pub(crate) use challenges;
