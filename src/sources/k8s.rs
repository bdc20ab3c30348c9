//! Kubernetes manifests: workloads become nodes; what their containers are told about
//! other Services becomes edges; NetworkPolicies are kept as evidence.
//!
//! # What is read
//!
//! A file, or a folder (every `*.yaml` / `*.yml` below it, in path order), each holding one
//! or more `---`-separated documents (a `kind: List` is read item by item). Unknown kinds
//! and keys are ignored.
//!
//! * **Workloads** (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod)
//!   become `service` nodes, named by the Service that selects their pod template (the one
//!   named like the workload if several do, else the first by name; the others' names are
//!   host names of the same node), or by the workload's own name. Names that occur in
//!   several namespaces become `name.namespace`.
//! * A Service with no selector, or of type `ExternalName`, is an `external` node.
//! * **Edges**: in every container (init containers too), environment values (literal,
//!   from a ConfigMap key, or `envFrom` a ConfigMap), `command` and `args` (with `$(VAR)`
//!   expanded) and the data of ConfigMaps mounted as volumes, when they name another
//!   Service as `svc`, `svc:port`, `svc.ns`, `svc.ns.svc` or `svc.ns.svc.cluster.local`
//!   (rules in [`super::classify`], which also classifies datastores, brokers and telemetry
//!   components by image, exactly as for Compose).
//! * **NetworkPolicies** (ingress rules with pod and namespace selectors) are recorded as
//!   evidence of allowed traffic, not as edges; `blast check` reports where they disagree
//!   with the graph. A policy that selects no workload is a warning here. Rule `ports`
//!   are not read: the checks consider who may connect, not on which port.
//!
//! The same object (kind, namespace, name) defined twice is a warning; the later
//! definition is used, as `kubectl apply` would, except that a copy without dependency
//! evidence (no containers, no selector, no data: a kustomize patch) never replaces one
//! with it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::LoadContext;
use super::classify::{self, Class};
use super::yaml::{self, Text, line_of, nullable};
use crate::codes::{Code, Finding, Location};
use crate::error::{Error, Result};
use crate::graph::build::{DocId, EdgeSpec, NetworkPolicySpec, NodeSpec};
use crate::graph::{EdgeKind, Evidence, GraphBuilder, NodeKind};

/// The source kind Kubernetes declarations carry.
pub const SOURCE: &str = "k8s";

// ---------------------------------------------------------------------------------------
// Raw model.

type Labels = BTreeMap<String, Text>;

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    name: Option<String>,
    generate_name: Option<String>,
    namespace: Option<String>,
    #[serde(deserialize_with = "nullable")]
    labels: Labels,
    #[serde(deserialize_with = "nullable")]
    annotations: Labels,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct Selector {
    #[serde(deserialize_with = "nullable")]
    match_labels: Labels,
    #[serde(deserialize_with = "nullable")]
    match_expressions: Vec<Requirement>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
struct Requirement {
    key: String,
    operator: String,
    #[serde(deserialize_with = "nullable")]
    values: Vec<Text>,
}

impl Selector {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k).map(String::as_str) == v.0.as_deref())
            && self.match_expressions.iter().all(|r| {
                let vals: Vec<&str> = r.values.iter().filter_map(|v| v.0.as_deref()).collect();
                match r.operator.as_str() {
                    "In" => labels
                        .get(&r.key)
                        .is_some_and(|v| vals.contains(&v.as_str())),
                    "NotIn" => !labels
                        .get(&r.key)
                        .is_some_and(|v| vals.contains(&v.as_str())),
                    "Exists" => labels.contains_key(&r.key),
                    "DoesNotExist" => !labels.contains_key(&r.key),
                    _ => false,
                }
            })
    }
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct KeyRef {
    name: String,
    key: String,
    optional: Option<bool>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct ValueFrom {
    config_map_key_ref: Option<KeyRef>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct EnvVar {
    name: Option<Spanned<String>>,
    value: Option<Spanned<Text>>,
    value_from: Option<ValueFrom>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct NameRef {
    name: String,
    optional: Option<bool>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct EnvFrom {
    config_map_ref: Option<NameRef>,
    prefix: Option<String>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct Container {
    name: String,
    image: Option<String>,
    command: Option<Spanned<Vec<Text>>>,
    args: Option<Spanned<Vec<Text>>>,
    #[serde(deserialize_with = "nullable")]
    env: Vec<EnvVar>,
    #[serde(deserialize_with = "nullable")]
    env_from: Vec<EnvFrom>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
struct ProjectedSource {
    #[serde(rename = "configMap")]
    config_map: Option<NameRef>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
struct Projected {
    #[serde(deserialize_with = "nullable")]
    sources: Vec<ProjectedSource>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct Volume {
    config_map: Option<NameRef>,
    projected: Option<Projected>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct PodSpec {
    #[serde(deserialize_with = "nullable")]
    containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    init_containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    volumes: Vec<Volume>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
struct PodTemplate {
    #[serde(deserialize_with = "nullable")]
    metadata: Meta,
    #[serde(deserialize_with = "nullable")]
    spec: PodSpec,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
struct WorkloadSpec {
    #[serde(deserialize_with = "nullable")]
    template: PodTemplate,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
struct JobTemplate {
    #[serde(deserialize_with = "nullable")]
    spec: WorkloadSpec,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct CronJobSpec {
    #[serde(deserialize_with = "nullable")]
    job_template: JobTemplate,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct ServiceSpec {
    selector: Option<Labels>,
    #[serde(rename = "type")]
    type_: Option<String>,
    external_name: Option<String>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct Peer {
    pod_selector: Option<Selector>,
    namespace_selector: Option<Selector>,
    ip_block: Option<de::IgnoredAny>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
struct IngressRule {
    from: Option<Vec<Peer>>,
}

#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default, rename_all = "camelCase")]
struct PolicySpec {
    #[serde(deserialize_with = "nullable")]
    pod_selector: Selector,
    #[serde(deserialize_with = "nullable")]
    policy_types: Vec<String>,
    ingress: Option<Vec<IngressRule>>,
}

#[derive(Clone, Debug)]
enum Body {
    Workload(PodTemplate),
    Pod(PodSpec),
    Service(ServiceSpec),
    ConfigMap(BTreeMap<String, Text>),
    Policy(PolicySpec),
    Other,
}

/// One Kubernetes object (a `List` is flattened into `items`).
#[derive(Clone, Debug)]
struct Object {
    kind: String,
    meta: Meta,
    body: Body,
    line: Option<u32>,
    items: Vec<Object>,
    /// What the document is when it is not a mapping (`a list`, `a string`): not an object.
    shape: Option<&'static str>,
}

impl Object {
    /// A document that is not a mapping: nothing to read.
    fn not_an_object(shape: Option<&'static str>) -> Object {
        Object {
            kind: String::new(),
            meta: Meta::default(),
            body: Body::Other,
            line: None,
            items: Vec::new(),
            shape,
        }
    }
}

const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
];

/// Kinds without a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
];

fn typed_spec<'de, D: Deserializer<'de>>(kind: &str, d: D) -> Result<Body, D::Error> {
    Ok(match kind {
        k if WORKLOADS.contains(&k) => Body::Workload(nullable::<_, WorkloadSpec>(d)?.template),
        "CronJob" => Body::Workload(nullable::<_, CronJobSpec>(d)?.job_template.spec.template),
        "Pod" => Body::Pod(nullable(d)?),
        "Service" => Body::Service(nullable(d)?),
        "NetworkPolicy" => Body::Policy(nullable(d)?),
        _ => {
            de::IgnoredAny::deserialize(d)?;
            Body::Other
        }
    })
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes object (a table with `kind` and `metadata`)")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Object, E> {
                Ok(Object::not_an_object(None))
            }
            // Not a mapping (a JSON 6902 patch, an Ansible playbook, a bare word): kept as
            // a shape, for a warning, instead of failing the whole load.
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Object, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Object::not_an_object(Some("a list")))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Object, E> {
                Ok(Object::not_an_object(Some("a string")))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Object, E> {
                Ok(Object::not_an_object(Some("a boolean")))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Object, E> {
                Ok(Object::not_an_object(Some("a number")))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Object, E> {
                Ok(Object::not_an_object(Some("a number")))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Object, E> {
                Ok(Object::not_an_object(Some("a number")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut kind: Option<String> = None;
                let mut line = None;
                let mut meta = Meta::default();
                let mut body = Body::Other;
                let mut buffered: Option<serde_json::Value> = None;
                let mut data: Option<BTreeMap<String, Text>> = None;
                let mut items = Vec::new();
                // `data` and `items` mean something only for a ConfigMap and a list; other
                // kinds (custom resources) use the same keys for anything, so they are read
                // by kind, kept untyped while the kind is not known yet.
                let mut later: Vec<(String, serde_json::Value)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "kind" => {
                            let k = map.next_value::<Spanned<Text>>()?;
                            line = line_of(&k);
                            kind = k.value.0;
                        }
                        "metadata" => meta = map.next_value::<Option<Meta>>()?.unwrap_or_default(),
                        "spec" => match &kind {
                            Some(k) => body = map.next_value_seed(SpecSeed(k))?,
                            // `kind` comes after `spec`: read it untyped, type it later.
                            None => buffered = Some(map.next_value()?),
                        },
                        "data" | "items" if kind.is_none() => {
                            later.push((key, map.next_value()?));
                        }
                        "data" if kind.as_deref() == Some("ConfigMap") => {
                            data = map.next_value::<Option<BTreeMap<String, Text>>>()?
                        }
                        "items" if kind.as_deref().is_some_and(is_list) => {
                            items = map.next_value::<Option<Vec<Object>>>()?.unwrap_or_default()
                        }
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                let kind = kind.unwrap_or_default();
                if let Some(v) = buffered {
                    body = typed_spec(&kind, v).map_err(de::Error::custom)?;
                }
                for (key, v) in later {
                    match key.as_str() {
                        "data" if kind == "ConfigMap" => {
                            data = serde_json::from_value(v).map_err(de::Error::custom)?;
                        }
                        "items" if is_list(&kind) => {
                            items = serde_json::from_value::<Option<Vec<Object>>>(v)
                                .map_err(de::Error::custom)?
                                .unwrap_or_default();
                        }
                        _ => {}
                    }
                }
                if kind == "ConfigMap" {
                    body = Body::ConfigMap(data.unwrap_or_default());
                }
                Ok(Object {
                    kind,
                    meta,
                    body,
                    line,
                    items,
                    shape: None,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// What a copy of an object lacks to be evidence of dependencies (a workload or Pod
/// without containers, a Service without selector or external name, a ConfigMap without
/// data), if it lacks it: such a copy is usually a kustomize patch.
fn lacks_evidence(body: &Body) -> Option<&'static str> {
    let no_containers = |p: &PodSpec| {
        (p.containers.is_empty() && p.init_containers.is_empty()).then_some("no containers")
    };
    match body {
        Body::Workload(t) => no_containers(&t.spec),
        Body::Pod(p) => no_containers(p),
        Body::Service(s) => (s.selector.as_ref().is_none_or(BTreeMap::is_empty)
            && s.external_name.is_none()
            && s.type_.as_deref() != Some("ExternalName"))
        .then_some("no selector or externalName"),
        Body::ConfigMap(data) => data.is_empty().then_some("no data"),
        Body::Policy(_) | Body::Other => None,
    }
}

/// What to do about an unrendered Helm template.
const HELM_HELP: &str = "run `helm template` and point --k8s at its output";

/// The first field of `o` that holds a Helm template expression (`{{ ... }}`), with its
/// value: its name, namespace, labels or selector. ConfigMap data may hold `{{ }}`
/// legitimately (Prometheus and Grafana templates) and is not looked at.
fn unrendered(o: &Object) -> Option<(String, String)> {
    // Kinds blast does not read are ignored, templated or not.
    let read = matches!(
        o.kind.as_str(),
        "CronJob" | "Pod" | "Service" | "ConfigMap" | "NetworkPolicy" | "Namespace"
    ) || WORKLOADS.contains(&o.kind.as_str());
    if !read {
        return None;
    }
    let templated = |v: &str| v.contains("{{");
    for (field, v) in [
        ("metadata.name", &o.meta.name),
        ("metadata.namespace", &o.meta.namespace),
        ("metadata.generateName", &o.meta.generate_name),
    ] {
        if let Some(v) = v.as_deref().filter(|v| templated(v)) {
            return Some((field.to_string(), v.to_string()));
        }
    }
    let in_labels = |what: &str, l: &Labels| {
        l.iter().find_map(|(k, v)| {
            v.0.as_deref()
                .filter(|v| templated(v) || templated(k))
                .map(|v| (format!("{what} {k}"), v.to_string()))
        })
    };
    in_labels("label", &o.meta.labels).or_else(|| match &o.body {
        Body::Workload(t) => in_labels("pod label", &t.metadata.labels),
        Body::Service(s) => s.selector.as_ref().and_then(|l| in_labels("selector", l)),
        Body::Policy(p) => in_labels("podSelector", &p.pod_selector.match_labels),
        _ => None,
    })
}

/// `file:line` (or the file alone).
fn at_line(l: &Location) -> String {
    match l.line {
        Some(n) => format!("{}:{n}", l.file.display()),
        None => l.file.display().to_string(),
    }
}

/// Whether objects of `kind` hold other objects in `items` (`List`, `PodList`, ...).
fn is_list(kind: &str) -> bool {
    kind.ends_with("List")
}

struct SpecSeed<'k>(&'k str);

impl<'de> de::DeserializeSeed<'de> for SpecSeed<'_> {
    type Value = Body;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Body, D::Error> {
        typed_spec(self.0, d)
    }
}

// ---------------------------------------------------------------------------------------
// Loading.

/// Every YAML file at `path` (the file itself, or the folder's, sorted).
fn yaml_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    // Folders already read (symbolic links are followed, each folder read once).
    let mut visited = std::collections::BTreeSet::new();
    while let Some(dir) = stack.pop() {
        if !visited.insert(std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone())) {
            continue;
        }
        let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let p = entry.path();
            let name = entry.file_name();
            // Hidden files and folders (.git, .github, editor files) are not manifests.
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let mut ft = entry.file_type().map_err(|e| Error::io(&p, e))?;
            if ft.is_symlink() {
                match std::fs::metadata(&p) {
                    Ok(m) => ft = m.file_type(),
                    // A dangling link names nothing to read.
                    Err(_) => continue,
                }
            }
            let yaml = p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
            if ft.is_dir() {
                stack.push(p);
            } else if yaml {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

struct Workload {
    ns: String,
    kind: String,
    name: String,
    labels: BTreeMap<String, String>,
    default_container: Option<String>,
    pod: PodSpec,
    file: usize,
    line: Option<u32>,
}

struct Svc {
    ns: String,
    name: String,
    spec: ServiceSpec,
    file: usize,
    line: Option<u32>,
}

struct ConfigMap {
    data: BTreeMap<String, String>,
    file: usize,
    line: Option<u32>,
}

struct Policy {
    ns: String,
    name: String,
    spec: PolicySpec,
    file: usize,
    line: Option<u32>,
}

fn labels(l: &Labels) -> BTreeMap<String, String> {
    l.iter()
        .map(|(k, v)| (k.clone(), v.0.clone().unwrap_or_default()))
        .collect()
}

/// One thing that makes a workload depend on a Service.
struct Item {
    kind: EdgeKind,
    text: String,
    file: usize,
    line: Option<u32>,
}

/// Expands `$(VAR)` in a container argument from its environment (`$$(VAR)` escapes).
fn expand(arg: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(i) = rest.find("$(") {
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            out.push_str(&rest[..i - 1]);
            out.push_str("$(");
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        match rest[i + 2..].find(')') {
            Some(j) => {
                let name = &rest[i + 2..i + 2 + j];
                match env.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..i + 3 + j]),
                }
                rest = &rest[i + 3 + j..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Loads Kubernetes manifests from `paths` (files or folders) into `builder`.
///
/// # Errors
/// A path that is missing or unreadable, or a file that is not valid YAML (with its line).
pub fn load(builder: &mut GraphBuilder, paths: &[PathBuf], ctx: &LoadContext<'_>) -> Result<()> {
    let _t = crate::timing::Phase::start("load k8s");
    let mut files: Vec<PathBuf> = Vec::new();
    // Per file, whether it was found in a folder (rather than named on the command line).
    let mut in_folder: Vec<bool> = Vec::new();
    for p in paths {
        let folder = p.is_dir();
        for f in yaml_files(p)? {
            if !files.contains(&f) {
                files.push(f);
                in_folder.push(folder);
            }
        }
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut objects: BTreeMap<(String, String, String), (usize, Object)> = BTreeMap::new();
    let mut order: Vec<(String, String, String)> = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        let text = yaml::read_text(f)?;
        let docs: Vec<Spanned<Object>> = match yaml::documents(f, &text) {
            Ok(docs) => docs,
            // `name: {{ include "chart.fullname" . }}` is no YAML.
            Err(Error::Parse {
                location,
                message,
                help: _,
            }) if text.contains("{{") => {
                if !in_folder[fi] {
                    return Err(Error::Parse {
                        location,
                        message,
                        help: Some(format!(
                            "the file holds `{{{{ }}}}`: it looks like an unrendered Helm template; {HELM_HELP}"
                        )),
                    });
                }
                findings.push(
                    Finding::new(
                        Code::DegradedSource,
                        format!(
                            "skipped: an unrendered Helm template (the file holds `{{{{ }}}}` and does not parse: {message})"
                        ),
                    )
                    .at(location)
                    .with_help(HELM_HELP),
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut flat = Vec::new();
        let mut stack: Vec<Object> = docs
            .into_iter()
            .map(|d| {
                let line = line_of(&d);
                let mut o = d.value;
                o.line = o.line.or(line);
                o
            })
            .collect();
        stack.reverse();
        while let Some(mut o) = stack.pop() {
            let items = std::mem::take(&mut o.items);
            flat.push(o);
            for it in items.into_iter().rev() {
                stack.push(it);
            }
        }
        for o in flat {
            let here = Location {
                file: f.clone(),
                line: o.line,
                column: None,
            };
            if let Some(shape) = o.shape {
                findings.push(
                    Finding::new(
                        Code::DegradedSource,
                        format!(
                            "skipped a document that is {shape}, not a Kubernetes object{}",
                            if shape == "a list" {
                                " (a JSON 6902 patch or an Ansible playbook?)"
                            } else {
                                ""
                            }
                        ),
                    )
                    .at(here)
                    .with_help("--k8s reads Kubernetes objects (mappings with `kind` and `metadata`): move other YAML out of the folder, or point --k8s at rendered output (`kustomize build`)"),
                );
                continue;
            }
            if let Some((field, value)) = unrendered(&o) {
                findings.push(
                    Finding::new(
                        Code::DegradedSource,
                        format!(
                            "skipped {} with {field} `{value}`: an unrendered Helm template",
                            if o.kind.is_empty() {
                                "an object"
                            } else {
                                o.kind.as_str()
                            }
                        ),
                    )
                    .at(here)
                    .with_help(HELM_HELP),
                );
                continue;
            }
            let becomes_node = matches!(o.kind.as_str(), "CronJob" | "Pod" | "Service")
                || WORKLOADS.contains(&o.kind.as_str());
            // `generateName: db-migrate-` (Jobs, Pods): the prefix names it.
            let generated = || {
                o.meta
                    .generate_name
                    .as_deref()
                    .map(|g| g.trim().trim_end_matches('-').to_string())
            };
            let Some(name) = o
                .meta
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .or_else(generated)
                .filter(|n| !n.trim().is_empty())
            else {
                if becomes_node {
                    // It would vanish, and the edges to it with it.
                    return Err(Error::Parse {
                        location: Location {
                            file: f.clone(),
                            line: o.line,
                            column: None,
                        },
                        message: format!("{} has no metadata.name", o.kind),
                        help: Some(
                            "give it a name (metadata: {name: my-service}) or a generateName; blast reads manifests as they are applied, not templates".into(),
                        ),
                    });
                }
                continue;
            };
            if o.kind.is_empty() {
                continue;
            }
            let cluster_scoped = CLUSTER_SCOPED.contains(&o.kind.as_str());
            let ns = match &o.meta.namespace {
                _ if cluster_scoped => String::new(),
                Some(ns) => ns.clone(),
                None => "default".into(),
            };
            let key = (o.kind.clone(), ns.clone(), name.clone());
            if let Some((pf, prev)) = objects.get(&key) {
                let shown = if cluster_scoped {
                    name.clone()
                } else {
                    format!("{ns}/{name}")
                };
                let here = Location {
                    file: f.clone(),
                    line: o.line,
                    column: None,
                };
                let there = Location {
                    file: files[*pf].clone(),
                    line: prev.line,
                    column: None,
                };
                // A copy without dependency evidence (a kustomize patch: `replicas: 5` and
                // no containers) never replaces one with it, whichever comes first.
                let partial = match (lacks_evidence(&prev.body), lacks_evidence(&o.body)) {
                    (None, Some(lack)) => Some((here.clone(), there.clone(), lack, false)),
                    (Some(lack), None) => Some((there.clone(), here.clone(), lack, true)),
                    _ => None,
                };
                let finding = match partial {
                    Some((patch, used, lack, replace)) => {
                        let mut finding = Finding::new(
                            Code::DuplicateObject,
                            format!(
                                "{} '{shown}' is also defined in {}; using that definition: this one has {lack} and looks like a kustomize patch",
                                o.kind,
                                at_line(&used)
                            ),
                        )
                        .with_nodes([name.as_str()])
                        .at(patch)
                        .with_help("blast does not apply patches: point --k8s at the output of `kustomize build` (or leave the overlay folder out)");
                        finding.related = Some(used);
                        findings.push(finding);
                        if !replace {
                            continue;
                        }
                        None
                    }
                    None => {
                        let mut finding = Finding::new(
                            Code::DuplicateObject,
                            format!(
                                "{} '{shown}' is also defined in {}; using this later definition",
                                o.kind,
                                files[*pf].display()
                            ),
                        )
                        .with_nodes([name.as_str()])
                        .at(here);
                        finding.related = Some(Location::file(&files[*pf]));
                        Some(finding)
                    }
                };
                findings.extend(finding);
            } else {
                order.push(key.clone());
            }
            objects.insert(key, (fi, o));
        }
    }

    let mut workloads: Vec<Workload> = Vec::new();
    let mut services: Vec<Svc> = Vec::new();
    let mut config_maps: BTreeMap<(String, String), ConfigMap> = BTreeMap::new();
    let mut policies: Vec<Policy> = Vec::new();
    let mut namespaces: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for key in &order {
        let (file, o) = &objects[key];
        let (kind, ns, name) = key.clone();
        let (file, line) = (*file, o.line);
        if !ns.is_empty() {
            namespaces.entry(ns.clone()).or_default();
        }
        match &o.body {
            Body::Workload(t) => workloads.push(Workload {
                ns,
                kind,
                name,
                labels: labels(&t.metadata.labels),
                default_container: t
                    .metadata
                    .annotations
                    .get("kubectl.kubernetes.io/default-container")
                    .and_then(|t| t.0.clone()),
                pod: t.spec.clone(),
                file,
                line,
            }),
            Body::Pod(spec) => workloads.push(Workload {
                ns,
                kind,
                name,
                labels: labels(&o.meta.labels),
                default_container: o
                    .meta
                    .annotations
                    .get("kubectl.kubernetes.io/default-container")
                    .and_then(|t| t.0.clone()),
                pod: spec.clone(),
                file,
                line,
            }),
            Body::Service(spec) => services.push(Svc {
                ns,
                name,
                spec: spec.clone(),
                file,
                line,
            }),
            Body::ConfigMap(data) => {
                config_maps.insert(
                    (ns, name),
                    ConfigMap {
                        data: data
                            .iter()
                            .map(|(k, v)| (k.clone(), v.0.clone().unwrap_or_default()))
                            .collect(),
                        file,
                        line,
                    },
                );
            }
            Body::Policy(spec) => policies.push(Policy {
                ns,
                name,
                spec: spec.clone(),
                file,
                line,
            }),
            Body::Other if kind == "Namespace" => {
                let mut l = labels(&o.meta.labels);
                l.insert("kubernetes.io/metadata.name".into(), name.clone());
                namespaces.insert(name, l);
            }
            Body::Other => {}
        }
    }
    for (ns, l) in namespaces.iter_mut() {
        l.entry("kubernetes.io/metadata.name".into())
            .or_insert_with(|| ns.clone());
    }

    // Name each workload after the Service selecting it.
    let selects = |s: &Svc, w: &Workload| {
        s.ns == w.ns
            && s.spec.selector.as_ref().is_some_and(|sel| {
                !sel.is_empty() && labels(sel).iter().all(|(k, v)| w.labels.get(k) == Some(v))
            })
    };
    let mut base_ids: Vec<String> = Vec::new();
    let mut svc_of: BTreeMap<(String, String), usize> = BTreeMap::new(); // (ns, svc) → workload
    for (wi, w) in workloads.iter().enumerate() {
        let mut names: Vec<&str> = services
            .iter()
            .filter(|s| selects(s, w))
            .map(|s| s.name.as_str())
            .collect();
        names.sort();
        let id = if names.contains(&w.name.as_str()) {
            w.name.clone()
        } else {
            names
                .first()
                .map_or_else(|| w.name.clone(), |s| s.to_string())
        };
        for n in names {
            svc_of.insert((w.ns.clone(), n.to_string()), wi);
        }
        base_ids.push(id);
    }
    // External Services: no selector, or ExternalName.
    let mut externals: Vec<usize> = Vec::new();
    for (si, s) in services.iter().enumerate() {
        let no_selector = s.spec.selector.as_ref().is_none_or(|m| m.is_empty());
        if s.spec.type_.as_deref() == Some("ExternalName") || no_selector {
            externals.push(si);
        } else if !svc_of.contains_key(&(s.ns.clone(), s.name.clone())) {
            let sel: Vec<String> = labels(s.spec.selector.as_ref().expect("has a selector"))
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            findings.push(
                Finding::new(
                    Code::UnresolvedReference,
                    format!(
                        "Service '{}/{}' selects no workload (selector {}); references to it are not edges",
                        s.ns,
                        s.name,
                        sel.join(",")
                    ),
                )
                .with_nodes([s.name.as_str()])
                .at(Location {
                    file: files[s.file].clone(),
                    line: s.line,
                    column: None,
                })
                .with_help("fix the Service's selector or the workload's pod labels, or load the workload's manifest too"),
            );
        }
    }
    // Ids used in several namespaces are qualified.
    let mut id_namespaces: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (wi, w) in workloads.iter().enumerate() {
        id_namespaces
            .entry(base_ids[wi].clone())
            .or_default()
            .insert(w.ns.clone());
    }
    for &si in &externals {
        let s = &services[si];
        id_namespaces
            .entry(s.name.clone())
            .or_default()
            .insert(s.ns.clone());
    }
    let qualify = |id: &str, ns: &str| {
        if id_namespaces.get(id).is_some_and(|n| n.len() > 1) {
            format!("{id}.{ns}")
        } else {
            id.to_string()
        }
    };
    let ids: Vec<String> = workloads
        .iter()
        .enumerate()
        .map(|(wi, w)| qualify(&base_ids[wi], &w.ns))
        .collect();
    // A qualified `name.namespace` can be another namespace's plain name: say so rather
    // than merge the two silently.
    // Per id, the (namespace, name) pairs that get it, each with its first workload.
    let mut claims: BTreeMap<&str, BTreeMap<(&str, &str), usize>> = BTreeMap::new();
    for (wi, w) in workloads.iter().enumerate() {
        claims
            .entry(ids[wi].as_str())
            .or_default()
            .entry((w.ns.as_str(), base_ids[wi].as_str()))
            .or_insert(wi);
    }
    for (id, by) in claims.iter().filter(|(_, by)| by.len() > 1) {
        let named: Vec<String> = by
            .keys()
            .map(|(ns, b)| format!("'{b}' in namespace '{ns}'"))
            .collect();
        let w = &workloads[*by.values().next().expect("two or more")];
        findings.push(
            Finding::new(
                Code::DuplicateObject,
                format!(
                    "{} {} get the node id '{id}' and become one node",
                    named.join(" and "),
                    if named.len() == 2 { "both" } else { "all" }
                ),
            )
            .with_nodes([*id])
            .at(Location {
                file: files[w.file].clone(),
                line: w.line,
                column: None,
            })
            .with_help("rename one of the workloads (or its Service); names used in several namespaces become name.namespace"),
        );
    }
    // (namespace, service name) → node id.
    let mut by_service: BTreeMap<(String, String), String> = svc_of
        .iter()
        .map(|(k, &wi)| (k.clone(), ids[wi].clone()))
        .collect();
    for &si in &externals {
        let s = &services[si];
        by_service.insert((s.ns.clone(), s.name.clone()), qualify(&s.name, &s.ns));
    }
    let lookup_in = |ns: &str, host: &str| -> Option<String> {
        let h = host.trim_end_matches('.');
        let h = h
            .strip_suffix(".svc.cluster.local")
            .or_else(|| h.strip_suffix(".svc"))
            .unwrap_or(h);
        match h.split_once('.') {
            None => by_service.get(&(ns.to_string(), h.to_string())).cloned(),
            Some((svc, other_ns)) if !other_ns.contains('.') => by_service
                .get(&(other_ns.to_string(), svc.to_string()))
                .cloned(),
            _ => None,
        }
    };

    // Classes and node kinds.
    let mut classes: BTreeMap<String, Class> = BTreeMap::new();
    for (wi, w) in workloads.iter().enumerate() {
        let main = w
            .default_container
            .as_ref()
            .and_then(|n| w.pod.containers.iter().find(|c| &c.name == n))
            .or_else(|| w.pod.containers.first());
        let image = main.and_then(|c| c.image.as_deref());
        let class = ctx
            .classifier
            .classify(image, &[base_ids[wi].as_str(), w.name.as_str()]);
        let e = classes.entry(ids[wi].clone()).or_insert(class);
        *e = (*e).max(class);
    }

    let mut docs: BTreeMap<usize, DocId> = BTreeMap::new();
    let mut doc = |b: &mut GraphBuilder, f: usize| -> DocId {
        *docs
            .entry(f)
            .or_insert_with(|| b.begin_document(SOURCE, &files[f]))
    };
    let mut declared: BTreeSet<String> = BTreeSet::new();
    for (wi, w) in workloads.iter().enumerate() {
        let id = &ids[wi];
        if declared.insert(id.clone()) {
            let d = doc(builder, w.file);
            builder.add_node(
                d,
                NodeSpec {
                    id: id.as_str().into(),
                    kind: classes[id].node_kind(),
                    ..NodeSpec::default()
                },
            );
        }
    }
    for &si in &externals {
        let s = &services[si];
        let id = qualify(&s.name, &s.ns);
        if declared.insert(id.clone()) {
            let d = doc(builder, s.file);
            builder.add_node(
                d,
                NodeSpec {
                    id: id.into(),
                    kind: Some(NodeKind::External),
                    ..NodeSpec::default()
                },
            );
            classes.insert(qualify(&s.name, &s.ns), Class::Service);
        }
    }

    // Edges, per node (several workloads may share one node).
    let mut items: BTreeMap<(String, String), Vec<Item>> = BTreeMap::new();
    let mut edge_doc: BTreeMap<String, usize> = BTreeMap::new();
    for (wi, w) in workloads.iter().enumerate() {
        let from = &ids[wi];
        edge_doc.entry(from.clone()).or_insert(w.file);
        let from_class = classes[from];
        let lookup = |h: &str| lookup_in(&w.ns, h);
        let mut push = |to: String, kind_key: Option<&str>, text: String, file: usize, line| {
            if to == *from {
                return;
            }
            let kind = classify::edge_kind(from_class, classes[&to], kind_key);
            items.entry((from.clone(), to)).or_default().push(Item {
                kind,
                text,
                file,
                line,
            });
        };
        let missing_cm =
            |name: &str, what: &str, line: Option<u32>, findings: &mut Vec<Finding>| {
                findings.push(
                    Finding::new(
                        Code::UnresolvedReference,
                        format!(
                            "{} '{}/{}' {what} ConfigMap '{name}', which no manifest defines",
                            w.kind, w.ns, w.name
                        ),
                    )
                    .with_nodes([from.as_str()])
                    .at(Location {
                        file: files[w.file].clone(),
                        line,
                        column: None,
                    }),
                );
            };
        for c in w.pod.init_containers.iter().chain(&w.pod.containers) {
            let mut env: BTreeMap<String, String> = BTreeMap::new();
            for ef in &c.env_from {
                let Some(r) = &ef.config_map_ref else {
                    continue;
                };
                match config_maps.get(&(w.ns.clone(), r.name.clone())) {
                    Some(cm) => {
                        for (k, v) in &cm.data {
                            let key = format!("{}{k}", ef.prefix.as_deref().unwrap_or(""));
                            for rf in classify::references(Some(&key), v, &lookup) {
                                push(
                                    rf.target,
                                    Some(&key),
                                    format!(
                                        "envFrom ConfigMap {}: {key}={} (container {})",
                                        r.name,
                                        classify::redact(Some(&key), v),
                                        c.name
                                    ),
                                    cm.file,
                                    cm.line,
                                );
                            }
                            env.insert(key, v.clone());
                        }
                    }
                    None if r.optional != Some(true) => {
                        missing_cm(&r.name, "takes its environment from", w.line, &mut findings)
                    }
                    None => {}
                }
            }
            for e in &c.env {
                let Some(name) = &e.name else { continue };
                let key = name.value.as_str();
                let line = line_of(name);
                if let Some(v) = &e.value {
                    let v = v.value.0.clone().unwrap_or_default();
                    let v = expand(&v, &env);
                    for rf in classify::references(Some(key), &v, &lookup) {
                        push(
                            rf.target,
                            Some(key),
                            format!(
                                "env {key}={} (container {})",
                                classify::redact(Some(key), &v),
                                c.name
                            ),
                            w.file,
                            line,
                        );
                    }
                    env.insert(key.to_string(), v);
                } else if let Some(r) = e
                    .value_from
                    .as_ref()
                    .and_then(|v| v.config_map_key_ref.as_ref())
                {
                    match config_maps.get(&(w.ns.clone(), r.name.clone())) {
                        Some(cm) => {
                            if let Some(v) = cm.data.get(&r.key) {
                                for rf in classify::references(Some(key), v, &lookup) {
                                    push(
                                        rf.target,
                                        Some(key),
                                        format!(
                                            "env {key} from ConfigMap {} key {}: {} (container {})",
                                            r.name,
                                            r.key,
                                            classify::redact(Some(key), v),
                                            c.name
                                        ),
                                        w.file,
                                        line,
                                    );
                                }
                                env.insert(key.to_string(), v.clone());
                            }
                        }
                        None if r.optional != Some(true) => {
                            missing_cm(&r.name, "reads a variable from", line, &mut findings)
                        }
                        None => {}
                    }
                }
            }
            let mut words: Vec<String> = Vec::new();
            let mut line = None;
            for part in [&c.command, &c.args].into_iter().flatten() {
                line = line.or(line_of(part));
                words.extend(
                    part.value
                        .iter()
                        .map(|t| expand(&t.0.clone().unwrap_or_default(), &env)),
                );
            }
            if !words.is_empty() {
                let joined = words.join(" ");
                for rf in classify::references(None, &joined, &lookup) {
                    push(
                        rf.target,
                        None,
                        format!(
                            "args {} (container {})",
                            classify::redact(None, &joined),
                            c.name
                        ),
                        w.file,
                        line,
                    );
                }
            }
        }
        for v in &w.pod.volumes {
            let refs: Vec<&NameRef> = v
                .config_map
                .iter()
                .chain(
                    v.projected
                        .iter()
                        .flat_map(|p| p.sources.iter().filter_map(|s| s.config_map.as_ref())),
                )
                .collect();
            for r in refs {
                match config_maps.get(&(w.ns.clone(), r.name.clone())) {
                    Some(cm) => {
                        for (k, data) in &cm.data {
                            for rf in classify::references(Some(k), data, &lookup) {
                                push(
                                    rf.target,
                                    Some(k),
                                    format!(
                                        "ConfigMap {} key {k} (mounted), names {}",
                                        r.name, rf.token
                                    ),
                                    cm.file,
                                    cm.line,
                                );
                            }
                        }
                    }
                    None if r.optional != Some(true) => {
                        missing_cm(&r.name, "mounts", w.line, &mut findings)
                    }
                    None => {}
                }
            }
        }
    }
    for ((from, to), mut list) in items {
        list.sort_by_key(|i| std::cmp::Reverse(classify::rank(i.kind)));
        let kind = list[0].kind;
        let mut texts: Vec<String> = Vec::new();
        for i in &list {
            if !texts.contains(&i.text) {
                texts.push(i.text.clone());
            }
        }
        let ev = Evidence::new(texts.join("; ")).at(files[list[0].file].clone(), list[0].line);
        let d = doc(builder, edge_doc[&from]);
        builder.add_derived_edge(
            d,
            EdgeSpec {
                from: from.into(),
                to: to.into(),
                kind: Some(kind),
                optional: false,
            },
            ev,
        );
    }

    // Network policies: evidence of allowed ingress.
    for p in &policies {
        let types = &p.spec.policy_types;
        if !types.is_empty() && !types.iter().any(|t| t == "Ingress") {
            continue;
        }
        let pick = |ns_filter: &dyn Fn(&str) -> bool, sel: Option<&Selector>| -> Vec<String> {
            let mut v: Vec<String> = workloads
                .iter()
                .enumerate()
                .filter(|(_, w)| ns_filter(&w.ns) && sel.is_none_or(|s| s.matches(&w.labels)))
                .map(|(wi, _)| ids[wi].clone())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let selected = pick(&|ns| ns == p.ns, Some(&p.spec.pod_selector));
        let at = Location {
            file: files[p.file].clone(),
            line: p.line,
            column: None,
        };
        if selected.is_empty() {
            let sel: Vec<String> = labels(&p.spec.pod_selector.match_labels)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            findings.push(
                Finding::new(
                    Code::NetworkPolicySelectsNothing,
                    format!(
                        "NetworkPolicy '{}/{}' selects no workload (podSelector {})",
                        p.ns,
                        p.name,
                        if sel.is_empty() {
                            "{}".into()
                        } else {
                            sel.join(",")
                        }
                    ),
                )
                .at(at),
            );
            continue;
        }
        let mut allows: Option<BTreeSet<String>> = Some(BTreeSet::new());
        for rule in p.spec.ingress.iter().flatten() {
            let peers = rule.from.as_deref().unwrap_or(&[]);
            if peers.is_empty() {
                allows = None;
                break;
            }
            for peer in peers {
                let found = match (&peer.namespace_selector, &peer.pod_selector) {
                    (None, None) => Vec::new(), // ipBlock: outside the cluster
                    (None, Some(ps)) => pick(&|ns| ns == p.ns, Some(ps)),
                    (Some(nss), ps) => {
                        let matching: BTreeSet<&str> = namespaces
                            .iter()
                            .filter(|(_, l)| nss.matches(l))
                            .map(|(n, _)| n.as_str())
                            .collect();
                        pick(&|ns| matching.contains(ns), ps.as_ref())
                    }
                };
                if let Some(a) = allows.as_mut() {
                    a.extend(found);
                }
            }
        }
        let d = doc(builder, p.file);
        builder.add_network_policy(
            d,
            NetworkPolicySpec {
                name: format!("{}/{}", p.ns, p.name),
                line: p.line,
                selects: selected,
                allows_from: allows.map(|a| a.into_iter().collect()),
            },
        );
    }
    if declared.is_empty() {
        findings.push(
            Finding::new(
                Code::EmptySource,
                format!(
                    "no workloads or Services in {}",
                    paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .at(Location::file(&paths[0])),
        );
    }
    for f in findings {
        builder.add_finding(f);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_container_variables() {
        let env: BTreeMap<String, String> = [("ADDR".to_string(), "cart:7070".to_string())].into();
        assert_eq!(expand("--target=$(ADDR)/x", &env), "--target=cart:7070/x");
        assert_eq!(expand("$$(ADDR) $(NOPE)", &env), "$(ADDR) $(NOPE)");
    }
}
