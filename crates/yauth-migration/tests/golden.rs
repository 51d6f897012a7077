//! Golden files: the full-plugin-set DDL of each dialect, and the diesel schema and SeaORM
//! entities the compile-check crate builds. `UPDATE_GOLDEN=1 cargo test` rewrites them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use yauth_migration::{Dialect, Generator, Orm, SchemaConfig, down_statements, up_statements};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `actual` with the file, or rewrites the file when `UPDATE_GOLDEN` is set.
fn check(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{} is stale against the generator; run `UPDATE_GOLDEN=1 cargo test -p yauth-migration --test golden` and review the diff",
        path.display()
    );
}

fn ddl(config: &SchemaConfig) -> String {
    let mut out = String::from("-- up\n");
    for s in up_statements(config).unwrap() {
        out.push_str(&s);
        out.push_str(";\n");
    }
    out.push_str("\n-- down\n");
    for s in down_statements(config).unwrap() {
        out.push_str(&s);
        out.push_str(";\n");
    }
    out
}

#[test]
fn postgres_ddl() {
    check(
        &crate_dir().join("tests/golden/postgres.sql"),
        &ddl(&SchemaConfig::all_plugins(Dialect::Postgres)),
    );
}

#[test]
fn postgres_named_schema_ddl() {
    check(
        &crate_dir().join("tests/golden/postgres_schema_auth.sql"),
        &ddl(&SchemaConfig::all_plugins(Dialect::Postgres).with_pg_schema("auth")),
    );
}

#[test]
fn mysql_ddl() {
    check(
        &crate_dir().join("tests/golden/mysql.sql"),
        &ddl(&SchemaConfig::all_plugins(Dialect::Mysql)),
    );
}

#[test]
fn sqlite_ddl() {
    check(
        &crate_dir().join("tests/golden/sqlite.sql"),
        &ddl(&SchemaConfig::all_plugins(Dialect::Sqlite)),
    );
}

#[test]
fn custom_prefix_ddl() {
    check(
        &crate_dir().join("tests/golden/sqlite_prefix_auth.sql"),
        &ddl(&SchemaConfig::new(Dialect::Sqlite, []).with_table_prefix("auth_")),
    );
}

/// The generated files that `tests/compile-check` builds, for the full plugin set.
fn compile_check_files(orm: Orm, dialect: Dialect, subdir: &str, keep: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let config = SchemaConfig::all_plugins(dialect);
    Generator::new(orm, config, tmp.path())
        .plan()
        .unwrap()
        .apply()
        .unwrap();
    let dest = crate_dir()
        .join("tests/compile-check/src/generated")
        .join(subdir);
    for rel in keep {
        let src = tmp.path().join(rel);
        if src.is_dir() {
            for entry in std::fs::read_dir(&src).unwrap() {
                let entry = entry.unwrap();
                let text = std::fs::read_to_string(entry.path()).unwrap();
                check(&dest.join(rel).join(entry.file_name()), &text);
            }
        } else {
            check(&dest.join(rel), &std::fs::read_to_string(src).unwrap());
        }
    }
}

#[test]
fn compile_check_diesel_files_are_fresh() {
    compile_check_files(Orm::Diesel, Dialect::Postgres, "diesel_pg", &["schema.rs"]);
    compile_check_files(Orm::Diesel, Dialect::Mysql, "diesel_mysql", &["schema.rs"]);
    compile_check_files(
        Orm::Diesel,
        Dialect::Sqlite,
        "diesel_sqlite",
        &["schema.rs"],
    );
}

#[test]
fn compile_check_seaorm_files_are_fresh() {
    compile_check_files(Orm::SeaOrm, Dialect::Postgres, "seaorm_pg", &["entities"]);
    compile_check_files(Orm::SeaOrm, Dialect::Mysql, "seaorm_mysql", &["entities"]);
    compile_check_files(Orm::SeaOrm, Dialect::Sqlite, "seaorm_sqlite", &["entities"]);
}
