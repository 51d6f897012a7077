//! `Oauth2ServerRepository`: clients, authorization codes, consents and device codes.

use std::sync::Arc;

use futures::FutureExt;
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{AuthorizationCode, DeviceCode, DeviceCodeStatus, Oauth2Client, new_id};

use crate::conformance::fixtures::*;
use crate::conformance::single_use::SingleUse;
use crate::{DevicePoll, Oauth2ServerRepository, Repositories, constraint};

fn repo(repos: &Repositories) -> Arc<dyn Oauth2ServerRepository> {
    need(&repos.oauth2_server, "oauth2-server")
}

/// Registers a fresh client and stores a pending device code for it.
async fn pending_device(repos: &Repositories, expires_at: OffsetDateTime) -> DeviceCode {
    let client = create_oauth2_client(repos).await;
    let code = device_code(&client.client_id, expires_at);
    repo(repos)
        .create_device_code(&code)
        .await
        .expect("create_device_code");
    code
}

async fn poll(repos: &Repositories, hash: &str, at: OffsetDateTime) -> DevicePoll {
    repo(repos)
        .poll_device_code(hash, at)
        .await
        .expect("poll_device_code")
}

pub(crate) fn authorization_codes(repos: &Repositories) -> SingleUse<String> {
    SingleUse {
        what: "authorization code",
        repos: repos.clone(),
        issue: |repos, expires_at| {
            async move {
                let client = create_oauth2_client(&repos).await;
                let user = create_user(&repos).await;
                let code = authorization_code(&client.client_id, user.id, expires_at);
                repo(&repos)
                    .create_authorization_code(&code)
                    .await
                    .expect("create");
                code.code_hash
            }
            .boxed()
        },
        consume: |repos, hash, now| {
            async move {
                let code = repo(&repos).consume_authorization_code(&hash, now).await;
                let Some(code) = code.expect("consume_authorization_code") else {
                    return false;
                };
                assert_eq!(
                    code.code_hash, hash,
                    "consume returns the code with this hash"
                );
                assert!(code.used, "a consumed code is returned marked used");
                true
            }
            .boxed()
        },
        unknown: |_| token_hash(),
    }
}

pub(crate) fn device_decisions(repos: &Repositories) -> SingleUse<(String, Uuid)> {
    SingleUse {
        what: "device-code approval",
        repos: repos.clone(),
        issue: |repos, expires_at| {
            async move {
                let code = pending_device(&repos, expires_at).await;
                let user = create_user(&repos).await;
                (code.user_code, user.id)
            }
            .boxed()
        },
        consume: |repos, (user_code, user_id), now| {
            async move {
                let decided = repo(&repos)
                    .decide_device_code(&user_code, user_id, true, now)
                    .await;
                let Some(code) = decided.expect("decide_device_code") else {
                    return false;
                };
                assert_eq!(
                    code.status,
                    DeviceCodeStatus::Approved,
                    "approval is recorded"
                );
                assert_eq!(code.user_id, Some(user_id), "the deciding user is recorded");
                true
            }
            .boxed()
        },
        unknown: |(_, user_id)| (marker()[..16].to_uppercase(), *user_id),
    }
}

fn approved_polls(repos: &Repositories) -> SingleUse<String> {
    SingleUse {
        what: "device-code poll after approval",
        repos: repos.clone(),
        issue: |repos, expires_at| {
            async move {
                let code = pending_device(&repos, expires_at).await;
                let user = create_user(&repos).await;
                let server = repo(&repos);
                let decided = server.decide_device_code(&code.user_code, user.id, true, now());
                decided
                    .await
                    .expect("decide_device_code")
                    .expect("a pending code is decided");
                code.device_code_hash
            }
            .boxed()
        },
        consume: |repos, hash, now| {
            async move {
                match poll(&repos, &hash, now).await {
                    DevicePoll::Approved(code) => {
                        assert_eq!(code.device_code_hash, hash, "Approved carries the code");
                        true
                    }
                    _ => false,
                }
            }
            .boxed()
        },
        unknown: |_| token_hash(),
    }
}

/// A registered client is found with every field; unknown ids find nothing.
pub async fn oauth2_server_client_create_and_find(repos: Repositories) {
    let client = Oauth2Client {
        client_secret_hash: None,
        is_public: true,
        scopes: None,
        client_name: None,
        ..oauth2_client(now())
    };
    repo(&repos)
        .create_oauth2_client(&client)
        .await
        .expect("create_oauth2_client");
    let found = repo(&repos).find_oauth2_client(&client.client_id).await;
    assert_eq!(
        found.expect("find_oauth2_client"),
        Some(client),
        "the stored client"
    );
    let unknown = repo(&repos).find_oauth2_client(&marker()).await;
    assert_eq!(unknown.expect("find_oauth2_client"), None);
}

/// A taken client id is `Conflict(oauth2_clients.client_id)`.
pub async fn oauth2_server_client_conflict(repos: Repositories) {
    let client = create_oauth2_client(&repos).await;
    let twin = Oauth2Client {
        id: new_id(),
        ..client
    };
    let result = repo(&repos).create_oauth2_client(&twin).await;
    let name = constraint::OAUTH2_CLIENTS_CLIENT_ID;
    assert_conflict(result, name, "create_oauth2_client with a taken client id");
}

/// Deleting a client removes its codes, consents and device codes.
pub async fn oauth2_server_client_delete_cascades(repos: Repositories) {
    let client = create_oauth2_client(&repos).await;
    let user = create_user(&repos).await;
    let now = now();
    let server = repo(&repos);
    let code = authorization_code(&client.client_id, user.id, now + Duration::minutes(5));
    server
        .create_authorization_code(&code)
        .await
        .expect("create_authorization_code");
    let consent = consent(user.id, &client.client_id, json!(["openid"]), now);
    server
        .upsert_consent(&consent)
        .await
        .expect("upsert_consent");
    let device = device_code(&client.client_id, now + Duration::minutes(5));
    server
        .create_device_code(&device)
        .await
        .expect("create_device_code");
    let deleted = server.delete_oauth2_client(&client.client_id).await;
    assert!(
        deleted.expect("delete_oauth2_client"),
        "existing client: true"
    );
    let found = server.find_oauth2_client(&client.client_id).await;
    assert_eq!(found.expect("find"), None);
    let code = server
        .consume_authorization_code(&code.code_hash, now)
        .await;
    assert_eq!(
        code.expect("consume"),
        None,
        "codes cascade with the client"
    );
    let consent = server.find_consent(user.id, &client.client_id).await;
    assert_eq!(consent.expect("find_consent"), None, "consents cascade");
    let device = server
        .find_pending_device_code(&device.user_code, now)
        .await;
    assert_eq!(device.expect("find"), None, "device codes cascade");
    let again = server.delete_oauth2_client(&client.client_id).await;
    assert!(!again.expect("delete_oauth2_client"), "missing: false");
}

/// Codes for unknown clients or users are `NotFound`; a taken hash is a conflict.
pub async fn oauth2_server_code_create_errors(repos: Repositories) {
    let client = create_oauth2_client(&repos).await;
    let user = create_user(&repos).await;
    let expires = now() + Duration::minutes(5);
    let no_client = authorization_code(&marker(), user.id, expires);
    let result = repo(&repos).create_authorization_code(&no_client).await;
    assert_not_found(result, "create_authorization_code for an unknown client");
    let no_user = authorization_code(&client.client_id, new_id(), expires);
    let result = repo(&repos).create_authorization_code(&no_user).await;
    assert_not_found(result, "create_authorization_code for an unknown user");
    let code = authorization_code(&client.client_id, user.id, expires);
    repo(&repos)
        .create_authorization_code(&code)
        .await
        .expect("create");
    let twin = AuthorizationCode {
        id: new_id(),
        ..code.clone()
    };
    let result = repo(&repos).create_authorization_code(&twin).await;
    let name = constraint::AUTHORIZATION_CODES_CODE_HASH;
    assert_conflict(result, name, "create_authorization_code with a taken hash");
    let consumed = repo(&repos)
        .consume_authorization_code(&code.code_hash, now())
        .await;
    let expected = AuthorizationCode { used: true, ..code };
    assert_eq!(
        consumed.expect("consume"),
        Some(expected),
        "every field round-trips"
    );
}

/// A code is found by hash in every state: unused, used, and expired; unknown hashes find
/// nothing.
pub async fn oauth2_server_code_find_in_any_state(repos: Repositories) {
    let client = create_oauth2_client(&repos).await;
    let user = create_user(&repos).await;
    let server = repo(&repos);
    let code = authorization_code(&client.client_id, user.id, now() + Duration::minutes(5));
    server
        .create_authorization_code(&code)
        .await
        .expect("create_authorization_code");
    let found = server.find_authorization_code(&code.code_hash).await;
    assert_eq!(
        found.expect("find_authorization_code"),
        Some(code.clone()),
        "an unused code, every field"
    );
    let consumed = server
        .consume_authorization_code(&code.code_hash, now())
        .await;
    assert!(
        consumed.expect("consume").is_some(),
        "the first exchange wins"
    );
    let used = AuthorizationCode {
        used: true,
        ..code.clone()
    };
    let found = server.find_authorization_code(&code.code_hash).await;
    assert_eq!(
        found.expect("find_authorization_code"),
        Some(used),
        "a used code is still found, marked used"
    );
    let expired = authorization_code(&client.client_id, user.id, now() - Duration::minutes(1));
    server
        .create_authorization_code(&expired)
        .await
        .expect("create_authorization_code");
    let found = server.find_authorization_code(&expired.code_hash).await;
    assert_eq!(
        found.expect("find_authorization_code"),
        Some(expired),
        "an expired code is still found"
    );
    let unknown = server.find_authorization_code(&token_hash()).await;
    assert_eq!(unknown.expect("find_authorization_code"), None);
}

/// An authorization code is exchanged once; unknown codes never.
pub async fn oauth2_server_code_consume_once(repos: Repositories) {
    authorization_codes(&repos).consume_once().await;
}

/// An authorization code expiring at `now` cannot be exchanged.
pub async fn oauth2_server_code_expiry(repos: Repositories) {
    authorization_codes(&repos).expiry().await;
}

/// Concurrent exchanges of one authorization code: exactly one wins.
pub async fn oauth2_server_code_consume_race(repos: Repositories) {
    authorization_codes(&repos).race().await;
}

/// Upserting a consent inserts it, then replaces its scopes keeping id and `created_at`.
pub async fn oauth2_server_consent_upsert(repos: Repositories) {
    let client = create_oauth2_client(&repos).await;
    let user = create_user(&repos).await;
    let now = now();
    let first = consent(user.id, &client.client_id, json!(["openid"]), now);
    let stored = repo(&repos)
        .upsert_consent(&first)
        .await
        .expect("upsert_consent");
    assert_eq!(stored, first, "the inserted consent is returned");
    let later = now + Duration::hours(1);
    let second = consent(
        user.id,
        &client.client_id,
        json!(["openid", "email"]),
        later,
    );
    let updated = repo(&repos)
        .upsert_consent(&second)
        .await
        .expect("upsert_consent");
    let expected = yauth_entity::Consent {
        scopes: json!(["openid", "email"]),
        updated_at: later,
        ..first
    };
    assert_eq!(
        updated, expected,
        "upsert keeps id and created_at, replaces scopes"
    );
    let found = repo(&repos).find_consent(user.id, &client.client_id).await;
    assert_eq!(
        found.expect("find_consent"),
        Some(expected),
        "the update is stored"
    );
}

/// Consents are found per (user, client) and withdrawn once.
pub async fn oauth2_server_consent_find_and_delete(repos: Repositories) {
    let client = create_oauth2_client(&repos).await;
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let consent = consent(user.id, &client.client_id, json!(["openid"]), now());
    repo(&repos)
        .upsert_consent(&consent)
        .await
        .expect("upsert_consent");
    let theirs = repo(&repos).find_consent(other.id, &client.client_id).await;
    assert_eq!(theirs.expect("find_consent"), None, "consents are per user");
    let deleted = repo(&repos)
        .delete_consent(user.id, &client.client_id)
        .await;
    assert!(deleted.expect("delete_consent"), "existing: true");
    let found = repo(&repos).find_consent(user.id, &client.client_id).await;
    assert_eq!(found.expect("find_consent"), None);
    let again = repo(&repos)
        .delete_consent(user.id, &client.client_id)
        .await;
    assert!(!again.expect("delete_consent"), "missing: false");
}

/// A user's consents are listed most recently changed first, and nobody else's.
pub async fn oauth2_server_consents_listed_per_user(repos: Repositories) {
    let (first_client, second_client) = (
        create_oauth2_client(&repos).await,
        create_oauth2_client(&repos).await,
    );
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let now = now();
    let server = repo(&repos);
    let older = consent(user.id, &first_client.client_id, json!(["openid"]), now);
    let newer = consent(
        user.id,
        &second_client.client_id,
        json!(["openid", "email"]),
        now + Duration::minutes(1),
    );
    let theirs = consent(other.id, &first_client.client_id, json!(["openid"]), now);
    for c in [&older, &newer, &theirs] {
        server.upsert_consent(c).await.expect("upsert_consent");
    }
    let listed = server.list_user_consents(user.id).await;
    assert_eq!(
        listed.expect("list_user_consents"),
        vec![newer.clone(), older.clone()],
        "the user's consents, newest change first, every field"
    );
    // Changing the older consent's scopes moves it to the front.
    let changed = consent(
        user.id,
        &first_client.client_id,
        json!(["openid", "profile"]),
        now + Duration::minutes(2),
    );
    let changed = server
        .upsert_consent(&changed)
        .await
        .expect("upsert_consent");
    let listed = server.list_user_consents(user.id).await;
    assert_eq!(
        listed.expect("list_user_consents"),
        vec![changed, newer],
        "a changed consent is the most recent"
    );
    let listed = server.list_user_consents(other.id).await;
    assert_eq!(listed.expect("list_user_consents"), vec![theirs]);
    let listed = server.list_user_consents(new_id()).await;
    assert_eq!(
        listed.expect("list_user_consents"),
        Vec::new(),
        "an unknown user has none"
    );
}

/// A consent for an unknown client or user is `NotFound`.
pub async fn oauth2_server_consent_unknown_not_found(repos: Repositories) {
    let client = create_oauth2_client(&repos).await;
    let user = create_user(&repos).await;
    let no_client = consent(user.id, &marker(), json!([]), now());
    assert_not_found(
        repo(&repos).upsert_consent(&no_client).await,
        "unknown client",
    );
    let no_user = consent(new_id(), &client.client_id, json!([]), now());
    assert_not_found(repo(&repos).upsert_consent(&no_user).await, "unknown user");
}

/// Taken device-code hashes and user codes conflict; unknown clients are `NotFound`.
pub async fn oauth2_server_device_create_errors(repos: Repositories) {
    let code = pending_device(&repos, now() + Duration::minutes(15)).await;
    let same_hash = DeviceCode {
        id: new_id(),
        user_code: marker()[..16].to_uppercase(),
        ..code.clone()
    };
    let result = repo(&repos).create_device_code(&same_hash).await;
    let name = constraint::DEVICE_CODES_DEVICE_CODE_HASH;
    assert_conflict(result, name, "create_device_code with a taken hash");
    let same_user_code = DeviceCode {
        id: new_id(),
        device_code_hash: token_hash(),
        ..code.clone()
    };
    let result = repo(&repos).create_device_code(&same_user_code).await;
    let name = constraint::DEVICE_CODES_USER_CODE;
    assert_conflict(result, name, "create_device_code with a taken user code");
    let orphan = device_code(&marker(), code.expires_at);
    let result = repo(&repos).create_device_code(&orphan).await;
    assert_not_found(result, "create_device_code for an unknown client");
}

/// Only pending, unexpired codes are found by user code.
pub async fn oauth2_server_device_find_pending(repos: Repositories) {
    let code = pending_device(&repos, now() + Duration::minutes(15)).await;
    let server = repo(&repos);
    let before = code.expires_at - MICROSECOND;
    let found = server
        .find_pending_device_code(&code.user_code, before)
        .await;
    assert_eq!(
        found.expect("find"),
        Some(code.clone()),
        "the pending code, every field"
    );
    let expired = server
        .find_pending_device_code(&code.user_code, code.expires_at)
        .await;
    assert_eq!(
        expired.expect("find"),
        None,
        "an expired code is not pending"
    );
    let user = create_user(&repos).await;
    let decided = server
        .decide_device_code(&code.user_code, user.id, false, now())
        .await;
    let denied = decided
        .expect("decide_device_code")
        .expect("a pending code is decided");
    assert_eq!(
        denied.status,
        DeviceCodeStatus::Denied,
        "a denial is recorded"
    );
    assert_eq!(denied.user_id, Some(user.id));
    let found = server
        .find_pending_device_code(&code.user_code, now())
        .await;
    assert_eq!(
        found.expect("find"),
        None,
        "a decided code is no longer pending"
    );
}

/// A device code is approved once; unknown user codes never.
pub async fn oauth2_server_device_decide_once(repos: Repositories) {
    device_decisions(&repos).consume_once().await;
}

/// A device code expiring at `now` cannot be decided.
pub async fn oauth2_server_device_decide_expiry(repos: Repositories) {
    device_decisions(&repos).expiry().await;
}

/// Concurrent decisions on one device code: exactly one wins.
pub async fn oauth2_server_device_decide_race(repos: Repositories) {
    device_decisions(&repos).race().await;
}

/// The first poll after approval gets `Approved`, later polls do not.
pub async fn oauth2_server_device_poll_approved_once(repos: Repositories) {
    approved_polls(&repos).consume_once().await;
}

/// An approved code expiring at `now` is not handed out.
pub async fn oauth2_server_device_poll_approved_expiry(repos: Repositories) {
    approved_polls(&repos).expiry().await;
}

/// Concurrent polls of one approved code: exactly one gets `Approved`.
pub async fn oauth2_server_device_poll_approved_race(repos: Repositories) {
    approved_polls(&repos).race().await;
}

/// The poll state machine: Pending, SlowDown, Denied, Expired, Invalid (unknown, consumed).
pub async fn oauth2_server_device_poll_states(repos: Repositories) {
    let t0 = now();
    let code = pending_device(&repos, t0 + Duration::minutes(15)).await;
    let hash = &code.device_code_hash;
    let interval = Duration::seconds(i64::from(code.interval));
    assert_eq!(
        poll(&repos, hash, t0).await,
        DevicePoll::Pending,
        "undecided: Pending"
    );
    let early = t0 + interval - MICROSECOND;
    assert_eq!(
        poll(&repos, hash, early).await,
        DevicePoll::SlowDown,
        "within interval"
    );
    let t1 = early + interval;
    assert_eq!(
        poll(&repos, hash, t1).await,
        DevicePoll::Pending,
        "after the interval"
    );
    let user = create_user(&repos).await;
    let denied = repo(&repos)
        .decide_device_code(&code.user_code, user.id, false, t1)
        .await;
    assert!(denied.expect("decide_device_code").is_some());
    let t2 = t1 + interval;
    assert_eq!(
        poll(&repos, hash, t2).await,
        DevicePoll::Denied,
        "denied: Denied"
    );
    assert_eq!(
        poll(&repos, &token_hash(), t2).await,
        DevicePoll::Invalid,
        "unknown: Invalid"
    );
    let expiring = pending_device(&repos, t0 + Duration::minutes(1)).await;
    let expired = poll(&repos, &expiring.device_code_hash, expiring.expires_at).await;
    assert_eq!(expired, DevicePoll::Expired, "at expires_at: Expired");
    let approved = pending_device(&repos, t0 + Duration::minutes(15)).await;
    let decided = repo(&repos)
        .decide_device_code(&approved.user_code, user.id, true, t0)
        .await;
    assert!(decided.expect("decide_device_code").is_some());
    let first = poll(&repos, &approved.device_code_hash, t0).await;
    assert!(
        matches!(first, DevicePoll::Approved(_)),
        "approved: Approved"
    );
    let after = poll(&repos, &approved.device_code_hash, t2).await;
    assert_eq!(after, DevicePoll::Invalid, "a consumed code is Invalid");
}

/// A pending device code polls `Pending` the microsecond before `expires_at` and `Expired` at
/// it; it can be found for a decision until then, too.
pub async fn oauth2_server_device_poll_expiry_edge(repos: Repositories) {
    let t0 = now();
    let code = pending_device(&repos, t0 + Duration::minutes(1)).await;
    let edge = code.expires_at;
    assert_eq!(
        poll(&repos, &code.device_code_hash, edge - MICROSECOND).await,
        DevicePoll::Pending,
        "pending the microsecond before expires_at"
    );
    // The next poll comes a full interval later, so it cannot be `SlowDown`; the code has
    // expired by then.
    let interval = Duration::seconds(i64::from(code.interval));
    assert_eq!(
        poll(&repos, &code.device_code_hash, edge + interval).await,
        DevicePoll::Expired,
        "expired after expires_at"
    );
    let fresh = pending_device(&repos, t0 + Duration::minutes(1)).await;
    assert_eq!(
        poll(&repos, &fresh.device_code_hash, fresh.expires_at).await,
        DevicePoll::Expired,
        "expired exactly at expires_at"
    );
}

/// Deleting a user removes their consents, authorization codes and decided device codes.
pub async fn oauth2_server_user_delete_cascades(repos: Repositories) {
    let client = create_oauth2_client(&repos).await;
    let user = create_user(&repos).await;
    let now = now();
    let code = authorization_code(&client.client_id, user.id, now + Duration::minutes(5));
    repo(&repos)
        .create_authorization_code(&code)
        .await
        .expect("create");
    let consent = consent(user.id, &client.client_id, json!(["openid"]), now);
    repo(&repos)
        .upsert_consent(&consent)
        .await
        .expect("upsert_consent");
    let device = device_code(&client.client_id, now + Duration::minutes(5));
    let server = repo(&repos);
    server
        .create_device_code(&device)
        .await
        .expect("create_device_code");
    let decided = server
        .decide_device_code(&device.user_code, user.id, true, now)
        .await;
    assert!(decided.expect("decide_device_code").is_some());
    repos.users.delete_user(user.id).await.expect("delete_user");
    let found = repo(&repos).find_consent(user.id, &client.client_id).await;
    assert_eq!(
        found.expect("find_consent"),
        None,
        "consents cascade with the user"
    );
    let code = repo(&repos)
        .consume_authorization_code(&code.code_hash, now)
        .await;
    assert_eq!(
        code.expect("consume"),
        None,
        "authorization codes cascade with the user"
    );
    let poll = poll(&repos, &device.device_code_hash, now).await;
    assert_eq!(
        poll,
        DevicePoll::Invalid,
        "device codes the user decided cascade"
    );
}
