//! Serves one lab scenario until interrupted, for trying the real command line against it:
//!
//! ```sh
//! cargo run --example lab-serve -- srv-delegation              # ephemeral ports
//! sudo target/debug/examples/lab-serve srv-delegation --real-ports  # 443 and 8448 themselves
//! ```
//!
//! It prints the `delegcheck` command that reaches the lab: `--resolver` and `--ca-file`
//! always, `--connect-to` only without `--real-ports`.

use delegcheck::lab::{self, Lab, LabOptions};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let real_ports = args.iter().any(|a| a == "--real-ports");
    let Some(name) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: lab-serve SCENARIO [--real-ports]   (delegcheck --demo list lists them)");
        std::process::exit(2);
    };
    let scenario = match lab::demo::find(name) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let lab = match Lab::start(
        &scenario,
        LabOptions {
            real_ports,
            ..Default::default()
        },
    )
    .await
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!("the lab did not start: {e}");
            std::process::exit(1);
        }
    };
    let ca = std::env::temp_dir().join(format!("delegcheck-lab-{}.pem", std::process::id()));
    std::fs::write(&ca, &lab.ca_pem).expect("write the CA");
    let flags: Vec<String> = lab
        .cli_args(&ca)
        .into_iter()
        .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
        .collect();
    println!("{}: {}", scenario.name, scenario.summary);
    println!("delegcheck {} {}", flags.join(" "), scenario.server_name);
    println!("(Ctrl-C stops the lab)");
    let _ = tokio::signal::ctrl_c().await;
    let _ = std::fs::remove_file(&ca);
}
