//! `MfaRepository`: TOTP secrets with replay protection, and backup codes.

use std::sync::Arc;

use futures::FutureExt;
use uuid::Uuid;
use yauth_entity::{TotpSecret, new_id};

use crate::conformance::fixtures::*;
use crate::conformance::single_use::SingleUse;
use crate::{MfaRepository, Repositories};

fn repo(repos: &Repositories) -> Arc<dyn MfaRepository> {
    need(&repos.mfa, "mfa")
}

async fn with_secret(repos: &Repositories) -> (Uuid, TotpSecret) {
    let user = create_user(repos).await;
    let secret = totp_secret(user.id, now());
    repo(repos)
        .upsert_totp_secret(&secret)
        .await
        .expect("upsert_totp_secret");
    (user.id, secret)
}

async fn find(repos: &Repositories, user_id: Uuid) -> Option<TotpSecret> {
    repo(repos)
        .find_totp_secret(user_id)
        .await
        .expect("find_totp_secret")
}

fn backup_codes(repos: &Repositories) -> SingleUse<(Uuid, String)> {
    SingleUse {
        what: "backup code",
        repos: repos.clone(),
        issue: |repos, _expires_at| {
            async move {
                let user = create_user(&repos).await;
                let code = backup_code(user.id, now());
                repo(&repos)
                    .replace_backup_codes(user.id, std::slice::from_ref(&code))
                    .await
                    .expect("replace");
                (user.id, code.code_hash)
            }
            .boxed()
        },
        consume: |repos, (user_id, hash), now| {
            async move {
                let spent = repo(&repos).consume_backup_code(user_id, &hash, now).await;
                spent.expect("consume_backup_code")
            }
            .boxed()
        },
        unknown: |(user_id, _)| (*user_id, token_hash()),
    }
}

/// A stored TOTP secret is found with every field.
pub async fn mfa_upsert_and_find(repos: Repositories) {
    let (user_id, secret) = with_secret(&repos).await;
    assert_eq!(
        find(&repos, user_id).await,
        Some(secret),
        "the stored secret"
    );
    assert_eq!(find(&repos, new_id()).await, None, "unknown user: none");
}

/// A new setup replaces the previous secret and starts unverified again.
pub async fn mfa_upsert_replaces_unverified(repos: Repositories) {
    let (user_id, _) = with_secret(&repos).await;
    assert!(
        repo(&repos)
            .confirm_totp_secret(user_id)
            .await
            .expect("confirm")
    );
    let replacement = totp_secret(user_id, now());
    repo(&repos)
        .upsert_totp_secret(&replacement)
        .await
        .expect("upsert replaces");
    let found = find(&repos, user_id).await.expect("the secret exists");
    assert_eq!(
        found.encrypted_secret, replacement.encrypted_secret,
        "the new secret is stored"
    );
    assert!(!found.verified, "a new setup starts unverified");
    assert_eq!(found.last_used_step, None, "a new setup has no used step");
}

/// A secret for an unknown user is `NotFound`.
pub async fn mfa_upsert_unknown_user(repos: Repositories) {
    let result = repo(&repos)
        .upsert_totp_secret(&totp_secret(new_id(), now()))
        .await;
    assert_not_found(result, "upsert_totp_secret for an unknown user");
}

/// Confirming marks the secret verified and reports whether one existed.
pub async fn mfa_confirm(repos: Repositories) {
    let (user_id, _) = with_secret(&repos).await;
    assert!(
        repo(&repos)
            .confirm_totp_secret(user_id)
            .await
            .expect("confirm"),
        "existing: true"
    );
    assert!(
        find(&repos, user_id).await.expect("exists").verified,
        "confirmed: verified"
    );
    let none = repo(&repos).confirm_totp_secret(new_id()).await;
    assert!(!none.expect("confirm"), "no secret: false");
}

/// Deleting removes the secret and reports whether it existed.
pub async fn mfa_delete(repos: Repositories) {
    let (user_id, _) = with_secret(&repos).await;
    assert!(
        repo(&repos)
            .delete_totp_secret(user_id)
            .await
            .expect("delete"),
        "existing: true"
    );
    assert_eq!(find(&repos, user_id).await, None);
    assert!(
        !repo(&repos)
            .delete_totp_secret(user_id)
            .await
            .expect("delete"),
        "missing: false"
    );
}

/// A step is accepted once; the same or an older step is a replay; a later one is accepted.
pub async fn mfa_totp_step_replay(repos: Repositories) {
    let (user_id, _) = with_secret(&repos).await;
    let mfa = repo(&repos);
    assert!(
        mfa.accept_totp_step(user_id, 1_000).await.expect("accept"),
        "first use"
    );
    assert!(
        !mfa.accept_totp_step(user_id, 1_000).await.expect("accept"),
        "same step: replay"
    );
    assert!(
        !mfa.accept_totp_step(user_id, 999).await.expect("accept"),
        "older step: refused"
    );
    assert!(
        mfa.accept_totp_step(user_id, 1_001).await.expect("accept"),
        "later step: accepted"
    );
    let stored = find(&repos, user_id).await.expect("exists");
    assert_eq!(
        stored.last_used_step,
        Some(1_001),
        "the last accepted step is recorded"
    );
    let nobody = mfa.accept_totp_step(new_id(), 5).await;
    assert!(!nobody.expect("accept"), "no secret: false");
}

/// Concurrent callers presenting the same step: exactly one is accepted.
pub async fn mfa_totp_step_race(repos: Repositories) {
    let (user_id, _) = with_secret(&repos).await;
    let accepted = race(RACERS, |_| {
        let repos = repos.clone();
        async move {
            repo(&repos)
                .accept_totp_step(user_id, 7)
                .await
                .expect("accept")
        }
    })
    .await;
    let winners = accepted.into_iter().filter(|a| *a).count();
    assert_eq!(
        winners, 1,
        "of {RACERS} concurrent uses of one step exactly one is accepted"
    );
}

/// Replacing backup codes drops the old ones; unused ones are counted.
pub async fn mfa_backup_codes_replace_and_count(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let mfa = repo(&repos);
    let old: Vec<_> = (0..3).map(|_| backup_code(user.id, now)).collect();
    mfa.replace_backup_codes(user.id, &old)
        .await
        .expect("replace");
    assert_eq!(
        mfa.count_unused_backup_codes(user.id).await.expect("count"),
        3
    );
    let new: Vec<_> = (0..2).map(|_| backup_code(user.id, now)).collect();
    mfa.replace_backup_codes(user.id, &new)
        .await
        .expect("replace");
    assert_eq!(
        mfa.count_unused_backup_codes(user.id).await.expect("count"),
        2,
        "replaced"
    );
    let old_code = mfa
        .consume_backup_code(user.id, &old[0].code_hash, now)
        .await;
    assert!(!old_code.expect("consume"), "replaced codes no longer work");
    assert!(
        mfa.consume_backup_code(user.id, &new[0].code_hash, now)
            .await
            .expect("consume")
    );
    let left = mfa.count_unused_backup_codes(user.id).await.expect("count");
    assert_eq!(left, 1, "a spent code is no longer counted");
}

/// A backup code belongs to its user: another user cannot spend it.
pub async fn mfa_backup_code_other_user(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let code = backup_code(user.id, now());
    repo(&repos)
        .replace_backup_codes(user.id, std::slice::from_ref(&code))
        .await
        .expect("replace");
    let stolen = repo(&repos)
        .consume_backup_code(other.id, &code.code_hash, now())
        .await;
    assert!(!stolen.expect("consume"), "another user's code is refused");
    assert_eq!(
        repo(&repos)
            .count_unused_backup_codes(user.id)
            .await
            .expect("count"),
        1
    );
}

/// A backup code is spent once; unknown codes never.
pub async fn mfa_backup_code_consume_once(repos: Repositories) {
    backup_codes(&repos).consume_once().await;
}

/// Concurrent spenders of one backup code: exactly one wins.
pub async fn mfa_backup_code_consume_race(repos: Repositories) {
    backup_codes(&repos).race().await;
}

/// Deleting a user removes their TOTP secret and backup codes.
pub async fn mfa_user_delete_cascades(repos: Repositories) {
    let (user_id, _) = with_secret(&repos).await;
    let code = backup_code(user_id, now());
    repo(&repos)
        .replace_backup_codes(user_id, &[code])
        .await
        .expect("replace");
    repos.users.delete_user(user_id).await.expect("delete_user");
    assert_eq!(
        find(&repos, user_id).await,
        None,
        "the TOTP secret cascades"
    );
    let left = repo(&repos)
        .count_unused_backup_codes(user_id)
        .await
        .expect("count");
    assert_eq!(left, 0, "backup codes cascade");
}
