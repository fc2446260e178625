//! The Prometheus output passes the ecosystem's own linter, `promtool check metrics` (from
//! Debian's `prometheus` package, which `.ci/run` installs), for the report of every lab
//! scenario and for all of them as one batch. Without promtool the test says so and skips on
//! a developer machine; under `CI=true` it fails.

use std::io::Write;
use std::process::{Command, Stdio};

use delegcheck::lab::{self, LabOptions};
use delegcheck::render::prometheus;

/// `promtool check metrics` on `text`: its complaints, empty when it accepts the text.
fn promtool(text: &str) -> String {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && said.trim().is_empty() {
        String::new()
    } else {
        format!("exit {:?}: {}", out.status.code(), said.trim())
    }
}

fn have_promtool() -> bool {
    Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn promtool_accepts_the_metrics_of_every_lab_scenario() {
    if !have_promtool() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "promtool is required in CI (apt-get install prometheus; .ci/run does)"
        );
        // Straight to stderr: the test harness would swallow eprintln! of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED promtool_accepts_the_metrics_of_every_lab_scenario: no promtool \
             on PATH (apt-get install --no-install-recommends prometheus) ***\n"
        );
        return;
    }
    // The linter itself: it must reject what the issue reported, or its silence proves nothing.
    assert!(
        !promtool("# HELP x_days_left d\n# TYPE x_days_left gauge\nx_days_left 3\n").is_empty(),
        "promtool accepts a days unit"
    );
    let scenarios = lab::scenarios();
    let results = lab::demo::run_all(&scenarios, LabOptions::default()).await;
    let mut complaints = Vec::new();
    let mut all = Vec::new();
    for (s, r) in scenarios.iter().zip(results) {
        let mut r = r.unwrap_or_else(|e| panic!("{}: lab failed: {e}", s.name));
        let text = prometheus::render(std::slice::from_ref(&r), 1_800_000_000);
        assert!(text.contains("delegcheck_build_info{version=\""), "{text}");
        let said = promtool(&text);
        if !said.is_empty() {
            complaints.push(format!("{}: {said}\n{text}", s.name));
        }
        r.server_name = format!("{}.test", s.name);
        all.push(r);
    }
    let text = prometheus::render(&all, 1_800_000_000);
    let said = promtool(&text);
    if !said.is_empty() {
        complaints.push(format!("the batch of every scenario: {said}"));
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n\n"));
}
