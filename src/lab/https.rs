//! The lab's HTTPS hosts (hyper + tokio-rustls) on loopback: a certificate from the lab CA,
//! routes, redirects, the federation endpoints with real ed25519-signed keys, and
//! misbehaviours (black hole, reset, plain HTTP, garbage, old TLS, delays).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::pki::{CertKind, Pki};
use crate::checks::keys::{b64_encode, canonical_json};

/// How a host treats a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// TLS and HTTP.
    #[default]
    Normal,
    /// Accept the connection, never answer.
    Blackhole,
    /// Accept, then reset.
    Reset,
    /// Answer the ClientHello with plain HTTP, as nginx does on a `listen` without `ssl`.
    PlainHttp,
    /// Answer with random bytes.
    Garbage,
    /// Answer the ClientHello with a protocol_version alert, as a TLS 1.0-only server does.
    OldTls,
    /// Plain HTTP with the normal routes (a port-80 web server).
    Http,
}

/// A fixed route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Path (query ignored).
    pub path: String,
    /// Status.
    #[serde(default = "ok200")]
    pub status: u16,
    /// Body.
    #[serde(default)]
    pub body: String,
    /// Repeat the body this many times (for size tests).
    #[serde(default)]
    pub repeat: Option<usize>,
    /// Prefix the body with a UTF-8 BOM.
    #[serde(default)]
    pub bom: bool,
    /// Prefix the body with this many spaces (valid JSON padding, for size tests).
    #[serde(default)]
    pub pad: usize,
    /// Headers.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Match every path that starts with `path` (a proxy's catch-all for `/_matrix/`).
    #[serde(default)]
    pub prefix: bool,
    /// Match only this method (`OPTIONS` for a preflight); any when absent.
    #[serde(default)]
    pub method: Option<String>,
}

fn ok200() -> u16 {
    200
}

/// One lab host, as a scenario describes it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// Addresses it answers on, as other servers would dial them (`127.0.0.2:443`, `[::1]:8448`).
    pub listen: Vec<String>,
    /// Certificate names (IP strings become IP SANs).
    #[serde(default)]
    pub cert: Vec<String>,
    /// How the certificate is made.
    #[serde(default)]
    pub cert_kind: CertKind,
    /// Body of a 200 `/.well-known/matrix/server` (application/json).
    #[serde(default)]
    pub well_known: Option<String>,
    /// Body of a 200 `/.well-known/matrix/client` (application/json).
    #[serde(default)]
    pub client_well_known: Option<String>,
    /// The spec's CORS headers (`Access-Control-Allow-Origin: *`, the recommended
    /// `-Methods` and `-Headers`) on every response, redirects and errors included, and a
    /// 204 to every `OPTIONS` no route answers: a homeserver or web server set up for web
    /// clients.
    #[serde(default)]
    pub cors: bool,
    /// Content-Type of that well-known.
    #[serde(default)]
    pub well_known_content_type: Option<String>,
    /// Cache-Control of that well-known.
    #[serde(default)]
    pub cache_control: Option<String>,
    /// Serve the federation endpoints as this server name; `*` serves as whatever server
    /// name the `Host` header names (without its port), like a hosting provider's
    /// multi-tenant homeserver.
    #[serde(default)]
    pub matrix: Option<String>,
    /// `Host` values the federation endpoints answer (exact match); empty: any.
    #[serde(default)]
    pub vhosts: Vec<String>,
    /// `server_name` in the key response, when it should differ from `matrix`.
    #[serde(default)]
    pub keys_server_name: Option<String>,
    /// Break the key signature.
    #[serde(default)]
    pub keys_bad_signature: bool,
    /// `valid_until_ts` relative to now, in seconds (default one day).
    #[serde(default)]
    pub keys_valid_seconds: Option<i64>,
    /// Key id suffix (`ed25519:<id>`).
    #[serde(default)]
    pub key_id: Option<String>,
    /// A `Server` header on every HTTP response (`nginx/1.22.1`), as a web server sends.
    #[serde(default)]
    pub server_header: Option<String>,
    /// Extra routes, checked first.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Connection behaviour.
    #[serde(default)]
    pub behaviour: Behaviour,
    /// Delay before the TLS handshake, in ms.
    #[serde(default)]
    pub handshake_delay_ms: u64,
    /// Delay before each response, in ms.
    #[serde(default)]
    pub response_delay_ms: u64,
    /// This many entries in the key response's `old_verify_keys` (a long-lived server's
    /// history: a large but valid response).
    #[serde(default)]
    pub old_keys: usize,
    /// After the TLS handshake, answer every request with these bytes as they are, then
    /// close: for responses that break HTTP (a body shorter than its Content-Length, bad
    /// chunked encoding, oversized headers), which a well-behaved server cannot send.
    #[serde(default)]
    pub raw_response: Option<String>,
}

struct HostState {
    spec: HostSpec,
    key: Ed25519KeyPair,
    extra_delay: Duration,
    /// TLS handshakes completed, shared by every host of the lab.
    handshakes: Arc<AtomicU64>,
}

fn resp(status: u16, ct: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", ct)
        .body(Full::new(body.into()))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn json_resp(status: u16, v: serde_json::Value) -> Response<Full<Bytes>> {
    resp(
        status,
        "application/json",
        serde_json::to_vec(&v).unwrap_or_default(),
    )
}

impl HostState {
    fn keys(&self, served: &str) -> serde_json::Value {
        let server = self
            .spec
            .keys_server_name
            .clone()
            .unwrap_or_else(|| served.to_owned());
        let id = format!("ed25519:{}", self.spec.key_id.as_deref().unwrap_or("lab"));
        let valid =
            crate::time::now() * 1000 + self.spec.keys_valid_seconds.unwrap_or(86_400) * 1000;
        let mut v = json!({
            "server_name": server,
            "valid_until_ts": valid,
            "verify_keys": { id.clone(): { "key": b64_encode(self.key.public_key().as_ref()) } },
            "old_verify_keys": {},
        });
        for i in 0..self.spec.old_keys {
            v["old_verify_keys"][format!("ed25519:old{i}")] = json!({
                "key": b64_encode(&[i as u8; 32]),
                "expired_ts": 1_600_000_000_000u64 + i as u64,
            });
        }
        let sig = self.key.sign(canonical_json(&v).as_bytes());
        v["signatures"] = json!({ server: { id: b64_encode(sig.as_ref()) } });
        if self.spec.keys_bad_signature {
            v["valid_until_ts"] = json!(valid + 1000);
        }
        v
    }

    fn respond(&self, req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let mut r = self.respond_plain(req);
        if self.spec.cors {
            for (k, v) in CORS_HEADERS {
                r.headers_mut()
                    .insert(k, hyper::header::HeaderValue::from_static(v));
            }
        }
        r
    }

    fn respond_plain(&self, req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path();
        let method = req.method().as_str();
        for r in &self.spec.routes {
            let method_ok = r.method.as_deref().is_none_or(|m| m == method);
            if method_ok && (r.path == path || (r.prefix && path.starts_with(r.path.as_str()))) {
                let mut body = if r.bom {
                    vec![0xEF, 0xBB, 0xBF]
                } else {
                    vec![]
                };
                body.resize(body.len() + r.pad, b' ');
                for _ in 0..r.repeat.unwrap_or(1) {
                    body.extend_from_slice(r.body.as_bytes());
                }
                let mut b = Response::builder().status(r.status);
                for (k, v) in &r.headers {
                    b = b.header(k.as_str(), v.as_str());
                }
                return b
                    .body(Full::new(Bytes::from(body)))
                    .unwrap_or_else(|_| resp(500, "text/plain", "bad route"));
            }
        }
        if method == "OPTIONS" && self.spec.cors {
            return resp(204, "text/plain", "");
        }
        if path == "/.well-known/matrix/client"
            && let Some(wk) = &self.spec.client_well_known
        {
            return resp(200, "application/json", wk.clone());
        }
        if path == "/.well-known/matrix/server"
            && let Some(wk) = &self.spec.well_known
        {
            let ct = self
                .spec
                .well_known_content_type
                .as_deref()
                .unwrap_or("application/json");
            let mut r = resp(200, ct, wk.clone());
            if let Some(cc) = &self.spec.cache_control
                && let Ok(v) = hyper::header::HeaderValue::from_str(cc)
            {
                r.headers_mut().insert("cache-control", v);
            }
            return r;
        }
        let host = req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if let Some(matrix) = &self.spec.matrix {
            let server = if matrix == "*" {
                host_without_port(host)
            } else {
                matrix.as_str()
            };
            if path.starts_with("/_matrix/") {
                if !self.spec.vhosts.is_empty() && !self.spec.vhosts.iter().any(|v| v == host) {
                    return resp(
                        404,
                        "text/html",
                        "<html><body><h1>404 Not Found</h1>default server</body></html>",
                    );
                }
                return match path {
                    "/_matrix/federation/v1/version" => json_resp(
                        200,
                        json!({"server": {"name": "LabServer", "version": "1.0 (serving {server})".replace("{server}", server)}}),
                    ),
                    "/_matrix/key/v2/server" => json_resp(200, self.keys(server)),
                    "/_matrix/client/versions" => {
                        json_resp(200, json!({"versions": ["v1.11", "v1.12"]}))
                    }
                    p if p.starts_with("/_matrix/federation/") => json_resp(
                        401,
                        json!({"errcode": "M_UNAUTHORIZED", "error": "Missing Authorization headers"}),
                    ),
                    _ => json_resp(
                        404,
                        json!({"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}),
                    ),
                };
            }
        }
        resp(
            404,
            "text/html",
            "<html><body><h1>404 Not Found</h1></body></html>",
        )
    }
}

/// The client-server spec's CORS headers ("Web Browser Clients").
const CORS_HEADERS: [(&str, &str); 3] = [
    ("access-control-allow-origin", "*"),
    (
        "access-control-allow-methods",
        "GET, POST, PUT, DELETE, OPTIONS",
    ),
    (
        "access-control-allow-headers",
        "X-Requested-With, Content-Type, Authorization",
    ),
];

/// `name:port` → `name`, `[v6]:port` → `[v6]`.
fn host_without_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(i)
            if !host[i..].contains(']') && (host.starts_with('[') || !host[..i].contains(':')) =>
        {
            &host[..i]
        }
        _ => host,
    }
}

/// Starts a host on every address of `spec.listen`; returns `(logical, real)` address pairs
/// for the dialer and the tasks to abort.
pub async fn start(
    spec: HostSpec,
    pki: &Pki,
    extra_delay: Duration,
    real_ports: bool,
    handshakes: Arc<AtomicU64>,
) -> Result<(Vec<(SocketAddr, SocketAddr)>, Vec<JoinHandle<()>>), String> {
    let issued = pki
        .issue(&spec.cert, spec.cert_kind)
        .map_err(|e| format!("certificate: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(issued.chain, issued.key)
        .map_err(|e| format!("server config: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| "ed25519 key".to_owned())?;
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| "ed25519 key".to_owned())?;
    let listen = spec.listen.clone();
    let state = Arc::new(HostState {
        spec,
        key,
        extra_delay,
        handshakes,
    });
    let mut pairs = Vec::new();
    let mut tasks = Vec::new();
    for l in &listen {
        let logical: SocketAddr = l.parse().map_err(|_| format!("bad listen address `{l}`"))?;
        // A non-loopback logical address (say TEST-NET 192.0.2.10, to play a public host)
        // really listens on 127.0.0.1; the dialer's table sends it there, and the lab's
        // loopback-only guard sees to it that nothing else is ever dialled.
        let bind = match (real_ports, logical.ip().is_loopback()) {
            (true, _) => logical,
            (false, true) => SocketAddr::new(logical.ip(), 0),
            (false, false) => SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), 0),
        };
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|e| format!("cannot bind {bind}: {e}"))?;
        let real = listener.local_addr().map_err(|e| e.to_string())?;
        pairs.push((logical, real));
        let state = state.clone();
        let acceptor = acceptor.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(serve(sock, state, acceptor));
            }
        }));
    }
    Ok((pairs, tasks))
}

async fn serve(mut sock: tokio::net::TcpStream, state: Arc<HostState>, acceptor: TlsAcceptor) {
    let _ = sock.set_nodelay(true);
    match state.spec.behaviour {
        Behaviour::Blackhole => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Behaviour::Reset => {
            // A zero linger closes with RST at once (it is a non-zero linger that blocks).
            #[allow(deprecated)]
            let _ = sock.set_linger(Some(Duration::ZERO));
            return;
        }
        Behaviour::PlainHttp => {
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
                .await;
            return;
        }
        Behaviour::Garbage => {
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"\x00\x1b[2J\xff\xfegarbage\x1b]0;pwned\x07")
                .await;
            return;
        }
        Behaviour::OldTls => {
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            // A fatal protocol_version alert, in a TLS 1.0 record.
            let _ = sock
                .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
                .await;
            return;
        }
        Behaviour::Normal | Behaviour::Http => {}
    }
    let delay = Duration::from_millis(state.spec.handshake_delay_ms) + state.extra_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(raw) = state.spec.raw_response.clone() {
        if let Ok(Ok(mut tls)) =
            tokio::time::timeout(Duration::from_secs(10), acceptor.accept(sock)).await
        {
            state.handshakes.fetch_add(1, Ordering::Relaxed);
            let _ = read_request_head(&mut tls).await;
            let _ = tls.write_all(raw.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
        return;
    }
    let plain = state.spec.behaviour == Behaviour::Http;
    let handshakes = state.handshakes.clone();
    // The lab's round trip (`LabOptions::rtt`) is the network's: a response leaves one round
    // trip after the bytes of its request arrived, so requests that arrive together
    // (pipelined) are answered together, as over a real link. The host's own slowness
    // (`response_delay_ms`) is per response: it serves them one after another.
    let arrived = Arc::new(std::sync::Mutex::new(tokio::time::Instant::now()));
    let svc = {
        let arrived = arrived.clone();
        hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let state = state.clone();
            let at = *arrived.lock().unwrap_or_else(|e| e.into_inner());
            async move {
                tokio::time::sleep_until(at + state.extra_delay).await;
                let delay = Duration::from_millis(state.spec.response_delay_ms);
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let mut resp = state.respond(&req);
                if let Some(v) = state
                    .spec
                    .server_header
                    .as_deref()
                    .and_then(|v| hyper::header::HeaderValue::from_str(v).ok())
                {
                    resp.headers_mut().insert(hyper::header::SERVER, v);
                }
                Ok::<_, Infallible>(resp)
            }
        })
    };
    if plain {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(Stamped::new(sock, arrived)), svc)
            .await;
        return;
    }
    let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(sock)).await
    else {
        return;
    };
    handshakes.fetch_add(1, Ordering::Relaxed);
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(Stamped::new(tls, arrived)), svc)
        .await;
}

/// A stream that notes when bytes last arrived on it.
struct Stamped<S> {
    inner: S,
    arrived: Arc<std::sync::Mutex<tokio::time::Instant>>,
}

impl<S> Stamped<S> {
    fn new(inner: S, arrived: Arc<std::sync::Mutex<tokio::time::Instant>>) -> Stamped<S> {
        Stamped { inner, arrived }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Stamped<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            *self.arrived.lock().unwrap_or_else(|e| e.into_inner()) = tokio::time::Instant::now();
        }
        r
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Stamped<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Reads a request head (up to the blank line, at most 16 KiB).
async fn read_request_head<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn host_header_without_port() {
        assert_eq!(
            super::host_without_port("example.test:8448"),
            "example.test"
        );
        assert_eq!(super::host_without_port("example.test"), "example.test");
        assert_eq!(super::host_without_port("[::1]:8448"), "[::1]");
        assert_eq!(super::host_without_port("[::1]"), "[::1]");
        assert_eq!(super::host_without_port("127.0.0.1:80"), "127.0.0.1");
    }
}
