//! How each DNS query behind a trace step ended, as the JSON report states it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One DNS query of a trace step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DnsQuery {
    /// The record type asked for: `SRV`, `A` or `AAAA`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// How it ended.
    pub status: DnsOutcome,
    /// The records of the answer, in answer order (CNAMEs followed on the way included; at
    /// most 32); empty when none came back.
    #[serde(default)]
    pub records: Vec<DnsRecord>,
}

/// One record of a DNS answer, as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DnsRecord {
    /// `A`, `AAAA`, `SRV` or `CNAME`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// The data: an address, a host name (CNAME, without the trailing dot), or for SRV
    /// `priority weight port target`.
    pub value: String,
    /// Time to live, in seconds, as answered (a cached answer counts down).
    pub ttl: u32,
}

/// How a DNS query ended, exactly as answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DnsOutcome {
    /// Records of the type came back.
    Ok,
    /// NXDOMAIN: the name does not exist.
    Nxdomain,
    /// NODATA: NOERROR without a record of this type (the name exists).
    Nodata,
    /// SERVFAIL.
    Servfail,
    /// REFUSED.
    Refused,
    /// No answer in time.
    Timeout,
    /// The UDP answer was truncated and the retry over TCP failed.
    TruncatedTcpFailed,
    /// Anything else: another response code, a malformed answer, an I/O error (the trace
    /// step's `answer` says which).
    Error,
}
