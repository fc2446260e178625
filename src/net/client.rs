//! The client-discovery driver: runs the requests `discovery::client` asks for (each as a
//! web client sends it, with an `Origin`; the preflight as `OPTIONS`), re-planning as each
//! one finishes, all under the check's one deadline. It decides nothing.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::http::{self, Method};
use super::{Deadline, Net};
use crate::discovery::client::{self, ClientObs, ClientProbe, ClientRequest};
use crate::obs::{DnsStatus, Exchange, Fetch, RequestFailure};

/// Runs client discovery for the server name's URL host (`example.org`, `[2001:db8::1]`).
pub async fn discover(net: &Net, host_for_url: &str, deadline: Deadline) -> ClientObs {
    let mut obs = ClientObs::default();
    let mut started: Vec<ClientRequest> = Vec::new();
    let mut inflight = FuturesUnordered::new();
    loop {
        for p in client::next_probes(host_for_url, &obs) {
            if !started.contains(&p.request) {
                started.push(p.request);
                inflight.push(async move { (p.request, run(net, &p, &deadline).await) });
            }
        }
        let Some((request, fetch)) = inflight.next().await else {
            return obs;
        };
        obs.fetches.insert(request, fetch);
    }
}

/// One request: the host's address (an IP literal, `--connect-to`, or DNS), then the fetch
/// (redirects followed) or the preflight (never redirected).
async fn run(net: &Net, p: &ClientProbe, deadline: &Deadline) -> Fetch {
    let start = Instant::now();
    let Ok(url) = url::Url::parse(&p.url) else {
        return failed(&p.url, RequestFailure::Dns(DnsStatus::NxDomain), start);
    };
    let ip = match address(net, &url, deadline).await {
        Ok(ip) => ip,
        Err(e) => return failed(&p.url, e, start),
    };
    if p.request.is_preflight() {
        let mut spec = http::hop_request(&url, ip, client::BODY_CAP);
        spec.method = Method::Options;
        spec.headers = client::preflight_headers();
        let last = http::exchange(net, &spec, deadline).await;
        return Fetch {
            ip,
            hops: vec![],
            last,
            stop: None,
            insecure: None,
            url: p.url.clone(),
            duration: start.elapsed(),
        };
    }
    let origin = [("origin", client::ORIGIN.to_owned())];
    let mut f = http::fetch_with(net, &url, ip, client::BODY_CAP, deadline, &origin).await;
    f.duration = start.elapsed();
    f
}

/// The first address of the URL's host a peer of the allowed family would use.
async fn address(net: &Net, url: &url::Url, deadline: &Deadline) -> Result<IpAddr, RequestFailure> {
    let host = url
        .host_str()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    if let Some(sa) = net
        .dialer
        .by_name(host, url.port_or_known_default().unwrap_or(443))
    {
        return Ok(sa.ip());
    }
    let allowed = deadline.step();
    let ans = net.dns.addrs(host, allowed).await;
    let addrs = ans.addrs();
    if let Some(ip) = addrs.iter().find(|ip| net.config.families.allows(**ip)) {
        return Ok(*ip);
    }
    if let Some(ip) = addrs.first() {
        // Addresses, but none of the allowed family: the dialer says so.
        return Ok(*ip);
    }
    if ans.absence() == DnsStatus::Timeout && deadline.clamped(allowed) {
        return Err(RequestFailure::Deadline);
    }
    Err(RequestFailure::Dns(ans.absence()))
}

fn failed(url: &str, e: RequestFailure, start: Instant) -> Fetch {
    let ip = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    Fetch {
        ip,
        hops: vec![],
        last: Exchange {
            ip,
            port: 443,
            connect: None,
            tls: None,
            result: Err(e),
        },
        stop: None,
        insecure: None,
        url: url.to_owned(),
        duration: start.elapsed(),
    }
}
