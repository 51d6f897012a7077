//! The oauth2-server plugin: yauth as the OAuth 2.0 authorization server of other
//! applications (the guide: `docs/oauth2-server.md`).
//!
//! - `GET /.well-known/oauth-authorization-server`: the metadata (RFC 8414), listing only
//!   what is implemented; `GET /.well-known/jwks.json`: the keys that verify access tokens.
//! - `GET /oauth/authorize` and `POST /oauth/authorize`: the authorization code grant with
//!   PKCE S256 required, redirect URIs compared exactly, `prompt` and `max_age`, and consent
//!   remembered per user and client ([`Oauth2ServerConfig::consent_page`] and `login_page`
//!   receive the browser).
//! - `POST /oauth/token`: `authorization_code` (single-use codes; a replay revokes what the
//!   first exchange issued), `refresh_token` (rotation with reuse detection, per client) and
//!   `client_credentials`. Access tokens are the bearer plugin's RFC 9068 JWTs.
//! - `POST /oauth/introspect` (RFC 7662, confidential clients) and `POST /oauth/revoke`
//!   (RFC 7009; a refresh token takes its whole grant along); introspection always consults
//!   revocation and bans.
//! - `POST /oauth/register`: RFC 7591 registration when [`RegistrationPolicy`] allows it;
//!   applications register their own clients with
//!   [`YAuth::register_oauth2_client`](crate::YAuth::register_oauth2_client).
//! - `GET /oauth/consents`, `DELETE /oauth/consents/{client_id}`: the user's consents.
//! - `POST /oauth/device/code`, `GET` and `POST /oauth/device`: the device grant (RFC 8628),
//!   when [`Oauth2ServerConfig::device`] is set; the token endpoint redeems it.
//!
//! Errors have the RFCs' shape (`{"error", "error_description"}`, [`OAuthError`]). Client
//! secrets are stored as Argon2id hashes. The oidc plugin adds OpenID Connect on top:
//! id_tokens from the token endpoint, discovery and `/userinfo`.

mod authorization;
mod client_auth;
mod clients;
mod config;
mod error;
mod id_tokens;
mod metadata;
mod pkce;
mod redirect_uri;
mod registration;
mod routes;
mod user_code;

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::HeaderMap;
use utoipa_axum::router::OpenApiRouter;
use yauth_entity::{Oauth2Client, new_id};
use yauth_store::Oauth2ServerRepository;

use crate::builder::{BuildError, PendingPlugin, PluginId, YAuth, YAuthBuilder};
use crate::crypto::{constant_time_eq, hash_password, random_token};
use crate::plugin::{PluginState, YAuthPlugin};
use crate::plugins::bearer::Tokens;
use crate::state::YAuthState;
use client_auth::AuthMethod;

pub use authorization::AuthorizationRequest;
pub use config::{DeviceFlowConfig, Oauth2ServerConfig, RegistrationPolicy};
pub use error::{OAuthError, OAuthErrorBody};
pub use metadata::ServerMetadata;

pub(crate) use id_tokens::{CodeSignIn, IdTokenIssuer, OPENID};
pub use registration::{ClientRegistration, RegisteredClient};
pub use routes::{
    ConsentDecision, ConsentPrompt, ConsentView, DeviceAuthorization, DeviceAuthorizationRequest,
    DeviceDecided, DeviceDecision, DevicePrompt, Introspection, RedirectTo, TokenLookup,
    TokenRequest, TokenResponse,
};

/// The plugin's own state.
pub(crate) struct Server {
    config: Oauth2ServerConfig,
    repo: Arc<dyn Oauth2ServerRepository>,
    /// Where the endpoints are served: `endpoint_base`, or the core base URL.
    endpoint_base: String,
}

/// State of the plugin's handlers.
pub(crate) type ServerState = PluginState<Server>;

impl Server {
    /// The bearer plugin's token service; `build()` refuses this plugin without bearer.
    pub(crate) fn tokens<'a>(&self, core: &'a YAuthState) -> Result<&'a Arc<Tokens>, OAuthError> {
        core.tokens().ok_or_else(|| {
            tracing::error!("oauth2-server runs without the bearer plugin's token service");
            OAuthError::temporarily_unavailable()
        })
    }

    /// The metadata (RFC 8414) of this server, whose tokens name `issuer`.
    pub(crate) fn metadata(&self, issuer: &str) -> ServerMetadata {
        metadata::document(&self.config, &self.endpoint_base, issuer)
    }

    /// The URL of one of yauth's endpoints, e.g. `/userinfo`.
    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint_base)
    }

    /// The redirect URIs registered for `client_id`; `None` for an unknown client.
    pub(crate) async fn redirect_uris_of(
        &self,
        client_id: &str,
    ) -> Result<Option<Vec<String>>, OAuthError> {
        Ok(clients::find(&self.repo, client_id)
            .await?
            .map(|client| client.redirect_uris))
    }

    /// The scopes clients may ask for.
    pub(crate) fn scopes_supported(&self) -> &[String] {
        &self.config.scopes_supported
    }

    /// An application page: a URL as configured, or a path on the core `base_url`.
    fn page_url(&self, core: &YAuthState, page: &str) -> String {
        if page.starts_with('/') {
            format!("{}{page}", core.config().base_url.trim_end_matches('/'))
        } else {
            page.to_owned()
        }
    }

    /// Whether a registration request may proceed under the policy.
    fn admit_registration(&self, headers: &HeaderMap) -> Result<(), OAuthError> {
        match &self.config.registration {
            RegistrationPolicy::Closed => Err(OAuthError::registration_closed()),
            RegistrationPolicy::Open => Ok(()),
            RegistrationPolicy::InitialAccessToken(expected) => {
                let presented = crate::auth::bearer_credential_from(headers);
                match presented {
                    Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => {
                        Ok(())
                    }
                    _ => Err(OAuthError::invalid_token()),
                }
            }
        }
    }
}

/// The plugin itself; added with [`YAuthBuilder::with_oauth2_server`].
pub struct Oauth2ServerPlugin(Arc<Server>);

impl YAuthBuilder {
    /// Makes yauth an OAuth 2.0 authorization server for other applications (see
    /// [`crate::plugins::oauth2_server`]). Needs the bearer plugin, whose signer signs the
    /// access tokens.
    pub fn with_oauth2_server(self, config: Oauth2ServerConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "oauth2-server",
                message,
            });
        }
        let Some(repo) = self.repositories().oauth2_server.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "oauth2-server",
                tables: PluginId::Oauth2Server.tables(),
            });
        };
        let endpoint_base = config
            .endpoint_base
            .clone()
            .unwrap_or_else(|| self.config().base_url.clone())
            .trim_end_matches('/')
            .to_owned();
        let server = Arc::new(Server {
            config,
            repo,
            endpoint_base,
        });
        self.set_oauth2_server(server.clone())
            .add_builtin(PendingPlugin {
                plugin: Arc::new(Oauth2ServerPlugin(server)),
                id: Some(PluginId::Oauth2Server),
                sends_email: false,
            })
    }
}

impl YAuth {
    /// Registers a client of the authorization server under the same policy checks as
    /// `POST /oauth/register` (whatever [`RegistrationPolicy`] says: the application may always
    /// register its own clients), e.g. to seed them at start-up. The secret of a confidential
    /// client is in the answer only; store it where the client reads it.
    pub async fn register_oauth2_client(
        &self,
        registration: &ClientRegistration,
    ) -> Result<RegisteredClient, OAuthError> {
        let server = self.state().oauth2_server().ok_or_else(|| {
            OAuthError::invalid_request("the oauth2-server plugin is not enabled")
        })?;
        register_client(server, self.state(), random_token(), registration).await
    }

    /// What to serve at the root of the host, outside the router's nest: the authorization
    /// server metadata at RFC 8414's own location for the issuer, which puts the issuer's
    /// path after `/.well-known/oauth-authorization-server` (for an issuer
    /// `https://app.example.com/api/auth`, `/.well-known/oauth-authorization-server/api/auth`).
    /// Merge it into the application's root router. Empty without this plugin.
    pub fn well_known_router(&self) -> axum::Router {
        let (Some(server), Some(tokens)) = (self.state().oauth2_server(), self.state().tokens())
        else {
            return axum::Router::new();
        };
        let issuer = tokens.issuer();
        let path = url::Url::parse(issuer)
            .map(|url| url.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        // The metadata is the configuration's: the same for every request.
        let metadata = axum::Json(server.metadata(issuer));
        axum::Router::new().route(
            &format!("/.well-known/oauth-authorization-server{path}"),
            axum::routing::get(move || std::future::ready(metadata.clone())),
        )
    }

    /// Registers a client under a fixed `client_id` (`A-Z a-z 0-9 . _ ~ -`, at most 64), with
    /// the same checks, unless a client with that id exists: then `None`, and the stored
    /// client is left as it is. For clients seeded at every start-up, such as a demo client.
    pub async fn ensure_oauth2_client(
        &self,
        client_id: &str,
        registration: &ClientRegistration,
    ) -> Result<Option<RegisteredClient>, OAuthError> {
        let server = self.state().oauth2_server().ok_or_else(|| {
            OAuthError::invalid_request("the oauth2-server plugin is not enabled")
        })?;
        let valid = (1..=64).contains(&client_id.len())
            && client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
        if !valid {
            return Err(OAuthError::registration(
                "invalid_client_metadata",
                "a client_id is 1 to 64 of A-Z a-z 0-9 . _ ~ -",
            ));
        }
        if server.repo.find_oauth2_client(client_id).await?.is_some() {
            return Ok(None);
        }
        match register_client(server, self.state(), client_id.to_owned(), registration).await {
            Ok(registered) => Ok(Some(registered)),
            // Another instance seeded it first.
            Err(_) if server.repo.find_oauth2_client(client_id).await?.is_some() => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// Checks a registration and stores the client under `client_id` with, when confidential, a
/// new secret (kept as an Argon2id hash).
pub(crate) async fn register_client(
    server: &Server,
    core: &YAuthState,
    client_id: String,
    registration: &ClientRegistration,
) -> Result<RegisteredClient, OAuthError> {
    let checked = registration::check(registration, &server.config)
        .map_err(|e| OAuthError::registration(e.error, e.description))?;
    let secret = (checked.auth_method != AuthMethod::None).then(random_token);
    let client_secret_hash = match &secret {
        Some(secret) => Some(hash_password(secret).await.map_err(crate::ApiError::from)?),
        None => None,
    };
    let now = core.now();
    let grant_names: Vec<&str> = checked.grant_types.iter().map(|g| g.name()).collect();
    let row = Oauth2Client {
        id: new_id(),
        client_id: client_id.clone(),
        client_secret_hash,
        redirect_uris: serde_json::json!(checked.redirect_uris),
        client_name: checked.client_name.clone(),
        grant_types: serde_json::json!(grant_names),
        scopes: Some(serde_json::json!(checked.scopes)),
        is_public: checked.auth_method == AuthMethod::None,
        created_at: now,
    };
    server.repo.create_oauth2_client(&row).await?;
    tracing::info!(%client_id, "oauth2 client registered");
    Ok(RegisteredClient {
        client_id,
        client_secret_expires_at: secret.as_ref().map(|_| 0),
        client_secret: secret,
        client_id_issued_at: now.unix_timestamp(),
        redirect_uris: checked.redirect_uris,
        token_endpoint_auth_method: checked.auth_method.name().to_owned(),
        grant_types: grant_names.into_iter().map(str::to_owned).collect(),
        response_types: if checked
            .grant_types
            .contains(&clients::GrantType::AuthorizationCode)
        {
            vec!["code".to_owned()]
        } else {
            Vec::new()
        },
        client_name: checked.client_name,
        scope: checked.scopes.join(" "),
    })
}

#[async_trait]
impl YAuthPlugin for Oauth2ServerPlugin {
    fn name(&self) -> &'static str {
        "oauth2-server"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::public(PluginState::new(state.clone(), self.0.clone()))
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::protected(PluginState::new(state.clone(), self.0.clone()))
    }
}
