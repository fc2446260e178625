//! `--trace`: every exchange of a check as it happened, for a support thread. The probes
//! record what they send and receive here (DNS questions and answers with TTLs, each TCP
//! connect, each TLS handshake, each HTTP request and response); [`Tracer::render`] writes
//! them out in the order they happened, with the time since the check started. Everything
//! that came from the network is capped and escaped before it reaches a terminal.
//!
//! A [`Tracer`] that is off (the default) records nothing and costs one branch per probe.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sanitize::{clip, escape, excerpt};

/// Most body bytes a trace shows of one response.
const BODY_SHOWN: usize = 600;
/// Most events one trace keeps (a hostile server cannot grow it without bound).
const MAX_EVENTS: usize = 5000;

/// What happened, in the words of the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A DNS question was sent.
    DnsQuery {
        /// The name asked.
        name: String,
        /// `A`, `AAAA`, `SRV`.
        rtype: &'static str,
    },
    /// Its answer: the status and each record as `name TTL TYPE value`.
    DnsAnswer {
        /// The name asked.
        name: String,
        /// `A`, `AAAA`, `SRV`.
        rtype: &'static str,
        /// `NOERROR`, `NXDOMAIN`, `timed out`, …
        status: String,
        /// The records, in answer order.
        records: Vec<String>,
        /// How long it took.
        took: Duration,
    },
    /// A TCP connection attempt and how it ended.
    Connect {
        /// `127.0.0.1:8448 (matrix.example.org)`.
        place: String,
        /// Where the connection really went, when `--connect-to` moved it.
        routed: Option<String>,
        /// `None` when it connected, else why not.
        failure: Option<String>,
        /// How long it took.
        took: Duration,
    },
    /// A TLS handshake and what it settled.
    Tls {
        /// Where.
        place: String,
        /// The SNI sent (`None` for an IP address: no SNI).
        sni: Option<String>,
        /// Version, cipher suite, ALPN (when the handshake got that far).
        version: Option<String>,
        /// The cipher suite.
        cipher: Option<String>,
        /// The protocol ALPN settled on.
        alpn: Option<String>,
        /// The certificates the server sent, leaf first (DER).
        chain: Vec<Vec<u8>>,
        /// `None` when the handshake completed, else why not.
        failure: Option<String>,
        /// How long it took.
        took: Duration,
    },
    /// An HTTP request as sent: request line, then headers.
    Request {
        /// Where.
        place: String,
        /// `GET /.well-known/matrix/server HTTP/1.1`.
        line: String,
        /// The headers sent.
        headers: Vec<(String, String)>,
    },
    /// An HTTP response as received: status, headers, the start of the body.
    Response {
        /// Where.
        place: String,
        /// The status code.
        status: u16,
        /// The headers received (as kept: capped).
        headers: Vec<(String, String)>,
        /// The body as read (capped by the request's own cap).
        body: Vec<u8>,
        /// Whether the body was cut at the cap.
        truncated: bool,
        /// From the request to the end of the body.
        took: Duration,
    },
    /// A request that got no response, and why.
    NoResponse {
        /// Where.
        place: String,
        /// Why.
        failure: String,
    },
}

/// Records the events of the checks it is given to; cheap to clone (all clones share one
/// record). `Tracer::default()` is off.
#[derive(Clone, Default)]
pub struct Tracer(Option<Arc<Inner>>);

struct Inner {
    start: Instant,
    show_certs: bool,
    events: Mutex<Vec<(Duration, Event)>>,
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_on() {
            "Tracer(on)"
        } else {
            "Tracer(off)"
        })
    }
}

impl Tracer {
    /// A tracer that records from now on; `show_certs` adds each certificate chain as PEM.
    pub fn on(show_certs: bool) -> Tracer {
        Tracer(Some(Arc::new(Inner {
            start: Instant::now(),
            show_certs,
            events: Mutex::new(Vec::new()),
        })))
    }

    /// Whether anything is recorded.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Records an event that happened now.
    pub fn record(&self, event: impl FnOnce() -> Event) {
        self.record_at(Instant::now(), event);
    }

    /// Records an event that happened at `at` (a request is recorded when its response is
    /// in, at the time it was sent).
    pub fn record_at(&self, at: Instant, event: impl FnOnce() -> Event) {
        let Some(inner) = &self.0 else { return };
        let since = at.saturating_duration_since(inner.start);
        let mut events = inner.events.lock().unwrap_or_else(|p| p.into_inner());
        if events.len() < MAX_EVENTS {
            events.push((since, event()));
        }
    }

    /// The events so far, in the order they happened.
    pub fn events(&self) -> Vec<(Duration, Event)> {
        let Some(inner) = &self.0 else {
            return Vec::new();
        };
        let mut events = inner
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // Stable: events recorded at the same instant keep the order they were recorded in.
        events.sort_by_key(|(t, _)| *t);
        events
    }

    /// The trace as text, one block per event, in the order they happened; terminal-safe
    /// (`ascii` writes arrows as `>`/`<` only, which is all it uses anyway).
    pub fn render(&self) -> String {
        let show_certs = self.0.as_ref().is_some_and(|i| i.show_certs);
        let events = self.events();
        if events.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "Trace: every exchange in the order it began; times since the check started\n",
        );
        if events.len() >= MAX_EVENTS {
            out.push_str(&format!(
                "(trace: only the first {MAX_EVENTS} events were kept)\n"
            ));
        }
        for (at, e) in &events {
            render_event(&mut out, *at, e, show_certs);
        }
        out
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// One event: a first line with the time and the layer, then indented detail lines.
fn render_event(out: &mut String, at: Duration, e: &Event, show_certs: bool) {
    let stamp = format!("{:>9.1}ms", at.as_secs_f64() * 1000.0);
    let mut line = |tag: &str, text: &str| {
        out.push_str(&format!("{stamp} {tag:<4} {text}\n"));
    };
    let detail = |out: &mut String, text: &str| out.push_str(&format!("{:16}{text}\n", ""));
    match e {
        Event::DnsQuery { name, rtype } => line("dns", &format!("? {} {rtype}", escape(name))),
        Event::DnsAnswer {
            name,
            rtype,
            status,
            records,
            took,
        } => {
            let count = match records.len() {
                0 => String::new(),
                1 => ", 1 record".to_owned(),
                n => format!(", {n} records"),
            };
            line(
                "dns",
                &format!(
                    "= {} {rtype}: {}{count} ({})",
                    escape(name),
                    escape(status),
                    ms(*took)
                ),
            );
            for r in records {
                detail(out, &escape(r));
            }
        }
        Event::Connect {
            place,
            routed,
            failure,
            took,
        } => {
            let via = routed
                .as_ref()
                .map(|r| format!(" via {r} (--connect-to)"))
                .unwrap_or_default();
            let what = match failure {
                None => format!("connected ({})", ms(*took)),
                Some(f) => format!("failed: {} ({})", escape(f), ms(*took)),
            };
            line("tcp", &format!("{}{via} {what}", escape(place)));
        }
        Event::Tls { .. } => render_tls(out, &stamp, e, show_certs),
        Event::Request {
            place,
            line: request_line,
            headers,
        } => {
            line(
                "http",
                &format!("{} > {}", escape(place), escape(request_line)),
            );
            for (n, v) in headers {
                detail(out, &format!("> {}: {}", escape(n), escape(v)));
            }
        }
        Event::Response {
            place,
            status,
            headers,
            body,
            truncated,
            took,
        } => {
            line(
                "http",
                &format!("{} < {status} ({})", escape(place), ms(*took)),
            );
            for (n, v) in headers {
                detail(out, &format!("< {}: {}", escape(n), escape(v)));
            }
            if !body.is_empty() {
                let more = if *truncated || body.len() > BODY_SHOWN {
                    ", cut"
                } else {
                    ""
                };
                detail(
                    out,
                    &format!(
                        "< body ({} bytes{more}): {}",
                        body.len(),
                        excerpt(body, BODY_SHOWN)
                    ),
                );
            }
        }
        Event::NoResponse { place, failure } => line(
            "http",
            &format!("{} < no response: {}", escape(place), escape(failure)),
        ),
    }
}

fn render_tls(out: &mut String, stamp: &str, e: &Event, show_certs: bool) {
    let Event::Tls {
        place,
        sni,
        version,
        cipher,
        alpn,
        chain,
        failure,
        took,
    } = e
    else {
        return;
    };
    let sni = match sni {
        Some(s) => format!("SNI {}", escape(s)),
        None => "no SNI (IP address)".to_owned(),
    };
    let what = match failure {
        Some(f) => format!("handshake failed: {}", escape(f)),
        None => [version, cipher, alpn]
            .iter()
            .map(|v| v.as_deref().map(escape).unwrap_or_else(|| "-".into()))
            .collect::<Vec<_>>()
            .join(", "),
    };
    out.push_str(&format!(
        "{stamp} tls  {} {sni}: {what} ({})\n",
        escape(place),
        ms(*took)
    ));
    for (i, der) in chain.iter().enumerate() {
        out.push_str(&format!("{:16}#{i} {}\n", "", cert_line(der)));
        if show_certs {
            out.push_str(&pem(der));
        }
    }
}

/// Subject, issuer and expiry of a certificate, for one line.
fn cert_line(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, c)) => format!(
            "subject {}{}; issuer {}; valid until {}",
            clip(&escape(&c.subject().to_string()), 200),
            names(&c),
            clip(&escape(&c.issuer().to_string()), 200),
            c.validity()
                .not_after
                .to_rfc2822()
                .unwrap_or_else(|_| "?".into())
        ),
        Err(_) => format!("{} bytes, not a parsable certificate", der.len()),
    }
}

/// The DNS names and addresses a certificate's subjectAltName lists (at most 8 shown).
fn names(c: &x509_parser::certificate::X509Certificate<'_>) -> String {
    use x509_parser::extensions::GeneralName;
    let Ok(Some(san)) = c.subject_alternative_name() else {
        return String::new();
    };
    let all: Vec<String> = san
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(escape(d)),
            GeneralName::IPAddress(b) => match b.len() {
                4 => <[u8; 4]>::try_from(*b)
                    .ok()
                    .map(|a| std::net::IpAddr::from(a).to_string()),
                16 => <[u8; 16]>::try_from(*b)
                    .ok()
                    .map(|a| std::net::IpAddr::from(a).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let more = all.len().saturating_sub(8);
    let mut shown = all.into_iter().take(8).collect::<Vec<_>>().join(", ");
    if more > 0 {
        shown.push_str(&format!(" and {more} more"));
    }
    format!(" (names: {shown})")
}

/// A certificate as PEM (base64 only: nothing in it can act on a terminal).
fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_records_nothing() {
        let t = Tracer::default();
        t.record(|| panic!("an off tracer must not build events"));
        assert!(t.events().is_empty());
        assert_eq!(t.render(), "");
    }

    #[test]
    fn events_come_out_in_the_order_they_happened() {
        let t = Tracer::on(false);
        let early = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        t.record(|| Event::NoResponse {
            place: "b".into(),
            failure: "x".into(),
        });
        t.record_at(early, || Event::Request {
            place: "a".into(),
            line: "GET / HTTP/1.1".into(),
            headers: vec![],
        });
        let text = t.render();
        let a = text.find("a > GET").unwrap();
        let b = text.find("b < no response").unwrap();
        assert!(a < b, "{text}");
    }

    #[test]
    fn network_text_is_escaped() {
        let t = Tracer::on(false);
        t.record(|| Event::Response {
            place: "127.0.0.1:443 (x)".into(),
            status: 200,
            headers: vec![("server".into(), "evil\x1b[31m\u{202e}".into())],
            body: b"{\"a\":\"\x1b]0;pwned\x07\"}".to_vec(),
            truncated: false,
            took: Duration::from_millis(1),
        });
        // Failure texts carry network bytes too (a plain-HTTP status line in a TLS failure).
        t.record(|| Event::NoResponse {
            place: "p".into(),
            failure: "port speaks HTTP: HTTP/1.1 400 \x1b]0;PWNED\x07".into(),
        });
        t.record(|| Event::Tls {
            place: "p".into(),
            sni: None,
            version: None,
            cipher: None,
            alpn: None,
            chain: vec![],
            failure: Some("HTTP/1.1 400 \x1b[31mRED".into()),
            took: Duration::ZERO,
        });
        t.record(|| Event::DnsAnswer {
            name: "n".into(),
            rtype: "A",
            status: "odd \x1b[2J".into(),
            records: vec![],
            took: Duration::ZERO,
        });
        let text = t.render();
        assert!(!text.contains('\x1b') && !text.contains('\u{202e}') && !text.contains('\x07'));
        assert!(text.contains("< server: evil\\u{1b}[31m"), "{text}");
        assert!(
            text.contains("handshake failed: HTTP/1.1 400 \\u{1b}[31mRED"),
            "{text}"
        );
    }

    #[test]
    fn pem_is_wrapped_at_64() {
        let p = pem(&[0u8; 100]);
        assert!(p.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(p.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
    }
}
