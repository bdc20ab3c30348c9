//! Provenance beyond each node's and edge's [`Origin`]: the aliases that
//! made differently named services one node, the discovered edges an overlay removed, and
//! the network policies read as evidence (not as edges).
//!
//! Sources describe their derived edges with an [`Evidence`]: what in which file (and on
//! which line) produced the edge, plus typed [`AttrValue`] attributes (a Cargo platform,
//! trace call counts). The builder keeps all of it, so `blast graph` can show why every edge
//! exists and `blast check` can compare declared, observed and allowed traffic.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Serialize, Serializer};

use super::{EdgeKind, Origin};

/// The source kind of native graph files. Graph files are overlays: their values win over
/// every discovered source (Cargo, Compose, Kubernetes, Backstage, traces).
pub const NATIVE_SOURCE: &str = "graph";

/// A typed attribute of a derived edge.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttrValue {
    /// Text (a platform `cfg(unix)`, a profile list).
    Text(String),
    /// A count (calls, errors).
    Count(u64),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Text(s) => f.write_str(s),
            AttrValue::Count(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for AttrValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AttrValue::Text(t) => s.serialize_str(t),
            AttrValue::Count(n) => s.serialize_u64(*n),
        }
    }
}

/// Why a source derived an edge: the text that produced it and where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// What produced the edge, readable: `environment CART_ADDR=cart:7070`.
    pub text: String,
    /// The file holding the evidence, when it is not the document's own file (a Compose
    /// override file, an included file).
    pub file: Option<PathBuf>,
    /// The 1-based line of the evidence.
    pub line: Option<u32>,
    /// Source-specific attributes.
    pub attributes: Vec<(String, AttrValue)>,
}

impl Evidence {
    /// Evidence with only its text.
    pub fn new(text: impl Into<String>) -> Evidence {
        Evidence {
            text: text.into(),
            ..Evidence::default()
        }
    }
    /// Sets the file and line.
    pub fn at(mut self, file: impl Into<PathBuf>, line: Option<u32>) -> Evidence {
        self.file = Some(file.into());
        self.line = line;
        self
    }
    /// Adds an attribute.
    pub fn with(mut self, key: &str, value: AttrValue) -> Evidence {
        self.attributes.push((key.to_string(), value));
        self
    }
}

/// A `remove_edges` entry of a graph file: drops matching edges that discovered sources
/// derived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    /// The dependent.
    pub from: String,
    /// What it depends on.
    pub to: String,
    /// Only edges of this kind (all kinds when `None`).
    pub kind: Option<EdgeKind>,
    /// Only edges from this source kind (`compose`, `k8s`, …; all when `None`).
    pub source: Option<String>,
}

/// A discovered edge that an overlay removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovedEdge {
    /// The dependent (after aliases).
    pub from: String,
    /// What it depended on (after aliases).
    pub to: String,
    /// Its kind.
    pub kind: EdgeKind,
    /// Where the edge came from.
    pub origin: Origin,
    /// The graph file whose `remove_edges` removed it.
    pub removed_by: Origin,
}

/// A Kubernetes NetworkPolicy, as evidence of which traffic is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// `namespace/name` of the policy.
    pub name: String,
    /// Where it was declared.
    pub origin: Origin,
    /// The nodes whose ingress it controls (they accept only allowed traffic).
    pub selects: Vec<String>,
    /// The nodes it lets in; `None` means any source.
    pub allows_from: Option<Vec<String>>,
}

/// Provenance that is not a node or an edge.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    /// Canonical id → the other names it was known by.
    pub(crate) aliases: BTreeMap<String, Vec<String>>,
    /// Discovered edges removed by overlays.
    pub(crate) removed: Vec<RemovedEdge>,
    /// Network policies read as evidence.
    pub(crate) policies: Vec<NetworkPolicy>,
}

impl Provenance {
    /// The canonical id an alias names.
    pub(crate) fn canonical(&self, alias: &str) -> Option<&str> {
        if self.aliases.is_empty() {
            return None;
        }
        self.aliases
            .iter()
            .find(|(_, v)| v.iter().any(|a| a == alias))
            .map(|(id, _)| id.as_str())
    }
}

/// ## Provenance
impl super::DependencyGraph {
    /// Other names of node `id` (given as `aliases` in a graph file), sorted.
    pub fn aliases(&self, id: &str) -> &[String] {
        self.provenance
            .aliases
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Discovered edges that a graph file's `remove_edges` removed, in declaration order.
    pub fn removed_edges(&self) -> &[RemovedEdge] {
        &self.provenance.removed
    }

    /// Kubernetes network policies read as evidence of allowed traffic.
    pub fn network_policies(&self) -> &[NetworkPolicy] {
        &self.provenance.policies
    }
}
