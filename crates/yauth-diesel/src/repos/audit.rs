//! The audit log.

use async_trait::async_trait;
use yauth_entity::AuditLogEntry;
use yauth_store::{AuditLogRepository, AuditQuery, Page, StoreResult};

use crate::dialect::Dialect;
use crate::rows::{ChainName, Count};
use crate::store::Store;

#[async_trait]
impl<D: Dialect> AuditLogRepository for Store<D> {
    async fn insert_audit(&self, e: &AuditLogEntry) -> StoreResult<()> {
        self.exec(
            self.q(
                "INSERT INTO {p}audit_log (id, user_id, event_type, metadata, ip_address, \
                 created_at, chain, seq, prev_hash, hash) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .uuid(e.id)
            .opt_uuid(e.user_id)
            .text(&e.event_type)
            .opt_json(e.metadata.as_ref())
            .opt_text(e.ip_address.as_deref())
            .ts(e.created_at)
            .opt_text(e.chain.as_deref())
            .opt_i64(e.seq)
            .opt_text(e.prev_hash.as_deref())
            .opt_text(e.hash.as_deref()),
        )
        .await
        .map(drop)
    }

    async fn audit_chain_head(&self, chain: &str) -> StoreResult<Option<AuditLogEntry>> {
        self.opt(
            self.q("SELECT * FROM {p}audit_log WHERE chain = ? ORDER BY seq DESC LIMIT 1")
                .text(chain),
        )
        .await
    }

    async fn list_audit_chain(
        &self,
        chain: &str,
        after_seq: i64,
        limit: u64,
    ) -> StoreResult<Vec<AuditLogEntry>> {
        self.all(
            self.q("SELECT * FROM {p}audit_log WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?")
                .text(chain)
                .i64(after_seq)
                .count(limit),
        )
        .await
    }

    async fn list_audit_chains(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>> {
        let rows: Vec<ChainName> = self
            .all(
                self.q("SELECT DISTINCT chain FROM {p}audit_log \
                     WHERE chain IS NOT NULL AND (? IS NULL OR chain > ?) ORDER BY chain LIMIT ?")
                    .opt_text(after)
                    .opt_text(after)
                    .count(limit),
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>> {
        let filter = "(? IS NULL OR user_id = ?) AND (? IS NULL OR event_type = ?) \
                      AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)";
        let bind = |sql: &str| {
            self.q(sql)
                .opt_uuid(query.user_id)
                .opt_uuid(query.user_id)
                .opt_text(query.event_type.as_deref())
                .opt_text(query.event_type.as_deref())
                .opt_ts(query.since)
                .opt_ts(query.since)
                .opt_ts(query.until)
                .opt_ts(query.until)
        };
        let mut conn = self.conn().await?;
        let total: Option<Count> = bind(&format!(
            "SELECT COUNT(*) AS n FROM {{p}}audit_log WHERE {filter}"
        ))
        .opt(&mut conn)
        .await?;
        let items = bind(&format!(
            "SELECT * FROM {{p}}audit_log WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .count(query.page.limit)
        .count(query.page.offset)
        .all(&mut conn)
        .await?;
        Ok(Page {
            items,
            total: total.map_or(0, |c| c.0 as u64),
        })
    }
}
