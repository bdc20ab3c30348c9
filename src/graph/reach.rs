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
use rayon::prelude::*;

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
    /// Nodes in the order the search reached them.
    order: Vec<u32>,
    step: Stepper,
}

/// Scratch of the strongest-path search.
struct Best {
    settled: FixedBitSet,
    info: Vec<BestInfo>,
    /// The distinct strengths, strongest first.
    levels: Vec<f64>,
    /// Nodes in the order they were settled.
    order: Vec<u32>,
    step: Stepper,
}

/// Reusable scratch space for walks over one graph.
///
/// The two searches keep their per-node data in separate arrays, each packed so that one
/// node's fields share a cache line, and run on two threads at once for large graphs.
/// Each search advances one hop at a time: a small layer is expanded *top-down* (each of
/// its nodes offers itself to its dependents), a large one *bottom-up* (every node not yet
/// reached looks at its own dependencies for one in the layer, scanning the graph in index
/// order, in parallel, with memory access the hardware can predict). Both ways pick the
/// same nodes; which parent a node records is fixed by the layer sizes alone, so results
/// never depend on the thread count.
pub struct Walker {
    bfs: Bfs,
    best: Best,
    /// Test hook: always expand bottom-up (`Some(true)`) or top-down (`Some(false)`).
    force: Option<bool>,
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

/// The adjacency both ways and the edge strengths, for one walk.
#[derive(Copy, Clone)]
struct Graphs<'a> {
    rev: &'a Csr,
    fwd: Option<&'a Csr>,
    strengths: &'a Strengths,
}

/// Scratch for one hop: the layer as a bitset (bottom-up) and per-chunk outputs.
struct Stepper {
    layer_bits: FixedBitSet,
    /// Newly reached `(node, parent)`, in a deterministic order.
    next: Vec<(u32, u32)>,
    /// `(node, parent, class)` for in-layer edges too weak to follow now.
    weak: Vec<(u32, u32, u8)>,
}

/// What one chunk of a bottom-up step found: reached `(node, parent)` and weak offers.
type ChunkFound = (Vec<(u32, u32)>, Vec<(u32, u32, u8)>);

/// Nodes per parallel chunk of a bottom-up step (a multiple of the word size: chunks own
/// whole words of the bitset).
const CHUNK_NODES: usize = 1 << 14;

impl Stepper {
    fn new(n: usize) -> Stepper {
        Stepper {
            layer_bits: FixedBitSet::with_capacity(n),
            next: Vec::new(),
            weak: Vec::new(),
        }
    }

    /// Whether a layer of this size is expanded bottom-up.
    fn bottom_up(force: Option<bool>, layer: usize, n: usize, fwd: bool) -> bool {
        fwd && force.unwrap_or(layer >= (n / 64).max(4096))
    }

    /// One hop from `layer` over edges whose strength is above zero and at least `full`
    /// (and, when `collect_weak`, noting edges above zero but weaker than `full`). Newly
    /// reached nodes are marked in `seen` and listed in `self.next`.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        g: Graphs<'_>,
        layer: &[u32],
        seen: &mut FixedBitSet,
        full: f64,
        collect_weak: bool,
        force: Option<bool>,
    ) {
        self.next.clear();
        self.weak.clear();
        let n = seen.len();
        let strengths = g.strengths;
        match g.fwd {
            Some(fwd) if Self::bottom_up(force, layer.len(), n, true) => {
                for &u in layer {
                    self.layer_bits.insert(u as usize);
                }
                let layer_bits = &self.layer_bits;
                const BITS: usize = usize::BITS as usize;
                let blocks_per_chunk = CHUNK_NODES / BITS;
                let parts: Vec<ChunkFound> = seen
                    .as_mut_slice()
                    .par_chunks_mut(blocks_per_chunk)
                    .enumerate()
                    .map(|(ci, blocks)| {
                        let mut next = Vec::new();
                        let mut weak = Vec::new();
                        let base = ci * CHUNK_NODES;
                        for (bi, block) in blocks.iter_mut().enumerate() {
                            let mut free = !*block;
                            while free != 0 {
                                let bit = free.trailing_zeros() as usize;
                                free &= free - 1;
                                let v = base + bi * BITS + bit;
                                if v >= n {
                                    break;
                                }
                                let (a, b) = fwd.bounds(v as u32);
                                let targets = &fwd.targets()[a..b];
                                let classes = &fwd.classes()[a..b];
                                let mut parent = None;
                                let first_weak = weak.len();
                                for (&u, &c) in targets.iter().zip(classes) {
                                    if !layer_bits.contains(u as usize) {
                                        continue;
                                    }
                                    let s = strengths.of_class(c);
                                    if s <= 0.0 {
                                        continue;
                                    }
                                    if s >= full {
                                        parent = Some(u);
                                        break;
                                    }
                                    if collect_weak {
                                        weak.push((v as u32, u, c));
                                    }
                                }
                                if let Some(u) = parent {
                                    // Reached at full strength: weaker offers do not matter.
                                    weak.truncate(first_weak);
                                    *block |= 1 << bit;
                                    next.push((v as u32, u));
                                }
                            }
                        }
                        (next, weak)
                    })
                    .collect();
                for (next, weak) in parts {
                    self.next.extend(next);
                    self.weak.extend(weak);
                }
                clear_bits(&mut self.layer_bits, layer);
            }
            _ => {
                let (targets, classes) = (g.rev.targets(), g.rev.classes());
                for &u in layer {
                    let (a, b) = g.rev.bounds(u);
                    for (&v, &c) in targets[a..b].iter().zip(&classes[a..b]) {
                        let s = strengths.of_class(c);
                        if s <= 0.0 {
                            continue;
                        }
                        if s >= full {
                            if !seen.put(v as usize) {
                                self.next.push((v, u));
                            }
                        } else if collect_weak && !seen.contains(v as usize) {
                            self.weak.push((v, u, c));
                        }
                    }
                }
            }
        }
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
                step: Stepper::new(n),
            },
            best: Best {
                settled: FixedBitSet::with_capacity(n),
                info: vec![BestInfo::default(); n],
                levels: Vec::new(),
                order: Vec::new(),
                step: Stepper::new(n),
            },
            force: None,
        }
    }

    /// Always expand layers bottom-up (`Some(true)`) or top-down (`Some(false)`); for tests.
    #[doc(hidden)]
    pub fn force_direction(&mut self, bottom_up: Option<bool>) {
        self.force = bottom_up;
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
        let n = graph.node_count();
        // Bottom-up steps need the forward adjacency; only large graphs use them.
        let wants_fwd =
            self.force != Some(false) && (self.force == Some(true) || n >= PARALLEL_NODES);
        let g = Graphs {
            rev: graph.csr(Direction::Reverse),
            fwd: wants_fwd.then(|| graph.csr(Direction::Forward)),
            strengths,
        };
        let force = self.force;
        let (bfs, best) = (&mut self.bfs, &mut self.best);
        if n >= PARALLEL_NODES {
            rayon::join(
                || bfs.run(g, changed, force),
                || best.run(g, changed, force),
            );
        } else {
            bfs.run(g, changed, force);
            best.run(g, changed, force);
        }
        Walk { w: self }
    }
}

impl Bfs {
    /// Multi-source breadth-first search, one layer at a time.
    fn run(&mut self, g: Graphs<'_>, changed: &[NodeIx], force: Option<bool>) {
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
        let mut start = 0;
        let mut d = 0;
        while start < self.order.len() {
            let end = self.order.len();
            d += 1;
            // `order[start..end]` is the current layer; the step appends the next one.
            let layer = std::mem::take(&mut self.order);
            self.step
                .step(g, &layer[start..end], &mut self.visited, 0.0, false, force);
            self.order = layer;
            for &(v, parent) in &self.step.next {
                self.info[v as usize] = BfsInfo {
                    dist: d,
                    parent,
                    pos: self.order.len() as u32,
                };
                self.order.push(v);
            }
            start = end;
        }
    }
}

impl Best {
    fn settle(&mut self, v: u32, level: u32, parent: u32) {
        self.info[v as usize] = BestInfo { level, parent };
        self.order.push(v);
    }

    /// Strongest paths, fewest hops among equals (see the module docs).
    fn run(&mut self, g: Graphs<'_>, changed: &[NodeIx], force: Option<bool>) {
        let _t = crate::timing::Phase::start("walk: strongest");
        clear_bits(&mut self.settled, &self.order);
        self.order.clear();
        self.levels.clear();
        // Deferred candidates per strength level: (node, hops, parent).
        let mut pending: BTreeMap<Reverse<u64>, Vec<(u32, u32, u32)>> = BTreeMap::new();
        pending.insert(
            Reverse(1.0f64.to_bits()),
            changed.iter().map(|c| (c.raw(), 0, NO_PARENT)).collect(),
        );
        let mut layer: Vec<u32> = Vec::new();
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
                // Edges at full strength keep the level; weaker ones defer their node to a
                // lower level (an edge whose product rounds back to `level` counts as full).
                self.step
                    .step(g, &layer, &mut self.settled, 1.0, true, force);
                layer.clear();
                for i in 0..self.step.next.len() {
                    let (v, parent) = self.step.next[i];
                    self.settle(v, li, parent);
                    layer.push(v);
                }
                for &(v, parent, c) in &self.step.weak {
                    let next = level * g.strengths.of_class(c);
                    if next >= level {
                        // Rounds back to this level: treat as full strength.
                        if !self.settled.put(v as usize) {
                            self.info[v as usize] = BestInfo { level: li, parent };
                            self.order.push(v);
                            layer.push(v);
                        }
                    } else {
                        pending.entry(Reverse(next.to_bits())).or_default().push((
                            v,
                            h + 1,
                            parent,
                        ));
                    }
                }
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
