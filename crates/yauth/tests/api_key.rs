//! The api-key plugin through HTTP: keys shown once, owned by their creator, scoped, expiring,
//! and accepted in `Authorization: Bearer` or `X-Api-Key`. Every case runs on every database
//! family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
mod common;
#[path = "common/families.rs"]
mod families;

use axum::http::{Method, StatusCode};
use backends::Family;
use bearer_support::*;
use common::*;
use serde_json::{Value, json};
use time::Duration;
use yauth::plugins::api_key::ApiKeyConfig;
use yauth::plugins::bearer::BearerConfig;
use yauth::{RequireScope, Scope};

struct ReportsRead;
impl Scope for ReportsRead {
    const NAME: &'static str = "reports:read";
}

async fn reports(RequireScope(user, ..): RequireScope<ReportsRead>) -> String {
    user.email
}

on_every_family!(
    a_key_is_shown_once_and_authenticates_in_either_header,
    a_key_without_the_scope_is_forbidden_and_a_wrong_secret_unauthorised,
    an_expired_key_is_refused,
    the_owner_is_always_the_creator_and_scopes_stay_within_the_creators,
    creating_a_key_needs_a_recent_sign_in,
    a_deleted_key_stops_at_once_and_others_keys_cannot_be_deleted,
    last_use_is_written_at_most_once_a_minute,
    a_banned_owners_keys_stop_working,
    a_bearer_token_wins_over_an_api_key_header,
    an_account_holds_a_bounded_number_of_keys,
);

/// The token app on `family`, plus an application route that needs the `reports:read` scope.
async fn key_on(family: Family, config: ApiKeyConfig) -> Option<TestApp> {
    let mut app = families::app_in(
        "api_key",
        family,
        test_config(ORIGIN),
        ep_config(),
        with_tokens(BearerConfig::default(), config),
    )
    .await?;
    let reports = app
        .yauth
        .protect(axum::Router::new().route("/reports", axum::routing::get(reports)));
    app.router = app.router.clone().merge(reports);
    Some(app)
}

async fn create_key(app: &TestApp, cookie: &str, body: Value) -> Res {
    req(Method::POST, "/api-keys")
        .cookie(cookie)
        .json(body)
        .send(&app.router)
        .await
}

fn with_header_key(method: Method, path: &str, key: &str) -> Req {
    req(method, path).origin(None).header("x-api-key", key)
}

async fn a_key_is_shown_once_and_authenticates_in_either_header(family: Family) {
    let Some(app) = key_on(family, ApiKeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let r = create_key(
        &app,
        &cookie,
        json!({ "name": "deploy", "scopes": ["reports:read"] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let key = r.body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("yauth_"), "{key}");
    assert_eq!(r.body["scopes"], json!(["reports:read"]));
    let prefix = r.body["prefix"].as_str().unwrap();
    assert!(key.starts_with(&format!("yauth_{prefix}_")));

    let list = req(Method::GET, "/api-keys")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(
        !list.body.to_string().contains(&key[key.len() - 20..]),
        "no secret in the list"
    );
    let stored = app
        .yauth
        .state()
        .repos()
        .api_keys
        .as_ref()
        .unwrap()
        .list_api_keys(stored_user(&app, &email).await.id)
        .await
        .unwrap();
    assert!(
        !stored[0].key_hash.contains(&key[key.len() - 64..]),
        "only a hash is stored"
    );

    for r in [
        session_with(&app, &key).await,
        with_header_key(Method::GET, "/session", &key)
            .send(&app.router)
            .await,
    ] {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["email"], json!(email));
        assert_eq!(r.body["auth_method"], json!("ApiKey"));
        assert_eq!(r.body["scopes"], json!(["reports:read"]));
    }
    let r = with_header_key(Method::GET, "/reports", &key)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn a_key_without_the_scope_is_forbidden_and_a_wrong_secret_unauthorised(family: Family) {
    let Some(app) = key_on(family, ApiKeyConfig::default()).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let r = create_key(
        &app,
        &cookie,
        json!({ "name": "narrow", "scopes": ["billing:read"] }),
    )
    .await;
    let key = r.body["key"].as_str().unwrap().to_owned();
    let r = with_header_key(Method::GET, "/reports", &key)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "insufficient_scope");

    let mut wrong = key.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let r = with_header_key(Method::GET, "/session", &wrong)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_api_key");
    let r = with_header_key(Method::GET, "/session", "yauth_nonsense")
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_api_key");
}

async fn an_expired_key_is_refused(family: Family) {
    let Some(app) = key_on(family, ApiKeyConfig::default()).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let expires = app.yauth.state().now() + Duration::hours(1);
    let r = create_key(
        &app,
        &cookie,
        json!({ "name": "temp", "expires_at": expires.format(&time::format_description::well_known::Rfc3339).unwrap() }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let key = r.body["key"].as_str().unwrap().to_owned();
    assert_eq!(session_with(&app, &key).await.status, StatusCode::OK);
    app.clock.advance(Duration::hours(1));
    let r = session_with(&app, &key).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "api_key_expired");

    let past = app.yauth.state().now() - Duration::minutes(1);
    let r = create_key(
        &app,
        &cookie_after_login(&app, &cookie).await,
        json!({ "name": "past", "expires_at": past.format(&time::format_description::well_known::Rfc3339).unwrap() }),
    )
    .await;
    assert_eq!(r.code(), "invalid_expiry");
}

/// A fresh session for the owner of `cookie` (step-up after the clock moved).
async fn cookie_after_login(app: &TestApp, cookie: &str) -> String {
    let me = req(Method::GET, "/session")
        .cookie(cookie)
        .send(&app.router)
        .await;
    let email = me.body["email"].as_str().unwrap().to_owned();
    login(app, &email, PASSWORD).await.session_cookie().unwrap()
}

async fn the_owner_is_always_the_creator_and_scopes_stay_within_the_creators(family: Family) {
    let Some(app) = key_on(
        family,
        ApiKeyConfig {
            allowed_scopes: Some(vec!["reports:read".into(), "reports:write".into()]),
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let other = stored_user(&app, &verified_user(&app).await).await;
    let r = create_key(&app, &cookie, json!({ "name": "x", "user_id": other.id })).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "the body cannot name an owner"
    );
    let r = create_key(
        &app,
        &cookie,
        json!({ "name": "x", "scopes": ["admin:everything"] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_scope");
    let r = create_key(
        &app,
        &cookie,
        json!({ "name": "x", "scopes": ["bad scope"] }),
    )
    .await;
    assert_eq!(r.code(), "invalid_scope");

    // A key cannot mint keys: it carries no sign-in time, so step-up refuses it.
    let r = create_key(
        &app,
        &cookie,
        json!({ "name": "parent", "scopes": ["reports:read"] }),
    )
    .await;
    let key = r.body["key"].as_str().unwrap().to_owned();
    let r = with_header_key(Method::POST, "/api-keys", &key)
        .json(json!({ "name": "child", "scopes": ["reports:write"] }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "reauthentication_required");
}

async fn creating_a_key_needs_a_recent_sign_in(family: Family) {
    let Some(app) = key_on(family, ApiKeyConfig::default()).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    app.clock.advance(Duration::minutes(11));
    let r = create_key(&app, &cookie, json!({ "name": "late" })).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "reauthentication_required");
}

async fn a_deleted_key_stops_at_once_and_others_keys_cannot_be_deleted(family: Family) {
    let Some(app) = key_on(family, ApiKeyConfig::default()).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let (_, intruder) = signed_in_user(&app).await;
    let r = create_key(&app, &cookie, json!({ "name": "mine" })).await;
    let (id, key) = (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["key"].as_str().unwrap().to_owned(),
    );
    let r = req(Method::DELETE, &format!("/api-keys/{id}"))
        .cookie(&intruder)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(session_with(&app, &key).await.status, StatusCode::OK);
    let r = req(Method::DELETE, &format!("/api-keys/{id}"))
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        session_with(&app, &key).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = req(Method::DELETE, "/api-keys/not-a-uuid")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_path");
}

async fn last_use_is_written_at_most_once_a_minute(family: Family) {
    let Some(app) = key_on(family, ApiKeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let key = create_key(&app, &cookie, json!({ "name": "k" })).await.body["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let user_id = stored_user(&app, &email).await.id;
    let last_used = || async {
        app.yauth
            .state()
            .repos()
            .api_keys
            .as_ref()
            .unwrap()
            .list_api_keys(user_id)
            .await
            .unwrap()[0]
            .last_used_at
    };
    assert_eq!(last_used().await, None);
    let t0 = app.yauth.state().now();
    session_with(&app, &key).await;
    assert_eq!(last_used().await, Some(t0));
    app.clock.advance(Duration::seconds(30));
    session_with(&app, &key).await;
    assert_eq!(last_used().await, Some(t0), "not again within the minute");
    app.clock.advance(Duration::seconds(31));
    session_with(&app, &key).await;
    assert_eq!(last_used().await, Some(app.yauth.state().now()));
}

async fn a_banned_owners_keys_stop_working(family: Family) {
    let Some(app) = key_on(family, ApiKeyConfig::default()).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let key = create_key(&app, &cookie, json!({ "name": "k" })).await.body["key"]
        .as_str()
        .unwrap()
        .to_owned();
    ban(&app, &email).await;
    let r = session_with(&app, &key).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "account_banned");
}

async fn a_bearer_token_wins_over_an_api_key_header(family: Family) {
    let Some(app) = key_on(family, ApiKeyConfig::default()).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let key = create_key(&app, &cookie, json!({ "name": "k" })).await.body["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, tokens) = user_with_tokens(&app).await;
    let r = with_bearer(Method::GET, "/session", access(&tokens))
        .header("x-api-key", &key)
        .send(&app.router)
        .await;
    assert_eq!(r.body["auth_method"], json!("Bearer"));
    // An invalid bearer token is not rescued by a valid key in the other header.
    let r = with_bearer(Method::GET, "/session", "a.b.c")
        .header("x-api-key", &key)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn an_account_holds_a_bounded_number_of_keys(family: Family) {
    let Some(app) = key_on(
        family,
        ApiKeyConfig {
            max_keys_per_user: 2,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    for name in ["a", "b"] {
        assert_eq!(
            create_key(&app, &cookie, json!({ "name": name }))
                .await
                .status,
            StatusCode::CREATED
        );
    }
    let r = create_key(&app, &cookie, json!({ "name": "c" })).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "too_many_api_keys");
}
