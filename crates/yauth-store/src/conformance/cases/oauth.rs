//! `OauthRepository`: linked accounts and in-flight authorization states.

use std::sync::Arc;

use futures::FutureExt;
use time::Duration;
use yauth_entity::{OauthAccount, OauthState, new_id};

use crate::conformance::fixtures::*;
use crate::conformance::single_use::SingleUse;
use crate::{OauthRepository, Repositories, constraint};

fn repo(repos: &Repositories) -> Arc<dyn OauthRepository> {
    need(&repos.oauth, "oauth")
}

async fn linked(repos: &Repositories) -> OauthAccount {
    let user = create_user(repos).await;
    let account = oauth_account(user.id, &provider(), now());
    repo(repos)
        .create_oauth_account(&account)
        .await
        .expect("create_oauth_account");
    account
}

async fn find(repos: &Repositories, account: &OauthAccount) -> Option<OauthAccount> {
    let oauth = repo(repos);
    let found = oauth.find_oauth_account(&account.provider, &account.provider_user_id);
    found.await.expect("find_oauth_account")
}

pub(crate) fn states(repos: &Repositories) -> SingleUse<String> {
    SingleUse {
        what: "OAuth state",
        repos: repos.clone(),
        issue: |repos, expires_at| {
            async move {
                let state = oauth_state(expires_at);
                repo(&repos)
                    .create_oauth_state(&state)
                    .await
                    .expect("create_oauth_state");
                state.state
            }
            .boxed()
        },
        consume: |repos, hash, now| {
            async move {
                let state = repo(&repos).consume_oauth_state(&hash, now).await;
                state
                    .expect("consume_oauth_state")
                    .is_some_and(|s| s.state == hash)
            }
            .boxed()
        },
        unknown: |_| token_hash(),
    }
}

/// A linked account is found by (provider, subject) with every field.
pub async fn oauth_account_create_and_find(repos: Repositories) {
    let account = linked(&repos).await;
    assert_eq!(
        find(&repos, &account).await,
        Some(account.clone()),
        "the stored account"
    );
    let other = repo(&repos)
        .find_oauth_account(&account.provider, &marker())
        .await;
    assert_eq!(
        other.expect("find_oauth_account"),
        None,
        "unknown subject: none"
    );
}

/// Linking an already linked external account is `Conflict(oauth_accounts.provider_user_id)`.
pub async fn oauth_account_subject_conflict(repos: Repositories) {
    let account = linked(&repos).await;
    let other = create_user(&repos).await;
    let twin = OauthAccount {
        id: new_id(),
        user_id: other.id,
        ..account
    };
    let result = repo(&repos).create_oauth_account(&twin).await;
    let name = constraint::OAUTH_ACCOUNTS_PROVIDER_USER;
    assert_conflict(result, name, "create_oauth_account, subject linked already");
}

/// Linking a second account at the same provider is `Conflict(oauth_accounts.user_provider)`.
pub async fn oauth_account_user_provider_conflict(repos: Repositories) {
    let account = linked(&repos).await;
    let second = oauth_account(account.user_id, &account.provider, now());
    let result = repo(&repos).create_oauth_account(&second).await;
    let name = constraint::OAUTH_ACCOUNTS_USER_PROVIDER;
    assert_conflict(
        result,
        name,
        "create_oauth_account, provider linked already",
    );
}

/// Linking for an unknown user is `NotFound`.
pub async fn oauth_account_unknown_user(repos: Repositories) {
    let account = oauth_account(new_id(), &provider(), now());
    let result = repo(&repos).create_oauth_account(&account).await;
    assert_not_found(result, "create_oauth_account for an unknown user");
}

/// A user's accounts, oldest first.
pub async fn oauth_account_list_oldest_first(repos: Repositories) {
    let first = linked(&repos).await;
    let mut second = oauth_account(first.user_id, &provider(), now());
    second.created_at = first.created_at + Duration::seconds(1);
    repo(&repos)
        .create_oauth_account(&second)
        .await
        .expect("create");
    let listed = repo(&repos).list_oauth_accounts(first.user_id).await;
    assert_eq!(listed.expect("list"), vec![first, second], "oldest first");
}

/// Token updates store (and clear) the encrypted tokens and set `updated_at`.
pub async fn oauth_account_update_tokens(repos: Repositories) {
    let account = linked(&repos).await;
    let later = account.updated_at + Duration::minutes(5);
    let expires = later + Duration::hours(1);
    let oauth = repo(&repos);
    let update = oauth.update_oauth_tokens(
        account.id,
        Some("enc:new-access"),
        Some("enc:new-refresh"),
        Some(expires),
        later,
    );
    update.await.expect("update_oauth_tokens");
    let expected = OauthAccount {
        access_token_enc: Some("enc:new-access".to_owned()),
        refresh_token_enc: Some("enc:new-refresh".to_owned()),
        expires_at: Some(expires),
        updated_at: later,
        ..account.clone()
    };
    assert_eq!(
        find(&repos, &account).await,
        Some(expected),
        "tokens stored"
    );
    let clear = oauth.update_oauth_tokens(account.id, None, None, None, later);
    clear.await.expect("update_oauth_tokens");
    let cleared = find(&repos, &account).await.expect("exists");
    let tokens = (
        cleared.access_token_enc,
        cleared.refresh_token_enc,
        cleared.expires_at,
    );
    assert_eq!(tokens, (None, None, None), "None clears the tokens");
    let missing = oauth.update_oauth_tokens(new_id(), None, None, None, later);
    assert_not_found(missing.await, "update_oauth_tokens of an unknown account");
}

/// Unlinking reports whether an account existed.
pub async fn oauth_account_delete(repos: Repositories) {
    let account = linked(&repos).await;
    let other = create_user(&repos).await;
    let wrong = repo(&repos)
        .delete_oauth_account(other.id, &account.provider)
        .await;
    assert!(!wrong.expect("delete"), "another user's link is untouched");
    let own = repo(&repos)
        .delete_oauth_account(account.user_id, &account.provider)
        .await;
    assert!(own.expect("delete"), "existing: true");
    assert_eq!(find(&repos, &account).await, None);
    let again = repo(&repos)
        .delete_oauth_account(account.user_id, &account.provider)
        .await;
    assert!(!again.expect("delete"), "missing: false");
}

/// A state round-trips every field; a taken state is a conflict; an unknown link user is
/// `NotFound`.
pub async fn oauth_state_create_errors_and_round_trip(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let state = OauthState {
        link_user_id: Some(user.id),
        ..oauth_state(now + Duration::minutes(10))
    };
    repo(&repos)
        .create_oauth_state(&state)
        .await
        .expect("create_oauth_state");
    let twin = OauthState {
        provider: "google".to_owned(),
        ..state.clone()
    };
    let result = repo(&repos).create_oauth_state(&twin).await;
    assert_conflict(
        result,
        constraint::OAUTH_STATES_STATE,
        "create_oauth_state, taken state",
    );
    let orphan = OauthState {
        link_user_id: Some(new_id()),
        ..oauth_state(now + Duration::minutes(10))
    };
    let result = repo(&repos).create_oauth_state(&orphan).await;
    assert_not_found(result, "create_oauth_state with an unknown link user");
    let consumed = repo(&repos).consume_oauth_state(&state.state, now).await;
    assert_eq!(
        consumed.expect("consume"),
        Some(state),
        "every field round-trips"
    );
}

/// An OAuth state is consumed once; unknown states never.
pub async fn oauth_state_consume_once(repos: Repositories) {
    states(&repos).consume_once().await;
}

/// An OAuth state expiring at `now` cannot be consumed.
pub async fn oauth_state_expiry(repos: Repositories) {
    states(&repos).expiry().await;
}

/// Concurrent consumers of one OAuth state: exactly one wins.
pub async fn oauth_state_consume_race(repos: Repositories) {
    states(&repos).race().await;
}

/// Deleting a user removes their linked accounts and the states linking a provider to them.
pub async fn oauth_user_delete_cascades(repos: Repositories) {
    let account = linked(&repos).await;
    let now = now();
    let linking = OauthState {
        link_user_id: Some(account.user_id),
        ..oauth_state(now + Duration::minutes(10))
    };
    let oauth = repo(&repos);
    oauth
        .create_oauth_state(&linking)
        .await
        .expect("create_oauth_state");
    repos
        .users
        .delete_user(account.user_id)
        .await
        .expect("delete_user");
    assert_eq!(
        find(&repos, &account).await,
        None,
        "linked accounts cascade"
    );
    let state = oauth.consume_oauth_state(&linking.state, now).await;
    assert_eq!(
        state.expect("consume"),
        None,
        "states linking the user cascade"
    );
}
