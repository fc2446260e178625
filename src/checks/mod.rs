//! The judge: turns observations and the resolution into findings (codes, severities, hints)
//! and per-target check results. Touches no network.

pub(crate) mod cert;
pub(crate) mod compat;
pub(crate) mod dns;
pub mod keys;
pub(crate) mod name;
pub(crate) mod resolution;
pub(crate) mod srv;
pub(crate) mod target;
pub(crate) mod well_known;

use crate::discovery::{Observations, Resolution};
use crate::obs::{Exchange, TargetObs};
use crate::report::{Discovery, Report};
use crate::server_name::ServerName;

/// What the target probes saw: the spec's targets, the fallback targets, and port 443.
pub struct Probed<'a> {
    /// The spec's targets, in order.
    pub targets: &'a [TargetObs],
    /// The fallback targets some implementations use.
    pub fallback: &'a [TargetObs],
    /// Port 443 of the targets, when it was asked.
    pub port_443: &'a [Exchange],
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
    let (mut targets, target_findings) = target::judge_all(name, res, probed.targets);
    targets.extend(target::judge_fallback(name, res, probed.fallback));
    report.targets = targets;
    report.compatibility = compat::verdicts(name, obs, res, &report.targets, probed.targets);
    let well_known = well_known::well_known_info(name, obs);
    let everyone_reaches = report.everyone_reaches();
    report.findings.extend(resolution::judge(
        name,
        obs,
        res,
        well_known.as_ref(),
        everyone_reaches,
    ));
    report.findings.extend(target_findings);
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
