//! The client-discovery driver: runs the requests `discovery::client` asks for (each as a
//! web client sends it, with an `Origin`; the preflight as `OPTIONS`), re-planning as each
//! one finishes, all under the check's one deadline. It decides nothing.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

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
        let new: Vec<ClientProbe> = client::next_probes(host_for_url, &obs)
            .into_iter()
            .filter(|p| !started.contains(&p.request))
            .collect();
        started.extend(new.iter().map(|p| p.request));
        // The requests to the homeserver's base URL share one connection, pipelined: one
        // handshake, and `/versions` answered in the same round trip as alone.
        let (api, alone): (Vec<_>, Vec<_>) = new.into_iter().partition(|p| p.request.to_base_url());
        for p in alone {
            inflight.push(run_all(net, vec![p], deadline));
        }
        if !api.is_empty() {
            inflight.push(run_all(net, api, deadline));
        }
        let Some(done) = inflight.next().await else {
            return obs;
        };
        obs.fetches.extend(done);
    }
}

/// Runs `probes` (one, or several to the same origin): one alone as [`run`] does, several
/// pipelined on one connection; a `GET` answered with a redirect is then fetched on its own,
/// following it.
async fn run_all(
    net: &Net,
    probes: Vec<ClientProbe>,
    deadline: Deadline,
) -> Vec<(ClientRequest, Fetch)> {
    let start = Instant::now();
    let urls: Vec<url::Url> = probes
        .iter()
        .filter_map(|p| url::Url::parse(&p.url).ok())
        .collect();
    if probes.len() == 1 || urls.len() != probes.len() {
        let mut out = Vec::new();
        for p in &probes {
            out.push((p.request, run(net, p, &deadline).await));
        }
        return out;
    }
    let ip = match address(net, &urls[0], &deadline).await {
        Ok(ip) => ip,
        Err(e) => {
            let failed = |p: &ClientProbe| (p.request, failed(&p.url, e.clone(), start));
            return probes.iter().map(failed).collect();
        }
    };
    let specs: Vec<_> = probes
        .iter()
        .zip(&urls)
        .map(|(p, u)| spec(p, u, ip))
        .collect();
    let (exchanges, _) = http::pipeline(net, &specs, &deadline, None).await;
    let mut out = Vec::new();
    for (p, last) in probes.iter().zip(exchanges) {
        let redirected = last
            .result
            .as_ref()
            .is_ok_and(|r| crate::discovery::followup::is_redirect(r.status));
        if redirected && !p.request.is_preflight() {
            out.push((p.request, run(net, p, &deadline).await));
            continue;
        }
        // Its own time: the lookup and the connection, then its response.
        let own = last.result.as_ref().map_or(Duration::ZERO, |r| r.duration);
        let setup = last.connect.unwrap_or_default()
            + last.tls.as_ref().map_or(Duration::ZERO, |t| t.duration);
        out.push((
            p.request,
            Fetch {
                ip,
                hops: vec![],
                last,
                stop: None,
                insecure: None,
                url: p.url.clone(),
                duration: setup + own,
            },
        ));
    }
    out
}

/// The request for a probe: a `GET` with the page's `Origin`, or the preflight.
fn spec(p: &ClientProbe, url: &url::Url, ip: IpAddr) -> http::RequestSpec {
    let mut spec = http::hop_request(url, ip, client::BODY_CAP);
    if p.request.is_preflight() {
        spec.method = Method::Options;
        spec.headers = client::preflight_headers();
    } else {
        spec.headers = vec![("origin", client::ORIGIN.to_owned())];
    }
    spec
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
        let last = http::exchange(net, &spec(p, &url, ip), deadline).await;
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
    let ans = net.addrs(host, allowed).await;
    // Never an address no client could use (the dialer would refuse it anyway).
    let addrs: Vec<IpAddr> = ans
        .addrs()
        .into_iter()
        .filter(|ip| !crate::ip_class::never_dialled(*ip))
        .collect();
    if let Some(ip) = addrs.iter().find(|ip| net.config.families.allows(**ip)) {
        return Ok(*ip);
    }
    if let Some(ip) = addrs.first().or(ans.addrs().first()) {
        // Addresses, but none of the allowed family (or none any client could use): the
        // dialer says so.
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
