//! Who can reach you: where Synapse, Dendrite and the conduwuit family depart from the spec
//! (the table in `implementations.rs`, with its sources), applied to what was observed.

use crate::discovery::well_known::{JsonKind, WellKnownError};
use crate::discovery::{Observations, Resolution, WellKnownState};
use crate::implementations::{
    Behaviour, CONDUWUIT, CONTINUWUITY, DENDRITE, SYNAPSE, SrvFailure, TUWUNEL,
};
use crate::obs::SrvAnswer;
use crate::report::{CheckName, CheckStatus, Compat, Implementation, TargetReport};
use crate::server_name::{Host, ServerName};

use crate::obs::TargetObs;

fn c(implementation: Implementation, reachable: Option<bool>, reason: Option<String>) -> Compat {
    Compat {
        implementation,
        reachable,
        reason,
    }
}

/// Every implementation unreachable, for one reason.
pub(crate) fn unreachable_all(reason: &str) -> Vec<Compat> {
    Implementation::ALL
        .iter()
        .map(|i| c(*i, Some(false), Some(reason.to_owned())))
        .collect()
}

fn bracketed_v6_without_port(n: &ServerName) -> bool {
    matches!(n.host, Host::V6(_)) && n.port.is_none()
}

/// What one implementation meets: reachable (`Some(true)`), not (`Some(false)`) or not known
/// here (`None`), and why when it differs from the spec's verdict.
type Verdict = (Option<bool>, Option<String>);

/// What the verdicts are made of, computed once.
struct Facts<'a> {
    name: &'a ServerName,
    obs: &'a Observations,
    res: &'a Resolution,
    targets: &'a [TargetReport],
    target_obs: &'a [TargetObs],
    /// A target of the spec's path passes.
    any_ok: bool,
    /// A fallback target passes.
    fallback_ok: bool,
    /// "port 8448, which works", as the fallback after a failed SRV lookup.
    fallback_text: String,
    /// "the server name's own SRV/8448 path, which works", as the path taken without the
    /// well-known.
    server_path: String,
    /// Why the spec's path fails, when it does.
    spec_fail: &'static str,
    wk_error: Option<&'a WellKnownError>,
    wk_fetch: Option<&'a crate::obs::Fetch>,
    /// The verdict when the well-known redirects to `http://` on another host.
    unfollowed_http: Option<Verdict>,
}

impl Facts<'_> {
    /// The spec's verdict: reachable when a target of the spec's path passes.
    fn base(&self) -> Verdict {
        if self.any_ok {
            (Some(true), None)
        } else if let Some(why) = self
            .targets
            .iter()
            .filter(|t| !t.fallback)
            .find_map(|t| t.not_checked.as_deref())
        {
            (None, Some(why.to_owned()))
        } else {
            (Some(false), Some(self.spec_fail.to_owned()))
        }
    }

    fn well_known_valid(&self) -> bool {
        matches!(self.res.well_known, WellKnownState::Valid { .. })
    }

    fn grammar_invalid(&self) -> bool {
        matches!(self.wk_error, Some(WellKnownError::Invalid { .. }))
    }

    /// More redirects before the well-known than `b` follows.
    fn too_many_redirects_for(&self, b: &Behaviour) -> bool {
        self.well_known_valid()
            && self
                .wk_fetch
                .is_some_and(|f| f.hops.len() > b.well_known_max_redirects)
    }

    fn works(&self, ok: bool) -> &'static str {
        if ok { "works" } else { "does not work" }
    }
}

fn facts<'a>(
    name: &'a ServerName,
    obs: &'a Observations,
    res: &'a Resolution,
    targets: &'a [TargetReport],
    target_obs: &'a [TargetObs],
) -> Facts<'a> {
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
    let wk_fetch = crate::discovery::followup::decisive_well_known(name, obs, res);
    // Every implementation follows a redirect to http:// on another host, which delegcheck
    // does not fetch: where they end up is not known here.
    let unfollowed_http = wk_fetch
        .and_then(|f| match &f.stop {
            Some(crate::obs::RedirectStop::Insecure(to)) => Some(to.clone()),
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
    Facts {
        name,
        obs,
        res,
        targets,
        target_obs,
        any_ok,
        fallback_ok,
        fallback_text,
        server_path,
        spec_fail: if res.targets.is_empty() {
            "resolution gives no address"
        } else {
            "no target passes every check"
        },
        wk_error: match &res.well_known {
            WellKnownState::Invalid { error, .. } => Some(error),
            _ => None,
        },
        wk_fetch,
        unfollowed_http,
    }
}

/// The verdict per implementation.
pub(crate) fn verdicts(
    name: &ServerName,
    obs: &Observations,
    res: &Resolution,
    targets: &[TargetReport],
    target_obs: &[TargetObs],
) -> Vec<Compat> {
    let f = facts(name, obs, res, targets, target_obs);
    let (synapse, dendrite, conduwuit) = (synapse(&f), dendrite(&f), conduwuit_family(&f));
    vec![
        c(Implementation::Synapse, synapse.0, synapse.1),
        c(Implementation::Dendrite, dendrite.0, dendrite.1),
        c(Implementation::Conduwuit, conduwuit.0, conduwuit.1),
    ]
}

fn synapse(f: &Facts) -> Verdict {
    if let Some(v) = f.unfollowed_http.clone() {
        v
    } else if f.grammar_invalid() {
        (
            Some(false),
            Some(
                "uses `m.server` verbatim as host and port, and fails to connect (no fallback)"
                    .to_owned(),
            ),
        )
    } else if let Some((n, st)) = f
        .res
        .srv_failure
        .as_ref()
        .filter(|_| SYNAPSE.srv_failure == SrvFailure::GivesUp)
    {
        (
            Some(false),
            Some(format!(
                "gives up when the SRV lookup of {n} fails ({})",
                st.describe()
            )),
        )
    } else if f.res.srv_unavailable {
        (
            Some(false),
            Some("fails on an SRV target of `.` (no fallback)".to_owned()),
        )
    } else {
        f.base()
    }
}

fn dendrite(f: &Facts) -> Verdict {
    if let Some(v) = f.unfollowed_http.clone() {
        v
    } else if f.grammar_invalid() {
        (
            Some(false),
            Some("rejects the invalid `m.server` and fails (no fallback)".to_owned()),
        )
    } else if f.too_many_redirects_for(&DENDRITE) {
        (
            Some(f.fallback_ok),
            Some(format!(
                "gives up at the {}th redirect (Go's default) and falls back to {}",
                DENDRITE.well_known_max_redirects + 1,
                f.server_path
            )),
        )
    } else if let Some(WellKnownError::MissingServer {
        wrong_case: Some(k),
        ..
    }) = f.wk_error
    {
        (
            None,
            Some(format!(
                "matches `{k}` case-insensitively and delegates, a path delegcheck did not check"
            )),
        )
    } else if let Some((n, _)) = f
        .res
        .srv_failure
        .as_ref()
        .filter(|_| DENDRITE.srv_failure == SrvFailure::FallsBack)
    {
        (
            Some(f.fallback_ok),
            Some(format!(
                "when the SRV lookup of {n} fails, falls back to {}",
                f.fallback_text
            )),
        )
    } else if f.res.srv_unavailable {
        (
            Some(false),
            Some("dials an empty host for an SRV target of `.`".to_owned()),
        )
    } else {
        f.base()
    }
}

/// conduwuit, tuwunel and continuwuity: first what the well-known does to them, then DNS and
/// the targets.
fn conduwuit_family(f: &Facts) -> Verdict {
    if let Some(v) = f.unfollowed_http.clone() {
        return v;
    }
    conduwuit_well_known(f)
        .or_else(|| conduwuit_targets(f))
        .unwrap_or_else(|| f.base())
}

fn conduwuit_well_known(f: &Facts) -> Option<Verdict> {
    let limit = CONDUWUIT.well_known_body_limit;
    let big_body = f
        .wk_fetch
        .and_then(|w| w.last.result.as_ref().ok())
        .is_some_and(|r| r.body.len() >= limit && r.body.len() < SYNAPSE.well_known_body_limit);
    if bracketed_v6_without_port(f.name)
        || f.res
            .delegated
            .as_ref()
            .is_some_and(bracketed_v6_without_port)
    {
        Some((
            Some(false),
            Some("mis-parses a bracketed IPv6 literal without a port".to_owned()),
        ))
    } else if CONDUWUIT.well_known_any_2xx
        && matches!(f.wk_error, Some(WellKnownError::Status(s)) if (201..300).contains(s))
    {
        Some((
            None,
            Some(
                "accepts any 2xx well-known and delegates, a path delegcheck did not check"
                    .to_owned(),
            ),
        ))
    } else if f.well_known_valid() && big_body {
        Some((
            Some(f.fallback_ok),
            Some(format!(
                "ignores a well-known of {limit} bytes or more and falls back to {}",
                f.server_path
            )),
        ))
    } else if f.too_many_redirects_for(&CONDUWUIT) {
        Some((
            Some(f.fallback_ok),
            Some(format!(
                "follows at most {} redirects, so it never sees the well-known and falls back to {}",
                CONDUWUIT.well_known_max_redirects, f.server_path
            )),
        ))
    } else {
        None
    }
}

fn conduwuit_targets(f: &Facts) -> Option<Verdict> {
    if let Some(t) = first_srv_record_fails(f) {
        Some((
            Some(false),
            Some(format!(
                "uses only the first SRV record ({t}), which does not work"
            )),
        ))
    } else if f.wk_fetch.is_some_and(|w| {
        matches!(
            crate::discovery::evaluate_fetch(w),
            Err(Some(WellKnownError::Duplicate(_)))
        )
    }) {
        Some((
            (f.any_ok == f.fallback_ok).then_some(f.any_ok),
            Some(format!(
                "conduwuit and tuwunel take the last `m.server` ({}); continuwuity rejects the file and falls back to {}",
                f.works(f.any_ok),
                f.server_path
            )),
        ))
    } else if CONDUWUIT.host_header_with_port && host_port_broken(f) {
        Some((Some(false), Some("sends the port in the Host header (`name:port`), which the reverse proxy does not route".to_owned())))
    } else if let Some((n, st)) = &f.res.srv_failure {
        Some((
            if f.fallback_ok { None } else { Some(false) },
            Some(format!(
                "when the SRV lookup of {n} fails ({}), {}, to {}",
                st.describe(),
                who_falls_back_after_srv_failure(st),
                f.fallback_text
            )),
        ))
    } else {
        conduwuit_invalid_well_known(f)
    }
}

/// Which members of the family fall back after a failed SRV lookup (the table's
/// `srv_failure`).
fn who_falls_back_after_srv_failure(st: &crate::obs::DnsStatus) -> &'static str {
    let timeout = *st == crate::obs::DnsStatus::Timeout;
    let falls_back = |b: &Behaviour| match b.srv_failure {
        SrvFailure::FallsBack => true,
        SrvFailure::TimeoutGivesUp | SrvFailure::TimeoutGivesUpServfailUnverified => !timeout,
        SrvFailure::GivesUp => false,
    };
    debug_assert!(falls_back(&CONTINUWUITY) && falls_back(&TUWUNEL) != timeout);
    if timeout {
        "only continuwuity falls back"
    } else {
        "tuwunel and continuwuity fall back (conduwuit may give up)"
    }
}

/// The family splits on a broken well-known (D6, D7, D10, D11): conduwuit and tuwunel fall
/// back, which is the path checked here; continuwuity takes the value as it is.
fn conduwuit_invalid_well_known(f: &Facts) -> Option<Verdict> {
    let continuwuity = match f.wk_error? {
        WellKnownError::NotObject(JsonKind::Array) => {
            "accepts a top-level array and delegates to its first entry"
        }
        WellKnownError::Empty => "breaks on the empty `m.server`",
        WellKnownError::Invalid { .. } => "uses the invalid `m.server` verbatim",
        _ => return None,
    };
    Some((
        if f.any_ok { None } else { Some(false) },
        Some(format!(
            "conduwuit and tuwunel ignore the well-known and fall back to SRV/8448 on the server name, which {}; continuwuity {continuwuity}",
            f.works(f.any_ok)
        )),
    ))
}

/// The first SRV record in answer order, when the family would use only it and it fails.
fn first_srv_record_fails(f: &Facts) -> Option<String> {
    if !CONDUWUIT.srv_first_record_only {
        return None;
    }
    let u = f.res.srv.as_ref()?;
    let answer: &SrvAnswer = f.obs.srv.get(&u.name)?;
    let first = answer.records.first()?;
    let ok_here = f
        .targets
        .iter()
        .zip(f.target_obs)
        .filter(|(_, o)| {
            o.target.hostname.eq_ignore_ascii_case(&first.target) && o.target.port == first.port
        })
        .any(|(t, _)| t.ok);
    (answer.records.len() > 1 && !ok_here).then(|| first.target.clone())
}

/// Every passing target of the spec's path fails with `Host: name:port`.
fn host_port_broken(f: &Facts) -> bool {
    let main = || f.targets.iter().filter(|t| !t.fallback);
    let host_port_fails = |t: &TargetReport| {
        t.checks
            .iter()
            .any(|c| c.name == CheckName::HostPort && c.status != CheckStatus::Pass)
    };
    main().any(|t| t.ok && host_port_fails(t)) && !main().any(|t| t.ok && !host_port_fails(t))
}
