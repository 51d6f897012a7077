//! `UserRepository`: create, find, update, delete, list and search.

use time::Duration;
use uuid::Uuid;
use yauth_entity::{User, UserUpdate, new_id};

use crate::conformance::fixtures::*;
use crate::{PageRequest, Repositories, UserQuery, constraint};

/// Creates users whose display names contain `tag`, one second apart (the last is the newest).
async fn create_tagged(repos: &Repositories, names: &[String]) -> Vec<User> {
    let base = now();
    let mut users = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut user = new_user(base + Duration::seconds(i as i64));
        user.display_name = Some(name.clone());
        repos.users.create_user(&user).await.expect("create_user");
        users.push(stored(&user));
    }
    users
}

async fn search(repos: &Repositories, term: &str, offset: u64, limit: u64) -> crate::Page<User> {
    repos
        .users
        .list_users(&UserQuery {
            search: Some(term.to_owned()),
            page: PageRequest { offset, limit },
            ..UserQuery::default()
        })
        .await
        .expect("list_users")
}

fn ids(users: &[User]) -> Vec<Uuid> {
    users.iter().map(|u| u.id).collect()
}

/// A created user is found by id with every field as stored.
pub async fn users_create_and_find(repos: Repositories) {
    let user = create_user(&repos).await;
    let found = repos.users.find_user(user.id).await.expect("find_user");
    assert_eq!(found, Some(user), "find_user must return the created row");
}

/// The email is stored trimmed and lowercased.
pub async fn users_email_stored_normalised(repos: Repositories) {
    let mut user = new_user(now());
    let raw = format!("  {}  ", user.email);
    user.email = raw.clone();
    repos.users.create_user(&user).await.expect("create_user");
    let found = repos.users.find_user(user.id).await.expect("find_user");
    let found = found.expect("the created user must exist");
    assert_eq!(
        found.email,
        raw.trim().to_lowercase(),
        "create_user stores the email trimmed and lowercased"
    );
}

/// Lookup by email ignores case.
pub async fn users_find_by_email_case_insensitive(repos: Repositories) {
    let user = create_user(&repos).await;
    for variant in [user.email.clone(), user.email.to_uppercase()] {
        let found = repos
            .users
            .find_user_by_email(&variant)
            .await
            .expect("find");
        assert_eq!(
            found.as_ref().map(|u| u.id),
            Some(user.id),
            "find_user_by_email({variant}) compares case-insensitively"
        );
    }
}

/// Unknown ids and emails find nothing.
pub async fn users_find_unknown_is_none(repos: Repositories) {
    assert_eq!(repos.users.find_user(new_id()).await.expect("find"), None);
    let found = repos.users.find_user_by_email(&unique_email()).await;
    assert_eq!(found.expect("find_user_by_email"), None);
}

/// A second user with the same email in another case is `Conflict(users.email)`.
pub async fn users_duplicate_email_conflicts(repos: Repositories) {
    let user = create_user(&repos).await;
    let mut twin = new_user(now());
    twin.email = user.email.to_uppercase();
    let result = repos.users.create_user(&twin).await;
    assert_conflict(
        result,
        constraint::USERS_EMAIL,
        "create_user, email in another case",
    );
    assert_eq!(repos.users.find_user(twin.id).await.expect("find"), None);
}

/// A second user with an existing id is `Conflict(primary_key)`.
pub async fn users_duplicate_id_conflicts(repos: Repositories) {
    let user = create_user(&repos).await;
    let twin = User {
        id: user.id,
        ..new_user(now())
    };
    let result = repos.users.create_user(&twin).await;
    assert_conflict(
        result,
        constraint::PRIMARY_KEY,
        "create_user with a taken id",
    );
}

/// `update_user` changes every field, sets `updated_at = now` and returns the new row.
pub async fn users_update_every_field(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = user.created_at + Duration::minutes(3) + MICROSECOND * 7;
    let email = unique_email();
    let update = UserUpdate {
        email: Some(email.clone()),
        display_name: Some(Some("Renamed".to_owned())),
        email_verified: Some(true),
        role: Some("admin".to_owned()),
        banned: Some(true),
        banned_reason: Some(Some("spam".to_owned())),
        banned_until: Some(Some(now + Duration::days(7))),
    };
    let updated = repos.users.update_user(user.id, &update, now).await;
    let expected = User {
        email: email.to_lowercase(),
        display_name: Some("Renamed".to_owned()),
        email_verified: true,
        role: "admin".to_owned(),
        banned: true,
        banned_reason: Some("spam".to_owned()),
        banned_until: Some(now + Duration::days(7)),
        updated_at: now,
        ..user.clone()
    };
    assert_eq!(
        updated.expect("update_user"),
        expected,
        "update_user returns the new row"
    );
    let found = repos.users.find_user(user.id).await.expect("find");
    assert_eq!(found, Some(expected), "the update is stored");
}

/// `Some(None)` clears nullable fields; `None` leaves fields alone.
pub async fn users_update_clears_nullable_fields(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = user.created_at + Duration::seconds(1);
    let set = UserUpdate {
        display_name: Some(Some("Name".to_owned())),
        banned_reason: Some(Some("why".to_owned())),
        banned_until: Some(Some(now + Duration::days(1))),
        ..UserUpdate::default()
    };
    repos
        .users
        .update_user(user.id, &set, now)
        .await
        .expect("update");
    let later = now + Duration::seconds(1);
    let unchanged = repos
        .users
        .update_user(user.id, &UserUpdate::default(), later)
        .await;
    let unchanged = unchanged.expect("an empty update succeeds");
    assert_eq!(
        unchanged.display_name.as_deref(),
        Some("Name"),
        "None leaves a field unchanged"
    );
    assert_eq!(unchanged.updated_at, later, "every update sets updated_at");
    let clear = UserUpdate {
        display_name: Some(None),
        banned_reason: Some(None),
        banned_until: Some(None),
        ..UserUpdate::default()
    };
    let cleared = repos.users.update_user(user.id, &clear, later).await;
    let cleared = cleared.expect("update");
    assert_eq!(
        (
            cleared.display_name,
            cleared.banned_reason,
            cleared.banned_until
        ),
        (None, None, None),
        "Some(None) clears a nullable field"
    );
}

/// Changing the email to another user's (in another case) is `Conflict(users.email)`; to the
/// user's own email in another case is fine and stored normalised.
pub async fn users_update_email_conflict(repos: Repositories) {
    let alice = create_user(&repos).await;
    let bob = create_user(&repos).await;
    let now = now();
    let steal = UserUpdate {
        email: Some(alice.email.to_uppercase()),
        ..UserUpdate::default()
    };
    let result = repos.users.update_user(bob.id, &steal, now).await;
    assert_conflict(
        result,
        constraint::USERS_EMAIL,
        "update_user to a taken email",
    );
    let own = UserUpdate {
        email: Some(format!(" {} ", bob.email.to_uppercase())),
        ..UserUpdate::default()
    };
    let updated = repos.users.update_user(bob.id, &own, now).await;
    let updated = updated.expect("updating to one's own email in another case is no conflict");
    assert_eq!(updated.email, bob.email, "update_user normalises the email");
}

/// Updating an unknown user is `NotFound`.
pub async fn users_update_unknown_not_found(repos: Repositories) {
    let result = repos
        .users
        .update_user(new_id(), &UserUpdate::default(), now())
        .await;
    assert_not_found(result, "update_user of an unknown id");
}

/// `delete_user` returns whether the user existed and removes it.
pub async fn users_delete_returns_whether_existed(repos: Repositories) {
    let user = create_user(&repos).await;
    assert!(
        repos.users.delete_user(user.id).await.expect("delete"),
        "existing user: true"
    );
    assert_eq!(repos.users.find_user(user.id).await.expect("find"), None);
    let by_email = repos
        .users
        .find_user_by_email(&user.email)
        .await
        .expect("find");
    assert_eq!(by_email, None, "a deleted user's email no longer finds it");
    assert!(
        !repos.users.delete_user(user.id).await.expect("delete"),
        "unknown user: false"
    );
    create_user_again(&repos, &user).await;
}

/// After deletion the email is free again.
async fn create_user_again(repos: &Repositories, user: &User) {
    let again = User {
        id: new_id(),
        ..user.clone()
    };
    let result = repos.users.create_user(&again).await;
    result.expect("a deleted user's email can be registered again");
}

/// Pages of a listing: offset, limit and total; newest first.
pub async fn users_list_pagination(repos: Repositories) {
    let tag = marker();
    let names: Vec<String> = (0..5).map(|i| format!("{tag} user {i}")).collect();
    let users = create_tagged(&repos, &names).await;
    let newest_first: Vec<Uuid> = ids(&users).into_iter().rev().collect();
    let all = search(&repos, &tag, 0, 50).await;
    assert_eq!(all.total, 5, "total counts every matching user");
    assert_eq!(ids(&all.items), newest_first, "list_users is newest first");
    let page = search(&repos, &tag, 1, 2).await;
    assert_eq!(page.total, 5, "total ignores the page");
    assert_eq!(ids(&page.items), newest_first[1..3], "offset 1, limit 2");
    let past_end = search(&repos, &tag, 5, 2).await;
    assert!(
        past_end.items.is_empty(),
        "an offset past the end gives no rows"
    );
    assert_eq!(past_end.total, 5);
}

/// Users created at the same instant are ordered by id, descending.
pub async fn users_list_ties_by_id_desc(repos: Repositories) {
    let tag = marker();
    let at = now();
    let mut created = Vec::new();
    for i in 0..3 {
        let mut user = new_user(at);
        user.display_name = Some(format!("{tag} tie {i}"));
        repos.users.create_user(&user).await.expect("create_user");
        created.push(user.id);
    }
    created.sort_unstable_by(|a, b| b.cmp(a));
    let page = search(&repos, &tag, 0, 10).await;
    assert_eq!(
        ids(&page.items),
        created,
        "ties on created_at are ordered by id descending"
    );
}

/// Without a search, a listing returns newest-first rows and a total covering them.
pub async fn users_list_without_search(repos: Repositories) {
    create_user(&repos).await;
    let query = UserQuery {
        page: PageRequest {
            offset: 0,
            limit: 10,
        },
        ..UserQuery::default()
    };
    let page = repos.users.list_users(&query).await.expect("list_users");
    assert!(
        !page.items.is_empty() && page.items.len() <= 10,
        "limit respected"
    );
    assert!(
        page.total >= page.items.len() as u64,
        "total counts at least the page"
    );
    let ordered = page
        .items
        .windows(2)
        .all(|w| (w[0].created_at, w[0].id) >= (w[1].created_at, w[1].id));
    assert!(
        ordered,
        "list_users is ordered by created_at then id, descending"
    );
}

/// The role and banned filters narrow a listing, alone and combined with a search, and the
/// total counts only the matching rows.
pub async fn users_list_filters_role_and_banned(repos: Repositories) {
    let tag = marker();
    let names: Vec<String> = (0..4).map(|i| format!("{tag} filtered {i}")).collect();
    let users = create_tagged(&repos, &names).await;
    let set = |role: &str, banned: bool| UserUpdate {
        role: Some(role.to_owned()),
        banned: Some(banned),
        ..UserUpdate::default()
    };
    for (user, (role, banned)) in users.iter().zip([
        ("admin", false),
        ("admin", true),
        ("user", true),
        ("user", false),
    ]) {
        repos
            .users
            .update_user(user.id, &set(role, banned), now())
            .await
            .expect("update_user");
    }
    let list = |role: Option<&str>, banned: Option<bool>| {
        let repos = repos.clone();
        let query = UserQuery {
            search: Some(tag.clone()),
            role: role.map(str::to_owned),
            banned,
            page: PageRequest::default(),
        };
        async move { repos.users.list_users(&query).await.expect("list_users") }
    };
    let admins = list(Some("admin"), None).await;
    assert_eq!(admins.total, 2, "role filter");
    assert_eq!(ids(&admins.items), vec![users[1].id, users[0].id]);
    let banned = list(None, Some(true)).await;
    assert_eq!(
        ids(&banned.items),
        vec![users[2].id, users[1].id],
        "banned filter"
    );
    let unbanned_users = list(Some("user"), Some(false)).await;
    assert_eq!(unbanned_users.total, 1, "both filters");
    assert_eq!(ids(&unbanned_users.items), vec![users[3].id]);
    let none = list(Some("auditor"), None).await;
    assert_eq!(
        (none.total, none.items.len()),
        (0, 0),
        "an unused role matches none"
    );
    let everyone = repos
        .users
        .list_users(&UserQuery {
            role: Some("admin".to_owned()),
            banned: Some(true),
            ..UserQuery::default()
        })
        .await
        .expect("list_users");
    assert!(
        everyone.items.iter().all(|u| u.role == "admin" && u.banned),
        "filters apply without a search"
    );
    assert!(everyone.items.iter().any(|u| u.id == users[1].id));
}

/// Search matches a substring of the email, ignoring case.
pub async fn users_search_email_case_insensitive(repos: Repositories) {
    let user = create_user(&repos).await;
    let local = user
        .email
        .split('@')
        .next()
        .expect("an email has a local part");
    let fragment = local[5..20].to_uppercase();
    let page = search(&repos, &fragment, 0, 10).await;
    assert_eq!(
        ids(&page.items),
        vec![user.id],
        "search matches the email case-insensitively"
    );
    assert_eq!(page.total, 1);
}

/// Search matches a substring of the display name, ignoring case.
pub async fn users_search_display_name(repos: Repositories) {
    let tag = marker();
    let users = create_tagged(&repos, &[format!("Zoë {tag} Example")]).await;
    let page = search(&repos, &format!("{} EXAMPLE", tag.to_uppercase()), 0, 10).await;
    assert_eq!(
        ids(&page.items),
        ids(&users),
        "search matches display names case-insensitively"
    );
}

/// `%`, `_` and `\` in a search term match themselves, not as wildcards.
pub async fn users_search_wildcards_literal(repos: Repositories) {
    let tag = marker();
    let names = [
        format!("{tag} 100% sure"),
        format!("{tag} 1000 sure"),
        format!("{tag} a_b"),
        format!("{tag} axb"),
        format!("{tag} c\\d"),
    ];
    let users = create_tagged(&repos, &names).await;
    for (term, expected) in [("100%", 0), ("a_b", 2), ("c\\d", 4)] {
        let page = search(&repos, &format!("{tag} {term}"), 0, 10).await;
        assert_eq!(
            ids(&page.items),
            vec![users[expected].id],
            "search term {term:?} must match literally"
        );
    }
    let none = search(&repos, &format!("{tag} %"), 0, 10).await;
    assert_eq!(none.total, 0, "a lone % matches only a literal %");
}
