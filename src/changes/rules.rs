//! Ownership rules: what a changed file means when no node's `paths` and no Cargo package
//! claim it, from `[[rule]]` tables in `blast.toml` and a few documented defaults.
//!
//! ```toml
//! unmapped = "warn"              # files nothing maps: "warn" (default) | "all" | "error"
//!
//! [[rule]]
//! paths = [".github/workflows/**", "ci/**"]
//! action = "all"                 # every node
//!
//! [[rule]]
//! paths = ["proto/payments/**"]
//! action = "nodes"
//! nodes = ["payment", "checkout"]
//!
//! [[rule]]
//! paths = ["**/*.md"]
//! action = "ignore"
//! override = true                # checked before node paths and Cargo packages
//! ```
//!
//! Rules are tried in file order; the first whose glob matches decides. A rule is checked
//! after the nodes' `paths` and the nearest Cargo package, unless it says `override = true`,
//! which puts it before them (to ignore `**/*.md` even inside a service, say). Globs work
//! like node `paths`: `*` stays in one directory, `**` crosses them, a glob without
//! wildcards also matches everything below it.
//!
//! After the user's rules come the defaults ([`DEFAULT_RULES`]): documentation, README and
//! LICENSE files are ignored; `Cargo.lock` is compared package by package; a workspace root
//! `Cargo.toml` is compared key by key; `rust-toolchain*` and `.cargo/config*` mean every
//! Cargo package below their directory. A user rule matching the same file comes first, so
//! every default can be overridden.

use std::fmt;

use globset::{GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::ownership::compile_glob;

/// What a `[[rule]]` does with the files it matches.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The files change nothing.
    Ignore,
    /// The files change every node.
    All,
    /// The files change the nodes listed in `nodes`.
    Nodes,
}

impl Action {
    /// The keyword used in `blast.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Ignore => "ignore",
            Action::All => "all",
            Action::Nodes => "nodes",
        }
    }
}

/// What to do with a changed file that nothing maps to a node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmapped {
    /// List it under `unmapped` and warn (the default).
    #[default]
    Warn,
    /// Treat it as a change to every node.
    All,
    /// Refuse: exit 2 naming the files.
    Error,
}

impl Unmapped {
    /// The keyword used in `blast.toml` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Unmapped::Warn => "warn",
            Unmapped::All => "all",
            Unmapped::Error => "error",
        }
    }
}

impl fmt::Display for Unmapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Unmapped {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "warn" => Ok(Unmapped::Warn),
            "all" => Ok(Unmapped::All),
            "error" => Ok(Unmapped::Error),
            _ => Err(format!("unknown value '{s}', expected warn, all or error")),
        }
    }
}

/// One `[[rule]]` table as written in `blast.toml`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Globs of the files the rule applies to.
    pub paths: Vec<String>,
    /// What it does.
    pub action: Action,
    /// For `action = "nodes"`: the node ids.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Check this rule before node `paths` and Cargo packages.
    #[serde(default, rename = "override")]
    pub override_paths: bool,
}

impl RuleSpec {
    /// Checks the rule on its own: valid globs, `nodes` exactly when `action = "nodes"`.
    /// Returns the offending text and what is wrong.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.paths.is_empty() {
            return Err((
                "paths".into(),
                "a rule needs at least one glob in `paths`".into(),
            ));
        }
        for p in &self.paths {
            if let Err(e) = compile_glob(p) {
                return Err((p.clone(), format!("invalid glob '{p}': {e}")));
            }
        }
        match (self.action, self.nodes.is_empty()) {
            (Action::Nodes, true) => Err((
                "nodes".into(),
                "`action = \"nodes\"` needs `nodes = [\"id\", ...]`".into(),
            )),
            (Action::Ignore | Action::All, false) => Err((
                "nodes".into(),
                format!(
                    "`nodes` only goes with `action = \"nodes\"` (this rule says \"{}\")",
                    self.action.as_str()
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// What a built-in default does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// Documentation: changes nothing.
    Ignore,
    /// `Cargo.lock`: compare the packages at the base and the head.
    CargoLock,
    /// `Cargo.toml`: when it is a workspace root, compare it key by key.
    CargoManifest,
    /// Every Cargo package below the directory that holds the file (for `.cargo/config*`,
    /// the directory that holds `.cargo`).
    CargoAll,
}

/// A built-in default rule.
#[derive(Copy, Clone, Debug)]
pub struct DefaultRule {
    /// A short name, used in reasons.
    pub name: &'static str,
    /// The globs.
    pub paths: &'static [&'static str],
    /// What it does.
    pub action: DefaultAction,
}

/// The defaults, tried after the user's rules, in this order.
pub const DEFAULT_RULES: &[DefaultRule] = &[
    DefaultRule {
        name: "Cargo lockfile",
        paths: &["**/Cargo.lock"],
        action: DefaultAction::CargoLock,
    },
    DefaultRule {
        name: "Cargo workspace manifest",
        paths: &["**/Cargo.toml"],
        action: DefaultAction::CargoManifest,
    },
    DefaultRule {
        name: "Rust toolchain and Cargo configuration",
        paths: &[
            "**/rust-toolchain",
            "**/rust-toolchain.toml",
            "**/.cargo/config",
            "**/.cargo/config.toml",
        ],
        action: DefaultAction::CargoAll,
    },
    DefaultRule {
        name: "documentation, README and LICENSE files",
        paths: &[
            "docs/**",
            "doc/**",
            "**/*.md",
            "**/*.markdown",
            "**/*.rst",
            "**/*.adoc",
            "**/README*",
            "**/LICENSE*",
            "**/LICENCE*",
            "**/COPYING",
            "**/NOTICE",
            "**/CHANGELOG",
            "**/CODEOWNERS",
        ],
        action: DefaultAction::Ignore,
    },
];

/// Whether a path is one of Cargo's workspace-level files (lockfile, toolchain, Cargo
/// configuration). These are never mapped to the package that happens to enclose them.
pub fn is_cargo_workspace_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let parent = path
        .rsplit_once('/')
        .map(|(p, _)| p.rsplit('/').next().unwrap_or(p));
    name == "Cargo.lock"
        || name == "rust-toolchain"
        || name == "rust-toolchain.toml"
        || (parent == Some(".cargo") && (name == "config" || name == "config.toml"))
}

/// Which rule matched a path.
#[derive(Copy, Clone, Debug)]
pub enum Matched<'r> {
    /// A `[[rule]]` from `blast.toml`: its 1-based position, the rule, the glob.
    User(usize, &'r RuleSpec, &'r str),
    /// A built-in default and the glob that matched.
    Default(&'r DefaultRule, &'static str),
}

/// Compiled rules.
#[derive(Clone, Debug)]
pub struct Rules {
    specs: Vec<RuleSpec>,
    user: GlobSet,
    /// For each glob in `user`: (rule index, glob index in the rule).
    user_globs: Vec<(usize, usize)>,
    defaults: GlobSet,
    default_globs: Vec<(usize, usize)>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::new(Vec::new()).expect("the defaults compile")
    }
}

fn add_glob(b: &mut GlobSetBuilder, pattern: &str) -> Result<usize, String> {
    let mut n = 0;
    b.add(compile_glob(pattern)?);
    n += 1;
    if !pattern.chars().any(|c| matches!(c, '*' | '?' | '[' | '{')) {
        let below = format!(
            "{}/**",
            pattern
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/')
        );
        b.add(compile_glob(&below)?);
        n += 1;
    }
    Ok(n)
}

impl Rules {
    /// Compiles the user's rules (already validated) and the defaults.
    ///
    /// # Errors
    /// A glob that does not compile: the rule's 1-based index and the message.
    pub fn new(specs: Vec<RuleSpec>) -> Result<Rules, (usize, String)> {
        let mut b = GlobSetBuilder::new();
        let mut user_globs = Vec::new();
        for (i, r) in specs.iter().enumerate() {
            for (j, p) in r.paths.iter().enumerate() {
                let n =
                    add_glob(&mut b, p).map_err(|e| (i + 1, format!("invalid glob '{p}': {e}")))?;
                user_globs.extend(std::iter::repeat_n((i, j), n));
            }
        }
        let user = b.build().map_err(|e| (0, e.to_string()))?;
        let mut b = GlobSetBuilder::new();
        let mut default_globs = Vec::new();
        for (i, r) in DEFAULT_RULES.iter().enumerate() {
            for (j, p) in r.paths.iter().enumerate() {
                let n = add_glob(&mut b, p).map_err(|e| (0, e))?;
                default_globs.extend(std::iter::repeat_n((i, j), n));
            }
        }
        let defaults = b.build().map_err(|e| (0, e.to_string()))?;
        Ok(Rules {
            specs,
            user,
            user_globs,
            defaults,
            default_globs,
        })
    }

    /// The user's rules, in file order.
    pub fn specs(&self) -> &[RuleSpec] {
        &self.specs
    }

    /// The first user rule matching `path` among those with `override` = `overriding`.
    pub fn user_rule(&self, path: &str, overriding: bool) -> Option<Matched<'_>> {
        let path = normalize(path);
        self.user
            .matches(path)
            .into_iter()
            .map(|g| self.user_globs[g])
            .filter(|&(i, _)| self.specs[i].override_paths == overriding)
            .min()
            .map(|(i, j)| Matched::User(i + 1, &self.specs[i], self.specs[i].paths[j].as_str()))
    }

    /// Every default rule matching `path`, in order (a workspace-manifest default may not
    /// apply, so the caller goes on to the next).
    pub fn default_rules(&self, path: &str) -> Vec<Matched<'static>> {
        let path = normalize(path);
        let mut hits: Vec<(usize, usize)> = self
            .defaults
            .matches(path)
            .into_iter()
            .map(|g| self.default_globs[g])
            .collect();
        hits.sort();
        hits.dedup_by_key(|h| h.0);
        hits.into_iter()
            .map(|(i, j)| Matched::Default(&DEFAULT_RULES[i], DEFAULT_RULES[i].paths[j]))
            .collect()
    }
}

fn normalize(p: &str) -> &str {
    let p = p.strip_prefix("./").unwrap_or(p);
    p.strip_prefix('/').unwrap_or(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(paths: &[&str], action: Action, nodes: &[&str], over: bool) -> RuleSpec {
        RuleSpec {
            paths: paths.iter().map(|s| s.to_string()).collect(),
            action,
            nodes: nodes.iter().map(|s| s.to_string()).collect(),
            override_paths: over,
        }
    }

    #[test]
    fn first_matching_user_rule_wins_and_override_is_separate() {
        let rules = Rules::new(vec![
            spec(&["ci/**"], Action::All, &[], false),
            spec(&["ci/deploy/**"], Action::Nodes, &["a"], false),
            spec(&["**/*.md"], Action::Ignore, &[], true),
            spec(&["proto"], Action::Nodes, &["b"], false),
        ])
        .unwrap();
        match rules.user_rule("ci/deploy/x.yml", false) {
            Some(Matched::User(1, r, "ci/**")) => assert_eq!(r.action, Action::All),
            other => panic!("{other:?}"),
        }
        assert!(rules.user_rule("ci/deploy/x.yml", true).is_none());
        assert!(matches!(
            rules.user_rule("services/a/README.md", true),
            Some(Matched::User(3, _, "**/*.md"))
        ));
        assert!(matches!(
            rules.user_rule("proto/a/b.proto", false),
            Some(Matched::User(4, _, "proto"))
        ));
        assert!(rules.user_rule("src/x.rs", false).is_none());
    }

    #[test]
    fn defaults_classify_cargo_and_docs_files() {
        let r = Rules::default();
        let first = |p: &str| match r.default_rules(p).first() {
            Some(Matched::Default(d, _)) => Some(d.action),
            _ => None,
        };
        assert_eq!(first("Cargo.lock"), Some(DefaultAction::CargoLock));
        assert_eq!(first("tools/Cargo.lock"), Some(DefaultAction::CargoLock));
        assert_eq!(first("Cargo.toml"), Some(DefaultAction::CargoManifest));
        assert_eq!(first("rust-toolchain.toml"), Some(DefaultAction::CargoAll));
        assert_eq!(first(".cargo/config.toml"), Some(DefaultAction::CargoAll));
        assert_eq!(first("sub/.cargo/config"), Some(DefaultAction::CargoAll));
        assert_eq!(first("README.md"), Some(DefaultAction::Ignore));
        assert_eq!(first("docs/adr/0007.md"), Some(DefaultAction::Ignore));
        assert_eq!(first("docs/diagram.png"), Some(DefaultAction::Ignore));
        assert_eq!(first("LICENSE-MIT"), Some(DefaultAction::Ignore));
        assert_eq!(first("a/b/LICENSE"), Some(DefaultAction::Ignore));
        assert_eq!(first("LICENSE_MIT"), Some(DefaultAction::Ignore));
        assert_eq!(first("LICENCE-MIT"), Some(DefaultAction::Ignore));
        assert_eq!(first("README-dev.txt"), Some(DefaultAction::Ignore));
        assert_eq!(first("src/main.rs"), None);
        assert_eq!(first("Makefile"), None);
        assert_eq!(first("x/docs/a.rs"), None, "only the root docs folder");
    }

    #[test]
    fn cargo_workspace_files() {
        for p in [
            "Cargo.lock",
            "a/Cargo.lock",
            "rust-toolchain",
            "x/rust-toolchain.toml",
            ".cargo/config.toml",
            "a/.cargo/config",
        ] {
            assert!(is_cargo_workspace_file(p), "{p}");
        }
        for p in ["Cargo.toml", "config.toml", "cargo/config", "src/lib.rs"] {
            assert!(!is_cargo_workspace_file(p), "{p}");
        }
    }

    #[test]
    fn validation_names_the_problem() {
        assert!(
            spec(&["a/**"], Action::Nodes, &[], false)
                .validate()
                .unwrap_err()
                .1
                .contains("needs `nodes")
        );
        assert!(
            spec(&["a/**"], Action::All, &["x"], false)
                .validate()
                .unwrap_err()
                .1
                .contains("only goes with")
        );
        assert_eq!(
            spec(&["a/[z"], Action::Ignore, &[], false)
                .validate()
                .unwrap_err()
                .0,
            "a/[z"
        );
        assert!(spec(&[], Action::Ignore, &[], false).validate().is_err());
        assert!(
            spec(&["a/**"], Action::Nodes, &["x"], false)
                .validate()
                .is_ok()
        );
    }
}
