use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::*;

const ROW: &str = "0b5a6a90-6a4e-4c5e-9a53-0d3b7b2a2f11";
const OTHER_ROW: &str = "0b5a6a90-6a4e-4c5e-9a53-0d3b7b2a2f12";

fn key(id: &str, fill: u8) -> SecretKey {
    SecretKey::new(id, &[fill; KEY_LEN]).expect("a valid key")
}

fn ring(keys: impl IntoIterator<Item = SecretKey>) -> KeyRing {
    KeyRing::new(keys).expect("a valid ring")
}

fn place(row: &str) -> SealedPlace<'_> {
    SealedPlace::new(SealedColumn::WebhookSecret, row)
}

#[test]
fn round_trip_under_the_current_key() {
    let ring = ring([key("old", 1), key("new", 2)]);
    let sealed = ring.seal(&place(ROW), b"whsec_abc");
    assert!(sealed.starts_with("y1.new."), "{sealed}");
    assert_eq!(KeyRing::key_id_of(&sealed), Some("new"));
    assert_eq!(&ring.open(&place(ROW), &sealed).unwrap()[..], b"whsec_abc");
    assert_eq!(
        &*ring.open_string(&place(ROW), &sealed).unwrap(),
        "whsec_abc"
    );
    let empty = ring.seal(&place(ROW), b"");
    assert!(ring.open(&place(ROW), &empty).unwrap().is_empty());
}

#[test]
fn every_value_gets_its_own_nonce() {
    let ring = ring([key("k", 1)]);
    let a = ring.seal(&place(ROW), b"same");
    let b = ring.seal(&place(ROW), b"same");
    assert_ne!(
        a, b,
        "the same secret sealed twice never gives the same text"
    );
}

#[test]
fn a_wrong_key_with_the_same_id_is_refused() {
    let sealed = ring([key("k", 1)]).seal(&place(ROW), b"secret");
    let other = ring([key("k", 9)]);
    assert_eq!(other.open(&place(ROW), &sealed), Err(OpenError::Forged));
}

#[test]
fn a_key_the_ring_lacks_is_named() {
    let sealed = ring([key("gone", 1)]).seal(&place(ROW), b"secret");
    let other = ring([key("k", 1)]);
    assert_eq!(
        other.open(&place(ROW), &sealed),
        Err(OpenError::UnknownKey("gone".into()))
    );
}

#[test]
fn a_value_moved_to_another_place_does_not_open() {
    let ring = ring([key("k", 1)]);
    let sealed = ring.seal(&place(ROW), b"secret");
    assert_eq!(
        ring.open(&place(OTHER_ROW), &sealed),
        Err(OpenError::Forged)
    );
    for column in SealedColumn::ALL {
        if column != SealedColumn::WebhookSecret {
            let elsewhere = SealedPlace::new(column, ROW);
            assert_eq!(
                ring.open(&elsewhere, &sealed),
                Err(OpenError::Forged),
                "{column:?}"
            );
        }
    }
    // Same table and row, other column: the two OAuth token columns.
    let access = SealedPlace::new(SealedColumn::OauthAccessToken, ROW);
    let refresh = SealedPlace::new(SealedColumn::OauthRefreshToken, ROW);
    let token = ring.seal(&access, b"token");
    assert_eq!(ring.open(&refresh, &token), Err(OpenError::Forged));
}

#[test]
fn a_tampered_value_is_refused() {
    let ring = ring([key("a", 1), key("b", 2)]);
    let sealed = ring.seal(&place(ROW), b"a secret of some length");
    let body = URL_SAFE_NO_PAD
        .decode(&sealed["y1.b.".len()..])
        .expect("base64url body");
    for i in 0..body.len() {
        let mut flipped = body.clone();
        flipped[i] ^= 0x01;
        let forged = format!("y1.b.{}", URL_SAFE_NO_PAD.encode(&flipped));
        assert_eq!(
            ring.open(&place(ROW), &forged),
            Err(OpenError::Forged),
            "byte {i} flipped"
        );
    }
    let truncated = &sealed[..sealed.len() - 4];
    assert!(ring.open(&place(ROW), truncated).is_err());
    // The header is authenticated too: relabelling the key id does not open under the other key.
    let relabelled = sealed.replacen("y1.b.", "y1.a.", 1);
    assert_eq!(ring.open(&place(ROW), &relabelled), Err(OpenError::Forged));
}

#[test]
fn malformed_values_are_refused() {
    let ring = ring([key("k", 1)]);
    for value in [
        "",
        "plaintext",
        "y1",
        "y1.k",
        "y1.k.",
        "y1.k.!!!",
        "y2.k.AAAA",
        "y1.k.AAAA",
    ] {
        assert_eq!(
            ring.open(&place(ROW), value),
            Err(OpenError::Malformed),
            "{value:?}"
        );
    }
}

#[test]
fn keys_are_checked() {
    assert_eq!(
        SecretKey::new("k", &[0; 31]).unwrap_err(),
        KeyError::WrongLength {
            id: "k".into(),
            len: 31
        }
    );
    assert!(matches!(
        SecretKey::new("k", &[0; 33]),
        Err(KeyError::WrongLength { len: 33, .. })
    ));
    for id in [
        "",
        "Upper",
        "under_score",
        "dot.ted",
        "x".repeat(33).as_str(),
    ] {
        assert_eq!(
            SecretKey::new(id, &[0; 32]).unwrap_err(),
            KeyError::InvalidKeyId(id.into())
        );
    }
    let bytes = [7u8; 32];
    let standard = SecretKey::from_base64("a", &STANDARD.encode(bytes)).unwrap();
    let url = SecretKey::from_base64("a", &URL_SAFE_NO_PAD.encode(bytes)).unwrap();
    let sealed = ring([standard]).seal(&place(ROW), b"x");
    assert!(
        ring([url]).open(&place(ROW), &sealed).is_ok(),
        "both spell one key"
    );
    assert_eq!(
        SecretKey::from_base64("a", "not base64!").unwrap_err(),
        KeyError::InvalidBase64("a".into())
    );
    assert!(matches!(
        SecretKey::from_base64("a", &STANDARD.encode([1u8; 16])),
        Err(KeyError::WrongLength { len: 16, .. })
    ));
    assert_eq!(KeyRing::new([]).unwrap_err(), KeyError::Empty);
    assert_eq!(
        KeyRing::new([key("a", 1), key("a", 2)]).unwrap_err(),
        KeyError::DuplicateKeyId("a".into())
    );
}

#[test]
fn debug_never_shows_key_material() {
    let key = SecretKey::new("k", &[0xab; 32]).unwrap();
    let shown = format!(
        "{key:?} {:?}",
        ring([SecretKey::new("k", &[0xab; 32]).unwrap()])
    );
    assert!(
        !shown.contains("171") && !shown.to_lowercase().contains("ab, "),
        "{shown}"
    );
    assert_eq!(key.id(), "k");
}

#[test]
fn secret_storing_plugins_and_their_columns() {
    use crate::PluginId;
    for name in ["mfa", "oauth", "webhooks", "bearer"] {
        let id: PluginId = name.parse().expect("a plugin");
        assert!(stores_secrets(id), "{name}");
    }
    // oidc signs with the bearer plugin's keys, which it requires.
    for name in [
        "email-password",
        "passkey",
        "api-key",
        "admin",
        "status",
        "oidc",
    ] {
        let id: PluginId = name.parse().expect("a plugin");
        assert!(!stores_secrets(id), "{name}");
    }
    assert_eq!(
        columns_of(&["oauth", "bearer"]),
        vec![
            SealedColumn::OauthAccessToken,
            SealedColumn::OauthRefreshToken,
            SealedColumn::SigningKey
        ]
    );
    assert!(columns_of(&["email-password"]).is_empty());
}
