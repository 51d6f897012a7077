//! The three SQL types whose storage differs by dialect, with one Rust type each.
//!
//! | type | Rust | PostgreSQL | MySQL / MariaDB | SQLite |
//! |---|---|---|---|---|
//! | [`DbUuid`] | [`uuid::Uuid`] | `UUID` | `CHAR(36)` lowercase hyphenated | `TEXT` lowercase hyphenated |
//! | [`DbTs`] | [`time::OffsetDateTime`] | `TIMESTAMPTZ` | `DATETIME(6)` in UTC | `TEXT` `YYYY-MM-DDTHH:MM:SS.ffffffZ` |
//! | [`DbJson`] | [`serde_json::Value`] | `JSONB` | `JSON` | `TEXT` |
//!
//! Booleans, integers and strings use diesel's own `Bool`, `Integer`, `BigInt` and `Text`, which
//! already map to `BOOLEAN` / `tinyint(1)` / `INTEGER` 0-1 and so on.

use diesel::sql_types::SqlType;

/// A UUID: native on PostgreSQL, lowercase hyphenated text elsewhere.
#[derive(Debug, Clone, Copy, Default, SqlType, diesel::query_builder::QueryId)]
#[cfg_attr(
    feature = "postgres",
    diesel(postgres_type(oid = 2950, array_oid = 2951))
)]
#[cfg_attr(feature = "mysql", diesel(mysql_type(name = "String")))]
#[cfg_attr(feature = "sqlite", diesel(sqlite_type(name = "Text")))]
pub struct DbUuid;

/// A UTC instant with microsecond precision.
#[derive(Debug, Clone, Copy, Default, SqlType, diesel::query_builder::QueryId)]
#[cfg_attr(
    feature = "postgres",
    diesel(postgres_type(oid = 1184, array_oid = 1185))
)]
#[cfg_attr(feature = "mysql", diesel(mysql_type(name = "DateTime")))]
#[cfg_attr(feature = "sqlite", diesel(sqlite_type(name = "Text")))]
pub struct DbTs;

/// A JSON document.
#[derive(Debug, Clone, Copy, Default, SqlType, diesel::query_builder::QueryId)]
#[cfg_attr(
    feature = "postgres",
    diesel(postgres_type(oid = 3802, array_oid = 3807))
)]
#[cfg_attr(feature = "mysql", diesel(mysql_type(name = "String")))]
#[cfg_attr(feature = "sqlite", diesel(sqlite_type(name = "Text")))]
pub struct DbJson;

#[cfg(feature = "postgres")]
mod pg {
    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::serialize::{self, Output, ToSql};
    use diesel::sql_types;
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::{DbJson, DbTs, DbUuid};

    impl ToSql<DbUuid, Pg> for Uuid {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            <Uuid as ToSql<sql_types::Uuid, Pg>>::to_sql(self, out)
        }
    }
    impl FromSql<DbUuid, Pg> for Uuid {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            <Uuid as FromSql<sql_types::Uuid, Pg>>::from_sql(value)
        }
    }
    impl ToSql<DbTs, Pg> for OffsetDateTime {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            <OffsetDateTime as ToSql<sql_types::Timestamptz, Pg>>::to_sql(self, out)
        }
    }
    impl FromSql<DbTs, Pg> for OffsetDateTime {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            <OffsetDateTime as FromSql<sql_types::Timestamptz, Pg>>::from_sql(value)
        }
    }
    impl ToSql<DbJson, Pg> for serde_json::Value {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            <serde_json::Value as ToSql<sql_types::Jsonb, Pg>>::to_sql(self, out)
        }
    }
    impl FromSql<DbJson, Pg> for serde_json::Value {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            <serde_json::Value as FromSql<sql_types::Jsonb, Pg>>::from_sql(value)
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use diesel::deserialize::{self, FromSql};
    use diesel::mysql::{Mysql, MysqlValue};
    use diesel::serialize::{self, Output, ToSql};
    use diesel::sql_types;
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::{DbJson, DbTs, DbUuid};

    impl ToSql<DbUuid, Mysql> for Uuid {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
            let text = crate::types::format_uuid(*self);
            <str as ToSql<sql_types::Text, Mysql>>::to_sql(&text, &mut out.reborrow())
        }
    }
    impl FromSql<DbUuid, Mysql> for Uuid {
        fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
            let text = <String as FromSql<sql_types::Text, Mysql>>::from_sql(value)?;
            crate::types::parse_uuid(&text)
        }
    }
    impl ToSql<DbTs, Mysql> for OffsetDateTime {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
            let utc = self.to_offset(time::UtcOffset::UTC);
            <OffsetDateTime as ToSql<sql_types::Datetime, Mysql>>::to_sql(&utc, &mut out.reborrow())
        }
    }
    impl FromSql<DbTs, Mysql> for OffsetDateTime {
        fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
            <OffsetDateTime as FromSql<sql_types::Datetime, Mysql>>::from_sql(value)
        }
    }
    impl ToSql<DbJson, Mysql> for serde_json::Value {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
            <serde_json::Value as ToSql<sql_types::Json, Mysql>>::to_sql(self, out)
        }
    }
    impl FromSql<DbJson, Mysql> for serde_json::Value {
        fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
            <serde_json::Value as FromSql<sql_types::Json, Mysql>>::from_sql(value)
        }
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use diesel::deserialize::{self, FromSql};
    use diesel::serialize::{self, IsNull, Output, ToSql};
    use diesel::sql_types;
    use diesel::sqlite::{Sqlite, SqliteValue};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::{DbJson, DbTs, DbUuid};

    impl ToSql<DbUuid, Sqlite> for Uuid {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
            out.set_value(crate::types::format_uuid(*self));
            Ok(IsNull::No)
        }
    }
    impl FromSql<DbUuid, Sqlite> for Uuid {
        fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
            let text = <String as FromSql<sql_types::Text, Sqlite>>::from_sql(value)?;
            crate::types::parse_uuid(&text)
        }
    }
    impl ToSql<DbTs, Sqlite> for OffsetDateTime {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
            out.set_value(crate::types::format_sqlite_ts(*self));
            Ok(IsNull::No)
        }
    }
    impl FromSql<DbTs, Sqlite> for OffsetDateTime {
        fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
            let text = <String as FromSql<sql_types::Text, Sqlite>>::from_sql(value)?;
            crate::types::parse_sqlite_ts(&text)
        }
    }
    impl ToSql<DbJson, Sqlite> for serde_json::Value {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
            out.set_value(serde_json::to_string(self)?);
            Ok(IsNull::No)
        }
    }
    impl FromSql<DbJson, Sqlite> for serde_json::Value {
        fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
            let text = <String as FromSql<sql_types::Text, Sqlite>>::from_sql(value)?;
            crate::types::parse_json(&text)
        }
    }
}

/// The SQLite text form of an instant: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, always UTC with six
/// fractional digits, so that comparing the text compares the instants.
pub fn format_sqlite_ts(at: time::OffsetDateTime) -> String {
    let t = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parses [`format_sqlite_ts`]'s form back.
pub fn parse_sqlite_ts(
    text: &str,
) -> Result<time::OffsetDateTime, Box<dyn std::error::Error + Send + Sync>> {
    Ok(time::PrimitiveDateTime::parse(text, SQLITE_TS)?.assume_utc())
}

/// The text form of a UUID on MySQL and SQLite: lowercase, hyphenated.
pub fn format_uuid(id: uuid::Uuid) -> String {
    id.hyphenated().to_string()
}

/// Parses a UUID stored as text.
pub fn parse_uuid(text: &str) -> Result<uuid::Uuid, Box<dyn std::error::Error + Send + Sync>> {
    Ok(uuid::Uuid::parse_str(text.trim())?)
}

/// Parses a JSON document stored as text.
pub fn parse_json(
    text: &str,
) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
    Ok(serde_json::from_str(text)?)
}

const SQLITE_TS: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use time::macros::datetime;

    #[test]
    fn sqlite_timestamps_have_six_digits_and_round_trip() {
        let at = datetime!(2026-01-02 03:04:05.000007 UTC);
        let text = super::format_sqlite_ts(at);
        assert_eq!(text, "2026-01-02T03:04:05.000007Z");
        assert_eq!(super::parse_sqlite_ts(&text).unwrap(), at);
        let whole = datetime!(2026-01-02 03:04:05 +02:00);
        assert_eq!(
            super::format_sqlite_ts(whole),
            "2026-01-02T01:04:05.000000Z"
        );
    }
}
