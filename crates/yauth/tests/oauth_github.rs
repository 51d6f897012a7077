//! The plain OAuth 2 path (GitHub) against a loopback server that speaks GitHub's token, user and
//! verified-emails endpoints as GitHub does: form or Basic client authentication, PKCE S256,
//! errors answered with status 200, numeric user ids, and the address list as the only source
//! of verified emails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;
use yauth::plugins::oauth::{OauthConfig, ProviderConfig};

const CALLBACK: &str = "http://localhost:3000/oauth/github/callback";
const CLIENT_ID: &str = "gh-client";
const CLIENT_SECRET: &str = "gh-secret";

/// A GitHub user as the fake knows them.
#[derive(Clone)]
struct GhUser {
    id: u64,
    public_email: Option<String>,
    emails: Value,
}

struct Grant {
    challenge: String,
    redirect_uri: String,
    user: GhUser,
}

#[derive(Default)]
struct Fake {
    grants: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, GhUser>>,
}

/// `POST /login/oauth/access_token`, as GitHub answers it: refusals are status 200 with an
/// `error` field.
async fn access_token(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    let refuse = |error: &str| Json(json!({ "error": error, "error_description": error }));
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let authenticated = match basic {
        Some(pair) => pair == format!("{CLIENT_ID}:{CLIENT_SECRET}"),
        None => {
            form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        }
    };
    if !authenticated {
        return refuse("incorrect_client_credentials");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse("unsupported_grant_type");
    }
    let Some(grant) = form
        .get("code")
        .and_then(|code| fake.grants.lock().unwrap().remove(code))
    else {
        return refuse("bad_verification_code");
    };
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse("redirect_uri_mismatch");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return refuse("bad_verification_code");
    }
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    fake.tokens
        .lock()
        .unwrap()
        .insert(token.clone(), grant.user);
    Json(json!({ "access_token": token, "token_type": "bearer", "scope": "read:user,user:email" }))
}

fn caller(fake: &Fake, headers: &HeaderMap) -> Result<GhUser, StatusCode> {
    // GitHub refuses requests without a User-Agent.
    if !headers.contains_key(header::USER_AGENT) {
        return Err(StatusCode::FORBIDDEN);
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    fake.tokens
        .lock()
        .unwrap()
        .get(token)
        .cloned()
        .ok_or(StatusCode::UNAUTHORIZED)
}

async fn user(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    let user = caller(&fake, &headers)?;
    Ok(Json(json!({
        "id": user.id,
        "login": format!("octo{}", user.id),
        "name": "Octo Cat",
        "email": user.public_email,
    })))
}

async fn emails(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    Ok(Json(caller(&fake, &headers)?.emails))
}

struct FakeGithub {
    base: String,
    fake: Arc<Fake>,
}

impl FakeGithub {
    async fn start() -> Self {
        let fake = Arc::new(Fake::default());
        let app = Router::new()
            .route("/login/oauth/access_token", post(access_token))
            .route("/api/user", get(user))
            .route("/api/user/emails", get(emails))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, fake }
    }

    /// What GitHub's authorization page does once the user approves: a code bound to the
    /// request's PKCE challenge and redirect URI.
    fn approve(&self, authorize_url: &Url, user: &GhUser) -> String {
        let param = |name: &str| {
            authorize_url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| panic!("{name} missing from {authorize_url}"))
        };
        assert_eq!(param("client_id"), CLIENT_ID);
        assert_eq!(param("code_challenge_method"), "S256");
        assert_eq!(param("response_type"), "code");
        assert!(param("scope").contains("user:email"));
        let code = format!("code-{}", uuid::Uuid::new_v4().simple());
        self.fake.grants.lock().unwrap().insert(
            code.clone(),
            Grant {
                challenge: param("code_challenge"),
                redirect_uri: param("redirect_uri"),
                user: user.clone(),
            },
        );
        format!(
            "/oauth/github/callback?code={code}&state={}",
            param("state")
        )
    }
}

async fn github_app(github: &FakeGithub) -> TestApp {
    let provider = ProviderConfig::github_at(
        &github.base,
        &format!("{}/api", github.base),
        CLIENT_ID,
        CLIENT_SECRET,
        CALLBACK,
    );
    let config = OauthConfig::default().provider(provider);
    app_with(test_config(ORIGIN), ep_config(), move |b| {
        b.with_secret_key("k1", &[7; 32]).with_oauth(config)
    })
    .await
}

/// Starts at yauth, approves at the fake, and delivers the callback; the callback's answer.
async fn sign_in(app: &TestApp, github: &FakeGithub, user: &GhUser) -> Res {
    let r = req(Method::GET, "/oauth/github/authorize")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.body);
    let authorize_url = Url::parse(r.headers[header::LOCATION].to_str().unwrap()).unwrap();
    assert!(
        authorize_url
            .as_str()
            .starts_with(&format!("{}/login/oauth/authorize?", github.base))
    );
    assert!(
        !authorize_url.query().unwrap().contains("nonce="),
        "no nonce without OpenID Connect"
    );
    let binding = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("yauth_session_oauth="))
        .unwrap();
    let binding = binding.split(';').next().unwrap().to_owned();
    let callback = github.approve(&authorize_url, user);
    req(Method::GET, &callback)
        .cookie(&binding)
        .send(&app.router)
        .await
}

fn error_of(r: &Res) -> Option<String> {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.body);
    let location = Url::parse(r.headers[header::LOCATION].to_str().unwrap()).unwrap();
    location
        .query_pairs()
        .find(|(k, _)| k == "error")
        .map(|(_, v)| v.into_owned())
}

fn gh_user(emails: Value) -> GhUser {
    GhUser {
        id: rand_id(),
        public_email: Some(unique_email()),
        emails,
    }
}

fn rand_id() -> u64 {
    u64::from(uuid::Uuid::new_v4().as_u128() as u32)
}

#[tokio::test]
async fn the_primary_verified_address_signs_up_and_the_numeric_id_signs_in_again() {
    let github = FakeGithub::start().await;
    let app = github_app(&github).await;
    let primary = unique_email();
    let user = gh_user(json!([
        { "email": unique_email(), "primary": false, "verified": true, "visibility": null },
        { "email": primary, "primary": true, "verified": true, "visibility": "private" },
    ]));
    let r = sign_in(&app, &github, &user).await;
    assert_eq!(error_of(&r), None);
    let cookie = r.session_cookie().expect("signed up");
    let me = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(
        me.body["email"],
        primary.as_str(),
        "the primary verified address, not the public one"
    );
    assert_eq!(me.body["display_name"], "Octo Cat");

    let accounts = req(Method::GET, "/oauth/accounts")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(accounts.body[0]["provider"], "github");
    assert_eq!(accounts.body[0]["provider_user_id"], user.id.to_string());

    let again = sign_in(&app, &github, &user).await;
    let second = again.session_cookie().expect("signed in again");
    let me = req(Method::GET, "/session")
        .cookie(&second)
        .send(&app.router)
        .await;
    assert_eq!(me.body["email"], primary.as_str());
}

#[tokio::test]
async fn an_account_without_a_verified_address_is_refused() {
    let github = FakeGithub::start().await;
    let app = github_app(&github).await;
    // The public profile address is never trusted; the list has no verified one.
    let user = gh_user(json!([{ "email": unique_email(), "primary": true, "verified": false }]));
    let r = sign_in(&app, &github, &user).await;
    assert_eq!(error_of(&r).as_deref(), Some("email_not_verified"));
    assert!(r.session_cookie().is_none());
}

#[tokio::test]
async fn a_code_github_refuses_is_a_failed_exchange() {
    let github = FakeGithub::start().await;
    let app = github_app(&github).await;
    let user = gh_user(json!([{ "email": unique_email(), "primary": true, "verified": true }]));
    let r = req(Method::GET, "/oauth/github/authorize")
        .send(&app.router)
        .await;
    let authorize_url = Url::parse(r.headers[header::LOCATION].to_str().unwrap()).unwrap();
    let binding = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("yauth_session_oauth="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let callback = github.approve(&authorize_url, &user);
    // The code is spent at GitHub before yauth exchanges it (GitHub answers 200 + error).
    github.fake.grants.lock().unwrap().clear();
    let r = req(Method::GET, &callback)
        .cookie(&binding)
        .send(&app.router)
        .await;
    assert_eq!(error_of(&r).as_deref(), Some("token_exchange_failed"));
    assert!(r.session_cookie().is_none());
}
