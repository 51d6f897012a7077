//! `AuditLogRepository`: append and the filtered, paginated, newest-first listing.

use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{AuditLogEntry, new_id};

use crate::conformance::fixtures::*;
use crate::{AuditQuery, Page, PageRequest, Repositories};

async fn append(repos: &Repositories, entry: &AuditLogEntry) -> AuditLogEntry {
    repos.audit.append_audit(entry).await.expect("append_audit")
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
        entries.push(append(repos, &entry).await);
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
    let stored = append(&repos, &entry).await;
    assert_eq!(
        stored.chain.as_deref(),
        Some(crate::audit_chain::GLOBAL_CHAIN)
    );
    let page = list(&repos, by_type(&entry.event_type)).await;
    assert_eq!(page.items, vec![stored], "an anonymous entry round-trips");
}

/// Deleting a user keeps their audit entries with `user_id` cleared.
pub async fn audit_user_delete_keeps_entries(repos: Repositories) {
    let user = create_user(&repos).await;
    let entry = AuditLogEntry {
        metadata: Some(json!({ "email": user.email })),
        ..audit_entry(Some(user.id), &event_type(), now())
    };
    let stored = append(&repos, &entry).await;
    repos.users.delete_user(user.id).await.expect("delete_user");
    let page = list(&repos, by_type(&entry.event_type)).await;
    let expected = AuditLogEntry {
        user_id: None,
        ..stored
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

/// Appends link rows into a chain per user: positions from 1, each row naming the hash of the
/// one before, each hash its row's content; the chain verifies, and survives the user's
/// deletion.
pub async fn audit_chain_links_rows(repos: Repositories) {
    let user = create_user(&repos).await;
    let rows = append_series(&repos, Some(user.id), 3).await;
    let chain = user.id.to_string();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.chain.as_deref(), Some(chain.as_str()));
        assert_eq!(row.seq, Some(i as i64 + 1), "positions from 1");
        assert_eq!(
            row.hash.as_deref(),
            Some(crate::audit_chain::link_hash(row).as_str())
        );
    }
    assert_eq!(rows[0].prev_hash, None);
    assert_eq!(rows[1].prev_hash, rows[0].hash);
    assert_eq!(rows[2].prev_hash, rows[1].hash);
    let head = repos.audit.audit_chain_head(&chain).await.expect("head");
    assert_eq!(head.as_ref(), rows.last(), "the head is the newest row");
    let after_one = repos
        .audit
        .list_audit_chain(&chain, 1, 10)
        .await
        .expect("chain");
    assert_eq!(after_one, rows[1..], "rows after a position, by position");
    let limited = repos
        .audit
        .list_audit_chain(&chain, 0, 2)
        .await
        .expect("chain");
    assert_eq!(limited, rows[..2]);
    let chains = repos
        .audit
        .list_audit_chains(None, 100_000)
        .await
        .expect("chains");
    assert!(chains.contains(&chain));
    assert!(
        chains.windows(2).all(|w| w[0] < w[1]),
        "chains ascending, once each"
    );
    let later = repos
        .audit
        .list_audit_chains(Some(&chain), 100_000)
        .await
        .expect("chains");
    assert!(later.iter().all(|c| *c > chain));
    repos.users.delete_user(user.id).await.expect("delete_user");
    let kept = repos
        .audit
        .list_audit_chain(&chain, 0, 10)
        .await
        .expect("chain");
    assert_eq!(kept.len(), 3, "the chain outlives the user");
    let report = crate::audit_chain::verify(repos.audit.as_ref())
        .await
        .expect("verify");
    assert_eq!(report.first_break, None, "an untouched log verifies");
}

/// A taken position is a conflict on `audit_log.chain_seq`.
pub async fn audit_chain_position_conflicts(repos: Repositories) {
    let user = create_user(&repos).await;
    let first = append(&repos, &audit_entry(Some(user.id), &event_type(), now())).await;
    let rival = AuditLogEntry {
        id: new_id(),
        ..first.clone()
    };
    let result = repos.audit.insert_audit(&rival).await;
    assert!(
        result
            .as_ref()
            .is_err_and(|e| e.is_conflict_on(crate::constraint::AUDIT_LOG_CHAIN_SEQ)),
        "a second row at a taken position: {result:?}"
    );
}

/// Concurrent appends to one chain take distinct, contiguous positions: 1..=16, linked.
pub async fn audit_chain_append_race(repos: Repositories) {
    let user = create_user(&repos).await;
    let event = event_type();
    let rows = race(RACERS, |i| {
        let (repos, event) = (repos.clone(), event.clone());
        async move {
            let entry = audit_entry(
                Some(user.id),
                &event,
                now() + Duration::microseconds(i as i64),
            );
            repos
                .audit
                .append_audit(&entry)
                .await
                .expect("append_audit")
        }
    })
    .await;
    let mut seqs: Vec<i64> = rows.iter().filter_map(|r| r.seq).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=RACERS as i64).collect::<Vec<_>>(),
        "one position each"
    );
    let chain = repos
        .audit
        .list_audit_chain(&user.id.to_string(), 0, 100)
        .await
        .expect("chain");
    assert_eq!(chain.len(), RACERS);
    for pair in chain.windows(2) {
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "each row links the one before"
        );
    }
}
