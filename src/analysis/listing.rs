//! `blast graph`: the merged graph as a listing, with where every node and edge came from.
//!
//! The listing is a plain model for the reports: nodes sorted by id, edges grouped by
//! `(from, to, kind, optional)` with every origin that declared them (parallel edges from
//! several sources become one row with several origins), counts by node kind and by
//! source, the edges overlays removed, and the warnings from loading.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::codes::Finding;
use crate::graph::provenance::{NetworkPolicy, RemovedEdge};
use crate::graph::{DependencyGraph, EdgeKind, Node, NodeKind, Origin};

/// One edge row: every declaration of `from → to` with this kind and `optional` flag.
#[derive(Clone, Debug)]
pub struct EdgeRow<'g> {
    /// The dependent.
    pub from: Node<'g>,
    /// What it depends on.
    pub to: Node<'g>,
    /// The kind.
    pub kind: EdgeKind,
    /// Whether the dependent degrades gracefully without it.
    pub optional: bool,
    /// Where each declaration came from, in declaration order.
    pub origins: Vec<&'g Origin>,
}

/// Nodes and edges one source kind contributed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceCount {
    /// Nodes it declared.
    pub nodes: usize,
    /// Edge declarations it made.
    pub edges: usize,
    /// The files it read.
    pub files: BTreeSet<PathBuf>,
}

/// The model `blast graph` renders.
#[derive(Clone, Debug)]
pub struct Listing<'g> {
    /// The graph.
    pub graph: &'g DependencyGraph,
    /// Whether only some nodes were asked for.
    pub filtered: bool,
    /// Nodes, sorted by id.
    pub nodes: Vec<Node<'g>>,
    /// Edge rows (implicit `part_of` edges left out), sorted by from, to, kind.
    pub edges: Vec<EdgeRow<'g>>,
    /// Node count by kind (of the listed nodes).
    pub by_kind: BTreeMap<NodeKind, usize>,
    /// What each source kind contributed (to the whole graph).
    pub by_source: BTreeMap<String, SourceCount>,
    /// Discovered edges that graph files removed (touching the listed nodes).
    pub removed: Vec<&'g RemovedEdge>,
    /// Network policies read as evidence (selecting or letting in the listed nodes).
    pub policies: Vec<&'g NetworkPolicy>,
    /// Warnings and notes from loading.
    pub findings: Vec<Finding>,
}

/// Lists the graph; with `ids`, only those nodes and the edges touching them.
///
/// # Errors
/// The id of the first `ids` entry that is not a node.
pub fn listing<'g>(
    graph: &'g DependencyGraph,
    ids: &[String],
    findings: Vec<Finding>,
) -> Result<Listing<'g>, String> {
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    for id in ids {
        let n = graph.node(id).ok_or_else(|| id.clone())?;
        wanted.insert(n.id().as_str());
    }
    let keep = |id: &str| wanted.is_empty() || wanted.contains(id);
    let mut nodes: Vec<Node<'g>> = graph.nodes().filter(|n| keep(n.id().as_str())).collect();
    nodes.sort_by(|a, b| a.id().cmp(b.id()));
    let mut by_kind = BTreeMap::new();
    for n in &nodes {
        *by_kind.entry(n.kind()).or_insert(0) += 1;
    }
    let mut by_source: BTreeMap<String, SourceCount> = BTreeMap::new();
    for n in graph.nodes() {
        let mut seen = BTreeSet::new();
        for o in n.origins() {
            let c = by_source.entry(o.source.clone()).or_default();
            c.files.insert(o.file.clone());
            if seen.insert(&o.source) {
                c.nodes += 1;
            }
        }
    }
    let mut rows: BTreeMap<(&str, &str, EdgeKind, bool), EdgeRow<'g>> = BTreeMap::new();
    for d in graph.dependencies() {
        if d.is_implicit() {
            continue;
        }
        let o = d.origin();
        let c = by_source.entry(o.source.clone()).or_default();
        c.edges += 1;
        c.files.insert(o.file.clone());
        let (from, to) = (d.from(), d.to());
        if !(keep(from.id().as_str()) || keep(to.id().as_str())) {
            continue;
        }
        rows.entry((from.id().as_str(), to.id().as_str(), d.kind(), d.optional()))
            .or_insert_with(|| EdgeRow {
                from,
                to,
                kind: d.kind(),
                optional: d.optional(),
                origins: Vec::new(),
            })
            .origins
            .push(o);
    }
    let removed = graph
        .removed_edges()
        .iter()
        .filter(|r| keep(&r.from) || keep(&r.to))
        .collect();
    let policies = graph
        .network_policies()
        .iter()
        .filter(|p| {
            p.selects.iter().any(|s| keep(s)) || p.allows_from.iter().flatten().any(|s| keep(s))
        })
        .collect();
    Ok(Listing {
        graph,
        policies,
        filtered: !wanted.is_empty(),
        nodes,
        edges: rows.into_values().collect(),
        by_kind,
        by_source,
        removed,
        findings,
    })
}
