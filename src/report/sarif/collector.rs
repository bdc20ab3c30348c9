//! Findings → the SARIF [`model`](super::model).

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::model::*;
use crate::analysis::ci::CiFinding;
use crate::codes::{Code, Severity};

/// Results per run at most (GitHub accepts 25,000 and shows 5,000).
pub const MAX_RESULTS: usize = 5_000;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Percent-encodes a repository path as a relative URI reference: unreserved characters,
/// `/` and a few safe sub-delimiters stay, everything else (spaces, `%`, `#`, `?`, `:`,
/// non-ASCII, controls) is `%XX`-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn rule(c: Code) -> Rule {
    Rule {
        id: c.id(),
        name: c.pascal_name(),
        short_description: Message {
            text: c.title().to_string(),
        },
        full_description: Message {
            text: c.description().to_string(),
        },
        help: MultiformatMessage {
            text: c.help().to_string(),
            markdown: format!("**{}.** {}", c.title(), c.help()),
        },
        default_configuration: Configuration {
            level: level(c.severity()),
        },
        properties: RuleProperties {
            tags: vec!["blast-radius", "change-risk"],
        },
    }
}

/// The SARIF log of `findings` (already sorted most severe first).
pub fn log(findings: &[CiFinding]) -> Log {
    let rules: Vec<Rule> = Code::CI.iter().map(|&c| rule(c)).collect();
    let results: Vec<SarifResult> = findings
        .iter()
        .take(MAX_RESULTS)
        .map(|f| {
            let code = f.finding.code;
            let rule_index = Code::CI.iter().position(|&c| c == code).unwrap_or(0);
            SarifResult {
                rule_id: code.id(),
                rule_index,
                level: level(f.finding.severity),
                message: Message {
                    text: f.finding.message.clone(),
                },
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: uri(&f.path()),
                            uri_base_id: Some("%SRCROOT%"),
                        },
                        region: Region {
                            start_line: f.line().max(1),
                            start_column: 1,
                        },
                    },
                }],
                partial_fingerprints: BTreeMap::from([(
                    "primaryLocationLineHash",
                    format!("{}:1", &f.fingerprint[..16]),
                )]),
            }
        })
        .collect();
    let properties = (findings.len() > MAX_RESULTS).then(|| {
        BTreeMap::from([(
            "resultsLeftOut",
            serde_json::Value::from(findings.len() - MAX_RESULTS),
        )])
    });
    let info = env!("CARGO_PKG_HOMEPAGE");
    let repo = env!("CARGO_PKG_REPOSITORY");
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: [info, repo].into_iter().find(|s| !s.is_empty()),
                    rules,
                },
            },
            results,
            original_uri_base_ids: BTreeMap::new(),
            properties,
        }],
    }
}

/// Writes the SARIF log (pretty-printed, ending with a newline).
pub fn write(w: &mut dyn Write, findings: &[CiFinding]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &log(findings))?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(
            uri("services/payment/src/lib.rs"),
            "services/payment/src/lib.rs"
        );
        assert_eq!(uri("a b/c#d?e%f:g"), "a%20b/c%23d%3Fe%25f%3Ag");
        assert_eq!(uri("é\n"), "%C3%A9%0A");
    }
}
