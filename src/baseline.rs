//! Change detection (`--baseline PREVIOUS.json`): this run's report of a server name against
//! the previous one. Pure: the caller reads the file ([`parse`] takes its text) and attaches
//! what [`compare`] finds to the report (`changes`).
//!
//! What is compared, per server name: the status, the decisive step, the delegated server,
//! the targets, each target's certificate (a renewal, a new fingerprint with a later
//! notAfter, is info), the signing key ids (a key that disappears without being listed in
//! `old_verify_keys` is a warning: peers holding events signed by it can no longer verify
//! them), the server software, and the findings (new ones with their own severity; resolved
//! ones are info).

use std::collections::{BTreeSet, HashMap};

use crate::findings::{Code, Severity};
use crate::report::{CertInfo, Change, ChangeKind, Report, Status};

/// The largest baseline file read, in bytes.
pub const MAX_BYTES: u64 = 128 * 1024 * 1024;

/// The previous reports, by server name (the first one of each name).
#[derive(Debug, Default)]
pub struct Baseline {
    by_name: HashMap<String, Report>,
}

impl Baseline {
    /// The previous report of `name`, if the baseline has one.
    pub fn get(&self, name: &str) -> Option<&Report> {
        self.by_name.get(name)
    }

    /// How many server names it holds.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Sets `report.changes` to what changed since the baseline's report of its name (one
    /// info change when the baseline has none).
    pub fn annotate(&self, report: &mut Report) {
        report.changes = match self.get(&report.server_name) {
            Some(before) => compare(before, report),
            None => vec![change(
                ChangeKind::NotInBaseline,
                Severity::Info,
                "the baseline has no report of this server name: nothing to compare with".into(),
                None,
                None,
            )],
        };
    }
}

/// Reads a baseline: what `--format json` prints (one report, or an array of them) or
/// `--format jsonl` (one report per line). The error says what is wrong, in words.
pub fn parse(text: &str) -> Result<Baseline, String> {
    let mut values = Vec::new();
    for (i, v) in serde_json::Deserializer::from_str(text)
        .into_iter::<serde_json::Value>()
        .enumerate()
    {
        let v = v.map_err(|e| format!("not JSON or JSON Lines (value {}: {e})", i + 1))?;
        match v {
            serde_json::Value::Array(items) => values.extend(items),
            other => values.push(other),
        }
    }
    if values.is_empty() {
        return Err("no report in it".into());
    }
    let mut by_name = HashMap::new();
    for (i, v) in values.into_iter().enumerate() {
        let major = v
            .get("schema_version")
            .and_then(|s| s.as_str())
            .and_then(|s| s.split('.').next())
            .map(str::to_owned);
        let ours = crate::report::SCHEMA_VERSION.split('.').next();
        if major.is_some() && major.as_deref() != ours {
            return Err(format!(
                "report {} has schema_version {} (this delegcheck reads {}.x)",
                i + 1,
                v["schema_version"],
                ours.unwrap_or_default()
            ));
        }
        let report: Report = serde_json::from_value(v)
            .map_err(|e| format!("report {} is not a delegcheck report: {e}", i + 1))?;
        by_name.entry(report.server_name.clone()).or_insert(report);
    }
    Ok(Baseline { by_name })
}

fn change(
    kind: ChangeKind,
    severity: Severity,
    message: String,
    before: Option<String>,
    after: Option<String>,
) -> Change {
    Change {
        kind,
        severity,
        message,
        before,
        after,
    }
}

fn or_none(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("none")
}

/// What changed from `before` to `after` (reports of the same server name), worst first.
pub fn compare(before: &Report, after: &Report) -> Vec<Change> {
    let mut out = Vec::new();
    status(&mut out, before, after);
    let step = |r: &Report| r.discovery.step.map(|s| s.as_str().to_owned());
    let (b, a) = (step(before), step(after));
    if b != a {
        out.push(change(
            ChangeKind::Step,
            Severity::Warning,
            format!(
                "the decisive step changed: {} → {}",
                or_none(&b),
                or_none(&a)
            ),
            b,
            a,
        ));
    }
    let (b, a) = (
        before.discovery.delegated_server.clone(),
        after.discovery.delegated_server.clone(),
    );
    if b != a {
        out.push(change(
            ChangeKind::DelegatedServer,
            Severity::Warning,
            format!(
                "the delegated server changed: {} → {}",
                or_none(&b),
                or_none(&a)
            ),
            b,
            a,
        ));
    }
    targets(&mut out, before, after);
    certificates(&mut out, before, after);
    keys(&mut out, before, after);
    software(&mut out, before, after);
    findings(&mut out, before, after);
    out.sort_by_key(|c| std::cmp::Reverse(c.severity));
    out
}

fn status_str(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Warning => "warning",
        Status::Error => "error",
        Status::Unknown => "unknown",
    }
}

fn status(out: &mut Vec<Change>, before: &Report, after: &Report) {
    if before.status == after.status {
        return;
    }
    // Worse: towards error, or to a verdict not known from here.
    let rank = |s: Status| match s {
        Status::Ok => 0,
        Status::Warning => 1,
        Status::Unknown => 2,
        Status::Error => 3,
    };
    let severity = if rank(after.status) > rank(before.status) {
        Severity::Warning
    } else {
        Severity::Info
    };
    let (b, a) = (status_str(before.status), status_str(after.status));
    out.push(change(
        ChangeKind::Status,
        severity,
        format!("the status changed: {b} → {a}"),
        Some(b.into()),
        Some(a.into()),
    ));
}

/// `ADDR (HOSTNAME)` of each target other servers connect to (fallback targets aside).
fn target_set(r: &Report) -> BTreeSet<String> {
    r.discovery
        .targets
        .iter()
        .map(|t| format!("{} ({})", t.address(), t.hostname))
        .collect()
}

fn targets(out: &mut Vec<Change>, before: &Report, after: &Report) {
    let (b, a) = (target_set(before), target_set(after));
    for t in a.difference(&b) {
        out.push(change(
            ChangeKind::TargetAdded,
            Severity::Warning,
            format!("other servers now connect to {t}"),
            None,
            Some(t.clone()),
        ));
    }
    for t in b.difference(&a) {
        out.push(change(
            ChangeKind::TargetRemoved,
            Severity::Warning,
            format!("other servers no longer connect to {t}"),
            Some(t.clone()),
            None,
        ));
    }
}

/// The certificates of the addresses in both reports: a new fingerprint is a renewal (info)
/// when it expires later, else a warning. One change per pair of fingerprints, listing the
/// addresses that present it.
fn certificates(out: &mut Vec<Change>, before: &Report, after: &Report) {
    // (old certificate, new certificate, the addresses that present the pair)
    let mut pairs: Vec<(&CertInfo, &CertInfo, Vec<String>)> = Vec::new();
    for t in &after.targets {
        let Some(new) = &t.certificate else { continue };
        let Some(old) = before
            .targets
            .iter()
            .find(|o| o.address == t.address)
            .and_then(|o| o.certificate.as_ref())
        else {
            continue;
        };
        if old.sha256 == new.sha256 {
            continue;
        }
        match pairs
            .iter_mut()
            .find(|(o, n, _)| o.sha256 == old.sha256 && n.sha256 == new.sha256)
        {
            Some((_, _, addrs)) => addrs.push(t.address.clone()),
            None => pairs.push((old, new, vec![t.address.clone()])),
        }
    }
    for (old, new, addrs) in pairs {
        let at = addrs.join(", ");
        let (old_na, new_na) = (&old.not_after, &new.not_after);
        let (kind, severity, message) = if new.not_after_unix > old.not_after_unix {
            (
                ChangeKind::CertificateRenewed,
                Severity::Info,
                format!("the certificate at {at} was renewed: notAfter {old_na} → {new_na}"),
            )
        } else {
            (
                ChangeKind::CertificateChanged,
                Severity::Warning,
                format!(
                    "the certificate at {at} was replaced by one that expires no later (notAfter {old_na} → {new_na})"
                ),
            )
        };
        out.push(change(
            kind,
            severity,
            message,
            Some(format!("sha256 {}, notAfter {old_na}", old.sha256)),
            Some(format!("sha256 {}, notAfter {new_na}", new.sha256)),
        ));
    }
}

/// Key ids of every target that answered the key query: (`verify_keys`, `old_verify_keys`);
/// `None` when no target did (nothing to compare: the findings say why).
fn key_ids(r: &Report) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let mut any = false;
    let (mut ids, mut old) = (BTreeSet::new(), BTreeSet::new());
    for k in r.targets.iter().filter_map(|t| t.keys.as_ref()) {
        any = true;
        ids.extend(k.key_ids.iter().cloned());
        old.extend(k.old_key_ids.iter().cloned());
    }
    any.then_some((ids, old))
}

fn keys(out: &mut Vec<Change>, before: &Report, after: &Report) {
    let (Some((b, _)), Some((a, a_old))) = (key_ids(before), key_ids(after)) else {
        return;
    };
    for id in b.difference(&a) {
        if a_old.contains(id) {
            out.push(change(
                ChangeKind::KeyRetired,
                Severity::Info,
                format!(
                    "the signing key {id} was retired: it is listed in old_verify_keys, so peers can still verify events signed with it"
                ),
                Some(id.clone()),
                None,
            ));
        } else {
            out.push(change(
                ChangeKind::KeyRemoved,
                Severity::Warning,
                format!(
                    "the signing key {id} disappeared without being listed in old_verify_keys: peers holding events signed by it can no longer verify them"
                ),
                Some(id.clone()),
                None,
            ));
        }
    }
    for id in a.difference(&b) {
        out.push(change(
            ChangeKind::KeyAdded,
            Severity::Info,
            format!("a new signing key: {id}"),
            None,
            Some(id.clone()),
        ));
    }
}

/// `name version` of every target that answered the version query.
fn software_of(r: &Report) -> Option<String> {
    let set: BTreeSet<String> = r
        .targets
        .iter()
        .filter_map(|t| t.server.as_ref())
        .map(|s| {
            format!(
                "{} {}",
                s.name.as_deref().unwrap_or("?"),
                s.version.as_deref().unwrap_or("?")
            )
        })
        .collect();
    (!set.is_empty()).then(|| set.into_iter().collect::<Vec<_>>().join(", "))
}

fn software(out: &mut Vec<Change>, before: &Report, after: &Report) {
    let (Some(b), Some(a)) = (software_of(before), software_of(after)) else {
        return;
    };
    if b != a {
        out.push(change(
            ChangeKind::SoftwareVersion,
            Severity::Info,
            format!("the server software changed: {b} → {a}"),
            Some(b),
            Some(a),
        ));
    }
}

/// A finding's identity across runs: its code and the target it concerns.
fn finding_keys(r: &Report) -> Vec<(Code, Option<&str>, Severity)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.code, f.target.as_deref(), f.severity))
        .collect();
    v.dedup();
    v
}

fn at(target: Option<&str>) -> String {
    target.map(|t| format!(" at {t}")).unwrap_or_default()
}

fn findings(out: &mut Vec<Change>, before: &Report, after: &Report) {
    let (b, a) = (finding_keys(before), finding_keys(after));
    let has = |set: &[(Code, Option<&str>, Severity)], code: Code, target: Option<&str>| {
        set.iter().any(|(c, t, _)| *c == code && *t == target)
    };
    for &(code, target, severity) in &a {
        if !has(&b, code, target) {
            out.push(change(
                ChangeKind::FindingNew,
                severity,
                format!(
                    "new {} finding {}{}",
                    severity.as_str(),
                    code.as_str(),
                    at(target)
                ),
                None,
                Some(code.as_str().into()),
            ));
        }
    }
    for &(code, target, severity) in &b {
        if !has(&a, code, target) {
            out.push(change(
                ChangeKind::FindingResolved,
                Severity::Info,
                format!(
                    "resolved: the {} finding {}{}",
                    severity.as_str(),
                    code.as_str(),
                    at(target)
                ),
                Some(code.as_str().into()),
                None,
            ));
        }
    }
}

#[cfg(test)]
mod tests;
