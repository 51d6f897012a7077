//! The passkey plugin: WebAuthn registration and passwordless sign-in (webauthn-rs).
//!
//! The relying party is the application at the core `base_url`: its host is the relying party
//! id, its origin the only origin assertions may come from, `app_name` its name. A base URL that
//! WebAuthn cannot use (an IP address, say) fails `build()`.
//!
//! - `POST /passkeys/register/begin` and `/finish` (signed in, recent sign-in) add a passkey;
//!   the user's existing passkeys are excluded, so one authenticator is registered once.
//! - `POST /passkey/login/begin` and `/finish` sign in with a passkey, either usernameless (a
//!   discoverable credential picked by the browser) or with an email hint that lists that
//!   account's passkeys. An unknown email answers the same shape, with decoy credential ids
//!   derived from the address, so the route tells nothing about which accounts exist. The
//!   finish ends in the one login path: bans and MFA apply; the session records `amr`
//!   `["hwk", "user"]`.
//! - Each ceremony's state is a challenge that lives `challenge_ttl` (5 minutes) and is taken
//!   atomically by the finish: a replayed or concurrent finish gets `challenge_expired`.
//! - After every sign-in the passkey's signature counter and backup state are stored; a counter
//!   that did not move forward (a cloned authenticator) is refused by default
//!   ([`CounterPolicy`]).
//! - `GET /passkeys`, `PATCH /passkeys/{id}` (rename) and `DELETE /passkeys/{id}` (recent
//!   sign-in) manage the user's passkeys.
//! - With the mfa plugin, `POST /passkey/mfa/begin` and `/finish` let a passkey be the second
//!   factor of a login that answered `mfa_required`.

mod authenticators;
mod ceremony;
mod config;
mod credential;
mod routes;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use webauthn_rs::fake::{FakePasskeyDistribution, WebauthnFakeCredentialGenerator};
use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};
use yauth_store::PasskeyRepository;

use crate::builder::{BuildError, PendingPlugin, PluginId, YAuthBuilder};
use crate::config::YAuthConfig;
use crate::plugin::{PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub use authenticators::authenticator_name;
pub use config::{CounterPolicy, PasskeyConfig};
pub use routes::{
    PasskeyChallenge, PasskeyInfo, PasskeyLoginBeginRequest, PasskeyLoginFinishRequest,
    PasskeyRegisterFinishRequest, PasskeyRenameRequest,
};
#[cfg(feature = "mfa")]
pub use routes::{PasskeyMfaBeginRequest, PasskeyMfaFinishRequest};

pub(crate) struct Inner {
    pub config: PasskeyConfig,
    /// Resolved from the backend when the plugin was added.
    pub repo: Arc<dyn PasskeyRepository>,
    /// The relying party.
    pub webauthn: Webauthn,
    /// Decoy credential ids for email hints that match no passkey.
    pub decoys: WebauthnFakeCredentialGenerator<FakePasskeyDistribution>,
}

/// State of the plugin's handlers.
pub(crate) type PasskeyState = PluginState<Inner>;

/// The plugin itself; added with [`YAuthBuilder::with_passkey`].
pub struct PasskeyPlugin {
    inner: Arc<Inner>,
}

/// The relying party of the application at `config.base_url`.
fn relying_party(config: &YAuthConfig, passkey: &PasskeyConfig) -> Result<Webauthn, String> {
    let base = Url::parse(&config.base_url)
        .map_err(|e| format!("base_url {:?} is not a URL: {e}", config.base_url))?;
    let rp_id = base
        .domain()
        .ok_or_else(|| {
            format!(
                "base_url {:?} has no domain name: WebAuthn relying parties are named by a \
                 domain (use e.g. http://localhost instead of an IP address)",
                config.base_url
            )
        })?
        .to_owned();
    let origin = Url::parse(&base.origin().ascii_serialization())
        .map_err(|e| format!("base_url {:?} has no usable origin: {e}", config.base_url))?;
    let timeout = std::time::Duration::try_from(passkey.challenge_ttl)
        .map_err(|e| format!("challenge_ttl: {e}"))?;
    WebauthnBuilder::new(&rp_id, &origin)
        .map_err(|e| {
            format!(
                "base_url {:?} is not a WebAuthn origin: {e}",
                config.base_url
            )
        })?
        .rp_name(&config.app_name)
        .timeout(timeout)
        .build()
        .map_err(|e| format!("WebAuthn relying party: {e}"))
}

impl YAuthBuilder {
    /// Enables passkeys (WebAuthn) for registration and passwordless sign-in.
    pub fn with_passkey(self, config: PasskeyConfig) -> Self {
        let invalid = |message| BuildError::InvalidPluginConfig {
            plugin: "passkey",
            message,
        };
        if let Err(message) = config.validate() {
            return self.add_error(invalid(message));
        }
        let webauthn = match relying_party(self.config(), &config) {
            Ok(webauthn) => webauthn,
            Err(message) => return self.add_error(invalid(message)),
        };
        let key = config.decoy_key.unwrap_or_else(rand::random::<[u8; 32]>);
        let decoys = match WebauthnFakeCredentialGenerator::new(&key) {
            Ok(decoys) => decoys,
            Err(e) => return self.add_error(invalid(format!("decoy_key: {e}"))),
        };
        let Some(repo) = self.repositories().passkey.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "passkey",
                tables: PluginId::Passkey.tables(),
            });
        };
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(PasskeyPlugin {
                inner: Arc::new(Inner {
                    config,
                    repo,
                    webauthn,
                    decoys,
                }),
            }),
            id: Some(PluginId::Passkey),
            sends_email: false,
        })
    }
}

impl YAuthPlugin for PasskeyPlugin {
    fn name(&self) -> &'static str {
        "passkey"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::public(self.state(state))
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        routes::protected(self.state(state))
    }
}

impl PasskeyPlugin {
    fn state(&self, core: &YAuthState) -> PasskeyState {
        PluginState::new(core.clone(), self.inner.clone())
    }
}
