//! `POST /api-keys`, `GET /api-keys` and `DELETE /api-keys/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use yauth_entity::{ApiKey, new_id};

use super::ApiKeyState;
use super::key;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Json, Path};
use crate::input::{self, Validate, limits};

pub(crate) fn protected(state: ApiKeyState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(delete))
        .with_state(state)
}

/// Most scopes one key may carry.
const MAX_SCOPES: usize = 32;

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// A label, to recognise the key in the list.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: String,
    /// The scopes the key carries, each one the creator holds; absent gives the key the
    /// creator's own rights.
    #[serde(default)]
    #[schema(max_items = 32)]
    pub scopes: Option<Vec<String>>,
    /// When the key stops working (RFC 3339, in the future); absent never expires, unless the
    /// server sets a maximum lifetime.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl Validate for CreateApiKeyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        input::check_text("name", &self.name, limits::NAME)?;
        if self.name.trim().is_empty() {
            return Err(ApiError::bad_request(
                "invalid_name",
                "The name must not be empty.",
            ));
        }
        if let Some(scopes) = &self.scopes {
            if scopes.len() > MAX_SCOPES {
                return Err(ApiError::bad_request(
                    "invalid_scope",
                    format!("A key carries at most {MAX_SCOPES} scopes."),
                ));
            }
            if let Some(bad) = scopes.iter().find(|s| !key::is_scope(s)) {
                input::check_text("scopes", bad, 64)?;
                return Err(ApiError::bad_request(
                    "invalid_scope",
                    "A scope is 1 to 64 characters of letters, digits and : . _ - /",
                ));
            }
        }
        Ok(())
    }
}

/// An API key as listed: never its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyInfo {
    /// Key id.
    pub id: Uuid,
    /// Its label.
    pub name: String,
    /// The lookup part of the key (`yauth_<prefix>_…`), to tell keys apart.
    pub prefix: String,
    /// Its scopes; absent means the owner's full rights.
    pub scopes: Option<Vec<String>>,
    /// When it last authenticated a request (to within a minute).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it stops working; absent never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&ApiKey> for ApiKeyInfo {
    fn from(key: &ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name.clone(),
            prefix: key.key_prefix.clone(),
            scopes: super::scopes_of(key),
            last_used_at: key.last_used_at,
            expires_at: key.expires_at,
            created_at: key.created_at,
        }
    }
}

/// A created key: the only time its full value is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key, for `X-Api-Key` or `Authorization: Bearer`. Store it now: it cannot be shown
    /// again.
    pub key: String,
    /// The key's metadata, as listed.
    #[serde(flatten)]
    pub info: ApiKeyInfo,
}

/// Creates an API key for the signed-in user (never for anyone else), shown once. Needs a
/// recent sign-in; its scopes may not exceed the caller's.
#[utoipa::path(post, path = "/api-keys", tag = "api-key", request_body = CreateApiKeyRequest,
    responses((status = 201, body = CreatedApiKey), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(super) async fn create(
    State(s): State<ApiKeyState>,
    client: ClientInfo,
    me: AuthUser,
    Json(body): Json<CreateApiKeyRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedApiKey>)> {
    s.core.require_recent_authentication(&me)?;
    let config = &s.plugin.config;
    let now = s.core.now();
    let scopes = granted_scopes(&me, body.scopes, config.allowed_scopes.as_deref())?;
    if let Some(at) = body.expires_at
        && at <= now
    {
        return Err(ApiError::bad_request(
            "invalid_expiry",
            "expires_at must be in the future.",
        ));
    }
    if let Some(max) = config.max_lifetime
        && body.expires_at.is_none_or(|at| at > now + max)
    {
        return Err(ApiError::bad_request(
            "invalid_expiry",
            format!(
                "Keys on this server expire within {} days: set expires_at.",
                max.whole_days()
            ),
        ));
    }
    let repo = &s.plugin.repo;
    if repo.list_api_keys(me.id).await?.len() >= config.max_keys_per_user {
        return Err(ApiError::conflict(
            "too_many_api_keys",
            format!(
                "An account holds at most {} API keys; delete one first.",
                config.max_keys_per_user
            ),
        ));
    }
    let new_key = key::generate();
    let row = ApiKey {
        id: new_id(),
        user_id: me.id,
        key_prefix: new_key.lookup,
        key_hash: new_key.secret_hash,
        name: body.name.trim().to_owned(),
        scopes: scopes.as_ref().map(|s| serde_json::json!(s)),
        last_used_at: None,
        expires_at: body.expires_at.map(yauth_entity::truncate_to_micros),
        created_at: now,
    };
    repo.create_api_key(&row).await?;
    s.core
        .emit(
            AuthEvent::ApiKeyCreated {
                user_id: me.id,
                api_key_id: row.id,
            },
            &client.event_context(),
        )
        .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedApiKey {
            key: new_key.key,
            info: ApiKeyInfo::from(&row),
        }),
    ))
}

/// The scopes a new key gets: the requested ones, each held by the creator and allowed by the
/// server; without a request, the creator's own.
fn granted_scopes(
    me: &AuthUser,
    requested: Option<Vec<String>>,
    allowed: Option<&[String]>,
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(mut requested) = requested else {
        return Ok(me.scopes.clone());
    };
    requested.sort();
    requested.dedup();
    if let Some(missing) = requested.iter().find(|s| !me.has_scope(s)) {
        return Err(ApiError::forbidden(
            "insufficient_scope",
            format!("You cannot grant the {missing} scope: your credential lacks it."),
        ));
    }
    if let Some(allowed) = allowed
        && let Some(unknown) = requested.iter().find(|s| !allowed.contains(s))
    {
        return Err(ApiError::bad_request(
            "invalid_scope",
            format!("{unknown} is not a scope of this server."),
        ));
    }
    Ok(Some(requested))
}

/// The signed-in user's API keys, oldest first, without their secrets.
#[utoipa::path(get, path = "/api-keys", tag = "api-key",
    responses((status = 200, body = Vec<ApiKeyInfo>)))]
pub(super) async fn list(
    State(s): State<ApiKeyState>,
    me: AuthUser,
) -> ApiResult<axum::Json<Vec<ApiKeyInfo>>> {
    let keys = s.plugin.repo.list_api_keys(me.id).await?;
    Ok(axum::Json(keys.iter().map(ApiKeyInfo::from).collect()))
}

/// Deletes one of the signed-in user's API keys; it stops working at once.
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "api-key",
    params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(super) async fn delete(
    State(s): State<ApiKeyState>,
    client: ClientInfo,
    me: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    if !s.plugin.repo.delete_api_key(me.id, id).await? {
        return Err(ApiError::not_found("No such API key."));
    }
    s.core
        .emit(
            AuthEvent::ApiKeyDeleted {
                user_id: me.id,
                api_key_id: id,
            },
            &client.event_context(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}
