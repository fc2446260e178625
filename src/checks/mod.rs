//! The judge: turns observations and the resolution into findings (codes, severities, hints)
//! and per-target check results. Touches no network.

pub(crate) mod cert;
pub(crate) mod client;
pub(crate) mod compat;
pub(crate) mod dns;
pub mod keys;
pub(crate) mod name;
pub(crate) mod resolution;
pub(crate) mod srv;
pub(crate) mod target;
pub(crate) mod well_known;

use crate::discovery::{Observations, Resolution, followup};
use crate::obs::{Exchange, TargetObs};
use crate::report::{Discovery, Report};
use crate::server_name::ServerName;

/// Whether the deadline cut any request short (the well-known or a target's).
pub fn deadline_cut(obs: &Observations, targets: &[TargetObs]) -> bool {
    let cut = |r: &Result<crate::obs::HttpResponse, crate::obs::RequestFailure>| {
        matches!(r, Err(crate::obs::RequestFailure::Deadline))
    };
    dns::cut_by_deadline(obs)
        || obs
            .well_known
            .values()
            .flat_map(|w| &w.fetches)
            .any(|f| cut(&f.last.result))
        || targets.iter().any(|t| {
            [&t.version, &t.keys, &t.routing]
                .into_iter()
                .chain(&t.host_port)
                .any(|e| cut(&e.result))
        })
}

/// The deadline cut the check short: which step used the time.
pub fn deadline_finding(
    obs: &Observations,
    timeout: std::time::Duration,
    discovery_ms: u64,
) -> crate::report::Finding {
    let slowest = obs
        .well_known
        .iter()
        .map(|(h, w)| (format!("the well-known fetch from {h}"), w.duration))
        .chain(
            obs.srv
                .values()
                .map(|a| (format!("the SRV lookup of {}", a.name), a.duration)),
        )
        .chain(
            obs.addrs
                .values()
                .map(|a| (format!("the address lookup of {}", a.host), a.duration)),
        )
        .max_by_key(|(_, d)| *d);
    let total = timeout.as_millis() as u64;
    let used = match slowest {
        Some((what, d)) => format!(
            "; {} took {} ms, and discovery {discovery_ms} ms in all, leaving {} ms for the targets",
            crate::sanitize::escape(&what),
            d.as_millis(),
            total.saturating_sub(discovery_ms)
        ),
        None => String::new(),
    };
    crate::report::Finding::plain(
        crate::findings::Code::DeadlineExceeded,
        format!(
            "the check did not finish within {total} ms{used}; what it cut short is not checked, not failed"
        ),
    )
}

/// What the target probes saw: the spec's targets, the fallback targets, and port 443.
pub struct Probed<'a> {
    /// The spec's targets, in order.
    pub targets: &'a [TargetObs],
    /// The fallback targets some implementations use.
    pub fallback: &'a [TargetObs],
    /// Port 443 of the targets, when it was asked.
    pub port_443: &'a [Exchange],
    /// The certificate-expiry thresholds.
    pub expiry: cert::Expiry,
}

/// Judges everything observed for one server name into `report`: targets first (the
/// verdicts need them), then the verdicts, then resolution, whose harmless well-known
/// problems depend on the verdicts. Findings keep the order resolution, targets, port 443.
pub fn judge_all(
    report: &mut Report,
    name: &ServerName,
    obs: &Observations,
    res: &Resolution,
    probed: &Probed,
) {
    let (mut targets, target_findings) =
        target::judge_all(name, res, probed.targets, probed.expiry);
    targets.extend(target::judge_fallback(
        name,
        res,
        probed.fallback,
        probed.expiry,
    ));
    report.targets = targets;
    report.compatibility = compat::verdicts(name, obs, res, &report.targets, probed.targets);
    let no_answer = dns::no_dns_answer(obs).is_some();
    if no_answer || dns::cut_by_deadline(obs) {
        // The resolver this check asked answered nothing, or the deadline cut a lookup
        // short: no verdict about the server.
        let why = if no_answer {
            "not known: no DNS lookup was answered from here"
        } else {
            "not known: the deadline cut a DNS lookup short"
        };
        for c in &mut report.compatibility {
            c.reachable = None;
            c.reason = Some(why.to_owned());
        }
    }
    let well_known = well_known::well_known_info(name, obs);
    let everyone_reaches = report.everyone_reaches();
    report.findings.extend(resolution::judge(
        name,
        obs,
        res,
        well_known.as_ref(),
        everyone_reaches,
    ));
    // When the decisive well-known was not checked, the path after it is not known to be the
    // one servers take: its targets are shown, but nothing found there is held against the
    // server (the report is `unknown`).
    let well_known_unchecked =
        followup::decisive_well_known(name, obs, res).is_some_and(|f| f.not_checked().is_some());
    report.findings.extend(
        target_findings
            .into_iter()
            .filter(|f| !well_known_unchecked || f.severity < crate::findings::Severity::Warning),
    );
    report
        .findings
        .extend(target::judge_port_443(name, res, probed.port_443));
    report.discovery = Discovery {
        step: res.step,
        delegated_server: res.delegated.as_ref().map(|d| d.to_string()),
        steps: res.trace.clone(),
        targets: res.targets.clone(),
        fallback_targets: res.fallback.clone(),
        fallback_reason: res.fallback_reason.map(|r| r.describe().to_owned()),
        well_known,
    };
}
