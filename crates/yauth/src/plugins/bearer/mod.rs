//! The bearer plugin: short-lived JWT access tokens (RFC 9068) with rotating, single-use
//! refresh tokens, for API clients, mobile apps and scripts.
//!
//! - `POST /token` (with email-password) signs in with email and password and answers a
//!   [`TokenPair`] instead of setting a cookie; an account with MFA gets the same
//!   `mfa_required` answer as `/login`, and `/mfa/verify` then answers the tokens.
//! - `POST /token/refresh` consumes the refresh token atomically and answers a new pair. A
//!   refresh token presented a second time is a stolen or replayed one: its whole family is
//!   revoked, the newest tokens included.
//! - `POST /token/revoke` revokes a refresh token's family and its live access tokens.
//! - Requests with `Authorization: Bearer <jwt>` are authenticated after the session cookie.
//!   The signature is checked with the key the `kid` names, pinned to that key's algorithm;
//!   then `typ`, `iss`, `aud`, `exp` and `nbf` (with a small leeway), the revocation list, and
//!   the user (a banned user's tokens stop at once).
//! - Logout, password change and ban revoke every refresh family of the user and put the
//!   user's live access tokens' `jti` on the revocation list.
//!
//! With the `paseto` feature, [`TokenFormat::PasetoV4Public`] issues PASETO v4.public tokens
//! with the same claims (the `kid` in the footer) instead of JWTs.
//!
//! Keys come from a [`TokenSigner`]: by default [`LocalKeySigner`], which rotates keys in the
//! `signing_keys` table (private keys sealed by the key ring); or any signer of the
//! application's, e.g. a KMS. [`YAuth::jwks`](crate::YAuth::jwks) returns the public keys.

mod config;
mod jwt;
mod keys;
#[cfg(feature = "paseto")]
mod paseto;
mod routes;
mod signer;
mod tokens;
mod verified;

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::request::Parts;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;
use yauth_store::BearerRepository;

use crate::auth::{AuthMethod, AuthUser};
use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::error::ApiError;
use crate::events::{AuthEvent, EventContext, EventResponse};
use crate::plugin::{Authenticator, PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::{BearerConfig, TokenFormat};
pub use jwt::{AccessClaims, Audience, TokenError};
pub use keys::{Jwk, Jwks, KeyMaterialError, SigningAlgorithm};
pub use routes::RefreshTokenRequest;
pub use signer::{CurrentKey, LocalKeySigner, SignerError, TokenSigner};
pub use tokens::TokenPair;

pub(crate) use tokens::Tokens;
#[cfg(feature = "oauth2-server")]
pub(crate) use tokens::{ClientRefreshRefusal, UserGrant};

/// State of the plugin's handlers.
pub(crate) type BearerState = PluginState<Tokens>;

/// What `with_bearer` leaves for `build()`, which has the key ring and the clock.
pub(crate) struct Setup {
    pub config: BearerConfig,
    pub repo: Arc<dyn BearerRepository>,
}

impl Setup {
    /// The token service, over the configured signer or the local rotating keys.
    pub fn into_tokens(
        self,
        base_url: &str,
        key_ring: Option<&Arc<crate::keyring::KeyRing>>,
        clock: Arc<dyn yauth_store::Clock>,
    ) -> Result<Tokens, BuildError> {
        let signer: Arc<dyn TokenSigner> = match (&self.config.signer, key_ring) {
            (Some(signer), _) => signer.clone(),
            (None, Some(ring)) => Arc::new(LocalKeySigner::new(
                self.repo.clone(),
                ring.clone(),
                clock.clone(),
                self.config.algorithm,
                self.config.key_rotation_interval,
                self.config.access_token_ttl + self.config.leeway,
            )),
            (None, None) => return Err(BuildError::MissingKeyRing { plugin: "bearer" }),
        };
        Ok(Tokens::new(self.config, base_url, self.repo, signer, clock))
    }
}

/// The plugin itself; added with [`YAuthBuilder::with_bearer`].
pub struct BearerPlugin;

impl YAuthBuilder {
    /// Enables JWT access tokens with rotating refresh tokens. With the local signer (the
    /// default) it needs a key ring ([`with_secret_key`](Self::with_secret_key)): the private
    /// signing keys are sealed at rest.
    pub fn with_bearer(self, config: BearerConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "bearer",
                message,
            });
        }
        let Some(repo) = self.repositories().bearer.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "bearer",
                tables: PluginId::Bearer.tables(),
            });
        };
        self.set_bearer(Setup { config, repo })
            .add_builtin(PendingPlugin {
                plugin: Arc::new(BearerPlugin),
                id: Some(PluginId::Bearer),
                sends_email: false,
            })
    }
}

impl BearerPlugin {
    fn state(core: &YAuthState) -> Option<BearerState> {
        core.tokens()
            .map(|tokens| PluginState::new(core.clone(), tokens.clone()))
    }
}

#[async_trait]
impl YAuthPlugin for BearerPlugin {
    fn name(&self) -> &'static str {
        "bearer"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        Self::state(state).map(routes::public).unwrap_or_default()
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        Self::state(state)
            .map(routes::protected)
            .unwrap_or_default()
    }

    fn security_schemes(&self) -> Vec<(&'static str, SecurityScheme)> {
        vec![(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from /token or /token/refresh."))
                    .build(),
            ),
        )]
    }

    fn authenticator(&self) -> Option<Arc<dyn Authenticator>> {
        Some(Arc::new(BearerAuthenticator))
    }

    /// Ending a sign-in (logout), changing the password or a ban ends every token of the user
    /// too.
    async fn on_event(
        &self,
        event: &AuthEvent,
        _ctx: &EventContext,
        state: &YAuthState,
    ) -> EventResponse {
        let user_id = match event {
            AuthEvent::Logout { user_id, .. }
            | AuthEvent::PasswordChanged { user_id }
            | AuthEvent::UserBanned { user_id, .. } => *user_id,
            _ => return EventResponse::Continue,
        };
        if let Some(tokens) = state.tokens()
            && let Err(error) = tokens.revoke_user(user_id).await
        {
            tracing::error!(%error, %user_id, event = event.event_type(), "revoking tokens failed");
        }
        EventResponse::Continue
    }
}

/// `Authorization: Bearer <jwt>`; API keys (by their prefix) are left to the api-key plugin.
struct BearerAuthenticator;

#[async_trait]
impl Authenticator for BearerAuthenticator {
    async fn authenticate(
        &self,
        parts: &Parts,
        state: &YAuthState,
    ) -> Result<Option<AuthUser>, ApiError> {
        let Some(token) = crate::auth::bearer_credential(parts) else {
            return Ok(None);
        };
        if token.starts_with(crate::auth::API_KEY_PREFIX) {
            return Ok(None);
        }
        let Some(tokens) = state.tokens() else {
            return Ok(None);
        };
        let claims = tokens.verify(token).await?;
        let invalid = || {
            ApiError::unauthorized_with("invalid_token", "The access token is invalid or expired.")
        };
        // A token the authorization server issued to another application is for that
        // application's resource servers, not for yauth's own API.
        if claims.client_id != tokens.config().client_id {
            return Err(invalid());
        }
        let user_id: Uuid = claims.sub.parse().map_err(|_| invalid())?;
        let user = state
            .repos()
            .users
            .find_user(user_id)
            .await?
            .ok_or_else(invalid)?;
        if user.is_banned_at(state.now()) {
            return Err(ApiError::forbidden(
                "account_banned",
                "This account is banned.",
            ));
        }
        let scopes = claims.scope.as_deref().map(|s| {
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        });
        let mut auth = AuthUser::from_user(&user, AuthMethod::Bearer, scopes);
        auth.authenticated_at = claims
            .auth_time
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok());
        auth.amr = claims.amr.clone().unwrap_or_default();
        Ok(Some(auth))
    }
}
