//! The atomic write patterns of the storage contract: take once, update once, upsert and read
//! back, each with `RETURNING` where the dialect has it and a guarded statement otherwise.

use sea_orm::sea_query::{Condition, InsertStatement, Query, UpdateStatement};
use sea_orm::{EntityTrait, FromQueryResult, Iterable};
use yauth_store::{StoreError, StoreResult};

use super::Db;

impl Db {
    /// Atomically deletes the row of `E` matching `cond` and returns it to the one caller that
    /// deleted it: `DELETE ... RETURNING` where the dialect has it, otherwise a read followed by
    /// a `DELETE` guarded by the same condition whose affected-row count names the winner.
    pub(crate) async fn take<E>(&self, entity: E, cond: Condition) -> StoreResult<Option<E::Model>>
    where
        E: EntityTrait,
        E::Model: FromQueryResult,
    {
        let mut del = self.delete(entity);
        del.cond_where(cond.clone());
        if self.returning() {
            del.returning_all();
            return self.one(&self.conn, &del).await;
        }
        let mut sel = self.select(entity);
        sel.cond_where(cond);
        let Some(row) = self.one::<E::Model, _, _>(&self.conn, &sel).await? else {
            return Ok(None);
        };
        let deleted = self.exec(&self.conn, &del).await?;
        Ok((deleted == 1).then_some(row))
    }

    /// Atomically applies `update` (whose `WHERE` holds the consumable condition) and returns the
    /// updated row to the one caller whose update matched: `UPDATE ... RETURNING` where the
    /// dialect has it, otherwise the affected-row count names the winner, who reads the row back
    /// with `reread`.
    pub(crate) async fn update_returning<E>(
        &self,
        entity: E,
        mut update: UpdateStatement,
        reread: Condition,
    ) -> StoreResult<Option<E::Model>>
    where
        E: EntityTrait,
        E::Model: FromQueryResult,
    {
        if self.returning() {
            update.returning(Query::returning().columns(E::Column::iter()));
            return self.one(&self.conn, &update).await;
        }
        let changed = self.exec(&self.conn, &update).await?;
        if changed != 1 {
            return Ok(None);
        }
        let mut sel = self.select(entity);
        sel.cond_where(reread);
        self.one(&self.conn, &sel).await
    }

    /// Runs an upsert (`INSERT ... ON CONFLICT DO UPDATE` / `ON DUPLICATE KEY UPDATE`) and returns
    /// the resulting row: with `RETURNING` in one statement, or on MySQL inside a transaction that
    /// holds the row's lock between the upsert and the read.
    pub(crate) async fn upsert_returning<E>(
        &self,
        entity: E,
        mut insert: InsertStatement,
        reread: Condition,
    ) -> StoreResult<E::Model>
    where
        E: EntityTrait,
        E::Model: FromQueryResult,
    {
        let row = if self.returning() {
            insert.returning(Query::returning().columns(E::Column::iter()));
            self.one(&self.conn, &insert).await?
        } else {
            crate::db::transaction!(self, |tx| {
                self.exec(tx, &insert).await?;
                let mut sel = self.select(entity);
                sel.cond_where(reread.clone());
                self.one(tx, &sel).await
            })?
        };
        row.ok_or_else(|| StoreError::Internal("the upserted row was not returned".into()))
    }
}
