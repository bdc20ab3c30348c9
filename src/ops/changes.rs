//! Preparing a change for the commands that take one (`impact` and `ci`): from the
//! flags (`--base`, `--head`, `--staged`, `--files-from`, node ids and paths) to a
//! [`ChangeSet`] on the right graph.
//!
//! [`PreparedChange::open`] reads the git range or the file list, decides which graph the
//! change is judged on (the loaded one, or the graph at `--head` when its sources differ
//! there), builds the graph at the base when graph sources changed (for the topology
//! comparison), and finds the CODEOWNERS file. [`PreparedChange::resolve`] then maps
//! everything to nodes.
//!
//! Files at other revisions are read with git into a temporary directory that is removed
//! afterwards; the user's working tree is never touched.
//!
//! The graph at a revision is rebuilt from the sources the workspace was loaded from, with
//! the same loaders (`load_at`): the discovered sources (Compose, Kubernetes, Backstage,
//! traces, Cargo) from their folders as they are at that revision, then the native graph
//! files as overlays. When a discovered source reads files outside the repository, both
//! ends are rebuilt from the graph files alone so the comparison stays like for like.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Workspace;
use crate::changes::codeowners::CodeOwners;
use crate::changes::git::{Diff, FileStatus, Git, Range, Tree};
use crate::changes::topology::{self, Topology};
use crate::changes::{
    ChangeSet, ChangeSource, DiffInfo, FileChange, RepoFiles, Resolver, Rules, Unmapped,
    parse_file_list_numbered,
};
use crate::codes::Location;
use crate::error::{Error, Result};
use crate::graph::{DependencyGraph, GraphBuilder};
use crate::sources::SourceKind;

/// What a command is told about the change.
#[derive(Clone, Debug, Default)]
pub struct ChangeOptions {
    /// Node ids or paths named on the command line.
    pub inputs: Vec<String>,
    /// A git range or a file list.
    pub source: Option<ChangeSource>,
    /// `--unmapped`, overriding `unmapped` in `blast.toml`.
    pub unmapped: Option<Unmapped>,
    /// The working directory (where git is asked, and `--files-from` is relative to).
    pub cwd: PathBuf,
}

/// A change read and ready to resolve. See the module docs.
pub struct PreparedChange<'w> {
    ws: &'w Workspace,
    inputs: Vec<String>,
    unmapped: Unmapped,
    rules: Rules,
    root: PathBuf,
    git: Option<Arc<Git>>,
    diff: Option<Diff>,
    listed: Vec<FileChange>,
    /// Graph sources (repository paths), held back for the topology comparison.
    graph_sources: Vec<String>,
    head_graph: Option<DependencyGraph>,
    base_graph: Option<DependencyGraph>,
    /// The head graph rebuilt from the same sources as `base_graph`, when the loaded graph
    /// holds nodes from sources `load_at` cannot rebuild.
    head_topology_graph: Option<DependencyGraph>,
    /// The base, when the graph there does not load (so topology changes are unknown).
    base_unloadable: Option<String>,
    codeowners: Option<CodeOwners>,
    /// Where rules in force are read for a git range: the base ref (as GitHub reads
    /// CODEOWNERS), or `HEAD` for staged changes.
    rules_tree: Option<Tree>,
    /// For a git range: the graph files (repository paths, under their names at the base)
    /// and the discovered sources, to rebuild the graph at the base, and the working folder.
    base_inputs: Option<(Vec<String>, Option<Vec<Discovered>>, PathBuf)>,
    warnings: Vec<String>,
}

/// The change judged as the base sees it (see [`PreparedChange::judge_at_base`]).
pub struct BaseJudgement {
    /// The risk.
    pub risk: crate::analysis::Risk,
    /// Why, in the words of `risk_reasons` (the first reason of the base's impact).
    pub reason: Option<String>,
    /// The owners the gate's `owners:` keywords refer to, at the base.
    pub owners: crate::analysis::gate::OwnerSets,
}

impl<'w> PreparedChange<'w> {
    /// Reads the change. See the module docs.
    ///
    /// # Errors
    /// Git faults (not a repository, unknown ref, missing merge base, git not installed), an
    /// unreadable file list, a `[[rule]]` naming an unknown node, or a graph that does not
    /// load at `--head`.
    pub fn open(ws: &'w Workspace, opts: &ChangeOptions) -> Result<PreparedChange<'w>> {
        check_rule_nodes(ws)?;
        let rules = Rules::new(ws.config.rules.clone()).map_err(|(n, message)| Error::Config {
            location: Location::file(ws.config.path.clone().unwrap_or_default()),
            message: format!("[[rule]] #{n}: {message}"),
            help: None,
        })?;
        let mut p = PreparedChange {
            ws,
            inputs: opts.inputs.clone(),
            unmapped: opts.unmapped.unwrap_or(ws.config.unmapped),
            rules,
            root: ws.config.root.clone(),
            git: None,
            diff: None,
            listed: Vec::new(),
            graph_sources: Vec::new(),
            head_graph: None,
            base_graph: None,
            head_topology_graph: None,
            base_unloadable: None,
            codeowners: None,
            rules_tree: None,
            base_inputs: None,
            warnings: Vec::new(),
        };
        let mut codeowners_tree = None;
        match &opts.source {
            Some(ChangeSource::Git(range)) => {
                let git = Arc::new(Git::discover(&opts.cwd)?);
                let diff = git.diff(range)?;
                // GitHub reads CODEOWNERS from the base branch of a pull request.
                codeowners_tree = Some(match range {
                    Range::Base { base, .. } => Tree::Commit(git.resolve_commit(base)?),
                    Range::Staged => diff.base.clone(),
                });
                p.root = git.root().to_path_buf();
                p.git = Some(git);
                p.diff = Some(diff);
            }
            Some(ChangeSource::FilesFrom(path)) => {
                p.root = repository_root(&opts.cwd).unwrap_or(p.root);
                let bytes = if path.as_os_str() == "-" {
                    let mut b = Vec::new();
                    std::io::stdin()
                        .read_to_end(&mut b)
                        .map_err(|e| Error::io("<stdin>", e))?;
                    b
                } else {
                    let full = opts.cwd.join(path);
                    std::fs::read(&full).map_err(|e| Error::io(path, e))?
                };
                // An absolute path inside the root is the same file as its relative path;
                // a path outside the repository is bad input.
                let list = if path.as_os_str() == "-" {
                    PathBuf::from("<stdin>")
                } else {
                    path.clone()
                };
                p.listed = parse_file_list_numbered(&bytes)
                    .into_iter()
                    .map(|(line, f)| {
                        match within(&p.root, &f) {
                            Some(rel) => Ok(FileChange::listed(rel)),
                            None => Err(Error::Parse {
                                location: Location {
                                    file: list.clone(),
                                    line: u32::try_from(line).ok(),
                                    column: None,
                                },
                                message: format!(
                                    "'{f}' is outside the repository ({})",
                                    p.root.display()
                                ),
                                help: Some(
                                    "list paths relative to the repository root, or absolute paths inside it"
                                        .to_string(),
                                ),
                            }),
                        }
                    })
                    .collect::<Result<_>>()?;
            }
            // Paths named on the command line are repository paths too.
            None => p.root = repository_root(&opts.cwd).unwrap_or(p.root),
        }
        // An absolute path named on the command line inside the repository is its
        // repository path, as in `--files-from`; one outside it (or climbing out with
        // `..`) is bad input.
        for input in &mut p.inputs {
            if ws.graph.node(input).is_some() {
                continue;
            }
            match within(&p.root, input) {
                Some(rel) => *input = rel,
                None => {
                    return Err(Error::Usage(format!(
                        "'{}' is outside the repository ({})\n  help: name paths relative to the repository root, or absolute paths inside it",
                        crate::report::inert(input),
                        p.root.display()
                    )));
                }
            }
        }
        // The graph files are graph sources, not files nothing maps: named by hand, or in a
        // folder named, or changed by the range (then with the files discovered sources
        // read, and a renamed one under both names).
        let graphs = graph_sources(ws, &opts.cwd, &p.root);
        p.graph_sources = graphs.clone();
        if let (Some(git), Some(diff)) = (&p.git, &p.diff) {
            let discovered = discovered_sources(&ws.sources, &opts.cwd, git.root());
            let at = |tree: &Tree| load_at(git, tree, &graphs, discovered.as_deref(), ws);
            let mut scope = graphs.clone();
            if let Some(d) = &discovered {
                scope.extend(d.iter().flat_map(|s| s.scope.iter().cloned()));
            }
            if diff.head != Tree::WorkTree && git.differs_from_work_tree(&diff.head, &scope)? {
                p.head_graph = Some(at(&diff.head)?);
            }
            // Changed files a discovered source reads.
            let read: Vec<String> = diff
                .files
                .iter()
                .filter(|f| discovered.iter().flatten().any(|s| s.reads(&f.path)))
                .map(|f| f.path.clone())
                .collect();
            // A graph file renamed by the change is read at the base under its old name.
            let base_graphs: Vec<String> = graphs
                .iter()
                .map(|g| {
                    diff.files
                        .iter()
                        .find(|f| &f.path == g && f.status == Some(FileStatus::RenamedTo))
                        .and_then(|f| f.other.clone())
                        .unwrap_or_else(|| g.clone())
                })
                .collect();
            p.base_inputs = Some((base_graphs.clone(), discovered.clone(), opts.cwd.clone()));
            if !read.is_empty() || diff.files.iter().any(|f| graphs.contains(&f.path)) {
                match load_at(git, &diff.base, &base_graphs, discovered.as_deref(), ws) {
                    Ok(g) => {
                        // Both ends are built by the same loaders, so the comparison is like
                        // for like; when discovered sources cannot be rebuilt, the head is
                        // rebuilt from the graph files alone, like the base.
                        if discovered.is_none() {
                            p.head_topology_graph = Some(at(&diff.head)?);
                        }
                        p.base_graph = Some(g);
                    }
                    Err(e) => {
                        p.warnings.push(format!(
                            "warning: the graph at {} does not load, so topology changes are not reported: {e}",
                            diff.base.label()
                        ));
                        p.base_unloadable = Some(diff.base.label());
                    }
                }
                // Even when the base graph does not load.
                p.graph_sources.extend(base_graphs);
                p.graph_sources.extend(read);
                p.graph_sources.sort();
                p.graph_sources.dedup();
            }
        }
        p.codeowners = match (&p.git, &codeowners_tree) {
            (Some(git), Some(tree)) => CodeOwners::find(|path| git.read(tree, path))?.map(|co| {
                // A path names a file when it is one at the base (where CODEOWNERS is read)
                // or at the head (a file the change adds is still a file to GitHub).
                let trees: Vec<Tree> = std::iter::once(tree.clone())
                    .chain(p.diff.as_ref().map(|d| d.head.clone()))
                    .collect();
                let (git, root) = (Arc::clone(git), p.root.clone());
                co.with_files(Arc::new(move |path| {
                    trees.iter().any(|t| match t {
                        Tree::WorkTree => crate::changes::codeowners::file_on_disk(&root, path),
                        t => matches!(git.read(t, path), Ok(Some(_))),
                    })
                }))
            }),
            _ => CodeOwners::find_in_dir(&p.root),
        };
        p.rules_tree = codeowners_tree;
        if let Some(co) = &p.codeowners {
            p.warnings
                .extend(co.warnings.iter().map(|w| format!("warning: {w}")));
        }
        Ok(p)
    }

    /// The graph the change is judged on: the graph at `--head` when its sources differ
    /// from the working tree's, else the loaded one.
    pub fn graph(&self) -> &DependencyGraph {
        self.head_graph.as_ref().unwrap_or(&self.ws.graph)
    }

    /// The CODEOWNERS file in force (the base ref's for a git range, else the working
    /// tree's), if any.
    pub fn codeowners(&self) -> Option<&CodeOwners> {
        self.codeowners.as_ref()
    }

    /// For a git range, the configuration file as it is where rules in force are read (the
    /// base ref, as GitHub reads CODEOWNERS; `HEAD` for staged changes): `Some(None)` when it
    /// does not exist there, `None` without a git range or a configuration file.
    ///
    /// # Errors
    /// Git cannot read the file, or it does not parse there (named `ref:path`).
    pub fn config_in_force(&self) -> Result<Option<Option<crate::config::Config>>> {
        let (Some(git), Some(tree), Some(rel)) = (&self.git, &self.rules_tree, self.config_path())
        else {
            return Ok(None);
        };
        let Some(bytes) = git.read(tree, &rel)? else {
            return Ok(Some(None));
        };
        let label = PathBuf::from(format!("{}:{rel}", tree.label()));
        let text = String::from_utf8_lossy(&bytes);
        // Its paths are relative to its own folder (where the base has it).
        let dir = git
            .root()
            .join(&rel)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        crate::config::Config::parse(&text, &label, &dir).map(|c| Some(Some(c)))
    }

    /// The configuration file's path in the repository (`/`-separated), when the change was
    /// read from git and the file is inside the repository. Without a `blast.toml` in the
    /// working tree, the one the base has where it would be found (in the working folder or
    /// its nearest parent inside the repository): a change that deletes the file is still
    /// judged by it.
    fn config_path(&self) -> Option<String> {
        let git = self.git.as_ref()?;
        let rel = |p: &Path| repo_path(git.root(), Path::new(""), p);
        // Where it is in the working tree, else where the base would find it: in the same
        // folder or the nearest parent (a change that moves or deletes it is still judged
        // by the base's).
        let own = self.ws.config.path.as_deref().and_then(&rel);
        let Some(tree) = self.rules_tree.as_ref() else {
            return own;
        };
        let exists = |p: &str| git.read(tree, p).ok().flatten().is_some();
        if let Some(p) = own.as_deref().filter(|p| exists(p)) {
            return Some(p.to_string());
        }
        let start = match &own {
            Some(p) => p
                .rsplit_once('/')
                .map_or(String::new(), |(d, _)| d.to_string()),
            None => rel(&self.ws.config.root)?,
        };
        let mut dir = Some(start.as_str());
        while let Some(d) = dir {
            let candidate = if d.is_empty() {
                crate::config::FILE_NAME.to_string()
            } else {
                format!("{d}/{}", crate::config::FILE_NAME)
            };
            if exists(&candidate) {
                return Some(candidate);
            }
            dir = (!d.is_empty()).then(|| d.rsplit_once('/').map_or("", |(p, _)| p));
        }
        // Nowhere at the base (a change adopting blast): the working tree's.
        own
    }

    /// The configuration file's paths relative to [`root`](Self::root), when it lies
    /// inside: where the working tree has it, and where the base would find it when that is
    /// elsewhere (a change that moves it has both).
    fn config_files(&self) -> Vec<String> {
        let mut v: Vec<String> = [
            self.ws
                .config
                .path
                .as_ref()
                .and_then(|p| repo_path(&self.root, Path::new(""), p)),
            self.config_path(),
        ]
        .into_iter()
        .flatten()
        .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The configuration file's path in the repository when the change edits it.
    pub fn edited_config(&self) -> Option<String> {
        let rel = self.config_path()?;
        self.diff
            .as_ref()?
            .files
            .iter()
            .any(|f| f.path == rel)
            .then_some(rel)
    }

    /// The repository, when the change was read from git.
    pub fn git(&self) -> Option<&Git> {
        self.git.as_deref()
    }

    /// The git comparison, when the change was read from git.
    pub fn diff(&self) -> Option<&Diff> {
        self.diff.as_ref()
    }

    /// The directory repository paths are relative to: the git top level, or the
    /// configuration's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Warnings for stderr (skipped CODEOWNERS lines, a base graph that does not load).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Maps the change to nodes. Also returns warnings for stderr (manifests that did not
    /// parse).
    ///
    /// # Errors
    /// Unknown node ids, unmapped files under `unmapped = "error"`, git failing.
    pub fn resolve(&self) -> Result<(ChangeSet<'_>, Vec<String>)> {
        let graph = self.graph();
        let files = match (&self.git, &self.diff) {
            (Some(git), Some(diff)) => {
                RepoFiles::git(git.clone(), diff.head.clone(), Some(diff.base.clone()))
            }
            _ => RepoFiles::current(&self.root),
        };
        let resolver = Resolver::new(graph)
            .rules(self.rules.clone())
            .unmapped(self.unmapped)
            .files(files)
            .graph_sources(self.graph_sources.clone())
            .config_files(self.config_files());
        let files: &[crate::changes::FileChange] = match &self.diff {
            Some(d) => &d.files,
            None => &self.listed,
        };
        let mut set = resolver.resolve_change(&self.inputs, files)?;
        if let Some(diff) = &self.diff {
            set.diff = Some(diff_info(diff));
        }
        if let (Some(base), Some(diff)) = (&self.base_graph, &self.diff) {
            let head = self.head_topology_graph.as_ref().unwrap_or(graph);
            let mut t = Topology::compare(base, head, &self.ws.policy().strengths());
            t.base = diff.base.label();
            t.head = diff.head.label();
            // The graph sources the range changes (one named by hand comes without a
            // status).
            t.sources = set
                .graph_sources
                .iter()
                .filter(|s| s.1.is_some())
                .map(|s| s.0.clone())
                .collect();
            set.attach_topology(t, graph);
        } else if let Some(base) = &self.base_unloadable {
            set.topology_unknown(&format!("the graph at {base} does not load"));
        } else {
            set.topology_without_versions(self.diff.is_some());
        }
        Ok((set, resolver.warnings()))
    }
}

impl PreparedChange<'_> {
    /// For a git range, the same change judged as the base sees it: the changed files (and
    /// node ids) mapped with the graph files and `[[rule]]`s of the base's
    /// `blast.toml`, on the graph built at the base, under `policy`. A change can edit
    /// what judges it (lower a tier, move a node's `paths`, add an `ignore` rule, point
    /// `graphs` at another file, delete `blast.toml`); the gate takes the higher of the two
    /// risks, so such edits apply once the change is merged, as `[policy.*]` edits do.
    ///
    /// `None` when the change edits none of those files (both views agree), or without a
    /// git range. A base that cannot be judged (its graph or configuration does not load,
    /// a node id that does not exist there) is a warning, and `None`.
    pub fn judge_at_base(
        &self,
        policy: &crate::analysis::Policy,
        warnings: &mut Vec<String>,
    ) -> Option<BaseJudgement> {
        let (git, diff, (head_graphs, head_discovered, cwd)) = (
            self.git.as_ref()?,
            self.diff.as_ref()?,
            self.base_inputs.as_ref()?,
        );
        let base_config = match self.config_in_force() {
            Ok(c) => c.flatten(),
            // `policy_in_force` warns about a configuration that does not load at the base.
            Err(_) => None,
        };
        // What the base loads: its own `graphs` and `[[source]]`s when the graph comes from
        // `blast.toml` (a change that points `graphs` elsewhere is judged on the base's),
        // else the command line's.
        let base_lists = match &base_config {
            Some(c) if self.ws.inputs_from_config => {
                // `[[source]] kind = "graph"` is the same as listing the file in `graphs`.
                let graph_sources = c
                    .sources
                    .iter()
                    .filter(|s| s.kind == SourceKind::Graph)
                    .flat_map(|s| s.paths.iter());
                let mut graphs: Vec<String> = c
                    .graphs
                    .iter()
                    .chain(graph_sources)
                    .filter_map(|g| repo_path(git.root(), cwd, g))
                    .collect();
                graphs.sort();
                graphs.dedup();
                Some((graphs, discovered_sources(&c.sources, cwd, git.root())))
            }
            _ => None,
        };
        let (graphs, discovered) = match &base_lists {
            Some((g, d)) => (g, d),
            None => (head_graphs, head_discovered),
        };
        let touches = |f: &crate::changes::git::FileChange,
                       graphs: &[String],
                       discovered: &Option<Vec<Discovered>>| {
            graphs.contains(&f.path)
                || f.other.as_ref().is_some_and(|o| graphs.contains(o))
                || discovered.iter().flatten().any(|s| s.reads(&f.path))
        };
        let edits_graph = diff
            .files
            .iter()
            .any(|f| touches(f, head_graphs, head_discovered) || touches(f, graphs, discovered));
        let edits_judge = edits_graph
            || self.edited_config().is_some()
            || moves_files_between_packages(git, diff);
        if !edits_judge {
            return None;
        }
        let fail = |warnings: &mut Vec<String>, why: String| {
            warnings.push(format!(
                "warning: the change edits what judges it, but it cannot be judged at {} too, so only its own graph and rules judge it: {why}",
                diff.base.label()
            ));
            None
        };
        // The topology comparison built the same graph already; a change that edits no
        // graph input and reads the same ones has the graph it judges with.
        let same_inputs = base_lists
            .as_ref()
            .is_none_or(|(g, d)| g == head_graphs && d.is_none() && head_discovered.is_none());
        let loaded;
        let graph = match (&base_lists, &self.base_graph) {
            (None, Some(g)) => g,
            _ if same_inputs && !edits_graph => self.graph(),
            _ => match load_at(git, &diff.base, graphs, discovered.as_deref(), self.ws) {
                Ok(g) => {
                    loaded = g;
                    &loaded
                }
                Err(e) => return fail(warnings, e.to_string()),
            },
        };
        // The base's rules and `unmapped` (a base without `blast.toml` has the defaults: a
        // change that adds one cannot bring its own `ignore` rules).
        let (rules, unmapped) = match &base_config {
            Some(c) => (c.rules.clone(), c.unmapped),
            None => (Vec::new(), Unmapped::default()),
        };
        let rules = match Rules::new(rules) {
            Ok(r) => r,
            Err((n, message)) => return fail(warnings, format!("[[rule]] #{n}: {message}")),
        };
        // `unmapped = "error"` at the base rates, it does not stop the run (the change's own
        // view reports unmapped files).
        let unmapped = match unmapped {
            Unmapped::Error => Unmapped::Warn,
            u => u,
        };
        let resolver = Resolver::new(graph)
            .rules(rules)
            .unmapped(unmapped)
            .files(RepoFiles::git(
                git.clone(),
                diff.head.clone(),
                Some(diff.base.clone()),
            ))
            .base_first()
            .graph_sources(graphs.iter().cloned())
            .config_files(self.config_files());
        // Node ids and paths named on the command line; one the base does not know (a node
        // the change adds) reaches nothing there.
        let mut set = crate::changes::ChangeSet::default();
        for input in &self.inputs {
            if let Ok(one) = resolver.resolve(std::slice::from_ref(input)) {
                set.changed.extend(one.changed);
                set.unmapped.extend(one.unmapped);
                set.ignored.extend(one.ignored);
            }
        }
        // Files the change adds are not at the base: they reach nothing there (a new
        // service's first files are the change's own view to rate, whatever the base's
        // `unmapped` says of files it does not know).
        let at_base: Vec<crate::changes::FileChange> = diff
            .files
            .iter()
            .filter(|f| {
                !matches!(
                    f.status,
                    Some(
                        FileStatus::Added
                            | FileStatus::Untracked
                            | FileStatus::RenamedTo
                            | FileStatus::CopiedTo
                    )
                )
            })
            .cloned()
            .collect();
        match resolver.resolve_files(&at_base) {
            Ok(more) => {
                set.changed.extend(more.changed);
                set.unmapped.extend(more.unmapped);
                set.ignored.extend(more.ignored);
            }
            Err(e) => return fail(warnings, e.to_string()),
        }
        let mut analyzer = crate::analysis::Analyzer::new(graph, policy.clone())
            .codeowners(self.codeowners.clone());
        let impact = analyzer.impact(set);
        Some(BaseJudgement {
            risk: impact.risk,
            reason: impact.risk_reasons.first().cloned(),
            owners: crate::analysis::gate::OwnerSets::of(&impact),
        })
    }
}

/// Whether the change moves files between Cargo packages: a manifest's `[package] name`
/// differs between the base and the head (renamed; deleted or moved away; added, or a
/// `[package]` added to a manifest, taking over the files below it from the package
/// above). Files are matched to nodes by their package, so such a change could move its
/// own files to another node, or to none.
fn moves_files_between_packages(git: &Git, diff: &Diff) -> bool {
    let name = |tree: &Tree, path: &str| {
        let bytes = git.read(tree, path).ok().flatten()?;
        let manifest = crate::changes::cargo::parse_manifest(&bytes).ok()?;
        crate::changes::cargo::package_name(&manifest).map(str::to_string)
    };
    diff.files.iter().any(|f| {
        f.path.rsplit('/').next() == Some("Cargo.toml")
            && name(&diff.base, &f.path) != name(&diff.head, &f.path)
    })
}

/// The top folder of the git work tree holding `cwd`, if any (paths are relative to it,
/// wherever `blast.toml` sits).
pub(super) fn repository_root(cwd: &Path) -> Option<PathBuf> {
    Git::discover(cwd).ok().map(|g| g.root().to_path_buf())
}

fn diff_info(diff: &Diff) -> DiffInfo {
    let commit = |t: &Tree| match t {
        Tree::Commit(c) => Some(c.clone()),
        _ => None,
    };
    match &diff.range {
        Range::Base { base, head } => DiffInfo {
            base: base.clone(),
            merge_base: commit(&diff.base),
            head: head.clone().unwrap_or_else(|| "working tree".to_string()),
            head_commit: commit(&diff.head),
        },
        Range::Staged => DiffInfo {
            base: "HEAD".to_string(),
            merge_base: commit(&diff.base),
            head: "index".to_string(),
            head_commit: None,
        },
    }
}

/// Every `[[rule]]` with `action = "nodes"` must name nodes of the graph.
/// Where `id` is named in the `nodes` of the `rule`-th (0-based) `[[rule]]` table of a
/// `blast.toml`: the id quoted either way (`"x"`, `'x'`) after the table's `nodes` key, else
/// anywhere in the table, else the table's header. The search stays inside the table, so
/// another rule naming the same id (in its `paths`, say) is not taken for it.
fn locate_rule_node(text: &str, rule: usize, id: &str) -> Option<(u32, u32)> {
    use crate::sources::locate::line_col;
    let start = text.match_indices("[[rule]]").nth(rule)?.0;
    let body_at = start + "[[rule]]".len();
    // The table ends where the next table header starts.
    let mut end = text.len();
    let mut at = body_at;
    for line in text[body_at..].split_inclusive('\n') {
        if at > body_at && line.trim_start().starts_with('[') {
            end = at;
            break;
        }
        at += line.len();
    }
    let table = &text[start..end];
    let first_quoted = |from: usize| {
        [format!("\"{id}\""), format!("'{id}'")]
            .iter()
            .filter_map(|q| table[from..].find(q.as_str()).map(|p| from + p))
            .min()
    };
    let mut nodes_key = None;
    let mut off = 0;
    for line in table.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("nodes")
            && rest.trim_start().starts_with('=')
        {
            nodes_key = Some(off + (line.len() - t.len()));
            break;
        }
        off += line.len();
    }
    let found = nodes_key.and_then(first_quoted).or_else(|| first_quoted(0));
    let (line, col) = line_col(text.as_bytes(), start + found.unwrap_or(0));
    Some((line, col))
}

fn check_rule_nodes(ws: &Workspace) -> Result<()> {
    for (i, rule) in ws.config.rules.iter().enumerate() {
        for id in &rule.nodes {
            if ws.graph.node(id).is_some() {
                continue;
            }
            let file = ws.config.path.clone().unwrap_or_default();
            let pos = std::fs::read(&file)
                .ok()
                .and_then(|t| locate_rule_node(&String::from_utf8_lossy(&t), i, id));
            let suggestions = ws.graph.suggest(id, 3);
            return Err(Error::Config {
                location: Location {
                    file,
                    line: pos.map(|p| p.0),
                    column: pos.map(|p| p.1),
                },
                message: format!("[[rule]] #{}: unknown node id '{id}' in `nodes`", i + 1),
                help: Some(match suggestions.as_slice() {
                    [] => "name a node of the graph (`blast check` lists problems; the graph files list the ids)".to_string(),
                    [one] => format!("did you mean '{one}'?"),
                    many => format!(
                        "did you mean one of: {}?",
                        many.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
                    ),
                }),
            });
        }
    }
    Ok(())
}

/// `path` (relative to `cwd`, or absolute) as a repository path below `root`,
/// `/`-separated; symbolic links resolved for the file, or for its folder when the file is
/// not in the working tree (moved or deleted by the change). `None` outside `root`.
pub(super) fn repo_path(root: &Path, cwd: &Path, path: &Path) -> Option<String> {
    let abs = crate::sources::yaml::normalize(&cwd.join(path));
    let abs = std::fs::canonicalize(&abs).unwrap_or_else(|_| {
        match abs.parent().map(std::fs::canonicalize) {
            Some(Ok(dir)) => dir.join(abs.file_name().unwrap_or_default()),
            _ => abs.clone(),
        }
    });
    let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let rel = abs
        .strip_prefix(&canonical)
        .or_else(|_| abs.strip_prefix(root))
        .ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// An absolute path inside `root` as a repository path; a relative one as it is; `None`
/// for a path outside the repository (absolute elsewhere, or climbing out with `..`).
pub(super) fn within(root: &Path, path: &str) -> Option<String> {
    let p = Path::new(path);
    if !p.has_root() {
        return (!escapes(path)).then(|| path.to_string());
    }
    // `..` folded (`/repo/../etc` is outside) and the folders above it followed through
    // symlinks (`/link-to-repo/x` is inside, also when `x`'s folder does not exist); the
    // path itself is not followed: a symlink in the repository is a file of its own, as
    // git has it. The root itself is `.`.
    let abs = crate::sources::yaml::normalize(p);
    let full = match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => existing_resolved(dir).join(name),
        _ => existing_resolved(&abs),
    };
    let roots = [std::fs::canonicalize(root).ok(), Some(root.to_path_buf())];
    let inside = roots
        .iter()
        .flatten()
        .find_map(|r| full.strip_prefix(r).ok())
        .map(|r| r.to_string_lossy().replace('\\', "/"));
    // A symlink to the repository itself (`/link-to-repo`) is the root.
    let root_itself = || {
        let whole = std::fs::canonicalize(&abs).ok()?;
        roots
            .iter()
            .flatten()
            .any(|r| *r == whole)
            .then(String::new)
    };
    inside
        .or_else(root_itself)
        .map(|r| if r.is_empty() { ".".to_string() } else { r })
}

/// `path` with its longest existing leading part resolved through symlinks, the rest
/// appended as written.
fn existing_resolved(path: &Path) -> PathBuf {
    path.ancestors()
        .find_map(|a| {
            let c = std::fs::canonicalize(a).ok()?;
            Some(c.join(path.strip_prefix(a).ok()?))
        })
        .unwrap_or_else(|| path.to_path_buf())
}

/// The repository paths of the graph files the workspace was loaded from.
pub(super) fn graph_sources(ws: &Workspace, cwd: &Path, git_root: &Path) -> Vec<String> {
    let mut out: Vec<String> = ws
        .graph
        .origins()
        .iter()
        .filter(|o| o.source == "graph")
        .filter_map(|o| repo_path(git_root, cwd, &o.file))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A discovered source (Compose, Kubernetes, Backstage, traces, Cargo) with its paths as
/// repository paths, ready to be rebuilt at another revision.
#[derive(Clone)]
struct Discovered {
    spec: crate::sources::SourceSpec,
    /// The repository paths of `spec.paths`.
    files: Vec<String>,
    /// The repository paths of `spec.options.env_files`.
    env_files: Vec<String>,
    /// What to read at a revision: each path's folder (its included, extended and `.env`
    /// files, Location targets, member crates live there), or the path itself at the root.
    scope: Vec<String>,
}

impl Discovered {
    /// Whether a change to the repository path `file` can change what this source derives:
    /// one of its files, or a file of a kind it reads inside its scope.
    fn reads(&self, file: &str) -> bool {
        if self.files.iter().chain(&self.env_files).any(|p| p == file) {
            return true;
        }
        let inside = self.scope.iter().any(|d| {
            d == "."
                || file
                    .strip_prefix(d.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        });
        let name = file.rsplit('/').next().unwrap_or(file);
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        inside
            && match self.spec.kind {
                SourceKind::Compose => {
                    matches!(ext, "yml" | "yaml") || name == ".env" || name.starts_with(".env.")
                }
                SourceKind::K8s | SourceKind::Backstage => matches!(ext, "yml" | "yaml" | "json"),
                SourceKind::Cargo => name == "Cargo.toml",
                SourceKind::Jaeger | SourceKind::Graph => false,
            }
    }
}

/// The workspace's discovered sources as repository paths; `None` when one of their paths
/// lies outside the repository (then they cannot be rebuilt at another revision).
fn discovered_sources(
    sources: &[crate::sources::SourceSpec],
    cwd: &Path,
    git_root: &Path,
) -> Option<Vec<Discovered>> {
    let rel = |p: &Path| repo_path(git_root, cwd, p);
    sources
        .iter()
        .filter(|s| s.kind != SourceKind::Graph)
        .map(|spec| {
            let mut scope = Vec::new();
            let mut repo_path = |p: &PathBuf| -> Option<String> {
                let r = rel(p)?;
                let dir = if cwd.join(p).is_dir() {
                    // The repository root itself is the pathspec `.`.
                    Some(if r.is_empty() {
                        ".".to_string()
                    } else {
                        r.clone()
                    })
                } else {
                    r.rsplit_once('/').map(|(d, _)| d.to_string())
                };
                match dir {
                    Some(d) if !d.is_empty() => scope.push(d),
                    _ => {
                        // At the repository root: the file and the project's `.env`.
                        scope.push(r.clone());
                        scope.push(".env".to_string());
                    }
                }
                Some(r)
            };
            let files = spec
                .paths
                .iter()
                .map(&mut repo_path)
                .collect::<Option<_>>()?;
            let env_files = spec
                .options
                .env_files
                .iter()
                .map(&mut repo_path)
                .collect::<Option<_>>()?;
            scope.sort();
            scope.dedup();
            Some(Discovered {
                spec: spec.clone(),
                files,
                env_files,
                scope,
            })
        })
        .collect()
}

/// Builds the graph as it is in `tree`, with the normal loaders: the discovered sources
/// (when they can be rebuilt), then the native graph files (`graphs`, repository paths) as
/// overlays. Files missing in `tree` contribute nothing.
fn load_at(
    git: &Git,
    tree: &Tree,
    graphs: &[String],
    discovered: Option<&[Discovered]>,
    ws: &Workspace,
) -> Result<DependencyGraph> {
    let tmp = tempfile::Builder::new()
        .prefix("blast-graph-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut wanted = graphs.to_vec();
    for d in discovered.into_iter().flatten() {
        wanted.extend(d.scope.iter().cloned());
    }
    wanted.sort();
    wanted.dedup();
    let root = topology::materialize(git, tree, &wanted, tmp.path())?;
    let label = tree.label();
    let relabel = |e: Error| relabel(e, &root, &label);
    let mut builder = GraphBuilder::new();
    let ctx = crate::sources::LoadContext {
        root: &root,
        classifier: &ws.config.classifier,
    };
    for d in discovered.into_iter().flatten() {
        let mut spec = d.spec.clone();
        let present = |ps: &[String]| -> Vec<PathBuf> {
            ps.iter()
                .map(|p| root.join(p))
                .filter(|p| p.exists())
                .collect()
        };
        spec.paths = present(&d.files);
        spec.options.env_files = present(&d.env_files);
        if spec.paths.is_empty() {
            continue;
        }
        crate::sources::load_source(&mut builder, &spec, &ctx).map_err(relabel)?;
    }
    for s in graphs {
        let f = root.join(s);
        if !f.is_file() {
            continue;
        }
        crate::sources::load_graph_file(&mut builder, &f).map_err(relabel)?;
    }
    let (graph, _) = builder.finish().map_err(relabel)?;
    Ok(graph)
}

/// Rewrites paths below `root` in an error as `label:path`, so messages name the revision
/// and the repository path rather than a temporary directory.
fn relabel(e: Error, root: &Path, label: &str) -> Error {
    let fix = |p: &Path| -> PathBuf {
        match p.strip_prefix(root) {
            Ok(rel) if label != "the working tree" => {
                PathBuf::from(format!("{label}:{}", rel.display()))
            }
            Ok(rel) => rel.to_path_buf(),
            Err(_) => p.to_path_buf(),
        }
    };
    match e {
        Error::Io { path, source, hint } => Error::Io {
            path: fix(&path),
            source,
            hint,
        },
        Error::Parse {
            mut location,
            message,
            help,
        } => {
            location.file = fix(&location.file);
            Error::Parse {
                location,
                message,
                help,
            }
        }
        Error::InvalidGraph { mut findings } => {
            for f in &mut findings {
                if let Some(l) = &mut f.location {
                    l.file = fix(&l.file);
                }
                if let Some(l) = &mut f.related {
                    l.file = fix(&l.file);
                }
            }
            Error::InvalidGraph { findings }
        }
        other => other,
    }
}

/// Whether the relative path `p` climbs out of the folder it is relative to (`../x`,
/// `a/../../x`).
fn escapes(p: &str) -> bool {
    let mut depth = 0usize;
    for c in Path::new(p).components() {
        match c {
            std::path::Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            std::path::Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::locate_rule_node;

    #[test]
    fn a_rule_node_is_found_in_its_own_rule_in_either_quote_style() {
        let text = "graphs = [\"g.toml\"]\n[[rule]]\npaths = [\"ghost\"]\naction = \"ignore\"\n[[rule]]\npaths = [\"x/**\"]\naction = \"nodes\"\nnodes = [\"ghost\"]\n";
        assert_eq!(locate_rule_node(text, 1, "ghost"), Some((8, 10)));
        let single = text.replace("[\"ghost\"]\n", "['ghost']\n");
        assert_eq!(locate_rule_node(&single, 1, "ghost"), Some((8, 10)));
        // A multi-line list, and a later table that names the id too.
        let text = "[[rule]]\n# nodes = [\"b\"]\npaths = ['b/**']\naction = 'nodes'\nnodes = [\n  'a',\n  \"b\",\n]\n[[rule]]\npaths = [\"b\"]\naction = \"ignore\"\n";
        assert_eq!(locate_rule_node(text, 0, "b"), Some((7, 3)));
        // Not in the rule's text (an escape, say): the rule's header.
        let text =
            "[[rule]]\npaths = [\"x\"]\naction = \"ignore\"\n[[rule]]\nnodes = [\"\\u0062\"]\n";
        assert_eq!(locate_rule_node(text, 1, "b"), Some((4, 1)));
        assert_eq!(locate_rule_node(text, 2, "b"), None);
    }
}
