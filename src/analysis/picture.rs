//! What a picture draws: the one place that selects nodes, edges and clusters for every
//! picture format (DOT, SVG, Mermaid, HTML), so the formats never disagree.
//!
//! A [`Picture`] is plain data built from the graph ([`Picture::of_graph`], for `blast
//! render`) or from an [`Impact`] ([`Picture::of_impact`], for `blast impact --format
//! dot|svg|mermaid|html`: the changed nodes, everything impacted, and the edges between
//! them). [`PictureOptions`] narrow it:
//!
//! * `focus` / `depth` / `direction`: keep only the nodes within `depth` hops of one node,
//!   walking the drawn edges towards its dependents (`up`, what a change to it reaches), its
//!   dependencies (`down`) or both;
//! * `collapse`: fold every module that is `part_of` a drawn service into that service (a
//!   service-level view). [`Collapse::Auto`], the default, folds when the picture would
//!   have more than [`AUTO_COLLAPSE_NODES`] nodes;
//! * `show_dev`: `dev` edges are hidden unless asked for.
//!
//! A picture of more than [`MAX_PICTURE_NODES`] nodes is refused with an error that says
//! how to draw less.
//!
//! Without collapsing, a service and the modules that are `part_of` it form a [`Cluster`].
//!
//! Nodes are sorted by id and edges by (from, to, kind, optional): the same input gives the
//! same picture.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;

use super::impact::Impact;
use super::policy::{Policy, Risk};
use crate::error::{Error, Result};
use crate::graph::{DependencyGraph, EdgeKind, Node, NodeKind, Tier};
use crate::report::plural;

/// Above this many nodes, [`Collapse::Auto`] folds modules into their services.
pub const AUTO_COLLAPSE_NODES: usize = 500;

/// Pictures of more nodes than this are refused (no format stays readable or fast);
/// `--focus` or `--collapse modules` draw less.
pub const MAX_PICTURE_NODES: usize = 10_000;

/// Which way `--focus` walks.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum FocusDirection {
    /// Towards dependents: what a change to the focus node reaches.
    Up,
    /// Towards dependencies: what the focus node relies on.
    Down,
    /// Both ways.
    #[default]
    Both,
}

/// Whether modules are folded into their services.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Collapse {
    /// Fold modules when the picture has more than [`AUTO_COLLAPSE_NODES`] nodes.
    #[default]
    Auto,
    /// Always fold modules into their services (a service-level view).
    Modules,
    /// Never fold.
    None,
}

/// How nodes are coloured.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Coloring {
    /// By the node's risk in an impact.
    Risk,
    /// By the node's tier (a whole-graph picture has no risk).
    Tier,
}

/// Options that narrow a picture.
#[derive(Clone, Debug, Default)]
pub struct PictureOptions {
    /// Keep only the neighbourhood of this node.
    pub focus: Option<String>,
    /// How many hops from the focus node (unlimited when `None`).
    pub depth: Option<u32>,
    /// Which way to walk from the focus node.
    pub direction: FocusDirection,
    /// Whether to fold modules into their services.
    pub collapse: Collapse,
    /// Draw `dev` edges too.
    pub show_dev: bool,
}

/// Where a node or an edge was declared.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Provenance {
    /// The kind of source (`graph`, `compose`, …).
    pub source: String,
    /// The file.
    pub file: PathBuf,
    /// What in the file produced it, for derived edges.
    pub evidence: Option<String>,
}

/// A node's place in the blast radius (impact pictures only).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeImpact {
    /// Fewest hops from a changed node.
    pub distance: u32,
    /// Strength of the strongest path.
    pub strength: f64,
    /// The node's risk.
    pub risk: Risk,
    /// The strongest path, from a changed node to this one (ids).
    pub path: Vec<String>,
}

/// One drawn node.
#[derive(Clone, Debug)]
pub struct PictureNode {
    /// The node id.
    pub id: String,
    /// Its kind.
    pub kind: NodeKind,
    /// Its tier.
    pub tier: Option<Tier>,
    /// Whether customers use it directly.
    pub customer_facing: bool,
    /// Whether it is (or, collapsed, holds) a changed node.
    pub changed: bool,
    /// Its place in the blast radius (impact pictures only).
    pub impact: Option<NodeImpact>,
    /// Owners.
    pub owners: Vec<String>,
    /// Path globs.
    pub paths: Vec<String>,
    /// Where it was declared.
    pub origins: Vec<Provenance>,
    /// The service it belongs to, when that service is drawn (its index in
    /// [`Picture::nodes`]).
    pub part_of: Option<usize>,
    /// The ids of the modules folded into this node (collapsed pictures).
    pub folded: Vec<String>,
    /// Its place in the graph's declaration order, by which walks order a node's
    /// dependents (and so break ties between equally strong, equally short paths).
    pub rank: u32,
}

/// One drawn edge: `from` depends on `to`.
#[derive(Clone, Debug)]
pub struct PictureEdge {
    /// The dependent (index into [`Picture::nodes`]).
    pub from: usize,
    /// The dependency (index into [`Picture::nodes`]).
    pub to: usize,
    /// The edge kind.
    pub kind: EdgeKind,
    /// Whether the dependent degrades gracefully without it.
    pub optional: bool,
    /// How strongly a failure propagates along it, under the policy.
    pub strength: f64,
    /// The `service → module` edge that `part_of` implies.
    pub part_of: bool,
    /// How many graph edges this one stands for (more than 1 when modules were folded).
    pub count: usize,
    /// Where it was declared (the first declaration when folded).
    pub origin: Provenance,
}

/// A service drawn as a box around itself and its modules.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// The service (index into [`Picture::nodes`]).
    pub service: usize,
    /// The service and its modules (indices into [`Picture::nodes`]), sorted.
    pub members: Vec<usize>,
}

/// Everything a picture draws.
#[derive(Clone, Debug)]
pub struct Picture {
    /// A one-line title (`blast radius of payment`, `dependency graph`).
    pub title: String,
    /// How nodes are coloured.
    pub coloring: Coloring,
    /// The overall risk (impact pictures only).
    pub risk: Option<Risk>,
    /// Nodes, sorted by id.
    pub nodes: Vec<PictureNode>,
    /// Edges, sorted by (from id, to id, kind, optional).
    pub edges: Vec<PictureEdge>,
    /// Services with their modules, sorted by service id.
    pub clusters: Vec<Cluster>,
    /// Whether modules were folded into their services.
    pub collapsed: bool,
    /// What was left out and why, one sentence each (for a legend or a comment).
    pub notes: Vec<String>,
}

struct Selection<'g> {
    nodes: Vec<Node<'g>>,
    impact: BTreeMap<usize, (NodeImpact, bool)>,
}

impl Picture {
    /// The whole graph, coloured by tier.
    ///
    /// # Errors
    /// An unknown `focus` id.
    pub fn of_graph(
        graph: &DependencyGraph,
        policy: &Policy,
        opts: &PictureOptions,
    ) -> Result<Picture> {
        let sel = Selection {
            nodes: graph.nodes().collect(),
            impact: BTreeMap::new(),
        };
        build(
            graph,
            policy,
            opts,
            sel,
            "dependency graph".to_string(),
            Coloring::Tier,
            None,
        )
    }

    /// The blast radius of an impact (changed and reached nodes and the edges between
    /// them), coloured by risk.
    ///
    /// # Errors
    /// An unknown `focus` id, or one outside the blast radius.
    pub fn of_impact(
        impact: &Impact<'_>,
        policy: &Policy,
        opts: &PictureOptions,
    ) -> Result<Picture> {
        let graph = impact.graph();
        let mut sel = Selection {
            nodes: Vec::new(),
            impact: BTreeMap::new(),
        };
        for n in impact.impacted() {
            let node = n.node();
            sel.impact.insert(
                node.ix().idx(),
                (
                    NodeImpact {
                        distance: n.distance(),
                        strength: n.strength(),
                        risk: n.risk(),
                        path: n.path().iter().map(|p| p.id().to_string()).collect(),
                    },
                    n.is_changed(),
                ),
            );
            sel.nodes.push(node);
        }
        let subject: Vec<&str> = impact
            .changes
            .nodes()
            .iter()
            .map(|n| n.id().as_str())
            .collect();
        let title = match subject.as_slice() {
            [] => "blast radius of an empty change".to_string(),
            [one] => format!("blast radius of {one}"),
            many if many.len() <= 3 => format!("blast radius of {}", many.join(", ")),
            many => format!("blast radius of {} changed nodes", many.len()),
        };
        if let Some(f) = &opts.focus {
            let node = graph.node(f).ok_or_else(|| unknown(graph, f))?;
            if !sel.impact.contains_key(&node.ix().idx()) {
                let f = crate::report::inert(f);
                return Err(Error::Usage(format!(
                    "--focus '{f}' is not in the blast radius of this change\n  help: focus on one of the impacted nodes (see `blast impact` without --format), or use `blast render --focus {f}`"
                )));
            }
        }
        let mut picture = build(
            graph,
            policy,
            opts,
            sel,
            title,
            Coloring::Risk,
            Some(impact.risk),
        )?;
        let unmapped = &impact.changes.unmapped;
        if !unmapped.is_empty() {
            picture.notes.push(format!(
                "{} no node: {}",
                plural(unmapped.len(), "path maps to", "paths map to"),
                unmapped.join(", ")
            ));
        }
        let ignored = &impact.changes.ignored;
        if !ignored.is_empty() {
            let list: Vec<String> = ignored
                .iter()
                .map(|i| format!("{} ({})", i.input, i.reason))
                .collect();
            picture.notes.push(format!(
                "{} ignored: {}",
                plural(ignored.len(), "path", "paths"),
                list.join("; ")
            ));
        }
        Ok(picture)
    }

    /// The index of the node with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.nodes.binary_search_by(|n| n.id.as_str().cmp(id)).ok()
    }

    /// The cluster a node is drawn in, if any (index into [`Picture::clusters`]).
    pub fn cluster_of(&self, node: usize) -> Option<usize> {
        self.clusters
            .iter()
            .position(|c| c.members.binary_search(&node).is_ok())
    }
}

fn unknown(graph: &DependencyGraph, id: &str) -> Error {
    Error::UnknownNode {
        id: id.to_string(),
        suggestions: graph.suggest(id, 3).into_iter().map(String::from).collect(),
    }
}

fn provenance(o: &crate::graph::Origin) -> Provenance {
    Provenance {
        source: o.source.clone(),
        file: o.file.clone(),
        evidence: o.evidence.clone(),
    }
}

struct RawEdge {
    from: usize,
    to: usize,
    kind: EdgeKind,
    optional: bool,
    part_of: bool,
    origin: Provenance,
}

fn build(
    graph: &DependencyGraph,
    policy: &Policy,
    opts: &PictureOptions,
    sel: Selection<'_>,
    title: String,
    coloring: Coloring,
    risk: Option<Risk>,
) -> Result<Picture> {
    let mut notes = Vec::new();
    // Graph index → selected position.
    let mut slot: Vec<Option<usize>> = vec![None; graph.node_count()];
    for (i, n) in sel.nodes.iter().enumerate() {
        slot[n.ix().idx()] = Some(i);
    }
    // Edges among the selected nodes.
    let mut dev: Vec<(usize, usize)> = Vec::new();
    let mut raw: Vec<RawEdge> = Vec::new();
    for d in graph.dependencies() {
        let (Some(from), Some(to)) = (slot[d.from().ix().idx()], slot[d.to().ix().idx()]) else {
            continue;
        };
        if d.kind() == EdgeKind::Dev && !opts.show_dev {
            dev.push((from, to));
            continue;
        }
        raw.push(RawEdge {
            from,
            to,
            kind: d.kind(),
            optional: d.optional(),
            part_of: d.is_implicit(),
            origin: provenance(d.origin()),
        });
    }
    // Focus: the neighbourhood of one node over the drawn edges.
    let mut keep: Vec<bool> = vec![true; sel.nodes.len()];
    if let Some(f) = &opts.focus {
        let node = graph.node(f).ok_or_else(|| unknown(graph, f))?;
        let start = slot[node.ix().idx()].expect("the focus node is selected");
        let mut up: Vec<Vec<usize>> = vec![Vec::new(); sel.nodes.len()];
        let mut down: Vec<Vec<usize>> = vec![Vec::new(); sel.nodes.len()];
        for e in &raw {
            up[e.to].push(e.from);
            down[e.from].push(e.to);
        }
        keep = vec![false; sel.nodes.len()];
        keep[start] = true;
        let limit = opts.depth.unwrap_or(u32::MAX);
        let walks: &[&Vec<Vec<usize>>] = match opts.direction {
            FocusDirection::Up => &[&up],
            FocusDirection::Down => &[&down],
            FocusDirection::Both => &[&up, &down],
        };
        for adj in walks {
            let mut seen = vec![false; sel.nodes.len()];
            seen[start] = true;
            let mut queue = VecDeque::from([(start, 0u32)]);
            while let Some((v, d)) = queue.pop_front() {
                if d >= limit {
                    continue;
                }
                for &u in &adj[v] {
                    if !seen[u] {
                        seen[u] = true;
                        keep[u] = true;
                        queue.push_back((u, d + 1));
                    }
                }
            }
        }
        let depth = opts
            .depth
            .map_or("any number of".to_string(), |d| d.to_string());
        let dir = match opts.direction {
            FocusDirection::Up => "its dependents",
            FocusDirection::Down => "its dependencies",
            FocusDirection::Both => "its dependents and dependencies",
        };
        notes.push(format!(
            "focused on {f}: {dir} within {depth} hops ({} of {} nodes)",
            keep.iter().filter(|&&k| k).count(),
            sel.nodes.len()
        ));
    }
    let kept = keep.iter().filter(|&&k| k).count();
    // Collapse: fold modules into their drawn service.
    let collapsed = match opts.collapse {
        Collapse::Modules => true,
        Collapse::None => false,
        Collapse::Auto => kept > AUTO_COLLAPSE_NODES,
    };
    // `host[i]`: the selected node that i is drawn as (itself, or its service).
    let host: Vec<usize> = (0..sel.nodes.len())
        .map(|i| {
            let n = sel.nodes[i];
            if collapsed
                && n.kind() == NodeKind::Module
                && let Some(p) = n.part_of()
                && let Some(ps) = slot[p.ix().idx()]
                && keep[ps]
            {
                return ps;
            }
            i
        })
        .collect();
    let mut folded: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for i in 0..sel.nodes.len() {
        if keep[i] && host[i] != i {
            folded
                .entry(host[i])
                .or_default()
                .push(sel.nodes[i].id().to_string());
        }
    }
    if collapsed {
        let count: usize = folded.values().map(Vec::len).sum();
        let why = match opts.collapse {
            Collapse::Auto => format!(
                " because the picture has {kept} nodes, more than {AUTO_COLLAPSE_NODES} (pass --collapse none to draw them)"
            ),
            _ => String::new(),
        };
        if count > 0 || matches!(opts.collapse, Collapse::Auto) {
            notes.push(format!(
                "{} folded into their services{why}",
                plural(count, "module", "modules")
            ));
        }
    }
    // The drawn nodes, sorted by id.
    let mut order: Vec<usize> = (0..sel.nodes.len())
        .filter(|&i| keep[i] && host[i] == i)
        .collect();
    order.sort_by(|&a, &b| sel.nodes[a].id().cmp(sel.nodes[b].id()));
    if order.len() > MAX_PICTURE_NODES {
        return Err(Error::Usage(format!(
            "the picture would have {} nodes, more than {MAX_PICTURE_NODES}: too many to draw\n  help: draw part of it with --focus ID (and --depth N){}",
            order.len(),
            if collapsed {
                ""
            } else {
                ", or fold modules into their services with --collapse modules"
            }
        )));
    }
    let mut index: Vec<Option<usize>> = vec![None; sel.nodes.len()];
    for (pos, &i) in order.iter().enumerate() {
        index[i] = Some(pos);
    }
    let draw = |i: usize| -> Option<usize> { if keep[i] { index[host[i]] } else { None } };
    let mut nodes: Vec<PictureNode> = order
        .iter()
        .map(|&i| {
            let n = sel.nodes[i];
            let members: Vec<usize> = std::iter::once(i)
                .chain((0..sel.nodes.len()).filter(|&j| j != i && keep[j] && host[j] == i))
                .collect();
            // The member with the highest risk, then the shortest distance, speaks for the
            // drawn node; it is changed when any member is.
            let mut best: Option<&(NodeImpact, bool)> = None;
            let mut changed = false;
            for &m in &members {
                if let Some(x) = sel.impact.get(&sel.nodes[m].ix().idx()) {
                    changed |= x.1;
                    best = match best {
                        Some(b)
                            if (b.0.risk, std::cmp::Reverse(b.0.distance))
                                >= (x.0.risk, std::cmp::Reverse(x.0.distance)) =>
                        {
                            Some(b)
                        }
                        _ => Some(x),
                    };
                }
            }
            PictureNode {
                id: n.id().to_string(),
                kind: n.kind(),
                tier: n.tier(),
                customer_facing: n.customer_facing(),
                changed,
                impact: best.map(|b| b.0.clone()),
                owners: n.owners().map(String::from).collect(),
                paths: n.paths().map(String::from).collect(),
                origins: n.origins().map(provenance).collect(),
                part_of: None,
                folded: folded.get(&i).cloned().unwrap_or_default(),
                rank: n.ix().idx() as u32,
            }
        })
        .collect();
    for (pos, &i) in order.iter().enumerate() {
        if let Some(p) = sel.nodes[i].part_of()
            && let Some(ps) = slot[p.ix().idx()]
            && let Some(pp) = draw(ps)
            && pp != pos
        {
            nodes[pos].part_of = Some(pp);
        }
    }
    // Edges between drawn nodes, folded ones merged.
    let strengths = policy.strengths();
    let mut merged: BTreeMap<(usize, usize, EdgeKind, bool), PictureEdge> = BTreeMap::new();
    for e in raw {
        let (Some(from), Some(to)) = (draw(e.from), draw(e.to)) else {
            continue;
        };
        if from == to && (host[e.from] != e.from || host[e.to] != e.to) {
            continue; // an edge inside a folded service
        }
        merged
            .entry((from, to, e.kind, e.optional))
            .and_modify(|m| m.count += 1)
            .or_insert(PictureEdge {
                from,
                to,
                kind: e.kind,
                optional: e.optional,
                strength: strengths.of(e.kind, e.optional),
                part_of: e.part_of,
                count: 1,
                origin: e.origin,
            });
    }
    let edges: Vec<PictureEdge> = merged.into_values().collect();
    let dev_hidden = dev
        .iter()
        .filter(|&&(a, b)| matches!((draw(a), draw(b)), (Some(x), Some(y)) if x != y))
        .count();
    if dev_hidden > 0 {
        notes.insert(
            0,
            format!(
                "{} hidden (pass --show-dev to draw them)",
                plural(dev_hidden, "dev edge", "dev edges")
            ),
        );
    }
    // Clusters: a service and its drawn modules.
    let mut clusters: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if n.kind == NodeKind::Module
            && let Some(p) = n.part_of
        {
            clusters.entry(p).or_default().extend([p, i]);
        }
    }
    let clusters = clusters
        .into_iter()
        .map(|(service, members)| Cluster {
            service,
            members: members.into_iter().collect(),
        })
        .collect();
    Ok(Picture {
        title,
        coloring,
        risk,
        nodes,
        edges,
        clusters,
        collapsed,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;
    use crate::changes::Resolver;
    use crate::graph::GraphBuilder;

    fn shop() -> DependencyGraph {
        let mut b = GraphBuilder::new();
        crate::sources::load_graph_file(&mut b, "graphs/shop.toml".as_ref()).unwrap();
        b.finish().unwrap().0
    }

    fn ids(p: &Picture) -> Vec<&str> {
        p.nodes.iter().map(|n| n.id.as_str()).collect()
    }

    #[test]
    fn impact_picture_holds_the_blast_radius_and_the_edges_between() {
        let g = shop();
        let mut a = Analyzer::new(&g, Policy::default());
        let impact = a.impact(Resolver::new(&g).resolve(&["payment"]).unwrap());
        let p =
            Picture::of_impact(&impact, &Policy::default(), &PictureOptions::default()).unwrap();
        assert_eq!(ids(&p), ["checkout", "mobile-bff", "payment", "storefront"]);
        let edges: Vec<(&str, &str)> = p
            .edges
            .iter()
            .map(|e| (p.nodes[e.from].id.as_str(), p.nodes[e.to].id.as_str()))
            .collect();
        assert_eq!(
            edges,
            [
                ("checkout", "payment"),
                ("mobile-bff", "checkout"),
                ("storefront", "checkout")
            ]
        );
        assert!(p.nodes[2].changed);
        assert_eq!(p.risk, Some(Risk::Critical));
        assert_eq!(p.title, "blast radius of payment");
    }

    #[test]
    fn render_clusters_modules_and_collapse_folds_them() {
        let g = shop();
        let p = Picture::of_graph(&g, &Policy::default(), &PictureOptions::default()).unwrap();
        assert_eq!(p.nodes.len(), 37);
        let payment = p.index_of("payment").unwrap();
        let core = p.index_of("payment-core").unwrap();
        assert_eq!(p.clusters.len(), 1);
        assert_eq!(p.clusters[0].service, payment);
        assert_eq!(p.clusters[0].members, vec![payment, core]);
        assert!(p.edges.iter().all(|e| e.kind != EdgeKind::Dev));
        assert!(p.notes[0].contains("dev edges hidden"), "{:?}", p.notes);

        let opts = PictureOptions {
            collapse: Collapse::Modules,
            ..Default::default()
        };
        let p = Picture::of_graph(&g, &Policy::default(), &opts).unwrap();
        assert_eq!(p.nodes.len(), 36);
        assert!(p.index_of("payment-core").is_none());
        let payment = &p.nodes[p.index_of("payment").unwrap()];
        assert_eq!(payment.folded, ["payment-core"]);
        // payment-core's money-lib edge now starts at payment (merged with payment's own).
        assert!(p.clusters.is_empty());
        assert!(p.collapsed);
    }

    #[test]
    fn a_folded_changed_module_marks_its_service() {
        let g = shop();
        let mut a = Analyzer::new(&g, Policy::default());
        let impact = a.impact(Resolver::new(&g).resolve(&["payment-core"]).unwrap());
        let opts = PictureOptions {
            collapse: Collapse::Modules,
            ..Default::default()
        };
        let p = Picture::of_impact(&impact, &Policy::default(), &opts).unwrap();
        assert_eq!(ids(&p), ["checkout", "mobile-bff", "payment", "storefront"]);
        let payment = &p.nodes[p.index_of("payment").unwrap()];
        assert!(payment.changed);
        assert_eq!(payment.folded, ["payment-core"]);
        let i = payment.impact.as_ref().unwrap();
        assert_eq!((i.risk, i.distance), (Risk::Critical, 1));
        // Unfolded, the module sits in its service's cluster.
        let p =
            Picture::of_impact(&impact, &Policy::default(), &PictureOptions::default()).unwrap();
        assert_eq!(p.clusters.len(), 1);
        assert_eq!(p.clusters[0].members.len(), 2);
        assert!(p.nodes[p.index_of("payment-core").unwrap()].changed);
    }

    #[test]
    fn focus_walks_the_drawn_edges() {
        let g = shop();
        let opts = PictureOptions {
            focus: Some("payment".into()),
            depth: Some(1),
            direction: FocusDirection::Up,
            ..Default::default()
        };
        let p = Picture::of_graph(&g, &Policy::default(), &opts).unwrap();
        assert_eq!(ids(&p), ["checkout", "payment"]);
        let opts = PictureOptions {
            focus: Some("payment".into()),
            depth: Some(1),
            direction: FocusDirection::Down,
            ..Default::default()
        };
        let p = Picture::of_graph(&g, &Policy::default(), &opts).unwrap();
        assert_eq!(
            ids(&p),
            [
                "fraud",
                "http-client",
                "logging",
                "money-lib",
                "payment",
                "payment-core",
                "payment-gateway",
                "payments-db"
            ]
        );
        let bad = PictureOptions {
            focus: Some("paymnt".into()),
            ..Default::default()
        };
        let e = Picture::of_graph(&g, &Policy::default(), &bad).unwrap_err();
        assert!(
            e.to_string().contains("did you mean one of: 'payment'"),
            "{e}"
        );
    }
}
