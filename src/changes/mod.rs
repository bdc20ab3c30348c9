//! Changes: from what the user names (node ids or changed file paths) to the set of changed
//! nodes, each with the reason it was chosen.
//!
//! An input that is a node id is that node. Otherwise an input holding a `/` or a `.` is a
//! repository path, mapped to nodes through their `paths` globs ([`ownership`]); a path no
//! glob matches is kept in [`ChangeSet::unmapped`], never dropped. Anything else is an
//! unknown id: an error with a did-you-mean suggestion.

pub mod cargo;
pub mod codeowners;
pub mod git;
pub mod lockfile;
pub mod ownership;
pub mod repo;
pub mod rules;
pub mod topology;

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::graph::{DependencyGraph, Node};

/// One input and the nodes it maps to.
#[derive(Clone, Debug)]
pub struct ChangedInput<'g> {
    /// The input as given (a node id or a path).
    pub input: String,
    /// The nodes it maps to (empty when unmapped).
    pub nodes: Vec<Node<'g>>,
    /// Why: `node id`, or the glob that matched.
    pub reason: String,
}

/// The changed nodes of a change, with the inputs that produced them.
#[derive(Clone, Debug, Default)]
pub struct ChangeSet<'g> {
    /// Every input that mapped to at least one node, in input order.
    pub changed: Vec<ChangedInput<'g>>,
    /// Paths that no node owns.
    pub unmapped: Vec<String>,
}

impl<'g> ChangeSet<'g> {
    /// Every changed node, deduplicated, in graph order.
    pub fn nodes(&self) -> Vec<Node<'g>> {
        let mut v: Vec<Node<'g>> = self
            .changed
            .iter()
            .flat_map(|c| c.nodes.iter().copied())
            .collect();
        v.sort_by_key(|n| n.ix());
        v.dedup();
        v
    }
}

/// Maps inputs to nodes; builds the ownership index only when a path needs it.
pub struct Resolver<'g> {
    graph: &'g DependencyGraph,
    ownership: OnceLock<ownership::Ownership>,
}

impl<'g> Resolver<'g> {
    /// A resolver over `graph`.
    pub fn new(graph: &'g DependencyGraph) -> Resolver<'g> {
        Resolver {
            graph,
            ownership: OnceLock::new(),
        }
    }

    /// The ownership index.
    pub fn ownership(&self) -> &ownership::Ownership {
        self.ownership
            .get_or_init(|| ownership::Ownership::new(self.graph))
    }

    /// Resolves node ids and paths into a [`ChangeSet`].
    ///
    /// # Errors
    /// [`Error::UnknownNode`] for an input that is neither a node id nor a path.
    pub fn resolve<S: AsRef<str>>(&self, inputs: &[S]) -> Result<ChangeSet<'g>> {
        let mut set = ChangeSet::default();
        for input in inputs {
            let input = input.as_ref();
            if let Some(node) = self.graph.node(input) {
                set.changed.push(ChangedInput {
                    input: input.to_string(),
                    nodes: vec![node],
                    reason: "node id".to_string(),
                });
            } else if input.contains('/') || input.contains('.') {
                let owners = self.ownership().owners(self.graph, input);
                if owners.is_empty() {
                    set.unmapped.push(input.to_string());
                } else {
                    let reason = owners
                        .iter()
                        .map(|o| format!("glob '{}' of {}", o.glob, o.node.id()))
                        .collect::<Vec<_>>()
                        .join("; ");
                    set.changed.push(ChangedInput {
                        input: input.to_string(),
                        nodes: owners.into_iter().map(|o| o.node).collect(),
                        reason,
                    });
                }
            } else {
                return Err(Error::UnknownNode {
                    id: input.to_string(),
                    suggestions: self
                        .graph
                        .suggest(input, 3)
                        .into_iter()
                        .map(String::from)
                        .collect(),
                });
            }
        }
        Ok(set)
    }
}
