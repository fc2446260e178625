//! What changed since a previous report of the same server name (`--baseline`), as the JSON
//! report states it. The comparison itself is in [`crate::baseline`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::findings::Severity;

/// One change since the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// `info` for the expected (a renewal, a key retired properly, a resolved finding);
    /// `warning` or `error` for what `--fail-on-change` fails on.
    pub severity: Severity,
    /// In words, with the values.
    pub message: String,
    /// The value in the baseline (`null`: none).
    pub before: Option<String>,
    /// The value now (`null`: none).
    pub after: Option<String>,
}

/// Kinds of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The baseline has no report of this server name: nothing to compare with.
    NotInBaseline,
    /// The overall status.
    Status,
    /// The decisive spec step.
    Step,
    /// The delegated server (`m.server`).
    DelegatedServer,
    /// A target (address and host name) other servers connect to appeared.
    TargetAdded,
    /// A target disappeared.
    TargetRemoved,
    /// A new certificate that expires later than the old one (info).
    CertificateRenewed,
    /// A new certificate that does not expire later than the old one.
    CertificateChanged,
    /// A signing key appeared (info).
    KeyAdded,
    /// A signing key moved to `old_verify_keys` (info: peers can still verify with it).
    KeyRetired,
    /// A signing key disappeared without being listed in `old_verify_keys`.
    KeyRemoved,
    /// The server software or its version.
    SoftwareVersion,
    /// A finding that the baseline did not have (with the finding's severity).
    FindingNew,
    /// A finding of the baseline that is gone (info).
    FindingResolved,
}

impl ChangeKind {
    /// The name as in the JSON, with hyphens (as the human report writes it).
    pub fn label(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', "-")))
            .unwrap_or_default()
    }
}
