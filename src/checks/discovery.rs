//! Findings about resolution: the well-known, SRV and address lookups.

use std::net::IpAddr;

use crate::discovery::well_known::{self, WellKnownError};
use crate::discovery::{
    Observations, Resolution, WellKnownState, decisive_fetch, evaluate_fetch, fetch_summary,
    srv_fed, srv_legacy, verdict_text, well_known_url,
};
use crate::findings::Code;
use crate::implementations::{self, CONDUWUIT, CONTINUWUITY, DENDRITE};
use crate::obs::{ConnectFailure, RequestFailure};
use crate::obs::{Fetch, RedirectStop};
use crate::report::{
    CacheInfo, FetchOutcome, Finding, Redirect, SpecStep, WellKnownFetch, WellKnownInfo,
};
use crate::sanitize::{clip, escape, excerpt};
use crate::server_name::{Host, NameProblem, ServerName};

fn q(s: &str) -> String {
    escape(&clip(s, 100))
}

/// Every discovery finding.
/// Every DNS lookup timed out or was refused: the resolver, not the server, is the likely
/// problem (a SERVFAIL, NXDOMAIN or any answer shows the resolver works).
fn no_dns_answer(obs: &Observations) -> Option<Finding> {
    use crate::obs::DnsStatus;
    let statuses: Vec<&DnsStatus> = obs
        .srv
        .values()
        .map(|a| &a.status)
        .chain(obs.addrs.values().flat_map(|a| {
            [a.a.as_ref().map(|x| &x.0), a.aaaa.as_ref().map(|x| &x.0)]
                .into_iter()
                .flatten()
        }))
        .collect();
    let dead = |s: &&DnsStatus| matches!(s, DnsStatus::Timeout | DnsStatus::Refused);
    if statuses.len() < 2 || !statuses.iter().all(dead) {
        return None;
    }
    let refused = statuses.iter().all(|s| **s == DnsStatus::Refused);
    Some(Finding::plain(
        Code::DnsNoAnswer,
        format!(
            "all {} DNS lookups {}: the resolver this check used is likely unreachable or refusing, so the findings below say little about the server",
            statuses.len(),
            if refused {
                "were refused"
            } else {
                "timed out or were refused"
            }
        ),
    ))
}

pub fn judge(name: &ServerName, obs: &Observations, res: &Resolution) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Host::Dns(host) = &name.host {
        if name.port.is_none() {
            well_known_findings(host, obs, res, &mut out);
        }
    }
    if let Some(f) = no_dns_answer(obs) {
        out.push(f);
    }
    srv_findings(name, obs, res, &mut out);
    address_findings(obs, res, &mut out);
    for note in &res.capped {
        out.push(Finding::plain(Code::TargetsCapped, note.clone()));
    }
    // Private addresses named literally (an IP server name or `m.server`); those from DNS
    // are reported with their host name.
    for t in res
        .targets
        .iter()
        .filter(|t| t.sni.is_none() && crate::ip_class::is_private(t.ip))
    {
        out.push(
            Finding::plain(
                Code::DnsPrivateAddress,
                format!(
                    "step {} names the private address {}: servers outside your network cannot connect there",
                    t.step, t.ip
                ),
            )
            .at_step(t.step.clone()),
        );
    }
    if res.targets.is_empty() {
        let why = match (res.step, &res.srv_failure, res.srv_unavailable) {
            (_, Some((n, st)), _) => format!("the SRV lookup of {n} failed ({})", st.describe()),
            (_, _, true) => "the SRV record says the service is unavailable".to_owned(),
            (Some(step), _, _) if res.excluded > 0 => format!(
                "step {step} yields only addresses that -4/-6 excludes ({} of them)",
                res.excluded
            ),
            (Some(step), _, _) => format!("step {step} yields no address"),
            (None, _, _) => "no step yields an address".to_owned(),
        };
        out.push(
            Finding::plain(
                Code::NoTargets,
                format!("resolution gives nowhere to connect: {why}"),
            )
            .at_step(res.step.unwrap_or(SpecStep::WellKnown)),
        );
    }
    out
}

fn well_known_findings(host: &str, obs: &Observations, res: &Resolution, out: &mut Vec<Finding>) {
    let Some(wk) = obs.well_known.get(host) else {
        return;
    };
    let url = well_known_url(host);
    match &res.well_known {
        WellKnownState::NotFetched => {}
        WellKnownState::NoAddress(st) => {
            if st.is_failure() {
                out.push(
                    Finding::plain(
                        Code::WellKnownUnreachable,
                        format!("{host} could not be resolved ({}), so the well-known could not be fetched", st.describe()),
                    )
                    .at_step(SpecStep::WellKnown),
                );
            }
        }
        WellKnownState::Failed { index } => failed_fetch(host, &url, &wk.fetches[*index], out),
        WellKnownState::Invalid { index, error } => {
            let f = &wk.fetches[*index];
            out.push(invalid(host, &url, f, error).at_step(SpecStep::WellKnown));
            // Synapse caches a well-formed file with a bad `m.server` as a success (24 h, or
            // what Cache-Control says), not as a failure (resolution-spec §2.3, D7).
            let cached_as_success = matches!(
                error,
                WellKnownError::Invalid { .. } | WellKnownError::Empty
            );
            extra_fetch_findings(host, f, out, cached_as_success);
        }
        WellKnownState::Valid { index, ok } => {
            let f = &wk.fetches[*index];
            if let Err(Some(e @ WellKnownError::Duplicate(_))) = crate::discovery::evaluate_fetch(f)
            {
                out.push(invalid(host, &url, f, &e).at_step(SpecStep::WellKnown));
            }
            extra_fetch_findings(host, f, out, true);
            if let Host::Dns(d) = &ok.server.host {
                if d.ends_with('.') {
                    out.push(
                        Finding::plain(
                            Code::WellKnownServerTrailingDot,
                            format!("`m.server` is `{}`", q(&ok.raw)),
                        )
                        .at_step(SpecStep::WellKnown),
                    );
                }
            }
        }
    }
    let decisive = match &res.well_known {
        WellKnownState::Valid { index, .. }
        | WellKnownState::Invalid { index, .. }
        | WellKnownState::Failed { index } => wk.fetches.get(*index),
        _ => None,
    };
    if let Some(to) = decisive.and_then(|f| f.insecure.as_ref()) {
        out.push(
            Finding::plain(
                Code::WellKnownRedirectInsecure,
                format!(
                    "the well-known redirects to plain HTTP ({}): homeservers follow it, so anyone on the path can rewrite your delegation",
                    q(to)
                ),
            )
            .at_step(SpecStep::WellKnown),
        );
    }
    split_brain(host, &wk.fetches, out);
}

fn failed_fetch(host: &str, url: &str, f: &Fetch, out: &mut Vec<Finding>) {
    failed_fetch_findings(host, url, f, out);
    // An unfollowed redirect to http:// is not a failure for homeservers: they follow it.
    if !matches!(f.stop, Some(RedirectStop::Insecure(_))) {
        out.push(
            Finding::plain(Code::WellKnownCache, implementations::failure_cached())
                .at_step(SpecStep::WellKnown),
        );
    }
}

fn failed_fetch_findings(host: &str, url: &str, f: &Fetch, out: &mut Vec<Finding>) {
    let at = SpecStep::WellKnown;
    if let Some(stop) = &f.stop {
        let (code, msg) = match stop {
            RedirectStop::Loop => (
                Code::WellKnownRedirectLoop,
                format!("{url} redirects in a loop ({} hops)", f.hops.len()),
            ),
            RedirectStop::TooMany => (
                Code::WellKnownRedirectLoop,
                format!("{url} redirects more than {} times", f.hops.len()),
            ),
            RedirectStop::Insecure(to) => (
                Code::WellKnownRedirectInsecure,
                format!(
                    "{url} redirects to {} on another host over plain HTTP: homeservers follow it (delegcheck does not), so they use whatever that serves, and anyone on the path can rewrite your delegation",
                    q(to)
                ),
            ),
            RedirectStop::Internal(to, ip) => (
                Code::WellKnownUnreachable,
                format!(
                    "{url} redirects to {}, which resolves to the internal address {ip}: no server outside your network can follow it",
                    q(to)
                ),
            ),
            RedirectStop::Unsupported(to) => (
                Code::WellKnownStatus,
                format!("{url} redirects to {}, which is not an HTTP(S) URL", q(to)),
            ),
            RedirectStop::NoLocation => (
                Code::WellKnownStatus,
                format!("{url} answers with a redirect without a Location header"),
            ),
            RedirectStop::Dns(h, st) => (
                Code::WellKnownUnreachable,
                format!(
                    "{url} redirects to {}, which does not resolve ({})",
                    q(h),
                    st.describe()
                ),
            ),
        };
        let msg = if matches!(stop, RedirectStop::Insecure(_)) {
            // Servers do not stop there: the message says what they do.
            msg
        } else {
            format!("{msg}; servers ignore the delegation and go on to SRV (step 4)")
        };
        let finding = match stop {
            RedirectStop::Internal(..) => Finding::new(
                code,
                msg,
                "Point the redirect at a public host, or serve the file directly on the server name.",
            ),
            _ => Finding::plain(code, msg),
        };
        out.push(finding.at_step(at));
        return;
    }
    if let Some((tls, verdict)) = f.bad_certificate() {
        let would = f
            .last
            .result
            .as_ref()
            .ok()
            .and_then(|r| well_known::parse(r.status, &r.body, r.truncated).ok())
            .map(|ok| {
                format!(
                    " The file says `m.server: {}`, but no server will read it.",
                    q(&ok.raw)
                )
            })
            .unwrap_or_default();
        let names = super::cert::leaf_names(&tls.chain).join(", ");
        // The host whose certificate failed: the well-known's own, or a redirect hop's.
        let bad_host = q(&tls.expected_name);
        let via = if f.hops.is_empty() {
            String::new()
        } else {
            format!(" (reached by {} redirect(s) from {url})", f.hops.len())
        };
        let port = url::Url::parse(&f.url)
            .ok()
            .and_then(|u| u.port_or_known_default())
            .unwrap_or(443);
        out.push(
            Finding::new(
                Code::WellKnownTlsInvalid,
                format!(
                    "the certificate of https://{bad_host}/{via} is {} (it covers: {}), so every server ignores the well-known and goes on to SRV (step 4).{would}",
                    verdict_text(verdict),
                    if names.is_empty() { "nothing".to_owned() } else { q(&names) },
                ),
                format!("Serve a certificate valid for {bad_host}, from a public CA, with its full chain, on port {port}."),
            )
            .at_step(at),
        );
        return;
    }
    let Err(e) = &f.last.result else { return };
    let (code, msg) = match e {
        RequestFailure::Connect(ConnectFailure::Refused) => (
            Code::WellKnownAbsent,
            format!(
                "nothing listens on port 443 of {host} (connection refused): no delegation, servers go on to SRV (step 4)"
            ),
        ),
        RequestFailure::Connect(c) => (
            Code::WellKnownUnreachable,
            format!(
                "{url}: {}; servers go on to SRV (step 4) after their own timeout",
                c.describe()
            ),
        ),
        RequestFailure::TlsTimeout | RequestFailure::ResponseTimeout => (
            Code::WellKnownUnreachable,
            format!(
                "{url}: {}; every first contact waits for this before going on to SRV (step 4)",
                e.describe()
            ),
        ),
        other => (
            Code::WellKnownUnreachable,
            format!(
                "{url}: {}; servers go on to SRV (step 4)",
                q(&other.describe())
            ),
        ),
    };
    out.push(Finding::plain(code, msg).at_step(at));
}

fn invalid(host: &str, url: &str, f: &Fetch, error: &WellKnownError) -> Finding {
    use WellKnownError::*;
    let fallback = "servers treat it as no delegation and go on to SRV (step 4)";
    let resp = f.last.result.as_ref().ok();
    let body = resp.map(|r| excerpt(&r.body, 60)).unwrap_or_default();
    let hard = "Synapse and Dendrite fail hard on it (no fallback), conduwuit falls back to SRV/8448: federation breaks for most of the network";
    match error {
        Status(404 | 410) => Finding::plain(
            Code::WellKnownAbsent,
            format!(
                "{url} answers {}: no delegation, servers go on to SRV (step 4)",
                resp.map_or(404, |r| r.status)
            ),
        ),
        Status(s) if (200..300).contains(s) => Finding::plain(
            Code::WellKnownNot200,
            format!(
                "{url} answers {s}, not 200: Synapse, Dendrite and continuwuity ignore it, conduwuit and tuwunel accept it"
            ),
        ),
        Status(s) => Finding::plain(
            Code::WellKnownStatus,
            format!("{url} answers {s}; {fallback} and cache the failure for about an hour"),
        ),
        TooLarge => Finding::plain(
            Code::WellKnownTooLarge,
            format!(
                "{url} is {} bytes or more; {fallback}",
                well_known::MAX_BODY
            ),
        ),
        Bom => Finding::plain(
            Code::WellKnownBom,
            format!("{url} starts with a UTF-8 byte-order mark; {fallback}"),
        ),
        NotJson { error, html } => Finding::new(
            Code::WellKnownNotJson,
            format!(
                "{url} is not JSON{} ({}): `{body}`; {fallback}",
                if *html {
                    ", it looks like an HTML page"
                } else {
                    ""
                },
                q(error)
            ),
            if *html {
                format!(
                    "A website answers /.well-known/matrix/server on {host} (a catch-all route?). Serve {{\"m.server\": \"host:port\"}} as a static file there."
                )
            } else {
                Code::WellKnownNotJson.hint().to_owned()
            },
        ),
        TrailingData => Finding::plain(
            Code::WellKnownTrailingData,
            format!("{url} has data after the JSON object: `{body}`; {fallback}"),
        ),
        NotObject(kind) => Finding::plain(
            Code::WellKnownNotObject,
            format!("{url} is {kind}, not a JSON object: `{body}`; {fallback}"),
        ),
        MissingServer {
            wrong_case: Some(k),
            ..
        } => Finding::new(
            Code::WellKnownKeyCase,
            format!(
                "{url} has `{}` instead of `m.server`: Dendrite accepts it, every other server ignores the file",
                q(k)
            ),
            format!("Rename the key `{}` to `m.server`.", q(k)),
        ),
        MissingServer {
            client_file: true, ..
        } => Finding::new(
            Code::WellKnownMissingServer,
            format!(
                "{url} has no `m.server`; it looks like the client file (`m.homeserver`) is served at the server path; {fallback}"
            ),
            "Serve {\"m.server\": \"host:port\"} at /.well-known/matrix/server; the m.homeserver object belongs in /.well-known/matrix/client.",
        ),
        MissingServer { .. } => Finding::plain(
            Code::WellKnownMissingServer,
            format!("{url} has no `m.server`: `{body}`; {fallback}"),
        ),
        NotString(kind) => Finding::plain(
            Code::WellKnownServerNotString,
            format!("`m.server` is {kind}, not a string; {fallback}"),
        ),
        Empty => Finding::plain(
            Code::WellKnownServerEmpty,
            "`m.server` is an empty string: Synapse treats it as no delegation (and caches that for a day), continuwuity breaks",
        ),
        Invalid { raw, error } => {
            let code = match error.problem {
                NameProblem::Scheme => Code::WellKnownServerScheme,
                NameProblem::Path => Code::WellKnownServerPath,
                NameProblem::UnbracketedIpv6 => Code::WellKnownServerIpv6,
                NameProblem::Port => Code::WellKnownServerPort,
                _ => Code::WellKnownServerInvalid,
            };
            let hint = match &error.suggestion {
                Some(s) => format!("Write `\"m.server\": \"{}\"`.", q(s)),
                None => code.hint().to_owned(),
            };
            Finding::new(
                code,
                format!("`m.server` is `{}`: {}. {hard}", q(raw), q(&error.detail)),
                hint,
            )
        }
        Duplicate(ok) => Finding::plain(
            Code::WellKnownDuplicateKey,
            format!(
                "{url} has `m.server` more than once: Synapse, Dendrite and conduwuit use the last (`{}`), continuwuity rejects the file",
                q(&ok.raw)
            ),
        ),
    }
}

fn extra_fetch_findings(host: &str, f: &Fetch, out: &mut Vec<Finding>, valid: bool) {
    if !f.hops.is_empty() {
        let chain = std::iter::once(well_known_url(host))
            .chain(f.hops.iter().filter_map(|h| h.location.clone()))
            .map(|u| q(&u))
            .collect::<Vec<_>>()
            .join(" → ");
        let code = if f.hops.len() > DENDRITE.well_known_max_redirects {
            Code::WellKnownRedirectTooLong
        } else if f.hops.len() > implementations::fewest_redirects() {
            Code::WellKnownRedirectLong
        } else {
            Code::WellKnownRedirect
        };
        out.push(
            Finding::plain(code, format!("{} redirect(s): {chain}", f.hops.len()))
                .at_step(SpecStep::WellKnown),
        );
    }

    let Ok(resp) = &f.last.result else { return };
    if valid {
        let limit = CONDUWUIT.well_known_body_limit;
        if resp.body.len() >= limit {
            out.push(
                Finding::plain(
                    Code::WellKnownLarge,
                    format!("the well-known is {} bytes; conduwuit-family servers ignore bodies of {limit} bytes or more", resp.body.len()),
                )
                .at_step(SpecStep::WellKnown),
            );
        }
        let ct = resp.header("content-type").unwrap_or("");
        if !ct.to_ascii_lowercase().starts_with("application/json") {
            out.push(
                Finding::plain(
                    Code::WellKnownContentType,
                    if ct.is_empty() {
                        "the well-known has no Content-Type (it works: servers parse it as JSON anyway)".to_owned()
                    } else {
                        format!("the well-known is served as `{}` (it works: servers parse it as JSON anyway)", q(ct))
                    },
                )
                .at_step(SpecStep::WellKnown),
            );
        }
    }
    if let Some(c) = cache_info(resp, valid) {
        let asked = match (&c.cache_control, c.requested_seconds) {
            (Some(cc), _) => format!("Cache-Control `{}`", q(cc)),
            (None, Some(_)) => "an Expires header".to_owned(),
            (None, None) => "no caching headers".to_owned(),
        };
        let msg = if valid {
            format!(
                "with {asked}, Synapse servers cache this answer for {}: a change made now reaches them within that time (conduwuit-family {}, continuwuity {}, Dendrite {})",
                implementations::lifetime(c.synapse_seconds),
                implementations::kept(CONDUWUIT.cache),
                implementations::kept(CONTINUWUITY.cache),
                implementations::kept(DENDRITE.cache),
            )
        } else {
            implementations::failure_cached()
        };
        out.push(Finding::plain(Code::WellKnownCache, msg).at_step(SpecStep::WellKnown));
    }
}

/// How long remote servers keep a response (`None` when there was no response worth caching).
fn cache_info(resp: &crate::obs::HttpResponse, valid: bool) -> Option<CacheInfo> {
    let cc = resp.header("cache-control").map(str::to_owned);
    let expires = resp.header("expires").map(str::to_owned);
    let expires_in = match (&expires, resp.header("date")) {
        (Some(e), date) => parse_http_date(e).map(|t| {
            let now = date.and_then(parse_http_date).unwrap_or_else(now_unix);
            t - now
        }),
        _ => None,
    };
    let (requested, used) = well_known::synapse_cache_seconds(cc.as_deref(), expires_in);
    Some(CacheInfo {
        cache_control: cc,
        expires,
        requested_seconds: requested,
        synapse_seconds: if valid {
            used
        } else {
            implementations::synapse_failure_lifetime()
        },
    })
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses an HTTP date in any of the three formats RFC 9110 §5.6.7 asks recipients to accept
/// (IMF-fixdate, RFC 850, asctime) to Unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(s.trim()).ok()?;
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok(),
        Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
    }
}

fn split_brain(host: &str, fetches: &[Fetch], out: &mut Vec<Finding>) {
    // Only addresses that answer can disagree: a peer that cannot connect to one address
    // tries the next (a latency problem, reported by itself), it is not delegated elsewhere.
    let fetches: Vec<Fetch> = fetches
        .iter()
        .filter(|f| f.last.connect.is_some() || !f.hops.is_empty())
        .cloned()
        .collect();
    let fetches = fetches.as_slice();
    if fetches.len() < 2 {
        return;
    }
    let summary = |f: &Fetch| match evaluate_fetch(f) {
        Ok(ok) => format!("m.server {}", ok.server),
        Err(_) => fetch_summary(f),
    };
    let first = summary(&fetches[0]);
    let odd: Vec<&Fetch> = fetches.iter().filter(|f| summary(f) != first).collect();
    if odd.is_empty() {
        return;
    }
    let all = fetches
        .iter()
        .map(|f| format!("{} → {}", f.ip, q(&summary(f))))
        .collect::<Vec<_>>()
        .join("; ");
    out.push(
        Finding::plain(
            Code::WellKnownSplitBrain,
            format!("the addresses of {host} answer the well-known differently: {all}"),
        )
        .at_step(SpecStep::WellKnown),
    );
}

fn srv_findings(name: &ServerName, obs: &Observations, res: &Resolution, out: &mut Vec<Finding>) {
    if let Some((n, st)) = &res.srv_failure {
        out.push(
            Finding::plain(
                Code::SrvLookupFailed,
                format!(
                    "the SRV lookup of {n} failed ({}): Synapse gives up on your server; Dendrite and some conduwuit-family servers fall back to port 8448 (see the verdicts)",
                    st.describe()
                ),
            )
            .at_step(res.step.unwrap_or(SpecStep::Srv)),
        );
    }
    if let Some(used) = &res.srv {
        let step = used.step;
        let answer = &obs.srv[&used.name];
        if used.legacy {
            out.push(
                Finding::new(
                    Code::SrvLegacy,
                    format!("delegation relies on the deprecated {}", used.name),
                    format!(
                        "Publish {} with the same records (or a well-known with an explicit port).",
                        used.name.replacen("_matrix._tcp", "_matrix-fed._tcp", 1)
                    ),
                )
                .at_step(step),
            );
        }
        if res.srv_unavailable {
            out.push(
                Finding::plain(
                    Code::SrvTargetDot,
                    format!(
                        "{} has target `.`: the service is declared unavailable",
                        used.name
                    ),
                )
                .at_step(step),
            );
        }
        for r in &answer.records {
            if r.port == 0 && r.target != "." {
                out.push(
                    Finding::plain(
                        Code::SrvPortZero,
                        format!("{} → {} has port 0", used.name, q(&r.target)),
                    )
                    .at_step(step),
                );
            }
            if r.target.parse::<IpAddr>().is_ok() {
                out.push(
                    Finding::plain(
                        Code::SrvTargetIp,
                        format!("{} has an IP address as target ({})", used.name, r.target),
                    )
                    .at_step(step),
                );
            }
            if let Some(a) = obs.addrs.get(&r.target) {
                if let Some((_, canon)) = a
                    .cnames
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(&r.target))
                {
                    out.push(
                        Finding::new(
                            Code::SrvTargetCname,
                            format!("the SRV target {} is a CNAME to {}", q(&r.target), q(canon)),
                            format!("Point {} at {} directly.", used.name, q(canon)),
                        )
                        .at_step(step),
                    );
                }
            }
        }
        let usable = answer.records.iter().filter(|r| r.target != ".").count();
        if usable > 1 {
            let first = &answer.records[0];
            let best = &used.ordered[0];
            if first.priority > best.priority {
                out.push(
                    Finding::plain(
                        Code::SrvOrder,
                        format!(
                            "the first record in the answer ({} {} {} {}) is not the best priority ({} {} {} {}): conduwuit-family servers use only the first",
                            first.priority, first.weight, first.port, q(&first.target), best.priority, best.weight, best.port, q(&best.target)
                        ),
                    )
                    .at_step(step),
                );
            } else {
                out.push(
                    Finding::plain(
                        Code::SrvMultiple,
                        format!("{} has {usable} records; conduwuit-family servers use only the first in the answer", used.name),
                    )
                    .at_step(step),
                );
            }
        }
        // _matrix-fed and _matrix both present but different.
        let host = used.name.split_once("._tcp.").map(|(_, h)| h).unwrap_or("");
        if let (Some(f), Some(l)) = (obs.srv.get(&srv_fed(host)), obs.srv.get(&srv_legacy(host))) {
            let key = |a: &crate::obs::SrvAnswer| {
                let mut v: Vec<(u16, String)> = a
                    .records
                    .iter()
                    .map(|r| (r.port, r.target.to_ascii_lowercase()))
                    .collect();
                v.sort();
                v
            };
            if !f.records.is_empty() && !l.records.is_empty() && key(f) != key(l) {
                out.push(
                    Finding::plain(
                        Code::SrvLegacyMismatch,
                        format!(
                            "{} and {} point to different targets; only {} is used",
                            f.name, l.name, f.name
                        ),
                    )
                    .at_step(step),
                );
            }
        }
    }
    // SRV on the server name, ignored because the well-known delegates.
    if res.delegated.is_some() {
        if let Host::Dns(host) = &name.host {
            for n in [srv_fed(host), srv_legacy(host)] {
                if let Some(a) = obs.srv.get(&n) {
                    if !a.records.is_empty() {
                        let recs = a
                            .records
                            .iter()
                            .map(|r| format!("{} {}", r.port, q(&r.target)))
                            .collect::<Vec<_>>()
                            .join(", ");
                        out.push(Finding::plain(
                            Code::SrvIgnored,
                            format!("{n} ({recs}) is ignored: the well-known delegates to {}, so SRV is looked up there", res.delegated.as_ref().map(|d| d.to_string()).unwrap_or_default()),
                        ));
                    }
                }
            }
        }
    }
}

/// A broken well-known that every implementation treats as no delegation, when the
/// fallback works for every implementation, does not break federation: it becomes the
/// warning `well-known-ignored`, keeping its message (naming the original problem) and hint.
pub fn downgrade_harmless(report: &mut crate::Report) {
    if !report.everyone_reaches() {
        return;
    }
    // A file that names an `m.server` means a delegation was intended: that it is ignored
    // is an error whatever the fallback does (a certificate problem, a byte-order mark…).
    let names_a_server = report.discovery.well_known.as_ref().is_some_and(|w| {
        w.fetches.iter().any(|f| {
            f.m_server.is_some()
                || f.body_excerpt
                    .as_deref()
                    .is_some_and(|b| b.to_ascii_lowercase().contains("m.server"))
        })
    });
    if names_a_server {
        return;
    }
    for f in &mut report.findings {
        if f.code.every_implementation_falls_back() {
            f.message = format!(
                "{} ({}). The file names no delegation, and every implementation falls back to a path that works: federation is unaffected, but each peer pays a failed fetch first.",
                f.message.trim_end_matches('.'),
                f.code.as_str()
            );
            f.code = Code::WellKnownIgnored;
            f.severity = Code::WellKnownIgnored.severity();
        }
    }
}

fn address_findings(obs: &Observations, res: &Resolution, out: &mut Vec<Finding>) {
    let any_addresses = !res.targets.is_empty();
    let mut seen: Vec<&str> = Vec::new();
    for h in &res.hosts {
        if seen.contains(&h.host.as_str()) {
            continue;
        }
        seen.push(&h.host);
        let Some(a) = obs.addrs.get(&h.host) else {
            continue;
        };
        let host = q(&h.host);
        if a.addrs().is_empty() {
            let msg = match a.failure() {
                Some(f) => format!("the address lookup of {host} failed ({})", f.describe()),
                None => format!("{host} has no A or AAAA record"),
            };
            let code = if h.srv_target && any_addresses {
                Code::SrvTargetNoAddress
            } else if a.failure().is_some() {
                Code::DnsLookupFailed
            } else {
                Code::DnsNoAddress
            };
            out.push(Finding::plain(code, msg).at_step(h.step));
            continue;
        }
        let has4 = a.a.as_ref().is_some_and(|x| !x.1.is_empty());
        let has6 = a.aaaa.as_ref().is_some_and(|x| !x.1.is_empty());
        if a.a.is_some() && a.aaaa.is_some() {
            if !has4 && has6 {
                out.push(
                    Finding::plain(
                        Code::DnsNoIpv4,
                        format!("{host} has only AAAA records: IPv4-only servers cannot connect"),
                    )
                    .at_step(h.step),
                );
            } else if has4 && !has6 {
                out.push(
                    Finding::plain(Code::DnsNoIpv6, format!("{host} has no AAAA record"))
                        .at_step(h.step),
                );
            }
        }
        if let Some(f) = a.failure() {
            out.push(
                Finding::plain(
                    Code::DnsLookupFailed,
                    format!(
                        "one of the address lookups of {host} failed ({})",
                        f.describe()
                    ),
                )
                .at_step(h.step),
            );
        }
        let private: Vec<String> = a
            .addrs()
            .into_iter()
            .filter(|ip| crate::ip_class::is_private(*ip))
            .map(|ip| ip.to_string())
            .collect();
        if !private.is_empty() {
            out.push(
                Finding::plain(
                    Code::DnsPrivateAddress,
                    format!(
                        "{host} resolves to the private address(es) {}: servers outside your network cannot connect there",
                        private.join(", ")
                    ),
                )
                .at_step(h.step),
            );
        }
        if !h.srv_target {
            if let Some((_, canon)) = a.cnames.last() {
                out.push(
                    Finding::plain(Code::DnsCname, format!("{host} is a CNAME to {}", q(canon)))
                        .at_step(h.step),
                );
            }
        }
    }
}

/// The well-known details for the report.
pub fn well_known_info(name: &ServerName, obs: &Observations) -> Option<WellKnownInfo> {
    let Host::Dns(host) = &name.host else {
        return None;
    };
    let wk = obs.well_known.get(host)?;
    let decisive = decisive_fetch(&wk.fetches);
    let fetches = wk.fetches.iter().map(fetch_info).collect();
    let cache = decisive.and_then(|i| {
        let f = &wk.fetches[i];
        let resp = f.response()?;
        cache_info(resp, evaluate_fetch(f).is_ok())
    });
    Some(WellKnownInfo {
        url: well_known_url(host),
        fetches,
        cache,
    })
}

fn fetch_info(f: &Fetch) -> WellKnownFetch {
    let (outcome, error) = if f.stop.is_some() {
        (FetchOutcome::RedirectError, Some(fetch_summary(f)))
    } else {
        match &f.last.result {
            Ok(_) if f.bad_certificate().is_some() => {
                (FetchOutcome::TlsError, Some(fetch_summary(f)))
            }
            Ok(_) => (FetchOutcome::Response, None),
            Err(e) => (
                match e {
                    RequestFailure::Dns(_) => FetchOutcome::DnsError,
                    RequestFailure::Connect(ConnectFailure::Refused) => FetchOutcome::Refused,
                    RequestFailure::Connect(ConnectFailure::Timeout)
                    | RequestFailure::TlsTimeout
                    | RequestFailure::ResponseTimeout => FetchOutcome::Timeout,
                    RequestFailure::Connect(_) => FetchOutcome::ConnectError,
                    RequestFailure::Tls(_)
                    | RequestFailure::TlsOldVersion
                    | RequestFailure::Certificate(_) => FetchOutcome::TlsError,
                    RequestFailure::Http(_) => FetchOutcome::HttpError,
                },
                Some(e.describe()),
            ),
        }
    };
    let resp = f.last.result.as_ref().ok();
    WellKnownFetch {
        ip: f.ip,
        outcome,
        error,
        redirects: f
            .hops
            .iter()
            .map(|h| Redirect {
                from: h.from.clone(),
                status: h.status,
                location: h.location.clone(),
            })
            .collect(),
        http_status: resp.map(|r| r.status),
        content_type: resp.and_then(|r| r.header("content-type").map(str::to_owned)),
        body_bytes: resp.map(|r| r.body.len()),
        body_excerpt: resp.map(|r| clip(&String::from_utf8_lossy(&r.body), 200)),
        m_server: resp.and_then(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| {
                    v.get("m.server")
                        .and_then(|s| s.as_str())
                        .map(str::to_owned)
                })
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn private_addresses() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.1.1",
            "fd12::1",
            "fe80::1",
        ] {
            assert!(crate::ip_class::is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "203.0.113.7",
            "100.128.0.1",
            "172.32.0.1",
            "2001:db8::1",
            "127.0.0.1",
            "::1",
        ] {
            assert!(!crate::ip_class::is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
    }
}
