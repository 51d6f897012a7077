//! `OidcRepository`: nonces bound to authorization codes, rotating signing keys.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use yauth_entity::{AuthorizationCode, OidcNonce, SigningKey, new_id};

use crate::conformance::fixtures::*;
use crate::{OidcRepository, Repositories, constraint};

fn repo(repos: &Repositories) -> Arc<dyn OidcRepository> {
    need(&repos.oidc, "oidc")
}

async fn stored_code(repos: &Repositories) -> AuthorizationCode {
    let client = create_oauth2_client(repos).await;
    let user = create_user(repos).await;
    let code = authorization_code(&client.client_id, user.id, now() + Duration::minutes(5));
    let server = need(&repos.oauth2_server, "oauth2-server");
    server
        .create_authorization_code(&code)
        .await
        .expect("create_authorization_code");
    code
}

fn nonce(code: &AuthorizationCode) -> OidcNonce {
    OidcNonce {
        id: new_id(),
        nonce_hash: token_hash(),
        authorization_code_id: code.id,
        created_at: now(),
    }
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

/// A nonce is found by its authorization code with every field.
pub async fn oidc_nonce_create_and_find(repos: Repositories) {
    let code = stored_code(&repos).await;
    let row = nonce(&code);
    repo(&repos)
        .create_oidc_nonce(&row)
        .await
        .expect("create_oidc_nonce");
    let found = repo(&repos)
        .find_oidc_nonce(code.id)
        .await
        .expect("find_oidc_nonce");
    assert_eq!(found, Some(row), "the stored nonce");
    let none = repo(&repos)
        .find_oidc_nonce(new_id())
        .await
        .expect("find_oidc_nonce");
    assert_eq!(none, None, "unknown code: none");
}

/// A nonce for an unknown authorization code is `NotFound`.
pub async fn oidc_nonce_unknown_code_not_found(repos: Repositories) {
    let orphan = OidcNonce {
        authorization_code_id: new_id(),
        ..nonce(&stored_code(&repos).await)
    };
    let result = repo(&repos).create_oidc_nonce(&orphan).await;
    assert_not_found(
        result,
        "create_oidc_nonce for an unknown authorization code",
    );
}

/// A nonce goes with its authorization code (deleted with the client).
pub async fn oidc_nonce_cascades_with_code(repos: Repositories) {
    let code = stored_code(&repos).await;
    repo(&repos)
        .create_oidc_nonce(&nonce(&code))
        .await
        .expect("create_oidc_nonce");
    let server = need(&repos.oauth2_server, "oauth2-server");
    server
        .delete_oauth2_client(&code.client_id)
        .await
        .expect("delete_oauth2_client");
    let found = repo(&repos)
        .find_oidc_nonce(code.id)
        .await
        .expect("find_oidc_nonce");
    assert_eq!(found, None, "nonces cascade with their authorization code");
}

/// Signing keys are listed newest first, with every field.
pub async fn oidc_signing_keys_newest_first(repos: Repositories) {
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
pub async fn oidc_signing_key_conflict(repos: Repositories) {
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
pub async fn oidc_retire_signing_key(repos: Repositories) {
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
pub async fn oidc_expired_keys_excluded(repos: Repositories) {
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
