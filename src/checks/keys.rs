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

/// Decodes unpadded (or padded) standard base64, as Matrix uses.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(s.trim_end_matches('=')).ok()
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
    let mut problems: Vec<KeyProblem> = Vec::new();
    let p = |problems: &mut Vec<KeyProblem>, code: Code, message: String| {
        problems.push(KeyProblem { code, message })
    };
    let v: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => {
            p(
                &mut problems,
                Code::KeysFailed,
                format!(
                    "the key response is not a JSON object: `{}`",
                    crate::sanitize::excerpt(body, 60)
                ),
            );
            return (None, problems);
        }
    };
    let server_name = v
        .get("server_name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let ids = |field: &str| -> Vec<String> {
        v.get(field)
            .and_then(Value::as_object)
            .map(|m| m.keys().take(50).cloned().collect())
            .unwrap_or_default()
    };
    let key_ids = ids("verify_keys");
    let old_key_ids = ids("old_verify_keys");
    let valid_until_ts = v.get("valid_until_ts").and_then(Value::as_i64);
    let mut verified_key_ids = Vec::new();

    match &server_name {
        Some(s) if s == expected => {}
        Some(s) => p(
            &mut problems,
            Code::KeysServerNameMismatch,
            format!(
                "the keys are for `{}`, not `{expected}`",
                escape(&clip(s, 100))
            ),
        ),
        None => p(
            &mut problems,
            Code::KeysFailed,
            "the key response has no `server_name`".to_owned(),
        ),
    }

    // Signatures are made by the server over the object without `signatures` and `unsigned`.
    let mut unsigned = v.clone();
    if let Some(m) = unsigned.as_object_mut() {
        m.remove("signatures");
        m.remove("unsigned");
    }
    let signed_bytes = canonical_json(&unsigned);
    let sigs = server_name
        .as_deref()
        .and_then(|s| v.get("signatures")?.get(s)?.as_object().cloned())
        .unwrap_or_default();
    let mut usable = 0;
    for id in key_ids.iter().filter(|id| id.starts_with("ed25519:")) {
        let Some(key) = v["verify_keys"][id]["key"]
            .as_str()
            .and_then(b64_decode)
            .filter(|k| k.len() == 32)
        else {
            p(
                &mut problems,
                Code::KeysNoEd25519,
                format!(
                    "verify key `{}` is not a 32-byte base64 ed25519 key",
                    escape(id)
                ),
            );
            continue;
        };
        usable += 1;
        let Some(sig) = sigs
            .get(id.as_str())
            .and_then(Value::as_str)
            .and_then(b64_decode)
        else {
            p(
                &mut problems,
                Code::KeysBadSignature,
                format!(
                    "the response is not signed with its own key `{}`",
                    escape(id)
                ),
            );
            continue;
        };
        let pk = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &key);
        if pk.verify(signed_bytes.as_bytes(), &sig).is_ok() {
            verified_key_ids.push(id.clone());
        } else {
            p(
                &mut problems,
                Code::KeysBadSignature,
                format!(
                    "the signature by `{}` does not verify over the canonical JSON of the response",
                    escape(id)
                ),
            );
        }
    }
    if usable == 0 && !problems.iter().any(|x| x.code == Code::KeysNoEd25519) {
        p(
            &mut problems,
            Code::KeysNoEd25519,
            "the response lists no ed25519 verify key".to_owned(),
        );
    }
    match valid_until_ts {
        None => p(
            &mut problems,
            Code::KeysExpired,
            "the response has no `valid_until_ts`".to_owned(),
        ),
        Some(t) if t <= now_ms => p(
            &mut problems,
            Code::KeysExpired,
            format!(
                "`valid_until_ts` is {}, in the past",
                crate::time::rfc3339(t.div_euclid(1000))
            ),
        ),
        Some(t) if t - now_ms < 3_600_000 => p(
            &mut problems,
            Code::KeysExpiring,
            format!(
                "`valid_until_ts` is {}, under an hour away",
                crate::time::rfc3339(t.div_euclid(1000))
            ),
        ),
        _ => {}
    }
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

#[cfg(test)]
mod tests {
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
        assert_eq!(codes(b"<html>", "example.test"), vec![Code::KeysFailed]);
        let no_keys =
            br#"{"server_name":"example.test","valid_until_ts":99999999999999,"verify_keys":{}}"#;
        assert_eq!(codes(no_keys, "example.test"), vec![Code::KeysNoEd25519]);
    }
}
