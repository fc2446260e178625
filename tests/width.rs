//! The human report fits the width it is given: no line but the verdict line is wider, for
//! every lab scenario, with and without colour (escape codes take no columns).

use delegcheck::lab::{self, LabOptions};
use delegcheck::render::fixes as human_fixes;
use delegcheck::render::{Palette, human};

/// `text` without ANSI escape sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn the_human_report_fits_the_width() {
    let scenarios = lab::scenarios();
    let results = lab::demo::run_all(&scenarios, LabOptions::default()).await;
    let mut too_wide = Vec::new();
    let mut widest = 0;
    for (s, r) in scenarios.iter().zip(results) {
        let r = r.unwrap_or_else(|e| panic!("{}: lab failed: {e}", s.name));
        for width in [80, 120, 60] {
            for palette in [Palette::plain(), Palette::pretty()] {
                let text = strip_ansi(&human::report(&r, &palette.with_width(width)));
                for (i, line) in text.lines().enumerate().skip(1) {
                    // Snippets are pasted as they are: never wrapped.
                    if line.starts_with(human_fixes::gutter(&palette)) {
                        continue;
                    }
                    let cols = line.chars().count();
                    if width == 120 {
                        widest = widest.max(cols);
                    }
                    if cols > width {
                        too_wide.push(format!(
                            "{} at {width}: line {} has {cols} columns: {line}",
                            s.name,
                            i + 1
                        ));
                    }
                }
            }
        }
    }
    too_wide.dedup();
    assert!(too_wide.is_empty(), "{}", too_wide.join("\n"));
    // The wider width is used: the reports do not stay at 80.
    assert!(widest > 80, "no line over 80 columns at 120: {widest}");
}

#[test]
fn the_width_comes_from_columns_then_the_terminal() {
    assert_eq!(human::width_from(Some("80"), Some(200)), 80);
    assert_eq!(human::width_from(None, Some(132)), 132);
    assert_eq!(human::width_from(Some("wide"), None), 100);
    assert_eq!(human::width_from(None, None), 100);
    assert_eq!(human::width_from(Some("5"), None), human::MIN_WIDTH);
}
