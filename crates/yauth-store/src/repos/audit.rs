//! The audit log.

use async_trait::async_trait;
use yauth_entity::AuditLogEntry;

use crate::{AuditQuery, Page, StoreResult};

/// The audit log.
#[async_trait]
pub trait AuditLogRepository: Send + Sync {
    /// Appends an entry. Errors: `NotFound` when `user_id` names no user.
    async fn append_audit(&self, entry: &AuditLogEntry) -> StoreResult<()>;

    /// Entries matching `query`, newest first (`created_at` then `id`, descending).
    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>>;
}
