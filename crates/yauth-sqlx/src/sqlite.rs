//! The SQLite backend.

crate::backend::backend!(
    /// yauth's storage on SQLite through sqlx. Cloning is cheap (the pool is shared).
    ///
    /// Give the pool a busy timeout (sqlx's default is 5 s) and, for concurrent use, WAL mode:
    /// writers then wait for each other instead of failing.
    SqlxSqliteBackend, sqlite, sqlx::SqlitePool,
    example: "# async fn demo() -> Result<(), sqlx::Error> {
use std::str::FromStr;
let options = sqlx::sqlite::SqliteConnectOptions::from_str(\"sqlite://yauth.db\")?
    .create_if_missing(true)
    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
    .busy_timeout(std::time::Duration::from_secs(5));
let pool = sqlx::SqlitePool::connect_with(options).await?;
let backend = yauth_sqlx::sqlite::SqlxSqliteBackend::from_pool(pool);
# Ok(())
# }"
);
