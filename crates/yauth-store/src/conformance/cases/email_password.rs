//! `EmailPasswordRepository`: passwords, history, email verifications and password resets.

use futures::FutureExt;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{PasswordHistoryEntry, new_id};

use crate::conformance::fixtures::*;
use crate::conformance::single_use::SingleUse;
use crate::{EmailPasswordRepository, Repositories, constraint};

fn repo(repos: &Repositories) -> std::sync::Arc<dyn EmailPasswordRepository> {
    need(&repos.email_password, "email-password")
}

pub(crate) fn verifications(repos: &Repositories) -> SingleUse<String> {
    SingleUse {
        what: "email verification",
        repos: repos.clone(),
        issue: |repos, expires_at| {
            async move {
                let user = create_user(&repos).await;
                let row = email_verification(user.id, expires_at);
                repo(&repos)
                    .create_email_verification(&row)
                    .await
                    .expect("create");
                row.token_hash
            }
            .boxed()
        },
        consume: |repos, hash, now| {
            async move {
                let row = repo(&repos).consume_email_verification(&hash, now).await;
                let row = row.expect("consume_email_verification");
                row.is_some_and(|r| r.token_hash == hash)
            }
            .boxed()
        },
        unknown: |_| token_hash(),
    }
}

pub(crate) fn resets(repos: &Repositories) -> SingleUse<String> {
    SingleUse {
        what: "password reset",
        repos: repos.clone(),
        issue: |repos, expires_at| {
            async move {
                let user = create_user(&repos).await;
                let row = password_reset(user.id, expires_at);
                repo(&repos)
                    .create_password_reset(&row)
                    .await
                    .expect("create");
                row.token_hash
            }
            .boxed()
        },
        consume: |repos, hash, now| {
            async move {
                let row = repo(&repos).consume_password_reset(&hash, now).await;
                let Some(row) = row.expect("consume_password_reset") else {
                    return false;
                };
                assert_eq!(
                    row.token_hash, hash,
                    "consume returns the reset with this hash"
                );
                assert_eq!(
                    row.used_at,
                    Some(now),
                    "a consumed reset is marked used at now"
                );
                true
            }
            .boxed()
        },
        unknown: |_| token_hash(),
    }
}

fn history(user_id: Uuid, at: OffsetDateTime) -> PasswordHistoryEntry {
    PasswordHistoryEntry {
        id: new_id(),
        user_id,
        password_hash: format!("$argon2id$old${}", marker()),
        created_at: at,
    }
}

/// A set password is found again; unknown users have none.
pub async fn email_password_set_and_find_password(repos: Repositories) {
    let user = create_user(&repos).await;
    let credential = password(user.id, now());
    repo(&repos)
        .set_password(&credential)
        .await
        .expect("set_password");
    let found = repo(&repos)
        .find_password(user.id)
        .await
        .expect("find_password");
    assert_eq!(
        found,
        Some(credential),
        "find_password returns the stored credential"
    );
    let none = repo(&repos)
        .find_password(new_id())
        .await
        .expect("find_password");
    assert_eq!(none, None);
}

/// Setting a password again replaces it.
pub async fn email_password_set_password_replaces(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    repo(&repos)
        .set_password(&password(user.id, now))
        .await
        .expect("set_password");
    let second = password(user.id, now + Duration::days(1));
    repo(&repos)
        .set_password(&second)
        .await
        .expect("set_password replaces");
    let found = repo(&repos)
        .find_password(user.id)
        .await
        .expect("find_password");
    assert_eq!(
        found,
        Some(second),
        "set_password replaces the previous password"
    );
}

/// Setting the password of an unknown user is `NotFound`.
pub async fn email_password_set_password_unknown_user(repos: Repositories) {
    let result = repo(&repos).set_password(&password(new_id(), now())).await;
    assert_not_found(result, "set_password for an unknown user");
}

/// History keeps only the newest `keep` entries and lists them newest first.
pub async fn email_password_history_keeps_newest(repos: Repositories) {
    let user = create_user(&repos).await;
    let base = now();
    let entries: Vec<_> = (0..5)
        .map(|i| history(user.id, base + Duration::seconds(i)))
        .collect();
    for entry in &entries {
        repo(&repos)
            .add_password_history(entry, 3)
            .await
            .expect("add_password_history");
    }
    let listed = repo(&repos)
        .password_history(user.id, 10)
        .await
        .expect("password_history");
    let expected: Vec<_> = entries[2..].iter().rev().cloned().collect();
    assert_eq!(
        listed, expected,
        "only the newest `keep` entries remain, newest first"
    );
    let limited = repo(&repos)
        .password_history(user.id, 2)
        .await
        .expect("password_history");
    assert_eq!(
        limited,
        expected[..2],
        "password_history returns at most `limit` entries"
    );
}

/// History is per user.
pub async fn email_password_history_per_user(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let now = now();
    let theirs = history(other.id, now);
    repo(&repos)
        .add_password_history(&theirs, 1)
        .await
        .expect("add");
    repo(&repos)
        .add_password_history(&history(user.id, now), 1)
        .await
        .expect("add");
    repo(&repos)
        .add_password_history(&history(user.id, now + MICROSECOND), 1)
        .await
        .expect("add");
    let listed = repo(&repos)
        .password_history(other.id, 10)
        .await
        .expect("password_history");
    assert_eq!(
        listed,
        vec![theirs],
        "pruning one user's history leaves others alone"
    );
}

/// A verification for an unknown user is `NotFound`; a taken token hash is a conflict.
pub async fn email_password_verification_create_errors(repos: Repositories) {
    let expires = now() + Duration::hours(1);
    let result = repo(&repos)
        .create_email_verification(&email_verification(new_id(), expires))
        .await;
    assert_not_found(result, "create_email_verification for an unknown user");
    let user = create_user(&repos).await;
    let first = email_verification(user.id, expires);
    repo(&repos)
        .create_email_verification(&first)
        .await
        .expect("create");
    let twin = yauth_entity::EmailVerification {
        id: new_id(),
        ..first
    };
    let result = repo(&repos).create_email_verification(&twin).await;
    let name = constraint::EMAIL_VERIFICATIONS_TOKEN_HASH;
    assert_conflict(result, name, "create_email_verification with a taken hash");
}

/// An email verification is consumed once; unknown tokens never.
pub async fn email_password_verification_consume_once(repos: Repositories) {
    verifications(&repos).consume_once().await;
}

/// An email verification expiring at `now` cannot be consumed.
pub async fn email_password_verification_expiry(repos: Repositories) {
    verifications(&repos).expiry().await;
}

/// Concurrent consumers of one email verification: exactly one wins.
pub async fn email_password_verification_consume_race(repos: Repositories) {
    verifications(&repos).race().await;
}

/// `delete_email_verifications` removes a user's verifications and counts them.
pub async fn email_password_verification_delete(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let rows = [
        email_verification(user.id, now + Duration::hours(1)),
        email_verification(user.id, now + Duration::hours(2)),
    ];
    for row in &rows {
        repo(&repos)
            .create_email_verification(row)
            .await
            .expect("create");
    }
    let removed = repo(&repos).delete_email_verifications(user.id).await;
    assert_eq!(
        removed.expect("delete_email_verifications"),
        2,
        "returns how many"
    );
    let consumed = repo(&repos)
        .consume_email_verification(&rows[0].token_hash, now)
        .await;
    assert_eq!(
        consumed.expect("consume"),
        None,
        "deleted verifications are gone"
    );
}

/// `delete_email_verifications` removes the given user's verifications only: another user's
/// survive, and only the user's own are counted.
pub async fn email_password_verification_delete_keeps_other_users(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let now = now();
    let mine = email_verification(user.id, now + Duration::hours(1));
    let theirs = email_verification(other.id, now + Duration::hours(1));
    for row in [&mine, &theirs] {
        repo(&repos)
            .create_email_verification(row)
            .await
            .expect("create");
    }
    let removed = repo(&repos).delete_email_verifications(user.id).await;
    assert_eq!(
        removed.expect("delete_email_verifications"),
        1,
        "counts the user's own verifications only"
    );
    let survivor = repo(&repos)
        .consume_email_verification(&theirs.token_hash, now)
        .await;
    assert_eq!(
        survivor.expect("consume").map(|v| v.id),
        Some(theirs.id),
        "another user's verification survives delete_email_verifications"
    );
    let gone = repo(&repos)
        .consume_email_verification(&mine.token_hash, now)
        .await;
    assert_eq!(gone.expect("consume"), None, "the user's own is gone");
}

/// A reset for an unknown user is `NotFound`; a taken token hash is a conflict.
pub async fn email_password_reset_create_errors(repos: Repositories) {
    let expires = now() + Duration::hours(1);
    let result = repo(&repos)
        .create_password_reset(&password_reset(new_id(), expires))
        .await;
    assert_not_found(result, "create_password_reset for an unknown user");
    let user = create_user(&repos).await;
    let first = password_reset(user.id, expires);
    repo(&repos)
        .create_password_reset(&first)
        .await
        .expect("create");
    let twin = yauth_entity::PasswordReset {
        id: new_id(),
        ..first
    };
    let result = repo(&repos).create_password_reset(&twin).await;
    let name = constraint::PASSWORD_RESETS_TOKEN_HASH;
    assert_conflict(result, name, "create_password_reset with a taken hash");
}

/// A password reset is consumed once (marked used at `now`); unknown tokens never.
pub async fn email_password_reset_consume_once(repos: Repositories) {
    resets(&repos).consume_once().await;
}

/// A password reset expiring at `now` cannot be consumed.
pub async fn email_password_reset_expiry(repos: Repositories) {
    resets(&repos).expiry().await;
}

/// Concurrent consumers of one password reset: exactly one wins.
pub async fn email_password_reset_consume_race(repos: Repositories) {
    resets(&repos).race().await;
}

/// `delete_password_resets` removes a user's resets and counts them.
pub async fn email_password_reset_delete(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let row = password_reset(user.id, now + Duration::hours(1));
    repo(&repos)
        .create_password_reset(&row)
        .await
        .expect("create");
    let removed = repo(&repos).delete_password_resets(user.id).await;
    assert_eq!(
        removed.expect("delete_password_resets"),
        1,
        "returns how many"
    );
    let consumed = repo(&repos)
        .consume_password_reset(&row.token_hash, now)
        .await;
    assert_eq!(consumed.expect("consume"), None, "deleted resets are gone");
}

/// `delete_password_resets` removes the given user's resets only: another user's survive, and
/// only the user's own are counted.
pub async fn email_password_reset_delete_keeps_other_users(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let now = now();
    let mine = password_reset(user.id, now + Duration::hours(1));
    let theirs = password_reset(other.id, now + Duration::hours(1));
    for row in [&mine, &theirs] {
        repo(&repos)
            .create_password_reset(row)
            .await
            .expect("create");
    }
    let removed = repo(&repos).delete_password_resets(user.id).await;
    assert_eq!(
        removed.expect("delete_password_resets"),
        1,
        "counts the user's own resets only"
    );
    let survivor = repo(&repos)
        .consume_password_reset(&theirs.token_hash, now)
        .await;
    assert_eq!(
        survivor.expect("consume").map(|r| r.id),
        Some(theirs.id),
        "another user's reset survives delete_password_resets"
    );
    let gone = repo(&repos)
        .consume_password_reset(&mine.token_hash, now)
        .await;
    assert_eq!(gone.expect("consume"), None, "the user's own is gone");
}

/// Deleting a user removes their password, history, verifications and resets.
pub async fn email_password_user_delete_cascades(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let ep = repo(&repos);
    ep.set_password(&password(user.id, now))
        .await
        .expect("set_password");
    ep.add_password_history(&history(user.id, now), 5)
        .await
        .expect("add");
    let verification = email_verification(user.id, now + Duration::hours(1));
    ep.create_email_verification(&verification)
        .await
        .expect("create");
    let reset = password_reset(user.id, now + Duration::hours(1));
    ep.create_password_reset(&reset).await.expect("create");
    repos.users.delete_user(user.id).await.expect("delete_user");
    assert_eq!(
        ep.find_password(user.id).await.expect("find"),
        None,
        "password cascades"
    );
    let history = ep.password_history(user.id, 10).await.expect("history");
    assert!(history.is_empty(), "password history cascades");
    let v = ep
        .consume_email_verification(&verification.token_hash, now)
        .await;
    assert_eq!(v.expect("consume"), None, "verifications cascade");
    let r = ep.consume_password_reset(&reset.token_hash, now).await;
    assert_eq!(r.expect("consume"), None, "resets cascade");
}
