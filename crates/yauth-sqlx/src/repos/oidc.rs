//! OpenID Connect nonces.

/// `OidcRepository` for the dialect.
macro_rules! oidc {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::entity;
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::sql;
            use $crate::repos::Store;
            use $crate::rows::OidcNonceRow;
            use uuid::Uuid;
            use yauth_entity::OidcNonce;
            use yauth_store::{OidcRepository, StoreResult};

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
            }
        };
    };
}
pub(crate) use oidc;
