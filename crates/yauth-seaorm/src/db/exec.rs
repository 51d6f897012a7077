//! Execution with yauth's value encodings (every statement goes through
//! [`portable`](crate::types::portable)) and transactions.

use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, SelectStatement};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, IsolationLevel, QueryResult, SqliteTransactionMode, StatementBuilder,
    TransactionOptions, TransactionTrait,
};
use yauth_store::StoreResult;

use super::Db;
use crate::error::{is_conflict_abort, map_err, map_err_on};
use crate::types::portable;

/// How often work the database rolled back on a deadlock or serialization failure runs.
pub(crate) const ATTEMPTS: u32 = 8;

/// A connection the repositories run statements on: the pool, or an open transaction.
pub(crate) trait Conn: ConnectionTrait {
    /// Whether a statement on it commits on its own. Such a statement, rolled back on a deadlock,
    /// runs again by itself; inside a transaction the database rolled back the whole transaction,
    /// so only the whole transaction may run again ([`Db::transaction`]).
    const STANDALONE: bool;
}

impl Conn for DatabaseConnection {
    const STANDALONE: bool = true;
}

impl Conn for DatabaseTransaction {
    const STANDALONE: bool = false;
}

/// Evaluates `attempt` (an expression that awaits) until it succeeds, fails for another reason
/// than a lost conflict, or has run [`ATTEMPTS`] times. `again` says whether a lost conflict may
/// be retried here at all.
macro_rules! retrying {
    ($again:expr, $attempt:expr) => {{
        let mut tries = 1;
        loop {
            match $attempt {
                Err(e) if $again && tries < ATTEMPTS && is_conflict_abort(&e) => tries += 1,
                other => break other,
            }
        }
    }};
}

/// `transaction!(db, |tx| body)`: runs `body` (a block evaluating to a `StoreResult`, where
/// `return` leaves the body, re-evaluated on each attempt) in a transaction
/// ([`Db::begin`]) bound to `tx`, committing on `Ok` and rolling back on `Err`. A transaction the
/// database rolled back on a deadlock or serialization failure changed nothing, so it runs again
/// from the start.
macro_rules! transaction {
    ($db:expr, |$tx:ident| $body:block) => {{
        let db: &$crate::db::Db = $db;
        let mut tries = 1;
        loop {
            let attempt: yauth_store::StoreResult<_> = async {
                let tx = db.begin().await?;
                let $tx = &tx;
                let value = async { $body }.await?;
                tx.commit().await.map_err($crate::error::map_err)?;
                Ok(value)
            }
            .await;
            match attempt {
                Err(e) if tries < $crate::db::ATTEMPTS && $crate::error::is_conflict_abort(&e) => {
                    tries += 1
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use transaction;

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
        C: Conn,
    {
        let table = entity.table_name();
        let q = self.insert(entity, row)?;
        let stmt = portable(self.backend, &q);
        retrying!(C::STANDALONE, {
            c.execute_raw(stmt.clone())
                .await
                .map(|_| ())
                .map_err(|e| map_err_on(e, Some(table)))
        })
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
        C: Conn,
        S: StatementBuilder,
    {
        let stmt = portable(self.backend, stmt);
        retrying!(C::STANDALONE, {
            c.execute_raw(stmt.clone())
                .await
                .map(|r| r.rows_affected())
                .map_err(map_err)
        })
    }

    /// Runs a query and decodes the first row.
    pub(crate) async fn one<M, C, S>(&self, c: &C, stmt: &S) -> StoreResult<Option<M>>
    where
        M: FromQueryResult,
        C: Conn,
        S: StatementBuilder,
    {
        let stmt = portable(self.backend, stmt);
        let row = retrying!(C::STANDALONE, {
            c.query_one_raw(stmt.clone()).await.map_err(map_err)
        })?;
        row.map(|r| M::from_query_result(&r, "").map_err(map_err))
            .transpose()
    }

    /// Runs a query and returns the raw rows.
    pub(crate) async fn rows<C, S>(&self, c: &C, stmt: &S) -> StoreResult<Vec<QueryResult>>
    where
        C: Conn,
        S: StatementBuilder,
    {
        let stmt = portable(self.backend, stmt);
        retrying!(C::STANDALONE, {
            c.query_all_raw(stmt.clone()).await.map_err(map_err)
        })
    }

    /// Runs a query and decodes every row.
    pub(crate) async fn all<M, C, S>(&self, c: &C, stmt: &S) -> StoreResult<Vec<M>>
    where
        M: FromQueryResult,
        C: Conn,
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
