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

/// The plugin's thresholds, as Monitoring Plugins take them: the certificate's whole days
/// left (WARNING under `cert.warn_days`, CRITICAL under `cert.crit_days`; perfdata ranges
/// `W:` and `C:`) and the check's duration (WARNING or CRITICAL when it took longer; perfdata
/// `W` and `C` in seconds, empty when not set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thresholds {
    /// `--warn-cert-days`, `--crit-cert-days`.
    pub cert: crate::checks::cert::Expiry,
    /// `--warn-duration`.
    pub warn_duration: Option<std::time::Duration>,
    /// `--crit-duration`.
    pub crit_duration: Option<std::time::Duration>,
}

impl Thresholds {
    /// The state one report's measurements give, with what crossed a threshold (clean
    /// text), worst first.
    fn judge(&self, p: &Perf, ms: u64) -> (State, Vec<String>) {
        let mut state = State::Ok;
        let mut notes = Vec::new();
        if let Some(days) = p.cert_days_left {
            let crossed = if days < self.cert.crit_days {
                Some((State::Critical, "critical", self.cert.crit_days))
            } else if days < self.cert.warn_days {
                Some((State::Warning, "warning", self.cert.warn_days))
            } else {
                None
            };
            if let Some((st, word, limit)) = crossed {
                state = state.max(st);
                notes.push(format!(
                    "certificate expires in {days} days ({word} under {limit})"
                ));
            }
        }
        let over =
            |limit: Option<std::time::Duration>| limit.filter(|l| u128::from(ms) > l.as_millis());
        let crossed = match (over(self.crit_duration), over(self.warn_duration)) {
            (Some(c), _) => Some((State::Critical, "critical", c)),
            (None, Some(w)) => Some((State::Warning, "warning", w)),
            _ => None,
        };
        if let Some((st, word, limit)) = crossed {
            state = state.max(st);
            notes.push(format!(
                "check took {}s ({word} over {}s)",
                seconds(u128::from(ms)),
                seconds(limit.as_millis())
            ));
        }
        (state, notes)
    }
}

/// Milliseconds as seconds, without trailing zeros (`1.5`, `10`).
fn seconds(ms: u128) -> String {
    let whole = ms / 1000;
    match ms % 1000 {
        0 => whole.to_string(),
        frac => format!("{whole}.{frac:03}")
            .trim_end_matches('0')
            .to_owned(),
    }
}

/// Renders the plugin output for these reports, as for one server name argument when there
/// is exactly one, else as for a batch; returns it with the state. Default thresholds.
pub fn render(reports: &[Report]) -> (String, State) {
    render_with(reports, Thresholds::default())
}

/// [`render`], with these thresholds.
pub fn render_with(reports: &[Report], thresholds: Thresholds) -> (String, State) {
    let shape = if reports.len() == 1 {
        Shape::One
    } else {
        Shape::Many
    };
    let mut plugin = Plugin::new(shape, thresholds);
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
    thresholds: Thresholds,
    /// `name: what crossed a threshold` of the reports whose measurements raise the state,
    /// and the worst state they raise it to.
    over: Chunks,
    over_state: State,
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
    pub fn new(shape: Shape, thresholds: Thresholds) -> Plugin {
        Plugin {
            thresholds,
            over: Chunks::default(),
            over_state: State::Ok,
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

    /// The state so far: the worst of the reports' ([`State::of`]), raised by the
    /// thresholds: a measurement over its critical threshold is the server's failure
    /// (CRITICAL, over an unknown verdict elsewhere), one over its warning threshold a
    /// WARNING. A string that is not a server name keeps the run UNKNOWN.
    pub fn state(&self) -> State {
        let base = self.tally.nagios();
        if self.tally.not_names > 0 || self.tally.reports == 0 {
            base
        } else if self.over_state == State::Critical {
            State::Critical
        } else if base == State::Unknown {
            base
        } else {
            base.max(self.over_state)
        }
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
        let perf = Perf {
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
        };
        // Measurements of a check that saw the server; an invalid name has none.
        if !invalid && r.status != Status::Unknown {
            let (state, notes) = self.thresholds.judge(&perf, r.timings.total_ms);
            if state > State::Ok {
                self.over_state = self.over_state.max(state);
                let shape = self.shape;
                self.over.push(index, |text| {
                    if shape == Shape::Many {
                        let _ = write!(text, "{name}: ");
                    }
                    text.push_str(&notes.join(", "));
                });
            }
        }
        self.perf.push(perf);
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
            let limit = |d: Option<std::time::Duration>| {
                d.map(|d| seconds(d.as_millis())).unwrap_or_default()
            };
            let mut series = vec![(
                "time",
                format!(
                    "{:.3}s;{};{};0",
                    p.seconds,
                    limit(self.thresholds.warn_duration),
                    limit(self.thresholds.crit_duration)
                ),
            )];
            if let Some(days) = p.cert_days_left {
                series.push((
                    "cert_days_left",
                    format!(
                        "{days};{}:;{}:",
                        self.thresholds.cert.warn_days, self.thresholds.cert.crit_days
                    ),
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
        if self.over.len() > 0 {
            out.write_all(match self.shape {
                Shape::One => b"; ".as_slice(),
                Shape::Many => b"; over thresholds: ".as_slice(),
            })?;
            for (i, piece) in self.over.in_order().enumerate() {
                if i > 0 {
                    out.write_all(b"; ")?;
                }
                out.write_all(piece.as_bytes())?;
            }
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
    let line = federation_line(r, name);
    let client_errors = r
        .findings
        .iter()
        .filter(|f| f.code.is_client() && f.severity == Severity::Error)
        .count();
    match client_errors {
        0 => line,
        1 => format!("{line}; 1 client error"),
        n => format!("{line}; {n} client errors"),
    }
}

/// The status line's verdict on federation.
fn federation_line(r: &Report, name: &str) -> String {
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
        Report::sample(
            name,
            status != Status::Error,
            status,
            codes
                .iter()
                .map(|c| crate::report::Finding::new(*c, format!("{c} here"), c.hint()))
                .collect(),
        )
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

    /// A report that passes, whose check took `ms` and whose one target's certificate has
    /// `days` whole days left.
    fn measured(days: i64, ms: u64) -> Report {
        let mut r = report("m.test", Status::Ok, &[]);
        r.timings.total_ms = ms;
        r.targets = vec![
            serde_json::from_value(serde_json::json!({
                "address": "127.0.0.1:8448", "family": "ipv4", "ok": true, "checks": [],
                "tls": null, "server": null, "keys": null,
                "certificate": {
                    "subject": "", "issuer": "", "names": [], "not_before": "", "not_after": "",
                    "not_after_unix": 0, "days_left": days, "chain_length": 1, "sha256": "",
                    "verified": true, "error": null
                }
            }))
            .unwrap(),
        ];
        r
    }

    #[test]
    fn state_and_perfdata_change_exactly_at_the_thresholds() {
        let t = Thresholds {
            warn_duration: Some(std::time::Duration::from_secs(1)),
            crit_duration: Some(std::time::Duration::from_millis(2500)),
            ..Thresholds::default()
        };
        let run = |days, ms| render_with(&[measured(days, ms)], t);
        for (days, ms, want) in [
            (15, 500, State::Ok),
            (14, 500, State::Ok),
            (13, 500, State::Warning),
            (3, 500, State::Warning),
            (2, 500, State::Critical),
            (-1, 500, State::Critical),
            (30, 1000, State::Ok),
            (30, 1001, State::Warning),
            (30, 2500, State::Warning),
            (30, 2501, State::Critical),
            (13, 2501, State::Critical),
        ] {
            let (text, state) = run(days, ms);
            assert_eq!(state, want, "{days} days, {ms} ms: {text}");
            let line = text.lines().next().unwrap();
            assert!(
                line.starts_with(&format!("DELEGCHECK {} - ", want.label())),
                "{line}"
            );
            let perf = line.split_once(" | ").unwrap().1;
            assert_eq!(
                perf,
                format!(
                    "'time'={}.{:03}s;1;2.5;0 'cert_days_left'={days};14:;3:",
                    ms / 1000,
                    ms % 1000
                )
            );
            assert_eq!(line.contains("over"), ms > 1000, "{line}");
            assert_eq!(line.contains("certificate expires in"), days < 14, "{line}");
        }
        let (text, _) = run(2, 2501);
        assert!(
            text.starts_with("DELEGCHECK CRITICAL - m.test would federate; certificate expires in 2 days (critical under 3), check took 2.501s (critical over 2.5s) | "),
            "{text}"
        );
        // The defaults: no duration thresholds (empty fields), 14 and 3 days.
        let (text, state) = render(&[measured(20, 99_000)]);
        assert_eq!(state, State::Ok);
        assert!(
            text.contains("'time'=99.000s;;;0 'cert_days_left'=20;14:;3:"),
            "{text}"
        );
        // In a batch, who crossed what; an invalid name stays UNKNOWN.
        let mut a = measured(2, 10);
        a.server_name = "a.test".into();
        let (text, state) = render_with(&[a.clone(), measured(20, 10)], t);
        assert_eq!(state, State::Critical);
        assert!(
            text.contains("all 2 server names pass; over thresholds: a.test: certificate expires in 2 days (critical under 3) |"),
            "{text}"
        );
        let url = report("https://x.test/", Status::Error, &[Code::NameHasScheme]);
        assert_eq!(render_with(&[a, url], t).1, State::Unknown);
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
        let mut plugin = Plugin::new(Shape::Many, Thresholds::default());
        for i in [2, 0, 1] {
            plugin.add(i, &reports[i]);
        }
        let mut out = Vec::new();
        plugin.write_to(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), render(&reports).0);
    }
}
