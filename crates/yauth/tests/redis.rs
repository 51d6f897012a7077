//! The Redis cache on real PostgreSQL and real Redis: two yauth instances share both, so a ban
//! or a logout on one is refused by the other at its next request; a Redis outage (a proxy the
//! test cuts) is answered from the database, and the cache is used again, flushed, once Redis is
//! back; rate limits count atomically in Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "common/backends.rs"]
mod backends;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use backends::{Family, backend};
use common::*;
use redis::aio::ConnectionManager;
use yauth::cache::RedisConfig;

/// A connection manager to `url` that gives up on a call quickly (the outage test cuts it).
async fn connection(url: &str) -> Option<ConnectionManager> {
    let client = redis::Client::open(url).unwrap();
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(Some(Duration::from_millis(500)))
        .set_number_of_retries(1);
    match client.get_connection_manager_with_config(config).await {
        Ok(conn) => Some(conn),
        Err(error) => {
            yauth_test_support::service_missing("Redis", &error.to_string());
            None
        }
    }
}

/// A key prefix of this test alone, so tests never see each other's entries.
fn config() -> RedisConfig {
    RedisConfig {
        key_prefix: format!("yauth-test-{}:", uuid::Uuid::new_v4().simple()),
        session_ttl: Duration::from_secs(30),
        timeout: Duration::from_millis(300),
        ..RedisConfig::default()
    }
}

/// Two apps on one PostgreSQL database, each with its own pool and its own Redis connection
/// (through `via` when given), sharing one key prefix.
async fn two_instances(
    via: Option<&str>,
) -> Option<(TestApp, TestApp, RedisConfig, ConnectionManager)> {
    let direct = yauth_test_support::redis_url();
    let shared = config();
    let mut apps = Vec::new();
    for i in 0..2 {
        let url = if i == 0 {
            via.unwrap_or(&direct)
        } else {
            &direct
        };
        let conn = connection(url).await?;
        let db = backend("redis", Family::Postgres).await?;
        let cfg = shared.clone();
        apps.push(
            app_on(db, test_config(ORIGIN), generous_ep_config(), move |b| {
                b.with_redis_config(conn, cfg)
                    .with_secret_key("k", &[9; 32])
                    .with_bearer(Default::default())
            })
            .await,
        );
    }
    let observer = connection(&direct).await?;
    let b = apps.pop().unwrap();
    let a = apps.pop().unwrap();
    Some((a, b, shared, observer))
}

/// The session entries under `config`'s prefix.
async fn cached_sessions(observer: &ConnectionManager, config: &RedisConfig) -> usize {
    let mut conn = observer.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}s:*", config.key_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.len()
}

/// How often the cache under `config`'s prefix was flushed.
async fn flushes(observer: &ConnectionManager, config: &RedisConfig) -> u64 {
    let mut conn = observer.clone();
    let flush: Option<u64> = redis::cmd("GET")
        .arg(format!("{}flush", config.key_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    flush.unwrap_or(0)
}

async fn session(app: &TestApp, cookie: &str) -> Res {
    req(Method::GET, "/session")
        .cookie(cookie)
        .send(&app.router)
        .await
}

async fn with_token(app: &TestApp, token: &str) -> Res {
    req(Method::GET, "/session")
        .header("authorization", &format!("Bearer {token}"))
        .send(&app.router)
        .await
}

/// An access token of `email` from `POST /token`.
async fn access_token(app: &TestApp, email: &str) -> String {
    let r = req(Method::POST, "/token")
        .json(serde_json::json!({ "email": email, "password": PASSWORD }))
        .send(&app.router)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The `jti` claim of a JWT (read, not verified: the test only needs the id).
fn jti_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_access_token_is_refused_by_the_other_instance_at_once() {
    let Some((a, b, config, observer)) = two_instances(None).await else {
        return;
    };
    let (email, _) = signed_in_user(&a).await;
    let token = access_token(&a, &email).await;
    assert_eq!(with_token(&b, &token).await.status, StatusCode::OK);
    assert_eq!(with_token(&b, &token).await.status, StatusCode::OK);
    let mut conn = observer.clone();
    let cached: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}j:*", config.key_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(cached.len(), 1, "B cached the token's revocation state");

    // Revoked on A (as a logout or a ban does): B refuses it at its next request.
    let now = a.yauth.state().now();
    a.yauth
        .state()
        .repos()
        .bearer
        .as_ref()
        .unwrap()
        .revoke_jti(&yauth::entity::JtiRevocation {
            jti: jti_of(&token),
            expires_at: now + time::Duration::hours(1),
            created_at: now,
        })
        .await
        .unwrap();
    let r = with_token(&b, &token).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);

    // A ban on A reaches B's cached copy of the user too.
    let other = access_token(&a, &email).await;
    assert_eq!(with_token(&b, &other).await.status, StatusCode::OK);
    ban(&a, &email).await;
    let r = with_token(&b, &other).await;
    assert!(
        [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&r.status),
        "{:?}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ban_or_logout_on_one_instance_is_refused_by_the_other_at_once() {
    let Some((a, b, config, observer)) = two_instances(None).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&a).await;
    assert_eq!(session(&b, &cookie).await.status, StatusCode::OK);
    assert_eq!(cached_sessions(&observer, &config).await, 1, "B cached it");

    // The cache answers: a row deleted behind yauth's back (raw SQL, no invalidation) is still
    // served until its entry ends. Every write through yauth invalidates, as the rest shows.
    let (_, witness) = signed_in_user(&a).await;
    assert_eq!(session(&b, &witness).await.status, StatusCode::OK);
    let url = backends::database_url("redis", Family::Postgres).unwrap();
    let witness_user = session(&a, &witness).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    backends::execute_sql(
        Family::Postgres,
        &url,
        &[&format!(
            "DELETE FROM yauth_sessions WHERE user_id = '{witness_user}'"
        )],
    )
    .await;
    assert_eq!(
        session(&b, &witness).await.status,
        StatusCode::OK,
        "served from Redis"
    );

    // A role change on A shows on B's next request.
    promote(&a, &email).await;
    let r = session(&b, &cookie).await;
    assert_eq!(r.body["role"], "admin", "{:?}", r.body);

    // A ban on A: B refuses the very next request.
    ban(&a, &email).await;
    let r = session(&b, &cookie).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "account_banned");

    // A logout on A: B refuses the very next request.
    let (_, other) = signed_in_user(&a).await;
    assert_eq!(session(&b, &other).await.status, StatusCode::OK);
    let r = req(Method::POST, "/logout")
        .cookie(&other)
        .send(&a.router)
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    assert_eq!(session(&b, &other).await.status, StatusCode::UNAUTHORIZED);

    // Logging out everywhere (a password change ends every session) reaches B too.
    let (third, third_cookie) = signed_in_user(&a).await;
    assert_eq!(session(&b, &third_cookie).await.status, StatusCode::OK);
    let user = stored_user(&a, &third).await;
    a.yauth
        .state()
        .repos()
        .sessions
        .delete_user_sessions(user.id, None)
        .await
        .unwrap();
    assert_eq!(
        session(&b, &third_cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// A TCP proxy to Redis that the test can cut (closing every connection and refusing new
/// ones) and restore.
struct Proxy {
    url: String,
    up: Arc<AtomicBool>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (accepting, tracked) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !accepting.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tracked.lock().unwrap().push(task);
            }
        });
        Self {
            url,
            up,
            connections,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_outage_is_answered_from_the_database_and_the_cache_returns_flushed() {
    let target = yauth_test_support::redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = Proxy::start(target).await;
    let Some((a, b, config, observer)) = two_instances(Some(&proxy.url)).await else {
        return;
    };
    let (email, cookie) = signed_in_user(&a).await;
    assert_eq!(session(&a, &cookie).await.status, StatusCode::OK);
    assert_eq!(session(&b, &cookie).await.status, StatusCode::OK);

    // Redis gone for A: sessions, sign-ins and rate limits keep working from the database,
    // each request within a bounded time.
    proxy.cut();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let r = session(&a, &cookie).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
    let r = login(&a, &email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (_, fresh) = signed_in_user(&a).await;
    assert_eq!(session(&a, &fresh).await.status, StatusCode::OK);

    // A ban while A cannot reach Redis: its invalidation is lost...
    ban(&a, &email).await;
    assert_eq!(session(&a, &cookie).await.status, StatusCode::FORBIDDEN);

    // ...so once Redis is back, A flushes every cached session before trusting the cache, and
    // B's stale entry goes with them.
    proxy.restore();
    let mut recovered = false;
    for _ in 0..50 {
        if session(&a, &fresh).await.status == StatusCode::OK
            && flushes(&observer, &config).await > 0
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "A flushes once Redis answers again");
    // A fills the cache again.
    let before = cached_sessions(&observer, &config).await;
    let (_, later) = signed_in_user(&a).await;
    assert_eq!(session(&a, &later).await.status, StatusCode::OK);
    assert!(
        cached_sessions(&observer, &config).await > before,
        "the cache is used again"
    );
    // A's refusal also ended the session row; either way B must not answer from its stale
    // entry (which would be 200).
    let r = session(&b, &cookie).await;
    assert!(
        [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&r.status),
        "{:?}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limits_count_atomically_in_redis() {
    let Some(conn) = connection(&yauth_test_support::redis_url()).await else {
        return;
    };
    let cfg = config();
    let app = app_with(test_config(ORIGIN), ep_config(), move |b| {
        b.with_redis_config(conn, cfg)
    })
    .await;
    let limits = app.yauth.state().repos().rate_limits.clone();
    let now = app.yauth.state().now();
    let hits: Vec<_> = (0..16)
        .map(|_| {
            let limits = limits.clone();
            tokio::spawn(async move {
                limits
                    .hit_rate_limit("race", 5, time::Duration::minutes(1), now)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut allowed = 0;
    for hit in hits {
        let decision = hit.await.unwrap();
        allowed += usize::from(decision.allowed);
        assert!(decision.reset_at > now && decision.reset_at <= now + time::Duration::minutes(1));
    }
    assert_eq!(
        allowed, 5,
        "exactly the limit is allowed under a 16-way race"
    );
    limits.reset_rate_limit("race").await.unwrap();
    let again = limits
        .hit_rate_limit("race", 5, time::Duration::minutes(1), now)
        .await
        .unwrap();
    assert_eq!((again.allowed, again.count), (true, 1));
}

#[tokio::test]
async fn redis_must_come_before_bearer() {
    let Some(conn) = connection(&yauth_test_support::redis_url()).await else {
        return;
    };
    let error = yauth::YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(ORIGIN))
        .with_secret_key("k", &[9; 32])
        .with_bearer(Default::default())
        .with_redis(conn)
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("before with_bearer"), "{error}");
}

#[tokio::test]
async fn a_bad_redis_configuration_is_refused() {
    let Some(conn) = connection(&yauth_test_support::redis_url()).await else {
        return;
    };
    let error = yauth::YAuthBuilder::new(yauth_store::InMemoryBackend::new(), test_config(ORIGIN))
        .with_redis_config(
            conn,
            RedisConfig {
                session_ttl: Duration::ZERO,
                ..RedisConfig::default()
            },
        )
        .build()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("session_ttl"), "{error}");
}

fn challenge(key: &str, now: time::OffsetDateTime) -> yauth::entity::Challenge {
    yauth::entity::Challenge {
        key: key.to_owned(),
        value: serde_json::json!({ "state": key }),
        expires_at: now + time::Duration::minutes(5),
        created_at: now,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_challenge_is_taken_once_wherever_it_was_stored() {
    let target = yauth_test_support::redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = Proxy::start(target).await;
    let Some(conn) = connection(&proxy.url).await else {
        return;
    };
    let Some(observer) = connection(&yauth_test_support::redis_url()).await else {
        return;
    };
    let cfg = config();
    let prefix = cfg.key_prefix.clone();
    let app = app_with(test_config(ORIGIN), ep_config(), move |b| {
        b.with_redis_config(conn, cfg)
    })
    .await;
    let challenges = app.yauth.state().repos().challenges.clone();
    let now = app.yauth.state().now();

    // Stored in Redis: 16 concurrent takers, one winner.
    challenges
        .put_challenge(&challenge("in-redis", now))
        .await
        .unwrap();
    let mut conn = observer.clone();
    let stored: Option<String> = redis::cmd("GET")
        .arg(format!("{prefix}c:in-redis"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(stored.is_some(), "the challenge is in Redis");
    let takers: Vec<_> = (0..16)
        .map(|_| {
            let challenges = challenges.clone();
            tokio::spawn(async move { challenges.take_challenge("in-redis", now).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for taker in takers {
        won += usize::from(taker.await.unwrap().is_some());
    }
    assert_eq!(won, 1, "one taker wins");

    // Stored while Redis is away: the database keeps it, and it is taken once after Redis is
    // back.
    proxy.cut();
    challenges
        .put_challenge(&challenge("in-db", now))
        .await
        .unwrap();
    proxy.restore();
    let takers: Vec<_> = (0..16)
        .map(|_| {
            let challenges = challenges.clone();
            tokio::spawn(async move { challenges.take_challenge("in-db", now).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for taker in takers {
        won += usize::from(taker.await.unwrap().is_some());
    }
    assert_eq!(won, 1, "one taker wins after the outage too");
}
