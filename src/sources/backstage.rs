//! Backstage catalogs: Components and Resources become nodes; `dependsOn`, APIs and
//! `subcomponentOf` become edges.
//!
//! # What is read
//!
//! A catalog file holds one or more `---`-separated entities. `Location` entities are
//! followed: each `spec.target` / `spec.targets` entry is a path relative to the file that
//! names it (`*` globs allowed in the file name); URL targets cannot be read offline and
//! are reported. Each file is read once, so location cycles are harmless.
//!
//! | entity | becomes |
//! |---|---|
//! | Component | a node: `service`, or `module` for `spec.type: library`; `spec.type: website` is customer-facing |
//! | Resource | a node: `datastore` (types `database`, `cache`, `storage`, `bucket`, …), `queue` (`queue`, `topic`, `stream`, …), else `external` |
//! | API | no node: a Component consuming it depends on the Components providing it |
//! | System, Domain, Group, User, Location | no node; references to them are checked |
//!
//! Node ids are entity names (`namespace/name` outside the `default` namespace; a Resource
//! named like a Component gets `resource:name`). `spec.owner` becomes the owners (`team-a`
//! for a group, `user:guest` for a user). The annotations `blast-radius/tier` (`"0"` to
//! `"3"`) and `blast-radius/customer-facing` (`"true"`/`"false"`) set the tier and the
//! flag.
//!
//! Edges: `spec.dependsOn` (the target's kind sets the edge: `data` to a datastore, `async`
//! to a queue, else `sync`), `spec.dependencyOf` (the reverse), `spec.consumesApis` (one
//! `sync` edge to each provider of the API) and `spec.subcomponentOf` (`part_of`: the
//! parent depends on the part).
//!
//! Entity references follow Backstage: `[kind:][namespace/]name`, compared
//! case-insensitively, the namespace defaulting to the referring entity's, the kind to the
//! field's (`api` for the API fields, `component` for `subcomponentOf`, `system`, `domain`;
//! `dependsOn` has none, so a bare name is looked up as a Component, then a Resource).
//! A reference to an entity that no loaded file defines is a warning naming the file, the
//! line and the reference (references to owners are not checked: groups usually come from
//! elsewhere).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::yaml::{self, Text, line_of, nullable};
use crate::codes::{Code, Finding, Location};
use crate::error::{Error, Result};
use crate::graph::build::{DocId, EdgeSpec, NodeSpec};
use crate::graph::{EdgeKind, Evidence, GraphBuilder, NodeKind, Tier};

/// The source kind Backstage declarations carry.
pub const SOURCE: &str = "backstage";

/// The annotation that sets a node's tier.
pub const TIER_ANNOTATION: &str = "blast-radius/tier";
/// The annotation that sets whether a node is customer-facing.
pub const CUSTOMER_FACING_ANNOTATION: &str = "blast-radius/customer-facing";

/// An entity reference as written: `[kind:][namespace/]name` or `{kind, namespace, name}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RawRef {
    kind: Option<String>,
    namespace: Option<String>,
    name: String,
}

impl RawRef {
    fn parse(s: &str) -> RawRef {
        let (kind, rest) = match s.split_once(':') {
            Some((k, r)) if !k.contains('/') => (Some(k.to_string()), r),
            _ => (None, s),
        };
        let (namespace, name) = match rest.split_once('/') {
            Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
            None => (None, rest.to_string()),
        };
        RawRef {
            kind,
            namespace,
            name,
        }
    }
}

impl fmt::Display for RawRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(k) = &self.kind {
            write!(f, "{k}:")?;
        }
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for RawRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Compound {
            #[serde(default)]
            kind: Option<String>,
            #[serde(default)]
            namespace: Option<String>,
            name: String,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an entity reference: `kind:namespace/name` or `{kind, namespace, name}`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRef, E> {
                Ok(RawRef::parse(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawRef, A::Error> {
                let c = Compound::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawRef {
                    kind: c.kind,
                    namespace: c.namespace,
                    name: c.name,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar as text; anything else (a table, a list) as nothing. For `spec.type`, whose
/// shape custom kinds may change.
#[derive(Clone, Debug, Default)]
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Loose, A::Error> {
                while s.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Loose, A::Error> {
                while m.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
struct Meta {
    name: Option<Spanned<String>>,
    namespace: Option<String>,
    #[serde(deserialize_with = "nullable")]
    annotations: BTreeMap<String, Spanned<Text>>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct Spec {
    #[serde(rename = "type")]
    type_: Loose,
    owner: Option<RawRef>,
    system: Option<Spanned<RawRef>>,
    domain: Option<Spanned<RawRef>>,
    #[serde(deserialize_with = "nullable")]
    depends_on: Vec<Spanned<RawRef>>,
    #[serde(deserialize_with = "nullable")]
    dependency_of: Vec<Spanned<RawRef>>,
    #[serde(deserialize_with = "nullable")]
    provides_apis: Vec<Spanned<RawRef>>,
    #[serde(deserialize_with = "nullable")]
    consumes_apis: Vec<Spanned<RawRef>>,
    subcomponent_of: Option<Spanned<RawRef>>,
    target: Option<Spanned<String>>,
    #[serde(deserialize_with = "nullable")]
    targets: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct RawEntity {
    kind: Option<Spanned<String>>,
    #[serde(deserialize_with = "nullable")]
    metadata: Meta,
    #[serde(deserialize_with = "nullable")]
    spec: Spec,
}

/// A loaded entity.
struct Entity {
    kind: String,
    namespace: String,
    name: String,
    spec: Spec,
    /// Each annotation's value and line.
    annotations: BTreeMap<String, (String, Option<u32>)>,
    file: usize,
    line: Option<u32>,
}

/// `(kind, namespace, name)`, lower-cased: how Backstage compares references.
type Key = (String, String, String);

fn key(kind: &str, ns: &str, name: &str) -> Key {
    (
        kind.to_ascii_lowercase(),
        ns.to_ascii_lowercase(),
        name.to_ascii_lowercase(),
    )
}

/// The files a Location target names (a glob in the file name is expanded).
fn target_files(base: &Path, target: &str) -> Result<Vec<PathBuf>, String> {
    let path = yaml::sibling(base, target);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?', '[']) {
        return Ok(vec![path]);
    }
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let glob = globset::Glob::new(&name)
        .map_err(|e| format!("invalid glob '{name}': {}", e.kind()))?
        .compile_matcher();
    let rd = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &dir
    })
    .map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| glob.is_match(n))
        .map(|n| dir.join(n))
        .collect();
    out.sort();
    Ok(out)
}

fn node_kind(kind: &str, type_: Option<&str>) -> NodeKind {
    let t = type_.unwrap_or("").to_ascii_lowercase();
    match kind {
        "component" if t == "library" => NodeKind::Module,
        "component" => NodeKind::Service,
        _ => {
            const DATA: &[&str] = &[
                "database",
                "db",
                "cache",
                "storage",
                "bucket",
                "s3-bucket",
                "table",
                "datastore",
                "redis",
                "postgres",
                "postgresql",
                "mysql",
                "mongodb",
                "elasticsearch",
                "opensearch",
                "filesystem",
            ];
            const QUEUE: &[&str] = &[
                "queue",
                "topic",
                "stream",
                "kafka-topic",
                "message-queue",
                "sqs",
                "sns",
                "pubsub",
                "broker",
                "event-bus",
            ];
            if DATA.contains(&t.as_str()) {
                NodeKind::Datastore
            } else if QUEUE.contains(&t.as_str()) {
                NodeKind::Queue
            } else {
                NodeKind::External
            }
        }
    }
}

/// An owner reference, compact: `team-a` for a group in the default namespace,
/// `user:guest` for a user.
fn owner(r: &RawRef, ns: &str) -> String {
    let kind = r.kind.as_deref().unwrap_or("group").to_ascii_lowercase();
    let ns = r.namespace.as_deref().unwrap_or(ns);
    let mut s = String::new();
    if kind != "group" {
        s.push_str(&kind);
        s.push(':');
    }
    if !ns.eq_ignore_ascii_case("default") {
        s.push_str(ns);
        s.push('/');
    }
    s.push_str(&r.name);
    s
}

/// Loads Backstage catalog files (and every location they name) into `builder`, as one
/// catalog.
///
/// # Errors
/// A file is missing or unreadable, a file is not valid YAML (with its line), or a
/// `blast-radius/tier` annotation is not 0 to 3.
pub fn load(builder: &mut GraphBuilder, paths: &[PathBuf]) -> Result<()> {
    let _t = crate::timing::Phase::start("load backstage");
    let Some(path) = paths.first() else {
        return Ok(());
    };
    let mut files: Vec<PathBuf> = Vec::new();
    let mut queue: VecDeque<PathBuf> = paths.iter().map(|p| yaml::normalize(p)).collect();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut entities: BTreeMap<Key, Entity> = BTreeMap::new();
    let mut findings: Vec<Finding> = Vec::new();
    while let Some(file) = queue.pop_front() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let text = yaml::read_text(&file)?;
        let fi = files.len();
        files.push(file.clone());
        let docs: Vec<Option<RawEntity>> = yaml::documents(&file, &text)?;
        for raw in docs.into_iter().flatten() {
            let Some(kind) = &raw.kind else {
                continue;
            };
            let line = line_of(kind);
            // Backstage requires a name; without one the entity would vanish (or, empty,
            // merge with every other nameless one).
            let Some(name) = raw
                .metadata
                .name
                .as_ref()
                .filter(|n| !n.value.trim().is_empty())
            else {
                return Err(Error::Parse {
                    location: Location {
                        file: file.clone(),
                        line,
                        column: None,
                    },
                    message: format!("{} has no metadata.name", kind.value),
                    help: Some("give every entity a name: metadata: {name: my-service}".into()),
                });
            };
            let ns = raw
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into());
            if kind.value.eq_ignore_ascii_case("location") {
                let mut targets: Vec<&Spanned<String>> = raw.spec.targets.iter().collect();
                targets.extend(raw.spec.target.iter());
                for t in targets {
                    let at = Location {
                        file: file.clone(),
                        line: line_of(t),
                        column: None,
                    };
                    if t.value.contains("://") {
                        findings.push(
                            Finding::new(
                                Code::DegradedSource,
                                format!(
                                    "location target '{}' is a URL; blast reads only local files",
                                    t.value
                                ),
                            )
                            .at(at)
                            .with_help(
                                "check the catalog out locally and pass its file with --backstage",
                            ),
                        );
                        continue;
                    }
                    match target_files(&file, &t.value) {
                        Ok(found) => {
                            let missing: Vec<&PathBuf> =
                                found.iter().filter(|f| !f.is_file()).collect();
                            if found.is_empty() || !missing.is_empty() {
                                findings.push(
                                    Finding::new(
                                        Code::UnresolvedReference,
                                        format!(
                                            "location target '{}' names no readable file ({})",
                                            t.value,
                                            yaml::sibling(&file, &t.value).display()
                                        ),
                                    )
                                    .at(at)
                                    .with_help(
                                        "fix the target; it is relative to the file that names it",
                                    ),
                                );
                            }
                            queue.extend(found.into_iter().filter(|f| f.is_file()));
                        }
                        Err(msg) => findings.push(
                            Finding::new(
                                Code::UnresolvedReference,
                                format!("location target: {msg}"),
                            )
                            .at(at),
                        ),
                    }
                }
                continue;
            }
            let annotations: BTreeMap<String, (String, Option<u32>)> = raw
                .metadata
                .annotations
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        (v.value.0.clone().unwrap_or_default(), line_of(v)),
                    )
                })
                .collect();
            let k = key(&kind.value, &ns, &name.value);
            if let Some(prev) = entities.get(&k) {
                let mut f = Finding::new(
                    Code::DuplicateObject,
                    format!(
                        "{} '{}' is also defined in {}; using this later definition",
                        kind.value,
                        name.value,
                        files[prev.file].display()
                    ),
                )
                .with_nodes([name.value.as_str()])
                .at(Location {
                    file: file.clone(),
                    line,
                    column: None,
                });
                f.related = Some(Location::file(&files[prev.file]));
                findings.push(f);
            }
            entities.insert(
                k,
                Entity {
                    kind: kind.value.to_ascii_lowercase(),
                    namespace: ns,
                    name: name.value.clone(),
                    spec: raw.spec,
                    annotations,
                    file: fi,
                    line,
                },
            );
        }
    }

    // Node ids.
    let qualified = |e: &Entity| {
        if e.namespace.eq_ignore_ascii_case("default") {
            e.name.clone()
        } else {
            format!("{}/{}", e.namespace, e.name)
        }
    };
    let mut ids: BTreeMap<Key, String> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for (k, e) in entities.iter().filter(|(_, e)| e.kind == "component") {
        let id = qualified(e);
        taken.insert(id.to_ascii_lowercase());
        ids.insert(k.clone(), id);
    }
    for (k, e) in entities.iter().filter(|(_, e)| e.kind == "resource") {
        let mut id = qualified(e);
        if taken.contains(&id.to_ascii_lowercase()) {
            id = format!("resource:{id}");
        }
        ids.insert(k.clone(), id);
    }
    // API → providers.
    let mut providers: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
    for (k, e) in &entities {
        for r in &e.spec.provides_apis {
            providers
                .entry(resolve(&r.value, "api", &e.namespace))
                .or_default()
                .push(k.clone());
        }
    }

    let mut docs: BTreeMap<usize, DocId> = BTreeMap::new();
    let mut doc = |b: &mut GraphBuilder, f: usize| -> DocId {
        *docs
            .entry(f)
            .or_insert_with(|| b.begin_document(SOURCE, &files[f]))
    };
    let mut missing = |e: &Entity, field: &str, r: &Spanned<RawRef>, extra: &str| {
        findings.push(
            Finding::new(
                Code::UnresolvedReference,
                format!(
                    "{} '{}': {field} '{}', which no loaded catalog file defines{extra}",
                    e.kind, e.name, r.value
                ),
            )
            .with_nodes([e.name.as_str()])
            .at(Location {
                file: files[e.file].clone(),
                line: line_of(r),
                column: None,
            })
            .with_help("add the entity's catalog file (or its Location), or fix the reference"),
        );
    };
    for (k, e) in &entities {
        // References to structure entities are checked, not turned into edges.
        for (field, r, default) in [
            ("spec.system", &e.spec.system, "system"),
            ("spec.domain", &e.spec.domain, "domain"),
        ] {
            if let Some(r) = r
                && !entities.contains_key(&resolve(&r.value, default, &e.namespace))
            {
                missing(e, field, r, "");
            }
        }
        if e.kind == "component" || e.kind == "api" {
            for r in &e.spec.provides_apis {
                if e.kind == "component"
                    && !entities.contains_key(&resolve(&r.value, "api", &e.namespace))
                {
                    missing(
                        e,
                        "spec.providesApis",
                        r,
                        " (its consumers still depend on this component)",
                    );
                }
            }
        }
        let Some(id) = ids.get(k) else { continue };
        let d = doc(builder, e.file);
        let tier = match e.annotations.get(TIER_ANNOTATION) {
            None => None,
            Some((t, at)) => Some(t.trim().parse::<u8>().ok().and_then(Tier::new).ok_or_else(
                || Error::Parse {
                    location: Location {
                        file: files[e.file].clone(),
                        line: at.or(e.line),
                        column: None,
                    },
                    message: format!(
                        "{} '{}': annotation '{TIER_ANNOTATION}' is '{t}', not a tier",
                        e.kind, e.name
                    ),
                    help: Some("use \"0\" (most critical) to \"3\"".into()),
                },
            )?),
        };
        let customer_facing = match e.annotations.get(CUSTOMER_FACING_ANNOTATION) {
            Some((v, _)) if v.trim().eq_ignore_ascii_case("true") => Some(true),
            Some((v, _)) if v.trim().eq_ignore_ascii_case("false") => Some(false),
            // A typo must not quietly make a customer-facing node internal (lower risk).
            Some((v, at)) => {
                return Err(Error::Parse {
                    location: Location {
                        file: files[e.file].clone(),
                        line: at.or(e.line),
                        column: None,
                    },
                    message: format!(
                        "{} '{}': annotation '{CUSTOMER_FACING_ANNOTATION}' is '{v}', not \"true\" or \"false\"",
                        e.kind, e.name
                    ),
                    help: Some("use \"true\" or \"false\"".into()),
                });
            }
            None => e
                .spec
                .type_
                .0
                .as_deref()
                .filter(|t| t.eq_ignore_ascii_case("website"))
                .map(|_| true),
        };
        let part_of = match &e.spec.subcomponent_of {
            Some(r) => {
                let target = resolve(&r.value, "component", &e.namespace);
                match ids.get(&target) {
                    Some(p) => Some(p.clone()),
                    None => {
                        missing(e, "spec.subcomponentOf", r, "");
                        None
                    }
                }
            }
            None => None,
        };
        builder.add_node(
            d,
            NodeSpec {
                id: id.as_str().into(),
                kind: Some(node_kind(&e.kind, e.spec.type_.0.as_deref())),
                tier,
                customer_facing,
                owners: e
                    .spec
                    .owner
                    .as_ref()
                    .map(|o| vec![owner(o, &e.namespace).into()]),
                paths: None,
                part_of: part_of.map(Into::into),
            },
        );
        let edge = |b: &mut GraphBuilder,
                    from: &str,
                    to_key: &Key,
                    r: &Spanned<RawRef>,
                    field: &str,
                    extra: String| {
            let to = &ids[to_key];
            let to_kind = entities[to_key].kind.as_str();
            let to_type = entities[to_key].spec.type_.0.as_deref();
            let kind = match node_kind(to_kind, to_type) {
                NodeKind::Datastore => EdgeKind::Data,
                NodeKind::Queue => EdgeKind::Async,
                _ => EdgeKind::Sync,
            };
            b.add_derived_edge(
                d,
                EdgeSpec {
                    from: from.to_string().into(),
                    to: to.clone().into(),
                    kind: Some(kind),
                    optional: false,
                },
                Evidence::new(format!("{field} {}{extra}", r.value))
                    .at(files[e.file].clone(), line_of(r)),
            );
        };
        let lookup = |r: &RawRef| -> Option<Key> {
            match &r.kind {
                Some(kind) => Some(resolve(r, kind, &e.namespace)).filter(|k| ids.contains_key(k)),
                None => ["component", "resource"]
                    .iter()
                    .map(|kind| resolve(r, kind, &e.namespace))
                    .find(|k| ids.contains_key(k)),
            }
        };
        for r in &e.spec.depends_on {
            match lookup(&r.value) {
                Some(t) => edge(builder, id, &t, r, "spec.dependsOn", String::new()),
                None => missing(e, "spec.dependsOn", r, ""),
            }
        }
        for r in &e.spec.dependency_of {
            match lookup(&r.value) {
                Some(t) => {
                    let from = ids[&t].clone();
                    edge(
                        builder,
                        &from,
                        k,
                        r,
                        &format!("{}'s spec.dependencyOf", e.name),
                        String::new(),
                    )
                }
                None => missing(e, "spec.dependencyOf", r, ""),
            }
        }
        for r in &e.spec.consumes_apis {
            let api = resolve(&r.value, "api", &e.namespace);
            let provs: Vec<&Key> = providers
                .get(&api)
                .map(|v| v.iter().filter(|p| ids.contains_key(*p)).collect())
                .unwrap_or_default();
            if provs.is_empty() {
                let extra = if entities.contains_key(&api) {
                    " as an API no loaded component provides"
                } else {
                    ""
                };
                missing(e, "spec.consumesApis", r, extra);
                continue;
            }
            for p in provs {
                let via = format!(" (provided by {})", ids[p]);
                edge(builder, id, p, r, "spec.consumesApis", via);
            }
        }
    }
    if ids.is_empty() {
        findings.push(
            Finding::new(
                Code::EmptySource,
                "the catalog defines no Components or Resources".to_string(),
            )
            .at(Location::file(path)),
        );
    }
    for f in findings {
        builder.add_finding(f);
    }
    Ok(())
}

/// The key a reference names, with the field's default kind and the referrer's namespace.
fn resolve(r: &RawRef, default_kind: &str, ns: &str) -> Key {
    key(
        r.kind.as_deref().unwrap_or(default_kind),
        r.namespace.as_deref().unwrap_or(ns),
        &r.name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entity_references() {
        let r = RawRef::parse("component:default/foo");
        assert_eq!(
            (r.kind.as_deref(), r.namespace.as_deref(), r.name.as_str()),
            (Some("component"), Some("default"), "foo")
        );
        let r = RawRef::parse("ns/foo");
        assert_eq!((r.kind, r.namespace.as_deref()), (None, Some("ns")));
        assert_eq!(
            resolve(
                &RawRef::parse("Resource:Artists-DB"),
                "component",
                "default"
            ),
            key("resource", "default", "artists-db")
        );
        assert_eq!(owner(&RawRef::parse("team-a"), "default"), "team-a");
        assert_eq!(owner(&RawRef::parse("user:guest"), "default"), "user:guest");
        assert_eq!(owner(&RawRef::parse("group:ops/sre"), "default"), "ops/sre");
    }
}
