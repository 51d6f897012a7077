//! `AccountLockoutRepository`: atomic failed-login counters, locks and unlock tokens.

use std::sync::Arc;

use futures::FutureExt;
use time::Duration;
use yauth_entity::{AccountLock, UnlockToken, new_id};

use crate::conformance::fixtures::*;
use crate::conformance::single_use::SingleUse;
use crate::{AccountLockoutRepository, Repositories, constraint};

fn repo(repos: &Repositories) -> Arc<dyn AccountLockoutRepository> {
    need(&repos.account_lockout, "account-lockout")
}

pub(crate) fn unlock_tokens(repos: &Repositories) -> SingleUse<String> {
    SingleUse {
        what: "unlock token",
        repos: repos.clone(),
        issue: |repos, expires_at| {
            async move {
                let user = create_user(&repos).await;
                let token = unlock_token(user.id, expires_at);
                repo(&repos)
                    .create_unlock_token(&token)
                    .await
                    .expect("create_unlock_token");
                token.token_hash
            }
            .boxed()
        },
        consume: |repos, hash, now| {
            async move {
                let token = repo(&repos).consume_unlock_token(&hash, now).await;
                token
                    .expect("consume_unlock_token")
                    .is_some_and(|t| t.token_hash == hash)
            }
            .boxed()
        },
        unknown: |_| token_hash(),
    }
}

async fn find(repos: &Repositories, user_id: uuid::Uuid) -> Option<AccountLock> {
    repo(repos)
        .find_account_lock(user_id)
        .await
        .expect("find_account_lock")
}

/// Failed logins count up from 1, creating the row; unknown users are `NotFound`.
pub async fn lockout_record_failed_login_counts(repos: Repositories) {
    let user = create_user(&repos).await;
    assert_eq!(
        find(&repos, user.id).await,
        None,
        "no row before the first failure"
    );
    let now = now();
    for expected in 1..=3 {
        let lock = repo(&repos).record_failed_login(user.id, now).await;
        let lock = lock.expect("record_failed_login");
        assert_eq!(
            lock.failed_count, expected,
            "the row after the increment is returned"
        );
        assert_eq!(lock.user_id, user.id);
        assert!(!lock.is_locked_at(now), "counting alone does not lock");
    }
    let stored = find(&repos, user.id).await.expect("the row exists");
    assert_eq!(stored.failed_count, 3, "the count is stored");
    let missing = repo(&repos).record_failed_login(new_id(), now).await;
    assert_not_found(missing, "record_failed_login for an unknown user");
}

/// Concurrent failures each see a distinct count: exactly 1..=16.
pub async fn lockout_failed_login_race(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let locks = race(RACERS, |_| {
        let repos = repos.clone();
        async move {
            repo(&repos)
                .record_failed_login(user.id, now)
                .await
                .expect("record")
        }
    })
    .await;
    let mut counts: Vec<i32> = locks.iter().map(|l| l.failed_count).collect();
    counts.sort_unstable();
    let expected: Vec<i32> = (1..=RACERS as i32).collect();
    assert_eq!(
        counts, expected,
        "concurrent increments each see a distinct failed_count"
    );
}

/// Locking increments `lock_count`, resets `failed_count`, records until and reason.
pub async fn lockout_lock_account(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    repo(&repos)
        .record_failed_login(user.id, now)
        .await
        .expect("record");
    let until = now + Duration::minutes(15);
    let lock = repo(&repos)
        .lock_account(user.id, until, Some("too many failures"), now)
        .await;
    let lock = lock.expect("lock_account");
    assert_eq!(lock.failed_count, 0, "locking resets failed_count");
    assert_eq!(lock.lock_count, 1, "locking increments lock_count");
    assert_eq!(lock.locked_until, Some(until));
    assert_eq!(lock.locked_reason.as_deref(), Some("too many failures"));
    assert_eq!(
        find(&repos, user.id).await,
        Some(lock.clone()),
        "the lock is stored"
    );
    let again = repo(&repos).lock_account(user.id, until, None, now).await;
    assert_eq!(
        again.expect("lock_account").lock_count,
        2,
        "every lock counts"
    );
    let missing = repo(&repos).lock_account(new_id(), until, None, now).await;
    assert_not_found(missing, "lock_account for an unknown user");
}

/// A lock holds until the microsecond before `locked_until`.
pub async fn lockout_is_locked_edge(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let until = now + Duration::minutes(15);
    let lock = repo(&repos)
        .lock_account(user.id, until, None, now)
        .await
        .expect("lock");
    assert!(
        lock.is_locked_at(until - MICROSECOND),
        "locked before locked_until"
    );
    assert!(!lock.is_locked_at(until), "unlocked at locked_until");
}

/// A successful login resets the failure count only.
pub async fn lockout_reset_failed_logins(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let until = now + Duration::minutes(15);
    repo(&repos)
        .lock_account(user.id, until, None, now)
        .await
        .expect("lock");
    repo(&repos)
        .record_failed_login(user.id, now)
        .await
        .expect("record");
    repo(&repos)
        .reset_failed_logins(user.id, now)
        .await
        .expect("reset_failed_logins");
    let lock = find(&repos, user.id).await.expect("the row exists");
    assert_eq!(lock.failed_count, 0, "failed_count = 0");
    assert_eq!(
        (lock.lock_count, lock.locked_until),
        (1, Some(until)),
        "the lock is kept"
    );
    let other = create_user(&repos).await;
    repo(&repos)
        .reset_failed_logins(other.id, now)
        .await
        .expect("reset without a row is fine");
}

/// Unlocking clears the lock and the failures but keeps `lock_count`.
pub async fn lockout_unlock_account(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    repo(&repos)
        .lock_account(user.id, now + Duration::hours(1), Some("x"), now)
        .await
        .expect("lock");
    repo(&repos)
        .record_failed_login(user.id, now)
        .await
        .expect("record");
    assert!(
        repo(&repos)
            .unlock_account(user.id, now)
            .await
            .expect("unlock"),
        "a row existed"
    );
    let lock = find(&repos, user.id).await.expect("the row exists");
    assert_eq!(
        (lock.locked_until, lock.locked_reason),
        (None, None),
        "the lock is lifted"
    );
    assert_eq!(lock.failed_count, 0, "failures are cleared");
    assert_eq!(lock.lock_count, 1, "lock_count is kept for backoff");
    let other = create_user(&repos).await;
    let none = repo(&repos).unlock_account(other.id, now).await;
    assert!(!none.expect("unlock_account"), "no row: false");
}

/// A taken token hash is a conflict; an unknown user is `NotFound`.
pub async fn lockout_unlock_token_create_errors(repos: Repositories) {
    let user = create_user(&repos).await;
    let token = unlock_token(user.id, now() + Duration::hours(1));
    repo(&repos)
        .create_unlock_token(&token)
        .await
        .expect("create_unlock_token");
    let twin = UnlockToken {
        id: new_id(),
        ..token.clone()
    };
    let result = repo(&repos).create_unlock_token(&twin).await;
    let name = constraint::UNLOCK_TOKENS_TOKEN_HASH;
    assert_conflict(result, name, "create_unlock_token with a taken hash");
    let orphan = unlock_token(new_id(), token.expires_at);
    let result = repo(&repos).create_unlock_token(&orphan).await;
    assert_not_found(result, "create_unlock_token for an unknown user");
}

/// An unlock token is consumed once; unknown tokens never.
pub async fn lockout_unlock_token_consume_once(repos: Repositories) {
    unlock_tokens(&repos).consume_once().await;
}

/// An unlock token expiring at `now` cannot be consumed.
pub async fn lockout_unlock_token_expiry(repos: Repositories) {
    unlock_tokens(&repos).expiry().await;
}

/// Concurrent consumers of one unlock token: exactly one wins.
pub async fn lockout_unlock_token_consume_race(repos: Repositories) {
    unlock_tokens(&repos).race().await;
}

/// `delete_unlock_tokens` removes a user's tokens and counts them.
pub async fn lockout_unlock_token_delete(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let token = unlock_token(user.id, now + Duration::hours(1));
    repo(&repos)
        .create_unlock_token(&token)
        .await
        .expect("create_unlock_token");
    let removed = repo(&repos).delete_unlock_tokens(user.id).await;
    assert_eq!(
        removed.expect("delete_unlock_tokens"),
        1,
        "returns how many"
    );
    let gone = repo(&repos)
        .consume_unlock_token(&token.token_hash, now)
        .await;
    assert_eq!(gone.expect("consume"), None, "deleted tokens are gone");
}

/// `delete_unlock_tokens` removes the given user's tokens only: another user's survive, and only
/// the user's own are counted.
pub async fn lockout_unlock_token_delete_keeps_other_users(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let now = now();
    let mine = unlock_token(user.id, now + Duration::hours(1));
    let theirs = unlock_token(other.id, now + Duration::hours(1));
    for token in [&mine, &theirs] {
        repo(&repos)
            .create_unlock_token(token)
            .await
            .expect("create_unlock_token");
    }
    let removed = repo(&repos).delete_unlock_tokens(user.id).await;
    assert_eq!(
        removed.expect("delete_unlock_tokens"),
        1,
        "counts the user's own tokens only"
    );
    let survivor = repo(&repos)
        .consume_unlock_token(&theirs.token_hash, now)
        .await;
    assert_eq!(
        survivor.expect("consume").map(|t| t.id),
        Some(theirs.id),
        "another user's unlock token survives delete_unlock_tokens"
    );
    let gone = repo(&repos)
        .consume_unlock_token(&mine.token_hash, now)
        .await;
    assert_eq!(gone.expect("consume"), None, "the user's own is gone");
}

/// Deleting a user removes their lock row and unlock tokens.
pub async fn lockout_user_delete_cascades(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    repo(&repos)
        .record_failed_login(user.id, now)
        .await
        .expect("record");
    let token = unlock_token(user.id, now + Duration::hours(1));
    repo(&repos)
        .create_unlock_token(&token)
        .await
        .expect("create_unlock_token");
    repos.users.delete_user(user.id).await.expect("delete_user");
    assert_eq!(find(&repos, user.id).await, None, "the lock row cascades");
    let gone = repo(&repos)
        .consume_unlock_token(&token.token_hash, now)
        .await;
    assert_eq!(gone.expect("consume"), None, "unlock tokens cascade");
}
