//! The OpenAPI document of a complete deployment, for client generation (feature `openapi`).

use crate::email::LogEmailSender;
use crate::{BuildError, YAuthBuilder, YAuthConfig};
use yauth_store::InMemoryBackend;

/// The OpenAPI 3.1 document (pretty JSON) of yauth with every plugin compiled into this build
/// enabled: what `packages/client/openapi.json` holds and the TypeScript client is generated
/// from. Regenerate the file with
/// `cargo run -p yauth --example openapi --features full -- packages/client/openapi.json`.
pub async fn full_openapi_json() -> Result<String, BuildError> {
    let mut config = YAuthConfig::new("http://localhost:3000");
    config.purge_interval = None;
    let builder =
        YAuthBuilder::new(InMemoryBackend::new(), config).with_email_sender(LogEmailSender);
    #[cfg(feature = "email-password")]
    let builder = builder.with_email_password(Default::default());
    #[cfg(feature = "status")]
    let builder = builder.with_status();
    // A fixed key: the document never depends on key material, only on the routes.
    #[cfg(feature = "magic-link")]
    let builder = builder.with_magic_link(Default::default());
    #[cfg(feature = "passkey")]
    let builder = builder.with_passkey(Default::default());
    #[cfg(any(
        feature = "mfa",
        feature = "bearer",
        feature = "oauth",
        feature = "webhooks"
    ))]
    let builder = builder.with_secret_key("openapi", &[0; crate::keyring::KEY_LEN]);
    #[cfg(feature = "mfa")]
    let builder = builder.with_mfa(Default::default());
    #[cfg(feature = "bearer")]
    let builder = builder.with_bearer(Default::default());
    #[cfg(feature = "api-key")]
    let builder = builder.with_api_keys(Default::default());
    #[cfg(feature = "admin")]
    let builder = builder.with_admin(Default::default());
    #[cfg(feature = "account-lockout")]
    let builder = builder.with_account_lockout(Default::default());
    #[cfg(feature = "oauth")]
    let builder = builder.with_oauth(Default::default());
    // Open registration and the device grant, so the document has every route and answer.
    #[cfg(feature = "oauth2-server")]
    let builder = builder.with_oauth2_server(crate::plugins::oauth2_server::Oauth2ServerConfig {
        registration: crate::plugins::oauth2_server::RegistrationPolicy::Open,
        device: Some(crate::plugins::oauth2_server::DeviceFlowConfig::new(
            "/device",
        )),
        // The OpenID Provider needs its scope offered.
        scopes_supported: vec!["openid".to_owned()],
        ..Default::default()
    });
    #[cfg(feature = "oidc")]
    let builder = builder.with_oidc(Default::default());
    #[cfg(feature = "webhooks")]
    let builder = builder.with_webhooks(crate::plugins::webhooks::WebhookConfig {
        // The document needs no delivery worker.
        run_worker: false,
        ..Default::default()
    });
    let yauth = builder.build().await?;
    yauth
        .openapi()
        .to_pretty_json()
        .map(|json| json + "\n")
        .map_err(|e| {
            BuildError::InvalidConfig(format!("the OpenAPI document does not serialise: {e}"))
        })
}
