//! Observations: what a probe saw. Plain data, no judgement: the vocabulary between the IO
//! layer (`net`, which produces them) and the pure layers (`discovery`, `checks`, `render`,
//! which read them and never import `net`). A saved set of them replays a check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::report::{DnsOutcome, DnsQuery, DnsRecord, Target};

/// Which address families a check connects over (`-4`/`-6`: as a single-stack peer
/// would). DNS is always asked for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpFamilies {
    /// IPv4 and IPv6.
    #[default]
    Both,
    /// `-4`.
    V4Only,
    /// `-6`.
    V6Only,
}

impl IpFamilies {
    /// Is this address allowed?
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            IpFamilies::Both => true,
            IpFamilies::V4Only => ip.is_ipv4(),
            IpFamilies::V6Only => ip.is_ipv6(),
        }
    }
}

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
    /// No answer before the check's own deadline, which had cut the query's time short: the
    /// check's limit, not the server's (see [`crate::net::Deadline::clamped`]).
    Deadline,
    /// The UDP answer was truncated (TC) and the retry over TCP failed: refused, reset, or
    /// truncated again (the resolver reports all of these alike).
    TruncatedTcpFailed,
    /// Anything else (another rcode, an I/O error, a malformed answer).
    Other(String),
}

impl DnsStatus {
    /// A timeout in a query whose time the check's deadline had cut short becomes
    /// [`DnsStatus::Deadline`] (`clamped`: see [`crate::net::Deadline::clamped`]).
    pub fn cut_short(&mut self, clamped: bool) {
        if clamped && *self == DnsStatus::Timeout {
            *self = DnsStatus::Deadline;
        }
    }

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
            DnsStatus::Deadline => "not answered before the check's deadline".into(),
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
            // The query did time out; the findings say whose limit it was.
            DnsStatus::Timeout | DnsStatus::Deadline => DnsOutcome::Timeout,
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
    /// The answer's records as answered, with their TTLs, in answer order (at most a bound
    /// the DNS probe sets), for the report.
    pub answered: Vec<DnsRecord>,
    /// Time taken.
    pub duration: Duration,
}

impl SrvAnswer {
    /// The query as the JSON report lists it.
    pub fn query(&self) -> DnsQuery {
        DnsQuery {
            record_type: "SRV".into(),
            status: self.status.outcome(),
            records: self.answered.clone(),
        }
    }
}

/// The records of the A and the AAAA answer as answered (CNAMEs included), with their TTLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddrRecords {
    /// The A answer's records.
    pub a: Vec<DnsRecord>,
    /// The AAAA answer's records.
    pub aaaa: Vec<DnsRecord>,
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
    /// The records of each answer as answered, with their TTLs, for the report.
    pub answered: AddrRecords,
    /// Time taken (both queries ran at once).
    pub duration: Duration,
    /// The addresses came from a flag (`--resolve`, or `--connect-to` for a host DNS has no
    /// address for), not from DNS.
    pub overridden: Option<Override>,
}

/// Which flag gave a host's addresses instead of DNS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    /// `--resolve HOST:PORT:ADDR`: DNS was not asked.
    Resolve,
    /// `--connect-to HOST:PORT:…` for a host DNS gave no address: the rule's address.
    ConnectTo,
}

impl Override {
    /// The flag, as typed.
    pub fn flag(self) -> &'static str {
        match self {
            Override::Resolve => "--resolve",
            Override::ConnectTo => "--connect-to",
        }
    }
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

    /// Marks timeouts as the check's deadline's when it had cut the queries short.
    pub fn cut_short(&mut self, clamped: bool) {
        let a = self.a.as_mut().map(|(s, _)| s);
        let aaaa = self.aaaa.as_mut().map(|(s, _)| s);
        for status in [a, aaaa].into_iter().flatten() {
            status.cut_short(clamped);
        }
    }

    /// Whether the check's deadline cut either query short.
    pub fn cut_by_deadline(&self) -> bool {
        self.statuses().any(|s| *s == DnsStatus::Deadline)
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
        let a = self.a.as_ref().map(|(s, _)| ("A", s, &self.answered.a));
        let aaaa = self
            .aaaa
            .as_ref()
            .map(|(s, _)| ("AAAA", s, &self.answered.aaaa));
        [a, aaaa]
            .into_iter()
            .flatten()
            .map(|(t, s, records)| DnsQuery {
                record_type: t.into(),
                status: s.outcome(),
                records: records.clone(),
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
    /// This host has no route to the address (no IPv6 route, no network): a limit of the
    /// checking host, not of the server.
    NoRoute,
    /// Not dialled: a link-local, unspecified, broadcast or multicast address, where no
    /// server answers (and cloud metadata services live).
    Forbidden,
    /// Not dialled: `--public-only` refuses every non-public address.
    NotPublic,
    /// This host could not open a connection at all (no file descriptors or buffers left, a
    /// local firewall or sandbox): a limit of the checking host.
    Local,
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
            // The local stack has no route (or no source address) for it.
            NetworkUnreachable | AddrNotAvailable => ConnectFailure::NoRoute,
            HostUnreachable => ConnectFailure::Unreachable,
            // This host may not open the socket (a firewall rule here, a sandbox).
            PermissionDenied => ConnectFailure::Local,
            // Out of file descriptors or buffers here (Linux EMFILE, ENFILE, ENOBUFS).
            _ if matches!(e.raw_os_error(), Some(23 | 24 | 105)) && cfg!(target_os = "linux") => {
                ConnectFailure::Local
            }
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
            ConnectFailure::NoRoute => "this host has no route to that address",
            ConnectFailure::Forbidden => {
                "not dialled: a link-local, unspecified, broadcast or multicast address (no server answers there)"
            }
            ConnectFailure::NotPublic => "not dialled: --public-only refuses non-public addresses",
            ConnectFailure::Local => {
                "this host could not open the connection (out of sockets, or a local firewall)"
            }
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
    /// Any other rejection, by kind.
    Other(CertProblem),
}

impl CertVerdict {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            CertVerdict::Valid => "valid".into(),
            CertVerdict::NameMismatch => "not valid for this name".into(),
            CertVerdict::Expired => "expired".into(),
            CertVerdict::NotYetValid => "not valid yet".into(),
            CertVerdict::UnknownIssuer => "untrusted issuer".into(),
            CertVerdict::Other(p) => p.describe(),
        }
    }
}

/// A hash too weak to sign certificates with, that verifiers no longer accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeakHash {
    /// SHA-1.
    Sha1,
    /// MD5.
    Md5,
}

/// Why the verifier rejected a chain, for the rejections that have no verdict of their own
/// (name, dates and issuer do). Produced in `net::tls` from the verifier's error; described
/// here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// A certificate of the chain is signed with a hash no longer accepted.
    WeakSignature(WeakHash),
    /// A certificate of the chain is signed with an algorithm the verifier does not support.
    UnsupportedSignature,
    /// A signature of the chain does not verify.
    BadSignature,
    /// More intermediates than verifiers follow.
    ChainTooLong,
    /// So many candidate paths that the verifier gave up.
    ChainTooComplex,
    /// An intermediate used deeper in the chain than its path-length constraint allows.
    PathLenConstraint,
    /// An issuing CA's name constraints exclude the certificate's names.
    NameConstraint,
    /// A certificate is not valid DER, or has a malformed or unsupported field.
    BadEncoding,
    /// The certificate is not for TLS servers (extended key usage).
    WrongPurpose,
    /// The certificate is revoked.
    Revoked,
    /// The issuing CA is explicitly distrusted.
    Distrusted,
    /// A critical extension the verifier does not know.
    UnknownCriticalExtension,
    /// A CA certificate presented as the server's own.
    CaAsLeaf,
    /// A server (end-entity) certificate used as an issuer.
    LeafAsCa,
    /// Anything else: the verifier's text, put in plain words when described.
    Other(String),
}

impl CertProblem {
    /// In words.
    pub fn describe(&self) -> String {
        let s = match self {
            CertProblem::WeakSignature(WeakHash::Sha1) => {
                "a certificate of the chain is signed with SHA-1, which is no longer accepted"
            }
            CertProblem::WeakSignature(WeakHash::Md5) => {
                "a certificate of the chain is signed with MD5, which is no longer accepted"
            }
            CertProblem::UnsupportedSignature => {
                "a certificate of the chain is signed with an algorithm verifiers do not accept"
            }
            CertProblem::BadSignature => {
                "a signature in the chain does not verify: a certificate was not signed by the certificate that follows it"
            }
            CertProblem::ChainTooLong => {
                "the certificate chain is longer than the verifier allows (more than 6 intermediate certificates)"
            }
            CertProblem::ChainTooComplex => {
                "the certificate chain offers so many possible paths that the verifier gave up"
            }
            CertProblem::PathLenConstraint => {
                "an intermediate CA is used deeper in the chain than its path-length constraint allows"
            }
            CertProblem::NameConstraint => {
                "an issuing CA's name constraints do not allow the certificate's names"
            }
            CertProblem::BadEncoding => {
                "a certificate of the chain is malformed (invalid DER or an unsupported field)"
            }
            CertProblem::WrongPurpose => {
                "the certificate is not for TLS servers (its extended key usage lacks serverAuth)"
            }
            CertProblem::Revoked => "the certificate is revoked",
            CertProblem::Distrusted => "the issuing CA is explicitly distrusted",
            CertProblem::UnknownCriticalExtension => {
                "the certificate has a critical extension the verifier does not know"
            }
            CertProblem::CaAsLeaf => "the server presents a CA certificate as its own",
            CertProblem::LeafAsCa => "a server certificate is used as an issuer in the chain",
            CertProblem::Other(t) => {
                return format!("rejected by the verifier: {}", plain_words(t));
            }
        };
        s.to_owned()
    }
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

/// Why a TLS handshake failed (old versions and timeouts have variants of their own in
/// [`RequestFailure`]), by kind. Produced in `net::tls`; described here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// The reply to the ClientHello was plain HTTP: the port serves HTTP, not HTTPS.
    PlainHttp {
        /// The reply's first line (`HTTP/1.1 400 Bad Request`), clipped.
        status_line: String,
    },
    /// The reply is neither TLS nor HTTP.
    NotTls,
    /// The server ended the handshake with a fatal alert (its TLS registry number).
    Alert(u8),
    /// The server sent no certificate.
    NoCertificate,
    /// The server closed the connection during the handshake, without an alert.
    Closed,
    /// The server reset the connection during the handshake.
    Reset,
    /// A handshake message or record larger than the client accepts (64 KiB).
    TooLarge,
    /// A malformed or out-of-order handshake message.
    Malformed,
    /// No protocol version, cipher suite or signature scheme in common.
    Incompatible,
    /// This name cannot be sent as a TLS server name.
    BadName(String),
    /// No TLS session was seen, and no failure was recorded.
    NoSession,
    /// Anything else: the library's text, put in plain words when described.
    Other(String),
}

impl TlsFailure {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            TlsFailure::PlainHttp { status_line } if status_line.is_empty() => {
                "the port speaks plain HTTP, not TLS".to_owned()
            }
            TlsFailure::PlainHttp { status_line } => format!(
                "the port speaks plain HTTP, not TLS: it answered the TLS handshake with `{status_line}`"
            ),
            TlsFailure::NotTls => {
                "the port does not speak TLS: its answer to the handshake is neither TLS nor HTTP"
                    .to_owned()
            }
            TlsFailure::Alert(n) => alert_words(*n),
            TlsFailure::NoCertificate => "the server sent no certificate".to_owned(),
            TlsFailure::Closed => {
                "the server closed the connection during the TLS handshake without a word (often a TLS listener without a certificate for this name, or a port that speaks another protocol)".to_owned()
            }
            TlsFailure::Reset => "the server reset the connection during the TLS handshake".to_owned(),
            TlsFailure::TooLarge => {
                "the server sent a TLS handshake message larger than 64 KiB, the most rustls-based clients accept (usually an oversized certificate chain)".to_owned()
            }
            TlsFailure::Malformed => {
                "the server sent a malformed or unexpected TLS handshake message".to_owned()
            }
            TlsFailure::Incompatible => {
                "the server has no TLS version, cipher suite or signature algorithm in common with a modern client".to_owned()
            }
            TlsFailure::BadName(n) => format!("`{n}` cannot be sent as a TLS server name"),
            TlsFailure::NoSession => "no TLS session".to_owned(),
            TlsFailure::Other(t) => format!("the TLS handshake failed: {}", plain_words(t)),
        }
    }
}

/// A fatal TLS alert from the server, by its registry number, in words.
fn alert_words(n: u8) -> String {
    let (name, meaning) = match n {
        40 => (
            "handshake_failure",
            "it has no certificate or cipher for this request, often no certificate for the name sent (SNI)",
        ),
        112 => (
            "unrecognized_name",
            "it has no certificate or site for the name sent (SNI)",
        ),
        80 => (
            "internal_error",
            "an error in its own TLS setup, often a missing or unreadable certificate or key",
        ),
        70 => ("protocol_version", "no TLS version in common"),
        71 => (
            "insufficient_security",
            "it requires stronger ciphers than offered",
        ),
        120 => (
            "no_application_protocol",
            "it does not offer HTTP/1.1 (ALPN)",
        ),
        116 => ("certificate_required", "it requires a client certificate"),
        49 => ("access_denied", "it refuses this client"),
        47 => (
            "illegal_parameter",
            "it rejects a parameter of the handshake",
        ),
        50 => ("decode_error", "it could not parse the handshake"),
        10 => (
            "unexpected_message",
            "a handshake message came out of order",
        ),
        20 => ("bad_record_mac", "a record failed its integrity check"),
        22 => ("record_overflow", "a record was too long"),
        42 => ("bad_certificate", "it rejects a certificate"),
        48 => ("unknown_ca", "it does not trust a certificate's issuer"),
        51 => ("decrypt_error", "a handshake signature or check failed"),
        86 => (
            "inappropriate_fallback",
            "it refuses a downgraded handshake",
        ),
        90 => ("user_canceled", "it canceled the handshake"),
        109 => ("missing_extension", "a required TLS extension is missing"),
        110 => ("unsupported_extension", "an extension was not expected"),
        _ => {
            return format!("the server refused the TLS handshake with alert number {n}");
        }
    };
    format!("the server refused the TLS handshake (alert {name}): {meaning}")
}

/// How an HTTP exchange broke after the TLS handshake, by kind. Produced in `net::http`;
/// described here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFailure {
    /// The body ended before its declared `Content-Length`.
    BodyShort {
        /// The declared length.
        expected: u64,
        /// The bytes that came.
        received: u64,
    },
    /// A chunked body ended in the middle.
    ChunkedCut {
        /// The body bytes that came.
        received: u64,
    },
    /// The chunked encoding is invalid.
    BadChunked,
    /// The response head (status line and headers) is larger than the client reads.
    HeadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The connection closed before a complete response head.
    ClosedBeforeResponse,
    /// The status line is not valid HTTP.
    BadStatus,
    /// The response is not valid HTTP/1.1.
    NotHttp,
    /// The connection was reset before the response was complete.
    Reset,
    /// Anything else: the library's text, put in plain words when described.
    Other(String),
}

impl HttpFailure {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            HttpFailure::BodyShort { expected, received } => format!(
                "the response ended before its Content-Length: {received} of {expected} bytes came"
            ),
            HttpFailure::ChunkedCut { received } => format!(
                "the connection closed in the middle of the chunked response body (after {received} bytes)"
            ),
            HttpFailure::BadChunked => {
                "the response's chunked encoding is invalid (a malformed chunk size or chunk end)"
                    .to_owned()
            }
            HttpFailure::HeadTooLarge { limit } => {
                format!("the response headers are larger than {} KiB", limit / 1024)
            }
            HttpFailure::ClosedBeforeResponse => {
                "the connection closed before a complete response came".to_owned()
            }
            HttpFailure::BadStatus => "the response's status line is not valid HTTP".to_owned(),
            HttpFailure::NotHttp => "the response is not valid HTTP/1.1".to_owned(),
            HttpFailure::Reset => {
                "the connection was reset before the response was complete".to_owned()
            }
            HttpFailure::Other(t) => format!("the HTTP exchange failed: {}", plain_words(t)),
        }
    }
}

/// A library's error text in plain words, for the kinds no variant names: Rust identifiers
/// (`InvalidContentType`) become lower-case words, structure dumps (`{ … }`, `[ … ]`) and
/// wrapper names (`Other(OtherError(…))`) go, and the result is clipped.
pub fn plain_words(text: &str) -> String {
    const WRAPPERS: [&str; 6] = ["Other", "OtherError", "General", "Custom", "Kind", "Some"];
    let cut = text.find(['{', '[']).map_or(text, |i| &text[..i]);
    let mut words: Vec<String> = Vec::new();
    for raw in cut.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        if raw.is_empty() || WRAPPERS.contains(&raw) {
            continue;
        }
        let ident = raw.trim_end_matches([',', ':', ';', '.']);
        if is_camel_case(ident) {
            let mut w = String::new();
            for (i, c) in ident.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    w.push(' ');
                }
                w.push(c.to_ascii_lowercase());
            }
            w.push_str(&raw[ident.len()..]);
            words.push(w);
        } else {
            words.push(raw.to_owned());
        }
    }
    let s = words.join(" ");
    let s = s.trim().trim_end_matches([':', ',', ';']).trim();
    if s.is_empty() {
        return "no details".to_owned();
    }
    crate::sanitize::clip(s, 160)
}

/// Whether a word is a Rust type or variant name (`InvalidContentType`, `OtherError`): ASCII
/// letters and digits, starting with a capital, with at least two capital-then-lower-case
/// humps (so `KiB`, `TLSv1` and `HTTP` are not).
fn is_camel_case(w: &str) -> bool {
    let b = w.as_bytes();
    let humps = b
        .windows(2)
        .filter(|p| p[0].is_ascii_uppercase() && p[1].is_ascii_lowercase())
        .count();
    b.first().is_some_and(u8::is_ascii_uppercase)
        && b.iter().all(u8::is_ascii_alphanumeric)
        && humps >= 2
}

/// How an HTTPS request failed before a complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestFailure {
    /// The host name did not resolve.
    Dns(DnsStatus),
    /// TCP connect failed.
    Connect(ConnectFailure),
    /// TLS handshake failed.
    Tls(TlsFailure),
    /// The peer offers only TLS versions older than 1.2.
    TlsOldVersion,
    /// The certificate was rejected (the handshake completed for the record).
    Certificate(CertVerdict),
    /// Timed out waiting for the handshake.
    TlsTimeout,
    /// Timed out waiting for the response.
    ResponseTimeout,
    /// The HTTP exchange broke.
    Http(HttpFailure),
    /// Not finished: the overall deadline (`--timeout`) cut this step short. A limit of the
    /// check, not of the server.
    Deadline,
}

impl RequestFailure {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            RequestFailure::Dns(s) => format!("DNS: {}", s.describe()),
            RequestFailure::Connect(c) => c.describe().to_owned(),
            RequestFailure::Tls(e) => e.describe(),
            RequestFailure::TlsOldVersion => {
                format!("TLS handshake failed: {OLD_TLS}")
            }
            RequestFailure::Certificate(v) => format!("certificate rejected: {}", v.describe()),
            RequestFailure::TlsTimeout => "TLS handshake timed out".to_owned(),
            RequestFailure::ResponseTimeout => "no response in time".to_owned(),
            RequestFailure::Http(e) => e.describe(),
            RequestFailure::Deadline => {
                "not checked: the overall deadline (--timeout) passed first".to_owned()
            }
        }
    }
}

impl RequestFailure {
    /// Why this request says nothing about the server, when it is the checking host's own
    /// limit (the deadline, no route from here).
    pub fn probe_side(&self) -> Option<&'static str> {
        match self {
            RequestFailure::Deadline => Some("not checked: the deadline (--timeout) passed first"),
            RequestFailure::Connect(ConnectFailure::NoRoute) => {
                Some("not checked from here: this host has no route to that address")
            }
            RequestFailure::Connect(ConnectFailure::NotPublic) => {
                Some("not checked: --public-only refuses non-public addresses")
            }
            RequestFailure::Connect(ConnectFailure::Excluded) => {
                Some("not checked: -4/-6 excludes this address family")
            }
            RequestFailure::Connect(ConnectFailure::Local) => Some(
                "not checked: this host could not open the connection (out of sockets, or a local firewall)",
            ),
            _ => None,
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

/// Most body bytes delegcheck reads from the version endpoint (a response cut there is "not
/// checked", never malformed: homeservers read far more).
pub const VERSION_BODY_CAP: usize = 64 * 1024;
/// Most body bytes delegcheck reads from the key endpoint: thousands of old keys.
pub const KEYS_BODY_CAP: usize = 1024 * 1024;

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
    /// The deadline (`--timeout`) ended the chain before it finished: not checked.
    Deadline,
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
    /// The redirect response's headers (names lower-case, as kept in [`HttpResponse`]):
    /// a browser reads `Access-Control-Allow-Origin` on every hop.
    pub headers: Vec<(String, String)>,
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

    /// Why the fetch says nothing about the server, when the checking host's own limits
    /// ended it (the deadline, no route, `--public-only`).
    pub fn not_checked(&self) -> Option<&'static str> {
        if self.stop == Some(RedirectStop::Deadline) {
            return Some("not checked: the deadline (--timeout) ended the redirects");
        }
        if self.stop.is_some() {
            return None;
        }
        self.last.result.as_ref().err().and_then(|e| e.probe_side())
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

/// One exchange as `--trace` shows it (recorded by `net::trace`, written by `render::trace`):
/// what happened, in the words of the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceEvent {
    /// A DNS question was sent.
    DnsQuery {
        /// The name asked.
        name: String,
        /// `A`, `AAAA`, `SRV`.
        rtype: &'static str,
    },
    /// Its answer: the status and each record as `name TTL TYPE value`.
    DnsAnswer {
        /// The name asked.
        name: String,
        /// `A`, `AAAA`, `SRV`.
        rtype: &'static str,
        /// `NOERROR`, `NXDOMAIN`, `timed out`, …
        status: String,
        /// The records, in answer order.
        records: Vec<String>,
        /// How long it took.
        took: Duration,
    },
    /// A TCP connection attempt and how it ended.
    Connect {
        /// `127.0.0.1:8448 (matrix.example.org)`.
        place: String,
        /// Where the connection really went, when `--connect-to` moved it.
        routed: Option<String>,
        /// `None` when it connected, else why not.
        failure: Option<String>,
        /// How long it took.
        took: Duration,
    },
    /// A TLS handshake and what it settled.
    Tls {
        /// Where.
        place: String,
        /// The SNI sent (`None` for an IP address: no SNI).
        sni: Option<String>,
        /// Version, cipher suite, ALPN (when the handshake got that far).
        version: Option<String>,
        /// The cipher suite.
        cipher: Option<String>,
        /// The protocol ALPN settled on.
        alpn: Option<String>,
        /// The certificates the server sent, leaf first (DER).
        chain: Vec<Vec<u8>>,
        /// `None` when the handshake completed, else why not.
        failure: Option<String>,
        /// How long it took.
        took: Duration,
    },
    /// An HTTP request as sent: request line, then headers.
    Request {
        /// Where.
        place: String,
        /// `GET /.well-known/matrix/server HTTP/1.1`.
        line: String,
        /// The headers sent.
        headers: Vec<(String, String)>,
    },
    /// An HTTP response as received: status, headers, the start of the body.
    Response {
        /// Where.
        place: String,
        /// The status code.
        status: u16,
        /// The headers received (as kept: capped).
        headers: Vec<(String, String)>,
        /// The body as read (capped by the request's own cap).
        body: Vec<u8>,
        /// Whether the body was cut at the cap.
        truncated: bool,
        /// From the request to the end of the body.
        took: Duration,
    },
    /// A request that got no response, and why.
    NoResponse {
        /// Where.
        place: String,
        /// Why.
        failure: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Failures of the checking host's own stack are told from the server's.
    #[test]
    fn connect_errors_are_classified_by_whose_they_are() {
        use std::io::{Error, ErrorKind};
        let kind = |k: ErrorKind| ConnectFailure::from_io(&Error::from(k));
        assert_eq!(kind(ErrorKind::ConnectionRefused), ConnectFailure::Refused);
        assert_eq!(kind(ErrorKind::NetworkUnreachable), ConnectFailure::NoRoute);
        assert_eq!(kind(ErrorKind::AddrNotAvailable), ConnectFailure::NoRoute);
        assert_eq!(
            kind(ErrorKind::HostUnreachable),
            ConnectFailure::Unreachable
        );
        assert_eq!(kind(ErrorKind::PermissionDenied), ConnectFailure::Local);
        #[cfg(target_os = "linux")]
        for errno in [23, 24, 105] {
            assert_eq!(
                ConnectFailure::from_io(&Error::from_raw_os_error(errno)),
                ConnectFailure::Local,
                "errno {errno}"
            );
        }
        for f in [
            ConnectFailure::NoRoute,
            ConnectFailure::Local,
            ConnectFailure::NotPublic,
            // -4/-6 is the check's choice: a client request it keeps from a host says
            // nothing about the server.
            ConnectFailure::Excluded,
        ] {
            assert!(RequestFailure::Connect(f).probe_side().is_some(), "{f:?}");
        }
        for f in [
            ConnectFailure::Refused,
            ConnectFailure::Unreachable,
            ConnectFailure::Forbidden,
        ] {
            assert!(RequestFailure::Connect(f).probe_side().is_none(), "{f:?}");
        }
    }

    /// Whether a text still shows a library's internals: a Rust identifier
    /// (`InvalidContentType`), a structure dump or a wrapper.
    fn looks_like_debug(s: &str) -> bool {
        s.contains('{')
            || s.split(|c: char| !c.is_ascii_alphanumeric())
                .any(is_camel_case)
    }

    #[test]
    fn library_text_is_put_in_plain_words() {
        for (raw, want) in [
            (
                "received corrupt message of type InvalidContentType",
                "received corrupt message of type invalid content type",
            ),
            (
                "Other(OtherError(MaximumPathDepthExceeded))",
                "maximum path depth exceeded",
            ),
            (
                "UnsupportedSignatureAlgorithmContext { signature_algorithm_id: [6, 8, 42], supported_algorithms: [] }",
                "unsupported signature algorithm context",
            ),
            (
                "peer misbehaved: IllegalMiddleboxChangeCipherSpec",
                "peer misbehaved: illegal middlebox change cipher spec",
            ),
            (
                "HTTP/1.1 over TLSv1_3, 64 KiB",
                "HTTP/1.1 over TLSv1_3, 64 KiB",
            ),
            ("[1, 2, 3]", "no details"),
            ("", "no details"),
        ] {
            assert_eq!(plain_words(raw), want, "{raw}");
            assert!(!looks_like_debug(&plain_words(raw)), "{raw}");
        }
        assert!(plain_words(&"word ".repeat(100)).chars().count() <= 160);
    }

    /// Every kind of failure is a sentence, never a Debug dump, and each says something
    /// of its own.
    #[test]
    fn every_failure_kind_is_described_in_words() {
        let tls = [
            TlsFailure::PlainHttp {
                status_line: "HTTP/1.1 400 Bad Request".into(),
            },
            TlsFailure::PlainHttp {
                status_line: String::new(),
            },
            TlsFailure::NotTls,
            TlsFailure::Alert(40),
            TlsFailure::Alert(112),
            TlsFailure::Alert(80),
            TlsFailure::Alert(200),
            TlsFailure::NoCertificate,
            TlsFailure::Closed,
            TlsFailure::Reset,
            TlsFailure::TooLarge,
            TlsFailure::Malformed,
            TlsFailure::Incompatible,
            TlsFailure::BadName("a b".into()),
            TlsFailure::NoSession,
            TlsFailure::Other("received corrupt message of type HandshakePayloadTooLarge".into()),
        ];
        let http = [
            HttpFailure::BodyShort {
                expected: 4096,
                received: 31,
            },
            HttpFailure::ChunkedCut { received: 10 },
            HttpFailure::BadChunked,
            HttpFailure::HeadTooLarge { limit: 65536 },
            HttpFailure::ClosedBeforeResponse,
            HttpFailure::BadStatus,
            HttpFailure::NotHttp,
            HttpFailure::Reset,
            HttpFailure::Other("error reading a body from connection: Kind(UnexpectedEof)".into()),
        ];
        let cert = [
            CertProblem::WeakSignature(WeakHash::Sha1),
            CertProblem::WeakSignature(WeakHash::Md5),
            CertProblem::UnsupportedSignature,
            CertProblem::BadSignature,
            CertProblem::ChainTooLong,
            CertProblem::ChainTooComplex,
            CertProblem::PathLenConstraint,
            CertProblem::NameConstraint,
            CertProblem::BadEncoding,
            CertProblem::WrongPurpose,
            CertProblem::Revoked,
            CertProblem::Distrusted,
            CertProblem::UnknownCriticalExtension,
            CertProblem::CaAsLeaf,
            CertProblem::LeafAsCa,
            CertProblem::Other("Other(OtherError(NameConstraintViolation))".into()),
        ];
        let texts: Vec<String> = tls
            .iter()
            .map(TlsFailure::describe)
            .chain(http.iter().map(HttpFailure::describe))
            .chain(cert.iter().map(CertProblem::describe))
            .collect();
        for t in &texts {
            assert!(!looks_like_debug(t), "{t}");
            assert!(t.len() > 10, "{t}");
        }
        let mut unique = texts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), texts.len(), "two kinds share a text");
        assert_eq!(
            HttpFailure::BodyShort {
                expected: 4096,
                received: 31
            }
            .describe(),
            "the response ended before its Content-Length: 31 of 4096 bytes came"
        );
        assert!(
            CertProblem::WeakSignature(WeakHash::Sha1)
                .describe()
                .contains("signed with SHA-1, which is no longer accepted")
        );
        assert!(
            TlsFailure::Alert(112)
                .describe()
                .contains("unrecognized_name")
        );
        assert_eq!(
            RequestFailure::Tls(TlsFailure::NotTls).describe(),
            TlsFailure::NotTls.describe()
        );
        assert_eq!(
            RequestFailure::Certificate(CertVerdict::Other(CertProblem::ChainTooLong)).describe(),
            format!(
                "certificate rejected: {}",
                CertProblem::ChainTooLong.describe()
            )
        );
    }

    fn answer(a: DnsStatus, aaaa: Option<DnsStatus>) -> AddrAnswer {
        AddrAnswer {
            host: "example.org".into(),
            a: Some((a, vec![])),
            aaaa: aaaa.map(|s| (s, vec![])),
            cnames: vec![],
            answered: AddrRecords::default(),
            duration: Duration::ZERO,
            overridden: None,
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
