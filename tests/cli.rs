//! The binary as users and scripts meet it: exit codes in every format, input from arguments,
//! a file and stdin, every output format, colour rules. Network checks run against a lab
//! started here, reached through the real flags (`--resolver`, `--ca-file`,
//! `--no-system-roots`, `--connect-to`).

use std::path::PathBuf;

use assert_cmd::Command;
use delegcheck::lab::https::HostSpec;
use delegcheck::lab::pki::CertKind;
use delegcheck::lab::{Lab, LabOptions};

fn bin() -> Command {
    let mut c = Command::cargo_bin("delegcheck").unwrap();
    for v in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "LANG", "LC_CTYPE"] {
        c.env_remove(v);
    }
    // A UTF-8 terminal unless a test says otherwise (the glyphs depend on the locale).
    c.env("LC_ALL", "C.UTF-8");
    c
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(c: &mut Command) -> Out {
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The Nagios plugin API's answer to a check that could not be made: UNKNOWN, exit 3.
fn assert_nagios_unknown(o: &Out) {
    assert_eq!(o.code, 3, "{}", o.stdout);
    assert!(
        o.stdout.starts_with("DELEGCHECK UNKNOWN - "),
        "{}",
        o.stdout
    );
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

// ---- without network ------------------------------------------------------------------------

#[test]
fn certificate_thresholds_drive_findings_and_the_nagios_state() {
    // The lab's expiring certificate has 4 or 5 whole days left.
    let nagios = |extra: &[&str]| {
        let mut c = bin();
        c.args(["--demo", "tls-expiring", "--format", "nagios"])
            .args(extra);
        run(&mut c)
    };
    let o = nagios(&[]);
    assert_eq!(o.code, 1, "WARNING under the default 14 days: {}", o.stdout);
    assert!(o.stdout.contains(";14:;3:\n"), "{}", o.stdout);
    let o = nagios(&["--warn-cert-days", "30", "--crit-cert-days", "7"]);
    assert_eq!(o.code, 2, "CRITICAL under 7 days: {}", o.stdout);
    assert!(o.stdout.contains("tls-expiring-soon"), "{}", o.stdout);
    assert!(o.stdout.contains(";30:;7:\n"), "{}", o.stdout);
    let o = nagios(&["--warn-cert-days", "2", "--crit-cert-days", "1"]);
    assert_eq!(o.code, 0, "OK above both: {}", o.stdout);
    let o = run(bin().args(["--demo", "tls-expiring", "-q", "--crit-cert-days", "10"]));
    assert_eq!(o.stdout, "example.test WARN tls-expiring-soon\n");
    // The verdict stays a warning (it still federates): exit 0, 1 only under --strict.
    assert_eq!(o.code, 0);
    let o = nagios(&["--warn-cert-days", "3", "--crit-cert-days", "4"]);
    assert_nagios_unknown(&o);
    assert!(
        o.stdout.contains("--crit-cert-days 4 is more than"),
        "{}",
        o.stdout
    );
    let o = run(bin().args([
        "--demo",
        "well-known-port-443",
        "--format",
        "nagios",
        "-t",
        "5",
        "--warn-duration",
        "1ms",
    ]));
    assert_eq!(
        o.code, 1,
        "-t is the timeout; the check takes over 1 ms: {}",
        o.stdout
    );
    assert!(o.stdout.contains("s;0.001;;0 "), "{}", o.stdout);
}

#[test]
fn quiet_prints_one_line_per_name_with_the_usual_exit_code() {
    let o = run(bin().args([
        "-q",
        "--resolver",
        "127.0.0.1:9",
        "https://x.test/",
        "@a:b.test",
    ]));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert_eq!(o.stdout, "https://x.test/ INVALID\n@a:b.test INVALID\n");
    for (scenario, line, code) in [
        ("client-healthy", "example.test GOOD\n", 0),
        (
            "srv-delegation",
            "example.test WARN client-well-known-missing\n",
            0,
        ),
        ("expired-certificate", "example.test BAD tls-expired", 1),
        // Federation works; web clients do not: an error of the report, exit 1.
        (
            "client-cors-missing-well-known",
            "example.test BAD client-cors-missing\n",
            1,
        ),
        ("legacy-srv-only", "example.test WARN ", 0),
    ] {
        let loud = run(bin().args(["--demo", scenario]));
        let o = run(bin().args(["--demo", scenario, "--quiet"]));
        assert_eq!(o.code, loud.code, "{scenario}: the exit code is unchanged");
        assert_eq!(o.code, code, "{scenario}");
        assert_eq!(o.stdout.lines().count(), 1, "{scenario}: {}", o.stdout);
        assert!(o.stdout.starts_with(line), "{scenario}: {}", o.stdout);
    }
    // Under --strict, warnings fail as ever.
    assert_eq!(
        run(bin().args(["--demo", "legacy-srv-only", "-q", "--strict"])).code,
        1
    );
    let o = run(bin().args(["-q", "--format", "json", "x.test"]));
    assert_eq!(o.code, 2, "quiet is a human format: {}", o.stderr);
}

#[test]
fn json_reports_say_when_and_by_what() {
    let before = delegcheck::time::rfc3339(delegcheck::time::now());
    let o = run(bin().args([
        "--resolver",
        "127.0.0.1:9",
        "--format",
        "json",
        "https://x.test/",
    ]));
    let after = delegcheck::time::rfc3339(delegcheck::time::now());
    let r = json(&o.stdout);
    let at = r["checked_at"].as_str().expect("checked_at is a string");
    // RFC 3339 in UTC to the second sorts as the time it names.
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );
    assert!(
        before.as_str() <= at && at <= after.as_str(),
        "{before} <= {at} <= {after}"
    );
    assert_eq!(r["tool_version"], env!("CARGO_PKG_VERSION"));
    let line = run(bin().args([
        "--resolver",
        "127.0.0.1:9",
        "--format",
        "jsonl",
        "https://x.test/",
    ]));
    assert_eq!(
        json(&line.stdout)["tool_version"],
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn a_pasted_url_or_user_id_is_a_usage_error_with_its_report() {
    // A resolver nobody answers on: any lookup would show up as a DNS failure.
    for (input, code, hint) in [
        ("https://example.com/", "name-has-scheme", "example.com"),
        ("@alice:example.com", "name-is-user-id", "example.com"),
        ("example.com/matrix", "name-has-path", "example.com"),
        ("2001:db8::1", "name-unbracketed-ipv6", "[2001:db8::1]"),
        ("bücher.example", "name-non-ascii", "xn--bcher-kva.example"),
        ("example.com:99999", "name-port-invalid", "65535"),
    ] {
        let o = run(bin().args(["--resolver", "127.0.0.1:9", "--format", "json", input]));
        assert_eq!(o.code, 2, "{input}: a usage error: {}", o.stderr);
        assert!(o.stderr.contains("not a server name"), "{}", o.stderr);
        let r = json(&o.stdout);
        assert_eq!(r["ok"], false);
        assert!(
            r["discovery"]["steps"].as_array().unwrap().is_empty(),
            "{input}: no lookups"
        );
        assert!(r["targets"].as_array().unwrap().is_empty());
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{input}: no {code} in {}", o.stdout));
        assert_eq!(f["severity"], "error");
        let text = format!("{} {}", f["message"], f["hint"]);
        assert!(text.contains(hint), "{input}: {text}");

        let human = run(bin().args(["--resolver", "127.0.0.1:9", input]));
        assert_eq!(human.code, 2);
        assert!(human.stdout.contains(code), "{}", human.stdout);
        assert!(human.stdout.contains("fix:"), "every finding has its hint");
        assert!(
            human.stdout.contains("not a server name"),
            "{}",
            human.stdout
        );

        // A typo in a monitoring definition is not a CRITICAL for the server.
        let nagios = run(bin().args(["--resolver", "127.0.0.1:9", "--format", "nagios", input]));
        assert_nagios_unknown(&nagios);
        assert!(nagios.stdout.contains(code), "{}", nagios.stdout);
        assert!(nagios.stdout.contains(hint), "the hint: {}", nagios.stdout);
    }
}

/// Runs the binary with `stdin` fed from `feed` (on a thread of its own, which stops when the
/// binary stops reading).
fn run_fed(
    args: &[&str],
    feed: impl FnOnce(&mut std::process::ChildStdin) + Send + 'static,
) -> Out {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_delegcheck"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || feed(&mut stdin));
    let o = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Writes `line` over and over until the reader goes away.
fn endless(line: &'static [u8]) -> impl FnOnce(&mut std::process::ChildStdin) + Send + 'static {
    move |stdin| {
        use std::io::Write;
        let block = line.repeat(65536 / line.len());
        while stdin.write_all(&block).is_ok() {}
    }
}

#[test]
fn an_endless_or_binary_name_list_is_a_usage_error_at_once() {
    // No newline ever: the first line is over the cap.
    let o = run(bin().args(["--resolver", "127.0.0.1:9", "-f", "/dev/zero"]));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("cannot read server names from /dev/zero: line 1 is longer than 4096 bytes"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty(), "nothing was checked: {}", o.stdout);
    let o = run_fed(&["--resolver", "127.0.0.1:9", "-f", "-"], endless(b"\0"));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("from stdin: line 1 is longer"),
        "{}",
        o.stderr
    );
    // Short lines forever (`yes example.org | delegcheck -f -`).
    let o = run_fed(
        &["--resolver", "127.0.0.1:9", "--format", "jsonl", "-f", "-"],
        endless(b"example.org\n"),
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("more than 1000000 lines"), "{}", o.stderr);
    assert!(o.stdout.is_empty(), "nothing was checked: {}", o.stdout);
    // Under Nagios: UNKNOWN, with the reason.
    let o = run(bin().args(["--format", "nagios", "-f", "/dev/zero"]));
    assert_nagios_unknown(&o);
    assert!(o.stdout.contains("longer than 4096 bytes"), "{}", o.stdout);
}

#[test]
fn a_batch_writes_every_report_once_in_input_order_for_json() {
    // Names that fail at once without network (whitespace), each given twice.
    let n = 3000;
    let list: String = (0..n)
        .chain(0..n)
        .map(|i| format!("bad name {i}\n"))
        .collect();
    let names: Vec<String> = (0..n).map(|i| format!("bad name {i}")).collect();
    for format in ["json", "jsonl"] {
        let o = run(bin()
            .args(["--resolver", "127.0.0.1:9", "--format", format, "-f", "-"])
            .write_stdin(list.clone()));
        assert_eq!(o.code, 2, "{format}: invalid names are a usage error");
        let mut got: Vec<String> = match format {
            "json" => json(&o.stdout)
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["server_name"].as_str().unwrap().to_owned())
                .collect(),
            _ => o
                .stdout
                .lines()
                .map(|l| json(l)["server_name"].as_str().unwrap().to_owned())
                .collect(),
        };
        if format == "jsonl" {
            got.sort_by_key(|s| s[9..].parse::<usize>().unwrap()); // completion order
        }
        assert_eq!(got, names, "{format}: every name once, json in input order");
    }
}

#[test]
fn strings_that_are_not_server_names_are_not_summed_up_as_broken_servers() {
    let o = run(bin().args(["--resolver", "127.0.0.1:9", "a b", "https://x.test/"]));
    assert_eq!(o.code, 2);
    assert_eq!(
        o.stdout.matches("✗ not a server name").count(),
        2,
        "{}",
        o.stdout
    );
    let table: Vec<&str> = o
        .stdout
        .lines()
        .filter(|l| l.contains(" invalid "))
        .collect();
    assert_eq!(table.len(), 2, "{}", o.stdout);
    assert!(table[1].starts_with("https://x.test/") && table[1].ends_with("name-has-scheme"));
}

#[test]
fn json_output_shape_follows_the_invocation() {
    let shape = |args: &[&str], stdin: Option<&str>| {
        let mut c = bin();
        c.args(["--resolver", "127.0.0.1:9", "--format", "json"])
            .args(args);
        if let Some(s) = stdin {
            c.write_stdin(s.to_owned());
        }
        let o = run(&mut c);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        match json(&o.stdout) {
            serde_json::Value::Array(a) => format!("array of {}", a.len()),
            serde_json::Value::Object(_) => "object".to_owned(),
            other => panic!("{other}"),
        }
    };
    assert_eq!(shape(&["a b"], None), "object", "one name argument");
    assert_eq!(
        shape(&["a b", "a b"], None),
        "array of 1",
        "the same name twice"
    );
    assert_eq!(shape(&["a b", "c d"], None), "array of 2");
    assert_eq!(
        shape(&["-f", "-"], Some("a b\n")),
        "array of 1",
        "a list of one"
    );
    assert_eq!(
        shape(&["-f", "-"], Some("# nothing but\na b\na b\n")),
        "array of 1"
    );
}

#[test]
fn usage_errors_exit_2_and_3_under_nagios() {
    let o = run(bin().args(["--format", "bogus", "example.com"]));
    assert_eq!(o.code, 2);
    let o = run(bin().arg("--no-such-flag"));
    assert_eq!(o.code, 2);
    let o = run(&mut bin());
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no server name"), "{}", o.stderr);
    let o = run(bin().args(["-f", "/nonexistent/names.txt"]));
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("/nonexistent/names.txt"));
    // The trust store is the checking host's: the check cannot run (3), no usage error.
    let o = run(bin().args(["--ca-file", "/nonexistent/ca.pem", "example.com"]));
    assert_eq!(o.code, 3, "{}", o.stderr);
    let o = run(bin().args(["--timeout", "soon", "example.com"]));
    assert_eq!(o.code, 2);
    let o = run(bin().args(["--connect-to", "nonsense", "example.com"]));
    assert_eq!(o.code, 2);

    let o = run(bin().args(["-f", "/"]));
    assert_eq!(o.code, 2, "a directory is not a name list: {}", o.stderr);
    let o = run(bin().args(["--format", "nagios", "--no-such-flag"]));
    assert_nagios_unknown(&o);
    let o = run(bin().args([
        "--format",
        "nagios",
        "--ca-file",
        "/nonexistent/ca.pem",
        "x.test",
    ]));
    assert_nagios_unknown(&o);
}

#[test]
fn explain_and_generate() {
    let o = run(bin().args(["--explain", "srv-target-dot"]));
    assert_eq!(o.code, 0);
    assert!(
        o.stdout.contains("srv-target-dot") && o.stdout.len() > 100,
        "{}",
        o.stdout
    );
    let o = run(bin().args(["--explain", "list"]));
    assert_eq!(o.code, 0);
    for c in delegcheck::findings::Code::ALL {
        assert!(o.stdout.contains(c.as_str()));
    }
    let o = run(bin().args(["--explain", "no-such-code"]));
    assert_eq!(o.code, 2);
    // Case and `_` do not matter; a near miss gets a suggestion.
    let o = run(bin().args(["--explain", "TLS_NAME_MISMATCH"]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("tls-name-mismatch"), "{}", o.stdout);
    let o = run(bin().args(["--explain", "tls-mismatch"]));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("did you mean 'tls-name-mismatch'?"),
        "{}",
        o.stderr
    );
    let o = run(bin().args(["--generate", "man"]));
    assert_eq!(o.code, 0);
    assert!(
        o.stdout.starts_with(".ie") || o.stdout.contains(".TH"),
        "roff"
    );
}

#[test]
fn demo_runs_offline_and_lists_its_scenarios() {
    let o = run(bin().arg("--demo"));
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("Every scenario came out as it declares"),
        "{}",
        o.stdout
    );
    for s in delegcheck::lab::demo::demo_scenarios() {
        assert!(o.stdout.contains(&s.name));
    }
    let o = run(bin().args(["--demo", "list"]));
    assert_eq!(o.code, 0);
    assert!(
        o.stdout.contains("srv-target-dot"),
        "test-only scenarios are listed too"
    );
    let o = run(bin().args(["--demo", "no-such-scenario"]));
    assert_eq!(o.code, 2);
    // Flags for a real network do not apply to the lab: refused, not ignored.
    let o = run(bin().args(["--demo", "dual-stack", "-6"]));
    assert_eq!(o.code, 2, "{}", o.stdout);
    assert!(o.stderr.contains("-6"), "{}", o.stderr);
    let o = run(bin().args(["--demo", "direct-8448", "example.org"]));
    assert_eq!(o.code, 2);

    // One scenario, any format, with the exit code of its report.
    let o = run(bin().args(["--demo", "well-known-port-443", "--format", "json"]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        json(&o.stdout)["discovery"]["step"],
        "3.2",
        "one name: one object"
    );
    let o = run(bin().args(["--demo", "expired-certificate"]));
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("tls-expired"));
    let o = run(bin().args(["--demo", "legacy-srv-only"]));
    assert_eq!(o.code, 0);
    let o = run(bin().args(["--demo", "legacy-srv-only", "--strict"]));
    assert_eq!(o.code, 1, "--strict fails on warnings");
    let o = run(bin().args(["--demo", "expired-certificate", "--format", "nagios"]));
    assert_eq!(o.code, 2);
    assert!(o.stdout.starts_with("DELEGCHECK CRITICAL"));

    // Every scenario serves example.test, yet every perfdata label is its own.
    let o = run(bin().args(["--demo", "--format", "nagios"]));
    let status = o.stdout.lines().next().unwrap();
    let (_, perf) = status.split_once(" | ").unwrap();
    let labels: Vec<&str> = perf
        .split(" '")
        .map(|p| p.trim_start_matches('\'').split("'=").next().unwrap())
        .collect();
    assert!(labels.len() > 20, "{perf}");
    let unique: std::collections::HashSet<&&str> = labels.iter().collect();
    assert_eq!(unique.len(), labels.len(), "{perf}");
    assert!(labels.contains(&"example.test#2 time"), "{perf}");
}

// ---- against a lab, through the real flags ----------------------------------------------------

fn fed_host(listen: &str, name: &str, kind: CertKind) -> HostSpec {
    HostSpec {
        listen: vec![listen.to_owned()],
        cert: vec![name.to_owned()],
        cert_kind: kind,
        matrix: Some(name.to_owned()),
        ..Default::default()
    }
}

/// A lab with three servers: good.test (healthy), warn.test (certificate expiring in 5 days),
/// bad.test (expired certificate); gone.test does not exist.
async fn three_servers() -> (Lab, tempfile_path::TempDir) {
    let zone: Vec<String> = [
        "good.test A 127.0.0.2",
        "warn.test A 127.0.0.3",
        "bad.test A 127.0.0.4",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let hosts = vec![
        fed_host("127.0.0.2:8448", "good.test", CertKind::Valid),
        fed_host("127.0.0.3:8448", "warn.test", CertKind::Expiring),
        fed_host("127.0.0.4:8448", "bad.test", CertKind::Expired),
    ];
    let lab = Lab::start_parts(&zone, &hosts, LabOptions::default())
        .await
        .unwrap();
    let dir = tempfile_path::TempDir::new();
    std::fs::write(dir.path.join("ca.pem"), &lab.ca_pem).unwrap();
    (lab, dir)
}

mod tempfile_path {
    /// A scratch directory under the target dir, removed on drop.
    pub struct TempDir {
        pub path: std::path::PathBuf,
    }
    impl TempDir {
        pub fn new() -> TempDir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "delegcheck-cli-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&path).unwrap();
            TempDir { path }
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Runs the binary with the lab's flags plus `args` (off the async runtime, which keeps
/// serving the lab meanwhile).
async fn run_lab(lab: &Lab, ca: PathBuf, args: &[&str], stdin: Option<&str>) -> Out {
    let mut c = bin();
    c.args(lab.cli_args(&ca))
        .args(["--timeout", "5s"])
        .args(args);
    if let Some(s) = stdin {
        c.write_stdin(s.to_owned());
    }
    tokio::task::spawn_blocking(move || run(&mut c))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_hold_in_every_format() {
    let (lab, dir) = three_servers().await;
    let ca = dir.path.join("ca.pem");
    // (name, human/json/jsonl/prometheus exit, strict exit, nagios exit and state)
    for (name, code, strict, nagios, state) in [
        ("good.test", 0, 0, 0, "OK"),
        ("warn.test", 0, 1, 1, "WARNING"),
        ("bad.test", 1, 1, 2, "CRITICAL"),
        ("gone.test", 1, 1, 2, "CRITICAL"),
    ] {
        for format in ["human", "json", "jsonl", "prometheus"] {
            let o = run_lab(&lab, ca.clone(), &["--format", format, name], None).await;
            assert_eq!(o.code, code, "{name} {format}: {}{}", o.stdout, o.stderr);
            let o = run_lab(
                &lab,
                ca.clone(),
                &["--format", format, "--strict", name],
                None,
            )
            .await;
            assert_eq!(o.code, strict, "{name} {format} --strict");
        }
        let o = run_lab(&lab, ca.clone(), &["--format", "nagios", name], None).await;
        assert_eq!(o.code, nagios, "{name} nagios: {}", o.stdout);
        assert!(
            o.stdout.starts_with(&format!("DELEGCHECK {state} - ")),
            "{}",
            o.stdout
        );
        assert!(o.stdout.contains('|'), "perfdata: {}", o.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_name_among_real_ones_makes_the_run_a_usage_error() {
    let (lab, dir) = three_servers().await;
    let ca = dir.path.join("ca.pem");
    // Exit 2 wins over 0 and over 1: the invocation has a mistake to fix first. Every name
    // still gets its report.
    for (names, verdict_without) in [
        (["good.test", "https://good.test/"], 0),
        (["bad.test", "@alice:good.test"], 1),
    ] {
        let o = run_lab(&lab, ca.clone(), &[names[0]], None).await;
        assert_eq!(o.code, verdict_without, "{}: {}", names[0], o.stdout);
        let o = run_lab(
            &lab,
            ca.clone(),
            &["--format", "json", names[0], names[1]],
            None,
        )
        .await;
        assert_eq!(o.code, 2, "{names:?}: {}", o.stderr);
        assert!(
            o.stderr.contains("1 of 2 names are not server names"),
            "{}",
            o.stderr
        );
        let reports = json(&o.stdout);
        assert_eq!(reports.as_array().unwrap().len(), 2, "{}", o.stdout);
        assert_eq!(reports[0]["server_name"], names[0]);
        let o = run_lab(
            &lab,
            ca.clone(),
            &["--format", "nagios", names[0], names[1]],
            None,
        )
        .await;
        assert_nagios_unknown(&o);
        assert!(
            o.stdout.contains("1 of 2 not a server name: "),
            "{}",
            o.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_from_arguments_file_and_stdin() {
    let (lab, dir) = three_servers().await;
    let ca = dir.path.join("ca.pem");
    let list = "# servers\ngood.test\n\nwarn.test   # expiring\nbad.test\n";
    let file = dir.path.join("names.txt");
    std::fs::write(&file, list).unwrap();

    // json keeps input order, whatever the completion order.
    let o = run_lab(
        &lab,
        ca.clone(),
        &["--format", "json", "-f", file.to_str().unwrap()],
        None,
    )
    .await;
    assert_eq!(o.code, 1);
    let names: Vec<String> = json(&o.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["server_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["good.test", "warn.test", "bad.test"]);

    // jsonl from stdin: one self-contained report per line.
    let o = run_lab(
        &lab,
        ca.clone(),
        &["--format", "jsonl", "-f", "-"],
        Some(list),
    )
    .await;
    assert_eq!(o.code, 1);
    let mut names: Vec<String> = o
        .stdout
        .lines()
        .map(|l| json(l)["server_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["bad.test", "good.test", "warn.test"]);

    // Arguments and a file together; human: the failure in full, then the summary table.
    let o = run_lab(
        &lab,
        ca.clone(),
        &["-f", file.to_str().unwrap(), "gone.test"],
        None,
    )
    .await;
    assert_eq!(o.code, 1);
    let full_reports = |o: &Out| {
        o.stdout.matches("\nDiscovery\n").count() + usize::from(o.stdout.starts_with("Discovery"))
    };
    assert!(
        o.stdout.contains("tls-expired"),
        "the failing report in full: {}",
        o.stdout
    );
    assert_eq!(
        full_reports(&o),
        2,
        "full reports for bad.test and gone.test only: {}",
        o.stdout
    );
    assert!(o.stdout.contains("2 of 4 pass (no error)"), "{}", o.stdout);
    let o = run_lab(
        &lab,
        ca.clone(),
        &["--verbose", "-f", file.to_str().unwrap()],
        None,
    )
    .await;
    assert_eq!(full_reports(&o), 3, "--verbose shows every report");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_output_and_atomic_output_file() {
    let (lab, dir) = three_servers().await;
    let ca = dir.path.join("ca.pem");
    let out = dir.path.join("delegcheck.prom");
    let o = run_lab(
        &lab,
        ca.clone(),
        &[
            "--format",
            "prometheus",
            "--output",
            out.to_str().unwrap(),
            "good.test",
            "bad.test",
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 1);
    assert!(o.stdout.is_empty(), "written to the file, not stdout");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("# HELP delegcheck_federation_ok"), "{text}");
    assert!(text.contains("# TYPE delegcheck_federation_ok gauge"));
    assert!(
        text.contains("delegcheck_federation_ok{server_name=\"good.test\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("delegcheck_federation_ok{server_name=\"bad.test\"} 0"),
        "{text}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir.path)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_follows_flag_then_environment() {
    let (lab, dir) = three_servers().await;
    let ca = dir.path.join("ca.pem");
    let esc = |o: &Out| o.stdout.contains('\x1b');
    assert!(
        !esc(&run_lab(&lab, ca.clone(), &["good.test"], None).await),
        "not a tty: no colour"
    );
    assert!(esc(&run_lab(
        &lab,
        ca.clone(),
        &["--color", "always", "good.test"],
        None
    )
    .await));
    let mut c = bin();
    c.args(lab.cli_args(&ca))
        .arg("good.test")
        .env("CLICOLOR_FORCE", "1");
    let o = tokio::task::spawn_blocking(move || run(&mut c))
        .await
        .unwrap();
    assert!(esc(&o), "CLICOLOR_FORCE forces colour");
    let mut c = bin();
    c.args(lab.cli_args(&ca))
        .args(["--color", "never", "good.test"])
        .env("CLICOLOR_FORCE", "1");
    let o = tokio::task::spawn_blocking(move || run(&mut c))
        .await
        .unwrap();
    assert!(!esc(&o), "the flag wins over the environment");
    let mut c = bin();
    c.args(lab.cli_args(&ca))
        .arg("good.test")
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1");
    let o = tokio::task::spawn_blocking(move || run(&mut c))
        .await
        .unwrap();
    assert!(!esc(&o), "NO_COLOR wins over CLICOLOR_FORCE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_family_flags_restrict_targets() {
    let zone: Vec<String> = vec!["dual.test A 127.0.0.2".into(), "dual.test AAAA ::1".into()];
    let mut h = fed_host("127.0.0.2:8448", "dual.test", CertKind::Valid);
    h.listen.push("[::1]:8448".into());
    let lab = Lab::start_parts(&zone, &[h], LabOptions::default())
        .await
        .unwrap();
    let dir = tempfile_path::TempDir::new();
    let ca = dir.path.join("ca.pem");
    std::fs::write(&ca, &lab.ca_pem).unwrap();
    for (flag, want) in [
        (None, vec!["[::1]:8448", "127.0.0.2:8448"]),
        (Some("-4"), vec!["127.0.0.2:8448"]),
        (Some("-6"), vec!["[::1]:8448"]),
    ] {
        let mut args = vec!["--format", "json", "dual.test"];
        if let Some(f) = flag {
            args.insert(0, f);
        }
        let o = run_lab(&lab, ca.clone(), &args, None).await;
        assert_eq!(o.code, 0, "{flag:?}: {}", o.stdout);
        let r = json(&o.stdout);
        let addrs: Vec<&str> = r["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["address"].as_str().unwrap())
            .collect();
        assert_eq!(addrs, want, "{flag:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_the_run_quietly() {
    let (lab, dir) = three_servers().await;
    let ca = dir.path.join("ca.pem");
    let mut args = lab.cli_args(&ca);
    args.extend(["--format", "jsonl", "--jobs", "2", "-f", "-"].map(String::from));
    // Broken names: the exit code must be the verdict on what was checked (1), not a blanket 0.
    // (Distinct names: a name given twice is checked once.)
    let names: String = (0..500)
        .map(|i| format!("bad.test\ngone{i}.test\n"))
        .collect();
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        use std::io::{BufRead, Write};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_delegcheck"))
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(names.as_bytes())
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("\"server_name\":\""), "{first}");
        // The reader is dropped here: stdout is closed under the program.
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        code,
        Some(1),
        "the verdict on what was checked; stderr: {stderr}"
    );
    assert!(stderr.is_empty(), "quietly, no panic: {stderr}");
    // That the run stops once stdout is gone is tested on the runner (break_stops_the_run).
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_family_flags_hold_for_ip_literals() {
    let mut h = fed_host("127.0.0.5:8448", "127.0.0.5", CertKind::Valid);
    h.cert = vec!["127.0.0.5".into()];
    let lab = Lab::start_parts(&[], &[h], LabOptions::default())
        .await
        .unwrap();
    let dir = tempfile_path::TempDir::new();
    let ca = dir.path.join("ca.pem");
    std::fs::write(&ca, &lab.ca_pem).unwrap();
    let o = run_lab(&lab, ca.clone(), &["--format", "json", "127.0.0.5"], None).await;
    assert_eq!(
        json(&o.stdout)["targets"].as_array().unwrap().len(),
        1,
        "{}",
        o.stdout
    );
    let o = run_lab(
        &lab,
        ca.clone(),
        &["-6", "--format", "json", "127.0.0.5"],
        None,
    )
    .await;
    assert_eq!(o.code, 1);
    let r = json(&o.stdout);
    assert!(
        r["targets"].as_array().unwrap().is_empty(),
        "-6 never dials an IPv4 literal"
    );
    assert!(
        o.stdout.contains("excludes"),
        "the report says the flag excluded it: {}",
        o.stdout
    );
}

#[test]
/// The trust store is the checking host's: an unusable `--ca-file` means the check cannot
/// run (exit 3, Nagios UNKNOWN), not that the server is broken.
fn an_unusable_ca_file_means_the_check_cannot_run() {
    let dir = tempfile_path::TempDir::new();
    let bad = dir.path.join("bad.pem");
    // Valid PEM framing around bytes that are not a certificate.
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let o = run(bin().args(["--ca-file", bad.to_str().unwrap(), "example.com"]));
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("bad.pem"), "{}", o.stderr);
    let missing = dir.path.join("missing.pem");
    let o = run(bin().args([
        "--format",
        "nagios",
        "--ca-file",
        missing.to_str().unwrap(),
        "example.com",
    ]));
    assert_eq!(o.code, 3, "{}", o.stdout);
    assert!(o.stdout.starts_with("DELEGCHECK UNKNOWN"), "{}", o.stdout);
}

#[test]
fn a_check_that_cannot_run_exits_3() {
    // The names are fine, but the report cannot be written where asked.
    let o = run(bin().args([
        "--output",
        "/nonexistent-dir/report.json",
        "--format",
        "json",
        "@alice:example.com",
    ]));
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr.contains("/nonexistent-dir/report.json"),
        "{}",
        o.stderr
    );
    let o = run(bin().args([
        "--output",
        "/nonexistent-dir/x",
        "--format",
        "nagios",
        "@alice:example.com",
    ]));
    assert_nagios_unknown(&o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_stdout_is_exit_3_not_a_quiet_end() {
    let (lab, dir) = three_servers().await;
    let ca = dir.path.join("ca.pem");
    let mut args = lab.cli_args(&ca);
    args.extend(["--format", "jsonl", "good.test", "good.test"].map(String::from));
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_delegcheck"))
            .args(&args)
            .stdout(full)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
}

/// The local resolver not answering is the checking host's problem: `unknown`, exit 3,
/// Nagios UNKNOWN, `delegcheck_probe_success 0`, and nothing DNS-related blamed on the server.
#[test]
fn a_resolver_that_never_answers_makes_the_verdict_unknown() {
    // Nothing listens on this loopback port: every lookup fails without an answer.
    let args = |format: &str| {
        let mut c = bin();
        c.args([
            "--resolver",
            "127.0.0.1:9",
            "--timeout",
            "3s",
            "--step-timeout",
            "500ms",
            "--format",
            format,
            "example.test",
        ]);
        c
    };
    let o = run(&mut args("json"));
    assert_eq!(o.code, 3, "{}", o.stdout);
    let r = json(&o.stdout);
    assert_eq!(r["status"], "unknown");
    let codes: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["dns-no-answer", "client-not-checked"],
        "only the local cause (and clients not checked for it): {}",
        o.stdout
    );
    for c in r["compatibility"].as_array().unwrap() {
        assert!(c["reachable"].is_null(), "{c}");
    }
    let o = run(&mut args("nagios"));
    assert_eq!(o.code, 3, "{}", o.stdout);
    assert!(o.stdout.starts_with("DELEGCHECK UNKNOWN"), "{}", o.stdout);
    let o = run(&mut args("prometheus"));
    assert!(
        o.stdout
            .contains("delegcheck_probe_success{server_name=\"example.test\"} 0"),
        "{}",
        o.stdout
    );
    assert!(
        !o.stdout.contains("delegcheck_federation_ok{"),
        "{}",
        o.stdout
    );
}

/// A terminal that is not UTF-8 (or `--ascii`) gets OK/FAIL/WARN and nothing outside ASCII,
/// network text included.
#[test]
fn ascii_rendering_for_terminals_that_are_not_utf8() {
    for scenario in [
        "well-known-redirect-http",
        "ipv6-not-listening",
        "srv-delegation",
    ] {
        let o = run(bin()
            .env("LC_ALL", "C")
            .args(["--demo", scenario, "--color", "never"]));
        assert!(o.stdout.is_ascii(), "{scenario}: {}", o.stdout);
        assert!(o.stdout.contains("OK "), "{scenario}: {}", o.stdout);
        let o = run(bin().args(["--ascii", "--demo", scenario, "--color", "never"]));
        assert!(o.stdout.is_ascii(), "--ascii {scenario}: {}", o.stdout);
    }
    // A UTF-8 locale keeps the marks.
    let o = run(bin().args(["--demo", "srv-delegation", "--color", "never"]));
    assert!(o.stdout.contains('✓'), "{}", o.stdout);
}

/// `--color always` colours a `-o` file too; `auto` does not.
#[test]
fn color_always_reaches_an_output_file() {
    let dir = tempfile_path::TempDir::new();
    let file = dir.path.join("report.txt");
    let path = file.to_str().unwrap();
    run(bin().args(["--demo", "srv-delegation", "--color", "always", "-o", path]));
    assert!(std::fs::read_to_string(&file).unwrap().contains('\u{1b}'));
    run(bin().args(["--demo", "srv-delegation", "--color", "auto", "-o", path]));
    assert!(!std::fs::read_to_string(&file).unwrap().contains('\u{1b}'));
}

/// `--resolve` has curl's form; a malformed one is a usage error that says so.
#[test]
fn resolve_takes_curls_form() {
    for bad in [
        "example.org",
        "example.org:443",
        "example.org:0:127.0.0.1",
        ":443:127.0.0.1",
        "example.org:443:nowhere",
    ] {
        let o = run(bin().args(["--resolve", bad, "example.org"]));
        assert_eq!(o.code, 2, "{bad}: {}", o.stderr);
        assert!(o.stderr.contains("--resolve"), "{bad}: {}", o.stderr);
    }
    let r: delegcheck::net::Resolve = "Example.ORG.:8448:[2001:db8::7]".parse().unwrap();
    assert_eq!(
        (r.host.as_str(), r.port, r.addr.to_string().as_str()),
        ("example.org", 8448, "2001:db8::7")
    );
}

/// Short when it works: a passing server's report fits in about a dozen lines; `-v` shows
/// the full trace; a failing server always gets it.
#[test]
fn a_passing_report_is_short_and_a_failing_one_complete() {
    for scenario in ["well-known-port-443", "dual-stack", "client-healthy"] {
        let o = run(bin().args(["--demo", scenario, "--color", "never"]));
        let lines = o.stdout.lines().count();
        assert!(lines <= 12, "{scenario}: {lines} lines:\n{}", o.stdout);
        assert!(o.stdout.contains("federation works"), "{}", o.stdout);
        assert!(
            o.stdout.contains("cert ") && o.stdout.contains("days left"),
            "{}",
            o.stdout
        );
        assert!(!o.stdout.contains("Discovery"), "{}", o.stdout);
        let o = run(bin().args(["--demo", scenario, "--color", "never", "-v"]));
        assert!(
            o.stdout.contains("Discovery") && o.stdout.contains("Targets"),
            "{}",
            o.stdout
        );
    }
    let o = run(bin().args(["--demo", "cert-for-server-name", "--color", "never"]));
    assert!(
        o.stdout.contains("Discovery") && o.stdout.contains("Findings"),
        "{}",
        o.stdout
    );
}

/// A server whose DNS does not exist yet, checked end to end with curl's flags: `--connect-to`
/// to a host name (resolved as any host is) and `--resolve`. Each step that needed the
/// missing records uses the override and says so; nothing is blamed on the absent DNS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_without_dns_is_checkable_with_connect_to_a_host_name_or_resolve() {
    // `staging.test` (the lab host, with DNS) serves `new.test`, which has no record at all.
    let zone: Vec<String> = vec!["staging.test A 127.0.0.2".into()];
    let h = fed_host("127.0.0.2:8448", "new.test", CertKind::Valid);
    let lab = Lab::start_parts(&zone, &[h], LabOptions::default())
        .await
        .unwrap();
    let dir = tempfile_path::TempDir::new();
    let ca = dir.path.join("ca.pem");
    std::fs::write(&ca, &lab.ca_pem).unwrap();
    // Without an override: the name has no address, and that is what is reported.
    let o = run_lab(&lab, ca.clone(), &["--format", "json", "new.test"], None).await;
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("\"dns-no-address\""), "{}", o.stdout);
    for (flags, source) in [
        (
            ["--connect-to", "new.test:8448:staging.test:8448"],
            "--connect-to",
        ),
        (["--resolve", "new.test:8448:127.0.0.2"], "--resolve"),
    ] {
        let mut args = flags.to_vec();
        args.extend(["--format", "json", "new.test"]);
        let o = run_lab(&lab, ca.clone(), &args, None).await;
        let r = json(&o.stdout);
        let codes: Vec<&str> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"dns-overridden"), "{source}: {codes:?}");
        assert!(!codes.contains(&"dns-no-address"), "{source}: {codes:?}");
        let said = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "dns-overridden")
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(said.contains(source), "{source}: {said}");
        let target = &r["targets"][0];
        assert_eq!(
            target["address"], "127.0.0.2:8448",
            "{source}: {}",
            o.stdout
        );
        assert_eq!(target["ok"], true, "{source}: {}", o.stdout);
        let steps = r["discovery"]["steps"].to_string();
        assert!(
            steps.contains(&format!("from {source}, not DNS")),
            "{source}: {steps}"
        );
    }
    // A destination name that does not resolve is the user's to fix, before any check.
    let o = run_lab(
        &lab,
        ca.clone(),
        &[
            "--connect-to",
            "new.test:8448:nowhere.test:8448",
            "new.test",
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("--connect-to: the host `nowhere.test` has no address"),
        "{}",
        o.stderr
    );
    // Not a host name at all: a usage error.
    let o = run(bin().args(["--connect-to", "a:1:exa mple:2", "new.test"]));
    assert_eq!(o.code, 2, "{}", o.stderr);
}

/// One style for every usage error, the tool's own and clap's: `error: ` first, values in
/// single quotes, and the pointer to --help last; exit 2.
#[test]
fn usage_errors_share_clap_style() {
    let cases: [&[&str]; 8] = [
        &["--timeout", "xx", "a.test"],
        &["--trace", "serve"],
        // Refused before anything is looked up (`serve` would be a name for DNS).
        &["--resolver", "127.0.0.1:9", "a.test", "serve"],
        &["--resolve", "bad", "a.test"],
        &["--connect-to", "a:1:b", "a.test"],
        &[],
        &["--explain", "tls-mismatch"],
        &["--demo", "no-such-scenario"],
    ];
    for args in cases {
        let o = run(bin().args(args));
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.starts_with("error: "), "{args:?}: {}", o.stderr);
        assert!(
            o.stderr
                .trim_end()
                .ends_with("For more information, try '--help'."),
            "{args:?}: {}",
            o.stderr
        );
        assert!(!o.stderr.contains('`'), "{args:?}: {}", o.stderr);
    }
}

/// The web row's mark is the web client's own outcome, also when native clients meet the same
/// one: a failure is a failure, a 404 is "nothing there", success is success.
#[test]
fn the_web_row_is_marked_by_the_web_outcome() {
    for (scenario, want) in [
        ("client-html", "error"),
        ("client-404", "not_found"),
        ("client-healthy", "ok"),
    ] {
        let o = run(bin().args(["--demo", scenario, "--format", "json"]));
        let r = json(&o.stdout);
        let web = r["client"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == "web")
            .unwrap_or_else(|| panic!("{scenario}: no web step"))
            .clone();
        assert_eq!(web["status"], want, "{scenario}: {web}");
    }
}
