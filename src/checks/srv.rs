//! Judging the SRV lookups (spec steps 3.3, 3.4, 4, 5): failures, unusable and ignored
//! records, and what the conduwuit family's first-record-only rule does to them.

use std::net::IpAddr;

use crate::discovery::{Observations, Resolution, srv_fed, srv_legacy};
use crate::findings::Code;
use crate::report::{Finding, SpecStep};
use crate::server_name::{Host, ServerName};

use super::resolution::q;

pub(super) fn srv_findings(
    name: &ServerName,
    obs: &Observations,
    res: &Resolution,
    out: &mut Vec<Finding>,
) {
    if let Some((n, st)) = &res.srv_failure {
        out.push(
            Finding::plain(
                Code::SrvLookupFailed,
                format!(
                    "the SRV lookup of {n} failed ({}): Synapse gives up on your server; Dendrite and some conduwuit-family servers fall back to port 8448 (see the verdicts)",
                    st.describe()
                ),
            )
            .at_step(res.step.unwrap_or(SpecStep::Srv)),
        );
    }
    if let Some(used) = &res.srv {
        let step = used.step;
        let answer = &obs.srv[&used.name];
        if used.legacy {
            out.push(
                Finding::new(
                    Code::SrvLegacy,
                    format!("delegation relies on the deprecated {}", used.name),
                    format!(
                        "Publish {} with the same records (or a well-known with an explicit port).",
                        used.name.replacen("_matrix._tcp", "_matrix-fed._tcp", 1)
                    ),
                )
                .at_step(step),
            );
        }
        if res.srv_unavailable {
            out.push(
                Finding::plain(
                    Code::SrvTargetDot,
                    format!(
                        "{} has target `.`: the service is declared unavailable",
                        used.name
                    ),
                )
                .at_step(step),
            );
        }
        for r in &answer.records {
            if r.port == 0 && r.target != "." {
                out.push(
                    Finding::plain(
                        Code::SrvPortZero,
                        format!("{} → {} has port 0", used.name, q(&r.target)),
                    )
                    .at_step(step),
                );
            }
            if r.target.parse::<IpAddr>().is_ok() {
                out.push(
                    Finding::plain(
                        Code::SrvTargetIp,
                        format!("{} has an IP address as target ({})", used.name, r.target),
                    )
                    .at_step(step),
                );
            }
            if let Some(a) = obs.addrs.get(&r.target) {
                if let Some((_, canon)) = a
                    .cnames
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(&r.target))
                {
                    out.push(
                        Finding::new(
                            Code::SrvTargetCname,
                            format!("the SRV target {} is a CNAME to {}", q(&r.target), q(canon)),
                            format!("Point {} at {} directly.", used.name, q(canon)),
                        )
                        .at_step(step),
                    );
                }
            }
        }
        let usable = answer.records.iter().filter(|r| r.target != ".").count();
        if usable > 1 {
            let first = &answer.records[0];
            let best = &used.ordered[0];
            if first.priority > best.priority {
                out.push(
                    Finding::plain(
                        Code::SrvOrder,
                        format!(
                            "the first record in the answer ({} {} {} {}) is not the best priority ({} {} {} {}): conduwuit-family servers use only the first",
                            first.priority, first.weight, first.port, q(&first.target), best.priority, best.weight, best.port, q(&best.target)
                        ),
                    )
                    .at_step(step),
                );
            } else {
                out.push(
                    Finding::plain(
                        Code::SrvMultiple,
                        format!("{} has {usable} records; conduwuit-family servers use only the first in the answer", used.name),
                    )
                    .at_step(step),
                );
            }
        }
        // _matrix-fed and _matrix both present but different.
        let host = used.name.split_once("._tcp.").map(|(_, h)| h).unwrap_or("");
        if let (Some(f), Some(l)) = (obs.srv.get(&srv_fed(host)), obs.srv.get(&srv_legacy(host))) {
            let key = |a: &crate::obs::SrvAnswer| {
                let mut v: Vec<(u16, String)> = a
                    .records
                    .iter()
                    .map(|r| (r.port, r.target.to_ascii_lowercase()))
                    .collect();
                v.sort();
                v
            };
            if !f.records.is_empty() && !l.records.is_empty() && key(f) != key(l) {
                out.push(
                    Finding::plain(
                        Code::SrvLegacyMismatch,
                        format!(
                            "{} and {} point to different targets; only {} is used",
                            f.name, l.name, f.name
                        ),
                    )
                    .at_step(step),
                );
            }
        }
    }
    // SRV on the server name, ignored because the well-known delegates.
    if res.delegated.is_some() {
        if let Host::Dns(host) = &name.host {
            for n in [srv_fed(host), srv_legacy(host)] {
                if let Some(a) = obs.srv.get(&n) {
                    if !a.records.is_empty() {
                        let recs = a
                            .records
                            .iter()
                            .map(|r| format!("{} {}", r.port, q(&r.target)))
                            .collect::<Vec<_>>()
                            .join(", ");
                        out.push(Finding::plain(
                            Code::SrvIgnored,
                            format!("{n} ({recs}) is ignored: the well-known delegates to {}, so SRV is looked up there", res.delegated.as_ref().map(|d| d.to_string()).unwrap_or_default()),
                        ));
                    }
                }
            }
        }
    }
}
