//! The "Changes" section of the human report: what changed since the baseline
//! (`--baseline`), worst first, in the findings' layout.

use std::fmt::Write as _;

use super::Palette;
use super::human::wrap;
use crate::findings::Severity;
use crate::report::{ChangeKind, Report};
use crate::sanitize::escape;

/// Writes the section, when the report has changes.
pub(super) fn section(o: &mut String, r: &Report, p: &Palette) {
    if r.changes.is_empty() {
        return;
    }
    let _ = writeln!(o, "{}", p.bold.style("Changes since the baseline"));
    for c in &r.changes {
        let sev = match c.severity {
            Severity::Error => p.err.style("error  ").to_string(),
            Severity::Warning => p.warn.style("warning").to_string(),
            Severity::Info => p.dim.style("info   ").to_string(),
        };
        let _ = writeln!(o, "  {sev} {}", p.code.style(c.kind.label()));
        let _ = writeln!(o, "          {}", wrap(&escape(&c.message), p.width, 10));
    }
    if r.changes
        .iter()
        .all(|c| c.kind == ChangeKind::NotInBaseline)
    {
        return;
    }
    let significant = r
        .changes
        .iter()
        .filter(|c| c.severity > Severity::Info)
        .count();
    let _ = writeln!(
        o,
        "  {}",
        p.dim.style(match significant {
            0 => "only expected changes (info)".to_owned(),
            n => format!("{n} change(s) beyond info (what --fail-on-change fails on)"),
        })
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Change;

    fn report(changes: Vec<Change>) -> Report {
        let mut r: Report = serde_json::from_value(serde_json::json!({
            "schema_version": "1.1", "server_name": "example.org", "ok": true,
            "status": "ok", "discovery": {"step": null, "delegated_server": null, "steps": [],
            "targets": [], "well_known": null}, "targets": [], "findings": [],
            "compatibility": [], "timings": {"total_ms": 0, "discovery_ms": 0, "targets_ms": 0}
        }))
        .unwrap();
        r.changes = changes;
        r
    }

    fn change(kind: ChangeKind, severity: Severity, message: &str) -> Change {
        Change {
            kind,
            severity,
            message: message.into(),
            before: None,
            after: None,
        }
    }

    #[test]
    fn the_section_lists_each_change_and_says_whether_it_fails_the_run() {
        let p = Palette::plain();
        let mut o = String::new();
        section(&mut o, &report(vec![]), &p);
        assert_eq!(o, "", "no section without changes");
        section(
            &mut o,
            &report(vec![
                change(ChangeKind::KeyRemoved, Severity::Warning, "key gone"),
                change(ChangeKind::CertificateRenewed, Severity::Info, "renewed"),
            ]),
            &p,
        );
        assert_eq!(
            o,
            "Changes since the baseline\n  warning key-removed\n          key gone\n  info    certificate-renewed\n          renewed\n  1 change(s) beyond info (what --fail-on-change fails on)\n"
        );
        let mut o = String::new();
        section(
            &mut o,
            &report(vec![change(
                ChangeKind::CertificateRenewed,
                Severity::Info,
                "renewed",
            )]),
            &p,
        );
        assert!(o.ends_with("  only expected changes (info)\n"), "{o}");
    }
}
