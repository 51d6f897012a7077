//! The repositories, written once as macros over the dialect and expanded by `pg.rs`,
//! `mysql.rs` and `sqlite.rs` (see [`crate::macros`]). One file per repository, named as in
//! `yauth_store::repos`.

pub(crate) mod api_key;
pub(crate) mod audit;
pub(crate) mod bearer;
pub(crate) mod challenges;
pub(crate) mod email_password;
pub(crate) mod lockout;
pub(crate) mod magic_link;
pub(crate) mod maintenance;
pub(crate) mod mfa;
pub(crate) mod oauth;
pub(crate) mod oauth2_server;
pub(crate) mod oidc;
pub(crate) mod passkey;
pub(crate) mod rate_limits;
pub(crate) mod sealed;
pub(crate) mod sessions;
pub(crate) mod users;
pub(crate) mod webhooks;

/// The pool every repository of one backend shares; implements every repository trait for
/// each enabled dialect.
pub(crate) struct Store<DB: sqlx::Database> {
    pub(crate) pool: sqlx::Pool<DB>,
}

/// Implements every repository trait on `Store<Db>` of the dialect.
macro_rules! impl_repositories {
    ($d:ident) => {
        $crate::repos::users::users!($d);
        $crate::repos::sessions::sessions!($d);
        $crate::repos::audit::audit!($d);
        $crate::repos::challenges::challenges!($d);
        $crate::repos::rate_limits::rate_limits!($d);
        $crate::repos::maintenance::maintenance!($d);
        $crate::repos::email_password::email_password!($d);
        $crate::repos::passkey::passkey!($d);
        $crate::repos::mfa::mfa!($d);
        $crate::repos::oauth::oauth!($d);
        $crate::repos::bearer::bearer!($d);
        $crate::repos::api_key::api_key!($d);
        $crate::repos::magic_link::magic_link!($d);
        $crate::repos::oauth2_server::oauth2_server!($d);
        $crate::repos::lockout::lockout!($d);
        $crate::repos::webhooks::webhooks!($d);
        $crate::repos::oidc::oidc!($d);
        $crate::repos::sealed::sealed!($d);
    };
}
pub(crate) use impl_repositories;

/// MySQL's single-use consumption (it has no `RETURNING`): `row` was read with the consumable
/// condition, and `claim` runs the `UPDATE` / `DELETE` guarded by the same condition and returns
/// the number of rows it changed. The caller whose statement changed the row is the one winner
/// and gets `row`; the others get `None`.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
pub(crate) async fn claimed<R, F, Fut>(
    row: Option<R>,
    claim: F,
) -> yauth_store::StoreResult<Option<R>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<u64, sqlx::Error>>,
{
    let Some(row) = row else {
        return Ok(None);
    };
    let changed = claim().await.map_err(crate::error::db_err)?;
    Ok((changed == 1).then_some(row))
}

/// MySQL's single-use marking (it has no `RETURNING`): `changed` is the row count of the
/// `UPDATE` guarded by the consumable condition; the one caller that changed the row reads it
/// back with `read`, the others get `None`.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
pub(crate) async fn read_if_won<R, F, Fut>(
    changed: Result<u64, sqlx::Error>,
    read: F,
) -> yauth_store::StoreResult<Option<R>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<R>, sqlx::Error>>,
{
    if changed.map_err(crate::error::db_err)? != 1 {
        return Ok(None);
    }
    read().await.map_err(crate::error::db_err)
}
