//! The lab's own tests: its DNS answers as configured, its hosts present the configured
//! certificates and behaviours, and a lab configuration never leaves loopback.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use delegcheck::lab::https::{Behaviour, HostSpec};
use delegcheck::lab::pki::CertKind;
use delegcheck::lab::{Lab, LabOptions};
use delegcheck::net::http::{self, RequestSpec};
use delegcheck::net::{Deadline, Net};
use delegcheck::obs::{CertVerdict, ConnectFailure, DnsStatus, RequestFailure};

const T: Duration = Duration::from_millis(800);

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn host(listen: &str, cert: &[&str], kind: CertKind) -> HostSpec {
    HostSpec {
        listen: vec![listen.to_owned()],
        cert: lines(cert),
        cert_kind: kind,
        matrix: Some("example.test".into()),
        ..Default::default()
    }
}

/// A raw DNS query over UDP (header, one question, class IN); returns the reply's bytes.
async fn raw_udp_query(server: SocketAddr, name: &str, qtype: u16) -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(&q, server).await.unwrap();
    let mut buf = vec![0u8; 1500];
    let (n, _) = tokio::time::timeout(T, sock.recv_from(&mut buf))
        .await
        .expect("a UDP answer")
        .unwrap();
    buf.truncate(n);
    buf
}

#[tokio::test]
async fn dns_answers_as_configured() {
    let zone = lines(&[
        "example.test A 127.0.0.2",
        "example.test AAAA ::1",
        "alias.example.test CNAME example.test.",
        "_matrix-fed._tcp.example.test SRV 10 5 8448 matrix.example.test.",
        "_matrix-fed._tcp.example.test SRV 20 0 443 backup.example.test.",
        "matrix.example.test A 127.0.0.3",
        "broken.test SERVFAIL",
        "refused.test REFUSED",
        "silent.test DROP",
        "big.test A 127.0.0.4",
        "big.test TRUNCATE",
        "slow.test A 127.0.0.5",
        "slow.test DELAY 300",
    ]);
    let lab = Lab::start_parts(&zone, &[], LabOptions::default())
        .await
        .unwrap();
    let net = Net::new(lab.config()).unwrap();

    let a = net.dns.addrs("example.test", T).await;
    let ips: Vec<String> = a.addrs().iter().map(IpAddr::to_string).collect();
    assert_eq!(ips, ["::1", "127.0.0.2"]);

    let c = net.dns.addrs("alias.example.test", T).await;
    assert_eq!(c.addrs().len(), 2);
    assert!(!c.cnames.is_empty(), "the CNAME is reported: {c:?}");

    let srv = net.dns.srv("_matrix-fed._tcp.example.test", T).await;
    assert_eq!(srv.status, DnsStatus::Ok);
    let mut got: Vec<(u16, u16, u16, String)> = srv
        .records
        .iter()
        .map(|r| (r.priority, r.weight, r.port, r.target.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (10, 5, 8448, "matrix.example.test".to_owned()),
            (20, 0, 443, "backup.example.test".to_owned())
        ]
    );

    // NXDOMAIN (no such name) and NODATA (the name exists, not this type) differ.
    assert_eq!(
        net.dns.srv("_matrix._tcp.nothing.test", T).await.status,
        DnsStatus::NxDomain
    );
    let nodata = net.dns.addrs("matrix.example.test", T).await;
    assert_eq!(nodata.aaaa.as_ref().map(|x| &x.0), Some(&DnsStatus::NoData));
    // A host with no address at all: NODATA when the name exists, NXDOMAIN when it does not.
    let exists = net.dns.addrs("_matrix-fed._tcp.example.test", T).await;
    assert!(exists.addrs().is_empty());
    assert_eq!(exists.absence(), DnsStatus::NoData);
    assert_eq!(
        exists.describe_absence(),
        "no A/AAAA record (the name exists)"
    );
    let gone = net.dns.addrs("nothing.test", T).await;
    assert_eq!(gone.absence(), DnsStatus::NxDomain);
    assert_eq!(
        net.dns.addrs("broken.test", T).await.absence(),
        DnsStatus::ServFail
    );

    assert_eq!(
        net.dns.srv("broken.test", T).await.status,
        DnsStatus::ServFail
    );
    assert_eq!(
        net.dns.srv("refused.test", T).await.status,
        DnsStatus::Refused
    );
    assert_eq!(
        net.dns
            .srv("silent.test", Duration::from_millis(300))
            .await
            .status,
        DnsStatus::Timeout
    );

    // A truncated UDP answer: TC set and no records over UDP, the full answer over TCP.
    let reply = raw_udp_query(lab.dns, "big.test", 1).await;
    assert_eq!(reply[2] & 0x02, 0x02, "TC bit set");
    assert_eq!(
        u16::from_be_bytes([reply[6], reply[7]]),
        0,
        "no answers over UDP"
    );
    let big = net.dns.addrs("big.test", T).await;
    assert_eq!(big.addrs(), ["127.0.0.4".parse::<IpAddr>().unwrap()]);

    // A delay is a delay, not a failure.
    let start = std::time::Instant::now();
    let slow = net.dns.addrs("slow.test", T).await;
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(slow.addrs().len(), 1);
}

#[tokio::test]
async fn a_failed_tcp_retry_is_told_apart() {
    let zone = lines(&[
        "notcp.test A 127.0.0.4",
        "notcp.test TRUNCATE-NOTCP",
        "_matrix-fed._tcp.notcp.test SRV 10 0 8448 notcp.test.",
        "_matrix-fed._tcp.notcp.test TRUNCATE-NOTCP",
    ]);
    let lab = Lab::start_parts(&zone, &[], LabOptions::default())
        .await
        .unwrap();
    let net = Net::new(lab.config()).unwrap();
    // Truncated over UDP and over TCP: neither a timeout nor an absence.
    let a = net.dns.addrs("notcp.test", T).await;
    assert!(a.addrs().is_empty());
    assert_eq!(a.absence(), DnsStatus::TruncatedTcpFailed);
    let srv = net.dns.srv("_matrix-fed._tcp.notcp.test", T).await;
    assert_eq!(srv.status, DnsStatus::TruncatedTcpFailed);
    assert!(srv.duration < T, "answered at once, not timed out");
}

#[tokio::test]
async fn long_answers_go_over_tcp_and_keep_what_servers_try_first() {
    // 100 priority-20 records, then one at priority 0: too long for UDP.
    let mut zone: Vec<String> = (0..100)
        .map(|i| {
            format!(
                "_matrix-fed._tcp.many.test SRV 20 0 {} dead.many.test.",
                9001 + i
            )
        })
        .collect();
    zone.push("_matrix-fed._tcp.many.test SRV 0 0 8448 live.many.test.".into());
    let lab = Lab::start_parts(&zone, &[], LabOptions::default())
        .await
        .unwrap();
    let net = Net::new(lab.config()).unwrap();

    // Over UDP the answer does not fit (no EDNS: 512 bytes) and comes back truncated…
    let reply = raw_udp_query(lab.dns, "_matrix-fed._tcp.many.test", 33).await;
    assert_eq!(reply[2] & 0x02, 0x02, "TC bit set");
    // …and the resolver gets it whole over TCP; the probe keeps the 32 records servers try
    // first, the priority-0 one included though it came last, and the answer's first.
    let srv = net.dns.srv("_matrix-fed._tcp.many.test", T).await;
    assert_eq!(srv.status, DnsStatus::Ok);
    assert_eq!((srv.records.len(), srv.omitted), (32, 69));
    assert_eq!(
        srv.records[0].port, 9001,
        "the answer's first record stays first"
    );
    assert_eq!(
        srv.records.last().map(|r| (r.priority, r.target.as_str())),
        Some((0, "live.many.test"))
    );
    assert!(srv.records[..31].iter().all(|r| r.priority == 20));
}

async fn get(net: &Net, addr: &str, tls_name: &str, path: &str) -> delegcheck::obs::Exchange {
    let sa: SocketAddr = addr.parse().unwrap();
    let spec = RequestSpec {
        dial_host: None,
        ip: sa.ip(),
        port: sa.port(),
        tls_name: tls_name.to_owned(),
        host_header: tls_name.to_owned(),
        path: path.to_owned(),
        body_cap: 65536,
        plain_http: false,
        method: Default::default(),
        headers: Vec::new(),
    };
    http::exchange(net, &spec, &Deadline::new(Duration::from_secs(3), T)).await
}

#[tokio::test]
async fn hosts_present_the_configured_certificates() {
    let hosts = vec![
        host("127.0.0.2:8448", &["example.test"], CertKind::Valid),
        host("127.0.0.3:8448", &["example.test"], CertKind::Expired),
        host("127.0.0.4:8448", &["example.test"], CertKind::NotYetValid),
        host("127.0.0.5:8448", &["example.test"], CertKind::SelfSigned),
        host(
            "127.0.0.6:8448",
            &["example.test"],
            CertKind::NoIntermediate,
        ),
        host("127.0.0.7:8448", &["example.test"], CertKind::UntrustedCa),
        host("127.0.0.8:8448", &["*.example.test"], CertKind::Valid),
        host("127.0.0.9:8448", &["127.0.0.9"], CertKind::Valid),
        host("127.0.0.10:8448", &["example.test"], CertKind::Expiring),
    ];
    let lab = Lab::start_parts(&[], &hosts, LabOptions::default())
        .await
        .unwrap();
    let net = Net::new(lab.config()).unwrap();
    let verdict = |e: &delegcheck::obs::Exchange| e.tls.as_ref().and_then(|t| t.verdict.clone());
    let chain_len = |e: &delegcheck::obs::Exchange| e.tls.as_ref().map_or(0, |t| t.chain.len());

    let ok = get(
        &net,
        "127.0.0.2:8448",
        "example.test",
        "/_matrix/federation/v1/version",
    )
    .await;
    assert_eq!(verdict(&ok), Some(CertVerdict::Valid));
    assert_eq!(chain_len(&ok), 2, "leaf and intermediate");
    assert_eq!(ok.result.as_ref().map(|r| r.status).ok(), Some(200));

    let wrong = get(&net, "127.0.0.2:8448", "matrix.example.test", "/").await;
    assert_eq!(verdict(&wrong), Some(CertVerdict::NameMismatch));
    // The request is still made (so the endpoints behind a bad certificate can be checked
    // too); the verdict is judged by the caller.
    assert_eq!(wrong.result.as_ref().map(|r| r.status).ok(), Some(404));

    for (addr, want) in [
        ("127.0.0.3:8448", CertVerdict::Expired),
        ("127.0.0.4:8448", CertVerdict::NotYetValid),
        ("127.0.0.5:8448", CertVerdict::UnknownIssuer),
        ("127.0.0.6:8448", CertVerdict::UnknownIssuer),
        ("127.0.0.7:8448", CertVerdict::UnknownIssuer),
    ] {
        let e = get(&net, addr, "example.test", "/").await;
        assert_eq!(verdict(&e), Some(want), "{addr}");
        assert!(
            chain_len(&e) >= 1,
            "{addr}: the chain is captured even when invalid"
        );
    }
    assert_eq!(
        chain_len(&get(&net, "127.0.0.6:8448", "example.test", "/").await),
        1,
        "leaf only"
    );
    assert_eq!(
        chain_len(&get(&net, "127.0.0.7:8448", "example.test", "/").await),
        2,
        "leaf and its CA"
    );

    let wild = get(&net, "127.0.0.8:8448", "matrix.example.test", "/").await;
    assert_eq!(verdict(&wild), Some(CertVerdict::Valid));
    let ip = get(&net, "127.0.0.9:8448", "127.0.0.9", "/").await;
    assert_eq!(verdict(&ip), Some(CertVerdict::Valid), "IP SAN, no SNI");
    let expiring = get(&net, "127.0.0.10:8448", "example.test", "/").await;
    assert_eq!(verdict(&expiring), Some(CertVerdict::Valid));
}

#[tokio::test]
async fn hosts_misbehave_as_configured() {
    let with = |listen: &str, b: Behaviour| HostSpec {
        behaviour: b,
        ..host(listen, &["example.test"], CertKind::Valid)
    };
    let hosts = vec![
        with("127.0.0.2:8448", Behaviour::Blackhole),
        with("127.0.0.3:8448", Behaviour::Reset),
        with("127.0.0.4:8448", Behaviour::PlainHttp),
        with("127.0.0.5:8448", Behaviour::Garbage),
        with("127.0.0.6:8448", Behaviour::OldTls),
        HostSpec {
            response_delay_ms: 250,
            ..host("127.0.0.7:8448", &["example.test"], CertKind::Valid)
        },
    ];
    let lab = Lab::start_parts(&[], &hosts, LabOptions::default())
        .await
        .unwrap();
    let net = Net::new(lab.config()).unwrap();

    let hole = get(&net, "127.0.0.2:8448", "example.test", "/").await;
    assert!(hole.connect.is_some(), "a black hole accepts");
    assert_eq!(hole.result.unwrap_err(), RequestFailure::TlsTimeout);

    for addr in [
        "127.0.0.3:8448",
        "127.0.0.4:8448",
        "127.0.0.5:8448",
        "127.0.0.6:8448",
    ] {
        let e = get(&net, addr, "example.test", "/").await;
        assert!(e.connect.is_some(), "{addr}");
        assert!(
            matches!(
                e.result,
                Err(RequestFailure::Tls(_) | RequestFailure::TlsOldVersion)
            ),
            "{addr}: {:?}",
            e.result
        );
    }

    let start = std::time::Instant::now();
    let slow = get(
        &net,
        "127.0.0.7:8448",
        "example.test",
        "/_matrix/federation/v1/version",
    )
    .await;
    assert!(start.elapsed() >= Duration::from_millis(250));
    assert_eq!(slow.result.map(|r| r.status).ok(), Some(200));

    // Nothing listens here: refused, quickly.
    let none = get(&net, "127.0.0.99:8448", "example.test", "/").await;
    assert_eq!(
        none.result.unwrap_err(),
        RequestFailure::Connect(ConnectFailure::Refused)
    );
}

#[tokio::test]
async fn hosts_serve_the_federation_endpoints() {
    let mut h = host("127.0.0.2:8448", &["example.test"], CertKind::Valid);
    h.vhosts = vec!["example.test".into()];
    let lab = Lab::start_parts(&[], &[h], LabOptions::default())
        .await
        .unwrap();
    let net = Net::new(lab.config()).unwrap();

    let keys = get(
        &net,
        "127.0.0.2:8448",
        "example.test",
        "/_matrix/key/v2/server",
    )
    .await;
    let body = keys.result.unwrap().body;
    let now_ms = delegcheck::time::now() * 1000;
    let (info, problems) = delegcheck::checks::keys::judge(&body, "example.test", now_ms);
    assert!(problems.is_empty(), "{problems:?}");
    let info = info.unwrap();
    assert_eq!(info.server_name.as_deref(), Some("example.test"));
    assert_eq!(
        info.verified_key_ids,
        ["ed25519:lab"],
        "real ed25519 signatures over canonical JSON"
    );

    let unauth = get(
        &net,
        "127.0.0.2:8448",
        "example.test",
        "/_matrix/federation/v1/query/profile",
    )
    .await;
    let r = unauth.result.unwrap();
    assert_eq!(r.status, 401);
    assert!(String::from_utf8_lossy(&r.body).contains("M_UNAUTHORIZED"));

    // Another Host: the proxy's default vhost, an HTML 404.
    let sa: SocketAddr = "127.0.0.2:8448".parse().unwrap();
    let spec = RequestSpec {
        dial_host: None,
        ip: sa.ip(),
        port: sa.port(),
        tls_name: "example.test".into(),
        host_header: "example.test:8448".into(),
        path: "/_matrix/federation/v1/version".into(),
        body_cap: 4096,
        plain_http: false,
        method: Default::default(),
        headers: Vec::new(),
    };
    let other = http::exchange(&net, &spec, &Deadline::new(Duration::from_secs(3), T)).await;
    let r = other.result.unwrap();
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").is_some_and(|c| c.contains("html")));
}

#[tokio::test]
async fn a_lab_configuration_never_leaves_loopback() {
    let lab = Lab::start_parts(&[], &[], LabOptions::default())
        .await
        .unwrap();
    let net = Net::new(lab.config()).unwrap();
    for ip in ["192.0.2.1", "10.0.0.1", "2001:db8::1"] {
        let r = net.dialer.connect(None, ip.parse().unwrap(), 8448, T).await;
        assert_eq!(r.err(), Some(ConnectFailure::Unreachable), "{ip}");
    }
}

/// A healthy check of a delegated server touches it lightly: one TLS connection for the
/// well-known (or its absence) and one per target, every request of the endpoint checks on
/// it (HTTP/1.1 keep-alive). Counted by the lab's hosts, so exact.
#[tokio::test]
async fn a_healthy_delegated_check_opens_at_most_two_tls_connections() {
    let scenarios = delegcheck::lab::scenarios();
    for name in [
        "well-known-port-443",
        "srv-delegation",
        "direct-8448",
        "reverse-proxy-443",
    ] {
        let s = scenarios.iter().find(|s| s.name == name).unwrap();
        let lab = Lab::start(s, LabOptions::default()).await.unwrap();
        // Federation's connections (client discovery has its own, beside them).
        let net = Net::new(delegcheck::net::Config {
            client: false,
            ..lab.config()
        })
        .unwrap();
        let r = delegcheck::engine::check(&net, &s.server_name).await;
        assert!(r.ok, "{name}");
        assert!(
            r.client.is_none(),
            "{name}: --no-client checks federation only"
        );
        assert!(
            lab.tls_handshakes() <= 2,
            "{name}: {} TLS connections",
            lab.tls_handshakes()
        );
    }
}

/// Client discovery beside federation: the client well-known and the support file on the
/// server name's host, and the base URL's three requests (`/versions`, the preflight,
/// `auth_metadata`) pipelined on one connection, whatever each answers.
#[tokio::test]
async fn client_discovery_opens_one_connection_per_request_round() {
    let scenarios = delegcheck::lab::scenarios();
    // (scenario, federation's handshakes + the client side's)
    for (name, most) in [
        ("client-healthy", 2 + 3),
        ("client-preflight-refused", 2 + 3),
        ("client-identity-valid", 2 + 4),
    ] {
        let s = scenarios.iter().find(|s| s.name == name).unwrap();
        let lab = Lab::start(s, LabOptions::default()).await.unwrap();
        let net = Net::new(lab.config()).unwrap();
        let r = delegcheck::engine::check(&net, &s.server_name).await;
        let c = r.client.as_ref().expect("client discovery ran");
        let kinds: Vec<_> = c.steps.iter().map(|s| s.kind).collect();
        assert!(
            kinds.contains(&delegcheck::report::ClientStepKind::AuthMetadata),
            "{name}: every request was made: {kinds:?}"
        );
        assert!(
            lab.tls_handshakes() <= most,
            "{name}: {} TLS connections, {most} expected",
            lab.tls_handshakes()
        );
    }
}

/// Requests to the same address, port and TLS name share a connection whatever their `Host`
/// header; a response that closes the connection makes the next request open a new one.
#[tokio::test]
async fn a_session_keeps_its_connection_while_the_server_does() {
    let mut h = host("127.0.0.2:8448", &["example.test"], CertKind::Valid);
    h.routes = vec![delegcheck::lab::https::Route {
        path: "/bye".into(),
        status: 200,
        body: "{}".into(),
        repeat: None,
        bom: false,
        pad: 0,
        headers: vec![("connection".into(), "close".into())],
        prefix: false,
        method: None,
    }];
    let lab = Lab::start_parts(&[], &[h], LabOptions::default())
        .await
        .unwrap();
    let net = Net::new(lab.config()).unwrap();
    let deadline = Deadline::new(Duration::from_secs(3), T);
    let spec = |host: &str, path: &str| RequestSpec {
        dial_host: None,
        ip: "127.0.0.2".parse().unwrap(),
        port: 8448,
        tls_name: "example.test".into(),
        host_header: host.into(),
        path: path.into(),
        body_cap: 65536,
        plain_http: false,
        method: Default::default(),
        headers: Vec::new(),
    };
    let mut session = http::Session::default();
    let version = "/_matrix/federation/v1/version";
    for (host, path, status, handshakes) in [
        ("example.test", version, 200, 1),
        ("example.test", "/_matrix/key/v2/server", 200, 1),
        ("example.test:8448", version, 200, 1),
        ("example.test", "/bye", 200, 1),
        ("example.test", version, 200, 2),
    ] {
        let ex = session.exchange(&net, &spec(host, path), &deadline).await;
        assert_eq!(ex.result.unwrap().status, status, "{host} {path}");
        assert!(ex.connect.is_some() && ex.tls.is_some(), "{host} {path}");
        assert_eq!(lab.tls_handshakes(), handshakes, "{host} {path}");
    }
    // Another TLS name needs another connection.
    let mut other = spec("example.test", version);
    other.tls_name = "other.test".into();
    let ex = session.exchange(&net, &other, &deadline).await;
    assert!(ex.result.is_ok());
    assert_eq!(lab.tls_handshakes(), 3);
}

/// Pipelined requests: one connection, answered in order, in one round trip of the lab's
/// network delay (not one per request); the routing retry may follow on the same connection.
/// A host that never answers costs one step timeout for all of them.
#[tokio::test]
async fn a_pipeline_costs_one_connection_and_one_round_trip() {
    let rtt = Duration::from_millis(150);
    let hosts = vec![
        host("127.0.0.2:8448", &["example.test"], CertKind::Valid),
        HostSpec {
            response_delay_ms: 5_000,
            ..host("127.0.0.3:8448", &["example.test"], CertKind::Valid)
        },
    ];
    let lab = Lab::start_parts(
        &[],
        &hosts,
        LabOptions {
            rtt,
            ..LabOptions::default()
        },
    )
    .await
    .unwrap();
    let net = Net::new(lab.config()).unwrap();
    let deadline = Deadline::new(Duration::from_secs(30), Duration::from_secs(2));
    let spec = |ip: &str, host: &str, path: &str| RequestSpec {
        dial_host: None,
        ip: ip.parse().unwrap(),
        port: 8448,
        tls_name: "example.test".into(),
        host_header: host.into(),
        path: path.into(),
        body_cap: 65536,
        plain_http: false,
        method: Default::default(),
        headers: Vec::new(),
    };
    let version = "/_matrix/federation/v1/version";
    let keys = "/_matrix/key/v2/server";
    let specs = [
        spec("127.0.0.2", "example.test", version),
        spec("127.0.0.2", "example.test", keys),
        spec("127.0.0.2", "example.test:8448", version),
    ];
    let start = std::time::Instant::now();
    let (done, kept) = http::pipeline(&net, &specs, &deadline, None).await;
    let took = start.elapsed();
    assert_eq!(done.len(), 3);
    for ex in &done {
        let r = ex.result.as_ref().unwrap();
        assert_eq!(r.status, 200);
        assert!(ex.connect.is_some() && ex.tls.is_some());
    }
    assert!(
        String::from_utf8_lossy(&done[1].result.as_ref().unwrap().body).contains("verify_keys")
    );
    assert_eq!(lab.tls_handshakes(), 1);
    // The handshake's round trip and the requests' one; three would be four.
    assert!(took < rtt * 3, "{took:?}");
    let (again, _) = http::pipeline(&net, &specs[..1], &deadline, kept).await;
    assert_eq!(again[0].result.as_ref().unwrap().status, 200);
    assert_eq!(
        lab.tls_handshakes(),
        1,
        "the retry goes on the kept connection"
    );

    let hung = [
        spec("127.0.0.3", "example.test", version),
        spec("127.0.0.3", "example.test", keys),
    ];
    let start = std::time::Instant::now();
    let (done, kept) = http::pipeline(&net, &hung, &deadline, None).await;
    let took = start.elapsed();
    assert!(kept.is_none());
    for ex in &done {
        assert_eq!(
            ex.result.as_ref().unwrap_err(),
            &RequestFailure::ResponseTimeout
        );
    }
    assert!(
        took < Duration::from_millis(3_500),
        "one step timeout: {took:?}"
    );
}
