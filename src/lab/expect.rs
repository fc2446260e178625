//! What a scenario expects delegcheck to report, and where a report departs from it.
//!
//! `scenarios.toml` writes expectations as short strings (`tcp=pass`, `synapse=yes`,
//! `ipv4=yes ipv6=none`); they are parsed into the report's own types when the file is read,
//! names spelled as in the JSON report, so comparing is typed equality and a misspelt name is
//! an error in the file, not a mismatch at run time.

use std::collections::BTreeSet;

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer};

use crate::Report;
use crate::findings::{Code, Severity};
use crate::report::{CheckName, CheckStatus, ClientState, FamilyVerdicts, Implementation, Target};

/// What a scenario expects delegcheck to report.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Would federate?
    pub ok: bool,
    /// Decisive step.
    #[serde(default)]
    pub step: Option<crate::report::SpecStep>,
    /// Overall status (`ok`, `warning`, `error`, `unknown`), when it matters.
    #[serde(default)]
    pub status: Option<crate::report::Status>,
    /// Exactly the warning and error codes.
    #[serde(default)]
    pub codes: Vec<Code>,
    /// Info codes that must be present.
    #[serde(default)]
    pub info: Vec<Code>,
    /// Targets in order: `ADDR host=H tls=T sni=S` (`sni=-` for none).
    #[serde(default)]
    pub targets: Option<Vec<String>>,
    /// Per-target check statuses: `ADDR check=status …`.
    #[serde(default)]
    pub checks: Vec<TargetChecks>,
    /// Per-implementation verdicts: `synapse=yes dendrite=no conduwuit=unknown`.
    #[serde(default)]
    pub compat: Option<Verdicts>,
    /// Per-family verdicts: `ipv4=yes ipv6=no` (`none`: no target of that family).
    #[serde(default, deserialize_with = "families")]
    pub families: Option<FamilyVerdicts>,
    /// Text that some finding's message or hint, or a verdict's reason, must contain.
    #[serde(default)]
    pub says: Vec<String>,
    /// Text that no string anywhere in the report may contain (wrong blame, a low-level
    /// error name that should have been put in words).
    #[serde(default)]
    pub never_says: Vec<String>,
    /// Client discovery's states: `spec=IGNORE native=PROMPT web=FAIL_PROMPT
    /// is-native=PROMPT is-web=PROMPT` (the spec's outcome where discovery ends, then
    /// matrix-js-sdk's states for the homeserver and the identity server; `unknown`:
    /// `null`), as named in the JSON report; the sides not written are not compared.
    #[serde(default)]
    pub client: Option<ClientStates>,
}

/// Expected client-discovery states: `native=STATE web=STATE is-native=STATE
/// is-web=STATE`, any of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ClientStates(pub Vec<(String, Option<ClientState>)>);

impl TryFrom<String> for ClientStates {
    type Error = String;

    fn try_from(line: String) -> Result<Self, String> {
        line.split_whitespace()
            .map(|kv| {
                let (side, state) = pair(kv)?;
                if !["native", "web", "is-native", "is-web", "spec"].contains(&side) {
                    return Err(format!("`{side}`: spec, native, web, is-native or is-web"));
                }
                let state = match state {
                    "unknown" => None,
                    s => Some(by_name(s)?),
                };
                Ok((side.to_owned(), state))
            })
            .collect::<Result<_, String>>()
            .map(ClientStates)
    }
}

impl ClientStates {
    fn mismatches(&self, r: &Report, out: &mut Vec<String>) {
        let Some(c) = &r.client else {
            out.push("client: no client report".into());
            return;
        };
        for (side, want) in &self.0 {
            let got = match side.as_str() {
                // The spec's outcome: on the first step (a browser's aside) that ends
                // discovery.
                "spec" => c
                    .steps
                    .iter()
                    .filter(|s| s.kind != crate::report::ClientStepKind::Web)
                    .find_map(|s| s.outcome),
                "native" => c.homeserver.native.state,
                "web" => c.homeserver.web.state,
                "is-native" => c.identity_server.native.state,
                _ => c.identity_server.web.state,
            };
            if got != *want {
                let n = |s: Option<ClientState>| s.map_or("unknown", |s| s.as_str());
                out.push(format!(
                    "client {side}: expected {}, got {}",
                    n(*want),
                    n(got)
                ));
            }
        }
    }
}

/// The expected statuses of some checks at one target: `ADDR check=status …`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TargetChecks {
    /// The target's address, as in the report.
    pub address: String,
    /// Each check named, with its expected status.
    pub statuses: Vec<(CheckName, CheckStatus)>,
}

impl TryFrom<String> for TargetChecks {
    type Error = String;

    fn try_from(line: String) -> Result<Self, String> {
        let mut parts = line.split_whitespace();
        let address = parts.next().unwrap_or_default().to_owned();
        let statuses = parts
            .map(|kv| {
                let (name, status) = pair(kv)?;
                Ok((by_name(name)?, by_name(status)?))
            })
            .collect::<Result<_, String>>()?;
        Ok(TargetChecks { address, statuses })
    }
}

/// Whether each implementation named reaches the server: `synapse=yes dendrite=no
/// conduwuit=unknown` (`unknown`: `null` in the report).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Verdicts(pub Vec<(Implementation, Option<bool>)>);

impl TryFrom<String> for Verdicts {
    type Error = String;

    fn try_from(line: String) -> Result<Self, String> {
        line.split_whitespace()
            .map(|kv| {
                let (name, word) = pair(kv)?;
                Ok((by_name(name)?, verdict(word, REACHABLE)?))
            })
            .collect::<Result<_, String>>()
            .map(Verdicts)
    }
}

/// The words for a verdict that is true, false or `null`, in `compat`.
const REACHABLE: [&str; 3] = ["yes", "no", "unknown"];
/// The same in `families`, where `null` means no target of that family.
const FAMILY: [&str; 3] = ["yes", "no", "none"];

/// `ipv4=WORD ipv6=WORD`, both given.
fn families<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FamilyVerdicts>, D::Error> {
    let line = String::deserialize(d)?;
    let (mut ipv4, mut ipv6) = (None, None);
    for kv in line.split_whitespace() {
        let (family, word) = pair(kv).map_err(serde::de::Error::custom)?;
        let slot = match family {
            "ipv4" => &mut ipv4,
            "ipv6" => &mut ipv6,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unknown family `{other}` (ipv4 or ipv6)"
                )));
            }
        };
        *slot = Some(verdict(word, FAMILY).map_err(serde::de::Error::custom)?);
    }
    match (ipv4, ipv6) {
        (Some(ipv4), Some(ipv6)) => Ok(Some(FamilyVerdicts { ipv4, ipv6 })),
        _ => Err(serde::de::Error::custom(format!(
            "`{line}`: give both ipv4= and ipv6="
        ))),
    }
}

fn pair(kv: &str) -> Result<(&str, &str), String> {
    kv.split_once('=')
        .ok_or_else(|| format!("`{kv}` is not NAME=VALUE"))
}

/// A report enum from its name in the JSON report.
fn by_name<T: DeserializeOwned>(name: &str) -> Result<T, String> {
    T::deserialize(name.into_deserializer()).map_err(|e: serde::de::value::Error| e.to_string())
}

/// The name of a report enum in the JSON report.
fn name_of<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// `words` are for true, false and `null`.
fn verdict(word: &str, words: [&str; 3]) -> Result<Option<bool>, String> {
    match words.iter().position(|w| *w == word) {
        Some(0) => Ok(Some(true)),
        Some(1) => Ok(Some(false)),
        Some(_) => Ok(None),
        None => Err(format!("`{word}` is not one of {}", words.join(", "))),
    }
}

/// The word for a verdict: `words` are for true, false and `null`.
fn word(v: Option<bool>, words: [&'static str; 3]) -> &'static str {
    match v {
        Some(true) => words[0],
        Some(false) => words[1],
        None => words[2],
    }
}

impl Expect {
    /// Where `report` departs from this expectation, one line per difference (empty: as
    /// expected).
    pub fn mismatches(&self, r: &Report) -> Vec<String> {
        let mut out = Vec::new();
        if r.ok != self.ok {
            out.push(format!("ok: expected {}, got {}", self.ok, r.ok));
        }
        if let Some(status) = self.status.filter(|s| *s != r.status) {
            out.push(format!("status: expected {status:?}, got {:?}", r.status));
        }
        if self.step.is_some() && r.discovery.step != self.step {
            out.push(format!(
                "step: expected {:?}, got {:?}",
                self.step.map(|s| s.as_str()),
                r.discovery.step.map(|s| s.as_str())
            ));
        }
        self.codes_mismatches(r, &mut out);
        if let Some(targets) = &self.targets {
            let got: Vec<String> = r.discovery.targets.iter().map(Target::line).collect();
            if &got != targets {
                out.push(format!("targets: expected {targets:#?}, got {got:#?}"));
            }
        }
        for want in &self.checks {
            want.mismatches(r, &mut out);
        }
        if let Some(want) = &self.families
            && *want != r.families
        {
            let line = |f: &FamilyVerdicts| {
                format!(
                    "ipv4={} ipv6={}",
                    word(f.ipv4, FAMILY),
                    word(f.ipv6, FAMILY)
                )
            };
            out.push(format!(
                "families: expected {}, got {}",
                line(want),
                line(&r.families)
            ));
        }
        self.says_mismatches(r, &mut out);
        self.never_says_mismatches(r, &mut out);
        if let Some(compat) = &self.compat {
            compat.mismatches(r, &mut out);
        }
        if let Some(client) = &self.client {
            client.mismatches(r, &mut out);
        }
        out
    }

    /// The warning and error codes must be exactly `codes`; every `info` code must be there.
    fn codes_mismatches(&self, r: &Report, out: &mut Vec<String>) {
        let got: BTreeSet<Code> = r
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .map(|f| f.code)
            .collect();
        let want: BTreeSet<Code> = self.codes.iter().copied().collect();
        if got != want {
            let names = |codes: &BTreeSet<Code>| {
                let mut v: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
                v.sort_unstable();
                v
            };
            out.push(format!(
                "codes: expected {:?}, got {:?}",
                names(&want),
                names(&got)
            ));
        }
        for i in &self.info {
            if !r.findings.iter().any(|f| f.code == *i) {
                out.push(format!("info: {i} missing"));
            }
        }
    }

    /// Every `says` text must be in some finding's message or hint, or a verdict's reason.
    fn says_mismatches(&self, r: &Report, out: &mut Vec<String>) {
        for text in &self.says {
            let in_findings = r
                .findings
                .iter()
                .any(|f| f.message.contains(text.as_str()) || f.hint.contains(text.as_str()));
            let in_verdicts = r.compatibility.iter().any(|c| {
                c.reason
                    .as_deref()
                    .is_some_and(|x| x.contains(text.as_str()))
            });
            if !in_findings && !in_verdicts {
                out.push(format!("says: no finding or verdict mentions {text:?}"));
            }
        }
    }
}

impl Expect {
    /// No `never_says` text may appear in any string of the report (messages, hints, check
    /// details, verdict reasons, certificate errors…).
    fn never_says_mismatches(&self, r: &Report, out: &mut Vec<String>) {
        if self.never_says.is_empty() {
            return;
        }
        let json = serde_json::to_value(r).unwrap_or_default();
        let mut strings = Vec::new();
        collect_strings(&json, &mut strings);
        for text in &self.never_says {
            if let Some(s) = strings.iter().find(|s| s.contains(text.as_str())) {
                out.push(format!("never_says: {text:?} appears in {s:?}"));
            }
        }
    }
}

/// Every string in a JSON value, depth first.
fn collect_strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

impl TargetChecks {
    fn mismatches(&self, r: &Report, out: &mut Vec<String>) {
        let addr = &self.address;
        let Some(t) = r.targets.iter().find(|t| t.address == *addr) else {
            out.push(format!("checks: no target {addr}"));
            return;
        };
        for &(name, want) in &self.statuses {
            let got = t.checks.iter().find(|c| c.name == name).map(|c| c.status);
            if got != Some(want) {
                out.push(format!(
                    "checks: {addr} {}: expected {}, got {:?}",
                    name.as_str(),
                    name_of(want),
                    got.map(name_of)
                ));
            }
        }
    }
}

impl Verdicts {
    fn mismatches(&self, r: &Report, out: &mut Vec<String>) {
        for &(implementation, want) in &self.0 {
            let got = r
                .compatibility
                .iter()
                .find(|c| c.implementation == implementation)
                .map(|c| word(c.reachable, REACHABLE));
            if got != Some(word(want, REACHABLE)) {
                out.push(format!(
                    "compat: {}: expected {}, got {got:?}",
                    name_of(implementation),
                    word(want, REACHABLE)
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(toml: &str) -> Result<Expect, String> {
        toml::from_str(toml).map_err(|e| e.to_string())
    }

    #[test]
    fn expectations_parse_into_the_report_types() {
        let e = expect(
            r#"
            ok = true
            codes = ["tls-name-mismatch"]
            checks = ["127.0.0.3:443 tcp=pass host_port=skip"]
            compat = "synapse=yes dendrite=no conduwuit=unknown"
            families = "ipv4=yes ipv6=none"
            "#,
        )
        .unwrap();
        assert_eq!(e.codes, [Code::TlsNameMismatch]);
        assert_eq!(
            e.checks,
            [TargetChecks {
                address: "127.0.0.3:443".into(),
                statuses: vec![
                    (CheckName::Tcp, CheckStatus::Pass),
                    (CheckName::HostPort, CheckStatus::Skip)
                ],
            }]
        );
        assert_eq!(
            e.compat,
            Some(Verdicts(vec![
                (Implementation::Synapse, Some(true)),
                (Implementation::Dendrite, Some(false)),
                (Implementation::Conduwuit, None),
            ]))
        );
        assert_eq!(
            e.families,
            Some(FamilyVerdicts {
                ipv4: Some(true),
                ipv6: None
            })
        );
    }

    #[test]
    fn misspelt_names_are_errors_in_the_file() {
        for bad in [
            r#"codes = ["no-such-code"]"#,
            r#"checks = ["127.0.0.3:443 tcp=passed"]"#,
            r#"checks = ["127.0.0.3:443 hostport=pass"]"#,
            r#"checks = ["127.0.0.3:443 tcp"]"#,
            r#"compat = "Synapse=yes""#,
            r#"compat = "synapse=none""#,
            r#"families = "ipv4=yes""#,
            r#"families = "ipv4=yes ipv6=unknown""#,
            r#"families = "ipv5=yes ipv6=no""#,
        ] {
            assert!(
                expect(&format!(
                    "ok = true
{bad}"
                ))
                .is_err(),
                "{bad}"
            );
        }
    }
}
