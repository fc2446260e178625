//! DNS probes over hickory-resolver: SRV and A/AAAA (with the CNAME chain), each classified as
//! ok / NXDOMAIN / NODATA / SERVFAIL / REFUSED / timeout / truncated-and-TCP-failed.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};

use super::trace::{Event, Tracer};
use super::{Config, SetupError};
use crate::discovery::keep_srv;
use crate::obs::{AddrAnswer, AddrRecords, DnsStatus, Override, SrvAnswer, SrvRecord};
use crate::report::DnsRecord;

/// Most records of one answer that are kept (for SRV: the ones servers try first, and the
/// answer's first record besides).
pub const MAX_RECORDS: usize = 32;

/// The DNS side of [`super::Net`].
#[derive(Clone)]
pub struct Dns {
    resolver: TokioResolver,
    /// `--resolve`: addresses by host name, answered instead of DNS.
    overrides: std::collections::HashMap<String, Vec<IpAddr>>,
    /// `--trace`.
    trace: Tracer,
}

/// A lookup with a timeout: the resolver's answer, or `Err` when the time ran out.
type Timed =
    Result<Result<hickory_resolver::lookup::Lookup, NetError>, tokio::time::error::Elapsed>;

fn classify(e: &NetError) -> DnsStatus {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(nr))
            if nr.response_code == ResponseCode::NXDomain =>
        {
            DnsStatus::NxDomain
        }
        NetError::Dns(DnsError::NoRecordsFound(_)) => DnsStatus::NoData,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => DnsStatus::ServFail,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => DnsStatus::Refused,
        NetError::Dns(DnsError::ResponseCode(rc)) => DnsStatus::Other(format!("{rc}")),
        NetError::Timeout => DnsStatus::Timeout,
        // TC over UDP, then the TCP retry was refused, reset or truncated too.
        NetError::Truncated => DnsStatus::TruncatedTcpFailed,
        other => DnsStatus::Other(crate::sanitize::clip(&other.to_string(), 200)),
    }
}

/// Makes a name fully qualified so no search domain is ever appended.
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    }
}

/// The records of an answer as the report lists them (A, AAAA, SRV and CNAME, in answer
/// order, at most [`MAX_RECORDS`]), with their TTLs.
fn answered(records: &[hickory_resolver::proto::rr::Record]) -> Vec<DnsRecord> {
    records
        .iter()
        .filter_map(|r| {
            let (t, value) = match &r.data {
                RData::A(a) => ("A", a.0.to_string()),
                RData::AAAA(a) => ("AAAA", a.0.to_string()),
                RData::CNAME(c) => ("CNAME", strip_dot(&c.0.to_ascii())),
                RData::SRV(s) => (
                    "SRV",
                    format!(
                        "{} {} {} {}",
                        s.priority,
                        s.weight,
                        s.port,
                        strip_dot(&s.target.to_ascii())
                    ),
                ),
                _ => return None,
            };
            Some(DnsRecord {
                record_type: t.into(),
                value,
                ttl: r.ttl,
            })
        })
        .take(MAX_RECORDS)
        .collect()
}

/// An answer's records as a trace shows them: `name TTL TYPE value`, in answer order.
fn traced_records(records: &[hickory_resolver::proto::rr::Record]) -> Vec<String> {
    records
        .iter()
        .take(MAX_RECORDS)
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.name.to_ascii(),
                r.ttl,
                r.record_type(),
                r.data
            )
        })
        .collect()
}

fn strip_dot(name: &str) -> String {
    let s = name.strip_suffix('.').unwrap_or(name);
    if s.is_empty() {
        ".".to_owned()
    } else {
        s.to_owned()
    }
}

impl Dns {
    /// A resolver for `--resolver ADDR` or, without it, the system configuration.
    pub fn new(config: &Config) -> Result<Dns, SetupError> {
        let mut builder = match config.resolver {
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
                Resolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], vec![ns]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => Resolver::builder_tokio().map_err(|e| {
                SetupError(format!(
                    "no DNS resolver configuration ({e}); pass --resolver ADDR[:PORT]"
                ))
            })?,
        };
        let o = builder.options_mut();
        o.timeout = config.step_timeout.min(Duration::from_secs(3));
        o.attempts = 1;
        o.ndots = 0;
        o.use_hosts_file = ResolveHosts::Never;
        o.preserve_intermediates = true;
        o.try_tcp_on_error = true;
        o.edns0 = true;
        let resolver = builder
            .build()
            .map_err(|e| SetupError(format!("cannot build the DNS resolver: {e}")))?;
        let mut overrides: std::collections::HashMap<String, Vec<IpAddr>> = Default::default();
        for r in &config.resolve {
            let ips = overrides.entry(r.host.clone()).or_default();
            if !ips.contains(&r.addr) {
                ips.push(r.addr);
            }
        }
        Ok(Dns {
            resolver,
            overrides,
            trace: config.trace.clone(),
        })
    }

    /// One query, under `timeout`, recorded in the trace (question, then answer).
    async fn lookup(&self, name: &str, rt: RecordType, timeout: Duration) -> Timed {
        let rtype = match rt {
            RecordType::A => "A",
            RecordType::AAAA => "AAAA",
            RecordType::SRV => "SRV",
            _ => "?",
        };
        let start = Instant::now();
        self.trace.record(|| Event::DnsQuery {
            name: name.to_owned(),
            rtype,
        });
        let res = tokio::time::timeout(timeout, self.resolver.lookup(name, rt)).await;
        self.trace.record(|| {
            let (status, records) = match &res {
                Err(_) => ("no answer in time".to_owned(), vec![]),
                Ok(Err(e)) => match classify(e) {
                    DnsStatus::NoData => ("NOERROR, no records (NODATA)".to_owned(), vec![]),
                    other => (other.describe(), vec![]),
                },
                Ok(Ok(l)) => ("NOERROR".to_owned(), traced_records(l.answers())),
            };
            Event::DnsAnswer {
                name: name.to_owned(),
                rtype,
                status,
                records,
                took: start.elapsed(),
            }
        });
        res
    }

    /// SRV lookup, with a timeout.
    pub async fn srv(&self, name: &str, timeout: Duration) -> SrvAnswer {
        let start = Instant::now();
        let res = self.lookup(&fqdn(name), RecordType::SRV, timeout).await;
        let mut answered_records = Vec::new();
        let (status, records, omitted) = match res {
            Err(_) => (DnsStatus::Timeout, vec![], 0),
            Ok(Err(e)) => (classify(&e), vec![], 0),
            Ok(Ok(lookup)) => {
                answered_records = answered(lookup.answers());
                let all: Vec<SrvRecord> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::SRV(s) => Some(SrvRecord {
                            priority: s.priority,
                            weight: s.weight,
                            port: s.port,
                            target: strip_dot(&s.target.to_ascii()),
                        }),
                        _ => None,
                    })
                    .collect();
                // Sorted first, then capped: a long answer keeps the records servers try
                // first, wherever they stand in it (and its first record, for conduwuit).
                let (records, omitted) = keep_srv(&all, MAX_RECORDS);
                if records.is_empty() {
                    (DnsStatus::NoData, records, omitted)
                } else {
                    (DnsStatus::Ok, records, omitted)
                }
            }
        };
        SrvAnswer {
            name: name.to_owned(),
            status,
            records,
            omitted,
            answered: answered_records,
            duration: start.elapsed(),
        }
    }

    /// A and AAAA at once, with the CNAME chain.
    pub async fn addrs(&self, host: &str, timeout: Duration) -> AddrAnswer {
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(ips) = self.overrides.get(&key) {
            return overridden(host, ips, Override::Resolve);
        }
        let start = Instant::now();
        let name = fqdn(host);
        // Both, whatever -4/-6 say: DNS is shown as it is, and only connections are limited
        // to the family (a single-stack peer sees the same records).
        let (want4, want6) = (true, true);
        let q = |rt: RecordType, want: bool| {
            let name = name.clone();
            async move {
                if !want {
                    return None;
                }
                Some(self.lookup(&name, rt, timeout).await)
            }
        };
        let (a, aaaa) = tokio::join!(q(RecordType::A, want4), q(RecordType::AAAA, want6));
        let mut cnames: Vec<(String, String)> = Vec::new();
        let mut records = AddrRecords::default();
        let mut take =
            |res: Option<Result<Result<hickory_resolver::lookup::Lookup, NetError>, _>>,
             into: &mut Vec<DnsRecord>|
             -> Option<(DnsStatus, Vec<IpAddr>)> {
                let res = res?;
                Some(match res {
                    Err(_) => (DnsStatus::Timeout, vec![]),
                    Ok(Err(e)) => (classify(&e), vec![]),
                    Ok(Ok(lookup)) => {
                        *into = answered(lookup.answers());
                        let mut ips = Vec::new();
                        for r in lookup.answers() {
                            match &r.data {
                                RData::A(a) => ips.push(IpAddr::V4(a.0)),
                                RData::AAAA(a) => ips.push(IpAddr::V6(a.0)),
                                RData::CNAME(c) => {
                                    let pair =
                                        (strip_dot(&r.name.to_ascii()), strip_dot(&c.0.to_ascii()));
                                    if !cnames.contains(&pair) && cnames.len() < MAX_RECORDS {
                                        cnames.push(pair);
                                    }
                                }
                                _ => {}
                            }
                        }
                        ips.truncate(MAX_RECORDS);
                        if ips.is_empty() {
                            (DnsStatus::NoData, ips)
                        } else {
                            (DnsStatus::Ok, ips)
                        }
                    }
                })
            };
        let a = take(a, &mut records.a).map(|(s, v)| {
            (
                s,
                v.into_iter()
                    .filter_map(|ip| match ip {
                        IpAddr::V4(a) => Some(a),
                        _ => None,
                    })
                    .collect(),
            )
        });
        let aaaa = take(aaaa, &mut records.aaaa).map(|(s, v)| {
            (
                s,
                v.into_iter()
                    .filter_map(|ip| match ip {
                        IpAddr::V6(a) => Some(a),
                        _ => None,
                    })
                    .collect(),
            )
        });
        AddrAnswer {
            host: host.to_owned(),
            a,
            aaaa,
            cnames,
            answered: records,
            duration: start.elapsed(),
            overridden: None,
        }
    }
}

/// The answer a flag gives for a host: its addresses, as if DNS had answered them.
pub fn overridden(host: &str, ips: &[IpAddr], source: Override) -> AddrAnswer {
    let v4: Vec<std::net::Ipv4Addr> = ips
        .iter()
        .filter_map(|ip| match ip {
            IpAddr::V4(a) => Some(*a),
            _ => None,
        })
        .collect();
    let v6: Vec<std::net::Ipv6Addr> = ips
        .iter()
        .filter_map(|ip| match ip {
            IpAddr::V6(a) => Some(*a),
            _ => None,
        })
        .collect();
    let status = |empty: bool| {
        if empty {
            DnsStatus::NoData
        } else {
            DnsStatus::Ok
        }
    };
    AddrAnswer {
        host: host.to_owned(),
        a: Some((status(v4.is_empty()), v4)),
        aaaa: Some((status(v6.is_empty()), v6)),
        cnames: Vec::new(),
        answered: Default::default(),
        duration: Duration::ZERO,
        overridden: Some(source),
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    /// A DNS server on loopback that answers every UDP query with an empty, truncated
    /// answer (the query echoed back with QR, AA and TC set), and over TCP, on the same
    /// port, either refuses (no listener) or accepts and resets at once.
    async fn truncating_server(tcp: Option<()>) -> (SocketAddr, Vec<tokio::task::JoinHandle<()>>) {
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        // Hold the TCP port either way, so nothing else answers on it; drop it to refuse.
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let mut tasks = vec![tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok((n, from)) = udp.recv_from(&mut buf).await {
                let mut reply = buf[..n].to_vec();
                if reply.len() >= 12 {
                    reply[2] |= 0x80 | 0x04 | 0x02; // QR, AA, TC
                    reply[3] = 0;
                    let _ = udp.send_to(&reply, from).await;
                }
            }
        })];
        match tcp {
            None => drop(listener),
            Some(()) => tasks.push(tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    // RST instead of FIN: the connection is reset, as by a firewall.
                    let _ = stream.set_zero_linger();
                    drop(stream);
                }
            })),
        }
        (addr, tasks)
    }

    fn dns(addr: SocketAddr) -> Dns {
        Dns::new(&Config {
            resolver: Some(addr),
            step_timeout: Duration::from_secs(2),
            ..Config::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn truncated_then_tcp_refused_or_reset_is_its_own_status() {
        for tcp in [None, Some(())] {
            let (addr, tasks) = truncating_server(tcp).await;
            let dns = dns(addr);
            let t = Duration::from_secs(2);
            let srv = dns.srv("_matrix-fed._tcp.example.test", t).await;
            assert_eq!(
                srv.status,
                DnsStatus::TruncatedTcpFailed,
                "{tcp:?}: {srv:?}"
            );
            let a = dns.addrs("example.test", t).await;
            assert_eq!(
                a.failure(),
                Some(&DnsStatus::TruncatedTcpFailed),
                "{tcp:?}: {a:?}"
            );
            assert!(
                srv.duration < t,
                "no timeout was needed: {:?}",
                srv.duration
            );
            for task in tasks {
                task.abort();
            }
        }
    }
}
