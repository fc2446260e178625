//! Probes: DNS queries, HTTPS requests and TLS handshakes. Each probe returns an *observation*
//! (what was asked, what came back, or the precise failure, and how long it took) and judges
//! nothing. Everything is built from one [`Config`], and every dial goes through one
//! [`Dialer`] with one override table (`--connect-to`), which is also how the lab is reached.

pub mod client;
pub mod dns;
pub mod http;
pub mod targets;
pub mod tls;
pub mod trace;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use tokio::net::TcpStream;

pub use crate::obs::*;

/// curl's `--connect-to HOST1:PORT1:HOST2:PORT2`: connections for HOST1:PORT1 go to
/// HOST2:PORT2 instead, keeping the names (SNI, Host, certificate) of HOST1.
/// An empty HOST1 or PORT1 matches any; HOST1 may be a name or an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    /// Host (name or IP) to match; `None` matches any.
    pub host: Option<String>,
    /// Port to match; `None` matches any.
    pub port: Option<u16>,
    /// Where to connect instead.
    pub to: SocketAddr,
}

impl std::fmt::Display for ConnectTo {
    /// The `--connect-to` syntax (IPv6 in brackets); parses back to the same rule.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = match &self.host {
            Some(h) if h.contains(':') => format!("[{h}]"),
            Some(h) => h.clone(),
            None => String::new(),
        };
        let port = self.port.map(|p| p.to_string()).unwrap_or_default();
        write!(f, "{host}:{port}:{}", self.to)
    }
}

/// curl's `--resolve HOST:PORT:ADDR`: the address answers HOST's A/AAAA lookups instead of
/// DNS (which is then not asked), so a server whose records do not exist yet can be checked
/// end to end; the names (SNI, Host, certificate) stay HOST's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolve {
    /// The host name.
    pub host: String,
    /// The port named (curl's form; the address answers for the host on every port).
    pub port: u16,
    /// The address.
    pub addr: IpAddr,
}

impl std::str::FromStr for Resolve {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || "not HOST:PORT:ADDR (IPv6 in brackets)".to_owned();
        let (host, rest) = s.split_once(':').ok_or_else(bad)?;
        let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("'{port}' is not a port (1-65535)"))?;
        let addr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map_err(|_| format!("'{addr}' is not an IP address"))?;
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Resolve { host, port, addr })
    }
}

/// A `--connect-to` rule as given: its destination may be a host name (curl's meaning), which
/// [`Net::resolve_connect_to`] turns into an address before any check runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectToArg {
    /// Host (name or IP) to match; `None` matches any.
    pub host: Option<String>,
    /// Port to match; `None` matches any.
    pub port: Option<u16>,
    /// Where to connect instead: an IP address or a host name.
    pub to_host: String,
    /// The port there.
    pub to_port: u16,
}

impl ConnectToArg {
    /// The rule, when its destination is an IP address already.
    pub fn as_rule(&self) -> Option<ConnectTo> {
        let ip = self.to_host.parse::<IpAddr>().ok()?;
        Some(self.with(SocketAddr::new(ip, self.to_port)))
    }

    /// The rule, connecting to `to`.
    pub fn with(&self, to: SocketAddr) -> ConnectTo {
        ConnectTo {
            host: self.host.clone(),
            port: self.port,
            to,
        }
    }
}

impl std::str::FromStr for ConnectToArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // Split on colons outside brackets.
        let mut parts = Vec::new();
        let mut depth = 0;
        let mut cur = String::new();
        for c in s.chars() {
            match c {
                '[' => {
                    depth += 1;
                    cur.push(c)
                }
                ']' => {
                    depth -= 1;
                    cur.push(c)
                }
                ':' if depth == 0 => parts.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        parts.push(cur);
        let [h1, p1, h2, p2] = parts.as_slice() else {
            return Err("not HOST1:PORT1:HOST2:PORT2 (IPv6 in brackets)".to_owned());
        };
        let port = |p: &str| -> Result<Option<u16>, String> {
            if p.is_empty() {
                Ok(None)
            } else {
                p.parse::<u16>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Some)
                    .ok_or_else(|| format!("'{p}' is not a port (1-65535)"))
            }
        };
        let unbracket = |h: &str| h.trim_start_matches('[').trim_end_matches(']').to_owned();
        let to_host = unbracket(h2).trim_end_matches('.').to_ascii_lowercase();
        let name_ok = crate::server_name::ServerName::parse(&to_host).is_ok();
        if to_host.parse::<IpAddr>().is_err() && (to_host.is_empty() || !name_ok) {
            return Err(format!(
                "'{h2}' is neither an IP address nor a host name (the place to connect to)"
            ));
        }
        let to_port = port(p2)?.ok_or_else(|| "the destination port is required".to_owned())?;
        Ok(ConnectToArg {
            host: (!h1.is_empty()).then(|| unbracket(h1).to_ascii_lowercase()),
            port: port(p1)?,
            to_host,
            to_port,
        })
    }
}

impl std::str::FromStr for ConnectTo {
    type Err = String;
    /// A rule whose destination is an IP address (a host name is a [`ConnectToArg`]).
    fn from_str(s: &str) -> Result<Self, String> {
        let arg: ConnectToArg = s.parse()?;
        arg.as_rule().ok_or_else(|| {
            format!(
                "'{}' must be an IP address (the address to connect to)",
                arg.to_host
            )
        })
    }
}

/// The network configuration: resolver, trust roots, `--connect-to`, address families and
/// timeouts.
#[derive(Debug, Clone)]
pub struct Config {
    /// DNS server to ask instead of the system's.
    pub resolver: Option<SocketAddr>,
    /// Extra trust roots (`--ca-file`).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Trust the platform's roots (off with `--no-system-roots`).
    pub system_roots: bool,
    /// Connection overrides.
    pub connect_to: Vec<ConnectTo>,
    /// DNS overrides (`--resolve`).
    pub resolve: Vec<Resolve>,
    /// `-4` / `-6`.
    pub families: IpFamilies,
    /// One overall deadline per server name.
    pub timeout: Duration,
    /// Longest any one network step (DNS query, connect, handshake, response) may take.
    pub step_timeout: Duration,
    /// Refuse to dial anything but loopback (the lab sets this, so tests, the demo and the
    /// benchmarks can never send a packet off the machine, whatever a scenario's DNS says).
    pub loopback_only: bool,
    /// `--public-only`: refuse every non-public address (DNS answers, IP literals, redirect
    /// targets), for hosted and shared use.
    pub public_only: bool,
    /// The certificate-expiry thresholds the findings use (`--warn-cert-days`,
    /// `--crit-cert-days`).
    pub cert_expiry: crate::checks::cert::Expiry,
    /// `--trace`: where every exchange is recorded (off by default).
    pub trace: trace::Tracer,
    /// What the fix snippets are written for (`--fix-for`, `--upstream`).
    pub fixes: crate::fixes::FixOptions,
    /// Check client discovery too (off with `--no-client`).
    pub client: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            resolver: None,
            extra_roots: Vec::new(),
            system_roots: true,
            connect_to: Vec::new(),
            resolve: Vec::new(),
            families: IpFamilies::Both,
            timeout: Duration::from_secs(10),
            step_timeout: Duration::from_secs(5),
            loopback_only: false,
            public_only: false,
            cert_expiry: crate::checks::cert::Expiry::default(),
            trace: trace::Tracer::default(),
            fixes: crate::fixes::FixOptions::default(),
            client: true,
        }
    }
}

/// Why the network layer could not be set up (exit code 3).
#[derive(Debug)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

/// The step timeout when none is given: 5 s, or half of the overall timeout when that is
/// shorter, so that one black-holed step leaves time for the steps after it.
pub fn default_step_timeout(timeout: Duration) -> Duration {
    Duration::from_secs(5).min(timeout / 2)
}

/// One deadline for one server name: every step gets the smaller of its own timeout and what
/// is left.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    end: Instant,
    step: Duration,
}

impl Deadline {
    /// A deadline `total` from now, with steps of at most `step`.
    pub fn new(total: Duration, step: Duration) -> Deadline {
        Deadline {
            end: Instant::now() + total,
            step,
        }
    }

    /// Time allowed for the next step.
    pub fn step(&self) -> Duration {
        self.step
            .min(self.end.saturating_duration_since(Instant::now()))
    }

    /// The same deadline, `reserve` earlier: what a stage may use while leaving `reserve` for
    /// the stages after it.
    pub fn reserving(&self, reserve: Duration) -> Deadline {
        Deadline {
            end: self.end.checked_sub(reserve).unwrap_or(self.end),
            step: self.step,
        }
    }

    /// Whether a step that was allowed `allowed` ran short of its own timeout because of
    /// the deadline (a timeout then is the check's limit, not the server's). A step allowed
    /// nearly all of its timeout (90 %) that still timed out is the server's: a peer would
    /// have given up too.
    pub fn clamped(&self, allowed: Duration) -> bool {
        allowed.as_millis() * 10 < self.step.as_millis() * 9
    }

    /// True once the deadline has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.end
    }
}

/// Every dial goes through here: the `--connect-to` table, then a real TCP connect.
#[derive(Debug, Clone, Default)]
pub struct Dialer {
    rules: Vec<ConnectTo>,
    loopback_only: bool,
    public_only: bool,
    families: IpFamilies,
    trace: trace::Tracer,
}

impl Dialer {
    /// A dialer with these overrides.
    pub fn new(rules: Vec<ConnectTo>) -> Dialer {
        Dialer {
            rules,
            loopback_only: false,
            public_only: false,
            families: IpFamilies::default(),
            trace: trace::Tracer::default(),
        }
    }

    /// A dialer that records every connection attempt in `trace`.
    pub fn traced(mut self, trace: trace::Tracer) -> Dialer {
        self.trace = trace;
        self
    }

    /// A dialer that only dials these IP families (`-4`/`-6`), judged on the address as
    /// given, before `--connect-to`.
    pub fn families(mut self, families: IpFamilies) -> Dialer {
        self.families = families;
        self
    }

    /// A dialer that refuses every address off loopback (as "network unreachable").
    pub fn loopback_only(mut self) -> Dialer {
        self.loopback_only = true;
        self
    }

    /// A dialer that refuses every non-public address (`--public-only`), judged on the
    /// address as published, before `--connect-to`.
    pub fn public_only(mut self, on: bool) -> Dialer {
        self.public_only = on;
        self
    }

    /// Whether `--public-only` is in force.
    pub fn is_public_only(&self) -> bool {
        self.public_only
    }

    /// The override for a (host name, port), if one matches by name (used to skip DNS).
    pub fn by_name(&self, host: &str, port: u16) -> Option<SocketAddr> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.rules
            .iter()
            .find(|r| r.host.as_deref() == Some(host.as_str()) && r.port.is_none_or(|p| p == port))
            .map(|r| r.to)
    }

    /// The addresses the rules that name `host` send it to (any port), in rule order: what a
    /// host DNS has no address for is reached at (see [`Net::addrs`]).
    pub fn named_addrs(&self, host: &str) -> Vec<IpAddr> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let mut ips: Vec<IpAddr> = Vec::new();
        for r in &self.rules {
            if r.host.as_deref() == Some(host.as_str()) && !ips.contains(&r.to.ip()) {
                ips.push(r.to.ip());
            }
        }
        ips
    }

    /// Where a connection for (host name, ip, port) really goes.
    pub fn route(&self, host: Option<&str>, ip: IpAddr, port: u16) -> SocketAddr {
        let host = host.map(|h| h.trim_end_matches('.').to_ascii_lowercase());
        let ip_text = ip.to_string();
        self.rules
            .iter()
            .find(|r| {
                let host_ok = match &r.host {
                    None => true,
                    Some(h) => *h == ip_text || host.as_deref() == Some(h.as_str()),
                };
                host_ok && r.port.is_none_or(|p| p == port)
            })
            .map(|r| r.to)
            .unwrap_or(SocketAddr::new(ip, port))
    }

    /// TCP connect with a timeout; failures are classified.
    pub async fn connect(
        &self,
        host: Option<&str>,
        ip: IpAddr,
        port: u16,
        timeout: Duration,
    ) -> Result<TcpStream, ConnectFailure> {
        if !self.families.allows(ip) {
            return Err(ConnectFailure::Excluded);
        }
        // Judged on the address as published, before --connect-to.
        if crate::ip_class::never_dialled(ip) {
            return Err(ConnectFailure::Forbidden);
        }
        // The lab plays public hosts on loopback and TEST-NET-1.
        let lab_public = self.loopback_only && crate::ip_class::lab_playground(ip);
        if self.public_only && !crate::ip_class::is_public(ip) && !lab_public {
            return Err(ConnectFailure::NotPublic);
        }
        let addr = self.route(host, ip, port);
        if self.loopback_only && !addr.ip().is_loopback() {
            return Err(ConnectFailure::Unreachable);
        }
        let start = Instant::now();
        let result = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Err(_) => Err(ConnectFailure::Timeout),
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                Ok(s)
            }
            Ok(Err(e)) => Err(ConnectFailure::from_io(&e)),
        };
        self.trace.record_at(start, || trace::Event::Connect {
            place: place_label(host, ip, port),
            routed: (addr != SocketAddr::new(ip, port)).then(|| addr.to_string()),
            failure: result.as_ref().err().map(|f| f.describe().to_owned()),
            took: start.elapsed(),
        });
        result
    }
}

/// How a trace names a place: `203.0.113.5:8448 (matrix.example.org)`.
pub fn place_label(host: Option<&str>, ip: IpAddr, port: u16) -> String {
    let addr = SocketAddr::new(ip, port);
    match host {
        Some(h) if h != ip.to_string() => format!("{addr} ({h})"),
        _ => addr.to_string(),
    }
}

/// Everything a check needs, built once from a [`Config`] and shared by every server name.
#[derive(Clone)]
pub struct Net {
    /// The configuration it was built from.
    pub config: Config,
    /// The DNS side.
    pub dns: dns::Dns,
    /// The dialer.
    pub dialer: Dialer,
    /// The TLS side.
    pub tls: tls::Tls,
}

impl Net {
    /// Builds resolver, trust roots and dialer. Fails only when the tool cannot run at all.
    pub fn new(config: Config) -> Result<Net, SetupError> {
        let dns = dns::Dns::new(&config)?;
        let mut roots = RootCertStore::empty();
        if config.system_roots {
            let native = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(native.certs);
            if added == 0 {
                // No platform store: fall back to Mozilla's roots, which is what most peers trust.
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
        }
        for c in &config.extra_roots {
            roots.add(c.clone()).map_err(|e| {
                SetupError(format!(
                    "a --ca-file certificate is not usable as a trust root: {e}"
                ))
            })?;
        }
        let tls = tls::Tls::new(Arc::new(roots))?;
        Ok(Net {
            dialer: {
                let d = Dialer::new(config.connect_to.clone())
                    .families(config.families)
                    .traced(config.trace.clone())
                    .public_only(config.public_only);
                if config.loopback_only {
                    d.loopback_only()
                } else {
                    d
                }
            },
            dns,
            tls,
            config,
        })
    }

    /// The `--connect-to` rules with every host-name destination resolved (curl's meaning:
    /// `--resolve` first, then DNS), in the order given. A destination is reached as any
    /// connection is: the rules already in force apply to it (the lab's addressing among
    /// them). A name that does not resolve is the user's to fix: an error, before any check.
    pub async fn resolve_connect_to(
        &self,
        args: &[ConnectToArg],
    ) -> Result<Vec<ConnectTo>, SetupError> {
        let mut rules = Vec::with_capacity(args.len());
        for arg in args {
            if let Some(rule) = arg.as_rule() {
                rules.push(rule);
                continue;
            }
            let answer = self.addrs(&arg.to_host, self.config.step_timeout).await;
            let ip = answer
                .addrs()
                .into_iter()
                .find(|ip| self.config.families.allows(*ip))
                .ok_or_else(|| {
                    SetupError(format!(
                        "--connect-to: the host `{}` has no {}address ({})",
                        arg.to_host,
                        match self.config.families {
                            IpFamilies::V4Only => "IPv4 ",
                            IpFamilies::V6Only => "IPv6 ",
                            IpFamilies::Both => "",
                        },
                        answer.describe_absence()
                    ))
                })?;
            let to = self.dialer.route(Some(&arg.to_host), ip, arg.to_port);
            rules.push(arg.with(to));
        }
        Ok(rules)
    }

    /// A host's addresses: DNS (or `--resolve`), else, when DNS has none and a
    /// `--connect-to` rule names the host, the rule's address, marked as such (a server whose
    /// records do not exist yet is checkable end to end).
    pub async fn addrs(&self, host: &str, timeout: Duration) -> AddrAnswer {
        let answer = self.dns.addrs(host, timeout).await;
        if !answer.addrs().is_empty() || answer.overridden.is_some() {
            return answer;
        }
        match self.dialer.named_addrs(host) {
            ips if ips.is_empty() => answer,
            ips => dns::overridden(host, &ips, Override::ConnectTo),
        }
    }

    /// A deadline for one server name.
    pub fn deadline(&self) -> Deadline {
        Deadline::new(self.config.timeout, self.config.step_timeout)
    }
}

/// Milliseconds since `start`.
pub fn ms_since(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_to_parses_curl_syntax() {
        let c: ConnectTo = "example.com:443:127.0.0.1:8443".parse().unwrap();
        assert_eq!(c.host.as_deref(), Some("example.com"));
        assert_eq!(c.port, Some(443));
        assert_eq!(c.to, "127.0.0.1:8443".parse().unwrap());
        let c: ConnectTo = "::[::1]:9000".parse().unwrap();
        assert_eq!(c.host, None);
        assert_eq!(c.port, None);
        assert_eq!(c.to, "[::1]:9000".parse().unwrap());
        let c: ConnectTo = "[2001:db8::1]:8448:127.0.0.2:1".parse().unwrap();
        assert_eq!(c.host.as_deref(), Some("2001:db8::1"));
        assert!("a:b".parse::<ConnectTo>().is_err());
        assert!("a:1:host.example:2".parse::<ConnectTo>().is_err());
        assert!("a:1:127.0.0.1:".parse::<ConnectTo>().is_err());
        assert!("a:99999:127.0.0.1:1".parse::<ConnectTo>().is_err());
        for rule in [
            "example.com:443:127.0.0.1:8443",
            "::[::1]:9000",
            "[2001:db8::1]:8448:[::1]:1",
        ] {
            let c: ConnectTo = rule.parse().unwrap();
            assert_eq!(c.to_string(), rule);
        }
    }

    #[test]
    fn dialer_routes_by_name_ip_and_port() {
        let d = Dialer::new(vec![
            "example.com:443:127.0.0.1:1000".parse().unwrap(),
            "127.0.0.5:8448:127.0.0.5:2000".parse().unwrap(),
            ":9999:127.0.0.9:3000".parse().unwrap(),
        ]);
        let ip: IpAddr = "127.0.0.5".parse().unwrap();
        assert_eq!(
            d.route(Some("Example.COM."), ip, 443),
            "127.0.0.1:1000".parse().unwrap()
        );
        assert_eq!(d.route(None, ip, 8448), "127.0.0.5:2000".parse().unwrap());
        assert_eq!(
            d.route(Some("x"), ip, 9999),
            "127.0.0.9:3000".parse().unwrap()
        );
        assert_eq!(d.route(Some("x"), ip, 1), SocketAddr::new(ip, 1));
        assert_eq!(
            d.by_name("example.com", 443),
            Some("127.0.0.1:1000".parse().unwrap())
        );
        assert_eq!(d.by_name("example.com", 8448), None);
    }
}
