//! The full example's OpenID Connect sign-in, configured as from `YAUTH_OIDC_*`, against the
//! test OpenID Provider (`oidc-provider` on loopback, started by yauth's test harness).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../../crates/yauth/tests/common/oidc_provider.rs"]
mod oidc_provider;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use oidc_provider::{Answer, TestOp};
use tower::ServiceExt;
use yauth_example_full::{OidcProvider, Settings, app};

/// The callback the example serves with its default base URL.
const CALLBACK: &str = "http://localhost:3000/api/auth/oauth/oidc/callback";

async fn get(
    router: &axum::Router,
    path_and_query: &str,
    cookie: &str,
) -> axum::response::Response {
    let mut request = Request::get(path_and_query)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    router.clone().oneshot(request).await.unwrap()
}

fn cookies(response: &axum::response::Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_example_signs_in_with_the_configured_openid_provider() {
    let Some(op) = TestOp::start(&[CALLBACK], false).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new();
    settings.database_url = format!("sqlite://{}", dir.path().join("example.db").display());
    settings.mail_log = dir.path().join("mail.log");
    settings.key_file = dir.path().join("example.key");
    settings.oidc = Some(OidcProvider {
        issuer: op.issuer.clone(),
        client_id: "yauth-test".into(),
        client_secret: "yauth-test-secret".into(),
    });
    let example = app(&settings).await.unwrap();
    let router = &example.router;
    let email = format!("oidc-{}@example.com", uuid::Uuid::new_v4().simple());
    op.next_login("example-user", &email, true).await;

    let start = get(router, "/api/auth/oauth/oidc/authorize", "").await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let binding = cookies(&start)
        .into_iter()
        .find(|c| c.contains("_oauth="))
        .unwrap();
    let authorize_url = start.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let Answer::Redirect(back) = op.authorize(&authorize_url).await else {
        panic!("the example's provider answers in the query")
    };
    assert!(back.as_str().starts_with(CALLBACK), "{back}");
    let callback = get(
        router,
        &format!("{}?{}", back.path(), back.query().unwrap()),
        &binding,
    )
    .await;
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    let session = cookies(&callback)
        .into_iter()
        .find(|c| c.starts_with("yauth_session=") && c != "yauth_session=")
        .expect("signed in");
    let me = get(router, "/api/auth/session", &session).await;
    assert_eq!(me.status(), StatusCode::OK);
    let body: serde_json::Value =
        serde_json::from_slice(&me.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["email"], email.as_str());
}
