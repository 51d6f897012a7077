//! Routes of the core (always mounted).

pub mod activity;
pub mod core;

use yauth_store::PageRequest;

use crate::error::ApiError;

/// Most rows one page of a listing may hold.
pub(crate) const MAX_PAGE: u64 = 100;

/// The page a listing's `offset` and `limit` ask for: 50 rows by default, 1 to [`MAX_PAGE`],
/// and an offset a database can take (at most `i64::MAX`).
pub(crate) fn page_request(
    offset: Option<u64>,
    limit: Option<u64>,
) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(PageRequest::default().limit);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request(
            "invalid_page",
            format!("limit must be between 1 and {MAX_PAGE}."),
        ));
    }
    let offset = offset.unwrap_or(0);
    if i64::try_from(offset).is_err() {
        return Err(ApiError::bad_request(
            "invalid_page",
            "offset is too large.",
        ));
    }
    Ok(PageRequest { offset, limit })
}
