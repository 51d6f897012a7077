//! Times the enumeration-safe routes over loopback on PostgreSQL: the median of 20 requests with
//! a known email against 20 with an unknown one, per route, interleaved.
//!
//! ```sh
//! SQLX_OFFLINE=true cargo run --release -p yauth --example enumeration_timing \
//!     --features email-password,sqlx-pg-backend
//! ```
//!
//! The database comes from `YAUTH_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), migrated by `yauth-test-support`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yauth::email::MemoryEmailSender;
use yauth::{YAuthBuilder, YAuthConfig};

const PASSWORD: &str = "correct-horse-battery-staple-42";
const ROUNDS: usize = 20;
/// Quiet time after each request, for its background work to finish.
const SETTLE: Duration = Duration::from_millis(25);

#[tokio::main]
async fn main() {
    let url = std::thread::spawn(|| {
        yauth_test_support::migrated_database("yauth_timing", yauth_test_support::Target::Postgres)
    })
    .join()
    .unwrap()
    .expect("PostgreSQL is reachable");
    let options = sqlx::postgres::PgConnectOptions::from_str(&url)
        .unwrap()
        .ssl_mode(sqlx::postgres::PgSslMode::Disable);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .unwrap();
    let mut config = YAuthConfig::new("http://localhost:3000");
    config.purge_interval = None;
    // Timing, not throttling, is measured here.
    config.rate_limits.enabled = false;
    let mut ep = yauth::plugins::email_password::EmailPasswordConfig::default();
    ep.hibp.enabled = false;
    let mail = MemoryEmailSender::new();
    let yauth = YAuthBuilder::new(
        yauth::backends::sqlx_pg::SqlxPgBackend::from_pool(pool),
        config,
    )
    .with_email_sender(mail.clone())
    .with_email_password(ep)
    .build()
    .await
    .unwrap();
    let app = axum::Router::new().nest("/api/auth", yauth.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    // Known accounts: one unverified (for resend-verification), the others verified.
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let known = format!("known-{tag}@example.com");
    let unverified = format!("unverified-{tag}@example.com");
    for email in [&known, &unverified] {
        post(
            addr,
            "/register",
            &format!(r#"{{"email":"{email}","password":"{PASSWORD}"}}"#),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = mail.last_to(&known).expect("verification email").text;
    let token: String = text[text.find("token=").unwrap() + 6..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    post(addr, "/verify-email", &format!(r#"{{"token":"{token}"}}"#)).await;

    println!("route                 known p50   unknown p50   difference");
    let cases: [Case; 4] = [
        ("/login", &known, |e| {
            format!(r#"{{"email":"{e}","password":"wrong-password-123"}}"#)
        }),
        ("/register", &known, |e| {
            format!(r#"{{"email":"{e}","password":"{PASSWORD}"}}"#)
        }),
        ("/forgot-password", &known, |e| {
            format!(r#"{{"email":"{e}"}}"#)
        }),
        ("/resend-verification", &unverified, |e| {
            format!(r#"{{"email":"{e}"}}"#)
        }),
    ];
    for (path, known_email, body) in cases {
        // Warm the connection pool and the code path first.
        for _ in 0..3 {
            post(addr, path, &body(known_email)).await;
        }
        let mut known_times = Vec::new();
        let mut unknown_times = Vec::new();
        for i in 0..ROUNDS {
            let unknown = format!(
                "nobody-{tag}-{path_tag}-{i}@example.com",
                path_tag = path.len()
            );
            // Alternate which goes first, and let each request's background follow-up (the
            // known account's email work) finish before the next is timed, so only the
            // request path itself is measured.
            let known_first = i % 2 == 0;
            for known_turn in [known_first, !known_first] {
                if known_turn {
                    known_times.push(post(addr, path, &body(known_email)).await);
                } else {
                    unknown_times.push(post(addr, path, &body(&unknown)).await);
                }
                tokio::time::sleep(SETTLE).await;
            }
        }
        let (k, u) = (median(known_times), median(unknown_times));
        let diff = (k.as_secs_f64() - u.as_secs_f64()).abs() / k.as_secs_f64().min(u.as_secs_f64());
        println!(
            "{path:<21} {:>8.2} ms   {:>8.2} ms   {:>6.1} %",
            k.as_secs_f64() * 1e3,
            u.as_secs_f64() * 1e3,
            diff * 100.0
        );
        // Let background follow-ups finish before the next route is timed.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A route, the known account to send it, and the body for an address.
type Case<'a> = (&'a str, &'a str, fn(&str) -> String);

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// One HTTP/1.1 request on a fresh loopback connection; returns the time to the full answer.
async fn post(addr: SocketAddr, path: &str, body: &str) -> Duration {
    let request = format!(
        "POST /api/auth{path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let start = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let elapsed = start.elapsed();
    assert!(answer.starts_with(b"HTTP/1.1 "), "an HTTP answer");
    elapsed
}
