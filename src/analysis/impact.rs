//! The blast radius of a change: every node it can reach, how far, how strongly, along
//! which path, and the risk that gives.
//!
//! [`Impact`] is plain data for the reports: it holds the change, the overall risk and one
//! [`ImpactedNode`] per reached node (the changed nodes included, at distance 0), sorted by
//! risk (highest first), then distance, then id.
//!
//! The risk is the highest node risk, raised to at least [`NEW_TIER0_PATH_RISK`] when the
//! change creates a new path into a tier-0 node (a topology change, see
//! [`crate::changes::topology`]); [`Impact::risk_reasons`] says why. Reached tier-0 and
//! customer-facing nodes carry their owners: the graph's, or else CODEOWNERS' for their
//! paths.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::owners::{OwnersSource, codeowners_of};
use super::policy::{Policy, Risk};
use crate::changes::ChangeSet;
use crate::changes::codeowners::CodeOwners;
use crate::graph::reach::{Strengths, Walker};
use crate::graph::{DependencyGraph, Node, NodeIx};

const NONE: u32 = u32::MAX;

/// The least risk of a change that creates a new path into a tier-0 node.
pub const NEW_TIER0_PATH_RISK: Risk = Risk::High;

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
    /// is reached), raised by new paths into tier 0.
    pub risk: Risk,
    /// Why the risk is what it is, most decisive first: the riskiest reached node and its
    /// path, and any new path into tier 0 (empty when the risk is `none`).
    pub risk_reasons: Vec<String>,
    entries: Vec<Entry>,
    /// CODEOWNERS owners of reached tier-0 and customer-facing nodes that have no graph
    /// owners, by node index.
    codeowners: Vec<(u32, Vec<String>)>,
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
    codeowners: Option<CodeOwners>,
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
            codeowners: None,
        }
    }

    /// Uses a CODEOWNERS file for reached tier-0 and customer-facing nodes that have no
    /// `owners` in the graph.
    pub fn codeowners(mut self, codeowners: Option<CodeOwners>) -> Analyzer<'g> {
        self.codeowners = codeowners;
        self
    }

    /// The graph.
    pub fn graph(&self) -> &'g DependencyGraph {
        self.graph
    }

    /// Always walk bottom-up (`Some(true)`) or top-down (`Some(false)`); for tests.
    #[doc(hidden)]
    pub fn force_direction(&mut self, bottom_up: Option<bool>) {
        self.walker.force_direction(bottom_up);
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
        let mut risk = entries.iter().map(|e| e.risk).max().unwrap_or(Risk::None);
        let mut risk_reasons = Vec::new();
        // The riskiest node: highest risk, then fewest hops, then id (the first in
        // `impacted()` order), found without sorting the radius.
        let top = entries
            .iter()
            .filter(|e| e.risk > Risk::None)
            .min_by(|a, b| {
                let id = |e: &Entry| graph.node_ix(NodeIx::from_usize(e.ix as usize)).id();
                (risk_rank(a.risk), a.distance, id(a)).cmp(&(risk_rank(b.risk), b.distance, id(b)))
            });
        if let Some(top) = top {
            risk_reasons.push(top_reason(graph, top, &entries));
        }
        if let Some(t) = &changes.topology {
            let new: Vec<_> = t
                .new_paths
                .iter()
                .filter(|p| p.into_tier0() && p.strength > 0.0)
                .collect();
            let raised = !new.is_empty() && risk < NEW_TIER0_PATH_RISK;
            let mut reasons: Vec<String> = new
                .iter()
                .take(3)
                .map(|p| {
                    format!(
                        "{}: new {} path {} into tier-0 {} (added by this change)",
                        NEW_TIER0_PATH_RISK,
                        p.kinds_label(),
                        p.nodes.join(" → "),
                        p.target()
                    )
                })
                .collect();
            if new.len() > 3 {
                reasons.push(format!(
                    "… and {} more new paths into tier 0",
                    new.len() - 3
                ));
            }
            if raised {
                risk = NEW_TIER0_PATH_RISK;
                reasons.append(&mut risk_reasons);
                risk_reasons = reasons;
            } else {
                risk_reasons.append(&mut reasons);
            }
        }
        let codeowners = match &self.codeowners {
            Some(co) => entries
                .iter()
                .filter_map(|e| {
                    let n = graph.node_ix(NodeIx::from_usize(e.ix as usize));
                    let critical = n.customer_facing() || n.tier().map(|t| t.get()) == Some(0);
                    (critical && n.owners().len() == 0).then(|| (e.ix, codeowners_of(n, co)))
                })
                .filter(|(_, o)| !o.is_empty())
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        Impact {
            graph,
            changes,
            risk,
            risk_reasons,
            entries,
            codeowners,
            sorted: OnceLock::new(),
            by_node: OnceLock::new(),
        }
    }
}

/// `critical: checkout (tier 0, customer-facing) is reached at strength 1.00 along payment →
/// checkout`.
fn top_reason(graph: &DependencyGraph, e: &Entry, entries: &[Entry]) -> String {
    let node = |e: &Entry| graph.node_ix(NodeIx::from_usize(e.ix as usize));
    let n = node(e);
    let mut what = Vec::new();
    if let Some(t) = n.tier() {
        what.push(format!("tier {t}"));
    }
    if n.customer_facing() {
        what.push("customer-facing".to_string());
    }
    let id = format!("{} ({})", n.id(), what.join(", "));
    if e.distance == 0 {
        return format!("{}: {id} is one of the changed nodes", e.risk);
    }
    let mut path = vec![n.id().to_string()];
    let mut cur = e;
    while cur.parent != NONE {
        cur = &entries[cur.parent as usize];
        path.push(node(cur).id().to_string());
    }
    path.reverse();
    format!(
        "{}: {id} is reached at strength {:.2} along {}",
        e.risk,
        e.strength,
        path.join(" → ")
    )
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

    /// The owners of every reached tier-0 and customer-facing node, each with the nodes it
    /// owns (in impact order), sorted by owner.
    pub fn owners(&self) -> Vec<(String, Vec<ImpactedNode<'_, 'g>>)> {
        let mut by: std::collections::BTreeMap<String, Vec<ImpactedNode<'_, 'g>>> =
            std::collections::BTreeMap::new();
        for n in self.rated() {
            let node = n.node();
            if !(node.customer_facing() || node.tier().map(|t| t.get()) == Some(0)) {
                continue;
            }
            for o in n.owners().0 {
                by.entry(o.to_string()).or_default().push(n);
            }
        }
        by.into_iter().collect()
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
    /// Its owners and where they come from: the graph's `owners`, else (for tier-0 and
    /// customer-facing nodes, when the analyzer had a CODEOWNERS file) CODEOWNERS'.
    pub fn owners(&self) -> (Vec<&'i str>, Option<OwnersSource>) {
        let node = self.node();
        if node.owners().len() > 0 {
            return (node.owners().collect(), Some(OwnersSource::Graph));
        }
        match self
            .impact
            .codeowners
            .binary_search_by_key(&self.entry.ix, |c| c.0)
        {
            Ok(i) => (
                self.impact.codeowners[i]
                    .1
                    .iter()
                    .map(String::as_str)
                    .collect(),
                Some(OwnersSource::Codeowners),
            ),
            Err(_) => (Vec::new(), None),
        }
    }
}
