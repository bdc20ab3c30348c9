//! The blast radius of a change: every node it can reach, how far, how strongly, along
//! which path, and the risk that gives.
//!
//! [`Impact`] is plain data for the reports: it holds the change, the overall risk and one
//! [`ImpactedNode`] per reached node (the changed nodes included, at distance 0), sorted by
//! risk (highest first), then distance, then id.

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
    /// The previous node on the strongest path (a node index), or `NONE`.
    parent: u32,
}

/// The blast radius of one change.
#[derive(Debug)]
pub struct Impact<'g> {
    graph: &'g DependencyGraph,
    /// What changed.
    pub changes: ChangeSet<'g>,
    /// The highest risk of any reached node (`none` when nothing tiered or customer-facing
    /// is reached).
    pub risk: Risk,
    entries: Vec<Entry>,
    /// `(node index, entry position)`, sorted by node index, for path lookups.
    position: Vec<(u32, u32)>,
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
        let walk = {
            let _t = crate::timing::Phase::start("walk");
            self.walker.walk(graph, &self.strengths, &starts)
        };
        let policy = &self.policy;
        let order = walk.order();
        let make = |&v: &u32| {
            let n = graph.node_ix(NodeIx::from_usize(v as usize));
            let strength = walk.strength(v);
            Entry {
                ix: v,
                distance: walk.distance(v),
                strength,
                risk: policy.risk_of(n.tier(), n.customer_facing(), strength),
                parent: walk.parent(v).unwrap_or(NONE),
            }
        };
        let mut entries: Vec<Entry> = if order.len() > 1 << 14 {
            order.par_iter().map(make).collect()
        } else {
            order.iter().map(make).collect()
        };
        let risk = entries.iter().map(|e| e.risk).max().unwrap_or(Risk::None);
        // Sort by risk (highest first), then distance, then id. A large result uses the
        // graph's id order (computed once) to sort by one packed integer key.
        let risk_rank = |r: Risk| 4 - Risk::ALL.iter().position(|&x| x == r).unwrap_or(0) as u64;
        if entries.len() > (graph.node_count() / 16).max(1 << 12) {
            let rank = graph.id_order();
            let key = |e: &Entry| {
                (risk_rank(e.risk) << 61)
                    | ((e.distance.min((1 << 29) - 1) as u64) << 32)
                    | rank[e.ix as usize] as u64
            };
            entries.par_sort_unstable_by_key(key);
        } else {
            let id = |e: &Entry| graph.node_ix(NodeIx::from_usize(e.ix as usize)).id();
            entries.sort_unstable_by(|a, b| {
                (risk_rank(a.risk), a.distance, id(a)).cmp(&(risk_rank(b.risk), b.distance, id(b)))
            });
        }
        let mut position: Vec<(u32, u32)> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.ix, i as u32))
            .collect();
        position.par_sort_unstable();
        Impact {
            graph,
            changes,
            risk,
            entries,
            position,
        }
    }
}

impl<'g> Impact<'g> {
    /// The graph.
    pub fn graph(&self) -> &'g DependencyGraph {
        self.graph
    }

    /// Every reached node, sorted by risk (highest first), then distance, then id.
    pub fn impacted(&self) -> impl ExactSizeIterator<Item = ImpactedNode<'_, 'g>> + '_ {
        self.entries.iter().map(move |entry| ImpactedNode {
            impact: self,
            entry,
        })
    }

    /// The reached node with this id, if reached.
    pub fn get(&self, id: &str) -> Option<ImpactedNode<'_, 'g>> {
        let ix = self.graph.node(id)?.ix().raw();
        self.entry_of(ix).map(|entry| ImpactedNode {
            impact: self,
            entry,
        })
    }

    fn entry_of(&self, ix: u32) -> Option<&Entry> {
        self.position
            .binary_search_by_key(&ix, |p| p.0)
            .ok()
            .map(|i| &self.entries[self.position[i].1 as usize])
    }

    /// Counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            impacted: self.entries.len(),
            ..Summary::default()
        };
        for e in &self.entries {
            let n = self.graph.node_ix(NodeIx::from_usize(e.ix as usize));
            s.customer_facing += n.customer_facing() as usize;
            s.tier0 += (n.tier().map(|t| t.get()) == Some(0)) as usize;
            let r = Risk::ALL.iter().position(|&x| x == e.risk).unwrap_or(0);
            s.by_risk[r] += 1;
        }
        s
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
            let Some(p) = self.impact.entry_of(cur.parent) else {
                break;
            };
            path.push(self.impact.graph.node_ix(NodeIx::from_usize(p.ix as usize)));
            cur = p;
        }
        path.reverse();
        path
    }
    /// Whether this node is one of the changed nodes.
    pub fn is_changed(&self) -> bool {
        self.entry.distance == 0
    }
}
