//! Sessions, cookies, CSRF, binding, rate limits, error shapes and the builder's validation.
//! What the database takes part in runs on every database family; the rate-limit cases (whose
//! counters a database would keep from one run to the next) and the purge (which would purge
//! the other tests' rows of a shared database) run in memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/families.rs"]
mod families;

use async_trait::async_trait;
use axum::http::{Method, StatusCode, header};
use backends::Family;
use common::*;
use serde_json::json;
use time::Duration;
use yauth::{
    AuthEvent, BindingAction, BuildError, EventContext, EventResponse, YAuthBuilder, YAuthPlugin,
    YAuthState,
};

on_every_family!(
    cookies_on_plain_http_localhost,
    cookies_on_https_are_secure_with_host_prefix,
    remember_me_sets_a_persistent_cookie,
    renewal_waits_for_half_the_window_and_reissues_only_persistent_cookies,
    csrf_refuses_cookie_requests_without_a_trusted_origin,
    trusted_origins_extend_the_csrf_allow_list,
    binding_warn_allows_a_moved_session,
    binding_invalidate_ends_a_moved_session,
    binding_checks_only_what_is_bound,
    sessions_slide_and_end_at_the_absolute_lifetime,
    idle_sessions_expire,
    users_list_and_revoke_their_own_sessions,
    patch_me_updates_and_validates_the_display_name,
    plugins_can_require_mfa_or_block_a_login,
);

/// The test app with `config` and `extra` on `family`.
async fn on(
    family: Family,
    config: yauth::YAuthConfig,
    extra: impl FnOnce(YAuthBuilder) -> YAuthBuilder,
) -> Option<TestApp> {
    families::app_in("core", family, config, ep_config(), extra).await
}

async fn cookies_on_plain_http_localhost(family: Family) {
    let Some(app) = on(family, test_config(ORIGIN), |b| b).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    let r = login(&app, &email, PASSWORD).await;
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("yauth_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.contains("Secure"));
    assert!(
        !cookie.contains("Max-Age"),
        "a session cookie unless remember-me"
    );
}

async fn cookies_on_https_are_secure_with_host_prefix(family: Family) {
    let Some(app) = on(family, test_config("https://app.example.com"), |b| b).await else {
        return;
    };
    let email = verified_user(&app).await;
    let r = req(Method::POST, "/login")
        .origin(Some("https://app.example.com"))
        .json(json!({ "email": email, "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-yauth_session="))
        .unwrap();
    assert!(cookie.contains("Secure"));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.contains("Domain"));
    // The unprefixed name is not accepted on https.
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-");
    let r = req(Method::GET, "/session")
        .cookie(value)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn remember_me_sets_a_persistent_cookie(family: Family) {
    let Some(app) = on(family, test_config(ORIGIN), |b| b).await else {
        return;
    };
    let (email, _) = signed_in_user(&app).await;
    let r = req(Method::POST, "/login")
        .json(json!({ "email": email, "password": PASSWORD, "remember_me": true }))
        .send(&app.router)
        .await;
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("yauth_session="))
        .unwrap();
    assert!(
        cookie.contains(&format!("Max-Age={}", 30 * 24 * 3600)),
        "{cookie}"
    );
    // The session outlives the default 24h idle window.
    app.clock.advance(Duration::hours(25));
    let r = req(Method::GET, "/session")
        .cookie(&r.session_cookie().unwrap())
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn csrf_refuses_cookie_requests_without_a_trusted_origin(family: Family) {
    let Some(app) = on(family, test_config(ORIGIN), |b| b).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let r = req(Method::POST, "/logout")
        .cookie(&cookie)
        .origin(None)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "csrf_rejected");
    let r = req(Method::POST, "/logout")
        .cookie(&cookie)
        .origin(Some("https://evil.example"))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "csrf_rejected");
    // A same-origin Referer is enough when Origin is absent.
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .origin(None)
        .header("referer", "http://localhost:3000/settings")
        .json(json!({ "display_name": "Grace" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Safe methods need no origin.
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .origin(None)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Login from a foreign page is refused too.
    let r = req(Method::POST, "/login")
        .origin(Some("https://evil.example"))
        .json(json!({ "email": unique_email(), "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "csrf_rejected");
}

async fn trusted_origins_extend_the_csrf_allow_list(family: Family) {
    let mut config = test_config(ORIGIN);
    config.trusted_origins = vec!["https://admin.example.com".into()];
    let Some(app) = on(family, config, |b| b).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let r = req(Method::POST, "/logout")
        .cookie(&cookie)
        .origin(Some("https://admin.example.com"))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn bound_app(family: Family, action: BindingAction) -> Option<TestApp> {
    let mut config = test_config(ORIGIN);
    config.session.bind_ip = true;
    config.session.bind_user_agent = true;
    config.session.binding_action = action;
    on(family, config, |b| b).await
}

async fn binding_warn_allows_a_moved_session(family: Family) {
    let Some(app) = bound_app(family, BindingAction::Warn).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .ip("198.51.100.99")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn binding_invalidate_ends_a_moved_session(family: Family) {
    let Some(app) = bound_app(family, BindingAction::Invalidate).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    // Same IP and User-Agent: fine.
    assert_eq!(
        req(Method::GET, "/session")
            .cookie(&cookie)
            .send(&app.router)
            .await
            .status,
        StatusCode::OK
    );
    // Another IP: the session is destroyed.
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .ip("198.51.100.99")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "session_binding_mismatch");
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "even back on the original IP"
    );
    // Another User-Agent: same.
    let cookie = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .header("user-agent", "curl/8")
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "session_binding_mismatch");
}

async fn binding_checks_only_what_is_bound(family: Family) {
    for bind_ip in [true, false] {
        let mut config = test_config(ORIGIN);
        config.session.bind_ip = bind_ip;
        config.session.bind_user_agent = !bind_ip;
        config.session.binding_action = BindingAction::Invalidate;
        let Some(app) = on(family, config, |b| b).await else {
            return;
        };
        let (_, cookie) = signed_in_user(&app).await;
        let moved_ip = req(Method::GET, "/session")
            .cookie(&cookie)
            .ip("198.51.100.99");
        let moved_agent = req(Method::GET, "/session")
            .cookie(&cookie)
            .header("user-agent", "curl/8");
        let (unbound, bound) = if bind_ip {
            (moved_agent, moved_ip)
        } else {
            (moved_ip, moved_agent)
        };
        let r = unbound.send(&app.router).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "bind_ip {bind_ip}: the unbound change is fine"
        );
        let r = bound.send(&app.router).await;
        assert_eq!(
            r.code(),
            "session_binding_mismatch",
            "bind_ip {bind_ip}: the bound change ends the session"
        );
    }
}

#[tokio::test]
async fn login_rate_limit_is_per_ip_and_per_account() {
    let app = app().await;
    let (email, _) = signed_in_user(&app).await; // one login already counted for this IP and email
    let limit = 10;
    // Per IP: other accounts from the same IP exhaust the IP's bucket.
    for _ in 1..limit {
        let r = req(Method::POST, "/login")
            .ip("192.0.2.1")
            .json(json!({ "email": unique_email(), "password": "whatever-123" }))
            .send(&app.router)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    for _ in 0..2 {
        let r = req(Method::POST, "/login")
            .ip("192.0.2.1")
            .json(json!({ "email": unique_email(), "password": "whatever-123" }))
            .send(&app.router)
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.code(), "rate_limited");
            let retry: u64 = r.headers[header::RETRY_AFTER]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry));
        }
    }
    let r = req(Method::POST, "/login")
        .ip("192.0.2.1")
        .json(json!({ "email": unique_email(), "password": "whatever-123" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Not a global bucket: another client is unaffected.
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    // Per account: one email hammered from many IPs is limited too.
    let victim = unique_email();
    let mut limited = false;
    for i in 0..=limit {
        let r = req(Method::POST, "/login")
            .ip(&format!("198.51.100.{}", i + 1))
            .json(json!({ "email": victim, "password": "guess-123456" }))
            .send(&app.router)
            .await;
        limited |= r.status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "per-account limit applies across IPs");
    // The window passes.
    app.clock.advance(Duration::minutes(1));
    let r = req(Method::POST, "/login")
        .ip("192.0.2.1")
        .json(json!({ "email": unique_email(), "password": "whatever-123" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn ipv6_clients_share_a_bucket_per_64() {
    let mut ep = ep_config();
    ep.rate_limits.forgot_password = yauth::RateLimit::new(2, Duration::minutes(15));
    let app = app_with(test_config(ORIGIN), ep, |b| b).await;
    let send = |ip: &str| {
        req(Method::POST, "/forgot-password")
            .ip(ip)
            .json(json!({ "email": unique_email() }))
    };
    assert_eq!(
        send("2001:db8:1:2::1").send(&app.router).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        send("2001:db8:1:2::ffff").send(&app.router).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        send("2001:db8:1:2:abcd::9").send(&app.router).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send("2001:db8:1:3::1").send(&app.router).await.status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn forwarded_for_is_only_believed_from_trusted_proxies() {
    let mut config = test_config(ORIGIN);
    config.trusted_proxies = vec!["10.0.0.0/8".into()];
    let mut ep = ep_config();
    ep.rate_limits.forgot_password = yauth::RateLimit::new(1, Duration::minutes(15));
    let app = app_with(config, ep, |b| b).await;
    let send = |peer: &str, xff: &str| {
        req(Method::POST, "/forgot-password")
            .ip(peer)
            .header("x-forwarded-for", xff)
            .json(json!({ "email": unique_email() }))
    };
    // Through the proxy, two different clients have their own buckets.
    assert_eq!(
        send("10.0.0.1", "198.51.100.1")
            .send(&app.router)
            .await
            .status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        send("10.0.0.1", "198.51.100.2")
            .send(&app.router)
            .await
            .status,
        StatusCode::ACCEPTED
    );
    // A direct client cannot escape its bucket by forging the header.
    assert_eq!(
        send("192.0.2.50", "1.1.1.1").send(&app.router).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        send("192.0.2.50", "2.2.2.2").send(&app.router).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn sessions_slide_and_end_at_the_absolute_lifetime(family: Family) {
    let mut config = test_config(ORIGIN);
    config.session.ttl = Duration::hours(2);
    config.session.absolute_ttl = Duration::hours(5);
    config.session.remember_me_ttl = Some(Duration::hours(4));
    let Some(app) = on(family, config, |b| b).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let get = || req(Method::GET, "/session").cookie(&cookie);
    // Used every 90 minutes, the 2-hour idle window keeps sliding...
    for _ in 0..3 {
        app.clock.advance(Duration::minutes(90));
        assert_eq!(get().send(&app.router).await.status, StatusCode::OK);
    }
    // ...until the absolute lifetime (5h) ends it.
    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        get().send(&app.router).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn renewal_waits_for_half_the_window_and_reissues_only_persistent_cookies(family: Family) {
    let mut config = test_config(ORIGIN);
    config.session.ttl = Duration::hours(2);
    config.session.absolute_ttl = Duration::hours(10);
    config.session.remember_me_ttl = Some(Duration::hours(4));
    let Some(app) = on(family, config, |b| b).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let user = stored_user(&app, &email).await;
    let expiry = || async {
        let state = app.yauth.state();
        let sessions = state
            .repos()
            .sessions
            .list_user_sessions(user.id, state.now());
        let sessions = sessions.await.unwrap();
        assert_eq!(sessions.len(), 1);
        sessions[0].expires_at
    };
    let session_cookie_set = |r: &Res| {
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("yauth_session="))
    };
    let created = expiry().await;
    // A quarter of the window used: more than half remains, nothing is written.
    app.clock.advance(Duration::minutes(30));
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        expiry().await,
        created,
        "not renewed while half the window remains"
    );
    assert!(!session_cookie_set(&r));
    // Past half: renewed to a full window from now, and a browser-session cookie stays one.
    app.clock.advance(Duration::minutes(31));
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        expiry().await,
        app.yauth.state().now() + Duration::hours(2),
        "renewed"
    );
    assert!(!session_cookie_set(&r), "a session cookie is not re-issued");

    // A remember-me session has a 4-hour window; its renewal re-issues the persistent cookie.
    let r = req(Method::POST, "/logout")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = req(Method::POST, "/login")
        .json(json!({ "email": email, "password": PASSWORD, "remember_me": true }))
        .send(&app.router)
        .await;
    let remembered = r.session_cookie().unwrap();
    app.clock.advance(Duration::minutes(121));
    let r = req(Method::GET, "/session")
        .cookie(&remembered)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let reissued = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("yauth_session="))
        .expect("the persistent cookie is re-issued");
    assert!(
        reissued.contains(&format!("Max-Age={}", 4 * 3600)),
        "{reissued}"
    );
}

async fn idle_sessions_expire(family: Family) {
    let Some(app) = on(family, test_config(ORIGIN), |b| b).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    app.clock.advance(Duration::hours(24));
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn users_list_and_revoke_their_own_sessions(family: Family) {
    let Some(app) = on(family, test_config(ORIGIN), |b| b).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&app).await;
    let second = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let third = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let (_, stranger) = signed_in_user(&app).await;

    let r = req(Method::GET, "/sessions")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    let sessions = r.body.as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(sessions[0]["ip_address"], "203.0.113.10");
    let second_id = {
        let r = req(Method::GET, "/sessions")
            .cookie(&second)
            .send(&app.router)
            .await;
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Someone else cannot end it.
    let r = req(Method::DELETE, &format!("/sessions/{second_id}"))
        .cookie(&stranger)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = req(Method::DELETE, &format!("/sessions/{second_id}"))
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        req(Method::GET, "/session")
            .cookie(&second)
            .send(&app.router)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Sign out everywhere else.
    let r = req(Method::DELETE, "/sessions")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.body["revoked"], 1);
    assert_eq!(
        req(Method::GET, "/session")
            .cookie(&third)
            .send(&app.router)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        req(Method::GET, "/session")
            .cookie(&cookie)
            .send(&app.router)
            .await
            .status,
        StatusCode::OK
    );
    let r = req(Method::DELETE, "/sessions/not-a-uuid")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn patch_me_updates_and_validates_the_display_name(family: Family) {
    let Some(app) = on(family, test_config(ORIGIN), |b| b).await else {
        return;
    };
    let (_, cookie) = signed_in_user(&app).await;
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .json(json!({ "display_name": "  Grace Hopper " }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["display_name"], "Grace Hopper");
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .json(json!({ "display_name": "x".repeat(101) }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "input_too_long");
    // An absent field changes nothing...
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .json(json!({}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["display_name"], "Grace Hopper");
    // ...an unknown one is refused...
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .json(json!({ "displayName": "typo" }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_body");
    // ...and null clears.
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .json(json!({ "display_name": null }))
        .send(&app.router)
        .await;
    assert_eq!(r.body["display_name"], serde_json::Value::Null);
}

#[tokio::test]
async fn malformed_requests_get_json_errors_not_500s() {
    let app = app().await;
    let r = req(Method::POST, "/login")
        .header("content-type", "application/json")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_body");
    assert!(r.body["error"]["message"].is_string());
    let r = req(Method::POST, "/login")
        .json(json!({ "email": 5 }))
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "invalid_body");
    let r = req(Method::POST, "/register")
        .header("content-type", "text/plain")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.code(), "unsupported_media_type");
    let r = req(Method::GET, "/session")
        .cookie("yauth_session=garbage")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn status_lists_enabled_plugins() {
    let app = app().await;
    let (_, cookie) = signed_in_user(&app).await;
    let r = req(Method::GET, "/status")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.body["plugins"], json!(["email-password", "status"]));
    assert_eq!(
        req(Method::GET, "/status").send(&app.router).await.status,
        StatusCode::UNAUTHORIZED
    );
}

struct Gate(EventResponse);

#[async_trait]
impl YAuthPlugin for Gate {
    fn name(&self) -> &'static str {
        "gate"
    }
    async fn on_event(&self, event: &AuthEvent, _: &EventContext, _: &YAuthState) -> EventResponse {
        match event {
            AuthEvent::LoginSucceeded { .. } => self.0.clone(),
            _ => EventResponse::Continue,
        }
    }
}

/// A plugin that answers every failed password sign-in of a known account with its own error
/// (a custom lockout, say).
struct FailureGate(EventResponse);

#[async_trait]
impl YAuthPlugin for FailureGate {
    fn name(&self) -> &'static str {
        "failure-gate"
    }
    async fn on_event(&self, event: &AuthEvent, _: &EventContext, _: &YAuthState) -> EventResponse {
        match event {
            AuthEvent::LoginFailed {
                user_id: Some(_), ..
            } => self.0.clone(),
            _ => EventResponse::Continue,
        }
    }
}

async fn plugins_can_require_mfa_or_block_a_login(family: Family) {
    let mfa = EventResponse::RequireMfa {
        pending_session_id: "pending-1".into(),
    };
    let Some(app) = on(family, test_config(ORIGIN), |b| {
        b.with_plugin(Box::new(Gate(mfa)))
    })
    .await
    else {
        return;
    };
    let email = verified_user(&app).await;
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["mfa_required"], true);
    assert_eq!(r.body["pending_session_id"], "pending-1");
    assert!(r.session_cookie().is_none(), "no session before MFA");

    let block = EventResponse::Block {
        status: 423,
        code: "locked",
        message: "Locked.".into(),
    };
    let Some(app) = on(family, test_config(ORIGIN), |b| {
        b.with_plugin(Box::new(Gate(block)))
    })
    .await
    else {
        return;
    };
    let email = verified_user(&app).await;
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.status.as_u16(), 423);
    assert_eq!(r.code(), "locked");
    // A plugin's answer to a failed attempt replaces the generic one.
    let block = EventResponse::Block {
        status: 429,
        code: "slow_down_please",
        message: "Too many attempts.".into(),
    };
    let Some(app) = on(family, test_config(ORIGIN), |b| {
        b.with_plugin(Box::new(FailureGate(block)))
    })
    .await
    else {
        return;
    };
    let email = verified_user(&app).await;
    let r = login(&app, &email, "not-the-password-at-all").await;
    assert_eq!(r.status.as_u16(), 429, "{:?}", r.body);
    assert_eq!(r.code(), "slow_down_please");
    assert_eq!(login(&app, &email, PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn build_refuses_bad_configuration_without_panicking() {
    let backend = yauth_store::InMemoryBackend::new;
    let err = YAuthBuilder::new(backend(), yauth::YAuthConfig::new("not a url"))
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, BuildError::InvalidConfig(_)), "{err}");

    let mut config = test_config(ORIGIN);
    config.session.ttl = Duration::days(60);
    let err = YAuthBuilder::new(backend(), config)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, BuildError::InvalidConfig(_)));

    let mut config = test_config(ORIGIN);
    config.trusted_proxies = vec!["10.0.0.0/40".into()];
    assert!(YAuthBuilder::new(backend(), config).build().await.is_err());

    let err = YAuthBuilder::new(backend(), test_config(ORIGIN))
        .with_email_password(ep_config())
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(err, BuildError::MissingEmailSender { .. }),
        "{err}"
    );

    let mut ep = ep_config();
    ep.policy.min_length = 500;
    let err = YAuthBuilder::new(backend(), test_config(ORIGIN))
        .with_email_sender(yauth::email::LogEmailSender)
        .with_email_password(ep)
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(err, BuildError::InvalidPluginConfig { .. }),
        "{err}"
    );

    let err = YAuthBuilder::new(backend(), test_config(ORIGIN))
        .with_plugin(Box::new(Gate(EventResponse::Continue)))
        .with_plugin(Box::new(Gate(EventResponse::Continue)))
        .build()
        .await
        .unwrap_err();
    assert_eq!(err, BuildError::DuplicatePlugin("gate".into()));

    // Compiled-in features that are not configured are simply not mounted.
    let yauth = YAuthBuilder::new(backend(), test_config(ORIGIN))
        .build()
        .await
        .unwrap();
    let r = req(Method::POST, "/login")
        .json(json!({}))
        .send(&yauth.router())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_background_task_purges_expired_sessions() {
    let mut config = test_config(ORIGIN);
    config.purge_interval = Some(std::time::Duration::from_millis(20));
    let app = app_with(config, ep_config(), |b| b).await;
    let (email, _) = signed_in_user(&app).await;
    let user = stored_user(&app, &email).await;
    let find = || async {
        let repos = app.yauth.state().repos();
        let page = repos
            .sessions
            .list_sessions(
                yauth::store::PageRequest {
                    offset: 0,
                    limit: 100,
                },
                time::OffsetDateTime::UNIX_EPOCH,
            )
            .await
            .unwrap();
        page.items
            .into_iter()
            .filter(|s| s.user_id == user.id)
            .count()
    };
    assert_eq!(find().await, 1);
    app.clock.advance(Duration::hours(25));
    let mut remaining = 1;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        remaining = find().await;
        if remaining == 0 {
            break;
        }
    }
    assert_eq!(
        remaining, 0,
        "the expired session was purged by the background task"
    );
}
