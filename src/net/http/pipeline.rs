//! HTTP/1.1 pipelining: several requests to one place written at once on one connection,
//! their responses read back in order, so that they cost one handshake and one round trip
//! together. hyper's client sends one request at a time, so the responses are read here:
//! the head with `httparse`, the body by its length, chunked, or until the close, with the
//! same caps as [`super::exchange`] and every failure the same typed failure hyper's path
//! gives.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    Framing, Io, MAX_HEAD, MAX_HEADER_LEN, MAX_HEADERS, RequestSpec, body_failure, exchange,
    judged, open,
};
use crate::net::{Deadline, Net};
use crate::obs::{Exchange, HttpFailure, HttpResponse, RequestFailure, TlsObs};

/// Most headers in one response head (hyper's limit too: more is a head too large).
const MAX_PARSED_HEADERS: usize = 100;

/// A connection a pipeline left open (every response read to its end, none asked to close):
/// the next requests to the same place may go on it.
pub struct Kept {
    place: super::Place,
    stream: Box<dyn Io>,
    /// Bytes read past the last response.
    buf: Vec<u8>,
    connect: Option<Duration>,
    tls: Option<TlsObs>,
}

/// Performs `specs` (all to the same address, port and TLS name) on one connection: on
/// `kept` when it goes there, else on a new one. All requests are written at once and the
/// responses read in order, each with the deadline's step timeout. What cannot be had on the
/// connection is had as [`exchange`] has it, each request on a connection of its own, at once:
/// the requests after a response that closed the connection (or was cut at the body cap),
/// and those after a response that failed. A response that never comes ends it all: it and
/// every request after it fail with that timeout (one step timeout in all). A place that
/// cannot be connected to fails every request the same way. Returns one exchange per spec,
/// in order, and the connection when it can carry more.
pub async fn pipeline(
    net: &Net,
    specs: &[RequestSpec],
    deadline: &Deadline,
    kept: Option<Kept>,
) -> (Vec<Exchange>, Option<Kept>) {
    let Some(first) = specs.first() else {
        return (Vec::new(), kept);
    };
    let place = super::Place::of(first);
    debug_assert!(specs.iter().all(|s| super::Place::of(s) == place));
    let Some(wire) = wire(specs) else {
        // A request hyper would refuse to build: let it say so, request by request.
        return (each_alone(net, specs, deadline).await, None);
    };
    if let Some(k) = kept.filter(|k| k.place == place) {
        // An `Err`: the server closed the kept connection meanwhile; a new one, as any
        // keep-alive client does.
        if let Ok(done) = on(k, net, specs, &wire, deadline, true).await {
            return done;
        }
    }
    let mut ex = Exchange {
        ip: first.ip,
        port: first.port,
        connect: None,
        tls: None,
        result: Err(RequestFailure::ResponseTimeout),
    };
    let stream = match open(net, first, deadline, &mut ex).await {
        Ok(s) => s,
        Err(f) => {
            ex.result = Err(judged(f.failure, f.allowed, deadline));
            let all = specs
                .iter()
                .map(|s| Exchange {
                    ip: s.ip,
                    port: s.port,
                    ..ex.clone()
                })
                .collect();
            return (all, None);
        }
    };
    let k = Kept {
        place,
        stream,
        buf: Vec::new(),
        connect: ex.connect,
        tls: ex.tls,
    };
    match on(k, net, specs, &wire, deadline, false).await {
        Ok(done) => done,
        Err(_) => unreachable!("a new connection is never given up on"),
    }
}

/// Each request on its own new connection, all at once (hyper's path).
async fn each_alone(net: &Net, specs: &[RequestSpec], deadline: &Deadline) -> Vec<Exchange> {
    futures_util::future::join_all(specs.iter().map(|s| exchange(net, s, deadline))).await
}

/// The requests of `specs`, serialized as hyper's client would send them, one after another;
/// `None` when one is not a valid request.
fn wire(specs: &[RequestSpec]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for s in specs {
        let _uri: hyper::Uri = s.path.parse().ok()?;
        hyper::header::HeaderValue::from_str(&s.host_header).ok()?;
        out.extend_from_slice(s.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(s.path.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in super::sent_headers(s) {
            hyper::header::HeaderName::from_bytes(name.as_bytes()).ok()?;
            hyper::header::HeaderValue::from_str(&value).ok()?;
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    Some(out)
}

/// The pipeline on an open connection. `Err(())` when `reused` and the connection turns out
/// closed before the first response began (the caller opens a new one).
async fn on(
    mut k: Kept,
    net: &Net,
    specs: &[RequestSpec],
    wire: &[u8],
    deadline: &Deadline,
    reused: bool,
) -> Result<(Vec<Exchange>, Option<Kept>), ()> {
    let (connect, tls) = (k.connect, k.tls.clone());
    let blank = |s: &RequestSpec, result| Exchange {
        ip: s.ip,
        port: s.port,
        connect,
        tls: tls.clone(),
        result,
    };
    let mut done: Vec<Exchange> = Vec::with_capacity(specs.len());
    let sent = Instant::now();
    // Each result read here is recorded for `--trace` (requests all sent at `sent`).
    let answered = |done: &mut Vec<Exchange>, s: &RequestSpec, ex: Exchange| {
        super::trace_exchange(net, s, sent, ex.result.as_ref());
        done.push(ex);
    };
    let allowed = deadline.step();
    if allowed.is_zero() {
        for s in specs {
            done.push(blank(s, Err(RequestFailure::Deadline)));
        }
        return Ok((done, None));
    }
    let write = async {
        k.stream.write_all(wire).await?;
        k.stream.flush().await
    };
    match tokio::time::timeout(allowed, write).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) if reused => return Err(()),
        // The server would not take the requests: each alone says why.
        Ok(Err(_)) => return Ok((each_alone(net, specs, deadline).await, None)),
        Err(_) => {
            let f = judged(RequestFailure::ResponseTimeout, allowed, deadline);
            for s in specs {
                answered(&mut done, s, blank(s, Err(f.clone())));
            }
            return Ok((done, None));
        }
    }
    for (i, s) in specs.iter().enumerate() {
        let allowed = deadline.step();
        let read = tokio::time::timeout(allowed, response(&mut k.stream, &mut k.buf, s, sent));
        match read.await {
            Err(_) => {
                // No answer: this request and those after it are not answered either.
                let f = judged(RequestFailure::ResponseTimeout, allowed, deadline);
                for s in &specs[i..] {
                    answered(&mut done, s, blank(s, Err(f.clone())));
                }
                return Ok((done, None));
            }
            Ok(Ok((resp, reusable))) => {
                answered(&mut done, s, blank(s, Ok(resp)));
                if !reusable {
                    done.extend(each_alone(net, &specs[i + 1..], deadline).await);
                    return Ok((done, None));
                }
            }
            Ok(Err(Failure {
                failure,
                before_any,
            })) => {
                if before_any && (i > 0 || reused) {
                    // The server closed a connection it had kept (or would not pipeline):
                    // the requests not answered go on connections of their own.
                    if i == 0 {
                        return Err(());
                    }
                    done.extend(each_alone(net, &specs[i..], deadline).await);
                } else {
                    answered(&mut done, s, blank(s, Err(RequestFailure::Http(failure))));
                    done.extend(each_alone(net, &specs[i + 1..], deadline).await);
                }
                return Ok((done, None));
            }
        }
    }
    Ok((done, Some(k)))
}

/// A response that could not be read: why, and whether the connection ended cleanly before
/// any byte of it (a kept connection the server closed).
#[derive(Debug)]
struct Failure {
    failure: HttpFailure,
    before_any: bool,
}

impl From<HttpFailure> for Failure {
    fn from(failure: HttpFailure) -> Failure {
        Failure {
            failure,
            before_any: false,
        }
    }
}

/// Reads more bytes into `buf`: how many (0 at the end of the stream).
async fn fill(stream: &mut Box<dyn Io>, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// Why the connection failed before a response head was read, as hyper says it.
fn head_io(e: &std::io::Error) -> HttpFailure {
    match e.kind() {
        ErrorKind::UnexpectedEof => HttpFailure::ClosedBeforeResponse,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => HttpFailure::Reset,
        _ => HttpFailure::Other(format!("error trying to connect: {e}")),
    }
}

/// Reads one response (head and body) from `stream`, `buf` holding what was read already:
/// the response and whether the connection can carry the next.
async fn response(
    stream: &mut Box<dyn Io>,
    buf: &mut Vec<u8>,
    spec: &RequestSpec,
    sent: Instant,
) -> Result<(HttpResponse, bool), Failure> {
    let (status, version, map, head_len) = loop {
        let (status, version, map, head_len) = head(stream, buf).await?;
        // Informational responses come before the answer (hyper skips them too).
        if (100..200).contains(&status) && status != 101 {
            buf.drain(..head_len);
            continue;
        }
        break (status, version, map, head_len);
    };
    buf.drain(..head_len);
    let framing = if status == 204 || status == 304 || status == 101 {
        Framing::Length(0)
    } else {
        framing_of(&map)?
    };
    let closing = version == 0
        || map.get_all(hyper::header::CONNECTION).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("close"))
        });
    let headers: Vec<(String, String)> = map
        .iter()
        .take(MAX_HEADERS)
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                crate::sanitize::clip(&String::from_utf8_lossy(v.as_bytes()), MAX_HEADER_LEN),
            )
        })
        .collect();
    let (body, truncated) = body(stream, buf, framing, spec.body_cap).await?;
    let reusable = !truncated && !closing && framing != Framing::UntilClose;
    Ok((
        HttpResponse {
            status,
            headers,
            body,
            truncated,
            duration: sent.elapsed(),
        },
        reusable,
    ))
}

type Head = (u16, u8, hyper::HeaderMap, usize);

/// Reads and parses a response head: status, HTTP minor version, headers, head length.
async fn head(stream: &mut Box<dyn Io>, buf: &mut Vec<u8>) -> Result<Head, Failure> {
    loop {
        if !buf.is_empty() {
            let mut slots = [httparse::EMPTY_HEADER; MAX_PARSED_HEADERS];
            let mut r = httparse::Response::new(&mut slots);
            match r.parse(buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = r.code.unwrap_or(0);
                    if !(100..=999).contains(&status) {
                        return Err(HttpFailure::BadStatus.into());
                    }
                    let mut map = hyper::HeaderMap::with_capacity(r.headers.len());
                    for h in r.headers.iter() {
                        let name = hyper::header::HeaderName::from_bytes(h.name.as_bytes())
                            .map_err(|_| HttpFailure::NotHttp)?;
                        let value = hyper::header::HeaderValue::from_bytes(h.value)
                            .map_err(|_| HttpFailure::NotHttp)?;
                        map.append(name, value);
                    }
                    return Ok((status, r.version.unwrap_or(1), map, len));
                }
                Ok(httparse::Status::Partial) => {
                    if buf.len() >= MAX_HEAD {
                        return Err(HttpFailure::HeadTooLarge { limit: MAX_HEAD }.into());
                    }
                }
                Err(httparse::Error::TooManyHeaders) => {
                    return Err(HttpFailure::HeadTooLarge { limit: MAX_HEAD }.into());
                }
                Err(httparse::Error::Status) => return Err(HttpFailure::BadStatus.into()),
                Err(_) => return Err(HttpFailure::NotHttp.into()),
            }
        }
        let was_empty = buf.is_empty();
        match fill(stream, buf).await {
            Ok(0) => {
                return Err(Failure {
                    failure: HttpFailure::ClosedBeforeResponse,
                    before_any: was_empty,
                });
            }
            Ok(_) => {}
            Err(e) => {
                let failure = head_io(&e);
                let before_any = was_empty
                    && matches!(
                        failure,
                        HttpFailure::ClosedBeforeResponse | HttpFailure::Reset
                    );
                return Err(Failure {
                    failure,
                    before_any,
                });
            }
        }
    }
}

/// How the body is delimited, as hyper reads it: chunked when the last transfer coding is,
/// else by a Content-Length (an invalid one, or several that differ, is no HTTP), else until
/// the connection closes.
fn framing_of(map: &hyper::HeaderMap) -> Result<Framing, HttpFailure> {
    let te: Vec<&hyper::header::HeaderValue> = map
        .get_all(hyper::header::TRANSFER_ENCODING)
        .iter()
        .collect();
    if let Some(last) = te.last() {
        let chunked = last
            .to_str()
            .ok()
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        return Ok(if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        });
    }
    let mut length: Option<u64> = None;
    for v in map.get_all(hyper::header::CONTENT_LENGTH) {
        for part in v.to_str().map_err(|_| HttpFailure::NotHttp)?.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(HttpFailure::NotHttp);
            }
            let n: u64 = part.parse().map_err(|_| HttpFailure::NotHttp)?;
            if length.is_some_and(|l| l != n) {
                return Err(HttpFailure::NotHttp);
            }
            length = Some(n);
        }
    }
    Ok(length.map_or(Framing::UntilClose, Framing::Length))
}

/// Why a body read failed on an I/O error, as the hyper path says it.
fn body_io(e: &std::io::Error, framing: Framing, received: usize) -> HttpFailure {
    body_failure(Some(e.kind()), framing, received as u64)
        .unwrap_or_else(|| HttpFailure::Other(format!("error reading a body from connection: {e}")))
}

/// The end of the stream in the middle of a body, as the hyper path says it.
fn cut(framing: Framing, received: usize) -> HttpFailure {
    body_io(
        &std::io::Error::from(ErrorKind::UnexpectedEof),
        framing,
        received,
    )
}

/// Reads a body, keeping at most `cap` bytes (`truncated` when there were more: then the
/// rest is not read and the connection cannot go on).
async fn body(
    stream: &mut Box<dyn Io>,
    buf: &mut Vec<u8>,
    framing: Framing,
    cap: usize,
) -> Result<(Vec<u8>, bool), HttpFailure> {
    let mut out: Vec<u8> = Vec::new();
    match framing {
        Framing::Length(n) => {
            let mut left = n;
            loop {
                let take = (buf.len() as u64).min(left) as usize;
                if keep(&mut out, &buf[..take], cap) {
                    return Ok((out, true));
                }
                buf.drain(..take);
                left -= take as u64;
                if left == 0 {
                    return Ok((out, false));
                }
                match fill(stream, buf).await {
                    Ok(0) => return Err(cut(framing, out.len())),
                    Ok(_) => {}
                    Err(e) => return Err(body_io(&e, framing, out.len())),
                }
            }
        }
        Framing::UntilClose => loop {
            let all = std::mem::take(buf);
            if keep(&mut out, &all, cap) {
                return Ok((out, true));
            }
            match fill(stream, buf).await {
                Ok(0) => return Ok((out, false)),
                Ok(_) => {}
                Err(e) => return Err(body_io(&e, framing, out.len())),
            }
        },
        Framing::Chunked => loop {
            // A chunk-size line: hex digits, optional extensions, CRLF.
            let size_line = match line(stream, buf).await {
                Ok(Some(l)) => l,
                Ok(None) => return Err(cut(framing, out.len())),
                Err(e) => return Err(body_io(&e, framing, out.len())),
            };
            let digits = size_line.split(|b| *b == b';').next().unwrap_or_default();
            let digits = std::str::from_utf8(digits).map_err(|_| HttpFailure::BadChunked)?;
            let digits = digits.trim_end_matches([' ', '\t']);
            if digits.is_empty() || digits.len() > 16 {
                return Err(HttpFailure::BadChunked);
            }
            let size = u64::from_str_radix(digits, 16).map_err(|_| HttpFailure::BadChunked)?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    match line(stream, buf).await {
                        Ok(Some(l)) if l.is_empty() => return Ok((out, false)),
                        Ok(Some(_)) => {}
                        Ok(None) => return Err(cut(framing, out.len())),
                        Err(e) => return Err(body_io(&e, framing, out.len())),
                    }
                }
            }
            let mut left = size;
            while left > 0 {
                if buf.is_empty() {
                    match fill(stream, buf).await {
                        Ok(0) => return Err(cut(framing, out.len())),
                        Ok(_) => {}
                        Err(e) => return Err(body_io(&e, framing, out.len())),
                    }
                }
                let take = (buf.len() as u64).min(left) as usize;
                if keep(&mut out, &buf[..take], cap) {
                    return Ok((out, true));
                }
                buf.drain(..take);
                left -= take as u64;
            }
            match line(stream, buf).await {
                Ok(Some(l)) if l.is_empty() => {}
                Ok(Some(_)) => return Err(HttpFailure::BadChunked),
                Ok(None) => return Err(cut(framing, out.len())),
                Err(e) => return Err(body_io(&e, framing, out.len())),
            }
        },
    }
}

/// Appends `data` to `out` up to `cap` bytes: true when it did not all fit (the body is cut).
fn keep(out: &mut Vec<u8>, data: &[u8], cap: usize) -> bool {
    let room = cap.saturating_sub(out.len());
    if data.len() > room {
        out.extend_from_slice(&data[..room]);
        return true;
    }
    out.extend_from_slice(data);
    false
}

/// Most bytes of a chunk-size or trailer line.
const MAX_LINE: usize = 8 * 1024;

/// Reads a CRLF-ended line (without its end) off `buf`, reading more as needed; `None` when
/// the stream ends first. A line too long, or a bare LF, is bad chunking.
async fn line(stream: &mut Box<dyn Io>, buf: &mut Vec<u8>) -> std::io::Result<Option<Vec<u8>>> {
    loop {
        if let Some(i) = buf.iter().position(|b| *b == b'\n') {
            if i == 0 || buf[i - 1] != b'\r' {
                return Err(std::io::Error::from(ErrorKind::InvalidData));
            }
            let l = buf[..i - 1].to_vec();
            buf.drain(..=i);
            return Ok(Some(l));
        }
        if buf.len() > MAX_LINE {
            return Err(std::io::Error::from(ErrorKind::InvalidData));
        }
        if fill(stream, buf).await? == 0 {
            return Ok(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A preflight goes on the wire as OPTIONS with its headers; a header value that would
    /// break the request is refused (then each request goes through hyper, which says why).
    #[test]
    fn the_wire_carries_method_and_headers() {
        let mut s = spec(10);
        s.method = super::super::Method::Options;
        s.headers = vec![("origin", "https://a.example".into())];
        let w = String::from_utf8(wire(&[s.clone()]).unwrap()).unwrap();
        assert!(
            w.starts_with("OPTIONS /_matrix/federation/v1/version HTTP/1.1\r\n"),
            "{w}"
        );
        assert!(w.contains("\r\norigin: https://a.example\r\n"), "{w}");
        s.headers = vec![("origin", "x\r\nevil: 1".into())];
        assert!(wire(&[s]).is_none());
    }

    fn spec(cap: usize) -> RequestSpec {
        RequestSpec {
            dial_host: None,
            ip: "127.0.0.1".parse().unwrap(),
            port: 8448,
            tls_name: "example.test".into(),
            host_header: "example.test".into(),
            path: "/_matrix/federation/v1/version".into(),
            body_cap: cap,
            plain_http: true,
            method: Default::default(),
            headers: Vec::new(),
        }
    }

    /// A server that answers anything with `raw` and closes.
    fn serving(raw: &[u8]) -> tokio::io::DuplexStream {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let raw = raw.to_vec();
        tokio::spawn(async move {
            let mut b = [0u8; 4096];
            let _ = server.read(&mut b).await;
            let _ = server.write_all(&raw).await;
            let _ = server.shutdown().await;
        });
        client
    }

    /// What hyper's path and the pipeline's reader make of one response: the same.
    type Read = Result<(u16, Vec<u8>, bool), HttpFailure>;

    async fn both(raw: &[u8], cap: usize) -> Read {
        let s = spec(cap);
        let hyper = super::super::first_request(serving(raw), &s, Duration::from_secs(5))
            .await
            .map(|(r, _)| (r.status, r.body, r.truncated))
            .map_err(|f| f.failure);
        let mut stream: Box<dyn Io> = Box::new(serving(raw));
        stream
            .write_all(&wire(std::slice::from_ref(&s)).unwrap())
            .await
            .unwrap();
        let mut buf = Vec::new();
        let ours = response(&mut stream, &mut buf, &s, Instant::now())
            .await
            .map(|(r, _)| (r.status, r.body, r.truncated))
            .map_err(|f| RequestFailure::Http(f.failure));
        assert_eq!(hyper, ours, "{}", String::from_utf8_lossy(raw));
        ours.map_err(|f| match f {
            RequestFailure::Http(h) => h,
            other => panic!("{other:?}"),
        })
    }

    #[tokio::test]
    async fn reads_every_response_as_hyper_does() {
        let ok = |body: &[u8], truncated| Ok((200, body.to_vec(), truncated));
        let cases: Vec<(&[u8], usize, Read)> = vec![
            (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 100, ok(b"{}", false)),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 3, ok(b"hel", true)),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
                100,
                ok(b"{}abc", false),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                2,
                ok(b"he", true),
            ),
            (b"HTTP/1.1 200 OK\r\n\r\nuntil close", 100, ok(b"until close", false)),
            (b"HTTP/1.1 204 No Content\r\n\r\n", 100, Ok((204, vec![], false))),
            (
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
                100,
                ok(b"x", false),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                100,
                Err(HttpFailure::BodyShort {
                    expected: 10,
                    received: 5,
                }),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
                100,
                Err(HttpFailure::ChunkedCut { received: 3 }),
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
                100,
                Err(HttpFailure::BadChunked),
            ),
            (b"", 100, Err(HttpFailure::ClosedBeforeResponse)),
            (b"HTTP/1.1 200 OK\r\nContent-", 100, Err(HttpFailure::ClosedBeforeResponse)),
            (b"HTTP/1.1 2x0 OK\r\n\r\n", 100, Err(HttpFailure::BadStatus)),
            (b"\x00\x1b[2J\xff\xfegarbage\r\n\r\n", 100, Err(HttpFailure::NotHttp)),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                100,
                Err(HttpFailure::NotHttp),
            ),
        ];
        for (raw, cap, want) in cases {
            assert_eq!(
                both(raw, cap).await,
                want,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        let mut big = b"HTTP/1.1 200 OK\r\n".to_vec();
        while big.len() < MAX_HEAD + 10 {
            big.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(
            both(&big, 100).await,
            Err(HttpFailure::HeadTooLarge { limit: MAX_HEAD })
        );
    }

    #[tokio::test]
    async fn pipelined_responses_are_read_in_order_off_one_buffer() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc";
        let mut stream: Box<dyn Io> = Box::new(serving(raw));
        let mut buf = Vec::new();
        let s = spec(100);
        stream
            .write_all(&wire(std::slice::from_ref(&s)).unwrap())
            .await
            .unwrap();
        for (status, body, reusable) in [(200, b"a", true), (404, b"b", true), (200, b"c", true)] {
            let (r, re) = response(&mut stream, &mut buf, &s, Instant::now())
                .await
                .unwrap();
            assert_eq!((r.status, &r.body[..], re), (status, &body[..], reusable));
        }
        let end = response(&mut stream, &mut buf, &s, Instant::now()).await;
        assert!(matches!(
            end,
            Err(Failure {
                failure: HttpFailure::ClosedBeforeResponse,
                before_any: true
            })
        ));
    }
}
