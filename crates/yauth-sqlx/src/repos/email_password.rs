//! Passwords, password history, email verifications and password resets.

/// `EmailPasswordRepository` for the dialect.
macro_rules! email_password {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::{TxError, db_err, retry};
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::{EmailVerificationRow, PasswordHistoryRow, PasswordResetRow, PasswordRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{EmailVerification, PasswordCredential, PasswordHistoryEntry, PasswordReset, User, normalize_email};
            use yauth_store::{EmailPasswordRepository, StoreResult, check_password_owner};

            #[async_trait::async_trait]
            impl EmailPasswordRepository for Store<c::Db> {
                async fn find_password(&self, user_id: Uuid) -> StoreResult<Option<PasswordCredential>> {
                    let row = sql!($d, query_as(PasswordRow), [c::uuid(user_id)],
                        pg: r#"SELECT user_id, password_hash, updated_at FROM yauth_passwords WHERE user_id = $1"#,
                        mysql: r#"SELECT user_id, password_hash, updated_at FROM yauth_passwords WHERE user_id = ?"#,
                        sqlite: r#"SELECT user_id, password_hash, updated_at FROM yauth_passwords WHERE user_id = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn set_password(&self, p: &PasswordCredential) -> StoreResult<()> {
                    sql!($d, query, [c::uuid(p.user_id), &p.password_hash, c::time(p.updated_at)],
                        pg: r#"INSERT INTO yauth_passwords (user_id, password_hash, updated_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at"#,
                        mysql: r#"INSERT INTO yauth_passwords (user_id, password_hash, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE password_hash = VALUES(password_hash), updated_at = VALUES(updated_at)"#,
                        sqlite: r#"INSERT INTO yauth_passwords (user_id, password_hash, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn create_user_with_password(
                    &self,
                    user: &User,
                    p: &PasswordCredential,
                ) -> StoreResult<()> {
                    check_password_owner(user, p)?;
                    let pool = &self.pool;
                    retry(|| async move {
                        let mut tx = c::begin_write(pool).await?;
                        // The same statements as `create_user` and `set_password`, in one transaction.
                        sql!($d, query, [
                            c::uuid(user.id), normalize_email(&user.email), user.display_name.as_deref(),
                            user.email_verified, &user.role, user.banned, user.banned_reason.as_deref(),
                            c::opt_time(user.banned_until), c::time(user.created_at), c::time(user.updated_at)
                        ],
                        pg: r#"INSERT INTO yauth_users (id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#,
                        mysql: r#"INSERT INTO yauth_users (id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                        sqlite: r#"INSERT INTO yauth_users (id, email, display_name, email_verified, role, banned, banned_reason, banned_until, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"#)
                        .execute(&mut *tx).await?;
                        sql!($d, query, [c::uuid(p.user_id), &p.password_hash, c::time(p.updated_at)],
                            pg: r#"INSERT INTO yauth_passwords (user_id, password_hash, updated_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at"#,
                            mysql: r#"INSERT INTO yauth_passwords (user_id, password_hash, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE password_hash = VALUES(password_hash), updated_at = VALUES(updated_at)"#,
                            sqlite: r#"INSERT INTO yauth_passwords (user_id, password_hash, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at"#)
                        .execute(&mut *tx).await?;
                        tx.commit().await?;
                        Ok::<_, TxError>(())
                    }).await
                }

                async fn add_password_history(
                    &self,
                    e: &PasswordHistoryEntry,
                    keep: u32,
                ) -> StoreResult<()> {
                    let pool = &self.pool;
                    let keep = i64::from(keep);
                    retry(|| async move {
                        let mut tx = c::begin_write(pool).await?;
                        sql!($d, query, [c::uuid(e.id), c::uuid(e.user_id), &e.password_hash, c::time(e.created_at)],
                            pg: r#"INSERT INTO yauth_password_history (id, user_id, password_hash, created_at) VALUES ($1, $2, $3, $4)"#,
                            mysql: r#"INSERT INTO yauth_password_history (id, user_id, password_hash, created_at) VALUES (?, ?, ?, ?)"#,
                            sqlite: r#"INSERT INTO yauth_password_history (id, user_id, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)"#)
                        .execute(&mut *tx).await?;
                        // Keep the newest `keep` entries of the user.
                        sql!($d, query, [c::uuid(e.user_id), keep],
                            pg: r#"DELETE FROM yauth_password_history WHERE user_id = $1 AND id NOT IN (SELECT id FROM yauth_password_history WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)"#,
                            mysql: r#"DELETE h FROM yauth_password_history h JOIN (SELECT id FROM yauth_password_history WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 18446744073709551615 OFFSET ?) old ON old.id = h.id"#,
                            sqlite: r#"DELETE FROM yauth_password_history WHERE user_id = ?1 AND id NOT IN (SELECT id FROM yauth_password_history WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2)"#)
                        .execute(&mut *tx).await?;
                        tx.commit().await?;
                        Ok::<_, TxError>(())
                    }).await
                }

                async fn password_history(
                    &self,
                    user_id: Uuid,
                    limit: u32,
                ) -> StoreResult<Vec<PasswordHistoryEntry>> {
                    let rows = sql!($d, query_as(PasswordHistoryRow), [c::uuid(user_id), i64::from(limit)],
                        pg: r#"SELECT id, user_id, password_hash, created_at FROM yauth_password_history WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"#,
                        mysql: r#"SELECT id, user_id, password_hash, created_at FROM yauth_password_history WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"#,
                        sqlite: r#"SELECT id, user_id, password_hash, created_at FROM yauth_password_history WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn create_email_verification(&self, v: &EmailVerification) -> StoreResult<()> {
                    sql!($d, query, [c::uuid(v.id), c::uuid(v.user_id), &v.token_hash, c::time(v.expires_at), c::time(v.created_at)],
                        pg: r#"INSERT INTO yauth_email_verifications (id, user_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)"#,
                        mysql: r#"INSERT INTO yauth_email_verifications (id, user_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?)"#,
                        sqlite: r#"INSERT INTO yauth_email_verifications (id, user_id, token_hash, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn consume_email_verification(
                    &self,
                    token_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<EmailVerification>> {
                    let now = c::time(now);
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(EmailVerificationRow), [token_hash, now],
                            pg: r#"DELETE FROM yauth_email_verifications WHERE token_hash = $1 AND expires_at > $2 RETURNING id, user_id, token_hash, expires_at, created_at"#,
                            sqlite: r#"DELETE FROM yauth_email_verifications WHERE token_hash = ?1 AND expires_at > ?2 RETURNING id, user_id, token_hash, expires_at, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let row = sql!($d, query_as(EmailVerificationRow), [token_hash, now],
                            mysql: r#"SELECT id, user_id, token_hash, expires_at, created_at FROM yauth_email_verifications WHERE token_hash = ? AND expires_at > ?"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?;
                        $crate::repos::claimed(row, || async {
                            sql!($d, query, [token_hash, now],
                                mysql: r#"DELETE FROM yauth_email_verifications WHERE token_hash = ? AND expires_at > ?"#)
                            .execute(&self.pool).await.map(|done| done.rows_affected())
                        }).await?
                    });
                    entity(row)
                }

                async fn delete_email_verifications(&self, user_id: Uuid) -> StoreResult<u64> {
                    let done = sql!($d, query, [c::uuid(user_id)],
                        pg: r#"DELETE FROM yauth_email_verifications WHERE user_id = $1"#,
                        mysql: r#"DELETE FROM yauth_email_verifications WHERE user_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_email_verifications WHERE user_id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }

                async fn create_password_reset(&self, r: &PasswordReset) -> StoreResult<()> {
                    sql!($d, query, [c::uuid(r.id), c::uuid(r.user_id), &r.token_hash, c::time(r.expires_at), c::opt_time(r.used_at), c::time(r.created_at)],
                        pg: r#"INSERT INTO yauth_password_resets (id, user_id, token_hash, expires_at, used_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)"#,
                        mysql: r#"INSERT INTO yauth_password_resets (id, user_id, token_hash, expires_at, used_at, created_at) VALUES (?, ?, ?, ?, ?, ?)"#,
                        sqlite: r#"INSERT INTO yauth_password_resets (id, user_id, token_hash, expires_at, used_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_password_reset(
                    &self,
                    token_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<PasswordReset>> {
                    let row = sql!($d, query_as(PasswordResetRow), [token_hash, c::time(now)],
                        pg: r#"SELECT id, user_id, token_hash, expires_at, used_at, created_at FROM yauth_password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"#,
                        mysql: r#"SELECT id, user_id, token_hash, expires_at, used_at, created_at FROM yauth_password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?"#,
                        sqlite: r#"SELECT id, user_id, token_hash, expires_at, used_at, created_at FROM yauth_password_resets WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn consume_password_reset(
                    &self,
                    token_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<PasswordReset>> {
                    let now = c::time(now);
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(PasswordResetRow), [token_hash, now],
                            pg: r#"UPDATE yauth_password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING id, user_id, token_hash, expires_at, used_at, created_at"#,
                            sqlite: r#"UPDATE yauth_password_resets SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 RETURNING id, user_id, token_hash, expires_at, used_at, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let changed = sql!($d, query, [now, token_hash, now],
                            mysql: r#"UPDATE yauth_password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?"#)
                        .execute(&self.pool).await.map(|done| done.rows_affected());
                        $crate::repos::read_if_won(changed, || {
                            sql!($d, query_as(PasswordResetRow), [token_hash],
                                mysql: r#"SELECT id, user_id, token_hash, expires_at, used_at, created_at FROM yauth_password_resets WHERE token_hash = ?"#)
                            .fetch_optional(&self.pool)
                        }).await?
                    });
                    entity(row)
                }

                async fn delete_password_resets(&self, user_id: Uuid) -> StoreResult<u64> {
                    let done = sql!($d, query, [c::uuid(user_id)],
                        pg: r#"DELETE FROM yauth_password_resets WHERE user_id = $1"#,
                        mysql: r#"DELETE FROM yauth_password_resets WHERE user_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_password_resets WHERE user_id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}
pub(crate) use email_password;
