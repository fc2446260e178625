//! Every snippet template, for every stack that has a configuration validator, is accepted by
//! that server's own validator (`nginx -t`, `caddy validate`, `apache2 -t`, `haproxy -c`,
//! `named-checkzone`) inside a complete minimal configuration written to a scratch
//! directory, with real certificate files where the snippet names them. A broken snippet is
//! refused by the same harness, so a pass means something. Without a server binary the test
//! says so loudly and skips; under `CI=true` it fails (`.ci/run` installs them).

mod fixes_support;

use std::process::Command;

use delegcheck::fixes::{Fix, FixOptions, Placement, Remedy, SrvReason, Stack, templates};
use fixes_support::{Scratch, require, run, write_certs};

const SITE: &str = "example.test";
const HOST: &str = "matrix.example.test";

/// One of each remedy, with the values a run would fill in.
fn remedies() -> Vec<Remedy> {
    vec![
        Remedy::ServerWellKnown {
            site: SITE.into(),
            m_server: format!("{HOST}:443"),
        },
        Remedy::ServerWellKnown {
            site: SITE.into(),
            m_server: delegcheck::fixes::PLACEHOLDER_M_SERVER.into(),
        },
        Remedy::ClientWellKnown {
            site: SITE.into(),
            base_url: format!("https://{HOST}"),
        },
        Remedy::ProxyMatrix {
            host: HOST.into(),
            port: 443,
        },
        Remedy::FederationListener {
            host: HOST.into(),
            port: 8448,
        },
        Remedy::Certificate {
            host: HOST.into(),
            port: 443,
            names: vec![HOST.into()],
        },
        Remedy::TlsProtocols {
            host: HOST.into(),
            port: 443,
        },
    ]
}

/// A scratch directory with certificates for both names, and the options that point there.
fn setup(tag: &str) -> (Scratch, FixOptions) {
    let dir = Scratch::new(tag);
    let pki = delegcheck::lab::pki::Pki::new().expect("lab CA");
    for host in [SITE, HOST] {
        let issued = pki
            .issue(&[host.to_owned()], Default::default())
            .expect("certificate");
        write_certs(&dir, host, &issued);
    }
    let opts = FixOptions {
        stack: None,
        upstream: "127.0.0.1:8008".into(),
        cert_dir: dir.path().join("live").display().to_string(),
        well_known_dir: dir.path().join("www").display().to_string(),
    };
    (dir, opts)
}

/// The snippets of `fixes` by where they go: (top level, inside the site or frontend).
fn split(fixes: &[Fix]) -> (String, String) {
    let mut top = String::new();
    let mut inside = String::new();
    for f in fixes {
        assert!(
            !f.snippet.contains("{{"),
            "unfilled placeholder: {}",
            f.snippet
        );
        match f.placement {
            Placement::TopLevel => top.push_str(&f.snippet),
            Placement::InsideSite | Placement::Frontend => inside.push_str(&f.snippet),
            Placement::FileContent => {
                serde_json::from_str::<serde_json::Value>(&f.snippet)
                    .unwrap_or_else(|e| panic!("{}: not JSON: {e}", f.file));
            }
            other => panic!("{:?} snippet for a web server: {other:?}", f.stack),
        }
    }
    (top, inside)
}

fn nginx_conf(dir: &Scratch, opts: &FixOptions, top: &str, inside: &str) -> String {
    let d = dir.path().display();
    // The site's own certificate, unless the snippet is the certificate fix.
    let cert = if inside.contains("ssl_certificate") {
        String::new()
    } else {
        format!(
            "ssl_certificate {0}/{SITE}/fullchain.pem;\n        ssl_certificate_key {0}/{SITE}/privkey.pem;",
            opts.cert_dir
        )
    };
    format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n{top}\n    server {{\n        listen 127.0.0.1:18443 ssl;\n        server_name {SITE};\n        {cert}\n{inside}\n    }}\n}}\n"
    )
}

fn nginx_check(bin: &std::path::Path, dir: &Scratch, conf: &str) -> Result<String, String> {
    let path = dir.write("nginx.conf", conf);
    let d = dir.path().display().to_string();
    run(Command::new(bin)
        .args(["-t", "-q", "-p", &d, "-e"])
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(&path))
}

fn caddy_conf(dir: &Scratch, opts: &FixOptions, top: &str, inside: &str) -> String {
    let tls = if inside.contains("tls ") {
        String::new()
    } else {
        format!(
            "tls {0}/{SITE}/fullchain.pem {0}/{SITE}/privkey.pem",
            opts.cert_dir
        )
    };
    format!(
        "{{\n    admin off\n    auto_https disable_redirects\n    storage file_system {}/caddy\n}}\n{top}\nhttps://{SITE}:18443 {{\n    {tls}\n{inside}\n}}\n",
        dir.path().display()
    )
}

fn caddy_check(bin: &std::path::Path, dir: &Scratch, conf: &str) -> Result<String, String> {
    let path = dir.write("Caddyfile", conf);
    run(Command::new(bin)
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(&path)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path()))
}

const APACHE_MODULES: &[(&str, &str)] = &[
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("alias_module", "mod_alias.so"),
    ("mime_module", "mod_mime.so"),
    ("headers_module", "mod_headers.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
    ("ssl_module", "mod_ssl.so"),
];

fn apache_conf(dir: &Scratch, opts: &FixOptions, top: &str, inside: &str) -> String {
    let d = dir.path().display();
    let mut s = format!(
        "ServerName localhost\nServerRoot {d}\nDefaultRuntimeDir {d}\nPidFile {d}/apache.pid\nErrorLog {d}/error.log\n"
    );
    for (name, file) in APACHE_MODULES {
        s.push_str(&format!(
            "LoadModule {name} /usr/lib/apache2/modules/{file}\n"
        ));
    }
    let cert = if inside.contains("SSLCertificateFile") {
        String::new()
    } else {
        format!(
            "SSLCertificateFile {0}/{SITE}/fullchain.pem\n    SSLCertificateKeyFile {0}/{SITE}/privkey.pem",
            opts.cert_dir
        )
    };
    s.push_str(&format!(
        "Listen 127.0.0.1:18443\n{top}\n<VirtualHost *:18443>\n    ServerName {SITE}\n    SSLEngine on\n    {cert}\n{inside}\n</VirtualHost>\n"
    ));
    s
}

fn apache_check(bin: &std::path::Path, dir: &Scratch, conf: &str) -> Result<String, String> {
    let path = dir.write("apache2.conf", conf);
    run(Command::new(bin).arg("-t").arg("-f").arg(&path))
}

fn haproxy_conf(opts: &FixOptions, top: &str, inside: &str) -> String {
    let bind = if inside.contains("bind ") {
        String::new()
    } else {
        format!(
            "bind 127.0.0.1:18443 ssl crt {}/{SITE}/haproxy.pem",
            opts.cert_dir
        )
    };
    format!(
        "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n{top}\nfrontend https\n    {bind}\n{inside}\n    default_backend website\nbackend website\n    server web 127.0.0.1:18080\n"
    )
}

fn haproxy_check(bin: &std::path::Path, dir: &Scratch, conf: &str) -> Result<String, String> {
    let path = dir.write("haproxy.cfg", conf);
    run(Command::new(bin).args(["-c", "-q", "-f"]).arg(&path))
}

/// Every remedy for `stack`, each in its own complete configuration, through `check`; then
/// a broken snippet through the same harness, which must fail.
fn validate_all(
    stack: Stack,
    tag: &str,
    conf: impl Fn(&Scratch, &FixOptions, &str, &str) -> String,
    check: impl Fn(&Scratch, &str) -> Result<String, String>,
    broken: &str,
) {
    let (dir, opts) = setup(tag);
    let mut checked = 0;
    for remedy in remedies() {
        let fixes = templates::render(&remedy, stack, &opts);
        if fixes.is_empty() {
            continue;
        }
        let (top, inside) = split(&fixes);
        let text = conf(&dir, &opts, &top, &inside);
        if let Err(e) = check(&dir, &text) {
            panic!("{stack:?} refuses the fix for {remedy:?}:\n{e}\n--- configuration:\n{text}");
        }
        checked += 1;
    }
    assert!(checked >= 4, "{stack:?}: only {checked} templates");
    let text = conf(&dir, &opts, "", broken);
    assert!(
        check(&dir, &text).is_err(),
        "the {stack:?} validator accepts a broken snippet: the harness proves nothing\n{text}"
    );
}

#[test]
fn nginx_accepts_every_snippet() {
    let Some(bin) = require("nginx", "nginx", "nginx_accepts_every_snippet") else {
        return;
    };
    validate_all(
        Stack::Nginx,
        "nginx-t",
        nginx_conf,
        |d, c| nginx_check(&bin, d, c),
        "location /x { proxy_pass http://127.0.0.1:8008 }",
    );
}

#[test]
fn caddy_accepts_every_snippet() {
    let Some(bin) = require("caddy", "caddy", "caddy_accepts_every_snippet") else {
        return;
    };
    validate_all(
        Stack::Caddy,
        "caddy-validate",
        caddy_conf,
        |d, c| caddy_check(&bin, d, c),
        "respond /x `{\"a\": 1}` 200 200",
    );
}

#[test]
fn apache_accepts_every_snippet() {
    let Some(bin) = require("apache2", "apache2", "apache_accepts_every_snippet") else {
        return;
    };
    validate_all(
        Stack::Apache,
        "apache-t",
        apache_conf,
        |d, c| apache_check(&bin, d, c),
        "ProxyPass /_matrix",
    );
}

#[test]
fn haproxy_accepts_every_snippet() {
    let Some(bin) = require("haproxy", "haproxy", "haproxy_accepts_every_snippet") else {
        return;
    };
    validate_all(
        Stack::Haproxy,
        "haproxy-c",
        |_, o, t, i| haproxy_conf(o, t, i),
        |d, c| haproxy_check(&bin, d, c),
        "http-request return status 200 string",
    );
}

/// The zone snippets (SRV records, with the comments that say why) in a complete zone.
#[test]
fn named_checkzone_accepts_the_zone_snippets() {
    let Some(bin) = require(
        "named-checkzone",
        "bind9-utils",
        "named_checkzone_accepts_the_zone_snippets",
    ) else {
        return;
    };
    let dir = Scratch::new("checkzone");
    let zone = |records: &str| {
        format!(
            "$ORIGIN {SITE}.\n$TTL 3600\n@ IN SOA ns.{SITE}. admin.{SITE}. 1 7200 3600 1209600 3600\n@ IN NS ns.{SITE}.\nns IN A 127.0.0.1\nmatrix IN A 127.0.0.3\nbackup IN A 127.0.0.4\n{records}"
        )
    };
    let opts = FixOptions::default();
    for reason in [SrvReason::Cname, SrvReason::Legacy] {
        let remedy = Remedy::SrvRecords {
            name: format!("_matrix-fed._tcp.{SITE}"),
            records: vec![
                (10, 5, 8448, HOST.into()),
                (20, 0, 443, "backup.example.test".into()),
            ],
            reason,
        };
        let fixes = templates::render(&remedy, Stack::Nginx, &opts);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].stack, Stack::Dns);
        assert_eq!(fixes[0].placement, Placement::Zone);
        let path = dir.write("zone", &zone(&fixes[0].snippet));
        if let Err(e) = run(Command::new(&bin).arg(SITE).arg(&path)) {
            panic!(
                "named-checkzone refuses {remedy:?}:\n{e}\n{}",
                fixes[0].snippet
            );
        }
    }
    let replace = Remedy::ReplaceCname {
        alias: format!("alias.{SITE}"),
        canonical: "host.provider.test".into(),
        addrs: vec!["127.0.0.3".parse().unwrap(), "::1".parse().unwrap()],
    };
    let fixes = templates::render(&replace, Stack::Nginx, &opts);
    let path = dir.write("zone", &zone(&fixes[0].snippet));
    if let Err(e) = run(Command::new(&bin).arg(SITE).arg(&path)) {
        panic!(
            "named-checkzone refuses {replace:?}:\n{e}\n{}",
            fixes[0].snippet
        );
    }
    let remove = Remedy::RemoveAddress {
        host: HOST.into(),
        addrs: vec!["::1".parse().unwrap()],
    };
    let fixes = templates::render(&remove, Stack::Nginx, &opts);
    let path = dir.write("zone", &zone(&fixes[0].snippet));
    run(Command::new(&bin).arg(SITE).arg(&path)).expect("comments only");
    let path = dir.write("zone", &zone("_matrix-fed._tcp IN SRV 10 5 8448\n"));
    assert!(run(Command::new(&bin).arg(SITE).arg(&path)).is_err());
}

/// The YAML stacks have no validator installed: their snippets at least fill every
/// placeholder and use spaces only (YAML refuses tabs).
#[test]
fn yaml_snippets_are_filled_and_indented_with_spaces() {
    let (_dir, opts) = setup("yaml");
    for stack in [Stack::Traefik, Stack::Synapse] {
        let mut n = 0;
        for remedy in remedies() {
            for f in templates::render(&remedy, stack, &opts) {
                assert_eq!(f.placement, Placement::Yaml, "{f:?}");
                assert!(
                    !f.snippet.contains("{{") && !f.snippet.contains('\t'),
                    "{f:?}"
                );
                n += 1;
            }
        }
        assert!(n >= 3, "{stack:?}: {n} snippets");
    }
}
