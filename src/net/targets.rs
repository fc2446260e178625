//! Target probes: at every target the requests a homeserver's peers would make (version,
//! keys, an unauthenticated federation request, the conduwuit-family `Host`), each on its
//! own connection, all targets at once. Observations only; `checks::target` judges them.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Semaphore;

use super::http::{self, RequestSpec};
use super::obs::{ConnectFailure, Exchange, HttpResponse, RequestFailure};
use super::{Deadline, Net};
use crate::discovery::Resolution;
use crate::report::Target;

/// `GET` path of the version endpoint.
pub const VERSION_PATH: &str = "/_matrix/federation/v1/version";
/// `GET` path of the key endpoint.
pub const KEYS_PATH: &str = "/_matrix/key/v2/server";
/// An unauthenticated federation request (with encoded characters, which path-rewriting
/// proxies mangle); a homeserver answers 401 `M_UNAUTHORIZED`.
pub const ROUTING_PATH: &str =
    "/_matrix/federation/v1/query/profile?user_id=%40delegcheck%3Aexample.org&field=displayname";
/// Most targets probed at once within one server name: all of them (at most
/// [`crate::discovery::MAX_TARGETS`]), so that black-holed targets cost one timeout, not one
/// per wave.
pub const TARGET_CONCURRENCY: usize = crate::discovery::MAX_TARGETS;

/// What was seen at one target.
#[derive(Debug, Clone)]
pub struct TargetObs {
    /// The target.
    pub target: Target,
    /// `/version`.
    pub version: Exchange,
    /// `/key/v2/server`.
    pub keys: Exchange,
    /// The unauthenticated request.
    pub routing: Exchange,
    /// The same with `Host: name:port` (only where conduwuit-family peers send that).
    pub host_port: Option<Exchange>,
    /// When routing fails with the spec's Host: the same request with `Host: <hostname>`
    /// (the name the target was resolved from, without port), to tell a proxy that routes
    /// on another name from one that does not route `/_matrix` at all.
    pub routing_by_hostname: Option<Exchange>,
}

/// The Host header conduwuit-family servers send: with the port unless it is 443.
pub fn conduwuit_host(t: &Target) -> Option<String> {
    let has_port = match t.host_header.strip_prefix('[') {
        Some(rest) => rest.contains("]:"),
        None => t.host_header.contains(':'),
    };
    (t.port != 443 && !has_port).then(|| format!("{}:{}", t.host_header, t.port))
}

/// Probes every target, concurrently (at most [`TARGET_CONCURRENCY`] at once); at each
/// target the requests run in parallel on their own connections.
pub async fn probe_all(net: &Net, targets: &[Target], deadline: Deadline) -> Vec<TargetObs> {
    // All at once: the lists are bounded (MAX_TARGETS each for targets and fallbacks).
    let sem = Arc::new(Semaphore::new(targets.len().max(1)));
    let futs = targets.iter().map(|t| {
        let sem = sem.clone();
        async move {
            let _permit = sem.acquire().await;
            probe(net, t, deadline).await
        }
    });
    futures_util::future::join_all(futs).await
}

async fn probe(net: &Net, t: &Target, deadline: Deadline) -> TargetObs {
    let spec = |path: &str, host: &str, cap: usize| RequestSpec {
        dial_host: Some(t.hostname.clone()),
        ip: t.ip,
        port: t.port,
        tls_name: t.tls_server_name.clone(),
        host_header: host.to_owned(),
        path: path.to_owned(),
        body_cap: cap,
        plain_http: false,
    };
    let hp = conduwuit_host(t);
    let (v, k, r) = (
        spec(VERSION_PATH, &t.host_header, 16 * 1024),
        spec(KEYS_PATH, &t.host_header, 256 * 1024),
        spec(ROUTING_PATH, &t.host_header, 16 * 1024),
    );
    let h = hp.as_ref().map(|h| spec(ROUTING_PATH, h, 16 * 1024));
    let (version, keys, routing, host_port) = tokio::join!(
        http::exchange(net, &v, &deadline),
        http::exchange(net, &k, &deadline),
        http::exchange(net, &r, &deadline),
        async {
            match &h {
                Some(h) => Some(http::exchange(net, h, &deadline).await),
                None => None,
            }
        }
    );
    // Only when something answered, but not the homeserver: one more quick round trip on a
    // server that responds (a connection or TLS failure is judged without it, and must not
    // cost a second timeout).
    let answered_wrong = routing.result.is_ok() && !homeserver_answered(&routing.result);
    let alt = (t.hostname != t.host_header && answered_wrong)
        .then(|| spec(ROUTING_PATH, &t.hostname, 16 * 1024));
    let routing_by_hostname = match &alt {
        Some(a) => Some(http::exchange(net, a, &deadline).await),
        None => None,
    };
    TargetObs {
        target: t.clone(),
        version,
        keys,
        routing,
        host_port,
        routing_by_hostname,
    }
}

/// The `errcode` of a Matrix JSON error body, if it is one.
pub fn matrix_error(r: &HttpResponse) -> Option<String> {
    let v: Value = serde_json::from_slice(&r.body).ok()?;
    v.get("errcode")?.as_str().map(str::to_owned)
}

/// Whether a federation request came back from a homeserver: a 4xx Matrix error.
pub fn homeserver_answered(r: &Result<HttpResponse, RequestFailure>) -> bool {
    r.as_ref()
        .is_ok_and(|r| (400..500).contains(&r.status) && matrix_error(r).is_some())
}

/// When every target of step 3.5 or 6 (port 8448 by default) fails at TCP, asks port 443 of
/// the same addresses for the version endpoint, with the same names: the usual reverse-proxy
/// setup with the port left off. Costs nothing when the targets answer.
pub async fn probe_port_443(
    net: &Net,
    res: &Resolution,
    obs: &[TargetObs],
    deadline: Deadline,
) -> Vec<Exchange> {
    let default_port_step = matches!(res.step, Some("3.5") | Some("6"));
    let none_connected = obs.iter().all(|o| {
        [&o.version, &o.keys, &o.routing]
            .iter()
            .all(|e| e.connect.is_none())
    });
    // Only after a quick failure (8448 refused, as when nothing listens there): after a
    // timeout, one more round could outlast the deadline.
    let refused = obs.iter().any(|o| {
        matches!(
            o.routing.result,
            Err(RequestFailure::Connect(ConnectFailure::Refused))
        )
    });
    if !default_port_step || obs.is_empty() || !none_connected || !refused {
        return Vec::new();
    }
    let futs = res.targets.iter().take(TARGET_CONCURRENCY).map(|t| {
        let spec = RequestSpec {
            dial_host: Some(t.hostname.clone()),
            ip: t.ip,
            port: 443,
            tls_name: t.tls_server_name.clone(),
            host_header: t.host_header.clone(),
            path: VERSION_PATH.to_owned(),
            body_cap: 16 * 1024,
            plain_http: false,
        };
        async move { http::exchange(net, &spec, &deadline).await }
    });
    futures_util::future::join_all(futs).await
}
