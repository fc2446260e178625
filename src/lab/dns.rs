//! The lab's authoritative DNS server (hickory-server) on 127.0.0.1, UDP and TCP on one port:
//! A, AAAA, CNAME (followed within the zone), SRV, and on demand NXDOMAIN, NODATA, SERVFAIL,
//! REFUSED, no answer at all, a delay, a truncated UDP answer that forces TCP, and a truncated
//! answer whose TCP retry fails too. An answer too large for the UDP payload the query offers
//! (EDNS, else 512 bytes) is truncated as a real server truncates it, so long answers go over
//! TCP.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::proto::op::{Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, SRV};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

/// The TTL of every record the lab serves, in seconds.
pub const TTL: u32 = 60;

/// A record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rec {
    /// A.
    A(Ipv4Addr),
    /// AAAA.
    Aaaa(Ipv6Addr),
    /// CNAME.
    Cname(String),
    /// SRV priority weight port target.
    Srv(u16, u16, u16, String),
}

/// Misbehaviour for every query of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// SERVFAIL.
    ServFail,
    /// REFUSED.
    Refused,
    /// Never answer.
    Drop,
    /// Over UDP, an empty answer with TC set (the resolver retries over TCP).
    Truncate,
    /// The same over UDP and over TCP: the resolver's retry over TCP fails. (A DNS server
    /// behind a firewall that blocks TCP refuses or resets the connection instead; the
    /// resolver reports those alike, as a truncated answer it could not complete, and a
    /// refusal cannot be told per name.)
    TruncateNoTcp,
    /// Answer after this many milliseconds.
    Delay(u64),
}

/// The zone: records and misbehaviours by lower-case name (no trailing dot).
#[derive(Debug, Clone, Default)]
pub struct Zone {
    /// Records.
    pub records: Vec<(String, Rec)>,
    /// Misbehaviours.
    pub special: HashMap<String, Vec<Special>>,
    /// Added to every answer (latency injection).
    pub delay: Duration,
}

fn norm(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Zone {
    /// Parses one line: `NAME TYPE DATA` (`A`, `AAAA`, `CNAME`, `SRV prio weight port target`)
    /// or `NAME SERVFAIL|REFUSED|DROP|TRUNCATE|TRUNCATE-NOTCP|DELAY ms`.
    pub fn add_line(&mut self, line: &str) -> Result<(), String> {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let bad = || format!("bad DNS line `{line}`");
        let [name, kind, rest @ ..] = parts.as_slice() else {
            return Err(bad());
        };
        let name = norm(name);
        let one = || rest.first().copied().ok_or_else(bad);
        match kind.to_ascii_uppercase().as_str() {
            "A" => self
                .records
                .push((name, Rec::A(one()?.parse().map_err(|_| bad())?))),
            "AAAA" => self
                .records
                .push((name, Rec::Aaaa(one()?.parse().map_err(|_| bad())?))),
            "CNAME" => self.records.push((name, Rec::Cname(norm(one()?)))),
            "SRV" => {
                let [p, w, port, target] = rest else {
                    return Err(bad());
                };
                let n = |s: &str| s.parse::<u16>().map_err(|_| bad());
                let target = if *target == "." {
                    ".".to_owned()
                } else {
                    norm(target)
                };
                self.records
                    .push((name, Rec::Srv(n(p)?, n(w)?, n(port)?, target)));
            }
            "SERVFAIL" => self
                .special
                .entry(name)
                .or_default()
                .push(Special::ServFail),
            "REFUSED" => self.special.entry(name).or_default().push(Special::Refused),
            "DROP" => self.special.entry(name).or_default().push(Special::Drop),
            "TRUNCATE" => self
                .special
                .entry(name)
                .or_default()
                .push(Special::Truncate),
            "TRUNCATE-NOTCP" => self
                .special
                .entry(name)
                .or_default()
                .push(Special::TruncateNoTcp),
            "DELAY" => {
                let ms = one()?.parse().map_err(|_| bad())?;
                self.special
                    .entry(name)
                    .or_default()
                    .push(Special::Delay(ms));
            }
            _ => return Err(bad()),
        }
        Ok(())
    }

    fn exists(&self, name: &str) -> bool {
        let suffix = format!(".{name}");
        self.records
            .iter()
            .any(|(n, _)| n == name || n.ends_with(&suffix))
            || self.special.contains_key(name)
    }

    fn of_type(&self, name: &str, t: RecordType) -> Vec<Record> {
        self.records
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, r)| to_record(name, r).filter(|rec| rec.record_type() == t))
            .collect()
    }
}

fn dns_name(s: &str) -> Name {
    if s == "." {
        return Name::root();
    }
    Name::from_str(&format!("{s}.")).unwrap_or_else(|_| Name::root())
}

fn to_record(name: &str, r: &Rec) -> Option<Record> {
    let data = match r {
        Rec::A(a) => RData::A(A(*a)),
        Rec::Aaaa(a) => RData::AAAA(AAAA(*a)),
        Rec::Cname(c) => RData::CNAME(CNAME(dns_name(c))),
        Rec::Srv(p, w, port, t) => RData::SRV(SRV::new(*p, *w, *port, dns_name(t))),
    };
    Some(Record::from_rdata(dns_name(name), TTL, data))
}

struct Handler {
    zone: Arc<Zone>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response: R,
    ) -> ResponseInfo {
        let Some(q) = request.queries.queries().first() else {
            let msg = MessageResponseBuilder::new(&request.queries, None)
                .error_msg(&request.metadata, ResponseCode::FormErr);
            return response
                .send_response(msg)
                .await
                .unwrap_or_else(|_| failed(request));
        };
        let name = norm(&q.name().to_string());
        let qtype = q.query_type();
        if !self.zone.delay.is_zero() {
            tokio::time::sleep(self.zone.delay).await;
        }
        let special = self.zone.special.get(&name).cloned().unwrap_or_default();
        for s in &special {
            match s {
                Special::Delay(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
                Special::Drop => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return failed(request);
                }
                Special::ServFail | Special::Refused => {
                    let rc = if *s == Special::ServFail {
                        ResponseCode::ServFail
                    } else {
                        ResponseCode::Refused
                    };
                    let msg = MessageResponseBuilder::new(&request.queries, request.edns.as_ref())
                        .error_msg(&request.metadata, rc);
                    return response
                        .send_response(msg)
                        .await
                        .unwrap_or_else(|_| failed(request));
                }
                Special::TruncateNoTcp => {
                    return truncated(request, response).await;
                }
                Special::Truncate if request.protocol() == Protocol::Udp => {
                    return truncated(request, response).await;
                }
                Special::Truncate => {}
            }
        }
        // Answers, following CNAMEs within the zone (as an authoritative server would).
        let mut answers: Vec<Record> = Vec::new();
        let mut current = name.clone();
        for _ in 0..8 {
            let direct = self.zone.of_type(&current, qtype);
            if !direct.is_empty() {
                answers.extend(direct);
                break;
            }
            let cname = self.zone.of_type(&current, RecordType::CNAME);
            let Some(c) = cname.into_iter().next() else {
                break;
            };
            let next = match &c.data {
                RData::CNAME(t) => norm(&t.0.to_string()),
                _ => break,
            };
            answers.push(c);
            if qtype == RecordType::CNAME {
                break;
            }
            current = next;
        }
        let mut md = Metadata::response_from_request(&request.metadata);
        md.authoritative = true;
        if answers.is_empty() && !self.zone.exists(&name) {
            md.response_code = ResponseCode::NXDomain;
        }
        let none: &[Record] = &[];
        let msg = MessageResponseBuilder::new(&request.queries, request.edns.as_ref()).build(
            md,
            answers.iter(),
            none,
            none,
            none,
        );
        response
            .send_response(msg)
            .await
            .unwrap_or_else(|_| failed(request))
    }
}

/// An empty answer with TC set.
async fn truncated<R: ResponseHandler>(request: &Request, mut response: R) -> ResponseInfo {
    let mut md = Metadata::response_from_request(&request.metadata);
    md.truncation = true;
    md.authoritative = true;
    let msg =
        MessageResponseBuilder::new(&request.queries, request.edns.as_ref()).build_no_records(md);
    response
        .send_response(msg)
        .await
        .unwrap_or_else(|_| failed(request))
}

fn failed(request: &Request) -> ResponseInfo {
    let mut md = Metadata::response_from_request(&request.metadata);
    md.response_code = ResponseCode::ServFail;
    ResponseInfo::from(hickory_server::proto::op::Header {
        metadata: md,
        counts: Default::default(),
    })
}

/// A running DNS server; dropping it stops it.
pub struct DnsServer {
    /// Where it listens (UDP and TCP).
    pub addr: SocketAddr,
    _server: Server<Handler>,
}

/// Starts a server for `zone` on 127.0.0.1 (UDP and TCP on the same ephemeral port).
pub async fn start(zone: Zone) -> std::io::Result<DnsServer> {
    let mut last_err = None;
    for _ in 0..20 {
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
        let addr = udp.local_addr()?;
        match tokio::net::TcpListener::bind(addr).await {
            Ok(tcp) => {
                let mut server = Server::new(Handler {
                    zone: Arc::new(zone),
                });
                server.register_socket(udp);
                server.register_listener(tcp, Duration::from_secs(5), 64);
                return Ok(DnsServer {
                    addr,
                    _server: server,
                });
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other("no port for the lab DNS server")))
}
