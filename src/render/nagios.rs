//! The Nagios / Monitoring Plugins API: one status line with perfdata, then detail lines;
//! the exit code is the state ([`crate::exit::NagiosState`]).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Chunks, Shape};
use crate::exit::{Tally, is_usage_error};
use crate::findings::Severity;
use crate::report::{Report, Status};
use crate::sanitize::escape;

pub use crate::exit::NagiosState as State;

/// The whole plugin output for a check that could not be made (a usage error included).
pub fn unknown(message: &str) -> String {
    format!("DELEGCHECK {} - {message}\n", State::Unknown.label())
}

/// Text safe for the status line: no newlines, no `|` (the perfdata separator).
fn clean(s: &str) -> String {
    escape(s).replace('|', "/")
}

/// A perfdata label may hold anything but `=` and `'` (the plugin guidelines).
fn label_safe(s: &str) -> String {
    clean(s).replace(['\'', '='], "")
}

/// Renders the plugin output for these reports, as for one server name argument when there
/// is exactly one, else as for a batch; returns it with the state.
pub fn render(reports: &[Report]) -> (String, State) {
    let shape = if reports.len() == 1 {
        Shape::One
    } else {
        Shape::Many
    };
    let mut plugin = Plugin::new(shape);
    for (i, r) in reports.iter().enumerate() {
        plugin.add(i, r);
    }
    let state = plugin.state();
    let mut out = Vec::new();
    let _ = plugin.write_to(&mut out);
    (String::from_utf8(out).unwrap_or_default(), state)
}

/// The plugin output, gathered report by report: what the status line, the perfdata and the
/// detail lines need of each, and no report.
#[derive(Debug)]
pub struct Plugin {
    shape: Shape,
    tally: Tally,
    /// For [`Shape::One`]: the status text of the report.
    one: Option<String>,
    /// `name (first problem)` of the servers that do not pass, that pass with warnings, and
    /// of the strings that are not server names.
    failing: Chunks,
    warned: Chunks,
    not_names: Chunks,
    unknown: Chunks,
    perf: Vec<Perf>,
    details: Chunks,
}

/// One report's perfdata.
#[derive(Debug)]
struct Perf {
    index: usize,
    /// The label's stem (the server name, made label-safe), empty for [`Shape::One`].
    stem: String,
    seconds: f64,
    cert_days_left: Option<i64>,
}

impl Plugin {
    /// No report yet.
    pub fn new(shape: Shape) -> Plugin {
        Plugin {
            shape,
            tally: Tally::default(),
            one: None,
            failing: Chunks::default(),
            warned: Chunks::default(),
            not_names: Chunks::default(),
            unknown: Chunks::default(),
            perf: Vec::new(),
            details: Chunks::default(),
        }
    }

    /// The state so far: the worst of the reports' ([`State::of`]).
    pub fn state(&self) -> State {
        self.tally.nagios()
    }

    /// Takes in report `index` (of the input order).
    pub fn add(&mut self, index: usize, r: &Report) {
        self.tally.add(r);
        let name = clean(&r.server_name);
        let invalid = is_usage_error(r);
        if self.shape == Shape::One && self.one.is_none() {
            self.one = Some(one_line(r, &name, invalid));
        }
        let list = if invalid {
            Some(&mut self.not_names)
        } else {
            match r.status {
                Status::Ok => None,
                Status::Warning => Some(&mut self.warned),
                Status::Error => Some(&mut self.failing),
                Status::Unknown => Some(&mut self.unknown),
            }
        };
        if let Some(list) = list {
            let why = if r.status == Status::Unknown && !invalid {
                r.unknown_reason().to_owned()
            } else {
                super::human::headline(r).to_string()
            };
            list.push(index, |text| {
                let _ = write!(text, "{name} ({why})");
            });
        }
        self.perf.push(Perf {
            index,
            stem: match self.shape {
                Shape::One => String::new(),
                Shape::Many => label_safe(&r.server_name),
            },
            seconds: r.timings.total_ms as f64 / 1000.0,
            // The spec's targets only: fallback targets are where some implementations go
            // instead.
            cert_days_left: r
                .targets
                .iter()
                .filter(|t| !t.fallback)
                .filter_map(|t| t.certificate.as_ref().map(|c| c.days_left))
                .min(),
        });
        self.details.push(index, |details| {
            for f in r
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
            {
                let _ = write!(details, "{name} {}: {}", f.code, clean(&f.message));
                if invalid {
                    // The fix for a mistyped name is the point of the message.
                    let _ = write!(details, " (fix: {})", clean(&f.hint));
                }
                details.push('\n');
            }
        });
    }

    /// Writes the status text of a batch: who fails, who is not a server name, who has
    /// warnings (every piece is already clean).
    fn write_many_line(&self, out: &mut dyn Write) -> io::Result<()> {
        let n = self.tally.reports;
        let list = |out: &mut dyn Write, c: &Chunks| -> io::Result<()> {
            for (i, piece) in c.in_order().enumerate() {
                if i > 0 {
                    out.write_all(b", ")?;
                }
                out.write_all(piece.as_bytes())?;
            }
            Ok(())
        };
        let mut sep = "";
        for (c, what) in [
            (&self.failing, "fail"),
            (&self.not_names, "not a server name"),
            (&self.unknown, "not known from here"),
        ] {
            if c.len() > 0 {
                write!(out, "{sep}{} of {n} {what}: ", c.len())?;
                list(out, c)?;
                sep = "; ";
            }
        }
        if sep.is_empty() {
            write!(out, "all {n} server names pass")?;
        }
        if self.warned.len() > 0 {
            out.write_all(b"; with warnings: ")?;
            list(out, &self.warned)?;
        }
        Ok(())
    }

    /// Writes the perfdata, in input order, every label unique: a label already taken (two
    /// names that read the same once made label-safe, the same name twice) gets `#2`, `#3`…
    /// after its name.
    fn write_perfdata(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.perf.sort_by_key(|p| p.index);
        let mut taken: HashSet<String> = HashSet::new();
        let mut sep = "";
        for p in &self.perf {
            let mut series = vec![("time", format!("{:.3}s;;;0", p.seconds))];
            if let Some(days) = p.cert_days_left {
                series.push((
                    "cert_days_left",
                    format!("{days};{}:;1:", crate::checks::cert::EXPIRY_WARNING_DAYS),
                ));
            }
            let labels = (1..)
                .map(|n| {
                    let stem = match n {
                        1 => p.stem.clone(),
                        n => format!("{}#{n}", p.stem),
                    };
                    series
                        .iter()
                        .map(|(metric, _)| match stem.as_str() {
                            "" => (*metric).to_owned(),
                            stem => format!("{stem} {metric}"),
                        })
                        .collect::<Vec<_>>()
                })
                .find(|labels| labels.iter().all(|l| !taken.contains(l)))
                .unwrap_or_default();
            for (label, (_, value)) in labels.into_iter().zip(&series) {
                write!(out, "{sep}'{label}'={value}")?;
                sep = " ";
                taken.insert(label);
            }
        }
        Ok(())
    }

    /// Writes the plugin output: the status line with the perfdata, then a line for each
    /// warning or error.
    pub fn write_to(mut self, out: &mut dyn Write) -> io::Result<()> {
        write!(out, "DELEGCHECK {} - ", self.state().label())?;
        match self.one.take() {
            Some(text) => out.write_all(text.as_bytes())?,
            None => self.write_many_line(out)?,
        }
        out.write_all(b" | ")?;
        self.write_perfdata(out)?;
        out.write_all(b"\n")?;
        for d in self.details.in_order() {
            out.write_all(d.as_bytes())?;
        }
        Ok(())
    }
}

/// The status text for one report (clean: its parts are).
fn one_line(r: &Report, name: &str, invalid: bool) -> String {
    if invalid {
        return format!("{name} is not a server name: {}", super::human::headline(r));
    }
    let step = r
        .discovery
        .step
        .map(|s| format!(" (step {s})"))
        .unwrap_or_default();
    match State::of(r) {
        State::Ok => format!("{name} would federate{step}"),
        State::Unknown => format!("{name} not known from here: {}", r.unknown_reason()),
        State::Warning => format!(
            "{name} would federate{step}, warning: {}",
            super::human::headline(r)
        ),
        _ => format!(
            "{name} {}{step}: {}",
            r.failure_kind(),
            super::human::headline(r)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Code;

    fn report(name: &str, status: Status, codes: &[Code]) -> Report {
        Report {
            schema_version: crate::report::SCHEMA_VERSION.into(),
            server_name: name.into(),
            ok: status != Status::Error,
            status,
            discovery: Default::default(),
            targets: vec![],
            findings: codes
                .iter()
                .map(|c| crate::report::Finding::new(*c, format!("{c} here"), c.hint()))
                .collect(),
            compatibility: vec![],
            families: Default::default(),
            timings: Default::default(),
            changes: vec![],
        }
    }

    fn labels(output: &str) -> Vec<String> {
        let perf = output.lines().next().unwrap().split_once(" | ").unwrap().1;
        perf.split(" '")
            .map(|s| {
                let s = s.trim_start_matches('\'');
                s.split_once("'=").map_or(s, |(l, _)| l).to_owned()
            })
            .collect()
    }

    #[test]
    fn every_perfdata_label_is_unique() {
        // The same name twice (the demo's scenarios all serve example.test), and names that
        // read the same once quotes and `=` are dropped.
        let reports = [
            report("example.test", Status::Ok, &[]),
            report("example.test", Status::Ok, &[]),
            report("example.test", Status::Ok, &[]),
            report("a'b.test", Status::Error, &[Code::NameInvalid]),
            report("ab.test", Status::Ok, &[]),
            report("a=b.test", Status::Error, &[Code::NameInvalid]),
        ];
        let (text, _) = render(&reports);
        let labels = labels(&text);
        assert_eq!(labels.len(), reports.len(), "{text}");
        let unique: HashSet<&String> = labels.iter().collect();
        assert_eq!(unique.len(), labels.len(), "{labels:?}");
        assert_eq!(
            labels,
            [
                "example.test time",
                "example.test#2 time",
                "example.test#3 time",
                "ab.test time",
                "ab.test#2 time",
                "ab.test#3 time"
            ]
        );
        assert!(labels.iter().all(|l| !l.contains(['=', '\''])));
    }

    #[test]
    fn a_string_that_is_not_a_server_name_is_unknown_not_critical() {
        let url = report("https://x.test/", Status::Error, &[Code::NameHasScheme]);
        let (text, state) = render(std::slice::from_ref(&url));
        assert_eq!(state, State::Unknown);
        assert!(
            text.starts_with(
                "DELEGCHECK UNKNOWN - https://x.test/ is not a server name: name-has-scheme | "
            ),
            "{text}"
        );
        assert!(text.contains("(fix: Drop the"), "the hint is kept: {text}");
        // In a batch it wins over CRITICAL, and is listed apart from the failures.
        let broken = report("down.test", Status::Error, &[Code::TcpRefused]);
        let (text, state) = render(&[broken, url]);
        assert_eq!(state, State::Unknown);
        assert!(
            text.starts_with("DELEGCHECK UNKNOWN - 1 of 2 fail: down.test (tcp-refused); 1 of 2 not a server name: https://x.test/ (name-has-scheme) |"),
            "{text}"
        );
    }

    #[test]
    fn reports_taken_in_any_order_come_out_in_input_order() {
        let reports = [
            report("a.test", Status::Error, &[Code::TcpRefused]),
            report("b.test", Status::Warning, &[Code::DnsNoIpv4]),
            report("c.test", Status::Error, &[Code::TcpTimeout]),
        ];
        let mut plugin = Plugin::new(Shape::Many);
        for i in [2, 0, 1] {
            plugin.add(i, &reports[i]);
        }
        let mut out = Vec::new();
        plugin.write_to(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), render(&reports).0);
    }
}
