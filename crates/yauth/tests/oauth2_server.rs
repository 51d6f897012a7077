//! The oauth2-server plugin through HTTP: metadata, registration policy, the client-credentials
//! grant, introspection and revocation, with RFC-shaped errors. Issued tokens are verified by
//! `jsonwebtoken`, an independent JOSE implementation, against the served JWKS. The flows that
//! store clients and revocations run on every database family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
#[path = "common/bearer.rs"]
mod bearer_support;
mod common;
#[path = "common/families.rs"]
mod families;
#[path = "common/oauth2_server.rs"]
mod server_support;

use axum::http::{Method, StatusCode};
use backends::Family;
use bearer_support::*;
use common::*;
use serde_json::{Value, json};
use server_support::*;
use yauth::plugins::oauth2_server::{ClientRegistration, Oauth2ServerConfig, RegistrationPolicy};
use yauth::{BuildError, YAuthBuilder};

on_every_family!(
    a_client_gets_a_token_that_another_jose_library_verifies,
    client_authentication_failures_answer_invalid_client,
    scopes_stay_within_the_clients,
    introspection_and_revocation_follow_the_token,
    a_users_token_turns_inactive_when_the_user_is_banned,
    a_seeded_client_is_registered_once_under_its_id,
);

async fn a_seeded_client_is_registered_once_under_its_id(family: Family) {
    let Some(app) = on("oauth2_server", family).await else {
        return;
    };
    // A fixed id per run: the families' databases outlive one.
    let id = format!("seeded-{}", uuid::Uuid::new_v4().simple());
    let registration = ClientRegistration {
        grant_types: Some(vec!["client_credentials".into()]),
        client_name: Some("Seeded job".into()),
        ..Default::default()
    };
    let first = app
        .yauth
        .ensure_oauth2_client(&id, &registration)
        .await
        .unwrap()
        .expect("registered the first time");
    assert_eq!(first.client_id, id);
    // Its secret works.
    let token = client_token(&app, &first).await;
    assert!(token["access_token"].is_string());
    // Seeding again leaves it as it is: same secret, no error.
    let again = ClientRegistration {
        client_name: Some("Renamed".into()),
        ..registration.clone()
    };
    assert!(
        app.yauth
            .ensure_oauth2_client(&id, &again)
            .await
            .unwrap()
            .is_none()
    );
    assert!(client_token(&app, &first).await["access_token"].is_string());
    for bad in ["", "has space", "slash/es", &"x".repeat(65)] {
        let refused = app.yauth.ensure_oauth2_client(bad, &registration).await;
        assert_eq!(
            refused.unwrap_err().error(),
            "invalid_client_metadata",
            "{bad:?}"
        );
    }
}

async fn a_client_gets_a_token_that_another_jose_library_verifies(family: Family) {
    let Some(app) = on("oauth2_server", family).await else {
        return;
    };
    let client = machine_client(&app, Some("reports:read")).await;
    let r = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some(basic(&client.client_id, secret(&client))),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.body["token_type"], json!("Bearer"));
    assert_eq!(r.body["expires_in"], json!(900));
    assert_eq!(r.body["scope"], json!("reports:read"));
    assert!(
        r.body.get("refresh_token").is_none(),
        "no refresh token for client credentials"
    );
    let token = r.body["access_token"].as_str().unwrap();

    // Verified against the JWKS the server publishes, as a resource server would.
    let jwks = req(Method::GET, "/.well-known/jwks.json")
        .send(&app.router)
        .await;
    assert_eq!(jwks.status, StatusCode::OK);
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.body).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let key =
        jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap())
            .unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[ORIGIN]);
    validation.set_issuer(&[ORIGIN]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("jsonwebtoken accepts the token")
        .claims;
    assert_eq!(claims["sub"], json!(client.client_id));
    assert_eq!(claims["client_id"], json!(client.client_id));
    assert_eq!(claims["scope"], json!("reports:read"));
    assert!(claims.get("auth_time").is_none(), "no user signed in");

    // The same client with client_secret_post.
    let r = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", secret(&client)),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // A client's token is no user: yauth's own API refuses it.
    let r = session_with(&app, token).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn client_authentication_failures_answer_invalid_client(family: Family) {
    let Some(app) = on("oauth2_server", family).await else {
        return;
    };
    let client = machine_client(&app, None).await;
    let grant = [("grant_type", "client_credentials")];
    let wrong = token_request(
        &app,
        &grant,
        Some(basic(&client.client_id, "not-the-secret")),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&wrong), "invalid_client");
    assert_eq!(wrong.headers["www-authenticate"], "Basic realm=\"yauth\"");
    let unknown = token_request(&app, &grant, Some(basic("nobody", "secret"))).await;
    assert_eq!(oauth_error(&unknown), "invalid_client");
    let posted = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
            ("client_secret", "not-the-secret"),
        ],
        None,
    )
    .await;
    assert_eq!(posted.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&posted), "invalid_client");
    assert!(
        posted.headers.get("www-authenticate").is_none(),
        "no Basic, no challenge"
    );
    let secretless = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.client_id),
        ],
        None,
    )
    .await;
    assert_eq!(
        oauth_error(&secretless),
        "invalid_client",
        "a confidential client needs its secret"
    );
    let both = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_secret", secret(&client)),
        ],
        Some(basic(&client.client_id, secret(&client))),
    )
    .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        oauth_error(&both),
        "invalid_request",
        "two authentication methods"
    );
    for grant_type in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let r = token_request(
            &app,
            &[("grant_type", grant_type)],
            Some(basic(&client.client_id, secret(&client))),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(oauth_error(&r), "unsupported_grant_type", "{grant_type}");
    }
    let r = token_request(
        &app,
        &[("grant_type", "authorization_code"), ("code", "x")],
        Some(basic(&client.client_id, secret(&client))),
    )
    .await;
    assert_eq!(
        oauth_error(&r),
        "unauthorized_client",
        "not registered for codes"
    );
    let r = token_request(&app, &[], Some(basic(&client.client_id, secret(&client)))).await;
    assert_eq!(oauth_error(&r), "invalid_request", "no grant_type");
}

async fn scopes_stay_within_the_clients(family: Family) {
    let Some(app) = on("oauth2_server", family).await else {
        return;
    };
    let reader = machine_client(&app, Some("reports:read")).await;
    let auth = || Some(basic(&reader.client_id, secret(&reader)));
    let r = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "reports:write"),
        ],
        auth(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth_error(&r), "invalid_scope");
    let r = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("scope", "admin")],
        auth(),
    )
    .await;
    assert_eq!(oauth_error(&r), "invalid_scope");
    let everything = machine_client(&app, None).await;
    let body = client_token(&app, &everything).await;
    assert_eq!(
        body["scope"],
        json!("reports:read reports:write"),
        "all of the client's"
    );
    let r = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "reports:write"),
        ],
        Some(basic(&everything.client_id, secret(&everything))),
    )
    .await;
    assert_eq!(
        r.body["scope"],
        json!("reports:write"),
        "narrowed on request"
    );
}

async fn introspection_and_revocation_follow_the_token(family: Family) {
    let Some(app) = on("oauth2_server", family).await else {
        return;
    };
    let client = machine_client(&app, Some("reports:read")).await;
    let resource_server = machine_client(&app, None).await;
    let token = client_token(&app, &client).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = lookup(&app, "/oauth/introspect", &resource_server, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["active"], json!(true));
    assert_eq!(r.body["client_id"], json!(client.client_id));
    assert_eq!(r.body["sub"], json!(client.client_id));
    assert_eq!(r.body["scope"], json!("reports:read"));
    assert_eq!(r.body["iss"], json!(ORIGIN));
    let r = lookup(&app, "/oauth/introspect", &resource_server, "not.a.token").await;
    assert_eq!(r.body, json!({ "active": false }));

    // Introspection needs an authenticated client.
    let fields = [("token".to_owned(), token.clone())];
    let r = req(Method::POST, "/oauth/introspect")
        .origin(None)
        .form(&fields)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&r), "invalid_client");

    // Another client cannot revoke it: the same answer, and nothing changes.
    let r = lookup(&app, "/oauth/revoke", &resource_server, &token).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = lookup(&app, "/oauth/introspect", &resource_server, &token).await;
    assert_eq!(r.body["active"], json!(true), "still active");
    // Its own client can.
    let r = lookup(&app, "/oauth/revoke", &client, &token).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = lookup(&app, "/oauth/introspect", &resource_server, &token).await;
    assert_eq!(r.body, json!({ "active": false }), "revoked");
    let r = lookup(&app, "/oauth/revoke", &client, "unknown-token").await;
    assert_eq!(r.status, StatusCode::OK, "unknown tokens answer alike");
}

async fn a_users_token_turns_inactive_when_the_user_is_banned(family: Family) {
    let Some(app) = on("oauth2_server", family).await else {
        return;
    };
    let resource_server = machine_client(&app, None).await;
    let (email, tokens) = user_with_tokens(&app).await;
    let r = lookup(&app, "/oauth/introspect", &resource_server, access(&tokens)).await;
    assert_eq!(r.body["active"], json!(true), "{:?}", r.body);
    assert_eq!(
        r.body["sub"],
        json!(stored_user(&app, &email).await.id.to_string())
    );
    ban(&app, &email).await;
    let r = lookup(&app, "/oauth/introspect", &resource_server, access(&tokens)).await;
    assert_eq!(r.body, json!({ "active": false }));
}

#[tokio::test]
async fn the_metadata_lists_only_what_is_implemented() {
    let app = server_app(RegistrationPolicy::Closed).await;
    let r = req(Method::GET, "/.well-known/oauth-authorization-server")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let m = &r.body;
    assert_eq!(m["issuer"], json!(ORIGIN));
    assert_eq!(m["token_endpoint"], json!(format!("{ORIGIN}/oauth/token")));
    assert_eq!(
        m["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(
        m["authorization_endpoint"],
        json!(format!("{ORIGIN}/oauth/authorize"))
    );
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        m["authorization_response_iss_parameter_supported"],
        json!(true)
    );
    assert_eq!(
        m["scopes_supported"],
        json!(["reports:read", "reports:write"])
    );
    assert_eq!(
        m["jwks_uri"],
        json!(format!("{ORIGIN}/.well-known/jwks.json"))
    );
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    for absent in ["registration_endpoint", "device_authorization_endpoint"] {
        assert!(m.get(absent).is_none(), "{absent} is not offered");
    }
    let open = server_app(RegistrationPolicy::Open).await;
    let r = req(Method::GET, "/.well-known/oauth-authorization-server")
        .send(&open.router)
        .await;
    assert_eq!(
        r.body["registration_endpoint"],
        json!(format!("{ORIGIN}/oauth/register"))
    );
}

async fn register(app: &TestApp, body: Value, bearer: Option<&str>) -> Res {
    let mut r = req(Method::POST, "/oauth/register").origin(None).json(body);
    if let Some(token) = bearer {
        r = r.header("authorization", &format!("Bearer {token}"));
    }
    r.send(&app.router).await
}

#[tokio::test]
async fn registration_follows_the_policy() {
    let machine = json!({ "grant_types": ["client_credentials"], "client_name": "Job" });
    let closed = server_app(RegistrationPolicy::Closed).await;
    let r = register(&closed, machine.clone(), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(oauth_error(&r), "access_denied");

    let guarded = server_app(RegistrationPolicy::InitialAccessToken(INITIAL_TOKEN.into())).await;
    for bearer in [None, Some("wrong-token")] {
        let r = register(&guarded, machine.clone(), bearer).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bearer:?}");
        assert_eq!(oauth_error(&r), "invalid_token");
        assert_eq!(
            r.headers["www-authenticate"],
            "Bearer error=\"invalid_token\""
        );
    }
    let r = register(&guarded, machine.clone(), Some(INITIAL_TOKEN)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    let client_id = r.body["client_id"].as_str().unwrap().to_owned();
    let secret = r.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(r.body["client_secret_expires_at"], json!(0));
    assert_eq!(
        r.body["token_endpoint_auth_method"],
        json!("client_secret_basic")
    );
    assert_eq!(r.body["client_name"], json!("Job"));
    // The secret is stored hashed, and works.
    let stored = guarded
        .yauth
        .state()
        .repos()
        .oauth2_server
        .as_ref()
        .unwrap()
        .find_oauth2_client(&client_id)
        .await
        .unwrap()
        .unwrap();
    let hash = stored.client_secret_hash.unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&secret));
    let r = token_request(
        &guarded,
        &[("grant_type", "client_credentials")],
        Some(basic(&client_id, &secret)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn registration_refuses_insecure_redirect_uris_and_unsupported_metadata() {
    let app = server_app(RegistrationPolicy::Open).await;
    for uri in [
        "http://rp.example.com/cb",
        "https://rp.example.com/cb#frag",
        "rp.example.com/cb",
    ] {
        let r = register(
            &app,
            json!({ "grant_types": ["client_credentials"], "redirect_uris": [uri] }),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(oauth_error(&r), "invalid_redirect_uri", "{uri}");
    }
    for body in [
        json!({ "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"] }),
        json!({ "grant_types": ["client_credentials"], "token_endpoint_auth_method": "none" }),
        json!({ "grant_types": ["client_credentials"], "scope": "everything" }),
        json!({ "grant_types": "client_credentials" }),
        json!(["not", "an", "object"]),
    ] {
        let r = register(&app, body.clone(), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(oauth_error(&r), "invalid_client_metadata", "{body}");
    }
}

#[tokio::test]
async fn the_plugin_needs_bearer() {
    let result = YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(ORIGIN))
        .with_oauth2_server(Oauth2ServerConfig::default())
        .build()
        .await;
    match result {
        Err(BuildError::MissingDependency { plugin, requires }) => {
            assert_eq!((plugin.as_str(), requires), ("oauth2-server", "bearer"));
        }
        Err(other) => panic!("expected a missing dependency, got {other}"),
        Ok(_) => panic!("built without bearer"),
    }
}
