//! Where the resolver reads files: the repository root, git when there is a repository,
//! and which trees are the head (what the change produces) and the base (what it started
//! from). Outside a repository only the files on disk are known, and there is no base.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::git::{Git, Tree};
use crate::error::Result;

/// The files a change is resolved against.
#[derive(Debug)]
pub struct RepoFiles {
    root: PathBuf,
    git: Option<Arc<Git>>,
    /// The tree the change produces.
    pub head: Tree,
    /// The tree it is compared with, when known (a git range); `None` for a list of files.
    pub base: Option<Tree>,
}

/// Directories never searched when walking a folder outside git.
const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules"];

impl RepoFiles {
    /// The files on disk below `root`, with no git and no base.
    pub fn work_tree(root: impl Into<PathBuf>) -> RepoFiles {
        RepoFiles {
            root: root.into(),
            git: None,
            head: Tree::WorkTree,
            base: None,
        }
    }

    /// The working tree at `root`, with no base: through git when `root` is in a
    /// repository (so a folder lists what git lists, without ignored build output, and
    /// its submodules are known), else the files on disk.
    pub fn current(root: impl Into<PathBuf>) -> RepoFiles {
        let root = root.into();
        match Git::discover(&root) {
            Ok(git) => RepoFiles::git(Arc::new(git), Tree::WorkTree, None),
            Err(_) => RepoFiles::work_tree(root),
        }
    }

    /// A git repository, comparing `base` (when known) with `head`.
    pub fn git(git: Arc<Git>, head: Tree, base: Option<Tree>) -> RepoFiles {
        RepoFiles {
            root: git.root().to_path_buf(),
            git: Some(git),
            head,
            base,
        }
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The git repository, if any.
    pub fn git_repo(&self) -> Option<&Git> {
        self.git.as_deref()
    }

    /// The bytes of `path` in `tree`; `None` when it is not a file there.
    ///
    /// # Errors
    /// Git failing, or a file that exists but cannot be read.
    pub fn read(&self, tree: &Tree, path: &str) -> Result<Option<Vec<u8>>> {
        match (self.git.as_deref(), tree) {
            (Some(git), _) => git.read(tree, path),
            (None, Tree::WorkTree) => super::git::read_if_file(&self.root.join(path)),
            (None, _) => Ok(None),
        }
    }

    /// The submodules at or below `under` (`""` for all) in `tree`, sorted (none without
    /// git).
    ///
    /// # Errors
    /// Git failing.
    pub fn submodules(&self, tree: &Tree, under: &str) -> Result<Vec<String>> {
        match self.git.as_deref() {
            Some(git) => git.submodules(tree, under),
            None => Ok(Vec::new()),
        }
    }

    /// Every file at or below `under` (`""` for all) in `tree`, sorted.
    ///
    /// # Errors
    /// Git failing.
    pub fn list(&self, tree: &Tree, under: &str) -> Result<Vec<String>> {
        match (self.git.as_deref(), tree) {
            (Some(git), _) => git.list_files(tree, under),
            (None, Tree::WorkTree) => {
                let mut out = Vec::new();
                let start = if under.is_empty() {
                    self.root.clone()
                } else {
                    self.root.join(under)
                };
                walk(&start, under, &mut out);
                out.sort();
                Ok(out)
            }
            (None, _) => Ok(Vec::new()),
        }
    }
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(meta) = std::fs::metadata(dir) else {
        return;
    };
    if meta.is_file() {
        out.push(rel.to_string());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        match e.file_type() {
            Ok(t) if t.is_dir() && !SKIP_DIRS.contains(&name.as_str()) => {
                walk(&e.path(), &child, out);
            }
            Ok(t) if t.is_file() => out.push(child),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_reads_a_plain_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::create_dir_all(dir.path().join("target/debug")).unwrap();
        std::fs::write(dir.path().join("a/b/Cargo.toml"), "x").unwrap();
        std::fs::write(dir.path().join("a/c.rs"), "y").unwrap();
        std::fs::write(dir.path().join("target/debug/junk"), "z").unwrap();
        let files = RepoFiles::work_tree(dir.path());
        assert_eq!(
            files.list(&Tree::WorkTree, "").unwrap(),
            ["a/b/Cargo.toml", "a/c.rs"]
        );
        assert_eq!(
            files.list(&Tree::WorkTree, "a/b").unwrap(),
            ["a/b/Cargo.toml"]
        );
        assert_eq!(
            files.read(&Tree::WorkTree, "a/c.rs").unwrap().unwrap(),
            b"y"
        );
        assert_eq!(files.read(&Tree::WorkTree, "a/none").unwrap(), None);
        assert_eq!(files.read(&Tree::WorkTree, "a").unwrap(), None);
    }
}
