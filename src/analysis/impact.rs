//! The blast radius of a change: every node it can reach, how far, how strongly, along
//! which path, and the risk that gives.
//!
//! [`Impact`] is plain data for the reports: it holds the change, the overall risk and one
//! [`ImpactedNode`] per reached node (the changed nodes included, at distance 0), sorted by
//! risk (highest first), then distance, then id.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::policy::{Policy, Risk};
use crate::changes::ChangeSet;
use crate::graph::reach::{Strengths, Walker};
use crate::graph::{DependencyGraph, Node, NodeIx};

const NONE: u32 = u32::MAX;

#[derive(Copy, Clone, Debug)]
struct Entry {
    ix: u32,
    distance: u32,
    strength: f64,
    risk: Risk,
    /// The previous node on the strongest path, as an index into `entries`, or `NONE`.
    parent: u32,
}

/// The blast radius of one change.
///
/// Reached nodes are kept in the order the walk found them; the sorted order (and the index
/// by node) are computed the first time something asks for them, so a caller that only
/// needs the risk and the summary never pays for sorting a large radius.
#[derive(Debug)]
pub struct Impact<'g> {
    graph: &'g DependencyGraph,
    /// What changed.
    pub changes: ChangeSet<'g>,
    /// The highest risk of any reached node (`none` when nothing tiered or customer-facing
    /// is reached).
    pub risk: Risk,
    entries: Vec<Entry>,
    /// Every entry index, sorted by risk (highest first), then distance, then id.
    sorted: OnceLock<Vec<u32>>,
    /// `(node index, entry index)`, sorted by node index.
    by_node: OnceLock<Vec<(u32, u32)>>,
}

/// One reached node, borrowed from its [`Impact`].
#[derive(Copy, Clone)]
pub struct ImpactedNode<'i, 'g> {
    impact: &'i Impact<'g>,
    entry: &'i Entry,
}

/// Counts over the impacted nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Reached nodes, changed ones included.
    pub impacted: usize,
    /// Reached customer-facing nodes.
    pub customer_facing: usize,
    /// Reached tier-0 nodes.
    pub tier0: usize,
    /// Reached nodes per risk, lowest risk first (indexed like [`Risk::ALL`]).
    pub by_risk: [usize; 5],
}

/// Computes impacts; holds the scratch space so many changes share it.
pub struct Analyzer<'g> {
    graph: &'g DependencyGraph,
    policy: Policy,
    strengths: Strengths,
    walker: Walker,
}

/// Radii at least this large build their per-node entries in parallel.
const PARALLEL_ENTRIES: usize = 1 << 14;

impl<'g> Analyzer<'g> {
    /// An analyzer for `graph` under `policy`.
    pub fn new(graph: &'g DependencyGraph, policy: Policy) -> Analyzer<'g> {
        Analyzer {
            graph,
            strengths: policy.strengths(),
            policy,
            walker: Walker::new(graph),
        }
    }

    /// The graph.
    pub fn graph(&self) -> &'g DependencyGraph {
        self.graph
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The blast radius of `changes`.
    pub fn impact(&mut self, changes: ChangeSet<'g>) -> Impact<'g> {
        let _t = crate::timing::Phase::start("impact");
        let graph = self.graph;
        let starts: Vec<NodeIx> = changes.nodes().iter().map(|n| n.ix()).collect();
        let walk = self.walker.walk(graph, &self.strengths, &starts);
        let policy = &self.policy;
        let make = |&v: &u32| {
            let n = graph.node_ix(NodeIx::from_usize(v as usize));
            let strength = walk.strength(v);
            Entry {
                ix: v,
                distance: walk.distance(v),
                strength,
                risk: policy.risk_of(n.tier(), n.customer_facing(), strength),
                parent: walk.parent(v).map_or(NONE, |p| walk.position(p)),
            }
        };
        let order = walk.order();
        let entries: Vec<Entry> = if order.len() >= PARALLEL_ENTRIES {
            order.par_iter().map(make).collect()
        } else {
            order.iter().map(make).collect()
        };
        let risk = entries.iter().map(|e| e.risk).max().unwrap_or(Risk::None);
        Impact {
            graph,
            changes,
            risk,
            entries,
            sorted: OnceLock::new(),
            by_node: OnceLock::new(),
        }
    }
}

fn risk_rank(r: Risk) -> u64 {
    4 - Risk::ALL.iter().position(|&x| x == r).unwrap_or(0) as u64
}

impl<'g> Impact<'g> {
    /// The graph.
    pub fn graph(&self) -> &'g DependencyGraph {
        self.graph
    }

    /// Sorts entry indices by risk (highest first), then distance, then id.
    fn sort(&self, mut idx: Vec<u32>) -> Vec<u32> {
        let graph = self.graph;
        let e = &self.entries;
        // A large selection sorts by one packed integer key using the graph's id order
        // (computed once per graph); a small one compares ids directly.
        if idx.len() > (graph.node_count() / 16).max(1 << 12) {
            let rank = graph.id_order();
            let key = |&i: &u32| {
                let x = &e[i as usize];
                (risk_rank(x.risk) << 61)
                    | ((x.distance.min((1 << 29) - 1) as u64) << 32)
                    | rank[x.ix as usize] as u64
            };
            idx.par_sort_unstable_by_key(key);
        } else {
            let id = |i: u32| {
                graph
                    .node_ix(NodeIx::from_usize(e[i as usize].ix as usize))
                    .id()
            };
            idx.sort_unstable_by(|&a, &b| {
                let (x, y) = (&e[a as usize], &e[b as usize]);
                (risk_rank(x.risk), x.distance, id(a)).cmp(&(risk_rank(y.risk), y.distance, id(b)))
            });
        }
        idx
    }

    fn node_of(&self, e: &Entry) -> Node<'g> {
        self.graph.node_ix(NodeIx::from_usize(e.ix as usize))
    }

    fn handle<'i>(&'i self, i: u32) -> ImpactedNode<'i, 'g> {
        ImpactedNode {
            impact: self,
            entry: &self.entries[i as usize],
        }
    }

    /// Every reached node, sorted by risk (highest first), then distance, then id.
    pub fn impacted(&self) -> impl ExactSizeIterator<Item = ImpactedNode<'_, 'g>> + '_ {
        let sorted = self
            .sorted
            .get_or_init(|| self.sort((0..self.entries.len() as u32).collect()));
        sorted.iter().map(move |&i| self.handle(i))
    }

    /// The reached nodes that carry risk (customer-facing or tiered), in the same order as
    /// [`impacted`](Self::impacted).
    pub fn rated(&self) -> Vec<ImpactedNode<'_, 'g>> {
        let is_rated = |e: &Entry| {
            let n = self.node_of(e);
            n.customer_facing() || n.tier().is_some()
        };
        let idx = match self.sorted.get() {
            Some(sorted) => sorted
                .iter()
                .copied()
                .filter(|&i| is_rated(&self.entries[i as usize]))
                .collect(),
            None => self.sort(
                (0..self.entries.len() as u32)
                    .filter(|&i| is_rated(&self.entries[i as usize]))
                    .collect(),
            ),
        };
        idx.into_iter().map(|i| self.handle(i)).collect()
    }

    /// The reached node with this id, if reached.
    pub fn get(&self, id: &str) -> Option<ImpactedNode<'_, 'g>> {
        let ix = self.graph.node(id)?.ix().raw();
        let by_node = self.by_node.get_or_init(|| {
            let mut v: Vec<(u32, u32)> = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.ix, i as u32))
                .collect();
            v.par_sort_unstable();
            v
        });
        by_node
            .binary_search_by_key(&ix, |p| p.0)
            .ok()
            .map(|k| self.handle(by_node[k].1))
    }

    /// Number of reached nodes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was reached (no change mapped to a node).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            impacted: self.entries.len(),
            ..Summary::default()
        };
        for e in &self.entries {
            let n = self.node_of(e);
            s.customer_facing += n.customer_facing() as usize;
            s.tier0 += (n.tier().map(|t| t.get()) == Some(0)) as usize;
            s.by_risk[(4 - risk_rank(e.risk)) as usize] += 1;
        }
        s
    }

    /// Reached nodes without tier or customer-facing flag, counted by kind.
    pub fn unrated_by_kind(&self) -> std::collections::BTreeMap<crate::graph::NodeKind, usize> {
        let mut m = std::collections::BTreeMap::new();
        for e in &self.entries {
            let n = self.node_of(e);
            if !n.customer_facing() && n.tier().is_none() {
                *m.entry(n.kind()).or_insert(0) += 1;
            }
        }
        m
    }
}

impl<'i, 'g> ImpactedNode<'i, 'g> {
    /// The node.
    pub fn node(&self) -> Node<'g> {
        self.impact
            .graph
            .node_ix(NodeIx::from_usize(self.entry.ix as usize))
    }
    /// Fewest hops from a changed node over propagating edges (0 for a changed node).
    pub fn distance(&self) -> u32 {
        self.entry.distance
    }
    /// Product of edge strengths along the strongest path.
    pub fn strength(&self) -> f64 {
        self.entry.strength
    }
    /// The node's risk.
    pub fn risk(&self) -> Risk {
        self.entry.risk
    }
    /// The strongest path (fewest hops among equals), from a changed node to this node.
    pub fn path(&self) -> Vec<Node<'g>> {
        let mut path = vec![self.node()];
        let mut cur = self.entry;
        while cur.parent != NONE {
            cur = &self.impact.entries[cur.parent as usize];
            path.push(self.impact.node_of(cur));
        }
        path.reverse();
        path
    }
    /// Whether this node is one of the changed nodes.
    pub fn is_changed(&self) -> bool {
        self.entry.distance == 0
    }
}
