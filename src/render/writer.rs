//! Output as a batch goes: each finished report is written at once, or reduced to what its
//! format still has to print, and dropped. What stays in memory per format:
//!
//! - `jsonl`: nothing (one line per report, in completion order);
//! - `json`: nothing here; the input order costs a reorder buffer of at most `--jobs`
//!   finished reports, held by the runner ([`crate::Order::Input`]);
//! - `human`: one summary-table row per name (full reports are written in input order, as
//!   for `json`);
//! - `prometheus`, `nagios`: their output text, which is written at the end (metric families
//!   are grouped, the Nagios status line comes first).

use std::io::{self, Write};

use super::human::{self, SummaryRow};
use super::{Palette, nagios, prometheus};
use crate::Order;
use crate::report::Report;

/// The shape of the output, decided by the invocation and never by how many names remain:
/// one report for exactly one server name argument; a batch (a JSON array, a summary table,
/// a perfdata label per name) for `-f`/stdin or several names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Exactly one server name argument.
    One,
    /// `-f`/stdin, or several server names.
    Many,
}

impl Shape {
    /// The shape of an invocation with `arguments` server names and, or not, a name file.
    pub fn of_invocation(arguments: usize, file: bool) -> Shape {
        if arguments == 1 && !file {
            Shape::One
        } else {
            Shape::Many
        }
    }
}

/// Writes reports in one format as they arrive ([`Writer::write`]), then whatever the format
/// ends with ([`Writer::finish`]).
#[derive(Debug)]
pub struct Writer {
    kind: Kind,
    written: usize,
}

#[derive(Debug)]
enum Kind {
    Human {
        palette: Palette,
        verbose: bool,
        shape: Shape,
        rows: Vec<SummaryRow>,
    },
    Quiet,
    Json(Shape),
    Jsonl,
    Prometheus(Box<prometheus::Metrics>),
    Nagios(Box<nagios::Plugin>),
}

impl Writer {
    fn new(kind: Kind) -> Writer {
        Writer { kind, written: 0 }
    }

    /// The report for a person: one full report, or for a batch the full reports of the
    /// servers that do not pass (all with `verbose`) and then a summary table.
    pub fn human(shape: Shape, palette: Palette, verbose: bool) -> Writer {
        Writer::new(Kind::Human {
            palette,
            verbose,
            shape,
            rows: Vec::new(),
        })
    }

    /// `--quiet`: one line per report ([`human::quiet_line`]), in input order.
    pub fn quiet() -> Writer {
        Writer::new(Kind::Quiet)
    }

    /// Pretty JSON: an object, or an array for a batch.
    pub fn json(shape: Shape) -> Writer {
        Writer::new(Kind::Json(shape))
    }

    /// One compact JSON report per line.
    pub fn jsonl() -> Writer {
        Writer::new(Kind::Jsonl)
    }

    /// Prometheus textfile metrics, stamped `now` (Unix time).
    pub fn prometheus(now: i64) -> Writer {
        Writer::new(Kind::Prometheus(Box::new(prometheus::Metrics::new(now))))
    }

    /// The Nagios plugin output, under these thresholds.
    pub fn nagios(shape: Shape, thresholds: nagios::Thresholds) -> Writer {
        Writer::new(Kind::Nagios(Box::new(nagios::Plugin::new(
            shape, thresholds,
        ))))
    }

    /// The order reports must arrive in: the input order for the formats that write reports
    /// whole as they go and promise that order (`json`, `human`); any order otherwise.
    pub fn order(&self) -> Order {
        match self.kind {
            Kind::Human { .. } | Kind::Quiet | Kind::Json(_) => Order::Input,
            Kind::Jsonl | Kind::Prometheus(_) | Kind::Nagios(_) => Order::Completion,
        }
    }

    /// The Nagios state so far, for the Nagios format ([`nagios::Plugin::state`]).
    pub fn nagios_state(&self) -> Option<crate::exit::NagiosState> {
        match &self.kind {
            Kind::Nagios(plugin) => Some(plugin.state()),
            _ => None,
        }
    }

    /// Takes report `index` (of the input order): writes it, or keeps what the format
    /// still needs of it.
    pub fn write(&mut self, index: usize, report: Report, out: &mut dyn Write) -> io::Result<()> {
        let first = self.written == 0;
        self.written += 1;
        match &mut self.kind {
            Kind::Human {
                palette,
                verbose,
                shape,
                rows,
            } => {
                if *shape == Shape::One {
                    return out.write_all(human::report(&report, palette).as_bytes());
                }
                rows.push(SummaryRow::new(
                    crate::sanitize::escape(&report.server_name),
                    &report,
                ));
                if *verbose || !report.ok {
                    let mut text = human::report(&report, palette);
                    text.push('\n');
                    out.write_all(text.as_bytes())?;
                }
                Ok(())
            }
            Kind::Quiet => out.write_all(human::quiet_line(&report).as_bytes()),
            Kind::Json(Shape::One) => out.write_all(super::json_object(&report).as_bytes()),
            Kind::Json(Shape::Many) => {
                out.write_all(if first { b"[\n" } else { b",\n" })?;
                out.write_all(super::json_element(&report).as_bytes())
            }
            Kind::Jsonl => out.write_all(super::jsonl(&report).as_bytes()),
            Kind::Prometheus(metrics) => {
                metrics.add(index, &report);
                Ok(())
            }
            Kind::Nagios(plugin) => {
                plugin.add(index, &report);
                Ok(())
            }
        }
    }

    /// Writes what comes after the last report: the summary table, the closing bracket, the
    /// metrics, the plugin output.
    pub fn finish(self, out: &mut dyn Write) -> io::Result<()> {
        match self.kind {
            Kind::Human {
                palette,
                shape: Shape::Many,
                rows,
                ..
            } => out.write_all(human::summary_rows("server", &rows, &palette).as_bytes()),
            Kind::Human { .. } | Kind::Quiet | Kind::Json(Shape::One) | Kind::Jsonl => Ok(()),
            Kind::Json(Shape::Many) => {
                out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })
            }
            Kind::Prometheus(metrics) => metrics.write_to(out),
            Kind::Nagios(plugin) => plugin.write_to(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str) -> Report {
        Report {
            schema_version: crate::report::SCHEMA_VERSION.into(),
            checked_at: String::new(),
            tool_version: String::new(),
            server_name: name.into(),
            ok: false,
            status: crate::report::Status::Error,
            discovery: Default::default(),
            targets: vec![],
            findings: vec![crate::report::Finding::new(
                crate::findings::Code::NoTargets,
                "nowhere \u{202e} \"to\" go",
                "x",
            )],
            compatibility: vec![],
            families: Default::default(),
            timings: Default::default(),
            changes: vec![],
            web_servers: vec![],
            fixes: vec![],
            client: None,
        }
    }

    #[test]
    fn the_streamed_array_is_the_pretty_array() {
        for n in [0, 1, 3] {
            let reports: Vec<Report> = (0..n).map(|i| report(&format!("s{i}.test"))).collect();
            let mut whole = serde_json::to_string_pretty(&reports).unwrap();
            whole.push('\n');
            assert_eq!(
                super::super::json_array(&reports),
                crate::sanitize::json_safe(whole),
                "{n} reports"
            );
        }
    }

    #[test]
    fn the_shape_follows_the_invocation() {
        assert_eq!(Shape::of_invocation(1, false), Shape::One);
        assert_eq!(Shape::of_invocation(1, true), Shape::Many);
        assert_eq!(Shape::of_invocation(2, false), Shape::Many);
        assert_eq!(Shape::of_invocation(0, true), Shape::Many);
    }
}
