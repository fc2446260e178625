//! Renderers: format [`Report`]s, decide nothing. Colour is a palette chosen once, so the
//! human renderer never asks whether colour is on.

pub mod human;
pub mod nagios;
pub mod prometheus;

use owo_colors::Style;

use crate::report::Report;

/// When to colour the human report (the command line's `--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// When stdout is a terminal, honouring NO_COLOR, CLICOLOR and CLICOLOR_FORCE.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The styles of the human report.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// Success marks.
    pub ok: Style,
    /// Warnings.
    pub warn: Style,
    /// Errors.
    pub err: Style,
    /// Secondary text.
    pub dim: Style,
    /// Headings and names.
    pub bold: Style,
    /// Finding codes.
    pub code: Style,
}

impl Palette {
    /// Colours.
    pub fn pretty() -> Palette {
        Palette {
            ok: Style::new().green(),
            warn: Style::new().yellow(),
            err: Style::new().red().bold(),
            dim: Style::new().dimmed(),
            bold: Style::new().bold(),
            code: Style::new().cyan(),
        }
    }

    /// No escape codes at all.
    pub fn plain() -> Palette {
        Palette {
            ok: Style::new(),
            warn: Style::new(),
            err: Style::new(),
            dim: Style::new(),
            bold: Style::new(),
            code: Style::new(),
        }
    }
}

/// The environment variables colour depends on.
#[derive(Debug, Clone, Default)]
pub struct ColorEnv {
    /// NO_COLOR
    pub no_color: Option<String>,
    /// CLICOLOR
    pub clicolor: Option<String>,
    /// CLICOLOR_FORCE
    pub clicolor_force: Option<String>,
    /// TERM
    pub term: Option<String>,
}

impl ColorEnv {
    /// Reads them.
    pub fn from_process() -> ColorEnv {
        let get = |k: &str| std::env::var(k).ok();
        ColorEnv {
            no_color: get("NO_COLOR"),
            clicolor: get("CLICOLOR"),
            clicolor_force: get("CLICOLOR_FORCE"),
            term: get("TERM"),
        }
    }
}

/// Should the human report be coloured? The flag wins; then NO_COLOR (non-empty) >
/// CLICOLOR_FORCE (non-empty, not 0) > CLICOLOR=0 > whether stdout is a terminal.
pub fn use_color(choice: ColorChoice, env: &ColorEnv, is_tty: bool) -> bool {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if set(&env.no_color) {
                false
            } else if set(&env.clicolor_force) && env.clicolor_force.as_deref() != Some("0") {
                true
            } else if env.clicolor.as_deref() == Some("0") || env.term.as_deref() == Some("dumb") {
                false
            } else {
                is_tty
            }
        }
    }
}

/// One pretty JSON document: an object for one report, an array for several.
pub fn json(reports: &[Report]) -> String {
    let mut s = if reports.len() == 1 {
        serde_json::to_string_pretty(&reports[0])
    } else {
        serde_json::to_string_pretty(reports)
    }
    .unwrap_or_default();
    s.push('\n');
    crate::sanitize::json_safe(s)
}

/// One compact line.
pub fn jsonl(report: &Report) -> String {
    let mut s = serde_json::to_string(report).unwrap_or_default();
    s.push('\n');
    crate::sanitize::json_safe(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(no: Option<&str>, cli: Option<&str>, force: Option<&str>) -> ColorEnv {
        ColorEnv {
            no_color: no.map(Into::into),
            clicolor: cli.map(Into::into),
            clicolor_force: force.map(Into::into),
            term: None,
        }
    }

    #[test]
    fn colour_precedence() {
        use ColorChoice::*;
        assert!(use_color(Always, &env(Some("1"), None, None), false));
        assert!(!use_color(Never, &env(None, None, Some("1")), true));
        assert!(!use_color(Auto, &env(Some("1"), None, Some("1")), true));
        assert!(
            use_color(Auto, &env(Some(""), None, None), true),
            "empty NO_COLOR is ignored"
        );
        assert!(use_color(Auto, &env(None, None, Some("1")), false));
        assert!(!use_color(Auto, &env(None, None, Some("0")), false));
        assert!(!use_color(Auto, &env(None, Some("0"), None), true));
        assert!(use_color(Auto, &env(None, None, None), true));
        assert!(!use_color(Auto, &env(None, None, None), false));
        let dumb = ColorEnv {
            term: Some("dumb".into()),
            ..Default::default()
        };
        assert!(!use_color(Auto, &dumb, true));
    }

    #[test]
    fn plain_palette_has_no_escapes() {
        let p = Palette::plain();
        assert_eq!(format!("{}", p.err.style("x")), "x");
        assert!(format!("{}", Palette::pretty().err.style("x")).contains('\u{1b}'));
    }
}
