//! Fixtures shared by the cases: unique values, row builders, error checks and the race helper.
//!
//! Every builder produces a row with fresh unique keys (emails, token hashes, prefixes, client
//! ids), so cases never collide when they share one database.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tokio::sync::Barrier;
use uuid::Uuid;
use yauth_entity::*;

use crate::{Repositories, StoreResult};

/// How many tasks race in every concurrency case.
pub const RACERS: usize = 16;

/// The fixed instant at which the purge case runs `purge_expired`. No other case creates a row
/// that expires by then, so a purge at this instant only removes the purge case's own rows.
pub const PURGE_NOW: OffsetDateTime = datetime!(1985-01-01 00:00:00 UTC);

/// `next_attempt_at` of the webhook deliveries of every case but the claiming one: far beyond
/// any instant at which a case claims, so only the claiming case's own deliveries are ever due.
pub const NEVER_DUE: OffsetDateTime = datetime!(9999-01-01 00:00:00 UTC);

/// One microsecond: the resolution every backend stores.
pub const MICROSECOND: Duration = Duration::microseconds(1);

/// The current instant, UTC, truncated to microseconds (what the library's clock hands a store).
pub fn now() -> OffsetDateTime {
    truncate_to_micros(OffsetDateTime::now_utc())
}

/// A fresh random token hash: 64 lowercase hex digits, like a SHA-256.
pub fn token_hash() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// A fresh unique lowercase marker (32 hex digits), to tag rows a case wants to find again.
pub fn marker() -> String {
    Uuid::new_v4().simple().to_string()
}

/// A fresh email in mixed case (`case-<uuid>@Example.Test`), so that every user created through
/// the fixtures also exercises email normalisation.
pub fn unique_email() -> String {
    format!("case-{}@Example.Test", Uuid::new_v4())
}

/// Unwraps an optional plugin repository, failing the case when the backend lacks it.
pub fn need<T: ?Sized>(repo: &Option<Arc<T>>, plugin: &str) -> Arc<T> {
    repo.clone()
        .unwrap_or_else(|| panic!("backend provides the {plugin} repository"))
}

/// Asserts that `result` is `Conflict { constraint }`.
pub fn assert_conflict<T: Debug>(result: StoreResult<T>, constraint: &str, what: &str) {
    match result {
        Err(error) if error.is_conflict_on(constraint) => {}
        other => panic!("{what}: the contract promises Conflict({constraint}), got {other:?}"),
    }
}

/// Asserts that `result` is `NotFound`.
pub fn assert_not_found<T: Debug>(result: StoreResult<T>, what: &str) {
    match result {
        Err(crate::StoreError::NotFound) => {}
        other => panic!("{what}: the contract promises NotFound, got {other:?}"),
    }
}

/// Spawns `n` tasks, releases them together through a barrier, and returns their results in
/// task order. A panic in a task is re-raised here.
///
/// Refuses to run on a current-thread runtime (the racers would take turns instead of racing),
/// and, under the suite's runners, in a case whose [`Setup`](super::Setup) does not announce
/// that many racers (its backend would not have been warmed for them).
pub async fn race<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    assert_eq!(
        tokio::runtime::Handle::current().runtime_flavor(),
        tokio::runtime::RuntimeFlavor::MultiThread,
        "race cases need a multi-thread Tokio runtime: on a current-thread one the racers take turns"
    );
    if let Some(setup) = super::current_setup() {
        assert!(
            n <= setup.concurrency,
            "case {} races {n} tasks but its setup announces {}: name race cases `*_race` so \
             factories warm their pools for them",
            setup.case,
            setup.concurrency
        );
    }
    let barrier = Arc::new(Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let task = f(i);
            tokio::spawn(async move {
                barrier.wait().await;
                task.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        match task.await {
            Ok(value) => results.push(value),
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => panic!("a racing task was cancelled: {error}"),
        }
    }
    results
}

/// A user row (not stored) created at `now`, with a fresh mixed-case email: the store must
/// normalise it. Compare against [`stored`].
pub fn new_user(now: OffsetDateTime) -> User {
    User {
        email: unique_email(),
        ..User::new(new_id(), "", now)
    }
}

/// The row a store must hold after `create_user(user)`: the same with the email normalised.
pub fn stored(user: &User) -> User {
    User {
        email: normalize_email(&user.email),
        ..user.clone()
    }
}

/// Creates a fresh user created at `now` and returns it as stored.
pub async fn create_user_at(repos: &Repositories, now: OffsetDateTime) -> User {
    let user = new_user(now);
    repos
        .users
        .create_user(&user)
        .await
        .expect("create_user of a fresh user must succeed");
    stored(&user)
}

/// Creates a fresh user and returns it as stored.
pub async fn create_user(repos: &Repositories) -> User {
    create_user_at(repos, now()).await
}

/// A session of `user_id` created at `now`: idle expiry in one hour, absolute in one day.
pub fn session(user_id: Uuid, now: OffsetDateTime) -> Session {
    Session {
        id: new_id(),
        user_id,
        token_hash: token_hash(),
        ip_address: Some("203.0.113.7".to_owned()),
        user_agent: Some("conformance/1.0".to_owned()),
        impersonator_id: None,
        expires_at: now + Duration::hours(1),
        absolute_expires_at: now + Duration::days(1),
        last_seen_at: now,
        created_at: now,
        amr: "pwd otp mfa".to_owned(),
    }
}

/// Stores `session`.
pub async fn insert_session(repos: &Repositories, session: &Session) {
    let result = repos.sessions.create_session(session).await;
    result.expect("create_session of a fresh session must succeed");
}

/// Creates a session (see [`session`]) and returns it.
pub async fn create_session(repos: &Repositories, user_id: Uuid, now: OffsetDateTime) -> Session {
    let session = session(user_id, now);
    insert_session(repos, &session).await;
    session
}

/// `validate_session` of `session`'s token at `at`.
pub async fn validate(
    repos: &Repositories,
    session: &Session,
    at: OffsetDateTime,
) -> Option<(Session, User)> {
    let found = repos
        .sessions
        .validate_session(&session.token_hash, at)
        .await;
    found.expect("validate_session")
}

/// An audit entry about `user_id` of type `event_type` at `at`.
pub fn audit_entry(user_id: Option<Uuid>, event_type: &str, at: OffsetDateTime) -> AuditLogEntry {
    AuditLogEntry::new(
        new_id(),
        user_id,
        event_type,
        Some(json!({ "ip": "198.51.100.1", "attempt": 1 })),
        Some("198.51.100.1".to_owned()),
        at,
    )
}

/// A fresh event type (`evt-<marker>`), unique to the calling case.
pub fn event_type() -> String {
    format!("evt-{}", marker())
}

/// A challenge with a fresh key.
pub fn challenge(expires_at: OffsetDateTime, now: OffsetDateTime) -> Challenge {
    Challenge {
        key: format!("conformance:{}", marker()),
        value: json!({ "challenge": marker(), "user_verification": "preferred" }),
        expires_at,
        created_at: now,
    }
}

/// An email verification of `user_id`.
pub fn email_verification(user_id: Uuid, expires_at: OffsetDateTime) -> EmailVerification {
    EmailVerification {
        id: new_id(),
        user_id,
        token_hash: token_hash(),
        expires_at,
        created_at: expires_at - Duration::hours(1),
    }
}

/// An unused password reset of `user_id`.
pub fn password_reset(user_id: Uuid, expires_at: OffsetDateTime) -> PasswordReset {
    PasswordReset {
        id: new_id(),
        user_id,
        token_hash: token_hash(),
        expires_at,
        used_at: None,
        created_at: expires_at - Duration::hours(1),
    }
}

/// A password credential of `user_id`.
pub fn password(user_id: Uuid, now: OffsetDateTime) -> PasswordCredential {
    PasswordCredential {
        user_id,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1${}", marker()),
        updated_at: now,
    }
}

/// A WebAuthn credential of `user_id` with a fresh credential id.
pub fn webauthn_credential(user_id: Uuid, now: OffsetDateTime) -> WebauthnCredential {
    WebauthnCredential {
        id: new_id(),
        user_id,
        credential_id: format!("cred-{}", marker()),
        name: "YubiKey".to_owned(),
        aaguid: Some("ee882879-721c-4913-9775-3dfcce97072a".to_owned()),
        device_name: None,
        credential: json!({ "cred": { "counter": 0, "alg": -7 }, "backup": false }),
        created_at: now,
        last_used_at: None,
    }
}

/// An unverified TOTP secret of `user_id`.
pub fn totp_secret(user_id: Uuid, now: OffsetDateTime) -> TotpSecret {
    TotpSecret {
        id: new_id(),
        user_id,
        encrypted_secret: format!("enc:{}", marker()),
        verified: false,
        last_used_step: None,
        created_at: now,
    }
}

/// An unused backup code of `user_id`.
pub fn backup_code(user_id: Uuid, now: OffsetDateTime) -> BackupCode {
    BackupCode {
        id: new_id(),
        user_id,
        code_hash: token_hash(),
        used: false,
        used_at: None,
        created_at: now,
    }
}

/// A linked account of `user_id` at `provider`, with a fresh provider subject.
pub fn oauth_account(user_id: Uuid, provider: &str, now: OffsetDateTime) -> OauthAccount {
    OauthAccount {
        id: new_id(),
        user_id,
        provider: provider.to_owned(),
        provider_user_id: marker(),
        access_token_enc: Some(format!("enc:{}", marker())),
        refresh_token_enc: None,
        expires_at: Some(now + Duration::hours(1)),
        updated_at: now,
        created_at: now,
    }
}

/// A fresh provider name, so (user, provider) and (provider, subject) pairs never collide.
pub fn provider() -> String {
    format!("prov-{}", &marker()[..16])
}

/// An OAuth state with a fresh state hash.
pub fn oauth_state(expires_at: OffsetDateTime) -> OauthState {
    OauthState {
        state: token_hash(),
        provider: "github".to_owned(),
        redirect_url: Some("https://app.example.test/after".to_owned()),
        code_verifier: marker(),
        nonce: Some(marker()),
        link_user_id: None,
        expires_at,
        created_at: expires_at - Duration::minutes(10),
    }
}

/// The first refresh token of a new family of `user_id`.
pub fn refresh_token(user_id: Uuid, expires_at: OffsetDateTime) -> RefreshToken {
    RefreshToken {
        id: new_id(),
        user_id,
        token_hash: token_hash(),
        family_id: new_id(),
        client_id: None,
        scopes: None,
        expires_at,
        revoked: false,
        created_at: expires_at - Duration::days(1),
    }
}

/// An API key of `user_id` with a fresh prefix, never expiring.
pub fn api_key(user_id: Uuid, now: OffsetDateTime) -> ApiKey {
    ApiKey {
        id: new_id(),
        user_id,
        key_prefix: format!("yk_{}", &marker()[..16]),
        key_hash: token_hash(),
        name: "ci".to_owned(),
        scopes: Some(json!(["read", "write"])),
        last_used_at: None,
        expires_at: None,
        created_at: now,
    }
}

/// An unused magic link for `email` (stored as given: the store normalises it).
pub fn magic_link(email: &str, expires_at: OffsetDateTime) -> MagicLink {
    MagicLink {
        id: new_id(),
        email: email.to_owned(),
        token_hash: token_hash(),
        expires_at,
        used: false,
        created_at: expires_at - Duration::minutes(15),
    }
}

/// A confidential OAuth2 client with a fresh client id.
pub fn oauth2_client(now: OffsetDateTime) -> Oauth2Client {
    Oauth2Client {
        id: new_id(),
        client_id: format!("client-{}", marker()),
        client_secret_hash: Some("$argon2id$v=19$secret".to_owned()),
        redirect_uris: json!(["https://rp.example.test/cb"]),
        client_name: Some("Relying party".to_owned()),
        grant_types: json!(["authorization_code", "refresh_token"]),
        scopes: Some(json!(["openid", "profile"])),
        is_public: false,
        created_at: now,
    }
}

/// Registers a fresh client and returns it.
pub async fn create_oauth2_client(repos: &Repositories) -> Oauth2Client {
    let client = oauth2_client(now());
    need(&repos.oauth2_server, "oauth2-server")
        .create_oauth2_client(&client)
        .await
        .expect("create_oauth2_client of a fresh client must succeed");
    client
}

/// An unused authorization code of `client_id` for `user_id`.
pub fn authorization_code(
    client_id: &str,
    user_id: Uuid,
    expires_at: OffsetDateTime,
) -> AuthorizationCode {
    AuthorizationCode {
        id: new_id(),
        code_hash: token_hash(),
        client_id: client_id.to_owned(),
        user_id,
        scopes: Some(json!(["openid"])),
        redirect_uri: "https://rp.example.test/cb".to_owned(),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned(),
        code_challenge_method: "S256".to_owned(),
        nonce: Some(marker()),
        auth_time: expires_at - Duration::hours(30),
        amr: json!(["pwd", "otp", "mfa"]),
        expires_at,
        used: false,
        created_at: expires_at - Duration::minutes(10),
    }
}

/// A consent of `user_id` for `client_id` to `scopes`.
pub fn consent(
    user_id: Uuid,
    client_id: &str,
    scopes: serde_json::Value,
    now: OffsetDateTime,
) -> Consent {
    Consent {
        id: new_id(),
        user_id,
        client_id: client_id.to_owned(),
        scopes,
        created_at: now,
        updated_at: now,
    }
}

/// A pending device code of `client_id` with fresh device and user codes, polled every 5 s.
pub fn device_code(client_id: &str, expires_at: OffsetDateTime) -> DeviceCode {
    DeviceCode {
        id: new_id(),
        device_code_hash: token_hash(),
        user_code: marker()[..16].to_uppercase(),
        client_id: client_id.to_owned(),
        scopes: Some(json!(["openid"])),
        user_id: None,
        status: DeviceCodeStatus::Pending,
        interval: 5,
        expires_at,
        last_polled_at: None,
        created_at: expires_at - Duration::minutes(15),
    }
}

/// An unlock token of `user_id`.
pub fn unlock_token(user_id: Uuid, expires_at: OffsetDateTime) -> UnlockToken {
    UnlockToken {
        id: new_id(),
        user_id,
        token_hash: token_hash(),
        expires_at,
        created_at: expires_at - Duration::hours(1),
    }
}

/// An active webhook of `owner`.
pub fn webhook(owner: Option<Uuid>, now: OffsetDateTime) -> Webhook {
    Webhook {
        id: new_id(),
        user_id: owner,
        url: format!("https://hooks.example.test/{}", marker()),
        secret_enc: format!("enc:{}", marker()),
        events: json!(["user.created", "user.deleted"]),
        active: true,
        created_at: now,
        updated_at: now,
    }
}

/// A pending delivery to `webhook_id`, due at `next_attempt_at` (use [`NEVER_DUE`] unless the
/// case is the claiming one).
pub fn delivery(webhook_id: Uuid, next_attempt_at: OffsetDateTime) -> WebhookDelivery {
    WebhookDelivery {
        id: new_id(),
        webhook_id,
        event_type: "user.created".to_owned(),
        payload: json!({ "event": "user.created", "data": { "id": marker() } }),
        status: DeliveryStatus::Pending,
        attempt: 0,
        next_attempt_at,
        locked_until: None,
        status_code: None,
        response_body: None,
        last_error: None,
        duration_ms: Some(250),
        success: false,
        created_at: now(),
        updated_at: now(),
    }
}

/// A signing key created at `created_at` with a fresh kid, unretired and unexpired.
pub fn signing_key(created_at: OffsetDateTime) -> SigningKey {
    SigningKey {
        kid: format!("kid-{}", marker()),
        algorithm: "ES256".to_owned(),
        private_key_enc: format!("enc:{}", marker()),
        public_jwk: json!({ "kty": "EC", "crv": "P-256", "x": marker(), "y": marker() }),
        created_at,
        retired_at: None,
        expires_at: None,
    }
}
