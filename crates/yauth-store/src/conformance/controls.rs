//! Negative controls: a real backend with one promise broken on purpose, to show that the suite
//! notices.
//!
//! A passing suite only means something if the suite fails a backend that breaks the contract.
//! Each [`Control`] wraps a working backend's repositories in a decorator that breaks exactly one
//! property the way real bugs do (a find-then-mark consume, a read-then-write counter, a delete
//! that forgets its owner check, a case-sensitive email lookup, a session check that forgets
//! expiry), and names the cases that must fail because of it. [`Control::run`] runs the cases of
//! the broken repository's group against the wrapped backend, and [`Control::check`] says
//! whether exactly those cases failed.
//!
//! Our backends run every control in their tests; a third-party backend can do the same to see
//! that its setup (pool size, runtime) lets the race cases actually race:
//!
//! ```ignore
//! for control in yauth_store::conformance::controls::CONTROLS {
//!     let report = control.run(|| async { MyBackend::connect_for_tests().await }).await;
//!     control.check(&report).unwrap();
//! }
//! ```

use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;
use yauth_entity::{
    AccountLock, AuthorizationCode, Challenge, Consent, DeviceCode, DeviceCodeStatus, Oauth2Client,
    Session, UnlockToken, User, UserUpdate,
};

use super::{CASES, Case, Factory, Report, Setup, run_cases};
use crate::{
    AccountLockoutRepository, ChallengeRepository, DatabaseBackend, DevicePoll,
    Oauth2ServerRepository, Page, PageRequest, Repositories, SessionRepository, StoreResult,
    UserQuery, UserRepository,
};

/// How long a broken decorator waits between its read and its write: long enough that every
/// racer has read before the first one writes, so a race control fails on every run.
const GAP: StdDuration = StdDuration::from_millis(5);

/// One backend broken on purpose, and the cases that must catch it.
#[derive(Debug, Clone, Copy)]
pub struct Control {
    /// A short name, e.g. `challenge_take_find_then_mark`.
    pub name: &'static str,
    /// The cases run against the broken backend: those whose name starts with this.
    pub group: &'static str,
    /// Exactly the cases of `group` that must fail (sorted); the others must pass, which shows
    /// the decorator breaks nothing else.
    pub must_fail: &'static [&'static str],
    /// Wraps a working backend's repositories in the broken decorator.
    pub wrap: fn(Repositories) -> Repositories,
}

/// Every negative control.
pub const CONTROLS: &[Control] = &[
    Control {
        name: "challenge_take_find_then_mark",
        group: "challenges_",
        must_fail: &["challenges_take_race"],
        wrap: |mut repos| {
            repos.challenges = Arc::new(FindThenMarkTake(repos.challenges.clone()));
            repos
        },
    },
    Control {
        name: "device_decision_find_then_mark",
        group: "oauth2_server_device_",
        must_fail: &["oauth2_server_device_decide_race"],
        wrap: |mut repos| {
            if let Some(inner) = repos.oauth2_server.clone() {
                repos.oauth2_server = Some(Arc::new(FindThenMarkDecide(inner)));
            }
            repos
        },
    },
    Control {
        name: "failed_login_read_then_write",
        group: "lockout_",
        must_fail: &["lockout_failed_login_race"],
        wrap: |mut repos| {
            if let Some(inner) = repos.account_lockout.clone() {
                repos.account_lockout = Some(Arc::new(ReadThenWriteCounter(inner)));
            }
            repos
        },
    },
    Control {
        name: "session_delete_ignores_owner",
        group: "sessions_",
        must_fail: &["sessions_delete_user_session_checks_owner"],
        wrap: |mut repos| {
            repos.sessions = Arc::new(DeleteIgnoresOwner(repos.sessions.clone()));
            repos
        },
    },
    Control {
        name: "email_lookup_case_sensitive",
        group: "users_",
        must_fail: &["users_find_by_email_case_insensitive"],
        wrap: |mut repos| {
            repos.users = Arc::new(CaseSensitiveEmail(repos.users.clone()));
            repos
        },
    },
    Control {
        name: "session_validation_ignores_expiry",
        group: "sessions_",
        must_fail: &[
            "sessions_validate_absolute_expiry",
            "sessions_validate_idle_expiry_edge",
        ],
        wrap: |mut repos| {
            repos.sessions = Arc::new(ValidationIgnoresExpiry(repos.sessions.clone()));
            repos
        },
    },
];

impl Control {
    /// Whether this control breaks a race (its cases must fail on every run).
    pub fn is_race(&self) -> bool {
        self.must_fail.iter().any(|name| name.contains("_race"))
    }

    /// The cases this control runs: those of its group.
    pub fn cases(&self) -> Vec<Case> {
        CASES
            .iter()
            .filter(|case| case.name.starts_with(self.group))
            .copied()
            .collect()
    }

    /// Runs [`Control::cases`] against the backends of `factory`, each wrapped in the broken
    /// decorator. Call it from a multi-thread Tokio runtime, like [`run_cases`].
    pub async fn run<A, F>(&self, factory: F) -> Report
    where
        F: Factory<A>,
        F::Output: DatabaseBackend,
    {
        let wrap = self.wrap;
        let broken = move |setup: Setup| {
            let backend = factory.make(setup);
            async move {
                let backend = backend.await;
                Broken {
                    repos: wrap(backend.repositories()),
                    _inner: backend,
                }
            }
        };
        run_cases(&self.cases(), broken).await
    }

    /// `Ok` when exactly the cases of [`Control::must_fail`] failed; otherwise what differs.
    pub fn check(&self, report: &Report) -> Result<(), String> {
        let failed = report.failed_names();
        if failed == self.must_fail {
            return Ok(());
        }
        let missed: Vec<_> = self
            .must_fail
            .iter()
            .filter(|name| !failed.contains(name))
            .collect();
        let extra: Vec<_> = report
            .failed
            .iter()
            .filter(|f| !self.must_fail.contains(&f.name))
            .map(|f| format!("{}: {}", f.name, f.message))
            .collect();
        Err(format!(
            "control {}: cases that should have failed but passed: {missed:?}; \
             cases that failed but should not have: {extra:?}",
            self.name
        ))
    }
}

/// A backend whose repositories were swapped for broken ones; keeps the real backend alive.
struct Broken<B> {
    repos: Repositories,
    _inner: B,
}

impl<B: DatabaseBackend> DatabaseBackend for Broken<B> {
    fn repositories(&self) -> Repositories {
        self.repos.clone()
    }
}

/// The earliest instant any case uses: a validation "at" it finds every stored session alive.
const BEFORE_EVERYTHING: OffsetDateTime = datetime!(1970-01-01 00:00:00 UTC);

/// `take_challenge` as a read, a pause, then a delete whose result it ignores: every racer that
/// read before the first delete gets the challenge.
struct FindThenMarkTake(Arc<dyn ChallengeRepository>);

#[async_trait]
impl ChallengeRepository for FindThenMarkTake {
    async fn put_challenge(&self, challenge: &Challenge) -> StoreResult<()> {
        self.0.put_challenge(challenge).await
    }

    async fn get_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        self.0.get_challenge(key, now).await
    }

    async fn take_challenge(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Challenge>> {
        let found = self.0.get_challenge(key, now).await?;
        tokio::time::sleep(GAP).await;
        if found.is_some() {
            self.0.delete_challenge(key).await?;
        }
        Ok(found)
    }

    async fn delete_challenge(&self, key: &str) -> StoreResult<bool> {
        self.0.delete_challenge(key).await
    }
}

/// `decide_device_code` as a read of the pending code, a pause, then the update, answering from
/// what it read: every racer that read the code while pending is told its decision counted.
struct FindThenMarkDecide(Arc<dyn Oauth2ServerRepository>);

#[async_trait]
impl Oauth2ServerRepository for FindThenMarkDecide {
    async fn create_oauth2_client(&self, client: &Oauth2Client) -> StoreResult<()> {
        self.0.create_oauth2_client(client).await
    }

    async fn find_oauth2_client(&self, client_id: &str) -> StoreResult<Option<Oauth2Client>> {
        self.0.find_oauth2_client(client_id).await
    }

    async fn delete_oauth2_client(&self, client_id: &str) -> StoreResult<bool> {
        self.0.delete_oauth2_client(client_id).await
    }

    async fn create_authorization_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        self.0.create_authorization_code(code).await
    }

    async fn consume_authorization_code(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<AuthorizationCode>> {
        self.0.consume_authorization_code(code_hash, now).await
    }

    async fn find_authorization_code(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<AuthorizationCode>> {
        self.0.find_authorization_code(code_hash).await
    }

    async fn upsert_consent(&self, consent: &Consent) -> StoreResult<Consent> {
        self.0.upsert_consent(consent).await
    }

    async fn find_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<Option<Consent>> {
        self.0.find_consent(user_id, client_id).await
    }

    async fn list_user_consents(&self, user_id: Uuid) -> StoreResult<Vec<Consent>> {
        self.0.list_user_consents(user_id).await
    }

    async fn delete_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<bool> {
        self.0.delete_consent(user_id, client_id).await
    }

    async fn create_device_code(&self, code: &DeviceCode) -> StoreResult<()> {
        self.0.create_device_code(code).await
    }

    async fn find_pending_device_code(
        &self,
        user_code: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>> {
        self.0.find_pending_device_code(user_code, now).await
    }

    async fn decide_device_code(
        &self,
        user_code: &str,
        user_id: Uuid,
        approve: bool,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>> {
        let Some(pending) = self.0.find_pending_device_code(user_code, now).await? else {
            return Ok(None);
        };
        tokio::time::sleep(GAP).await;
        let decided = self
            .0
            .decide_device_code(user_code, user_id, approve, now)
            .await?;
        // The bug: the answer comes from the read, not from whether the update took.
        Ok(Some(decided.unwrap_or(DeviceCode {
            status: if approve {
                DeviceCodeStatus::Approved
            } else {
                DeviceCodeStatus::Denied
            },
            user_id: Some(user_id),
            ..pending
        })))
    }

    async fn poll_device_code(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<DevicePoll> {
        self.0.poll_device_code(device_code_hash, now).await
    }
}

/// `record_failed_login` that reads the count, pauses, writes, and reports the count it read
/// plus one: concurrent failures see the same count, the lost update of a read-then-write.
struct ReadThenWriteCounter(Arc<dyn AccountLockoutRepository>);

#[async_trait]
impl AccountLockoutRepository for ReadThenWriteCounter {
    async fn find_account_lock(&self, user_id: Uuid) -> StoreResult<Option<AccountLock>> {
        self.0.find_account_lock(user_id).await
    }

    async fn record_failed_login(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        let read = self.0.find_account_lock(user_id).await?;
        let seen = read.map_or(0, |lock| lock.failed_count);
        tokio::time::sleep(GAP).await;
        let written = self.0.record_failed_login(user_id, now).await?;
        Ok(AccountLock {
            failed_count: seen + 1,
            ..written
        })
    }

    async fn lock_account(
        &self,
        user_id: Uuid,
        until: OffsetDateTime,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<AccountLock> {
        self.0.lock_account(user_id, until, reason, now).await
    }

    async fn reset_failed_logins(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<()> {
        self.0.reset_failed_logins(user_id, now).await
    }

    async fn unlock_account(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<bool> {
        self.0.unlock_account(user_id, now).await
    }

    async fn create_unlock_token(&self, token: &UnlockToken) -> StoreResult<()> {
        self.0.create_unlock_token(token).await
    }

    async fn consume_unlock_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<UnlockToken>> {
        self.0.consume_unlock_token(token_hash, now).await
    }

    async fn delete_unlock_tokens(&self, user_id: Uuid) -> StoreResult<u64> {
        self.0.delete_unlock_tokens(user_id).await
    }
}

/// Implements `SessionRepository` for a wrapper by delegating every method but the given ones.
macro_rules! sessions_delegating {
    ($name:ident, { $($override:tt)* }) => {
        #[async_trait]
        impl SessionRepository for $name {
            async fn create_session(&self, session: &Session) -> StoreResult<()> {
                self.0.create_session(session).await
            }

            async fn extend_session(
                &self,
                id: Uuid,
                expires_at: OffsetDateTime,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                self.0.extend_session(id, expires_at, now).await
            }

            async fn find_session(&self, id: Uuid) -> StoreResult<Option<Session>> {
                self.0.find_session(id).await
            }

            async fn list_user_sessions(
                &self,
                user_id: Uuid,
                now: OffsetDateTime,
            ) -> StoreResult<Vec<Session>> {
                self.0.list_user_sessions(user_id, now).await
            }

            async fn list_sessions(
                &self,
                page: PageRequest,
                now: OffsetDateTime,
            ) -> StoreResult<Page<Session>> {
                self.0.list_sessions(page, now).await
            }

            async fn delete_session(&self, id: Uuid) -> StoreResult<bool> {
                self.0.delete_session(id).await
            }

            async fn delete_user_sessions(
                &self,
                user_id: Uuid,
                keep: Option<Uuid>,
            ) -> StoreResult<u64> {
                self.0.delete_user_sessions(user_id, keep).await
            }

            $($override)*
        }
    };
}

/// `delete_user_session` that deletes the session whoever owns it.
struct DeleteIgnoresOwner(Arc<dyn SessionRepository>);

sessions_delegating!(DeleteIgnoresOwner, {
    async fn validate_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(Session, User)>> {
        self.0.validate_session(token_hash, now).await
    }

    async fn delete_user_session(&self, _user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.0.delete_session(id).await
    }
});

/// `validate_session` that finds any stored session alive, expired or not.
struct ValidationIgnoresExpiry(Arc<dyn SessionRepository>);

sessions_delegating!(ValidationIgnoresExpiry, {
    async fn validate_session(
        &self,
        token_hash: &str,
        _now: OffsetDateTime,
    ) -> StoreResult<Option<(Session, User)>> {
        self.0.validate_session(token_hash, BEFORE_EVERYTHING).await
    }

    async fn delete_user_session(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.0.delete_user_session(user_id, id).await
    }
});

/// `find_user_by_email` that only matches the address exactly as stored.
struct CaseSensitiveEmail(Arc<dyn UserRepository>);

#[async_trait]
impl UserRepository for CaseSensitiveEmail {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.0.create_user(user).await
    }

    async fn find_user(&self, id: Uuid) -> StoreResult<Option<User>> {
        self.0.find_user(id).await
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let found = self.0.find_user_by_email(email).await?;
        Ok(found.filter(|user| user.email == email))
    }

    async fn update_user(
        &self,
        id: Uuid,
        update: &UserUpdate,
        now: OffsetDateTime,
    ) -> StoreResult<User> {
        self.0.update_user(id, update, now).await
    }

    async fn delete_user(&self, id: Uuid) -> StoreResult<bool> {
        self.0.delete_user(id).await
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<Page<User>> {
        self.0.list_users(query).await
    }
}
