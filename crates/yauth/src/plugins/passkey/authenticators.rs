//! Authenticator models: the AAGUID an authenticator reports at registration, and a human name
//! for a few well-known ones, shown in the user's list of passkeys.
//!
//! The names come from the community-maintained list of passkey provider AAGUIDs
//! (passkeydeveloper/passkey-authenticator-aaguids), which exists for exactly this: naming
//! passkeys in account settings. They are display hints, never a security decision.

use uuid::Uuid;

/// Well-known passkey providers, by AAGUID.
const KNOWN: [(Uuid, &str); 8] = [
    (
        uuid::uuid!("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"),
        "Google Password Manager",
    ),
    (
        uuid::uuid!("adce0002-35bc-c60a-648b-0b25f1f05503"),
        "Chrome on Mac",
    ),
    (
        uuid::uuid!("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"),
        "iCloud Keychain",
    ),
    (
        uuid::uuid!("08987058-cadc-4b81-b6e1-30de50dcbe96"),
        "Windows Hello",
    ),
    (
        uuid::uuid!("9ddd1817-af5a-4672-a2b9-3e3dd95000a9"),
        "Windows Hello",
    ),
    (
        uuid::uuid!("bada5566-a7aa-401f-bd96-45619a55120d"),
        "1Password",
    ),
    (
        uuid::uuid!("d548826e-79b4-db40-a3d8-11116f7e8349"),
        "Bitwarden",
    ),
    (
        uuid::uuid!("531126d6-e717-415c-9320-3d9aa6981239"),
        "Dashlane",
    ),
];

/// The human name of an authenticator model, when it is a well-known one.
pub fn authenticator_name(aaguid: Uuid) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(known, _)| *known == aaguid)
        .map(|(_, name)| *name)
}

/// The AAGUID in a registration's attestation object (CBOR: `authData` holds the rp id hash, the
/// flags, the counter, then, when the "attested credential data" flag is set, the AAGUID).
/// `None` when absent or all zeros (authenticators and browsers that do not disclose it).
pub(crate) fn aaguid_of(attestation_object: &[u8]) -> Option<Uuid> {
    const ATTESTED_CREDENTIAL_DATA: u8 = 0x40;
    let value: serde_cbor_2::Value = serde_cbor_2::from_slice(attestation_object).ok()?;
    let serde_cbor_2::Value::Map(map) = value else {
        return None;
    };
    let Some(serde_cbor_2::Value::Bytes(auth_data)) =
        map.get(&serde_cbor_2::Value::Text("authData".to_owned()))
    else {
        return None;
    };
    let flags = *auth_data.get(32)?;
    if flags & ATTESTED_CREDENTIAL_DATA == 0 {
        return None;
    }
    let bytes: [u8; 16] = auth_data.get(37..53)?.try_into().ok()?;
    Some(Uuid::from_bytes(bytes)).filter(|id| !id.is_nil())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_models_have_names_and_others_do_not() {
        assert_eq!(
            authenticator_name(uuid::uuid!("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")),
            Some("iCloud Keychain")
        );
        assert_eq!(authenticator_name(Uuid::nil()), None);
        assert_eq!(authenticator_name(Uuid::new_v4()), None);
    }

    fn attestation_object(auth_data: Vec<u8>) -> Vec<u8> {
        use serde_cbor_2::Value;
        let mut map = std::collections::BTreeMap::new();
        map.insert(Value::Text("fmt".into()), Value::Text("none".into()));
        map.insert(
            Value::Text("attStmt".into()),
            Value::Map(Default::default()),
        );
        map.insert(Value::Text("authData".into()), Value::Bytes(auth_data));
        serde_cbor_2::to_vec(&Value::Map(map)).unwrap_or_default()
    }

    #[test]
    fn the_aaguid_is_read_from_the_authenticator_data() {
        let model = uuid::uuid!("bada5566-a7aa-401f-bd96-45619a55120d");
        let mut auth_data = vec![0u8; 32];
        auth_data.push(0x45);
        auth_data.extend([0, 0, 0, 0]);
        auth_data.extend(model.as_bytes());
        auth_data.extend([0, 2, 9, 9]);
        assert_eq!(
            aaguid_of(&attestation_object(auth_data.clone())),
            Some(model)
        );
        // Without the attested-credential-data flag there is no AAGUID to read.
        auth_data[32] = 0x05;
        assert_eq!(aaguid_of(&attestation_object(auth_data)), None);
        // An all-zero AAGUID (undisclosed), truncated data and garbage are all "unknown".
        let mut zero = vec![0u8; 32];
        zero.push(0x45);
        zero.extend([0u8; 20]);
        assert_eq!(aaguid_of(&attestation_object(zero)), None);
        assert_eq!(aaguid_of(&attestation_object(vec![0; 40])), None);
        assert_eq!(aaguid_of(b"not cbor"), None);
    }
}
