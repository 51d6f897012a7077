//! `PasskeyRepository`: WebAuthn credentials.

use std::sync::Arc;

use serde_json::json;
use time::Duration;
use yauth_entity::{WebauthnCredential, new_id};

use crate::conformance::fixtures::*;
use crate::{PasskeyRepository, Repositories, constraint};

fn repo(repos: &Repositories) -> Arc<dyn PasskeyRepository> {
    need(&repos.passkey, "passkey")
}

async fn create(repos: &Repositories, credential: &WebauthnCredential) {
    let result = repo(repos).create_webauthn_credential(credential).await;
    result.expect("create_webauthn_credential");
}

/// A stored credential is found by credential id with every field.
pub async fn passkey_create_and_find(repos: Repositories) {
    let user = create_user(&repos).await;
    let credential = webauthn_credential(user.id, now());
    create(&repos, &credential).await;
    let found = repo(&repos)
        .find_webauthn_credential(&credential.credential_id)
        .await;
    assert_eq!(
        found.expect("find"),
        Some(credential),
        "find returns the stored credential"
    );
    let unknown = repo(&repos).find_webauthn_credential(&marker()).await;
    assert_eq!(unknown.expect("find"), None);
}

/// A taken credential id is a conflict; an unknown user is `NotFound`.
pub async fn passkey_create_errors(repos: Repositories) {
    let user = create_user(&repos).await;
    let credential = webauthn_credential(user.id, now());
    create(&repos, &credential).await;
    let other = create_user(&repos).await;
    let twin = WebauthnCredential {
        id: new_id(),
        user_id: other.id,
        ..credential.clone()
    };
    let result = repo(&repos).create_webauthn_credential(&twin).await;
    let name = constraint::WEBAUTHN_CREDENTIAL_ID;
    assert_conflict(
        result,
        name,
        "create_webauthn_credential, taken credential id",
    );
    let orphan = webauthn_credential(new_id(), now());
    let result = repo(&repos).create_webauthn_credential(&orphan).await;
    assert_not_found(result, "create_webauthn_credential for an unknown user");
}

/// A user's credentials, oldest first, nobody else's.
pub async fn passkey_list_oldest_first(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let now = now();
    let newer = webauthn_credential(user.id, now + Duration::seconds(1));
    let older = webauthn_credential(user.id, now);
    create(&repos, &newer).await;
    create(&repos, &older).await;
    create(&repos, &webauthn_credential(other.id, now)).await;
    let listed = repo(&repos).list_webauthn_credentials(user.id).await;
    assert_eq!(
        listed.expect("list"),
        vec![older, newer],
        "oldest first, own only"
    );
}

/// Recording a use stores the new passkey JSON and `last_used_at`; unknown ids are `NotFound`.
pub async fn passkey_update_use(repos: Repositories) {
    let user = create_user(&repos).await;
    let credential = webauthn_credential(user.id, now());
    create(&repos, &credential).await;
    let used_at = credential.created_at + Duration::minutes(1);
    let updated_json = json!({ "cred": { "counter": 42, "alg": -7 }, "backup": true });
    let passkeys = repo(&repos);
    let result = passkeys.update_webauthn_credential_use(credential.id, &updated_json, used_at);
    result.await.expect("update_webauthn_credential_use");
    let found = repo(&repos)
        .find_webauthn_credential(&credential.credential_id)
        .await;
    let expected = WebauthnCredential {
        credential: updated_json.clone(),
        last_used_at: Some(used_at),
        ..credential
    };
    assert_eq!(found.expect("find"), Some(expected), "the use is recorded");
    let missing = passkeys.update_webauthn_credential_use(new_id(), &updated_json, used_at);
    assert_not_found(
        missing.await,
        "update_webauthn_credential_use of an unknown id",
    );
}

/// Only the owner deletes a credential.
pub async fn passkey_delete_checks_owner(repos: Repositories) {
    let user = create_user(&repos).await;
    let intruder = create_user(&repos).await;
    let credential = webauthn_credential(user.id, now());
    create(&repos, &credential).await;
    let stolen = repo(&repos)
        .delete_webauthn_credential(intruder.id, credential.id)
        .await;
    assert!(
        !stolen.expect("delete"),
        "another user cannot delete the credential"
    );
    let own = repo(&repos)
        .delete_webauthn_credential(user.id, credential.id)
        .await;
    assert!(own.expect("delete"), "the owner deletes it");
    let found = repo(&repos)
        .find_webauthn_credential(&credential.credential_id)
        .await;
    assert_eq!(found.expect("find"), None);
    let again = repo(&repos)
        .delete_webauthn_credential(user.id, credential.id)
        .await;
    assert!(!again.expect("delete"), "a deleted credential: false");
}

/// Renaming changes only the name, and only for the owner.
pub async fn passkey_rename_checks_owner(repos: Repositories) {
    let user = create_user(&repos).await;
    let intruder = create_user(&repos).await;
    let credential = webauthn_credential(user.id, now());
    create(&repos, &credential).await;
    let stolen = repo(&repos)
        .rename_webauthn_credential(intruder.id, credential.id, "mine now")
        .await;
    assert!(!stolen.expect("rename"), "another user cannot rename it");
    let own = repo(&repos)
        .rename_webauthn_credential(user.id, credential.id, "Laptop ✓")
        .await;
    assert!(own.expect("rename"), "the owner renames it");
    let found = repo(&repos)
        .find_webauthn_credential(&credential.credential_id)
        .await
        .expect("find")
        .expect("still there");
    assert_eq!(
        found,
        WebauthnCredential {
            name: "Laptop ✓".to_owned(),
            ..credential.clone()
        },
        "only the name changed"
    );
    let unknown = repo(&repos)
        .rename_webauthn_credential(user.id, new_id(), "x")
        .await;
    assert!(!unknown.expect("rename"), "an unknown credential: false");
}

/// Deleting a user removes their credentials.
pub async fn passkey_user_delete_cascades(repos: Repositories) {
    let user = create_user(&repos).await;
    let credential = webauthn_credential(user.id, now());
    create(&repos, &credential).await;
    repos.users.delete_user(user.id).await.expect("delete_user");
    let found = repo(&repos)
        .find_webauthn_credential(&credential.credential_id)
        .await;
    assert_eq!(
        found.expect("find"),
        None,
        "credentials cascade with the user"
    );
}
