//! The OAuth2 authorization server: clients, authorization codes, consents and device codes.

/// `Oauth2ServerRepository` for the dialect.
macro_rules! oauth2_server {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{IntoEntity as _, entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::{TxError, db_err, retry};
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::{AuthorizationCodeRow, ClientRow, ConsentRow, DeviceCodeRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{AuthorizationCode, Consent, DeviceCode, DeviceCodeStatus, Oauth2Client};
            use yauth_store::{DevicePoll, Oauth2ServerRepository, StoreError, StoreResult};

            #[async_trait::async_trait]
            impl Oauth2ServerRepository for Store<c::Db> {
                async fn create_oauth2_client(&self, k: &Oauth2Client) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(k.id), &k.client_id, k.client_secret_hash.as_deref(), c::json(&k.redirect_uris), k.client_name.as_deref(),
                        c::json(&k.grant_types), c::opt_json(k.scopes.as_ref()), k.is_public, c::time(k.created_at)
                    ],
                    pg: r#"INSERT INTO yauth_oauth2_clients (id, client_id, client_secret_hash, redirect_uris, client_name, grant_types, scopes, is_public, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
                    mysql: r#"INSERT INTO yauth_oauth2_clients (id, client_id, client_secret_hash, redirect_uris, client_name, grant_types, scopes, is_public, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_oauth2_clients (id, client_id, client_secret_hash, redirect_uris, client_name, grant_types, scopes, is_public, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_oauth2_client(&self, client_id: &str) -> StoreResult<Option<Oauth2Client>> {
                    let row = sql!($d, query_as(ClientRow), [client_id],
                        pg: r#"SELECT id, client_id, client_secret_hash, redirect_uris, client_name, grant_types, scopes, is_public, created_at FROM yauth_oauth2_clients WHERE client_id = $1"#,
                        mysql: r#"SELECT id, client_id, client_secret_hash, redirect_uris, client_name, grant_types, scopes, is_public, created_at FROM yauth_oauth2_clients WHERE client_id = ?"#,
                        sqlite: r#"SELECT id, client_id, client_secret_hash, redirect_uris, client_name, grant_types, scopes, is_public, created_at FROM yauth_oauth2_clients WHERE client_id = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn delete_oauth2_client(&self, client_id: &str) -> StoreResult<bool> {
                    let done = sql!($d, query, [client_id],
                        pg: r#"DELETE FROM yauth_oauth2_clients WHERE client_id = $1"#,
                        mysql: r#"DELETE FROM yauth_oauth2_clients WHERE client_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_oauth2_clients WHERE client_id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn create_authorization_code(&self, a: &AuthorizationCode) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(a.id), &a.code_hash, &a.client_id, c::uuid(a.user_id), c::opt_json(a.scopes.as_ref()), &a.redirect_uri,
                        &a.code_challenge, &a.code_challenge_method, a.nonce.as_deref(), c::time(a.auth_time), c::json(&a.amr),
                        c::time(a.expires_at), a.used, c::time(a.created_at)
                    ],
                    pg: r#"INSERT INTO yauth_authorization_codes (id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"#,
                    mysql: r#"INSERT INTO yauth_authorization_codes (id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_authorization_codes (id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn consume_authorization_code(
                    &self,
                    code_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<AuthorizationCode>> {
                    let now = c::time(now);
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(AuthorizationCodeRow), [code_hash, now],
                            pg: r#"UPDATE yauth_authorization_codes SET used = TRUE WHERE code_hash = $1 AND used = FALSE AND expires_at > $2 RETURNING id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at"#,
                            sqlite: r#"UPDATE yauth_authorization_codes SET used = TRUE WHERE code_hash = ?1 AND used = FALSE AND expires_at > ?2 RETURNING id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let changed = sql!($d, query, [code_hash, now],
                            mysql: r#"UPDATE yauth_authorization_codes SET used = TRUE WHERE code_hash = ? AND used = FALSE AND expires_at > ?"#)
                        .execute(&self.pool).await.map(|done| done.rows_affected());
                        $crate::repos::read_if_won(changed, || {
                            sql!($d, query_as(AuthorizationCodeRow), [code_hash],
                                mysql: r#"SELECT id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at FROM yauth_authorization_codes WHERE code_hash = ?"#)
                            .fetch_optional(&self.pool)
                        }).await?
                    });
                    entity(row)
                }

                async fn find_authorization_code(&self, code_hash: &str) -> StoreResult<Option<AuthorizationCode>> {
                    let row = sql!($d, query_as(AuthorizationCodeRow), [code_hash],
                        pg: r#"SELECT id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at FROM yauth_authorization_codes WHERE code_hash = $1"#,
                        mysql: r#"SELECT id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at FROM yauth_authorization_codes WHERE code_hash = ?"#,
                        sqlite: r#"SELECT id, code_hash, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, nonce, auth_time, amr, expires_at, used, created_at FROM yauth_authorization_codes WHERE code_hash = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn upsert_consent(&self, k: &Consent) -> StoreResult<Consent> {
                    let (id, user_id, scopes) = (c::uuid(k.id), c::uuid(k.user_id), c::json(&k.scopes));
                    let (created_at, updated_at) = (c::time(k.created_at), c::time(k.updated_at));
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(ConsentRow), [id, user_id, &k.client_id, scopes, created_at, updated_at],
                            pg: r#"INSERT INTO yauth_consents (id, user_id, client_id, scopes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = EXCLUDED.scopes, updated_at = EXCLUDED.updated_at RETURNING id, user_id, client_id, scopes, created_at, updated_at"#,
                            sqlite: r#"INSERT INTO yauth_consents (id, user_id, client_id, scopes, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at RETURNING id, user_id, client_id, scopes, created_at, updated_at"#)
                        .fetch_one(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let pool = &self.pool;
                        let (id, user_id, scopes) = (&id, &user_id, &scopes);
                        retry(|| async move {
                            let mut tx = c::begin_write(pool).await?;
                            sql!($d, query, [id, user_id, &k.client_id, scopes, created_at, updated_at],
                                mysql: r#"INSERT INTO yauth_consents (id, user_id, client_id, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE scopes = VALUES(scopes), updated_at = VALUES(updated_at)"#)
                            .execute(&mut *tx).await?;
                            let row = sql!($d, query_as(ConsentRow), [user_id, &k.client_id],
                                mysql: r#"SELECT id, user_id, client_id, scopes, created_at, updated_at FROM yauth_consents WHERE user_id = ? AND client_id = ?"#)
                            .fetch_one(&mut *tx).await?;
                            tx.commit().await?;
                            Ok::<_, TxError>(row)
                        }).await?
                    });
                    row.into_entity()
                }

                async fn find_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<Option<Consent>> {
                    let row = sql!($d, query_as(ConsentRow), [c::uuid(user_id), client_id],
                        pg: r#"SELECT id, user_id, client_id, scopes, created_at, updated_at FROM yauth_consents WHERE user_id = $1 AND client_id = $2"#,
                        mysql: r#"SELECT id, user_id, client_id, scopes, created_at, updated_at FROM yauth_consents WHERE user_id = ? AND client_id = ?"#,
                        sqlite: r#"SELECT id, user_id, client_id, scopes, created_at, updated_at FROM yauth_consents WHERE user_id = ?1 AND client_id = ?2"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn list_user_consents(&self, user_id: Uuid) -> StoreResult<Vec<Consent>> {
                    let rows = sql!($d, query_as(ConsentRow), [c::uuid(user_id)],
                        pg: r#"SELECT id, user_id, client_id, scopes, created_at, updated_at FROM yauth_consents WHERE user_id = $1 ORDER BY updated_at DESC, id DESC"#,
                        mysql: r#"SELECT id, user_id, client_id, scopes, created_at, updated_at FROM yauth_consents WHERE user_id = ? ORDER BY updated_at DESC, id DESC"#,
                        sqlite: r#"SELECT id, user_id, client_id, scopes, created_at, updated_at FROM yauth_consents WHERE user_id = ?1 ORDER BY updated_at DESC, id DESC"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn delete_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(user_id), client_id],
                        pg: r#"DELETE FROM yauth_consents WHERE user_id = $1 AND client_id = $2"#,
                        mysql: r#"DELETE FROM yauth_consents WHERE user_id = ? AND client_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_consents WHERE user_id = ?1 AND client_id = ?2"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn create_device_code(&self, k: &DeviceCode) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(k.id), &k.device_code_hash, &k.user_code, &k.client_id, c::opt_json(k.scopes.as_ref()), c::opt_uuid(k.user_id),
                        k.status.as_str(), k.interval, c::time(k.expires_at), c::opt_time(k.last_polled_at), c::time(k.created_at)
                    ],
                    pg: r#"INSERT INTO yauth_device_codes (id, device_code_hash, user_code, client_id, scopes, user_id, status, "interval", expires_at, last_polled_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"#,
                    mysql: r#"INSERT INTO yauth_device_codes (id, device_code_hash, user_code, client_id, scopes, user_id, status, `interval`, expires_at, last_polled_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_device_codes (id, device_code_hash, user_code, client_id, scopes, user_id, status, "interval", expires_at, last_polled_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_pending_device_code(
                    &self,
                    user_code: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<DeviceCode>> {
                    let row = sql!($d, query_as(DeviceCodeRow), [user_code, c::time(now)],
                        pg: r#"SELECT id, device_code_hash, user_code, client_id, scopes, user_id, status, "interval", expires_at, last_polled_at, created_at FROM yauth_device_codes WHERE user_code = $1 AND status = 'pending' AND expires_at > $2"#,
                        mysql: r#"SELECT id, device_code_hash, user_code, client_id, scopes, user_id, status, `interval`, expires_at, last_polled_at, created_at FROM yauth_device_codes WHERE user_code = ? AND status = 'pending' AND expires_at > ?"#,
                        sqlite: r#"SELECT id, device_code_hash, user_code, client_id, scopes, user_id, status, "interval", expires_at, last_polled_at, created_at FROM yauth_device_codes WHERE user_code = ?1 AND status = 'pending' AND expires_at > ?2"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn decide_device_code(
                    &self,
                    user_code: &str,
                    user_id: Uuid,
                    approve: bool,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<DeviceCode>> {
                    let users = sql!($d, query_scalar, [c::uuid(user_id)],
                        pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE id = $1"#,
                        mysql: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE id = ?"#,
                        sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_users WHERE id = ?1"#)
                    .fetch_one(&self.pool).await.map_err(db_err)?;
                    if users == 0 {
                        return Err(StoreError::NotFound);
                    }
                    let status = if approve { DeviceCodeStatus::Approved } else { DeviceCodeStatus::Denied };
                    let (status, user_id, now) = (status.as_str(), c::uuid(user_id), c::time(now));
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(DeviceCodeRow), [status, user_id, user_code, now],
                            pg: r#"UPDATE yauth_device_codes SET status = $1, user_id = $2 WHERE user_code = $3 AND status = 'pending' AND expires_at > $4 RETURNING id, device_code_hash, user_code, client_id, scopes, user_id, status, "interval", expires_at, last_polled_at, created_at"#,
                            sqlite: r#"UPDATE yauth_device_codes SET status = ?1, user_id = ?2 WHERE user_code = ?3 AND status = 'pending' AND expires_at > ?4 RETURNING id, device_code_hash, user_code, client_id, scopes, user_id, status, "interval", expires_at, last_polled_at, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let changed = sql!($d, query, [status, user_id, user_code, now],
                            mysql: r#"UPDATE yauth_device_codes SET status = ?, user_id = ? WHERE user_code = ? AND status = 'pending' AND expires_at > ?"#)
                        .execute(&self.pool).await.map(|done| done.rows_affected());
                        $crate::repos::read_if_won(changed, || {
                            sql!($d, query_as(DeviceCodeRow), [user_code],
                                mysql: r#"SELECT id, device_code_hash, user_code, client_id, scopes, user_id, status, `interval`, expires_at, last_polled_at, created_at FROM yauth_device_codes WHERE user_code = ?"#)
                            .fetch_optional(&self.pool)
                        }).await?
                    });
                    entity(row)
                }

                async fn poll_device_code(
                    &self,
                    device_code_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<DevicePoll> {
                    let pool = &self.pool;
                    retry(|| async move {
                        // The row stays locked until commit, so one poller at a time decides.
                        let mut tx = c::begin_write(pool).await?;
                        let row = sql!($d, query_as(DeviceCodeRow), [device_code_hash],
                            pg: r#"SELECT id, device_code_hash, user_code, client_id, scopes, user_id, status, "interval", expires_at, last_polled_at, created_at FROM yauth_device_codes WHERE device_code_hash = $1 FOR UPDATE"#,
                            mysql: r#"SELECT id, device_code_hash, user_code, client_id, scopes, user_id, status, `interval`, expires_at, last_polled_at, created_at FROM yauth_device_codes WHERE device_code_hash = ? FOR UPDATE"#,
                            sqlite: r#"SELECT id, device_code_hash, user_code, client_id, scopes, user_id, status, "interval", expires_at, last_polled_at, created_at FROM yauth_device_codes WHERE device_code_hash = ?1 -- locked by BEGIN IMMEDIATE"#)
                        .fetch_optional(&mut *tx).await?;
                        let Some(row) = row else {
                            return Ok::<_, TxError>(DevicePoll::Invalid);
                        };
                        let (outcome, updated) = DevicePoll::decide(row.into_entity()?, now);
                        let Some(code) = updated else {
                            return Ok(outcome);
                        };
                        sql!($d, query, [c::time(now), code.status.as_str(), c::uuid(code.id)],
                            pg: r#"UPDATE yauth_device_codes SET last_polled_at = $1, status = $2 WHERE id = $3"#,
                            mysql: r#"UPDATE yauth_device_codes SET last_polled_at = ?, status = ? WHERE id = ?"#,
                            sqlite: r#"UPDATE yauth_device_codes SET last_polled_at = ?1, status = ?2 WHERE id = ?3"#)
                        .execute(&mut *tx).await?;
                        tx.commit().await?;
                        Ok(outcome)
                    }).await
                }
            }
        };
    };
}
pub(crate) use oauth2_server;
