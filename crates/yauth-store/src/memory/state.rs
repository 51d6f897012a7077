//! The data of the in-memory backend and the rules that span tables (foreign keys, cascades).

use std::collections::HashMap;

use time::OffsetDateTime;
use uuid::Uuid;
use yauth_entity::*;

use crate::{StoreError, StoreResult};

/// One fixed rate-limit window.
#[derive(Debug, Clone)]
pub(crate) struct RateWindow {
    pub count: u32,
    pub window_end: OffsetDateTime,
}

/// Every table. Tables looked up by a token are keyed by its hash (which also enforces its
/// uniqueness); the rest by primary key.
#[derive(Default)]
pub(crate) struct State {
    pub users: HashMap<Uuid, User>,
    pub user_ids_by_email: HashMap<String, Uuid>,
    /// Keyed by token hash: the hot path looks sessions up by it.
    pub sessions: HashMap<String, Session>,
    pub audit: Vec<AuditLogEntry>,
    pub challenges: HashMap<String, Challenge>,
    pub rate_limits: HashMap<String, RateWindow>,
    pub passwords: HashMap<Uuid, PasswordCredential>,
    pub password_history: Vec<PasswordHistoryEntry>,
    pub email_verifications: HashMap<String, EmailVerification>,
    pub password_resets: HashMap<String, PasswordReset>,
    pub webauthn_credentials: HashMap<Uuid, WebauthnCredential>,
    /// Keyed by user id (one secret per user).
    pub totp_secrets: HashMap<Uuid, TotpSecret>,
    pub backup_codes: HashMap<Uuid, BackupCode>,
    pub oauth_accounts: HashMap<Uuid, OauthAccount>,
    pub oauth_states: HashMap<String, OauthState>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub revocations: HashMap<String, JtiRevocation>,
    /// Keyed by prefix.
    pub api_keys: HashMap<String, ApiKey>,
    pub magic_links: HashMap<String, MagicLink>,
    /// Keyed by client id.
    pub oauth2_clients: HashMap<String, Oauth2Client>,
    pub authorization_codes: HashMap<String, AuthorizationCode>,
    pub consents: HashMap<Uuid, Consent>,
    pub device_codes: HashMap<String, DeviceCode>,
    /// Keyed by user id.
    pub account_locks: HashMap<Uuid, AccountLock>,
    pub unlock_tokens: HashMap<String, UnlockToken>,
    pub webhooks: HashMap<Uuid, Webhook>,
    pub deliveries: HashMap<Uuid, WebhookDelivery>,
    pub oidc_nonces: HashMap<Uuid, OidcNonce>,
    pub signing_keys: HashMap<String, SigningKey>,
}

impl State {
    /// Foreign-key check: the user must exist.
    pub fn require_user(&self, user_id: Uuid) -> StoreResult<()> {
        if self.users.contains_key(&user_id) {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Foreign-key check: the OAuth2 client must exist.
    pub fn require_client(&self, client_id: &str) -> StoreResult<()> {
        if self.oauth2_clients.contains_key(client_id) {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// `ON DELETE CASCADE` from a user, and `SET NULL` for the audit log.
    pub fn delete_user_cascade(&mut self, id: Uuid) -> bool {
        let Some(user) = self.users.remove(&id) else {
            return false;
        };
        self.user_ids_by_email.remove(&user.email);
        self.sessions
            .retain(|_, s| s.user_id != id && s.impersonator_id != Some(id));
        for entry in &mut self.audit {
            if entry.user_id == Some(id) {
                entry.user_id = None;
            }
        }
        self.passwords.remove(&id);
        self.password_history.retain(|h| h.user_id != id);
        self.email_verifications.retain(|_, v| v.user_id != id);
        self.password_resets.retain(|_, r| r.user_id != id);
        self.webauthn_credentials.retain(|_, c| c.user_id != id);
        self.totp_secrets.remove(&id);
        self.backup_codes.retain(|_, c| c.user_id != id);
        self.oauth_accounts.retain(|_, a| a.user_id != id);
        self.oauth_states.retain(|_, s| s.link_user_id != Some(id));
        self.refresh_tokens.retain(|_, t| t.user_id != id);
        self.api_keys.retain(|_, k| k.user_id != id);
        let dropped_codes: Vec<Uuid> = self
            .authorization_codes
            .values()
            .filter(|c| c.user_id == id)
            .map(|c| c.id)
            .collect();
        self.authorization_codes.retain(|_, c| c.user_id != id);
        self.oidc_nonces
            .retain(|_, n| !dropped_codes.contains(&n.authorization_code_id));
        self.consents.retain(|_, c| c.user_id != id);
        self.device_codes.retain(|_, d| d.user_id != Some(id));
        self.account_locks.remove(&id);
        self.unlock_tokens.retain(|_, t| t.user_id != id);
        let dropped_hooks: Vec<Uuid> = self
            .webhooks
            .values()
            .filter(|w| w.user_id == Some(id))
            .map(|w| w.id)
            .collect();
        self.delete_webhooks_cascade(&dropped_hooks);
        true
    }

    /// `ON DELETE CASCADE` from an OAuth2 client.
    pub fn delete_client_cascade(&mut self, client_id: &str) -> bool {
        if self.oauth2_clients.remove(client_id).is_none() {
            return false;
        }
        let dropped_codes: Vec<Uuid> = self
            .authorization_codes
            .values()
            .filter(|c| c.client_id == client_id)
            .map(|c| c.id)
            .collect();
        self.authorization_codes
            .retain(|_, c| c.client_id != client_id);
        self.oidc_nonces
            .retain(|_, n| !dropped_codes.contains(&n.authorization_code_id));
        self.consents.retain(|_, c| c.client_id != client_id);
        self.device_codes.retain(|_, d| d.client_id != client_id);
        true
    }

    /// `ON DELETE CASCADE` from webhooks to their deliveries.
    pub fn delete_webhooks_cascade(&mut self, ids: &[Uuid]) {
        self.webhooks.retain(|id, _| !ids.contains(id));
        self.deliveries.retain(|_, d| !ids.contains(&d.webhook_id));
    }
}

/// Removes and counts the entries of `map` for which `expired` holds.
pub(crate) fn purge<K, V>(map: &mut HashMap<K, V>, expired: impl Fn(&V) -> bool) -> u64 {
    let before = map.len();
    map.retain(|_, v| !expired(v));
    (before - map.len()) as u64
}

/// Newest-first ordering on (`created_at`, `id`), the order of every listing.
pub(crate) fn newest_first<T>(items: &mut [T], key: impl Fn(&T) -> (OffsetDateTime, Uuid)) {
    items.sort_by_key(|item| std::cmp::Reverse(key(item)));
}

/// Oldest-first ordering on (`created_at`, `id`).
pub(crate) fn oldest_first<T>(items: &mut [T], key: impl Fn(&T) -> (OffsetDateTime, Uuid)) {
    items.sort_by_key(|item| key(item));
}

/// Slices a sorted listing into a page.
pub(crate) fn paginate<T>(items: Vec<T>, page: crate::PageRequest) -> crate::Page<T> {
    let total = items.len() as u64;
    let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    crate::Page {
        items: items.into_iter().skip(offset).take(limit).collect(),
        total,
    }
}
