//! Row types: what the queries decode into, one per entity, shared by the three dialects.
//!
//! Field types are [`Col`] (required) and [`Opt`] (nullable), which accept whatever type each
//! dialect's driver produces for the column (see [`crate::codec`]).

use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;
use yauth_store::StoreResult;

use crate::codec::{Col, IntoEntity, Opt};

type Json = serde_json::Value;

/// Declares row structs whose fields map one to one onto an entity's fields.
macro_rules! rows {
    ($($(#[$doc:meta])* $row:ident => $entity:ident { $($field:ident: $kind:ident<$ty:ty>),* $(,)? })*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $row {
            $(pub(crate) $field: $kind<$ty>,)*
        }

        impl IntoEntity for $row {
            type Entity = $entity;

            fn into_entity(self) -> StoreResult<$entity> {
                Ok($entity {
                    $($field: self.$field.get(stringify!($field))?,)*
                })
            }
        }
    )*};
}

rows! {
    /// `yauth_users`.
    UserRow => User {
        id: Col<Uuid>, email: Col<String>, display_name: Opt<String>, email_verified: Col<bool>,
        role: Col<String>, banned: Col<bool>, banned_reason: Opt<String>,
        banned_until: Opt<OffsetDateTime>, created_at: Col<OffsetDateTime>,
        updated_at: Col<OffsetDateTime>,
    }
    /// `yauth_sessions`.
    SessionRow => Session {
        id: Col<Uuid>, user_id: Col<Uuid>, token_hash: Col<String>, ip_address: Opt<String>,
        user_agent: Opt<String>, impersonator_id: Opt<Uuid>, expires_at: Col<OffsetDateTime>,
        absolute_expires_at: Col<OffsetDateTime>, last_seen_at: Col<OffsetDateTime>,
        created_at: Col<OffsetDateTime>, amr: Col<String>,
    }
    /// `yauth_audit_log`.
    AuditRow => AuditLogEntry {
        id: Col<Uuid>, user_id: Opt<Uuid>, event_type: Col<String>, metadata: Opt<Json>,
        ip_address: Opt<String>, created_at: Col<OffsetDateTime>, chain: Opt<String>,
        seq: Opt<i64>, prev_hash: Opt<String>, hash: Opt<String>,
    }
    /// `yauth_challenges`.
    ChallengeRow => Challenge {
        key: Col<String>, value: Col<Json>, expires_at: Col<OffsetDateTime>,
        created_at: Col<OffsetDateTime>,
    }
    /// `yauth_passwords`.
    PasswordRow => PasswordCredential {
        user_id: Col<Uuid>, password_hash: Col<String>, updated_at: Col<OffsetDateTime>,
    }
    /// `yauth_password_history`.
    PasswordHistoryRow => PasswordHistoryEntry {
        id: Col<Uuid>, user_id: Col<Uuid>, password_hash: Col<String>,
        created_at: Col<OffsetDateTime>,
    }
    /// `yauth_email_verifications`.
    EmailVerificationRow => EmailVerification {
        id: Col<Uuid>, user_id: Col<Uuid>, token_hash: Col<String>,
        expires_at: Col<OffsetDateTime>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_password_resets`.
    PasswordResetRow => PasswordReset {
        id: Col<Uuid>, user_id: Col<Uuid>, token_hash: Col<String>,
        expires_at: Col<OffsetDateTime>, used_at: Opt<OffsetDateTime>,
        created_at: Col<OffsetDateTime>,
    }
    /// `yauth_webauthn_credentials`.
    WebauthnRow => WebauthnCredential {
        id: Col<Uuid>, user_id: Col<Uuid>, credential_id: Col<String>, name: Col<String>,
        aaguid: Opt<String>, device_name: Opt<String>, credential: Col<Json>,
        created_at: Col<OffsetDateTime>, last_used_at: Opt<OffsetDateTime>,
    }
    /// `yauth_totp_secrets`.
    TotpRow => TotpSecret {
        id: Col<Uuid>, user_id: Col<Uuid>, encrypted_secret: Col<String>, verified: Col<bool>,
        last_used_step: Opt<i64>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_oauth_accounts`.
    OauthAccountRow => OauthAccount {
        id: Col<Uuid>, user_id: Col<Uuid>, provider: Col<String>, provider_user_id: Col<String>,
        access_token_enc: Opt<String>, refresh_token_enc: Opt<String>,
        expires_at: Opt<OffsetDateTime>, updated_at: Col<OffsetDateTime>,
        created_at: Col<OffsetDateTime>,
    }
    /// `yauth_oauth_states`.
    OauthStateRow => OauthState {
        state: Col<String>, provider: Col<String>, redirect_url: Opt<String>,
        code_verifier: Col<String>, nonce: Opt<String>, link_user_id: Opt<Uuid>,
        expires_at: Col<OffsetDateTime>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_refresh_tokens`.
    RefreshTokenRow => RefreshToken {
        id: Col<Uuid>, user_id: Col<Uuid>, token_hash: Col<String>, family_id: Col<Uuid>,
        client_id: Opt<String>, scopes: Opt<Json>, expires_at: Col<OffsetDateTime>,
        revoked: Col<bool>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_api_keys`.
    ApiKeyRow => ApiKey {
        id: Col<Uuid>, user_id: Col<Uuid>, key_prefix: Col<String>, key_hash: Col<String>,
        name: Col<String>, scopes: Opt<Json>, last_used_at: Opt<OffsetDateTime>,
        expires_at: Opt<OffsetDateTime>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_magic_links`.
    MagicLinkRow => MagicLink {
        id: Col<Uuid>, email: Col<String>, token_hash: Col<String>,
        expires_at: Col<OffsetDateTime>, used: Col<bool>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_oauth2_clients`.
    ClientRow => Oauth2Client {
        id: Col<Uuid>, client_id: Col<String>, client_secret_hash: Opt<String>,
        redirect_uris: Col<Json>, client_name: Opt<String>, grant_types: Col<Json>,
        scopes: Opt<Json>, is_public: Col<bool>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_authorization_codes`.
    AuthorizationCodeRow => AuthorizationCode {
        id: Col<Uuid>, code_hash: Col<String>, client_id: Col<String>, user_id: Col<Uuid>,
        scopes: Opt<Json>, redirect_uri: Col<String>, code_challenge: Col<String>,
        code_challenge_method: Col<String>, nonce: Opt<String>, auth_time: Col<OffsetDateTime>,
        amr: Col<Json>, expires_at: Col<OffsetDateTime>, used: Col<bool>,
        created_at: Col<OffsetDateTime>,
    }
    /// `yauth_consents`.
    ConsentRow => Consent {
        id: Col<Uuid>, user_id: Col<Uuid>, client_id: Col<String>, scopes: Col<Json>,
        created_at: Col<OffsetDateTime>, updated_at: Col<OffsetDateTime>,
    }
    /// `yauth_device_codes`.
    DeviceCodeRow => DeviceCode {
        id: Col<Uuid>, device_code_hash: Col<String>, user_code: Col<String>,
        client_id: Col<String>, scopes: Opt<Json>, user_id: Opt<Uuid>,
        status: Col<DeviceCodeStatus>, interval: Col<i32>, expires_at: Col<OffsetDateTime>,
        last_polled_at: Opt<OffsetDateTime>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_account_locks`.
    AccountLockRow => AccountLock {
        id: Col<Uuid>, user_id: Col<Uuid>, failed_count: Col<i32>,
        locked_until: Opt<OffsetDateTime>, lock_count: Col<i32>, locked_reason: Opt<String>,
        created_at: Col<OffsetDateTime>, updated_at: Col<OffsetDateTime>,
    }
    /// `yauth_unlock_tokens`.
    UnlockTokenRow => UnlockToken {
        id: Col<Uuid>, user_id: Col<Uuid>, token_hash: Col<String>,
        expires_at: Col<OffsetDateTime>, created_at: Col<OffsetDateTime>,
    }
    /// `yauth_webhooks`.
    WebhookRow => Webhook {
        id: Col<Uuid>, user_id: Opt<Uuid>, url: Col<String>, secret_enc: Col<String>,
        events: Col<Json>, active: Col<bool>, created_at: Col<OffsetDateTime>,
        updated_at: Col<OffsetDateTime>,
    }
    /// `yauth_webhook_deliveries`.
    DeliveryRow => WebhookDelivery {
        id: Col<Uuid>, webhook_id: Col<Uuid>, event_type: Col<String>, payload: Col<Json>,
        status: Col<DeliveryStatus>, attempt: Col<i32>, next_attempt_at: Col<OffsetDateTime>,
        locked_until: Opt<OffsetDateTime>, status_code: Opt<i32>, response_body: Opt<String>,
        last_error: Opt<String>, duration_ms: Opt<i32>, success: Col<bool>,
        created_at: Col<OffsetDateTime>, updated_at: Col<OffsetDateTime>,
    }
    /// `yauth_oidc_nonces`.
    OidcNonceRow => OidcNonce {
        id: Col<Uuid>, nonce_hash: Col<String>, authorization_code_id: Col<Uuid>,
        created_at: Col<OffsetDateTime>,
    }
    /// `yauth_signing_keys`.
    SigningKeyRow => SigningKey {
        kid: Col<String>, algorithm: Col<String>, private_key_enc: Col<String>,
        public_jwk: Col<Json>, created_at: Col<OffsetDateTime>, retired_at: Opt<OffsetDateTime>,
        expires_at: Opt<OffsetDateTime>,
    }
}

/// Declares a row of an entity joined with its owner (`user_id`): the entity's columns, then the
/// user's columns with a `u_` prefix. It converts into `(entity, user)`.
macro_rules! rows_with_user {
    ($($(#[$doc:meta])* $row:ident => $entity:ident { $($field:ident: $kind:ident<$ty:ty>),* $(,)? })*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $row {
            $(pub(crate) $field: $kind<$ty>,)*
            pub(crate) u_email: Col<String>,
            pub(crate) u_display_name: Opt<String>,
            pub(crate) u_email_verified: Col<bool>,
            pub(crate) u_role: Col<String>,
            pub(crate) u_banned: Col<bool>,
            pub(crate) u_banned_reason: Opt<String>,
            pub(crate) u_banned_until: Opt<OffsetDateTime>,
            pub(crate) u_created_at: Col<OffsetDateTime>,
            pub(crate) u_updated_at: Col<OffsetDateTime>,
        }

        impl IntoEntity for $row {
            type Entity = ($entity, User);

            fn into_entity(self) -> StoreResult<($entity, User)> {
                let entity = $entity {
                    $($field: self.$field.get(stringify!($field))?,)*
                };
                let user = User {
                    id: entity.user_id,
                    email: self.u_email.get("email")?,
                    display_name: self.u_display_name.get("display_name")?,
                    email_verified: self.u_email_verified.get("email_verified")?,
                    role: self.u_role.get("role")?,
                    banned: self.u_banned.get("banned")?,
                    banned_reason: self.u_banned_reason.get("banned_reason")?,
                    banned_until: self.u_banned_until.get("banned_until")?,
                    created_at: self.u_created_at.get("created_at")?,
                    updated_at: self.u_updated_at.get("updated_at")?,
                };
                Ok((entity, user))
            }
        }
    )*};
}

rows_with_user! {
    /// A session and its user: the hot path.
    SessionUserRow => Session {
        id: Col<Uuid>, user_id: Col<Uuid>, token_hash: Col<String>, ip_address: Opt<String>,
        user_agent: Opt<String>, impersonator_id: Opt<Uuid>, expires_at: Col<OffsetDateTime>,
        absolute_expires_at: Col<OffsetDateTime>, last_seen_at: Col<OffsetDateTime>,
        created_at: Col<OffsetDateTime>, amr: Col<String>,
    }
    /// An API key and its owner: the key-authentication hot path.
    ApiKeyUserRow => ApiKey {
        id: Col<Uuid>, user_id: Col<Uuid>, key_prefix: Col<String>, key_hash: Col<String>,
        name: Col<String>, scopes: Opt<Json>, last_used_at: Opt<OffsetDateTime>,
        expires_at: Opt<OffsetDateTime>, created_at: Col<OffsetDateTime>,
    }
}

/// The counter of a rate-limit window after a hit.
#[derive(Debug)]
pub(crate) struct RateRow {
    pub(crate) count: Col<i64>,
    pub(crate) expires_at: Col<OffsetDateTime>,
}
