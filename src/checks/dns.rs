//! Judging the address lookups: missing records, CNAMEs, private addresses, and a resolver
//! that answered nothing at all.

use crate::discovery::{Observations, Resolution};
use crate::findings::Code;
use crate::report::Finding;

use super::resolution::q;

/// Every DNS lookup timed out or was refused: the resolver, not the server, is the likely
/// problem (a SERVFAIL, NXDOMAIN or any answer shows the resolver works).
pub(super) fn no_dns_answer(obs: &Observations) -> Option<Finding> {
    use crate::obs::DnsStatus;
    let statuses: Vec<&DnsStatus> = obs
        .srv
        .values()
        .map(|a| &a.status)
        .chain(obs.addrs.values().flat_map(|a| {
            [a.a.as_ref().map(|x| &x.0), a.aaaa.as_ref().map(|x| &x.0)]
                .into_iter()
                .flatten()
        }))
        .collect();
    // No answer at all: a timeout, a refusal, or a local error (no route to the resolver, no
    // socket). SERVFAIL or NXDOMAIN are answers.
    let dead = |s: &&DnsStatus| {
        matches!(
            s,
            DnsStatus::Timeout | DnsStatus::Refused | DnsStatus::Other(_)
        )
    };
    if statuses.len() < 2 || !statuses.iter().all(dead) {
        return None;
    }
    let refused = statuses.iter().all(|s| **s == DnsStatus::Refused);
    Some(Finding::plain(
        Code::DnsNoAnswer,
        format!(
            "all {} DNS lookups {}: the resolver this check used is likely unreachable or refusing, so the findings below say little about the server",
            statuses.len(),
            if refused {
                "were refused"
            } else {
                "timed out or were refused"
            }
        ),
    ))
}

/// Lookups whose UDP answer was truncated and whose TCP retry failed: the cause of the
/// failed lookups reported after it, with its own fix.
pub(super) fn tcp_failed(obs: &Observations) -> Option<Finding> {
    use crate::obs::DnsStatus::TruncatedTcpFailed;
    let mut names: Vec<String> = obs
        .srv
        .values()
        .filter(|a| a.status == TruncatedTcpFailed)
        .map(|a| format!("{} SRV", q(&a.name)))
        .chain(
            obs.addrs
                .values()
                .filter(|a| a.failure() == Some(&TruncatedTcpFailed))
                .map(|a| format!("{} {}", q(&a.host), a.types())),
        )
        .collect();
    if names.is_empty() {
        return None;
    }
    names.sort();
    Some(Finding::plain(
        Code::DnsTcpFailed,
        format!(
            "the answer to {} was truncated over UDP, and the retry over TCP failed: resolvers cannot get it at all",
            names.join(", ")
        ),
    ))
}

/// Whether the check's deadline cut a DNS query short: what depended on its answer is not
/// known from here.
pub(super) fn cut_by_deadline(obs: &Observations) -> bool {
    obs.srv
        .values()
        .any(|a| a.status == crate::obs::DnsStatus::Deadline)
        || obs.addrs.values().any(|a| a.cut_by_deadline())
}

/// A lookup the deadline cut short: not checked, never failed.
pub(super) fn cut_short(what: String) -> Finding {
    Finding::plain(
        Code::NotChecked,
        format!(
            "{what} was not answered before the check's deadline (--timeout), so what depends on it is not checked"
        ),
    )
}

pub(super) fn address_findings(obs: &Observations, res: &Resolution, out: &mut Vec<Finding>) {
    let any_addresses = !res.targets.is_empty();
    for (h, a) in crate::discovery::answered_hosts(obs, res) {
        let host = q(&h.host);
        if a.cut_by_deadline() {
            out.push(cut_short(format!("the address lookup of {host}")).at_step(h.step));
            continue;
        }
        if let Some(o) = a.overridden {
            // DNS was not asked (or had no address): nothing to say about its records.
            let how = match o {
                crate::obs::Override::Resolve => "DNS was not asked",
                crate::obs::Override::ConnectTo => "DNS has none for it",
            };
            out.push(
                Finding::plain(
                    Code::DnsOverridden,
                    format!(
                        "{host}: the addresses {} come from {}; {how}, so its records are not checked",
                        a.addrs()
                            .iter()
                            .map(|ip| ip.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        o.flag()
                    ),
                )
                .at_step(h.step),
            );
            continue;
        }
        if a.addrs().is_empty() {
            let msg = match a.failure() {
                Some(f) => format!("the address lookup of {host} failed ({})", f.describe()),
                None => format!("{host} has no address: {}", a.describe_absence()),
            };
            let code = if h.srv_target && any_addresses {
                Code::SrvTargetNoAddress
            } else if a.failure().is_some() {
                Code::DnsLookupFailed
            } else {
                Code::DnsNoAddress
            };
            out.push(Finding::plain(code, msg).at_step(h.step));
            continue;
        }
        let has4 = a.a.as_ref().is_some_and(|x| !x.1.is_empty());
        let has6 = a.aaaa.as_ref().is_some_and(|x| !x.1.is_empty());
        if a.a.is_some() && a.aaaa.is_some() {
            if !has4 && has6 {
                out.push(
                    Finding::plain(
                        Code::DnsNoIpv4,
                        format!("{host} has only AAAA records: IPv4-only servers cannot connect"),
                    )
                    .at_step(h.step),
                );
            } else if has4 && !has6 {
                out.push(
                    Finding::plain(Code::DnsNoIpv6, format!("{host} has no AAAA record"))
                        .at_step(h.step),
                );
            }
        }
        if let Some(f) = a.failure() {
            out.push(
                Finding::plain(
                    Code::DnsLookupFailed,
                    format!(
                        "one of the address lookups of {host} failed ({})",
                        f.describe()
                    ),
                )
                .at_step(h.step),
            );
        }
        let unusable: Vec<String> = a
            .addrs()
            .into_iter()
            .filter(|_| !special_use_name(&host))
            .filter_map(|ip| crate::ip_class::unusable(ip).map(|why| format!("{ip} ({why})")))
            .collect();
        if !unusable.is_empty() {
            out.push(
                Finding::plain(
                    Code::DnsUnusableAddress,
                    format!(
                        "{host} resolves to {}: no remote server can connect there",
                        unusable.join(", ")
                    ),
                )
                .at_step(h.step),
            );
        }
        let private: Vec<String> = a
            .addrs()
            .into_iter()
            .filter(|ip| {
                crate::ip_class::is_private(*ip) && crate::ip_class::unusable(*ip).is_none()
            })
            .map(|ip| ip.to_string())
            .collect();
        if !private.is_empty() {
            out.push(
                Finding::plain(
                    Code::DnsPrivateAddress,
                    format!(
                        "{host} resolves to the private address(es) {}: servers outside your network cannot connect there",
                        private.join(", ")
                    ),
                )
                .at_step(h.step),
            );
        }
        if !h.srv_target
            && let Some((_, canon)) = a.cnames.last()
        {
            out.push(
                Finding::plain(Code::DnsCname, format!("{host} is a CNAME to {}", q(canon)))
                    .at_step(h.step),
            );
        }
    }
}

/// A name under a special-use top-level domain (RFC 6761, RFC 8375, ICANN's `.internal`)
/// never reaches the public internet: loopback or documentation addresses are no mistake
/// there (the lab, a test setup).
fn special_use_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    [
        "test",
        "localhost",
        "invalid",
        "example",
        "local",
        "internal",
        "home.arpa",
    ]
    .iter()
    .any(|tld| host == *tld || host.ends_with(&format!(".{tld}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn special_use_names() {
        for n in [
            "example.test",
            "a.localhost",
            "x.home.arpa",
            "matrix.internal",
            "TEST",
        ] {
            assert!(super::special_use_name(n), "{n}");
        }
        for n in [
            "example.org",
            "attest",
            "localhost.example.org",
            "home.arpa.org",
        ] {
            assert!(!super::special_use_name(n), "{n}");
        }
    }

    #[test]
    fn private_addresses() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.1.1",
            "fd12::1",
            "fe80::1",
        ] {
            assert!(crate::ip_class::is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "203.0.113.7",
            "100.128.0.1",
            "172.32.0.1",
            "2001:db8::1",
            "127.0.0.1",
            "::1",
        ] {
            assert!(!crate::ip_class::is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
