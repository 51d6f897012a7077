//! What PostgreSQL (pg_catalog), MySQL/MariaDB (information_schema) and SQLite (pragmas) report
//! about the tables, normalised so the three compare with the model alike.

use std::collections::BTreeMap;

use sqlx::{MySqlConnection, PgConnection, SqliteConnection};

use super::{Observed, ObservedTable};

fn on_delete_name(code: &str) -> String {
    match code {
        "c" => "CASCADE",
        "n" => "SET NULL",
        "r" => "RESTRICT",
        "a" => "NO ACTION",
        other => other,
    }
    .to_owned()
}

/// Strips quotes and PostgreSQL casts from a default: `'user'::character varying` -> `user`.
fn normalise_default(raw: Option<String>) -> Option<String> {
    let raw = raw?;
    if raw.eq_ignore_ascii_case("null") {
        return None;
    }
    let value = raw.split("::").next().unwrap_or(&raw);
    Some(value.trim_matches('\'').to_owned())
}

pub async fn postgres(c: &mut PgConnection, schema: &str) -> Observed {
    let mut out = Observed::new();
    let columns: Vec<(String, String, String, Option<i32>, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, character_maximum_length, \
         is_nullable::text, column_default::text FROM information_schema.columns \
         WHERE table_schema = $1 ORDER BY table_name, ordinal_position",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, column, ty, len, nullable, default) in columns {
        let ty = match len {
            Some(n) => format!("{ty}({n})"),
            None => ty,
        };
        out.entry(table).or_default().columns.push((
            column,
            ty,
            nullable == "YES",
            normalise_default(default),
        ));
    }
    let indexes: Vec<(String, String, bool, bool, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
         array_agg(a.attname::text ORDER BY k.ord) \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE n.nspname = $1 GROUP BY 1, 2, 3, 4",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, name, unique, primary, cols) in indexes {
        let t = out.entry(table).or_default();
        if primary {
            t.primary_key = cols;
        } else {
            t.indexes.insert((name, cols, unique));
        }
    }
    let fks: Vec<(String, String, String, String, Vec<String>, Vec<String>)> = sqlx::query_as(
        "SELECT cl.relname::text, c.conname::text, rf.relname::text, c.confdeltype::text, \
         (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(n, ord) \
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n), \
         (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(n, ord) \
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) \
         FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rf ON rf.oid = c.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE c.contype = 'f' AND n.nspname = $1",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, name, parent, on_delete, cols, ref_cols) in fks {
        out.entry(table).or_default().foreign_keys.insert((
            Some(name),
            cols,
            parent,
            ref_cols,
            on_delete_name(&on_delete),
        ));
    }
    out
}

pub async fn mysql(c: &mut MySqlConnection) -> Observed {
    let mut out = Observed::new();
    let columns: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), \
         CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, column, ty, nullable, default) in columns {
        // MariaDB stores JSON as LONGTEXT (with a json_valid check) and reports display widths.
        let ty = match ty.as_str() {
            "tinyint(1)" => "boolean".to_owned(),
            "longtext" => "json".to_owned(),
            t if t.starts_with("int(") => "int".to_owned(),
            t if t.starts_with("bigint(") => "bigint".to_owned(),
            t => t.to_owned(),
        };
        out.entry(table).or_default().columns.push((
            column,
            ty,
            nullable == "YES",
            normalise_default(default),
        ));
    }
    let stats: Vec<(String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS SIGNED), \
         CAST(SEQ_IN_INDEX AS SIGNED), CAST(COLUMN_NAME AS CHAR) FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let mut grouped: BTreeMap<(String, String), (bool, Vec<String>)> = BTreeMap::new();
    for (table, index, non_unique, _, column) in stats {
        let e = grouped
            .entry((table, index))
            .or_insert((non_unique == 0, Vec::new()));
        e.1.push(column);
    }
    for ((table, index), (unique, cols)) in grouped {
        let t = out.entry(table).or_default();
        if index == "PRIMARY" {
            t.primary_key = cols;
        } else {
            t.indexes.insert((index, cols, unique));
        }
    }
    let fks: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR), \
         CAST(k.REFERENCED_TABLE_NAME AS CHAR), CAST(k.REFERENCED_COLUMN_NAME AS CHAR), CAST(r.DELETE_RULE AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
         AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (table, name, col, parent, ref_col, rule) in fks {
        out.entry(table).or_default().foreign_keys.insert((
            Some(name),
            vec![col],
            parent,
            vec![ref_col],
            rule,
        ));
    }
    out
}

pub async fn sqlite(c: &mut SqliteConnection) -> Observed {
    let mut out = Observed::new();
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    for (table,) in tables {
        let mut t = ObservedTable::default();
        let columns: Vec<(i64, String, String, i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(&mut *c)
        .await
        .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (_, name, ty, notnull, default, pk_pos) in columns {
            if pk_pos > 0 {
                pk.push((pk_pos, name.clone()));
            }
            t.columns
                .push((name, ty, notnull == 0, normalise_default(default)));
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, n)| n).collect();
        let indexes: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list(?)")
                .bind(&table)
                .fetch_all(&mut *c)
                .await
                .unwrap();
        for (name, unique, origin) in indexes {
            if origin == "pk" {
                continue;
            }
            let cols: Vec<(String,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(&mut *c)
                    .await
                    .unwrap();
            t.indexes
                .insert((name, cols.into_iter().map(|(n,)| n).collect(), unique == 1));
        }
        let fks: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        )
        .bind(&table)
        .fetch_all(&mut *c)
        .await
        .unwrap();
        for (_, parent, from, to, on_delete) in fks {
            t.foreign_keys
                .insert((None, vec![from], parent, vec![to], on_delete));
        }
        out.insert(table, t);
    }
    out
}
