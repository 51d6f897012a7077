//! Every table of `docs/schema.md`, in foreign-key order, tagged with the plugin that needs it.

use super::{Column, ColumnType as T, DefaultValue, OnDelete, Table};
use crate::Plugin;

fn col(name: &str, ty: T) -> Column {
    Column::new(name, ty)
}

fn id() -> Column {
    col("id", T::Uuid)
}

fn created_at() -> Column {
    col("created_at", T::Timestamp)
}

fn updated_at() -> Column {
    col("updated_at", T::Timestamp)
}

fn flag(name: &str, default: bool) -> Column {
    col(name, T::Bool).default(DefaultValue::Bool(default))
}

fn hash64(name: &str) -> Column {
    col(name, T::String(64))
}

/// A table whose primary key is a UUID `id` column.
fn with_id(name: &str) -> Table {
    Table::new(name).column(id()).primary_key(&["id"])
}

/// `user_id uuid` referencing `users(id)` ON DELETE CASCADE.
fn user_fk(table: Table, nullable: bool) -> Table {
    let c = col("user_id", T::Uuid);
    table
        .column(if nullable { c.null() } else { c })
        .foreign_key("user_id", "users", "id", OnDelete::Cascade)
}

/// `client_id string(255)` referencing `oauth2_clients(client_id)` ON DELETE CASCADE, indexed.
fn client_fk(table: Table) -> Table {
    table
        .column(col("client_id", T::String(255)))
        .foreign_key(
            "client_id",
            "oauth2_clients",
            "client_id",
            OnDelete::Cascade,
        )
        .index(&["client_id"])
}

/// Every table with the plugin that needs it (`None`: core, always present), parents first.
pub fn all_tables() -> Vec<(Option<Plugin>, Table)> {
    use Plugin as P;
    vec![
        (None, core_users()),
        (None, core_sessions()),
        (
            None,
            with_id("audit_log")
                .column(col("user_id", T::Uuid).null())
                .foreign_key("user_id", "users", "id", OnDelete::SetNull)
                .column(col("event_type", T::String(64)))
                .column(col("metadata", T::Json).null())
                .column(col("ip_address", T::String(64)).null())
                .column(created_at())
                .index(&["user_id", "created_at"])
                .index(&["created_at"])
                // The tamper-evident chain (`yauth_store::audit_chain`); NULL on rows written
                // before it existed.
                .column(col("chain", T::String(64)).null())
                .column(col("seq", T::BigInt).null())
                .unique(&["chain", "seq"])
                .column(hash64("prev_hash").null())
                .column(hash64("hash").null()),
        ),
        (
            None,
            key_value("challenges", col("value", T::Json), created_at()),
        ),
        (
            None,
            key_value(
                "rate_limits",
                col("count", T::Int),
                col("window_start", T::Timestamp),
            ),
        ),
        (
            Some(P::EmailPassword),
            user_fk(Table::new("passwords"), false)
                .primary_key(&["user_id"])
                .column(col("password_hash", T::Text))
                .column(updated_at()),
        ),
        (
            Some(P::EmailPassword),
            user_fk(with_id("password_history"), false)
                .column(col("password_hash", T::Text))
                .column(created_at())
                .index(&["user_id", "created_at"]),
        ),
        (
            Some(P::EmailPassword),
            token_table("email_verifications", false),
        ),
        (Some(P::EmailPassword), token_table("password_resets", true)),
        (
            Some(P::Passkey),
            user_fk(with_id("webauthn_credentials"), false)
                .index(&["user_id"])
                .column(col("credential_id", T::String(512)))
                .unique(&["credential_id"])
                .column(col("name", T::String(255)))
                .column(col("aaguid", T::String(36)).null())
                .column(col("device_name", T::String(255)).null())
                .column(col("credential", T::Json))
                .column(created_at())
                .column(col("last_used_at", T::Timestamp).null()),
        ),
        (
            Some(P::Mfa),
            user_fk(with_id("totp_secrets"), false)
                .unique(&["user_id"])
                .column(col("encrypted_secret", T::Text))
                .column(flag("verified", false))
                .column(col("last_used_step", T::BigInt).null())
                .column(created_at()),
        ),
        (
            Some(P::Mfa),
            user_fk(with_id("backup_codes"), false)
                .index(&["user_id"])
                .column(hash64("code_hash"))
                .index(&["code_hash"])
                .column(flag("used", false))
                .column(col("used_at", T::Timestamp).null())
                .column(created_at()),
        ),
        (
            Some(P::Oauth),
            user_fk(with_id("oauth_accounts"), false)
                .column(col("provider", T::String(64)))
                .column(col("provider_user_id", T::String(255)))
                .column(col("access_token_enc", T::Text).null())
                .column(col("refresh_token_enc", T::Text).null())
                .column(col("expires_at", T::Timestamp).null())
                .column(updated_at())
                .column(created_at())
                .unique(&["provider", "provider_user_id"])
                .unique(&["user_id", "provider"]),
        ),
        (
            Some(P::Oauth),
            Table::new("oauth_states")
                .column(hash64("state"))
                .primary_key(&["state"])
                .column(col("provider", T::String(64)))
                .column(col("redirect_url", T::Text).null())
                .column(col("code_verifier", T::Text))
                .column(col("nonce", T::String(255)).null())
                .column(col("link_user_id", T::Uuid).null())
                .foreign_key("link_user_id", "users", "id", OnDelete::Cascade)
                .index(&["link_user_id"])
                .column(col("expires_at", T::Timestamp))
                .index(&["expires_at"])
                .column(created_at()),
        ),
        (
            Some(P::Bearer),
            user_fk(with_id("refresh_tokens"), false)
                .index(&["user_id"])
                .column(hash64("token_hash"))
                .unique(&["token_hash"])
                .column(col("family_id", T::Uuid))
                .index(&["family_id"])
                .column(col("client_id", T::String(255)).null())
                .column(col("scopes", T::Json).null())
                .column(col("expires_at", T::Timestamp))
                .index(&["expires_at"])
                .column(flag("revoked", false))
                .column(created_at()),
        ),
        (
            Some(P::Bearer),
            Table::new("revocations")
                .column(col("jti", T::String(255)))
                .primary_key(&["jti"])
                .column(col("expires_at", T::Timestamp))
                .index(&["expires_at"])
                .column(created_at()),
        ),
        (
            Some(P::Bearer),
            Table::new("signing_keys")
                .column(col("kid", T::String(64)))
                .primary_key(&["kid"])
                .column(col("algorithm", T::String(16)))
                .column(col("private_key_enc", T::Text))
                .column(col("public_jwk", T::Json))
                .column(created_at())
                .column(col("retired_at", T::Timestamp).null())
                .column(col("expires_at", T::Timestamp).null())
                .index(&["expires_at"]),
        ),
        (
            Some(P::ApiKey),
            user_fk(with_id("api_keys"), false)
                .index(&["user_id"])
                .column(col("key_prefix", T::String(32)))
                .unique(&["key_prefix"])
                .column(hash64("key_hash"))
                .column(col("name", T::String(255)))
                .column(col("scopes", T::Json).null())
                .column(col("last_used_at", T::Timestamp).null())
                .column(col("expires_at", T::Timestamp).null())
                .column(created_at()),
        ),
        (
            Some(P::MagicLink),
            with_id("magic_links")
                .column(col("email", T::String(255)))
                .index(&["email"])
                .column(hash64("token_hash"))
                .unique(&["token_hash"])
                .column(col("expires_at", T::Timestamp))
                .index(&["expires_at"])
                .column(flag("used", false))
                .column(created_at()),
        ),
        (
            Some(P::Oauth2Server),
            with_id("oauth2_clients")
                .column(col("client_id", T::String(255)))
                .unique(&["client_id"])
                .column(col("client_secret_hash", T::String(255)).null())
                .column(col("redirect_uris", T::Json))
                .column(col("client_name", T::String(255)).null())
                .column(col("grant_types", T::Json))
                .column(col("scopes", T::Json).null())
                .column(flag("is_public", false))
                .column(created_at()),
        ),
        (Some(P::Oauth2Server), authorization_codes()),
        (
            Some(P::Oauth2Server),
            user_fk(with_id("consents"), false)
                .pipe(client_fk)
                .column(col("scopes", T::Json))
                .column(created_at())
                .column(updated_at())
                .unique(&["user_id", "client_id"]),
        ),
        (Some(P::Oauth2Server), device_codes()),
        (
            Some(P::AccountLockout),
            user_fk(with_id("account_locks"), false)
                .unique(&["user_id"])
                .column(col("failed_count", T::Int).default(DefaultValue::Int(0)))
                .column(col("locked_until", T::Timestamp).null())
                .column(col("lock_count", T::Int).default(DefaultValue::Int(0)))
                .column(col("locked_reason", T::Text).null())
                .column(created_at())
                .column(updated_at()),
        ),
        (Some(P::AccountLockout), token_table("unlock_tokens", false)),
        (
            Some(P::Webhooks),
            user_fk(with_id("webhooks"), true)
                .index(&["user_id"])
                .column(col("url", T::Text))
                .column(col("secret_enc", T::Text))
                .column(col("events", T::Json))
                .column(flag("active", true))
                .column(created_at())
                .column(updated_at()),
        ),
        (Some(P::Webhooks), webhook_deliveries()),
        (
            Some(P::Oidc),
            with_id("oidc_nonces")
                .column(hash64("nonce_hash"))
                .index(&["nonce_hash"])
                .column(col("authorization_code_id", T::Uuid))
                .foreign_key(
                    "authorization_code_id",
                    "authorization_codes",
                    "id",
                    OnDelete::Cascade,
                )
                .index(&["authorization_code_id"])
                .column(created_at()),
        ),
    ]
}

trait Pipe: Sized {
    fn pipe(self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self)
    }
}

impl Pipe for Table {}

fn core_users() -> Table {
    with_id("users")
        .column(col("email", T::String(255)))
        .unique(&["email"])
        // The admin search (`ILIKE '%term%'`) without a full scan on PostgreSQL.
        .trigram_index("email")
        .column(col("display_name", T::String(255)).null())
        .trigram_index("display_name")
        .column(flag("email_verified", false))
        .column(col("role", T::String(32)).default(DefaultValue::Text("user".to_owned())))
        .column(flag("banned", false))
        .column(col("banned_reason", T::Text).null())
        .column(col("banned_until", T::Timestamp).null())
        .column(created_at())
        .index(&["created_at"])
        .column(updated_at())
}

fn core_sessions() -> Table {
    user_fk(with_id("sessions"), false)
        .index(&["user_id"])
        .column(hash64("token_hash"))
        .unique(&["token_hash"])
        .column(col("ip_address", T::String(64)).null())
        .column(col("user_agent", T::Text).null())
        .column(col("impersonator_id", T::Uuid).null())
        .foreign_key("impersonator_id", "users", "id", OnDelete::Cascade)
        .index(&["impersonator_id"])
        .column(col("expires_at", T::Timestamp))
        .index(&["expires_at"])
        .column(col("absolute_expires_at", T::Timestamp))
        .column(col("last_seen_at", T::Timestamp))
        .column(created_at())
        // Last, where `ALTER TABLE ... ADD COLUMN` puts it on databases created before it.
        .column(col("amr", T::String(255)).default(DefaultValue::Text(String::new())))
}

/// `key string(255) pk`, a value column, `expires_at` (indexed), and a last column.
fn key_value(name: &str, value: Column, last: Column) -> Table {
    let table = Table::new(name)
        .column(col("key", T::String(255)))
        .primary_key(&["key"])
        .column(value);
    // rate_limits orders `window_start` before `expires_at`; challenges puts `created_at` last.
    if last.name == "created_at" {
        table
            .column(col("expires_at", T::Timestamp))
            .index(&["expires_at"])
            .column(last)
    } else {
        table
            .column(last)
            .column(col("expires_at", T::Timestamp))
            .index(&["expires_at"])
    }
}

/// A single-use token table: user fk, unique token hash, indexed expiry.
fn token_table(name: &str, with_used_at: bool) -> Table {
    let table = user_fk(with_id(name), false)
        .index(&["user_id"])
        .column(hash64("token_hash"))
        .unique(&["token_hash"])
        .column(col("expires_at", T::Timestamp))
        .index(&["expires_at"]);
    let table = if with_used_at {
        table.column(col("used_at", T::Timestamp).null())
    } else {
        table
    };
    table.column(created_at())
}

fn authorization_codes() -> Table {
    with_id("authorization_codes")
        .column(hash64("code_hash"))
        .unique(&["code_hash"])
        .pipe(client_fk)
        .pipe(|t| user_fk(t, false))
        .index(&["user_id"])
        .column(col("scopes", T::Json).null())
        .column(col("redirect_uri", T::Text))
        .column(col("code_challenge", T::String(128)))
        .column(col("code_challenge_method", T::String(16)))
        .column(col("nonce", T::String(255)).null())
        .column(col("auth_time", T::Timestamp))
        .column(col("amr", T::Json))
        .column(col("expires_at", T::Timestamp))
        .index(&["expires_at"])
        .column(flag("used", false))
        .column(created_at())
}

fn device_codes() -> Table {
    with_id("device_codes")
        .column(hash64("device_code_hash"))
        .unique(&["device_code_hash"])
        .column(col("user_code", T::String(16)))
        .unique(&["user_code"])
        .pipe(client_fk)
        .column(col("scopes", T::Json).null())
        .pipe(|t| user_fk(t, true))
        .index(&["user_id"])
        .column(col("status", T::String(16)))
        .column(col("interval", T::Int))
        .column(col("expires_at", T::Timestamp))
        .index(&["expires_at"])
        .column(col("last_polled_at", T::Timestamp).null())
        .column(created_at())
}

fn webhook_deliveries() -> Table {
    with_id("webhook_deliveries")
        .column(col("webhook_id", T::Uuid))
        .foreign_key("webhook_id", "webhooks", "id", OnDelete::Cascade)
        .column(col("event_type", T::String(64)))
        .column(col("payload", T::Json))
        .column(col("status", T::String(16)))
        .column(col("attempt", T::Int).default(DefaultValue::Int(0)))
        .column(col("next_attempt_at", T::Timestamp))
        .column(col("locked_until", T::Timestamp).null())
        .column(col("status_code", T::Int).null())
        .column(col("response_body", T::Text).null())
        .column(col("last_error", T::Text).null())
        .column(col("duration_ms", T::Int).null())
        .column(flag("success", false))
        .column(created_at())
        .column(updated_at())
        .index(&["webhook_id", "created_at"])
        .index(&["status", "next_attempt_at"])
}
