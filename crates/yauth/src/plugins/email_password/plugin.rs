//! The email-password plugin: registration with the builder, its handlers' state, and the
//! password rules shared by its routes.

use std::sync::Arc;

use time::Duration;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;
use yauth_entity::{PasswordCredential, PasswordHistoryEntry, new_id};
use yauth_store::EmailPasswordRepository;

use super::config::EmailPasswordConfig;
use super::hibp::{BreachCheck, HibpChecker};
use crate::builder::{BuildError, PendingPlugin, YAuthBuilder};
use crate::crypto::verify_password;
use crate::error::ApiError;
use crate::plugin::{PluginState, YAuthPlugin};
use crate::state::YAuthState;

pub(crate) struct Inner {
    pub config: EmailPasswordConfig,
    pub hibp: Option<HibpChecker>,
    /// Resolved from the backend when the plugin was added.
    pub repo: Arc<dyn EmailPasswordRepository>,
}

/// The plugin itself; added with [`YAuthBuilder::with_email_password`].
pub struct EmailPasswordPlugin {
    inner: Arc<Inner>,
}

/// State of the plugin's handlers.
pub(crate) type EpState = PluginState<Inner>;

impl YAuthBuilder {
    /// Enables registration, login, email verification and password management.
    pub fn with_email_password(self, config: EmailPasswordConfig) -> Self {
        if let Err(message) = config.policy.validate_config() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "email-password",
                message,
            });
        }
        if let Err(message) = config.rate_limits.validate() {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "email-password",
                message,
            });
        }
        if config.verification_ttl <= Duration::ZERO || config.reset_ttl <= Duration::ZERO {
            return self.add_error(BuildError::InvalidPluginConfig {
                plugin: "email-password",
                message: "verification_ttl and reset_ttl must be positive".into(),
            });
        }
        let hibp = if config.hibp.enabled {
            match HibpChecker::new(config.hibp.clone()) {
                Ok(checker) => Some(checker),
                Err(error) => {
                    return self.add_error(BuildError::InvalidPluginConfig {
                        plugin: "email-password",
                        message: error.to_string(),
                    });
                }
            }
        } else {
            None
        };
        let Some(repo) = self.repositories().email_password.clone() else {
            return self.add_error(BuildError::MissingRepository {
                plugin: "email-password",
                tables: crate::builder::PluginId::EmailPassword.tables(),
            });
        };
        self.add_builtin(PendingPlugin {
            plugin: Arc::new(EmailPasswordPlugin {
                inner: Arc::new(Inner { config, hibp, repo }),
            }),
            id: Some(crate::builder::PluginId::EmailPassword),
            sends_email: true,
        })
    }
}

impl YAuthPlugin for EmailPasswordPlugin {
    fn name(&self) -> &'static str {
        "email-password"
    }

    fn public_routes(&self, state: &YAuthState) -> OpenApiRouter {
        super::routes::public(self.state(state))
    }

    fn protected_routes(&self, state: &YAuthState) -> OpenApiRouter {
        super::routes::protected(self.state(state))
    }
}

impl EmailPasswordPlugin {
    fn state(&self, core: &YAuthState) -> EpState {
        PluginState::new(core.clone(), self.inner.clone())
    }
}

impl PluginState<Inner> {
    pub(crate) fn repo(&self) -> &Arc<dyn EmailPasswordRepository> {
        &self.plugin.repo
    }

    /// Policy and breach checks for a new password (before any account is touched).
    pub(crate) async fn check_new_password(
        &self,
        password: &str,
        email: &str,
    ) -> Result<(), ApiError> {
        if let Err(violations) = self.plugin.config.policy.check(password, email) {
            let message = violations
                .iter()
                .map(|v| v.message())
                .collect::<Vec<_>>()
                .join(" ");
            return Err(ApiError::bad_request("weak_password", message));
        }
        if let Some(hibp) = &self.plugin.hibp {
            let check = hibp.check(password).await;
            if matches!(check, BreachCheck::Unavailable) {
                tracing::warn!("breached-password check unavailable");
            }
            if !hibp.allows(&check) {
                return Err(ApiError::bad_request(
                    "breached_password",
                    "This password appears in known data breaches; choose another one.",
                ));
            }
        }
        Ok(())
    }

    /// Refuses a password equal to the current one or one of the last
    /// `password_history_count` passwords (when history is enabled).
    pub(crate) async fn check_history(
        &self,
        user_id: Uuid,
        password: &str,
    ) -> Result<(), ApiError> {
        let keep = self.plugin.config.policy.password_history_count;
        if keep == 0 {
            return Ok(());
        }
        let repo = self.repo();
        let mut hashes = Vec::new();
        if let Some(current) = repo.find_password(user_id).await? {
            hashes.push(current.password_hash);
        }
        hashes.extend(
            repo.password_history(user_id, keep)
                .await?
                .into_iter()
                .map(|h| h.password_hash),
        );
        for hash in hashes {
            if verify_password(&hash, password).await? {
                return Err(ApiError::bad_request(
                    "password_reused",
                    format!("Choose a password you have not used in your last {keep} passwords."),
                ));
            }
        }
        Ok(())
    }

    /// Stores a new password hash, moving the old one into the history when history is kept.
    pub(crate) async fn replace_password(
        &self,
        user_id: Uuid,
        new_hash: String,
    ) -> Result<(), ApiError> {
        let repo = self.repo();
        let now = self.core.now();
        let keep = self.plugin.config.policy.password_history_count;
        if keep > 0
            && let Some(old) = repo.find_password(user_id).await?
        {
            repo.add_password_history(
                &PasswordHistoryEntry {
                    id: new_id(),
                    user_id,
                    password_hash: old.password_hash,
                    created_at: old.updated_at,
                },
                keep,
            )
            .await?;
        }
        repo.set_password(&PasswordCredential {
            user_id,
            password_hash: new_hash,
            updated_at: now,
        })
        .await?;
        Ok(())
    }
}

pub(crate) use crate::input::check_email_syntax as validate_email;
