//! The signed-in user's consents to clients: listed, and withdrawn (which also revokes the
//! client's tokens for the user). yauth's own API, so its errors have yauth's shape.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Path};
use crate::plugins::oauth2_server::ServerState;
use crate::plugins::oauth2_server::authorization::json_strings;

/// A client the user consented to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    /// The client.
    pub client_id: String,
    /// Its registered name.
    pub client_name: Option<String>,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// First consent.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The clients the signed-in user consented to, most recent first.
#[utoipa::path(get, path = "/oauth/consents", tag = "oauth2-server",
    responses((status = 200, body = Vec<ConsentView>)))]
pub(super) async fn list(
    State(s): State<ServerState>,
    user: AuthUser,
) -> ApiResult<axum::Json<Vec<ConsentView>>> {
    let repo = &s.plugin.repo;
    let mut views = Vec::new();
    for consent in repo.list_user_consents(user.id).await? {
        let client = repo.find_oauth2_client(&consent.client_id).await?;
        views.push(ConsentView {
            client_name: client.and_then(|c| c.client_name),
            scopes: json_strings(&consent.scopes),
            client_id: consent.client_id,
            created_at: consent.created_at,
            updated_at: consent.updated_at,
        });
    }
    Ok(axum::Json(views))
}

/// Withdraws the consent to a client and revokes every token the client holds for the user.
/// The next authorization request of that client asks again.
#[utoipa::path(delete, path = "/oauth/consents/{client_id}", tag = "oauth2-server",
    params(("client_id" = String, Path, description = "The client")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(super) async fn withdraw(
    State(s): State<ServerState>,
    user: AuthUser,
    client: ClientInfo,
    Path(client_id): Path<String>,
) -> ApiResult<StatusCode> {
    let tokens = s
        .plugin
        .tokens(&s.core)
        .map_err(|_| ApiError::unavailable())?;
    let existed = s.plugin.repo.delete_consent(user.id, &client_id).await?;
    tokens.revoke_client_grants(user.id, &client_id).await?;
    if !existed {
        return Err(ApiError::not_found("No consent to this client."));
    }
    tracing::info!(user_id = %user.id, client_id, "consent withdrawn");
    let withdrawn = AuthEvent::OauthConsentWithdrawn {
        user_id: user.id,
        client_id,
    };
    s.core.emit(withdrawn, &client.event_context()).await;
    Ok(StatusCode::NO_CONTENT)
}
