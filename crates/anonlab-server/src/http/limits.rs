//! Rate limits on sign-in and uploads, per client address (governor's GCRA).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::ServerConfig;

/// The limiters.
pub struct RateLimits {
    login: DefaultKeyedRateLimiter<IpAddr>,
    upload: DefaultKeyedRateLimiter<IpAddr>,
}

fn per_minute(n: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).expect("at least 1");
    Quota::per_minute(n).allow_burst(n)
}

impl RateLimits {
    /// Limits as configured.
    pub fn new(config: &ServerConfig) -> RateLimits {
        RateLimits {
            login: DefaultKeyedRateLimiter::keyed(per_minute(config.logins_per_minute)),
            upload: DefaultKeyedRateLimiter::keyed(per_minute(config.uploads_per_minute)),
        }
    }

    /// Whether `client` may try to sign in now.
    pub fn login(&self, client: IpAddr) -> bool {
        self.login.check_key(&client).is_ok()
    }

    /// Whether `client` may upload now.
    pub fn upload(&self, client: IpAddr) -> bool {
        self.upload.check_key(&client).is_ok()
    }
}
