//! Topology changes: when a change edits the graph sources themselves, what it does to the
//! graph — nodes and edges added and removed, node attributes changed, and above all **new
//! paths into tier-0 or customer-facing nodes**.
//!
//! The caller builds the graph at the base and at the head with the normal loaders (from
//! files materialized with `git show`, see [`materialize`]) and hands both to
//! [`Topology::compare`]. Nodes are matched by id, edges by `(from, to, kind, optional)`.
//!
//! A new path is a pair (dependency `b` of an added edge, reached node `T`) such that, under
//! the policy's strengths, a change to `b` reaches the tier-0 or customer-facing node `T` in
//! the head graph but did not in the base graph (or `b` or `T` is new). Each is reported with
//! the strongest head path from `b` to `T`, in the same direction as impact paths: each arrow
//! reads "is depended on by".
//!
//! A changed graph source maps to the nodes whose declarations changed: added nodes, the
//! dependents of added and removed edges, and nodes whose kind, tier, `customer_facing` or
//! `part_of` changed (as a build tool marks a target whose BUILD file changed).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::Result;
use crate::graph::reach::{Strengths, Walker};
use crate::graph::{DependencyGraph, EdgeKind, Node, NodeIx};

use super::git::{Git, Tree};

/// An edge added or removed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EdgeChange {
    /// The dependent.
    pub from: String,
    /// What it depends on.
    pub to: String,
    /// The kind.
    pub kind: EdgeKind,
    /// Whether it is optional.
    pub optional: bool,
}

/// A node whose attributes changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeChange {
    /// The node.
    pub id: String,
    /// What changed: `tier 0 → 2`, `customer_facing false → true`, …
    pub changes: Vec<String>,
}

/// A propagation path that the change creates into a tier-0 or customer-facing node.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPath {
    /// The path, the new dependency first and the reached node last.
    pub nodes: Vec<String>,
    /// `hops[i]` joins `nodes[i]` and `nodes[i + 1]`: the kind and whether it is optional.
    pub hops: Vec<(EdgeKind, bool)>,
    /// The product of the hops' strengths.
    pub strength: f64,
    /// The reached node's tier.
    pub tier: Option<u8>,
    /// Whether the reached node is customer-facing.
    pub customer_facing: bool,
}

impl NewPath {
    /// The reached node.
    pub fn target(&self) -> &str {
        self.nodes.last().map_or("", String::as_str)
    }

    /// Whether it reaches a tier-0 node.
    pub fn into_tier0(&self) -> bool {
        self.tier == Some(0)
    }

    /// `synchronous` when every hop is a required sync call, else the distinct kinds
    /// (`build, async`), with `optional` when any hop is.
    pub fn kinds_label(&self) -> String {
        if self.hops.iter().all(|&(k, o)| k == EdgeKind::Sync && !o) {
            return "synchronous".to_string();
        }
        let mut kinds: Vec<&str> = Vec::new();
        for (k, _) in &self.hops {
            if !kinds.contains(&k.as_str()) {
                kinds.push(k.as_str());
            }
        }
        let mut s = kinds.join(", ");
        if self.hops.iter().any(|h| h.1) {
            s.push_str(", optional");
        }
        s
    }
}

/// What a change does to the graph.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topology {
    /// The base side (`1a2b3c4d5e6f`).
    pub base: String,
    /// The head side (`the working tree`, `the index`, or a commit).
    pub head: String,
    /// The changed graph sources (repository paths).
    pub sources: Vec<String>,
    /// Node ids new in the head.
    pub added_nodes: Vec<String>,
    /// Node ids gone from the head.
    pub removed_nodes: Vec<String>,
    /// Nodes whose kind, tier, `customer_facing` or `part_of` changed.
    pub changed_nodes: Vec<NodeChange>,
    /// Edges new in the head (not counting the implicit `part_of` edges).
    pub added_edges: Vec<EdgeChange>,
    /// Edges gone from the head.
    pub removed_edges: Vec<EdgeChange>,
    /// New paths into tier-0 or customer-facing nodes, tier 0 first.
    pub new_paths: Vec<NewPath>,
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct EdgeKey {
    from: String,
    to: String,
    kind: EdgeKind,
    optional: bool,
    implicit: bool,
}

fn edge_keys(g: &DependencyGraph) -> BTreeSet<EdgeKey> {
    g.dependencies()
        .map(|d| EdgeKey {
            from: d.from().id().to_string(),
            to: d.to().id().to_string(),
            kind: d.kind(),
            optional: d.optional(),
            implicit: d.is_implicit(),
        })
        .collect()
}

fn attrs(n: Node<'_>) -> [(&'static str, String); 4] {
    [
        ("kind", n.kind().as_str().to_string()),
        (
            "tier",
            n.tier().map_or("none".to_string(), |t| t.to_string()),
        ),
        ("customer_facing", n.customer_facing().to_string()),
        (
            "part_of",
            n.part_of()
                .map_or("none".to_string(), |p| p.id().to_string()),
        ),
    ]
}

fn critical(n: Node<'_>) -> bool {
    n.customer_facing() || n.tier().map(|t| t.get()) == Some(0)
}

impl Topology {
    /// Compares the graph at the base with the graph at the head.
    ///
    /// Complexity: one walk of the head graph per distinct dependency of an added edge, and
    /// one of the base graph for each of those that already existed.
    pub fn compare(
        base: &DependencyGraph,
        head: &DependencyGraph,
        strengths: &Strengths,
    ) -> Topology {
        let mut t = Topology::default();
        let base_ids: BTreeSet<&str> = base.nodes().map(|n| n.id().as_str()).collect();
        let head_ids: BTreeSet<&str> = head.nodes().map(|n| n.id().as_str()).collect();
        t.added_nodes = head_ids
            .difference(&base_ids)
            .map(|s| s.to_string())
            .collect();
        t.removed_nodes = base_ids
            .difference(&head_ids)
            .map(|s| s.to_string())
            .collect();
        for id in head_ids.intersection(&base_ids) {
            let (a, b) = (
                base.node(id).expect("in base"),
                head.node(id).expect("in head"),
            );
            let changes: Vec<String> = attrs(a)
                .iter()
                .zip(attrs(b).iter())
                .filter(|(x, y)| x.1 != y.1)
                .map(|(x, y)| format!("{} {} → {}", x.0, x.1, y.1))
                .collect();
            if !changes.is_empty() {
                t.changed_nodes.push(NodeChange {
                    id: id.to_string(),
                    changes,
                });
            }
        }
        let (be, he) = (edge_keys(base), edge_keys(head));
        let added: Vec<&EdgeKey> = he.difference(&be).collect();
        let to_change = |k: &&EdgeKey| EdgeChange {
            from: k.from.clone(),
            to: k.to.clone(),
            kind: k.kind,
            optional: k.optional,
        };
        t.added_edges = added
            .iter()
            .filter(|k| !k.implicit)
            .map(to_change)
            .collect();
        t.removed_edges = be
            .difference(&he)
            .filter(|k| !k.implicit)
            .map(|k| to_change(&k))
            .collect();
        t.new_paths = new_paths(base, head, strengths, &added);
        t
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added_nodes.is_empty()
            && self.removed_nodes.is_empty()
            && self.changed_nodes.is_empty()
            && self.added_edges.is_empty()
            && self.removed_edges.is_empty()
    }

    /// The head nodes whose declarations changed (see the module docs), in id order.
    pub fn touched<'g>(&self, head: &'g DependencyGraph) -> Vec<Node<'g>> {
        let mut ids: BTreeSet<&str> = BTreeSet::new();
        ids.extend(self.added_nodes.iter().map(String::as_str));
        ids.extend(self.changed_nodes.iter().map(|c| c.id.as_str()));
        ids.extend(self.added_edges.iter().map(|e| e.from.as_str()));
        ids.extend(self.removed_edges.iter().map(|e| e.from.as_str()));
        ids.into_iter().filter_map(|id| head.node(id)).collect()
    }

    /// A one-line summary: `added node recs-v2; added edge checkout → recs-v2 (sync)`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.added_nodes.iter().map(|n| format!("added node {n}")));
        parts.extend(
            self.removed_nodes
                .iter()
                .map(|n| format!("removed node {n}")),
        );
        parts.extend(
            self.changed_nodes
                .iter()
                .map(|c| format!("{}: {}", c.id, c.changes.join(", "))),
        );
        parts.extend(
            self.added_edges
                .iter()
                .map(|e| format!("added edge {}", edge_label(e))),
        );
        parts.extend(
            self.removed_edges
                .iter()
                .map(|e| format!("removed edge {}", edge_label(e))),
        );
        const SHOWN: usize = 4;
        if parts.len() > SHOWN {
            let more = parts.len() - SHOWN;
            parts.truncate(SHOWN);
            parts.push(format!("and {more} more"));
        }
        parts.join("; ")
    }
}

/// `from → to (kind[, optional])`.
pub fn edge_label(e: &EdgeChange) -> String {
    format!(
        "{} → {} ({}{})",
        e.from,
        e.to,
        e.kind,
        if e.optional { ", optional" } else { "" }
    )
}

fn new_paths(
    base: &DependencyGraph,
    head: &DependencyGraph,
    strengths: &Strengths,
    added: &[&EdgeKey],
) -> Vec<NewPath> {
    let deps: BTreeSet<&str> = added
        .iter()
        .filter(|k| strengths.of(k.kind, k.optional) > 0.0)
        .map(|k| k.to.as_str())
        .collect();
    if deps.is_empty() {
        return Vec::new();
    }
    let mut head_walker = Walker::new(head);
    let mut base_walker = Walker::new(base);
    let mut out: BTreeMap<(u8, String, String), NewPath> = BTreeMap::new();
    for b in deps {
        let Some(hb) = head.node(b) else { continue };
        let walk = head_walker.walk(head, strengths, &[hb.ix()]);
        let candidates: Vec<(Node<'_>, Vec<u32>, f64)> = walk
            .order()
            .iter()
            .map(|&v| head.node_ix(NodeIx::from_usize(v as usize)))
            .filter(|n| critical(*n) && n.id().as_str() != b)
            .map(|n| {
                (
                    n,
                    walk.strongest_path(n.ix().raw()),
                    walk.strength(n.ix().raw()),
                )
            })
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let base_reach: Option<Vec<bool>> = base.node(b).map(|bb| {
            let w = base_walker.walk(base, strengths, &[bb.ix()]);
            (0..base.node_count() as u32)
                .map(|v| w.reached(v))
                .collect()
        });
        for (target, path, strength) in candidates {
            let existed = match (&base_reach, base.node(target.id().as_str())) {
                (Some(reach), Some(bt)) => reach[bt.ix().idx()],
                _ => false,
            };
            if existed {
                continue;
            }
            let nodes: Vec<Node<'_>> = path
                .iter()
                .map(|&v| head.node_ix(NodeIx::from_usize(v as usize)))
                .collect();
            let hops = nodes
                .windows(2)
                .map(|w| strongest_edge(w[1], w[0], strengths))
                .collect();
            let tier = target.tier().map(|t| t.get());
            let np = NewPath {
                nodes: nodes.iter().map(|n| n.id().to_string()).collect(),
                hops,
                strength,
                tier,
                customer_facing: target.customer_facing(),
            };
            let key = (
                tier.unwrap_or(u8::MAX),
                target.id().to_string(),
                b.to_string(),
            );
            out.entry(key).or_insert(np);
        }
    }
    let mut v: Vec<NewPath> = out.into_values().collect();
    v.sort_by(|a, b| {
        (
            a.tier.unwrap_or(u8::MAX),
            a.nodes.len(),
            a.target(),
            &a.nodes[0],
        )
            .cmp(&(
                b.tier.unwrap_or(u8::MAX),
                b.nodes.len(),
                b.target(),
                &b.nodes[0],
            ))
    });
    v
}

/// The strongest edge by which `dependent` depends on `dependency`.
fn strongest_edge(
    dependent: Node<'_>,
    dependency: Node<'_>,
    strengths: &Strengths,
) -> (EdgeKind, bool) {
    dependent
        .dependencies()
        .filter(|d| d.to() == dependency)
        .map(|d| (d.kind(), d.optional()))
        .max_by(|a, b| strengths.of(a.0, a.1).total_cmp(&strengths.of(b.0, b.1)))
        .unwrap_or((EdgeKind::Sync, false))
}

/// Writes the graph sources `paths` (files or folders) as they are in `tree` below `dest`,
/// keeping their repository paths, and returns the root to load them from. For the working
/// tree nothing is copied: the repository root itself is returned.
///
/// # Errors
/// Git failing, or `dest` not writable.
pub fn materialize(
    git: &Git,
    tree: &Tree,
    paths: &[String],
    dest: &Path,
) -> Result<std::path::PathBuf> {
    if *tree == Tree::WorkTree {
        return Ok(git.root().to_path_buf());
    }
    git.materialize(tree, paths, dest)?;
    Ok(dest.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphBuilder;
    use crate::graph::Tier;
    use crate::graph::build::{EdgeSpec, NodeSpec};

    fn graph(
        nodes: &[(&str, Option<u8>, bool)],
        edges: &[(&str, &str, EdgeKind, bool)],
    ) -> DependencyGraph {
        let mut b = GraphBuilder::new();
        let doc = b.begin_document("graph", Path::new("g.toml"));
        for &(id, tier, cf) in nodes {
            b.add_node(
                doc,
                NodeSpec {
                    id: id.into(),
                    tier: tier.and_then(Tier::new),
                    customer_facing: Some(cf),
                    ..NodeSpec::default()
                },
            );
        }
        for &(from, to, kind, optional) in edges {
            b.add_edge(
                doc,
                EdgeSpec {
                    from: from.into(),
                    to: to.into(),
                    kind: Some(kind),
                    optional,
                },
            );
        }
        b.finish().unwrap().0
    }

    fn strengths() -> Strengths {
        crate::analysis::Policy::default().strengths()
    }

    #[test]
    fn a_new_edge_into_checkout_is_a_new_path_into_tier0() {
        use EdgeKind::*;
        let nodes = [
            ("storefront", Some(1), true),
            ("checkout", Some(0), true),
            ("search", Some(1), false),
        ];
        let base = graph(
            &nodes,
            &[
                ("storefront", "checkout", Sync, false),
                ("storefront", "search", Sync, false),
            ],
        );
        let mut head_nodes = nodes.to_vec();
        head_nodes.push(("recs-v2", Some(2), false));
        let head = graph(
            &head_nodes,
            &[
                ("storefront", "checkout", Sync, false),
                ("storefront", "search", Sync, false),
                ("checkout", "recs-v2", Sync, false),
                ("recs-v2", "search", Sync, false),
            ],
        );
        let t = Topology::compare(&base, &head, &strengths());
        assert_eq!(t.added_nodes, ["recs-v2"]);
        assert!(t.removed_nodes.is_empty());
        assert_eq!(
            t.added_edges.iter().map(edge_label).collect::<Vec<_>>(),
            ["checkout → recs-v2 (sync)", "recs-v2 → search (sync)"]
        );
        let paths: Vec<(Vec<&str>, String)> = t
            .new_paths
            .iter()
            .map(|p| {
                (
                    p.nodes.iter().map(String::as_str).collect(),
                    p.kinds_label(),
                )
            })
            .collect();
        // search already reached storefront; it newly reaches checkout through recs-v2.
        assert_eq!(
            paths,
            vec![
                (vec!["recs-v2", "checkout"], "synchronous".to_string()),
                (
                    vec!["search", "recs-v2", "checkout"],
                    "synchronous".to_string()
                ),
                (
                    vec!["recs-v2", "checkout", "storefront"],
                    "synchronous".to_string()
                ),
            ]
        );
        assert!(t.new_paths[0].into_tier0());
        let touched: Vec<&str> = t.touched(&head).iter().map(|n| n.id().as_str()).collect();
        assert_eq!(touched, ["checkout", "recs-v2"]);
        assert_eq!(
            t.summary(),
            "added node recs-v2; added edge checkout → recs-v2 (sync); added edge recs-v2 → search (sync)"
        );
    }

    #[test]
    fn edges_that_do_not_propagate_or_add_no_reach_are_not_new_paths() {
        use EdgeKind::*;
        let nodes = [
            ("api", Some(0), true),
            ("lib", None, false),
            ("tests", None, false),
        ];
        let base = graph(&nodes, &[("api", "lib", Build, false)]);
        // A dev edge never propagates; a second edge to lib adds no new reach.
        let head = graph(
            &nodes,
            &[
                ("api", "lib", Build, false),
                ("api", "tests", Dev, false),
                ("api", "lib", Sync, true),
            ],
        );
        let t = Topology::compare(&base, &head, &strengths());
        assert_eq!(t.added_edges.len(), 2);
        assert!(t.new_paths.is_empty(), "{:?}", t.new_paths);
    }

    #[test]
    fn attribute_changes_and_removals() {
        use EdgeKind::*;
        let base = graph(
            &[("a", Some(0), true), ("b", None, false), ("c", None, false)],
            &[("a", "b", Sync, false), ("a", "c", Sync, false)],
        );
        let head = graph(
            &[("a", Some(2), false), ("b", None, false)],
            &[("a", "b", Async, false)],
        );
        let t = Topology::compare(&base, &head, &strengths());
        assert_eq!(t.removed_nodes, ["c"]);
        assert_eq!(
            t.changed_nodes,
            vec![NodeChange {
                id: "a".into(),
                changes: vec!["tier 0 → 2".into(), "customer_facing true → false".into()]
            }]
        );
        assert_eq!(
            t.removed_edges.iter().map(edge_label).collect::<Vec<_>>(),
            ["a → b (sync)", "a → c (sync)"]
        );
        assert_eq!(
            t.added_edges.iter().map(edge_label).collect::<Vec<_>>(),
            ["a → b (async)"]
        );
        assert!(t.new_paths.is_empty());
        assert!(!t.is_empty());
        assert!(Topology::compare(&base, &base, &strengths()).is_empty());
    }
}
