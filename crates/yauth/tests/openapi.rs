//! The OpenAPI document is derived from the router: every documented operation is routed, every
//! route of the enabled plugins is documented, and the committed client document is fresh.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;

fn documented(app: &TestApp) -> Vec<(Method, String)> {
    let doc = serde_json::to_value(app.yauth.openapi()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            ops.push((method, path.clone()));
        }
    }
    ops.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    ops
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = app().await;
    for (method, path) in documented(&app) {
        let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
        let r = req(method.clone(), &concrete).send(&app.router).await;
        // Unauthenticated or invalid requests are fine; an unknown route or method is not.
        assert!(
            r.status != StatusCode::NOT_FOUND
                || r.code() == "not_found"
                || r.code() == "unauthorized",
            "{method} {path} is documented but not routed"
        );
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
    }
}

#[tokio::test]
async fn every_route_of_the_enabled_plugins_is_documented() {
    let app = app().await;
    let mut expected = vec![
        (Method::GET, "/session"),
        (Method::POST, "/logout"),
        (Method::PATCH, "/me"),
        (Method::GET, "/me/activity"),
        (Method::GET, "/sessions"),
        (Method::DELETE, "/sessions"),
        (Method::DELETE, "/sessions/{id}"),
        (Method::POST, "/register"),
        (Method::POST, "/login"),
        (Method::POST, "/verify-email"),
        (Method::POST, "/resend-verification"),
        (Method::POST, "/forgot-password"),
        (Method::POST, "/reset-password"),
        (Method::POST, "/change-password"),
        (Method::GET, "/status"),
    ];
    expected.sort_by(|a, b| (a.1, a.0.as_str()).cmp(&(b.1, b.0.as_str())));
    let expected: Vec<(Method, String)> = expected
        .into_iter()
        .map(|(m, p)| (m, p.to_owned()))
        .collect();
    assert_eq!(documented(&app), expected);
    // Undocumented paths really are not routed.
    let r = req(Method::GET, "/definitely-not-a-route")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[cfg(feature = "openapi")]
#[tokio::test]
async fn the_client_openapi_document_is_fresh() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../packages/client/openapi.json"
    );
    let fresh = yauth::full_openapi_json().await.unwrap();
    if std::env::var("YAUTH_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "packages/client/openapi.json is stale; regenerate it with \
         `cargo run -p yauth --example openapi --features full -- packages/client/openapi.json`"
    );
}
