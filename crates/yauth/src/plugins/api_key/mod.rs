//! The api-key plugin: long-lived, scoped credentials for scripts and integrations.
//!
//! - `POST /api-keys` (step-up) creates a key for the signed-in user, with a name, optional
//!   scopes (never more than the creator holds) and an optional expiry, and shows it once:
//!   `yauth_<prefix>_<secret>`. Only the secret's SHA-256 is stored; the prefix finds it.
//! - `GET /api-keys` lists the user's keys without secrets; `DELETE /api-keys/{id}` deletes one.
//! - Requests carry a key as `Authorization: Bearer yauth_…` or `X-Api-Key: yauth_…`, tried
//!   after the session cookie and bearer tokens. The secret is compared in constant time; an
//!   expired key is 401 `api_key_expired`, a banned owner 403. `last_used_at` is written at most
//!   once per `last_used_resolution`.

mod config;
mod key;
mod routes;

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::request::Parts;
use utoipa::openapi::security::{ApiKey as ApiKeyScheme, ApiKeyValue, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use yauth_entity::ApiKey;
use yauth_store::ApiKeyRepository;

use crate::auth::{AuthMethod, AuthUser};
use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::error::ApiError;
use crate::plugin::{Authenticator, PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::ApiKeyConfig;
pub use routes::{ApiKeyInfo, CreateApiKeyRequest, CreatedApiKey};

/// The header that carries an API key when `Authorization` is not used.
pub const API_KEY_HEADER: &str = "x-api-key";

pub(crate) struct Inner {
    pub config: ApiKeyConfig,
    /// Resolved from the backend when the plugin was added.
    pub repo: Arc<dyn ApiKeyRepository>,
}

/// State of the plugin's handlers.
pub(crate) type ApiKeyState = PluginState<Inner>;

/// The plugin itself; added with [`YAuthBuilder::with_api_keys`].
pub struct ApiKeyPlugin {
    inner: Arc<Inner>,
}

impl YAuthBuilder {
    /// Enables API keys.
    pub fn with_api_keys(self, config: ApiKeyConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "api-key",
                message,
            });
        }
        let Some(repo) = self.repositories().api_keys.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "api-key",
                tables: PluginId::ApiKey.tables(),
            });
        };
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(ApiKeyPlugin {
                inner: Arc::new(Inner { config, repo }),
            }),
            id: Some(PluginId::ApiKey),
            sends_email: false,
        })
    }
}

impl YAuthPlugin for ApiKeyPlugin {
    fn name(&self) -> &'static str {
        "api-key"
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::protected(PluginState::new(state.clone(), self.inner.clone()))
    }

    fn security_schemes(&self) -> Vec<(&'static str, SecurityScheme)> {
        vec![(
            "api_key",
            SecurityScheme::ApiKey(ApiKeyScheme::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "An API key from POST /api-keys (also accepted as Authorization: Bearer).",
            ))),
        )]
    }

    fn authenticator(&self) -> Option<Arc<dyn Authenticator>> {
        Some(Arc::new(ApiKeyAuthenticator {
            inner: self.inner.clone(),
        }))
    }
}

/// A key's stored scopes; `None` means the owner's full rights.
pub(crate) fn scopes_of(key: &ApiKey) -> Option<Vec<String>> {
    key.scopes
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

struct ApiKeyAuthenticator {
    inner: Arc<Inner>,
}

/// The API key a request presents: in `Authorization: Bearer` (recognised by its prefix), or,
/// when the request has no bearer credential at all, in `X-Api-Key`.
fn presented_key(parts: &Parts) -> Option<&str> {
    match crate::auth::bearer_credential(parts) {
        Some(credential) => credential
            .starts_with(key::KEY_PREFIX)
            .then_some(credential),
        None => parts
            .headers
            .get(API_KEY_HEADER)?
            .to_str()
            .ok()
            .map(str::trim),
    }
}

#[async_trait]
impl Authenticator for ApiKeyAuthenticator {
    async fn authenticate(
        &self,
        parts: &Parts,
        state: &YAuthState,
    ) -> Result<Option<AuthUser>, ApiError> {
        let Some(presented) = presented_key(parts) else {
            return Ok(None);
        };
        let invalid = || ApiError::unauthorized_with("invalid_api_key", "The API key is invalid.");
        let (lookup, secret) = key::parse(presented).ok_or_else(invalid)?;
        let found = self.inner.repo.find_api_key_by_prefix(lookup).await?;
        // Unknown prefixes cost the same hash and comparison as known ones.
        let stored_hash = found.as_ref().map_or("", |(k, _)| k.key_hash.as_str());
        let matches = key::secret_matches(secret, stored_hash);
        let Some((api_key, user)) = found.filter(|_| matches) else {
            return Err(invalid());
        };
        let now = state.now();
        if !api_key.is_active_at(now) {
            return Err(ApiError::unauthorized_with(
                "api_key_expired",
                "The API key has expired.",
            ));
        }
        if user.is_banned_at(now) {
            return Err(ApiError::forbidden(
                "account_banned",
                "This account is banned.",
            ));
        }
        let resolution = self.inner.config.last_used_resolution;
        if api_key.last_used_at.is_none_or(|at| now - at >= resolution) {
            // Bookkeeping only: a failure is logged, the request goes on.
            if let Err(error) = self.inner.repo.touch_api_key(api_key.id, now).await {
                tracing::warn!(%error, api_key_id = %api_key.id, "recording API key use failed");
            }
        }
        Ok(Some(AuthUser::from_user(
            &user,
            AuthMethod::ApiKey,
            scopes_of(&api_key),
        )))
    }
}
