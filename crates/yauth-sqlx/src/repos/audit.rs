//! The audit log.

/// `AuditLogRepository` for the dialect.
macro_rules! audit {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{bound, count, entities, entity};
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::sql;
            use $crate::repos::Store;
            use $crate::rows::AuditRow;
            use yauth_entity::AuditLogEntry;
            use yauth_store::{AuditLogRepository, AuditQuery, Page, StoreResult};

            #[async_trait::async_trait]
            impl AuditLogRepository for Store<c::Db> {
                async fn insert_audit(&self, e: &AuditLogEntry) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(e.id), c::opt_uuid(e.user_id), &e.event_type,
                        c::opt_json(e.metadata.as_ref()), e.ip_address.as_deref(), c::time(e.created_at),
                        e.chain.as_deref(), e.seq, e.prev_hash.as_deref(), e.hash.as_deref()
                    ],
                    pg: r#"INSERT INTO yauth_audit_log (id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#,
                    mysql: r#"INSERT INTO yauth_audit_log (id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_audit_log (id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn audit_chain_head(&self, chain: &str) -> StoreResult<Option<AuditLogEntry>> {
                    let row = sql!($d, query_as(AuditRow), [chain],
                        pg: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE chain = $1 ORDER BY seq DESC LIMIT 1"#,
                        mysql: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE chain = ? ORDER BY seq DESC LIMIT 1"#,
                        sqlite: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE chain = ?1 ORDER BY seq DESC LIMIT 1"#)
                    .fetch_optional(&self.pool).await.map_err(db_err)?;
                    entity(row)
                }

                async fn list_audit_chain(&self, chain: &str, after_seq: i64, limit: u64) -> StoreResult<Vec<AuditLogEntry>> {
                    let limit = bound(limit);
                    let rows = sql!($d, query_as(AuditRow), [chain, after_seq, limit],
                        pg: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3"#,
                        mysql: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?"#,
                        sqlite: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE chain = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    entities(rows)
                }

                async fn list_audit_chains(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>> {
                    let limit = bound(limit);
                    let rows = sql!($d, query_scalar, [after, limit],
                        pg: r#"SELECT DISTINCT chain AS "chain!" FROM yauth_audit_log WHERE chain IS NOT NULL AND ($1::text IS NULL OR chain > $1) ORDER BY chain LIMIT $2"#,
                        mysql [after, after, limit]: r#"SELECT DISTINCT chain AS "chain!" FROM yauth_audit_log WHERE chain IS NOT NULL AND (? IS NULL OR chain > ?) ORDER BY chain LIMIT ?"#,
                        sqlite: r#"SELECT DISTINCT chain AS "chain!" FROM yauth_audit_log WHERE chain IS NOT NULL AND (?1 IS NULL OR chain > ?1) ORDER BY chain LIMIT ?2"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    Ok(rows)
                }

                async fn list_audit(&self, q: &AuditQuery) -> StoreResult<Page<AuditLogEntry>> {
                    let user_id = c::opt_uuid(q.user_id);
                    let event_type = q.event_type.as_deref();
                    let (since, until) = (c::opt_time(q.since), c::opt_time(q.until));
                    let (limit, offset) = (bound(q.page.limit), bound(q.page.offset));
                    let rows = sql!($d, query_as(AuditRow), [user_id.clone(), event_type, since, until, limit, offset],
                        pg: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::text IS NULL OR event_type = $2) AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4) ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"#,
                        mysql [user_id.clone(), user_id.clone(), event_type, event_type, since, since, until, until, limit, offset]: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR event_type = ?) AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"#,
                        sqlite: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at, chain, seq, prev_hash, hash FROM yauth_audit_log WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR event_type = ?2) AND (?3 IS NULL OR created_at >= ?3) AND (?4 IS NULL OR created_at < ?4) ORDER BY created_at DESC, id DESC LIMIT ?5 OFFSET ?6"#)
                    .fetch_all(&self.pool).await.map_err(db_err)?;
                    let total = sql!($d, query_scalar, [user_id.clone(), event_type, since, until],
                        pg: r#"SELECT COUNT(*) AS "n!" FROM yauth_audit_log WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::text IS NULL OR event_type = $2) AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)"#,
                        mysql [user_id.clone(), user_id, event_type, event_type, since, since, until, until]: r#"SELECT COUNT(*) AS "n!" FROM yauth_audit_log WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR event_type = ?) AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)"#,
                        sqlite: r#"SELECT COUNT(*) AS "n!" FROM yauth_audit_log WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR event_type = ?2) AND (?3 IS NULL OR created_at >= ?3) AND (?4 IS NULL OR created_at < ?4)"#)
                    .fetch_one(&self.pool).await.map_err(db_err)?;
                    Ok(Page { items: entities(rows)?, total: count(total) })
                }
            }
        };
    };
}
pub(crate) use audit;
