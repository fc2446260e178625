//! Snapshots of every renderer on real lab reports (run with `cargo insta review` or
//! `INSTA_UPDATE=always` after an intended change). Values that change from run to run
//! (the time of the check, durations, certificate dates and fingerprints, key expiry) are scrubbed first.

use delegcheck::Report;
use delegcheck::lab::{self, LabOptions};
use delegcheck::render::{self, Palette};

fn scrub(r: &mut Report) {
    assert!(
        r.checked_at.len() == 20 && r.checked_at.ends_with('Z'),
        "checked_at is RFC 3339 UTC: {}",
        r.checked_at
    );
    r.checked_at = "<checked_at>".into();
    r.timings = Default::default();
    for s in &mut r.discovery.steps {
        s.duration_ms = None;
    }
    for t in &mut r.targets {
        for c in &mut t.checks {
            c.duration_ms = None;
        }
        if let Some(c) = &mut t.certificate {
            c.not_before = "<not_before>".into();
            c.not_after = "<not_after>".into();
            c.not_after_unix = 0;
            c.sha256 = "<sha256>".into();
        }
        if let Some(k) = &mut t.keys {
            k.valid_until_ts = Some(0);
        }
    }
    if let Some(c) = &mut r.client {
        for s in &mut c.steps {
            s.duration_ms = None;
        }
        for h in &mut c.hosts {
            if let Some(c) = &mut h.certificate {
                c.not_before = "<not_before>".into();
                c.not_after = "<not_after>".into();
                c.not_after_unix = 0;
                c.sha256 = "<sha256>".into();
            }
        }
    }
}

async fn report(name: &str) -> Report {
    let s = lab::scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap();
    let mut r = lab::run(&s, LabOptions::default(), |_| {}).await.unwrap();
    scrub(&mut r);
    r
}

const NAMES: [&str; 5] = [
    "well-known-port-443",
    "proxy-not-routing",
    "ipv6-not-listening",
    "srv-servfail",
    "well-known-is-html",
];

#[tokio::test]
async fn human_reports() {
    for name in NAMES {
        let r = report(name).await;
        let text = render::human::report(&r, &Palette::plain());
        assert!(!text.contains('\x1b'), "the plain palette has no escapes");
        insta::assert_snapshot!(format!("human-{name}"), text);
    }
}

/// The face of the tool: a passing, a warning and a failing server at 80 and 120 columns, in
/// colour with UTF-8 marks and in ASCII without colour (escapes shown as `\e`).
#[tokio::test]
async fn human_faces_at_80_and_120_columns() {
    for (kind, name) in [
        ("pass", "client-healthy"),
        ("warn", "ipv6-not-listening"),
        ("fail", "proxy-not-routing"),
    ] {
        let r = report(name).await;
        let want = match kind {
            "pass" => delegcheck::report::Status::Ok,
            "warn" => delegcheck::report::Status::Warning,
            _ => delegcheck::report::Status::Error,
        };
        assert_eq!(r.status, want, "{name} is the {kind} example");
        for width in [80, 120] {
            for (style, palette) in [
                ("colour", Palette::pretty()),
                ("ascii", Palette::plain().with_ascii(true)),
            ] {
                let text = render::human::report(&r, &palette.with_width(width));
                if style == "ascii" {
                    assert!(text.is_ascii(), "{name} {width}: {text}");
                } else {
                    assert!(text.contains('\x1b'), "{name} {width}: no colour");
                }
                let shown = text.replace('\x1b', "\\e");
                insta::assert_snapshot!(format!("face-{kind}-{width}-{style}"), shown);
            }
        }
    }
}

/// Client discovery: healthy, blocked for web clients only, and a base_url browsers block.
const CLIENT_NAMES: [&str; 3] = [
    "client-healthy",
    "client-cors-missing-well-known",
    "client-base-url-http",
];

#[tokio::test]
async fn human_client_reports() {
    for name in CLIENT_NAMES {
        let r = report(name).await;
        for (full, tag) in [(false, "short"), (true, "full")] {
            let p = Palette {
                full,
                ..Palette::plain()
            };
            insta::assert_snapshot!(format!("human-{name}-{tag}"), render::human::report(&r, &p));
        }
    }
}

#[tokio::test]
async fn json_reports() {
    for name in ["well-known-port-443", "proxy-not-routing", "client-healthy"] {
        let r = report(name).await;
        insta::assert_snapshot!(format!("json-{name}"), render::json_object(&r));
    }
}

#[tokio::test]
async fn batch_formats() {
    let mut reports = Vec::new();
    for name in NAMES {
        reports.push(report(name).await);
    }
    // The lab names every server example.test; make them distinct as a batch would be.
    for (r, name) in reports.iter_mut().zip(NAMES) {
        r.server_name = format!("{name}.test");
    }
    insta::assert_snapshot!(
        "summary",
        render::human::batch(&reports, &Palette::plain(), false)
    );
    let prom = render::prometheus::render(&reports, 1_800_000_000);
    insta::assert_snapshot!("prometheus", prom);
    // The textfile collector rejects a file with a duplicate series: a name given twice and
    // a fallback target (srv-servfail has one) must not produce one.
    let mut twice = reports.clone();
    twice.push(reports[0].clone());
    // Two targets on one address (two SRV host names resolving to it) count once.
    let again = twice[0].targets[0].clone();
    twice[0].targets.push(again);
    let text = render::prometheus::render(&twice, 1_800_000_000);
    let mut series = std::collections::HashSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let key = line.rsplit_once(' ').map(|(k, _)| k).unwrap_or(line);
        assert!(series.insert(key.to_owned()), "duplicate series {key}");
    }
    let (nagios, state) = render::nagios::render(&reports);
    insta::assert_snapshot!("nagios", format!("exit {}\n{nagios}", state as u8));
    let one = render::nagios::render(&reports[..1]);
    insta::assert_snapshot!("nagios-ok", format!("exit {}\n{}", one.1 as u8, one.0));
}
