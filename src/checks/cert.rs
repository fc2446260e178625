//! Certificate details (x509-parser) and the judgement of a presented chain for the name the
//! spec requires at that step.

use std::net::IpAddr;

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::*;

use crate::findings::{Code, Severity};
use crate::obs::{CertProblem, CertVerdict, TlsObs};
use crate::report::{CertInfo, Finding, Target};
use crate::sanitize::{clip, escape};

/// How close to its expiry a certificate may come: under `warn_days` whole days left it is
/// `tls-expiring`, under `crit_days` `tls-expiring-soon` (`--warn-cert-days`,
/// `--crit-cert-days`; the Nagios state and perfdata use the same numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// Fewer whole days left than this: a warning (default 14).
    pub warn_days: i64,
    /// Fewer whole days left than this: critical for monitoring (default 3).
    pub crit_days: i64,
}

impl Default for Expiry {
    fn default() -> Self {
        Expiry {
            warn_days: 14,
            crit_days: 3,
        }
    }
}

/// The parsed facts of a leaf certificate.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// DNS SANs.
    pub dns_names: Vec<String>,
    /// IP SANs.
    pub ips: Vec<IpAddr>,
    /// Validity.
    pub not_before: i64,
    /// Validity.
    pub not_after: i64,
    /// Issuer == subject.
    pub self_issued: bool,
    /// Authority Information Access "CA Issuers" URL, if any.
    pub ca_issuers: Option<String>,
}

/// Parses a DER certificate.
pub(crate) fn parse_leaf(der: &[u8]) -> Option<Leaf> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut dns_names = Vec::new();
    let mut ips = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for gn in &san.value.general_names {
            match gn {
                GeneralName::DNSName(d) => dns_names.push(d.to_string()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => ips.push(IpAddr::from(<[u8; 4]>::try_from(*b).ok()?)),
                    16 => ips.push(IpAddr::from(<[u8; 16]>::try_from(*b).ok()?)),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    dns_names.truncate(100);
    ips.truncate(100);
    let mut ca_issuers = None;
    for ext in cert.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for desc in &aia.accessdescs {
                if desc.access_method.to_id_string() == "1.3.6.1.5.5.7.48.2"
                    && let GeneralName::URI(u) = &desc.access_location
                {
                    ca_issuers = Some(u.to_string());
                }
            }
        }
    }
    Some(Leaf {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        dns_names,
        ips,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        ca_issuers,
    })
}

/// The names a chain's leaf covers, for messages.
pub(crate) fn leaf_names(chain: &[Vec<u8>]) -> Vec<String> {
    chain
        .first()
        .and_then(|d| parse_leaf(d))
        .map(|l| {
            l.dns_names
                .into_iter()
                .chain(l.ips.iter().map(|i| i.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// RFC 6125 matching: IP names only against IP SANs; DNS names case-insensitively, trailing
/// dot ignored, `*` only as the whole left-most label, matching exactly one label.
pub(crate) fn covers(leaf: &Leaf, name: &str) -> bool {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return leaf.ips.contains(&ip);
    }
    let name = bare.trim_end_matches('.').to_ascii_lowercase();
    leaf.dns_names.iter().any(|pattern| {
        let p = pattern.trim_end_matches('.').to_ascii_lowercase();
        if let Some(rest) = p.strip_prefix("*.") {
            if rest.split('.').count() < 2 {
                return false;
            }
            match name.split_once('.') {
                Some((first, tail)) => !first.is_empty() && tail == rest,
                None => false,
            }
        } else {
            p == name
        }
    })
}

fn sha256_hex(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The certificate section of a target report.
pub(crate) fn info(tls: &TlsObs, now: i64) -> Option<CertInfo> {
    let der = tls.chain.first()?;
    let leaf = parse_leaf(der)?;
    let verified = matches!(tls.verdict, Some(CertVerdict::Valid));
    Some(CertInfo {
        subject: leaf.subject.clone(),
        issuer: leaf.issuer.clone(),
        names: leaf
            .dns_names
            .iter()
            .cloned()
            .chain(leaf.ips.iter().map(|i| i.to_string()))
            .collect(),
        not_before: crate::time::rfc3339(leaf.not_before),
        not_after: crate::time::rfc3339(leaf.not_after),
        not_after_unix: leaf.not_after,
        days_left: (leaf.not_after - now).div_euclid(86400),
        chain_length: tls.chain.len(),
        sha256: sha256_hex(der),
        verified,
        error: match &tls.verdict {
            Some(CertVerdict::Valid) | None => None,
            Some(v) => Some(crate::discovery::verdict_text(v)),
        },
    })
}

/// Findings for the certificate a target presented.
pub(crate) fn judge(
    target: &Target,
    tls: &TlsObs,
    delegated: Option<&str>,
    server_name: &str,
    now: i64,
    expiry: Expiry,
) -> Vec<Finding> {
    let at = target.address();
    let Some(leaf) = tls.chain.first().and_then(|d| parse_leaf(d)) else {
        return vec![
            Finding::plain(
                Code::TlsInvalid,
                "the server presented no parsable certificate",
            )
            .at_target(&at),
        ];
    };
    let mut out = Vec::new();
    // The name, judged by us so that it is reported even when the chain also fails.
    out.extend(name_mismatch(target, &leaf, &at, delegated, server_name));
    out.extend(validity_period(&leaf, &at, now, expiry));
    let leaf_failed = out.iter().any(|f| f.severity == Severity::Error);
    out.extend(chain_rejection(tls, &leaf, &at, leaf_failed));
    out.into_iter().map(|f| f.at_target(&at)).collect()
}

/// The leaf's names for a message: DNS then IP SANs, escaped and clipped, or "no names".
fn names_text(leaf: &Leaf) -> String {
    let names: Vec<String> = leaf
        .dns_names
        .iter()
        .cloned()
        .chain(leaf.ips.iter().map(|i| i.to_string()))
        .collect();
    if names.is_empty() {
        "no names".to_owned()
    } else {
        escape(&clip(&names.join(", "), 200))
    }
}

/// Whether the leaf fails to cover the name the spec requires at this step, and why.
fn name_mismatch(
    target: &Target,
    leaf: &Leaf,
    at: &str,
    delegated: Option<&str>,
    server_name: &str,
) -> Option<Finding> {
    let want = &target.tls_server_name;
    if covers(leaf, want) {
        return None;
    }
    let mistake = wrong_name_explanation(target, leaf, delegated, server_name);
    Some(Finding::new(
        Code::TlsNameMismatch,
        format!(
            "{at} presents a certificate for {}; it must be valid for {want} (step {}).{mistake}",
            names_text(leaf),
            target.step
        ),
        format!(
            "Issue the certificate for {want} (add it as a subject alternative name) and serve it on {at}."
        ),
    ))
}

/// Which wrong name a mismatched leaf covers instead (the SRV target, or the server name after
/// delegation), as a sentence to append; empty when it is neither.
fn wrong_name_explanation(
    target: &Target,
    leaf: &Leaf,
    delegated: Option<&str>,
    server_name: &str,
) -> String {
    let want = &target.tls_server_name;
    let srv_target = target.hostname != *want && target.hostname.parse::<IpAddr>().is_err();
    if srv_target && covers(leaf, &target.hostname) {
        format!(
            " It is valid for the SRV target {}, but the spec requires the {} name ({want}): the SRV target's name never counts.",
            target.hostname,
            if delegated.is_some() {
                "delegated"
            } else {
                "server"
            }
        )
    } else if delegated.is_some_and(|d| d == want) && covers(leaf, server_name) {
        format!(
            " It is valid for the server name {server_name}, but after delegation the certificate must be valid for the delegated host {want}."
        )
    } else {
        String::new()
    }
}

/// Whether the leaf is expired, not yet valid, or expires within the warning window.
fn validity_period(leaf: &Leaf, at: &str, now: i64, expiry: Expiry) -> Option<Finding> {
    if now > leaf.not_after {
        return Some(Finding::plain(
            Code::TlsExpired,
            format!(
                "the certificate on {at} expired on {}",
                crate::time::rfc3339(leaf.not_after)
            ),
        ));
    }
    if now < leaf.not_before {
        return Some(Finding::plain(
            Code::TlsNotYetValid,
            format!(
                "the certificate on {at} is valid only from {}",
                crate::time::rfc3339(leaf.not_before)
            ),
        ));
    }
    let days = (leaf.not_after - now).div_euclid(86400);
    let code = if days < expiry.crit_days {
        Code::TlsExpiringSoon
    } else {
        Code::TlsExpiring
    };
    (days < expiry.warn_days.max(expiry.crit_days)).then(|| {
        Finding::plain(
            code,
            format!(
                "the certificate on {at} expires in {days} day(s), on {}",
                crate::time::rfc3339(leaf.not_after)
            ),
        )
    })
}

/// What the verifier's verdict adds to the leaf's own findings; `leaf_failed` says whether
/// those already hold an error.
fn chain_rejection(tls: &TlsObs, leaf: &Leaf, at: &str, leaf_failed: bool) -> Option<Finding> {
    match &tls.verdict {
        Some(CertVerdict::UnknownIssuer) => Some(untrusted_issuer(tls, leaf, at)),
        Some(CertVerdict::Other(p)) => Some(Finding::new(
            Code::TlsInvalid,
            format!(
                "the certificate on {at} was rejected: {}",
                escape(&p.describe())
            ),
            problem_fix(p),
        )),
        // Name and dates are judged above from the leaf itself; if that found nothing, the
        // verifier objected to something else (an expired intermediate, a name form our
        // matcher reads differently): peers reject the chain all the same.
        Some(v @ (CertVerdict::NameMismatch | CertVerdict::Expired | CertVerdict::NotYetValid))
            if !leaf_failed =>
        {
            Some(Finding::plain(
                Code::TlsInvalid,
                format!(
                    "the certificate chain on {at} was rejected ({}), although its leaf looks right: check the intermediates' dates and the chain order",
                    crate::discovery::verdict_text(v)
                ),
            ))
        }
        _ => None,
    }
}

/// The fix for a rejection that has no code of its own.
fn problem_fix(p: &CertProblem) -> String {
    let s = match p {
        CertProblem::WeakSignature(_) | CertProblem::UnsupportedSignature => {
            "Reissue the certificate (and any intermediate signed the same way) with a SHA-256 signature; every public CA issues those."
        }
        CertProblem::ChainTooLong | CertProblem::ChainTooComplex => {
            "Serve the chain your CA provides (leaf, then its intermediates, e.g. `fullchain.pem`), without extra or cross-signed certificates."
        }
        CertProblem::BadSignature | CertProblem::PathLenConstraint | CertProblem::LeafAsCa => {
            "Serve the leaf followed by the intermediates that issued it, in order (e.g. `fullchain.pem`), and nothing else."
        }
        CertProblem::CaAsLeaf => {
            "Serve the server's own certificate first, not the CA's (check the order of the certificate file)."
        }
        CertProblem::WrongPurpose => {
            "Use a certificate issued for TLS servers (extended key usage serverAuth)."
        }
        _ => Code::TlsInvalid.hint(),
    };
    s.to_owned()
}

/// Why the issuer is unknown: a self-signed leaf, a missing intermediate, or an untrusted CA.
fn untrusted_issuer(tls: &TlsObs, leaf: &Leaf, at: &str) -> Finding {
    if leaf.self_issued {
        return Finding::plain(
            Code::TlsSelfSigned,
            format!(
                "the certificate on {at} is self-signed ({})",
                escape(&leaf.subject)
            ),
        );
    }
    if tls.chain.len() == 1 {
        let aia = leaf
            .ca_issuers
            .as_ref()
            .map(|u| {
                format!(
                    " (its issuer certificate is published at {})",
                    escape(&clip(u, 120))
                )
            })
            .unwrap_or_default();
        return Finding::plain(
            Code::TlsIncompleteChain,
            format!(
                "{at} sends only the leaf certificate, issued by {}, without the intermediate{aia}",
                escape(&leaf.issuer)
            ),
        );
    }
    Finding::plain(
        Code::TlsUnknownIssuer,
        format!(
            "the certificate on {at} is issued by {}, which is not trusted",
            escape(&leaf.issuer)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_findings_change_exactly_at_the_thresholds() {
        let now = 1_800_000_000;
        let leaf = |days: i64| Leaf {
            subject: String::new(),
            issuer: String::new(),
            dns_names: vec![],
            ips: vec![],
            not_before: now - 86_400,
            // `days` whole days and a bit left.
            not_after: now + days * 86_400 + 600,
            self_issued: false,
            ca_issuers: None,
        };
        let code = |days, expiry| validity_period(&leaf(days), "x", now, expiry).map(|f| f.code);
        let default = Expiry::default();
        assert_eq!(code(15, default), None);
        assert_eq!(code(14, default), None);
        assert_eq!(code(13, default), Some(Code::TlsExpiring));
        assert_eq!(code(3, default), Some(Code::TlsExpiring));
        assert_eq!(code(2, default), Some(Code::TlsExpiringSoon));
        assert_eq!(code(0, default), Some(Code::TlsExpiringSoon));
        let custom = Expiry {
            warn_days: 30,
            crit_days: 7,
        };
        assert_eq!(code(30, custom), None);
        assert_eq!(code(29, custom), Some(Code::TlsExpiring));
        assert_eq!(code(7, custom), Some(Code::TlsExpiring));
        assert_eq!(code(6, custom), Some(Code::TlsExpiringSoon));
        assert_eq!(Code::TlsExpiringSoon.severity(), Severity::Warning);
    }

    fn leaf(names: &[&str], ips: &[&str]) -> Leaf {
        Leaf {
            subject: String::new(),
            issuer: String::new(),
            dns_names: names.iter().map(|s| s.to_string()).collect(),
            ips: ips.iter().map(|s| s.parse().unwrap()).collect(),
            not_before: 0,
            not_after: 0,
            self_issued: false,
            ca_issuers: None,
        }
    }

    #[test]
    fn name_matching() {
        let l = leaf(&["matrix.example.test", "*.example.test"], &["127.0.0.1"]);
        assert!(covers(&l, "matrix.example.test"));
        assert!(covers(&l, "MATRIX.example.test."));
        assert!(covers(&l, "foo.example.test"));
        assert!(!covers(&l, "a.b.example.test"));
        assert!(!covers(&l, "example.test"));
        assert!(covers(&l, "127.0.0.1"));
        assert!(!covers(&l, "127.0.0.2"));
        assert!(
            !covers(&leaf(&["127.0.0.1"], &[]), "127.0.0.1"),
            "IP names match only IP SANs"
        );
        assert!(
            !covers(&leaf(&["*.test"], &[]), "a.test"),
            "no wildcard on a single label"
        );
        assert!(covers(&leaf(&[], &["::1"]), "[::1]"));
    }

    /// The verifier's verdict is never dropped: a chain it rejects while the leaf looks fine
    /// (an expired intermediate, say) is still a finding.
    #[cfg(feature = "lab")]
    #[test]
    fn a_rejected_chain_with_a_fine_leaf_is_still_a_finding() {
        use crate::lab::pki::{CertKind, Pki};
        let pki = Pki::new().unwrap();
        let issued = pki
            .issue(&["example.test".to_owned()], CertKind::Valid)
            .unwrap();
        let target = Target {
            ip: "127.0.0.1".parse().unwrap(),
            port: 8448,
            hostname: "example.test".into(),
            host_header: "example.test".into(),
            tls_server_name: "example.test".into(),
            sni: Some("example.test".into()),
            step: crate::report::SpecStep::DefaultPort,
        };
        let tls = |verdict| TlsObs {
            version: None,
            cipher_suite: None,
            alpn: None,
            chain: issued.chain.iter().map(|c| c.to_vec()).collect(),
            verdict: Some(verdict),
            expected_name: "example.test".into(),
            duration: std::time::Duration::ZERO,
        };
        let now = crate::time::now();
        assert!(
            judge(
                &target,
                &tls(CertVerdict::Valid),
                None,
                "example.test",
                now,
                Expiry::default()
            )
            .is_empty()
        );
        for v in [
            CertVerdict::Expired,
            CertVerdict::NotYetValid,
            CertVerdict::NameMismatch,
        ] {
            let f = judge(
                &target,
                &tls(v.clone()),
                None,
                "example.test",
                now,
                Expiry::default(),
            );
            assert_eq!(
                f.iter().map(|f| f.code).collect::<Vec<_>>(),
                [Code::TlsInvalid],
                "{v:?}"
            );
        }
        // A warning about the leaf (expiring soon) does not hide the chain's rejection.
        let soon = pki
            .issue(&["example.test".to_owned()], CertKind::Expiring)
            .unwrap();
        let tls_soon = TlsObs {
            chain: soon.chain.iter().map(|c| c.to_vec()).collect(),
            ..tls(CertVerdict::Expired)
        };
        let codes: Vec<Code> = judge(
            &target,
            &tls_soon,
            None,
            "example.test",
            now,
            Expiry::default(),
        )
        .iter()
        .map(|f| f.code)
        .collect();
        assert!(
            codes.contains(&Code::TlsExpiring) && codes.contains(&Code::TlsInvalid),
            "{codes:?}"
        );
    }
}
