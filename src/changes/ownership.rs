//! File ownership: which node a repository path belongs to, from the nodes' `paths` globs.
//!
//! Globs are matched with globset, with `*` confined to one directory (`**` crosses them).
//! A glob with no wildcard names a file or a directory: it also matches everything below.
//! When several nodes' globs match a path, the most specific glob wins (a module's
//! `services/payment/core/**` beats its service's `services/payment/**`); equally specific
//! matches keep every node.
//!
//! Specificity is compared as (leading literal segments, literal segments, literal
//! characters, recursive wildcards): first the path segments before the first one holding
//! glob syntax, then all segments free of glob syntax, then the characters that are neither
//! glob syntax nor `/`, then fewer `**` (which match any depth: `api/*.rs` beats
//! `api/**/*.rs`). A glob with no wildcard names a folder as `dir/**` does: `lib/core`,
//! `lib/core/` and `lib/core/**` are equally specific for the files below it.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::graph::{DependencyGraph, Node};

/// Compiles one `paths` entry the way ownership matches it.
///
/// # Errors
/// The glob's syntax error, as globset words it.
pub fn compile_glob(pattern: &str) -> Result<Glob, String> {
    GlobBuilder::new(normalize(pattern))
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| e.kind().to_string())
}

/// Checks a glob's syntax. Globs made only of path characters, `*` and `?` are always
/// valid, so only the rest go through globset (a million-node graph has a million globs).
///
/// # Errors
/// The glob's syntax error, as globset words it.
pub fn validate_glob(pattern: &str) -> Result<(), String> {
    if pattern
        .bytes()
        .any(|b| matches!(b, b'[' | b']' | b'{' | b'}' | b'\\'))
    {
        compile_glob(pattern).map(|_| ())
    } else {
        Ok(())
    }
}

/// Strips a leading `./` or `/` (paths are relative to the repository root).
fn normalize(p: &str) -> &str {
    let p = p.strip_prefix("./").unwrap_or(p);
    p.strip_prefix('/').unwrap_or(p)
}

/// A repository path in its plain form: no leading `./` or `/`, no empty or `.` segments,
/// and `dir/..` folded (`services/payment/../other/a.rs` is `services/other/a.rs`); a `..`
/// that climbs above the root stays, so the path names nothing in the repository.
pub(crate) fn clean_path(p: &str) -> std::borrow::Cow<'_, str> {
    let plain = normalize(p);
    let odd = |seg: &str| seg.is_empty() || seg == "." || seg == "..";
    if !plain.split('/').any(odd) {
        return std::borrow::Cow::Borrowed(plain);
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in plain.split('/') {
        match seg {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            _ => out.push(seg),
        }
    }
    std::borrow::Cow::Owned(out.join("/"))
}

fn is_meta(c: char) -> bool {
    matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\')
}

/// How specific a glob is (see the module docs): compared as a tuple, larger is more
/// specific.
pub type Specificity = (u32, u32, u32, u32);

/// How specific a glob is; larger is more specific (see the module docs).
pub fn specificity(pattern: &str) -> Specificity {
    let p = normalize(pattern);
    let literal_segment = |s: &&str| !s.is_empty() && !s.chars().any(is_meta);
    let prefix = p.split('/').take_while(|s| literal_segment(s)).count() as u32;
    let segments = p.split('/').filter(literal_segment).count() as u32;
    let literal = p.chars().filter(|&c| !is_meta(c) && c != '/').count() as u32;
    let recursive = p.matches("**").count() as u32;
    (prefix, segments, literal, u32::MAX - recursive)
}

/// An index from paths to the nodes that own them.
pub struct Ownership {
    set: GlobSet,
    /// For each glob in `set`: the node index (into `nodes`) and the glob's text.
    globs: Vec<(u32, String, Specificity)>,
    nodes: Vec<u32>,
}

/// One owner of a path: the node and the glob that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner<'g> {
    /// The owning node.
    pub node: Node<'g>,
    /// The glob (as written) that matched.
    pub glob: String,
}

impl Ownership {
    /// Indexes every node's `paths`.
    ///
    /// # Panics
    /// Never for a graph built by [`GraphBuilder`](crate::graph::GraphBuilder), which rejects
    /// invalid globs.
    pub fn new(graph: &DependencyGraph) -> Ownership {
        let mut b = GlobSetBuilder::new();
        let mut globs = Vec::new();
        let mut nodes = Vec::new();
        for node in graph.nodes() {
            let mut any = false;
            for p in node.paths() {
                let Ok(g) = compile_glob(p) else { continue };
                let spec = specificity(p);
                if !any {
                    nodes.push(node.ix().raw());
                    any = true;
                }
                let slot = nodes.len() as u32 - 1;
                if !p.chars().any(is_meta) {
                    // A plain path also owns everything below it, as `dir/**` does.
                    let below = format!("{}/**", normalize(p).trim_end_matches('/'));
                    if let Ok(g2) = compile_glob(&below) {
                        b.add(g2);
                        globs.push((slot, p.to_string(), specificity(&below)));
                    }
                }
                b.add(g);
                globs.push((slot, p.to_string(), spec));
            }
        }
        let set = b.build().unwrap_or_else(|_| GlobSet::empty());
        Ownership { set, globs, nodes }
    }

    /// The nodes that own `path`: the most specific matches, ties kept, in graph order.
    pub fn owners<'g>(&self, graph: &'g DependencyGraph, path: &str) -> Vec<Owner<'g>> {
        let path = clean_path(path);
        let matches = self.set.matches(&*path);
        let Some(best) = matches.iter().map(|&m| self.globs[m].2).max() else {
            return Vec::new();
        };
        let mut out: Vec<(u32, &str)> = matches
            .iter()
            .map(|&m| &self.globs[m])
            .filter(|g| g.2 == best)
            .map(|g| (self.nodes[g.0 as usize], g.1.as_str()))
            .collect();
        out.sort();
        out.dedup_by_key(|o| o.0);
        out.into_iter()
            .map(|(ix, glob)| Owner {
                node: graph.node_ix(crate::graph::NodeIx::from_usize(ix as usize)),
                glob: glob.to_string(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned() {
        assert_eq!(clean_path("./a/b.rs"), "a/b.rs");
        assert_eq!(clean_path("/a/b.rs"), "a/b.rs");
        assert_eq!(
            clean_path("services//payment/b.rs"),
            "services/payment/b.rs"
        );
        assert_eq!(
            clean_path("services/payment/../other/a.rs"),
            "services/other/a.rs"
        );
        assert_eq!(clean_path("a/./b/"), "a/b");
        assert_eq!(clean_path("../x.rs"), "../x.rs");
        assert_eq!(clean_path("a/../../x.rs"), "../x.rs");
    }

    #[test]
    fn star_does_not_cross_directories() {
        let g = compile_glob("services/*.rs").unwrap().compile_matcher();
        assert!(g.is_match("services/a.rs"));
        assert!(!g.is_match("services/x/a.rs"));
        let g = compile_glob("services/**").unwrap().compile_matcher();
        assert!(g.is_match("services/x/a.rs"));
    }

    #[test]
    fn module_globs_are_more_specific_than_service_globs() {
        assert!(specificity("services/payment/core/**") > specificity("services/payment/**"));
        assert!(specificity("services/payment/**") > specificity("services/*/src/**.rs"));
        assert!(specificity("services/pay/**") < specificity("services/payment/**"));
        assert_eq!(specificity("./a/**"), specificity("a/**"));
        // `**` matches any depth: the one-level glob is more specific.
        assert!(specificity("svc/api/*.rs") > specificity("svc/api/**/*.rs"));
        // A trailing `/` is not a character more.
        assert_eq!(specificity("lib/core/"), specificity("lib/core"));
    }

    #[test]
    fn bad_globs_are_reported() {
        assert!(compile_glob("services/[a").is_err());
        assert!(compile_glob("{a,b").is_err());
        for bad in ["services/[a", "{a,b", "x\\", "[z-a]"] {
            assert!(validate_glob(bad).is_err(), "{bad}");
        }
        for good in [
            "services/**",
            "a/*.rs",
            "a?b/**/c",
            "@scope/pkg/**",
            "a/{b,c}/**",
            "[ab]/x",
        ] {
            assert!(validate_glob(good).is_ok(), "{good}");
        }
    }
}
