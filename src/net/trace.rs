//! `--trace`: the recorder. The probes record what they send and receive here (DNS questions
//! and answers with TTLs, each TCP connect, each TLS handshake, each HTTP request and
//! response) as [`TraceEvent`]s, with the time since the check started;
//! `render::trace` writes them out.
//!
//! A [`Tracer`] that is off (the default) records nothing and costs one branch per probe.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::obs::TraceEvent as Event;

/// Most events one trace keeps (a hostile server cannot grow it without bound).
const MAX_EVENTS: usize = 5000;

/// Records the events of the checks it is given to; cheap to clone (all clones share one
/// record). `Tracer::default()` is off.
#[derive(Clone, Default)]
pub struct Tracer(Option<Arc<Inner>>);

struct Inner {
    start: Instant,
    show_certs: bool,
    events: Mutex<Vec<(Duration, Event)>>,
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_on() {
            "Tracer(on)"
        } else {
            "Tracer(off)"
        })
    }
}

impl Tracer {
    /// A tracer that records from now on; `show_certs` adds each certificate chain as PEM.
    pub fn on(show_certs: bool) -> Tracer {
        Tracer(Some(Arc::new(Inner {
            start: Instant::now(),
            show_certs,
            events: Mutex::new(Vec::new()),
        })))
    }

    /// Whether anything is recorded.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Records an event that happened now.
    pub fn record(&self, event: impl FnOnce() -> Event) {
        self.record_at(Instant::now(), event);
    }

    /// Records an event that happened at `at` (a request is recorded when its response is
    /// in, at the time it was sent).
    pub fn record_at(&self, at: Instant, event: impl FnOnce() -> Event) {
        let Some(inner) = &self.0 else { return };
        let since = at.saturating_duration_since(inner.start);
        let mut events = inner.events.lock().unwrap_or_else(|p| p.into_inner());
        if events.len() < MAX_EVENTS {
            events.push((since, event()));
        }
    }

    /// The events so far, in the order they happened.
    pub fn events(&self) -> Vec<(Duration, Event)> {
        let Some(inner) = &self.0 else {
            return Vec::new();
        };
        let mut events = inner
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // Stable: events recorded at the same instant keep the order they were recorded in.
        events.sort_by_key(|(t, _)| *t);
        events
    }

    /// The cap, when the recorder reached it and stopped keeping events.
    pub fn capped(&self) -> Option<usize> {
        let inner = self.0.as_ref()?;
        let n = inner.events.lock().unwrap_or_else(|p| p.into_inner()).len();
        (n >= MAX_EVENTS).then_some(MAX_EVENTS)
    }

    /// The trace as text (see `render::trace`).
    pub fn text(&self) -> String {
        crate::render::trace::text(&self.events(), self.capped(), self.show_certs())
    }

    /// Whether each certificate chain is wanted as PEM too (`--show-certs`).
    pub fn show_certs(&self) -> bool {
        self.0.as_ref().is_some_and(|i| i.show_certs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_records_nothing() {
        let t = Tracer::default();
        t.record(|| panic!("an off tracer must not build events"));
        assert!(t.events().is_empty());
    }

    #[test]
    fn events_come_out_in_the_order_they_happened() {
        let t = Tracer::on(false);
        let early = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        t.record(|| Event::NoResponse {
            place: "b".into(),
            failure: "x".into(),
        });
        t.record_at(early, || Event::Request {
            place: "a".into(),
            line: "GET / HTTP/1.1".into(),
            headers: vec![],
        });
        let places: Vec<String> = t
            .events()
            .into_iter()
            .map(|(_, e)| match e {
                Event::Request { place, .. } | Event::NoResponse { place, .. } => place,
                _ => String::new(),
            })
            .collect();
        assert_eq!(places, ["a", "b"]);
    }
}
