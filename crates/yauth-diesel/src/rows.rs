//! Reading the entity types of `yauth-entity` from rows, by column name.

use diesel::deserialize;
use diesel::row::NamedRow;
use yauth_entity::*;

use crate::dialect::{Cols, FromRow, SqlTypes};

/// Implements [`FromRow`] for an entity: `field: getter` pairs, the column named as the field.
macro_rules! from_row {
    ($ty:ident { $($field:ident : $get:ident),* $(,)? }) => {
        impl<S: SqlTypes> FromRow<S> for $ty {
            fn from_row<'a, R: NamedRow<'a, S::Db>>(
                c: &Cols<'_, 'a, S, R>,
            ) -> deserialize::Result<Self> {
                Ok(Self { $($field: c.$get(stringify!($field))?),* })
            }
        }
    };
}

from_row!(User {
    id: uuid,
    email: text,
    display_name: opt_text,
    email_verified: bool,
    role: text,
    banned: bool,
    banned_reason: opt_text,
    banned_until: opt_ts,
    created_at: ts,
    updated_at: ts,
});
from_row!(Session {
    id: uuid,
    user_id: uuid,
    token_hash: text,
    ip_address: opt_text,
    user_agent: opt_text,
    impersonator_id: opt_uuid,
    expires_at: ts,
    absolute_expires_at: ts,
    last_seen_at: ts,
    created_at: ts,
    amr: text,
});
from_row!(AuditLogEntry {
    id: uuid,
    user_id: opt_uuid,
    event_type: text,
    metadata: opt_json,
    ip_address: opt_text,
    created_at: ts,
    chain: opt_text,
    seq: opt_i64,
    prev_hash: opt_text,
    hash: opt_text,
});
from_row!(Challenge {
    key: text,
    value: json,
    expires_at: ts,
    created_at: ts
});
from_row!(PasswordCredential {
    user_id: uuid,
    password_hash: text,
    updated_at: ts
});
from_row!(PasswordHistoryEntry {
    id: uuid,
    user_id: uuid,
    password_hash: text,
    created_at: ts
});
from_row!(EmailVerification {
    id: uuid,
    user_id: uuid,
    token_hash: text,
    expires_at: ts,
    created_at: ts,
});
from_row!(PasswordReset {
    id: uuid,
    user_id: uuid,
    token_hash: text,
    expires_at: ts,
    used_at: opt_ts,
    created_at: ts,
});
from_row!(WebauthnCredential {
    id: uuid,
    user_id: uuid,
    credential_id: text,
    name: text,
    aaguid: opt_text,
    device_name: opt_text,
    credential: json,
    created_at: ts,
    last_used_at: opt_ts,
});
from_row!(TotpSecret {
    id: uuid,
    user_id: uuid,
    encrypted_secret: text,
    verified: bool,
    last_used_step: opt_i64,
    created_at: ts,
});
from_row!(OauthAccount {
    id: uuid,
    user_id: uuid,
    provider: text,
    provider_user_id: text,
    access_token_enc: opt_text,
    refresh_token_enc: opt_text,
    expires_at: opt_ts,
    updated_at: ts,
    created_at: ts,
});
from_row!(OauthState {
    state: text,
    provider: text,
    redirect_url: opt_text,
    code_verifier: text,
    nonce: opt_text,
    link_user_id: opt_uuid,
    expires_at: ts,
    created_at: ts,
});
from_row!(RefreshToken {
    id: uuid,
    user_id: uuid,
    token_hash: text,
    family_id: uuid,
    client_id: opt_text,
    scopes: opt_json,
    expires_at: ts,
    revoked: bool,
    created_at: ts,
});
from_row!(ApiKey {
    id: uuid,
    user_id: uuid,
    key_prefix: text,
    key_hash: text,
    name: text,
    scopes: opt_json,
    last_used_at: opt_ts,
    expires_at: opt_ts,
    created_at: ts,
});
from_row!(MagicLink {
    id: uuid,
    email: text,
    token_hash: text,
    expires_at: ts,
    used: bool,
    created_at: ts,
});
from_row!(Oauth2Client {
    id: uuid,
    client_id: text,
    client_secret_hash: opt_text,
    redirect_uris: json,
    client_name: opt_text,
    grant_types: json,
    scopes: opt_json,
    is_public: bool,
    created_at: ts,
});
from_row!(AuthorizationCode {
    id: uuid,
    code_hash: text,
    client_id: text,
    user_id: uuid,
    scopes: opt_json,
    redirect_uri: text,
    code_challenge: text,
    code_challenge_method: text,
    nonce: opt_text,
    auth_time: ts,
    amr: json,
    expires_at: ts,
    used: bool,
    created_at: ts,
});
from_row!(Consent {
    id: uuid,
    user_id: uuid,
    client_id: text,
    scopes: json,
    created_at: ts,
    updated_at: ts,
});
from_row!(AccountLock {
    id: uuid,
    user_id: uuid,
    failed_count: i32,
    locked_until: opt_ts,
    lock_count: i32,
    locked_reason: opt_text,
    created_at: ts,
    updated_at: ts,
});
from_row!(UnlockToken {
    id: uuid,
    user_id: uuid,
    token_hash: text,
    expires_at: ts,
    created_at: ts
});
from_row!(Webhook {
    id: uuid,
    user_id: opt_uuid,
    url: text,
    secret_enc: text,
    events: json,
    active: bool,
    created_at: ts,
    updated_at: ts,
});
from_row!(OidcNonce {
    id: uuid,
    nonce_hash: text,
    authorization_code_id: uuid,
    created_at: ts
});
from_row!(SigningKey {
    kid: text,
    algorithm: text,
    private_key_enc: text,
    public_jwk: json,
    created_at: ts,
    retired_at: opt_ts,
    expires_at: opt_ts,
});
from_row!(JtiRevocation {
    jti: text,
    expires_at: ts,
    created_at: ts
});

impl<S: SqlTypes> FromRow<S> for BackupCode {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        Ok(Self {
            id: c.uuid("id")?,
            user_id: c.uuid("user_id")?,
            code_hash: c.text("code_hash")?,
            used: c.bool("used")?,
            used_at: c.opt_ts("used_at")?,
            created_at: c.ts("created_at")?,
        })
    }
}

impl<S: SqlTypes> FromRow<S> for DeviceCode {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        let status = c.text("status")?;
        Ok(Self {
            id: c.uuid("id")?,
            device_code_hash: c.text("device_code_hash")?,
            user_code: c.text("user_code")?,
            client_id: c.text("client_id")?,
            scopes: c.opt_json("scopes")?,
            user_id: c.opt_uuid("user_id")?,
            status: DeviceCodeStatus::parse(&status)
                .ok_or_else(|| format!("unknown device-code status {status:?}"))?,
            interval: c.i32("interval")?,
            expires_at: c.ts("expires_at")?,
            last_polled_at: c.opt_ts("last_polled_at")?,
            created_at: c.ts("created_at")?,
        })
    }
}

impl<S: SqlTypes> FromRow<S> for WebhookDelivery {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        let status = c.text("status")?;
        Ok(Self {
            id: c.uuid("id")?,
            webhook_id: c.uuid("webhook_id")?,
            event_type: c.text("event_type")?,
            payload: c.json("payload")?,
            status: DeliveryStatus::parse(&status)
                .ok_or_else(|| format!("unknown delivery status {status:?}"))?,
            attempt: c.i32("attempt")?,
            next_attempt_at: c.ts("next_attempt_at")?,
            locked_until: c.opt_ts("locked_until")?,
            status_code: c.opt_i32("status_code")?,
            response_body: c.opt_text("response_body")?,
            last_error: c.opt_text("last_error")?,
            duration_ms: c.opt_i32("duration_ms")?,
            success: c.bool("success")?,
            created_at: c.ts("created_at")?,
            updated_at: c.ts("updated_at")?,
        })
    }
}

/// A single `BIGINT` column named `n` (counts).
pub(crate) struct Count(pub i64);

impl<S: SqlTypes> FromRow<S> for Count {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        c.i64("n").map(Count)
    }
}

/// A single text column named `chain` (audit chain names).
pub(crate) struct ChainName(pub String);

impl<S: SqlTypes> FromRow<S> for ChainName {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        c.text("chain").map(ChainName)
    }
}

/// A single UUID column named `id`.
pub(crate) struct Id(pub uuid::Uuid);

impl<S: SqlTypes> FromRow<S> for Id {
    fn from_row<'a, R: NamedRow<'a, S::Db>>(c: &Cols<'_, 'a, S, R>) -> deserialize::Result<Self> {
        c.uuid("id").map(Id)
    }
}

/// Column lists for joins: the user's columns prefixed `u_`.
pub(crate) const USER_AS_U: &str = "u.id AS u_id, u.email AS u_email, \
    u.display_name AS u_display_name, u.email_verified AS u_email_verified, u.role AS u_role, \
    u.banned AS u_banned, u.banned_reason AS u_banned_reason, u.banned_until AS u_banned_until, \
    u.created_at AS u_created_at, u.updated_at AS u_updated_at";
