//! `--trace` as text: one block per exchange, in the order they began, with the time since
//! the check started. Everything that came from the network is capped and escaped before it
//! reaches a terminal.

use std::time::Duration;

use crate::obs::TraceEvent as Event;
use crate::sanitize::{clip, escape, excerpt};

/// Most body bytes a trace shows of one response.
const BODY_SHOWN: usize = 600;

/// The trace as text (empty without events); `capped` says the recorder stopped keeping
/// events at `cap`; `show_certs` adds each certificate chain as PEM.
pub fn text(events: &[(Duration, Event)], capped: Option<usize>, show_certs: bool) -> String {
    if events.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "Trace: every exchange in the order it began; times since the check started\n",
    );
    if let Some(cap) = capped {
        out.push_str(&format!("(trace: only the first {cap} events were kept)\n"));
    }
    for (at, e) in events {
        render_event(&mut out, *at, e, show_certs);
    }
    out
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
    fn nothing_recorded_is_no_text() {
        assert_eq!(text(&[], None, false), "");
    }

    #[test]
    fn events_are_written_in_the_order_given_with_their_times() {
        let events = vec![
            (
                Duration::from_micros(1500),
                Event::Request {
                    place: "a".into(),
                    line: "GET / HTTP/1.1".into(),
                    headers: vec![("host".into(), "a".into())],
                },
            ),
            (
                Duration::from_millis(3),
                Event::NoResponse {
                    place: "b".into(),
                    failure: "x".into(),
                },
            ),
        ];
        let t = text(&events, Some(5000), false);
        assert!(t.starts_with("Trace: "), "{t}");
        assert!(t.contains("only the first 5000 events"), "{t}");
        let a = t.find("      1.5ms http a > GET / HTTP/1.1").unwrap();
        let h = t.find("> host: a").unwrap();
        let b = t.find("      3.0ms http b < no response: x").unwrap();
        assert!(a < h && h < b, "{t}");
    }

    #[test]
    fn network_text_is_escaped() {
        let mut events = Vec::new();
        let mut record = |e: Event| events.push((Duration::ZERO, e));
        record(Event::Response {
            place: "127.0.0.1:443 (x)".into(),
            status: 200,
            headers: vec![("server".into(), "evil\x1b[31m\u{202e}".into())],
            body: b"{\"a\":\"\x1b]0;pwned\x07\"}".to_vec(),
            truncated: false,
            took: Duration::from_millis(1),
        });
        // Failure texts carry network bytes too (a plain-HTTP status line in a TLS failure).
        record(Event::NoResponse {
            place: "p".into(),
            failure: "port speaks HTTP: HTTP/1.1 400 \x1b]0;PWNED\x07".into(),
        });
        record(Event::Tls {
            place: "p".into(),
            sni: None,
            version: None,
            cipher: None,
            alpn: None,
            chain: vec![],
            failure: Some("HTTP/1.1 400 \x1b[31mRED".into()),
            took: Duration::ZERO,
        });
        record(Event::DnsAnswer {
            name: "n".into(),
            rtype: "A",
            status: "odd \x1b[2J".into(),
            records: vec![],
            took: Duration::ZERO,
        });
        let text = text(&events, None, false);
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
