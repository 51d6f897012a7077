//! The values this crate writes, read back raw: they must be exactly what the diesel and sqlx
//! backends write (UUIDs as lowercase hyphenated text on MySQL/SQLite, SQLite timestamps as
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ`, MySQL timestamps as UTC `DATETIME(6)`), so one database works
//! with every ORM family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use time::macros::datetime;
use yauth_entity::{User, new_id};
use yauth_seaorm::SeaOrmBackend;
use yauth_store::DatabaseBackend;
use yauth_test_support::Target;

/// Creates a user through the backend and returns its id and email.
async fn write_user(db: &DatabaseConnection) -> (uuid::Uuid, String) {
    let backend = SeaOrmBackend::from_connection(db.clone());
    let id = new_id();
    let email = format!("enc-{id}@example.test");
    let created = datetime!(2024-03-04 05:06:07.000008 +02:00);
    let mut user = User::new(id, &email, created);
    user.banned = true;
    backend
        .repositories()
        .users
        .create_user(&user)
        .await
        .unwrap();
    let found = backend.repositories().users.find_user(id).await.unwrap();
    assert_eq!(found.unwrap().created_at, created, "timestamps round-trip");
    (id, email)
}

fn stmt(db: &DatabaseConnection, sql: &str, email: &str) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, [email.into()])
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sqlite_values_are_text_in_the_shared_format() {
    runtime().block_on(async {
        let Some(db) = common::connect_opt("seaorm_enc_sqlite", Target::Sqlite).await else {
            return;
        };
        assert_eq!(db.get_database_backend(), DbBackend::Sqlite);
        let (id, email) = write_user(&db).await;
        let sql = "SELECT id, typeof(id) AS id_type, created_at, typeof(created_at) AS t_type, \
                   banned FROM yauth_users WHERE email = ?";
        let row = db
            .query_one_raw(stmt(&db, sql, &email))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get::<String>("", "id").unwrap(),
            id.hyphenated().to_string()
        );
        assert_eq!(row.try_get::<String>("", "id_type").unwrap(), "text");
        assert_eq!(
            row.try_get::<String>("", "created_at").unwrap(),
            "2024-03-04T03:06:07.000008Z"
        );
        assert_eq!(row.try_get::<String>("", "t_type").unwrap(), "text");
        assert_eq!(row.try_get::<i64>("", "banned").unwrap(), 1);
    });
}

#[test]
fn mysql_values_are_char36_and_utc_datetime() {
    runtime().block_on(async {
        let Some(db) = common::connect_opt("seaorm_enc_mysql", Target::Mysql).await else {
            return;
        };
        let (id, email) = write_user(&db).await;
        let sql = "SELECT id, DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') AS created, \
                   CAST(banned AS SIGNED) AS banned FROM yauth_users WHERE email = ?";
        let row = db
            .query_one_raw(stmt(&db, sql, &email))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get::<String>("", "id").unwrap(),
            id.hyphenated().to_string()
        );
        assert_eq!(
            row.try_get::<String>("", "created").unwrap(),
            "2024-03-04 03:06:07.000008"
        );
        assert_eq!(row.try_get::<i64>("", "banned").unwrap(), 1);
    });
}

#[test]
fn postgres_values_are_native() {
    runtime().block_on(async {
        let Some(db) = common::connect_opt("seaorm_enc_pg", Target::Postgres).await else {
            return;
        };
        let (id, email) = write_user(&db).await;
        let sql = "SELECT pg_typeof(id)::text AS id_type, id::text AS id_text, \
                   to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS created \
                   FROM yauth_users WHERE email = $1";
        let row = db
            .query_one_raw(stmt(&db, sql, &email))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "id_type").unwrap(), "uuid");
        assert_eq!(
            row.try_get::<String>("", "id_text").unwrap(),
            id.hyphenated().to_string()
        );
        assert_eq!(
            row.try_get::<String>("", "created").unwrap(),
            "2024-03-04 03:06:07.000008"
        );
    });
}
