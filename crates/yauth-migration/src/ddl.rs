//! DDL statements for one target (dialect, table prefix, PostgreSQL schema).

use serde::{Deserialize, Serialize};

use crate::dialect::Dialect;
use crate::model::{Column, ForeignKey, Index, Schema, Table};

/// Where SQL is rendered for: a dialect, a table prefix, and optionally a PostgreSQL schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlTarget {
    /// The SQL dialect.
    pub dialect: Dialect,
    /// Prefix of every table name (default `yauth_`).
    pub table_prefix: String,
    /// PostgreSQL schema holding the tables (`None`: the search path, usually `public`).
    pub pg_schema: Option<String>,
}

impl SqlTarget {
    /// A target with the default prefix `yauth_` and no schema.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            table_prefix: crate::DEFAULT_TABLE_PREFIX.to_owned(),
            pg_schema: None,
        }
    }

    fn q(&self, ident: &str) -> String {
        self.dialect.quote(ident)
    }

    fn q_list(&self, columns: &[String]) -> String {
        columns
            .iter()
            .map(|c| self.q(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The physical (prefixed, unquoted) name of a logical table.
    pub fn table_name(&self, logical: &str) -> String {
        format!("{}{logical}", self.table_prefix)
    }

    /// The quoted, schema-qualified name of a logical table.
    pub fn qualified_table(&self, logical: &str) -> String {
        self.qualify(&self.table_name(logical))
    }

    fn qualify(&self, name: &str) -> String {
        match (&self.pg_schema, self.dialect) {
            (Some(schema), Dialect::Postgres) => format!("{}.{}", self.q(schema), self.q(name)),
            _ => self.q(name),
        }
    }

    /// An identifier derived from a table and columns, shortened with a hash past the dialect's limit.
    fn derived_name(&self, table: &str, columns: &[String], suffix: &str) -> String {
        let name = format!("{}_{}_{suffix}", self.table_name(table), columns.join("_"));
        let max = self.dialect.max_identifier_len().min(63);
        if name.len() <= max {
            return name;
        }
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let keep = max - 9;
        format!("{}_{:08x}", &name[..keep], hash & 0xffff_ffff)
    }

    /// The name of an index (`<table>_<cols>_key` when unique, `_trgm` for a trigram index,
    /// `_idx` otherwise).
    pub fn index_name(&self, table: &str, index: &Index) -> String {
        let suffix = match (index.unique, index.trigram) {
            (true, _) => "key",
            (false, true) => "trgm",
            (false, false) => "idx",
        };
        self.derived_name(table, &index.columns, suffix)
    }

    /// The name of a foreign key constraint (`<table>_<cols>_fkey`).
    pub fn foreign_key_name(&self, table: &str, fk: &ForeignKey) -> String {
        self.derived_name(table, &fk.columns, "fkey")
    }

    /// A column definition as in `CREATE TABLE` or `ADD COLUMN`.
    pub fn column_def(&self, column: &Column) -> String {
        let mut def = format!(
            "{} {}",
            self.q(&column.name),
            self.dialect.type_name(column.ty)
        );
        if !column.nullable {
            def.push_str(" NOT NULL");
        }
        if let Some(default) = &column.default {
            def.push_str(" DEFAULT ");
            def.push_str(&self.dialect.literal(default));
        }
        def
    }

    fn foreign_key_clause(&self, table: &str, fk: &ForeignKey) -> String {
        format!(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
            self.q(&self.foreign_key_name(table, fk)),
            self.q_list(&fk.columns),
            self.qualified_table(&fk.ref_table),
            self.q_list(&fk.ref_columns),
            fk.on_delete.sql()
        )
    }

    /// `CREATE TABLE` alone, under a given physical name (the SQLite rebuild uses a temporary one).
    pub(crate) fn create_table_named(&self, table: &Table, physical: &str) -> String {
        let mut lines: Vec<String> = table.columns.iter().map(|c| self.column_def(c)).collect();
        lines.push(format!("PRIMARY KEY ({})", self.q_list(&table.primary_key)));
        if self.dialect.inline_foreign_keys() {
            lines.extend(
                table
                    .foreign_keys
                    .iter()
                    .map(|fk| self.foreign_key_clause(&table.name, fk)),
            );
        }
        format!(
            "CREATE TABLE {} (\n    {}\n){}",
            self.qualify(physical),
            lines.join(",\n    "),
            self.dialect.table_options()
        )
    }

    /// Every statement that creates `table`: the table, its indexes, then (outside SQLite) its
    /// foreign keys.
    pub fn create_table(&self, table: &Table) -> Vec<String> {
        let mut out = vec![self.create_table_named(table, &self.table_name(&table.name))];
        out.extend(
            table
                .indexes
                .iter()
                .flat_map(|i| self.create_index(&table.name, i)),
        );
        if !self.dialect.inline_foreign_keys() {
            out.extend(
                table
                    .foreign_keys
                    .iter()
                    .map(|fk| self.add_foreign_key(&table.name, fk)),
            );
        }
        out
    }

    /// `DROP TABLE`.
    pub fn drop_table(&self, table: &str) -> String {
        format!("DROP TABLE {}", self.qualified_table(table))
    }

    /// `CREATE [UNIQUE] INDEX`. A trigram index is PostgreSQL's alone: there it comes after
    /// `CREATE EXTENSION IF NOT EXISTS pg_trgm` (in `public`, where the operator class is
    /// named from), elsewhere it is nothing.
    pub fn create_index(&self, table: &str, index: &Index) -> Vec<String> {
        let name = self.q(&self.index_name(table, index));
        if index.trigram {
            if self.dialect != Dialect::Postgres {
                return Vec::new();
            }
            let columns: Vec<String> = index
                .columns
                .iter()
                .map(|c| format!("{} public.gin_trgm_ops", self.q(c)))
                .collect();
            return vec![
                "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public".to_owned(),
                format!(
                    "CREATE INDEX {name} ON {} USING gin ({})",
                    self.qualified_table(table),
                    columns.join(", ")
                ),
            ];
        }
        vec![format!(
            "CREATE {}INDEX {name} ON {} ({})",
            if index.unique { "UNIQUE " } else { "" },
            self.qualified_table(table),
            self.q_list(&index.columns)
        )]
    }

    /// `DROP INDEX` (nothing for a trigram index outside PostgreSQL; the extension stays).
    pub fn drop_index(&self, table: &str, index: &Index) -> Vec<String> {
        if index.trigram && self.dialect != Dialect::Postgres {
            return Vec::new();
        }
        let name = self.index_name(table, index);
        vec![match self.dialect {
            Dialect::Mysql => format!(
                "DROP INDEX {} ON {}",
                self.q(&name),
                self.qualified_table(table)
            ),
            Dialect::Postgres | Dialect::Sqlite => format!("DROP INDEX {}", self.qualify(&name)),
        }]
    }

    /// `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY` (PostgreSQL, MySQL).
    pub fn add_foreign_key(&self, table: &str, fk: &ForeignKey) -> String {
        format!(
            "ALTER TABLE {} ADD {}",
            self.qualified_table(table),
            self.foreign_key_clause(table, fk)
        )
    }

    /// Drops a foreign key constraint (PostgreSQL, MySQL).
    pub fn drop_foreign_key(&self, table: &str, fk: &ForeignKey) -> String {
        let keyword = match self.dialect {
            Dialect::Mysql => "FOREIGN KEY",
            Dialect::Postgres | Dialect::Sqlite => "CONSTRAINT",
        };
        format!(
            "ALTER TABLE {} DROP {keyword} {}",
            self.qualified_table(table),
            self.q(&self.foreign_key_name(table, fk))
        )
    }

    /// `ALTER TABLE ... ADD COLUMN`.
    pub fn add_column(&self, table: &str, column: &Column) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN {}",
            self.qualified_table(table),
            self.column_def(column)
        )
    }

    /// `ALTER TABLE ... DROP COLUMN`.
    pub fn drop_column(&self, table: &str, column: &str) -> String {
        format!(
            "ALTER TABLE {} DROP COLUMN {}",
            self.qualified_table(table),
            self.q(column)
        )
    }

    /// Changes a column's type, nullability or default in place (PostgreSQL, MySQL).
    pub fn alter_column(&self, table: &str, from: &Column, to: &Column) -> Vec<String> {
        let t = self.qualified_table(table);
        if self.dialect == Dialect::Mysql {
            return vec![format!(
                "ALTER TABLE {t} MODIFY COLUMN {}",
                self.column_def(to)
            )];
        }
        let c = self.q(&to.name);
        let mut out = Vec::new();
        if from.ty != to.ty {
            let ty = self.dialect.type_name(to.ty);
            out.push(format!(
                "ALTER TABLE {t} ALTER COLUMN {c} TYPE {ty} USING {c}::{ty}"
            ));
        }
        if from.nullable != to.nullable {
            let action = if to.nullable { "DROP" } else { "SET" };
            out.push(format!(
                "ALTER TABLE {t} ALTER COLUMN {c} {action} NOT NULL"
            ));
        }
        if from.default != to.default {
            out.push(match &to.default {
                Some(d) => format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}",
                    self.dialect.literal(d)
                ),
                None => format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"),
            });
        }
        out
    }

    /// `CREATE SCHEMA IF NOT EXISTS` for a PostgreSQL target with a named schema. It runs before
    /// the first table is created; no down migration drops the schema, which may hold other tables.
    pub fn create_pg_schema(&self) -> Option<String> {
        match (self.dialect, &self.pg_schema) {
            (Dialect::Postgres, Some(s)) => {
                Some(format!("CREATE SCHEMA IF NOT EXISTS {}", self.q(s)))
            }
            _ => None,
        }
    }

    /// Every statement that creates `schema` from nothing, in foreign-key order.
    pub fn create_schema(&self, schema: &Schema) -> Vec<String> {
        let mut out: Vec<String> = self.create_pg_schema().into_iter().collect();
        out.extend(schema.tables.iter().flat_map(|t| self.create_table(t)));
        out
    }

    /// Every statement that drops `schema`'s tables, children first.
    pub fn drop_schema(&self, schema: &Schema) -> Vec<String> {
        schema
            .tables
            .iter()
            .rev()
            .map(|t| self.drop_table(&t.name))
            .collect()
    }
}
