//! Regression tests of the core-hardening work: opaque origins, unknown client addresses,
//! oversized bodies, bounded password hashing, and password-reset rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use serde_json::json;

#[tokio::test]
async fn origin_null_is_never_trusted_even_with_an_opaque_trusted_origin() {
    let mut config = test_config(ORIGIN);
    // Serialised per the URL standard, these origins are `null`; comparing that form trusted
    // every sandboxed frame.
    config.trusted_origins = vec!["tauri://localhost".into(), "capacitor://localhost".into()];
    let app = app_with(config, ep_config(), |b| b).await;
    let (email, cookie) = signed_in_user(&app).await;

    let r = req(Method::POST, "/logout")
        .cookie(&cookie)
        .origin(Some("null"))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "csrf_rejected");
    let r = req(Method::POST, "/login")
        .origin(Some("null"))
        .json(json!({"email": email, "password": PASSWORD}))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "csrf_rejected");
    // The configured app origins themselves still pass.
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .origin(Some("tauri://localhost"))
        .json(json!({"display_name": "Tauri"}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = req(Method::POST, "/logout")
        .cookie(&cookie)
        .origin(Some("capacitor://evil"))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "csrf_rejected");
}

#[tokio::test]
async fn an_origin_without_host_cannot_be_configured() {
    let mut config = test_config(ORIGIN);
    config.trusted_origins = vec!["data:text/plain,hi".into()];
    let err = yauth::YAuthBuilder::new(yauth_store::InMemoryBackend::new(), config)
        .build()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("data:text/plain,hi"), "{err}");
}

#[tokio::test]
async fn without_connect_info_rate_limited_routes_refuse_and_say_how_to_fix_it() {
    let app = app().await;
    let email = verified_user(&app).await;
    let r = req(Method::POST, "/login")
        .without_connect_info()
        .json(json!({"email": email, "password": PASSWORD}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.code(), "client_address_unknown");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("into_make_service_with_connect_info"),
        "{message}"
    );
    assert!(message.contains("trusted_proxies"), "{message}");
    assert!(r.session_cookie().is_none());

    // With rate limits off there is no bucket to share, so the same server works.
    let mut config = test_config(ORIGIN);
    config.rate_limits.enabled = false;
    let app = app_with(config, ep_config(), |b| b).await;
    let email = verified_user(&app).await;
    let r = req(Method::POST, "/login")
        .without_connect_info()
        .json(json!({"email": email, "password": PASSWORD}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn an_oversized_body_is_413_in_the_json_error_shape() {
    let app = app().await;
    let mut body = br#"{"email":"a@example.com","password":""#.to_vec();
    body.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
    body.extend(br#""}"#);
    let r = req(Method::POST, "/login")
        .raw_json(body)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");
}

#[tokio::test]
async fn a_session_id_that_is_not_a_uuid_is_a_json_400() {
    let app = app().await;
    let (_, cookie) = signed_in_user(&app).await;
    let r = req(Method::DELETE, "/sessions/42")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_path");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_is_bounded_and_answered_with_503_and_retry_after() {
    let mut config = test_config(ORIGIN);
    config.rate_limits.enabled = false;
    let app = app_with(config, ep_config(), |b| b).await;
    let email = verified_user(&app).await;
    let flood = 200;
    let tasks: Vec<_> = (0..flood)
        .map(|_| {
            let router = app.router.clone();
            let request = req(Method::POST, "/login")
                .json(json!({"email": email, "password": "wrong-password-123"}));
            tokio::spawn(async move { request.send(&router).await })
        })
        .collect();
    let (mut refused, mut overloaded) = (0, 0);
    for task in tasks {
        let r = task.await.unwrap();
        match r.status {
            StatusCode::UNAUTHORIZED => refused += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.code(), "overloaded");
                assert!(r.headers.contains_key(header::RETRY_AFTER));
                overloaded += 1;
            }
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    assert_eq!(refused + overloaded, flood);
    assert!(overloaded > 0, "200 concurrent hashes exceed the bound");
    assert!(refused >= yauth::crypto::max_concurrent_hashes());
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_refused_even_when_every_field_is_optional() {
    let app = app().await;
    let (_, cookie) = signed_in_user(&app).await;
    for body in ["[]", "[null]", "\"text\"", "42", "null"] {
        let r = req(Method::PATCH, "/me")
            .cookie(&cookie)
            .raw_json(body.as_bytes().to_vec())
            .send(&app.router)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {:?}", r.body);
        assert_eq!(r.code(), "invalid_body", "{body}");
    }
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .raw_json(b"{}".to_vec())
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "an empty object still works");
}
