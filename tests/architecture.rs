//! The layering rules of the code, checked on the source: the pure layers never import the
//! IO layer, and implementation constants live in one table.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn src(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(rel)
}

/// Lines of code (comments dropped) that mention the IO layer.
fn io_imports(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).expect("readable");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .filter(|l| {
            l.contains("crate::net")
                || l.contains("super::net")
                || l.contains("delegcheck::net")
                || (l.contains("use crate::{") && l.contains("net"))
        })
        .map(|l| format!("{}: {}", path.display(), l.trim()))
        .collect()
}

#[test]
fn pure_layers_never_import_the_io_layer() {
    let mut files = vec![
        src("obs.rs"),
        src("ip_class.rs"),
        src("implementations.rs"),
        src("serve/fedtester.rs"),
    ];
    for dir in ["discovery", "checks", "render", "fixes", "serve/fedtester"] {
        files.extend(rust_files(&src(dir)));
    }
    assert!(files.len() > 10, "the pure modules were found");
    let offending: Vec<String> = files.iter().flat_map(|f| io_imports(f)).collect();
    assert!(
        offending.is_empty(),
        "pure modules import net:\n{}",
        offending.join("\n")
    );
}

#[test]
fn the_check_catches_an_import() {
    let dir = std::env::temp_dir().join(format!("delegcheck-arch-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let f = dir.join("x.rs");
    fs::write(
        &f,
        "use crate::net::http::Fetch; // a comment about crate::net\n",
    )
    .unwrap();
    assert_eq!(io_imports(&f).len(), 1);
    fs::write(
        &f,
        "// crate::net is the IO layer\nuse crate::obs::Fetch;\n",
    )
    .unwrap();
    assert!(io_imports(&f).is_empty());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn implementation_constants_live_in_the_table() {
    // Values that only make sense as one implementation's behaviour.
    let patterns = [
        "12_288",
        "12288",
        "48 * 3600",
        "24 * 3600",
        "REDIRECT_LIMIT",
        "MAX_REDIRECTS",
        "CONDUWUIT_MAX_BODY",
    ];
    let table = src("implementations.rs");
    let mut offending = Vec::new();
    for f in rust_files(&src("")) {
        if f == table || f.components().any(|c| c.as_os_str() == "lab") {
            continue;
        }
        let text = fs::read_to_string(&f).unwrap();
        // Tests may state the expected outcome in words.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("");
            for p in patterns {
                if line.contains(p) {
                    offending.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offending.is_empty(),
        "implementation constants outside src/implementations.rs:\n{}",
        offending.join("\n")
    );
}
