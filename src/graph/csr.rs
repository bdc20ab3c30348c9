//! Compressed sparse row adjacency, derived once from the graph's edge list.
//!
//! The graph keeps its edges in the order they were declared; a walk over a million nodes
//! wants each node's neighbours next to each other. A [`Csr`] stores, for every node in
//! one [`Direction`](super::Direction), its neighbours sorted by index
//! (duplicates of the same neighbour and edge class removed), with each edge's *class*: its
//! kind and `optional` flag packed in a byte, so a policy can turn classes into strengths
//! with one table lookup.
//!
//! `Csr` has no petgraph `IntoNeighborsDirected` (petgraph's own `Csr` doesn't either), so
//! it is its own structure; [`DependencyGraph::verify`](super::DependencyGraph::verify)
//! checks it against the graph.

use super::slab::{Slab, all_ok, non_decreasing};
use super::{DependencyGraph, Direction, EdgeKind};

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
    offsets: Slab<u32>,
    targets: Slab<u32>,
    classes: Slab<u8>,
}

impl Csr {
    /// Builds the adjacency of `graph` for walking in `dir`: a counting sort of the edges
    /// by their first node straight into the final arrays, then each node's slice sorted
    /// and deduplicated in place (no edge list the size of the graph on the side).
    pub(crate) fn from_graph(graph: &DependencyGraph, dir: Direction) -> Csr {
        let n = graph.node_count();
        let edges = graph.inner().raw_edges();
        let mut offsets = super::store::bucket_offsets(n, edges.iter().map(|e| e.ends(dir).0));
        let m = edges.len();
        let mut targets = vec![0u32; m];
        let mut classes = vec![0u8; m];
        let mut fill = offsets.clone();
        for e in edges {
            let (s, t) = e.ends(dir);
            let slot = fill[s] as usize;
            fill[s] += 1;
            targets[slot] = t as u32;
            classes[slot] = class_of(e.weight.kind, e.weight.optional);
        }
        drop(fill);
        // Sort each slice by (target, class), drop repeats, and pack the slices to the
        // left: the write position never passes the read position.
        let mut scratch: Vec<u64> = Vec::new();
        let mut w = 0usize;
        let mut a = 0usize;
        for v in 0..n {
            let b = offsets[v + 1] as usize;
            scratch.clear();
            scratch.extend(
                targets[a..b]
                    .iter()
                    .zip(&classes[a..b])
                    .map(|(&t, &c)| (t as u64) << 8 | c as u64),
            );
            scratch.sort_unstable();
            scratch.dedup();
            for &p in &scratch {
                targets[w] = (p >> 8) as u32;
                classes[w] = (p & 0xff) as u8;
                w += 1;
            }
            offsets[v + 1] = w as u32;
            a = b;
        }
        targets.truncate(w);
        classes.truncate(w);
        if w < m - m / 8 {
            // Many repeated edges: give their room back.
            targets.shrink_to_fit();
            classes.shrink_to_fit();
        }
        Csr {
            offsets: offsets.into(),
            targets: targets.into(),
            classes: classes.into(),
        }
    }

    /// The raw arrays (for the compiled-graph cache).
    pub(crate) fn parts(&self) -> (&[u32], &[u32], &[u8]) {
        (&self.offsets, &self.targets, &self.classes)
    }

    /// Rebuilds from raw arrays (owned, or read in place from a cache file), checking they
    /// describe adjacency over `n` nodes.
    pub(crate) fn from_parts(
        offsets: Slab<u32>,
        targets: Slab<u32>,
        classes: Slab<u8>,
        n: usize,
    ) -> Option<Csr> {
        let kinds = EdgeKind::ALL.len();
        let ok = offsets.len() == n + 1
            && offsets.first() == Some(&0)
            && offsets.last().map(|&l| l as usize) == Some(targets.len())
            && targets.len() == classes.len()
            && non_decreasing(&offsets)
            // Every `u32` is a node of a graph of more than `u32::MAX` nodes.
            && u32::try_from(n).map_or(true, |n| all_ok(&targets, |&t| t < n))
            // A class is below `CLASSES` and its kind (`class >> 1`) below `kinds`.
            && all_ok(&classes, |&c| (c as usize) < CLASSES.min(2 * kinds));
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

    /// Whether every array is read in place from a cache file's bytes.
    #[cfg(test)]
    pub(crate) fn in_place(&self) -> bool {
        self.offsets.in_place() && self.targets.in_place() && self.classes.in_place()
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

    /// The reader refuses any target that is not a node and any class whose kind is not
    /// one (`class_parts` would index past the kinds): a cache file must never panic.
    #[test]
    fn from_parts_refuses_targets_and_classes_out_of_range() {
        let top = (2 * EdgeKind::ALL.len() - 1) as u8;
        let csr = |targets: Vec<u32>, classes: Vec<u8>| {
            let offsets = vec![0, 1, 2, targets.len() as u32];
            Csr::from_parts(offsets.into(), targets.into(), classes.into(), 3)
        };
        let ok = csr(vec![1, 2, 0, 2], vec![0, top, 1, 2]).unwrap();
        assert_eq!(class_parts(top), (*EdgeKind::ALL.last().unwrap(), true));
        assert_eq!(ok.neighbors(2).collect::<Vec<_>>(), [(0, 1), (2, 2)]);
        assert!(
            csr(vec![1, 3, 0, 2], vec![0, 0, 0, 0]).is_none(),
            "target n"
        );
        assert!(csr(vec![1, u32::MAX, 0, 2], vec![0, 0, 0, 0]).is_none());
        for class in [top + 1, top + 2, CLASSES as u8, u8::MAX] {
            assert!(
                csr(vec![1, 2, 0, 2], vec![0, 0, class, 0]).is_none(),
                "{class}"
            );
        }
        let offsets: Vec<u32> = vec![0, 2, 1, 4];
        let back = Csr::from_parts(offsets.into(), vec![0; 4].into(), vec![0; 4].into(), 3);
        assert!(back.is_none(), "decreasing offsets");
    }

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
