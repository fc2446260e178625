//! Renderers: format [`Report`]s, decide nothing. Colour is a palette chosen once, so the
//! human renderer never asks whether colour is on.

mod changes;
pub mod fixes;
pub mod human;
pub mod nagios;
pub mod prometheus;
pub mod trace;
mod writer;

pub use writer::{Shape, Writer};

use std::io;

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
    /// Columns the human report is wrapped to (only its verdict line may be wider).
    pub width: usize,
    /// ASCII only (`--ascii`, or a locale that is not UTF-8): OK/FAIL/WARN for ✓/✗/!.
    pub ascii: bool,
    /// The full report even when the server passes (`-v`): the discovery trace and every
    /// check.
    pub full: bool,
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
            width: human::WIDTH,
            ascii: false,
            full: false,
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
            width: human::WIDTH,
            ascii: false,
            full: false,
        }
    }

    /// This palette, in ASCII only when `ascii`.
    pub fn with_ascii(self, ascii: bool) -> Palette {
        Palette { ascii, ..self }
    }

    /// This palette, showing the full report of a passing server too when `full`.
    pub fn with_full(self, full: bool) -> Palette {
        Palette { full, ..self }
    }

    /// `unicode`, or `ascii` for an ASCII-only palette.
    pub fn glyph(&self, unicode: &'static str, ascii: &'static str) -> &'static str {
        if self.ascii { ascii } else { unicode }
    }

    /// This palette, wrapping to `width` columns (at least [`human::MIN_WIDTH`]).
    pub fn with_width(self, width: usize) -> Palette {
        Palette {
            width: width.max(human::MIN_WIDTH),
            ..self
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
/// Whether the locale is UTF-8: the first of `LC_ALL`, `LC_CTYPE` and `LANG` that is set and
/// not empty decides (POSIX); none at all is the C locale, which is not.
pub fn utf8_locale(lc_all: Option<String>, lc_ctype: Option<String>, lang: Option<String>) -> bool {
    [lc_all, lc_ctype, lang]
        .into_iter()
        .flatten()
        .find(|v| !v.is_empty())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

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

/// The pretty JSON document of one report, as `--format json` prints it for one server name
/// argument.
pub fn json_object(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    crate::sanitize::json_safe(s)
}

/// The pretty JSON array of reports, as `--format json` prints it for `-f` or several names
/// (even when one report, or none, is left).
pub fn json_array(reports: &[Report]) -> String {
    let mut out = Vec::new();
    let mut w = Writer::json(Shape::Many);
    for (i, r) in reports.iter().enumerate() {
        let _ = w.write(i, r.clone(), &mut out);
    }
    let _ = w.finish(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// One report as an element of the pretty JSON array: its pretty JSON indented one level.
/// (JSON strings never hold a raw newline, so indenting every line changes no value.)
fn json_element(report: &Report) -> String {
    let object = serde_json::to_string_pretty(report).unwrap_or_default();
    let mut s = String::with_capacity(object.len() + object.len() / 8);
    for (i, line) in object.lines().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str("  ");
        s.push_str(line);
    }
    crate::sanitize::json_safe(s)
}

/// The JSON Schema of what `--format json` prints: one report (an object) for exactly one
/// server name argument, an array of reports for `-f`/stdin or several names; a line of
/// `--format jsonl` is one report. Built from the report's schema
/// ([`crate::report::json_schema`]), which becomes `$defs/Report`.
pub fn output_schema() -> String {
    let mut report: serde_json::Value =
        serde_json::from_str(&crate::report::json_schema()).unwrap_or_default();
    let Some(obj) = report.as_object_mut() else {
        return String::new();
    };
    let mut defs = obj.remove("$defs").unwrap_or_else(|| serde_json::json!({}));
    let id = obj.remove("$id").unwrap_or_default();
    let dialect = obj.remove("$schema").unwrap_or_default();
    let version = crate::report::SCHEMA_VERSION;
    if let Some(defs) = defs.as_object_mut() {
        defs.insert("Report".into(), report);
    }
    let schema = serde_json::json!({
        "$schema": dialect,
        "$id": id,
        "title": "delegcheck output",
        "description": format!("What `delegcheck --format json` prints (schema_version {version}): one report, an object, for exactly one server name argument; an array of reports, in input order, for -f/stdin or several names. Each line of --format jsonl is one report."),
        "oneOf": [
            { "$ref": "#/$defs/Report" },
            { "type": "array", "items": { "$ref": "#/$defs/Report" } }
        ],
        "$defs": defs,
    });
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// One compact line.
pub fn jsonl(report: &Report) -> String {
    let mut s = serde_json::to_string(report).unwrap_or_default();
    s.push('\n');
    crate::sanitize::json_safe(s)
}

/// Text pieces that arrive in completion order and are written in input order, held so that
/// they cost little more than the text itself: the text in blocks that never grow (no
/// doubling slack), and 8 bytes a piece for its report's index and its length.
#[derive(Debug, Default)]
pub(crate) struct Chunks {
    /// Pieces one after the other; a piece never straddles two blocks.
    blocks: Vec<String>,
    /// (report index, piece length), in arrival order. A batch has at most
    /// [`crate::batch::MAX_LINES`] names, and a piece is a few lines.
    spans: Vec<(u32, u32)>,
    /// Where a piece is written before it is copied into a block.
    scratch: String,
}

/// The size of a block of [`Chunks`] text (a longer piece gets a block of its own size).
const CHUNK_BLOCK: usize = 64 * 1024;

impl Chunks {
    /// Writes the piece of report `index` with `write` (an empty piece is not kept).
    pub(crate) fn push(&mut self, index: usize, write: impl FnOnce(&mut String)) {
        self.scratch.clear();
        write(&mut self.scratch);
        let len = self.scratch.len();
        if len == 0 {
            return;
        }
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= len);
        if !fits {
            self.blocks
                .push(String::with_capacity(CHUNK_BLOCK.max(len)));
        }
        if let Some(block) = self.blocks.last_mut() {
            block.push_str(&self.scratch);
        }
        self.spans.push((
            u32::try_from(index).unwrap_or(u32::MAX),
            u32::try_from(len).unwrap_or(u32::MAX),
        ));
    }

    /// How many pieces (not counting empty ones).
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The pieces in index order (those of one index in the order they came).
    pub(crate) fn in_order(&self) -> impl Iterator<Item = &str> {
        let (mut block, mut start) = (0, 0);
        let mut pieces: Vec<(u32, &str)> = Vec::with_capacity(self.spans.len());
        for &(index, len) in &self.spans {
            let len = len as usize;
            // Pieces fill each block in turn: one that is not in this block opens the next.
            if start + len > self.blocks[block].len() {
                block += 1;
                start = 0;
            }
            pieces.push((index, &self.blocks[block][start..start + len]));
            start += len;
        }
        if !pieces.is_sorted_by_key(|p| p.0) {
            pieces.sort_by_key(|p| p.0);
        }
        pieces.into_iter().map(|(_, piece)| piece)
    }
}

/// Pieces of text by report index, like [`Chunks`], that move to an unlinked temporary file
/// once they pass [`SPILL_AT`] bytes: for outputs that must be written whole at the end and
/// grow with the batch (the Prometheus exposition), so memory stays flat however many names
/// come. Without a usable temporary directory they stay in memory.
#[derive(Debug, Default)]
pub(crate) struct SpillChunks {
    /// Bytes not yet spilled.
    buf: Vec<u8>,
    /// The spill file (already unlinked) and how many bytes it holds.
    file: Option<(std::fs::File, u64)>,
    /// Spilling failed once (no temporary directory, a full disk): stay in memory.
    in_memory: bool,
    /// (report index, piece length), in arrival order: the pieces lie one after the other.
    spans: Vec<(u32, u32)>,
    scratch: String,
}

/// Bytes kept in memory before [`SpillChunks`] moves to a file.
pub(crate) const SPILL_AT: usize = 1024 * 1024;

impl SpillChunks {
    /// Writes the piece of report `index` with `write` (an empty piece is not kept).
    pub(crate) fn push(&mut self, index: usize, write: impl FnOnce(&mut String)) {
        self.scratch.clear();
        write(&mut self.scratch);
        if self.scratch.is_empty() {
            return;
        }
        self.buf.extend_from_slice(self.scratch.as_bytes());
        self.spans.push((
            u32::try_from(index).unwrap_or(u32::MAX),
            u32::try_from(self.scratch.len()).unwrap_or(u32::MAX),
        ));
        if self.buf.len() >= SPILL_AT {
            self.spill();
        }
    }

    /// Moves the buffered bytes to the file (made on first use), at the file's known length
    /// (so a failed write leaves no shifted bytes); after a failure everything stays in
    /// memory.
    fn spill(&mut self) {
        if self.in_memory {
            return;
        }
        if self.file.is_none() {
            self.file = spill_file().map(|f| (f, 0));
        }
        let written = match &mut self.file {
            Some((f, len)) => write_at(f, &self.buf, *len).map(|()| {
                *len += self.buf.len() as u64;
            }),
            None => Err(io::Error::other("no temporary file")),
        };
        if written.is_ok() {
            self.buf.clear();
            self.buf.shrink_to(SPILL_AT);
        } else {
            self.in_memory = true;
        }
    }

    /// Writes the pieces in index order (those of one index in the order they came).
    pub(crate) fn write_in_order(&self, out: &mut dyn io::Write) -> io::Result<()> {
        let mut offset = 0u64;
        let mut pieces: Vec<(u32, u64, u32)> = Vec::with_capacity(self.spans.len());
        for &(index, len) in &self.spans {
            pieces.push((index, offset, len));
            offset += u64::from(len);
        }
        pieces.sort_by_key(|p| p.0);
        let on_file = self.file.as_ref().map_or(0, |(_, n)| *n);
        let mut piece = Vec::new();
        for (_, at, len) in pieces {
            piece.resize(len as usize, 0);
            if at < on_file {
                let Some((f, _)) = &self.file else { continue };
                read_at(f, &mut piece, at)?;
            } else {
                let start = (at - on_file) as usize;
                piece.copy_from_slice(&self.buf[start..start + len as usize]);
            }
            out.write_all(&piece)?;
        }
        Ok(())
    }
}

/// A fresh temporary file, unlinked at once so nothing is left behind.
fn spill_file() -> Option<std::fs::File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "delegcheck-{}-{}.spill",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let f = options.open(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    Some(f)
}

#[cfg(unix)]
fn write_at(f: &std::fs::File, buf: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, buf, at)
}

#[cfg(not(unix))]
fn write_at(f: &std::fs::File, buf: &[u8], at: u64) -> io::Result<()> {
    use std::io::{Seek as _, SeekFrom, Write as _};
    let mut f = f;
    f.seek(SeekFrom::Start(at))?;
    f.write_all(buf)
}

#[cfg(unix)]
fn read_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
}

#[cfg(not(unix))]
fn read_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut f = f;
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
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
    fn spilled_chunks_come_out_in_index_order() {
        use std::fmt::Write as _;
        let mut c = SpillChunks::default();
        let piece = |i: usize| format!("{i:06}{}\n", "x".repeat(i % 300));
        // Enough to spill several times, in an order that is not the index order.
        let order: Vec<usize> = (0..20_000).map(|i| (i * 7919) % 20_000).collect();
        for &i in &order {
            c.push(i, |s| {
                let _ = write!(s, "{}", piece(i));
            });
        }
        assert!(c.file.is_some(), "the pieces went to a file");
        assert!(c.buf.len() < SPILL_AT);
        let mut out = Vec::new();
        c.write_in_order(&mut out).unwrap();
        let want: String = (0..20_000).map(piece).collect();
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    #[test]
    fn chunks_come_out_in_index_order() {
        use std::fmt::Write as _;
        let mut c = Chunks::default();
        for (i, text) in [(2, "c"), (0, "a"), (3, ""), (1, "b1"), (1, "b2")] {
            c.push(i, |s| {
                let _ = write!(s, "{text}");
            });
        }
        assert_eq!(c.len(), 4, "an empty piece is not kept");
        assert_eq!(c.in_order().collect::<Vec<_>>(), ["a", "b1", "b2", "c"]);
    }

    #[test]
    fn chunks_span_many_blocks_without_growing_them() {
        let mut c = Chunks::default();
        let piece = |i: usize| format!("{i:>5}:{}|", "x".repeat(i % 700));
        let n = 2000;
        for i in (0..n).rev() {
            c.push(i, |s| s.push_str(&piece(i)));
        }
        // A piece larger than a block gets a block of its own.
        let big = "y".repeat(3 * CHUNK_BLOCK);
        c.push(n, |s| s.push_str(&big));
        c.push(n + 1, |s| s.push_str("after"));
        assert!(c.blocks.len() > 5, "{} blocks", c.blocks.len());
        assert!(
            c.blocks
                .iter()
                .all(|b| b.capacity() <= CHUNK_BLOCK.max(big.len()) + 64),
            "blocks never grow"
        );
        let want: Vec<String> = (0..n)
            .map(piece)
            .chain([big.clone(), "after".into()])
            .collect();
        assert_eq!(c.in_order().collect::<Vec<_>>(), want);
    }

    #[test]
    fn the_locale_decides_utf8() {
        let s = |v: &str| Some(v.to_owned());
        assert!(utf8_locale(None, None, s("en_US.UTF-8")));
        assert!(utf8_locale(s("C.utf8"), None, None));
        assert!(!utf8_locale(s("C"), None, s("en_US.UTF-8")), "LC_ALL wins");
        assert!(
            utf8_locale(s(""), s("de_DE.UTF-8"), s("C")),
            "empty is unset"
        );
        assert!(!utf8_locale(None, None, None), "the C locale");
        assert!(!utf8_locale(None, None, s("POSIX")));
    }

    #[test]
    fn plain_palette_has_no_escapes() {
        let p = Palette::plain();
        assert_eq!(format!("{}", p.err.style("x")), "x");
        assert!(format!("{}", Palette::pretty().err.style("x")).contains('\u{1b}'));
    }
}
