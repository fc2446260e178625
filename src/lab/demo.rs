//! `--demo`.
/// Runs the demo.
pub fn run(_cli: &crate::cli::Cli, _scenario: &str) -> std::process::ExitCode {
    std::process::ExitCode::from(2)
}
