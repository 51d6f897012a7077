//! SeaORM 2 entities (`DeriveEntityModel`), one module per table.

use super::rust::{camel, header, relation_name, unambiguous_parents};
use crate::ddl::SqlTarget;
use crate::dialect::Dialect;
use crate::model::{Column, ColumnType, Schema, Table};

/// The Rust type of a column. UUIDs are text outside PostgreSQL, so they are `String` there.
fn rust_type(dialect: Dialect, ty: ColumnType) -> &'static str {
    use ColumnType as T;
    match (dialect, ty) {
        (Dialect::Postgres, T::Uuid) => "Uuid",
        (_, T::Uuid | T::String(_) | T::Text) => "String",
        (_, T::Bool) => "bool",
        (_, T::Int) => "i32",
        (_, T::BigInt) => "i64",
        (Dialect::Mysql, T::Timestamp) => "TimeDateTime",
        (_, T::Timestamp) => "TimeDateTimeWithTimeZone",
        (_, T::Json) => "Json",
    }
}

fn column_attrs(dialect: Dialect, table: &Table, column: &Column) -> Vec<String> {
    let mut attrs = Vec::new();
    let own = std::slice::from_ref(&column.name);
    if table.primary_key == own {
        attrs.push("primary_key".to_owned());
        attrs.push("auto_increment = false".to_owned());
    } else if table.indexes.iter().any(|i| i.unique && i.columns == own) {
        attrs.push("unique".to_owned());
    }
    match (dialect, column.ty) {
        (_, ColumnType::Text) => attrs.push("column_type = \"Text\"".to_owned()),
        (Dialect::Postgres, ColumnType::Json) => {
            attrs.push("column_type = \"JsonBinary\"".to_owned());
        }
        _ => {}
    }
    attrs
}

fn entity(schema: &Schema, table: &Table, target: &SqlTarget) -> String {
    let name = target.table_name(&table.name);
    let mut out = header(&format!("SeaORM entity for `{name}`"));
    out.push_str("\nuse sea_orm::entity::prelude::*;\n\n");
    out.push_str(&format!("/// A row of `{name}`.\n"));
    out.push_str("#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]\n");
    match (&target.pg_schema, target.dialect) {
        (Some(s), Dialect::Postgres) => out.push_str(&format!(
            "#[sea_orm(table_name = \"{name}\", schema_name = \"{s}\")]\n"
        )),
        _ => out.push_str(&format!("#[sea_orm(table_name = \"{name}\")]\n")),
    }
    out.push_str("pub struct Model {\n");
    for column in &table.columns {
        let attrs = column_attrs(target.dialect, table, column);
        if !attrs.is_empty() {
            out.push_str(&format!("    #[sea_orm({})]\n", attrs.join(", ")));
        }
        let ty = rust_type(target.dialect, column.ty);
        let ty = if column.nullable {
            format!("Option<{ty}>")
        } else {
            ty.to_owned()
        };
        out.push_str(&format!("    /// Column `{}`.\n", column.name));
        out.push_str(&format!("    pub {}: {ty},\n", column.name));
    }
    out.push_str("}\n\n/// Relations of this entity.\n");
    out.push_str("#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\npub enum Relation {");
    if !table.foreign_keys.is_empty() {
        out.push('\n');
    }
    for fk in &table.foreign_keys {
        let parent = target.table_name(&fk.ref_table);
        let on_delete = match fk.on_delete {
            crate::model::OnDelete::Cascade => "Cascade",
            crate::model::OnDelete::SetNull => "SetNull",
            crate::model::OnDelete::Restrict => "Restrict",
        };
        out.push_str(&format!(
            "    /// `{}` references `{parent}`.\n    #[sea_orm(\n        belongs_to = \"super::{parent}::Entity\",\n        from = \"Column::{}\",\n        to = \"super::{parent}::Column::{}\",\n        on_delete = \"{on_delete}\"\n    )]\n    {},\n",
            fk.columns.join(", "),
            camel(&fk.columns.join("_")),
            camel(&fk.ref_columns.join("_")),
            relation_name(fk),
        ));
    }
    out.push_str("}\n");
    for (fk, parent) in unambiguous_parents(schema, table) {
        let parent = target.table_name(&parent.name);
        out.push_str(&format!(
            "\nimpl Related<super::{parent}::Entity> for Entity {{\n    fn to() -> RelationDef {{\n        Relation::{}.def()\n    }}\n}}\n",
            relation_name(fk)
        ));
    }
    out.push_str("\nimpl ActiveModelBehavior for ActiveModel {}\n");
    out
}

/// One `(module name, source)` per table.
pub(crate) fn entities(schema: &Schema, target: &SqlTarget) -> Vec<(String, String)> {
    schema
        .tables
        .iter()
        .map(|t| (target.table_name(&t.name), entity(schema, t, target)))
        .collect()
}
