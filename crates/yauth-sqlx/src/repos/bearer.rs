//! Refresh tokens (rotation with family reuse detection), revoked JWT ids and the rotating
//! signing keys.

/// `BearerRepository` for the dialect.
macro_rules! bearer {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{IntoEntity as _, entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::{TxError, db_err, primary_key_is, retry};
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::{RefreshTokenRow, SigningKeyRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{JtiRevocation, RefreshToken, SigningKey};
            use yauth_store::{BearerRepository, RefreshTokenSeed, RotateOutcome, StoreResult, constraint};

            /// Stores a refresh token through `executor` (the pool, or a transaction).
            async fn insert_refresh_token<'e, E>(executor: E, t: &RefreshToken) -> Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'e, Database = c::Db>,
            {
                sql!($d, query, [
                    c::uuid(t.id), c::uuid(t.user_id), &t.token_hash, c::uuid(t.family_id), t.client_id.as_deref(),
                    c::opt_json(t.scopes.as_ref()), c::time(t.expires_at), t.revoked, c::time(t.created_at)
                ],
                pg: r#"INSERT INTO yauth_refresh_tokens (id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
                mysql: r#"INSERT INTO yauth_refresh_tokens (id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                sqlite: r#"INSERT INTO yauth_refresh_tokens (id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#)
                .execute(executor).await?;
                Ok(())
            }

            #[async_trait::async_trait]
            impl BearerRepository for Store<c::Db> {
                async fn create_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
                    insert_refresh_token(&self.pool, t).await.map_err(db_err)
                }

                async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
                    let row = sql!($d, query_as(RefreshTokenRow), [token_hash],
                        pg: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE token_hash = $1"#,
                        mysql: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE token_hash = ?"#,
                        sqlite: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE token_hash = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn rotate_refresh_token(
                    &self,
                    old_token_hash: &str,
                    new: &RefreshTokenSeed,
                    now: OffsetDateTime,
                ) -> StoreResult<RotateOutcome> {
                    let pool = &self.pool;
                    retry(|| async move {
                        // The old token's row stays locked until commit (FOR UPDATE; SQLite's
                        // BEGIN IMMEDIATE serialises writers), so concurrent rotations of one token
                        // run one after the other and all but the first see it revoked.
                        let mut tx = c::begin_write(pool).await?;
                        let old = sql!($d, query_as(RefreshTokenRow), [old_token_hash],
                            pg: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE token_hash = $1 FOR UPDATE"#,
                            mysql: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE token_hash = ? FOR UPDATE"#,
                            sqlite: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE token_hash = ?1 -- locked by BEGIN IMMEDIATE"#)
                        .fetch_optional(&mut *tx).await?;
                        let Some(old) = old else {
                            return Ok::<_, TxError>(RotateOutcome::Invalid);
                        };
                        let old = old.into_entity()?;
                        if old.revoked {
                            sql!($d, query, [c::uuid(old.family_id)],
                                pg: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE family_id = $1"#,
                                mysql: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE family_id = ?"#,
                                sqlite: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE family_id = ?1"#)
                            .execute(&mut *tx).await?;
                            tx.commit().await?;
                            return Ok(RotateOutcome::Reused { family_id: old.family_id, user_id: old.user_id });
                        }
                        if old.expires_at <= now {
                            return Ok(RotateOutcome::Invalid);
                        }
                        let issued = new.issue_after(&old);
                        sql!($d, query, [c::uuid(old.id)],
                            pg: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE id = $1"#,
                            mysql: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE id = ?"#,
                            sqlite: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE id = ?1"#)
                        .execute(&mut *tx).await?;
                        insert_refresh_token(&mut *tx, &issued).await?;
                        tx.commit().await?;
                        Ok(RotateOutcome::Rotated { previous: old, issued })
                    }).await
                }

                async fn revoke_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(RefreshTokenRow), [token_hash],
                            pg: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE token_hash = $1 AND revoked = FALSE RETURNING id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at"#,
                            sqlite: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE token_hash = ?1 AND revoked = FALSE RETURNING id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let changed = sql!($d, query, [token_hash],
                            mysql: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE token_hash = ? AND revoked = FALSE"#)
                        .execute(&self.pool).await.map(|done| done.rows_affected());
                        $crate::repos::read_if_won(changed, || {
                            sql!($d, query_as(RefreshTokenRow), [token_hash],
                                mysql: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE token_hash = ?"#)
                            .fetch_optional(&self.pool)
                        }).await?
                    });
                    // The token as it was before: not revoked.
                    Ok(entity(row)?.map(|token| RefreshToken { revoked: false, ..token }))
                }

                async fn revoke_refresh_family(&self, family_id: Uuid) -> StoreResult<u64> {
                    let done = sql!($d, query, [c::uuid(family_id)],
                        pg: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE family_id = $1 AND revoked = FALSE"#,
                        mysql: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE family_id = ? AND revoked = FALSE"#,
                        sqlite: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE family_id = ?1 AND revoked = FALSE"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }

                async fn revoke_user_refresh_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
                    let done = sql!($d, query, [c::uuid(user_id)],
                        pg: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE user_id = $1 AND revoked = FALSE"#,
                        mysql: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE user_id = ? AND revoked = FALSE"#,
                        sqlite: r#"UPDATE yauth_refresh_tokens SET revoked = TRUE WHERE user_id = ?1 AND revoked = FALSE"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }

                async fn list_user_refresh_tokens(
                    &self,
                    user_id: Uuid,
                    created_since: OffsetDateTime,
                ) -> StoreResult<Vec<RefreshToken>> {
                    let rows = sql!($d, query_as(RefreshTokenRow), [c::uuid(user_id), c::time(created_since)],
                        pg: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE user_id = $1 AND created_at >= $2 ORDER BY created_at DESC, id DESC"#,
                        mysql: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE user_id = ? AND created_at >= ? ORDER BY created_at DESC, id DESC"#,
                        sqlite: r#"SELECT id, user_id, token_hash, family_id, client_id, scopes, expires_at, revoked, created_at FROM yauth_refresh_tokens WHERE user_id = ?1 AND created_at >= ?2 ORDER BY created_at DESC, id DESC"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn revoke_jti(&self, r: &JtiRevocation) -> StoreResult<()> {
                    sql!($d, query, [&r.jti, c::time(r.expires_at), c::time(r.created_at)],
                        pg: r#"INSERT INTO yauth_revocations (jti, expires_at, created_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO UPDATE SET expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at"#,
                        mysql: r#"INSERT INTO yauth_revocations (jti, expires_at, created_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at), created_at = VALUES(created_at)"#,
                        sqlite: r#"INSERT INTO yauth_revocations (jti, expires_at, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at, created_at = excluded.created_at"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn is_jti_revoked(&self, jti: &str, now: OffsetDateTime) -> StoreResult<bool> {
                    let n = sql!($d, query_scalar, [jti, c::time(now)],
                        pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_revocations WHERE jti = $1 AND expires_at > $2"#,
                        mysql: r#"SELECT COUNT(*) AS "n!" FROM yauth_revocations WHERE jti = ? AND expires_at > ?"#,
                        sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_revocations WHERE jti = ?1 AND expires_at > ?2"#)
                    .fetch_one(&self.pool).await.map_err(db_err)?;
                    Ok(n > 0)
                }

                async fn create_signing_key(&self, k: &SigningKey) -> StoreResult<()> {
                    sql!($d, query, [
                        &k.kid, &k.algorithm, &k.private_key_enc, c::json(&k.public_jwk), c::time(k.created_at),
                        c::opt_time(k.retired_at), c::opt_time(k.expires_at)
                    ],
                    pg: r#"INSERT INTO yauth_signing_keys (kid, algorithm, private_key_enc, public_jwk, created_at, retired_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
                    mysql: r#"INSERT INTO yauth_signing_keys (kid, algorithm, private_key_enc, public_jwk, created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_signing_keys (kid, algorithm, private_key_enc, public_jwk, created_at, retired_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"#)
                    .execute(&self.pool).await
                    .map_err(|e| primary_key_is(db_err(e), constraint::SIGNING_KEYS_KID))?;
                    Ok(())
                }

                async fn list_signing_keys(&self, now: OffsetDateTime) -> StoreResult<Vec<SigningKey>> {
                    let rows = sql!($d, query_as(SigningKeyRow), [c::time(now)],
                        pg: r#"SELECT kid, algorithm, private_key_enc, public_jwk, created_at, retired_at, expires_at FROM yauth_signing_keys WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at DESC, kid DESC"#,
                        mysql: r#"SELECT kid, algorithm, private_key_enc, public_jwk, created_at, retired_at, expires_at FROM yauth_signing_keys WHERE expires_at IS NULL OR expires_at > ? ORDER BY created_at DESC, kid DESC"#,
                        sqlite: r#"SELECT kid, algorithm, private_key_enc, public_jwk, created_at, retired_at, expires_at FROM yauth_signing_keys WHERE expires_at IS NULL OR expires_at > ?1 ORDER BY created_at DESC, kid DESC"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn retire_signing_key(
                    &self,
                    kid: &str,
                    retired_at: OffsetDateTime,
                    expires_at: OffsetDateTime,
                ) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::time(retired_at), c::time(expires_at), kid],
                        pg: r#"UPDATE yauth_signing_keys SET retired_at = $1, expires_at = $2 WHERE kid = $3"#,
                        mysql: r#"UPDATE yauth_signing_keys SET retired_at = ?, expires_at = ? WHERE kid = ?"#,
                        sqlite: r#"UPDATE yauth_signing_keys SET retired_at = ?1, expires_at = ?2 WHERE kid = ?3"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }
            }
        };
    };
}
pub(crate) use bearer;
