//! `AuditLogRepository`: append and the filtered, paginated, newest-first listing.

use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{AuditLogEntry, new_id};

use crate::conformance::fixtures::*;
use crate::{AuditQuery, Page, PageRequest, Repositories};

async fn append(repos: &Repositories, entry: &AuditLogEntry) {
    repos.audit.append_audit(entry).await.expect("append_audit");
}

async fn list(repos: &Repositories, query: AuditQuery) -> Page<AuditLogEntry> {
    repos.audit.list_audit(&query).await.expect("list_audit")
}

fn by_type(event_type: &str) -> AuditQuery {
    AuditQuery {
        event_type: Some(event_type.to_owned()),
        ..AuditQuery::default()
    }
}

fn entry_ids(entries: &[AuditLogEntry]) -> Vec<Uuid> {
    entries.iter().map(|e| e.id).collect()
}

/// Appends `n` entries of one fresh type about `user_id`, one second apart (last is newest).
async fn append_series(repos: &Repositories, user_id: Option<Uuid>, n: i64) -> Vec<AuditLogEntry> {
    let event = event_type();
    let base = now();
    let mut entries = Vec::new();
    for i in 0..n {
        let entry = audit_entry(user_id, &event, base + Duration::seconds(i));
        append(repos, &entry).await;
        entries.push(entry);
    }
    entries
}

/// Entries about a user are listed with every field, newest first, and nobody else's.
pub async fn audit_append_and_list_by_user(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let entries = append_series(&repos, Some(user.id), 2).await;
    append(
        &repos,
        &audit_entry(Some(other.id), &entries[0].event_type, now()),
    )
    .await;
    let query = AuditQuery {
        user_id: Some(user.id),
        ..AuditQuery::default()
    };
    let page = list(&repos, query).await;
    let expected: Vec<_> = entries.into_iter().rev().collect();
    assert_eq!(
        page.items, expected,
        "list_audit by user: every field, newest first"
    );
    assert_eq!(page.total, 2, "total counts the user's entries");
}

/// Filtering by event type.
pub async fn audit_list_by_event_type(repos: Repositories) {
    let entries = append_series(&repos, None, 3).await;
    append(&repos, &audit_entry(None, &event_type(), now())).await;
    let page = list(&repos, by_type(&entries[0].event_type)).await;
    assert_eq!(page.total, 3, "only entries of the type are counted");
    assert_eq!(
        entry_ids(&page.items),
        entry_ids(&entries).into_iter().rev().collect::<Vec<_>>()
    );
}

/// `since` is inclusive, `until` exclusive.
pub async fn audit_list_by_time_range(repos: Repositories) {
    let entries = append_series(&repos, None, 4).await;
    let event = &entries[0].event_type;
    let query = AuditQuery {
        since: Some(entries[1].created_at),
        until: Some(entries[3].created_at),
        ..by_type(event)
    };
    let page = list(&repos, query).await;
    assert_eq!(
        entry_ids(&page.items),
        vec![entries[2].id, entries[1].id],
        "since is inclusive, until exclusive"
    );
    let only_since = AuditQuery {
        since: Some(entries[3].created_at - MICROSECOND),
        ..by_type(event)
    };
    assert_eq!(
        entry_ids(&list(&repos, only_since).await.items),
        vec![entries[3].id]
    );
}

/// Pages of the listing: offset, limit, total, newest first.
pub async fn audit_pagination_newest_first(repos: Repositories) {
    let entries = append_series(&repos, None, 5).await;
    let query = AuditQuery {
        page: PageRequest {
            offset: 1,
            limit: 2,
        },
        ..by_type(&entries[0].event_type)
    };
    let page = list(&repos, query).await;
    assert_eq!(page.total, 5, "total ignores the page");
    assert_eq!(
        entry_ids(&page.items),
        vec![entries[3].id, entries[2].id],
        "offset 1, limit 2"
    );
}

/// Entries at the same instant are ordered by id, descending.
pub async fn audit_ties_by_id_desc(repos: Repositories) {
    let event = event_type();
    let at = now();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let entry = audit_entry(None, &event, at);
        append(&repos, &entry).await;
        ids.push(entry.id);
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(entry_ids(&list(&repos, by_type(&event)).await.items), ids);
}

/// An entry about an unknown user is `NotFound`.
pub async fn audit_append_unknown_user_not_found(repos: Repositories) {
    let result = repos
        .audit
        .append_audit(&audit_entry(Some(new_id()), &event_type(), now()))
        .await;
    assert_not_found(result, "append_audit about an unknown user");
}

/// An entry without user and with null-ish optional fields round-trips.
pub async fn audit_entry_without_user(repos: Repositories) {
    let entry = AuditLogEntry {
        metadata: None,
        ip_address: None,
        ..audit_entry(None, &event_type(), now())
    };
    append(&repos, &entry).await;
    let page = list(&repos, by_type(&entry.event_type)).await;
    assert_eq!(page.items, vec![entry], "an anonymous entry round-trips");
}

/// Deleting a user keeps their audit entries with `user_id` cleared.
pub async fn audit_user_delete_keeps_entries(repos: Repositories) {
    let user = create_user(&repos).await;
    let entry = AuditLogEntry {
        metadata: Some(json!({ "email": user.email })),
        ..audit_entry(Some(user.id), &event_type(), now())
    };
    append(&repos, &entry).await;
    repos.users.delete_user(user.id).await.expect("delete_user");
    let page = list(&repos, by_type(&entry.event_type)).await;
    let expected = AuditLogEntry {
        user_id: None,
        ..entry
    };
    assert_eq!(
        page.items,
        vec![expected],
        "audit rows outlive the user, user_id cleared"
    );
}

/// Time filters at microsecond resolution.
pub async fn audit_time_filter_microseconds(repos: Repositories) {
    let event = event_type();
    let at: OffsetDateTime = now();
    let entry = audit_entry(None, &event, at);
    append(&repos, &entry).await;
    let after = AuditQuery {
        since: Some(at + MICROSECOND),
        ..by_type(&event)
    };
    assert_eq!(
        list(&repos, after).await.total,
        0,
        "since one microsecond later excludes it"
    );
    let before = AuditQuery {
        until: Some(at + MICROSECOND),
        ..by_type(&event)
    };
    assert_eq!(
        list(&repos, before).await.total,
        1,
        "until one microsecond later includes it"
    );
}
