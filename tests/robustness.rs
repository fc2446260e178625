//! Hostile input: whatever bytes the network sends, the parsers return a value or an error
//! (never a panic), and nothing from the network reaches a terminal unescaped.
//!
//! The "fuzzing" here is deterministic (a fixed-seed generator, so `cargo test` stays
//! reproducible): random bytes, JSON-ish token soup, and mutations of valid inputs.

use delegcheck::discovery::well_known;
use delegcheck::lab::{self, LabOptions};
use delegcheck::render::{self, Palette};
use delegcheck::server_name::ServerName;

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

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
    "m.homeserver",
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
    "*",
    "%00",
    "\u{10ffff}",
];

fn inputs(seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut r = Rng(seed);
    let valid: &[&[u8]] = &[
        br#"{"m.server": "matrix.example.org:443"}"#,
        br#"{"m.server": "[2001:db8::1]:8448", "x": [1, {"y": null}]}"#,
        b"matrix.example.org:8448",
    ];
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let v = match i % 3 {
            0 => (0..r.below(200)).map(|_| r.next() as u8).collect(),
            1 => (0..r.below(30))
                .flat_map(|_| TOKENS[r.below(TOKENS.len())].bytes())
                .collect(),
            _ => {
                let mut v = valid[r.below(valid.len())].to_vec();
                for _ in 0..1 + r.below(4) {
                    let at = r.below(v.len() + 1);
                    match r.below(3) {
                        0 if at < v.len() => v[at] = r.next() as u8,
                        1 if at < v.len() => {
                            v.remove(at);
                        }
                        _ => v.insert(at, r.next() as u8),
                    }
                }
                v
            }
        };
        out.push(v);
    }
    out
}

fn assert_terminal_safe(s: &str, what: &str) {
    for c in s.chars() {
        assert!(
            c == '\n'
                || !(c.is_control()
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)),
            "{what}: raw {c:?} would reach the terminal"
        );
    }
}

#[test]
fn the_well_known_parser_takes_any_bytes() {
    let mut accepted = 0;
    for body in inputs(0x5eed_0001, 30_000) {
        for status in [200, 204, 404] {
            if well_known::parse(status, &body, false).is_ok() {
                accepted += 1;
            }
        }
        let _ = well_known::parse(200, &body, true);
    }
    // Some mutations stay valid (a changed letter in the host); most do not.
    assert!(accepted > 0 && accepted < 30_000, "{accepted}");
}

#[test]
fn the_server_name_grammar_takes_any_string() {
    let mut valid = 0;
    for bytes in inputs(0x5eed_0002, 30_000) {
        let s = String::from_utf8_lossy(&bytes);
        if let Ok(n) = ServerName::parse(&s) {
            valid += 1;
            // A valid name prints back as something that parses to the same name.
            let again = ServerName::parse(&n.to_string()).expect("round trip");
            assert_eq!(again.to_string(), n.to_string());
        }
    }
    assert!(valid > 0);
}

#[test]
fn the_key_judge_takes_any_bytes() {
    for body in inputs(0x5eed_0003, 20_000) {
        let (_, problems) =
            delegcheck::checks::keys::judge(&body, "example.org", 1_700_000_000_000);
        for p in problems {
            assert!(!p.message.is_empty());
        }
    }
}

#[test]
fn escaping_leaves_nothing_dangerous() {
    for bytes in inputs(0x5eed_0004, 20_000) {
        let s = String::from_utf8_lossy(&bytes);
        assert_terminal_safe(&delegcheck::sanitize::escape(&s), "escape");
        assert_terminal_safe(&delegcheck::sanitize::excerpt(&bytes, 60), "excerpt");
    }
}

#[tokio::test]
async fn hostile_network_text_is_escaped_in_every_text_format() {
    for name in ["hostile-strings", "tls-garbage"] {
        let s = lab::scenarios()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap();
        let r = lab::run(&s, LabOptions::default(), |_| {}).await.unwrap();
        let json = serde_json::to_string(&r).unwrap();
        if name == "hostile-strings" {
            assert!(
                json.contains("\\u001b[2J"),
                "the JSON keeps what was seen, escaped: {json}"
            );
        }
        assert_terminal_safe(&render::human::report(&r, &Palette::plain()), "human");
        let (nagios, _) = render::nagios::render(std::slice::from_ref(&r));
        assert_terminal_safe(&nagios, "nagios");
        assert_terminal_safe(
            &render::prometheus::render(std::slice::from_ref(&r), 0),
            "prometheus",
        );
        assert_terminal_safe(&render::jsonl(&r), "jsonl");
    }
}

#[tokio::test]
async fn hostile_server_names_are_escaped_too() {
    let config = delegcheck::Config {
        resolver: Some("127.0.0.1:9".parse().unwrap()),
        loopback_only: true,
        ..Default::default()
    };
    for name in [
        "\u{1b}[2Jexample.org",
        "exa\u{202e}mple.org",
        "example.org\r\nInjected: yes",
    ] {
        let r = delegcheck::check(name, &config).await.unwrap();
        assert!(!r.ok);
        assert!(
            r.discovery.steps.is_empty(),
            "an invalid name makes no lookup"
        );
        assert_terminal_safe(&render::human::report(&r, &Palette::plain()), name);
        assert_terminal_safe(
            &render::human::summary(std::slice::from_ref(&r), &Palette::plain()),
            name,
        );
        let (nagios, _) = render::nagios::render(std::slice::from_ref(&r));
        assert_terminal_safe(&nagios, name);
        assert_terminal_safe(
            &render::prometheus::render(std::slice::from_ref(&r), 0),
            name,
        );
    }
}
