//! The report model. These serde types *are* the JSON contract (`schema_version`): field names
//! are public, documented in the README and in `schema/report.schema.json`, and change only
//! with a version bump. Statuses are explicit enums, never a serialised `Result`.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::findings::{Code, Severity};

mod changes;
mod dns;
pub use changes::{Change, ChangeKind};
pub use dns::{DnsOutcome, DnsQuery, DnsRecord};

/// Version of the JSON report format. Minor: additive; major: breaking.
pub const SCHEMA_VERSION: &str = "1.2";

/// The JSON Schema of [`Report`] (draft 2020-12), pretty-printed with a final newline. Its
/// `$id` carries the schema version.
pub fn json_schema() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(Report)).unwrap_or_default();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            format!("urn:delegcheck:report:{SCHEMA_VERSION}").into(),
        );
        obj.insert(
            "description".into(),
            format!("A delegcheck report (schema_version {SCHEMA_VERSION}): everything found out about one server name.").into(),
        );
    }
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// Everything delegcheck found out about one server name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Version of this format (`major.minor`).
    pub schema_version: String,
    /// When the check started: RFC 3339, UTC, to the second (`2026-11-29T21:55:21Z`).
    #[serde(default)]
    pub checked_at: String,
    /// The delegcheck version that made the report.
    #[serde(default)]
    pub tool_version: String,
    /// The server name as given.
    pub server_name: String,
    /// Would other homeservers federate with this server? (No error finding, and at least one
    /// target passes every check.)
    pub ok: bool,
    /// `ok` with no warnings, `warning` (federates, but something is fragile), `error`.
    pub status: Status,
    /// Server-name resolution: the trace, the decisive step, the targets.
    pub discovery: Discovery,
    /// One entry per target address, with the checks run there.
    pub targets: Vec<TargetReport>,
    /// Everything worth saying, worst first.
    pub findings: Vec<Finding>,
    /// Would each homeserver implementation reach this server?
    pub compatibility: Vec<Compat>,
    /// Does federation work over each IP family? (`null`: no target of that family.)
    #[serde(default)]
    pub families: FamilyVerdicts,
    /// How long the check took.
    pub timings: Timings,
    /// What changed since the previous report of this name (`--baseline`), worst first;
    /// absent without a baseline, or when nothing changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Which web server answered on each host and port, and how delegcheck knows (the
    /// `Server` header, the shape of an error page); absent when nothing answered HTTP.
    /// Since schema 1.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub web_servers: Vec<crate::fixes::WebServer>,
    /// The changes that fix the findings with a configuration cause, written for the
    /// software that answered there (or `--fix-for`), with this run's values; absent when
    /// there is nothing to change. Since schema 1.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<crate::fixes::Fix>,
    /// Client discovery (`/.well-known/matrix/client`, the client API behind it, CORS):
    /// what a native and a web client reach. Absent with `--no-client` and for a string
    /// that is not a server name. Since 1.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientReport>,
}

/// A client's discovery state: matrix-js-sdk's `AutoDiscoveryAction` names, which are the
/// spec's outcome names ("Well-known URIs") plus `SUCCESS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientState {
    /// Discovery found a working URL.
    Success,
    /// Ask the user for the URL (js-sdk's state after a 404).
    Prompt,
    /// Stop this mechanism, try others (the spec's outcome for a 404).
    Ignore,
    /// Tell the user discovery failed (invalid or empty data), then ask.
    FailPrompt,
    /// Tell the user no usable URL was returned; do not continue.
    FailError,
}

impl ClientState {
    /// The name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientState::Success => "SUCCESS",
            ClientState::Prompt => "PROMPT",
            ClientState::Ignore => "IGNORE",
            ClientState::FailPrompt => "FAIL_PROMPT",
            ClientState::FailError => "FAIL_ERROR",
        }
    }
}

/// Client discovery, as a native and a web client meet it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ClientReport {
    /// No error-level client finding: clients can log in with a user ID on this server name
    /// (or are asked for the homeserver URL where nothing is published for them).
    pub ok: bool,
    /// The client well-known's URL.
    pub well_known_url: String,
    /// The homeserver (`m.homeserver`).
    pub homeserver: ClientSide,
    /// The identity server (`m.identity_server`).
    pub identity_server: ClientSide,
    /// Every step, in order, with the spec's outcome where it ends discovery.
    pub steps: Vec<ClientStep>,
    /// The TLS session and certificate of every host the client side touched.
    pub hosts: Vec<ClientHost>,
    /// The OAuth 2.0 issuer from `/_matrix/client/v1/auth_metadata`, when the homeserver
    /// advertises the spec's OAuth 2.0 API.
    pub auth_issuer: Option<String>,
}

/// One side of client discovery: where it points and what each kind of client reaches.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ClientSide {
    /// The base URL as a client uses it (normalised as matrix-js-sdk does), if any.
    pub base_url: Option<String>,
    /// A native client (no CORS, no mixed-content rules).
    pub native: ClientOutcome,
    /// A web client (Element Web and every other browser client, on an https page of
    /// another origin).
    pub web: ClientOutcome,
}

/// What one kind of client reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClientOutcome {
    /// The state (`null`: not known, the check could not see far enough for a reason of
    /// its own, such as the deadline).
    pub state: Option<ClientState>,
    /// matrix-js-sdk's error constant with it (`ERROR_INVALID_HOMESERVER`…), if any.
    pub error: Option<String>,
    /// Why, in words, when it is not `SUCCESS`.
    pub reason: Option<String>,
}

/// One step of client discovery.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ClientStep {
    /// Which step.
    pub kind: ClientStepKind,
    /// What was asked (a URL, a key).
    pub query: String,
    /// What came back, in short.
    pub answer: String,
    /// How it went.
    pub status: StepStatus,
    /// The spec's outcome when this step ends discovery (`IGNORE`, `FAIL_PROMPT`,
    /// `FAIL_ERROR`, `SUCCESS`).
    pub outcome: Option<ClientState>,
    /// Time taken, in milliseconds.
    pub duration_ms: Option<u64>,
}

/// Kind of a client-discovery step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientStepKind {
    /// `GET /.well-known/matrix/client`.
    WellKnown,
    /// `m.homeserver.base_url`.
    BaseUrl,
    /// `GET {base_url}/_matrix/client/versions`.
    Versions,
    /// `m.identity_server` and `GET {base_url}/_matrix/identity/v2`.
    IdentityServer,
    /// What a browser adds: CORS on every response and redirect hop, mixed content, the
    /// preflight.
    Web,
    /// `GET /.well-known/matrix/support`.
    Support,
    /// `GET {base_url}/_matrix/client/v1/auth_metadata`.
    AuthMetadata,
}

impl ClientStepKind {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            ClientStepKind::WellKnown => "well-known",
            ClientStepKind::BaseUrl => "base_url",
            ClientStepKind::Versions => "versions",
            ClientStepKind::IdentityServer => "identity",
            ClientStepKind::Web => "web",
            ClientStepKind::Support => "support",
            ClientStepKind::AuthMetadata => "OAuth 2.0",
        }
    }
}

/// A host the client side connected to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ClientHost {
    /// `host` or `host:port`, as in the URL.
    pub host: String,
    /// The TLS session, if one was set up.
    pub tls: Option<TlsInfo>,
    /// The certificate, if one was presented.
    pub certificate: Option<CertInfo>,
}

/// Whether at least one target of each IP family passes every check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FamilyVerdicts {
    /// Over IPv4 (`null`: no IPv4 target).
    pub ipv4: Option<bool>,
    /// Over IPv6 (`null`: no IPv6 target).
    pub ipv6: Option<bool>,
}

/// Overall status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Federates, nothing to fix.
    Ok,
    /// Federates, with warnings.
    Warning,
    /// Does not federate (or breaks for some implementations).
    Error,
    /// Not known: the check could not see enough, for a reason of the checking host (a dead
    /// local resolver, the deadline, no route from here). Says nothing against the server.
    Unknown,
}

/// A step of the spec's server-name resolution (server-server API, "Resolving server names"),
/// written in JSON as its number (`"3.5"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecStep {
    /// 1: an IP literal.
    IpLiteral,
    /// 2: a host name with an explicit port.
    ExplicitPort,
    /// 3: the well-known.
    WellKnown,
    /// 3.1: the delegated name is an IP literal.
    WellKnownIpLiteral,
    /// 3.2: the delegated name has an explicit port.
    WellKnownExplicitPort,
    /// 3.3: `_matrix-fed._tcp` of the delegated name.
    WellKnownSrv,
    /// 3.4: the deprecated `_matrix._tcp` of the delegated name.
    WellKnownLegacySrv,
    /// 3.5: the delegated name on port 8448.
    WellKnownDefaultPort,
    /// 4: `_matrix-fed._tcp` of the server name.
    Srv,
    /// 5: the deprecated `_matrix._tcp` of the server name.
    LegacySrv,
    /// 6: the server name on port 8448.
    DefaultPort,
}

impl SpecStep {
    /// Every step, in the spec's order.
    pub const ALL: [SpecStep; 11] = [
        SpecStep::IpLiteral,
        SpecStep::ExplicitPort,
        SpecStep::WellKnown,
        SpecStep::WellKnownIpLiteral,
        SpecStep::WellKnownExplicitPort,
        SpecStep::WellKnownSrv,
        SpecStep::WellKnownLegacySrv,
        SpecStep::WellKnownDefaultPort,
        SpecStep::Srv,
        SpecStep::LegacySrv,
        SpecStep::DefaultPort,
    ];

    /// Its number in the spec.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecStep::IpLiteral => "1",
            SpecStep::ExplicitPort => "2",
            SpecStep::WellKnown => "3",
            SpecStep::WellKnownIpLiteral => "3.1",
            SpecStep::WellKnownExplicitPort => "3.2",
            SpecStep::WellKnownSrv => "3.3",
            SpecStep::WellKnownLegacySrv => "3.4",
            SpecStep::WellKnownDefaultPort => "3.5",
            SpecStep::Srv => "4",
            SpecStep::LegacySrv => "5",
            SpecStep::DefaultPort => "6",
        }
    }

    /// The step of that number.
    pub fn from_number(s: &str) -> Option<SpecStep> {
        SpecStep::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The steps that connect to port 8448 by default (3.5 and 6).
    pub fn is_default_port(self) -> bool {
        matches!(self, SpecStep::WellKnownDefaultPort | SpecStep::DefaultPort)
    }
}

impl std::fmt::Display for SpecStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SpecStep {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SpecStep {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SpecStep::from_number(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown spec step {s:?}")))
    }
}

/// The resolution trace.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Discovery {
    /// The spec step that decided (`"1"`, `"2"`, `"3.1"` … `"3.5"`, `"4"`, `"5"`, `"6"`), if any.
    #[schemars(with = "Option<String>")]
    pub step: Option<SpecStep>,
    /// The delegated server name from the well-known (`m.server`), if one was used.
    pub delegated_server: Option<String>,
    /// What was looked up, in the order it matters, and what it meant.
    pub steps: Vec<Step>,
    /// Where other servers would connect, in the order they would try.
    pub targets: Vec<Target>,
    /// Where some implementations connect instead of `targets`: after a failed SRV lookup
    /// (SERVFAIL, timeout), the host on port 8448 (Dendrite, tuwunel, continuwuity); when
    /// some cannot use a valid well-known (too many redirects, too large, duplicate keys),
    /// the server name's own SRV/8448 path. Their checks are in `targets` with
    /// `fallback: true`.
    #[serde(default)]
    pub fallback_targets: Vec<Target>,
    /// Who connects to `fallback_targets`, and why.
    #[serde(default)]
    pub fallback_reason: Option<String>,
    /// Details of the well-known fetch, when one was made.
    pub well_known: Option<WellKnownInfo>,
}

/// One step of the trace.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// The spec step this belongs to (`"3"`, `"3.3"`, …), or `null` for diagnostic extras.
    #[schemars(with = "Option<String>")]
    pub step: Option<SpecStep>,
    /// What kind of lookup.
    pub kind: StepKind,
    /// What was asked (a URL, a DNS name and type).
    pub query: String,
    /// What came back, in short.
    pub answer: String,
    /// How it went.
    pub status: StepStatus,
    /// What it means for resolution.
    pub meaning: String,
    /// True for the step whose answer decided the targets.
    pub decisive: bool,
    /// Time the lookup took, in milliseconds.
    pub duration_ms: Option<u64>,
    /// The DNS queries behind this step and how each ended (empty when none was made).
    #[serde(default)]
    pub dns: Vec<DnsQuery>,
}

/// Kind of a trace step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Parsing the server name.
    ServerName,
    /// `GET https://…/.well-known/matrix/server`.
    WellKnown,
    /// An SRV lookup.
    Srv,
    /// A/AAAA (and CNAME) lookups.
    Address,
}

/// Outcome of a trace step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Found something usable.
    Ok,
    /// Nothing there (404, NXDOMAIN, no records).
    NotFound,
    /// Something there, but not valid.
    Invalid,
    /// The lookup failed (timeout, SERVFAIL, connection error).
    Error,
    /// Looked up for the report only; homeservers would not use it.
    Ignored,
}

/// A place other servers would connect to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    /// IP address.
    pub ip: IpAddr,
    /// TCP port.
    pub port: u16,
    /// The host name whose A/AAAA record gave `ip` (SRV target or host), or the literal.
    pub hostname: String,
    /// The `Host` header the spec prescribes.
    pub host_header: String,
    /// The name the certificate must be valid for.
    pub tls_server_name: String,
    /// The SNI that is sent (`null` for IP literals: no SNI is sent).
    pub sni: Option<String>,
    /// The spec step that produced this target.
    #[schemars(with = "String")]
    pub step: SpecStep,
}

impl Target {
    /// `ip:port`, with brackets for IPv6.
    pub fn address(&self) -> String {
        std::net::SocketAddr::new(self.ip, self.port).to_string()
    }

    /// One line: `ADDR host=HOST tls=CERT-NAME sni=SNI` (`sni=-` when none is sent), as
    /// the lab scenarios write expected targets.
    pub fn line(&self) -> String {
        format!(
            "{} host={} tls={} sni={}",
            self.address(),
            self.host_header,
            self.tls_server_name,
            self.sni.as_deref().unwrap_or("-")
        )
    }
}

/// Details of the well-known fetch.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WellKnownInfo {
    /// The URL fetched.
    pub url: String,
    /// One fetch per address of the server name.
    pub fetches: Vec<WellKnownFetch>,
    /// How long remote servers will cache the answer.
    pub cache: Option<CacheInfo>,
}

/// The well-known as fetched from one address.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WellKnownFetch {
    /// The address connected to first.
    pub ip: IpAddr,
    /// How it went.
    pub outcome: FetchOutcome,
    /// Error text when it failed before a response.
    pub error: Option<String>,
    /// Redirect hops followed (status and Location), in order.
    pub redirects: Vec<Redirect>,
    /// Final HTTP status.
    pub http_status: Option<u16>,
    /// Final Content-Type header.
    pub content_type: Option<String>,
    /// Final body size in bytes (counted up to the cap).
    pub body_bytes: Option<usize>,
    /// The start of the body (at most 200 characters, lossily decoded).
    pub body_excerpt: Option<String>,
    /// The `m.server` value, if the body had a string one.
    pub m_server: Option<String>,
}

/// How a fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FetchOutcome {
    /// A response was received.
    Response,
    /// DNS gave no address.
    DnsError,
    /// Connection refused.
    Refused,
    /// Timed out.
    Timeout,
    /// Network unreachable or other connection error.
    ConnectError,
    /// TLS handshake or certificate failure.
    TlsError,
    /// HTTP protocol error.
    HttpError,
    /// Redirects could not be followed (loop, too many, insecure, no Location).
    RedirectError,
    /// Not finished, for a reason of the checking host (the deadline, no route from here):
    /// says nothing about the server.
    NotChecked,
}

/// One redirect hop.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Redirect {
    /// The URL that answered with a redirect.
    pub from: String,
    /// The 3xx status.
    pub status: u16,
    /// The Location header, resolved against `from`.
    pub location: Option<String>,
}

/// How long remote servers keep the well-known answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CacheInfo {
    /// The Cache-Control header, if any.
    pub cache_control: Option<String>,
    /// The Expires header, if any.
    pub expires: Option<String>,
    /// What the headers ask for, in seconds (`null`: no caching headers).
    pub requested_seconds: Option<u64>,
    /// What Synapse will use: the request clamped to 5 min–48 h, 24 h by default,
    /// 1 h for a failure.
    pub synapse_seconds: u64,
}

/// A target's checks.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TargetReport {
    /// `ip:port`.
    pub address: String,
    /// `ipv4` or `ipv6`.
    pub family: Family,
    /// A fallback target (`discovery.fallback_targets`): only some implementations connect
    /// here, and it takes no part in `ok`.
    #[serde(default)]
    pub fallback: bool,
    /// Passed every error-level check.
    pub ok: bool,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// The TLS session, if one was set up.
    pub tls: Option<TlsInfo>,
    /// The leaf certificate, if one was presented.
    pub certificate: Option<CertInfo>,
    /// What `/_matrix/federation/v1/version` said.
    pub server: Option<ServerSoftware>,
    /// What `/_matrix/key/v2/server` said.
    pub keys: Option<KeysInfo>,
    /// Set when some check of this target could not be made for a reason of the checking
    /// host (the deadline, no route from here): why. Such a target is not `ok`, and says
    /// nothing against the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<String>,
}

/// IP family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: IpAddr) -> Family {
        if ip.is_ipv4() {
            Family::Ipv4
        } else {
            Family::Ipv6
        }
    }
}

/// One check at one target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// How it went.
    pub status: CheckStatus,
    /// What was seen, in short.
    pub detail: String,
    /// Time taken, in milliseconds.
    pub duration_ms: Option<u64>,
}

/// The checks run at each target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// TCP connect.
    Tcp,
    /// TLS handshake.
    Tls,
    /// Certificate chain, name and dates.
    Certificate,
    /// `GET /_matrix/federation/v1/version`.
    Version,
    /// `GET /_matrix/key/v2/server` and its signatures.
    Keys,
    /// An unauthenticated federation request comes back as 401 `M_UNAUTHORIZED`.
    Routing,
    /// The same request with `Host: name:port`, as conduwuit-family servers send it.
    HostPort,
}

impl CheckName {
    /// Name as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Tcp => "tcp",
            CheckName::Tls => "tls",
            CheckName::Certificate => "certificate",
            CheckName::Version => "version",
            CheckName::Keys => "keys",
            CheckName::Routing => "routing",
            CheckName::HostPort => "host_port",
        }
    }
}

/// Result of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Passed.
    Pass,
    /// Passed with a warning.
    Warn,
    /// Failed.
    Fail,
    /// Not run (an earlier check failed).
    Skip,
}

/// The negotiated TLS session.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TlsInfo {
    /// `TLSv1.3`, `TLSv1.2`, …
    pub version: String,
    /// Cipher suite name.
    pub cipher_suite: String,
    /// ALPN protocol, if negotiated.
    pub alpn: Option<String>,
}

/// The presented certificate.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CertInfo {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// DNS and IP subject alternative names.
    pub names: Vec<String>,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// notAfter as a Unix timestamp.
    pub not_after_unix: i64,
    /// Whole days until notAfter (negative when expired).
    pub days_left: i64,
    /// Certificates the server sent (leaf first).
    pub chain_length: usize,
    /// SHA-256 of the leaf, hex.
    pub sha256: String,
    /// The chain verified against the trust roots for the required name.
    pub verified: bool,
    /// The verifier's reason when it did not.
    pub error: Option<String>,
}

/// What `/_matrix/federation/v1/version` reported.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ServerSoftware {
    /// `server.name`.
    pub name: Option<String>,
    /// `server.version`.
    pub version: Option<String>,
}

/// What `/_matrix/key/v2/server` reported.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct KeysInfo {
    /// `server_name` in the response.
    pub server_name: Option<String>,
    /// The `verify_keys` ids.
    pub key_ids: Vec<String>,
    /// The `old_verify_keys` ids.
    pub old_key_ids: Vec<String>,
    /// `valid_until_ts` (ms since the epoch).
    pub valid_until_ts: Option<i64>,
    /// Key ids whose self-signature verified.
    pub verified_key_ids: Vec<String>,
}

/// A finding: what is wrong (or worth knowing), and how to fix it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable code (`delegcheck --explain CODE`).
    pub code: Code,
    /// Severity (fixed per code).
    pub severity: Severity,
    /// What was seen, with the concrete values.
    pub message: String,
    /// What to change.
    pub hint: String,
    /// The spec step it concerns, if any.
    #[schemars(with = "Option<String>")]
    pub step: Option<SpecStep>,
    /// The target address (`ip:port`) it concerns, if any.
    pub target: Option<String>,
}

impl Finding {
    /// A finding with the catalogue's severity and the given message and hint.
    pub fn new(code: Code, message: impl Into<String>, hint: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            hint: hint.into(),
            step: None,
            target: None,
        }
    }

    /// A finding with the catalogue's generic hint.
    pub fn plain(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(code, message, code.hint())
    }

    /// Attach a spec step.
    pub fn at_step(mut self, step: SpecStep) -> Finding {
        self.step = Some(step);
        self
    }

    /// Attach a target address.
    pub fn at_target(mut self, target: impl Into<String>) -> Finding {
        self.target = Some(target.into());
        self
    }
}

/// Homeserver implementations with distinct resolution behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Implementation {
    /// Synapse (Element).
    Synapse,
    /// Dendrite (gomatrixserverlib).
    Dendrite,
    /// conduwuit, tuwunel and continuwuity.
    Conduwuit,
}

impl Implementation {
    /// All, in display order.
    pub const ALL: [Implementation; 3] = [
        Implementation::Synapse,
        Implementation::Dendrite,
        Implementation::Conduwuit,
    ];

    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            Implementation::Synapse => "Synapse",
            Implementation::Dendrite => "Dendrite",
            Implementation::Conduwuit => "conduwuit family",
        }
    }
}

/// Whether one implementation would reach this server.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Compat {
    /// The implementation.
    pub implementation: Implementation,
    /// Would it federate with this server? `null` when it would take a path delegcheck did
    /// not check (the reason says which).
    pub reachable: Option<bool>,
    /// Why not (or a caveat).
    pub reason: Option<String>,
}

/// Time spent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Timings {
    /// The whole check, in milliseconds.
    pub total_ms: u64,
    /// Resolution, in milliseconds.
    pub discovery_ms: u64,
    /// Target checks (all targets, in parallel), in milliseconds.
    pub targets_ms: u64,
}

#[cfg(test)]
impl Report {
    /// A bare report for unit tests: a name, a verdict and findings, nothing else.
    pub(crate) fn sample(name: &str, ok: bool, status: Status, findings: Vec<Finding>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION.into(),
            checked_at: String::new(),
            tool_version: String::new(),
            server_name: name.into(),
            ok,
            status,
            discovery: Default::default(),
            targets: vec![],
            findings,
            compatibility: vec![],
            families: Default::default(),
            timings: Default::default(),
            changes: vec![],
            web_servers: vec![],
            fixes: vec![],
            client: None,
        }
    }
}

impl Report {
    /// The worst severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The verdict depends on what the checking host could not see: a dead local resolver,
    /// the well-known not checked, or targets not checked (deadline, no route from here)
    /// that could still pass while none passes. An error that stands whatever those checks
    /// would say (outside the targets) keeps the verdict `error`.
    pub fn probe_side_unknown(&self) -> bool {
        let certain_error = self.findings.iter().any(|f| {
            f.severity == Severity::Error
                && f.target.is_none()
                && f.code != Code::NoWorkingTarget
                && !f.code.is_client()
        });
        if certain_error {
            return false;
        }
        let main = || self.targets.iter().filter(|t| !t.fallback);
        self.findings.iter().any(|f| {
            f.code == Code::DnsNoAnswer || (f.code == Code::NotChecked && f.target.is_none())
        }) || (main().any(|t| self.could_pass(t)) && !main().any(|t| t.ok))
    }

    /// A target not checked from here that has no error of its own: it may well work.
    pub fn could_pass(&self, t: &TargetReport) -> bool {
        t.not_checked.is_some()
            && !self
                .findings
                .iter()
                .any(|f| f.severity == Severity::Error && f.target.as_deref() == Some(&t.address))
    }

    /// Whether every implementation would reach this server (all compatibility verdicts
    /// `true`), whatever else the findings say.
    pub fn everyone_reaches(&self) -> bool {
        !self.compatibility.is_empty()
            && self.compatibility.iter().all(|c| c.reachable == Some(true))
    }

    /// How a report that is not `ok` fails, in a few words: every implementation gets
    /// through but an error stands, some get through, or none does.
    pub fn failure_kind(&self) -> &'static str {
        if self.everyone_reaches() {
            "federates, but with errors"
        } else if self.compatibility.iter().any(|c| c.reachable == Some(true)) {
            "fails for some implementations"
        } else {
            "would not federate"
        }
    }

    /// Why the verdict is unknown, in a few words (for `Status::Unknown`).
    pub fn unknown_reason(&self) -> &'static str {
        if self.has(Code::DnsNoAnswer) {
            "no DNS lookup was answered from here (is the resolver reachable?)"
        } else if self
            .findings
            .iter()
            .any(|f| f.code == Code::NotChecked && f.target.is_none())
        {
            "the well-known could not be checked from here"
        } else if self.has(Code::DeadlineExceeded) {
            "the deadline passed before the targets were checked"
        } else {
            "the targets could not be checked from here"
        }
    }

    /// Findings with a given code.
    pub fn has(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }

    /// Sets `ok` and `status` from the findings and targets, and sorts findings worst first.
    ///
    /// `ok`: at least one target passes every error-level check, and no error-level finding
    /// stands outside a target. An error at one target does not fail the verdict when another
    /// target works (peers fail over), but it makes the status `warning`.
    pub fn finalize(&mut self) {
        // Worst first; within a severity, causes before their symptoms and the verdict-level
        // summaries last (stable: otherwise in the order the checks found them).
        self.findings
            .sort_by_key(|f| (std::cmp::Reverse(f.severity), f.code.consequence_rank()));
        let error_elsewhere = self
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error && f.target.is_none() && !f.code.is_client());
        // Clients that cannot log in are an error of the report, not of federation: `ok`
        // stays federation's, the status says it.
        let client_error = self
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error && f.code.is_client());
        if let Some(c) = &mut self.client {
            c.ok = !client_error;
        }
        let any_problem = self
            .findings
            .iter()
            .any(|f| f.severity >= Severity::Warning);
        self.ok = !error_elsewhere && self.targets.iter().any(|t| t.ok && !t.fallback);
        let family = |f: Family| {
            let mut of = self
                .targets
                .iter()
                .filter(|t| !t.fallback && t.family == f && t.not_checked.is_none())
                .peekable();
            of.peek().is_some().then(|| of.any(|t| t.ok))
        };
        self.families = FamilyVerdicts {
            ipv4: family(Family::Ipv4),
            ipv6: family(Family::Ipv6),
        };
        self.status = if self.probe_side_unknown() {
            Status::Unknown
        } else if !self.ok || client_error {
            Status::Error
        } else if any_problem {
            Status::Warning
        } else {
            Status::Ok
        };
        // Not known to pass is not passing.
        if self.status == Status::Unknown {
            self.ok = false;
        }
    }
}
