//! yauth as an OpenID Provider: id_tokens from the authorization code grant (verified by
//! `jsonwebtoken` against the served JWKS), the provider metadata, and `/userinfo` with its
//! scopes and RFC 6750 errors. The flow runs on every database family.
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
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use serde_json::{Value, json};
use server_support::*;
use sha2::Digest;
use yauth::YAuthBuilder;
use yauth::plugins::oauth2_server::{
    ClientRegistration, Oauth2ServerConfig, RegisteredClient, RegistrationPolicy,
};
use yauth::plugins::oidc::OidcConfig;

on_every_family!(an_openid_code_grant_answers_an_id_token_and_userinfo);

const RP: &str = "https://rp.example.com/callback";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn provider_config() -> Oauth2ServerConfig {
    Oauth2ServerConfig {
        scopes_supported: ["openid", "profile", "email", "offline_access"]
            .map(str::to_owned)
            .to_vec(),
        ..server_config(RegistrationPolicy::Closed)
    }
}

fn with_provider(oidc: OidcConfig) -> impl FnOnce(YAuthBuilder) -> YAuthBuilder {
    move |b| with_server(provider_config())(b).with_oidc(oidc)
}

async fn memory_app(oidc: OidcConfig) -> TestApp {
    app_with(test_config(ORIGIN), ep_config(), with_provider(oidc)).await
}

async fn relying_party(app: &TestApp) -> RegisteredClient {
    let registration = ClientRegistration {
        redirect_uris: vec![RP.into()],
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        client_name: Some("Relying party".into()),
        scope: Some("openid profile email offline_access".into()),
        ..Default::default()
    };
    app.yauth
        .register_oauth2_client(&registration)
        .await
        .unwrap()
}

/// Approves an authorization request for `scope` (with `nonce`, if any) in the user's session
/// and exchanges the code: the token response.
async fn grant(
    app: &TestApp,
    client: &RegisteredClient,
    cookie: &str,
    scope: &str,
    nonce: Option<&str>,
) -> Res {
    let mut body = json!({
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": RP,
        "scope": scope,
        "state": "st-1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "decision": "approve",
    });
    if let Some(nonce) = nonce {
        body["nonce"] = json!(nonce);
    }
    let r = req(Method::POST, "/oauth/authorize")
        .cookie(cookie)
        .json(body)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let to = url::Url::parse(r.body["redirect_to"].as_str().unwrap()).unwrap();
    let code = to
        .query_pairs()
        .find(|(n, _)| n == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP),
        ("code_verifier", VERIFIER),
    ];
    token_request(app, &fields, Some(basic(&client.client_id, secret(client)))).await
}

/// The claims of an id_token for `client`, verified with jsonwebtoken against the JWKS, and
/// its header's `typ`.
async fn verified_id_token(app: &TestApp, client: &RegisteredClient, token: &str) -> Value {
    let jwks = req(Method::GET, "/.well-known/jwks.json")
        .send(&app.router)
        .await;
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.body).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(
        header.typ.as_deref(),
        Some("JWT"),
        "an id_token, not an access token"
    );
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[client.client_id.as_str()]);
    validation.set_issuer(&[ORIGIN]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("jsonwebtoken accepts the id_token")
        .claims
}

async fn userinfo(app: &TestApp, method: Method, authorization: Option<&str>) -> Res {
    let mut r = req(method, "/userinfo").origin(None);
    if let Some(value) = authorization {
        r = r.header("authorization", value);
    }
    r.send(&app.router).await
}

async fn an_openid_code_grant_answers_an_id_token_and_userinfo(family: Family) {
    let extra = with_provider(OidcConfig::default());
    let Some(app) = families::app_in("oidc", family, test_config(ORIGIN), ep_config(), extra).await
    else {
        return;
    };
    let client = relying_party(&app).await;
    let (email, cookie) = signed_in_user(&app).await;
    let user = stored_user(&app, &email).await;

    let r = grant(&app, &client, &cookie, "openid email", Some("n-0S6_WzA2Mj")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let access = r.body["access_token"].as_str().unwrap();
    let id_token = r.body["id_token"].as_str().expect("an id_token");
    let claims = verified_id_token(&app, &client, id_token).await;
    assert_eq!(claims["sub"], json!(user.id.to_string()));
    assert_eq!(claims["azp"], json!(client.client_id));
    assert_eq!(claims["nonce"], json!("n-0S6_WzA2Mj"));
    assert_eq!(claims["amr"], json!(["pwd"]));
    let iat = claims["iat"].as_i64().unwrap();
    assert!(claims["auth_time"].as_i64().unwrap() <= iat);
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 3600, "id_token_ttl");
    // The default key is Ed25519, whose hash is SHA-512: at_hash is its left half.
    let digest = sha2::Sha512::digest(access.as_bytes());
    assert_eq!(
        claims["at_hash"],
        json!(URL_SAFE_NO_PAD.encode(&digest[..32]))
    );
    // The id_token releases no profile claims; /userinfo does, by scope.
    assert!(claims.get("email").is_none(), "{claims}");

    let bearer = format!("Bearer {access}");
    for method in [Method::GET, Method::POST] {
        let r = userinfo(&app, method, Some(&bearer)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.headers["cache-control"], "no-store");
        assert_eq!(
            r.body,
            json!({"sub": user.id.to_string(), "email": email, "email_verified": true})
        );
    }

    // Without a nonce there is none to echo; without openid there is no id_token at all.
    let r = grant(&app, &client, &cookie, "openid", None).await;
    let claims = verified_id_token(&app, &client, r.body["id_token"].as_str().unwrap()).await;
    assert!(claims.get("nonce").is_none());
    let r = grant(&app, &client, &cookie, "profile email", Some("n-1")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.get("id_token").is_none(), "{:?}", r.body);
    let plain = format!("Bearer {}", r.body["access_token"].as_str().unwrap());
    let r = userinfo(&app, Method::GET, Some(&plain)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(oauth_error(&r), "insufficient_scope");
    assert!(
        r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"insufficient_scope\""),
    );

    // A banned user's token no longer reads the claims.
    ban(&app, &email).await;
    let r = userinfo(&app, Method::GET, Some(&bearer)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(oauth_error(&r), "invalid_token");
}

#[tokio::test]
async fn profile_claims_follow_scope_and_the_configured_list() {
    let app = memory_app(OidcConfig {
        claims_supported: vec!["sub".into(), "name".into(), "updated_at".into()],
        ..Default::default()
    })
    .await;
    let client = relying_party(&app).await;
    let (email, cookie) = signed_in_user(&app).await;
    let r = req(Method::PATCH, "/me")
        .cookie(&cookie)
        .json(json!({"display_name": "Ada Lovelace"}))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let user = stored_user(&app, &email).await;

    let r = grant(&app, &client, &cookie, "openid profile email", None).await;
    let bearer = format!("Bearer {}", r.body["access_token"].as_str().unwrap());
    let r = userinfo(&app, Method::GET, Some(&bearer)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // email is in scope but not in claims_supported: not released.
    assert_eq!(
        r.body,
        json!({
            "sub": user.id.to_string(),
            "name": "Ada Lovelace",
            "updated_at": user.updated_at.unix_timestamp(),
        })
    );
}

#[tokio::test]
async fn userinfo_refuses_what_is_not_a_users_openid_token() {
    let app = memory_app(OidcConfig::default()).await;
    let r = userinfo(&app, Method::GET, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(oauth_error(&r), "invalid_token");
    // RFC 6750 §3.1: no error code in the challenge when no token was sent.
    assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"yauth\"");
    for bad in ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz"] {
        let r = userinfo(&app, Method::GET, Some(bad)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad}: {:?}", r.body);
        assert_eq!(oauth_error(&r), "invalid_token");
    }
    let r = userinfo(&app, Method::GET, Some("Bearer not-a-token")).await;
    assert!(
        r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );

    // A client's own token, even with openid, names no user.
    let machine = app
        .yauth
        .register_oauth2_client(&ClientRegistration {
            grant_types: Some(vec!["client_credentials".into()]),
            scope: Some("openid".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let token = client_token(&app, &machine).await;
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let r = userinfo(&app, Method::GET, Some(&bearer)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);

    // yauth's first-party tokens carry no openid grant.
    let (_, tokens) = bearer_support::user_with_tokens(&app).await;
    let bearer = format!("Bearer {}", bearer_support::access(&tokens));
    let r = userinfo(&app, Method::GET, Some(&bearer)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);

    // A token in the body is refused, not ignored.
    let fields = [("access_token".to_owned(), "x".to_owned())];
    let r = req(Method::POST, "/userinfo")
        .origin(None)
        .form(&fields)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(oauth_error(&r), "invalid_request");
}

#[tokio::test]
async fn the_metadata_lists_what_is_implemented() {
    let app = memory_app(OidcConfig::default()).await;
    let r = req(Method::GET, "/.well-known/openid-configuration")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let m = &r.body;
    assert_eq!(m["issuer"], json!(ORIGIN));
    assert_eq!(
        m["authorization_endpoint"],
        json!(format!("{ORIGIN}/oauth/authorize"))
    );
    assert_eq!(m["token_endpoint"], json!(format!("{ORIGIN}/oauth/token")));
    assert_eq!(m["userinfo_endpoint"], json!(format!("{ORIGIN}/userinfo")));
    assert_eq!(
        m["jwks_uri"],
        json!(format!("{ORIGIN}/.well-known/jwks.json"))
    );
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert_eq!(m["subject_types_supported"], json!(["public"]));
    assert_eq!(m["id_token_signing_alg_values_supported"], json!(["EdDSA"]));
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        m["scopes_supported"],
        json!(["openid", "profile", "email", "offline_access"])
    );
    assert_eq!(
        m["claims_supported"],
        json!(["sub", "email", "email_verified", "name"])
    );
    // Defaults of Discovery 1.0 that would claim more than is implemented.
    assert_eq!(m["request_uri_parameter_supported"], json!(false));
    assert_eq!(m["claims_parameter_supported"], json!(false));
    assert!(
        m.get("registration_endpoint").is_none(),
        "registration is closed"
    );
    // The same document as RFC 8414's, plus what OpenID Connect adds.
    let oauth = req(Method::GET, "/.well-known/oauth-authorization-server")
        .send(&app.router)
        .await;
    for (name, value) in oauth.body.as_object().unwrap() {
        assert_eq!(&m[name], value, "{name}");
    }
    // Every route it names is served and documented.
    let paths = &app.yauth.openapi().paths.paths;
    assert!(paths.contains_key("/userinfo"));
    assert!(paths.contains_key("/.well-known/openid-configuration"));
}

#[tokio::test]
async fn the_build_refuses_a_provider_that_could_not_work() {
    let build = |extra: Box<dyn FnOnce(YAuthBuilder) -> YAuthBuilder>| async move {
        let builder = YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(ORIGIN))
            .with_email_sender(yauth::email::MemoryEmailSender::new())
            .with_email_password(ep_config());
        extra(builder).build().await.err().map(|e| e.to_string())
    };
    let without_openid = build(Box::new(|b| {
        with_server(server_config(RegistrationPolicy::Closed))(b).with_oidc(OidcConfig::default())
    }))
    .await
    .expect("refused");
    assert!(without_openid.contains("openid"), "{without_openid}");

    let without_server = build(Box::new(|b| {
        bearer_support::with_tokens(Default::default(), Default::default())(b)
            .with_oidc(OidcConfig::default())
    }))
    .await
    .expect("refused");
    assert!(without_server.contains("oauth2-server"), "{without_server}");

    let bad_ttl = build(Box::new(|b| {
        with_server(provider_config())(b).with_oidc(OidcConfig {
            id_token_ttl: time::Duration::days(2),
            ..Default::default()
        })
    }))
    .await
    .expect("refused");
    assert!(bad_ttl.contains("id_token_ttl"), "{bad_ttl}");

    let elsewhere = build(Box::new(|b| {
        with_server(Oauth2ServerConfig {
            endpoint_base: Some(format!("{ORIGIN}/api/auth")),
            ..provider_config()
        })(b)
        .with_oidc(OidcConfig::default())
    }))
    .await
    .expect("refused");
    assert!(elsewhere.contains("BearerConfig::issuer"), "{elsewhere}");

    assert_eq!(
        build(Box::new(|b| with_provider(OidcConfig::default())(b))).await,
        None
    );
}

async fn end_session(app: &TestApp, query: &[(&str, &str)], cookie: Option<&str>) -> Res {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let mut r = req(Method::GET, &format!("/oauth/end_session?{query}"));
    if let Some(cookie) = cookie {
        r = r.cookie(cookie);
    }
    r.send(&app.router).await
}

async fn session_status(app: &TestApp, cookie: &str) -> StatusCode {
    req(Method::GET, "/session")
        .cookie(cookie)
        .send(&app.router)
        .await
        .status
}

#[tokio::test]
async fn rp_initiated_logout_ends_only_the_hinted_users_session() {
    let app = memory_app(OidcConfig::default()).await;
    let client = relying_party(&app).await;
    let (_, cookie) = signed_in_user(&app).await;
    let (_, other_cookie) = signed_in_user(&app).await;
    let r = grant(&app, &client, &cookie, "openid", None).await;
    let id_token = r.body["id_token"].as_str().unwrap().to_owned();
    let access = r.body["access_token"].as_str().unwrap().to_owned();

    // Requests that are not for certain from the client are shown, never redirected.
    let refusals: [&[(&str, &str)]; 5] = [
        &[("post_logout_redirect_uri", RP)],
        &[("id_token_hint", "not-a-token")],
        // An access token is no id_token, though the same key signed it.
        &[("id_token_hint", &access)],
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
        &[
            ("id_token_hint", &id_token),
            ("client_id", "another-client"),
        ],
    ];
    for query in refusals {
        let r = end_session(&app, query, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query:?}: {:?}", r.body);
        assert_eq!(oauth_error(&r), "invalid_request");
    }
    assert_eq!(session_status(&app, &cookie).await, StatusCode::OK);

    // Another user's browser is sent on, still signed in.
    let r = end_session(&app, &[("id_token_hint", &id_token)], Some(&other_cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], ORIGIN);
    assert!(r.session_cookie().is_none() && r.set_cookies().is_empty());
    assert_eq!(session_status(&app, &other_cookie).await, StatusCode::OK);

    // The user's own browser is signed out, with an expired hint too, and sent back with state.
    app.clock.advance(time::Duration::hours(2));
    let (_, cookie) = {
        let email = stored_email(&app, &id_token).await;
        let r = login(&app, &email, PASSWORD).await;
        (email, r.session_cookie().unwrap())
    };
    let query = [
        ("id_token_hint", id_token.as_str()),
        ("client_id", client.client_id.as_str()),
        ("post_logout_redirect_uri", RP),
        ("state", "bye-1"),
    ];
    let r = end_session(&app, &query, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.body);
    assert_eq!(r.headers["location"], format!("{RP}?state=bye-1"));
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("yauth_session=;") || c.contains("Max-Age=0")),
        "{:?}",
        r.set_cookies()
    );
    assert_eq!(
        session_status(&app, &cookie).await,
        StatusCode::UNAUTHORIZED
    );

    // The same by form post.
    let email = stored_email(&app, &id_token).await;
    let cookie = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let fields = [("id_token_hint".to_owned(), id_token.clone())];
    let r = req(Method::POST, "/oauth/end_session")
        .origin(None)
        .cookie(&cookie)
        .form(&fields)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.body);
    assert_eq!(
        session_status(&app, &cookie).await,
        StatusCode::UNAUTHORIZED
    );
}

/// The email of the user an id_token names.
async fn stored_email(app: &TestApp, id_token: &str) -> String {
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let id = uuid::Uuid::parse_str(claims["sub"].as_str().unwrap()).unwrap();
    let user = app.yauth.state().repos().users.find_user(id).await.unwrap();
    user.unwrap().email
}

#[tokio::test]
async fn a_path_issuer_has_its_metadata_where_rfc_8414_puts_it() {
    let api = format!("{ORIGIN}/api/auth");
    let bearer = yauth::plugins::bearer::BearerConfig {
        issuer: Some(api.clone()),
        ..Default::default()
    };
    let server = Oauth2ServerConfig {
        endpoint_base: Some(api.clone()),
        ..provider_config()
    };
    let app = app_with(test_config(ORIGIN), ep_config(), move |b| {
        bearer_support::with_tokens(bearer, Default::default())(b)
            .with_oauth2_server(server)
            .with_oidc(OidcConfig::default())
    })
    .await;
    // The application mounts yauth under /api/auth and this at the root.
    let root = axum::Router::new()
        .nest("/api/auth", app.router.clone())
        .merge(app.yauth.well_known_router());
    let r = req(
        Method::GET,
        "/.well-known/oauth-authorization-server/api/auth",
    )
    .send(&root)
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["issuer"], json!(api));
    assert_eq!(
        r.body["token_endpoint"],
        json!(format!("{api}/oauth/token"))
    );
    // OpenID Connect Discovery appends its path to the issuer instead.
    let r = req(Method::GET, "/api/auth/.well-known/openid-configuration")
        .send(&root)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["issuer"], json!(api));
}
