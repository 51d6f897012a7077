//! The audit log.

use async_trait::async_trait;
use yauth_entity::AuditLogEntry;

use super::MemoryStore;
use super::state::{newest_first, paginate};
use crate::repos::*;
use crate::{AuditQuery, Page, StoreResult};

#[async_trait]
impl AuditLogRepository for MemoryStore {
    async fn append_audit(&self, entry: &AuditLogEntry) -> StoreResult<()> {
        let mut st = self.state.write();
        if let Some(user_id) = entry.user_id {
            st.require_user(user_id)?;
        }
        st.audit.push(entry.clone());
        Ok(())
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
