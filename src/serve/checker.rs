//! The server's side of the engine: one [`crate::engine::check_observed`] per server name at a
//! time (identical concurrent requests share it), a short result cache, and a hard cap on the
//! checks in flight (no queue: a request that finds every slot taken is refused at once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use tokio::sync::Semaphore;

use crate::net::Net;
use crate::obs::TargetObs;
use crate::report::Report;

/// Most results the cache keeps (each is a report and the key responses behind it); past
/// that, new results are served but not kept until older ones expire.
const MAX_CACHED: usize = 4096;

/// A finished check.
#[derive(Debug)]
pub struct Outcome {
    /// The report, exactly as the command line would print it.
    pub report: Report,
    /// What was seen at the spec's targets (for the federation tester's fields).
    pub targets: Vec<TargetObs>,
    /// How long the check took.
    pub duration: Duration,
    /// When it finished (Unix milliseconds).
    pub finished_at_ms: i64,
}

/// Where a result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// This request started the check.
    Fresh,
    /// Another request had started the same check; this one waited for it.
    Shared,
    /// From the cache.
    Cached,
}

impl Source {
    /// As the `X-Delegcheck-Source` header and the metrics say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Fresh => "fresh",
            Source::Shared => "shared",
            Source::Cached => "cached",
        }
    }
}

/// Why no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Every check slot is taken (`--max-checks`).
    Busy,
    /// The check task ended without a result (a bug; never the server's fault).
    Failed,
}

type Running = Shared<BoxFuture<'static, Option<Arc<Outcome>>>>;

enum Entry {
    Running(Running),
    Done(Arc<Outcome>, Instant),
}

/// Runs, shares and caches checks.
pub struct Checker {
    net: Net,
    ttl: Duration,
    slots: Arc<Semaphore>,
    max_checks: usize,
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl Checker {
    /// A checker on `net`, keeping results for `ttl` (zero: no cache), with at most
    /// `max_checks` checks in flight.
    pub fn new(net: Net, ttl: Duration, max_checks: usize) -> Checker {
        let max_checks = max_checks.max(1);
        Checker {
            net,
            ttl,
            slots: Arc::new(Semaphore::new(max_checks)),
            max_checks,
            entries: Arc::default(),
        }
    }

    /// Checks running now.
    pub fn in_flight(&self) -> usize {
        self.max_checks - self.slots.available_permits()
    }

    /// The network configuration every check uses.
    pub fn net(&self) -> &Net {
        &self.net
    }

    /// The result for `name`: cached (unless `fresh`), shared with a check already running,
    /// or from a new check when a slot is free.
    pub async fn get(&self, name: &str, fresh: bool) -> Result<(Arc<Outcome>, Source), Refusal> {
        let (running, source) = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.get(name) {
                Some(Entry::Done(o, at)) if !fresh && at.elapsed() < self.ttl => {
                    return Ok((o.clone(), Source::Cached));
                }
                Some(Entry::Running(r)) => (r.clone(), Source::Shared),
                _ => {
                    let permit = self
                        .slots
                        .clone()
                        .try_acquire_owned()
                        .map_err(|_| Refusal::Busy)?;
                    let r = self.start(name.to_owned(), permit);
                    entries.insert(name.to_owned(), Entry::Running(r.clone()));
                    (r, Source::Fresh)
                }
            }
        };
        running.await.map(|o| (o, source)).ok_or(Refusal::Failed)
    }

    /// Spawns the check (so it finishes, and is cached, even when the request that started it
    /// goes away), holding its slot until it ends.
    fn start(&self, name: String, permit: tokio::sync::OwnedSemaphorePermit) -> Running {
        let (net, entries, ttl) = (self.net.clone(), self.entries.clone(), self.ttl);
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let (report, targets) = crate::engine::check_observed(&net, &name).await;
            let outcome = Arc::new(Outcome {
                report,
                targets,
                duration: start.elapsed(),
                finished_at_ms: now_ms(),
            });
            drop(permit);
            let mut entries = entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.remove(&name);
            entries.retain(|_, e| !matches!(e, Entry::Done(_, at) if at.elapsed() >= ttl));
            if !ttl.is_zero() && entries.len() < MAX_CACHED {
                entries.insert(name, Entry::Done(outcome.clone(), Instant::now()));
            }
            outcome
        });
        task.map(Result::ok).boxed().shared()
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
