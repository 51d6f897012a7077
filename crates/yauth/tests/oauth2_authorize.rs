//! The authorization code grant of the oauth2-server plugin through HTTP: the authorization
//! endpoint (consent, prompt, max_age), PKCE S256, exact redirect URIs, single-use codes whose
//! replay revokes what they issued, refresh rotation, and consents the user can withdraw.
//! Tokens are verified by `jsonwebtoken` against the served JWKS. The flows that store codes,
//! consents and refresh tokens run on every database family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/recording.rs"]
mod recording;
#[path = "common/oauth2_server.rs"]
mod server_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use bearer_support::*;
use common::*;
use serde_json::{Value, json};
use server_support::*;
use yauth::plugins::oauth2_server::{
    ClientRegistration, Oauth2ServerConfig, RegisteredClient, RegistrationPolicy,
};

on_every_family!(
    the_code_flow_with_pkce_issues_tokens_for_the_user,
    consent_is_remembered_and_withdrawing_it_revokes_the_tokens,
    a_replayed_code_is_refused_and_revokes_what_it_issued,
    an_exchange_must_match_client_redirect_uri_and_verifier,
    refresh_rotates_and_reuse_revokes_the_grant,
    a_public_client_exchanges_with_pkce_alone,
    a_client_introspects_and_revokes_its_refresh_token,
    sixteen_exchanges_of_one_code_have_one_winner,
);

const RP: &str = "https://rp.example.com/callback";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SCOPES: &str = "profile reports:read offline_access";

fn code_config() -> Oauth2ServerConfig {
    Oauth2ServerConfig {
        scopes_supported: ["profile", "reports:read", "offline_access"]
            .map(str::to_owned)
            .to_vec(),
        ..server_config(RegistrationPolicy::Closed)
    }
}

async fn family_app(family: Family) -> Option<TestApp> {
    let extra = with_server(code_config());
    families::app_in(
        "oauth2_authorize",
        family,
        test_config(ORIGIN),
        ep_config(),
        extra,
    )
    .await
}

async fn memory_app(config: Oauth2ServerConfig) -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), with_server(config)).await
}

/// A web application client (confidential, or public for a browser app).
async fn web_client(app: &TestApp, public: bool) -> RegisteredClient {
    let registration = ClientRegistration {
        redirect_uris: vec![RP.into()],
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        token_endpoint_auth_method: public.then(|| "none".to_owned()),
        client_name: Some("Reports app".into()),
        scope: Some(SCOPES.into()),
        ..Default::default()
    };
    app.yauth
        .register_oauth2_client(&registration)
        .await
        .unwrap()
}

/// The query of an authorization request; `changes` replace parameters (an empty value
/// removes one) or add them.
fn query(client: &RegisteredClient, changes: &[(&str, &str)]) -> String {
    let mut params: Vec<(&str, String)> = vec![
        ("response_type", "code".into()),
        ("client_id", client.client_id.clone()),
        ("redirect_uri", RP.into()),
        ("scope", SCOPES.into()),
        ("state", "st-123".into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
    ];
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, (*value).to_owned()));
        }
    }
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// `GET /oauth/authorize` as a script calls it (JSON), with the session cookie if any.
async fn authorize(app: &TestApp, query: &str, cookie: Option<&str>) -> Res {
    let mut r =
        req(Method::GET, &format!("/oauth/authorize?{query}")).header("accept", "application/json");
    if let Some(cookie) = cookie {
        r = r.cookie(cookie);
    }
    r.send(&app.router).await
}

/// `POST /oauth/authorize` with the decision, as JSON, from the app's own origin.
async fn decide(app: &TestApp, cookie: &str, query: &str, decision: &str) -> Res {
    let mut body: serde_json::Map<String, Value> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| match k.as_ref() {
            // A number in JSON, as a script sends it.
            "max_age" => (k.into_owned(), json!(v.parse::<i64>().unwrap())),
            _ => (k.into_owned(), json!(v)),
        })
        .collect();
    body.insert("decision".into(), json!(decision));
    req(Method::POST, "/oauth/authorize")
        .cookie(cookie)
        .json(Value::Object(body))
        .send(&app.router)
        .await
}

/// A parameter of a redirect URL's query.
fn param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The code of an approved request.
async fn approved_code(app: &TestApp, client: &RegisteredClient, cookie: &str) -> String {
    let q = query(client, &[]);
    let r = decide(app, cookie, &q, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let to = r.body["redirect_to"].as_str().unwrap();
    assert!(to.starts_with(RP), "{to}");
    param(to, "code").expect("a code")
}

/// `POST /oauth/token` exchanging `code`; a public client names itself, a confidential one
/// uses Basic.
async fn exchange(app: &TestApp, client: &RegisteredClient, code: &str, verifier: &str) -> Res {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", RP),
        ("code_verifier", verifier),
    ];
    match client.client_secret.as_deref() {
        Some(secret) => token_request(app, &fields, Some(basic(&client.client_id, secret))).await,
        None => {
            fields.push(("client_id", client.client_id.as_str()));
            token_request(app, &fields, None).await
        }
    }
}

async fn refresh_grant(
    app: &TestApp,
    client: &RegisteredClient,
    refresh: &str,
    scope: Option<&str>,
) -> Res {
    let mut fields = vec![("grant_type", "refresh_token"), ("refresh_token", refresh)];
    if let Some(scope) = scope {
        fields.push(("scope", scope));
    }
    token_request(app, &fields, Some(basic(&client.client_id, secret(client)))).await
}

async fn the_code_flow_with_pkce_issues_tokens_for_the_user(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    let q = query(&client, &[]);
    let r = authorize(&app, &q, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["client_id"], json!(client.client_id));
    assert_eq!(r.body["client_name"], json!("Reports app"));
    assert_eq!(
        r.body["scopes"],
        json!(["profile", "reports:read", "offline_access"])
    );
    assert_eq!(r.body["user_email"], json!(email));

    let r = decide(&app, &cookie, &q, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let to = r.body["redirect_to"].as_str().unwrap();
    assert_eq!(param(to, "state").as_deref(), Some("st-123"));
    assert_eq!(param(to, "iss").as_deref(), Some(ORIGIN));
    let code = param(to, "code").unwrap();

    let r = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.body["scope"], json!(SCOPES));
    assert!(
        r.body["refresh_token"].is_string(),
        "offline_access granted"
    );
    let access = r.body["access_token"].as_str().unwrap();
    let claims = verified_claims(&app, access).await;
    let user = stored_user(&app, &email).await;
    assert_eq!(claims["sub"], json!(user.id.to_string()));
    assert_eq!(claims["client_id"], json!(client.client_id));
    assert_eq!(claims["scope"], json!(SCOPES));
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());

    // A resource server sees it active; yauth's own API does not take another client's token.
    let resource_server = machine_client(&app, None).await;
    let r = lookup(&app, "/oauth/introspect", &resource_server, access).await;
    assert_eq!(r.body["active"], json!(true));
    assert_eq!(r.body["sub"], json!(user.id.to_string()));
    assert_eq!(
        session_with(&app, access).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn consent_is_remembered_and_withdrawing_it_revokes_the_tokens(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    let user_id = stored_user(&app, &email).await.id;
    let code = approved_code(&app, &client, &cookie).await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await.body;
    let (events, _) = audit_of(&app, user_id).await;
    assert!(
        events.contains(&"oauth_consent_granted".to_owned()),
        "{events:?}"
    );

    // Asked again: consent stands, so the answer is a code at once.
    let r = authorize(&app, &query(&client, &[]), Some(&cookie)).await;
    assert!(
        param(r.body["redirect_to"].as_str().unwrap(), "code").is_some(),
        "{:?}",
        r.body
    );
    // Unless the client wants it asked again, or asks for more.
    let r = authorize(
        &app,
        &query(&client, &[("prompt", "consent")]),
        Some(&cookie),
    )
    .await;
    assert_eq!(
        r.body["client_id"],
        json!(client.client_id),
        "the consent prompt"
    );

    let r = req(Method::GET, "/oauth/consents")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body[0]["client_id"], json!(client.client_id));
    assert_eq!(r.body[0]["client_name"], json!("Reports app"));
    let r = req(
        Method::DELETE,
        &format!("/oauth/consents/{}", client.client_id),
    )
    .cookie(&cookie)
    .send(&app.router)
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let (events, _) = audit_of(&app, user_id).await;
    assert!(
        events.contains(&"oauth_consent_withdrawn".to_owned()),
        "{events:?}"
    );
    let r = refresh_grant(
        &app,
        &client,
        tokens["refresh_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "withdrawn consent ends the refresh token"
    );
    let resource_server = machine_client(&app, None).await;
    let r = lookup(
        &app,
        "/oauth/introspect",
        &resource_server,
        tokens["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(r.body, json!({ "active": false }), "and the access token");
    let r = authorize(&app, &query(&client, &[]), Some(&cookie)).await;
    assert_eq!(
        r.body["client_id"],
        json!(client.client_id),
        "consent is asked again"
    );
    let r = req(
        Method::DELETE,
        &format!("/oauth/consents/{}", client.client_id),
    )
    .cookie(&cookie)
    .send(&app.router)
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn a_replayed_code_is_refused_and_revokes_what_it_issued(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let first = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let again = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&again), "invalid_grant");
    // The leak is on the user's record.
    let (events, _) = audit_of(&app, stored_user(&app, &email).await.id).await;
    assert!(
        events.contains(&"oauth_code_replayed".to_owned()),
        "{events:?}"
    );
    let r = refresh_grant(
        &app,
        &client,
        first.body["refresh_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "the first exchange's refresh token is revoked"
    );
    let resource_server = machine_client(&app, None).await;
    let access = first.body["access_token"].as_str().unwrap();
    let r = lookup(&app, "/oauth/introspect", &resource_server, access).await;
    assert_eq!(r.body, json!({ "active": false }), "and its access token");
}

async fn an_exchange_must_match_client_redirect_uri_and_verifier(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let other = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    let wrong_verifier = "x".repeat(43);
    let code = approved_code(&app, &client, &cookie).await;
    let r = exchange(&app, &client, &code, &wrong_verifier).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "wrong verifier");
    let code = approved_code(&app, &client, &cookie).await;
    let r = exchange(&app, &client, &code, "").await;
    assert_eq!(oauth_error(&r), "invalid_grant", "no verifier");
    let code = approved_code(&app, &client, &cookie).await;
    let r = exchange(&app, &other, &code, VERIFIER).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "another client's code");
    let code = approved_code(&app, &client, &cookie).await;
    let r = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example.com/callback/"),
            ("code_verifier", VERIFIER),
        ],
        Some(basic(&client.client_id, secret(&client))),
    )
    .await;
    assert_eq!(oauth_error(&r), "invalid_grant", "another redirect_uri");
    let r = exchange(&app, &client, "not-a-code", VERIFIER).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "unknown code");
}

async fn sixteen_exchanges_of_one_code_have_one_winner(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let fields: Vec<(String, String)> = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP),
        ("code_verifier", VERIFIER),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec();
    let authorization = basic(&client.client_id, secret(&client));
    let requests = (0..16)
        .map(|_| {
            req(Method::POST, "/oauth/token")
                .origin(None)
                .form(&fields)
                .header("authorization", &authorization)
        })
        .collect();
    let answers = race(&app.router, requests).await;
    let won = answers
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(won, 1, "one code, one exchange: {answers:?}");
    for r in answers.iter().filter(|r| r.status != StatusCode::OK) {
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert_eq!(oauth_error(r), "invalid_grant");
    }
}

async fn refresh_rotates_and_reuse_revokes_the_grant(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let (_, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let first = exchange(&app, &client, &code, VERIFIER).await.body;
    let old = first["refresh_token"].as_str().unwrap();

    // Yauth's own refresh endpoint does not take a client's refresh token.
    assert_eq!(refresh(&app, old).await.status, StatusCode::UNAUTHORIZED);
    let other = web_client(&app, false).await;
    let r = refresh_grant(&app, &other, old, None).await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "only its client may use it"
    );

    let r = refresh_grant(&app, &client, old, Some("reports:read")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["scope"], json!("reports:read"), "narrowed");
    let new = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let claims = verified_claims(&app, r.body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["scope"], json!("reports:read"));
    let r = refresh_grant(&app, &client, &new, Some("reports:read admin")).await;
    assert_eq!(oauth_error(&r), "invalid_scope", "never widened");

    let r = refresh_grant(&app, &client, old, None).await;
    assert_eq!(oauth_error(&r), "invalid_grant", "a used refresh token");
    let r = refresh_grant(&app, &client, &new, None).await;
    assert_eq!(
        oauth_error(&r),
        "invalid_grant",
        "its reuse revoked the whole grant"
    );
}

async fn a_public_client_exchanges_with_pkce_alone(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = web_client(&app, true).await;
    assert!(client.client_secret.is_none());
    let (_, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let r = exchange(&app, &client, &code, VERIFIER).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let code = approved_code(&app, &client, &cookie).await;
    let r = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP),
            ("code_verifier", VERIFIER),
            ("client_id", &client.client_id),
            ("client_secret", "a-secret-it-never-had"),
        ],
        None,
    )
    .await;
    assert_eq!(
        oauth_error(&r),
        "invalid_client",
        "a public client has no secret"
    );
}

async fn a_client_introspects_and_revokes_its_refresh_token(family: Family) {
    let Some(app) = family_app(family).await else {
        return;
    };
    let client = web_client(&app, false).await;
    let other = web_client(&app, false).await;
    let (email, cookie) = signed_in_user(&app).await;
    let code = approved_code(&app, &client, &cookie).await;
    let tokens = exchange(&app, &client, &code, VERIFIER).await.body;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let r = lookup(&app, "/oauth/introspect", &client, refresh_token).await;
    assert_eq!(r.body["active"], json!(true), "{:?}", r.body);
    assert_eq!(r.body["token_type"], json!("refresh_token"));
    assert_eq!(
        r.body["sub"],
        json!(stored_user(&app, &email).await.id.to_string())
    );
    let r = lookup(&app, "/oauth/introspect", &other, refresh_token).await;
    assert_eq!(
        r.body,
        json!({ "active": false }),
        "another client learns nothing"
    );
    let r = lookup(&app, "/oauth/revoke", &other, refresh_token).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = lookup(&app, "/oauth/introspect", &client, refresh_token).await;
    assert_eq!(
        r.body["active"],
        json!(true),
        "another client cannot revoke it"
    );

    let r = lookup(&app, "/oauth/revoke", &client, refresh_token).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = lookup(&app, "/oauth/introspect", &client, refresh_token).await;
    assert_eq!(r.body, json!({ "active": false }), "revoked");
    let r = refresh_grant(&app, &client, refresh_token, None).await;
    assert_eq!(oauth_error(&r), "invalid_grant");
    let access = tokens["access_token"].as_str().unwrap();
    let r = lookup(&app, "/oauth/introspect", &client, access).await;
    assert_eq!(
        r.body,
        json!({ "active": false }),
        "its grant's access token too"
    );
}

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
