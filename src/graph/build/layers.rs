//! Source precedence: discovered sources below, graph files (overlays) on top.
//!
//! Declarations from discovered sources (Cargo, Compose, Kubernetes, Backstage, traces) are
//! buffered as they arrive and replayed when the graph is finished, after every graph file
//! has been read. That makes precedence independent of load order:
//!
//! * **aliases** from graph files apply to every discovered declaration, so one service
//!   named `productcatalogservice` in Kubernetes and `product-catalog` in Compose is one
//!   node;
//! * **`remove_edges`** from graph files drop matching discovered edges (each removal is
//!   kept as provenance; one that matches nothing is a warning);
//! * a node attribute a graph file set **wins**: the discovered value is dropped silently;
//! * two discovered sources giving one node different values is a
//!   [`Code::ConflictingSources`] warning; the first source's value is kept (sources load
//!   in a fixed order, so the result is deterministic);
//! * edges from several sources stay parallel edges, each with its own origin.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use petgraph::graph::NodeIndex;

use super::{DocId, EdgeSpec, GraphBuilder, NONE, NodeSpec, Pending};
use crate::codes::{Code, Finding, Location};
use crate::graph::provenance::{
    Evidence, NATIVE_SOURCE, NetworkPolicy, Provenance, Removal, RemovedEdge,
};
use crate::graph::{EdgeImpl, Origin};
use crate::sources::locate::Needle;

/// A network policy as a source declares it (node ids before aliases).
#[derive(Clone, Debug, Default)]
pub struct NetworkPolicySpec {
    /// `namespace/name`.
    pub name: String,
    /// The 1-based line of the policy in the document's file.
    pub line: Option<u32>,
    /// The nodes whose ingress it controls.
    pub selects: Vec<String>,
    /// The nodes it lets in (`None`: any source).
    pub allows_from: Option<Vec<String>>,
}

enum Decl {
    Node {
        doc: u32,
        spec: NodeSpec<'static>,
    },
    Edge {
        doc: u32,
        origin: u32,
        spec: EdgeSpec<'static>,
    },
}

/// What the builder keeps for precedence and provenance.
#[derive(Default)]
pub(super) struct Layers {
    /// For each document: whether it comes from a discovered source.
    discovered: Vec<bool>,
    buffered: Vec<Decl>,
    replaying: bool,
    /// (doc, canonical id, alias)
    aliases: Vec<(u32, String, String)>,
    removals: Vec<(u32, Removal)>,
    policies: Vec<(u32, NetworkPolicySpec)>,
    provenance: Provenance,
}

fn owned(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

fn owned_list(v: Option<Vec<Cow<'_, str>>>) -> Option<Vec<Cow<'static, str>>> {
    v.map(|v| v.into_iter().map(owned).collect())
}

fn owned_node(spec: NodeSpec<'_>) -> NodeSpec<'static> {
    NodeSpec {
        id: owned(spec.id),
        kind: spec.kind,
        tier: spec.tier,
        customer_facing: spec.customer_facing,
        owners: owned_list(spec.owners),
        paths: owned_list(spec.paths),
        part_of: spec.part_of.map(owned),
    }
}

fn owned_edge(spec: EdgeSpec<'_>) -> EdgeSpec<'static> {
    EdgeSpec {
        from: owned(spec.from),
        to: owned(spec.to),
        kind: spec.kind,
        optional: spec.optional,
    }
}

impl Layers {
    /// Records a new document's source kind (documents are numbered in order).
    pub(super) fn note_document(&mut self, source: &str) {
        self.discovered.push(source != NATIVE_SOURCE);
    }
}

/// ## Sources and overlays
impl GraphBuilder {
    /// Whether `doc` comes from a discovered source (anything but a graph file).
    fn is_discovered(&self, doc: u32) -> bool {
        self.origins[self.doc_origin[doc as usize] as usize].source != NATIVE_SOURCE
    }

    fn source_of(&self, doc: u32) -> &str {
        &self.origins[self.doc_origin[doc as usize] as usize].source
    }

    /// Whether declarations in `doc` are buffered (discovered sources, until replay).
    #[inline]
    pub(super) fn buffers(&self, doc: DocId) -> bool {
        !self.layers.replaying && self.layers.discovered[doc.0 as usize]
    }

    /// Buffers a discovered node declaration.
    pub(super) fn buffer_node(&mut self, doc: DocId, spec: NodeSpec<'_>) {
        self.layers.buffered.push(Decl::Node {
            doc: doc.0,
            spec: owned_node(spec),
        });
    }

    /// Buffers a discovered edge declaration.
    pub(super) fn buffer_edge(&mut self, doc: DocId, origin: u32, spec: EdgeSpec<'_>) {
        self.layers.buffered.push(Decl::Edge {
            doc: doc.0,
            origin,
            spec: owned_edge(spec),
        });
    }

    /// Declares an edge a source derived from `evidence` (kept as the edge's provenance,
    /// with its file, line and attributes).
    pub fn add_derived_edge(&mut self, doc: DocId, spec: EdgeSpec<'_>, evidence: Evidence) {
        let base = &self.origins[self.doc_origin[doc.0 as usize] as usize];
        let origin = Origin {
            source: base.source.clone(),
            file: evidence.file.unwrap_or_else(|| base.file.clone()),
            line: evidence.line,
            evidence: Some(evidence.text),
            attributes: evidence.attributes,
        };
        let origin = self.add_origin(origin);
        self.add_edge_with_origin(doc, origin, spec);
    }

    /// Makes `alias` another name of node `id`: every discovered declaration or reference
    /// of `alias` means `id`. Given by graph files (`aliases`).
    pub fn add_alias(&mut self, doc: DocId, id: &str, alias: &str) {
        self.layers
            .aliases
            .push((doc.0, id.to_string(), alias.to_string()));
    }

    /// Removes the discovered edges matching `removal` (given by graph files,
    /// `remove_edges`).
    pub fn remove_edges(&mut self, doc: DocId, removal: Removal) {
        self.layers.removals.push((doc.0, removal));
    }

    /// Records a network policy as evidence of allowed traffic.
    pub fn add_network_policy(&mut self, doc: DocId, policy: NetworkPolicySpec) {
        self.layers.policies.push((doc.0, policy));
    }

    /// Records a finding a source made while reading (it carries its own location).
    pub fn add_finding(&mut self, finding: Finding) {
        self.pending.push(Pending {
            finding,
            doc: None,
            needle: None,
        });
    }

    fn push_pending(&mut self, finding: Finding, doc: u32, needle: Needle) {
        self.pending.push(Pending {
            finding,
            doc: Some(doc),
            needle: Some(needle),
        });
    }

    /// Validates the aliases and returns alias → canonical id.
    fn alias_map(&mut self) -> HashMap<String, String> {
        let decls = std::mem::take(&mut self.layers.aliases);
        let canonical: std::collections::HashSet<&str> =
            decls.iter().map(|(_, id, _)| id.as_str()).collect();
        let mut map: HashMap<String, (String, u32)> = HashMap::new();
        let mut bad = Vec::new();
        for (doc, id, alias) in &decls {
            let problem = if alias == id {
                Some(format!("node '{id}' lists itself as an alias"))
            } else if canonical.contains(alias.as_str()) {
                Some(format!(
                    "'{alias}' is an alias of '{id}' but also has aliases of its own; give all names to one node"
                ))
            } else if let Some((other, _)) = map.get(alias).filter(|(o, _)| o != id) {
                Some(format!(
                    "'{alias}' is an alias of both '{other}' and '{id}'; an alias names one node"
                ))
            } else {
                None
            };
            match problem {
                Some(msg) => bad.push((*doc, alias.clone(), id.clone(), msg)),
                None => {
                    map.insert(alias.clone(), (id.clone(), *doc));
                }
            }
        }
        for (doc, alias, id, msg) in bad {
            self.push_pending(
                Finding::new(Code::InvalidAlias, msg).with_nodes([id.as_str(), alias.as_str()]),
                doc,
                Needle::text(&alias),
            );
        }
        let mut out = HashMap::with_capacity(map.len());
        for (alias, (id, _)) in map {
            self.layers
                .provenance
                .aliases
                .entry(id.clone())
                .or_default()
                .push(alias.clone());
            out.insert(alias, id);
        }
        for v in self.layers.provenance.aliases.values_mut() {
            v.sort();
        }
        self.layers.aliases = decls;
        out
    }

    /// Replays the discovered declarations under the overlays' rules (see the module docs).
    pub(super) fn apply_layers(&mut self) {
        let aliases = self.alias_map();
        let resolve = |s: Cow<'static, str>| -> Cow<'static, str> {
            match aliases.get(&*s) {
                Some(c) => Cow::Owned(c.clone()),
                None => s,
            }
        };
        let mut removals: Vec<(u32, Removal, usize)> = std::mem::take(&mut self.layers.removals)
            .into_iter()
            .map(|(d, mut r)| {
                if let Some(c) = aliases.get(&r.from) {
                    r.from = c.clone();
                }
                if let Some(c) = aliases.get(&r.to) {
                    r.to = c.clone();
                }
                (d, r, 0)
            })
            .collect();
        self.layers.replaying = true;
        for decl in std::mem::take(&mut self.layers.buffered) {
            match decl {
                Decl::Node { doc, mut spec } => {
                    let original = spec.id.to_string();
                    spec.id = resolve(spec.id);
                    spec.part_of = spec.part_of.map(resolve);
                    if let Some(ix) = self.ids.get(&self.strings, &spec.id)
                        && original != *spec.id
                        && self.states[ix as usize].last_declared == doc
                    {
                        let file = self.doc_file(doc).display().to_string();
                        self.push_pending(
                            Finding::new(
                                Code::InvalidAlias,
                                format!(
                                    "'{original}' is an alias of '{}', but {file} declares both as separate nodes",
                                    spec.id
                                ),
                            )
                            .with_nodes([&*spec.id, original.as_str()]),
                            doc,
                            Needle::text(&original),
                        );
                        continue;
                    }
                    let spec = self.yield_to_earlier(doc, spec);
                    self.add_node(DocId(doc), spec);
                }
                Decl::Edge {
                    doc,
                    origin,
                    mut spec,
                } => {
                    spec.from = resolve(spec.from);
                    spec.to = resolve(spec.to);
                    let source = &self.origins[origin as usize].source;
                    let hit = removals.iter_mut().find(|(_, r, _)| {
                        r.from == spec.from
                            && r.to == spec.to
                            && r.kind.is_none_or(|k| Some(k) == spec.kind)
                            && r.source.as_deref().is_none_or(|s| s == source)
                    });
                    if let Some((rdoc, _, count)) = hit {
                        *count += 1;
                        let removed_by =
                            self.origins[self.doc_origin[*rdoc as usize] as usize].clone();
                        self.layers.provenance.removed.push(RemovedEdge {
                            from: spec.from.to_string(),
                            to: spec.to.to_string(),
                            kind: spec.kind.unwrap_or(crate::graph::EdgeKind::Sync),
                            origin: self.origins[origin as usize].clone(),
                            removed_by,
                        });
                        continue;
                    }
                    self.add_edge_with_origin(DocId(doc), origin, spec);
                }
            }
        }
        self.layers.replaying = false;
        for (doc, r, count) in removals {
            if count == 0 {
                let what = match (&r.kind, &r.source) {
                    (Some(k), Some(s)) => format!(" of kind {k} from {s}"),
                    (Some(k), None) => format!(" of kind {k}"),
                    (None, Some(s)) => format!(" from {s}"),
                    (None, None) => String::new(),
                };
                self.push_pending(
                    Finding::new(
                        Code::UnmatchedRemoval,
                        format!(
                            "remove_edges: no discovered edge '{}' -> '{}'{what} to remove",
                            r.from, r.to
                        ),
                    )
                    .with_nodes([r.from.as_str(), r.to.as_str()]),
                    doc,
                    Needle::reference(&r.to),
                );
            }
        }
        self.merge_native_aliases(&aliases);
        let policies = std::mem::take(&mut self.layers.policies);
        for (doc, p) in policies {
            let map = |v: Vec<String>| -> Vec<String> {
                let mut v: Vec<String> = v
                    .into_iter()
                    .map(|s| aliases.get(&s).cloned().unwrap_or(s))
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            let mut origin = self.origins[self.doc_origin[doc as usize] as usize].clone();
            origin.line = p.line;
            self.layers.provenance.policies.push(NetworkPolicy {
                name: p.name,
                origin,
                selects: map(p.selects),
                allows_from: p.allows_from.map(map),
            });
        }
    }

    /// Drops the attributes of a discovered declaration that an earlier declaration already
    /// set: silently when a graph file set them (overlays win), with a warning when another
    /// discovered source set a different value.
    fn yield_to_earlier(&mut self, doc: u32, mut spec: NodeSpec<'static>) -> NodeSpec<'static> {
        let Some(ix) = self.ids.get(&self.strings, &spec.id) else {
            return spec;
        };
        let st = self.states[ix as usize];
        let node = &self.inner[NodeIndex::new(ix as usize)];
        let mut conflicts: Vec<(&'static str, u32, String, String)> = Vec::new();
        let strs = |v: &[Cow<'_, str>]| format!("{:?}", v.iter().map(|s| &**s).collect::<Vec<_>>());
        if let Some(k) = spec.kind.take_if(|_| st.kind != NONE)
            && k != node.kind()
        {
            conflicts.push((
                "kind",
                st.kind,
                format!("'{}'", node.kind()),
                format!("'{k}'"),
            ));
        }
        if let Some(t) = spec.tier.take_if(|_| st.tier != NONE)
            && Some(t) != node.tier()
        {
            let old = node.tier().map_or("unset".into(), |t| t.to_string());
            conflicts.push(("tier", st.tier, old, t.to_string()));
        }
        if let Some(c) = spec.customer_facing.take_if(|_| st.customer_facing != NONE)
            && c != node.customer_facing()
        {
            conflicts.push((
                "customer_facing",
                st.customer_facing,
                node.customer_facing().to_string(),
                c.to_string(),
            ));
        }
        if let Some(o) = spec.owners.take_if(|_| st.owners != NONE) {
            let old: Vec<&str> = self.owner_list[node.owners.range()]
                .iter()
                .map(|&r| self.strings.get(r))
                .collect();
            if old.iter().copied().ne(o.iter().map(|s| &**s)) {
                conflicts.push(("owners", st.owners, format!("{old:?}"), strs(&o)));
            }
        }
        if let Some(p) = spec.paths.take_if(|_| st.paths != NONE) {
            let old: Vec<&str> = self.path_list[node.paths.range()]
                .iter()
                .map(|&r| self.strings.get(r))
                .collect();
            if old.iter().copied().ne(p.iter().map(|s| &**s)) {
                conflicts.push(("paths", st.paths, format!("{old:?}"), strs(&p)));
            }
        }
        if let Some(p) = spec.part_of.take_if(|_| st.part_of != NONE) {
            let old = node
                .part_of()
                .map(|o| self.strings.get(self.ids.str_ref(o.raw())).to_string());
            if old.as_deref() != Some(&*p) {
                conflicts.push((
                    "part_of",
                    st.part_of,
                    format!("'{}'", old.unwrap_or_default()),
                    format!("'{p}'"),
                ));
            }
        }
        for (key, prev, old, new) in conflicts {
            if !self.is_discovered(prev) {
                continue;
            }
            let msg = format!(
                "node '{}': key '{key}' is {new} in {} ({}) but {old} in {} ({}); keeping {old}",
                spec.id,
                self.source_of(doc),
                self.doc_file(doc).display(),
                self.source_of(prev),
                self.doc_file(prev).display(),
            );
            let mut f = Finding::new(Code::ConflictingSources, msg)
                .with_nodes([&*spec.id])
                .with_help(format!(
                    "set '{key}' for '{}' in a graph file (graph files win over discovered sources)",
                    spec.id
                ));
            f.related = Some(Location::file(self.doc_file(prev)));
            let needle = Needle::text(&spec.id);
            self.push_pending(f, doc, needle);
        }
        spec
    }

    /// Graph files may name an alias in their own edges: such a node is merged into the
    /// canonical one. A graph file declaring an alias as a node of its own is an error.
    fn merge_native_aliases(&mut self, aliases: &HashMap<String, String>) {
        let mut sorted: Vec<(&String, &String)> = aliases.iter().collect();
        sorted.sort();
        let mut merge: Vec<(u32, u32)> = Vec::new();
        for (alias, id) in sorted {
            let Some(x) = self.ids.get(&self.strings, alias) else {
                continue;
            };
            let st = self.states[x as usize];
            if st.declared != NONE {
                let doc = self
                    .layers
                    .aliases
                    .iter()
                    .find(|(_, i, a)| i == id && a == alias)
                    .map(|(d, _, _)| *d)
                    .unwrap_or(st.declared);
                let mut f = Finding::new(
                    Code::InvalidAlias,
                    format!(
                        "'{alias}' is an alias of '{id}', but {} declares '{alias}' as a node of its own",
                        self.doc_file(st.declared).display()
                    ),
                )
                .with_nodes([id.as_str(), alias.as_str()]);
                f.related = Some(Location::file(self.doc_file(st.declared)));
                self.push_pending(f, doc, Needle::text(alias));
                continue;
            }
            let a = self.intern_node(id);
            if self.full {
                return;
            }
            merge.push((x, a));
        }
        if merge.is_empty() {
            return;
        }
        let map: BTreeMap<u32, u32> = merge.iter().copied().collect();
        let to = |i: u32| map.get(&i).copied().unwrap_or(i);
        let moved: Vec<(usize, u32, u32, EdgeImpl)> = self
            .inner
            .edge_references()
            .filter(|e| {
                map.contains_key(&(e.source().index() as u32))
                    || map.contains_key(&(e.target().index() as u32))
            })
            .map(|e| {
                (
                    e.id().index(),
                    to(e.source().index() as u32),
                    to(e.target().index() as u32),
                    *e.weight(),
                )
            })
            .collect();
        for (old, a, b, w) in moved {
            let ne = self
                .inner
                .add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), w);
            if self.default_kind.iter().any(|e| e.index() == old) {
                self.default_kind.push(ne);
            }
        }
        for (p, _) in self.part_of.iter_mut() {
            *p = to(*p);
        }
        for i in 0..self.states.len() {
            let n = &mut self.inner[NodeIndex::new(i)];
            if let Some(p) = n.part_of()
                && let Some(&c) = map.get(&p.raw())
            {
                n.set_part_of(Some(crate::graph::NodeIx(c)));
            }
        }
        for &(x, a) in &merge {
            let r = self.states[x as usize].referenced;
            let st = &mut self.states[a as usize];
            if st.referenced == NONE {
                st.referenced = r;
            }
        }
        let xs: Vec<u32> = merge.iter().map(|&(x, _)| x).collect();
        self.drop_nodes(&xs);
    }

    /// The provenance collected while building.
    pub(super) fn take_provenance(&mut self) -> Provenance {
        std::mem::take(&mut self.layers.provenance)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::graph::{EdgeKind, Evidence, NodeKind};

    fn node(id: &str, kind: Option<NodeKind>) -> NodeSpec<'static> {
        NodeSpec {
            id: id.to_string().into(),
            kind,
            ..NodeSpec::default()
        }
    }

    fn edge(from: &str, to: &str, kind: EdgeKind) -> EdgeSpec<'static> {
        EdgeSpec {
            from: from.to_string().into(),
            to: to.to_string().into(),
            kind: Some(kind),
            optional: false,
        }
    }

    #[test]
    fn overlays_win_and_discovered_sources_conflict_with_a_warning() {
        let mut b = GraphBuilder::new();
        let compose = b.begin_document("compose", Path::new("compose.yaml"));
        let k8s = b.begin_document("k8s", Path::new("k8s.yaml"));
        let overlay = b.begin_document(NATIVE_SOURCE, Path::new("overlay.toml"));
        b.add_node(compose, node("db", Some(NodeKind::Datastore)));
        b.add_node(compose, node("api", None));
        b.add_derived_edge(
            compose,
            edge("api", "db", EdgeKind::Data),
            Evidence::new("env DB=db:5432"),
        );
        b.add_node(k8s, node("db", Some(NodeKind::Queue)));
        b.add_node(k8s, node("api-svc", None));
        b.add_derived_edge(
            k8s,
            edge("api-svc", "db", EdgeKind::Async),
            Evidence::new("env Q=db"),
        );
        // The overlay comes last but is applied first.
        b.add_node(
            overlay,
            NodeSpec {
                tier: Some(crate::graph::Tier::ZERO),
                ..node("api", Some(NodeKind::Service))
            },
        );
        b.add_alias(overlay, "api", "api-svc");
        b.remove_edges(
            overlay,
            Removal {
                from: "api-svc".into(),
                to: "db".into(),
                kind: None,
                source: Some("k8s".into()),
            },
        );
        let (g, report) = b.finish().unwrap();
        assert_eq!(g.node_count(), 2);
        assert_eq!(g.node("db").unwrap().kind(), NodeKind::Datastore);
        assert_eq!(
            g.node("api").unwrap().tier(),
            Some(crate::graph::Tier::ZERO)
        );
        assert_eq!(g.aliases("api"), ["api-svc"]);
        let edges: Vec<(String, EdgeKind, String)> = g
            .dependencies()
            .map(|d| (d.to().id().to_string(), d.kind(), d.origin().source.clone()))
            .collect();
        assert_eq!(
            edges,
            [("db".to_string(), EdgeKind::Data, "compose".to_string())]
        );
        assert_eq!(g.removed_edges().len(), 1);
        assert_eq!(g.removed_edges()[0].origin.source, "k8s");
        let codes: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::ConflictingSources]);
        assert!(
            report.findings[0]
                .message
                .contains("key 'kind' is 'queue' in k8s (k8s.yaml) but 'datastore' in compose (compose.yaml); keeping 'datastore'"),
            "{}",
            report.findings[0].message
        );
    }

    #[test]
    fn an_alias_of_a_node_the_same_source_also_declares_is_an_error() {
        let mut b = GraphBuilder::new();
        let compose = b.begin_document("compose", Path::new("compose.yaml"));
        let overlay = b.begin_document(NATIVE_SOURCE, Path::new("overlay.toml"));
        b.add_node(compose, node("a", None));
        b.add_node(compose, node("b", None));
        b.add_alias(overlay, "a", "b");
        let e = b.finish().err().unwrap().to_string();
        assert!(
            e.contains("'b' is an alias of 'a', but compose.yaml declares both as separate nodes"),
            "{e}"
        );
    }
}
