//! The graph's own storage: nodes and edges in two flat arrays, in the order they were added.
//!
//! Walks never read this storage (they use the [`Csr`](super::csr::Csr) adjacency), so it is
//! kept as small and as cheap to fill as possible: adding an edge is one push of 16 bytes,
//! with no per-node linked lists to update (petgraph's `Graph` keeps two links per edge and
//! node, which cost a random write into the node array for every edge added). The few
//! callers that ask for one node's edges get them from per-node edge lists, built once on
//! first use and dropped whenever the storage changes.
//!
//! The index types are petgraph's, and the edges of one node come newest first, as
//! petgraph's `Graph` gives them, so code written against petgraph reads the same order.

use std::ops::{Index, IndexMut};
use std::sync::{Arc, OnceLock};

use petgraph::graph::{EdgeIndex, NodeIndex};

use super::slab::{Editable, Slab};
use super::{Direction, EdgeImpl, NodeImpl, NodeIx};

type N = NodeIndex<NodeIx>;
type E = EdgeIndex<NodeIx>;

/// One edge: its two ends and its data.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    from: NodeIx,
    to: NodeIx,
    pub(crate) weight: EdgeImpl,
}

impl Edge {
    pub(crate) fn new(from: NodeIx, to: NodeIx, weight: EdgeImpl) -> Edge {
        Edge { from, to, weight }
    }
    /// The node that depends.
    #[inline]
    pub(crate) fn source(&self) -> N {
        NodeIndex::new(self.from.idx())
    }
    /// The node depended on.
    #[inline]
    pub(crate) fn target(&self) -> N {
        NodeIndex::new(self.to.idx())
    }
    /// The node the edge leaves from and the node it leads to, walking in `dir`.
    #[inline]
    pub(crate) fn ends(&self, dir: Direction) -> (usize, usize) {
        match dir {
            Direction::Forward => (self.from.idx(), self.to.idx()),
            Direction::Reverse => (self.to.idx(), self.from.idx()),
        }
    }
}

/// An edge with its index, as petgraph's `EdgeReference`.
#[derive(Copy, Clone)]
pub(crate) struct EdgeRef<'a> {
    id: E,
    edge: &'a Edge,
}

impl<'a> EdgeRef<'a> {
    pub(crate) fn id(&self) -> E {
        self.id
    }
    pub(crate) fn source(&self) -> N {
        self.edge.source()
    }
    pub(crate) fn target(&self) -> N {
        self.edge.target()
    }
    pub(crate) fn weight(&self) -> &'a EdgeImpl {
        &self.edge.weight
    }
}

/// Where each node's bucket starts in a counting sort of `keys` (each below `n`): bucket
/// `k` is `offsets[k]..offsets[k + 1]`.
pub(crate) fn bucket_offsets(n: usize, keys: impl Iterator<Item = usize>) -> Vec<u32> {
    let mut offsets = vec![0u32; n + 1];
    for k in keys {
        offsets[k + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    offsets
}

/// Every node's edges in one direction: `edges[offsets[v]..offsets[v + 1]]`, newest first.
#[derive(Clone)]
struct Lists {
    offsets: Vec<u32>,
    edges: Vec<u32>,
}

/// Edges not decoded yet: how many there are, and how to decode them (every edge's ends
/// must be nodes of the store's list). The compiled-graph cache hands its edges over this
/// way, so a run that never reads them (walks use the adjacency arrays) never decodes them.
#[derive(Clone)]
pub(crate) struct LazyEdges {
    pub(crate) count: usize,
    pub(crate) decode: Arc<dyn Fn() -> Vec<Edge> + Send + Sync>,
    /// Where the records lie in the bytes they are decoded from.
    pub(crate) bytes: std::ops::Range<usize>,
}

/// Nodes and edges in insertion order.
#[derive(Clone, Default)]
pub(crate) struct Store {
    /// Read in place from a cache file's bytes, or built.
    nodes: Editable<NodeImpl>,
    /// The edges, once there (read them through `edges`, which decodes `lazy` first).
    edges: OnceLock<Vec<Edge>>,
    lazy: Option<LazyEdges>,
    outgoing: OnceLock<Lists>,
    incoming: OnceLock<Lists>,
}

impl Store {
    pub(crate) fn with_capacity(nodes: usize, edges: usize) -> Store {
        Store {
            nodes: Editable::Vec(Vec::with_capacity(nodes)),
            edges: OnceLock::from(Vec::with_capacity(edges)),
            ..Store::default()
        }
    }

    /// A store of these nodes and of edges decoded the first time they are read.
    pub(crate) fn from_lazy(nodes: Slab<NodeImpl>, edges: LazyEdges) -> Store {
        Store {
            nodes: Editable::Slab(nodes),
            lazy: Some(edges),
            ..Store::default()
        }
    }

    /// The edges, decoded first if they are not yet.
    fn edges(&self) -> &Vec<Edge> {
        self.edges
            .get_or_init(|| self.lazy.as_ref().map_or_else(Vec::new, |l| (l.decode)()))
    }

    /// Where the edges not decoded yet lie in the bytes they will be decoded from (see
    /// [`LazyEdges`]); `None` once decoded, or for edges that were built.
    pub(crate) fn undecoded_edge_bytes(&self) -> Option<std::ops::Range<usize>> {
        match self.edges.get() {
            Some(_) => None,
            None => self.lazy.as_ref().map(|l| l.bytes.clone()),
        }
    }

    /// Whether the edges are decoded (see [`LazyEdges`]).
    #[cfg(test)]
    pub(crate) fn edges_decoded(&self) -> bool {
        self.edges.get().is_some()
    }

    fn edges_mut(&mut self) -> &mut Vec<Edge> {
        if self.edges.get_mut().is_none() {
            self.edges();
        }
        self.lazy = None;
        self.edges.get_mut().expect("decoded just above")
    }

    /// The nodes and edges, giving the storage up.
    pub(crate) fn into_nodes_edges(mut self) -> (Vec<NodeImpl>, Vec<Edge>) {
        let edges = std::mem::take(self.edges_mut());
        (self.nodes.into_vec(), edges)
    }

    /// The rooms of the node and edge lists (see [`backing`](super::backing)).
    pub(crate) fn rooms(&self) -> [super::backing::Room; 2] {
        let edges = self.edges.get().map(super::backing::Room::of_vec);
        [self.nodes.room(), edges.unwrap_or_default()]
    }

    pub(crate) fn reserve_nodes(&mut self, n: usize) {
        self.nodes.to_mut().reserve(n);
    }

    pub(crate) fn reserve_edges(&mut self, n: usize) {
        self.edges_mut().reserve(n);
    }

    fn changed(&mut self) {
        self.outgoing.take();
        self.incoming.take();
    }

    pub(crate) fn add_node(&mut self, w: NodeImpl) -> N {
        assert!(
            self.nodes.len() < u32::MAX as usize,
            "more nodes than a u32 index holds"
        );
        self.changed();
        self.nodes.to_mut().push(w);
        NodeIndex::new(self.nodes.len() - 1)
    }

    /// Adds the edge `a → b`.
    ///
    /// # Panics
    /// When either end is not a node (a bug in the caller, as with petgraph).
    pub(crate) fn add_edge(&mut self, a: N, b: N, w: EdgeImpl) -> E {
        assert!(
            a.index() < self.nodes.len() && b.index() < self.nodes.len(),
            "edge to a node that does not exist"
        );
        let edges = self.edges_mut();
        assert!(
            edges.len() < u32::MAX as usize,
            "more edges than a u32 index holds"
        );
        edges.push(Edge {
            from: NodeIx::from_usize(a.index()),
            to: NodeIx::from_usize(b.index()),
            weight: w,
        });
        let e = EdgeIndex::new(edges.len() - 1);
        self.changed();
        e
    }

    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn edge_count(&self) -> usize {
        match (self.edges.get(), &self.lazy) {
            (Some(edges), _) => edges.len(),
            (None, Some(lazy)) => lazy.count,
            (None, None) => 0,
        }
    }

    pub(crate) fn node_indices(&self) -> impl ExactSizeIterator<Item = N> + use<> {
        (0..self.nodes.len()).map(NodeIndex::new)
    }

    pub(crate) fn edge_indices(&self) -> impl ExactSizeIterator<Item = E> + use<> {
        (0..self.edge_count()).map(EdgeIndex::new)
    }

    /// Whether the nodes are read in place from a cache file's bytes.
    #[cfg(test)]
    pub(crate) fn nodes_in_place(&self) -> bool {
        matches!(&self.nodes, Editable::Slab(s) if s.in_place())
    }

    pub(crate) fn node_weights(&self) -> std::slice::Iter<'_, NodeImpl> {
        self.nodes.iter()
    }

    /// Every edge, in the order added.
    pub(crate) fn raw_edges(&self) -> &[Edge] {
        self.edges()
    }

    pub(crate) fn edge_references(&self) -> impl ExactSizeIterator<Item = EdgeRef<'_>> + '_ {
        self.edges().iter().enumerate().map(|(i, edge)| EdgeRef {
            id: EdgeIndex::new(i),
            edge,
        })
    }

    pub(crate) fn edge_endpoints(&self, e: E) -> Option<(N, N)> {
        self.edges()
            .get(e.index())
            .map(|e| (e.source(), e.target()))
    }

    fn lists(&self, dir: Direction) -> &Lists {
        let cell = match dir {
            Direction::Forward => &self.outgoing,
            Direction::Reverse => &self.incoming,
        };
        cell.get_or_init(|| {
            let all = self.edges();
            let offsets = bucket_offsets(self.nodes.len(), all.iter().map(|e| e.ends(dir).0));
            let mut fill = offsets.clone();
            let mut edges = vec![0u32; all.len()];
            // Newest first: fill each node's slot from its newest edge.
            for (i, e) in all.iter().enumerate().rev() {
                let slot = &mut fill[e.ends(dir).0];
                edges[*slot as usize] = i as u32;
                *slot += 1;
            }
            Lists { offsets, edges }
        })
    }

    /// The edges of `n` in `dir` (`Forward`: its own, to what it depends on; `Reverse`:
    /// its dependents'), newest first.
    pub(crate) fn edges_directed(
        &self,
        n: N,
        dir: Direction,
    ) -> impl Iterator<Item = EdgeRef<'_>> + '_ {
        let lists = self.lists(dir);
        let all = self.edges();
        let v = n.index();
        let (a, b) = (lists.offsets[v] as usize, lists.offsets[v + 1] as usize);
        lists.edges[a..b].iter().map(move |&i| EdgeRef {
            id: EdgeIndex::new(i as usize),
            edge: &all[i as usize],
        })
    }

    /// The nodes at the other end of `n`'s edges in `dir`, newest edge first.
    pub(crate) fn neighbors_directed(&self, n: N, dir: Direction) -> impl Iterator<Item = N> + '_ {
        self.edges_directed(n, dir)
            .map(move |e| NodeIndex::new(e.edge.ends(dir).1))
    }
}

impl Index<N> for Store {
    type Output = NodeImpl;
    fn index(&self, n: N) -> &NodeImpl {
        &self.nodes[n.index()]
    }
}

impl IndexMut<N> for Store {
    fn index_mut(&mut self, n: N) -> &mut NodeImpl {
        &mut self.nodes.to_mut()[n.index()]
    }
}

impl Index<E> for Store {
    type Output = EdgeImpl;
    fn index(&self, e: E) -> &EdgeImpl {
        &self.edges()[e.index()].weight
    }
}

impl IndexMut<E> for Store {
    fn index_mut(&mut self, e: E) -> &mut EdgeImpl {
        &mut self.edges_mut()[e.index()].weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::EdgeKind;
    use crate::graph::strings::StrRef;

    fn node() -> NodeImpl {
        NodeImpl::placeholder(StrRef::default())
    }

    fn weight(origin: u32) -> EdgeImpl {
        EdgeImpl {
            kind: EdgeKind::Sync,
            optional: false,
            implicit: false,
            origin,
        }
    }

    /// Each node's edges come in the order petgraph's `Graph` gives them, self-loops and
    /// repeated edges included, and edges added after a first look are seen.
    #[test]
    fn per_node_edges_match_petgraph() {
        let mut ours = Store::default();
        let mut theirs = petgraph::Graph::<(), u32, petgraph::Directed, NodeIx>::default();
        for _ in 0..6 {
            ours.add_node(node());
            theirs.add_node(());
        }
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for k in 0..200u32 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (a, b) = (
                NodeIndex::new((rng >> 33) as usize % 6),
                NodeIndex::new((rng >> 45) as usize % 6),
            );
            assert_eq!(ours.add_edge(a, b, weight(k)), theirs.add_edge(a, b, k));
            if k % 50 == 0 || k == 199 {
                for v in ours.node_indices() {
                    for (dir, pg_dir) in [
                        (Direction::Forward, petgraph::Direction::Outgoing),
                        (Direction::Reverse, petgraph::Direction::Incoming),
                    ] {
                        let a: Vec<(u32, u32)> = ours
                            .edges_directed(v, dir)
                            .map(|e| (e.id().index() as u32, e.weight().origin))
                            .collect();
                        let b: Vec<(u32, u32)> = {
                            use petgraph::visit::EdgeRef as _;
                            theirs
                                .edges_directed(v, pg_dir)
                                .map(|e| (e.id().index() as u32, *e.weight()))
                                .collect()
                        };
                        assert_eq!(a, b);
                        let a: Vec<N> = ours.neighbors_directed(v, dir).collect();
                        let b: Vec<N> = theirs.neighbors_directed(v, pg_dir).collect();
                        assert_eq!(a, b);
                    }
                }
            }
        }
        assert_eq!(ours.edge_count(), theirs.edge_count());
        for e in ours.edge_indices() {
            assert_eq!(ours.edge_endpoints(e), theirs.edge_endpoints(e));
        }
    }
}
