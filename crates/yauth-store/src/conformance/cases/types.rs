//! Type round trips through several repositories: UUIDs, booleans, optional fields, JSON and
//! timestamps (microseconds, far past and future).

use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{ApiKey, AuditLogEntry, Challenge, OauthState, Session, User};

use crate::conformance::fixtures::*;
use crate::{AuditQuery, Repositories};

/// A created-at in the far past, with every microsecond digit set.
const FAR_PAST: OffsetDateTime = datetime!(1990-05-17 12:34:56.789012 UTC);
/// An expiry in the far future, with every microsecond digit set.
const FAR_FUTURE: OffsetDateTime = datetime!(2200-11-30 23:59:59.999999 UTC);

async fn round_trip_user(repos: &Repositories, user: &User) {
    repos.users.create_user(user).await.expect("create_user");
    let found = repos.users.find_user(user.id).await.expect("find_user");
    assert_eq!(
        found.as_ref(),
        Some(&stored(user)),
        "a user round-trips every field"
    );
}

async fn round_trip_challenge(repos: &Repositories, value: Value) {
    let now = now();
    let challenge = Challenge {
        value,
        ..challenge(FAR_FUTURE, now)
    };
    repos
        .challenges
        .put_challenge(&challenge)
        .await
        .expect("put_challenge");
    let found = repos.challenges.get_challenge(&challenge.key, now).await;
    assert_eq!(
        found.expect("get_challenge"),
        Some(challenge),
        "a challenge round-trips"
    );
}

async fn round_trip_audit(repos: &Repositories, entry: &AuditLogEntry) {
    let stored = repos.audit.append_audit(entry).await.expect("append_audit");
    assert_eq!(
        AuditLogEntry {
            chain: None,
            seq: None,
            prev_hash: None,
            hash: None,
            ..stored.clone()
        },
        *entry,
        "append_audit returns the entry it was given, chained"
    );
    let query = AuditQuery {
        event_type: Some(entry.event_type.clone()),
        ..AuditQuery::default()
    };
    let page = repos.audit.list_audit(&query).await.expect("list_audit");
    assert_eq!(
        page.items,
        vec![stored],
        "an audit entry round-trips every field"
    );
}

/// Timestamps keep every microsecond, through users, sessions and audit entries.
pub async fn types_timestamp_microseconds(repos: Repositories) {
    let at = now()
        .replace_microsecond(123_457)
        .expect("a valid microsecond");
    let user = User {
        banned_until: Some(at + Duration::days(1) + MICROSECOND),
        ..new_user(at)
    };
    round_trip_user(&repos, &user).await;
    let session = Session {
        last_seen_at: at + MICROSECOND,
        expires_at: at + Duration::hours(1) + MICROSECOND * 999_999,
        ..session(user.id, at)
    };
    insert_session(&repos, &session).await;
    let found = repos
        .sessions
        .find_session(session.id)
        .await
        .expect("find_session");
    assert_eq!(
        found,
        Some(session),
        "session timestamps keep their microseconds"
    );
    round_trip_audit(
        &repos,
        &audit_entry(Some(user.id), &event_type(), at + MICROSECOND),
    )
    .await;
}

/// Timestamps in 1990 and 2200 round-trip, and compare correctly with `now`.
pub async fn types_far_past_and_future(repos: Repositories) {
    let user = User {
        banned: true,
        banned_until: Some(FAR_FUTURE),
        ..new_user(FAR_PAST)
    };
    round_trip_user(&repos, &user).await;
    let session = Session {
        expires_at: FAR_FUTURE,
        absolute_expires_at: FAR_FUTURE,
        ..session(user.id, FAR_PAST)
    };
    insert_session(&repos, &session).await;
    let (found, _) = validate(&repos, &session, now())
        .await
        .expect("alive until 2200");
    assert_eq!(found, session, "far timestamps round-trip");
    round_trip_audit(&repos, &audit_entry(None, &event_type(), FAR_PAST)).await;
    let keys = need(&repos.api_keys, "api-key");
    let key = ApiKey {
        expires_at: Some(FAR_FUTURE),
        last_used_at: Some(FAR_PAST),
        ..api_key(user.id, FAR_PAST)
    };
    keys.create_api_key(&key).await.expect("create_api_key");
    let found = keys
        .find_api_key_by_prefix(&key.key_prefix)
        .await
        .expect("find");
    assert_eq!(
        found.map(|(k, _)| k),
        Some(key),
        "API key timestamps round-trip"
    );
}

/// JSON: nested objects, arrays, unicode, numbers, booleans, nulls and a large document.
pub async fn types_json_round_trip(repos: Repositories) {
    let nested = json!({
        "user": { "name": "Zoë 李雷 🚀", "roles": ["admin", "user"], "flags": { "a": true } },
        "numbers": [0, -1, 42, 9_007_199_254_740_991i64, 1.5, -0.25],
        "empty": { "list": [], "object": {} },
        "nothing": null,
        "quote": "she said \"hi\"\\n\ttab",
    });
    round_trip_challenge(&repos, nested.clone()).await;
    round_trip_challenge(&repos, json!([1, "two", [3], { "four": 4 }])).await;
    let large: Vec<Value> = (0..2_000)
        .map(|i| json!({ "i": i, "s": marker() }))
        .collect();
    round_trip_challenge(&repos, Value::Array(large)).await;
    let entry = AuditLogEntry {
        metadata: Some(nested),
        ..audit_entry(None, &event_type(), now())
    };
    round_trip_audit(&repos, &entry).await;
}

/// JSON through plugin repositories: passkeys, API-key scopes, OAuth2 clients.
pub async fn types_json_plugins(repos: Repositories) {
    let user = create_user(&repos).await;
    let passkeys = need(&repos.passkey, "passkey");
    let credential = yauth_entity::WebauthnCredential {
        credential: json!({ "cred": { "key": [1, 2, 255], "counter": 4_294_967_295u64 } }),
        ..webauthn_credential(user.id, now())
    };
    passkeys
        .create_webauthn_credential(&credential)
        .await
        .expect("create");
    let found = passkeys
        .find_webauthn_credential(&credential.credential_id)
        .await;
    assert_eq!(
        found.expect("find"),
        Some(credential),
        "passkey JSON round-trips"
    );
    let client = create_oauth2_client(&repos).await;
    let server = need(&repos.oauth2_server, "oauth2-server");
    let found = server
        .find_oauth2_client(&client.client_id)
        .await
        .expect("find");
    assert_eq!(found, Some(client), "client JSON arrays round-trip");
}

/// Optional fields: both `None` and `Some` survive, through users, OAuth states and API keys.
pub async fn types_optional_fields(repos: Repositories) {
    let full = User {
        display_name: Some(String::new()),
        banned_reason: Some("r".to_owned()),
        banned_until: Some(FAR_FUTURE),
        ..new_user(now())
    };
    round_trip_user(&repos, &full).await;
    round_trip_user(&repos, &new_user(now())).await;
    let oauth = need(&repos.oauth, "oauth");
    let bare = OauthState {
        redirect_url: None,
        nonce: None,
        link_user_id: None,
        ..oauth_state(now() + Duration::minutes(5))
    };
    oauth
        .create_oauth_state(&bare)
        .await
        .expect("create_oauth_state");
    let found = oauth
        .consume_oauth_state(&bare.state, now())
        .await
        .expect("consume");
    assert_eq!(found, Some(bare), "None fields stay None");
    let keys = need(&repos.api_keys, "api-key");
    let key = ApiKey {
        scopes: None,
        ..api_key(full.id, now())
    };
    keys.create_api_key(&key).await.expect("create_api_key");
    let found = keys
        .find_api_key_by_prefix(&key.key_prefix)
        .await
        .expect("find");
    assert_eq!(
        found.map(|(k, _)| k),
        Some(key),
        "a None JSON column stays None"
    );
}

/// Booleans, both ways, through users, OAuth2 clients and webhooks.
pub async fn types_booleans(repos: Repositories) {
    let user = User {
        email_verified: true,
        banned: true,
        ..new_user(now())
    };
    round_trip_user(&repos, &user).await;
    let server = need(&repos.oauth2_server, "oauth2-server");
    for is_public in [true, false] {
        let client = yauth_entity::Oauth2Client {
            is_public,
            ..oauth2_client(now())
        };
        server
            .create_oauth2_client(&client)
            .await
            .expect("create_oauth2_client");
        let found = server
            .find_oauth2_client(&client.client_id)
            .await
            .expect("find");
        assert_eq!(
            found.map(|c| c.is_public),
            Some(is_public),
            "booleans round-trip"
        );
    }
    let hooks = need(&repos.webhooks, "webhooks");
    let hook = yauth_entity::Webhook {
        active: false,
        ..webhook(Some(user.id), now())
    };
    hooks.create_webhook(&hook).await.expect("create_webhook");
    let found = hooks.find_webhook(hook.id).await.expect("find_webhook");
    assert_eq!(found.map(|h| h.active), Some(false), "false stays false");
}

/// UUIDs of any version round-trip exactly, including as foreign keys.
pub async fn types_uuids(repos: Repositories) {
    let user = User {
        id: Uuid::new_v4(),
        ..new_user(now())
    };
    round_trip_user(&repos, &user).await;
    let session = Session {
        id: Uuid::new_v4(),
        ..session(user.id, now())
    };
    insert_session(&repos, &session).await;
    let (found, owner) = validate(&repos, &session, now()).await.expect("valid");
    assert_eq!(
        (found.id, owner.id),
        (session.id, user.id),
        "UUIDs round-trip"
    );
    let bearer = need(&repos.bearer, "bearer");
    let token = yauth_entity::RefreshToken {
        family_id: Uuid::new_v4(),
        ..refresh_token(user.id, now() + Duration::days(1))
    };
    bearer
        .create_refresh_token(&token)
        .await
        .expect("create_refresh_token");
    let found = bearer
        .find_refresh_token(&token.token_hash)
        .await
        .expect("find");
    assert_eq!(found.map(|t| t.family_id), Some(token.family_id));
}

/// Unicode text round-trips (emails are ASCII; names, keys and bodies need not be).
pub async fn types_unicode_text(repos: Repositories) {
    let user = User {
        display_name: Some("Ådne Øster 李雷 🚀 \u{301}".to_owned()),
        banned_reason: Some("«spam» — ∑".to_owned()),
        ..new_user(now())
    };
    round_trip_user(&repos, &user).await;
    let now = now();
    let challenge = Challenge {
        key: format!("conformance:ключ:{}", marker()),
        ..challenge(now + Duration::minutes(5), now)
    };
    repos
        .challenges
        .put_challenge(&challenge)
        .await
        .expect("put_challenge");
    let found = repos.challenges.get_challenge(&challenge.key, now).await;
    assert_eq!(
        found.expect("get_challenge"),
        Some(challenge),
        "unicode keys round-trip"
    );
}
