//! Shared by the oauth2-server tests: apps with the plugin, registered clients, token
//! requests and the RFC error shape.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use yauth::YAuthBuilder;
use yauth::plugins::api_key::ApiKeyConfig;
use yauth::plugins::bearer::BearerConfig;
use yauth::plugins::oauth2_server::{
    ClientRegistration, Oauth2ServerConfig, RegisteredClient, RegistrationPolicy,
};

use crate::backends::Family;
use crate::bearer_support::with_tokens;
use crate::common::*;
use crate::families;

pub const INITIAL_TOKEN: &str = "an-initial-access-token-of-32-characters-or-more";

pub fn server_config(registration: RegistrationPolicy) -> Oauth2ServerConfig {
    Oauth2ServerConfig {
        scopes_supported: vec!["reports:read".into(), "reports:write".into()],
        registration,
        // The families' databases outlive a run, and their counters with them.
        token_rate_limit: yauth::config::RateLimit::new(10_000, time::Duration::minutes(1)),
        authorization_rate_limit: yauth::config::RateLimit::new(10_000, time::Duration::minutes(1)),
        ..Default::default()
    }
}

pub fn with_server(config: Oauth2ServerConfig) -> impl FnOnce(YAuthBuilder) -> YAuthBuilder {
    move |b| {
        with_tokens(BearerConfig::default(), ApiKeyConfig::default())(b).with_oauth2_server(config)
    }
}

/// The app of the test binary `binary` on `family`, with open registration.
pub async fn on(binary: &'static str, family: Family) -> Option<TestApp> {
    let extra = with_server(server_config(RegistrationPolicy::Open));
    families::app_in(binary, family, test_config(ORIGIN), ep_config(), extra).await
}

pub async fn server_app(registration: RegistrationPolicy) -> TestApp {
    app_with(
        test_config(ORIGIN),
        ep_config(),
        with_server(server_config(registration)),
    )
    .await
}

/// The RFC error code of an OAuth error answer.
pub fn oauth_error(r: &Res) -> &str {
    r.body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("an OAuth error: {:?}", r.body))
}

pub fn basic(client_id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}")))
}

/// A confidential client for client credentials, registered by the application.
pub async fn machine_client(app: &TestApp, scope: Option<&str>) -> RegisteredClient {
    let registration = ClientRegistration {
        grant_types: Some(vec!["client_credentials".into()]),
        client_name: Some("Reports job".into()),
        scope: scope.map(str::to_owned),
        ..Default::default()
    };
    app.yauth
        .register_oauth2_client(&registration)
        .await
        .expect("the application registers its client")
}

pub fn secret(client: &RegisteredClient) -> &str {
    client.client_secret.as_deref().unwrap()
}

/// `POST /oauth/token` with these form fields and optional HTTP Basic credentials.
pub async fn token_request(
    app: &TestApp,
    fields: &[(&str, &str)],
    basic_auth: Option<String>,
) -> Res {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut r = req(Method::POST, "/oauth/token").origin(None).form(&fields);
    if let Some(value) = basic_auth {
        r = r.header("authorization", &value);
    }
    r.send(&app.router).await
}

pub async fn client_token(app: &TestApp, client: &RegisteredClient) -> Value {
    let r = token_request(
        app,
        &[("grant_type", "client_credentials")],
        Some(basic(&client.client_id, secret(client))),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

pub async fn lookup(app: &TestApp, path: &str, client: &RegisteredClient, token: &str) -> Res {
    let fields = [("token".to_owned(), token.to_owned())];
    req(Method::POST, path)
        .origin(None)
        .form(&fields)
        .header("authorization", &basic(&client.client_id, secret(client)))
        .send(&app.router)
        .await
}

/// Claims of an access token, verified with jsonwebtoken against the served JWKS.
pub async fn verified_claims(app: &TestApp, token: &str) -> Value {
    let jwks = req(Method::GET, "/.well-known/jwks.json")
        .send(&app.router)
        .await;
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.body).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[ORIGIN]);
    validation.set_issuer(&[ORIGIN]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("jsonwebtoken accepts the token")
        .claims
}
