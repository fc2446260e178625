//! The snippets, per stack, as data: `{{NAME}}` placeholders filled with the run's values.
//! Each follows the server's own documentation and Synapse's reverse-proxy guide
//! (element-hq/synapse `docs/reverse_proxy.md` and `docs/delegate.md`, 2025); the comments
//! inside say why each line is there, for the admin who pastes them.

use super::{Fix, FixOptions, Placement, Remedy, SrvReason, Stack};

/// Fills `{{NAME}}` placeholders.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut s = template.to_owned();
    for (k, v) in values {
        s = s.replace(&format!("{{{{{k}}}}}"), v);
    }
    s
}

/// The command that checks the configuration and applies it.
fn reload(stack: Stack) -> Option<String> {
    let cmd = match stack {
        Stack::Nginx => "nginx -t && systemctl reload nginx",
        Stack::Caddy => "caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile",
        Stack::Apache => "apachectl configtest && systemctl reload apache2",
        Stack::Haproxy => "haproxy -c -f /etc/haproxy/haproxy.cfg && systemctl reload haproxy",
        // The file provider watches its directory (`providers.file.watch`).
        Stack::Traefik => return None,
        Stack::Synapse => "systemctl restart matrix-synapse",
        // Published with the zone's next serial; peers see it once the old TTL has passed.
        Stack::Dns => "bump the zone's serial and reload the DNS server",
    };
    Some(cmd.to_owned())
}

/// The values a remedy fills in, by placeholder.
fn values(remedy: &Remedy, opts: &FixOptions) -> Vec<(&'static str, String)> {
    let cert = |host: &str| {
        vec![
            ("CERT", format!("{}/{host}/fullchain.pem", opts.cert_dir)),
            ("KEY", format!("{}/{host}/privkey.pem", opts.cert_dir)),
            // HAProxy reads the chain and the key from one file.
            ("PEM", format!("{}/{host}/haproxy.pem", opts.cert_dir)),
        ]
    };
    let upstream_port = opts
        .upstream
        .rsplit(':')
        .next()
        .unwrap_or("8008")
        .to_owned();
    let mut v = vec![
        ("WK_DIR", opts.well_known_dir.clone()),
        ("UPSTREAM", opts.upstream.clone()),
        ("UPSTREAM_PORT", upstream_port),
    ];
    match remedy {
        Remedy::ServerWellKnown { site, m_server } => {
            v.push(("SITE", site.clone()));
            v.push(("M_SERVER", m_server.clone()));
        }
        Remedy::ClientWellKnown { site, base_url } => {
            v.push(("SITE", site.clone()));
            v.push(("BASE_URL", base_url.clone()));
        }
        Remedy::ProxyMatrix { host, port } | Remedy::FederationListener { host, port } => {
            v.push(("HOST", host.clone()));
            v.push(("PORT", port.to_string()));
            v.extend(cert(host));
        }
        Remedy::TlsProtocols { host, port } => {
            v.push(("HOST", host.clone()));
            v.push(("PORT", port.to_string()));
            v.extend(cert(host));
        }
        Remedy::Certificate { host, port, names } => {
            v.push(("HOST", host.clone()));
            v.push(("PORT", port.to_string()));
            v.push(("NAMES", names.join(", ")));
            v.push((
                "CERTBOT",
                names.iter().map(|n| format!(" -d {n}")).collect::<String>(),
            ));
            v.extend(cert(host));
        }
        Remedy::SrvRecords { .. } | Remedy::RemoveAddress { .. } | Remedy::ReplaceCname { .. } => {}
    }
    v
}

/// The fixes of one remedy for one stack (DNS remedies are the zone's, whatever the stack).
pub fn render(remedy: &Remedy, stack: Stack, opts: &FixOptions) -> Vec<Fix> {
    if let Some(fix) = zone(remedy) {
        return vec![fix];
    }
    let v = values(remedy, opts);
    let parts: Vec<Part> = match stack {
        Stack::Nginx => nginx(remedy),
        Stack::Caddy => caddy(remedy),
        Stack::Apache => apache(remedy),
        Stack::Haproxy => haproxy(remedy),
        Stack::Traefik => traefik(remedy),
        Stack::Synapse => synapse(remedy),
        Stack::Dns => vec![],
    };
    parts
        .into_iter()
        .map(|p| Fix {
            stack,
            codes: vec![],
            file: fill(p.file, &v),
            placement: p.placement,
            snippet: fill(p.snippet, &v),
            reload: if p.placement == Placement::FileContent {
                None
            } else {
                reload(stack)
            },
            why: fill(why_of(remedy, p.why), &v),
        })
        .collect()
}

/// The why of a part, unless the well-known's `m.server` is the placeholder.
fn why_of(remedy: &Remedy, why: &'static str) -> &'static str {
    match remedy {
        Remedy::ServerWellKnown { m_server, .. }
            if m_server == super::PLACEHOLDER_M_SERVER && why == WHY_WELL_KNOWN =>
        {
            WHY_WELL_KNOWN_UNKNOWN
        }
        _ => why,
    }
}

const WHY_WELL_KNOWN_UNKNOWN: &str = "Peers read https://{{SITE}}/.well-known/matrix/server first and need one JSON object with status 200. delegcheck found no address where your homeserver answers: replace {{M_SERVER}} with its host and port.";

/// One template: where it goes, the snippet, why.
struct Part {
    placement: Placement,
    file: &'static str,
    snippet: &'static str,
    why: &'static str,
}

const fn part(
    placement: Placement,
    file: &'static str,
    snippet: &'static str,
    why: &'static str,
) -> Part {
    Part {
        placement,
        file,
        snippet,
        why,
    }
}

const WHY_WELL_KNOWN: &str = "Peers read https://{{SITE}}/.well-known/matrix/server first; answered here as JSON with status 200, it delegates to {{M_SERVER}}, where federation answers.";
const WHY_CLIENT: &str = "Clients read https://{{SITE}}/.well-known/matrix/client to find the homeserver; web clients can only read it with the CORS header. The base URL is where the homeserver's client API answers: the one the file names where clients reached a homeserver, else the delegated host on 443; change it if clients reach yours elsewhere.";
const WHY_PROXY: &str = "Every /_matrix request to {{HOST}}:{{PORT}} must reach the homeserver with its path exactly as sent (signed requests fail otherwise).";
const WHY_LISTENER: &str = "Peers open TLS to {{HOST}} on port {{PORT}}, over IPv4 and IPv6: this listener answers there with the full chain and routes /_matrix to the homeserver.";
const WHY_TLS: &str = "Peers speak TLS 1.2 or 1.3 only (rustls-based servers refuse anything older): {{HOST}}:{{PORT}} must offer them.";
const WHY_CERT: &str = "Peers verify the certificate of {{HOST}}:{{PORT}} against {{NAMES}} and do not fetch missing intermediates: serve one for those names, with its full chain.";

// ---- nginx --------------------------------------------------------------------------------

const NGINX_SITE: &str =
    "the `server` block of {{SITE}} on port 443 (e.g. /etc/nginx/sites-enabled/{{SITE}})";
const NGINX_TARGET: &str =
    "the `server` block of {{HOST}} on port {{PORT}} (e.g. /etc/nginx/sites-enabled/{{HOST}})";

const NGINX_WELL_KNOWN: &str = r#"# The delegation, in place of any location the site has for this path. `=`
# matches this exact path before any other location, so no catch-all route
# (a website, a proxy) answers it with HTML.
location = /.well-known/matrix/server {
    # The spec reads the body as JSON whatever its type; tools and clients
    # check the type.
    default_type application/json;
    # Web clients and federation testers read it from other origins.
    add_header Access-Control-Allow-Origin "*" always;
    # Answered by nginx itself: status 200, exactly one JSON object, the
    # port written out.
    return 200 '{"m.server": "{{M_SERVER}}"}';
}
"#;

const NGINX_CLIENT: &str = r#"# Client discovery: where clients find the homeserver's client API.
location = /.well-known/matrix/client {
    default_type application/json;
    # Web clients (Element Web…) read it from their own origin: without
    # CORS the browser refuses the answer.
    add_header Access-Control-Allow-Origin "*" always;
    add_header Access-Control-Allow-Methods "GET, OPTIONS" always;
    add_header Access-Control-Allow-Headers "X-Requested-With, Content-Type, Authorization" always;
    return 200 '{"m.homeserver": {"base_url": "{{BASE_URL}}"}}';
}
"#;

const NGINX_PROXY: &str = r#"# In place of the site's locations for /_matrix: everything under /_matrix
# and /_synapse/client goes to the homeserver.
location ~ ^(/_matrix|/_synapse/client) {
    # No URI after the address, not even "/": nginx then passes the path
    # exactly as sent. With one it decodes and rewrites the path, and
    # signed federation requests fail.
    proxy_pass http://{{UPSTREAM}};
    # The homeserver sees the peer's address and scheme, not the proxy's.
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    # The name and port the peer asked for.
    proxy_set_header Host $host:$server_port;
    # Uploads: nginx allows 1 MiB by default; match max_upload_size of the
    # homeserver.
    client_max_body_size 50M;
    # Homeserver responses may be chunked, an HTTP/1.1 feature.
    proxy_http_version 1.1;
}
"#;

const NGINX_LISTENER: &str = r#"# Federation on port {{PORT}}: peers open TLS here for {{HOST}}.
server {
    # Both address families: peers with IPv6 try the AAAA address first.
    # `ssl` makes it TLS; without it nginx answers the handshake with
    # plain HTTP.
    listen {{PORT}} ssl;
    listen [::]:{{PORT}} ssl;
    server_name {{HOST}};

    # fullchain.pem: the certificate and its intermediates (peers do not
    # fetch them).
    ssl_certificate {{CERT}};
    ssl_certificate_key {{KEY}};

    location ~ ^(/_matrix|/_synapse/client) {
        # No URI after the address: the path goes to the homeserver
        # exactly as sent.
        proxy_pass http://{{UPSTREAM}};
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Host $host:$server_port;
        client_max_body_size 50M;
        proxy_http_version 1.1;
    }
}
"#;

const NGINX_CERT: &str = r#"# In place of the site's ssl_certificate lines. The certificate must cover
# {{NAMES}} (certbot certonly --cert-name {{HOST}}{{CERTBOT}}).
# fullchain.pem is the certificate followed by its intermediates; cert.pem
# alone makes peers fail with "unknown issuer" (browsers hide this by
# fetching intermediates).
ssl_certificate {{CERT}};
ssl_certificate_key {{KEY}};
"#;

const NGINX_TLS: &str = r#"# In place of the site's ssl_protocols line: TLS 1.2 and 1.3, what every
# homeserver speaks; older versions are refused by rustls-based peers
# (conduwuit, tuwunel).
ssl_protocols TLSv1.2 TLSv1.3;
"#;

fn nginx(remedy: &Remedy) -> Vec<Part> {
    use Placement::*;
    match remedy {
        Remedy::ServerWellKnown { .. } => vec![part(
            InsideSite,
            NGINX_SITE,
            NGINX_WELL_KNOWN,
            WHY_WELL_KNOWN,
        )],
        Remedy::ClientWellKnown { .. } => {
            vec![part(InsideSite, NGINX_SITE, NGINX_CLIENT, WHY_CLIENT)]
        }
        Remedy::ProxyMatrix { .. } => vec![part(InsideSite, NGINX_TARGET, NGINX_PROXY, WHY_PROXY)],
        Remedy::FederationListener { .. } => vec![part(
            TopLevel,
            "a `server` block of its own in the `http` block (e.g. /etc/nginx/sites-enabled/matrix-federation)",
            NGINX_LISTENER,
            WHY_LISTENER,
        )],
        Remedy::Certificate { .. } => vec![part(InsideSite, NGINX_TARGET, NGINX_CERT, WHY_CERT)],
        Remedy::TlsProtocols { .. } => vec![part(InsideSite, NGINX_TARGET, NGINX_TLS, WHY_TLS)],
        _ => vec![],
    }
}

// ---- Caddy --------------------------------------------------------------------------------

const CADDY_SITE: &str = "the site block of {{SITE}} in the Caddyfile (/etc/caddy/Caddyfile)";
const CADDY_TARGET: &str =
    "the site block of {{HOST}}:{{PORT}} in the Caddyfile (/etc/caddy/Caddyfile)";

const CADDY_WELL_KNOWN: &str = r#"# The delegation, in place of anything the site has for this path,
# answered by Caddy itself: a `handle` block runs before the site's proxy
# or file server, so no catch-all route answers it with HTML.
handle /.well-known/matrix/server {
    # The spec reads the body as JSON whatever its type; tools and clients
    # check the type.
    header Content-Type application/json
    # Web clients and federation testers read it from other origins.
    header Access-Control-Allow-Origin *
    respond `{"m.server": "{{M_SERVER}}"}` 200
}
"#;

const CADDY_CLIENT: &str = r#"# Client discovery: where clients find the homeserver's client API.
handle /.well-known/matrix/client {
    header Content-Type application/json
    # Web clients read it from their own origin: without CORS the browser
    # refuses it.
    header Access-Control-Allow-Origin *
    header Access-Control-Allow-Methods "GET, OPTIONS"
    header Access-Control-Allow-Headers "X-Requested-With, Content-Type, Authorization"
    respond `{"m.homeserver": {"base_url": "{{BASE_URL}}"}}` 200
}
"#;

const CADDY_PROXY: &str = r#"# /_matrix and /_synapse/client to the homeserver. A `handle` block runs
# before the site's file server or catch-all; reverse_proxy passes the
# path as sent and sets X-Forwarded-For and X-Forwarded-Proto itself.
handle /_matrix/* {
    reverse_proxy {{UPSTREAM}}
}
handle /_synapse/client/* {
    reverse_proxy {{UPSTREAM}}
}
"#;

const CADDY_LISTENER: &str = r#"# Federation on port {{PORT}}: Caddy listens on every address, IPv4 and
# IPv6.
{{HOST}}:{{PORT}} {
    # The certificate with its chain (drop this line to let Caddy obtain
    # one itself).
    tls {{CERT}} {{KEY}}
    reverse_proxy /_matrix/* {{UPSTREAM}}
}
"#;

const CADDY_CERT: &str = r#"# In place of the site's `tls` line. The certificate must cover {{NAMES}},
# and the file must hold the chain: fullchain.pem, not cert.pem. (Or drop
# the `tls` line: Caddy then obtains and renews a certificate for the
# site's address itself.)
tls {{CERT}} {{KEY}}
"#;

const CADDY_TLS: &str = r#"# In place of the site's `tls` line: Caddy offers TLS 1.2 and 1.3 by
# default; a `protocols` line that allows older versions is what to
# remove.
tls {{CERT}} {{KEY}} {
    protocols tls1.2 tls1.3
}
"#;

fn caddy(remedy: &Remedy) -> Vec<Part> {
    use Placement::*;
    match remedy {
        Remedy::ServerWellKnown { .. } => vec![part(
            InsideSite,
            CADDY_SITE,
            CADDY_WELL_KNOWN,
            WHY_WELL_KNOWN,
        )],
        Remedy::ClientWellKnown { .. } => {
            vec![part(InsideSite, CADDY_SITE, CADDY_CLIENT, WHY_CLIENT)]
        }
        Remedy::ProxyMatrix { .. } => vec![part(InsideSite, CADDY_TARGET, CADDY_PROXY, WHY_PROXY)],
        Remedy::FederationListener { .. } => vec![part(
            TopLevel,
            "a site block of its own in the Caddyfile (/etc/caddy/Caddyfile)",
            CADDY_LISTENER,
            WHY_LISTENER,
        )],
        Remedy::Certificate { .. } => vec![part(InsideSite, CADDY_TARGET, CADDY_CERT, WHY_CERT)],
        Remedy::TlsProtocols { .. } => vec![part(InsideSite, CADDY_TARGET, CADDY_TLS, WHY_TLS)],
        _ => vec![],
    }
}

// ---- Apache httpd -------------------------------------------------------------------------

const APACHE_SITE: &str =
    "the <VirtualHost *:443> of {{SITE}} (e.g. /etc/apache2/sites-enabled/{{SITE}}.conf)";
const APACHE_TARGET: &str =
    "the <VirtualHost *:{{PORT}}> of {{HOST}} (e.g. /etc/apache2/sites-enabled/{{HOST}}.conf)";

const APACHE_WELL_KNOWN: &str = r#"# The delegation, served from a directory of its own (the file `server` in
# it), outside the website's rewrite rules. Needs mod_alias and
# mod_headers.
Alias /.well-known/matrix {{WK_DIR}}/{{SITE}}
<Directory {{WK_DIR}}/{{SITE}}>
    # The files have no extension: say they are JSON.
    ForceType application/json
    # Web clients and federation testers read them from other origins.
    Header always set Access-Control-Allow-Origin "*"
    Header always set Access-Control-Allow-Methods "GET, OPTIONS"
    Header always set Access-Control-Allow-Headers "X-Requested-With, Content-Type, Authorization"
    Require all granted
</Directory>
<IfModule mod_proxy.c>
    # Not to the proxy, if the site proxies everything else.
    ProxyPass /.well-known/matrix !
</IfModule>
"#;

const APACHE_WELL_KNOWN_FILE: &str = r#"{"m.server": "{{M_SERVER}}"}
"#;

const APACHE_CLIENT_FILE: &str = r#"{"m.homeserver": {"base_url": "{{BASE_URL}}"}}
"#;

const APACHE_PROXY: &str = r#"# /_matrix and /_synapse/client to the homeserver (mod_proxy,
# mod_proxy_http, mod_headers).
RequestHeader set "X-Forwarded-Proto" expr=%{REQUEST_SCHEME}
# Keep %2F in paths as sent; Apache rejects or decodes it otherwise.
AllowEncodedSlashes NoDecode
# The Host the peer sent (a missing one can loop redirects).
ProxyPreserveHost on
# `nocanon`: pass the path exactly as sent; Apache canonicalises it
# otherwise and signed federation requests fail.
ProxyPass /_matrix http://{{UPSTREAM}}/_matrix nocanon
ProxyPassReverse /_matrix http://{{UPSTREAM}}/_matrix
ProxyPass /_synapse/client http://{{UPSTREAM}}/_synapse/client nocanon
ProxyPassReverse /_synapse/client http://{{UPSTREAM}}/_synapse/client
"#;

const APACHE_LISTENER: &str = r#"# Federation on port {{PORT}}: `Listen {{PORT}}` binds every address, IPv4
# and IPv6.
Listen {{PORT}}
<VirtualHost *:{{PORT}}>
    ServerName {{HOST}}
    # TLS, with the certificate and its intermediates in one file (Apache
    # 2.4.8+).
    SSLEngine on
    SSLCertificateFile {{CERT}}
    SSLCertificateKeyFile {{KEY}}
    RequestHeader set "X-Forwarded-Proto" expr=%{REQUEST_SCHEME}
    AllowEncodedSlashes NoDecode
    ProxyPreserveHost on
    # `nocanon`: the path goes to the homeserver exactly as sent.
    ProxyPass /_matrix http://{{UPSTREAM}}/_matrix nocanon
    ProxyPassReverse /_matrix http://{{UPSTREAM}}/_matrix
</VirtualHost>
"#;

const APACHE_CERT: &str = r#"# In place of the site's SSLCertificate* lines. The certificate must cover
# {{NAMES}} (certbot certonly --cert-name {{HOST}}{{CERTBOT}});
# fullchain.pem holds the intermediates too, which peers need
# (SSLCertificateChainFile is no longer needed).
SSLCertificateFile {{CERT}}
SSLCertificateKeyFile {{KEY}}
"#;

const APACHE_TLS: &str = r#"# In place of the site's SSLProtocol line: TLS 1.2 and 1.3 only (mod_ssl).
SSLProtocol -all +TLSv1.2 +TLSv1.3
"#;

fn apache(remedy: &Remedy) -> Vec<Part> {
    use Placement::*;
    match remedy {
        Remedy::ServerWellKnown { .. } => vec![
            part(
                FileContent,
                "{{WK_DIR}}/{{SITE}}/server (a new file)",
                APACHE_WELL_KNOWN_FILE,
                "The delegation document itself: one JSON object, without a BOM.",
            ),
            part(InsideSite, APACHE_SITE, APACHE_WELL_KNOWN, WHY_WELL_KNOWN),
        ],
        Remedy::ProxyMatrix { .. } => {
            vec![part(InsideSite, APACHE_TARGET, APACHE_PROXY, WHY_PROXY)]
        }
        Remedy::FederationListener { .. } => vec![part(
            TopLevel,
            "a site of its own (e.g. /etc/apache2/sites-enabled/matrix-federation.conf)",
            APACHE_LISTENER,
            WHY_LISTENER,
        )],
        Remedy::Certificate { .. } => vec![part(InsideSite, APACHE_TARGET, APACHE_CERT, WHY_CERT)],
        Remedy::TlsProtocols { .. } => vec![part(InsideSite, APACHE_TARGET, APACHE_TLS, WHY_TLS)],
        Remedy::ClientWellKnown { .. } => vec![
            part(
                FileContent,
                "{{WK_DIR}}/{{SITE}}/client (a new file)",
                APACHE_CLIENT_FILE,
                "The client discovery document itself: one JSON object, without a BOM.",
            ),
            part(InsideSite, APACHE_SITE, APACHE_WELL_KNOWN, WHY_CLIENT),
        ],
        _ => vec![],
    }
}

// ---- HAProxy ------------------------------------------------------------------------------

const HAPROXY_FRONTEND_SITE: &str =
    "the `frontend` that terminates TLS for {{SITE}} on port 443 (/etc/haproxy/haproxy.cfg)";
const HAPROXY_FRONTEND_TARGET: &str =
    "the `frontend` that terminates TLS for {{HOST}} on port {{PORT}} (/etc/haproxy/haproxy.cfg)";

const HAPROXY_WELL_KNOWN: &str = r#"# The delegation, answered by HAProxy itself (2.2+), before any
# use_backend: status 200, JSON, readable from other origins.
http-request return status 200 content-type application/json hdr Access-Control-Allow-Origin "*" string '{"m.server": "{{M_SERVER}}"}' if { path /.well-known/matrix/server }
"#;

const HAPROXY_CLIENT: &str = r#"# Client discovery, with the CORS headers web clients need.
http-request return status 200 content-type application/json hdr Access-Control-Allow-Origin "*" hdr Access-Control-Allow-Methods "GET, OPTIONS" hdr Access-Control-Allow-Headers "X-Requested-With, Content-Type, Authorization" string '{"m.homeserver": {"base_url": "{{BASE_URL}}"}}' if { path /.well-known/matrix/client }
"#;

const HAPROXY_PROXY: &str = r#"# The homeserver sees the peer's address and scheme, not the proxy's.
http-request set-header X-Forwarded-Proto https if { ssl_fc }
http-request set-header X-Forwarded-For %[src]
# /_matrix and /_synapse/client to the homeserver; HAProxy passes the path
# unchanged.
acl matrix-path path_beg /_matrix /_synapse/client
use_backend matrix if matrix-path
"#;

const HAPROXY_BACKEND: &str = r#"# The homeserver's plain-HTTP listener.
backend matrix
    mode http
    server matrix {{UPSTREAM}}
"#;

const HAPROXY_LISTENER: &str = r#"# Federation on port {{PORT}}, on IPv4 and IPv6, with TLS: the .pem holds
# the full chain and the key (cat fullchain.pem privkey.pem >
# haproxy.pem).
frontend matrix-federation
    mode http
    bind :{{PORT}} ssl crt {{PEM}} alpn h2,http/1.1
    bind :::{{PORT}} v6only ssl crt {{PEM}} alpn h2,http/1.1
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-For %[src]
    default_backend matrix
"#;

const HAPROXY_CERT: &str = r#"# In place of the frontend's `bind … ssl crt` line. The certificate must
# cover {{NAMES}}; HAProxy sends what the .pem holds, so it must hold the
# intermediates too: cat fullchain.pem privkey.pem > {{PEM}}
bind :{{PORT}} ssl crt {{PEM}} alpn h2,http/1.1
"#;

const HAPROXY_TLS: &str = r#"# In place of the frontend's `bind … ssl` line: nothing older than TLS
# 1.2.
bind :{{PORT}} ssl crt {{PEM}} ssl-min-ver TLSv1.2 alpn h2,http/1.1
"#;

fn haproxy(remedy: &Remedy) -> Vec<Part> {
    use Placement::*;
    let backend = || {
        part(
            TopLevel,
            "a `backend` section of its own (/etc/haproxy/haproxy.cfg)",
            HAPROXY_BACKEND,
            "The backend the frontend's use_backend names: the homeserver's listener.",
        )
    };
    match remedy {
        Remedy::ServerWellKnown { .. } => vec![part(
            Frontend,
            HAPROXY_FRONTEND_SITE,
            HAPROXY_WELL_KNOWN,
            WHY_WELL_KNOWN,
        )],
        Remedy::ClientWellKnown { .. } => vec![part(
            Frontend,
            HAPROXY_FRONTEND_SITE,
            HAPROXY_CLIENT,
            WHY_CLIENT,
        )],
        Remedy::ProxyMatrix { .. } => vec![
            part(Frontend, HAPROXY_FRONTEND_TARGET, HAPROXY_PROXY, WHY_PROXY),
            backend(),
        ],
        Remedy::FederationListener { .. } => vec![
            part(
                TopLevel,
                "a `frontend` section of its own (/etc/haproxy/haproxy.cfg)",
                HAPROXY_LISTENER,
                WHY_LISTENER,
            ),
            backend(),
        ],
        Remedy::Certificate { .. } => vec![part(
            Frontend,
            HAPROXY_FRONTEND_TARGET,
            HAPROXY_CERT,
            WHY_CERT,
        )],
        Remedy::TlsProtocols { .. } => vec![part(
            Frontend,
            HAPROXY_FRONTEND_TARGET,
            HAPROXY_TLS,
            WHY_TLS,
        )],
        _ => vec![],
    }
}

// ---- Traefik (dynamic file configuration) ---------------------------------------------------

const TRAEFIK_FILE: &str =
    "a file of the file provider's directory (e.g. /etc/traefik/dynamic/matrix.yml)";

const TRAEFIK_PROXY: &str = r#"http:
  routers:
    matrix:
      # /_matrix and /_synapse/client on {{HOST}} to the homeserver.
      # Traefik passes the path as sent and sets X-Forwarded-For and
      # X-Forwarded-Proto itself.
      rule: "Host(`{{HOST}}`) && (PathPrefix(`/_matrix`) || PathPrefix(`/_synapse/client`))"
      service: matrix
      tls: {}
  services:
    matrix:
      loadBalancer:
        servers:
          - url: "http://{{UPSTREAM}}"
"#;

const TRAEFIK_CLIENT: &str = r#"http:
  routers:
    matrix-client-well-known:
      # Traefik cannot answer with a fixed body: the homeserver serves the
      # file (Synapse does with `serve_client_wellknown`), with the CORS
      # headers added here.
      rule: "Host(`{{SITE}}`) && Path(`/.well-known/matrix/client`)"
      service: matrix
      middlewares: [matrix-cors]
      tls: {}
  middlewares:
    matrix-cors:
      headers:
        accessControlAllowOriginList: ["*"]
        accessControlAllowMethods: [GET, OPTIONS]
        accessControlAllowHeaders: [X-Requested-With, Content-Type, Authorization]
  services:
    matrix:
      loadBalancer:
        servers:
          - url: "http://{{UPSTREAM}}"
"#;

const TRAEFIK_CERT: &str = r#"tls:
  certificates:
    # The certificate must cover {{NAMES}}; fullchain.pem holds its
    # intermediates, which peers need. (Or let a certificate resolver
    # obtain it: `tls: {certResolver: …}`.)
    - certFile: {{CERT}}
      keyFile: {{KEY}}
"#;

const TRAEFIK_TLS: &str = r#"tls:
  options:
    # The options every router uses unless it names others: TLS 1.2 and
    # 1.3 only.
    default:
      minVersion: VersionTLS12
"#;

fn traefik(remedy: &Remedy) -> Vec<Part> {
    use Placement::*;
    match remedy {
        Remedy::ProxyMatrix { .. } => vec![part(Yaml, TRAEFIK_FILE, TRAEFIK_PROXY, WHY_PROXY)],
        Remedy::ClientWellKnown { .. } => {
            vec![part(Yaml, TRAEFIK_FILE, TRAEFIK_CLIENT, WHY_CLIENT)]
        }
        Remedy::Certificate { .. } => vec![part(Yaml, TRAEFIK_FILE, TRAEFIK_CERT, WHY_CERT)],
        Remedy::TlsProtocols { .. } => vec![part(Yaml, TRAEFIK_FILE, TRAEFIK_TLS, WHY_TLS)],
        // Traefik serves no fixed body; the well-known comes from Synapse (see its fix) or a
        // static file server behind Traefik.
        Remedy::ServerWellKnown { site, m_server } if *m_server == format!("{site}:443") => {
            let mut v = synapse(remedy);
            v.push(part(Yaml, TRAEFIK_FILE, TRAEFIK_SERVER_WK, WHY_WELL_KNOWN));
            v
        }
        _ => vec![],
    }
}

const TRAEFIK_SERVER_WK: &str = r#"http:
  routers:
    matrix-server-well-known:
      # Traefik cannot answer with a fixed body: Synapse serves the file
      # (`serve_server_wellknown: true`), reached through this router.
      rule: "Host(`{{SITE}}`) && Path(`/.well-known/matrix/server`)"
      service: matrix
      tls: {}
  services:
    matrix:
      loadBalancer:
        servers:
          - url: "http://{{UPSTREAM}}"
"#;

// ---- Synapse (homeserver.yaml) --------------------------------------------------------------

const SYNAPSE_FILE: &str = "homeserver.yaml (e.g. /etc/matrix-synapse/homeserver.yaml)";

const SYNAPSE_WELL_KNOWN: &str = r#"# Synapse answers https://{{SITE}}/.well-known/matrix/server itself with
# {"m.server": "{{SITE}}:443"}: only right when https://{{SITE}}/ reaches
# Synapse.
serve_server_wellknown: true
"#;

// Synapse answers the well-known files itself (element-hq/synapse
// `synapse/rest/well_known.py`): the server file as `server_name:443`, the client file
// only with `serve_client_wellknown`, its base URL from `public_baseurl`.
const SYNAPSE_CLIENT: &str = r#"# Synapse answers https://{{SITE}}/.well-known/matrix/client itself, with
# this base URL; only right when https://{{SITE}}/ reaches Synapse.
public_baseurl: "{{BASE_URL}}/"
serve_client_wellknown: true
"#;

const SYNAPSE_LISTENER: &str = r#"listeners:
  # The plain-HTTP listener the reverse proxy forwards /_matrix to.
  - port: {{UPSTREAM_PORT}}
    tls: false
    type: http
    # Trust X-Forwarded-For/-Proto from the proxy (the peer's address,
    # https).
    x_forwarded: true
    # Only the proxy on this machine reaches it.
    bind_addresses: ['127.0.0.1', '::1']
    resources:
      # Both APIs: federation needs `federation` (and the keys under it).
      - names: [client, federation]
        compress: false
"#;

fn synapse(remedy: &Remedy) -> Vec<Part> {
    use Placement::*;
    match remedy {
        // Synapse writes the server name with port 443; any other delegation needs a file.
        Remedy::ServerWellKnown { site, m_server } if *m_server == format!("{site}:443") => {
            vec![part(Yaml, SYNAPSE_FILE, SYNAPSE_WELL_KNOWN, WHY_WELL_KNOWN)]
        }
        Remedy::ClientWellKnown { .. } => {
            vec![part(Yaml, SYNAPSE_FILE, SYNAPSE_CLIENT, WHY_CLIENT)]
        }
        Remedy::ProxyMatrix { .. } | Remedy::FederationListener { .. } => {
            vec![part(Yaml, SYNAPSE_FILE, SYNAPSE_LISTENER, WHY_PROXY)]
        }
        _ => vec![],
    }
}

// ---- the DNS zone ---------------------------------------------------------------------------

/// The zone fixes (whatever the web server).
fn zone(remedy: &Remedy) -> Option<Fix> {
    let (snippet, why, file) = match remedy {
        Remedy::SrvRecords {
            name,
            records,
            reason,
        } => {
            let mut s = match reason {
                SrvReason::Cname => "; In place of the SRV records: each target is the name that has the A/AAAA\n; records, never an alias (RFC 2782; the spec's server-name resolution).\n".to_owned(),
                SrvReason::Legacy => "; `_matrix._tcp` is deprecated (spec v1.8, MSC4040): publish the same records\n; under `_matrix-fed._tcp`, which servers look up first.\n".to_owned(),
            };
            for (p, w, port, target) in records {
                s.push_str(&format!("{name}. 3600 IN SRV {p} {w} {port} {target}.\n"));
            }
            let why = match reason {
                SrvReason::Cname => {
                    "SRV targets must not be aliases; stricter resolvers refuse them."
                }
                SrvReason::Legacy => {
                    "Servers look up `_matrix-fed._tcp` first; the legacy name is going away."
                }
            };
            (s, why, format!("the DNS zone of {}", zone_of(name)))
        }
        Remedy::ReplaceCname {
            alias,
            canonical,
            addrs,
        } => {
            let mut s = format!(
                "; Or keep the SRV records and give {alias} the addresses of {canonical}\n; in place of its CNAME (a name with a CNAME has no other records);\n; update them when those of {canonical} change.\n"
            );
            for a in addrs {
                let t = if a.is_ipv6() { "AAAA" } else { "A" };
                s.push_str(&format!("{alias}. 3600 IN {t} {a}\n"));
            }
            (
                s,
                "SRV targets must have address records of their own, not an alias.",
                format!("the DNS zone that holds {alias}"),
            )
        }
        Remedy::RemoveAddress { host, addrs } => {
            let mut s = format!(
                "; Delete these records: {host} does not answer federation there.\n; Keep them only once the host listens there (see the listener fix).\n"
            );
            for a in addrs {
                let t = if a.is_ipv6() { "AAAA" } else { "A" };
                s.push_str(&format!("; {host}. IN {t} {a}\n"));
            }
            (
                s,
                "Peers try every published address; one that does not answer costs them a timeout or the connection.",
                format!("the DNS zone that holds {host}"),
            )
        }
        _ => return None,
    };
    Some(Fix {
        stack: Stack::Dns,
        codes: vec![],
        file,
        placement: Placement::Zone,
        snippet,
        reload: reload(Stack::Dns),
        why: why.to_owned(),
    })
}

/// The zone a name is in, as far as a report can tell: the name without its first label
/// for `_matrix-fed._tcp.` names, else the name itself.
fn zone_of(name: &str) -> String {
    name.strip_prefix("_matrix-fed._tcp.")
        .or_else(|| name.strip_prefix("_matrix._tcp."))
        .unwrap_or(name)
        .to_owned()
}
