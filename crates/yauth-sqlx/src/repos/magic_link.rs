//! Magic sign-in links.

/// `MagicLinkRepository` for the dialect.
macro_rules! magic_link {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::entity;
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::{by_dialect, sql};
            use $crate::repos::Store;
            use $crate::rows::MagicLinkRow;
            use time::OffsetDateTime;
            use yauth_entity::{MagicLink, normalize_email};
            use yauth_store::{MagicLinkRepository, StoreResult};

            #[async_trait::async_trait]
            impl MagicLinkRepository for Store<c::Db> {
                async fn create_magic_link(&self, l: &MagicLink) -> StoreResult<()> {
                    sql!($d, query, [c::uuid(l.id), normalize_email(&l.email), &l.token_hash, c::time(l.expires_at), l.used, c::time(l.created_at)],
                        pg: r#"INSERT INTO yauth_magic_links (id, email, token_hash, expires_at, used, created_at) VALUES ($1, $2, $3, $4, $5, $6)"#,
                        mysql: r#"INSERT INTO yauth_magic_links (id, email, token_hash, expires_at, used, created_at) VALUES (?, ?, ?, ?, ?, ?)"#,
                        sqlite: r#"INSERT INTO yauth_magic_links (id, email, token_hash, expires_at, used, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn consume_magic_link(
                    &self,
                    token_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<MagicLink>> {
                    let now = c::time(now);
                    let row = by_dialect!($d, returning: {
                        sql!($d, query_as(MagicLinkRow), [token_hash, now],
                            pg: r#"UPDATE yauth_magic_links SET used = TRUE WHERE token_hash = $1 AND used = FALSE AND expires_at > $2 RETURNING id, email, token_hash, expires_at, used, created_at"#,
                            sqlite: r#"UPDATE yauth_magic_links SET used = TRUE WHERE token_hash = ?1 AND used = FALSE AND expires_at > ?2 RETURNING id, email, token_hash, expires_at, used, created_at"#)
                        .fetch_optional(&self.pool).await.map_err(db_err)?
                    }, mysql: {
                        let changed = sql!($d, query, [token_hash, now],
                            mysql: r#"UPDATE yauth_magic_links SET used = TRUE WHERE token_hash = ? AND used = FALSE AND expires_at > ?"#)
                        .execute(&self.pool).await.map(|done| done.rows_affected());
                        $crate::repos::read_if_won(changed, || {
                            sql!($d, query_as(MagicLinkRow), [token_hash],
                                mysql: r#"SELECT id, email, token_hash, expires_at, used, created_at FROM yauth_magic_links WHERE token_hash = ?"#)
                            .fetch_optional(&self.pool)
                        }).await?
                    });
                    entity(row)
                }

                async fn delete_magic_links(&self, email: &str) -> StoreResult<u64> {
                    let done = sql!($d, query, [normalize_email(email)],
                        pg: r#"DELETE FROM yauth_magic_links WHERE email = $1"#,
                        mysql: r#"DELETE FROM yauth_magic_links WHERE email = ?"#,
                        sqlite: r#"DELETE FROM yauth_magic_links WHERE email = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}
pub(crate) use magic_link;
