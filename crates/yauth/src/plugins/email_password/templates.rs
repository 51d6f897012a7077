//! The wording of the emails the email-password plugin sends, overridable through
//! [`EmailPasswordTemplates`] in [`EmailPasswordConfig::templates`](super::EmailPasswordConfig::templates).
//!
//! Every email the plugin sends has one method on [`EmailPasswordTemplates`], taking a context struct and
//! returning a complete [`EmailMessage`] (recipient, subject, plain text and HTML).
//! [`DefaultEmailPasswordTemplates`] provides plain, friendly English wording; every method of the trait falls
//! back to it, so a custom implementation only writes the emails it wants to change:
//!
//! ```
//! use yauth::email::EmailMessage;
//! use yauth::plugins::email_password::templates::{
//!     DefaultEmailPasswordTemplates, EmailPasswordTemplates, VerifyEmailContext,
//! };
//!
//! /// Our own welcome wording; the other emails keep yauth's default text.
//! struct MyTemplates;
//!
//! impl EmailPasswordTemplates for MyTemplates {
//!     fn verify_email(&self, ctx: &VerifyEmailContext) -> EmailMessage {
//!         // Start from the default message and change only what we need.
//!         let mut message = DefaultEmailPasswordTemplates.verify_email(ctx);
//!         message.subject = format!("Welcome to {}! One more step", ctx.app_name);
//!         message
//!     }
//!     // password_reset, account_exists and password_changed are not written here:
//!     // they delegate to DefaultEmailPasswordTemplates.
//! }
//!
//! let ctx = VerifyEmailContext {
//!     app_name: "Acme".into(),
//!     email: "ada@example.com".into(),
//!     link: "https://acme.test/verify?token=abc".into(),
//!     expires_in_minutes: 60,
//! };
//! let message = MyTemplates.verify_email(&ctx);
//! assert_eq!(message.subject, "Welcome to Acme! One more step");
//! assert!(message.text.contains("https://acme.test/verify?token=abc"));
//! ```
//!
//! When writing HTML yourself, escape every value you interpolate with
//! [`escape_html`]: the recipient's address and the application name
//! come from configuration and user input.

use crate::email::EmailMessage;
use crate::email::layout::{escape_html, html_document, html_link, human_duration};

/// What the address-verification email needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyEmailContext {
    /// The application's name, as shown to users.
    pub app_name: String,
    /// The address to verify; the email is sent there.
    pub email: String,
    /// The verification link, with its token.
    pub link: String,
    /// How long the link stays valid, in minutes.
    pub expires_in_minutes: u64,
}

/// What the password-reset email needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordResetContext {
    /// The application's name, as shown to users.
    pub app_name: String,
    /// The account's address; the email is sent there.
    pub email: String,
    /// The reset link, with its token.
    pub link: String,
    /// How long the link stays valid, in minutes.
    pub expires_in_minutes: u64,
}

/// What the "an account already exists" email needs.
///
/// Sent to the owner of an address when someone tries to register it again. Registration answers
/// the same way whether or not the address is taken (so it cannot be used to discover accounts);
/// this email tells the real owner what happened and how to get back in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountExistsContext {
    /// The application's name, as shown to users.
    pub app_name: String,
    /// The existing account's address; the email is sent there.
    pub email: String,
    /// Where to log in.
    pub login_link: String,
    /// Where to start a password reset.
    pub reset_link: String,
}

/// What the "your password was changed" notice needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChangedContext {
    /// The application's name, as shown to users.
    pub app_name: String,
    /// The account's address; the email is sent there.
    pub email: String,
}

/// The emails the email-password plugin sends. Each method returns the whole message for one email.
///
/// Every method has a default implementation that returns [`DefaultEmailPasswordTemplates`]' message, so an
/// implementation overrides only the emails it wants to word differently (see the
/// [module documentation](self) for an example). Emails added to this trait in later versions
/// will come with a default too.
pub trait EmailPasswordTemplates: Send + Sync + 'static {
    /// The email asking a new user to confirm their address.
    fn verify_email(&self, ctx: &VerifyEmailContext) -> EmailMessage {
        default_verify_email(ctx)
    }

    /// The email carrying a password-reset link.
    fn password_reset(&self, ctx: &PasswordResetContext) -> EmailMessage {
        default_password_reset(ctx)
    }

    /// The email telling an address's owner that someone tried to register it again.
    fn account_exists(&self, ctx: &AccountExistsContext) -> EmailMessage {
        default_account_exists(ctx)
    }

    /// The notice sent after an account's password was changed or reset.
    fn password_changed(&self, ctx: &PasswordChangedContext) -> EmailMessage {
        default_password_changed(ctx)
    }
}

/// yauth's built-in wording for every email of the plugin: plain, friendly English, text and HTML.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultEmailPasswordTemplates;

impl EmailPasswordTemplates for DefaultEmailPasswordTemplates {}

impl<T: EmailPasswordTemplates + ?Sized> EmailPasswordTemplates for std::sync::Arc<T> {
    fn verify_email(&self, ctx: &VerifyEmailContext) -> EmailMessage {
        (**self).verify_email(ctx)
    }
    fn password_reset(&self, ctx: &PasswordResetContext) -> EmailMessage {
        (**self).password_reset(ctx)
    }
    fn account_exists(&self, ctx: &AccountExistsContext) -> EmailMessage {
        (**self).account_exists(ctx)
    }
    fn password_changed(&self, ctx: &PasswordChangedContext) -> EmailMessage {
        (**self).password_changed(ctx)
    }
}

impl<T: EmailPasswordTemplates + ?Sized> EmailPasswordTemplates for Box<T> {
    fn verify_email(&self, ctx: &VerifyEmailContext) -> EmailMessage {
        (**self).verify_email(ctx)
    }
    fn password_reset(&self, ctx: &PasswordResetContext) -> EmailMessage {
        (**self).password_reset(ctx)
    }
    fn account_exists(&self, ctx: &AccountExistsContext) -> EmailMessage {
        (**self).account_exists(ctx)
    }
    fn password_changed(&self, ctx: &PasswordChangedContext) -> EmailMessage {
        (**self).password_changed(ctx)
    }
}

fn default_verify_email(ctx: &VerifyEmailContext) -> EmailMessage {
    let expires = human_duration(ctx.expires_in_minutes);
    let subject = format!("Confirm your email address for {}", ctx.app_name);
    let text = format!(
        "Hi,\n\n\
         Please confirm that {email} is your email address for {app} by opening this link:\n\n\
         {link}\n\n\
         The link expires in {expires}.\n\n\
         If you did not sign up for {app}, you can safely ignore this email.\n\n\
         The {app} team\n",
        email = ctx.email,
        app = ctx.app_name,
        link = ctx.link,
    );
    let app = escape_html(&ctx.app_name);
    let html = html_document(
        &subject,
        &[
            "Hi,".to_owned(),
            format!(
                "Please confirm that <strong>{}</strong> is your email address for {app}.",
                escape_html(&ctx.email)
            ),
            html_link(&ctx.link, "Confirm my email address"),
            format!("The link expires in {}.", escape_html(&expires)),
            format!("If you did not sign up for {app}, you can safely ignore this email."),
            format!("The {app} team"),
        ],
    );
    EmailMessage {
        to: ctx.email.clone(),
        subject,
        text,
        html: Some(html),
    }
}

fn default_password_reset(ctx: &PasswordResetContext) -> EmailMessage {
    let expires = human_duration(ctx.expires_in_minutes);
    let subject = format!("Reset your {} password", ctx.app_name);
    let text = format!(
        "Hi,\n\n\
         Someone (hopefully you) asked to reset the password of the {app} account for {email}.\n\
         To choose a new password, open this link:\n\n\
         {link}\n\n\
         The link expires in {expires} and works only once.\n\n\
         If you did not ask for this, you can ignore this email: your password stays the same.\n\n\
         The {app} team\n",
        email = ctx.email,
        app = ctx.app_name,
        link = ctx.link,
    );
    let app = escape_html(&ctx.app_name);
    let html = html_document(
        &subject,
        &[
            "Hi,".to_owned(),
            format!(
                "Someone (hopefully you) asked to reset the password of the {app} account for \
                 <strong>{}</strong>.",
                escape_html(&ctx.email)
            ),
            html_link(&ctx.link, "Choose a new password"),
            format!(
                "The link expires in {} and works only once.",
                escape_html(&expires)
            ),
            "If you did not ask for this, you can ignore this email: your password stays the \
             same."
                .to_owned(),
            format!("The {app} team"),
        ],
    );
    EmailMessage {
        to: ctx.email.clone(),
        subject,
        text,
        html: Some(html),
    }
}

fn default_account_exists(ctx: &AccountExistsContext) -> EmailMessage {
    let subject = format!("You already have a {} account", ctx.app_name);
    let text = format!(
        "Hi,\n\n\
         Someone tried to create a new {app} account with {email}, but this address already \
         has an account.\n\n\
         If it was you, you can log in here:\n\n{login}\n\n\
         Forgot your password? Reset it here:\n\n{reset}\n\n\
         If it was not you, you don't need to do anything: no new account was created and \
         your account is unchanged.\n\n\
         The {app} team\n",
        email = ctx.email,
        app = ctx.app_name,
        login = ctx.login_link,
        reset = ctx.reset_link,
    );
    let app = escape_html(&ctx.app_name);
    let html = html_document(
        &subject,
        &[
            "Hi,".to_owned(),
            format!(
                "Someone tried to create a new {app} account with <strong>{}</strong>, but this \
                 address already has an account.",
                escape_html(&ctx.email)
            ),
            format!(
                "If it was you, you can log in here:<br>{}",
                html_link(&ctx.login_link, "Log in")
            ),
            format!(
                "Forgot your password? Reset it here:<br>{}",
                html_link(&ctx.reset_link, "Reset my password")
            ),
            "If it was not you, you don't need to do anything: no new account was created and \
             your account is unchanged."
                .to_owned(),
            format!("The {app} team"),
        ],
    );
    EmailMessage {
        to: ctx.email.clone(),
        subject,
        text,
        html: Some(html),
    }
}

fn default_password_changed(ctx: &PasswordChangedContext) -> EmailMessage {
    let subject = format!("Your {} password was changed", ctx.app_name);
    let text = format!(
        "Hi,\n\n\
         The password of the {app} account for {email} was just changed.\n\n\
         If you did this, there is nothing else to do.\n\n\
         If you did not, reset your password right away and contact us: someone else may have \
         access to your account.\n\n\
         The {app} team\n",
        email = ctx.email,
        app = ctx.app_name,
    );
    let app = escape_html(&ctx.app_name);
    let html = html_document(
        &subject,
        &[
            "Hi,".to_owned(),
            format!(
                "The password of the {app} account for <strong>{}</strong> was just changed.",
                escape_html(&ctx.email)
            ),
            "If you did this, there is nothing else to do.".to_owned(),
            "If you did not, reset your password right away and contact us: someone else may \
             have access to your account."
                .to_owned(),
            format!("The {app} team"),
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
    #![allow(clippy::unwrap_used)]

    use super::*;

    const EVIL_APP: &str = "<script>alert(1)</script> & Co";
    const EVIL_EMAIL: &str = "\"><img src=x onerror=alert(1)>@example.com";
    const EVIL_LINK: &str = "https://app.test/verify?token=a&b=\"><script>x</script>";

    fn assert_escaped(html: &str) {
        assert!(!html.contains("<script>"), "unescaped script in {html}");
        assert!(!html.contains("<img"), "unescaped img in {html}");
        assert!(!html.contains("\"><"), "attribute break-out in {html}");
    }

    #[test]
    fn verify_email_contains_link_expiry_and_escapes_html() {
        let m = DefaultEmailPasswordTemplates.verify_email(&VerifyEmailContext {
            app_name: "Acme".into(),
            email: "ada@example.com".into(),
            link: "https://acme.test/verify?token=abc&x=1".into(),
            expires_in_minutes: 1440,
        });
        assert_eq!(m.to, "ada@example.com");
        assert_eq!(m.subject, "Confirm your email address for Acme");
        assert!(m.text.contains("https://acme.test/verify?token=abc&x=1"));
        assert!(m.text.contains("1 day"));
        let html = m.html.unwrap();
        assert!(html.contains("href=\"https://acme.test/verify?token=abc&amp;x=1\""));

        let evil = DefaultEmailPasswordTemplates.verify_email(&VerifyEmailContext {
            app_name: EVIL_APP.into(),
            email: EVIL_EMAIL.into(),
            link: EVIL_LINK.into(),
            expires_in_minutes: 30,
        });
        assert_escaped(&evil.html.unwrap());
    }

    #[test]
    fn every_default_template_escapes_every_value() {
        let reset = DefaultEmailPasswordTemplates.password_reset(&PasswordResetContext {
            app_name: EVIL_APP.into(),
            email: EVIL_EMAIL.into(),
            link: EVIL_LINK.into(),
            expires_in_minutes: 30,
        });
        assert!(reset.text.contains(EVIL_LINK));
        assert!(reset.text.contains("30 minutes"));
        assert_escaped(&reset.html.unwrap());

        let exists = DefaultEmailPasswordTemplates.account_exists(&AccountExistsContext {
            app_name: EVIL_APP.into(),
            email: EVIL_EMAIL.into(),
            login_link: EVIL_LINK.into(),
            reset_link: format!("{EVIL_LINK}/reset"),
        });
        assert_eq!(exists.to, EVIL_EMAIL);
        assert!(exists.text.contains(EVIL_LINK));
        assert!(exists.text.contains(&format!("{EVIL_LINK}/reset")));
        assert_escaped(&exists.html.unwrap());

        let changed = DefaultEmailPasswordTemplates.password_changed(&PasswordChangedContext {
            app_name: EVIL_APP.into(),
            email: EVIL_EMAIL.into(),
        });
        assert!(changed.subject.contains("password was changed"));
        assert_escaped(&changed.html.unwrap());
    }

    #[test]
    fn custom_templates_override_one_email_and_keep_the_others() {
        struct Custom;
        impl EmailPasswordTemplates for Custom {
            fn password_changed(&self, ctx: &PasswordChangedContext) -> EmailMessage {
                EmailMessage {
                    to: ctx.email.clone(),
                    subject: "custom".into(),
                    text: "custom".into(),
                    html: None,
                }
            }
        }
        let templates: Box<dyn EmailPasswordTemplates> = Box::new(Custom);
        let changed = templates.password_changed(&PasswordChangedContext {
            app_name: "Acme".into(),
            email: "a@example.com".into(),
        });
        assert_eq!(changed.subject, "custom");
        let reset_ctx = PasswordResetContext {
            app_name: "Acme".into(),
            email: "a@example.com".into(),
            link: "https://acme.test/r".into(),
            expires_in_minutes: 30,
        };
        assert_eq!(
            templates.password_reset(&reset_ctx),
            DefaultEmailPasswordTemplates.password_reset(&reset_ctx)
        );
    }
}
