//! Stored passkeys: the serialised webauthn-rs `Passkey` in the credential column, its signature
//! counter, and the counter policy.

use serde_json::Value;
use webauthn_rs::prelude::{AuthenticationResult, Passkey};

use super::config::CounterPolicy;
use crate::error::ApiError;

/// A stored passkey, ready to verify an assertion.
pub(crate) struct Loaded {
    pub passkey: Passkey,
    /// The signature counter stored after the last sign-in.
    pub stored_counter: u32,
}

fn counter_of(json: &Value) -> Option<u32> {
    json.get("cred")?
        .get("counter")?
        .as_u64()
        .and_then(|c| u32::try_from(c).ok())
}

fn set_counter(json: &mut Value, counter: u32) -> Option<()> {
    *json.get_mut("cred")?.get_mut("counter")? = Value::from(counter);
    Some(())
}

fn corrupt(what: &str) -> ApiError {
    ApiError::internal(format!(
        "stored passkey is not a webauthn-rs Passkey: {what}"
    ))
}

/// The passkey stored as `json`. Under [`CounterPolicy::Warn`] it is handed to the library with
/// its counter at 0, which turns the library's own (always refusing) counter check off; the
/// stored counter is compared by [`after_use`] instead.
pub(crate) fn load(json: &Value, policy: CounterPolicy) -> Result<Loaded, ApiError> {
    let stored_counter = counter_of(json).ok_or_else(|| corrupt("no counter"))?;
    let passkey = match policy {
        CounterPolicy::Refuse => serde_json::from_value(json.clone()),
        CounterPolicy::Warn => {
            let mut relaxed = json.clone();
            set_counter(&mut relaxed, 0).ok_or_else(|| corrupt("no counter"))?;
            serde_json::from_value(relaxed)
        }
    }
    .map_err(|e| corrupt(&e.to_string()))?;
    Ok(Loaded {
        passkey,
        stored_counter,
    })
}

/// What a verified assertion changes in the stored passkey.
pub(crate) struct Used {
    /// The credential column to store (counter never lower than before).
    pub json: Value,
    /// The counter did not move forward although the authenticator keeps one: a possible
    /// clone.
    pub counter_regressed: bool,
}

/// Applies a verified assertion to the passkey (counter, backup state).
pub(crate) fn after_use(
    mut loaded: Loaded,
    result: &AuthenticationResult,
) -> Result<Used, ApiError> {
    loaded.passkey.update_credential(result);
    let mut json = serde_json::to_value(&loaded.passkey).map_err(|e| corrupt(&e.to_string()))?;
    let new = result.counter();
    let stored = loaded.stored_counter;
    set_counter(&mut json, new.max(stored)).ok_or_else(|| corrupt("no counter"))?;
    Ok(Used {
        json,
        counter_regressed: (new > 0 || stored > 0) && new <= stored,
    })
}
