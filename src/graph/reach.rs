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
use super::strings::prefetch;
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

/// Records whose bytes, all zero, are a valid value: their default.
///
/// # Safety
/// All-zero bytes must be a valid value of the type (integers only: no reference, no
/// `NonZero`, no enum), and that value must be what `Default` gives.
unsafe trait Zeroed: Default + Clone {}

/// `n` default records, allocated zeroed. A walker's per-node records are 20 MB on a
/// million-node graph: filled with defaults up front, one thread wrote them all before the
/// first walk (3.5 ms in a warm process, 57 ms on a host slow to back fresh pages). Zeroed
/// memory fresh from the kernel is not written at all (the allocator clears only memory it
/// reuses), so the walk's own writes back its pages, on every core that reaches nodes, and
/// a small walk backs only its own nodes' pages.
fn zeroed<T: Zeroed>(n: usize) -> Vec<T> {
    let Ok(layout) = std::alloc::Layout::array::<T>(n) else {
        return vec![T::default(); n];
    };
    if layout.size() == 0 {
        return vec![T::default(); n];
    }
    // SAFETY: the layout has a non-zero size; the memory is zeroed, which is `n` valid
    // default records (`Zeroed`), allocated by the global allocator with the layout of
    // `n` of them, so the `Vec` owns it as if it had allocated it.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout).cast::<T>();
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Vec::from_raw_parts(p, n, n)
    }
}

/// Per-node result of the breadth-first search.
#[derive(Copy, Clone, Default)]
struct BfsInfo {
    dist: u32,
    parent: u32,
}

/// Per-node result of the strongest-path search.
#[derive(Copy, Clone, Default)]
struct BestInfo {
    /// Index into the walk's strength levels.
    level: u32,
    parent: u32,
    /// Hops along the strongest path.
    hops: u32,
}

// SAFETY: two `u32`s, zero by default.
unsafe impl Zeroed for BfsInfo {}
// SAFETY: three `u32`s, zero by default.
unsafe impl Zeroed for BestInfo {}

/// Scratch of the breadth-first search (distances).
struct Bfs {
    visited: FixedBitSet,
    info: Vec<BfsInfo>,
    /// Nodes in the order the search reached them.
    order: Vec<u32>,
    step: Stepper,
    /// `order[start..]` is the layer to expand next, at distance `d`.
    start: usize,
    d: u32,
    /// Scratch of [`step_both`]: both searches' layers, two bits per node.
    pair: Vec<u64>,
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
    /// Whether the last search met no edge weaker than full strength (but above zero) from
    /// a layer to a node not yet settled. Then it was exactly a breadth-first search.
    plain: bool,
}

/// Reusable scratch space for walks over one graph.
///
/// The two searches keep their per-node data in separate arrays, each packed so that one
/// node's fields share a cache line. On small graphs the strongest-path search runs first;
/// when it met no weak edge on its way (the common case: nearly all edges are at full
/// strength), it made exactly the choices the breadth-first search would make — same
/// layers, same parents — and its result serves as the distances too, so the second search
/// is skipped. On large graphs the breadth-first search advances in lockstep with the
/// strongest-path search's first level: when both expand a hop bottom-up they share one
/// scan of the adjacency, and when both expand the same layer top-down (the first hop
/// always) they share one pass over its dependents; each still picks exactly the parents it
/// would pick alone.
/// Each search advances one hop at a time: a small layer is expanded *top-down* (each of
/// its nodes offers itself to its dependents), a large one *bottom-up* (every node not yet
/// reached looks at its own dependencies for one in the layer, scanning the graph in index
/// order, in parallel, with memory access the hardware can predict). Both ways pick the
/// same nodes; which parent a node records is fixed by the layer sizes alone, so results
/// never depend on the thread count.
pub struct Walker {
    bfs: Bfs,
    best: Best,
    /// The last walk's distances are the strongest-path search's hops (see above).
    fused: bool,
    /// Whether walks may fuse the two searches (tests turn it off to compare).
    fuse: bool,
    /// Whether large graphs run the two searches in lockstep (tests turn it off to compare).
    lockstep: bool,
    /// Test hook: always expand bottom-up (`Some(true)`) or top-down (`Some(false)`).
    force: Option<bool>,
    /// Test hook: always (`Some(true)`) or never (`Some(false)`) narrow a bottom-up hop to
    /// the layer's dependents ([`Marks`]).
    narrow: Option<bool>,
    /// Graphs with at least this many nodes may expand bottom-up and run the two searches
    /// in lockstep ([`PARALLEL_NODES`]; tests lower it to try small graphs).
    large: usize,
}

/// Graphs with at least this many nodes expand large layers bottom-up, in parallel.
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
    /// The walker's [`narrow`](Walker::narrow) test hook.
    narrow: Option<bool>,
}

/// Whether the edges from `layers` to their dependents, times `factor`, outnumber the edges
/// of the `unreached` nodes (their count times the mean number of dependencies): what a
/// top-down hop would follow against what a bottom-up hop would scan. The dependents are
/// summed only until they pass the bar: a large layer usually passes it within its first
/// few thousand nodes. Reads sizes only, so the choices made with it are deterministic.
fn outweighs(rev: &Csr, fwd: &Csr, layers: [&[u32]; 2], unreached: usize, factor: u64) -> bool {
    let n = fwd.node_count().max(1) as u64;
    let up = unreached as u64 * fwd.targets().len() as u64 / n;
    let mut down = 0u64;
    layers.iter().flat_map(|l| l.iter()).any(|&u| {
        let (a, b) = rev.bounds(u);
        down += (b - a) as u64;
        down * factor > up
    })
}

/// A bottom-up hop is narrowed to the layer's dependents when the layer's edges to its
/// dependents are at most `1 / NARROW` of the edges of the nodes not reached yet (what a
/// full bottom-up scan would look at).
const NARROW: u64 = 3;

/// Layer nodes per marking part, at least (no more parts than threads either).
const MARK_PART_NODES: usize = 4096;

/// The dependents of a layer, as bitset words over all nodes: a bottom-up hop from a layer
/// with few dependents looks only at those nodes instead of every node not reached. The
/// heaviest 1M query's first bottom-up hop, from 67k nodes with 758k edges to their
/// dependents (against 5.49M edges of the 933k nodes not reached), scans the 436k of those
/// dependents not reached yet: 1.86M edges instead of 3.89M.
///
/// The two adjacency directions are exact transposes (built and deduplicated the same way;
/// a cached graph stores both under its checksum), so a node that no layer node lists as a
/// dependent has no dependency in the layer: a full scan would have found no parent and no
/// weak offer there either, and the hop picks the same nodes, parents and offers.
///
/// Each part (at least [`MARK_PART_NODES`] layer nodes, at most one per thread) marks its
/// nodes' dependents in words of its own; the words are then merged with an OR, so the set
/// is the same for any split. The parts' words stay allocated for the next hop: `n / 8`
/// bytes each (125 KB at 1M nodes).
#[derive(Default)]
struct Marks {
    parts: Vec<Vec<usize>>,
}

impl Marks {
    /// Whether a bottom-up hop from `layers` (one or two layers: both searches' in
    /// lockstep) with `unreached` nodes left should scan only the layers' dependents:
    /// when the layers' edges to their dependents are at most `1 / NARROW` of the edges
    /// of the unreached nodes.
    fn narrow(g: Graphs<'_>, layers: [&[u32]; 2], unreached: usize) -> bool {
        if let Some(f) = g.narrow {
            return f;
        }
        g.fwd
            .is_some_and(|fwd| !outweighs(g.rev, fwd, layers, unreached, NARROW))
    }

    /// Marks every dependent (over any edge) of the nodes in `layers`; returns bitset words
    /// over `n` nodes.
    fn mark(&mut self, rev: &Csr, layers: [&[u32]; 2], n: usize) -> &[usize] {
        const BITS: usize = usize::BITS as usize;
        let words = n.div_ceil(BITS);
        let total = layers[0].len() + layers[1].len();
        let threads = rayon::current_num_threads().clamp(1, total.div_ceil(MARK_PART_NODES).max(1));
        let per = total.div_ceil(threads).max(1);
        if self.parts.len() < threads {
            self.parts.resize_with(threads, Vec::new);
        }
        let (offsets, targets, _) = rev.parts();
        self.parts[..threads]
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, bits)| {
                bits.clear();
                bits.resize(words, 0);
                let at = |j: usize| match j.checked_sub(layers[0].len()) {
                    None => Some(layers[0][j]),
                    Some(k) => layers[1].get(k).copied(),
                };
                let (lo, hi) = (i * per, ((i + 1) * per).min(total));
                for j in lo..hi {
                    let u = at(j).expect("in the layers");
                    if let Some(ahead) = at(j + 32) {
                        prefetch(offsets.as_ptr().wrapping_add(ahead as usize));
                    }
                    if let Some(ahead) = at(j + 16) {
                        prefetch(
                            targets
                                .as_ptr()
                                .wrapping_add(offsets[ahead as usize] as usize),
                        );
                    }
                    let (a, b) = (
                        offsets[u as usize] as usize,
                        offsets[u as usize + 1] as usize,
                    );
                    for &v in &targets[a..b] {
                        bits[v as usize / BITS] |= 1 << (v as usize % BITS);
                    }
                }
            });
        let (first, rest) = self.parts[..threads]
            .split_first_mut()
            .expect("at least one part");
        for other in rest.iter() {
            for (w, &o) in first.iter_mut().zip(other) {
                *w |= o;
            }
        }
        first
    }
}

/// Scratch for one hop: the layer as a bitset (bottom-up) and per-chunk outputs.
struct Stepper {
    layer_bits: FixedBitSet,
    /// Newly reached nodes, in a deterministic order.
    next: Vec<u32>,
    /// `(node, parent, class)` for in-layer edges too weak to follow now.
    weak: Vec<(u32, u32, u8)>,
    /// Whether any step since the last reset met a weak edge to a node not yet reached
    /// (whether or not the node was then reached at full strength in the same step).
    met_weak: bool,
    /// The layer's dependents, for a narrowed bottom-up hop.
    marks: Marks,
}

/// What one chunk of a bottom-up step found: reached nodes, weak offers, and whether it met
/// a weak edge.
type ChunkFound = (Vec<u32>, Vec<(u32, u32, u8)>, bool);

/// Relative difference under which two strengths are equal: products of the same edge
/// strengths in another order differ in their last bits, and 0.7 × 0.7 is 0.48999999999999994.
pub(crate) const STRENGTH_TIE: f64 = 1e-9;

/// Nodes per parallel chunk of a bottom-up step (a multiple of the word size: chunks own
/// whole words of the bitset).
const CHUNK_NODES: usize = 1 << 14;

impl Stepper {
    fn new(n: usize) -> Stepper {
        Stepper {
            layer_bits: FixedBitSet::with_capacity(n),
            next: Vec::new(),
            weak: Vec::new(),
            met_weak: false,
            marks: Marks::default(),
        }
    }

    /// Whether to expand `layer` bottom-up: when the edges a top-down step would follow
    /// (the layer's dependents) outnumber a fourteenth of the edges a bottom-up step would
    /// scan (those of the nodes not reached yet) — Beamer's rule — and the layer is not
    /// tiny. The rule reads only sizes, so the choice is deterministic.
    fn bottom_up(force: Option<bool>, g: Graphs<'_>, layer: &[u32], reached: usize) -> bool {
        let Some(fwd) = g.fwd else {
            return false;
        };
        if let Some(f) = force {
            return f;
        }
        layer.len() >= 4096
            && outweighs(
                g.rev,
                fwd,
                [layer, &[]],
                fwd.node_count().saturating_sub(reached),
                14,
            )
    }

    /// One hop from `layer` over edges whose strength is above zero and at least `full`
    /// (and, when `collect_weak`, noting edges above zero but weaker than `full`). Newly
    /// reached nodes are marked in `seen`, get `info[v] = mk(parent)` and are listed in
    /// `self.next`.
    #[allow(clippy::too_many_arguments)]
    fn step<T: Send>(
        &mut self,
        g: Graphs<'_>,
        layer: &[u32],
        seen: &mut FixedBitSet,
        reached: usize,
        full: f64,
        collect_weak: bool,
        force: Option<bool>,
        info: &mut [T],
        mk: impl Fn(u32) -> T + Sync,
    ) {
        self.next.clear();
        self.weak.clear();
        let n = seen.len();
        let follow = follow_codes(g.strengths, full);
        match g.fwd {
            Some(fwd) if Self::bottom_up(force, g, layer, reached) => {
                for &u in layer {
                    self.layer_bits.insert(u as usize);
                }
                let layer_words = self.layer_bits.as_slice();
                let marks = Marks::narrow(g, [layer, &[]], n.saturating_sub(reached))
                    .then(|| self.marks.mark(g.rev, [layer, &[]], n));
                const BITS: usize = usize::BITS as usize;
                let blocks_per_chunk = CHUNK_NODES / BITS;
                let (offsets, targets, classes) = fwd.parts();
                let parts: Vec<ChunkFound> = seen
                    .as_mut_slice()
                    .par_chunks_mut(blocks_per_chunk)
                    .zip(info.par_chunks_mut(CHUNK_NODES))
                    .enumerate()
                    .map(|(ci, (blocks, info))| {
                        let mut next = Vec::new();
                        let mut weak = Vec::new();
                        let mut met_weak = false;
                        let base = ci * CHUNK_NODES;
                        for (bi, block) in blocks.iter_mut().enumerate() {
                            let mut free = !*block;
                            if let Some(marks) = marks {
                                free &= marks[base / BITS + bi];
                            }
                            while free != 0 {
                                let bit = free.trailing_zeros() as usize;
                                free &= free - 1;
                                let v = base + bi * BITS + bit;
                                if v >= n {
                                    break;
                                }
                                let (a, b) = (offsets[v] as usize, offsets[v + 1] as usize);
                                let mut parent = None;
                                let first_weak = weak.len();
                                for (&u, &c) in targets[a..b].iter().zip(&classes[a..b]) {
                                    let u = u as usize;
                                    if (layer_words[u / BITS] >> (u % BITS)) & 1 == 0 {
                                        continue;
                                    }
                                    match follow[c as usize & (CLASSES - 1)] {
                                        0 => {}
                                        1 => {
                                            met_weak = true;
                                            if collect_weak {
                                                weak.push((v as u32, u as u32, c));
                                            }
                                        }
                                        _ => {
                                            parent = Some(u as u32);
                                            break;
                                        }
                                    }
                                }
                                if let Some(u) = parent {
                                    // Reached at full strength: weaker offers do not matter.
                                    weak.truncate(first_weak);
                                    *block |= 1 << bit;
                                    info[v - base] = mk(u);
                                    next.push(v as u32);
                                }
                            }
                        }
                        (next, weak, met_weak)
                    })
                    .collect();
                for (next, weak, met_weak) in parts {
                    self.next.extend(next);
                    self.weak.extend(weak);
                    self.met_weak |= met_weak;
                }
                clear_bits(&mut self.layer_bits, layer);
            }
            _ => {
                // Small graphs' records stay in cache: only large ones ask for them ahead.
                let records = info.as_ptr();
                let ask = (n >= PARALLEL_NODES)
                    .then_some(|v: u32| prefetch(records.wrapping_add(v as usize)));
                each_dependent(g.rev, layer, ask, |u, v, c| {
                    match follow[c as usize & (CLASSES - 1)] {
                        0 => {}
                        1 => {
                            if !seen.contains(v as usize) {
                                self.met_weak = true;
                                if collect_weak {
                                    self.weak.push((v, u, c));
                                }
                            }
                        }
                        _ => {
                            if !seen.put(v as usize) {
                                info[v as usize] = mk(u);
                                self.next.push(v);
                            }
                        }
                    }
                });
            }
        }
    }
}

/// Calls `visit(u, v, class)` for every edge from a node `u` of `layer` to a dependent `v`,
/// in layer order, then row order: the edges a top-down hop follows.
///
/// On a large graph a layer's dependents are scattered, each one's records a cache miss of
/// their own, so with `ask` (which asks memory for a node's records) everything is asked
/// for ahead of use: the row offsets of the layer node 8 ahead, the row of the one 4 ahead
/// and the records of the first 4 dependents of the one 2 ahead (a layer of many short
/// rows), and within a row the records of the dependent 16 ahead (a shared library's long
/// row).
fn each_dependent(
    rev: &Csr,
    layer: &[u32],
    ask: Option<impl Fn(u32)>,
    mut visit: impl FnMut(u32, u32, u8),
) {
    let (offsets, targets, classes) = rev.parts();
    for (li, &u) in layer.iter().enumerate() {
        if let Some(ask) = &ask {
            if let Some(&ahead) = layer.get(li + 8) {
                prefetch(offsets.as_ptr().wrapping_add(ahead as usize));
            }
            if let Some(&ahead) = layer.get(li + 4) {
                prefetch(targets.as_ptr().wrapping_add(rev.bounds(ahead).0));
            }
            if let Some(&ahead) = layer.get(li + 2) {
                let (a, b) = rev.bounds(ahead);
                targets[a..b].iter().take(4).for_each(|&w| ask(w));
            }
        }
        let (a, b) = rev.bounds(u);
        let row = &targets[a..b];
        // Only a long row asks for records inside itself; a short one was asked for above.
        match &ask {
            Some(ask) if row.len() > 16 => {
                for (i, (&v, &c)) in row.iter().zip(&classes[a..b]).enumerate() {
                    if let Some(&ahead) = row.get(i + 16) {
                        ask(ahead);
                    }
                    visit(u, v, c);
                }
            }
            _ => row
                .iter()
                .zip(&classes[a..b])
                .for_each(|(&v, &c)| visit(u, v, c)),
        }
    }
}

/// Per edge class, how a step treats it: 0 = not followed (strength zero), 1 = weaker than
/// `full` (an offer to a lower strength level), 2 = followed now.
fn follow_codes(strengths: &Strengths, full: f64) -> [u8; CLASSES] {
    std::array::from_fn(|c| {
        let s = strengths.of_class(c as u8);
        if s <= 0.0 {
            0
        } else if s >= full {
            2
        } else {
            1
        }
    })
}

/// One bottom-up hop of both searches in one scan: the breadth-first search `bfs` from its
/// current layer over every edge above zero strength, and the strongest-path search (first
/// level) from `layer` over full-strength edges, noting weaker ones as [`Stepper::step`]
/// does. Each search picks exactly the parent its own bottom-up step would pick.
fn step_both(
    g: Graphs<'_>,
    bfs: &mut Bfs,
    layer: &[u32],
    best: &mut Best,
    mk: impl Fn(u32) -> BestInfo + Sync,
) {
    const BITS: usize = usize::BITS as usize;
    let fwd = g.fwd.expect("bottom-up steps have the forward adjacency");
    let n = best.settled.len();
    let end = bfs.order.len();
    bfs.d += 1;
    let d = bfs.d;
    let follow = follow_codes(g.strengths, 1.0);
    // Both layers in one array, two bits per node (1: in the breadth-first layer, 2: in the
    // strongest-path layer), so one load per edge answers both searches.
    let mut pair = std::mem::take(&mut bfs.pair);
    pair.clear();
    pair.resize(n.div_ceil(32), 0);
    for &u in &bfs.order[bfs.start..end] {
        pair[u as usize / 32] |= 1 << (u % 32 * 2);
    }
    for &u in layer {
        pair[u as usize / 32] |= 2 << (u % 32 * 2);
    }
    let pair_words = &pair[..];
    // Narrowed to the layers' dependents (see `Marks`); one layer when both searches expand
    // the same one.
    let bfs_layer = &bfs.order[bfs.start..end];
    let layers = [bfs_layer, if bfs_layer == layer { &[] } else { layer }];
    // A lower bound of the nodes the scan would visit: those not reached by both searches.
    let unreached = n.saturating_sub(end.min(best.order.len()));
    let marks = Marks::narrow(g, layers, unreached).then(|| best.step.marks.mark(g.rev, layers, n));
    let (offsets, targets, classes) = fwd.parts();
    let blocks_per_chunk = CHUNK_NODES / BITS;
    type Found = (Vec<u32>, Vec<u32>, Vec<(u32, u32, u8)>, bool);
    let parts: Vec<Found> = bfs
        .visited
        .as_mut_slice()
        .par_chunks_mut(blocks_per_chunk)
        .zip(best.settled.as_mut_slice().par_chunks_mut(blocks_per_chunk))
        .zip(bfs.info.par_chunks_mut(CHUNK_NODES))
        .zip(best.info.par_chunks_mut(CHUNK_NODES))
        .enumerate()
        .map(|(ci, (((a_blocks, b_blocks), a_info), b_info))| {
            let (mut a_next, mut b_next, mut weak) = (Vec::new(), Vec::new(), Vec::new());
            let mut met_weak = false;
            let base = ci * CHUNK_NODES;
            // The nodes either search still wants a parent for. Late hops leave them
            // scattered, and each one's row of the adjacency is a memory access of its
            // own: going through the list, the row offsets of the node 32 ahead and the
            // row of the node 16 ahead are asked of memory before they are read.
            let mut todo: Vec<u32> = Vec::with_capacity(CHUNK_NODES);
            for (bi, (a_block, b_block)) in a_blocks.iter().zip(b_blocks.iter()).enumerate() {
                let mut free = !(*a_block & *b_block);
                if let Some(marks) = marks {
                    free &= marks[base / BITS + bi];
                }
                while free != 0 {
                    let v = base + bi * BITS + free.trailing_zeros() as usize;
                    free &= free - 1;
                    if v >= n {
                        break;
                    }
                    todo.push(v as u32);
                }
            }
            for (j, &v) in todo.iter().enumerate() {
                if let Some(&ahead) = todo.get(j + 32) {
                    prefetch(offsets.as_ptr().wrapping_add(ahead as usize));
                }
                if let Some(&ahead) = todo.get(j + 16) {
                    prefetch(
                        targets
                            .as_ptr()
                            .wrapping_add(offsets[ahead as usize] as usize),
                    );
                }
                let v = v as usize;
                let (bi, bit) = ((v - base) / BITS, (v - base) % BITS);
                let (a_block, b_block) = (&mut a_blocks[bi], &mut b_blocks[bi]);
                // Bit 1: the breadth-first search still wants a parent; bit 2: the
                // strongest-path search does.
                let mut need =
                    (*a_block >> bit & 1 == 0) as u64 | ((*b_block >> bit & 1 == 0) as u64) << 1;
                let (mut pa, mut pb) = (NO_PARENT, NO_PARENT);
                let first_weak = weak.len();
                let (lo, hi) = (offsets[v] as usize, offsets[v + 1] as usize);
                for i in lo..hi {
                    let u = targets[i];
                    let want = (pair_words[u as usize / 32] >> (u % 32 * 2)) & need;
                    if want == 0 {
                        continue;
                    }
                    let c = classes[i];
                    match follow[c as usize & (CLASSES - 1)] {
                        0 => continue,
                        2 => {
                            if want & 1 != 0 {
                                pa = u;
                            }
                            if want & 2 != 0 {
                                pb = u;
                            }
                            need &= !want;
                        }
                        _ => {
                            if want & 1 != 0 {
                                pa = u;
                                need &= !1;
                            }
                            if want & 2 != 0 {
                                met_weak = true;
                                weak.push((v as u32, u, c));
                            }
                        }
                    }
                    if need == 0 {
                        break;
                    }
                }
                if pa != NO_PARENT {
                    *a_block |= 1 << bit;
                    a_info[v - base] = BfsInfo {
                        dist: d,
                        parent: pa,
                    };
                    a_next.push(v as u32);
                }
                if pb != NO_PARENT {
                    // Reached at full strength: weaker offers do not matter.
                    weak.truncate(first_weak);
                    *b_block |= 1 << bit;
                    b_info[v - base] = mk(pb);
                    b_next.push(v as u32);
                }
            }
            (a_next, b_next, weak, met_weak)
        })
        .collect();
    bfs.pair = pair;
    best.step.next.clear();
    best.step.weak.clear();
    // The breadth-first search's new layer goes straight to the end of its order.
    for (a_next, b_next, weak, met_weak) in parts {
        bfs.order.extend(a_next);
        best.step.next.extend(b_next);
        best.step.weak.extend(weak);
        best.step.met_weak |= met_weak;
    }
    bfs.start = end;
}

/// One top-down hop of both searches from the same layer (the first hop always is): one
/// pass over the layer's dependents does what [`Bfs::advance`] and the strongest-path
/// search's [`Stepper::step`] would each do, in the same order.
fn step_both_down(
    g: Graphs<'_>,
    bfs: &mut Bfs,
    layer: &[u32],
    best: &mut Best,
    mk: impl Fn(u32) -> BestInfo,
) {
    let end = bfs.order.len();
    bfs.d += 1;
    let d = bfs.d;
    let follow = follow_codes(g.strengths, 1.0);
    best.step.next.clear();
    best.step.weak.clear();
    // Lockstep runs on large graphs only: both searches' records are asked for ahead.
    let (a_records, b_records) = (bfs.info.as_ptr(), best.info.as_ptr());
    let ask = |v: u32| {
        prefetch(a_records.wrapping_add(v as usize));
        prefetch(b_records.wrapping_add(v as usize));
    };
    each_dependent(g.rev, layer, Some(ask), |u, v, c| {
        // The breadth-first search follows every edge above zero strength; the
        // strongest-path search follows full-strength ones and notes weaker ones.
        let code = follow[c as usize & (CLASSES - 1)];
        if code == 0 {
            return;
        }
        if !bfs.visited.put(v as usize) {
            bfs.info[v as usize] = BfsInfo { dist: d, parent: u };
            bfs.order.push(v);
        }
        if code == 2 {
            if !best.settled.put(v as usize) {
                best.info[v as usize] = mk(u);
                best.step.next.push(v);
            }
        } else if !best.settled.contains(v as usize) {
            best.step.met_weak = true;
            best.step.weak.push((v, u, c));
        }
    });
    bfs.start = end;
}

impl Walker {
    /// Scratch space for `graph`.
    pub fn new(graph: &DependencyGraph) -> Walker {
        let n = graph.node_count();
        Walker {
            bfs: Bfs {
                visited: FixedBitSet::with_capacity(n),
                info: zeroed(n),
                order: Vec::new(),
                step: Stepper::new(n),
                start: 0,
                d: 0,
                pair: Vec::new(),
            },
            best: Best {
                settled: FixedBitSet::with_capacity(n),
                info: zeroed(n),
                levels: Vec::new(),
                order: Vec::new(),
                step: Stepper::new(n),
                plain: false,
            },
            fused: false,
            fuse: true,
            lockstep: true,
            force: None,
            narrow: None,
            large: PARALLEL_NODES,
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
        let wants_fwd = self.force != Some(false) && (self.force == Some(true) || n >= self.large);
        let (rev, fwd) = if wants_fwd {
            let (rev, fwd) = graph.csr_both();
            (rev, Some(fwd))
        } else {
            (graph.csr(Direction::Reverse), None)
        };
        let g = Graphs {
            rev,
            fwd,
            strengths,
            narrow: self.narrow,
        };
        let force = self.force;
        if g.fwd.is_some() && self.lockstep {
            // Large graphs: the breadth-first search advances with the strongest-path
            // search's first level, sharing its bottom-up scans.
            self.bfs.begin(changed);
            self.best.run(g, changed, force, Some(&mut self.bfs));
            while self.bfs.frontier() {
                self.bfs.advance(g, force);
            }
            self.fused = false;
        } else {
            self.best.run(g, changed, force, None);
            self.fused = self.best.plain && self.fuse;
            if self.fused {
                // A breadth-first search left over from an earlier walk is stale.
                clear_bits(&mut self.bfs.visited, &self.bfs.order);
                self.bfs.order.clear();
            } else {
                self.bfs.run(g, changed, force);
            }
        }
        Walk { w: self }
    }
}

impl Bfs {
    /// Multi-source breadth-first search, one layer at a time.
    fn run(&mut self, g: Graphs<'_>, changed: &[NodeIx], force: Option<bool>) {
        let _t = crate::timing::Phase::start("walk: distances");
        self.begin(changed);
        while self.frontier() {
            self.advance(g, force);
        }
    }

    /// Clears the last search and places the changed nodes at distance 0.
    fn begin(&mut self, changed: &[NodeIx]) {
        clear_bits(&mut self.visited, &self.order);
        self.order.clear();
        for &c in changed {
            let v = c.raw();
            if !self.visited.put(v as usize) {
                self.info[v as usize] = BfsInfo {
                    dist: 0,
                    parent: NO_PARENT,
                };
                self.order.push(v);
            }
        }
        self.start = 0;
        self.d = 0;
    }

    /// Whether a layer is left to expand.
    fn frontier(&self) -> bool {
        self.start < self.order.len()
    }

    /// Expands the current layer by one hop.
    fn advance(&mut self, g: Graphs<'_>, force: Option<bool>) {
        let end = self.order.len();
        self.d += 1;
        let d = self.d;
        self.step.step(
            g,
            &self.order[self.start..end],
            &mut self.visited,
            end,
            0.0,
            false,
            force,
            &mut self.info,
            |parent| BfsInfo { dist: d, parent },
        );
        self.order.extend_from_slice(&self.step.next);
        self.start = end;
    }
}

impl Best {
    /// Strongest paths, fewest hops among equals (see the module docs).
    /// With `bfs`, its layers advance with this search's first level (full strength), one
    /// hop at a time, in one scan when both expand bottom-up.
    fn run(
        &mut self,
        g: Graphs<'_>,
        changed: &[NodeIx],
        force: Option<bool>,
        mut bfs: Option<&mut Bfs>,
    ) {
        let _t = crate::timing::Phase::start("walk: strongest");
        clear_bits(&mut self.settled, &self.order);
        self.order.clear();
        self.levels.clear();
        self.step.met_weak = false;
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
                while let Some(&(v, sh, parent)) = seeds.get(si) {
                    if sh != h {
                        break;
                    }
                    si += 1;
                    if !self.settled.put(v as usize) {
                        self.info[v as usize] = BestInfo {
                            level: li,
                            parent,
                            hops: h,
                        };
                        self.order.push(v);
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
                let reached = self.order.len();
                let hops = h + 1;
                let mk = |parent| BestInfo {
                    level: li,
                    parent,
                    hops,
                };
                match bfs.as_deref_mut().filter(|b| li == 0 && b.frontier()) {
                    Some(b)
                        if Stepper::bottom_up(force, g, &layer, reached)
                            && Stepper::bottom_up(force, g, &b.order[b.start..], b.order.len()) =>
                    {
                        step_both(g, b, &layer, self, mk);
                    }
                    Some(b)
                        if b.order[b.start..] == layer[..]
                            && !Stepper::bottom_up(force, g, &layer, reached)
                            && !Stepper::bottom_up(force, g, &layer, b.order.len()) =>
                    {
                        step_both_down(g, b, &layer, self, mk);
                    }
                    other => {
                        if let Some(b) = other {
                            b.advance(g, force);
                        }
                        self.step.step(
                            g,
                            &layer,
                            &mut self.settled,
                            reached,
                            1.0,
                            true,
                            force,
                            &mut self.info,
                            mk,
                        );
                    }
                }
                // The new layer takes the step's list (the step reuses the old layer's room).
                std::mem::swap(&mut layer, &mut self.step.next);
                self.order.extend_from_slice(&layer);
                for &(v, parent, c) in &self.step.weak {
                    // Never rounds to zero: a long chain of weak edges still reaches.
                    let next = (level * g.strengths.of_class(c)).max(f64::MIN_POSITIVE);
                    if next >= level * (1.0 - STRENGTH_TIE) {
                        // Rounds back to this level: treat as full strength.
                        if !self.settled.put(v as usize) {
                            self.info[v as usize] = BestInfo {
                                level: li,
                                parent,
                                hops,
                            };
                            self.order.push(v);
                            layer.push(v);
                        }
                    } else {
                        // Products of the same strengths taken in another order can differ
                        // in the last bit (0.3 × 0.9 × 0.9 against 0.9 × 0.9 × 0.3): they
                        // are one level, so the fewest hops decide between them.
                        // The exact level is the common case: looked up first.
                        if let Some(seeds) = pending.get_mut(&Reverse(next.to_bits())) {
                            seeds.push((v, hops, parent));
                            continue;
                        }
                        let (lo, hi) = (next * (1.0 - STRENGTH_TIE), next * (1.0 + STRENGTH_TIE));
                        let key = pending
                            .range(Reverse(hi.to_bits())..=Reverse(lo.to_bits()))
                            .next()
                            .map_or(next.to_bits(), |(k, _)| k.0);
                        pending
                            .entry(Reverse(key))
                            .or_default()
                            .push((v, hops, parent));
                    }
                }
                h = hops;
            }
        }
        self.plain = !self.step.met_weak && self.levels.len() == 1;
    }
}

/// The result of one walk, borrowed from its [`Walker`].
pub(crate) struct Walk<'w> {
    w: &'w Walker,
}

impl Walk<'_> {
    /// Reached nodes in breadth-first order (changed nodes first).
    pub(crate) fn order(&self) -> &[u32] {
        if self.w.fused {
            &self.w.best.order
        } else {
            &self.w.bfs.order
        }
    }
    /// Fewest hops from a changed node.
    #[inline]
    pub(crate) fn distance(&self, v: u32) -> u32 {
        if self.w.fused {
            self.w.best.info[v as usize].hops
        } else {
            self.w.bfs.info[v as usize].dist
        }
    }
    /// Strength of the strongest path.
    #[inline]
    pub(crate) fn strength(&self, v: u32) -> f64 {
        self.w.best.levels[self.w.best.info[v as usize].level as usize]
    }
    /// The strength level of `v`: an index into [`levels`](Self::levels).
    #[inline]
    pub(crate) fn level(&self, v: u32) -> u32 {
        self.w.best.info[v as usize].level
    }
    /// The distinct strengths of this walk, strongest first.
    pub(crate) fn levels(&self) -> &[f64] {
        &self.w.best.levels
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
        self.w.best.settled.contains(v as usize)
    }
    /// The reached set as bitset words (bit `v % BITS` of word `v / BITS`).
    pub(crate) fn reached_words(&self) -> &[usize] {
        self.w.best.settled.as_slice()
    }
    /// How many nodes were reached.
    pub(crate) fn reached_count(&self) -> usize {
        self.w.best.order.len()
    }
    /// The strongest path from a changed node to `v`, both ends included.
    pub(crate) fn strongest_path(&self, v: u32) -> Vec<u32> {
        Self::follow(v, |x| self.parent(x))
    }
    /// A shortest path from a changed node to `v`, both ends included.
    pub(crate) fn shortest_path(&self, v: u32) -> Vec<u32> {
        if self.w.fused {
            return self.strongest_path(v);
        }
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::graph::build::{EdgeSpec, NodeSpec};
    use crate::graph::{EdgeKind, GraphBuilder};

    /// `(from, to, kind, optional)` over `n` nodes named `n0`, `n1`, ….
    fn graph(n: usize, edges: &[(usize, usize, usize, bool)]) -> DependencyGraph {
        let mut b = GraphBuilder::new();
        let doc = b.begin_document("graph", Path::new("<test>"));
        for i in 0..n {
            b.add_node(
                doc,
                NodeSpec {
                    id: Cow::Owned(format!("n{i}")),
                    kind: None,
                    tier: None,
                    customer_facing: None,
                    owners: None,
                    paths: None,
                    part_of: None,
                },
            );
        }
        for &(a, c, k, optional) in edges {
            b.add_edge(
                doc,
                EdgeSpec {
                    from: Cow::Owned(format!("n{a}")),
                    to: Cow::Owned(format!("n{c}")),
                    kind: Some(EdgeKind::ALL[k]),
                    optional,
                },
            );
        }
        b.finish().expect("valid graph").0
    }

    /// Everything a walk exposes, for exact comparison.
    #[allow(clippy::type_complexity)]
    fn snapshot(w: &Walk<'_>, n: u32) -> (Vec<u32>, Vec<Option<(u32, Vec<u32>, Vec<u32>, u32)>>) {
        let per_node = (0..n)
            .map(|v| {
                w.reached(v).then(|| {
                    (
                        w.distance(v),
                        w.shortest_path(v),
                        w.strongest_path(v),
                        w.level(v),
                    )
                })
            })
            .collect();
        (w.order().to_vec(), per_node)
    }

    /// On a graph large enough for parallel bottom-up hops, a walk whose first large hop is
    /// narrowed to the layer's dependents (marked by four threads, then merged) gives
    /// exactly what full scans give, and the default rule does narrow it.
    #[test]
    fn narrowed_hops_equal_full_scans_on_a_large_graph() {
        // Node 0 is a shared library that nodes 1..=15000 depend on; the other nodes depend
        // on four nodes each, one in ten of those in the library's layer, over edges of
        // every strength (weak ones make the two searches' layers differ).
        let n = 40_000;
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |m: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m as u64) as usize
        };
        let kinds: Vec<usize> = (0..EdgeKind::ALL.len()).collect();
        let mut edges: Vec<(usize, usize, usize, bool)> = (1..=15_000)
            .map(|v| {
                (
                    v,
                    0,
                    EdgeKind::ALL
                        .iter()
                        .position(|&k| k == EdgeKind::Build)
                        .unwrap(),
                    false,
                )
            })
            .collect();
        for v in 15_001..n {
            for _ in 0..4 {
                let to = if next(10) == 0 {
                    1 + next(15_000)
                } else {
                    15_001 + next(n - 15_001)
                };
                edges.push((v, to, kinds[next(kinds.len())], next(10) == 0));
            }
        }
        let g = graph(n, &edges);
        let strengths = crate::analysis::Policy::default().strengths();
        let changed = [NodeIx::from_usize(0)];
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .expect("a thread pool");
        pool.install(|| {
            let mut full = Walker::new(&g);
            full.narrow = Some(false);
            let want = snapshot(&full.walk(&g, &strengths, &changed), n as u32);
            assert!(want.0.len() > 20_000, "the walk reaches {}", want.0.len());
            for narrow in [None, Some(true)] {
                let mut w = Walker::new(&g);
                w.narrow = narrow;
                let got = snapshot(&w.walk(&g, &strengths, &changed), n as u32);
                assert!(got == want, "narrow {narrow:?}");
                let parts = &w.best.step.marks.parts;
                // The library's layer (15k nodes) is more than three parts' worth.
                assert_eq!(parts.len(), 4, "four threads marked the library's layer");
            }
        });
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// A walk that skips the breadth-first search because the strongest-path search met
        /// no weak edge, and a walk that runs the two searches in lockstep with shared
        /// bottom-up scans or shared top-down hops, give exactly what running the two
        /// searches one after the other gives: same order, same distances, same parents —
        /// in both walk directions.
        #[test]
        fn fused_and_lockstep_walks_equal_two_searches(
            n in 2usize..30,
            raw in prop::collection::vec((0usize..30, 0usize..30, 0usize..16, prop::bool::weighted(0.1)), 0..90),
            starts in prop::collection::vec(0usize..30, 1..4),
            weak_kinds in any::<bool>(),
            force in prop::sample::select(vec![None, Some(true), Some(false)]),
            narrow in prop::sample::select(vec![None, Some(true), Some(false)]),
        ) {
            // Mostly full-strength kinds so fusion happens; sometimes every kind.
            let kinds: Vec<usize> = EdgeKind::ALL
                .iter()
                .enumerate()
                .filter(|(_, k)| weak_kinds || matches!(k, EdgeKind::Sync | EdgeKind::Build | EdgeKind::Dev))
                .map(|(i, _)| i)
                .collect();
            let edges: Vec<_> = raw
                .iter()
                .map(|&(a, c, k, o)| (a % n, c % n, kinds[k % kinds.len()], o && weak_kinds))
                .collect();
            let g = graph(n, &edges);
            let strengths = crate::analysis::Policy::default().strengths();
            let changed: Vec<NodeIx> = starts.iter().map(|&s| NodeIx::from_usize(s % n)).collect();
            // Bottom-up hops of the walkers under test may be narrowed to the layer's
            // dependents; the reference walkers always scan every node not reached.
            let mut fast = Walker::new(&g);
            fast.force_direction(force);
            fast.narrow = narrow;
            let mut plain = Walker::new(&g);
            plain.force_direction(force);
            plain.fuse = false;
            plain.lockstep = false;
            plain.narrow = Some(false);
            // Lockstep as on a large graph: Beamer's rule picks top-down for these small
            // layers unless forced, so hops run through both shared steps.
            let mut lockstep = Walker::new(&g);
            lockstep.force_direction(force.filter(|&f| f));
            lockstep.large = 0;
            lockstep.narrow = narrow;
            let a = snapshot(&fast.walk(&g, &strengths, &changed), n as u32);
            let b = snapshot(&plain.walk(&g, &strengths, &changed), n as u32);
            let c = snapshot(&lockstep.walk(&g, &strengths, &changed), n as u32);
            prop_assert_eq!(&a, &b);
            if force != Some(true) {
                // Top-down hops: the plain searches run top-down too (unless forced
                // bottom-up, where the lockstep walker is forced the same way).
                let mut plain_down = Walker::new(&g);
                plain_down.force_direction(Some(false));
                plain_down.fuse = false;
                plain_down.lockstep = false;
                plain_down.narrow = Some(false);
                let d = snapshot(&plain_down.walk(&g, &strengths, &changed), n as u32);
                prop_assert_eq!(c, d);
            } else {
                prop_assert_eq!(c, b);
            }
            // Small graphs expand bottom-up (and so in lockstep) only when forced to.
            if !weak_kinds && force != Some(true) {
                prop_assert!(fast.fused, "full-strength graphs fuse");
            }
        }
    }
}
