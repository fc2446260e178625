//! Findings about resolution as a whole: the well-known, SRV and address judges
//! (`checks::well_known`, `checks::srv`, `checks::dns`) in the order a report shows them,
//! then what holds for the resolution as such (no targets, private literals, caps).

use crate::discovery::{Observations, Resolution};
use crate::findings::Code;
use crate::report::{Finding, SpecStep, WellKnownInfo};
use crate::sanitize::{clip, escape};
use crate::server_name::{Host, ServerName};

use super::dns::{address_findings, no_dns_answer, tcp_failed};
use super::srv::srv_findings;
use super::well_known::well_known_findings;

/// Network text, clipped and made terminal-safe, for a finding's message.
pub(super) fn q(s: &str) -> String {
    escape(&clip(s, 100))
}

/// Every resolution finding. `everyone_reaches` (every implementation's verdict is
/// "reachable") decides whether a broken well-known that names no delegation is harmless.
pub(crate) fn judge(
    name: &ServerName,
    obs: &Observations,
    res: &Resolution,
    well_known: Option<&WellKnownInfo>,
    everyone_reaches: bool,
) -> Vec<Finding> {
    // No lookup was answered: nothing DNS said (or did not say) is the server's doing.
    if let Some(f) = no_dns_answer(obs) {
        return vec![f];
    }
    let mut out = Vec::new();
    if let Host::Dns(host) = &name.host
        && name.port.is_none()
    {
        well_known_findings(host, obs, res, &mut out);
        if everyone_reaches && !names_a_server(well_known) {
            ignore_harmless(&mut out);
        }
    }
    out.extend(tcp_failed(obs));
    srv_findings(name, obs, res, &mut out);
    address_findings(obs, res, &mut out);
    for note in &res.capped {
        out.push(Finding::plain(Code::TargetsCapped, note.clone()));
    }
    // Private addresses named literally (an IP server name or `m.server`); those from DNS
    // are reported with their host name.
    for t in res
        .targets
        .iter()
        .filter(|t| t.sni.is_none() && crate::ip_class::is_private(t.ip))
    {
        out.push(
            Finding::plain(
                Code::DnsPrivateAddress,
                format!(
                    "step {} names the private address {}: servers outside your network cannot connect there",
                    t.step, t.ip
                ),
            )
            .at_step(t.step),
        );
    }
    // With a lookup cut short by the deadline, "nowhere to connect" is not known.
    if res.targets.is_empty() && !super::dns::cut_by_deadline(obs) {
        let why = match (res.step, &res.srv_failure, res.srv_unavailable) {
            (_, Some((n, st)), _) => format!("the SRV lookup of {n} failed ({})", st.describe()),
            (_, _, true) => "the SRV record says the service is unavailable".to_owned(),
            (Some(step), _, _) if res.excluded > 0 => format!(
                "step {step} yields only addresses that -4/-6 excludes ({} of them)",
                res.excluded
            ),
            (Some(step), _, _) => format!("step {step} yields no address"),
            (None, _, _) => "no step yields an address".to_owned(),
        };
        out.push(
            Finding::plain(
                Code::NoTargets,
                format!("resolution gives nowhere to connect: {why}"),
            )
            .at_step(res.step.unwrap_or(SpecStep::WellKnown)),
        );
    }
    out
}

/// A file that names an `m.server` means a delegation was intended: that it is ignored is an
/// error whatever the fallback does (a certificate problem, a byte-order mark…).
fn names_a_server(info: Option<&WellKnownInfo>) -> bool {
    info.is_some_and(|w| {
        w.fetches.iter().any(|f| {
            f.m_server.is_some()
                || f.body_excerpt
                    .as_deref()
                    .is_some_and(|b| b.to_ascii_lowercase().contains("m.server"))
        })
    })
}

/// A broken well-known that every implementation treats as no delegation, when the
/// fallback works for every implementation, does not break federation: it is the warning
/// `well-known-ignored`, keeping its message (naming the original problem) and hint.
fn ignore_harmless(findings: &mut [Finding]) {
    for f in findings
        .iter_mut()
        .filter(|f| f.code.every_implementation_falls_back())
    {
        f.message = format!(
            "{} ({}). The file names no delegation, and every implementation falls back to a path that works: federation is unaffected, but each peer pays a failed fetch first.",
            f.message.trim_end_matches('.'),
            f.code.as_str()
        );
        f.code = Code::WellKnownIgnored;
        f.severity = Code::WellKnownIgnored.severity();
    }
}
