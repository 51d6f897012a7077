//! The wording of the sign-in link email, overridable through [`MagicLinkTemplates`] in
//! [`MagicLinkConfig::templates`](super::MagicLinkConfig::templates).

use crate::email::EmailMessage;
use crate::email::layout::{escape_html, html_document, html_link, human_duration};

/// What the sign-in link email needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagicLinkContext {
    /// The application's name, as shown to users.
    pub app_name: String,
    /// The address the link goes to.
    pub email: String,
    /// The sign-in link, with its token.
    pub link: String,
    /// How long the link stays valid, in minutes.
    pub expires_in_minutes: u64,
}

/// The email the magic-link plugin sends. The default method returns
/// [`DefaultMagicLinkTemplates`]' message.
pub trait MagicLinkTemplates: Send + Sync + 'static {
    /// The email carrying a sign-in link.
    fn magic_link(&self, ctx: &MagicLinkContext) -> EmailMessage {
        default_magic_link(ctx)
    }
}

/// yauth's built-in wording: plain, friendly English, text and HTML.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultMagicLinkTemplates;

impl MagicLinkTemplates for DefaultMagicLinkTemplates {}

fn default_magic_link(ctx: &MagicLinkContext) -> EmailMessage {
    let expires = human_duration(ctx.expires_in_minutes);
    let subject = format!("Your sign-in link for {}", ctx.app_name);
    let text = format!(
        "Hi,\n\n\
         Open this link to sign in to {app}:\n\n\
         {link}\n\n\
         The link works once and expires in {expires}. If you did not ask for it, ignore this \
         email: nobody can sign in without it.\n",
        app = ctx.app_name,
        link = ctx.link,
    );
    let html = html_document(
        &subject,
        &[
            "Hi,".to_owned(),
            format!(
                "Open this link to sign in to {}:",
                escape_html(&ctx.app_name)
            ),
            html_link(&ctx.link, "Sign in"),
            format!(
                "The link works once and expires in {expires}. If you did not ask for it, \
                 ignore this email: nobody can sign in without it."
            ),
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
    fn the_default_email_carries_the_link_and_escapes_html() {
        let m = DefaultMagicLinkTemplates.magic_link(&MagicLinkContext {
            app_name: "<b>Acme</b>".into(),
            email: "ada@example.com".into(),
            link: "https://acme.test/magic-link?token=a&b=\"><script>".into(),
            expires_in_minutes: 15,
        });
        assert_eq!(m.to, "ada@example.com");
        assert!(m.text.contains("token=a&b="));
        assert!(m.text.contains("15 minutes"));
        let html = m.html.unwrap();
        assert!(
            !html.contains("<script>") && !html.contains("<b>Acme"),
            "{html}"
        );
    }
}
