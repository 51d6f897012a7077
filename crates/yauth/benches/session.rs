//! The hot path: an authenticated `GET /session` through the full router (cookie -> one storage
//! call -> JSON), beside a bare axum handler returning similar JSON, both driven the same way.
//!
//! ```sh
//! cargo bench -p yauth --bench session
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
use yauth::entity::{User, new_id};
use yauth::extract::ClientInfo;
use yauth::store::InMemoryBackend;
use yauth::{YAuthBuilder, YAuthConfig};

fn request(cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().uri("/session");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    let mut req = builder.body(Body::empty()).expect("static request");
    req.extensions_mut().insert(ConnectInfo(
        "203.0.113.1:40000".parse::<SocketAddr>().expect("literal"),
    ));
    req
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (router, cookie) = rt.block_on(async {
        let mut config = YAuthConfig::new("http://localhost:3000");
        config.purge_interval = None;
        let yauth = YAuthBuilder::new(InMemoryBackend::new(), config)
            .with_email_sender(LogEmailSender)
            .build()
            .await
            .expect("valid config");
        let state = yauth.state().clone();
        let user = User::new(new_id(), "bench@example.com", state.now());
        state.repos().users.create_user(&user).await.expect("user");
        let (token, _) = state
            .create_session(&user, &ClientInfo::default(), false, None, &["pwd"])
            .await
            .expect("session");
        (yauth.router(), format!("yauth_session={token}"))
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
                "auth_method": "Session",
                "scopes": null
            }))
        }),
    );

    let mut group = c.benchmark_group("get_session");
    group.bench_function("yauth_authenticated", |b| {
        b.to_async(&rt).iter(|| async {
            let res = router
                .clone()
                .oneshot(request(Some(&cookie)))
                .await
                .expect("infallible");
            assert_eq!(res.status(), 200);
        })
    });
    group.bench_function("bare_axum_handler", |b| {
        b.to_async(&rt).iter(|| async {
            let res = bare
                .clone()
                .oneshot(request(None))
                .await
                .expect("infallible");
            assert_eq!(res.status(), 200);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
