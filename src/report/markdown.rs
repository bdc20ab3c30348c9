//! The Markdown summary of `blast ci --summary`: for `$GITHUB_STEP_SUMMARY` or a pull-request
//! comment.
//!
//! # Format
//!
//! GitHub-flavoured Markdown, in this order:
//!
//! 1. a marker comment (`<!-- blast-radius:summary -->`, for tools that update a comment)
//!    and a headline with the verdict and the risk;
//! 2. the verdict: each requirement met (✅) or missing (❌), a block, suggested labels;
//! 3. the risk and why (raised for AI-assisted changes);
//! 4. the reached customer-facing and tier-0 nodes, with their paths and owners;
//! 5. the AI-assisted commits and the line that matched;
//! 6. collapsed (`<details>`): a Mermaid diagram of the blast radius (with
//!    [`mermaid::markdown`](super::mermaid::markdown)'s fallbacks to a service-level
//!    diagram and then a table), the changed files, every reached tiered or
//!    customer-facing node, the approvals considered, and the findings.
//!
//! Every id, path, owner, login and commit line is written as an inline code span (so
//! nothing in it is read as Markdown or HTML, and `@team` mentions notify nobody), with
//! control characters shown as escapes and, in table cells, `|` escaped so no row breaks.
//!
//! The summary stays within a byte budget (GitHub's step summary takes 1 MiB; a comment
//! about 65,000 characters): sections that do not fit are cut at a table row or left out,
//! and a note at the end says so. Nothing is cut within a line; when not even the marker
//! comment and the verdict line fit, the summary is empty (and the caller warns).

use std::fmt::Write as _;

use crate::analysis::ci::CiReport;
use crate::analysis::gate::{Requirement, Status};

/// The default budget: a little under GitHub's 1 MiB step-summary limit.
pub const DEFAULT_LIMIT: usize = 1_000_000;

/// Bytes kept free for the closing note.
const NOTE_RESERVE: usize = 600;

/// Rows of the reached-nodes table outside `<details>`.
const MAIN_ROWS: usize = 50;

use super::inert;

/// An inline code span holding `s` literally.
pub fn code(s: &str) -> String {
    let s = inert(s);
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad =
        if s.starts_with('`') || s.ends_with('`') || s.is_empty() || s.chars().all(|c| c == ' ') {
            " "
        } else {
            ""
        };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A code span for a table cell (`|` escaped, which GitHub undoes inside the span).
pub fn cell(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// Code spans of `items` for a table cell, comma-separated (`–` when there are none).
pub(crate) fn cells<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.into_iter().map(cell).collect();
    if v.is_empty() {
        "–".to_string()
    } else {
        v.join(", ")
    }
}

fn spans<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.into_iter().map(code).collect();
    v.join(", ")
}

/// Why a line marks a change as AI-assisted ([`Match::why`](crate::changes::commits::Match)),
/// as Markdown: the identity pattern (from `blast.toml`, so it may hold `*`, `@`, `<`, `|`)
/// or the trailer key in a code span like every other name.
fn why_md(why: &str) -> String {
    if let Some(rest) = why.strip_prefix("assistant identity '") {
        // `assistant identity 'PATTERN'` (configured) or `… 'PATTERN' (WHAT)` (built in;
        // no built-in pattern holds `' (`).
        let parts = match rest.strip_suffix('\'') {
            Some(p) => Some((p, "")),
            None => rest.rfind("' (").map(|i| (&rest[..i], &rest[i + 1..])),
        };
        return match parts {
            Some((pattern, what)) => {
                format!("assistant identity {}{}", code(pattern), inert(what))
            }
            None => code(why),
        };
    }
    match why.strip_prefix("trailer ") {
        Some(key) => format!("trailer {}", code(key)),
        None if why == "label" => why.to_string(),
        None => code(why),
    }
}

/// A section: `head`, then `rows` (each one line, cut when the budget runs out), then
/// `tail`.
struct Section {
    name: &'static str,
    head: String,
    rows: Vec<String>,
    tail: String,
}

impl Section {
    fn text(name: &'static str, s: String) -> Section {
        Section {
            name,
            head: s,
            rows: Vec::new(),
            tail: String::new(),
        }
    }
    fn len(&self) -> usize {
        self.head.len() + self.rows.iter().map(|r| r.len()).sum::<usize>() + self.tail.len()
    }
}

fn requirement_line(r: &Requirement) -> String {
    let ok = if r.satisfied() { "✅" } else { "❌" };
    let what = if r.needs == 1 {
        "1 approval".to_string()
    } else {
        format!("{} approvals", r.needs)
    };
    let from = if r.from.is_empty() {
        String::new()
    } else {
        format!(" from {}", spans(r.from.iter().map(String::as_str)))
    };
    let note = r
        .note
        .as_ref()
        .map(|n| format!(" ({})", code(n)))
        .unwrap_or_default();
    let has = if r.has.is_empty() {
        "has 0".to_string()
    } else {
        format!(
            "has {} ({})",
            r.has.len(),
            spans(r.has.iter().map(String::as_str))
        )
    };
    let unknown = if r.unknown_teams.is_empty() {
        String::new()
    } else {
        format!(
            "; members of {} unknown: list them under `[teams]`",
            spans(r.unknown_teams.iter().map(String::as_str))
        )
    };
    format!(
        "- {ok} needs {what}{from}{note}, {has}{unknown} — {}\n",
        code(&r.source)
    )
}

/// The name of the findings section.
const FINDINGS: &str = "findings";

/// The summary within `limit` bytes. `diagram` is the Markdown of the blast-radius picture
/// (a Mermaid block, or its fallback), or why there is none.
///
/// What it leaves out it says is in the JSON report (`--json`) when `json_written` (this
/// run writes it), else that `--json FILE` has it.
pub fn summary(
    report: &CiReport<'_, '_>,
    diagram: Result<&str, &str>,
    limit: usize,
    json_written: bool,
) -> Summary {
    let (see_json, in_json, has_all) = if json_written {
        (
            "see `--json`",
            "below, and in `--json`",
            "The JSON report (`--json`) has everything.",
        )
    } else {
        (
            "`--json FILE` lists them all",
            "below; `--json FILE` lists them all",
            "`--json FILE` writes everything.",
        )
    };
    let v = &report.verdict;
    let impact = report.impact;
    let s = impact.summary();
    let mut head = String::from("<!-- blast-radius:summary -->\n");
    let (icon, word) = match v.status {
        Status::Pass => ("✅", "pass"),
        Status::Fail => ("❌", "fail"),
    };
    let _ = writeln!(
        head,
        "## {icon} blast-radius: {word} — risk **{}**\n",
        v.gated_risk
    );
    let headline = v.headline();
    let gate_text = headline
        .split_once(" — ")
        .map_or(headline.as_str(), |x| x.1);
    let _ = writeln!(head, "**Verdict: {word}** — {}.\n", inert(gate_text));
    if let Some(b) = &v.block {
        let labels = spans(b.override_labels.iter().map(String::as_str));
        match &b.overridden_by {
            Some(l) => {
                let _ = writeln!(
                    head,
                    "- ✅ risk {} is blocked by {}, overridden by the label {}",
                    v.gated_risk,
                    code(&b.source),
                    code(l)
                );
            }
            None => {
                let _ = writeln!(
                    head,
                    "- ❌ risk {} is blocked by {}: add the label {} to accept the risk",
                    v.gated_risk,
                    code(&b.source),
                    if labels.is_empty() {
                        "(none configured)".to_string()
                    } else {
                        labels
                    }
                );
            }
        }
    }
    for r in v.requirements.iter().take(100) {
        head.push_str(&requirement_line(r));
    }
    if v.requirements.len() > 100 {
        let _ = writeln!(
            head,
            "- … and {} more requirements ({see_json})",
            v.requirements.len() - 100
        );
    }
    if v.requirements.is_empty() && v.block.is_none() {
        head.push_str("- No sign-off required for this risk.\n");
    }
    if !v.labels.is_empty() {
        let _ = writeln!(
            head,
            "\nSuggested labels: {}",
            spans(v.labels.iter().map(String::as_str))
        );
    }
    head.push('\n');
    let detail = super::critical_reach(&s).map_or(String::new(), |d| format!(" ({d})"));
    let _ = write!(
        head,
        "Risk **{}**: the change reaches {} {}{detail}",
        v.risk,
        s.impacted,
        if s.impacted == 1 { "node" } else { "nodes" }
    );
    if let Some(b) = v.base_risk {
        let _ = write!(
            head,
            "; judged **{b}** as the base sees it: the change's edits to its own graph or `blast.toml` lower its risk, and apply once it is merged"
        );
    }
    if let Some(e) = &v.escalation {
        let _ = write!(
            head,
            "; raised from **{}** to **{}** because the change is AI-assisted (`[policy.ai_assisted] escalate = {}`)",
            e.from, v.gated_risk, e.by
        );
    }
    head.push_str(".\n");
    if let Some(d) = &impact.changes.diff {
        let _ = writeln!(
            head,
            "\nCompared {} (merge base {}) with {}.",
            code(&d.base),
            code(
                d.merge_base
                    .as_deref()
                    .map_or("none", crate::report::text::short)
            ),
            code(&d.head)
        );
    }
    head.push('\n');

    let mut sections = vec![Section::text("verdict", head)];
    // Reached customer-facing and tier-0 nodes.
    let key: Vec<_> = impact
        .rated()
        .into_iter()
        .filter(|n| n.node().customer_facing() || n.node().tier().map(|t| t.get()) == Some(0))
        .collect();
    if !key.is_empty() {
        let rows: Vec<String> = key
            .iter()
            .take(MAIN_ROWS)
            .map(|n| {
                let node = n.node();
                let path: Vec<String> = n.path().iter().map(|p| cell(p.id().as_str())).collect();
                let (owners, _) = n.owners();
                format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    n.risk(),
                    cell(node.id().as_str()),
                    node.tier().map_or("–".to_string(), |t| t.to_string()),
                    if node.customer_facing() { "yes" } else { "no" },
                    path.join(" → "),
                    cells(owners.iter().copied())
                )
            })
            .collect();
        let tail = if key.len() > MAIN_ROWS {
            format!("\n… and {} more ({in_json}).\n\n", key.len() - MAIN_ROWS)
        } else {
            "\n".to_string()
        };
        sections.push(Section {
            name: "reached customer-facing and tier-0 nodes",
            head: "### Reached customer-facing and tier-0 nodes\n\n| risk | node | tier | customer-facing | path | owners |\n|---|---|---|---|---|---|\n".to_string(),
            rows,
            tail,
        });
    }
    if report.ai.detected() {
        let mut rows = Vec::new();
        for c in &report.ai.commits {
            let id: String = c.commit.id.chars().take(12).collect();
            for m in &c.matches {
                rows.push(format!(
                    "- {} {} — {} ({})\n",
                    code(&id),
                    code(&c.commit.subject),
                    code(&m.line),
                    why_md(&m.why)
                ));
            }
        }
        for l in &report.ai.labels {
            rows.push(format!("- {}\n", code(&l.line)));
        }
        sections.push(Section {
            name: "AI-assisted commits",
            head: format!(
                "### AI-assisted ({} of {} commits)\n\n",
                report.ai.commits.len(),
                report.ai.scanned
            ),
            rows,
            tail: "\n".to_string(),
        });
    }
    let diagram = match diagram {
        Ok(md) => md.to_string(),
        Err(why) => format!("{}\n", inert(why)),
    };
    sections.push(Section::text(
        "diagram",
        format!("<details><summary>Blast radius diagram</summary>\n\n{diagram}\n</details>\n\n"),
    ));
    let changed: Vec<String> = impact
        .changes
        .changed
        .iter()
        .map(|c| {
            let nodes: Vec<&str> = c.nodes.iter().take(10).map(|n| n.id().as_str()).collect();
            let more = if c.nodes.len() > 10 {
                format!(" and {} more", c.nodes.len() - 10)
            } else {
                String::new()
            };
            format!(
                "| {} | {} | {}{more} | {} |\n",
                cell(&c.input),
                c.status.map_or("–", |s| s.as_str()),
                cells(nodes),
                cell(&c.reason)
            )
        })
        .chain(
            impact
                .changes
                .unmapped
                .iter()
                .map(|u| format!("| {} | – | unmapped | maps to no node |\n", cell(u))),
        )
        .chain(impact.changes.ignored.iter().map(|i| {
            format!(
                "| {} | {} | ignored | {} |\n",
                cell(&i.input),
                i.status.map_or("–", |s| s.as_str()),
                cell(&i.reason)
            )
        }))
        .collect();
    sections.push(Section {
        name: "changed files",
        head: format!(
            "<details><summary>Changed ({})</summary>\n\n| change | status | nodes | why |\n|---|---|---|---|\n",
            changed.len()
        ),
        rows: changed,
        tail: "\n</details>\n\n".to_string(),
    });
    let rated = impact.rated();
    if !rated.is_empty() {
        let rows = rated
            .iter()
            .map(|n| {
                let node = n.node();
                let path: Vec<String> = n.path().iter().map(|p| cell(p.id().as_str())).collect();
                let (owners, _) = n.owners();
                format!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                    n.risk(),
                    cell(node.id().as_str()),
                    node.kind(),
                    node.tier().map_or("–".to_string(), |t| t.to_string()),
                    if node.customer_facing() { "yes" } else { "no" },
                    n.distance(),
                    super::fmt_strength(n.strength()),
                    path.join(" → "),
                    cells(owners.iter().copied())
                )
            })
            .collect();
        sections.push(Section {
            name: "reached tiered and customer-facing nodes",
            head: format!(
                "<details><summary>Every tiered or customer-facing node reached ({})</summary>\n\n| risk | node | kind | tier | customer-facing | distance | strength | path | owners |\n|---|---|---|---|---|---|---|---|---|\n",
                rated.len()
            ),
            rows,
            tail: "\n</details>\n\n".to_string(),
        });
    }
    let mut approvals = Vec::new();
    for (login, source) in report.approvals.approved.values() {
        approvals.push(format!(
            "- ✅ {} ({})\n",
            code(login),
            code(&source.label())
        ));
    }
    for login in report.approvals.changes_requested.values() {
        approvals.push(format!("- ✋ {} requested changes\n", code(login)));
    }
    for (login, commit) in report.approvals.stale.values() {
        approvals.push(match commit {
            Some(c) => format!(
                "- ⏳ {} approved another commit ({}); not counted\n",
                code(login),
                code(crate::report::text::short(c))
            ),
            None => format!(
                "- ⏳ {} approved no named commit; not counted\n",
                code(login)
            ),
        });
    }
    for (login, state) in report.approvals.withdrawn.values() {
        if state != "CHANGES_REQUESTED" {
            approvals.push(format!(
                "- {} approval withdrawn ({})\n",
                code(login),
                code(state)
            ));
        }
    }
    if approvals.is_empty() {
        approvals.push("- none\n".to_string());
    }
    sections.push(Section {
        name: "approvals",
        head: "<details><summary>Approvals considered</summary>\n\n".to_string(),
        rows: approvals,
        tail: "\n</details>\n\n".to_string(),
    });
    if !report.findings.is_empty() {
        let rows = report
            .findings
            .iter()
            .map(|f| {
                format!(
                    "| {} | {} | {} | {} |\n",
                    f.finding.severity,
                    cell(f.finding.code.id()),
                    cell(&format!("{}:{}", f.path(), f.line())),
                    cell(&f.finding.message)
                )
            })
            .collect();
        sections.push(Section {
            name: FINDINGS,
            head: format!(
                "<details><summary>Findings ({})</summary>\n\n| level | code | where | message |\n|---|---|---|---|\n",
                report.findings.len()
            ),
            rows,
            tail: "\n</details>\n\n".to_string(),
        });
    }
    fit(sections, limit, has_all)
}

/// The summary [`summary`] writes, and what it had to leave out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The Markdown: empty when not even the verdict line fits the budget.
    pub text: String,
    /// What was left out to stay within the budget, in words (empty when nothing was).
    pub left_out: Vec<String>,
    /// How many findings the findings table holds (the first ones).
    pub findings: usize,
    /// The bytes of the marker comment and the verdict line: the least a summary holds.
    pub verdict_bytes: usize,
}

/// Lines of the verdict section that go in together or not at all: the marker comment and
/// the verdict headline.
const VERDICT_LINES: usize = 2;

/// Joins the sections within `limit` bytes, cutting tables at a row and leaving out what
/// does not fit, with a closing note. Nothing is ever cut within a line: the verdict
/// section goes in line by line (its marker comment and verdict line together, or the
/// summary is empty), the other sections by whole rows.
fn fit(sections: Vec<Section>, limit: usize, has_all: &str) -> Summary {
    // Room for the closing note, unless the limit is too small to hold anything else.
    let budget = if limit >= 2 * NOTE_RESERVE {
        limit - NOTE_RESERVE
    } else {
        limit - limit / 4
    };
    let mut out = String::new();
    let mut cut: Vec<String> = Vec::new();
    let mut findings = 0;
    let mut verdict_bytes = 0;
    let mut verdict_cut = false;
    for (i, s) in sections.into_iter().enumerate() {
        if i == 0 {
            let lines: Vec<&str> = s.head.split_inclusive('\n').collect();
            verdict_bytes = lines.iter().take(VERDICT_LINES).map(|l| l.len()).sum();
        }
        if !verdict_cut && out.len() + s.len() <= budget {
            out.push_str(&s.head);
            for r in &s.rows {
                out.push_str(r);
            }
            out.push_str(&s.tail);
            if s.name == FINDINGS {
                findings = s.rows.len();
            }
            continue;
        }
        if i == 0 {
            // The verdict always leads: whole lines while they fit, the first two (the
            // marker and the verdict line) within the limit itself, else nothing at all.
            if verdict_bytes > limit {
                return Summary {
                    text: String::new(),
                    left_out: vec!["everything".to_string()],
                    findings: 0,
                    verdict_bytes,
                };
            }
            let lines: Vec<&str> = s.head.split_inclusive('\n').collect();
            let mut k = 0;
            for l in &lines {
                if k >= VERDICT_LINES && out.len() + l.len() > budget {
                    break;
                }
                out.push_str(l);
                k += 1;
            }
            let left = lines[k..].iter().filter(|l| !l.trim().is_empty()).count();
            if left > 0 {
                cut.push(format!(
                    "the last {left} {} of the verdict section",
                    if left == 1 { "line" } else { "lines" }
                ));
            }
            verdict_cut = true;
            continue;
        }
        if verdict_cut || s.rows.is_empty() || out.len() + s.head.len() + s.tail.len() > budget {
            cut.push(s.name.to_string());
            continue;
        }
        out.push_str(&s.head);
        let mut kept = 0;
        for r in &s.rows {
            if out.len() + r.len() + s.tail.len() > budget {
                break;
            }
            out.push_str(r);
            kept += 1;
        }
        out.push_str(&s.tail);
        if s.name == FINDINGS {
            findings = kept;
        }
        cut.push(format!(
            "{} of {} rows of {}",
            s.rows.len() - kept,
            s.rows.len(),
            s.name
        ));
    }
    if !cut.is_empty() {
        let mut note = format!(
            "> **Note:** this summary was cut to stay within {limit} bytes; left out: {}. {has_all}\n",
            cut.join("; ")
        );
        if out.len() + note.len() > limit {
            note = format!(
                "> **Note:** this summary was cut to stay within {limit} bytes. {has_all}\n"
            );
        }
        // Under a limit too small for any note, the limit wins.
        if out.len() + note.len() <= limit {
            out.push_str(&note);
        }
    }
    Summary {
        text: out,
        left_out: cut,
        findings,
        verdict_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_anything() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a\nb\r|c"), "`a\\nb\\r|c`");
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(code("\u{202e}x"), "`\\u{202e}x`");
    }

    #[test]
    fn why_puts_patterns_and_keys_in_code_spans() {
        use crate::changes::commits::{Commit, Detector};
        let detect = crate::changes::commits::DetectSpec {
            identities: vec!["*|<b>@x.example>*".to_string()],
            ..Default::default()
        };
        let d = Detector::new(&detect);
        let commit = |author: &str, trailers: &[(&str, &str)]| Commit {
            id: "0".repeat(40),
            author: author.to_string(),
            subject: "s".to_string(),
            trailers: trailers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let whys: Vec<String> = [
            commit("Claude <noreply@anthropic.com>", &[]),
            commit("a |<b>@x.example> b", &[]),
            commit("me <me@x>", &[("Assisted-by", "x")]),
        ]
        .iter()
        .map(|c| why_md(&d.commit(c)[0].why))
        .collect();
        assert_eq!(
            whys,
            [
                "assistant identity `*@anthropic.com>*` (Claude (Anthropic))",
                "assistant identity `*|<b>@x.example>*`",
                "trailer `Assisted-by`",
            ]
        );
        assert_eq!(why_md("label"), "label");
        assert_eq!(why_md("something *new*"), "`something *new*`");
    }

    proptest::proptest! {
        /// A cell never holds a line break or an unescaped `|`, and its code span closes.
        #[test]
        fn cells_stay_in_their_row(s in "\\PC*|[`|\\\\\r\n<>]{0,20}") {
            let c = cell(&s);
            proptest::prop_assert!(!c.contains(['\n', '\r']));
            let unescaped = c.char_indices().filter(|&(i, ch)| ch == '|' && (i == 0 || c.as_bytes()[i - 1] != b'\\')).count();
            proptest::prop_assert_eq!(unescaped, 0);
            let fence_len = c.chars().take_while(|&ch| ch == '`').count();
            let fence = "`".repeat(fence_len);
            proptest::prop_assert!(c.ends_with(&fence));
            let inner = &c[fence_len..c.len() - fence_len];
            proptest::prop_assert!(!inner.contains(&fence));
        }
    }
}
