//! Sealed values by column, for key-ring rotation.
//!
//! The table and column names come from [`SealedColumn`]'s static strings only, never from the
//! caller. The prefix test is `SUBSTR(value, 1, n)`, so a prefix needs no `LIKE` escaping.

use async_trait::async_trait;
use diesel::deserialize;
use diesel::row::NamedRow;
use uuid::Uuid;
use yauth_store::{
    SealedColumn, SealedRowKey, SealedValue, SealedValueRepository, StoreResult,
    sealed_prefix_chars,
};

use crate::dialect::{Cols, Dialect, FromRow, SqlTypes};
use crate::rows::Count;
use crate::store::{Sql, Store};

/// A listed row: its key (`row_key`, a `K`) and its sealed value (`value`).
struct Keyed<K>(K, String);

impl<S: SqlTypes> FromRow<S> for Keyed<Uuid> {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        Ok(Self(c.uuid("row_key")?, c.text("value")?))
    }
}

impl<S: SqlTypes> FromRow<S> for Keyed<String> {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        Ok(Self(c.text("row_key")?, c.text("value")?))
    }
}

impl<K: ToString> From<Keyed<K>> for SealedValue {
    fn from(Keyed(row, value): Keyed<K>) -> Self {
        SealedValue {
            row: row.to_string(),
            value,
        }
    }
}

impl<'f, D: Dialect> Sql<'f, D> {
    /// Binds a row key as its column's type.
    fn row_key(self, key: SealedRowKey<'f>) -> Self {
        match key {
            SealedRowKey::Uuid(id) => self.uuid(id),
            SealedRowKey::Text(kid) => self.text(kid),
        }
    }
}

#[async_trait]
impl<D: Dialect> SealedValueRepository for Store<D> {
    async fn list_sealed_values(
        &self,
        column: SealedColumn,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<SealedValue>> {
        let after = column.cursor_key(after)?;
        let (table, key, value) = (column.table(), column.row_key(), column.column());
        let cursor = if after.is_some() {
            format!(" AND {key} > ?")
        } else {
            String::new()
        };
        let mut q = self
            .q(&format!(
                "SELECT {key} AS row_key, {value} AS value FROM {{p}}{table} \
                 WHERE {value} IS NOT NULL AND SUBSTR({value}, 1, ?) <> ?{cursor} \
                 ORDER BY {key} LIMIT ?"
            ))
            .i32(sealed_prefix_chars(prefix))
            .text(prefix);
        if let Some(after) = after {
            q = q.row_key(after);
        }
        let q = q.i64(i64::from(limit));
        let mut conn = self.conn().await?;
        Ok(if column.row_key_is_uuid() {
            let rows: Vec<Keyed<Uuid>> = q.all(&mut conn).await?;
            rows.into_iter().map(SealedValue::from).collect()
        } else {
            let rows: Vec<Keyed<String>> = q.all(&mut conn).await?;
            rows.into_iter().map(SealedValue::from).collect()
        })
    }

    async fn replace_sealed_value(
        &self,
        column: SealedColumn,
        row: &str,
        expected: &str,
        replacement: &str,
    ) -> StoreResult<bool> {
        let Some(key) = column.row_key_of(row) else {
            return Ok(false);
        };
        let (table, value) = (column.table(), column.column());
        let n = self
            .exec(
                self.q(&format!(
                    "UPDATE {{p}}{table} SET {value} = ? WHERE {} = ? AND {value} = ?",
                    column.row_key()
                ))
                .text(replacement)
                .row_key(key)
                .text(expected),
            )
            .await?;
        Ok(n == 1)
    }

    async fn count_sealed_values(&self, column: SealedColumn, prefix: &str) -> StoreResult<u64> {
        let (table, value) = (column.table(), column.column());
        let n: Option<Count> = self
            .opt(
                self.q(&format!(
                    "SELECT COUNT(*) AS n FROM {{p}}{table} \
                     WHERE {value} IS NOT NULL AND SUBSTR({value}, 1, ?) = ?"
                ))
                .i32(sealed_prefix_chars(prefix))
                .text(prefix),
            )
            .await?;
        Ok(n.map_or(0, |Count(n)| u64::try_from(n).unwrap_or(0)))
    }
}
