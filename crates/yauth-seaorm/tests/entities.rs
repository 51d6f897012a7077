//! The public entities are the SeaORM entities `cargo yauth generate` writes for PostgreSQL,
//! with module names without the table prefix and UUID columns typed [`DbUuid`] (so the same
//! entities read all three dialects). This test fails when they go stale against the generator;
//! `YAUTH_BLESS=1 cargo test -p yauth-seaorm --test entities` rewrites them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use yauth_migration::{Dialect, FileChange, Generator, Orm, SchemaConfig};

/// The generated PostgreSQL entity files, `(file name, contents)`, adapted to this crate.
fn expected_entities() -> Vec<(String, String)> {
    let dir = std::env::temp_dir().join(format!("yauth-seaorm-entities-{}", std::process::id()));
    let generator = Generator::new(
        Orm::SeaOrm,
        SchemaConfig::all_plugins(Dialect::Postgres),
        &dir,
    );
    let plan = generator.plan().unwrap();
    let mut files = Vec::new();
    for change in &plan.changes {
        let FileChange::Write { path, contents } = change else {
            continue;
        };
        if path.parent().and_then(Path::file_name) != Some("entities".as_ref()) {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap();
        files.push((adapt_name(name), adapt(contents)));
    }
    assert!(files.len() > 20, "the generator wrote no SeaORM entities");
    files.sort();
    files
}

fn adapt_name(name: &str) -> String {
    name.strip_prefix("yauth_").unwrap_or(name).to_owned()
}

fn adapt(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let line = if line.starts_with("//! Do not edit by hand") {
            "//! Derived from `cargo yauth generate` (PostgreSQL) by `tests/entities.rs`: UUIDs are\n\
             //! [`crate::types::DbUuid`] so the entity reads every dialect. Do not edit by hand."
                .to_owned()
        } else {
            line.replace("pub mod yauth_", "pub mod ")
                .replace("super::yauth_", "super::")
                .replace(": Uuid,", ": DbUuid,")
                .replace("Option<Uuid>", "Option<DbUuid>")
        };
        out.push_str(&line);
        out.push('\n');
        if line == "use sea_orm::entity::prelude::*;" && source.contains("Uuid") {
            out.push_str("\nuse crate::types::DbUuid;\n");
        }
    }
    out
}

fn entities_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/entities")
}

#[test]
fn entities_match_the_generator() {
    let expected = expected_entities();
    let dir = entities_dir();
    if std::env::var("YAUTH_BLESS").is_ok_and(|v| v == "1") {
        for (name, contents) in &expected {
            std::fs::write(dir.join(name), contents).unwrap();
        }
        return;
    }
    let mut stale = Vec::new();
    for (name, contents) in &expected {
        let actual = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        if &actual != contents {
            stale.push(name.clone());
        }
    }
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    present.sort();
    let wanted: Vec<String> = expected.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        present, wanted,
        "src/entities has other files than the generator writes"
    );
    assert!(
        stale.is_empty(),
        "entities are stale against yauth-migration: {stale:?}; run \
         YAUTH_BLESS=1 cargo test -p yauth-seaorm --test entities"
    );
}
