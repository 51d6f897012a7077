//! Shared by the bearer and api-key tests: an app with both plugins, tokens from `/token`, and
//! requests that carry them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yauth::YAuthBuilder;
use yauth::plugins::api_key::ApiKeyConfig;
use yauth::plugins::bearer::BearerConfig;

use crate::common::*;

pub const KEY: [u8; 32] = [7; 32];

pub fn with_tokens(
    bearer: BearerConfig,
    api_keys: ApiKeyConfig,
) -> impl FnOnce(YAuthBuilder) -> YAuthBuilder {
    move |b| {
        b.with_secret_key("k1", &KEY)
            .with_bearer(bearer)
            .with_api_keys(api_keys)
    }
}

pub async fn token_app() -> TestApp {
    token_app_with(BearerConfig::default()).await
}

pub async fn token_app_with(bearer: BearerConfig) -> TestApp {
    app_with(
        test_config(ORIGIN),
        ep_config(),
        with_tokens(bearer, ApiKeyConfig::default()),
    )
    .await
}

/// `POST /token` for `email` with the test password.
pub async fn password_token(app: &TestApp, email: &str) -> Res {
    req(Method::POST, "/token")
        .origin(None)
        .json(json!({ "email": email, "password": PASSWORD }))
        .send(&app.router)
        .await
}

/// A verified user and the token pair `/token` answers for them.
pub async fn user_with_tokens(app: &TestApp) -> (String, Value) {
    let email = verified_user(app).await;
    let r = password_token(app, &email).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.session_cookie().is_none(), "tokens, no cookie");
    (email, r.body["tokens"].clone())
}

pub fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

pub fn refresh_token(tokens: &Value) -> &str {
    tokens["refresh_token"].as_str().unwrap()
}

/// A request authenticated only by `Authorization: Bearer <credential>` (no cookie, no Origin).
pub fn with_bearer(method: Method, path: &str, credential: &str) -> Req {
    req(method, path)
        .origin(None)
        .header("authorization", &format!("Bearer {credential}"))
}

/// `GET /session` with the credential.
pub async fn session_with(app: &TestApp, credential: &str) -> Res {
    with_bearer(Method::GET, "/session", credential)
        .send(&app.router)
        .await
}

pub async fn refresh(app: &TestApp, refresh: &str) -> Res {
    req(Method::POST, "/token/refresh")
        .origin(None)
        .json(json!({ "refresh_token": refresh }))
        .send(&app.router)
        .await
}
