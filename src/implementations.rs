//! What each homeserver implementation does where the spec leaves room, written once with its
//! source. The findings and the per-implementation verdicts read their thresholds from here;
//! no other module spells an implementation's constant.
//!
//! Sources (repository at the version read):
//! - Synapse 1.157.1 (`element-hq/synapse` a58ad44e): `synapse/http/federation/
//!   well_known_resolver.py` (constants L44–76, caching L130–190, L229–251),
//!   `srv_resolver.py` (L61–196), Twisted `RedirectAgent` (default redirect limit 20).
//! - Dendrite (`element-hq/dendrite` 08cac1cc) through gomatrixserverlib ffcbbd38:
//!   `fclient/wellknown.go` (L21, L45–105), `fclient/resolve.go` (L40–165); Go's
//!   `net/http.Client` stops at the 10th redirect.
//! - conduwuit d8311a5f (archived) and tuwunel 5b366914: `src/service/resolver/
//!   {actual.rs,well_known.rs,cache.rs}`, `src/service/client/mod.rs` (redirect limit 4).
//! - continuwuity 09073235 through `resolvematrix` 1.3.0: `src/server.rs` (L482–606),
//!   continuwuity `src/service/client/mod.rs` (L36–50).
//! - The spec: server-server API §"Resolving server names" (v1.19).

/// How an implementation treats an SRV lookup that failed (SERVFAIL, REFUSED, timeout), as
/// opposed to one that found no record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SrvFailure {
    /// The request fails (Synapse: `srv_resolver.py` L150–167 re-raises unless cached).
    GivesUp,
    /// Treated as "no record": on to port 8448 (gomatrixserverlib `resolve.go`,
    /// resolvematrix `server.rs` L571–606).
    FallsBack,
    /// A timeout fails the resolution; SERVFAIL and REFUSED count as "no record" (tuwunel
    /// `actual.rs` L374–401).
    TimeoutGivesUp,
    /// A timeout fails; how SERVFAIL maps depends on the hickory version (conduwuit
    /// `actual.rs` L336–362): not verified.
    TimeoutGivesUpServfailUnverified,
}

/// How long a resolved delegation is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cache {
    /// Honours `Cache-Control`/`Expires`, clamped to `[min, max]` seconds, `default` without
    /// headers; failures are kept `failure` seconds (`failure_recently_valid` when a valid
    /// answer was seen recently).
    Headers {
        min: u64,
        max: u64,
        default: u64,
        failure: u64,
        failure_recently_valid: u64,
    },
    /// A fixed lifetime, randomly between `min` and `max` seconds, headers ignored; failures
    /// are cached as long.
    Fixed { min: u64, max: u64 },
    /// Kept until the targets fail, headers ignored; failures are not cached.
    UntilFailure,
}

/// One implementation's departures from (or readings of) the spec.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Behaviour {
    /// Most redirects followed when fetching the well-known; a longer chain fails the fetch.
    pub well_known_max_redirects: usize,
    /// A well-known body of this many bytes or more is not used.
    pub well_known_body_limit: usize,
    /// Any 2xx status counts as a well-known (the spec says 200).
    pub well_known_any_2xx: bool,
    /// Only the first SRV record of the answer is used (no priority, weight or failover).
    pub srv_first_record_only: bool,
    /// A failed SRV lookup.
    pub srv_failure: SrvFailure,
    /// The `Host` header carries `:port` when the port is not 443 (the spec: no port).
    pub host_header_with_port: bool,
    /// Caching of the resolution.
    pub cache: Cache,
    /// The largest federation response (`/key/v2/server`, `/version`) it reads.
    pub federation_response_limit: usize,
}

const HOUR: u64 = 3600;

/// Synapse 1.157.1.
pub(crate) const SYNAPSE: Behaviour = Behaviour {
    // Twisted RedirectAgent's default, `well_known_resolver.py` L127.
    well_known_max_redirects: 20,
    // WELL_KNOWN_MAX_SIZE, L44–76.
    well_known_body_limit: 50 * 1024,
    well_known_any_2xx: false,
    // Priority, then weighted random within a priority; every record tried (L61–101).
    srv_first_record_only: false,
    srv_failure: SrvFailure::GivesUp,
    host_header_with_port: false,
    // WELL_KNOWN_{MIN,MAX,DEFAULT}_CACHE_PERIOD, WELL_KNOWN_{INVALID,DOWN}_CACHE_PERIOD.
    cache: Cache::Headers {
        min: 5 * 60,
        max: 48 * HOUR,
        default: 24 * HOUR,
        failure: HOUR,
        failure_recently_valid: 2 * 60,
    },
    // ByteParser.MAX_RESPONSE_SIZE, `synapse/http/matrixfederationclient.py`.
    federation_response_limit: 100 * 1024 * 1024,
};

/// Dendrite (gomatrixserverlib).
pub(crate) const DENDRITE: Behaviour = Behaviour {
    // Go's http.Client gives up at the 10th redirect.
    well_known_max_redirects: 9,
    // WellKnownMaxSize, `wellknown.go` L21.
    well_known_body_limit: 50 * 1024,
    well_known_any_2xx: false,
    srv_first_record_only: false,
    srv_failure: SrvFailure::FallsBack,
    host_header_with_port: false,
    // `CacheExpiresAt` is parsed but never used; `sync.Map` without TTL (`client.go`).
    cache: Cache::UntilFailure,
    // gomatrixserverlib reads federation responses whole (io.ReadAll): no limit of its own.
    federation_response_limit: usize::MAX,
};

/// conduwuit (archived), the in-tree resolver.
pub(crate) const CONDUWUIT: Behaviour = Behaviour {
    well_known_max_redirects: 4,
    // `text.len() >= 12288`, `well_known.rs` L5–49.
    well_known_body_limit: 12_288,
    // `is_success()`.
    well_known_any_2xx: true,
    srv_first_record_only: true,
    srv_failure: SrvFailure::TimeoutGivesUpServfailUnverified,
    // reqwest derives Host from the URL authority.
    host_header_with_port: true,
    // `cache.rs` L131–132: 18–36 h at random.
    cache: Cache::Fixed {
        min: 18 * HOUR,
        max: 36 * HOUR,
    },
    // reqwest reads the body whole: no limit of its own [not verified for every endpoint].
    federation_response_limit: usize::MAX,
};

/// tuwunel, conduwuit's successor.
pub(crate) const TUWUNEL: Behaviour = Behaviour {
    srv_failure: SrvFailure::TimeoutGivesUp,
    ..CONDUWUIT
};

/// continuwuity, through `resolvematrix` 1.3.0.
pub(crate) const CONTINUWUITY: Behaviour = Behaviour {
    well_known_max_redirects: 4,
    // `server.rs` L630–673.
    well_known_body_limit: 256 * 1024,
    well_known_any_2xx: false,
    srv_first_record_only: true,
    srv_failure: SrvFailure::FallsBack,
    host_header_with_port: true,
    // `server.rs` L178–180.
    cache: Cache::Fixed {
        min: 24 * HOUR,
        max: 24 * HOUR,
    },
    federation_response_limit: usize::MAX,
};

/// Every implementation, in report order.
pub(crate) const ALL: [Behaviour; 5] = [SYNAPSE, DENDRITE, CONDUWUIT, TUWUNEL, CONTINUWUITY];

/// The fewest redirects any implementation follows: the conduwuit family's.
pub(crate) const fn fewest_redirects() -> usize {
    let mut least = usize::MAX;
    let mut i = 0;
    while i < ALL.len() {
        if ALL[i].well_known_max_redirects < least {
            least = ALL[i].well_known_max_redirects;
        }
        i += 1;
    }
    least
}

/// `12 h`, `1.5 h`, `5 min`: a lifetime in the words the reports use.
pub(crate) fn lifetime(seconds: u64) -> String {
    if seconds.is_multiple_of(HOUR) {
        format!("{} h", seconds / HOUR)
    } else if seconds >= HOUR {
        format!("{:.1} h", seconds as f64 / HOUR as f64)
    } else {
        format!("{} min", seconds.div_ceil(60))
    }
}

/// How long an implementation keeps a resolution: `18-36 h`, `24 h`, `until it fails`.
pub(crate) fn kept(cache: Cache) -> String {
    match cache {
        Cache::Fixed { min, max } if min == max => lifetime(min),
        Cache::Fixed { min, max } => format!("{}-{}", min / HOUR, lifetime(max)),
        Cache::Headers { default, .. } => lifetime(default),
        Cache::UntilFailure => "until it fails".to_owned(),
    }
}

/// How long Synapse remembers a failed well-known lookup.
pub(crate) fn synapse_failure_lifetime() -> u64 {
    match SYNAPSE.cache {
        Cache::Headers { failure, .. } => failure,
        _ => 0,
    }
}

/// How long a failed well-known lookup is remembered, in a sentence (spec: "SHOULD cache
/// … errors", at most an hour recommended; the implementations differ).
pub(crate) fn failure_cached() -> String {
    let recent = match SYNAPSE.cache {
        Cache::Headers {
            failure_recently_valid,
            ..
        } => lifetime(failure_recently_valid),
        _ => String::new(),
    };
    format!(
        "remote servers remember this failed lookup: Synapse for about {} ({recent} if it saw a valid answer recently), conduwuit-family servers for {}; a well-known added or fixed now reaches them only after that",
        lifetime(synapse_failure_lifetime()),
        kept(CONDUWUIT.cache)
    )
}

/// The lifetime Synapse gives a valid well-known whose headers asked for `asked` seconds
/// (`None`: no usable header): clamped to its bounds, its default without headers.
pub(crate) fn synapse_cache_lifetime(asked: Option<u64>) -> u64 {
    match SYNAPSE.cache {
        Cache::Headers {
            min, max, default, ..
        } => asked.map_or(default, |a| a.clamp(min, max)),
        Cache::Fixed { min, .. } => min,
        Cache::UntilFailure => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_in_words() {
        assert_eq!(lifetime(3600), "1 h");
        assert_eq!(lifetime(5400), "1.5 h");
        assert_eq!(lifetime(300), "5 min");
        assert_eq!(kept(CONDUWUIT.cache), "18-36 h");
        assert_eq!(kept(CONTINUWUITY.cache), "24 h");
        assert_eq!(
            failure_cached(),
            "remote servers remember this failed lookup: Synapse for about 1 h (2 min if it saw a valid answer recently), conduwuit-family servers for 18-36 h; a well-known added or fixed now reaches them only after that"
        );
    }

    #[test]
    fn the_conduwuit_family_follows_the_fewest_redirects() {
        assert_eq!(fewest_redirects(), CONDUWUIT.well_known_max_redirects);
        const { assert!(DENDRITE.well_known_max_redirects < SYNAPSE.well_known_max_redirects) };
    }

    #[test]
    fn the_explain_text_agrees_with_the_table() {
        // `--explain well-known-cache` is prose; it must say what the table says.
        let text = crate::findings::Code::WellKnownCache.explanation();
        for needle in ["5 minutes - 48 hours", "24 hours", "1 hour", "18-36 hours"] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
        let Cache::Headers {
            min,
            max,
            default,
            failure,
            ..
        } = SYNAPSE.cache
        else {
            panic!()
        };
        assert_eq!(
            (min, max, default, failure),
            (300, 48 * HOUR, 24 * HOUR, HOUR)
        );
        assert_eq!(
            CONDUWUIT.cache,
            Cache::Fixed {
                min: 18 * HOUR,
                max: 36 * HOUR
            }
        );
    }
}
