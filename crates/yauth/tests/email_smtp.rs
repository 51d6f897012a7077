//! A real SMTP exchange on loopback: `SmtpEmailSender` talks to an SMTP server running inside the
//! test (the `mailin` SMTP state machine over a TCP listener on 127.0.0.1), and the received
//! message is parsed and checked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder, response};
use yauth::email::{
    EmailError, EmailMessage, EmailSender, SmtpConfig, SmtpCredentials, SmtpEmailSender,
    SmtpSecurity,
};
use yauth::plugins::email_password::templates::{
    DefaultEmailPasswordTemplates, EmailPasswordTemplates, VerifyEmailContext,
};

const USERNAME: &str = "mailer";
const PASSWORD: &str = "s3cret-smtp-password";
const FROM: &str = "no-reply@acme.test";

/// One message as the server received it.
#[derive(Debug, Clone)]
struct Received {
    /// The envelope sender (MAIL FROM).
    from: String,
    /// The envelope recipients (RCPT TO).
    to: Vec<String>,
    /// The raw message (headers and body) after dot-unstuffing.
    data: Vec<u8>,
    /// `(mechanism, username)` of a successful AUTH on that connection.
    auth: Option<(&'static str, String)>,
}

#[derive(Clone)]
struct TestHandler {
    inbox: Arc<Mutex<Vec<Received>>>,
    auth: Option<(&'static str, String)>,
    current: Option<Received>,
}

impl Handler for TestHandler {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.starts_with("nobody@") {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
            auth: self.auth.clone(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(current) = self.current.as_mut() {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(current) = self.current.take() {
            self.inbox.lock().unwrap().push(current);
        }
        response::OK
    }

    fn auth_plain(&mut self, _authz: &str, authn: &str, password: &str) -> Response {
        if authn == USERNAME && password == PASSWORD {
            self.auth = Some(("PLAIN", authn.to_owned()));
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }

    fn auth_login(&mut self, username: &str, password: &str) -> Response {
        if username == USERNAME && password == PASSWORD {
            self.auth = Some(("LOGIN", username.to_owned()));
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
}

/// An SMTP server on 127.0.0.1 with a random free port, running in a background thread.
struct TestSmtpServer {
    port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl TestSmtpServer {
    /// `auth`: the mechanisms to offer; when non-empty, authentication is required before MAIL.
    fn start(auth: &[AuthMechanism]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let mut builder = SessionBuilder::new("smtp.test");
        for mechanism in auth {
            builder.enable_auth(mechanism.clone());
        }
        if !auth.is_empty() {
            // No TLS on loopback: let the server offer AUTH on the plain connection.
            builder.insecure_enable_plaintext_auth();
        }
        let handler = TestHandler {
            inbox: inbox.clone(),
            auth: None,
            current: None,
        };
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let builder = builder.clone();
                let handler = handler.clone();
                std::thread::spawn(move || serve_connection(stream, &builder, handler));
            }
        });
        Self { port, inbox }
    }

    fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }
}

fn serve_connection(stream: TcpStream, builder: &SessionBuilder, handler: TestHandler) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let peer: IpAddr = stream.peer_addr().unwrap().ip();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut session = builder.build(peer, handler);
    if session.greeting().write_to(&mut writer).is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => {
                if response.write_to(&mut writer).is_err() {
                    return;
                }
            }
            Action::Close | Action::UpgradeTls => {
                let _ = response.write_to(&mut writer);
                return;
            }
            Action::NoReply => {}
        }
        let _ = writer.flush();
    }
}

fn config(port: u16, credentials: Option<SmtpCredentials>) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        credentials,
        from: format!("Acme <{FROM}>"),
        timeout: Duration::from_secs(10),
    }
}

fn credentials(password: &str) -> Option<SmtpCredentials> {
    Some(SmtpCredentials {
        username: USERNAME.into(),
        password: password.into(),
    })
}

fn verification_email(to: &str) -> (EmailMessage, String) {
    // Long enough that a naive encoder would have to wrap it.
    let link = format!(
        "https://acme.test/verify-email?token={}",
        "Zm9vYmFyYmF6cXV4".repeat(6)
    );
    let message = DefaultEmailPasswordTemplates.verify_email(&VerifyEmailContext {
        app_name: "Acme".into(),
        email: to.into(),
        link: link.clone(),
        expires_in_minutes: 60,
    });
    (message, link)
}

/// Parses a received message and checks headers, the text part, the HTML part and the link.
fn assert_message(received: &Received, sent: &EmailMessage, link: &str) {
    assert_eq!(received.from, FROM, "envelope sender");
    assert_eq!(received.to, vec![sent.to.clone()], "envelope recipients");

    let parsed = MessageParser::default()
        .parse(&received.data)
        .expect("the received data is a MIME message");
    assert_eq!(parsed.subject(), Some(sent.subject.as_str()));
    let from = parsed.from().and_then(|a| a.first()).expect("From header");
    assert_eq!(from.address(), Some(FROM));
    assert_eq!(from.name(), Some("Acme"));
    let to = parsed.to().and_then(|a| a.first()).expect("To header");
    assert_eq!(to.address(), Some(sent.to.as_str()));
    assert!(parsed.message_id().is_some(), "Message-ID header");

    // SMTP carries CRLF line endings; compare the text line by line.
    let text = parsed
        .body_text(0)
        .expect("a text part")
        .replace("\r\n", "\n");
    assert_eq!(text.trim_end(), sent.text.trim_end());
    assert!(text.contains(link), "link in the text part");

    match &sent.html {
        Some(html) => {
            let received_html = parsed
                .body_html(0)
                .expect("an html part")
                .replace("\r\n", "\n");
            assert_eq!(received_html.trim_end(), html.trim_end());
            assert!(
                received_html.contains(&format!("href=\"{link}\"")),
                "link in the html part"
            );
            assert_eq!(parsed.text_body_count(), 1);
            assert_eq!(parsed.html_body_count(), 1);
        }
        None => {
            // A single text/plain part, no multipart.
            assert!(parsed.is_content_type("text", "plain"));
            assert_eq!(parsed.attachment_count(), 0);
        }
    }
}

#[tokio::test]
async fn delivers_text_and_html_with_auth_plain() {
    let server = TestSmtpServer::start(&[AuthMechanism::Plain, AuthMechanism::Login]);
    let sender = SmtpEmailSender::new(config(server.port, credentials(PASSWORD))).unwrap();
    let (message, link) = verification_email("ada@example.com");

    sender.send(&message).await.unwrap();

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].auth, Some(("PLAIN", USERNAME.to_owned())));
    assert_message(&received[0], &message, &link);
}

#[tokio::test]
async fn authenticates_with_login_when_only_login_is_offered() {
    let server = TestSmtpServer::start(&[AuthMechanism::Login]);
    let sender = SmtpEmailSender::new(config(server.port, credentials(PASSWORD))).unwrap();
    let (message, link) = verification_email("grace@example.com");

    sender.send(&message).await.unwrap();

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].auth, Some(("LOGIN", USERNAME.to_owned())));
    assert_message(&received[0], &message, &link);
}

#[tokio::test]
async fn delivers_a_text_only_message_without_auth() {
    let server = TestSmtpServer::start(&[]);
    let sender = SmtpEmailSender::new(config(server.port, None)).unwrap();
    let link = "https://acme.test/reset?token=abc123";
    let message = EmailMessage {
        to: "linus@example.com".into(),
        subject: "Réinitialisez votre mot de passe".into(),
        text: format!("Bonjour,\n\nOuvrez ce lien : {link}\n\n.a line starting with a dot\n"),
        html: None,
    };

    sender.send(&message).await.unwrap();

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].auth, None);
    assert_message(&received[0], &message, link);
}

#[tokio::test]
async fn several_messages_through_one_sender() {
    let server = TestSmtpServer::start(&[AuthMechanism::Plain]);
    let sender = SmtpEmailSender::new(config(server.port, credentials(PASSWORD))).unwrap();
    for i in 0..3 {
        let (message, _) = verification_email(&format!("user{i}@example.com"));
        sender.send(&message).await.unwrap();
    }
    let recipients: Vec<_> = server.received().into_iter().map(|r| r.to).collect();
    assert_eq!(
        recipients,
        [
            ["user0@example.com"],
            ["user1@example.com"],
            ["user2@example.com"]
        ]
    );
}

#[tokio::test]
async fn wrong_credentials_are_a_permanent_rejection() {
    let server = TestSmtpServer::start(&[AuthMechanism::Plain]);
    let sender = SmtpEmailSender::new(config(server.port, credentials("wrong"))).unwrap();
    let (message, _) = verification_email("ada@example.com");

    let error = sender.send(&message).await.unwrap_err();

    match &error {
        EmailError::Rejected {
            code, permanent, ..
        } => {
            assert_eq!(*code, Some(535));
            assert!(*permanent);
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert!(!error.to_string().contains("wrong"), "{error}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_refused_recipient_is_a_rejection() {
    let server = TestSmtpServer::start(&[]);
    let sender = SmtpEmailSender::new(config(server.port, None)).unwrap();
    let (message, _) = verification_email("nobody@example.com");

    let error = sender.send(&message).await.unwrap_err();

    assert!(
        matches!(
            error,
            EmailError::Rejected {
                code: Some(550),
                permanent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_within_the_timeout() {
    // Reserve a free port, then close it: nothing listens there any more.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut cfg = config(port, None);
    cfg.timeout = Duration::from_secs(1);
    let sender = SmtpEmailSender::new(cfg).unwrap();
    let (message, _) = verification_email("ada@example.com");

    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(5), sender.send(&message))
        .await
        .expect("send returned within the timeout");

    assert!(
        matches!(result, Err(EmailError::Connection(_) | EmailError::Timeout)),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Accepts connections but never sends the greeting.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let mut cfg = config(port, None);
    cfg.timeout = Duration::from_millis(500);
    let sender = SmtpEmailSender::new(cfg).unwrap();
    let (message, _) = verification_email("ada@example.com");

    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), sender.send(&message))
        .await
        .expect("send returned instead of hanging");

    assert_eq!(result, Err(EmailError::Timeout));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
