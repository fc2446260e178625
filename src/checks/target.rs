//! At every target: TCP, TLS, the certificate for the spec's name, the federation endpoints
//! with the spec's Host header, and a routing probe; then consistency across targets.

use std::time::Duration;

use serde_json::Value;

use crate::discovery::Resolution;
use crate::discovery::followup::{conduwuit_host, matrix_error};
use crate::findings::{Code, Severity};
use crate::implementations::SYNAPSE;
use crate::obs::{
    ConnectFailure, Exchange, HttpResponse, OLD_TLS, RequestFailure, TlsFailure, TlsObs,
};
use crate::obs::{KEYS_PATH, TargetObs, VERSION_PATH};
use crate::report::{
    Check, CheckName, CheckStatus, Family, Finding, ServerSoftware, SpecStep, Target, TargetReport,
    TlsInfo,
};
use crate::sanitize::{clip, escape, excerpt};
use crate::server_name::ServerName;

/// A response slower than this is worth a warning.
pub(crate) const SLOW: Duration = Duration::from_secs(5);

/// Did a federation request reach a homeserver? `Ok` with a short description when it came
/// back as a Matrix error (401 `M_UNAUTHORIZED`, or another 4xx Matrix error), `Err` with what
/// came back instead.
fn routed(r: &Result<HttpResponse, RequestFailure>) -> Result<String, String> {
    match r {
        Ok(r) => match matrix_error(r) {
            Some(code) if r.status == 401 && code == "M_UNAUTHORIZED" => {
                Ok("401 M_UNAUTHORIZED".into())
            }
            Some(code) if (400..500).contains(&r.status) => {
                Ok(format!("{} {}", r.status, escape(&clip(&code, 40))))
            }
            _ => Err(describe_response(r)),
        },
        Err(e) => Err(escape(&e.describe())),
    }
}

fn ms(d: Duration) -> Option<u64> {
    Some(d.as_millis() as u64)
}

fn check(
    name: CheckName,
    status: CheckStatus,
    detail: impl Into<String>,
    d: Option<Duration>,
) -> Check {
    Check {
        name,
        status,
        detail: detail.into(),
        duration_ms: d.and_then(ms),
    }
}

fn status_of(findings: &[Finding]) -> CheckStatus {
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Error) => CheckStatus::Fail,
        Some(Severity::Warning) => CheckStatus::Warn,
        _ => CheckStatus::Pass,
    }
}

/// What answered, in a few words: a proxy's error page or a redirect by what it is, anything
/// else by status, content type and the start of the body.
fn describe_response(r: &HttpResponse) -> String {
    if let Some(reason) = gateway_error(r) {
        let from = r
            .header("server")
            .map(|s| escape(&clip(s, 40)))
            .unwrap_or_else(|| "the proxy".to_owned());
        return format!("{} {reason} from {from}", r.status);
    }
    if let Some(reason) = redirect(r.status) {
        let to = r
            .header("location")
            .map(|l| escape(&clip(l, 80)))
            .unwrap_or_else(|| "nowhere (no Location)".to_owned());
        return format!("{} {reason} to {to}", r.status);
    }
    let ct = r.header("content-type").unwrap_or("no content type");
    let body = excerpt(&r.body, 50);
    format!("{} ({}) `{}`", r.status, escape(&clip(ct, 40)), body)
}

/// The checks after TCP, in report order (`HostPort` only where it is probed).
const AFTER_TCP: [CheckName; 5] = [
    CheckName::Tls,
    CheckName::Certificate,
    CheckName::Version,
    CheckName::Keys,
    CheckName::Routing,
];

/// One target's report in the making: the checks so far and their findings.
struct Judged {
    report: TargetReport,
    checks: Vec<Check>,
    findings: Vec<Finding>,
}

impl Judged {
    /// Records a check with the findings that decided its status.
    fn push(&mut self, name: CheckName, detail: String, d: Option<Duration>, f: Vec<Finding>) {
        self.checks.push(check(name, status_of(&f), detail, d));
        self.findings.extend(f);
    }

    /// The one "skip the rest" rule: every check from `from` on is skipped for `why`.
    fn skip_rest(
        mut self,
        from: usize,
        host_port: bool,
        why: &str,
    ) -> (TargetReport, Vec<Finding>) {
        for n in &AFTER_TCP[from..] {
            self.checks.push(check(*n, CheckStatus::Skip, why, None));
        }
        if host_port {
            self.checks
                .push(check(CheckName::HostPort, CheckStatus::Skip, why, None));
        }
        // A target that cannot be reached never passes.
        self.report.checks = self.checks;
        (self.report, self.findings)
    }

    /// A check that could not be made for a reason of the checking host: skipped, with no
    /// finding against the server, and the target is not `ok`.
    fn not_checked(&mut self, name: CheckName, why: &str) {
        self.not_checked_because(name, why.to_owned());
    }

    fn not_checked_because(&mut self, name: CheckName, why: String) {
        self.checks
            .push(check(name, CheckStatus::Skip, why.clone(), None));
        if self.report.not_checked.is_none() {
            self.report.not_checked = Some(why.clone());
            let at = self.report.address.clone();
            self.findings
                .push(Finding::plain(Code::NotChecked, format!("{at}: {why}")).at_target(at));
        }
    }

    fn finish(mut self) -> (TargetReport, Vec<Finding>) {
        self.report.ok = self.report.not_checked.is_none()
            && !self.findings.iter().any(|f| f.severity == Severity::Error);
        self.report.checks = self.checks;
        (self.report, self.findings)
    }
}

/// Judges one target; returns its report and its findings.
pub(crate) fn judge_one(
    name: &ServerName,
    res: &Resolution,
    o: &TargetObs,
    now: i64,
    expiry: super::cert::Expiry,
) -> (TargetReport, Vec<Finding>) {
    let t = &o.target;
    let exchanges = [&o.keys, &o.version, &o.routing];
    let mut j = Judged {
        report: TargetReport {
            address: t.address(),
            family: Family::of(t.ip),
            fallback: false,
            ok: false,
            checks: vec![],
            tls: None,
            certificate: None,
            server: None,
            keys: None,
            not_checked: None,
        },
        checks: vec![],
        findings: vec![],
    };
    let host_port = o.host_port.is_some();
    let probe_side = o.keys.result.as_ref().err().and_then(|e| e.probe_side());
    let Some(first) = exchanges.iter().find(|e| e.connect.is_some()) else {
        if let Some(why) = probe_side {
            j.not_checked(CheckName::Tcp, why);
            return j.skip_rest(0, host_port, why);
        }
        judge_tcp_failure(&mut j, o);
        return j.skip_rest(0, host_port, "not connected");
    };
    j.checks.push(check(
        CheckName::Tcp,
        CheckStatus::Pass,
        "connected",
        first.connect,
    ));
    let tls_obs = exchanges
        .iter()
        .filter_map(|e| e.tls.as_ref())
        .find(|t| t.version.is_some());
    let Some(tls) = tls_obs else {
        if let Some(why) = probe_side {
            j.not_checked(CheckName::Tls, why);
            return j.skip_rest(1, host_port, why);
        }
        judge_tls_failure(&mut j, o);
        return j.skip_rest(1, host_port, "no TLS session");
    };
    judge_tls(&mut j, tls);
    judge_certificate(&mut j, name, res, t, tls, now, expiry);
    judge_version(&mut j, o);
    judge_keys(&mut j, name, res, o, now);
    judge_routing(&mut j, o);
    judge_host_port(&mut j, o);
    j.finish()
}

fn judge_tcp_failure(j: &mut Judged, o: &TargetObs) {
    let t = &o.target;
    let at = t.address();
    let failure = match &o.keys.result {
        Err(RequestFailure::Connect(c)) => *c,
        _ => ConnectFailure::Other,
    };
    let code = match failure {
        ConnectFailure::Refused => Code::TcpRefused,
        ConnectFailure::Timeout => Code::TcpTimeout,
        _ => Code::TcpUnreachable,
    };
    let fam = if t.ip.is_ipv6() { "AAAA" } else { "A" };
    let message = format!(
        "{at} (from the {fam} record of {}): {}",
        escape(&t.hostname),
        failure.describe()
    );
    j.findings
        .push(Finding::plain(code, message).at_target(&at));
    j.checks.push(check(
        CheckName::Tcp,
        CheckStatus::Fail,
        failure.describe(),
        None,
    ));
}

fn judge_tls_failure(j: &mut Judged, o: &TargetObs) {
    let t = &o.target;
    let at = t.address();
    let err = match &o.keys.result {
        Err(e) => e.clone(),
        Ok(_) => RequestFailure::Tls(TlsFailure::NoSession),
    };
    let (code, text) = match &err {
        RequestFailure::TlsOldVersion => (Code::TlsOldVersion, OLD_TLS.to_owned()),
        RequestFailure::TlsTimeout => (
            Code::TlsHandshakeFailed,
            "no TLS handshake in time (does the port speak TLS?)".to_owned(),
        ),
        RequestFailure::Tls(f @ TlsFailure::PlainHttp { .. }) => (Code::TlsPlainHttp, f.describe()),
        e => (Code::TlsHandshakeFailed, e.describe()),
    };
    let hint = match code {
        Code::TlsPlainHttp => format!(
            "Serve TLS on port {port}: in nginx `listen {port} ssl;` (with `ssl_certificate` and `ssl_certificate_key`), not `listen {port};`; in Caddy an https site address; in haproxy `bind :{port} ssl crt …`.",
            port = t.port
        ),
        _ => code.hint().to_owned(),
    };
    let sni = t
        .sni
        .as_deref()
        .map(|s| format!("SNI {s}"))
        .unwrap_or_else(|| "no SNI".into());
    j.findings
        .push(Finding::new(code, format!("{at} ({sni}): {}", escape(&text)), hint).at_target(&at));
    j.checks.push(check(
        CheckName::Tls,
        CheckStatus::Fail,
        escape(&clip(&text, 120)),
        None,
    ));
}

fn judge_tls(j: &mut Judged, tls: &TlsObs) {
    j.report.tls = Some(TlsInfo {
        version: tls.version.clone().unwrap_or_default(),
        cipher_suite: tls.cipher_suite.clone().unwrap_or_default(),
        alpn: tls.alpn.clone(),
    });
    j.checks.push(check(
        CheckName::Tls,
        CheckStatus::Pass,
        format!(
            "{} {}",
            tls.version.as_deref().unwrap_or("?"),
            tls.cipher_suite.as_deref().unwrap_or("")
        ),
        Some(tls.duration),
    ));
}

fn judge_certificate(
    j: &mut Judged,
    name: &ServerName,
    res: &Resolution,
    t: &Target,
    tls: &TlsObs,
    now: i64,
    expiry: super::cert::Expiry,
) {
    let delegated = res.delegated.as_ref().map(|d| d.host.to_string());
    let cert_findings =
        super::cert::judge(t, tls, delegated.as_deref(), &name.to_string(), now, expiry);
    j.report.certificate = super::cert::info(tls, now);
    let detail = match &j.report.certificate {
        Some(c) if cert_findings.is_empty() => {
            format!("valid for {}, {} days left", t.tls_server_name, c.days_left)
        }
        Some(c) => {
            let codes: Vec<&str> = cert_findings.iter().map(|f| f.code.as_str()).collect();
            let days = if c.days_left < 0 {
                format!("expired {} days ago", -c.days_left)
            } else {
                format!("{} days left", c.days_left)
            };
            format!(
                "{} (covers {}; must cover {}; {days})",
                codes.join(", "),
                escape(&clip(&c.names.join(", "), 80)),
                t.tls_server_name
            )
        }
        None => "no certificate".into(),
    };
    j.push(CheckName::Certificate, detail, None, cert_findings);
}

/// A failed endpoint request: the finding and the check's detail. When what answered has a
/// finding of its own (a proxy's error page, a redirect, broken HTTP), the fix points there
/// instead of at the routing.
fn endpoint_failed(
    code: Code,
    path: &str,
    at: &str,
    result: &Result<HttpResponse, RequestFailure>,
) -> (Finding, String) {
    let cause = match result {
        Ok(r) if gateway_error(r).is_some() => Some(Code::FederationUpstreamDown),
        Ok(r) if redirect(r.status).is_some() => Some(Code::FederationRedirect),
        Err(RequestFailure::Http(_)) => Some(Code::FederationBadHttp),
        _ => None,
    };
    let hint = match cause {
        Some(c) => {
            let title = c.title();
            let mut chars = title.chars();
            let first = chars.next().map(|f| f.to_lowercase().to_string());
            format!(
                "Fix {c} first: {}{}.",
                first.unwrap_or_default(),
                chars.as_str()
            )
        }
        None => code.hint().to_owned(),
    };
    match result {
        Ok(r) => (
            Finding::new(
                code,
                format!("{path} on {at} answered {}", describe_response(r)),
                hint,
            )
            .at_target(at),
            match cause {
                Some(_) => describe_response(r),
                None => format!("HTTP {}", r.status),
            },
        ),
        Err(e) => (
            Finding::new(
                code,
                format!("{path} on {at}: {}", escape(&e.describe())),
                hint,
            )
            .at_target(at),
            escape(&clip(&e.describe(), 100)),
        ),
    }
}

/// When an endpoint's request failed for a reason of the checking host (the deadline, no
/// route, a response larger than delegcheck reads): records the check as not made and
/// returns true.
fn cut_short(j: &mut Judged, name: CheckName, e: &Exchange) -> bool {
    match &e.result {
        Err(f) => match f.probe_side() {
            Some(why) => {
                j.not_checked(name, why);
                true
            }
            None => false,
        },
        // Cut at delegcheck's cap: only a success needs its body judged (an error page is
        // judged by its status).
        Ok(r) if r.truncated && r.status == 200 => {
            j.not_checked_because(name, over_cap(r.body.len()));
            true
        }
        Ok(_) => false,
    }
}

/// A response cut at delegcheck's own cap: not judged, with what the implementations read.
fn over_cap(cap: usize) -> String {
    let synapse = SYNAPSE.federation_response_limit / (1024 * 1024);
    format!(
        "not checked: the response is larger than the {} KiB delegcheck reads (Synapse reads up to {synapse} MiB; Dendrite and the conduwuit family have no limit of their own)",
        cap / 1024
    )
}

fn judge_version(j: &mut Judged, o: &TargetObs) {
    if cut_short(j, CheckName::Version, &o.version) {
        return;
    }
    let at = o.target.address();
    let mut found = Vec::new();
    let detail = match &o.version.result {
        Ok(r) if r.status == 200 => {
            let v: Option<Value> = serde_json::from_slice(&r.body).ok();
            let server = v.as_ref().and_then(|v| v.get("server"));
            let get = |k: &str| {
                server
                    .and_then(|s| s.get(k))
                    .and_then(Value::as_str)
                    .map(|s| clip(s, 80))
            };
            if server.is_some() {
                j.report.server = Some(ServerSoftware {
                    name: get("name"),
                    version: get("version"),
                });
                format!(
                    "{} {}",
                    escape(&get("name").unwrap_or_default()),
                    escape(&get("version").unwrap_or_default())
                )
            } else {
                found.push(
                    endpoint_failed(
                        Code::FederationVersionFailed,
                        VERSION_PATH,
                        &at,
                        &o.version.result,
                    )
                    .0,
                );
                "not a homeserver answer".into()
            }
        }
        other => {
            let (f, d) = endpoint_failed(Code::FederationVersionFailed, VERSION_PATH, &at, other);
            found.push(f);
            d
        }
    };
    let d = o.version.result.as_ref().ok().map(|r| r.duration);
    j.push(CheckName::Version, detail, d, found);
}

fn judge_keys(j: &mut Judged, name: &ServerName, res: &Resolution, o: &TargetObs, now: i64) {
    if cut_short(j, CheckName::Keys, &o.keys) {
        return;
    }
    let at = o.target.address();
    let mut found = Vec::new();
    let detail = match &o.keys.result {
        Ok(r) if r.status == 200 => {
            let (info, problems) = super::keys::judge(&r.body, &name.to_string(), now * 1000);
            let served_name = info.as_ref().and_then(|i| i.server_name.clone());
            for p in problems {
                let mut f = Finding::plain(p.code, format!("{at}: {}", p.message)).at_target(&at);
                if p.code == Code::KeysServerNameMismatch
                    && let Some(hint) = served_name
                        .as_deref()
                        .and_then(|other| keys_name_hint(name, res, &o.target, other))
                {
                    f.hint = hint;
                }
                found.push(f);
            }
            let d = info
                .as_ref()
                .map(|i| {
                    format!(
                        "{} key(s), {} verified",
                        i.key_ids.len(),
                        i.verified_key_ids.len()
                    )
                })
                .unwrap_or_default();
            j.report.keys = info;
            if r.duration > SLOW {
                found.push(
                    Finding::plain(
                        Code::FederationSlow,
                        format!("{KEYS_PATH} on {at} took {} ms", r.duration.as_millis()),
                    )
                    .at_target(&at),
                );
            }
            d
        }
        other => {
            let (f, d) = endpoint_failed(Code::KeysFailed, KEYS_PATH, &at, other);
            found.push(f);
            d
        }
    };
    let d = o.keys.result.as_ref().ok().map(|r| r.duration);
    j.push(CheckName::Keys, detail, d, found);
}

/// The hint when the keys name another server that is the delegated host or the host the
/// target runs on: the classic `server_name` mix-up.
fn keys_name_hint(name: &ServerName, res: &Resolution, t: &Target, other: &str) -> Option<String> {
    let delegated_host = res
        .delegated
        .as_ref()
        .is_some_and(|d| d.host.to_string() == other);
    if !delegated_host && !other.eq_ignore_ascii_case(&t.hostname) {
        return None;
    }
    let role = if delegated_host {
        "the delegated host"
    } else {
        "the host it runs on"
    };
    Some(format!(
        "This homeserver calls itself {}, {role}. Its `server_name` must be {name} (the name in your user IDs; it cannot change after the first start), or you meant to check {} instead; delegation only says where to connect.",
        escape(other),
        escape(other)
    ))
}

fn judge_routing(j: &mut Judged, o: &TargetObs) {
    if cut_short(j, CheckName::Routing, &o.routing) {
        return;
    }
    let t = &o.target;
    let mut found = Vec::new();
    let detail = match routed(&o.routing.result) {
        Ok(d) => d,
        Err(d) => {
            found.push(routing_failure(o, &d).at_target(t.address()));
            d
        }
    };
    let dur = o.routing.result.as_ref().ok().map(|r| r.duration);
    j.push(CheckName::Routing, detail, dur, found);
}

/// The unauthenticated request did not reach a homeserver: say what answered instead. The
/// proxy's own error page, a redirect and broken HTTP each have their finding; the rest is
/// a routing problem.
fn routing_failure(o: &TargetObs, answered: &str) -> Finding {
    let routes_by_hostname = o
        .routing_by_hostname
        .as_ref()
        .is_some_and(|e| routed(&e.result).is_ok());
    if !routes_by_hostname {
        match &o.routing.result {
            Ok(r) => {
                if let Some(reason) = gateway_error(r) {
                    return upstream_down(o, r, reason);
                }
                if let Some(reason) = redirect(r.status) {
                    return federation_redirect(o, r, reason);
                }
            }
            Err(RequestFailure::Http(f)) => {
                return Finding::plain(
                    Code::FederationBadHttp,
                    format!(
                        "an unauthenticated federation request to {} (Host {}) got a broken response: {}",
                        o.target.address(),
                        escape(&o.target.host_header),
                        escape(&f.describe())
                    ),
                );
            }
            Err(_) => {}
        }
    }
    not_routed(o, answered)
}

/// The reason phrase of a status that is a reverse proxy's own error page (and not a Matrix
/// error from the homeserver): 502, 503, 504, and Cloudflare's 520-524.
fn gateway_error(r: &HttpResponse) -> Option<&'static str> {
    let reason = match r.status {
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        520 => "Web Server Returned an Unknown Error",
        521 => "Web Server Is Down",
        522 => "Connection Timed Out",
        523 => "Origin Is Unreachable",
        524 => "A Timeout Occurred",
        _ => return None,
    };
    matrix_error(r).is_none().then_some(reason)
}

/// The reason phrase of a redirect status.
fn redirect(status: u16) -> Option<&'static str> {
    Some(match status {
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        _ => return None,
    })
}

/// The words of an error page: the text between its tags (the `<head>` dropped), whitespace
/// collapsed, clipped and escaped.
fn page_text(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(8192)]);
    let lower = text.to_ascii_lowercase();
    let text = match (lower.find("<head"), lower.find("</head>")) {
        (Some(a), Some(b)) if b > a => format!("{}{}", &text[..a], &text[b + 7..]),
        _ => text.into_owned(),
    };
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    escape(&clip(&words.join(" "), max))
}

/// The proxy answered with its own error page: the homeserver behind it is down or stuck.
fn upstream_down(o: &TargetObs, r: &HttpResponse, reason: &str) -> Finding {
    let t = &o.target;
    let at = t.address();
    let server = r
        .header("server")
        .map(|s| format!("Server: {}", escape(&clip(s, 60))))
        .unwrap_or_else(|| "no Server header".to_owned());
    let page = page_text(&r.body, 80);
    let page = if page.is_empty() {
        String::new()
    } else {
        format!(", page `{page}`")
    };
    let (what, hint) = if matches!(r.status, 504 | 522 | 524) {
        (
            format!(
                "the homeserver behind it did not answer in time (the proxy's {} came after {} ms)",
                r.status,
                r.duration.as_millis()
            ),
            "The proxy reaches an upstream that does not answer: check that the homeserver is running and not stuck or overloaded (its log, CPU, database), and that `proxy_pass` (nginx), `reverse_proxy` (Caddy) or the backend `server` (haproxy) points at the homeserver's listener (a firewall dropping the proxy's connection looks the same). The proxy's error log names the upstream it waited for.",
        )
    } else if r.status == 503 {
        (
            "it has no working homeserver behind it".to_owned(),
            "Check that the homeserver is running and passes the proxy's health checks, and the upstream address and port in the proxy configuration. The proxy's error log names the upstream it tried.",
        )
    } else {
        (
            "the homeserver behind it does not answer".to_owned(),
            "Check that the homeserver is running (`systemctl status matrix-synapse`, `docker ps`) and listens where the proxy sends /_matrix: the address and port of `proxy_pass` (nginx), `reverse_proxy` (Caddy) or the backend `server` (haproxy) must be the homeserver's listener (Synapse: `listeners`, port 8008 by default, and `bind_addresses`). The proxy's error log names the upstream it tried.",
        )
    };
    Finding::new(
        Code::FederationUpstreamDown,
        format!(
            "the reverse proxy at {at} answered federation requests (Host {}) with {} {reason} ({server}{page}): it routes /_matrix, but {what}",
            escape(&t.host_header),
            r.status
        ),
        hint,
    )
}

/// The federation port answered with a redirect, which homeservers do not follow there.
fn federation_redirect(o: &TargetObs, r: &HttpResponse, reason: &str) -> Finding {
    let t = &o.target;
    let at = t.address();
    let to = match r.header("location") {
        Some(l) => format!("to {}", escape(&clip(l, 120))),
        None => "without a Location header".to_owned(),
    };
    Finding::new(
        Code::FederationRedirect,
        format!(
            "{at} answers federation requests (Host {}) with {} {reason} {to}: federation requests must be answered here, homeservers do not follow redirects on them (Synapse fails the request)",
            escape(&t.host_header),
            r.status
        ),
        format!(
            "Serve /_matrix/ on {at} itself, without a redirect: look for a blanket redirect that also catches it (nginx `return 301 https://$host$request_uri;`, an HTTP-to-HTTPS or www rule). To move federation to another host, delegate to it with the well-known or SRV instead."
        ),
    )
}

/// The unauthenticated request did not reach a homeserver: say whether another Host does.
fn not_routed(o: &TargetObs, answered: &str) -> Finding {
    let t = &o.target;
    let at = t.address();
    let message = format!(
        "an unauthenticated federation request to {at} (Host {}) answered {answered}, not 401 M_UNAUTHORIZED from the homeserver",
        escape(&t.host_header)
    );
    let by_hostname = o.routing_by_hostname.as_ref().map(|e| routed(&e.result));
    let Some(Ok(_)) = by_hostname else {
        return Finding::plain(Code::FederationNotRouted, message);
    };
    let hint = if t.host_header.starts_with(&format!("{}:", t.hostname)) {
        // Only the port differs: an exact match on the whole header.
        format!(
            "Make the proxy match the Host header without its port: servers send `{}` (haproxy: `hdr(host)` compares the whole header; use `req.hdr(host),host_only` or `hdr_dom(host)`).",
            escape(&t.host_header)
        )
    } else {
        format!(
            "Make the federation vhost answer Host {} too (nginx: add it to server_name; haproxy: add it to the host match).",
            escape(&t.host_header)
        )
    };
    Finding::new(
        Code::FederationNotRouted,
        format!(
            "{message}; with Host {} the homeserver answers, so the reverse proxy routes on that name only",
            escape(&t.hostname)
        ),
        hint,
    )
}

fn judge_host_port(j: &mut Judged, o: &TargetObs) {
    let Some(hp) = &o.host_port else { return };
    if cut_short(j, CheckName::HostPort, hp) {
        return;
    }
    let t = &o.target;
    let host = conduwuit_host(t).unwrap_or_default();
    let routing_ok = routed(&o.routing.result).is_ok();
    let (status, d) = match routed(&hp.result) {
        Ok(d) => (CheckStatus::Pass, d),
        // Only meaningful when the spec's Host works: otherwise routing already failed.
        Err(d) if routing_ok => {
            j.findings.push(
                Finding::plain(
                    Code::FederationHostPort,
                    format!(
                        "{} routes `Host: {}` but not `Host: {host}` (answered {d})",
                        t.address(),
                        t.host_header
                    ),
                )
                .at_target(t.address()),
            );
            (CheckStatus::Warn, d)
        }
        Err(d) => (CheckStatus::Fail, d),
    };
    j.checks.push(check(
        CheckName::HostPort,
        status,
        format!("Host {host}: {d}"),
        None,
    ));
}

/// Judges every target, then the consistency between them.
pub(crate) fn judge_all(
    name: &ServerName,
    res: &Resolution,
    obs: &[TargetObs],
    expiry: super::cert::Expiry,
) -> (Vec<TargetReport>, Vec<Finding>) {
    let (reports, mut findings) = judge_each(name, res, obs, false, expiry);
    consistency(&reports, &mut findings);
    // A target not checked from here that has no error of its own may well work: no verdict
    // against the server then.
    let unchecked = reports.iter().any(|r| {
        r.not_checked.is_some()
            && !findings.iter().any(|f| {
                f.severity == Severity::Error && f.target.as_deref() == Some(r.address.as_str())
            })
    });
    if !reports.is_empty() && !reports.iter().any(|r| r.ok) && !unchecked {
        let all_tcp_failed = reports.iter().all(|r| {
            r.checks
                .first()
                .is_some_and(|c| c.status == CheckStatus::Fail)
        });
        let hint = match (res.step, all_tcp_failed, &res.delegated) {
            (Some(SpecStep::WellKnownDefaultPort), true, Some(d)) => format!(
                "`m.server` has no port, so servers connect to {d} on port 8448, which does not answer. If federation is served on 443 (the usual reverse-proxy setup), write `\"m.server\": \"{d}:443\"`; otherwise open port 8448."
            ),
            (Some(SpecStep::DefaultPort), true, _) => format!(
                "Without delegation servers connect to {name} on port 8448, which does not answer. Open 8448, or delegate with a well-known (`{{\"m.server\": \"host:443\"}}` at https://{name}/.well-known/matrix/server)."
            ),
            _ => Code::NoWorkingTarget.hint().to_owned(),
        };
        findings.push(Finding::new(
            Code::NoWorkingTarget,
            format!(
                "none of the {} target address(es) passes every check: other servers cannot federate with {name}",
                reports.len()
            ),
            hint,
        ));
    }
    (reports, findings)
}

/// The diagnosis of [`probe_port_443`]: a homeserver answered on 443.
pub(crate) fn judge_port_443(
    name: &ServerName,
    res: &Resolution,
    exchanges: &[Exchange],
) -> Option<Finding> {
    let hit = exchanges.iter().find_map(|e| {
        let r = e.result.as_ref().ok().filter(|r| r.status == 200)?;
        let v: Value = serde_json::from_slice(&r.body).ok()?;
        let server = v.get("server")?;
        let software = [server.get("name"), server.get("version")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        Some((e, software))
    })?;
    let (e, software) = hit;
    let addr = std::net::SocketAddr::new(e.ip, 443);
    let software = escape(&clip(&software, 60));
    let (message, hint) = match (&res.delegated, res.step) {
        (Some(d), Some(SpecStep::WellKnownDefaultPort)) => {
            let host = d.host_string();
            (
                format!(
                    "{host} answers federation on port 443 ({addr}: {software}), but `m.server` ({d}) has no port, so servers connect to port 8448, which does not answer"
                ),
                format!(
                    "Write {{\"m.server\": \"{host}:443\"}} in https://{name}/.well-known/matrix/server (or open port 8448)."
                ),
            )
        }
        _ => (
            format!(
                "{name} answers federation on port 443 ({addr}: {software}), but without delegation servers connect to port 8448, which does not answer"
            ),
            format!(
                "Serve https://{name}/.well-known/matrix/server with {{\"m.server\": \"{name}:443\"}} (or open port 8448)."
            ),
        ),
    };
    Some(
        Finding::new(Code::FederationOn443, message, hint)
            .at_step(res.step.unwrap_or(SpecStep::DefaultPort)),
    )
}

/// Judges the fallback targets (see [`Resolution::fallback`]) one by one. They take no part
/// in `ok`.
pub(crate) fn judge_fallback(
    name: &ServerName,
    res: &Resolution,
    obs: &[TargetObs],
    expiry: super::cert::Expiry,
) -> Vec<TargetReport> {
    // Their checks are shown at each fallback address; the conclusion is in the verdicts of
    // the implementations that go there, not in findings that would read as if every peer did.
    judge_each(name, res, obs, true, expiry).0
}

fn judge_each(
    name: &ServerName,
    res: &Resolution,
    obs: &[TargetObs],
    fallback: bool,
    expiry: super::cert::Expiry,
) -> (Vec<TargetReport>, Vec<Finding>) {
    let now = crate::time::now();
    let mut reports = Vec::new();
    let mut findings = Vec::new();
    for o in obs {
        let (mut r, f) = judge_one(name, res, o, now, expiry);
        r.fallback = fallback;
        reports.push(r);
        findings.extend(f);
    }
    (reports, findings)
}

fn consistency(reports: &[TargetReport], findings: &mut Vec<Finding>) {
    let ok: Vec<&TargetReport> = reports
        .iter()
        .filter(|r| {
            r.checks
                .iter()
                .any(|c| c.name == CheckName::Keys && c.status != CheckStatus::Skip)
        })
        .collect();
    if ok.len() >= 2 {
        let sig = |r: &TargetReport| {
            (
                r.keys.as_ref().and_then(|k| k.server_name.clone()),
                r.keys.as_ref().map(|k| {
                    let mut v = k.key_ids.clone();
                    v.sort();
                    v
                }),
                r.certificate.as_ref().map(|c| c.sha256.clone()),
            )
        };
        // The reference is what most addresses say (the first such address on a tie), so
        // that the odd address is the one named.
        let sigs: Vec<_> = ok.iter().map(|r| sig(r)).collect();
        let count = |s: &_| sigs.iter().filter(|x| *x == s).count();
        let reference = (0..ok.len())
            .max_by_key(|&i| (count(&sigs[i]), std::cmp::Reverse(i)))
            .unwrap_or(0);
        let first = &sigs[reference];
        for (r, s) in ok.iter().zip(&sigs) {
            if s != first {
                let what = if s.0 != first.0 {
                    format!(
                        "server name {:?} vs {:?}",
                        s.0.clone().unwrap_or_default(),
                        first.0.clone().unwrap_or_default()
                    )
                } else if s.1 != first.1 {
                    "different signing key ids".to_owned()
                } else {
                    "a different certificate".to_owned()
                };
                findings.push(
                    Finding::plain(
                        Code::TargetSplitBrain,
                        format!(
                            "{} disagrees with {}: {}",
                            r.address,
                            ok[reference].address,
                            escape(&what)
                        ),
                    )
                    .at_target(&r.address),
                );
            }
        }
    }
    let fam_ok = |f: Family| {
        reports
            .iter()
            .filter(|r| r.family == f && r.not_checked.is_none())
            .map(|r| r.ok)
            .collect::<Vec<_>>()
    };
    let v4 = fam_ok(Family::Ipv4);
    let v6 = fam_ok(Family::Ipv6);
    if !v4.is_empty() && !v6.is_empty() {
        if v4.iter().any(|x| *x) && !v6.iter().any(|x| *x) {
            findings.push(Finding::plain(
                Code::TargetIpv6Broken,
                "federation works over IPv4 only: no IPv6 target passes (peers that prefer IPv6 fail or wait)",
            ));
        } else if v6.iter().any(|x| *x) && !v4.iter().any(|x| *x) {
            findings.push(Finding::plain(
                Code::TargetIpv4Broken,
                "federation works over IPv6 only: no IPv4 target passes, and most peers are IPv4-only",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::discovery::{Observations, resolve};

    fn failed(ip: IpAddr, f: RequestFailure) -> Exchange {
        Exchange {
            ip,
            port: 8448,
            connect: None,
            tls: None,
            result: Err(f),
        }
    }

    /// An AAAA target checked from a host without an IPv6 route is "not checked from here",
    /// never "IPv6 broken".
    #[test]
    fn no_route_from_here_is_not_the_servers_fault() {
        let name = ServerName::parse("[2001:db8::7]:8448").unwrap();
        let res = resolve(&name, &Observations::default())
            .resolution
            .expect("an IP literal resolves at once");
        let target = res.targets[0].clone();
        let no_route = || failed(target.ip, RequestFailure::Connect(ConnectFailure::NoRoute));
        let o = TargetObs {
            target: target.clone(),
            version: no_route(),
            keys: no_route(),
            routing: no_route(),
            host_port: None,
            routing_by_hostname: None,
        };
        let (report, findings) =
            judge_all(&name, &res, std::slice::from_ref(&o), Default::default());
        let t = &report[0];
        assert!(!t.ok);
        assert!(t.not_checked.as_deref().unwrap().contains("no route"));
        assert!(
            t.checks.iter().all(|c| c.status == CheckStatus::Skip),
            "{:?}",
            t.checks
        );
        let codes: Vec<Code> = findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::NotChecked], "no blame: {findings:?}");

        // The same target refusing the connection is the server's problem.
        let refused = || failed(target.ip, RequestFailure::Connect(ConnectFailure::Refused));
        let o = TargetObs {
            version: refused(),
            keys: refused(),
            routing: refused(),
            ..o
        };
        let (report, findings) = judge_all(&name, &res, &[o], Default::default());
        assert!(report[0].not_checked.is_none());
        assert!(findings.iter().any(|f| f.code == Code::TcpRefused));
        assert!(findings.iter().any(|f| f.code == Code::NoWorkingTarget));
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            duration: Duration::from_millis(3),
        }
    }

    const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

    /// A proxy's error page is the proxy's; the same status as a Matrix error is the
    /// homeserver's own answer.
    #[test]
    fn a_proxy_error_page_is_told_from_a_homeserver_error() {
        assert_eq!(
            gateway_error(&response(502, &[], NGINX_502)),
            Some("Bad Gateway")
        );
        assert_eq!(
            gateway_error(&response(524, &[], "")),
            Some("A Timeout Occurred")
        );
        let matrix = r#"{"errcode": "M_UNKNOWN", "error": "overloaded"}"#;
        assert_eq!(gateway_error(&response(503, &[], matrix)), None);
        assert_eq!(gateway_error(&response(500, &[], NGINX_502)), None);
        assert_eq!(gateway_error(&response(404, &[], "")), None);
        assert_eq!(redirect(308), Some("Permanent Redirect"));
        assert_eq!(redirect(304), None, "not a redirect to follow");
        assert_eq!(redirect(200), None);
    }

    #[test]
    fn an_error_page_is_read_as_text() {
        assert_eq!(page_text(NGINX_502.as_bytes(), 80), "502 Bad Gateway nginx");
        assert_eq!(page_text(b"plain words\n\there", 80), "plain words here");
        assert_eq!(page_text(b"<p>a\x1b[2Jb</p>", 80), "a\\u{1b}[2Jb");
        assert!(page_text(&b"word ".repeat(100), 20).chars().count() <= 20);
    }

    #[test]
    fn what_answered_is_said_in_a_few_words() {
        assert_eq!(
            describe_response(&response(502, &[("server", "nginx/1.24.0")], NGINX_502)),
            "502 Bad Gateway from nginx/1.24.0"
        );
        assert_eq!(
            describe_response(&response(504, &[], "")),
            "504 Gateway Timeout from the proxy"
        );
        assert_eq!(
            describe_response(&response(
                301,
                &[("location", "https://www.example.test/")],
                ""
            )),
            "301 Moved Permanently to https://www.example.test/"
        );
        assert_eq!(
            describe_response(&response(302, &[], "")),
            "302 Found to nowhere (no Location)"
        );
        assert_eq!(
            describe_response(&response(
                404,
                &[("content-type", "text/html")],
                "<h1>x</h1>"
            )),
            "404 (text/html) `<h1>x</h1>`"
        );
    }

    /// A failed endpoint whose answer has a finding of its own points at that finding, not
    /// at the routing.
    #[test]
    fn symptoms_point_at_their_cause() {
        let at = "127.0.0.1:8448";
        let (f, d) = endpoint_failed(
            Code::KeysFailed,
            KEYS_PATH,
            at,
            &Ok(response(502, &[("server", "nginx")], NGINX_502)),
        );
        assert_eq!(d, "502 Bad Gateway from nginx");
        assert!(
            f.hint
                .starts_with("Fix federation-upstream-down first: the reverse proxy"),
            "{}",
            f.hint
        );
        let broken = Err(RequestFailure::Http(crate::obs::HttpFailure::BadChunked));
        let (f, _) = endpoint_failed(Code::KeysFailed, KEYS_PATH, at, &broken);
        assert!(
            f.hint.starts_with("Fix federation-bad-http first"),
            "{}",
            f.hint
        );
        assert!(
            f.message.contains("chunked encoding is invalid"),
            "{}",
            f.message
        );
        let (f, d) = endpoint_failed(Code::KeysFailed, KEYS_PATH, at, &Ok(response(404, &[], "")));
        assert_eq!(f.hint, Code::KeysFailed.hint());
        assert_eq!(d, "HTTP 404");
    }
}
