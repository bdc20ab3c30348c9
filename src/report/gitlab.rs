//! GitLab Code Quality (`blast ci --gitlab FILE`): the findings as the JSON array GitLab
//! reads from a `codequality` report artifact.
//!
//! # Format
//!
//! A JSON array (UTF-8, no byte-order mark), one object per finding:
//!
//! ```json
//! [{"description": "risk critical: services/payment/src/lib.rs changes payment, …",
//!   "check_name": "change-risk", "fingerprint": "…32 hex digits…", "severity": "critical",
//!   "location": {"path": "services/payment/src/lib.rs", "lines": {"begin": 3}},
//!   "type": "issue", "categories": ["Bug Risk"]}]
//! ```
//!
//! `check_name` is the finding code; `path` is relative to the repository root (no `./`);
//! `severity` is `blocker` for `gate-blocked`, `critical` for `sign-off-required`, and for
//! other findings follows the risk (critical → `critical`, high → `major`, medium →
//! `minor`, low → `info`) or the severity (error → `major`, warning → `minor`, note →
//! `info`). Fingerprints are unique per finding and stable across runs. `type` and
//! `categories` are Code Climate fields GitLab ignores.

use std::io::{self, Write};

use serde::Serialize;

use crate::analysis::Risk;
use crate::analysis::ci::CiFinding;
use crate::codes::{Code, Severity};

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'static str,
    fingerprint: &'a str,
    severity: &'static str,
    location: IssueLocation,
    #[serde(rename = "type")]
    type_: &'static str,
    categories: [&'static str; 1],
}

/// The Code Quality severity of a finding.
pub fn severity(f: &CiFinding) -> &'static str {
    match (f.finding.code, f.risk) {
        (Code::GateBlocked, _) => "blocker",
        (Code::SignOffRequired, _) => "critical",
        (_, Some(Risk::Critical)) => "critical",
        (_, Some(Risk::High)) => "major",
        (_, Some(Risk::Medium)) => "minor",
        (_, Some(_)) => "info",
        (_, None) => match f.finding.severity {
            Severity::Error => "major",
            Severity::Warning => "minor",
            Severity::Note => "info",
        },
    }
}

/// Writes the report.
pub fn write(w: &mut dyn Write, findings: &[CiFinding]) -> io::Result<()> {
    let issues: Vec<Issue<'_>> = findings
        .iter()
        .map(|f| {
            let path = f.path();
            Issue {
                description: &f.finding.message,
                check_name: f.finding.code.id(),
                fingerprint: &f.fingerprint,
                severity: severity(f),
                location: IssueLocation {
                    path: path.strip_prefix("./").unwrap_or(&path).to_string(),
                    lines: Lines {
                        begin: f.line().max(1),
                    },
                },
                type_: "issue",
                categories: ["Bug Risk"],
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *w, &issues)?;
    w.write_all(b"\n")
}
