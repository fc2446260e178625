//! The report for a person at a terminal. Every string is escaped (it may come from the
//! network) before it is written.

use std::fmt::Write as _;

use super::Palette;
use crate::findings::{Code, Severity};
use crate::report::{
    CheckStatus, ClientReport, ClientState, Report, SpecStep, Status, Step, StepKind, StepStatus,
    Target,
};
use crate::sanitize::escape;

/// Width text is wrapped to when it is not for a terminal ([`Palette::width`]).
pub const WIDTH: usize = 100;

/// The narrowest width honoured: the report's fixed columns take about 40.
pub const MIN_WIDTH: usize = 40;

/// The width of the report for a terminal: `COLUMNS` when it holds a number, else the
/// terminal's width when `terminal` is that width, else [`WIDTH`].
pub fn width_from(columns: Option<&str>, terminal: Option<usize>) -> usize {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or(terminal.filter(|&t| t > 0))
        .unwrap_or(WIDTH)
        .max(MIN_WIDTH)
}

/// Wraps `text` to `width` columns, for printing after a prefix of `indent` columns:
/// continuation lines get `indent` spaces. A word longer than a line (a URL) is cut.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let room = width.saturating_sub(indent).max(10);
    let mut words = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        for piece in chars.chunks(room) {
            words.push(piece.iter().collect::<String>());
        }
    }
    let mut out = String::new();
    let mut col = indent;
    let mut first = true;
    for word in &words {
        let len = word.chars().count();
        if !first && col + 1 + len > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if !first {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
        first = false;
    }
    out
}

fn mark(p: &Palette, s: CheckStatus) -> String {
    match s {
        CheckStatus::Pass => p.ok.style(p.glyph("✓", "OK  ")).to_string(),
        CheckStatus::Warn => p.warn.style(p.glyph("!", "WARN")).to_string(),
        CheckStatus::Fail => p.err.style(p.glyph("✗", "FAIL")).to_string(),
        CheckStatus::Skip => p.dim.style(p.glyph("·", "-   ")).to_string(),
    }
}

fn verdict(p: &Palette, r: &Report) -> String {
    if crate::exit::is_usage_error(r) {
        return p
            .err
            .style(format!("{} not a server name", p.glyph("✗", "FAIL")))
            .to_string();
    }
    match r.status {
        Status::Ok => {
            p.ok.style(format!("{} federation works", p.glyph("✓", "OK")))
                .to_string()
        }
        Status::Warning => p
            .warn
            .style(format!(
                "{} federation works, with warnings",
                p.glyph("✓", "OK")
            ))
            .to_string(),
        // Every (or some) implementation gets through, yet an error stands.
        Status::Error => match r.failure_kind() {
            "would not federate" => p
                .err
                .style(format!("{} federation broken", p.glyph("✗", "FAIL")))
                .to_string(),
            kind => p
                .err
                .style(format!("{} {kind}", p.glyph("✗", "FAIL")))
                .to_string(),
        },
        Status::Unknown => p
            .warn
            .style(format!("{} not known from here", p.glyph("?", "UNKNOWN")))
            .to_string(),
    }
}

/// One full report: the verdict line, then discovery, targets, findings and who can reach
/// the server, then the time taken.
pub fn report(r: &Report, p: &Palette) -> String {
    // Short when it works, complete when it does not (or with -v).
    if !p.full && matches!(r.status, Status::Ok | Status::Warning) {
        let o = short_report(r, p);
        return if p.ascii { ascii_only(&o) } else { o };
    }
    let mut o = String::new();
    verdict_line(&mut o, r, p);
    if !r.discovery.steps.is_empty() {
        discovery_section(&mut o, r, p);
    }
    if !r.targets.is_empty() {
        targets_section(&mut o, r, p);
    }
    if let Some(c) = &r.client {
        clients_section(&mut o, c, p);
    }
    if !r.findings.is_empty() {
        findings_section(&mut o, r, p);
    }
    super::fixes::section(&mut o, r, p, true);
    super::changes::section(&mut o, r, p);
    if !r.compatibility.is_empty() {
        compatibility_section(&mut o, r, p);
        clients_line(&mut o, r, p);
        families_line(&mut o, r, p);
    }
    footer(&mut o, r, p);
    if p.ascii { ascii_only(&o) } else { o }
}

/// The report of a server that federates, in a dozen lines: the verdict, where servers
/// connect, one line per target (certificate name and days left, software), the warnings,
/// who can reach it, and how to see everything.
fn short_report(r: &Report, p: &Palette) -> String {
    let mut o = String::new();
    verdict_line(&mut o, r, p);
    let how = match (&r.discovery.step, &r.discovery.delegated_server) {
        (Some(step), Some(d)) => format!("delegated to {} (step {step})", escape(d)),
        (Some(step @ (SpecStep::Srv | SpecStep::LegacySrv)), None) => {
            format!("delegated by SRV record (step {step})")
        }
        (Some(step), None) => format!("no delegation (step {step})"),
        (None, _) => String::new(),
    };
    if !how.is_empty() {
        let _ = writeln!(o, "  {}", wrap(&how, p.width, 2));
    }
    for t in r.targets.iter().filter(|t| !t.fallback) {
        let warned = t.checks.iter().any(|c| c.status == CheckStatus::Warn);
        let m = match (t.ok, warned) {
            (true, false) => p.ok.style(p.glyph("✓", "OK  ")).to_string(),
            (true, true) => p.warn.style(p.glyph("!", "WARN")).to_string(),
            _ if t.not_checked.is_some() => p.warn.style(p.glyph("?", "??  ")).to_string(),
            _ => p.err.style(p.glyph("✗", "FAIL")).to_string(),
        };
        // The name the certificate must be valid for (the target's TLS name).
        let tls_name = r
            .discovery
            .targets
            .iter()
            .find(|d| d.address() == t.address)
            .map(|d| d.tls_server_name.clone())
            .unwrap_or_default();
        let cert = t
            .certificate
            .as_ref()
            .map(|c| format!("cert {}, {} days left", escape(&tls_name), c.days_left));
        let software = t.server.as_ref().map(|s| {
            escape(&format!(
                "{} {}",
                s.name.as_deref().unwrap_or(""),
                s.version.as_deref().unwrap_or("")
            ))
            .trim()
            .to_owned()
        });
        // A target that fails says where: its first failing check.
        let failed = (!t.ok).then(|| {
            t.checks
                .iter()
                .find(|c| c.status == CheckStatus::Fail)
                .map(|c| format!("{}: {}", c.name.as_str(), escape(&c.detail)))
                .or_else(|| t.not_checked.as_ref().map(|w| escape(w)))
                .unwrap_or_default()
        });
        let detail = [failed, cert, software]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(&format!(" {} ", p.glyph("·", "|")));
        // The address column keeps its width (wrap folds spaces, so it is not wrapped).
        let mark_width = if p.ascii { 4 } else { 1 };
        let indent = 2 + mark_width + 1 + 22 + 1;
        let line = format!("  {m} {:<22} {}", t.address, wrap(&detail, p.width, indent));
        let _ = writeln!(o, "{}", line.trim_end());
    }
    for f in r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
    {
        // "warning CODE: " takes the first columns of the wrapped text.
        let text = wrap(
            &format!("warning {}: {}", f.code.as_str(), escape(&f.message)),
            p.width,
            4,
        );
        let rest = text.strip_prefix("warning ").unwrap_or(&text);
        let _ = writeln!(o, "  {} {rest}", p.warn.style("warning"));
    }
    // What the command line bent (addresses not from DNS) is said even when all is well.
    for f in r.findings.iter().filter(|f| f.code == Code::DnsOverridden) {
        let text = wrap(
            &format!("note {}: {}", f.code.as_str(), escape(&f.message)),
            p.width,
            4,
        );
        let _ = writeln!(o, "  {text}");
    }
    super::fixes::section(&mut o, r, p, false);
    super::changes::section(&mut o, r, p);
    if !r.compatibility.is_empty() {
        compatibility_section(&mut o, r, p);
        clients_line(&mut o, r, p);
        families_line(&mut o, r, p);
    }
    let _ = writeln!(
        o,
        "{}",
        p.dim.style(wrap(
            &format!(
                "checked in {} ms {} -v for the full report",
                r.timings.total_ms,
                p.glyph("·", "|")
            ),
            p.width,
            0
        ))
    );
    o
}

/// The text in ASCII, for a terminal that shows nothing else: the arrows and dots of the
/// report's own sentences become ASCII, anything else outside ASCII (a name from the
/// network) becomes `?`.
pub fn ascii_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            '→' => out.push_str("->"),
            '←' | '◀' => out.push_str("<-"),
            '…' => out.push_str("..."),
            '–' | '—' => out.push('-'),
            '·' => out.push('|'),
            '✓' => out.push_str("OK"),
            '✗' => out.push_str("FAIL"),
            _ => out.push('?'),
        }
    }
    out
}

/// The server name, and the verdict aligned to the right.
fn verdict_line(o: &mut String, r: &Report, p: &Palette) {
    let name = escape(&r.server_name);
    let v = verdict(p, r);
    let pad = p.width.saturating_sub(name.chars().count() + 34).max(2);
    let _ = writeln!(o, "{}{}{}", p.bold.style(&name), " ".repeat(pad), v);
}

/// Every resolution step, the step that decided, and the targets (and fallback targets) in
/// the order servers try them.
fn discovery_section(o: &mut String, r: &Report, p: &Palette) {
    let _ = writeln!(o, "{}", p.bold.style("Discovery"));
    for s in &r.discovery.steps {
        discovery_step(o, s, p);
    }
    if let Some(step) = &r.discovery.step {
        let deleg = r
            .discovery
            .delegated_server
            .as_ref()
            .map(|d| format!(" {} delegated to {}", p.glyph("·", "|"), escape(d)))
            .unwrap_or_default();
        let _ = writeln!(o, "  decided by step {step}{deleg}");
    }
    target_list(
        o,
        "targets, in the order servers try them:",
        &r.discovery.targets,
        p,
    );
    let fallback_title = format!(
        "fallback: {}:",
        r.discovery
            .fallback_reason
            .as_deref()
            .unwrap_or("some implementations connect here instead")
    );
    target_list(o, &fallback_title, &r.discovery.fallback_targets, p);
}

/// One resolution step: what was asked, the answer, and what it means.
fn discovery_step(o: &mut String, s: &Step, p: &Palette) {
    let label = s.step.map_or(p.glyph("·", "-"), |s| s.as_str());
    let kind = match s.kind {
        StepKind::ServerName => "server name",
        StepKind::WellKnown => "well-known",
        StepKind::Srv => "SRV",
        StepKind::Address => "A/AAAA",
    };
    let st = match s.status {
        StepStatus::Ok => p.ok.style(p.glyph("✓", "OK  ")).to_string(),
        StepStatus::NotFound => p.dim.style(p.glyph("–", "--  ")).to_string(),
        StepStatus::Invalid | StepStatus::Error => p.err.style(p.glyph("✗", "FAIL")).to_string(),
        StepStatus::Ignored => p.dim.style(p.glyph("·", "-   ")).to_string(),
    };
    let decisive = if s.decisive {
        p.bold
            .style(format!(" {} decisive", p.glyph("◀", "<-")))
            .to_string()
    } else {
        String::new()
    };
    let _ = writeln!(
        o,
        "  {:<4} {st} {:<11} {}{decisive}",
        label,
        kind,
        wrap(&escape(&s.query), p.width.saturating_sub(11), 21)
    );
    let _ = writeln!(
        o,
        "{:18}{} {}",
        "",
        p.glyph("→", ">"),
        wrap(&escape(&s.answer), p.width, 20)
    );
    if !s.meaning.is_empty() {
        let _ = writeln!(
            o,
            "{:18}{}",
            "",
            p.dim.style(wrap(&escape(&s.meaning), p.width, 18))
        );
    }
}

/// A titled list of targets: address, host name and step, then Host header, certificate
/// name and SNI. Nothing when there are none.
fn target_list(o: &mut String, title: &str, targets: &[Target], p: &Palette) {
    if targets.is_empty() {
        return;
    }
    let _ = writeln!(o, "  {}", wrap(title, p.width, 4));
    for t in targets {
        let sni = t
            .sni
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "none".into());
        let dot = p.glyph("·", "|");
        let names = format!(
            "Host {} {dot} cert {} {dot} SNI {}",
            escape(&t.host_header),
            escape(&t.tls_server_name),
            sni
        );
        let _ = writeln!(
            o,
            "    {:<22} {}\n    {:<22} {}",
            t.address(),
            p.dim.style(wrap(
                &format!("{}, step {}", escape(&t.hostname), t.step),
                p.width,
                27
            )),
            "",
            wrap(&names, p.width, 27)
        );
    }
}

/// Each target checked: whether it works, and every check with its detail and time.
fn targets_section(o: &mut String, r: &Report, p: &Palette) {
    let _ = writeln!(o, "{}", p.bold.style("Targets"));
    for t in &r.targets {
        let status = if t.ok {
            p.ok.style("works").to_string()
        } else if t.not_checked.is_some() {
            p.warn.style("not checked").to_string()
        } else {
            p.err.style("fails").to_string()
        };
        let role = if t.fallback {
            p.dim.style(" (fallback)").to_string()
        } else {
            String::new()
        };
        let _ = writeln!(o, "  {}  {status}{role}", p.bold.style(&t.address));
        for c in &t.checks {
            // The time goes on the detail's last line, when it fits there.
            let mut detail = wrap(&escape(&c.detail), p.width, 19);
            if let Some(m) = c.duration_ms {
                let ms = format!("{m} ms");
                let last = detail.rsplit('\n').next().unwrap_or("");
                let col = if detail.contains('\n') { 0 } else { 19 } + last.chars().count();
                detail.push_str(if col + 1 + ms.len() > p.width {
                    "\n                   "
                } else {
                    " "
                });
                detail.push_str(&p.dim.style(ms).to_string());
            }
            let _ = writeln!(
                o,
                "    {} {:<12} {detail}",
                mark(p, c.status),
                c.name.as_str(),
            );
        }
    }
}

/// Every finding: severity, code and where, the message, and the fix (above info level).
fn findings_section(o: &mut String, r: &Report, p: &Palette) {
    let _ = writeln!(o, "{}", p.bold.style("Findings"));
    for f in &r.findings {
        let sev = match f.severity {
            Severity::Error => p.err.style("error  ").to_string(),
            Severity::Warning => p.warn.style("warning").to_string(),
            Severity::Info => p.dim.style("info   ").to_string(),
        };
        let where_ = match (&f.step, &f.target) {
            (_, Some(t)) => format!(" [{}]", escape(t)),
            (Some(s), None) => format!(" [step {s}]"),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "  {sev} {}{}",
            p.code.style(f.code.as_str()),
            p.dim.style(where_)
        );
        let _ = writeln!(o, "          {}", wrap(&escape(&f.message), p.width, 10));
        // A summary that adds no fix of its own (the targets' findings say it) prints none.
        let generic = f.code == crate::findings::Code::NoWorkingTarget
            && f.hint == crate::findings::Code::NoWorkingTarget.hint();
        if f.severity > Severity::Info && !generic {
            let _ = writeln!(
                o,
                "          {} {}",
                p.bold.style("fix:"),
                wrap(&escape(&f.hint), p.width, 15)
            );
        }
    }
}

/// "Who can reach you": a mark per implementation, then one line per distinct reason,
/// naming every implementation it applies to.
fn compatibility_section(o: &mut String, r: &Report, p: &Palette) {
    // Each implementation with its mark, three spaces apart, wrapped under the first.
    let _ = write!(o, "{}", p.bold.style("Who can reach you"));
    let mut col = 17;
    for c in &r.compatibility {
        let m = match c.reachable {
            Some(true) => p.ok.style(p.glyph("✓", "OK")).to_string(),
            Some(false) => p.err.style(p.glyph("✗", "FAIL")).to_string(),
            None => p.warn.style("?").to_string(),
        };
        let label = c.implementation.label();
        let len = label.chars().count() + 2;
        if col > 20 && col + 3 + len > p.width {
            o.push('\n');
            o.push_str(&" ".repeat(17));
            col = 17;
        }
        let _ = write!(o, "   {label} {m}");
        col += 3 + len;
    }
    o.push('\n');
    let mut reasons: Vec<(Vec<&str>, &str)> = Vec::new();
    for c in &r.compatibility {
        let Some(reason) = c.reason.as_deref() else {
            continue;
        };
        match reasons.iter_mut().find(|(_, r)| *r == reason) {
            Some((who, _)) => who.push(c.implementation.label()),
            None => reasons.push((vec![c.implementation.label()], reason)),
        }
    }
    for (who, reason) in reasons {
        let line = format!("{}: {}", who.join(", "), escape(reason));
        let _ = writeln!(o, "  {}", wrap(&line, p.width, 4));
    }
}

/// Client discovery, one line per step as the Discovery section has them: the kind, a
/// mark, what was asked, what came back, and the spec's outcome where discovery ends.
fn clients_section(o: &mut String, c: &ClientReport, p: &Palette) {
    let _ = writeln!(o, "{}", p.bold.style("Clients"));
    for s in &c.steps {
        let st = match s.status {
            StepStatus::Ok => p.ok.style(p.glyph("✓", "OK  ")).to_string(),
            StepStatus::NotFound => p.dim.style(p.glyph("–", "--  ")).to_string(),
            StepStatus::Invalid | StepStatus::Error => {
                p.err.style(p.glyph("✗", "FAIL")).to_string()
            }
            StepStatus::Ignored => p.dim.style(p.glyph("·", "-   ")).to_string(),
        };
        let outcome = s
            .outcome
            .map(|x| format!(" {} {}", p.glyph("⇒", "=>"), p.bold.style(x.as_str())))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "  {:<10} {st} {}{outcome}",
            s.kind.label(),
            // Room for the outcome after the query's last line.
            wrap(
                &escape(&s.query),
                p.width
                    .saturating_sub(if s.outcome.is_some() { 14 } else { 0 }),
                15
            )
        );
        if !s.answer.is_empty() {
            let _ = writeln!(
                o,
                "{:13}{} {}",
                "",
                p.glyph("→", ">"),
                wrap(&escape(&s.answer), p.width, 15)
            );
        }
    }
}

/// The client side of "who can reach you": native clients, and Element and the other web
/// clients, each with a mark (`–`: asked for the homeserver URL).
fn clients_line(o: &mut String, r: &Report, p: &Palette) {
    let Some(c) = &r.client else {
        return;
    };
    let preflight = r.has(crate::findings::Code::ClientCorsPreflight);
    // The mark, and its width on screen.
    let m = |state: Option<ClientState>, extra_fail: bool| -> (String, usize) {
        let (text, style) = match state {
            Some(ClientState::Success) if !extra_fail => (p.glyph("✓", "OK").to_owned(), p.ok),
            // Asked for the homeserver URL.
            Some(ClientState::Prompt | ClientState::Ignore) => {
                (p.glyph("–", "--").to_owned(), p.warn)
            }
            Some(_) => (p.glyph("✗", "FAIL").to_owned(), p.err),
            None => ("?".to_owned(), p.warn),
        };
        let width = text.chars().count();
        (style.style(text).to_string(), width)
    };
    let items = [
        ("native clients", m(c.homeserver.native.state, false)),
        (
            "Element and other web clients",
            m(c.homeserver.web.state, preflight),
        ),
    ];
    // Three spaces apart, the second under the first when they do not fit.
    let _ = write!(o, "{}", p.bold.style(format!("{:<17}", "Clients")));
    let mut col = 17;
    for (label, (mark, width)) in items {
        let len = label.chars().count() + 1 + width;
        if col > 20 && col + 3 + len > p.width {
            o.push('\n');
            o.push_str(&" ".repeat(17));
            col = 17;
        }
        let _ = write!(o, "   {label} {mark}");
        col += 3 + len;
    }
    o.push('\n');
}

/// "Over IPv4 ✓ IPv6 ✗": whether each address family works, when any was tried.
fn families_line(o: &mut String, r: &Report, p: &Palette) {
    if r.families.ipv4.is_none() && r.families.ipv6.is_none() {
        return;
    }
    // In words: which peers get through, by the family they connect over.
    let fam = |name: &str, v: Option<bool>| match v {
        Some(true) => {
            p.ok.style(format!("{name} peers {}", p.glyph("✓", "OK")))
                .to_string()
        }
        Some(false) => p
            .err
            .style(format!("{name} peers {}", p.glyph("✗", "FAIL")))
            .to_string(),
        None => p.dim.style(format!("{name}: no address")).to_string(),
    };
    let _ = writeln!(
        o,
        "{}   {} {} {}",
        p.bold.style(format!("{:<17}", "By IP family")),
        fam("IPv4", r.families.ipv4),
        p.glyph("·", "|"),
        fam("IPv6", r.families.ipv6)
    );
}

/// The time taken, and how to read more about the first problem.
fn footer(o: &mut String, r: &Report, p: &Palette) {
    let first_problem = r.findings.iter().find(|f| f.severity > Severity::Info);
    let explain = first_problem
        .map(|f| format!(" {} delegcheck --explain {}", p.glyph("·", "|"), f.code))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "{}",
        p.dim.style(wrap(
            &format!("checked in {} ms{explain}", r.timings.total_ms),
            p.width,
            0
        ))
    );
}

/// The finding that best says what is wrong, for summaries: for a server that federates,
/// the first report-level warning (say, "IPv6 is broken") before any per-address detail; for
/// one that does not, the first error (findings are sorted causes first).
pub fn headline(r: &Report) -> String {
    headline_code(r).to_owned()
}

/// [`headline`], as the code's own string.
fn headline_code(r: &Report) -> &'static str {
    let problems = || r.findings.iter().filter(|f| f.severity > Severity::Info);
    let pick = if r.ok {
        problems()
            .find(|f| f.target.is_none())
            .or_else(|| problems().next())
    } else {
        problems().next()
    };
    pick.map_or("-", |f| f.code.as_str())
}

/// The `--quiet` line of a report: `NAME GOOD`, `NAME WARN code, …` (its warnings),
/// `NAME BAD code, …` (its errors), `NAME UNKNOWN reason`, or `NAME INVALID` for a string that
/// is not a server name; codes once each, worst first as the findings are sorted.
pub fn quiet_line(r: &Report) -> String {
    let name = escape(&r.server_name);
    let codes = |sev: Severity| {
        let mut seen: Vec<&str> = Vec::new();
        for f in r.findings.iter().filter(|f| f.severity == sev) {
            if !seen.contains(&f.code.as_str()) {
                seen.push(f.code.as_str());
            }
        }
        seen.join(", ")
    };
    if crate::exit::is_usage_error(r) {
        return format!("{name} INVALID\n");
    }
    match r.status {
        Status::Ok => format!("{name} GOOD\n"),
        Status::Warning => format!("{name} WARN {}\n", codes(Severity::Warning)),
        Status::Error => format!("{name} BAD {}\n", codes(Severity::Error)),
        Status::Unknown => format!("{name} UNKNOWN {}\n", r.unknown_reason()),
    }
}

/// Many reports: full reports for failures (all with `verbose`), then a summary table.
pub fn batch(reports: &[Report], p: &Palette, verbose: bool) -> String {
    let mut out = Vec::new();
    let mut w = super::Writer::human(super::Shape::Many, *p, verbose);
    for (i, r) in reports.iter().enumerate() {
        let _ = w.write(i, r.clone(), &mut out);
    }
    let _ = w.finish(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The summary table of a batch: one row per server name.
pub fn summary(reports: &[Report], p: &Palette) -> String {
    let rows: Vec<(String, &Report)> = reports
        .iter()
        .map(|r| (escape(&r.server_name), r))
        .collect();
    summary_table("server", &rows, p)
}

/// A summary table: one row per labelled report (server, verdict, step, first problem),
/// then a count. Labels must already be escaped.
pub fn summary_table(label: &str, rows: &[(String, &Report)], p: &Palette) -> String {
    let rows: Vec<SummaryRow> = rows
        .iter()
        .map(|(l, r)| SummaryRow::new(l.clone(), r))
        .collect();
    summary_rows(label, &rows, p)
}

/// What a summary table keeps of a report: a batch holds these, not the reports.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    label: String,
    verdict: RowVerdict,
    step: &'static str,
    headline: &'static str,
    ok: bool,
}

#[derive(Debug, Clone, Copy)]
enum RowVerdict {
    Ok,
    Warnings,
    Errors,
    Partly,
    Broken,
    Invalid,
    Unknown,
}

impl SummaryRow {
    /// The row of `r`, labelled `label` (already escaped).
    pub fn new(label: String, r: &Report) -> SummaryRow {
        let verdict = match r.status {
            _ if crate::exit::is_usage_error(r) => RowVerdict::Invalid,
            Status::Ok => RowVerdict::Ok,
            Status::Warning => RowVerdict::Warnings,
            Status::Error if r.everyone_reaches() => RowVerdict::Errors,
            Status::Error if r.failure_kind() == "fails for some implementations" => {
                RowVerdict::Partly
            }
            Status::Error => RowVerdict::Broken,
            Status::Unknown => RowVerdict::Unknown,
        };
        SummaryRow {
            label,
            verdict,
            step: r.discovery.step.map_or("-", |s| s.as_str()),
            headline: headline_code(r),
            // Passes: no error (a client error fails the row too, as it fails the exit code).
            ok: matches!(r.status, Status::Ok | Status::Warning),
        }
    }
}

/// A summary table of rows (see [`summary_table`]).
pub fn summary_rows(label: &str, rows: &[SummaryRow], p: &Palette) -> String {
    let mut o = String::new();
    let w = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 48);
    let _ = writeln!(
        o,
        "{}",
        p.bold.style(format!(
            "{:<w$}  {:<9} {:<5} {}",
            label, "verdict", "step", "first problem"
        ))
    );
    for row in rows {
        let (word, style) = match row.verdict {
            RowVerdict::Ok => ("ok", p.ok),
            RowVerdict::Warnings => ("warnings", p.warn),
            RowVerdict::Errors => ("errors", p.err),
            RowVerdict::Partly => ("partly", p.err),
            RowVerdict::Broken => ("broken", p.err),
            RowVerdict::Invalid => ("invalid", p.err),
            RowVerdict::Unknown => ("unknown", p.warn),
        };
        let v = style.style(format!("{word:<9}")).to_string();
        let name = crate::sanitize::clip(&row.label, w);
        let _ = writeln!(o, "{:<w$}  {v} {:<5} {}", name, row.step, row.headline);
    }
    let ok = rows.iter().filter(|r| r.ok).count();
    let _ = writeln!(o, "{} of {} pass (no error)", ok, rows.len());
    if p.ascii { ascii_only(&o) } else { o }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str, status: Status, codes: &[crate::findings::Code]) -> Report {
        Report::sample(
            name,
            status != Status::Error,
            status,
            codes
                .iter()
                .map(|c| crate::report::Finding::plain(*c, "here"))
                .collect(),
        )
    }

    #[test]
    fn quiet_lines() {
        use crate::findings::Code::*;
        let line = |name, status, codes: &[_]| quiet_line(&report(name, status, codes));
        assert_eq!(
            line("a.test", Status::Ok, &[WellKnownCache]),
            "a.test GOOD\n"
        );
        assert_eq!(
            line(
                "b.test",
                Status::Error,
                &[TlsNameMismatch, TlsNameMismatch, NoWorkingTarget, DnsNoIpv6]
            ),
            "b.test BAD tls-name-mismatch, no-working-target\n"
        );
        assert_eq!(
            line(
                "c.test",
                Status::Warning,
                &[TcpRefused, TargetIpv6Broken, TlsExpiring, WellKnownCache]
            ),
            "c.test WARN target-ipv6-broken, tls-expiring\n"
        );
        assert_eq!(
            line("d.test", Status::Unknown, &[DnsNoAnswer]),
            "d.test UNKNOWN no DNS lookup was answered from here (is the resolver reachable?)\n"
        );
        assert_eq!(
            line("https://x/", Status::Error, &[NameHasScheme]),
            "https://x/ INVALID\n"
        );
        // Escaped like every other text format.
        assert_eq!(line("a\u{1b}[2J", Status::Ok, &[]).lines().count(), 1);
        assert!(!line("a\u{1b}[2J", Status::Ok, &[]).contains('\u{1b}'));
    }

    #[test]
    fn wraps_with_indent() {
        assert_eq!(wrap("aaa bbb ccc", 10, 2), "aaa bbb\n  ccc");
        assert_eq!(wrap("aaa bbb ccc", 8, 2), "aaa\n  bbb\n  ccc");
        assert_eq!(wrap("short", 80, 4), "short");
        assert_eq!(wrap("", 80, 4), "");
    }
}
