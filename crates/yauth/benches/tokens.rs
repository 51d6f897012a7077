//! The bearer hot path: an authenticated `GET /session` through the full router with an access
//! token (signature check, revocation lookup, user read) and with an API key (prefix lookup,
//! hash comparison), beside the session cookie and a bare axum handler in the same run.
//!
//! ```sh
//! cargo bench -p yauth --bench tokens --features bearer,api-key
//! ```

// A benchmark whose setup fails should stop loudly, not measure something else.
#![allow(clippy::expect_used, missing_docs)]

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;
use yauth::email::LogEmailSender;
use yauth::entity::{PasswordCredential, User, new_id};
use yauth::store::InMemoryBackend;
use yauth::{YAuthBuilder, YAuthConfig};

const PASSWORD: &str = "bench-password-that-is-long-enough";

fn request(
    method: &str,
    uri: &str,
    headers: &[(header::HeaderName, String)],
    body: Option<String>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let body = match body {
        Some(json) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(json)
        }
        None => Body::empty(),
    };
    let mut req = builder.body(body).expect("static request");
    req.extensions_mut().insert(ConnectInfo(
        "203.0.113.1:40000".parse::<SocketAddr>().expect("literal"),
    ));
    req
}

async fn json_of(router: &axum::Router, req: Request<Body>) -> serde_json::Value {
    let res = router.clone().oneshot(req).await.expect("infallible");
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    serde_json::from_slice(&bytes).expect("json")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (router, access, api_key) = rt.block_on(async {
        let mut config = YAuthConfig::new("http://localhost:3000");
        config.purge_interval = None;
        let yauth = YAuthBuilder::new(InMemoryBackend::new(), config)
            .with_email_sender(LogEmailSender)
            .with_secret_key("bench", &[9; 32])
            .with_email_password(Default::default())
            .with_bearer(Default::default())
            .with_api_keys(Default::default())
            .build()
            .await
            .expect("valid config");
        let state = yauth.state().clone();
        let mut user = User::new(new_id(), "bench@example.com", state.now());
        user.email_verified = true;
        let hash = yauth::crypto::hash_password(PASSWORD).await.expect("hash");
        let credential = PasswordCredential {
            user_id: user.id,
            password_hash: hash,
            updated_at: state.now(),
        };
        state
            .repos()
            .email_password
            .as_ref()
            .expect("email-password repository")
            .create_user_with_password(&user, &credential)
            .await
            .expect("user");
        let router = yauth.router();
        let body = serde_json::json!({ "email": "bench@example.com", "password": PASSWORD });
        let signed_in = json_of(
            &router,
            request("POST", "/token", &[], Some(body.to_string())),
        )
        .await;
        let access = signed_in["tokens"]["access_token"]
            .as_str()
            .expect("a token pair")
            .to_owned();
        let bearer = (header::AUTHORIZATION, format!("Bearer {access}"));
        let created = json_of(
            &router,
            request(
                "POST",
                "/api-keys",
                &[bearer],
                Some(r#"{"name":"bench"}"#.into()),
            ),
        )
        .await;
        let api_key = created["key"].as_str().expect("a key").to_owned();
        (router, access, api_key)
    });

    let bare = axum::Router::new().route(
        "/session",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({
                "id": "01a20452-09b9-705e-8af1-bb0557890ee3",
                "email": "bench@example.com",
                "display_name": null,
                "email_verified": true,
                "role": "user",
                "banned": false,
                "auth_method": "Bearer",
                "scopes": null
            }))
        }),
    );

    let bearer = [(header::AUTHORIZATION, format!("Bearer {access}"))];
    let keyed = [(header::HeaderName::from_static("x-api-key"), api_key)];
    let mut group = c.benchmark_group("get_session_tokens");
    group.bench_function("yauth_bearer_jwt", |b| {
        b.to_async(&rt).iter(|| async {
            let res = router
                .clone()
                .oneshot(request("GET", "/session", &bearer, None))
                .await
                .expect("infallible");
            assert_eq!(res.status(), 200);
        })
    });
    group.bench_function("yauth_api_key", |b| {
        b.to_async(&rt).iter(|| async {
            let res = router
                .clone()
                .oneshot(request("GET", "/session", &keyed, None))
                .await
                .expect("infallible");
            assert_eq!(res.status(), 200);
        })
    });
    group.bench_function("bare_axum_handler", |b| {
        b.to_async(&rt).iter(|| async {
            let res = bare
                .clone()
                .oneshot(request("GET", "/session", &[], None))
                .await
                .expect("infallible");
            assert_eq!(res.status(), 200);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
