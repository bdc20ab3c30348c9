//! Who owns a reached node: the graph's `owners`, or else what CODEOWNERS says about the
//! node's `paths`.
//!
//! CODEOWNERS rules are about files, node paths are globs, so each glob is read as the
//! directory it names: its leading segments free of wildcards (`services/payment/**` →
//! `services/payment`). A glob without wildcards names a directory and everything below it,
//! as it does when it maps changed files (`services/payment`, like `services/payment/` and
//! `services/payment/**`). The owners are those CODEOWNERS gives to everything in that
//! directory: the last line matching a file directly inside it that no name- or
//! extension-specific pattern matches (`*.md` does not count; `*` and `/services/payment/`
//! do). A path without wildcards that names a file ([`CodeOwners::names_file`]: in the
//! working tree, or at the base or head of a git range; a symbolic link is a file, as git
//! stores it) is owned as that file: every line matching it counts, `tools/*` and `*.tf`
//! too.

use std::fmt;

use crate::changes::codeowners::CodeOwners;
use crate::graph::Node;

/// Where a node's owners come from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnersSource {
    /// The graph's `owners`.
    Graph,
    /// The repository's CODEOWNERS file, applied to the node's `paths`.
    Codeowners,
}

impl OwnersSource {
    /// The keyword used in text and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnersSource::Graph => "graph",
            OwnersSource::Codeowners => "codeowners",
        }
    }
}

impl fmt::Display for OwnersSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_meta(c: char) -> bool {
    matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\')
}

/// CODEOWNERS owners of a node's `paths`, in order of first appearance.
pub fn codeowners_of(node: Node<'_>, co: &CodeOwners) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for glob in node.paths() {
        let g = glob.strip_prefix("./").unwrap_or(glob);
        let g = g.strip_prefix('/').unwrap_or(g);
        // A glob without wildcards names a directory, unless it is a file of the tree the
        // CODEOWNERS file was read from: probing a directory's name itself as a file would let
        // `*` match it where `/services/plain/` (the later, deciding line for every file in
        // the directory) does not.
        let owners = if !g.ends_with('/') && !g.chars().any(is_meta) && co.names_file(g) {
            co.owners_of(g)
        } else {
            let dir: Vec<&str> = g
                .split('/')
                .take_while(|s| !s.chars().any(is_meta))
                .collect();
            co.owners_of_dir(&dir.join("/"))
        };
        for o in owners {
            if !out.contains(o) {
                out.push(o.clone());
            }
        }
    }
    out
}
