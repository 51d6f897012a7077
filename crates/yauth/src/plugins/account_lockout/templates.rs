//! The wording of the account-locked email, overridable through [`LockoutTemplates`] in
//! [`AccountLockoutConfig::templates`](super::AccountLockoutConfig::templates).

use crate::email::EmailMessage;
use crate::email::layout::{escape_html, html_document, html_link, human_duration};

/// What the account-locked email needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLockedContext {
    /// The application's name, as shown to users.
    pub app_name: String,
    /// The account's address.
    pub email: String,
    /// The unlock link, with its token.
    pub unlock_link: String,
    /// How long the link stays valid, in minutes.
    pub link_expires_in_minutes: u64,
    /// How long the lock lasts if nothing is done, in minutes; `None` when it lasts until
    /// unlocked.
    pub lock_ends_in_minutes: Option<u64>,
}

/// The email the account-lockout plugin sends, when an account locks and when its owner asks
/// for an unlock link. The default method returns [`DefaultLockoutTemplates`]' message.
pub trait LockoutTemplates: Send + Sync + 'static {
    /// The email carrying an unlock link.
    fn account_locked(&self, ctx: &AccountLockedContext) -> EmailMessage {
        default_account_locked(ctx)
    }
}

/// yauth's built-in wording: plain, friendly English, text and HTML.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultLockoutTemplates;

impl LockoutTemplates for DefaultLockoutTemplates {}

fn default_account_locked(ctx: &AccountLockedContext) -> EmailMessage {
    let subject = format!("Your {} account is locked", ctx.app_name);
    let expires = human_duration(ctx.link_expires_in_minutes);
    let wait = match ctx.lock_ends_in_minutes {
        Some(minutes) => format!("It unlocks on its own in {}.", human_duration(minutes)),
        None => "It stays locked until it is unlocked.".to_owned(),
    };
    let reason = "Your account was locked after too many failed sign-in attempts.";
    let advice = "If these attempts were not yours, someone may be guessing your password: \
                  change it once you are back in.";
    let text = format!(
        "Hi,\n\n{reason} {wait}\n\n\
         To unlock it now, open this link (it works once and expires in {expires}):\n\n\
         {link}\n\n{advice}\n",
        link = ctx.unlock_link,
    );
    let html = html_document(
        &subject,
        &[
            "Hi,".to_owned(),
            format!("{reason} {}", escape_html(&wait)),
            format!("To unlock it now, open this link (it works once and expires in {expires}):"),
            html_link(&ctx.unlock_link, "Unlock my account"),
            advice.to_owned(),
        ],
    );
    EmailMessage {
        to: ctx.email.clone(),
        subject,
        text,
        html: Some(html),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_email_carries_the_link_and_the_wait() {
        let m = DefaultLockoutTemplates.account_locked(&AccountLockedContext {
            app_name: "<i>Acme</i>".into(),
            email: "ada@example.com".into(),
            unlock_link: "https://acme.test/unlock-account?token=abc".into(),
            link_expires_in_minutes: 60,
            lock_ends_in_minutes: Some(5),
        });
        assert_eq!(m.to, "ada@example.com");
        assert!(
            m.text.contains("token=abc") && m.text.contains("5 minutes"),
            "{}",
            m.text
        );
        assert!(!m.html.unwrap().contains("<i>Acme"));
    }
}
