//! Load on `delegcheck serve` (loopback only): `cargo bench --bench serve`. Results and
//! method: BENCHMARKS.md.
//!
//! The release binary serves a lab of N server names that delegate (SRV) to one multi-tenant
//! host; a few hundred clients at once (one connection per request, so every request pays a TCP
//! handshake) ask:
//! - cold: every name once, all at once, with slots for all: real checks, in parallel;
//! - cached: the same names again, ten rounds, 200 in flight: what the cache serves;
//! - capped: cold names with `--max-checks 32`: the cap answers 429 at once (the only status
//!   allowed besides 200).
//!
//! Figures: throughput, p50/p99 latency, and the server's peak RSS (VmHWM).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use delegcheck::lab::Lab;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAMES: usize = 300;

async fn lab() -> Lab {
    delegcheck::lab::provider(NAMES * 2).await.expect("lab")
}

/// The release binary serving the lab; its address.
fn server(lab: &Lab, ca: &std::path::Path, max_checks: &str) -> (Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_delegcheck"))
        .args(lab.cli_args(ca))
        .args([
            "serve",
            "--allow-private",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "0",
            "--no-access-log",
            "--max-checks",
            max_checks,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary");
    let mut line = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .expect("where it listens");
    (child, addr)
}

/// GET `path`; the status and the time it took.
async fn get(addr: SocketAddr, path: String) -> (u16, Duration) {
    let start = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let status = std::str::from_utf8(&raw[..12.min(raw.len())])
        .ok()
        .and_then(|l| l.get(9..12))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, start.elapsed())
}

/// Runs the paths with `clients` requests in flight at a time; prints a table row.
async fn round(
    label: &str,
    addr: SocketAddr,
    paths: Vec<String>,
    clients: usize,
    peak: impl Fn() -> String,
) {
    let n = paths.len();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(paths));
    let start = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut seen = vec![];
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some(path) = next else { return seen };
                    seen.push(get(addr, path).await);
                }
            })
        })
        .collect();
    let mut lat = Vec::new();
    let (mut ok, mut refused) = (0, 0);
    for w in workers {
        for (status, took) in w.await.unwrap() {
            match status {
                200 => ok += 1,
                429 => refused += 1,
                other => panic!("{label}: status {other}: only 200 and the intended 429 may occur"),
            }
            lat.push(took.as_secs_f64() * 1000.0);
        }
    }
    let wall = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "| {label} | {n} | {clients} | {ok} | {refused} | {:.0} req/s | {:.1} ms | {:.1} ms | {} |",
        n as f64 / wall,
        pct(0.50),
        pct(0.99),
        peak()
    );
}

fn vm_hwm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".into())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let lab = lab().await;
        let ca = std::env::temp_dir().join(format!("delegcheck-bench-serve-{}.pem", std::process::id()));
        std::fs::write(&ca, &lab.ca_pem).unwrap();
        println!("## serve\n");
        println!("| round | requests | in flight | 200 | 429 | throughput | p50 | p99 | server peak RSS after |");
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        let names = |from: usize| -> Vec<String> {
            (from..from + NAMES)
                .map(|i| format!("/api/v1/report?server_name=s{i}.customers.test"))
                .collect()
        };
        let (mut child, addr) = server(&lab, &ca, "1024");
        let pid = child.id();
        round("cold: a check per name", addr, names(0), NAMES, || vm_hwm(pid)).await;
        let again: Vec<String> = (0..10).flat_map(|_| names(0)).collect();
        round("cached: ten rounds", addr, again, 200, || vm_hwm(pid)).await;
        let tester: Vec<String> = names(0)
            .into_iter()
            .map(|p| p.replace("/api/v1/report", "/api/report"))
            .collect();
        round("cached, tester API", addr, tester, 200, || vm_hwm(pid)).await;
        let _ = child.kill();
        let _ = child.wait();
        let (mut child, addr) = server(&lab, &ca, "32");
        let pid = child.id();
        round("cold, --max-checks 32", addr, names(NAMES), NAMES, || vm_hwm(pid)).await;
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(&ca);
    });
}
