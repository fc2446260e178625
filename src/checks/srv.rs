//! Judging the SRV lookups (spec steps 3.3, 3.4, 4, 5): failures, unusable and ignored
//! records, and what the conduwuit family's first-record-only rule does to them.

use std::net::IpAddr;

use crate::discovery::{Observations, Resolution, SrvUse, srv_fed, srv_legacy};
use crate::findings::Code;
use crate::obs::{SrvAnswer, SrvRecord};
use crate::report::{Finding, SpecStep};
use crate::server_name::{Host, ServerName};

use super::resolution::q;

pub(super) fn srv_findings(
    name: &ServerName,
    obs: &Observations,
    res: &Resolution,
    out: &mut Vec<Finding>,
) {
    if let Some((n, st)) = &res.srv_failure
        && *st == crate::obs::DnsStatus::Deadline
    {
        let step = res.step.unwrap_or(SpecStep::Srv);
        out.push(super::dns::cut_short(format!("the SRV lookup of {n}")).at_step(step));
    } else if let Some((n, st)) = &res.srv_failure {
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
        used_srv_findings(obs, res, used, out);
    }
    if res.delegated.is_some() {
        ignored_srv_findings(name, obs, res, out);
    }
}

/// The SRV answer that decided: deprecated name, `.` target, unusable records, order.
fn used_srv_findings(obs: &Observations, res: &Resolution, used: &SrvUse, out: &mut Vec<Finding>) {
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
        out.extend(record_findings(obs, &used.name, r).map(|f| f.at_step(step)));
    }
    if let Some(f) = order_finding(answer, used) {
        out.push(f.at_step(step));
    }
    if let Some(f) = legacy_mismatch(obs, &used.name) {
        out.push(f.at_step(step));
    }
}

/// What is wrong with one record: port 0, an IP address or a CNAME as target.
fn record_findings(obs: &Observations, name: &str, r: &SrvRecord) -> impl Iterator<Item = Finding> {
    let port_zero = (r.port == 0 && r.target != ".").then(|| {
        Finding::plain(
            Code::SrvPortZero,
            format!("{name} → {} has port 0", q(&r.target)),
        )
    });
    let ip = r.target.parse::<IpAddr>().is_ok().then(|| {
        Finding::plain(
            Code::SrvTargetIp,
            format!("{name} has an IP address as target ({})", r.target),
        )
    });
    let cname = obs.addrs.get(&r.target).and_then(|a| {
        let (_, canon) = a
            .cnames
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(&r.target))?;
        Some(Finding::new(
            Code::SrvTargetCname,
            format!("the SRV target {} is a CNAME to {}", q(&r.target), q(canon)),
            format!("Point {name} at {} directly.", q(canon)),
        ))
    });
    [port_zero, ip, cname].into_iter().flatten()
}

/// Several usable records: the conduwuit family uses only the first in the answer.
fn order_finding(answer: &SrvAnswer, used: &SrvUse) -> Option<Finding> {
    let usable = answer.records.iter().filter(|r| r.target != ".").count();
    if usable <= 1 {
        return None;
    }
    let first = &answer.records[0];
    let best = &used.ordered[0];
    Some(if first.priority > best.priority {
        Finding::plain(
            Code::SrvOrder,
            format!(
                "the first record in the answer ({} {} {} {}) is not the best priority ({} {} {} {}): conduwuit-family servers use only the first",
                first.priority,
                first.weight,
                first.port,
                q(&first.target),
                best.priority,
                best.weight,
                best.port,
                q(&best.target)
            ),
        )
    } else {
        Finding::plain(
            Code::SrvMultiple,
            format!(
                "{} has {usable} records; conduwuit-family servers use only the first in the answer",
                used.name
            ),
        )
    })
}

/// `_matrix-fed` and `_matrix` both present but different.
fn legacy_mismatch(obs: &Observations, used_name: &str) -> Option<Finding> {
    let host = used_name.split_once("._tcp.").map(|(_, h)| h).unwrap_or("");
    let f = obs.srv.get(&srv_fed(host))?;
    let l = obs.srv.get(&srv_legacy(host))?;
    let key = |a: &SrvAnswer| {
        let mut v: Vec<(u16, String)> = a
            .records
            .iter()
            .map(|r| (r.port, r.target.to_ascii_lowercase()))
            .collect();
        v.sort();
        v
    };
    (!f.records.is_empty() && !l.records.is_empty() && key(f) != key(l)).then(|| {
        Finding::plain(
            Code::SrvLegacyMismatch,
            format!(
                "{} and {} point to different targets; only {} is used",
                f.name, l.name, f.name
            ),
        )
    })
}

/// SRV on the server name, ignored because the well-known delegates.
fn ignored_srv_findings(
    name: &ServerName,
    obs: &Observations,
    res: &Resolution,
    out: &mut Vec<Finding>,
) {
    let Host::Dns(host) = &name.host else { return };
    for n in [srv_fed(host), srv_legacy(host)] {
        let Some(a) = obs.srv.get(&n).filter(|a| !a.records.is_empty()) else {
            continue;
        };
        let recs = a
            .records
            .iter()
            .map(|r| format!("{} {}", r.port, q(&r.target)))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Finding::plain(
            Code::SrvIgnored,
            format!(
                "{n} ({recs}) is ignored: the well-known delegates to {}, so SRV is looked up there",
                res.delegated
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ),
        ));
    }
}
