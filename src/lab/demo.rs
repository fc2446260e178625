//! `--demo`: the lab, shown to a person. Every demo scenario starts its own lab and runs
//! through the real pipeline at once; the result is a table, or one scenario's full report.

use std::fmt::Write;

use futures_util::StreamExt;

use super::{LabOptions, Scenario};
use crate::Report;
use crate::net::trace::Tracer;
use crate::render::Palette;
use crate::sanitize::escape;

/// What `--demo [ARG]` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `--demo`: every demo scenario, as a table.
    All,
    /// `--demo list`.
    List,
    /// `--demo NAME`: one scenario's full report.
    One(String),
}

impl Request {
    /// From the flag's value (`""` when given without one).
    pub fn parse(arg: &str) -> Request {
        match arg {
            "" | "all" => Request::All,
            "list" => Request::List,
            name => Request::One(name.to_owned()),
        }
    }
}

/// Finds a scenario by name; the error lists near names.
pub fn find(name: &str) -> Result<Scenario, String> {
    let all = super::scenarios();
    if let Some(s) = all.iter().find(|s| s.name == name) {
        return Ok(s.clone());
    }
    let words: Vec<&str> = name.split('-').filter(|w| w.len() > 2).collect();
    let near: Vec<&str> = all
        .iter()
        .filter(|s| words.iter().any(|w| s.name.contains(w)))
        .map(|s| s.name.as_str())
        .take(8)
        .collect();
    let near = if near.is_empty() {
        String::new()
    } else {
        format!(" (similar: {})", near.join(", "))
    };
    Err(format!(
        "no lab scenario '{}'{near}; 'delegcheck --demo list' lists them",
        escape(name)
    ))
}

/// `--demo list`: every scenario with its one-line summary; demo ones first.
pub fn list() -> String {
    let all = super::scenarios();
    let w = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut o = String::new();
    for (title, demo) in [
        ("Shown by `delegcheck --demo`:", true),
        ("Also available (the test suite's edge cases):", false),
    ] {
        let _ = writeln!(o, "{title}");
        for s in all.iter().filter(|s| s.demo == demo) {
            let _ = writeln!(o, "  {:<w$}  {}", s.name, s.summary);
        }
        o.push('\n');
    }
    o.push_str("Run one with `delegcheck --demo NAME` (any --format).\n");
    o
}

/// The scenarios `--demo` shows.
pub fn demo_scenarios() -> Vec<Scenario> {
    super::scenarios().into_iter().filter(|s| s.demo).collect()
}

/// Splits scenarios into those this machine can run and the names of those it cannot (IPv6
/// scenarios where loopback has no `::1`, as in some containers).
pub fn runnable(scenarios: Vec<Scenario>, ipv6: bool) -> (Vec<Scenario>, Vec<String>) {
    let (run, skip): (Vec<Scenario>, Vec<Scenario>) =
        scenarios.into_iter().partition(|s| ipv6 || !s.needs_ipv6());
    (run, skip.into_iter().map(|s| s.name).collect())
}

/// Runs scenarios concurrently, each in its own lab; results in input order. A lab that
/// cannot start (no loopback address, say) is an error for that scenario only.
pub async fn run_all(scenarios: &[Scenario], opts: LabOptions) -> Vec<Result<Report, String>> {
    run_all_traced(scenarios, opts, Tracer::default()).await
}

/// [`run_all`], recording every exchange in `trace` (`--demo NAME --trace`).
pub async fn run_all_traced(
    scenarios: &[Scenario],
    opts: LabOptions,
    trace: Tracer,
) -> Vec<Result<Report, String>> {
    let trace = &trace;
    let mut out: Vec<(usize, Result<Report, String>)> =
        futures_util::stream::iter(scenarios.iter().enumerate())
            .map(|(i, s)| async move {
                let tune = |c: &mut crate::net::Config| c.trace = trace.clone();
                (i, super::run(s, opts, tune).await)
            })
            .buffer_unordered(16)
            .collect()
            .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// The demo table: one row per scenario (verdict, decisive step, main finding), the
/// scenarios' one-line summaries, and a line for any scenario that did not come out as it
/// declares (the demo doubles as a self-test). Returns the text and whether all matched.
pub fn table(
    scenarios: &[Scenario],
    results: &[Result<Report, String>],
    skipped: &[String],
    p: &Palette,
) -> (String, bool) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (s, r) in scenarios.iter().zip(results) {
        match r {
            Ok(report) => {
                let diff = s.expect.mismatches(report);
                if !diff.is_empty() {
                    problems.push(format!("{}: {}", s.name, diff.join("; ")));
                }
                rows.push((s.name.clone(), report));
            }
            Err(e) => problems.push(format!("{}: the lab did not start: {e}", s.name)),
        }
    }
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        p.bold.style(
            "delegcheck lab: real DNS, TLS and HTTP on loopback, one fake federation per scenario"
        )
    );
    o.push('\n');
    o.push_str(&crate::render::human::summary_table("scenario", &rows, p));
    o.push('\n');
    let w = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in scenarios {
        let _ = writeln!(
            o,
            "{}",
            p.dim.style(format!("{:<w$}  {}", s.name, s.summary))
        );
    }
    o.push('\n');
    if !skipped.is_empty() {
        let _ = writeln!(
            o,
            "Skipped (this machine has no IPv6 on loopback): {}",
            skipped.join(", ")
        );
    }
    if problems.is_empty() {
        let _ = writeln!(
            o,
            "Every scenario came out as it declares. Full report: delegcheck --demo NAME"
        );
    } else {
        for line in &problems {
            let _ = writeln!(o, "{} {}", p.err.style("unexpected:"), escape(line));
        }
    }
    (o, problems.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(Request::parse(""), Request::All);
        assert_eq!(Request::parse("list"), Request::List);
        assert_eq!(
            Request::parse("srv-delegation"),
            Request::One("srv-delegation".into())
        );
    }

    #[test]
    fn unknown_scenario_suggests_near_names() {
        let e = find("srv-delegations").unwrap_err();
        assert!(e.contains("srv-delegation"), "{e}");
        assert!(find("srv-delegation").is_ok());
        let e = find("\x1b[31mx").unwrap_err();
        assert!(!e.contains('\x1b'), "{e}");
    }

    #[test]
    fn ipv6_scenarios_are_skipped_without_ipv6() {
        let all = demo_scenarios();
        let (run, skipped) = runnable(all.clone(), false);
        assert!(skipped.contains(&"dual-stack".to_owned()), "{skipped:?}");
        assert!(skipped.contains(&"ipv6-not-listening".to_owned()));
        assert!(run.iter().all(|s| !s.needs_ipv6()));
        assert_eq!(run.len() + skipped.len(), all.len());
        let (run, skipped) = runnable(all.clone(), true);
        assert!(skipped.is_empty());
        assert_eq!(run.len(), all.len());
    }

    #[test]
    fn list_names_every_scenario() {
        let l = list();
        for s in super::super::scenarios() {
            assert!(l.contains(&s.name), "{}", s.name);
        }
    }

    #[test]
    fn demo_has_the_guide_setups_and_ten_misconfigurations() {
        let demo = demo_scenarios();
        let healthy = demo
            .iter()
            // Federation healthy: the guide's setups have no client well-known, which is a
            // client finding of its own.
            .filter(|s| s.expect.ok && s.expect.codes.iter().all(|c| c.is_client()))
            .count();
        let broken = demo.len() - healthy;
        assert!(healthy >= 5, "{healthy} healthy demo scenarios");
        assert!(broken >= 10, "{broken} misconfiguration demo scenarios");
        let clients = demo.iter().filter(|s| s.expect.client.is_some()).count();
        assert!(clients >= 3, "{clients} client-discovery demo scenarios");
    }
}
