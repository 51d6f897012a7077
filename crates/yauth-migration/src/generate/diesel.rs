//! diesel's `schema.rs`: `diesel::table!`, `joinable!`, `allow_tables_to_appear_in_same_query!`.

use super::rust::{header, unambiguous_parents};
use crate::ddl::SqlTarget;
use crate::dialect::Dialect;
use crate::model::{ColumnType, Schema};

fn sql_type(dialect: Dialect, ty: ColumnType) -> &'static str {
    use ColumnType as T;
    match (dialect, ty) {
        (Dialect::Postgres, T::Uuid) => "Uuid",
        (Dialect::Postgres, T::Timestamp) => "Timestamptz",
        (Dialect::Postgres, T::Json) => "Jsonb",
        (Dialect::Mysql, T::Timestamp) => "Datetime",
        (Dialect::Mysql, T::Json) => "Json",
        (Dialect::Mysql, T::Uuid) | (_, T::String(_)) => "Varchar",
        (_, T::Uuid | T::Text | T::Timestamp | T::Json) => "Text",
        (_, T::Bool) => "Bool",
        (_, T::Int) => "Integer",
        (_, T::BigInt) => "BigInt",
    }
}

/// The `schema.rs` for `schema`.
pub(crate) fn schema_rs(schema: &Schema, target: &SqlTarget) -> String {
    let mut out = header("diesel table definitions");
    let qualifier = target
        .pg_schema
        .as_ref()
        .filter(|_| target.dialect == Dialect::Postgres)
        .map(|s| format!("{s}."))
        .unwrap_or_default();
    for table in &schema.tables {
        out.push_str("\ndiesel::table! {\n");
        if target.dialect == Dialect::Mysql {
            out.push_str(
                "    use diesel::sql_types::*;\n    use diesel::mysql::sql_types::Datetime;\n\n",
            );
        }
        let name = target.table_name(&table.name);
        out.push_str(&format!(
            "    /// The `{name}` table.\n    {qualifier}{name} ({}) {{\n",
            table.primary_key.join(", ")
        ));
        for column in &table.columns {
            let ty = sql_type(target.dialect, column.ty);
            let ty = if column.nullable {
                format!("Nullable<{ty}>")
            } else {
                ty.to_owned()
            };
            out.push_str(&format!(
                "        /// Column `{}`.\n        {} -> {ty},\n",
                column.name, column.name
            ));
        }
        out.push_str("    }\n}\n");
    }
    let mut joins = String::new();
    for table in &schema.tables {
        for (fk, parent) in unambiguous_parents(schema, table) {
            joins.push_str(&format!(
                "diesel::joinable!({} -> {} ({}));\n",
                target.table_name(&table.name),
                target.table_name(&parent.name),
                fk.columns.join(", ")
            ));
        }
    }
    if !joins.is_empty() {
        out.push('\n');
        out.push_str(&joins);
    }
    out.push_str("\ndiesel::allow_tables_to_appear_in_same_query!(\n");
    for table in &schema.tables {
        out.push_str(&format!("    {},\n", target.table_name(&table.name)));
    }
    out.push_str(");\n");
    out
}
