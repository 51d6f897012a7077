//! Sessions: the hot path (`validate_session`) is one join.

/// `SessionRepository` for the dialect.
macro_rules! sessions {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{bound, count, entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::sql;
            use $crate::repos::Store;
            use $crate::rows::{SessionRow, SessionUserRow};
            use time::OffsetDateTime;
            use uuid::Uuid;
            use yauth_entity::{Session, User};
            use yauth_store::{Page, PageRequest, SessionRepository, StoreResult};

            #[async_trait::async_trait]
            impl SessionRepository for Store<c::Db> {
                async fn create_session(&self, s: &Session) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(s.id), c::uuid(s.user_id), &s.token_hash, s.ip_address.as_deref(),
                        s.user_agent.as_deref(), c::opt_uuid(s.impersonator_id), c::time(s.expires_at),
                        c::time(s.absolute_expires_at), c::time(s.last_seen_at), c::time(s.created_at), &s.amr
                    ],
                    pg: r#"INSERT INTO yauth_sessions (id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"#,
                    mysql: r#"INSERT INTO yauth_sessions (id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_sessions (id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn validate_session(
                    &self,
                    token_hash: &str,
                    now: OffsetDateTime,
                ) -> StoreResult<Option<(Session, User)>> {
                    let now = c::time(now);
                    let row = sql!($d, query_as(SessionUserRow), [token_hash, now],
                        pg: r#"SELECT s.id, s.user_id, s.token_hash, s.ip_address, s.user_agent, s.impersonator_id, s.expires_at, s.absolute_expires_at, s.last_seen_at, s.created_at, s.amr, u.email AS u_email, u.display_name AS u_display_name, u.email_verified AS u_email_verified, u.role AS u_role, u.banned AS u_banned, u.banned_reason AS u_banned_reason, u.banned_until AS u_banned_until, u.created_at AS u_created_at, u.updated_at AS u_updated_at FROM yauth_sessions s JOIN yauth_users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.absolute_expires_at > $2"#,
                        mysql [token_hash, now, now]: r#"SELECT s.id, s.user_id, s.token_hash, s.ip_address, s.user_agent, s.impersonator_id, s.expires_at, s.absolute_expires_at, s.last_seen_at, s.created_at, s.amr, u.email AS u_email, u.display_name AS u_display_name, u.email_verified AS u_email_verified, u.role AS u_role, u.banned AS u_banned, u.banned_reason AS u_banned_reason, u.banned_until AS u_banned_until, u.created_at AS u_created_at, u.updated_at AS u_updated_at FROM yauth_sessions s JOIN yauth_users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? AND s.absolute_expires_at > ?"#,
                        sqlite: r#"SELECT s.id, s.user_id, s.token_hash, s.ip_address, s.user_agent, s.impersonator_id, s.expires_at, s.absolute_expires_at, s.last_seen_at, s.created_at, s.amr, u.email AS u_email, u.display_name AS u_display_name, u.email_verified AS u_email_verified, u.role AS u_role, u.banned AS u_banned, u.banned_reason AS u_banned_reason, u.banned_until AS u_banned_until, u.created_at AS u_created_at, u.updated_at AS u_updated_at FROM yauth_sessions s JOIN yauth_users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.absolute_expires_at > ?2"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn extend_session(
                    &self,
                    id: Uuid,
                    expires_at: OffsetDateTime,
                    now: OffsetDateTime,
                ) -> StoreResult<bool> {
                    let (expires_at, now) = (c::time(expires_at), c::time(now));
                    let done = sql!($d, query, [c::uuid(id), expires_at, now],
                        pg: r#"UPDATE yauth_sessions SET expires_at = LEAST($2, absolute_expires_at), last_seen_at = $3 WHERE id = $1 AND expires_at > $3 AND absolute_expires_at > $3"#,
                        mysql [expires_at, now, c::uuid(id), now, now]: r#"UPDATE yauth_sessions SET expires_at = LEAST(?, absolute_expires_at), last_seen_at = ? WHERE id = ? AND expires_at > ? AND absolute_expires_at > ?"#,
                        sqlite: r#"UPDATE yauth_sessions SET expires_at = MIN(?2, absolute_expires_at), last_seen_at = ?3 WHERE id = ?1 AND expires_at > ?3 AND absolute_expires_at > ?3"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn find_session(&self, id: Uuid) -> StoreResult<Option<Session>> {
                    let row = sql!($d, query_as(SessionRow), [c::uuid(id)],
                        pg: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE id = $1"#,
                        mysql: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE id = ?"#,
                        sqlite: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE id = ?1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn list_user_sessions(
                    &self,
                    user_id: Uuid,
                    now: OffsetDateTime,
                ) -> StoreResult<Vec<Session>> {
                    let now = c::time(now);
                    let rows = sql!($d, query_as(SessionRow), [c::uuid(user_id), now],
                        pg: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE user_id = $1 AND expires_at > $2 AND absolute_expires_at > $2 ORDER BY created_at DESC, id DESC"#,
                        mysql [c::uuid(user_id), now, now]: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE user_id = ? AND expires_at > ? AND absolute_expires_at > ? ORDER BY created_at DESC, id DESC"#,
                        sqlite: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE user_id = ?1 AND expires_at > ?2 AND absolute_expires_at > ?2 ORDER BY created_at DESC, id DESC"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn list_sessions(
                    &self,
                    page: PageRequest,
                    now: OffsetDateTime,
                ) -> StoreResult<Page<Session>> {
                    let now = c::time(now);
                    let (limit, offset) = (bound(page.limit), bound(page.offset));
                    let rows = sql!($d, query_as(SessionRow), [now, limit, offset],
                        pg: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE expires_at > $1 AND absolute_expires_at > $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"#,
                        mysql [now, now, limit, offset]: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE expires_at > ? AND absolute_expires_at > ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"#,
                        sqlite: r#"SELECT id, user_id, token_hash, ip_address, user_agent, impersonator_id, expires_at, absolute_expires_at, last_seen_at, created_at, amr FROM yauth_sessions WHERE expires_at > ?1 AND absolute_expires_at > ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    let total = sql!($d, query_scalar, [now],
                        pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_sessions WHERE expires_at > $1 AND absolute_expires_at > $1"#,
                        mysql [now, now]: r#"SELECT COUNT(*) AS "n!" FROM yauth_sessions WHERE expires_at > ? AND absolute_expires_at > ?"#,
                        sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_sessions WHERE expires_at > ?1 AND absolute_expires_at > ?1"#)
                    .fetch_one(&self.pool).await.map_err(db_err)?;
                    Ok(Page { items: entities(rows)?, total: count(total) })
                }

                async fn delete_session(&self, id: Uuid) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(id)],
                        pg: r#"DELETE FROM yauth_sessions WHERE id = $1"#,
                        mysql: r#"DELETE FROM yauth_sessions WHERE id = ?"#,
                        sqlite: r#"DELETE FROM yauth_sessions WHERE id = ?1"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn delete_user_session(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
                    let done = sql!($d, query, [c::uuid(id), c::uuid(user_id)],
                        pg: r#"DELETE FROM yauth_sessions WHERE id = $1 AND user_id = $2"#,
                        mysql: r#"DELETE FROM yauth_sessions WHERE id = ? AND user_id = ?"#,
                        sqlite: r#"DELETE FROM yauth_sessions WHERE id = ?1 AND user_id = ?2"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn delete_user_sessions(
                    &self,
                    user_id: Uuid,
                    keep: Option<Uuid>,
                ) -> StoreResult<u64> {
                    let keep = c::opt_uuid(keep);
                    let done = sql!($d, query, [c::uuid(user_id), keep.clone()],
                        pg: r#"DELETE FROM yauth_sessions WHERE user_id = $1 AND ($2::uuid IS NULL OR id <> $2)"#,
                        mysql [c::uuid(user_id), keep.clone(), keep]: r#"DELETE FROM yauth_sessions WHERE user_id = ? AND (? IS NULL OR id <> ?)"#,
                        sqlite: r#"DELETE FROM yauth_sessions WHERE user_id = ?1 AND (?2 IS NULL OR id <> ?2)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}
pub(crate) use sessions;
