//! Benchmarks against the lab (loopback only). Run all with `cargo bench --bench lab`, or one
//! group with `cargo bench --bench lab -- latency|batch|faults|touch|clients`. Results and method:
//! BENCHMARKS.md.
//!
//! - latency: healthy servers with L ms injected into every DNS answer, TLS handshake and HTTP
//!   response; wall time / L against the critical path's count of dependent round trips.
//! - batch: 1,000 server names delegating (SRV) to one shared multi-tenant host, checked by the
//!   release binary through its real flags with `--jobs 64`: wall time, checks per second,
//!   and the binary's peak RSS (getrusage of the child).
//! - faults: a black-holed well-known host: wall time against `--step-timeout` and `--timeout`.
//! - touch: how lightly a healthy check touches the servers: TLS handshakes per check (counted
//!   by the lab's hosts) and the wall time with 20 ms injected (the critical path), per
//!   scenario.
//! - clients: client discovery beside federation: a healthy check's wall time with and without
//!   it (`--no-client`) at L ms, against the critical path.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use delegcheck::lab::{self, Lab, LabOptions, Scenario};

fn scenario(name: &str) -> Scenario {
    lab::scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .expect("scenario")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn touch() {
    println!("## touch\n");
    println!("| scenario | L | TLS handshakes per check | wall (median of 9) | wall / L |");
    println!("| --- | --- | --- | --- | --- |");
    for name in [
        "well-known-port-443",
        "srv-delegation",
        "direct-8448",
        "client-healthy",
    ] {
        let s = scenario(name);
        let l = 20u64;
        let lab = Lab::start(
            &s,
            LabOptions {
                rtt: Duration::from_millis(l),
                ..Default::default()
            },
        )
        .await
        .expect("lab");
        let mut config = lab.config();
        config.timeout = Duration::from_secs(30);
        config.step_timeout = Duration::from_secs(10);
        let net = delegcheck::Net::new(config).expect("net");
        let mut walls = Vec::new();
        let runs = 9;
        for _ in 0..runs {
            let start = Instant::now();
            let r = delegcheck::engine::check(&net, &s.server_name).await;
            walls.push(start.elapsed().as_secs_f64() * 1000.0);
            assert!(r.ok, "{name} must stay healthy under latency");
        }
        let wall = median(walls);
        println!(
            "| {name} | {l} ms | {:.1} | {wall:.0} ms | {:.2} |",
            lab.tls_handshakes() as f64 / runs as f64,
            wall / l as f64
        );
    }
    println!();
}

/// Client discovery runs beside federation: with it on, a healthy check should still take its
/// critical path, the longer of the two sides, not their sum.
async fn clients() {
    println!("## clients\n");
    println!(
        "| scenario | critical path (round trips) | L | wall, --no-client (median of 5) | wall, with clients | with clients / L | ratio to critical path |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    // client-healthy: federation as well-known-port-443 (6); clients: A/AAAA(example.test)
    // → TLS → client well-known (3), then A/AAAA(matrix.example.test) → TLS → /versions (3):
    // 6, alongside. well-known-port-443: the client side ends at its 404 (3).
    for (name, path) in [("client-healthy", 6.0), ("well-known-port-443", 6.0)] {
        let s = scenario(name);
        for l in [25u64, 50, 100] {
            let lab = Lab::start(
                &s,
                LabOptions {
                    rtt: Duration::from_millis(l),
                    ..Default::default()
                },
            )
            .await
            .expect("lab");
            let mut walls = [Vec::new(), Vec::new()];
            for (i, client) in [false, true].into_iter().enumerate() {
                let mut config = lab.config();
                config.timeout = Duration::from_secs(30);
                config.step_timeout = Duration::from_secs(10);
                config.client = client;
                let net = delegcheck::Net::new(config).expect("net");
                for _ in 0..5 {
                    let start = Instant::now();
                    let r = delegcheck::engine::check(&net, &s.server_name).await;
                    walls[i].push(start.elapsed().as_secs_f64() * 1000.0);
                    assert!(r.ok, "{name} must stay healthy under latency");
                    assert_eq!(r.client.is_some(), client);
                }
            }
            let [off, on] = walls.map(median);
            let per = on / l as f64;
            println!(
                "| {name} | {path} | {l} ms | {off:.0} ms | {on:.0} ms | {per:.2} | {:.3} |",
                per / path
            );
        }
    }
    println!();
}

async fn latency() {
    println!("## latency\n");
    println!(
        "| scenario | critical path (round trips) | L | wall (median of 5) | wall / L | ratio to critical path |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    // Dependent round trips on the critical path (each DNS answer, TLS handshake and HTTP
    // response costs one L; TCP connects on loopback cost none):
    // - well-known-port-443: A/AAAA(example.test) → TLS → well-known response; then
    //   A/AAAA(matrix.example.test); then each target request's TLS → response (in parallel):
    //   3 + 1 + 2 = 6.
    // - srv-delegation: the well-known (3: lookup, TLS, 404) runs alongside SRV → A/AAAA of the
    //   SRV target (2), so it dominates; then TLS → response: 3 + 2 = 5.
    // - direct-8448: the well-known lookup (1; port 443 refuses at once) alongside SRV (1);
    //   step 6 reuses the well-known's A/AAAA; then TLS → response: 1 + 2 = 3.
    for (name, path) in [
        ("well-known-port-443", 6.0),
        ("srv-delegation", 5.0),
        ("direct-8448", 3.0),
    ] {
        let s = scenario(name);
        for l in [25u64, 50, 100] {
            let rtt = Duration::from_millis(l);
            let lab = Lab::start(
                &s,
                LabOptions {
                    rtt,
                    ..Default::default()
                },
            )
            .await
            .expect("lab");
            let mut config = lab.config();
            config.timeout = Duration::from_secs(30);
            config.step_timeout = Duration::from_secs(10);
            let net = delegcheck::Net::new(config).expect("net");
            let mut walls = Vec::new();
            for _ in 0..5 {
                let start = Instant::now();
                let r = delegcheck::engine::check(&net, &s.server_name).await;
                walls.push(start.elapsed().as_secs_f64() * 1000.0);
                assert!(r.ok, "{name} must stay healthy under latency");
            }
            let wall = median(walls);
            let per = wall / l as f64;
            println!(
                "| {name} | {path} | {l} ms | {wall:.0} ms | {per:.2} | {:.3} |",
                per / path
            );
        }
    }
    println!();
}

/// The children's peak RSS (KiB) and CPU time (user + system), from `getrusage`.
fn children_usage() -> (i64, Duration) {
    // SAFETY: getrusage writes into the struct we pass and has no other effect.
    #[allow(unsafe_code)]
    let u = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (u.ru_maxrss, tv(u.ru_utime) + tv(u.ru_stime))
}

async fn batch() {
    println!("## batch\n");
    let n = 1000;
    let lab = delegcheck::lab::provider(n).await.expect("lab");
    let dir = std::env::temp_dir().join(format!("delegcheck-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &lab.ca_pem).unwrap();
    let names: String = (0..n).map(|i| format!("s{i}.customers.test\n")).collect();
    let args = lab.cli_args(&ca);
    println!(
        "| names | --jobs | wall | checks/s | ok | peak RSS (delegcheck process) | TLS handshakes per name | CPU per name (delegcheck process) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for jobs in ["64"] {
        let args = args.clone();
        let names = names.clone();
        let before = lab.tls_handshakes();
        let (wall, ok, (rss, cpu)) = tokio::task::spawn_blocking(move || {
            let start = Instant::now();
            let mut child = Command::new(env!("CARGO_BIN_EXE_delegcheck"))
                .args(&args)
                .args([
                    "--format",
                    "jsonl",
                    "--jobs",
                    jobs,
                    "--timeout",
                    "10s",
                    "-f",
                    "-",
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("the release binary");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(names.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            let wall = start.elapsed();
            let text = String::from_utf8_lossy(&out.stdout);
            let ok = text.lines().filter(|l| l.contains("\"ok\":true")).count();
            if let Some(bad) = text.lines().find(|l| !l.contains("\"ok\":true")) {
                let v: serde_json::Value = serde_json::from_str(bad).unwrap_or_default();
                let codes: Vec<String> = v["findings"]
                    .as_array()
                    .map(|f| {
                        f.iter()
                            .map(|f| format!("{}: {}", f["code"], f["message"]))
                            .collect()
                    })
                    .unwrap_or_default();
                eprintln!(
                    "first report that does not federate: {} {codes:#?}",
                    v["server_name"]
                );
            }
            (wall, ok, children_usage())
        })
        .await
        .unwrap();
        let handshakes = lab.tls_handshakes() - before;
        println!(
            "| {n} | {jobs} | {:.2} s | {:.0} | {ok}/{n} | {:.1} MiB | {:.2} | {:.2} ms |",
            wall.as_secs_f64(),
            n as f64 / wall.as_secs_f64(),
            rss as f64 / 1024.0,
            handshakes as f64 / n as f64,
            cpu.as_secs_f64() * 1000.0 / n as f64
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!();
}

async fn faults() {
    println!("## faults\n");
    println!("| scenario | --step-timeout | --timeout | wall | wall / step timeout |");
    println!("| --- | --- | --- | --- | --- |");
    // A black-holed well-known host (the check goes on and succeeds) and a black-holed
    // target (every request at it waits for its handshake, all at once).
    for (name, healthy) in [("well-known-blackhole", true), ("target-blackhole", false)] {
        let s = scenario(name);
        let lab = Lab::start(&s, LabOptions::default()).await.expect("lab");
        for (step, total) in [(1u64, 10u64), (2, 10), (4, 10)] {
            let mut config = lab.config();
            config.step_timeout = Duration::from_secs(step);
            config.timeout = Duration::from_secs(total);
            let net = delegcheck::Net::new(config).expect("net");
            let start = Instant::now();
            let r = delegcheck::engine::check(&net, &s.server_name).await;
            let wall = start.elapsed().as_secs_f64();
            assert_eq!(r.ok, healthy, "{name}");
            println!(
                "| {name} | {step} s | {total} s | {wall:.2} s | {:.2} |",
                wall / step as f64
            );
        }
    }
    println!();
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |g: &str| filter.is_empty() || filter.iter().any(|f| g.contains(f.as_str()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if want("latency") {
            latency().await;
        }
        if want("batch") {
            batch().await;
        }
        if want("faults") {
            faults().await;
        }
        if want("touch") {
            touch().await;
        }
        if want("clients") {
            clients().await;
        }
    });
}
