//! The stored encodings are the ones every yauth backend shares (so one database works with any
//! ORM family), and driver failures reach callers as `Unavailable` without SQL text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use time::macros::datetime;
use yauth_entity::{User, new_id};
use yauth_store::{DatabaseBackend, StoreError};
#[allow(unused_imports)]
use yauth_test_support::Target;

/// A user with a timestamp that has microseconds.
#[allow(dead_code)]
fn user() -> User {
    let mut user = User::new(
        new_id(),
        " Enc-Test@Example.COM ",
        datetime!(2024-02-29 13:14:15.123456 UTC),
    );
    user.email = format!("enc-{}@example.com", user.id.simple());
    user
}

/// An error a caller may see: no SQL keywords in it.
#[allow(dead_code)]
fn assert_no_sql(error: &StoreError) {
    let text = error.to_string().to_uppercase();
    for keyword in [
        "SELECT ", "INSERT ", "UPDATE ", "DELETE ", " FROM ", " WHERE ",
    ] {
        assert!(!text.contains(keyword), "error text carries SQL: {error}");
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_stores_text_uuids_and_microsecond_utc_timestamps() {
    let Some(url) = common::database("sqlx_sqlite_enc", Target::Sqlite) else {
        return;
    };
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let backend = yauth_sqlx::sqlite::SqlxSqliteBackend::from_pool(pool.clone());
    let user = user();
    backend
        .repositories()
        .users
        .create_user(&user)
        .await
        .unwrap();
    let (id, created_at, verified): (String, String, i64) =
        sqlx::query_as("SELECT id, created_at, email_verified FROM yauth_users WHERE email = ?1")
            .bind(&user.email)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(id, user.id.hyphenated().to_string());
    assert_eq!(created_at, "2024-02-29T13:14:15.123456Z");
    assert_eq!(verified, 0);
    let found = backend
        .repositories()
        .users
        .find_user(user.id)
        .await
        .unwrap();
    assert_eq!(found, Some(user));
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn mysql_stores_char36_uuids_and_utc_datetimes() {
    let Some(url) = common::database("sqlx_mysql_enc", Target::Mysql) else {
        return;
    };
    let pool = sqlx::MySqlPool::connect(&url).await.unwrap();
    let backend = yauth_sqlx::mysql::SqlxMysqlBackend::from_pool(pool.clone());
    let user = user();
    backend
        .repositories()
        .users
        .create_user(&user)
        .await
        .unwrap();
    let (id, created_at): (String, String) =
        sqlx::query_as("SELECT id, CAST(created_at AS CHAR) FROM yauth_users WHERE email = ?")
            .bind(&user.email)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(id, user.id.hyphenated().to_string());
    assert_eq!(created_at, "2024-02-29 13:14:15.123456");
    let found = backend
        .repositories()
        .users
        .find_user(user.id)
        .await
        .unwrap();
    assert_eq!(found, Some(user));
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_unreachable_is_unavailable() {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_lazy("postgres://postgres@127.0.0.1:1/none")
        .unwrap();
    let backend = yauth_sqlx::pg::SqlxPgBackend::from_pool(pool);
    let error = backend
        .repositories()
        .users
        .find_user(new_id())
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert_no_sql(&error);
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn mysql_unreachable_is_unavailable() {
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_lazy("mysql://root@127.0.0.1:1/none")
        .unwrap();
    let backend = yauth_sqlx::mysql::SqlxMysqlBackend::from_pool(pool);
    let error = backend
        .repositories()
        .sessions
        .validate_session("x", time::OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert_no_sql(&error);
}
