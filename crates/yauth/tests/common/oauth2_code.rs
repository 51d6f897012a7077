//! Shared by the authorization code tests: an app with the plugin, a web client, the
//! authorization request, the consent decision and the token requests of the code grant.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yauth::plugins::oauth2_server::{
    ClientRegistration, Oauth2ServerConfig, RegisteredClient, RegistrationPolicy,
};

use crate::backends::Family;
use crate::common::*;
use crate::families;
use crate::server_support::*;

pub const RP: &str = "https://rp.example.com/callback";
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const SCOPES: &str = "profile reports:read offline_access";

pub fn code_config() -> Oauth2ServerConfig {
    Oauth2ServerConfig {
        scopes_supported: ["profile", "reports:read", "offline_access"]
            .map(str::to_owned)
            .to_vec(),
        ..server_config(RegistrationPolicy::Closed)
    }
}

/// The app of the test binary `binary` on `family`, with [`code_config`].
pub async fn family_app(binary: &'static str, family: Family) -> Option<TestApp> {
    let extra = with_server(code_config());
    families::app_in(binary, family, test_config(ORIGIN), ep_config(), extra).await
}

pub async fn memory_app(config: Oauth2ServerConfig) -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), with_server(config)).await
}

/// A web application client (confidential, or public for a browser app).
pub async fn web_client(app: &TestApp, public: bool) -> RegisteredClient {
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
pub fn query(client: &RegisteredClient, changes: &[(&str, &str)]) -> String {
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
pub async fn authorize(app: &TestApp, query: &str, cookie: Option<&str>) -> Res {
    let mut r =
        req(Method::GET, &format!("/oauth/authorize?{query}")).header("accept", "application/json");
    if let Some(cookie) = cookie {
        r = r.cookie(cookie);
    }
    r.send(&app.router).await
}

/// `POST /oauth/authorize` with the decision, as JSON, from the app's own origin.
pub async fn decide(app: &TestApp, cookie: &str, query: &str, decision: &str) -> Res {
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
pub fn param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// The code of an approved request.
pub async fn approved_code(app: &TestApp, client: &RegisteredClient, cookie: &str) -> String {
    let q = query(client, &[]);
    let r = decide(app, cookie, &q, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let to = r.body["redirect_to"].as_str().unwrap();
    assert!(to.starts_with(RP), "{to}");
    param(to, "code").expect("a code")
}

/// `POST /oauth/token` exchanging `code`; a public client names itself, a confidential one
/// uses Basic.
pub async fn exchange(app: &TestApp, client: &RegisteredClient, code: &str, verifier: &str) -> Res {
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

pub async fn refresh_grant(
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
