//! `cargo yauth` end to end, non-interactively (stdin is never a terminal here).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

fn yauth(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("cargo-yauth").unwrap();
    cmd.current_dir(dir).write_stdin("");
    cmd
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn init_sqlx(dir: &Path, plugins: &str) {
    yauth(dir)
        .args([
            "init",
            "--orm",
            "sqlx",
            "--dialect",
            "postgres",
            "--plugins",
            plugins,
        ])
        .assert()
        .success();
}

#[test]
fn help_explains_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let output = yauth(tmp.path()).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for command in [
        "init",
        "add-plugin",
        "remove-plugin",
        "status",
        "generate",
        "--file",
    ] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    // As cargo runs it: `cargo-yauth yauth ...`.
    yauth(tmp.path())
        .args(["yauth", "generate", "--help"])
        .assert()
        .success()
        .stdout(contains("--check").and(contains("--dry-run")));
    yauth(tmp.path()).arg("frobnicate").assert().failure();
}

#[test]
fn init_with_flags_writes_config_and_migrations() {
    let tmp = tempfile::tempdir().unwrap();
    yauth(tmp.path())
        .args(["yauth", "init", "--orm", "sqlx", "--dialect", "postgres"])
        .args([
            "--plugins",
            "email-password,passkey,mfa",
            "--migrations-dir",
            "db/migrations",
        ])
        .args(["--table-prefix", "auth_", "--pg-schema", "identity"])
        .assert()
        .success()
        .stdout(contains("Created yauth.toml").and(contains("yauth_init")));
    let config = read(tmp.path().join("yauth.toml"));
    assert!(config.contains("orm = \"sqlx\""));
    assert!(config.contains("pg_schema = \"identity\""));
    assert!(config.contains("enabled = [\"email-password\", \"passkey\", \"mfa\"]"));
    assert!(!config.to_lowercase().contains("postgres://"));
    let dir = tmp.path().join("db/migrations");
    let names = files(&dir);
    assert_eq!(names.len(), 3, "{names:?}");
    let up = names.iter().find(|n| n.ends_with(".up.sql")).unwrap();
    let up = read(dir.join(up));
    assert!(up.contains("CREATE SCHEMA IF NOT EXISTS \"identity\""));
    assert!(up.contains("CREATE TABLE \"identity\".\"auth_totp_secrets\""));
}

#[test]
fn init_defaults_when_not_interactive() {
    let tmp = tempfile::tempdir().unwrap();
    yauth(tmp.path())
        .arg("init")
        .assert()
        .success()
        .stdout(contains("Defaults used (no terminal to ask): --orm=diesel --dialect=postgres --plugins=email-password --migrations-dir=migrations --table-prefix=yauth_."));
    let config = read(tmp.path().join("yauth.toml"));
    assert!(config.contains("orm = \"diesel\""));
    assert!(config.contains("dialect = \"postgres\""));
    assert!(config.contains("enabled = [\"email-password\"]"));
    assert!(tmp.path().join("migrations/schema.rs").exists());
}

#[test]
fn init_for_each_orm() {
    for (orm, dialect, expect) in [
        ("diesel", "mysql", "schema.rs"),
        ("seaorm", "sqlite", "entities"),
        ("toasty", "postgres", "models"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        yauth(tmp.path())
            .args(["init", "--orm", orm, "--dialect", dialect, "--plugins", ""])
            .assert()
            .success();
        assert!(tmp.path().join("migrations").join(expect).exists(), "{orm}");
    }
}

#[test]
fn init_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("yauth.toml"), "# mine\n").unwrap();
    yauth(tmp.path())
        .args(["init", "--orm", "sqlx"])
        .assert()
        .failure()
        .stderr(contains("yauth.toml already exists"));
    assert_eq!(read(tmp.path().join("yauth.toml")), "# mine\n");
}

#[test]
fn init_rejects_bad_choices() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["--orm", "hibernate"], "unknown ORM `hibernate`"),
        (&["--dialect", "oracle"], "unknown dialect `oracle`"),
        (&["--plugins", "email-password,sso"], "unknown plugin `sso`"),
        (
            &["--plugins", "oidc,bearer"],
            "plugin `oidc` requires `oauth2-server`",
        ),
        (
            &["--dialect", "mysql", "--pg-schema", "auth"],
            "pg_schema is only supported with the postgres dialect",
        ),
        (
            &["--table-prefix", "my-prefix"],
            "invalid table prefix `my-prefix`",
        ),
    ];
    for (args, message) in cases {
        yauth(tmp.path())
            .arg("init")
            .args(args)
            .assert()
            .failure()
            .stderr(contains(message));
        assert!(
            !tmp.path().join("yauth.toml").exists(),
            "{args:?} wrote nothing"
        );
        assert!(!tmp.path().join("migrations").exists());
    }
}

#[test]
fn file_flag_places_migrations_beside_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("conf")).unwrap();
    yauth(tmp.path())
        .args([
            "-f",
            "conf/auth.toml",
            "init",
            "--orm",
            "sqlx",
            "--plugins",
            "mfa",
        ])
        .assert()
        .success();
    assert!(tmp.path().join("conf/auth.toml").exists());
    assert_eq!(files(&tmp.path().join("conf/migrations")).len(), 3);
    yauth(tmp.path())
        .args(["status", "-f", "conf/auth.toml"])
        .assert()
        .success()
        .stdout(contains("Up to date."));
    yauth(tmp.path())
        .arg("status")
        .assert()
        .failure()
        .stderr(contains("cannot read yauth.toml").and(contains("cargo yauth init")));
}

const HAND_WRITTEN: &str = r#"# Our auth settings.
[migration]
orm = "sqlx"        # we use sqlx
dialect = "sqlite"

[plugins]
# keep this list short
enabled = [
    "email-password", # login
    "passkey",
]
"#;

#[test]
fn add_and_remove_plugin_keep_comments_and_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("yauth.toml");
    std::fs::write(&path, HAND_WRITTEN).unwrap();
    yauth(tmp.path()).arg("generate").assert().success();
    yauth(tmp.path())
        .args(["add-plugin", "mfa", "api-key"])
        .assert()
        .success()
        .stdout(contains("Enabled mfa, api-key").and(contains("yauth_add_mfa_api_key")));
    let text = read(&path);
    assert!(text.starts_with("# Our auth settings.\n"));
    assert!(text.contains("orm = \"sqlx\"        # we use sqlx"));
    assert!(text.contains("# keep this list short"));
    assert!(
        text.contains(
            "    \"email-password\", # login\n    \"passkey\",\n    \"mfa\",\n    \"api-key\",\n]"
        ),
        "{text}"
    );

    yauth(tmp.path())
        .args(["remove-plugin", "passkey", "--yes"])
        .assert()
        .success()
        .stdout(contains("yauth_remove_passkey"));
    let text = read(&path);
    assert!(
        text.contains("\"email-password\", # login\n    \"mfa\",\n    \"api-key\",\n]"),
        "{text}"
    );
    assert!(text.contains("orm = \"sqlx\"        # we use sqlx"));
    let migrations = files(&tmp.path().join("migrations"));
    assert_eq!(migrations.len(), 7, "{migrations:?}");
}

#[test]
fn add_plugin_errors() {
    let tmp = tempfile::tempdir().unwrap();
    init_sqlx(tmp.path(), "email-password");
    let before = read(tmp.path().join("yauth.toml"));
    yauth(tmp.path())
        .args(["add-plugin", "passkeys"])
        .assert()
        .failure()
        .stderr(
            contains("unknown plugin `passkeys`").and(contains("known plugins: email-password")),
        );
    yauth(tmp.path())
        .args(["add-plugin", "oidc"])
        .assert()
        .failure()
        .stderr(contains(
            "plugin `oidc` requires `oauth2-server`, which is not enabled",
        ));
    yauth(tmp.path())
        .args(["add-plugin", "email-password"])
        .assert()
        .success()
        .stdout(contains("Already enabled: email-password"));
    assert_eq!(read(tmp.path().join("yauth.toml")), before);
    yauth(tmp.path()).arg("add-plugin").assert().failure();
}

#[test]
fn remove_plugin_asks_before_dropping_tables() {
    let tmp = tempfile::tempdir().unwrap();
    init_sqlx(
        tmp.path(),
        "email-password,mfa,admin,bearer,oauth2-server,oidc",
    );
    let before = read(tmp.path().join("yauth.toml"));
    let migrations = files(&tmp.path().join("migrations"));
    yauth(tmp.path())
        .args(["remove-plugin", "mfa"])
        .assert()
        .failure()
        .stderr(
            contains("drops tables yauth_totp_secrets, yauth_backup_codes").and(contains("--yes")),
        );
    assert_eq!(
        read(tmp.path().join("yauth.toml")),
        before,
        "nothing changed"
    );
    assert_eq!(files(&tmp.path().join("migrations")), migrations);
    // A plugin without tables goes without confirmation.
    yauth(tmp.path())
        .args(["remove-plugin", "admin"])
        .assert()
        .success()
        .stdout(contains("No schema change"));
    yauth(tmp.path())
        .args(["remove-plugin", "bearer", "--yes"])
        .assert()
        .failure()
        .stderr(
            contains("plugin `oauth2-server` requires `bearer`")
                .and(contains("remove `oauth2-server` as well")),
        );
    yauth(tmp.path())
        .args(["remove-plugin", "magic-link"])
        .assert()
        .failure()
        .stderr(contains("plugin `magic-link` is not enabled"));
    yauth(tmp.path())
        .args(["remove-plugin", "oidc", "oauth2-server", "bearer", "-y"])
        .assert()
        .success()
        .stdout(contains("Disabled oidc, oauth2-server, bearer"));
}

#[test]
fn generate_twice_check_and_dry_run() {
    let tmp = tempfile::tempdir().unwrap();
    init_sqlx(tmp.path(), "email-password");
    let migrations = tmp.path().join("migrations");
    let before = files(&migrations);
    yauth(tmp.path())
        .arg("generate")
        .assert()
        .success()
        .stdout(contains("Migrations are up to date."));
    assert_eq!(files(&migrations), before);
    yauth(tmp.path())
        .args(["generate", "--check"])
        .assert()
        .success();

    // Edit the config by hand: --check fails and writes nothing; --dry-run shows the SQL.
    let path = tmp.path().join("yauth.toml");
    let text = read(&path).replace(
        "[\"email-password\"]",
        "[\"email-password\", \"magic-link\"]",
    );
    std::fs::write(&path, text).unwrap();
    yauth(tmp.path())
        .args(["generate", "--check"])
        .assert()
        .failure()
        .stderr(contains("out of date").and(contains("yauth_add_magic_link.up.sql")));
    yauth(tmp.path())
        .args(["generate", "--dry-run"])
        .assert()
        .success()
        .stdout(contains("would write").and(contains("CREATE TABLE \"yauth_magic_links\"")));
    assert_eq!(files(&migrations), before);
    yauth(tmp.path())
        .arg("status")
        .assert()
        .success()
        .stdout(contains("Out of date"));
    yauth(tmp.path()).arg("generate").assert().success();
    assert_eq!(files(&migrations).len(), before.len() + 2);
    yauth(tmp.path())
        .args(["generate", "--check"])
        .assert()
        .success();
    yauth(tmp.path())
        .arg("status")
        .assert()
        .success()
        .stdout(contains("[x] magic-link").and(contains("Migrations written: 2")));
    yauth(tmp.path())
        .args(["generate", "--check", "--dry-run"])
        .assert()
        .failure();
}

#[test]
fn generate_refuses_a_changed_target() {
    let tmp = tempfile::tempdir().unwrap();
    init_sqlx(tmp.path(), "");
    let path = tmp.path().join("yauth.toml");
    std::fs::write(
        &path,
        read(&path).replace("dialect = \"postgres\"", "dialect = \"mysql\""),
    )
    .unwrap();
    yauth(tmp.path())
        .arg("generate")
        .assert()
        .failure()
        .stderr(contains("dialect = postgres").and(contains("new, empty migrations directory")));
}

/// Every malformed file is reported with its line and column.
#[test]
fn malformed_config_errors_have_locations() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[migration]\norm = \"sqlx\ndialect = \"postgres\"\n",
            "yauth.toml:2:",
        ),
        (
            "[migration]\norm = \"sqlx\"\ndialect = \"postgres\"\n[plugins]\nenabled = [\"mfa\", \"sso\"]\n",
            "yauth.toml:5:19: unknown plugin `sso`",
        ),
        (
            "[migration]\norm = \"sqlx\"\ndialect = \"db2\"\n",
            "yauth.toml:3:11: unknown dialect `db2`",
        ),
        (
            "[migration]\norm = \"orm\"\ndialect = \"sqlite\"\n",
            "yauth.toml:2:7: unknown ORM `orm`",
        ),
        (
            "[migration]\norm = \"sqlx\"\ndialect = \"sqlite\"\ndatabase_url = \"postgres://u:p@h/db\"\n",
            "yauth.toml:4:1: unknown key `database_url` in [migration]",
        ),
        (
            "[migration]\norm = 3\ndialect = \"sqlite\"\n",
            "yauth.toml:2:7: `orm` must be a string",
        ),
        (
            "[migration]\ndialect = \"sqlite\"\n",
            "[migration] is missing `orm`",
        ),
        ("[plugins]\nenabled = []\n", "missing [migration] table"),
        (
            "[migration]\norm = \"sqlx\"\ndialect = \"sqlite\"\n[plugins]\nenabled = [\"oidc\"]\n",
            "plugin `oidc` requires `oauth2-server`",
        ),
    ];
    for (text, message) in cases {
        std::fs::write(tmp.path().join("yauth.toml"), text).unwrap();
        for args in [
            &["generate"][..],
            &["status"],
            &["add-plugin", "mfa"],
            &["remove-plugin", "mfa", "--yes"],
        ] {
            yauth(tmp.path())
                .args(args)
                .assert()
                .failure()
                .stderr(contains(message));
        }
    }
    std::fs::write(
        tmp.path().join("yauth.toml"),
        "[migration]\norm = \"sqlx\"\ndialect = \"sqlite\"\npassword = \"hunter2\"\n",
    )
    .unwrap();
    yauth(tmp.path())
        .arg("status")
        .assert()
        .failure()
        .stderr(contains("holds no secrets"));
}

#[test]
fn generate_refuses_a_lost_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    init_sqlx(tmp.path(), "mfa");
    std::fs::remove_file(tmp.path().join("migrations/yauth.snapshot.json")).unwrap();
    yauth(tmp.path())
        .arg("generate")
        .assert()
        .failure()
        .stderr(contains("no yauth.snapshot.json").and(contains("restore the snapshot")));
    assert_eq!(
        files(&tmp.path().join("migrations")).len(),
        2,
        "no second init migration"
    );
}
