//! Who can reach you: where Synapse, Dendrite and the conduwuit family depart from the spec
//! (reference/resolution-spec.md §5), applied to what was observed.

use crate::discovery::well_known::{CONDUWUIT_MAX_BODY, WellKnownError};
use crate::discovery::{Observations, Resolution, WellKnownState};
use crate::net::obs::SrvAnswer;
use crate::report::{CheckName, CheckStatus, Compat, Implementation, TargetReport};
use crate::server_name::{Host, ServerName};

use crate::net::targets::TargetObs;

fn c(implementation: Implementation, reachable: Option<bool>, reason: Option<String>) -> Compat {
    Compat {
        implementation,
        reachable,
        reason,
    }
}

/// Every implementation unreachable, for one reason.
pub fn unreachable_all(reason: &str) -> Vec<Compat> {
    Implementation::ALL
        .iter()
        .map(|i| c(*i, Some(false), Some(reason.to_owned())))
        .collect()
}

fn bracketed_v6_without_port(n: &ServerName) -> bool {
    matches!(n.host, Host::V6(_)) && n.port.is_none()
}

/// Dendrite's HTTP client (Go's default policy) gives up at the 10th redirect, so a chain of
/// this many redirects or more never reaches the well-known.
const DENDRITE_REDIRECT_LIMIT: usize = 10;

/// The decisive well-known fetch, when there is one.
fn decisive_fetch<'a>(
    name: &ServerName,
    obs: &'a Observations,
    res: &Resolution,
) -> Option<&'a crate::net::http::Fetch> {
    let index = match &res.well_known {
        WellKnownState::Valid { index, .. }
        | WellKnownState::Invalid { index, .. }
        | WellKnownState::Failed { index } => *index,
        _ => return None,
    };
    match &name.host {
        Host::Dns(h) => obs.well_known.get(h).and_then(|w| w.fetches.get(index)),
        _ => None,
    }
}

/// A valid well-known that some implementations cannot use (more redirects than their limit,
/// a body over the conduwuit family's limit, duplicate keys that continuwuity rejects): they
/// resolve the server name without it, a path worth checking too.
pub fn server_name_path_needed(name: &ServerName, obs: &Observations, res: &Resolution) -> bool {
    if !matches!(res.well_known, WellKnownState::Valid { .. }) {
        return false;
    }
    let Some(f) = decisive_fetch(name, obs, res) else {
        return false;
    };
    let big = f
        .last
        .result
        .as_ref()
        .is_ok_and(|r| r.body.len() >= CONDUWUIT_MAX_BODY);
    f.hops.len() > CONDUWUIT_REDIRECT_LIMIT
        || big
        || matches!(
            crate::discovery::evaluate_fetch(f),
            Err(Some(WellKnownError::Duplicate(_)))
        )
}

/// Most redirects the conduwuit family follows for the well-known.
const CONDUWUIT_REDIRECT_LIMIT: usize = 4;

/// The verdict per implementation.
pub fn verdicts(
    name: &ServerName,
    obs: &Observations,
    res: &Resolution,
    targets: &[TargetReport],
    target_obs: &[TargetObs],
) -> Vec<Compat> {
    let any_ok = targets.iter().any(|t| t.ok && !t.fallback);
    let fallback: Vec<&TargetReport> = targets.iter().filter(|t| t.fallback).collect();
    let fallback_ok = fallback.iter().any(|t| t.ok);
    let either = if any_ok { "" } else { " either" };
    let fallback_text = match (fallback.is_empty(), fallback_ok) {
        (true, _) => "port 8448, but the host has no address".to_owned(),
        (false, true) => "port 8448, which works".to_owned(),
        (false, false) => format!("port 8448, which does not work{either}"),
    };
    // The server name's own SRV/8448 path, checked when some cannot use the well-known.
    let server_path = if fallback_ok {
        "the server name's own SRV/8448 path, which works".to_owned()
    } else if fallback.is_empty() {
        "the server name's own SRV/8448 path, which yields no address".to_owned()
    } else {
        format!("the server name's own SRV/8448 path, which does not work{either}")
    };
    let base = |why_not: &str| {
        if any_ok {
            (Some(true), None)
        } else {
            (Some(false), Some(why_not.to_owned()))
        }
    };
    let spec_fail = if res.targets.is_empty() {
        "resolution gives no address"
    } else {
        "no target passes every check"
    };
    let wk_error = match &res.well_known {
        WellKnownState::Invalid { error, .. } => Some(error),
        _ => None,
    };
    let wk_fetch = decisive_fetch(name, obs, res);
    let grammar_invalid = matches!(wk_error, Some(WellKnownError::Invalid { .. }));
    // Every implementation follows a redirect to http:// on another host, which delegcheck
    // does not fetch: where they end up is not known here.
    let unfollowed_http = wk_fetch
        .and_then(|f| match &f.stop {
            Some(crate::net::http::RedirectStop::Insecure(to)) => Some(to.clone()),
            _ => None,
        })
        .map(|to| {
            (
                None,
                Some(format!(
                    "follows the redirect to {}, which delegcheck does not fetch (plain HTTP to another host)",
                    crate::sanitize::escape(&crate::sanitize::clip(&to, 80))
                )),
            )
        });

    // Synapse.
    let synapse = if let Some(v) = unfollowed_http.clone() {
        v
    } else if grammar_invalid {
        (
            Some(false),
            Some(
                "uses `m.server` verbatim as host and port, and fails to connect (no fallback)"
                    .to_owned(),
            ),
        )
    } else if let Some((n, st)) = &res.srv_failure {
        (
            Some(false),
            Some(format!(
                "gives up when the SRV lookup of {n} fails ({})",
                st.describe()
            )),
        )
    } else if res.srv_unavailable {
        (
            Some(false),
            Some("fails on an SRV target of `.` (no fallback)".to_owned()),
        )
    } else {
        base(spec_fail)
    };

    // Dendrite.
    let dendrite = if let Some(v) = unfollowed_http.clone() {
        v
    } else if grammar_invalid {
        (
            Some(false),
            Some("rejects the invalid `m.server` and fails (no fallback)".to_owned()),
        )
    } else if matches!(res.well_known, WellKnownState::Valid { .. })
        && wk_fetch.is_some_and(|f| f.hops.len() >= DENDRITE_REDIRECT_LIMIT)
    {
        (
            Some(fallback_ok),
            Some(format!(
                "gives up at the {DENDRITE_REDIRECT_LIMIT}th redirect (Go's default) and falls back to {server_path}"
            )),
        )
    } else if let Some(WellKnownError::MissingServer {
        wrong_case: Some(k),
        ..
    }) = wk_error
    {
        (
            None,
            Some(format!(
                "matches `{k}` case-insensitively and delegates, a path delegcheck did not check"
            )),
        )
    } else if let Some((n, _)) = &res.srv_failure {
        (
            Some(fallback_ok),
            Some(format!(
                "when the SRV lookup of {n} fails, falls back to {fallback_text}"
            )),
        )
    } else if res.srv_unavailable {
        (
            Some(false),
            Some("dials an empty host for an SRV target of `.`".to_owned()),
        )
    } else {
        base(spec_fail)
    };

    // conduwuit, tuwunel, continuwuity.
    let first_srv_fails = res.srv.as_ref().and_then(|u| {
        let answer: &SrvAnswer = obs.srv.get(&u.name)?;
        let first = answer.records.first()?;
        let ok_here = targets
            .iter()
            .zip(target_obs)
            .filter(|(_, o)| {
                o.target.hostname.eq_ignore_ascii_case(&first.target) && o.target.port == first.port
            })
            .any(|(t, _)| t.ok);
        (answer.records.len() > 1 && !ok_here).then(|| first.target.clone())
    });
    let main = || targets.iter().filter(|t| !t.fallback);
    let host_port_broken = main().any(|t| {
        t.ok && t
            .checks
            .iter()
            .any(|c| c.name == CheckName::HostPort && c.status != CheckStatus::Pass)
    }) && !main().any(|t| {
        t.ok && !t
            .checks
            .iter()
            .any(|c| c.name == CheckName::HostPort && c.status != CheckStatus::Pass)
    });
    let big_body = wk_fetch
        .and_then(|f| f.last.result.as_ref().ok())
        .is_some_and(|r| {
            r.body.len() >= CONDUWUIT_MAX_BODY
                && r.body.len() < crate::discovery::well_known::MAX_BODY
        });
    let conduwuit = if let Some(v) = unfollowed_http {
        v
    } else if bracketed_v6_without_port(name)
        || res
            .delegated
            .as_ref()
            .is_some_and(bracketed_v6_without_port)
    {
        (
            Some(false),
            Some("mis-parses a bracketed IPv6 literal without a port".to_owned()),
        )
    } else if matches!(wk_error, Some(WellKnownError::Status(s)) if (201..300).contains(s)) {
        (
            None,
            Some(
                "accepts any 2xx well-known and delegates, a path delegcheck did not check"
                    .to_owned(),
            ),
        )
    } else if matches!(res.well_known, WellKnownState::Valid { .. }) && big_body {
        (
            Some(fallback_ok),
            Some(format!(
                "ignores a well-known of {CONDUWUIT_MAX_BODY} bytes or more and falls back to {server_path}"
            )),
        )
    } else if matches!(res.well_known, WellKnownState::Valid { .. })
        && wk_fetch.is_some_and(|f| f.hops.len() > CONDUWUIT_REDIRECT_LIMIT)
    {
        (
            Some(fallback_ok),
            Some(format!(
                "follows at most {CONDUWUIT_REDIRECT_LIMIT} redirects, so it never sees the well-known and falls back to {server_path}"
            )),
        )
    } else if let Some(t) = first_srv_fails {
        (
            Some(false),
            Some(format!(
                "uses only the first SRV record ({t}), which does not work"
            )),
        )
    } else if wk_fetch.is_some_and(|f| {
        matches!(
            crate::discovery::evaluate_fetch(f),
            Err(Some(WellKnownError::Duplicate(_)))
        )
    }) {
        (
            if any_ok == fallback_ok {
                Some(any_ok)
            } else {
                None
            },
            Some(format!(
                "conduwuit and tuwunel take the last `m.server` ({}); continuwuity rejects the file and falls back to {server_path}",
                if any_ok { "works" } else { "does not work" }
            )),
        )
    } else if host_port_broken {
        (Some(false), Some("sends the port in the Host header (`name:port`), which the reverse proxy does not route".to_owned()))
    } else if let Some((n, st)) = &res.srv_failure {
        // resolution-spec §5, D17: on a timeout conduwuit and tuwunel give up; on SERVFAIL or
        // REFUSED tuwunel falls back (conduwuit's handling is not verified); continuwuity
        // always falls back.
        let who_falls_back = if *st == crate::net::obs::DnsStatus::Timeout {
            "only continuwuity falls back"
        } else {
            "tuwunel and continuwuity fall back (conduwuit may give up)"
        };
        (
            if fallback_ok { None } else { Some(false) },
            Some(format!(
                "when the SRV lookup of {n} fails ({}), {who_falls_back}, to {fallback_text}",
                st.describe()
            )),
        )
    } else if let Some(
        e @ (WellKnownError::Invalid { .. }
        | WellKnownError::Empty
        | WellKnownError::NotObject("an array")),
    ) = wk_error
    {
        // The family splits (resolution-spec §5, D6, D7, D10, D11): conduwuit and tuwunel fall
        // back, which is the path checked here; continuwuity takes the value as it is.
        let continuwuity = match e {
            WellKnownError::NotObject(_) => {
                "accepts a top-level array and delegates to its first entry"
            }
            WellKnownError::Empty => "breaks on the empty `m.server`",
            _ => "uses the invalid `m.server` verbatim",
        };
        (
            if any_ok { None } else { Some(false) },
            Some(format!(
                "conduwuit and tuwunel ignore the well-known and fall back to SRV/8448 on the server name, which {}; continuwuity {continuwuity}",
                if any_ok { "works" } else { "does not work" }
            )),
        )
    } else {
        base(spec_fail)
    };

    vec![
        c(Implementation::Synapse, synapse.0, synapse.1),
        c(Implementation::Dendrite, dendrite.0, dendrite.1),
        c(Implementation::Conduwuit, conduwuit.0, conduwuit.1),
    ]
}
