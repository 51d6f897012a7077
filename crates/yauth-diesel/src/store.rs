//! The generic store: a pool, the table prefix, and the query builder every repository uses.

use std::marker::PhantomData;
use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;
use yauth_store::{DatabaseBackend, Repositories, StoreError, StoreResult};

use crate::dialect::{Dialect, FromRow, Kind, Q, render};
use crate::error::{RETRYABLE, map_error};

/// The state every repository of one backend shares.
pub struct Store<D: Dialect> {
    pool: D::Pool,
    /// Table-name prefix as it appears in SQL: `yauth_` or `"schema".yauth_`.
    prefix: String,
}

impl<D: Dialect> Store<D> {
    /// Checks a connection out of the pool.
    pub(crate) async fn conn(&self) -> StoreResult<D::Guard> {
        D::checkout(&self.pool).await
    }

    /// The table-name prefix as it appears in SQL.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A query from a template (see [`render`]).
    pub(crate) fn q<'f>(&self, template: &str) -> Sql<'f, D> {
        let text = render(D::KIND, &self.prefix, template);
        Sql {
            table: written_table(template),
            q: diesel::sql_query(text).into_boxed(),
            _d: PhantomData,
        }
    }

    /// Runs a query on a fresh connection and returns its rows.
    pub(crate) async fn all<T: FromRow<D> + Send + 'static>(
        &self,
        q: Sql<'_, D>,
    ) -> StoreResult<Vec<T>> {
        let mut conn = self.conn().await?;
        q.all(&mut conn).await
    }

    /// Runs a query on a fresh connection and returns its first row.
    pub(crate) async fn opt<T: FromRow<D> + Send + 'static>(
        &self,
        q: Sql<'_, D>,
    ) -> StoreResult<Option<T>> {
        let mut conn = self.conn().await?;
        q.opt(&mut conn).await
    }

    /// Runs a statement on a fresh connection and returns the affected row count.
    pub(crate) async fn exec(&self, q: Sql<'_, D>) -> StoreResult<u64> {
        let mut conn = self.conn().await?;
        q.exec(&mut conn).await
    }

    /// Runs a statement; whether it changed any row.
    pub(crate) async fn changed(&self, q: Sql<'_, D>) -> StoreResult<bool> {
        Ok(self.exec(q).await? > 0)
    }

    /// Runs a statement that must match a row: `NotFound` otherwise.
    pub(crate) async fn exec_found(&self, q: Sql<'_, D>) -> StoreResult<()> {
        match self.exec(q).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Whether this dialect has `UPDATE/DELETE ... RETURNING`.
    pub(crate) fn returning(&self) -> bool {
        D::KIND != Kind::Mysql
    }

    /// `ON CONFLICT (cols) DO UPDATE SET` or `ON DUPLICATE KEY UPDATE`.
    pub(crate) fn on_conflict(&self, cols: &str) -> String {
        match D::KIND {
            Kind::Mysql => "ON DUPLICATE KEY UPDATE".to_owned(),
            Kind::Postgres | Kind::Sqlite => format!("ON CONFLICT ({cols}) DO UPDATE SET"),
        }
    }

    /// The inserted value of `col` inside an upsert's update clause.
    pub(crate) fn excluded(&self, col: &str) -> String {
        match D::KIND {
            Kind::Mysql => format!("VALUES({col})"),
            Kind::Postgres | Kind::Sqlite => format!("excluded.{col}"),
        }
    }

    /// Row-lock suffix for a `SELECT` inside a write transaction (SQLite serialises writers and
    /// has none).
    ///
    /// `skip_locked` asks for `SKIP LOCKED` (workers claiming a batch pass over each other's
    /// rows); only PostgreSQL gets it. InnoDB locks every row a sorted `LIMIT` scan examines,
    /// not just the rows returned, so with `SKIP LOCKED` a second worker would skip rows the
    /// first one locked but did not take; MySQL workers wait for each other instead.
    pub(crate) fn for_update(&self, skip_locked: bool) -> &'static str {
        match (D::KIND, skip_locked) {
            (Kind::Sqlite, _) => "",
            (Kind::Postgres, true) => " FOR UPDATE SKIP LOCKED",
            _ => " FOR UPDATE",
        }
    }

    /// Opens a write transaction on `conn`; close it with [`Self::finish`].
    pub(crate) async fn begin(&self, conn: &mut D::Conn) -> StoreResult<()> {
        D::begin(conn).await.map_err(|e| map_error(e, None))
    }

    /// Commits on `Ok`, rolls back on `Err`.
    pub(crate) async fn finish<T>(&self, conn: &mut D::Conn, r: StoreResult<T>) -> StoreResult<T> {
        crate::dialect::finish::<D, T>(conn, r).await
    }

    /// A single-row write that returns the row: `UPDATE ... RETURNING *` where the dialect has
    /// it; elsewhere the guarded update runs alone and, when it matched exactly one row (this
    /// caller won), `reread` fetches the row.
    pub(crate) async fn update_returning<T: FromRow<D> + Send + 'static>(
        &self,
        conn: &mut D::Conn,
        update: Sql<'_, D>,
        reread: Sql<'_, D>,
    ) -> StoreResult<Option<T>> {
        if self.returning() {
            update.append(" RETURNING *").opt(conn).await
        } else if update.exec(conn).await? == 1 {
            reread.opt(conn).await
        } else {
            Ok(None)
        }
    }

    /// An upsert that returns the stored row: `... RETURNING *` where the dialect has it;
    /// elsewhere the upsert and `reread` run in one transaction, so the upsert's row lock keeps
    /// other writers out until this caller has read its own result.
    pub(crate) async fn upsert_returning<'f, T: FromRow<D> + Send + 'static>(
        &self,
        upsert: impl Fn() -> Sql<'f, D> + Send + Sync,
        reread: impl Fn() -> Sql<'f, D> + Send + Sync,
    ) -> StoreResult<Option<T>> {
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        if self.returning() {
            return upsert().append(" RETURNING *").opt(conn).await;
        }
        transaction!(
            self,
            conn,
            async {
                upsert().exec(conn).await?;
                reread().opt(conn).await
            }
            .await
        )
    }

    /// A single-row delete that returns the row: `DELETE ... RETURNING *` where the dialect has
    /// it; elsewhere `select` reads the row first and the guarded delete decides the winner.
    pub(crate) async fn delete_returning<T: FromRow<D> + Send + 'static>(
        &self,
        select: Sql<'_, D>,
        delete: Sql<'_, D>,
    ) -> StoreResult<Option<T>> {
        let mut conn = self.conn().await?;
        if self.returning() {
            return delete.append(" RETURNING *").opt(&mut conn).await;
        }
        let Some(row) = select.opt(&mut conn).await? else {
            return Ok(None);
        };
        Ok((delete.exec(&mut conn).await? == 1).then_some(row))
    }
}

/// Runs a transaction body again when the database reports a deadlock or serialization failure.
macro_rules! retrying {
    ($body:expr) => {{
        let mut attempt = 0u32;
        loop {
            match $body {
                Err(e) if $crate::store::is_retryable(&e) && attempt < 8 => {
                    attempt += 1;
                    continue;
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use retrying;

/// `transaction!(store, conn, body)`: runs `body` (an expression evaluating to a `StoreResult`,
/// re-evaluated on each attempt) in a write transaction on `conn`, committing on `Ok` and rolling
/// back on `Err`, retried on deadlock.
macro_rules! transaction {
    ($store:expr, $conn:expr, $body:expr) => {
        $crate::store::retrying!({
            match $store.begin($conn).await {
                Err(e) => Err(e),
                Ok(()) => {
                    let r = $body;
                    $store.finish($conn, r).await
                }
            }
        })
    };
}
pub(crate) use transaction;

/// Whether an error is a lost deadlock / serialization race worth retrying.
pub(crate) fn is_retryable(error: &StoreError) -> bool {
    matches!(error, StoreError::Unavailable(m) if m == RETRYABLE)
}

/// The unprefixed table an `INSERT` template writes (for naming violated primary keys).
fn written_table(template: &str) -> Option<&'static str> {
    let rest = template.trim_start().strip_prefix("INSERT INTO {p}")?;
    let name = rest
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()?;
    crate::dialect::TABLES.iter().copied().find(|t| *t == name)
}

/// A query being built: the rendered SQL and its binds.
pub(crate) struct Sql<'f, D: Dialect> {
    table: Option<&'static str>,
    q: Q<'f, D::Db>,
    _d: PhantomData<D>,
}

impl<'f, D: Dialect> Sql<'f, D> {
    fn with(self, f: impl FnOnce(Q<'f, D::Db>) -> Q<'f, D::Db>) -> Self {
        Self {
            table: self.table,
            q: f(self.q),
            _d: PhantomData,
        }
    }

    /// Appends SQL text (no placeholders).
    pub(crate) fn append(self, sql: &str) -> Self {
        let sql = sql.to_owned();
        self.with(|q| q.sql(sql))
    }
    pub(crate) fn uuid(self, v: Uuid) -> Self {
        self.with(|q| D::bind_uuid(q, v))
    }
    pub(crate) fn opt_uuid(self, v: Option<Uuid>) -> Self {
        self.with(|q| D::bind_opt_uuid(q, v))
    }
    pub(crate) fn ts(self, v: OffsetDateTime) -> Self {
        self.with(|q| D::bind_ts(q, v))
    }
    pub(crate) fn opt_ts(self, v: Option<OffsetDateTime>) -> Self {
        self.with(|q| D::bind_opt_ts(q, v))
    }
    pub(crate) fn json(self, v: &'f serde_json::Value) -> Self {
        self.with(|q| D::bind_json(q, v))
    }
    pub(crate) fn opt_json(self, v: Option<&'f serde_json::Value>) -> Self {
        self.with(|q| D::bind_opt_json(q, v))
    }
    pub(crate) fn text(self, v: &'f str) -> Self {
        self.with(|q| D::bind_text(q, v))
    }
    pub(crate) fn string(self, v: String) -> Self {
        self.with(|q| D::bind_string(q, v))
    }
    pub(crate) fn opt_text(self, v: Option<&'f str>) -> Self {
        self.with(|q| D::bind_opt_text(q, v))
    }
    pub(crate) fn bool(self, v: bool) -> Self {
        self.with(|q| D::bind_bool(q, v))
    }
    pub(crate) fn i32(self, v: i32) -> Self {
        self.with(|q| D::bind_i32(q, v))
    }
    pub(crate) fn opt_i32(self, v: Option<i32>) -> Self {
        self.with(|q| D::bind_opt_i32(q, v))
    }
    pub(crate) fn i64(self, v: i64) -> Self {
        self.with(|q| D::bind_i64(q, v))
    }
    pub(crate) fn opt_i64(self, v: Option<i64>) -> Self {
        self.with(|q| D::bind_opt_i64(q, v))
    }
    /// Binds a page size or offset.
    pub(crate) fn count(self, v: u64) -> Self {
        self.i64(i64::try_from(v).unwrap_or(i64::MAX))
    }

    /// Runs the query and returns every row.
    pub(crate) async fn all<T: FromRow<D> + Send + 'static>(
        self,
        conn: &mut D::Conn,
    ) -> StoreResult<Vec<T>> {
        let table = self.table;
        D::load(conn, self.q).await.map_err(|e| map_error(e, table))
    }

    /// Runs the query and returns the first row.
    pub(crate) async fn opt<T: FromRow<D> + Send + 'static>(
        self,
        conn: &mut D::Conn,
    ) -> StoreResult<Option<T>> {
        Ok(self.all(conn).await?.into_iter().next())
    }

    /// Runs the statement and returns how many rows it matched.
    pub(crate) async fn exec(self, conn: &mut D::Conn) -> StoreResult<u64> {
        let table = self.table;
        D::execute(conn, self.q)
            .await
            .map(|n| n as u64)
            .map_err(|e| map_error(e, table))
    }
}

/// A yauth storage backend over diesel-async, generic over the [`Dialect`]; use the aliases
/// [`DieselPgBackend`](crate::pg::DieselPgBackend),
/// [`DieselMysqlBackend`](crate::mysql::DieselMysqlBackend) and
/// [`DieselSqliteBackend`](crate::sqlite::DieselSqliteBackend).
pub struct DieselBackend<D: Dialect> {
    store: Arc<Store<D>>,
}

impl<D: Dialect> Clone for DieselBackend<D> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
        }
    }
}

impl<D: Dialect> std::fmt::Debug for DieselBackend<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselBackend")
            .field("dialect", &D::KIND)
            .field("prefix", &self.store.prefix)
            .finish_non_exhaustive()
    }
}

impl<D: Dialect> DieselBackend<D> {
    /// A backend over `pool` whose tables are named `<prefix>users`, `<prefix>sessions`, ...
    /// The prefix is pasted into SQL as it is (quote a schema yourself, e.g. `"auth".yauth_`);
    /// the dialect modules' `from_pool` constructors are the usual way in. This one is for
    /// dialects defined outside this crate (such as yauth-libsql's).
    pub fn with_prefix(pool: D::Pool, prefix: String) -> Self {
        Self {
            store: Arc::new(Store { pool, prefix }),
        }
    }

    /// The pool this backend uses.
    pub fn pool(&self) -> &D::Pool {
        &self.store.pool
    }
}

impl<D: Dialect> DatabaseBackend for DieselBackend<D> {
    fn repositories(&self) -> Repositories {
        Repositories::all(&self.store)
    }

    fn db_system(&self) -> &'static str {
        match D::KIND {
            Kind::Postgres => "postgresql",
            Kind::Mysql => "mysql",
            Kind::Sqlite => "sqlite",
        }
    }
}
