//! Wiring only: parse arguments → build the network configuration → run the checks
//! (concurrently, each under its deadline) → render → exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use delegcheck::cli::{Cli, Format};
use delegcheck::findings::Code;
use delegcheck::net::{Config, ConnectTo, IpFamilies, Net};
use delegcheck::render::{self, ColorEnv, Palette};
use delegcheck::report::{Report, Status};

/// Exit codes (README, man page).
mod exits {
    /// Every server name passes (no error finding).
    pub const OK: u8 = 0;
    /// At least one would not (or has warnings, with --strict).
    pub const FINDINGS: u8 = 1;
    /// Usage error.
    pub const USAGE: u8 = 2;
    /// The check could not run.
    pub const CANNOT_RUN: u8 = 3;
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().collect();
    let nagios = raw
        .windows(2)
        .any(|w| w[0] == "--format" && w[1] == "nagios")
        || raw.iter().any(|a| a == "--format=nagios");
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(
                e.kind(),
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if nagios {
                let first = e
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("usage error")
                    .to_owned();
                out_text(&format!(
                    "DELEGCHECK UNKNOWN - {}\n",
                    first.trim_start_matches("error: ")
                ));
                return ExitCode::from(3);
            }
            let _ = e.print();
            return ExitCode::from(exits::USAGE);
        }
    };
    let usage_code = if cli.format == Format::Nagios {
        3
    } else {
        exits::USAGE
    };
    let usage = |msg: String| -> ExitCode {
        if cli.format == Format::Nagios {
            out_text(&format!("DELEGCHECK UNKNOWN - {msg}\n"));
        } else {
            err_text(&format!("delegcheck: error: {msg}\n"));
        }
        ExitCode::from(usage_code)
    };

    if let Some(kind) = cli.generate {
        return emit(&delegcheck::cli::generate(kind), exits::OK);
    }
    if let Some(code) = &cli.explain {
        return match explain(code) {
            Ok(text) => emit(&text, exits::OK),
            Err(msg) => usage(msg),
        };
    }

    let config = match build_config(&cli) {
        Ok(c) => c,
        Err(msg) => return usage(msg),
    };

    if let Some(arg) = &cli.demo {
        #[cfg(feature = "lab")]
        {
            return demo(&cli, arg);
        }
        #[cfg(not(feature = "lab"))]
        {
            let _ = arg;
            return usage("this build has no lab (built without the `lab` feature)".into());
        }
    }

    let mut names = cli.names.clone();
    if let Some(path) = &cli.file {
        let text = if path.as_os_str() == "-" {
            let mut s = String::new();
            match std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
                Ok(_) => s,
                Err(e) => return usage(format!("cannot read server names from stdin: {e}")),
            }
        } else {
            match std::fs::read_to_string(path) {
                Ok(s) => s,
                Err(e) => return usage(format!("cannot read {}: {e}", path.display())),
            }
        };
        names.extend(delegcheck::parse_name_list(&text));
    }
    if names.is_empty() {
        return usage(
            "no server name given (try `delegcheck example.org`, `-f FILE`, or `--demo`)".into(),
        );
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return cannot_run(&cli, format!("cannot start the async runtime: {e}")),
    };
    let net = match runtime.block_on(async { Net::new(config) }) {
        Ok(n) => n,
        Err(e) => return cannot_run(&cli, e.to_string()),
    };
    let (reports, closed, failed) = runtime.block_on(run(&cli, &net, &names));
    if let Some(e) = failed {
        return cannot_run(&cli, format!("cannot write to stdout: {e}"));
    }
    if closed {
        // stdout went away (`| head`): end quietly, with the verdict on what was checked.
        return ExitCode::from(exit_code(&cli, &reports));
    }
    finish(&cli, &reports)
}

/// `--demo`: the table of every demo scenario (human format; exit 0 when every scenario came
/// out as it declares), or their reports in the other formats, or one scenario's report.
#[cfg(feature = "lab")]
fn demo(cli: &Cli, arg: &str) -> ExitCode {
    use delegcheck::lab::{self, LabOptions, demo};
    // The lab is its own network: flags that point elsewhere would be silently ignored.
    let foreign = [
        (cli.resolver.is_some(), "--resolver"),
        (!cli.ca_file.is_empty(), "--ca-file"),
        (cli.no_system_roots, "--no-system-roots"),
        (!cli.connect_to.is_empty(), "--connect-to"),
        (cli.ipv4, "-4"),
        (cli.ipv6, "-6"),
        (!cli.names.is_empty(), "server names"),
        (cli.file.is_some(), "--file"),
    ];
    let given: Vec<&str> = foreign
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| *f)
        .collect();
    if !given.is_empty() {
        let msg = format!(
            "--demo runs on its own lab network; {} do(es) not apply to it (to try the real flags on a scenario, run `cargo run --example lab-serve -- SCENARIO`)",
            given.join(", ")
        );
        if cli.format == Format::Nagios {
            out_text(&format!("DELEGCHECK UNKNOWN - {msg}\n"));
            return ExitCode::from(3);
        }
        err_text(&format!("delegcheck: error: {msg}\n"));
        return ExitCode::from(exits::USAGE);
    }
    let mut skipped = Vec::new();
    let scenarios = match demo::Request::parse(arg) {
        demo::Request::List => return emit(&demo::list(), exits::OK),
        demo::Request::All => {
            let (run, skip) = demo::runnable(demo::demo_scenarios(), lab::ipv6_loopback());
            skipped = skip;
            run
        }
        demo::Request::One(name) => match demo::find(&name) {
            Ok(s) => vec![s],
            Err(msg) => {
                if cli.format == Format::Nagios {
                    out_text(&format!("DELEGCHECK UNKNOWN - {msg}\n"));
                    return ExitCode::from(3);
                }
                err_text(&format!("delegcheck: error: {msg}\n"));
                return ExitCode::from(exits::USAGE);
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return cannot_run(cli, format!("cannot start the async runtime: {e}")),
    };
    let results = runtime.block_on(demo::run_all(&scenarios, LabOptions::default()));
    if arg.is_empty() && cli.format == Format::Human {
        let (text, all_as_declared) = demo::table(&scenarios, &results, &skipped, &palette(cli));
        return emit(
            &text,
            if all_as_declared {
                exits::OK
            } else {
                exits::FINDINGS
            },
        );
    }
    let mut reports = Vec::new();
    for (s, r) in scenarios.iter().zip(results) {
        match r {
            Ok(r) => reports.push(r),
            Err(e) => return cannot_run(cli, format!("the lab for {} did not start: {e}", s.name)),
        }
    }
    if cli.format == Format::Jsonl && cli.output.is_none() {
        let text: String = reports.iter().map(render::jsonl).collect();
        emit(&text, exits::OK);
    }
    finish(cli, &reports)
}

fn palette(cli: &Cli) -> Palette {
    let color = render::use_color(
        cli.color,
        &ColorEnv::from_process(),
        std::io::stdout().is_terminal(),
    ) && cli.output.is_none();
    if color {
        Palette::pretty()
    } else {
        Palette::plain()
    }
}

/// Checks every name; streams JSON Lines as they complete. Returns the reports in input
/// order, whether the run stopped early because stdout went away (then the reports are those
/// finished by then), and the write error if it was not simply a closed pipe.
async fn run(cli: &Cli, net: &Net, names: &[String]) -> (Vec<Report>, bool, Option<String>) {
    let stream_lines = cli.format == Format::Jsonl && cli.output.is_none();
    let progress = names.len() > 5 && std::io::stderr().is_terminal();
    let mut slots: Vec<Option<Report>> = vec![None; names.len()];
    let mut done = 0usize;
    let mut closed = false;
    let mut failed: Option<String> = None;
    let mut stdout = std::io::stdout().lock();
    delegcheck::check_all(net, names, cli.jobs as usize, |i, r| {
        done += 1;
        if stream_lines {
            let line = render::jsonl(&r);
            match stdout
                .write_all(line.as_bytes())
                .and_then(|_| stdout.flush())
            {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => closed = true,
                Err(e) => {
                    failed = Some(e.to_string());
                    closed = true;
                }
            }
        }
        if progress {
            err_text(&format!("\r\x1b[2Kchecked {done}/{}", names.len()));
        }
        slots[i] = Some(r);
        if closed {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    })
    .await;
    if progress {
        err_text("\r\x1b[2K");
    }
    (slots.into_iter().flatten().collect(), closed, failed)
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

/// 1 when a server would not federate (or has warnings, under `--strict`), else 0.
fn exit_code(cli: &Cli, reports: &[Report]) -> u8 {
    let any_broken = reports.iter().any(|r| !r.ok);
    let any_warning = reports.iter().any(|r| r.status == Status::Warning);
    if any_broken || (cli.strict && any_warning) {
        exits::FINDINGS
    } else {
        exits::OK
    }
}

fn finish(cli: &Cli, reports: &[Report]) -> ExitCode {
    let mut code = exit_code(cli, reports);
    let text = match cli.format {
        Format::Human => {
            let palette = palette(cli);
            if reports.len() == 1 {
                render::human::report(&reports[0], &palette)
            } else {
                render::human::batch(reports, &palette, cli.verbose)
            }
        }
        Format::Json => render::json(reports),
        Format::Jsonl => {
            if cli.output.is_none() {
                return ExitCode::from(code); // already streamed
            }
            reports.iter().map(render::jsonl).collect()
        }
        Format::Prometheus => render::prometheus::render(reports, delegcheck::time::now()),
        Format::Nagios => {
            let (text, state) = render::nagios::render(reports);
            code = state as u8;
            text
        }
    };
    match &cli.output {
        Some(path) => match write_atomically(path, &text) {
            Ok(()) => ExitCode::from(code),
            Err(e) => cannot_run(cli, format!("cannot write {}: {e}", path.display())),
        },
        None => emit(&text, code),
    }
}

/// Writes to stdout; a closed pipe ends the program quietly.
fn emit(text: &str, code: u8) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(code),
        Err(_) => ExitCode::from(exits::CANNOT_RUN),
    }
}

fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn cannot_run(cli: &Cli, msg: String) -> ExitCode {
    if cli.format == Format::Nagios {
        out_text(&format!("DELEGCHECK UNKNOWN - {msg}\n"));
    } else {
        err_text(&format!("delegcheck: cannot run: {msg}\n"));
    }
    ExitCode::from(exits::CANNOT_RUN)
}

fn build_config(cli: &Cli) -> Result<Config, String> {
    let mut extra_roots = Vec::new();
    for path in &cli.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read --ca-file {}: {e}", path.display()))?;
        use rustls::pki_types::pem::PemObject;
        let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("--ca-file {} is not valid PEM: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("--ca-file {} has no certificate", path.display()));
        }
        // A certificate that parses as PEM but cannot be a trust root is a usage error too.
        let mut probe = rustls::RootCertStore::empty();
        for c in &certs {
            probe.add(c.clone()).map_err(|e| {
                format!(
                    "--ca-file {}: a certificate is not usable as a trust root: {e}",
                    path.display()
                )
            })?;
        }
        extra_roots.extend(certs);
    }
    if cli.no_system_roots && extra_roots.is_empty() {
        return Err("--no-system-roots needs at least one --ca-file".into());
    }
    let connect_to = cli
        .connect_to
        .iter()
        .map(|s| {
            s.parse::<ConnectTo>()
                .map_err(|e| format!("--connect-to: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Config {
        resolver: cli.resolver,
        extra_roots,
        system_roots: !cli.no_system_roots,
        connect_to,
        families: match (cli.ipv4, cli.ipv6) {
            (true, _) => IpFamilies::V4Only,
            (_, true) => IpFamilies::V6Only,
            _ => IpFamilies::Both,
        },
        timeout: cli.timeout,
        step_timeout: cli.step_timeout.min(cli.timeout),
        ..Config::default()
    })
}

fn explain(code: &str) -> Result<String, String> {
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
    let c = Code::from_name(code).ok_or_else(|| {
        format!("unknown finding code `{code}` (see `delegcheck --explain list`)")
    })?;
    Ok(format!(
        "{} ({})\n{}\n\n{}\n\nFix: {}\n",
        c.as_str(),
        c.severity().as_str(),
        c.title(),
        render::human::wrap(c.explanation(), 80, 0),
        render::human::wrap(c.hint(), 80, 5)
    ))
}
