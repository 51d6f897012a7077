//! Provisioning against the real servers: every target gets every yauth table, and a second call
//! reuses the database instead of migrating again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use yauth_test_support::{Target, migrated_database};

fn count_yauth_tables(url: &str, sql: &'static str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    })
}

fn check(label: &str, target: Target, sql: &'static str) {
    let Some(url) = migrated_database(label, target) else {
        return;
    };
    let again = migrated_database(label, target).unwrap();
    assert_eq!(url, again, "the second call reuses the database");
    let tables = count_yauth_tables(&url, sql);
    assert_eq!(tables, 28, "{label}: every yauth table of docs/schema.md");
}

#[test]
fn postgres_gets_every_table() {
    sqlx::any::install_default_drivers();
    check(
        "support_pg",
        Target::Postgres,
        "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'yauth\\_%'",
    );
}

#[test]
fn postgres_schema_keeps_tables_out_of_public() {
    sqlx::any::install_default_drivers();
    check(
        "support_pgschema",
        Target::PostgresSchema("auth"),
        "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'auth' AND tablename LIKE 'yauth\\_%'",
    );
}

#[test]
fn mysql_gets_every_table() {
    sqlx::any::install_default_drivers();
    check(
        "support_my",
        Target::Mysql,
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'yauth\\_%'",
    );
}

#[test]
fn sqlite_gets_every_table() {
    sqlx::any::install_default_drivers();
    check(
        "support_lite",
        Target::Sqlite,
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'yauth\\_%' ESCAPE '\\'",
    );
}
