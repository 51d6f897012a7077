//! Sealed values by column, for key-ring rotation.
//!
//! Every query stays a compile-time checked `sqlx::query!` with literal SQL, so each column has
//! its own statements: [`sealed_columns!`] names every column's table and columns as literals,
//! once, and the statement macros below splice them into each dialect's SQL with `+` (the sqlx
//! macros accept a `+` concatenation of string literals). A test holds the literals to the names
//! [`yauth_store::SealedColumn`] gives. The prefix test is `SUBSTR(value, 1, n)`, so a prefix
//! needs no `LIKE` escaping.

/// `sealed_columns!(column, then!(args...))`: for `column`, expands
/// `then!(args... kind, "pg key type", "table", "key column", "value column")`, where `kind` is
/// `uuid` or `text` (the row key's type); a column this backend does not map is an error.
macro_rules! sealed_columns {
    ($column:expr, $then:ident!($($args:tt)*)) => {
        match $column {
            yauth_store::SealedColumn::TotpSecret => {
                $then!($($args)* uuid, "uuid", "yauth_totp_secrets", "id", "encrypted_secret")
            }
            yauth_store::SealedColumn::OauthAccessToken => {
                $then!($($args)* uuid, "uuid", "yauth_oauth_accounts", "id", "access_token_enc")
            }
            yauth_store::SealedColumn::OauthRefreshToken => {
                $then!($($args)* uuid, "uuid", "yauth_oauth_accounts", "id", "refresh_token_enc")
            }
            yauth_store::SealedColumn::WebhookSecret => {
                $then!($($args)* uuid, "uuid", "yauth_webhooks", "id", "secret_enc")
            }
            yauth_store::SealedColumn::SigningKey => {
                $then!($($args)* text, "text", "yauth_signing_keys", "kid", "private_key_enc")
            }
            other => Err($crate::repos::sealed::unmapped(other)),
        }
    };
}

/// `sealed_key!(kind, dialect, key)`: an optional [`yauth_store::SealedRowKey`] as the value
/// the dialect binds for a key of that kind.
macro_rules! sealed_key {
    (uuid, $d:ident, $key:expr) => {
        $key.and_then(yauth_store::SealedRowKey::uuid)
            .map($crate::dialect::$d::uuid)
    };
    (text, $d:ident, $key:expr) => {
        $key.and_then(yauth_store::SealedRowKey::text)
    };
}

/// `sealed_row!(kind, column)`: a decoded row-key column as the row's name (a UUID's lowercase
/// hyphenated text, or the `kid`).
macro_rules! sealed_row {
    (uuid, $col:expr) => {
        $crate::codec::Col::<uuid::Uuid>::from($col)
            .get("row_key")
            .map(|id| id.to_string())
    };
    (text, $col:expr) => {
        $crate::codec::Col::<String>::from($col).get("row_key")
    };
}

/// Up to `limit` values not under the prefix, after the cursor, in key order.
macro_rules! sealed_list {
    ($d:ident, $pool:expr, $n:expr, $prefix:expr, $after:expr, $limit:expr,
     $kind:ident, $cast:tt, $table:tt, $key:tt, $value:tt) => {{
        let after = $crate::repos::sealed::sealed_key!($kind, $d, $after);
        let rows = $crate::macros::sql!($d, query, [$n, $prefix, after, $limit],
            pg: ("SELECT " + $key + " AS row_key, " + $value + " AS value FROM " + $table
                + " WHERE " + $value + " IS NOT NULL AND SUBSTR(" + $value + ", 1, $1) <> $2"
                + " AND ($3::" + $cast + " IS NULL OR " + $key + " > $3) ORDER BY " + $key
                + " LIMIT $4"),
            mysql [$n, $prefix, after, $crate::repos::sealed::sealed_key!($kind, $d, $after), $limit]: ("SELECT " + $key + " AS row_key, "
                + $value + " AS value FROM " + $table + " WHERE " + $value
                + " IS NOT NULL AND SUBSTR(" + $value + ", 1, ?) <> ? AND (? IS NULL OR "
                + $key + " > ?) ORDER BY " + $key + " LIMIT ?"),
            sqlite: ("SELECT " + $key + " AS row_key, " + $value + " AS value FROM " + $table
                + " WHERE " + $value + " IS NOT NULL AND SUBSTR(" + $value + ", 1, ?1) <> ?2"
                + " AND (?3 IS NULL OR " + $key + " > ?3) ORDER BY " + $key + " LIMIT ?4"))
        .fetch_all($pool)
        .await
        .map_err($crate::error::db_err)?;
        rows.into_iter()
            .map(|r| {
                Ok(yauth_store::SealedValue {
                    row: $crate::repos::sealed::sealed_row!($kind, r.row_key)?,
                    value: $crate::codec::Col::<String>::from(r.value).get("value")?,
                })
            })
            .collect::<yauth_store::StoreResult<Vec<_>>>()
    }};
}

/// The compare-and-swap: one `UPDATE` guarded by the key and the expected value; whether it
/// changed exactly one row. A row name that cannot be a key of the column swaps nothing.
macro_rules! sealed_replace {
    ($d:ident, $pool:expr, $row:expr, $expected:expr, $replacement:expr,
     $kind:ident, $cast:tt, $table:tt, $key:tt, $value:tt) => {
        match $crate::repos::sealed::sealed_key!($kind, $d, $row) {
            None => Ok(false),
            Some(key) => $crate::macros::sql!($d, query, [$replacement, key, $expected],
                pg: ("UPDATE " + $table + " SET " + $value + " = $1 WHERE " + $key + " = $2 AND "
                    + $value + " = $3"),
                mysql: ("UPDATE " + $table + " SET " + $value + " = ? WHERE " + $key + " = ? AND "
                    + $value + " = ?"),
                sqlite: ("UPDATE " + $table + " SET " + $value + " = ?1 WHERE " + $key
                    + " = ?2 AND " + $value + " = ?3"))
            .execute($pool)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err($crate::error::db_err),
        }
    };
}

/// How many values are under the prefix.
macro_rules! sealed_count {
    ($d:ident, $pool:expr, $n:expr, $prefix:expr,
     $kind:ident, $cast:tt, $table:tt, $key:tt, $value:tt) => {
        $crate::macros::sql!($d, query_scalar, [$n, $prefix],
            pg: (r#"SELECT COUNT(*) AS "n!" FROM "# + $table + " WHERE " + $value
                + " IS NOT NULL AND SUBSTR(" + $value + ", 1, $1) = $2"),
            mysql: (r#"SELECT COUNT(*) AS "n!" FROM "# + $table + " WHERE " + $value
                + " IS NOT NULL AND SUBSTR(" + $value + ", 1, ?) = ?"),
            sqlite: (r#"SELECT COUNT(*) AS "n!" FROM "# + $table + " WHERE " + $value
                + " IS NOT NULL AND SUBSTR(" + $value + ", 1, ?1) = ?2"))
        .fetch_one($pool)
        .await
        .map($crate::codec::count)
        .map_err($crate::error::db_err)
    };
}

/// `SealedValueRepository` for the dialect.
macro_rules! sealed {
    ($d:ident) => {
        const _: () = {
            use yauth_store::{
                SealedColumn, SealedValue, SealedValueRepository, StoreResult, sealed_prefix_chars,
            };
            use $crate::dialect::$d as c;
            use $crate::repos::Store;
            use $crate::repos::sealed::{
                sealed_columns, sealed_count, sealed_list, sealed_replace,
            };

            #[async_trait::async_trait]
            impl SealedValueRepository for Store<c::Db> {
                async fn list_sealed_values(
                    &self,
                    column: SealedColumn,
                    prefix: &str,
                    after: Option<&str>,
                    limit: u32,
                ) -> StoreResult<Vec<SealedValue>> {
                    let after = column.cursor_key(after)?;
                    let (n, limit) = (sealed_prefix_chars(prefix), i64::from(limit));
                    sealed_columns!(
                        column,
                        sealed_list!($d, &self.pool, n, prefix, after, limit,)
                    )
                }

                async fn replace_sealed_value(
                    &self,
                    column: SealedColumn,
                    row: &str,
                    expected: &str,
                    replacement: &str,
                ) -> StoreResult<bool> {
                    let key = column.row_key_of(row);
                    sealed_columns!(
                        column,
                        sealed_replace!($d, &self.pool, key, expected, replacement,)
                    )
                }

                async fn count_sealed_values(
                    &self,
                    column: SealedColumn,
                    prefix: &str,
                ) -> StoreResult<u64> {
                    let n = sealed_prefix_chars(prefix);
                    sealed_columns!(column, sealed_count!($d, &self.pool, n, prefix,))
                }
            }
        };
    };
}

/// The error for a column [`sealed_columns!`] does not map (a column added to the contract
/// after this backend).
pub(crate) fn unmapped(column: yauth_store::SealedColumn) -> yauth_store::StoreError {
    yauth_store::StoreError::Internal(format!(
        "sealed column {column:?} is not mapped by this backend"
    ))
}

pub(crate) use {
    sealed, sealed_columns, sealed_count, sealed_key, sealed_list, sealed_replace, sealed_row,
};

#[cfg(test)]
mod tests {
    use yauth_store::{SealedColumn, StoreResult};

    /// What [`sealed_columns!`] says of a column.
    macro_rules! names {
        ($kind:ident, $cast:tt, $table:tt, $key:tt, $value:tt) => {
            StoreResult::Ok((stringify!($kind), $cast, $table, $key, $value))
        };
    }

    /// The literals in the SQL name exactly the table and columns the contract names.
    #[test]
    fn columns_match_the_contract() {
        for column in SealedColumn::ALL {
            let Ok((kind, cast, table, key, value)) = sealed_columns!(column, names!()) else {
                panic!("{column:?} is not mapped");
            };
            assert_eq!(table, format!("yauth_{}", column.table()), "{column:?}");
            assert_eq!(key, column.row_key(), "{column:?}");
            assert_eq!(value, column.column(), "{column:?}");
            let uuid = column.row_key_is_uuid();
            assert_eq!(
                (kind, cast),
                if uuid {
                    ("uuid", "uuid")
                } else {
                    ("text", "text")
                }
            );
        }
    }
}
