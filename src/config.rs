//! `blast.toml`: which graph files to load and the policy that turns reach into risk.
//!
//! The file is found like `rustfmt.toml`: in the working directory or the nearest parent
//! that has one, unless `--config FILE` names it. Paths in it are relative to the file.
//!
//! ```toml
//! graphs = ["graphs/shop.toml"]
//! unmapped = "warn"        # changed files nothing maps: warn | all | error
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

/// The file name searched for.
pub const FILE_NAME: &str = "blast.toml";

/// The keys allowed at the top of `blast.toml`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    graphs: Vec<PathBuf>,
    #[serde(default)]
    policy: Policy,
    #[serde(default)]
    unmapped: Unmapped,
    #[serde(default)]
    rule: Vec<RuleSpec>,
    #[serde(default)]
    teams: Teams,
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
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| crate::sources::locate::line_col(text.as_bytes(), s.start))
                .unzip();
            let message = e
                .message()
                .trim_end()
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
        if let Err((key, why)) = file.policy.validate() {
            let pos = locate_key(&text, &key);
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
                crate::sources::locate::locate(
                    text.as_bytes(),
                    &crate::sources::locate::Needle::text(&format!("\"{team}\"")),
                )
            } else {
                locate_section_key(&text, &key)
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
        Ok(Config {
            path: Some(path.to_path_buf()),
            graphs: file.graphs.iter().map(|g| root.join(g)).collect(),
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
