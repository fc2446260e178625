//! The federation tester's report (`/api/report`), filled from delegcheck's own report and the
//! observations behind it. Pure: no IO, same input, same output.
//!
//! The field tree, key order and null conventions are those of matrix-org/matrix-federation-
//! tester `main.go` @ 092330eb (`ServerReport`, `ConnectionReport`, …) and gomatrixserverlib
//! `keys.go` (`KeyChecks`), as written down in `docs/federation-tester-api.md` and kept as the
//! fixture `tests/fixtures/federation-tester-report.json`. Where delegcheck follows the spec
//! and the tester does not (`_matrix-fed._tcp`, no well-known for IP literals or explicit
//! ports), the fields carry delegcheck's answer in the tester's shape, and `FederationOK` is
//! delegcheck's verdict (`ok`).

use std::collections::BTreeMap;

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use crate::findings::Code;
use crate::obs::{CertVerdict, Exchange, TargetObs};
use crate::report::{Report, SpecStep, StepKind, StepStatus, TargetReport};

/// `{"Message": "…"}`: how the tester writes a Go error.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Message {
    /// The error text.
    #[serde(rename = "Message")]
    pub message: String,
}

fn message(text: impl Into<String>) -> Message {
    Message {
        message: text.into(),
    }
}

/// `ServerReport`.
#[derive(Debug, Serialize)]
pub struct ServerReport {
    /// Set only for an invalid server name.
    #[serde(rename = "Error", skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// The well-known lookup.
    #[serde(rename = "WellKnownResult")]
    pub well_known: WellKnownResult,
    /// DNS resolution of the server host.
    #[serde(rename = "DNSResult")]
    pub dns: DnsResult,
    /// `ip:port` → report, for addresses whose key fetch succeeded.
    #[serde(rename = "ConnectionReports")]
    pub connection_reports: BTreeMap<String, ConnectionReport>,
    /// `ip:port` → error, for addresses whose key fetch failed.
    #[serde(rename = "ConnectionErrors")]
    pub connection_errors: BTreeMap<String, Message>,
    /// The server software.
    #[serde(rename = "Version")]
    pub version: VersionReport,
    /// The verdict: delegcheck's `ok`.
    #[serde(rename = "FederationOK")]
    pub federation_ok: bool,
}

/// `WellKnownReport`.
#[derive(Debug, Serialize)]
pub struct WellKnownResult {
    /// The delegated server name, `""` when none is used.
    #[serde(rename = "m.server")]
    pub m_server: String,
    /// Why no delegated name came of the lookup (left out on success).
    #[serde(rename = "result", skip_serializing_if = "String::is_empty")]
    pub result: String,
    /// Unix seconds when the answer expires (0: no caching headers, or no answer).
    #[serde(rename = "CacheExpiresAt")]
    pub cache_expires_at: i64,
}

/// `DNSResult`.
#[derive(Debug, Serialize)]
pub struct DnsResult {
    /// No SRV lookup: an explicit port or an IP literal.
    #[serde(rename = "SRVSkipped")]
    pub srv_skipped: bool,
    /// The SRV name that answered, with a trailing dot (`""` if none).
    #[serde(rename = "SRVCName")]
    pub srv_cname: String,
    /// The SRV records (`null`: skipped, failed or none).
    #[serde(rename = "SRVRecords")]
    pub srv_records: Option<Vec<SrvRecord>>,
    /// Why the SRV lookup gave nothing.
    #[serde(rename = "SRVError")]
    pub srv_error: Option<Message>,
    /// Per host: its addresses (`null` only for an invalid server name).
    #[serde(rename = "Hosts")]
    pub hosts: Option<BTreeMap<String, HostResult>>,
    /// Every `ip:port` to test (`null`: none).
    #[serde(rename = "Addrs")]
    pub addrs: Option<Vec<String>>,
}

/// Go's `net.SRV`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SrvRecord {
    /// Target, with a trailing dot.
    #[serde(rename = "Target")]
    pub target: String,
    /// Port.
    #[serde(rename = "Port")]
    pub port: u16,
    /// Priority.
    #[serde(rename = "Priority")]
    pub priority: u16,
    /// Weight.
    #[serde(rename = "Weight")]
    pub weight: u16,
}

/// `HostResult`.
#[derive(Debug, Serialize)]
pub struct HostResult {
    /// The canonical name, with a trailing dot.
    #[serde(rename = "CName")]
    pub cname: String,
    /// The addresses (`null`: the lookup failed).
    #[serde(rename = "Addrs")]
    pub addrs: Option<Vec<String>>,
    /// The lookup's error.
    #[serde(rename = "Error")]
    pub error: Option<Message>,
}

/// `ConnectionReport`.
#[derive(Debug, Serialize)]
pub struct ConnectionReport {
    /// The chain as sent, leaf first.
    #[serde(rename = "Certificates")]
    pub certificates: Vec<CertSummary>,
    /// The negotiated TLS.
    #[serde(rename = "Cipher")]
    pub cipher: Cipher,
    /// The key and certificate checks.
    #[serde(rename = "Checks")]
    pub checks: ConnectionChecks,
    /// The certificate error, if any.
    #[serde(rename = "Errors")]
    pub errors: Vec<Message>,
    /// Key id → key, for keys whose signature verified (`null`: none did).
    #[serde(rename = "Ed25519VerifyKeys")]
    pub ed25519_verify_keys: Option<BTreeMap<String, String>>,
    /// Always `{}`.
    #[serde(rename = "Info")]
    pub info: BTreeMap<String, Value>,
    /// The key response, as sent.
    #[serde(rename = "Keys")]
    pub keys: Value,
}

/// `X509CertSummary`.
#[derive(Debug, Serialize)]
pub struct CertSummary {
    /// Subject CN.
    #[serde(rename = "SubjectCommonName")]
    pub subject_cn: String,
    /// Issuer CN.
    #[serde(rename = "IssuerCommonName")]
    pub issuer_cn: String,
    /// SHA-256 of the DER, unpadded base64.
    #[serde(rename = "SHA256Fingerprint")]
    pub sha256: String,
    /// SAN DNS names (`null`: none).
    #[serde(rename = "DNSNames")]
    pub dns_names: Option<Vec<String>>,
}

/// `CipherSummary`.
#[derive(Debug, Serialize)]
pub struct Cipher {
    /// `TLS 1.3`, …
    #[serde(rename = "Version")]
    pub version: String,
    /// Go's constant name, e.g. `TLS_AES_128_GCM_SHA256`.
    #[serde(rename = "CipherSuite")]
    pub cipher_suite: String,
}

/// `ConnectionChecks`: gomatrixserverlib's `KeyChecks` plus `ValidCertificates`.
#[derive(Debug, Serialize)]
pub struct ConnectionChecks {
    /// Every check below passed.
    #[serde(rename = "AllChecksOK")]
    pub all_ok: bool,
    /// The response's `server_name` is the queried name.
    #[serde(rename = "MatchingServerName")]
    pub matching_server_name: bool,
    /// `valid_until_ts` is in the future.
    #[serde(rename = "FutureValidUntilTS")]
    pub future_valid_until: bool,
    /// Some key is ed25519.
    #[serde(rename = "HasEd25519Key")]
    pub has_ed25519: bool,
    /// Every ed25519 key passed (`null`: no ed25519 key).
    #[serde(rename = "AllEd25519ChecksOK")]
    pub all_ed25519_ok: Option<bool>,
    /// Per ed25519 key.
    #[serde(rename = "Ed25519Checks")]
    pub ed25519: BTreeMap<String, Ed25519Check>,
    /// The certificate is valid for the server host.
    #[serde(rename = "ValidCertificates")]
    pub valid_certificates: bool,
}

/// `Ed25519Checks`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Ed25519Check {
    /// The key decodes to 32 bytes.
    #[serde(rename = "ValidEd25519")]
    pub valid: bool,
    /// The response's signature verifies with it.
    #[serde(rename = "MatchingSignature")]
    pub matching_signature: bool,
}

/// `VersionReport`: all three omitted when empty.
#[derive(Debug, Serialize, Default)]
pub struct VersionReport {
    /// `server.name`.
    #[serde(rename = "name", skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `server.version`.
    #[serde(rename = "version", skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Why there is none.
    #[serde(rename = "error", skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// The tester's report for `report` and what was seen at its targets, at `now_ms` (Unix
/// milliseconds, for `FutureValidUntilTS`).
pub fn server_report(report: &Report, targets: &[TargetObs], now_ms: i64) -> ServerReport {
    if report.findings.iter().any(|f| name_problem(f.code)) {
        return invalid_name(report);
    }
    let mut out = ServerReport {
        error: String::new(),
        well_known: well_known(report, now_ms / 1000),
        dns: dns(report),
        connection_reports: BTreeMap::new(),
        connection_errors: BTreeMap::new(),
        version: version(report),
        federation_ok: report.ok,
    };
    for t in report.targets.iter().filter(|t| !t.fallback) {
        let seen = targets.iter().find(|o| o.target.address() == t.address);
        match seen.map(|o| connection(report, t, o, now_ms)) {
            Some(Ok(c)) => {
                out.connection_reports.insert(t.address.clone(), c);
            }
            Some(Err(e)) => {
                out.connection_errors.insert(t.address.clone(), message(e));
            }
            None => {
                let why = t
                    .not_checked
                    .clone()
                    .unwrap_or_else(|| "not checked".into());
                out.connection_errors
                    .insert(t.address.clone(), message(why));
            }
        }
    }
    out
}

/// The tester's body: Go's `json.Indent` with two spaces, `<`, `>`, `&`, U+2028 and U+2029
/// escaped as Go's encoder does, no trailing newline.
pub fn to_go_json(report: &ServerReport) -> String {
    let s = serde_json::to_string_pretty(report).unwrap_or_default();
    // Outside strings JSON has none of these characters, so replacing them is escaping them.
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The finding codes of a string that is not a server name.
fn name_problem(code: Code) -> bool {
    matches!(
        code,
        Code::NameInvalid
            | Code::NameHasScheme
            | Code::NameHasPath
            | Code::NameHasWhitespace
            | Code::NameUnbracketedIpv6
            | Code::NamePortInvalid
            | Code::NameNonAscii
            | Code::NameIsUserId
    )
}

/// The tester's early stop: `Error` set, everything else at its zero value.
fn invalid_name(report: &Report) -> ServerReport {
    ServerReport {
        error: format!("Invalid server name '{}'", report.server_name),
        well_known: WellKnownResult {
            m_server: String::new(),
            result: String::new(),
            cache_expires_at: 0,
        },
        dns: DnsResult {
            srv_skipped: false,
            srv_cname: String::new(),
            srv_records: None,
            srv_error: None,
            hosts: None,
            addrs: None,
        },
        connection_reports: BTreeMap::new(),
        connection_errors: BTreeMap::new(),
        version: VersionReport::default(),
        federation_ok: false,
    }
}

fn well_known(report: &Report, now: i64) -> WellKnownResult {
    let d = &report.discovery;
    let step = d.steps.iter().find(|s| s.kind == StepKind::WellKnown);
    match (&d.delegated_server, step) {
        (Some(m_server), _) => WellKnownResult {
            m_server: m_server.clone(),
            result: String::new(),
            cache_expires_at: d
                .well_known
                .as_ref()
                .and_then(|w| w.cache.as_ref())
                .and_then(|c| c.requested_seconds)
                .map_or(0, |s| now.saturating_add(s.min(i64::MAX as u64) as i64)),
        },
        (None, Some(step)) => WellKnownResult {
            m_server: String::new(),
            result: match step.status {
                StepStatus::NotFound => "No .well-known found".to_owned(),
                _ => format!("{}: {}", step.answer, step.meaning),
            },
            cache_expires_at: 0,
        },
        (None, None) => WellKnownResult {
            m_server: String::new(),
            result: "No .well-known lookup: the server name is an IP literal or has a port"
                .to_owned(),
            cache_expires_at: 0,
        },
    }
}

fn dns(report: &Report) -> DnsResult {
    let d = &report.discovery;
    let srv_skipped = matches!(
        d.step,
        Some(
            SpecStep::IpLiteral
                | SpecStep::ExplicitPort
                | SpecStep::WellKnownIpLiteral
                | SpecStep::WellKnownExplicitPort
        )
    );
    let (srv_cname, srv_records, srv_error) = match srv_skipped {
        true => (String::new(), None, None),
        false => srv(d),
    };
    let addrs: Vec<String> = d.targets.iter().map(|t| t.address()).collect();
    DnsResult {
        srv_skipped,
        srv_cname,
        srv_records,
        srv_error,
        hosts: Some(hosts(d)),
        addrs: (!addrs.is_empty()).then_some(addrs),
    }
}

/// `SRVCName`, `SRVRecords` and `SRVError` from the SRV lookups resolution consulted (steps
/// without a number are diagnostic extras).
fn srv(d: &crate::report::Discovery) -> (String, Option<Vec<SrvRecord>>, Option<Message>) {
    let consulted: Vec<_> = d
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Srv && s.step.is_some())
        .collect();
    let answered = consulted.iter().find(|s| s.status == StepStatus::Ok);
    match (answered, consulted.last()) {
        (Some(s), _) => (
            format!("{}.", s.query.trim_end_matches(" SRV")),
            Some(srv_records(s)),
            None,
        ),
        (None, Some(s)) => (
            String::new(),
            None,
            Some(message(format!("{}: {}", s.query, s.answer))),
        ),
        (None, None) => (String::new(), None, None),
    }
}

/// `Hosts`: each host the targets came from with its addresses, and each host whose lookup
/// failed with why.
fn hosts(d: &crate::report::Discovery) -> BTreeMap<String, HostResult> {
    let mut hosts: BTreeMap<String, HostResult> = BTreeMap::new();
    for t in d.targets.iter() {
        // The tester keys an SRV target as DNS wrote it (trailing dot), other hosts bare.
        let from_srv = matches!(
            t.step,
            SpecStep::WellKnownSrv
                | SpecStep::WellKnownLegacySrv
                | SpecStep::Srv
                | SpecStep::LegacySrv
        );
        let key = match from_srv {
            true => format!("{}.", t.hostname.trim_end_matches('.')),
            false => t.hostname.clone(),
        };
        let h = hosts.entry(key).or_insert_with(|| HostResult {
            cname: format!("{}.", t.hostname.trim_end_matches('.')),
            addrs: Some(vec![]),
            error: None,
        });
        let ip = t.ip.to_string();
        if let Some(a) = h.addrs.as_mut().filter(|a| !a.contains(&ip)) {
            a.push(ip);
        }
    }
    let failed = d
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Address && s.step.is_some() && s.status != StepStatus::Ok);
    for s in failed {
        let host = s.query.trim_end_matches(" A/AAAA").to_owned();
        hosts.entry(host.clone()).or_insert_with(|| HostResult {
            cname: format!("{}.", host.trim_end_matches('.')),
            addrs: None,
            error: Some(message(format!("{}: {}", s.query, s.answer))),
        });
    }
    hosts
}

/// The SRV records of a trace step (`priority weight port target`, as the report writes them).
fn srv_records(step: &crate::report::Step) -> Vec<SrvRecord> {
    step.dns
        .iter()
        .flat_map(|q| &q.records)
        .filter(|r| r.record_type == "SRV")
        .filter_map(|r| {
            let mut f = r.value.split_whitespace();
            let (p, w, port, target) = (f.next()?, f.next()?, f.next()?, f.next()?);
            Some(SrvRecord {
                target: format!("{}.", target.trim_end_matches('.')),
                port: port.parse().ok()?,
                priority: p.parse().ok()?,
                weight: w.parse().ok()?,
            })
        })
        .collect()
}

fn version(report: &Report) -> VersionReport {
    let main = || report.targets.iter().filter(|t| !t.fallback);
    if let Some(s) = main().find_map(|t| t.server.as_ref()) {
        return VersionReport {
            name: s.name.clone().unwrap_or_default(),
            version: s.version.clone().unwrap_or_default(),
            error: String::new(),
        };
    }
    let why = main()
        .flat_map(|t| &t.checks)
        .find(|c| c.name == crate::report::CheckName::Version)
        .map(|c| c.detail.clone())
        .or_else(|| main().find_map(|t| t.not_checked.clone()))
        .unwrap_or_else(|| "no address to ask".to_owned());
    VersionReport {
        error: format!("/_matrix/federation/v1/version: {why}"),
        ..Default::default()
    }
}

/// The report of one address, or why its key fetch failed.
fn connection(
    report: &Report,
    target: &TargetReport,
    seen: &TargetObs,
    now_ms: i64,
) -> Result<ConnectionReport, String> {
    if let Some(why) = &target.not_checked {
        return Err(why.clone());
    }
    let keys = keys_body(&seen.keys)?;
    let tls = seen.keys.tls.as_ref();
    let valid_certificates = tls.and_then(|t| t.verdict.as_ref()) == Some(&CertVerdict::Valid);
    let verified: &[String] = target
        .keys
        .as_ref()
        .map_or(&[], |k| k.verified_key_ids.as_slice());
    let checks = key_checks(
        &report.server_name,
        &keys,
        verified,
        valid_certificates,
        now_ms,
    );
    let verify_keys: BTreeMap<String, String> = ed25519_keys(&keys)
        .filter(|(id, _)| checks.ed25519.get(id).is_some_and(|c| c.matching_signature))
        .collect();
    let errors = match tls.and_then(|t| t.verdict.as_ref()) {
        Some(CertVerdict::Valid) => vec![],
        Some(v) => vec![message(format!("x509: certificate {}", v.describe()))],
        None => vec![message("x509: no certificate verdict")],
    };
    Ok(ConnectionReport {
        certificates: tls.map(|t| certificates(&t.chain)).unwrap_or_default(),
        cipher: Cipher {
            version: tls
                .and_then(|t| t.version.as_deref())
                .map(go_tls_version)
                .unwrap_or_default(),
            cipher_suite: tls
                .and_then(|t| t.cipher_suite.as_deref())
                .map(go_cipher_suite)
                .unwrap_or_default(),
        },
        checks,
        errors,
        ed25519_verify_keys: (!verify_keys.is_empty()).then_some(verify_keys),
        info: BTreeMap::new(),
        keys,
    })
}

/// The key response as JSON, or the tester's reason for a connection error.
fn keys_body(ex: &Exchange) -> Result<Value, String> {
    let r = ex.result.as_ref().map_err(|e| e.describe())?;
    if r.status != 200 {
        return Err(format!("Non-200 response {} from remote server", r.status));
    }
    match serde_json::from_slice::<Value>(&r.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err("the key response is not a JSON object".to_owned()),
        Err(e) => Err(format!("the key response is not JSON: {e}")),
    }
}

/// `verify_keys` entries whose id is `ed25519:…`: (id, unpadded base64 key).
fn ed25519_keys(keys: &Value) -> impl Iterator<Item = (String, String)> + '_ {
    keys.get("verify_keys")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(id, _)| id.split(':').next() == Some("ed25519"))
        .map(|(id, v)| {
            let key = v.get("key").and_then(Value::as_str).unwrap_or_default();
            (id.clone(), key.to_owned())
        })
}

/// gomatrixserverlib's `CheckKeys`, with delegcheck's signature verdicts (`verified`).
fn key_checks(
    server_name: &str,
    keys: &Value,
    verified: &[String],
    valid_certificates: bool,
    now_ms: i64,
) -> ConnectionChecks {
    let matching_server_name = keys.get("server_name").and_then(Value::as_str) == Some(server_name);
    let future_valid_until = keys
        .get("valid_until_ts")
        .and_then(Value::as_i64)
        .is_some_and(|ts| ts > now_ms);
    let ed25519: BTreeMap<String, Ed25519Check> = ed25519_keys(keys)
        .map(|(id, key)| {
            let valid = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(key.trim_end_matches('='))
                .is_ok_and(|b| b.len() == 32);
            let matching_signature = valid && verified.contains(&id);
            (
                id,
                Ed25519Check {
                    valid,
                    matching_signature,
                },
            )
        })
        .collect();
    let has_ed25519 = !ed25519.is_empty();
    let all_ed25519_ok =
        has_ed25519.then(|| ed25519.values().all(|c| c.valid && c.matching_signature));
    ConnectionChecks {
        all_ok: matching_server_name
            && future_valid_until
            && has_ed25519
            && all_ed25519_ok == Some(true)
            && valid_certificates,
        matching_server_name,
        future_valid_until,
        has_ed25519,
        all_ed25519_ok,
        ed25519,
        valid_certificates,
    }
}

fn certificates(chain: &[Vec<u8>]) -> Vec<CertSummary> {
    chain.iter().map(|der| cert_summary(der)).collect()
}

fn cert_summary(der: &[u8]) -> CertSummary {
    use x509_parser::prelude::*;
    let cn = |name: &X509Name<'_>| {
        name.iter_common_name()
            .next()
            .and_then(|c| c.as_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let parsed = X509Certificate::from_der(der).ok().map(|(_, c)| c);
    let names = crate::checks::cert::parse_leaf(der)
        .map(|l| l.dns_names)
        .unwrap_or_default();
    CertSummary {
        subject_cn: parsed.as_ref().map(|c| cn(c.subject())).unwrap_or_default(),
        issuer_cn: parsed.as_ref().map(|c| cn(c.issuer())).unwrap_or_default(),
        sha256: base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, der)),
        dns_names: (!names.is_empty()).then_some(names),
    }
}

/// rustls' `TLSv1_3` / `TLSv1.3` as Go's `tls.VersionName`: `TLS 1.3`.
fn go_tls_version(v: &str) -> String {
    let digits = v
        .trim_start_matches("TLSv")
        .trim_start_matches("TLS")
        .replace('_', ".");
    format!("TLS {}", digits.trim())
}

/// rustls' `TLS13_AES_128_GCM_SHA256` as Go names it: `TLS_AES_128_GCM_SHA256` (TLS 1.2 suites
/// have the same names in both).
fn go_cipher_suite(s: &str) -> String {
    match s.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests;
