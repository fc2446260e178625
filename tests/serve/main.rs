//! `delegcheck serve` end to end: the real server on loopback, checking lab scenarios
//! through the same engine as the command line.

mod fixture;
mod http;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use delegcheck::lab::{self, Lab, LabOptions, Scenario};
use delegcheck::net::Config;
use delegcheck::serve::{self, Running, ServeOptions};
use serde_json::Value;

use http::{Response, get, get_from, request};

fn scenario(name: &str) -> Scenario {
    lab::scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

/// Test options: quiet, no rate limit unless a test sets one.
fn quiet() -> ServeOptions {
    ServeOptions {
        rate_per_minute: 0,
        access_log: false,
        ..ServeOptions::default()
    }
}

/// A lab for `s` and a server checking through it: public addresses only, as `serve`
/// is by default (the lab plays public hosts on loopback and 192.0.2.0/24, the way the
/// command line's lab does).
async fn serve_scenario(s: &Scenario, opts: ServeOptions) -> (Lab, Running) {
    let lab = Lab::start(s, LabOptions::default()).await.expect("lab");
    let mut config = lab.scenario_config(s).expect("config");
    config.public_only = true;
    let server = start(opts, config).await;
    (lab, server)
}

async fn start(opts: ServeOptions, config: Config) -> Running {
    serve::start("127.0.0.1:0".parse().unwrap(), opts, config)
        .await
        .expect("server starts")
}

fn json(r: &Response) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// The healthy and broken scenarios the compatibility API is held to, with what the tester's
/// per-address checks must say where delegcheck saw the reason.
const TESTER_SCENARIOS: &[&str] = &[
    "well-known-port-443",
    "srv-delegation",
    "direct-8448",
    "explicit-port",
    "ip-literal",
    "legacy-srv-only",
    "well-known-is-html",
    "srv-cert-for-target",
    "expired-certificate",
    "proxy-not-routing",
    "keys-wrong-server",
    "keys-bad-signature",
    "keys-expired",
    "tls-self-signed",
    "nxdomain",
    "srv-servfail",
    "version-html",
    "user-id-pasted",
    "hostile-strings",
];

#[tokio::test]
async fn tester_api_has_the_testers_fields_and_delegchecks_verdict() {
    let tree = fixture::load();
    for name in TESTER_SCENARIOS {
        let s = scenario(name);
        let (_lab, server) = serve_scenario(&s, quiet()).await;
        let q = format!("server_name={}", urlencode(&s.server_name));
        let tester = get(server.addr, &format!("/api/report?{q}")).await;
        assert_eq!(tester.status, 200, "{name}: {}", tester.body);
        assert_eq!(tester.header("content-type"), Some("application/json"));
        assert_eq!(tester.header("access-control-allow-origin"), Some("*"));
        assert!(!tester.body.ends_with('\n'), "{name}: no trailing newline");
        let errors = fixture::conformance(&tree, &tester.body);
        assert!(errors.is_empty(), "{name}: {errors:#?}\n{}", tester.body);
        let t = json(&tester);
        // The same check, from the cache: the native report says the verdict.
        let native = json(&get(server.addr, &format!("/api/v1/report?{q}")).await);
        let ok = native["ok"].as_bool().unwrap();
        assert_eq!(ok, s.expect.ok, "{name}: the scenario's verdict");
        assert_eq!(t["FederationOK"], Value::Bool(ok), "{name}");
        let good = get(server.addr, &format!("/api/federation-ok?{q}")).await;
        assert_eq!(good.status, 200);
        assert_eq!(good.header("content-type"), Some("text/plain"));
        assert_eq!(good.body, if ok { "GOOD" } else { "BAD" }, "{name}");
        tester_details(name, &t, &native);
        server.shutdown().await.unwrap();
    }
}

/// What the tester's fields say for particular scenarios.
fn tester_details(name: &str, t: &Value, native: &Value) {
    let reports = t["ConnectionReports"].as_object().unwrap();
    let only = || {
        assert_eq!(reports.len(), 1, "{name}: {t:#}");
        reports.values().next().unwrap()
    };
    match name {
        "well-known-port-443" => {
            assert_eq!(t["WellKnownResult"]["m.server"], "matrix.example.test:443");
            assert_eq!(t["DNSResult"]["SRVSkipped"], true);
            let c = only();
            assert_eq!(c["Checks"]["AllChecksOK"], true);
            assert_eq!(c["Cipher"]["Version"], "TLS 1.3");
            assert_eq!(
                c["Certificates"][0]["SubjectCommonName"],
                "matrix.example.test"
            );
            let fp = c["Certificates"][0]["SHA256Fingerprint"].as_str().unwrap();
            assert_eq!(fp.len(), 43, "unpadded base64 of a SHA-256");
            assert_eq!(c["Keys"]["server_name"], "example.test");
            let key_ids: Vec<_> = c["Ed25519VerifyKeys"].as_object().unwrap().keys().collect();
            assert_eq!(key_ids.len(), 1);
            assert_eq!(t["Version"]["name"], native["targets"][0]["server"]["name"]);
        }
        "srv-delegation" => {
            assert_eq!(t["WellKnownResult"]["result"], "No .well-known found");
            assert_eq!(t["DNSResult"]["SRVCName"], "_matrix-fed._tcp.example.test.");
            assert_eq!(
                t["DNSResult"]["SRVRecords"][0]["Target"],
                "matrix.example.test."
            );
            assert_eq!(t["DNSResult"]["SRVRecords"][0]["Port"], 8448);
            let host = &t["DNSResult"]["Hosts"]["matrix.example.test."];
            assert_eq!(host["Addrs"][0], "127.0.0.3", "{t:#}");
        }
        "expired-certificate" | "tls-self-signed" => {
            let c = only();
            assert_eq!(c["Checks"]["ValidCertificates"], false, "{name}");
            assert_eq!(c["Checks"]["AllChecksOK"], false, "{name}");
            assert_eq!(c["Errors"].as_array().unwrap().len(), 1, "{name}");
        }
        "keys-wrong-server" => {
            assert_eq!(only()["Checks"]["MatchingServerName"], false);
        }
        "keys-bad-signature" => {
            let c = only();
            let checks = c["Checks"]["Ed25519Checks"].as_object().unwrap();
            assert!(
                checks.values().all(|k| k["MatchingSignature"] == false),
                "{c:#}"
            );
            assert_eq!(c["Checks"]["AllEd25519ChecksOK"], false);
            assert_eq!(c["Ed25519VerifyKeys"], Value::Null);
        }
        "keys-expired" => assert_eq!(only()["Checks"]["FutureValidUntilTS"], false),
        "proxy-not-routing" => {
            assert!(
                !t["ConnectionErrors"].as_object().unwrap().is_empty(),
                "{t:#}"
            );
            assert!(t["Version"]["error"].is_string(), "{t:#}");
        }
        // The keys answer; only the version endpoint does not.
        "version-html" => {
            assert!(t["Version"]["error"].is_string(), "{t:#}");
            assert_eq!(t["Version"].get("name"), None, "{t:#}");
        }
        "nxdomain" => {
            assert_eq!(t["DNSResult"]["Addrs"], Value::Null);
            assert!(reports.is_empty());
        }
        "user-id-pasted" => {
            assert!(
                t["Error"]
                    .as_str()
                    .unwrap()
                    .starts_with("Invalid server name")
            );
            assert_eq!(t["DNSResult"]["Hosts"], Value::Null);
        }
        _ => {}
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn tester_api_answers_bad_requests_as_the_tester_does() {
    let (_lab, server) = serve_scenario(&scenario("well-known-port-443"), quiet()).await;
    for path in ["/api/report", "/api/federation-ok"] {
        let r = get(server.addr, path).await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (400, "Missing server_name parameter")
        );
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        let r = get(server.addr, &format!("{path}?server_name=")).await;
        assert_eq!(r.status, 400);
        let r = request(server.addr, "POST", &format!("{path}?server_name=a"), "").await;
        assert_eq!((r.status, r.body.as_str()), (405, "Unsupported method"));
        let r = request(server.addr, "OPTIONS", path, "").await;
        assert_eq!((r.status, r.body.as_str()), (200, ""));
        assert_eq!(
            r.header("access-control-allow-methods"),
            Some("GET, POST, PUT, DELETE, OPTIONS")
        );
    }
    let long = "a".repeat(400);
    let r = get(server.addr, &format!("/api/v1/report?server_name={long}")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let big = "x".repeat(4096);
    let r = request(server.addr, "GET", "/api/v1/report?server_name=a", &big).await;
    assert_eq!(r.status, 413, "a request body past the limit");
    server.shutdown().await.unwrap();
}

/// One refusal class of public-only mode: the scenario, and the address refused.
struct Refusal {
    scenario: Scenario,
    refused: &'static str,
}

fn refusal(name: &str, dns: &[&str], well_known: Option<&str>, server_name: &str) -> Scenario {
    let mut s = scenario("well-known-port-443");
    s.name = name.into();
    s.server_name = server_name.into();
    s.dns = dns.iter().map(|l| l.to_string()).collect();
    s.hosts.truncate(1);
    s.hosts[0].well_known = well_known.map(str::to_owned);
    s
}

fn refusal_classes() -> Vec<Refusal> {
    let delegate = Some(r#"{"m.server": "matrix.example.test:443"}"#);
    let dns = |addr: &'static str| -> Vec<String> {
        let kind = if addr.contains(':') { "AAAA" } else { "A" };
        vec![
            "example.test A 127.0.0.2".into(),
            format!("matrix.example.test {kind} {addr}"),
        ]
    };
    let from_dns = |addr: &'static str, class: &str| {
        let lines = dns(addr);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        Refusal {
            scenario: refusal(class, &lines, delegate, "example.test"),
            refused: addr,
        }
    };
    vec![
        from_dns("10.20.30.40", "dns-rfc1918"),
        from_dns("192.168.1.20", "dns-rfc1918-192"),
        from_dns("100.64.1.2", "dns-cgnat"),
        from_dns("fd00::40", "dns-unique-local"),
        from_dns("198.51.100.7", "dns-documentation"),
        Refusal {
            scenario: refusal("ip-literal", &[], None, "10.20.30.40:8448"),
            refused: "10.20.30.40",
        },
        Refusal {
            scenario: refusal(
                "well-known-ip-literal",
                &["example.test A 127.0.0.2"],
                Some(r#"{"m.server": "172.16.5.5:8448"}"#),
                "example.test",
            ),
            refused: "172.16.5.5",
        },
    ]
}

#[tokio::test]
async fn public_only_refuses_every_class_of_non_public_address_with_a_reason() {
    for Refusal {
        scenario: s,
        refused,
    } in refusal_classes()
    {
        let (_lab, server) = serve_scenario(&s, quiet()).await;
        let q = format!("server_name={}", urlencode(&s.server_name));
        let native = json(&get(server.addr, &format!("/api/v1/report?{q}")).await);
        let name = &s.name;
        assert_eq!(native["ok"], false, "{name}");
        let targets = native["targets"].as_array().unwrap();
        let t = targets
            .iter()
            .find(|t| t["address"].as_str().unwrap().contains(refused))
            .unwrap_or_else(|| panic!("{name}: no target {refused}: {native:#}"));
        let why = t["not_checked"].as_str().unwrap_or_default();
        assert!(why.contains("public-only refuses"), "{name}: {t:#}");
        // The tester's API says the same, as a connection error.
        let tester = json(&get(server.addr, &format!("/api/report?{q}")).await);
        let errors = tester["ConnectionErrors"].as_object().unwrap();
        assert!(
            errors
                .values()
                .any(|e| e["Message"].as_str().unwrap().contains("public-only")),
            "{name}: {tester:#}"
        );
        server.shutdown().await.unwrap();
        // With --allow-private the address is dialled (the lab's loopback guard then stops
        // it: the refusal above was public-only's, not the lab's).
        let lab = Lab::start(&s, LabOptions::default()).await.unwrap();
        let server = start(quiet(), lab.scenario_config(&s).unwrap()).await;
        let native = json(&get(server.addr, &format!("/api/v1/report?{q}")).await);
        let t = native["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["address"].as_str().unwrap().contains(refused))
            .unwrap()
            .clone();
        assert!(
            !t["not_checked"]
                .as_str()
                .unwrap_or_default()
                .contains("public-only"),
            "{name} with --allow-private: {t:#}"
        );
        server.shutdown().await.unwrap();
    }
}

/// Link-local (cloud metadata) addresses are never dialled, in either mode.
#[tokio::test]
async fn a_metadata_address_is_never_dialled_whatever_the_mode() {
    let s = scenario("dns-metadata-address");
    for public_only in [true, false] {
        let lab = Lab::start(&s, LabOptions::default()).await.unwrap();
        let mut config = lab.scenario_config(&s).unwrap();
        config.public_only = public_only;
        let server = start(quiet(), config).await;
        let native = json(&get(server.addr, "/api/v1/report?server_name=example.org").await);
        assert_eq!(native["ok"], false);
        let text = native.to_string();
        assert!(
            text.contains("not dialled"),
            "public_only {public_only}: {native:#}"
        );
        let tester = json(&get(server.addr, "/api/report?server_name=example.org").await);
        let errors = tester["ConnectionErrors"].as_object().unwrap();
        assert!(errors.contains_key("169.254.169.254:443"), "{tester:#}");
        server.shutdown().await.unwrap();
    }
}

/// Outside the lab (which plays public hosts on loopback), public-only refuses loopback too:
/// IP literals need no DNS, and the refusal comes before any connection.
#[tokio::test]
async fn public_only_refuses_loopback_outside_the_lab() {
    let config = Config {
        public_only: true,
        timeout: Duration::from_secs(3),
        step_timeout: Duration::from_secs(1),
        ..Config::default()
    };
    let server = start(quiet(), config).await;
    for name in ["127.0.0.1:8448", "[::1]:8448", "127.0.0.1"] {
        let q = format!("server_name={}", urlencode(name));
        let native = json(&get(server.addr, &format!("/api/v1/report?{q}")).await);
        assert_eq!(native["ok"], false, "{name}");
        let t = &native["targets"][0];
        let why = t["not_checked"].as_str().unwrap_or_default();
        assert!(why.contains("public-only refuses"), "{name}: {native:#}");
        let bad = get(server.addr, &format!("/api/federation-ok?{q}")).await;
        assert_eq!(bad.body, "BAD", "{name}");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn public_only_does_not_follow_a_redirect_to_a_private_address() {
    let s = scenario("well-known-redirect-internal");
    let (_lab, server) = serve_scenario(&s, quiet()).await;
    let native = json(&get(server.addr, "/api/v1/report?server_name=example.test").await);
    let text = native.to_string();
    assert!(text.contains("10.1.2.3"), "{native:#}");
    assert!(
        native["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "well-known-unreachable"),
        "{native:#}"
    );
    assert!(native["discovery"]["delegated_server"].is_null());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_per_client() {
    let opts = ServeOptions {
        rate_per_minute: 2,
        ..quiet()
    };
    let (_lab, server) = serve_scenario(&scenario("well-known-port-443"), opts).await;
    let path = "/api/federation-ok?server_name=example.test";
    let me: IpAddr = "127.0.0.1".parse().unwrap();
    for _ in 0..2 {
        assert_eq!(get_from(server.addr, me, path).await.status, 200);
    }
    let r = get_from(server.addr, me, path).await;
    assert_eq!(r.status, 429, "{}", r.body);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "Retry-After {wait}");
    // Another client (another loopback source address) is not held back.
    let other: IpAddr = "127.0.0.9".parse().unwrap();
    assert_eq!(get_from(server.addr, other, path).await.status, 200);
    // Pages and metrics are not rate-limited.
    assert_eq!(get_from(server.addr, me, "/").await.status, 200);
    let m = get_from(server.addr, me, "/metrics").await.body;
    assert!(
        m.contains("delegcheck_serve_refused_total{reason=\"rate_limited\"} 1"),
        "{m}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_cache_serves_repeats_and_its_bypass_is_rate_limited() {
    let opts = ServeOptions {
        refresh_per_minute: 1,
        ..quiet()
    };
    let (lab, server) = serve_scenario(&scenario("well-known-port-443"), opts).await;
    let path = "/api/v1/report?server_name=example.test";
    let first = get(server.addr, path).await;
    assert_eq!(first.header("x-delegcheck-source"), Some("fresh"));
    let handshakes = lab.tls_handshakes();
    let again = get(server.addr, path).await;
    assert_eq!(again.header("x-delegcheck-source"), Some("cached"));
    assert_eq!(again.body, first.body, "the same report");
    assert_eq!(lab.tls_handshakes(), handshakes, "no new check");
    let fresh = get(server.addr, &format!("{path}&refresh=1")).await;
    assert_eq!(fresh.header("x-delegcheck-source"), Some("fresh"));
    assert!(lab.tls_handshakes() > handshakes, "a new check");
    let refused = get(server.addr, &format!("{path}&refresh=1")).await;
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
    server.shutdown().await.unwrap();
}

/// A scenario whose check takes a while: its DNS answers are delayed.
fn slow(name: &str, ms: u64) -> Scenario {
    let mut s = scenario(name);
    s.dns.push(format!("example.test DELAY {ms}"));
    s
}

#[tokio::test]
async fn identical_concurrent_requests_share_one_check() {
    let opts = ServeOptions {
        max_checks: 1,
        ..quiet()
    };
    let (lab, server) = serve_scenario(&slow("well-known-port-443", 400), opts).await;
    let addr = server.addr;
    let requests = (0..6).map(|i| {
        let path = if i % 2 == 0 {
            "/api/report?server_name=example.test"
        } else {
            "/api/v1/report?server_name=example.test"
        };
        tokio::spawn(async move { get(addr, path).await })
    });
    let mut sources = vec![];
    for r in futures_util::future::join_all(requests).await {
        let r = r.unwrap();
        assert_eq!(r.status, 200, "one slot, yet nobody is refused: {}", r.body);
        sources.push(r.header("x-delegcheck-source").unwrap().to_owned());
    }
    sources.sort();
    let fresh = sources.iter().filter(|s| *s == "fresh").count();
    assert_eq!(fresh, 1, "{sources:?}");
    assert!(
        sources.iter().all(|s| s == "fresh" || s == "shared"),
        "{sources:?}"
    );
    let m = get(addr, "/metrics").await.body;
    assert!(
        m.contains("delegcheck_serve_results_total{source=\"fresh\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("delegcheck_serve_results_total{source=\"shared\"} 5"),
        "{m}"
    );
    // One check: the one target's handshakes, not six times as many.
    let one = lab.tls_handshakes();
    let (_lab2, solo) = serve_scenario(&scenario("well-known-port-443"), quiet()).await;
    get(solo.addr, "/api/v1/report?server_name=example.test").await;
    assert_eq!(one, _lab2.tls_handshakes(), "six requests cost one check");
    solo.shutdown().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn past_the_cap_on_checks_in_flight_requests_get_429_at_once() {
    let opts = ServeOptions {
        max_checks: 1,
        ..quiet()
    };
    let (_lab, server) = serve_scenario(&slow("well-known-port-443", 600), opts).await;
    let addr = server.addr;
    let first =
        tokio::spawn(async move { get(addr, "/api/v1/report?server_name=example.test").await });
    wait_for_in_flight(addr, 1).await;
    // Another name needs another check: refused, not queued.
    let r = get(addr, "/api/v1/report?server_name=other.test").await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    assert_eq!(first.await.unwrap().status, 200);
    let m = get(addr, "/metrics").await.body;
    assert!(
        m.contains("delegcheck_serve_refused_total{reason=\"busy\"} 1"),
        "{m}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn past_the_cap_on_requests_in_progress_requests_get_503_at_once() {
    let opts = ServeOptions {
        max_requests: 1,
        ..quiet()
    };
    let (_lab, server) = serve_scenario(&slow("well-known-port-443", 600), opts).await;
    let addr = server.addr;
    let first =
        tokio::spawn(async move { get(addr, "/api/v1/report?server_name=example.test").await });
    // The one slot is taken while the check runs: even a page is shed, not queued.
    let mut shed = None;
    for _ in 0..200 {
        let r = get(addr, "/").await;
        if r.status == 503 {
            shed = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let shed = shed.expect("a request past the cap is refused with 503");
    assert_eq!(shed.header("retry-after"), Some("1"));
    assert_eq!(first.await.unwrap().status, 200);
    assert_eq!(get(addr, "/").await.status, 200, "the slot is free again");
    server.shutdown().await.unwrap();
}

async fn wait_for_in_flight(addr: SocketAddr, n: usize) {
    let line = format!("delegcheck_serve_checks_in_flight {n}");
    for _ in 0..200 {
        if get(addr, "/metrics").await.body.lines().any(|l| l == line) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("never {n} checks in flight");
}

#[tokio::test]
async fn shutdown_lets_checks_in_flight_finish_and_takes_no_new_requests() {
    let (_lab, mut server) = serve_scenario(&slow("well-known-port-443", 500), quiet()).await;
    let addr = server.addr;
    let in_flight =
        tokio::spawn(async move { get(addr, "/api/v1/report?server_name=example.test").await });
    wait_for_in_flight(addr, 1).await;
    server.begin_shutdown();
    let r = in_flight.await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["ok"], true, "the check finished, with its verdict");
    assert_eq!(server.stopped().await.unwrap(), serve::Drained::Complete);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections after shutdown"
    );
}

/// The binary itself: SIGTERM stops it taking connections, the check in flight still gets its
/// answer, and it exits 0.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_drains_the_binary_and_exits_cleanly() {
    use std::io::BufRead;
    let s = slow("well-known-port-443", 500);
    let lab = Lab::start(&s, LabOptions::default()).await.unwrap();
    let ca = std::env::temp_dir().join(format!("delegcheck-serve-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, &lab.ca_pem).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_delegcheck"))
        .args(lab.cli_args(&ca))
        .args(["serve", "--allow-private", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr: SocketAddr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("where it listens: {first}"));
    let in_flight =
        tokio::spawn(async move { get(addr, "/api/federation-ok?server_name=example.test").await });
    wait_for_in_flight(addr, 1).await;
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signalling the child this test started, by its pid.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let r = in_flight.await.unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, "GOOD"));
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = stderr.lines().map_while(Result::ok).collect();
    assert!(
        rest.iter()
            .any(|l| l.contains("\"GET /api/federation-ok?server_name=example.test\" 200")),
        "{rest:?}"
    );
    assert_eq!(
        rest.last().map(String::as_str),
        Some("delegcheck serve: stopped")
    );
    let _ = std::fs::remove_file(&ca);
}

#[test]
fn the_command_line_of_serve_says_what_is_wrong() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_delegcheck"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["serve", "--listen", &port]);
    assert_eq!(out.status.code(), Some(3), "cannot run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot listen on {port}")), "{err}");
    let out = run(&["--public-only", "serve", "--allow-private"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("contradict"));
    let out = run(&[
        "serve",
        "--real-ip-header",
        "bad header",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an HTTP header name"));
}

/// A client that never finishes its request cannot hold shutdown up past the drain's time
/// (the request deadline: `--timeout` and 5 s).
#[tokio::test]
async fn a_client_that_never_finishes_its_request_cannot_hold_up_shutdown() {
    use tokio::io::AsyncWriteExt;
    let s = scenario("well-known-port-443");
    let lab = Lab::start(&s, LabOptions::default()).await.unwrap();
    let mut config = lab.scenario_config(&s).unwrap();
    config.timeout = Duration::from_millis(500);
    let mut server = start(quiet(), config).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /api/v1/report?server_name=example.test HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.begin_shutdown();
    // Without the drain's bound this never returns: hyper waits for the request to finish.
    assert_eq!(server.stopped().await.unwrap(), serve::Drained::CutShort);
    drop(slow);
}

/// A client that trickles (or never sends) a request's head is disconnected after the
/// header timeout, so idle connections cannot pile up; a client that sends its request in
/// time is answered on the same server.
#[tokio::test]
async fn a_client_that_never_finishes_its_head_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let opts = ServeOptions {
        header_timeout: Duration::from_millis(300),
        ..quiet()
    };
    let (_lab, server) = serve_scenario(&scenario("well-known-port-443"), opts).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /api/v1/report?server_name=example.test HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    // A bound for the test only: without the header timeout the read never ends.
    let read = tokio::time::timeout(Duration::from_secs(20), slow.read_to_end(&mut rest)).await;
    let ended = read.expect("the server closed the connection");
    // Closed (an EOF or a reset), with no response to the request that never ended.
    assert!(
        ended.is_err() || !String::from_utf8_lossy(&rest).contains("200 OK"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
    // A prompt client still gets its answer.
    assert_eq!(
        get(server.addr, "/api/federation-ok?server_name=example.test")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn probe_and_metrics_are_prometheus_expositions() {
    let (_lab, server) = serve_scenario(&scenario("expired-certificate"), quiet()).await;
    let r = get(server.addr, "/probe?target=example.test").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    for line in [
        "delegcheck_probe_success{server_name=\"example.test\"} 1",
        "delegcheck_federation_ok{server_name=\"example.test\"} 0",
    ] {
        assert!(r.body.lines().any(|l| l == line), "{line}:\n{}", r.body);
    }
    assert!(r.body.contains("\ndelegcheck_probe_duration_seconds "));
    assert_eq!(
        get(server.addr, "/probe").await.body,
        "Missing target parameter"
    );
    let m = get(server.addr, "/metrics").await.body;
    assert!(
        m.contains("delegcheck_serve_requests_total{route=\"/probe\",code=\"200\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("delegcheck_serve_check_duration_seconds_count 1"),
        "{m}"
    );
    for text in [&r.body, &m] {
        if let Some(problems) = promtool_check_metrics(text) {
            assert!(problems.is_empty(), "promtool: {problems}\n{text}");
        }
    }
    server.shutdown().await.unwrap();
}

/// `promtool check metrics` on `text`: its complaints, or `None` when promtool is missing on
/// a developer machine (said loudly; under CI=true that fails).
fn promtool_check_metrics(text: &str) -> Option<String> {
    use std::io::Write;
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "promtool is required under CI=true"
        );
        eprintln!("SKIPPED: promtool is not installed; the expositions were not linted");
        return None;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    // promtool's lint complaints come with a success status too: any output is a problem.
    Some(if out.status.success() && said.trim().is_empty() {
        String::new()
    } else {
        said
    })
}

#[tokio::test]
async fn the_page_is_self_contained_under_a_strict_policy() {
    let (_lab, server) = serve_scenario(&scenario("well-known-port-443"), quiet()).await;
    let page = get(server.addr, "/").await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(
        !page.body.contains("http://") && !page.body.contains("https://"),
        "no external resources"
    );
    assert!(page.body.contains("<label for=\"server_name\">"));
    for asset in ["/app.js", "/app.css", "/favicon.svg"] {
        let r = get(server.addr, asset).await;
        assert_eq!(r.status, 200, "{asset}");
        assert!(
            !r.body.contains("https://"),
            "{asset}: no external resources"
        );
    }
    assert!(!get(server.addr, "/app.js").await.body.contains("innerHTML"));
    server.shutdown().await.unwrap();
}

mod browser;
mod readme;
