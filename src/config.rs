//! `blast.toml`: which graph files to load and the policy that turns reach into risk.
//!
//! The file is found like `rustfmt.toml`: in the working directory or the nearest parent
//! that has one, unless `--config FILE` names it. Paths in it are relative to the file.
//!
//! ```toml
//! graphs = ["graphs/shop.toml"]
//! unmapped = "warn"        # changed files nothing maps: warn | all | error
//!
//! [[source]]               # a discovered source: cargo, compose, k8s, backstage, jaeger, graph
//! kind = "compose"
//! path = ["deploy/compose.yaml", "deploy/compose.prod.yaml"]   # one project, override order
//! profiles = ["full"]
//!
//! [classify]               # image-name globs added before the built-in rules
//! datastore = ["*-store"]
//!
//! [policy.strength]        # how strongly a failure propagates along each edge kind
//! async = 0.5
//! optional_factor = 0.5
//!
//! [policy.risk]            # the risk table: [at full strength, at >= 0.5, weaker]
//! tier0 = ["critical", "high", "medium"]
//!
//! [policy.gate.critical]  # what CI requires per risk tier (see `analysis::gate`)
//! require_approvals = 2
//! reviewers = ["@shop/senior-eng"]
//!
//! [teams]                  # team members, for the gate's reviewers
//! "@shop/senior-eng" = ["alice", "bob"]
//!
//! [[rule]]                 # ownership rules (see `changes::rules`)
//! paths = ["ci/**"]
//! action = "all"           # ignore | all | nodes (with `nodes = [...]`)
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::gate::Teams;
use crate::analysis::policy::Policy;
use crate::changes::rules::{RuleSpec, Unmapped};
use crate::codes::Location;
use crate::error::{Error, Result};
use crate::sources::classify::{Classifier, ClassifyConfig};
use crate::sources::{SourceKind, SourceOptions, SourceSpec};

/// The file name searched for.
pub const FILE_NAME: &str = "blast.toml";

/// The keys allowed at the top of `blast.toml`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    graphs: Vec<PathBuf>,
    #[serde(default, rename = "source")]
    sources: Vec<SourceTable>,
    #[serde(default)]
    classify: ClassifyConfig,
    #[serde(default)]
    policy: Policy,
    #[serde(default)]
    unmapped: Unmapped,
    #[serde(default)]
    rule: Vec<RuleSpec>,
    #[serde(default)]
    teams: Teams,
}

/// A path or a list of paths.
#[derive(Deserialize)]
#[serde(untagged)]
enum Paths {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

/// A `[[source]]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceTable {
    kind: String,
    path: Paths,
    #[serde(default)]
    profiles: Option<Vec<String>>,
    #[serde(default)]
    env_files: Option<Vec<PathBuf>>,
    #[serde(default)]
    include_external: Option<bool>,
    #[serde(default)]
    min_calls: Option<u64>,
}

impl SourceTable {
    /// The source, with paths resolved against `root`, or `(key, message)`.
    fn resolve(self, n: usize, root: &Path) -> std::result::Result<SourceSpec, (String, String)> {
        let key = |k: &str| format!("source[{n}].{k}");
        let kind: SourceKind = self.kind.parse().map_err(|e| (key("kind"), e))?;
        let only = |k: &str, set: bool, kinds: &[SourceKind]| {
            if set && !kinds.contains(&kind) {
                Err((
                    key(k),
                    format!(
                        "'{k}' applies to {} sources, not to '{kind}'",
                        kinds
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                ))
            } else {
                Ok(())
            }
        };
        only("profiles", self.profiles.is_some(), &[SourceKind::Compose])?;
        only(
            "env_files",
            self.env_files.is_some(),
            &[SourceKind::Compose],
        )?;
        only(
            "include_external",
            self.include_external.is_some(),
            &[SourceKind::Cargo],
        )?;
        only("min_calls", self.min_calls.is_some(), &[SourceKind::Jaeger])?;
        let paths = match self.path {
            Paths::One(p) => vec![p],
            Paths::Many(v) => v,
        };
        if paths.is_empty() {
            return Err((key("path"), "'path' lists no files".into()));
        }
        Ok(SourceSpec {
            kind,
            paths: paths.iter().map(|p| root.join(p)).collect(),
            options: SourceOptions {
                profiles: self.profiles.unwrap_or_default(),
                env_files: self
                    .env_files
                    .unwrap_or_default()
                    .iter()
                    .map(|p| root.join(p))
                    .collect(),
                include_external: self.include_external.unwrap_or(false),
                min_calls: self.min_calls.unwrap_or(0),
            },
        })
    }
}

/// The loaded configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it came from (`None` when no `blast.toml` was found).
    pub path: Option<PathBuf>,
    /// The directory paths are relative to: the config file's, or the working directory.
    pub root: PathBuf,
    /// Graph files, resolved against `root`.
    pub graphs: Vec<PathBuf>,
    /// `[[source]]` tables, paths resolved against `root`, in file order.
    pub sources: Vec<SourceSpec>,
    /// Datastore, broker and telemetry rules (`[classify]` and the built-in ones).
    pub classifier: Classifier,
    /// The risk policy.
    pub policy: Policy,
    /// What to do with changed files that map to no node (`unmapped`).
    pub unmapped: Unmapped,
    /// The `[[rule]]` tables, in file order.
    pub rules: Vec<RuleSpec>,
    /// `[teams]`: who is in each team, for the CI gate's reviewers.
    pub teams: Teams,
}

impl Config {
    /// Finds `blast.toml` in `dir` or its nearest parent that has one.
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        dir.ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }

    /// Loads `path`, or returns the defaults (rooted at `cwd`) when `path` is `None`.
    ///
    /// # Errors
    /// The file is unreadable, is not valid TOML, has an unknown key, or a value out of range.
    pub fn load(path: Option<&Path>, cwd: &Path) -> Result<Config> {
        let Some(path) = path else {
            return Ok(Config {
                root: cwd.to_path_buf(),
                ..Config::default()
            });
        };
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Config::parse(&text, path, cwd)
    }

    /// Reads `text`, the contents of the configuration file `path` (which names it in
    /// errors and roots its relative paths).
    ///
    /// # Errors
    /// The text is not valid TOML, has an unknown key, or a value out of range.
    pub fn parse(text: &str, path: &Path, cwd: &Path) -> Result<Config> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| crate::sources::locate::line_col(text.as_bytes(), s.start))
                .unzip();
            let message = crate::sources::manifest::toml_message(text, &e)
                .replace("unknown field", "unknown key");
            Error::Config {
                location: Location {
                    file: path.to_path_buf(),
                    line,
                    column,
                },
                help: message
                    .contains("unknown key")
                    .then(|| "remove or rename the key; the allowed keys are listed above".into()),
                message,
            }
        })?;
        let config_error = |key: &str, why: String| {
            let pos = locate_key(text, key);
            Error::Config {
                location: Location {
                    file: path.to_path_buf(),
                    line: pos.map(|p| p.0),
                    column: pos.map(|p| p.1),
                },
                message: format!("{key}: {why}"),
                help: None,
            }
        };
        let classifier =
            Classifier::new(&file.classify).map_err(|(key, why)| config_error(&key, why))?;
        if let Err((key, why)) = file.policy.validate() {
            let pos = locate_key(text, &key);
            return Err(Error::Config {
                location: Location {
                    file: path.to_path_buf(),
                    line: pos.map(|p| p.0),
                    column: pos.map(|p| p.1),
                },
                message: format!("{key}: {why}"),
                help: None,
            });
        }
        let gate_check = file
            .teams
            .validate()
            .map_err(|(team, why)| (format!("teams.{team}"), why))
            .and_then(|()| {
                crate::analysis::gate::validate(
                    file.policy.gate.as_ref(),
                    &file.policy.ai_assisted,
                    &file.teams,
                )
            });
        if let Err((key, why)) = gate_check {
            let pos = if let Some(team) = key.strip_prefix("teams.") {
                use crate::sources::locate::{Needle, locate};
                // The team's own line under `[teams]`, not a mention in a gate's reviewers.
                let needle = Needle::text(&format!("\"{team}\""));
                text.find("[teams]")
                    .and_then(|at| {
                        let (l, c) = locate(&text.as_bytes()[at..], &needle)?;
                        Some((l + text[..at].matches('\n').count() as u32, c))
                    })
                    .or_else(|| locate(text.as_bytes(), &needle))
            } else {
                locate_section_key(text, &key)
            };
            return Err(Error::Config {
                location: Location {
                    file: path.to_path_buf(),
                    line: pos.map(|p| p.0),
                    column: pos.map(|p| p.1),
                },
                message: format!("{key}: {why}"),
                help: None,
            });
        }
        for (i, rule) in file.rule.iter().enumerate() {
            if let Err((what, why)) = rule.validate() {
                use crate::sources::locate::{Needle, locate};
                // The offending glob when it is one, else the rule's `[[rule]]` header.
                let header = locate(text.as_bytes(), &Needle::text("[[rule]]").nth(i));
                let pos = if what == "nodes" || what == "paths" {
                    header
                } else {
                    locate(text.as_bytes(), &Needle::text(&what)).or(header)
                };
                return Err(Error::Config {
                    location: Location {
                        file: path.to_path_buf(),
                        line: pos.map(|p| p.0),
                        column: pos.map(|p| p.1),
                    },
                    message: format!("[[rule]] #{}: {why}", i + 1),
                    help: Some("a rule is `paths = [\"glob\", ...]` and `action = \"ignore\"`, `\"all\"`, or `\"nodes\"` with `nodes = [\"id\", ...]`".into()),
                });
            }
        }
        let root = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let root = if root.is_absolute() {
            root
        } else {
            cwd.join(root)
        };
        let sources = file
            .sources
            .into_iter()
            .enumerate()
            .map(|(n, t)| t.resolve(n, &root))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|(key, why)| config_error(&key, why))?;
        Ok(Config {
            path: Some(path.to_path_buf()),
            graphs: file.graphs.iter().map(|g| root.join(g)).collect(),
            sources,
            classifier,
            root,
            policy: file.policy,
            unmapped: file.unmapped,
            rules: file.rule,
            teams: file.teams,
        })
    }
}

/// The position of a key inside its table (`policy.gate.critical.reviewers`: the
/// `reviewers` after the `[policy.gate.critical]` header), else of the last segment anywhere.
fn locate_section_key(text: &str, dotted: &str) -> Option<(u32, u32)> {
    use crate::sources::locate::{Needle, line_col, locate};
    let (table, _) = dotted.rsplit_once('.')?;
    let header = format!("[{table}]");
    if let Some(start) = text.find(&header) {
        let after = &text[start..];
        let last = dotted.rsplit('.').next()?;
        if let Some((l, c)) = locate(after.as_bytes(), &Needle::text(last)) {
            let (hl, _) = line_col(text.as_bytes(), start);
            return Some((hl + l - 1, c));
        }
    }
    locate_key(text, dotted)
}

/// The position of the last segment of a dotted key (`policy.strength.async`) in TOML text.
fn locate_key(text: &str, dotted: &str) -> Option<(u32, u32)> {
    // `source[n].key`: search after the n-th `[[source]]` header.
    if let Some(rest) = dotted.strip_prefix("source[")
        && let Some((n, key)) = rest.split_once("].")
        && let Ok(n) = n.parse::<usize>()
    {
        let start = text.match_indices("[[source]]").nth(n)?.0;
        let (l0, _) = crate::sources::locate::line_col(text.as_bytes(), start);
        let (l, c) = locate_key(&text[start..], key)?;
        return Some((l0 + l - 1, c));
    }
    let last = dotted.rsplit('.').next()?;
    let needle = crate::sources::locate::Needle::text(&format!("{last} "));
    crate::sources::locate::locate(text.as_bytes(), &needle).or_else(|| {
        crate::sources::locate::locate(
            text.as_bytes(),
            &crate::sources::locate::Needle::text(&format!("{last}=")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("blast.toml");
        std::fs::write(
            &p,
            "[[source]]\nkind = \"compose\"\npath = [\"a.yaml\", \"b.yaml\"]\nprofiles = [\"full\"]\n\n[[source]]\nkind = \"cargo\"\npath = \".\"\ninclude_external = true\n",
        )
        .unwrap();
        let c = Config::load(Some(&p), dir.path()).unwrap();
        assert_eq!(c.sources.len(), 2);
        assert_eq!(c.sources[0].kind, SourceKind::Compose);
        assert_eq!(
            c.sources[0].paths,
            [dir.path().join("a.yaml"), dir.path().join("b.yaml")]
        );
        assert_eq!(c.sources[0].options.profiles, ["full"]);
        assert!(c.sources[1].options.include_external);

        std::fs::write(
            &p,
            "[[source]]\nkind = \"k8s\"\npath = \"deploy\"\nprofiles = [\"x\"]\n",
        )
        .unwrap();
        let e = Config::load(Some(&p), dir.path()).unwrap_err().to_string();
        assert!(e.contains("blast.toml:4:1"), "{e}");
        assert!(
            e.contains("source[0].profiles: 'profiles' applies to compose sources, not to 'k8s'"),
            "{e}"
        );

        std::fs::write(&p, "[[source]]\nkind = \"swarm\"\npath = \"x\"\n").unwrap();
        let e = Config::load(Some(&p), dir.path()).unwrap_err().to_string();
        assert!(e.contains("unknown source kind 'swarm'"), "{e}");

        std::fs::write(&p, "[classify]\ndatastore = [\"[\"]\n").unwrap();
        let e = Config::load(Some(&p), dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("blast.toml:2:1: classify.datastore: invalid pattern '['"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_allowed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("blast.toml");
        std::fs::write(&p, "graphs = []\n[policy.strength]\nsnyc = 1.0\n").unwrap();
        let e = Config::load(Some(&p), dir.path()).unwrap_err().to_string();
        assert!(e.contains("blast.toml:3:1"), "{e}");
        assert!(e.contains("unknown key `snyc`"), "{e}");
        assert!(e.contains("`sync`"), "{e}");
    }

    #[test]
    fn out_of_range_values_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("blast.toml");
        std::fs::write(&p, "[policy.strength]\nasync = 2.0\n").unwrap();
        let e = Config::load(Some(&p), dir.path()).unwrap_err().to_string();
        assert!(e.contains("blast.toml:2:1"), "{e}");
        assert!(e.contains("policy.strength.async"), "{e}");
    }

    #[test]
    fn graphs_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let p = dir.path().join("sub/blast.toml");
        std::fs::write(&p, "graphs = [\"g.toml\"]\n").unwrap();
        let c = Config::load(Some(&p), dir.path()).unwrap();
        assert_eq!(c.graphs, vec![dir.path().join("sub").join("g.toml")]);
        assert_eq!(
            Config::discover(&dir.path().join("sub")).unwrap(),
            dir.path().join("sub/blast.toml")
        );
    }
}
