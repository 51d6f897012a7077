//! The audit log.

use async_trait::async_trait;
use yauth_entity::AuditLogEntry;

use super::MemoryStore;
use super::state::{newest_first, paginate};
use crate::repos::*;
use crate::{AuditQuery, Page, StoreError, StoreResult, constraint};

#[async_trait]
impl AuditLogRepository for MemoryStore {
    async fn insert_audit(&self, entry: &AuditLogEntry) -> StoreResult<()> {
        let mut st = self.state.write();
        if let Some(user_id) = entry.user_id {
            st.require_user(user_id)?;
        }
        let taken = entry.chain.is_some()
            && st
                .audit
                .iter()
                .any(|e| e.chain == entry.chain && e.seq == entry.seq);
        if taken {
            return Err(StoreError::conflict(constraint::AUDIT_LOG_CHAIN_SEQ));
        }
        st.audit.push(entry.clone());
        Ok(())
    }

    async fn audit_chain_head(&self, chain: &str) -> StoreResult<Option<AuditLogEntry>> {
        let st = self.state.read();
        Ok(st
            .audit
            .iter()
            .filter(|e| e.chain.as_deref() == Some(chain))
            .max_by_key(|e| e.seq)
            .cloned())
    }

    async fn list_audit_chain(
        &self,
        chain: &str,
        after_seq: i64,
        limit: u64,
    ) -> StoreResult<Vec<AuditLogEntry>> {
        let st = self.state.read();
        let mut rows: Vec<AuditLogEntry> = st
            .audit
            .iter()
            .filter(|e| e.chain.as_deref() == Some(chain) && e.seq.is_some_and(|s| s > after_seq))
            .cloned()
            .collect();
        rows.sort_by_key(|e| e.seq);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(rows)
    }

    async fn list_audit_chains(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>> {
        let st = self.state.read();
        let chains: std::collections::BTreeSet<&str> = st
            .audit
            .iter()
            .filter_map(|e| e.chain.as_deref())
            .filter(|c| after.is_none_or(|a| *c > a))
            .collect();
        Ok(chains
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(str::to_owned)
            .collect())
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>> {
        let st = self.state.read();
        let mut entries: Vec<AuditLogEntry> = st
            .audit
            .iter()
            .filter(|e| query.user_id.is_none_or(|u| e.user_id == Some(u)))
            .filter(|e| {
                query
                    .event_type
                    .as_deref()
                    .is_none_or(|t| e.event_type == t)
            })
            .filter(|e| query.since.is_none_or(|t| e.created_at >= t))
            .filter(|e| query.until.is_none_or(|t| e.created_at < t))
            .cloned()
            .collect();
        newest_first(&mut entries, |e| (e.created_at, e.id));
        Ok(paginate(entries, query.page))
    }
}
