//! Finding codes: the one place that names every problem `blast` can report.
//!
//! Graph loading, `blast check` and the CI outputs of `blast ci` (GitHub annotations, SARIF
//! rules, GitLab Code Quality check names) all speak in [`Finding`]s whose [`Code`] comes
//! from here, so a code means the same thing in text, JSON and any other report. Codes are
//! kebab-case and stable: tools key on them. A code's documentation is its long description
//! ([`Code::description`], SARIF's `fullDescription`).

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// How serious a finding is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The graph is wrong; commands refuse to use it (exit 2).
    Error,
    /// Probably a mistake or a risk; reported, exit 0.
    Warning,
    /// Worth knowing; reported, exit 0.
    Note,
}

impl Severity {
    /// The keyword used in text and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $id:literal, $sev:ident, $title:literal, $help:literal; )+) => {
        /// A stable finding code.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The kebab-case id (`dangling-edge`).
            pub const fn id(self) -> &'static str {
                match self { $(Code::$variant => $id,)+ }
            }

            /// The default severity.
            pub const fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)+ }
            }

            /// A one-line description.
            pub const fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)+ }
            }

            /// What to do about it.
            pub const fn help(self) -> &'static str {
                match self { $(Code::$variant => $help,)+ }
            }

            /// The long description: the code's documentation, on one line.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),*).trim(),)+ }
            }
        }
    };
}

codes! {
    /// An edge, `depends_on` entry or `part_of` names a node that no file declares.
    DanglingEdge = "dangling-edge", Error,
        "a dependency names a node that is not declared",
        "declare the node, or fix the id in the dependency";
    /// A node id is empty or only whitespace.
    BlankId = "blank-id", Error,
        "a node id is empty or only whitespace",
        "give the node a name, or fix the reference that names it";
    /// The same id is declared twice in one file.
    DuplicateNode = "duplicate-node", Error,
        "a node id is declared more than once in one file",
        "merge the two declarations into one";
    /// A `paths` entry is not a valid glob.
    InvalidGlob = "invalid-glob", Error,
        "a `paths` entry is not a valid glob",
        "fix the glob: `*` matches within one directory, `**` across directories";
    /// Two files give one node different values for the same key.
    ConflictingAttribute = "conflicting-attribute", Error,
        "two files give one node different values for the same key",
        "keep the value in one file only, or make both agree";
    /// A graph file's `aliases` clash: an alias of two nodes, of itself, or of a node some
    /// file declares under that name.
    InvalidAlias = "invalid-alias", Error,
        "an alias clashes with another alias or a declared node",
        "give each alias to one node, and declare nodes only under their canonical id";
    /// A node depends on itself.
    SelfLoop = "self-loop", Warning,
        "a node depends on itself",
        "remove the edge from the node to itself";
    /// A strongly connected group of more than one node: a change to any of them reaches all.
    Cycle = "cycle", Warning,
        "nodes depend on each other in a cycle (shared fate)",
        "break the cycle (async and optional edges still propagate failures; dev, startup and telemetry edges do not)";
    /// Two discovered sources give one node different values for the same key.
    ConflictingSources = "conflicting-sources", Warning,
        "two discovered sources give one node different values",
        "set the key in a graph file: graph files win over discovered sources";
    /// A `remove_edges` entry of a graph file matches no discovered edge.
    UnmatchedRemoval = "unmatched-removal", Warning,
        "a `remove_edges` entry matches no discovered edge",
        "fix or delete the entry; it may be stale";
    /// With discovered sources loaded, a node only graph files declare has no edges at all:
    /// probably a misspelt or differently named service.
    UnmatchedOverlay = "unmatched-overlay", Warning,
        "a node only graph files declare matches nothing the sources found",
        "fix the id, or give the source's name in `aliases`";
    /// A source refers to something it does not define (a Compose `depends_on` on a
    /// missing service, a Backstage reference to a missing entity, a missing ConfigMap).
    UnresolvedReference = "unresolved-reference", Warning,
        "a source refers to something that is not defined",
        "define the missing entity or service, or fix the reference";
    /// A source could be read only in part (Cargo without dependency metadata, a
    /// Backstage location that is a URL).
    DegradedSource = "degraded-source", Warning,
        "a source could be read only in part",
        "see the message for what is missing and how to get it";
    /// The same Kubernetes object or Backstage entity (kind, namespace, name), or a Compose
    /// service in an included file, is defined twice.
    DuplicateObject = "duplicate-object", Warning,
        "the same object is defined twice",
        "define it once (the message says which definition is used)";
    /// A source produced no nodes at all.
    EmptySource = "empty-source", Warning,
        "a source produced no nodes",
        "check the path and the source kind";
    /// A Kubernetes NetworkPolicy selects no workload (its labels match nothing).
    NetworkPolicySelectsNothing = "network-policy-selects-nothing", Warning,
        "a network policy selects no workload",
        "fix the policy's podSelector labels, or delete the policy";
    /// A dependency goes to a workload whose network policies do not let the caller in.
    NetworkPolicyBlocks = "network-policy-blocks", Warning,
        "a dependency is not allowed by the target's network policies",
        "allow the traffic in the target's NetworkPolicy, or remove the stale dependency";
    /// Traces show a call that no declared source has.
    UndeclaredDependency = "undeclared-dependency", Warning,
        "traces show a dependency that no declared source has",
        "declare the dependency (or find why the configuration hides it)";
    /// A declared runtime dependency of a traced caller never shows up in the traces.
    UnobservedDependency = "unobserved-dependency", Warning,
        "a declared dependency never shows up in the traces",
        "remove the stale dependency, or check that the path is exercised and traced";
    /// A customer-facing node has no tier, so its risk is rated as tier 1.
    CustomerFacingWithoutTier = "customer-facing-without-tier", Warning,
        "a customer-facing node has no tier",
        "give the node a `tier` (0 is the most critical)";
    /// Nobody owns the node.
    NoOwner = "no-owner", Warning,
        "a node has no owners",
        "add `owners` (teams or people) to the node";
    /// Two nodes claim the same files with equally specific globs.
    OverlappingPaths = "overlapping-paths", Warning,
        "two nodes claim the same files with equally specific globs",
        "make one glob more specific, or give the files to one node";
    /// A tier-0 node that nothing depends on and that depends on nothing.
    UnreachableTier0 = "unreachable-tier0", Warning,
        "a tier-0 node has no edges at all",
        "connect the node to what it calls and what calls it, or lower its tier";
    /// A critical node depends at full strength on something far less critical.
    TierInversion = "tier-inversion", Warning,
        "a critical node depends at full strength on a less critical one",
        "raise the dependency's tier, or make the edge async or optional";
    /// The same edge is declared twice in one file.
    DuplicateEdge = "duplicate-edge", Note,
        "the same edge is declared more than once in one file",
        "remove the repeated edge";
    /// A network policy allows traffic that no source declares as a dependency.
    NetworkPolicyUnused = "network-policy-unused", Note,
        "a network policy allows traffic that no dependency uses",
        "declare the dependency if it exists, or tighten the policy";
    /// A node owns no files, so no file change maps to it.
    NoPaths = "no-paths", Note,
        "a service or module owns no files",
        "add `paths` globs so changed files map to the node";

    // The findings of `blast ci` (see `Code::CI`).

    /// A changed file reaches tiered or customer-facing nodes. The finding names the most
    /// critical of them, the path from the changed node to each, and the risk; its level
    /// follows the risk (critical and high are errors, medium a warning, low a note).
    ChangeRisk = "change-risk", Warning,
        "a changed file reaches tiered or customer-facing nodes",
        "review what the change can break along the paths shown, and get the sign-off its risk tier needs";
    /// A changed graph file adds a dependency path into a tier-0 node that did not exist
    /// before, which raises the risk of the change to at least high.
    NewTier0Path = "new-tier0-path", Warning,
        "the change adds a dependency path into a tier-0 node",
        "have the tier-0 node's owners agree to the new dependency, or make it async or optional";
    /// Commits in the range carry an AI-assistance trailer or an assistant's identity, or
    /// the change has an AI-assisted label; `[policy.ai_assisted]` may raise its risk and
    /// require more sign-off.
    AiAssisted = "ai-assisted", Note,
        "the change is AI-assisted",
        "review the AI-assisted commits with the sign-off `[policy.ai_assisted]` asks for";
    /// The policy gate for the change's risk requires approvals the change does not have
    /// yet; the message names who must approve and who has.
    SignOffRequired = "sign-off-required", Error,
        "the change needs sign-off it does not have",
        "get the approvals the message names (blast reads them from --approved-by or --approvals)";
    /// The policy gate blocks changes of this risk (`block = true`) unless an override
    /// label accepts the risk.
    GateBlocked = "gate-blocked", Error,
        "the policy gate blocks changes of this risk",
        "split or de-risk the change, or accept the risk with an override label (`[policy.gate] override_labels`, passed with --label)";
    /// A changed file maps to no node, so the change may reach more than blast can see.
    UnmappedChange = "unmapped-change", Note,
        "a changed file maps to no node",
        "give the file to a node (its `paths`) or to a `[[rule]]` in blast.toml";
}

impl Code {
    /// The codes `blast ci` reports (SARIF rules, GitHub annotations, GitLab check names),
    /// in this order.
    pub const CI: &'static [Code] = &[
        Code::ChangeRisk,
        Code::NewTier0Path,
        Code::AiAssisted,
        Code::SignOffRequired,
        Code::GateBlocked,
        Code::UnmappedChange,
    ];

    /// The code's name in PascalCase (`change-risk` → `ChangeRisk`), for SARIF rule names.
    pub fn pascal_name(self) -> String {
        self.id()
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// Where a finding points: a file, and a line and column when known (1-based).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(file: impl Into<PathBuf>) -> Location {
        Location {
            file: file.into(),
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shown as an escape-safe name (see `report::inert`): a file name can hold a line feed.
        write!(
            f,
            "{}",
            crate::report::inert(&self.file.display().to_string())
        )?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        Ok(())
    }
}

/// One problem found in the graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// Its severity (the code's default unless policy changed it).
    pub severity: Severity,
    /// What is wrong, naming the offending ids and keys.
    pub message: String,
    /// The node ids involved, most relevant first.
    pub nodes: Vec<String>,
    /// Where, when the finding comes from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// A second place involved (the other file of a conflict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Location>,
    /// What would fix it.
    pub help: String,
    /// For a finding about one edge of several between its two nodes: that edge's kind
    /// keyword and `optional` flag, so its location is the declaration that says so.
    #[serde(skip)]
    pub edge: Option<(&'static str, bool)>,
    /// Whether the finding's node was declared by a discovered source (Compose,
    /// Kubernetes, …), whose file declares it in its own way (a service key, a
    /// `metadata.name`), not with an `id` key.
    #[serde(skip)]
    pub discovered: bool,
}

impl Finding {
    /// A finding with the code's default severity and help.
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            nodes: Vec::new(),
            location: None,
            related: None,
            help: code.help().to_string(),
            edge: None,
            discovered: false,
        }
    }

    /// Sets the kind keyword and `optional` flag of the edge it is about.
    pub fn about_edge(mut self, kind: &'static str, optional: bool) -> Finding {
        self.edge = Some((kind, optional));
        self
    }

    /// Sets the node ids involved.
    pub fn with_nodes<I, S>(mut self, nodes: I) -> Finding
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.nodes = nodes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the location.
    pub fn at(mut self, location: Location) -> Finding {
        self.location = Some(location);
        self
    }

    /// Replaces the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = help.into();
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        // Messages name ids and files, which may hold line feeds: each line stays one line.
        let inert = crate::report::inert;
        write!(
            f,
            "{}[{}]: {}",
            self.severity,
            self.code,
            inert(&self.message)
        )?;
        if let Some(rel) = &self.related {
            write!(f, "\n  note: see also {rel}")?;
        }
        write!(f, "\n  help: {}", inert(&self.help))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_code_has_a_description_and_ci_codes_are_codes() {
        for c in Code::ALL {
            assert!(c.description().len() > 20, "{c}");
            assert!(!c.description().starts_with(' '), "{c}");
        }
        assert!(Code::CI.iter().all(|c| Code::ALL.contains(c)));
        assert_eq!(Code::ChangeRisk.pascal_name(), "ChangeRisk");
        assert_eq!(Code::NewTier0Path.pascal_name(), "NewTier0Path");
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let ids: BTreeSet<&str> = Code::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(ids.len(), Code::ALL.len());
        for id in ids {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
        }
    }
}
