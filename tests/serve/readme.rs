//! The README's "Run your own federation tester" snippets pass their own tools: the
//! Prometheus configuration and alert rules `promtool check config`, the reverse-proxy
//! snippet `nginx -t`. Without a tool the check is skipped loudly on a developer machine and
//! fails under CI=true (.ci/run installs both).

use std::path::Path;
use std::process::Command;

/// The fenced blocks of the README's section on `delegcheck serve`, with their language.
fn blocks() -> Vec<(String, String)> {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("## Run your own federation tester")
        .expect("the README has the section");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let mut out = vec![];
    let mut lines = section[..end].lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.strip_prefix("```").filter(|l| !l.is_empty()) {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            out.push((lang.to_owned(), body.join("\n") + "\n"));
        }
    }
    out
}

fn block(lang: &str, containing: &str) -> String {
    blocks()
        .into_iter()
        .find(|(l, b)| l == lang && b.contains(containing))
        .unwrap_or_else(|| panic!("no {lang} block with {containing:?}"))
        .1
}

fn tool(name: &str) -> bool {
    let ok = Command::new(name)
        .arg(if name == "nginx" { "-v" } else { "--version" })
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is required under CI=true (.ci/run installs it)"
        );
        eprintln!("SKIPPED: {name} is not installed; the README's snippet was not checked");
    }
    ok
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("delegcheck-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_prometheus_configuration_and_alerts_pass_promtool() {
    let config = block("yaml", "scrape_configs");
    assert!(config.contains("metrics_path: /probe") && config.contains("__param_target"));
    let rules = block("yaml", "groups:");
    assert!(rules.contains("delegcheck_federation_ok == 0"));
    if !tool("promtool") {
        return;
    }
    let dir = TempDir::new("promtool-config");
    std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
    std::fs::write(dir.path().join("delegcheck.rules.yml"), rules).unwrap();
    let out = Command::new("promtool")
        .args(["check", "config"])
        .arg(dir.path().join("prometheus.yml"))
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "promtool check config:\n{said}");
    assert!(said.contains("SUCCESS: 3 rules found"), "{said}");
}

#[test]
fn the_reverse_proxy_snippet_passes_nginx_t() {
    let server = block("nginx", "proxy_pass");
    assert!(
        server.contains("X-Real-IP"),
        "the proxy passes the client's address"
    );
    if !tool("nginx") {
        return;
    }
    let dir = TempDir::new("nginx");
    let cert =
        rcgen::generate_simple_self_signed(vec!["federationtester.example.org".into()]).unwrap();
    let (crt, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&crt, cert.cert.pem()).unwrap();
    std::fs::write(&key, cert.signing_key.serialize_pem()).unwrap();
    let live = "/etc/letsencrypt/live/federationtester.example.org";
    let server = server
        .replace(&format!("{live}/fullchain.pem"), &crt.display().to_string())
        .replace(&format!("{live}/privkey.pem"), &key.display().to_string());
    let conf = format!(
        "pid {0}/nginx.pid;\nerror_log {0}/error.log;\nevents {{}}\nhttp {{\naccess_log off;\n{server}}}\n",
        dir.path().display()
    );
    let file = dir.path().join("nginx.conf");
    std::fs::write(&file, conf).unwrap();
    let out = Command::new("nginx")
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "nginx -t:\n{said}");
    assert!(said.contains("syntax is ok"), "{said}");
}
