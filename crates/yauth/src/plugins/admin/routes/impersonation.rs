//! `POST /admin/users/{id}/impersonate` and `POST /admin/impersonation/stop`.
//!
//! The administrator's own session token moves to a second cookie (the session cookie's name
//! with `_admin` appended, same flags) while the session cookie carries the impersonation
//! session; stopping deletes the impersonation session and swaps them back. Nothing of the
//! administrator's session is stored elsewhere, and it keeps its own expiry meanwhile.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use yauth_entity::ADMIN_ROLE;

use super::super::AdminState;
use super::target;
use crate::auth::{AuthMethod, AuthUser, RequireAdmin};
use crate::crypto::hash_token;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Path};
use crate::session::SessionLifetime;
use crate::state::YAuthState;

/// The answer of starting or stopping an impersonation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImpersonationResponse {
    /// Who the session cookie now signs in as.
    pub user: AuthUser,
    /// When the impersonation session ends on its own; absent after stopping.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

fn admin_cookie_name(state: &YAuthState) -> String {
    format!("{}_admin", state.derived().cookie_name)
}

/// A cookie with the session cookie's flags under another name.
fn cookie_named(state: &YAuthState, name: String, value: String) -> Cookie<'static> {
    let mut cookie = state.session_cookie(value, None);
    cookie.set_name(name);
    cookie
}

/// Starts a session as a user, for support. Needs a recent sign-in with a session cookie;
/// administrators cannot be impersonated, nor banned users. The session is tagged with the
/// administrator, lasts `impersonation_ttl` at most and is audited.
#[utoipa::path(post, path = "/admin/users/{id}/impersonate", tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = ImpersonationResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(super) async fn start(
    State(s): State<AdminState>,
    RequireAdmin(admin): RequireAdmin,
    client: ClientInfo,
    jar: CookieJar,
    Path(id): Path<Uuid>,
) -> ApiResult<(CookieJar, axum::Json<ImpersonationResponse>)> {
    let config = &s.plugin.config;
    if !config.allow_impersonation {
        return Err(ApiError::forbidden(
            "impersonation_disabled",
            "Impersonation is turned off on this server.",
        ));
    }
    s.core.require_recent_authentication(&admin)?;
    let own_cookie = s.core.derived().cookie_name.clone();
    let own_token = match (admin.auth_method, jar.get(&own_cookie)) {
        (AuthMethod::Session, Some(cookie)) => cookie.value().to_owned(),
        _ => {
            return Err(ApiError::bad_request(
                "session_required",
                "Impersonation needs a session cookie, so that it can be stopped.",
            ));
        }
    };
    let user = target(&s, id).await?;
    if user.role == ADMIN_ROLE {
        return Err(ApiError::conflict(
            "admin_protected",
            "Administrators cannot be impersonated.",
        ));
    }
    if user.is_banned_at(s.core.now()) {
        return Err(ApiError::conflict(
            "account_banned",
            "A banned user cannot be impersonated.",
        ));
    }
    let lifetime = SessionLifetime {
        idle: config.impersonation_ttl,
        absolute: config.impersonation_ttl,
    };
    let (token, session) = s
        .core
        .create_session_for(&user, &client, lifetime, Some(admin.id), &[])
        .await?;
    s.core
        .emit(
            AuthEvent::ImpersonationStarted {
                user_id: user.id,
                admin_id: admin.id,
                session_id: session.id,
            },
            &client.event_context(),
        )
        .await;
    let mut me = AuthUser::from_user(&user, AuthMethod::Session, None);
    me.session_id = Some(session.id);
    me.impersonator_id = Some(admin.id);
    let jar = jar
        .add(cookie_named(&s.core, admin_cookie_name(&s.core), own_token))
        .add(s.core.session_cookie(token, None));
    Ok((
        jar,
        axum::Json(ImpersonationResponse {
            user: me,
            expires_at: Some(session.absolute_expires_at),
        }),
    ))
}

/// Ends an impersonation: the impersonation session is deleted and the administrator's own
/// session is back in the session cookie. Called with the impersonation session.
#[utoipa::path(post, path = "/admin/impersonation/stop", tag = "admin",
    responses((status = 200, body = ImpersonationResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub(super) async fn stop(
    State(s): State<AdminState>,
    me: AuthUser,
    client: ClientInfo,
    jar: CookieJar,
) -> ApiResult<Response> {
    let (Some(admin_id), Some(session_id)) = (me.impersonator_id, me.session_id) else {
        return Err(ApiError::bad_request(
            "not_impersonating",
            "This session is not an impersonation.",
        ));
    };
    let repos = s.core.repos();
    repos.sessions.delete_session(session_id).await?;
    s.core
        .emit(
            AuthEvent::ImpersonationStopped {
                user_id: me.id,
                admin_id,
                session_id,
            },
            &client.event_context(),
        )
        .await;
    let stash = admin_cookie_name(&s.core);
    let admin_token = jar.get(&stash).map(|c| c.value().to_owned());
    let mut removal = cookie_named(&s.core, stash, String::new());
    removal.make_removal();
    let jar = jar.add(removal);
    let admin_session = match admin_token {
        Some(token) => {
            let found = repos
                .sessions
                .validate_session(&hash_token(&token), s.core.now())
                .await?;
            found
                .filter(|(_, user)| user.id == admin_id && user.role == ADMIN_ROLE)
                .map(|found| (token, found))
        }
        None => None,
    };
    let Some((token, (session, admin))) = admin_session else {
        // The administrator's own session ended meanwhile: they sign in again.
        let error = ApiError::unauthorized_with(
            "admin_session_expired",
            "Impersonation stopped; your own session has ended: sign in again.",
        );
        return Ok((jar.add(s.core.removal_cookie()), error).into_response());
    };
    let mut user = AuthUser::from_user(&admin, AuthMethod::Session, None);
    user.session_id = Some(session.id);
    user.authenticated_at = Some(session.created_at);
    user.amr = session.amr_values().map(str::to_owned).collect();
    Ok((
        jar.add(s.core.session_cookie(token, None)),
        axum::Json(ImpersonationResponse {
            user,
            expires_at: None,
        }),
    )
        .into_response())
}
