//! The native graph file: the interchange schema in JSON, TOML or YAML.
//!
//! ```json
//! {"nodes": [{"id": "checkout", "kind": "service", "tier": 0, "customer_facing": true,
//!             "owners": ["@shop/checkout"], "paths": ["services/checkout/**"],
//!             "depends_on": ["cart", {"id": "email", "kind": "async"}]}],
//!  "edges": [{"from": "checkout", "to": "payment", "kind": "sync", "optional": false}]}
//! ```
//!
//! # Format
//!
//! Top level: `nodes` (a list of node tables), `edges` (a list of edge tables) and
//! `remove_edges` (a list of removals), all optional, and `schema` (when present it must be
//! `blast-radius/graph/v1`, as `blast graph --format json` writes). Node keys: `id`
//! (required), `kind`, `tier`, `customer_facing`, `owners`, `paths`, `part_of`, `aliases`
//! (other names of the node in discovered sources), `depends_on` (each entry an id, or a
//! table with `id`, `kind`, `optional`). Edge keys: `from`, `to` (required), `kind`,
//! `optional`. Removal keys: `from`, `to` (required), `kind`, `source`. Nodes and edges may
//! carry `provenance` (written by `blast graph --format json`); it is ignored. Unknown keys
//! are errors that list the allowed keys.
//!
//! Graph files are overlays over the discovered sources (Cargo, Compose, Kubernetes,
//! Backstage, traces): their values win, their `aliases` merge differently named nodes, and
//! their `remove_edges` drop discovered edges (see [`crate::graph::GraphBuilder`]).
//!
//! The file is deserialized in one streaming pass: each node and edge goes to the
//! [`GraphBuilder`] as soon as it is parsed, borrowing its strings from the file's bytes, so
//! a 600 MB JSON graph never exists twice in memory.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::text::{self, FileBytes};
use super::{Format, parse_error, parse_error_at};
use crate::error::Result;
use crate::graph::build::{DocId, EdgeSpec, NodeSpec};
use crate::graph::provenance::Removal;
use crate::graph::{EdgeKind, GraphBuilder, NodeKind, Tier};

/// The top-level keys of a graph file.
pub const TOP_KEYS: &[&str] = &["schema", "nodes", "edges", "remove_edges"];

/// The schema id `blast graph --format json` writes; a graph file may state it.
pub const GRAPH_SCHEMA: &str = "blast-radius/graph/v1";

/// The source kinds a `remove_edges` entry may name.
const REMOVABLE_SOURCES: &[&str] = &["cargo", "compose", "k8s", "backstage", "jaeger"];

/// A string that borrows from the input when it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A node table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeDecl<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(default)]
    kind: Option<NodeKind>,
    #[serde(default)]
    tier: Option<Tier>,
    #[serde(default)]
    customer_facing: Option<bool>,
    #[serde(default, borrow)]
    owners: Option<Vec<Str<'a>>>,
    #[serde(default, borrow)]
    paths: Option<Vec<Str<'a>>>,
    #[serde(default, borrow)]
    part_of: Option<Str<'a>>,
    #[serde(default, borrow)]
    aliases: Vec<Str<'a>>,
    #[serde(default, borrow)]
    depends_on: Vec<serde_saphyr::Spanned<DependsOn<'a>>>,
    #[serde(default)]
    #[allow(dead_code)]
    provenance: Option<de::IgnoredAny>,
}

/// An edge table in the top-level `edges` list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeDecl<'a> {
    #[serde(borrow)]
    from: Str<'a>,
    #[serde(borrow)]
    to: Str<'a>,
    #[serde(default)]
    kind: Option<EdgeKind>,
    #[serde(default)]
    optional: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    provenance: Option<de::IgnoredAny>,
}

/// A `remove_edges` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveDecl<'a> {
    #[serde(borrow)]
    from: Str<'a>,
    #[serde(borrow)]
    to: Str<'a>,
    #[serde(default)]
    kind: Option<EdgeKind>,
    #[serde(default, borrow)]
    source: Option<Str<'a>>,
}

/// A `depends_on` entry in table form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DependsOnTable<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(default)]
    kind: Option<EdgeKind>,
    #[serde(default)]
    optional: Option<bool>,
}

/// A `depends_on` entry: an id, or a table.
struct DependsOn<'a> {
    id: Str<'a>,
    kind: Option<EdgeKind>,
    optional: bool,
    /// A YAML plain scalar read as a number or boolean (`1.10`, `no`): `id` is only how
    /// the parser wrote the value back; the id is the text in the file.
    typed: bool,
}

thread_local! {
    /// Whether a YAML graph file is being read: there, a plain `depends_on` entry that
    /// looks like a number or boolean is an id as written, like `id: 1.10`.
    static YAML_SCALARS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A plain YAML scalar the parser typed: an id (as written) in YAML, an error elsewhere.
fn typed_scalar<'a, E: de::Error>(
    v: de::Unexpected<'_>,
    text: String,
    exp: &dyn de::Expected,
) -> Result<DependsOn<'a>, E> {
    if YAML_SCALARS.with(std::cell::Cell::get) {
        Ok(DependsOn {
            id: Str(Cow::Owned(text)),
            kind: None,
            optional: false,
            typed: true,
        })
    } else {
        Err(de::Error::invalid_type(v, exp))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for DependsOn<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DependsOn<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node id, or a table with `id`, `kind` and `optional`")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(DependsOn {
                    id: Str(Cow::Borrowed(v)),
                    kind: None,
                    optional: false,
                    typed: false,
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(DependsOn {
                    id: Str(Cow::Owned(v.to_string())),
                    kind: None,
                    optional: false,
                    typed: false,
                })
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(DependsOn {
                    id: Str(Cow::Owned(v)),
                    kind: None,
                    optional: false,
                    typed: false,
                })
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                typed_scalar(de::Unexpected::Bool(v), v.to_string(), &self)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                typed_scalar(de::Unexpected::Signed(v), v.to_string(), &self)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                typed_scalar(de::Unexpected::Unsigned(v), v.to_string(), &self)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                typed_scalar(de::Unexpected::Float(v), v.to_string(), &self)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let t = DependsOnTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(DependsOn {
                    id: t.id,
                    kind: t.kind,
                    optional: t.optional.unwrap_or(false),
                    typed: false,
                })
            }
        }
        d.deserialize_any(V)
    }
}

fn strs(v: Option<Vec<Str<'_>>>) -> Option<Vec<Cow<'_, str>>> {
    v.map(|v| v.into_iter().map(|s| s.0).collect())
}

/// Feeds one parsed document into the builder.
struct DocSeed<'b> {
    builder: &'b mut GraphBuilder,
    doc: DocId,
    bytes: Option<&'b FileBytes>,
    /// The YAML text (typed plain scalars in `depends_on` are read back from it).
    text: Option<&'b str>,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    /// How many nodes, edges and removals the document declares.
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a graph document: a table with `nodes` and `edges` lists")
    }

    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        // A YAML document of only comments: it declares nothing.
        Ok(0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut declared = 0;
        let mut seen_nodes = false;
        let mut seen_edges = false;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match &*key.0 {
                "schema" => {
                    let schema = map.next_value::<Str<'de>>()?;
                    if schema.0 != GRAPH_SCHEMA {
                        return Err(de::Error::custom(format_args!(
                            "unknown schema '{}': this version reads '{GRAPH_SCHEMA}'",
                            schema.0
                        )));
                    }
                }
                "remove_edges" => {
                    declared += map.next_value_seed(RemovalSeed {
                        builder: &mut *self.builder,
                        doc: self.doc,
                    })?
                }
                "nodes" => {
                    if std::mem::replace(&mut seen_nodes, true) {
                        return Err(de::Error::duplicate_field("nodes"));
                    }
                    declared += map.next_value_seed(ListSeed {
                        builder: self.builder,
                        doc: self.doc,
                        bytes: self.bytes,
                        text: self.text,
                        nodes: true,
                    })?
                }
                "edges" => {
                    if std::mem::replace(&mut seen_edges, true) {
                        return Err(de::Error::duplicate_field("edges"));
                    }
                    declared += map.next_value_seed(ListSeed {
                        builder: self.builder,
                        doc: self.doc,
                        bytes: self.bytes,
                        text: self.text,
                        nodes: false,
                    })?
                }
                other => return Err(de::Error::unknown_field(other, TOP_KEYS)),
            }
        }
        Ok(declared)
    }
}

/// Streams the `nodes` or `edges` list into the builder.
struct ListSeed<'b> {
    builder: &'b mut GraphBuilder,
    doc: DocId,
    bytes: Option<&'b FileBytes>,
    text: Option<&'b str>,
    nodes: bool,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    /// How many entries the list holds.
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

/// How often (in elements) a streaming load releases the file pages it has read.
const RELEASE_EVERY: usize = 1 << 16;

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nodes {
            f.write_str("a list of node tables")
        } else {
            f.write_str("a list of edge tables")
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let b = self.builder;
        let doc = self.doc;
        let mut count = 0usize;
        // Where in the file the last borrowed id points: lets a memory-mapped load drop the
        // pages it has finished with.
        let mut mark = |s: &Str<'de>| {
            count += 1;
            if count.is_multiple_of(RELEASE_EVERY)
                && let (Some(bytes), Cow::Borrowed(v)) = (self.bytes, &s.0)
            {
                let base = bytes.as_ptr() as usize;
                let p = v.as_ptr() as usize;
                if p >= base && p < base + bytes.len() {
                    bytes.release_before(p - base);
                }
            }
        };
        if self.nodes {
            while let Some(n) = seq.next_element::<NodeDecl<'de>>()? {
                mark(&n.id);
                let from = n.id.0;
                for alias in &n.aliases {
                    b.add_alias(doc, &from, &alias.0);
                }
                for dep in n.depends_on {
                    let span = dep.referenced.span();
                    let dep = dep.value;
                    let to = match (dep.typed, self.text, span.byte_offset(), span.byte_len()) {
                        (true, Some(text), Some(at), Some(len)) => text
                            .get(at as usize..(at + len) as usize)
                            .map_or(dep.id.0, |raw| Cow::Owned(raw.trim().to_string())),
                        _ => dep.id.0,
                    };
                    b.add_edge(
                        doc,
                        EdgeSpec {
                            from: from.clone(),
                            to,
                            kind: dep.kind,
                            optional: dep.optional,
                        },
                    );
                }
                b.add_node(
                    doc,
                    NodeSpec {
                        id: from,
                        kind: n.kind,
                        tier: n.tier,
                        customer_facing: n.customer_facing,
                        owners: strs(n.owners),
                        paths: strs(n.paths),
                        part_of: n.part_of.map(|s| s.0),
                    },
                );
            }
        } else {
            while let Some(e) = seq.next_element::<EdgeDecl<'de>>()? {
                mark(&e.from);
                b.add_edge(
                    doc,
                    EdgeSpec {
                        from: e.from.0,
                        to: e.to.0,
                        kind: e.kind,
                        optional: e.optional.unwrap_or(false),
                    },
                );
            }
        }
        Ok(count)
    }
}

/// Streams the `remove_edges` list into the builder.
struct RemovalSeed<'b> {
    builder: &'b mut GraphBuilder,
    doc: DocId,
}

impl<'de> DeserializeSeed<'de> for RemovalSeed<'_> {
    /// How many removals the list holds.
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RemovalSeed<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of removals (tables with `from`, `to`, `kind`, `source`)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut count = 0;
        while let Some(r) = seq.next_element::<RemoveDecl<'de>>()? {
            count += 1;
            let source = r.source.map(|s| s.0.into_owned());
            if let Some(s) = &source
                && !REMOVABLE_SOURCES.contains(&s.as_str())
            {
                return Err(de::Error::custom(format_args!(
                    "remove_edges: unknown source '{s}', expected one of: {}",
                    REMOVABLE_SOURCES.join(", ")
                )));
            }
            self.builder.remove_edges(
                self.doc,
                Removal {
                    from: r.from.0.into_owned(),
                    to: r.to.0.into_owned(),
                    kind: r.kind,
                    source,
                },
            );
        }
        Ok(count)
    }
}

/// YAML options: serde-saphyr's safety budget, scaled so a large file of plain data fits
/// but alias expansion (a "billion laughs" file) cannot blow up.
pub(crate) fn yaml_options(len: usize) -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.with_snippet = false;
    // `.inf` and `.nan` reach the reader as numbers, like `1.10`: where an id is expected
    // (`depends_on: [.inf]`) it is then the text as written, as `id: .inf` is.
    o.non_finite_float_policy = serde_saphyr::options::NonFiniteFloatPolicy::PassThrough;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = budget.max_events.max(len);
    budget.max_nodes = budget.max_nodes.max(len / 2);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len);
    // `kustomize build` and `helm template` output holds thousands of documents; each takes
    // at least four bytes (`---` and a line end), so the file's size bounds their number.
    budget.max_documents = budget.max_documents.max(len / 4);
    o.budget = Some(budget);
    o
}

/// The 1-based position of a serde-saphyr error.
pub(crate) fn yaml_error_position(e: &serde_saphyr::Error) -> Option<(u32, u32)> {
    e.location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line() as u32, l.column().max(1) as u32))
}

/// serde_json's message without its " at line L column C" suffix.
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) if e.line() > 0 => s[..i].to_string(),
        _ => s,
    }
}

/// Reserves the builder's room for a JSON graph file of `len` bytes. A size hint, generous
/// on purpose (see `GraphBuilder::reserve`): generated files spend ~150 bytes per node line,
/// ~75 per edge line, and their ids, paths and owners take under a tenth of the file.
pub(crate) fn reserve_for_json(builder: &mut GraphBuilder, len: usize) {
    builder.reserve(len / 400, len / 64, len / 8);
}

/// Loads a native graph file.
pub(crate) fn load(builder: &mut GraphBuilder, path: &Path) -> Result<()> {
    let _t = crate::timing::Phase::start("parse graph file");
    // Before the extension: a missing file or a folder is not an unknown file type.
    match std::fs::metadata(path) {
        Err(e) => return Err(crate::Error::io(path, e)),
        Ok(m) if m.is_dir() => {
            return Err(crate::Error::Usage(format!(
                "{}: is a folder; --graph (-g) takes graph files, not folders\n  help: name the graph files (*.json, *.toml, *.yaml, *.yml) one by one; for a folder of Kubernetes manifests use --k8s, for a Cargo workspace --cargo",
                crate::report::inert(&path.display().to_string())
            )));
        }
        Ok(_) => {}
    }
    let format = Format::from_path(path)?;
    let bytes = text::read(path)?;
    if text::without_bom(&bytes)
        .iter()
        .all(u8::is_ascii_whitespace)
    {
        // Alike in every format (JSON would call it a syntax error, YAML and TOML an empty
        // graph): a truncated or never-written file must not pass for a graph.
        return Err(crate::Error::Parse {
            location: crate::codes::Location::file(path),
            message: "the file is empty".to_string(),
            help: Some(
                "a graph file holds a `nodes` list (and `edges`): write them, or stop reading the file (remove it from --graph or blast.toml's `graphs`)".to_string(),
            ),
        });
    }
    let doc = builder.begin_document("graph", path);
    let declared = match format {
        Format::Json => {
            if bytes.len() > 1 << 24 {
                reserve_for_json(builder, bytes.len());
            }
            if bytes.len() >= FAST_JSON_BYTES && builder.is_empty() {
                let bar = crate::progress::Progress::bytes("loading", bytes.len() as u64, 32 << 20);
                // Past a byte-order mark, if any: positions the reader gives back are in
                // the rest.
                let json = text::without_bom(&bytes);
                let skipped = bytes.len() - json.len();
                let release = |pos: usize| {
                    bytes.release_before(skipped + pos);
                    bar.set((skipped + pos) as u64);
                };
                let fast = {
                    let _t = crate::timing::Phase::start("fast json");
                    super::fastjson::load(builder, doc, json, &release, super::fastjson::WAVE_BYTES)
                };
                if fast.is_ok() {
                    // The fast reader starts on an empty builder.
                    (!builder.is_empty()) as usize
                } else {
                    // The fast reader gave up: start again with the reference reader,
                    // which accepts or words exactly what the schema says.
                    *builder = GraphBuilder::new();
                    let doc = builder.begin_document("graph", path);
                    load_json_serde(builder, doc, path, &bytes)?
                }
            } else {
                load_json_serde(builder, doc, path, &bytes)?
            }
        }
        Format::Toml => {
            let text = text::utf8(path, &bytes)?;
            let de = toml::Deserializer::parse(text).map_err(|e| toml_error(path, text, &e))?;
            DocSeed {
                builder,
                doc,
                bytes: None,
                text: None,
            }
            .deserialize(de)
            .map_err(|e| toml_error(path, text, &e))?
        }
        Format::Yaml => {
            let text = text::utf8(path, &bytes)?;
            YAML_SCALARS.with(|c| c.set(true));
            let read = serde_saphyr::with_deserializer_from_str_with_options(
                text,
                yaml_options(text.len()),
                |de| {
                    DocSeed {
                        builder,
                        doc,
                        bytes: None,
                        text: Some(text),
                    }
                    .deserialize(de)
                },
            );
            YAML_SCALARS.with(|c| c.set(false));
            read.map_err(|e| parse_error(path, yaml_error_position(&e), yaml_message(&e)))?
        }
    };
    if declared == 0 {
        builder.add_finding(
            crate::codes::Finding::new(
                crate::codes::Code::EmptySource,
                "the graph file declares no nodes, edges or removals".to_string(),
            )
            .at(crate::codes::Location::file(path)),
        );
    }
    Ok(())
}

/// Files at least this large try the fast parallel JSON reader first.
const FAST_JSON_BYTES: usize = 1 << 20;

/// The reference JSON reader (serde_json, streaming into the builder); returns how many
/// nodes, edges and removals the file declares.
pub(crate) fn load_json_serde(
    builder: &mut GraphBuilder,
    doc: DocId,
    path: &Path,
    bytes: &FileBytes,
) -> Result<usize> {
    let mut de = serde_json::Deserializer::from_slice(text::without_bom(bytes));
    let seed = DocSeed {
        builder,
        doc,
        bytes: Some(bytes),
        text: None,
    };
    seed.deserialize(&mut de)
        .and_then(|declared| de.end().map(|()| declared))
        .map_err(|e| {
            parse_error(
                path,
                (e.line() > 0).then(|| (e.line() as u32, e.column() as u32)),
                json_message(&e),
            )
        })
}

/// toml's message, naming the key of a "duplicate key" (as the YAML reader does).
pub(crate) fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim_end().to_string();
    if msg == "duplicate key"
        && let Some(key) = e
            .span()
            .and_then(|s| text.get(s))
            .map(|k| k.trim().trim_matches(['"', '\'']))
            .filter(|k| !k.is_empty() && !k.contains('\n'))
    {
        return format!("duplicate key '{key}'");
    }
    msg
}

/// A TOML error with its position.
pub(crate) fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> crate::error::Error {
    let msg = toml_message(text, e);
    match e.span() {
        Some(span) => parse_error_at(path, text.as_bytes(), span.start, msg),
        None => parse_error(path, None, msg),
    }
}

/// serde-saphyr's message, on one line and without the position it appends (the error
/// location carries it); positions in parentheses ("defined at line 4") are kept.
pub(crate) fn yaml_message(e: &serde_saphyr::Error) -> String {
    let s = e.to_string();
    let first = s.lines().next().unwrap_or("").trim();
    let mut depth = 0i32;
    for (i, c) in first.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ' ' if depth == 0 && first[i..].starts_with(" at line ") => {
                let rest = &first[i + " at line ".len()..];
                let end = rest
                    .find(", column ")
                    .map(|j| {
                        let after = &rest[j + ", column ".len()..];
                        j + ", column ".len()
                            + after
                                .find(|c: char| !c.is_ascii_digit())
                                .unwrap_or(after.len())
                    })
                    .unwrap_or(0);
                return plain_words(&format!("{}{}", &first[..i], &rest[end..]));
            }
            _ => {}
        }
    }
    plain_words(first)
}

/// The YAML reader's messages in the words of the file rather than of the library (its
/// types and options mean nothing to the person fixing the file). Where the problem came
/// through an alias, the library's `(defined at line 4, column 17) (used at line 6,
/// column 18)` is said once, at the end: `(the alias defined at …, used at …)`.
fn plain_words(m: &str) -> String {
    match m.rfind(" (defined at ").filter(|&i| is_alias_tail(&m[i..])) {
        Some(i) => {
            let whereabouts = m[i..]
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .replace(") (", ", ");
            format!("{} (the alias {whereabouts})", in_words(&m[..i]))
        }
        None => in_words(m),
    }
}

/// Whether `tail` is exactly what the reader appends about an alias, ` (defined at line N,
/// column N)` and optionally ` (used at line N, column N)`, so text of the file that looks
/// alike (a quoted value) is never taken for it.
fn is_alias_tail(tail: &str) -> bool {
    let place = |s: &str, what: &str| -> Option<usize> {
        let rest = s.strip_prefix(what)?;
        let (line, rest) = rest.split_once(", column ")?;
        let end = rest.find(')')?;
        let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
        (digits(line) && digits(&rest[..end])).then(|| s.len() - rest.len() + end + 1)
    };
    match place(tail, " (defined at line ") {
        Some(n) if n == tail.len() => true,
        Some(n) => place(&tail[n..], " (used at line ").is_some_and(|k| n + k == tail.len()),
        None => false,
    }
}

/// [`plain_words`] of a message without the alias's whereabouts.
fn in_words(m: &str) -> String {
    if let Some(rest) = m.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!("duplicate key '{}'", key.trim());
    }
    if m.starts_with("multiple YAML documents detected") {
        return "the file holds several YAML documents (separated by `---`) where one is expected"
            .to_string();
    }
    if let Some(rest) = m.strip_prefix("budget breached: ") {
        // `Nodes { nodes: 250001 }`, `Aliases { aliases: 50000, anchors: 1 }`: the budget,
        // then its fields and counts, the first of which was breached.
        let budget = rest.split('}').next().unwrap_or(rest);
        let what = match budget.split_once('{') {
            Some((_, r)) if rest.starts_with("Depth") => format!(
                "nested more than {} levels deep",
                r.trim_matches(|c: char| !c.is_ascii_digit())
                    .parse::<u64>()
                    .map_or(0, |d| d - 1)
            ),
            Some((_, r)) => match r.split(',').next().and_then(|f| f.split_once(':')) {
                Some((what, n)) => format!(
                    "too large to read safely: {} YAML {} is over the reader's limit for a file of this size; an alias that expands many times over is the usual cause",
                    n.trim(),
                    what.trim().replace('_', " ")
                ),
                None => format!("too large to read safely ({})", rest.trim()),
            },
            None => format!("too large to read safely ({})", rest.trim()),
        };
        return format!("the YAML is {what}");
    }
    m.replace(
        "cannot deserialize null into string; use Option<String>",
        "a null value (`~`) where text is expected",
    )
    .replace(
        "expected string scalar",
        "expected text, not a list or a table",
    )
    .replace("invalid u64", "expected a whole number (0 or more)")
}
