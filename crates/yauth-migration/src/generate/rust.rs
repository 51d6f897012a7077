//! Helpers shared by the Rust-source generators.

use std::path::{Path, PathBuf};

use super::GENERATED_BY;
use crate::model::{ForeignKey, Schema, Table};

/// The first lines of every generated Rust file.
pub(crate) fn header(what: &str) -> String {
    format!(
        "//! {GENERATED_BY} from yauth.toml: {what}.\n//! Do not edit by hand; regenerate with `cargo yauth generate`.\n"
    )
}

/// `snake_case` -> `CamelCase`.
pub(crate) fn camel(snake: &str) -> String {
    snake
        .split('_')
        .filter(|s| !s.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// A relation's name from its foreign-key column: `user_id` -> `User`, `link_user_id` -> `LinkUser`.
pub(crate) fn relation_name(fk: &ForeignKey) -> String {
    let column = fk.columns.join("_");
    camel(column.strip_suffix("_id").unwrap_or(&column))
}

/// The foreign keys of `table` that are the only link to their parent and reference its
/// single-column primary key (so an ORM can derive one unambiguous relation from them).
pub(crate) fn unambiguous_parents<'a>(
    schema: &'a Schema,
    table: &'a Table,
) -> impl Iterator<Item = (&'a ForeignKey, &'a Table)> {
    table.foreign_keys.iter().filter_map(move |fk| {
        let parent = schema.table(&fk.ref_table)?;
        let links = table
            .foreign_keys
            .iter()
            .filter(|f| f.ref_table == fk.ref_table)
            .count();
        (links == 1
            && parent.name != table.name
            && fk.columns.len() == 1
            && parent.primary_key == fk.ref_columns)
            .then_some((fk, parent))
    })
}

/// `mod.rs` declaring every module, plus the modules themselves, under `dir`.
pub(crate) fn module_files(dir: &Path, modules: Vec<(String, String)>) -> Vec<(PathBuf, String)> {
    let mut mod_rs = header("module index");
    mod_rs.push('\n');
    // Sorted, as rustfmt orders module declarations.
    let mut names: Vec<&str> = modules.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    for name in names {
        mod_rs.push_str(&format!("pub mod {name};\n"));
    }
    let mut files = vec![(dir.join("mod.rs"), mod_rs)];
    files.extend(
        modules
            .into_iter()
            .map(|(name, text)| (dir.join(format!("{name}.rs")), text)),
    );
    files
}
