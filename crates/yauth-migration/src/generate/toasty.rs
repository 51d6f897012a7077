//! Toasty models (`#[derive(toasty::Model)]`), one module per table.

use super::rust::{camel, header};
use crate::ddl::SqlTarget;
use crate::model::{ColumnType, Schema, Table};

fn rust_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Uuid => "uuid::Uuid",
        ColumnType::String(_) | ColumnType::Text | ColumnType::Json => "String",
        ColumnType::Bool => "bool",
        ColumnType::Int => "i32",
        ColumnType::BigInt => "i64",
        ColumnType::Timestamp => "jiff::Timestamp",
    }
}

fn model(table: &Table, target: &SqlTarget) -> String {
    let name = target.table_name(&table.name);
    let mut out = header(&format!("Toasty model for `{name}`"));
    out.push_str(&format!(
        "\n/// A row of `{name}`.\n#[derive(Debug, toasty::Model)]\n#[table = \"{name}\"]\npub struct {} {{\n",
        camel(&name)
    ));
    for column in &table.columns {
        let note = if column.ty == ColumnType::Json {
            " (JSON text)"
        } else {
            ""
        };
        out.push_str(&format!("    /// Column `{}`{note}.\n", column.name));
        let own = std::slice::from_ref(&column.name);
        if table.primary_key == own {
            out.push_str("    #[key]\n");
        } else if table.indexes.iter().any(|i| i.unique && i.columns == own) {
            out.push_str("    #[unique]\n");
        } else if table.indexes.iter().any(|i| !i.trigram && i.columns == own) {
            out.push_str("    #[index]\n");
        }
        let ty = rust_type(column.ty);
        let ty = if column.nullable {
            format!("Option<{ty}>")
        } else {
            ty.to_owned()
        };
        out.push_str(&format!("    pub {}: {ty},\n", column.name));
    }
    out.push_str("}\n");
    out
}

/// One `(module name, source)` per table.
pub(crate) fn models(schema: &Schema, target: &SqlTarget) -> Vec<(String, String)> {
    schema
        .tables
        .iter()
        .map(|t| (target.table_name(&t.name), model(t, target)))
        .collect()
}
