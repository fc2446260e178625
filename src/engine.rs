//! The driver: runs the probes discovery asks for (concurrently, each under the one deadline),
//! feeds the observations back, then runs the target probes and hands everything to the judge.

use std::net::IpAddr;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::checks;
use crate::discovery::{self, Observations, Probe, WellKnownObs};
use crate::net::http;
use crate::net::{Deadline, Net, ms_since};
use crate::obs::Fetch;
use crate::report::{Discovery, Report, SCHEMA_VERSION, Status, Timings};
use crate::server_name::ServerName;

/// Most addresses of the server name the well-known is fetched from.
const MAX_WELL_KNOWN_ADDRS: usize = 4;

/// Runs one probe.
async fn run_probe(net: &Net, probe: Probe, deadline: Deadline) -> (Probe, ProbeResult) {
    // A timeout in a query the deadline had cut short is the check's limit, not the server's.
    let allowed = deadline.step();
    let clamped = deadline.clamped(allowed);
    let result = match &probe {
        Probe::Srv(name) => {
            let mut answer = net.dns.srv(name, allowed).await;
            answer.status.cut_short(clamped);
            ProbeResult::Srv(answer)
        }
        Probe::Addrs(host) => {
            let mut answer = net.addrs(host, allowed).await;
            answer.cut_short(clamped);
            ProbeResult::Addrs(answer)
        }
        Probe::WellKnown(host) => {
            let start = Instant::now();
            let mut answer = net.addrs(host, allowed).await;
            answer.cut_short(clamped);
            let ips: Vec<IpAddr> = match net.dialer.by_name(host, 443) {
                // `--connect-to NAME:443:…`: the well-known comes from there, whatever DNS says.
                Some(sa) => vec![sa.ip()],
                // Only the family a -4/-6 peer would use.
                None => answer
                    .addrs()
                    .into_iter()
                    .filter(|ip| net.config.families.allows(*ip))
                    .take(MAX_WELL_KNOWN_ADDRS)
                    .collect(),
            };
            let url = url::Url::parse(&discovery::well_known_url(host)).ok();
            let fetches: Vec<Fetch> = match url {
                Some(url) => {
                    // The well-known (with its redirects) leaves one step (at most half the
                    // deadline) for the targets.
                    let reserve = net.config.step_timeout.min(net.config.timeout / 2);
                    let wk_deadline = deadline.reserving(reserve);
                    let futs = ips.iter().map(|ip| {
                        http::fetch(
                            net,
                            &url,
                            *ip,
                            discovery::well_known::MAX_BODY,
                            &wk_deadline,
                        )
                    });
                    futures_util::future::join_all(futs).await
                }
                None => vec![],
            };
            ProbeResult::WellKnown(
                answer,
                WellKnownObs {
                    fetches,
                    duration: start.elapsed(),
                },
            )
        }
    };
    (probe, result)
}

enum ProbeResult {
    Srv(crate::obs::SrvAnswer),
    Addrs(crate::obs::AddrAnswer),
    WellKnown(crate::obs::AddrAnswer, WellKnownObs),
}

/// Runs discovery to completion: re-plans as each probe finishes, so every probe starts as
/// soon as what it depends on is known.
pub async fn discover(
    net: &Net,
    name: &ServerName,
    deadline: Deadline,
) -> (Observations, discovery::Resolution) {
    discover_from(net, name, Observations::default(), deadline).await
}

/// [`discover`], starting from what is already known.
pub async fn discover_from(
    net: &Net,
    name: &ServerName,
    mut obs: Observations,
    deadline: Deadline,
) -> (Observations, discovery::Resolution) {
    let mut started: Vec<Probe> = Vec::new();
    let mut inflight = FuturesUnordered::new();
    loop {
        let plan = discovery::resolve(name, &obs);
        if let Some(res) = plan.resolution {
            return (obs, res);
        }
        for p in plan.probes {
            if !started.contains(&p) {
                started.push(p.clone());
                inflight.push(run_probe(net, p, deadline));
            }
        }
        let Some((probe, result)) = inflight.next().await else {
            // Nothing in flight and still incomplete: cannot happen with a sound plan, but
            // never hang on it.
            let mut plan = discovery::resolve(name, &obs);
            return (obs, plan.resolution.take().unwrap_or_else(empty_resolution));
        };
        let _ = probe;
        match result {
            ProbeResult::Srv(a) => {
                obs.srv.insert(a.name.clone(), a);
            }
            ProbeResult::Addrs(a) => {
                obs.addrs.insert(a.host.clone(), a);
            }
            ProbeResult::WellKnown(a, wk) => {
                let host = a.host.clone();
                obs.addrs.insert(host.clone(), a);
                obs.well_known.insert(host, wk);
            }
        }
    }
}

fn empty_resolution() -> discovery::Resolution {
    discovery::Resolution {
        step: None,
        delegated: None,
        well_known: discovery::WellKnownState::NotFetched,
        srv: None,
        srv_failure: None,
        srv_unavailable: false,
        hosts: vec![],
        targets: vec![],
        fallback: vec![],
        fallback_reason: None,
        capped: vec![],
        excluded: 0,
        trace: vec![],
    }
}

/// Checks one server name, as given on the command line.
pub async fn check(net: &Net, input: &str) -> Report {
    check_observed(net, input).await.0
}

/// [`check`], also handing back what was seen at each of the spec's targets (for faces that
/// show more of the raw exchange than the report keeps: the federation tester's API).
pub async fn check_observed(net: &Net, input: &str) -> (Report, Vec<crate::obs::TargetObs>) {
    let start = Instant::now();
    let deadline = net.deadline();
    let mut report = Report {
        schema_version: SCHEMA_VERSION.to_owned(),
        checked_at: crate::time::rfc3339(crate::time::now()),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        server_name: input.to_owned(),
        ok: false,
        status: Status::Error,
        discovery: Discovery::default(),
        targets: vec![],
        findings: vec![],
        compatibility: vec![],
        families: Default::default(),
        timings: Timings::default(),
        changes: vec![],
        web_servers: vec![],
        fixes: vec![],
        client: None,
    };
    let name = match ServerName::parse(input) {
        Ok(n) => n,
        Err(e) => {
            report.findings.push(checks::name::invalid_name(input, &e));
            report.compatibility = checks::compat::unreachable_all("the server name is not valid");
            report.timings.total_ms = ms_since(start);
            report.finalize();
            return (report, vec![]);
        }
    };
    report.findings.extend(checks::name::lints(&name));
    // Client discovery runs beside federation's, under the same deadline: it adds no
    // round trip to the critical path.
    let client_host = client_url_host(&name);
    let client = async {
        if net.config.client {
            Some(crate::net::client::discover(net, &client_host, deadline).await)
        } else {
            None
        }
    };
    let federation = federation(net, &name, deadline, start, &mut report.timings);
    let ((obs, res, target_obs, fallback_obs, port_443), client_obs) =
        futures_util::future::join(federation, client).await;

    checks::judge_all(
        &mut report,
        &name,
        &obs,
        &res,
        &checks::Probed {
            targets: &target_obs,
            fallback: &fallback_obs,
            port_443: &port_443,
            expiry: net.config.cert_expiry,
        },
    );
    if let Some(c) = &client_obs {
        // Delegated: a well-known names another server, or an SRV record answered.
        let delegated = res.delegated.is_some() || res.srv.is_some();
        let (client, findings) = checks::client::judge(
            &client_host,
            delegated,
            c,
            crate::time::now(),
            net.config.cert_expiry,
        );
        report.client = Some(client);
        report.findings.extend(findings);
    }
    if deadline.passed() || checks::deadline_cut(&obs, &target_obs) {
        report.findings.push(checks::deadline_finding(
            &obs,
            net.config.timeout,
            report.timings.discovery_ms,
        ));
    }
    report.timings.total_ms = ms_since(start);
    report.finalize();
    let probed: Vec<_> = target_obs.iter().chain(&fallback_obs).cloned().collect();
    report.web_servers = crate::fixes::detect::web_servers(&obs, &probed);
    report.fixes = crate::fixes::for_report(&report, &report.web_servers, &net.config.fixes);
    (report, target_obs)
}

/// What the federation side observed: discovery, its resolution, the targets' and the
/// fallback targets' probes, and port 443.
type FederationObs = (
    Observations,
    discovery::Resolution,
    Vec<crate::obs::TargetObs>,
    Vec<crate::obs::TargetObs>,
    Vec<crate::obs::Exchange>,
);

/// The server-server side: resolution (and the server name's own path where some
/// implementations take it), then every target at once, then port 443 when it is worth it.
async fn federation(
    net: &Net,
    name: &ServerName,
    deadline: Deadline,
    start: Instant,
    timings: &mut Timings,
) -> FederationObs {
    let (obs, mut res) = discover(net, name, deadline).await;
    // -4/-6 also hold for addresses that come from IP literals (DNS answers are already
    // filtered by the resolver).
    // Some implementations cannot use this (valid) well-known and take the server name's
    // own SRV/8448 path instead: resolve that path too, so their verdict is checked, not
    // guessed.
    if res.fallback.is_empty()
        && discovery::followup::server_name_path_needed(name, &obs, &res)
        && let crate::server_name::Host::Dns(host) = &name.host
    {
        let seeded = discovery::ignoring_well_known(&obs, host);
        let (_, alt) = discover_from(net, name, seeded, deadline).await;
        res.fallback = alt.targets;
        res.fallback_reason = Some(discovery::FallbackReason::WellKnownNotForAll);
    }
    let families = net.config.families;
    let before = res.targets.len();
    res.targets.retain(|t| families.allows(t.ip));
    res.excluded = before - res.targets.len();
    res.fallback.retain(|t| families.allows(t.ip));
    timings.discovery_ms = ms_since(start);
    let targets_start = Instant::now();
    // The spec's targets and, after a failed SRV lookup, the fallback some implementations
    // take, all at once.
    let all: Vec<_> = res.targets.iter().chain(&res.fallback).cloned().collect();
    let mut target_obs = crate::net::targets::probe_all(net, &all, deadline).await;
    let fallback_obs = target_obs.split_off(res.targets.len());
    let port_443 = crate::net::targets::probe_port_443(net, &res, &target_obs, deadline).await;
    timings.targets_ms = ms_since(targets_start);
    (obs, res, target_obs, fallback_obs, port_443)
}

/// The host of the server name as it goes in a URL (`example.org`, `192.0.2.1`,
/// `[2001:db8::1]`): the client well-known lives on port 443 of it, whatever the port.
fn client_url_host(name: &ServerName) -> String {
    match &name.host {
        crate::server_name::Host::Dns(h) => h.clone(),
        crate::server_name::Host::V4(ip) => ip.to_string(),
        crate::server_name::Host::V6(ip) => format!("[{ip}]"),
    }
}
