//! The fixes of every lab scenario: every warning or error with a configuration cause gets
//! a fix, every fix names findings of its report, snippets are filled in, and the main cases
//! say what they must (the values of the run, the stack that answered).

use delegcheck::findings::{Code, Severity};
use delegcheck::fixes::{Placement, Stack, plan};
use delegcheck::lab::{self, LabOptions};

#[tokio::test]
async fn every_fixable_finding_of_every_scenario_gets_a_fix() {
    let scenarios = lab::scenarios();
    let results = lab::demo::run_all(&scenarios, LabOptions::default()).await;
    let fixable = plan::fixable_codes();
    let mut missing = Vec::new();
    let mut with_fixes = 0;
    for (s, r) in scenarios.iter().zip(results) {
        let r = r.unwrap_or_else(|e| panic!("{}: {e}", s.name));
        for f in &r.fixes {
            assert!(!f.snippet.contains("{{"), "{}: {}", s.name, f.snippet);
            for c in &f.codes {
                assert!(
                    r.findings.iter().any(|x| x.code == *c),
                    "{}: a fix for {c}, which the report does not have",
                    s.name
                );
            }
        }
        with_fixes += usize::from(!r.fixes.is_empty());
        for f in r.findings.iter().filter(|f| f.severity > Severity::Info) {
            // Behind a proxy that answers 502/503/504 the proxy routes /_matrix: what fails
            // is the homeserver, which no proxy snippet fixes.
            let upstream_down = r
                .findings
                .iter()
                .any(|x| x.code == Code::FederationUpstreamDown && x.target == f.target);
            if upstream_down {
                assert!(
                    !r.fixes.iter().any(|x| x.codes.contains(&f.code)),
                    "{}",
                    s.name
                );
                continue;
            }
            if fixable.contains(&f.code) && !r.fixes.iter().any(|x| x.codes.contains(&f.code)) {
                missing.push(format!("{}: {}", s.name, f.code));
            }
        }
    }
    assert!(missing.is_empty(), "no fix for:\n{}", missing.join("\n"));
    assert!(with_fixes >= 20, "{with_fixes} scenarios with fixes");
}

/// The fix and the stack, per scenario: the values of the run are in the snippet.
#[tokio::test]
async fn the_main_cases_name_their_values_and_stack() {
    let cases: &[(&str, Code, Stack, &[&str])] = &[
        (
            "well-known-missing-port",
            Code::FederationOn443,
            Stack::Caddy,
            &[
                "handle /.well-known/matrix/server",
                "matrix.example.test:443",
            ],
        ),
        (
            "well-known-is-html",
            Code::WellKnownNotJson,
            Stack::Nginx,
            &[
                "location = /.well-known/matrix/server",
                "HOMESERVER-HOST:443",
            ],
        ),
        (
            "missing-intermediate",
            Code::TlsIncompleteChain,
            Stack::Apache,
            &["SSLCertificateFile /etc/letsencrypt/live/matrix.example.test/fullchain.pem"],
        ),
        (
            "proxy-not-routing",
            Code::FederationNotRouted,
            Stack::Nginx,
            &["proxy_pass http://127.0.0.1:8008;"],
        ),
        (
            "srv-target-cname",
            Code::SrvTargetCname,
            Stack::Dns,
            &["_matrix-fed._tcp.example.test. 3600 IN SRV 10 5 8448 host.provider.test."],
        ),
        (
            "legacy-srv-only",
            Code::SrvLegacy,
            Stack::Dns,
            &["_matrix-fed._tcp.example.test. 3600 IN SRV"],
        ),
        (
            "ipv6-not-listening",
            Code::TargetIpv6Broken,
            Stack::Nginx,
            &["listen [::]:8448 ssl;"],
        ),
    ];
    for (name, code, stack, wants) in cases {
        let s = lab::demo::find(name).unwrap();
        if s.needs_ipv6() && !lab::ipv6_loopback() {
            continue;
        }
        let r = lab::run(&s, LabOptions::default(), |_| {}).await.unwrap();
        let fix = r
            .fixes
            .iter()
            .find(|f| f.codes.contains(code) && f.stack == *stack)
            .unwrap_or_else(|| panic!("{name}: no {stack:?} fix for {code}: {:#?}", r.fixes));
        for want in *wants {
            assert!(
                fix.snippet.contains(want),
                "{name}: {want:?} not in\n{}",
                fix.snippet
            );
        }
        if *stack == Stack::Dns {
            assert_eq!(fix.placement, Placement::Zone);
        }
    }
}

/// `--fix-for` (here through the lab's option) writes every web-server fix for that stack.
#[tokio::test]
async fn fix_for_overrides_what_answered() {
    let s = lab::demo::find("well-known-missing-port").unwrap();
    let opts = LabOptions {
        fix_for: Some(Stack::Haproxy),
        ..LabOptions::default()
    };
    let r = lab::run(&s, opts, |_| {}).await.unwrap();
    assert!(r.web_servers.iter().any(|w| w.stack == Some(Stack::Caddy)));
    assert!(!r.fixes.is_empty());
    for f in &r.fixes {
        assert_eq!(f.stack, Stack::Haproxy, "{f:?}");
    }
    assert!(
        r.fixes[0]
            .snippet
            .contains("http-request return status 200")
    );
}
