//! The Nagios / Monitoring Plugins API: one status line with perfdata, then detail lines;
//! the exit code is the state ([`crate::exit::NagiosState`]).

use std::fmt::Write as _;

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

fn state_of(r: &Report) -> State {
    match r.status {
        Status::Ok => State::Ok,
        Status::Warning => State::Warning,
        Status::Error => State::Critical,
        Status::Unknown => State::Unknown,
    }
}

/// How bad a state is for the summary of several names: a failing server outweighs one
/// that could not be checked.
fn rank(s: State) -> u8 {
    match s {
        State::Ok => 0,
        State::Warning => 1,
        State::Unknown => 2,
        State::Critical => 3,
    }
}

/// Renders the plugin output; returns it with the state.
pub fn render(reports: &[Report]) -> (String, State) {
    let state = reports
        .iter()
        .map(state_of)
        .max_by_key(|s| rank(*s))
        .unwrap_or(State::Unknown);
    let mut text = match reports {
        [r] => {
            let step = r
                .discovery
                .step
                .map(|s| format!(" (step {s})"))
                .unwrap_or_default();
            match state {
                State::Ok => format!("{} would federate{step}", clean(&r.server_name)),
                State::Unknown => format!(
                    "{} not known from here: {}",
                    clean(&r.server_name),
                    r.unknown_reason()
                ),
                State::Warning => format!(
                    "{} would federate{step}, warning: {}",
                    clean(&r.server_name),
                    super::human::headline(r)
                ),
                _ => format!(
                    "{} {}{step}: {}",
                    clean(&r.server_name),
                    r.failure_kind(),
                    super::human::headline(r)
                ),
            }
        }
        _ => {
            let list = |status: Status| -> Vec<String> {
                reports
                    .iter()
                    .filter(|r| r.status == status)
                    .map(|r| format!("{} ({})", clean(&r.server_name), super::human::headline(r)))
                    .collect()
            };
            let (broken, warned) = (list(Status::Error), list(Status::Warning));
            let unknown: Vec<String> = reports
                .iter()
                .filter(|r| r.status == Status::Unknown)
                .map(|r| format!("{} ({})", clean(&r.server_name), r.unknown_reason()))
                .collect();
            let n = reports.len();
            let mut t = if broken.is_empty() {
                format!("all {n} server names pass")
            } else {
                format!("{} of {n} fail: {}", broken.len(), broken.join(", "))
            };
            if !unknown.is_empty() {
                t.push_str(&format!("; not known from here: {}", unknown.join(", ")));
            }
            if !warned.is_empty() {
                t.push_str(&format!("; with warnings: {}", warned.join(", ")));
            }
            t
        }
    };
    text = clean(&text);
    let mut perf = Vec::new();
    for r in reports {
        let prefix = if reports.len() == 1 {
            String::new()
        } else {
            format!("{} ", clean(&r.server_name).replace('\'', ""))
        };
        perf.push(format!(
            "'{prefix}time'={:.3}s;;;0",
            r.timings.total_ms as f64 / 1000.0
        ));
        // The spec's targets only: fallback targets are where some implementations go instead.
        if let Some(days) = r
            .targets
            .iter()
            .filter(|t| !t.fallback)
            .filter_map(|t| t.certificate.as_ref().map(|c| c.days_left))
            .min()
        {
            perf.push(format!(
                "'{prefix}cert_days_left'={days};{}:;1:",
                crate::checks::cert::EXPIRY_WARNING_DAYS
            ));
        }
    }
    let mut o = String::new();
    let _ = writeln!(
        o,
        "DELEGCHECK {} - {text} | {}",
        state.label(),
        perf.join(" ")
    );
    for r in reports {
        for f in r
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
        {
            let _ = writeln!(
                o,
                "{} {}: {}",
                clean(&r.server_name),
                f.code,
                clean(&f.message)
            );
        }
    }
    (o, state)
}
