use super::*;

#[test]
fn go_names_for_tls() {
    assert_eq!(go_tls_version("TLSv1.3"), "TLS 1.3");
    assert_eq!(go_tls_version("TLSv1_2"), "TLS 1.2");
    assert_eq!(
        go_cipher_suite("TLS13_AES_256_GCM_SHA384"),
        "TLS_AES_256_GCM_SHA384"
    );
    assert_eq!(
        go_cipher_suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    );
}

#[test]
fn go_json_escapes_html_and_has_no_trailing_newline() {
    let mut r = invalid_name(&Report::sample(
        "<a&b>",
        false,
        crate::report::Status::Error,
        vec![],
    ));
    r.version.error = "\u{2028}".into();
    let s = to_go_json(&r);
    assert!(
        s.contains(r#""Invalid server name '\u003ca\u0026b\u003e'""#),
        "{s}"
    );
    assert!(s.contains(r#""error": "\u2028""#), "{s}");
    assert!(!s.ends_with('\n'));
    let back: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(back["Error"], "Invalid server name '<a&b>'");
}

fn keys_json(server_name: &str, valid_until: i64, key: &str) -> Value {
    serde_json::json!({
        "server_name": server_name,
        "valid_until_ts": valid_until,
        "verify_keys": {"ed25519:a": {"key": key}, "other:b": {"key": "x"}},
    })
}

const KEY: &str = "suqfr29TdouU09TZsBwbibrgD/ZQcD4k8h5oQDik5m8";

#[test]
fn key_checks_follow_gomatrixserverlib() {
    let now = 1_000_000;
    let verified = vec!["ed25519:a".to_owned()];
    let c = key_checks(
        "ex.org",
        &keys_json("ex.org", now + 1, KEY),
        &verified,
        true,
        now,
    );
    assert!(c.all_ok && c.matching_server_name && c.future_valid_until && c.has_ed25519);
    assert_eq!(c.all_ed25519_ok, Some(true));
    assert_eq!(c.ed25519.len(), 1, "only ed25519 keys are checked");
    // Each failure on its own clears AllChecksOK.
    let c = key_checks(
        "ex.org",
        &keys_json("other.org", now + 1, KEY),
        &verified,
        true,
        now,
    );
    assert!(!c.matching_server_name && !c.all_ok);
    let c = key_checks(
        "ex.org",
        &keys_json("ex.org", now, KEY),
        &verified,
        true,
        now,
    );
    assert!(!c.future_valid_until && !c.all_ok);
    let c = key_checks("ex.org", &keys_json("ex.org", now + 1, KEY), &[], true, now);
    assert_eq!(
        c.ed25519["ed25519:a"],
        Ed25519Check {
            valid: true,
            matching_signature: false
        }
    );
    assert_eq!(c.all_ed25519_ok, Some(false));
    let c = key_checks(
        "ex.org",
        &keys_json("ex.org", now + 1, "c2hvcnQ"),
        &verified,
        true,
        now,
    );
    assert_eq!(
        c.ed25519["ed25519:a"],
        Ed25519Check {
            valid: false,
            matching_signature: false
        }
    );
    let c = key_checks(
        "ex.org",
        &keys_json("ex.org", now + 1, KEY),
        &verified,
        false,
        now,
    );
    assert!(!c.valid_certificates && !c.all_ok);
    let none = serde_json::json!({"server_name": "ex.org", "valid_until_ts": now + 1});
    let c = key_checks("ex.org", &none, &[], true, now);
    assert!(!c.has_ed25519 && !c.all_ok);
    assert_eq!(c.all_ed25519_ok, None, "null without an ed25519 key");
}

#[test]
fn an_invalid_name_stops_the_report_at_zero_values() {
    let finding = crate::report::Finding::plain(Code::NameIsUserId, "a user id");
    let r = Report::sample("@a:b", false, crate::report::Status::Error, vec![finding]);
    let v: Value = serde_json::from_str(&to_go_json(&server_report(&r, &[], 0))).unwrap();
    assert_eq!(v["Error"], "Invalid server name '@a:b'");
    assert_eq!(v["FederationOK"], false);
    assert_eq!(v["DNSResult"]["Hosts"], Value::Null);
    assert_eq!(v["ConnectionReports"], serde_json::json!({}));
    assert_eq!(v["Version"], serde_json::json!({}));
}

#[test]
fn federation_ok_is_the_verdict() {
    for ok in [true, false] {
        let r = Report::sample("ex.org", ok, crate::report::Status::Ok, vec![]);
        let t = server_report(&r, &[], 0);
        assert_eq!(t.federation_ok, ok);
        assert!(t.error.is_empty());
        assert_eq!(
            t.dns.addrs, None,
            "no target: null, as Go writes a nil slice"
        );
        assert_eq!(t.dns.hosts.as_ref().map(BTreeMap::len), Some(0));
    }
}
