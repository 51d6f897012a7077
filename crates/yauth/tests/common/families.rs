//! Test apps on a database family: [`app_on`] over [`backends::backend`]. Declare it next to
//! `mod common;` and `#[macro_use] mod backends;` (both at the crate root).
#![allow(dead_code)]

use yauth::plugins::email_password::EmailPasswordConfig;
use yauth::{YAuthBuilder, YAuthConfig};

use crate::backends::{self, Family};
use crate::common::{TestApp, app_on, generous_ep_config};

/// The test app of the test binary `binary` on `family`, as [`app_on`] builds it, with the
/// email-password rate limits of [`generous_ep_config`] (a database outlives one run, and its
/// counters with it); `None` when the family's server is missing and services are not required.
pub async fn app_in(
    binary: &'static str,
    family: Family,
    config: YAuthConfig,
    mut ep: EmailPasswordConfig,
    extra: impl FnOnce(YAuthBuilder) -> YAuthBuilder,
) -> Option<TestApp> {
    let backend = backends::backend(binary, family).await?;
    ep.rate_limits = generous_ep_config().rate_limits;
    Some(app_on(backend, config, ep, extra).await)
}
