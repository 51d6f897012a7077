//! Plugins, the tables each one needs, and their dependencies.

use serde::{Deserialize, Serialize};

use crate::model::{Schema, all_tables};

/// A yauth plugin, named as in `yauth.toml` (`email-password`, `oauth2-server`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Plugin {
    /// Email and password login, verification and reset.
    EmailPassword,
    /// WebAuthn passkeys.
    Passkey,
    /// TOTP and backup codes.
    Mfa,
    /// OAuth login with external providers.
    Oauth,
    /// JWT bearer tokens and refresh tokens.
    Bearer,
    /// API keys.
    ApiKey,
    /// Passwordless email links.
    MagicLink,
    /// Admin endpoints (no tables).
    Admin,
    /// Health and status endpoints (no tables).
    Status,
    /// The OAuth2 authorization server.
    Oauth2Server,
    /// Lock accounts after repeated failures.
    AccountLockout,
    /// Outgoing webhooks with a durable outbox.
    Webhooks,
    /// OpenID Connect provider.
    Oidc,
    /// OpenTelemetry export (no tables).
    Telemetry,
    /// OpenAPI document (no tables).
    Openapi,
    /// Redis caching (no tables).
    Redis,
}

/// A plugin name that is not one of [`Plugin::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown plugin `{0}` (known plugins: {known})", known = Plugin::known_names())]
pub struct UnknownPlugin(pub String);

/// A plugin enabled without a plugin it needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin `{plugin}` requires `{requires}`, which is not enabled")]
pub struct MissingDependency {
    /// The plugin that has the dependency.
    pub plugin: Plugin,
    /// The plugin it needs.
    pub requires: Plugin,
}

impl Plugin {
    /// Every plugin, in documentation order.
    pub const ALL: [Plugin; 16] = [
        Self::EmailPassword,
        Self::Passkey,
        Self::Mfa,
        Self::Oauth,
        Self::Bearer,
        Self::ApiKey,
        Self::MagicLink,
        Self::Admin,
        Self::Status,
        Self::Oauth2Server,
        Self::AccountLockout,
        Self::Webhooks,
        Self::Oidc,
        Self::Telemetry,
        Self::Openapi,
        Self::Redis,
    ];

    /// The name used in `yauth.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Self::EmailPassword => "email-password",
            Self::Passkey => "passkey",
            Self::Mfa => "mfa",
            Self::Oauth => "oauth",
            Self::Bearer => "bearer",
            Self::ApiKey => "api-key",
            Self::MagicLink => "magic-link",
            Self::Admin => "admin",
            Self::Status => "status",
            Self::Oauth2Server => "oauth2-server",
            Self::AccountLockout => "account-lockout",
            Self::Webhooks => "webhooks",
            Self::Oidc => "oidc",
            Self::Telemetry => "telemetry",
            Self::Openapi => "openapi",
            Self::Redis => "redis",
        }
    }

    fn known_names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// The plugins this one requires.
    pub fn requires(self) -> &'static [Plugin] {
        match self {
            Self::Oidc => &[Self::Oauth2Server, Self::Bearer],
            Self::Oauth2Server => &[Self::Bearer],
            Self::AccountLockout => &[Self::EmailPassword],
            _ => &[],
        }
    }

    /// The logical names of the tables this plugin adds (empty for plugins without tables).
    pub fn tables(self) -> Vec<String> {
        all_tables()
            .into_iter()
            .filter(|(p, _)| *p == Some(self))
            .map(|(_, t)| t.name)
            .collect()
    }

    /// Checks that every plugin's dependencies are in `enabled`.
    pub fn check_dependencies(enabled: &[Plugin]) -> Result<(), MissingDependency> {
        for &plugin in enabled {
            if let Some(&requires) = plugin.requires().iter().find(|r| !enabled.contains(r)) {
                return Err(MissingDependency { plugin, requires });
            }
        }
        Ok(())
    }
}

crate::named::named_enum!(Plugin, UnknownPlugin);

/// The tables of a set of plugins, each with the plugin that adds it (`None` for the core
/// tables), parents first: what a running deployment needs to find in its database.
pub fn tables_for(plugins: &[Plugin]) -> Vec<(Option<Plugin>, crate::model::Table)> {
    all_tables()
        .into_iter()
        .filter(|(p, _)| p.is_none_or(|p| plugins.contains(&p)))
        .collect()
}

/// The schema for a set of plugins: core tables plus the tables of each enabled plugin, parents
/// first. Dependencies are not checked here (see [`Plugin::check_dependencies`]).
pub fn schema_for(plugins: &[Plugin]) -> Schema {
    Schema {
        tables: tables_for(plugins).into_iter().map(|(_, t)| t).collect(),
    }
}
