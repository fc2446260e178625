//! `--fix-for`, `--upstream` and `--explain CODE --fix-for STACK` as users meet them.

use assert_cmd::Command;

fn bin() -> Command {
    let mut c = Command::cargo_bin("delegcheck").unwrap();
    for v in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "LANG",
        "LC_CTYPE",
        "COLUMNS",
    ] {
        c.env_remove(v);
    }
    c.env("LC_ALL", "C.UTF-8");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = bin().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn explain_with_fix_for_prints_the_generic_snippet() {
    let (code, out, _) = run(&["--explain", "federation-on-443", "--fix-for", "caddy"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("How to fix, for Caddy:"), "{out}");
    assert!(out.contains("handle /.well-known/matrix/server {"), "{out}");
    assert!(out.contains("<federation-host>:<port>"), "{out}");
    let (_, out, _) = run(&["--explain", "tls-incomplete-chain", "--fix-for", "nginx"]);
    assert!(
        out.contains("ssl_certificate <certificate-directory>/<federation-host>/fullchain.pem;"),
        "{out}"
    );
    let (_, out, _) = run(&["--explain", "srv-target-cname", "--fix-for", "nginx"]);
    assert!(out.contains("IN SRV 10 5 8448 <federation-host>."), "{out}");
    // A finding no configuration snippet fixes says so.
    let (code, out, _) = run(&[
        "--explain",
        "keys-server-name-mismatch",
        "--fix-for",
        "nginx",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("No nginx snippet for keys-server-name-mismatch: its cause is not in a configuration file"),
        "{out}"
    );
    let (_, out, _) = run(&["--explain", "well-known-not-json", "--fix-for", "traefik"]);
    assert!(
        out.contains("No Traefik snippet for well-known-not-json: this stack cannot serve it"),
        "{out}"
    );
    // Without --fix-for, the explanation alone.
    let (_, out, _) = run(&["--explain", "federation-on-443"]);
    assert!(!out.contains("How to fix"), "{out}");
}

#[test]
fn bad_stacks_and_upstreams_are_usage_errors() {
    let (code, _, err) = run(&["--fix-for", "iis", "example.org"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nginx") && err.contains("caddy"), "{err}");
    // `dns` is always included, not chosen.
    assert_eq!(run(&["--fix-for", "dns", "example.org"]).0, 2);
    for bad in [
        "127.0.0.1",
        "127.0.0.1:0",
        "host;evil:80",
        "a b:80",
        ":8008",
    ] {
        let (code, _, err) = run(&["--upstream", bad, "example.org"]);
        assert_eq!(code, 2, "{bad}: {err}");
    }
    let (code, _, err) = run(&[
        "--demo",
        "well-known-missing-port",
        "--upstream",
        "10.0.0.5:8008",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--upstream"), "{err}");
}

#[test]
fn the_demo_shows_how_to_fix_and_json_carries_the_fixes() {
    let (_, out, _) = run(&["--demo", "well-known-missing-port", "--ascii"]);
    let how = out.find("How to fix").expect("a How to fix section");
    assert!(out.find("Findings").unwrap() < how, "after the findings");
    assert!(
        out.contains("Caddy at 127.0.0.2:443 (example.test): Server: Caddy"),
        "{out}"
    );
    assert!(
        out.contains("    |     respond `{\"m.server\": \"matrix.example.test:443\"}` 200"),
        "{out}"
    );
    let (_, out, _) = run(&["--demo", "well-known-missing-port", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema_version"], "1.2");
    let fix = &v["fixes"][0];
    assert_eq!(fix["stack"], "caddy");
    assert_eq!(fix["placement"], "inside_site");
    assert!(
        fix["codes"]
            .as_array()
            .unwrap()
            .contains(&"federation-on-443".into())
    );
    assert!(fix["reload"].as_str().unwrap().starts_with("caddy reload"));
    assert_eq!(v["web_servers"][0]["evidence"], "Server: Caddy");
    // --fix-for rewrites them for another stack.
    let (_, out, _) = run(&[
        "--demo",
        "well-known-missing-port",
        "--format",
        "json",
        "--fix-for",
        "nginx",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["fixes"][0]["stack"], "nginx");
    assert!(
        v["fixes"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("return 200 '{\"m.server\": \"matrix.example.test:443\"}';")
    );
}
