//! Per-backend type plumbing: binding and reading the yauth SQL types of [`crate::types`].

use diesel::backend::{Backend, DieselReserveSpecialization};
use diesel::deserialize;
use diesel::row::NamedRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::dialect::Q;

/// Binding and reading the yauth SQL types on one diesel backend. Implemented by the dialect
/// marker types (not by the diesel backend itself), so a crate outside this one can add a
/// dialect for a backend it does not own.
pub trait SqlTypes: Sized + 'static {
    /// The diesel backend.
    type Db: Backend + DieselReserveSpecialization + 'static;

    /// Binds a UUID.
    fn bind_uuid(q: Q<'_, Self::Db>, v: Uuid) -> Q<'_, Self::Db>;
    /// Binds a nullable UUID.
    fn bind_opt_uuid(q: Q<'_, Self::Db>, v: Option<Uuid>) -> Q<'_, Self::Db>;
    /// Binds an instant.
    fn bind_ts(q: Q<'_, Self::Db>, v: OffsetDateTime) -> Q<'_, Self::Db>;
    /// Binds a nullable instant.
    fn bind_opt_ts(q: Q<'_, Self::Db>, v: Option<OffsetDateTime>) -> Q<'_, Self::Db>;
    /// Binds a JSON document.
    fn bind_json<'f>(q: Q<'f, Self::Db>, v: &'f serde_json::Value) -> Q<'f, Self::Db>;
    /// Binds a nullable JSON document.
    fn bind_opt_json<'f>(q: Q<'f, Self::Db>, v: Option<&'f serde_json::Value>) -> Q<'f, Self::Db>;
    /// Binds a string.
    fn bind_text<'f>(q: Q<'f, Self::Db>, v: &'f str) -> Q<'f, Self::Db>;
    /// Binds an owned string.
    fn bind_string(q: Q<'_, Self::Db>, v: String) -> Q<'_, Self::Db>;
    /// Binds a nullable string.
    fn bind_opt_text<'f>(q: Q<'f, Self::Db>, v: Option<&'f str>) -> Q<'f, Self::Db>;
    /// Binds a boolean.
    fn bind_bool(q: Q<'_, Self::Db>, v: bool) -> Q<'_, Self::Db>;
    /// Binds an `INTEGER`.
    fn bind_i32(q: Q<'_, Self::Db>, v: i32) -> Q<'_, Self::Db>;
    /// Binds a nullable `INTEGER`.
    fn bind_opt_i32(q: Q<'_, Self::Db>, v: Option<i32>) -> Q<'_, Self::Db>;
    /// Binds a `BIGINT`.
    fn bind_i64(q: Q<'_, Self::Db>, v: i64) -> Q<'_, Self::Db>;
    /// Binds a nullable `BIGINT`.
    fn bind_opt_i64(q: Q<'_, Self::Db>, v: Option<i64>) -> Q<'_, Self::Db>;

    /// Reads a UUID column.
    fn get_uuid<'a, R: NamedRow<'a, Self::Db>>(r: &R, c: &str) -> deserialize::Result<Uuid>;
    /// Reads a nullable UUID column.
    fn get_opt_uuid<'a, R: NamedRow<'a, Self::Db>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<Uuid>>;
    /// Reads an instant column.
    fn get_ts<'a, R: NamedRow<'a, Self::Db>>(r: &R, c: &str)
    -> deserialize::Result<OffsetDateTime>;
    /// Reads a nullable instant column.
    fn get_opt_ts<'a, R: NamedRow<'a, Self::Db>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<OffsetDateTime>>;
    /// Reads a JSON column.
    fn get_json<'a, R: NamedRow<'a, Self::Db>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<serde_json::Value>;
    /// Reads a nullable JSON column.
    fn get_opt_json<'a, R: NamedRow<'a, Self::Db>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<serde_json::Value>>;
    /// Reads a string column.
    fn get_text<'a, R: NamedRow<'a, Self::Db>>(r: &R, c: &str) -> deserialize::Result<String>;
    /// Reads a nullable string column.
    fn get_opt_text<'a, R: NamedRow<'a, Self::Db>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<String>>;
    /// Reads a boolean column.
    fn get_bool<'a, R: NamedRow<'a, Self::Db>>(r: &R, c: &str) -> deserialize::Result<bool>;
    /// Reads an `INTEGER` column.
    fn get_i32<'a, R: NamedRow<'a, Self::Db>>(r: &R, c: &str) -> deserialize::Result<i32>;
    /// Reads a nullable `INTEGER` column.
    fn get_opt_i32<'a, R: NamedRow<'a, Self::Db>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<i32>>;
    /// Reads a `BIGINT` column.
    fn get_i64<'a, R: NamedRow<'a, Self::Db>>(r: &R, c: &str) -> deserialize::Result<i64>;
    /// Reads a nullable `BIGINT` column.
    fn get_opt_i64<'a, R: NamedRow<'a, Self::Db>>(
        r: &R,
        c: &str,
    ) -> deserialize::Result<Option<i64>>;
}

/// Implements [`SqlTypes`] for a dialect marker over a concrete diesel backend: every method is the same text, checked
/// against that backend's `ToSql`/`FromSql` impls.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(unused_macros)
)]
macro_rules! impl_sql_backend {
    ($marker:ty, $db:ty) => {
        impl $crate::dialect::SqlTypes for $marker {
            type Db = $db;

            fn bind_uuid(
                q: $crate::dialect::Q<'_, Self::Db>,
                v: ::uuid::Uuid,
            ) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<$crate::types::DbUuid, _>(v)
            }
            fn bind_opt_uuid(
                q: $crate::dialect::Q<'_, Self::Db>,
                v: Option<::uuid::Uuid>,
            ) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<::diesel::sql_types::Nullable<$crate::types::DbUuid>, _>(v)
            }
            fn bind_ts(
                q: $crate::dialect::Q<'_, Self::Db>,
                v: ::time::OffsetDateTime,
            ) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<$crate::types::DbTs, _>(v)
            }
            fn bind_opt_ts(
                q: $crate::dialect::Q<'_, Self::Db>,
                v: Option<::time::OffsetDateTime>,
            ) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<::diesel::sql_types::Nullable<$crate::types::DbTs>, _>(v)
            }
            fn bind_json<'f>(
                q: $crate::dialect::Q<'f, Self::Db>,
                v: &'f ::serde_json::Value,
            ) -> $crate::dialect::Q<'f, Self::Db> {
                q.bind::<$crate::types::DbJson, _>(v)
            }
            fn bind_opt_json<'f>(
                q: $crate::dialect::Q<'f, Self::Db>,
                v: Option<&'f ::serde_json::Value>,
            ) -> $crate::dialect::Q<'f, Self::Db> {
                q.bind::<::diesel::sql_types::Nullable<$crate::types::DbJson>, _>(v)
            }
            fn bind_text<'f>(
                q: $crate::dialect::Q<'f, Self::Db>,
                v: &'f str,
            ) -> $crate::dialect::Q<'f, Self::Db> {
                q.bind::<::diesel::sql_types::Text, _>(v)
            }
            fn bind_string(
                q: $crate::dialect::Q<'_, Self::Db>,
                v: String,
            ) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<::diesel::sql_types::Text, _>(v)
            }
            fn bind_opt_text<'f>(
                q: $crate::dialect::Q<'f, Self::Db>,
                v: Option<&'f str>,
            ) -> $crate::dialect::Q<'f, Self::Db> {
                q.bind::<::diesel::sql_types::Nullable<::diesel::sql_types::Text>, _>(v)
            }
            fn bind_bool(q: $crate::dialect::Q<'_, Self::Db>, v: bool) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<::diesel::sql_types::Bool, _>(v)
            }
            fn bind_i32(q: $crate::dialect::Q<'_, Self::Db>, v: i32) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<::diesel::sql_types::Integer, _>(v)
            }
            fn bind_opt_i32(
                q: $crate::dialect::Q<'_, Self::Db>,
                v: Option<i32>,
            ) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<::diesel::sql_types::Nullable<::diesel::sql_types::Integer>, _>(v)
            }
            fn bind_i64(q: $crate::dialect::Q<'_, Self::Db>, v: i64) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<::diesel::sql_types::BigInt, _>(v)
            }
            fn bind_opt_i64(
                q: $crate::dialect::Q<'_, Self::Db>,
                v: Option<i64>,
            ) -> $crate::dialect::Q<'_, Self::Db> {
                q.bind::<::diesel::sql_types::Nullable<::diesel::sql_types::BigInt>, _>(v)
            }
            fn get_uuid<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<::uuid::Uuid> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<$crate::types::DbUuid, _>(r, c)
            }
            fn get_opt_uuid<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<Option<::uuid::Uuid>> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<
                    ::diesel::sql_types::Nullable<$crate::types::DbUuid>,
                    _,
                >(r, c)
            }
            fn get_ts<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<::time::OffsetDateTime> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<$crate::types::DbTs, _>(r, c)
            }
            fn get_opt_ts<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<Option<::time::OffsetDateTime>> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<
                    ::diesel::sql_types::Nullable<$crate::types::DbTs>,
                    _,
                >(r, c)
            }
            fn get_json<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<::serde_json::Value> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<$crate::types::DbJson, _>(r, c)
            }
            fn get_opt_json<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<Option<::serde_json::Value>> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<
                    ::diesel::sql_types::Nullable<$crate::types::DbJson>,
                    _,
                >(r, c)
            }
            fn get_text<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<String> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<::diesel::sql_types::Text, _>(r, c)
            }
            fn get_opt_text<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<Option<String>> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<
                    ::diesel::sql_types::Nullable<::diesel::sql_types::Text>,
                    _,
                >(r, c)
            }
            fn get_bool<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<bool> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<::diesel::sql_types::Bool, _>(r, c)
            }
            fn get_i32<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<i32> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<::diesel::sql_types::Integer, _>(
                    r, c,
                )
            }
            fn get_opt_i32<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<Option<i32>> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<
                    ::diesel::sql_types::Nullable<::diesel::sql_types::Integer>,
                    _,
                >(r, c)
            }
            fn get_i64<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<i64> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<::diesel::sql_types::BigInt, _>(
                    r, c,
                )
            }
            fn get_opt_i64<'a, R: ::diesel::row::NamedRow<'a, Self::Db>>(
                r: &R,
                c: &str,
            ) -> ::diesel::deserialize::Result<Option<i64>> {
                <R as ::diesel::row::NamedRow<'a, Self::Db>>::get::<
                    ::diesel::sql_types::Nullable<::diesel::sql_types::BigInt>,
                    _,
                >(r, c)
            }
        }
    };
}
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(unused_imports)
)]
pub(crate) use impl_sql_backend;
