//! `WebhookRepository`: subscriptions and the durable delivery outbox.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{DeliveryStatus, Webhook, WebhookDelivery, WebhookUpdate, new_id};

use crate::conformance::fixtures::*;
use crate::{DeliveryOutcome, Repositories, WebhookRepository};

fn repo(repos: &Repositories) -> Arc<dyn WebhookRepository> {
    need(&repos.webhooks, "webhooks")
}

async fn owned_webhook(repos: &Repositories) -> Webhook {
    let user = create_user(repos).await;
    let hook = webhook(Some(user.id), now());
    repo(repos)
        .create_webhook(&hook)
        .await
        .expect("create_webhook");
    hook
}

async fn enqueue(repos: &Repositories, delivery: &WebhookDelivery) {
    repo(repos)
        .enqueue_delivery(delivery)
        .await
        .expect("enqueue_delivery");
}

async fn deliveries(repos: &Repositories, webhook_id: Uuid) -> Vec<WebhookDelivery> {
    repo(repos)
        .list_deliveries(webhook_id, 100)
        .await
        .expect("list_deliveries")
}

async fn delivery_row(repos: &Repositories, d: &WebhookDelivery) -> WebhookDelivery {
    let all = deliveries(repos, d.webhook_id).await;
    all.into_iter()
        .find(|x| x.id == d.id)
        .expect("the delivery exists")
}

async fn complete(repos: &Repositories, id: Uuid, outcome: DeliveryOutcome, at: OffsetDateTime) {
    let webhooks = repo(repos);
    webhooks
        .complete_delivery(id, &outcome, at)
        .await
        .expect("complete_delivery");
}

fn outcome(success: bool, retry_at: Option<OffsetDateTime>) -> DeliveryOutcome {
    DeliveryOutcome {
        success,
        status_code: Some(if success { 204 } else { 503 }),
        response_body: Some(if success { "" } else { "busy" }.to_owned()),
        error: (!success).then(|| "receiver unavailable".to_owned()),
        duration_ms: Some(if success { 12 } else { 3400 }),
        retry_at,
    }
}

/// A stored webhook is found with every field; unknown ids find nothing.
pub async fn webhooks_create_and_find(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let found = repo(&repos)
        .find_webhook(hook.id)
        .await
        .expect("find_webhook");
    assert_eq!(found, Some(hook), "the stored webhook");
    assert_eq!(
        repo(&repos)
            .find_webhook(new_id())
            .await
            .expect("find_webhook"),
        None
    );
}

/// Site-wide webhooks have no owner; an unknown owner is `NotFound`.
pub async fn webhooks_site_wide_and_unknown_owner(repos: Repositories) {
    let site = webhook(None, now());
    repo(&repos)
        .create_webhook(&site)
        .await
        .expect("a site-wide webhook");
    let all = repo(&repos)
        .list_webhooks(None)
        .await
        .expect("list_webhooks");
    assert!(
        all.contains(&site),
        "list_webhooks(None) lists every webhook"
    );
    let orphan = webhook(Some(new_id()), now());
    let result = repo(&repos).create_webhook(&orphan).await;
    assert_not_found(result, "create_webhook for an unknown owner");
}

/// An owner's webhooks, oldest first, and how many they own.
pub async fn webhooks_list_and_count_by_owner(repos: Repositories) {
    let first = owned_webhook(&repos).await;
    let owner = first.user_id.expect("owned");
    let second = webhook(Some(owner), first.created_at + Duration::seconds(1));
    repo(&repos)
        .create_webhook(&second)
        .await
        .expect("create_webhook");
    owned_webhook(&repos).await;
    let listed = repo(&repos)
        .list_webhooks(Some(owner))
        .await
        .expect("list_webhooks");
    assert_eq!(
        listed,
        vec![first, second],
        "oldest first, own webhooks only"
    );
    assert_eq!(
        repo(&repos)
            .count_webhooks(owner)
            .await
            .expect("count_webhooks"),
        2
    );
    let nobody = repo(&repos)
        .count_webhooks(new_id())
        .await
        .expect("count_webhooks");
    assert_eq!(nobody, 0);
}

/// Only active webhooks are listed as active.
pub async fn webhooks_list_active(repos: Repositories) {
    let active = owned_webhook(&repos).await;
    let inactive = Webhook {
        active: false,
        ..webhook(active.user_id, now())
    };
    repo(&repos)
        .create_webhook(&inactive)
        .await
        .expect("create_webhook");
    let listed = repo(&repos)
        .list_active_webhooks()
        .await
        .expect("list_active_webhooks");
    assert!(listed.contains(&active), "active webhooks are listed");
    assert!(
        listed.iter().all(|w| w.active),
        "only active webhooks are listed"
    );
    assert!(
        !listed.iter().any(|w| w.id == inactive.id),
        "inactive ones are not"
    );
}

/// An update changes the given fields and `updated_at`; unknown ids are `NotFound`.
pub async fn webhooks_update(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let later = hook.updated_at + Duration::minutes(1);
    let update = WebhookUpdate {
        url: Some("https://hooks.example.test/moved".to_owned()),
        secret_enc: None,
        events: Some(json!(["session.created"])),
        active: Some(false),
    };
    let updated = repo(&repos).update_webhook(hook.id, &update, later).await;
    let expected = Webhook {
        url: "https://hooks.example.test/moved".to_owned(),
        events: json!(["session.created"]),
        active: false,
        updated_at: later,
        ..hook.clone()
    };
    assert_eq!(
        updated.expect("update_webhook"),
        expected,
        "the new row is returned"
    );
    let found = repo(&repos)
        .find_webhook(hook.id)
        .await
        .expect("find_webhook");
    assert_eq!(found, Some(expected), "the update is stored");
    let missing = repo(&repos).update_webhook(new_id(), &update, later).await;
    assert_not_found(missing, "update_webhook of an unknown webhook");
}

/// Deleting a webhook removes its deliveries and reports whether it existed.
pub async fn webhooks_delete_cascades_deliveries(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    enqueue(&repos, &delivery(hook.id, NEVER_DUE)).await;
    assert!(
        repo(&repos)
            .delete_webhook(hook.id)
            .await
            .expect("delete_webhook"),
        "existed"
    );
    assert_eq!(
        repo(&repos)
            .find_webhook(hook.id)
            .await
            .expect("find_webhook"),
        None
    );
    assert!(
        deliveries(&repos, hook.id).await.is_empty(),
        "deliveries cascade"
    );
    assert!(
        !repo(&repos)
            .delete_webhook(hook.id)
            .await
            .expect("delete_webhook"),
        "gone: false"
    );
}

/// Enqueueing for an unknown webhook is `NotFound`; a delivery round-trips every field.
pub async fn webhooks_enqueue(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let row = delivery(hook.id, NEVER_DUE);
    enqueue(&repos, &row).await;
    assert_eq!(
        deliveries(&repos, hook.id).await,
        vec![row],
        "the stored delivery"
    );
    let result = repo(&repos)
        .enqueue_delivery(&delivery(new_id(), NEVER_DUE))
        .await;
    assert_not_found(result, "enqueue_delivery for an unknown webhook");
}

/// `list_deliveries`: the newest `limit` of one webhook, newest first.
pub async fn webhooks_list_deliveries_newest_first(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let base = now();
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut row = delivery(hook.id, NEVER_DUE);
        row.created_at = base + Duration::seconds(i);
        enqueue(&repos, &row).await;
        ids.push(row.id);
    }
    let other = owned_webhook(&repos).await;
    enqueue(&repos, &delivery(other.id, NEVER_DUE)).await;
    let listed = repo(&repos)
        .list_deliveries(hook.id, 2)
        .await
        .expect("list_deliveries");
    let listed: Vec<_> = listed.iter().map(|d| d.id).collect();
    assert_eq!(
        listed,
        vec![ids[2], ids[1]],
        "newest first, at most limit, own only"
    );
}

/// Completing with success marks the delivery succeeded and records the response.
pub async fn webhooks_complete_success(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let row = delivery(hook.id, NEVER_DUE);
    enqueue(&repos, &row).await;
    let at = now();
    complete(&repos, row.id, outcome(true, None), at).await;
    let done = delivery_row(&repos, &row).await;
    assert_eq!(done.status, DeliveryStatus::Succeeded, "success: succeeded");
    assert!(done.success, "success flag set");
    assert_eq!(done.status_code, Some(204));
    assert_eq!(done.duration_ms, Some(12), "the attempt's duration");
    assert_eq!(done.locked_until, None, "the lease is cleared");
    assert_eq!(done.updated_at, at);
    let missing = repo(&repos)
        .complete_delivery(new_id(), &outcome(true, None), at)
        .await;
    assert_not_found(missing, "complete_delivery of an unknown delivery");
}

/// A failure with `retry_at` goes back to pending at that time.
pub async fn webhooks_complete_retry(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let row = delivery(hook.id, NEVER_DUE);
    enqueue(&repos, &row).await;
    let retry_at = NEVER_DUE + Duration::minutes(5);
    complete(&repos, row.id, outcome(false, Some(retry_at)), now()).await;
    let retried = delivery_row(&repos, &row).await;
    assert_eq!(
        retried.status,
        DeliveryStatus::Pending,
        "a retry is pending again"
    );
    assert_eq!(retried.next_attempt_at, retry_at, "due at retry_at");
    assert_eq!(retried.last_error.as_deref(), Some("receiver unavailable"));
    assert_eq!(retried.response_body.as_deref(), Some("busy"));
    assert!(!retried.success);
}

/// A failure without `retry_at` gives up: failed.
pub async fn webhooks_complete_give_up(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let row = delivery(hook.id, NEVER_DUE);
    enqueue(&repos, &row).await;
    complete(&repos, row.id, outcome(false, None), now()).await;
    let failed = delivery_row(&repos, &row).await;
    assert_eq!(failed.status, DeliveryStatus::Failed, "no retry_at: failed");
    assert_eq!(failed.status_code, Some(503));
    assert_eq!(failed.duration_ms, Some(3400));
}

/// The queue counts pending and in-flight deliveries, per webhook and over all of them; a
/// delivered or dead-lettered one leaves it.
pub async fn webhooks_count_queued(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let other = owned_webhook(&repos).await;
    let rows: Vec<WebhookDelivery> = (0..3).map(|_| delivery(hook.id, NEVER_DUE)).collect();
    for row in &rows {
        enqueue(&repos, row).await;
    }
    enqueue(&repos, &delivery(other.id, NEVER_DUE)).await;
    let queued = |id| {
        let repos = repos.clone();
        async move {
            repo(&repos)
                .count_queued_deliveries(id)
                .await
                .expect("count_queued_deliveries")
        }
    };
    assert_eq!(queued(Some(hook.id)).await, 3, "three pending");
    assert!(queued(None).await >= 4, "every webhook's deliveries count");
    complete(&repos, rows[0].id, outcome(true, None), now()).await;
    complete(&repos, rows[1].id, outcome(false, None), now()).await;
    let retry_at = NEVER_DUE + Duration::minutes(5);
    complete(&repos, rows[2].id, outcome(false, Some(retry_at)), now()).await;
    assert_eq!(
        queued(Some(hook.id)).await,
        1,
        "delivered and dead-lettered leave the queue; a retry stays"
    );
    assert_eq!(
        queued(Some(new_id())).await,
        0,
        "an unknown webhook has none"
    );
}

/// `find_delivery` finds a delivery by id with every field, and nothing for unknown ids.
pub async fn webhooks_find_delivery(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let row = delivery(hook.id, NEVER_DUE);
    enqueue(&repos, &row).await;
    let found = repo(&repos)
        .find_delivery(row.id)
        .await
        .expect("find_delivery");
    assert_eq!(found, Some(row), "the stored delivery");
    let missing = repo(&repos)
        .find_delivery(new_id())
        .await
        .expect("find_delivery");
    assert_eq!(missing, None, "an unknown id finds nothing");
}

/// Deleting a user removes the webhooks they own.
pub async fn webhooks_user_delete_cascades(repos: Repositories) {
    let hook = owned_webhook(&repos).await;
    let owner = hook.user_id.expect("owned");
    repos.users.delete_user(owner).await.expect("delete_user");
    let found = repo(&repos)
        .find_webhook(hook.id)
        .await
        .expect("find_webhook");
    assert_eq!(found, None, "owned webhooks cascade with the user");
}

/// The start of this run's private stretch of outbox time. It moves back 100 s per real second,
/// so deliveries a crashed earlier run left behind are never due at this run's instants, and it
/// lies centuries after every other case's instants but before [`NEVER_DUE`].
fn outbox_epoch() -> OffsetDateTime {
    let elapsed = now() - datetime!(2020-01-01 00:00:00 UTC);
    datetime!(9000-01-01 00:00:00 UTC) - elapsed * 100
}

async fn claim(
    repos: &Repositories,
    at: OffsetDateTime,
    lease: OffsetDateTime,
    limit: u32,
) -> Vec<WebhookDelivery> {
    let claimed = repo(repos).claim_due_deliveries(at, lease, limit).await;
    claimed.expect("claim_due_deliveries")
}

fn claimed_ids(claimed: &[WebhookDelivery]) -> Vec<Uuid> {
    claimed.iter().map(|d| d.id).collect()
}

/// The only case that claims deliveries (claims take every due delivery, whoever enqueued it).
/// 16 workers claim the same due deliveries and each is claimed exactly once; then claim order
/// and limit, lease expiry, retry and give-up, on the same outbox.
pub async fn webhooks_outbox_claim_race(repos: Repositories) {
    let e = outbox_epoch();
    let hook = owned_webhook(&repos).await;
    let mut due = BTreeSet::new();
    for i in 0..8 {
        let row = delivery(hook.id, e + MICROSECOND * i);
        enqueue(&repos, &row).await;
        due.insert(row.id);
    }
    let (at, lease) = (e + Duration::seconds(1), e + Duration::seconds(31));
    let batches = race(RACERS, |_| {
        let repos = repos.clone();
        async move { claim(&repos, at, lease, 3).await }
    })
    .await;
    let claimed: Vec<WebhookDelivery> = batches.into_iter().flatten().collect();
    let unique: BTreeSet<Uuid> = claimed.iter().map(|d| d.id).collect();
    assert_eq!(
        claimed.len(),
        unique.len(),
        "no delivery is claimed by two workers"
    );
    assert_eq!(unique, due, "every due delivery is claimed");
    for d in &claimed {
        let state = (d.status, d.locked_until, d.attempt);
        assert_eq!(
            state,
            (DeliveryStatus::InFlight, Some(lease), 1),
            "claimed: in flight"
        );
        complete(&repos, d.id, outcome(true, None), at).await;
    }
    outbox_lifecycle(&repos, &hook, e + Duration::seconds(2)).await;
    repo(&repos)
        .delete_webhook(hook.id)
        .await
        .expect("delete_webhook");
}

/// Claim order and limit, lease expiry, retry and give-up, from instant `e` on.
async fn outbox_lifecycle(repos: &Repositories, hook: &Webhook, e: OffsetDateTime) {
    let rows: Vec<_> = [2, 0, 1]
        .iter()
        .map(|i| delivery(hook.id, e + MICROSECOND * *i))
        .collect();
    for row in &rows {
        enqueue(repos, row).await;
    }
    let later = delivery(hook.id, e + Duration::seconds(50));
    enqueue(repos, &later).await;
    let (at, lease) = (e + Duration::seconds(1), e + Duration::seconds(10));
    let first = claim(repos, at, lease, 2).await;
    assert_eq!(
        claimed_ids(&first),
        vec![rows[1].id, rows[2].id],
        "oldest due first, limit"
    );
    let rest = claim(repos, at, lease, 10).await;
    assert_eq!(
        claimed_ids(&rest),
        vec![rows[0].id],
        "the rest; not-yet-due ones stay"
    );
    assert!(
        claim(repos, lease - MICROSECOND, lease, 10)
            .await
            .is_empty(),
        "leases hold"
    );
    let reclaimed = claim(repos, lease, e + Duration::seconds(20), 10).await;
    let expected = vec![rows[1].id, rows[2].id, rows[0].id];
    assert_eq!(
        claimed_ids(&reclaimed),
        expected,
        "an ended lease is claimed again"
    );
    assert!(
        reclaimed.iter().all(|d| d.attempt == 2),
        "a re-claim is a second attempt"
    );
    let done_at = lease + Duration::seconds(1);
    let retry_at = e + Duration::seconds(30);
    complete(repos, rows[0].id, outcome(true, None), done_at).await;
    complete(repos, rows[1].id, outcome(false, Some(retry_at)), done_at).await;
    complete(repos, rows[2].id, outcome(false, None), done_at).await;
    assert!(
        claim(repos, retry_at - MICROSECOND, retry_at, 10)
            .await
            .is_empty(),
        "not yet"
    );
    let retried = claim(repos, retry_at, retry_at + Duration::seconds(5), 10).await;
    assert_eq!(
        claimed_ids(&retried),
        vec![rows[1].id],
        "a retry is due at retry_at"
    );
    assert_eq!(retried[0].attempt, 3);
    complete(repos, rows[1].id, outcome(true, None), done_at).await;
    let last = claim(
        repos,
        later.next_attempt_at,
        later.next_attempt_at + Duration::seconds(5),
        10,
    );
    assert_eq!(
        claimed_ids(&last.await),
        vec![later.id],
        "finished deliveries are never claimed"
    );
}
