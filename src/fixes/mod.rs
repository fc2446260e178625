//! "How to fix": the change itself, for the admin's own web server, DNS zone and homeserver.
//!
//! Pure, like the judges: [`detect`] reads which software answered from the observations
//! (the `Server` header and the shape of error pages), [`plan`] maps the report's findings to
//! [`Remedy`]s with the run's values (server name, delegated host, ports, the `m.server` that
//! would work), and [`templates`] renders each remedy for a [`Stack`] as a ready-to-paste
//! snippet whose comments say why each line is there. Every template is checked by the
//! server's own configuration validator in `tests/fixes_validate.rs`, and the main cases are
//! applied to a real nginx and Caddy and re-checked in `tests/fixes_e2e.rs`.

pub mod detect;
pub mod plan;
pub mod templates;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::findings::Code;

/// The software a fix is written for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Stack {
    /// nginx.
    Nginx,
    /// Caddy v2 (Caddyfile).
    Caddy,
    /// Apache httpd 2.4.
    Apache,
    /// HAProxy (2.2 or later).
    Haproxy,
    /// Traefik v2/v3, dynamic file configuration.
    Traefik,
    /// Synapse's `homeserver.yaml`.
    Synapse,
    /// The DNS zone file (always included when a record is the cause).
    #[value(skip)]
    Dns,
}

impl Stack {
    /// Every stack `--fix-for` takes.
    pub const CHOOSABLE: [Stack; 6] = [
        Stack::Nginx,
        Stack::Caddy,
        Stack::Apache,
        Stack::Haproxy,
        Stack::Traefik,
        Stack::Synapse,
    ];

    /// The lower-case name, as in the JSON and `--fix-for`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stack::Nginx => "nginx",
            Stack::Caddy => "caddy",
            Stack::Apache => "apache",
            Stack::Haproxy => "haproxy",
            Stack::Traefik => "traefik",
            Stack::Synapse => "synapse",
            Stack::Dns => "dns",
        }
    }

    /// The name people know it by.
    pub fn label(self) -> &'static str {
        match self {
            Stack::Nginx => "nginx",
            Stack::Caddy => "Caddy",
            Stack::Apache => "Apache httpd",
            Stack::Haproxy => "HAProxy",
            Stack::Traefik => "Traefik",
            Stack::Synapse => "Synapse",
            Stack::Dns => "DNS zone",
        }
    }
}

/// Where in its file a snippet goes (what the validators wrap it in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Inside the site that serves the host and port (nginx `server`, Caddy site block,
    /// Apache `VirtualHost`), replacing whatever the site had for the same path or directive.
    InsideSite,
    /// Inside the HAProxy `frontend` that terminates TLS for the host and port.
    Frontend,
    /// A section or block of its own, at the top level of the configuration (nginx `http`).
    TopLevel,
    /// Records of the DNS zone.
    Zone,
    /// Keys of a YAML file (Synapse's `homeserver.yaml`, Traefik's dynamic configuration).
    Yaml,
    /// The whole content of a file of its own.
    FileContent,
}

/// One change: a snippet for one file of one stack, with the values of this run filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Fix {
    /// The software it is written for.
    pub stack: Stack,
    /// The finding codes it resolves.
    pub codes: Vec<Code>,
    /// Where it goes: the file, and the block in it.
    pub file: String,
    /// Where in that file (what surrounds the snippet).
    pub placement: Placement,
    /// The snippet, ready to paste; its comments say why each line is there.
    pub snippet: String,
    /// The command that checks and applies it (`null`: nothing to reload).
    pub reload: Option<String>,
    /// Why this change resolves the findings, in a sentence.
    pub why: String,
}

/// Which software answered on one host and port, and how delegcheck knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WebServer {
    /// The host name the requests were for.
    pub host: String,
    /// `ip:port` that answered.
    pub address: String,
    /// What answered (`null`: nothing identified it).
    pub stack: Option<Stack>,
    /// How it was identified: the header or page shape that says so.
    pub evidence: String,
}

/// What the fixes need to know that the run cannot see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixOptions {
    /// `--fix-for`: write the web-server fixes for this stack, whatever answered.
    pub stack: Option<Stack>,
    /// Where the homeserver's plain-HTTP listener is, for the proxy snippets.
    pub upstream: String,
    /// The directory of the certificates, one subdirectory per name with `fullchain.pem`
    /// and `privkey.pem` (certbot's layout).
    pub cert_dir: String,
    /// Where a web server without a way to answer with a fixed body (Apache httpd) serves
    /// the well-known files from, one subdirectory per server name.
    pub well_known_dir: String,
}

impl Default for FixOptions {
    fn default() -> Self {
        FixOptions {
            stack: None,
            // Synapse's default listener (docs/reverse_proxy.md: `proxy_pass
            // http://localhost:8008`), written as an address so no resolver is involved.
            upstream: "127.0.0.1:8008".into(),
            cert_dir: "/etc/letsencrypt/live".into(),
            well_known_dir: "/var/www/matrix-well-known".into(),
        }
    }
}

/// A change, independent of the software: what must hold afterwards, with its values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Remedy {
    /// `https://SITE/.well-known/matrix/server` answers 200 `{"m.server": M_SERVER}` as JSON.
    ServerWellKnown {
        /// The server name (the well-known host).
        site: String,
        /// The delegation that works.
        m_server: String,
    },
    /// `https://SITE/.well-known/matrix/client` answers with the homeserver's base URL and the
    /// CORS headers web clients need.
    ClientWellKnown {
        /// The server name.
        site: String,
        /// `https://host[:port]` of the client API.
        base_url: String,
    },
    /// The site of HOST on PORT routes `/_matrix` and `/_synapse/client` to the homeserver,
    /// path unchanged.
    ProxyMatrix {
        /// The Host peers send (without port).
        host: String,
        /// The port.
        port: u16,
    },
    /// A TLS listener of its own for HOST on PORT, both address families, full chain,
    /// routing `/_matrix` to the homeserver.
    FederationListener {
        /// The name the certificate must match.
        host: String,
        /// The port.
        port: u16,
    },
    /// The site of HOST on PORT serves a certificate for NAMES, with its intermediates.
    Certificate {
        /// The site's name (the certificate's directory).
        host: String,
        /// The port.
        port: u16,
        /// The names it must cover.
        names: Vec<String>,
    },
    /// The site of HOST on PORT offers TLS 1.2 and 1.3 (and nothing older).
    TlsProtocols {
        /// The site's name (the certificate's directory).
        host: String,
        /// The port.
        port: u16,
    },
    /// SRV records to publish in place of the current ones.
    SrvRecords {
        /// `_matrix-fed._tcp.NAME`.
        name: String,
        /// `(priority, weight, port, target)`, target without the trailing dot.
        records: Vec<(u16, u16, u16, String)>,
        /// Why the old records are replaced.
        reason: SrvReason,
    },
    /// An SRV target's CNAME replaced by the addresses it leads to (the alternative to
    /// pointing the SRV record at the canonical name).
    ReplaceCname {
        /// The SRV target, which is an alias today.
        alias: String,
        /// The end of its CNAME chain.
        canonical: String,
        /// The addresses the chain ends at.
        addrs: Vec<std::net::IpAddr>,
    },
    /// Address records to delete (a stale AAAA or A).
    RemoveAddress {
        /// The host.
        host: String,
        /// The addresses that do not work.
        addrs: Vec<std::net::IpAddr>,
    },
}

/// Why SRV records are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrvReason {
    /// The target was a CNAME: point at the canonical name.
    Cname,
    /// Only the deprecated `_matrix._tcp` existed: publish `_matrix-fed._tcp`.
    Legacy,
}

/// The fixes for a report: its findings mapped to remedies, rendered for the stack that
/// answered where each applies (or the one chosen). Deduplicated: a snippet that fixes
/// several findings is listed once with all their codes.
pub fn for_report(
    report: &crate::Report,
    web_servers: &[WebServer],
    opts: &FixOptions,
) -> Vec<Fix> {
    let mut out: Vec<Fix> = Vec::new();
    for planned in plan::plan(report) {
        // Chosen; else what answered there; else what answered elsewhere in this run (the
        // same admin's setup, most likely); else nginx, the most common.
        let stack = opts
            .stack
            .or_else(|| detect::stack_at(web_servers, &planned.at))
            .or_else(|| detect::any_proxy(web_servers))
            .unwrap_or(Stack::Nginx);
        for fix in templates::render(&planned.remedy, stack, opts) {
            add(
                &mut out,
                Fix {
                    codes: planned.codes.clone(),
                    ..fix
                },
            );
        }
    }
    out
}

/// Adds a fix, merging it into an identical snippet already listed.
fn add(out: &mut Vec<Fix>, fix: Fix) {
    match out
        .iter_mut()
        .find(|f| f.stack == fix.stack && f.file == fix.file && f.snippet == fix.snippet)
    {
        Some(f) => {
            for c in fix.codes {
                if !f.codes.contains(&c) {
                    f.codes.push(c);
                }
            }
        }
        None => out.push(fix),
    }
}

/// The generic form of the fixes for a code and stack (`--explain CODE --fix-for STACK`):
/// the templates with named placeholders instead of a run's values. Empty when the code
/// has no configuration cause delegcheck writes a fix for.
pub fn generic(code: Code, stack: Stack) -> Vec<Fix> {
    let opts = FixOptions {
        stack: Some(stack),
        upstream: "<homeserver-address>:<port>".into(),
        cert_dir: "<certificate-directory>".into(),
        well_known_dir: "<well-known-directory>".into(),
    };
    plan::generic_remedies(code)
        .into_iter()
        .flat_map(|r| templates::render(&r, stack, &opts))
        .map(|f| Fix {
            codes: vec![code],
            ..f
        })
        .collect()
}

/// Is this safe to write into a configuration file? Host names, addresses and ports only:
/// a value from the network (a well-known's `m.server`, a DNS name) never carries quotes,
/// braces, spaces or newlines into the admin's configuration.
pub fn safe_value(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// The `m.server` of a well-known fix when nothing in the run says where the homeserver
/// answers: to be replaced by the admin (the fix's text says so).
pub const PLACEHOLDER_M_SERVER: &str = "HOMESERVER-HOST:443";

/// `host[:port]` → `host` (IPv6 literals keep their brackets).
pub(crate) fn host_only(host_port: &str) -> String {
    match crate::server_name::ServerName::parse(host_port) {
        Ok(n) => n.host_string(),
        Err(_) => host_port.to_owned(),
    }
}
