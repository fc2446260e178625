//! The fixes, proven end to end on real servers: a real nginx (and Caddy) serves a broken
//! setup on loopback, behind the lab's DNS and CA, in front of a lab homeserver. delegcheck
//! reports the finding and identifies the server from its answers; the snippet it prints for
//! that finding is put into the configuration where the admin would put it (in place of the
//! broken lines); the server reloads; and the re-check passes.
//!
//! Without nginx or caddy the tests say so loudly and skip; under `CI=true` they fail
//! (`.ci/run` installs both).

mod fixes_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use delegcheck::findings::{Code, Severity};
use delegcheck::fixes::{Fix, FixOptions, Placement, Stack};
use delegcheck::lab::https::{Behaviour, HostSpec};
use delegcheck::lab::{Lab, LabOptions};
use delegcheck::net::ConnectTo;
use delegcheck::report::{ClientState, Status};
use delegcheck::{Config, Report};
use fixes_support::{Scratch, free_port, require, run, write_certs};

const SITE: &str = "example.test";
const MATRIX: &str = "matrix.example.test";
/// The logical addresses of the two names (DNS answers these; `--connect-to` maps them).
const SITE_IP: &str = "127.0.0.60";
const MATRIX_IP: &str = "127.0.0.61";
/// The lab homeserver's plain-HTTP listener (the `proxy_pass` upstream).
const HOMESERVER: &str = "127.0.0.62:8008";

/// The lab (DNS, CA, homeserver), the scratch directory with certificates in certbot's
/// layout, and the port the web server under test listens on.
struct World {
    lab: Lab,
    dir: Scratch,
    port: u16,
    upstream: SocketAddr,
    /// `--fix-for`, for a server that does not name itself.
    fix_for: Option<Stack>,
    /// Judge client discovery too (the client loops); the homeserver then sends the CORS
    /// headers Synapse sends on its client API.
    client: bool,
}

impl World {
    async fn new(tag: &str) -> World {
        World::build(tag, false).await
    }

    /// A world whose checks judge client discovery too.
    async fn with_clients(tag: &str) -> World {
        World::build(tag, true).await
    }

    async fn build(tag: &str, client: bool) -> World {
        let dns = vec![
            format!("{SITE} A {SITE_IP}"),
            format!("{MATRIX} A {MATRIX_IP}"),
        ];
        let homeserver = HostSpec {
            listen: vec![HOMESERVER.into()],
            behaviour: Behaviour::Http,
            matrix: Some(SITE.into()),
            cors: client,
            ..Default::default()
        };
        let lab = Lab::start_parts(&dns, &[homeserver], LabOptions::default())
            .await
            .expect("lab starts");
        let upstream = lab
            .connect_to
            .iter()
            .find(|c| c.host.as_deref() == Some("127.0.0.62"))
            .map(|c| c.to)
            .expect("the homeserver listens");
        let dir = Scratch::new(tag);
        for host in [SITE, MATRIX] {
            write_certs(&dir, host, &lab.issue(&[host.to_owned()]).expect("cert"));
        }
        dir.write(
            "www/index.html",
            "<!doctype html><html><body>Welcome</body></html>\n",
        );
        World {
            lab,
            dir,
            port: free_port(),
            upstream,
            fix_for: None,
            client,
        }
    }

    fn cert_dir(&self) -> String {
        self.dir.path().join("live").display().to_string()
    }

    /// The lab's network, with both names' port 443 on the server under test and their port
    /// 8448 on a closed port (refused, as on a host that serves only 443).
    fn config(&self) -> Config {
        let mut config = self.lab.config();
        // The federation loops judge federation only (their sites serve no client
        // well-known); the client loops judge both.
        config.client = self.client;
        let closed = free_port();
        for ip in [SITE_IP, MATRIX_IP] {
            for (port, to) in [(443, self.port), (8448, closed)] {
                config.connect_to.push(ConnectTo {
                    host: Some(ip.into()),
                    port: Some(port),
                    to: SocketAddr::from(([127, 0, 0, 1], to)),
                });
            }
        }
        config.fixes = FixOptions {
            stack: self.fix_for,
            upstream: self.upstream.to_string(),
            cert_dir: self.cert_dir(),
            well_known_dir: self
                .dir
                .path()
                .join("matrix-well-known")
                .display()
                .to_string(),
        };
        config
    }

    async fn check(&self) -> Report {
        delegcheck::check(SITE, &self.config())
            .await
            .expect("check runs")
    }
}

/// `text` with the lines between `# BEGIN tag` and `# END tag` replaced by `with`: the
/// admin's edit, in place of the broken lines (or into an empty spot).
fn replace_region(text: &str, tag: &str, with: &str) -> String {
    let begin = format!("# BEGIN {tag}\n");
    let end = format!("# END {tag}\n");
    let a = text.find(&begin).expect("region start") + begin.len();
    let b = text[a..].find(&end).expect("region end") + a;
    format!("{}{with}{}", &text[..a], &text[b..])
}

fn codes(r: &Report) -> Vec<Code> {
    r.findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| f.code)
        .collect()
}

/// Waits until something accepts on the port (the server has started).
async fn listening(port: u16, child: &mut Child, log: &Path) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the server exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listens on {port}");
}

/// Re-checks until the reloaded server answers with the new configuration (a reload
/// finishes asynchronously: old workers drain), at most a few seconds; returns the last
/// report.
async fn recheck_until_ok(world: &World) -> Report {
    let mut r = world.check().await;
    for _ in 0..30 {
        if r.ok && codes(&r).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        r = world.check().await;
    }
    r
}

/// The whole loop: broken → finding and fix (for the stack that answered, or the one
/// chosen) → applied: files of their own written, the snippet in `region` → reloaded →
/// passes.
async fn prove<S: WebServer>(world: &World, server: &mut S, code: Code, region: &str) -> Report {
    let before = world.check().await;
    assert!(
        codes(&before).contains(&code),
        "{code} not reported: {:?}\n{:#?}",
        codes(&before),
        before.findings
    );
    // Broken: federation fails, or (a client finding) the status says so.
    assert!(
        !before.ok || before.status != Status::Ok,
        "{:?}",
        before.status
    );
    let fixes: Vec<Fix> = before
        .fixes
        .iter()
        .filter(|f| f.codes.contains(&code))
        .cloned()
        .collect();
    assert!(!fixes.is_empty(), "no fix for {code}: {:#?}", before.fixes);
    if world.fix_for.is_none() {
        assert!(
            before
                .web_servers
                .iter()
                .any(|w| w.stack == Some(S::STACK) && w.evidence.starts_with("Server: ")),
            "identified from its answers: {:?}",
            before.web_servers
        );
    }
    let mut snippet = None;
    let mut top = String::new();
    for fix in &fixes {
        assert_eq!(fix.stack, S::STACK, "{fix:#?}");
        match fix.placement {
            Placement::FileContent => {
                let path = fix.file.trim_end_matches(" (a new file)");
                std::fs::create_dir_all(Path::new(path).parent().unwrap()).unwrap();
                std::fs::write(path, &fix.snippet).unwrap();
            }
            // A section of its own (HAProxy's backend): at the end of the configuration.
            Placement::TopLevel => top.push_str(&fix.snippet),
            _ => {
                assert!(snippet.is_none(), "one snippet per site: {fixes:#?}");
                snippet = Some(fix.snippet.clone());
            }
        }
    }
    let snippet = snippet.expect("a snippet for the site");
    server.apply(region, &snippet, &top);
    let after = recheck_until_ok(world).await;
    assert!(
        after.ok && codes(&after).is_empty(),
        "after the fix for {code} ({region}): {:?}\n{snippet}\n--- configuration:\n{}",
        codes(&after),
        server.text()
    );
    assert!(after.fixes.is_empty(), "{:#?}", after.fixes);
    before
}

/// A real web server process under test.
trait WebServer {
    const STACK: Stack;
    /// Puts `snippet` in the region and `top` (sections of their own) at the end, and
    /// reloads.
    fn apply(&mut self, region: &str, snippet: &str, top: &str);
    /// The configuration now.
    fn text(&self) -> String;
}

// ---- nginx --------------------------------------------------------------------------------

struct Nginx {
    bin: PathBuf,
    dir: PathBuf,
    conf: PathBuf,
    text: String,
    child: Child,
}

impl Nginx {
    async fn start(bin: PathBuf, world: &World, sites: &str) -> Nginx {
        let d = world.dir.path().display();
        let text = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n{sites}}}\n"
        );
        let conf = world.dir.write("nginx.conf", &text);
        let child = Command::new(&bin)
            .args(nginx_args(world.dir.path(), &conf))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let mut n = Nginx {
            bin,
            dir: world.dir.path().to_owned(),
            conf,
            text,
            child,
        };
        listening(world.port, &mut n.child, &n.dir.join("error.log")).await;
        n
    }
}

fn nginx_args(dir: &Path, conf: &Path) -> Vec<String> {
    vec![
        "-p".into(),
        dir.display().to_string(),
        "-e".into(),
        dir.join("error.log").display().to_string(),
        "-c".into(),
        conf.display().to_string(),
    ]
}

impl WebServer for Nginx {
    const STACK: Stack = Stack::Nginx;
    fn apply(&mut self, region: &str, snippet: &str, top: &str) {
        assert!(top.is_empty(), "no top-level section expected: {top}");
        self.text = replace_region(&self.text, region, snippet);
        std::fs::write(&self.conf, &self.text).expect("written");
        let args = nginx_args(&self.dir, &self.conf);
        run(Command::new(&self.bin).arg("-t").args(&args))
            .unwrap_or_else(|e| panic!("nginx -t refuses the fixed configuration: {e}"));
        run(Command::new(&self.bin).args(&args).args(["-s", "reload"]))
            .unwrap_or_else(|e| panic!("nginx -s reload: {e}"));
    }
    fn text(&self) -> String {
        self.text.clone()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops a server and waits for it: SIGTERM, which nginx's master passes on to its workers
/// (SIGKILL would leave them running, orphaned).
fn stop(child: &mut Child) {
    let pid = child.id() as libc::pid_t;
    // SAFETY: signalling our own child, which has not been waited for (its pid is still ours).
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) } == 0;
    if !sent {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// A TLS site of nginx on the world's port, for `name`, with `body` inside.
fn nginx_site(world: &World, name: &str, tls: &str, body: &str) -> String {
    let live = world.cert_dir();
    let tls = if tls.is_empty() {
        format!(
            "        ssl_certificate {live}/{name}/fullchain.pem;\n        ssl_certificate_key {live}/{name}/privkey.pem;\n"
        )
    } else {
        tls.to_owned()
    };
    format!(
        "    server {{\n        listen 127.0.0.1:{} ssl;\n        server_name {name};\n# BEGIN tls\n{tls}# END tls\n{body}    }}\n",
        world.port
    )
}

/// A website whose every path answers with its HTML page (a single-page app's catch-all).
const NGINX_WEBSITE: &str = "        location / {\n            default_type text/html;\n            return 200 '<!doctype html><html><body>Welcome</body></html>';\n        }\n";

fn nginx_proxy(world: &World) -> String {
    format!(
        "        location /_matrix {{\n            proxy_pass http://{};\n        }}\n",
        world.upstream
    )
}

fn nginx_well_known(m_server: &str) -> String {
    format!(
        "        location = /.well-known/matrix/server {{\n            default_type application/json;\n            return 200 '{{\"m.server\": \"{m_server}\"}}';\n        }}\n"
    )
}

async fn nginx_world(test: &str) -> Option<(World, PathBuf)> {
    let bin = require("nginx", "nginx", test)?;
    Some((World::new(test).await, bin))
}

/// The website's catch-all answers the well-known with HTML, and the homeserver answers on
/// 443 of the server name while peers knock on 8448: one snippet fixes both.
#[tokio::test]
async fn nginx_well_known_served_as_html_and_federation_on_443() {
    let Some((world, bin)) = nginx_world("nginx_well_known_served_as_html").await else {
        return;
    };
    let body = format!(
        "# BEGIN well-known\n# END well-known\n{}{NGINX_WEBSITE}",
        nginx_proxy(&world)
    );
    let sites = nginx_site(&world, SITE, "", &body);
    let mut nginx = Nginx::start(bin, &world, &sites).await;
    let before = prove(&world, &mut nginx, Code::WellKnownNotJson, "well-known").await;
    // The same snippet answered federation-on-443 (and the refused 8448): the re-check
    // passed with neither.
    assert!(
        codes(&before).contains(&Code::FederationOn443),
        "{:?}",
        codes(&before)
    );
}

/// `m.server` without the port: peers connect to 8448, the proxy serves 443.
#[tokio::test]
async fn nginx_m_server_without_port() {
    let Some((world, bin)) = nginx_world("nginx_m_server_without_port").await else {
        return;
    };
    let site = format!(
        "# BEGIN well-known\n{}# END well-known\n{NGINX_WEBSITE}",
        nginx_well_known(MATRIX)
    );
    let matrix = format!("# BEGIN matrix\n{}# END matrix\n", nginx_proxy(&world));
    let sites = nginx_site(&world, SITE, "", &site) + &nginx_site(&world, MATRIX, "", &matrix);
    let mut nginx = Nginx::start(bin, &world, &sites).await;
    prove(&world, &mut nginx, Code::FederationOn443, "well-known").await;
}

/// The delegated site before `/_matrix` was proxied: its website answers everything.
#[tokio::test]
async fn nginx_matrix_not_proxied() {
    let Some((world, bin)) = nginx_world("nginx_matrix_not_proxied").await else {
        return;
    };
    let site = format!(
        "# BEGIN well-known\n{}# END well-known\n",
        nginx_well_known(&format!("{MATRIX}:443"))
    );
    let matrix = format!("# BEGIN matrix\n# END matrix\n{NGINX_WEBSITE}");
    let sites = nginx_site(&world, SITE, "", &site) + &nginx_site(&world, MATRIX, "", &matrix);
    let mut nginx = Nginx::start(bin, &world, &sites).await;
    prove(&world, &mut nginx, Code::FederationVersionFailed, "matrix").await;
}

/// `proxy_pass` with a URI (`/`): nginx replaces the location's prefix, so the homeserver
/// gets `/federation/v1/version` instead of `/_matrix/federation/v1/version`.
#[tokio::test]
async fn nginx_proxy_pass_with_uri_mangles_the_path() {
    let Some((world, bin)) = nginx_world("nginx_proxy_pass_with_uri").await else {
        return;
    };
    let site = format!(
        "# BEGIN well-known\n{}# END well-known\n",
        nginx_well_known(&format!("{MATRIX}:443"))
    );
    let matrix = format!(
        "# BEGIN matrix\n        location /_matrix/ {{\n            proxy_pass http://{}/;\n        }}\n# END matrix\n",
        world.upstream
    );
    let sites = nginx_site(&world, SITE, "", &site) + &nginx_site(&world, MATRIX, "", &matrix);
    let mut nginx = Nginx::start(bin, &world, &sites).await;
    prove(&world, &mut nginx, Code::FederationNotRouted, "matrix").await;
}

/// The delegated site serves `cert.pem` (the leaf alone): peers cannot build the chain.
#[tokio::test]
async fn nginx_certificate_without_its_chain() {
    let Some((world, bin)) = nginx_world("nginx_certificate_without_its_chain").await else {
        return;
    };
    let live = world.cert_dir();
    let leaf_only = format!(
        "        ssl_certificate {live}/{MATRIX}/cert.pem;\n        ssl_certificate_key {live}/{MATRIX}/privkey.pem;\n"
    );
    let mut nginx = Nginx::start(bin, &world, &nginx_matrix_tls(&world, &leaf_only)).await;
    prove(&world, &mut nginx, Code::TlsIncompleteChain, "matrix-tls").await;
}

/// The delegated site serves the server name's certificate, not one for the delegated host.
#[tokio::test]
async fn nginx_certificate_for_another_name() {
    let Some((world, bin)) = nginx_world("nginx_certificate_for_another_name").await else {
        return;
    };
    let live = world.cert_dir();
    let other = format!(
        "        ssl_certificate {live}/{SITE}/fullchain.pem;\n        ssl_certificate_key {live}/{SITE}/privkey.pem;\n"
    );
    let mut nginx = Nginx::start(bin, &world, &nginx_matrix_tls(&world, &other)).await;
    prove(&world, &mut nginx, Code::TlsNameMismatch, "matrix-tls").await;
}

/// The server name delegating to the delegated host, whose TLS lines are `tls` (in the
/// region `matrix-tls`).
fn nginx_matrix_tls(world: &World, tls: &str) -> String {
    let site = format!(
        "# BEGIN well-known\n{}# END well-known\n",
        nginx_well_known(&format!("{MATRIX}:443"))
    );
    let matrix = nginx_proxy(world);
    let sites = nginx_site(world, SITE, "", &site) + &nginx_site(world, MATRIX, tls, &matrix);
    // The region of the second site is the one to fix: name it apart.
    let at = sites.rfind("# BEGIN tls").expect("second site");
    format!(
        "{}{}",
        &sites[..at],
        sites[at..]
            .replacen("# BEGIN tls", "# BEGIN matrix-tls", 1)
            .replacen("# END tls", "# END matrix-tls", 1)
    )
}

// ---- Caddy --------------------------------------------------------------------------------

struct Caddy {
    bin: PathBuf,
    dir: PathBuf,
    conf: PathBuf,
    admin: u16,
    text: String,
    child: Child,
}

impl Caddy {
    async fn start(bin: PathBuf, world: &World, sites: &str) -> Caddy {
        let admin = free_port();
        let text = format!(
            "{{\n    admin 127.0.0.1:{admin}\n    auto_https disable_redirects\n    http_port {}\n    storage file_system {}/caddy\n}}\n{sites}",
            free_port(),
            world.dir.path().display()
        );
        let conf = world.dir.write("Caddyfile", &text);
        let dir = world.dir.path().to_owned();
        let log = dir.join("caddy.log");
        let child = caddy_env(Command::new(&bin), &dir)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("caddy starts");
        let mut c = Caddy {
            bin,
            dir,
            conf,
            admin,
            text,
            child,
        };
        listening(world.port, &mut c.child, &log).await;
        c
    }
}

/// Caddy keeps its state under HOME/XDG: the scratch directory, not the user's.
fn caddy_env(mut cmd: Command, dir: &Path) -> Command {
    cmd.env("HOME", dir)
        .env("XDG_DATA_HOME", dir)
        .env("XDG_CONFIG_HOME", dir);
    cmd
}

impl WebServer for Caddy {
    const STACK: Stack = Stack::Caddy;
    fn apply(&mut self, region: &str, snippet: &str, top: &str) {
        assert!(top.is_empty(), "no top-level section expected: {top}");
        self.text = replace_region(&self.text, region, snippet);
        std::fs::write(&self.conf, &self.text).expect("written");
        let admin = format!("127.0.0.1:{}", self.admin);
        run(caddy_env(Command::new(&self.bin), &self.dir)
            .args([
                "reload",
                "--adapter",
                "caddyfile",
                "--address",
                &admin,
                "--config",
            ])
            .arg(&self.conf))
        .unwrap_or_else(|e| panic!("caddy reload refuses the fixed configuration: {e}"));
    }
    fn text(&self) -> String {
        self.text.clone()
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A Caddy site on the world's port for `name`: its certificate, `body`, then a website
/// whose every path answers with its page (a single-page app's catch-all).
fn caddy_site(world: &World, name: &str, body: &str) -> String {
    let live = world.cert_dir();
    let tls = format!("    tls {live}/{name}/fullchain.pem {live}/{name}/privkey.pem\n");
    caddy_site_tls(world, name, &tls, body)
}

/// [`caddy_site`] with its `tls` lines given (in the region `tls`).
fn caddy_site_tls(world: &World, name: &str, tls: &str, body: &str) -> String {
    let www = world.dir.path().join("www");
    format!(
        "https://{name}:{} {{\n    bind 127.0.0.1\n# BEGIN tls\n{tls}# END tls\n{body}    handle {{\n        root * {}\n        try_files {{path}} /index.html\n        file_server\n    }}\n}}\n",
        world.port,
        www.display()
    )
}

fn caddy_proxy(world: &World) -> String {
    format!(
        "    handle /_matrix/* {{\n        reverse_proxy {}\n    }}\n",
        world.upstream
    )
}

async fn caddy_world(test: &str) -> Option<(World, PathBuf)> {
    let bin = require("caddy", "caddy", test)?;
    Some((World::new(test).await, bin))
}

#[tokio::test]
async fn caddy_well_known_served_as_html_and_federation_on_443() {
    let Some((world, bin)) = caddy_world("caddy_well_known_served_as_html").await else {
        return;
    };
    let body = format!(
        "# BEGIN well-known\n# END well-known\n{}",
        caddy_proxy(&world)
    );
    let mut caddy = Caddy::start(bin, &world, &caddy_site(&world, SITE, &body)).await;
    let before = prove(&world, &mut caddy, Code::WellKnownNotJson, "well-known").await;
    // The same snippet answered federation-on-443 (and the refused 8448): the re-check
    // passed with neither.
    assert!(
        codes(&before).contains(&Code::FederationOn443),
        "{:?}",
        codes(&before)
    );
}

#[tokio::test]
async fn caddy_m_server_without_port() {
    let Some((world, bin)) = caddy_world("caddy_m_server_without_port").await else {
        return;
    };
    let site = format!(
        "# BEGIN well-known\n    handle /.well-known/matrix/server {{\n        respond `{{\"m.server\": \"{MATRIX}\"}}` 200\n    }}\n# END well-known\n"
    );
    let sites = caddy_site(&world, SITE, &site) + &caddy_site(&world, MATRIX, &caddy_proxy(&world));
    let mut caddy = Caddy::start(bin, &world, &sites).await;
    prove(&world, &mut caddy, Code::FederationOn443, "well-known").await;
}

#[tokio::test]
async fn caddy_matrix_not_proxied() {
    let Some((world, bin)) = caddy_world("caddy_matrix_not_proxied").await else {
        return;
    };
    let site = format!(
        "    handle /.well-known/matrix/server {{\n        respond `{{\"m.server\": \"{MATRIX}:443\"}}` 200\n    }}\n"
    );
    let matrix = "# BEGIN matrix\n# END matrix\n";
    let sites = caddy_site(&world, SITE, &site) + &caddy_site(&world, MATRIX, matrix);
    let mut caddy = Caddy::start(bin, &world, &sites).await;
    prove(&world, &mut caddy, Code::FederationVersionFailed, "matrix").await;
}

/// The delegated site's `tls` line names `cert.pem` (the leaf alone).
#[tokio::test]
async fn caddy_certificate_without_its_chain() {
    let Some((world, bin)) = caddy_world("caddy_certificate_without_its_chain").await else {
        return;
    };
    let site = format!(
        "    handle /.well-known/matrix/server {{\n        respond `{{\"m.server\": \"{MATRIX}:443\"}}` 200\n    }}\n"
    );
    let live = world.cert_dir();
    let leaf_only = format!("    tls {live}/{MATRIX}/cert.pem {live}/{MATRIX}/privkey.pem\n");
    let sites = caddy_site(&world, SITE, &site)
        + &caddy_site_tls(&world, MATRIX, &leaf_only, &caddy_proxy(&world))
            .replace("# BEGIN tls", "# BEGIN matrix-tls")
            .replace("# END tls", "# END matrix-tls");
    let mut caddy = Caddy::start(bin, &world, &sites).await;
    prove(&world, &mut caddy, Code::TlsIncompleteChain, "matrix-tls").await;
}

#[test]
fn regions_are_replaced_in_place() {
    let text = "a\n# BEGIN x\nold\n# END x\nb\n";
    assert_eq!(
        replace_region(text, "x", "new\n"),
        "a\n# BEGIN x\nnew\n# END x\nb\n"
    );
}

// ---- Apache httpd ---------------------------------------------------------------------------

struct Apache {
    bin: PathBuf,
    conf: PathBuf,
    text: String,
    child: Child,
}

const APACHE_MODULES: &[(&str, &str)] = &[
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("alias_module", "mod_alias.so"),
    ("dir_module", "mod_dir.so"),
    ("mime_module", "mod_mime.so"),
    ("headers_module", "mod_headers.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
    ("ssl_module", "mod_ssl.so"),
];

impl Apache {
    async fn start(bin: PathBuf, world: &World, sites: &str) -> Apache {
        let d = world.dir.path().display();
        let mut text = format!(
            "ServerName localhost\nServerRoot {d}\nDefaultRuntimeDir {d}\nPidFile {d}/apache.pid\nErrorLog {d}/error.log\n"
        );
        for (name, file) in APACHE_MODULES {
            text.push_str(&format!(
                "LoadModule {name} /usr/lib/apache2/modules/{file}\n"
            ));
        }
        // No system file: the types the site needs are set where it needs them.
        text.push_str("TypesConfig /dev/null\n");
        text.push_str(&format!("Listen 127.0.0.1:{}\n{sites}", world.port));
        let conf = world.dir.write("apache2.conf", &text);
        let child = Command::new(&bin)
            .arg("-f")
            .arg(&conf)
            .arg("-DFOREGROUND")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("apache2 starts");
        let mut a = Apache {
            bin,
            conf,
            text,
            child,
        };
        listening(
            world.port,
            &mut a.child,
            &world.dir.path().join("error.log"),
        )
        .await;
        a
    }
}

impl WebServer for Apache {
    const STACK: Stack = Stack::Apache;
    fn apply(&mut self, region: &str, snippet: &str, top: &str) {
        assert!(top.is_empty(), "no top-level section expected: {top}");
        self.text = replace_region(&self.text, region, snippet);
        std::fs::write(&self.conf, &self.text).expect("written");
        run(Command::new(&self.bin).arg("-t").arg("-f").arg(&self.conf))
            .unwrap_or_else(|e| panic!("apache2 -t refuses the fixed configuration: {e}"));
        run(Command::new(&self.bin)
            .arg("-f")
            .arg(&self.conf)
            .args(["-k", "graceful"]))
        .unwrap_or_else(|e| panic!("apache2 -k graceful: {e}"));
    }
    fn text(&self) -> String {
        self.text.clone()
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// The website's catch-all answers the well-known with its page (`FallbackResource`, a
/// single-page app), and the homeserver answers on 443 while peers knock on 8448.
#[tokio::test]
async fn apache_well_known_served_as_html_and_federation_on_443() {
    let test = "apache_well_known_served_as_html";
    let Some(bin) = require("apache2", "apache2", test) else {
        return;
    };
    let world = World::new(test).await;
    let (live, www, up) = (
        world.cert_dir(),
        world.dir.path().join("www"),
        world.upstream,
    );
    let www = www.display();
    let site = format!(
        "<VirtualHost *:{port}>\n    ServerName {SITE}\n    SSLEngine on\n    SSLCertificateFile {live}/{SITE}/fullchain.pem\n    SSLCertificateKeyFile {live}/{SITE}/privkey.pem\n    DocumentRoot {www}\n    <Directory {www}>\n        Require all granted\n    </Directory>\n    FallbackResource /index.html\n    ProxyPass /_matrix http://{up}/_matrix nocanon\n# BEGIN well-known\n# END well-known\n</VirtualHost>\n",
        port = world.port
    );
    let mut apache = Apache::start(bin, &world, &site).await;
    let before = prove(&world, &mut apache, Code::WellKnownNotJson, "well-known").await;
    // The same snippet answered federation-on-443 (and the refused 8448): the re-check
    // passed with neither.
    assert!(
        codes(&before).contains(&Code::FederationOn443),
        "{:?}",
        codes(&before)
    );
}

/// The delegated vhost before `/_matrix` was proxied: its website answers everything.
#[tokio::test]
async fn apache_matrix_not_proxied() {
    let test = "apache_matrix_not_proxied";
    let Some(bin) = require("apache2", "apache2", test) else {
        return;
    };
    let world = World::new(test).await;
    let (live, www) = (world.cert_dir(), world.dir.path().join("www"));
    let www = www.display();
    let vhost = |name: &str, inside: &str| {
        format!(
            "<VirtualHost *:{port}>\n    ServerName {name}\n    SSLEngine on\n    SSLCertificateFile {live}/{name}/fullchain.pem\n    SSLCertificateKeyFile {live}/{name}/privkey.pem\n    DocumentRoot {www}\n    <Directory {www}>\n        Require all granted\n    </Directory>\n    FallbackResource /index.html\n{inside}</VirtualHost>\n",
            port = world.port
        )
    };
    let well_known = format!(
        "    <Location /.well-known/matrix/server>\n        Header always set Content-Type application/json\n    </Location>\n    Alias /.well-known/matrix/server {}/server.json\n",
        world.dir.path().display()
    );
    world.dir.write(
        "server.json",
        &format!("{{\"m.server\": \"{MATRIX}:443\"}}\n"),
    );
    let sites = vhost(SITE, &well_known) + &vhost(MATRIX, "# BEGIN matrix\n# END matrix\n");
    let mut apache = Apache::start(bin, &world, &sites).await;
    prove(&world, &mut apache, Code::FederationVersionFailed, "matrix").await;
}

// ---- HAProxy ---------------------------------------------------------------------------------

struct Haproxy {
    conf: PathBuf,
    text: String,
    child: Child,
}

impl Haproxy {
    async fn start(bin: PathBuf, world: &World, frontend: &str) -> Haproxy {
        let live = world.cert_dir();
        let text = format!(
            "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nfrontend https\n    bind 127.0.0.1:{port} ssl crt {live}/{SITE}/haproxy.pem crt {live}/{MATRIX}/haproxy.pem\n{frontend}    default_backend website\nbackend website\n    http-request return status 200 content-type text/html string \"<!doctype html><html><body>Welcome</body></html>\"\n{matrix}",
            port = world.port,
            matrix = if frontend.contains("use_backend matrix") {
                format!("backend matrix\n    server homeserver {}\n", world.upstream)
            } else {
                String::new()
            }
        );
        let conf = world.dir.write("haproxy.cfg", &text);
        let log = world.dir.path().join("haproxy.log");
        // Master-worker mode: SIGUSR2 to the master reloads the configuration.
        let child = Command::new(&bin)
            .args(["-W", "-db", "-f"])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("haproxy starts");
        let mut h = Haproxy { conf, text, child };
        listening(world.port, &mut h.child, &log).await;
        h
    }
}

impl WebServer for Haproxy {
    const STACK: Stack = Stack::Haproxy;
    fn apply(&mut self, region: &str, snippet: &str, top: &str) {
        self.text = replace_region(&self.text, region, snippet) + top;
        std::fs::write(&self.conf, &self.text).expect("written");
        let bin = fixes_support::program("haproxy").expect("haproxy");
        run(Command::new(bin).args(["-c", "-q", "-f"]).arg(&self.conf))
            .unwrap_or_else(|e| panic!("haproxy -c refuses the fixed configuration: {e}"));
        // SAFETY: signalling our own child (the master), not yet waited for.
        #[allow(unsafe_code)]
        let sent = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGUSR2) } == 0;
        assert!(sent, "SIGUSR2 to the haproxy master");
    }
    fn text(&self) -> String {
        self.text.clone()
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// HAProxy names itself nowhere (no Server header, and the website answers), so the fix is
/// chosen with `--fix-for haproxy`: the well-known answered by HAProxy itself, before the
/// website's backend.
#[tokio::test]
async fn haproxy_well_known_served_as_html_and_federation_on_443() {
    let test = "haproxy_well_known_served_as_html";
    let Some(bin) = require("haproxy", "haproxy", test) else {
        return;
    };
    let mut world = World::new(test).await;
    world.fix_for = Some(Stack::Haproxy);
    let frontend = "# BEGIN well-known\n# END well-known\n    acl matrix-path path_beg /_matrix\n    use_backend matrix if matrix-path\n";
    let mut haproxy = Haproxy::start(bin, &world, frontend).await;
    let before = prove(&world, &mut haproxy, Code::WellKnownNotJson, "well-known").await;
    // The same snippet answered federation-on-443 (and the refused 8448): the re-check
    // passed with neither.
    assert!(
        codes(&before).contains(&Code::FederationOn443),
        "{:?}",
        codes(&before)
    );
}

/// A HAProxy frontend that sends everything to the website: `/_matrix` gets its page.
#[tokio::test]
async fn haproxy_matrix_not_proxied() {
    let test = "haproxy_matrix_not_proxied";
    let Some(bin) = require("haproxy", "haproxy", test) else {
        return;
    };
    let mut world = World::new(test).await;
    world.fix_for = Some(Stack::Haproxy);
    let frontend = format!(
        "    http-request return status 200 content-type application/json string '{{\"m.server\": \"{MATRIX}:443\"}}' if {{ path /.well-known/matrix/server }}\n# BEGIN matrix\n# END matrix\n"
    );
    let mut haproxy = Haproxy::start(bin, &world, &frontend).await;
    prove(
        &world,
        &mut haproxy,
        Code::FederationVersionFailed,
        "matrix",
    )
    .await;
}

/// HAProxy sends no Server header; its built-in error page names it: a frontend whose
/// backend is down answers every request with it, and delegcheck reads the page.
#[tokio::test]
async fn haproxy_identified_by_its_error_page() {
    let test = "haproxy_identified_by_its_error_page";
    let Some(bin) = require("haproxy", "haproxy", test) else {
        return;
    };
    let world = World::new(test).await;
    let frontend = format!(
        "    use_backend down\nbackend down\n    retries 0\n    server gone 127.0.0.1:{}\nfrontend unused\n    bind 127.0.0.1:{}\n",
        free_port(),
        free_port()
    );
    let _haproxy = Haproxy::start(bin, &world, &frontend).await;
    let r = world.check().await;
    let site = r
        .web_servers
        .iter()
        .find(|w| w.host == SITE)
        .unwrap_or_else(|| panic!("{:#?}\n{:#?}", r.web_servers, r.findings));
    assert_eq!(site.stack, Some(Stack::Haproxy), "{site:?}");
    assert_eq!(site.evidence, "HAProxy's built-in error page");
    // Its fixes are HAProxy's, unasked.
    assert!(
        r.fixes.iter().all(|f| f.stack == Stack::Haproxy),
        "{:#?}",
        r.fixes
    );
}

// ---- the DNS zone -------------------------------------------------------------------------

/// The admin's edit of the zone: the snippet's records replace the records of the same name
/// and type; `; NAME. IN TYPE VALUE` lines under "Delete these records" remove those.
fn apply_zone(zone: &[String], snippet: &str) -> Vec<String> {
    let mut out: Vec<String> = zone.to_vec();
    let mut added = Vec::new();
    for line in snippet.lines() {
        let deleting = line.starts_with("; ") && line.contains(". IN ");
        let fields: Vec<&str> = line.trim_start_matches("; ").split_whitespace().collect();
        let (owner, rtype, data) = match fields.as_slice() {
            [owner, "IN", rtype, data @ ..] if deleting => (*owner, *rtype, data.join(" ")),
            [owner, _ttl, "IN", rtype, data @ ..] if !line.starts_with(';') => {
                (*owner, *rtype, data.join(" "))
            }
            _ => continue,
        };
        let owner = owner.trim_end_matches('.');
        if deleting {
            let gone = format!("{owner} {rtype} {data}");
            assert!(out.contains(&gone), "{gone} is not in the zone: {out:?}");
            out.retain(|l| *l != gone);
        } else {
            // Records of the same name and type are replaced, and a name that gets
            // records loses its CNAME (it can have no other records).
            out.retain(|l| {
                !l.starts_with(&format!("{owner} {rtype} "))
                    && !l.starts_with(&format!("{owner} CNAME "))
            });
            added.push(format!("{owner} {rtype} {data}"));
        }
    }
    out.extend(added);
    out
}

/// A zone fix, end to end: the lab's DNS serves the broken zone, delegcheck reports the
/// finding with a zone snippet (the first, or the one that `holds`), the edited zone is
/// served (the lab restarted with it: the DNS server reloaded), and the re-check passes
/// without the finding.
async fn prove_zone(scenario: &str, code: Code, holds: &str) {
    let mut s = delegcheck::lab::demo::find(scenario).unwrap();
    let before = delegcheck::lab::run(&s, LabOptions::default(), |_| {})
        .await
        .unwrap();
    assert!(codes(&before).contains(&code), "{:?}", codes(&before));
    let fix = before
        .fixes
        .iter()
        .find(|f| f.stack == Stack::Dns && f.codes.contains(&code) && f.snippet.contains(holds))
        .unwrap_or_else(|| panic!("no zone fix for {code}: {:#?}", before.fixes));
    s.dns = apply_zone(&s.dns, &fix.snippet);
    // The zone fixes federation; the client side (no client well-known here) is judged apart.
    let after = delegcheck::lab::run(&s, LabOptions::default(), |c| c.client = false)
        .await
        .unwrap();
    assert!(
        after.ok && codes(&after).is_empty(),
        "after the zone fix for {code}: {:?}\nzone: {:?}\n{}",
        codes(&after),
        s.dns,
        fix.snippet
    );
}

#[tokio::test]
async fn zone_srv_target_cname_replaced_by_the_canonical_name() {
    prove_zone("srv-target-cname", Code::SrvTargetCname, " IN SRV ").await;
}

/// The alternative: the alias keeps its place in the SRV record and gets addresses instead
/// of its CNAME.
#[tokio::test]
async fn zone_srv_target_cname_replaced_by_addresses() {
    prove_zone("srv-target-cname", Code::SrvTargetCname, " IN A ").await;
}

#[tokio::test]
async fn zone_legacy_srv_republished_as_matrix_fed() {
    prove_zone("legacy-srv-only", Code::SrvLegacy, "").await;
}

#[tokio::test]
async fn zone_stale_aaaa_deleted() {
    if !delegcheck::lab::ipv6_loopback() {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"\n*** SKIPPED zone_stale_aaaa_deleted: no IPv6 on loopback ***\n",
        );
        return;
    }
    prove_zone("ipv6-not-listening", Code::TargetIpv6Broken, "").await;
}

#[test]
fn zone_edits_replace_and_delete() {
    let zone = vec![
        "_matrix-fed._tcp.a.test SRV 10 5 8448 b.test.".to_owned(),
        "a.test AAAA ::1".to_owned(),
        "a.test A 127.0.0.2".to_owned(),
    ];
    let snippet = "; why\n_matrix-fed._tcp.a.test. 3600 IN SRV 10 5 8448 c.test.\n; Delete these records: a.test does not answer.\n; a.test. IN AAAA ::1\n";
    assert_eq!(
        apply_zone(&zone, snippet),
        vec![
            "a.test A 127.0.0.2".to_owned(),
            "_matrix-fed._tcp.a.test SRV 10 5 8448 c.test.".to_owned(),
        ]
    );
}

/// The client half: a delegated server whose sites publish no client well-known. The fix for
/// `client-well-known-missing` (the file with its CORS headers) goes into the server name's
/// site; after the reload native and web clients both discover the homeserver, whose client
/// API the delegated site already proxies.
fn assert_clients_discover(after: &Report) {
    let client = after.client.as_ref().expect("client discovery ran");
    for (who, outcome) in [
        ("native", &client.homeserver.native),
        ("web", &client.homeserver.web),
    ] {
        assert_eq!(
            outcome.state,
            Some(ClientState::Success),
            "{who}: {outcome:?}"
        );
    }
    assert_eq!(
        client.homeserver.base_url.as_deref(),
        Some("https://matrix.example.test"),
        "the base URL the fix wrote"
    );
}

#[tokio::test]
async fn nginx_client_well_known_missing() {
    let Some(bin) = require("nginx", "nginx", "nginx_client_well_known_missing") else {
        return;
    };
    let world = World::with_clients("nginx_client_well_known_missing").await;
    let site = format!(
        "{}# BEGIN client\n# END client\n",
        nginx_well_known(&format!("{MATRIX}:443"))
    );
    let sites =
        nginx_site(&world, SITE, "", &site) + &nginx_site(&world, MATRIX, "", &nginx_proxy(&world));
    let mut nginx = Nginx::start(bin, &world, &sites).await;
    prove(&world, &mut nginx, Code::ClientWellKnownMissing, "client").await;
    assert_clients_discover(&recheck_until_ok(&world).await);
}

#[tokio::test]
async fn caddy_client_well_known_missing() {
    let Some(bin) = require("caddy", "caddy", "caddy_client_well_known_missing") else {
        return;
    };
    let world = World::with_clients("caddy_client_well_known_missing").await;
    let site = format!(
        "    handle /.well-known/matrix/server {{\n        respond `{{\"m.server\": \"{MATRIX}:443\"}}` 200\n    }}\n# BEGIN client\n# END client\n    handle {{\n        respond 404\n    }}\n"
    );
    let sites = caddy_site(&world, SITE, &site) + &caddy_site(&world, MATRIX, &caddy_proxy(&world));
    let mut caddy = Caddy::start(bin, &world, &sites).await;
    prove(&world, &mut caddy, Code::ClientWellKnownMissing, "client").await;
    assert_clients_discover(&recheck_until_ok(&world).await);
}
