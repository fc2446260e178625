//! `--trace` and `--show-certs`: every exchange of a check on stderr, in the order it began,
//! with the content a support thread needs, and nothing that can act on a terminal.

use assert_cmd::Command;

fn trace_of(args: &[&str]) -> (String, String) {
    let mut c = Command::cargo_bin("delegcheck").unwrap();
    c.env("LC_ALL", "C.UTF-8").env_remove("CLICOLOR_FORCE");
    let o = c.args(args).output().unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The position of `needle` in `hay` after `from`, or a failure that shows the trace.
fn after(hay: &str, from: usize, needle: &str) -> usize {
    match hay[from..].find(needle) {
        Some(i) => from + i,
        None => panic!("`{needle}` not found after byte {from} of the trace:\n{hay}"),
    }
}

#[test]
fn trace_shows_each_exchange_in_the_order_it_happened() {
    let (stdout, trace) = trace_of(&["--demo", "synapse-serves-well-known", "--trace"]);
    // The report is on stdout as without --trace; the trace only on stderr.
    assert!(stdout.contains("example.test"), "{stdout}");
    assert!(!stdout.contains("dns  ?"), "{stdout}");
    assert!(trace.starts_with("Trace: "), "{trace}");
    // The well-known: its host's address lookup, the connection, the handshake, the
    // request with the headers sent, the response with its headers and body...
    let mut at = after(&trace, 0, "dns  ? example.test. A");
    at = after(&trace, at, "= example.test. A: NOERROR, 1 record");
    at = after(&trace, at, "example.test. 60 A 127.0.0.2");
    at = after(&trace, at, "tcp  127.0.0.2:443 (example.test)");
    at = after(&trace, at, "connected");
    at = after(
        &trace,
        at,
        "tls  127.0.0.2:443 (example.test) SNI example.test: TLSv1.",
    );
    at = after(
        &trace,
        at,
        "#0 subject CN=example.test (names: example.test",
    );
    at = after(&trace, at, "> GET /.well-known/matrix/server HTTP/1.1");
    at = after(&trace, at, "> host: example.test");
    at = after(&trace, at, "< 200");
    at = after(&trace, at, "< content-type: application/json");
    at = after(
        &trace,
        at,
        r#"< body (39 bytes): {"m.server": "matrix.example.test:443"}"#,
    );
    // ...then the delegated host it names, and the federation requests sent there.
    at = after(&trace, at, "dns  ? matrix.example.test. A");
    at = after(&trace, at, "tcp  127.0.0.2:443 (matrix.example.test)");
    at = after(&trace, at, "SNI matrix.example.test");
    at = after(&trace, at, "> GET /_matrix/federation/v1/version HTTP/1.1");
    at = after(&trace, at, "> host: matrix.example.test:443");
    after(
        &trace,
        at,
        r#"< body (70 bytes): {"server":{"name":"LabServer""#,
    );
    // The SRV lookups with their answers, which happen alongside.
    assert!(trace.contains("dns  ? _matrix-fed._tcp.example.test. SRV"));
    assert!(trace.contains("= _matrix-fed._tcp.example.test. SRV: NXDOMAIN"));
    // Times rise line by line.
    let times: Vec<f64> = trace
        .lines()
        .filter_map(|l| l.trim_start().split_once("ms ")?.0.parse().ok())
        .collect();
    assert!(times.len() > 10, "{trace}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // No PEM without --show-certs.
    assert!(!trace.contains("BEGIN CERTIFICATE"));
}

#[test]
fn show_certs_adds_each_chain_as_pem() {
    let (_, trace) = trace_of(&["--demo", "synapse-serves-well-known", "--show-certs"]);
    let pems = trace.matches("-----BEGIN CERTIFICATE-----").count();
    assert_eq!(pems, trace.matches("-----END CERTIFICATE-----").count());
    // Leaf and intermediate, for each of the two connections.
    assert!(pems >= 4, "{pems} certificates in:\n{trace}");
}

#[test]
fn trace_of_hostile_strings_is_terminal_safe() {
    let (stdout, trace) = trace_of(&["--demo", "hostile-strings", "--trace"]);
    for text in [&stdout, &trace] {
        for c in text.chars() {
            let dangerous = (c.is_control() && c != '\n')
                || matches!(c as u32, 0x202a..=0x202e | 0x2066..=0x2069);
            assert!(
                !dangerous,
                "U+{:04X} reached the terminal:\n{text}",
                c as u32
            );
        }
    }
    // The hostile bytes are there, escaped, where they were received.
    assert!(trace.contains(r"< body ("), "{trace}");
    assert!(trace.contains(r"\u{1b}[2J"), "{trace}");
    assert!(
        trace.contains(r"< content-type: text/html; charset=\u{202e}utf-8"),
        "{trace}"
    );
}

#[test]
fn no_trace_without_the_flag() {
    let (_, stderr) = trace_of(&["--demo", "synapse-serves-well-known"]);
    assert!(!stderr.contains("Trace:"), "{stderr}");
}
