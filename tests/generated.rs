//! The committed generated files (man page, shell completions, JSON Schema) are exactly what
//! `delegcheck --generate KIND` prints now. After changing the CLI or the report types, run
//! `DELEGCHECK_BLESS=1 cargo test --test generated` to rewrite them.

use delegcheck::cli::{Generate, generate};

#[test]
fn generated_files_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("DELEGCHECK_BLESS").is_some();
    let mut stale = Vec::new();
    for (kind, rel) in Generate::FILES {
        let path = root.join(rel);
        let want = generate(kind);
        assert!(
            want.len() > 200,
            "{rel}: generated output is suspiciously small"
        );
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(have) if have == want => {}
            Ok(_) => stale.push(format!("{rel} is stale")),
            Err(e) => stale.push(format!("{rel}: {e}")),
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nregenerate with: DELEGCHECK_BLESS=1 cargo test --test generated",
        stale.join("\n")
    );
}

#[test]
fn the_man_page_documents_exit_codes_and_every_finding_code() {
    let man = generate(Generate::Man);
    assert!(man.contains("EXIT STATUS"));
    for code in delegcheck::findings::Code::ALL {
        assert!(
            man.contains(&code.as_str().replace('-', "\\-")),
            "{code:?} missing from the man page"
        );
    }
}

#[test]
fn completions_know_the_flags() {
    // Each shell spells long options its own way.
    for (kind, spell) in [
        (Generate::CompleteBash, "--{}"),
        (Generate::CompleteZsh, "--{}"),
        (Generate::CompleteFish, "-l {}"),
        (Generate::CompleteElvish, "--{}"),
        (Generate::CompletePowershell, "'--{}'"),
    ] {
        let text = generate(kind);
        for flag in [
            "format",
            "connect-to",
            "demo",
            "strict",
            "ca-file",
            "no-system-roots",
        ] {
            let want = spell.replace("{}", flag);
            assert!(text.contains(&want), "{kind:?} lacks {want}");
        }
    }
}

#[tokio::test]
async fn the_schema_accepts_real_reports_and_rejects_broken_ones() {
    use delegcheck::lab::{self, LabOptions};
    let schema: serde_json::Value = serde_json::from_str(&generate(Generate::Schema)).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let s = lab::scenarios()
        .into_iter()
        .find(|s| s.name == "well-known-port-443")
        .unwrap();
    let report =
        serde_json::to_value(lab::run(&s, LabOptions::default(), |_| {}).await.unwrap()).unwrap();
    assert!(v.is_valid(&report));
    for (path, bad) in [
        ("/ok", serde_json::json!("yes")),
        ("/status", serde_json::json!("fine")),
        ("/findings/0/severity", serde_json::json!("fatal")),
        ("/targets/0/checks/0/status", serde_json::json!(true)),
    ] {
        let mut broken = report.clone();
        *broken.pointer_mut(path).unwrap_or_else(|| panic!("{path}")) = bad;
        assert!(!v.is_valid(&broken), "{path} should be rejected");
    }
    let mut missing = report.clone();
    missing.as_object_mut().unwrap().remove("server_name");
    assert!(!v.is_valid(&missing));

    // `--format json` prints an array for -f or several names: the schema takes both shapes.
    assert!(v.is_valid(&serde_json::json!([report.clone(), report.clone()])));
    assert!(v.is_valid(&serde_json::json!([])));
    assert!(!v.is_valid(&serde_json::json!([report.clone(), missing])));
    assert!(!v.is_valid(&serde_json::json!("example.org")));
    let array: serde_json::Value =
        serde_json::from_str(&delegcheck::render::json_array(&[serde_json::from_value(
            report.clone(),
        )
        .unwrap()]))
        .unwrap();
    assert!(v.is_valid(&array), "what the array writer prints");
}

/// The README's findings table is the catalogue (rewritten with DELEGCHECK_BLESS=1), and it
/// documents every metric and the two set-up commands.
#[test]
fn readme_is_in_sync() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- codes:start -->\n", "<!-- codes:end -->");
    let i = readme.find(start).expect("codes:start marker") + start.len();
    let j = readme.find(end).expect("codes:end marker");
    let table = delegcheck::findings::Code::markdown_table();
    if std::env::var_os("DELEGCHECK_BLESS").is_some() {
        std::fs::write(&path, format!("{}{table}{}", &readme[..i], &readme[j..])).unwrap();
    } else {
        assert_eq!(
            &readme[i..j],
            table,
            "README findings table is stale: DELEGCHECK_BLESS=1 cargo test --test generated"
        );
    }
    for cmd in ["cargo run --release -- --demo", "cargo test --locked"] {
        assert!(readme.contains(cmd), "README lacks `{cmd}`");
    }
    let ci =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run"))
            .unwrap();
    assert!(
        ci.contains("cargo test --locked"),
        ".ci/run runs the README's test command"
    );
}

/// The README's exit-code table lists the statuses of `delegcheck::exit`, in order, each
/// under the same headline (its words before any `:` or `(`), and names every Nagios state.
#[test]
fn readme_documents_the_exit_statuses() {
    use delegcheck::exit::{NagiosState, STATUSES};
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("## Exit codes\n")
        .expect("an `## Exit codes` section");
    let section = &readme[start..];
    let section = section[1..]
        .find("\n## ")
        .map_or(section, |end| &section[..end + 1]);
    let rows: Vec<(u8, &str)> = section
        .lines()
        .filter_map(|l| {
            let mut cells = l.trim().trim_matches('|').split('|').map(str::trim);
            let code = cells.next()?.parse().ok()?;
            Some((code, cells.next()?))
        })
        .collect();
    let codes: Vec<u8> = STATUSES.iter().map(|s| s.exit.code()).collect();
    assert_eq!(
        rows.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        codes,
        "README exit codes"
    );
    for (status, (code, meaning)) in STATUSES.iter().zip(&rows) {
        let headline = status.meaning.split([':', '(']).next().unwrap().trim();
        assert!(
            meaning.starts_with(headline),
            "README exit code {code}: `{meaning}` does not start with `{headline}`"
        );
    }
    for state in NagiosState::ALL {
        let named = format!("{} {}", state.code(), state.label());
        assert!(
            section.contains(&named),
            "README lacks the Nagios state `{named}`"
        );
    }
}

#[tokio::test]
async fn readme_documents_every_metric() {
    use delegcheck::lab::{self, LabOptions};
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let s = lab::scenarios()
        .into_iter()
        .find(|s| s.name == "well-known-port-443")
        .unwrap();
    let r = lab::run(&s, LabOptions::default(), |_| {}).await.unwrap();
    let text = delegcheck::render::prometheus::render(&[r], 0);
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# HELP "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert!(names.len() >= 8);
    for n in names {
        assert!(
            readme.contains(&format!("`{n}`")),
            "README does not document {n}"
        );
    }
}

/// Completions offer the finding codes after `--explain` and the scenario names after
/// `--demo`, in bash, zsh and fish, instead of file names.
#[test]
fn completions_offer_codes_and_scenarios() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let (bash, zsh, fish) = (
        read("delegcheck.bash"),
        read("_delegcheck"),
        read("delegcheck.fish"),
    );
    // The entry for that option: its next lines (bash, zsh), or up to the next `complete`
    // line (fish lists one value a line).
    let line_after = |text: &str, marker: &str| -> String {
        let i = text
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} missing"));
        let rest = &text[i..];
        if marker.starts_with("-l ") {
            let end = rest[1..]
                .find("\ncomplete -c")
                .map_or(rest.len(), |e| e + 1);
            rest[..end].to_owned()
        } else {
            rest.lines().take(3).collect::<Vec<_>>().join("\n")
        }
    };
    for code in ["tls-name-mismatch", "well-known-not-json", "list"] {
        assert!(
            line_after(&bash, "--explain)").contains(code),
            "bash: {code}"
        );
        assert!(
            line_after(&zsh, "'--explain=").contains(code),
            "zsh: {code}"
        );
        assert!(
            line_after(&fish, "-l explain").contains(code),
            "fish: {code}"
        );
    }
    for scenario in ["well-known-port-443", "proxy-upstream-down"] {
        assert!(
            line_after(&bash, "--demo)").contains(scenario),
            "bash: {scenario}"
        );
        assert!(
            line_after(&zsh, "'--demo=").contains(scenario),
            "zsh: {scenario}"
        );
        assert!(
            line_after(&fish, "-l demo").contains(scenario),
            "fish: {scenario}"
        );
    }
}

/// The man page reads like one: each section once, a synopsis with values, examples,
/// environment and see also; no "EXTRA" section repeating the exit statuses.
#[test]
fn the_man_page_has_the_usual_sections_once() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/delegcheck.1"),
    )
    .unwrap();
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH \"EXIT STATUS\"",
        ".SH EXAMPLES",
        ".SH ENVIRONMENT",
        ".SH \"SEE ALSO\"",
    ] {
        assert_eq!(page.matches(section).count(), 1, "{section}");
    }
    assert!(!page.contains(".SH EXTRA"));
    assert_eq!(
        page.matches("Exit status:").count(),
        0,
        "the --help text is not repeated"
    );
    let synopsis = &page[page.find(".SH SYNOPSIS").unwrap()..page.find(".SH DESCRIPTION").unwrap()];
    for value in ["SERVER_NAME", "FILE", "SCENARIO", "CODE"] {
        assert!(synopsis.contains(value), "synopsis names {value}");
    }
}
