//! The one catalogue of finding codes: code, severity, title, short hint and the long
//! explanation behind `--explain CODE`. Codes are a public contract: never renamed, never reused.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// Works today, but fragile, deprecated, or broken for some peers.
    Warning,
    /// Breaks federation (for every peer, or for a whole implementation).
    Error,
}

impl Severity {
    /// Lower-case name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! catalogue {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal, $hint:literal, $explain:literal; )*) => {
        /// A stable finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( #[doc = $title] $variant ),* }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];
            /// The kebab-case code, as in the JSON and `--explain`.
            pub fn as_str(self) -> &'static str { match self { $(Code::$variant => $code),* } }
            /// The severity every finding with this code has.
            pub fn severity(self) -> Severity { match self { $(Code::$variant => Severity::$sev),* } }
            /// A one-line title.
            pub fn title(self) -> &'static str { match self { $(Code::$variant => $title),* } }
            /// The generic fix (findings usually carry a concrete one).
            pub fn hint(self) -> &'static str { match self { $(Code::$variant => $hint),* } }
            /// The long explanation for `--explain`.
            pub fn explanation(self) -> &'static str { match self { $(Code::$variant => $explain),* } }
        }
    };
}

impl Code {
    /// Where a finding sorts among those of its severity: 0 for a diagnosis that explains
    /// other findings, 1 for causes, 2 for symptoms of another finding, 3 for verdict
    /// summaries.
    pub fn consequence_rank(self) -> u8 {
        match self {
            Code::FederationOn443 | Code::DnsNoAnswer | Code::DnsTcpFailed => 0,
            // What a broken route or listener also breaks.
            Code::FederationVersionFailed | Code::KeysFailed => 2,
            // Verdicts that sum up the findings before them.
            Code::NoWorkingTarget | Code::NoTargets => 3,
            _ => 1,
        }
    }

    /// Well-known problems after which every implementation falls back to SRV/8448 on the
    /// server name (none of them uses an unparseable or unreachable file):
    /// harmless, and reported as [`Code::WellKnownIgnored`], when that fallback works for all.
    pub fn every_implementation_falls_back(self) -> bool {
        matches!(
            self,
            Code::WellKnownNotJson
                | Code::WellKnownBom
                | Code::WellKnownTrailingData
                | Code::WellKnownMissingServer
                | Code::WellKnownTlsInvalid
                | Code::WellKnownRedirectLoop
        )
    }

    /// A client-discovery finding (`client-…`): about clients, not federation, so it never
    /// decides the report's `ok`.
    pub fn is_client(self) -> bool {
        self.as_str().starts_with("client-")
    }

    /// The catalogue as a Markdown table (code, severity, title), for the README.
    pub fn markdown_table() -> String {
        let mut s = String::from("| code | severity | meaning |\n| --- | --- | --- |\n");
        for c in Code::ALL {
            s.push_str(&format!(
                "| `{}` | {} | {} |\n",
                c.as_str(),
                c.severity().as_str(),
                c.title()
            ));
        }
        s
    }

    /// Looks a code up by its kebab-case name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// The code a person meant: exact, or ignoring case and `_` for `-`
    /// (`TLS_NAME_MISMATCH`); otherwise up to three nearest codes, best first, to suggest.
    pub fn lookup(name: &str) -> Result<Code, Vec<Code>> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        if let Some(c) = Code::from_name(&wanted) {
            return Ok(c);
        }
        let mut near: Vec<(f64, Code)> = Code::ALL
            .iter()
            .map(|c| {
                let code = c.as_str();
                // A fragment of a code ("mismatch") is as good as a near spelling.
                // A misspelt word of a code ("expird") is a lesser match.
                let word = code
                    .split('-')
                    .map(|w| 0.85 * strsim::normalized_damerau_levenshtein(&wanted, w))
                    .fold(0.0, f64::max);
                let score = if wanted.len() >= 4 && code.contains(&wanted) {
                    0.9
                } else {
                    strsim::normalized_damerau_levenshtein(&wanted, code).max(word)
                };
                (score, *c)
            })
            .filter(|(score, _)| *score >= 0.6)
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0));
        Err(near.into_iter().take(3).map(|(_, c)| c).collect())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Code::from_name(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown finding code `{s}`")))
    }
}

impl JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        schemars::json_schema!({
            "description": "A stable finding code (see `delegcheck --explain CODE`).",
            "type": "string",
            "enum": names,
        })
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

catalogue! {
    // ---- the server name itself -------------------------------------------------------------
    NameInvalid = "name-invalid", Error,
        "The server name does not fit the spec's grammar",
        "Give the server_name exactly as it appears after the colon in your user IDs.",
        "A Matrix server name is `hostname[:port]` where hostname is a DNS name (letters, digits, `-` and `.`), an IPv4 address or an IPv6 address in square brackets, and the port is 1-65535 (spec appendix \"Server names\"). Anything else cannot be resolved by any homeserver.";
    NameHasScheme = "name-has-scheme", Error,
        "The server name is a URL",
        "Drop the `https://` and any path: give only the host (and port, if your user IDs have one).",
        "Server names are not URLs. `https://example.com/` is not the server name of `@alice:example.com`; `example.com` is. The same mistake in a well-known file (`\"m.server\": \"https://...\"`) breaks federation entirely.";
    NameHasPath = "name-has-path", Error,
        "The server name has a path or trailing slash",
        "Remove everything from the first `/`.",
        "A server name is `hostname[:port]`; it never has a path, a query or a trailing slash.";
    NameHasWhitespace = "name-has-whitespace", Error,
        "The server name contains whitespace",
        "Remove the spaces, tabs or line breaks (often pasted by accident).",
        "Whitespace is never part of a server name. It usually comes from copying a name out of a document or a config file.";
    NameUnbracketedIpv6 = "name-unbracketed-ipv6", Error,
        "An IPv6 address without square brackets",
        "Write IPv6 literals in brackets: `[2001:db8::1]` or `[2001:db8::1]:8448`.",
        "The grammar requires IPv6 literals in square brackets so that the port separator is unambiguous. `2001:db8::1` is not a server name.";
    NamePortInvalid = "name-port-invalid", Error,
        "The port is not a usable port number",
        "Use a port from 1 to 65535, or leave the port out (8448 is the default).",
        "The port of a server name is a decimal number. 0 is grammatical but nothing can be connected on it; values above 65535 do not exist; an empty or non-numeric port is a syntax error.";
    NameNonAscii = "name-non-ascii", Error,
        "The server name has non-ASCII characters",
        "Use the punycode (A-label) form of the name.",
        "The server-name grammar is ASCII only. Internationalised domain names must be written in their punycode form (`xn--...`), which is also what DNS and TLS certificates contain.";
    NameIsUserId = "name-is-user-id", Error,
        "A user ID was given instead of a server name",
        "Give only the part after the colon: `@alice:example.com` has the server name `example.com`.",
        "delegcheck checks a server name (the `example.com` of `@alice:example.com`), not a user or room ID.";
    NameIpLiteral = "name-ip-literal", Warning,
        "The server name is an IP address",
        "Use a DNS name as server_name: an IP literal can never be moved or delegated.",
        "An IP-literal server name (spec step 1) connects straight to that address on the given port or 8448, with no well-known and no SRV. The certificate must be valid for the IP address itself, which public CAs rarely issue, and IDs on the server can never move to another address. conduwuit-family servers mis-parse a bracketed IPv6 literal without a port.";
    NameExplicitPort = "name-explicit-port", Info,
        "The server name has an explicit port, so delegation is never consulted",
        "Nothing to do, unless you meant to delegate: then the port must go (it is part of every user ID, so it cannot change now).",
        "When the server name has a port (spec step 2), other servers connect to that host and port directly, with `Host: name:port`. They never fetch `/.well-known/matrix/server` and never look up SRV records, so any you publish are ignored.";
    NameUppercase = "name-uppercase", Warning,
        "The server name has upper-case letters",
        "Prefer an all-lower-case server_name; IDs on `Example.com` and `example.com` are different.",
        "DNS and TLS are case-insensitive, but Matrix identifiers are case-sensitive: `@a:Example.com` and `@a:example.com` are different users on, as far as other servers know, different servers. The spec discourages upper-case server names.";
    NameTooLong = "name-too-long", Warning,
        "The server name is longer than recommended",
        "Keep server names to 230 characters or fewer (and DNS labels to 63).",
        "The spec recommends server names of at most 230 characters so that IDs built from them stay within the 255-character limit. DNS labels are limited to 63 characters.";
    NameTrailingDot = "name-trailing-dot", Warning,
        "The server name ends with a dot",
        "Drop the trailing dot: most software treats `example.com.` and `example.com` as different names.",
        "A trailing dot is grammatical but unusual: certificate checks and Host-header routing frequently fail on it, and IDs on it differ from IDs on the dotless name.";

    // ---- the well-known file ------------------------------------------------------------------
    WellKnownAbsent = "well-known-absent", Info,
        "No /.well-known/matrix/server (404): no delegation",
        "Nothing to do if you serve federation on the server name itself; otherwise publish the file.",
        "A 404 for `https://<server_name>/.well-known/matrix/server` means no delegation: other servers go on to SRV records (spec steps 4 and 5) and then to port 8448 of the server name (step 6). Failures are cached by remote servers for up to an hour.";
    WellKnownUnreachable = "well-known-unreachable", Warning,
        "The well-known host could not be reached on port 443",
        "If you delegate with a well-known, make your server name answer HTTPS on port 443; if not, this only costs peers a failed connection.",
        "Every first contact starts by fetching `https://<server_name>/.well-known/matrix/server` on port 443. If that host does not resolve, refuses, or times out, servers fall back to SRV and port 8448 (spec step 4), but a timeout delays every first contact by that timeout (Synapse waits up to its 60 s request timeout; conduwuit 6 s).";
    WellKnownStatus = "well-known-status", Warning,
        "The well-known answered with an error status",
        "Serve the file with status 200, or 404 if you do not delegate.",
        "Only status 200 counts (spec: \"non-200 response\" is invalid). 5xx and most 4xx make servers fall back to SRV and port 8448 and cache the failure for about an hour; Synapse retries a 5xx three times if the domain recently had a valid file.";
    WellKnownNot200 = "well-known-not-200", Error,
        "The well-known answered with a 2xx status other than 200",
        "Serve the file with exactly 200 OK.",
        "The spec requires status 200. Synapse, Dendrite and continuwuity treat 203, 204, 206 and friends as invalid and fall back, while conduwuit and tuwunel accept any 2xx: the federation splits by implementation.";
    WellKnownTlsInvalid = "well-known-tls-invalid", Error,
        "The well-known host's certificate is not valid, so every server ignores the delegation",
        "Serve a certificate for the server name, from a public CA, with its full chain, on port 443.",
        "The well-known is fetched with normal X.509 validation. If the certificate of `https://<server_name>` is expired, self-signed, for another name or sent without its intermediate, every implementation treats the fetch as failed and falls back to SRV and port 8448 of the server name: your delegation is silently ignored. Browsers may still show the page (they fetch missing intermediates), so this is easy to miss.";
    WellKnownRedirect = "well-known-redirect", Info,
        "The well-known is reached through redirects",
        "Serve the file directly on your server name's https URL to save peers a round trip per hop.",
        "The spec says 30x redirects should be followed. Each hop is another connection, and peers disagree on how many they follow: Synapse 20, Dendrite 10, conduwuit-family 4.";
    WellKnownRedirectLong = "well-known-redirect-long", Warning,
        "More than 4 redirects: conduwuit-family servers give up",
        "Serve the file directly, or with at most one redirect.",
        "conduwuit, tuwunel and continuwuity follow at most 4 redirects for the well-known; Dendrite 10; Synapse 20. A longer chain works for some peers only.";
    WellKnownRedirectTooLong = "well-known-redirect-too-long", Error,
        "10 redirects or more: only Synapse follows them",
        "Serve the file directly, or with at most one redirect.",
        "Dendrite's HTTP client gives up at the 10th redirect and the conduwuit family after 4; only Synapse (20) gets to the end of such a chain, so non-Synapse peers ignore your delegation.";
    WellKnownRedirectLoop = "well-known-redirect-loop", Error,
        "The well-known redirects in a loop, or too often",
        "Fix the redirect rules so that the chain ends at a 200.",
        "A redirect loop (or a chain longer than 20 hops, Synapse's limit) is a failed fetch: servers fall back to SRV and port 8448 of the server name.";
    WellKnownRedirectInsecure = "well-known-redirect-insecure", Error,
        "The well-known redirects to plain http://",
        "Never redirect the well-known to http://; serve it over https.",
        "The well-known must be fetched over HTTPS. Synapse, Dendrite and the conduwuit family nevertheless follow a redirect to http:// (so does delegcheck, to see what they see), which lets anyone on the path rewrite your delegation.";
    WellKnownTooLarge = "well-known-too-large", Error,
        "The well-known is larger than 50 KiB",
        "Serve a small file: `{\"m.server\": \"host:port\"}` is all it needs.",
        "Synapse and Dendrite refuse well-known bodies of 50 KiB or more, and conduwuit-family servers refuse 12 KiB or more. An oversized body is a failed fetch.";
    WellKnownLarge = "well-known-large", Warning,
        "The well-known is larger than 12 KiB: conduwuit-family servers ignore it",
        "Serve a small file: `{\"m.server\": \"host:port\"}` is all it needs.",
        "conduwuit and tuwunel read at most 12,288 bytes of the well-known; a larger body makes them ignore your delegation.";
    WellKnownContentType = "well-known-content-type", Info,
        "The well-known is not served as application/json",
        "Serve it with `Content-Type: application/json` (nginx: `default_type application/json;`).",
        "The spec says servers must parse the body as JSON whatever its Content-Type, so this works; it is still worth fixing because some tools and clients check it.";
    WellKnownNotJson = "well-known-not-json", Error,
        "The well-known is not JSON",
        "Serve `{\"m.server\": \"host:port\"}` as a static file; check for a catch-all route that serves HTML.",
        "A body that is not JSON is an invalid well-known: servers fall back to SRV and port 8448 of the server name, and cache that for about an hour. The classic cause is a website's catch-all route answering `/.well-known/matrix/server` with an HTML page.";
    WellKnownBom = "well-known-bom", Error,
        "The well-known starts with a byte-order mark",
        "Save the file as UTF-8 without BOM.",
        "A UTF-8 byte-order mark (EF BB BF) before the JSON makes Python's, Go's and serde's JSON parsers reject the body, so the delegation is ignored. Editors on Windows add it silently.";
    WellKnownNotObject = "well-known-not-object", Error,
        "The well-known is JSON but not an object",
        "The body must be a JSON object: `{\"m.server\": \"host:port\"}`.",
        "Arrays, strings, numbers and null are not valid well-known documents. (continuwuity happens to accept `[\"host\"]`; every other implementation ignores it.)";
    WellKnownMissingServer = "well-known-missing-server", Error,
        "The well-known has no `m.server`",
        "Add `\"m.server\": \"host:port\"` to the object.",
        "Without `m.server` the file is invalid and servers fall back to SRV and port 8448. A common cause is serving the client file (`{\"m.homeserver\": ...}`) at the server path.";
    WellKnownServerNotString = "well-known-server-not-string", Error,
        "`m.server` is not a string",
        "Write `m.server` as a string: `\"m.server\": \"host:port\"`.",
        "`m.server` must be a string holding a server name. A number, object or null makes the file invalid.";
    WellKnownServerEmpty = "well-known-server-empty", Error,
        "`m.server` is empty",
        "Put the delegated host (and port) in `m.server`, or remove the file.",
        "An empty `m.server` is invalid. Synapse treats it as no delegation but caches that as a success for a day; continuwuity tries to connect to an empty host.";
    WellKnownServerScheme = "well-known-server-scheme", Error,
        "`m.server` is a URL, not host[:port]",
        "Write `\"m.server\": \"matrix.example.com:443\"`, without `https://`.",
        "`m.server` uses the server-name grammar. With a scheme, Synapse and continuwuity use the string verbatim and fail to connect, Dendrite rejects it and fails, and conduwuit falls back: federation with you breaks for most of the network.";
    WellKnownServerPath = "well-known-server-path", Error,
        "`m.server` has a path or trailing slash",
        "Write only host and port: `\"m.server\": \"matrix.example.com:443\"`.",
        "A path in `m.server` is not grammatical. Synapse builds a broken request path, Dendrite fails, conduwuit falls back.";
    WellKnownServerIpv6 = "well-known-server-ipv6", Error,
        "`m.server` has an unbracketed IPv6 address",
        "Write IPv6 literals in brackets: `\"m.server\": \"[2001:db8::1]:443\"`.",
        "Without brackets the port separator is ambiguous. Implementations disagree: Dendrite fails, Synapse mis-parses, conduwuit falls back, continuwuity accepts.";
    WellKnownServerPort = "well-known-server-port", Error,
        "`m.server` has an unusable port",
        "Use a port from 1 to 65535, or none (8448 is the default).",
        "Port 0, ports above 65535 and non-numeric ports cannot be connected to. Synapse takes `:0` as no port at all but sends `Host: host:0`.";
    WellKnownServerInvalid = "well-known-server-invalid", Error,
        "`m.server` is not a valid server name",
        "Write `m.server` as `host[:port]`: ASCII letters, digits, `-` and `.`, no spaces.",
        "`m.server` uses the server-name grammar. Invalid values (whitespace, non-ASCII, stray characters) make Synapse and Dendrite fail hard while conduwuit falls back: federation breaks for most of the network.";
    WellKnownServerTrailingDot = "well-known-server-trailing-dot", Warning,
        "`m.server` ends with a dot",
        "Drop the trailing dot from `m.server`.",
        "A trailing dot is grammatical, but certificate checks and Host-based routing frequently fail on it.";
    WellKnownDuplicateKey = "well-known-duplicate-key", Error,
        "The well-known has `m.server` twice",
        "Keep exactly one `m.server` key.",
        "JSON with duplicate keys is undefined: Synapse, Dendrite and conduwuit take the last value, continuwuity rejects the document.";
    WellKnownKeyCase = "well-known-key-case", Error,
        "The well-known has `m.server` in the wrong case",
        "The key is exactly `m.server`, in lower case.",
        "Keys are case-sensitive. Dendrite accepts `M.Server` (Go's JSON decoder matches keys case-insensitively); every other implementation ignores the file.";
    WellKnownTrailingData = "well-known-trailing-data", Error,
        "The well-known has data after the JSON object",
        "Serve exactly one JSON object and nothing after it.",
        "Extra bytes after the JSON value make every strict parser reject the body.";
    WellKnownIgnored = "well-known-ignored", Warning,
        "The well-known is broken, but every server falls back to a path that works",
        "Fix /.well-known/matrix/server (or remove it) so that it says what you mean; the message names the problem.",
        "Every implementation treats this kind of broken well-known (an HTML page, no `m.server`, an invalid certificate on a plain website, a redirect loop) as no delegation and goes on to SRV and port 8448. Here the file names no delegation and that path works for all of them, so federation is unaffected; it costs every peer a failed fetch (which Synapse caches for about an hour). When the file does name an `m.server` (a delegation was meant and is being ignored), or when the fallback does not work, the same problem is an error under its own code.";
    WellKnownCache = "well-known-cache", Info,
        "How long other servers cache this well-known",
        "During a migration, lower `max-age` a couple of days ahead.",
        "Servers cache the well-known: Synapse honours Cache-Control/Expires clamped to 5 minutes - 48 hours (24 hours by default) and caches failures for 1 hour; conduwuit-family servers cache resolution for 18-36 hours, continuwuity 24 hours; Dendrite keeps it until it fails. So a fix reaches the whole federation only after these times.";
    WellKnownSplitBrain = "well-known-split-brain", Warning,
        "The server name's addresses answer the well-known differently",
        "Make every A and AAAA address of the server name serve the same well-known (or remove the stale address).",
        "Peers fetch the well-known from whichever address they connect to first (IPv6 is usually preferred). If the addresses disagree, some peers are delegated and some are not, which looks like random federation failures.";

    // ---- SRV ------------------------------------------------------------------------------------
    SrvLegacy = "srv-legacy", Warning,
        "Delegation uses the deprecated `_matrix._tcp` SRV record",
        "Publish `_matrix-fed._tcp` with the same target (or better, a well-known with an explicit port).",
        "`_matrix._tcp` is deprecated since spec v1.8 (MSC4040) because `matrix` is not an IANA-registered service name. Servers look up `_matrix-fed._tcp` first and only then the legacy name.";
    SrvLegacyMismatch = "srv-legacy-mismatch", Warning,
        "`_matrix-fed._tcp` and `_matrix._tcp` disagree",
        "Make both records point to the same target, or remove `_matrix._tcp`.",
        "When both exist, `_matrix-fed._tcp` wins and the legacy records are never used; differing records usually mean one of them is stale.";
    SrvIgnored = "srv-ignored", Info,
        "SRV records on the server name are ignored because the well-known delegates",
        "Delete the SRV records on the server name, or make them agree with the well-known.",
        "Once a valid well-known is found, SRV is looked up on the delegated host only (spec steps 3.3 and 3.4). Records on the server name itself are never consulted - a common source of confusion when changing a setup.";
    SrvTargetDot = "srv-target-dot", Error,
        "The SRV record's target is `.` (service explicitly unavailable)",
        "Remove the record, or point it at your federation host.",
        "RFC 2782: a target of `.` means the service is decidedly not available. Synapse fails the request without falling back; other implementations try to connect to an empty host.";
    SrvTargetCname = "srv-target-cname", Warning,
        "The SRV record's target is a CNAME",
        "Point the SRV record at the canonical name (the CNAME's end), which has the A/AAAA records.",
        "RFC 2782 and the spec forbid CNAME targets in SRV records. Every current implementation still follows them, so this works today, but it is a spec violation that stricter resolvers reject.";
    SrvTargetIp = "srv-target-ip", Error,
        "The SRV record's target is an IP address",
        "An SRV target must be a host name with A/AAAA records.",
        "RFC 2782 targets are domain names. An IP address written as a target is looked up as a name and does not resolve.";
    SrvPortZero = "srv-port-zero", Error,
        "The SRV record's port is 0",
        "Set the SRV port to the port your federation listener uses (often 443 or 8448).",
        "Port 0 cannot be connected to: servers that pick this record fail at once, and RFC 2782 clients do not fall back to other steps.";
    SrvLookupFailed = "srv-lookup-failed", Error,
        "An SRV lookup failed (SERVFAIL, refused or timeout)",
        "Fix the DNS server that answers for this name; a failing lookup is not the same as no record.",
        "A DNS error is not 'no record'. Synapse fails the request outright; Dendrite, tuwunel and continuwuity fall back to port 8448. Broken DNS therefore splits the federation by implementation.";
    SrvTargetNoAddress = "srv-target-no-address", Warning,
        "An SRV target has no address (other targets remain)",
        "Fix or remove the SRV record whose target does not resolve.",
        "Peers that pick this record (by priority and weight, or conduwuit-family servers if it is first in the answer) cannot connect through it and must fail over, or fail.";
    SrvMultiple = "srv-multiple", Info,
        "Several SRV records: conduwuit-family servers use only the first one",
        "Make sure every target works, and the best-priority one comes first, or use a single record.",
        "Synapse and Dendrite order SRV records by priority and weight (RFC 2782) and try them all; conduwuit, tuwunel and continuwuity use only the first record in the DNS answer.";
    SrvOrder = "srv-order", Warning,
        "The first SRV record in the answer is not the best-priority one",
        "Use one record, or make every target equally good: conduwuit-family servers use the first record in the answer.",
        "conduwuit-family servers ignore priority and weight and use the first SRV record in the answer, which here is a backup target.";

    // ---- addresses ------------------------------------------------------------------------------
    DnsNoAddress = "dns-no-address", Error,
        "A host that must be connected to has no A or AAAA record",
        "Add A and/or AAAA records for the host.",
        "Other servers resolve the host with CNAME, AAAA or A lookups. With no address at all they cannot connect.";
    DnsUnusableAddress = "dns-unusable-address", Error,
        "A host resolves to an address no remote server can use",
        "Publish the host's public address instead (check the A/AAAA records, and any DNS that rewrites them).",
        "Loopback, \"this host\" (0.0.0.0, ::), link-local, multicast, broadcast, documentation, benchmarking and reserved addresses never reach your server from the internet: a remote server that dials 127.0.0.1 or 0.0.0.0 reaches itself. delegcheck never dials link-local (169.254.0.0/16, where cloud metadata services live), unspecified or multicast addresses at all. Private ranges (10/8, 192.168/16, fd00::/8…) are reported separately as `dns-private-address`: usable inside one network only.";
    DnsOverridden = "dns-overridden", Info,
        "Addresses from --resolve or --connect-to, not from DNS",
        "Publish the A/AAAA records when the server goes live, and check again without --resolve or --connect-to.",
        "With `--resolve HOST:PORT:ADDR` (curl's meaning) the address answers HOST's A/AAAA lookups and DNS is not asked: a server whose records do not exist yet can be checked end to end. A host that DNS has no address for but that a `--connect-to HOST:PORT:…` rule names takes the rule's address the same way. Everything else (the well-known, SRV, TLS names, Host headers) is as servers would meet it; only the DNS records of that host are not checked.";
    DnsNoAnswer = "dns-no-answer", Warning,
        "No DNS query was answered: the resolver may be unreachable from here",
        "Check the resolver this check used (--resolver, or the system's) and the network path to it; then check again.",
        "Every lookup of this check timed out or was refused, including names that other lookups would answer. That points at the resolver delegcheck asked, or the network between, rather than at the server being checked: the report's status is `unknown` (exit 3, Nagios UNKNOWN, `delegcheck_probe_success 0`), and no DNS failure is blamed on the server.";
    DnsLookupFailed = "dns-lookup-failed", Error,
        "An address lookup failed (SERVFAIL, refused or timeout)",
        "Fix the DNS server that answers for this name.",
        "A DNS error while resolving a host's A/AAAA records makes the connection fail for every peer.";
    DnsNoIpv4 = "dns-no-ipv4", Warning,
        "The host has no A record: IPv4-only servers cannot reach it",
        "Add an A record (many homeservers have no IPv6).",
        "A large part of the federation runs on IPv4-only hosts. With only AAAA records they cannot connect.";
    DnsNoIpv6 = "dns-no-ipv6", Info,
        "The host has no AAAA record",
        "Add an AAAA record if your server has IPv6.",
        "Not a problem: IPv6-only peers are rare. Worth adding if you have IPv6 connectivity.";
    DnsPrivateAddress = "dns-private-address", Warning,
        "A target address is private",
        "Publish the server's public address in DNS (fine as it is for a federation inside one network).",
        "Servers outside your network cannot connect to private (RFC 1918, CGNAT, unique-local, link-local) addresses. A check from inside the network succeeds while the rest of the federation fails, typically with split-horizon DNS or a record copied from an internal zone.";
    TargetsCapped = "targets-capped", Info,
        "Not every address was checked",
        "Nothing to do, unless the unchecked addresses matter: check them with --connect-to.",
        "delegcheck bounds its fan-out per server name: at most 8 records of one SRV answer are resolved and at most 16 target addresses are checked, in the order servers try them. Servers rarely get further down the list than that.";
    DnsCname = "dns-cname", Info,
        "The host is a CNAME",
        "Nothing to do: CNAMEs are allowed for host names.",
        "CNAMEs are allowed for host names (spec: \"CNAME, AAAA or A\"), but not as SRV targets.";
    DnsTcpFailed = "dns-tcp-failed", Error,
        "A DNS answer was truncated over UDP and the retry over TCP failed",
        "Let the DNS server answer over TCP (port 53; RFC 7766 requires it), or make the answer small enough for UDP.",
        "An answer too large for UDP comes back truncated (the TC flag), and resolvers ask again over TCP, which every DNS server must support (RFC 7766). Here the TCP retry failed too (refused, reset, or truncated again), typically because a firewall or the DNS provider blocks DNS over TCP. Every resolver that gets the truncated answer fails the lookup: a failed SRV lookup makes Synapse give up, a failed address lookup leaves the host unreachable. This is not the same as NXDOMAIN or no record: the records may well exist.";

    // ---- connecting to a target -----------------------------------------------------------------
    TcpRefused = "tcp-refused", Error,
        "Connection refused",
        "Start the listener on this port or open the firewall; or remove the address from DNS.",
        "The address answered with a TCP reset: nothing listens on that port, or a firewall rejects it. Peers that connect to this address fail.";
    TcpTimeout = "tcp-timeout", Error,
        "Connection timed out",
        "Open the port in the firewall (and any cloud security group), or remove the address from DNS.",
        "The address did not answer at all, which usually means a firewall dropping packets, or an address that is not routed. Peers wait for their connect timeout on each attempt.";
    TcpUnreachable = "tcp-unreachable", Error,
        "Network unreachable",
        "Check that the address is routed (and, for IPv6, that the host really has it); if it is a private address, publish the public one.",
        "The connection could not even be attempted: no route to the address from here. If other servers have the same problem, remove the record.";
    TlsHandshakeFailed = "tls-handshake-failed", Error,
        "The TLS handshake failed",
        "Serve TLS on this port, with a certificate for the expected name (SNI).",
        "The port accepted the connection but no TLS session could be set up: plain HTTP on a TLS port, a TLS alert (often \"no certificate for this SNI\"), or a peer that closed the connection.";
    TlsOldVersion = "tls-old-version", Error,
        "The server offers only TLS older than 1.2",
        "Enable TLS 1.2 and 1.3 on the federation listener.",
        "TLS 1.0 and 1.1 are deprecated (RFC 8996); many peers refuse them.";
    TlsNameMismatch = "tls-name-mismatch", Error,
        "The certificate is not valid for the name the spec requires",
        "Issue the certificate for the name the spec requires at this step.",
        "Which name the certificate must cover depends on the step that found the target: the server name for steps 4-6 (SRV or 8448 on the server name), the delegated host for steps 3.2-3.5, the IP address for literals. It is never the SRV target. The classic mistakes are a certificate for the SRV target, or for the server name when a well-known delegates to another host.";
    TlsExpired = "tls-expired", Error,
        "The certificate has expired",
        "Renew the certificate (and check that renewal is automated).",
        "Servers never ignore TLS errors: an expired certificate breaks federation with every peer.";
    TlsNotYetValid = "tls-not-yet-valid", Error,
        "The certificate is not valid yet",
        "Check the server's clock and the certificate's notBefore date.",
        "A certificate whose validity starts in the future is rejected. Usually a clock problem on one side.";
    TlsExpiring = "tls-expiring", Warning,
        "The certificate expires within --warn-cert-days (14 days by default)",
        "Renew the certificate now, and check that renewal is automated.",
        "Automated renewal normally happens 30 days before expiry; a certificate this close to the end suggests renewal is failing. The threshold is --warn-cert-days (default 14); the Nagios state is WARNING.";
    TlsExpiringSoon = "tls-expiring-soon", Warning,
        "The certificate expires within --crit-cert-days (3 days by default)",
        "Renew the certificate today, and find out why automated renewal failed.",
        "Federation still works, so this stays a warning in the verdict, but the certificate is about to break it for every peer: the Nagios state is CRITICAL. The threshold is --crit-cert-days (default 3); above it, up to --warn-cert-days, the finding is tls-expiring.";
    TlsUnknownIssuer = "tls-unknown-issuer", Error,
        "The certificate's issuer is not trusted",
        "Use a certificate from a public CA.",
        "The chain does not lead to a trusted root. Peers trust the usual public CAs; a private CA works only with peers configured for it.";
    TlsSelfSigned = "tls-self-signed", Error,
        "The certificate is self-signed",
        "Use a certificate from a public CA (Let's Encrypt is free).",
        "Since Synapse 1.0 (MSC1711) servers require certificates from a trusted CA; self-signed certificates no longer work.";
    TlsIncompleteChain = "tls-incomplete-chain", Error,
        "The server sends the certificate without its intermediate",
        "Serve the full chain (e.g. `fullchain.pem`, not `cert.pem`).",
        "Browsers fetch a missing intermediate certificate themselves (AIA), so the site looks fine; homeservers do not, and fail with \"unable to get local issuer certificate\".";
    TlsInvalid = "tls-invalid", Error,
        "The certificate is invalid",
        "Serve a valid certificate for the expected name.",
        "The certificate was rejected for a reason not covered by a more specific code; the message has the verifier's words.";
    TlsPlainHttp = "tls-plain-http", Error,
        "The port speaks plain HTTP where TLS is expected",
        "Serve TLS on this port: in nginx `listen 8448 ssl;` (with `ssl_certificate` and `ssl_certificate_key`); `listen 8448;` alone serves plain HTTP.",
        "Federation is HTTPS only: servers open every connection with a TLS handshake. This port answered the handshake with a plain HTTP response (`HTTP/1.1 400 Bad Request` is what nginx says to a TLS handshake on a listener without `ssl`), so it fails for every peer. The usual causes: a `listen` directive without `ssl` (nginx), an `http://` site address (Caddy), a `bind` without `ssl crt` (haproxy), or the homeserver's own plain-HTTP listener (Synapse's port 8008) published on the federation port.";

    // ---- the federation endpoints ---------------------------------------------------------------
    FederationVersionFailed = "federation-version-failed", Error,
        "GET /_matrix/federation/v1/version did not answer as a homeserver",
        "Route /_matrix/ on this host and port to your homeserver.",
        "Every homeserver answers `/_matrix/federation/v1/version` with JSON `{\"server\": {\"name\", \"version\"}}`. Anything else means the request reached something that is not a homeserver: a default vhost, a website, a proxy error page.";
    FederationOn443 = "federation-on-443", Error,
        "Federation answers on 443, but servers connect to 8448",
        "Add the port to the delegation: `{\"m.server\": \"host:443\"}` in the well-known.",
        "Without a port (in `m.server`, or with no delegation at all) servers connect to port 8448. delegcheck found 8448 closed and the homeserver answering federation on 443 of the same host: the usual reverse-proxy setup with the port left off the well-known. Either write the port (`host:443`) or open 8448.";
    FederationNotRouted = "federation-not-routed", Error,
        "Federation requests do not reach the homeserver",
        "Proxy the whole /_matrix prefix to the homeserver (no trailing slash in nginx `proxy_pass`).",
        "An unauthenticated federation request must come back from the homeserver itself as 401 with JSON `{\"errcode\": \"M_UNAUTHORIZED\"}`. A 404, an HTML page or a proxy error means the reverse proxy does not route `/_matrix/federation` to the homeserver, even if `/version` or `/key` work.";
    FederationHostPort = "federation-host-port", Warning,
        "Requests with `Host: name:port` are not routed: conduwuit-family servers cannot reach you",
        "Make the proxy match the host name whatever the port (nginx `server_name` does; haproxy: use `hdr_dom(host)`).",
        "conduwuit, tuwunel and continuwuity send the port in the Host header when it is not 443 (`Host: example.com:8448`). A reverse proxy that matches the exact Host string answers them with an error.";
    FederationSlow = "federation-slow", Warning,
        "The federation endpoints answer slowly",
        "Find what delays the response (proxy buffering, an overloaded homeserver, DNS on the server side).",
        "Peers give up on slow servers: matrix.org's notary fetches keys with about a 10 s limit, conduwuit-family servers resolve with a 10 s limit.";
    FederationUpstreamDown = "federation-upstream-down", Error,
        "The reverse proxy routes /_matrix, but the homeserver behind it does not answer",
        "Check that the homeserver is running and listening where the proxy sends /_matrix: the address and port of `proxy_pass` (nginx), `reverse_proxy` (Caddy) or the backend `server` (haproxy) must be the homeserver's listener.",
        "The federation request reached the reverse proxy, which answered with its own error page: 502 Bad Gateway (it could not connect to the homeserver, or got no valid answer), 503 Service Unavailable (no healthy upstream) or 504 Gateway Timeout (the homeserver took the connection but did not answer in time); Cloudflare's 520-524 mean the same. So the proxy does route /_matrix: what fails is the homeserver behind it, or the upstream address the proxy uses for it. Check the homeserver process (is it running, or stuck?), its listener (Synapse: `listeners`, port 8008 by default, and `bind_addresses`) and the upstream address and port in the proxy configuration; the proxy's error log names the upstream it tried. A 503 that is a Matrix JSON error comes from the homeserver itself and is not this finding.";
    FederationRedirect = "federation-redirect", Error,
        "The federation port answers with a redirect",
        "Serve /_matrix/ on this host and port directly, without a redirect; to move federation to another host, delegate with the well-known or SRV instead.",
        "Federation requests are not redirected: Synapse's federation client treats any 3xx as a failed request (`synapse/http/matrixfederationclient.py` sends with Twisted's raw Agent, without redirect handling; only media downloads follow one 307/308). The conduwuit family's HTTP client follows up to 3 redirects (`src/service/client/mod.rs`), but the request stays signed for the original destination, and a redirect to another host drops its Authorization header. A redirect on the federation endpoints usually comes from a blanket rule that also catches them (nginx `return 301 https://$host$request_uri;`, an HTTP-to-HTTPS or www redirect) or from a site that moved.";
    FederationBadHttp = "federation-bad-http", Error,
        "The federation responses are broken HTTP",
        "Find what cuts or garbles responses on the way: the reverse proxy's error log (nginx: `upstream prematurely closed connection`, errors writing to `proxy_temp_path`), a homeserver process that dies mid-response, or a middlebox rewriting traffic.",
        "The request reached something that started an HTTP response but broke HTTP's framing: a body shorter than its `Content-Length`, invalid or cut-off chunked encoding, a response head that never completes or is too large. Every peer's HTTP client rejects such a response. This is not a routing problem: the message says exactly how the response broke.";

    // ---- signing keys ---------------------------------------------------------------------------
    KeysFailed = "keys-failed", Error,
        "GET /_matrix/key/v2/server did not return the server's keys",
        "Route /_matrix/key/ to the homeserver.",
        "Peers fetch `/_matrix/key/v2/server` to verify every event and request you send. Without it nothing you sign is accepted.";
    KeysServerNameMismatch = "keys-server-name-mismatch", Error,
        "The keys are for another server name",
        "Check `server_name` in the homeserver config, or check the name you gave delegcheck.",
        "The server at this address says it is a different server. Either the homeserver's `server_name` is not this name (it cannot be changed after the first start), or delegation points at another homeserver, or you tested the delegated host instead of the server name.";
    KeysBadSignature = "keys-bad-signature", Error,
        "A key response signature does not verify",
        "Check that nothing rewrites the response (a proxy re-encoding JSON), and the signing key file.",
        "The key response must be signed by each of its own ed25519 keys over Matrix canonical JSON. A bad signature makes peers reject the keys.";
    KeysNoEd25519 = "keys-no-ed25519", Error,
        "The key response has no usable ed25519 key",
        "Check the homeserver's signing key file.",
        "Every homeserver publishes at least one `ed25519:*` verify key of 32 bytes.";
    KeysExpired = "keys-expired", Error,
        "The key response's valid_until_ts is in the past",
        "Check the server clock (NTP) and any cache in front of /_matrix/key.",
        "Peers refuse keys whose `valid_until_ts` has passed. Usually a wrong clock, or a cache serving an old response.";
    KeysExpiring = "keys-expiring", Info,
        "The key response is valid for less than an hour",
        "Nothing breaks: peers fetch the keys again when they expire. To publish them for longer, raise Synapse's `key_refresh_interval` (default 1d), and check that no cache in front of /_matrix/key serves an old response.",
        "Homeservers accept a signing key for as long as its `valid_until_ts` is later than the moment it is used, and fetch the keys again once it has passed: Synapse counts a key when `valid_until_ts >= minimum_valid_until_ts`, the time of use (`synapse/crypto/keyring.py`); Conduit when it is later than the event's timestamp (`filter_keys_single_server`). A short but future `valid_until_ts` therefore costs peers a refetch, nothing more. The spec (server-server API, \"Retrieving server keys\", `GET /_matrix/key/v2/server`) asks originating servers to avoid responses that expire in less than an hour, to spare peers repeated requests, and says servers use keys whose `valid_until_ts` is in the future; Synapse's `key_refresh_interval` sets this lifetime (default one day). A `valid_until_ts` in the past is `keys-expired`.";

    // ---- across targets -------------------------------------------------------------------------
    TargetSplitBrain = "target-split-brain", Warning,
        "The target addresses do not agree",
        "Make every address serve the same homeserver, with the same certificate and keys (or remove the stale address from DNS).",
        "Peers connect to any of the addresses. If they present different server names, keys or certificates, federation fails for some peers and some attempts only.";
    TargetIpv6Broken = "target-ipv6-broken", Warning,
        "Federation works over IPv4 only",
        "Fix the IPv6 listener or firewall, or remove the AAAA record.",
        "Peers with IPv6 usually try the AAAA address first. If it does not work, they fall back to IPv4 after a delay at best, or fail.";
    TargetIpv4Broken = "target-ipv4-broken", Warning,
        "Federation works over IPv6 only",
        "Fix the IPv4 listener or firewall, or the A record: most peers are IPv4-only.",
        "Most homeservers have IPv4 only. If the A address does not work, they cannot reach you.";
    NoWorkingTarget = "no-working-target", Error,
        "No address passes every check: federation with this server fails",
        "Fix the findings for the targets above.",
        "delegcheck found where other servers would connect, but none of those addresses works end to end.";
    NoTargets = "no-targets", Error,
        "Resolution gives no address to connect to",
        "Publish the records the decisive step needs (see the trace).",
        "Server-name resolution ended without any address, so no server can connect.";
    DeadlineExceeded = "deadline-exceeded", Info,
        "The check did not finish within the deadline",
        "The message names the step that used the time; raise --timeout (or lower --step-timeout) if the server is just slow.",
        "Every probe runs inside one overall deadline (--timeout), and each network step inside a step timeout (--step-timeout, by default at most half of --timeout, so that one black-holed step leaves time for the steps after it). Checks that the deadline cut short are `not checked`, never failed: they are the tool's limit, not the server's. When the verdict depends on them the report's status is `unknown` (exit 3).";
    WellKnownFamilyMissing = "well-known-family-missing", Warning,
        "Single-stack servers of one family cannot fetch the well-known",
        "Publish the missing A or AAAA record for the server name (and serve the well-known there), or accept that servers of that family ignore the delegation.",
        "With -4 or -6 delegcheck connects as an IPv4-only or IPv6-only server would; DNS is still asked for both families and shown as answered. When the server name has addresses of the other family only, such a server cannot fetch `/.well-known/matrix/server`, treats it as absent and goes on to SRV and port 8448 of the server name, which the rest of the report then checks.";
    NotChecked = "not-checked", Info,
        "A step could not be checked from here",
        "Check from a host that can reach the address (for IPv6, one with an IPv6 route), or with a longer --timeout.",
        "A step (the well-known fetch, or checks of a target) was not made for a reason of the checking host: the deadline passed first, this host has no route to the address (a machine without IPv6 checking an AAAA target) or could not open a socket, `--public-only` refused the address, or a response was larger than delegcheck reads (homeservers read more). Nothing is concluded about the server from it. When the verdict depends on it (the well-known, or every target that could pass) the report's status is `unknown`.";
    ClientWellKnownMissing = "client-well-known-missing", Warning,
        "Federation is delegated, but clients find no /.well-known/matrix/client",
        "Publish `https://<server_name>/.well-known/matrix/client` with `{\"m.homeserver\": {\"base_url\": \"https://matrix.example.org\"}}` and `Access-Control-Allow-Origin: *`.",
        "Delegation has two halves. The server well-known and SRV records tell other *servers* where to connect; clients never read them. A client given `@alice:example.org` fetches `https://example.org/.well-known/matrix/client` (client-server spec, \"Well-known URIs\"); without it (404, or nothing answering HTTPS on the server name) discovery ends with IGNORE (matrix-js-sdk: PROMPT) and Element, Element X, FluffyChat and every other client ask the user to type the homeserver URL. A web client also shows an error when the 404 carries no `Access-Control-Allow-Origin` (it cannot even see the status). Synapse's delegation guide says it: SRV delegation \"will not cover use cases involving client-server comms\".";
    ClientWellKnownAbsent = "client-well-known-absent", Info,
        "No /.well-known/matrix/client: clients ask for the homeserver URL",
        "If clients should find the homeserver from user IDs, publish `/.well-known/matrix/client` with `{\"m.homeserver\": {\"base_url\": \"https://...\"}}` and `Access-Control-Allow-Origin: *`.",
        "Without the client well-known (404, or nothing answering HTTPS on the server name) discovery ends with IGNORE (matrix-js-sdk: PROMPT): clients ask the user for the homeserver URL. That is fine when users are told the URL; it is the usual cause of \"Element cannot find my server\".";
    ClientWellKnownStatus = "client-well-known-status", Error,
        "The client well-known answered with a status other than 200 or 404",
        "Serve the file with status 200 (or 404 if you publish none).",
        "The spec: a 404 means IGNORE, any other non-200 status FAIL_PROMPT (matrix-js-sdk: any status but 200 and 404, 201 and 204 included). Clients tell the user discovery failed and ask for the URL.";
    ClientWellKnownNotJson = "client-well-known-not-json", Error,
        "The client well-known is not JSON",
        "Serve `{\"m.homeserver\": {\"base_url\": \"https://...\"}}` as a static file; look for a catch-all route that answers with HTML.",
        "A body that does not parse as JSON (empty, an HTML page, JSON followed by other data) is FAIL_PROMPT in the spec and in matrix-js-sdk: clients tell the user discovery failed and ask for the URL.";
    ClientWellKnownInvalid = "client-well-known-invalid", Error,
        "The client well-known has no usable `m.homeserver.base_url`",
        "Write `{\"m.homeserver\": {\"base_url\": \"https://matrix.example.org\"}}`.",
        "The body must be a JSON object with `m.homeserver`, an object with a non-empty `base_url` (spec steps 3.3 and 3.4: FAIL_PROMPT). A common mistake is serving the server file (`{\"m.server\": ...}`) at the client path, or `m.homeserver` as a string.";
    ClientWellKnownRedirect = "client-well-known-redirect", Error,
        "The client well-known's redirects do not end",
        "Serve the file directly, or fix the redirect rules so the chain ends at a 200.",
        "Clients follow redirects the way `fetch` does (at most 20, never in a loop; spec MSC4402 on main: \"redirection loops should be avoided\"). A loop, more than 20 hops or a 3xx without a Location is a failed fetch: FAIL_PROMPT.";
    ClientWellKnownBom = "client-well-known-bom", Warning,
        "The client well-known starts with a byte-order mark",
        "Save the file as UTF-8 without BOM.",
        "matrix-js-sdk (a browser's `Response.json()`) skips a UTF-8 byte-order mark, so Element Web copes; JSON parsers that do not (serde_json, Go's encoding/json, Python's `json.loads`) reject the body, so clients built on them fail discovery with FAIL_PROMPT.";
    ClientContentType = "client-content-type", Info,
        "The client well-known is not served as application/json",
        "Serve it with `Content-Type: application/json` (nginx: `default_type application/json;`).",
        "The spec's endpoint definition returns `application/json`. matrix-js-sdk does not read the Content-Type, so Element works; stricter clients and tools may not.";
    ClientBaseUrlInvalid = "client-base-url-invalid", Error,
        "`m.homeserver.base_url` is not an http(s) URL",
        "Write the full URL with its scheme: `\"base_url\": \"https://matrix.example.org\"`.",
        "The spec's step 3.5: a base_url that is not a valid URL is FAIL_ERROR; clients stop and do not let the user log in. matrix-js-sdk parses it as a browser does and requires an http or https scheme and a host: `matrix.example.org` (no scheme) or `matrix.example.org:8448` are not URLs.";
    ClientVersionsFailed = "client-versions-failed", Error,
        "The base_url does not answer /_matrix/client/versions",
        "Route `/_matrix/client` on the base_url's host to the homeserver (and check the base_url's host, path prefix and DNS).",
        "Clients validate the base_url with `GET {base_url}/_matrix/client/versions`, which must answer a JSON object with a `versions` array (spec step 3.5). Anything else (no DNS, refused, a 404, an HTML page, a proxy error) is FAIL_ERROR: clients refuse to log in.";
    ClientVersionsUnsupported = "client-versions-unsupported", Error,
        "The homeserver lists no spec version matrix-js-sdk supports",
        "Upgrade the homeserver: it must list at least one of v1.1 to v1.13 in /_matrix/client/versions.",
        "matrix-js-sdk (Element Web) goes beyond the spec: `/versions` must list one of the versions it supports (`SUPPORTED_MATRIX_VERSIONS`, v1.1 to v1.13 in v43.0.0), else FAIL_ERROR with ERROR_UNSUPPORTED_HOMESERVER_SPEC_VERSION. A server that lists only r0.x versions is too old for Element.";
    ClientTlsInvalid = "client-tls-invalid", Error,
        "A host of client discovery presents a certificate clients reject",
        "Serve a certificate for this host name, from a public CA, with its full chain.",
        "Clients fetch the client well-known, the base_url and the identity server with normal X.509 validation: the certificate must be valid for the host name in the URL, chain to a trusted root and be in date. Otherwise the fetch fails: FAIL_PROMPT at the well-known, FAIL_ERROR at the base_url.";
    ClientTlsExpiring = "client-tls-expiring", Warning,
        "A certificate of client discovery expires within --warn-cert-days",
        "Renew the certificate now, and check that renewal is automated.",
        "Once it expires, clients cannot discover or reach the homeserver on that host.";
    ClientSlow = "client-slow", Error,
        "A client-discovery request took longer than matrix-js-sdk waits (5 s)",
        "Find what delays the response (proxy, DNS, an overloaded server).",
        "matrix-js-sdk aborts every discovery request after 5 seconds, body included (`timeoutSignal(5000)`): a slower well-known is FAIL_PROMPT, slower `/versions` FAIL_ERROR.";
    ClientCorsMissing = "client-cors-missing", Error,
        "A response web clients must read has no usable Access-Control-Allow-Origin",
        "Add `Access-Control-Allow-Origin: *` to the response (nginx: `add_header Access-Control-Allow-Origin * always;`).",
        "Element Web and every other browser client run discovery with `fetch` from their own origin: the browser hands a response to the page only when it carries `Access-Control-Allow-Origin: *` (or exactly the page's origin), error statuses included. The spec says the well-known SHOULD and the client API must offer CORS headers (\"Web Browser Clients\"). Without it web clients fail (FAIL_PROMPT at the well-known, FAIL_ERROR at `/versions`) while native clients work.";
    ClientCorsRedirect = "client-cors-redirect", Error,
        "A redirect hop of client discovery has no Access-Control-Allow-Origin",
        "Add `Access-Control-Allow-Origin: *` to the redirect response too (nginx: `always` on `add_header`), or serve the file without a redirect.",
        "A browser checks CORS on every redirect response before it follows it (fetch standard, \"HTTP fetch\"): a 30x without `Access-Control-Allow-Origin` ends the fetch and the target is never requested. After a redirect to another origin the page's origin becomes `null`, so only `*` passes there. The spec (MSC4402) asks for CORS headers on every 30x. Element Web and every browser client fail; native clients follow.";
    ClientCorsPreflight = "client-cors-preflight", Error,
        "The client API refuses a browser's preflight",
        "Answer `OPTIONS` on /_matrix/client with 2xx and `Access-Control-Allow-Origin: *`, `Access-Control-Allow-Methods: GET, POST, PUT, DELETE, OPTIONS`, `Access-Control-Allow-Headers: X-Requested-With, Content-Type, Authorization`.",
        "Every authenticated request a web client makes carries `Authorization` (and a JSON body), so the browser first sends an `OPTIONS` preflight; the spec requires homeservers to answer it with the CORS headers (\"Web Browser Clients\"). `Access-Control-Allow-Headers: *` does not cover `Authorization`. A proxy that answers OPTIONS itself, or strips the headers, leaves Element Web unable to do anything after discovery.";
    ClientMixedContent = "client-mixed-content", Error,
        "Client discovery leads to plain http://: browsers block it",
        "Use https:// in `base_url` and in every redirect.",
        "A page served over https may not fetch http:// URLs (mixed content): the browser blocks the request before it is sent. A `base_url` of `http://...` or a redirect to http:// fails every web client (FAIL_ERROR or FAIL_PROMPT), while native clients follow it insecurely.";
    ClientIdentityServerInvalid = "client-identity-server-invalid", Warning,
        "`m.identity_server` is present but not usable",
        "Fix `m.identity_server.base_url` (an https URL whose `/_matrix/identity/v2` answers 200 JSON), or remove `m.identity_server`.",
        "When the well-known names an identity server, clients validate `GET {base_url}/_matrix/identity/v2` (spec step 3.6). matrix-js-sdk then reports FAIL_PROMPT for the identity server (the homeserver still works) and drops every other key of the file from its result.";
    ClientSupportAbsent = "client-support-absent", Info,
        "No /.well-known/matrix/support",
        "Publish `/.well-known/matrix/support` with an admin contact (`m.role.admin`) or a `support_page`.",
        "Since spec v1.10 a server may publish who to contact (`contacts` with `matrix_id` or `email_address` and a `role`) and a `support_page`. Clients and other servers' admins use it to reach you.";
    ClientSupportInvalid = "client-support-invalid", Warning,
        "/.well-known/matrix/support does not follow the spec",
        "Serve `{\"contacts\": [{\"matrix_id\": \"@admin:example.org\", \"role\": \"m.role.admin\"}]}` and/or `\"support_page\": \"https://...\"`.",
        "The support file (spec v1.10) is a JSON object with at least one of `contacts` (a non-empty array; each contact has a `role` and a `matrix_id` starting with `@` or an `email_address`) and `support_page` (a URL). Roles are `m.role.admin`, `m.role.security` or namespaced ones.";
    ClientAuthMetadata = "client-auth-metadata", Info,
        "The homeserver advertises the OAuth 2.0 API",
        "Nothing to do.",
        "`GET /_matrix/client/v1/auth_metadata` (spec v1.15) answers with the authorization server's metadata: clients that support it log in through the `issuer` named there instead of the legacy /login API.";
    ClientAuthMetadataInvalid = "client-auth-metadata-invalid", Warning,
        "The OAuth 2.0 metadata is not usable",
        "Check the authorization server (MAS) configuration and the proxy route for /_matrix/client/v1/auth_metadata.",
        "`/_matrix/client/v1/auth_metadata` answered, but not with 200 and a JSON object naming `issuer`, `authorization_endpoint`, `token_endpoint`, `registration_endpoint` and `revocation_endpoint`, with `S256` among `code_challenge_methods_supported` (spec v1.15; matrix-js-sdk `isValidAuthMetadata`). Clients that use the OAuth 2.0 API cannot log in.";
    ClientNotChecked = "client-not-checked", Info,
        "Part of client discovery could not be checked from here",
        "Check again with a longer --timeout, or from a host with a route to the address.",
        "A client-discovery request was cut short by the check's own limits (the deadline, no route from here, a body larger than delegcheck reads). Nothing is concluded against the server from it.";
}
#[cfg(test)]
mod tests {
    #[test]
    fn explain_finds_what_a_person_meant() {
        assert_eq!(Code::lookup("tls-name-mismatch"), Ok(Code::TlsNameMismatch));
        assert_eq!(Code::lookup("TLS-NAME-MISMATCH"), Ok(Code::TlsNameMismatch));
        assert_eq!(
            Code::lookup(" tls_name_mismatch "),
            Ok(Code::TlsNameMismatch)
        );
        let near = Code::lookup("tls-mismatch").unwrap_err();
        assert_eq!(near.first(), Some(&Code::TlsNameMismatch), "{near:?}");
        let near = Code::lookup("wellknown-not-json").unwrap_err();
        assert_eq!(near.first(), Some(&Code::WellKnownNotJson), "{near:?}");
        assert!(near.len() <= 3);
        assert!(
            Code::lookup("expird")
                .unwrap_err()
                .contains(&Code::TlsExpired)
        );
        assert_eq!(Code::lookup("zzzz-qqqq-xxxx"), Err(vec![]));
    }

    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case_and_complete() {
        let mut seen = HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()),
                "{s}"
            );
            assert!(
                !c.title().is_empty() && !c.hint().is_empty() && c.explanation().len() > 40,
                "{s}"
            );
            assert_eq!(Code::from_name(s), Some(*c));
        }
        assert_eq!(Code::from_name("no-such-code"), None);
    }

    #[test]
    fn codes_round_trip_through_json() {
        let j = serde_json::to_string(&Code::TlsNameMismatch).unwrap();
        assert_eq!(j, "\"tls-name-mismatch\"");
        let c: Code = serde_json::from_str(&j).unwrap();
        assert_eq!(c, Code::TlsNameMismatch);
        assert!(serde_json::from_str::<Code>("\"bogus\"").is_err());
    }
}
