//! Target probes: at every target the requests a homeserver's peers would make (version,
//! keys, an unauthenticated federation request, the conduwuit-family `Host`), pipelined on
//! one connection per target, all targets at once. Observations only;
//! `checks::target` judges them.

use super::http::{self, RequestSpec};
use super::{Deadline, Net};
use crate::discovery::{Resolution, followup};
use crate::obs::{Exchange, KEYS_PATH, ROUTING_PATH, TargetObs, VERSION_PATH};
use crate::report::Target;

/// Most targets probed at once within one server name: all of them (at most
/// [`crate::discovery::MAX_TARGETS`]), so that black-holed targets cost one timeout, not one
/// per wave.
pub const TARGET_CONCURRENCY: usize = crate::discovery::MAX_TARGETS;

/// Most body bytes read from the version endpoint and the routing probe.
const ENDPOINT_BODY_CAP: usize = crate::obs::VERSION_BODY_CAP;
/// Most body bytes read from the key endpoint.
const KEYS_BODY_CAP: usize = crate::obs::KEYS_BODY_CAP;

/// Probes every target, concurrently (at most [`TARGET_CONCURRENCY`] at once); at each
/// target the requests share one connection (see [`probe`]).
pub async fn probe_all(net: &Net, targets: &[Target], deadline: Deadline) -> Vec<TargetObs> {
    // All at once: the lists are bounded (MAX_TARGETS each for targets and fallbacks), and
    // a wave would make every black-holed wave cost one more timeout.
    debug_assert!(targets.len() <= 2 * TARGET_CONCURRENCY);
    futures_util::future::join_all(targets.iter().map(|t| probe(net, t, deadline))).await
}

/// The requests at one target, written at once on one TLS connection and answered in order
/// (HTTP/1.1 pipelining, see [`http::pipeline`]): a healthy target sees one handshake and one
/// round trip for all of them, as many round trips as when each had a connection of its own.
/// The routing retry with another `Host` (only after a wrong answer) goes on the same
/// connection afterwards.
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
        method: Default::default(),
        headers: Vec::new(),
    };
    let hp = followup::conduwuit_host(t);
    let mut specs = vec![
        spec(VERSION_PATH, &t.host_header, ENDPOINT_BODY_CAP),
        spec(KEYS_PATH, &t.host_header, KEYS_BODY_CAP),
        spec(ROUTING_PATH, &t.host_header, ENDPOINT_BODY_CAP),
    ];
    if let Some(h) = &hp {
        specs.push(spec(ROUTING_PATH, h, ENDPOINT_BODY_CAP));
    }
    let (done, kept) = http::pipeline(net, &specs, &deadline, None).await;
    let mut done = done.into_iter();
    let (Some(version), Some(keys), Some(routing)) = (done.next(), done.next(), done.next()) else {
        unreachable!("one exchange per request");
    };
    let host_port = done.next();
    let alt = followup::routing_retry_host(t, &routing)
        .map(|h| spec(ROUTING_PATH, &h, ENDPOINT_BODY_CAP));
    let routing_by_hostname = match alt {
        Some(a) => http::pipeline(net, &[a], &deadline, kept)
            .await
            .0
            .into_iter()
            .next(),
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

/// Asks port 443 of the targets for the version endpoint, with the same names, when
/// [`followup::port_443_needed`] says so. Costs nothing when the targets answer.
pub async fn probe_port_443(
    net: &Net,
    res: &Resolution,
    obs: &[TargetObs],
    deadline: Deadline,
) -> Vec<Exchange> {
    if !followup::port_443_needed(res, obs) {
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
            body_cap: ENDPOINT_BODY_CAP,
            plain_http: false,
            method: Default::default(),
            headers: Vec::new(),
        };
        async move { http::exchange(net, &spec, &deadline).await }
    });
    futures_util::future::join_all(futs).await
}
