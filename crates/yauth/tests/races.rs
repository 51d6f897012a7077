//! The plugins' races over HTTP, on every database family: one single-use credential, 16
//! requests at once, exactly one session.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
mod common;
#[path = "common/magic_link.rs"]
mod magic_link_support;
#[path = "common/mfa.rs"]
mod mfa_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use bearer_support::*;
use common::*;
use magic_link_support::*;
use mfa_support::*;
use serde_json::json;
use yauth::plugins::magic_link::MagicLinkConfig;

on_every_family!(
    one_backup_code_opens_one_of_sixteen_logins,
    one_totp_code_opens_one_of_sixteen_logins,
    one_magic_link_gives_one_session,
    one_refresh_token_gives_one_new_pair,
);

/// An app on `family` with 16 logins of one enrolled user waiting for their second factor.
async fn sixteen_pending(family: Family) -> Option<(TestApp, Enrolled, Vec<String>)> {
    let backend = backends::backend("races", family).await?;
    let mut config = test_config(ORIGIN);
    config.rate_limits.enabled = false;
    let app = app_on(backend, config, ep_config(), with_mfa).await;
    let user = enrolled(&app).await;
    let mut pendings = Vec::new();
    for _ in 0..16 {
        pendings.push(pending_login(&app, &user.email).await);
    }
    Some((app, user, pendings))
}

/// Sends every pending login's verification with `code` at once; returns how many got in.
async fn verify_all(app: &TestApp, pendings: Vec<String>, code: &str) -> usize {
    let requests = pendings
        .into_iter()
        .map(|pending| {
            req(Method::POST, "/mfa/verify")
                .json(json!({ "pending_session_id": pending, "code": code }))
        })
        .collect();
    let mut ok = 0;
    for r in race(&app.router, requests).await {
        let status = r.status;
        assert!(
            status == StatusCode::OK || status == StatusCode::UNAUTHORIZED,
            "{status}"
        );
        ok += usize::from(status == StatusCode::OK);
    }
    ok
}

async fn one_backup_code_opens_one_of_sixteen_logins(family: Family) {
    let Some((app, user, pendings)) = sixteen_pending(family).await else {
        return;
    };
    let code = user.backup_codes[3].clone();
    assert_eq!(
        verify_all(&app, pendings, &code).await,
        1,
        "one backup code, one login"
    );
}

async fn one_totp_code_opens_one_of_sixteen_logins(family: Family) {
    let Some((app, user, pendings)) = sixteen_pending(family).await else {
        return;
    };
    let code = code_now(&app, &user.secret);
    assert_eq!(
        verify_all(&app, pendings, &code).await,
        1,
        "one time step, one login"
    );
}

async fn one_magic_link_gives_one_session(family: Family) {
    let Some(backend) = backends::backend("races", family).await else {
        return;
    };
    let mut config = test_config(ORIGIN);
    config.rate_limits.enabled = false;
    let app = app_on(
        backend,
        config,
        ep_config(),
        with_magic_link(MagicLinkConfig::default()),
    )
    .await;
    let email = verified_user(&app).await;
    let token = link_for(&app, &email).await;
    let requests = (0..16)
        .map(|_| req(Method::POST, "/magic-link/verify").json(json!({ "token": token })))
        .collect();
    let mut sessions = 0;
    for r in race(&app.router, requests).await {
        match r.status {
            StatusCode::OK => sessions += usize::from(r.session_cookie().is_some()),
            StatusCode::BAD_REQUEST => assert_eq!(r.code(), "invalid_token"),
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    assert_eq!(sessions, 1, "one link, one session");
}

async fn one_refresh_token_gives_one_new_pair(family: Family) {
    let Some(backend) = backends::backend("races", family).await else {
        return;
    };
    let mut config = test_config(ORIGIN);
    config.rate_limits.enabled = false;
    let app = app_on(
        backend,
        config,
        ep_config(),
        with_tokens(Default::default(), Default::default()),
    )
    .await;
    let (_, tokens) = user_with_tokens(&app).await;
    let presented = refresh_token(&tokens).to_owned();
    let requests = (0..16)
        .map(|_| {
            req(Method::POST, "/token/refresh")
                .origin(None)
                .json(json!({ "refresh_token": presented }))
        })
        .collect();
    let mut pairs = 0;
    for r in race(&app.router, requests).await {
        match r.status {
            StatusCode::OK => pairs += 1,
            StatusCode::UNAUTHORIZED => {
                assert_eq!(r.code(), "refresh_token_reused", "{:?}", r.body)
            }
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    assert_eq!(pairs, 1, "one refresh token, one new pair");
}
