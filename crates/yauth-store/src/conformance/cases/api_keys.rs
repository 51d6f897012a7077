//! `ApiKeyRepository`: keys found by prefix together with their owner.

use std::sync::Arc;

use time::Duration;
use yauth_entity::{ApiKey, User, new_id};

use crate::conformance::fixtures::*;
use crate::{ApiKeyRepository, Repositories, constraint};

fn repo(repos: &Repositories) -> Arc<dyn ApiKeyRepository> {
    need(&repos.api_keys, "api-key")
}

async fn with_key(repos: &Repositories) -> (User, ApiKey) {
    let user = create_user(repos).await;
    let key = api_key(user.id, now());
    repo(repos)
        .create_api_key(&key)
        .await
        .expect("create_api_key");
    (user, key)
}

async fn by_prefix(repos: &Repositories, prefix: &str) -> Option<(ApiKey, User)> {
    repo(repos)
        .find_api_key_by_prefix(prefix)
        .await
        .expect("find_api_key_by_prefix")
}

/// The hot path: the key and its owner in one call.
pub async fn api_keys_find_by_prefix_with_owner(repos: Repositories) {
    let (user, key) = with_key(&repos).await;
    let found = by_prefix(&repos, &key.key_prefix).await;
    assert_eq!(
        found,
        Some((key, user)),
        "find_api_key_by_prefix returns key and owner"
    );
    assert_eq!(by_prefix(&repos, "yk_unknown").await, None);
}

/// Expired keys are still returned (the caller checks expiry).
pub async fn api_keys_find_expired_key(repos: Repositories) {
    let user = create_user(&repos).await;
    let key = ApiKey {
        expires_at: Some(now() - Duration::days(1)),
        ..api_key(user.id, now() - Duration::days(2))
    };
    repo(&repos)
        .create_api_key(&key)
        .await
        .expect("create_api_key");
    let found = by_prefix(&repos, &key.key_prefix).await;
    assert_eq!(
        found.map(|(k, _)| k),
        Some(key),
        "expired keys are found too"
    );
}

/// A taken prefix is a conflict; an unknown owner is `NotFound`.
pub async fn api_keys_create_errors(repos: Repositories) {
    let (_, key) = with_key(&repos).await;
    let other = create_user(&repos).await;
    let twin = ApiKey {
        id: new_id(),
        user_id: other.id,
        ..key
    };
    let result = repo(&repos).create_api_key(&twin).await;
    assert_conflict(
        result,
        constraint::API_KEYS_PREFIX,
        "create_api_key with a taken prefix",
    );
    let result = repo(&repos).create_api_key(&api_key(new_id(), now())).await;
    assert_not_found(result, "create_api_key for an unknown user");
}

/// A user's keys, oldest first, nobody else's.
pub async fn api_keys_list_oldest_first(repos: Repositories) {
    let (user, first) = with_key(&repos).await;
    let second = api_key(user.id, first.created_at + Duration::seconds(1));
    repo(&repos)
        .create_api_key(&second)
        .await
        .expect("create_api_key");
    with_key(&repos).await;
    let listed = repo(&repos)
        .list_api_keys(user.id)
        .await
        .expect("list_api_keys");
    assert_eq!(listed, vec![first, second], "oldest first, own keys only");
}

/// Only the owner deletes a key.
pub async fn api_keys_delete_checks_owner(repos: Repositories) {
    let (user, key) = with_key(&repos).await;
    let intruder = create_user(&repos).await;
    let stolen = repo(&repos).delete_api_key(intruder.id, key.id).await;
    assert!(
        !stolen.expect("delete_api_key"),
        "another user cannot delete the key"
    );
    assert!(
        by_prefix(&repos, &key.key_prefix).await.is_some(),
        "the key survives"
    );
    let own = repo(&repos).delete_api_key(user.id, key.id).await;
    assert!(own.expect("delete_api_key"), "the owner deletes it");
    assert_eq!(by_prefix(&repos, &key.key_prefix).await, None);
    let again = repo(&repos).delete_api_key(user.id, key.id).await;
    assert!(!again.expect("delete_api_key"), "missing: false");
}

/// A use sets `last_used_at`; touching an unknown key is `NotFound`.
pub async fn api_keys_touch(repos: Repositories) {
    let (_, key) = with_key(&repos).await;
    let used = key.created_at + Duration::minutes(1) + MICROSECOND;
    repo(&repos)
        .touch_api_key(key.id, used)
        .await
        .expect("touch_api_key");
    let found = by_prefix(&repos, &key.key_prefix)
        .await
        .expect("the key exists")
        .0;
    assert_eq!(
        found.last_used_at,
        Some(used),
        "touch records last_used_at = now"
    );
    let missing = repo(&repos).touch_api_key(new_id(), used).await;
    assert_not_found(missing, "touch_api_key of an unknown key");
}

/// Deleting a user removes their keys.
pub async fn api_keys_user_delete_cascades(repos: Repositories) {
    let (user, key) = with_key(&repos).await;
    repos.users.delete_user(user.id).await.expect("delete_user");
    assert_eq!(
        by_prefix(&repos, &key.key_prefix).await,
        None,
        "API keys cascade"
    );
}
