//! Follow-up decisions: after the planner has resolved, what else is worth probing. Pure
//! functions over observations; the driver (`engine`, `net::targets`, `net::http`) only
//! executes what they decide.

use std::net::IpAddr;

use crate::discovery::well_known::WellKnownError;
use crate::discovery::{Observations, Resolution, WellKnownState, evaluate_fetch};
use crate::implementations::{self, CONDUWUIT, SYNAPSE};
use crate::obs::{
    CertVerdict, ConnectFailure, Exchange, Fetch, HttpResponse, RedirectStop, RequestFailure,
    TargetObs,
};
use crate::report::{SpecStep, Target};
use crate::server_name::{Host, ServerName};

/// The decisive well-known fetch of the server name, when there is one.
pub fn decisive_well_known<'a>(
    name: &ServerName,
    obs: &'a Observations,
    res: &Resolution,
) -> Option<&'a Fetch> {
    let index = match &res.well_known {
        WellKnownState::Valid { index, .. }
        | WellKnownState::Invalid { index, .. }
        | WellKnownState::Failed { index } => *index,
        _ => return None,
    };
    match &name.host {
        Host::Dns(h) => obs.well_known.get(h).and_then(|w| w.fetches.get(index)),
        _ => None,
    }
}

/// A valid well-known that some implementations cannot use (more redirects than their limit,
/// a body over the conduwuit family's limit, duplicate keys that continuwuity rejects): they
/// resolve the server name without it, a path worth checking too.
pub fn server_name_path_needed(name: &ServerName, obs: &Observations, res: &Resolution) -> bool {
    if !matches!(res.well_known, WellKnownState::Valid { .. }) {
        return false;
    }
    let Some(f) = decisive_well_known(name, obs, res) else {
        return false;
    };
    let big = f
        .last
        .result
        .as_ref()
        .is_ok_and(|r| r.body.len() >= CONDUWUIT.well_known_body_limit);
    f.hops.len() > implementations::fewest_redirects()
        || big
        || matches!(evaluate_fetch(f), Err(Some(WellKnownError::Duplicate(_))))
}

/// When every target of step 3.5 or 6 (port 8448 by default) fails at TCP, port 443 of the
/// same addresses is worth asking: the usual reverse-proxy setup with the port left off.
/// Only after a quick failure (8448 refused, as when nothing listens there): after a timeout,
/// one more round could outlast the deadline.
pub fn port_443_needed(res: &Resolution, obs: &[TargetObs]) -> bool {
    let default_port_step = matches!(
        res.step,
        Some(SpecStep::WellKnownDefaultPort | SpecStep::DefaultPort)
    );
    let none_connected = obs.iter().all(|o| {
        [&o.version, &o.keys, &o.routing]
            .iter()
            .all(|e| e.connect.is_none())
    });
    let refused = obs.iter().any(|o| {
        matches!(
            o.routing.result,
            Err(RequestFailure::Connect(ConnectFailure::Refused))
        )
    });
    default_port_step && !obs.is_empty() && none_connected && refused
}

/// The `errcode` of a Matrix JSON error body, if it is one.
pub fn matrix_error(r: &HttpResponse) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(&r.body).ok()?;
    v.get("errcode")?.as_str().map(str::to_owned)
}

/// Whether a federation request came back from a homeserver: a 4xx Matrix error.
pub fn homeserver_answered(r: &Result<HttpResponse, RequestFailure>) -> bool {
    r.as_ref()
        .is_ok_and(|r| (400..500).contains(&r.status) && matrix_error(r).is_some())
}

/// When something answered the unauthenticated request, but not the homeserver: the `Host`
/// to retry it with (the name the target was resolved from), to tell a proxy that routes on
/// another name from one that does not route `/_matrix` at all. A connection or TLS failure
/// is judged without it, and must not cost a second timeout.
pub fn routing_retry_host(t: &Target, routing: &Exchange) -> Option<String> {
    let answered_wrong = routing.result.is_ok() && !homeserver_answered(&routing.result);
    (t.hostname != t.host_header && answered_wrong).then(|| t.hostname.clone())
}

/// The Host header conduwuit-family servers send: with the port unless it is 443.
pub fn conduwuit_host(t: &Target) -> Option<String> {
    if !CONDUWUIT.host_header_with_port {
        return None;
    }
    let has_port = match t.host_header.strip_prefix('[') {
        Some(rest) => rest.contains("]:"),
        None => t.host_header.contains(':'),
    };
    (t.port != 443 && !has_port).then(|| format!("{}:{}", t.host_header, t.port))
}

/// What to do after one response of a redirect chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextHop {
    /// The chain ends here: a final response, or a stop.
    Done(Option<RedirectStop>),
    /// Follow to this URL. `insecure` is set for a plain `http://` hop on the same host
    /// (homeservers follow it; so do we, to see what they see, and flag it).
    Follow { next: url::Url, insecure: bool },
}

/// Whether a status is a redirect a homeserver's HTTP client follows.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The redirect policy for the well-known: what homeservers follow, no further. `seen` holds
/// the URLs requested so far, `hops` the redirects followed before this response.
pub fn next_hop(
    current: &url::Url,
    resp: &HttpResponse,
    verdict: Option<&CertVerdict>,
    seen: &[String],
    hops: usize,
) -> (NextHop, Option<String>) {
    // A homeserver's client rejects a bad certificate at this hop and never sees the
    // redirect: stop here too (the verdict is in the exchange).
    let bad_cert = !matches!(verdict, Some(CertVerdict::Valid) | None);
    if !is_redirect(resp.status) || bad_cert {
        return (NextHop::Done(None), None);
    }
    let location = resp.header("location").and_then(|l| current.join(l).ok());
    let shown = location.as_ref().map(|u| u.to_string());
    let Some(next) = location else {
        return (NextHop::Done(Some(RedirectStop::NoLocation)), shown);
    };
    let insecure = match next.scheme() {
        "https" => false,
        // Homeservers follow a redirect to plain HTTP (Synapse through Twisted, Go's and
        // reqwest's defaults). We follow it only to the same host (the usual https → http
        // downgrade of a site), which is no wider than what we were asked to check; to
        // another host it could point anywhere (a cloud metadata endpoint…), so we stop.
        "http" if next.host_str() == current.host_str() => true,
        "http" => {
            return (
                NextHop::Done(Some(RedirectStop::Insecure(next.to_string()))),
                shown,
            );
        }
        _ => {
            return (
                NextHop::Done(Some(RedirectStop::Unsupported(next.to_string()))),
                shown,
            );
        }
    };
    if seen.contains(&next.to_string()) {
        return (NextHop::Done(Some(RedirectStop::Loop)), shown);
    }
    // The hop just recorded counts: past Synapse's limit, the chain has failed for everyone.
    if hops + 1 > SYNAPSE.well_known_max_redirects {
        return (NextHop::Done(Some(RedirectStop::TooMany)), shown);
    }
    (NextHop::Follow { next, insecure }, shown)
}

/// A public well-known that redirects into a private network is not followed (no peer outside
/// that network could either); a private deployment may redirect within itself. Link-local,
/// unspecified and multicast addresses are never followed, and with `--public-only` nothing
/// but public addresses is.
pub fn redirect_address_refused(first: IpAddr, next: IpAddr, public_only: bool) -> bool {
    crate::ip_class::never_dialled(next)
        // Under --public-only the first address was public (the dialer refuses the rest),
        // except in the lab, which plays public hosts on loopback.
        || (public_only && !crate::ip_class::is_public(next) && !crate::ip_class::is_internal(first))
        || (crate::ip_class::is_internal(next) && !crate::ip_class::is_internal(first))
}
