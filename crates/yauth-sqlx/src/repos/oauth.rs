//! Linked OAuth accounts and in-flight authorization states.

/// `OauthRepository` for the dialect.
macro_rules! oauth {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::{db_err, primary_key_is};
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::{OauthAccountRow, OauthStateRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{OauthAccount, OauthState};
            use yauth_store::{OauthRepository, StoreError, StoreResult, constraint};

            #[async_trait::async_trait]
            impl OauthRepository for Store<c::Db> {
                async fn create_oauth_account(&self, a: &OauthAccount) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(a.id), c::uuid(a.user_id), &a.provider, &a.provider_user_id, a.access_token_enc.as_deref(),
                        a.refresh_token_enc.as_deref(), c::opt_time(a.expires_at), c::time(a.updated_at), c::time(a.created_at)
                    ],
                    pg: r#"INSERT INTO yauth_oauth_accounts (id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
                    mysql: r#"INSERT INTO yauth_oauth_accounts (id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_oauth_accounts (id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_oauth_account(
                    &self,
                    provider: &str,
                    provider_user_id: &str,
                ) -> StoreResult<Option<OauthAccount>> {
                    let row = sql!($d, query_as(OauthAccountRow), [provider, provider_user_id],
                        pg: r#"SELECT id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at FROM yauth_oauth_accounts WHERE provider = $1 AND provider_user_id = $2"#,
                        mysql: r#"SELECT id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at FROM yauth_oauth_accounts WHERE provider = ? AND provider_user_id = ?"#,
                        sqlite: r#"SELECT id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at FROM yauth_oauth_accounts WHERE provider = ?1 AND provider_user_id = ?2"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn list_oauth_accounts(&self, user_id: Uuid) -> StoreResult<Vec<OauthAccount>> {
                    let rows = sql!($d, query_as(OauthAccountRow), [c::uuid(user_id)],
                        pg: r#"SELECT id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at FROM yauth_oauth_accounts WHERE user_id = $1 ORDER BY created_at, id"#,
                        mysql: r#"SELECT id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at FROM yauth_oauth_accounts WHERE user_id = ? ORDER BY created_at, id"#,
                        sqlite: r#"SELECT id, user_id, provider, provider_user_id, access_token_enc, refresh_token_enc, expires_at, updated_at, created_at FROM yauth_oauth_accounts WHERE user_id = ?1 ORDER BY created_at, id"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn update_oauth_tokens(
                    &self,
                    id: Uuid,
                    access_token_enc: Option<&str>,
                    refresh_token_enc: Option<&str>,
                    expires_at: Option<OffsetDateTime>,
                    now: OffsetDateTime,
                ) -> StoreResult<()> {
                    let done = sql!($d, query, [access_token_enc, refresh_token_enc, c::opt_time(expires_at), c::time(now), c::uuid(id)],
                        pg: r#"UPDATE yauth_oauth_accounts SET access_token_enc = $1, refresh_token_enc = $2, expires_at = $3, updated_at = $4 WHERE id = $5"#,
                        mysql: r#"UPDATE yauth_oauth_accounts SET access_token_enc = ?, refresh_token_enc = ?, expires_at = ?, updated_at = ? WHERE id = ?"#,
                        sqlite: r#"UPDATE yauth_oauth_accounts SET access_token_enc = ?1, refresh_token_enc = ?2, expires_at = ?3, updated_at = ?4 WHERE id = ?5"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn delete_oauth_account(&self, user_id: Uuid, provider: &str) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(user_id), provider],
                        pg: r#"DELETE FROM yauth_oauth_accounts WHERE user_id = $1 AND provider = $2"#,
                        mysql: r#"DELETE FROM yauth_oauth_accounts WHERE user_id = ? AND provider = ?"#,
                        sqlite: r#"DELETE FROM yauth_oauth_accounts WHERE user_id = ?1 AND provider = ?2"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn create_oauth_state(&self, s: &OauthState) -> StoreResult<()> {
                    sql!($d, query, [
                        &s.state, &s.provider, s.redirect_url.as_deref(), &s.code_verifier, s.nonce.as_deref(),
                        c::opt_uuid(s.link_user_id), c::time(s.expires_at), c::time(s.created_at)
                    ],
                    pg: r#"INSERT INTO yauth_oauth_states (state, provider, redirect_url, code_verifier, nonce, link_user_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
                    mysql: r#"INSERT INTO yauth_oauth_states (state, provider, redirect_url, code_verifier, nonce, link_user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_oauth_states (state, provider, redirect_url, code_verifier, nonce, link_user_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"#)
                    .execute(&self.pool).await
                    .map_err(|e| primary_key_is(db_err(e), constraint::OAUTH_STATES_STATE))?;
                    Ok(())
                }

                async fn consume_oauth_state(
                    &self,
                    state_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<OauthState>> {
                    let now = c::time(now);
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(OauthStateRow), [state_hash, now],
                            pg: r#"DELETE FROM yauth_oauth_states WHERE state = $1 AND expires_at > $2 RETURNING state, provider, redirect_url, code_verifier, nonce, link_user_id, expires_at, created_at"#,
                            sqlite: r#"DELETE FROM yauth_oauth_states WHERE state = ?1 AND expires_at > ?2 RETURNING state, provider, redirect_url, code_verifier, nonce, link_user_id, expires_at, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let row = sql!($d, query_as(OauthStateRow), [state_hash, now],
                            mysql: r#"SELECT state, provider, redirect_url, code_verifier, nonce, link_user_id, expires_at, created_at FROM yauth_oauth_states WHERE state = ? AND expires_at > ?"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?;
                        $crate::repos::claimed(row, || async {
                            sql!($d, query, [state_hash, now],
                                mysql: r#"DELETE FROM yauth_oauth_states WHERE state = ? AND expires_at > ?"#)
                            .execute(&self.pool).await.map(|done| done.rows_affected())
                        }).await?
                    });
                    entity(row)
                }
            }
        };
    };
}
pub(crate) use oauth;
