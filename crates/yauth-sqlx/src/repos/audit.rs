//! The audit log.

/// `AuditLogRepository` for the dialect.
macro_rules! audit {
    ($d:ident) => {
        const _: () = {
            use $crate::codec::{bound, count, entities};
            use $crate::dialect::$d as c;
            use $crate::error::db_err;
            use $crate::macros::sql;
            use $crate::repos::Store;
            use $crate::rows::AuditRow;
            use yauth_entity::AuditLogEntry;
            use yauth_store::{AuditLogRepository, AuditQuery, Page, StoreResult};

            #[async_trait::async_trait]
            impl AuditLogRepository for Store<c::Db> {
                async fn append_audit(&self, e: &AuditLogEntry) -> StoreResult<()> {
                    sql!($d, query, [
                        c::uuid(e.id), c::opt_uuid(e.user_id), &e.event_type,
                        c::opt_json(e.metadata.as_ref()), e.ip_address.as_deref(), c::time(e.created_at)
                    ],
                    pg: r#"INSERT INTO yauth_audit_log (id, user_id, event_type, metadata, ip_address, created_at) VALUES ($1, $2, $3, $4, $5, $6)"#,
                    mysql: r#"INSERT INTO yauth_audit_log (id, user_id, event_type, metadata, ip_address, created_at) VALUES (?, ?, ?, ?, ?, ?)"#,
                    sqlite: r#"INSERT INTO yauth_audit_log (id, user_id, event_type, metadata, ip_address, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"#)
                    .execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn list_audit(&self, q: &AuditQuery) -> StoreResult<Page<AuditLogEntry>> {
                    let user_id = c::opt_uuid(q.user_id);
                    let event_type = q.event_type.as_deref();
                    let (since, until) = (c::opt_time(q.since), c::opt_time(q.until));
                    let (limit, offset) = (bound(q.page.limit), bound(q.page.offset));
                    let rows = sql!($d, query_as(AuditRow), [user_id.clone(), event_type, since, until, limit, offset],
                        pg: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at FROM yauth_audit_log WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::text IS NULL OR event_type = $2) AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4) ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"#,
                        mysql [user_id.clone(), user_id.clone(), event_type, event_type, since, since, until, until, limit, offset]: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at FROM yauth_audit_log WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR event_type = ?) AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"#,
                        sqlite: r#"SELECT id, user_id, event_type, metadata, ip_address, created_at FROM yauth_audit_log WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR event_type = ?2) AND (?3 IS NULL OR created_at >= ?3) AND (?4 IS NULL OR created_at < ?4) ORDER BY created_at DESC, id DESC LIMIT ?5 OFFSET ?6"#)
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
