//! Senders that do not deliver anything: [`LogEmailSender`] for development and
//! [`MemoryEmailSender`] for tests.

use std::io::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{EmailError, EmailMessage, EmailSender};

/// A development sender: logs each message and prints it to stdout instead of sending it.
///
/// Each message is logged with `tracing::info!` (recipient and subject) and its recipient, subject
/// and text body are printed to standard output, so that verification and password-reset links
/// show up in the terminal of a locally running server. Never use it in production: the links it
/// prints grant access to accounts.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogEmailSender;

impl LogEmailSender {
    /// Creates the sender.
    pub fn new() -> Self {
        Self
    }
}

#[async_trait::async_trait]
impl EmailSender for LogEmailSender {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
        tracing::info!(
            to = %message.to,
            subject = %message.subject,
            "email not sent (LogEmailSender); printed to stdout"
        );
        let rendered = format!(
            "\n========== email (LogEmailSender: not sent) ==========\n\
             To: {}\nSubject: {}\n\n{}\n\
             ======================================================\n",
            message.to,
            message.subject,
            message.text.trim_end()
        );
        // One write of the whole block, so concurrent messages don't interleave line by line.
        // A closed stdout is not a delivery failure worth failing a request for.
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(rendered.as_bytes());
        let _ = stdout.flush();
        Ok(())
    }
}

/// A sender for tests and examples: keeps every message in memory and delivers nothing.
///
/// Clones share the same mailbox, so keep one clone and give another to yauth, then read what
/// was "sent":
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use yauth::email::{EmailMessage, EmailSender, MemoryEmailSender};
///
/// let outbox = MemoryEmailSender::new();
/// let sender = outbox.clone(); // hand this one to yauth
/// sender
///     .send(&EmailMessage {
///         to: "ada@example.com".into(),
///         subject: "Hello".into(),
///         text: "Hi Ada".into(),
///         html: None,
///     })
///     .await
///     .unwrap();
///
/// assert_eq!(outbox.sent().len(), 1);
/// assert_eq!(outbox.last_to("ada@example.com").unwrap().subject, "Hello");
/// # });
/// ```
///
/// It is meant for tests: it never forgets a message, so memory grows with every email.
#[derive(Debug, Clone, Default)]
pub struct MemoryEmailSender {
    messages: Arc<Mutex<Vec<EmailMessage>>>,
}

impl MemoryEmailSender {
    /// Creates an empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<EmailMessage>> {
        // A panic while holding the lock cannot leave the Vec half-updated (push is atomic from
        // our point of view), so a poisoned lock is still safe to use.
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every message sent so far, oldest first.
    pub fn sent(&self) -> Vec<EmailMessage> {
        self.lock().clone()
    }

    /// The most recent message sent to `address` (compared case-insensitively), if any.
    pub fn last_to(&self, address: &str) -> Option<EmailMessage> {
        self.lock()
            .iter()
            .rev()
            .find(|m| m.to.eq_ignore_ascii_case(address))
            .cloned()
    }

    /// Forgets every message sent so far.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[async_trait::async_trait]
impl EmailSender for MemoryEmailSender {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
        self.lock().push(message.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn message(to: &str, subject: &str) -> EmailMessage {
        EmailMessage {
            to: to.into(),
            subject: subject.into(),
            text: "body".into(),
            html: None,
        }
    }

    #[tokio::test]
    async fn memory_sender_keeps_messages_in_order_and_shares_them_between_clones() {
        let outbox = MemoryEmailSender::new();
        let sender = outbox.clone();
        sender.send(&message("a@example.com", "one")).await.unwrap();
        sender.send(&message("b@example.com", "two")).await.unwrap();
        sender
            .send(&message("A@Example.com", "three"))
            .await
            .unwrap();

        let subjects: Vec<_> = outbox.sent().into_iter().map(|m| m.subject).collect();
        assert_eq!(subjects, ["one", "two", "three"]);
        assert_eq!(outbox.last_to("a@example.com").unwrap().subject, "three");
        assert_eq!(outbox.last_to("b@example.com").unwrap().subject, "two");
        assert!(outbox.last_to("c@example.com").is_none());

        outbox.clear();
        assert!(sender.sent().is_empty());
    }

    #[tokio::test]
    async fn log_sender_succeeds() {
        LogEmailSender::new()
            .send(&message("a@example.com", "hello"))
            .await
            .unwrap();
    }
}
