//! WebAuthn credentials.

/// `PasskeyRepository` for the dialect.
macro_rules! passkey {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::sql;
            use $crate::repos::Store;
            use $crate::rows::WebauthnRow;
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::WebauthnCredential;
            use yauth_store::{PasskeyRepository, StoreError, StoreResult};

            #[async_trait::async_trait]
            impl PasskeyRepository for Store<c::Db> {
                async fn create_webauthn_credential(&self, w: &WebauthnCredential) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(w.id), c::uuid(w.user_id), &w.credential_id, &w.name, w.aaguid.as_deref(),
                        w.device_name.as_deref(), c::json(&w.credential), c::time(w.created_at), c::opt_time(w.last_used_at)
                    ],
                    pg: r#"INSERT INTO yauth_webauthn_credentials (id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
                    mysql: r#"INSERT INTO yauth_webauthn_credentials (id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_webauthn_credentials (id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_webauthn_credential(
                    &self,
                    credential_id: &str,
                ) -> StoreResult<Option<WebauthnCredential>> {
                    let row = sql!($d, query_as(WebauthnRow), [credential_id],
                        pg: r#"SELECT id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at FROM yauth_webauthn_credentials WHERE credential_id = $1"#,
                        mysql: r#"SELECT id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at FROM yauth_webauthn_credentials WHERE credential_id = ?"#,
                        sqlite: r#"SELECT id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at FROM yauth_webauthn_credentials WHERE credential_id = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn list_webauthn_credentials(
                    &self,
                    user_id: Uuid,
                ) -> StoreResult<Vec<WebauthnCredential>> {
                    let rows = sql!($d, query_as(WebauthnRow), [c::uuid(user_id)],
                        pg: r#"SELECT id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at FROM yauth_webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id"#,
                        mysql: r#"SELECT id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at FROM yauth_webauthn_credentials WHERE user_id = ? ORDER BY created_at, id"#,
                        sqlite: r#"SELECT id, user_id, credential_id, name, aaguid, device_name, credential, created_at, last_used_at FROM yauth_webauthn_credentials WHERE user_id = ?1 ORDER BY created_at, id"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn update_webauthn_credential_use(
                    &self,
                    id: Uuid,
                    credential: &serde_json::Value,
                    now: OffsetDateTime,
                ) -> StoreResult<()> {
                    let done = sql!($d, query, [c::json(credential), c::time(now), c::uuid(id)],
                        pg: r#"UPDATE yauth_webauthn_credentials SET credential = $1, last_used_at = $2 WHERE id = $3"#,
                        mysql: r#"UPDATE yauth_webauthn_credentials SET credential = ?, last_used_at = ? WHERE id = ?"#,
                        sqlite: r#"UPDATE yauth_webauthn_credentials SET credential = ?1, last_used_at = ?2 WHERE id = ?3"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn rename_webauthn_credential(
                    &self,
                    user_id: Uuid,
                    id: Uuid,
                    name: &str,
                ) -> StoreResult<bool> {
                    let done = sql!($d, query, [name, c::uuid(id), c::uuid(user_id)],
                        pg: r#"UPDATE yauth_webauthn_credentials SET name = $1 WHERE id = $2 AND user_id = $3"#,
                        mysql: r#"UPDATE yauth_webauthn_credentials SET name = ? WHERE id = ? AND user_id = ?"#,
                        sqlite: r#"UPDATE yauth_webauthn_credentials SET name = ?1 WHERE id = ?2 AND user_id = ?3"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn delete_webauthn_credential(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(id), c::uuid(user_id)],
                        pg: r#"DELETE FROM yauth_webauthn_credentials WHERE id = $1 AND user_id = $2"#,
                        mysql: r#"DELETE FROM yauth_webauthn_credentials WHERE id = ? AND user_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_webauthn_credentials WHERE id = ?1 AND user_id = ?2"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }
            }
        };
    };
}
pub(crate) use passkey;
