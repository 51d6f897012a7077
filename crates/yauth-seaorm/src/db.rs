//! The one implementation behind the three dialects: statement building, execution with yauth's
//! value encodings, transactions, the atomic write patterns and the error mapping.

use std::sync::Arc;

use sea_orm::sea_query::{
    Alias, Asterisk, Condition, DeleteStatement, Expr, Func, InsertStatement, IntoIden, Query,
    SchemaName, SelectStatement, TableName, TableRef, UpdateStatement,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    FromQueryResult, IsolationLevel, Iterable, QueryResult, RuntimeErr, SqliteTransactionMode,
    StatementBuilder, TransactionOptions, TransactionTrait,
};
use yauth_store::{StoreError, StoreResult, constraint};

use crate::types::portable;

/// A connection plus what the repositories need to know about it.
pub(crate) struct Db {
    pub(crate) conn: DatabaseConnection,
    pub(crate) backend: DbBackend,
    /// PostgreSQL schema holding the tables, when not the search path's.
    schema: Option<Arc<str>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl Db {
    pub(crate) fn new(conn: DatabaseConnection, schema: Option<&str>) -> Self {
        let backend = conn.get_database_backend();
        let schema = match backend {
            DbBackend::Postgres => schema.map(Arc::from),
            _ => None,
        };
        Self {
            conn,
            backend,
            schema,
        }
    }

    /// Whether the dialect has `RETURNING` on `INSERT`, `UPDATE` and `DELETE`.
    pub(crate) fn returning(&self) -> bool {
        matches!(self.backend, DbBackend::Postgres | DbBackend::Sqlite)
    }

    /// The table of `E`, qualified by the configured PostgreSQL schema.
    pub(crate) fn table<E: EntityTrait>(&self, entity: E) -> TableRef {
        let schema = self
            .schema
            .as_deref()
            .map(|s| SchemaName(None, Alias::new(s).into_iden()));
        TableRef::Table(TableName(schema, entity.into_iden()), None)
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
            let tx = self.begin().await?;
            self.exec(&tx, &insert).await?;
            let mut sel = self.select(entity);
            sel.cond_where(reread);
            let row = self.one(&tx, &sel).await?;
            tx.commit().await.map_err(map_err)?;
            row
        };
        row.ok_or_else(|| StoreError::Internal("the upserted row was not returned".into()))
    }
}

/// Stable constraint names by physical unique index (the names `yauth-migration` gives them) and
/// by the SQLite description (`table.col, table.col`).
const UNIQUE_RULES: &[(&str, &[&str], &str)] = &[
    ("users", &["email"], constraint::USERS_EMAIL),
    ("sessions", &["token_hash"], constraint::SESSIONS_TOKEN_HASH),
    (
        "email_verifications",
        &["token_hash"],
        constraint::EMAIL_VERIFICATIONS_TOKEN_HASH,
    ),
    (
        "password_resets",
        &["token_hash"],
        constraint::PASSWORD_RESETS_TOKEN_HASH,
    ),
    (
        "webauthn_credentials",
        &["credential_id"],
        constraint::WEBAUTHN_CREDENTIAL_ID,
    ),
    (
        "oauth_accounts",
        &["provider", "provider_user_id"],
        constraint::OAUTH_ACCOUNTS_PROVIDER_USER,
    ),
    (
        "oauth_accounts",
        &["user_id", "provider"],
        constraint::OAUTH_ACCOUNTS_USER_PROVIDER,
    ),
    ("oauth_states", &["state"], constraint::OAUTH_STATES_STATE),
    (
        "refresh_tokens",
        &["token_hash"],
        constraint::REFRESH_TOKENS_TOKEN_HASH,
    ),
    ("api_keys", &["key_prefix"], constraint::API_KEYS_PREFIX),
    (
        "magic_links",
        &["token_hash"],
        constraint::MAGIC_LINKS_TOKEN_HASH,
    ),
    (
        "oauth2_clients",
        &["client_id"],
        constraint::OAUTH2_CLIENTS_CLIENT_ID,
    ),
    (
        "authorization_codes",
        &["code_hash"],
        constraint::AUTHORIZATION_CODES_CODE_HASH,
    ),
    (
        "device_codes",
        &["device_code_hash"],
        constraint::DEVICE_CODES_DEVICE_CODE_HASH,
    ),
    (
        "device_codes",
        &["user_code"],
        constraint::DEVICE_CODES_USER_CODE,
    ),
    (
        "unlock_tokens",
        &["token_hash"],
        constraint::UNLOCK_TOKENS_TOKEN_HASH,
    ),
    ("signing_keys", &["kid"], constraint::SIGNING_KEYS_KID),
];

/// Tables whose primary key is a natural key with its own stable conflict name.
const NATURAL_KEYS: &[(&str, &str)] = &[
    ("oauth_states", constraint::OAUTH_STATES_STATE),
    ("signing_keys", constraint::SIGNING_KEYS_KID),
];

/// The stable name of a unique rule from the database's own name for it.
///
/// `index` is a PostgreSQL constraint name or MySQL key name (`yauth_users_email_key`,
/// `yauth_oauth_states_pkey`, `PRIMARY`, `yauth_users.PRIMARY`), or SQLite's
/// `yauth_users.email` / `yauth_t.a, yauth_t.b` list.
pub(crate) fn stable_constraint(index: &str, table_hint: Option<&str>) -> String {
    let index = index.trim();
    let unprefixed = |t: &str| t.strip_prefix("yauth_").unwrap_or(t).to_owned();
    // MySQL 8 qualifies the key with its table: "yauth_users.yauth_users_email_key".
    if let Some((table, key)) = index.split_once('.')
        && !index.contains(", ")
        && (key == "PRIMARY" || key.ends_with("_key") || key.ends_with("_pkey"))
    {
        return stable_constraint(key, Some(table));
    }
    // SQLite names the columns: "yauth_t.a, yauth_t.b".
    if index.contains('.') {
        let mut table = String::new();
        let mut cols = Vec::new();
        for part in index.split(", ") {
            if let Some((t, c)) = part.split_once('.') {
                table = unprefixed(t);
                cols.push(c);
            }
        }
        if let Some((_, _, name)) = UNIQUE_RULES
            .iter()
            .find(|(t, c, _)| *t == table && *c == cols.as_slice())
        {
            return (*name).to_owned();
        }
        if cols == ["id"] {
            return constraint::PRIMARY_KEY.to_owned();
        }
        return format!("{table}.{}", cols.join("_"));
    }
    // PostgreSQL and MariaDB name the index (or `<table>_pkey` / `PRIMARY`).
    let base = unprefixed(index);
    for (table, cols, name) in UNIQUE_RULES {
        if base == format!("{table}_{}_key", cols.join("_")) {
            return (*name).to_owned();
        }
    }
    let table = table_hint.map(unprefixed);
    let pk_table = if index == "PRIMARY" {
        Some(table.clone().unwrap_or_default())
    } else {
        base.strip_suffix("_pkey").map(str::to_owned)
    };
    if let Some(pk_table) = pk_table {
        return NATURAL_KEYS
            .iter()
            .find(|(t, _)| *t == pk_table)
            .map_or(constraint::PRIMARY_KEY, |(_, name)| name)
            .to_owned();
    }
    if let Some(table) = table
        && let Some(cols) = base
            .strip_prefix(&format!("{table}_"))
            .and_then(|rest| rest.strip_suffix("_key"))
    {
        return format!("{table}.{cols}");
    }
    base
}

/// Maps every SeaORM / driver error onto [`StoreError`]: the one error mapping of this crate.
pub(crate) fn map_err(err: DbErr) -> StoreError {
    map_err_on(err, None)
}

/// [`map_err`] for a statement on `table` (MySQL's `PRIMARY` key conflicts name no table).
pub(crate) fn map_err_on(err: DbErr, table: Option<&str>) -> StoreError {
    let sqlx = match &err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e.clone()),
        _ => None,
    };
    match (&err, sqlx) {
        (DbErr::ConnectionAcquire(e), _) => StoreError::Unavailable(e.to_string()),
        (_, Some(e)) => map_sqlx(&e, table),
        (DbErr::Conn(_), None) => StoreError::Unavailable("database connection failed".into()),
        _ => StoreError::Internal(short(&err.to_string())),
    }
}

fn map_sqlx(e: &sea_orm::sqlx::Error, table: Option<&str>) -> StoreError {
    use sea_orm::sqlx::Error as E;
    use sea_orm::sqlx::error::ErrorKind;
    match e {
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
            StoreError::Unavailable(short(&e.to_string()))
        }
        E::Database(db) => {
            let message = db.message();
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    let name = db
                        .constraint()
                        .map(str::to_owned)
                        .or_else(|| unique_name_from_message(message))
                        .unwrap_or_default();
                    StoreError::conflict(&stable_constraint(&name, table))
                }
                ErrorKind::ForeignKeyViolation => StoreError::NotFound,
                _ if transient(db.as_ref()) => StoreError::Unavailable(short(message)),
                _ => StoreError::Internal(short(message)),
            }
        }
        _ => StoreError::Internal(short(&e.to_string())),
    }
}

/// Errors that say the database is there but could not serve us in time: deadlocks,
/// serialization failures, lock waits, busy SQLite files, too many connections, shutdowns.
fn transient(db: &dyn sea_orm::sqlx::error::DatabaseError) -> bool {
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        // Lock wait timeout, deadlock, too many connections, server shutdown.
        return matches!(my.number(), 1205 | 1213 | 1040 | 1053);
    }
    let code = db.code().unwrap_or_default();
    matches!(
        code.as_ref(),
        // PostgreSQL: deadlock, serialization failure, lock not available, statement timeout,
        // admin shutdown, too many connections, cannot connect now.
        "40P01" | "40001" | "55P03" | "57014" | "57P01" | "53300" | "57P03"
        // SQLite: BUSY, LOCKED and their extended codes.
        | "5" | "6" | "261" | "517" | "262"
    )
}

/// The key name in a MySQL duplicate-entry message, or the column list in SQLite's.
fn unique_name_from_message(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("UNIQUE constraint failed: ") {
        return Some(rest.to_owned());
    }
    let at = message.rfind("for key '")?;
    let key = &message[at + "for key '".len()..];
    Some(key.trim_end_matches('\'').to_owned())
}

/// Driver messages never carry SQL here, but keep them short for logs.
fn short(message: &str) -> String {
    message.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unique index the generator writes maps to a stable name, whether the database
    /// reports the index name (PostgreSQL, MySQL) or the column list (SQLite).
    #[test]
    fn every_generated_unique_index_has_its_stable_name() {
        use yauth_migration::{Dialect, SchemaConfig, up_statements};
        // Unique rules that only back upserts: no caller ever sees a conflict on them.
        let upsert_only = [
            "totp_secrets.user_id",
            "account_locks.user_id",
            "consents.user_id_client_id",
        ];
        let mut seen = 0;
        for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
            for stmt in up_statements(&SchemaConfig::all_plugins(dialect)).unwrap_or_default() {
                let Some(rest) = stmt.strip_prefix("CREATE UNIQUE INDEX ") else {
                    continue;
                };
                let unquote = |s: &str| s.trim_matches(|c| c == '"' || c == '`').to_owned();
                let mut words = rest.split_whitespace();
                let index = unquote(words.next().unwrap_or_default());
                let table = unquote(words.nth(1).unwrap_or_default());
                let cols: Vec<String> = rest
                    .split_once('(')
                    .map(|(_, c)| c.trim_end_matches([')', ';']))
                    .unwrap_or_default()
                    .split(", ")
                    .map(unquote)
                    .collect();
                let by_index = stable_constraint(&index, Some(&table));
                let sqlite = cols
                    .iter()
                    .map(|c| format!("{table}.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                assert_eq!(stable_constraint(&sqlite, None), by_index, "{stmt}");
                let known = UNIQUE_RULES.iter().any(|(_, _, name)| *name == by_index);
                assert!(
                    known || upsert_only.contains(&by_index.as_str()),
                    "{stmt}: no stable name ({by_index})"
                );
                seen += 1;
            }
        }
        assert!(
            seen > 40,
            "the generator wrote too few unique indexes: {seen}"
        );
    }

    #[test]
    fn constraint_names_from_every_dialect() {
        assert_eq!(
            stable_constraint("yauth_users_email_key", None),
            constraint::USERS_EMAIL
        );
        assert_eq!(
            stable_constraint("yauth_users.email", None),
            constraint::USERS_EMAIL
        );
        assert_eq!(
            stable_constraint("yauth_users.yauth_users_email_key", None),
            constraint::USERS_EMAIL
        );
        assert_eq!(
            stable_constraint(
                "yauth_oauth_accounts.user_id, yauth_oauth_accounts.provider",
                None
            ),
            constraint::OAUTH_ACCOUNTS_USER_PROVIDER
        );
        assert_eq!(
            stable_constraint("yauth_oauth_states_pkey", None),
            constraint::OAUTH_STATES_STATE
        );
        assert_eq!(
            stable_constraint("PRIMARY", Some("yauth_signing_keys")),
            constraint::SIGNING_KEYS_KID
        );
        assert_eq!(
            stable_constraint("PRIMARY", Some("yauth_users")),
            constraint::PRIMARY_KEY
        );
        assert_eq!(
            stable_constraint("yauth_users.id", None),
            constraint::PRIMARY_KEY
        );
        assert_eq!(stable_constraint("PRIMARY", None), constraint::PRIMARY_KEY);
        assert_eq!(
            stable_constraint("yauth_users.PRIMARY", None),
            constraint::PRIMARY_KEY
        );
        assert_eq!(
            stable_constraint("yauth_oauth_states.state", None),
            constraint::OAUTH_STATES_STATE
        );
        assert_eq!(
            unique_name_from_message("Duplicate entry 'a@b' for key 'yauth_users_email_key'")
                .as_deref(),
            Some("yauth_users_email_key")
        );
    }
}
