//! Wiring only: parse arguments → build the network configuration → run the checks
//! (concurrently, each under its deadline) → render → exit code. Whatever stops the run
//! before a verdict is a [`Failure`], reported in one place ([`fail`]).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use delegcheck::batch::{self, Outcome};
use delegcheck::cli::{Cli, Format};
use delegcheck::exit::{Exit, NagiosState};
use delegcheck::findings::Code;
use delegcheck::net::trace::Tracer;
use delegcheck::net::{Config, ConnectToArg, IpFamilies, Net};
use delegcheck::render::{self, ColorEnv, Palette, Shape, Writer};

/// Why delegcheck stops without a verdict.
#[derive(Debug)]
enum Failure {
    /// clap rejected the command line (clap words the message).
    Args(clap::Error),
    /// The command line parsed but asks for what cannot be done: no server name, an unknown
    /// finding code or scenario, flags that do not go together.
    Usage(String),
    /// A file the command line names cannot be used: the names file.
    Input(String),
    /// The check could not run: no async runtime, no network setup (an unusable `--ca-file`
    /// among them), a lab that did not start.
    CannotRun(String),
    /// The output could not be written: `-o PATH`, or stdout while streaming.
    Output(String),
    /// Stdout failed while the result was being written to it; nothing more is said.
    Stdout,
}

impl Failure {
    fn exit(&self) -> Exit {
        match self {
            Failure::Args(_) | Failure::Usage(_) | Failure::Input(_) => Exit::Usage,
            Failure::CannotRun(_) | Failure::Output(_) | Failure::Stdout => Exit::CannotRun,
        }
    }
}

/// Reports a failure; the one place that does. Under `--format nagios` it is the plugin's
/// UNKNOWN line on stdout (usage errors included), otherwise a line on stderr.
fn fail(failure: Failure, nagios: bool) -> ExitCode {
    if nagios {
        let message = match &failure {
            Failure::Args(e) => Some(
                e.to_string()
                    .lines()
                    .next()
                    .unwrap_or("usage error")
                    .trim_start_matches("error: ")
                    .to_owned(),
            ),
            Failure::Usage(m) | Failure::Input(m) | Failure::CannotRun(m) | Failure::Output(m) => {
                Some(m.clone())
            }
            Failure::Stdout => None,
        };
        if let Some(message) = message {
            out_text(&render::nagios::unknown(&message));
        }
        return NagiosState::Unknown.into();
    }
    match &failure {
        Failure::Args(e) => {
            let _ = e.print();
        }
        // One style with clap's own errors: `error: ` first, a usage error points to --help.
        Failure::Usage(m) => err_text(&format!(
            "error: {m}\n\nFor more information, try '--help'.\n"
        )),
        Failure::Input(m) | Failure::Output(m) => err_text(&format!("error: {m}\n")),
        Failure::CannotRun(m) => err_text(&format!("error: cannot run: {m}\n")),
        Failure::Stdout => {}
    }
    failure.exit().into()
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(
                e.kind(),
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return Exit::Ok.into();
            }
            // Unparsed, the format is only known from the raw arguments.
            let nagios = raw
                .windows(2)
                .any(|w| w[0] == "--format" && w[1] == "nagios")
                || raw.iter().any(|a| a == "--format=nagios");
            return fail(Failure::Args(e), nagios);
        }
    };
    run(&cli).unwrap_or_else(|failure| fail(failure, cli.format == Format::Nagios))
}

/// Everything after parsing: the generated files, `--explain`, `--demo`, or the checks.
fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    if let Some(kind) = cli.generate {
        emit(&delegcheck::cli::generate(kind))?;
        return Ok(Exit::Ok.into());
    }
    if let Some(code) = &cli.explain {
        emit(&explain(code, cli.fix_for).map_err(Failure::Usage)?)?;
        return Ok(Exit::Ok.into());
    }
    let config = build_config(cli)?;
    if let Some(delegcheck::cli::Command::Serve(args)) = &cli.command {
        return serve(cli, args, config);
    }
    let changes = Changes::open(cli)?;
    if let Some(arg) = &cli.demo {
        return demo(cli, arg, &changes);
    }
    let names = server_names(cli)?;
    let shape = Shape::of_invocation(cli.names.len(), cli.file.is_some());
    let runtime = runtime()?;
    let net = runtime.block_on(network(cli, config))?;
    let mut output = Output::open(cli)?;
    let progress = names.len() > 5 && std::io::stderr().is_terminal();
    let result = runtime.block_on(batch::run(
        &names,
        cli.jobs as usize,
        |name| changes.check(&net, name),
        writer(cli, shape),
        output.out(),
        |done| {
            if progress {
                err_text(&format!("\r\x1b[2Kchecked {done}/{}", names.len()));
            }
        },
    ));
    if progress {
        err_text("\r\x1b[2K");
    }
    err_text(&net.config.trace.text());
    conclude(cli, output, result, &changes)
}

/// `--trace` / `--show-certs`: a tracer that records, else one that is off.
fn tracer(cli: &Cli) -> Tracer {
    if cli.trace || cli.show_certs {
        Tracer::on(cli.show_certs)
    } else {
        Tracer::default()
    }
}

/// `delegcheck serve`: the same checks behind HTTP until SIGTERM or Ctrl-C, then a drain
/// (requests in flight finish, each within its deadline).
fn serve(
    cli: &Cli,
    args: &delegcheck::cli::ServeArgs,
    mut config: Config,
) -> Result<ExitCode, Failure> {
    if args.allow_private && cli.public_only {
        return Err(Failure::Usage(
            "--allow-private and --public-only contradict each other".into(),
        ));
    }
    if !cli.names.is_empty() || cli.file.is_some() || cli.demo.is_some() {
        return Err(Failure::Usage(
            "serve takes its server names from requests, not from the command line".into(),
        ));
    }
    if cli.trace || cli.show_certs {
        return Err(Failure::Usage(
            "--trace and --show-certs are for one check on the command line, not for serve".into(),
        ));
    }
    config.public_only = !args.allow_private;
    let opts = delegcheck::serve::ServeOptions {
        cache_ttl: args.cache_ttl,
        max_checks: args.max_checks.into(),
        max_requests: args.max_requests as usize,
        rate_per_minute: args.rate_limit,
        refresh_per_minute: args.refresh_limit,
        real_ip_header: args.real_ip_header.clone(),
        access_log: !args.no_access_log,
        header_timeout: delegcheck::serve::HEADER_TIMEOUT,
    };
    let header_timeout = opts.header_timeout;
    let public_only = config.public_only;
    let drain = delegcheck::serve::request_deadline(&config);
    runtime()?.block_on(async {
        // `--connect-to` rules to host names are resolved once, as for a check.
        config.connect_to = network(cli, config.clone()).await?.config.connect_to;
        let app =
            delegcheck::serve::app(opts, config).map_err(|e| Failure::CannotRun(e.to_string()))?;
        let listener = delegcheck::serve::bind(args.listen)
            .map_err(|e| Failure::CannotRun(format!("cannot listen on {}: {e}", args.listen)))?;
        err_text(&format!(
            "delegcheck serve: listening on http://{}/ ({})\n",
            listener.local_addr().unwrap_or(args.listen),
            if public_only {
                "public addresses only"
            } else {
                "private addresses allowed"
            }
        ));
        let stop = delegcheck::serve::termination();
        let drained = delegcheck::serve::serve_until(listener, app, stop, drain, header_timeout)
            .await
            .map_err(|e| Failure::CannotRun(e.to_string()))?;
        if drained == delegcheck::serve::Drained::CutShort {
            err_text("delegcheck serve: connections still open after the drain's time; closed\n");
        }
        err_text("delegcheck serve: stopped\n");
        Ok(Exit::Ok.into())
    })
}

/// The writer of the chosen format.
fn writer(cli: &Cli, shape: Shape) -> Writer {
    match cli.format {
        Format::Human if cli.quiet => Writer::quiet(),
        Format::Human => Writer::human(shape, palette(cli), cli.verbose),
        Format::Json => Writer::json(shape),
        Format::Jsonl => Writer::jsonl(),
        Format::Prometheus => Writer::prometheus(delegcheck::time::now()),
        // Checked in build_config, before anything runs.
        Format::Nagios => Writer::nagios(shape, cli.thresholds().unwrap_or_default()),
    }
}

/// Puts the output in place and turns the outcome into the exit status: the plugin state
/// under `--format nagios`, else the verdict, where a string that is not a server name makes
/// the run a usage error (its report was written all the same). A closed stdout (`| head`)
/// ends quietly, with the verdict on what was checked.
fn conclude(
    cli: &Cli,
    output: Output,
    result: std::io::Result<Outcome>,
    changes: &Changes,
) -> Result<ExitCode, Failure> {
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => return Err(output.failed(e)),
    };
    output.commit()?;
    let tally = outcome.tally;
    if cli.format == Format::Nagios {
        return Ok(outcome.nagios.unwrap_or_else(|| tally.nagios()).into());
    }
    if tally.not_names > 0 {
        err_text(&match tally.reports {
            1 => "error: not a server name; its report says why\n".to_owned(),
            n => format!(
                "error: {} of {n} names are not server names; their reports say why\n",
                tally.not_names
            ),
        });
    }
    Ok(changes.exit(tally.exit(cli.strict)).into())
}

/// Where the result goes: stdout, or `-o PATH` through a temporary file in the same
/// directory that is renamed into place once everything is written (as the textfile
/// collector needs).
enum Output {
    Stdout(std::io::StdoutLock<'static>),
    File {
        path: PathBuf,
        tmp: PathBuf,
        file: std::io::BufWriter<std::fs::File>,
    },
}

impl Output {
    fn open(cli: &Cli) -> Result<Output, Failure> {
        let Some(path) = &cli.output else {
            return Ok(Output::Stdout(std::io::stdout().lock()));
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = std::fs::File::create(&tmp)
            .map_err(|e| Failure::Output(format!("cannot write {}: {e}", path.display())))?;
        Ok(Output::File {
            path: path.clone(),
            tmp,
            file: std::io::BufWriter::new(file),
        })
    }

    fn out(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(out) => out,
            Output::File { file, .. } => file,
        }
    }

    /// Writing failed: no partial file is left behind.
    fn failed(self, e: std::io::Error) -> Failure {
        match self {
            Output::Stdout(_) => Failure::Output(format!("cannot write to stdout: {e}")),
            Output::File { path, tmp, file } => {
                drop(file);
                let _ = std::fs::remove_file(&tmp);
                Failure::Output(format!("cannot write {}: {e}", path.display()))
            }
        }
    }

    /// Everything is written: the file takes its place.
    fn commit(self) -> Result<(), Failure> {
        let Output::File { path, tmp, file } = self else {
            return Ok(());
        };
        let done = file
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .and_then(|()| std::fs::rename(&tmp, &path));
        done.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Failure::Output(format!("cannot write {}: {e}", path.display()))
        })
    }
}

/// The async runtime (for the checks and for the lab).
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::CannotRun(format!("cannot start the async runtime: {e}")))
}

/// The names given as arguments, then those read from `-f FILE` (`-` is stdin), each once.
/// The file is read as a stream under caps (see [`batch::read_names`]): an endless stream or
/// an over-long line is a usage error at once.
fn server_names(cli: &Cli) -> Result<Vec<String>, Failure> {
    // `delegcheck example.org serve`: clap takes a subcommand only first, so `serve` here
    // would be looked up as a server name (a single label no homeserver has).
    if cli.names.iter().skip(1).any(|n| n == "serve") {
        return Err(Failure::Usage(
            "'serve' is a subcommand and comes first: 'delegcheck [OPTIONS] serve [SERVE OPTIONS]'"
                .into(),
        ));
    }
    let mut names = cli.names.clone();
    if let Some(path) = &cli.file {
        let (source, read) = if path.as_os_str() == "-" {
            (
                "stdin".to_owned(),
                batch::read_names(std::io::stdin().lock()),
            )
        } else {
            let file = std::fs::File::open(path)
                .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
            (
                path.display().to_string(),
                batch::read_names(std::io::BufReader::new(file)),
            )
        };
        names.extend(
            read.map_err(|e| {
                Failure::Input(format!("cannot read server names from {source}: {e}"))
            })?,
        );
    }
    let names = batch::dedupe(names);
    if names.is_empty() {
        return Err(Failure::Usage(
            "no server name given (try 'delegcheck example.org', '-f FILE' or '--demo')".into(),
        ));
    }
    Ok(names)
}

/// `--demo`: the table of every demo scenario (human format; exit 0 when every scenario came
/// out as it declares), or their reports in the other formats, or one scenario's report.
#[cfg(feature = "lab")]
fn demo(cli: &Cli, arg: &str, changes: &Changes) -> Result<ExitCode, Failure> {
    use delegcheck::lab::{self, LabOptions, demo};
    refuse_flags_the_lab_ignores(cli)?;
    let mut skipped = Vec::new();
    let scenarios = match demo::Request::parse(arg) {
        demo::Request::List => {
            emit(&demo::list())?;
            return Ok(Exit::Ok.into());
        }
        demo::Request::All => {
            let (run, skip) = demo::runnable(demo::demo_scenarios(), lab::ipv6_loopback());
            skipped = skip;
            run
        }
        demo::Request::One(name) => vec![demo::find(&name).map_err(Failure::Usage)?],
    };
    let runtime = runtime()?;
    let opts = LabOptions {
        cert_expiry: cli.expiry().map_err(Failure::Usage)?,
        fix_for: cli.fix_for,
        ..LabOptions::default()
    };
    let trace = tracer(cli);
    let results = runtime.block_on(demo::run_all_traced(&scenarios, opts, trace.clone()));
    err_text(&trace.text());
    if arg.is_empty() && cli.format == Format::Human && !cli.quiet {
        let (text, all_as_declared) = demo::table(&scenarios, &results, &skipped, &palette(cli));
        emit(&text)?;
        return Ok(if all_as_declared {
            Exit::Ok
        } else {
            Exit::Findings
        }
        .into());
    }
    let reports = scenarios
        .iter()
        .zip(results)
        .map(|(s, r)| {
            r.map(|r| changes.apply(r)).map_err(|e| {
                Failure::CannotRun(format!("the lab for {} did not start: {e}", s.name))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let shape = if arg.is_empty() {
        Shape::Many
    } else {
        Shape::One
    };
    let mut output = Output::open(cli)?;
    let result = batch::write_all(reports, writer(cli, shape), output.out());
    conclude(cli, output, result, changes)
}

#[cfg(not(feature = "lab"))]
fn demo(_cli: &Cli, _arg: &str, _changes: &Changes) -> Result<ExitCode, Failure> {
    Err(Failure::Usage(
        "this build has no lab (built without the 'lab' feature)".into(),
    ))
}

/// The lab is its own network: flags that point elsewhere would be silently ignored.
#[cfg(feature = "lab")]
fn refuse_flags_the_lab_ignores(cli: &Cli) -> Result<(), Failure> {
    let foreign = [
        (cli.resolver.is_some(), "--resolver"),
        (!cli.ca_file.is_empty(), "--ca-file"),
        (cli.no_system_roots, "--no-system-roots"),
        (!cli.connect_to.is_empty(), "--connect-to"),
        (!cli.resolve.is_empty(), "--resolve"),
        (cli.ipv4, "-4"),
        (cli.ipv6, "-6"),
        (cli.public_only, "--public-only"),
        (cli.no_client, "--no-client"),
        (!cli.names.is_empty(), "server names"),
        (cli.file.is_some(), "--file"),
        (
            cli.upstream != delegcheck::fixes::FixOptions::default().upstream,
            "--upstream",
        ),
    ];
    let given: Vec<&str> = foreign
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| *f)
        .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "--demo runs on its own lab network; {} do(es) not apply to it (to try the real flags on a scenario, run 'cargo run --example lab-serve -- SCENARIO')",
        given.join(", ")
    )))
}

fn palette(cli: &Cli) -> Palette {
    // `--color always` colours a -o file too; `auto` only a terminal.
    let color = render::use_color(
        cli.color.into(),
        &ColorEnv::from_process(),
        std::io::stdout().is_terminal() && cli.output.is_none(),
    );
    let palette = if color {
        Palette::pretty()
    } else {
        Palette::plain()
    };
    let locale = |k: &str| std::env::var(k).ok();
    let utf8 = render::utf8_locale(locale("LC_ALL"), locale("LC_CTYPE"), locale("LANG"));
    palette
        .with_width(report_width(cli))
        .with_ascii(cli.ascii || !utf8)
        .with_full(cli.verbose)
}

/// The human report's width: `COLUMNS` when set, else the terminal's width when stdout is
/// one (and no `-o` file), else 100.
fn report_width(cli: &Cli) -> usize {
    let terminal = (cli.output.is_none() && std::io::stdout().is_terminal())
        .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .flatten();
    render::human::width_from(std::env::var("COLUMNS").ok().as_deref(), terminal)
}

/// Writes to stdout, ignoring a closed pipe (never panics, unlike `println!`).
fn out_text(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// Writes to stderr, ignoring errors (never panics, unlike `eprintln!`).
fn err_text(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}

/// Writes the result to stdout; a closed pipe ends the program quietly.
fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(_) => Err(Failure::Stdout),
    }
}

/// The `--connect-to` rules as given (destinations may be host names).
fn connect_to_args(cli: &Cli) -> Result<Vec<ConnectToArg>, Failure> {
    cli.connect_to
        .iter()
        .map(|s| {
            s.parse::<ConnectToArg>()
                .map_err(|e| Failure::Usage(format!("--connect-to: {e}")))
        })
        .collect()
}

/// The network, with `--connect-to` rules to host names resolved (curl's meaning).
async fn network(cli: &Cli, config: Config) -> Result<Net, Failure> {
    let cannot = |e: delegcheck::net::SetupError| Failure::CannotRun(e.to_string());
    let net = Net::new(config.clone()).map_err(cannot)?;
    let args = connect_to_args(cli)?;
    if args.iter().all(|a| a.as_rule().is_some()) {
        return Ok(net);
    }
    let connect_to = net.resolve_connect_to(&args).await.map_err(cannot)?;
    Net::new(Config {
        connect_to,
        ..config
    })
    .map_err(cannot)
}

fn build_config(cli: &Cli) -> Result<Config, Failure> {
    cli.thresholds().map_err(Failure::Usage)?;
    let mut extra_roots = Vec::new();
    for path in &cli.ca_file {
        // The checking host's trust store, not a usage mistake: the check cannot run.
        extra_roots.extend(read_ca_file(path).map_err(Failure::CannotRun)?);
    }
    if cli.no_system_roots && extra_roots.is_empty() {
        return Err(Failure::Usage(
            "--no-system-roots needs at least one --ca-file".into(),
        ));
    }
    // Rules to a host name are resolved once the network is set up (see `network`).
    let connect_to = connect_to_args(cli)?
        .iter()
        .filter_map(ConnectToArg::as_rule)
        .collect();
    let resolve = cli
        .resolve
        .iter()
        .map(|s| {
            s.parse::<delegcheck::net::Resolve>()
                .map_err(|e| Failure::Usage(format!("--resolve: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Config {
        resolver: cli.resolver,
        resolve,
        extra_roots,
        system_roots: !cli.no_system_roots,
        connect_to,
        families: match (cli.ipv4, cli.ipv6) {
            (true, _) => IpFamilies::V4Only,
            (_, true) => IpFamilies::V6Only,
            _ => IpFamilies::Both,
        },
        timeout: cli.timeout,
        step_timeout: cli
            .step_timeout
            .unwrap_or_else(|| delegcheck::net::default_step_timeout(cli.timeout))
            .min(cli.timeout),
        public_only: cli.public_only,
        cert_expiry: cli.expiry().map_err(Failure::Usage)?,
        trace: tracer(cli),
        fixes: delegcheck::fixes::FixOptions {
            stack: cli.fix_for,
            upstream: cli.upstream.clone(),
            ..Default::default()
        },
        client: !cli.no_client,
        ..Config::default()
    })
}

/// The certificates of one `--ca-file`: PEM, at least one, each usable as a trust root.
fn read_ca_file(path: &Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(path)
        .map_err(|e| format!("cannot read --ca-file {}: {e}", path.display()))?;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--ca-file {} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("--ca-file {} has no certificate", path.display()));
    }
    let mut probe = rustls::RootCertStore::empty();
    for c in &certs {
        probe.add(c.clone()).map_err(|e| {
            format!(
                "--ca-file {}: a certificate is not usable as a trust root: {e}",
                path.display()
            )
        })?;
    }
    Ok(certs)
}

fn explain(code: &str, fix_for: Option<delegcheck::fixes::Stack>) -> Result<String, String> {
    if code == "list" {
        let mut s = String::new();
        for c in Code::ALL {
            s.push_str(&format!(
                "{:<32} {:<8} {}\n",
                c.as_str(),
                c.severity().as_str(),
                c.title()
            ));
        }
        return Ok(s);
    }
    let c = Code::lookup(code).map_err(|near| {
        let hint = match near.as_slice() {
            [] => String::new(),
            [one] => format!("; did you mean '{}'?", one.as_str()),
            more => format!(
                "; did you mean one of {}?",
                more.iter()
                    .map(|c| format!("'{}'", c.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "unknown finding code '{}'{hint} (see 'delegcheck --explain list')",
            delegcheck::sanitize::escape(code)
        )
    })?;
    let mut text = format!(
        "{} ({})\n{}\n\n{}\n\nFix: {}\n",
        c.as_str(),
        c.severity().as_str(),
        c.title(),
        render::human::wrap(c.explanation(), 80, 0),
        render::human::wrap(c.hint(), 80, 5)
    );
    if let Some(stack) = fix_for {
        text.push_str(&render::fixes::generic(c, stack, &render::Palette::plain()));
    }
    Ok(text)
}

/// `--baseline` and `--fail-on-change`: the previous reports, compared with each new one as
/// it is made, and whether anything but info changed.
struct Changes {
    baseline: Option<delegcheck::baseline::Baseline>,
    fail_on_change: bool,
    changed: std::sync::atomic::AtomicBool,
}

impl Changes {
    /// Reads the baseline file (capped at [`delegcheck::baseline::MAX_BYTES`]): unreadable,
    /// too large or not a report is a usage error that names the path.
    fn open(cli: &Cli) -> Result<Changes, Failure> {
        use std::io::Read;
        if cli.fail_on_change && cli.format == Format::Nagios {
            return Err(Failure::Usage(
                "--fail-on-change does not apply to --format nagios (the plugin state is the servers' health)".into(),
            ));
        }
        let mut changes = Changes {
            baseline: None,
            fail_on_change: cli.fail_on_change,
            changed: false.into(),
        };
        let Some(path) = &cli.baseline else {
            return Ok(changes);
        };
        let cannot =
            |e: String| Failure::Input(format!("cannot read --baseline {}: {e}", path.display()));
        let max = delegcheck::baseline::MAX_BYTES;
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
            .map_err(|e| cannot(e.to_string()))?;
        if bytes.len() as u64 > max {
            return Err(cannot(format!("larger than {} MiB", max >> 20)));
        }
        let text = String::from_utf8(bytes).map_err(|_| cannot("not UTF-8 text".into()))?;
        let baseline = delegcheck::baseline::parse(&text).map_err(|e| {
            Failure::Input(format!(
                "--baseline {} is not a delegcheck report: {e}",
                path.display()
            ))
        })?;
        changes.baseline = Some(baseline);
        Ok(changes)
    }

    /// The report with what changed since the baseline.
    fn apply(&self, mut report: delegcheck::Report) -> delegcheck::Report {
        if let Some(b) = &self.baseline {
            b.annotate(&mut report);
            if report
                .changes
                .iter()
                .any(|c| c.severity > delegcheck::findings::Severity::Info)
            {
                self.changed
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        report
    }

    async fn check(&self, net: &Net, name: &str) -> delegcheck::Report {
        self.apply(delegcheck::engine::check(net, name).await)
    }

    /// `--fail-on-change`: a run that would pass fails when anything but info changed.
    fn exit(&self, exit: Exit) -> Exit {
        if exit == Exit::Ok
            && self.fail_on_change
            && self.changed.load(std::sync::atomic::Ordering::Relaxed)
        {
            Exit::Findings
        } else {
            exit
        }
    }
}
