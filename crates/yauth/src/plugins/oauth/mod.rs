//! The oauth plugin: sign in with Google, GitHub, Microsoft, Apple, GitLab, Discord, or any
//! OpenID Connect or OAuth 2 provider, following the OAuth 2.0 Security BCP (RFC 9700).
//!
//! - `GET /oauth/{provider}/authorize` stores a single-use state (hashed) with a PKCE S256
//!   verifier and, for OpenID Connect, a nonce; binds it to the browser with a cookie; and
//!   redirects to the provider.
//! - `GET` or `POST /oauth/{provider}/callback` consumes the state atomically, exchanges the
//!   code, validates the id_token (signature against the provider's keys, issuer, audience,
//!   expiry, nonce) and ends in the one login path, MFA included; then redirects to an allowed
//!   URL only.
//! - A new identity joins an existing account by email only when the provider asserts the email
//!   is verified and the account's email is verified; otherwise the user signs in first and links
//!   explicitly with `POST /oauth/{provider}/link`.
//! - Provider tokens are sealed by the key ring.

mod config;
mod http;
mod identity;
mod linking;
mod oidc;
mod plain;
mod provider;
mod routes;

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;
use url::Url;
use utoipa_axum::router::OpenApiRouter;
use yauth_store::OauthRepository;

use self::http::ProviderHttp;
use self::identity::{ProviderError, ProviderIdentity, ProviderTokens};
use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::plugin::{PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::OauthConfig;
pub use provider::{
    ClientAuth, OAuth2Endpoints, ProviderConfig, ProviderKind, ResponseMode, UserInfoMapping,
};
pub use routes::{AuthorizeQuery, CallbackParams, LinkRequest, LinkResponse, LinkedAccount};

/// A configured provider, ready to talk to.
pub(crate) enum Provider {
    Oidc(Box<oidc::OidcProvider>),
    Plain(Box<plain::PlainProvider>),
}

impl Provider {
    fn new(config: ProviderConfig, discovery_ttl: std::time::Duration) -> Result<Self, String> {
        match config.kind.clone() {
            ProviderKind::OpenIdConnect { issuer } => {
                oidc::OidcProvider::new(config, &issuer, discovery_ttl)
                    .map(|p| Self::Oidc(Box::new(p)))
            }
            ProviderKind::OAuth2(endpoints) => {
                plain::PlainProvider::new(config, endpoints).map(|p| Self::Plain(Box::new(p)))
            }
        }
    }

    /// The authorization request URL. `nonce` is used by OpenID Connect providers only.
    pub(crate) async fn authorize_url(
        &self,
        http: &ProviderHttp,
        state: &str,
        code_verifier: &str,
        nonce: Option<&str>,
    ) -> Result<Url, ProviderError> {
        match (self, nonce) {
            (Self::Oidc(p), Some(nonce)) => {
                p.authorize_url(http, state, code_verifier, nonce).await
            }
            (Self::Oidc(_), None) => {
                Err(ProviderError::InvalidIdToken("no nonce was stored".into()))
            }
            (Self::Plain(p), _) => Ok(p.authorize_url(state, code_verifier)),
        }
    }

    /// The code exchange and the identity it proves.
    pub(crate) async fn exchange(
        &self,
        http: &ProviderHttp,
        code: &str,
        code_verifier: &str,
        nonce: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(ProviderIdentity, ProviderTokens), ProviderError> {
        match (self, nonce) {
            (Self::Oidc(p), Some(nonce)) => p.exchange(http, code, code_verifier, nonce, now).await,
            (Self::Oidc(_), None) => {
                Err(ProviderError::InvalidIdToken("no nonce was stored".into()))
            }
            (Self::Plain(p), _) => p.exchange(http, code, code_verifier, now).await,
        }
    }

    /// Whether the provider uses OpenID Connect (and so a nonce).
    pub(crate) fn is_oidc(&self) -> bool {
        matches!(self, Self::Oidc(_))
    }

    /// Whether an `iss` authorization-response parameter (RFC 9207) is acceptable: it must name
    /// an OpenID Connect provider's issuer; plain OAuth 2 providers have none to compare.
    pub(crate) fn accepts_issuer(&self, iss: Option<&str>) -> bool {
        match (self, iss) {
            (Self::Oidc(p), Some(iss)) => p.issuer_matches(iss),
            _ => true,
        }
    }
}

pub(crate) struct Inner {
    pub config: OauthConfig,
    /// Resolved from the backend when the plugin was added.
    pub repo: Arc<dyn OauthRepository>,
    pub providers: HashMap<String, Provider>,
    pub http: ProviderHttp,
}

/// State of the plugin's handlers: the plugin and its redirect allow-list (which needs the
/// core's link base, known once the state exists).
pub(crate) struct Runtime {
    pub shared: Arc<Inner>,
    pub redirects: config::RedirectPolicy,
}

pub(crate) type OauthState = PluginState<Runtime>;

/// The plugin itself; added with [`YAuthBuilder::with_oauth`].
pub struct OauthPlugin {
    inner: Arc<Inner>,
}

/// Names that other routes under `/oauth/` use, so no provider can be called that.
const RESERVED_NAMES: [&str; 8] = [
    "accounts",
    "authorize",
    "token",
    "introspect",
    "revoke",
    "register",
    "device",
    "userinfo",
];

impl YAuthBuilder {
    /// Enables sign-in with external OAuth 2 and OpenID Connect providers. Needs a key ring
    /// ([`with_secret_key`](Self::with_secret_key)): provider tokens are sealed at rest.
    pub fn with_oauth(self, config: OauthConfig) -> Self {
        let invalid = |message: String| BuildError::InvalidPluginConfig {
            plugin: "oauth",
            message,
        };
        if let Err(message) = config.validate() {
            return self.add_error(invalid(message));
        }
        if let Some(reserved) = config
            .providers
            .iter()
            .find(|p| RESERVED_NAMES.contains(&p.name.as_str()))
        {
            return self.add_error(invalid(format!(
                "provider name {:?} is reserved by another route",
                reserved.name
            )));
        }
        let Some(repo) = self.repositories().oauth.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "oauth",
                tables: PluginId::Oauth.tables(),
            });
        };
        let http = match ProviderHttp::new(config.http_timeout) {
            Ok(http) => http,
            Err(e) => return self.add_error(invalid(format!("HTTP client: {e}"))),
        };
        let mut providers = HashMap::new();
        for provider in &config.providers {
            match Provider::new(provider.clone(), config.discovery_ttl) {
                Ok(built) => {
                    providers.insert(provider.name.clone(), built);
                }
                Err(message) => {
                    return self
                        .add_error(invalid(format!("provider {}: {message}", provider.name)));
                }
            }
        }
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(OauthPlugin {
                inner: Arc::new(Inner {
                    config,
                    repo,
                    providers,
                    http,
                }),
            }),
            id: Some(PluginId::Oauth),
            sends_email: false,
        })
    }
}

impl OauthPlugin {
    fn state(&self, core: &YAuthState) -> OauthState {
        let redirects = config::RedirectPolicy::new(&self.inner.config, &core.derived().link_base);
        PluginState::new(
            core.clone(),
            Arc::new(Runtime {
                shared: self.inner.clone(),
                redirects,
            }),
        )
    }
}

impl YAuthPlugin for OauthPlugin {
    fn name(&self) -> &'static str {
        "oauth"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::public(self.state(state))
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::protected(self.state(state))
    }
}
