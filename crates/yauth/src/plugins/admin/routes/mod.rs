//! The admin routes, and the checks they share.

mod audit;
mod impersonation;
mod sessions;
mod users;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use yauth_entity::{ADMIN_ROLE, User};
use yauth_store::{PageRequest, UserQuery};

pub(crate) use crate::routes::page_request as page;

use super::AdminState;
use crate::error::ApiError;

pub use audit::AuditListQuery;
pub use impersonation::ImpersonationResponse;
pub use sessions::{AdminSession, SessionList, SessionListQuery};
pub use users::{
    AdminUser, AdminUserDetail, BanRequest, UpdateUserRequest, UserList, UserListQuery,
};

pub(crate) fn protected(state: AdminState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(users::list))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::ban))
        .routes(routes!(users::unban))
        .routes(routes!(impersonation::start))
        .routes(routes!(impersonation::stop))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::terminate))
        .routes(routes!(audit::list))
        .with_state(state)
}

/// The user an admin route names, or 404.
async fn target(s: &AdminState, id: Uuid) -> Result<User, ApiError> {
    s.core
        .repos()
        .users
        .find_user(id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such user."))
}

/// Refuses an administrator acting on their own account in a way that could lock them out.
fn not_self(admin: Uuid, target: Uuid, what: &str) -> Result<(), ApiError> {
    if admin == target {
        return Err(ApiError::forbidden(
            "self_modification",
            format!("Administrators cannot {what} themselves; ask another administrator."),
        ));
    }
    Ok(())
}

/// Refuses removing the last active administrator. Call it holding `admin_removal`.
async fn not_last_admin(s: &AdminState, target: &User) -> Result<(), ApiError> {
    if target.role != ADMIN_ROLE {
        return Ok(());
    }
    let admins = s
        .core
        .repos()
        .users
        .list_users(&UserQuery {
            role: Some(ADMIN_ROLE.to_owned()),
            banned: Some(false),
            page: PageRequest {
                offset: 0,
                limit: 1,
            },
            ..UserQuery::default()
        })
        .await?;
    if admins.total <= 1 {
        return Err(ApiError::conflict(
            "last_admin",
            "This is the last administrator: promote another one first.",
        ));
    }
    Ok(())
}
