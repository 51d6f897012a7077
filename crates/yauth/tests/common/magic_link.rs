//! Shared by the magic-link tests: an app with the plugin, and links from the mail log.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::http::Method;
use serde_json::json;
use yauth::YAuthBuilder;
use yauth::plugins::magic_link::MagicLinkConfig;

use crate::common::*;

/// The builder step adding the magic-link plugin with `config`.
pub fn with_magic_link(config: MagicLinkConfig) -> impl FnOnce(YAuthBuilder) -> YAuthBuilder {
    move |b| b.with_magic_link(config)
}

/// Asks for a link for `email` and returns its token once the email went out.
pub async fn link_for(app: &TestApp, email: &str) -> String {
    app.mail.clear();
    let r = req(Method::POST, "/magic-link/send")
        .json(json!({ "email": email }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, axum::http::StatusCode::ACCEPTED, "{:?}", r.body);
    let message = mail_to(app, &email.to_lowercase()).await;
    assert!(
        message.text.contains("/magic-link?token="),
        "{}",
        message.text
    );
    token_from_mail(app, &email.to_lowercase())
}

/// Verifies a link's token.
pub async fn verify_link(app: &TestApp, token: &str) -> Res {
    req(Method::POST, "/magic-link/verify")
        .json(json!({ "token": token }))
        .send(&app.router)
        .await
}
