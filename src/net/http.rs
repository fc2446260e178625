//! HTTPS requests with exact control of the address, the TLS name (SNI) and the `Host` header,
//! as a homeserver sends them: one connection per request, HTTP/1.1, a capped body, and the
//! TLS session recorded. Redirects are followed here, hop by hop, with every hop recorded.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use super::tls::HandshakeError;
use super::{Deadline, Net};
use crate::discovery::followup::{NextHop, next_hop, redirect_address_refused};
use crate::obs::{
    ConnectFailure, Exchange, Fetch, Hop, HttpResponse, RedirectStop, RequestFailure,
};

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
}

/// Performs one request on a fresh connection. Every phase has the deadline's step timeout.
pub async fn exchange(net: &Net, spec: &RequestSpec, deadline: &Deadline) -> Exchange {
    let mut ex = Exchange {
        ip: spec.ip,
        port: spec.port,
        connect: None,
        tls: None,
        result: Err(RequestFailure::ResponseTimeout),
    };
    let start = Instant::now();
    let tcp = match net
        .dialer
        .connect(
            spec.dial_host.as_deref(),
            spec.ip,
            spec.port,
            deadline.step(),
        )
        .await
    {
        Ok(t) => t,
        // The connection was made and reset before we could use it: report it where it
        // belongs, as a failed handshake on an established connection.
        Err(ConnectFailure::Reset) => {
            ex.connect = Some(start.elapsed());
            ex.result = Err(RequestFailure::Tls(
                ConnectFailure::Reset.describe().to_owned(),
            ));
            return ex;
        }
        Err(f) => {
            ex.result = Err(RequestFailure::Connect(f));
            return ex;
        }
    };
    ex.connect = Some(start.elapsed());
    if spec.plain_http {
        ex.result = request(tcp, spec, deadline.step()).await;
        return ex;
    }
    let (stream, obs) = net
        .tls
        .handshake(tcp, &spec.tls_name, deadline.step())
        .await;
    // A certificate the verifier rejects still gets its request (so the endpoints behind it
    // can be checked too); the verdict in `ex.tls` is judged by the caller.
    ex.tls = Some(obs);
    let stream = match stream {
        Ok(s) => s,
        Err(HandshakeError::Timeout) => {
            ex.result = Err(RequestFailure::TlsTimeout);
            return ex;
        }
        Err(HandshakeError::OldVersion) => {
            ex.result = Err(RequestFailure::TlsOldVersion);
            return ex;
        }
        Err(HandshakeError::Failed(e)) => {
            ex.result = Err(RequestFailure::Tls(e));
            return ex;
        }
    };
    ex.result = request(stream, spec, deadline.step()).await;
    ex
}

async fn request<S>(
    stream: S,
    spec: &RequestSpec,
    timeout: Duration,
) -> Result<HttpResponse, RequestFailure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let start = Instant::now();
    let fut = async {
        let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
            .max_buf_size(64 * 1024)
            .handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| RequestFailure::Http(e.to_string()))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let req = hyper::Request::get(spec.path.as_str())
            .header(hyper::header::HOST, spec.host_header.as_str())
            .header(
                hyper::header::USER_AGENT,
                concat!("delegcheck/", env!("CARGO_PKG_VERSION")),
            )
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(|e| RequestFailure::Http(e.to_string()))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| RequestFailure::Http(crate::sanitize::clip(&error_chain(&e), 200)))?;
        let status = resp.status().as_u16();
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
            let frame = frame.map_err(|e| RequestFailure::Http(e.to_string()))?;
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
        driver.abort();
        Ok(HttpResponse {
            status,
            headers,
            body: buf,
            truncated,
            duration: start.elapsed(),
        })
    };
    match tokio::time::timeout(timeout, fut).await {
        Err(_) => Err(RequestFailure::ResponseTimeout),
        Ok(r) => r,
    }
}

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
    let mut chain = Chain::new(url, ip);
    let mut current = url.clone();
    let mut current_ip = ip;
    loop {
        let ex = exchange(net, &hop_request(&current, current_ip, body_cap), deadline).await;
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

/// The request for one hop of the chain: `url` fetched from `ip`.
fn hop_request(url: &url::Url, ip: IpAddr, body_cap: usize) -> RequestSpec {
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
        let ans = net.dns.addrs(&next_host, deadline.step()).await;
        match ans.addrs().first() {
            Some(ip) => *ip,
            None => {
                return Err(RedirectStop::Dns(next_host, ans.absence()));
            }
        }
    };
    // A public well-known that redirects into a private network is not followed (no
    // peer outside that network could either); a private deployment may redirect
    // within itself.
    if !user_given && redirect_address_refused(first_ip, addr) {
        return Err(RedirectStop::Internal(next.to_string(), addr));
    }
    Ok(addr)
}
