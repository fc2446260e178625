//! `/_matrix/key/v2/server`: the server name, the ed25519 self-signatures over Matrix
//! canonical JSON, and `valid_until_ts`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde_json::Value;

use crate::findings::Code;
use crate::report::KeysInfo;
use crate::sanitize::{clip, escape};

/// Matrix canonical JSON: object keys sorted by code point, no insignificant whitespace,
/// shortest escapes (serde_json's), integers as written.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                write_canonical(&m[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}

/// Whether `signature` (ed25519, by `public_key`) signs `signed`, as the spec's "Checking
/// for a Signature" says: over the canonical JSON of the object without its `signatures` and
/// `unsigned` members.
pub fn signature_verifies(signed: &Value, public_key: &[u8], signature: &[u8]) -> bool {
    let mut content = signed.clone();
    if let Some(m) = content.as_object_mut() {
        m.remove("signatures");
        m.remove("unsigned");
    }
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public_key)
        .verify(canonical_json(&content).as_bytes(), signature)
        .is_ok()
}

/// Decodes standard base64 as leniently as the reference implementations (Python's
/// `base64`): padding optional, non-zero trailing bits accepted (the spec's own test seed has
/// them).
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(s).ok()
}

/// Encodes unpadded standard base64.
pub fn b64_encode(b: &[u8]) -> String {
    STANDARD_NO_PAD.encode(b)
}

/// What is wrong with a key response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    /// The code.
    pub code: Code,
    /// The message.
    pub message: String,
}

/// Judges a key response for `expected` (the server name being checked) at `now_ms`.
pub fn judge(body: &[u8], expected: &str, now_ms: i64) -> (Option<KeysInfo>, Vec<KeyProblem>) {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => {
            let message = format!(
                "the key response is not a JSON object: `{}`",
                crate::sanitize::excerpt(body, 60)
            );
            return (None, vec![problem(Code::KeysFailed, message)]);
        }
    };
    let server_name = v
        .get("server_name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let key_ids = listed_key_ids(&v, "verify_keys");
    let old_key_ids = listed_key_ids(&v, "old_verify_keys");
    let valid_until_ts = v.get("valid_until_ts").and_then(Value::as_i64);

    let mut problems: Vec<KeyProblem> = Vec::new();
    problems.extend(server_name_problem(server_name.as_deref(), expected));
    let verified_key_ids =
        check_self_signatures(&v, server_name.as_deref(), &key_ids, &mut problems);
    problems.extend(validity_problem(valid_until_ts, now_ms));
    (
        Some(KeysInfo {
            server_name,
            key_ids,
            old_key_ids,
            valid_until_ts,
            verified_key_ids,
        }),
        problems,
    )
}

/// A problem with `code` and `message`.
fn problem(code: Code, message: impl Into<String>) -> KeyProblem {
    KeyProblem {
        code,
        message: message.into(),
    }
}

/// The key IDs listed under `field` (at most 50).
fn listed_key_ids(v: &Value, field: &str) -> Vec<String> {
    v.get(field)
        .and_then(Value::as_object)
        .map(|m| m.keys().take(50).cloned().collect())
        .unwrap_or_default()
}

/// Whether the response's `server_name` is missing or names another server than `expected`.
fn server_name_problem(server_name: Option<&str>, expected: &str) -> Option<KeyProblem> {
    match server_name {
        Some(s) if s == expected => None,
        Some(s) => Some(problem(
            Code::KeysServerNameMismatch,
            format!(
                "the keys are for `{}`, not `{expected}`",
                escape(&clip(s, 100))
            ),
        )),
        None => Some(problem(
            Code::KeysFailed,
            "the key response has no `server_name`",
        )),
    }
}

/// Which listed ed25519 keys verify their signature over the response; each key that does not,
/// and the lack of any usable key, is added to `problems`.
fn check_self_signatures(
    v: &Value,
    server_name: Option<&str>,
    key_ids: &[String],
    problems: &mut Vec<KeyProblem>,
) -> Vec<String> {
    let sigs = server_name
        .and_then(|s| v.get("signatures")?.get(s)?.as_object().cloned())
        .unwrap_or_default();
    let mut verified_key_ids = Vec::new();
    let mut usable = 0;
    for id in key_ids.iter().filter(|id| id.starts_with("ed25519:")) {
        let key = match ed25519_key(v, id) {
            Ok(key) => key,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        usable += 1;
        match self_signature(v, &sigs, id, &key) {
            Ok(()) => verified_key_ids.push(id.clone()),
            Err(p) => problems.push(p),
        }
    }
    if usable == 0 && !problems.iter().any(|x| x.code == Code::KeysNoEd25519) {
        problems.push(problem(
            Code::KeysNoEd25519,
            "the response lists no ed25519 verify key",
        ));
    }
    verified_key_ids
}

/// The verify key `id` as a 32-byte ed25519 public key, or why it is not one.
fn ed25519_key(v: &Value, id: &str) -> Result<Vec<u8>, KeyProblem> {
    v["verify_keys"][id]["key"]
        .as_str()
        .and_then(b64_decode)
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            problem(
                Code::KeysNoEd25519,
                format!(
                    "verify key `{}` is not a 32-byte base64 ed25519 key",
                    escape(id)
                ),
            )
        })
}

/// Whether the response carries a signature by its own key `id` (`key`) in `sigs` that
/// verifies, or why not.
fn self_signature(
    v: &Value,
    sigs: &serde_json::Map<String, Value>,
    id: &str,
    key: &[u8],
) -> Result<(), KeyProblem> {
    let Some(sig) = sigs.get(id).and_then(Value::as_str).and_then(b64_decode) else {
        return Err(problem(
            Code::KeysBadSignature,
            format!(
                "the response is not signed with its own key `{}`",
                escape(id)
            ),
        ));
    };
    if signature_verifies(v, key, &sig) {
        Ok(())
    } else {
        Err(problem(
            Code::KeysBadSignature,
            format!(
                "the signature by `{}` does not verify over the canonical JSON of the response",
                escape(id)
            ),
        ))
    }
}

/// A `valid_until_ts` closer than this is worth an info (the spec asks originating servers
/// to avoid responses that expire in less than an hour).
const SHORT_VALIDITY_MS: i64 = 3_600_000;

/// Whether `valid_until_ts` is missing, past, or under an hour from `now_ms`.
///
/// Judged as the implementations judge it: a key counts while its `valid_until_ts` is later
/// than the moment it is used (Synapse `synapse/crypto/keyring.py`: `valid_until_ts >=
/// minimum_valid_until_ts`, the time of use), and the spec (server-server API, "Retrieving
/// server keys") has servers use keys whose `valid_until_ts` is in the future. So only a
/// past or missing one fails; a short but future one (a small `key_refresh_interval`) is
/// accepted everywhere and only costs peers refetches: info.
fn validity_problem(valid_until_ts: Option<i64>, now_ms: i64) -> Option<KeyProblem> {
    match valid_until_ts {
        None => Some(problem(
            Code::KeysExpired,
            "the response has no `valid_until_ts`",
        )),
        Some(t) if t <= now_ms => Some(problem(
            Code::KeysExpired,
            format!(
                "`valid_until_ts` is {}, in the past",
                crate::time::rfc3339(t.div_euclid(1000))
            ),
        )),
        Some(t) if t - now_ms < SHORT_VALIDITY_MS => Some(problem(
            Code::KeysExpiring,
            format!(
                "`valid_until_ts` is {}, {} away: peers accept these keys until then and fetch them again after (the spec asks for at least an hour)",
                crate::time::rfc3339(t.div_euclid(1000)),
                time_away(t - now_ms)
            ),
        )),
        _ => None,
    }
}

/// A span under an hour in words: `10 minutes`, `1 minute`, `30 seconds`.
fn time_away(ms: i64) -> String {
    let s = ms.div_euclid(1000);
    match s {
        0..=59 => format!("{s} second{}", if s == 1 { "" } else { "s" }),
        _ => {
            let m = s / 60;
            format!("{m} minute{}", if m == 1 { "" } else { "s" })
        }
    }
}

#[cfg(test)]
mod tests {

    /// The canonical JSON examples of the spec's appendix ("Signing JSON").
    #[test]
    fn canonical_json_matches_the_spec_examples() {
        for (input, want) in [
            ("{}", "{}"),
            (r#"{"one": 1, "two": "Two"}"#, r#"{"one":1,"two":"Two"}"#),
            (r#"{"b": "2", "a": "1"}"#, r#"{"a":"1","b":"2"}"#),
            (
                r#"{"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe", "three_pids": [{"medium": "email", "address": "john.doe@example.org"}, {"medium": "msisdn", "address": "123456789"}]}}}"#,
                r#"{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}"#,
            ),
            (r#"{"a": "日本語"}"#, r#"{"a":"日本語"}"#),
            (r#"{"本": 2, "日": 1}"#, r#"{"日":1,"本":2}"#),
            (r#"{"a": "\u65E5"}"#, r#"{"a":"日"}"#),
            (r#"{"a": null}"#, r#"{"a":null}"#),
        ] {
            let v: Value = serde_json::from_str(input).unwrap();
            assert_eq!(canonical_json(&v), want, "{input}");
        }
    }

    /// The spec's cryptographic test vectors (appendix, "Signing JSON"): the key made from
    /// the seed `YJDBA9Xn…`, signing as `domain` with `ed25519:1`. Verified with our canonical
    /// JSON, independently of the lab's signer.
    #[test]
    fn the_spec_test_vectors_verify() {
        let seed = b64_decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1").unwrap();
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        use ring::signature::KeyPair;
        let public = pair.public_key().as_ref().to_vec();
        for (object, signature) in [
            (
                r#"{"signatures": {"domain": {"ed25519:1": "x"}}}"#,
                "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
            ),
            (
                r#"{"two": "Two", "unsigned": {"age_ts": 1}, "one": 1}"#,
                "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
            ),
        ] {
            let v: Value = serde_json::from_str(object).unwrap();
            let sig = b64_decode(signature).unwrap();
            assert!(signature_verifies(&v, &public, &sig), "{object}");
            let mut changed = v.clone();
            changed["extra"] = true.into();
            assert!(
                !signature_verifies(&changed, &public, &sig),
                "{object} changed"
            );
        }
    }
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};
    use serde_json::json;

    fn signed(server: &str, valid_until: i64, tamper: bool) -> Vec<u8> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let kp = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let mut v = json!({
            "server_name": server,
            "valid_until_ts": valid_until,
            "verify_keys": {"ed25519:a1": {"key": b64_encode(kp.public_key().as_ref())}},
            "old_verify_keys": {},
        });
        let sig = kp.sign(canonical_json(&v).as_bytes());
        v["signatures"] = json!({server: {"ed25519:a1": b64_encode(sig.as_ref())}});
        if tamper {
            v["valid_until_ts"] = json!(valid_until + 1);
        }
        serde_json::to_vec(&v).unwrap()
    }

    /// Keys valid for a short while yet are what every implementation accepts: at most an
    /// info, with the time left in words; only a past `valid_until_ts` is an error.
    #[test]
    fn a_short_but_future_validity_is_only_an_info() {
        let now = 1_700_000_000_000;
        let (_, problems) = judge(
            &signed("example.test", now + 600_000, false),
            "example.test",
            now,
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, Code::KeysExpiring);
        assert_eq!(
            Code::KeysExpiring.severity(),
            crate::findings::Severity::Info
        );
        assert!(
            problems[0].message.contains("10 minutes away"),
            "{}",
            problems[0].message
        );
        assert_eq!(time_away(1_500), "1 second");
        assert_eq!(time_away(59_999), "59 seconds");
        assert_eq!(time_away(60_000), "1 minute");
        assert_eq!(time_away(3_599_999), "59 minutes");
        let (_, past) = judge(&signed("example.test", now, false), "example.test", now);
        assert_eq!(past[0].code, Code::KeysExpired);
        assert_eq!(
            Code::KeysExpired.severity(),
            crate::findings::Severity::Error
        );
    }

    #[test]
    fn canonical_sorts_and_compacts() {
        let v = json!({"b": 1, "a": {"d": [1, "x"], "c": "é\n"}});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":"é\n","d":[1,"x"]},"b":1}"#);
    }

    #[test]
    fn good_keys_verify() {
        let now = 1_700_000_000_000;
        let (info, problems) = judge(
            &signed("example.test", now + 86_400_000, false),
            "example.test",
            now,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(info.unwrap().verified_key_ids, vec!["ed25519:a1"]);
    }

    #[test]
    fn bad_keys_are_named() {
        let now = 1_700_000_000_000;
        let codes = |b: &[u8], n: &str| {
            judge(b, n, now)
                .1
                .into_iter()
                .map(|p| p.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(
                &signed("other.test", now + 86_400_000, false),
                "example.test"
            ),
            vec![Code::KeysServerNameMismatch]
        );
        assert_eq!(
            codes(
                &signed("example.test", now + 86_400_000, true),
                "example.test"
            ),
            vec![Code::KeysBadSignature]
        );
        assert_eq!(
            codes(&signed("example.test", now - 1, false), "example.test"),
            vec![Code::KeysExpired]
        );
        assert_eq!(
            codes(&signed("example.test", now + 60_000, false), "example.test"),
            vec![Code::KeysExpiring]
        );
        assert_eq!(
            codes(
                &signed("example.test", now + 3_600_000, false),
                "example.test"
            ),
            vec![]
        );
        assert_eq!(codes(b"<html>", "example.test"), vec![Code::KeysFailed]);
        assert_eq!(
            codes(
                br#"{"server_name":"example.test","verify_keys":{}}"#,
                "example.test"
            ),
            vec![Code::KeysNoEd25519, Code::KeysExpired]
        );
        let no_keys =
            br#"{"server_name":"example.test","valid_until_ts":99999999999999,"verify_keys":{}}"#;
        assert_eq!(codes(no_keys, "example.test"), vec![Code::KeysNoEd25519]);
    }
}
