//! Which web server answered: read from what it said, never guessed. The `Server` header
//! (nginx, Caddy, Apache and Synapse name themselves there), then the shape of the error
//! pages of those that do not (HAProxy's and Traefik's built-in pages).

use crate::discovery::Observations;
use crate::obs::{Exchange, HttpResponse, TargetObs};

use super::{Stack, WebServer};

/// Where a remedy applies: the well-known host (the server name on 443), or a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum At {
    /// `https://HOST/` (the server name's website).
    WellKnown(String),
    /// A target, `ip:port`.
    Target(String),
    /// The DNS zone or the homeserver: no web server involved.
    Elsewhere,
}

/// What the `Server` header names, if it is a stack delegcheck writes fixes for.
fn from_server_header(value: &str) -> Option<Stack> {
    let v = value.trim().to_ascii_lowercase();
    let product = v.split(['/', ' ']).next().unwrap_or("");
    match product {
        // OpenResty and Tengine are nginx, with nginx's configuration language.
        "nginx" | "openresty" | "tengine" => Some(Stack::Nginx),
        "caddy" => Some(Stack::Caddy),
        "apache" => Some(Stack::Apache),
        "synapse" => Some(Stack::Synapse),
        _ => None,
    }
}

/// What the body of an error page says about who wrote it.
fn from_error_page(r: &HttpResponse) -> Option<(Stack, &'static str)> {
    if r.status < 400 {
        return None;
    }
    let body = String::from_utf8_lossy(&r.body[..r.body.len().min(2048)]).to_ascii_lowercase();
    if body.contains("<center>nginx") {
        return Some((Stack::Nginx, "nginx's error page"));
    }
    if body.contains("<address>apache") {
        return Some((Stack::Apache, "Apache's error page"));
    }
    // HAProxy's built-in 503 (no backend server) and 403/400 pages.
    if body.contains("no server is available to handle this request")
        || body.contains("your browser sent an invalid request")
    {
        return Some((Stack::Haproxy, "HAProxy's built-in error page"));
    }
    // Synapse's own 404 for a well-known it does not serve (`synapse/rest/well_known.py`).
    if body.contains("is anything ever truly *well* known?") {
        return Some((Stack::Synapse, "Synapse's well-known 404 page"));
    }
    // Traefik answers an unrouted request with Go's `404 page not found`, as text/plain.
    if r.status == 404 && body.trim_end() == "404 page not found" {
        return Some((Stack::Traefik, "Traefik's `404 page not found`"));
    }
    None
}

/// What one response says, with its evidence in words (`Server: nginx/1.22.1`).
pub fn identify(r: &HttpResponse) -> Option<(Stack, String)> {
    if let Some((stack, value)) = r
        .headers
        .iter()
        .filter(|(n, _)| n == "server")
        .find_map(|(_, v)| from_server_header(v).map(|s| (s, v)))
    {
        let value = crate::sanitize::escape(&clip(value));
        return Some((stack, format!("Server: {value}")));
    }
    from_error_page(r).map(|(s, why)| (s, why.to_owned()))
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

/// The first identification among responses, preferring a proxy over the homeserver
/// behind it (a proxy that passes the homeserver's own `Server` header on still answers
/// its error pages itself).
fn first_identified<'a>(
    responses: impl Iterator<Item = &'a HttpResponse>,
) -> Option<(Stack, String)> {
    let found: Vec<(Stack, String)> = responses.filter_map(identify).collect();
    found
        .iter()
        .find(|(s, _)| *s != Stack::Synapse)
        .or(found.first())
        .cloned()
}

fn responses(e: &Exchange) -> Option<&HttpResponse> {
    e.result.as_ref().ok()
}

/// Every host and port that answered HTTP, and what it is.
pub fn web_servers(obs: &Observations, targets: &[TargetObs]) -> Vec<WebServer> {
    let mut out = Vec::new();
    let mut hosts: Vec<&String> = obs.well_known.keys().collect();
    hosts.sort();
    for host in hosts {
        for f in &obs.well_known[host].fetches {
            let Some(r) = responses(&f.last) else {
                continue;
            };
            let address = std::net::SocketAddr::new(f.last.ip, f.last.port).to_string();
            push(
                &mut out,
                host,
                address,
                first_identified(std::iter::once(r)),
            );
        }
    }
    for t in targets {
        let all = [Some(&t.routing), Some(&t.version), Some(&t.keys)]
            .into_iter()
            .chain([t.host_port.as_ref(), t.routing_by_hostname.as_ref()])
            .flatten()
            .filter_map(responses);
        if [&t.routing, &t.version, &t.keys]
            .iter()
            .all(|e| e.result.is_err())
        {
            continue;
        }
        let host = super::host_only(&t.target.host_header);
        push(&mut out, &host, t.target.address(), first_identified(all));
    }
    out
}

fn push(out: &mut Vec<WebServer>, host: &str, address: String, found: Option<(Stack, String)>) {
    if out.iter().any(|w| w.address == address && w.host == host) {
        return;
    }
    let (stack, evidence) = match found {
        Some((s, e)) => (Some(s), e),
        None => (None, "no Server header or known error page".to_owned()),
    };
    out.push(WebServer {
        host: host.to_owned(),
        address,
        stack,
        evidence,
    });
}

/// The stack that answered where a remedy applies.
pub fn stack_at(servers: &[WebServer], at: &At) -> Option<Stack> {
    let hit = |w: &&WebServer| match at {
        At::WellKnown(host) => &w.host == host && w.address.ends_with(":443"),
        At::Target(addr) => &w.address == addr,
        At::Elsewhere => false,
    };
    servers.iter().filter(hit).find_map(|w| w.stack)
}

/// The first web server (not the homeserver) identified anywhere in the run.
pub fn any_proxy(servers: &[WebServer]) -> Option<Stack> {
    servers
        .iter()
        .filter_map(|w| w.stack)
        .find(|s| *s != Stack::Synapse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn the_server_header_names_the_stack() {
        for (header, stack) in [
            ("nginx/1.22.1", Stack::Nginx),
            ("nginx", Stack::Nginx),
            ("openresty/1.21.4.1", Stack::Nginx),
            ("Caddy", Stack::Caddy),
            ("Apache/2.4.57 (Debian)", Stack::Apache),
            ("Synapse/1.120.0", Stack::Synapse),
        ] {
            let (s, evidence) = identify(&resp(200, &[("server", header)], "")).unwrap();
            assert_eq!(s, stack, "{header}");
            assert_eq!(evidence, format!("Server: {header}"));
        }
        assert_eq!(identify(&resp(200, &[("server", "gws")], "")), None);
        assert_eq!(identify(&resp(200, &[], "")), None);
    }

    #[test]
    fn error_pages_name_the_stacks_that_send_no_header() {
        let haproxy = "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";
        assert_eq!(
            identify(&resp(503, &[], haproxy)).unwrap().0,
            Stack::Haproxy
        );
        let synapse = "404. Is anything ever truly *well* known?\n";
        assert_eq!(
            identify(&resp(404, &[], synapse)).unwrap().0,
            Stack::Synapse
        );
        let traefik = identify(&resp(404, &[], "404 page not found\n")).unwrap();
        assert_eq!(traefik.0, Stack::Traefik);
        let nginx = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        assert_eq!(identify(&resp(404, &[], nginx)).unwrap().0, Stack::Nginx);
        // A page that merely mentions a product is not evidence, nor is a 200.
        assert_eq!(identify(&resp(200, &[], "404 page not found")), None);
        assert_eq!(identify(&resp(404, &[], "we love nginx")), None);
    }

    #[test]
    fn header_text_is_terminal_safe() {
        let (_, evidence) = identify(&resp(200, &[("server", "nginx/1.2\u{1b}[31m")], "")).unwrap();
        assert!(!evidence.contains('\u{1b}'), "{evidence:?}");
    }

    #[test]
    fn a_proxy_wins_over_the_homeserver_behind_it() {
        let a = resp(200, &[("server", "Synapse/1.1")], "");
        let b = resp(404, &[("server", "Caddy")], "");
        assert_eq!(
            first_identified([&a, &b].into_iter()).unwrap().0,
            Stack::Caddy
        );
        assert_eq!(
            first_identified([&a].into_iter()).unwrap().0,
            Stack::Synapse
        );
    }
}
