//! `BearerRepository`: refresh-token rotation with family reuse detection, JWT-id revocations,
//! rotating signing keys.

use std::sync::Arc;

use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{JtiRevocation, RefreshToken, SigningKey, new_id};

use crate::conformance::fixtures::*;
use crate::{BearerRepository, RefreshTokenSeed, Repositories, RotateOutcome, constraint};

fn repo(repos: &Repositories) -> Arc<dyn BearerRepository> {
    need(&repos.bearer, "bearer")
}

/// Stores the first token of a new family (with client and scopes) of a fresh user.
async fn first_token(repos: &Repositories) -> RefreshToken {
    let user = create_user(repos).await;
    let token = RefreshToken {
        client_id: Some(format!("client-{}", marker())),
        scopes: Some(json!(["openid", "offline_access"])),
        ..refresh_token(user.id, now() + Duration::days(30))
    };
    repo(repos)
        .create_refresh_token(&token)
        .await
        .expect("create_refresh_token");
    token
}

fn seed(now: OffsetDateTime) -> RefreshTokenSeed {
    RefreshTokenSeed {
        id: new_id(),
        token_hash: token_hash(),
        expires_at: now + Duration::days(30),
        created_at: now,
    }
}

async fn rotate(repos: &Repositories, old: &str, at: OffsetDateTime) -> RotateOutcome {
    let outcome = repo(repos).rotate_refresh_token(old, &seed(at), at).await;
    outcome.expect("rotate_refresh_token")
}

async fn find(repos: &Repositories, hash: &str) -> Option<RefreshToken> {
    repo(repos)
        .find_refresh_token(hash)
        .await
        .expect("find_refresh_token")
}

async fn is_revoked(repos: &Repositories, hash: &str) -> bool {
    find(repos, hash).await.expect("the token exists").revoked
}

async fn create_key(repos: &Repositories, key: &SigningKey) {
    repo(repos)
        .create_signing_key(key)
        .await
        .expect("create_signing_key");
}

async fn listed_kids(
    repos: &Repositories,
    at: OffsetDateTime,
    ours: &[&SigningKey],
) -> Vec<String> {
    let keys = repo(repos)
        .list_signing_keys(at)
        .await
        .expect("list_signing_keys");
    let ours: Vec<&str> = ours.iter().map(|k| k.kid.as_str()).collect();
    keys.into_iter()
        .map(|k| k.kid)
        .filter(|kid| ours.contains(&kid.as_str()))
        .collect()
}

/// A stored token is found with every field; unknown hashes find nothing.
pub async fn bearer_create_and_find(repos: Repositories) {
    let token = first_token(&repos).await;
    assert_eq!(
        find(&repos, &token.token_hash).await,
        Some(token),
        "the stored token"
    );
    assert_eq!(find(&repos, &token_hash()).await, None);
}

/// A taken hash is a conflict; an unknown user is `NotFound`.
pub async fn bearer_create_errors(repos: Repositories) {
    let token = first_token(&repos).await;
    let twin = RefreshToken {
        id: new_id(),
        ..token.clone()
    };
    let result = repo(&repos).create_refresh_token(&twin).await;
    let name = constraint::REFRESH_TOKENS_TOKEN_HASH;
    assert_conflict(result, name, "create_refresh_token with a taken hash");
    let orphan = refresh_token(new_id(), now() + Duration::days(1));
    let result = repo(&repos).create_refresh_token(&orphan).await;
    assert_not_found(result, "create_refresh_token for an unknown user");
}

/// Rotation revokes the old token and issues the new one in the same family.
pub async fn bearer_rotate_success(repos: Repositories) {
    let old = first_token(&repos).await;
    let now = now();
    let new = seed(now);
    let outcome = repo(&repos)
        .rotate_refresh_token(&old.token_hash, &new, now)
        .await;
    let issued = RefreshToken {
        id: new.id,
        token_hash: new.token_hash.clone(),
        expires_at: new.expires_at,
        created_at: new.created_at,
        ..old.clone()
    };
    let expected = RotateOutcome::Rotated {
        previous: old.clone(),
        issued: issued.clone(),
    };
    assert_eq!(
        outcome.expect("rotate"),
        expected,
        "Rotated: old as it was, new in its family"
    );
    assert!(
        is_revoked(&repos, &old.token_hash).await,
        "the old token is revoked"
    );
    assert_eq!(
        find(&repos, &new.token_hash).await,
        Some(issued),
        "the new token is stored"
    );
}

/// Presenting a rotated token is reuse: `Reused` and the whole family revoked.
pub async fn bearer_rotate_reuse_revokes_family(repos: Repositories) {
    let old = first_token(&repos).await;
    let now = now();
    let RotateOutcome::Rotated { issued, .. } = rotate(&repos, &old.token_hash, now).await else {
        panic!("a valid token must rotate");
    };
    let reuse = rotate(&repos, &old.token_hash, now).await;
    let expected = RotateOutcome::Reused {
        family_id: old.family_id,
        user_id: old.user_id,
    };
    assert_eq!(reuse, expected, "presenting a rotated token is reuse");
    assert!(
        is_revoked(&repos, &issued.token_hash).await,
        "reuse revokes the issued token too"
    );
    let after = rotate(&repos, &issued.token_hash, now).await;
    assert!(
        matches!(after, RotateOutcome::Reused { .. }),
        "the revoked family stays dead"
    );
}

/// An expired token (expiring exactly at `now`) is `Invalid` and nothing changes.
pub async fn bearer_rotate_expired_invalid(repos: Repositories) {
    let old = first_token(&repos).await;
    let new = seed(old.expires_at);
    let outcome = repo(&repos)
        .rotate_refresh_token(&old.token_hash, &new, old.expires_at)
        .await;
    assert_eq!(
        outcome.expect("rotate"),
        RotateOutcome::Invalid,
        "expired at now: Invalid"
    );
    assert!(
        !is_revoked(&repos, &old.token_hash).await,
        "Invalid changes nothing"
    );
    assert_eq!(
        find(&repos, &new.token_hash).await,
        None,
        "no token is issued"
    );
}

/// A refresh token is valid until the microsecond before `expires_at`: it rotates then.
pub async fn bearer_rotate_expiry_edge(repos: Repositories) {
    let old = first_token(&repos).await;
    let at = old.expires_at - MICROSECOND;
    let outcome = rotate(&repos, &old.token_hash, at).await;
    assert!(
        matches!(outcome, RotateOutcome::Rotated { .. }),
        "a token rotates the microsecond before expires_at, got {outcome:?}"
    );
}

/// An unknown token is `Invalid`.
pub async fn bearer_rotate_unknown_invalid(repos: Repositories) {
    let outcome = rotate(&repos, &token_hash(), now()).await;
    assert_eq!(outcome, RotateOutcome::Invalid, "unknown token: Invalid");
}

/// Concurrent rotations of one token: exactly one `Rotated`, the others `Reused`.
pub async fn bearer_rotate_race(repos: Repositories) {
    let old = first_token(&repos).await;
    let now = now();
    let outcomes = race(RACERS, |_| {
        let (repos, hash) = (repos.clone(), old.token_hash.clone());
        async move { rotate(&repos, &hash, now).await }
    })
    .await;
    let rotated: Vec<_> = outcomes
        .iter()
        .filter_map(|o| match o {
            RotateOutcome::Rotated { issued, .. } => Some(issued.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        rotated.len(),
        1,
        "of {RACERS} concurrent rotations exactly one rotates"
    );
    let reused = outcomes
        .iter()
        .filter(|o| matches!(o, RotateOutcome::Reused { .. }));
    assert_eq!(reused.count(), RACERS - 1, "the others see reuse");
    assert!(
        is_revoked(&repos, &rotated[0].token_hash).await,
        "reuse revoked the family"
    );
}

/// Revoking one token returns it once.
pub async fn bearer_revoke_token(repos: Repositories) {
    let token = first_token(&repos).await;
    let revoked = repo(&repos).revoke_refresh_token(&token.token_hash).await;
    let revoked = revoked
        .expect("revoke_refresh_token")
        .expect("a live token is returned");
    assert_eq!(revoked.id, token.id, "the revoked token is returned");
    assert!(is_revoked(&repos, &token.token_hash).await);
    let again = repo(&repos).revoke_refresh_token(&token.token_hash).await;
    assert_eq!(
        again.expect("revoke"),
        None,
        "an already revoked token: None"
    );
    let unknown = repo(&repos).revoke_refresh_token(&token_hash()).await;
    assert_eq!(unknown.expect("revoke"), None, "unknown: None");
}

async fn sibling(repos: &Repositories, of: &RefreshToken, family_id: Uuid) -> RefreshToken {
    let token = RefreshToken {
        family_id,
        ..refresh_token(of.user_id, of.expires_at)
    };
    repo(repos)
        .create_refresh_token(&token)
        .await
        .expect("create_refresh_token");
    token
}

/// Revoking a family revokes its tokens only and counts the changed ones.
pub async fn bearer_revoke_family(repos: Repositories) {
    let token = first_token(&repos).await;
    let member = sibling(&repos, &token, token.family_id).await;
    let outsider = sibling(&repos, &token, new_id()).await;
    let changed = repo(&repos).revoke_refresh_family(token.family_id).await;
    assert_eq!(
        changed.expect("revoke_refresh_family"),
        2,
        "both members changed"
    );
    assert!(is_revoked(&repos, &member.token_hash).await);
    assert!(
        !is_revoked(&repos, &outsider.token_hash).await,
        "other families untouched"
    );
    let again = repo(&repos).revoke_refresh_family(token.family_id).await;
    assert_eq!(
        again.expect("revoke_refresh_family"),
        0,
        "nothing left to change"
    );
}

/// Revoking a user's tokens counts the ones that changed.
pub async fn bearer_revoke_user_tokens(repos: Repositories) {
    let token = first_token(&repos).await;
    let second = sibling(&repos, &token, new_id()).await;
    let third = sibling(&repos, &token, new_id()).await;
    repo(&repos)
        .revoke_refresh_token(&third.token_hash)
        .await
        .expect("revoke");
    let other = first_token(&repos).await;
    let changed = repo(&repos).revoke_user_refresh_tokens(token.user_id).await;
    assert_eq!(
        changed.expect("revoke_user_refresh_tokens"),
        2,
        "only unrevoked ones count"
    );
    assert!(is_revoked(&repos, &second.token_hash).await);
    assert!(
        !is_revoked(&repos, &other.token_hash).await,
        "other users untouched"
    );
}

/// A user's tokens created at or after a time are listed newest first (ties by id descending),
/// revoked, expired or not, with every field; older tokens and other users' tokens are not.
pub async fn bearer_list_user_tokens_since(repos: Repositories) {
    let first = first_token(&repos).await;
    let since = first.created_at;
    let older = RefreshToken {
        created_at: since - MICROSECOND,
        ..refresh_token(first.user_id, first.expires_at)
    };
    let at = since + Duration::seconds(2);
    let newest = RefreshToken {
        created_at: at,
        ..refresh_token(first.user_id, at + Duration::days(30))
    };
    let expired = RefreshToken {
        id: new_id(),
        token_hash: token_hash(),
        expires_at: at,
        ..newest.clone()
    };
    for token in [&older, &newest, &expired] {
        repo(&repos)
            .create_refresh_token(token)
            .await
            .expect("create_refresh_token");
    }
    let rotated_at = since + Duration::seconds(1);
    let RotateOutcome::Rotated { issued, .. } = rotate(&repos, &first.token_hash, rotated_at).await
    else {
        panic!("a valid token must rotate");
    };
    first_token(&repos).await;
    let (high, low) = if newest.id > expired.id {
        (newest.id, expired.id)
    } else {
        (expired.id, newest.id)
    };
    let tokens = repo(&repos)
        .list_user_refresh_tokens(first.user_id, since)
        .await
        .expect("list_user_refresh_tokens");
    let ids: Vec<Uuid> = tokens.iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        vec![high, low, issued.id, first.id],
        "newest first, ties by id descending; the one a microsecond older and other users' excluded"
    );
    let rotated = RefreshToken {
        revoked: true,
        ..first
    };
    assert_eq!(
        tokens.last(),
        Some(&rotated),
        "the rotated (revoked) token created exactly at created_since, with every field"
    );
}

/// An unknown user has no tokens.
pub async fn bearer_list_user_tokens_unknown_user(repos: Repositories) {
    let token = first_token(&repos).await;
    let since = token.created_at - Duration::days(365);
    let tokens = repo(&repos).list_user_refresh_tokens(new_id(), since).await;
    assert_eq!(
        tokens.expect("list_user_refresh_tokens"),
        Vec::new(),
        "unknown user: empty"
    );
}

/// A revoked JWT id is revoked until its expiry; revoking twice is fine.
pub async fn bearer_jti_revocation(repos: Repositories) {
    let now = now();
    let revocation = JtiRevocation {
        jti: marker(),
        expires_at: now + Duration::minutes(15),
        created_at: now,
    };
    let bearer = repo(&repos);
    bearer.revoke_jti(&revocation).await.expect("revoke_jti");
    bearer
        .revoke_jti(&revocation)
        .await
        .expect("revoke_jti is idempotent");
    assert!(
        bearer
            .is_jti_revoked(&revocation.jti, now)
            .await
            .expect("is_jti_revoked")
    );
    let edge = revocation.expires_at;
    let before = bearer
        .is_jti_revoked(&revocation.jti, edge - MICROSECOND)
        .await;
    assert!(
        before.expect("is_jti_revoked"),
        "revoked until the microsecond before expiry"
    );
    let at = bearer.is_jti_revoked(&revocation.jti, edge).await;
    assert!(
        !at.expect("is_jti_revoked"),
        "an expired revocation no longer counts"
    );
    let unknown = bearer.is_jti_revoked(&marker(), now).await;
    assert!(
        !unknown.expect("is_jti_revoked"),
        "unknown jti: not revoked"
    );
}

/// Deleting a user removes their refresh tokens.
pub async fn bearer_user_delete_cascades(repos: Repositories) {
    let token = first_token(&repos).await;
    repos
        .users
        .delete_user(token.user_id)
        .await
        .expect("delete_user");
    assert_eq!(
        find(&repos, &token.token_hash).await,
        None,
        "refresh tokens cascade"
    );
}

/// Signing keys are listed newest first, with every field.
pub async fn bearer_signing_keys_newest_first(repos: Repositories) {
    let base = now();
    let older = signing_key(base);
    let newer = signing_key(base + Duration::seconds(1));
    create_key(&repos, &older).await;
    create_key(&repos, &newer).await;
    let kids = listed_kids(&repos, base, &[&older, &newer]).await;
    assert_eq!(
        kids,
        vec![newer.kid.clone(), older.kid.clone()],
        "newest first"
    );
    let keys = repo(&repos)
        .list_signing_keys(base)
        .await
        .expect("list_signing_keys");
    assert!(
        keys.contains(&newer),
        "a listed key round-trips every field"
    );
}

/// A taken kid is `Conflict(signing_keys.kid)`.
pub async fn bearer_signing_key_conflict(repos: Repositories) {
    let key = signing_key(now());
    create_key(&repos, &key).await;
    let result = repo(&repos).create_signing_key(&key).await;
    assert_conflict(
        result,
        constraint::SIGNING_KEYS_KID,
        "create_signing_key, taken kid",
    );
}

/// Retiring records both instants and reports whether the key existed.
pub async fn bearer_retire_signing_key(repos: Repositories) {
    let key = signing_key(now());
    create_key(&repos, &key).await;
    let (retired_at, expires_at) = (
        key.created_at + Duration::days(1),
        key.created_at + Duration::days(8),
    );
    let retired = repo(&repos)
        .retire_signing_key(&key.kid, retired_at, expires_at)
        .await;
    assert!(retired.expect("retire_signing_key"), "existing key: true");
    let keys = repo(&repos)
        .list_signing_keys(retired_at)
        .await
        .expect("list_signing_keys");
    let expected = SigningKey {
        retired_at: Some(retired_at),
        expires_at: Some(expires_at),
        ..key
    };
    assert!(
        keys.contains(&expected),
        "a retired key stays listed until it expires"
    );
    let unknown = repo(&repos)
        .retire_signing_key(&marker(), retired_at, expires_at)
        .await;
    assert!(!unknown.expect("retire_signing_key"), "unknown kid: false");
}

/// Keys leave the listing at `expires_at`.
pub async fn bearer_expired_keys_excluded(repos: Repositories) {
    let now = now();
    let key = SigningKey {
        retired_at: Some(now),
        expires_at: Some(now + Duration::hours(1)),
        ..signing_key(now - Duration::days(1))
    };
    create_key(&repos, &key).await;
    let edge = now + Duration::hours(1);
    let before = listed_kids(&repos, edge - MICROSECOND, &[&key]).await;
    assert_eq!(
        before,
        vec![key.kid.clone()],
        "listed until the microsecond before expiry"
    );
    assert!(
        listed_kids(&repos, edge, &[&key]).await.is_empty(),
        "gone at expires_at"
    );
}
