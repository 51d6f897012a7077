//! Keeps the backend in step with the diesel `schema.rs` that `cargo yauth generate` writes.
//!
//! The backend uses raw SQL (see the crate docs for why), so it does not compile against the
//! generated `table!`s; this test reads them instead. It fails when the generator gains or loses
//! a table the backend does not know, or when a column's storage type changes away from the
//! encodings of `yauth_diesel::types` (UUID as text, `DATETIME`/text timestamps, JSON as text on
//! SQLite). Column names are checked at run time by the conformance suites, which run against
//! the generator's own DDL.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use yauth_migration::{Dialect, FileChange, Generator, Orm, SchemaConfig};

/// table -> column -> diesel SQL type (without `Nullable<>`), parsed from a generated schema.rs.
type Columns = BTreeMap<String, BTreeMap<String, String>>;

fn generated_schema(dialect: Dialect) -> Columns {
    let dir = tempfile::tempdir().unwrap();
    let plan = Generator::new(Orm::Diesel, SchemaConfig::all_plugins(dialect), dir.path())
        .plan()
        .unwrap();
    let text = plan
        .changes
        .iter()
        .find_map(|c| match c {
            FileChange::Write { path, contents } if path.ends_with("schema.rs") => {
                Some(contents.clone())
            }
            _ => None,
        })
        .expect("the diesel generator writes schema.rs");
    parse(&text)
}

fn parse(text: &str) -> Columns {
    let mut tables = Columns::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some((name, _)) = line.split_once(" (")
            && line.ends_with('{')
            && name.starts_with("yauth_")
        {
            current = Some(name.trim_start_matches("yauth_").to_owned());
            continue;
        }
        if line == "}" {
            current = None;
            continue;
        }
        if let (Some(table), Some((column, ty))) = (&current, line.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',');
            let ty = ty
                .strip_prefix("Nullable<")
                .and_then(|t| t.strip_suffix('>'))
                .unwrap_or(ty);
            tables
                .entry(table.clone())
                .or_default()
                .insert(column.to_owned(), ty.to_owned());
        }
    }
    tables
}

#[test]
fn every_generated_table_is_known_to_the_backend() {
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let generated: Vec<String> = generated_schema(dialect).into_keys().collect();
        let mut known: Vec<String> = yauth_diesel::dialect::TABLES
            .iter()
            .map(|t| (*t).to_owned())
            .collect();
        known.sort();
        assert_eq!(generated, known, "{dialect:?}: tables differ");
    }
}

#[test]
fn column_types_match_the_backend_encodings() {
    let pg = generated_schema(Dialect::Postgres);
    let mysql = generated_schema(Dialect::Mysql);
    let sqlite = generated_schema(Dialect::Sqlite);
    for (table, columns) in &pg {
        for (column, pg_ty) in columns {
            let my = &mysql[table][column];
            let lite = &sqlite[table][column];
            // What each logical type must be on MySQL and SQLite for `types::Db*` to read it.
            let expected: (&str, &str) = match pg_ty.as_str() {
                "Uuid" => ("Varchar", "Text"),
                "Timestamptz" => ("Datetime", "Text"),
                "Jsonb" => ("Json", "Text"),
                "Varchar" => ("Varchar", "Varchar"),
                "Text" => ("Text", "Text"),
                "Bool" => ("Bool", "Bool"),
                "Integer" => ("Integer", "Integer"),
                "BigInt" => ("BigInt", "BigInt"),
                other => panic!("{table}.{column}: unexpected PostgreSQL type {other}"),
            };
            assert_eq!(
                (my.as_str(), lite.as_str()),
                expected,
                "{table}.{column}: storage types changed; update yauth_diesel::types"
            );
        }
    }
}
