//! Findings → remedies, with the values of the run: which change resolves which finding,
//! where it applies, and the `m.server` that would work.

use crate::findings::Code;
use crate::report::{Report, StepKind, Target};
use crate::server_name::{Host, ServerName};

use super::detect::At;
use super::{Remedy, SrvReason, safe_value};

/// A remedy, the findings it resolves, and where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The change.
    pub remedy: Remedy,
    /// The finding codes it resolves.
    pub codes: Vec<Code>,
    /// Which host answers for it (to pick the stack).
    pub at: At,
}

/// Findings resolved by serving a correct `/.well-known/matrix/server` directly.
const WELL_KNOWN: &[Code] = &[
    Code::WellKnownStatus,
    Code::WellKnownNot200,
    Code::WellKnownNotJson,
    Code::WellKnownBom,
    Code::WellKnownNotObject,
    Code::WellKnownMissingServer,
    Code::WellKnownServerNotString,
    Code::WellKnownServerEmpty,
    Code::WellKnownServerScheme,
    Code::WellKnownServerPath,
    Code::WellKnownServerPort,
    Code::WellKnownServerInvalid,
    Code::WellKnownServerTrailingDot,
    Code::WellKnownDuplicateKey,
    Code::WellKnownKeyCase,
    Code::WellKnownTrailingData,
    Code::WellKnownIgnored,
    Code::WellKnownContentType,
    Code::WellKnownRedirectLong,
    Code::WellKnownRedirectTooLong,
    Code::WellKnownRedirectLoop,
    Code::WellKnownRedirectInsecure,
    Code::WellKnownTooLarge,
    Code::WellKnownLarge,
    // The port the peers need, written into the delegation.
    Code::FederationOn443,
];

/// Findings resolved by serving `/.well-known/matrix/client` with the CORS headers: the
/// file itself missing, unreadable or naming no usable base URL. (CORS or mixed content on
/// the client API, its certificate or its routing are not fixed by the file.)
const CLIENT: &[Code] = &[
    Code::ClientWellKnownMissing,
    Code::ClientWellKnownStatus,
    Code::ClientWellKnownNotJson,
    Code::ClientWellKnownInvalid,
    Code::ClientWellKnownBom,
    Code::ClientWellKnownRedirect,
    Code::ClientBaseUrlInvalid,
];

/// Findings at a target resolved by routing `/_matrix` to the homeserver, path unchanged.
const PROXY: &[Code] = &[
    Code::FederationNotRouted,
    Code::FederationVersionFailed,
    Code::KeysFailed,
    Code::FederationHostPort,
    Code::FederationRedirect,
];

/// Findings at a target resolved by serving the right certificate with its chain.
const CERTIFICATE: &[Code] = &[
    Code::TlsIncompleteChain,
    Code::TlsNameMismatch,
    Code::TlsExpired,
    Code::TlsNotYetValid,
    Code::TlsSelfSigned,
    Code::TlsUnknownIssuer,
];

/// Findings at a target resolved by a TLS listener of its own on the federation port.
const LISTENER: &[Code] = &[Code::TlsPlainHttp, Code::TcpRefused];

/// The remedies of every finding with a configuration cause.
pub fn plan(r: &Report) -> Vec<Planned> {
    let Ok(name) = ServerName::parse(&r.server_name) else {
        return vec![];
    };
    let mut out: Vec<Planned> = Vec::new();
    let has = |c: Code| r.findings.iter().any(|f| f.code == c);
    if let (Host::Dns(site), None) = (&name.host, name.port)
        && safe_value(site)
    {
        site_remedies(r, site, &mut out);
    }
    for f in &r.findings {
        if let Some((remedy, at)) = target_remedy(r, f) {
            push(&mut out, remedy, vec![f.code], at);
        }
    }
    // Peers refused on 8448 stop knocking there once the delegation names port 443.
    if has(Code::FederationOn443) && has(Code::TcpRefused) {
        for p in out.iter_mut() {
            if matches!(p.remedy, Remedy::ServerWellKnown { .. })
                && !p.codes.contains(&Code::TcpRefused)
            {
                p.codes.push(Code::TcpRefused);
            }
        }
    }
    if has(Code::TargetIpv6Broken) {
        ipv6_broken(r, &mut out);
    }
    if has(Code::SrvTargetCname) {
        srv_records(r, SrvReason::Cname, &mut out);
    }
    if has(Code::SrvLegacy) {
        srv_records(r, SrvReason::Legacy, &mut out);
    }
    out
}

/// The remedies on the server name's own website (the well-known host, port 443).
fn site_remedies(r: &Report, site: &str, out: &mut Vec<Planned>) {
    let has = |c: Code| r.findings.iter().any(|f| f.code == c);
    let at = || At::WellKnown(site.to_owned());
    let codes: Vec<Code> = WELL_KNOWN.iter().copied().filter(|c| has(*c)).collect();
    if !codes.is_empty() {
        // Nothing says where the homeserver answers: a placeholder the admin replaces
        // (the snippet stays valid configuration; the text says to replace it).
        let m_server =
            working_m_server(r, site).unwrap_or_else(|| super::PLACEHOLDER_M_SERVER.to_owned());
        let site = site.to_owned();
        push(out, Remedy::ServerWellKnown { site, m_server }, codes, at());
    }
    client_well_known(r, site, CLIENT, out);
    if has(Code::WellKnownTlsInvalid) {
        let remedy = Remedy::Certificate {
            host: site.to_owned(),
            port: 443,
            names: vec![site.to_owned()],
        };
        push(out, remedy, vec![Code::WellKnownTlsInvalid], at());
    }
}

/// The remedy of a finding at a target, and the target, when it has a configuration cause.
fn target_remedy(r: &Report, f: &crate::report::Finding) -> Option<(Remedy, At)> {
    let t = f.target.as_deref().and_then(|a| target(r, a))?;
    let host = super::host_only(&t.host_header);
    if !safe_value(&host) || !safe_value(&t.tls_server_name) {
        return None;
    }
    let has = |c: Code| r.findings.iter().any(|x| x.code == c);
    // The proxy answered with its own 502/503/504: it routes /_matrix, and what fails is
    // the homeserver behind it (its process, its listener), not the proxy's configuration.
    let upstream_down = r
        .findings
        .iter()
        .any(|x| x.code == Code::FederationUpstreamDown && x.target == f.target);
    let (name, port) = (t.tls_server_name.clone(), t.port);
    let remedy = match f.code {
        c if PROXY.contains(&c) && !upstream_down => Remedy::ProxyMatrix { host, port },
        c if CERTIFICATE.contains(&c) => Remedy::Certificate {
            host: name.clone(),
            port,
            names: vec![name],
        },
        Code::TlsOldVersion => Remedy::TlsProtocols { host: name, port },
        // Refused on 8448 while 443 answers: the delegation's port is the fix.
        Code::TcpRefused if has(Code::FederationOn443) => return None,
        c if LISTENER.contains(&c) => Remedy::FederationListener { host: name, port },
        _ => return None,
    };
    Some((remedy, At::Target(t.address())))
}

/// The client well-known (with CORS) for the findings of `codes` the report has.
fn client_well_known(r: &Report, site: &str, codes: &[Code], out: &mut Vec<Planned>) {
    let found: Vec<Code> = codes
        .iter()
        .copied()
        .filter(|c| r.findings.iter().any(|f| f.code == *c))
        .collect();
    if found.is_empty() || !safe_value(site) {
        return;
    }
    push(
        out,
        Remedy::ClientWellKnown {
            site: site.to_owned(),
            base_url: client_base_url(r, site),
        },
        found,
        At::WellKnown(site.to_owned()),
    );
}

/// The client API's URL as far as the run tells: the base URL the published file already
/// names when clients reached a homeserver there; else `https://` and the delegated host (or
/// the host that answers federation), on 443 where clients look by default.
pub fn client_base_url(r: &Report, site: &str) -> String {
    let working = r.client.as_ref().and_then(|c| {
        let hs = &c.homeserver;
        (hs.native.state == Some(crate::report::ClientState::Success))
            .then(|| hs.base_url.clone())
            .flatten()
    });
    if let Some(url) = working.filter(|u| plain_https_url(u)) {
        return url;
    }
    let host = r
        .discovery
        .delegated_server
        .as_deref()
        .map(super::host_only)
        .or_else(|| working_target(r).map(|t| t.hostname.clone()))
        .filter(|h| safe_value(h))
        .unwrap_or_else(|| site.to_owned());
    format!("https://{host}")
}

/// An `https://` URL of plain characters only (host, port, path), fit for a snippet.
fn plain_https_url(u: &str) -> bool {
    u.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:/[]".contains(c))
    })
}

/// Adds a remedy, or the codes to the same remedy already planned.
fn push(out: &mut Vec<Planned>, remedy: Remedy, codes: Vec<Code>, at: At) {
    match out.iter_mut().find(|p| p.remedy == remedy) {
        Some(p) => {
            for c in codes {
                if !p.codes.contains(&c) {
                    p.codes.push(c);
                }
            }
        }
        None => out.push(Planned { remedy, codes, at }),
    }
}

/// The target (or fallback target) at `ip:port`.
fn target<'a>(r: &'a Report, address: &str) -> Option<&'a Target> {
    r.discovery
        .targets
        .iter()
        .chain(&r.discovery.fallback_targets)
        .find(|t| t.address() == address)
}

/// The delegation that would work: where the homeserver answered on 443 while peers knock
/// on 8448; else where a target works today; else the `m.server` that was meant (its host
/// and port, without a scheme or path). `None` when nothing says where the homeserver is.
pub fn working_m_server(r: &Report, site: &str) -> Option<String> {
    let pick = if r.findings.iter().any(|f| f.code == Code::FederationOn443) {
        // `judge_port_443`: the delegated host without its port, or the server name.
        let host = r
            .discovery
            .delegated_server
            .as_deref()
            .map(super::host_only)
            .unwrap_or_else(|| site.to_owned());
        Some(format!("{host}:443"))
    } else if let Some(t) = working_target(r) {
        Some(format!("{}:{}", t.hostname, t.port))
    } else {
        meant_m_server(r)
    };
    pick.filter(|m| safe_value(m))
}

/// A target that passes every check (the spec's first, then the fallbacks).
fn working_target(r: &Report) -> Option<&Target> {
    let ok = |t: &&Target| {
        r.targets
            .iter()
            .any(|tr| tr.ok && tr.address == t.address())
    };
    r.discovery
        .targets
        .iter()
        .chain(&r.discovery.fallback_targets)
        .find(ok)
}

/// The `m.server` the well-known meant, cleaned of a scheme, path and trailing dot.
fn meant_m_server(r: &Report) -> Option<String> {
    let raw = r
        .discovery
        .well_known
        .as_ref()?
        .fetches
        .iter()
        .find_map(|f| f.m_server.clone())?;
    let s = raw.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let s = s.split('/').next().unwrap_or("").trim_end_matches('.');
    let name = ServerName::parse(s).ok()?;
    Some(match name.port {
        Some(0) | None => format!("{}:8448", name.host_string()),
        Some(p) => format!("{}:{p}", name.host_string()),
    })
}

/// IPv6 targets that fail while IPv4 works: listen on IPv6 there, or delete the AAAA.
fn ipv6_broken(r: &Report, out: &mut Vec<Planned>) {
    for t in r.discovery.targets.iter().filter(|t| t.ip.is_ipv6()) {
        let failed = r
            .targets
            .iter()
            .any(|tr| tr.address == t.address() && !tr.ok && tr.not_checked.is_none());
        if !failed || !safe_value(&t.tls_server_name) || !safe_value(&t.hostname) {
            continue;
        }
        push(
            out,
            Remedy::FederationListener {
                host: t.tls_server_name.clone(),
                port: t.port,
            },
            vec![Code::TargetIpv6Broken],
            At::Target(t.address()),
        );
        let remove = Remedy::RemoveAddress {
            host: t.hostname.clone(),
            addrs: vec![t.ip],
        };
        match out.iter_mut().find(
            |p| matches!(&p.remedy, Remedy::RemoveAddress { host, .. } if *host == t.hostname),
        ) {
            Some(Planned {
                remedy: Remedy::RemoveAddress { addrs, .. },
                ..
            }) if !addrs.contains(&t.ip) => addrs.push(t.ip),
            Some(_) => {}
            None => push(out, remove, vec![Code::TargetIpv6Broken], At::Elsewhere),
        }
    }
}

/// The SRV records of the trace, rewritten: CNAME targets replaced by their canonical name,
/// or the legacy `_matrix._tcp` records republished as `_matrix-fed._tcp`.
fn srv_records(r: &Report, reason: SrvReason, out: &mut Vec<Planned>) {
    let prefix = match reason {
        SrvReason::Cname => "_matrix-fed._tcp.",
        SrvReason::Legacy => "_matrix._tcp.",
    };
    for step in r.discovery.steps.iter().filter(|s| s.kind == StepKind::Srv) {
        let Some(qname) = step.query.strip_suffix(" SRV") else {
            continue;
        };
        let Some(base) = qname.strip_prefix(prefix) else {
            continue;
        };
        let mut records = Vec::new();
        let mut aliases: Vec<(String, String)> = Vec::new();
        for rec in step.dns.iter().flat_map(|q| &q.records) {
            let parts: Vec<&str> = rec.value.split_whitespace().collect();
            let [p, w, port, target] = parts.as_slice() else {
                continue;
            };
            let (Ok(p), Ok(w), Ok(port)) = (p.parse(), w.parse(), port.parse()) else {
                continue;
            };
            let target = match reason {
                SrvReason::Cname => match canonical(r, target) {
                    Some(end) => {
                        aliases.push((target.to_string(), end.clone()));
                        end
                    }
                    None => target.to_string(),
                },
                SrvReason::Legacy => target.to_string(),
            };
            records.push((p, w, port, target));
        }
        let name = format!("_matrix-fed._tcp.{base}");
        if records.is_empty()
            || !safe_value(&name.replace('_', ""))
            || records.iter().any(|r| !safe_value(&r.3))
        {
            continue;
        }
        let code = match reason {
            SrvReason::Cname => Code::SrvTargetCname,
            SrvReason::Legacy => Code::SrvLegacy,
        };
        push(
            out,
            Remedy::SrvRecords {
                name,
                records,
                reason,
            },
            vec![code],
            At::Elsewhere,
        );
        // The alternative, after it: the aliases' addresses in place of their CNAMEs.
        for (alias, end) in aliases {
            replace_cname(r, &alias, &end, out);
        }
    }
}

/// The alternative for an SRV target that is an alias: its addresses in place of its CNAME.
fn replace_cname(r: &Report, alias: &str, canonical: &str, out: &mut Vec<Planned>) {
    let addrs: Vec<std::net::IpAddr> = address_step(r, alias)
        .into_iter()
        .flat_map(|s| s.dns.iter().flat_map(|q| &q.records))
        .filter(|rec| rec.record_type == "A" || rec.record_type == "AAAA")
        .filter_map(|rec| rec.value.parse().ok())
        .collect();
    if addrs.is_empty() || !safe_value(alias) || !safe_value(canonical) {
        return;
    }
    let remedy = Remedy::ReplaceCname {
        alias: alias.to_owned(),
        canonical: canonical.to_owned(),
        addrs,
    };
    push(out, remedy, vec![Code::SrvTargetCname], At::Elsewhere);
}

/// The trace step that looked up the addresses of `host`.
fn address_step<'a>(r: &'a Report, host: &str) -> Option<&'a crate::report::Step> {
    r.discovery
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Address)
        .find(|s| s.query.split_whitespace().next() == Some(host))
}

/// The end of the CNAME chain of `host`, from its address step.
fn canonical(r: &Report, host: &str) -> Option<String> {
    let step = address_step(r, host)?;
    step.dns
        .iter()
        .flat_map(|q| &q.records)
        .rfind(|rec| rec.record_type == "CNAME")
        .map(|rec| rec.value.clone())
}

/// The remedies behind a code, with named placeholders for the values
/// (`--explain CODE --fix-for STACK`).
pub fn generic_remedies(code: Code) -> Vec<Remedy> {
    let site = || "<server-name>".to_owned();
    let host = || "<federation-host>".to_owned();
    if WELL_KNOWN.contains(&code) {
        return vec![Remedy::ServerWellKnown {
            site: site(),
            m_server: "<federation-host>:<port>".into(),
        }];
    }
    if CLIENT.contains(&code) {
        return vec![Remedy::ClientWellKnown {
            site: site(),
            base_url: "https://<client-host>".into(),
        }];
    }
    let port = 8448;
    match code {
        c if PROXY.contains(&c) => vec![Remedy::ProxyMatrix { host: host(), port }],
        c if CERTIFICATE.contains(&c) || c == Code::WellKnownTlsInvalid => {
            vec![Remedy::Certificate {
                host: host(),
                port,
                names: vec![host()],
            }]
        }
        Code::TlsOldVersion => vec![Remedy::TlsProtocols { host: host(), port }],
        c if LISTENER.contains(&c) || c == Code::TargetIpv6Broken => {
            vec![Remedy::FederationListener { host: host(), port }]
        }
        Code::SrvTargetCname | Code::SrvLegacy => vec![Remedy::SrvRecords {
            name: "_matrix-fed._tcp.<server-name>".into(),
            records: vec![(10, 5, port, "<federation-host>".into())],
            reason: if code == Code::SrvLegacy {
                SrvReason::Legacy
            } else {
                SrvReason::Cname
            },
        }],
        _ => vec![],
    }
}

/// Every code some fix resolves (for the README's table and the tests).
pub fn fixable_codes() -> Vec<Code> {
    Code::ALL
        .iter()
        .copied()
        .filter(|c| !generic_remedies(*c).is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FetchOutcome, Finding, SpecStep, Status, WellKnownFetch, WellKnownInfo};

    fn report(findings: &[Code]) -> Report {
        let findings = findings
            .iter()
            .map(|c| Finding::plain(*c, "seen"))
            .collect();
        Report::sample("example.org", false, Status::Error, findings)
    }

    fn with_m_server(mut r: Report, m_server: &str) -> Report {
        r.discovery.well_known = Some(WellKnownInfo {
            url: "https://example.org/.well-known/matrix/server".into(),
            fetches: vec![WellKnownFetch {
                ip: "203.0.113.5".parse().unwrap(),
                outcome: FetchOutcome::Response,
                error: None,
                redirects: vec![],
                http_status: Some(200),
                content_type: None,
                body_excerpt: None,
                body_bytes: None,
                m_server: Some(m_server.into()),
            }],
            cache: None,
        });
        r
    }

    fn m_server_of(p: &[Planned]) -> Option<&str> {
        p.iter().find_map(|p| match &p.remedy {
            Remedy::ServerWellKnown { m_server, .. } => Some(m_server.as_str()),
            _ => None,
        })
    }

    #[test]
    fn federation_on_443_writes_the_port_into_the_delegation() {
        let mut r = report(&[Code::FederationOn443]);
        r.discovery.delegated_server = Some("matrix.example.org".into());
        let p = plan(&r);
        assert_eq!(m_server_of(&p), Some("matrix.example.org:443"));
        assert_eq!(p[0].codes, vec![Code::FederationOn443]);
        assert_eq!(p[0].at, At::WellKnown("example.org".into()));
        // Without delegation: the server name itself on 443.
        assert_eq!(
            m_server_of(&plan(&report(&[Code::FederationOn443]))),
            Some("example.org:443")
        );
    }

    #[test]
    fn a_meant_m_server_is_cleaned_of_scheme_and_path() {
        let r = with_m_server(
            report(&[Code::WellKnownServerScheme]),
            "https://matrix.example.org:443/",
        );
        assert_eq!(m_server_of(&plan(&r)), Some("matrix.example.org:443"));
        let r = with_m_server(report(&[Code::WellKnownServerPath]), "matrix.example.org/");
        assert_eq!(m_server_of(&plan(&r)), Some("matrix.example.org:8448"));
    }

    /// A value from the network never reaches a configuration file unless it is a plain
    /// host and port: quotes, braces, spaces and newlines would be config injection.
    #[test]
    fn hostile_values_become_the_placeholder() {
        for evil in [
            "evil.test\"; return 301 https://evil.test; #",
            "evil.test' }\nlocation / {",
            "evil.test:443 {\n respond `x`",
            "ev\u{1b}[2Jil.test",
        ] {
            let r = with_m_server(report(&[Code::WellKnownServerInvalid]), evil);
            assert_eq!(
                m_server_of(&plan(&r)),
                Some(super::super::PLACEHOLDER_M_SERVER),
                "{evil:?}"
            );
        }
        assert!(!safe_value("a b"));
        assert!(!safe_value("a'b"));
        assert!(!safe_value(""));
        assert!(safe_value("[2001:db8::1]:8448"));
    }

    #[test]
    fn findings_without_a_configuration_cause_get_no_fix() {
        for c in [
            Code::KeysServerNameMismatch,
            Code::DeadlineExceeded,
            Code::NotChecked,
            Code::WellKnownAbsent,
            Code::NoWorkingTarget,
        ] {
            assert!(plan(&report(&[c])).is_empty(), "{c}");
            assert!(!fixable_codes().contains(&c), "{c}");
        }
        // An IP literal or a name with a port has no well-known to fix.
        let mut r = report(&[Code::WellKnownNotJson]);
        r.server_name = "example.org:8448".into();
        assert!(plan(&r).is_empty());
    }

    #[test]
    fn target_findings_are_fixed_at_their_target() {
        let mut r = report(&[]);
        r.discovery.targets.push(Target {
            ip: "203.0.113.7".parse().unwrap(),
            port: 8448,
            hostname: "matrix.example.org".into(),
            host_header: "matrix.example.org:8448".into(),
            tls_server_name: "matrix.example.org".into(),
            sni: Some("matrix.example.org".into()),
            step: SpecStep::WellKnownExplicitPort,
        });
        for (code, want) in [
            (
                Code::FederationNotRouted,
                Remedy::ProxyMatrix {
                    host: "matrix.example.org".into(),
                    port: 8448,
                },
            ),
            (
                Code::TlsIncompleteChain,
                Remedy::Certificate {
                    host: "matrix.example.org".into(),
                    port: 8448,
                    names: vec!["matrix.example.org".into()],
                },
            ),
            (
                Code::TlsPlainHttp,
                Remedy::FederationListener {
                    host: "matrix.example.org".into(),
                    port: 8448,
                },
            ),
        ] {
            let mut r = r.clone();
            r.findings = vec![Finding::plain(code, "seen").at_target("203.0.113.7:8448")];
            let p = plan(&r);
            assert_eq!(p.len(), 1, "{code}: {p:?}");
            assert_eq!(p[0].remedy, want, "{code}");
            assert_eq!(p[0].at, At::Target("203.0.113.7:8448".into()));
        }
    }

    /// The hook the client-discovery findings plug into: a code in the list gets the client
    /// well-known, with the delegated host as the base URL.
    #[test]
    fn client_codes_get_the_client_well_known() {
        let mut r = report(&[Code::WellKnownContentType]);
        r.discovery.delegated_server = Some("matrix.example.org:443".into());
        let mut out = Vec::new();
        client_well_known(&r, "example.org", &[Code::WellKnownContentType], &mut out);
        assert_eq!(
            out[0].remedy,
            Remedy::ClientWellKnown {
                site: "example.org".into(),
                base_url: "https://matrix.example.org".into(),
            }
        );
        assert_eq!(out[0].codes, vec![Code::WellKnownContentType]);
        let mut none = Vec::new();
        client_well_known(&r, "example.org", &[Code::TlsExpired], &mut none);
        assert!(none.is_empty());
        assert_eq!(
            client_base_url(&report(&[]), "example.org"),
            "https://example.org"
        );
        // The base URL the published file names, where clients reached a homeserver, is
        // kept (a BOM or a redirect is fixed without moving the client API); one with
        // characters a snippet cannot hold is not.
        use crate::report::{ClientOutcome, ClientReport, ClientSide, ClientState};
        let side = |url: &str, state| ClientSide {
            base_url: Some(url.into()),
            native: ClientOutcome {
                state,
                error: None,
                reason: None,
            },
            web: ClientOutcome {
                state,
                error: None,
                reason: None,
            },
        };
        for (url, state, want) in [
            (
                "https://hs.example.net/matrix",
                Some(ClientState::Success),
                "https://hs.example.net/matrix",
            ),
            (
                "https://hs.example.net",
                Some(ClientState::FailError),
                "https://matrix.example.org",
            ),
            (
                "https://x.example/'; evil",
                Some(ClientState::Success),
                "https://matrix.example.org",
            ),
        ] {
            r.client = Some(ClientReport {
                ok: true,
                well_known_url: "https://example.org/.well-known/matrix/client".into(),
                homeserver: side(url, state),
                identity_server: side(url, None),
                steps: vec![],
                hosts: vec![],
                auth_issuer: None,
            });
            assert_eq!(client_base_url(&r, "example.org"), want, "{url}");
        }
    }

    #[test]
    fn every_fixable_code_has_a_template_for_every_stack_or_the_zone() {
        for c in fixable_codes() {
            for stack in super::super::Stack::CHOOSABLE {
                let fixes = super::super::generic(c, stack);
                // Traefik and Synapse cannot serve a fixed well-known body for any delegation.
                let optional = matches!(
                    stack,
                    super::super::Stack::Traefik | super::super::Stack::Synapse
                );
                assert!(optional || !fixes.is_empty(), "{c} for {stack:?}");
                for f in fixes {
                    assert_eq!(f.codes, vec![c]);
                    assert!(!f.snippet.contains("{{"), "{c} {stack:?}: {}", f.snippet);
                }
            }
        }
    }
}
