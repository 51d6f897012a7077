//! The oidc plugin: yauth as an OpenID Provider (OpenID Connect Core 1.0 and Discovery 1.0)
//! on top of the oauth2-server plugin; the guide is `docs/oauth2-server.md`.
//!
//! - The token endpoint answers an `id_token` beside the access token of an authorization
//!   code whose grant includes `openid`: `iss`, `sub`, `aud`, `exp`, `iat`, `auth_time` and
//!   `amr` of the sign-in that consented, the request's `nonce`, and `at_hash`. It is signed
//!   with the bearer plugin's current key (the JWKS verifies it), as a JWT whatever the
//!   access-token format.
//! - `GET /.well-known/openid-configuration`: the provider metadata, listing only what is
//!   implemented.
//! - `GET` and `POST /userinfo`: the user's claims, as far as the access token's scopes and
//!   [`OidcConfig::claims_supported`] release them.
//! - `GET` and `POST /oauth/end_session`: RP-initiated logout. It needs an `id_token_hint`
//!   (so no other site can sign a user out), ends the browser's session when it is the
//!   hint's user's, and sends the browser to the client's `post_logout_redirect_uri` (one of
//!   its registered redirect URIs) with `state`.

mod config;
mod discovery;
mod end_session;
mod id_token;
mod routes;
mod userinfo;

use std::sync::Arc;

use async_trait::async_trait;
use utoipa_axum::router::OpenApiRouter;

use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::plugin::{PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use config::OidcConfig;
pub use discovery::ProviderMetadata;
pub use end_session::LogoutRequest;
pub use userinfo::UserInfo;

use crate::plugins::oauth2_server::{CodeSignIn, IdTokenIssuer, OPENID};

/// The plugin's own state.
pub(crate) struct Provider {
    config: OidcConfig,
}

#[async_trait]
impl IdTokenIssuer for Provider {
    async fn id_token(
        &self,
        core: &YAuthState,
        sign_in: &CodeSignIn<'_>,
        access_token: &str,
    ) -> Result<String, crate::ApiError> {
        let tokens = core.tokens().ok_or_else(|| {
            tracing::error!("oidc runs without the bearer plugin's token service");
            crate::ApiError::unavailable()
        })?;
        id_token::issue(tokens, &self.config, sign_in, access_token, core.now()).await
    }
}

/// State of the plugin's handlers.
pub(crate) type ProviderState = PluginState<Provider>;

/// The plugin itself; added with [`YAuthBuilder::with_oidc`].
pub struct OidcPlugin(Arc<Provider>);

impl YAuthBuilder {
    /// Makes yauth an OpenID Provider (see [`crate::plugins::oidc`]). Needs the oauth2-server
    /// plugin, with `openid` among its `scopes_supported`, and the bearer plugin, whose keys
    /// sign the id_tokens.
    pub fn with_oidc(self, config: OidcConfig) -> Self {
        if let Err(message) = config.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "oidc",
                message,
            });
        }
        let provider = Arc::new(Provider { config });
        self.set_oidc(provider.clone()).add_builtin(PendingPlugin {
            plugin: Arc::new(OidcPlugin(provider)),
            id: Some(PluginId::Oidc),
            sends_email: false,
        })
    }
}

/// What `build()` checks once every plugin is added. The authorization server must offer the
/// `openid` scope, or no client could ask for an id_token; and the issuer must be where the
/// endpoints are served, since relying parties find the metadata at
/// `{issuer}/.well-known/openid-configuration` and compare its `issuer` with their own.
/// (Without oauth2-server or bearer, the plugin-dependency check has refused already.)
pub(crate) fn check_provider(
    server: Option<&crate::plugins::oauth2_server::Server>,
    tokens: Option<&crate::plugins::bearer::Tokens>,
) -> Result<(), BuildError> {
    let (Some(server), Some(tokens)) = (server, tokens) else {
        return Ok(());
    };
    let refuse = |message: String| BuildError::InvalidPluginConfig {
        plugin: "oidc",
        message,
    };
    if !server.scopes_supported().iter().any(|s| s == OPENID) {
        return Err(refuse(
            "list \"openid\" in Oauth2ServerConfig::scopes_supported (and \"profile\" or \
             \"email\" for the claims they release)"
                .into(),
        ));
    }
    let served = server.endpoint("");
    if tokens.issuer().trim_end_matches('/') != served {
        return Err(refuse(format!(
            "the issuer {:?} must be where the endpoints are served, {served:?} (relying \
             parties read {served}/.well-known/openid-configuration): set BearerConfig::issuer \
             or Oauth2ServerConfig::endpoint_base",
            tokens.issuer()
        )));
    }
    Ok(())
}

#[async_trait]
impl YAuthPlugin for OidcPlugin {
    fn name(&self) -> &'static str {
        "oidc"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::public(PluginState::new(state.clone(), self.0.clone()))
    }
}
