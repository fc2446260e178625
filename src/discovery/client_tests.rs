//! The client-discovery planner against hand-made observations: every state matrix-js-sdk
//! (v43.0.0 `src/autodiscovery.ts`) reaches, natively and in a browser.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::*;
use crate::obs::{Exchange, Hop};

const ACAO: (&str, &str) = ("access-control-allow-origin", "*");

fn headers(h: &[(&str, &str)]) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn fetch(url: &str, status: u16, h: &[(&str, &str)], body: &[u8]) -> Fetch {
    let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    Fetch {
        ip,
        hops: vec![],
        last: Exchange {
            ip,
            port: 443,
            connect: Some(Duration::ZERO),
            tls: None,
            result: Ok(HttpResponse {
                status,
                headers: headers(h),
                body: body.to_vec(),
                truncated: false,
                duration: Duration::ZERO,
            }),
        },
        stop: None,
        insecure: None,
        url: url.to_owned(),
        duration: Duration::from_millis(10),
    }
}

const WK: &str = "https://example.test/.well-known/matrix/client";
const VERSIONS: &str = "https://matrix.example.test/_matrix/client/versions";

fn obs(well_known: &[u8], versions: Option<&[u8]>) -> ClientObs {
    let mut o = ClientObs::default();
    o.fetches.insert(
        ClientRequest::WellKnown,
        fetch(WK, 200, &[ACAO], well_known),
    );
    if let Some(v) = versions {
        o.fetches
            .insert(ClientRequest::Versions, fetch(VERSIONS, 200, &[ACAO], v));
    }
    o
}

fn states(o: &ClientObs) -> (Option<ClientState>, Option<ClientState>) {
    (
        homeserver(o, View::Native).state,
        homeserver(o, View::Web).state,
    )
}

const HS: &[u8] = br#"{"m.homeserver": {"base_url": "https://matrix.example.test"}}"#;
const GOOD_VERSIONS: &[u8] = br#"{"versions": ["v1.11", "v1.12"]}"#;

#[test]
fn base_urls_are_normalised_as_matrix_js_sdk_does() {
    let s = |t: &str| sanitize_base_url(&serde_json::Value::String(t.into()));
    assert_eq!(
        s("https://m.example.com/"),
        Ok("https://m.example.com".into())
    );
    assert_eq!(
        s("https://example.com/matrix/"),
        Ok("https://example.com/matrix".into())
    );
    assert_eq!(
        s("https://example.com//"),
        Ok("https://example.com/".into())
    );
    assert_eq!(
        s(" https://u:p@M.Example.com:443/x?q=1#f "),
        Ok("https://m.example.com/x".into())
    );
    assert_eq!(s("https://[::1]:8008/"), Ok("https://[::1]:8008".into()));
    assert_eq!(s("http://hs.example"), Ok("http://hs.example".into()));
    for bad in [
        "ftp://x.example",
        "example.com",
        "matrix.example.com:8448",
        "https://",
        "",
    ] {
        assert!(s(bad).is_err(), "{bad:?}");
    }
    assert!(sanitize_base_url(&serde_json::json!(42)).is_err());
}

#[test]
fn fetch_actions_follow_fetch_well_known_object() {
    let a = |status, body: &[u8]| action(&fetch(WK, status, &[ACAO], body), View::Native);
    assert_eq!(a(404, b""), Action::Ignore);
    // Any 2xx is read (js-sdk checks `response.ok`), whatever the spec's "200" says.
    assert!(matches!(a(201, HS), Action::Json(_)));
    assert!(matches!(a(203, HS), Action::Json(_)));
    assert_eq!(a(204, b""), Action::Fail(Why::NotJson));
    assert_eq!(a(410, HS), Action::Fail(Why::Status(410)));
    assert_eq!(a(500, b""), Action::Fail(Why::Status(500)));
    assert_eq!(a(200, b""), Action::Fail(Why::NotJson));
    assert_eq!(a(200, b"<html></html>"), Action::Fail(Why::NotJson));
    assert_eq!(a(200, b"{} trailing"), Action::Fail(Why::NotJson));
    // Response.json() skips a byte-order mark.
    assert!(matches!(a(200, b"\xEF\xBB\xBF{}"), Action::Json(_)));
    // A response slower than js-sdk's 5 s is a failure, whatever it holds.
    let mut slow = fetch(WK, 200, &[ACAO], HS);
    slow.duration = Duration::from_millis(5200);
    assert!(matches!(
        action(&slow, View::Native),
        Action::Fail(Why::Slow(_))
    ));
}

#[test]
fn homeserver_states_match_find_client_config() {
    use ClientState::*;
    let s = Some(Success);
    assert_eq!(states(&obs(HS, Some(GOOD_VERSIONS))), (s, s));
    // Trailing slash and extra keys are fine.
    let extra = br#"{"m.homeserver": {"base_url": "https://matrix.example.test/"}, "org.x": 1}"#;
    assert_eq!(states(&obs(extra, Some(GOOD_VERSIONS))), (s, s));
    let fp = Some(FailPrompt);
    assert_eq!(states(&obs(b"{}", None)), (fp, fp));
    assert_eq!(states(&obs(b"[]", None)), (fp, fp));
    let string_hs = br#"{"m.homeserver": "https://matrix.example.test"}"#;
    assert_eq!(states(&obs(string_hs, None)), (fp, fp));
    assert_eq!(
        homeserver(&obs(string_hs, None), View::Native).error,
        Some("ERROR_INVALID_HS_BASE_URL")
    );
    let empty = br#"{"m.homeserver": {"base_url": ""}}"#;
    assert_eq!(states(&obs(empty, None)), (fp, fp));
    let fe = Some(FailError);
    let no_scheme = br#"{"m.homeserver": {"base_url": "matrix.example.test"}}"#;
    assert_eq!(states(&obs(no_scheme, None)), (fe, fe));
    // /versions: an array is required, and one version js-sdk supports.
    assert_eq!(states(&obs(HS, Some(br#"{"versions": "v1.1"}"#))), (fe, fe));
    assert_eq!(states(&obs(HS, Some(b"<html>"))), (fe, fe));
    let old = obs(HS, Some(br#"{"versions": ["r0.6.1"]}"#));
    assert_eq!(states(&old), (fe, fe));
    assert_eq!(
        homeserver(&old, View::Native).error,
        Some("ERROR_UNSUPPORTED_HOMESERVER_SPEC_VERSION")
    );
    assert_eq!(
        homeserver(&old, View::Native).base_url.as_deref(),
        Some("https://matrix.example.test")
    );
    // A 404 is PROMPT for the homeserver (the spec's IGNORE).
    let mut o = ClientObs::default();
    o.fetches
        .insert(ClientRequest::WellKnown, fetch(WK, 404, &[ACAO], b""));
    assert_eq!(states(&o), (Some(Prompt), Some(Prompt)));
    // Without CORS a browser cannot even see the 404.
    o.fetches
        .insert(ClientRequest::WellKnown, fetch(WK, 404, &[], b""));
    assert_eq!(states(&o), (Some(Prompt), fp));
}

#[test]
fn web_clients_meet_cors_and_mixed_content() {
    use ClientState::*;
    let mut o = obs(HS, Some(GOOD_VERSIONS));
    // No ACAO on /versions: native works, web fails at that step.
    o.fetches.insert(
        ClientRequest::Versions,
        fetch(VERSIONS, 200, &[], GOOD_VERSIONS),
    );
    assert_eq!(states(&o), (Some(Success), Some(FailError)));
    // Two values are no value.
    o.fetches.insert(
        ClientRequest::Versions,
        fetch(VERSIONS, 200, &[ACAO, ACAO], GOOD_VERSIONS),
    );
    assert_eq!(states(&o), (Some(Success), Some(FailError)));
    // A redirect hop without ACAO stops the browser there.
    let mut wk = fetch(
        "https://www.example.test/.well-known/matrix/client",
        200,
        &[ACAO],
        HS,
    );
    wk.hops = vec![Hop {
        from: WK.into(),
        status: 301,
        location: Some(wk.url.clone()),
        headers: vec![],
    }];
    let mut o2 = obs(HS, Some(GOOD_VERSIONS));
    o2.fetches.insert(ClientRequest::WellKnown, wk.clone());
    assert_eq!(states(&o2), (Some(Success), Some(FailPrompt)));
    assert!(matches!(
        blocked(&wk),
        Some(Blocked::Redirect { status: 301, .. })
    ));
    // With ACAO on the hop, a cross-origin target must allow `*`: the origin is now null.
    wk.hops[0].headers = headers(&[ACAO]);
    wk.last.result.as_mut().unwrap().headers = headers(&[("access-control-allow-origin", ORIGIN)]);
    assert!(matches!(blocked(&wk), Some(Blocked::WrongOrigin { .. })));
    // http:// is blocked, except to loopback.
    let http = fetch(
        "http://matrix.example.test/_matrix/client/versions",
        200,
        &[ACAO],
        GOOD_VERSIONS,
    );
    assert!(matches!(blocked(&http), Some(Blocked::MixedContent { .. })));
    let local = fetch(
        "http://127.0.0.1:8008/_matrix/client/versions",
        200,
        &[ACAO],
        GOOD_VERSIONS,
    );
    assert_eq!(blocked(&local), None);
}

#[test]
fn identity_server_is_checked_only_after_the_homeserver() {
    use ClientState::*;
    let with_is = |is: &str| {
        format!(
            r#"{{"m.homeserver": {{"base_url": "https://matrix.example.test"}}, "m.identity_server": {is}}}"#
        )
    };
    let o = obs(with_is("{}").as_bytes(), Some(GOOD_VERSIONS));
    assert_eq!(identity_server(&o, View::Native).state, Some(FailPrompt));
    assert_eq!(
        identity_server(&o, View::Native).error,
        Some("ERROR_INVALID_IS_BASE_URL")
    );
    let body = with_is(r#"{"base_url": "https://id.example.test"}"#);
    let mut o = obs(body.as_bytes(), Some(GOOD_VERSIONS));
    let probes = next_probes("example.test", &o);
    assert!(
        probes.iter().any(|p| p.request == ClientRequest::Identity
            && p.url == "https://id.example.test/_matrix/identity/v2"),
        "{probes:?}"
    );
    o.fetches.insert(
        ClientRequest::Identity,
        fetch(
            "https://id.example.test/_matrix/identity/v2",
            200,
            &[ACAO],
            b"{}",
        ),
    );
    assert_eq!(identity_server(&o, View::Native).state, Some(Success));
    o.fetches.insert(
        ClientRequest::Identity,
        fetch(
            "https://id.example.test/_matrix/identity/v2",
            404,
            &[ACAO],
            b"",
        ),
    );
    assert_eq!(identity_server(&o, View::Native).state, Some(FailPrompt));
    // A homeserver that fails leaves the identity server at PROMPT.
    let o = obs(body.as_bytes(), Some(b"{}"));
    assert_eq!(identity_server(&o, View::Native).state, Some(Prompt));
    // No m.identity_server: PROMPT.
    assert_eq!(
        identity_server(&obs(HS, Some(GOOD_VERSIONS)), View::Native).state,
        Some(Prompt)
    );
}

#[test]
fn the_planner_asks_the_two_well_knowns_then_what_they_name() {
    let none = next_probes("example.test", &ClientObs::default());
    let urls: Vec<&str> = none.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(
        urls,
        [WK, "https://example.test/.well-known/matrix/support"]
    );
    let o = obs(
        br#"{"m.homeserver": {"base_url": "https://example.test/matrix/"}}"#,
        None,
    );
    let next: Vec<(ClientRequest, String)> = next_probes("example.test", &o)
        .into_iter()
        .map(|p| (p.request, p.url))
        .collect();
    assert!(next.contains(&(
        ClientRequest::Versions,
        "https://example.test/matrix/_matrix/client/versions".into()
    )));
    assert!(next.iter().any(|(r, _)| *r == ClientRequest::Preflight));
    assert!(next.iter().any(|(r, _)| *r == ClientRequest::AuthMetadata));
    // Nothing is asked twice; a base_url that is not a URL leads nowhere.
    let bad = obs(br#"{"m.homeserver": {"base_url": "nope"}}"#, None);
    assert_eq!(
        next_probes("example.test", &bad).len(),
        1,
        "only the support file"
    );
}

#[test]
fn preflights_need_the_headers_named() {
    let pf = |h: &[(&str, &str)], status| preflight_problem(&fetch(VERSIONS, status, h, b""));
    let good = [
        ACAO,
        (
            "access-control-allow-methods",
            "GET, POST, PUT, DELETE, OPTIONS",
        ),
        (
            "access-control-allow-headers",
            "X-Requested-With, Content-Type, Authorization",
        ),
    ];
    assert_eq!(pf(&good, 204), None);
    assert!(matches!(pf(&good, 405), Some(Ok(_))));
    assert!(matches!(pf(&good[1..], 200), Some(Ok(_))));
    // `*` allows any header but Authorization.
    let star = [
        ACAO,
        ("access-control-allow-methods", "*"),
        ("access-control-allow-headers", "*"),
    ];
    assert!(
        matches!(pf(&star, 200), Some(Ok(ref p)) if p.contains("authorization")),
        "{:?}",
        pf(&star, 200)
    );
    let no_put = [
        ACAO,
        ("access-control-allow-methods", "GET, POST"),
        (
            "access-control-allow-headers",
            "authorization, content-type",
        ),
    ];
    assert!(matches!(pf(&no_put, 200), Some(Ok(ref p)) if p.contains("PUT")));
}
