//! What differs between the dialects outside the SQL text: how values are bound and how a
//! writing transaction starts. The repositories (`crate::repos`) are written once and expanded
//! for each dialect with `use crate::dialect::<dialect> as c;`.

/// Per-dialect value encoders; every dialect module has the same functions.
macro_rules! encoders {
    (uuid: $u:ty = $uf:expr, time: $t:ty = $tf:expr, json: $j:ty = $jf:expr) => {
        /// A UUID as this dialect binds it.
        pub(crate) fn uuid(v: uuid::Uuid) -> $u {
            let f: fn(uuid::Uuid) -> $u = $uf;
            f(v)
        }
        /// An optional UUID as this dialect binds it.
        pub(crate) fn opt_uuid(v: Option<uuid::Uuid>) -> Option<$u> {
            v.map(uuid)
        }
        /// A timestamp as this dialect binds it.
        pub(crate) fn time(v: time::OffsetDateTime) -> $t {
            let f: fn(time::OffsetDateTime) -> $t = $tf;
            f(v.to_offset(time::UtcOffset::UTC))
        }
        /// An optional timestamp as this dialect binds it.
        pub(crate) fn opt_time(v: Option<time::OffsetDateTime>) -> Option<$t> {
            v.map(time)
        }
        /// A JSON document as this dialect binds it.
        pub(crate) fn json(v: &serde_json::Value) -> $j {
            let f: fn(&serde_json::Value) -> $j = $jf;
            f(v)
        }
        /// An optional JSON document as this dialect binds it.
        pub(crate) fn opt_json(v: Option<&serde_json::Value>) -> Option<$j> {
            v.map(json)
        }
    };
}

/// PostgreSQL: native `UUID`, `TIMESTAMPTZ` and `JSONB`.
#[cfg(feature = "postgres")]
pub(crate) mod pg {
    /// The sqlx database.
    pub(crate) type Db = sqlx::Postgres;
    /// The identifier quote.
    pub(crate) const IDENT_QUOTE: char = '"';

    encoders!(
        uuid: uuid::Uuid = |v| v,
        time: time::OffsetDateTime = |v| v,
        json: serde_json::Value = |v| v.clone()
    );

    /// Starts a transaction that will write.
    pub(crate) async fn begin_write(
        pool: &sqlx::Pool<Db>,
    ) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        pool.begin().await
    }
}

/// MySQL / MariaDB: `CHAR(36)` UUIDs, `DATETIME(6)` in UTC, JSON as text.
#[cfg(feature = "mysql")]
pub(crate) mod mysql {
    /// The sqlx database.
    pub(crate) type Db = sqlx::MySql;
    /// The identifier quote.
    pub(crate) const IDENT_QUOTE: char = '`';

    encoders!(
        uuid: String = |v| v.hyphenated().to_string(),
        time: time::PrimitiveDateTime = |v| time::PrimitiveDateTime::new(v.date(), v.time()),
        json: String = |v| v.to_string()
    );

    /// Starts a transaction that will write.
    pub(crate) async fn begin_write(
        pool: &sqlx::Pool<Db>,
    ) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        pool.begin().await
    }
}

/// SQLite: UUIDs and timestamps as text, JSON as text.
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite {
    /// The sqlx database.
    pub(crate) type Db = sqlx::Sqlite;
    /// The identifier quote: a grave accent, because SQLite reads a double-quoted name that
    /// matches no column as a string literal.
    pub(crate) const IDENT_QUOTE: char = '`';

    encoders!(
        uuid: String = |v| v.hyphenated().to_string(),
        time: String = crate::codec::format_timestamp,
        json: String = |v| v.to_string()
    );

    /// Starts a transaction that will write: `BEGIN IMMEDIATE` takes the write lock up front
    /// (waiting through the busy timeout), because a deferred transaction that later upgrades to
    /// writing fails with `SQLITE_BUSY` without waiting.
    pub(crate) async fn begin_write(
        pool: &sqlx::Pool<Db>,
    ) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }
}
