//! delegcheck: diagnose Matrix federation delegation.
//!
//! Layers, one way: [`net`] gathers observations → [`discovery`] decides where servers would
//! connect (sans-IO) → [`checks`] judges → [`render`] formats. [`engine`] drives them, and
//! [`check`] is the one entry point the CLI, the tests, the demo and the benchmarks share.

#![deny(unsafe_code)]

pub mod checks;
pub mod cli;
pub mod discovery;
pub mod engine;
pub mod findings;
#[cfg(feature = "lab")]
pub mod lab;
pub mod net;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod server_name;
pub mod time;

use futures_util::StreamExt;

pub use net::{Config, Net, SetupError};
pub use report::Report;

/// Checks one server name with a fresh network setup.
pub async fn check(name: &str, config: &Config) -> Result<Report, SetupError> {
    let net = Net::new(config.clone())?;
    Ok(engine::check(&net, name).await)
}

/// Checks many server names, at most `jobs` at once, calling `done(index, report)` as each
/// completes (completion order).
pub async fn check_all<F: FnMut(usize, Report)>(
    net: &Net,
    names: &[String],
    jobs: usize,
    mut done: F,
) {
    let mut stream = futures_util::stream::iter(names.iter().enumerate())
        .map(|(i, n)| async move { (i, engine::check(net, n).await) })
        .buffer_unordered(jobs.max(1));
    while let Some((i, r)) = stream.next().await {
        done(i, r);
    }
}

/// Reads server names from text: one per line, `#` comments, blank lines skipped.
pub fn parse_name_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn name_lists() {
        let t = "# servers\nexample.org\n  matrix.org  # comment\n\n#x\nexample.com:8448\n";
        assert_eq!(
            super::parse_name_list(t),
            vec!["example.org", "matrix.org", "example.com:8448"]
        );
    }
}
