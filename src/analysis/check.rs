//! `check`: problems in the graph itself, as [`Finding`]s with stable codes.
//!
//! Load problems (dangling edges, duplicate ids, conflicting attributes, invalid globs) come
//! from the builder; this module adds what needs the whole graph: self-loops, cycles (every
//! strongly connected group of more than one node over propagating edges: shared fate),
//! customer-facing nodes without a tier, nodes without owners, overlapping path globs,
//! isolated tier-0 nodes, tier inversions, repeated edges, and nodes that own no files;
//! and, through [`super::drift`], where traces and network policies disagree with the
//! declared dependencies.

use std::collections::{BTreeMap, HashMap};

use petgraph::graph::NodeIndex;

use super::policy::Policy;
use crate::codes::{Code, Finding, Location, Severity};
use crate::graph::{DependencyGraph, NodeKind};

/// The report of `blast check`.
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    /// Every finding, sorted by severity, code, then the first node id.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Number of findings of this severity.
    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Runs every check. `load` holds the findings from loading the graph.
pub fn check(graph: &DependencyGraph, policy: &Policy, load: Vec<Finding>) -> CheckReport {
    let mut out = load;
    // At the file that first declared the node (its line is found later, see
    // `fill_lines`), noting whether a discovered source declared it.
    let at_node =
        |f: Finding, n: Option<crate::graph::Node<'_>>| match n.and_then(|n| n.origins().next()) {
            Some(o) => Finding {
                discovered: o.source != crate::graph::provenance::NATIVE_SOURCE,
                ..f.at(Location::file(o.file.clone()))
            },
            None => f,
        };
    let strengths = policy.strengths();

    // Self-loops and repeated edges.
    let mut seen: HashMap<(u32, u32, crate::graph::EdgeKind, bool, u32), u32> = HashMap::new();
    for e in graph.inner().edge_references() {
        let (a, b) = (e.source().index() as u32, e.target().index() as u32);
        let w = e.weight();
        // Where an edge was declared: its origin's file and line, when the source knew it.
        let edge_at = |o: u32| {
            let o = &graph.origins()[o as usize];
            Location {
                file: o.file.clone(),
                line: o.line,
                column: None,
            }
        };
        if a == b {
            let n = graph.node_ix(crate::graph::NodeIx::from_usize(a as usize));
            out.push(
                Finding::new(
                    Code::SelfLoop,
                    format!("'{}' depends on itself ({})", n.id(), w.kind),
                )
                .with_nodes([n.id().as_str()])
                .at(edge_at(w.origin)),
            );
        }
        let key = (a, b, w.kind, w.optional, w.origin);
        let c = seen.entry(key).or_insert(0);
        *c += 1;
        if *c == 2 && !w.implicit {
            let (na, nb) = (
                graph.node_ix(crate::graph::NodeIx::from_usize(a as usize)),
                graph.node_ix(crate::graph::NodeIx::from_usize(b as usize)),
            );
            out.push(
                Finding::new(
                    Code::DuplicateEdge,
                    format!(
                        "the edge '{}' -> '{}' ({}) is declared more than once",
                        na.id(),
                        nb.id(),
                        w.kind
                    ),
                )
                .with_nodes([na.id().as_str(), nb.id().as_str()])
                .at(edge_at(w.origin)),
            );
        }
    }

    // Cycles over propagating edges.
    // Added in the graph's edge order, so Tarjan meets every node's edges in the same order
    // as on the graph itself and lists the groups in the same order.
    let mut propagating = petgraph::Graph::<(), ()>::with_capacity(graph.node_count(), 0);
    for _ in 0..graph.node_count() {
        propagating.add_node(());
    }
    for e in graph.inner().raw_edges() {
        if strengths.of(e.weight.kind, e.weight.optional) > 0.0 {
            propagating.add_edge(
                NodeIndex::new(e.source().index()),
                NodeIndex::new(e.target().index()),
                (),
            );
        }
    }
    let sccs = petgraph::algo::tarjan_scc(&propagating);
    for scc in sccs.into_iter().filter(|s| s.len() > 1) {
        let mut ids: Vec<&str> = scc
            .iter()
            .map(|&i| {
                graph
                    .node_ix(crate::graph::NodeIx::from_usize(i.index()))
                    .id()
                    .as_str()
            })
            .collect();
        ids.sort_unstable();
        let shown = if ids.len() > 8 {
            format!("{} and {} more", ids[..8].join(", "), ids.len() - 8)
        } else {
            ids.join(", ")
        };
        let f = Finding::new(
            Code::Cycle,
            format!(
                "{} nodes depend on each other: {shown}; a change to any of them reaches all",
                ids.len()
            ),
        )
        .with_nodes(ids.iter().copied());
        out.push(at_node(f, graph.node(ids[0])));
    }

    // Per-node checks.
    let mut globs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut inversions: Vec<Finding> = Vec::new();
    for n in graph.nodes() {
        let id = n.id().as_str();
        let mut push = |f: Finding| out.push(at_node(f, Some(n)));
        if n.customer_facing() && n.tier().is_none() {
            push(
                Finding::new(
                    Code::CustomerFacingWithoutTier,
                    format!(
                        "'{id}' is customer-facing but has no tier (rated as tier {})",
                        policy.risk.customer_facing_tier
                    ),
                )
                .with_nodes([id]),
            );
        }
        if n.owners().len() == 0 {
            push(Finding::new(Code::NoOwner, format!("'{id}' has no owners")).with_nodes([id]));
        }
        let tier0 = n.tier().map(|t| t.get()) == Some(0);
        if tier0 && n.dependencies().next().is_none() && n.dependents().next().is_none() {
            push(
                Finding::new(
                    Code::UnreachableTier0,
                    format!("'{id}' is tier 0 but nothing depends on it and it depends on nothing"),
                )
                .with_nodes([id]),
            );
        }
        if let Some(t) = n.tier() {
            // Per dependency, its strongest edge (an async edge listed before a sync one to
            // the same node does not hide the sync one), in the order the edges come.
            let mut strongest: Vec<(crate::graph::Dependency<'_>, f64)> = Vec::new();
            let mut at: HashMap<u32, usize> = HashMap::new();
            for d in n.dependencies() {
                let s = strengths.of(d.kind(), d.optional());
                match at.get(&d.to().ix().raw()) {
                    Some(&i) if s > strongest[i].1 => strongest[i] = (d, s),
                    Some(_) => {}
                    None => {
                        at.insert(d.to().ix().raw(), strongest.len());
                        strongest.push((d, s));
                    }
                }
            }
            for (d, s) in strongest {
                let to = d.to();
                if let Some(tt) = to.tier()
                    && s >= policy.risk.thresholds[0]
                    && tt.get() >= t.get() + 2
                {
                    // At the edge, where it was declared.
                    let o = d.origin();
                    inversions.push(
                        Finding::new(
                            Code::TierInversion,
                            format!(
                                "'{id}' (tier {t}) depends on '{}' (tier {tt}) by a {} edge at full strength",
                                to.id(),
                                d.kind()
                            ),
                        )
                        .with_nodes([id, to.id().as_str()])
                        .about_edge(d.kind().as_str(), d.optional())
                        .at(Location {
                            file: o.file.clone(),
                            line: o.line,
                            column: None,
                        }),
                    );
                }
            }
        }
        if matches!(n.kind(), NodeKind::Service | NodeKind::Module) && n.paths().len() == 0 {
            push(
                Finding::new(Code::NoPaths, format!("'{id}' owns no files (no `paths`)"))
                    .with_nodes([id]),
            );
        }
        for p in n.paths() {
            let norm = p
                .trim_start_matches("./")
                .trim_start_matches('/')
                .to_string();
            let v = globs.entry(norm).or_default();
            if v.last().map(String::as_str) != Some(id) {
                v.push(id.to_string());
            }
        }
    }
    out.extend(inversions);
    for (glob, ids) in globs {
        if ids.len() > 1 {
            let f = Finding::new(
                Code::OverlappingPaths,
                format!(
                    "{} all claim '{glob}'",
                    ids.iter()
                        .map(|i| format!("'{i}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_nodes(ids.iter().map(String::as_str));
            out.push(at_node(f, graph.node(&ids[1])));
        }
    }
    // Declared against observed (traces) and allowed (network policies) traffic.
    out.extend(super::drift::drift(graph));
    out.sort_by(|a, b| {
        (a.severity, a.code, &a.nodes, &a.location, &a.message).cmp(&(
            b.severity,
            b.code,
            &b.nodes,
            &b.location,
            &b.message,
        ))
    });
    CheckReport { findings: out }
}
