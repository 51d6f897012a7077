//! Execution with yauth's value encodings (every statement goes through
//! [`portable`](crate::types::portable)) and transactions.

use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, SelectStatement};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult, IsolationLevel,
    QueryResult, SqliteTransactionMode, StatementBuilder, TransactionOptions, TransactionTrait,
};
use yauth_store::StoreResult;

use super::Db;
use crate::error::{map_err, map_err_on};
use crate::types::portable;

impl Db {
    /// Inserts one row; a unique violation names its stable constraint.
    pub(crate) async fn insert_row<E, C>(
        &self,
        c: &C,
        entity: E,
        row: Vec<(E::Column, sea_orm::Value)>,
    ) -> StoreResult<()>
    where
        E: EntityTrait,
        C: ConnectionTrait,
    {
        let table = entity.table_name();
        let q = self.insert(entity, row)?;
        let stmt = portable(self.backend, &q);
        c.execute_raw(stmt)
            .await
            .map(|_| ())
            .map_err(|e| map_err_on(e, Some(table)))
    }

    /// Starts a transaction: `BEGIN IMMEDIATE` on SQLite (a deferred transaction upgrading to a
    /// write lock gets SQLITE_BUSY without retry); READ COMMITTED on MySQL (no gap locks, so
    /// concurrent locking reads on missing rows do not deadlock); a plain `BEGIN` on PostgreSQL
    /// (READ COMMITTED already).
    pub(crate) async fn begin(&self) -> StoreResult<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == DbBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            isolation_level: (self.backend == DbBackend::MySql)
                .then_some(IsolationLevel::ReadCommitted),
            ..TransactionOptions::default()
        };
        self.conn.begin_with_options(options).await.map_err(map_err)
    }

    /// Executes a statement; returns the affected rows.
    pub(crate) async fn exec<C, S>(&self, c: &C, stmt: &S) -> StoreResult<u64>
    where
        C: ConnectionTrait,
        S: StatementBuilder,
    {
        let stmt = portable(self.backend, stmt);
        c.execute_raw(stmt)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err)
    }

    /// Runs a query and decodes the first row.
    pub(crate) async fn one<M, C, S>(&self, c: &C, stmt: &S) -> StoreResult<Option<M>>
    where
        M: FromQueryResult,
        C: ConnectionTrait,
        S: StatementBuilder,
    {
        let stmt = portable(self.backend, stmt);
        let row = c.query_one_raw(stmt).await.map_err(map_err)?;
        row.map(|r| M::from_query_result(&r, "").map_err(map_err))
            .transpose()
    }

    /// Runs a query and returns the raw rows.
    pub(crate) async fn rows<C, S>(&self, c: &C, stmt: &S) -> StoreResult<Vec<QueryResult>>
    where
        C: ConnectionTrait,
        S: StatementBuilder,
    {
        let stmt = portable(self.backend, stmt);
        c.query_all_raw(stmt).await.map_err(map_err)
    }

    /// Runs a query and decodes every row.
    pub(crate) async fn all<M, C, S>(&self, c: &C, stmt: &S) -> StoreResult<Vec<M>>
    where
        M: FromQueryResult,
        C: ConnectionTrait,
        S: StatementBuilder,
    {
        self.rows(c, stmt)
            .await?
            .iter()
            .map(|r| M::from_query_result(r, "").map_err(map_err))
            .collect()
    }

    /// `SELECT COUNT(*)` of a select's `FROM` and `WHERE`.
    pub(crate) async fn count(&self, mut q: SelectStatement) -> StoreResult<u64> {
        q.clear_selects();
        q.clear_order_by();
        q.expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"));
        let rows = self.rows(&self.conn, &q).await?;
        let n: i64 = match rows.first() {
            Some(row) => row.try_get("", "n").map_err(map_err)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
