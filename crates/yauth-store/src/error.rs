//! Errors every repository returns.

/// What can go wrong in a storage operation.
///
/// Backends map their driver errors onto these variants; database text stays in the message for
/// logs and is never shown to HTTP clients (the library maps variants to stable error codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule was violated. `constraint` is one of the stable names in
    /// [`constraint`](crate::constraint#constants), whatever the database calls it.
    #[error("conflict on {constraint}")]
    Conflict {
        /// Stable name of the violated rule, e.g. [`USERS_EMAIL`](crate::constraint::USERS_EMAIL).
        constraint: String,
    },
    /// The row the operation needs does not exist (including a foreign key that points nowhere).
    #[error("not found")]
    NotFound,
    /// The database could not be reached (pool exhausted, connection refused, timeout).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a corrupted row.
    #[error("storage error: {0}")]
    Internal(String),
}

impl StoreError {
    /// A conflict on the named rule.
    pub fn conflict(constraint: &str) -> Self {
        Self::Conflict {
            constraint: constraint.to_owned(),
        }
    }

    /// Whether this is a conflict on `constraint`.
    pub fn is_conflict_on(&self, constraint: &str) -> bool {
        matches!(self, Self::Conflict { constraint: c } if c == constraint)
    }
}

/// The result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;
