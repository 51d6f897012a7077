//! `/webhooks`: administrators create, list, inspect, update, delete and test webhooks, and
//! redeliver one delivery.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use yauth_entity::{DeliveryStatus, Webhook, WebhookDelivery, WebhookUpdate, new_id};
use yauth_store::SealedColumn;

use super::destination::Refused;
use super::{TEST_EVENT, WebhookState, payload, signing};
use crate::auth::RequireAdmin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::events::AuthEvent;
use crate::extract::{ClientInfo, Json, Path};
use crate::input::Validate;
use crate::keyring::SealedPlace;

pub(crate) fn protected(state: WebhookState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
        .routes(routes!(test))
        .routes(routes!(redeliver))
        .with_state(state)
}

/// How many deliveries `GET /webhooks/{id}` shows, newest first.
pub(crate) const HISTORY: u32 = 100;
/// Most event types one webhook subscribes to.
const MAX_EVENTS: usize = 64;

/// A new webhook.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where deliveries are POSTed: `https://` (or `http://` where the server allows it), never
    /// an internal address.
    #[schema(min_length = 1, max_length = 2048)]
    pub url: String,
    /// The event types to deliver (`login_succeeded`, `user_registered`, ...), at least one.
    #[schema(min_items = 1, max_items = 64)]
    pub events: Vec<String>,
    /// Whether it receives deliveries (default `true`).
    #[serde(default)]
    pub active: Option<bool>,
}

/// A change to a webhook; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    /// New target URL.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    /// New event types.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 64)]
    pub events: Option<Vec<String>>,
    /// Turn deliveries on or off.
    #[serde(default)]
    pub active: Option<bool>,
    /// Replace the signing secret; the new one is in the answer, once.
    #[serde(default)]
    pub rotate_secret: bool,
}

fn check_events(events: &[String]) -> Result<(), ApiError> {
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(ApiError::bad_request(
            "invalid_events",
            format!("Subscribe to 1 to {MAX_EVENTS} event types."),
        ));
    }
    if let Some(unknown) = events
        .iter()
        .find(|e| !AuthEvent::TYPES.contains(&e.as_str()) && e.as_str() != TEST_EVENT)
    {
        crate::input::check_text("events", unknown, 64)?;
        return Err(ApiError::bad_request(
            "invalid_events",
            format!("{unknown} is not an event type."),
        ));
    }
    Ok(())
}

fn check_url_text(url: &str) -> Result<(), ApiError> {
    crate::input::check_text("url", url, super::destination::MAX_URL_LEN)
}

impl Validate for CreateWebhookRequest {
    fn validate(&self) -> Result<(), ApiError> {
        check_url_text(&self.url)?;
        check_events(&self.events)
    }
}

impl Validate for UpdateWebhookRequest {
    fn validate(&self) -> Result<(), ApiError> {
        if let Some(url) = &self.url {
            check_url_text(url)?;
        }
        if let Some(events) = &self.events {
            check_events(events)?;
        }
        Ok(())
    }
}

/// A webhook as shown: never its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookInfo {
    /// Webhook id.
    pub id: Uuid,
    /// The administrator who created it.
    pub owner_id: Option<Uuid>,
    /// Target URL.
    pub url: String,
    /// Subscribed event types.
    pub events: Vec<String>,
    /// Whether it receives deliveries.
    pub active: bool,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&Webhook> for WebhookInfo {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id,
            owner_id: w.user_id,
            url: w.url.clone(),
            events: serde_json::from_value(w.events.clone()).unwrap_or_default(),
            active: w.active,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A created webhook and its signing secret, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    /// The Standard Webhooks signing secret (`whsec_…`), for the receiver's verifier.
    pub secret: String,
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookInfo,
}

/// An updated webhook; `secret` only when it was rotated.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdatedWebhook {
    /// The new signing secret, when `rotate_secret` was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookInfo,
}

/// One delivery and its last attempt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryInfo {
    /// Delivery id: the `webhook-id` header of every attempt.
    pub id: Uuid,
    /// Event type.
    pub event_type: String,
    /// The JSON body sent.
    pub payload: serde_json::Value,
    /// `pending`, `in_flight`, `succeeded` or `failed` (retries exhausted: dead-lettered).
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempt: i32,
    /// When the next attempt is due (for `pending`).
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    /// HTTP status of the last attempt.
    pub status_code: Option<i32>,
    /// The start of the receiver's last answer (at most 1 KiB).
    pub response_body: Option<String>,
    /// Why the last attempt got no answer.
    pub error: Option<String>,
    /// How long the last attempt took, in milliseconds.
    pub duration_ms: Option<i32>,
    /// When the event was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the last attempt ended.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&WebhookDelivery> for DeliveryInfo {
    fn from(d: &WebhookDelivery) -> Self {
        Self {
            id: d.id,
            event_type: d.event_type.clone(),
            payload: d.payload.clone(),
            status: d.status,
            attempt: d.attempt,
            next_attempt_at: d.next_attempt_at,
            status_code: d.status_code,
            response_body: d.response_body.clone(),
            error: d.last_error.clone(),
            duration_ms: d.duration_ms,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A webhook and its newest deliveries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDetails {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookInfo,
    /// Its newest deliveries (at most 100), newest first.
    pub deliveries: Vec<DeliveryInfo>,
}

/// A refused destination as a client error.
fn refused(reason: Refused) -> ApiError {
    ApiError::bad_request("invalid_webhook_url", reason.to_string())
}

fn not_found() -> ApiError {
    ApiError::not_found("No such webhook.")
}

/// The URL, checked by the SSRF guard now (deliveries are checked again when they are sent).
async fn checked_url(s: &WebhookState, url: &str) -> Result<String, ApiError> {
    let own = &s.plugin;
    own.policy
        .check(own.config.resolver.as_ref(), url.trim())
        .await
        .map(String::from)
        .map_err(refused)
}

/// A new secret, sealed for the row `id`, and how it is shown.
fn new_secret(s: &WebhookState, id: Uuid) -> Result<(String, String), ApiError> {
    let ring = s
        .core
        .key_ring()
        .ok_or_else(|| ApiError::internal("webhooks run without a key ring"))?;
    let key = signing::generate_secret();
    let row = id.to_string();
    let sealed = ring.seal(
        &SealedPlace::new(SealedColumn::WebhookSecret, &row),
        key.as_slice(),
    );
    Ok((sealed, signing::display_secret(key.as_slice())))
}

fn sorted(mut events: Vec<String>) -> Vec<String> {
    events.sort();
    events.dedup();
    events
}

/// Creates a webhook (administrators, recent sign-in) and shows its signing secret once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = CreateWebhookRequest,
    responses((status = 201, body = CreatedWebhook), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create(
    State(s): State<WebhookState>,
    client: ClientInfo,
    RequireAdmin(admin): RequireAdmin,
    Json(body): Json<CreateWebhookRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedWebhook>)> {
    s.core.require_recent_authentication(&admin)?;
    let url = checked_url(&s, &body.url).await?;
    let own = &s.plugin;
    if own.repo.count_webhooks(admin.id).await? >= own.config.max_webhooks {
        return Err(ApiError::conflict(
            "too_many_webhooks",
            format!(
                "An administrator owns at most {} webhooks; delete one first.",
                own.config.max_webhooks
            ),
        ));
    }
    let id = new_id();
    let (secret_enc, secret) = new_secret(&s, id)?;
    let now = yauth_entity::truncate_to_micros(s.core.now());
    let webhook = Webhook {
        id,
        user_id: Some(admin.id),
        url,
        secret_enc,
        events: json!(sorted(body.events)),
        active: body.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    own.repo.create_webhook(&webhook).await?;
    s.core
        .emit(
            AuthEvent::WebhookCreated {
                admin_id: admin.id,
                webhook_id: id,
            },
            &client.event_context(),
        )
        .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedWebhook {
            secret,
            webhook: WebhookInfo::from(&webhook),
        }),
    ))
}

/// Every webhook (administrators), oldest first.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookInfo>), (status = 403, body = ErrorBody)))]
pub(super) async fn list(
    State(s): State<WebhookState>,
    _admin: RequireAdmin,
) -> ApiResult<axum::Json<Vec<WebhookInfo>>> {
    let webhooks = s.plugin.repo.list_webhooks(None).await?;
    Ok(axum::Json(webhooks.iter().map(WebhookInfo::from).collect()))
}

async fn find(s: &WebhookState, id: Uuid) -> Result<Webhook, ApiError> {
    s.plugin.repo.find_webhook(id).await?.ok_or_else(not_found)
}

/// A webhook and its newest deliveries (administrators).
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 200, body = WebhookDetails), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn show(
    State(s): State<WebhookState>,
    _admin: RequireAdmin,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<WebhookDetails>> {
    let webhook = find(&s, id).await?;
    let deliveries = s.plugin.repo.list_deliveries(id, HISTORY).await?;
    Ok(axum::Json(WebhookDetails {
        webhook: WebhookInfo::from(&webhook),
        deliveries: deliveries.iter().map(DeliveryInfo::from).collect(),
    }))
}

/// Changes a webhook's URL, events or state, or rotates its secret (administrators, recent
/// sign-in).
#[utoipa::path(put, path = "/webhooks/{id}", tag = "webhooks", request_body = UpdateWebhookRequest,
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 200, body = UpdatedWebhook), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn update(
    State(s): State<WebhookState>,
    client: ClientInfo,
    RequireAdmin(admin): RequireAdmin,
    Path(id): Path<Uuid>,
    Json(body): Json<UpdateWebhookRequest>,
) -> ApiResult<axum::Json<UpdatedWebhook>> {
    s.core.require_recent_authentication(&admin)?;
    find(&s, id).await?;
    let url = match &body.url {
        Some(url) => Some(checked_url(&s, url).await?),
        None => None,
    };
    let (secret_enc, secret) = match body.rotate_secret {
        true => {
            let (sealed, shown) = new_secret(&s, id)?;
            (Some(sealed), Some(shown))
        }
        false => (None, None),
    };
    let change = WebhookUpdate {
        url,
        secret_enc,
        events: body.events.map(|e| json!(sorted(e))),
        active: body.active,
    };
    let webhook = s
        .plugin
        .repo
        .update_webhook(id, &change, s.core.now())
        .await
        .map_err(|e| match e {
            yauth_store::StoreError::NotFound => not_found(),
            other => other.into(),
        })?;
    s.core
        .emit(
            AuthEvent::WebhookUpdated {
                admin_id: admin.id,
                webhook_id: id,
                secret_rotated: secret.is_some(),
            },
            &client.event_context(),
        )
        .await;
    Ok(axum::Json(UpdatedWebhook {
        secret,
        webhook: WebhookInfo::from(&webhook),
    }))
}

/// Deletes a webhook and its delivery history (administrators).
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn delete(
    State(s): State<WebhookState>,
    client: ClientInfo,
    RequireAdmin(admin): RequireAdmin,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    if !s.plugin.repo.delete_webhook(id).await? {
        return Err(not_found());
    }
    s.core
        .emit(
            AuthEvent::WebhookDeleted {
                admin_id: admin.id,
                webhook_id: id,
            },
            &client.event_context(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a `webhook_test` delivery to the webhook (administrators); its outcome shows on
/// `GET /webhooks/{id}`.
#[utoipa::path(post, path = "/webhooks/{id}/test", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 202, body = DeliveryInfo), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn test(
    State(s): State<WebhookState>,
    RequireAdmin(admin): RequireAdmin,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, axum::Json<DeliveryInfo>)> {
    let webhook = find(&s, id).await?;
    let body = payload(
        TEST_EVENT,
        s.core.now(),
        json!({ "webhook_id": id, "admin_id": admin.id }),
    );
    let delivery = s
        .plugin
        .enqueue(&webhook, TEST_EVENT, body, &s.core)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(DeliveryInfo::from(&delivery)),
    ))
}

/// Sends one of the webhook's deliveries again, as a new delivery with the same payload
/// (administrators).
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Webhook id"),
        ("delivery_id" = Uuid, Path, description = "One of its deliveries")),
    responses((status = 202, body = DeliveryInfo), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(super) async fn redeliver(
    State(s): State<WebhookState>,
    _admin: RequireAdmin,
    Path((id, delivery_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, axum::Json<DeliveryInfo>)> {
    let webhook = find(&s, id).await?;
    let original = s
        .plugin
        .repo
        .find_delivery(delivery_id)
        .await?
        .filter(|d| d.webhook_id == id)
        .ok_or_else(|| ApiError::not_found("The webhook has no such delivery."))?;
    let delivery = s
        .plugin
        .enqueue(&webhook, &original.event_type, original.payload, &s.core)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(DeliveryInfo::from(&delivery)),
    ))
}
