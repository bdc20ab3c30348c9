//! Whole-graph reachability: what every node's blast radius holds, without one walk per
//! node.
//!
//! All nodes of a strongly connected group reach each other, so they share one blast radius.
//! [`Condensation`] collapses each group (over propagating edges) into one component, which
//! leaves a DAG; petgraph's Tarjan finds the groups in reverse topological order. In that
//! order a component's blast radius is its own nodes plus the blast radii of the components
//! that depend on it, so one pass over the components, dependents first, pushes each
//! component's set into the components it depends on:
//!
//! * [`Condensation::count_targets`] propagates bitsets of *target* nodes (customer-facing,
//!   tier 0, or every node) in chunks of a few machine words, in parallel over chunks with
//!   rayon: exact counts in O(E · T / 64) for T targets;
//! * [`Condensation::sketch_sizes`] propagates k minimum random ranks per component (Cohen's
//!   k-mins reachability sketch, with exponentially distributed ranks) to estimate every
//!   blast radius's size in O(E · k), unbiased with a relative standard error of 1/√(k − 2)
//!   at every size.
//!
//! The pass order and the sums do not depend on the thread count, so the results are
//! deterministic.

use fixedbitset::FixedBitSet;
use petgraph::visit::{GraphBase, IntoNeighbors, IntoNodeIdentifiers, NodeIndexable, Visitable};
use rayon::prelude::*;

use super::csr::Csr;
use super::reach::Strengths;
use super::{DependencyGraph, Direction};

/// The forward adjacency restricted to propagating edges, as a petgraph graph (node ids are
/// `u32` indices), so petgraph's algorithms run on the compact CSR directly.
#[derive(Copy, Clone)]
pub(crate) struct PropagatingView<'a> {
    csr: &'a Csr,
    strengths: &'a Strengths,
    n: usize,
}

impl<'a> PropagatingView<'a> {
    pub(crate) fn new(
        graph: &'a DependencyGraph,
        strengths: &'a Strengths,
        dir: Direction,
    ) -> Self {
        PropagatingView {
            csr: graph.csr(dir),
            strengths,
            n: graph.node_count(),
        }
    }
}

impl GraphBase for PropagatingView<'_> {
    type NodeId = u32;
    type EdgeId = (u32, u32);
}

impl petgraph::visit::GraphRef for PropagatingView<'_> {}

/// Neighbours over propagating edges.
pub(crate) struct Neighbors<'a> {
    targets: std::slice::Iter<'a, u32>,
    classes: std::slice::Iter<'a, u8>,
    strengths: &'a Strengths,
    last: u32,
}

impl Iterator for Neighbors<'_> {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        loop {
            let t = *self.targets.next()?;
            let c = *self.classes.next()?;
            if t != self.last && self.strengths.of_class(c) > 0.0 {
                self.last = t;
                return Some(t);
            }
        }
    }
}

impl<'a> IntoNeighbors for PropagatingView<'a> {
    type Neighbors = Neighbors<'a>;
    fn neighbors(self, v: u32) -> Neighbors<'a> {
        let (a, b) = self.csr.bounds(v);
        Neighbors {
            targets: self.csr.targets()[a..b].iter(),
            classes: self.csr.classes()[a..b].iter(),
            strengths: self.strengths,
            last: u32::MAX,
        }
    }
}

impl IntoNodeIdentifiers for PropagatingView<'_> {
    type NodeIdentifiers = std::ops::Range<u32>;
    fn node_identifiers(self) -> Self::NodeIdentifiers {
        0..self.n as u32
    }
}

impl NodeIndexable for PropagatingView<'_> {
    fn node_bound(&self) -> usize {
        self.n
    }
    fn to_index(&self, a: u32) -> usize {
        a as usize
    }
    fn from_index(&self, i: usize) -> u32 {
        i as u32
    }
}

impl Visitable for PropagatingView<'_> {
    type Map = FixedBitSet;
    fn visit_map(&self) -> FixedBitSet {
        FixedBitSet::with_capacity(self.n)
    }
    fn reset_map(&self, map: &mut FixedBitSet) {
        map.clear();
        map.grow(self.n);
    }
}

/// The strongly connected groups of the graph (over propagating edges) and the DAG between
/// them.
pub(crate) struct Condensation {
    /// Component of each node.
    comp: Vec<u32>,
    /// Nodes of each component: `members[member_start[c]..member_start[c + 1]]`.
    member_start: Vec<u32>,
    members: Vec<u32>,
    /// Components each component depends on (each lower-numbered), deduplicated.
    dep_start: Vec<u32>,
    deps: Vec<u32>,
}

/// Words of target bits propagated per pass.
const CHUNK_WORDS: usize = 8;

impl Condensation {
    /// Condenses `graph` over the edges `strengths` lets propagate.
    ///
    /// Components are numbered in the order Tarjan's algorithm completes them: a component
    /// is numbered after every component it depends on, so descending numbers visit
    /// dependents before dependencies.
    pub(crate) fn new(graph: &DependencyGraph, strengths: &Strengths) -> Condensation {
        let _t = crate::timing::Phase::start("condense");
        let n = graph.node_count();
        let view = PropagatingView::new(graph, strengths, Direction::Forward);
        let mut comp = vec![u32::MAX; n];
        let mut member_start = vec![0u32];
        let mut members = Vec::with_capacity(n);
        let mut tarjan = petgraph::algo::TarjanScc::new();
        tarjan.run(view, |scc| {
            let c = (member_start.len() - 1) as u32;
            for &v in scc {
                comp[v as usize] = c;
                members.push(v);
            }
            member_start.push(members.len() as u32);
        });
        // Dependency edges between components.
        let ncomp = member_start.len() - 1;
        let mut dep_start = Vec::with_capacity(ncomp + 1);
        let mut deps = Vec::new();
        dep_start.push(0u32);
        let mut seen: Vec<u32> = vec![u32::MAX; ncomp];
        for c in 0..ncomp {
            for &v in &members[member_start[c] as usize..member_start[c + 1] as usize] {
                for u in view.neighbors(v) {
                    let d = comp[u as usize];
                    if d as usize != c && seen[d as usize] != c as u32 {
                        seen[d as usize] = c as u32;
                        deps.push(d);
                    }
                }
            }
            dep_start.push(deps.len() as u32);
        }
        Condensation {
            comp,
            member_start,
            members,
            dep_start,
            deps,
        }
    }

    /// Number of components.
    pub(crate) fn len(&self) -> usize {
        self.member_start.len() - 1
    }

    /// Number of dependency edges between components.
    pub(crate) fn edge_count(&self) -> usize {
        self.deps.len()
    }

    /// The component of node `v`.
    #[inline]
    pub(crate) fn component(&self, v: u32) -> u32 {
        self.comp[v as usize]
    }

    /// The nodes of component `c`.
    pub(crate) fn members(&self, c: u32) -> &[u32] {
        &self.members
            [self.member_start[c as usize] as usize..self.member_start[c as usize + 1] as usize]
    }

    #[inline]
    fn deps(&self, c: usize) -> &[u32] {
        &self.deps[self.dep_start[c] as usize..self.dep_start[c + 1] as usize]
    }

    /// For every component, the nodes of it and of the components that depend on it
    /// directly (disjoint, so their sum is exact), and whether that is its whole blast
    /// radius: when none of those dependents has dependents of its own.
    pub(crate) fn near_sizes(&self) -> Vec<(u64, bool)> {
        let ncomp = self.len();
        let size = |c: usize| u64::from(self.member_start[c + 1] - self.member_start[c]);
        let mut near: Vec<(u64, bool)> = (0..ncomp).map(|c| (size(c), true)).collect();
        let mut depended_on = vec![false; ncomp];
        for &d in &self.deps {
            depended_on[d as usize] = true;
        }
        for (c, &has_dependents) in depended_on.iter().enumerate() {
            for &d in self.deps(c) {
                let n = &mut near[d as usize];
                n.0 += size(c);
                n.1 &= !has_dependents;
            }
        }
        near
    }

    /// For every component, how many nodes of each target class its blast radius holds.
    ///
    /// `targets` lists target nodes with a class bitmask (bit `k` set: counts for class `k`,
    /// `K` classes). Returns `counts[c * K + k]`.
    pub(crate) fn count_targets<const K: usize>(&self, targets: &[(u32, u8)]) -> Vec<u32> {
        let _t = crate::timing::Phase::start("count targets");
        let ncomp = self.len();
        let words = targets.len().div_ceil(64);
        let chunks: Vec<usize> = (0..words.div_ceil(CHUNK_WORDS)).collect();
        let zero = || vec![0u32; ncomp * K];
        chunks
            .par_iter()
            .fold(
                || (vec![0u64; ncomp * CHUNK_WORDS], zero()),
                |(mut bits, mut counts), &chunk| {
                    bits.iter_mut().for_each(|w| *w = 0);
                    let first = chunk * CHUNK_WORDS * 64;
                    let last = (first + CHUNK_WORDS * 64).min(targets.len());
                    let mut masks = [[0u64; CHUNK_WORDS]; K];
                    for (t, &(v, class)) in targets[first..last].iter().enumerate() {
                        let c = self.comp[v as usize] as usize;
                        bits[c * CHUNK_WORDS + t / 64] |= 1 << (t % 64);
                        for (k, mask) in masks.iter_mut().enumerate() {
                            if class & (1 << k) != 0 {
                                mask[t / 64] |= 1 << (t % 64);
                            }
                        }
                    }
                    for c in (0..ncomp).rev() {
                        let mine: [u64; CHUNK_WORDS] = bits[c * CHUNK_WORDS..(c + 1) * CHUNK_WORDS]
                            .try_into()
                            .expect("chunk");
                        for &d in self.deps(c) {
                            let row =
                                &mut bits[d as usize * CHUNK_WORDS..(d as usize + 1) * CHUNK_WORDS];
                            for (w, m) in row.iter_mut().zip(&mine) {
                                *w |= m;
                            }
                        }
                        for (k, mask) in masks.iter().enumerate() {
                            let n: u32 = mine
                                .iter()
                                .zip(mask)
                                .map(|(b, m)| (b & m).count_ones())
                                .sum();
                            counts[c * K + k] += n;
                        }
                    }
                    (bits, counts)
                },
            )
            .map(|(_, counts)| counts)
            .reduce(zero, |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            })
    }

    /// Estimates every component's blast radius size with `k` independent minimum ranks
    /// (k-mins sketch). Returns one estimate per component.
    pub(crate) fn sketch_sizes(&self, k: usize, seed: u64) -> Vec<f64> {
        let _t = crate::timing::Phase::start("sketch sizes");
        // Sixteen permutations per pass: a component's minima fill one 64-byte cache line,
        // and the graph is walked k / 16 times.
        const BATCH: usize = 16;
        let ncomp = self.len();
        // Each pass's sums are kept apart and added in pass order, so the estimates do not
        // depend on how the passes were shared among threads.
        let per_batch: Vec<Vec<f64>> = (0..k.div_ceil(BATCH))
            .into_par_iter()
            .map_init(
                || vec![u32::MAX; ncomp * BATCH],
                |mins, b| {
                    mins.iter_mut().for_each(|m| *m = u32::MAX);
                    let mut sums = vec![0f64; ncomp];
                    let perms = (k - b * BATCH).min(BATCH);
                    for c in 0..ncomp {
                        for &v in self.members(c as u32) {
                            for j in 0..perms {
                                let r = rank(v, seed, (b * BATCH + j) as u64);
                                let m = &mut mins[c * BATCH + j];
                                *m = (*m).min(r);
                            }
                        }
                    }
                    for c in (0..ncomp).rev() {
                        let mine: [u32; BATCH] =
                            mins[c * BATCH..(c + 1) * BATCH].try_into().expect("batch");
                        for &d in self.deps(c) {
                            let row = &mut mins[d as usize * BATCH..(d as usize + 1) * BATCH];
                            for (x, m) in row.iter_mut().zip(&mine) {
                                *x = (*x).min(*m);
                            }
                        }
                        // A minimum of uniform ranks maps to the minimum of exponential
                        // ones (`-ln(1 - u)` is increasing), and the minimum of s unit
                        // exponentials is exponential with rate s, so the estimator is
                        // unbiased at every size, small sets included.
                        sums[c] = mine[..perms]
                            .iter()
                            .map(|&m| -(-(m as f64 + 0.5) / 4_294_967_296.0).ln_1p())
                            .sum::<f64>();
                    }
                    sums
                },
            )
            .collect();
        let mut sums = vec![0f64; ncomp];
        for batch in per_batch {
            sums.iter_mut().zip(batch).for_each(|(x, y)| *x += y);
        }
        sums.into_iter().map(|s| (k as f64 - 1.0) / s).collect()
    }
}

/// A random rank in `0..2^32` for node `v` under permutation `j` (splitmix64).
#[inline]
fn rank(v: u32, seed: u64, j: u64) -> u32 {
    let mut z = (v as u64)
        .wrapping_add(seed)
        .wrapping_add(j.wrapping_mul(0x9E37_79B9_7F4A_7C15) << 1)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u32
}
