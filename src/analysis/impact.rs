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

#[derive(Copy, Clone, Debug, Default)]
struct Entry {
    ix: u32,
    distance: u32,
    /// The previous node on the strongest path (a node index), or `NONE`.
    parent: u32,
    /// Index into `Impact::levels`: the strength of the strongest path.
    level: u32,
    risk: Risk,
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
    /// The indices of the entries of rated nodes (customer-facing or tiered), in entry
    /// order: noted as the entries are made, so the reports' rated list and owners never
    /// scan a large radius again.
    rated: Vec<u32>,
    /// The distinct path strengths, strongest first (entries point into it).
    levels: Vec<f64>,
    /// CODEOWNERS owners of reached tier-0 and customer-facing nodes that have no graph
    /// owners, by node index.
    codeowners: Vec<(u32, Vec<String>)>,
    /// Every entry index, sorted by risk (highest first), then distance, then id.
    sorted: OnceLock<Vec<u32>>,
    /// Finds a node's entry in O(1) for large radii (entries are in node-index order).
    rank: Option<BitRank>,
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

/// Rank queries on the reached set: the entry of node `v` is the number of reached nodes
/// below `v`, read from the set's words and a prefix count per word.
#[derive(Debug)]
struct BitRank {
    words: Vec<usize>,
    before: Vec<u32>,
}

const WORD: usize = usize::BITS as usize;

impl BitRank {
    fn new(words: &[usize]) -> BitRank {
        let mut before = Vec::with_capacity(words.len());
        let mut sum = 0u32;
        for w in words {
            before.push(sum);
            sum += w.count_ones();
        }
        BitRank {
            words: words.to_vec(),
            before,
        }
    }

    #[inline]
    fn index(&self, v: u32) -> Option<usize> {
        let (w, b) = (v as usize / WORD, v as usize % WORD);
        let word = *self.words.get(w)?;
        (word >> b & 1 == 1)
            .then(|| self.before[w] as usize + (word & ((1usize << b) - 1)).count_ones() as usize)
    }
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

/// Words of the reached set per parallel task when building entries.
const ENTRY_CHUNK: usize = 1024;

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
        let levels = walk.levels().to_vec();
        // The risk of every (rating byte, strength level) pair, looked up per node.
        let table: Vec<[Risk; 16]> = levels
            .iter()
            .map(|&s| {
                std::array::from_fn(|r| {
                    let tier = crate::graph::Tier::new((r as u8 & 7).wrapping_sub(1));
                    policy.risk_of(tier, customer_facing(r as u8), s)
                })
            })
            .collect();
        let ratings = graph.ratings();
        let make = |v: u32| {
            let level = walk.level(v);
            Entry {
                ix: v,
                distance: walk.distance(v),
                parent: walk.parent(v).unwrap_or(NONE),
                level,
                risk: table[level as usize][ratings[v as usize] as usize],
            }
        };
        // Entries in node-index order: the walk's arrays are read front to back. A large
        // radius is written in parallel straight into its final place: each chunk of the
        // reached set knows from its bit count where its entries start (`reached` is the
        // count of those bits, so the parts tile the list exactly).
        let words = walk.reached_words();
        let fill = |i: usize, chunk: &[usize], emit: &mut dyn FnMut(Entry)| {
            for (j, &w) in chunk.iter().enumerate() {
                let mut bits = w;
                while bits != 0 {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    emit(make(((i * ENTRY_CHUNK + j) * WORD + b) as u32));
                }
            }
        };
        // The overall risk, and the riskiest node: highest risk, then fewest hops, then id
        // (the first in `impacted()` order), found without sorting the radius: ids are
        // compared only among the entries that tie on risk and distance. Both are folded
        // in as the entries are made.
        let key = |e: &Entry| {
            if e.risk > Risk::None {
                risk_rank(e.risk) << 32 | e.distance as u64
            } else {
                u64::MAX
            }
        };
        // The fold keeps the highest risk, the best key, and the node with the least id
        // among those with the best key (ids are read only on a tie for the best key).
        let id_of = |v: u32| graph.node_ix(NodeIx::from_usize(v as usize)).id();
        let none = (Risk::None, u64::MAX, NONE);
        let pick = |(b1, v1): (u64, u32), (b2, v2): (u64, u32)| {
            if b2 < b1 || (b2 == b1 && b2 != u64::MAX && id_of(v2) < id_of(v1)) {
                (b2, v2)
            } else {
                (b1, v1)
            }
        };
        let step = |(r, b, v): (Risk, u64, u32), e: &Entry| {
            let (b, v) = pick((b, v), (key(e), e.ix));
            (r.max(e.risk), b, v)
        };
        let join = |(r1, b1, v1): (Risk, u64, u32), (r2, b2, v2): (Risk, u64, u32)| {
            let (b, v) = pick((b1, v1), (b2, v2));
            (r1.max(r2), b, v)
        };
        let reached = walk.reached_count();
        let chunks: Vec<&[usize]> = words.chunks(ENTRY_CHUNK).collect();
        let is_rated = |e: &Entry| ratings[e.ix as usize] != 0;
        let (entries, rated, (mut risk, best, top_ix)): (Vec<Entry>, Vec<u32>, _) =
            if reached >= PARALLEL_ENTRIES {
                // Written once, in place: no pass that fills the list with defaults first.
                let mut entries: Vec<Entry> = Vec::with_capacity(reached);
                let mut rest = &mut entries.spare_capacity_mut()[..reached];
                let mut parts = Vec::with_capacity(chunks.len());
                let mut start = 0;
                for c in &chunks {
                    let n: usize = c.iter().map(|w| w.count_ones() as usize).sum();
                    let (part, tail) = rest.split_at_mut(n.min(rest.len()));
                    let len = part.len();
                    parts.push((start as u32, part));
                    start += len;
                    rest = tail;
                }
                let done: Vec<(bool, _, Vec<u32>)> = chunks
                    .par_iter()
                    .zip(parts.into_par_iter())
                    .enumerate()
                    .map(|(i, (chunk, (start, part)))| {
                        let mut slots = part.iter_mut();
                        let (mut acc, mut rated, mut k) = (none, Vec::new(), start);
                        fill(i, chunk, &mut |e| {
                            acc = step(acc, &e);
                            if is_rated(&e) {
                                rated.push(k);
                            }
                            k += 1;
                            if let Some(slot) = slots.next() {
                                slot.write(e);
                            }
                        });
                        (slots.len() == 0, acc, rated)
                    })
                    .collect();
                let mut filled = true;
                let mut folded = none;
                let mut rated = Vec::new();
                for (f, a, r) in done {
                    filled &= f;
                    folded = join(folded, a);
                    rated.extend(r);
                }
                // The parts tile the first `reached` slots, and each was filled to its end.
                assert!(
                    filled && rest.is_empty(),
                    "the reached set has as many nodes as it counts"
                );
                // SAFETY: the first `reached` slots are initialised (checked just above).
                unsafe { entries.set_len(reached) };
                (entries, rated, folded)
            } else {
                let (mut entries, mut rated, mut folded) =
                    (Vec::with_capacity(reached), Vec::new(), none);
                for (i, chunk) in chunks.iter().enumerate() {
                    fill(i, chunk, &mut |e| {
                        folded = step(folded, &e);
                        if is_rated(&e) {
                            rated.push(entries.len() as u32);
                        }
                        entries.push(e);
                    });
                }
                (entries, rated, folded)
            };
        let rank = (entries.len() > 4096).then(|| BitRank::new(words));
        let mut risk_reasons = Vec::new();
        if best != u64::MAX {
            let top = &entries[entries
                .binary_search_by_key(&top_ix, |e| e.ix)
                .expect("the riskiest node is reached")];
            risk_reasons.push(top_reason(graph, top, &entries, &levels));
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
            Some(co) => rated
                .iter()
                .map(|&i| &entries[i as usize])
                .filter(|e| critical(ratings[e.ix as usize]))
                .filter_map(|e| {
                    let n = graph.node_ix(NodeIx::from_usize(e.ix as usize));
                    (n.owners().len() == 0).then(|| (e.ix, codeowners_of(n, co)))
                })
                .filter(|(_, o)| !o.is_empty())
                // In node order, as the entries are: looked up by binary search.
                .collect(),
            None => Vec::new(),
        };
        Impact {
            graph,
            changes,
            risk,
            risk_reasons,
            entries,
            rated,
            levels,
            codeowners,
            sorted: OnceLock::new(),
            rank,
        }
    }
}

/// `critical: checkout (tier 0, customer-facing) is reached at strength 1.00 along payment →
/// checkout`.
fn top_reason(graph: &DependencyGraph, e: &Entry, entries: &[Entry], levels: &[f64]) -> String {
    let find = |v: u32| {
        &entries[entries
            .binary_search_by_key(&v, |e| e.ix)
            .expect("parents are reached")]
    };
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
        cur = find(cur.parent);
        path.push(node(cur).id().to_string());
    }
    path.reverse();
    format!(
        "{}: {id} is reached at strength {} along {}",
        e.risk,
        crate::report::fmt_strength(levels[e.level as usize]),
        path.join(" → ")
    )
}

/// Whether a rating byte ([`DependencyGraph::ratings`]) is a customer-facing node's.
fn customer_facing(rating: u8) -> bool {
    rating & 8 != 0
}

/// Whether a rating byte is a tier-0 node's (bits 0–2 hold the tier plus one).
fn tier0(rating: u8) -> bool {
    rating & 7 == 1
}

/// Whether a rating byte is a tier-0 or customer-facing node's.
fn critical(rating: u8) -> bool {
    customer_facing(rating) || tier0(rating)
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
    fn sort(&self, idx: Vec<u32>) -> Vec<u32> {
        let graph = self.graph;
        let e = &self.entries;
        let prefix = |x: &Entry| (risk_rank(x.risk) << 32) | x.distance as u64;
        // A large selection (or any, once the graph's id order is built: the cache keeps
        // it) sorts by one packed integer key using the id order (computed once per
        // graph); a small one fetches each id once and compares ids only between entries
        // that tie on risk and distance.
        if idx.len() > (graph.node_count() / 16).max(1 << 12) || graph.has_id_order() {
            let rank = graph.id_order();
            let mut keyed: Vec<(u64, u32)> = idx
                .par_iter()
                .map(|&i| {
                    let x = &e[i as usize];
                    (
                        (risk_rank(x.risk) << 61)
                            | ((x.distance.min((1 << 29) - 1) as u64) << 32)
                            | rank[x.ix as usize] as u64,
                        i,
                    )
                })
                .collect();
            keyed.par_sort_unstable();
            keyed.into_iter().map(|(_, i)| i).collect()
        } else {
            let mut keyed: Vec<(u64, &str, u32)> = idx
                .iter()
                .map(|&i| {
                    let x = &e[i as usize];
                    let id = graph
                        .node_ix(NodeIx::from_usize(x.ix as usize))
                        .id()
                        .as_str();
                    (prefix(x), id, i)
                })
                .collect();
            // Every key is distinct (it ends with the index), so the parallel sort's order
            // is the one order (rayon sorts short slices on one thread anyway).
            keyed.par_sort_unstable();
            keyed.into_iter().map(|(_, _, i)| i).collect()
        }
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
        let ratings = self.graph.ratings();
        let is_rated = |e: &Entry| ratings[e.ix as usize] != 0;
        let idx = match self.sorted.get() {
            Some(sorted) => sorted
                .iter()
                .copied()
                .filter(|&i| is_rated(&self.entries[i as usize]))
                .collect(),
            None => self.sort(self.rated.clone()),
        };
        idx.into_iter().map(|i| self.handle(i)).collect()
    }

    /// The entry of node `v`, if reached.
    #[inline]
    fn entry_index(&self, v: u32) -> Option<usize> {
        match &self.rank {
            Some(r) => r.index(v),
            None => self.entries.binary_search_by_key(&v, |e| e.ix).ok(),
        }
    }

    /// The reached node with this id, if reached.
    pub fn get(&self, id: &str) -> Option<ImpactedNode<'_, 'g>> {
        let ix = self.graph.node(id)?.ix().raw();
        self.entry_index(ix).map(|i| self.handle(i as u32))
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
        let mut by: std::collections::BTreeMap<&str, Vec<ImpactedNode<'_, 'g>>> =
            std::collections::BTreeMap::new();
        let ratings = self.graph.ratings();
        let critical = self
            .rated
            .iter()
            .copied()
            .filter(|&i| critical(ratings[self.entries[i as usize].ix as usize]))
            .collect();
        for i in self.sort(critical) {
            let n = self.handle(i);
            for o in n.owners().0 {
                by.entry(o).or_default().push(n);
            }
        }
        by.into_iter().map(|(o, n)| (o.to_string(), n)).collect()
    }

    /// The paths of `nodes`, as [`ImpactedNode::path`] gives each, one after another in
    /// `flat`, node `i`'s ending at `ends[i]` (both cleared first). Follows the parent
    /// links of all of them a hop at a time, asking the memory for every next entry before
    /// reading any, so the lookups of a long list overlap instead of waiting one by one.
    /// `chains` is scratch.
    pub(crate) fn paths_into(
        &self,
        nodes: &[ImpactedNode<'_, 'g>],
        flat: &mut Vec<Node<'g>>,
        ends: &mut Vec<usize>,
        chains: &mut Vec<Vec<u32>>,
    ) {
        if chains.len() < nodes.len() {
            chains.resize_with(nodes.len(), Vec::new);
        }
        let mut active: Vec<(usize, &Entry)> = Vec::with_capacity(nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            chains[i].clear();
            chains[i].push(n.entry.ix);
            active.push((i, n.entry));
        }
        let mut next = Vec::with_capacity(nodes.len());
        while !active.is_empty() {
            next.clear();
            for &(i, e) in &active {
                if e.parent == NONE {
                    continue;
                }
                if let Some(j) = self.entry_index(e.parent) {
                    // Read in the next round, by then (most likely) in the cache.
                    let p = &self.entries[j];
                    crate::graph::prefetch(p);
                    chains[i].push(e.parent);
                    next.push((i, p));
                }
            }
            std::mem::swap(&mut active, &mut next);
        }
        flat.clear();
        ends.clear();
        for chain in &chains[..nodes.len()] {
            flat.extend(
                chain
                    .iter()
                    .rev()
                    .map(|&ix| self.graph.node_ix(NodeIx::from_usize(ix as usize))),
            );
            ends.push(flat.len());
        }
    }

    /// Counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            impacted: self.entries.len(),
            ..Summary::default()
        };
        let slot = |r: Risk| (4 - risk_rank(r)) as usize;
        // Only rated nodes are customer-facing or tier 0, or carry a risk above none (a
        // node without tier or flag has none: `Policy::risk_of`), so the rated entries
        // are counted one by one and the rest at once: the heaviest 1M query's 964k
        // entries are not read again.
        let ratings = self.graph.ratings();
        for &i in &self.rated {
            let e = &self.entries[i as usize];
            let r = ratings[e.ix as usize];
            s.customer_facing += customer_facing(r) as usize;
            s.tier0 += tier0(r) as usize;
            s.by_risk[slot(e.risk)] += 1;
        }
        s.by_risk[slot(Risk::None)] += self.entries.len() - self.rated.len();
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
        self.impact.levels[self.entry.level as usize]
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
            let Some(i) = self.impact.entry_index(cur.parent) else {
                break;
            };
            cur = &self.impact.entries[i];
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
        let (owners, source) = self.owners_iter();
        (owners.collect(), source)
    }

    /// [`owners`](Self::owners) without collecting them: the reports write tens of
    /// thousands of entries.
    pub(crate) fn owners_iter(
        &self,
    ) -> (
        impl Iterator<Item = &'i str> + use<'i, 'g>,
        Option<OwnersSource>,
    ) {
        let graph = self.node().owners();
        let (codeowners, source): (&'i [String], _) = if graph.len() > 0 {
            (&[], Some(OwnersSource::Graph))
        } else {
            match self
                .impact
                .codeowners
                .binary_search_by_key(&self.entry.ix, |c| c.0)
            {
                Ok(i) => (&self.impact.codeowners[i].1, Some(OwnersSource::Codeowners)),
                Err(_) => (&[], None),
            }
        };
        // One of the two is empty.
        (graph.chain(codeowners.iter().map(String::as_str)), source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::Resolver;
    use crate::graph::testing::{TestNode, graph_of};

    /// `lib` and `n` nodes named by `id`, in chains of three under `lib` (node `i` calls
    /// `lib` when `i % 3 == 0`, else node `i - 1`), each `(customer_facing, tier)` from
    /// `rating`.
    fn chains(
        n: usize,
        id: impl Fn(usize) -> String,
        rating: impl Fn(usize) -> (bool, Option<u8>),
    ) -> DependencyGraph {
        let lib = TestNode {
            id: "lib".into(),
            customer_facing: false,
            tier: None,
            calls: None,
        };
        graph_of(std::iter::once(lib).chain((0..n).map(|i| {
            let (customer_facing, tier) = rating(i);
            TestNode {
                id: id(i),
                customer_facing,
                tier,
                calls: Some((if i % 3 == 0 { "lib".into() } else { id(i - 1) }, false)),
            }
        })))
    }

    /// A radius large enough for the parallel entry build (several chunks of the reached
    /// set): every node is found, at its BFS distance, with its parent on a strongest path.
    #[test]
    fn a_large_radius_is_built_in_parallel_exactly() {
        let n = 3 * ENTRY_CHUNK * WORD + 1234;
        let id = |i: usize| format!("n{i}");
        let g = chains(n, id, |i| (i % 1000 == 7, (i % 500 == 3).then_some(0)));
        let mut analyzer = Analyzer::new(&g, Policy::default());
        let imp = analyzer.impact(Resolver::new(&g).resolve(&["lib"]).unwrap());
        assert!(imp.len() >= PARALLEL_ENTRIES);
        assert_eq!(imp.len(), n + 1);
        assert!(
            imp.entries.windows(2).all(|w| w[0].ix < w[1].ix),
            "node-index order"
        );
        for i in 0..n {
            let node = imp.get(&id(i)).unwrap();
            assert_eq!(node.distance() as usize, i % 3 + 1, "{}", id(i));
            let path: Vec<String> = node.path().iter().map(|p| p.id().to_string()).collect();
            let expected: Vec<String> = std::iter::once("lib".to_string())
                .chain((i - i % 3..=i).map(id))
                .collect();
            assert_eq!(path, expected);
        }
        // The riskiest node: critical (tier 0), nearest, then first by id.
        assert_eq!(imp.risk, Risk::Critical);
        let first_tier0 = (0..n)
            .filter(|i| i % 500 == 3)
            .min_by_key(|i| (i % 3, id(*i)))
            .unwrap();
        assert!(
            imp.risk_reasons[0].contains(&format!("{} (tier 0", id(first_tier0))),
            "{:?}",
            imp.risk_reasons
        );
        let s = imp.summary();
        assert_eq!(s.tier0, (0..n).filter(|i| i % 500 == 3).count());
        assert_eq!(s.customer_facing, (0..n).filter(|i| i % 1000 == 7).count());
        // The counts per risk, from the rated entries and the rest at once, are those of
        // every entry.
        let mut by_risk = [0; 5];
        for x in imp.impacted() {
            by_risk[Risk::ALL.iter().position(|&r| r == x.risk()).unwrap()] += 1;
        }
        assert_eq!(s.by_risk, by_risk);
        assert_eq!(by_risk[0], n + 1 - (s.tier0 + s.customer_facing));
        // The rated list (from the entries noted as they were made) is the impacted list
        // without the nodes that carry no risk, in the same order.
        let ids = |v: Vec<ImpactedNode<'_, '_>>| -> Vec<String> {
            v.iter().map(|n| n.node().id().to_string()).collect()
        };
        let rated = ids(imp.rated());
        let rated_nodes = (0..n).filter(|i| i % 1000 == 7 || i % 500 == 3).count();
        assert_eq!(rated.len(), rated_nodes);
        let expected = ids(imp
            .impacted()
            .filter(|x| x.node().customer_facing() || x.node().tier().is_some())
            .collect());
        assert_eq!(rated, expected);
        // Once the whole list is sorted, the rated list is read from it: the same.
        assert_eq!(ids(imp.rated()), expected);
    }

    /// The rated list's order is the same whichever way it is sorted: comparing ids
    /// (in parallel: more than 4096 rated nodes, fewer than a sixteenth of the graph) or,
    /// once the graph's id order is built, by packed integer keys.
    #[test]
    fn rated_order_does_not_depend_on_the_id_order_being_built() {
        let n = 70_000;
        // Ids out of index order, so the two sorts really differ in what they compare.
        let id = |i: usize| format!("n{}", i * 7919 % n);
        let g = chains(n, id, |i| {
            (i % 34 == 0, (i % 17 == 0).then_some((i / 17 % 4) as u8))
        });
        let rated = || {
            let mut analyzer = Analyzer::new(&g, Policy::default());
            let imp = analyzer.impact(Resolver::new(&g).resolve(&["lib"]).unwrap());
            imp.rated()
                .iter()
                .map(|n| (risk_rank(n.risk()), n.distance(), n.node().id().to_string()))
                .collect::<Vec<_>>()
        };
        assert!(!g.has_id_order());
        let by_ids = rated();
        assert!(
            by_ids.len() > 1 << 12 && by_ids.len() <= n / 16,
            "{}",
            by_ids.len()
        );
        let _ = g.id_order();
        assert_eq!(rated(), by_ids);
        let mut expected = by_ids.clone();
        expected.sort();
        assert_eq!(by_ids, expected);
    }
}
