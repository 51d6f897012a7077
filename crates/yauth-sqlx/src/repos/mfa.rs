//! TOTP secrets (with replay protection) and backup codes.

/// `MfaRepository` for the dialect.
macro_rules! mfa {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{count, entity};
            use $crate::dialect::$d as c;
            use $crate::error::{TxError, db_err, retry};
            use $crate::macros::sql;
            use $crate::repos::Store;
            use $crate::rows::TotpRow;
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{BackupCode, TotpSecret};
            use yauth_store::{MfaRepository, StoreError, StoreResult};

            #[async_trait::async_trait]
            impl MfaRepository for Store<c::Db> {
                async fn upsert_totp_secret(&self, t: &TotpSecret) -> StoreResult<()> {
                    sql!($d, query, [c::uuid(t.id), c::uuid(t.user_id), &t.encrypted_secret, t.verified, t.last_used_step, c::time(t.created_at)],
                        pg: r#"INSERT INTO yauth_totp_secrets (id, user_id, encrypted_secret, verified, last_used_step, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET id = EXCLUDED.id, encrypted_secret = EXCLUDED.encrypted_secret, verified = EXCLUDED.verified, last_used_step = EXCLUDED.last_used_step, created_at = EXCLUDED.created_at"#,
                        mysql: r#"INSERT INTO yauth_totp_secrets (id, user_id, encrypted_secret, verified, last_used_step, created_at) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = VALUES(id), encrypted_secret = VALUES(encrypted_secret), verified = VALUES(verified), last_used_step = VALUES(last_used_step), created_at = VALUES(created_at)"#,
                        sqlite: r#"INSERT INTO yauth_totp_secrets (id, user_id, encrypted_secret, verified, last_used_step, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id) DO UPDATE SET id = excluded.id, encrypted_secret = excluded.encrypted_secret, verified = excluded.verified, last_used_step = excluded.last_used_step, created_at = excluded.created_at"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_totp_secret(&self, user_id: Uuid) -> StoreResult<Option<TotpSecret>> {
                    let row = sql!($d, query_as(TotpRow), [c::uuid(user_id)],
                        pg: r#"SELECT id, user_id, encrypted_secret, verified, last_used_step, created_at FROM yauth_totp_secrets WHERE user_id = $1"#,
                        mysql: r#"SELECT id, user_id, encrypted_secret, verified, last_used_step, created_at FROM yauth_totp_secrets WHERE user_id = ?"#,
                        sqlite: r#"SELECT id, user_id, encrypted_secret, verified, last_used_step, created_at FROM yauth_totp_secrets WHERE user_id = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn confirm_totp_secret(&self, user_id: Uuid) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(user_id)],
                        pg: r#"UPDATE yauth_totp_secrets SET verified = TRUE WHERE user_id = $1"#,
                        mysql: r#"UPDATE yauth_totp_secrets SET verified = TRUE WHERE user_id = ?"#,
                        sqlite: r#"UPDATE yauth_totp_secrets SET verified = TRUE WHERE user_id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn delete_totp_secret(&self, user_id: Uuid) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(user_id)],
                        pg: r#"DELETE FROM yauth_totp_secrets WHERE user_id = $1"#,
                        mysql: r#"DELETE FROM yauth_totp_secrets WHERE user_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_totp_secrets WHERE user_id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn accept_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool> {
                    // One guarded UPDATE: of concurrent callers with the same step, only the first
                    // finds `last_used_step < step`.
                    let done = sql!($d, query, [c::uuid(user_id), step],
                        pg: r#"UPDATE yauth_totp_secrets SET last_used_step = $2 WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)"#,
                        mysql [step, c::uuid(user_id), step]: r#"UPDATE yauth_totp_secrets SET last_used_step = ? WHERE user_id = ? AND (last_used_step IS NULL OR last_used_step < ?)"#,
                        sqlite: r#"UPDATE yauth_totp_secrets SET last_used_step = ?2 WHERE user_id = ?1 AND (last_used_step IS NULL OR last_used_step < ?2)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn replace_backup_codes(&self, user_id: Uuid, codes: &[BackupCode]) -> StoreResult<()> {
                    if codes.iter().any(|code| code.user_id != user_id) {
                        return Err(StoreError::Internal(
                            "backup codes must belong to the user they replace".into(),
                        ));
                    }
                    let pool = &self.pool;
                    retry(|| async move {
                        let mut tx = c::begin_write(pool).await?;
                        let users = sql!($d, query_scalar, [c::uuid(user_id)],
                            pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE id = $1"#,
                            mysql: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE id = ?"#,
                            sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE id = ?1"#)
                        .fetch_one(&mut *tx).await?;
                        if users == 0 {
                            return Err(TxError::Store(StoreError::NotFound));
                        }
                        sql!($d, query, [c::uuid(user_id)],
                            pg: r#"DELETE FROM yauth_backup_codes WHERE user_id = $1"#,
                            mysql: r#"DELETE FROM yauth_backup_codes WHERE user_id = ?"#,
                            sqlite: r#"DELETE FROM yauth_backup_codes WHERE user_id = ?1"#)
                        .execute(&mut *tx).await?;
                        for b in codes {
                            sql!($d, query, [c::uuid(b.id), c::uuid(b.user_id), &b.code_hash, b.used, c::opt_time(b.used_at), c::time(b.created_at)],
                                pg: r#"INSERT INTO yauth_backup_codes (id, user_id, code_hash, used, used_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)"#,
                                mysql: r#"INSERT INTO yauth_backup_codes (id, user_id, code_hash, used, used_at, created_at) VALUES (?, ?, ?, ?, ?, ?)"#,
                                sqlite: r#"INSERT INTO yauth_backup_codes (id, user_id, code_hash, used, used_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"#)
                            .execute(&mut *tx).await?;
                        }
                        tx.commit().await?;
                        Ok(())
                    }).await
                }

                async fn consume_backup_code(
                    &self,
                    user_id: Uuid,
                    code_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<bool> {
                    // One guarded UPDATE of one unused matching code.
                    let done = sql!($d, query, [c::uuid(user_id), code_hash, c::time(now)],
                        pg: r#"UPDATE yauth_backup_codes SET used = TRUE, used_at = $3 WHERE used = FALSE AND id = (SELECT id FROM yauth_backup_codes WHERE user_id = $1 AND code_hash = $2 AND used = FALSE ORDER BY id LIMIT 1)"#,
                        mysql [c::time(now), c::uuid(user_id), code_hash]: r#"UPDATE yauth_backup_codes SET used = TRUE, used_at = ? WHERE user_id = ? AND code_hash = ? AND used = FALSE ORDER BY id LIMIT 1"#,
                        sqlite: r#"UPDATE yauth_backup_codes SET used = TRUE, used_at = ?3 WHERE used = FALSE AND id = (SELECT id FROM yauth_backup_codes WHERE user_id = ?1 AND code_hash = ?2 AND used = FALSE ORDER BY id LIMIT 1)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn count_unused_backup_codes(&self, user_id: Uuid) -> StoreResult<u64> {
                    let n = sql!($d, query_scalar, [c::uuid(user_id)],
                        pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_backup_codes WHERE user_id = $1 AND used = FALSE"#,
                        mysql: r#"SELECT COUNT(*) AS "n!" FROM yauth_backup_codes WHERE user_id = ? AND used = FALSE"#,
                        sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_backup_codes WHERE user_id = ?1 AND used = FALSE"#)
                    .fetch_one(&self.pool).await.map_err(db_err)?;
                    Ok(count(n))
                }
            }
        };
    };
}
pub(crate) use mfa;
