//! The exit statuses, defined once: the binary exits with them, and `--help`, the man page
//! and the README's table (checked by a test) describe them from [`STATUSES`] and
//! [`NagiosState::ALL`].

use crate::findings::Code;
use crate::report::{Report, Status};

/// What delegcheck exits with (outside `--format nagios`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every server name passes.
    Ok = 0,
    /// At least one does not (or has warnings, under `--strict`).
    Findings = 1,
    /// The command line (or a file it names) is unusable, or names a string that is not a
    /// server name.
    Usage = 2,
    /// The check could not run, or its result could not be written.
    CannotRun = 3,
}

impl Exit {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

/// One exit status and what it means.
#[derive(Debug, Clone, Copy)]
pub struct ExitStatus {
    /// The status.
    pub exit: Exit,
    /// What it means, as `--help` and the man page say it.
    pub meaning: &'static str,
    /// What falls under it, when the meaning lists cases (`--help` puts them in parentheses,
    /// the man page after a colon).
    pub cases: Option<&'static str>,
}

/// Every exit status, in code order.
pub const STATUSES: [ExitStatus; 4] = [
    ExitStatus {
        exit: Exit::Ok,
        meaning: "every server name passes: no error finding (warnings allowed)",
        cases: None,
    },
    ExitStatus {
        exit: Exit::Findings,
        meaning: "at least one does not pass (or has warnings, with --strict)",
        cases: None,
    },
    ExitStatus {
        exit: Exit::Usage,
        meaning: "usage error",
        cases: Some(
            "bad flag, unreadable or over-long name file, a server name that breaks the grammar (its report is still printed; it wins over exit 1)",
        ),
    },
    ExitStatus {
        exit: Exit::CannotRun,
        meaning: "the check itself could not run (e.g. no resolver configuration, an unreadable or unusable --ca-file: the checking host's trust store), or a verdict is unknown for a reason of the checking host (a dead local resolver, the deadline, no route from here) and no server name fails",
        cases: None,
    },
];

/// The finding codes of a string that is not a server name at all (a URL, a user ID, an
/// unbracketed IPv6 address…): a mistake in the invocation, not a verdict on a server.
const NOT_A_SERVER_NAME: [Code; 8] = [
    Code::NameInvalid,
    Code::NameHasScheme,
    Code::NameHasPath,
    Code::NameHasWhitespace,
    Code::NameUnbracketedIpv6,
    Code::NamePortInvalid,
    Code::NameNonAscii,
    Code::NameIsUserId,
];

/// Is this the report on a string that breaks the server-name grammar? It keeps its report
/// (with the specific hint), but the run is a usage error: exit 2, Nagios UNKNOWN.
pub fn is_usage_error(r: &Report) -> bool {
    r.findings
        .iter()
        .any(|f| NOT_A_SERVER_NAME.contains(&f.code))
}

/// What a run found, for its exit status: gathered report by report, so a batch need not
/// keep its reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Reports counted.
    pub reports: usize,
    /// Reports that do not pass (`ok` false), usage errors included.
    pub broken: usize,
    /// Reports that pass with warnings.
    pub warned: usize,
    /// Strings that are not server names ([`is_usage_error`]).
    pub not_names: usize,
    /// Reports whose verdict is unknown from the checking host (`Status::Unknown`).
    pub unknown: usize,
    /// Reports of servers that fail (`Status::Error`, usage errors aside).
    pub failing: usize,
    /// The worst Nagios state of a report so far.
    pub worst: Option<NagiosState>,
}

impl Tally {
    /// Counts one report.
    pub fn add(&mut self, r: &Report) {
        self.reports += 1;
        self.broken += usize::from(!r.ok);
        let usage = is_usage_error(r);
        self.unknown += usize::from(r.status == Status::Unknown && !usage);
        self.failing += usize::from(r.status == Status::Error && !usage);
        self.warned += usize::from(r.ok && r.status == Status::Warning);
        self.not_names += usize::from(is_usage_error(r));
        self.worst = self.worst.max(Some(NagiosState::of(r)));
    }

    /// The state under `--format nagios`: UNKNOWN for a usage error (or no report); then a
    /// failing server (CRITICAL) outweighs one whose verdict is unknown from here (UNKNOWN),
    /// which outweighs warnings.
    pub fn nagios(&self) -> NagiosState {
        if self.not_names > 0 {
            NagiosState::Unknown
        } else if self.failing > 0 {
            NagiosState::Critical
        } else if self.unknown > 0 {
            NagiosState::Unknown
        } else {
            self.worst.unwrap_or(NagiosState::Unknown)
        }
    }

    /// The exit status outside `--format nagios`: a string that is not a server name makes
    /// the run a usage error whatever the other names gave; then any server that does not
    /// pass (or, with `strict`, has warnings) makes it 1.
    pub fn exit(&self, strict: bool) -> Exit {
        if self.not_names > 0 {
            Exit::Usage
        } else if self.failing > 0 || (strict && self.warned > 0) {
            Exit::Findings
        } else if self.unknown > 0 {
            Exit::CannotRun
        } else {
            Exit::Ok
        }
    }
}

/// The states of the Nagios / Monitoring Plugins API: the exit statuses under
/// `--format nagios`, where anything that stops the check (usage errors included, a string
/// that is not a server name among them) is [`NagiosState::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NagiosState {
    /// 0
    Ok = 0,
    /// 1
    Warning = 1,
    /// 2
    Critical = 2,
    /// 3
    Unknown = 3,
}

impl NagiosState {
    /// The state of one report: a string that is not a server name is UNKNOWN (a mistake in
    /// the monitoring definition says nothing about the server), a server that does not
    /// pass is CRITICAL.
    pub fn of(r: &Report) -> NagiosState {
        if is_usage_error(r) {
            return NagiosState::Unknown;
        }
        match r.status {
            Status::Ok => NagiosState::Ok,
            Status::Warning => NagiosState::Warning,
            Status::Error => NagiosState::Critical,
            Status::Unknown => NagiosState::Unknown,
        }
    }

    /// Every state, in code order.
    pub const ALL: [NagiosState; 4] = [
        NagiosState::Ok,
        NagiosState::Warning,
        NagiosState::Critical,
        NagiosState::Unknown,
    ];

    /// The process exit code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// Its name in the plugin output.
    pub fn label(self) -> &'static str {
        match self {
            NagiosState::Ok => "OK",
            NagiosState::Warning => "WARNING",
            NagiosState::Critical => "CRITICAL",
            NagiosState::Unknown => "UNKNOWN",
        }
    }
}

impl From<NagiosState> for std::process::ExitCode {
    fn from(s: NagiosState) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

/// The Nagios states as `--help` and the man page list them: `0 OK, 1 WARNING, …`.
pub fn nagios_states() -> String {
    NagiosState::ALL
        .iter()
        .map(|s| format!("{} {}", s.code(), s.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;

    #[test]
    fn the_table_is_in_code_order_and_complete() {
        let codes: Vec<u8> = STATUSES.iter().map(|s| s.exit.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
        let codes: Vec<u8> = NagiosState::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
        assert_eq!(nagios_states(), "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN");
    }

    #[test]
    fn the_grammar_errors_are_the_usage_errors() {
        // Every error about the server name itself is a grammar error; the warnings and the
        // info (an IP literal, an explicit port…) are about a valid name.
        for c in Code::ALL {
            let grammar = c.as_str().starts_with("name-") && c.severity() == Severity::Error;
            assert_eq!(NOT_A_SERVER_NAME.contains(c), grammar, "{c}");
        }
    }

    fn report(name: &str, ok: bool, status: Status, codes: &[Code]) -> Report {
        Report::sample(
            name,
            ok,
            status,
            codes
                .iter()
                .map(|c| crate::report::Finding::plain(*c, "x"))
                .collect(),
        )
    }

    /// A verdict not known from here exits 3 (Nagios UNKNOWN), but a failing server, a
    /// warning under `--strict` and a usage error all outweigh it.
    #[test]
    fn an_unknown_verdict_yields_to_what_is_certain() {
        let tally = |rs: &[&Report]| {
            let mut t = Tally::default();
            for r in rs {
                t.add(r);
            }
            t
        };
        let good = report("a.test", true, Status::Ok, &[]);
        let unknown = report("u.test", false, Status::Unknown, &[Code::DnsNoAnswer]);
        let warned = report("w.test", true, Status::Warning, &[Code::DnsNoIpv4]);
        let broken = report("b.test", false, Status::Error, &[Code::TcpRefused]);
        let url = report(
            "https://x.test/",
            false,
            Status::Error,
            &[Code::NameHasScheme],
        );

        let t = tally(&[&good, &unknown]);
        assert_eq!(
            (t.exit(false), t.nagios()),
            (Exit::CannotRun, NagiosState::Unknown)
        );
        let t = tally(&[&unknown, &warned]);
        assert_eq!(t.exit(false), Exit::CannotRun);
        assert_eq!(
            t.exit(true),
            Exit::Findings,
            "--strict: the warning is certain"
        );
        assert_eq!(t.nagios(), NagiosState::Unknown);
        let t = tally(&[&unknown, &broken]);
        assert_eq!(
            (t.exit(false), t.nagios()),
            (Exit::Findings, NagiosState::Critical)
        );
        let t = tally(&[&unknown, &broken, &url]);
        assert_eq!(
            (t.exit(false), t.nagios()),
            (Exit::Usage, NagiosState::Unknown)
        );
    }

    #[test]
    fn a_string_that_is_not_a_server_name_wins_as_a_usage_error() {
        let good = report("a.test", true, Status::Ok, &[]);
        let warned = report("b.test", true, Status::Warning, &[Code::DnsNoIpv6]);
        let broken = report("c.test", false, Status::Error, &[Code::TcpRefused]);
        let url = report(
            "https://d.test/",
            false,
            Status::Error,
            &[Code::NameHasScheme],
        );
        let tally = |rs: &[&Report]| {
            let mut t = Tally::default();
            rs.iter().for_each(|r| t.add(r));
            t
        };
        assert_eq!(tally(&[&good]).exit(true), Exit::Ok);
        assert_eq!(tally(&[&good, &warned]).exit(false), Exit::Ok);
        assert_eq!(tally(&[&good, &warned]).exit(true), Exit::Findings);
        assert_eq!(tally(&[&good, &broken]).exit(false), Exit::Findings);
        assert_eq!(tally(&[&url]).exit(false), Exit::Usage);
        assert_eq!(tally(&[&good, &broken, &url]).exit(false), Exit::Usage);
        assert!(is_usage_error(&url) && !is_usage_error(&broken));
        assert_eq!(tally(&[&good, &warned]).nagios(), NagiosState::Warning);
        assert_eq!(tally(&[&warned, &broken]).nagios(), NagiosState::Critical);
        assert_eq!(tally(&[&url, &broken]).nagios(), NagiosState::Unknown);
        assert_eq!(tally(&[]).nagios(), NagiosState::Unknown);
        // A valid name with a name warning is not a usage error.
        let upper = report("A.test", true, Status::Warning, &[Code::NameUppercase]);
        assert!(!is_usage_error(&upper));
    }
}
