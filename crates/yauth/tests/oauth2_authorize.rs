//! The authorization endpoint of the oauth2-server plugin through HTTP: exact redirect URIs
//! (a mismatch is shown, never redirected to), PKCE S256 required, `prompt` and `max_age`,
//! the application's sign-in and consent pages, denial, the session it sees, and its rate
//! limit. The token side of the code grant is in `oauth2_code_grant.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
#[path = "common/oauth2_code.rs"]
mod code_support;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/recording.rs"]
mod recording;
#[path = "common/oauth2_server.rs"]
mod server_support;

use axum::http::{Method, StatusCode};
use bearer_support::*;
use code_support::*;
use common::*;
use server_support::*;
use yauth::plugins::oauth2_server::Oauth2ServerConfig;

#[tokio::test]
async fn redirect_uri_mismatches_are_shown_and_never_redirected() {
    let app = memory_app(code_config()).await;
    let client = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    for uri in [
        "https://rp.example.com/callback/",
        "https://rp.example.com/callback/extra",
        "http://rp.example.com/callback",
        "https://evil.example/callback",
    ] {
        let r = authorize(
            &app,
            &query(&client, &[("redirect_uri", uri)]),
            Some(&cookie),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(oauth_error(&r), "invalid_request", "{uri}");
        assert!(
            r.headers.get("location").is_none(),
            "{uri}: never redirected"
        );
        assert!(r.body.get("redirect_to").is_none(), "{uri}");
    }
    let r = authorize(
        &app,
        &query(&client, &[("client_id", "nobody")]),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // With one registered URI it may be left out.
    let r = authorize(
        &app,
        &query(&client, &[("redirect_uri", "")]),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn pkce_is_required_and_only_s256() {
    let app = memory_app(code_config()).await;
    let client = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    for changes in [
        vec![("code_challenge", ""), ("code_challenge_method", "")],
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge_method", "")],
        vec![("code_challenge", "too-short")],
    ] {
        let r = authorize(&app, &query(&client, &changes), Some(&cookie)).await;
        let to = r.body["redirect_to"]
            .as_str()
            .unwrap_or_else(|| panic!("{changes:?}: {:?}", r.body));
        assert_eq!(
            param(to, "error").as_deref(),
            Some("invalid_request"),
            "{changes:?}"
        );
        assert_eq!(param(to, "state").as_deref(), Some("st-123"));
        assert!(param(to, "code").is_none());
    }
    let r = authorize(
        &app,
        &query(&client, &[("response_type", "token")]),
        Some(&cookie),
    )
    .await;
    let to = r.body["redirect_to"].as_str().unwrap();
    assert_eq!(
        param(to, "error").as_deref(),
        Some("unsupported_response_type")
    );
    let r = authorize(&app, &query(&client, &[("scope", "admin")]), Some(&cookie)).await;
    let to = r.body["redirect_to"].as_str().unwrap();
    assert_eq!(param(to, "error").as_deref(), Some("invalid_scope"));
}

#[tokio::test]
async fn prompt_none_never_asks_and_max_age_wants_a_recent_sign_in() {
    let app = memory_app(code_config()).await;
    let client = web_client(&app, false).await;
    let r = authorize(&app, &query(&client, &[("prompt", "none")]), None).await;
    let to = r.body["redirect_to"].as_str().unwrap();
    assert_eq!(param(to, "error").as_deref(), Some("login_required"));
    let r = authorize(&app, &query(&client, &[]), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&r), "login_required");

    let (_, cookie) = signed_in_user(&app).await;
    let r = authorize(&app, &query(&client, &[("prompt", "none")]), Some(&cookie)).await;
    let to = r.body["redirect_to"].as_str().unwrap();
    assert_eq!(param(to, "error").as_deref(), Some("consent_required"));

    app.clock.advance(time::Duration::seconds(120));
    let r = authorize(&app, &query(&client, &[("max_age", "60")]), Some(&cookie)).await;
    assert_eq!(
        oauth_error(&r),
        "login_required",
        "signed in two minutes ago"
    );
    let r = authorize(&app, &query(&client, &[("max_age", "600")]), Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = authorize(&app, &query(&client, &[("prompt", "login")]), Some(&cookie)).await;
    assert_eq!(
        oauth_error(&r),
        "login_required",
        "prompt=login wants a sign-in just now"
    );
    let r = decide(
        &app,
        &cookie,
        &query(&client, &[("max_age", "60")]),
        "approve",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "login_required", "the decision is held to it too");
}

#[tokio::test]
async fn a_browser_is_sent_to_the_applications_pages() {
    let config = Oauth2ServerConfig {
        login_page: Some("/sign-in".into()),
        consent_page: Some("https://app.example.com/consent".into()),
        ..code_config()
    };
    let app = memory_app(config).await;
    let client = web_client(&app, false).await;
    let q = query(&client, &[]);
    let browser = |cookie: Option<&str>| {
        let mut r = req(Method::GET, &format!("/oauth/authorize?{q}"))
            .header("accept", "text/html,application/xhtml+xml");
        if let Some(cookie) = cookie {
            r = r.cookie(cookie);
        }
        r
    };
    let r = browser(None).send(&app.router).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.headers["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{ORIGIN}/sign-in?return_to=")),
        "{location}"
    );
    let back = param(location, "return_to").unwrap();
    assert_eq!(back, format!("{ORIGIN}/oauth/authorize?{q}"));
    let (_, cookie) = signed_in_user(&app).await;
    let r = browser(Some(&cookie)).send(&app.router).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        format!("https://app.example.com/consent?{q}")
    );
}

#[tokio::test]
async fn a_denial_goes_back_as_access_denied_and_the_decision_needs_the_session() {
    let app = memory_app(code_config()).await;
    let client = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    let q = query(&client, &[]);
    let r = decide(&app, &cookie, &q, "deny").await;
    let to = r.body["redirect_to"].as_str().unwrap();
    assert_eq!(param(to, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(to, "state").as_deref(), Some("st-123"));
    let r = decide(&app, &cookie, &q, "maybe").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.code(),
        "invalid_request",
        "the consent API answers in yauth's shape"
    );

    // A form post (the plain consent page) is answered with a redirect.
    let mut fields: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    fields.push(("decision".into(), "approve".into()));
    let r = req(Method::POST, "/oauth/authorize")
        .cookie(&cookie)
        .form(&fields)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.body);
    let location = r.headers["location"].to_str().unwrap();
    assert!(param(location, "code").is_some(), "{location}");

    // No session: 401. Another site posting with the user's cookie: refused.
    let r = req(Method::POST, "/oauth/authorize")
        .origin(None)
        .form(&fields)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = req(Method::POST, "/oauth/authorize")
        .cookie(&cookie)
        .origin(Some("https://evil.example"))
        .form(&fields)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A bearer token is no browser session: it cannot consent.
    let (_, tokens) = user_with_tokens(&app).await;
    let r = with_bearer(Method::POST, "/oauth/authorize", access(&tokens))
        .form(&fields)
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "login_required");
}

#[tokio::test]
async fn a_refused_session_is_no_user_but_an_outage_is_no_sign_out() {
    let backend = recording::Recording::new(yauth_store::InMemoryBackend::new());
    let app = app_on(
        backend.clone(),
        test_config(ORIGIN),
        ep_config(),
        with_server(code_config()),
    )
    .await;
    let client = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    ban(&app, &email).await;
    let r = authorize(&app, &query(&client, &[]), Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(
        oauth_error(&r),
        "login_required",
        "a banned user's session signs no one in"
    );

    let (_, cookie) = signed_in_user(&app).await;
    backend.fail("SessionRepository::validate_session");
    let r = authorize(&app, &query(&client, &[]), Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
    assert_eq!(
        oauth_error(&r),
        "temporarily_unavailable",
        "not a login prompt"
    );
}

#[tokio::test]
async fn the_authorization_endpoint_is_rate_limited_per_address() {
    let app = memory_app(Oauth2ServerConfig {
        authorization_rate_limit: yauth::config::RateLimit::new(3, time::Duration::minutes(1)),
        ..code_config()
    })
    .await;
    let client = web_client(&app, false).await;
    let q = query(&client, &[]);
    let from = |ip: &'static str| {
        req(Method::GET, &format!("/oauth/authorize?{q}"))
            .header("accept", "application/json")
            .ip(ip)
    };
    for _ in 0..3 {
        let r = from("203.0.113.7").send(&app.router).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    }
    let r = from("203.0.113.7").send(&app.router).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", r.body);
    assert!(r.headers.contains_key("retry-after"));
    assert!(r.body["error"].is_string(), "the RFC's shape: {:?}", r.body);
    // Another address has its own budget.
    let r = from("198.51.100.9").send(&app.router).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
}
