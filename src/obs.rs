//! Observations: what a probe saw. Plain data, no judgement: the vocabulary between the IO
//! layer (`net`, which produces them) and the pure layers (`discovery`, `checks`, `render`,
//! which read them and never import `net`). A saved set of them replays a check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::report::{DnsOutcome, DnsQuery, Target};

/// How a DNS query ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsStatus {
    /// Records came back.
    Ok,
    /// The name does not exist.
    NxDomain,
    /// The name exists, but has no record of this type.
    NoData,
    /// SERVFAIL.
    ServFail,
    /// REFUSED.
    Refused,
    /// No answer in time.
    Timeout,
    /// The UDP answer was truncated (TC) and the retry over TCP failed: refused, reset, or
    /// truncated again (the resolver reports all of these alike).
    TruncatedTcpFailed,
    /// Anything else (another rcode, an I/O error, a malformed answer).
    Other(String),
}

impl DnsStatus {
    /// NXDOMAIN or NODATA: "there is no such record", as opposed to a failure.
    pub fn is_absent(&self) -> bool {
        matches!(self, DnsStatus::NxDomain | DnsStatus::NoData)
    }

    /// A failure (not an answer).
    pub fn is_failure(&self) -> bool {
        !matches!(
            self,
            DnsStatus::Ok | DnsStatus::NxDomain | DnsStatus::NoData
        )
    }

    /// Short text, as in a report, for a query of `rtype` (`SRV`, `A/AAAA`…): NODATA reads
    /// "no SRV record (the name exists)", to set it apart from NXDOMAIN.
    pub fn describe_for(&self, rtype: &str) -> String {
        match self {
            DnsStatus::NoData => format!("no {rtype} record (the name exists)"),
            other => other.describe(),
        }
    }

    /// Short text, as in a report (NODATA without the record type: see
    /// [`DnsStatus::describe_for`]).
    pub fn describe(&self) -> String {
        match self {
            DnsStatus::Ok => "ok".into(),
            DnsStatus::NxDomain => "NXDOMAIN".into(),
            DnsStatus::NoData => "no record of this type (the name exists)".into(),
            DnsStatus::ServFail => "SERVFAIL".into(),
            DnsStatus::Refused => "REFUSED".into(),
            DnsStatus::Timeout => "timeout".into(),
            DnsStatus::TruncatedTcpFailed => {
                "truncated over UDP, and the retry over TCP failed".into()
            }
            DnsStatus::Other(s) => s.clone(),
        }
    }

    /// The status as the JSON report names it.
    pub fn outcome(&self) -> DnsOutcome {
        match self {
            DnsStatus::Ok => DnsOutcome::Ok,
            DnsStatus::NxDomain => DnsOutcome::Nxdomain,
            DnsStatus::NoData => DnsOutcome::Nodata,
            DnsStatus::ServFail => DnsOutcome::Servfail,
            DnsStatus::Refused => DnsOutcome::Refused,
            DnsStatus::Timeout => DnsOutcome::Timeout,
            DnsStatus::TruncatedTcpFailed => DnsOutcome::TruncatedTcpFailed,
            DnsStatus::Other(_) => DnsOutcome::Error,
        }
    }
}

/// One SRV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Priority (lower first).
    pub priority: u16,
    /// Weight (within a priority).
    pub weight: u16,
    /// Port.
    pub port: u16,
    /// Target host, without the trailing dot (`.` stays `.`).
    pub target: String,
}

/// The answer to an SRV query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvAnswer {
    /// The name queried.
    pub name: String,
    /// How it went.
    pub status: DnsStatus,
    /// The records kept, in answer order: the ones servers try first (by priority, then
    /// weight; at most a bound the DNS probe sets) and the first record of the answer (the
    /// one conduwuit-family servers use). See [`crate::discovery::keep_srv`].
    pub records: Vec<SrvRecord>,
    /// How many more records the answer had (not kept: further down the order servers try).
    pub omitted: usize,
    /// Time taken.
    pub duration: Duration,
}

impl SrvAnswer {
    /// The query as the JSON report lists it.
    pub fn query(&self) -> DnsQuery {
        DnsQuery {
            record_type: "SRV".into(),
            status: self.status.outcome(),
        }
    }
}

/// The answer to A and AAAA queries for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrAnswer {
    /// The host queried.
    pub host: String,
    /// The A query (`None` when IPv4 is off).
    pub a: Option<(DnsStatus, Vec<Ipv4Addr>)>,
    /// The AAAA query (`None` when IPv6 is off).
    pub aaaa: Option<(DnsStatus, Vec<Ipv6Addr>)>,
    /// CNAME records followed on the way (alias → canonical), in order.
    pub cnames: Vec<(String, String)>,
    /// Time taken (both queries ran at once).
    pub duration: Duration,
}

impl AddrAnswer {
    /// Every address, IPv6 first (the order RFC 6724 gives most hosts), then IPv4.
    pub fn addrs(&self) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = Vec::new();
        if let Some((_, six)) = &self.aaaa {
            v.extend(six.iter().map(|a| IpAddr::V6(*a)));
        }
        if let Some((_, four)) = &self.a {
            v.extend(four.iter().map(|a| IpAddr::V4(*a)));
        }
        v
    }

    fn statuses(&self) -> impl Iterator<Item = &DnsStatus> {
        [
            self.a.as_ref().map(|x| &x.0),
            self.aaaa.as_ref().map(|x| &x.0),
        ]
        .into_iter()
        .flatten()
    }

    /// A failure in either query (not an absence).
    pub fn failure(&self) -> Option<&DnsStatus> {
        self.statuses().find(|s| s.is_failure())
    }

    /// Why the host has no address, as answered (meaningful when [`AddrAnswer::addrs`] is
    /// empty): a failure of either query if there is one; else NXDOMAIN if a query said the
    /// name does not exist; else NODATA (the name exists, with no A or AAAA record).
    pub fn absence(&self) -> DnsStatus {
        if let Some(f) = self.failure() {
            return f.clone();
        }
        if self.statuses().any(|s| *s == DnsStatus::NxDomain) {
            return DnsStatus::NxDomain;
        }
        DnsStatus::NoData
    }

    /// The record types asked for: `A/AAAA`, or one of them under `-4`/`-6`.
    pub fn types(&self) -> &'static str {
        match (self.a.is_some(), self.aaaa.is_some()) {
            (true, false) => "A",
            (false, true) => "AAAA",
            _ => "A/AAAA",
        }
    }

    /// Why the host has no address, in words: NODATA reads "no A/AAAA record (the name
    /// exists)".
    pub fn describe_absence(&self) -> String {
        self.absence().describe_for(self.types())
    }

    /// The queries as the JSON report lists them.
    pub fn queries(&self) -> Vec<DnsQuery> {
        let a = self.a.as_ref().map(|(s, _)| ("A", s));
        let aaaa = self.aaaa.as_ref().map(|(s, _)| ("AAAA", s));
        [a, aaaa]
            .into_iter()
            .flatten()
            .map(|(t, s)| DnsQuery {
                record_type: t.into(),
                status: s.outcome(),
            })
            .collect()
    }
}

/// Why a TCP connect failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// RST: nothing listens.
    Refused,
    /// No answer.
    Timeout,
    /// No route.
    Unreachable,
    /// Accepted, then reset at once (the TCP handshake completed: a RST to the SYN would
    /// be `Refused`).
    Reset,
    /// Not dialled: the address family is excluded by `-4`/`-6`.
    Excluded,
    /// Anything else.
    Other,
}

impl ConnectFailure {
    /// Classifies an I/O error from `connect`.
    pub fn from_io(e: &std::io::Error) -> ConnectFailure {
        use std::io::ErrorKind::*;
        match e.kind() {
            ConnectionRefused => ConnectFailure::Refused,
            ConnectionReset | ConnectionAborted => ConnectFailure::Reset,
            TimedOut => ConnectFailure::Timeout,
            NetworkUnreachable | HostUnreachable | AddrNotAvailable => ConnectFailure::Unreachable,
            _ => ConnectFailure::Other,
        }
    }

    /// In words.
    pub fn describe(self) -> &'static str {
        match self {
            ConnectFailure::Refused => "connection refused",
            ConnectFailure::Timeout => "connection timed out",
            ConnectFailure::Unreachable => "network unreachable",
            ConnectFailure::Reset => "connection reset by the server",
            ConnectFailure::Excluded => "not dialled: the address family is excluded by -4/-6",
            ConnectFailure::Other => "connection failed",
        }
    }
}

/// What the certificate verifier said about the peer's chain for the expected name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertVerdict {
    /// Valid for the name, chain to a trusted root, in date.
    Valid,
    /// Not valid for the expected name.
    NameMismatch,
    /// Expired.
    Expired,
    /// Not valid yet.
    NotYetValid,
    /// The chain does not lead to a trusted root.
    UnknownIssuer,
    /// Any other rejection, with the verifier's words.
    Other(String),
}

/// A TLS session as set up (or as far as it got).
#[derive(Debug, Clone)]
pub struct TlsObs {
    /// `TLSv1_3` etc.
    pub version: Option<String>,
    /// Cipher suite.
    pub cipher_suite: Option<String>,
    /// ALPN.
    pub alpn: Option<String>,
    /// Certificates the peer sent, leaf first (DER).
    pub chain: Vec<Vec<u8>>,
    /// The verifier's verdict (`None` if the peer sent no certificate).
    pub verdict: Option<CertVerdict>,
    /// The name verified against.
    pub expected_name: String,
    /// Handshake time.
    pub duration: Duration,
}

/// How an HTTPS request failed before a complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestFailure {
    /// The host name did not resolve.
    Dns(DnsStatus),
    /// TCP connect failed.
    Connect(ConnectFailure),
    /// TLS handshake failed (text from rustls).
    Tls(String),
    /// The peer offers only TLS versions older than 1.2.
    TlsOldVersion,
    /// The certificate was rejected (the handshake completed for the record).
    Certificate(CertVerdict),
    /// Timed out waiting for the handshake.
    TlsTimeout,
    /// Timed out waiting for the response.
    ResponseTimeout,
    /// The peer did not speak HTTP.
    Http(String),
}

impl RequestFailure {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            RequestFailure::Dns(s) => format!("DNS: {}", s.describe()),
            RequestFailure::Connect(c) => c.describe().to_owned(),
            RequestFailure::Tls(e) => format!("TLS handshake failed: {e}"),
            RequestFailure::TlsOldVersion => {
                format!("TLS handshake failed: {OLD_TLS}")
            }
            RequestFailure::Certificate(v) => format!("certificate rejected: {v:?}"),
            RequestFailure::TlsTimeout => "TLS handshake timed out".to_owned(),
            RequestFailure::ResponseTimeout => "no response in time".to_owned(),
            RequestFailure::Http(e) => format!("HTTP error: {e}"),
        }
    }
}

/// What an old-TLS-only peer is, in words.
pub const OLD_TLS: &str = "the server offers only TLS older than 1.2";

/// An HTTP response (status, headers, capped body).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers (names lower-case), at most 100.
    pub headers: Vec<(String, String)>,
    /// The body, up to the cap.
    pub body: Vec<u8>,
    /// The body was longer than the cap (reading stopped there).
    pub truncated: bool,
    /// Time from request to the end of the body.
    pub duration: Duration,
}

impl HttpResponse {
    /// First header of that (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTPS exchange on one connection.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The address connected to (before `--connect-to`).
    pub ip: IpAddr,
    /// The port.
    pub port: u16,
    /// TCP connect time, when it succeeded.
    pub connect: Option<Duration>,
    /// The TLS session, if the handshake got far enough to see certificates.
    pub tls: Option<TlsObs>,
    /// The response, or why there is none.
    pub result: Result<HttpResponse, RequestFailure>,
}

/// `GET` path of the version endpoint.
pub const VERSION_PATH: &str = "/_matrix/federation/v1/version";
/// `GET` path of the key endpoint.
pub const KEYS_PATH: &str = "/_matrix/key/v2/server";
/// An unauthenticated federation request (with encoded characters, which path-rewriting
/// proxies mangle); a homeserver answers 401 `M_UNAUTHORIZED`.
pub const ROUTING_PATH: &str =
    "/_matrix/federation/v1/query/profile?user_id=%40delegcheck%3Aexample.org&field=displayname";
/// Why a redirect chain stopped without a final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectStop {
    /// A URL came up twice.
    Loop,
    /// More than the redirect limit hops.
    TooMany,
    /// A hop to plain `http://` on another host (homeservers follow it; delegcheck does not).
    Insecure(String),
    /// A hop to a scheme other than `https` or `http`.
    Unsupported(String),
    /// A hop from a public address into a private or loopback one (not followed).
    Internal(String, IpAddr),
    /// A 3xx without a usable Location.
    NoLocation,
    /// The Location's host did not resolve.
    Dns(String, DnsStatus),
}

/// One redirect hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// URL that answered with a redirect.
    pub from: String,
    /// Status.
    pub status: u16,
    /// Resolved Location.
    pub location: Option<String>,
}

/// A GET that follows redirects, starting at a given address.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// The address of the first request.
    pub ip: IpAddr,
    /// Redirects followed.
    pub hops: Vec<Hop>,
    /// The last exchange (the final response, or the one that failed).
    pub last: Exchange,
    /// Why following stopped early, if it did.
    pub stop: Option<RedirectStop>,
    /// The first `http://` URL the chain was redirected to, if any (followed, as homeservers
    /// do, but insecure).
    pub insecure: Option<String>,
    /// The final URL.
    pub url: String,
    /// Total time.
    pub duration: Duration,
}

impl Fetch {
    /// The final response, if the chain ended in one (redirect stops count as no response).
    pub fn response(&self) -> Option<&HttpResponse> {
        if self.stop.is_some() {
            return None;
        }
        self.last.result.as_ref().ok()
    }

    /// The certificate verdict of the connection that failed first, if any was not valid.
    pub fn bad_certificate(&self) -> Option<(&TlsObs, &CertVerdict)> {
        let tls = self.last.tls.as_ref()?;
        match &tls.verdict {
            Some(CertVerdict::Valid) | None => None,
            Some(v) => Some((tls, v)),
        }
    }
}

/// What was seen at one target.
#[derive(Debug, Clone)]
pub struct TargetObs {
    /// The target.
    pub target: Target,
    /// `/version`.
    pub version: Exchange,
    /// `/key/v2/server`.
    pub keys: Exchange,
    /// The unauthenticated request.
    pub routing: Exchange,
    /// The same with `Host: name:port` (only where conduwuit-family peers send that).
    pub host_port: Option<Exchange>,
    /// When routing fails with the spec's Host: the same request with `Host: <hostname>`
    /// (the name the target was resolved from, without port), to tell a proxy that routes
    /// on another name from one that does not route `/_matrix` at all.
    pub routing_by_hostname: Option<Exchange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(a: DnsStatus, aaaa: Option<DnsStatus>) -> AddrAnswer {
        AddrAnswer {
            host: "example.org".into(),
            a: Some((a, vec![])),
            aaaa: aaaa.map(|s| (s, vec![])),
            cnames: vec![],
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn absence_is_the_status_as_answered() {
        use DnsStatus::*;
        let both = |a: DnsStatus, b: DnsStatus| answer(a, Some(b)).absence();
        // Before: anything without a failure read as NXDOMAIN.
        assert_eq!(both(NoData, NoData), NoData);
        assert_eq!(both(NxDomain, NxDomain), NxDomain);
        assert_eq!(both(NoData, NxDomain), NxDomain);
        // A failure of either query is the reason, whatever the other said.
        assert_eq!(both(NoData, ServFail), ServFail);
        assert_eq!(both(Timeout, NxDomain), Timeout);
        assert_eq!(both(TruncatedTcpFailed, NoData), TruncatedTcpFailed);
        assert_eq!(both(Refused, Refused), Refused);
        // `-4`: the one query made decides, and is named.
        let four = answer(NoData, None);
        assert_eq!(four.absence(), NoData);
        assert_eq!(four.describe_absence(), "no A record (the name exists)");
        assert_eq!(
            answer(NoData, Some(NoData)).describe_absence(),
            "no A/AAAA record (the name exists)"
        );
        assert_eq!(
            answer(NxDomain, Some(NxDomain)).describe_absence(),
            "NXDOMAIN"
        );
    }

    #[test]
    fn every_status_has_its_own_words_and_json_name() {
        use DnsStatus::*;
        let all = [
            Ok,
            NxDomain,
            NoData,
            ServFail,
            Refused,
            Timeout,
            TruncatedTcpFailed,
            Other("FORMERR".into()),
        ];
        let words: std::collections::HashSet<String> = all.iter().map(|s| s.describe()).collect();
        assert_eq!(words.len(), all.len());
        let names: std::collections::HashSet<String> = all
            .iter()
            .map(|s| serde_json::to_string(&s.outcome()).unwrap())
            .collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            serde_json::to_string(&TruncatedTcpFailed.outcome()).unwrap(),
            "\"truncated_tcp_failed\""
        );
        assert!(TruncatedTcpFailed.is_failure() && !TruncatedTcpFailed.is_absent());
        assert!(NoData.is_absent() && !NoData.is_failure());
    }
}
