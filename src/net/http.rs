//! HTTPS requests with exact control of the address, the TLS name (SNI) and the `Host` header,
//! as a homeserver sends them: HTTP/1.1, a capped body, and the TLS session recorded. A
//! [`Session`] carries requests to the same place one after another on one kept-alive
//! connection, as a homeserver's connection pool does; [`pipeline`] writes several at once on
//! one connection and reads the answers in order. Redirects are followed here, hop by
//! hop, with every hop recorded (hops to the same origin on the same connection).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use super::tls::HandshakeError;
use super::trace::Event;
use super::{Deadline, Net};
use crate::discovery::followup::{NextHop, next_hop, redirect_address_refused};
use crate::obs::{
    ConnectFailure, DnsStatus, Exchange, Fetch, Hop, HttpFailure, HttpResponse, RedirectStop,
    RequestFailure, TlsFailure, TlsObs,
};

mod pipeline;
pub use pipeline::{Kept, pipeline};

/// Most headers kept from one response.
const MAX_HEADERS: usize = 100;
/// Longest header value kept.
const MAX_HEADER_LEN: usize = 1024;

/// One request: where to connect, what to verify, what to send.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// The host name being dialled (for `--connect-to` matching), if any.
    pub dial_host: Option<String>,
    /// The address to connect to.
    pub ip: IpAddr,
    /// The port.
    pub port: u16,
    /// The name the certificate must be valid for (and the SNI, unless it is an IP).
    pub tls_name: String,
    /// The `Host` header.
    pub host_header: String,
    /// Path and query.
    pub path: String,
    /// Most body bytes read.
    pub body_cap: usize,
    /// Plain HTTP, no TLS (only ever for an `http://` redirect hop, which homeservers follow).
    pub plain_http: bool,
    /// `GET`, or `OPTIONS` for a CORS preflight.
    pub method: Method,
    /// Headers sent besides Host, User-Agent and Accept (a browser's `Origin`, a preflight's
    /// `Access-Control-Request-*`).
    pub headers: Vec<(&'static str, String)>,
}

/// The request methods delegcheck sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// `GET`.
    #[default]
    Get,
    /// `OPTIONS` (a CORS preflight).
    Options,
}

/// Performs one request on a fresh connection. Every phase has the deadline's step timeout.
pub async fn exchange(net: &Net, spec: &RequestSpec, deadline: &Deadline) -> Exchange {
    Session::default().exchange(net, spec, deadline).await
}

/// Where a connection goes: requests to the same place may share one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    dial_host: Option<String>,
    ip: IpAddr,
    port: u16,
    tls_name: String,
    plain_http: bool,
}

impl Place {
    fn of(spec: &RequestSpec) -> Place {
        Place {
            dial_host: spec.dial_host.clone(),
            ip: spec.ip,
            port: spec.port,
            tls_name: spec.tls_name.clone(),
            plain_http: spec.plain_http,
        }
    }
}

/// An open connection (TCP, TLS unless plain) with hyper's HTTP/1.1 client on it, and what
/// its opening observed: every exchange on it carries the same connect time and TLS session.
struct Conn {
    place: Place,
    connect: Option<Duration>,
    tls: Option<TlsObs>,
    sender: SendRequest<Empty<Bytes>>,
    driver: tokio::task::JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Requests made one after another, as a homeserver's HTTP client makes them: each goes on
/// the connection of the one before when it is to the same place (address, port, TLS name;
/// the `Host` header may differ) and the server kept that connection open (HTTP/1.1
/// keep-alive), else on a new connection. A place that could not be connected to (TCP or
/// TLS failed) is not tried again: later requests there get the same failure at once, as
/// they would have got it from connections of their own.
#[derive(Default)]
pub struct Session {
    conn: Option<Conn>,
    unreachable: Option<(Place, Exchange)>,
}

/// A request that failed: why, the time its failing phase was allowed, and whether the
/// connection itself could not be made (TCP or TLS).
struct Failed {
    failure: RequestFailure,
    allowed: Duration,
    no_connection: bool,
}

impl Session {
    /// Performs one request, on the kept connection when it goes to the same place. Every
    /// phase has the deadline's step timeout.
    pub async fn exchange(
        &mut self,
        net: &Net,
        spec: &RequestSpec,
        deadline: &Deadline,
    ) -> Exchange {
        let place = Place::of(spec);
        if let Some((p, ex)) = &self.unreachable
            && *p == place
        {
            return ex.clone();
        }
        if let Some(conn) = self.conn.take().filter(|c| c.place == place)
            && let Some(ex) = self.reuse(net, conn, spec, deadline).await
        {
            return ex;
        }
        let mut ex = Exchange {
            ip: spec.ip,
            port: spec.port,
            connect: None,
            tls: None,
            result: Err(RequestFailure::ResponseTimeout),
        };
        let opened = Instant::now();
        match phases(net, spec, deadline, &mut ex).await {
            Ok((resp, conn)) => {
                ex.result = Ok(resp);
                self.conn = conn.map(|(sender, driver)| Conn {
                    place,
                    connect: ex.connect,
                    tls: ex.tls.clone(),
                    sender,
                    driver,
                });
            }
            Err(f) => {
                ex.result = Err(judged(f.failure, f.allowed, deadline));
                if f.no_connection {
                    self.unreachable = Some((place, ex.clone()));
                    return ex;
                }
            }
        }
        // The request went out once the connection was up.
        let setup =
            ex.connect.unwrap_or_default() + ex.tls.as_ref().map_or(Duration::ZERO, |t| t.duration);
        trace_exchange(net, spec, opened + setup, ex.result.as_ref());
        ex
    }

    /// The request on a kept connection; `None` when the server has closed it meanwhile (or
    /// closes it now, before answering): then the request goes on a new connection, as any
    /// keep-alive client retries it.
    async fn reuse(
        &mut self,
        net: &Net,
        mut conn: Conn,
        spec: &RequestSpec,
        deadline: &Deadline,
    ) -> Option<Exchange> {
        let allowed = deadline.step();
        if allowed.is_zero() || conn.sender.is_closed() {
            return None;
        }
        match tokio::time::timeout(allowed, conn.sender.ready()).await {
            Ok(Ok(())) => {}
            _ => return None,
        }
        let mut ex = Exchange {
            ip: spec.ip,
            port: spec.port,
            connect: conn.connect,
            tls: conn.tls.clone(),
            result: Err(RequestFailure::ResponseTimeout),
        };
        let sent = Instant::now();
        let result = request(&mut conn.sender, spec, allowed).await;
        if let Ok((resp, _)) = &result {
            trace_exchange(net, spec, sent, Ok(resp));
        }
        match result {
            Ok((resp, reusable)) => {
                ex.result = Ok(resp);
                if reusable {
                    self.conn = Some(conn);
                }
            }
            // A request that waited for an answer is not sent again.
            Err(f) if is_timeout(&f) => {
                ex.result = Err(judged(f, allowed, deadline));
                if let Err(f) = &ex.result {
                    trace_exchange(net, spec, sent, Err(f));
                }
            }
            Err(_) => return None,
        }
        Some(ex)
    }
}

/// The headers a request sends, in order (Host first, as hyper writes them).
/// The headers a request sends, in order: Host, the request's own (`Origin`, a preflight's),
/// User-Agent, Accept. hyper's requests, the pipeline's wire and the trace all read this.
pub(crate) fn sent_headers(spec: &RequestSpec) -> Vec<(&'static str, String)> {
    let mut headers = vec![("host", spec.host_header.clone())];
    headers.extend(spec.headers.iter().cloned());
    headers.push((
        "user-agent",
        concat!("delegcheck/", env!("CARGO_PKG_VERSION")).to_owned(),
    ));
    headers.push(("accept", "application/json".to_owned()));
    headers
}

impl Method {
    /// As on the request line.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Options => "OPTIONS",
        }
    }
}

/// How a trace names where a request went.
fn place_of(spec: &RequestSpec) -> String {
    super::place_label(spec.dial_host.as_deref(), spec.ip, spec.port)
}

/// Records a request sent at `sent`, and its response or why none came (`--trace`).
pub(crate) fn trace_exchange(
    net: &Net,
    spec: &RequestSpec,
    sent: Instant,
    result: Result<&HttpResponse, &RequestFailure>,
) {
    let trace = &net.config.trace;
    if !trace.is_on() {
        return;
    }
    let place = place_of(spec);
    let plain = if spec.plain_http { " (plain HTTP)" } else { "" };
    trace.record_at(sent, || Event::Request {
        place: place.clone(),
        line: format!("{} {} HTTP/1.1{plain}", spec.method.as_str(), spec.path),
        headers: sent_headers(spec)
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect(),
    });
    trace.record(|| match result {
        Ok(r) => Event::Response {
            place,
            status: r.status,
            headers: r.headers.clone(),
            body: r.body.clone(),
            truncated: r.truncated,
            took: r.duration,
        },
        Err(f) => Event::NoResponse {
            place,
            failure: f.describe(),
        },
    });
}

/// Records a TLS handshake (`--trace`).
fn trace_tls(net: &Net, spec: &RequestSpec, obs: &TlsObs, failure: Option<&HandshakeError>) {
    let began = Instant::now()
        .checked_sub(obs.duration)
        .unwrap_or_else(Instant::now);
    net.config.trace.record_at(began, || Event::Tls {
        place: place_of(spec),
        sni: spec
            .tls_name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_err()
            .then(|| spec.tls_name.clone()),
        version: obs.version.clone(),
        cipher: obs.cipher_suite.clone(),
        alpn: obs.alpn.clone(),
        chain: obs.chain.clone(),
        failure: failure.map(|e| match e {
            HandshakeError::Timeout => RequestFailure::TlsTimeout.describe(),
            HandshakeError::OldVersion => RequestFailure::TlsOldVersion.describe(),
            HandshakeError::Failed(f) => RequestFailure::Tls(f.clone()).describe(),
        }),
        took: obs.duration,
    });
}

/// A timeout in a phase the deadline had shortened is the check's limit.
fn judged(f: RequestFailure, allowed: Duration, deadline: &Deadline) -> RequestFailure {
    if is_timeout(&f) && deadline.clamped(allowed) {
        RequestFailure::Deadline
    } else {
        f
    }
}

fn is_timeout(f: &RequestFailure) -> bool {
    matches!(
        f,
        RequestFailure::Connect(ConnectFailure::Timeout)
            | RequestFailure::TlsTimeout
            | RequestFailure::ResponseTimeout
    )
}

/// The HTTP/1.1 client side of a new connection, and the task that drives it.
type Client = (SendRequest<Empty<Bytes>>, tokio::task::JoinHandle<()>);

/// Connect, handshake, request: the response and the connection when it can carry the next
/// one, or the failure.
async fn phases(
    net: &Net,
    spec: &RequestSpec,
    deadline: &Deadline,
    ex: &mut Exchange,
) -> Result<(HttpResponse, Option<Client>), Failed> {
    let stream = open(net, spec, deadline, ex).await?;
    first_request(stream, spec, deadline.step()).await
}

/// A byte stream a request can go on: TLS, or plain TCP for an `http://` hop.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Connect and handshake (TCP, then TLS unless plain), recording both in `ex`: the stream,
/// or the failure (which no request there can escape).
async fn open(
    net: &Net,
    spec: &RequestSpec,
    deadline: &Deadline,
    ex: &mut Exchange,
) -> Result<Box<dyn Io>, Failed> {
    let unopened = |failure, allowed| Failed {
        failure,
        allowed,
        no_connection: true,
    };
    let start = Instant::now();
    let allowed = deadline.step();
    if allowed.is_zero() {
        return Err(unopened(RequestFailure::Deadline, allowed));
    }
    let tcp = match net
        .dialer
        .connect(spec.dial_host.as_deref(), spec.ip, spec.port, allowed)
        .await
    {
        Ok(t) => t,
        // The connection was made and reset before we could use it: report it where it
        // belongs, as a failed handshake on an established connection.
        Err(ConnectFailure::Reset) => {
            ex.connect = Some(start.elapsed());
            return Err(unopened(RequestFailure::Tls(TlsFailure::Reset), allowed));
        }
        Err(f) => return Err(unopened(RequestFailure::Connect(f), allowed)),
    };
    ex.connect = Some(start.elapsed());
    let allowed = deadline.step();
    if spec.plain_http {
        return Ok(Box::new(tcp));
    }
    let (stream, obs) = net.tls.handshake(tcp, &spec.tls_name, allowed).await;
    trace_tls(net, spec, &obs, stream.as_ref().err());
    // A certificate the verifier rejects still gets its request (so the endpoints behind it
    // can be checked too); the verdict in `ex.tls` is judged by the caller.
    ex.tls = Some(obs);
    match stream {
        Ok(s) => Ok(Box::new(s)),
        Err(HandshakeError::Timeout) => Err(unopened(RequestFailure::TlsTimeout, allowed)),
        Err(HandshakeError::OldVersion) => Err(unopened(RequestFailure::TlsOldVersion, allowed)),
        Err(HandshakeError::Failed(e)) => Err(unopened(RequestFailure::Tls(e), allowed)),
    }
}

/// The first request on a new connection (TLS set up, or plain TCP).
async fn first_request<S>(
    stream: S,
    spec: &RequestSpec,
    allowed: Duration,
) -> Result<(HttpResponse, Option<Client>), Failed>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let failed = |failure| Failed {
        failure,
        allowed,
        no_connection: false,
    };
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(MAX_HEAD)
        .handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| failed(RequestFailure::Http(head_failure(&e))))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    match request(&mut sender, spec, allowed).await {
        Ok((resp, true)) => Ok((resp, Some((sender, driver)))),
        Ok((resp, false)) => {
            driver.abort();
            Ok((resp, None))
        }
        Err(f) => {
            driver.abort();
            Err(failed(f))
        }
    }
}

/// Most bytes of a response head (status line and headers) read.
const MAX_HEAD: usize = 64 * 1024;

/// One request on a connection hyper drives: the response, and whether the connection can
/// carry another (the body was read to its end and the server did not ask to close).
async fn request(
    sender: &mut SendRequest<Empty<Bytes>>,
    spec: &RequestSpec,
    timeout: Duration,
) -> Result<(HttpResponse, bool), RequestFailure> {
    let start = Instant::now();
    let fut = async {
        let method = match spec.method {
            Method::Get => hyper::Method::GET,
            Method::Options => hyper::Method::OPTIONS,
        };
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(spec.path.as_str());
        for (name, value) in sent_headers(spec) {
            req = req.header(name, value);
        }
        let req = req
            .body(Empty::<Bytes>::new())
            .map_err(|e| RequestFailure::Http(HttpFailure::Other(e.to_string())))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| RequestFailure::Http(head_failure(&e)))?;
        let status = resp.status().as_u16();
        let framing = Framing::of(resp.headers());
        let closing = resp
            .headers()
            .get_all(hyper::header::CONNECTION)
            .iter()
            .any(|v| {
                v.to_str()
                    .is_ok_and(|v| v.to_ascii_lowercase().contains("close"))
            });
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .take(MAX_HEADERS)
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    crate::sanitize::clip(&String::from_utf8_lossy(v.as_bytes()), MAX_HEADER_LEN),
                )
            })
            .collect();
        let mut body = resp.into_body();
        let mut buf: Vec<u8> = Vec::new();
        let mut truncated = false;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                let failure = body_failure(io_kind(&e), framing, buf.len() as u64);
                RequestFailure::Http(failure.unwrap_or_else(|| HttpFailure::Other(error_chain(&e))))
            })?;
            if let Some(data) = frame.data_ref() {
                let room = spec.body_cap.saturating_sub(buf.len());
                if data.len() > room {
                    buf.extend_from_slice(&data[..room]);
                    truncated = true;
                    break;
                }
                buf.extend_from_slice(data);
            }
        }
        let reusable = !truncated && !closing && framing != Framing::UntilClose;
        Ok((
            HttpResponse {
                status,
                headers,
                body: buf,
                truncated,
                duration: start.elapsed(),
            },
            reusable,
        ))
    };
    match tokio::time::timeout(timeout, fut).await {
        Err(_) => Err(RequestFailure::ResponseTimeout),
        Ok(r) => r,
    }
}

/// How a response body is delimited, as its head declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Neither: the body runs until the connection closes.
    UntilClose,
}

impl Framing {
    fn of(headers: &hyper::HeaderMap) -> Framing {
        let chunked = headers
            .get_all(hyper::header::TRANSFER_ENCODING)
            .iter()
            .any(|v| {
                v.to_str()
                    .is_ok_and(|v| v.to_ascii_lowercase().contains("chunked"))
            });
        if chunked {
            return Framing::Chunked;
        }
        headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.trim().parse().ok())
            .map_or(Framing::UntilClose, Framing::Length)
    }
}

/// Why reading a body failed, from the I/O error under hyper's and the body's framing
/// (`received`: body bytes read before); `None` when that says nothing more specific.
fn body_failure(
    io: Option<std::io::ErrorKind>,
    framing: Framing,
    received: u64,
) -> Option<HttpFailure> {
    use std::io::ErrorKind::*;
    match (io?, framing) {
        (UnexpectedEof, Framing::Length(expected)) => {
            Some(HttpFailure::BodyShort { expected, received })
        }
        (UnexpectedEof, Framing::Chunked) => Some(HttpFailure::ChunkedCut { received }),
        (InvalidData | InvalidInput, Framing::Chunked) => Some(HttpFailure::BadChunked),
        (ConnectionReset | ConnectionAborted, _) => Some(HttpFailure::Reset),
        _ => None,
    }
}

/// Why no response head came, by kind.
fn head_failure(e: &hyper::Error) -> HttpFailure {
    head_failure_of(
        HeadError {
            too_large: e.is_parse_too_large(),
            bad_status: e.is_parse_status(),
            parse: e.is_parse(),
            incomplete: e.is_incomplete_message(),
        },
        io_kind(e),
    )
    .unwrap_or_else(|| HttpFailure::Other(error_chain(e)))
}

/// What hyper says of an error before the response head.
#[derive(Debug, Clone, Copy, Default)]
struct HeadError {
    too_large: bool,
    bad_status: bool,
    parse: bool,
    incomplete: bool,
}

/// [`head_failure`] on the facts hyper gives; `None` when they say nothing specific.
fn head_failure_of(e: HeadError, io: Option<std::io::ErrorKind>) -> Option<HttpFailure> {
    use std::io::ErrorKind::*;
    Some(if e.too_large {
        HttpFailure::HeadTooLarge { limit: MAX_HEAD }
    } else if e.bad_status {
        HttpFailure::BadStatus
    } else if e.parse {
        HttpFailure::NotHttp
    } else if e.incomplete || io == Some(UnexpectedEof) {
        HttpFailure::ClosedBeforeResponse
    } else if matches!(io, Some(ConnectionReset | ConnectionAborted)) {
        HttpFailure::Reset
    } else {
        return None;
    })
}

/// An error and its sources, `: `-separated (for the kinds no variant names).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The kind of the I/O error under an error, if there is one.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = c.source();
    }
    None
}

/// GET `url` (https, host from the URL) with the first connection to `ip`; later hops to
/// other hosts are resolved through DNS (or `--connect-to`). Hops, loops, insecure hops and
/// the limit are recorded.
pub async fn fetch(
    net: &Net,
    url: &url::Url,
    ip: IpAddr,
    body_cap: usize,
    deadline: &Deadline,
) -> Fetch {
    fetch_with(net, url, ip, body_cap, deadline, &[]).await
}

/// [`fetch`], sending `headers` with every request of the chain (a browser's `Origin`).
pub async fn fetch_with(
    net: &Net,
    url: &url::Url,
    ip: IpAddr,
    body_cap: usize,
    deadline: &Deadline,
    headers: &[(&'static str, String)],
) -> Fetch {
    let mut chain = Chain::new(url, ip);
    let mut current = url.clone();
    let mut current_ip = ip;
    // A hop to the same origin (and address) goes on the connection of the one before.
    let mut session = Session::default();
    loop {
        let mut spec = hop_request(&current, current_ip, body_cap);
        spec.headers = headers.to_vec();
        let ex = session.exchange(net, &spec, deadline).await;
        let Ok(resp) = &ex.result else {
            return chain.finish(None, ex, &current);
        };
        let verdict = ex.tls.as_ref().and_then(|t| t.verdict.as_ref());
        let (decision, location) = next_hop(&current, resp, verdict, &chain.seen, chain.hops.len());
        if decision != NextHop::Done(None) {
            chain.hops.push(Hop {
                from: current.to_string(),
                status: resp.status,
                location,
                headers: resp.headers.clone(),
            });
        }
        let next = match decision {
            NextHop::Done(stop) => return chain.finish(stop, ex, &current),
            NextHop::Follow { next, insecure } => {
                if insecure {
                    chain.insecure.get_or_insert_with(|| next.to_string());
                }
                next
            }
        };
        chain.seen.push(next.to_string());
        // The next address: the same one for the same host, else a fresh lookup.
        if next.host_str() != current.host_str() {
            match next_address(net, &next, ip, deadline).await {
                Ok(addr) => current_ip = addr,
                Err(stop) => return chain.finish(Some(stop), ex, &current),
            }
        }
        current = next;
    }
}

/// What a redirect chain has recorded so far.
struct Chain {
    /// When the first request started.
    start: Instant,
    /// The address of the first request.
    ip: IpAddr,
    /// Redirects followed.
    hops: Vec<Hop>,
    /// The URLs requested so far.
    seen: Vec<String>,
    /// The first `http://` URL redirected to, if any.
    insecure: Option<String>,
}

impl Chain {
    /// A chain that starts at `url` on `ip`, now.
    fn new(url: &url::Url, ip: IpAddr) -> Chain {
        Chain {
            start: Instant::now(),
            ip,
            hops: Vec::new(),
            seen: vec![url.to_string()],
            insecure: None,
        }
    }

    /// The fetch's record, ending with `last` (the exchange with `url`) and `stop`.
    fn finish(self, stop: Option<RedirectStop>, last: Exchange, url: &url::Url) -> Fetch {
        Fetch {
            ip: self.ip,
            hops: self.hops,
            last,
            stop,
            insecure: self.insecure,
            url: url.to_string(),
            duration: self.start.elapsed(),
        }
    }
}

/// The request for one hop of a chain (or any single GET): `url` fetched from `ip`.
pub fn hop_request(url: &url::Url, ip: IpAddr, body_cap: usize) -> RequestSpec {
    let host = url.host_str().unwrap_or("").to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    RequestSpec {
        dial_host: Some(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        ),
        ip,
        port,
        tls_name: host,
        host_header,
        path,
        body_cap,
        plain_http: url.scheme() == "http",
        method: Method::Get,
        headers: Vec::new(),
    }
}

/// The address for a redirect to another host (`first_ip` is the chain's first address), or
/// why the chain stops there: the name does not resolve, or it leads into a private network.
async fn next_address(
    net: &Net,
    next: &url::Url,
    first_ip: IpAddr,
    deadline: &Deadline,
) -> Result<IpAddr, RedirectStop> {
    let next_host = next
        .host_str()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    // Whether the address came from the user's --connect-to table (trusted as given)
    // rather than from the redirect or DNS.
    let mut user_given = false;
    let addr = if let Ok(ip) = next_host.parse::<IpAddr>() {
        ip
    } else if let Some(sa) = net
        .dialer
        .by_name(&next_host, next.port_or_known_default().unwrap_or(443))
    {
        user_given = true;
        sa.ip()
    } else {
        let allowed = deadline.step();
        let ans = net.addrs(&next_host, allowed).await;
        // The first address a peer of this family (-4/-6) would use.
        let usable = ans
            .addrs()
            .into_iter()
            .find(|ip| net.config.families.allows(*ip) && !crate::ip_class::never_dialled(*ip));
        match usable {
            Some(ip) => ip,
            None if ans.absence() == DnsStatus::Timeout && deadline.clamped(allowed) => {
                return Err(RedirectStop::Deadline);
            }
            None if !ans.addrs().is_empty() => {
                // Addresses, but none this check may dial: the first says which.
                ans.addrs()[0]
            }
            None => {
                return Err(RedirectStop::Dns(next_host, ans.absence()));
            }
        }
    };
    // A public well-known that redirects into a private network is not followed (no
    // peer outside that network could either); a private deployment may redirect
    // within itself.
    if !user_given && redirect_address_refused(first_ip, addr, net.dialer.is_public_only()) {
        return Err(RedirectStop::Internal(next.to_string(), addr));
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind::*;

    /// The three framing problems hyper reports as one "error reading a body from
    /// connection" are told apart by the I/O error under it and the body's framing.
    #[test]
    fn body_failures_are_told_apart() {
        assert_eq!(
            body_failure(Some(UnexpectedEof), Framing::Length(4096), 29),
            Some(HttpFailure::BodyShort {
                expected: 4096,
                received: 29
            })
        );
        assert_eq!(
            body_failure(Some(UnexpectedEof), Framing::Chunked, 10),
            Some(HttpFailure::ChunkedCut { received: 10 })
        );
        assert_eq!(
            body_failure(Some(InvalidInput), Framing::Chunked, 0),
            Some(HttpFailure::BadChunked)
        );
        assert_eq!(
            body_failure(Some(InvalidData), Framing::Chunked, 0),
            Some(HttpFailure::BadChunked)
        );
        assert_eq!(
            body_failure(Some(ConnectionReset), Framing::UntilClose, 5),
            Some(HttpFailure::Reset)
        );
        assert_eq!(body_failure(Some(InvalidData), Framing::Length(3), 0), None);
        assert_eq!(body_failure(None, Framing::Length(3), 0), None);
    }

    #[test]
    fn head_failures_are_told_apart() {
        let e = HeadError::default();
        assert_eq!(
            head_failure_of(
                HeadError {
                    too_large: true,
                    parse: true,
                    ..e
                },
                None
            ),
            Some(HttpFailure::HeadTooLarge { limit: MAX_HEAD })
        );
        assert_eq!(
            head_failure_of(
                HeadError {
                    bad_status: true,
                    parse: true,
                    ..e
                },
                None
            ),
            Some(HttpFailure::BadStatus)
        );
        assert_eq!(
            head_failure_of(HeadError { parse: true, ..e }, None),
            Some(HttpFailure::NotHttp)
        );
        assert_eq!(
            head_failure_of(
                HeadError {
                    incomplete: true,
                    ..e
                },
                None
            ),
            Some(HttpFailure::ClosedBeforeResponse)
        );
        assert_eq!(
            head_failure_of(e, Some(ConnectionReset)),
            Some(HttpFailure::Reset)
        );
        assert_eq!(head_failure_of(e, Some(Other)), None);
    }

    #[test]
    fn framing_is_read_from_the_head() {
        let mut h = hyper::HeaderMap::new();
        assert_eq!(Framing::of(&h), Framing::UntilClose);
        h.insert(hyper::header::CONTENT_LENGTH, "12".parse().unwrap());
        assert_eq!(Framing::of(&h), Framing::Length(12));
        h.insert(
            hyper::header::TRANSFER_ENCODING,
            "gzip, Chunked".parse().unwrap(),
        );
        assert_eq!(Framing::of(&h), Framing::Chunked);
    }

    #[test]
    fn the_io_error_is_found_under_wrappers() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("error reading a body from connection")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let w = Wrapper(std::io::Error::new(UnexpectedEof, "end of file"));
        assert_eq!(io_kind(&w), Some(UnexpectedEof));
        assert_eq!(
            error_chain(&w),
            "error reading a body from connection: end of file"
        );
        #[derive(Debug)]
        struct Bare;
        impl std::fmt::Display for Bare {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bare")
            }
        }
        impl std::error::Error for Bare {}
        assert_eq!(io_kind(&Bare), None);
    }
}
