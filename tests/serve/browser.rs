//! The web page in a real headless Chromium (Debian's `chromium`), driven over the DevTools
//! protocol: the form submits, a healthy and a broken lab scenario render with their verdict
//! and findings, and the page logs no console errors. Skipped loudly without Chromium on a
//! developer machine; required under CI=true.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use super::{quiet, scenario, serve_scenario};

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Chromium with its remote debugging on an ephemeral loopback port, and nothing that calls
/// home. Killed on drop.
struct Browser {
    child: Child,
    ws_url: String,
    _profile: TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn launch(program: &str) -> Browser {
    let profile = std::env::temp_dir().join(format!("delegcheck-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&profile).unwrap();
    let mut child = Command::new(program)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--no-pings",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut ws_url = None;
    for line in stderr.lines().map_while(Result::ok) {
        if let Some(url) = line.strip_prefix("DevTools listening on ") {
            ws_url = Some(url.trim().to_owned());
            break;
        }
    }
    Browser {
        child,
        ws_url: ws_url.expect("chromium says where DevTools listens"),
        _profile: TempDir(profile),
    }
}

/// A DevTools connection attached to one page (flat session).
struct Page {
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Console errors, uncaught exceptions and error log entries seen so far.
    problems: Vec<String>,
}

impl Page {
    fn open(ws_url: &str) -> Page {
        let host = ws_url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let stream = TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (ws, _) = tungstenite::client::client(ws_url, stream).expect("DevTools websocket");
        let mut page = Page {
            ws,
            session: String::new(),
            next_id: 0,
            problems: vec![],
        };
        let target = page.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = page.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        page.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            page.call(domain, json!({}));
        }
        page
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let text = match self.ws.read().expect("DevTools answers") {
                Message::Text(t) => t.to_string(),
                _ => continue,
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
            self.note(&v);
        }
    }

    /// Keeps what a user would see in the console as an error.
    fn note(&mut self, event: &Value) {
        let p = &event["params"];
        match event["method"].as_str().unwrap_or_default() {
            "Runtime.exceptionThrown" => self.problems.push(format!("exception: {p}")),
            "Runtime.consoleAPICalled"
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                self.problems.push(format!("console.error: {}", p["args"]))
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                self.problems.push(format!("log: {}", p["entry"]))
            }
            _ => {}
        }
    }

    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true}),
        );
        r["result"]["value"].clone()
    }

    fn eval_async(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }

    fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
    }

    /// Polls `expr` until it is truthy.
    fn wait_for(&mut self, expr: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.eval(expr);
            if !(v.is_null() || v == false) {
                return v;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let body = self.eval("document.body ? document.body.innerText : ''");
                panic!(
                    "never true: {expr}\nproblems: {:?}\nbody: {body}",
                    self.problems
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

const VERDICT: &str = "(() => { const v = document.getElementById('verdict'); \
    return v && !document.getElementById('report').hidden ? v.dataset.status : null })()";
/// Fetches the served report, adds `fixes` and `client` as the fix and client issues
/// describe them, and renders it.
const EXTENDED: &str = r#"(async () => {
    const r = await (await fetch('/api/v1/report?server_name=example.test')).json();
    r.fixes = [
      { stack: 'nginx', codes: ['tls-expired'], file: '/etc/nginx/sites-enabled/matrix.conf',
        snippet: 'ssl_certificate /etc/letsencrypt/live/example.test/fullchain.pem;\nssl_certificate_key /etc/letsencrypt/live/example.test/privkey.pem;',
        reload: 'systemctl reload nginx' },
      { stack: 'dns', codes: ['no-such-finding-here'], file: 'example.test zone',
        snippet: '_matrix-fed._tcp.example.test. 3600 IN SRV 10 0 8448 matrix.example.test.' },
    ];
    r.client = {
      ok: false,
      well_known_url: 'https://example.test/.well-known/matrix/client',
      homeserver: { base_url: 'https://matrix.example.test',
        native: { state: 'SUCCESS', error: null, reason: null },
        web: { state: 'FAIL_ERROR', error: 'ERROR_INVALID_HOMESERVER', reason: 'no CORS header' } },
      identity_server: { base_url: null, native: { state: null }, web: { state: null } },
      steps: [{ kind: 'well_known', query: 'https://example.test/.well-known/matrix/client',
        answer: '200', status: 'ok', outcome: null }],
      hosts: [],
      auth_issuer: null,
    };
    render(r);
    return true;
})()"#;

const CODES: &str =
    "JSON.stringify([...document.querySelectorAll('.finding')].map(f => f.dataset.code))";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_checks_a_name_and_renders_the_verdict_and_findings_in_chromium() {
    let Some(program) = chromium() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium is required under CI=true (.ci/run installs it)"
        );
        eprintln!("SKIPPED: chromium is not installed; the web page was not tested in a browser");
        return;
    };
    let (_healthy_lab, healthy) = serve_scenario(&scenario("client-healthy"), quiet()).await;
    let (_broken_lab, broken) = serve_scenario(&scenario("expired-certificate"), quiet()).await;
    let (healthy_addr, broken_addr) = (healthy.addr, broken.addr);
    let result = tokio::task::spawn_blocking(move || {
        let browser = launch(program);
        let mut page = Page::open(&browser.ws_url);

        // The form, typed into and submitted, leads to the shareable URL and the report.
        page.navigate(&format!("http://{healthy_addr}/"));
        page.wait_for(
            "document.readyState === 'complete' && !!document.getElementById('server_name')",
        );
        let label = page.eval("document.querySelector('label[for=server_name]').textContent");
        assert_eq!(label, "Server name");
        page.eval("document.getElementById('server_name').focus()");
        page.call("Input.insertText", json!({"text": "example.test"}));
        page.eval("document.getElementById('submit').click()");
        page.wait_for("location.search === '?server_name=example.test'");
        assert_eq!(page.wait_for(VERDICT), "ok");
        let text = page.eval("document.getElementById('report').innerText");
        let text = text.as_str().unwrap();
        assert!(text.contains("Federation works"), "{text}");
        let said = page.eval("document.getElementById('status').textContent");
        assert_eq!(
            said, "example.test: Federation works.",
            "the live region announces it"
        );
        assert!(
            text.contains("Who can reach you") && text.contains("Synapse"),
            "{text}"
        );
        assert!(
            text.contains("Discovery") && text.contains("Targets"),
            "{text}"
        );
        let codes: Vec<String> = serde_json::from_str(page.eval(CODES).as_str().unwrap()).unwrap();
        assert!(codes.contains(&"well-known-cache".to_owned()), "{codes:?}");

        // A broken server, opened from its shareable URL.
        page.navigate(&format!("http://{broken_addr}/?server_name=example.test"));
        assert_eq!(page.wait_for(VERDICT), "error");
        let codes: Vec<String> = serde_json::from_str(page.eval(CODES).as_str().unwrap()).unwrap();
        assert!(codes.contains(&"tls-expired".to_owned()), "{codes:?}");
        let hint = page
            .eval("document.querySelector('.finding[data-code=tls-expired] .hint').textContent");
        assert!(hint.as_str().unwrap().starts_with("Fix: "), "{hint}");
        let input = page.eval("document.getElementById('server_name').value");
        assert_eq!(input, "example.test", "the form shows the name checked");

        // Reports from newer engines carry `fixes` and `client`: the same page renders them
        // (the report as served, with both added, through the page's own render()).
        page.eval_async(EXTENDED);
        let snippet = page.wait_for(
            "document.querySelector('.finding[data-code=tls-expired] pre.snippet')?.textContent",
        );
        assert!(
            snippet.as_str().unwrap().contains("fullchain.pem"),
            "{snippet}"
        );
        let rest = page.eval("document.querySelector('[aria-labelledby=h-fixes]')?.innerText");
        assert!(
            rest.as_str()
                .unwrap_or_default()
                .contains("_matrix-fed._tcp"),
            "{rest}"
        );
        let client = page.eval("document.querySelector('[aria-labelledby=h-client]')?.innerText");
        let client = client.as_str().unwrap_or_default();
        for says in [
            "Clients cannot sign in",
            "Homeserver: https://matrix.example.test",
            "native clients: SUCCESS",
            "web clients: FAIL_ERROR (no CORS header)",
            "Identity server: nothing published",
            "well known url: https://example.test/.well-known/matrix/client",
            "https://example.test/.well-known/matrix/client → 200",
        ] {
            assert!(client.contains(says), "{says:?} in {client}");
        }
        page.problems.clone()
    })
    .await;
    healthy.shutdown().await.unwrap();
    broken.shutdown().await.unwrap();
    let problems = result.expect("the browser session");
    assert!(problems.is_empty(), "console errors: {problems:#?}");
}
