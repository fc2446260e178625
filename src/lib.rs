//! delegcheck: diagnose Matrix federation delegation.
//!
//! Layers, one way: [`net`] gathers observations → [`discovery`] decides where servers would
//! connect (sans-IO) → [`checks`] judges → [`render`] formats. [`engine`] drives them, and
//! [`check`] is the one entry point the CLI, the tests, the demo and the benchmarks share.

#![deny(unsafe_code)]
#![warn(unreachable_pub)]

pub mod baseline;
pub mod batch;
// Rust 1.88 (the MSRV the dependencies set) has let chains, so clippy asks to collapse
// nested `if let`s; these modules are being reworked on other branches at the moment, so
// they are collapsed once that work has landed, not now.
pub mod checks;
pub mod cli;
pub mod discovery;
pub mod engine;
pub mod exit;
pub mod findings;
pub mod fixes;
pub(crate) mod implementations;
pub(crate) mod ip_class;
#[cfg(feature = "lab")]
pub mod lab;
pub mod net;
pub mod obs;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod serve;
pub mod server_name;
pub mod time;

use futures_util::StreamExt;

pub use checks::cert::Expiry;
pub use net::{Config, Net, SetupError};
pub use report::Report;

/// Checks one server name with a fresh network setup.
pub async fn check(name: &str, config: &Config) -> Result<Report, SetupError> {
    let net = Net::new(config.clone())?;
    Ok(engine::check(&net, name).await)
}

/// The order in which a batch hands over its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As each completes: nothing is held back.
    Completion,
    /// The input order: a result that finishes before those ahead of it waits for them, and
    /// at most `jobs` finished results wait (new checks start only while that holds).
    Input,
}

/// Checks many server names, at most `jobs` at once, calling `done(index, report)` as each
/// completes, in `order`; `done` returning `Break` stops the run (nothing new starts, checks
/// in flight are dropped).
pub async fn check_all<F>(net: &Net, names: &[String], jobs: usize, order: Order, done: F)
where
    F: FnMut(usize, Report) -> std::ops::ControlFlow<()>,
{
    run_bounded(names, jobs, order, |n| engine::check(net, n), done).await
}

/// Runs `check` on every name with at most `jobs` in flight, calling `done(index, result)`
/// in `order` until `done` returns `Break`. With [`Order::Input`] at most `jobs` finished
/// results are held back at any time, so memory stays bounded whatever the input's length.
pub async fn run_bounded<'a, T, Fut, C, F>(
    names: &'a [String],
    jobs: usize,
    order: Order,
    check: C,
    mut done: F,
) where
    C: Fn(&'a str) -> Fut,
    Fut: std::future::Future<Output = T>,
    F: FnMut(usize, T) -> std::ops::ControlFlow<()>,
{
    let jobs = jobs.max(1);
    let check = &check;
    let start = |i: usize| async move { (i, check(&names[i]).await) };
    if order == Order::Completion {
        let mut stream = futures_util::stream::iter(0..names.len())
            .map(start)
            .buffer_unordered(jobs);
        while let Some((i, r)) = stream.next().await {
            if done(i, r).is_break() {
                return;
            }
        }
        return;
    }
    // Input order: `window` holds a slot for each index from `next_done` to `next_start`
    // (finished or in flight). While the first is in flight, every other slot may finish and
    // wait, so the window is at most `jobs + 1` long: at most `jobs` finished results wait.
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    let mut window: std::collections::VecDeque<Option<T>> = std::collections::VecDeque::new();
    let (mut next_start, mut next_done) = (0usize, 0usize);
    loop {
        while next_start < names.len() && in_flight.len() < jobs && window.len() <= jobs {
            in_flight.push(start(next_start));
            window.push_back(None);
            next_start += 1;
        }
        let Some((i, r)) = in_flight.next().await else {
            return; // nothing in flight, nothing left to start
        };
        window[i - next_done] = Some(r);
        while let Some(r) = window.front_mut().and_then(Option::take) {
            window.pop_front();
            if done(next_done, r).is_break() {
                return;
            }
            next_done += 1;
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

    use super::Order;

    #[tokio::test]
    async fn break_stops_the_run() {
        let names: Vec<String> = (0..100).map(|i| format!("s{i}.test")).collect();
        for order in [Order::Completion, Order::Input] {
            let started = AtomicUsize::new(0);
            let mut done = 0;
            super::run_bounded(
                &names,
                4,
                order,
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
            assert_eq!(done, 3, "{order:?}");
            assert!(
                started.load(Ordering::SeqCst) < 10,
                "{order:?}: nothing new starts after Break"
            );
        }
    }

    #[tokio::test]
    async fn jobs_bound_the_checks_in_flight() {
        let names: Vec<String> = (0..50).map(|i| format!("s{i}.test")).collect();
        for order in [Order::Completion, Order::Input] {
            for jobs in [1, 4, 16] {
                let now = AtomicUsize::new(0);
                let max = AtomicUsize::new(0);
                let mut seen = vec![false; names.len()];
                super::run_bounded(
                    &names,
                    jobs,
                    order,
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
                    "{order:?}: never more than {jobs} in flight, and the bound is used"
                );
            }
        }
    }

    /// A result that counts how many of its kind are alive.
    struct Held<'a>(usize, &'a AtomicUsize);

    impl Drop for Held<'_> {
        fn drop(&mut self) {
            self.1.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn input_order_holds_back_at_most_jobs_finished_results() {
        // Completion order is scrambled: each check yields a number of times that has
        // nothing to do with its place, and every 17th is slow, so many finish before the
        // ones ahead of them.
        let names: Vec<String> = (0..2000).map(|i| i.to_string()).collect();
        for jobs in [1, 3, 8, 32] {
            let alive = AtomicUsize::new(0);
            let most_alive = AtomicUsize::new(0);
            let mut next = 0;
            super::run_bounded(
                &names,
                jobs,
                Order::Input,
                |n| {
                    let (alive, most_alive) = (&alive, &most_alive);
                    async move {
                        let i: usize = n.parse().unwrap();
                        let yields = if i.is_multiple_of(17) {
                            200
                        } else {
                            (i * 7919) % 13
                        };
                        for _ in 0..yields {
                            tokio::task::yield_now().await;
                        }
                        let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
                        most_alive.fetch_max(now, Ordering::SeqCst);
                        Held(i, alive)
                    }
                },
                |i, held| {
                    assert_eq!((i, held.0), (next, next), "in input order");
                    next += 1;
                    std::ops::ControlFlow::Continue(())
                },
            )
            .await;
            assert_eq!(next, names.len(), "every result handed over");
            // Those waiting, plus the one just finished that releases them.
            let most = most_alive.load(Ordering::SeqCst);
            assert!(
                most <= jobs + 1,
                "jobs {jobs}: {most} results alive at once"
            );
            if jobs > 1 {
                assert!(
                    most > 1,
                    "jobs {jobs}: results did wait (the test scrambles)"
                );
            }
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
