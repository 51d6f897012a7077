//! Creating sessions and their cookies, and reading the cookie back.

use axum_extra::extract::cookie::{Cookie, SameSite};
use time::Duration;
use uuid::Uuid;
use yauth_entity::{Session, User, new_id};

use crate::crypto::{hash_token, random_token};
use crate::error::ApiError;
use crate::extract::ClientInfo;
use crate::state::YAuthState;

/// How long a new session lives: idle (renewed by use) and absolute (never renewed past).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionLifetime {
    pub idle: Duration,
    pub absolute: Duration,
}

impl YAuthState {
    /// Creates a session for `user` and returns its token (for the cookie) and the row. The
    /// client's IP and User-Agent are recorded for binding and for the session list, and `amr`
    /// (how the user authenticated, RFC 8176 values) for step-up and token claims.
    pub async fn create_session(
        &self,
        user: &User,
        client: &ClientInfo,
        remember_me: bool,
        impersonator_id: Option<Uuid>,
        amr: &[&str],
    ) -> Result<(String, Session), ApiError> {
        let cfg = &self.config().session;
        let idle = match (remember_me, cfg.remember_me_ttl) {
            (true, Some(ttl)) => ttl,
            _ => cfg.ttl,
        };
        let lifetime = SessionLifetime {
            idle,
            absolute: cfg.absolute_ttl,
        };
        self.create_session_for(user, client, lifetime, impersonator_id, amr)
            .await
    }

    /// [`create_session`](Self::create_session) with an explicit lifetime (impersonation
    /// sessions are short whatever the session settings say).
    pub(crate) async fn create_session_for(
        &self,
        user: &User,
        client: &ClientInfo,
        lifetime: SessionLifetime,
        impersonator_id: Option<Uuid>,
        amr: &[&str],
    ) -> Result<(String, Session), ApiError> {
        let now = self.now();
        let SessionLifetime { idle, absolute } = lifetime;
        let absolute_expires_at = now + absolute;
        let token = random_token();
        let session = Session {
            id: new_id(),
            user_id: user.id,
            token_hash: hash_token(&token),
            ip_address: client.ip.map(|ip| ip.to_string()),
            user_agent: client.user_agent.clone(),
            impersonator_id,
            expires_at: (now + idle).min(absolute_expires_at),
            absolute_expires_at,
            last_seen_at: now,
            created_at: now,
            amr: amr.join(" "),
        };
        self.repos().sessions.create_session(&session).await?;
        Ok((token, session))
    }

    /// The session cookie: HttpOnly, SameSite=Lax, Path=/, and `Secure` with the `__Host-`
    /// prefix when cookies are secure. Persistent (Max-Age) only for remember-me sessions.
    pub fn session_cookie(&self, token: String, max_age: Option<Duration>) -> Cookie<'static> {
        let mut cookie = Cookie::build((self.derived().cookie_name.clone(), token))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.derived().secure_cookies)
            .build();
        if let Some(max_age) = max_age {
            cookie.set_max_age(max_age);
        }
        cookie
    }

    /// A cookie that deletes the session cookie.
    pub fn removal_cookie(&self) -> Cookie<'static> {
        let mut cookie = self.session_cookie(String::new(), None);
        cookie.make_removal();
        cookie
    }

    /// The cookie lifetime for a new session: persistent only when the user asked to be
    /// remembered and remember-me is enabled.
    pub(crate) fn cookie_max_age(&self, remember_me: bool) -> Option<Duration> {
        if remember_me {
            self.config().session.remember_me_ttl
        } else {
            None
        }
    }
}

/// The value of the request's `name` cookie (the last one, when several carry that name), read
/// in place: the other cookies are neither parsed nor copied.
pub(crate) fn cookie_value<'h>(headers: &'h axum::http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim())
        .next_back()
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::cookie_value;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::COOKIE,
                HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("")),
            );
        }
        headers
    }

    #[test]
    fn the_named_cookie_is_found_among_others_and_the_last_one_wins() {
        let h = headers(&[
            "theme=dark; yauth_session_x=wrong;  yauth_session = tok1 ",
            "yauth_session=tok2",
        ]);
        assert_eq!(cookie_value(&h, "yauth_session"), Some("tok2"));
        let h = headers(&["a=1; yauth_session=tok1; b=2"]);
        assert_eq!(cookie_value(&h, "yauth_session"), Some("tok1"));
        let h = headers(&["xyauth_session=no; yauth_sessionx=no; novalue; =empty"]);
        assert_eq!(cookie_value(&h, "yauth_session"), None);
        assert_eq!(cookie_value(&HeaderMap::new(), "yauth_session"), None);
        let h = headers(&["yauth_session=a=b"]);
        assert_eq!(
            cookie_value(&h, "yauth_session"),
            Some("a=b"),
            "only the first = splits"
        );
    }
}
