//! Findings about the server name itself.

use crate::findings::Code;
use crate::report::{Finding, SpecStep};
use crate::sanitize::{clip, escape};
use crate::server_name::{NameError, NameLint, NameProblem, ServerName};

/// The finding for a string that is not a server name.
pub(crate) fn invalid_name(input: &str, e: &NameError) -> Finding {
    let code = match e.problem {
        NameProblem::Scheme => Code::NameHasScheme,
        NameProblem::Path => Code::NameHasPath,
        NameProblem::Whitespace => Code::NameHasWhitespace,
        NameProblem::UnbracketedIpv6 => Code::NameUnbracketedIpv6,
        NameProblem::Port => Code::NamePortInvalid,
        NameProblem::NonAscii => Code::NameNonAscii,
        NameProblem::UserId => Code::NameIsUserId,
        _ => Code::NameInvalid,
    };
    let hint = match &e.suggestion {
        Some(s) => format!("{} Try: delegcheck {s}", code.hint()),
        None => code.hint().to_owned(),
    };
    Finding::new(
        code,
        format!(
            "`{}` is not a server name: {}",
            escape(&clip(input, 120)),
            e.detail
        ),
        hint,
    )
}

/// Warnings for a valid but fragile server name.
pub(crate) fn lints(name: &ServerName) -> Vec<Finding> {
    let mut out = Vec::new();
    for l in name.lints() {
        out.push(match l {
            NameLint::UpperCase => Finding::new(
                Code::NameUppercase,
                format!(
                    "`{name}` has upper-case letters; `{}` would be a different server name",
                    name.to_string().to_ascii_lowercase()
                ),
                Code::NameUppercase.hint(),
            ),
            NameLint::Long | NameLint::LongLabel => Finding::plain(
                Code::NameTooLong,
                format!(
                    "`{}` is {} characters long",
                    clip(&name.to_string(), 60),
                    name.to_string().len()
                ),
            ),
            NameLint::TrailingDot => {
                Finding::plain(Code::NameTrailingDot, format!("`{name}` ends with a dot"))
            }
        });
    }
    if name.is_ip_literal() {
        out.push(
            Finding::plain(
                Code::NameIpLiteral,
                format!("`{name}` is an IP literal: servers connect to it directly (step 1), with no delegation"),
            )
            .at_step(SpecStep::IpLiteral),
        );
    } else if let Some(port) = name.port {
        out.push(
            Finding::plain(
                Code::NameExplicitPort,
                format!("`{name}` has port {port}: servers connect to {}:{port} directly (step 2); well-known and SRV are never consulted", name.host),
            )
            .at_step(SpecStep::ExplicitPort),
        );
    }
    out
}
