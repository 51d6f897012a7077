//! The lockout rules, called by the email-password plugin around every password check.
//!
//! Failures are counted per email address (its SHA-256), whether or not an account has it, in
//! the rate-limit table; a lock is a challenge row keyed the same way. So a locked account and
//! an unknown address that has seen as many failures answer alike, through the same storage
//! calls: the lock is not an oracle for which addresses have accounts. What only an account
//! has (its lock record, an unlock token, the email to its owner) is done after the answer.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{Challenge, UnlockToken, User, new_id};
use yauth_store::{AccountLockoutRepository, StoreError};

use super::config::AccountLockoutConfig;
use super::templates::AccountLockedContext;
use crate::crypto::{hash_token, random_token};
use crate::error::ApiError;
use crate::events::{AuthEvent, EventContext};
use crate::state::YAuthState;

/// The account-lockout service; `YAuthState::lockout()` hands it to the password check.
pub(crate) struct Lockout {
    pub config: AccountLockoutConfig,
    pub repo: Arc<dyn AccountLockoutRepository>,
}

/// What a lock row of the challenges table holds.
#[derive(Debug, Serialize, Deserialize)]
struct LockState {
    #[serde(with = "time::serde::rfc3339::option")]
    until: Option<OffsetDateTime>,
}

/// Locks that never end on their own still need an expiry in the challenges table.
const WITHOUT_AUTO_UNLOCK: Duration = Duration::days(3650);

fn lock_key(email: &str) -> String {
    format!("lockout:{}", hash_token(email))
}

fn failures_key(email: &str) -> String {
    format!("lockout:failures:{}", hash_token(email))
}

fn level_key(email: &str) -> String {
    format!("lockout:level:{}", hash_token(email))
}

impl Lockout {
    /// Refuses a password sign-in for a locked address: 429 `account_locked`, with
    /// `Retry-After` when the lock ends on its own. `email` is normalised.
    pub async fn check(&self, core: &YAuthState, email: &str) -> Result<(), ApiError> {
        let now = core.now();
        let Some(lock) = core
            .repos()
            .challenges
            .get_challenge(&lock_key(email), now)
            .await?
        else {
            return Ok(());
        };
        let state: LockState = serde_json::from_value(lock.value).unwrap_or(LockState {
            until: Some(lock.expires_at),
        });
        let error = ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "account_locked",
            "This account is locked after too many failed sign-ins. Try again later, or ask \
             for an unlock link.",
        );
        Err(match state.until {
            Some(until) => {
                let wait = (until - now).whole_seconds().max(1);
                error.with_retry_after(u64::try_from(wait).unwrap_or(1))
            }
            None => error,
        })
    }

    /// Counts a failed password sign-in for `email` (known account or not) and locks the
    /// address when the count reaches the threshold.
    pub async fn record_failure(
        self: &Arc<Self>,
        core: &YAuthState,
        email: &str,
        user: Option<&User>,
        ctx: &EventContext,
    ) -> Result<(), ApiError> {
        let config = &self.config;
        let now = core.now();
        let limits = &core.repos().rate_limits;
        let failures = limits
            .hit_rate_limit(
                &failures_key(email),
                config.max_failed_attempts,
                config.failure_window,
                now,
            )
            .await?;
        // The increment is atomic: of concurrent failures exactly one sees the threshold.
        if failures.count != config.max_failed_attempts {
            return Ok(());
        }
        let level = limits
            .hit_rate_limit(&level_key(email), u32::MAX, config.backoff_memory, now)
            .await?
            .count;
        let duration = config.lock_duration(level);
        let until = config.auto_unlock.then_some(now + duration);
        let lock = Challenge {
            key: lock_key(email),
            value: serde_json::json!(LockState { until }),
            expires_at: until.unwrap_or(now + WITHOUT_AUTO_UNLOCK),
            created_at: now,
        };
        core.repos().challenges.put_challenge(&lock).await?;
        limits.reset_rate_limit(&failures_key(email)).await?;
        if let Some(user) = user.cloned() {
            let (core_task, service, ctx) = (core.clone(), self.clone(), ctx.clone());
            core.spawn_follow_up("account-lockout/lock", async move {
                service
                    .locked(&core_task, &user, until, &ctx)
                    .await
                    .map_err(ApiError::from)
            });
        }
        Ok(())
    }

    /// After a correct password: the failures so far are forgotten.
    pub async fn record_success(&self, core: &YAuthState, email: &str) -> Result<(), ApiError> {
        core.repos()
            .rate_limits
            .reset_rate_limit(&failures_key(email))
            .await?;
        Ok(())
    }

    /// What only an account gets when it locks: its lock record, the event and an email to
    /// its owner with an unlock link.
    async fn locked(
        &self,
        core: &YAuthState,
        user: &User,
        until: Option<OffsetDateTime>,
        ctx: &EventContext,
    ) -> Result<(), StoreError> {
        let now = core.now();
        let end = until.unwrap_or(now + WITHOUT_AUTO_UNLOCK);
        self.repo
            .lock_account(user.id, end, Some("too_many_failed_logins"), now)
            .await?;
        core.emit(
            AuthEvent::AccountLocked {
                user_id: user.id,
                until,
            },
            ctx,
        )
        .await;
        if self.config.notify_owner {
            self.send_unlock_link(core, user, until).await?;
        }
        Ok(())
    }

    /// Whether `email` is locked now.
    pub async fn is_locked(&self, core: &YAuthState, email: &str) -> Result<bool, StoreError> {
        let found = core
            .repos()
            .challenges
            .get_challenge(&lock_key(email), core.now())
            .await?;
        Ok(found.is_some())
    }

    /// A fresh unlock link for `user` (older ones stop working), by email.
    pub async fn send_unlock_link(
        &self,
        core: &YAuthState,
        user: &User,
        until: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let now = core.now();
        let token = random_token();
        self.repo.delete_unlock_tokens(user.id).await?;
        self.repo
            .create_unlock_token(&UnlockToken {
                id: new_id(),
                user_id: user.id,
                token_hash: hash_token(&token),
                expires_at: now + self.config.unlock_token_ttl,
                created_at: now,
            })
            .await?;
        let minutes = |d: Duration| u64::try_from(d.whole_minutes()).unwrap_or(0);
        let message = self.config.templates.account_locked(&AccountLockedContext {
            app_name: core.config().app_name.clone(),
            email: user.email.clone(),
            unlock_link: core.email_link("unlock-account", &token),
            link_expires_in_minutes: minutes(self.config.unlock_token_ttl),
            lock_ends_in_minutes: until.map(|u| minutes(u - now).max(1)),
        });
        core.send_email_in_background(message);
        Ok(())
    }

    /// Lifts the lock of `user`'s address and forgets its failures (the backoff level stays,
    /// so a guesser who goes on meets longer locks).
    pub async fn unlock(
        &self,
        core: &YAuthState,
        user: &User,
        by: &'static str,
        admin_id: Option<Uuid>,
        ctx: &EventContext,
    ) -> Result<(), ApiError> {
        let repos = core.repos();
        repos
            .challenges
            .delete_challenge(&lock_key(&user.email))
            .await?;
        repos
            .rate_limits
            .reset_rate_limit(&failures_key(&user.email))
            .await?;
        self.repo.unlock_account(user.id, core.now()).await?;
        self.repo.delete_unlock_tokens(user.id).await?;
        core.emit(
            AuthEvent::AccountUnlocked {
                user_id: user.id,
                by,
                admin_id,
            },
            ctx,
        )
        .await;
        Ok(())
    }
}
