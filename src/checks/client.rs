//! Judging client discovery: the states a native and a web client reach (from
//! `discovery::client`), one step row per request, the TLS of every host touched, and the
//! findings, each naming the clients affected and the fix.

use crate::discovery::client::{
    self as plan, Action, Blocked, Cause, ClientObs, ClientRequest, Outcome, View, Why,
};
use crate::discovery::fetch_summary;
use crate::findings::Code;
use crate::obs::{ConnectFailure, Fetch, RedirectStop, RequestFailure};
use crate::report::{
    ClientHost, ClientOutcome, ClientReport, ClientSide, ClientState, ClientStep, ClientStepKind,
    Finding, StepStatus, TlsInfo,
};
use crate::sanitize::clip;

use super::cert::Expiry;

/// Who is affected, for the messages.
const WEB: &str = "Element Web and every other browser client";

/// Judges client discovery for a server name whose URL host is `host_for_url`;
/// `delegated`: federation is delegated (well-known or SRV), so users expect clients to
/// find the homeserver from their IDs.
pub(crate) fn judge(
    host_for_url: &str,
    delegated: bool,
    obs: &ClientObs,
    now: i64,
    expiry: Expiry,
) -> (ClientReport, Vec<Finding>) {
    let hs = [View::Native, View::Web].map(|v| plan::homeserver(obs, v));
    let is = [View::Native, View::Web].map(|v| plan::identity_server(obs, v));
    let mut findings = Vec::new();
    homeserver_findings(&hs[0], delegated, obs, &mut findings);
    web_findings(&hs, &is, obs, &mut findings);
    identity_findings(&is[0], &mut findings);
    well_known_extras(obs, &mut findings);
    support_findings(obs, &mut findings);
    let auth_issuer = auth_metadata_findings(obs, &mut findings);
    let hosts = host_findings(obs, now, expiry, &mut findings);
    if [&hs[0], &hs[1], &is[0], &is[1]]
        .iter()
        .any(|o| o.state.is_none())
        || findings.iter().any(|f| f.code == Code::ClientNotChecked)
    {
        findings.retain(|f| f.code != Code::ClientNotChecked);
        findings.push(Finding::plain(
            Code::ClientNotChecked,
            "part of client discovery was cut short by this check's own limits (deadline, route, body size); what it did not see is not held against the server",
        ));
    }
    let report = ClientReport {
        ok: true, // set by Report::finalize from the findings
        well_known_url: plan::well_known_url(host_for_url),
        homeserver: side(&hs),
        identity_server: side(&is),
        steps: steps(obs, &hs, &is),
        hosts,
        auth_issuer,
    };
    (report, findings)
}

fn side(o: &[Outcome; 2]) -> ClientSide {
    let one = |o: &Outcome| ClientOutcome {
        state: o.state,
        error: o.error.map(str::to_owned),
        reason: match (o.state, &o.cause) {
            (Some(ClientState::Success), _) | (_, None) => None,
            (_, Some(c)) => Some(cause_text(c)),
        },
    };
    ClientSide {
        base_url: o[0].base_url.clone().or_else(|| o[1].base_url.clone()),
        native: one(&o[0]),
        web: one(&o[1]),
    }
}

/// A failure with nothing answering at all: the same, to a client, as no file.
fn nothing_there(e: &RequestFailure) -> bool {
    matches!(
        e,
        RequestFailure::Dns(_)
            | RequestFailure::Connect(
                ConnectFailure::Refused | ConnectFailure::Timeout | ConnectFailure::Unreachable
            )
    )
}

/// Why, in words.
pub(crate) fn why_text(w: &Why) -> String {
    match w {
        Why::NotChecked(t) => t.clone(),
        Why::Failed(e) => e.describe(),
        Why::Certificate(name, v) => format!(
            "the certificate is {} (for {name})",
            crate::discovery::verdict_text(v)
        ),
        Why::Redirect(RedirectStop::Insecure(u)) => {
            format!("it redirects to plain http ({})", clip(u, 100))
        }
        Why::Redirect(RedirectStop::Loop) => "its redirects loop".into(),
        Why::Redirect(RedirectStop::TooMany) => "more than 20 redirects".into(),
        Why::Redirect(RedirectStop::NoLocation) => "a redirect without Location".into(),
        Why::Redirect(RedirectStop::Unsupported(u)) => {
            format!(
                "it redirects to a URL clients cannot fetch ({})",
                clip(u, 100)
            )
        }
        Why::Redirect(RedirectStop::Internal(u, ip)) => format!(
            "it redirects from a public address into a private one ({}, {ip}), which no client outside that network can follow",
            clip(u, 100)
        ),
        Why::Redirect(RedirectStop::Dns(h, st)) => format!(
            "it redirects to {}, whose lookup fails ({})",
            clip(h, 100),
            st.describe()
        ),
        Why::Redirect(RedirectStop::Deadline) => {
            "not checked: the deadline (--timeout) ended the redirects".into()
        }
        Why::Slow(d) => format!(
            "it took {} ms, longer than matrix-js-sdk's 5 s",
            d.as_millis()
        ),
        Why::Blocked(b) => blocked_text(b),
        Why::Status(s) => format!("status {s}"),
        Why::NotJson => "the body is not JSON".into(),
    }
}

fn blocked_text(b: &Blocked) -> String {
    match b {
        Blocked::NoAllowOrigin { url, status } => format!(
            "the {status} response of {} has no Access-Control-Allow-Origin",
            clip(url, 120)
        ),
        Blocked::WrongOrigin { url, status, value } => format!(
            "the {status} response of {} allows the origin `{}`, not a page of another site (`*` is needed)",
            clip(url, 120),
            clip(value, 80)
        ),
        Blocked::Redirect { url, status } => format!(
            "the {status} redirect from {} has no Access-Control-Allow-Origin, so the browser stops there",
            clip(url, 120)
        ),
        Blocked::MixedContent { url } => format!(
            "{} is plain http, which a browser blocks on an https page",
            clip(url, 120)
        ),
    }
}

fn cause_text(c: &Cause) -> String {
    match c {
        Cause::WellKnown(Action::Ignore) => "the client well-known answers 404".into(),
        Cause::WellKnown(Action::Fail(w)) => format!("the client well-known: {}", why_text(w)),
        Cause::WellKnown(Action::Json(_)) | Cause::Versions(Action::Json(_)) => {
            "the answer is not usable".into()
        }
        Cause::NoHomeserver => "the client well-known has no `m.homeserver` object".into(),
        Cause::NoBaseUrl => "`m.homeserver` has no `base_url`".into(),
        Cause::BadBaseUrl(t) => format!("`base_url` {:?} is not an http(s) URL", clip(t, 100)),
        Cause::Versions(Action::Ignore) => "/_matrix/client/versions answers 404".into(),
        Cause::Versions(Action::Fail(w)) => {
            format!("/_matrix/client/versions: {}", why_text(w))
        }
        Cause::Unsupported(v) => format!(
            "/_matrix/client/versions lists {}, none of v1.1 to v1.13",
            clip(&v.join(", "), 100)
        ),
        Cause::BadIdentityUrl(t) if t.is_empty() => "`m.identity_server` has no `base_url`".into(),
        Cause::BadIdentityUrl(t) => format!(
            "`m.identity_server.base_url` {:?} is not an http(s) URL",
            clip(t, 100)
        ),
        Cause::Identity(Action::Ignore) => "/_matrix/identity/v2 answers 404".into(),
        Cause::Identity(Action::Fail(w)) => format!("/_matrix/identity/v2: {}", why_text(w)),
        Cause::Identity(Action::Json(_)) => "/_matrix/identity/v2 answers an empty value".into(),
    }
}

/// The native homeserver outcome's findings (a web client meets these too).
fn homeserver_findings(o: &Outcome, delegated: bool, obs: &ClientObs, out: &mut Vec<Finding>) {
    let Some(cause) = &o.cause else {
        return;
    };
    let url = obs
        .fetches
        .get(&ClientRequest::WellKnown)
        .map(|f| f.url.clone())
        .unwrap_or_default();
    let text = cause_text(cause);
    let f = match cause {
        Cause::WellKnown(Action::Ignore) => absent(delegated, &text),
        Cause::WellKnown(Action::Fail(w)) => match w {
            Why::Failed(e) if nothing_there(e) => absent(delegated, &text),
            Why::Failed(RequestFailure::Tls(_) | RequestFailure::TlsOldVersion) => {
                plain(Code::ClientTlsInvalid, &url, &text)
            }
            Why::Failed(RequestFailure::Http(_)) => plain(Code::ClientWellKnownStatus, &url, &text),
            // Connected, then no handshake or answer in time: to a client, nothing there.
            Why::Failed(_) => absent(delegated, &text),
            Why::Status(_) => plain(Code::ClientWellKnownStatus, &url, &text),
            Why::NotJson => plain(Code::ClientWellKnownNotJson, &url, &text),
            Why::Redirect(RedirectStop::Insecure(_)) => {
                plain(Code::ClientMixedContent, &url, &text)
            }
            Why::Redirect(_) => plain(Code::ClientWellKnownRedirect, &url, &text),
            Why::Slow(_) => plain(Code::ClientSlow, &url, &text),
            // The host findings name a rejected certificate; the rest is not the server's.
            Why::Certificate(..) | Why::NotChecked(_) | Why::Blocked(_) => return,
        },
        Cause::NoHomeserver | Cause::NoBaseUrl => plain(Code::ClientWellKnownInvalid, &url, &text),
        Cause::BadBaseUrl(_) => plain(Code::ClientBaseUrlInvalid, &url, &text),
        Cause::Versions(Action::Fail(Why::Certificate(..) | Why::NotChecked(_))) => return,
        Cause::Versions(Action::Fail(Why::Slow(_))) => plain(Code::ClientSlow, &url, &text),
        Cause::Versions(_) => Finding::plain(
            Code::ClientVersionsFailed,
            format!(
                "clients validate the base_url {} and fail (FAIL_ERROR): {text}",
                o.base_url.as_deref().unwrap_or("")
            ),
        ),
        Cause::Unsupported(_) => Finding::plain(
            Code::ClientVersionsUnsupported,
            format!("Element Web refuses the homeserver (FAIL_ERROR): {text}"),
        ),
        _ => return,
    };
    out.push(f);
}

fn plain(code: Code, url: &str, text: &str) -> Finding {
    Finding::plain(
        code,
        format!(
            "{}: {text}; clients cannot discover the homeserver ({})",
            clip(url, 120),
            if code == Code::ClientBaseUrlInvalid {
                "FAIL_ERROR: they refuse to log in"
            } else {
                "FAIL_PROMPT: they report an error and ask for the homeserver URL"
            }
        ),
    )
}

fn absent(delegated: bool, text: &str) -> Finding {
    if delegated {
        Finding::plain(
            Code::ClientWellKnownMissing,
            format!(
                "federation is delegated, but {text}: clients cannot discover the homeserver from user IDs and fall back to asking for its URL"
            ),
        )
    } else {
        Finding::plain(
            Code::ClientWellKnownAbsent,
            format!("{text}: clients ask for the homeserver URL"),
        )
    }
}

/// What only a web client meets: CORS on every response and hop it must read, mixed
/// content, and the preflight of authenticated requests.
fn web_findings(hs: &[Outcome; 2], is: &[Outcome; 2], obs: &ClientObs, out: &mut Vec<Finding>) {
    let native_ok = hs[0].state == Some(ClientState::Success);
    let mut reads = vec![];
    // The well-known matters to the web client only when it is usable natively (a 404's
    // CORS is part of the absent/missing finding).
    if hs[0].base_url.is_some() {
        reads.push(ClientRequest::WellKnown);
        reads.push(ClientRequest::Versions);
    }
    if is[0].state == Some(ClientState::Success) {
        reads.push(ClientRequest::Identity);
    }
    for r in reads {
        let Some(f) = obs.fetches.get(&r) else {
            continue;
        };
        let Some(b) = plan::blocked(f) else {
            continue;
        };
        let code = match b {
            Blocked::NoAllowOrigin { .. } | Blocked::WrongOrigin { .. } => Code::ClientCorsMissing,
            Blocked::Redirect { .. } => Code::ClientCorsRedirect,
            Blocked::MixedContent { .. } => Code::ClientMixedContent,
        };
        let state = match r {
            ClientRequest::Identity => is[1].state,
            _ => hs[1].state,
        };
        let mut f = Finding::plain(
            code,
            format!(
                "{WEB} fail ({}): {}; native clients are not affected",
                state.map_or("not known", |s| s.as_str()),
                blocked_text(&b)
            ),
        );
        if code == Code::ClientCorsMissing || code == Code::ClientCorsRedirect {
            f.hint = "Add `Access-Control-Allow-Origin: *` to that response (nginx: `add_header Access-Control-Allow-Origin * always;`, `always` so that redirects and errors carry it too).".into();
        }
        out.push(f);
        // The first block ends the web client's discovery.
        if r != ClientRequest::Identity {
            return;
        }
    }
    if native_ok
        && hs[1].state == Some(ClientState::Success)
        && let Some(f) = obs.fetches.get(&ClientRequest::Preflight)
    {
        match plan::preflight_problem(f) {
            Some(Ok(problem)) => out.push(Finding::plain(
                Code::ClientCorsPreflight,
                format!(
                    "{WEB} discover the homeserver but cannot make authenticated requests: the browser's preflight (OPTIONS {}) fails: {problem}",
                    clip(&f.url, 120)
                ),
            )),
            Some(Err(Why::NotChecked(_))) => out.push(Finding::plain(
                Code::ClientNotChecked,
                "the preflight was not checked",
            )),
            Some(Err(w)) => out.push(Finding::plain(
                Code::ClientCorsPreflight,
                format!(
                    "{WEB} cannot make authenticated requests: the browser's preflight (OPTIONS {}) fails: {}",
                    clip(&f.url, 120),
                    why_text(&w)
                ),
            )),
            None => {}
        }
    }
}

fn identity_findings(o: &Outcome, out: &mut Vec<Finding>) {
    if o.state != Some(ClientState::FailPrompt) {
        return;
    }
    if let Some(c) = &o.cause {
        out.push(Finding::plain(
            Code::ClientIdentityServerInvalid,
            format!(
                "{}: clients get FAIL_PROMPT for the identity server (the homeserver still works; matrix-js-sdk drops the file's other keys)",
                cause_text(c)
            ),
        ));
    }
}

/// Byte-order mark and Content-Type of a usable well-known.
fn well_known_extras(obs: &ClientObs, out: &mut Vec<Finding>) {
    let Some(r) = plan::response(obs, ClientRequest::WellKnown) else {
        return;
    };
    if r.status != 200 || plan::parse_json(&r.body).is_none() {
        return;
    }
    if r.body.starts_with(b"\xEF\xBB\xBF") {
        out.push(Finding::plain(
            Code::ClientWellKnownBom,
            "the client well-known starts with a UTF-8 byte-order mark: Element Web skips it, clients whose JSON parser does not (serde_json, Go) fail discovery",
        ));
    }
    let ct = r.header("content-type").unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        out.push(Finding::plain(
            Code::ClientContentType,
            format!(
                "the client well-known is served as {:?}, not application/json",
                clip(ct, 80)
            ),
        ));
    }
}

/// The support file (spec v1.10): validated when present, info when absent.
fn support_findings(obs: &ClientObs, out: &mut Vec<Finding>) {
    let Some(f) = obs.fetches.get(&ClientRequest::Support) else {
        return;
    };
    match plan::action(f, View::Native) {
        Action::Ignore => out.push(Finding::plain(
            Code::ClientSupportAbsent,
            "no /.well-known/matrix/support (404): nobody is named to contact about this server",
        )),
        Action::Json(v) => {
            if let Some(problem) = support_problem(&v) {
                out.push(Finding::plain(
                    Code::ClientSupportInvalid,
                    format!("/.well-known/matrix/support: {problem}"),
                ));
            }
        }
        Action::Fail(Why::Failed(_)) => out.push(Finding::plain(
            Code::ClientSupportAbsent,
            "no /.well-known/matrix/support (nothing answers): nobody is named to contact about this server",
        )),
        Action::Fail(Why::NotChecked(_) | Why::Certificate(..)) => {}
        Action::Fail(w) => out.push(Finding::plain(
            Code::ClientSupportInvalid,
            format!("/.well-known/matrix/support: {}", why_text(&w)),
        )),
    }
}

/// What breaks the support file's schema (spec v1.10 `support.yaml`), if anything.
pub(crate) fn support_problem(v: &serde_json::Value) -> Option<String> {
    let Some(obj) = v.as_object() else {
        return Some("not a JSON object".into());
    };
    let contacts = obj.get("contacts");
    let page = obj.get("support_page");
    if contacts.is_none() && page.is_none() {
        return Some("neither `contacts` nor `support_page`".into());
    }
    if let Some(p) = page
        && p.as_str().is_none_or(|s| url::Url::parse(s).is_err())
    {
        return Some("`support_page` is not a URL".into());
    }
    let c = contacts?;
    let Some(list) = c.as_array() else {
        return Some("`contacts` is not an array".into());
    };
    if list.is_empty() && page.is_none() {
        return Some("`contacts` is empty and there is no `support_page`".into());
    }
    for (i, c) in list.iter().enumerate() {
        let role = c.get("role").and_then(|r| r.as_str());
        let id = c.get("matrix_id").and_then(|r| r.as_str());
        let mail = c.get("email_address").and_then(|r| r.as_str());
        if role.is_none_or(str::is_empty) {
            return Some(format!("contact {i} has no `role`"));
        }
        if id.is_none() && mail.is_none() {
            return Some(format!(
                "contact {i} has neither `matrix_id` nor `email_address`"
            ));
        }
        if id.is_some_and(|m| !m.starts_with('@') || !m.contains(':')) {
            return Some(format!("contact {i}'s `matrix_id` is not a user ID"));
        }
    }
    None
}

/// The OAuth 2.0 metadata (spec v1.15): the issuer when it is valid, a warning when it
/// answers but is not usable; nothing for the legacy API's 404.
fn auth_metadata_findings(obs: &ClientObs, out: &mut Vec<Finding>) -> Option<String> {
    let f = obs.fetches.get(&ClientRequest::AuthMetadata)?;
    let r = f.response()?;
    if r.status != 200 {
        return None;
    }
    let v = plan::parse_json(&r.body);
    let issuer = v
        .as_ref()
        .and_then(|v| v.get("issuer"))
        .and_then(|i| i.as_str())
        .map(|s| clip(s, 200));
    match v.as_ref().and_then(auth_metadata_problem) {
        None if v.is_some() => out.push(Finding::plain(
            Code::ClientAuthMetadata,
            format!(
                "the homeserver uses the OAuth 2.0 API; issuer {}",
                issuer.as_deref().unwrap_or("")
            ),
        )),
        problem => out.push(Finding::plain(
            Code::ClientAuthMetadataInvalid,
            format!(
                "/_matrix/client/v1/auth_metadata answers 200, but {}",
                problem.unwrap_or_else(|| "not with JSON".into())
            ),
        )),
    }
    issuer
}

/// What makes the metadata unusable to matrix-js-sdk (`isValidAuthMetadata`,
/// `src/oauth/discover.ts`; spec v1.15 `oauth_server_metadata.yaml`).
pub(crate) fn auth_metadata_problem(v: &serde_json::Value) -> Option<String> {
    for key in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "registration_endpoint",
    ] {
        if !v.get(key).is_some_and(|x| x.is_string()) {
            return Some(format!("`{key}` is missing"));
        }
    }
    let has = |key: &str, want: &str| {
        v.get(key)
            .and_then(|a| a.as_array())
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(want)))
    };
    for (key, want) in [
        ("response_types_supported", "code"),
        ("grant_types_supported", "authorization_code"),
        ("grant_types_supported", "refresh_token"),
        ("response_modes_supported", "query"),
        ("response_modes_supported", "fragment"),
        ("code_challenge_methods_supported", "S256"),
    ] {
        if !has(key, want) {
            return Some(format!("`{key}` lacks `{want}`"));
        }
    }
    None
}

/// Every host the client side connected to, once: its TLS, its certificate, and a finding
/// for a certificate clients reject or that expires soon.
fn host_findings(
    obs: &ClientObs,
    now: i64,
    expiry: Expiry,
    out: &mut Vec<Finding>,
) -> Vec<ClientHost> {
    let mut hosts: Vec<ClientHost> = Vec::new();
    for (request, f) in &obs.fetches {
        let Some(tls) = &f.last.tls else { continue };
        let host = url::Url::parse(&f.url)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| {
                    format!(
                        "{h}{}",
                        u.port().map(|p| format!(":{p}")).unwrap_or_default()
                    )
                })
            })
            .unwrap_or_default();
        if hosts.iter().any(|h| h.host == host) {
            continue;
        }
        let cert = super::cert::info(tls, now);
        if let Some(v) = tls
            .verdict
            .as_ref()
            .filter(|v| **v != crate::obs::CertVerdict::Valid)
        {
            out.push(Finding::plain(
                Code::ClientTlsInvalid,
                format!(
                    "{host} presents a certificate clients reject ({}), so {} fails there",
                    crate::discovery::verdict_text(v),
                    request_name(*request)
                ),
            ));
        } else if let Some(c) = &cert
            && c.days_left < expiry.warn_days
        {
            out.push(Finding::plain(
                Code::ClientTlsExpiring,
                format!("the certificate of {host} expires in {} days", c.days_left),
            ));
        }
        hosts.push(ClientHost {
            host,
            tls: tls.version.as_ref().map(|v| TlsInfo {
                version: v.clone(),
                cipher_suite: tls.cipher_suite.clone().unwrap_or_default(),
                alpn: tls.alpn.clone(),
            }),
            certificate: cert,
        });
    }
    hosts
}

fn request_name(r: ClientRequest) -> &'static str {
    match r {
        ClientRequest::WellKnown => "the client well-known",
        ClientRequest::Support => "the support file",
        ClientRequest::Versions | ClientRequest::Preflight => "the client API",
        ClientRequest::AuthMetadata => "the OAuth 2.0 metadata",
        ClientRequest::Identity => "the identity server",
    }
}

fn status_of(a: &Action) -> StepStatus {
    match a {
        Action::Json(_) => StepStatus::Ok,
        Action::Ignore => StepStatus::NotFound,
        Action::Fail(Why::NotJson | Why::Status(_)) => StepStatus::Invalid,
        Action::Fail(Why::NotChecked(_)) => StepStatus::Ignored,
        Action::Fail(_) => StepStatus::Error,
    }
}

/// One row per step, in the order a client takes them; the spec's outcome on the row that
/// ends discovery (native view; the web row says where a browser differs).
fn steps(obs: &ClientObs, hs: &[Outcome; 2], is: &[Outcome; 2]) -> Vec<ClientStep> {
    let Some(wk) = obs.fetches.get(&ClientRequest::WellKnown) else {
        return Vec::new();
    };
    let a = plan::action(wk, View::Native);
    let wk_outcome = match &a {
        Action::Ignore => Some(ClientState::Ignore),
        Action::Fail(Why::NotChecked(_)) | Action::Json(_) => None,
        Action::Fail(_) => Some(ClientState::FailPrompt),
    };
    let mut out = vec![fetch_row(
        ClientStepKind::WellKnown,
        wk,
        status_of(&a),
        wk_outcome,
    )];
    if let Action::Json(raw) = &a {
        out.push(base_url_row(raw, &hs[0]));
    }
    if let Some(v) = obs.fetches.get(&ClientRequest::Versions) {
        let (status, outcome) = match hs[0].state {
            Some(ClientState::Success) => (StepStatus::Ok, Some(ClientState::Success)),
            Some(s) => (StepStatus::Error, Some(s)),
            None => (StepStatus::Ignored, None),
        };
        out.push(fetch_row(ClientStepKind::Versions, v, status, outcome));
    }
    out.extend(identity_row(obs, &is[0]));
    out.push(web_row(obs, hs, is));
    for (r, kind) in [
        (ClientRequest::Support, ClientStepKind::Support),
        (ClientRequest::AuthMetadata, ClientStepKind::AuthMetadata),
    ] {
        if let Some(f) = obs.fetches.get(&r) {
            out.push(fetch_row(
                kind,
                f,
                status_of(&plan::action(f, View::Native)),
                None,
            ));
        }
    }
    out
}

/// The row of one request: its URL, what came back, how long it took.
fn fetch_row(
    kind: ClientStepKind,
    f: &Fetch,
    status: StepStatus,
    outcome: Option<ClientState>,
) -> ClientStep {
    ClientStep {
        kind,
        // The URL asked, not where its redirects ended (the answer shows them).
        query: f.hops.first().map_or(&f.url, |h| &h.from).clone(),
        answer: fetch_summary(f),
        status,
        outcome,
        duration_ms: Some(f.duration.as_millis() as u64),
    }
}

/// `m.homeserver.base_url` as written, and as clients use it (or why they cannot).
fn base_url_row(raw: &serde_json::Value, hs: &Outcome) -> ClientStep {
    let value = raw
        .get("m.homeserver")
        .and_then(|h| h.get("base_url"))
        .map_or("(none)".to_owned(), |v| clip(&v.to_string(), 120));
    let (answer, status, outcome) = match &hs.cause {
        Some(c @ (Cause::NoHomeserver | Cause::NoBaseUrl)) => (
            cause_text(c),
            StepStatus::Invalid,
            Some(ClientState::FailPrompt),
        ),
        Some(Cause::BadBaseUrl(_)) => (
            format!("{value}: not an http(s) URL"),
            StepStatus::Invalid,
            Some(ClientState::FailError),
        ),
        _ => (
            format!("{value} → {}", hs.base_url.as_deref().unwrap_or("")),
            StepStatus::Ok,
            None,
        ),
    };
    ClientStep {
        kind: ClientStepKind::BaseUrl,
        query: "m.homeserver.base_url".into(),
        answer,
        status,
        outcome,
        duration_ms: None,
    }
}

/// The identity server's row, when the well-known names one.
fn identity_row(obs: &ClientObs, is: &Outcome) -> Option<ClientStep> {
    let base = plan::identity_base(obs)?;
    let f = obs.fetches.get(&ClientRequest::Identity);
    let status = match is.state {
        Some(ClientState::Success) => StepStatus::Ok,
        Some(ClientState::Prompt) | None => StepStatus::Ignored,
        Some(_) => StepStatus::Error,
    };
    Some(match (&base, f) {
        (Ok(_), Some(f)) => fetch_row(ClientStepKind::IdentityServer, f, status, is.state),
        _ => ClientStep {
            kind: ClientStepKind::IdentityServer,
            query: "m.identity_server.base_url".into(),
            answer: is.cause.as_ref().map(cause_text).unwrap_or_default(),
            status,
            outcome: is.state,
            duration_ms: None,
        },
    })
}

/// The web client's row: the same discovery in a browser.
fn web_row(obs: &ClientObs, hs: &[Outcome; 2], is: &[Outcome; 2]) -> ClientStep {
    let same = hs[0].state == hs[1].state && is[0].state == is[1].state;
    let preflight = obs
        .fetches
        .get(&ClientRequest::Preflight)
        .and_then(plan::preflight_problem);
    let answer = if !same {
        hs[1]
            .cause
            .as_ref()
            .or(is[1].cause.as_ref())
            .map(cause_text)
            .unwrap_or_default()
    } else if let Some(Ok(p)) = &preflight {
        format!("discovery as native; {p}")
    } else if hs[1].state == Some(ClientState::Success) {
        "CORS allows every response; preflight allowed".into()
    } else {
        "as native".into()
    };
    // The row's mark is the web client's own outcome: the same failure as native clients
    // is still a failure for web clients.
    let status = if !same || matches!(preflight, Some(Ok(_))) {
        StepStatus::Error
    } else {
        match hs[1].state {
            Some(ClientState::Success) => StepStatus::Ok,
            Some(ClientState::FailPrompt | ClientState::FailError) => StepStatus::Error,
            Some(ClientState::Prompt | ClientState::Ignore) | None => StepStatus::NotFound,
        }
    };
    ClientStep {
        kind: ClientStepKind::Web,
        query: format!("as a page of {}", plan::ORIGIN),
        answer,
        status,
        outcome: hs[1].state,
        duration_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn support_files_follow_the_spec() {
        let ok = [
            json!({"contacts": [{"matrix_id": "@a:example.org", "role": "m.role.admin"}]}),
            json!({"contacts": [{"email_address": "a@example.org", "role": "m.role.security"}]}),
            json!({"support_page": "https://example.org/help"}),
            json!({"contacts": [], "support_page": "https://example.org/help"}),
        ];
        for v in ok {
            assert_eq!(support_problem(&v), None, "{v}");
        }
        let bad = [
            (json!([]), "not a JSON object"),
            (json!({}), "neither"),
            (json!({"contacts": []}), "empty"),
            (json!({"contacts": {}}), "not an array"),
            (
                json!({"contacts": [{"matrix_id": "@a:example.org"}]}),
                "no `role`",
            ),
            (
                json!({"contacts": [{"role": "m.role.admin"}]}),
                "neither `matrix_id`",
            ),
            (
                json!({"contacts": [{"matrix_id": "a", "role": "m.role.admin"}]}),
                "not a user ID",
            ),
            (json!({"support_page": "help"}), "not a URL"),
        ];
        for (v, why) in bad {
            let p = support_problem(&v).unwrap_or_default();
            assert!(p.contains(why), "{v}: {p}");
        }
    }

    #[test]
    fn auth_metadata_needs_what_matrix_js_sdk_needs() {
        let mut v = json!({
            "issuer": "https://auth.example.org/",
            "authorization_endpoint": "https://auth.example.org/authorize",
            "token_endpoint": "https://auth.example.org/token",
            "revocation_endpoint": "https://auth.example.org/revoke",
            "registration_endpoint": "https://auth.example.org/register",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_modes_supported": ["query", "fragment"],
            "code_challenge_methods_supported": ["S256"],
        });
        assert_eq!(auth_metadata_problem(&v), None);
        v["code_challenge_methods_supported"] = json!(["plain"]);
        assert!(auth_metadata_problem(&v).is_some_and(|p| p.contains("S256")));
        v["code_challenge_methods_supported"] = json!(["S256"]);
        v.as_object_mut().map(|o| o.remove("registration_endpoint"));
        assert!(auth_metadata_problem(&v).is_some_and(|p| p.contains("registration_endpoint")));
    }
}
