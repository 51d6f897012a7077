//! A complete auth server in one file: email + password, sessions, status.
//!
//! ```sh
//! cargo run -p yauth --example quickstart
//! ```
//!
//! Listens on http://127.0.0.1:3000 with the API under `/api/auth`. Emails are not sent: they
//! are printed, and appended to `yauth-demo-mail.log`, so you can pick the verification link.

use std::net::SocketAddr;

use async_trait::async_trait;
use yauth::email::{EmailError, EmailMessage, EmailSender, LogEmailSender};
use yauth::plugins::email_password::EmailPasswordConfig;
use yauth::prelude::*;

/// Prints each email and keeps a copy in `yauth-demo-mail.log`.
struct DemoMailbox;

#[async_trait]
impl EmailSender for DemoMailbox {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
        LogEmailSender.send(message).await?;
        let entry = format!(
            "To: {}\nSubject: {}\n\n{}\n---\n",
            message.to, message.subject, message.text
        );
        let appended = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open("yauth-demo-mail.log")
                .and_then(|mut f| f.write_all(entry.as_bytes()))
        })
        .await;
        if !matches!(appended, Ok(Ok(()))) {
            eprintln!("could not append to yauth-demo-mail.log");
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = "http://127.0.0.1:3000";
    let config = YAuthConfig::new(base_url);

    let mut email_password = EmailPasswordConfig::default();
    // The breached-password check calls api.pwnedpasswords.com; it is on by default (and
    // fails open), off here so the demo works offline.
    email_password.hibp.enabled = false;

    let builder = YAuthBuilder::new(backends::memory::InMemoryBackend::new(), config)
        .with_email_sender(DemoMailbox)
        .with_email_password(email_password);
    #[cfg(feature = "status")]
    let builder = builder.with_status();
    let yauth = builder.build().await?;

    let app = axum::Router::new().nest("/api/auth", yauth.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("yauth quickstart listening on {base_url} (API under /api/auth)");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
