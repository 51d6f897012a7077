//! `EmailPasswordRepository::create_user_with_password`: registration writes the user and its
//! password together or not at all, and refuses a credential that belongs to someone else.

use std::sync::Arc;

use yauth_entity::{PasswordCredential, User, new_id};

use crate::conformance::fixtures::*;
use crate::{EmailPasswordRepository, Repositories, StoreError, constraint};

fn repo(repos: &Repositories) -> Arc<dyn EmailPasswordRepository> {
    need(&repos.email_password, "email-password")
}

/// A fresh user with a password, stored the ordinary way; returns both as stored.
async fn user_with_password(repos: &Repositories) -> (User, PasswordCredential) {
    let user = create_user(repos).await;
    let credential = password(user.id, now());
    repo(repos)
        .set_password(&credential)
        .await
        .expect("set_password");
    (user, credential)
}

/// Asserts that no user with this id or email and no password for this id exist.
async fn assert_nothing_written(repos: &Repositories, user: &User, what: &str) {
    let found = repos.users.find_user(user.id).await.expect("find_user");
    assert_eq!(found, None, "{what}: no user row with the new id");
    let password = repo(repos)
        .find_password(user.id)
        .await
        .expect("find_password");
    assert_eq!(password, None, "{what}: no password row for the new id");
}

/// After success the user (email normalised) and its password are both stored.
pub async fn email_password_create_with_password_writes_both(repos: Repositories) {
    let user = new_user(now());
    let credential = password(user.id, now());
    repo(&repos)
        .create_user_with_password(&user, &credential)
        .await
        .expect("create_user_with_password of a fresh user");
    let found = repos.users.find_user(user.id).await.expect("find_user");
    assert_eq!(
        found,
        Some(stored(&user)),
        "the user is stored exactly as create_user stores it"
    );
    let by_email = repos
        .users
        .find_user_by_email(&user.email)
        .await
        .expect("find_user_by_email");
    assert_eq!(by_email.map(|u| u.id), Some(user.id), "found by its email");
    let found = repo(&repos)
        .find_password(user.id)
        .await
        .expect("find_password");
    assert_eq!(
        found,
        Some(credential),
        "the password is stored with the user"
    );
}

/// A taken email (in another case) is `Conflict(users.email)`: no user and no password row for
/// the new id, and the existing user's password is untouched.
pub async fn email_password_create_with_password_email_conflict(repos: Repositories) {
    let (existing, existing_password) = user_with_password(&repos).await;
    let mut twin = new_user(now());
    twin.email = existing.email.to_uppercase();
    let credential = password(twin.id, now());
    let result = repo(&repos)
        .create_user_with_password(&twin, &credential)
        .await;
    assert_conflict(
        result,
        constraint::USERS_EMAIL,
        "create_user_with_password with a taken email",
    );
    assert_nothing_written(&repos, &twin, "after the email conflict").await;
    let kept = repo(&repos)
        .find_password(existing.id)
        .await
        .expect("find_password");
    assert_eq!(
        kept,
        Some(existing_password),
        "the existing user's password is untouched"
    );
    let owner = repos
        .users
        .find_user_by_email(&existing.email)
        .await
        .expect("find_user_by_email");
    assert_eq!(
        owner,
        Some(existing),
        "the email still belongs to the existing user"
    );
}

/// A taken id is `Conflict(primary_key)`, and the password meant for the new registration does
/// not replace the existing user's.
pub async fn email_password_create_with_password_id_conflict(repos: Repositories) {
    let (existing, existing_password) = user_with_password(&repos).await;
    let twin = User {
        id: existing.id,
        ..new_user(now())
    };
    let credential = password(twin.id, now());
    let result = repo(&repos)
        .create_user_with_password(&twin, &credential)
        .await;
    assert_conflict(
        result,
        constraint::PRIMARY_KEY,
        "create_user_with_password with a taken id",
    );
    let kept = repo(&repos)
        .find_password(existing.id)
        .await
        .expect("find_password");
    assert_eq!(
        kept,
        Some(existing_password),
        "the existing user's password is not replaced by the failed registration's"
    );
    let found = repos.users.find_user(existing.id).await.expect("find_user");
    assert_eq!(found, Some(existing), "the existing user is unchanged");
    let by_email = repos
        .users
        .find_user_by_email(&twin.email)
        .await
        .expect("find_user_by_email");
    assert_eq!(
        by_email, None,
        "the failed registration's email is not taken"
    );
}

/// A credential whose `user_id` is not the new user's is refused with `Internal` before anything
/// is written, whether it names nobody or an existing user.
pub async fn email_password_create_with_password_mismatched_user(repos: Repositories) {
    // A credential for an id nobody has.
    let user = new_user(now());
    let stray = password(new_id(), now());
    let result = repo(&repos).create_user_with_password(&user, &stray).await;
    assert!(
        matches!(result, Err(StoreError::Internal(_))),
        "create_user_with_password with a credential of another id: the contract promises \
         Internal, got {result:?}"
    );
    assert_nothing_written(&repos, &user, "after the refused mismatch").await;
    let by_email = repos
        .users
        .find_user_by_email(&user.email)
        .await
        .expect("find_user_by_email");
    assert_eq!(
        by_email, None,
        "the refused registration's email is not taken"
    );
    let stray_password = repo(&repos)
        .find_password(stray.user_id)
        .await
        .expect("find_password");
    assert_eq!(
        stray_password, None,
        "no password row for the credential's id"
    );

    // A credential naming an existing user: that user's password must survive.
    let (existing, existing_password) = user_with_password(&repos).await;
    let user = new_user(now());
    let hijack = password(existing.id, now());
    let result = repo(&repos).create_user_with_password(&user, &hijack).await;
    assert!(
        matches!(result, Err(StoreError::Internal(_))),
        "create_user_with_password with a credential of an existing user: the contract \
         promises Internal, got {result:?}"
    );
    assert_nothing_written(&repos, &user, "after the refused hijack").await;
    let kept = repo(&repos)
        .find_password(existing.id)
        .await
        .expect("find_password");
    assert_eq!(
        kept,
        Some(existing_password),
        "the existing user's password is untouched"
    );
}
