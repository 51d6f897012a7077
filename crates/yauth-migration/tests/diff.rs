//! The diff engine: every kind of change, up and down, in every dialect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use yauth_migration::model::{Column, ColumnType as T, DefaultValue, OnDelete, Schema, Table};
use yauth_migration::{Change, Dialect, DiffError, MigrationSql, SqlTarget, diff};

fn users() -> Table {
    Table::new("users")
        .column(Column::new("id", T::Uuid))
        .primary_key(&["id"])
        .column(Column::new("email", T::String(255)))
        .unique(&["email"])
}

fn notes() -> Table {
    Table::new("notes")
        .column(Column::new("id", T::Uuid))
        .primary_key(&["id"])
        .column(Column::new("user_id", T::Uuid))
        .column(Column::new("body", T::Text).null())
}

fn schema(tables: Vec<Table>) -> Schema {
    Schema { tables }
}

fn sql(from: &Schema, to: &Schema, dialect: Dialect) -> MigrationSql {
    MigrationSql::between(from, to, &SqlTarget::new(dialect)).unwrap()
}

#[test]
fn identical_schemas_have_no_changes() {
    let s = schema(vec![users(), notes()]);
    assert!(diff(&s, &s).unwrap().is_empty());
    assert!(sql(&s, &s, Dialect::Postgres).is_empty());
}

#[test]
fn create_and_drop_tables_in_foreign_key_order() {
    let from = schema(vec![users()]);
    let child = notes()
        .foreign_key("user_id", "users", "id", OnDelete::Cascade)
        .index(&["user_id"]);
    let to = schema(vec![users(), child]);
    let changes = diff(&from, &to).unwrap();
    assert!(matches!(&changes[..], [Change::CreateTable(t)] if t.name == "notes"));
    let m = sql(&from, &to, Dialect::Postgres);
    assert_eq!(
        m.up.statements,
        [
            "CREATE TABLE \"yauth_notes\" (\n    \"id\" UUID NOT NULL,\n    \"user_id\" UUID NOT NULL,\n    \"body\" TEXT,\n    PRIMARY KEY (\"id\")\n)",
            "CREATE INDEX \"yauth_notes_user_id_idx\" ON \"yauth_notes\" (\"user_id\")",
            "ALTER TABLE \"yauth_notes\" ADD CONSTRAINT \"yauth_notes_user_id_fkey\" FOREIGN KEY (\"user_id\") REFERENCES \"yauth_users\" (\"id\") ON DELETE CASCADE",
        ]
    );
    assert_eq!(m.down.statements, ["DROP TABLE \"yauth_notes\""]);
    // From nothing: parents first; back to nothing: children first.
    let m = sql(&Schema::default(), &to, Dialect::Sqlite);
    assert!(m.up.statements[0].starts_with("CREATE TABLE \"yauth_users\""));
    assert_eq!(
        m.down.statements,
        ["DROP TABLE \"yauth_notes\"", "DROP TABLE \"yauth_users\""]
    );
}

#[test]
fn add_and_drop_column() {
    let from = schema(vec![notes()]);
    let to = schema(vec![notes().column(
        Column::new("pinned", T::Bool).default(DefaultValue::Bool(false)),
    )]);
    let pg = sql(&from, &to, Dialect::Postgres);
    assert_eq!(
        pg.up.statements,
        ["ALTER TABLE \"yauth_notes\" ADD COLUMN \"pinned\" BOOLEAN NOT NULL DEFAULT FALSE"]
    );
    assert_eq!(
        pg.down.statements,
        ["ALTER TABLE \"yauth_notes\" DROP COLUMN \"pinned\""]
    );
    let my = sql(&from, &to, Dialect::Mysql);
    assert_eq!(
        my.up.statements,
        ["ALTER TABLE `yauth_notes` ADD COLUMN `pinned` BOOLEAN NOT NULL DEFAULT FALSE"]
    );
    assert_eq!(
        my.down.statements,
        ["ALTER TABLE `yauth_notes` DROP COLUMN `pinned`"]
    );
    // SQLite adds a column with a default in place, and rebuilds the table to drop it.
    let lite = sql(&from, &to, Dialect::Sqlite);
    assert_eq!(
        lite.up.statements,
        ["ALTER TABLE \"yauth_notes\" ADD COLUMN \"pinned\" INTEGER NOT NULL DEFAULT 0"]
    );
    assert!(lite.up.transactional);
    assert!(!lite.down.transactional);
    assert_eq!(
        lite.down.statements,
        [
            "PRAGMA foreign_keys = OFF",
            "BEGIN",
            "CREATE TABLE \"yauth_notes__rebuild\" (\n    \"id\" TEXT NOT NULL,\n    \"user_id\" TEXT NOT NULL,\n    \"body\" TEXT,\n    PRIMARY KEY (\"id\")\n)",
            "INSERT INTO \"yauth_notes__rebuild\" (\"id\", \"user_id\", \"body\") SELECT \"id\", \"user_id\", \"body\" FROM \"yauth_notes\"",
            "DROP TABLE \"yauth_notes\"",
            "ALTER TABLE \"yauth_notes__rebuild\" RENAME TO \"yauth_notes\"",
            "COMMIT",
            "PRAGMA foreign_keys = ON",
        ]
    );
}

#[test]
fn alter_column_type_nullability_default() {
    let from = schema(vec![notes()]);
    let mut changed = notes();
    changed.columns[2] = Column::new("body", T::String(500)).default(DefaultValue::Text("".into()));
    let to = schema(vec![changed]);
    let changes = diff(&from, &to).unwrap();
    assert!(matches!(&changes[..], [Change::AlterColumn { table, .. }] if table == "notes"));
    let pg = sql(&from, &to, Dialect::Postgres);
    assert_eq!(
        pg.up.statements,
        [
            "ALTER TABLE \"yauth_notes\" ALTER COLUMN \"body\" TYPE VARCHAR(500) USING \"body\"::VARCHAR(500)",
            "ALTER TABLE \"yauth_notes\" ALTER COLUMN \"body\" SET NOT NULL",
            "ALTER TABLE \"yauth_notes\" ALTER COLUMN \"body\" SET DEFAULT ''",
        ]
    );
    assert_eq!(
        pg.down.statements,
        [
            "ALTER TABLE \"yauth_notes\" ALTER COLUMN \"body\" TYPE TEXT USING \"body\"::TEXT",
            "ALTER TABLE \"yauth_notes\" ALTER COLUMN \"body\" DROP NOT NULL",
            "ALTER TABLE \"yauth_notes\" ALTER COLUMN \"body\" DROP DEFAULT",
        ]
    );
    let my = sql(&from, &to, Dialect::Mysql);
    assert_eq!(
        my.up.statements,
        ["ALTER TABLE `yauth_notes` MODIFY COLUMN `body` VARCHAR(500) NOT NULL DEFAULT ''"]
    );
    assert_eq!(
        my.down.statements,
        ["ALTER TABLE `yauth_notes` MODIFY COLUMN `body` TEXT"]
    );
    let lite = sql(&from, &to, Dialect::Sqlite);
    assert!(
        lite.up
            .statements
            .iter()
            .any(|s| s.contains("\"body\" TEXT NOT NULL DEFAULT ''"))
    );
    assert!(
        lite.down
            .statements
            .iter()
            .any(|s| s.contains("\"body\" TEXT,\n"))
    );
}

#[test]
fn add_and_drop_index() {
    let from = schema(vec![notes()]);
    let to = schema(vec![
        notes().index(&["user_id"]).unique(&["user_id", "body"]),
    ]);
    let pg = sql(&from, &to, Dialect::Postgres);
    assert_eq!(
        pg.up.statements,
        [
            "CREATE INDEX \"yauth_notes_user_id_idx\" ON \"yauth_notes\" (\"user_id\")",
            "CREATE UNIQUE INDEX \"yauth_notes_user_id_body_key\" ON \"yauth_notes\" (\"user_id\", \"body\")",
        ]
    );
    assert_eq!(
        pg.down.statements,
        [
            "DROP INDEX \"yauth_notes_user_id_idx\"",
            "DROP INDEX \"yauth_notes_user_id_body_key\"",
        ]
    );
    let my = sql(&from, &to, Dialect::Mysql);
    assert_eq!(
        my.down.statements[0],
        "DROP INDEX `yauth_notes_user_id_idx` ON `yauth_notes`"
    );
    let lite = sql(&from, &to, Dialect::Sqlite);
    assert_eq!(
        lite.up.statements, pg.up.statements,
        "same syntax, no rebuild"
    );
    let schema_target = SqlTarget {
        pg_schema: Some("auth".into()),
        ..SqlTarget::new(Dialect::Postgres)
    };
    let named = MigrationSql::between(&from, &to, &schema_target).unwrap();
    assert_eq!(
        named.down.statements[0],
        "DROP INDEX \"auth\".\"yauth_notes_user_id_idx\""
    );
}

#[test]
fn add_and_drop_foreign_key() {
    let from = schema(vec![users(), notes().index(&["user_id"])]);
    let to = schema(vec![
        users(),
        notes()
            .index(&["user_id"])
            .foreign_key("user_id", "users", "id", OnDelete::Restrict),
    ]);
    let pg = sql(&from, &to, Dialect::Postgres);
    assert_eq!(
        pg.up.statements,
        [
            "ALTER TABLE \"yauth_notes\" ADD CONSTRAINT \"yauth_notes_user_id_fkey\" FOREIGN KEY (\"user_id\") REFERENCES \"yauth_users\" (\"id\") ON DELETE RESTRICT"
        ]
    );
    assert_eq!(
        pg.down.statements,
        ["ALTER TABLE \"yauth_notes\" DROP CONSTRAINT \"yauth_notes_user_id_fkey\""]
    );
    let my = sql(&from, &to, Dialect::Mysql);
    assert_eq!(
        my.down.statements,
        ["ALTER TABLE `yauth_notes` DROP FOREIGN KEY `yauth_notes_user_id_fkey`"]
    );
    // SQLite rebuilds the table with the constraint inline, then recreates its index.
    let lite = sql(&from, &to, Dialect::Sqlite);
    assert!(lite.up.statements[2].contains("CONSTRAINT \"yauth_notes_user_id_fkey\" FOREIGN KEY"));
    assert_eq!(
        lite.up.statements[6],
        "CREATE INDEX \"yauth_notes_user_id_idx\" ON \"yauth_notes\" (\"user_id\")"
    );
    assert!(!lite.down.statements[2].contains("FOREIGN KEY"));
}

#[test]
fn changing_on_delete_drops_and_adds() {
    let base = |on_delete| {
        schema(vec![
            users(),
            notes()
                .index(&["user_id"])
                .foreign_key("user_id", "users", "id", on_delete),
        ])
    };
    let changes = diff(&base(OnDelete::Cascade), &base(OnDelete::Restrict)).unwrap();
    assert!(matches!(
        &changes[..],
        [Change::DropForeignKey { .. }, Change::AddForeignKey { .. }]
    ));
}

#[test]
fn primary_key_change_is_refused() {
    let from = schema(vec![notes()]);
    let to = schema(vec![notes().primary_key(&["id", "user_id"])]);
    assert_eq!(
        diff(&from, &to).unwrap_err(),
        DiffError::PrimaryKeyChanged("notes".into())
    );
}

#[test]
fn long_names_are_shortened_deterministically() {
    let target = SqlTarget {
        table_prefix: "a_rather_long_prefix_".into(),
        ..SqlTarget::new(Dialect::Postgres)
    };
    let table = Table::new("webhook_deliveries_with_long_name")
        .column(Column::new("id", T::Uuid))
        .column(Column::new("status_of_delivery", T::Text))
        .column(Column::new("next_attempt_at", T::Timestamp))
        .primary_key(&["id"])
        .index(&["status_of_delivery", "next_attempt_at"]);
    let name = target.index_name(&table.name, &table.indexes[0]);
    assert_eq!(name.len(), 63);
    assert_eq!(name, target.index_name(&table.name, &table.indexes[0]));
}
