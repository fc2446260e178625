//! Client discovery, sans-IO: the client-server spec's "Server Discovery" → "Well-known URIs"
//! algorithm as matrix-js-sdk's `AutoDiscovery.findClientConfig` runs it (the code behind
//! Element Web and Desktop; `src/autodiscovery.ts` of matrix-js-sdk v43.0.0), over
//! observations. [`next_probes`] says which requests to make next; [`homeserver`] and
//! [`identity_server`] say which state a client reaches, once for a native client and once
//! for a web client (the same code in a browser, where the fetch standard's CORS and
//! mixed-content rules apply to every response it must read, redirect hops included). The
//! driver (`net::client`) only executes what this module decides.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::obs::{CertVerdict, DnsStatus, Fetch, HttpResponse, RedirectStop, RequestFailure};
use crate::report::ClientState;

/// The `Origin` a web client's requests carry here: a page on another site, as Element Web
/// (app.element.io) is for every homeserver but matrix.org's. Reserved (RFC 2606), so no
/// server allows it by name: only `Access-Control-Allow-Origin: *` (the spec's value) passes.
pub const ORIGIN: &str = "https://web-client.delegcheck.invalid";

/// matrix-js-sdk aborts every discovery request after 5 s, body included
/// (`fetchWellKnownObject` → `timeoutSignal(5000)`, `src/http-api/utils.ts`).
pub const JS_SDK_TIMEOUT: Duration = Duration::from_secs(5);

/// The spec versions matrix-js-sdk v43.0.0 accepts (`SUPPORTED_MATRIX_VERSIONS`,
/// `src/version-support.ts`): a homeserver must list at least one in `/versions`.
pub const JS_SDK_VERSIONS: [&str; 13] = [
    "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11",
    "v1.12", "v1.13",
];

/// Most body bytes read from a client-discovery response (a browser reads them all; a
/// longer one is reported as not checked).
pub const BODY_CAP: usize = 256 * 1024;

/// The requests client discovery makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientRequest {
    /// `GET https://<hostname>/.well-known/matrix/client`.
    WellKnown,
    /// `GET https://<hostname>/.well-known/matrix/support` (spec v1.10).
    Support,
    /// `GET {base_url}/_matrix/client/versions`.
    Versions,
    /// `OPTIONS {base_url}/_matrix/client/versions` with `Access-Control-Request-Method:
    /// PUT` and `Access-Control-Request-Headers: authorization, content-type`: the preflight
    /// a browser sends before every authenticated request (sending a message is a `PUT` with
    /// `Authorization` and a JSON body).
    Preflight,
    /// `GET {base_url}/_matrix/client/v1/auth_metadata` (spec v1.15, OAuth 2.0 API).
    AuthMetadata,
    /// `GET {identity base_url}/_matrix/identity/v2`.
    Identity,
}

impl ClientRequest {
    /// The requests to the homeserver's base URL, which may share one connection.
    pub fn to_base_url(self) -> bool {
        matches!(
            self,
            ClientRequest::Versions | ClientRequest::Preflight | ClientRequest::AuthMetadata
        )
    }

    /// Whether it is the `OPTIONS` preflight (never redirected) rather than a `GET`.
    pub fn is_preflight(self) -> bool {
        self == ClientRequest::Preflight
    }
}

/// One request to make: what it is for, and its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientProbe {
    /// What it is for.
    pub request: ClientRequest,
    /// The URL.
    pub url: String,
}

/// Everything observed so far: one fetch per request (a preflight is a fetch without
/// redirects).
#[derive(Debug, Clone, Default)]
pub struct ClientObs {
    /// The fetches made, by request.
    pub fetches: BTreeMap<ClientRequest, Fetch>,
}

/// The client well-known's URL for a server name's host: the hostname (a port of the
/// server name is dropped: spec "Well-known URIs", step 2), on 443.
pub fn well_known_url(host_for_url: &str) -> String {
    format!("https://{host_for_url}/.well-known/matrix/client")
}

/// The support file's URL (spec v1.10, "GET /.well-known/matrix/support").
pub fn support_url(host_for_url: &str) -> String {
    format!("https://{host_for_url}/.well-known/matrix/support")
}

/// What to request next, given what has been seen: the two well-knowns at once, then
/// everything the client well-known points at at once (versions, the login preflight,
/// the OAuth metadata, the identity server). Empty when nothing is left.
pub fn next_probes(host_for_url: &str, obs: &ClientObs) -> Vec<ClientProbe> {
    let mut want = Vec::new();
    let probe = |request, url: String| ClientProbe { request, url };
    want.push(probe(
        ClientRequest::WellKnown,
        well_known_url(host_for_url),
    ));
    want.push(probe(ClientRequest::Support, support_url(host_for_url)));
    if let Some(base) = homeserver_base(obs) {
        want.push(probe(
            ClientRequest::Versions,
            format!("{base}/_matrix/client/versions"),
        ));
        want.push(probe(
            ClientRequest::Preflight,
            format!("{base}/_matrix/client/versions"),
        ));
        want.push(probe(
            ClientRequest::AuthMetadata,
            format!("{base}/_matrix/client/v1/auth_metadata"),
        ));
    }
    if let Some(Ok(is)) = identity_base(obs) {
        want.push(probe(
            ClientRequest::Identity,
            format!("{is}/_matrix/identity/v2"),
        ));
    }
    want.retain(|p| !obs.fetches.contains_key(&p.request));
    want
}

/// Which client reads the responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// A native client (Element Desktop aside): no CORS, no mixed-content blocking.
    Native,
    /// A web client on an `https://` page of another origin.
    Web,
}

/// Why a browser refuses to hand a response to the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// A response (`url`, `status`) has no `Access-Control-Allow-Origin`.
    NoAllowOrigin { url: String, status: u16 },
    /// Its `Access-Control-Allow-Origin` does not allow the page (`value`); after a
    /// cross-origin redirect the page's origin is `null`, so only `*` passes.
    WrongOrigin {
        url: String,
        status: u16,
        value: String,
    },
    /// A redirect hop (`url`, `status`) has no usable `Access-Control-Allow-Origin`: the
    /// browser stops there and never requests the target.
    Redirect { url: String, status: u16 },
    /// A request to plain `http://` from an `https://` page: blocked before it is sent.
    MixedContent { url: String },
}

/// Why a fetch gave no JSON to the client (the `reason` js-sdk logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The check's own limits (deadline, no route from here, a body over the cap): nothing
    /// known against the server.
    NotChecked(String),
    /// DNS, connection, TLS or HTTP failure.
    Failed(RequestFailure),
    /// The certificate was rejected.
    Certificate(String, CertVerdict),
    /// The redirect chain stopped (loop, too many, no Location…).
    Redirect(RedirectStop),
    /// Took longer than js-sdk's 5 s.
    Slow(Duration),
    /// Only a web client: the browser blocked it.
    Blocked(Blocked),
    /// A status other than 2xx (and 404, which is its own outcome).
    Status(u16),
    /// The body is not JSON (empty, HTML, trailing data…).
    NotJson,
}

/// How a fetch ended for a client (js-sdk `fetchWellKnownObject`): 404 → IGNORE, JSON →
/// SUCCESS, anything else FAIL_PROMPT.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// 404.
    Ignore,
    /// Failed, and why.
    Fail(Why),
    /// 2xx with a JSON body (any JSON value).
    Json(serde_json::Value),
}

/// [`Action`] of one fetch as `view` sees it.
pub fn action(f: &Fetch, view: View) -> Action {
    if let Some(why) = f.not_checked() {
        return Action::Fail(Why::NotChecked(why.to_owned()));
    }
    if view == View::Web
        && let Some(b) = blocked(f)
    {
        return Action::Fail(Why::Blocked(b));
    }
    if let Some(stop) = &f.stop {
        return Action::Fail(Why::Redirect(stop.clone()));
    }
    if let Some(tls) = &f.last.tls
        && let Some(v) = &tls.verdict
        && *v != CertVerdict::Valid
    {
        return Action::Fail(Why::Certificate(tls.expected_name.clone(), v.clone()));
    }
    let resp = match &f.last.result {
        Ok(r) => r,
        // A lookup that timed out says as much about the resolver asked as about the
        // name's servers: not held against the server (the federation side says which).
        Err(RequestFailure::Dns(DnsStatus::Timeout | DnsStatus::Deadline)) => {
            return Action::Fail(Why::NotChecked(
                "not checked: the DNS lookup timed out".into(),
            ));
        }
        Err(e) => return Action::Fail(Why::Failed(e.clone())),
    };
    if f.duration > JS_SDK_TIMEOUT {
        return Action::Fail(Why::Slow(f.duration));
    }
    // js-sdk reads the body of any `response.ok` (2xx) status, as `fetchWellKnownObject`
    // (src/autodiscovery.ts) does; the spec's text says 200.
    match resp.status {
        404 => Action::Ignore,
        200..=299 if resp.truncated => Action::Fail(Why::NotChecked(format!(
            "not checked: the body is larger than delegcheck reads ({} KiB)",
            BODY_CAP / 1024
        ))),
        200..=299 => parse_json(&resp.body).map_or(Action::Fail(Why::NotJson), Action::Json),
        s => Action::Fail(Why::Status(s)),
    }
}

/// The body as `Response.json()` reads it: UTF-8 with a byte-order mark skipped, one JSON
/// value and nothing after it but whitespace.
pub fn parse_json(body: &[u8]) -> Option<serde_json::Value> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice(body).ok()
}

/// Whether a URL is one a browser loads from an `https://` page: `https://`, or plain
/// `http://` to loopback (a potentially trustworthy origin; MDN "Mixed content").
fn secure_for_page(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return true;
    };
    match u.scheme() {
        "http" => match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => true,
    }
}

fn origin_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

/// Whether a response's `Access-Control-Allow-Origin` lets a page with `origin` read it:
/// exactly one value, `*` or the origin itself (fetch standard, "CORS check").
fn allows(headers: &[(String, String)], origin: &str) -> Result<(), Option<String>> {
    let values: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n == "access-control-allow-origin")
        .map(|(_, v)| v.as_str())
        .collect();
    match values.as_slice() {
        [] => Err(None),
        [v] if v.trim() == "*" || v.trim() == origin => Ok(()),
        _ => Err(Some(values.join(", "))),
    }
}

/// Why a browser would not hand this fetch's response to the page, if it would not: a
/// hop or URL to plain http, a redirect hop without CORS, or a final response without it
/// (an error status too: the page then cannot even see the 404).
pub fn blocked(f: &Fetch) -> Option<Blocked> {
    // After a redirect to another origin the request's origin is opaque: `null`.
    let mut origin = ORIGIN.to_owned();
    let first = f.hops.first().map_or(f.url.as_str(), |h| h.from.as_str());
    if !secure_for_page(first) {
        return Some(Blocked::MixedContent {
            url: first.to_owned(),
        });
    }
    for hop in &f.hops {
        if allows(&hop.headers, &origin).is_err() {
            return Some(Blocked::Redirect {
                url: hop.from.clone(),
                status: hop.status,
            });
        }
        if let Some(next) = &hop.location {
            if !secure_for_page(next) {
                return Some(Blocked::MixedContent { url: next.clone() });
            }
            if origin_of(next) != origin_of(&hop.from) {
                origin = "null".to_owned();
            }
        }
    }
    if let Some(RedirectStop::Insecure(url)) = &f.stop {
        return Some(Blocked::MixedContent { url: url.clone() });
    }
    let resp = f.last.result.as_ref().ok()?;
    if f.stop.is_some() {
        return None;
    }
    match allows(&resp.headers, &origin) {
        Ok(()) => None,
        Err(None) => Some(Blocked::NoAllowOrigin {
            url: f.url.clone(),
            status: resp.status,
        }),
        Err(Some(value)) => Some(Blocked::WrongOrigin {
            url: f.url.clone(),
            status: resp.status,
            value,
        }),
    }
}

/// JavaScript truthiness of a JSON value (what `!raw?.["m.homeserver"]` tests).
fn truthy(v: Option<&serde_json::Value>) -> bool {
    use serde_json::Value::*;
    match v {
        None | Some(Null) | Some(Bool(false)) => false,
        Some(Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// js-sdk `sanitizeWellKnownUrl`: a URL (WHATWG parsing) with a host and an http(s)
/// scheme, rebuilt as `scheme://host[:port]path` (query, fragment and credentials
/// dropped, a default port dropped) with one trailing `/` removed.
pub fn sanitize_base_url(v: &serde_json::Value) -> Result<String, String> {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let u = url::Url::parse(&text).map_err(|_| text.clone())?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(text);
    }
    let host = u.host_str().filter(|h| !h.is_empty()).ok_or(text.clone())?;
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let mut s = format!("{}://{host}{port}{}", u.scheme(), u.path());
    if s.ends_with('/') {
        s.pop();
    }
    Ok(s)
}

/// The client well-known's JSON, as a native client reads it (the web view reads the same
/// bytes or nothing).
fn well_known_json(obs: &ClientObs) -> Option<serde_json::Value> {
    match action(obs.fetches.get(&ClientRequest::WellKnown)?, View::Native) {
        Action::Json(v) => Some(v),
        _ => None,
    }
}

/// The homeserver's base URL, once the well-known gives a valid one.
pub fn homeserver_base(obs: &ClientObs) -> Option<String> {
    let raw = well_known_json(obs)?;
    let hs = raw.get("m.homeserver")?;
    truthy(hs.get("base_url"))
        .then(|| sanitize_base_url(hs.get("base_url")?).ok())
        .flatten()
}

/// The identity server's base URL when `m.identity_server` is present: the URL, or the
/// value that is not one.
pub fn identity_base(obs: &ClientObs) -> Option<Result<String, String>> {
    let raw = well_known_json(obs)?;
    let is = raw.get("m.identity_server").filter(|v| truthy(Some(v)))?;
    Some(match is.get("base_url") {
        Some(b) => sanitize_base_url(b),
        None => Err(String::new()),
    })
}

/// What a client reaches for one side (homeserver or identity server).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The js-sdk state; `None` when the check could not see far enough (its own limits).
    pub state: Option<ClientState>,
    /// The js-sdk `AutoDiscovery` error constant it reports, if any.
    pub error: Option<&'static str>,
    /// The base URL js-sdk returns with it.
    pub base_url: Option<String>,
    /// The step that decided, and why (for the findings).
    pub cause: Option<Cause>,
}

/// Why a side did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// The well-known fetch: 404 or a failure.
    WellKnown(Action),
    /// No `m.homeserver` (or the body is not an object holding one).
    NoHomeserver,
    /// `m.homeserver.base_url` missing or empty.
    NoBaseUrl,
    /// `base_url` is not an http(s) URL.
    BadBaseUrl(String),
    /// `/versions` did not answer a JSON object with a `versions` array.
    Versions(Action),
    /// `/versions` lists no version js-sdk supports.
    Unsupported(Vec<String>),
    /// `m.identity_server.base_url` missing or not a URL.
    BadIdentityUrl(String),
    /// `/_matrix/identity/v2` did not answer 200 with JSON.
    Identity(Action),
}

fn outcome(state: ClientState, error: Option<&'static str>, cause: Option<Cause>) -> Outcome {
    Outcome {
        state: Some(state),
        error,
        base_url: None,
        cause,
    }
}

fn not_checked(cause: Cause) -> Outcome {
    Outcome {
        state: None,
        error: None,
        base_url: None,
        cause: Some(cause),
    }
}

fn is_not_checked(a: &Action) -> bool {
    matches!(a, Action::Fail(Why::NotChecked(_)))
}

/// The homeserver side (`m.homeserver` of js-sdk's result), as `view` reaches it.
pub fn homeserver(obs: &ClientObs, view: View) -> Outcome {
    use ClientState::*;
    let Some(wk) = obs.fetches.get(&ClientRequest::WellKnown) else {
        return not_checked(Cause::WellKnown(Action::Fail(Why::NotChecked(
            "not checked".into(),
        ))));
    };
    let raw = match action(wk, view) {
        Action::Json(v) => v,
        a if is_not_checked(&a) => return not_checked(Cause::WellKnown(a)),
        // js-sdk: IGNORE becomes PROMPT for the homeserver (L346-351).
        Action::Ignore => return outcome(Prompt, None, Some(Cause::WellKnown(Action::Ignore))),
        a => {
            return outcome(FailPrompt, Some("ERROR_INVALID"), Some(Cause::WellKnown(a)));
        }
    };
    let Some(hs) = raw.get("m.homeserver").filter(|v| truthy(Some(v))) else {
        return outcome(FailPrompt, Some("ERROR_INVALID"), Some(Cause::NoHomeserver));
    };
    let Some(b) = hs.get("base_url").filter(|v| truthy(Some(v))) else {
        return outcome(
            FailPrompt,
            Some("ERROR_INVALID_HS_BASE_URL"),
            Some(Cause::NoBaseUrl),
        );
    };
    let base = match sanitize_base_url(b) {
        Ok(u) => u,
        Err(text) => {
            return outcome(
                FailError,
                Some("ERROR_INVALID_HS_BASE_URL"),
                Some(Cause::BadBaseUrl(text)),
            );
        }
    };
    let with_base = |mut o: Outcome| {
        o.base_url = Some(base.clone());
        o
    };
    let Some(v) = obs.fetches.get(&ClientRequest::Versions) else {
        return with_base(not_checked(Cause::Versions(Action::Fail(Why::NotChecked(
            "not checked".into(),
        )))));
    };
    let versions = match action(v, view) {
        Action::Json(j) => j.get("versions").and_then(|v| v.as_array()).cloned(),
        a if is_not_checked(&a) => return with_base(not_checked(Cause::Versions(a))),
        _ => None,
    };
    let Some(versions) = versions else {
        return with_base(outcome(
            FailError,
            Some("ERROR_INVALID_HOMESERVER"),
            Some(Cause::Versions(action(v, view))),
        ));
    };
    let listed: Vec<String> = versions
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if !listed.iter().any(|v| JS_SDK_VERSIONS.contains(&v.as_str())) {
        return with_base(outcome(
            FailError,
            Some("ERROR_UNSUPPORTED_HOMESERVER_SPEC_VERSION"),
            Some(Cause::Unsupported(listed)),
        ));
    }
    with_base(outcome(Success, None, None))
}

/// The identity-server side (`m.identity_server`), as `view` reaches it: PROMPT unless the
/// homeserver side succeeded and the well-known names one (js-sdk checks it only then).
pub fn identity_server(obs: &ClientObs, view: View) -> Outcome {
    use ClientState::*;
    let hs = homeserver(obs, view);
    let prompt = outcome(Prompt, None, None);
    if hs.state != Some(Success) {
        return prompt;
    }
    let Some(base) = identity_base(obs) else {
        return prompt;
    };
    let base = match base {
        Ok(b) => b,
        Err(text) => {
            return outcome(
                FailPrompt,
                Some("ERROR_INVALID_IS_BASE_URL"),
                Some(Cause::BadIdentityUrl(text)),
            );
        }
    };
    let Some(f) = obs.fetches.get(&ClientRequest::Identity) else {
        return prompt;
    };
    let a = action(f, view);
    let mut o = match &a {
        Action::Json(v) if truthy(Some(v)) => outcome(Success, None, None),
        a if is_not_checked(a) => not_checked(Cause::Identity(a.clone())),
        _ => outcome(
            FailPrompt,
            Some("ERROR_INVALID_IDENTITY_SERVER"),
            Some(Cause::Identity(a.clone())),
        ),
    };
    o.base_url = Some(base);
    o
}

/// The headers of the preflight request (see [`ClientRequest::Preflight`]).
pub fn preflight_headers() -> Vec<(&'static str, String)> {
    vec![
        ("origin", ORIGIN.to_owned()),
        ("access-control-request-method", "PUT".to_owned()),
        (
            "access-control-request-headers",
            "authorization, content-type".to_owned(),
        ),
    ]
}

/// What a browser's preflight found wrong, if anything: the response must be 2xx, allow the
/// origin, the `PUT` method and the `Authorization` and `Content-Type` headers (fetch
/// standard, "CORS-preflight fetch"; `*` allows any method and any header but
/// `Authorization`, which must be named).
pub fn preflight_problem(f: &Fetch) -> Option<Result<String, Why>> {
    let resp = match &f.last.result {
        Ok(r) => r,
        Err(e) => {
            if let Some(w) = f.not_checked() {
                return Some(Err(Why::NotChecked(w.to_owned())));
            }
            return Some(Err(Why::Failed(e.clone())));
        }
    };
    if !(200..300).contains(&resp.status) {
        return Some(Ok(format!("the preflight got status {}", resp.status)));
    }
    if let Err(v) = allows(&resp.headers, ORIGIN) {
        return Some(Ok(match v {
            None => "the preflight response has no Access-Control-Allow-Origin".to_owned(),
            Some(v) => format!("the preflight response's Access-Control-Allow-Origin is `{v}`"),
        }));
    }
    let list = |name: &str| -> Vec<String> {
        resp.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_ascii_lowercase())
            .collect()
    };
    let methods = list("access-control-allow-methods");
    if !methods.iter().any(|m| m == "put" || m == "*") {
        return Some(Ok(
            "the preflight response's Access-Control-Allow-Methods does not allow PUT".into(),
        ));
    }
    let headers = list("access-control-allow-headers");
    // `*` allows any header but Authorization, which must be named.
    let allowed = |h: &str| {
        headers.iter().any(|x| x == h) || (h != "authorization" && headers.iter().any(|x| x == "*"))
    };
    let missing: Vec<&str> = ["authorization", "content-type"]
        .into_iter()
        .filter(|h| !allowed(h))
        .collect();
    if !missing.is_empty() {
        return Some(Ok(format!(
            "the preflight response's Access-Control-Allow-Headers does not allow {}",
            missing.join(" and ")
        )));
    }
    None
}

/// The response of a fetch, when the chain ended in one.
pub fn response(obs: &ClientObs, r: ClientRequest) -> Option<&HttpResponse> {
    obs.fetches.get(&r)?.response()
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
