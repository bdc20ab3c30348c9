//! `spof`: single points of failure of the tier-0 nodes, and shared-fate groups.
//!
//! For each tier-0 node T, its *dependency graph* is T and everything it depends on over
//! propagating edges. A node D (other than T) dominates a node X when every dependency path
//! from T to X goes through D (petgraph's Cooper–Harvey–Kennedy dominators). A **choke
//! point** is a D that dominates other nodes: if D breaks, T loses every node it reaches
//! only through D. Choke points are listed with how many of T's dependencies lie behind
//! them, largest first.
//!
//! **Shared-fate groups** are the strongly connected groups (over propagating edges) of
//! more than one node: a change to any member reaches every other.

use std::collections::HashMap;

use petgraph::algo::dominators::simple_fast;

use super::policy::Policy;
use crate::graph::closure::{Condensation, PropagatingView};
use crate::graph::{DependencyGraph, Direction, Node, NodeIx};

/// A choke point of a tier-0 node.
#[derive(Clone, Debug)]
pub struct ChokePoint<'g> {
    /// The node every path to `behind` dependencies goes through.
    pub node: Node<'g>,
    /// How many of the tier-0 node's dependencies are reachable only through it
    /// (itself excluded).
    pub behind: usize,
}

/// The single points of failure of one tier-0 node.
#[derive(Clone, Debug)]
pub struct Tier0Report<'g> {
    /// The tier-0 node.
    pub node: Node<'g>,
    /// How many nodes it depends on, directly or not.
    pub dependencies: usize,
    /// Its choke points, most dependencies behind first, then by id.
    pub choke_points: Vec<ChokePoint<'g>>,
}

/// The answer to `spof`.
#[derive(Clone, Debug)]
pub struct SpofReport<'g> {
    /// One report per tier-0 node, by id.
    pub tier0: Vec<Tier0Report<'g>>,
    /// Shared-fate groups (sorted members), largest first, then by first id.
    pub shared_fate: Vec<Vec<Node<'g>>>,
}

/// Finds single points of failure and shared-fate groups.
pub fn spof<'g>(graph: &'g DependencyGraph, policy: &Policy) -> SpofReport<'g> {
    let strengths = policy.strengths();
    let view = PropagatingView::new(graph, &strengths, Direction::Forward);
    let node = |v: u32| graph.node_ix(NodeIx::from_usize(v as usize));
    let mut tier0: Vec<Tier0Report<'g>> = graph
        .nodes()
        .filter(|n| n.tier().map(|t| t.get()) == Some(0))
        .map(|t| {
            let root = t.ix().raw();
            let dom = simple_fast(view, root);
            // Children lists of the dominator tree, then subtree sizes.
            let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
            let mut reached = Vec::new();
            let mut stack = vec![root];
            let mut seen = std::collections::HashSet::from([root]);
            while let Some(v) = stack.pop() {
                reached.push(v);
                for u in petgraph::visit::IntoNeighbors::neighbors(view, v) {
                    if seen.insert(u) {
                        stack.push(u);
                    }
                }
            }
            for &v in &reached {
                if let Some(d) = dom.immediate_dominator(v) {
                    children.entry(d).or_default().push(v);
                }
            }
            let mut size: HashMap<u32, usize> = HashMap::new();
            fn subtree(
                v: u32,
                children: &HashMap<u32, Vec<u32>>,
                size: &mut HashMap<u32, usize>,
            ) -> usize {
                // Iterative post-order to survive deep trees.
                let mut stack = vec![(v, false)];
                while let Some((x, done)) = stack.pop() {
                    if done {
                        let s = 1 + children
                            .get(&x)
                            .map_or(0, |c| c.iter().map(|y| size[y]).sum::<usize>());
                        size.insert(x, s);
                    } else {
                        stack.push((x, true));
                        for &y in children.get(&x).into_iter().flatten() {
                            stack.push((y, false));
                        }
                    }
                }
                size[&v]
            }
            subtree(root, &children, &mut size);
            let mut choke_points: Vec<ChokePoint<'g>> = reached
                .iter()
                .filter(|&&v| v != root && size[&v] > 1)
                .map(|&v| ChokePoint {
                    node: node(v),
                    behind: size[&v] - 1,
                })
                .collect();
            choke_points.sort_by(|a, b| {
                b.behind
                    .cmp(&a.behind)
                    .then_with(|| a.node.id().cmp(b.node.id()))
            });
            Tier0Report {
                node: t,
                dependencies: reached.len() - 1,
                choke_points,
            }
        })
        .collect();
    tier0.sort_by(|a, b| a.node.id().cmp(b.node.id()));

    let cond = Condensation::new(graph, &strengths);
    let mut shared_fate: Vec<Vec<Node<'g>>> = (0..cond.len() as u32)
        .map(|c| cond.members(c))
        .filter(|m| m.len() > 1)
        .map(|m| {
            let mut v: Vec<Node<'g>> = m.iter().map(|&x| node(x)).collect();
            v.sort_by(|a, b| a.id().cmp(b.id()));
            v
        })
        .collect();
    shared_fate.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a[0].id().cmp(b[0].id())));
    SpofReport { tier0, shared_fate }
}
