//! Who owns a reached node: the graph's `owners`, or else what CODEOWNERS says about the
//! node's `paths`.
//!
//! CODEOWNERS rules are about files, node paths are globs, so each glob is read as the
//! directory it names: its leading segments free of wildcards (`services/payment/**` →
//! `services/payment`). The owners are those CODEOWNERS gives to everything in that
//! directory (a rule like `*.md` that names particular files does not count); a glob without
//! wildcards that names a file gets that file's owners.

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
        let owners: &[String] = if g.chars().any(is_meta) {
            let dir: Vec<&str> = g
                .split('/')
                .take_while(|s| !s.chars().any(is_meta))
                .collect();
            co.owners_of_dir(&dir.join("/"))
        } else {
            let own = co.owners_of(g.trim_end_matches('/'));
            if own.is_empty() {
                co.owners_of_dir(g)
            } else {
                own
            }
        };
        for o in owners {
            if !out.contains(o) {
                out.push(o.clone());
            }
        }
    }
    out
}
