//! Walking the blast radius: which nodes a change reaches, in how many hops, how strongly,
//! and along which path.
//!
//! A [`Walker`] owns per-node scratch arrays sized to the graph, allocated once and reused
//! by every walk; a walk writes only the entries of the nodes it reaches and clears only
//! its two bitsets, so a query costs time proportional to what it reaches, not to the
//! graph.
//!
//! Each walk computes two things over the reverse adjacency ([`Csr`](super::csr::Csr)),
//! following only edges whose strength is above zero:
//!
//! * **distance**: the fewest hops from any changed node (a multi-source breadth-first
//!   search);
//! * **strength**: the largest product of edge strengths over any path from a changed node,
//!   with the fewest hops among the strongest paths and a parent pointer to rebuild it.
//!
//! Strength is a max-product path problem. Strengths are in `[0, 1]`, so a path never gets
//! stronger as it grows and the lexicographic key (strength descending, hops ascending) is
//! monotone along edges: a label-setting (Dijkstra-like) search settles each node once.
//! Nearly all edges have strength 1.0, so the search runs level by level: within one
//! strength level it is a breadth-first search over full-strength edges; a weaker edge
//! defers its target to a lower level. Levels are processed strongest first.
//!
//! Complexity: O(V' + E' log L) for V' reached nodes, E' edges among them and L distinct
//! strength levels (a handful in practice).

use std::cmp::Reverse;
use std::collections::BTreeMap;

use fixedbitset::FixedBitSet;

use super::csr::{CLASSES, Csr};
use super::{DependencyGraph, Direction, NodeIx};

/// Marks "no parent" (a changed node).
const NO_PARENT: u32 = u32::MAX;

/// The strength of each edge class under a policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Strengths {
    by_class: [f64; CLASSES],
}

impl Strengths {
    /// Strengths from a function of (kind, optional). Values are clamped to `[0, 1]`.
    pub fn from_fn(f: impl Fn(super::EdgeKind, bool) -> f64) -> Strengths {
        let mut by_class = [0.0; CLASSES];
        for &kind in super::EdgeKind::ALL {
            for optional in [false, true] {
                let c = super::csr::class_of(kind, optional) as usize;
                by_class[c] = f(kind, optional).clamp(0.0, 1.0);
            }
        }
        Strengths { by_class }
    }

    /// The strength of an edge of this kind.
    pub fn of(&self, kind: super::EdgeKind, optional: bool) -> f64 {
        self.by_class[super::csr::class_of(kind, optional) as usize]
    }

    /// The strength of an edge class (kind and optional flag packed by the CSR).
    #[inline(always)]
    pub(crate) fn of_class(&self, c: u8) -> f64 {
        self.by_class[c as usize]
    }
}

/// Per-node result of the breadth-first search.
#[derive(Copy, Clone, Default)]
struct BfsInfo {
    dist: u32,
    parent: u32,
    /// Position in the visit order.
    pos: u32,
}

/// Per-node result of the strongest-path search.
#[derive(Copy, Clone, Default)]
struct BestInfo {
    /// Index into the walk's strength levels.
    level: u32,
    parent: u32,
}

/// Scratch of the breadth-first search (distances).
struct Bfs {
    visited: FixedBitSet,
    info: Vec<BfsInfo>,
    /// Nodes in the order the search reached them (doubles as its queue).
    order: Vec<u32>,
}

/// Scratch of the strongest-path search.
struct Best {
    settled: FixedBitSet,
    info: Vec<BestInfo>,
    /// The distinct strengths, strongest first.
    levels: Vec<f64>,
    /// Nodes in the order they were settled.
    order: Vec<u32>,
}

/// Reusable scratch space for walks over one graph.
///
/// The two searches keep their per-node data in separate arrays, each packed so that one
/// node's fields share a cache line, and run on two threads at once for large graphs.
pub struct Walker {
    bfs: Bfs,
    best: Best,
}

/// Graphs with at least this many nodes run the two searches in parallel.
const PARALLEL_NODES: usize = 1 << 15;

fn clear_bits(bits: &mut FixedBitSet, touched: &[u32]) {
    // Clearing touched bits is cheaper than clearing every word for small walks.
    if touched.len() < bits.len() / 64 {
        for &v in touched {
            bits.set(v as usize, false);
        }
    } else {
        bits.clear();
    }
}

impl Walker {
    /// Scratch space for `graph`.
    pub fn new(graph: &DependencyGraph) -> Walker {
        let n = graph.node_count();
        Walker {
            bfs: Bfs {
                visited: FixedBitSet::with_capacity(n),
                info: vec![BfsInfo::default(); n],
                order: Vec::new(),
            },
            best: Best {
                settled: FixedBitSet::with_capacity(n),
                info: vec![BestInfo::default(); n],
                levels: Vec::new(),
                order: Vec::new(),
            },
        }
    }

    /// Walks the blast radius of `changed` (over edges in reverse), computing distances and
    /// strongest paths. The result borrows this walker until the next walk.
    pub(crate) fn walk<'w>(
        &'w mut self,
        graph: &DependencyGraph,
        strengths: &Strengths,
        changed: &[NodeIx],
    ) -> Walk<'w> {
        assert_eq!(
            self.bfs.visited.len(),
            graph.node_count(),
            "walker of another graph"
        );
        let csr = graph.csr(Direction::Reverse);
        let (bfs, best) = (&mut self.bfs, &mut self.best);
        if graph.node_count() >= PARALLEL_NODES {
            rayon::join(
                || bfs.run(csr, strengths, changed),
                || best.run(csr, strengths, changed),
            );
        } else {
            bfs.run(csr, strengths, changed);
            best.run(csr, strengths, changed);
        }
        Walk { w: self }
    }
}

impl Bfs {
    /// Multi-source breadth-first search.
    fn run(&mut self, csr: &Csr, strengths: &Strengths, changed: &[NodeIx]) {
        let _t = crate::timing::Phase::start("walk: distances");
        clear_bits(&mut self.visited, &self.order);
        self.order.clear();
        for &c in changed {
            let v = c.raw();
            if !self.visited.put(v as usize) {
                self.info[v as usize] = BfsInfo {
                    dist: 0,
                    parent: NO_PARENT,
                    pos: self.order.len() as u32,
                };
                self.order.push(v);
            }
        }
        let targets = csr.targets();
        let classes = csr.classes();
        let mut head = 0;
        while head < self.order.len() {
            let v = self.order[head];
            head += 1;
            let d = self.info[v as usize].dist + 1;
            let (a, b) = csr.bounds(v);
            for (&u, &c) in targets[a..b].iter().zip(&classes[a..b]) {
                if strengths.of_class(c) > 0.0 && !self.visited.put(u as usize) {
                    self.info[u as usize] = BfsInfo {
                        dist: d,
                        parent: v,
                        pos: self.order.len() as u32,
                    };
                    self.order.push(u);
                }
            }
        }
    }
}

impl Best {
    fn settle(&mut self, v: u32, level: u32, parent: u32) {
        self.info[v as usize] = BestInfo { level, parent };
        self.order.push(v);
    }

    /// Strongest paths, fewest hops among equals (see the module docs).
    fn run(&mut self, csr: &Csr, strengths: &Strengths, changed: &[NodeIx]) {
        let _t = crate::timing::Phase::start("walk: strongest");
        clear_bits(&mut self.settled, &self.order);
        self.order.clear();
        self.levels.clear();
        let targets = csr.targets();
        let classes = csr.classes();
        // Deferred candidates per strength level: (node, hops, parent).
        let mut pending: BTreeMap<Reverse<u64>, Vec<(u32, u32, u32)>> = BTreeMap::new();
        pending.insert(
            Reverse(1.0f64.to_bits()),
            changed.iter().map(|c| (c.raw(), 0, NO_PARENT)).collect(),
        );
        let mut layer: Vec<u32> = Vec::new();
        let mut next_layer: Vec<u32> = Vec::new();
        while let Some((Reverse(bits), mut seeds)) = pending.pop_first() {
            let level = f64::from_bits(bits);
            let li = self.levels.len() as u32;
            self.levels.push(level);
            // Stable: equal hops keep their discovery order, so paths are deterministic.
            seeds.sort_by_key(|&(_, h, _)| h);
            layer.clear();
            let mut si = 0;
            let mut h = seeds.first().map_or(0, |s| s.1);
            // Breadth-first, one hop count at a time. A layer's seeds are settled before the
            // layer is expanded, so a seed is never beaten by a longer path through the queue.
            loop {
                while let Some(&(v, sh, p)) = seeds.get(si) {
                    if sh != h {
                        break;
                    }
                    si += 1;
                    if !self.settled.put(v as usize) {
                        self.settle(v, li, p);
                        layer.push(v);
                    }
                }
                if layer.is_empty() {
                    match seeds.get(si) {
                        Some(&(_, sh, _)) => {
                            h = sh;
                            continue;
                        }
                        None => break,
                    }
                }
                for &v in &layer {
                    let (a, b) = csr.bounds(v);
                    for (&u, &c) in targets[a..b].iter().zip(&classes[a..b]) {
                        let s = strengths.of_class(c);
                        if s <= 0.0 || self.settled.contains(u as usize) {
                            continue;
                        }
                        let next = level * s;
                        if s >= 1.0 || next >= level {
                            self.settled.insert(u as usize);
                            self.settle(u, li, v);
                            next_layer.push(u);
                        } else {
                            pending
                                .entry(Reverse(next.to_bits()))
                                .or_default()
                                .push((u, h + 1, v));
                        }
                    }
                }
                std::mem::swap(&mut layer, &mut next_layer);
                next_layer.clear();
                h += 1;
            }
        }
    }
}

/// The result of one walk, borrowed from its [`Walker`].
pub(crate) struct Walk<'w> {
    w: &'w Walker,
}

impl Walk<'_> {
    /// Reached nodes in breadth-first order (changed nodes first).
    pub(crate) fn order(&self) -> &[u32] {
        &self.w.bfs.order
    }
    /// Fewest hops from a changed node.
    #[inline]
    pub(crate) fn distance(&self, v: u32) -> u32 {
        self.w.bfs.info[v as usize].dist
    }
    /// Position of `v` in [`order`](Self::order).
    #[inline]
    pub(crate) fn position(&self, v: u32) -> u32 {
        self.w.bfs.info[v as usize].pos
    }
    /// Strength of the strongest path.
    #[inline]
    pub(crate) fn strength(&self, v: u32) -> f64 {
        self.w.best.levels[self.w.best.info[v as usize].level as usize]
    }
    /// The previous node on the strongest path (`None` for a changed node).
    #[inline]
    pub(crate) fn parent(&self, v: u32) -> Option<u32> {
        let p = self.w.best.info[v as usize].parent;
        (p != NO_PARENT).then_some(p)
    }
    /// Whether `v` was reached.
    #[inline]
    pub(crate) fn reached(&self, v: u32) -> bool {
        self.w.bfs.visited.contains(v as usize)
    }
    /// The strongest path from a changed node to `v`, both ends included.
    pub(crate) fn strongest_path(&self, v: u32) -> Vec<u32> {
        Self::follow(v, |x| self.parent(x))
    }
    /// A shortest path from a changed node to `v`, both ends included.
    pub(crate) fn shortest_path(&self, v: u32) -> Vec<u32> {
        Self::follow(v, |x| {
            let p = self.w.bfs.info[x as usize].parent;
            (p != NO_PARENT).then_some(p)
        })
    }
    fn follow(v: u32, parent: impl Fn(u32) -> Option<u32>) -> Vec<u32> {
        let mut path = vec![v];
        let mut cur = v;
        while let Some(p) = parent(cur) {
            path.push(p);
            cur = p;
        }
        path.reverse();
        path
    }
}
