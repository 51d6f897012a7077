//! Asynchronous SMTP delivery with lettre on tokio (feature `smtp`).
//!
//! ```no_run
//! use std::time::Duration;
//! use yauth::email::{SmtpConfig, SmtpCredentials, SmtpEmailSender, SmtpSecurity};
//!
//! # fn main() -> Result<(), yauth::email::EmailError> {
//! let sender = SmtpEmailSender::new(SmtpConfig {
//!     host: "smtp.example.com".into(),
//!     port: 587,
//!     security: SmtpSecurity::StartTls,
//!     credentials: Some(SmtpCredentials {
//!         username: "apikey".into(),
//!         password: std::env::var("SMTP_PASSWORD").unwrap_or_default(),
//!     }),
//!     from: "Acme <no-reply@example.com>".into(),
//!     timeout: Duration::from_secs(10),
//! })?;
//! # let _ = sender;
//! # Ok(())
//! # }
//! ```
//!
//! The TLS connections use rustls with the `ring` provider. If your application also enables
//! rustls' `aws-lc-rs` provider elsewhere, that is fine for this sender (it chooses its provider
//! explicitly), but other rustls users in the process may need a default provider installed at
//! start-up (`rustls::crypto::ring::default_provider().install_default()`).

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{EmailError, EmailMessage, EmailSender};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    /// Plain text, no encryption at all. **Development and tests only**: credentials and
    /// messages (including password-reset links) travel in clear. Accepted only when the host is
    /// a loopback address (`localhost`, `127.0.0.0/8`, `::1`), e.g. a local mail catcher.
    None,
    /// Connect in plain text and upgrade with `STARTTLS` before anything else is sent; the
    /// upgrade is required, never optional. Usually port 587.
    #[default]
    StartTls,
    /// Implicit TLS from the first byte ("SMTPS"). Usually port 465.
    Tls,
}

/// The login for the SMTP server.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    /// The user name.
    pub username: String,
    /// The password (never printed by `Debug`).
    pub password: String,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Settings of an [`SmtpEmailSender`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The server's host name (also used to verify its TLS certificate) or IP address.
    pub host: String,
    /// The server's port: usually 587 with [`SmtpSecurity::StartTls`], 465 with
    /// [`SmtpSecurity::Tls`].
    pub port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// The login, if the server requires one (AUTH PLAIN or LOGIN, whichever it offers).
    pub credentials: Option<SmtpCredentials>,
    /// The sender, as a bare address (`no-reply@example.com`) or with a display name
    /// (`Acme <no-reply@example.com>`).
    pub from: String,
    /// The longest one delivery may take, from connecting to the server's final reply
    /// (connection, TLS handshake, authentication and every SMTP command included). Past it the
    /// connection is dropped and [`EmailError::Timeout`] returned.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// A configuration for `host` with STARTTLS on port 587, no credentials and a 10-second
    /// timeout.
    pub fn new(host: impl Into<String>, from: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            credentials: None,
            from: from.into(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Delivers email through an SMTP server, asynchronously (lettre on tokio).
///
/// Build it once and share it: [`SmtpEmailSender::new`] validates the configuration and prepares
/// the TLS settings; every [`send`](EmailSender::send) opens a connection, delivers one message
/// and closes it.
#[derive(Clone)]
pub struct SmtpEmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
    timeout: Duration,
}

impl fmt::Debug for SmtpEmailSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpEmailSender")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Whether `host` names this machine: `localhost` or a loopback IP address.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpEmailSender {
    /// Validates `config` and creates the sender. No connection is made yet.
    ///
    /// # Errors
    ///
    /// [`EmailError::InvalidAddress`] when `from` is not a valid address;
    /// [`EmailError::InvalidConfig`] for an empty host, port 0, a zero timeout,
    /// [`SmtpSecurity::None`] towards a host that is not loopback, or TLS settings that cannot be
    /// prepared.
    pub fn new(config: SmtpConfig) -> Result<Self, EmailError> {
        let from: Mailbox = config
            .from
            .trim()
            .parse()
            .map_err(|_| EmailError::InvalidAddress { field: "from" })?;
        let host = config.host.trim();
        if host.is_empty() {
            return Err(EmailError::InvalidConfig("the SMTP host is empty".into()));
        }
        if config.port == 0 {
            return Err(EmailError::InvalidConfig("the SMTP port is 0".into()));
        }
        if config.timeout.is_zero() {
            return Err(EmailError::InvalidConfig("the SMTP timeout is zero".into()));
        }

        let builder = match config.security {
            SmtpSecurity::None => {
                if !is_loopback_host(host) {
                    return Err(EmailError::InvalidConfig(format!(
                        "unencrypted SMTP (SmtpSecurity::None) is only allowed to a loopback \
                         host, not to {host}; use StartTls or Tls"
                    )));
                }
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            }
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| EmailError::InvalidConfig(format!("TLS setup failed: {e}")))?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| EmailError::InvalidConfig(format!("TLS setup failed: {e}")))?,
        };
        let mut builder = builder.port(config.port).timeout(Some(config.timeout));
        if let Some(credentials) = config.credentials {
            builder = builder
                .credentials(Credentials::new(credentials.username, credentials.password))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }

        Ok(Self {
            transport: builder.build(),
            from,
            host: host.to_owned(),
            port: config.port,
            timeout: config.timeout,
        })
    }

    fn build_message(&self, message: &EmailMessage) -> Result<Message, EmailError> {
        let to: Mailbox = message
            .to
            .trim()
            .parse()
            .map_err(|_| EmailError::InvalidAddress { field: "to" })?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.as_str())
            .message_id(None);
        let built = match &message.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                html.clone(),
            )),
            None => builder.singlepart(SinglePart::plain(message.text.clone())),
        };
        built.map_err(|e| EmailError::Message(e.to_string()))
    }
}

fn map_smtp_error(error: &lettre::transport::smtp::Error) -> EmailError {
    if error.is_timeout() {
        EmailError::Timeout
    } else if error.is_permanent() || error.is_transient() {
        EmailError::Rejected {
            code: error.status().and_then(|c| c.to_string().parse().ok()),
            permanent: error.is_permanent(),
            message: error.to_string(),
        }
    } else {
        EmailError::Connection(error.to_string())
    }
}

#[async_trait::async_trait]
impl EmailSender for SmtpEmailSender {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
        let email = self.build_message(message)?;
        // lettre's own timeout covers only the TCP connect; bound the whole exchange.
        let result = match tokio::time::timeout(self.timeout, self.transport.send(email)).await {
            Ok(result) => result,
            Err(_elapsed) => {
                tracing::warn!(host = %self.host, port = self.port, "email not sent: timed out");
                return Err(EmailError::Timeout);
            }
        };
        match result {
            Ok(response) => {
                tracing::debug!(
                    host = %self.host,
                    port = self.port,
                    code = %response.code(),
                    "email accepted by the SMTP server"
                );
                Ok(())
            }
            Err(error) => {
                let error = map_smtp_error(&error);
                tracing::warn!(host = %self.host, port = self.port, %error, "email not sent");
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn config(host: &str, security: SmtpSecurity) -> SmtpConfig {
        SmtpConfig {
            security,
            port: 2525,
            ..SmtpConfig::new(host, "Acme <no-reply@example.com>")
        }
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "smtp.example.com",
            "10.0.0.1",
            "localhost.example.com",
            "::2",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn unencrypted_smtp_only_to_loopback() {
        assert!(SmtpEmailSender::new(config("127.0.0.1", SmtpSecurity::None)).is_ok());
        assert!(matches!(
            SmtpEmailSender::new(config("smtp.example.com", SmtpSecurity::None)),
            Err(EmailError::InvalidConfig(_))
        ));
        assert!(SmtpEmailSender::new(config("smtp.example.com", SmtpSecurity::StartTls)).is_ok());
        assert!(SmtpEmailSender::new(config("smtp.example.com", SmtpSecurity::Tls)).is_ok());
    }

    #[test]
    fn invalid_settings_are_errors() {
        let mut bad_from = config("127.0.0.1", SmtpSecurity::None);
        bad_from.from = "not an address".into();
        assert_eq!(
            SmtpEmailSender::new(bad_from).unwrap_err(),
            EmailError::InvalidAddress { field: "from" }
        );
        let mut no_host = config("  ", SmtpSecurity::StartTls);
        no_host.host = " ".into();
        assert!(matches!(
            SmtpEmailSender::new(no_host),
            Err(EmailError::InvalidConfig(_))
        ));
        let mut no_port = config("127.0.0.1", SmtpSecurity::None);
        no_port.port = 0;
        assert!(matches!(
            SmtpEmailSender::new(no_port),
            Err(EmailError::InvalidConfig(_))
        ));
        let mut no_timeout = config("127.0.0.1", SmtpSecurity::None);
        no_timeout.timeout = Duration::ZERO;
        assert!(matches!(
            SmtpEmailSender::new(no_timeout),
            Err(EmailError::InvalidConfig(_))
        ));
    }

    #[test]
    fn debug_output_never_contains_the_password() {
        let mut cfg = config("127.0.0.1", SmtpSecurity::None);
        cfg.credentials = Some(SmtpCredentials {
            username: "user".into(),
            password: "hunter2-secret".into(),
        });
        assert!(!format!("{cfg:?}").contains("hunter2-secret"));
        let sender = SmtpEmailSender::new(cfg).unwrap();
        assert!(!format!("{sender:?}").contains("hunter2-secret"));
    }

    #[test]
    fn messages_with_invalid_recipients_are_refused_before_connecting() {
        let sender = SmtpEmailSender::new(config("127.0.0.1", SmtpSecurity::None)).unwrap();
        let err = sender
            .build_message(&EmailMessage {
                to: "nope".into(),
                subject: "s".into(),
                text: "t".into(),
                html: None,
            })
            .unwrap_err();
        assert_eq!(err, EmailError::InvalidAddress { field: "to" });
    }
}
