//! A real OpenID Provider on loopback: the npm package `oidc-provider` (certified), run by
//! `tests/support/oidc-provider/server.mjs` as a child process, with test-only control
//! endpoints to choose the next account and to tamper with the next id_token.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

/// The running provider. Dropping it closes its stdin, which ends the process.
pub struct TestOp {
    child: Child,
    pub issuer: String,
    control: reqwest::Client,
}

/// Where the provider sent the browser back.
#[derive(Debug)]
pub enum Answer {
    /// A redirect to the client's redirect URI (query response mode).
    Redirect(Url),
    /// An auto-submitting form (`response_mode=form_post`): its action and fields.
    FormPost {
        action: String,
        fields: Vec<(String, String)>,
    },
}

fn harness_dir() -> PathBuf {
    // This file also serves the full example's tests, from another crate directory.
    PathBuf::from(file!())
        .parent()
        .and_then(|common| common.parent())
        .map(|tests| tests.join("support/oidc-provider"))
        .map(|dir| workspace_root().join(dir))
        .unwrap()
}

/// The workspace root: `file!()` paths are relative to it.
fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").exists() {
        assert!(
            dir.pop(),
            "no Cargo.lock above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    dir
}

impl TestOp {
    /// Starts a provider whose clients accept `redirect_uris`. With `conform`, id_tokens carry
    /// no email (it comes from userinfo only). `None` when Node or the harness's packages are
    /// missing and services are not required.
    pub async fn start(redirect_uris: &[&str], conform: bool) -> Option<Self> {
        let dir = harness_dir();
        if !dir.join("node_modules/oidc-provider").exists() {
            yauth_test_support::service_missing(
                "the test OpenID Provider",
                &format!("run `npm ci --prefix {}`", dir.display()),
            );
            return None;
        }
        let mut child = match Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("OIDC_PORT", "0")
            .env("OIDC_REDIRECT_URIS", redirect_uris.join(","))
            .env("OIDC_CONFORM_ID_TOKEN_CLAIMS", conform.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                yauth_test_support::service_missing("node", &e.to_string());
                return None;
            }
        };
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        let read = stdout.read_line(&mut line);
        tokio::time::timeout(std::time::Duration::from_secs(20), read)
            .await
            .expect("the test OpenID Provider starts within 20 s")
            .unwrap();
        let ready: Value = serde_json::from_str(&line).expect("the provider's ready line is JSON");
        Some(Self {
            child,
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            control: reqwest::Client::new(),
        })
    }

    async fn post(&self, path: &str, body: Value) {
        let response = self
            .control
            .post(format!("{}{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    /// The account the next sign-ins log in as.
    pub async fn next_login(&self, sub: &str, email: &str, email_verified: bool) {
        let body = json!({ "sub": sub, "email": email, "email_verified": email_verified, "name": "Test User" });
        self.post("/__test/next-login", body).await;
    }

    /// The next sign-in is refused by the user (`error=access_denied`).
    pub async fn refuse_next_login(&self) {
        self.post("/__test/next-login", json!({ "error": "access_denied" }))
            .await;
    }

    /// Tampers with the id_token of the next token response (`wrong-nonce`, `foreign-key`, ...).
    pub async fn tamper(&self, mode: &str) {
        self.post("/__test/tamper", json!({ "mode": mode })).await;
    }

    /// Requests counted since start: `jwks_requests`, `token_requests`, `userinfo_requests`.
    pub async fn stats(&self) -> Value {
        self.control
            .get(format!("{}/__test/stats", self.issuer))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Plays the browser at the provider: follows its redirects from `authorize_url`, with a
    /// fresh cookie jar, until it sends the browser back to the client.
    pub async fn authorize(&self, authorize_url: &str) -> Answer {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut url = Url::parse(authorize_url).unwrap();
        assert!(
            url.as_str().starts_with(&self.issuer),
            "{url} is not at the provider"
        );
        for _ in 0..10 {
            let response = browser.get(url.clone()).send().await.unwrap();
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers()["location"].to_str().unwrap();
                let next = url.join(location).unwrap();
                if !next.as_str().starts_with(&self.issuer) {
                    return Answer::Redirect(next);
                }
                url = next;
                continue;
            }
            let html = response.text().await.unwrap();
            assert!(
                html.contains("<form"),
                "unexpected answer {status} from the provider: {html}"
            );
            return parse_form(&html);
        }
        panic!("the provider redirected more than 10 times");
    }
}

/// The action and hidden fields of the provider's form_post page.
fn parse_form(html: &str) -> Answer {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(unescape(&tag[start..end]))
    };
    let form_start = html.find("<form").unwrap();
    let form_tag = &html[form_start..form_start + html[form_start..].find('>').unwrap()];
    let action = attribute(form_tag, "action").unwrap();
    let mut fields = Vec::new();
    for input in html.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap()];
        if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value")) {
            fields.push((name, value));
        }
    }
    Answer::FormPost { action, fields }
}

fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}
