//! Changes: from what the user names (node ids, changed file paths, a git range, a list of
//! files) to the set of changed nodes, each with the reason it was chosen.
//!
//! An input that is a node id is that node. Otherwise an input holding a `/` or a `.` is a
//! repository path; anything else is an unknown id (an error with a did-you-mean). Paths from
//! git ([`git`]) or from a list (`--files-from`) are always paths.
//!
//! # Ownership: which nodes a changed file belongs to
//!
//! Each path is tried against, in order:
//!
//! 1. `[[rule]]`s in `blast.toml` marked `override = true` ([`rules`]);
//! 2. the nodes' `paths` globs, most specific first ([`ownership`]; a submodule is matched
//!    as a directory);
//! 3. the nearest enclosing Cargo package ([`cargo`]): the node with the package's name, or
//!    the node whose globs own the package's files;
//! 4. the other `[[rule]]`s, first match wins;
//! 5. the defaults ([`rules::DEFAULT_RULES`]): `Cargo.lock` is compared package by package
//!    ([`lockfile`]), a workspace root `Cargo.toml` key by key, `rust-toolchain*` and
//!    `.cargo/config*` mean every crate below them, and documentation, README and LICENSE
//!    files are ignored;
//! 6. otherwise the path is unmapped, and `unmapped = "warn" | "all" | "error"` decides.
//!
//! Every changed input carries a `reason` naming the glob, package or rule that mapped it,
//! and a rule that widens the scope says so ("widened to all 14 crates because
//! rust-toolchain.toml changed"). Ignored files are kept with their reason, and unmapped ones
//! are listed: no input is dropped silently.
//!
//! For CI, [`commits`] finds the AI-assisted commits of a git range, [`hunks`] the first
//! changed line of each file, and [`approvals`] reads who signed off.
//!
//! Graph sources that change in a git range are not mapped here: the caller compares the
//! graph at both ends ([`topology`]) and attaches the result with
//! [`ChangeSet::attach_topology`].

pub mod approvals;
pub mod cargo;
pub mod codeowners;
pub mod commits;
pub mod git;
pub mod hunks;
pub mod lockfile;
pub mod ownership;
pub mod repo;
pub mod rules;
pub mod topology;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::graph::{DependencyGraph, Node};

pub use git::{FileChange, FileStatus, Range, Tree};
pub use repo::RepoFiles;
pub use rules::{Action, RuleSpec, Rules, Unmapped};
pub use topology::Topology;

/// Where a change comes from, besides the node ids and paths named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeSource {
    /// A git range: `--base REF [--head REF]` or `--staged`.
    Git(Range),
    /// A list of changed files, relative to the repository root (`--files-from FILE`; `-` is
    /// standard input): one per line, or NUL-separated when the list holds a NUL byte.
    FilesFrom(std::path::PathBuf),
}

/// Splits a file list: on NUL bytes when there is one (`git diff --name-only -z`), else on
/// newlines (a trailing `\r` is dropped). Empty entries are skipped, a leading `./` is
/// dropped, and repeated paths are kept once, in first-seen order.
pub fn parse_file_list(bytes: &[u8]) -> Vec<String> {
    parse_file_list_numbered(bytes)
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

/// [`parse_file_list`], each path with its line in the list (1-based; in a NUL-separated
/// list, its entry), so an error can name it.
pub fn parse_file_list_numbered(bytes: &[u8]) -> Vec<(usize, String)> {
    // A byte-order mark (Windows editors write one) is not part of the first path.
    let bytes = crate::sources::text::without_bom(bytes);
    let nul = bytes.contains(&0);
    let parts: Vec<&[u8]> = if nul {
        bytes.split(|&b| b == 0).collect()
    } else {
        bytes.split(|&b| b == b'\n').collect()
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        let p = if nul {
            p
        } else {
            p.strip_suffix(b"\r").unwrap_or(p)
        };
        // `git diff --name-only` quotes unusual names C-style ("caf\303\251.rs") unless
        // core.quotePath is off or -z is given; NUL-separated lists are never quoted.
        let unquoted = if nul { None } else { unquote_c(p) };
        let s = String::from_utf8_lossy(unquoted.as_deref().unwrap_or(p));
        let s = s.strip_prefix("./").unwrap_or(&s);
        if !s.is_empty() && seen.insert(s.to_string()) {
            out.push((i + 1, s.to_string()));
        }
    }
    out
}

/// The bytes of a C-style quoted name as git writes it (`"a\tb\303\251"`), or `None`
/// when `p` is not one.
fn unquote_c(p: &[u8]) -> Option<Vec<u8>> {
    let inner = p.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let e = *inner.get(i)?;
        i += 1;
        out.push(match e {
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'"' | b'\\' => e,
            b'0'..=b'3' => {
                let digits = inner.get(i..i + 2)?;
                if !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                    return None;
                }
                i += 2;
                (e - b'0') * 64 + (digits[0] - b'0') * 8 + (digits[1] - b'0')
            }
            _ => return None,
        });
    }
    Some(out)
}

/// How an input was mapped to its nodes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// The input is a node id.
    Node,
    /// A node's `paths` glob.
    Paths,
    /// The nearest enclosing Cargo package.
    CargoPackage,
    /// `Cargo.lock`: a package change, or every crate when it cannot be compared.
    CargoLock,
    /// A workspace root `Cargo.toml`: a `[workspace.dependencies]` change, or a
    /// workspace-wide key that widens to every crate.
    CargoManifest,
    /// A `[[rule]]` in `blast.toml`.
    Rule,
    /// A built-in default rule.
    DefaultRule,
    /// `unmapped = "all"`.
    Unmapped,
    /// A change to a graph source.
    Topology,
}

impl Via {
    /// The keyword used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Node => "node",
            Via::Paths => "paths",
            Via::CargoPackage => "cargo-package",
            Via::CargoLock => "cargo-lock",
            Via::CargoManifest => "cargo-manifest",
            Via::Rule => "rule",
            Via::DefaultRule => "default-rule",
            Via::Unmapped => "unmapped",
            Via::Topology => "topology",
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One input and the nodes it maps to.
#[derive(Clone, Debug)]
pub struct ChangedInput<'g> {
    /// The input as given (a node id or a path).
    pub input: String,
    /// The nodes it maps to.
    pub nodes: Vec<Node<'g>>,
    /// Why: `node id`, the glob that matched, the package, the rule, the lockfile change.
    pub reason: String,
    /// What git says happened to the file (`None` for inputs given by hand).
    pub status: Option<FileStatus>,
    /// How it was mapped.
    pub via: Via,
    /// Whether a rule widened the scope beyond the file's owner (to all crates, all nodes).
    pub widened: bool,
}

impl<'g> ChangedInput<'g> {
    /// A change the resolver derived (a lockfile or manifest change, a widening rule); the
    /// caller fills in `input` and `status` when it stands for a file of the diff.
    fn derived(nodes: Vec<Node<'g>>, reason: String, via: Via, widened: bool) -> Self {
        ChangedInput {
            input: String::new(),
            nodes,
            reason,
            status: None,
            via,
            widened,
        }
    }
}

/// An input that maps to no node on purpose (a rule said so), with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredInput {
    /// The path.
    pub input: String,
    /// What git says happened to it.
    pub status: Option<FileStatus>,
    /// Why it changes nothing.
    pub reason: String,
}

/// The git range a change was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffInfo {
    /// The base ref as given (`HEAD` for `--staged`).
    pub base: String,
    /// The base commit: the merge base (or `HEAD` for `--staged`); `None` for an unborn
    /// branch.
    pub merge_base: Option<String>,
    /// The head: a ref as given, `working tree` or `index`.
    pub head: String,
    /// The head commit, when the head is a commit.
    pub head_commit: Option<String>,
}

/// The changed nodes of a change, with the inputs that produced them.
#[derive(Clone, Debug, Default)]
pub struct ChangeSet<'g> {
    /// Every input that mapped to at least one node, in input order.
    pub changed: Vec<ChangedInput<'g>>,
    /// Paths that nothing maps to a node.
    pub unmapped: Vec<String>,
    /// Paths that a rule says change nothing.
    pub ignored: Vec<IgnoredInput>,
    /// The git range, when the change came from git.
    pub diff: Option<DiffInfo>,
    /// Changed graph sources, held back for [`ChangeSet::attach_topology`].
    pub graph_sources: Vec<(String, Option<FileStatus>)>,
    /// What the change does to the graph itself, when graph sources changed.
    pub topology: Option<Topology>,
}

impl<'g> ChangeSet<'g> {
    /// Every changed node, deduplicated, in graph order.
    pub fn nodes(&self) -> Vec<Node<'g>> {
        let mut v: Vec<Node<'g>> = self
            .changed
            .iter()
            .flat_map(|c| c.nodes.iter().copied())
            .collect();
        v.sort_by_key(|n| n.ix());
        v.dedup();
        v
    }

    /// Records what the change does to the graph: each changed graph source maps to the
    /// nodes whose declarations changed, or is ignored when no node or edge changed.
    pub fn attach_topology(&mut self, topology: Topology, head: &'g DependencyGraph) {
        let touched = topology.touched(head);
        // Named by hand, not changed by the range (a changed one comes with its status).
        let (named, changed): (Vec<_>, Vec<_>) = std::mem::take(&mut self.graph_sources)
            .into_iter()
            .partition(|(_, status)| status.is_none());
        self.graph_sources = named;
        self.topology_without_versions(true);
        for (path, status) in changed {
            if topology.is_empty() {
                self.ignored.push(IgnoredInput {
                    input: path,
                    status,
                    reason: "graph source: no node or edge changed".to_string(),
                });
            } else if touched.is_empty() {
                self.ignored.push(IgnoredInput {
                    input: path,
                    status,
                    reason: format!(
                        "graph source: {} (no remaining node changed)",
                        topology.summary()
                    ),
                });
            } else {
                self.changed.push(ChangedInput {
                    input: path,
                    nodes: touched.clone(),
                    reason: format!("topology: {}", topology.summary()),
                    status,
                    via: Via::Topology,
                    widened: false,
                });
            }
        }
        self.topology = Some(topology);
    }

    /// Graph sources named by hand that no comparison covers (without a git range, or one
    /// that does not edit them): what a change to one does is a change to the graph, found
    /// by comparing two versions of it, so on its own it changes no node (ignored, with
    /// that reason; not a file nothing maps).
    pub fn topology_without_versions(&mut self, ranged: bool) {
        let reason = if ranged {
            "graph source: the change does not edit it, so the graph it describes is the same at both ends"
        } else {
            "graph source: a change to it is a change to the graph, found by comparing two versions (name a git range: --base, --head or --staged)"
        };
        for (path, status) in std::mem::take(&mut self.graph_sources) {
            self.ignored.push(IgnoredInput {
                input: path,
                status,
                reason: reason.to_string(),
            });
        }
    }

    /// Records that what the change does to the graph is unknown (the graph at the base does
    /// not load, `why` says where): each changed graph source is listed as a change of no
    /// known node, not as a file nothing maps.
    pub fn topology_unknown(&mut self, why: &str) {
        for (path, status) in std::mem::take(&mut self.graph_sources) {
            self.changed.push(ChangedInput {
                input: path,
                nodes: Vec::new(),
                reason: format!(
                    "graph source: {why}, so what this change does to the graph is unknown"
                ),
                status,
                via: Via::Topology,
                widened: false,
            });
        }
    }
}

/// A folder named by hand that holds no file git lists at the change's head (`head`) nor at
/// its base: ignored, saying so.
fn empty_folder(f: &FileChange, head: Option<&Tree>) -> IgnoredInput {
    let reason = match head {
        None | Some(Tree::WorkTree) => {
            "a folder with no file git lists in it (empty, or only ignored files): nothing to change"
                .to_string()
        }
        Some(t) => format!(
            "a folder with no file in {} (the change's head) or at its base: nothing to change",
            t.label()
        ),
    };
    IgnoredInput {
        input: normalize(&f.path).into_owned(),
        status: f.status,
        reason,
    }
}

/// Maps inputs to nodes; builds the ownership index only when a path needs it.
pub struct Resolver<'g> {
    graph: &'g DependencyGraph,
    ownership: OnceLock<ownership::Ownership>,
    rules: Rules,
    unmapped: Unmapped,
    files: Option<RepoFiles>,
    cargo: cargo::CargoIndex,
    graph_sources: BTreeSet<String>,
    /// The repository paths of `blast.toml`: where the head has it and where the base
    /// did (a change may move it).
    config_files: Vec<String>,
    /// The first input widened to every node, if any: later ones list no nodes again (a
    /// million-node graph would otherwise be copied once per file).
    widened_to_all: std::sync::Mutex<Option<String>>,
    /// Look Cargo packages up at the base first (the change judged as the base sees it).
    base_first: bool,
}

/// What one path resolves to.
enum Outcome<'g> {
    Changed(Vec<ChangedInput<'g>>),
    Ignored(String),
    Unmapped,
}

use ownership::clean_path as normalize;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..max].join(", "), items.len() - max)
    }
}

impl<'g> Resolver<'g> {
    /// A resolver over `graph` with the default rules, `unmapped = "warn"`, and no files to
    /// read (so no Cargo packages and no base to compare lockfiles with).
    pub fn new(graph: &'g DependencyGraph) -> Resolver<'g> {
        Resolver {
            graph,
            ownership: OnceLock::new(),
            rules: Rules::default(),
            unmapped: Unmapped::Warn,
            files: None,
            cargo: cargo::CargoIndex::default(),
            graph_sources: BTreeSet::new(),
            config_files: Vec::new(),
            widened_to_all: std::sync::Mutex::new(None),
            base_first: false,
        }
    }

    /// Uses `rules` (the user's `[[rule]]`s and the defaults).
    pub fn rules(mut self, rules: Rules) -> Resolver<'g> {
        self.rules = rules;
        self
    }

    /// What to do with unmapped paths.
    pub fn unmapped(mut self, unmapped: Unmapped) -> Resolver<'g> {
        self.unmapped = unmapped;
        self
    }

    /// Reads Cargo manifests and lockfiles from `files` (and compares with its base).
    pub fn files(mut self, files: RepoFiles) -> Resolver<'g> {
        self.files = Some(files);
        self
    }

    /// Holds these repository paths back as graph sources (see [`ChangeSet::graph_sources`]).
    pub fn graph_sources<I: IntoIterator<Item = String>>(mut self, paths: I) -> Resolver<'g> {
        self.graph_sources = paths.into_iter().collect();
        self
    }

    /// The repository paths of `blast.toml` (the head's, and the base's when it was
    /// elsewhere): a change to it is ignored (it changes how changes are judged, not what
    /// they reach) unless a node's `paths` or a rule claims it.
    pub fn config_files<I: IntoIterator<Item = String>>(mut self, paths: I) -> Resolver<'g> {
        self.config_files = paths.into_iter().collect();
        self
    }

    /// Finds the Cargo package of a file as the base has it (its manifest there) before the
    /// head's: for judging a change as the base sees it, so renaming a package in the change
    /// does not move its files to another node (or to none).
    pub fn base_first(mut self) -> Resolver<'g> {
        self.base_first = true;
        self
    }

    /// The ownership index.
    pub fn ownership(&self) -> &ownership::Ownership {
        self.ownership
            .get_or_init(|| ownership::Ownership::new(self.graph))
    }

    /// Warnings collected while resolving (manifests that did not parse, …).
    pub fn warnings(&self) -> Vec<String> {
        self.cargo.warnings()
    }

    /// Resolves node ids and paths into a [`ChangeSet`].
    ///
    /// # Errors
    /// [`Error::UnknownNode`] for an input that is neither a node id nor a path (or a rule
    /// naming an unknown node); [`Error::Usage`] for unmapped paths under
    /// `unmapped = "error"`; git failing while reading a base.
    pub fn resolve<S: AsRef<str>>(&self, inputs: &[S]) -> Result<ChangeSet<'g>> {
        self.start();
        let mut set = self.resolve_inputs(inputs, Default::default())?;
        self.finish(&mut set)?;
        Ok(set)
    }

    /// The node ids and paths of one change, before the `unmapped` policy; paths in `skip`
    /// are left out (changed files from git or a list name them).
    fn resolve_inputs<S: AsRef<str>>(
        &self,
        inputs: &[S],
        skip: std::collections::HashSet<String>,
    ) -> Result<ChangeSet<'g>> {
        let mut set = ChangeSet::default();
        // An input given twice is one change (one entry, one finding), however a path is
        // spelled (`a.rs`, `./a.rs`, `b/../a.rs`), and a file inside a folder named too is
        // one change.
        let mut seen = std::collections::HashSet::new();
        let mut seen_paths = skip;
        for input in inputs {
            let input = input.as_ref();
            if !seen.insert(input) {
                continue;
            }
            if let Some(node) = self.graph.node(input) {
                set.changed.push(ChangedInput {
                    input: input.to_string(),
                    nodes: vec![node],
                    reason: "node id".to_string(),
                    status: None,
                    via: Via::Node,
                    widened: false,
                });
            } else if input.contains('/') || input.contains('.') || self.exists(input) {
                let named = FileChange::listed(input);
                let inside = self.expand(named.clone());
                if inside.is_empty() && seen_paths.insert(normalize(input).into_owned()) {
                    set.ignored.push(empty_folder(&named, self.head()));
                }
                for f in inside {
                    if seen_paths.insert(normalize(&f.path).into_owned()) {
                        self.resolve_one(&mut set, &f)?;
                    }
                }
            } else {
                return Err(Error::UnknownNode {
                    id: input.to_string(),
                    suggestions: self
                        .graph
                        .suggest(input, 3)
                        .into_iter()
                        .map(String::from)
                        .collect(),
                });
            }
        }
        Ok(set)
    }

    /// Resolves node ids and paths, then changed files (from git or a list), into one
    /// [`ChangeSet`]: one change, so only its first input widened to every node lists them.
    ///
    /// # Errors
    /// As [`Resolver::resolve`].
    pub fn resolve_change<S: AsRef<str>>(
        &self,
        inputs: &[S],
        files: &[FileChange],
    ) -> Result<ChangeSet<'g>> {
        self.start();
        // A file listed twice, however spelled (`a/../b`, `./b`), is one change; so is one
        // both named on the command line and changed (the changed one, with its status).
        let mut seen = std::collections::HashSet::new();
        let mut changed = Vec::new();
        let mut empty = Vec::new();
        for f in files {
            let inside = self.expand(f.clone());
            if inside.is_empty() && seen.insert((normalize(&f.path).into_owned(), f.status)) {
                empty.push(empty_folder(f, self.head()));
            }
            for f in inside {
                if seen.insert((normalize(&f.path).into_owned(), f.status)) {
                    changed.push(f);
                }
            }
        }
        let named = seen.into_iter().map(|(path, _)| path).collect();
        let mut set = self.resolve_inputs(inputs, named)?;
        set.ignored.extend(empty);
        for f in &changed {
            self.resolve_one(&mut set, f)?;
        }
        self.finish(&mut set)?;
        Ok(set)
    }

    /// A folder listed by hand (on the command line or in `--files-from`; `.` is the whole
    /// repository) is a change to every file inside it at the head: each is resolved as if
    /// it were listed (rules, globs, Cargo packages, the defaults), so the folder reaches
    /// what its files reach. A submodule, inside it or named itself, stays one path (owned
    /// as a folder, see [`Resolver::map`]); a folder with no file git lists is nothing
    /// (see [`empty_folder`]). Anything else is itself.
    fn expand(&self, f: FileChange) -> Vec<FileChange> {
        let Some(files) = &self.files else {
            return vec![f];
        };
        if f.status.is_some() || f.submodule {
            return vec![f];
        }
        let path = normalize(&f.path).into_owned();
        if (!path.is_empty() && self.is_file(&path)) || path.starts_with("../") || path == ".." {
            return vec![f];
        }
        // The folder at the head, else (deleted by the change) at the base; a folder of the
        // working tree that git lists nothing in holds no file to change.
        let Some((tree, inside)) = std::iter::once(&files.head)
            .chain(&files.base)
            .find_map(|t| Some(t).zip(files.list(t, &path).ok().filter(|l| !l.is_empty())))
        else {
            return if self.is_folder_on_disk(&path) {
                Vec::new()
            } else {
                vec![f]
            };
        };
        // A submodule is listed as one entry: the folder of its checkout; so is a git
        // repository inside the working tree that is not a submodule (`dir/`).
        let submodules = files.submodules(tree, &path).unwrap_or_default();
        inside
            .into_iter()
            .map(|p| {
                let nested = p.ends_with('/');
                let p = p.trim_end_matches('/').to_string();
                let submodule = p == path || nested || submodules.binary_search(&p).is_ok();
                FileChange {
                    submodule,
                    ..FileChange::listed(p)
                }
            })
            .collect()
    }

    /// Resolves changed files (from git or a list) into a [`ChangeSet`].
    ///
    /// # Errors
    /// As [`Resolver::resolve`].
    pub fn resolve_files(&self, files: &[FileChange]) -> Result<ChangeSet<'g>> {
        self.start();
        let mut set = ChangeSet::default();
        for f in files {
            self.resolve_one(&mut set, f)?;
        }
        self.finish(&mut set)?;
        Ok(set)
    }

    /// Whether `path` is a file or a folder of the change's head (a root-level `Makefile`
    /// or `lib` named without `./` is a path when it is not a node id).
    fn exists(&self, path: &str) -> bool {
        self.is_file(path) || self.holds_files(path) || self.is_folder_on_disk(path)
    }

    /// Whether `path` is a folder of the working tree, whatever the change's head: a folder
    /// named by hand that holds no file git lists at the head (empty, only ignored files,
    /// or, with `--staged` or `--head REF`, none staged or none at `REF`) changes nothing.
    fn is_folder_on_disk(&self, path: &str) -> bool {
        self.files
            .as_ref()
            .is_some_and(|files| !path.is_empty() && files.root().join(path).is_dir())
    }

    /// The change's head, when the repository's files are known.
    fn head(&self) -> Option<&Tree> {
        self.files.as_ref().map(|f| &f.head)
    }

    /// Whether `path` is a file of the change's head.
    fn is_file(&self, path: &str) -> bool {
        self.files
            .as_ref()
            .is_some_and(|files| matches!(files.read(&files.head, path), Ok(Some(_))))
    }

    /// Whether files lie below `path` in the change's head (a folder, when `path` is not a
    /// file itself).
    fn holds_files(&self, path: &str) -> bool {
        !path.is_empty()
            && self
                .files
                .as_ref()
                .is_some_and(|files| files.list(&files.head, path).is_ok_and(|l| !l.is_empty()))
    }

    /// Each change set is resolved on its own.
    fn start(&self) {
        *self
            .widened_to_all
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn resolve_one(&self, set: &mut ChangeSet<'g>, f: &FileChange) -> Result<()> {
        let path = normalize(&f.path);
        let path = &*path;
        if self.graph_sources.contains(path) {
            set.graph_sources.push((path.to_string(), f.status));
            return Ok(());
        }
        match self.map(f)? {
            Outcome::Changed(mut c) => {
                for ci in &mut c {
                    ci.input = path.to_string();
                    ci.status = f.status;
                }
                set.changed.extend(c);
            }
            Outcome::Ignored(reason) => set.ignored.push(IgnoredInput {
                input: path.to_string(),
                status: f.status,
                reason,
            }),
            // `unmapped = "all"`: a change to every node, with what git says of the file.
            Outcome::Unmapped if self.unmapped == Unmapped::All => {
                let (nodes, reason) = self.every_node(
                    path,
                    format!(
                        "widened to all {} because '{path}' maps to no node (unmapped = \"all\")",
                        plural(self.graph.node_count(), "node", "nodes")
                    ),
                );
                set.changed.push(ChangedInput {
                    reason,
                    input: path.to_string(),
                    nodes,
                    status: f.status,
                    via: Via::Unmapped,
                    widened: true,
                });
            }
            Outcome::Unmapped => set.unmapped.push(path.to_string()),
        }
        Ok(())
    }

    /// Applies the `unmapped` policy.
    fn finish(&self, set: &mut ChangeSet<'g>) -> Result<()> {
        if set.unmapped.is_empty() {
            return Ok(());
        }
        match self.unmapped {
            Unmapped::Warn => Ok(()),
            Unmapped::Error => Err(Error::Usage(format!(
                "{} no node: {}\n  help: give {} to a node with `paths`, add a [[rule]] to blast.toml, or set `unmapped = \"warn\"` (or pass --unmapped warn)",
                if set.unmapped.len() == 1 {
                    "1 changed file maps to".to_string()
                } else {
                    format!("{} changed files map to", set.unmapped.len())
                },
                list(
                    &set.unmapped
                        .iter()
                        .map(|u| format!("'{}'", crate::report::inert(u)))
                        .collect::<Vec<_>>(),
                    10
                ),
                if set.unmapped.len() == 1 {
                    "it"
                } else {
                    "them"
                },
            ))),
            // Widened as they were resolved (see `resolve_one`).
            Unmapped::All => Ok(()),
        }
    }

    /// Every node for the first input widened to all of them; for later ones, none (the
    /// reason names the first).
    fn every_node(&self, input: &str, reason: String) -> (Vec<Node<'g>>, String) {
        let mut first = self
            .widened_to_all
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match first.as_deref() {
            Some(f) if f != input => (
                Vec::new(),
                format!("{reason}; every node is already changed by '{f}'"),
            ),
            _ => {
                *first = Some(input.to_string());
                (self.graph.nodes().collect(), reason)
            }
        }
    }

    fn changed(nodes: Vec<Node<'g>>, reason: String, via: Via, widened: bool) -> Outcome<'g> {
        Outcome::Changed(vec![ChangedInput::derived(nodes, reason, via, widened)])
    }

    /// The trees to look a path up in: where it exists first.
    fn trees_for(&self, f: &FileChange) -> Vec<Tree> {
        let Some(files) = &self.files else {
            return Vec::new();
        };
        let head_first = !self.base_first && f.status.is_none_or(FileStatus::in_head);
        let mut v = Vec::new();
        if head_first {
            v.push(files.head.clone());
        }
        if let Some(b) = &files.base {
            v.push(b.clone());
        }
        if !head_first {
            v.push(files.head.clone());
        }
        v
    }

    fn map(&self, f: &FileChange) -> Result<Outcome<'g>> {
        let path = normalize(&f.path);
        let path = &*path;
        // 1. Overriding rules.
        if let Some(m) = self.rules.user_rule(path, true) {
            return self.apply_user_rule(path, m);
        }
        // 2. Node globs.
        // A submodule is a folder: owned as the files inside it are (`vendor/lib/**` beats
        // `vendor/**`), else as the path itself. (A folder named by hand is its files, see
        // [`Resolver::expand`].)
        let mut owners = if f.submodule {
            self.ownership()
                .owners(self.graph, &format!("{path}/\u{1}"))
        } else {
            Vec::new()
        };
        if owners.is_empty() {
            owners = self.ownership().owners(self.graph, path);
        }
        if !owners.is_empty() {
            let mut reason = owners
                .iter()
                .map(|o| format!("glob '{}' of {}", o.glob, o.node.id()))
                .collect::<Vec<_>>()
                .join("; ");
            self.append_manifest_changes(f, &mut reason)?;
            return Ok(Resolver::changed(
                owners.into_iter().map(|o| o.node).collect(),
                reason,
                Via::Paths,
                false,
            ));
        }
        // 3. The nearest Cargo package.
        if let Some(files) = &self.files
            && !rules::is_cargo_workspace_file(path)
            && !self.is_workspace_manifest(f)?
        {
            for tree in self.trees_for(f) {
                if let Some(pkg) = self.cargo.nearest_package(files, &tree, path)? {
                    if let Some(pn) =
                        cargo::package_node(self.graph, self.ownership(), &pkg.name, Some(&pkg.dir))
                    {
                        let mut reason = format!(
                            "Cargo package '{}' ({}), {}",
                            pkg.name,
                            pkg.manifest_path(),
                            pn.how
                        );
                        self.append_manifest_changes(f, &mut reason)?;
                        return Ok(Resolver::changed(
                            vec![pn.node],
                            reason,
                            Via::CargoPackage,
                            false,
                        ));
                    }
                    break;
                }
            }
        }
        // 4. The user's other rules.
        if let Some(m) = self.rules.user_rule(path, false) {
            return self.apply_user_rule(path, m);
        }
        // 5. The defaults: blast's own configuration, then the default rules.
        if self.config_files.iter().any(|c| c == path) {
            return Ok(Outcome::Ignored(
                "blast's configuration: it changes how changes are judged, not what they reach (`blast ci` judges a change that edits it as the base sees it too)".to_string(),
            ));
        }
        for m in self.rules.default_rules(path) {
            let rules::Matched::Default(rule, glob) = m else {
                continue;
            };
            let outcome = match rule.action {
                rules::DefaultAction::Ignore => Some(Outcome::Ignored(format!(
                    "default rule for {}, glob '{glob}'",
                    rule.name
                ))),
                rules::DefaultAction::CargoLock => self.lockfile(f)?,
                rules::DefaultAction::CargoManifest => self.workspace_manifest(f)?,
                rules::DefaultAction::CargoAll => {
                    let dir = cargo::parent(path);
                    let dir = if dir.ends_with(".cargo") || dir == ".cargo" {
                        cargo::parent(dir)
                    } else {
                        dir
                    };
                    // The path as written: `.cargo/config.toml`, not `config.toml`.
                    self.all_crates(f, dir, &format!("{path} changed"), Via::DefaultRule)?
                }
            };
            if let Some(o) = outcome {
                return Ok(o);
            }
        }
        Ok(Outcome::Unmapped)
    }

    fn apply_user_rule(&self, path: &str, m: rules::Matched<'_>) -> Result<Outcome<'g>> {
        let rules::Matched::User(n, rule, glob) = m else {
            unreachable!("user_rule returns user rules");
        };
        let at = format!("blast.toml rule #{n} (glob '{glob}')");
        Ok(match rule.action {
            Action::Ignore => Outcome::Ignored(format!("{at}: action \"ignore\"")),
            Action::All => {
                let reason = format!(
                    "widened to all {} by {at}",
                    plural(self.graph.node_count(), "node", "nodes")
                );
                let (all, reason) = self.every_node(path, reason);
                Resolver::changed(all, reason, Via::Rule, true)
            }
            Action::Nodes => {
                let mut nodes = Vec::new();
                for id in &rule.nodes {
                    let node = self.graph.node(id).ok_or_else(|| Error::UnknownNode {
                        id: id.clone(),
                        suggestions: self
                            .graph
                            .suggest(id, 3)
                            .into_iter()
                            .map(String::from)
                            .collect(),
                    })?;
                    nodes.push(node);
                }
                nodes.sort_by_key(|n| n.ix());
                nodes.dedup();
                Resolver::changed(nodes, at, Via::Rule, false)
            }
        })
    }

    /// For a manifest with a base to compare with: `; dependencies: serde 1.0 → 1.1`.
    fn append_manifest_changes(&self, f: &FileChange, reason: &mut String) -> Result<()> {
        let path = normalize(&f.path);
        let path = &*path;
        if path.rsplit('/').next() != Some("Cargo.toml") {
            return Ok(());
        }
        let Some(files) = &self.files else {
            return Ok(());
        };
        let Some(base) = &files.base else {
            return Ok(());
        };
        // A rename's other side is where the file was (or went).
        let (base_path, head_path) = match (f.status, f.other.as_deref()) {
            (Some(FileStatus::RenamedTo | FileStatus::CopiedTo), Some(o)) => (o, path),
            (Some(FileStatus::RenamedFrom), Some(o)) => (path, o),
            _ => (path, path),
        };
        let old = self.cargo.manifest(files, base, base_path)?;
        let new = self.cargo.manifest(files, &files.head, head_path)?;
        if let (Some(a), Some(b)) = (old, new) {
            let changes = cargo::dependency_changes(&a, &b);
            if !changes.is_empty() {
                reason.push_str(&format!("; dependencies: {}", list(&changes, 5)));
            }
        }
        Ok(())
    }

    fn is_workspace_manifest(&self, f: &FileChange) -> Result<bool> {
        let path = normalize(&f.path);
        let path = &*path;
        if path.rsplit('/').next() != Some("Cargo.toml") {
            return Ok(false);
        }
        let Some(files) = &self.files else {
            return Ok(false);
        };
        for tree in self.trees_for(f) {
            if let Some(m) = self.cargo.manifest(files, &tree, path)? {
                return Ok(cargo::is_workspace_root(&m));
            }
        }
        Ok(false)
    }

    /// Every crate at or below `dir`, mapped to nodes; `None` when none maps. It is widened
    /// unless the nodes are just the node of the file's own crate (the nearest package above
    /// it), as for `crates/api/.cargo/config.toml` when `crates/api` holds one crate.
    fn all_crates(
        &self,
        f: &FileChange,
        dir: &str,
        because: &str,
        via: Via,
    ) -> Result<Option<Outcome<'g>>> {
        let Some(files) = &self.files else {
            return Ok(None);
        };
        let mut pkgs = Vec::new();
        for tree in self.trees_for(f) {
            pkgs = self.cargo.packages_under(files, &tree, dir)?;
            if !pkgs.is_empty() {
                break;
            }
        }
        let mut nodes: Vec<Node<'g>> = pkgs
            .iter()
            .filter_map(|p| {
                cargo::package_node(self.graph, self.ownership(), &p.name, Some(&p.dir))
            })
            .map(|pn| pn.node)
            .collect();
        nodes.sort_by_key(|n| n.ix());
        nodes.dedup();
        if nodes.is_empty() {
            return Ok(None);
        }
        let under = if dir.is_empty() {
            String::new()
        } else {
            format!(" under {dir}/")
        };
        let path = normalize(&f.path);
        let path = &*path;
        let mut own = None;
        for tree in self.trees_for(f) {
            if let Some(p) = self.cargo.nearest_package(files, &tree, path)? {
                own = cargo::package_node(self.graph, self.ownership(), &p.name, Some(&p.dir))
                    .map(|pn| (p, pn));
                break;
            }
        }
        if let (Some((pkg, pn)), [only]) = (&own, nodes.as_slice())
            && pn.node == *only
        {
            // Nothing beyond the file's own crate.
            let which = if pkgs.len() == 1 {
                format!("the only crate{under}")
            } else {
                format!("the {} crates{under} map to no other node", pkgs.len())
            };
            let reason = format!(
                "Cargo package '{}' ({}), {}: {which}, because {because}",
                pkg.name,
                pkg.manifest_path(),
                pn.how
            );
            return Ok(Some(Resolver::changed(nodes, reason, via, false)));
        }
        let mut reason = format!(
            "widened to all {}{under} because {because}",
            plural(pkgs.len(), "crate", "crates")
        );
        if nodes.len() < pkgs.len() {
            reason.push_str(&format!(
                " ({} in the graph)",
                plural(nodes.len(), "node", "nodes")
            ));
        }
        Ok(Some(Resolver::changed(nodes, reason, via, true)))
    }

    /// `Cargo.lock`: one changed input per package change that reaches a crate in the graph.
    fn lockfile(&self, f: &FileChange) -> Result<Option<Outcome<'g>>> {
        let path = normalize(&f.path);
        let path = &*path;
        let dir = cargo::parent(path);
        let Some(files) = &self.files else {
            return Ok(None);
        };
        let Some(base_tree) = &files.base else {
            return self.all_crates(
                f,
                dir,
                &format!(
                    "{path} changed and there is no base revision to compare it with (use --base)"
                ),
                Via::CargoLock,
            );
        };
        let read_lock =
            |tree: &Tree| -> Result<Option<std::result::Result<lockfile::Lockfile, String>>> {
                Ok(files
                    .read(tree, path)?
                    .map(|b| lockfile::Lockfile::parse(&String::from_utf8_lossy(&b))))
            };
        let head = match read_lock(&files.head)? {
            None => return self.all_crates(f, dir, &format!("{path} was deleted"), Via::CargoLock),
            Some(Err(e)) => {
                return self.all_crates(
                    f,
                    dir,
                    &format!("{path} does not parse ({e})"),
                    Via::CargoLock,
                );
            }
            Some(Ok(l)) => l,
        };
        let base = match read_lock(base_tree)? {
            Some(Ok(l)) => Some(l),
            Some(Err(e)) => {
                return self.all_crates(
                    f,
                    dir,
                    &format!("the base {path} does not parse ({e})"),
                    Via::CargoLock,
                );
            }
            None => None,
        };
        let changes = lockfile::diff(base.as_ref(), &head);
        if changes.is_empty() {
            return Ok(Some(Outcome::Ignored(format!(
                "{path}: no package version, source or checksum changed"
            ))));
        }
        // Where each local package lives, for packages whose name is not a node id.
        let mut dirs: std::collections::BTreeMap<String, String> =
            std::collections::BTreeMap::new();
        for tree in [&files.head, base_tree] {
            for p in self.cargo.packages_under(files, tree, dir)? {
                dirs.entry(p.name.clone()).or_insert(p.dir.clone());
            }
        }
        let mut out = Vec::new();
        let mut unreached = Vec::new();
        for c in changes {
            let mut nodes = Vec::new();
            let mut outside = Vec::new();
            for u in &c.users {
                match cargo::package_node(
                    self.graph,
                    self.ownership(),
                    u,
                    dirs.get(u).map(String::as_str),
                ) {
                    Some(pn) => nodes.push(pn.node),
                    None => outside.push(u.clone()),
                }
            }
            nodes.sort_by_key(|n| n.ix());
            nodes.dedup();
            if nodes.is_empty() {
                unreached.push(if c.users.is_empty() {
                    c.description.clone()
                } else {
                    format!("{} (used by {})", c.description, list(&c.users, 3))
                });
                continue;
            }
            let mut reason = c.description.clone();
            if !outside.is_empty() {
                reason.push_str(&format!(
                    "; also used by {}, which no node owns",
                    list(&outside, 3)
                ));
            }
            out.push(ChangedInput::derived(nodes, reason, Via::CargoLock, false));
        }
        if out.is_empty() {
            return Ok(Some(Outcome::Ignored(format!(
                "{path}: {} reach no crate in the graph: {}",
                plural(unreached.len(), "package change", "package changes"),
                list(&unreached, 5)
            ))));
        }
        Ok(Some(Outcome::Changed(out)))
    }

    /// A workspace root `Cargo.toml`; `None` when the manifest is not a workspace root.
    fn workspace_manifest(&self, f: &FileChange) -> Result<Option<Outcome<'g>>> {
        let path = normalize(&f.path);
        let path = &*path;
        let dir = cargo::parent(path);
        let Some(files) = &self.files else {
            return Ok(None);
        };
        if !self.is_workspace_manifest(f)? {
            return Ok(None);
        }
        let head = self.cargo.manifest(files, &files.head, path)?;
        let base = match &files.base {
            Some(b) => self.cargo.manifest(files, b, path)?,
            None => None,
        };
        let (Some(base), Some(head)) = (base, head) else {
            let because = if files.base.is_none() {
                "the workspace manifest Cargo.toml changed and there is no base revision to compare it with (use --base)"
            } else {
                "the workspace manifest Cargo.toml was added or deleted"
            };
            return self.all_crates(f, dir, because, Via::CargoManifest);
        };
        let d = cargo::diff_workspace(&base, &head);
        if !d.widening.is_empty() {
            let keys: Vec<String> = d.widening.iter().map(|k| format!("[{k}]")).collect();
            return self.all_crates(
                f,
                dir,
                &format!("Cargo.toml {} changed", list(&keys, 4)),
                Via::CargoManifest,
            );
        }
        if d.is_empty() {
            return Ok(Some(Outcome::Ignored(
                "Cargo.toml: no dependency or build setting changed (only formatting, comments or workspace.metadata)".to_string(),
            )));
        }
        let members = self.cargo.packages_under(files, &files.head, dir)?;
        let mut out = Vec::new();
        let mut unused = Vec::new();
        // Each changed workspace dependency or package key reaches the crates that inherit it.
        let inherited = d
            .dependencies
            .iter()
            .map(|(n, desc)| {
                (
                    n,
                    desc,
                    "dependency",
                    cargo::inherits_workspace_dependency as fn(&toml::Table, &str) -> bool,
                )
            })
            .chain(d.package_keys.iter().map(|(k, desc)| {
                (
                    k,
                    desc,
                    "package key",
                    cargo::inherits_workspace_package_key as fn(&toml::Table, &str) -> bool,
                )
            }));
        for (name, desc, what, inherits) in inherited {
            let mut nodes: Vec<Node<'g>> = members
                .iter()
                .filter(|p| inherits(&p.manifest, name))
                .filter_map(|p| {
                    cargo::package_node(self.graph, self.ownership(), &p.name, Some(&p.dir))
                })
                .map(|pn| pn.node)
                .collect();
            nodes.sort_by_key(|n| n.ix());
            nodes.dedup();
            if nodes.is_empty() {
                unused.push(desc.clone());
                continue;
            }
            out.push(ChangedInput::derived(
                nodes,
                format!("workspace {what} {desc}"),
                Via::CargoManifest,
                false,
            ));
        }
        if d.package_changed
            && let Some(name) = cargo::package_name(&head)
            && let Some(pn) = cargo::package_node(self.graph, self.ownership(), name, Some(dir))
        {
            let mut reason = format!("Cargo package '{name}' ({path}), {}", pn.how);
            let deps = cargo::dependency_changes(&base, &head);
            if !deps.is_empty() {
                reason.push_str(&format!("; dependencies: {}", list(&deps, 5)));
            }
            out.push(ChangedInput::derived(
                vec![pn.node],
                reason,
                Via::CargoPackage,
                false,
            ));
        }
        if out.is_empty() {
            return Ok(Some(Outcome::Ignored(format!(
                "Cargo.toml: no crate in the graph inherits the changed workspace {}: {}",
                if unused.len() == 1 {
                    "entry"
                } else {
                    "entries"
                },
                list(&unused, 5)
            ))));
        }
        Ok(Some(Outcome::Changed(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> DependencyGraph {
        let mut b = crate::graph::GraphBuilder::new();
        crate::sources::load_graph_file(&mut b, "graphs/shop.toml".as_ref()).unwrap();
        b.finish().unwrap().0
    }

    #[test]
    fn each_change_set_widens_to_every_node_once() {
        let g = shop();
        let rules = Rules::new(vec![RuleSpec {
            paths: vec!["ci/**".into()],
            action: Action::All,
            nodes: vec![],
            override_paths: false,
        }])
        .unwrap();
        let r = Resolver::new(&g).rules(rules);
        for _ in 0..2 {
            let set = r.resolve(&["ci/a.yml", "ci/b.yml"]).unwrap();
            assert_eq!(set.changed[0].nodes.len(), g.node_count());
            assert!(set.changed[1].nodes.is_empty());
            assert!(
                set.changed[1]
                    .reason
                    .ends_with("already changed by 'ci/a.yml'")
            );
            assert_eq!(set.nodes().len(), g.node_count());
        }
    }

    #[test]
    fn without_files_paths_still_map_through_globs_and_rules() {
        let g = shop();
        let set = Resolver::new(&g)
            .resolve(&["services/payment/x.rs", "README.md", "Cargo.lock", "x/y.z"])
            .unwrap();
        assert_eq!(set.changed.len(), 1);
        assert_eq!(set.changed[0].via, Via::Paths);
        assert_eq!(set.ignored.len(), 1);
        // No files to read: a lockfile cannot be compared, so nothing claims it.
        assert_eq!(set.unmapped, ["Cargo.lock", "x/y.z"]);
        let e = Resolver::new(&g)
            .unmapped(Unmapped::Error)
            .resolve(&["x/y.z", "a/b.c"])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("2 changed files map to no node: 'x/y.z', 'a/b.c'"),
            "{e}"
        );
    }

    #[test]
    fn file_lists_split_on_nul_or_newlines() {
        assert_eq!(
            parse_file_list(b"a.rs\r\n./b c.rs\n\na.rs\n"),
            ["a.rs", "b c.rs"]
        );
        assert_eq!(parse_file_list(b"x\ny.rs\0z.rs\0"), ["x\ny.rs", "z.rs"]);
        assert!(parse_file_list(b"").is_empty());
        // A byte-order mark is not part of the first path.
        assert_eq!(
            parse_file_list(b"\xEF\xBB\xBFa.rs\r\nb.rs\r\n"),
            ["a.rs", "b.rs"]
        );
        // Git's C-style quoting (core.quotePath) is undone; NUL-separated names are literal.
        assert_eq!(
            parse_file_list(
                b"\"services/cart/\\303\\274n\\303\\257.rs\"\n\"a\\tb \\\"q\\\".rs\"\n"
            ),
            ["services/cart/ün\u{ef}.rs", "a\tb \"q\".rs"]
        );
        assert_eq!(parse_file_list(b"\"x.rs\"\0"), ["\"x.rs\""]);
        assert_eq!(parse_file_list(b"\"bad\\q\"\n"), ["\"bad\\q\""]);
    }
}
