//! What differs between PostgreSQL, MySQL/MariaDB and SQLite, in one place.
//!
//! The repositories are written once, generic over a [`Dialect`]. A dialect names its diesel
//! backend and connection type, knows how to open a write transaction, and decides the few SQL
//! spellings that differ (placeholders, identifier quotes, `RETURNING`, upserts, row locks).
//! [`SqlTypes`] is the per-backend type plumbing: binding and reading the yauth SQL types of
//! [`crate::types`].

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use diesel::deserialize::{self, QueryableByName};
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::result::QueryResult;
use diesel::row::NamedRow;
use diesel_async::{AsyncConnection, TransactionManager};
use time::OffsetDateTime;
use uuid::Uuid;

/// A boxed future, as the dialect hooks return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A raw SQL query with its binds, for backend `DB`.
pub type Q<'f, DB> = BoxedSqlQuery<'f, DB, SqlQuery>;

pub use crate::sql_backend::SqlTypes;
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(unused_imports)
)]
pub(crate) use crate::sql_backend::impl_sql_backend;

/// Every table the backend reads or writes, without the `yauth_` prefix.
pub const TABLES: &[&str] = &[
    "users",
    "sessions",
    "audit_log",
    "challenges",
    "rate_limits",
    "passwords",
    "password_history",
    "email_verifications",
    "password_resets",
    "webauthn_credentials",
    "totp_secrets",
    "backup_codes",
    "oauth_accounts",
    "oauth_states",
    "refresh_tokens",
    "revocations",
    "signing_keys",
    "api_keys",
    "magic_links",
    "oauth2_clients",
    "authorization_codes",
    "consents",
    "device_codes",
    "account_locks",
    "unlock_tokens",
    "webhooks",
    "webhook_deliveries",
    "oidc_nonces",
];

/// Which SQL family a dialect speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// PostgreSQL: `$n` placeholders, `RETURNING`, `ON CONFLICT`.
    Postgres,
    /// MySQL 8 / MariaDB 10.6+: `?`, backtick quotes, no `UPDATE ... RETURNING`,
    /// `ON DUPLICATE KEY UPDATE`.
    Mysql,
    /// SQLite 3.35+: `?`, `RETURNING`, `ON CONFLICT`, no row locks (writers are serialised).
    Sqlite,
}

/// A database dialect: the backend, its async connection, and the SQL spellings that differ.
pub trait Dialect: SqlTypes + Send + Sync + 'static {
    /// The async connection the pool hands out.
    type Conn: Send + 'static;
    /// The deadpool pool of [`Self::Conn`].
    type Pool: Send + Sync + 'static;
    /// A connection checked out of [`Self::Pool`].
    type Guard: std::ops::DerefMut<Target = Self::Conn> + Send;
    /// The SQL family.
    const KIND: Kind;

    /// Checks a connection out of the pool (and prepares it on first use, where the dialect
    /// needs per-connection settings).
    fn checkout(pool: &Self::Pool) -> BoxFuture<'_, yauth_store::StoreResult<Self::Guard>>;

    /// Opens a write transaction (`BEGIN IMMEDIATE` on SQLite, so that it never has to upgrade a
    /// read lock).
    fn begin(conn: &mut Self::Conn) -> BoxFuture<'_, QueryResult<()>>;

    /// Commits the transaction [`Self::begin`] opened.
    fn commit(conn: &mut Self::Conn) -> BoxFuture<'_, QueryResult<()>>;

    /// Rolls back the transaction [`Self::begin`] opened.
    fn rollback(conn: &mut Self::Conn) -> BoxFuture<'_, QueryResult<()>>;

    /// Runs a query returning rows.
    fn load<'a, T>(
        conn: &'a mut Self::Conn,
        q: Q<'a, Self::Db>,
    ) -> BoxFuture<'a, QueryResult<Vec<T>>>
    where
        T: FromRow<Self> + Send + 'static;

    /// Runs a statement, returning the number of affected (matched) rows.
    fn execute<'a>(
        conn: &'a mut Self::Conn,
        q: Q<'a, Self::Db>,
    ) -> BoxFuture<'a, QueryResult<usize>>;
}

/// Implements the query hooks of [`Dialect`] for a concrete connection type.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(unused_macros)
)]
macro_rules! dialect_queries {
    () => {
        fn load<'a, T>(
            conn: &'a mut Self::Conn,
            q: $crate::dialect::Q<'a, Self::Db>,
        ) -> $crate::dialect::BoxFuture<'a, ::diesel::result::QueryResult<Vec<T>>>
        where
            T: $crate::dialect::FromRow<Self> + Send + 'static,
        {
            Box::pin(async move {
                let rows: Vec<$crate::dialect::Rec<Self, T>> =
                    ::diesel_async::RunQueryDsl::load(q, conn).await?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            })
        }

        fn execute<'a>(
            conn: &'a mut Self::Conn,
            q: $crate::dialect::Q<'a, Self::Db>,
        ) -> $crate::dialect::BoxFuture<'a, ::diesel::result::QueryResult<usize>> {
            Box::pin(::diesel_async::RunQueryDsl::execute(q, conn))
        }
    };
}
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(unused_imports)
)]
pub(crate) use dialect_queries;

/// Defines the dialect of a networked database (PostgreSQL, MySQL): connections straight from
/// the pool, the standard `BEGIN`.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(unused_macros)
)]
macro_rules! network_dialect {
    ($(#[$doc:meta])* $name:ident, $db:ty, $conn:ty, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        $crate::dialect::impl_sql_backend!($name, $db);

        impl $crate::dialect::Dialect for $name {
            type Conn = $conn;
            type Pool = ::diesel_async::pooled_connection::deadpool::Pool<$conn>;
            type Guard = ::diesel_async::pooled_connection::deadpool::Object<$conn>;
            const KIND: $crate::dialect::Kind = $kind;

            fn checkout(
                pool: &Self::Pool,
            ) -> $crate::dialect::BoxFuture<'_, ::yauth_store::StoreResult<Self::Guard>> {
                Box::pin(async move { pool.get().await.map_err($crate::error::map_pool_error) })
            }

            fn begin(
                conn: &mut Self::Conn,
            ) -> $crate::dialect::BoxFuture<'_, ::diesel::QueryResult<()>> {
                $crate::dialect::ansi_begin(conn)
            }

            fn commit(
                conn: &mut Self::Conn,
            ) -> $crate::dialect::BoxFuture<'_, ::diesel::QueryResult<()>> {
                $crate::dialect::ansi_commit(conn)
            }

            fn rollback(
                conn: &mut Self::Conn,
            ) -> $crate::dialect::BoxFuture<'_, ::diesel::QueryResult<()>> {
                $crate::dialect::ansi_rollback(conn)
            }

            $crate::dialect::dialect_queries!();
        }
    };
}
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(unused_imports)
)]
pub(crate) use network_dialect;

/// Commits on `Ok`, rolls back on `Err`.
pub(crate) async fn finish<D: Dialect, T>(
    conn: &mut D::Conn,
    result: yauth_store::StoreResult<T>,
) -> yauth_store::StoreResult<T> {
    match result {
        Ok(value) => {
            D::commit(conn)
                .await
                .map_err(|e| crate::error::map_error(e, None))?;
            Ok(value)
        }
        Err(error) => {
            // The rollback's own failure is secondary: report the error that caused it.
            let _ = D::rollback(conn).await;
            Err(error)
        }
    }
}

/// Commits with the connection's diesel-async transaction manager.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]
pub(crate) fn ansi_commit<C: AsyncConnection>(conn: &mut C) -> BoxFuture<'_, QueryResult<()>> {
    Box::pin(<C as AsyncConnection>::TransactionManager::commit_transaction(conn))
}

/// Rolls back with the connection's diesel-async transaction manager.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]
pub(crate) fn ansi_rollback<C: AsyncConnection>(conn: &mut C) -> BoxFuture<'_, QueryResult<()>> {
    Box::pin(<C as AsyncConnection>::TransactionManager::rollback_transaction(conn))
}

/// Opens the standard transaction of the connection's transaction manager.
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
pub(crate) fn ansi_begin<C: AsyncConnection>(conn: &mut C) -> BoxFuture<'_, QueryResult<()>> {
    Box::pin(<C as AsyncConnection>::TransactionManager::begin_transaction(conn))
}

/// A row type that can be read by column name.
pub trait FromRow<S: SqlTypes>: Sized {
    /// Reads the row; `c` prefixes every column name.
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self>;
}

/// A row being read, with a column-name prefix (for the second table of a join).
pub struct Cols<'r, 'a, S, R> {
    row: &'r R,
    prefix: &'static str,
    _db: PhantomData<(&'a (), S)>,
}

impl<'r, 'a, S: SqlTypes, R: NamedRow<'a, S::Db>> Cols<'r, 'a, S, R> {
    /// The same row, read with another prefix.
    pub fn with_prefix(&self, prefix: &'static str) -> Cols<'r, 'a, S, R> {
        Cols {
            row: self.row,
            prefix,
            _db: PhantomData,
        }
    }

    fn name<'n>(&self, c: &'n str) -> Cow<'n, str> {
        if self.prefix.is_empty() {
            Cow::Borrowed(c)
        } else {
            Cow::Owned(format!("{}{c}", self.prefix))
        }
    }

    /// A UUID column.
    pub fn uuid(&self, c: &str) -> deserialize::Result<Uuid> {
        S::get_uuid(self.row, &self.name(c))
    }
    /// A nullable UUID column.
    pub fn opt_uuid(&self, c: &str) -> deserialize::Result<Option<Uuid>> {
        S::get_opt_uuid(self.row, &self.name(c))
    }
    /// An instant column.
    pub fn ts(&self, c: &str) -> deserialize::Result<OffsetDateTime> {
        S::get_ts(self.row, &self.name(c))
    }
    /// A nullable instant column.
    pub fn opt_ts(&self, c: &str) -> deserialize::Result<Option<OffsetDateTime>> {
        S::get_opt_ts(self.row, &self.name(c))
    }
    /// A JSON column.
    pub fn json(&self, c: &str) -> deserialize::Result<serde_json::Value> {
        S::get_json(self.row, &self.name(c))
    }
    /// A nullable JSON column.
    pub fn opt_json(&self, c: &str) -> deserialize::Result<Option<serde_json::Value>> {
        S::get_opt_json(self.row, &self.name(c))
    }
    /// A string column.
    pub fn text(&self, c: &str) -> deserialize::Result<String> {
        S::get_text(self.row, &self.name(c))
    }
    /// A nullable string column.
    pub fn opt_text(&self, c: &str) -> deserialize::Result<Option<String>> {
        S::get_opt_text(self.row, &self.name(c))
    }
    /// A boolean column.
    pub fn bool(&self, c: &str) -> deserialize::Result<bool> {
        S::get_bool(self.row, &self.name(c))
    }
    /// An `INTEGER` column.
    pub fn i32(&self, c: &str) -> deserialize::Result<i32> {
        S::get_i32(self.row, &self.name(c))
    }
    /// A nullable `INTEGER` column.
    pub fn opt_i32(&self, c: &str) -> deserialize::Result<Option<i32>> {
        S::get_opt_i32(self.row, &self.name(c))
    }
    /// A `BIGINT` column.
    pub fn i64(&self, c: &str) -> deserialize::Result<i64> {
        S::get_i64(self.row, &self.name(c))
    }
    /// A nullable `BIGINT` column.
    pub fn opt_i64(&self, c: &str) -> deserialize::Result<Option<i64>> {
        S::get_opt_i64(self.row, &self.name(c))
    }
}

/// Adapter from [`FromRow`] to diesel's [`QueryableByName`].
pub struct Rec<S, T>(pub T, PhantomData<S>);

impl<S: SqlTypes, T: FromRow<S>> QueryableByName<S::Db> for Rec<S, T> {
    fn build<'a>(row: &impl NamedRow<'a, S::Db>) -> deserialize::Result<Self> {
        let cols = Cols {
            row,
            prefix: "",
            _db: PhantomData,
        };
        T::from_row(&cols).map(|t| Rec(t, PhantomData))
    }
}

/// Two rows of a join: the first table's columns unprefixed, the second's prefixed `u_`.
impl<S: SqlTypes, A: FromRow<S>, B: FromRow<S>> FromRow<S> for (A, B) {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        Ok((A::from_row(c)?, B::from_row(&c.with_prefix("u_"))?))
    }
}

/// Renders a SQL template for a dialect.
///
/// Templates are written once for every dialect: `{p}` stands for the table-name prefix
/// (schema-qualified on PostgreSQL when a schema is configured), `{t}` for the same prefix
/// without the schema (to name the existing row in an upsert), `?` for a placeholder
/// (`$1`, `$2`, ... on PostgreSQL), `"ident"` for a quoted identifier (backticks on MySQL) and
/// `{esc}` for the `LIKE` escape character literal. For case-insensitive matching,
/// `{lower}(col) {ci_like} ?` is `col ILIKE ?` on PostgreSQL (which a trigram index serves) and
/// `LOWER(col) LIKE ?` elsewhere.
pub fn render(kind: Kind, prefix: &str, template: &str) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut n = 0;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("{p}") {
            out.push_str(prefix);
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix("{t}") {
            // The prefix without a schema: names the target row inside an upsert.
            out.push_str(prefix.rsplit('.').next().unwrap_or(prefix));
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix("{lower}") {
            if kind != Kind::Postgres {
                out.push_str("LOWER");
            }
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix("{ci_like}") {
            out.push_str(if kind == Kind::Postgres {
                "ILIKE"
            } else {
                "LIKE"
            });
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix("{esc}") {
            out.push_str(if kind == Kind::Mysql {
                "'\\\\'"
            } else {
                "'\\'"
            });
            rest = after;
            continue;
        }
        match c {
            '?' if kind == Kind::Postgres => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            '"' if kind == Kind::Mysql => out.push('`'),
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_per_dialect() {
        let t = r#"SELECT "key" FROM {p}challenges WHERE "key" = ? AND x LIKE ? ESCAPE {esc} AND y = ?"#;
        assert_eq!(
            render(Kind::Postgres, "\"s\".yauth_", t),
            r#"SELECT "key" FROM "s".yauth_challenges WHERE "key" = $1 AND x LIKE $2 ESCAPE '\' AND y = $3"#
        );
        assert_eq!(
            render(Kind::Mysql, "yauth_", t),
            r"SELECT `key` FROM yauth_challenges WHERE `key` = ? AND x LIKE ? ESCAPE '\\' AND y = ?"
        );
        assert_eq!(
            render(Kind::Sqlite, "yauth_", t),
            r#"SELECT "key" FROM yauth_challenges WHERE "key" = ? AND x LIKE ? ESCAPE '\' AND y = ?"#
        );
    }
}
