//! The repository implementations, one file per repository (named as in `yauth_store::repos`),
//! all on [`Db`](crate::db::Db).

mod api_key;
mod audit;
mod bearer;
mod challenges;
mod email_password;
mod lockout;
mod magic_link;
mod maintenance;
mod mfa;
mod oauth;
mod oauth2_server;
mod oidc;
mod passkey;
mod rate_limits;
mod sealed;
mod sessions;
mod users;
mod webhooks;

use sea_orm::sea_query::{Expr, ExprTrait, IntoIden, Order, SelectStatement};
use sea_orm::{ColumnTrait, EntityTrait};
use yauth_store::{PageRequest, StoreResult};

use crate::db::Db;

/// Orders newest first by (`created_at`, `id`) and applies the page.
pub(crate) fn newest_first<C: ColumnTrait + IntoIden + Copy>(
    q: &mut SelectStatement,
    created_at: C,
    id: C,
) {
    q.order_by(created_at, Order::Desc)
        .order_by(id, Order::Desc);
}

/// Orders oldest first by (`created_at`, `id`).
pub(crate) fn oldest_first<C: ColumnTrait + IntoIden + Copy>(
    q: &mut SelectStatement,
    created_at: C,
    id: C,
) {
    q.order_by(created_at, Order::Asc).order_by(id, Order::Asc);
}

/// Applies a page request.
pub(crate) fn page(q: &mut SelectStatement, page: PageRequest) {
    q.limit(page.limit).offset(page.offset);
}

/// `SELECT 1 FROM E WHERE pk = id`: whether the row exists.
pub(crate) async fn exists<E: EntityTrait>(
    db: &Db,
    conn: &impl crate::db::Conn,
    entity: E,
    col: E::Column,
    value: sea_orm::Value,
) -> StoreResult<bool>
where
    E::Column: IntoIden,
{
    let mut q = db.select(entity);
    q.and_where(Expr::col(col).eq(value)).limit(1);
    Ok(!db.rows(conn, &q).await?.is_empty())
}
