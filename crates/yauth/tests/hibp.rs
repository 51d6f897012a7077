//! The HIBP k-anonymity check against a local HTTP server speaking the Pwned Passwords range API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use yauth::plugins::email_password::hibp::{BreachCheck, HibpChecker, HibpConfig};

/// SHA-1("password"), a published test vector.
const PASSWORD_SHA1: &str = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8";
const PASSWORD_COUNT: u64 = 10_434_004;
/// SHA-1("correct horse battery staple").
const OTHER_SHA1: &str = "ABF7AAD6438836DBE526AA231ABDE2D0EEF74D42";

#[derive(Default)]
struct Seen {
    paths: Vec<String>,
    padding_headers: Vec<Option<String>>,
    user_agents: Vec<Option<String>>,
}

#[derive(Clone)]
struct ApiState {
    seen: Arc<Mutex<Seen>>,
    delay: Duration,
}

/// Answers like the real range API: every suffix for the prefix with its count, padded with
/// fake entries whose count is 0. Knows "password" only.
async fn range(
    State(state): State<ApiState>,
    Path(prefix): Path<String>,
    headers: HeaderMap,
) -> (StatusCode, String) {
    {
        let mut seen = state.seen.lock().unwrap();
        seen.paths.push(format!("/range/{prefix}"));
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        seen.padding_headers.push(header("add-padding"));
        seen.user_agents.push(header("user-agent"));
    }
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    if prefix.len() != 5 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return (StatusCode::BAD_REQUEST, "bad prefix".into());
    }
    let mut body = String::new();
    body.push_str("0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n");
    if prefix.eq_ignore_ascii_case(&PASSWORD_SHA1[..5]) {
        // Lower-case in the response to prove that the comparison ignores case.
        body.push_str(&format!(
            "{}:{PASSWORD_COUNT}\r\n",
            PASSWORD_SHA1[5..].to_ascii_lowercase()
        ));
    }
    // Padding: the other password's suffix, but with count 0 — must not count as a breach.
    if prefix.eq_ignore_ascii_case(&OTHER_SHA1[..5]) {
        body.push_str(&format!("{}:0\r\n", &OTHER_SHA1[5..]));
    }
    for i in 0..20 {
        body.push_str(&format!("{i:035X}:0\r\n"));
    }
    (StatusCode::OK, body)
}

/// Starts the fake range API on 127.0.0.1 with a random port; returns its base URL.
async fn start_api(delay: Duration) -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/range/{prefix}", get(range))
        .with_state(ApiState {
            seen: seen.clone(),
            delay,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/range/"), seen)
}

fn checker(endpoint: String, fail_open: bool, timeout: Duration) -> HibpChecker {
    HibpChecker::new(HibpConfig {
        enabled: true,
        endpoint,
        timeout,
        fail_open,
    })
    .unwrap()
}

#[tokio::test]
async fn a_breached_password_is_found_with_its_count() {
    let (endpoint, seen) = start_api(Duration::ZERO).await;
    let hibp = checker(endpoint, true, Duration::from_secs(2));

    let result = hibp.check("password").await;

    assert_eq!(
        result,
        BreachCheck::Breached {
            count: PASSWORD_COUNT
        }
    );
    assert!(!hibp.allows(&result));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.padding_headers, [Some("true".to_owned())]);
    assert_eq!(seen.user_agents, [Some("yauth".to_owned())]);
}

#[tokio::test]
async fn an_unknown_password_is_not_found_and_padding_is_ignored() {
    let (endpoint, _) = start_api(Duration::ZERO).await;
    let hibp = checker(endpoint, true, Duration::from_secs(2));

    // Its suffix is in the response, but only as a padding entry (count 0).
    let result = hibp.check("correct horse battery staple").await;

    assert_eq!(result, BreachCheck::NotFound);
    assert!(hibp.allows(&result));
    assert_eq!(
        hibp.check("an-unlisted-passphrase-42").await,
        BreachCheck::NotFound
    );
}

#[tokio::test]
async fn only_the_five_character_prefix_is_sent() {
    let (endpoint, seen) = start_api(Duration::ZERO).await;
    let hibp = checker(endpoint, true, Duration::from_secs(2));

    hibp.check("password").await;
    hibp.check("correct horse battery staple").await;

    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.paths,
        [
            format!("/range/{}", &PASSWORD_SHA1[..5]),
            format!("/range/{}", &OTHER_SHA1[..5]),
        ]
    );
    for path in &seen.paths {
        assert!(!path.contains(&PASSWORD_SHA1[5..]));
        assert!(!path.contains("password"));
    }
}

#[tokio::test]
async fn a_down_service_is_unavailable_and_fails_open_by_default() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}/range/");

    let open = HibpChecker::new(HibpConfig {
        endpoint: endpoint.clone(),
        ..HibpConfig::default()
    })
    .unwrap();
    let result = open.check("password").await;
    assert_eq!(result, BreachCheck::Unavailable);
    assert!(open.allows(&result), "fail-open is the default");

    let closed = checker(endpoint, false, Duration::from_secs(2));
    let result = closed.check("password").await;
    assert_eq!(result, BreachCheck::Unavailable);
    assert!(!closed.allows(&result), "fail_open = false refuses");
}

#[tokio::test]
async fn a_slow_service_times_out_as_unavailable() {
    let (endpoint, seen) = start_api(Duration::from_secs(5)).await;
    let hibp = checker(endpoint, true, Duration::from_millis(300));

    let started = Instant::now();
    let result = hibp.check("password").await;

    assert_eq!(result, BreachCheck::Unavailable);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(seen.lock().unwrap().paths.len(), 1, "the request was made");
}

#[tokio::test]
async fn an_error_status_is_unavailable() {
    let (endpoint, _) = start_api(Duration::ZERO).await;
    // A path the server does not route: 404.
    let hibp = checker(
        endpoint.replace("/range/", "/nothing/"),
        false,
        Duration::from_secs(2),
    );

    let result = hibp.check("password").await;

    assert_eq!(result, BreachCheck::Unavailable);
    assert!(!hibp.allows(&result));
}
