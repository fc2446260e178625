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

/// Most results the cache keeps; past that, or past [`MAX_CACHED_BYTES`], new results are
/// served but not kept until older ones expire.
const MAX_CACHED: usize = 4096;
/// Most bytes the cached results take together (a key response alone may be 1 MiB).
const MAX_CACHED_BYTES: usize = 256 << 20;

/// A finished check, in the forms the routes answer with (made once, served many times).
#[derive(Debug)]
pub struct Outcome {
    /// The report, exactly as the command line would print it.
    pub report: Report,
    /// The report as the command line's `--format json` writes it.
    pub native_json: String,
    /// The federation tester's report of the same check (`/api/report`).
    pub tester_json: String,
    /// How long the check took.
    pub duration: Duration,
    /// When it finished (Unix milliseconds).
    pub finished_at_ms: i64,
}

impl Outcome {
    fn new(report: Report, targets: &[TargetObs], duration: Duration) -> Outcome {
        let finished_at_ms = now_ms();
        let tester = super::fedtester::server_report(&report, targets, finished_at_ms);
        Outcome {
            native_json: crate::render::json_object(&report),
            tester_json: super::fedtester::to_go_json(&tester),
            report,
            duration,
            finished_at_ms,
        }
    }

    /// Roughly what it holds in memory: its two texts, and the report about as much again
    /// as its JSON.
    fn weight(&self) -> usize {
        2 * self.native_json.len() + self.tester_json.len()
    }
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

/// The entries, and the weight of the finished ones.
#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    bytes: usize,
}

impl Entries {
    fn put(&mut self, name: String, e: Entry) {
        self.take(&name);
        if let Entry::Done(o, _) = &e {
            self.bytes += o.weight();
        }
        self.map.insert(name, e);
    }

    fn take(&mut self, name: &str) {
        if let Some(Entry::Done(o, _)) = self.map.remove(name) {
            self.bytes -= o.weight();
        }
    }

    fn forget_expired(&mut self, ttl: Duration) {
        let bytes = &mut self.bytes;
        self.map.retain(|_, e| match e {
            Entry::Done(o, at) if at.elapsed() >= ttl => {
                *bytes -= o.weight();
                false
            }
            _ => true,
        });
    }

    /// Keeps a finished result when there is room.
    fn keep(&mut self, name: String, o: Arc<Outcome>, ttl: Duration) {
        self.forget_expired(ttl);
        let room = self.map.len() < MAX_CACHED && self.bytes + o.weight() <= MAX_CACHED_BYTES;
        if !ttl.is_zero() && room {
            self.put(name, Entry::Done(o, Instant::now()));
        }
    }
}

/// Runs, shares and caches checks.
pub struct Checker {
    net: Net,
    ttl: Duration,
    slots: Arc<Semaphore>,
    max_checks: usize,
    entries: Arc<Mutex<Entries>>,
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
            match entries.map.get(name) {
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
                    entries.put(name.to_owned(), Entry::Running(r.clone()));
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
        // A check that ended without a result (its task panicked) must not stay `Running`:
        // every later request for the name would share its failure until a restart.
        let (forget, forget_name) = (self.entries.clone(), name.clone());
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let (report, targets) = crate::engine::check_observed(&net, &name).await;
            let outcome = Arc::new(Outcome::new(report, &targets, start.elapsed()));
            drop((targets, permit));
            let mut entries = entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.take(&name);
            entries.keep(name, outcome.clone(), ttl);
            outcome
        });
        task.map(move |done| {
            if done.is_err() {
                forget
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take(&forget_name);
            }
            done.ok()
        })
        .boxed()
        .shared()
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn outcome(name: &str) -> Arc<Outcome> {
        let r = Report::sample(name, true, Status::Ok, vec![]);
        Arc::new(Outcome::new(r, &[], Duration::ZERO))
    }

    #[test]
    fn the_cache_accounts_for_what_it_keeps() {
        let mut e = Entries::default();
        let a = outcome("a.example");
        let w = a.weight();
        assert!(w > a.tester_json.len(), "both texts count");
        e.keep("a".into(), a.clone(), Duration::from_secs(60));
        assert_eq!(e.bytes, w);
        // Replaced (a refresh starts): its weight goes with it.
        let b = outcome("a.example");
        e.keep("a".into(), b, Duration::from_secs(60));
        assert_eq!((e.map.len(), e.bytes), (1, w));
        e.take("a");
        assert_eq!((e.map.len(), e.bytes), (0, 0));
        // A zero TTL keeps nothing; expired results are forgotten on the next keep.
        e.keep("z".into(), outcome("z"), Duration::ZERO);
        assert!(e.map.is_empty());
        e.keep("x".into(), outcome("x"), Duration::from_nanos(1));
        std::thread::sleep(Duration::from_millis(2));
        e.keep("y".into(), outcome("y"), Duration::from_nanos(1));
        assert!(!e.map.contains_key("x"), "expired");
        assert_eq!(
            e.bytes,
            e.map
                .values()
                .map(|v| match v {
                    Entry::Done(o, _) => o.weight(),
                    Entry::Running(_) => 0,
                })
                .sum::<usize>()
        );
    }

    #[test]
    fn the_tester_and_native_texts_are_made_once_from_the_report() {
        let o = outcome("b.example");
        let native: serde_json::Value = serde_json::from_str(&o.native_json).unwrap();
        assert_eq!(native["server_name"], "b.example");
        let tester: serde_json::Value = serde_json::from_str(&o.tester_json).unwrap();
        assert_eq!(tester["FederationOK"], true);
    }
}
