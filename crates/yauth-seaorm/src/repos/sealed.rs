//! Sealed values by column, for key-ring rotation.
//!
//! Each [`SealedColumn`] is mapped onto its entity's table and columns, so the table is named
//! through [`Db::table`] (with the configured PostgreSQL schema) like every other statement. The
//! prefix test is `SUBSTR(value, 1, n)`, so a prefix needs no `LIKE` escaping.

use async_trait::async_trait;
use sea_orm::sea_query::{Alias, DynIden, Expr, ExprTrait, Func, IntoIden, Order, Query};
use sea_orm::{EntityTrait, Value};
use yauth_store::{
    SealedColumn, SealedRowKey, SealedValue, SealedValueRepository, StoreError, StoreResult,
    sealed_prefix_chars,
};

use crate::db::Db;
use crate::entities::{
    oauth_accounts as oa, signing_keys as sk, totp_secrets as ts, webhooks as wh,
};
use crate::error::map_err;
use crate::types::DbUuid;

/// Where a sealed column lives: its table (unqualified), the row-key column and the value column.
struct Place {
    table: DynIden,
    key: DynIden,
    value: DynIden,
}

impl Place {
    fn of<E: EntityTrait>(entity: E, key: E::Column, value: E::Column) -> Self {
        Self {
            table: entity.into_iden(),
            key: key.into_iden(),
            value: value.into_iden(),
        }
    }

    /// The entity table and columns of `column`.
    fn sealed(column: SealedColumn) -> StoreResult<Self> {
        Ok(match column {
            SealedColumn::TotpSecret => {
                Self::of(ts::Entity, ts::Column::Id, ts::Column::EncryptedSecret)
            }
            SealedColumn::OauthAccessToken => {
                Self::of(oa::Entity, oa::Column::Id, oa::Column::AccessTokenEnc)
            }
            SealedColumn::OauthRefreshToken => {
                Self::of(oa::Entity, oa::Column::Id, oa::Column::RefreshTokenEnc)
            }
            SealedColumn::WebhookSecret => {
                Self::of(wh::Entity, wh::Column::Id, wh::Column::SecretEnc)
            }
            SealedColumn::SigningKey => {
                Self::of(sk::Entity, sk::Column::Kid, sk::Column::PrivateKeyEnc)
            }
            other => {
                return Err(StoreError::Internal(format!(
                    "sealed column {other:?} is not mapped by this backend"
                )));
            }
        })
    }

    /// `value IS NOT NULL`, and `SUBSTR(value, 1, <prefix length>)` to compare with the prefix.
    fn head(&self, prefix: &str) -> (Expr, Expr) {
        let head = Func::cust("SUBSTR")
            .arg(Expr::col(self.value.clone()))
            .arg(1)
            .arg(sealed_prefix_chars(prefix));
        (Expr::col(self.value.clone()).is_not_null(), head.into())
    }
}

/// A row key as the value bound for its column ([`crate::types::portable`] turns a UUID into
/// text on MySQL and SQLite).
fn key_value(key: SealedRowKey<'_>) -> Value {
    match key {
        SealedRowKey::Uuid(id) => id.into(),
        SealedRowKey::Text(kid) => kid.into(),
    }
}

#[async_trait]
impl SealedValueRepository for Db {
    async fn list_sealed_values(
        &self,
        column: SealedColumn,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<SealedValue>> {
        let after = column.cursor_key(after)?;
        let place = Place::sealed(column)?;
        let (present, head) = place.head(prefix);
        let mut q = Query::select();
        q.expr_as(Expr::col(place.key.clone()), Alias::new("row_key"))
            .expr_as(Expr::col(place.value.clone()), Alias::new("value"))
            .from(self.table_named(place.table.clone()))
            .and_where(present)
            .and_where(head.ne(prefix));
        if let Some(after) = after {
            q.and_where(Expr::col(place.key.clone()).gt(key_value(after)));
        }
        q.order_by(place.key.clone(), Order::Asc)
            .limit(u64::from(limit));
        self.rows(&self.conn, &q)
            .await?
            .iter()
            .map(|r| {
                let row = if column.row_key_is_uuid() {
                    r.try_get::<DbUuid>("", "row_key")
                        .map(|id| id.0.to_string())
                } else {
                    r.try_get::<String>("", "row_key")
                };
                Ok(SealedValue {
                    row: row.map_err(map_err)?,
                    value: r.try_get("", "value").map_err(map_err)?,
                })
            })
            .collect()
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
        let place = Place::sealed(column)?;
        let mut q = Query::update();
        q.table(self.table_named(place.table))
            .value(place.value.clone(), replacement)
            .and_where(Expr::col(place.key).eq(key_value(key)))
            .and_where(Expr::col(place.value).eq(expected));
        Ok(self.exec(&self.conn, &q).await? == 1)
    }

    async fn count_sealed_values(&self, column: SealedColumn, prefix: &str) -> StoreResult<u64> {
        let place = Place::sealed(column)?;
        let (present, head) = place.head(prefix);
        let mut q = Query::select();
        q.from(self.table_named(place.table))
            .and_where(present)
            .and_where(head.eq(prefix));
        self.count(q).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    /// The entity mapping names exactly the table and columns the contract names.
    #[test]
    fn places_match_the_contract() {
        for column in SealedColumn::ALL {
            let place = Place::sealed(column).expect("every column is mapped");
            assert_eq!(place.table.to_string(), format!("yauth_{}", column.table()));
            assert_eq!(place.key.to_string(), column.row_key());
            assert_eq!(place.value.to_string(), column.column());
        }
    }
}
