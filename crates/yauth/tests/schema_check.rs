//! The start-up schema check: `build()` refuses a database without yauth's tables, or without
//! one plugin's table or column, naming it and the fix; a table that disappears later is named
//! in the storage error that reaches the log. On PostgreSQL, MariaDB and SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/backends.rs"]
mod backends;
mod common;

use std::str::FromStr;

use backends::{Family, backend, database_url, execute_sql};
use common::*;
use yauth::{BuildError, YAuthBuilder};
use yauth_store::{DatabaseBackend, Repositories};

const SQL: [Family; 3] = [Family::Postgres, Family::Mariadb, Family::Sqlite];

/// A connection to a database with no tables at all, per family; `None` when the server is
/// missing and services are not required.
async fn empty_database(family: Family, dir: &std::path::Path) -> Option<Repositories> {
    match family {
        Family::Postgres => {
            let admin_url = yauth_test_support::postgres_url();
            let Ok(mut admin) = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await
            else {
                yauth_test_support::service_missing("PostgreSQL", "cannot connect");
                return None;
            };
            for statement in [
                "DROP DATABASE IF EXISTS yauth_schema_check_empty WITH (FORCE)",
                "CREATE DATABASE yauth_schema_check_empty",
            ] {
                sqlx::Executor::execute(&mut admin, statement)
                    .await
                    .unwrap();
            }
            let url = format!(
                "{}/yauth_schema_check_empty",
                admin_url.rsplit_once('/').unwrap().0
            );
            let options = sqlx::postgres::PgConnectOptions::from_str(&url)
                .unwrap()
                .ssl_mode(sqlx::postgres::PgSslMode::Disable);
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await
                .unwrap();
            Some(yauth::backends::sqlx_pg::SqlxPgBackend::from_pool(pool).repositories())
        }
        Family::Mariadb => {
            let admin_url = yauth_test_support::mysql_url();
            let Ok(mut admin) =
                <sqlx::MySqlConnection as sqlx::Connection>::connect(&admin_url).await
            else {
                yauth_test_support::service_missing("MariaDB", "cannot connect");
                return None;
            };
            for statement in [
                "DROP DATABASE IF EXISTS yauth_schema_check_empty",
                "CREATE DATABASE yauth_schema_check_empty",
            ] {
                sqlx::Executor::execute(&mut admin, statement)
                    .await
                    .unwrap();
            }
            let url = format!(
                "{}/yauth_schema_check_empty",
                admin_url.rsplit_once('/').unwrap().0
            );
            let options = sqlx::mysql::MySqlConnectOptions::from_str(&url)
                .unwrap()
                .ssl_mode(sqlx::mysql::MySqlSslMode::Disabled);
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await
                .unwrap();
            Some(yauth::backends::sqlx_mysql::SqlxMysqlBackend::from_pool(pool).repositories())
        }
        Family::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", dir.join("empty.db").display());
            let conn = sea_orm::Database::connect(url).await.unwrap();
            Some(
                yauth::backends::seaorm_sqlite::SeaOrmSqliteBackend::from_connection(conn)
                    .repositories(),
            )
        }
        Family::Memory => unreachable!(),
    }
}

fn builder(repos: Repositories) -> YAuthBuilder {
    YAuthBuilder::new(backends::AnyBackend(repos), test_config(ORIGIN))
        .with_email_sender(yauth::email::MemoryEmailSender::new())
        .with_email_password(ep_config())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_database_is_refused_at_build_naming_the_table_and_the_fix() {
    let dir = tempfile_dir();
    for family in SQL {
        let Some(repos) = empty_database(family, &dir).await else {
            continue;
        };
        let error = builder(repos.clone())
            .build()
            .await
            .map(|_| ())
            .expect_err("refused");
        let BuildError::SchemaMissing {
            table,
            column,
            plugin,
        } = &error
        else {
            panic!("{family:?}: {error}");
        };
        assert!(table.ends_with("yauth_users"), "{family:?}: {table}");
        assert_eq!((column, *plugin), (&None, "core"), "{family:?}");
        let message = error.to_string();
        assert!(message.contains("cargo yauth generate"), "{message}");
        assert!(
            message.contains("without_schema_check") || message.contains("migrat"),
            "{message}"
        );
        // Opting out builds (deployments that may not run the probe).
        assert!(
            builder(repos).without_schema_check().build().await.is_ok(),
            "{family:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_plugin_table_or_column_is_refused_and_named_at_run_time_too() {
    for family in SQL {
        let Some(url) = database_url("schema_check", family) else {
            continue;
        };
        let Some(repos) = backend("schema_check", family).await.map(|b| b.0) else {
            continue;
        };
        // The database lacks the magic-link plugin's table (idempotent on every run).
        execute_sql(family, &url, &["DROP TABLE IF EXISTS yauth_magic_links"]).await;
        let error = builder(repos.clone())
            .with_magic_link(Default::default())
            .build()
            .await
            .map(|_| ())
            .expect_err("refused");
        assert!(
            matches!(&error, BuildError::SchemaMissing { table, column: None, plugin: "magic-link" } if table.ends_with("yauth_magic_links")),
            "{family:?}: {error}"
        );
        // Without the plugin the rest of the schema is complete.
        let yauth = builder(repos.clone())
            .build()
            .await
            .expect("the core tables exist");
        drop(yauth);
        // At run time, a statement on the missing table names it and the fix (for the log).
        let stored = repos
            .magic_links
            .as_ref()
            .unwrap()
            .consume_magic_link("0000", time::OffsetDateTime::now_utc())
            .await
            .unwrap_err();
        assert!(stored.is_missing_schema(), "{family:?}: {stored}");
        let text = stored.to_string();
        assert!(
            text.contains("yauth_magic_links") && text.contains("cargo yauth generate"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_column_is_named() {
    // SQLite has no DROP COLUMN IF EXISTS, so reruns would fail there; PostgreSQL and MariaDB.
    for family in [Family::Postgres, Family::Mariadb] {
        let Some(url) = database_url("schema_check_column", family) else {
            continue;
        };
        let Some(repos) = backend("schema_check_column", family).await.map(|b| b.0) else {
            continue;
        };
        execute_sql(
            family,
            &url,
            &["ALTER TABLE yauth_users DROP COLUMN IF EXISTS display_name"],
        )
        .await;
        let error = builder(repos)
            .build()
            .await
            .map(|_| ())
            .expect_err("refused");
        assert!(
            matches!(&error, BuildError::SchemaMissing { table, column: Some(c), plugin: "core" } if table.ends_with("yauth_users") && c == "display_name"),
            "{family:?}: {error}"
        );
        assert!(
            error.to_string().contains("column display_name of table"),
            "{error}"
        );
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "yauth-schema-check-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
