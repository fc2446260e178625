//! `--baseline` and `--fail-on-change` end to end: the binary checks a lab scenario (through
//! `--demo`, its own loopback lab), then again against a baseline written from that first run
//! and edited as the next day might differ (a renewed certificate; a signing key that was
//! there and is gone without `old_verify_keys`).

use assert_cmd::Command;

const SCENARIO: &str = "srv-delegation";

fn bin() -> Command {
    let mut c = Command::cargo_bin("delegcheck").unwrap();
    for v in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"] {
        c.env_remove(v);
    }
    c
}

/// A fresh directory of this test's own under the system's temporary directory.
fn tempdir(test: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("delegcheck-baseline-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = bin().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The first run's JSON report, with every certificate made an older one (another
/// fingerprint, notAfter 30 days earlier), and `extra_key` among the key ids if given.
fn baseline(dir: &std::path::Path, extra_key: Option<&str>) -> String {
    let (code, out, err) = run(&["--demo", SCENARIO, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let mut r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(r.get("changes").is_none(), "no changes without --baseline");
    for t in r["targets"].as_array_mut().unwrap() {
        let c = &mut t["certificate"];
        let earlier = c["not_after_unix"].as_i64().unwrap() - 30 * 86_400;
        c["not_after_unix"] = earlier.into();
        c["not_after"] = delegcheck::time::rfc3339(earlier).into();
        c["sha256"] = "00".repeat(32).into();
        if let Some(k) = extra_key {
            t["keys"]["key_ids"].as_array_mut().unwrap().push(k.into());
        }
    }
    let path = dir.join(format!("base-{}.json", extra_key.is_some()));
    std::fs::write(&path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn changes(out: &str) -> Vec<(String, String)> {
    let r: serde_json::Value = serde_json::from_str(out).unwrap();
    r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_renewal_passes_and_a_dropped_key_fails_under_fail_on_change() {
    let dir = tempdir("renewal");
    let pair = |k: &str, s: &str| (k.to_owned(), s.to_owned());

    // Only a renewal since the baseline: info, and the run passes even with --fail-on-change.
    let renewed = baseline(dir.as_path(), None);
    let args = [
        "--demo",
        SCENARIO,
        "--baseline",
        &renewed,
        "--format",
        "json",
    ];
    let (code, out, err) = run(&[&args[..], &["--fail-on-change"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(changes(&out), [pair("certificate_renewed", "info")]);

    // A key that was there is gone, and not in old_verify_keys: a warning.
    let dropped = baseline(dir.as_path(), Some("ed25519:gone"));
    let args = ["--demo", SCENARIO, "--baseline", &dropped];
    let json = [&args[..], &["--format", "json"]].concat();
    let (code, out, err) = run(&json);
    assert_eq!(
        code, 0,
        "without --fail-on-change the verdict decides: {err}"
    );
    assert_eq!(
        changes(&out),
        [
            pair("key_removed", "warning"),
            pair("certificate_renewed", "info")
        ]
    );
    let (code, _, _) = run(&[&json[..], &["--fail-on-change"]].concat());
    assert_eq!(code, 1);
    // The published schema takes the changes, and rejects a severity it does not know.
    let schema: serde_json::Value = serde_json::from_str(&delegcheck::cli::generate(
        delegcheck::cli::Generate::Schema,
    ))
    .unwrap();
    let schema = jsonschema::validator_for(&schema).unwrap();
    let mut report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(schema.is_valid(&report));
    report["changes"][0]["severity"] = "fatal".into();
    assert!(!schema.is_valid(&report));
    // JSON Lines carry them too; the human report has its section.
    let (_, out, _) = run(&[&args[..], &["--format", "jsonl"]].concat());
    assert_eq!(changes(out.trim_end()).len(), 2);
    let (code, out, _) = run(&[&args[..], &["--fail-on-change"]].concat());
    assert_eq!(code, 1);
    let section = &out[out.find("Changes since the baseline\n").expect(&out)..];
    assert!(section.contains("warning key-removed"), "{section}");
    assert!(section.contains("ed25519:gone"), "{section}");
    assert!(section.contains("info    certificate-renewed"), "{section}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unusable_baseline_is_a_usage_error_naming_the_path() {
    let dir = tempdir("unusable");
    let missing = dir.as_path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let (code, _, err) = run(&["--demo", SCENARIO, "--baseline", missing]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("cannot read --baseline {missing}")),
        "{err}"
    );

    let names = dir.as_path().join("servers.txt");
    std::fs::write(&names, "example.org\n").unwrap();
    let names = names.to_str().unwrap();
    let (code, _, err) = run(&["--demo", SCENARIO, "--baseline", names]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("--baseline {names} is not a delegcheck report")),
        "{err}"
    );

    // Under the plugin API a usage error is UNKNOWN, on stdout.
    let (code, out, _) = run(&["--format", "nagios", "--baseline", names, "example.org"]);
    assert_eq!(code, 3);
    assert!(out.starts_with("DELEGCHECK UNKNOWN - --baseline"), "{out}");
    // --fail-on-change needs --baseline.
    let (code, _, _) = run(&["--fail-on-change", "example.org"]);
    assert_eq!(code, 2);
    let _ = std::fs::remove_dir_all(&dir);
}
