//! Cargo workspaces: member crates become `module` nodes, their dependencies on each
//! other become edges.
//!
//! # What is read
//!
//! `cargo metadata` on the workspace (its directory or its `Cargo.toml`), through the
//! `cargo_metadata` crate. Each workspace member is a node (id: the package name; `paths`:
//! the package's directory relative to the repository root, `dir/**`). A dependency of one
//! member on another is an edge: `[dependencies]` and `[build-dependencies]` → `build`,
//! `[dev-dependencies]` → `dev`; a `[target.'cfg(…)'.dependencies]` entry keeps its
//! platform as the edge's `target` attribute. Edges between members come from the
//! manifests (matched by path, then by name), so they need no network and no downloaded
//! dependencies: by default `blast` runs `cargo metadata --no-deps`.
//!
//! With `include_external = true`, external crates become `external` nodes (named
//! `name`, or `name@version` when several versions are in the graph), with every edge of
//! the resolved dependency graph. That needs `cargo metadata --frozen` (offline, the
//! lockfile as it is: `blast` never touches the network or `Cargo.lock`); when it fails
//! (dependencies not downloaded, no lockfile), only the members' direct external
//! dependencies are listed and a `degraded-source` warning says why and what to run.
//! When cargo itself fails (a broken manifest), its own message is the error.
//!
//! # `[package.metadata.blast-radius]`
//!
//! ```toml
//! [package.metadata.blast-radius]
//! service = "payment"          # the service this crate belongs to (`part_of`); a crate
//!                              # naming itself is the service (kind `service`)
//! kind = "service"             # override the node kind (default `module`)
//! tier = 0                     # criticality tier, 0 (most critical) to 3
//! customer_facing = true
//! owners = ["@shop/payments"]
//! paths = ["services/payment/**"]   # replaces the package directory
//! ```
//!
//! Unknown keys are errors naming the `Cargo.toml`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, Package, PackageId};
use serde::Deserialize;

use super::LoadContext;
use super::locate::{Needle, locate};
use crate::codes::{Code, Finding, Location};
use crate::error::{Error, Result};
use crate::graph::build::{DocId, EdgeSpec, NodeSpec};
use crate::graph::{AttrValue, EdgeKind, Evidence, GraphBuilder, NodeKind, Tier};

/// The source kind Cargo declarations carry.
pub const SOURCE: &str = "cargo";

/// The package metadata table `blast` reads.
pub const METADATA_KEY: &str = "blast-radius";

/// `[package.metadata.blast-radius]`.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct CrateMeta {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    kind: Option<NodeKind>,
    #[serde(default)]
    tier: Option<Tier>,
    #[serde(default)]
    customer_facing: Option<bool>,
    #[serde(default)]
    owners: Option<Vec<String>>,
    #[serde(default)]
    paths: Option<Vec<String>>,
}

/// Runs `cargo metadata` with `args`.
fn metadata(
    manifest: &Path,
    args: &[&str],
) -> std::result::Result<Metadata, cargo_metadata::Error> {
    let mut cmd = MetadataCommand::new();
    cmd.manifest_path(manifest);
    cmd.other_options(args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    cmd.exec()
}

/// Cargo's own message, without its `error: ` prefix and trailing blank lines.
fn cargo_message(stderr: &str) -> String {
    let s = stderr.trim();
    s.strip_prefix("error: ").unwrap_or(s).to_string()
}

fn cargo_error(manifest: &Path, e: cargo_metadata::Error) -> Error {
    match e {
        cargo_metadata::Error::CargoMetadata { stderr } => Error::Parse {
            location: Location::file(manifest),
            message: format!("`cargo metadata` failed: {}", cargo_message(&stderr)),
            help: Some(
                "fix what cargo reports (run `cargo metadata --no-deps` to see it again)".into(),
            ),
        },
        cargo_metadata::Error::Io(io) => Error::Usage(format!(
            "cannot run cargo for {}: {io}\n  help: install Rust and Cargo, or set CARGO to the cargo binary",
            crate::report::inert(&manifest.display().to_string())
        )),
        other => Error::Parse {
            location: Location::file(manifest),
            message: format!("cannot read the output of `cargo metadata`: {other}"),
            help: None,
        },
    }
}

/// A path relative to `root` when below it, with `/` separators.
fn relative(p: &Path, root: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    r.to_string_lossy().replace('\\', "/")
}

/// The section a dependency is declared in, as written in `Cargo.toml`.
fn section(kind: DependencyKind, target: Option<&str>) -> String {
    let table = match kind {
        DependencyKind::Development => "dev-dependencies",
        DependencyKind::Build => "build-dependencies",
        _ => "dependencies",
    };
    match target {
        Some(t) => format!("[target.'{t}'.{table}]"),
        None => format!("[{table}]"),
    }
}

fn edge_kind(kind: DependencyKind) -> EdgeKind {
    match kind {
        DependencyKind::Development => EdgeKind::Dev,
        _ => EdgeKind::Build,
    }
}

/// The line declaring dependency `key` in a manifest's text (best effort).
fn dep_line(text: &str, key: &str) -> Option<u32> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.strip_prefix(key).is_some_and(|rest| {
                let rest = rest.trim_start();
                rest.starts_with('=') || rest.starts_with(".workspace")
            }) || t.ends_with(&format!("dependencies.{key}]"))
        })
        .map(|i| i as u32 + 1)
}

/// Loads the Cargo workspace at `path` (a directory or a `Cargo.toml`) into `builder`.
///
/// # Errors
/// `Cargo.toml` is missing, cargo cannot run or reports an error (its message is shown),
/// or a `[package.metadata.blast-radius]` table has an unknown key or a bad value.
pub fn load(
    builder: &mut GraphBuilder,
    path: &Path,
    include_external: bool,
    ctx: &LoadContext<'_>,
) -> Result<()> {
    let _t = crate::timing::Phase::start("load cargo");
    let manifest: PathBuf = super::yaml::normalize(&if path.is_dir()
        || path.file_name().is_none_or(|n| n != "Cargo.toml")
    {
        path.join("Cargo.toml")
    } else {
        path.to_path_buf()
    });
    if !manifest.is_file() {
        return Err(Error::Io {
            path: manifest.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no Cargo.toml here"),
            hint: Some("pass a Cargo workspace directory or its Cargo.toml to --cargo".into()),
        });
    }
    let mut findings = Vec::new();
    let (meta, resolved) = if include_external {
        match metadata(&manifest, &["--frozen"]) {
            Ok(m) => (m, true),
            Err(e) => {
                let why = match &e {
                    cargo_metadata::Error::CargoMetadata { stderr } => cargo_message(stderr)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_string(),
                    other => other.to_string(),
                };
                let m =
                    metadata(&manifest, &["--no-deps"]).map_err(|e| cargo_error(&manifest, e))?;
                findings.push(
                    Finding::new(
                        Code::DegradedSource,
                        format!(
                            "cannot resolve the dependency graph offline ({why}); listing only the members' direct external dependencies"
                        ),
                    )
                    .at(Location::file(&manifest))
                    .with_help("run `cargo fetch` (with a committed Cargo.lock) so `cargo metadata --frozen` works offline"),
                );
                (m, false)
            }
        }
    } else {
        (
            metadata(&manifest, &["--no-deps"]).map_err(|e| cargo_error(&manifest, e))?,
            false,
        )
    };

    let root = ctx.root;
    let members: BTreeSet<&PackageId> = meta.workspace_members.iter().collect();
    let by_id: BTreeMap<&PackageId, &Package> = meta.packages.iter().map(|p| (&p.id, p)).collect();
    let mut member_pkgs: Vec<&Package> = meta
        .packages
        .iter()
        .filter(|p| members.contains(&p.id))
        .collect();
    member_pkgs.sort_by(|a, b| a.name.cmp(&b.name));
    let dir_of = |p: &Package| -> PathBuf {
        p.manifest_path
            .parent()
            .map(|d| d.as_std_path().to_path_buf())
            .unwrap_or_default()
    };
    let member_by_dir: BTreeMap<PathBuf, &Package> =
        member_pkgs.iter().map(|p| (dir_of(p), *p)).collect();
    let member_by_name: BTreeMap<&str, &Package> =
        member_pkgs.iter().map(|p| (p.name.as_str(), *p)).collect();

    // External ids: `name`, or `name@version` when several versions are present.
    let mut versions: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for p in &meta.packages {
        if !members.contains(&p.id) {
            versions
                .entry(p.name.as_str())
                .or_default()
                .insert(p.version.to_string());
        }
    }
    let external_id = |p: &Package| -> String {
        if versions.get(p.name.as_str()).is_some_and(|v| v.len() > 1)
            || member_by_name.contains_key(p.name.as_str())
        {
            format!("{}@{}", p.name, p.version)
        } else {
            p.name.to_string()
        }
    };

    // One document per member manifest, shown relative to where the user pointed.
    let shown = |p: &Package| -> PathBuf {
        let abs = p.manifest_path.as_std_path();
        let base = manifest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let abs_base = std::fs::canonicalize(&base).unwrap_or(base.clone());
        match abs.strip_prefix(&abs_base) {
            Ok(rel) => super::yaml::normalize(&base.join(rel)),
            Err(_) => abs.to_path_buf(),
        }
    };
    let abs_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut docs: BTreeMap<String, (DocId, PathBuf, String)> = BTreeMap::new();
    for p in &member_pkgs {
        let file = shown(p);
        let doc = builder.begin_document(SOURCE, &file);
        let text = std::fs::read_to_string(p.manifest_path.as_std_path()).unwrap_or_default();
        docs.insert(p.name.to_string(), (doc, file, text));
    }

    let mut services: BTreeSet<String> = BTreeSet::new();
    for p in &member_pkgs {
        let (doc, file, text) = &docs[p.name.as_str()];
        let meta_value = p.metadata.get(METADATA_KEY).cloned();
        let m: CrateMeta = match meta_value {
            None | Some(serde_json::Value::Null) => CrateMeta::default(),
            Some(v) => serde_json::from_value(v).map_err(|e| {
                let pos = locate(
                    text.as_bytes(),
                    &Needle::text(&format!("[package.metadata.{METADATA_KEY}]")),
                );
                Error::Parse {
                    location: Location {
                        file: file.clone(),
                        line: pos.map(|p| p.0),
                        column: pos.map(|p| p.1),
                    },
                    message: format!(
                        "[package.metadata.{METADATA_KEY}]: {}",
                        super::manifest::json_message(&e).replace("unknown field", "unknown key")
                    ),
                    help: Some(
                        "the keys are service, kind, tier, customer_facing, owners and paths"
                            .into(),
                    ),
                }
            })?,
        };
        let dir = dir_of(p);
        let abs_dir = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
        let rel = relative(&abs_dir, &abs_root);
        let default_paths = if rel.is_empty() {
            vec!["**".to_string()]
        } else {
            vec![format!("{rel}/**")]
        };
        let name = p.name.to_string();
        let is_service = m.service.as_deref() == Some(name.as_str());
        let part_of = m.service.clone().filter(|s| *s != name);
        if let Some(s) = &part_of
            && !member_by_name.contains_key(s.as_str())
        {
            services.insert(s.clone());
        }
        builder.add_node(
            *doc,
            NodeSpec {
                id: name.clone().into(),
                kind: Some(m.kind.unwrap_or(if is_service {
                    NodeKind::Service
                } else {
                    NodeKind::Module
                })),
                tier: m.tier,
                customer_facing: m.customer_facing,
                owners: m.owners.map(|o| o.into_iter().map(Into::into).collect()),
                paths: Some(
                    m.paths
                        .unwrap_or(default_paths)
                        .into_iter()
                        .map(Into::into)
                        .collect(),
                ),
                part_of: part_of.map(Into::into),
            },
        );
    }
    // Services named by crates but not crates themselves.
    for s in &services {
        let owner = member_pkgs
            .iter()
            .find(|p| {
                p.metadata
                    .get(METADATA_KEY)
                    .and_then(|m| m.get("service"))
                    .and_then(|v| v.as_str())
                    == Some(s.as_str())
            })
            .expect("a crate named the service");
        let (doc, _, _) = &docs[owner.name.as_str()];
        builder.add_node(
            *doc,
            NodeSpec {
                id: s.as_str().into(),
                kind: Some(NodeKind::Service),
                ..NodeSpec::default()
            },
        );
    }

    // Member → member (and, without a resolve graph, member → direct external) edges.
    let mut externals: BTreeMap<String, (DocId, Option<String>)> = BTreeMap::new();
    let mut seen: BTreeSet<(String, String, EdgeKind, Option<String>)> = BTreeSet::new();
    for p in &member_pkgs {
        let (doc, file, text) = &docs[p.name.as_str()];
        for d in &p.dependencies {
            let target = d
                .path
                .as_ref()
                .and_then(|dp| member_by_dir.get(dp.as_std_path()).copied())
                .or_else(|| {
                    d.source
                        .is_none()
                        .then(|| member_by_name.get(d.name.as_str()).copied())
                        .flatten()
                });
            let platform = d.target.as_ref().map(|t| t.to_string());
            let (to, is_member) = match target {
                Some(t) => (t.name.to_string(), true),
                None if include_external && !resolved => (d.name.clone(), false),
                None => continue,
            };
            if !seen.insert((
                p.name.to_string(),
                to.clone(),
                edge_kind(d.kind),
                platform.clone(),
            )) {
                continue;
            }
            let key = d.rename.as_deref().unwrap_or(&d.name);
            let mut text_ev = format!("{} {key}", section(d.kind, platform.as_deref()));
            if d.rename.is_some() {
                text_ev.push_str(&format!(" (package {})", d.name));
            }
            if !is_member {
                text_ev.push_str(&format!(" {}", d.req));
            }
            if d.optional {
                text_ev.push_str(" (optional)");
            }
            let mut ev = Evidence::new(text_ev).at(file.clone(), dep_line(text, key));
            if let Some(t) = &platform {
                ev = ev.with("target", AttrValue::Text(t.clone()));
            }
            if !is_member {
                externals.entry(to.clone()).or_insert((*doc, None));
            }
            builder.add_derived_edge(
                *doc,
                EdgeSpec {
                    from: p.name.to_string().into(),
                    to: to.into(),
                    kind: Some(edge_kind(d.kind)),
                    optional: false,
                },
                ev,
            );
        }
    }

    // The resolved graph: every external crate and edge.
    if let (true, Some(resolve)) = (resolved, &meta.resolve) {
        let first_doc = docs.values().next().map(|(d, _, _)| *d);
        let lock = manifest
            .parent()
            .map(|d| d.join("Cargo.lock"))
            .unwrap_or_else(|| PathBuf::from("Cargo.lock"));
        let lock_doc = first_doc.map(|_| builder.begin_document(SOURCE, &lock));
        let id_of = |pid: &PackageId| -> Option<String> {
            let p = by_id.get(pid)?;
            Some(if members.contains(pid) {
                p.name.to_string()
            } else {
                external_id(p)
            })
        };
        let mut nodes: Vec<&cargo_metadata::Node> = resolve.nodes.iter().collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        for n in nodes {
            let Some(from) = id_of(&n.id) else { continue };
            let from_member = members.contains(&n.id);
            if !from_member {
                let p = by_id[&n.id];
                externals.insert(
                    from.clone(),
                    (lock_doc.expect("doc"), Some(p.version.to_string())),
                );
            }
            for dep in &n.deps {
                let Some(to) = id_of(&dep.pkg) else { continue };
                if from_member && members.contains(&dep.pkg) {
                    continue; // from the manifests above
                }
                let to_pkg = by_id[&dep.pkg];
                externals
                    .entry(to.clone())
                    .or_insert((lock_doc.expect("doc"), Some(to_pkg.version.to_string())));
                for dk in &dep.dep_kinds {
                    let platform = dk.target.as_ref().map(|t| t.to_string());
                    if !seen.insert((
                        from.clone(),
                        to.clone(),
                        edge_kind(dk.kind),
                        platform.clone(),
                    )) {
                        continue;
                    }
                    let (doc, file, line) = if from_member {
                        let (doc, file, text) = &docs[by_id[&n.id].name.as_str()];
                        (*doc, file.clone(), dep_line(text, &dep.name))
                    } else {
                        (lock_doc.expect("doc"), lock.clone(), None)
                    };
                    let mut ev = Evidence::new(format!(
                        "{} {} = {}",
                        section(dk.kind, platform.as_deref()),
                        dep.name,
                        to_pkg.version
                    ))
                    .at(file, line);
                    if let Some(t) = &platform {
                        ev = ev.with("target", AttrValue::Text(t.clone()));
                    }
                    builder.add_derived_edge(
                        doc,
                        EdgeSpec {
                            from: from.clone().into(),
                            to: to.clone().into(),
                            kind: Some(edge_kind(dk.kind)),
                            optional: false,
                        },
                        ev,
                    );
                }
            }
        }
    }
    for (id, (doc, _)) in &externals {
        builder.add_node(
            *doc,
            NodeSpec {
                id: id.as_str().into(),
                kind: Some(NodeKind::External),
                ..NodeSpec::default()
            },
        );
    }
    if member_pkgs.is_empty() {
        findings.push(
            Finding::new(
                Code::EmptySource,
                "the workspace has no member packages".to_string(),
            )
            .at(Location::file(&manifest)),
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
    fn finds_dependency_lines() {
        let text = "[package]\nname = \"a\"\n\n[dependencies]\nb = { path = \"../b\" }\nc.workspace = true\n\n[dependencies.d]\npath = \"../d\"\n";
        assert_eq!(dep_line(text, "b"), Some(5));
        assert_eq!(dep_line(text, "c"), Some(6));
        assert_eq!(dep_line(text, "d"), Some(8));
        assert_eq!(dep_line(text, "e"), None);
        assert_eq!(
            section(DependencyKind::Development, None),
            "[dev-dependencies]"
        );
        assert_eq!(
            section(DependencyKind::Normal, Some("cfg(unix)")),
            "[target.'cfg(unix)'.dependencies]"
        );
    }
}
