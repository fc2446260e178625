//! A batch of server names: the name list read as a stream under caps, each name once, the
//! checks run with bounded concurrency, and every finished report handed to a
//! [`Writer`] as soon as its format allows. No finished report is kept here: memory grows
//! only with the number of names and with what the output format itself has to hold (see
//! [`Writer`]), never with the reports.

use std::io::{self, BufRead, Write};
use std::ops::ControlFlow;

use crate::exit::Tally;
use crate::render::Writer;
use crate::report::Report;

/// The longest line a name list may have, comment included. A server name has at most 255
/// characters (a DNS name) plus a port; a longer line means the input is not a name list
/// (`-f /dev/zero`, a binary file), and reading stops there instead of buffering it.
pub const MAX_LINE_BYTES: usize = 4096;

/// The most lines a name list may have: an endless stream (`yes | delegcheck -f -`) ends
/// with an error instead of growing without end.
pub const MAX_LINES: usize = 1_000_000;

/// Why a name list cannot be used.
#[derive(Debug)]
pub enum ReadError {
    /// Reading failed.
    Io(io::Error),
    /// A line is longer than [`MAX_LINE_BYTES`].
    LineTooLong {
        /// Its number, from 1.
        line: usize,
    },
    /// More than [`MAX_LINES`] lines.
    TooManyLines,
    /// A line is not UTF-8.
    NotUtf8 {
        /// Its number, from 1.
        line: usize,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::LineTooLong { line } => write!(
                f,
                "line {line} is longer than {MAX_LINE_BYTES} bytes: not a list of server names (one per line)"
            ),
            ReadError::TooManyLines => write!(
                f,
                "more than {MAX_LINES} lines: an endless stream, or a list to split into several runs"
            ),
            ReadError::NotUtf8 { line } => write!(f, "line {line} is not UTF-8 text"),
        }
    }
}

impl std::error::Error for ReadError {}

/// The server name on one line of a name list: `#` starts a comment, surrounding
/// whitespace is dropped, and a line with nothing left names nothing.
pub fn name_in_line(line: &str) -> Option<&str> {
    let name = line.split('#').next().unwrap_or("").trim();
    (!name.is_empty()).then_some(name)
}

/// Reads a name list as a stream: one line at a time, never more than [`MAX_LINE_BYTES`] of
/// it, at most [`MAX_LINES`] lines. The first line over a cap ends the reading at once.
/// Names come back in order, each once ([`dedupe`]); a name repeated over and over
/// (`yes example.org`) takes no more memory than once.
pub fn read_names(mut input: impl BufRead) -> Result<Vec<String>, ReadError> {
    let mut names = Vec::new();
    let mut compact_at = 1024;
    let mut line = Vec::with_capacity(256);
    let mut number = 0usize;
    loop {
        if names.len() >= compact_at {
            names = dedupe(names);
            compact_at = (names.len() * 2).max(1024);
        }
        line.clear();
        match read_line(&mut input, &mut line, MAX_LINE_BYTES).map_err(ReadError::Io)? {
            Line::End => return Ok(dedupe(names)),
            Line::TooLong => return Err(ReadError::LineTooLong { line: number + 1 }),
            Line::Read => {}
        }
        number += 1;
        if number > MAX_LINES {
            return Err(ReadError::TooManyLines);
        }
        let text = std::str::from_utf8(&line).map_err(|_| ReadError::NotUtf8 { line: number })?;
        if let Some(name) = name_in_line(text) {
            names.push(name.to_owned());
        }
    }
}

enum Line {
    Read,
    TooLong,
    End,
}

/// Reads one line, without its `\n`, into `line`: at most `max` bytes of it, whatever the
/// input holds.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(if line.is_empty() {
                Line::End
            } else {
                Line::Read
            });
        }
        let (content, used) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], i + 1),
            None => (buf, buf.len()),
        };
        if line.len() + content.len() > max {
            return Ok(Line::TooLong);
        }
        line.extend_from_slice(content);
        let complete = used > content.len();
        input.consume(used);
        if complete {
            return Ok(Line::Read);
        }
    }
}

/// Each name once, at its first occurrence (names are compared exactly: server names are
/// case-sensitive).
pub fn dedupe(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    let keep: Vec<bool> = names.iter().map(|n| seen.insert(n.as_str())).collect();
    drop(seen);
    names
        .into_iter()
        .zip(keep)
        .filter_map(|(n, keep)| keep.then_some(n))
        .collect()
}

/// How a batch ended.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// What the reports written (or at least checked) said.
    pub tally: Tally,
    /// The output went away (a closed pipe) before everything was written: the run stopped
    /// there, quietly.
    pub closed: bool,
    /// Under `--format nagios`, the plugin's state: the tally's, raised by the thresholds.
    pub nagios: Option<crate::exit::NagiosState>,
}

/// Checks every name with `check`, at most `jobs` at once, and writes each report to `out`
/// with `writer` as soon as the format allows (in input order when the format promises it);
/// `progress(done)` follows each report. A closed pipe stops the run quietly (see
/// [`Outcome::closed`]); any other write error stops it and is returned.
pub async fn run<'a, C, Fut>(
    names: &'a [String],
    jobs: usize,
    check: C,
    mut writer: Writer,
    out: &mut dyn Write,
    mut progress: impl FnMut(usize),
) -> io::Result<Outcome>
where
    C: Fn(&'a str) -> Fut,
    Fut: std::future::Future<Output = Report>,
{
    let mut tally = Tally::default();
    let mut failed = None;
    crate::run_bounded(names, jobs, writer.order(), check, |i, report| {
        tally.add(&report);
        progress(tally.reports);
        match writer.write(i, report, out) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })
    .await;
    end(tally, failed, writer, out)
}

/// Writes reports that are already there (the demo's), in their order, as [`run`] does.
pub fn write_all(
    reports: impl IntoIterator<Item = Report>,
    mut writer: Writer,
    out: &mut dyn Write,
) -> io::Result<Outcome> {
    let mut tally = Tally::default();
    let mut failed = None;
    for (i, report) in reports.into_iter().enumerate() {
        tally.add(&report);
        if let Err(e) = writer.write(i, report, out) {
            failed = Some(e);
            break;
        }
    }
    end(tally, failed, writer, out)
}

/// Finishes the output unless writing failed; a closed pipe is a quiet end.
fn end(
    tally: Tally,
    failed: Option<io::Error>,
    writer: Writer,
    out: &mut dyn Write,
) -> io::Result<Outcome> {
    let nagios = writer.nagios_state();
    let written = match failed {
        Some(e) => Err(e),
        None => writer.finish(out).and_then(|()| out.flush()),
    };
    match written {
        Ok(()) => Ok(Outcome {
            tally,
            closed: false,
            nagios,
        }),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome {
            tally,
            closed: true,
            nagios,
        }),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_lists() {
        let t = "# servers\nexample.org\n  matrix.org  # comment\n\n#x\nexample.com:8448\r\nlast";
        assert_eq!(
            read_names(t.as_bytes()).unwrap(),
            vec!["example.org", "matrix.org", "example.com:8448", "last"]
        );
        assert!(read_names(&b""[..]).unwrap().is_empty());
        let repeated = "b.test\na.test\n".repeat(5000) + "c.test\na.test\n";
        assert_eq!(
            read_names(repeated.as_bytes()).unwrap(),
            ["b.test", "a.test", "c.test"],
            "each once, at its first place"
        );
        assert!(
            read_names(&b"\n\n# only comments\n"[..])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_line_at_the_cap_is_read_one_over_it_is_refused() {
        let at = format!("{}\nnext\n", "a".repeat(MAX_LINE_BYTES));
        assert_eq!(read_names(at.as_bytes()).unwrap().len(), 2);
        let over = format!("ok.test\n{}\n", "a".repeat(MAX_LINE_BYTES + 1));
        let e = read_names(over.as_bytes()).unwrap_err();
        assert!(matches!(e, ReadError::LineTooLong { line: 2 }), "{e:?}");
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    /// An input that never ends: `bytes` repeated forever, counting what is read.
    struct Endless {
        bytes: &'static [u8],
        at: usize,
        read: usize,
    }

    impl io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            for b in buf.iter_mut() {
                *b = self.bytes[self.at];
                self.at = (self.at + 1) % self.bytes.len();
            }
            self.read += buf.len();
            Ok(buf.len())
        }
    }

    #[test]
    fn an_endless_stream_ends_at_once() {
        // No newline at all (`-f /dev/zero`): stops within the first buffers.
        let mut zeros = Endless {
            bytes: b"\0",
            at: 0,
            read: 0,
        };
        let e = read_names(io::BufReader::new(&mut zeros)).unwrap_err();
        assert!(matches!(e, ReadError::LineTooLong { line: 1 }), "{e:?}");
        assert!(zeros.read <= MAX_LINE_BYTES + 8192, "read {}", zeros.read);
        // Short lines forever (`yes example.org`): stops after the line cap.
        let mut lines = Endless {
            bytes: b"example.org\n",
            at: 0,
            read: 0,
        };
        let e = read_names(io::BufReader::new(&mut lines)).unwrap_err();
        assert!(matches!(e, ReadError::TooManyLines), "{e:?}");
        assert!(
            lines.read <= (MAX_LINES + 1) * 12 + 8192,
            "read {}",
            lines.read
        );
    }

    #[test]
    fn not_utf8_is_refused_with_its_line() {
        let e = read_names(&b"a.test\nb\xff.test\n"[..]).unwrap_err();
        assert!(matches!(e, ReadError::NotUtf8 { line: 2 }), "{e:?}");
    }

    #[test]
    fn a_name_given_twice_is_kept_once_at_its_first_place() {
        let names = ["b.test", "a.test", "b.test", "A.test", "a.test", "c.test"];
        assert_eq!(
            dedupe(names.iter().map(|s| s.to_string()).collect()),
            ["b.test", "a.test", "A.test", "c.test"]
        );
    }
}
