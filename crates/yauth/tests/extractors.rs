//! The extractors and the authenticator extension point, on routes an application protects with
//! `YAuth::protect`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::routing::get;
use common::*;
use yauth::{
    ApiError, AuthMethod, AuthUser, Authenticator, RequireAdmin, RequireScope, Scope, YAuthPlugin,
    YAuthState,
};

struct ReadReports;
impl Scope for ReadReports {
    const NAME: &'static str = "reports:read";
}

/// Accepts `X-Test-Key: <email>` for an existing user, with one scope.
struct HeaderKey;

#[async_trait]
impl Authenticator for HeaderKey {
    async fn authenticate(
        &self,
        parts: &Parts,
        state: &YAuthState,
    ) -> Result<Option<AuthUser>, ApiError> {
        let Some(email) = parts
            .headers
            .get("x-test-key")
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(None);
        };
        let user = state.repos().users.find_user_by_email(email).await?;
        match user {
            Some(u) => Ok(Some(AuthUser::from_user(
                &u,
                AuthMethod::ApiKey,
                Some(vec!["other".into()]),
            ))),
            None => Err(ApiError::unauthorized_with("invalid_key", "Unknown key.")),
        }
    }
}

struct KeyPlugin;

impl YAuthPlugin for KeyPlugin {
    fn name(&self) -> &'static str {
        "test-key"
    }
    fn authenticator(&self) -> Option<Arc<dyn Authenticator>> {
        Some(Arc::new(HeaderKey))
    }
}

async fn app_routes(app: &TestApp) -> Router {
    let mine = Router::new()
        .route(
            "/whoami",
            get(|user: AuthUser| async move { format!("{:?}", user.auth_method) }),
        )
        .route(
            "/admin",
            get(|RequireAdmin(admin): RequireAdmin| async move { admin.email }),
        )
        .route(
            "/reports",
            get(|RequireScope(user, ..): RequireScope<ReadReports>| async move { user.email }),
        )
        .route("/maybe", get(maybe_user));
    // The same optional handler outside the middleware: nobody is ever authenticated there.
    let open = Router::new().route("/open/maybe", get(maybe_user));
    app.yauth
        .protect(mine)
        .merge(open)
        .merge(app.router.clone())
}

async fn maybe_user(user: Option<AuthUser>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |u| u.email)
}

#[tokio::test]
async fn the_optional_extractor_sees_the_middlewares_user_and_only_that() {
    let app = app_with(test_config(ORIGIN), ep_config(), |b| b).await;
    let router = app_routes(&app).await;
    let (email, cookie) = signed_in_user(&app).await;
    let r = req(Method::GET, "/maybe")
        .cookie(&cookie)
        .send(&router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, email);
    let r = req(Method::GET, "/open/maybe")
        .cookie(&cookie)
        .send(&router)
        .await;
    assert_eq!(r.body, "anonymous", "no middleware, no user");
}

#[tokio::test]
async fn protected_application_routes_use_the_extractors() {
    let app = app_with(test_config(ORIGIN), ep_config(), |b| {
        b.with_plugin(Box::new(KeyPlugin))
    })
    .await;
    let router = app_routes(&app).await;
    let (email, cookie) = signed_in_user(&app).await;

    assert_eq!(
        req(Method::GET, "/whoami").send(&router).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = req(Method::GET, "/whoami")
        .cookie(&cookie)
        .send(&router)
        .await;
    assert_eq!(r.body, "Session");

    // Not an admin yet.
    let r = req(Method::GET, "/admin")
        .cookie(&cookie)
        .send(&router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "forbidden");
    let user = stored_user(&app, &email).await;
    let promote = yauth::entity::UserUpdate {
        role: Some("admin".into()),
        ..Default::default()
    };
    app.yauth
        .state()
        .repos()
        .users
        .update_user(user.id, &promote, app.yauth.state().now())
        .await
        .unwrap();
    let r = req(Method::GET, "/admin")
        .cookie(&cookie)
        .send(&router)
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // A session carries the user's full rights, so any scope.
    assert_eq!(
        req(Method::GET, "/reports")
            .cookie(&cookie)
            .send(&router)
            .await
            .status,
        StatusCode::OK
    );

    // The plugin's authenticator runs when there is no session cookie.
    let r = req(Method::GET, "/whoami")
        .header("x-test-key", &email)
        .send(&router)
        .await;
    assert_eq!(r.body, "ApiKey");
    let r = req(Method::GET, "/reports")
        .header("x-test-key", &email)
        .send(&router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "insufficient_scope");
    let r = req(Method::GET, "/whoami")
        .header("x-test-key", "nobody@example.com")
        .send(&router)
        .await;
    assert_eq!(r.code(), "invalid_key");
}
