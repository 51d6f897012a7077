//! Which account a provider identity signs in to, or links to, and the sealing of its tokens.
//!
//! The rules, in order:
//! 1. an identity already linked signs in to its account;
//! 2. a link request (a signed-in user's `/link`) attaches the identity to that user, unless
//!    another account holds it or the user already linked this provider;
//! 3. otherwise the provider must assert a verified email: an account with that email joins
//!    only when its own email is verified too; with none, a new account is created (when
//!    sign-up is allowed). An unverified provider email never links and never creates an
//!    account, so nobody can pre-register or take over an address they do not control.

use uuid::Uuid;
use yauth_entity::{
    OauthAccount, OauthState as PendingAuthorization, User, new_id, normalize_email,
};
use yauth_store::{SealedColumn, StoreError};

use super::OauthState;
use super::identity::{ProviderIdentity, ProviderTokens};
use crate::error::ApiError;
use crate::events::{AuthEvent, EventContext};
use crate::keyring::SealedPlace;

use yauth_store::constraint::{
    OAUTH_ACCOUNTS_PROVIDER_USER as SUBJECT_TAKEN, OAUTH_ACCOUNTS_USER_PROVIDER as PROVIDER_TAKEN,
};

/// What the callback does next.
#[derive(Debug)]
pub(crate) enum Resolution {
    /// Sign this user in.
    SignIn(User),
    /// The identity was linked to the signed-in user who asked for it.
    Linked,
}

/// Why a callback goes no further: the code of the error redirect, or a server-side failure.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Redirect with `error=<code>`.
    Code(&'static str),
    /// Answer this error.
    Api(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Self::Api(error.into())
    }
}

/// Applies the rules above to a validated identity.
pub(crate) async fn resolve(
    s: &OauthState,
    pending: &PendingAuthorization,
    identity: &ProviderIdentity,
    tokens: &ProviderTokens,
    ctx: &EventContext,
) -> Result<Resolution, Refusal> {
    let core = &s.core;
    let repo = &s.plugin.shared.repo;
    let provider = pending.provider.as_str();
    let existing = repo.find_oauth_account(provider, &identity.subject).await?;
    if let Some(user_id) = pending.link_user_id {
        return link_to(s, user_id, provider, existing, identity, tokens, ctx).await;
    }
    if let Some(account) = existing {
        store_tokens(s, &account, tokens).await?;
        let user = core
            .repos()
            .users
            .find_user(account.user_id)
            .await?
            .ok_or(Refusal::Code("account_missing"))?;
        return Ok(Resolution::SignIn(user));
    }
    let email = identity
        .email
        .as_deref()
        .ok_or(Refusal::Code("email_required"))?;
    if !identity.email_verified {
        return Err(Refusal::Code("email_not_verified"));
    }
    if crate::input::check_email_syntax(email).is_err() {
        return Err(Refusal::Code("invalid_profile"));
    }
    let email = normalize_email(email);
    let users = &core.repos().users;
    let user = match users.find_user_by_email(&email).await? {
        Some(user) if user.email_verified => user,
        // The account's owner never proved the address: joining it would hand the account to
        // whoever controls the provider identity, or the provider identity to the account.
        Some(_) => return Err(Refusal::Code("link_required")),
        None if s.plugin.shared.config.allow_sign_up => {
            let mut user = User::new(new_id(), &email, core.now());
            user.email_verified = true;
            user.display_name = identity
                .name
                .as_deref()
                .map(|n| n.trim().chars().take(100).collect::<String>())
                .filter(|n| !n.is_empty() && !n.chars().any(char::is_control));
            match users.create_user(&user).await {
                Ok(()) => {}
                // A concurrent callback created the account first.
                Err(StoreError::Conflict { .. }) => return Err(Refusal::Code("account_conflict")),
                Err(e) => return Err(e.into()),
            }
            core.emit(AuthEvent::UserRegistered { user_id: user.id }, ctx)
                .await;
            user
        }
        None => return Err(Refusal::Code("sign_up_disabled")),
    };
    create_link(s, &user, provider, identity, tokens, ctx).await?;
    Ok(Resolution::SignIn(user))
}

async fn link_to(
    s: &OauthState,
    user_id: Uuid,
    provider: &str,
    existing: Option<OauthAccount>,
    identity: &ProviderIdentity,
    tokens: &ProviderTokens,
    ctx: &EventContext,
) -> Result<Resolution, Refusal> {
    match existing {
        Some(account) if account.user_id == user_id => {
            store_tokens(s, &account, tokens).await?;
            Ok(Resolution::Linked)
        }
        Some(_) => Err(Refusal::Code("identity_in_use")),
        None => {
            let user = s
                .core
                .repos()
                .users
                .find_user(user_id)
                .await?
                .ok_or(Refusal::Code("account_missing"))?;
            if user.is_banned_at(s.core.now()) {
                return Err(Refusal::Code("account_banned"));
            }
            create_link(s, &user, provider, identity, tokens, ctx).await?;
            Ok(Resolution::Linked)
        }
    }
}

/// Stores a new link, its tokens sealed, and emits `OauthLinked`.
async fn create_link(
    s: &OauthState,
    user: &User,
    provider: &str,
    identity: &ProviderIdentity,
    tokens: &ProviderTokens,
    ctx: &EventContext,
) -> Result<(), Refusal> {
    let now = s.core.now();
    let id = new_id();
    let (access_token_enc, refresh_token_enc) = seal_tokens(s, id, tokens)?;
    let account = OauthAccount {
        id,
        user_id: user.id,
        provider: provider.to_owned(),
        provider_user_id: identity.subject.clone(),
        access_token_enc,
        refresh_token_enc,
        expires_at: tokens.expires_at,
        updated_at: now,
        created_at: now,
    };
    match s.plugin.shared.repo.create_oauth_account(&account).await {
        Ok(()) => {}
        Err(StoreError::Conflict { constraint }) if constraint == PROVIDER_TAKEN => {
            return Err(Refusal::Code("provider_already_linked"));
        }
        Err(StoreError::Conflict { constraint }) if constraint == SUBJECT_TAKEN => {
            return Err(Refusal::Code("identity_in_use"));
        }
        Err(StoreError::NotFound) => return Err(Refusal::Code("account_missing")),
        Err(e) => return Err(e.into()),
    }
    s.core
        .emit(
            AuthEvent::OauthLinked {
                user_id: user.id,
                provider: provider.to_owned(),
            },
            ctx,
        )
        .await;
    Ok(())
}

/// Replaces the stored tokens of a linked account with fresh ones.
async fn store_tokens(
    s: &OauthState,
    account: &OauthAccount,
    tokens: &ProviderTokens,
) -> Result<(), Refusal> {
    let (access, refresh) = seal_tokens(s, account.id, tokens)?;
    // A provider that sends no new refresh token leaves the stored one valid.
    let refresh = refresh.or_else(|| account.refresh_token_enc.clone());
    let now = s.core.now();
    s.plugin
        .shared
        .repo
        .update_oauth_tokens(
            account.id,
            access.as_deref(),
            refresh.as_deref(),
            tokens.expires_at,
            now,
        )
        .await?;
    Ok(())
}

fn seal_tokens(
    s: &OauthState,
    row: Uuid,
    tokens: &ProviderTokens,
) -> Result<(Option<String>, Option<String>), Refusal> {
    // `build()` refuses the plugin without a key ring, so this is never reached in practice.
    let ring = s
        .core
        .key_ring()
        .ok_or_else(|| ApiError::internal("oauth plugin without a key ring"))?;
    let row = row.to_string();
    let access = ring.seal(
        &SealedPlace::new(SealedColumn::OauthAccessToken, &row),
        tokens.access_token.as_bytes(),
    );
    let refresh = tokens.refresh_token.as_ref().map(|token| {
        ring.seal(
            &SealedPlace::new(SealedColumn::OauthRefreshToken, &row),
            token.as_bytes(),
        )
    });
    Ok((Some(access), refresh))
}
