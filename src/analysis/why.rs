//! `why FROM TO`: how a change to FROM reaches TO.
//!
//! The answer gives the strongest path (fewest hops among equals), the shortest path, each
//! hop's edge kind and strength, and how many distinct simple paths connect the two. "Not
//! reachable" is an answer, not an error.
//!
//! Counting simple paths is hard in general, so it is done on the part of the graph that
//! lies between the two nodes (reached from FROM *and* depended on by TO): when that part is
//! acyclic (the common case) the count is exact, by dynamic programming in topological
//! order; otherwise paths are enumerated depth-first up to a cap, and the count is reported
//! as a lower bound.

use fixedbitset::FixedBitSet;

use super::policy::{Policy, Risk};
use crate::graph::csr::class_parts;
use crate::graph::reach::{Strengths, Walker};
use crate::graph::{DependencyGraph, Direction, EdgeKind, Node, NodeIx};

/// One hop of a path: the edge by which the next node depends on the previous one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hop {
    /// The edge kind.
    pub kind: EdgeKind,
    /// Whether the edge is optional.
    pub optional: bool,
    /// Its strength under the policy.
    pub strength: f64,
}

/// A path from FROM to TO with its hops.
#[derive(Clone, Debug)]
pub struct Route<'g> {
    /// The nodes, FROM first, TO last.
    pub nodes: Vec<Node<'g>>,
    /// `hops[i]` joins `nodes[i]` to `nodes[i + 1]`.
    pub hops: Vec<Hop>,
    /// The product of the hops' strengths.
    pub strength: f64,
}

/// How many distinct simple paths join FROM to TO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathCount {
    /// The count (a lower bound when `capped`).
    pub count: u64,
    /// `true` when counting stopped at the cap.
    pub capped: bool,
}

/// How FROM reaches TO, when it does.
#[derive(Clone, Debug)]
pub struct Reach<'g> {
    /// The strongest path (fewest hops among equals).
    pub strongest: Route<'g>,
    /// A path with the fewest hops.
    pub shortest: Route<'g>,
    /// Distinct simple paths.
    pub paths: PathCount,
    /// The risk a change to FROM carries for TO.
    pub risk: Risk,
}

/// The answer to `why FROM TO`.
#[derive(Clone, Debug)]
pub struct Why<'g> {
    /// The changed node.
    pub from: Node<'g>,
    /// The node asked about.
    pub to: Node<'g>,
    /// `None` when a change to FROM cannot reach TO.
    pub reach: Option<Reach<'g>>,
}

/// Answers `why from to`, counting at most `max_paths` simple paths.
pub fn why<'g>(
    graph: &'g DependencyGraph,
    policy: &Policy,
    from: Node<'g>,
    to: Node<'g>,
    max_paths: u64,
) -> Why<'g> {
    let strengths = policy.strengths();
    let mut walker = Walker::new(graph);
    let walk = walker.walk(graph, &strengths, &[from.ix()]);
    let t = to.ix().raw();
    if !walk.reached(t) {
        return Why {
            from,
            to,
            reach: None,
        };
    }
    let route = |ixs: Vec<u32>| route(graph, &strengths, &ixs);
    let strongest = route(walk.strongest_path(t));
    let shortest = route(walk.shortest_path(t));
    let risk = policy.risk_of(to.tier(), to.customer_facing(), strongest.strength);
    let between = between(graph, &strengths, &walk, t);
    let paths = count_paths(graph, &strengths, &between, from.ix().raw(), t, max_paths);
    Why {
        from,
        to,
        reach: Some(Reach {
            strongest,
            shortest,
            paths,
            risk,
        }),
    }
}

/// The strongest edge by which `b` depends on `a`.
fn hop(graph: &DependencyGraph, strengths: &Strengths, a: u32, b: u32) -> Hop {
    let csr = graph.csr(Direction::Reverse);
    csr.neighbors(a)
        .filter(|&(u, _)| u == b)
        .map(|(_, c)| {
            let (kind, optional) = class_parts(c);
            Hop {
                kind,
                optional,
                strength: strengths.of(kind, optional),
            }
        })
        .fold(None, |best: Option<Hop>, h| match best {
            Some(b) if b.strength >= h.strength => Some(b),
            _ => Some(h),
        })
        .expect("consecutive path nodes are joined by an edge")
}

fn route<'g>(graph: &'g DependencyGraph, strengths: &Strengths, ixs: &[u32]) -> Route<'g> {
    let hops: Vec<Hop> = ixs
        .windows(2)
        .map(|w| hop(graph, strengths, w[0], w[1]))
        .collect();
    Route {
        nodes: ixs
            .iter()
            .map(|&i| graph.node_ix(NodeIx::from_usize(i as usize)))
            .collect(),
        // Floored as the walker floors it: a long chain of weak edges still reaches.
        strength: hops
            .iter()
            .fold(1.0, |s, h| (s * h.strength).max(f64::MIN_POSITIVE)),
        hops,
    }
}

/// Nodes reached from FROM (per `walk`) that TO depends on, TO included.
fn between(
    graph: &DependencyGraph,
    strengths: &Strengths,
    walk: &crate::graph::reach::Walk<'_>,
    to: u32,
) -> FixedBitSet {
    let fwd = graph.csr(Direction::Forward);
    let mut set = FixedBitSet::with_capacity(graph.node_count());
    let mut stack = vec![to];
    set.insert(to as usize);
    while let Some(v) = stack.pop() {
        for (u, c) in fwd.neighbors(v) {
            let (k, o) = class_parts(c);
            if strengths.of(k, o) > 0.0 && walk.reached(u) && !set.put(u as usize) {
                stack.push(u);
            }
        }
    }
    set
}

/// Distinct neighbours of `v` inside `set` over propagating edges (the CSR is sorted by
/// neighbour, so parallel edges are adjacent).
fn next_in<'a>(
    csr: &'a crate::graph::csr::Csr,
    strengths: &'a Strengths,
    set: &'a FixedBitSet,
    v: u32,
) -> impl Iterator<Item = u32> + 'a {
    let mut last = u32::MAX;
    csr.neighbors(v).filter_map(move |(u, c)| {
        let (k, o) = class_parts(c);
        if u == last || strengths.of(k, o) <= 0.0 || !set.contains(u as usize) {
            return None;
        }
        last = u;
        Some(u)
    })
}

/// Steps the enumeration of simple paths through cycles may take before it stops and
/// reports a lower bound (a dense strongly connected group has more paths than any cap).
const STEP_BUDGET: u64 = 2_000_000;

fn count_paths(
    graph: &DependencyGraph,
    strengths: &Strengths,
    set: &FixedBitSet,
    from: u32,
    to: u32,
    cap: u64,
) -> PathCount {
    if from == to {
        // The zero-hop path is the only simple one: any other returns to `from`.
        return PathCount {
            count: 1,
            capped: false,
        };
    }
    let csr = graph.csr(Direction::Reverse);
    let nodes: Vec<u32> = set.ones().map(|i| i as u32).collect();
    // Kahn's algorithm over the in-between subgraph.
    let mut indeg: std::collections::HashMap<u32, u32> = nodes.iter().map(|&v| (v, 0)).collect();
    for &v in &nodes {
        for u in next_in(csr, strengths, set, v) {
            *indeg.get_mut(&u).expect("in set") += 1;
        }
    }
    let mut ready: Vec<u32> = nodes.iter().copied().filter(|v| indeg[v] == 0).collect();
    let mut topo = Vec::with_capacity(nodes.len());
    while let Some(v) = ready.pop() {
        topo.push(v);
        for u in next_in(csr, strengths, set, v) {
            let d = indeg.get_mut(&u).expect("in set");
            *d -= 1;
            if *d == 0 {
                ready.push(u);
            }
        }
    }
    if topo.len() == nodes.len() {
        let mut count: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
        count.insert(from, 1);
        for &v in &topo {
            let c = count.get(&v).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            for u in next_in(csr, strengths, set, v) {
                let e = count.entry(u).or_insert(0);
                *e = e.saturating_add(c);
            }
        }
        // Exact, whatever the cap; only a count past u64::MAX is a bound.
        let n = count.get(&to).copied().unwrap_or(0);
        return PathCount {
            count: n,
            capped: n == u64::MAX,
        };
    }
    // Cyclic: enumerate simple paths depth-first, up to the cap and a step budget.
    let mut budget: u64 = STEP_BUDGET;
    let mut on_path = FixedBitSet::with_capacity(graph.node_count());
    let mut found = 0u64;
    let mut stack: Vec<(u32, Vec<u32>, usize)> = Vec::new();
    let succ = |v: u32| next_in(csr, strengths, set, v).collect::<Vec<u32>>();
    on_path.insert(from as usize);
    stack.push((from, succ(from), 0));
    while let Some((_, next, i)) = stack.last_mut() {
        // One path past the cap tells "more than the cap" from "exactly the cap".
        if found > cap || budget == 0 {
            // `to` is reachable (the caller checked), so at least one path exists even when
            // the budget ran out before the search met it.
            return PathCount {
                count: found.min(cap).max(1),
                capped: true,
            };
        }
        budget -= 1;
        if *i == next.len() {
            let (v, _, _) = stack.pop().expect("non-empty");
            on_path.set(v as usize, false);
            continue;
        }
        let u = next[*i];
        *i += 1;
        if u == to {
            found += 1;
        } else if !on_path.contains(u as usize) {
            on_path.insert(u as usize);
            stack.push((u, succ(u), 0));
        }
    }
    PathCount {
        count: found,
        capped: false,
    }
}
