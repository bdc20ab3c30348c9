//! The audit trail of `blast ci --audit FILE`: one JSON line per run, appended.
//!
//! # Format
//!
//! Each line is one JSON object (`blast-radius/audit/v1`):
//!
//! ```json
//! {"schema": "blast-radius/audit/v1", "time": "2026-05-04T09:12:44Z",
//!  "tool": {"name": "blast-radius", "version": "0.1.0"},
//!  "base": {"ref": "main", "commit": "…"}, "merge_base": "…", "head": {"ref": "HEAD", "commit": "…"},
//!  "risk": "high", "gated_risk": "critical", "verdict": "fail",
//!  "missing": ["needs 2 approvals from @shop/senior-eng, has 1 (alice) [policy.gate.critical]"],
//!  "ai_assisted": {"commits": [{"commit": "…", "matches": ["Co-authored-by: …"]}], "labels": []},
//!  "approvals": {"approved": [{"login": "alice", "source": "--approved-by"}], "changes_requested": [], "stale": [], "sources": ["--approved-by"]},
//!  "labels": [], "override": null, "changed": ["services/payment/src/lib.rs"], "unmapped": []}
//! ```
//!
//! `time` (UTC, RFC 3339, whole seconds) is the only field that differs between two runs
//! on the same input. `base`, `merge_base` and `head` are `null` when the change did not
//! come from a git range; `head.commit` is `HEAD`'s commit when the head is the working
//! tree.
//!
//! # Appending safely
//!
//! The file is opened for appending (created if missing, never truncated or rewritten), an
//! exclusive lock is taken on it ([`std::fs::File::lock`]), the whole line is written with
//! one `write_all`, and the file is flushed to disk (`fsync`) before the lock is released.
//! Runs that append at the same time therefore write whole lines one after the other. If
//! the file does not end with a newline (a run killed mid-write), the new line starts on a
//! line of its own.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;

use crate::analysis::ci::CiReport;
use crate::error::{Error, Result};

/// The schema id of an audit line.
pub const AUDIT_SCHEMA: &str = "blast-radius/audit/v1";

/// The git range a run judged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RangeInfo {
    /// The base ref as given, and its commit.
    pub base: Option<RefInfo>,
    /// The merge base of base and head.
    pub merge_base: Option<String>,
    /// The head ref (or `HEAD`), and its commit.
    pub head: Option<RefInfo>,
}

/// A ref and the commit it named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefInfo {
    /// As given (`main`, `origin/main`, `HEAD`).
    #[serde(rename = "ref")]
    pub name: String,
    /// The full commit id.
    pub commit: Option<String>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct AiCommit<'a> {
    commit: &'a str,
    matches: Vec<&'a str>,
}

#[derive(Serialize)]
struct Ai<'a> {
    commits: Vec<AiCommit<'a>>,
    labels: Vec<&'a str>,
}

#[derive(Serialize)]
struct Approved {
    login: String,
    source: String,
}

#[derive(Serialize)]
struct ApprovalsJson<'a> {
    approved: Vec<Approved>,
    changes_requested: Vec<&'a str>,
    stale: Vec<Stale<'a>>,
    sources: &'a [String],
}

/// An approval of an earlier commit, not counted.
#[derive(Serialize)]
struct Stale<'a> {
    login: &'a str,
    commit: Option<&'a str>,
}

#[derive(Serialize)]
struct Line<'a> {
    schema: &'static str,
    time: String,
    tool: Tool,
    base: Option<&'a RefInfo>,
    merge_base: Option<&'a str>,
    head: Option<&'a RefInfo>,
    risk: crate::analysis::Risk,
    gated_risk: crate::analysis::Risk,
    verdict: &'static str,
    missing: Vec<String>,
    ai_assisted: Ai<'a>,
    approvals: ApprovalsJson<'a>,
    labels: &'a [String],
    #[serde(rename = "override")]
    override_: Option<&'a str>,
    changed: Vec<&'a str>,
    unmapped: &'a [String],
}

/// The audit line of a run (without the newline).
pub fn line(report: &CiReport<'_, '_>, range: &RangeInfo, time: std::time::SystemTime) -> String {
    let v = &report.verdict;
    let line = Line {
        schema: AUDIT_SCHEMA,
        time: rfc3339(time),
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        base: range.base.as_ref(),
        merge_base: range.merge_base.as_deref(),
        head: range.head.as_ref(),
        risk: v.risk,
        gated_risk: v.gated_risk,
        verdict: v.status.as_str(),
        missing: v.missing(),
        ai_assisted: Ai {
            commits: report
                .ai
                .commits
                .iter()
                .map(|c| AiCommit {
                    commit: &c.commit.id,
                    matches: c.matches.iter().map(|m| m.line.as_str()).collect(),
                })
                .collect(),
            labels: report.ai.labels.iter().map(|m| m.line.as_str()).collect(),
        },
        approvals: ApprovalsJson {
            approved: report
                .approvals
                .approved
                .values()
                .map(|(login, source)| Approved {
                    login: login.clone(),
                    source: source.label(),
                })
                .collect(),
            changes_requested: report
                .approvals
                .changes_requested
                .values()
                .map(String::as_str)
                .collect(),
            stale: report
                .approvals
                .stale
                .values()
                .map(|(login, commit)| Stale {
                    login,
                    commit: commit.as_deref(),
                })
                .collect(),
            sources: &report.approvals.sources,
        },
        labels: &report.labels,
        override_: v.block.as_ref().and_then(|b| b.overridden_by.as_deref()),
        changed: report
            .impact
            .changes
            .changed
            .iter()
            .map(|c| c.input.as_str())
            .collect(),
        unmapped: &report.impact.changes.unmapped,
    };
    serde_json::to_string(&line).expect("audit lines serialize")
}

/// Appends `line` and a newline to `path`. See the module docs.
///
/// # Errors
/// The file cannot be opened, locked, written or flushed.
pub fn append(path: &Path, line: &str) -> Result<()> {
    let io = |e| Error::io(path, e);
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "--audit {}: is a directory\n  help: name a file to append the audit line to, like --audit audit/blast.jsonl",
            crate::report::inert(&path.display().to_string())
        )));
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    file.lock().map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut buf = Vec::with_capacity(line.len() + 2);
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1)).map_err(io)?;
        file.read_exact(&mut last).map_err(io)?;
        if last[0] != b'\n' {
            buf.push(b'\n');
        }
    }
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    file.write_all(&buf).map_err(io)?;
    file.sync_all().map_err(io)?;
    if len == 0 {
        // A new file: make its directory entry durable too.
        #[cfg(unix)]
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
    }
    file.unlock().map_err(io)?;
    Ok(())
}

/// `2026-05-04T09:12:44Z`.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_767_225_599)),
            "2025-12-31T23:59:59Z"
        );
    }

    #[test]
    fn appends_whole_lines_from_many_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        // A torn last line (a killed run) must not glue onto the next one.
        std::fs::write(&path, "{\"torn\":").unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..5 {
                        // Lines far larger than a pipe buffer, so a torn write would show.
                        let pad = format!("{t}").repeat(200_000);
                        let line = format!("{{\"t\":{t},\"i\":{i},\"pad\":\"{pad}\"}}");
                        append(&path, &line).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 41);
        assert_eq!(lines[0], "{\"torn\":");
        for l in &lines[1..] {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let t = v["t"].as_u64().unwrap();
            assert!(
                v["pad"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .all(|c| c.to_digit(10) == Some(t as u32))
            );
        }
        assert!(text.ends_with('\n'));
    }
}
