//! The exit statuses, defined once: the binary exits with them, and `--help`, the man page
//! and the README's table (checked by a test) describe them from [`STATUSES`] and
//! [`NagiosState::ALL`].

/// What delegcheck exits with (outside `--format nagios`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every server name passes.
    Ok = 0,
    /// At least one does not (or has warnings, under `--strict`).
    Findings = 1,
    /// The command line (or a file it names) is unusable.
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
        cases: Some("bad flag, unreadable file or CA file"),
    },
    ExitStatus {
        exit: Exit::CannotRun,
        meaning: "the check itself could not run (e.g. no resolver configuration), or a verdict is unknown for a reason of the checking host (a dead local resolver, the deadline, no route from here) and no server name fails",
        cases: None,
    },
];

/// The states of the Nagios / Monitoring Plugins API: the exit statuses under
/// `--format nagios`, where anything that stops the check (usage errors included) is
/// [`NagiosState::Unknown`].
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

    #[test]
    fn the_table_is_in_code_order_and_complete() {
        let codes: Vec<u8> = STATUSES.iter().map(|s| s.exit.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
        let codes: Vec<u8> = NagiosState::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
        assert_eq!(nagios_states(), "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN");
    }
}
