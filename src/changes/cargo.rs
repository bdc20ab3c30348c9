//! Cargo packages as owners of files: the nearest enclosing package of a path, every package
//! below a directory, and what changed between two versions of a manifest.
//!
//! Manifests are read with the `toml` crate from the tree being resolved (the working tree,
//! the index or a commit), so a deleted crate is still found at the base. A manifest is a
//! package when it has `[package]` with a `name`; a workspace root when it has
//! `[workspace]`.
//!
//! A package maps to a node when a node's id is the package name (or the name with `_` and
//! `-` swapped), else when a node's `paths` own the package's `Cargo.toml`, `src/lib.rs` or
//! `src/main.rs`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::git::Tree;
use super::ownership::Ownership;
use super::repo::RepoFiles;
use crate::error::Result;
use crate::graph::{DependencyGraph, Node};

/// A Cargo package found in a tree.
#[derive(Clone, Debug)]
pub struct Package {
    /// `[package] name`.
    pub name: String,
    /// Its directory, relative to the repository root (`""` for the root).
    pub dir: String,
    /// The parsed manifest.
    pub manifest: Arc<toml::Table>,
}

impl Package {
    /// The repository path of its `Cargo.toml`.
    pub fn manifest_path(&self) -> String {
        join(&self.dir, "Cargo.toml")
    }
}

/// `dir/name`, or `name` at the root.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The directory part of a repository path (`""` at the root).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Parses a manifest.
///
/// # Errors
/// The TOML parser's message.
pub fn parse_manifest(bytes: &[u8]) -> std::result::Result<toml::Table, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    text.parse::<toml::Table>()
        .map_err(|e| e.message().trim().to_string())
}

/// `[package] name`, when the manifest is a package.
pub fn package_name(manifest: &toml::Table) -> Option<&str> {
    manifest.get("package")?.get("name")?.as_str()
}

/// Whether the manifest is a workspace root.
pub fn is_workspace_root(manifest: &toml::Table) -> bool {
    manifest.contains_key("workspace")
}

/// Parsed manifests by (tree, path); `None` for absent or unparsable ones.
type ManifestCache = HashMap<(Tree, String), Option<Arc<toml::Table>>>;

/// Reads and caches manifests from the trees of one change.
#[derive(Default)]
pub struct CargoIndex {
    manifests: Mutex<ManifestCache>,
    warnings: Mutex<Vec<String>>,
}

impl CargoIndex {
    /// The parsed manifest at `path` in `tree`, if it exists and parses (a manifest that does
    /// not parse is reported once as a warning and treated as absent).
    ///
    /// # Errors
    /// Git failing.
    pub fn manifest(
        &self,
        files: &RepoFiles,
        tree: &Tree,
        path: &str,
    ) -> Result<Option<Arc<toml::Table>>> {
        let key = (tree.clone(), path.to_string());
        if let Some(m) = self
            .manifests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(m.clone());
        }
        let parsed = match files.read(tree, path)? {
            None => None,
            Some(bytes) => match parse_manifest(&bytes) {
                Ok(t) => Some(Arc::new(t)),
                Err(e) => {
                    self.warn(format!(
                        "{path} (in {}) is not a valid Cargo manifest, so it is skipped: {e}",
                        tree.label()
                    ));
                    None
                }
            },
        };
        self.manifests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, parsed.clone());
        Ok(parsed)
    }

    fn warn(&self, w: String) {
        let mut ws = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        if !ws.contains(&w) {
            ws.push(w);
        }
    }

    /// Warnings collected so far (manifests that did not parse).
    pub fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The nearest package whose directory encloses `path` in `tree`.
    ///
    /// # Errors
    /// Git failing.
    pub fn nearest_package(
        &self,
        files: &RepoFiles,
        tree: &Tree,
        path: &str,
    ) -> Result<Option<Package>> {
        let mut dir = parent(path);
        loop {
            let manifest_path = join(dir, "Cargo.toml");
            if let Some(m) = self.manifest(files, tree, &manifest_path)?
                && let Some(name) = package_name(&m)
            {
                return Ok(Some(Package {
                    name: name.to_string(),
                    dir: dir.to_string(),
                    manifest: m.clone(),
                }));
            }
            if dir.is_empty() {
                return Ok(None);
            }
            dir = parent(dir);
        }
    }

    /// Every package at or below `dir` in `tree`, sorted by directory.
    ///
    /// # Errors
    /// Git failing.
    pub fn packages_under(
        &self,
        files: &RepoFiles,
        tree: &Tree,
        dir: &str,
    ) -> Result<Vec<Package>> {
        let mut out = Vec::new();
        for f in files.list(tree, dir)? {
            let name = f.rsplit('/').next().unwrap_or(&f);
            if name != "Cargo.toml" {
                continue;
            }
            if let Some(m) = self.manifest(files, tree, &f)?
                && let Some(n) = package_name(&m)
            {
                out.push(Package {
                    name: n.to_string(),
                    dir: parent(&f).to_string(),
                    manifest: m.clone(),
                });
            }
        }
        out.sort_by(|a, b| a.dir.cmp(&b.dir));
        Ok(out)
    }
}

/// How a package maps to a node.
#[derive(Clone, Debug)]
pub struct PackageNode<'g> {
    /// The node.
    pub node: Node<'g>,
    /// `node id`, or the glob that owns the package's files.
    pub how: String,
}

/// The node a package maps to (see the module docs).
pub fn package_node<'g>(
    graph: &'g DependencyGraph,
    ownership: &Ownership,
    name: &str,
    dir: Option<&str>,
) -> Option<PackageNode<'g>> {
    let swapped: [String; 2] = [name.replace('_', "-"), name.replace('-', "_")];
    for id in std::iter::once(name).chain(swapped.iter().map(String::as_str)) {
        if let Some(n) = graph.node(id) {
            return Some(PackageNode {
                node: n,
                how: if id == name {
                    "the node with that id".to_string()
                } else {
                    format!("node '{id}'")
                },
            });
        }
    }
    let dir = dir?;
    for f in ["Cargo.toml", "src/lib.rs", "src/main.rs"] {
        let owners = ownership.owners(graph, &join(dir, f));
        if let Some(o) = owners.into_iter().next() {
            return Some(PackageNode {
                node: o.node,
                how: format!("glob '{}' of {}", o.glob, o.node.id()),
            });
        }
    }
    None
}

/// A dependency table entry, flattened: `(section, name)` → value, where section is
/// `dependencies`, `dev-dependencies`, `build-dependencies` or `target.<cfg>.<one of those>`.
fn dependency_entries(m: &toml::Table) -> BTreeMap<(String, String), toml::Value> {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut out = BTreeMap::new();
    let mut take = |section: String, t: &toml::Table| {
        for (k, v) in t {
            out.insert((section.clone(), k.clone()), v.clone());
        }
    };
    for kind in KINDS {
        if let Some(t) = m.get(kind).and_then(|v| v.as_table()) {
            take(kind.to_string(), t);
        }
    }
    if let Some(targets) = m.get("target").and_then(|v| v.as_table()) {
        for (cfg, t) in targets {
            for kind in KINDS {
                if let Some(d) = t.get(kind).and_then(|v| v.as_table()) {
                    take(format!("target.{cfg}.{kind}"), d);
                }
            }
        }
    }
    out
}

/// A dependency value in short form: the version for `"1.0"` or `{ version = "1.0" }`, else
/// the inline TOML.
pub fn short_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Table(t) if t.len() == 1 && t.get("version").is_some_and(|v| v.is_str()) => {
            t["version"].as_str().unwrap_or_default().to_string()
        }
        other => {
            let mut s = other.to_string();
            if s.len() > 80 {
                s.truncate(77);
                s.push('…');
            }
            s
        }
    }
}

/// Describes one changed key: `serde 1.0.210 → 1.0.215`, `serde added (1.0)`, `serde removed`.
pub fn describe_change(name: &str, old: Option<&toml::Value>, new: Option<&toml::Value>) -> String {
    match (old, new) {
        (Some(a), Some(b)) => format!("{name} {} → {}", short_value(a), short_value(b)),
        (None, Some(b)) => format!("{name} added ({})", short_value(b)),
        (Some(_), None) => format!("{name} removed"),
        (None, None) => name.to_string(),
    }
}

/// What changed in a package's dependency tables between two manifests.
pub fn dependency_changes(base: &toml::Table, head: &toml::Table) -> Vec<String> {
    let (a, b) = (dependency_entries(base), dependency_entries(head));
    let mut keys: Vec<&(String, String)> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let d = describe_change(&k.1, a.get(k), b.get(k));
            if k.0 == "dependencies" {
                d
            } else {
                format!("{d} [{}]", k.0)
            }
        })
        .collect()
}

/// What changed in a workspace root manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkspaceDiff {
    /// Keys whose change affects every package (`profile.release`, `workspace.members`,
    /// `patch.crates-io`, …).
    pub widening: Vec<String>,
    /// Changed `[workspace.dependencies]` entries: the name and a description.
    pub dependencies: Vec<(String, String)>,
    /// Changed `[workspace.package]` keys (`version`, `edition`, …): the key and a
    /// description. They reach the packages that inherit them (`key.workspace = true`).
    pub package_keys: Vec<(String, String)>,
    /// The root manifest is also a package, and its own sections changed.
    pub package_changed: bool,
}

impl WorkspaceDiff {
    /// Nothing that matters changed (formatting, comments, `workspace.metadata`).
    pub fn is_empty(&self) -> bool {
        self.widening.is_empty()
            && self.dependencies.is_empty()
            && self.package_keys.is_empty()
            && !self.package_changed
    }
}

/// Keys of a manifest that describe its own package.
const PACKAGE_KEYS: &[&str] = &[
    "package",
    "lib",
    "bin",
    "example",
    "test",
    "bench",
    "features",
    "dependencies",
    "dev-dependencies",
    "build-dependencies",
    "target",
    "badges",
    "lints",
];

/// Compares two versions of a workspace root manifest.
pub fn diff_workspace(base: &toml::Table, head: &toml::Table) -> WorkspaceDiff {
    let mut d = WorkspaceDiff::default();
    let empty = toml::Table::new();
    let mut keys: Vec<&String> = base.keys().chain(head.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (a, b) = (base.get(k), head.get(k));
        if a == b {
            continue;
        }
        match k.as_str() {
            "workspace" => {
                let wa = a.and_then(|v| v.as_table()).unwrap_or(&empty);
                let wb = b.and_then(|v| v.as_table()).unwrap_or(&empty);
                let mut sub: Vec<&String> = wa.keys().chain(wb.keys()).collect();
                sub.sort();
                sub.dedup();
                for s in sub {
                    let (x, y) = (wa.get(s), wb.get(s));
                    if x == y || s == "metadata" {
                        continue;
                    }
                    if s == "dependencies" || s == "package" {
                        let da = x.and_then(|v| v.as_table()).unwrap_or(&empty);
                        let db = y.and_then(|v| v.as_table()).unwrap_or(&empty);
                        let mut names: Vec<&String> = da.keys().chain(db.keys()).collect();
                        names.sort();
                        names.dedup();
                        let into = if s == "package" {
                            &mut d.package_keys
                        } else {
                            &mut d.dependencies
                        };
                        for n in names {
                            if da.get(n) != db.get(n) {
                                into.push((n.clone(), describe_change(n, da.get(n), db.get(n))));
                            }
                        }
                    } else {
                        d.widening.push(format!("workspace.{s}"));
                    }
                }
            }
            "profile" | "patch" => {
                let ta = a.and_then(|v| v.as_table()).unwrap_or(&empty);
                let tb = b.and_then(|v| v.as_table()).unwrap_or(&empty);
                let mut sub: Vec<&String> = ta.keys().chain(tb.keys()).collect();
                sub.sort();
                sub.dedup();
                for s in sub {
                    if ta.get(s) != tb.get(s) {
                        d.widening.push(format!("{k}.{s}"));
                    }
                }
            }
            _ if PACKAGE_KEYS.contains(&k.as_str()) => d.package_changed = true,
            _ => d.widening.push(k.clone()),
        }
    }
    d
}

/// Whether `manifest`'s package inherits the workspace package key `key`
/// (`key.workspace = true` under `[package]`).
pub fn inherits_workspace_package_key(manifest: &toml::Table, key: &str) -> bool {
    manifest
        .get("package")
        .and_then(|p| p.get(key))
        .and_then(|v| v.get("workspace"))
        .and_then(|w| w.as_bool())
        == Some(true)
}

/// Whether `manifest` inherits the workspace dependency `name` (`name.workspace = true` in
/// any dependency table).
pub fn inherits_workspace_dependency(manifest: &toml::Table, name: &str) -> bool {
    dependency_entries(manifest)
        .iter()
        .any(|((_, n), v)| n == name && v.get("workspace").and_then(|w| w.as_bool()) == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> toml::Table {
        s.parse().unwrap()
    }

    #[test]
    fn dependency_changes_are_described() {
        let a = t(
            "[package]\nname='x'\n[dependencies]\nserde = '1.0.210'\nrand = '0.8'\n[dev-dependencies]\ninsta = '1'\n",
        );
        let b = t(
            "[package]\nname='x'\n[dependencies]\nserde = { version = '1.0.215' }\ntokio = { version = '1', features = ['rt'] }\n[dev-dependencies]\ninsta = '2'\n",
        );
        assert_eq!(
            dependency_changes(&a, &b),
            vec![
                "rand removed".to_string(),
                "serde 1.0.210 → 1.0.215".to_string(),
                "tokio added ({ features = [\"rt\"], version = \"1\" })".to_string(),
                "insta 1 → 2 [dev-dependencies]".to_string(),
            ]
        );
    }

    #[test]
    fn workspace_diff_separates_dependencies_from_widening_keys() {
        let a = t(
            "[workspace]\nmembers=['a','b']\n[workspace.dependencies]\nserde='1.0.210'\nlog='0.4'\n[workspace.metadata.x]\ny=1\n[profile.release]\nlto=false\n",
        );
        let b = t(
            "[workspace]\nmembers=['a','b']\n[workspace.dependencies]\nserde='1.0.215'\nlog='0.4'\n[workspace.metadata.x]\ny=2\n[profile.release]\nlto=false\n",
        );
        let d = diff_workspace(&a, &b);
        assert_eq!(
            d.dependencies,
            vec![("serde".to_string(), "serde 1.0.210 → 1.0.215".to_string())]
        );
        assert!(d.widening.is_empty() && !d.package_changed);
        let c = t(
            "[workspace]\nmembers=['a','b','c']\n[workspace.dependencies]\nserde='1.0.210'\nlog='0.4'\n[profile.release]\nlto=true\n",
        );
        let d = diff_workspace(&a, &c);
        assert_eq!(d.widening, vec!["profile.release", "workspace.members"]);
        assert!(diff_workspace(&a, &a).is_empty());
        let p = t("[package]\nname='root'\n[workspace]\n[dependencies]\nx='1'\n");
        let q = t("[package]\nname='root'\n[workspace]\n[dependencies]\nx='2'\n");
        assert!(diff_workspace(&p, &q).package_changed);
    }

    #[test]
    fn workspace_inheritance() {
        let m = t(
            "[package]\nname='a'\n[dependencies]\nserde={ workspace = true, features=['derive'] }\n[target.'cfg(unix)'.dependencies]\nlibc.workspace = true\n",
        );
        assert!(inherits_workspace_dependency(&m, "serde"));
        assert!(inherits_workspace_dependency(&m, "libc"));
        assert!(!inherits_workspace_dependency(&m, "log"));
    }

    #[test]
    fn nearest_package_walks_up_and_skips_virtual_manifests() {
        let dir = tempfile::tempdir().unwrap();
        let w = |p: &str, s: &str| {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        w("Cargo.toml", "[workspace]\nmembers=['crates/*']\n");
        w("crates/api/Cargo.toml", "[package]\nname='api'\n");
        w("crates/api/src/deep/x.rs", "");
        w("crates/bad/Cargo.toml", "[package\n");
        w("crates/bad/src/lib.rs", "");
        let files = RepoFiles::work_tree(dir.path());
        let idx = CargoIndex::default();
        let p = idx
            .nearest_package(&files, &Tree::WorkTree, "crates/api/src/deep/x.rs")
            .unwrap()
            .unwrap();
        assert_eq!((p.name.as_str(), p.dir.as_str()), ("api", "crates/api"));
        assert!(
            idx.nearest_package(&files, &Tree::WorkTree, "README.md")
                .unwrap()
                .is_none()
        );
        assert!(
            idx.nearest_package(&files, &Tree::WorkTree, "crates/bad/src/lib.rs")
                .unwrap()
                .is_none()
        );
        assert_eq!(idx.warnings().len(), 1, "{:?}", idx.warnings());
        assert!(idx.warnings()[0].starts_with("crates/bad/Cargo.toml"));
        let all = idx.packages_under(&files, &Tree::WorkTree, "").unwrap();
        assert_eq!(
            all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["api"]
        );
    }
}
