//! The signed-in user's passkeys: list, rename, delete.

use super::*;

/// A new label for a passkey.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRenameRequest {
    /// The label.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: String,
}

impl Validate for PasskeyRenameRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_text("name", &self.name, limits::NAME)?;
        if self.name.trim().is_empty() {
            return Err(ApiError::bad_request(
                "invalid_name",
                "The name must not be empty.",
            ));
        }
        Ok(())
    }
}

/// The signed-in user's passkeys, oldest first.
#[utoipa::path(get, path = "/passkeys", tag = "passkey",
    responses((status = 200, body = Vec<PasskeyInfo>)))]
pub(super) async fn list(
    State(s): State<PasskeyState>,
    me: AuthUser,
) -> ApiResult<axum::Json<Vec<PasskeyInfo>>> {
    let rows = s.plugin.repo.list_webauthn_credentials(me.id).await?;
    Ok(axum::Json(rows.iter().map(PasskeyInfo::from).collect()))
}

/// Renames one of the user's passkeys.
#[utoipa::path(patch, path = "/passkeys/{id}", tag = "passkey",
    params(("id" = Uuid, Path, description = "Passkey id")),
    request_body = PasskeyRenameRequest,
    responses((status = 200, body = PasskeyInfo), (status = 404, body = ErrorBody)))]
pub(super) async fn rename(
    State(s): State<PasskeyState>,
    me: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<PasskeyRenameRequest>,
) -> ApiResult<axum::Json<PasskeyInfo>> {
    let repo = &s.plugin.repo;
    let mut row = repo
        .list_webauthn_credentials(me.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(not_found)?;
    let name = body.name.trim().to_owned();
    if row.name != name && !repo.rename_webauthn_credential(me.id, id, &name).await? {
        return Err(not_found());
    }
    row.name = name;
    Ok(axum::Json(PasskeyInfo::from(&row)))
}

/// Removes one of the user's passkeys. Needs a recent sign-in.
#[utoipa::path(delete, path = "/passkeys/{id}", tag = "passkey",
    params(("id" = Uuid, Path, description = "Passkey id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn delete(
    State(s): State<PasskeyState>,
    client: ClientInfo,
    me: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    s.core.require_recent_authentication(&me)?;
    if !s.plugin.repo.delete_webauthn_credential(me.id, id).await? {
        return Err(not_found());
    }
    s.core
        .emit(
            AuthEvent::PasskeyDeleted {
                user_id: me.id,
                passkey_id: id,
            },
            &client.event_context(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}
