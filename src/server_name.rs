//! The Matrix server-name grammar (spec appendix "Server names"), as pure code.
//!
//! ```text
//! server_name = hostname [ ":" port ]
//! hostname    = IPv4address / "[" IPv6address "]" / dns-name
//! dns-name    = 1*255dns-char ; DIGIT / ALPHA / "-" / "."
//! ```
//!
//! [`ServerName::parse`] accepts exactly the grammar (plus the numeric rules the spec states in
//! prose: IPv4 parts 0–255, a real IPv6 address, a port 1–65535). A string that breaks it gets a
//! [`NameError`] whose [`NameProblem`] names the common mistake, so the report can say what to do.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The default federation port.
pub const DEFAULT_PORT: u16 = 8448;
/// Longest server name the spec recommends (appendix "Server names").
pub const RECOMMENDED_MAX_LEN: usize = 230;
/// Longest dns-name the grammar allows.
pub const MAX_DNS_LEN: usize = 255;

/// The host part of a server name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A DNS name, as written (case kept: server names are case-sensitive identifiers).
    Dns(String),
    /// An IPv4 literal.
    V4(Ipv4Addr),
    /// An IPv6 literal (written in brackets).
    V6(Ipv6Addr),
}

impl Host {
    /// The IP address, for literals.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Dns(_) => None,
            Host::V4(a) => Some(IpAddr::V4(*a)),
            Host::V6(a) => Some(IpAddr::V6(*a)),
        }
    }
}

impl fmt::Display for Host {
    /// How the host is written in a server name or `Host` header (IPv6 in brackets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Dns(d) => f.write_str(d),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

/// A server name that fits the grammar.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerName {
    /// The host part.
    pub host: Host,
    /// The explicit port, if one was given.
    pub port: Option<u16>,
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

/// What is wrong with a string that should be a server name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// Nothing at all.
    Empty,
    /// `https://example.com`: a URL, not a name.
    Scheme,
    /// `example.com/` or `example.com/matrix`: a path.
    Path,
    /// Spaces, tabs or newlines inside or around the name.
    Whitespace,
    /// `2001:db8::1` without brackets.
    UnbracketedIpv6,
    /// `[…]` that is not an IPv6 address.
    BadIpv6,
    /// Four dotted numbers that are not an IPv4 address (a part above 255).
    BadIpv4,
    /// `:0`, `:65536`, `:abc`, or a `:` with nothing after it.
    Port,
    /// Characters outside ASCII (an internationalised name not in punycode).
    NonAscii,
    /// `@alice:example.com`: a user ID, not a server name.
    UserId,
    /// Longer than the grammar's 255 characters.
    TooLong,
    /// Any other character outside `A-Z a-z 0-9 - .`.
    BadChar,
    /// Empty labels (`a..b`, a leading dot).
    EmptyLabel,
}

/// A string that is not a server name, with what to use instead where that is clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// The kind of mistake.
    pub problem: NameProblem,
    /// What was seen, in words.
    pub detail: String,
    /// The server name the input probably meant, when it can be derived.
    pub suggestion: Option<String>,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

/// Something legal but fragile about a valid server name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameLint {
    /// Upper-case letters: IDs on `Example.com` differ from those on `example.com`.
    UpperCase,
    /// Longer than the recommended 230 characters.
    Long,
    /// A DNS label over 63 characters (RFC 1035).
    LongLabel,
    /// A trailing dot (`example.com.`).
    TrailingDot,
}

fn err(problem: NameProblem, detail: impl Into<String>, suggestion: Option<String>) -> NameError {
    NameError {
        problem,
        detail: detail.into(),
        suggestion,
    }
}

impl ServerName {
    /// Parses a server name strictly by the spec's grammar.
    pub fn parse(input: &str) -> Result<ServerName, NameError> {
        reject_not_a_name(input)?;
        if let Some(rest) = input.strip_prefix('[') {
            return parse_bracketed_ipv6(rest);
        }
        // Unbracketed IPv6: more than one colon.
        if input.matches(':').count() > 1 {
            return Err(unbracketed_ipv6_error(input));
        }
        let (host, port) = match input.split_once(':') {
            Some((h, p)) => (h, Some(parse_port(p)?)),
            None => (input, None),
        };
        Ok(ServerName {
            host: parse_host(host)?,
            port,
        })
    }

    /// True for IPv4 and IPv6 literals.
    pub fn is_ip_literal(&self) -> bool {
        self.host.ip().is_some()
    }

    /// The host as written, without port (IPv6 in brackets).
    pub fn host_string(&self) -> String {
        self.host.to_string()
    }

    /// Legal but fragile properties of this name.
    pub fn lints(&self) -> Vec<NameLint> {
        let mut out = Vec::new();
        if let Host::Dns(d) = &self.host {
            if d.bytes().any(|b| b.is_ascii_uppercase()) {
                out.push(NameLint::UpperCase);
            }
            if d.split('.').any(|l| l.len() > 63) {
                out.push(NameLint::LongLabel);
            }
            if d.ends_with('.') {
                out.push(NameLint::TrailingDot);
            }
        }
        if self.to_string().len() > RECOMMENDED_MAX_LEN {
            out.push(NameLint::Long);
        }
        out
    }
}

/// `s`, if it is itself a valid server name (for suggestions).
fn if_valid(s: Option<String>) -> Option<String> {
    s.filter(|s| ServerName::parse(s).is_ok())
}

/// Rejects inputs that are something other than a server name (empty, padded, a user ID, a
/// URL, a path, unencoded non-ASCII, far too long) before the grammar is applied.
fn reject_not_a_name(input: &str) -> Result<(), NameError> {
    if input.is_empty() {
        return Err(err(NameProblem::Empty, "the server name is empty", None));
    }
    if input.chars().any(char::is_whitespace) {
        return Err(whitespace_error(input));
    }
    if let Some(rest) = input.strip_prefix('@') {
        return Err(user_id_error(rest));
    }
    if let Some(pos) = input.find("://") {
        return Err(scheme_error(input, pos));
    }
    if let Some(pos) = input.find(['/', '?', '#']) {
        let suggestion = if_valid(Some(input[..pos].to_owned()));
        return Err(err(
            NameProblem::Path,
            "a server name has no path, query or trailing slash",
            suggestion,
        ));
    }
    if !input.is_ascii() {
        return Err(non_ascii_error(input));
    }
    if input.len() > MAX_DNS_LEN + 6 {
        return Err(err(
            NameProblem::TooLong,
            format!(
                "the server name is {} characters long; at most 255 are allowed",
                input.len()
            ),
            None,
        ));
    }
    Ok(())
}

/// The error for whitespace in a name, suggesting the trimmed name when that is valid.
fn whitespace_error(input: &str) -> NameError {
    let trimmed = input.trim();
    let suggestion = if_valid(
        (!trimmed.is_empty() && !trimmed.chars().any(char::is_whitespace))
            .then(|| trimmed.to_owned()),
    );
    err(
        NameProblem::Whitespace,
        "the server name contains whitespace",
        suggestion,
    )
}

/// The error for a user ID (`rest` follows the `@`), suggesting its server name.
fn user_id_error(rest: &str) -> NameError {
    // A user ID: @localpart:server_name
    let suggestion = if_valid(rest.split_once(':').map(|(_, s)| s.to_owned()));
    err(
        NameProblem::UserId,
        "this looks like a user ID, not a server name",
        suggestion,
    )
}

/// The error for a URL (`://` at `pos`), suggesting the URL's authority without user info.
fn scheme_error(input: &str, pos: usize) -> NameError {
    let after = &input[pos + 3..];
    let authority = after.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let suggestion = if_valid(Some(authority.to_owned()));
    err(
        NameProblem::Scheme,
        format!(
            "`{}` is a URL scheme; a server name has none",
            &input[..pos + 3]
        ),
        suggestion,
    )
}

/// The error for non-ASCII characters, suggesting the punycode form of the name.
fn non_ascii_error(input: &str) -> NameError {
    let (host, port) = split_port_loose(input);
    let suggestion = if_valid(
        hickory_resolver::proto::rr::Name::from_utf8(host)
            .ok()
            .map(|n| {
                let mut a = n.to_ascii();
                if a.ends_with('.') && !host.ends_with('.') {
                    a.pop();
                }
                match port {
                    Some(p) => format!("{a}:{p}"),
                    None => a,
                }
            }),
    );
    err(
        NameProblem::NonAscii,
        "the server name has non-ASCII characters; internationalised names must be written in punycode",
        suggestion,
    )
}

/// Parses what follows the `[` of a bracketed IPv6 literal: the address and an optional port.
fn parse_bracketed_ipv6(rest: &str) -> Result<ServerName, NameError> {
    let Some((inner, after)) = rest.split_once(']') else {
        return Err(err(NameProblem::BadIpv6, "`[` without a closing `]`", None));
    };
    let ip: Ipv6Addr = inner.parse().map_err(|_| {
        err(
            NameProblem::BadIpv6,
            format!("`{inner}` inside brackets is not an IPv6 address"),
            None,
        )
    })?;
    let port = match after {
        "" => None,
        p => Some(parse_port(p.strip_prefix(':').ok_or_else(|| {
            err(
                NameProblem::BadChar,
                format!("unexpected `{p}` after the IPv6 literal"),
                None,
            )
        })?)?),
    };
    Ok(ServerName {
        host: Host::V6(ip),
        port,
    })
}

/// The error for an IPv6 address without brackets, suggesting the bracketed form.
fn unbracketed_ipv6_error(input: &str) -> NameError {
    let suggestion = input.parse::<Ipv6Addr>().ok().map(|ip| format!("[{ip}]"));
    err(
        NameProblem::UnbracketedIpv6,
        "an IPv6 address in a server name must be in square brackets",
        suggestion,
    )
}

/// Parses the host part (port already split off): an IPv4 literal or a dns-name.
fn parse_host(host: &str) -> Result<Host, NameError> {
    use NameProblem::*;
    if host.is_empty() {
        return Err(err(
            Empty,
            "the host part of the server name is empty",
            None,
        ));
    }
    if host.len() > MAX_DNS_LEN {
        return Err(err(
            TooLong,
            format!(
                "the host name is {} characters long; at most 255 are allowed",
                host.len()
            ),
            None,
        ));
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(err(
            BadChar,
            format!(
                "`{}` is not allowed in a host name (only letters, digits, `-` and `.`)",
                c.escape_default()
            ),
            None,
        ));
    }
    // Four dotted numbers: an IPv4 literal, which must be a real one.
    if looks_like_ipv4(host) {
        return host.parse::<Ipv4Addr>().map(Host::V4).map_err(|_| {
            err(
                BadIpv4,
                format!("`{host}` is not an IPv4 address: each part must be 0–255"),
                None,
            )
        });
    }
    let body = host.strip_suffix('.').unwrap_or(host);
    if body.is_empty() || body.split('.').any(str::is_empty) {
        return Err(err(
            EmptyLabel,
            "the host name has an empty label (`..` or a leading dot)",
            None,
        ));
    }
    Ok(Host::Dns(host.to_owned()))
}

/// Whether `host` is four dotted groups of one to three digits, the shape of an IPv4 literal.
fn looks_like_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_port(p: &str) -> Result<u16, NameError> {
    if p.is_empty() {
        return Err(err(NameProblem::Port, "a `:` with no port after it", None));
    }
    if p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(
            NameProblem::Port,
            format!("`{p}` is not a port number (1–65535)"),
            None,
        ));
    }
    match p.parse::<u32>() {
        Ok(0) => Err(err(
            NameProblem::Port,
            "port 0 cannot be connected to",
            None,
        )),
        Ok(n) if n <= 65535 => Ok(n as u16),
        _ => Err(err(
            NameProblem::Port,
            format!("port {p} is out of range (1–65535)"),
            None,
        )),
    }
}

fn split_port_loose(s: &str) -> (&str, Option<&str>) {
    match s.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NameProblem::*;

    fn ok(s: &str) -> ServerName {
        ServerName::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn bad(s: &str) -> NameError {
        ServerName::parse(s).expect_err(s)
    }

    #[test]
    fn valid_names() {
        assert_eq!(ok("example.com").host, Host::Dns("example.com".into()));
        assert_eq!(ok("example.com").port, None);
        assert_eq!(ok("example.com:8448").port, Some(8448));
        assert_eq!(ok("1.2.3.4").host, Host::V4(Ipv4Addr::new(1, 2, 3, 4)));
        assert_eq!(ok("1.2.3.4:80").port, Some(80));
        assert_eq!(
            ok("[2001:db8::1]").host,
            Host::V6("2001:db8::1".parse().unwrap())
        );
        assert_eq!(ok("[2001:db8::1]:8448").port, Some(8448));
        assert_eq!(ok("[::1]").to_string(), "[::1]");
        assert_eq!(ok("localhost").to_string(), "localhost");
        assert_eq!(
            ok("xn--bcher-kva.example").to_string(),
            "xn--bcher-kva.example"
        );
        assert_eq!(ok("a-b.c:65535").port, Some(65535));
        assert!(ok("1.2.3.4").is_ip_literal());
        assert!(!ok("example.com").is_ip_literal());
    }

    #[test]
    fn scheme_and_path() {
        let e = bad("https://example.com/");
        assert_eq!(e.problem, Scheme);
        assert_eq!(e.suggestion.as_deref(), Some("example.com"));
        let e = bad("https://matrix.example.com:8448/_matrix");
        assert_eq!(e.suggestion.as_deref(), Some("matrix.example.com:8448"));
        let e = bad("example.com/");
        assert_eq!(e.problem, Path);
        assert_eq!(e.suggestion.as_deref(), Some("example.com"));
        assert_eq!(bad("example.com/matrix").problem, Path);
    }

    #[test]
    fn user_id_whitespace_ipv6() {
        let e = bad("@alice:example.com");
        assert_eq!(e.problem, UserId);
        assert_eq!(e.suggestion.as_deref(), Some("example.com"));
        let e = bad(" example.com\n");
        assert_eq!(e.problem, Whitespace);
        assert_eq!(e.suggestion.as_deref(), Some("example.com"));
        assert_eq!(bad("exa mple.com").suggestion, None);
        let e = bad("2001:db8::1");
        assert_eq!(e.problem, UnbracketedIpv6);
        assert_eq!(e.suggestion.as_deref(), Some("[2001:db8::1]"));
        assert_eq!(bad("[2001:db8::zz]").problem, BadIpv6);
        assert_eq!(bad("[::1").problem, BadIpv6);
        assert_eq!(bad("[1.2.3.4]").problem, BadIpv6);
    }

    #[test]
    fn ports() {
        for s in [
            "example.com:0",
            "example.com:65536",
            "example.com:",
            "example.com:abc",
            "example.com:123456",
        ] {
            assert_eq!(bad(s).problem, Port, "{s}");
        }
        assert!(bad("example.com:0").detail.contains("port 0"));
        assert!(bad("example.com:65536").detail.contains("out of range"));
        assert_eq!(bad("[::1]:0").problem, Port);
    }

    #[test]
    fn non_ascii_shows_punycode() {
        let e = bad("bücher.example");
        assert_eq!(e.problem, NonAscii);
        assert_eq!(e.suggestion.as_deref(), Some("xn--bcher-kva.example"));
        let e = bad("bücher.example:8448");
        assert_eq!(e.suggestion.as_deref(), Some("xn--bcher-kva.example:8448"));
    }

    #[test]
    fn other_errors() {
        assert_eq!(bad("").problem, Empty);
        assert_eq!(bad(":8448").problem, Empty);
        assert_eq!(bad("exa_mple.com").problem, BadChar);
        assert_eq!(bad("a..b").problem, EmptyLabel);
        assert_eq!(bad(".a").problem, EmptyLabel);
        assert_eq!(bad("1.2.3.256").problem, BadIpv4);
        assert_eq!(bad(&"a".repeat(256)).problem, TooLong);
        // A lone control character is refused, not passed on.
        assert_eq!(bad("exa\u{1b}mple.com").problem, BadChar);
    }

    #[test]
    fn lints() {
        assert_eq!(ok("Example.COM").lints(), vec![NameLint::UpperCase]);
        assert_eq!(ok("example.com.").lints(), vec![NameLint::TrailingDot]);
        let long = format!("{}.example", "a".repeat(64));
        assert_eq!(ok(&long).lints(), vec![NameLint::LongLabel]);
        let many = format!("{}example", "abcdefghi.".repeat(23));
        assert!(ok(&many).lints().contains(&NameLint::Long));
        assert!(ok("example.com").lints().is_empty());
        assert!(ok("1.2.3.4").lints().is_empty());
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "[",
            "]",
            ":",
            "::",
            "[]",
            "[]:",
            "@",
            "@:",
            "://",
            "a:b:c",
            "\u{0}",
            "é",
            "[é]",
            "1.2.3.4:99999",
        ] {
            let _ = ServerName::parse(s);
        }
    }
}
