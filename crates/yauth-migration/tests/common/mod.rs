//! Real database servers for the integration tests: a fresh database per test, and introspection
//! of what the migrations created, compared with the model.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::type_complexity,
    dead_code
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

mod introspect;

use sqlx::migrate::Migrator;
use sqlx::{AssertSqlSafe, Connection, MySqlConnection, PgConnection, SqliteConnection};
use yauth_migration::model::{ColumnType, DefaultValue, OnDelete};
use yauth_migration::{Dialect, Schema, SchemaConfig, SqlTarget};

/// A column as the database reports it, normalised: name, type, nullable, default.
pub type ObservedColumn = (String, String, bool, Option<String>);
/// An index: name, columns, unique.
pub type ObservedIndex = (String, Vec<String>, bool);
/// A foreign key: name (not reported by SQLite), columns, referenced table, columns, ON DELETE.
pub type ObservedForeignKey = (Option<String>, Vec<String>, String, Vec<String>, String);

/// One table as the database reports it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ObservedTable {
    pub columns: Vec<ObservedColumn>,
    pub primary_key: Vec<String>,
    pub indexes: BTreeSet<ObservedIndex>,
    pub foreign_keys: BTreeSet<ObservedForeignKey>,
}

/// Every table of the target, by physical name.
pub type Observed = BTreeMap<String, ObservedTable>;

/// A connection to a fresh database, dropped by [`TestDb::finish`].
pub enum Conn {
    Pg(PgConnection),
    My(MySqlConnection),
    Lite(SqliteConnection),
}

pub struct TestDb {
    pub conn: Conn,
    pub dialect: Dialect,
    name: String,
    admin_url: String,
    _dir: Option<tempfile::TempDir>,
    /// Drops the database if the test panics before [`TestDb::finish`]; declared after `conn`,
    /// so the connection is closed first.
    guard: DropGuard,
}

/// Drops a server database when dropped while armed (a test that panicked).
struct DropGuard {
    dialect: Dialect,
    name: String,
    admin_url: String,
    armed: bool,
}

impl DropGuard {
    async fn drop_database(
        dialect: Dialect,
        name: &str,
        admin_url: &str,
    ) -> Result<(), sqlx::Error> {
        match dialect {
            Dialect::Postgres => {
                let mut admin = PgConnection::connect(admin_url).await?;
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
            }
            Dialect::Mysql => {
                let mut admin = MySqlConnection::connect(admin_url).await?;
                sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`")))
                    .execute(&mut admin)
                    .await?;
            }
            Dialect::Sqlite => {}
        }
        Ok(())
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.armed || self.dialect == Dialect::Sqlite {
            return;
        }
        let (dialect, name, url) = (self.dialect, self.name.clone(), self.admin_url.clone());
        // A fresh runtime on its own thread: this may run while a test's runtime unwinds.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    Self::drop_database(dialect, &name, &url),
                )
                .await
                .ok();
            });
            Ok::<(), std::io::Error>(())
        });
        let _ = cleanup.join();
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 40) ^ (n << 20);
    format!("yauth_mig_{mixed:016x}")
}

/// `scheme://host/db?query` with the database replaced.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (prefix, _) = base.rsplit_once('/').expect("URL has a path");
    match query {
        Some(q) => format!("{prefix}/{db}?{q}"),
        None => format!("{prefix}/{db}"),
    }
}

/// Skips the test (or fails it when `YAUTH_REQUIRE_SERVICES=1`) when a server is unreachable.
fn unavailable(what: &str, url: &str, err: &dyn std::fmt::Display) -> Option<TestDb> {
    if std::env::var("YAUTH_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{what} at {url} is unreachable and YAUTH_REQUIRE_SERVICES=1: {err}");
    }
    eprintln!(
        "SKIPPED: {what} at {url} is unreachable ({err}); set YAUTH_REQUIRE_SERVICES=1 to make this a failure"
    );
    None
}

impl TestDb {
    /// A fresh database on the dialect's server, or `None` (skip) when the server is down.
    pub async fn create(dialect: Dialect) -> Option<Self> {
        let name = unique_name();
        match dialect {
            Dialect::Postgres => {
                let url = std::env::var("YAUTH_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
                let mut admin = match PgConnection::connect(&url).await {
                    Ok(c) => c,
                    Err(e) => return unavailable("PostgreSQL", &url, &e),
                };
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let conn = PgConnection::connect(&with_database(&url, &name))
                    .await
                    .unwrap();
                Some(Self::new(Conn::Pg(conn), dialect, name, url, None))
            }
            Dialect::Mysql => {
                let url = std::env::var("YAUTH_TEST_MYSQL_URL")
                    .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
                let mut admin = match MySqlConnection::connect(&url).await {
                    Ok(c) => c,
                    Err(e) => return unavailable("MySQL/MariaDB", &url, &e),
                };
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )))
                .execute(&mut admin)
                .await
                .unwrap();
                admin.close().await.unwrap();
                let conn = MySqlConnection::connect(&with_database(&url, &name))
                    .await
                    .unwrap();
                Some(Self::new(Conn::My(conn), dialect, name, url, None))
            }
            Dialect::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join(format!("{name}.db"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let conn = SqliteConnection::connect(&url).await.unwrap();
                Some(Self::new(Conn::Lite(conn), dialect, name, url, Some(dir)))
            }
        }
    }

    fn new(
        conn: Conn,
        dialect: Dialect,
        name: String,
        admin_url: String,
        dir: Option<tempfile::TempDir>,
    ) -> Self {
        let guard = DropGuard {
            dialect,
            name: name.clone(),
            admin_url: admin_url.clone(),
            armed: true,
        };
        Self {
            conn,
            dialect,
            name,
            admin_url,
            _dir: dir,
            guard,
        }
    }

    /// Closes the connection and drops the database.
    pub async fn finish(mut self) {
        match self.conn {
            Conn::Pg(c) => c.close().await.unwrap(),
            Conn::My(c) => c.close().await.unwrap(),
            Conn::Lite(c) => c.close().await.unwrap(),
        }
        DropGuard::drop_database(self.dialect, &self.name, &self.admin_url)
            .await
            .unwrap();
        self.guard.armed = false;
    }

    /// Runs SQL (one or more statements).
    pub async fn exec(&mut self, sql: &str) {
        let result = match &mut self.conn {
            Conn::Pg(c) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(c)
                .await
                .map(drop),
            Conn::My(c) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(c)
                .await
                .map(drop),
            Conn::Lite(c) => sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(c)
                .await
                .map(drop),
        };
        if let Err(e) = result {
            panic!("{e}\nwhile running:\n{sql}");
        }
    }

    /// Counts rows of a query returning one integer.
    pub async fn count(&mut self, sql: &str) -> i64 {
        match &mut self.conn {
            Conn::Pg(c) => sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                .fetch_one(c)
                .await
                .unwrap(),
            Conn::My(c) => sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                .fetch_one(c)
                .await
                .unwrap(),
            Conn::Lite(c) => sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
                .fetch_one(c)
                .await
                .unwrap(),
        }
    }

    /// `sqlx migrate run` on `dir`.
    pub async fn migrate_run(&mut self, dir: &Path) {
        let migrator = Migrator::new(dir).await.unwrap();
        match &mut self.conn {
            Conn::Pg(c) => migrator.run(c).await.unwrap(),
            Conn::My(c) => migrator.run(c).await.unwrap(),
            Conn::Lite(c) => migrator.run(c).await.unwrap(),
        }
    }

    /// `sqlx migrate revert` down to `target` (0: everything).
    pub async fn migrate_undo(&mut self, dir: &Path, target: i64) {
        let migrator = Migrator::new(dir).await.unwrap();
        match &mut self.conn {
            Conn::Pg(c) => migrator.undo(c, target).await.unwrap(),
            Conn::My(c) => migrator.undo(c, target).await.unwrap(),
            Conn::Lite(c) => migrator.undo(c, target).await.unwrap(),
        }
    }

    /// What the database holds for tables whose name starts with `prefix` (in `pg_schema`).
    pub async fn introspect(&mut self, prefix: &str, pg_schema: Option<&str>) -> Observed {
        let mut observed = match &mut self.conn {
            Conn::Pg(c) => introspect::postgres(c, pg_schema.unwrap_or("public")).await,
            Conn::My(c) => introspect::mysql(c).await,
            Conn::Lite(c) => introspect::sqlite(c).await,
        };
        observed.retain(|name, _| name.starts_with(prefix));
        observed
    }
}

/// The type name each dialect reports for a logical type, as normalised above.
fn reported_type(dialect: Dialect, ty: ColumnType) -> String {
    use ColumnType as T;
    match (dialect, ty) {
        (Dialect::Postgres, T::Uuid) => "uuid".into(),
        (Dialect::Postgres, T::String(n)) => format!("character varying({n})"),
        (Dialect::Postgres, T::Bool) => "boolean".into(),
        (Dialect::Postgres, T::Timestamp) => "timestamp with time zone".into(),
        (Dialect::Mysql, T::Uuid) => "char(36)".into(),
        (Dialect::Mysql, T::String(n)) => format!("varchar({n})"),
        (Dialect::Mysql, T::Bool) => "boolean".into(),
        (Dialect::Mysql, T::Timestamp) => "datetime(6)".into(),
        (Dialect::Sqlite, t) => Dialect::Sqlite.type_name(t),
        (d, t) => d.type_name(t).to_lowercase(),
    }
}

fn reported_default(dialect: Dialect, value: &DefaultValue) -> String {
    match (dialect, value) {
        (Dialect::Postgres, DefaultValue::Bool(b)) => b.to_string(),
        (_, DefaultValue::Bool(b)) => i32::from(*b).to_string(),
        (_, DefaultValue::Int(i)) => i.to_string(),
        (_, DefaultValue::Text(s)) => s.clone(),
    }
}

/// What introspection must report for `config`, derived from the model.
pub fn expected(config: &SchemaConfig) -> Observed {
    expected_schema(&config.schema(), &config.target())
}

/// What introspection must report for `schema` created for `target`.
pub fn expected_schema(schema: &Schema, target: &SqlTarget) -> Observed {
    let dialect = target.dialect;
    let mut out = Observed::new();
    for table in &schema.tables {
        let t = ObservedTable {
            columns: table
                .columns
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        reported_type(dialect, c.ty),
                        c.nullable,
                        c.default.as_ref().map(|d| reported_default(dialect, d)),
                    )
                })
                .collect(),
            primary_key: table.primary_key.clone(),
            // Trigram indexes exist on PostgreSQL only.
            indexes: table
                .indexes
                .iter()
                .filter(|i| !i.trigram || dialect == Dialect::Postgres)
                .map(|i| {
                    (
                        target.index_name(&table.name, i),
                        i.columns.clone(),
                        i.unique,
                    )
                })
                .collect(),
            foreign_keys: table
                .foreign_keys
                .iter()
                .map(|fk| {
                    (
                        (dialect != Dialect::Sqlite)
                            .then(|| target.foreign_key_name(&table.name, fk)),
                        fk.columns.clone(),
                        target.table_name(&fk.ref_table),
                        fk.ref_columns.clone(),
                        match fk.on_delete {
                            OnDelete::Cascade => "CASCADE",
                            OnDelete::SetNull => "SET NULL",
                            OnDelete::Restrict => "RESTRICT",
                        }
                        .to_owned(),
                    )
                })
                .collect(),
        };
        out.insert(target.table_name(&table.name), t);
    }
    out
}

/// Asserts that the database matches the model for `config`, table by table.
pub async fn assert_matches(db: &mut TestDb, config: &SchemaConfig) {
    assert_matches_schema(db, &config.schema(), &config.target(), true).await;
}

/// Asserts that the database holds exactly `schema` as created for `target`. Without
/// `column_order`, columns may come in any order (`ADD COLUMN` appends at the end).
pub async fn assert_matches_schema(
    db: &mut TestDb,
    schema: &Schema,
    target: &SqlTarget,
    column_order: bool,
) {
    let mut observed = db
        .introspect(&target.table_prefix, target.pg_schema.as_deref())
        .await;
    let mut expected = expected_schema(schema, target);
    if !column_order {
        for table in observed.values_mut().chain(expected.values_mut()) {
            table.columns.sort();
        }
    }
    assert_eq!(
        observed.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{}: tables",
        target.dialect
    );
    for (name, table) in &expected {
        assert_eq!(&observed[name], table, "{}: table {name}", target.dialect);
    }
}
