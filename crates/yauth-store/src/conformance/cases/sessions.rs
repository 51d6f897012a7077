//! `SessionRepository`: the hot path, sliding renewal, listings and revocation.

use time::Duration;
use uuid::Uuid;
use yauth_entity::{Session, new_id};

use crate::conformance::fixtures::*;
use crate::{PageRequest, Repositories, constraint};

async fn is_valid(repos: &Repositories, session: &Session, at: time::OffsetDateTime) -> bool {
    validate(repos, session, at).await.is_some()
}

async fn list_page(
    repos: &Repositories,
    offset: u64,
    limit: u64,
    now: time::OffsetDateTime,
) -> crate::Page<Session> {
    let page = PageRequest { offset, limit };
    let listed = repos.sessions.list_sessions(page, now).await;
    listed.expect("list_sessions")
}

fn session_ids(sessions: &[Session]) -> Vec<Uuid> {
    sessions.iter().map(|s| s.id).collect()
}

/// `validate_session` returns the session and its user in one call.
pub async fn sessions_validate_returns_session_and_user(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let session = create_session(&repos, user.id, now).await;
    assert_eq!(
        validate(&repos, &session, now).await,
        Some((session, user)),
        "validate_session returns the stored session and its user"
    );
}

/// The authentication methods of a session come back as stored, an empty list included.
pub async fn sessions_amr_round_trips(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    for amr in ["", "pwd", "hwk user", "pwd otp mfa"] {
        let session = Session {
            amr: amr.to_owned(),
            ..session(user.id, now)
        };
        insert_session(&repos, &session).await;
        let found = validate(&repos, &session, now).await.map(|(s, _)| s);
        assert_eq!(found.map(|s| s.amr), Some(amr.to_owned()), "amr {amr:?}");
    }
}

/// An unknown token hash validates to nothing.
pub async fn sessions_validate_unknown_is_none(repos: Repositories) {
    let found = repos.sessions.validate_session(&token_hash(), now()).await;
    assert_eq!(found.expect("validate_session"), None);
}

/// Idle expiry: valid until the microsecond before `expires_at`, expired at it and after.
pub async fn sessions_validate_idle_expiry_edge(repos: Repositories) {
    let user = create_user(&repos).await;
    let session = create_session(&repos, user.id, now()).await;
    let edge = session.expires_at;
    assert!(
        is_valid(&repos, &session, edge - MICROSECOND).await,
        "valid before expires_at"
    );
    assert!(
        !is_valid(&repos, &session, edge).await,
        "expired exactly at expires_at"
    );
    assert!(
        !is_valid(&repos, &session, edge + Duration::hours(1)).await,
        "expired after it"
    );
}

/// Absolute expiry: a session past `absolute_expires_at` is invalid even if idle-fresh.
pub async fn sessions_validate_absolute_expiry(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let mut session = fixtures_session_with_absolute(user.id, now);
    session.expires_at = now + Duration::days(2);
    insert_session(&repos, &session).await;
    let cap = session.absolute_expires_at;
    assert!(
        is_valid(&repos, &session, cap - MICROSECOND).await,
        "valid before the cap"
    );
    assert!(
        !is_valid(&repos, &session, cap).await,
        "invalid at absolute_expires_at"
    );
}

fn fixtures_session_with_absolute(user_id: Uuid, now: time::OffsetDateTime) -> Session {
    Session {
        absolute_expires_at: now + Duration::hours(1),
        ..session(user_id, now)
    }
}

/// Sliding renewal moves `expires_at` and `last_seen_at`.
pub async fn sessions_extend_slides(repos: Repositories) {
    let user = create_user(&repos).await;
    let session = create_session(&repos, user.id, now()).await;
    let later = session.created_at + Duration::minutes(30);
    let new_expiry = later + Duration::hours(1);
    let renewed = repos
        .sessions
        .extend_session(session.id, new_expiry, later)
        .await;
    assert!(
        renewed.expect("extend_session"),
        "an active session is renewed"
    );
    let found = repos
        .sessions
        .find_session(session.id)
        .await
        .expect("find_session");
    let found = found.expect("the session exists");
    assert_eq!(
        found.expires_at, new_expiry,
        "expires_at slides to the requested instant"
    );
    assert_eq!(found.last_seen_at, later, "last_seen_at = now");
    assert_eq!(
        found.absolute_expires_at, session.absolute_expires_at,
        "the cap never moves"
    );
}

/// Sliding renewal never goes past `absolute_expires_at`.
pub async fn sessions_extend_capped_at_absolute(repos: Repositories) {
    let user = create_user(&repos).await;
    let session = create_session(&repos, user.id, now()).await;
    let later = session.created_at + Duration::minutes(50);
    let beyond = session.absolute_expires_at + Duration::days(30);
    let renewed = repos
        .sessions
        .extend_session(session.id, beyond, later)
        .await;
    assert!(renewed.expect("extend_session"));
    let found = repos
        .sessions
        .find_session(session.id)
        .await
        .expect("find_session");
    assert_eq!(
        found.expect("the session exists").expires_at,
        session.absolute_expires_at,
        "extend_session sets expires_at to min(requested, absolute_expires_at)"
    );
}

/// An expired (or unknown) session is not renewed and stays unchanged.
pub async fn sessions_extend_refuses_expired(repos: Repositories) {
    let user = create_user(&repos).await;
    let session = create_session(&repos, user.id, now()).await;
    let at = session.expires_at;
    let renewed = repos
        .sessions
        .extend_session(session.id, at + Duration::hours(1), at)
        .await;
    assert!(
        !renewed.expect("extend_session"),
        "an expired session is not renewed"
    );
    let found = repos
        .sessions
        .find_session(session.id)
        .await
        .expect("find_session");
    assert_eq!(found, Some(session), "a refused renewal changes nothing");
    let unknown = repos.sessions.extend_session(new_id(), at, now()).await;
    assert!(
        !unknown.expect("extend_session"),
        "an unknown session is not renewed"
    );
}

/// Renewal follows the same edges as validation: a session renews the microsecond before
/// `expires_at` and before `absolute_expires_at`, and at either instant it does not.
pub async fn sessions_extend_expiry_edge(repos: Repositories) {
    let user = create_user(&repos).await;
    let idle = create_session(&repos, user.id, now()).await;
    let edge = idle.expires_at;
    let extend = |id, at| {
        let repos = repos.clone();
        async move {
            let renewed = repos
                .sessions
                .extend_session(id, at + Duration::hours(1), at);
            renewed.await.expect("extend_session")
        }
    };
    assert!(!extend(idle.id, edge).await, "not renewed at expires_at");
    assert!(
        extend(idle.id, edge - MICROSECOND).await,
        "renewed the microsecond before expires_at"
    );
    let now = now();
    let mut capped = fixtures_session_with_absolute(user.id, now);
    capped.expires_at = now + Duration::days(2);
    insert_session(&repos, &capped).await;
    let cap = capped.absolute_expires_at;
    assert!(
        !extend(capped.id, cap).await,
        "not renewed at absolute_expires_at"
    );
    assert!(
        extend(capped.id, cap - MICROSECOND).await,
        "renewed the microsecond before absolute_expires_at"
    );
}

/// A user's session is listed until the microsecond before it expires (idle or absolute) and
/// not at that instant.
pub async fn sessions_list_expiry_edge(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    let idle = create_session(&repos, user.id, now).await;
    let mut capped = fixtures_session_with_absolute(user.id, now);
    capped.expires_at = now + Duration::days(2);
    insert_session(&repos, &capped).await;
    let listed = |at| {
        let repos = repos.clone();
        async move {
            let sessions = repos.sessions.list_user_sessions(user.id, at);
            let sessions = sessions.await.expect("list_user_sessions");
            let mut ids: Vec<Uuid> = sessions.into_iter().map(|s| s.id).collect();
            ids.sort_unstable();
            ids
        }
    };
    // Both expire one hour from `now`: `idle` by its idle expiry, `capped` by its cap.
    assert_eq!(idle.expires_at, capped.absolute_expires_at);
    let edge = idle.expires_at;
    let mut both = vec![idle.id, capped.id];
    both.sort_unstable();
    assert_eq!(
        listed(edge - MICROSECOND).await,
        both,
        "listed the microsecond before expiry"
    );
    assert_eq!(
        listed(edge).await,
        Vec::<Uuid>::new(),
        "not listed at expires_at or absolute_expires_at"
    );
}

/// `find_session` returns a session whether active or not.
pub async fn sessions_find_active_or_not(repos: Repositories) {
    let user = create_user(&repos).await;
    let mut session = session(user.id, now() - Duration::days(3));
    session.absolute_expires_at = session.expires_at;
    insert_session(&repos, &session).await;
    let found = repos
        .sessions
        .find_session(session.id)
        .await
        .expect("find_session");
    assert_eq!(
        found,
        Some(session),
        "find_session returns expired sessions too"
    );
    assert_eq!(
        repos.sessions.find_session(new_id()).await.expect("find"),
        None
    );
}

/// A user's sessions: active only, newest first, nobody else's.
pub async fn sessions_list_user_sessions(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let now = now();
    let older = create_session(&repos, user.id, now - Duration::minutes(2)).await;
    let newer = create_session(&repos, user.id, now - Duration::minutes(1)).await;
    let mut expired = session(user.id, now - Duration::hours(2));
    expired.expires_at = now;
    insert_session(&repos, &expired).await;
    create_session(&repos, other.id, now).await;
    let listed = repos.sessions.list_user_sessions(user.id, now).await;
    assert_eq!(
        session_ids(&listed.expect("list_user_sessions")),
        vec![newer.id, older.id],
        "list_user_sessions: the user's active sessions, newest first"
    );
}

/// The admin listing contains active sessions, newest first, with a total; not expired ones.
pub async fn sessions_list_all_admin(repos: Repositories) {
    let user = create_user(&repos).await;
    let now = now();
    // Created in the future, so they are the newest rows even in a shared database; one
    // microsecond apart, so that an earlier run of this case (its base is earlier by at least
    // that) cannot slip a row between ours.
    let base = now + Duration::days(36_500);
    let mut ours = Vec::new();
    for i in 0..2 {
        let mut s = session(user.id, base + MICROSECOND * i);
        s.expires_at = base + Duration::days(1);
        s.absolute_expires_at = base + Duration::days(2);
        insert_session(&repos, &s).await;
        ours.push(s.id);
    }
    let mut expired = session(user.id, base + Duration::seconds(5));
    expired.expires_at = now;
    insert_session(&repos, &expired).await;
    let listed = list_page(&repos, 0, 50, now).await;
    let listed_ids = session_ids(&listed.items);
    assert_eq!(
        listed_ids[..2],
        [ours[1], ours[0]],
        "newest active sessions come first"
    );
    assert!(
        !listed_ids.contains(&expired.id),
        "list_sessions lists active sessions only"
    );
    assert!(listed.total >= 2, "total counts every active session");
    let paged = list_page(&repos, 1, 1, now).await;
    assert_eq!(
        session_ids(&paged.items),
        vec![ours[0]],
        "offset and limit apply"
    );
}

/// `delete_session` removes the session and reports whether it existed.
pub async fn sessions_delete_session(repos: Repositories) {
    let user = create_user(&repos).await;
    let session = create_session(&repos, user.id, now()).await;
    assert!(
        repos
            .sessions
            .delete_session(session.id)
            .await
            .expect("delete"),
        "existed: true"
    );
    assert!(
        !is_valid(&repos, &session, session.created_at).await,
        "a deleted session is gone"
    );
    assert!(
        !repos
            .sessions
            .delete_session(session.id)
            .await
            .expect("delete"),
        "gone: false"
    );
}

/// `delete_user_session` only deletes a session its owner names.
pub async fn sessions_delete_user_session_checks_owner(repos: Repositories) {
    let user = create_user(&repos).await;
    let intruder = create_user(&repos).await;
    let session = create_session(&repos, user.id, now()).await;
    let stolen = repos
        .sessions
        .delete_user_session(intruder.id, session.id)
        .await;
    assert!(
        !stolen.expect("delete_user_session"),
        "another user cannot delete the session"
    );
    assert!(
        is_valid(&repos, &session, session.created_at).await,
        "the session survives"
    );
    let own = repos
        .sessions
        .delete_user_session(user.id, session.id)
        .await;
    assert!(own.expect("delete_user_session"), "the owner deletes it");
    assert!(!is_valid(&repos, &session, session.created_at).await);
}

/// `delete_user_sessions` removes all but `keep`, counts them, and spares other users.
pub async fn sessions_delete_user_sessions_keep(repos: Repositories) {
    let user = create_user(&repos).await;
    let other = create_user(&repos).await;
    let now = now();
    let keep = create_session(&repos, user.id, now).await;
    let gone = [
        create_session(&repos, user.id, now).await,
        create_session(&repos, user.id, now).await,
    ];
    let bystander = create_session(&repos, other.id, now).await;
    let removed = repos
        .sessions
        .delete_user_sessions(user.id, Some(keep.id))
        .await;
    assert_eq!(
        removed.expect("delete_user_sessions"),
        2,
        "returns how many were deleted"
    );
    assert!(
        is_valid(&repos, &keep, now).await,
        "the kept session survives"
    );
    for session in &gone {
        assert!(!is_valid(&repos, session, now).await, "the others are gone");
    }
    assert!(
        is_valid(&repos, &bystander, now).await,
        "other users' sessions are untouched"
    );
    let all = repos.sessions.delete_user_sessions(user.id, None).await;
    assert_eq!(
        all.expect("delete_user_sessions"),
        1,
        "keep = None deletes every session"
    );
    assert!(!is_valid(&repos, &keep, now).await);
}

/// A session for an unknown user is `NotFound`; an unknown impersonator too.
pub async fn sessions_create_unknown_user_not_found(repos: Repositories) {
    let result = repos
        .sessions
        .create_session(&session(new_id(), now()))
        .await;
    assert_not_found(result, "create_session for an unknown user");
    let user = create_user(&repos).await;
    let impersonated = Session {
        impersonator_id: Some(new_id()),
        ..session(user.id, now())
    };
    let result = repos.sessions.create_session(&impersonated).await;
    assert_not_found(result, "create_session with an unknown impersonator");
}

/// A second session with a taken token hash is `Conflict(sessions.token_hash)`.
pub async fn sessions_duplicate_token_conflicts(repos: Repositories) {
    let user = create_user(&repos).await;
    let first = create_session(&repos, user.id, now()).await;
    let twin = Session {
        id: new_id(),
        ..first.clone()
    };
    let result = repos.sessions.create_session(&twin).await;
    assert_conflict(
        result,
        constraint::SESSIONS_TOKEN_HASH,
        "create_session, taken token",
    );
}

/// Deleting a user removes their sessions and the sessions in which they impersonated someone.
pub async fn sessions_user_delete_cascades(repos: Repositories) {
    let admin = create_user(&repos).await;
    let target = create_user(&repos).await;
    let now = now();
    let own = create_session(&repos, admin.id, now).await;
    let impersonation = Session {
        impersonator_id: Some(admin.id),
        ..session(target.id, now)
    };
    insert_session(&repos, &impersonation).await;
    let found = repos
        .sessions
        .find_session(impersonation.id)
        .await
        .expect("find");
    assert_eq!(
        found,
        Some(impersonation.clone()),
        "impersonator_id round-trips"
    );
    let targets_own = create_session(&repos, target.id, now).await;
    repos
        .users
        .delete_user(admin.id)
        .await
        .expect("delete_user");
    assert_eq!(
        repos.sessions.find_session(own.id).await.expect("find"),
        None
    );
    let found = repos
        .sessions
        .find_session(impersonation.id)
        .await
        .expect("find");
    assert_eq!(
        found, None,
        "sessions impersonated by a deleted user go too"
    );
    assert!(
        is_valid(&repos, &targets_own, now).await,
        "the target's own session stays"
    );
}
