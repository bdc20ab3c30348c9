//! `blast graph`: the merged graph as a listing, with where every node and edge came from.
//!
//! The listing is a plain model for the reports: nodes sorted by id, edges grouped by
//! `(from, to, kind, optional)` with every origin that declared them (parallel edges from
//! several sources become one row with several origins), counts by node kind and by
//! source, the edges overlays removed, and the warnings from loading.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use fixedbitset::FixedBitSet;
use rayon::prelude::*;

use crate::codes::Finding;
use crate::graph::provenance::{NetworkPolicy, RemovedEdge};
use crate::graph::{Dependency, DependencyGraph, EdgeKind, Node, NodeIx, NodeKind, Origin};

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
    /// Where each declaration came from, by source, file, line and evidence.
    pub origins: Vec<&'g Origin>,
}

/// The listed edges as rows (implicit `part_of` edges left out), sorted by from id, to id,
/// kind and `optional`: parallel declarations of one edge are one row. Rows are made when
/// asked for, so a graph of millions of edges is listed without holding a row per edge.
#[derive(Clone, Debug)]
pub struct EdgeRows<'g> {
    graph: &'g DependencyGraph,
    /// Every listed declaration (its position in [`DependencyGraph::dependencies`]), row by
    /// row, each row's by origin (source, file, line, evidence), then declaration order.
    declarations: Vec<u32>,
    /// Where each row starts in `declarations`.
    starts: Vec<u32>,
}

impl<'g> EdgeRows<'g> {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Row `i`.
    ///
    /// # Panics
    /// When `i` is not below [`len`](Self::len).
    pub fn row(&self, i: usize) -> EdgeRow<'g> {
        let first = self.row_declarations(i).next().expect("rows are not empty");
        EdgeRow {
            from: first.from(),
            to: first.to(),
            kind: first.kind(),
            optional: first.optional(),
            origins: self.row_declarations(i).map(|d| d.origin()).collect(),
        }
    }

    /// The declarations of row `i`, by origin (source, file, line, evidence), then in
    /// declaration order (the same edge each time, from another origin).
    ///
    /// # Panics
    /// When `i` is not below [`len`](Self::len).
    pub fn row_declarations(&self, i: usize) -> impl ExactSizeIterator<Item = Dependency<'g>> + '_ {
        let start = self.starts[i] as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.declarations.len(), |&e| e as usize);
        self.declarations[start..end]
            .iter()
            .map(|&d| self.graph.dependency(d as usize))
    }

    /// Every row, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = EdgeRow<'g>> + '_ {
        (0..self.len()).map(|i| self.row(i))
    }

    /// The number of declarations over all rows.
    pub fn declaration_count(&self) -> usize {
        self.declarations.len()
    }

    /// Declaration `i` over all rows, in order.
    ///
    /// # Panics
    /// When `i` is not below [`declaration_count`](Self::declaration_count).
    pub fn declaration(&self, i: usize) -> Dependency<'g> {
        self.graph.dependency(self.declarations[i] as usize)
    }

    /// Whether declaration `i` is the first of its row.
    pub fn starts_row(&self, i: usize) -> bool {
        i == 0 || !same_row(&self.declaration(i - 1), &self.declaration(i))
    }
}

fn same_row(a: &Dependency<'_>, b: &Dependency<'_>) -> bool {
    a.from() == b.from() && a.to() == b.to() && a.kind() == b.kind() && a.optional() == b.optional()
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
    pub edges: EdgeRows<'g>,
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

/// Where a declaration's key (see [`listing`]) holds its row's kind and flag: above the
/// origin's rank (27 bits) and the declaration's position (32 bits).
const ROW_SHIFT: u32 = 59;

/// Each origin's rank in (source, file, line, evidence, attributes) order; all zero past
/// 2²⁷ origins (then a row's declarations keep their order).
fn origin_ranks(origins: &[Origin]) -> Vec<u32> {
    if origins.len() >= 1 << (ROW_SHIFT - 32) {
        return vec![0; origins.len()];
    }
    let mut order: Vec<u32> = (0..origins.len() as u32).collect();
    fn key(o: &Origin) -> impl Ord + '_ {
        (&o.source, &o.file, o.line, &o.evidence, &o.attributes)
    }
    order.sort_by(|&a, &b| key(&origins[a as usize]).cmp(&key(&origins[b as usize])));
    let mut rank = vec![0u32; origins.len()];
    for (r, &o) in order.iter().enumerate() {
        rank[o as usize] = r as u32;
    }
    rank
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
    let mut wanted_ix = FixedBitSet::with_capacity(graph.node_count());
    for id in ids {
        let n = graph.node(id).ok_or_else(|| id.clone())?;
        wanted.insert(n.id().as_str());
        wanted_ix.insert(n.ix().idx());
    }
    let keep = |id: &str| wanted.is_empty() || wanted.contains(id);
    let keep_ix = |n: Node<'_>| wanted.is_empty() || wanted_ix.contains(n.ix().idx());
    // Nodes in id order: the graph's rank of every id, inverted.
    let rank = graph.id_order();
    let mut by_rank = vec![0u32; rank.len()];
    for (ix, &r) in rank.iter().enumerate() {
        by_rank[r as usize] = ix as u32;
    }
    let nodes: Vec<Node<'g>> = by_rank
        .into_iter()
        .map(|ix| graph.node_ix(NodeIx::from_usize(ix as usize)))
        .filter(|&n| keep_ix(n))
        .collect();
    let mut by_kind = BTreeMap::new();
    for n in &nodes {
        *by_kind.entry(n.kind()).or_insert(0) += 1;
    }

    // What each source contributed, counted per origin (a file, or a line of one, of one
    // source) and then summed by source.
    let origins = graph.origins();
    let mut used = vec![false; origins.len()];
    let mut nodes_of = vec![0usize; origins.len()];
    let mut edges_of = vec![0usize; origins.len()];
    let mut by_source: BTreeMap<String, SourceCount> = BTreeMap::new();
    for n in graph.nodes() {
        match n.origin_ixs() {
            &[o] => {
                used[o as usize] = true;
                nodes_of[o as usize] += 1;
            }
            many => {
                // A node counts once for each source that declared it.
                let mut seen = BTreeSet::new();
                for &o in many {
                    used[o as usize] = true;
                    let source = &origins[o as usize].source;
                    if seen.insert(source) {
                        by_source.entry(source.clone()).or_default().nodes += 1;
                    }
                }
            }
        }
    }
    // Rows sorted by (from id, to id, kind, optional), each row's declarations by their
    // origin (source, file, line, evidence: the order of `--graph` files does not matter),
    // then in declaration order: one key per declaration packs the ranks of both ids, the
    // kind, the flag, the origin's rank and the declaration's position.
    let origin_rank = origin_ranks(origins);
    let mut keys: Vec<u128> = Vec::with_capacity(if wanted.is_empty() {
        graph.edge_count()
    } else {
        0
    });
    for (i, d) in graph.dependencies().enumerate() {
        if d.is_implicit() {
            continue;
        }
        used[d.origin_ix()] = true;
        edges_of[d.origin_ix()] += 1;
        let (from, to) = (d.from(), d.to());
        if !(keep_ix(from) || keep_ix(to)) {
            continue;
        }
        let ids = u128::from(rank[from.ix().idx()]) << 32 | u128::from(rank[to.ix().idx()]);
        let flags = u128::from(d.kind() as u8) << 1 | u128::from(d.optional());
        let origin = u128::from(origin_rank[d.origin_ix()]);
        keys.push(ids << 64 | flags << ROW_SHIFT | origin << 32 | i as u128);
    }
    for (o, origin) in origins.iter().enumerate() {
        if used[o] {
            let c = by_source.entry(origin.source.clone()).or_default();
            c.nodes += nodes_of[o];
            c.edges += edges_of[o];
            c.files.insert(origin.file.clone());
        }
    }
    keys.par_sort_unstable();
    let mut starts = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        if i == 0 || keys[i - 1] >> ROW_SHIFT != k >> ROW_SHIFT {
            starts.push(i as u32);
        }
    }
    let declarations = keys.into_iter().map(|k| k as u32).collect();

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
        edges: EdgeRows {
            graph,
            declarations,
            starts,
        },
        by_kind,
        by_source,
        removed,
        findings,
    })
}
