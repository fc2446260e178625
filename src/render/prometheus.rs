//! Prometheus textfile-collector format (node_exporter): HELP and TYPE once per family.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::SpillChunks;

use crate::findings::Severity;
use crate::report::Report;

fn label(s: &str) -> String {
    crate::sanitize::escape(s)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Metric families, as documented in the README.
pub const METRICS: &[(&str, &str)] = &[
    (
        "delegcheck_build_info",
        "The delegcheck that wrote these metrics (label version), always 1.",
    ),
    (
        "delegcheck_probe_success",
        "1 if the check could see the server (whatever its verdict), 0 when its verdict is unknown for a reason of the checking host (dead local resolver, deadline, no route).",
    ),
    (
        "delegcheck_federation_ok",
        "1 if the server name passes (no error finding, and a target that passes every check), else 0; absent when delegcheck_probe_success is 0.",
    ),
    (
        "delegcheck_client_ok",
        "1 if clients can discover the homeserver (no error-level client finding: the client well-known, its base_url, CORS for web clients), else 0; absent with --no-client.",
    ),
    (
        "delegcheck_status",
        "Overall status: 0 ok, 1 warnings, 2 broken, 3 unknown (not known from here).",
    ),
    (
        "delegcheck_decisive_step_info",
        "The spec resolution step that decided (label step), always 1.",
    ),
    ("delegcheck_findings", "Number of findings by severity."),
    (
        "delegcheck_finding",
        "1 for each finding code present (labels code and severity).",
    ),
    (
        "delegcheck_family_ok",
        "1 if federation works over this IP family (at least one of its targets passes every check), else 0; absent when the family has no target.",
    ),
    (
        "delegcheck_targets",
        "Number of target addresses resolution yields.",
    ),
    (
        "delegcheck_target_ok",
        "1 if this target address passes every check, else 0; absent when it could not be checked from here.",
    ),
    (
        "delegcheck_certificate_expiry_timestamp_seconds",
        "notAfter of the certificate presented at the target, Unix time.",
    ),
    (
        "delegcheck_check_duration_seconds",
        "Time the whole check took.",
    ),
    (
        "delegcheck_last_run_timestamp_seconds",
        "When this check ran, Unix time.",
    ),
];

/// The family written once per output, not per report.
const BUILD_INFO: &str = "delegcheck_build_info";

/// Renders every report (see [`Metrics`]).
pub fn render(reports: &[Report], now: i64) -> String {
    let mut metrics = Metrics::new(now);
    for (i, r) in reports.iter().enumerate() {
        metrics.add(i, r);
    }
    let mut out = Vec::new();
    let _ = metrics.write_to(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The metrics, gathered report by report: each metric family's series text, written at the
/// end with HELP and TYPE once per family (the textfile format groups a family's series).
///
/// Every series is unique, as the textfile collector requires (it rejects a file with a
/// duplicate): a server name that comes twice is rendered once, and per-address series cover
/// the spec's targets once per address (fallback targets, which only some implementations
/// use, are left out). Series are written in input order, whatever order reports came in.
#[derive(Debug)]
pub struct Metrics {
    now: i64,
    seen: HashSet<String>,
    families: Vec<SpillChunks>,
}

impl Metrics {
    /// No report yet; `now` is the run's Unix time.
    pub fn new(now: i64) -> Metrics {
        Metrics {
            now,
            seen: HashSet::new(),
            families: METRICS.iter().map(|_| SpillChunks::default()).collect(),
        }
    }

    /// Takes in report `index` (of the input order).
    pub fn add(&mut self, index: usize, r: &Report) {
        if !self.seen.insert(r.server_name.clone()) {
            return;
        }
        for ((name, _), family) in METRICS.iter().zip(&mut self.families) {
            if *name == BUILD_INFO {
                continue;
            }
            family.push(index, |text| series(text, name, r, self.now));
        }
    }

    /// Writes every family: HELP, TYPE, then its series.
    pub fn write_to(self, out: &mut dyn Write) -> io::Result<()> {
        for ((name, help), family) in METRICS.iter().zip(&self.families) {
            writeln!(out, "# HELP {name} {help}")?;
            writeln!(out, "# TYPE {name} gauge")?;
            if *name == BUILD_INFO {
                writeln!(
                    out,
                    "{name}{{version=\"{}\"}} 1",
                    label(env!("CARGO_PKG_VERSION"))
                )?;
            }
            family.write_in_order(out)?;
        }
        Ok(())
    }
}

/// Writes the series of metric family `name` for one report.
fn series(o: &mut String, name: &str, r: &Report, now: i64) {
    let sn = label(&r.server_name);
    let mut addresses = HashSet::new();
    let targets: Vec<&crate::report::TargetReport> = r
        .targets
        .iter()
        .filter(|t| !t.fallback && addresses.insert(t.address.as_str()))
        .collect();
    match name {
        "delegcheck_probe_success" => {
            let seen = r.status != crate::report::Status::Unknown;
            let _ = writeln!(o, "{name}{{server_name=\"{sn}\"}} {}", u8::from(seen));
        }
        "delegcheck_federation_ok" if r.status != crate::report::Status::Unknown => {
            let _ = writeln!(o, "{name}{{server_name=\"{sn}\"}} {}", u8::from(r.ok));
        }
        "delegcheck_client_ok" => {
            if let Some(c) = &r.client {
                let _ = writeln!(o, "{name}{{server_name=\"{sn}\"}} {}", u8::from(c.ok));
            }
        }
        "delegcheck_status" => {
            let v = match r.status {
                crate::report::Status::Ok => 0,
                crate::report::Status::Warning => 1,
                crate::report::Status::Error => 2,
                crate::report::Status::Unknown => 3,
            };
            let _ = writeln!(o, "{name}{{server_name=\"{sn}\"}} {v}");
        }
        "delegcheck_decisive_step_info" => {
            if let Some(step) = &r.discovery.step {
                let _ = writeln!(o, "{name}{{server_name=\"{sn}\",step=\"{step}\"}} 1");
            }
        }
        "delegcheck_findings" => {
            for sev in [Severity::Error, Severity::Warning, Severity::Info] {
                let n = r.findings.iter().filter(|f| f.severity == sev).count();
                let _ = writeln!(
                    o,
                    "{name}{{server_name=\"{sn}\",severity=\"{}\"}} {n}",
                    sev.as_str()
                );
            }
        }
        "delegcheck_family_ok" => {
            for (family, v) in [("ipv4", r.families.ipv4), ("ipv6", r.families.ipv6)] {
                if let Some(v) = v {
                    let _ = writeln!(
                        o,
                        "{name}{{server_name=\"{sn}\",family=\"{family}\"}} {}",
                        u8::from(v)
                    );
                }
            }
        }
        "delegcheck_targets" => {
            let _ = writeln!(
                o,
                "{name}{{server_name=\"{sn}\"}} {}",
                r.discovery.targets.len()
            );
        }
        "delegcheck_target_ok" => {
            // A target not checked from here has no verdict: no series (as for a family).
            for t in targets.iter().filter(|t| t.not_checked.is_none()) {
                let _ = writeln!(
                    o,
                    "{name}{{server_name=\"{sn}\",address=\"{}\"}} {}",
                    label(&t.address),
                    u8::from(t.ok)
                );
            }
        }
        "delegcheck_certificate_expiry_timestamp_seconds" => {
            for t in &targets {
                if let Some(c) = &t.certificate {
                    let _ = writeln!(
                        o,
                        "{name}{{server_name=\"{sn}\",address=\"{}\"}} {}",
                        label(&t.address),
                        c.not_after_unix
                    );
                }
            }
        }
        "delegcheck_finding" => {
            let mut present = HashSet::new();
            for f in &r.findings {
                if present.insert((f.code, f.severity)) {
                    let _ = writeln!(
                        o,
                        "{name}{{server_name=\"{sn}\",code=\"{}\",severity=\"{}\"}} 1",
                        f.code,
                        f.severity.as_str()
                    );
                }
            }
        }
        "delegcheck_check_duration_seconds" => {
            let _ = writeln!(
                o,
                "{name}{{server_name=\"{sn}\"}} {:.3}",
                r.timings.total_ms as f64 / 1000.0
            );
        }
        "delegcheck_last_run_timestamp_seconds" => {
            let _ = writeln!(o, "{name}{{server_name=\"{sn}\"}} {now}");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Code;
    use crate::report::{Finding, Status};

    #[test]
    fn one_finding_series_per_code_and_build_info_once() {
        let finding = |c: Code, at: &str| Finding::plain(c, "here").at_target(at);
        let r = |name: &str| Report {
            schema_version: crate::report::SCHEMA_VERSION.into(),
            checked_at: String::new(),
            tool_version: String::new(),
            server_name: name.into(),
            ok: false,
            status: Status::Error,
            discovery: Default::default(),
            targets: vec![],
            // The same code at two addresses is one series.
            findings: vec![
                finding(Code::TcpRefused, "127.0.0.1:8448"),
                finding(Code::TcpRefused, "[::1]:8448"),
                finding(Code::NoWorkingTarget, "x"),
            ],
            compatibility: vec![],
            families: Default::default(),
            timings: Default::default(),
            changes: vec![],
            web_servers: vec![],
            fixes: vec![],
            client: None,
        };
        let text = render(&[r("a.test"), r("b.test")], 0);
        let lines = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
        assert_eq!(
            lines(
                "delegcheck_finding{server_name=\"a.test\",code=\"tcp-refused\",severity=\"error\"} 1"
            ),
            1,
            "{text}"
        );
        assert_eq!(lines("delegcheck_finding{"), 4, "{text}");
        assert_eq!(lines("delegcheck_build_info{version=\""), 1, "{text}");
        assert_eq!(lines("# TYPE delegcheck_finding gauge"), 1, "{text}");
        assert!(!text.contains("days"), "no days unit: {text}");
    }
}
