//! The generated migrations applied to real servers (PostgreSQL, MariaDB/MySQL, a SQLite file)
//! with `sqlx migrate`, then checked by introspection against the model.
//!
//! Servers come from `YAUTH_TEST_POSTGRES_URL` / `YAUTH_TEST_MYSQL_URL`; an unreachable one skips
//! the test, or fails it when `YAUTH_REQUIRE_SERVICES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{TestDb, assert_matches, assert_matches_schema};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use yauth_migration::model::{Column, ColumnType as T, DefaultValue, OnDelete, Schema, Table};
use yauth_migration::{
    Dialect, Generator, MigrationSql, Orm, Plugin, SNAPSHOT_FILE, SchemaConfig, Snapshot,
};

const T0: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);

fn generate(config: &SchemaConfig, dir: &Path, at: OffsetDateTime) -> i64 {
    let plan = Generator::new(Orm::Sqlx, config.clone(), dir)
        .plan_at(at)
        .unwrap();
    plan.apply().unwrap();
    let stem = plan.migration.expect("a migration was written");
    stem.split_once('_').unwrap().0.parse().unwrap()
}

/// Full plugin set: up, down, up again, each checked by introspection.
async fn up_down_up(config: SchemaConfig) {
    let Some(mut db) = TestDb::create(config.dialect).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    generate(&config, dir.path(), T0);
    db.migrate_run(dir.path()).await;
    assert_matches(&mut db, &config).await;
    db.migrate_undo(dir.path(), 0).await;
    let left = db
        .introspect(&config.table_prefix, config.pg_schema.as_deref())
        .await;
    assert!(
        left.is_empty(),
        "down left tables behind: {:?}",
        left.keys()
    );
    db.migrate_run(dir.path()).await;
    assert_matches(&mut db, &config).await;
    // Keys differing only by case are distinct on every dialect (MySQL: binary collation).
    let target = config.target();
    let q = |s: &str| config.dialect.quote(s);
    let now = match config.dialect {
        Dialect::Mysql => "'2026-01-02 03:04:05.000000'",
        _ => "'2026-01-02T03:04:05.000000Z'",
    };
    let json = "'{}'";
    db.exec(&format!(
        "INSERT INTO {t} ({k}, {v}, {e}, {c}) VALUES ('Ab', {json}, {now}, {now}), ('aB', {json}, {now}, {now})",
        t = target.qualified_table("challenges"),
        k = q("key"),
        v = q("value"),
        e = q("expires_at"),
        c = q("created_at"),
    ))
    .await;
    let lower = format!(
        "SELECT COUNT(*) FROM {} WHERE {} = 'ab'",
        target.qualified_table("challenges"),
        q("key")
    );
    assert_eq!(db.count(&lower).await, 0);
    db.finish().await;
}

#[tokio::test]
async fn postgres_full_plugin_set_up_down_up() {
    up_down_up(SchemaConfig::all_plugins(Dialect::Postgres)).await;
}

#[tokio::test]
async fn postgres_named_schema_up_down_up() {
    let config = SchemaConfig::all_plugins(Dialect::Postgres).with_pg_schema("yauth_auth");
    up_down_up(config.clone()).await;
    // Nothing of ours lands in `public`.
    let Some(mut db) = TestDb::create(Dialect::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    generate(&config, dir.path(), T0);
    db.migrate_run(dir.path()).await;
    assert!(db.introspect("yauth_", Some("public")).await.is_empty());
    assert_matches(&mut db, &config).await;
    db.finish().await;
}

#[tokio::test]
async fn mysql_full_plugin_set_up_down_up() {
    up_down_up(SchemaConfig::all_plugins(Dialect::Mysql)).await;
}

#[tokio::test]
async fn sqlite_full_plugin_set_up_down_up() {
    up_down_up(SchemaConfig::all_plugins(Dialect::Sqlite)).await;
}

/// `init` -> `add-plugin` -> `remove-plugin`, each a migration; then reverted one by one.
async fn plugin_sequence(dialect: Dialect, prefix: &str) {
    let Some(mut db) = TestDb::create(dialect).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let init = SchemaConfig::new(dialect, [Plugin::EmailPassword, Plugin::Passkey])
        .with_table_prefix(prefix);
    let added = SchemaConfig::new(
        dialect,
        [
            Plugin::EmailPassword,
            Plugin::Passkey,
            Plugin::Bearer,
            Plugin::Oauth2Server,
            Plugin::Oidc,
            Plugin::Webhooks,
        ],
    )
    .with_table_prefix(prefix);
    let removed = SchemaConfig::new(
        dialect,
        [Plugin::EmailPassword, Plugin::Bearer, Plugin::Webhooks],
    )
    .with_table_prefix(prefix);
    let v1 = generate(&init, dir.path(), T0);
    db.migrate_run(dir.path()).await;
    assert_matches(&mut db, &init).await;
    let v2 = generate(&added, dir.path(), T0);
    db.migrate_run(dir.path()).await;
    assert_matches(&mut db, &added).await;
    generate(&removed, dir.path(), T0 + Duration::minutes(1));
    db.migrate_run(dir.path()).await;
    assert_matches(&mut db, &removed).await;

    db.migrate_undo(dir.path(), v2).await;
    assert_matches(&mut db, &added).await;
    db.migrate_undo(dir.path(), v1).await;
    assert_matches(&mut db, &init).await;
    db.migrate_undo(dir.path(), 0).await;
    assert!(db.introspect(prefix, None).await.is_empty());
    db.finish().await;
}

#[tokio::test]
async fn postgres_plugin_sequence() {
    plugin_sequence(Dialect::Postgres, "yauth_").await;
}

#[tokio::test]
async fn mysql_plugin_sequence() {
    plugin_sequence(Dialect::Mysql, "auth_").await;
}

#[tokio::test]
async fn sqlite_plugin_sequence() {
    plugin_sequence(Dialect::Sqlite, "yauth_").await;
}

/// Every kind of change from the diff engine, applied with rows in place: up, down, up. On SQLite
/// this rebuilds the parent of a cascading foreign key, which must not delete the children.
async fn diff_changes_on_server(dialect: Dialect) {
    let Some(mut db) = TestDb::create(dialect).await else {
        return;
    };
    let parent = |extra: bool| {
        let t = Table::new("parents")
            .column(Column::new("id", T::Uuid))
            .primary_key(&["id"])
            .column(Column::new("label", T::String(64)).null());
        if extra {
            // Type, nullability and default change; a column and a unique index appear.
            let mut t = t.column(Column::new("rank", T::Int).default(DefaultValue::Int(7)));
            t.columns[1] = Column::new("label", T::Text).default(DefaultValue::Text("none".into()));
            t.unique(&["rank", "id"])
        } else {
            t.column(Column::new("legacy", T::Bool).default(DefaultValue::Bool(true)))
                .index(&["label"])
        }
    };
    let child = |fk: bool| {
        let t = Table::new("children")
            .column(Column::new("id", T::Uuid))
            .primary_key(&["id"])
            .column(Column::new("parent_id", T::Uuid))
            .index(&["parent_id"]);
        if fk {
            t.foreign_key("parent_id", "parents", "id", OnDelete::Cascade)
        } else {
            t
        }
    };
    let before = Schema {
        tables: vec![parent(false), child(true)],
    };
    let after = Schema {
        tables: vec![parent(true), child(false)],
    };
    let target = SchemaConfig::new(dialect, []).target();
    let m = MigrationSql::between(&before, &after, &target).unwrap();
    let create = MigrationSql::between(&Schema::default(), &before, &target).unwrap();
    let run = |statements: &[String]| {
        statements
            .iter()
            .map(|s| format!("{s};\n"))
            .collect::<String>()
    };
    db.exec(&run(&create.up.statements)).await;
    let id = "0190f0f0-0000-7000-8000-000000000001";
    db.exec(&format!(
        "INSERT INTO {p} ({i}, {l}) VALUES ('{id}', 'x'); INSERT INTO {c} ({i}, {pid}) VALUES ('{id}', '{id}')",
        p = target.qualified_table("parents"),
        c = target.qualified_table("children"),
        i = dialect.quote("id"),
        l = dialect.quote("label"),
        pid = dialect.quote("parent_id"),
    ))
    .await;
    let children = format!(
        "SELECT COUNT(*) FROM {}",
        target.qualified_table("children")
    );
    for _ in 0..2 {
        db.exec(&run(&m.up.statements)).await;
        assert_eq!(
            db.count(&children).await,
            1,
            "rebuilding the parent kept the child row"
        );
        let rank = format!(
            "SELECT COUNT(*) FROM {} WHERE {} = 7",
            target.qualified_table("parents"),
            dialect.quote("rank")
        );
        assert_eq!(db.count(&rank).await, 1);
        db.exec(&run(&m.down.statements)).await;
        assert_eq!(db.count(&children).await, 1);
    }
    let observed = db.introspect("yauth_", None).await;
    let p = &observed["yauth_parents"];
    assert!(p.columns.iter().any(|c| c.0 == "legacy"));
    assert_eq!(p.indexes.len(), 1);
    assert_eq!(observed["yauth_children"].foreign_keys.len(), 1);
    db.finish().await;
}

#[tokio::test]
async fn postgres_diff_changes() {
    diff_changes_on_server(Dialect::Postgres).await;
}

#[tokio::test]
async fn mysql_diff_changes() {
    diff_changes_on_server(Dialect::Mysql).await;
}

#[tokio::test]
async fn sqlite_diff_changes() {
    diff_changes_on_server(Dialect::Sqlite).await;
}

/// The schema an older yauth would have written: `users.role` without its default and
/// `banned_until`, no `users.created_at` index, and no foreign key from `sessions.impersonator_id`.
fn older_schema(current: &Schema) -> Schema {
    let mut old = current.clone();
    let users = &mut old.tables[0];
    users.columns.retain(|c| c.name != "banned_until");
    if let Some(role) = users.columns.iter_mut().find(|c| c.name == "role") {
        role.default = None;
    }
    users.indexes.retain(|i| i.columns != ["created_at"]);
    old.tables[1]
        .foreign_keys
        .retain(|fk| fk.columns != ["impersonator_id"]);
    old
}

/// A directory whose snapshot records an older schema gets one upgrade migration; sqlx applies it
/// (outside a transaction where SQLite rebuilds tables), reverts it and applies it again, with rows
/// in place that the rebuild of a referenced table must keep.
async fn upgrade_from_older_snapshot(dialect: Dialect) {
    let Some(mut db) = TestDb::create(dialect).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = SchemaConfig::new(dialect, [Plugin::EmailPassword]);
    let target = config.target();
    let current = config.schema();
    let old = older_schema(&current);
    let init = MigrationSql::between(&Schema::default(), &old, &target).unwrap();
    let file = |s: &yauth_migration::SqlScript| {
        s.statements
            .iter()
            .map(|s| format!("{s};\n"))
            .collect::<String>()
    };
    std::fs::write(dir.path().join("1_old_init.up.sql"), file(&init.up)).unwrap();
    std::fs::write(dir.path().join("1_old_init.down.sql"), file(&init.down)).unwrap();
    let mut snapshot = Snapshot::new(Orm::Sqlx, &config, vec!["1_old_init".into()]);
    snapshot.schema = old.clone();
    std::fs::write(dir.path().join(SNAPSHOT_FILE), snapshot.to_json().unwrap()).unwrap();
    db.migrate_run(dir.path()).await;
    assert_matches_schema(&mut db, &old, &target, false).await;

    let id = "0190f0f0-0000-7000-8000-000000000002";
    let now = match dialect {
        Dialect::Mysql => "'2026-01-02 03:04:05.000000'",
        _ => "'2026-01-02T03:04:05.000000Z'",
    };
    let q = |s: &str| dialect.quote(s);
    db.exec(&format!(
        "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES ('{id}', 'a@example.com', 'user', {now}, {now});\n\
         INSERT INTO {} ({}, {}, {}, {}, {}, {}, {}) VALUES ('{id}', '{id}', '{}', {now}, {now}, {now}, {now})",
        target.qualified_table("users"),
        q("id"), q("email"), q("role"), q("created_at"), q("updated_at"),
        target.qualified_table("sessions"),
        q("id"), q("user_id"), q("token_hash"), q("expires_at"), q("absolute_expires_at"),
        q("last_seen_at"), q("created_at"),
        "0".repeat(64),
    ))
    .await;

    let plan = Generator::new(Orm::Sqlx, config.clone(), dir.path())
        .plan_at(T0)
        .unwrap();
    assert_eq!(
        plan.migration.as_deref(),
        Some("20260102030405_yauth_update")
    );
    let sql = plan.sql.as_ref().unwrap();
    assert_eq!(sql.up.transactional, dialect != Dialect::Sqlite);
    plan.apply().unwrap();
    let sessions = format!(
        "SELECT COUNT(*) FROM {}",
        target.qualified_table("sessions")
    );
    for _ in 0..2 {
        db.migrate_run(dir.path()).await;
        assert_matches_schema(&mut db, &current, &target, false).await;
        assert_eq!(
            db.count(&sessions).await,
            1,
            "the upgrade kept the session row"
        );
        db.migrate_undo(dir.path(), 1).await;
        assert_matches_schema(&mut db, &old, &target, false).await;
        assert_eq!(
            db.count(&sessions).await,
            1,
            "the downgrade kept the session row"
        );
    }
    assert!(
        Generator::new(Orm::Sqlx, config, dir.path())
            .plan()
            .unwrap()
            .is_empty()
    );
    db.finish().await;
}

#[tokio::test]
async fn postgres_upgrade_from_older_snapshot() {
    upgrade_from_older_snapshot(Dialect::Postgres).await;
}

#[tokio::test]
async fn mysql_upgrade_from_older_snapshot() {
    upgrade_from_older_snapshot(Dialect::Mysql).await;
}

#[tokio::test]
async fn sqlite_upgrade_from_older_snapshot() {
    upgrade_from_older_snapshot(Dialect::Sqlite).await;
}

/// The diesel / SeaORM layout (`<version>_<name>/up.sql`, `down.sql`) holds the same SQL and
/// applies as written: up, down, up.
async fn diesel_layout_applies(dialect: Dialect) {
    let Some(mut db) = TestDb::create(dialect).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = SchemaConfig::all_plugins(dialect);
    let plan = Generator::new(Orm::Diesel, config.clone(), dir.path())
        .plan_at(T0)
        .unwrap();
    plan.apply().unwrap();
    let migration = dir.path().join(plan.migration.unwrap());
    let up = std::fs::read_to_string(migration.join("up.sql")).unwrap();
    let down = std::fs::read_to_string(migration.join("down.sql")).unwrap();
    db.exec(&up).await;
    assert_matches(&mut db, &config).await;
    db.exec(&down).await;
    assert!(db.introspect("yauth_", None).await.is_empty());
    db.exec(&up).await;
    assert_matches(&mut db, &config).await;
    db.finish().await;
}

#[tokio::test]
async fn postgres_diesel_layout_applies() {
    diesel_layout_applies(Dialect::Postgres).await;
}

#[tokio::test]
async fn mysql_diesel_layout_applies() {
    diesel_layout_applies(Dialect::Mysql).await;
}

#[tokio::test]
async fn sqlite_diesel_layout_applies() {
    diesel_layout_applies(Dialect::Sqlite).await;
}
