//! The "How to fix" section of the human report: the fixes grouped by file, each with the
//! codes it resolves, why, the snippet (never wrapped: it is pasted as it is) and the
//! command that applies it. Every string is escaped: host names come from the network.

use std::fmt::Write as _;

use super::Palette;
use super::human::wrap;
use crate::findings::{Code, Severity};
use crate::fixes::{Fix, Stack, WebServer};
use crate::report::Report;
use crate::sanitize::escape;

/// The gutter before each snippet line (the width check of the report skips these lines:
/// a snippet is pasted as it is, never wrapped).
pub fn gutter(p: &Palette) -> &'static str {
    p.glyph("    │ ", "    | ")
}

/// "How to fix", when the report has fixes: all of them, or (in the short report of a
/// server that federates, which lists its warnings only) those of a warning or error.
pub fn section(o: &mut String, r: &Report, p: &Palette, all: bool) {
    let severity = |c: &Code| {
        r.findings
            .iter()
            .filter(|f| f.code == *c)
            .map(|f| f.severity)
            .max()
    };
    let fixes: Vec<Fix> = r
        .fixes
        .iter()
        .filter(|f| all || f.codes.iter().any(|c| severity(c) > Some(Severity::Info)))
        .cloned()
        .collect();
    if fixes.is_empty() {
        return;
    }
    let _ = writeln!(o, "{}", p.bold.style("How to fix"));
    identified(o, &r.web_servers, &fixes, p);
    write_fixes(o, &fixes, p);
}

/// Which software answered where, with the evidence; and a word when the snippets are for
/// a stack nothing identified.
fn identified(o: &mut String, servers: &[WebServer], fixes: &[Fix], p: &Palette) {
    for w in servers {
        let Some(stack) = w.stack else { continue };
        let line = format!(
            "{} at {} ({}): {}",
            stack.label(),
            escape(&w.address),
            escape(&w.host),
            escape(&w.evidence),
        );
        let _ = writeln!(o, "  {}", p.dim.style(wrap(&line, p.width, 4)));
    }
    let mut unseen: Vec<Stack> = Vec::new();
    for f in fixes {
        let web = !matches!(f.stack, Stack::Dns);
        if web && !servers.iter().any(|w| w.stack == Some(f.stack)) && !unseen.contains(&f.stack) {
            unseen.push(f.stack);
        }
    }
    let any_identified = servers
        .iter()
        .any(|w| w.stack.is_some_and(|s| s != Stack::Synapse));
    for s in unseen {
        // Fixes follow what answered; one for a stack that did not answer was chosen.
        let line = if any_identified {
            format!("written for {}, as --fix-for asks", s.label())
        } else {
            format!(
                "written for {}: nothing in the answers identified the web server (--fix-for STACK chooses: {})",
                s.label(),
                Stack::CHOOSABLE.map(|s| s.as_str()).join(", ")
            )
        };
        let _ = writeln!(o, "  {}", p.dim.style(wrap(&line, p.width, 4)));
    }
}

/// The fixes, grouped by stack and file in first-seen order.
fn write_fixes(o: &mut String, fixes: &[Fix], p: &Palette) {
    let mut groups: Vec<(Stack, &str, Vec<&Fix>)> = Vec::new();
    for f in fixes {
        match groups
            .iter_mut()
            .find(|(s, file, _)| *s == f.stack && *file == f.file)
        {
            Some((_, _, v)) => v.push(f),
            None => groups.push((f.stack, &f.file, vec![f])),
        }
    }
    for (stack, file, group) in groups {
        let head = format!("{} {} {}", stack.label(), p.glyph("·", "|"), escape(file));
        let _ = writeln!(o, "  {}", p.bold.style(wrap(&head, p.width, 4)));
        for f in &group {
            let codes: Vec<&str> = f.codes.iter().map(|c| c.as_str()).collect();
            let line = format!("fixes {}: {}", codes.join(", "), escape(&f.why));
            let _ = writeln!(o, "    {}", wrap(&line, p.width, 4));
            for l in f.snippet.lines() {
                let _ = writeln!(o, "{}{}", p.dim.style(gutter(p)), escape(l));
            }
        }
        if let Some(reload) = group.iter().rev().find_map(|f| f.reload.as_deref()) {
            let line = format!("then: {}", escape(reload));
            let _ = writeln!(o, "    {}", wrap(&line, p.width, 10));
        }
    }
}

/// `--explain CODE --fix-for STACK`: the generic form of the fix, placeholders in `<…>`.
pub fn generic(code: Code, stack: Stack, p: &Palette) -> String {
    let fixes = crate::fixes::generic(code, stack);
    let mut o = String::new();
    if fixes.is_empty() {
        let why = if crate::fixes::plan::generic_remedies(code).is_empty() {
            "its cause is not in a configuration file delegcheck writes"
        } else {
            // Traefik answers no fixed body; Synapse serves only `server_name:443`.
            "this stack cannot serve it as such (try another with --fix-for)"
        };
        let _ = writeln!(o, "\nNo {} snippet for {code}: {why}.", stack.label());
        return o;
    }
    let _ = writeln!(o, "\nHow to fix, for {}:", stack.label());
    write_fixes(&mut o, &fixes, p);
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixes::Placement;
    use crate::report::{Finding, Status};

    fn fix(code: Code, snippet: &str) -> Fix {
        Fix {
            stack: Stack::Nginx,
            codes: vec![code],
            file: "the `server` block of example.org".into(),
            placement: Placement::InsideSite,
            snippet: snippet.into(),
            reload: Some("nginx -t && systemctl reload nginx".into()),
            why: "because".into(),
        }
    }

    #[test]
    fn grouped_by_file_escaped_and_filtered_by_severity() {
        let mut r = Report::sample(
            "example.org",
            true,
            Status::Warning,
            vec![
                Finding::plain(Code::WellKnownContentType, "info"),
                Finding::plain(Code::SrvTargetCname, "warning"),
            ],
        );
        r.fixes = vec![
            fix(
                Code::WellKnownContentType,
                "default_type application/json;\n",
            ),
            fix(Code::SrvTargetCname, "line \u{1b}[2J one;\n"),
        ];
        let p = Palette::plain();
        let mut all = String::new();
        section(&mut all, &r, &p, true);
        // One heading for the file, both snippets under it, the reload once.
        assert_eq!(
            all.matches("the `server` block of example.org").count(),
            1,
            "{all}"
        );
        assert_eq!(all.matches("then: nginx -t").count(), 1, "{all}");
        assert!(
            all.contains("    │ default_type application/json;"),
            "{all}"
        );
        assert!(!all.contains('\u{1b}'), "terminal-safe: {all:?}");
        let mut short = String::new();
        section(&mut short, &r, &p, false);
        assert!(!short.contains("default_type"), "{short}");
        assert!(short.contains("fixes srv-target-cname"), "{short}");
        r.fixes.truncate(1);
        let mut none = String::new();
        section(&mut none, &r, &p, false);
        assert!(none.is_empty(), "{none}");
    }
}
