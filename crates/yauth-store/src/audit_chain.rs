//! The tamper-evident audit trail: every audit row carries the SHA-256 of its content and of
//! the row before it in its chain, so editing or removing a row breaks the links after it.
//!
//! One chain per user (named by the user's id, kept when the user is deleted and `user_id` is
//! cleared by the foreign key) and one, [`GLOBAL_CHAIN`], for events about no user. A row's
//! position (`seq`, from 1) is unique per chain: two writers that read the same head race for
//! the same position, the database lets one win and the other appends after it
//! ([`append`]). No writer holds a lock, and replicas need no coordination.
//!
//! What is hashed, in order, each field length-prefixed: chain, seq, prev_hash, id,
//! event_type, metadata (canonical JSON: keys sorted), ip_address, created_at (Unix
//! microseconds). `user_id` is not hashed (a deletion clears it); [`verify`] checks it is the
//! chain's user or empty instead.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};
use uuid::Uuid;
use yauth_entity::AuditLogEntry;

use crate::{AuditLogRepository, StoreError, StoreResult, constraint};

/// The chain of events about no user.
pub const GLOBAL_CHAIN: &str = "global";

/// How many times an append retries after losing the race for a position.
const APPEND_ATTEMPTS: usize = 64;

/// The chain an event about `user_id` belongs to.
pub fn chain_of(user_id: Option<Uuid>) -> String {
    user_id.map_or_else(|| GLOBAL_CHAIN.to_owned(), |id| id.to_string())
}

/// The hash of `entry` at its position (its `chain`, `seq` and `prev_hash` as set).
pub fn link_hash(entry: &AuditLogEntry) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(entry.chain.as_deref().unwrap_or("").as_bytes());
    field(&entry.seq.unwrap_or(0).to_be_bytes());
    field(entry.prev_hash.as_deref().unwrap_or("").as_bytes());
    field(entry.id.as_bytes());
    field(entry.event_type.as_bytes());
    let metadata = entry
        .metadata
        .as_ref()
        .map(canonical_json)
        .unwrap_or_default();
    field(metadata.as_bytes());
    field(entry.ip_address.as_deref().unwrap_or("").as_bytes());
    let micros = entry.created_at.unix_timestamp_nanos() / 1_000;
    field(&micros.to_be_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// JSON with object keys sorted at every level, whatever order the database returned them in
/// (PostgreSQL's jsonb and MySQL's JSON reorder keys).
pub fn canonical_json(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Appends `entry` (its chain fields are ignored) at the end of its chain and returns the row
/// as stored. Backends implement [`AuditLogRepository::append_audit`] with this.
pub async fn append<R: AuditLogRepository + ?Sized>(
    repo: &R,
    entry: &AuditLogEntry,
) -> StoreResult<AuditLogEntry> {
    let chain = chain_of(entry.user_id);
    for _ in 0..APPEND_ATTEMPTS {
        let head = repo.audit_chain_head(&chain).await?;
        let mut row = entry.clone();
        row.chain = Some(chain.clone());
        row.seq = Some(head.as_ref().and_then(|h| h.seq).unwrap_or(0) + 1);
        row.prev_hash = head.and_then(|h| h.hash);
        row.hash = Some(link_hash(&row));
        match repo.insert_audit(&row).await {
            Ok(()) => return Ok(row),
            // Another writer took the position: read the new head and try after it.
            Err(error) if error.is_conflict_on(constraint::AUDIT_LOG_CHAIN_SEQ) => {}
            Err(error) => return Err(error),
        }
    }
    Err(StoreError::Unavailable(format!(
        "audit chain {chain}: no free position after {APPEND_ATTEMPTS} attempts"
    )))
}

/// What is wrong with a chain row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainFault {
    /// The row's content no longer matches its hash: it was edited.
    Altered,
    /// Rows are missing before this one (its position skips, or its `prev_hash` names a row
    /// that is not there): they were removed.
    Missing,
    /// The row names a user other than its chain's.
    WrongUser,
}

/// The first fault found in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The chain.
    pub chain: String,
    /// The position at which the chain breaks.
    pub seq: i64,
    /// The row found there (for `Missing`, the first row after the gap), if any.
    pub id: Option<Uuid>,
    /// What is wrong.
    pub fault: ChainFault,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainReport {
    /// Chains checked.
    pub chains: u64,
    /// Rows checked.
    pub rows: u64,
    /// The first break, chains in name order; `None` when every chain is intact.
    pub first_break: Option<ChainBreak>,
}

const VERIFY_PAGE: u64 = 500;

/// Checks every chain from its first row: positions contiguous from 1, each `prev_hash` the
/// previous row's hash, each hash the row's content. Stops at the first break. Removing a
/// chain's newest rows leaves no gap behind them; anchor the heads elsewhere (for example, log
/// [`ChainReport`]s) to notice that.
pub async fn verify<R: AuditLogRepository + ?Sized>(repo: &R) -> StoreResult<ChainReport> {
    let mut report = ChainReport::default();
    let mut after: Option<String> = None;
    loop {
        let chains = repo
            .list_audit_chains(after.as_deref(), VERIFY_PAGE)
            .await?;
        let Some(last) = chains.last().cloned() else {
            return Ok(report);
        };
        for chain in chains {
            report.chains += 1;
            if let Some(fault) = verify_chain(repo, &chain, &mut report.rows).await? {
                report.first_break = Some(fault);
                return Ok(report);
            }
        }
        after = Some(last);
    }
}

async fn verify_chain<R: AuditLogRepository + ?Sized>(
    repo: &R,
    chain: &str,
    rows: &mut u64,
) -> StoreResult<Option<ChainBreak>> {
    let user = chain.parse::<Uuid>().ok();
    let (mut expected, mut prev): (i64, Option<String>) = (1, None);
    loop {
        let page = repo
            .list_audit_chain(chain, expected - 1, VERIFY_PAGE)
            .await?;
        if page.is_empty() {
            return Ok(None);
        }
        for row in page {
            *rows += 1;
            let at = |fault| ChainBreak {
                chain: chain.to_owned(),
                seq: expected,
                id: Some(row.id),
                fault,
            };
            if row.seq != Some(expected) || row.prev_hash != prev {
                return Ok(Some(at(ChainFault::Missing)));
            }
            if row.hash.as_deref() != Some(link_hash(&row).as_str()) {
                return Ok(Some(at(ChainFault::Altered)));
            }
            if row.user_id.is_some() && row.user_id != user {
                return Ok(Some(at(ChainFault::WrongUser)));
            }
            prev = row.hash;
            expected += 1;
        }
    }
}
