//! Per-client rate limits (GCRA, from `governor`): who the client is, and how long it has to
//! wait.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A per-client limit: `per_minute` requests a minute, all of them at once at most.
pub struct ClientLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl ClientLimit {
    /// `per_minute` requests a minute per client (0: no limit).
    pub fn per_minute(per_minute: u32) -> ClientLimit {
        ClientLimit {
            limiter: NonZeroU32::new(per_minute)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n).allow_burst(n))),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `client` may go ahead (and counts it), else how long until it may.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let Some(l) = &self.limiter else {
            return Ok(());
        };
        l.check_key(&client_key(client))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets clients whose allowance is full again (bounds the table's memory).
    pub fn forget_idle(&self) {
        if let Some(l) = &self.limiter {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Who a client is for the limits: its IPv4 address, or its IPv6 /64 (one subscriber gets a
/// whole /64, so single addresses would be free for the asking).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The client's address: the peer's, or with `--real-ip-header` (behind a reverse proxy that
/// sets it) the right-most element of that header, the one the proxy itself added. Only that
/// one: the elements left of it are the client's to write, so when the right-most does not
/// parse, the peer's address is used, never an element further left.
pub fn client_ip(peer: IpAddr, header: Option<&str>) -> IpAddr {
    header
        .and_then(|h| h.rsplit(',').next())
        .and_then(|s| s.trim().parse::<IpAddr>().ok())
        .unwrap_or(peer)
}

/// `Retry-After` in whole seconds, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_limit_holds_per_client_and_says_how_long_to_wait() {
        let l = ClientLimit::per_minute(3);
        for _ in 0..3 {
            assert_eq!(l.check(ip("192.0.2.1")), Ok(()));
        }
        let wait = l.check(ip("192.0.2.1")).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(l.check(ip("192.0.2.2")), Ok(()), "another client");
        let off = ClientLimit::per_minute(0);
        assert!((0..1000).all(|_| off.check(ip("192.0.2.1")).is_ok()));
    }

    #[test]
    fn ipv6_clients_are_their_slash_64() {
        let l = ClientLimit::per_minute(1);
        assert_eq!(l.check(ip("2001:db8:1:2::1")), Ok(()));
        assert!(l.check(ip("2001:db8:1:2:ffff::9")).is_err(), "same /64");
        assert_eq!(l.check(ip("2001:db8:1:3::1")), Ok(()));
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn the_proxy_header_counts_only_when_configured_and_from_the_right() {
        let peer = ip("127.0.0.1");
        assert_eq!(client_ip(peer, None), peer);
        assert_eq!(
            client_ip(peer, Some("198.51.100.1, 203.0.113.5")),
            ip("203.0.113.5")
        );
        // The element the proxy added does not parse: the peer, never what the client wrote
        // further left (it could pick a fresh one per request and escape the rate limit).
        assert_eq!(client_ip(peer, Some("203.0.113.5, junk")), peer);
        assert_eq!(
            client_ip(peer, Some("203.0.113.5, 198.51.100.7:4711")),
            peer
        );
        assert_eq!(client_ip(peer, Some("junk")), peer);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }
}
