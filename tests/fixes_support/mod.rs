//! What the fix tests share: finding the real servers (loudly skipped on a developer machine
//! without them, a failure under `CI=true`), a scratch directory, and certificates from the
//! lab's CA in certbot's layout.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The program, if it is on PATH (or in /usr/sbin, where Debian puts nginx and apache2).
pub fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The program, or `None` after saying loudly that the test is skipped; under `CI=true`
/// a missing program fails the test (`.ci/run` installs them all).
pub fn require(name: &str, package: &str, test: &str) -> Option<PathBuf> {
    if let Some(p) = program(name) {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{name} is required in CI (apt-get install --no-install-recommends {package}; .ci/run does)"
    );
    // Straight to stderr: the harness would swallow eprintln! of a passing test.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: no {name} on PATH (apt-get install --no-install-recommends {package}) ***\n"
    );
    None
}

/// A scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "delegcheck-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("directory");
        }
        std::fs::write(&p, text).expect("file written");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes certbot's layout for `host` under `dir/live/host/`: `fullchain.pem` (leaf and
/// intermediate), `cert.pem` (the leaf alone), `privkey.pem`, and `haproxy.pem` (chain and
/// key in one file, as HAProxy reads them).
pub fn write_certs(dir: &Scratch, host: &str, issued: &delegcheck::lab::pki::Issued) {
    let chain = issued.chain_pem();
    let key = issued.key_pem();
    dir.write(&format!("live/{host}/fullchain.pem"), &chain);
    dir.write(&format!("live/{host}/cert.pem"), &issued.leaf_pem());
    dir.write(&format!("live/{host}/privkey.pem"), &key);
    dir.write(
        &format!("live/{host}/haproxy.pem"),
        &format!("{chain}{key}"),
    );
}

/// Runs a command; `Ok` with its output when it succeeds, `Err` with everything it said.
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{cmd:?} did not start: {e}"))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(said)
    } else {
        Err(format!("{cmd:?}: exit {:?}\n{said}", out.status.code()))
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
