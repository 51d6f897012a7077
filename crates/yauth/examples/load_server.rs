//! A server for load runs on loopback: yauth (email-password, bearer and api-key) nested under
//! `/api/auth`, and a bare axum handler at `/hello` answering similar JSON from the same
//! process, so both are measured in one run. It signs a user in before serving and prints the
//! credentials as shell assignments; `scripts/load.sh` drives it with wrk.
//!
//! `LOAD_BACKEND=memory` (default), or `postgres` (sqlx), `diesel-postgres` or `seaorm-postgres`
//! on a migrated database provisioned from `YAUTH_TEST_POSTGRES_URL`, each pool of
//! [`POOL_SIZE`] connections set up as docs/getting-started.md recommends (no test query per
//! checkout); then `/pk` is the bare handler doing one primary-key select on a sqlx pool of the
//! same size. `LOAD_REDIS_URL` puts the Redis cache in front (with the `redis` feature).
//!
//! ```sh
//! cargo run --release -p yauth --example load_server --features email-password,bearer,api-key
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use tower::ServiceExt;
use yauth::email::LogEmailSender;
use yauth::entity::{PasswordCredential, User, new_id};
use yauth::store::InMemoryBackend;
use yauth::{YAuthBuilder, YAuthConfig};

const PASSWORD: &str = "load-password-that-is-long-enough";

/// Connections of yauth's pool, and of the baseline's.
const POOL_SIZE: u32 = 10;

async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: &str,
) -> axum::response::Response {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = auth {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut req = builder.body(Body::from(body.to_owned())).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo("127.0.0.1:1".parse::<SocketAddr>().unwrap()));
    router.clone().oneshot(req).await.unwrap()
}

async fn json(res: axum::response::Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The backend named by `LOAD_BACKEND`, and the PostgreSQL pool when there is one.
async fn backend() -> (yauth::store::Repositories, Option<sqlx::PgPool>) {
    use yauth::store::DatabaseBackend;
    match std::env::var("LOAD_BACKEND").as_deref() {
        Err(_) | Ok("memory") => (InMemoryBackend::new().repositories(), None),
        #[cfg(feature = "sqlx-pg-backend")]
        Ok(family @ ("postgres" | "diesel-postgres" | "seaorm-postgres")) => {
            let url = std::thread::spawn(|| {
                yauth_test_support::migrated_database(
                    "yauth_load",
                    yauth_test_support::Target::Postgres,
                )
            })
            .join()
            .unwrap()
            .expect("PostgreSQL is reachable");
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(POOL_SIZE)
                .test_before_acquire(false)
                .connect(&url)
                .await
                .unwrap();
            let repos = match family {
                "postgres" => {
                    yauth::backends::sqlx_pg::SqlxPgBackend::from_pool(pool.clone()).repositories()
                }
                "diesel-postgres" => diesel_postgres(&url),
                _ => seaorm_postgres(&url).await,
            };
            (repos, Some(pool))
        }
        Ok(other) => panic!(
            "LOAD_BACKEND={other} is not memory, postgres, diesel-postgres or seaorm-postgres \
             (with sqlx-pg-backend)"
        ),
    }
}

/// diesel-async's deadpool reusing returned connections without a test query.
#[cfg(feature = "sqlx-pg-backend")]
fn diesel_postgres(url: &str) -> yauth::store::Repositories {
    use diesel_async::AsyncPgConnection;
    use diesel_async::pooled_connection::deadpool::Pool;
    use diesel_async::pooled_connection::{
        AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
    };
    use yauth::store::DatabaseBackend;
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    let pool = Pool::builder(manager)
        .max_size(POOL_SIZE as usize)
        .build()
        .unwrap();
    yauth::backends::diesel_pg::DieselPgBackend::from_pool(pool).repositories()
}

/// SeaORM over its sqlx pool, without a test query per checkout.
#[cfg(feature = "sqlx-pg-backend")]
async fn seaorm_postgres(url: &str) -> yauth::store::Repositories {
    use yauth::store::DatabaseBackend;
    let mut options = sea_orm::ConnectOptions::new(url);
    options
        .max_connections(POOL_SIZE)
        .test_before_acquire(false)
        .sqlx_logging(false);
    let db = sea_orm::Database::connect(options).await.unwrap();
    yauth::backends::seaorm_pg::SeaOrmPgBackend::from_connection(db).repositories()
}

#[derive(Clone)]
struct Repos(yauth::store::Repositories);

impl yauth::store::DatabaseBackend for Repos {
    fn repositories(&self) -> yauth::store::Repositories {
        self.0.clone()
    }
}

#[tokio::main]
async fn main() {
    let mut config = YAuthConfig::new("http://localhost:3000");
    config.purge_interval = None;
    // The load run measures authentication, not the limiter.
    config.rate_limits.enabled = false;
    let mut ep = yauth::plugins::email_password::EmailPasswordConfig::default();
    ep.hibp.enabled = false;
    let (repos, pool) = backend().await;
    let builder = YAuthBuilder::new(Repos(repos), config);
    #[cfg(feature = "redis")]
    let builder = match std::env::var("LOAD_REDIS_URL") {
        Ok(url) => {
            let client = yauth::cache::redis::Client::open(url).unwrap();
            builder.with_redis(client.get_connection_manager().await.unwrap())
        }
        Err(_) => builder,
    };
    let yauth = builder
        .with_email_sender(LogEmailSender)
        .with_secret_key("load", &[3; 32])
        .with_email_password(ep)
        .with_bearer(Default::default())
        .with_api_keys(Default::default())
        .build()
        .await
        .expect("valid configuration");
    let state = yauth.state().clone();
    let email = format!("load-{}@example.com", new_id().simple());
    let mut user = User::new(new_id(), &email, state.now());
    user.email_verified = true;
    let credential = PasswordCredential {
        user_id: user.id,
        password_hash: yauth::crypto::hash_password(PASSWORD).await.unwrap(),
        updated_at: state.now(),
    };
    state
        .repos()
        .email_password
        .as_ref()
        .unwrap()
        .create_user_with_password(&user, &credential)
        .await
        .unwrap();
    let router = yauth.router();
    let credentials = format!(r#"{{"email":"{email}","password":"{PASSWORD}"}}"#);
    let login = call(&router, "POST", "/login", None, &credentials).await;
    let cookie = login
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let tokens = json(call(&router, "POST", "/token", None, &credentials).await).await;
    let access = tokens["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = json(
        call(
            &router,
            "POST",
            "/api-keys",
            Some(&access),
            r#"{"name":"load"}"#,
        )
        .await,
    )
    .await;
    let api_key = key["key"].as_str().unwrap().to_owned();

    let app = axum::Router::new()
        .route(
            "/hello",
            axum::routing::get(|| async {
                axum::Json(serde_json::json!({
                    "id": "01a20452-09b9-705e-8af1-bb0557890ee3",
                    "email": "load@example.com",
                    "display_name": null,
                    "email_verified": true,
                    "role": "user",
                    "banned": false,
                    "auth_method": "Bearer",
                    "scopes": null
                }))
            }),
        )
        .nest("/api/auth", router);
    // The database baseline: one primary-key select of the same user on the same pool.
    let app = match pool {
        Some(pool) => {
            let id = user.id;
            app.route(
                "/pk",
                axum::routing::get(move || {
                    let pool = pool.clone();
                    async move {
                        let row: (uuid::Uuid, String) =
                            sqlx::query_as("SELECT id, email FROM yauth_users WHERE id = $1")
                                .bind(id)
                                .fetch_one(&pool)
                                .await
                                .unwrap();
                        axum::Json(serde_json::json!({ "id": row.0, "email": row.1 }))
                    }
                }),
            )
        }
        None => app,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    println!("PORT={port}");
    println!("COOKIE='{cookie}'");
    println!("ACCESS_TOKEN='{access}'");
    println!("API_KEY='{api_key}'");
    println!("READY=1");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .unwrap();
}
