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
                Some(Self {
                    conn: Conn::Pg(conn),
                    dialect,
                    name,
                    admin_url: url,
                    _dir: None,
                })
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
                Some(Self {
                    conn: Conn::My(conn),
                    dialect,
                    name,
                    admin_url: url,
                    _dir: None,
                })
            }
            Dialect::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join(format!("{name}.db"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let conn = SqliteConnection::connect(&url).await.unwrap();
                Some(Self {
                    conn: Conn::Lite(conn),
                    dialect,
                    name,
                    admin_url: url,
                    _dir: Some(dir),
                })
            }
        }
    }

    /// Drops the database.
    pub async fn finish(self) {
        match self.conn {
            Conn::Pg(c) => {
                c.close().await.unwrap();
                let mut admin = PgConnection::connect(&self.admin_url).await.unwrap();
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE \"{}\" WITH (FORCE)",
                    self.name
                )))
                .execute(&mut admin)
                .await
                .unwrap();
            }
            Conn::My(c) => {
                c.close().await.unwrap();
                let mut admin = MySqlConnection::connect(&self.admin_url).await.unwrap();
                sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE `{}`", self.name)))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
            Conn::Lite(c) => c.close().await.unwrap(),
        }
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
            Conn::Pg(c) => introspect_pg(c, pg_schema.unwrap_or("public")).await,
            Conn::My(c) => introspect_mysql(c).await,
            Conn::Lite(c) => introspect_sqlite(c).await,
        };
        observed.retain(|name, _| name.starts_with(prefix));
        observed
    }
}

fn on_delete_name(code: &str) -> String {
    match code {
        "c" => "CASCADE",
        "n" => "SET NULL",
        "r" => "RESTRICT",
        "a" => "NO ACTION",
        other => other,
    }
    .to_owned()
}

/// Strips quotes and PostgreSQL casts from a default: `'user'::character varying` -> `user`.
fn normalise_default(raw: Option<String>) -> Option<String> {
    let raw = raw?;
    if raw.eq_ignore_ascii_case("null") {
        return None;
    }
    let value = raw.split("::").next().unwrap_or(&raw);
    Some(value.trim_matches('\'').to_owned())
}

async fn introspect_pg(c: &mut PgConnection, schema: &str) -> Observed {
    let mut out = Observed::new();
    let columns: Vec<(String, String, String, Option<i32>, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, character_maximum_length, \
         is_nullable::text, column_default::text FROM information_schema.columns \
         WHERE table_schema = $1 ORDER BY table_name, ordinal_position",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, column, ty, len, nullable, default) in columns {
        let ty = match len {
            Some(n) => format!("{ty}({n})"),
            None => ty,
        };
        out.entry(table).or_default().columns.push((
            column,
            ty,
            nullable == "YES",
            normalise_default(default),
        ));
    }
    let indexes: Vec<(String, String, bool, bool, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
         array_agg(a.attname::text ORDER BY k.ord) \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE n.nspname = $1 GROUP BY 1, 2, 3, 4",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, name, unique, primary, cols) in indexes {
        let t = out.entry(table).or_default();
        if primary {
            t.primary_key = cols;
        } else {
            t.indexes.insert((name, cols, unique));
        }
    }
    let fks: Vec<(String, String, String, String, Vec<String>, Vec<String>)> = sqlx::query_as(
        "SELECT cl.relname::text, c.conname::text, rf.relname::text, c.confdeltype::text, \
         (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(n, ord) \
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n), \
         (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(n, ord) \
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) \
         FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rf ON rf.oid = c.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE c.contype = 'f' AND n.nspname = $1",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, name, parent, on_delete, cols, ref_cols) in fks {
        out.entry(table).or_default().foreign_keys.insert((
            Some(name),
            cols,
            parent,
            ref_cols,
            on_delete_name(&on_delete),
        ));
    }
    out
}

async fn introspect_mysql(c: &mut MySqlConnection) -> Observed {
    let mut out = Observed::new();
    let columns: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), \
         CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, column, ty, nullable, default) in columns {
        // MariaDB stores JSON as LONGTEXT (with a json_valid check) and reports display widths.
        let ty = match ty.as_str() {
            "tinyint(1)" => "boolean".to_owned(),
            "longtext" => "json".to_owned(),
            t if t.starts_with("int(") => "int".to_owned(),
            t if t.starts_with("bigint(") => "bigint".to_owned(),
            t => t.to_owned(),
        };
        out.entry(table).or_default().columns.push((
            column,
            ty,
            nullable == "YES",
            normalise_default(default),
        ));
    }
    let stats: Vec<(String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS SIGNED), \
         CAST(SEQ_IN_INDEX AS SIGNED), CAST(COLUMN_NAME AS CHAR) FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let mut grouped: BTreeMap<(String, String), (bool, Vec<String>)> = BTreeMap::new();
    for (table, index, non_unique, _, column) in stats {
        let e = grouped
            .entry((table, index))
            .or_insert((non_unique == 0, Vec::new()));
        e.1.push(column);
    }
    for ((table, index), (unique, cols)) in grouped {
        let t = out.entry(table).or_default();
        if index == "PRIMARY" {
            t.primary_key = cols;
        } else {
            t.indexes.insert((index, cols, unique));
        }
    }
    let fks: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR), \
         CAST(k.REFERENCED_TABLE_NAME AS CHAR), CAST(k.REFERENCED_COLUMN_NAME AS CHAR), CAST(r.DELETE_RULE AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
         AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, name, col, parent, ref_col, rule) in fks {
        out.entry(table).or_default().foreign_keys.insert((
            Some(name),
            vec![col],
            parent,
            vec![ref_col],
            rule,
        ));
    }
    out
}

async fn introspect_sqlite(c: &mut SqliteConnection) -> Observed {
    let mut out = Observed::new();
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    for (table,) in tables {
        let mut t = ObservedTable::default();
        let columns: Vec<(i64, String, String, i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(&mut *c)
        .await
        .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (_, name, ty, notnull, default, pk_pos) in columns {
            if pk_pos > 0 {
                pk.push((pk_pos, name.clone()));
            }
            t.columns
                .push((name, ty, notnull == 0, normalise_default(default)));
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, n)| n).collect();
        let indexes: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list(?)")
                .bind(&table)
                .fetch_all(&mut *c)
                .await
                .unwrap();
        for (name, unique, origin) in indexes {
            if origin == "pk" {
                continue;
            }
            let cols: Vec<(String,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(&mut *c)
                    .await
                    .unwrap();
            t.indexes
                .insert((name, cols.into_iter().map(|(n,)| n).collect(), unique == 1));
        }
        let fks: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        )
        .bind(&table)
        .fetch_all(&mut *c)
        .await
        .unwrap();
        for (_, parent, from, to, on_delete) in fks {
            t.foreign_keys
                .insert((None, vec![from], parent, vec![to], on_delete));
        }
        out.insert(table, t);
    }
    out
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
            indexes: table
                .indexes
                .iter()
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
