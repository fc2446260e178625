//! Judging the well-known fetch (spec step 3): every way it can fail or be fragile, the
//! split brain between addresses, caching, and the details the report carries.

use crate::discovery::well_known::{self, WellKnownError};
use crate::discovery::{
    Observations, Resolution, WellKnownState, decisive_fetch, evaluate_fetch, fetch_summary,
    verdict_text, well_known_url,
};
use crate::findings::Code;
use crate::implementations::{self, CONDUWUIT, CONTINUWUITY, DENDRITE};
use crate::obs::{CertVerdict, ConnectFailure, Fetch, RedirectStop, RequestFailure, TlsObs};
use crate::report::{
    CacheInfo, FetchOutcome, Finding, Redirect, SpecStep, WellKnownFetch, WellKnownInfo,
};
use crate::sanitize::{clip, excerpt};
use crate::server_name::{Host, NameProblem, ServerName};

use super::resolution::q;

pub(super) fn well_known_findings(
    host: &str,
    obs: &Observations,
    res: &Resolution,
    out: &mut Vec<Finding>,
) {
    let Some(wk) = obs.well_known.get(host) else {
        return;
    };
    let url = well_known_url(host);
    match &res.well_known {
        WellKnownState::NotFetched => {}
        WellKnownState::NoAddress(st) => {
            if let Some(f) = obs
                .addrs
                .get(host)
                .and_then(|a| single_stack_blind(host, a))
            {
                out.push(f.at_step(SpecStep::WellKnown));
            } else if *st == crate::obs::DnsStatus::Deadline {
                let what = format!("the address lookup of {host}, for the well-known,");
                out.push(super::dns::cut_short(what).at_step(SpecStep::WellKnown));
            } else if st.is_failure() {
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
            // what Cache-Control says), not as a failure (Synapse 1.157
            // `well_known_resolver.py` L253–319: the parse error is raised after the cache
            // period was taken from a 200).
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
            if let Host::Dns(d) = &ok.server.host
                && d.ends_with('.')
            {
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
    let finding = if let Some(why) = f.not_checked() {
        Finding::plain(
            Code::NotChecked,
            format!(
                "{}: {why}; where servers would connect is not known from this check",
                failing_url(url, f)
            ),
        )
    } else if let Some(stop) = &f.stop {
        redirect_stopped(url, f, stop)
    } else if let Some((tls, verdict)) = f.bad_certificate() {
        bad_certificate(url, f, tls, verdict)
    } else if let Err(e) = &f.last.result {
        // Reported at the hop that failed, with its URL.
        request_failed(host, &failing_url(url, f), !f.hops.is_empty(), e)
    } else {
        return;
    };
    out.push(finding.at_step(SpecStep::WellKnown));
}

/// The URL whose request failed: the well-known's own, or the redirect hop's (with how it
/// was reached).
fn failing_url(url: &str, f: &Fetch) -> String {
    if f.hops.is_empty() {
        url.to_owned()
    } else {
        format!(
            "{} (reached by {} redirect(s) from {url})",
            q(&f.url),
            f.hops.len()
        )
    }
}

/// The redirect chain stopped before a response.
fn redirect_stopped(url: &str, f: &Fetch, stop: &RedirectStop) -> Finding {
    // The hop that answered with the redirect that could not be followed.
    let from = match f.hops.len() {
        0 | 1 => url.to_owned(),
        n => format!(
            "{} (reached by {} redirect(s) from {url})",
            q(&f.hops[n - 1].from),
            n - 1
        ),
    };
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
                "{from} redirects to {} on another host over plain HTTP: homeservers follow it (delegcheck does not), so they use whatever that serves, and anyone on the path can rewrite your delegation",
                q(to)
            ),
        ),
        RedirectStop::Internal(to, ip) => (
            Code::WellKnownUnreachable,
            format!(
                "{from} redirects to {}, which resolves to the internal address {ip}: no server outside your network can follow it",
                q(to)
            ),
        ),
        RedirectStop::Unsupported(to) => (
            Code::WellKnownStatus,
            format!("{from} redirects to {}, which is not an HTTP(S) URL", q(to)),
        ),
        RedirectStop::NoLocation => (
            Code::WellKnownStatus,
            format!("{from} answers with a redirect without a Location header"),
        ),
        RedirectStop::Dns(h, st) => (
            Code::WellKnownUnreachable,
            format!(
                "{from} redirects to {}, which does not resolve ({})",
                q(h),
                st.describe_for("A/AAAA")
            ),
        ),
        // Reported as not checked before this is reached.
        RedirectStop::Deadline => (Code::NotChecked, String::new()),
    };
    let msg = if matches!(stop, RedirectStop::Insecure(_)) {
        // Servers do not stop there: the message says what they do.
        msg
    } else {
        format!("{msg}; servers ignore the delegation and go on to SRV (step 4)")
    };
    match stop {
        RedirectStop::Internal(..) => Finding::new(
            code,
            msg,
            "Point the redirect at a public host, or serve the file directly on the server name.",
        ),
        _ => Finding::plain(code, msg),
    }
}

/// The certificate of the well-known host (or of a redirect hop) was rejected.
fn bad_certificate(url: &str, f: &Fetch, tls: &TlsObs, verdict: &CertVerdict) -> Finding {
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
    Finding::new(
        Code::WellKnownTlsInvalid,
        format!(
            "the certificate of https://{bad_host}/{via} is {} (it covers: {}), so every server ignores the well-known and goes on to SRV (step 4).{would}",
            verdict_text(verdict),
            if names.is_empty() {
                "nothing".to_owned()
            } else {
                q(&names)
            },
        ),
        format!(
            "Serve a certificate valid for {bad_host}, from a public CA, with its full chain, on port {port}."
        ),
    )
}

/// The host has addresses, but none of the family this check was limited to (`-4`/`-6`): a
/// single-stack peer cannot fetch the well-known and ignores the delegation.
fn single_stack_blind(host: &str, a: &crate::obs::AddrAnswer) -> Option<Finding> {
    let addrs = a.addrs();
    let first = addrs.first()?;
    let (missing, peer) = if first.is_ipv4() {
        ("AAAA", "an IPv6-only server")
    } else {
        ("A", "an IPv4-only server")
    };
    Some(Finding::plain(
        Code::WellKnownFamilyMissing,
        format!(
            "{host} has no {missing} record: {peer} cannot fetch the well-known and ignores the delegation; the rest of this report is what such a server meets"
        ),
    ))
}

/// The request failed before a response.
fn request_failed(host: &str, url: &str, hopped: bool, e: &RequestFailure) -> Finding {
    if let Some(why) = e.probe_side() {
        return Finding::plain(
            Code::NotChecked,
            format!("{url}: {why}; where servers would connect is not known from this check"),
        );
    }
    let (code, msg) = match e {
        // Nothing on 443 of the server name itself: simply no well-known.
        RequestFailure::Connect(ConnectFailure::Refused) if !hopped => (
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
    Finding::plain(code, msg)
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
                "{url} is larger than {} KiB, more than Synapse and Dendrite read (continuwuity reads up to {} KiB); {fallback}",
                well_known::MAX_BODY / 1024,
                crate::implementations::CONTINUWUITY.well_known_body_limit / 1024
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
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
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

/// The well-known details for the report.
pub(crate) fn well_known_info(name: &ServerName, obs: &Observations) -> Option<WellKnownInfo> {
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
                    e if e.probe_side().is_some() => FetchOutcome::NotChecked,
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
                    RequestFailure::Deadline => FetchOutcome::NotChecked,
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
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        // RFC 850 and asctime, which RFC 9110 §5.6.7 also asks recipients to accept.
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(784111777));
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
    }
}
