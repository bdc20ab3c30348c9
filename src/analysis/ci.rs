//! What `blast ci` reports about one change: the impact, the gate's verdict, the
//! AI-assisted commits, the approvals considered, and the findings that CI surfaces show
//! (GitHub annotations, SARIF results, GitLab Code Quality issues).
//!
//! # Where findings point
//!
//! At the changed file whose change reaches the nodes, on its first changed line (GitHub
//! shows annotations and alerts in a pull request's diff only on changed lines):
//!
//! * `change-risk`: one per changed file whose change reaches tiered or customer-facing
//!   nodes (what a change to the file's own nodes alone reaches, see [`reach_by_input`]),
//!   at that file. A change named by node id, or a deleted file, points at the node's
//!   declaration in its graph file instead.
//! * `unmapped-change`: at the unmapped file.
//! * `new-tier0-path`: at the changed graph file.
//! * `ai-assisted`, `sign-off-required`, `gate-blocked`: at the **primary location**, the
//!   location of the riskiest `change-risk` finding; without one, the first unmapped file,
//!   else the graph file (or `blast.toml`).
//!
//! Paths are relative to the repository root, `/`-separated; a line is 1 when unknown.
//! Every finding has a fingerprint that stays the same across runs as long as the code, the
//! file and what the finding is about do (not the line, which moves).

use std::collections::BTreeMap;

use super::gate::Verdict;
use super::impact::Impact;
use super::policy::Risk;
use crate::changes::Via;
use crate::changes::approvals::Approvals;
use crate::changes::commits::AiAssisted;
use crate::changes::git::FileStatus;
use crate::codes::{Code, Finding, Location, Severity};

/// A finding of `blast ci`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiFinding {
    /// The finding (its location is repository-relative and always set).
    pub finding: Finding,
    /// The risk it is about, for `change-risk`.
    pub risk: Option<Risk>,
    /// A stable 128-bit fingerprint, as 32 hex digits.
    pub fingerprint: String,
}

impl CiFinding {
    /// The location (always set).
    pub fn location(&self) -> Location {
        self.finding.location.clone().unwrap_or_default()
    }

    /// The line, 1 when unknown.
    pub fn line(&self) -> u32 {
        self.finding
            .location
            .as_ref()
            .and_then(|l| l.line)
            .unwrap_or(1)
    }

    /// The path, `/`-separated.
    pub fn path(&self) -> String {
        let loc = self.location();
        let parts: Vec<String> = loc
            .file
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts.join("/")
    }
}

/// Everything `blast ci` reports about one change.
pub struct CiReport<'i, 'g> {
    /// The blast radius.
    pub impact: &'i Impact<'g>,
    /// The gate's answer.
    pub verdict: Verdict,
    /// What marked the change as AI-assisted.
    pub ai: AiAssisted,
    /// The approvals considered.
    pub approvals: Approvals,
    /// The labels given (`--label`).
    pub labels: Vec<String>,
    /// Findings, most severe first.
    pub findings: Vec<CiFinding>,
}

/// Where findings can point, worked out by the caller (who knows the repository).
pub struct Locator<'a> {
    /// The first changed line of each changed file (repository paths).
    pub first_lines: &'a BTreeMap<String, u32>,
    /// The declaration of a node in its graph file (repository-relative), if known.
    pub node: &'a dyn Fn(&str) -> Option<Location>,
    /// Where findings point when nothing else fits: the graph file or `blast.toml`.
    pub fallback: Location,
}

impl Locator<'_> {
    fn file(&self, path: &str) -> Location {
        Location {
            file: path.into(),
            line: Some(self.first_lines.get(path).copied().unwrap_or(1)),
            column: None,
        }
    }
}

fn severity_of(risk: Risk) -> Severity {
    match risk {
        Risk::Critical | Risk::High => Severity::Error,
        Risk::Medium => Severity::Warning,
        Risk::Low | Risk::None => Severity::Note,
    }
}

fn node_desc(tier: Option<u8>, customer_facing: bool) -> String {
    let mut what = Vec::new();
    if let Some(t) = tier {
        what.push(format!("tier {t}"));
    }
    if customer_facing {
        what.push("customer-facing".to_string());
    }
    what.join(", ")
}

fn fingerprint(key: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(key.as_bytes()))
}

/// What one changed input reaches on its own: the tiered and customer-facing nodes a change
/// to its nodes alone reaches, in report order (see [`reach_by_input`]).
#[derive(Clone, Debug)]
pub struct InputReach {
    /// The highest risk among them.
    pub risk: Risk,
    /// How many there are.
    pub count: usize,
    /// The first five of them (`NAMED`): the id and how it is reached, in words.
    pub named: Vec<(String, String)>,
}

impl InputReach {
    /// The rated nodes `impact` reaches (`None` when it reaches none).
    fn of(impact: &Impact<'_>) -> Option<InputReach> {
        let rated = impact.rated();
        let top = rated.first()?;
        let named = rated
            .iter()
            .take(NAMED)
            .map(|n| {
                let node = n.node();
                let desc = node_desc(node.tier().map(|t| t.get()), node.customer_facing());
                let how = if n.is_changed() {
                    format!("{} ({desc}; {}, changed)", node.id(), n.risk())
                } else {
                    let path: Vec<&str> = n.path().iter().map(|p| p.id().as_str()).collect();
                    format!(
                        "{} ({desc}; {} along {})",
                        node.id(),
                        n.risk(),
                        path.join(" → ")
                    )
                };
                (node.id().to_string(), how)
            })
            .collect();
        Some(InputReach {
            risk: top.risk(),
            count: rated.len(),
            named,
        })
    }
}

/// For each of `impact`'s changed inputs (in order), what a change to its nodes alone
/// reaches: a file's `change-risk` finding speaks of that file's own reach, whatever else
/// the change holds (crediting each reached node to one input would let a file that shares
/// its reach with another, or reaches a changed node, look harmless). One walk per distinct
/// set of nodes (inputs mapping to the same nodes share it); an input whose nodes are all
/// the changed nodes reuses `impact`.
pub fn reach_by_input<'g>(
    analyzer: &mut super::Analyzer<'g>,
    impact: &Impact<'g>,
) -> Vec<Option<InputReach>> {
    let key = |nodes: &[crate::graph::Node<'g>]| -> Vec<u32> {
        let mut k: Vec<u32> = nodes.iter().map(|n| n.ix().raw()).collect();
        k.sort_unstable();
        k.dedup();
        k
    };
    let all = key(&impact.changes.nodes());
    // An input widened to every node after another was lists none (the first lists them
    // all), but reaches what that one does.
    let every = impact
        .changes
        .changed
        .iter()
        .find(|c| c.widened && c.nodes.len() == impact.graph().node_count());
    let mut known: BTreeMap<Vec<u32>, Option<InputReach>> = BTreeMap::new();
    impact
        .changes
        .changed
        .iter()
        .map(|c| {
            let c = match every {
                Some(e) if c.widened && c.nodes.is_empty() => e,
                _ => c,
            };
            let k = key(&c.nodes);
            known
                .entry(k)
                .or_insert_with_key(|k| {
                    if *k == all {
                        return InputReach::of(impact);
                    }
                    let set = crate::changes::ChangeSet {
                        changed: vec![crate::changes::ChangedInput {
                            input: c.input.clone(),
                            nodes: c.nodes.clone(),
                            reason: c.reason.clone(),
                            status: c.status,
                            via: c.via,
                            widened: c.widened,
                        }],
                        ..Default::default()
                    };
                    InputReach::of(&analyzer.impact(set))
                })
                .clone()
        })
        .collect()
}

impl<'i, 'g> CiReport<'i, 'g> {
    /// Builds the report and its findings. See the module docs for where findings point.
    pub fn new(
        impact: &'i Impact<'g>,
        verdict: Verdict,
        ai: AiAssisted,
        approvals: Approvals,
        labels: Vec<String>,
        reach: &[Option<InputReach>],
        locator: &Locator<'_>,
    ) -> CiReport<'i, 'g> {
        let findings = collect(impact, &verdict, &ai, reach, locator);
        CiReport {
            impact,
            verdict,
            ai,
            approvals,
            labels,
            findings,
        }
    }
}

/// At most this many reached nodes are named in one `change-risk` message.
const NAMED: usize = 5;
/// At most this many `new-tier0-path` findings.
const NEW_PATHS: usize = 20;

fn collect(
    impact: &Impact<'_>,
    verdict: &Verdict,
    ai: &AiAssisted,
    reach: &[Option<InputReach>],
    loc: &Locator<'_>,
) -> Vec<CiFinding> {
    let mut out: Vec<(CiFinding, String)> = Vec::new();
    let mut push = |code: Code,
                    severity: Severity,
                    message: String,
                    nodes: Vec<String>,
                    at: Location,
                    risk: Option<Risk>,
                    key: String| {
        let mut f = Finding::new(code, message).with_nodes(nodes).at(at);
        f.severity = severity;
        out.push((
            CiFinding {
                finding: f,
                risk,
                fingerprint: String::new(),
            },
            key,
        ));
    };
    let mut primary: Option<(Risk, Location)> = None;
    for (c, reach) in impact.changes.changed.iter().zip(reach) {
        let Some(reach) = reach else {
            continue;
        };
        let risk = reach.risk;
        if risk == Risk::None {
            continue;
        }
        let from_file = c.via != Via::Node
            && !matches!(
                c.status,
                Some(FileStatus::Deleted) | Some(FileStatus::RenamedFrom)
            );
        let at = if from_file {
            loc.file(&c.input)
        } else {
            c.nodes
                .first()
                .and_then(|n| (loc.node)(n.id().as_str()))
                .unwrap_or_else(|| loc.fallback.clone())
        };
        let changed: Vec<&str> = c
            .nodes
            .iter()
            .take(NAMED)
            .map(|n| n.id().as_str())
            .collect();
        let changed = if c.nodes.len() > NAMED {
            format!("{} and {} more", changed.join(", "), c.nodes.len() - NAMED)
        } else if c.nodes.is_empty() && c.widened {
            // Widened to every node after another input was (which lists them).
            "every node".to_string()
        } else {
            changed.join(", ")
        };
        let more = if reach.count > NAMED {
            format!(", and {} more", reach.count - NAMED)
        } else {
            String::new()
        };
        let subject = if c.via == Via::Node {
            format!("a change to {changed}")
        } else {
            format!("{} changes {changed}", c.input)
        };
        let message = format!(
            "risk {risk}: {subject}, reaching {} tiered or customer-facing {}: {}{more}",
            reach.count,
            if reach.count == 1 { "node" } else { "nodes" },
            reach
                .named
                .iter()
                .map(|(_, how)| how.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if primary.as_ref().is_none_or(|(r, _)| risk > *r) {
            primary = Some((risk, at.clone()));
        }
        let nodes = reach.named.iter().map(|(id, _)| id.clone()).collect();
        let key = format!("{}\0{}\0{}", Code::ChangeRisk, at.file.display(), c.input);
        push(
            Code::ChangeRisk,
            severity_of(risk),
            message,
            nodes,
            at,
            Some(risk),
            key,
        );
    }
    for u in &impact.changes.unmapped {
        let at = loc.file(u);
        if primary.is_none() {
            primary = Some((Risk::None, at.clone()));
        }
        push(
            Code::UnmappedChange,
            Severity::Note,
            format!("{u} maps to no node: blast cannot tell what this change reaches"),
            Vec::new(),
            at,
            None,
            format!("{}\0{u}", Code::UnmappedChange),
        );
    }
    if let Some(t) = &impact.changes.topology {
        let source = t.sources.first().cloned();
        for p in t
            .new_paths
            .iter()
            .filter(|p| p.into_tier0() && p.strength > 0.0)
            .take(NEW_PATHS)
        {
            let at = source
                .as_deref()
                .map(|s| loc.file(s))
                .unwrap_or_else(|| loc.fallback.clone());
            push(
                Code::NewTier0Path,
                Severity::Warning,
                format!(
                    "new {} path {} into tier-0 {} (strength {}), added by this change",
                    p.kinds_label(),
                    p.nodes.join(" → "),
                    p.target(),
                    crate::report::fmt_strength(p.strength)
                ),
                p.nodes.clone(),
                at,
                None,
                format!("{}\0{}", Code::NewTier0Path, p.nodes.join("\0")),
            );
        }
    }
    let primary = primary.map(|p| p.1).unwrap_or_else(|| loc.fallback.clone());
    if ai.detected() {
        let mut parts: Vec<String> = ai
            .commits
            .iter()
            .take(NAMED)
            .map(|c| {
                let id: String = c.commit.id.chars().take(12).collect();
                let lines: Vec<&str> = c.matches.iter().map(|m| m.line.as_str()).collect();
                format!("commit {id} ({})", lines.join("; "))
            })
            .collect();
        if ai.commits.len() > NAMED {
            parts.push(format!("and {} more commits", ai.commits.len() - NAMED));
        }
        parts.extend(ai.labels.iter().map(|l| l.line.clone()));
        let raised = match &verdict.escalation {
            Some(e) => format!(
                "; risk raised from {} to {} by [policy.ai_assisted] escalate = {}",
                e.from, verdict.gated_risk, e.by
            ),
            None => String::new(),
        };
        push(
            Code::AiAssisted,
            if verdict.escalation.is_some() {
                Severity::Warning
            } else {
                Severity::Note
            },
            format!("the change is AI-assisted: {}{raised}", parts.join(", ")),
            Vec::new(),
            primary.clone(),
            None,
            Code::AiAssisted.id().to_string(),
        );
    }
    if let Some(b) = &verdict.block
        && b.overridden_by.is_none()
    {
        push(
            Code::GateBlocked,
            Severity::Error,
            b.message(verdict.gated_risk),
            Vec::new(),
            primary.clone(),
            None,
            format!("{}\0{}", Code::GateBlocked, b.source),
        );
    }
    for r in verdict.requirements.iter().filter(|r| !r.satisfied()) {
        push(
            Code::SignOffRequired,
            Severity::Error,
            format!(
                "risk {} {} (required by {})",
                verdict.gated_risk,
                r.message(),
                r.source
            ),
            Vec::new(),
            primary.clone(),
            None,
            format!(
                "{}\0{}\0{}",
                Code::SignOffRequired,
                r.source,
                r.from.join("\0")
            ),
        );
    }
    // Fingerprints: unique even when two findings share a key.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut findings: Vec<CiFinding> = out
        .into_iter()
        .map(|(mut f, key)| {
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            let key = if *n > 1 { format!("{key}\0{n}") } else { key };
            f.fingerprint = fingerprint(&key);
            f
        })
        .collect();
    // Within a severity the gate's own findings (what fails the run) come first, so an
    // annotation roll-up never hides them.
    let gate = |f: &CiFinding| !matches!(f.finding.code, Code::SignOffRequired | Code::GateBlocked);
    findings.sort_by(|a, b| {
        (
            a.finding.severity,
            gate(a),
            std::cmp::Reverse(a.risk),
            a.finding.code,
            &a.finding.location,
            &a.finding.message,
        )
            .cmp(&(
                b.finding.severity,
                gate(b),
                std::cmp::Reverse(b.risk),
                b.finding.code,
                &b.finding.location,
                &b.finding.message,
            ))
    });
    findings
}
