//! Value types and encodings shared by the three dialects.
//!
//! yauth stores the same values whatever the ORM (so one database works with the diesel, sqlx and
//! SeaORM backends alike):
//!
//! | logical | PostgreSQL | MySQL / MariaDB | SQLite |
//! |---|---|---|---|
//! | uuid | `UUID` | `CHAR(36)`, lowercase hyphenated | `TEXT`, lowercase hyphenated |
//! | timestamp | `TIMESTAMPTZ` | `DATETIME(6)`, UTC, bound as `DATETIME` | `TEXT`, `YYYY-MM-DDTHH:MM:SS.ffffffZ` |
//!
//! SeaORM's own bindings differ on MySQL and SQLite (a `Uuid` is bound as 16 bytes, a timestamp
//! as RFC 3339 with a variable number of digits), so every statement this crate runs goes through
//! [`portable`], which re-encodes the bound values for the connection's dialect. Use it too when
//! you write yauth tables through the [`entities`](crate::entities) yourself on MySQL or SQLite.

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, Value, ValueType, ValueTypeErr};
use sea_orm::{
    ColIdx, DbBackend, DbErr, QueryResult, Statement, StatementBuilder, TryFromU64, TryGetError,
    TryGetable,
};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;
use uuid::Uuid;

/// A UUID column: native `UUID` on PostgreSQL, hyphenated text on MySQL and SQLite.
///
/// Reading accepts both encodings; writing binds a `Uuid` value, which [`portable`] turns into
/// text on MySQL and SQLite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DbUuid(pub Uuid);

impl From<Uuid> for DbUuid {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl From<DbUuid> for Uuid {
    fn from(id: DbUuid) -> Self {
        id.0
    }
}

impl From<DbUuid> for Value {
    fn from(id: DbUuid) -> Self {
        Value::Uuid(Some(id.0))
    }
}

impl TryGetable for DbUuid {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        match <Uuid as TryGetable>::try_get_by(res, idx) {
            Ok(id) => Ok(Self(id)),
            Err(TryGetError::Null(col)) => Err(TryGetError::Null(col)),
            Err(_) => {
                let text = <String as TryGetable>::try_get_by(res, idx)?;
                Uuid::parse_str(&text).map(Self).map_err(|e| {
                    TryGetError::DbErr(DbErr::Type(format!("invalid uuid in column: {e}")))
                })
            }
        }
    }
}

impl ValueType for DbUuid {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Uuid(Some(id)) => Ok(Self(id)),
            Value::String(Some(s)) => Uuid::parse_str(&s).map(Self).map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "DbUuid".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Uuid
    }

    fn column_type() -> ColumnType {
        ColumnType::Uuid
    }
}

impl Nullable for DbUuid {
    fn null() -> Value {
        Value::Uuid(None)
    }
}

impl sea_orm::IntoActiveValue<DbUuid> for DbUuid {
    fn into_active_value(self) -> sea_orm::ActiveValue<DbUuid> {
        sea_orm::ActiveValue::Set(self)
    }
}

impl TryFromU64 for DbUuid {
    fn try_from_u64(_: u64) -> Result<Self, DbErr> {
        Err(DbErr::ConvertFromU64("DbUuid"))
    }
}

#[cfg(feature = "postgres")]
impl sea_orm::sea_query::postgres_array::NotU8 for DbUuid {}

/// The SQLite text form of a timestamp: UTC, always six fractional digits, so that comparing the
/// text compares the instants.
const SQLITE_TIME: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Formats a timestamp the way yauth stores it in SQLite: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC).
pub fn sqlite_timestamp(t: OffsetDateTime) -> String {
    let utc = t.to_offset(time::UtcOffset::UTC);
    // ok: formatting a valid date with a static description only fails for years beyond 9999,
    // which `time` cannot represent without its `large-dates` feature.
    utc.format(SQLITE_TIME)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

/// Renders `stmt` for `backend` with yauth's value encodings (see the module docs): on MySQL and
/// SQLite, UUIDs become hyphenated text; on SQLite, timestamps become fixed-width UTC text.
///
/// ```
/// use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait};
/// use yauth_seaorm::entities::users;
///
/// let id = uuid::Uuid::nil();
/// let select = users::Entity::find()
///     .filter(users::Column::Id.eq(id))
///     .into_query();
/// let stmt = yauth_seaorm::types::portable(DbBackend::Sqlite, &select);
/// assert_eq!(
///     stmt.values.unwrap().0[0],
///     sea_orm::Value::String(Some("00000000-0000-0000-0000-000000000000".into()))
/// );
/// ```
pub fn portable<S: StatementBuilder>(backend: DbBackend, stmt: &S) -> Statement {
    let mut stmt = backend.build(stmt);
    if let Some(values) = stmt.values.as_mut() {
        for value in &mut values.0 {
            encode(backend, value);
        }
    }
    stmt
}

/// Re-encodes one bound value for `backend`.
pub(crate) fn encode(backend: DbBackend, value: &mut Value) {
    let is_pg = backend == DbBackend::Postgres;
    let is_sqlite = backend == DbBackend::Sqlite;
    match value {
        Value::Uuid(id) if !is_pg => {
            *value = Value::String(id.map(|id| id.hyphenated().to_string()));
        }
        Value::TimeDateTimeWithTimeZone(t) if is_sqlite => {
            *value = Value::String(t.map(sqlite_timestamp));
        }
        // sqlx binds an `OffsetDateTime` as MySQL `TIMESTAMP` (1970-2038 only); a UTC
        // `PrimitiveDateTime` binds as `DATETIME`, the column's own type.
        Value::TimeDateTimeWithTimeZone(t) if backend == DbBackend::MySql => {
            *value = Value::TimeDateTime(t.map(|t| {
                let utc = t.to_offset(time::UtcOffset::UTC);
                time::PrimitiveDateTime::new(utc.date(), utc.time())
            }));
        }
        Value::Json(j) if is_sqlite => {
            *value = Value::String(j.as_ref().map(|j| j.to_string()));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_timestamps_have_six_digits_and_z() {
        let t = time::macros::datetime!(2024-01-02 03:04:05.000007 +02:00);
        assert_eq!(sqlite_timestamp(t), "2024-01-02T01:04:05.000007Z");
        let whole = time::macros::datetime!(2024-01-02 03:04:05 UTC);
        assert_eq!(sqlite_timestamp(whole), "2024-01-02T03:04:05.000000Z");
    }
}
