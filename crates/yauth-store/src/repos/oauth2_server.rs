//! The oauth2-server plugin's storage: clients, codes, consents, device codes, and the device-code poll state machine.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use yauth_entity::{AuthorizationCode, Consent, DeviceCode, DeviceCodeStatus, Oauth2Client};

use crate::StoreResult;

/// The answer to one device-code poll (RFC 8628 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// Not decided yet.
    Pending,
    /// Polled again before `interval` seconds passed.
    SlowDown,
    /// Approved: tokens may be issued. The code is now consumed; exactly one concurrent poller
    /// gets this.
    Approved(DeviceCode),
    /// The user denied.
    Denied,
    /// The code expired.
    Expired,
    /// Unknown or already consumed.
    Invalid,
}

impl DevicePoll {
    /// The state machine of one poll of a stored `code` at `now`, the same on every backend.
    ///
    /// Returns the answer, and the code as it must be written back (`last_polled_at = now`; an
    /// approved code becomes consumed), or `None` when the row stays as it is (an expired code).
    /// A backend reads the row under a lock, calls this, and writes `last_polled_at` and
    /// `status` back in the same transaction, so one poller only consumes an approval.
    pub fn decide(mut code: DeviceCode, now: OffsetDateTime) -> (Self, Option<DeviceCode>) {
        if code.expires_at <= now {
            return (Self::Expired, None);
        }
        let previous_poll = code.last_polled_at.replace(now);
        let answer = match code.status {
            DeviceCodeStatus::Consumed => Self::Invalid,
            DeviceCodeStatus::Denied => Self::Denied,
            DeviceCodeStatus::Approved => {
                code.status = DeviceCodeStatus::Consumed;
                Self::Approved(code.clone())
            }
            DeviceCodeStatus::Pending => {
                let interval = Duration::seconds(i64::from(code.interval));
                if previous_poll.is_some_and(|last| now - last < interval) {
                    Self::SlowDown
                } else {
                    Self::Pending
                }
            }
        };
        (answer, Some(code))
    }
}

/// Clients, authorization codes, consents and device codes of the OAuth2 server.
#[async_trait]
pub trait Oauth2ServerRepository: Send + Sync {
    /// Registers a client. Errors: `Conflict(oauth2_clients.client_id)`.
    async fn create_oauth2_client(&self, client: &Oauth2Client) -> StoreResult<()>;

    /// The client with this client id.
    async fn find_oauth2_client(&self, client_id: &str) -> StoreResult<Option<Oauth2Client>>;

    /// Deletes a client and, by cascade, its codes, consents and device codes.
    async fn delete_oauth2_client(&self, client_id: &str) -> StoreResult<bool>;

    /// Stores a code. Errors: `NotFound` (client or user),
    /// `Conflict(authorization_codes.code_hash)`.
    async fn create_authorization_code(&self, code: &AuthorizationCode) -> StoreResult<()>;

    /// Atomically marks the unused, unexpired code with this hash as used and returns it:
    /// exactly one concurrent caller gets it.
    async fn consume_authorization_code(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<AuthorizationCode>>;

    /// The code with this hash in any state (used or not, expired or not): a second exchange of
    /// a used code finds here which tokens to revoke (RFC 6749 §4.1.2).
    async fn find_authorization_code(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<AuthorizationCode>>;

    /// Inserts the consent, or replaces the scopes of the existing (user, client) consent and
    /// sets its `updated_at`. Returns the stored row. Errors: `NotFound` (client or user).
    async fn upsert_consent(&self, consent: &Consent) -> StoreResult<Consent>;

    /// The user's consent for the client.
    async fn find_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<Option<Consent>>;

    /// Every consent of the user, most recently changed first (`updated_at` descending, then
    /// `id` descending). An unknown user gives an empty list.
    async fn list_user_consents(&self, user_id: Uuid) -> StoreResult<Vec<Consent>>;

    /// Withdraws a consent. Returns whether it existed.
    async fn delete_consent(&self, user_id: Uuid, client_id: &str) -> StoreResult<bool>;

    /// Stores a device authorization. Errors: `NotFound` (client),
    /// `Conflict(device_codes.device_code_hash)`, `Conflict(device_codes.user_code)`.
    async fn create_device_code(&self, code: &DeviceCode) -> StoreResult<()>;

    /// The pending, unexpired device authorization with this user code.
    async fn find_pending_device_code(
        &self,
        user_code: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>>;

    /// The user's decision: atomically moves a pending, unexpired code to approved or denied and
    /// records `user_id`. Exactly one concurrent caller gets the updated row.
    async fn decide_device_code(
        &self,
        user_code: &str,
        user_id: Uuid,
        approve: bool,
        now: OffsetDateTime,
    ) -> StoreResult<Option<DeviceCode>>;

    /// The client's poll: see [`DevicePoll`]. Records `last_polled_at = now`.
    async fn poll_device_code(
        &self,
        device_code_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<DevicePoll>;
}
