//! Failed-login counters, account locks and unlock tokens.

/// `AccountLockoutRepository` for the dialect.
macro_rules! lockout {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{IntoEntity as _, entity};
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::{AccountLockRow, UnlockTokenRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{AccountLock, UnlockToken, new_id};
            use yauth_store::{AccountLockoutRepository, StoreResult};

            /// The user's lock row, read through `executor` (on MySQL: inside the transaction
            /// whose upsert locked it, so it is exactly the row that upsert produced).
            async fn lock_row<'e, E>(executor: E, user_id: Uuid) -> Result<Option<AccountLockRow>, sqlx::Error>
            where
                E: sqlx::Executor<'e, Database = c::Db>,
            {
                sql!($d, query_as(AccountLockRow), [c::uuid(user_id)],
                    pg: r#"SELECT id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at FROM yauth_account_locks WHERE user_id = $1"#,
                    mysql: r#"SELECT id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at FROM yauth_account_locks WHERE user_id = ?"#,
                    sqlite: r#"SELECT id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at FROM yauth_account_locks WHERE user_id = ?1"#)
                .fetch_optional(executor).await
            }

            #[async_trait::async_trait]
            impl AccountLockoutRepository for Store<c::Db> {
                async fn find_account_lock(&self, user_id: Uuid) -> StoreResult<Option<AccountLock>> {
                    entity(lock_row(&self.pool, user_id).await.map_err(db_err)?)
                }

                async fn record_failed_login(
                    &self,
                    user_id: Uuid,
                    now: OffsetDateTime,
                ) -> StoreResult<AccountLock> {
                    // One upsert: the row is created at 1 or incremented where it is.
                    let (id, user, now) = (c::uuid(new_id()), c::uuid(user_id), c::time(now));
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(AccountLockRow), [id, user, now],
                            pg: r#"INSERT INTO yauth_account_locks (id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at) VALUES ($1, $2, 1, NULL, 0, NULL, $3, $3) ON CONFLICT (user_id) DO UPDATE SET failed_count = yauth_account_locks.failed_count + 1, updated_at = EXCLUDED.updated_at RETURNING id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at"#,
                            sqlite: r#"INSERT INTO yauth_account_locks (id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at) VALUES (?1, ?2, 1, NULL, 0, NULL, ?3, ?3) ON CONFLICT (user_id) DO UPDATE SET failed_count = yauth_account_locks.failed_count + 1, updated_at = excluded.updated_at RETURNING id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at"#)
                        .fetch_one(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let (pool, id, user) = (&self.pool, &id, &user);
                        $crate::error::retry(|| async move {
                            let mut tx = c::begin_write(pool).await?;
                            sql!($d, query, [id, user, now, now],
                                mysql: r#"INSERT INTO yauth_account_locks (id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at) VALUES (?, ?, 1, NULL, 0, NULL, ?, ?) ON DUPLICATE KEY UPDATE failed_count = failed_count + 1, updated_at = VALUES(updated_at)"#)
                            .execute(&mut *tx).await?;
                            let row = lock_row(&mut *tx, user_id).await?.ok_or(sqlx::Error::RowNotFound)?;
                            tx.commit().await?;
                            Ok::<_, $crate::error::TxError>(row)
                        }).await?
                    });
                    row.into_entity()
                }

                async fn lock_account(
                    &self,
                    user_id: Uuid,
                    until: OffsetDateTime,
                    reason: Option<&str>,
                    now: OffsetDateTime,
                ) -> StoreResult<AccountLock> {
                    let (id, user) = (c::uuid(new_id()), c::uuid(user_id));
                    let (until, now) = (c::time(until), c::time(now));
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(AccountLockRow), [id, user, until, reason, now],
                            pg: r#"INSERT INTO yauth_account_locks (id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at) VALUES ($1, $2, 0, $3, 1, $4, $5, $5) ON CONFLICT (user_id) DO UPDATE SET locked_until = EXCLUDED.locked_until, locked_reason = EXCLUDED.locked_reason, lock_count = yauth_account_locks.lock_count + 1, failed_count = 0, updated_at = EXCLUDED.updated_at RETURNING id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at"#,
                            sqlite: r#"INSERT INTO yauth_account_locks (id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at) VALUES (?1, ?2, 0, ?3, 1, ?4, ?5, ?5) ON CONFLICT (user_id) DO UPDATE SET locked_until = excluded.locked_until, locked_reason = excluded.locked_reason, lock_count = yauth_account_locks.lock_count + 1, failed_count = 0, updated_at = excluded.updated_at RETURNING id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at"#)
                        .fetch_one(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let (pool, id, user) = (&self.pool, &id, &user);
                        $crate::error::retry(|| async move {
                            let mut tx = c::begin_write(pool).await?;
                            sql!($d, query, [id, user, until, reason, now, now],
                                mysql: r#"INSERT INTO yauth_account_locks (id, user_id, failed_count, locked_until, lock_count, locked_reason, created_at, updated_at) VALUES (?, ?, 0, ?, 1, ?, ?, ?) ON DUPLICATE KEY UPDATE locked_until = VALUES(locked_until), locked_reason = VALUES(locked_reason), lock_count = lock_count + 1, failed_count = 0, updated_at = VALUES(updated_at)"#)
                            .execute(&mut *tx).await?;
                            let row = lock_row(&mut *tx, user_id).await?.ok_or(sqlx::Error::RowNotFound)?;
                            tx.commit().await?;
                            Ok::<_, $crate::error::TxError>(row)
                        }).await?
                    });
                    row.into_entity()
                }

                async fn reset_failed_logins(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
                    sql!($d, query, [c::time(now), c::uuid(user_id)],
                        pg: r#"UPDATE yauth_account_locks SET failed_count = 0, updated_at = $1 WHERE user_id = $2"#,
                        mysql: r#"UPDATE yauth_account_locks SET failed_count = 0, updated_at = ? WHERE user_id = ?"#,
                        sqlite: r#"UPDATE yauth_account_locks SET failed_count = 0, updated_at = ?1 WHERE user_id = ?2"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn unlock_account(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::time(now), c::uuid(user_id)],
                        pg: r#"UPDATE yauth_account_locks SET locked_until = NULL, locked_reason = NULL, failed_count = 0, updated_at = $1 WHERE user_id = $2"#,
                        mysql: r#"UPDATE yauth_account_locks SET locked_until = NULL, locked_reason = NULL, failed_count = 0, updated_at = ? WHERE user_id = ?"#,
                        sqlite: r#"UPDATE yauth_account_locks SET locked_until = NULL, locked_reason = NULL, failed_count = 0, updated_at = ?1 WHERE user_id = ?2"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn create_unlock_token(&self, t: &UnlockToken) -> StoreResult<()> {
                    sql!($d, query, [c::uuid(t.id), c::uuid(t.user_id), &t.token_hash, c::time(t.expires_at), c::time(t.created_at)],
                        pg: r#"INSERT INTO yauth_unlock_tokens (id, user_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)"#,
                        mysql: r#"INSERT INTO yauth_unlock_tokens (id, user_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?)"#,
                        sqlite: r#"INSERT INTO yauth_unlock_tokens (id, user_id, token_hash, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn consume_unlock_token(
                    &self,
                    token_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<UnlockToken>> {
                    let now = c::time(now);
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(UnlockTokenRow), [token_hash, now],
                            pg: r#"DELETE FROM yauth_unlock_tokens WHERE token_hash = $1 AND expires_at > $2 RETURNING id, user_id, token_hash, expires_at, created_at"#,
                            sqlite: r#"DELETE FROM yauth_unlock_tokens WHERE token_hash = ?1 AND expires_at > ?2 RETURNING id, user_id, token_hash, expires_at, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let row = sql!($d, query_as(UnlockTokenRow), [token_hash, now],
                            mysql: r#"SELECT id, user_id, token_hash, expires_at, created_at FROM yauth_unlock_tokens WHERE token_hash = ? AND expires_at > ?"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?;
                        $crate::repos::claimed(row, || async {
                            sql!($d, query, [token_hash, now],
                                mysql: r#"DELETE FROM yauth_unlock_tokens WHERE token_hash = ? AND expires_at > ?"#)
                            .execute(&self.pool).await.map(|done| done.rows_affected())
                        }).await?
                    });
                    entity(row)
                }

                async fn delete_unlock_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
                    let done = sql!($d, query, [c::uuid(user_id)],
                        pg: r#"DELETE FROM yauth_unlock_tokens WHERE user_id = $1"#,
                        mysql: r#"DELETE FROM yauth_unlock_tokens WHERE user_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_unlock_tokens WHERE user_id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}
pub(crate) use lockout;
