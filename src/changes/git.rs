//! Reading changes from git: which files differ between two revisions, and what a file held
//! at a revision. `blast` shells out to the `git` binary, so what it sees is what `git diff`
//! shows the user, with the user's git (and its credentials, hooks and config) untouched.
//!
//! Every command runs at the repository's top level with `-z` (NUL-separated output, so paths
//! with spaces, unicode or newlines come through byte for byte), `--literal-pathspecs` (a
//! path is never a glob), `diff.relative=false` and a C locale. Only long-standing git
//! options are used (nothing newer than git 2.20), so older CI images work. Diffs use
//! `--raw` rather than `--name-status`: the same statuses plus the file modes, which tell a
//! submodule (mode `160000`) from a file.
//!
//! Faults are [`Error::Git`] with the fix named: git not installed, not a repository, an
//! unknown ref, a shallow clone that lacks the merge base.
//!
//! # Ranges
//!
//! * [`Range::Base`] with no head: the merge base of the ref and `HEAD`, against the working
//!   tree: committed, staged and unstaged changes, plus untracked files that are not
//!   ignored (what `git status` lists: a new file you have not added yet is part of your
//!   change).
//! * [`Range::Base`] with a head: the merge base of the two refs against the head commit
//!   only (the working tree plays no part).
//! * [`Range::Staged`]: `HEAD` against the index (what `git commit` would record).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// What happened to a file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileStatus {
    /// New in the head.
    Added,
    /// Changed contents.
    Modified,
    /// Gone from the head.
    Deleted,
    /// The old side of a rename (counts like a deletion of this path).
    RenamedFrom,
    /// The new side of a rename (counts like an addition of this path).
    RenamedTo,
    /// The new side of a copy (the source is unchanged).
    CopiedTo,
    /// Changed type (file ↔ symlink ↔ submodule).
    TypeChanged,
    /// Unmerged (a conflict in progress).
    Unmerged,
    /// Not tracked by git and not ignored (only with `--base` and no `--head`).
    Untracked,
}

impl FileStatus {
    /// The keyword used in text and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Modified => "modified",
            FileStatus::Deleted => "deleted",
            FileStatus::RenamedFrom => "renamed-from",
            FileStatus::RenamedTo => "renamed-to",
            FileStatus::CopiedTo => "copied-to",
            FileStatus::TypeChanged => "type-changed",
            FileStatus::Unmerged => "unmerged",
            FileStatus::Untracked => "untracked",
        }
    }

    /// Whether the path exists in the head (so its contents are read there).
    pub fn in_head(self) -> bool {
        !matches!(self, FileStatus::Deleted | FileStatus::RenamedFrom)
    }
}

impl fmt::Display for FileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One changed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// The path, relative to the repository root, `/`-separated.
    pub path: String,
    /// What happened to it (`None` when the path was listed by hand).
    pub status: Option<FileStatus>,
    /// For a rename or copy: the path on the other side.
    pub other: Option<String>,
    /// The path is a submodule (a gitlink) on either side.
    pub submodule: bool,
}

impl FileChange {
    /// A path listed by hand (`--files-from`, or on the command line).
    pub fn listed(path: impl Into<String>) -> FileChange {
        FileChange {
            path: path.into(),
            status: None,
            other: None,
            submodule: false,
        }
    }
}

/// Which revisions to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Range {
    /// The merge base of `base` and `head` (or `HEAD`) against `head` (or the working tree).
    Base {
        /// The ref to compare against, as the user wrote it.
        base: String,
        /// The head ref; `None` means `HEAD` plus uncommitted and untracked changes.
        head: Option<String>,
    },
    /// `HEAD` against the index.
    Staged,
}

/// A set of files at one point: a commit, the index, or the working tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Tree {
    /// The files on disk.
    WorkTree,
    /// The index (the staging area).
    Index,
    /// A commit, by full object id.
    Commit(String),
    /// Nothing (the base of an unborn branch).
    Empty,
}

impl Tree {
    /// A short label: `working tree`, `index`, the abbreviated commit, `empty tree`.
    pub fn label(&self) -> String {
        match self {
            Tree::WorkTree => "the working tree".to_string(),
            Tree::Index => "the index".to_string(),
            Tree::Commit(c) => c.chars().take(12).collect(),
            Tree::Empty => "the empty tree".to_string(),
        }
    }
}

/// A resolved comparison: the trees on both sides and the changed files.
#[derive(Clone, Debug)]
pub struct Diff {
    /// What was asked.
    pub range: Range,
    /// The base side (the merge base, or `HEAD` for `--staged`).
    pub base: Tree,
    /// The head side.
    pub head: Tree,
    /// Changed paths: renames give two entries (both sides), sorted by path then status.
    pub files: Vec<FileChange>,
}

/// A git repository, reached through the `git` binary.
pub struct Git {
    root: PathBuf,
    program: PathBuf,
    shallow: std::sync::OnceLock<bool>,
    batch: Mutex<Option<CatFile>>,
}

impl fmt::Debug for Git {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Git").field("root", &self.root).finish()
    }
}

fn git_missing(e: &io::Error) -> Error {
    Error::Git {
        message: format!("cannot run git: {e}"),
        help: Some(
            "install git and make sure it is on PATH, or list the changed files yourself with --files-from FILE"
                .to_string(),
        ),
    }
}

/// The first lines of git's complaint, without its `fatal: ` prefixes.
fn complaint(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches("fatal: ")
                .trim_start_matches("error: ")
        })
        .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
        .take(3)
        .collect();
    if lines.is_empty() {
        "no message".to_string()
    } else {
        lines.join("; ")
    }
}

/// Splits NUL-terminated output into strings (lossy for names that are not UTF-8).
fn split_z(out: &[u8]) -> impl Iterator<Item = String> + '_ {
    out.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
}

impl Git {
    /// The repository that holds `dir`.
    ///
    /// # Errors
    /// [`Error::Git`] when git is not installed or `dir` is not inside a work tree.
    pub fn discover(dir: &Path) -> Result<Git> {
        Git::discover_with(dir, Path::new("git"))
    }

    /// Like [`Git::discover`] with another git binary.
    ///
    /// # Errors
    /// As [`Git::discover`].
    pub fn discover_with(dir: &Path, program: &Path) -> Result<Git> {
        let out = base_command(program, dir)
            .args(["rev-parse", "--show-toplevel"])
            .output()
            .map_err(|e| git_missing(&e))?;
        if !out.status.success() {
            let why = complaint(&out.stderr);
            return Err(if why.contains("not a git repository") {
                Error::Git {
                    message: format!(
                        "'{}' is not inside a git repository (nor is any parent directory)",
                        dir.display()
                    ),
                    help: Some(
                        "run blast inside a git checkout to use --base or --staged, or list the changed files with --files-from FILE".to_string(),
                    ),
                }
            } else {
                Error::Git {
                    message: format!("git cannot open the repository at '{}': {why}", dir.display()),
                    help: Some("fix what git reports (run `git status` there to see it), or list the changed files with --files-from FILE".to_string()),
                }
            });
        }
        let top = String::from_utf8_lossy(&out.stdout)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        Ok(Git {
            root: PathBuf::from(top),
            program: program.to_path_buf(),
            shallow: std::sync::OnceLock::new(),
            batch: Mutex::new(None),
        })
    }

    /// The top level of the work tree (repository paths are relative to it).
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn command(&self) -> Command {
        base_command(&self.program, &self.root)
    }

    /// Runs `git args…` and returns stdout, or the complaint on stderr.
    fn try_run<I, S>(&self, args: I) -> Result<std::result::Result<Vec<u8>, String>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| git_missing(&e))?;
        Ok(if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(complaint(&out.stderr))
        })
    }

    pub(crate) fn run(&self, what: &str, args: &[&str]) -> Result<Vec<u8>> {
        self.try_run(args)?.map_err(|why| Error::Git {
            message: format!("git {what} failed: {why}"),
            help: Some("run the same git command yourself to see what is wrong".to_string()),
        })
    }

    /// Whether the repository is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        *self.shallow.get_or_init(|| {
            matches!(
                self.try_run(["rev-parse", "--is-shallow-repository"]),
                Ok(Ok(out)) if out.starts_with(b"true")
            )
        })
    }

    /// The commit `rev` names, as a full object id.
    ///
    /// # Errors
    /// [`Error::Git`] naming the ref when it does not exist (with a hint about fetching it).
    pub fn resolve_commit(&self, rev: &str) -> Result<String> {
        // No ref starts with `-` (git check-ref-format), so such an argument is refused here
        // rather than read as an option (`--end-of-options` needs git 2.43 for rev-parse).
        let spec = format!("{rev}^{{commit}}");
        let found = if rev.starts_with('-') || rev.is_empty() {
            Err(String::new())
        } else {
            self.try_run(["rev-parse", "--verify", "--quiet", &spec])?
        };
        match found {
            Ok(out) => Ok(String::from_utf8_lossy(&out).trim().to_string()),
            Err(_) => {
                let mut help =
                    "check the spelling (`git branch -a` lists the branches)".to_string();
                if rev == "HEAD" {
                    help = "commit something first: HEAD has no commit yet".to_string();
                } else if self.is_shallow() {
                    help.push_str("; this is a shallow clone, so fetch the ref first: `git fetch origin <branch>`, or check out with the full history (`fetch-depth: 0` in actions/checkout)");
                } else {
                    help.push_str("; a branch of another remote must be fetched first: `git fetch origin <branch>`");
                }
                Err(Error::Git {
                    message: format!(
                        "unknown git ref '{rev}': it names no commit in {}",
                        self.root.display()
                    ),
                    help: Some(help),
                })
            }
        }
    }

    /// The parents of a commit, by full id (none for a root commit or past a shallow clone's
    /// boundary).
    ///
    /// # Errors
    /// [`Error::Git`] when git fails.
    pub fn parents(&self, commit: &str) -> Result<Vec<String>> {
        let out = self.run(
            "parents",
            &["rev-list", "--parents", "-n", "1", commit, "--"],
        )?;
        Ok(String::from_utf8_lossy(&out)
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect())
    }

    /// The best common ancestor of two commits.
    ///
    /// # Errors
    /// [`Error::Git`] when they share no history; in a shallow clone that is because the
    /// history was not fetched, and the message says how to fetch it.
    pub fn merge_base(&self, a: &str, a_name: &str, b: &str, b_name: &str) -> Result<String> {
        match self.try_run(["merge-base", a, b])? {
            Ok(out) if !out.trim_ascii().is_empty() => {
                Ok(String::from_utf8_lossy(&out).trim().to_string())
            }
            _ if self.is_shallow() => Err(Error::Git {
                message: format!(
                    "no merge base of '{a_name}' and '{b_name}' in this shallow clone: the commits that join them were not fetched"
                ),
                help: Some(
                    "fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout), or deepen it until they meet (`git fetch --deepen=200`)"
                        .to_string(),
                ),
            }),
            _ => Err(Error::Git {
                message: format!("'{a_name}' and '{b_name}' have no common ancestor"),
                help: Some("compare against a ref that shares history with the head, or list the changed files with --files-from FILE".to_string()),
            }),
        }
    }

    /// Resolves `range` and lists the changed files.
    ///
    /// # Errors
    /// Unknown refs, a missing merge base, or git failing.
    pub fn diff(&self, range: &Range) -> Result<Diff> {
        let raw = ["diff", "--raw", "-z", "-M", "--no-color", "--no-ext-diff"];
        let (base, head, out, untracked) = match range {
            Range::Base { base, head } => {
                let base_id = self.resolve_commit(base)?;
                let (head_name, head_id) = match head {
                    Some(h) => (h.as_str(), self.resolve_commit(h)?),
                    None => ("HEAD", self.resolve_commit("HEAD")?),
                };
                let mb = self.merge_base(&base_id, base, &head_id, head_name)?;
                let mut args: Vec<&str> = raw.to_vec();
                args.push(&mb);
                if head.is_some() {
                    args.push(&head_id);
                }
                args.push("--");
                let out = self.run("diff", &args)?;
                let untracked = if head.is_none() {
                    self.run(
                        "ls-files",
                        &[
                            "ls-files",
                            "-z",
                            "--others",
                            "--exclude-standard",
                            "--full-name",
                        ],
                    )?
                } else {
                    Vec::new()
                };
                let head_tree = match head {
                    Some(_) => Tree::Commit(head_id),
                    None => Tree::WorkTree,
                };
                (Tree::Commit(mb), head_tree, out, untracked)
            }
            Range::Staged => {
                let head_commit =
                    match self.try_run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])? {
                        Ok(out) => Some(String::from_utf8_lossy(&out).trim().to_string()),
                        Err(_) => None,
                    };
                let mut args: Vec<&str> = raw.to_vec();
                args.push("--cached");
                if let Some(h) = &head_commit {
                    args.push(h);
                }
                args.push("--");
                let out = self.run("diff --cached", &args)?;
                let base = head_commit.map_or(Tree::Empty, Tree::Commit);
                (base, Tree::Index, out, Vec::new())
            }
        };
        let mut files = parse_raw(&out)?;
        let untracked: BTreeSet<String> = split_z(&untracked).collect();
        // A file removed from the index but still on disk (`git rm --cached`) is in the
        // base and in the working tree: one change, modified, not deleted and untracked.
        for f in &mut files {
            if f.status == Some(FileStatus::Deleted) && untracked.contains(&f.path) {
                f.status = Some(FileStatus::Modified);
            }
        }
        let kept: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let untracked: Vec<String> = untracked
            .iter()
            .filter(|p| !kept.contains(p.as_str()))
            .cloned()
            .collect();
        files.extend(untracked.into_iter().map(|p| FileChange {
            path: p,
            status: Some(FileStatus::Untracked),
            other: None,
            submodule: false,
        }));
        files.sort_by(|a, b| a.path.cmp(&b.path).then(a.status.cmp(&b.status)));
        files.dedup_by(|a, b| a.path == b.path && a.status == b.status);
        Ok(Diff {
            range: range.clone(),
            base,
            head,
            files,
        })
    }

    /// Whether `paths` differ between `tree` and the working tree.
    ///
    /// # Errors
    /// Git failing.
    pub fn differs_from_work_tree(&self, tree: &Tree, paths: &[String]) -> Result<bool> {
        if paths.is_empty() {
            return Ok(false);
        }
        let mut args: Vec<&str> = vec!["diff", "--quiet", "--no-ext-diff", "--no-textconv"];
        match tree {
            Tree::WorkTree => return Ok(false),
            Tree::Index => {}
            Tree::Commit(c) => args.push(c),
            Tree::Empty => return Ok(true),
        }
        args.push("--");
        args.extend(paths.iter().map(String::as_str));
        let out = self
            .command()
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| git_missing(&e))?;
        match out.status.code() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(Error::Git {
                message: format!("git diff --quiet failed: {}", complaint(&out.stderr)),
                help: None,
            }),
        }
    }

    /// The contents of the file `path` in `tree`, or `None` when it is not a file there.
    ///
    /// # Errors
    /// Git failing.
    pub fn read(&self, tree: &Tree, path: &str) -> Result<Option<Vec<u8>>> {
        let object = match tree {
            Tree::WorkTree => return read_if_file(&self.root.join(path)),
            Tree::Empty => return Ok(None),
            Tree::Index => format!(":{path}"),
            Tree::Commit(c) => format!("{c}:{path}"),
        };
        if object.contains('\n') {
            // The batch protocol is line-based; ask for this one alone.
            return Ok(self.try_run(["cat-file", "blob", &object])?.ok());
        }
        self.batch_read(&object)
    }

    fn batch_read(&self, object: &str) -> Result<Option<Vec<u8>>> {
        let mut guard = self.batch.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(CatFile::spawn(self)?);
        }
        let cat = guard.as_mut().expect("just spawned");
        match cat.get(object) {
            Ok(v) => Ok(v),
            Err(e) => {
                *guard = None;
                Err(Error::Git {
                    message: format!("git cat-file failed while reading '{object}': {e}"),
                    help: None,
                })
            }
        }
    }

    /// Every file at or below `under` (`""` for the whole tree) in `tree`.
    ///
    /// # Errors
    /// Git failing.
    pub fn list_files(&self, tree: &Tree, under: &str) -> Result<Vec<String>> {
        let mut args: Vec<&str> = match tree {
            Tree::WorkTree => vec![
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--full-name",
            ],
            Tree::Index => vec!["ls-files", "-z", "--cached", "--full-name"],
            Tree::Commit(c) => vec!["ls-tree", "-r", "-z", "--name-only", "--full-tree", c],
            Tree::Empty => return Ok(Vec::new()),
        };
        if !under.is_empty() {
            args.push("--");
            args.push(under);
        }
        let out = self.run(args[0], &args)?;
        let mut files: Vec<String> = split_z(&out).collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// The submodules (gitlinks, mode `160000`) at or below `under` in `tree`, sorted.
    ///
    /// # Errors
    /// Git failing.
    pub fn submodules(&self, tree: &Tree, under: &str) -> Result<Vec<String>> {
        let mut args: Vec<&str> = match tree {
            Tree::WorkTree | Tree::Index => vec!["ls-files", "-s", "-z", "--full-name"],
            Tree::Commit(c) => vec!["ls-tree", "-r", "-z", "--full-tree", c],
            Tree::Empty => return Ok(Vec::new()),
        };
        if !under.is_empty() {
            args.push("--");
            args.push(under);
        }
        let out = self.run(args[0], &args)?;
        // `<mode> <object> [<stage>]\t<path>` (ls-files) or `<mode> <type> <object>\t<path>`.
        let mut links: Vec<String> = split_z(&out)
            .filter_map(|e| {
                let (meta, path) = e.split_once('\t')?;
                meta.starts_with("160000 ").then(|| path.to_string())
            })
            .collect();
        links.sort();
        links.dedup();
        Ok(links)
    }

    /// Writes the files at or below each of `paths` (files or folders) as they are in `tree`
    /// into `dest`, keeping their repository paths. Symlinks and submodules are skipped.
    /// Returns the files written.
    ///
    /// # Errors
    /// Git failing, or `dest` not writable.
    pub fn materialize(&self, tree: &Tree, paths: &[String], dest: &Path) -> Result<Vec<String>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<&str> = match tree {
            Tree::WorkTree | Tree::Empty => Vec::new(),
            Tree::Index => vec!["ls-files", "-s", "-z", "--full-name"],
            Tree::Commit(c) => vec!["ls-tree", "-r", "-z", "--full-tree", c],
        };
        let mut blobs: BTreeMap<String, String> = BTreeMap::new();
        match tree {
            Tree::Empty => return Ok(Vec::new()),
            Tree::WorkTree => {
                for p in paths {
                    let src = self.root.join(p);
                    copy_tree(&src, &dest.join(p), p, &mut blobs)?;
                }
                return Ok(blobs.into_keys().collect());
            }
            _ => {}
        }
        args.push("--");
        args.extend(paths.iter().map(String::as_str));
        let out = self.run(args[0], &args)?;
        for entry in out.split(|&b| b == 0).filter(|e| !e.is_empty()) {
            let Some(tab) = entry.iter().position(|&b| b == b'\t') else {
                continue;
            };
            let meta = String::from_utf8_lossy(&entry[..tab]);
            let path = String::from_utf8_lossy(&entry[tab + 1..]).into_owned();
            let fields: Vec<&str> = meta.split(' ').collect();
            // ls-tree: "<mode> <type> <oid>"; ls-files -s: "<mode> <oid> <stage>".
            let (mode, oid, ok) = match tree {
                Tree::Commit(_) => (
                    fields[0],
                    fields.get(2).copied(),
                    fields.get(1) == Some(&"blob"),
                ),
                _ => (
                    fields[0],
                    fields.get(1).copied(),
                    fields.get(2) == Some(&"0"),
                ),
            };
            if ok
                && mode.starts_with("100")
                && let Some(oid) = oid
            {
                blobs.insert(path, oid.to_string());
            }
        }
        let mut written = Vec::with_capacity(blobs.len());
        for (path, oid) in blobs {
            let Some(bytes) = self.batch_read(&oid)? else {
                continue;
            };
            let target = dest.join(&path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            std::fs::write(&target, bytes).map_err(|e| Error::io(&target, e))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Copies `src` (a file or folder of the working tree) to `dst`, recording repository paths.
fn copy_tree(src: &Path, dst: &Path, rel: &str, out: &mut BTreeMap<String, String>) -> Result<()> {
    let meta = match std::fs::symlink_metadata(src) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(src, e)),
    };
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(src)
            .map_err(|e| Error::io(src, e))?
            .filter_map(|e| e.ok())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == ".git" {
                continue;
            }
            copy_tree(&e.path(), &dst.join(&name), &format!("{rel}/{name}"), out)?;
        }
    } else if meta.is_file() {
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::copy(src, dst).map_err(|e| Error::io(src, e))?;
        out.insert(rel.to_string(), String::new());
    }
    Ok(())
}

fn base_command(program: &Path, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_LITERAL_PATHSPECS")
        // `diff.relative` would make paths relative to the current folder (git 2.28+; older
        // versions ignore the key).
        .args([
            "--literal-pathspecs",
            "-c",
            "core.quotepath=off",
            "-c",
            "diff.relative=false",
        ]);
    c
}

/// Parses `git diff --raw -z` output. Renames give both paths; copies give the new one.
///
/// # Errors
/// [`Error::Git`] for output that does not have the documented shape.
pub fn parse_raw(out: &[u8]) -> Result<Vec<FileChange>> {
    let bad = |what: &str| Error::Git {
        message: format!("unexpected `git diff --raw -z` output: {what}"),
        help: Some("report this with your git version (`git --version`)".to_string()),
    };
    let mut fields = out.split(|&b| b == 0);
    let mut files = Vec::new();
    while let Some(meta) = fields.next() {
        if meta.is_empty() {
            continue;
        }
        let meta = std::str::from_utf8(meta).map_err(|_| bad("a non-text status field"))?;
        let meta = meta.strip_prefix(':').ok_or_else(|| bad(meta))?;
        let parts: Vec<&str> = meta.split(' ').collect();
        if parts.len() < 5 {
            return Err(bad(meta));
        }
        let submodule = parts[0] == "160000" || parts[1] == "160000";
        let status = parts[4];
        let mut path = || {
            fields
                .next()
                .filter(|p| !p.is_empty())
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .ok_or_else(|| bad("a status without its path"))
        };
        let change = |path: String, status, other| FileChange {
            path,
            status: Some(status),
            other,
            submodule,
        };
        match status.as_bytes().first() {
            Some(b'R') => {
                let old = path()?;
                let new = path()?;
                files.push(change(
                    old.clone(),
                    FileStatus::RenamedFrom,
                    Some(new.clone()),
                ));
                files.push(change(new, FileStatus::RenamedTo, Some(old)));
            }
            Some(b'C') => {
                let old = path()?;
                let new = path()?;
                files.push(change(new, FileStatus::CopiedTo, Some(old)));
            }
            Some(c) => {
                let s = match c {
                    b'A' => FileStatus::Added,
                    b'D' => FileStatus::Deleted,
                    b'T' => FileStatus::TypeChanged,
                    b'U' => FileStatus::Unmerged,
                    _ => FileStatus::Modified,
                };
                files.push(change(path()?, s, None));
            }
            None => return Err(bad(meta)),
        }
    }
    Ok(files)
}

/// A long-running `git cat-file --batch`: one process for every read.
struct CatFile {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl CatFile {
    fn spawn(git: &Git) -> Result<CatFile> {
        let mut child = git
            .command()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| git_missing(&e))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(CatFile {
            child,
            stdin,
            stdout,
        })
    }

    /// A blob's bytes, or `None` when the object is missing or not a blob.
    fn get(&mut self, object: &str) -> io::Result<Option<Vec<u8>>> {
        self.stdin.write_all(object.as_bytes())?;
        self.stdin.write_all(b"\n")?;
        self.stdin.flush()?;
        let mut header = Vec::new();
        self.stdout.read_until(b'\n', &mut header)?;
        if header.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "git cat-file stopped",
            ));
        }
        let header = String::from_utf8_lossy(&header);
        let header = header.trim_end();
        // "<oid> <type> <size>", or "<object> missing" / "<object> ambiguous".
        let mut parts = header.rsplitn(3, ' ');
        let (size, kind) = (parts.next(), parts.next());
        let (Some(size), Some(kind)) = (size, kind) else {
            return Ok(None);
        };
        let Ok(size) = size.parse::<usize>() else {
            return Ok(None);
        };
        let mut body = vec![0; size + 1];
        self.stdout.read_exact(&mut body)?;
        body.pop();
        Ok((kind == "blob").then_some(body))
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bytes of the file at `path` in the working tree, `None` when there is no file there.
///
/// # Errors
/// A file that exists but cannot be read.
pub(crate) fn read_if_file(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::IsADirectory
                    | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_output_with_renames_copies_and_odd_names() {
        let out = b":100644 100644 aaa bbb M\0src/a b.rs\0:100644 100644 aaa bbb R087\0old/x.rs\0new/\xc3\xa9\nx.rs\0:000000 100644 000 bbb A\0n.rs\0:100644 000000 aaa 000 D\0d.rs\0:160000 160000 aaa bbb M\0vendor/sub\0:100644 100644 aaa bbb C100\0c1\0c2\0";
        let files = parse_raw(out).unwrap();
        let got: Vec<(&str, FileStatus, Option<&str>, bool)> = files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.status.unwrap(),
                    f.other.as_deref(),
                    f.submodule,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("src/a b.rs", FileStatus::Modified, None, false),
                (
                    "old/x.rs",
                    FileStatus::RenamedFrom,
                    Some("new/é\nx.rs"),
                    false
                ),
                (
                    "new/é\nx.rs",
                    FileStatus::RenamedTo,
                    Some("old/x.rs"),
                    false
                ),
                ("n.rs", FileStatus::Added, None, false),
                ("d.rs", FileStatus::Deleted, None, false),
                ("vendor/sub", FileStatus::Modified, None, true),
                ("c2", FileStatus::CopiedTo, Some("c1"), false),
            ]
        );
    }

    #[test]
    fn truncated_raw_output_is_an_error_not_a_panic() {
        assert!(parse_raw(b":100644 100644 aaa bbb R100\0only-one\0").is_err());
        assert!(parse_raw(b"garbage\0").is_err());
        assert!(parse_raw(b":100644\0x\0").is_err());
        assert_eq!(parse_raw(b"").unwrap(), vec![]);
    }

    /// Runs git for a test's setup, with no user or system configuration.
    fn setup(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn reads_lists_and_materializes_files_and_folders_at_a_revision() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let w = |p: &str, t: &str| {
            std::fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
            std::fs::write(root.join(p), t).unwrap();
        };
        setup(root, &["-c", "init.defaultBranch=main", "init", "-q", "."]);
        w("k8s/a.yaml", "a1\n");
        w("k8s/sub/b c.yaml", "b1\n");
        w("graph.toml", "g1\n");
        setup(root, &["add", "-A"]);
        setup(root, &["commit", "-q", "-m", "one"]);
        w("k8s/a.yaml", "a2\n");
        w("graph.toml", "g2\n");
        setup(root, &["add", "graph.toml"]);
        w("graph.toml", "g3\n");
        let git = Git::discover(&root.join("k8s")).unwrap();
        let head = Tree::Commit(git.resolve_commit("HEAD").unwrap());
        assert_eq!(git.read(&head, "k8s/a.yaml").unwrap().unwrap(), b"a1\n");
        assert_eq!(
            git.read(&Tree::Index, "graph.toml").unwrap().unwrap(),
            b"g2\n"
        );
        assert_eq!(
            git.read(&Tree::WorkTree, "graph.toml").unwrap().unwrap(),
            b"g3\n"
        );
        assert_eq!(
            git.read(&head, "k8s").unwrap(),
            None,
            "a folder is not a file"
        );
        assert_eq!(git.read(&head, "nope").unwrap(), None);
        assert_eq!(
            git.list_files(&head, "k8s").unwrap(),
            ["k8s/a.yaml", "k8s/sub/b c.yaml"]
        );
        let dest = tempfile::tempdir().unwrap();
        let paths = [
            "k8s".to_string(),
            "graph.toml".to_string(),
            "missing".to_string(),
        ];
        let written = git.materialize(&head, &paths, dest.path()).unwrap();
        assert_eq!(written, ["graph.toml", "k8s/a.yaml", "k8s/sub/b c.yaml"]);
        let read = |p: &str| std::fs::read_to_string(dest.path().join(p)).unwrap();
        assert_eq!(
            (read("graph.toml"), read("k8s/a.yaml")),
            ("g1\n".into(), "a1\n".into())
        );
        let dest = tempfile::tempdir().unwrap();
        git.materialize(&Tree::Index, &paths, dest.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.path().join("graph.toml")).unwrap(),
            "g2\n"
        );
        assert!(
            git.differs_from_work_tree(&Tree::Index, &["graph.toml".into()])
                .unwrap()
        );
        assert!(
            !git.differs_from_work_tree(&head, &["k8s/sub".into()])
                .unwrap()
        );
        let e = git.resolve_commit("no-such-ref").unwrap_err().to_string();
        assert!(e.starts_with("unknown git ref 'no-such-ref'"), "{e}");
    }

    #[test]
    fn complaints_lose_their_prefixes() {
        assert_eq!(
            complaint(b"fatal: not a git repository (or any of the parent directories): .git\n"),
            "not a git repository (or any of the parent directories): .git"
        );
        assert_eq!(complaint(b""), "no message");
    }
}
