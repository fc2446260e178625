//! The server's own metrics (`/metrics`): requests by route and status, check durations,
//! where results came from, checks in flight, requests refused.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the check-duration histogram, in seconds.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Default)]
struct Counts {
    requests: BTreeMap<(String, u16), u64>,
    results: BTreeMap<&'static str, u64>,
    refused: BTreeMap<&'static str, u64>,
    buckets: [u64; BUCKETS.len()],
    checks: u64,
    check_seconds: f64,
}

/// Counters, shared by every request.
#[derive(Default)]
pub struct ServerMetrics {
    counts: Mutex<Counts>,
}

/// Most distinct (route, status) pairs counted: routes are the router's patterns, so this
/// is never reached in practice; it keeps a bug from growing the table.
const MAX_SERIES: usize = 512;

impl ServerMetrics {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request answered on `route` (the router's pattern) with `status`.
    pub fn request(&self, route: &str, status: u16) {
        let mut c = self.counts();
        let key = (route.to_owned(), status);
        if c.requests.len() < MAX_SERIES || c.requests.contains_key(&key) {
            *c.requests.entry(key).or_default() += 1;
        }
    }

    /// A result served, by where it came from (`fresh`, `shared`, `cached`).
    pub fn result(&self, source: &'static str) {
        *self.counts().results.entry(source).or_default() += 1;
    }

    /// A request refused, by why (`rate_limited`, `busy`, `refresh_limited`).
    pub fn refused(&self, reason: &'static str) {
        *self.counts().refused.entry(reason).or_default() += 1;
    }

    /// A check finished after `took`.
    pub fn check_done(&self, took: Duration) {
        let mut c = self.counts();
        let s = took.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if s <= *le {
                c.buckets[i] += 1;
            }
        }
        c.checks += 1;
        c.check_seconds += s;
    }

    /// The Prometheus text exposition, with `in_flight` checks running now.
    pub fn render(&self, in_flight: usize) -> String {
        let c = self.counts();
        let mut out = String::new();
        let head = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            &mut out,
            "delegcheck_serve_requests_total",
            "counter",
            "HTTP requests answered, by route pattern and status code.",
        );
        for ((route, code), n) in &c.requests {
            let _ = writeln!(
                out,
                "delegcheck_serve_requests_total{{route=\"{}\",code=\"{code}\"}} {n}",
                label(route)
            );
        }
        head(
            &mut out,
            "delegcheck_serve_results_total",
            "counter",
            "Check results served, by source: fresh (this request ran the check), shared (joined a running check), cached.",
        );
        for src in ["fresh", "shared", "cached"] {
            let n = c.results.get(src).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "delegcheck_serve_results_total{{source=\"{src}\"}} {n}"
            );
        }
        head(
            &mut out,
            "delegcheck_serve_refused_total",
            "counter",
            "Requests refused, by reason.",
        );
        for why in ["rate_limited", "refresh_limited", "busy"] {
            let n = c.refused.get(why).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "delegcheck_serve_refused_total{{reason=\"{why}\"}} {n}"
            );
        }
        head(
            &mut out,
            "delegcheck_serve_checks_in_flight",
            "gauge",
            "Checks running now.",
        );
        let _ = writeln!(out, "delegcheck_serve_checks_in_flight {in_flight}");
        head(
            &mut out,
            "delegcheck_serve_check_duration_seconds",
            "histogram",
            "How long checks took.",
        );
        let name = "delegcheck_serve_check_duration_seconds";
        for (le, n) in BUCKETS.iter().zip(c.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", c.checks);
        let _ = writeln!(out, "{name}_sum {}", c.check_seconds);
        let _ = writeln!(out, "{name}_count {}", c.checks);
        out
    }
}

/// A label value, escaped as the exposition format asks.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_up_in_the_exposition() {
        let m = ServerMetrics::default();
        m.request("/api/report", 200);
        m.request("/api/report", 200);
        m.request("/probe", 429);
        m.result("cached");
        m.refused("rate_limited");
        m.check_done(Duration::from_millis(300));
        let text = m.render(2);
        for line in [
            "delegcheck_serve_requests_total{route=\"/api/report\",code=\"200\"} 2",
            "delegcheck_serve_requests_total{route=\"/probe\",code=\"429\"} 1",
            "delegcheck_serve_results_total{source=\"cached\"} 1",
            "delegcheck_serve_results_total{source=\"fresh\"} 0",
            "delegcheck_serve_refused_total{reason=\"rate_limited\"} 1",
            "delegcheck_serve_checks_in_flight 2",
            "delegcheck_serve_check_duration_seconds_bucket{le=\"0.25\"} 0",
            "delegcheck_serve_check_duration_seconds_bucket{le=\"0.5\"} 1",
            "delegcheck_serve_check_duration_seconds_count 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
