//! delegcheck: diagnose Matrix federation delegation.
//!
//! Layers, one way: [`net`] gathers observations → [`discovery`] decides where servers would
//! connect (sans-IO) → [`checks`] judges → [`render`] formats. [`engine`] drives them, and
//! [`check`] is the one entry point the CLI, the tests, the demo and the benchmarks share.

#![deny(unsafe_code)]
#![warn(unreachable_pub)]

pub mod batch;
// Rust 1.88 (the MSRV the dependencies set) has let chains, so clippy asks to collapse
// nested `if let`s; these modules are being reworked on other branches at the moment, so
// they are collapsed once that work has landed, not now.
#[allow(clippy::collapsible_if)]
pub mod checks;
pub mod cli;
#[allow(clippy::collapsible_if)]
pub mod discovery;
#[allow(clippy::collapsible_if)]
pub mod engine;
pub mod exit;
pub mod findings;
pub(crate) mod implementations;
pub(crate) mod ip_class;
#[cfg(feature = "lab")]
pub mod lab;
pub mod net;
pub mod obs;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod server_name;
pub mod time;

use futures_util::StreamExt;

pub use net::{Config, Net, SetupError};
pub use report::Report;

/// Checks one server name with a fresh network setup.
pub async fn check(name: &str, config: &Config) -> Result<Report, SetupError> {
    let net = Net::new(config.clone())?;
    Ok(engine::check(&net, name).await)
}

/// Checks many server names, at most `jobs` at once, calling `done(index, report)` as each
/// completes (completion order); `done` returning `Break` stops the run (nothing new starts,
/// checks in flight are dropped).
pub async fn check_all<F>(net: &Net, names: &[String], jobs: usize, done: F)
where
    F: FnMut(usize, Report) -> std::ops::ControlFlow<()>,
{
    run_bounded(names, jobs, |n| engine::check(net, n), done).await
}

/// Runs `check` on every name with at most `jobs` in flight, calling `done(index, result)`
/// in completion order, until `done` returns `Break`.
pub async fn run_bounded<'a, T, Fut, C, F>(names: &'a [String], jobs: usize, check: C, mut done: F)
where
    C: Fn(&'a str) -> Fut,
    Fut: std::future::Future<Output = T>,
    F: FnMut(usize, T) -> std::ops::ControlFlow<()>,
{
    let check = &check;
    let mut stream = futures_util::stream::iter(names.iter().enumerate())
        .map(|(i, n)| async move { (i, check(n).await) })
        .buffer_unordered(jobs.max(1));
    while let Some((i, r)) = stream.next().await {
        if done(i, r).is_break() {
            return;
        }
    }
}

/// Reads server names from text: one per line, `#` comments, blank lines skipped.
pub fn parse_name_list(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(batch::name_in_line)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn break_stops_the_run() {
        let names: Vec<String> = (0..100).map(|i| format!("s{i}.test")).collect();
        let started = AtomicUsize::new(0);
        let mut done = 0;
        super::run_bounded(
            &names,
            4,
            |_| {
                started.fetch_add(1, Ordering::SeqCst);
                async { tokio::task::yield_now().await }
            },
            |_, ()| {
                done += 1;
                if done == 3 {
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            },
        )
        .await;
        assert_eq!(done, 3);
        assert!(
            started.load(Ordering::SeqCst) < 10,
            "nothing new starts after Break"
        );
    }

    #[tokio::test]
    async fn jobs_bound_the_checks_in_flight() {
        let names: Vec<String> = (0..50).map(|i| format!("s{i}.test")).collect();
        for jobs in [1, 4, 16] {
            let now = AtomicUsize::new(0);
            let max = AtomicUsize::new(0);
            let mut seen = vec![false; names.len()];
            super::run_bounded(
                &names,
                jobs,
                |n| {
                    let (now, max) = (&now, &max);
                    async move {
                        let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
                        max.fetch_max(in_flight, Ordering::SeqCst);
                        // Yield a few times so that other checks can start if allowed to.
                        for _ in 0..3 {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        now.fetch_sub(1, Ordering::SeqCst);
                        n.len()
                    }
                },
                |i, len| {
                    assert_eq!(len, names[i].len());
                    seen[i] = true;
                    std::ops::ControlFlow::Continue(())
                },
            )
            .await;
            assert!(seen.iter().all(|s| *s), "every name is checked once");
            assert_eq!(
                max.load(Ordering::SeqCst),
                jobs,
                "never more than {jobs} in flight, and the bound is used"
            );
        }
    }

    #[test]
    fn name_lists() {
        let t = "# servers\nexample.org\n  matrix.org  # comment\n\n#x\nexample.com:8448\n";
        assert_eq!(
            super::parse_name_list(t),
            vec!["example.org", "matrix.org", "example.com:8448"]
        );
    }
}
