//! Property-based tests of everything that reads bytes from the network: the well-known
//! parser, the key judge, the version check, SRV ordering and the server-name grammar.
//!
//! Inputs are structured (generated JSON documents with random keys, values, duplicates,
//! escapes, whitespace and BOMs; random SRV record sets; valid and broken server names), not
//! only random bytes (tests/robustness.rs has fixed-seed byte soup). Each property says what
//! must hold, not only "no panic".
//!
//! Deterministic: a fixed seed and 256 cases per property, so `cargo test` is reproducible
//! and fast. A long run by hand:
//!
//! ```sh
//! DELEGCHECK_FUZZ_CASES=100000 cargo test --release --test fuzz
//! DELEGCHECK_FUZZ_SEED=12345 cargo test --test fuzz   # another seed
//! ```

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use delegcheck::checks::{self, keys};
use delegcheck::discovery::well_known::{self, JsonKind, WellKnownError};
use delegcheck::discovery::{self, Observations, keep_srv, order_srv};
use delegcheck::findings::Code;
use delegcheck::obs::{
    CertVerdict, Exchange, HttpResponse, RequestFailure, SrvRecord, TargetObs, TlsObs,
};
use delegcheck::report::{CheckName, CheckStatus, Report, Status};
use delegcheck::sanitize::clip;
use delegcheck::server_name::{Host, NameProblem, ServerName};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Value, json};

/// 256 cases from a fixed seed, unless `DELEGCHECK_FUZZ_CASES` / `DELEGCHECK_FUZZ_SEED` say
/// otherwise; no failure files are written.
fn config() -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: env("DELEGCHECK_FUZZ_CASES").map_or(256, |n| n as u32),
        rng_seed: RngSeed::Fixed(env("DELEGCHECK_FUZZ_SEED").unwrap_or(0x5eed_f022)),
        failure_persistence: None,
        ..Config::default()
    }
}

// ---- generators ---------------------------------------------------------------------------------

/// A valid dns-name: one to five labels, the last starting with a letter (so four numeric
/// labels never read as an IPv4 literal), sometimes with a trailing dot.
fn dns_name() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[a-zA-Z0-9-]{1,12}", 0..4),
        "[a-zA-Z][a-zA-Z0-9-]{0,12}",
        prop::bool::weighted(0.1),
    )
        .prop_map(|(mut labels, last, dot)| {
            labels.push(last);
            let mut s = labels.join(".");
            if dot {
                s.push('.');
            }
            s
        })
}

/// A valid server name as text, with the host and port it must parse to.
fn server_name() -> impl Strategy<Value = (String, Host, Option<u16>)> {
    let host = prop_oneof![
        4 => dns_name().prop_map(|d| (d.clone(), Host::Dns(d))),
        1 => any::<[u8; 4]>().prop_map(|o| {
            let a = Ipv4Addr::from(o);
            (a.to_string(), Host::V4(a))
        }),
        1 => (any::<u128>(), any::<bool>()).prop_map(|(b, expanded)| {
            let a = Ipv6Addr::from(b);
            let text = if expanded {
                // Every group written out, in lower or upper case.
                let groups: Vec<String> = a.segments().iter().map(|s| format!("{s:X}")).collect();
                groups.join(":")
            } else {
                a.to_string()
            };
            (format!("[{text}]"), Host::V6(a))
        }),
    ];
    (host, prop::option::of(1u16..=65535)).prop_map(|((text, host), port)| {
        let text = match port {
            Some(p) => format!("{text}:{p}"),
            None => text,
        };
        (text, host, port)
    })
}

/// Fragments that parsers trip over.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "m.server",
    "M.Server",
    "\"m.server\"",
    " ",
    "\n",
    "\\",
    "\\u",
    "\\ud800",
    "0",
    "443",
    "65536",
    "-1",
    "1e999",
    "null",
    "true",
    "example.org",
    "[::1]",
    "::",
    ".",
    "..",
    "/",
    "https://",
    "@",
    "\u{feff}",
    "\u{202e}",
    "\u{1b}[2J",
    "\0",
    "ü",
    "xn--",
    "%00",
    "\u{10ffff}",
];

/// Random text: arbitrary strings, printable ASCII, and soups of the fragments above.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        prop::collection::vec(prop::sample::select(TOKENS), 0..16).prop_map(|v| v.concat()),
        (
            server_name(),
            prop::collection::vec(prop::sample::select(TOKENS), 0..3),
            any::<prop::sample::Index>()
        )
            .prop_map(|((name, _, _), extra, at)| {
                let mut s = name;
                let at = at.index(s.len() + 1);
                let at = (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                s.insert_str(at, &extra.concat());
                s
            }),
    ]
}

/// A JSON value, as a tree whose serialisation the test controls.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn kind(&self) -> JsonKind {
        match self {
            J::Null => JsonKind::Null,
            J::Bool(_) => JsonKind::Boolean,
            J::Int(_) | J::Float(_) => JsonKind::Number,
            J::Str(_) => JsonKind::String,
            J::Arr(_) => JsonKind::Array,
            J::Obj(_) => JsonKind::Object,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            J::Null => Value::Null,
            J::Bool(b) => json!(b),
            J::Int(i) => json!(i),
            J::Float(f) => json!(f),
            J::Str(s) => json!(s),
            J::Arr(v) => Value::Array(v.iter().map(J::to_value).collect()),
            J::Obj(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_value())).collect()),
        }
    }
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z._]{1,10}",
        any::<String>(),
        Just("m.homeserver".to_owned()),
        Just("m.server ".to_owned()),
    ]
}

fn json_value() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::Int),
        (-1e300f64..1e300).prop_map(J::Float),
        any::<String>().prop_map(J::Str),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
            prop::collection::vec((key(), inner), 0..4).prop_map(J::Obj),
        ]
    })
}

/// How a document is written: whitespace between tokens, which characters of strings are
/// `\u`-escaped, upper- or lower-case hex. Cycles through its bytes.
#[derive(Debug, Clone)]
struct Style {
    bytes: Vec<u8>,
    at: usize,
}

impl Style {
    fn next(&mut self) -> u8 {
        let b = self.bytes[self.at % self.bytes.len()];
        self.at += 1;
        b
    }

    fn ws(&mut self, out: &mut String) {
        out.push_str(["", "", "", " ", "\n", "\t", "\r\n", "  "][self.next() as usize % 8]);
    }

    fn string(&mut self, s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            let escape = self.next().is_multiple_of(5);
            let upper = self.next().is_multiple_of(2);
            let hex = |u: u16| {
                if upper {
                    format!("\\u{u:04X}")
                } else {
                    format!("\\u{u:04x}")
                }
            };
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&hex(c as u16)),
                c if escape => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&hex(*u));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    fn write(&mut self, j: &J, out: &mut String) {
        match j {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => out.push_str(&i.to_string()),
            J::Float(f) => out.push_str(&serde_json::to_string(f).unwrap()),
            J::Str(s) => self.string(s, out),
            J::Arr(v) => {
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.ws(out);
                    self.write(x, out);
                    self.ws(out);
                }
                out.push(']');
            }
            J::Obj(m) => self.object(m, out),
        }
    }

    fn object(&mut self, m: &[(String, J)], out: &mut String) {
        out.push('{');
        self.ws(out);
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 {
                out.push(',');
                self.ws(out);
            }
            self.string(k, out);
            self.ws(out);
            out.push(':');
            self.ws(out);
            self.write(v, out);
            self.ws(out);
        }
        out.push('}');
    }

    /// A whole document, with whitespace around it.
    fn document(&mut self, m: &[(String, J)]) -> Vec<u8> {
        let mut out = String::new();
        self.ws(&mut out);
        self.object(m, &mut out);
        self.ws(&mut out);
        out.into_bytes()
    }
}

fn style() -> impl Strategy<Value = Style> {
    prop::collection::vec(any::<u8>(), 1..64).prop_map(|bytes| Style { bytes, at: 0 })
}

/// Members other than `m.server` (in any spelling of case), in order.
fn members() -> impl Strategy<Value = Vec<(String, J)>> {
    prop::collection::vec(
        (
            key().prop_filter("not m.server", |k| !k.eq_ignore_ascii_case("m.server")),
            json_value(),
        ),
        0..6,
    )
}

// ---- the well-known ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Any bytes: a verdict, never a panic, and the same reading of JSON as serde_json's.
    #[test]
    fn well_known_takes_any_bytes(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            text().prop_map(String::into_bytes),
            (members(), style()).prop_map(|(m, mut s)| s.document(&m)),
        ],
        status in prop_oneof![Just(200u16), Just(200), Just(204), Just(404), any::<u16>()],
        truncated in prop::bool::weighted(0.1),
    ) {
        let got = well_known::parse(status, &body, truncated);
        if status != 200 {
            prop_assert_eq!(got, Err(WellKnownError::Status(status)));
            return Ok(());
        }
        if truncated {
            prop_assert_eq!(got, Err(WellKnownError::TooLarge));
            return Ok(());
        }
        let unreadable = matches!(
            got,
            Err(WellKnownError::Bom | WellKnownError::NotJson { .. } | WellKnownError::TrailingData)
        );
        match serde_json::from_slice::<Value>(&body) {
            Err(_) => prop_assert!(unreadable, "{:?}", got),
            Ok(v) => {
                prop_assert!(!unreadable, "{:?}", got);
                prop_assert_eq!(matches!(got, Err(WellKnownError::NotObject(_))), !v.is_object());
                if let Ok(ok) = &got {
                    // serde_json keeps the last of duplicate keys too.
                    prop_assert_eq!(v["m.server"].as_str(), Some(ok.raw.as_str()));
                    prop_assert_eq!(ServerName::parse(&ok.raw), Ok(ok.server.clone()));
                }
            }
        }
    }

    /// A valid `{"m.server": X}`, however written (whitespace, escapes, other members before
    /// and after), delegates to exactly X.
    #[test]
    fn well_known_round_trips_a_valid_server_name(
        (raw, host, port) in server_name(),
        before in members(),
        after in members(),
        mut style in style(),
    ) {
        let mut m = before;
        m.push(("m.server".to_owned(), J::Str(raw.clone())));
        m.extend(after);
        let body = style.document(&m);
        let ok = well_known::parse(200, &body, false).map_err(|e| {
            TestCaseError::fail(format!("{e:?} for {}", String::from_utf8_lossy(&body)))
        })?;
        prop_assert_eq!(&ok.raw, &raw);
        prop_assert_eq!(&ok.server, &ServerName { host, port });
        prop_assert!(!ok.duplicate);
        // With a byte-order mark in front, the same file is rejected: homeservers do.
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(&body);
        prop_assert_eq!(well_known::parse(200, &bom, false), Err(WellKnownError::Bom));
    }

    /// `m.server` twice: flagged as a duplicate, and the last value is the one used.
    #[test]
    fn well_known_duplicates_take_the_last(
        (first, _, _) in server_name(),
        (last, host, port) in server_name(),
        a in members(),
        b in members(),
        c in members(),
        mut style in style(),
    ) {
        let mut m = a;
        m.push(("m.server".to_owned(), J::Str(first)));
        m.extend(b);
        m.push(("m.server".to_owned(), J::Str(last.clone())));
        m.extend(c);
        match well_known::parse(200, &style.document(&m), false) {
            Err(WellKnownError::Duplicate(ok)) => {
                prop_assert_eq!(&ok.raw, &last);
                prop_assert_eq!(&ok.server, &ServerName { host, port });
                prop_assert!(ok.duplicate);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// `m.server` of another JSON type, or missing (with a key that differs only in case,
    /// or the client file's key): each named as such.
    #[test]
    fn well_known_names_the_wrong_shape(
        value in json_value(),
        m in members(),
        case in "[mM]\\.[sS][eE][rR][vV][eE][rR]",
        with_case in any::<bool>(),
        at in any::<prop::sample::Index>(),
        mut style in style(),
    ) {
        let mut m = m;
        if !matches!(value, J::Str(_)) {
            let mut typed = m.clone();
            typed.insert(at.index(typed.len() + 1), ("m.server".to_owned(), value.clone()));
            prop_assert_eq!(
                well_known::parse(200, &style.document(&typed), false),
                Err(WellKnownError::NotString(value.kind()))
            );
        }
        if with_case && case != "m.server" {
            m.insert(at.index(m.len() + 1), (case, value));
        }
        let wrong_case = m.iter().find(|(k, _)| k.eq_ignore_ascii_case("m.server")).map(|(k, _)| k.clone());
        let client_file = m.iter().any(|(k, _)| k == "m.homeserver");
        prop_assert_eq!(
            well_known::parse(200, &style.document(&m), false),
            Err(WellKnownError::MissingServer { wrong_case, client_file })
        );
    }

    /// Anything but an object at the top: NotObject, with its kind.
    #[test]
    fn well_known_wants_an_object(
        value in json_value().prop_map(|j| match j {
            J::Obj(m) => J::Arr(m.into_iter().map(|(_, v)| v).collect()),
            other => other,
        }),
        mut style in style(),
    ) {
        let mut out = String::new();
        style.write(&value, &mut out);
        prop_assert_eq!(
            well_known::parse(200, out.as_bytes(), false),
            Err(WellKnownError::NotObject(value.kind()))
        );
    }
}

// ---- the key judge ----------------------------------------------------------------------------

const NOW_MS: i64 = 1_700_000_000_000;

/// A key response as a server signs it: `seeds.len()` ed25519 keys, extra members, a
/// `valid_until_ts` at `offset` ms from now; optionally tampered with after signing.
fn key_response(
    server: &str,
    seeds: &[[u8; 32]],
    offset: i64,
    extra: &[(String, J)],
    tamper: bool,
) -> (Value, BTreeSet<String>) {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let pairs: Vec<(String, Ed25519KeyPair)> = seeds
        .iter()
        .enumerate()
        .map(|(i, seed)| {
            let id = format!("ed25519:k{i}");
            (id, Ed25519KeyPair::from_seed_unchecked(seed).unwrap())
        })
        .collect();
    let mut v = json!({
        "server_name": server,
        "valid_until_ts": NOW_MS + offset,
        "old_verify_keys": {},
    });
    let verify: serde_json::Map<String, Value> = pairs
        .iter()
        .map(|(id, kp)| {
            (
                id.clone(),
                json!({"key": keys::b64_encode(kp.public_key().as_ref())}),
            )
        })
        .collect();
    v["verify_keys"] = Value::Object(verify);
    for (k, x) in extra {
        v[k.as_str()] = x.to_value();
    }
    let canonical = keys::canonical_json(&v);
    let sigs: serde_json::Map<String, Value> = pairs
        .iter()
        .map(|(id, kp)| {
            (
                id.clone(),
                json!(keys::b64_encode(kp.sign(canonical.as_bytes()).as_ref())),
            )
        })
        .collect();
    v["signatures"] = json!({ server: sigs });
    // Outside the signature by definition.
    v["unsigned"] = json!({"age_ts": 1});
    if tamper {
        v["tampered"] = json!(true);
    }
    (v, pairs.into_iter().map(|(id, _)| id).collect())
}

/// A value signed JSON may hold: the spec's canonical JSON has no floats (and serde_json,
/// without its `float_roundtrip` feature, may read a float back one unit off, which would
/// break a signature over it).
fn signable_value() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::Int),
        any::<String>().prop_map(J::Str),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
            prop::collection::vec((key(), inner), 0..4).prop_map(J::Obj),
        ]
    })
}

/// Extra members that are not the response's own fields.
fn extra_members() -> impl Strategy<Value = Vec<(String, J)>> {
    prop::collection::vec(
        (
            key().prop_filter("not a key-response field", |k| {
                ![
                    "server_name",
                    "verify_keys",
                    "old_verify_keys",
                    "valid_until_ts",
                    "signatures",
                    "unsigned",
                    "tampered",
                ]
                .contains(&k.as_str())
            }),
            signable_value(),
        ),
        0..4,
    )
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes: findings with messages, never a panic; a body that is not a JSON object is
    /// exactly one keys-failed.
    #[test]
    fn key_judge_takes_any_bytes(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            text().prop_map(String::into_bytes),
            json_value().prop_map(|j| serde_json::to_vec(&j.to_value()).unwrap()),
        ],
        expected in text(),
        now in 0i64..4_000_000_000_000,
    ) {
        let (info, problems) = keys::judge(&body, &expected, now);
        prop_assert!(problems.iter().all(|p| !p.message.is_empty()));
        let object = serde_json::from_slice::<Value>(&body).is_ok_and(|v| v.is_object());
        prop_assert_eq!(info.is_some(), object);
        if !object {
            let codes: Vec<Code> = problems.iter().map(|p| p.code).collect();
            prop_assert_eq!(codes, vec![Code::KeysFailed]);
        }
    }

    /// A signed response: the verdict is exactly what was built (whose name, which keys
    /// verify, how long it is valid), and it does not depend on how the JSON is written.
    #[test]
    fn key_judge_verdict_is_what_was_signed(
        server in dns_name(),
        other in prop::option::of(dns_name()),
        seeds in prop::collection::vec(any::<[u8; 32]>(), 1..4),
        offset in prop_oneof![
            -10_000_000_000i64..=0,
            1i64..3_600_000,
            3_600_000i64..100_000_000_000,
        ],
        extra in extra_members(),
        tamper in prop::bool::weighted(0.25),
    ) {
        let (v, ids) = key_response(&server, &seeds, offset, &extra, tamper);
        let expected = other.unwrap_or_else(|| server.clone());
        let compact = serde_json::to_vec(&v).unwrap();
        let (info, problems) = keys::judge(&compact, &expected, NOW_MS);
        let info = info.expect("an object");

        let mut want: Vec<Code> = Vec::new();
        if expected != server {
            want.push(Code::KeysServerNameMismatch);
        }
        if tamper {
            want.extend(ids.iter().map(|_| Code::KeysBadSignature));
        }
        if offset <= 0 {
            want.push(Code::KeysExpired);
        } else if offset < 3_600_000 {
            want.push(Code::KeysExpiring);
        }
        let mut got: Vec<Code> = problems.iter().map(|p| p.code).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
        prop_assert_eq!(info.server_name.as_deref(), Some(server.as_str()));
        prop_assert_eq!(info.key_ids.iter().cloned().collect::<BTreeSet<_>>(), ids.clone());
        let verified: BTreeSet<String> = info.verified_key_ids.iter().cloned().collect();
        prop_assert_eq!(verified, if tamper { BTreeSet::new() } else { ids });

        // Pretty-printed, the same verdict (signatures cover canonical JSON, not bytes).
        let pretty = serde_json::to_vec_pretty(&v).unwrap();
        let (info2, problems2) = keys::judge(&pretty, &expected, NOW_MS);
        prop_assert_eq!(format!("{problems:?}"), format!("{problems2:?}"));
        prop_assert_eq!(serde_json::to_value(Some(&info)).unwrap(), serde_json::to_value(&info2).unwrap());
    }
}

// ---- the version check ------------------------------------------------------------------------

/// Judges a target whose `/version` answered `status` with `body` (the other endpoints
/// failed), through the public judge; returns the target's report.
fn judge_version(status: u16, body: Vec<u8>) -> delegcheck::report::TargetReport {
    let name = ServerName::parse("127.0.0.1:8448").unwrap();
    let obs = Observations::default();
    let res = discovery::resolve(&name, &obs)
        .resolution
        .expect("an IP literal resolves at once");
    let target = res.targets[0].clone();
    let exchange = |result: Result<HttpResponse, RequestFailure>| Exchange {
        ip: target.ip,
        port: target.port,
        connect: Some(Duration::ZERO),
        tls: Some(TlsObs {
            version: Some("TLSv1_3".into()),
            cipher_suite: None,
            alpn: None,
            chain: vec![],
            verdict: Some(CertVerdict::Valid),
            expected_name: target.tls_server_name.clone(),
            duration: Duration::ZERO,
        }),
        result,
    };
    let failed = || {
        Err(RequestFailure::Http(
            delegcheck::obs::HttpFailure::ClosedBeforeResponse,
        ))
    };
    let probed = [TargetObs {
        target: target.clone(),
        version: exchange(Ok(HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            truncated: false,
            duration: Duration::ZERO,
        })),
        keys: exchange(failed()),
        routing: exchange(failed()),
        host_port: None,
        routing_by_hostname: None,
    }];
    let mut report = Report {
        schema_version: String::new(),
        checked_at: String::new(),
        tool_version: String::new(),
        server_name: name.to_string(),
        ok: false,
        status: Status::Error,
        discovery: Default::default(),
        targets: vec![],
        findings: vec![],
        compatibility: vec![],
        families: Default::default(),
        timings: Default::default(),
        changes: vec![],
        web_servers: vec![],
        fixes: vec![],
        client: None,
    };
    checks::judge_all(
        &mut report,
        &name,
        &obs,
        &res,
        &checks::Probed {
            targets: &probed,
            fallback: &[],
            port_443: &[],
            expiry: Default::default(),
        },
    );
    report.targets.remove(0)
}

fn terminal_safe(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

proptest! {
    #![proptest_config(config())]

    /// Any answer: a verdict, never a panic. The check passes exactly when the answer is a
    /// 200 whose JSON has a `server` member, and only then is server software reported; the
    /// detail is safe to print.
    #[test]
    fn version_check_takes_any_answer(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            text().prop_map(String::into_bytes),
            (members(), style()).prop_map(|(m, mut s)| s.document(&m)),
            (json_value(), members(), style()).prop_map(|(server, mut m, mut s)| {
                m.push(("server".into(), server));
                s.document(&m)
            }),
        ],
        status in prop_oneof![Just(200u16), Just(200), any::<u16>()],
    ) {
        let t = judge_version(status, body.clone());
        let check = t.checks.iter().find(|c| c.name == CheckName::Version).expect("a version check");
        let homeserver = status == 200
            && serde_json::from_slice::<Value>(&body).is_ok_and(|v| v.get("server").is_some());
        prop_assert_eq!(check.status == CheckStatus::Pass, homeserver, "{:?}", check);
        prop_assert_eq!(t.server.is_some(), homeserver);
        prop_assert!(terminal_safe(&check.detail), "{:?}", check.detail);
    }

    /// `{"server": {"name": N, "version": V}}`, however written: N and V are reported (clipped
    /// to 80 characters), and the check passes.
    #[test]
    fn version_check_reports_the_software(
        software_name in any::<String>(),
        version in any::<String>(),
        before in members(),
        after in members(),
        mut style in style(),
    ) {
        let mut m = before;
        m.retain(|(k, _)| k != "server");
        let mut after = after;
        after.retain(|(k, _)| k != "server");
        m.push((
            "server".into(),
            J::Obj(vec![
                ("name".into(), J::Str(software_name.clone())),
                ("version".into(), J::Str(version.clone())),
            ]),
        ));
        m.extend(after);
        let t = judge_version(200, style.document(&m));
        let check = t.checks.iter().find(|c| c.name == CheckName::Version).unwrap();
        prop_assert_eq!(check.status, CheckStatus::Pass);
        let software = t.server.expect("server software");
        prop_assert_eq!(software.name, Some(clip(&software_name, 80)));
        prop_assert_eq!(software.version, Some(clip(&version, 80)));        prop_assert!(terminal_safe(&check.detail), "{:?}", check.detail);
    }
}

// ---- SRV ordering -----------------------------------------------------------------------------

/// SRV records with few distinct priorities and weights (so ties happen), some `.` targets;
/// each port is its index, so every record can be told apart.
fn srv_records() -> impl Strategy<Value = Vec<SrvRecord>> {
    prop::collection::vec(
        (
            prop_oneof![0u16..4, any::<u16>()],
            prop_oneof![0u16..3, any::<u16>()],
            prop_oneof![4 => "[a-c]\\.example\\.org", 1 => Just(".".to_owned())],
        ),
        0..80,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (priority, weight, target))| SrvRecord {
                priority,
                weight,
                port: i as u16,
                target,
            })
            .collect()
    })
}

/// Where a record sorts: priority ascending, weight descending.
fn rank(r: &SrvRecord) -> (u16, std::cmp::Reverse<u16>) {
    (r.priority, std::cmp::Reverse(r.weight))
}

proptest! {
    #![proptest_config(config())]

    /// RFC 2782 order: by priority, then by weight (heaviest first), then answer order; no
    /// `.` targets; every other record exactly once.
    #[test]
    fn srv_order_is_rfc_2782(records in srv_records()) {
        let ordered = order_srv(&records);
        prop_assert!(ordered.iter().all(|r| r.target != "."));
        for w in ordered.windows(2) {
            prop_assert!(rank(&w[0]) <= rank(&w[1]), "{:?} before {:?}", w[0], w[1]);
            if rank(&w[0]) == rank(&w[1]) {
                prop_assert!(w[0].port < w[1].port, "ties keep answer order");
            }
        }
        let mut want: Vec<u16> = records.iter().filter(|r| r.target != ".").map(|r| r.port).collect();
        let mut got: Vec<u16> = ordered.iter().map(|r| r.port).collect();
        want.sort_unstable();
        got.sort_unstable();
        prop_assert_eq!(got, want);
    }

    /// What a long answer keeps: the records servers try first and the answer's first, in
    /// answer order; nothing left out sorts before anything kept.
    #[test]
    fn srv_keep_keeps_what_servers_try_first(records in srv_records(), max in 0usize..40) {
        let (kept, omitted) = keep_srv(&records, max);
        prop_assert_eq!(kept.len() + omitted, records.len());
        prop_assert!(kept.len() <= max + 1);
        prop_assert!(kept.len() >= max.min(records.len()));
        // A subsequence of the answer, starting with its first record.
        prop_assert!(kept.windows(2).all(|w| w[0].port < w[1].port));
        prop_assert_eq!(kept.first(), records.first());
        let kept_ports: BTreeSet<u16> = kept.iter().map(|r| r.port).collect();
        let key = |r: &SrvRecord| (rank(r), r.port);
        // Every record left out sorts after every record kept, except perhaps the answer's
        // first, which is kept for its place alone.
        for o in records.iter().filter(|r| !kept_ports.contains(&r.port)) {
            for k in kept.iter().filter(|k| k.port != 0) {
                prop_assert!(key(k) < key(o), "{:?} left out, {:?} kept", o, k);
            }
        }
        // So the records servers try first are never cut (`.` records may take some of the
        // places)…
        let all = order_srv(&records);
        let dots = records.iter().filter(|r| r.target == ".").count();
        for r in all.iter().take(max.saturating_sub(dots)) {
            prop_assert!(kept_ports.contains(&r.port), "{:?} cut", r);
        }
        // …and ordering what was kept agrees with ordering everything.
        let expected: Vec<SrvRecord> = all.into_iter().filter(|r| kept_ports.contains(&r.port)).collect();
        prop_assert_eq!(order_srv(&kept), expected);
    }
}

// ---- the server-name grammar ------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// A generated valid name parses to exactly its parts, and prints back as a name that
    /// parses the same.
    #[test]
    fn server_name_round_trips((text, host, port) in server_name()) {
        let n = ServerName::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(&n, &ServerName { host, port });
        prop_assert_eq!(ServerName::parse(&n.to_string()), Ok(n));
    }

    /// Any string: a name or a typed error, never a panic. A name prints back as itself
    /// (up to IPv6 and port spelling); a suggestion, when made, is itself a valid name.
    #[test]
    fn server_name_takes_any_string(s in text()) {
        match ServerName::parse(&s) {
            Ok(n) => {
                prop_assert!(s.is_ascii() && !s.contains(char::is_whitespace));
                prop_assert_eq!(ServerName::parse(&n.to_string()), Ok(n));
            }
            Err(e) => {
                prop_assert!(!e.detail.is_empty());
                if let Some(suggestion) = &e.suggestion {
                    prop_assert!(ServerName::parse(suggestion).is_ok(), "{:?} suggests {:?}", s, suggestion);
                }
            }
        }
    }

    /// The usual ways of pasting a name wrongly are named, and the name is suggested back.
    #[test]
    fn server_name_mistakes_suggest_the_name((text, _, _) in server_name(), local in "[a-z0-9._=-]{1,12}") {
        for (wrong, problem) in [
            (format!("https://{text}/"), NameProblem::Scheme),
            (format!("{text}/"), NameProblem::Path),
            (format!(" {text}\n"), NameProblem::Whitespace),
            (format!("@{local}:{text}"), NameProblem::UserId),
        ] {
            let e = ServerName::parse(&wrong).expect_err(&wrong);
            prop_assert_eq!(e.problem, problem, "{}", wrong);
            prop_assert_eq!(e.suggestion.as_deref(), Some(text.as_str()), "{}", wrong);
        }
    }
}

/// The literal forms the round trip must hold for, written out.
#[test]
fn literal_forms() {
    let v6 = ServerName::parse("[0:0:0:0:0:0:0:1]:8448").unwrap();
    assert_eq!(v6.host, Host::V6(Ipv6Addr::LOCALHOST));
    assert_eq!(v6.to_string(), "[::1]:8448");
    assert_eq!(
        ServerName::parse("192.0.2.1").unwrap().host.ip(),
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
    );
}

/// A fetch that ended in a response (status, headers, body), for client discovery.
fn client_fetch(url: &str, status: u16, cors: bool, body: Vec<u8>) -> delegcheck::obs::Fetch {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let headers = if cors {
        vec![("access-control-allow-origin".to_owned(), "*".to_owned())]
    } else {
        vec![]
    };
    delegcheck::obs::Fetch {
        ip,
        hops: vec![],
        last: Exchange {
            ip,
            port: 443,
            connect: Some(Duration::ZERO),
            tls: None,
            result: Ok(HttpResponse {
                status,
                headers,
                body,
                truncated: false,
                duration: Duration::ZERO,
            }),
        },
        stop: None,
        insecure: None,
        url: url.to_owned(),
        duration: Duration::from_millis(5),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any client well-known (bytes, JSON documents, `m.homeserver.base_url` of any text),
    /// with or without CORS: a state, never a panic; a web client never gets further than a
    /// native one, never without `Access-Control-Allow-Origin`, and SUCCESS always comes with
    /// an http(s) base URL whose `/versions` the planner asked for.
    #[test]
    fn client_discovery_takes_any_well_known(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            (members(), style()).prop_map(|(m, mut s)| s.document(&m)),
            text().prop_map(|t| json!({"m.homeserver": {"base_url": t}}).to_string().into_bytes()),
            text().prop_map(|t| {
                let mut b = b"\xEF\xBB\xBF".to_vec();
                b.extend(json!({"m.homeserver": {"base_url": format!("https://{t}")}}).to_string().bytes());
                b
            }),
        ],
        status in prop_oneof![Just(200u16), Just(200), Just(404), any::<u16>()],
        cors in any::<bool>(),
    ) {
        use delegcheck::discovery::client::{self as c, ClientObs, ClientRequest, View};
        use delegcheck::report::ClientState::*;
        let mut obs = ClientObs::default();
        let wk = c::well_known_url("example.test");
        obs.fetches.insert(ClientRequest::WellKnown, client_fetch(&wk, status, cors, body));
        let probes = c::next_probes("example.test", &obs);
        if let Some(v) = probes.iter().find(|p| p.request == ClientRequest::Versions) {
            let versions = br#"{"versions": ["v1.12"]}"#.to_vec();
            obs.fetches.insert(ClientRequest::Versions, client_fetch(&v.url, 200, true, versions));
        }
        let native = c::homeserver(&obs, View::Native);
        let web = c::homeserver(&obs, View::Web);
        if web.state == Some(Success) {
            prop_assert_eq!(native.state, Some(Success));
        }
        if !cors {
            prop_assert_ne!(web.state, Some(Success));
        }
        if native.state == Some(Success) {
            let base = native.base_url.clone().unwrap_or_default();
            prop_assert!(base.starts_with("http://") || base.starts_with("https://"), "{}", base);
            let versions = format!("{base}/_matrix/client/versions");
            prop_assert!(probes.iter().any(|p| p.url == versions), "{:?}", probes);
        }
        if status == 404 {
            prop_assert_eq!(native.state, Some(Prompt));
        }
    }
}
