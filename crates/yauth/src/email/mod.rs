//! Outgoing email: the [`EmailSender`] trait, its implementations, and the shared [`layout`] of
//! the messages.
//!
//! What an email says belongs to the plugin that sends it, overridable in that plugin's
//! configuration (e.g. `EmailPasswordConfig::templates` for address verification, password reset,
//! "an account already exists" and "your password was changed"). How emails travel is up to an
//! [`EmailSender`]:
//!
//! - [`SmtpEmailSender`] (feature `smtp`): asynchronous SMTP through lettre on tokio, with
//!   STARTTLS or implicit TLS and optional credentials. Use it in production.
//! - [`LogEmailSender`]: logs every message and prints it to stdout instead of sending it, so that
//!   during development verification and reset links show up in the terminal.
//! - [`MemoryEmailSender`]: keeps messages in memory, for tests and examples.
//!
//! Any other delivery (an HTTP email API, a queue) is a type implementing [`EmailSender`].
//!
//! ```
//! use yauth::email::{EmailError, EmailMessage, EmailSender};
//!
//! struct MyApiSender;
//!
//! #[async_trait::async_trait]
//! impl EmailSender for MyApiSender {
//!     async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
//!         // Hand `message` to your email provider here.
//!         let _ = message;
//!         Ok(())
//!     }
//! }
//! ```

pub mod layout;
pub mod log;
#[cfg(feature = "smtp")]
pub mod smtp;

pub use self::layout::escape_html;
pub use self::log::{LogEmailSender, MemoryEmailSender};
#[cfg(feature = "smtp")]
pub use self::smtp::{SmtpConfig, SmtpCredentials, SmtpEmailSender, SmtpSecurity};

/// One email to deliver to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// The recipient's address, e.g. `user@example.com`.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body. Always present: it is what text-only clients show.
    pub text: String,
    /// An optional HTML body, sent together with `text` as `multipart/alternative`.
    pub html: Option<String>,
}

/// Why an email could not be sent.
///
/// Messages never contain credentials or message bodies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// An address (the configured sender or a recipient) is not a valid email address.
    #[error("invalid {field} email address")]
    InvalidAddress {
        /// Which address was invalid: `"from"` or `"to"`.
        field: &'static str,
    },
    /// The sender's configuration is unusable (for example an empty host, a zero port or an
    /// unencrypted connection to a non-loopback host).
    #[error("invalid email configuration: {0}")]
    InvalidConfig(String),
    /// The message could not be assembled (for example a header value that cannot be encoded).
    #[error("could not build the email message: {0}")]
    Message(String),
    /// The mail server could not be reached or the connection failed (DNS, TCP, TLS, I/O).
    #[error("could not talk to the mail server: {0}")]
    Connection(String),
    /// The mail server did not answer within the configured timeout.
    #[error("the mail server did not answer in time")]
    Timeout,
    /// The mail server answered but refused the message (or the credentials).
    #[error("the mail server rejected the message{}: {message}", code.map(|c| format!(" ({c})")).unwrap_or_default())]
    Rejected {
        /// The SMTP reply code, when the server sent one (e.g. 550, 535).
        code: Option<u16>,
        /// `true` for a permanent (5xx) refusal, `false` for a transient (4xx) one.
        permanent: bool,
        /// What the server said, without any credentials.
        message: String,
    },
    /// Any other failure, for custom [`EmailSender`] implementations.
    #[error("email delivery failed: {0}")]
    Other(String),
}

/// Delivers [`EmailMessage`]s.
///
/// Implementations must be cheap to share (`Send + Sync`): yauth keeps one sender for the whole
/// application and calls it from request handlers. `send` is asynchronous; it must never block
/// the runtime thread.
#[async_trait::async_trait]
pub trait EmailSender: Send + Sync + 'static {
    /// Sends one message. An error means the message was not (known to be) delivered.
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError>;
}

#[async_trait::async_trait]
impl<T: EmailSender + ?Sized> EmailSender for std::sync::Arc<T> {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
        (**self).send(message).await
    }
}

#[async_trait::async_trait]
impl<T: EmailSender + ?Sized> EmailSender for Box<T> {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
        (**self).send(message).await
    }
}
