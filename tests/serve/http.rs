//! A minimal HTTP/1.1 client for the tests: one request per connection, from a chosen
//! loopback source address when a test plays several clients.

use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A response: status, headers (names lower-case), body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, "").await
}

pub async fn get_from(addr: SocketAddr, from: IpAddr, path: &str) -> Response {
    send(addr, Some(from), "GET", path, "").await
}

pub async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Response {
    send(addr, None, method, path, body).await
}

async fn send(
    addr: SocketAddr,
    from: Option<IpAddr>,
    method: &str,
    path: &str,
    body: &str,
) -> Response {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    if let Some(ip) = from {
        socket.bind(SocketAddr::new(ip, 0)).unwrap();
    }
    let mut s = socket.connect(addr).await.expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    parse(&raw)
}

fn parse(raw: &[u8]) -> Response {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut r = httparse::Response::new(&mut headers);
    let at = match r.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!(
            "not an HTTP response ({other:?}): {:?}",
            String::from_utf8_lossy(raw)
        ),
    };
    let headers: Vec<(String, String)> = r
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let body = String::from_utf8(raw[at..].to_vec()).expect("UTF-8 body");
    let status = r.code.unwrap();
    if let Some((_, len)) = headers.iter().find(|(n, _)| n == "content-length") {
        assert_eq!(len.parse::<usize>().unwrap(), body.len(), "the whole body");
    }
    Response {
        status,
        headers,
        body,
    }
}
