//! The batch pipeline on its own (name list → checks → writer), with a check that costs
//! nothing, so that 100,000 names go through in a moment: every report is written, once, and
//! in input order where the format promises it. (The binary's own reader, caps and exit
//! statuses are in tests/cli.rs; memory is measured in BENCHMARKS.md.)

use std::io::{self, Write};

use delegcheck::batch;
use delegcheck::findings::Code;
use delegcheck::render::{Shape, Writer};
use delegcheck::report::{Finding, Report, SCHEMA_VERSION, Status};

const N: usize = 100_000;

fn report(name: &str) -> Report {
    Report {
        schema_version: SCHEMA_VERSION.into(),
        checked_at: String::new(),
        tool_version: String::new(),
        server_name: name.into(),
        ok: false,
        status: Status::Error,
        discovery: Default::default(),
        targets: vec![],
        findings: vec![Finding::plain(Code::NoTargets, "nowhere to go")],
        compatibility: vec![],
        families: Default::default(),
        timings: Default::default(),
        changes: vec![],
        web_servers: vec![],
        fixes: vec![],
        client: None,
    }
}

/// Output checked as it streams by, without keeping it: the number in each `sN.test` found
/// where `marker` starts a line, in output order.
struct Seen {
    marker: &'static str,
    line: Vec<u8>,
    numbers: Vec<usize>,
}

impl Seen {
    fn new(marker: &'static str) -> Seen {
        Seen {
            marker,
            line: Vec::new(),
            numbers: Vec::new(),
        }
    }
}

impl Seen {
    fn line(&mut self, line: &[u8]) {
        let line = std::str::from_utf8(line).unwrap();
        for piece in line.split(self.marker).skip(1) {
            if let Some(rest) = piece.strip_prefix('s') {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                if rest[digits..].starts_with(".test") {
                    self.numbers.push(rest[..digits].parse().unwrap());
                }
            }
        }
    }
}

impl Write for Seen {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut lines = buf.split(|&b| b == b'\n');
        let mut current = lines.next().unwrap_or_default();
        for next in lines {
            // `current` ends a line.
            if self.line.is_empty() {
                self.line(current);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(current);
                self.line(&line);
            }
            current = next;
        }
        self.line.extend_from_slice(current);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs 100,000 names (read as the binary reads `-f`: comments, blank lines and a name given
/// twice included) through the pipeline in `format`; returns the `sN.test` numbers found
/// after `marker`, in output order.
async fn hundred_thousand(writer: Writer, marker: &'static str) -> Vec<usize> {
    let mut list = String::from("# a long list\n\n");
    for i in 0..N {
        list.push_str(&format!("s{i}.test\n"));
        if i % 1000 == 0 {
            list.push_str("s0.test # again\n");
        }
    }
    let names = batch::dedupe(batch::read_names(list.as_bytes()).unwrap());
    assert_eq!(names.len(), N);
    let mut out = Seen::new(marker);
    let outcome = batch::run(
        &names,
        64,
        |name| {
            let r = report(name);
            // Finish out of order: two checks in five yield first.
            let late = name[1..name.len() - 5].parse::<usize>().unwrap() * 7919 % 5 < 2;
            async move {
                if late {
                    tokio::task::yield_now().await;
                }
                r
            }
        },
        writer,
        &mut out,
        |_| {},
    )
    .await
    .unwrap();
    assert!(!outcome.closed);
    assert_eq!(outcome.tally.reports, N);
    assert_eq!(outcome.tally.broken, N);
    out.numbers
}

fn in_input_order(seen: &[usize]) -> bool {
    seen.len() == N && seen.iter().enumerate().all(|(i, n)| i == *n)
}

#[tokio::test]
async fn json_writes_a_hundred_thousand_reports_in_input_order() {
    let seen = hundred_thousand(Writer::json(Shape::Many), "    \"server_name\": \"").await;
    assert!(in_input_order(&seen), "every report once, in input order");
}

#[tokio::test]
async fn jsonl_writes_a_hundred_thousand_reports() {
    let mut seen = hundred_thousand(Writer::jsonl(), "\"server_name\":\"").await;
    seen.sort_unstable(); // completion order
    assert!(in_input_order(&seen), "every report once");
}

#[tokio::test]
async fn prometheus_writes_a_hundred_thousand_servers_in_input_order() {
    let seen = hundred_thousand(
        Writer::prometheus(0),
        "delegcheck_federation_ok{server_name=\"",
    )
    .await;
    assert!(in_input_order(&seen), "every server once, in input order");
}

#[tokio::test]
async fn nagios_labels_a_hundred_thousand_servers_in_input_order() {
    // The perfdata labels are the only quoted text.
    let seen = hundred_thousand(Writer::nagios(Shape::Many, Default::default()), "'").await;
    assert!(in_input_order(&seen), "every label once, in input order");
}

/// A writer whose reader went away after `after` bytes.
struct ClosesAfter(usize);

impl Write for ClosesAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0 < buf.len() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        self.0 -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_closed_output_stops_the_batch_quietly() {
    let names: Vec<String> = (0..10_000).map(|i| format!("s{i}.test")).collect();
    let outcome = batch::run(
        &names,
        8,
        |name| std::future::ready(report(name)),
        Writer::jsonl(),
        &mut ClosesAfter(10_000),
        |_| {},
    )
    .await
    .unwrap();
    assert!(outcome.closed);
    assert!(
        outcome.tally.reports < 200,
        "stopped soon after: {}",
        outcome.tally.reports
    );
}
