//! The audit log, a tamper-evident chain per user (see [`crate::audit_chain`]).

use async_trait::async_trait;
use yauth_entity::AuditLogEntry;

use crate::{AuditQuery, Page, StoreResult};

/// The audit log.
#[async_trait]
pub trait AuditLogRepository: Send + Sync {
    /// Appends an entry at the end of its chain (any chain fields it carries are replaced) and
    /// returns the row as stored. Errors: `NotFound` when `user_id` names no user.
    ///
    /// Backends keep this default: the chaining rule lives once, in
    /// [`audit_chain::append`](crate::audit_chain::append).
    async fn append_audit(&self, entry: &AuditLogEntry) -> StoreResult<AuditLogEntry> {
        crate::audit_chain::append(self, entry).await
    }
    /// Inserts a row whose chain fields are set. Errors: `NotFound` (user),
    /// `Conflict(audit_log.chain_seq)` when its position in the chain is taken.
    async fn insert_audit(&self, entry: &AuditLogEntry) -> StoreResult<()>;
    /// The newest row of `chain` (highest `seq`).
    async fn audit_chain_head(&self, chain: &str) -> StoreResult<Option<AuditLogEntry>>;
    /// Up to `limit` rows of `chain` with `seq > after_seq`, by `seq` ascending.
    async fn list_audit_chain(
        &self,
        chain: &str,
        after_seq: i64,
        limit: u64,
    ) -> StoreResult<Vec<AuditLogEntry>>;
    /// Up to `limit` chain names greater than `after`, ascending.
    async fn list_audit_chains(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>>;
    /// Entries matching `query`, newest first (`created_at` then `id`, descending).
    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>>;
}
