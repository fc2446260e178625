//! Parsing a `/.well-known/matrix/server` response, strictly, with a typed reason for every
//! way it can be wrong. Pure: bytes in, verdict out.

use serde::de::{MapAccess, Visitor};
use serde_json::Value;

use crate::server_name::{NameError, ServerName};

/// Most well-known bytes read: Synapse's limit (the largest that Synapse and Dendrite accept).
pub const MAX_BODY: usize = crate::implementations::SYNAPSE.well_known_body_limit;

/// A valid well-known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WellKnownOk {
    /// `m.server`, as written.
    pub raw: String,
    /// `m.server`, parsed.
    pub server: ServerName,
    /// `m.server` appeared more than once (the last one is used, as Synapse does).
    pub duplicate: bool,
}

/// Why a well-known response is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WellKnownError {
    /// A status other than 200 (2xx statuses are told apart: conduwuit accepts them).
    Status(u16),
    /// Body of 50 KiB or more.
    TooLarge,
    /// A UTF-8 byte-order mark before the JSON.
    Bom,
    /// Not JSON at all; `html` when it looks like an HTML page.
    NotJson { error: String, html: bool },
    /// A JSON value followed by more bytes.
    TrailingData,
    /// JSON, but not an object (`array`, `string`, …).
    NotObject(JsonKind),
    /// No `m.server` key. `wrong_case` holds a key that differs only in case;
    /// `client_file` is set when the body looks like the client well-known.
    MissingServer {
        wrong_case: Option<String>,
        client_file: bool,
    },
    /// `m.server` is not a string.
    NotString(JsonKind),
    /// `m.server` is `""`.
    Empty,
    /// `m.server` breaks the server-name grammar.
    Invalid { raw: String, error: NameError },
    /// `m.server` is there more than once (continuwuity rejects this; others take the last).
    Duplicate(Box<WellKnownOk>),
}

/// The kind of a JSON value, where one was expected to be another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Boolean,
    Number,
    String,
    Array,
    Object,
}

impl JsonKind {
    fn of(v: &Value) -> JsonKind {
        match v {
            Value::Null => JsonKind::Null,
            Value::Bool(_) => JsonKind::Boolean,
            Value::Number(_) => JsonKind::Number,
            Value::String(_) => JsonKind::String,
            Value::Array(_) => JsonKind::Array,
            Value::Object(_) => JsonKind::Object,
        }
    }

    /// `an array`, `null`, …, as in a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            JsonKind::Null => "null",
            JsonKind::Boolean => "a boolean",
            JsonKind::Number => "a number",
            JsonKind::String => "a string",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
        }
    }
}

impl std::fmt::Display for JsonKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// A JSON object's members in order, duplicates kept.
struct Pairs(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = m.next_entry::<String, Value>()? {
                    // Other members up to a bound; the ones the verdict reads, wherever
                    // they stand (a bound that dropped a late `m.server` would report a
                    // delegation every homeserver follows as missing).
                    if v.len() < 1000 || k.eq_ignore_ascii_case("m.server") || k == "m.homeserver" {
                        v.push((k, val));
                    }
                }
                Ok(Pairs(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// Judges a response: status, body (as read, up to the cap) and whether the cap was hit.
pub fn parse(status: u16, body: &[u8], truncated: bool) -> Result<WellKnownOk, WellKnownError> {
    use WellKnownError::*;
    if status != 200 {
        return Err(Status(status));
    }
    if truncated || body.len() >= MAX_BODY {
        return Err(TooLarge);
    }
    if body.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(Bom);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: Value = match serde::Deserialize::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let html = body
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'<');
            return Err(NotJson {
                error: crate::sanitize::clip(&e.to_string(), 120),
                html,
            });
        }
    };
    if de.end().is_err() {
        return Err(TrailingData);
    }
    if !value.is_object() {
        return Err(NotObject(JsonKind::of(&value)));
    }
    // Re-read with duplicates kept (the body is valid JSON, so this cannot fail).
    let pairs = serde_json::from_slice::<Pairs>(body)
        .map(|p| p.0)
        .unwrap_or_default();
    let servers: Vec<&Value> = pairs
        .iter()
        .filter(|(k, _)| k == "m.server")
        .map(|(_, v)| v)
        .collect();
    let Some(last) = servers.last() else {
        let wrong_case = pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("m.server"))
            .map(|(k, _)| k.clone());
        let client_file = pairs.iter().any(|(k, _)| k == "m.homeserver");
        return Err(MissingServer {
            wrong_case,
            client_file,
        });
    };
    let raw = match last {
        Value::String(s) => s.clone(),
        other => return Err(NotString(JsonKind::of(other))),
    };
    if raw.is_empty() {
        return Err(Empty);
    }
    let server = ServerName::parse(&raw).map_err(|error| Invalid {
        raw: raw.clone(),
        error,
    })?;
    let ok = WellKnownOk {
        raw,
        server,
        duplicate: servers.len() > 1,
    };
    if ok.duplicate {
        return Err(Duplicate(Box::new(ok)));
    }
    Ok(ok)
}

impl WellKnownError {
    /// For a duplicate, the value that Synapse, Dendrite and conduwuit would use.
    pub fn lenient_value(&self) -> Option<&WellKnownOk> {
        match self {
            WellKnownError::Duplicate(ok) => Some(ok),
            _ => None,
        }
    }
}

/// How long Synapse caches a successful answer: Cache-Control max-age (or no-store = 0) or
/// Expires, clamped to its bounds (`implementations::SYNAPSE`). Returns (requested, used).
pub fn synapse_cache_seconds(
    cache_control: Option<&str>,
    expires_in: Option<i64>,
) -> (Option<u64>, u64) {
    let mut requested: Option<u64> = None;
    if let Some(cc) = cache_control {
        for directive in cc.split(',') {
            let d = directive.trim().to_ascii_lowercase();
            if d == "no-store" {
                requested = Some(0);
                break;
            }
            if let Some(v) = d.strip_prefix("max-age=")
                && let Ok(n) = v.trim().trim_matches('"').parse::<u64>()
            {
                requested = Some(n);
            }
        }
    }
    if requested.is_none() {
        requested = expires_in.map(|s| s.max(0) as u64);
    }
    (
        requested,
        crate::implementations::synapse_cache_lifetime(requested),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use WellKnownError::*;

    fn p(body: &str) -> Result<WellKnownOk, WellKnownError> {
        parse(200, body.as_bytes(), false)
    }

    /// Over a thousand members (still far below the size cap): the `m.server` at the end
    /// delegates, and a duplicate or wrong-case key there is still seen.
    #[test]
    fn many_members() {
        let filler: String = (0..1500).map(|i| format!(r#""k{i}":0,"#)).collect();
        let ok = p(&format!(r#"{{{filler}"m.server":"m.example.com:443"}}"#)).unwrap();
        assert_eq!(ok.raw, "m.example.com:443");
        let dup = p(&format!(
            r#"{{"m.server":"a.example.com",{filler}"m.server":"b.example.com"}}"#
        ));
        assert!(matches!(dup, Err(Duplicate(ok)) if ok.raw == "b.example.com"));
        let case = p(&format!(r#"{{{filler}"M.Server":"m.example.com"}}"#));
        assert_eq!(
            case,
            Err(MissingServer {
                wrong_case: Some("M.Server".into()),
                client_file: false
            })
        );
    }

    #[test]
    fn valid_forms() {
        let ok = p(r#"{"m.server": "matrix.example.com:443"}"#).unwrap();
        assert_eq!(ok.server.to_string(), "matrix.example.com:443");
        let ok = p(r#"{"m.server":"m.example.com","m.homeserver":{"base_url":"x"}}"#).unwrap();
        assert_eq!(ok.raw, "m.example.com");
        assert!(p(r#" {"m.server": "[2001:db8::7]:443"} "#).is_ok());
        assert!(p(r#"{"m.server": "203.0.113.7"}"#).is_ok());
    }

    #[test]
    fn status_and_size() {
        assert_eq!(parse(404, b"{}", false), Err(Status(404)));
        assert_eq!(
            parse(203, br#"{"m.server":"a.b"}"#, false),
            Err(Status(203))
        );
        assert_eq!(parse(200, b"{", true), Err(TooLarge));
        let big = format!(r#"{{"m.server":"a.b","pad":"{}"}}"#, "x".repeat(MAX_BODY));
        assert_eq!(parse(200, big.as_bytes(), false), Err(TooLarge));
    }

    #[test]
    fn body_shapes() {
        assert_eq!(
            parse(200, b"\xEF\xBB\xBF{\"m.server\":\"a.b\"}", false),
            Err(Bom)
        );
        assert!(matches!(
            p("<!doctype html><html>"),
            Err(NotJson { html: true, .. })
        ));
        assert!(matches!(
            p("m.server: a.b"),
            Err(NotJson { html: false, .. })
        ));
        assert!(matches!(p(""), Err(NotJson { .. })));
        assert_eq!(p(r#"{"m.server":"a"}{"m.server":"b"}"#), Err(TrailingData));
        assert_eq!(p(r#"["m.example.com"]"#), Err(NotObject(JsonKind::Array)));
        assert_eq!(p("null"), Err(NotObject(JsonKind::Null)));
        assert_eq!(p("42"), Err(NotObject(JsonKind::Number)));
        assert_eq!(p(r#""m.example.com""#), Err(NotObject(JsonKind::String)));
    }

    #[test]
    fn m_server_problems() {
        assert_eq!(
            p("{}"),
            Err(MissingServer {
                wrong_case: None,
                client_file: false
            })
        );
        assert_eq!(
            p(r#"{"m.homeserver":{"base_url":"https://m.example.com"}}"#),
            Err(MissingServer {
                wrong_case: None,
                client_file: true
            })
        );
        assert_eq!(
            p(r#"{"M.Server":"a.b"}"#),
            Err(MissingServer {
                wrong_case: Some("M.Server".into()),
                client_file: false
            })
        );
        assert_eq!(p(r#"{"m.server":443}"#), Err(NotString(JsonKind::Number)));
        assert_eq!(p(r#"{"m.server":null}"#), Err(NotString(JsonKind::Null)));
        assert_eq!(
            p(r#"{"m.server":{"host":"x"}}"#),
            Err(NotString(JsonKind::Object))
        );
        assert_eq!(p(r#"{"m.server":""}"#), Err(Empty));
        use crate::server_name::NameProblem;
        let prob = |b: &str| match p(b) {
            Err(Invalid { error, .. }) => error.problem,
            other => panic!("{b}: {other:?}"),
        };
        assert_eq!(
            prob(r#"{"m.server":"https://m.example.com"}"#),
            NameProblem::Scheme
        );
        assert_eq!(prob(r#"{"m.server":"m.example.com/"}"#), NameProblem::Path);
        assert_eq!(
            prob(r#"{"m.server":" m.example.com"}"#),
            NameProblem::Whitespace
        );
        assert_eq!(
            prob(r#"{"m.server":"m.example.com:65536"}"#),
            NameProblem::Port
        );
        assert_eq!(prob(r#"{"m.server":"m.example.com:0"}"#), NameProblem::Port);
        assert_eq!(
            prob(r#"{"m.server":"2001:db8::7"}"#),
            NameProblem::UnbracketedIpv6
        );
        assert_eq!(
            prob(r#"{"m.server":"bücher.example"}"#),
            NameProblem::NonAscii
        );
        match p(r#"{"m.server":"a.example","m.server":"b.example"}"#) {
            Err(Duplicate(ok)) => assert_eq!(ok.raw, "b.example"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn synapse_cache_clamps() {
        assert_eq!(synapse_cache_seconds(None, None), (None, 86400));
        assert_eq!(
            synapse_cache_seconds(Some("max-age=3600"), None),
            (Some(3600), 3600)
        );
        assert_eq!(
            synapse_cache_seconds(Some("public, max-age=604800"), None),
            (Some(604800), 172800)
        );
        assert_eq!(
            synapse_cache_seconds(Some("no-store"), None),
            (Some(0), 300)
        );
        assert_eq!(
            synapse_cache_seconds(Some("MAX-AGE=0"), None),
            (Some(0), 300)
        );
        assert_eq!(synapse_cache_seconds(None, Some(7200)), (Some(7200), 7200));
        assert_eq!(
            synapse_cache_seconds(Some("max-age=60"), Some(99999)),
            (Some(60), 300)
        );
    }
}
