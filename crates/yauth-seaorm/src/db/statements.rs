//! Statement building: every statement names the table through [`Db::table`], so the configured
//! PostgreSQL schema is applied in one place.

use sea_orm::sea_query::{
    Alias, DeleteStatement, DynIden, Expr, InsertStatement, IntoIden, Query, SchemaName,
    SelectStatement, TableName, TableRef, UpdateStatement,
};
use sea_orm::{EntityTrait, Iterable};
use yauth_store::{StoreError, StoreResult};

use super::Db;

impl Db {
    /// The table of `E`, qualified by the configured PostgreSQL schema.
    pub(crate) fn table<E: EntityTrait>(&self, entity: E) -> TableRef {
        self.table_named(entity.into_iden())
    }

    /// The table named `name` (an entity's table name), qualified like [`Self::table`].
    pub(crate) fn table_named(&self, name: DynIden) -> TableRef {
        let schema = self
            .schema
            .as_deref()
            .map(|s| SchemaName(None, Alias::new(s).into_iden()));
        TableRef::Table(TableName(schema, name), None)
    }

    /// `SELECT <every column of E> FROM E`.
    pub(crate) fn select<E: EntityTrait>(&self, entity: E) -> SelectStatement {
        let mut q = Query::select();
        q.columns(E::Column::iter()).from(self.table(entity));
        q
    }

    /// `INSERT INTO E (...) VALUES (...)` from column/value pairs.
    pub(crate) fn insert<E: EntityTrait>(
        &self,
        entity: E,
        row: Vec<(E::Column, sea_orm::Value)>,
    ) -> StoreResult<InsertStatement> {
        let mut q = Query::insert();
        q.into_table(self.table(entity));
        let (cols, vals): (Vec<_>, Vec<_>) = row.into_iter().unzip();
        q.columns(cols);
        q.values(vals.into_iter().map(Expr::val))
            .map_err(|e| StoreError::Internal(format!("malformed insert: {e}")))?;
        Ok(q)
    }

    /// `UPDATE E SET ...`.
    pub(crate) fn update<E: EntityTrait>(&self, entity: E) -> UpdateStatement {
        let mut q = Query::update();
        q.table(self.table(entity));
        q
    }

    /// `DELETE FROM E`.
    pub(crate) fn delete<E: EntityTrait>(&self, entity: E) -> DeleteStatement {
        let mut q = Query::delete();
        q.from_table(self.table(entity));
        q
    }
}
