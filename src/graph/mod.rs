//! The frozen dependency graph: nodes, edges, their provenance, and the compact
//! indexes that queries walk.
//!
//! [`DependencyGraph`] owns flat arrays of nodes and edges ([`store`]) indexed by
//! [`NodeIx`] (a `u32` newtype), a string arena that holds every node id, owner and path glob, and lazily built
//! compressed-sparse-row adjacency ([`csr`]) in both directions. Callers never see indices:
//! they get [`Node`] and [`Dependency`] handles, `Copy` pairs of `(&graph, index)` borrowed
//! from the graph (`'g` always means "borrowed from the graph").
//!
//! An edge `from → to` means *from depends on to*: a change to `to` can break `from`. The
//! blast radius of a node is therefore a walk over **incoming** edges
//! ([`Direction::Reverse`]).
//!
//! Graphs are built once by [`GraphBuilder`] (every source goes through it) and never mutated
//! afterwards.

pub(crate) mod backing;
pub mod build;
pub mod cache;
pub(crate) mod closure;
pub mod csr;
mod model;
pub mod provenance;
pub mod reach;
pub(crate) mod slab;
mod store;
pub(crate) mod strings;
#[cfg(test)]
pub(crate) mod testing;

use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use petgraph::graph::{EdgeIndex, IndexType, NodeIndex};

pub use build::{GraphBuilder, LoadReport};
pub use model::{EdgeKind, NodeKind, ParseKindError, Tier};
pub use provenance::{AttrValue, Evidence};

use crate::graph::strings::{Arena, Interner, Range32, StrRef};
pub(crate) use strings::prefetch;

/// A dense node index: position of a node in the graph. Never part of the public API.
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NodeIx(u32);

// SAFETY: `index` and `new` round-trip for every value below `max`, as `IndexType` requires.
unsafe impl IndexType for NodeIx {
    #[inline(always)]
    fn new(x: usize) -> Self {
        NodeIx(x as u32)
    }
    #[inline(always)]
    fn index(&self) -> usize {
        self.0 as usize
    }
    #[inline(always)]
    fn max() -> Self {
        NodeIx(u32::MAX)
    }
}

impl NodeIx {
    #[inline(always)]
    pub(crate) fn idx(self) -> usize {
        self.0 as usize
    }
    #[inline(always)]
    pub(crate) fn from_usize(i: usize) -> Self {
        NodeIx(i as u32)
    }
    #[inline(always)]
    pub(crate) fn raw(self) -> u32 {
        self.0
    }
}

type Inner = store::Store;

/// A stable node identifier, as written in graph files (`"checkout"`, `"payment-core"`).
///
/// Like [`std::path::Path`], this is an unsized wrapper around `str`.
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct NodeId(str);

impl NodeId {
    /// Wraps a string slice.
    pub fn new(s: &str) -> &NodeId {
        // SAFETY: `NodeId` is `repr(transparent)` over `str`.
        unsafe { &*(s as *const str as *const NodeId) }
    }
    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Which way to walk edges.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Follow edges as written, `from → to`: towards a node's dependencies.
    Forward,
    /// Follow edges backwards, `to → from`: towards a node's dependents (its blast radius).
    Reverse,
}

impl From<Direction> for petgraph::Direction {
    fn from(d: Direction) -> Self {
        match d {
            Direction::Forward => petgraph::Direction::Outgoing,
            Direction::Reverse => petgraph::Direction::Incoming,
        }
    }
}

impl From<petgraph::Direction> for Direction {
    fn from(d: petgraph::Direction) -> Self {
        match d {
            petgraph::Direction::Outgoing => Direction::Forward,
            petgraph::Direction::Incoming => Direction::Reverse,
        }
    }
}

/// Where a node or an edge came from: which kind of source, which file, and (for derived
/// edges) the evidence that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// The kind of source: `graph` for native graph files; other sources name themselves
    /// (`compose`, `k8s`, …).
    pub source: String,
    /// The file the declaration was read from.
    pub file: PathBuf,
    /// The 1-based line of the evidence in `file`, when the source knows it.
    pub line: Option<u32>,
    /// For derived edges: what in the file produced it (`environment CART_ADDR=cart:7070`).
    pub evidence: Option<String>,
    /// Source-specific facts about a derived edge, in the order the source gave them:
    /// `target` (a Cargo platform), `calls` and `errors` (traces), `profiles` (Compose).
    pub attributes: Vec<(String, AttrValue)>,
}

/// The owned data of one node (reached through [`Node`]).
///
/// It is laid out as the node record of a compiled-graph cache file (40 bytes, numbers
/// little-endian; see [`cache`]), so a graph read from a cache reads its nodes in place
/// ([`slab::Slab`]). Any bytes make a record: the reader checks each one, and the
/// accessors below never panic on one that did not pass.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub(crate) struct NodeImpl {
    pub(crate) id: StrRef,
    /// The position of its kind in [`NodeKind::ALL`].
    kind: u8,
    /// Its tier, or `u8::MAX` for none.
    tier: u8,
    /// 1 when customer-facing, else 0.
    customer_facing: u8,
    /// Always 0.
    reserved: u8,
    /// The index of the service it is part of, or `u32::MAX` for none.
    part_of: u32,
    pub(crate) owners: Range32,
    pub(crate) paths: Range32,
    pub(crate) origins: Range32,
}

// SAFETY: `NodeImpl` is `repr(C)` with only `u32` and `u8` fields (`StrRef` and `Range32`
// are `repr(C)` pairs of `u32`), 40 bytes with no padding, so any 40 bytes are a value;
// on a little-endian machine its layout is the record `from_le` reads and `to_le` writes.
unsafe impl slab::Plain for NodeImpl {
    fn from_le(b: &[u8]) -> NodeImpl {
        let u = |at: usize| slab::le32(b, at);
        NodeImpl {
            id: StrRef::new(u(0), u(4)),
            kind: b[8],
            tier: b[9],
            customer_facing: b[10],
            reserved: b[11],
            part_of: u(12),
            owners: Range32::from_parts(u(16), u(20)),
            paths: Range32::from_parts(u(24), u(28)),
            origins: Range32::from_parts(u(32), u(36)),
        }
    }
    fn to_le(&self, out: &mut Vec<u8>) {
        self.id.to_le(out);
        out.extend_from_slice(&[self.kind, self.tier, self.customer_facing, self.reserved]);
        out.extend_from_slice(&self.part_of.to_le_bytes());
        for r in [self.owners, self.paths, self.origins] {
            let (start, len) = r.parts();
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
        }
    }
}

impl NodeImpl {
    /// A node known only by its id so far: a service with nothing else set.
    pub(crate) fn placeholder(id: StrRef) -> NodeImpl {
        NodeImpl {
            id,
            kind: NodeKind::Service as u8,
            tier: u8::MAX,
            customer_facing: 0,
            reserved: 0,
            part_of: u32::MAX,
            owners: Range32::default(),
            paths: Range32::default(),
            origins: Range32::default(),
        }
    }

    /// Whether the record's kind, tier and service read, among `n` nodes, and its reserved
    /// byte is 0 (what a cache reader checks; its ranges are checked against the lists
    /// separately).
    #[inline]
    pub(crate) fn reads(&self, n: usize) -> bool {
        ((self.kind as usize) < NodeKind::ALL.len())
            & (self.tier == u8::MAX || self.tier <= Tier::MAX)
            & (self.part_of == u32::MAX || (self.part_of as usize) < n)
            & (self.reserved == 0)
    }

    pub(crate) fn kind(&self) -> NodeKind {
        NodeKind::ALL
            .get(self.kind as usize)
            .copied()
            .unwrap_or(NodeKind::Service)
    }
    pub(crate) fn set_kind(&mut self, kind: NodeKind) {
        self.kind = kind as u8;
    }
    pub(crate) fn tier(&self) -> Option<Tier> {
        Tier::new(self.tier)
    }
    pub(crate) fn set_tier(&mut self, tier: Option<Tier>) {
        self.tier = tier.map_or(u8::MAX, Tier::get);
    }
    pub(crate) fn customer_facing(&self) -> bool {
        self.customer_facing != 0
    }
    pub(crate) fn set_customer_facing(&mut self, cf: bool) {
        self.customer_facing = cf as u8;
    }
    pub(crate) fn part_of(&self) -> Option<NodeIx> {
        (self.part_of != u32::MAX).then_some(NodeIx(self.part_of))
    }
    pub(crate) fn set_part_of(&mut self, p: Option<NodeIx>) {
        self.part_of = p.map_or(u32::MAX, |p| p.0);
    }
}

/// The owned data of one edge (reached through [`Dependency`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct EdgeImpl {
    pub(crate) kind: EdgeKind,
    pub(crate) optional: bool,
    /// `true` for the `service → module` edge that `part_of` implies.
    pub(crate) implicit: bool,
    /// Index into [`DependencyGraph::origins`].
    pub(crate) origin: u32,
}

/// A frozen dependency graph. Build one with [`GraphBuilder`].
pub struct DependencyGraph {
    inner: Inner,
    strings: Arena,
    /// The id table; `None` for a graph read from a cache file with its id order, which
    /// looks ids up in that order instead ([`sorted`](Self::sorted)).
    ids: Option<Interner>,
    /// The nodes in the order of their ids (the inverse of `id_order`), for lookups without
    /// an id table.
    sorted: OnceLock<Vec<u32>>,
    /// Flat lists that node ranges point into.
    owner_list: slab::Slab<StrRef>,
    path_list: slab::Slab<StrRef>,
    origin_list: Vec<u32>,
    origins: Vec<Origin>,
    reverse: OnceLock<csr::Csr>,
    forward: OnceLock<csr::Csr>,
    id_order: OnceLock<slab::Slab<u32>>,
    ratings: OnceLock<Vec<u8>>,
    /// Aliases, edges removed by overlays, network-policy evidence.
    provenance: provenance::Provenance,
}

/// A node of the graph, borrowed from it. Cheap to copy.
#[derive(Copy, Clone)]
pub struct Node<'g> {
    graph: &'g DependencyGraph,
    ix: NodeIx,
    inner: &'g NodeImpl,
}

/// An edge of the graph, `from → to` ("from depends on to"), borrowed from it.
#[derive(Copy, Clone)]
pub struct Dependency<'g> {
    graph: &'g DependencyGraph,
    from: NodeIx,
    to: NodeIx,
    inner: &'g EdgeImpl,
}

/// ## Construction and size
impl DependencyGraph {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.inner.node_count()
    }

    /// Number of edges, including the implicit `part_of` edges.
    pub fn edge_count(&self) -> usize {
        self.inner.edge_count()
    }

    /// Every origin (file) that contributed to the graph.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }
}

/// ## Lookup
impl DependencyGraph {
    /// The node with this id (or with this alias), if any.
    pub fn node(&self, id: &str) -> Option<Node<'_>> {
        match self.index_of(id) {
            Some(i) => Some(self.node_ix(NodeIx(i))),
            // Another name of a node (`aliases` in a graph file).
            None => self
                .provenance
                .canonical(id)
                .and_then(|c| self.index_of(c))
                .map(|i| self.node_ix(NodeIx(i))),
        }
    }

    /// The index of the node with this id: from the id table, or by binary search in the
    /// id order when the graph came from a cache file without one (building a table for
    /// a million ids would cost more than every lookup of a run).
    fn index_of(&self, id: &str) -> Option<u32> {
        if let Some(ids) = &self.ids {
            return ids.get(&self.strings, id);
        }
        let sorted = self.sorted.get_or_init(|| {
            let order = self.id_order();
            let mut sorted = vec![0u32; order.len()];
            for (ix, &pos) in order.iter().enumerate() {
                if let Some(s) = sorted.get_mut(pos as usize) {
                    *s = ix as u32;
                }
            }
            sorted
        });
        let id_of = |ix: u32| self.node_ix(NodeIx(ix)).id().as_str();
        let at = sorted.partition_point(|&ix| id_of(ix) < id);
        sorted.get(at).copied().filter(|&ix| id_of(ix) == id)
    }

    /// Every node, in the graph's internal order (stable for the same input).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = Node<'_>> + '_ {
        self.inner
            .node_indices()
            .map(move |i| self.node_ix(NodeIx(i.index() as u32)))
    }

    /// Every edge, in the order they were declared (implicit `part_of` edges last).
    pub fn dependencies(&self) -> impl ExactSizeIterator<Item = Dependency<'_>> + '_ {
        self.inner.edge_indices().map(move |e| self.edge(e))
    }

    /// Ids that are closest to `id` by edit distance, best first (for "did you mean").
    pub fn suggest(&self, id: &str, limit: usize) -> Vec<&str> {
        let mut scored: Vec<(f64, &str)> = self
            .nodes()
            .map(|n| {
                let cand = n.id().as_str();
                (strsim::jaro_winkler(id, cand), cand)
            })
            .filter(|(score, _)| *score >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored.into_iter().take(limit).map(|(_, s)| s).collect()
    }

    #[inline]
    pub(crate) fn node_ix(&self, ix: NodeIx) -> Node<'_> {
        Node {
            graph: self,
            ix,
            inner: &self.inner[NodeIndex::new(ix.idx())],
        }
    }

    /// The edge at position `i` of [`dependencies`](Self::dependencies).
    pub(crate) fn dependency(&self, i: usize) -> Dependency<'_> {
        self.edge(EdgeIndex::new(i))
    }

    fn edge(&self, e: EdgeIndex<NodeIx>) -> Dependency<'_> {
        let (from, to) = self
            .inner
            .edge_endpoints(e)
            .expect("edge index from this graph");
        Dependency {
            graph: self,
            from: NodeIx(from.index() as u32),
            to: NodeIx(to.index() as u32),
            inner: &self.inner[e],
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    pub(crate) fn str(&self, r: StrRef) -> &str {
        self.strings.get(r)
    }

    /// Compressed adjacency of all edges, for walking in `dir`.
    pub(crate) fn csr(&self, dir: Direction) -> &csr::Csr {
        match dir {
            Direction::Reverse => self.reverse.get_or_init(|| {
                let _t = crate::timing::Phase::start("reverse csr");
                csr::Csr::from_graph(self, Direction::Reverse)
            }),
            Direction::Forward => self.forward.get_or_init(|| {
                let _t = crate::timing::Phase::start("forward csr");
                csr::Csr::from_graph(self, Direction::Forward)
            }),
        }
    }

    /// The reverse and forward adjacency, built at the same time (one per core) when
    /// neither is built yet.
    pub(crate) fn csr_both(&self) -> (&csr::Csr, &csr::Csr) {
        if self.reverse.get().is_none() && self.forward.get().is_none() {
            rayon::join(
                || self.csr(Direction::Reverse),
                || self.csr(Direction::Forward),
            );
        }
        (self.csr(Direction::Reverse), self.csr(Direction::Forward))
    }

    /// For every node, one byte saying what makes it count for risk: bits 0–2 hold its tier
    /// plus one (0 when untiered), bit 3 is set when it is customer-facing. Walks over a
    /// million nodes read this 1 MB table instead of the nodes themselves.
    pub(crate) fn ratings(&self) -> &[u8] {
        self.ratings.get_or_init(|| {
            self.nodes()
                .map(|n| n.tier().map_or(0, |t| t.get() + 1) | (n.customer_facing() as u8) << 3)
                .collect()
        })
    }

    /// Which of the indexes a cache file stores are built: one bit each for the reverse
    /// and forward adjacency and the id order.
    pub(crate) fn indexes(&self) -> u8 {
        u8::from(self.reverse.get().is_some())
            | u8::from(self.forward.get().is_some()) << 1
            | u8::from(self.id_order.get().is_some()) << 2
    }

    /// Whether [`id_order`](Self::id_order) is built (or came from the cache).
    pub(crate) fn has_id_order(&self) -> bool {
        self.id_order.get().is_some()
    }

    /// For every node, its position in the sorted order of ids (computed once, on demand).
    pub(crate) fn id_order(&self) -> &[u32] {
        self.id_order.get_or_init(|| {
            use rayon::prelude::*;
            let _t = crate::timing::Phase::start("sort ids");
            let id = |i: u32| self.node_ix(NodeIx(i)).id().as_str().as_bytes();
            // Compare each id's first 16 bytes as one integer (zero-padded, so a proper
            // prefix never sorts after the longer id), and the whole ids only when those
            // are equal: one string read per node instead of two per comparison.
            let key = |i: u32| {
                let b = id(i);
                let mut k = [0u8; 16];
                let n = b.len().min(16);
                k[..n].copy_from_slice(&b[..n]);
                u128::from_be_bytes(k)
            };
            let mut keyed: Vec<(u128, u32)> = (0..self.node_count() as u32)
                .into_par_iter()
                .map(|i| (key(i), i))
                .collect();
            keyed.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| id(a.1).cmp(id(b.1))));
            let ixs: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
            let mut rank = vec![0u32; ixs.len()];
            for (pos, ix) in ixs.into_iter().enumerate() {
                rank[ix as usize] = pos as u32;
            }
            rank.into()
        })
    }

    /// A canonical text dump of everything the graph holds, in internal order (nodes with
    /// every attribute and origin, then edges). Two graphs with equal dumps are equal.
    #[doc(hidden)]
    pub fn dump(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        for n in self.nodes() {
            let _ = writeln!(
                s,
                "node {:?} {} {:?} {} owners={:?} paths={:?} part_of={:?} origins={:?}",
                n.id().as_str(),
                n.kind(),
                n.tier().map(|t| t.get()),
                n.customer_facing(),
                n.owners().collect::<Vec<_>>(),
                n.paths().collect::<Vec<_>>(),
                n.part_of().map(|p| p.id().as_str()),
                n.origins().collect::<Vec<_>>(),
            );
        }
        for d in self.dependencies() {
            let _ = writeln!(
                s,
                "edge {:?} -> {:?} {} optional={} implicit={} {:?}",
                d.from().id().as_str(),
                d.to().id().as_str(),
                d.kind(),
                d.optional(),
                d.is_implicit(),
                d.origin()
            );
        }
        s
    }

    /// Checks the internal invariants (the CSR matches the edge list, every range is in
    /// bounds). Meant for tests.
    #[doc(hidden)]
    pub fn verify(&self) -> Result<(), String> {
        for dir in [Direction::Forward, Direction::Reverse] {
            let csr = self.csr(dir);
            let mut from_graph: Vec<(u32, u32, u8)> = self
                .inner
                .edge_indices()
                .map(|e| {
                    let (a, b) = self.inner.edge_endpoints(e).unwrap();
                    let (a, b) = (a.index() as u32, b.index() as u32);
                    let w = &self.inner[e];
                    let (s, t) = match dir {
                        Direction::Forward => (a, b),
                        Direction::Reverse => (b, a),
                    };
                    (s, t, csr::class_of(w.kind, w.optional))
                })
                .collect();
            from_graph.sort_unstable();
            from_graph.dedup();
            let mut from_csr = Vec::new();
            for v in 0..self.node_count() as u32 {
                for (u, c) in csr.neighbors(v) {
                    from_csr.push((v, u, c));
                }
            }
            if from_graph != from_csr {
                return Err(format!("{dir:?} CSR does not match the graph's edges"));
            }
        }
        for n in self.nodes() {
            if let Some(p) = n.part_of()
                && !n
                    .dependents()
                    .any(|d| d.from().ix == p.ix && d.is_implicit())
            {
                return Err(format!("part_of edge missing for {}", n.id()));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for DependencyGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DependencyGraph")
            .field("nodes", &self.node_count())
            .field("edges", &self.edge_count())
            .finish()
    }
}

impl<'g> Node<'g> {
    /// Asks the memory for the node's record, without waiting (a hint before reading many).
    #[inline]
    pub(crate) fn prefetch(&self) {
        strings::prefetch(self.inner);
    }
    /// Asks the memory for the start of the node's id and of its owner list, without
    /// waiting (reads the record).
    #[inline]
    pub(crate) fn prefetch_text(&self) {
        let (start, _) = self.inner.id.parts();
        strings::prefetch(
            self.graph
                .strings
                .as_str()
                .as_ptr()
                .wrapping_add(start as usize),
        );
        let (first, _) = self.inner.owners.parts();
        strings::prefetch(self.graph.owner_list.as_ptr().wrapping_add(first as usize));
    }
    /// The node's id.
    pub fn id(&self) -> &'g NodeId {
        NodeId::new(self.graph.str(self.inner.id))
    }
    /// What kind of thing the node is.
    pub fn kind(&self) -> NodeKind {
        self.inner.kind()
    }
    /// Its criticality tier (0 is the most critical), when declared.
    pub fn tier(&self) -> Option<Tier> {
        self.inner.tier()
    }
    /// Whether customers use it directly.
    pub fn customer_facing(&self) -> bool {
        self.inner.customer_facing()
    }
    /// Owners (teams or people) as written.
    pub fn owners(&self) -> impl ExactSizeIterator<Item = &'g str> + use<'g> {
        let g = self.graph;
        g.owner_list[self.inner.owners.range()]
            .iter()
            .map(move |&r| g.str(r))
    }
    /// Globs of the files the node owns.
    pub fn paths(&self) -> impl ExactSizeIterator<Item = &'g str> + use<'g> {
        let g = self.graph;
        g.path_list[self.inner.paths.range()]
            .iter()
            .map(move |&r| g.str(r))
    }
    /// The service this module belongs to.
    pub fn part_of(&self) -> Option<Node<'g>> {
        self.inner.part_of().map(|p| self.graph.node_ix(p))
    }
    /// Where the node was declared (every file that mentioned it).
    pub fn origins(&self) -> impl ExactSizeIterator<Item = &'g Origin> + use<'g> {
        let g = self.graph;
        g.origin_list[self.inner.origins.range()]
            .iter()
            .map(move |&o| &g.origins[o as usize])
    }
    /// The positions of [`origins`](Self::origins) in [`DependencyGraph::origins`].
    pub(crate) fn origin_ixs(&self) -> &'g [u32] {
        &self.graph.origin_list[self.inner.origins.range()]
    }
    /// Edges from this node to what it depends on.
    pub fn dependencies(&self) -> impl Iterator<Item = Dependency<'g>> + 'g {
        self.edges(Direction::Forward)
    }
    /// Edges from the nodes that depend on this one.
    pub fn dependents(&self) -> impl Iterator<Item = Dependency<'g>> + 'g {
        self.edges(Direction::Reverse)
    }
    fn edges(&self, dir: Direction) -> impl Iterator<Item = Dependency<'g>> + 'g {
        let g = self.graph;
        g.inner
            .edges_directed(NodeIndex::new(self.ix.idx()), dir)
            .map(move |e| g.edge(e.id()))
    }
    pub(crate) fn ix(&self) -> NodeIx {
        self.ix
    }
    /// The graph this node belongs to.
    pub fn graph(&self) -> &'g DependencyGraph {
        self.graph
    }
}

impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.graph, other.graph) && self.ix == other.ix
    }
}
impl Eq for Node<'_> {}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({})", self.id())
    }
}

impl<'g> Dependency<'g> {
    /// The dependent node.
    pub fn from(&self) -> Node<'g> {
        self.graph.node_ix(self.from)
    }
    /// The node depended upon.
    pub fn to(&self) -> Node<'g> {
        self.graph.node_ix(self.to)
    }
    /// The edge kind.
    pub fn kind(&self) -> EdgeKind {
        self.inner.kind
    }
    /// Whether the dependent degrades gracefully without it.
    pub fn optional(&self) -> bool {
        self.inner.optional
    }
    /// `true` for the `service → module` edge implied by `part_of`.
    pub fn is_implicit(&self) -> bool {
        self.inner.implicit
    }
    /// Where the edge was declared or derived.
    pub fn origin(&self) -> &'g Origin {
        &self.graph.origins[self.inner.origin as usize]
    }
    /// The position of [`origin`](Self::origin) in [`DependencyGraph::origins`].
    pub(crate) fn origin_ix(&self) -> usize {
        self.inner.origin as usize
    }
}

impl fmt::Debug for Dependency<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} ({}{})",
            self.from().id(),
            self.to().id(),
            self.kind(),
            if self.optional() { ", optional" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{TestNode, graph_of};
    use proptest::prelude::*;

    fn id() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-c]{1,4}",
            // 16 bytes shared, then a tail (also a NUL, which pads the short keys).
            "warehouse-12345\\.[a-c\\x00]{0,4}",
            // Proper prefixes of those.
            "warehouse-1234[5a]{0,2}",
            "é[a-c]{0,3}",
        ]
    }

    proptest! {
        /// `id_order` ranks the nodes exactly as sorting their ids does.
        #[test]
        fn id_order_is_the_order_of_the_ids(ids in prop::collection::btree_set(id(), 1..60)) {
            let g = graph_of(ids.iter().map(|id| TestNode {
                id: id.clone(),
                customer_facing: false,
                tier: None,
                calls: None,
            }));
            let order = g.id_order();
            let mut by_rank: Vec<(u32, &str)> =
                g.nodes().map(|n| (order[n.ix().idx()], n.id().as_str())).collect();
            by_rank.sort_unstable();
            let ranked: Vec<&str> = by_rank.iter().map(|&(_, id)| id).collect();
            let sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
            prop_assert_eq!(ranked, sorted);
        }

        /// A graph read back from a cache file with its id order, which has no id table,
        /// finds every node by its id (and nothing for other ids) by binary search, as the
        /// table does.
        #[test]
        fn lookups_by_the_id_order_agree_with_the_id_table(
            ids in prop::collection::btree_set(id(), 1..60),
            others in prop::collection::vec(id(), 0..20),
        ) {
            let g = graph_of(ids.iter().rev().map(|id| TestNode {
                id: id.clone(),
                customer_facing: false,
                tier: None,
                calls: None,
            }));
            let _ = g.id_order();
            let key = super::cache::CacheKey([1; 16]);
            let bytes = super::cache::tests::cache_bytes(&g, &key);
            let back = super::DependencyGraph::read_cache(bytes, &key).unwrap();
            prop_assert!(back.ids.is_none());
            for id in ids.iter().chain(&others) {
                prop_assert_eq!(back.node(id).map(|n| n.ix()), g.node(id).map(|n| n.ix()));
            }
        }
    }
}
