//! The yauth quickstart: email + password sign-in, sessions and status, on SQLite.
//!
//! ```sh
//! cargo run -p yauth-quickstart
//! ```
//!
//! Listens on http://127.0.0.1:3000 with the API under `/api/auth`. Data goes to
//! `yauth-demo.db` (override with `YAUTH_DEMO_DB`). Emails are not sent: they are printed and
//! appended to `yauth-demo-mail.log`, so you can pick up the verification link.
//!
//! The tables come from `migrations/`, written by `cargo yauth generate` from `yauth.toml` and
//! applied here with sqlx's migrator, the way an application applies its own migrations: yauth
//! itself never runs DDL.

use std::net::SocketAddr;
use std::str::FromStr;

use async_trait::async_trait;
use yauth::backends::sqlx_sqlite::SqlxSqliteBackend;
use yauth::email::{EmailError, EmailMessage, EmailSender, LogEmailSender};
use yauth::plugins::email_password::EmailPasswordConfig;
use yauth::{YAuthBuilder, YAuthConfig};

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
    let db_path = std::env::var("YAUTH_DEMO_DB").unwrap_or_else(|_| "yauth-demo.db".to_owned());
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{db_path}"))?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(5));
    let pool = sqlx::SqlitePool::connect_with(options).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;

    let base_url = "http://127.0.0.1:3000";
    let mut email_password = EmailPasswordConfig::default();
    // The breached-password check calls api.pwnedpasswords.com; it is on by default (and
    // fails open), off here so the demo works offline.
    email_password.hibp.enabled = false;

    let yauth = YAuthBuilder::new(
        SqlxSqliteBackend::from_pool(pool),
        YAuthConfig::new(base_url),
    )
    .with_email_sender(DemoMailbox)
    .with_email_password(email_password)
    .with_status()
    .build()
    .await?;

    let app = axum::Router::new().nest("/api/auth", yauth.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("yauth quickstart listening on {base_url} (API under /api/auth, data in {db_path})");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
