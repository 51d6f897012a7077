//! A backend decorator that records every storage call with the Tokio task that made it, so a
//! test can tell the calls made inside a request from those of background tasks.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth::entity::{
    AccountLock, AuditLogEntry, Challenge, EmailVerification, PasswordCredential,
    PasswordHistoryEntry, PasswordReset, Session, UnlockToken, User, UserUpdate,
};
use yauth_store::{
    AccountLockoutRepository, AuditLogRepository, AuditQuery, ChallengeRepository, DatabaseBackend,
    EmailPasswordRepository, MaintenanceRepository, Page, PageRequest, PurgeReport, RateDecision,
    RateLimitRepository, Repositories, SessionRepository, StoreResult, UserQuery, UserRepository,
};

/// One storage call: the task that made it and the method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The calling task (`None` outside a task).
    pub task: Option<tokio::task::Id>,
    /// `Trait::method`.
    pub method: &'static str,
}

/// Wraps a backend's core and email-password repositories and records every call.
#[derive(Clone)]
pub struct Recording {
    inner: Repositories,
    calls: Arc<Mutex<Vec<Call>>>,
    /// Methods that answer `Unavailable` instead of forwarding (a database outage).
    failing: Arc<Mutex<Vec<&'static str>>>,
}

impl Recording {
    /// Records the calls made to `backend`.
    pub fn new(backend: impl DatabaseBackend) -> Self {
        Self {
            inner: backend.repositories(),
            calls: Arc::default(),
            failing: Arc::default(),
        }
    }

    /// From now on `method` (`Trait::method`) answers `StoreError::Unavailable`.
    pub fn fail(&self, method: &'static str) {
        self.failing.lock().unwrap().push(method);
    }

    /// The methods called by `task`, in order.
    pub fn calls_of(&self, task: tokio::task::Id) -> Vec<&'static str> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.task == Some(task))
            .map(|c| c.method)
            .collect()
    }

    /// Every method called by any task, in order.
    pub fn all_calls(&self) -> Vec<&'static str> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.method)
            .collect()
    }

    fn record(&self, method: &'static str) {
        self.calls.lock().unwrap().push(Call {
            task: tokio::task::try_id(),
            method,
        });
    }

    fn account_lockout(&self) -> &Arc<dyn AccountLockoutRepository> {
        self.inner
            .account_lockout
            .as_ref()
            .expect("the wrapped backend has the account-lockout repository")
    }

    fn email_password(&self) -> &Arc<dyn EmailPasswordRepository> {
        self.inner
            .email_password
            .as_ref()
            .expect("the wrapped backend has the email-password repository")
    }
}

impl DatabaseBackend for Recording {
    fn repositories(&self) -> Repositories {
        let me = Arc::new(self.clone());
        Repositories {
            users: me.clone(),
            sessions: me.clone(),
            audit: me.clone(),
            challenges: me.clone(),
            rate_limits: me.clone(),
            maintenance: me.clone(),
            email_password: Some(me.clone()),
            account_lockout: self.inner.account_lockout.as_ref().map(|_| me as _),
            ..self.inner.clone()
        }
    }
}

/// Implements a repository trait by recording the call and forwarding it to `$inner`.
macro_rules! recorded {
    ($trait:ident via $inner:expr; $( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        #[async_trait]
        impl $trait for Recording {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    let method = concat!(stringify!($trait), "::", stringify!($name));
                    self.record(method);
                    if self.failing.lock().unwrap().contains(&method) {
                        return Err(yauth_store::StoreError::Unavailable("injected outage".into()));
                    }
                    let inner = ($inner)(self);
                    inner.$name($($arg),*).await
                }
            )*
        }
    };
}

recorded! { UserRepository via |s: &Recording| s.inner.users.clone();
    fn create_user(&self, user: &User) -> StoreResult<()>;
    fn find_user(&self, id: Uuid) -> StoreResult<Option<User>>;
    fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    fn update_user(&self, id: Uuid, update: &UserUpdate, now: OffsetDateTime) -> StoreResult<User>;
    fn delete_user(&self, id: Uuid) -> StoreResult<bool>;
    fn list_users(&self, query: &UserQuery) -> StoreResult<Page<User>>;
}

recorded! { SessionRepository via |s: &Recording| s.inner.sessions.clone();
    fn create_session(&self, session: &Session) -> StoreResult<()>;
    fn validate_session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<(Session, User)>>;
    fn extend_session(&self, id: Uuid, expires_at: OffsetDateTime, now: OffsetDateTime) -> StoreResult<bool>;
    fn find_session(&self, id: Uuid) -> StoreResult<Option<Session>>;
    fn list_user_sessions(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<Vec<Session>>;
    fn list_sessions(&self, page: PageRequest, now: OffsetDateTime) -> StoreResult<Page<Session>>;
    fn delete_session(&self, id: Uuid) -> StoreResult<bool>;
    fn delete_user_session(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;
    fn delete_user_sessions(&self, user_id: Uuid, keep: Option<Uuid>) -> StoreResult<u64>;
}

recorded! { AuditLogRepository via |s: &Recording| s.inner.audit.clone();
    fn append_audit(&self, entry: &AuditLogEntry) -> StoreResult<AuditLogEntry>;
    fn insert_audit(&self, entry: &AuditLogEntry) -> StoreResult<()>;
    fn audit_chain_head(&self, chain: &str) -> StoreResult<Option<AuditLogEntry>>;
    fn list_audit_chain(&self, chain: &str, after_seq: i64, limit: u64) -> StoreResult<Vec<AuditLogEntry>>;
    fn list_audit_chains(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>>;
    fn list_audit(&self, query: &AuditQuery) -> StoreResult<Page<AuditLogEntry>>;
}

recorded! { ChallengeRepository via |s: &Recording| s.inner.challenges.clone();
    fn put_challenge(&self, challenge: &Challenge) -> StoreResult<()>;
    fn get_challenge(&self, key: &str, now: OffsetDateTime) -> StoreResult<Option<Challenge>>;
    fn take_challenge(&self, key: &str, now: OffsetDateTime) -> StoreResult<Option<Challenge>>;
    fn delete_challenge(&self, key: &str) -> StoreResult<bool>;
}

recorded! { RateLimitRepository via |s: &Recording| s.inner.rate_limits.clone();
    fn hit_rate_limit(&self, key: &str, limit: u32, window: Duration, now: OffsetDateTime) -> StoreResult<RateDecision>;
    fn reset_rate_limit(&self, key: &str) -> StoreResult<()>;
}

recorded! { MaintenanceRepository via |s: &Recording| s.inner.maintenance.clone();
    fn purge_expired(&self, now: OffsetDateTime) -> StoreResult<PurgeReport>;
}

recorded! { EmailPasswordRepository via |s: &Recording| s.email_password().clone();
    fn find_password(&self, user_id: Uuid) -> StoreResult<Option<PasswordCredential>>;
    fn create_user_with_password(&self, user: &User, credential: &PasswordCredential) -> StoreResult<()>;
    fn set_password(&self, credential: &PasswordCredential) -> StoreResult<()>;
    fn add_password_history(&self, entry: &PasswordHistoryEntry, keep: u32) -> StoreResult<()>;
    fn password_history(&self, user_id: Uuid, limit: u32) -> StoreResult<Vec<PasswordHistoryEntry>>;
    fn create_email_verification(&self, verification: &EmailVerification) -> StoreResult<()>;
    fn consume_email_verification(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<EmailVerification>>;
    fn delete_email_verifications(&self, user_id: Uuid) -> StoreResult<u64>;
    fn create_password_reset(&self, reset: &PasswordReset) -> StoreResult<()>;
    fn find_password_reset(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<PasswordReset>>;
    fn consume_password_reset(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<PasswordReset>>;
    fn delete_password_resets(&self, user_id: Uuid) -> StoreResult<u64>;
}

recorded! { AccountLockoutRepository via |s: &Recording| s.account_lockout().clone();
    fn find_account_lock(&self, user_id: Uuid) -> StoreResult<Option<AccountLock>>;
    fn record_failed_login(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<AccountLock>;
    fn lock_account(&self, user_id: Uuid, until: OffsetDateTime, reason: Option<&str>, now: OffsetDateTime) -> StoreResult<AccountLock>;
    fn reset_failed_logins(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<()>;
    fn unlock_account(&self, user_id: Uuid, now: OffsetDateTime) -> StoreResult<bool>;
    fn create_unlock_token(&self, token: &UnlockToken) -> StoreResult<()>;
    fn consume_unlock_token(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Option<UnlockToken>>;
    fn delete_unlock_tokens(&self, user_id: Uuid) -> StoreResult<u64>;
}
