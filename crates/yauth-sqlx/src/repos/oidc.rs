//! OpenID Connect nonces and the rotating signing keys.

/// `OidcRepository` for the dialect.
macro_rules! oidc {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::{db_err, primary_key_is};
            use $crate::macros::sql;
            use $crate::repos::Store;
            use $crate::rows::{OidcNonceRow, SigningKeyRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{OidcNonce, SigningKey};
            use yauth_store::{OidcRepository, StoreResult, constraint};

            #[async_trait::async_trait]
            impl OidcRepository for Store<c::Db> {
                async fn create_oidc_nonce(&self, n: &OidcNonce) -> StoreResult<()> {
                    sql!($d, query, [c::uuid(n.id), &n.nonce_hash, c::uuid(n.authorization_code_id), c::time(n.created_at)],
                        pg: r#"INSERT INTO yauth_oidc_nonces (id, nonce_hash, authorization_code_id, created_at) VALUES ($1, $2, $3, $4)"#,
                        mysql: r#"INSERT INTO yauth_oidc_nonces (id, nonce_hash, authorization_code_id, created_at) VALUES (?, ?, ?, ?)"#,
                        sqlite: r#"INSERT INTO yauth_oidc_nonces (id, nonce_hash, authorization_code_id, created_at) VALUES (?1, ?2, ?3, ?4)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn find_oidc_nonce(&self, authorization_code_id: Uuid) -> StoreResult<Option<OidcNonce>> {
                    let row = sql!($d, query_as(OidcNonceRow), [c::uuid(authorization_code_id)],
                        pg: r#"SELECT id, nonce_hash, authorization_code_id, created_at FROM yauth_oidc_nonces WHERE authorization_code_id = $1 ORDER BY created_at, id LIMIT 1"#,
                        mysql: r#"SELECT id, nonce_hash, authorization_code_id, created_at FROM yauth_oidc_nonces WHERE authorization_code_id = ? ORDER BY created_at, id LIMIT 1"#,
                        sqlite: r#"SELECT id, nonce_hash, authorization_code_id, created_at FROM yauth_oidc_nonces WHERE authorization_code_id = ?1 ORDER BY created_at, id LIMIT 1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
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
pub(crate) use oidc;
