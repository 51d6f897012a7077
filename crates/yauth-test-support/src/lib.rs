//! Test helpers for yauth's own crates.
//!
//! The SQL backends' tests need a real database with yauth's schema. [`migrated_database`] finds
//! the server from the environment, creates a database (or a PostgreSQL schema, or a SQLite file)
//! for the calling test binary, applies the statements that `cargo yauth generate` writes (through
//! `yauth-migration`), and returns its URL.
//!
//! The database is shared by every test of one build of one test binary: nextest runs each test in
//! its own process, so the first process creates and migrates it under a file lock and the others
//! reuse it. A rebuilt binary or a changed schema gets a fresh database, and the stale ones of the
//! same label are dropped.
//!
//! Servers come from `YAUTH_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! and `YAUTH_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`). When a server is
//! missing, the helpers return `None` after printing why, unless `YAUTH_REQUIRE_SERVICES=1`, in
//! which case they panic so the run fails.

use std::fs::{File, OpenOptions};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;

use sqlx::{AssertSqlSafe, Connection, Executor};
use yauth_migration::{Dialect, SchemaConfig};

/// The PostgreSQL server URL for tests.
pub fn postgres_url() -> String {
    std::env::var("YAUTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The MySQL / MariaDB server URL for tests.
pub fn mysql_url() -> String {
    std::env::var("YAUTH_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
}

/// The Redis URL for tests.
pub fn redis_url() -> String {
    std::env::var("YAUTH_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Whether a missing server must fail the run (`YAUTH_REQUIRE_SERVICES=1`).
pub fn services_required() -> bool {
    std::env::var("YAUTH_REQUIRE_SERVICES").is_ok_and(|v| v == "1" || v == "true")
}

/// Reports a missing server: panics when services are required, otherwise prints a skip notice.
pub fn service_missing(what: &str, why: &str) {
    if services_required() {
        panic!("{what} is required (YAUTH_REQUIRE_SERVICES=1) but unreachable: {why}");
    }
    eprintln!("SKIPPED: {what} unreachable ({why}); set YAUTH_REQUIRE_SERVICES=1 to fail instead");
}

/// Where the yauth tables should live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A PostgreSQL database, tables in `public`.
    Postgres,
    /// A PostgreSQL database, tables in the named (non-public) schema.
    PostgresSchema(&'static str),
    /// A MySQL / MariaDB database.
    Mysql,
    /// A SQLite file.
    Sqlite,
}

impl Target {
    fn dialect(self) -> Dialect {
        match self {
            Self::Postgres | Self::PostgresSchema(_) => Dialect::Postgres,
            Self::Mysql => Dialect::Mysql,
            Self::Sqlite => Dialect::Sqlite,
        }
    }

    fn schema_config(self) -> SchemaConfig {
        let config = SchemaConfig::all_plugins(self.dialect());
        match self {
            Self::PostgresSchema(schema) => config.with_pg_schema(schema),
            _ => config,
        }
    }
}

/// A database with every yauth table, created for this test binary (see the crate docs).
///
/// `label` names the database family (e.g. `sqlx_pg`); keep it unique per test binary. Returns the
/// URL to connect to, or `None` when the server is missing and services are not required.
pub fn migrated_database(label: &str, target: Target) -> Option<String> {
    let statements = match yauth_migration::up_statements(&target.schema_config()) {
        Ok(s) => s,
        Err(e) => panic!("yauth-migration cannot produce the schema: {e}"),
    };
    let name = database_name(label, &statements);
    let _guard = lock(&name);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot start a Tokio runtime for test setup: {e}"),
    };
    runtime.block_on(provision(label, &name, target, &statements))
}

async fn provision(
    label: &str,
    name: &str,
    target: Target,
    statements: &[String],
) -> Option<String> {
    match target {
        Target::Postgres | Target::PostgresSchema(_) => {
            let admin_url = postgres_url();
            let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
                Ok(c) => c,
                Err(e) => {
                    service_missing("PostgreSQL", &e.to_string());
                    return None;
                }
            };
            let url = replace_database(&admin_url, name);
            let exists: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                    .bind(name)
                    .fetch_optional(&mut admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
            if exists.is_none() || !is_ready_pg(&url).await {
                let names: Vec<String> = sqlx::query_scalar(
                    "SELECT datname::text FROM pg_database WHERE datname LIKE $1",
                )
                .bind(format!("{}%", prefix(label)))
                .fetch_all(&mut admin)
                .await
                .unwrap_or_default();
                for old in stale(names, name) {
                    let _ = sqlx::raw_sql(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
                exec(
                    &mut admin,
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                )
                .await;
                exec(&mut admin, &format!("CREATE DATABASE \"{name}\"")).await;
                let mut db = sqlx::PgConnection::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL: {e}"));
                apply(&mut db, statements).await;
                exec(&mut db, READY_TABLE).await;
            }
            Some(url)
        }
        Target::Mysql => {
            let admin_url = mysql_url();
            let mut admin = match sqlx::MySqlConnection::connect(&admin_url).await {
                Ok(c) => c,
                Err(e) => {
                    service_missing("MySQL/MariaDB", &e.to_string());
                    return None;
                }
            };
            let url = replace_database(&admin_url, name);
            let ready: Option<String> = sqlx::query_scalar(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name = '_yauth_test_ready'",
            )
            .bind(name)
            .fetch_optional(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("MySQL: {e}"));
            if ready.is_none() {
                let names: Vec<String> = sqlx::query_scalar(
                    "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata WHERE schema_name LIKE ?",
                )
                .bind(format!("{}%", prefix(label)))
                .fetch_all(&mut admin)
                .await
                .unwrap_or_default();
                for old in stale(names, name) {
                    let _ =
                        sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{old}`")))
                            .execute(&mut admin)
                            .await;
                }
                exec(&mut admin, &format!("DROP DATABASE IF EXISTS `{name}`")).await;
                exec(
                    &mut admin,
                    &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
                )
                .await;
                let mut db = sqlx::MySqlConnection::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("MySQL: {e}"));
                apply(&mut db, statements).await;
                exec(&mut db, READY_TABLE).await;
            }
            Some(url)
        }
        Target::Sqlite => {
            let path = scratch_dir().join(format!("{name}.db"));
            let url = format!("sqlite://{}", path.display());
            let ready = path.exists() && {
                let mut db = sqlx::SqliteConnection::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("SQLite: {e}"));
                sqlx::query_scalar::<_, String>(
                    "SELECT name FROM sqlite_master WHERE name = '_yauth_test_ready'",
                )
                .fetch_optional(&mut db)
                .await
                .ok()
                .flatten()
                .is_some()
            };
            if !ready {
                remove_stale_files(label, name);
                let _ = std::fs::remove_file(&path);
                let mut db = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc"))
                    .await
                    .unwrap_or_else(|e| panic!("SQLite: {e}"));
                exec(&mut db, "PRAGMA journal_mode = WAL").await;
                apply(&mut db, statements).await;
                exec(&mut db, READY_TABLE).await;
            }
            Some(url)
        }
    }
}

const READY_TABLE: &str = "CREATE TABLE _yauth_test_ready (ok INTEGER)";

async fn is_ready_pg(url: &str) -> bool {
    let Ok(mut db) = sqlx::PgConnection::connect(url).await else {
        return false;
    };
    sqlx::query_scalar::<_, i32>("SELECT 1 FROM pg_tables WHERE tablename = '_yauth_test_ready'")
        .fetch_optional(&mut db)
        .await
        .ok()
        .flatten()
        .is_some()
}

async fn apply<C>(conn: &mut C, statements: &[String])
where
    for<'c> &'c mut C: Executor<'c>,
{
    for statement in statements {
        if let Err(e) = sqlx::raw_sql(AssertSqlSafe(statement.clone()))
            .execute(&mut *conn)
            .await
        {
            panic!("migration statement failed: {e}\n{statement}");
        }
    }
}

async fn exec<C>(conn: &mut C, sql: &str)
where
    for<'c> &'c mut C: Executor<'c>,
{
    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(&mut *conn)
        .await
    {
        panic!("test setup statement failed: {e}\n{sql}");
    }
}

fn remove_stale_files(label: &str, keep: &str) {
    let Ok(entries) = std::fs::read_dir(scratch_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let base = file
            .trim_end_matches(".lock")
            .trim_end_matches(".db-wal")
            .trim_end_matches(".db-shm")
            .trim_end_matches(".db");
        if file.starts_with(&prefix(label)) && stale(vec![base.to_owned()], keep).next().is_some() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn prefix(label: &str) -> String {
    format!("yauth_t_{label}_")
}

/// `yauth_t_<label>_<build time>_<hash>`: the hash covers the test binary (path and build time)
/// and the schema, so a rebuild or a schema change gets a new database.
fn database_name(label: &str, statements: &[String]) -> String {
    let mut hasher = DefaultHasher::new();
    let mut built = 0u64;
    if let Ok(exe) = std::env::current_exe() {
        exe.hash(&mut hasher);
        if let Ok(modified) = std::fs::metadata(&exe).and_then(|m| m.modified()) {
            modified.hash(&mut hasher);
            built = modified
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
        }
    }
    statements.hash(&mut hasher);
    format!(
        "{}{built:010}_{:08x}",
        prefix(label),
        hasher.finish() & 0xffff_ffff
    )
}

/// Databases of builds at least two hours older than this one. Younger ones may belong to a run
/// going on right now (another checkout, another developer) and are left alone.
fn stale(names: Vec<String>, keep: &str) -> impl Iterator<Item = String> {
    let ours = build_time(keep).unwrap_or(0);
    names
        .into_iter()
        .filter(move |n| n != keep && build_time(n).is_some_and(|t| t + 7200 < ours))
}

fn build_time(name: &str) -> Option<u64> {
    name.rsplit('_').nth(1)?.parse().ok()
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("yauth-tests");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Serialises provisioning of one database across the test processes.
fn lock(name: &str) -> File {
    let path = scratch_dir().join(format!("{name}.lock"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open lock file {}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    file
}

/// The same server URL with another database name.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("mysql://root@localhost:3306/test?ssl-mode=disabled", "y"),
            "mysql://root@localhost:3306/y?ssl-mode=disabled"
        );
        assert_eq!(
            replace_database("mysql://root@localhost", "z"),
            "mysql://root@localhost/z"
        );
    }

    #[test]
    fn names_are_stable_and_labelled() {
        let a = database_name("sqlx_pg", &["CREATE TABLE a (x INT)".into()]);
        let b = database_name("sqlx_pg", &["CREATE TABLE a (x INT)".into()]);
        let c = database_name("sqlx_pg", &["CREATE TABLE b (x INT)".into()]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("yauth_t_sqlx_pg_"));
        assert!(
            a.len() <= 64,
            "MySQL database names have at most 64 characters"
        );
    }

    #[test]
    fn only_much_older_builds_are_stale() {
        let keep = "yauth_t_x_0000100000_abcdef01".to_owned();
        let names = vec![
            "yauth_t_x_0000090000_00000001".to_owned(),
            "yauth_t_x_0000099000_00000002".to_owned(),
            "yauth_t_x_0000200000_00000003".to_owned(),
            keep.clone(),
        ];
        let stale: Vec<String> = stale(names, &keep).collect();
        assert_eq!(stale, vec!["yauth_t_x_0000090000_00000001".to_owned()]);
    }
}
