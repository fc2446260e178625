//! Every shipped lab scenario, run through the real pipeline (real DNS packets, TCP, TLS and
//! HTTP on loopback) against its own lab, asserting the outcome the scenario declares.

use delegcheck::lab::{self, LabOptions};

fn scenario(name: &str) -> lab::Scenario {
    lab::scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

/// The committed JSON Schema (kept fresh by tests/generated.rs), compiled once.
fn schema() -> &'static jsonschema::Validator {
    static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).expect("a valid JSON Schema")
    })
}

async fn assert_scenario(name: &str) {
    let s = scenario(name);
    let report = lab::run(&s, LabOptions::default(), |_| {})
        .await
        .unwrap_or_else(|e| panic!("{name}: lab failed: {e}"));
    let json = serde_json::to_value(&report).unwrap();
    let errors: Vec<String> = schema()
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: the report breaks the published schema: {errors:#?}"
    );
    let diff = s.expect.mismatches(&report);
    assert!(
        diff.is_empty(),
        "scenario {name} ({}):\n  {}\nreport:\n{}",
        s.summary,
        diff.join("\n  "),
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
}

macro_rules! scenarios {
    ($($test:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                assert_scenario(&stringify!($test).replace('_', "-")).await;
            }
        )*

        /// The list above names every shipped scenario, so none goes untested.
        #[test]
        fn every_scenario_has_a_test() {
            let mut listed: Vec<String> = vec![$(stringify!($test).replace('_', "-")),*];
            listed.sort();
            let mut shipped: Vec<String> = lab::scenarios().into_iter().map(|s| s.name).collect();
            shipped.sort();
            assert_eq!(listed, shipped);
        }
    };
}
scenarios!(
    well_known_port_443,
    well_known_no_port,
    synapse_serves_well_known,
    srv_delegation,
    direct_8448,
    reverse_proxy_443,
    dual_stack,
    well_known_is_html,
    well_known_client_file,
    cert_for_server_name,
    srv_cert_for_target,
    ipv6_not_listening,
    missing_intermediate,
    expired_certificate,
    proxy_not_routing,
    vhost_without_port,
    well_known_bom,
    legacy_srv_only,
    keys_wrong_server,
    srv_target_cname,
    well_known_redirect_http,
    ip_literal,
    ip_literal_port,
    ipv6_literal,
    ip_literal_without_ip_san,
    explicit_port,
    user_id_pasted,
    url_pasted,
    well_known_ip_literal,
    well_known_ipv6_literal_port,
    well_known_extra_keys,
    well_known_text_plain,
    well_known_redirect,
    delegated_has_own_well_known,
    well_known_and_srv,
    well_known_then_srv,
    well_known_then_srv_cert_for_target,
    well_known_then_legacy_srv,
    well_known_wildcard_cert,
    well_known_404,
    well_known_500,
    well_known_204,
    well_known_cert_expired,
    well_known_cert_wrong_name,
    well_known_self_signed,
    well_known_no_intermediate,
    well_known_not_object,
    well_known_empty_object,
    well_known_server_number,
    well_known_server_empty,
    well_known_server_scheme,
    well_known_server_path,
    well_known_server_whitespace,
    well_known_server_port_range,
    well_known_server_port_zero,
    well_known_server_ipv6,
    well_known_server_non_ascii,
    well_known_trailing_data,
    well_known_duplicate_key,
    well_known_key_case,
    well_known_too_large,
    well_known_redirect_loop,
    well_known_large,
    well_known_redirect_five_hops,
    well_known_blackhole,
    well_known_cache_long,
    well_known_split_brain,
    srv_and_legacy_differ,
    srv_down_no_legacy_fallback,
    srv_priorities,
    srv_target_dot,
    srv_target_ip,
    srv_port_zero,
    srv_servfail,
    srv_timeout,
    srv_target_no_address,
    srv_two_equal,
    aaaa_only,
    cname_host,
    dns_truncated,
    nxdomain,
    dns_servfail,
    tls_not_yet_valid,
    tls_expiring,
    tls_self_signed,
    tls_untrusted_ca,
    tls_plain_http,
    tls_garbage,
    tls_old_version,
    tls_reset,
    target_blackhole,
    keys_bad_signature,
    keys_expired,
    keys_expiring,
    version_html,
    target_split_brain,
    ipv4_broken,
    hosting_provider,
    hostile_strings,
    srv_servfail_no_fallback,
    well_known_ipv4_only,
    private_address,
    well_known_missing_port,
    no_delegation_on_443,
    srv_vhost_for_target,
    well_known_exact_host,
    server_name_is_delegated_host,
    well_known_redirect_from_bad_certificate,
    target_split_brain_odd_one,
    well_known_redirect_ten_hops,
    well_known_redirect_http_other_host,
    well_known_redirect_internal,
    website_certificate_expired,
    well_known_large_fallback_works,
    well_known_redirect_to_bad_certificate,
    well_known_private_literal,
    deadline_well_known_blackhole_srv,
    deadline_step_as_long_as_deadline,
    deadline_cuts_dns_lookup,
    deadline_cuts_healthy_target,
    deadline_slow_redirect_chain,
    ipv6_only_peer_no_aaaa_for_well_known,
    ipv6_only_peer_target_has_a_only,
    dns_zero_address,
    dns_metadata_address,
    well_known_redirect_metadata,
    public_only_private_target,
    keys_many_old_keys,
    keys_larger_than_delegcheck_reads,
    well_known_redirect_hop_fails,
    proxy_upstream_down,
    proxy_gateway_timeout,
    federation_port_redirect,
    body_shorter_than_content_length,
    chunked_encoding_broken,
    tls_sha1_certificate,
    tls_chain_too_long,
    dns_nodata,
    dns_refused,
    srv_truncated_no_tcp,
    srv_long_answer,
    no_dns_yet_resolve,
    client_healthy,
    client_404,
    client_html,
    client_bom,
    client_no_homeserver,
    client_base_url_not_url,
    client_base_url_http,
    client_trailing_slash,
    client_path_prefix,
    client_base_url_no_dns,
    client_versions_404,
    client_versions_not_json,
    client_versions_no_array,
    client_base_url_wrong_cert,
    client_cors_missing_well_known,
    client_cors_missing_api,
    client_redirect_no_cors,
    client_preflight_refused,
    client_identity_valid,
    client_identity_broken,
    client_identity_not_url,
    client_text_plain,
    client_extra_keys,
    client_support_and_oauth,
    client_support_invalid,
    client_ip_literal,
    client_well_known_500,
    client_redirect_to_http,
    client_auth_metadata_invalid,
    client_versions_redirect,
);

/// Expectations that do not hold are reported, field by field, in the words of the file.
#[tokio::test]
async fn a_wrong_expectation_is_a_mismatch() {
    let mut s = scenario("well-known-port-443");
    let report = lab::run(&s, LabOptions::default(), |_| {}).await.unwrap();
    assert!(s.expect.mismatches(&report).is_empty());
    let wrong = r#"
        ok = false
        step = "4"
        codes = ["tls-expired"]
        info = ["srv-legacy"]
        checks = ["127.0.0.3:443 tcp=fail", "127.0.0.9:8448 tcp=pass"]
        compat = "synapse=no dendrite=unknown"
        families = "ipv4=no ipv6=none"
        says = ["nowhere to be seen"]
        never_says = ["M_UNAUTHORIZED", "never anywhere"]
    "#;
    s.expect = toml::from_str(wrong).unwrap();
    assert_eq!(
        s.expect.mismatches(&report),
        [
            "ok: expected false, got true",
            r#"step: expected Some("4"), got Some("3.2")"#,
            r#"codes: expected ["tls-expired"], got []"#,
            "info: srv-legacy missing",
            r#"checks: 127.0.0.3:443 tcp: expected fail, got Some("pass")"#,
            "checks: no target 127.0.0.9:8448",
            "families: expected ipv4=no ipv6=none, got ipv4=yes ipv6=none",
            r#"says: no finding or verdict mentions "nowhere to be seen""#,
            r#"never_says: "M_UNAUTHORIZED" appears in "401 M_UNAUTHORIZED""#,
            r#"compat: synapse: expected no, got Some("yes")"#,
            r#"compat: dendrite: expected unknown, got Some("yes")"#,
        ]
    );
}

/// Each way a DNS query can end has its own name in the JSON trace, exactly as answered
/// (NXDOMAIN and NODATA apart, a truncated answer whose TCP retry failed apart from a
/// timeout), and its own words in the step's answer.
#[tokio::test]
async fn dns_statuses_are_told_apart_in_the_json() {
    let cases = [
        ("nxdomain", "example.test A/AAAA", "nxdomain"),
        ("dns-nodata", "example.test A/AAAA", "nodata"),
        ("dns-servfail", "example.test A/AAAA", "servfail"),
        ("dns-refused", "example.test A/AAAA", "refused"),
        (
            "srv-timeout",
            "_matrix-fed._tcp.example.test SRV",
            "timeout",
        ),
        (
            "srv-truncated-no-tcp",
            "_matrix-fed._tcp.example.test SRV",
            "truncated_tcp_failed",
        ),
    ];
    let mut answers = std::collections::HashSet::new();
    for (name, query, want) in cases {
        let report = lab::run(&scenario(name), LabOptions::default(), |_| {})
            .await
            .unwrap();
        let json = serde_json::to_value(&report).unwrap();
        let step = json["discovery"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["query"] == query)
            .unwrap_or_else(|| panic!("{name}: no step {query}"));
        let statuses: Vec<&str> = step["dns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["status"].as_str().unwrap())
            .collect();
        assert!(
            !statuses.is_empty() && statuses.iter().all(|s| *s == want),
            "{name}: {query} is {statuses:?}, not {want}"
        );
        answers.insert(step["answer"].as_str().unwrap().to_owned());
    }
    assert_eq!(answers.len(), cases.len(), "distinct words: {answers:?}");
}

/// Each DNS query of a trace step lists its records as answered: type, value (SRV as
/// `priority weight port target`, names without the trailing dot) and the TTL the lab's DNS
/// server gives them; the CNAME followed on the way comes first, in answer order. A query
/// that found nothing lists no record. The published schema takes the records, and rejects
/// a TTL that is not a number.
#[tokio::test]
async fn dns_records_are_structured_with_their_ttl() {
    let ttl = lab::dns::TTL;
    let report = lab::run(&scenario("srv-target-cname"), LabOptions::default(), |_| {})
        .await
        .unwrap();
    let mut json = serde_json::to_value(&report).unwrap();
    let step = |json: &serde_json::Value, query: &str| {
        json["discovery"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s["query"] == query)
            .unwrap_or_else(|| panic!("no step {query}"))
    };
    let srv = step(&json, "_matrix-fed._tcp.example.test SRV");
    assert_eq!(
        json["discovery"]["steps"][srv]["dns"],
        serde_json::json!([{
            "type": "SRV",
            "status": "ok",
            "records": [{"type": "SRV", "value": "10 5 8448 matrix.example.test", "ttl": ttl}],
        }])
    );
    let host = step(&json, "matrix.example.test A/AAAA");
    let dns = &json["discovery"]["steps"][host]["dns"];
    let cname = serde_json::json!({"type": "CNAME", "value": "host.provider.test", "ttl": ttl});
    assert_eq!(dns[0]["type"], "A");
    assert_eq!(
        dns[0]["records"],
        serde_json::json!([cname, {"type": "A", "value": "127.0.0.3", "ttl": ttl}])
    );
    // No AAAA record behind the alias: NODATA, no records (the resolver reports the
    // answer as having none).
    assert_eq!(dns[1]["type"], "AAAA");
    assert_eq!(dns[1]["status"], "nodata");
    assert_eq!(dns[1]["records"], serde_json::json!([]));
    // The legacy SRV name does not exist: no records.
    let legacy = step(&json, "_matrix._tcp.example.test SRV");
    assert_eq!(
        json["discovery"]["steps"][legacy]["dns"][0]["records"],
        serde_json::json!([])
    );

    assert!(schema().is_valid(&json));
    json["discovery"]["steps"][srv]["dns"][0]["records"][0]["ttl"] = serde_json::json!("60");
    assert!(!schema().is_valid(&json), "a TTL must be a number");
}
