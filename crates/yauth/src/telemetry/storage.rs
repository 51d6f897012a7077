//! Spans around every storage call: the repositories of the backend, wrapped once when the
//! builder is made (under the Redis cache, so a span is a call the database answered).
//!
//! A span is named after the repository method, at DEBUG level under the `yauth::storage`
//! target, with OpenTelemetry's database attributes: `db.system.name`, `db.operation.name`, and
//! `yauth.repository`; a failed call adds `error.type` (the store error's kind). Arguments are
//! never recorded: they carry emails, token hashes and secrets.

use std::sync::Arc;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use tracing::Instrument;
use uuid::Uuid;
use yauth_entity::*;
use yauth_store::schema_probe::Probe;
use yauth_store::*;

/// One repository of the backend, whose calls are traced.
struct Traced<T: ?Sized> {
    inner: Arc<T>,
    system: &'static str,
}

/// `repos`, each repository wrapped in a [`Traced`].
pub(crate) fn traced(repos: Repositories, system: &'static str) -> Repositories {
    fn wrap<T: ?Sized>(inner: Arc<T>, system: &'static str) -> Arc<Traced<T>> {
        Arc::new(Traced { inner, system })
    }
    Repositories {
        users: wrap(repos.users, system),
        sessions: wrap(repos.sessions, system),
        audit: wrap(repos.audit, system),
        challenges: wrap(repos.challenges, system),
        rate_limits: wrap(repos.rate_limits, system),
        maintenance: wrap(repos.maintenance, system),
        email_password: repos.email_password.map(|r| wrap(r, system) as _),
        passkey: repos.passkey.map(|r| wrap(r, system) as _),
        mfa: repos.mfa.map(|r| wrap(r, system) as _),
        oauth: repos.oauth.map(|r| wrap(r, system) as _),
        bearer: repos.bearer.map(|r| wrap(r, system) as _),
        api_keys: repos.api_keys.map(|r| wrap(r, system) as _),
        magic_links: repos.magic_links.map(|r| wrap(r, system) as _),
        oauth2_server: repos.oauth2_server.map(|r| wrap(r, system) as _),
        account_lockout: repos.account_lockout.map(|r| wrap(r, system) as _),
        webhooks: repos.webhooks.map(|r| wrap(r, system) as _),
        oidc: repos.oidc.map(|r| wrap(r, system) as _),
        sealed: repos.sealed.map(|r| wrap(r, system) as _),
    }
}

/// Marks the current (storage) span failed with the error's kind.
fn record_outcome<T>(result: &StoreResult<T>) {
    if let Err(error) = result {
        let kind = match error {
            StoreError::Conflict { .. } => "conflict",
            StoreError::NotFound => "not_found",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Internal(_) => "internal",
            _ => "other",
        };
        let span = tracing::Span::current();
        span.record("error.type", kind);
        span.record("otel.status_code", "ERROR");
    }
}

/// The span of one call of `$method` on `$repository`.
macro_rules! storage_span {
    ($system:expr, $repository:literal, $method:ident) => {
        tracing::debug_span!(
            target: "yauth::storage",
            stringify!($method),
            otel.kind = "client",
            db.system.name = $system,
            db.operation.name = stringify!($method),
            yauth.repository = $repository,
            error.type = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        )
    };
}

/// Implements each listed repository trait for [`Traced`], every method forwarding to the
/// inner repository inside its span. A method missing here fails to compile, so every call is
/// traced. Methods that are not storage calls are written out after `by hand:`.
macro_rules! traced_repositories {
    ($(
        $trait:ident => $repository:literal {
            $( fn $method:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty; )*
            $( by hand: $($by_hand:tt)* )?
        }
    )*) => {$(
        #[async_trait]
        impl $trait for Traced<dyn $trait> {
            $(
                async fn $method(&self, $($arg: $ty),*) -> $ret {
                    let call = self.inner.$method($($arg),*);
                    async move {
                        let result = call.await;
                        record_outcome(&result);
                        result
                    }
                    .instrument(storage_span!(self.system, $repository, $method))
                    .await
                }
            )*
            $($($by_hand)*)?
        }
    )*};
}

traced_repositories! {
    ApiKeyRepository => "api_keys" {
        fn create_api_key(key: &ApiKey) -> StoreResult<()>;
        fn find_api_key_by_prefix(prefix: &str) -> StoreResult<Option<(ApiKey, User)>>;
        fn list_api_keys(user_id: Uuid) -> StoreResult<Vec<ApiKey>>;
        fn delete_api_key(user_id: Uuid, id: Uuid) -> StoreResult<bool>;
        fn touch_api_key(id: Uuid, now: OffsetDateTime) -> StoreResult<()>;
    }
    AuditLogRepository => "audit" {
        fn append_audit(entry: &AuditLogEntry) -> StoreResult<AuditLogEntry>;
        fn insert_audit(entry: &AuditLogEntry) -> StoreResult<()>;
        fn audit_chain_head(chain: &str) -> StoreResult<Option<AuditLogEntry>>;
        fn list_audit_chain(chain: &str, after_seq: i64, limit: u64) -> StoreResult<Vec<AuditLogEntry>>;
        fn list_audit_chains(after: Option<&str>, limit: u64) -> StoreResult<Vec<String>>;
        fn list_audit(query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>>;
    }
    BearerRepository => "bearer" {
        fn create_refresh_token(token: &RefreshToken) -> StoreResult<()>;
        fn find_refresh_token(token_hash: &str) -> StoreResult<Option<RefreshToken>>;
        fn rotate_refresh_token(old_token_hash: &str, new: &RefreshTokenSeed, now: OffsetDateTime) -> StoreResult<RotateOutcome>;
        fn revoke_refresh_token(token_hash: &str) -> StoreResult<Option<RefreshToken>>;
        fn revoke_refresh_family(family_id: Uuid) -> StoreResult<u64>;
        fn revoke_user_refresh_tokens(user_id: Uuid) -> StoreResult<u64>;
        fn list_user_refresh_tokens(user_id: Uuid, created_since: OffsetDateTime) -> StoreResult<Vec<RefreshToken>>;
        fn revoke_jti(revocation: &JtiRevocation) -> StoreResult<()>;
        fn is_jti_revoked(jti: &str, now: OffsetDateTime) -> StoreResult<bool>;
        fn create_signing_key(key: &SigningKey) -> StoreResult<()>;
        fn list_signing_keys(now: OffsetDateTime) -> StoreResult<Vec<SigningKey>>;
        fn retire_signing_key(kid: &str, retired_at: OffsetDateTime, expires_at: OffsetDateTime) -> StoreResult<bool>;
    }
    ChallengeRepository => "challenges" {
        fn put_challenge(challenge: &Challenge) -> StoreResult<()>;
        fn get_challenge(key: &str, now: OffsetDateTime) -> StoreResult<Option<Challenge>>;
        fn take_challenge(key: &str, now: OffsetDateTime) -> StoreResult<Option<Challenge>>;
        fn delete_challenge(key: &str) -> StoreResult<bool>;
    }
    EmailPasswordRepository => "email_password" {
        fn find_password(user_id: Uuid) -> StoreResult<Option<PasswordCredential>>;
        fn set_password(credential: &PasswordCredential) -> StoreResult<()>;
        fn create_user_with_password(user: &User, credential: &PasswordCredential) -> StoreResult<()>;
        fn add_password_history(entry: &PasswordHistoryEntry, keep: u32) -> StoreResult<()>;
        fn password_history(user_id: Uuid, limit: u32) -> StoreResult<Vec<PasswordHistoryEntry>>;
        fn create_email_verification(verification: &EmailVerification) -> StoreResult<()>;
        fn consume_email_verification(token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<EmailVerification>>;
        fn delete_email_verifications(user_id: Uuid) -> StoreResult<u64>;
        fn create_password_reset(reset: &PasswordReset) -> StoreResult<()>;
        fn find_password_reset(token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<PasswordReset>>;
        fn consume_password_reset(token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<PasswordReset>>;
        fn delete_password_resets(user_id: Uuid) -> StoreResult<u64>;
    }
    AccountLockoutRepository => "account_lockout" {
        fn find_account_lock(user_id: Uuid) -> StoreResult<Option<AccountLock>>;
        fn record_failed_login(user_id: Uuid, now: OffsetDateTime) -> StoreResult<AccountLock>;
        fn lock_account(user_id: Uuid, until: OffsetDateTime, reason: Option<&str>, now: OffsetDateTime) -> StoreResult<AccountLock>;
        fn reset_failed_logins(user_id: Uuid, now: OffsetDateTime) -> StoreResult<()>;
        fn unlock_account(user_id: Uuid, now: OffsetDateTime) -> StoreResult<bool>;
        fn create_unlock_token(token: &UnlockToken) -> StoreResult<()>;
        fn consume_unlock_token(token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<UnlockToken>>;
        fn delete_unlock_tokens(user_id: Uuid) -> StoreResult<u64>;
    }
    MagicLinkRepository => "magic_links" {
        fn create_magic_link(link: &MagicLink) -> StoreResult<()>;
        fn consume_magic_link(token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<MagicLink>>;
        fn delete_magic_links(email: &str) -> StoreResult<u64>;
    }
    MfaRepository => "mfa" {
        fn upsert_totp_secret(secret: &TotpSecret) -> StoreResult<()>;
        fn find_totp_secret(user_id: Uuid) -> StoreResult<Option<TotpSecret>>;
        fn confirm_totp_secret(user_id: Uuid) -> StoreResult<bool>;
        fn delete_totp_secret(user_id: Uuid) -> StoreResult<bool>;
        fn accept_totp_step(user_id: Uuid, step: i64) -> StoreResult<bool>;
        fn replace_backup_codes(user_id: Uuid, codes: &[BackupCode]) -> StoreResult<()>;
        fn consume_backup_code(user_id: Uuid, code_hash: &str, now: OffsetDateTime) -> StoreResult<bool>;
        fn count_unused_backup_codes(user_id: Uuid) -> StoreResult<u64>;
    }
    OauthRepository => "oauth" {
        fn create_oauth_account(account: &OauthAccount) -> StoreResult<()>;
        fn find_oauth_account(provider: &str, provider_user_id: &str) -> StoreResult<Option<OauthAccount>>;
        fn list_oauth_accounts(user_id: Uuid) -> StoreResult<Vec<OauthAccount>>;
        fn update_oauth_tokens(id: Uuid, access_token_enc: Option<&str>, refresh_token_enc: Option<&str>, expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> StoreResult<()>;
        fn delete_oauth_account(user_id: Uuid, provider: &str) -> StoreResult<bool>;
        fn create_oauth_state(state: &OauthState) -> StoreResult<()>;
        fn consume_oauth_state(state_hash: &str, now: OffsetDateTime) -> StoreResult<Option<OauthState>>;
    }
    Oauth2ServerRepository => "oauth2_server" {
        fn create_oauth2_client(client: &Oauth2Client) -> StoreResult<()>;
        fn find_oauth2_client(client_id: &str) -> StoreResult<Option<Oauth2Client>>;
        fn delete_oauth2_client(client_id: &str) -> StoreResult<bool>;
        fn create_authorization_code(code: &AuthorizationCode) -> StoreResult<()>;
        fn consume_authorization_code(code_hash: &str, now: OffsetDateTime) -> StoreResult<Option<AuthorizationCode>>;
        fn find_authorization_code(code_hash: &str) -> StoreResult<Option<AuthorizationCode>>;
        fn upsert_consent(consent: &Consent) -> StoreResult<Consent>;
        fn find_consent(user_id: Uuid, client_id: &str) -> StoreResult<Option<Consent>>;
        fn list_user_consents(user_id: Uuid) -> StoreResult<Vec<Consent>>;
        fn delete_consent(user_id: Uuid, client_id: &str) -> StoreResult<bool>;
        fn create_device_code(code: &DeviceCode) -> StoreResult<()>;
        fn find_pending_device_code(user_code: &str, now: OffsetDateTime) -> StoreResult<Option<DeviceCode>>;
        fn decide_device_code(user_code: &str, user_id: Uuid, approve: bool, now: OffsetDateTime) -> StoreResult<Option<DeviceCode>>;
        fn poll_device_code(device_code_hash: &str, now: OffsetDateTime) -> StoreResult<DevicePoll>;
    }
    OidcRepository => "oidc" {
        fn create_oidc_nonce(nonce: &OidcNonce) -> StoreResult<()>;
        fn find_oidc_nonce(authorization_code_id: Uuid) -> StoreResult<Option<OidcNonce>>;
    }
    PasskeyRepository => "passkey" {
        fn create_webauthn_credential(credential: &WebauthnCredential) -> StoreResult<()>;
        fn find_webauthn_credential(credential_id: &str) -> StoreResult<Option<WebauthnCredential>>;
        fn list_webauthn_credentials(user_id: Uuid) -> StoreResult<Vec<WebauthnCredential>>;
        fn update_webauthn_credential_use(id: Uuid, credential: &serde_json::Value, now: OffsetDateTime) -> StoreResult<()>;
        fn rename_webauthn_credential(user_id: Uuid, id: Uuid, name: &str) -> StoreResult<bool>;
        fn delete_webauthn_credential(user_id: Uuid, id: Uuid) -> StoreResult<bool>;
    }
    RateLimitRepository => "rate_limits" {
        fn hit_rate_limit(key: &str, limit: u32, window: Duration, now: OffsetDateTime) -> StoreResult<RateDecision>;
        fn reset_rate_limit(key: &str) -> StoreResult<()>;
    }
    SealedValueRepository => "sealed" {
        fn list_sealed_values(column: SealedColumn, prefix: &str, after: Option<&str>, limit: u32) -> StoreResult<Vec<SealedValue>>;
        fn replace_sealed_value(column: SealedColumn, row: &str, expected: &str, replacement: &str) -> StoreResult<bool>;
        fn count_sealed_values(column: SealedColumn, prefix: &str) -> StoreResult<u64>;
    }
    SessionRepository => "sessions" {
        fn create_session(session: &Session) -> StoreResult<()>;
        fn validate_session(token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<(Session, User)>>;
        fn extend_session(id: Uuid, expires_at: OffsetDateTime, now: OffsetDateTime) -> StoreResult<bool>;
        fn find_session(id: Uuid) -> StoreResult<Option<Session>>;
        fn list_user_sessions(user_id: Uuid, now: OffsetDateTime) -> StoreResult<Vec<Session>>;
        fn list_sessions(page: PageRequest, now: OffsetDateTime) -> StoreResult<Page<Session>>;
        fn delete_session(id: Uuid) -> StoreResult<bool>;
        fn delete_user_session(user_id: Uuid, id: Uuid) -> StoreResult<bool>;
        fn delete_user_sessions(user_id: Uuid, keep: Option<Uuid>) -> StoreResult<u64>;
    }
    UserRepository => "users" {
        fn create_user(user: &User) -> StoreResult<()>;
        fn find_user(id: Uuid) -> StoreResult<Option<User>>;
        fn find_user_by_email(email: &str) -> StoreResult<Option<User>>;
        fn update_user(id: Uuid, update: &UserUpdate, now: OffsetDateTime) -> StoreResult<User>;
        fn delete_user(id: Uuid) -> StoreResult<bool>;
        fn list_users(query: &UserQuery) -> StoreResult<Page<User>>;
    }
    WebhookRepository => "webhooks" {
        fn create_webhook(webhook: &Webhook) -> StoreResult<()>;
        fn find_webhook(id: Uuid) -> StoreResult<Option<Webhook>>;
        fn list_webhooks(owner: Option<Uuid>) -> StoreResult<Vec<Webhook>>;
        fn count_webhooks(user_id: Uuid) -> StoreResult<u64>;
        fn list_active_webhooks() -> StoreResult<Vec<Webhook>>;
        fn update_webhook(id: Uuid, update: &WebhookUpdate, now: OffsetDateTime) -> StoreResult<Webhook>;
        fn delete_webhook(id: Uuid) -> StoreResult<bool>;
        fn enqueue_delivery(delivery: &WebhookDelivery) -> StoreResult<()>;
        fn claim_due_deliveries(now: OffsetDateTime, lease_until: OffsetDateTime, limit: u32) -> StoreResult<Vec<WebhookDelivery>>;
        fn complete_delivery(id: Uuid, outcome: &DeliveryOutcome, now: OffsetDateTime) -> StoreResult<()>;
        fn find_delivery(id: Uuid) -> StoreResult<Option<WebhookDelivery>>;
        fn count_queued_deliveries(webhook_id: Option<Uuid>) -> StoreResult<u64>;
        fn list_deliveries(webhook_id: Uuid, limit: u32) -> StoreResult<Vec<WebhookDelivery>>;
    }
    MaintenanceRepository => "maintenance" {
        fn purge_expired(now: OffsetDateTime) -> StoreResult<PurgeReport>;
        fn probe_table(table: &str, columns: &[&str]) -> StoreResult<Probe>;
        by hand:
        fn table_name_in_sql(&self, table: &str) -> String {
            self.inner.table_name_in_sql(table)
    }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use opentelemetry::trace::{SpanKind, TracerProvider as _};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    use tracing_subscriber::layer::SubscriberExt;
    use yauth_store::{DatabaseBackend, InMemoryBackend};

    use super::*;

    #[tokio::test]
    async fn a_failed_call_is_a_failed_span_naming_the_error_kind_only() {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        let backend = InMemoryBackend::new();
        let repos = traced(backend.repositories(), backend.db_system());
        let missing = repos
            .users
            .update_user(
                Uuid::nil(),
                &UserUpdate::default(),
                OffsetDateTime::now_utc(),
            )
            .await;
        assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
        assert_eq!(repos.maintenance.table_name_in_sql("users"), "yauth_users");

        let spans = exporter.get_finished_spans().unwrap();
        let [span] = spans.as_slice() else {
            panic!("one storage call, one span: {spans:?}")
        };
        assert_eq!(span.name, "update_user");
        assert_eq!(span.span_kind, SpanKind::Client);
        assert_eq!(span.status, opentelemetry::trace::Status::error(""));
        let attributes: Vec<(String, String)> = span
            .attributes
            .iter()
            .map(|kv| (kv.key.to_string(), kv.value.as_str().into_owned()))
            .collect();
        for expected in [
            ("db.system.name", "memory"),
            ("db.operation.name", "update_user"),
            ("yauth.repository", "users"),
            ("error.type", "not_found"),
        ] {
            assert!(
                attributes.contains(&(expected.0.to_owned(), expected.1.to_owned())),
                "{expected:?} in {attributes:?}"
            );
        }
        assert!(
            !attributes.iter().any(|(_, v)| v.contains("00000000")),
            "no argument is recorded: {attributes:?}"
        );
    }
}
