//! Peak memory of 200 concurrent logins: through yauth's bounded password hashing, beside the
//! same 200 Argon2id verifications run unbounded on the blocking pool (what an unbounded hasher
//! does). Each measurement runs in a process of its own, since the peak (VmHWM) only grows.
//!
//! ```sh
//! cargo bench -p yauth --bench login_memory --features email-password
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

const CONCURRENT: usize = 200;

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("yauth") => measure(yauth_logins),
        Some("unbounded") => measure(unbounded_hashes),
        _ => {
            let exe = std::env::current_exe().unwrap();
            println!(
                "{CONCURRENT} concurrent logins (Argon2id, 19 MiB each), peak resident memory:"
            );
            for which in ["unbounded", "yauth"] {
                let out = Command::new(&exe).arg(which).output().unwrap();
                print!("{}", String::from_utf8_lossy(&out.stdout));
                if !out.status.success() {
                    eprint!("{}", String::from_utf8_lossy(&out.stderr));
                    std::process::exit(1);
                }
            }
        }
    }
}

fn measure(run: fn() -> String) {
    let before = peak_kib();
    let summary = run();
    let after = peak_kib();
    println!(
        "  {summary}: peak {:.0} MiB (process start {:.0} MiB)",
        after as f64 / 1024.0,
        before as f64 / 1024.0
    );
}

/// The process's peak resident set (VmHWM), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[cfg(feature = "email-password")]
fn yauth_logins() -> String {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::Request;
    use tower::ServiceExt;

    runtime().block_on(async {
        let mut config = yauth::YAuthConfig::new("http://localhost:3000");
        config.purge_interval = None;
        config.rate_limits.enabled = false;
        let mut ep = yauth::plugins::email_password::EmailPasswordConfig::default();
        ep.hibp.enabled = false;
        ep.require_email_verification = false;
        let yauth = yauth::YAuthBuilder::new(yauth_store::InMemoryBackend::new(), config)
            .with_email_sender(yauth::email::MemoryEmailSender::new())
            .with_email_password(ep)
            .build()
            .await
            .unwrap();
        let router = yauth.router();
        let send = |path: &'static str, body: String| {
            let router = router.clone();
            async move {
                let mut request = Request::post(path)
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .unwrap();
                request.extensions_mut().insert(ConnectInfo(
                    "127.0.0.1:9".parse::<std::net::SocketAddr>().unwrap(),
                ));
                router.oneshot(request).await.unwrap().status()
            }
        };
        let account =
            r#"{"email":"bench@example.com","password":"correct-horse-battery-staple-42"}"#;
        send("/register", account.to_owned()).await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|_| tokio::spawn(send("/login", account.to_owned())))
            .collect();
        let (mut ok, mut busy) = (0, 0);
        for task in tasks {
            match task.await.unwrap().as_u16() {
                200 => ok += 1,
                503 => busy += 1,
                other => panic!("unexpected status {other}"),
            }
        }
        format!("yauth (bounded): {ok} signed in, {busy} answered 503 + Retry-After")
    })
}

#[cfg(not(feature = "email-password"))]
fn yauth_logins() -> String {
    "yauth: needs the email-password feature".to_owned()
}

fn unbounded_hashes() -> String {
    use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
    let hash = argon
        .hash_password(b"correct-horse", &salt)
        .unwrap()
        .to_string();
    runtime().block_on(async move {
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let hash = hash.clone();
                tokio::task::spawn_blocking(move || {
                    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap();
                    let argon = argon2::Argon2::new(
                        argon2::Algorithm::Argon2id,
                        argon2::Version::V0x13,
                        params,
                    );
                    argon
                        .verify_password(b"correct-horse", &PasswordHash::new(&hash).unwrap())
                        .is_ok()
                })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            ok += usize::from(task.await.unwrap());
        }
        format!("unbounded spawn_blocking: {ok} verified")
    })
}
