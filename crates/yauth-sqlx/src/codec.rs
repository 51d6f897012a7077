//! Values between the entities and the three dialects.
//!
//! Encodings (shared with the other ORM backends, so one database works with any of them):
//!
//! | logical | PostgreSQL | MySQL / MariaDB | SQLite |
//! |---|---|---|---|
//! | uuid | `UUID` | `CHAR(36)`, lowercase hyphenated | `TEXT`, lowercase hyphenated |
//! | timestamp | `TIMESTAMPTZ` | `DATETIME(6)` holding UTC | `TEXT` `YYYY-MM-DDTHH:MM:SS.ffffffZ` |
//! | bool | `BOOLEAN` | `TINYINT(1)` | `INTEGER` 0/1 |
//! | json | `JSONB` | `JSON` | `TEXT` |
//!
//! Writing: each dialect module (`pg`, `mysql`, `sqlite`) turns entity values into what its
//! driver binds. Reading: the query macros decode each column as the type the driver infers for
//! it and convert it with `.into()` into [`Col`] (a required column) or [`Opt`] (a nullable one),
//! whatever the dialect; [`Col::get`] and [`Opt::get`] then yield the entity's type, or
//! `StoreError::Internal` for a value that does not parse (a corrupted row).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use uuid::Uuid;
use yauth_store::{StoreError, StoreResult};

/// A required column, decoded from whichever type the dialect's driver produced.
#[derive(Debug)]
pub(crate) struct Col<T>(Result<T, String>);

/// A nullable column, decoded from whichever type the dialect's driver produced.
#[derive(Debug)]
pub(crate) struct Opt<T>(Result<Option<T>, String>);

impl<T> Col<T> {
    /// The value, or `Internal` naming the column when it did not decode.
    pub(crate) fn get(self, column: &str) -> StoreResult<T> {
        self.0
            .map_err(|why| StoreError::Internal(format!("column {column}: {why}")))
    }
}

impl<T> Opt<T> {
    /// The value, or `Internal` naming the column when it did not decode.
    pub(crate) fn get(self, column: &str) -> StoreResult<Option<T>> {
        self.0
            .map_err(|why| StoreError::Internal(format!("column {column}: {why}")))
    }
}

/// `From<S>` and `From<Option<S>>` for `Col<T>` and `Opt<T>`, given how to turn an `S` into a `T`.
macro_rules! decode_from {
    ($t:ty { $($s:ty => |$v:ident| $conv:expr;)* }) => {$(
        impl From<$s> for Col<$t> {
            fn from($v: $s) -> Self {
                Col($conv)
            }
        }
        impl From<Option<$s>> for Col<$t> {
            fn from(value: Option<$s>) -> Self {
                Col(value.ok_or_else(|| "unexpected NULL".to_owned()).and_then(|$v| $conv))
            }
        }
        impl From<$s> for Opt<$t> {
            fn from($v: $s) -> Self {
                Opt($conv.map(Some))
            }
        }
        impl From<Option<$s>> for Opt<$t> {
            fn from(value: Option<$s>) -> Self {
                Opt(value.map(|$v| $conv).transpose())
            }
        }
    )*};
}

decode_from!(Uuid {
    Uuid => |v| Ok(v);
    String => |v| Uuid::parse_str(&v).map_err(|e| e.to_string());
});

decode_from!(OffsetDateTime {
    OffsetDateTime => |v| Ok(v.to_offset(UtcOffset::UTC));
    PrimitiveDateTime => |v| Ok(v.assume_utc());
    String => |v| parse_timestamp(&v);
});

decode_from!(bool {
    bool => |v| Ok(v);
    i8 => |v| Ok(v != 0);
    i32 => |v| Ok(v != 0);
    i64 => |v| Ok(v != 0);
});

decode_from!(serde_json::Value {
    serde_json::Value => |v| Ok(v);
    String => |v| serde_json::from_str(&v).map_err(|e| e.to_string());
    Vec<u8> => |v| serde_json::from_slice(&v).map_err(|e| e.to_string());
});

decode_from!(String {
    String => |v| Ok(v);
});

decode_from!(i32 {
    i32 => |v| Ok(v);
    i64 => |v| i32::try_from(v).map_err(|e| e.to_string());
});

decode_from!(yauth_entity::DeviceCodeStatus {
    String => |v| yauth_entity::DeviceCodeStatus::parse(&v).ok_or_else(|| format!("unknown status {v:?}"));
});

decode_from!(yauth_entity::DeliveryStatus {
    String => |v| yauth_entity::DeliveryStatus::parse(&v).ok_or_else(|| format!("unknown status {v:?}"));
});

decode_from!(i64 {
    i64 => |v| Ok(v);
    i32 => |v| Ok(i64::from(v));
});

/// SQLite's timestamp text: always six fractional digits and `Z`, so text order is time order.
const SQLITE_TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Parses SQLite's timestamp text (or, leniently, any RFC 3339 timestamp).
fn parse_timestamp(text: &str) -> Result<OffsetDateTime, String> {
    PrimitiveDateTime::parse(text, SQLITE_TIMESTAMP)
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(text, &Rfc3339).map(|t| t.to_offset(UtcOffset::UTC)))
        .map_err(|e| format!("bad timestamp {text:?}: {e}"))
}

/// Formats a timestamp as SQLite's timestamp text (UTC, microseconds).
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    // ok: formatting into a String with a fixed, valid description cannot fail for years 0..=9999.
    t.format(SQLITE_TIMESTAMP).unwrap_or_else(|_| t.to_string())
}

/// A row that maps onto an entity.
pub(crate) trait IntoEntity {
    /// The entity.
    type Entity;
    /// Converts, failing with `Internal` on a corrupted value.
    fn into_entity(self) -> StoreResult<Self::Entity>;
}

/// Converts an optional row.
pub(crate) fn entity<R: IntoEntity>(row: Option<R>) -> StoreResult<Option<R::Entity>> {
    row.map(IntoEntity::into_entity).transpose()
}

/// Converts every row.
pub(crate) fn entities<R: IntoEntity>(rows: Vec<R>) -> StoreResult<Vec<R::Entity>> {
    rows.into_iter().map(IntoEntity::into_entity).collect()
}

/// A count from the database as the `u64` the traits return.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A page bound as the `i64` SQL wants.
pub(crate) fn bound(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sqlite_timestamps_have_six_digits_and_z() {
        let t = datetime!(2024-03-01 12:34:56.000100 UTC);
        assert_eq!(format_timestamp(t), "2024-03-01T12:34:56.000100Z");
        assert_eq!(parse_timestamp("2024-03-01T12:34:56.000100Z").unwrap(), t);
        let whole = datetime!(2024-03-01 00:00:00 UTC);
        assert_eq!(format_timestamp(whole), "2024-03-01T00:00:00.000000Z");
    }

    #[test]
    fn columns_decode_from_every_dialects_type() {
        let id = Uuid::now_v7();
        assert_eq!(Col::<Uuid>::from(id.to_string()).get("id").unwrap(), id);
        assert!(Col::<Uuid>::from("nope".to_owned()).get("id").is_err());
        assert!(Col::<bool>::from(1_i64).get("b").unwrap());
        assert_eq!(Opt::<i32>::from(None::<i64>).get("n").unwrap(), None);
        assert!(Col::<String>::from(None::<String>).get("s").is_err());
    }
}
