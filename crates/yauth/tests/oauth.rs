//! The OAuth client against a real OpenID Provider on loopback (`oidc-provider`, certified):
//! sign-up, sign-in, linking, unlinking, MFA, form_post, userinfo, and the refusal of every
//! forged or replayed answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/backends.rs"]
mod backends;
mod common;
#[path = "common/mfa.rs"]
mod mfa_support;
#[path = "common/oidc_provider.rs"]
mod oidc_provider;

use axum::http::{Method, StatusCode, header};
use backends::{FAMILIES, backend};
use common::*;
use mfa_support::{enrolled, with_mfa};
use oidc_provider::{Answer, TestOp};
use serde_json::json;
use url::Url;
use yauth::plugins::oauth::{ClientAuth, OauthConfig, ProviderConfig, ResponseMode};

const CALLBACK: &str = "http://localhost:3000/oauth/oidc/callback";
const POST_CALLBACK: &str = "http://localhost:3000/oauth/oidc-post/callback";
const BINDING: &str = "yauth_session_oauth=";

fn oauth_config(op: &TestOp) -> OauthConfig {
    let mut post = ProviderConfig::oidc(
        "oidc-post",
        &op.issuer,
        "yauth-post",
        "yauth-post-secret",
        POST_CALLBACK,
    );
    post.client_auth = ClientAuth::Post;
    post.response_mode = ResponseMode::FormPost;
    OauthConfig {
        allowed_redirect_urls: vec!["http://localhost:3000/app".into()],
        ..OauthConfig::default()
    }
    .provider(ProviderConfig::oidc(
        "oidc",
        &op.issuer,
        "yauth-test",
        "yauth-test-secret",
        CALLBACK,
    ))
    .provider(post)
}

async fn provider(conform: bool) -> Option<TestOp> {
    TestOp::start(&[CALLBACK, POST_CALLBACK], conform).await
}

async fn oauth_app_on(op: &TestOp, backend: impl yauth_store::DatabaseBackend) -> TestApp {
    oauth_app_with(op, backend, test_config(ORIGIN)).await
}

async fn oauth_app_with(
    op: &TestOp,
    backend: impl yauth_store::DatabaseBackend,
    core: yauth::YAuthConfig,
) -> TestApp {
    let config = oauth_config(op);
    app_on(backend, core, ep_config(), move |b| {
        with_mfa(b).with_oauth(config)
    })
    .await
}

async fn oauth_app(op: &TestOp) -> TestApp {
    oauth_app_on(op, yauth_store::InMemoryBackend::new()).await
}

/// An authorization request started at yauth: the binding cookie and the provider URL.
struct Started {
    binding: String,
    authorize_url: String,
}

async fn start(app: &TestApp, provider: &str, query: &str) -> Started {
    let r = req(Method::GET, &format!("/oauth/{provider}/authorize{query}"))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.body);
    Started {
        binding: binding_of(&r),
        authorize_url: r.headers[header::LOCATION].to_str().unwrap().to_owned(),
    }
}

fn binding_of(r: &Res) -> String {
    r.set_cookies()
        .into_iter()
        .find(|c| c.starts_with(BINDING))
        .expect("the binding cookie is set")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Delivers the provider's answer to yauth's callback with `cookie`.
async fn deliver(app: &TestApp, answer: &Answer, cookie: &str) -> Res {
    match answer {
        Answer::Redirect(url) => {
            let path = format!("{}?{}", url.path(), url.query().unwrap_or(""));
            req(Method::GET, &path)
                .cookie(cookie)
                .send(&app.router)
                .await
        }
        Answer::FormPost { action, fields } => {
            let path = Url::parse(action).unwrap().path().to_owned();
            // The provider's page posts cross-site: no Origin of ours.
            req(Method::POST, &path)
                .origin(None)
                .cookie(cookie)
                .form(fields)
                .send(&app.router)
                .await
        }
    }
}

fn location(r: &Res) -> Url {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.body);
    Url::parse(r.headers[header::LOCATION].to_str().unwrap()).unwrap()
}

fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The whole browser flow at `provider`; the callback's answer.
async fn sign_in(app: &TestApp, op: &TestOp, provider: &str) -> Res {
    let started = start(app, provider, "").await;
    let answer = op.authorize(&started.authorize_url).await;
    deliver(app, &answer, &started.binding).await
}

async fn session_email(app: &TestApp, cookie: &str) -> String {
    let r = req(Method::GET, "/session")
        .cookie(cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["email"].as_str().unwrap().to_owned()
}

fn subject() -> String {
    format!("sub-{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_verified_identity_signs_up_then_signs_in_to_the_same_account() {
    let Some(op) = provider(false).await else {
        return;
    };
    let backend = yauth_store::InMemoryBackend::new();
    let app = oauth_app_on(&op, backend.clone()).await;
    let (sub, email) = (subject(), unique_email());
    op.next_login(&sub, &email, true).await;

    let r = sign_in(&app, &op, "oidc").await;
    assert_eq!(location(&r).as_str(), "http://localhost:3000/");
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with(BINDING) && c.contains("Max-Age=0"))
    );
    let cookie = r.session_cookie().expect("a session");
    assert_eq!(session_email(&app, &cookie).await, email);
    let me = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(me.body["email_verified"], true);
    assert_eq!(me.body["amr"], json!(["fed"]));

    // The provider tokens are sealed at rest, never stored as they came.
    let repos = yauth_store::DatabaseBackend::repositories(&backend);
    let account = repos
        .oauth
        .as_ref()
        .unwrap()
        .find_oauth_account("oidc", &sub)
        .await
        .unwrap()
        .expect("the identity is linked");
    assert!(
        account
            .access_token_enc
            .as_deref()
            .unwrap()
            .starts_with("y1.k1.")
    );

    let again = sign_in(&app, &op, "oidc").await;
    let second = again.session_cookie().expect("a second session");
    assert_eq!(session_email(&app, &second).await, email);
    let users = repos
        .users
        .find_user_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(users.id, account.user_id, "no second account");
}

#[tokio::test]
async fn a_replayed_or_unbound_state_is_refused() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    op.next_login(&subject(), &unique_email(), true).await;
    let started = start(&app, "oidc", "").await;
    let answer = op.authorize(&started.authorize_url).await;

    // Without the cookie of the browser that started it (login CSRF), the state is refused and
    // stays unspent.
    let other_browser = deliver(&app, &answer, "unrelated=1").await;
    assert_eq!(other_browser.status, StatusCode::BAD_REQUEST);
    assert_eq!(other_browser.code(), "invalid_state");

    let first = deliver(&app, &answer, &started.binding).await;
    assert!(first.session_cookie().is_some(), "{:?}", first.headers);
    let replay = deliver(&app, &answer, &started.binding).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.code(), "invalid_state");
    assert!(replay.session_cookie().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_callbacks_with_one_state_sign_in_once() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    op.next_login(&subject(), &unique_email(), true).await;
    let started = start(&app, "oidc", "").await;
    let Answer::Redirect(url) = op.authorize(&started.authorize_url).await else {
        panic!("the provider answers in the query")
    };
    let path = format!("{}?{}", url.path(), url.query().unwrap());
    let requests = (0..16)
        .map(|_| req(Method::GET, &path).cookie(&started.binding))
        .collect();
    let mut sessions = 0;
    for r in race(&app.router, requests).await {
        if r.session_cookie().is_some() {
            sessions += 1;
        } else {
            assert_eq!(r.code(), "invalid_state");
        }
    }
    assert_eq!(sessions, 1);
}

/// Signs in with the next id_token tampered with; asserts the error redirect and no session.
async fn refused_with(app: &TestApp, op: &TestOp, tamper: &str, expected: &str) {
    op.next_login(&subject(), &unique_email(), true).await;
    op.tamper(tamper).await;
    let r = sign_in(app, op, "oidc").await;
    assert_eq!(
        query_value(&location(&r), "error").as_deref(),
        Some(expected),
        "{tamper}"
    );
    assert!(r.session_cookie().is_none(), "{tamper} signed in");
}

#[tokio::test]
async fn forged_id_tokens_are_refused() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    // Discovery and the first key fetch happen once, on the first sign-in.
    op.next_login(&subject(), &unique_email(), true).await;
    assert!(sign_in(&app, &op, "oidc").await.session_cookie().is_some());
    for mode in [
        "wrong-nonce",
        "wrong-audience",
        "wrong-issuer",
        "expired",
        "foreign-key-same-kid",
    ] {
        refused_with(&app, &op, mode, "invalid_id_token").await;
    }
    // A key the provider never published: yauth refetches the key set once, then refuses.
    let before = op.stats().await["jwks_requests"].as_u64().unwrap();
    refused_with(&app, &op, "foreign-key", "invalid_id_token").await;
    let after = op.stats().await["jwks_requests"].as_u64().unwrap();
    assert_eq!(after, before + 1, "one refetch for an unknown key id");
    // Made-up key ids cannot make yauth hammer the provider: no second refetch within a minute.
    refused_with(&app, &op, "foreign-key", "invalid_id_token").await;
    assert_eq!(op.stats().await["jwks_requests"].as_u64().unwrap(), after);
}

#[tokio::test]
async fn an_error_from_the_provider_is_passed_on_without_signing_in() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    op.refuse_next_login().await;
    let r = sign_in(&app, &op, "oidc").await;
    let target = location(&r);
    assert_eq!(
        query_value(&target, "error").as_deref(),
        Some("provider_denied")
    );
    assert_eq!(
        query_value(&target, "provider_error").as_deref(),
        Some("access_denied")
    );
    assert!(r.session_cookie().is_none());
}

#[tokio::test]
async fn an_existing_account_joins_only_when_both_emails_are_verified() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    let email = verified_user(&app).await;

    // The provider does not vouch for the address: it would have linked, so it is refused.
    op.next_login(&subject(), &email, false).await;
    let r = sign_in(&app, &op, "oidc").await;
    assert_eq!(
        query_value(&location(&r), "error").as_deref(),
        Some("email_not_verified")
    );
    assert!(r.session_cookie().is_none());
    let (_, cookie) = (email.clone(), login_cookie(&app, &email).await);
    let accounts = req(Method::GET, "/oauth/accounts")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(accounts.body, json!([]), "nothing was linked");

    // The provider vouches and the account's address is verified: it joins.
    op.next_login(&subject(), &email, true).await;
    let r = sign_in(&app, &op, "oidc").await;
    let session = r
        .session_cookie()
        .expect("signed in to the existing account");
    assert_eq!(session_email(&app, &session).await, email);

    // An account whose owner never verified the address does not join.
    let unverified = unique_email();
    let r = req(Method::POST, "/register")
        .json(json!({ "email": unverified, "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    op.next_login(&subject(), &unverified, true).await;
    let r = sign_in(&app, &op, "oidc").await;
    assert_eq!(
        query_value(&location(&r), "error").as_deref(),
        Some("link_required")
    );
}

async fn login_cookie(app: &TestApp, email: &str) -> String {
    let r = login(app, email, PASSWORD).await;
    r.session_cookie().expect("password sign-in")
}

#[tokio::test]
async fn a_signed_in_user_links_lists_and_unlinks_a_provider() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    let (email, cookie) = signed_in_user(&app).await;
    let sub = subject();
    // The provider account has another address: an explicit link needs no matching email.
    op.next_login(&sub, &unique_email(), false).await;
    let r = req(Method::POST, "/oauth/oidc/link")
        .cookie(&cookie)
        .json(json!({ "redirect_url": "http://localhost:3000/app/settings" }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let binding = binding_of(&r);
    let answer = op
        .authorize(r.body["authorize_url"].as_str().unwrap())
        .await;
    let linked = deliver(&app, &answer, &binding).await;
    let target = location(&linked);
    assert_eq!(target.path(), "/app/settings");
    assert_eq!(query_value(&target, "linked").as_deref(), Some("oidc"));
    assert!(linked.session_cookie().is_none(), "linking signs nobody in");

    let accounts = req(Method::GET, "/oauth/accounts")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(accounts.body.as_array().unwrap().len(), 1);
    assert_eq!(accounts.body[0]["provider"], "oidc");
    assert_eq!(accounts.body[0]["provider_user_id"], sub.as_str());
    assert!(accounts.body[0].get("access_token_enc").is_none());

    // The linked identity now signs in to this account.
    op.next_login(&sub, &unique_email(), false).await;
    let r = sign_in(&app, &op, "oidc").await;
    assert_eq!(
        session_email(&app, &r.session_cookie().unwrap()).await,
        email
    );

    // Another user cannot link the same identity.
    let (_, other) = signed_in_user(&app).await;
    let r = req(Method::POST, "/oauth/oidc/link")
        .cookie(&other)
        .json(json!({}))
        .send(&app.router)
        .await;
    let answer = op
        .authorize(r.body["authorize_url"].as_str().unwrap())
        .await;
    let taken = deliver(&app, &answer, &binding_of(&r)).await;
    assert_eq!(
        query_value(&location(&taken), "error").as_deref(),
        Some("identity_in_use")
    );

    // Unlinking: the account keeps its password, so it may.
    let r = req(Method::DELETE, "/oauth/oidc")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = req(Method::DELETE, "/oauth/oidc")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.code(), "not_linked");
    let accounts = req(Method::GET, "/oauth/accounts")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(accounts.body, json!([]));
}

#[tokio::test]
async fn the_last_way_to_sign_in_cannot_be_unlinked() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    op.next_login(&subject(), &unique_email(), true).await;
    let cookie = sign_in(&app, &op, "oidc").await.session_cookie().unwrap();
    let r = req(Method::DELETE, "/oauth/oidc")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "last_sign_in_method");
    let accounts = req(Method::GET, "/oauth/accounts")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(accounts.body.as_array().unwrap().len(), 1, "still linked");
}

#[tokio::test]
async fn linking_and_unlinking_need_a_recent_sign_in() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    let (_, cookie) = signed_in_user(&app).await;
    app.clock.advance(time::Duration::minutes(11));
    for (method, path, body) in [
        (Method::POST, "/oauth/oidc/link", Some(json!({}))),
        (Method::DELETE, "/oauth/oidc", None),
    ] {
        let mut request = req(method, path).cookie(&cookie);
        if let Some(body) = body {
            request = request.json(body);
        }
        let r = request.send(&app.router).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.code(), "reauthentication_required", "{path}");
    }
}

#[tokio::test]
async fn a_second_factor_is_still_required_after_the_provider() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    let enrolled = enrolled(&app).await;
    op.next_login(&subject(), &enrolled.email, true).await;
    let r = sign_in(&app, &op, "oidc").await;
    assert!(
        r.session_cookie().is_none(),
        "no session before the second factor"
    );
    let fragment = location(&r).fragment().unwrap().to_owned();
    assert!(
        fragment.starts_with("mfa_required=true&pending_session_id="),
        "{fragment}"
    );
    let pending = fragment.split("pending_session_id=").nth(1).unwrap();
    let code = mfa_support::code_now(&app, &enrolled.secret);
    let r = mfa_support::verify(&app, pending, &code).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.session_cookie().is_some());
}

#[tokio::test]
async fn form_post_answers_and_client_secret_post_work() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    let email = unique_email();
    op.next_login(&subject(), &email, true).await;
    let started = start(&app, "oidc-post", "").await;
    let answer = op.authorize(&started.authorize_url).await;
    assert!(matches!(answer, Answer::FormPost { .. }), "{answer:?}");
    let r = deliver(&app, &answer, &started.binding).await;
    let cookie = r.session_cookie().expect("signed in by form_post");
    assert_eq!(session_email(&app, &cookie).await, email);
}

#[tokio::test]
async fn the_email_comes_from_userinfo_when_the_id_token_has_none() {
    let Some(op) = provider(true).await else {
        return;
    };
    let app = oauth_app(&op).await;
    let email = unique_email();
    op.next_login(&subject(), &email, true).await;
    let before = op.stats().await["userinfo_requests"].as_u64().unwrap();
    let r = sign_in(&app, &op, "oidc").await;
    let cookie = r.session_cookie().expect("signed up from userinfo claims");
    assert_eq!(session_email(&app, &cookie).await, email);
    assert_eq!(
        op.stats().await["userinfo_requests"].as_u64().unwrap(),
        before + 1
    );
}

#[tokio::test]
async fn redirects_go_only_to_allowed_urls() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    for evil in [
        "https://evil.example/",
        "http://localhost:3000.evil.example/app",
        "http://localhost:3001/app",
    ] {
        let query = format!(
            "?redirect_url={}",
            url::form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>()
        );
        let r = req(Method::GET, &format!("/oauth/oidc/authorize{query}"))
            .send(&app.router)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{evil}");
        assert_eq!(r.code(), "redirect_not_allowed", "{evil}");
    }
    op.next_login(&subject(), &unique_email(), true).await;
    let started = start(
        &app,
        "oidc",
        "?redirect_url=http%3A%2F%2Flocalhost%3A3000%2Fapp%2Fhome",
    )
    .await;
    let answer = op.authorize(&started.authorize_url).await;
    let r = deliver(&app, &answer, &started.binding).await;
    assert_eq!(location(&r).as_str(), "http://localhost:3000/app/home");

    let r = req(Method::GET, "/oauth/nope/authorize")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "unknown_provider");
}

#[tokio::test]
async fn the_authorization_request_uses_pkce_s256_state_and_nonce() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    let started = start(&app, "oidc", "").await;
    let url = Url::parse(&started.authorize_url).unwrap();
    assert_eq!(
        query_value(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query_value(&url, "code_challenge").unwrap().len(), 43);
    assert_eq!(query_value(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(query_value(&url, "redirect_uri").as_deref(), Some(CALLBACK));
    let state = query_value(&url, "state").unwrap();
    assert!(state.len() >= 43);
    assert!(
        started.binding.ends_with(&state),
        "the cookie binds this state"
    );
    assert!(query_value(&url, "nonce").unwrap().len() >= 43);
    let scope = query_value(&url, "scope").unwrap();
    assert!(
        scope.split(' ').any(|s| s == "openid") && scope.contains("email"),
        "{scope}"
    );
}

/// The same flows on the SQL families: sign-up, sign-in and the stored link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_and_sign_in_work_on_every_backend() {
    let Some(op) = provider(false).await else {
        return;
    };
    for family in FAMILIES {
        let Some(backend) = backend("oauth", family).await else {
            continue;
        };
        let app = oauth_app_on(&op, backend).await;
        let (sub, email) = (subject(), unique_email());
        op.next_login(&sub, &email, true).await;
        let first = sign_in(&app, &op, "oidc").await;
        let cookie = first
            .session_cookie()
            .unwrap_or_else(|| panic!("{family:?}: {:?}", first.headers));
        assert_eq!(session_email(&app, &cookie).await, email, "{family:?}");
        let second = sign_in(&app, &op, "oidc").await;
        assert!(second.session_cookie().is_some(), "{family:?}");
        let accounts = req(Method::GET, "/oauth/accounts")
            .cookie(&cookie)
            .send(&app.router)
            .await;
        assert_eq!(
            accounts.body[0]["provider_user_id"],
            sub.as_str(),
            "{family:?}"
        );
        let r = req(Method::DELETE, "/oauth/oidc")
            .cookie(&cookie)
            .send(&app.router)
            .await;
        assert_eq!(r.code(), "last_sign_in_method", "{family:?}");
    }
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    let Some(op) = provider(false).await else {
        return;
    };
    let app = oauth_app(&op).await;
    op.next_login(&subject(), &unique_email(), true).await;
    let started = start(&app, "oidc", "").await;
    let answer = op.authorize(&started.authorize_url).await;
    app.clock
        .advance(time::Duration::minutes(10) + time::Duration::seconds(1));
    let r = deliver(&app, &answer, &started.binding).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_state");
}

/// Hostile values in every parameter of every oauth route, on every backend: a 2xx, 3xx or 4xx,
/// never a server error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_never_cause_a_server_error() {
    let Some(op) = provider(false).await else {
        return;
    };
    let hostile = [
        "\u{0}".to_owned(),
        "x".repeat(10_000),
        "é".repeat(300),
        "'; DROP TABLE yauth_oauth_states; --".to_owned(),
        "%_\\".to_owned(),
        "\u{202e}evil".to_owned(),
        String::new(),
        "javascript:alert(1)".to_owned(),
    ];
    for family in FAMILIES {
        let Some(backend) = backend("oauth_hostile", family).await else {
            continue;
        };
        let app = oauth_app_on(&op, backend).await;
        let (_, cookie) = signed_in_user(&app).await;
        let ok = |r: &Res, what: &str| {
            assert!(
                !r.status.is_server_error() && r.status != StatusCode::TOO_MANY_REQUESTS,
                "{family:?} {what}: {} {:?}",
                r.status,
                r.body
            );
        };
        let started = start(&app, "oidc", "").await;
        for value in &hostile {
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            let r = req(Method::GET, &format!("/oauth/{encoded}/authorize"))
                .send(&app.router)
                .await;
            ok(&r, "provider name");
            let r = req(
                Method::GET,
                &format!("/oauth/oidc/authorize?redirect_url={encoded}"),
            )
            .send(&app.router)
            .await;
            ok(&r, "redirect_url");
            for field in ["state", "code", "error", "error_description", "iss"] {
                let query = format!("/oauth/oidc/callback?state=s&{field}={encoded}");
                let r = req(Method::GET, &query)
                    .cookie(&started.binding)
                    .send(&app.router)
                    .await;
                ok(&r, field);
                let fields = [
                    ("state".to_owned(), "s".to_owned()),
                    (field.to_owned(), value.clone()),
                ];
                let r = req(Method::POST, "/oauth/oidc/callback")
                    .origin(None)
                    .cookie(&started.binding)
                    .form(&fields)
                    .send(&app.router)
                    .await;
                ok(&r, field);
            }
            let r = req(Method::POST, "/oauth/oidc/link")
                .cookie(&cookie)
                .json(json!({ "redirect_url": value }))
                .send(&app.router)
                .await;
            ok(&r, "link redirect_url");
            let r = req(Method::DELETE, &format!("/oauth/{encoded}"))
                .cookie(&cookie)
                .send(&app.router)
                .await;
            ok(&r, "unlink provider");
        }
        // The real state still works after all that: nothing was consumed by the noise.
        op.next_login(&subject(), &unique_email(), true).await;
        let answer = op.authorize(&started.authorize_url).await;
        let r = deliver(&app, &answer, &started.binding).await;
        assert!(r.session_cookie().is_some(), "{family:?}");
    }
}
