//! Auth events, what plugins answer to them, and their dispatch (audit log first, then plugins in
//! order).

use std::net::IpAddr;

use serde_json::json;
use uuid::Uuid;
use yauth_entity::{AuditLogEntry, new_id};

use crate::state::YAuthState;

/// Something that happened in an auth flow. Every event is written to the audit log and then
/// offered to each plugin's [`on_event`](crate::YAuthPlugin::on_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthEvent {
    /// A new account was created.
    UserRegistered {
        /// The new user.
        user_id: Uuid,
    },
    /// Credentials were verified; a plugin may still demand MFA or block.
    LoginSucceeded {
        /// The user.
        user_id: Uuid,
        /// How they proved it, e.g. `password`.
        method: &'static str,
        /// What was proven so far (RFC 8176 values, e.g. `["pwd"]`).
        amr: Vec<&'static str>,
        /// Whether the client asked for a long-lived session.
        remember_me: bool,
        /// What the sign-in will hand out: a session cookie or tokens.
        issue: crate::login::Issue,
    },
    /// A login attempt failed.
    LoginFailed {
        /// The user, when the account exists.
        user_id: Option<Uuid>,
        /// Why, e.g. `invalid_password`.
        reason: &'static str,
    },
    /// A session was created.
    SessionCreated {
        /// The user.
        user_id: Uuid,
        /// The session.
        session_id: Uuid,
    },
    /// A session was ended by its user.
    Logout {
        /// The user.
        user_id: Uuid,
        /// The session.
        session_id: Uuid,
    },
    /// The password was changed or reset.
    PasswordChanged {
        /// The user.
        user_id: Uuid,
    },
    /// A password reset was requested for an existing account.
    PasswordResetRequested {
        /// The user.
        user_id: Uuid,
    },
    /// The user proved they own their email.
    EmailVerified {
        /// The user.
        user_id: Uuid,
    },
    /// The user changed their profile.
    ProfileUpdated {
        /// The user.
        user_id: Uuid,
    },
    /// Someone tried to register an email that already has an account.
    DuplicateRegistration {
        /// The existing account.
        user_id: Uuid,
    },
    /// A second factor (TOTP) was confirmed and now guards every login.
    MfaEnabled {
        /// The user.
        user_id: Uuid,
    },
    /// The second factor was removed.
    MfaDisabled {
        /// The user.
        user_id: Uuid,
    },
    /// A sign-in link was emailed.
    MagicLinkSent {
        /// The account, when the address has one (sign-up links go to new addresses).
        user_id: Option<Uuid>,
    },
    /// A sign-in link was used.
    MagicLinkVerified {
        /// The user signing in.
        user_id: Uuid,
    },
    /// An external identity (OAuth or OpenID Connect) was linked to an account.
    OauthLinked {
        /// The user.
        user_id: Uuid,
        /// The provider's name.
        provider: String,
    },
    /// An external identity was unlinked from an account.
    OauthUnlinked {
        /// The user.
        user_id: Uuid,
        /// The provider's name.
        provider: String,
    },
    /// A passkey was added to an account.
    PasskeyRegistered {
        /// The user.
        user_id: Uuid,
        /// The stored passkey.
        passkey_id: Uuid,
    },
    /// A passkey was removed from an account.
    PasskeyDeleted {
        /// The user.
        user_id: Uuid,
        /// The removed passkey.
        passkey_id: Uuid,
    },
    /// An API key was created.
    ApiKeyCreated {
        /// The owner.
        user_id: Uuid,
        /// The key.
        api_key_id: Uuid,
    },
    /// An API key was deleted.
    ApiKeyDeleted {
        /// The owner.
        user_id: Uuid,
        /// The key.
        api_key_id: Uuid,
    },
    /// An administrator changed a user's role, name or verification state.
    UserUpdatedByAdmin {
        /// The user.
        user_id: Uuid,
        /// The administrator.
        admin_id: Uuid,
        /// The fields that changed (`role`, `display_name`, `email_verified`).
        changed: Vec<&'static str>,
    },
    /// An administrator deleted a user (the audit row keeps the id in its details: the user
    /// row is gone).
    UserDeleted {
        /// The deleted user.
        deleted_user_id: Uuid,
        /// The administrator.
        admin_id: Uuid,
    },
    /// An administrator banned a user: their sessions, refresh tokens and live access tokens
    /// were revoked.
    UserBanned {
        /// The user.
        user_id: Uuid,
        /// The administrator.
        admin_id: Uuid,
        /// The reason given.
        reason: Option<String>,
        /// When the ban ends; `None` is permanent.
        until: Option<time::OffsetDateTime>,
    },
    /// An administrator lifted a ban.
    UserUnbanned {
        /// The user.
        user_id: Uuid,
        /// The administrator.
        admin_id: Uuid,
    },
    /// An administrator ended one of a user's sessions.
    SessionTerminated {
        /// The session's owner.
        user_id: Uuid,
        /// The session.
        session_id: Uuid,
        /// The administrator.
        admin_id: Uuid,
    },
    /// An administrator started a session as a user.
    ImpersonationStarted {
        /// The impersonated user.
        user_id: Uuid,
        /// The administrator.
        admin_id: Uuid,
        /// The impersonation session.
        session_id: Uuid,
    },
    /// An administrator ended an impersonation and returned to their own session.
    ImpersonationStopped {
        /// The impersonated user.
        user_id: Uuid,
        /// The administrator.
        admin_id: Uuid,
        /// The impersonation session, now deleted.
        session_id: Uuid,
    },
    /// A configured bootstrap email signed in verified and was made an administrator.
    AdminBootstrapped {
        /// The new administrator.
        user_id: Uuid,
    },
    /// Too many failed password sign-ins locked an account.
    AccountLocked {
        /// The account.
        user_id: Uuid,
        /// When the lock ends on its own; `None` when it lasts until unlocked.
        until: Option<time::OffsetDateTime>,
    },
    /// A lock was lifted, by the owner's unlock link or by an administrator.
    AccountUnlocked {
        /// The account.
        user_id: Uuid,
        /// `token` or `admin`.
        by: &'static str,
        /// The administrator, when one lifted it.
        admin_id: Option<Uuid>,
    },
    /// The user let an OAuth client act for them (the consent screen's approval, or a device's
    /// request approved on the verification page).
    OauthConsentGranted {
        /// The user.
        user_id: Uuid,
        /// The client.
        client_id: String,
        /// The scopes granted.
        scopes: Vec<String>,
    },
    /// The user withdrew a client's consent; its tokens for the user are revoked.
    OauthConsentWithdrawn {
        /// The user.
        user_id: Uuid,
        /// The client.
        client_id: String,
    },
    /// An authorization code was presented again after its exchange: a sign that it leaked.
    /// What its first exchange issued is revoked.
    OauthCodeReplayed {
        /// The user the code was issued for.
        user_id: Uuid,
        /// The client presenting it.
        client_id: String,
    },
    /// An administrator created a webhook.
    WebhookCreated {
        /// The administrator.
        admin_id: Uuid,
        /// The webhook.
        webhook_id: Uuid,
    },
    /// An administrator changed a webhook.
    WebhookUpdated {
        /// The administrator.
        admin_id: Uuid,
        /// The webhook.
        webhook_id: Uuid,
        /// Whether its signing secret was replaced.
        secret_rotated: bool,
    },
    /// An administrator deleted a webhook.
    WebhookDeleted {
        /// The administrator.
        admin_id: Uuid,
        /// The webhook.
        webhook_id: Uuid,
    },
}

impl AuthEvent {
    /// The audit-log event type, e.g. `login_succeeded`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::UserRegistered { .. } => "user_registered",
            Self::LoginSucceeded { .. } => "login_succeeded",
            Self::LoginFailed { .. } => "login_failed",
            Self::SessionCreated { .. } => "session_created",
            Self::Logout { .. } => "logout",
            Self::PasswordChanged { .. } => "password_changed",
            Self::PasswordResetRequested { .. } => "password_reset_requested",
            Self::EmailVerified { .. } => "email_verified",
            Self::ProfileUpdated { .. } => "profile_updated",
            Self::DuplicateRegistration { .. } => "duplicate_registration",
            Self::MfaEnabled { .. } => "mfa_enabled",
            Self::MfaDisabled { .. } => "mfa_disabled",
            Self::MagicLinkSent { .. } => "magic_link_sent",
            Self::MagicLinkVerified { .. } => "magic_link_verified",
            Self::PasskeyRegistered { .. } => "passkey_registered",
            Self::PasskeyDeleted { .. } => "passkey_deleted",
            Self::ApiKeyCreated { .. } => "api_key_created",
            Self::ApiKeyDeleted { .. } => "api_key_deleted",
            Self::UserUpdatedByAdmin { .. } => "user_updated_by_admin",
            Self::UserDeleted { .. } => "user_deleted",
            Self::UserBanned { .. } => "user_banned",
            Self::UserUnbanned { .. } => "user_unbanned",
            Self::SessionTerminated { .. } => "session_terminated",
            Self::ImpersonationStarted { .. } => "impersonation_started",
            Self::ImpersonationStopped { .. } => "impersonation_stopped",
            Self::AdminBootstrapped { .. } => "admin_bootstrapped",
            Self::AccountLocked { .. } => "account_locked",
            Self::AccountUnlocked { .. } => "account_unlocked",
            Self::OauthLinked { .. } => "oauth_linked",
            Self::OauthUnlinked { .. } => "oauth_unlinked",
            Self::OauthConsentGranted { .. } => "oauth_consent_granted",
            Self::OauthConsentWithdrawn { .. } => "oauth_consent_withdrawn",
            Self::OauthCodeReplayed { .. } => "oauth_code_replayed",
            Self::WebhookCreated { .. } => "webhook_created",
            Self::WebhookUpdated { .. } => "webhook_updated",
            Self::WebhookDeleted { .. } => "webhook_deleted",
        }
    }

    /// Every event type [`event_type`](Self::event_type) answers, for subscriptions (webhooks).
    pub const TYPES: &'static [&'static str] = &[
        "user_registered",
        "login_succeeded",
        "login_failed",
        "session_created",
        "logout",
        "password_changed",
        "password_reset_requested",
        "email_verified",
        "profile_updated",
        "duplicate_registration",
        "mfa_enabled",
        "mfa_disabled",
        "magic_link_sent",
        "magic_link_verified",
        "passkey_registered",
        "passkey_deleted",
        "api_key_created",
        "api_key_deleted",
        "user_updated_by_admin",
        "user_deleted",
        "user_banned",
        "user_unbanned",
        "session_terminated",
        "impersonation_started",
        "impersonation_stopped",
        "admin_bootstrapped",
        "account_locked",
        "account_unlocked",
        "oauth_linked",
        "oauth_unlinked",
        "oauth_consent_granted",
        "oauth_consent_withdrawn",
        "oauth_code_replayed",
        "webhook_created",
        "webhook_updated",
        "webhook_deleted",
    ];

    /// What the event says, as JSON: `user_id` (when known) and the event's own details,
    /// without anything about the client (webhook payloads carry it).
    pub fn details(&self) -> serde_json::Value {
        let mut details = match self.metadata() {
            Some(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        if let Some(user_id) = self.user_id() {
            details.insert("user_id".to_owned(), json!(user_id));
        }
        serde_json::Value::Object(details)
    }

    /// The user the event is about, if known.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::UserRegistered { user_id }
            | Self::LoginSucceeded { user_id, .. }
            | Self::SessionCreated { user_id, .. }
            | Self::Logout { user_id, .. }
            | Self::PasswordChanged { user_id }
            | Self::PasswordResetRequested { user_id }
            | Self::EmailVerified { user_id }
            | Self::ProfileUpdated { user_id }
            | Self::DuplicateRegistration { user_id }
            | Self::MfaEnabled { user_id }
            | Self::MfaDisabled { user_id }
            | Self::MagicLinkVerified { user_id }
            | Self::PasskeyRegistered { user_id, .. }
            | Self::PasskeyDeleted { user_id, .. }
            | Self::ApiKeyCreated { user_id, .. }
            | Self::ApiKeyDeleted { user_id, .. }
            | Self::UserUpdatedByAdmin { user_id, .. }
            | Self::UserBanned { user_id, .. }
            | Self::UserUnbanned { user_id, .. }
            | Self::SessionTerminated { user_id, .. }
            | Self::ImpersonationStarted { user_id, .. }
            | Self::ImpersonationStopped { user_id, .. }
            | Self::AdminBootstrapped { user_id }
            | Self::AccountLocked { user_id, .. }
            | Self::AccountUnlocked { user_id, .. }
            | Self::OauthLinked { user_id, .. }
            | Self::OauthUnlinked { user_id, .. }
            | Self::OauthConsentGranted { user_id, .. }
            | Self::OauthConsentWithdrawn { user_id, .. }
            | Self::OauthCodeReplayed { user_id, .. } => Some(*user_id),
            Self::LoginFailed { user_id, .. } | Self::MagicLinkSent { user_id } => *user_id,
            Self::UserDeleted { .. }
            | Self::WebhookCreated { .. }
            | Self::WebhookUpdated { .. }
            | Self::WebhookDeleted { .. } => None,
        }
    }

    fn metadata(&self) -> Option<serde_json::Value> {
        match self {
            Self::LoginSucceeded { method, amr, .. } => {
                Some(json!({ "method": method, "amr": amr }))
            }
            Self::LoginFailed { reason, .. } => Some(json!({ "reason": reason })),
            Self::SessionCreated { session_id, .. } | Self::Logout { session_id, .. } => {
                Some(json!({ "session_id": session_id }))
            }
            Self::OauthLinked { provider, .. } | Self::OauthUnlinked { provider, .. } => {
                Some(json!({ "provider": provider }))
            }
            Self::PasskeyRegistered { passkey_id, .. }
            | Self::PasskeyDeleted { passkey_id, .. } => Some(json!({ "passkey_id": passkey_id })),
            Self::ApiKeyCreated { api_key_id, .. } | Self::ApiKeyDeleted { api_key_id, .. } => {
                Some(json!({ "api_key_id": api_key_id }))
            }
            Self::UserUpdatedByAdmin {
                admin_id, changed, ..
            } => Some(json!({ "admin_id": admin_id, "changed": changed })),
            Self::UserDeleted {
                deleted_user_id,
                admin_id,
            } => Some(json!({ "deleted_user_id": deleted_user_id, "admin_id": admin_id })),
            Self::UserBanned {
                admin_id,
                reason,
                until,
                ..
            } => Some(json!({
                "admin_id": admin_id,
                "reason": reason,
                "until": until.and_then(rfc3339),
            })),
            Self::UserUnbanned { admin_id, .. } => Some(json!({ "admin_id": admin_id })),
            Self::AccountLocked { until, .. } => Some(json!({ "until": until.and_then(rfc3339) })),
            Self::OauthConsentGranted {
                client_id, scopes, ..
            } => Some(json!({ "client_id": client_id, "scopes": scopes })),
            Self::OauthConsentWithdrawn { client_id, .. }
            | Self::OauthCodeReplayed { client_id, .. } => Some(json!({ "client_id": client_id })),
            Self::AccountUnlocked { by, admin_id, .. } => {
                Some(json!({ "by": by, "admin_id": admin_id }))
            }
            Self::WebhookCreated {
                admin_id,
                webhook_id,
            }
            | Self::WebhookDeleted {
                admin_id,
                webhook_id,
            } => Some(json!({ "admin_id": admin_id, "webhook_id": webhook_id })),
            Self::WebhookUpdated {
                admin_id,
                webhook_id,
                secret_rotated,
            } => Some(json!({
                "admin_id": admin_id,
                "webhook_id": webhook_id,
                "secret_rotated": secret_rotated,
            })),
            Self::SessionTerminated {
                session_id,
                admin_id,
                ..
            }
            | Self::ImpersonationStarted {
                session_id,
                admin_id,
                ..
            }
            | Self::ImpersonationStopped {
                session_id,
                admin_id,
                ..
            } => Some(json!({ "session_id": session_id, "admin_id": admin_id })),
            _ => None,
        }
    }
}

/// Longest User-Agent kept in an audit row.
const USER_AGENT_MAX: usize = 512;

/// The event's details plus the client's User-Agent (for a user's activity page).
fn with_user_agent(
    metadata: Option<serde_json::Value>,
    user_agent: Option<&str>,
) -> Option<serde_json::Value> {
    let Some(agent) = user_agent else {
        return metadata;
    };
    let agent: String = agent.chars().take(USER_AGENT_MAX).collect();
    let mut details = match metadata {
        Some(serde_json::Value::Object(map)) => map,
        Some(other) => {
            let mut map = serde_json::Map::new();
            map.insert("details".to_owned(), other);
            map
        }
        None => serde_json::Map::new(),
    };
    details.insert("user_agent".to_owned(), serde_json::Value::String(agent));
    Some(serde_json::Value::Object(details))
}

fn rfc3339(t: time::OffsetDateTime) -> Option<String> {
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// A plugin's answer to an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventResponse {
    /// Carry on.
    Continue,
    /// Stop the login here: the client must complete MFA for `pending_session_id`.
    RequireMfa {
        /// Opaque id of the pending login, for the MFA verification route.
        pending_session_id: String,
    },
    /// Refuse the operation.
    Block {
        /// HTTP status to answer with.
        status: u16,
        /// Stable error code.
        code: &'static str,
        /// Message for the user.
        message: String,
    },
}

/// Where an event comes from.
#[derive(Debug, Clone, Default)]
pub struct EventContext {
    /// The client's IP.
    pub ip: Option<IpAddr>,
    /// The client's User-Agent.
    pub user_agent: Option<String>,
}

impl YAuthState {
    /// Writes the audit row, then offers the event to every plugin in registration order
    /// (built-in plugins first, then those added with `with_plugin`). The first answer other
    /// than `Continue` is returned and the remaining plugins are not asked.
    pub async fn emit(&self, event: AuthEvent, ctx: &EventContext) -> EventResponse {
        let entry = AuditLogEntry::new(
            new_id(),
            event.user_id(),
            event.event_type(),
            with_user_agent(event.metadata(), ctx.user_agent.as_deref()),
            ctx.ip.map(|ip| ip.to_string()),
            self.now(),
        );
        if let Err(error) = self.repos().audit.append_audit(&entry).await {
            tracing::error!(%error, event = event.event_type(), "audit log write failed");
        }
        let answer = self.offer_to_plugins(&event, ctx).await;
        #[cfg(feature = "telemetry")]
        self.metrics().event(&event, &answer);
        answer
    }

    /// The first answer other than `Continue`, plugin by plugin.
    async fn offer_to_plugins(&self, event: &AuthEvent, ctx: &EventContext) -> EventResponse {
        for plugin in self.plugins() {
            let answer = plugin.on_event(event, ctx, self).await;
            if answer != EventResponse::Continue {
                tracing::info!(
                    plugin = plugin.name(),
                    event = event.event_type(),
                    ?answer,
                    "plugin intercepted event"
                );
                return answer;
            }
        }
        EventResponse::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_listed_once() {
        let mut types = AuthEvent::TYPES.to_vec();
        types.sort_unstable();
        types.dedup();
        assert_eq!(types.len(), AuthEvent::TYPES.len());
        let samples = [
            AuthEvent::UserRegistered {
                user_id: Uuid::nil(),
            },
            AuthEvent::OauthCodeReplayed {
                user_id: Uuid::nil(),
                client_id: "c".into(),
            },
            AuthEvent::WebhookDeleted {
                admin_id: Uuid::nil(),
                webhook_id: Uuid::nil(),
            },
        ];
        for event in samples {
            assert!(AuthEvent::TYPES.contains(&event.event_type()));
        }
    }

    #[test]
    fn details_carry_the_user_and_the_metadata() {
        let user_id = new_id();
        let event = AuthEvent::LoginFailed {
            user_id: Some(user_id),
            reason: "invalid_password",
        };
        assert_eq!(
            event.details(),
            json!({ "user_id": user_id, "reason": "invalid_password" })
        );
    }
}
