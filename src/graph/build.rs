//! [`GraphBuilder`]: the one way in. Every source (graph files, and the discovered sources
//! later) declares nodes and edges here; the builder interns ids, merges declarations of the
//! same node from several files, records where everything came from, validates, and freezes
//! the result into a [`DependencyGraph`].
//!
//! Merging rules: the same id in two files is one node; a key given by both files must have
//! the same value (else `conflicting-attribute`); the same id twice in one file is
//! `duplicate-node`; an edge to an id no file declares is `dangling-edge`. Problems are
//! collected as [`Finding`]s rather than stopping at the first, so `blast check` can report
//! all of them; [`GraphBuilder::finish`] refuses a graph with any error.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use petgraph::graph::{EdgeIndex, NodeIndex};

use super::strings::{Arena, ArenaFull, Interner, Range32, StrRef};
use super::{DependencyGraph, EdgeImpl, EdgeKind, Inner, NodeImpl, NodeKind, Origin, Tier};
use crate::codes::{Code, Finding, Location, Severity};
use crate::error::{Error, Result};
use crate::sources::locate::{Needle, locate};

mod layers;
pub use layers::NetworkPolicySpec;

const NONE: u32 = u32::MAX;

/// A document: one file (or one part of a file) fed to the builder. Findings point at it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DocId(u32);

/// One node declaration, as a graph file (or any source) states it. Unset keys are `None`.
#[derive(Clone, Debug, Default)]
pub struct NodeSpec<'a> {
    /// The node's id.
    pub id: Cow<'a, str>,
    /// Its kind (`service` when no file says; `module` when it is `part_of` something).
    pub kind: Option<NodeKind>,
    /// Criticality tier.
    pub tier: Option<Tier>,
    /// Whether customers use it directly.
    pub customer_facing: Option<bool>,
    /// Owning teams or people.
    pub owners: Option<Vec<Cow<'a, str>>>,
    /// Globs of the files it owns.
    pub paths: Option<Vec<Cow<'a, str>>>,
    /// The service this module belongs to.
    pub part_of: Option<Cow<'a, str>>,
}

/// A node declaration borrowed from its source (see [`NodeSpec`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeRef<'s> {
    pub(crate) id: &'s str,
    pub(crate) kind: Option<NodeKind>,
    pub(crate) tier: Option<Tier>,
    pub(crate) customer_facing: Option<bool>,
    pub(crate) owners: Option<&'s [Cow<'s, str>]>,
    pub(crate) paths: Option<&'s [Cow<'s, str>]>,
    pub(crate) part_of: Option<&'s str>,
}

/// One edge declaration: `from` depends on `to`.
#[derive(Clone, Debug)]
pub struct EdgeSpec<'a> {
    /// The dependent.
    pub from: Cow<'a, str>,
    /// What it depends on.
    pub to: Cow<'a, str>,
    /// The kind; when unset, `build` for a module and `sync` otherwise.
    pub kind: Option<EdgeKind>,
    /// The dependent degrades gracefully without it.
    pub optional: bool,
}

/// Which docs set each attribute of a node (for conflict messages).
#[derive(Clone, Copy)]
struct NodeState {
    declared: u32,
    last_declared: u32,
    referenced: u32,
    kind: u32,
    tier: u32,
    customer_facing: u32,
    part_of: u32,
    owners: u32,
    paths: u32,
}

impl Default for NodeState {
    fn default() -> Self {
        NodeState {
            declared: NONE,
            last_declared: NONE,
            referenced: NONE,
            kind: NONE,
            tier: NONE,
            customer_facing: NONE,
            part_of: NONE,
            owners: NONE,
            paths: NONE,
        }
    }
}

/// A finding whose line is found later, from the file's text.
struct Pending {
    finding: Finding,
    doc: Option<u32>,
    needle: Option<Needle>,
}

/// What loading found besides the graph: warnings and notes (errors fail the load).
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Non-fatal findings from loading.
    pub findings: Vec<Finding>,
}

/// Builds a [`DependencyGraph`]. See the module docs for the merging rules.
pub struct GraphBuilder {
    inner: Inner,
    strings: Arena,
    ids: Interner,
    owners: Interner,
    states: Vec<NodeState>,
    owner_list: Vec<StrRef>,
    path_list: Vec<StrRef>,
    extra_origins: Vec<(u32, u32)>,
    origins: Vec<Origin>,
    doc_origin: Vec<u32>,
    default_kind: Vec<EdgeIndex<super::NodeIx>>,
    part_of: Vec<(u32, u32)>,
    pending: Vec<Pending>,
    /// Ids that are empty or only whitespace (`blank-id` errors).
    blank: Vec<u32>,
    full: bool,
    /// Discovered declarations waiting for the overlays, aliases, removals (see `layers`).
    layers: layers::Layers,
}

impl Default for GraphBuilder {
    fn default() -> Self {
        GraphBuilder::new()
    }
}

/// ## Building
impl GraphBuilder {
    /// An empty builder.
    pub fn new() -> GraphBuilder {
        GraphBuilder::with_capacity(0, 0)
    }

    /// An empty builder with room for `nodes` nodes and `edges` edges.
    pub fn with_capacity(nodes: usize, edges: usize) -> GraphBuilder {
        GraphBuilder {
            inner: Inner::with_capacity(nodes, edges),
            strings: Arena::default(),
            ids: Interner::with_capacity(nodes),
            owners: Interner::with_capacity(16),
            states: Vec::with_capacity(nodes),
            owner_list: Vec::new(),
            path_list: Vec::with_capacity(nodes),
            extra_origins: Vec::new(),
            origins: Vec::new(),
            doc_origin: Vec::new(),
            default_kind: Vec::new(),
            part_of: Vec::new(),
            pending: Vec::new(),
            blank: Vec::new(),
            full: false,
            layers: layers::Layers::default(),
        }
    }

    /// Starts a document read from `file` by the source `source` (`graph`, `compose`, …).
    pub fn begin_document(&mut self, source: &str, file: &Path) -> DocId {
        let origin = self.add_origin(Origin {
            source: source.to_string(),
            file: file.to_path_buf(),
            line: None,
            evidence: None,
            attributes: Vec::new(),
        });
        self.doc_origin.push(origin);
        self.layers.note_document(source);
        DocId(self.doc_origin.len() as u32 - 1)
    }

    /// Reserves room for more nodes, edges and bytes of strings (sources that know their
    /// size call this). Room reserved but never used costs address space, not memory: the
    /// pages are not touched. Room too small costs a copy of everything into fresh pages.
    pub fn reserve(&mut self, nodes: usize, edges: usize, string_bytes: usize) {
        self.inner.reserve_nodes(nodes);
        self.inner.reserve_edges(edges);
        self.states.reserve(nodes);
        self.path_list.reserve(nodes);
        self.strings.reserve(string_bytes);
        self.ids.reserve(&self.strings, nodes);
    }

    /// The rooms of the lists a large load fills (see [`backing`](super::backing)).
    pub(crate) fn rooms(&self) -> Vec<super::backing::Room> {
        use super::backing::Room;
        let mut rooms = self.inner.rooms().to_vec();
        rooms.extend([
            Room::of_vec(&self.states),
            self.strings.room(),
            self.ids.room(),
            Room::of_vec(&self.path_list),
            Room::of_vec(&self.owner_list),
            Room::of_vec(&self.part_of),
        ]);
        rooms
    }

    fn add_origin(&mut self, o: Origin) -> u32 {
        self.origins.push(o);
        self.origins.len() as u32 - 1
    }

    fn doc_file(&self, doc: u32) -> &Path {
        &self.origins[self.doc_origin[doc as usize] as usize].file
    }

    fn intern_node(&mut self, id: &str) -> u32 {
        match self.ids.intern(&mut self.strings, id) {
            Ok((ix, is_new)) => {
                if is_new {
                    self.inner
                        .add_node(NodeImpl::placeholder(self.ids.str_ref(ix)));
                    self.states.push(NodeState::default());
                    // Stops at the first visible character: one byte for almost every id.
                    if id.trim().is_empty() {
                        self.blank.push(ix);
                    }
                }
                ix
            }
            Err(ArenaFull) => {
                self.full = true;
                0
            }
        }
    }

    fn push_str(&mut self, s: &str) -> StrRef {
        match self.strings.push(s) {
            Ok(r) => r,
            Err(ArenaFull) => {
                self.full = true;
                StrRef::default()
            }
        }
    }

    fn conflict(&mut self, doc: u32, other: u32, id: &str, key: &str, old: String, new: String) {
        let mut finding = Finding::new(
            Code::ConflictingAttribute,
            format!(
                "node '{id}': key '{key}' is {new} here but {old} in {}",
                self.doc_file(other).display()
            ),
        )
        .with_nodes([id]);
        finding.related = Some(Location::file(self.doc_file(other)));
        self.pending.push(Pending {
            finding,
            doc: Some(doc),
            needle: Some(Needle::declaration(id)),
        });
    }

    /// Declares a node (or adds attributes to one another file declared).
    pub fn add_node(&mut self, doc: DocId, spec: NodeSpec<'_>) {
        if self.buffers(doc) {
            return self.buffer_node(doc, spec);
        }
        self.add_node_ref(
            doc,
            NodeRef {
                id: &spec.id,
                kind: spec.kind,
                tier: spec.tier,
                customer_facing: spec.customer_facing,
                owners: spec.owners.as_deref(),
                paths: spec.paths.as_deref(),
                part_of: spec.part_of.as_deref(),
            },
        );
    }

    /// [`add_node`](Self::add_node) from borrowed parts (no allocation per node).
    pub(crate) fn add_node_ref(&mut self, doc: DocId, spec: NodeRef<'_>) {
        debug_assert!(
            !self.buffers(doc),
            "discovered sources declare through add_node"
        );
        let d = doc.0;
        let ix = self.intern_node(spec.id);
        if self.full {
            return;
        }
        let id: &str = spec.id;
        let state = self.states[ix as usize];
        if state.last_declared == d {
            self.pending.push(Pending {
                finding: Finding::new(
                    Code::DuplicateNode,
                    format!("node '{id}' is declared twice in this file"),
                )
                .with_nodes([id]),
                doc: Some(d),
                needle: Some(Needle::declaration(id).nth(1)),
            });
            return;
        }
        {
            let st = &mut self.states[ix as usize];
            if st.declared == NONE {
                st.declared = d;
            } else {
                self.extra_origins.push((ix, self.doc_origin[d as usize]));
            }
            st.last_declared = d;
        }
        let nix = NodeIndex::new(ix as usize);

        if let Some(kind) = spec.kind {
            let (prev, old) = (state.kind, self.inner[nix].kind());
            if prev == NONE {
                self.inner[nix].set_kind(kind);
                self.states[ix as usize].kind = d;
            } else if old != kind {
                self.conflict(d, prev, id, "kind", format!("'{old}'"), format!("'{kind}'"));
            }
        }
        if let Some(tier) = spec.tier {
            let (prev, old) = (state.tier, self.inner[nix].tier());
            if prev == NONE {
                self.inner[nix].set_tier(Some(tier));
                self.states[ix as usize].tier = d;
            } else if old != Some(tier) {
                let old = old.map_or("unset".to_string(), |t| t.to_string());
                self.conflict(d, prev, id, "tier", old, tier.to_string());
            }
        }
        if let Some(cf) = spec.customer_facing {
            let (prev, old) = (state.customer_facing, self.inner[nix].customer_facing());
            if prev == NONE {
                self.inner[nix].set_customer_facing(cf);
                self.states[ix as usize].customer_facing = d;
            } else if old != cf {
                self.conflict(
                    d,
                    prev,
                    id,
                    "customer_facing",
                    old.to_string(),
                    cf.to_string(),
                );
            }
        }
        if let Some(owners) = spec.owners {
            let prev = state.owners;
            if prev == NONE {
                let start = self.owner_list.len();
                for o in owners {
                    match self.owners.intern(&mut self.strings, o) {
                        Ok((oi, _)) => self.owner_list.push(self.owners.str_ref(oi)),
                        Err(ArenaFull) => self.full = true,
                    }
                }
                self.inner[nix].owners = Range32::new(start, self.owner_list.len() - start);
                self.states[ix as usize].owners = d;
            } else {
                let old: Vec<&str> = self.owner_list[self.inner[nix].owners.range()]
                    .iter()
                    .map(|&r| self.strings.get(r))
                    .collect();
                // Owners are a set: the same people in another order agree.
                let new: std::collections::BTreeSet<&str> = owners.iter().map(|o| &**o).collect();
                if old
                    .iter()
                    .copied()
                    .collect::<std::collections::BTreeSet<_>>()
                    != new
                {
                    let old = format!("{old:?}");
                    let new = format!("{:?}", owners.iter().map(|o| &**o).collect::<Vec<_>>());
                    self.conflict(d, prev, id, "owners", old, new);
                }
            }
        }
        if let Some(paths) = spec.paths {
            let prev = state.paths;
            if prev == NONE {
                let start = self.path_list.len();
                for p in paths {
                    let r = self.push_str(p);
                    self.path_list.push(r);
                }
                self.inner[nix].paths = Range32::new(start, self.path_list.len() - start);
                self.states[ix as usize].paths = d;
            } else {
                let old: Vec<&str> = self.path_list[self.inner[nix].paths.range()]
                    .iter()
                    .map(|&r| self.strings.get(r))
                    .collect();
                if old.iter().copied().ne(paths.iter().map(|o| &**o)) {
                    let old = format!("{old:?}");
                    let new = format!("{:?}", paths.iter().map(|o| &**o).collect::<Vec<_>>());
                    self.conflict(d, prev, id, "paths", old, new);
                }
            }
        }
        if let Some(parent) = spec.part_of {
            let prev = state.part_of;
            let pix = self.intern_reference(parent, d);
            if self.full {
                return;
            }
            if prev == NONE {
                self.inner[nix].set_part_of(Some(super::NodeIx(pix)));
                self.states[ix as usize].part_of = d;
                self.part_of.push((pix, ix));
            } else {
                let old = self.inner[nix].part_of().expect("part_of set with its doc");
                if old.raw() != pix {
                    let old = format!("'{}'", self.strings.get(self.ids.str_ref(old.raw())));
                    self.conflict(d, prev, id, "part_of", old, format!("'{parent}'"));
                }
            }
        }
    }

    /// Declares an edge: `spec.from` depends on `spec.to`.
    pub fn add_edge(&mut self, doc: DocId, spec: EdgeSpec<'_>) {
        let origin = self.doc_origin[doc.0 as usize];
        self.add_edge_with_origin(doc, origin, spec);
    }

    /// Declares an edge derived from some evidence in the document (kept as provenance).
    pub fn add_edge_with_evidence(&mut self, doc: DocId, spec: EdgeSpec<'_>, evidence: String) {
        let base = &self.origins[self.doc_origin[doc.0 as usize] as usize];
        let origin = Origin {
            source: base.source.clone(),
            file: base.file.clone(),
            line: None,
            evidence: Some(evidence),
            attributes: Vec::new(),
        };
        let origin = self.add_origin(origin);
        self.add_edge_with_origin(doc, origin, spec);
    }

    fn add_edge_with_origin(&mut self, doc: DocId, origin: u32, spec: EdgeSpec<'_>) {
        if self.buffers(doc) {
            return self.buffer_edge(doc, origin, spec);
        }
        let a = self.intern_reference(&spec.from, doc.0);
        let b = self.intern_reference(&spec.to, doc.0);
        if self.full {
            return;
        }
        self.push_edge(a, b, spec.kind, spec.optional, origin);
    }

    /// Interns an id seen as a reference; a new id remembers the document that first
    /// referenced it (for the `dangling-edge` report if no file ever declares it).
    fn intern_reference(&mut self, id: &str, doc: u32) -> u32 {
        let before = self.states.len();
        let ix = self.intern_node(id);
        if self.states.len() > before {
            self.states[ix as usize].referenced = doc;
        }
        ix
    }

    fn push_edge(&mut self, a: u32, b: u32, kind: Option<EdgeKind>, optional: bool, origin: u32) {
        let e = self.inner.add_edge(
            NodeIndex::new(a as usize),
            NodeIndex::new(b as usize),
            EdgeImpl {
                kind: kind.unwrap_or(EdgeKind::Sync),
                optional,
                implicit: false,
                origin,
            },
        );
        if kind.is_none() {
            self.default_kind.push(e);
        }
    }

    /// Whether nothing has been declared yet, and no document but the current one begun (a
    /// discovered source's declarations wait in `layers` without touching the graph).
    pub(crate) fn is_empty(&self) -> bool {
        self.states.is_empty() && self.inner.edge_count() == 0 && self.doc_origin.len() <= 1
    }

    /// The indices of ids already seen (`u32::MAX` for the others), appended to `out`,
    /// without interning them: read-only, for parallel loaders that resolve many edges at
    /// once, in batches that overlap their memory reads.
    pub(crate) fn lookup_batch(&self, ids: &[&str], out: &mut Vec<u32>) {
        self.ids.get_batch(&self.strings, ids, out);
    }

    /// Asks the memory for the id table's slot of `id`, without waiting: a loader about to
    /// declare many nodes calls it a few nodes ahead.
    #[inline]
    pub(crate) fn prefetch_id(&self, id: &str) {
        self.ids.prefetch(id);
    }

    /// Declares an edge between two ids already resolved with
    /// [`lookup_batch`](Self::lookup_batch).
    #[inline]
    pub(crate) fn add_edge_resolved(
        &mut self,
        doc: DocId,
        from: u32,
        to: u32,
        kind: Option<EdgeKind>,
        optional: bool,
    ) {
        debug_assert!(
            !self.buffers(doc),
            "discovered sources declare through add_edge"
        );
        let origin = self.doc_origin[doc.0 as usize];
        self.push_edge(from, to, kind, optional, origin);
    }

    /// Validates and freezes the graph. Fails with every error found
    /// ([`Error::InvalidGraph`]); warnings and notes come back in the [`LoadReport`].
    ///
    /// # Errors
    /// Dangling references, duplicate ids, conflicting attributes, invalid globs.
    pub fn finish(self) -> Result<(DependencyGraph, LoadReport)> {
        let (graph, findings) = self.finish_lenient()?;
        let (mut errors, rest): (Vec<_>, Vec<_>) = findings
            .into_iter()
            .partition(|f| f.severity == Severity::Error);
        errors.sort_by(|a, b| a.location.cmp(&b.location));
        if !errors.is_empty() {
            return Err(Error::InvalidGraph { findings: errors });
        }
        Ok((graph, LoadReport { findings: rest }))
    }

    /// Freezes the graph even when it has errors: dangling edges are dropped, the first of
    /// two conflicting values is kept. Every problem comes back as a finding, for
    /// `blast check`.
    ///
    /// # Errors
    /// Only when the graph cannot be represented at all (over 4 GiB of strings).
    pub fn finish_lenient(mut self) -> Result<(DependencyGraph, Vec<Finding>)> {
        let _t = crate::timing::Phase::start("finish graph");
        self.apply_layers();
        if self.full {
            return Err(Error::Usage(
                "the graph holds more than 4 GiB of ids, owners and paths; split it".into(),
            ));
        }
        // Ids nobody could name or read: an empty one merges every nameless entry.
        for &i in &self.blank {
            let id = self.strings.get(self.ids.str_ref(i)).to_string();
            let st = self.states[i as usize];
            let doc = if st.declared != NONE {
                st.declared
            } else {
                st.referenced
            };
            self.pending.push(Pending {
                finding: Finding::new(Code::BlankId, format!("the node id '{id}' is blank"))
                    .with_nodes([id.clone()]),
                doc: (doc != NONE).then_some(doc),
                needle: Some(Needle::text(&format!("\"{id}\""))),
            });
        }
        // Nodes that were referenced but never declared.
        let undeclared: Vec<u32> = (0..self.states.len() as u32)
            .filter(|&i| self.states[i as usize].declared == NONE)
            .collect();
        for &i in &undeclared {
            let id = self.strings.get(self.ids.str_ref(i)).to_string();
            if id.trim().is_empty() {
                // Reported once, as `blank-id` above.
                continue;
            }
            let doc = self.states[i as usize].referenced;
            let dependents: std::collections::BTreeSet<String> = self
                .inner
                .neighbors_directed(NodeIndex::new(i as usize), super::Direction::Reverse)
                .map(|n| self.strings.get(self.inner[n].id).to_string())
                .collect();
            let parts: std::collections::BTreeSet<String> = self
                .part_of
                .iter()
                .filter(|(p, _)| *p == i)
                .map(|&(_, c)| {
                    let n = NodeIndex::new(c as usize);
                    self.strings.get(self.inner[n].id).to_string()
                })
                .collect();
            // Every referrer is named (a few, then how many more), each by how it refers.
            let names = |set: &std::collections::BTreeSet<String>| {
                let shown: Vec<String> = set.iter().take(3).map(|r| format!("'{r}'")).collect();
                match set.len() {
                    n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
                    _ => shown.join(" and "),
                }
            };
            let mut clauses = Vec::new();
            if !dependents.is_empty() {
                let verb = if dependents.len() == 1 {
                    "depends"
                } else {
                    "depend"
                };
                clauses.push(format!("{} {verb} on '{id}'", names(&dependents)));
            }
            if !parts.is_empty() {
                let verb = if parts.len() == 1 { "is" } else { "are" };
                clauses.push(format!("{} {verb} part of '{id}'", names(&parts)));
            }
            let msg = if clauses.is_empty() {
                format!("'{id}' is referenced but no graph file declares it")
            } else {
                format!("{}, which no graph file declares", clauses.join("; "))
            };
            let referrers: Vec<String> = dependents.union(&parts).cloned().collect();
            let mut nodes = vec![id.clone()];
            nodes.extend(referrers);
            self.pending.push(Pending {
                finding: Finding::new(Code::DanglingEdge, msg)
                    .with_nodes(nodes)
                    .with_help(format!(
                        "declare a node with id '{id}', or fix the reference if it is a typo"
                    )),
                doc: (doc != NONE).then_some(doc),
                needle: Some(Needle::reference(&id)),
            });
        }
        {
            let _t = crate::timing::Phase::start("check globs");
            self.check_globs();
        }
        if !undeclared.is_empty() {
            self.drop_nodes(&undeclared);
        }
        // Resolve default edge kinds and node kinds.
        for &(_, c) in &self.part_of {
            if self.states[c as usize].kind == NONE {
                self.inner[NodeIndex::new(c as usize)].set_kind(NodeKind::Module);
            }
        }
        for e in std::mem::take(&mut self.default_kind) {
            if let Some((a, _)) = self.inner.edge_endpoints(e)
                && self.inner[a].kind() == NodeKind::Module
            {
                self.inner[e].kind = EdgeKind::Build;
            }
        }
        // Implicit part_of edges: service → module, kind build.
        for (p, c) in std::mem::take(&mut self.part_of) {
            let st = self.states[c as usize];
            let origin = self.doc_origin[st.part_of as usize];
            self.inner.add_edge(
                NodeIndex::new(p as usize),
                NodeIndex::new(c as usize),
                EdgeImpl {
                    kind: EdgeKind::Build,
                    optional: false,
                    implicit: true,
                    origin,
                },
            );
        }
        // Node origins: the first declaring doc, then any others.
        let mut extra = std::mem::take(&mut self.extra_origins);
        extra.sort_unstable();
        let mut origin_list = Vec::with_capacity(self.states.len() + extra.len());
        let mut k = 0;
        for i in 0..self.states.len() {
            let start = origin_list.len();
            origin_list.push(self.doc_origin[self.states[i].declared as usize]);
            while k < extra.len() && extra[k].0 as usize == i {
                origin_list.push(extra[k].1);
                k += 1;
            }
            self.inner[NodeIndex::new(i)].origins = Range32::new(start, origin_list.len() - start);
        }
        let findings = self.resolve_findings();
        let provenance = self.take_provenance();
        self.strings.shrink_to_fit();
        let graph = DependencyGraph {
            inner: self.inner,
            strings: self.strings,
            ids: Some(self.ids),
            sorted: Default::default(),
            owner_list: self.owner_list.into(),
            path_list: self.path_list.into(),
            origin_list,
            origins: self.origins,
            reverse: Default::default(),
            forward: Default::default(),
            id_order: Default::default(),
            ratings: Default::default(),
            provenance,
        };
        Ok((graph, findings))
    }

    /// Every `paths` entry must be a valid glob.
    fn check_globs(&mut self) {
        use rayon::prelude::*;
        let this = &*self;
        let bad: Vec<(u32, String, String)> = (0..this.states.len() as u32)
            .into_par_iter()
            .flat_map_iter(|i| {
                let node = &this.inner[NodeIndex::new(i as usize)];
                this.path_list[node.paths.range()]
                    .iter()
                    .filter_map(move |&r| {
                        let p = this.strings.get(r);
                        crate::changes::ownership::validate_glob(p)
                            .err()
                            .map(|e| (i, p.to_string(), e))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for (i, glob, err) in bad {
            let id = self.strings.get(self.ids.str_ref(i)).to_string();
            self.pending.push(Pending {
                finding: Finding::new(
                    Code::InvalidGlob,
                    format!("node '{id}': invalid glob '{glob}' in 'paths': {err}"),
                )
                .with_nodes([id.as_str()])
                .with_help("fix the glob: `*` matches within one directory, `**` across directories, `{a,b}` alternatives, `[abc]` classes"),
                doc: Some(self.states[i as usize].paths),
                needle: Some(Needle::text(&glob)),
            });
        }
    }

    /// Removes placeholder nodes (referenced, never declared) and every edge touching them.
    fn drop_nodes(&mut self, drop: &[u32]) {
        let drop_set: std::collections::HashSet<u32> = drop.iter().copied().collect();
        let map = self.ids.retain(&self.strings, |i| !drop_set.contains(&i));
        let old = std::mem::replace(
            &mut self.inner,
            Inner::with_capacity(map.len() - drop.len(), 0),
        );
        let (nodes, edges) = old.into_nodes_edges();
        let mut states = Vec::with_capacity(nodes.len() - drop.len());
        for (i, n) in nodes.into_iter().enumerate() {
            if map[i] != NONE {
                let mut w = n;
                w.set_part_of(
                    w.part_of()
                        .and_then(|p| (map[p.idx()] != NONE).then(|| super::NodeIx(map[p.idx()]))),
                );
                self.inner.add_node(w);
                states.push(self.states[i]);
            }
        }
        self.states = states;
        let default: std::collections::HashSet<usize> =
            self.default_kind.iter().map(|e| e.index()).collect();
        let mut new_default = Vec::new();
        for (k, e) in edges.into_iter().enumerate() {
            let (a, b) = (map[e.source().index()], map[e.target().index()]);
            if a != NONE && b != NONE {
                let ne = self.inner.add_edge(
                    NodeIndex::new(a as usize),
                    NodeIndex::new(b as usize),
                    e.weight,
                );
                if default.contains(&k) {
                    new_default.push(ne);
                }
            }
        }
        self.default_kind = new_default;
        self.part_of = self
            .part_of
            .iter()
            .filter(|&&(p, c)| map[p as usize] != NONE && map[c as usize] != NONE)
            .map(|&(p, c)| (map[p as usize], map[c as usize]))
            .collect();
        self.extra_origins = self
            .extra_origins
            .iter()
            .filter(|&&(n, _o)| map[n as usize] != NONE)
            .map(|&(n, o)| (map[n as usize], o))
            .collect();
    }

    /// Gives each pending finding its file, line and column (reading each file once).
    fn resolve_findings(&mut self) -> Vec<Finding> {
        let mut by_doc: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (k, p) in self.pending.iter().enumerate() {
            if let Some(d) = p.doc {
                by_doc.entry(d).or_default().push(k);
            }
        }
        for (doc, ks) in by_doc {
            let file: PathBuf = self.doc_file(doc).to_path_buf();
            let text = std::fs::read(&file).ok();
            for k in ks {
                let p = &mut self.pending[k];
                let mut loc = Location::file(&file);
                if let (Some(text), Some(needle)) = (&text, &p.needle)
                    && let Some((line, col)) = locate(text, needle)
                {
                    loc.line = Some(line);
                    loc.column = Some(col);
                }
                p.finding.location = Some(loc);
            }
        }
        std::mem::take(&mut self.pending)
            .into_iter()
            .map(|p| p.finding)
            .collect()
    }
}
