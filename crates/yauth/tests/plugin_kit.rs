//! The plugin kit: `build()` refuses what cannot work, naming it; step-up for sensitive
//! operations; custom plugins through the same trait.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;
use yauth::{BuildError, YAuthBuilder, YAuthPlugin};
use yauth_store::{DatabaseBackend, InMemoryBackend, Repositories};

struct Needs(&'static [&'static str]);

impl YAuthPlugin for Needs {
    fn name(&self) -> &'static str {
        "needs"
    }
    fn requires(&self) -> &'static [&'static str] {
        self.0
    }
}

fn builder() -> YAuthBuilder {
    YAuthBuilder::new(InMemoryBackend::new(), test_config(ORIGIN))
        .with_email_sender(yauth::email::MemoryEmailSender::new())
}

#[tokio::test]
async fn a_missing_dependency_plugin_is_refused_by_name() {
    let err = builder()
        .with_plugin(Box::new(Needs(&["email-password"])))
        .build()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BuildError::MissingDependency {
            plugin: "needs".into(),
            requires: "email-password"
        }
    );
    assert!(err.to_string().contains("email-password"), "{err}");
    // With the dependency enabled it builds.
    builder()
        .with_email_password(ep_config())
        .with_plugin(Box::new(Needs(&["email-password"])))
        .build()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_plugin_name_never_passes() {
    let err = builder()
        .with_plugin(Box::new(Needs(&["email-pasword"])))
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, BuildError::UnknownPlugin { ref name, .. } if name == "email-pasword"));
    assert!(err.to_string().contains("email-pasword"), "{err}");
    assert!(
        err.to_string().contains("email-password"),
        "lists the known names: {err}"
    );
}

/// A backend that lacks the email-password tables.
struct CoreOnly;

impl DatabaseBackend for CoreOnly {
    fn repositories(&self) -> Repositories {
        Repositories {
            email_password: None,
            ..InMemoryBackend::new().repositories()
        }
    }
}

#[tokio::test]
async fn a_backend_without_a_plugins_tables_is_refused_naming_them() {
    let err = YAuthBuilder::new(CoreOnly, test_config(ORIGIN))
        .with_email_sender(yauth::email::MemoryEmailSender::new())
        .with_email_password(ep_config())
        .build()
        .await
        .unwrap_err();
    let BuildError::MissingRepository { plugin, tables } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*plugin, "email-password");
    assert!(tables.iter().any(|t| t == "passwords"), "{tables:?}");
    assert!(err.to_string().contains("passwords"), "{err}");
    // Plugins without tables need nothing from the backend.
    YAuthBuilder::new(CoreOnly, test_config(ORIGIN))
        .with_status()
        .build()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_session_needs_a_fresh_sign_in_to_change_the_password() {
    let app = app().await;
    let (email, stale) = signed_in_user(&app).await;
    app.clock.advance(time::Duration::minutes(11));
    let change = |cookie: &str, new: &str| {
        req(Method::POST, "/change-password")
            .cookie(cookie)
            .json(json!({"current_password": PASSWORD, "new_password": new}))
    };
    let r = change(&stale, "a-brand-new-password-77")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "reauthentication_required");
    // The stale session still works for everything else.
    let r = req(Method::GET, "/session")
        .cookie(&stale)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Right after signing in again, the same operation is accepted.
    let fresh = login(&app, &email, PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let r = change(&fresh, "a-brand-new-password-77")
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn a_session_records_how_the_user_signed_in() {
    let app = app().await;
    let email = verified_user(&app).await;
    let r = login(&app, &email, PASSWORD).await;
    assert_eq!(r.body["user"]["amr"], json!(["pwd"]), "{:?}", r.body);
    let cookie = r.session_cookie().unwrap();
    let r = req(Method::GET, "/session")
        .cookie(&cookie)
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["amr"], json!(["pwd"]), "{:?}", r.body);
    let sessions = app
        .yauth
        .state()
        .repos()
        .sessions
        .list_user_sessions(stored_user(&app, &email).await.id, app.yauth.state().now())
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].amr, "pwd", "stored on the session row");
}

#[tokio::test]
async fn the_step_up_age_is_configurable_and_validated() {
    let mut config = test_config(ORIGIN);
    config.session.reauthentication_age = time::Duration::ZERO;
    let err = YAuthBuilder::new(InMemoryBackend::new(), config)
        .build()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("reauthentication_age"), "{err}");
}

struct KeyAuth;

impl YAuthPlugin for KeyAuth {
    fn name(&self) -> &'static str {
        "key-auth"
    }
    fn security_schemes(&self) -> Vec<(&'static str, utoipa::openapi::security::SecurityScheme)> {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        vec![(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        )]
    }
}

#[tokio::test]
async fn protected_operations_list_every_plugins_scheme_and_the_real_cookie_name() {
    let yauth = YAuthBuilder::new(
        InMemoryBackend::new(),
        test_config("https://app.example.com"),
    )
    .with_plugin(Box::new(KeyAuth))
    .build()
    .await
    .unwrap();
    let doc = serde_json::to_value(yauth.openapi()).unwrap();
    let security = &doc["paths"]["/session"]["get"]["security"];
    assert_eq!(security, &json!([{"session": []}, {"api_key": []}]));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["name"], "X-Api-Key");
    // Secure cookies carry the __Host- prefix, and the document says so.
    assert_eq!(schemes["session"]["name"], "__Host-yauth_session");
}
