//! The macros that let one repository implementation serve three dialects while every query
//! stays a compile-time checked `sqlx::query!`-family macro with literal SQL.
//!
//! Each repository file defines a `macro_rules!` whose body is the implementation, written once;
//! `pg.rs`, `mysql.rs` and `sqlite.rs` expand it with their dialect's name. Inside, [`sql!`]
//! picks the dialect's SQL literal from the variants written side by side at the call site, and
//! [`by_dialect!`] picks a block where the statements themselves differ (MySQL has no
//! `RETURNING`).
//!
//! SQL texts must differ between dialects (the offline data in `.sqlx/` is keyed by the hash of
//! the text and records its database): PostgreSQL uses `$1`, MySQL `?`, SQLite `?1`; a query
//! without parameters carries a `-- dialect` comment.

/// `sql!(dialect, query_as(Row) | query | query_scalar, [args...], pg: "...", mysql: "...",
/// sqlite: "...")`: the sqlx macro call with the SQL of `dialect`. A variant written
/// `mysql [args...]: "..."` binds its own arguments (MySQL's `?` cannot be reused). Variants may
/// be omitted where the call site is dialect-specific. A variant's SQL may also be a `+`
/// concatenation of literals in parentheses, `pg: ("SELECT " + "1")`, for SQL assembled by a
/// macro.
macro_rules! sql {
    // Found the dialect's variant, with its own arguments.
    (@pick pg [$($call:tt)*] [$($arg:expr),*] pg [$($own:expr),* $(,)?]: $lit:tt $(, $($rest:tt)*)?) => {
        $crate::macros::sql!(@call [$($call)*] $lit [$($own),*])
    };
    (@pick mysql [$($call:tt)*] [$($arg:expr),*] mysql [$($own:expr),* $(,)?]: $lit:tt $(, $($rest:tt)*)?) => {
        $crate::macros::sql!(@call [$($call)*] $lit [$($own),*])
    };
    (@pick sqlite [$($call:tt)*] [$($arg:expr),*] sqlite [$($own:expr),* $(,)?]: $lit:tt $(, $($rest:tt)*)?) => {
        $crate::macros::sql!(@call [$($call)*] $lit [$($own),*])
    };
    // Found the dialect's variant, with the shared arguments.
    (@pick pg [$($call:tt)*] [$($arg:expr),*] pg: $lit:tt $(, $($rest:tt)*)?) => {
        $crate::macros::sql!(@call [$($call)*] $lit [$($arg),*])
    };
    (@pick mysql [$($call:tt)*] [$($arg:expr),*] mysql: $lit:tt $(, $($rest:tt)*)?) => {
        $crate::macros::sql!(@call [$($call)*] $lit [$($arg),*])
    };
    (@pick sqlite [$($call:tt)*] [$($arg:expr),*] sqlite: $lit:tt $(, $($rest:tt)*)?) => {
        $crate::macros::sql!(@call [$($call)*] $lit [$($arg),*])
    };
    // Another dialect's variant: skip it.
    (@pick $d:ident [$($call:tt)*] [$($arg:expr),*] $other:ident $([$($own:expr),* $(,)?])?: $lit:tt $(, $($rest:tt)*)?) => {
        $crate::macros::sql!(@pick $d [$($call)*] [$($arg),*] $($($rest)*)?)
    };
    // SQL written as a `+` concatenation of literals in parentheses (for SQL that a macro
    // assembles from literals), which the sqlx macros accept without the parentheses.
    (@call [query_as($row:ident)] ($($lit:tt)+) [$($arg:expr),*]) => {
        sqlx::query_as!($row, $($lit)+ $(, $arg)*)
    };
    (@call [$m:ident] ($($lit:tt)+) [$($arg:expr),*]) => {
        sqlx::$m!($($lit)+ $(, $arg)*)
    };
    (@call [query_as($row:ident)] $lit:tt [$($arg:expr),*]) => {
        sqlx::query_as!($row, $lit $(, $arg)*)
    };
    (@call [$m:ident] $lit:tt [$($arg:expr),*]) => {
        sqlx::$m!($lit $(, $arg)*)
    };
    ($d:ident, $m:ident $(($row:ident))?, [$($arg:expr),* $(,)?], $($variants:tt)*) => {
        $crate::macros::sql!(@pick $d [$m $(($row))?] [$($arg),*] $($variants)*)
    };
}

/// `by_dialect!(dialect, returning: { ... }, mysql: { ... })`: the block for the dialect.
/// `returning` is PostgreSQL's and SQLite's (both have `RETURNING` and `ON CONFLICT`).
macro_rules! by_dialect {
    (pg, returning: $r:block, mysql: $m:block $(,)?) => {
        $r
    };
    (sqlite, returning: $r:block, mysql: $m:block $(,)?) => {
        $r
    };
    (mysql, returning: $r:block, mysql: $m:block $(,)?) => {
        $m
    };
}

pub(crate) use {by_dialect, sql};
