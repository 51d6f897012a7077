//! API keys: the authentication hot path (`find_api_key_by_prefix`) is one join.

/// `ApiKeyRepository` for the dialect.
macro_rules! api_key {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::sql;
            use $crate::repos::Store;
            use $crate::rows::{ApiKeyRow, ApiKeyUserRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{ApiKey, User};
            use yauth_store::{ApiKeyRepository, StoreError, StoreResult};

            #[async_trait::async_trait]
            impl ApiKeyRepository for Store<c::Db> {
                async fn create_api_key(&self, k: &ApiKey) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(k.id), c::uuid(k.user_id), &k.key_prefix, &k.key_hash, &k.name, c::opt_json(k.scopes.as_ref()),
                        c::opt_time(k.last_used_at), c::opt_time(k.expires_at), c::time(k.created_at)
                    ],
                    pg: r#"INSERT INTO yauth_api_keys (id, user_id, key_prefix, key_hash, name, scopes, last_used_at, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
                    mysql: r#"INSERT INTO yauth_api_keys (id, user_id, key_prefix, key_hash, name, scopes, last_used_at, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_api_keys (id, user_id, key_prefix, key_hash, name, scopes, last_used_at, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<(ApiKey, User)>> {
                    let row = sql!($d, query_as(ApiKeyUserRow), [prefix],
                        pg: r#"SELECT k.id, k.user_id, k.key_prefix, k.key_hash, k.name, k.scopes, k.last_used_at, k.expires_at, k.created_at, u.email AS u_email, u.display_name AS u_display_name, u.email_verified AS u_email_verified, u.role AS u_role, u.banned AS u_banned, u.banned_reason AS u_banned_reason, u.banned_until AS u_banned_until, u.created_at AS u_created_at, u.updated_at AS u_updated_at FROM yauth_api_keys k JOIN yauth_users u ON u.id = k.user_id WHERE k.key_prefix = $1"#,
                        mysql: r#"SELECT k.id, k.user_id, k.key_prefix, k.key_hash, k.name, k.scopes, k.last_used_at, k.expires_at, k.created_at, u.email AS u_email, u.display_name AS u_display_name, u.email_verified AS u_email_verified, u.role AS u_role, u.banned AS u_banned, u.banned_reason AS u_banned_reason, u.banned_until AS u_banned_until, u.created_at AS u_created_at, u.updated_at AS u_updated_at FROM yauth_api_keys k JOIN yauth_users u ON u.id = k.user_id WHERE k.key_prefix = ?"#,
                        sqlite: r#"SELECT k.id, k.user_id, k.key_prefix, k.key_hash, k.name, k.scopes, k.last_used_at, k.expires_at, k.created_at, u.email AS u_email, u.display_name AS u_display_name, u.email_verified AS u_email_verified, u.role AS u_role, u.banned AS u_banned, u.banned_reason AS u_banned_reason, u.banned_until AS u_banned_until, u.created_at AS u_created_at, u.updated_at AS u_updated_at FROM yauth_api_keys k JOIN yauth_users u ON u.id = k.user_id WHERE k.key_prefix = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn list_api_keys(&self, user_id: Uuid) -> StoreResult<Vec<ApiKey>> {
                    let rows = sql!($d, query_as(ApiKeyRow), [c::uuid(user_id)],
                        pg: r#"SELECT id, user_id, key_prefix, key_hash, name, scopes, last_used_at, expires_at, created_at FROM yauth_api_keys WHERE user_id = $1 ORDER BY created_at, id"#,
                        mysql: r#"SELECT id, user_id, key_prefix, key_hash, name, scopes, last_used_at, expires_at, created_at FROM yauth_api_keys WHERE user_id = ? ORDER BY created_at, id"#,
                        sqlite: r#"SELECT id, user_id, key_prefix, key_hash, name, scopes, last_used_at, expires_at, created_at FROM yauth_api_keys WHERE user_id = ?1 ORDER BY created_at, id"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(id), c::uuid(user_id)],
                        pg: r#"DELETE FROM yauth_api_keys WHERE id = $1 AND user_id = $2"#,
                        mysql: r#"DELETE FROM yauth_api_keys WHERE id = ? AND user_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_api_keys WHERE id = ?1 AND user_id = ?2"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn touch_api_key(&self, id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
                    let done = sql!($d, query, [c::time(now), c::uuid(id)],
                        pg: r#"UPDATE yauth_api_keys SET last_used_at = $1 WHERE id = $2"#,
                        mysql: r#"UPDATE yauth_api_keys SET last_used_at = ? WHERE id = ?"#,
                        sqlite: r#"UPDATE yauth_api_keys SET last_used_at = ?1 WHERE id = ?2"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use api_key;
