//! The comparison over hand-made reports: one server name, one target, then one thing
//! changed at a time.

use super::*;
use crate::findings::Code;
use crate::report::{
    CertInfo, Discovery, Family, Finding, KeysInfo, ServerSoftware, SpecStep, Target, TargetReport,
};

const DAY: i64 = 86_400;

fn target(ip: &str, host: &str) -> Target {
    Target {
        ip: ip.parse().unwrap(),
        port: 8448,
        hostname: host.into(),
        host_header: "example.org".into(),
        tls_server_name: "example.org".into(),
        sni: Some("example.org".into()),
        step: SpecStep::Srv,
    }
}

fn cert(sha: &str, not_after_unix: i64) -> CertInfo {
    CertInfo {
        subject: "CN=example.org".into(),
        issuer: "CN=CA".into(),
        names: vec!["example.org".into()],
        not_before: "2025-01-01T00:00:00Z".into(),
        not_after: crate::time::rfc3339(not_after_unix),
        not_after_unix,
        days_left: 60,
        chain_length: 2,
        sha256: sha.into(),
        verified: true,
        error: None,
    }
}

fn keys(ids: &[&str], old: &[&str]) -> KeysInfo {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    KeysInfo {
        server_name: Some("example.org".into()),
        key_ids: s(ids),
        old_key_ids: s(old),
        valid_until_ts: Some(0),
        verified_key_ids: s(ids),
    }
}

/// A healthy server: SRV to matrix.example.org:8448 at 192.0.2.1, one certificate, one key.
fn report() -> Report {
    let t = target("192.0.2.1", "matrix.example.org");
    Report {
        schema_version: crate::report::SCHEMA_VERSION.into(),
        checked_at: String::new(),
        tool_version: String::new(),
        server_name: "example.org".into(),
        ok: true,
        status: Status::Ok,
        discovery: Discovery {
            step: Some(SpecStep::Srv),
            targets: vec![t.clone()],
            ..Discovery::default()
        },
        targets: vec![TargetReport {
            address: t.address(),
            family: Family::Ipv4,
            fallback: false,
            ok: true,
            checks: vec![],
            tls: None,
            certificate: Some(cert("aa", 1_000 * DAY)),
            server: Some(ServerSoftware {
                name: Some("Synapse".into()),
                version: Some("1.120.0".into()),
            }),
            keys: Some(keys(&["ed25519:a"], &[])),
            not_checked: None,
        }],
        findings: vec![],
        compatibility: vec![],
        families: Default::default(),
        timings: Default::default(),
        changes: vec![],
        web_servers: vec![],
        fixes: vec![],
        client: None,
    }
}

fn kinds(changes: &[Change]) -> Vec<(ChangeKind, Severity)> {
    changes.iter().map(|c| (c.kind, c.severity)).collect()
}

fn worst(changes: &[Change]) -> Option<Severity> {
    changes.iter().map(|c| c.severity).max()
}

#[test]
fn the_same_report_has_no_change() {
    assert!(compare(&report(), &report()).is_empty());
}

#[test]
fn a_key_rotation_listing_the_old_key_is_info() {
    let mut after = report();
    after.targets[0].keys = Some(keys(&["ed25519:b"], &["ed25519:a"]));
    let c = compare(&report(), &after);
    assert_eq!(
        kinds(&c),
        [
            (ChangeKind::KeyRetired, Severity::Info),
            (ChangeKind::KeyAdded, Severity::Info)
        ]
    );
    assert_eq!(c[0].before.as_deref(), Some("ed25519:a"));
    assert_eq!(c[1].after.as_deref(), Some("ed25519:b"));
    assert_eq!(worst(&c), Some(Severity::Info));
}

#[test]
fn a_key_rotation_without_old_verify_keys_is_a_warning() {
    let mut after = report();
    after.targets[0].keys = Some(keys(&["ed25519:b"], &[]));
    let c = compare(&report(), &after);
    assert_eq!(
        kinds(&c),
        [
            (ChangeKind::KeyRemoved, Severity::Warning),
            (ChangeKind::KeyAdded, Severity::Info)
        ]
    );
    assert!(
        c[0].message.contains("ed25519:a") && c[0].message.contains("can no longer verify"),
        "{}",
        c[0].message
    );
}

#[test]
fn keys_not_fetched_now_are_not_a_rotation() {
    let mut after = report();
    after.targets[0].keys = None;
    assert!(compare(&report(), &after).is_empty());
}

#[test]
fn a_certificate_renewal_is_info_and_a_replacement_expiring_no_later_a_warning() {
    let mut after = report();
    after.targets[0].certificate = Some(cert("bb", 1_090 * DAY));
    let c = compare(&report(), &after);
    assert_eq!(
        kinds(&c),
        [(ChangeKind::CertificateRenewed, Severity::Info)]
    );
    assert!(c[0].before.as_deref().unwrap().contains("sha256 aa"));
    assert!(c[0].after.as_deref().unwrap().contains("sha256 bb"));
    assert!(c[0].message.contains("192.0.2.1:8448"), "{}", c[0].message);

    after.targets[0].certificate = Some(cert("bb", 1_000 * DAY));
    let c = compare(&report(), &after);
    assert_eq!(
        kinds(&c),
        [(ChangeKind::CertificateChanged, Severity::Warning)]
    );
    // The same certificate: nothing, whatever days_left says.
    let mut same = report();
    same.targets[0].certificate.as_mut().unwrap().days_left = 59;
    assert!(compare(&report(), &same).is_empty());
}

#[test]
fn a_changed_target_is_a_warning_each_way() {
    let mut after = report();
    after.discovery.targets = vec![target("192.0.2.7", "matrix.example.org")];
    let c = compare(&report(), &after);
    assert_eq!(
        kinds(&c),
        [
            (ChangeKind::TargetAdded, Severity::Warning),
            (ChangeKind::TargetRemoved, Severity::Warning)
        ]
    );
    assert_eq!(
        c[0].after.as_deref(),
        Some("192.0.2.7:8448 (matrix.example.org)")
    );
    assert_eq!(
        c[1].before.as_deref(),
        Some("192.0.2.1:8448 (matrix.example.org)")
    );
}

#[test]
fn a_new_step_and_delegation_are_warnings() {
    let mut after = report();
    after.discovery.step = Some(SpecStep::WellKnownExplicitPort);
    after.discovery.delegated_server = Some("matrix.example.org:443".into());
    let c = compare(&report(), &after);
    assert_eq!(
        kinds(&c),
        [
            (ChangeKind::Step, Severity::Warning),
            (ChangeKind::DelegatedServer, Severity::Warning)
        ]
    );
    assert_eq!(c[0].before.as_deref(), Some("4"));
    assert_eq!(c[0].after.as_deref(), Some("3.2"));
    assert_eq!(c[1].before, None);
}

#[test]
fn a_new_finding_has_its_severity_and_a_resolved_one_is_info() {
    let mut after = report();
    after
        .findings
        .push(Finding::plain(Code::TlsNameMismatch, "wrong name").at_target("192.0.2.1:8448"));
    after.status = Status::Error;
    let c = compare(&report(), &after);
    assert_eq!(
        kinds(&c),
        [
            (ChangeKind::FindingNew, Severity::Error),
            (ChangeKind::Status, Severity::Warning)
        ]
    );
    assert!(c[0].message.contains("tls-name-mismatch at 192.0.2.1:8448"));
    // And back: resolved, and the status improves; both info.
    let c = compare(&after, &report());
    assert_eq!(
        kinds(&c),
        [
            (ChangeKind::Status, Severity::Info),
            (ChangeKind::FindingResolved, Severity::Info)
        ]
    );
}

#[test]
fn a_software_upgrade_is_info() {
    let mut after = report();
    after.targets[0].server.as_mut().unwrap().version = Some("1.121.0".into());
    let c = compare(&report(), &after);
    assert_eq!(kinds(&c), [(ChangeKind::SoftwareVersion, Severity::Info)]);
    assert_eq!(c[0].before.as_deref(), Some("Synapse 1.120.0"));
}

#[test]
fn baselines_are_one_report_an_array_or_json_lines() {
    let one = serde_json::to_string_pretty(&report()).unwrap();
    let mut other = report();
    other.server_name = "example.net".into();
    let array = serde_json::to_string(&vec![report(), other.clone()]).unwrap();
    let lines = format!(
        "{}\n{}\n",
        serde_json::to_string(&report()).unwrap(),
        serde_json::to_string(&other).unwrap()
    );
    assert_eq!(parse(&one).unwrap().len(), 1);
    for text in [&array, &lines] {
        let b = parse(text).unwrap();
        assert_eq!(b.len(), 2);
        assert!(b.get("example.net").is_some());
    }
    let mut r = report();
    r.server_name = "example.com".into();
    parse(&one).unwrap().annotate(&mut r);
    assert_eq!(
        kinds(&r.changes),
        [(ChangeKind::NotInBaseline, Severity::Info)]
    );
}

#[test]
fn a_file_that_is_not_a_report_is_refused_with_the_reason() {
    let err = |t: &str| parse(t).unwrap_err();
    assert_eq!(err(""), "no report in it");
    assert_eq!(err("[]"), "no report in it");
    assert!(err("server_names:\n- example.org").starts_with("not JSON"));
    assert!(
        err(r#"{"name": "example.org"}"#).contains("report 1 is not a delegcheck report"),
        "{}",
        err(r#"{"name": "example.org"}"#)
    );
    let mut v = serde_json::to_value(report()).unwrap();
    v["schema_version"] = "2.0".into();
    assert!(err(&v.to_string()).contains("schema_version \"2.0\""));
}

#[test]
fn one_certificate_renewed_at_two_addresses_is_one_change() {
    let second = |r: &mut Report, sha: &str, not_after: i64| {
        let mut t = r.targets[0].clone();
        t.address = "[2001:db8::1]:8448".into();
        t.family = Family::Ipv6;
        t.certificate = Some(cert(sha, not_after));
        r.targets.push(t);
    };
    let mut before = report();
    second(&mut before, "aa", 1_000 * DAY);
    let mut after = report();
    after.targets[0].certificate = Some(cert("bb", 1_090 * DAY));
    second(&mut after, "bb", 1_090 * DAY);
    let c = compare(&before, &after);
    assert_eq!(
        kinds(&c),
        [(ChangeKind::CertificateRenewed, Severity::Info)]
    );
    assert!(
        c[0].message.contains("192.0.2.1:8448, [2001:db8::1]:8448"),
        "{}",
        c[0].message
    );
}
