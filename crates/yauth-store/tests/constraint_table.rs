//! The constraint table of `yauth_store::constraint` against the schema model of
//! `yauth-migration`: every unique index of the model has its stable name, every name stands for
//! a rule of the model, and the names the generator gives the indexes resolve to it in every
//! dialect.

use yauth_migration::model::Index;
use yauth_migration::{Dialect, SchemaConfig};
use yauth_store::constraint::{PRIMARY_KEY, RULES, UniqueRule, resolve};

fn schema() -> yauth_migration::Schema {
    SchemaConfig::all_plugins(Dialect::Postgres).schema()
}

fn rule_for(table: &str, columns: &[String]) -> Option<&'static UniqueRule> {
    RULES
        .iter()
        .find(|r| r.table == table && r.columns == columns)
}

#[test]
fn every_unique_index_of_the_model_has_a_stable_name() {
    let mut seen = 0;
    for table in &schema().tables {
        for index in table.indexes.iter().filter(|i| i.unique) {
            let rule = rule_for(&table.name, &index.columns).unwrap_or_else(|| {
                panic!(
                    "{}({}) has no name in yauth_store::constraint",
                    table.name,
                    index.columns.join(", ")
                )
            });
            assert!(!rule.primary_key, "{} is a unique index", rule.name);
            seen += 1;
        }
    }
    assert!(seen >= 18, "the model has too few unique indexes: {seen}");
}

#[test]
fn every_stable_name_stands_for_a_rule_of_the_model() {
    let schema = schema();
    for rule in RULES {
        let table = schema
            .table(rule.table)
            .unwrap_or_else(|| panic!("{}: no table {} in the model", rule.name, rule.table));
        if rule.primary_key {
            assert_eq!(table.primary_key, rule.columns, "{}", rule.name);
        } else {
            assert!(
                table
                    .indexes
                    .iter()
                    .any(|i| i.unique && i.columns == rule.columns),
                "{}: no unique index on {}({}) in the model",
                rule.name,
                rule.table,
                rule.columns.join(", ")
            );
        }
    }
    let mut names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
    names.push(PRIMARY_KEY);
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "two rules share a stable name");
}

#[test]
fn generated_index_names_resolve_in_every_dialect() {
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        for prefix in ["yauth_", "auth_"] {
            let config = SchemaConfig::all_plugins(dialect).with_table_prefix(prefix);
            let target = config.target();
            for table in &config.schema().tables {
                let physical = target.table_name(&table.name);
                let sqlite_list = |columns: &[String]| {
                    let list: Vec<String> =
                        columns.iter().map(|c| format!("{physical}.{c}")).collect();
                    format!("UNIQUE constraint failed: {}", list.join(", "))
                };
                for index in table.indexes.iter().filter(|i| i.unique) {
                    let expected = rule_for(&table.name, &index.columns).map(|r| r.name);
                    let name = target.index_name(&table.name, index);
                    let mysql = format!("Duplicate entry 'x' for key '{physical}.{name}'");
                    for got in [
                        resolve(Some(&name), "", None),
                        resolve(None, &mysql, None),
                        resolve(None, &sqlite_list(&index.columns), None),
                    ] {
                        assert_eq!(Some(got.as_str()), expected, "{dialect:?} {name}");
                    }
                }
                let key = Index {
                    columns: table.primary_key.clone(),
                    unique: true,
                    trigram: false,
                };
                let expected = rule_for(&table.name, &key.columns)
                    .filter(|r| r.primary_key)
                    .map_or(PRIMARY_KEY, |r| r.name);
                assert_eq!(
                    resolve(Some(&format!("{physical}_pkey")), "", None),
                    expected
                );
                assert_eq!(
                    resolve(
                        None,
                        "Duplicate entry 'x' for key 'PRIMARY'",
                        Some(&physical)
                    ),
                    expected
                );
                assert_eq!(
                    resolve(
                        None,
                        "Duplicate entry 'x' for key 'PRIMARY'",
                        Some(&table.name)
                    ),
                    expected
                );
                if table.primary_key == ["id"] || expected != PRIMARY_KEY {
                    assert_eq!(resolve(None, &sqlite_list(&key.columns), None), expected);
                }
            }
        }
    }
}
