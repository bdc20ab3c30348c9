//! Graphs built in code for unit tests.

use super::build::{EdgeSpec, NodeSpec};
use super::{DependencyGraph, EdgeKind, GraphBuilder, Tier};

/// One node of a test graph: its id, whether it is customer-facing, its tier, and the node
/// it calls synchronously (optional when the flag says so).
pub(crate) struct TestNode {
    pub id: String,
    pub customer_facing: bool,
    pub tier: Option<u8>,
    pub calls: Option<(String, bool)>,
}

/// A graph of these nodes (in order) and their calls.
pub(crate) fn graph_of(nodes: impl IntoIterator<Item = TestNode>) -> DependencyGraph {
    let mut b = GraphBuilder::new();
    let doc = b.begin_document("graph", "g.json".as_ref());
    for n in nodes {
        b.add_node(
            doc,
            NodeSpec {
                id: n.id.clone().into(),
                customer_facing: Some(n.customer_facing),
                tier: n.tier.map(|t| Tier::new(t).expect("a valid tier")),
                ..NodeSpec::default()
            },
        );
        if let Some((to, optional)) = n.calls {
            let spec = EdgeSpec {
                from: n.id.into(),
                to: to.into(),
                kind: Some(EdgeKind::Sync),
                optional,
            };
            b.add_edge(doc, spec);
        }
    }
    b.finish().expect("a valid test graph").0
}
