//! Compressed sparse row adjacency, derived once from the petgraph graph.
//!
//! Walking petgraph's linked edge lists touches memory all over the edge array; a walk over
//! a million nodes wants each node's neighbours next to each other. A [`Csr`] stores, for
//! every node in one [`Direction`](super::Direction), its neighbours sorted by index
//! (duplicates of the same neighbour and edge class removed), with each edge's *class*: its
//! kind and `optional` flag packed in a byte, so a policy can turn classes into strengths
//! with one table lookup.
//!
//! `Csr` has no petgraph `IntoNeighborsDirected` (petgraph's own `Csr` doesn't either), so
//! it is its own structure; [`DependencyGraph::verify`](super::DependencyGraph::verify)
//! checks it against the graph.

use super::{DependencyGraph, Direction, EdgeKind};
use petgraph::visit::EdgeRef;

/// Number of distinct edge classes (`EdgeKind` × optional).
pub(crate) const CLASSES: usize = 16;

/// The class byte of an edge.
#[inline]
pub(crate) fn class_of(kind: EdgeKind, optional: bool) -> u8 {
    let k = EdgeKind::ALL
        .iter()
        .position(|&x| x == kind)
        .expect("kind is in ALL") as u8;
    (k << 1) | optional as u8
}

/// The kind and `optional` flag packed in a class byte.
pub(crate) fn class_parts(class: u8) -> (EdgeKind, bool) {
    (EdgeKind::ALL[(class >> 1) as usize], class & 1 == 1)
}

/// Adjacency of every node in one direction.
#[derive(Debug, Clone)]
pub(crate) struct Csr {
    /// `offsets[v]..offsets[v + 1]` indexes `targets` and `classes`.
    offsets: Vec<u32>,
    targets: Vec<u32>,
    classes: Vec<u8>,
}

impl Csr {
    /// Builds the adjacency of `graph` for walking in `dir`.
    pub(crate) fn from_graph(graph: &DependencyGraph, dir: Direction) -> Csr {
        let n = graph.node_count();
        let inner = graph.inner();
        let mut counts = vec![0u32; n + 1];
        for e in inner.edge_references() {
            let s = match dir {
                Direction::Forward => e.source().index(),
                Direction::Reverse => e.target().index(),
            };
            counts[s + 1] += 1;
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let m = counts[n] as usize;
        let mut fill = counts.clone();
        let mut pairs = vec![0u64; m];
        for e in inner.edge_references() {
            let (s, t) = match dir {
                Direction::Forward => (e.source().index(), e.target().index()),
                Direction::Reverse => (e.target().index(), e.source().index()),
            };
            let w = e.weight();
            let slot = fill[s] as usize;
            fill[s] += 1;
            pairs[slot] = ((t as u64) << 8) | class_of(w.kind, w.optional) as u64;
        }
        drop(fill);
        // Sort and dedup each node's slice.
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::with_capacity(m);
        let mut classes = Vec::with_capacity(m);
        offsets.push(0u32);
        for v in 0..n {
            let slice = &mut pairs[counts[v] as usize..counts[v + 1] as usize];
            slice.sort_unstable();
            let mut last = u64::MAX;
            for &p in slice.iter() {
                if p != last {
                    targets.push((p >> 8) as u32);
                    classes.push((p & 0xff) as u8);
                    last = p;
                }
            }
            offsets.push(targets.len() as u32);
        }
        targets.shrink_to_fit();
        classes.shrink_to_fit();
        Csr {
            offsets,
            targets,
            classes,
        }
    }

    /// The raw arrays (for the compiled-graph cache).
    pub(crate) fn parts(&self) -> (&[u32], &[u32], &[u8]) {
        (&self.offsets, &self.targets, &self.classes)
    }

    /// Rebuilds from raw arrays, checking they describe adjacency over `n` nodes.
    pub(crate) fn from_parts(
        offsets: Vec<u32>,
        targets: Vec<u32>,
        classes: Vec<u8>,
        n: usize,
    ) -> Option<Csr> {
        let ok = offsets.len() == n + 1
            && offsets.first() == Some(&0)
            && offsets.last().map(|&l| l as usize) == Some(targets.len())
            && targets.len() == classes.len()
            && offsets.windows(2).all(|w| w[0] <= w[1])
            && targets.iter().all(|&t| (t as usize) < n)
            && classes
                .iter()
                .all(|&c| (c as usize) < CLASSES && ((c >> 1) as usize) < EdgeKind::ALL.len());
        ok.then_some(Csr {
            offsets,
            targets,
            classes,
        })
    }

    /// The neighbours of `v` and the class of the edge to each.
    #[inline]
    pub(crate) fn neighbors(&self, v: u32) -> impl ExactSizeIterator<Item = (u32, u8)> + '_ {
        let (a, b) = self.bounds(v);
        self.targets[a..b]
            .iter()
            .copied()
            .zip(self.classes[a..b].iter().copied())
    }

    #[inline(always)]
    pub(crate) fn bounds(&self, v: u32) -> (usize, usize) {
        (
            self.offsets[v as usize] as usize,
            self.offsets[v as usize + 1] as usize,
        )
    }

    /// Number of nodes.
    pub(crate) fn node_count(&self) -> usize {
        self.offsets.len() - 1
    }

    #[inline(always)]
    pub(crate) fn targets(&self) -> &[u32] {
        &self.targets
    }

    #[inline(always)]
    pub(crate) fn classes(&self) -> &[u8] {
        &self.classes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_trip() {
        for &k in EdgeKind::ALL {
            for opt in [false, true] {
                let c = class_of(k, opt);
                assert!((c as usize) < CLASSES);
                assert_eq!(class_parts(c), (k, opt));
            }
        }
    }
}
