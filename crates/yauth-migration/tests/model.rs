//! The schema model against the contract of `docs/schema.md`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use yauth_migration::model::{ColumnType, DefaultValue, OnDelete, all_tables};
use yauth_migration::{ConfigError, Dialect, Plugin, SchemaConfig, schema_for};

#[test]
fn full_schema_is_valid_and_ordered() {
    let schema = schema_for(&Plugin::ALL);
    schema.validate().unwrap();
    assert_eq!(schema.tables.len(), 28);
    assert_eq!(schema.tables[0].name, "users");
}

#[test]
fn every_subset_of_plugins_is_valid() {
    for plugin in Plugin::ALL {
        let mut set = vec![plugin];
        set.extend(plugin.requires());
        schema_for(&set).validate().unwrap();
    }
    let core = schema_for(&[]);
    let names: Vec<_> = core.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "users",
            "sessions",
            "audit_log",
            "challenges",
            "rate_limits"
        ]
    );
}

#[test]
fn plugin_tables() {
    assert_eq!(
        Plugin::EmailPassword.tables(),
        [
            "passwords",
            "password_history",
            "email_verifications",
            "password_resets"
        ]
    );
    assert_eq!(
        Plugin::Oauth2Server.tables(),
        [
            "oauth2_clients",
            "authorization_codes",
            "consents",
            "device_codes"
        ]
    );
    for p in [
        Plugin::Admin,
        Plugin::Status,
        Plugin::Telemetry,
        Plugin::Openapi,
        Plugin::Redis,
    ] {
        assert!(p.tables().is_empty(), "{p} has no tables");
    }
    let total: usize = Plugin::ALL.iter().map(|p| p.tables().len()).sum();
    assert_eq!(total + 5, all_tables().len());
}

#[test]
fn dependencies() {
    assert!(Plugin::check_dependencies(&[Plugin::Oidc, Plugin::Bearer]).is_err());
    let err = Plugin::check_dependencies(&[Plugin::AccountLockout]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `account-lockout` requires `email-password`, which is not enabled"
    );
    Plugin::check_dependencies(&[Plugin::Oidc, Plugin::Bearer, Plugin::Oauth2Server]).unwrap();
    let config = SchemaConfig::new(Dialect::Postgres, [Plugin::Oidc]);
    assert!(matches!(
        config.validate(),
        Err(ConfigError::MissingDependency(_))
    ));
}

#[test]
fn names_round_trip() {
    for p in Plugin::ALL {
        assert_eq!(p.name().parse::<Plugin>().unwrap(), p);
    }
    let err = "sso".parse::<Plugin>().unwrap_err().to_string();
    assert!(err.starts_with("unknown plugin `sso` (known plugins: email-password, passkey"));
    assert_eq!("mysql".parse::<Dialect>().unwrap(), Dialect::Mysql);
    assert!("oracle".parse::<Dialect>().is_err());
}

#[test]
fn config_validation() {
    let bad_prefix = SchemaConfig::new(Dialect::Sqlite, []).with_table_prefix("y-auth");
    assert!(matches!(
        bad_prefix.validate(),
        Err(ConfigError::InvalidPrefix(_))
    ));
    let schema_on_mysql = SchemaConfig::new(Dialect::Mysql, []).with_pg_schema("auth");
    assert!(matches!(
        schema_on_mysql.validate(),
        Err(ConfigError::PgSchemaNotPostgres(Dialect::Mysql))
    ));
    let bad_schema = SchemaConfig::new(Dialect::Postgres, []).with_pg_schema("a;b");
    assert!(matches!(
        bad_schema.validate(),
        Err(ConfigError::InvalidPgSchema(_))
    ));
    SchemaConfig::new(Dialect::Postgres, [])
        .with_table_prefix("")
        .validate()
        .unwrap();
}

/// Spot checks of columns that are easy to get wrong.
#[test]
fn contract_details() {
    let schema = schema_for(&Plugin::ALL);
    let users = schema.table("users").unwrap();
    let role = users.get_column("role").unwrap();
    assert_eq!(role.ty, ColumnType::String(32));
    assert_eq!(role.default, Some(DefaultValue::Text("user".into())));
    let audit = schema.table("audit_log").unwrap();
    assert_eq!(audit.foreign_keys[0].on_delete, OnDelete::SetNull);
    assert!(audit.get_column("user_id").unwrap().nullable);
    let codes = schema.table("authorization_codes").unwrap();
    let fk = codes
        .foreign_keys
        .iter()
        .find(|f| f.ref_table == "oauth2_clients")
        .unwrap();
    assert_eq!(fk.ref_columns, ["client_id"]);
    let deliveries = schema.table("webhook_deliveries").unwrap();
    assert!(deliveries.is_indexed(&["status".into(), "next_attempt_at".into()]));
    let totp = schema.table("totp_secrets").unwrap();
    assert!(totp.is_unique(&["user_id".into()]));
    assert_eq!(
        totp.get_column("last_used_step").unwrap().ty,
        ColumnType::BigInt
    );
    // Every foreign key and every token hash has an index.
    for table in &schema.tables {
        for fk in &table.foreign_keys {
            assert!(table.is_indexed(&fk.columns), "{}", table.name);
        }
        for c in table.columns.iter().filter(|c| c.name.ends_with("_hash")) {
            let indexed = table.is_indexed(std::slice::from_ref(&c.name));
            // Secrets compared after a lookup by another column, and the audit chain's back links.
            let exempt = [
                "password_hash",
                "key_hash",
                "client_secret_hash",
                "prev_hash",
            ];
            assert!(
                indexed || exempt.contains(&c.name.as_str()),
                "{}.{}",
                table.name,
                c.name
            );
        }
    }
}
