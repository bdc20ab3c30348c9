//! `rank`: every node's reach — how many customer-facing and tier-0 nodes a change to it
//! can touch, the highest risk it can cause, and how large its blast radius is.
//!
//! Not one walk per node: the graph is condensed into strongly connected components and
//! sets are propagated through the DAG once ([`closure`](crate::graph)). Customer-facing and
//! tier-0 counts are always exact. Blast-radius sizes are exact when the whole-graph bitset
//! pass is affordable (about `edges × nodes / 64` word operations, see
//! [`EXACT_WORK_LIMIT`]); above that they are estimated with a k-mins reachability sketch
//! (Cohen) and marked `estimated`, with the relative standard error stated; an estimate
//! never falls below what is known exactly (the node's group and its direct dependents,
//! its customer-facing and tier-0 counts), and a radius that ends at the direct dependents
//! is counted ([`Condensation::near_sizes`]).
//!
//! The highest risk a change to X can cause uses strengths, not just reachability: for each
//! tier, the strongest path from X to any node of that tier (a max-product pass over the
//! same component order), then the policy's risk table.

use super::policy::{Policy, Risk};
use crate::graph::closure::Condensation;
use crate::graph::{DependencyGraph, Direction, Node, NodeIx, NodeKind};

/// Above this many word operations (`condensed edges × ⌈nodes / 64⌉`), blast-radius sizes
/// are estimated instead of counted.
pub const EXACT_WORK_LIMIT: u64 = 1 << 31;

/// Minimum ranks per node in the size sketch (relative standard error `1/√(k−2)` ≈ 12.7%).
pub const SKETCH_K: usize = 64;

/// How blast-radius sizes are computed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum SizeMode {
    /// Exact when affordable ([`EXACT_WORK_LIMIT`]), else estimated.
    #[default]
    Auto,
    /// Always exact (may be slow on very large graphs).
    Exact,
    /// Always estimated.
    Estimate,
}

/// Options of `rank`.
#[derive(Clone, Debug, Default)]
pub struct RankOptions {
    /// Only nodes of these kinds (all when empty).
    pub kinds: Vec<NodeKind>,
    /// Only the first N after sorting.
    pub top: Option<usize>,
    /// How sizes are computed.
    pub sizes: SizeMode,
}

/// One ranked node.
#[derive(Clone, Debug)]
pub struct Ranked<'g> {
    /// The node.
    pub node: Node<'g>,
    /// Nodes in its blast radius, itself included (an estimate when `estimated`).
    pub blast_radius: u64,
    /// Customer-facing nodes in its blast radius, itself included (exact).
    pub customer_facing: u32,
    /// Tier-0 nodes in its blast radius, itself included (exact).
    pub tier0: u32,
    /// The highest risk a change to it can cause.
    pub risk: Risk,
    /// Whether `blast_radius` is an estimate.
    pub estimated: bool,
}

/// How sizes were estimated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Sketch size.
    pub k: usize,
    /// Relative standard error of each estimate.
    pub relative_standard_error: f64,
}

/// The ranking.
#[derive(Clone, Debug)]
pub struct Rank<'g> {
    /// Ranked nodes, sorted by customer-facing reach, then blast radius (both descending),
    /// then id.
    pub nodes: Vec<Ranked<'g>>,
    /// Nodes that matched the filters, before `top`.
    pub matched: usize,
    /// Set when sizes are estimates.
    pub estimate: Option<Estimate>,
}

/// Ranks every node of `graph`.
pub fn rank<'g>(graph: &'g DependencyGraph, policy: &Policy, opts: &RankOptions) -> Rank<'g> {
    let _t = crate::timing::Phase::start("rank");
    let strengths = policy.strengths();
    let n = graph.node_count();
    let bar = crate::progress::Progress::steps("ranking", 4, n >= 200_000);
    // The condensation walks the forward adjacency and the risks the reverse one: built
    // together, one per core, when neither came from the cache.
    graph.csr_both();
    let cond = Condensation::new(graph, &strengths);
    bar.step();

    // Exact customer-facing (class 0) and tier-0 (class 1) counts.
    let targets: Vec<(u32, u8)> = graph
        .nodes()
        .filter_map(|node| {
            let class = node.customer_facing() as u8
                | ((node.tier().map(|t| t.get()) == Some(0)) as u8) << 1;
            (class != 0).then_some((node.ix().raw(), class))
        })
        .collect();
    let critical = cond.count_targets::<2>(&targets);
    bar.step();

    // Blast-radius sizes.
    let work = cond.edge_count() as u64 * n.div_ceil(64) as u64;
    let exact = match opts.sizes {
        SizeMode::Exact => true,
        SizeMode::Estimate => false,
        SizeMode::Auto => work <= EXACT_WORK_LIMIT,
    };
    // Per component: its size, and whether that size is exact.
    let (sizes, estimate): (Vec<(u64, bool)>, Option<Estimate>) = if exact {
        let all: Vec<(u32, u8)> = (0..n as u32).map(|v| (v, 1)).collect();
        (
            cond.count_targets::<1>(&all)
                .into_iter()
                .map(|s| (u64::from(s), true))
                .collect(),
            None,
        )
    } else {
        let est = cond.sketch_sizes(SKETCH_K, 0x0b1a_57ed);
        let near = cond.near_sizes();
        let sizes = (0..cond.len())
            .map(|c| match near[c] {
                // Nothing beyond its direct dependents: counted.
                (size, true) => (size, true),
                // Never below what is known exactly: the component and its direct
                // dependents, its customer-facing and its tier-0 nodes.
                (least, false) => {
                    let least = least
                        .max(u64::from(critical[c * 2]))
                        .max(u64::from(critical[c * 2 + 1]));
                    ((est[c].round() as u64).clamp(least, n as u64), false)
                }
            })
            .collect();
        (
            sizes,
            Some(Estimate {
                k: SKETCH_K,
                relative_standard_error: 1.0 / ((SKETCH_K as f64) - 2.0).sqrt(),
            }),
        )
    };

    bar.step();
    let risks = max_risks(graph, policy, &cond);
    bar.step();
    let mut nodes: Vec<Ranked<'g>> = graph
        .nodes()
        .filter(|node| opts.kinds.is_empty() || opts.kinds.contains(&node.kind()))
        .map(|node| {
            let v = node.ix().raw();
            let c = cond.component(v) as usize;
            Ranked {
                node,
                blast_radius: sizes[c].0,
                customer_facing: critical[c * 2],
                tier0: critical[c * 2 + 1],
                risk: risks[v as usize],
                estimated: !sizes[c].1,
            }
        })
        .collect();
    let matched = nodes.len();
    let rank = graph.id_order();
    nodes.sort_by(|a, b| {
        (b.customer_facing, b.blast_radius, rank[a.node.ix().idx()]).cmp(&(
            a.customer_facing,
            a.blast_radius,
            rank[b.node.ix().idx()],
        ))
    });
    if let Some(top) = opts.top {
        nodes.truncate(top);
    }
    Rank {
        nodes,
        matched,
        estimate,
    }
}

/// The rated class of a node: its tier, the customer-facing tier, or none.
fn class_of(node: Node<'_>, policy: &Policy) -> Option<usize> {
    match (node.tier(), node.customer_facing()) {
        (Some(t), _) => Some(t.get() as usize),
        (None, true) => Some(policy.risk.customer_facing_tier as usize),
        (None, false) => None,
    }
}

/// For every node, the highest risk a change to it can cause: per tier, the strongest path
/// to a node of that tier, then the risk table.
fn max_risks(graph: &DependencyGraph, policy: &Policy, cond: &Condensation) -> Vec<Risk> {
    let _t = crate::timing::Phase::start("max risks");
    let strengths = policy.strengths();
    let n = graph.node_count();
    let rev = graph.csr(Direction::Reverse);
    let mut best = vec![[0f64; 4]; n];
    for (v, b) in best.iter_mut().enumerate() {
        if let Some(t) = class_of(graph.node_ix(NodeIx::from_usize(v)), policy) {
            b[t] = 1.0;
        }
    }
    // Dependents first (descending components): first what comes from outside the
    // component (final already), then, inside a cycle, relax until nothing changes.
    let relax = |best: &mut Vec<[f64; 4]>, x: u32, y: u32, s: f64| {
        let by = best[y as usize];
        let bx = &mut best[x as usize];
        let mut changed = false;
        for t in 0..4 {
            // A reached class never rounds to zero strength (see the walker's levels).
            let cand = if by[t] > 0.0 {
                (by[t] * s).max(f64::MIN_POSITIVE)
            } else {
                0.0
            };
            if cand > bx[t] {
                bx[t] = cand;
                changed = true;
            }
        }
        changed
    };
    for c in (0..cond.len() as u32).rev() {
        let members = cond.members(c);
        for &x in members {
            for (y, class) in rev.neighbors(x) {
                let s = strengths.of_class(class);
                if s > 0.0 && cond.component(y) != c {
                    relax(&mut best, x, y, s);
                }
            }
        }
        if members.len() > 1 {
            loop {
                let mut changed = false;
                for &x in members {
                    for (y, class) in rev.neighbors(x) {
                        let s = strengths.of_class(class);
                        if s > 0.0 && cond.component(y) == c {
                            changed |= relax(&mut best, x, y, s);
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
        }
    }
    best.iter()
        .map(|b| {
            (0..4)
                .filter(|&t| b[t] > 0.0)
                .map(|t| {
                    let tier = crate::graph::Tier::new(t as u8);
                    policy.risk_of(tier, false, b[t])
                })
                .max()
                .unwrap_or(Risk::None)
        })
        .collect()
}
