//! Query and result shapes shared by several repositories.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Which slice of a listing to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return at most.
    pub limit: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            offset: 0,
            limit: 50,
        }
    }
}

/// One page of a listing, with the total number of matching rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match in all.
    pub total: u64,
}

/// The admin user listing: newest first, optionally filtered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Case-insensitive substring of the email or display name. `%` and `_` match themselves.
    pub search: Option<String>,
    /// Only users with exactly this role.
    pub role: Option<String>,
    /// Only users whose stored `banned` flag is this (a temporary ban past its end still counts
    /// until it is lifted).
    pub banned: Option<bool>,
    /// The page.
    pub page: PageRequest,
}

/// An audit-log query: newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this user.
    pub user_id: Option<Uuid>,
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Only events at or after this instant.
    pub since: Option<OffsetDateTime>,
    /// Only events strictly before this instant.
    pub until: Option<OffsetDateTime>,
    /// The page.
    pub page: PageRequest,
}

/// The answer to one rate-limit hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether this hit is within the limit.
    pub allowed: bool,
    /// Hits counted in the current window, this one included.
    pub count: u32,
    /// The limit the hit was checked against.
    pub limit: u32,
    /// When the current window ends.
    pub reset_at: OffsetDateTime,
}

impl RateDecision {
    /// The decision after a hit brought the window's stored counter to `count`: allowed while
    /// it is at most `limit`. A counter that does not fit a `u32` is over every limit.
    pub fn counted(count: i64, limit: u32, reset_at: OffsetDateTime) -> Self {
        let count = u32::try_from(count.max(0)).unwrap_or(u32::MAX);
        Self {
            allowed: count <= limit,
            count,
            limit,
            reset_at,
        }
    }

    /// Hits left in the current window.
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.count)
    }

    /// How long a refused caller should wait (for `Retry-After`); at least one second.
    pub fn retry_after(&self, now: OffsetDateTime) -> Duration {
        (self.reset_at - now).max(Duration::seconds(1))
    }
}

/// What `purge_expired` removed, by table (without prefix).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Rows removed per table.
    pub removed: BTreeMap<String, u64>,
}

impl PurgeReport {
    /// Adds `count` removed rows of `table`.
    pub fn add(&mut self, table: &str, count: u64) {
        *self.removed.entry(table.to_owned()).or_default() += count;
    }

    /// Rows removed from `table`.
    pub fn get(&self, table: &str) -> u64 {
        self.removed.get(table).copied().unwrap_or(0)
    }

    /// Rows removed in all.
    pub fn total(&self) -> u64 {
        self.removed.values().sum()
    }
}

/// Escapes `%`, `_` and `\` so a search term matches literally in a `LIKE ... ESCAPE '\'`
/// pattern; SQL backends use it to build the pattern for [`UserQuery::search`].
pub fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
