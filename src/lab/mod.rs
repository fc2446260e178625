//! The lab: an in-process fake federation on loopback. An authoritative DNS server, HTTPS
//! hosts on 127.0.0.N and ::1 with certificates from a CA made at start, and federation
//! endpoints with real signed keys. Scenarios are data (`scenarios.toml`, embedded); names
//! and records keep the spec's ports, and the lab tells the dialer (the same `--connect-to`
//! table users have) where each address and port really listens. So tests, the demo and the
//! benchmarks all run the real path: real DNS packets, TCP, TLS and HTTP.

pub mod demo;
pub mod dns;
mod expect;
pub mod https;
pub mod pki;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::net::{Config, ConnectTo};

pub use expect::{Expect, TargetChecks, Verdicts};

/// The scenarios shipped with delegcheck.
pub const SCENARIOS_TOML: &str = include_str!("scenarios.toml");

/// A named setup: zone, hosts, and the expected outcome.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name (`--demo NAME`).
    pub name: String,
    /// One line.
    pub summary: String,
    /// The server name to check.
    pub server_name: String,
    /// Shown by `--demo` (the rest are test-only).
    #[serde(default = "yes")]
    pub demo: bool,
    /// Zone lines (see [`dns::Zone::add_line`]).
    #[serde(default)]
    pub dns: Vec<String>,
    /// Hosts.
    #[serde(default, rename = "host")]
    pub hosts: Vec<https::HostSpec>,
    /// Connect over one family only, as `-4` (`"ipv4"`) or `-6` (`"ipv6"`) do.
    #[serde(default)]
    pub only: Option<String>,
    /// `--resolve HOST:PORT:ADDR` entries (addresses as the scenario writes them).
    #[serde(default)]
    pub resolve: Vec<String>,
    /// Check with `--public-only`.
    #[serde(default)]
    pub public_only: bool,
    /// `--timeout` for this scenario, in ms (the lab's default otherwise).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// `--step-timeout`, in ms (with `timeout_ms` alone: the default rule, half of it).
    #[serde(default)]
    pub step_timeout_ms: Option<u64>,
    /// Expected outcome.
    pub expect: Expect,
}

impl Scenario {
    /// Whether it needs IPv6 on loopback (a host on `[::1]`, an AAAA record, an IPv6 name).
    pub fn needs_ipv6(&self) -> bool {
        self.hosts
            .iter()
            .flat_map(|h| &h.listen)
            .any(|l| l.starts_with('['))
            || self.dns.iter().any(|l| {
                l.split_whitespace()
                    .nth(1)
                    .is_some_and(|t| t.eq_ignore_ascii_case("AAAA"))
            })
            || self.server_name.starts_with('[')
    }
}

/// Whether this machine has IPv6 on loopback (`::1`), which some scenarios need.
pub fn ipv6_loopback() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct File {
    scenario: Vec<Scenario>,
}

/// Every shipped scenario.
pub fn scenarios() -> Vec<Scenario> {
    parse_scenarios(SCENARIOS_TOML).expect("the embedded scenarios parse (tested)")
}

/// Parses a scenarios file.
pub fn parse_scenarios(text: &str) -> Result<Vec<Scenario>, String> {
    toml::from_str::<File>(text)
        .map(|f| f.scenario)
        .map_err(|e| e.to_string())
}

/// Lab-wide knobs.
#[derive(Debug, Clone, Copy, Default)]
pub struct LabOptions {
    /// Added to every DNS answer, TLS handshake and HTTP response (latency injection).
    pub rtt: Duration,
    /// Listen on the scenario's real addresses and ports (443, 8448…) instead of ephemeral
    /// ports, so no `--connect-to` is needed (binding ports below 1024 needs root).
    pub real_ports: bool,
    /// The certificate-expiry thresholds the checks judge with (`--warn-cert-days`,
    /// `--crit-cert-days` under `--demo`).
    pub cert_expiry: crate::checks::cert::Expiry,
    /// `--fix-for` under `--demo`: the stack the "How to fix" snippets are written for.
    pub fix_for: Option<crate::fixes::Stack>,
}

/// A running lab; dropping it stops everything.
pub struct Lab {
    /// The DNS server (UDP and TCP).
    pub dns: SocketAddr,
    /// The lab CA's root, PEM.
    pub ca_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    /// Where each logical address really listens.
    pub connect_to: Vec<ConnectTo>,
    _dns_server: dns::DnsServer,
    pki: pki::Pki,
    tasks: Vec<JoinHandle<()>>,
    handshakes: Arc<AtomicU64>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Lab {
    /// Starts the zone and hosts of a scenario (ephemeral ports only; no root needed).
    pub async fn start(s: &Scenario, opts: LabOptions) -> Result<Lab, String> {
        Lab::start_parts(&s.dns, &s.hosts, opts).await
    }

    /// Starts a lab from zone lines and hosts.
    pub async fn start_parts(
        dns_lines: &[String],
        hosts: &[https::HostSpec],
        opts: LabOptions,
    ) -> Result<Lab, String> {
        let mut zone = dns::Zone {
            delay: opts.rtt,
            ..Default::default()
        };
        for l in dns_lines {
            zone.add_line(l)?;
        }
        let pki = pki::Pki::new().map_err(|e| format!("lab CA: {e}"))?;
        let dns_server = dns::start(zone)
            .await
            .map_err(|e| format!("lab DNS: {e}"))?;
        let mut connect_to = Vec::new();
        let mut tasks = Vec::new();
        let handshakes = Arc::new(AtomicU64::new(0));
        for h in hosts {
            let (pairs, t) = https::start(
                h.clone(),
                &pki,
                opts.rtt,
                opts.real_ports,
                handshakes.clone(),
            )
            .await?;
            for (logical, real) in pairs.into_iter().filter(|(l, r)| l != r) {
                connect_to.push(ConnectTo {
                    host: Some(logical.ip().to_string()),
                    port: Some(logical.port()),
                    to: real,
                });
            }
            tasks.extend(t);
        }
        Ok(Lab {
            dns: dns_server.addr,
            ca_pem: pki.root_pem().to_owned(),
            ca_der: pki.root_der(),
            connect_to,
            _dns_server: dns_server,
            pki,
            tasks,
            handshakes,
        })
    }

    /// A certificate from the lab's CA for `names`, for a server outside the lab (a real
    /// nginx or Caddy in the tests of the fix snippets).
    pub fn issue(&self, names: &[String]) -> Result<pki::Issued, String> {
        self.pki
            .issue(names, pki::CertKind::Valid)
            .map_err(|e| format!("lab CA: {e}"))
    }

    /// TLS handshakes the lab's hosts have completed so far, all hosts together: how many
    /// TLS connections the checks made (counted on the server side, so deterministic).
    pub fn tls_handshakes(&self) -> u64 {
        self.handshakes.load(Ordering::Relaxed)
    }

    /// The command-line flags that point delegcheck at this lab (`--resolver`, `--ca-file`,
    /// `--no-system-roots`, `--connect-to`), given where the CA's PEM was written.
    pub fn cli_args(&self, ca_file: &std::path::Path) -> Vec<String> {
        let mut v = vec![
            "--resolver".to_owned(),
            self.dns.to_string(),
            "--ca-file".to_owned(),
            ca_file.display().to_string(),
            "--no-system-roots".to_owned(),
        ];
        for c in &self.connect_to {
            v.push("--connect-to".to_owned());
            v.push(c.to_string());
        }
        v
    }

    /// A network configuration that reaches this lab only: its resolver, its CA (and no
    /// system roots), its listeners; short timeouts.
    pub fn config(&self) -> Config {
        Config {
            resolver: Some(self.dns),
            extra_roots: vec![self.ca_der.clone()],
            system_roots: false,
            connect_to: self.connect_to.clone(),
            timeout: Duration::from_secs(4),
            step_timeout: Duration::from_millis(1500),
            loopback_only: true,
            ..Config::default()
        }
    }

    /// [`Lab::config`] with what the scenario asks for: its timeouts, `--public-only`,
    /// `--resolve` entries and address family.
    pub fn scenario_config(&self, s: &Scenario) -> Result<Config, String> {
        let mut config = self.config();
        if let Some(t) = s.timeout_ms {
            config.timeout = Duration::from_millis(t);
            config.step_timeout = crate::net::default_step_timeout(config.timeout);
        }
        config.public_only = s.public_only;
        for r in &s.resolve {
            config
                .resolve
                .push(r.parse().map_err(|e| format!("{}: {e}", s.name))?);
        }
        match s.only.as_deref() {
            Some("ipv4") => config.families = crate::net::IpFamilies::V4Only,
            Some("ipv6") => config.families = crate::net::IpFamilies::V6Only,
            Some(other) => return Err(format!("{}: unknown family {other:?}", s.name)),
            None => {}
        }
        if let Some(t) = s.step_timeout_ms {
            config.step_timeout = Duration::from_millis(t);
        }
        Ok(config)
    }
}

/// A hosting provider's lab for the batch and load benchmarks: `names` server names
/// `s0.customers.test`, `s1.customers.test`, … whose websites (127.0.0.2:443) publish no
/// well-known and whose SRV records delegate to one multi-tenant homeserver,
/// `hs.provider.test:8448` (127.0.0.3), with a wildcard certificate.
pub async fn provider(names: usize) -> Result<Lab, String> {
    let mut zone = vec!["hs.provider.test A 127.0.0.3".to_owned()];
    for i in 0..names {
        zone.push(format!("s{i}.customers.test A 127.0.0.2"));
        zone.push(format!(
            "_matrix-fed._tcp.s{i}.customers.test SRV 10 0 8448 hs.provider.test."
        ));
    }
    let hosts = [
        // Each name's website: no well-known (404).
        https::HostSpec {
            listen: vec!["127.0.0.2:443".into()],
            cert: vec!["*.customers.test".into()],
            ..Default::default()
        },
        // The provider's homeserver, serving every name.
        https::HostSpec {
            listen: vec!["127.0.0.3:8448".into()],
            cert: vec!["*.customers.test".into()],
            matrix: Some("*".into()),
            ..Default::default()
        },
    ];
    Lab::start_parts(&zone, &hosts, LabOptions::default()).await
}

/// Runs one scenario end to end: starts its lab, checks its server name through the real
/// pipeline with the lab's network configuration, and stops the lab.
pub async fn run(
    s: &Scenario,
    opts: LabOptions,
    tune: impl FnOnce(&mut Config),
) -> Result<crate::Report, String> {
    let lab = Lab::start(s, opts).await?;
    let mut config = lab.scenario_config(s)?;
    config.cert_expiry = opts.cert_expiry;
    config.fixes.stack = opts.fix_for;
    tune(&mut config);
    crate::check(&s.server_name, &config)
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_scenarios_parse_and_are_unique() {
        let all = scenarios();
        assert!(all.len() >= 40, "{} scenarios", all.len());
        let mut names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len(), "duplicate scenario names");
        for s in &all {
            let mut z = dns::Zone::default();
            for l in &s.dns {
                z.add_line(l).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            }
        }
    }

    #[test]
    fn zone_lines() {
        let mut z = dns::Zone::default();
        assert!(z.add_line("a.test A 127.0.0.1").is_ok());
        assert!(
            z.add_line("_matrix-fed._tcp.a.test SRV 10 0 8448 b.test.")
                .is_ok()
        );
        assert!(z.add_line("c.test SERVFAIL").is_ok());
        assert!(z.add_line("c.test DELAY 100").is_ok());
        assert!(z.add_line("a.test A not-an-ip").is_err());
        assert!(z.add_line("a.test SRV 1 2 3").is_err());
        assert!(z.add_line("a.test MX 10 b.test").is_err());
    }
}
