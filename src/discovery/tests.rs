//! The decision logic alone: observations are made up here, no network is involved. A
//! `World` answers the probes `resolve` asks for, round by round, as the engine's driver does.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::*;
use crate::obs::{
    AddrAnswer, CertVerdict, ConnectFailure, DnsStatus, Exchange, HttpResponse, RequestFailure,
    SrvAnswer, SrvRecord, TlsObs,
};
use crate::obs::{Fetch, Hop, RedirectStop};
use crate::report::SpecStep;

#[derive(Default)]
struct World {
    addrs: HashMap<String, (Vec<Ipv4Addr>, Vec<Ipv6Addr>)>,
    srv: HashMap<String, (DnsStatus, Vec<SrvRecord>)>,
    /// Well-known outcome by host (one fetch per address of the host).
    wk: HashMap<String, Result<(u16, String), RequestFailure>>,
    wk_stop: HashMap<String, RedirectStop>,
    wk_cert: HashMap<String, CertVerdict>,
}

fn rec(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
    SrvRecord {
        priority,
        weight,
        port,
        target: target.to_owned(),
    }
}

impl World {
    fn a(mut self, host: &str, ip: &str) -> World {
        let e = self.addrs.entry(host.to_owned()).or_default();
        match ip.parse::<IpAddr>().unwrap() {
            IpAddr::V4(v4) => e.0.push(v4),
            IpAddr::V6(v6) => e.1.push(v6),
        }
        self
    }
    fn srv(mut self, name: &str, records: Vec<SrvRecord>) -> World {
        self.srv.insert(name.to_owned(), (DnsStatus::Ok, records));
        self
    }
    fn srv_status(mut self, name: &str, status: DnsStatus) -> World {
        self.srv.insert(name.to_owned(), (status, vec![]));
        self
    }
    fn wk(mut self, host: &str, status: u16, body: &str) -> World {
        self.wk
            .insert(host.to_owned(), Ok((status, body.to_owned())));
        self
    }
    fn wk_fail(mut self, host: &str, f: RequestFailure) -> World {
        self.wk.insert(host.to_owned(), Err(f));
        self
    }

    fn addr_answer(&self, host: &str) -> AddrAnswer {
        let (v4, v6) = self.addrs.get(host).cloned().unwrap_or_default();
        let st = |empty: bool| {
            if empty && !self.addrs.contains_key(host) {
                DnsStatus::NxDomain
            } else if empty {
                DnsStatus::NoData
            } else {
                DnsStatus::Ok
            }
        };
        AddrAnswer {
            host: host.to_owned(),
            a: Some((st(v4.is_empty()), v4)),
            aaaa: Some((st(v6.is_empty()), v6)),
            cnames: vec![],
            answered: Default::default(),
            duration: Duration::ZERO,
            overridden: None,
        }
    }

    fn fetch(&self, host: &str, ip: IpAddr) -> Fetch {
        let result = match self.wk.get(host) {
            Some(Ok((status, body))) => Ok(HttpResponse {
                status: *status,
                headers: vec![],
                body: body.as_bytes().to_vec(),
                truncated: false,
                duration: Duration::ZERO,
            }),
            Some(Err(e)) => Err(e.clone()),
            None => Err(RequestFailure::Connect(ConnectFailure::Refused)),
        };
        let connected = !matches!(result, Err(RequestFailure::Connect(_)));
        let tls = self.wk_cert.get(host).map(|v| TlsObs {
            version: None,
            cipher_suite: None,
            alpn: None,
            chain: vec![],
            verdict: Some(v.clone()),
            expected_name: host.to_owned(),
            duration: Duration::ZERO,
        });
        let stop = self.wk_stop.get(host).cloned();
        Fetch {
            ip,
            hops: if stop.is_some() {
                vec![Hop {
                    from: well_known_url(host),
                    status: 302,
                    location: None,
                    headers: vec![],
                }]
            } else {
                vec![]
            },
            last: Exchange {
                ip,
                port: 443,
                connect: connected.then_some(Duration::ZERO),
                tls,
                result,
            },
            stop,
            insecure: None,
            url: well_known_url(host),
            duration: Duration::ZERO,
        }
    }

    /// Answers every probe the algorithm asks for until it decides; returns the resolution
    /// and every probe asked, round by round.
    fn resolve(&self, name: &str) -> (Resolution, Vec<Vec<Probe>>) {
        let name = ServerName::parse(name).expect("valid test name");
        let mut obs = Observations::default();
        let mut rounds = Vec::new();
        for _ in 0..10 {
            let plan = super::resolve(&name, &obs);
            let new: Vec<Probe> = plan
                .probes
                .iter()
                .filter(|p| match p {
                    Probe::WellKnown(h) => !obs.well_known.contains_key(h),
                    Probe::Srv(n) => !obs.srv.contains_key(n),
                    Probe::Addrs(h) => !obs.addrs.contains_key(h),
                })
                .cloned()
                .collect();
            if let Some(res) = plan.resolution {
                rounds.push(new);
                return (res, rounds);
            }
            assert!(!new.is_empty(), "undecided, yet nothing new to ask");
            for p in &new {
                match p {
                    Probe::WellKnown(h) => {
                        let a = self.addr_answer(h);
                        let fetches = a.addrs().into_iter().map(|ip| self.fetch(h, ip)).collect();
                        obs.addrs.insert(h.clone(), a);
                        obs.well_known.insert(
                            h.clone(),
                            WellKnownObs {
                                fetches,
                                duration: Duration::ZERO,
                            },
                        );
                    }
                    Probe::Srv(n) => {
                        let (status, all) = self
                            .srv
                            .get(n)
                            .cloned()
                            .unwrap_or((DnsStatus::NxDomain, vec![]));
                        // As the DNS probe keeps them (its bound is 32 records).
                        let (records, omitted) = keep_srv(&all, 32);
                        obs.srv.insert(
                            n.clone(),
                            SrvAnswer {
                                name: n.clone(),
                                status,
                                records,
                                omitted,
                                answered: vec![],
                                duration: Duration::ZERO,
                            },
                        );
                    }
                    Probe::Addrs(h) => {
                        obs.addrs.insert(h.clone(), self.addr_answer(h));
                    }
                }
            }
            rounds.push(new);
        }
        panic!("no decision after 10 rounds");
    }
}

/// `ip:port host=H tls=T sni=S`, as in the lab scenarios.
fn targets(r: &Resolution) -> Vec<String> {
    r.targets.iter().map(Target::line).collect()
}

#[test]
fn ip_literal_needs_no_probe() {
    let (r, rounds) = World::default().resolve("192.0.2.7");
    assert_eq!(rounds, vec![Vec::<Probe>::new()]);
    assert_eq!(r.step, Some(SpecStep::IpLiteral));
    assert_eq!(
        targets(&r),
        ["192.0.2.7:8448 host=192.0.2.7 tls=192.0.2.7 sni=-"]
    );
    let (r, _) = World::default().resolve("[2001:db8::1]:8080");
    assert_eq!(
        targets(&r),
        ["[2001:db8::1]:8080 host=[2001:db8::1]:8080 tls=2001:db8::1 sni=-"]
    );
}

#[test]
fn explicit_port_skips_well_known_and_srv() {
    let w = World::default()
        .a("example.com", "192.0.2.1")
        .wk(
            "example.com",
            200,
            r#"{"m.server":"elsewhere.example:443"}"#,
        )
        .srv(
            "_matrix-fed._tcp.example.com",
            vec![rec(1, 1, 1, "x.example")],
        );
    let (r, rounds) = w.resolve("example.com:8448");
    assert_eq!(rounds[0], vec![Probe::Addrs("example.com".into())]);
    assert_eq!(r.step, Some(SpecStep::ExplicitPort));
    assert_eq!(
        targets(&r),
        ["192.0.2.1:8448 host=example.com:8448 tls=example.com sni=example.com"]
    );
}

#[test]
fn first_round_asks_everything_independent_at_once() {
    let w = World::default().a("example.com", "192.0.2.1");
    let (r, rounds) = w.resolve("example.com");
    // Well-known and both SRV lookups go out together (the well-known probe resolves the
    // host's addresses itself, which step 6 then reuses).
    let first: Vec<&Probe> = rounds[0].iter().collect();
    assert!(first.contains(&&Probe::WellKnown("example.com".into())));
    assert!(first.contains(&&Probe::Srv("_matrix-fed._tcp.example.com".into())));
    assert!(first.contains(&&Probe::Srv("_matrix._tcp.example.com".into())));
    // One round trip of probes decides it.
    assert!(rounds[1..].iter().all(Vec::is_empty), "{rounds:?}");
    assert_eq!(r.step, Some(SpecStep::DefaultPort));
    assert_eq!(
        targets(&r),
        ["192.0.2.1:8448 host=example.com tls=example.com sni=example.com"]
    );
}

#[test]
fn well_known_with_port_is_step_3_2() {
    let w = World::default()
        .a("example.com", "192.0.2.1")
        .a("m.example.com", "192.0.2.2")
        .a("m.example.com", "2001:db8::2")
        .wk("example.com", 200, r#"{"m.server":"m.example.com:443"}"#);
    let (r, _) = w.resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::WellKnownExplicitPort));
    assert_eq!(
        r.delegated.as_ref().map(|d| d.to_string()).as_deref(),
        Some("m.example.com:443")
    );
    // AAAA first, then A (both are tried).
    assert_eq!(
        targets(&r),
        [
            "[2001:db8::2]:443 host=m.example.com:443 tls=m.example.com sni=m.example.com",
            "192.0.2.2:443 host=m.example.com:443 tls=m.example.com sni=m.example.com",
        ]
    );
}

#[test]
fn well_known_then_srv_keeps_the_delegated_name_for_host_and_certificate() {
    let w = World::default()
        .a("example.com", "192.0.2.1")
        .a("t.example.net", "192.0.2.9")
        .wk("example.com", 200, r#"{"m.server":"m.example.com"}"#)
        .srv(
            "_matrix-fed._tcp.m.example.com",
            vec![rec(10, 5, 8443, "t.example.net")],
        );
    let (r, _) = w.resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::WellKnownSrv));
    assert_eq!(
        targets(&r),
        ["192.0.2.9:8443 host=m.example.com tls=m.example.com sni=m.example.com"]
    );
}

#[test]
fn well_known_literal_and_legacy_and_plain_delegation() {
    let base = || World::default().a("example.com", "192.0.2.1");
    let (r, _) = base()
        .wk("example.com", 200, r#"{"m.server":"[2001:db8::7]:443"}"#)
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::WellKnownIpLiteral));
    assert_eq!(
        targets(&r),
        ["[2001:db8::7]:443 host=[2001:db8::7]:443 tls=2001:db8::7 sni=-"]
    );

    let (r, _) = base()
        .a("t.example.net", "192.0.2.9")
        .wk("example.com", 200, r#"{"m.server":"m.example.com"}"#)
        .srv(
            "_matrix._tcp.m.example.com",
            vec![rec(10, 5, 8443, "t.example.net")],
        )
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::WellKnownLegacySrv));
    assert!(r.srv.as_ref().is_some_and(|s| s.legacy));

    let (r, _) = base()
        .a("m.example.com", "192.0.2.2")
        .wk("example.com", 200, r#"{"m.server":"m.example.com"}"#)
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::WellKnownDefaultPort));
    assert_eq!(
        targets(&r),
        ["192.0.2.2:8448 host=m.example.com tls=m.example.com sni=m.example.com"]
    );
}

#[test]
fn invalid_or_absent_well_known_falls_back_to_srv_on_the_server_name() {
    for (status, body) in [
        (404, "not found"),
        (200, "<html></html>"),
        (200, "\u{feff}{\"m.server\":\"m.example.com:443\"}"),
        (200, r#"{"m.server":"https://m.example.com"}"#),
        (
            200,
            r#"{"m.homeserver":{"base_url":"https://m.example.com"}}"#,
        ),
        (204, ""),
        (500, "oops"),
    ] {
        let w = World::default()
            .a("example.com", "192.0.2.1")
            .a("m.example.com", "192.0.2.2")
            .wk("example.com", status, body)
            .srv(
                "_matrix-fed._tcp.example.com",
                vec![rec(10, 0, 443, "m.example.com")],
            );
        let (r, _) = w.resolve("example.com");
        assert_eq!(r.step, Some(SpecStep::Srv), "{status} {body}");
        assert!(r.delegated.is_none());
        assert_eq!(
            targets(&r),
            // The SRV target is where to connect; the server name is what to expect.
            ["192.0.2.2:443 host=example.com tls=example.com sni=example.com"],
            "{status} {body}"
        );
    }
}

#[test]
fn bad_certificate_or_redirect_stop_on_the_well_known_is_no_delegation() {
    for (cert, stop) in [
        (Some(CertVerdict::Expired), None),
        (None, Some(RedirectStop::Loop)),
    ] {
        let mut w = World::default().a("example.com", "192.0.2.1").wk(
            "example.com",
            200,
            r#"{"m.server":"m.example.com:443"}"#,
        );
        if let Some(c) = cert {
            w.wk_cert.insert("example.com".into(), c);
        }
        if let Some(s) = stop {
            w.wk_stop.insert("example.com".into(), s);
        }
        let (r, _) = w.resolve("example.com");
        assert_eq!(r.step, Some(SpecStep::DefaultPort));
        assert!(matches!(r.well_known, WellKnownState::Failed { .. }));
    }
}

#[test]
fn unreachable_well_known_host_still_resolves() {
    let (r, _) = World::default()
        .a("example.com", "192.0.2.1")
        .wk_fail("example.com", RequestFailure::ResponseTimeout)
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::DefaultPort));
    assert_eq!(r.targets.len(), 1);
}

#[test]
fn legacy_srv_is_used_only_without_matrix_fed() {
    let (r, _) = World::default()
        .a("old.example.com", "192.0.2.3")
        .srv(
            "_matrix._tcp.example.com",
            vec![rec(10, 0, 8448, "old.example.com")],
        )
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::LegacySrv));
    assert_eq!(
        targets(&r),
        ["192.0.2.3:8448 host=example.com tls=example.com sni=example.com"]
    );

    // _matrix-fed wins even when its target has no address: _matrix is not tried.
    let (r, _) = World::default()
        .a("old.example.com", "192.0.2.3")
        .srv(
            "_matrix-fed._tcp.example.com",
            vec![rec(10, 0, 8448, "gone.example.com")],
        )
        .srv(
            "_matrix._tcp.example.com",
            vec![rec(10, 0, 8448, "old.example.com")],
        )
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::Srv));
    assert!(r.targets.is_empty());
}

#[test]
fn srv_failure_is_not_absence() {
    for st in [DnsStatus::ServFail, DnsStatus::Timeout, DnsStatus::Refused] {
        let (r, _) = World::default()
            .a("example.com", "192.0.2.1")
            .srv_status("_matrix-fed._tcp.example.com", st.clone())
            .resolve("example.com");
        // Synapse fails hard: no fall-through to step 6.
        assert_eq!(r.step, Some(SpecStep::Srv), "{st:?}");
        assert!(r.targets.is_empty(), "{st:?}");
        assert_eq!(r.srv_failure.as_ref().map(|f| &f.1), Some(&st));
        // What the implementations that do not give up would try instead.
        let fallback: Vec<String> = r.fallback.iter().map(Target::line).collect();
        assert_eq!(
            fallback,
            ["192.0.2.1:8448 host=example.com tls=example.com sni=example.com"]
        );
    }
    // Behind a delegation, the fallback is the delegated host on 8448 (step 3.5).
    let (r, _) = World::default()
        .a("example.com", "192.0.2.1")
        .a("m.example.com", "192.0.2.2")
        .wk("example.com", 200, r#"{"m.server":"m.example.com"}"#)
        .srv_status("_matrix-fed._tcp.m.example.com", DnsStatus::ServFail)
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::WellKnownSrv));
    let fallback: Vec<String> = r.fallback.iter().map(Target::line).collect();
    assert_eq!(
        fallback,
        ["192.0.2.2:8448 host=m.example.com tls=m.example.com sni=m.example.com"]
    );
    assert_eq!(r.fallback[0].step, SpecStep::WellKnownDefaultPort);
    for st in [DnsStatus::NxDomain, DnsStatus::NoData] {
        let (r, _) = World::default()
            .a("example.com", "192.0.2.1")
            .srv_status("_matrix-fed._tcp.example.com", st.clone())
            .resolve("example.com");
        assert_eq!(r.step, Some(SpecStep::DefaultPort), "{st:?}");
        assert!(r.fallback.is_empty());
    }
}

#[test]
fn srv_dot_target_means_unavailable() {
    let (r, _) = World::default()
        .a("example.com", "192.0.2.1")
        .srv("_matrix-fed._tcp.example.com", vec![rec(0, 0, 0, ".")])
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::Srv));
    assert!(r.srv_unavailable);
    assert!(r.targets.is_empty());
}

#[test]
fn srv_records_are_ordered_by_priority_then_weight() {
    let recs = vec![
        rec(20, 0, 1, "c"),
        rec(10, 1, 2, "b"),
        rec(10, 9, 3, "a"),
        rec(10, 1, 4, "b2"),
        rec(5, 0, 0, "."),
    ];
    let ordered = order_srv(&recs);
    let names: Vec<&str> = ordered.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(names, ["a", "b", "b2", "c"]);

    let w = World::default()
        .a("a.example.com", "192.0.2.10")
        .a("b.example.com", "192.0.2.11")
        .srv(
            "_matrix-fed._tcp.example.com",
            vec![
                rec(20, 0, 8448, "b.example.com"),
                rec(10, 0, 8448, "a.example.com"),
            ],
        );
    let (r, _) = w.resolve("example.com");
    let ips: Vec<String> = r.targets.iter().map(|t| t.ip.to_string()).collect();
    assert_eq!(ips, ["192.0.2.10", "192.0.2.11"]);
}

#[test]
fn unusable_srv_records_are_skipped_and_fan_out_is_bounded() {
    let (r, _) = World::default()
        .srv(
            "_matrix-fed._tcp.example.com",
            vec![
                rec(10, 0, 0, "a.example.com"),
                rec(10, 0, 8448, "192.0.2.5"),
            ],
        )
        .a("a.example.com", "192.0.2.10")
        .resolve("example.com");
    assert!(r.targets.is_empty());

    let mut w = World::default();
    let mut recs = Vec::new();
    for i in 0..40u16 {
        let host = format!("h{i}.example.com");
        w = w
            .a(&host, &format!("192.0.2.{}", i + 1))
            .a(&host, &format!("2001:db8::{}", i + 1));
        recs.push(rec(10, 0, 8448, &host));
    }
    let (r, _) = w
        .srv("_matrix-fed._tcp.example.com", recs)
        .resolve("example.com");
    assert_eq!(r.targets.len(), MAX_TARGETS);
    // What was left out is said, not silently dropped.
    assert_eq!(r.capped.len(), 1, "{:?}", r.capped);
    assert!(r.capped[0].contains("40 records"), "{:?}", r.capped);
    let hosts: std::collections::HashSet<&str> =
        r.targets.iter().map(|t| t.hostname.as_str()).collect();
    assert!(hosts.len() <= MAX_SRV_TARGETS);
}

#[test]
fn no_address_anywhere_gives_no_targets() {
    let (r, _) = World::default().resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::DefaultPort));
    assert!(r.targets.is_empty());
    assert!(matches!(r.well_known, WellKnownState::NoAddress(_)));
}

#[test]
fn decisive_fetch_is_the_first_that_connected() {
    let w = World::default();
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    let v4: IpAddr = "192.0.2.1".parse().unwrap();
    let mut refused = w.fetch("nowhere.example", v6);
    refused.last.connect = None;
    let ok = World::default().wk("x", 200, "{}").fetch("x", v4);
    assert_eq!(decisive_fetch(&[]), None);
    assert_eq!(decisive_fetch(&[refused.clone(), ok.clone()]), Some(1));
    assert_eq!(decisive_fetch(&[ok, refused.clone()]), Some(0));
    assert_eq!(decisive_fetch(&[refused.clone(), refused]), Some(0));
}

#[test]
fn the_trace_marks_the_decisive_step() {
    let w = World::default()
        .a("example.com", "192.0.2.1")
        .a("m.example.com", "192.0.2.2")
        .wk("example.com", 200, r#"{"m.server":"m.example.com:443"}"#);
    let (r, _) = w.resolve("example.com");
    assert!(!r.trace.is_empty());
    assert!(r.trace.iter().any(|s| s.decisive), "{:#?}", r.trace);
}

#[test]
fn duplicate_m_server_keys_follow_the_last_value() {
    let (r, _) = World::default()
        .a("example.com", "192.0.2.1")
        .a("new.example.com", "192.0.2.2")
        .wk(
            "example.com",
            200,
            r#"{"m.server":"old.example.com:443","m.server":"new.example.com:443"}"#,
        )
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::WellKnownExplicitPort));
    assert_eq!(
        targets(&r),
        ["192.0.2.2:443 host=new.example.com:443 tls=new.example.com sni=new.example.com"]
    );
}

/// 100 records at priority 20 to a dead host, then one at priority 0: the answer of
/// `srv-long-answer`.
fn long_answer() -> Vec<SrvRecord> {
    let mut recs: Vec<SrvRecord> = (0..100)
        .map(|i| rec(20, 0, 9001 + i, "dead.example.com"))
        .collect();
    recs.push(rec(0, 0, 8448, "live.example.com"));
    recs
}

#[test]
fn a_long_srv_answer_keeps_what_servers_try_first_and_its_first_record() {
    let all = long_answer();
    let (kept, omitted) = keep_srv(&all, 32);
    assert_eq!((kept.len(), omitted), (32, 69));
    // In answer order: the first record stays first, the priority-0 one (last in the
    // answer) is kept though 100 records came before it.
    assert_eq!(kept[0], all[0]);
    assert_eq!(kept.last(), all.last());
    assert_eq!(order_srv(&kept)[0].target, "live.example.com");
    // The answer's first record is kept even when it sorts last of all.
    let mut worst_first = vec![rec(90, 0, 1, "first.example.com")];
    worst_first.extend((0..40).map(|i| rec(10, 0, 100 + i, "x.example.com")));
    let (kept, omitted) = keep_srv(&worst_first, 32);
    assert_eq!((kept.len(), omitted), (33, 8));
    assert_eq!(kept[0].target, "first.example.com");
    assert!(kept[1..].iter().all(|r| r.priority == 10 && r.port < 132));
    // Short answers are kept whole.
    assert_eq!(keep_srv(&all[..3], 32), (all[..3].to_vec(), 0));
    assert_eq!(keep_srv(&[], 32), (vec![], 0));
}

#[test]
fn the_priority_zero_record_at_the_end_of_a_long_answer_is_resolved_first() {
    let (r, _) = World::default()
        .a("dead.example.com", "192.0.2.4")
        .a("live.example.com", "192.0.2.3")
        .srv("_matrix-fed._tcp.example.com", long_answer())
        .resolve("example.com");
    assert_eq!(r.step, Some(SpecStep::Srv));
    assert_eq!(
        targets(&r)[0],
        "192.0.2.3:8448 host=example.com tls=example.com sni=example.com"
    );
    assert_eq!(r.targets.len(), MAX_SRV_TARGETS);
    // What was left out is counted (the 24 kept but not resolved, the 69 the DNS probe did
    // not keep) and the first of them named.
    assert_eq!(
        r.capped,
        [
            "_matrix-fed._tcp.example.com has 101 records, of which the first 8 (by priority and weight) were resolved; 93 left out, in the order servers would try them: 20 0 9008 dead.example.com, 20 0 9009 dead.example.com, 20 0 9010 dead.example.com, 20 0 9011 dead.example.com and 89 more"
        ]
    );
    // The trace says the answer was longer than shown.
    let srv = r
        .trace
        .iter()
        .find(|s| s.query == "_matrix-fed._tcp.example.com SRV")
        .unwrap();
    assert!(
        srv.answer
            .ends_with("0 0 8448 live.example.com, and 69 more"),
        "{}",
        srv.answer
    );
}

#[test]
fn a_host_without_address_is_nodata_or_nxdomain_as_answered() {
    use crate::report::{DnsOutcome, DnsQuery, StepKind};
    // The name exists (NODATA for A and AAAA): not NXDOMAIN.
    let mut w = World::default();
    w.addrs.insert("example.com".into(), (vec![], vec![]));
    let (r, _) = w.resolve("example.com");
    assert!(
        matches!(r.well_known, WellKnownState::NoAddress(DnsStatus::NoData)),
        "{:?}",
        r.well_known
    );
    let nodata = |t: &str| DnsQuery {
        record_type: t.into(),
        status: DnsOutcome::Nodata,
        records: vec![],
    };
    let wk = r
        .trace
        .iter()
        .find(|s| s.kind == StepKind::WellKnown)
        .unwrap();
    assert_eq!(wk.answer, "example.com: no A/AAAA record (the name exists)");
    assert_eq!(wk.dns, [nodata("A"), nodata("AAAA")]);
    let addr = r
        .trace
        .iter()
        .find(|s| s.kind == StepKind::Address)
        .unwrap();
    assert_eq!(addr.answer, "no A/AAAA record (the name exists)");
    assert_eq!(addr.status, StepStatus::NotFound);
    assert_eq!(addr.dns, [nodata("A"), nodata("AAAA")]);
    // The name does not exist.
    let (r, _) = World::default().resolve("example.com");
    assert!(matches!(
        r.well_known,
        WellKnownState::NoAddress(DnsStatus::NxDomain)
    ));
    let wk = r
        .trace
        .iter()
        .find(|s| s.kind == StepKind::WellKnown)
        .unwrap();
    assert_eq!(wk.answer, "example.com: NXDOMAIN");
    assert_eq!(wk.dns[0].status, DnsOutcome::Nxdomain);
    // SRV rows carry their own status.
    let srv = r.trace.iter().find(|s| s.kind == StepKind::Srv).unwrap();
    assert_eq!(
        srv.dns,
        [DnsQuery {
            record_type: "SRV".into(),
            status: DnsOutcome::Nxdomain,
            records: vec![],
        }]
    );
}
