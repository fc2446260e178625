//! The command line (clap derive). Also the source of `completions/` and `man/`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  delegcheck example.org
  delegcheck --demo                       # the offline lab: what reports look like
  delegcheck --format json example.org | jq .ok
  delegcheck -f servers.txt --format jsonl --jobs 64
  delegcheck --connect-to example.org:443:203.0.113.9:443 example.org
  delegcheck --explain tls-name-mismatch
  delegcheck --trace example.org 2>trace.txt   # every exchange, for a support thread
  delegcheck serve --listen [::]:8080     # a federation tester, its API and a Prometheus probe
  delegcheck --explain federation-on-443 --fix-for caddy   # the fix, as a Caddyfile snippet";

/// The text after `--help`'s options: the exit statuses (from [`crate::exit`]), then examples.
fn after_help() -> String {
    let mut s = String::from("Exit status:\n");
    for st in crate::exit::STATUSES {
        s.push_str(&format!("  {}  {}", st.exit.code(), st.meaning));
        if let Some(cases) = st.cases {
            s.push_str(&format!(" ({cases})"));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "  With --format nagios: {} (usage errors, invalid server names among them, and verdicts not known from here).\n\n",
        crate::exit::nagios_states()
    ));
    s.push_str(EXAMPLES);
    s
}

/// Diagnose Matrix federation delegation: where other homeservers would connect to
/// SERVER_NAME, whether it works there, and how to fix what does not.
///
/// delegcheck runs the spec's server-name resolution the way a homeserver does (well-known,
/// SRV, A/AAAA), then checks every address it yields: TCP, TLS, the certificate for the name
/// the spec requires, the federation endpoints and the signing keys. Every problem is a
/// finding with a stable code and a fix.
#[derive(Debug, Parser)]
#[command(name = "delegcheck", version, after_help = after_help(), max_term_width = 100)]
pub struct Cli {
    /// Server names to check (the `example.org` of `@alice:example.org`); a name given twice
    /// is checked once.
    #[arg(value_name = "SERVER_NAME")]
    pub names: Vec<String>,

    /// Read server names from a file, one per line (`#` starts a comment; `-` is stdin); at
    /// most 1000000 lines of at most 4096 bytes, or it is a usage error.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human, value_name = "FORMAT")]
    pub format: Format,

    /// When to colour the human report (overrides NO_COLOR, CLICOLOR and CLICOLOR_FORCE);
    /// `always` colours a `-o` file too.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// ASCII only in the human report: OK/FAIL/WARN instead of ✓/✗/! (the default when the
    /// locale, LC_ALL, LC_CTYPE or LANG, is not UTF-8).
    #[arg(long)]
    pub ascii: bool,

    /// Full reports for passing servers too (the whole discovery trace and every check), and
    /// in a batch for every server name, not only for failures.
    #[arg(short, long)]
    pub verbose: bool,

    /// One line per server name: `NAME GOOD`, `NAME WARN codes`, `NAME BAD codes`,
    /// `NAME UNKNOWN reason` or `NAME INVALID` (the human format, shortened; exit codes are
    /// unchanged).
    #[arg(short, long, conflicts_with_all = ["format", "verbose"])]
    pub quiet: bool,

    /// Write the output to PATH (atomically: a temporary file, then a rename).
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Write every exchange to stderr once the check is done, in the order it happened and
    /// with timings: DNS questions and answers with TTLs, TCP connects, TLS handshakes
    /// (version, cipher, ALPN, certificates) and HTTP requests and responses (headers, bodies
    /// cut short); for a support thread.
    #[arg(long)]
    pub trace: bool,

    /// With the trace, each certificate chain as PEM too (implies --trace).
    #[arg(long)]
    pub show_certs: bool,

    /// Ask this DNS server instead of the system's resolver.
    #[arg(global = true, long, value_name = "ADDR[:PORT]", value_parser = parse_resolver, help_heading = "Network")]
    pub resolver: Option<SocketAddr>,

    /// Trust the certificates in this PEM file too (repeatable).
    #[arg(global = true, long = "ca-file", value_name = "PEM", action = ArgAction::Append, help_heading = "Network")]
    pub ca_file: Vec<PathBuf>,

    /// Trust only the --ca-file certificates, not the system's roots.
    #[arg(global = true, long, help_heading = "Network")]
    pub no_system_roots: bool,

    /// Connect to HOST2:PORT2 instead of HOST1:PORT1, keeping names, SNI and Host (curl's
    /// meaning; HOST2 is an address or a host name; empty HOST1 or PORT1 match any; a HOST1
    /// DNS has no address for takes HOST2's; repeatable).
    #[arg(global = true, long = "connect-to", value_name = "HOST1:PORT1:HOST2:PORT2", action = ArgAction::Append, value_parser = checked::<crate::net::ConnectToArg>, help_heading = "Network")]
    pub connect_to: Vec<String>,

    /// Answer HOST's address lookups with ADDR instead of asking DNS, keeping names, SNI and
    /// Host (curl's meaning): checks a server whose records do not exist yet (repeatable).
    #[arg(global = true, long, value_name = "HOST:PORT:ADDR", action = ArgAction::Append, value_parser = checked::<crate::net::Resolve>, help_heading = "Network")]
    pub resolve: Vec<String>,

    /// Connect over IPv4 only, as an IPv4-only server would (DNS is still asked for both
    /// families and shown as answered).
    #[arg(
        global = true,
        short = '4',
        conflicts_with = "ipv6",
        help_heading = "Network"
    )]
    pub ipv4: bool,

    /// Connect over IPv6 only, as an IPv6-only server would (DNS is still asked for both
    /// families and shown as answered).
    #[arg(global = true, short = '6', help_heading = "Network")]
    pub ipv6: bool,

    /// Connect to public addresses only: refuse private, loopback and other special-purpose
    /// addresses from DNS, IP literals and redirects (for hosted and shared use). What is
    /// refused is "not checked", never failed.
    #[arg(global = true, long, help_heading = "Network")]
    pub public_only: bool,

    /// Check federation only: skip client discovery (/.well-known/matrix/client, the client
    /// API behind it, CORS for web clients), which otherwise runs beside it.
    #[arg(long, help_heading = "Network")]
    pub no_client: bool,

    /// Overall deadline per server name (e.g. 10s, 1500ms, 1m; -t as in monitoring plugins).
    #[arg(global = true, short = 't', long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, help_heading = "Network")]
    pub timeout: Duration,

    /// Longest any one network step may take (DNS query, connect, handshake, response);
    /// at most --timeout. Default: 5s, or half of --timeout when that is shorter, so that one
    /// black-holed step leaves time for the steps after it.
    #[arg(global = true, long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Network")]
    pub step_timeout: Option<Duration>,

    /// A certificate with fewer whole days left is `tls-expiring` (Nagios WARNING; the
    /// perfdata's warning range `N:`).
    #[arg(long, value_name = "N", default_value_t = 14, value_parser = clap::value_parser!(i64).range(0..=3650), help_heading = "Monitoring")]
    pub warn_cert_days: i64,

    /// A certificate with fewer whole days left is `tls-expiring-soon` (Nagios CRITICAL; the
    /// perfdata's critical range `N:`). At most --warn-cert-days.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(i64).range(0..=3650), help_heading = "Monitoring")]
    pub crit_cert_days: i64,

    /// Nagios WARNING when the check took longer (perfdata `'time'=…s;W;C;0`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Monitoring")]
    pub warn_duration: Option<Duration>,

    /// Nagios CRITICAL when the check took longer. At least --warn-duration.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Monitoring")]
    pub crit_duration: Option<Duration>,

    /// Fail (exit 1) on warnings too.
    #[arg(long, help_heading = "Batch and CI")]
    pub strict: bool,

    /// Check at most N server names at once.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024), help_heading = "Batch and CI")]
    pub jobs: u16,

    /// Print the long explanation of a finding code (`list` lists them all).
    #[arg(long, value_name = "CODE", value_parser = Candidates(explain_candidates), hide_possible_values = true, help_heading = "Information")]
    pub explain: Option<String>,

    /// Run the built-in offline lab: every scenario, or one by name (`list` lists them).
    #[arg(long, value_name = "SCENARIO", num_args = 0..=1, default_missing_value = "", value_parser = Candidates(demo_candidates), hide_possible_values = true, help_heading = "Information")]
    pub demo: Option<String>,

    /// Print a generated file: the man page, a shell completion script or the report's JSON Schema.
    #[arg(long, value_enum, value_name = "KIND", help_heading = "Information")]
    pub generate: Option<Generate>,

    /// Run as a server instead: `delegcheck serve`.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Compare with a previous run: a report, a JSON array of them or a JSON Lines file, as
    /// --format json/jsonl wrote it (at most 128 MiB). What changed per server name goes in
    /// the report (`changes`; a "Changes" section).
    #[arg(long, value_name = "PREVIOUS.json", help_heading = "Change detection")]
    pub baseline: Option<PathBuf>,

    /// Exit 1 when anything but info changed since the --baseline (not with --format nagios).
    #[arg(long, requires = "baseline", help_heading = "Change detection")]
    pub fail_on_change: bool,

    /// Write the "How to fix" snippets for this software, whatever answered (by default the
    /// one the Server header or error pages identify, nginx when nothing does). With
    /// --explain CODE: the fix's generic form for it.
    #[arg(long, value_enum, value_name = "STACK", help_heading = "Fixes")]
    pub fix_for: Option<crate::fixes::Stack>,

    /// Where the homeserver's plain-HTTP listener is, for the proxy snippets.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8008", value_parser = parse_upstream, help_heading = "Fixes")]
    pub upstream: String,
}

/// `--upstream`: a host (or IP) and a port, safe to write into a configuration file.
pub fn parse_upstream(s: &str) -> Result<String, String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not HOST:PORT"))?;
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    if host.is_empty() || !port_ok || !crate::fixes::safe_value(s) {
        return Err(format!(
            "`{s}` is not HOST:PORT (a host name or IP address, IPv6 in brackets, and a port)"
        ));
    }
    Ok(s.to_owned())
}

/// A free-form value whose likely values feed the shell completions (finding codes after
/// `--explain`, scenario names after `--demo`): any string is accepted here, and the command
/// itself says what is wrong with an unknown one (with suggestions).
#[derive(Clone)]
struct Candidates(fn() -> Vec<&'static str>);

impl clap::builder::TypedValueParser for Candidates {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            (self.0)()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

fn explain_candidates() -> Vec<&'static str> {
    std::iter::once("list")
        .chain(crate::findings::Code::ALL.iter().map(|c| c.as_str()))
        .collect()
}

fn demo_candidates() -> Vec<&'static str> {
    #[cfg(feature = "lab")]
    {
        // Leaked once per completion script: the names live as long as the program.
        let names = crate::lab::scenarios()
            .into_iter()
            .map(|s| &*Box::leak(s.name.into_boxed_str()));
        std::iter::once("list").chain(names).collect()
    }
    #[cfg(not(feature = "lab"))]
    {
        vec!["list"]
    }
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run a self-hosted federation tester: the federation tester's API (/api/report,
    /// /api/federation-ok), delegcheck's JSON report (/api/v1/report), a Prometheus probe
    /// (/probe?target=NAME), the server's metrics (/metrics) and a web page (/). The same
    /// checks as the command line; public addresses only unless --allow-private.
    Serve(ServeArgs),
}

/// `delegcheck serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Listen on this address and port.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Check private, loopback and other non-public addresses too (for an internal
    /// deployment); by default every non-public address is refused with an explanation.
    #[arg(long)]
    pub allow_private: bool,

    /// How long a result is served from the cache (0s: no cache); `refresh=1` bypasses it,
    /// within --refresh-limit.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub cache_ttl: Duration,

    /// Most checks running at once; a request that needs another gets 429 (no queue).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub max_checks: u16,

    /// Most requests answered at once (checks, cache hits, pages); past that, 503.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_requests: u32,

    /// Check requests per minute per client (an IPv4 address or an IPv6 /64); past that,
    /// 429 with Retry-After. 0: no limit.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub rate_limit: u32,

    /// Cache bypasses (`refresh=1`) per minute per client.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub refresh_limit: u32,

    /// Behind a reverse proxy: the header it puts the client's address in (e.g. X-Real-IP,
    /// X-Forwarded-For: only its right-most element counts, and when that is not an address,
    /// the connection's). Only set it when every request comes through that proxy.
    #[arg(long, value_name = "HEADER")]
    pub real_ip_header: Option<String>,

    /// No access-log line per request on stderr.
    #[arg(long)]
    pub no_access_log: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A coloured report for a person.
    Human,
    /// One pretty JSON document: an object for one server name argument, an array for -f or
    /// several names.
    Json,
    /// One compact JSON report per line, streamed as each check completes.
    Jsonl,
    /// Prometheus textfile-collector metrics.
    Prometheus,
    /// A Nagios/Icinga plugin status line with perfdata.
    Nagios,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, honouring NO_COLOR, CLICOLOR and CLICOLOR_FORCE.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl From<ColorChoice> for crate::render::ColorChoice {
    fn from(c: ColorChoice) -> Self {
        match c {
            ColorChoice::Auto => Self::Auto,
            ColorChoice::Always => Self::Always,
            ColorChoice::Never => Self::Never,
        }
    }
}

/// `--generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// The man page (roff).
    Man,
    /// Bash completion.
    CompleteBash,
    /// Zsh completion.
    CompleteZsh,
    /// Fish completion.
    CompleteFish,
    /// Elvish completion.
    CompleteElvish,
    /// PowerShell completion.
    CompletePowershell,
    /// The JSON Schema of the JSON output (one report, or an array of reports).
    Schema,
}

impl Generate {
    /// Every kind, with the path its output is committed at.
    pub const FILES: [(Generate, &'static str); 7] = [
        (Generate::Man, "man/delegcheck.1"),
        (Generate::CompleteBash, "completions/delegcheck.bash"),
        (Generate::CompleteZsh, "completions/_delegcheck"),
        (Generate::CompleteFish, "completions/delegcheck.fish"),
        (Generate::CompleteElvish, "completions/delegcheck.elv"),
        (Generate::CompletePowershell, "completions/_delegcheck.ps1"),
        (Generate::Schema, "schema/report.schema.json"),
    ];
}

/// The text of a generated file: the man page, a completion script, or the report's JSON
/// Schema; all from the definitions in this crate, so they cannot drift (a test compares the
/// committed copies).
pub fn generate(kind: Generate) -> String {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let mut cmd = Cli::command();
    let mut buf: Vec<u8> = Vec::new();
    let shell = match kind {
        Generate::Man => return man_page(cmd),
        Generate::Schema => return crate::render::output_schema(),
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::CompleteElvish => Shell::Elvish,
        Generate::CompletePowershell => Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut cmd, "delegcheck", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Parses `10s`, `1500ms`, `1m`, `2.5s` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| "not a duration (try 10s or 1500ms)".to_owned())?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        other => return Err(format!("unknown unit '{other}' (use ms, s or m)")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= 3600.0) {
        return Err("must be more than 0 and at most 1 hour".to_owned());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses `ADDR`, `ADDR:PORT`, `[V6]:PORT` (port 53 by default).
/// A value that must parse as `T`, kept as given (clap reports a bad one in its own words).
fn checked<T: std::str::FromStr<Err = String>>(s: &str) -> Result<String, String> {
    s.parse::<T>().map(|_| s.to_owned())
}

pub fn parse_resolver(s: &str) -> Result<SocketAddr, String> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| "not an IP address with an optional port".to_owned())
}

/// Text for roff: backslashes and hyphens escaped, Markdown backticks dropped.
fn roff(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('-', "\\-")
        .replace('`', "")
}

/// Sections appended to the generated man page: exit status, finding codes, environment.
/// The synopsis: the ways delegcheck is run, with their values (clap's own lists every flag
/// without its value).
const MAN_SYNOPSIS: &str = ".SH SYNOPSIS
.B delegcheck
[\\fIOPTIONS\\fR] \\fISERVER_NAME\\fR...
.br
.B delegcheck
[\\fIOPTIONS\\fR] \\fB\\-f\\fR \\fIFILE\\fR|\\fB\\-\\fR
.br
.B delegcheck
[\\fINETWORK OPTIONS\\fR] \\fBserve\\fR [\\fB\\-\\-listen\\fR \\fIADDR:PORT\\fR] [\\fISERVE OPTIONS\\fR]
.br
.B delegcheck
\\fB\\-\\-demo\\fR [\\fISCENARIO\\fR|\\fBlist\\fR] [\\fB\\-\\-format\\fR \\fIFORMAT\\fR]
.br
.B delegcheck
\\fB\\-\\-explain\\fR \\fICODE\\fR|\\fBlist\\fR [\\fB\\-\\-fix\\-for\\fR \\fISTACK\\fR]
.br
.B delegcheck
\\fB\\-\\-generate\\fR \\fIKIND\\fR
";

/// The man page: clap's sections (name, description, options grouped as in `--help`), our
/// synopsis, then exit status, examples, finding codes, environment and see also, each once.
fn man_page(cmd: clap::Command) -> String {
    let man = clap_mangen::Man::new(cmd);
    let mut buf: Vec<u8> = Vec::new();
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    buf.extend_from_slice(MAN_SYNOPSIS.as_bytes());
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    let _ = man.render_subcommands_section(&mut buf);
    let _ = man.render_version_section(&mut buf);
    let mut page = String::from_utf8_lossy(&buf).into_owned();
    page.push_str(&man_extra());
    page
}

pub fn man_extra() -> String {
    let mut s = String::new();
    s.push_str(".SH \"EXIT STATUS\"\n");
    for st in crate::exit::STATUSES {
        let text = match st.cases {
            Some(cases) => format!("{}: {cases}", st.meaning),
            None => st.meaning.to_owned(),
        };
        s.push_str(&format!(".TP\n{}\n{}\n", st.exit.code(), roff(&text)));
    }
    s.push_str(&format!(
        ".PP\nWith \\-\\-format nagios: {} (usage errors, invalid server names among them, and verdicts not known from here).\n",
        crate::exit::nagios_states()
    ));
    s.push_str(".SH EXAMPLES\n");
    for line in EXAMPLES.lines().skip(1) {
        let (cmd, note) = match line.trim().split_once("  #") {
            Some((c, n)) => (c.trim(), Some(n.trim())),
            None => (line.trim(), None),
        };
        s.push_str(&format!(".TP\n\\fB{}\\fR\n", roff(cmd)));
        if let Some(n) = note {
            s.push_str(&format!("{}\n", roff(n)));
        }
    }
    s.push_str(".SH \"FINDING CODES\"\nEvery finding has a stable code; \\fBdelegcheck \\-\\-explain CODE\\fR prints the long explanation.\n");
    for c in crate::findings::Code::ALL {
        s.push_str(&format!(
            ".TP\n\\fB{}\\fR ({})\n{}\n",
            c.as_str().replace('-', "\\-"),
            c.severity().as_str(),
            roff(c.title())
        ));
    }
    s.push_str(".SH ENVIRONMENT\n.TP\nNO_COLOR\nnon\\-empty: no colour (unless \\-\\-color always)\n.TP\nCLICOLOR_FORCE\nnon\\-empty and not 0: colour even when not a terminal\n.TP\nCLICOLOR\n0: no colour\n.TP\nCOLUMNS\nthe width the human report is wrapped to (default: the terminal\\(aqs width, or 100 when not a terminal)\n.TP\nTERM\ndumb: no colour\n.TP\nLC_ALL, LC_CTYPE, LANG\nthe first that is set decides: not UTF\\-8 means an ASCII report (as \\-\\-ascii)\n");
    s.push_str(".SH \"SEE ALSO\"\n\\fBcurl\\fR(1) (the meaning of \\-\\-connect\\-to and \\-\\-resolve), \\fBdig\\fR(1); the Matrix server\\-server API, \\(lqResolving server names\\(rq: https://spec.matrix.org/latest/server\\-server\\-api/#resolving\\-server\\-names\n");
    s
}

impl Cli {
    /// The certificate-expiry thresholds, or why they do not go together.
    pub fn expiry(&self) -> Result<crate::checks::cert::Expiry, String> {
        if self.crit_cert_days > self.warn_cert_days {
            return Err(format!(
                "--crit-cert-days {} is more than --warn-cert-days {}",
                self.crit_cert_days, self.warn_cert_days
            ));
        }
        Ok(crate::checks::cert::Expiry {
            warn_days: self.warn_cert_days,
            crit_days: self.crit_cert_days,
        })
    }

    /// The Nagios thresholds, or why they do not go together.
    pub fn thresholds(&self) -> Result<crate::render::nagios::Thresholds, String> {
        if let (Some(w), Some(c)) = (self.warn_duration, self.crit_duration)
            && c < w
        {
            return Err("--crit-duration is shorter than --warn-duration".to_owned());
        }
        Ok(crate::render::nagios::Thresholds {
            cert: self.expiry()?,
            warn_duration: self.warn_duration,
            crit_duration: self.crit_duration,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_states_the_name_list_caps() {
        let help = Cli::command().render_long_help().to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            help.contains(&format!(
                "at most {} lines of at most {} bytes",
                crate::batch::MAX_LINES,
                crate::batch::MAX_LINE_BYTES
            )),
            "{help}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("10h").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("99999s").is_err());
    }

    #[test]
    fn resolvers() {
        assert_eq!(
            parse_resolver("127.0.0.1"),
            Ok("127.0.0.1:53".parse().unwrap())
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353"),
            Ok("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_resolver("[::1]:5353"),
            Ok("[::1]:5353".parse().unwrap())
        );
        assert_eq!(parse_resolver("::1"), Ok("[::1]:53".parse().unwrap()));
        assert!(parse_resolver("dns.example").is_err());
    }
}
