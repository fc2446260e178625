//! `delegcheck serve`: the same checks as the command line behind HTTP. The federation
//! tester's API (`/api/report`, `/api/federation-ok`), delegcheck's own report
//! (`/api/v1/report`), a Prometheus probe (`/probe?target=`), the server's own metrics
//! (`/metrics`) and a web page (`/`).
//!
//! Safe to expose: public addresses only unless `--allow-private` (the dialer's
//! `--public-only` policy, every refusal explained in the report), a cap on checks in flight
//! and a per-client rate limit answered with 429 and `Retry-After`, identical concurrent
//! requests sharing one check, a short cache whose bypass is rate-limited too, bounded
//! requests, a deadline per request, graceful shutdown, one access-log line per request.

pub mod checker;
pub mod fedtester;
pub mod limits;
pub mod metrics;
mod page;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::net::{Config, Net, SetupError};
use checker::{Checker, Outcome, Refusal, Source};
use limits::ClientLimit;
use metrics::ServerMetrics;

/// What `delegcheck serve` is told on its command line.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long a result is served from the cache (zero: never).
    pub cache_ttl: Duration,
    /// Most checks running at once; past that, requests that need a new check get 429.
    pub max_checks: usize,
    /// Most requests being answered at once (checks, cache hits, pages); past that, 503.
    pub max_requests: usize,
    /// Check requests per minute per client (0: no limit).
    pub rate_per_minute: u32,
    /// Cache bypasses (`refresh=1`) per minute per client.
    pub refresh_per_minute: u32,
    /// The header a reverse proxy puts the client's address in (e.g. `X-Real-IP`).
    pub real_ip_header: Option<String>,
    /// Write one access-log line per request to stderr.
    pub access_log: bool,
    /// Longest a client may take to send a request's head (line and headers); then its
    /// connection is closed, so that slow clients cannot hold connections open.
    pub header_timeout: Duration,
}

/// The default [`ServeOptions::header_timeout`].
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            cache_ttl: Duration::from_secs(60),
            max_checks: 64,
            max_requests: 1024,
            rate_per_minute: 30,
            refresh_per_minute: 2,
            real_ip_header: None,
            access_log: true,
            header_timeout: HEADER_TIMEOUT,
        }
    }
}

/// Longest server name (or `target`) accepted: a DNS name is at most 253 bytes, plus a port.
const MAX_NAME: usize = 300;

/// Everything the handlers share.
pub struct AppState {
    opts: ServeOptions,
    real_ip_header: Option<HeaderName>,
    checker: Checker,
    clients: ClientLimit,
    refreshes: ClientLimit,
    metrics: ServerMetrics,
    /// The deadline of one request: the check's own (`--timeout`) and a margin.
    request_deadline: Duration,
}

/// The application: routes and layers, over a network built from `config`.
pub fn app(opts: ServeOptions, config: Config) -> Result<Router, SetupError> {
    let request_deadline = request_deadline(&config);
    let real_ip_header = match &opts.real_ip_header {
        Some(h) => Some(
            HeaderName::try_from(h.as_str())
                .map_err(|_| SetupError(format!("{h:?} is not an HTTP header name")))?,
        ),
        None => None,
    };
    let checker = Checker::new(Net::new(config)?, opts.cache_ttl, opts.max_checks);
    let state = Arc::new(AppState {
        clients: ClientLimit::per_minute(opts.rate_per_minute),
        refreshes: ClientLimit::per_minute(opts.refresh_per_minute),
        metrics: ServerMetrics::default(),
        checker,
        request_deadline,
        real_ip_header,
        opts,
    });
    Ok(router(state))
}

fn router(state: Arc<AppState>) -> Router {
    let tester = Router::new()
        .route("/api/report", tester_route(api_report))
        .route("/api/federation-ok", tester_route(api_federation_ok))
        .layer(tester_cors());
    let limits = tower::ServiceBuilder::new()
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024))
        .layer(axum::error_handling::HandleErrorLayer::<_, ()>::new(
            overloaded,
        ))
        .layer(tower::load_shed::LoadShedLayer::new())
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            state.opts.max_requests.max(1),
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.request_deadline,
        ));
    let forget = state.clone();
    // The app is built inside the runtime that serves it (`serve_until`, `start`); outside
    // one, nothing trims the limiters' tables.
    let runtime = tokio::runtime::Handle::try_current();
    runtime
        .map(|rt| {
            rt.spawn(async move {
                // The rate limiters' tables forget idle clients once a minute.
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    if Arc::strong_count(&forget) == 1 {
                        return;
                    }
                    forget.clients.forget_idle();
                    forget.refreshes.forget_idle();
                }
            })
        })
        .ok();
    Router::new()
        .merge(tester)
        .route("/api/v1/report", get(api_v1_report))
        .route("/probe", get(probe))
        .route("/metrics", get(server_metrics))
        .merge(page::routes())
        .layer(limits)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            log_and_count,
        ))
        .with_state(state)
}

/// The federation tester's routes: GET, an empty 200 for OPTIONS, 405 `Unsupported method`
/// for anything else (main.go `handleCommon`).
fn tester_route<H, T>(handler: H) -> MethodRouter<Arc<AppState>>
where
    H: axum::handler::Handler<T, Arc<AppState>>,
    T: 'static,
{
    get(handler)
        .options(|| async { StatusCode::OK })
        .fallback(|| async { (StatusCode::METHOD_NOT_ALLOWED, text("Unsupported method")) })
}

/// The headers the tester sets on every response of its API, CORS open.
fn tester_cors() -> tower::layer::util::Stack<
    SetResponseHeaderLayer<HeaderValue>,
    tower::layer::util::Stack<
        SetResponseHeaderLayer<HeaderValue>,
        SetResponseHeaderLayer<HeaderValue>,
    >,
> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    tower::layer::util::Stack::new(
        set(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        tower::layer::util::Stack::new(
            set(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, POST, PUT, DELETE, OPTIONS",
            ),
            set(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Origin, X-Requested-With, Content-Type, Accept",
            ),
        ),
    )
}

async fn overloaded(_: tower::BoxError) -> Response {
    let mut r = (
        StatusCode::SERVICE_UNAVAILABLE,
        text("Too many requests at once: try again in a second"),
    )
        .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// A `text/plain` body.
fn text(s: impl Into<String>) -> ([(HeaderName, &'static str); 1], String) {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        s.into(),
    )
}

/// The query parameters a check route reads.
struct CheckQuery {
    name: Option<String>,
    refresh: bool,
}

fn check_query(raw: Option<&str>, param: &str) -> CheckQuery {
    let mut q = CheckQuery {
        name: None,
        refresh: false,
    };
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if k == param && q.name.is_none() {
            q.name = Some(v.into_owned());
        } else if k == "refresh" {
            q.refresh = matches!(&*v, "1" | "true" | "yes");
        }
    }
    q
}

impl AppState {
    /// The check result a request asks for, or the response that refuses it.
    async fn obtain(
        &self,
        peer: IpAddr,
        headers: &HeaderMap,
        raw: Option<&str>,
        param: &str,
    ) -> Result<(Arc<Outcome>, Source), Response> {
        let q = check_query(raw, param);
        let name = match q.name {
            Some(n) if !n.is_empty() => n,
            // The tester's own wording (main.go `handleCommon`).
            _ => return Err((StatusCode::BAD_REQUEST, text(missing(param))).into_response()),
        };
        if name.len() > MAX_NAME {
            let msg = format!("{param} is longer than {MAX_NAME} bytes: not a server name");
            return Err((StatusCode::BAD_REQUEST, text(msg)).into_response());
        }
        let via = self.real_ip_header.as_ref();
        let client = limits::client_ip(
            peer,
            via.and_then(|h| headers.get(h))
                .and_then(|v| v.to_str().ok()),
        );
        if let Err(wait) = self.clients.check(client) {
            self.metrics.refused("rate_limited");
            return Err(too_many(wait, "Rate limit reached for this client"));
        }
        if q.refresh
            && let Err(wait) = self.refreshes.check(client)
        {
            self.metrics.refused("refresh_limited");
            return Err(too_many(wait, "Cache bypass (refresh) limit reached"));
        }
        match self.checker.get(&name, q.refresh).await {
            Ok((outcome, source)) => {
                if source == Source::Fresh {
                    self.metrics.check_done(outcome.duration);
                }
                self.metrics.result(source.as_str());
                Ok((outcome, source))
            }
            Err(Refusal::Busy) => {
                self.metrics.refused("busy");
                Err(too_many(
                    Duration::from_secs(2),
                    "Every check slot is taken (--max-checks)",
                ))
            }
            Err(Refusal::Failed) => Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                text("Error generating report: the check ended without a result\n"),
            )
                .into_response()),
        }
    }
}

fn missing(param: &str) -> String {
    format!("Missing {param} parameter")
}

/// 429 with `Retry-After`.
fn too_many(wait: Duration, why: &str) -> Response {
    let secs = limits::retry_after_secs(wait);
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        text(format!("{why}: try again in {secs} s")),
    )
        .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// Marks where a result came from (`fresh`, `shared`, `cached`).
fn with_source(mut r: Response, source: Source) -> Response {
    r.headers_mut().insert(
        HeaderName::from_static("x-delegcheck-source"),
        HeaderValue::from_static(source.as_str()),
    );
    r
}

type Peer = ConnectInfo<SocketAddr>;

async fn api_report(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let (o, source) = match app
        .obtain(peer.ip(), &headers, raw.as_deref(), "server_name")
        .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let body = o.tester_json.clone();
    with_source(
        ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        source,
    )
}

async fn api_federation_ok(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    match app
        .obtain(peer.ip(), &headers, raw.as_deref(), "server_name")
        .await
    {
        Ok((o, source)) => {
            let verdict = if o.report.ok { "GOOD" } else { "BAD" };
            with_source(
                ([(header::CONTENT_TYPE, "text/plain")], verdict).into_response(),
                source,
            )
        }
        Err(r) => r,
    }
}

async fn api_v1_report(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut r = match app
        .obtain(peer.ip(), &headers, raw.as_deref(), "server_name")
        .await
    {
        Ok((o, source)) => {
            let body = o.native_json.clone();
            with_source(
                ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
                source,
            )
        }
        Err(r) => r,
    };
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

async fn probe(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let start = Instant::now();
    let (o, source) = match app
        .obtain(peer.ip(), &headers, raw.as_deref(), "target")
        .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut body =
        crate::render::prometheus::render(std::slice::from_ref(&o.report), o.finished_at_ms / 1000);
    body.push_str(&probe_families(start.elapsed()));
    with_source(
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        source,
    )
}

/// What a probe adds to the report's own families (which already hold
/// `delegcheck_probe_success` and `delegcheck_check_duration_seconds`): how long this probe
/// request took, a cached result included.
fn probe_families(took: Duration) -> String {
    format!(
        "# HELP delegcheck_probe_duration_seconds Time this probe request took (a cached result takes next to none).\n\
         # TYPE delegcheck_probe_duration_seconds gauge\n\
         delegcheck_probe_duration_seconds {}\n",
        took.as_secs_f64()
    )
}

async fn server_metrics(State(app): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(app.checker.in_flight()),
    )
        .into_response()
}

/// The routes the metrics name; anything else is `other` (no label from user input).
const ROUTES: [&str; 9] = [
    "/",
    "/app.js",
    "/app.css",
    "/favicon.svg",
    "/api/report",
    "/api/federation-ok",
    "/api/v1/report",
    "/probe",
    "/metrics",
];

/// Counts every request by route and status, and writes its access-log line.
async fn log_and_count(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    // An `http::Uri` is printable ASCII: safe on a terminal as it is; clipped, so one
    // request cannot write a line of megabytes.
    let uri = crate::sanitize::clip(&req.uri().to_string(), 512);
    let route = ROUTES
        .into_iter()
        .find(|r| *r == req.uri().path())
        .unwrap_or("other");
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "-".into());
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    app.metrics.request(route, status);
    if app.opts.access_log {
        let source = resp
            .headers()
            .get("x-delegcheck-source")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        eprintln!(
            "{} {peer} \"{method} {uri}\" {status} {}ms {source}",
            crate::time::rfc3339(crate::time::now()),
            start.elapsed().as_millis(),
        );
    }
    resp
}

/// A running server (for tests and embedding): where it listens, and how to stop it.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<Drained>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits until they have.
    pub async fn shutdown(mut self) -> std::io::Result<Drained> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Asks it to stop (as SIGTERM does) without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    /// Waits until it has stopped.
    pub async fn stopped(self) -> std::io::Result<Drained> {
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// The deadline of one request, and so the longest a drain waits: the check's own
/// (`--timeout`) and a margin.
pub fn request_deadline(config: &Config) -> Duration {
    config.timeout + Duration::from_secs(5)
}

/// How a server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Every request in flight was answered.
    Complete,
    /// Connections were still open when the drain's time was up (a client that never
    /// finished its request); they were closed.
    CutShort,
}

/// Serves `app` on `listener` until `stop` resolves, then stops accepting and lets the
/// requests in flight finish, for at most `drain`. A client that has not sent a request's
/// head within `header_timeout` is disconnected (hyper's header-read timeout, which needs a
/// timer that `axum::serve` does not set), so idle or trickling clients cannot hold
/// connections open.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    app: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    drain: Duration,
    header_timeout: Duration,
) -> std::io::Result<Drained> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = io.set_nodelay(true);
        // The client's address, as `into_make_service_with_connect_info` would give it.
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            },
        );
        let service = hyper_util::service::TowerToHyperService::new(service);
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(io), service);
        let watched = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = watched.await;
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => Ok(Drained::Complete),
        () = tokio::time::sleep(drain) => Ok(Drained::CutShort),
    }
}

/// Listens on `addr` with a deep accept queue (4096, as far as `net.core.somaxconn` allows):
/// a burst of clients waits in the kernel's queue instead of having its SYNs dropped and
/// retried a second later.
pub fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// Starts a server on `listen` in the background.
pub async fn start(
    listen: SocketAddr,
    opts: ServeOptions,
    config: Config,
) -> Result<Running, String> {
    let drain = request_deadline(&config);
    let header_timeout = opts.header_timeout;
    let app = app(opts, config).map_err(|e| e.to_string())?;
    let listener = bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stop = async move {
        let _ = rx.await;
    };
    let task = tokio::spawn(serve_until(listener, app, stop, drain, header_timeout));
    Ok(Running {
        addr,
        stop: Some(tx),
        task,
    })
}

/// SIGTERM or SIGINT (Ctrl-C).
pub async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        let q = check_query(Some("server_name=ex%41mple.org&refresh=1"), "server_name");
        assert_eq!(q.name.as_deref(), Some("exAmple.org"));
        assert!(q.refresh);
        let q = check_query(Some("target=a&server_name=b"), "target");
        assert_eq!(q.name.as_deref(), Some("a"));
        assert!(!q.refresh);
        assert_eq!(check_query(None, "target").name, None);
    }

    #[test]
    fn the_app_builds_outside_a_runtime() {
        let config = Config {
            resolver: Some("127.0.0.1:53".parse().unwrap()),
            system_roots: false,
            ..Config::default()
        };
        assert!(app(ServeOptions::default(), config).is_ok());
        let bad = ServeOptions {
            real_ip_header: Some("not a header".into()),
            ..ServeOptions::default()
        };
        assert!(app(bad, Config::default()).is_err());
    }

    #[test]
    fn probe_families_say_the_duration() {
        let t = probe_families(Duration::from_millis(1500));
        assert!(
            t.contains("\ndelegcheck_probe_duration_seconds 1.5\n"),
            "{t}"
        );
    }
}
