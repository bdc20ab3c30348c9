//! AI-assisted changes: which commits of a git range were written with a coding assistant
//! or by a bot, and which pull-request labels say the change is AI-assisted.
//!
//! The commits are those of the range a change was read from: for `--base REF [--head
//! REF2]`, every commit reachable from the head (REF2, or `HEAD`) and not from REF, as a
//! pull request lists them. Their trailers are parsed by git itself
//! (`git log --format=%(trailers:only,unfold)`, the parser `git interpret-trailers` uses: only
//! the message's final trailer block counts, continuation lines are unfolded), so a
//! `Co-authored-by:` quoted in the middle of a message is not a trailer.
//!
//! A commit is AI-assisted when ([`DetectSpec`], `[policy.ai_assisted.detect]` in
//! `blast.toml`):
//!
//! * it has one of the marker trailers (`Assisted-by:`, `Generated-by:` by default), with any
//!   value;
//! * a `Co-authored-by:` trailer names an assistant identity;
//! * its author is an assistant identity (`authors = true`, the default: the GitHub Copilot
//!   coding agent and Devin commit as themselves).
//!
//! Identities are patterns matched against `Name <email>`, ignoring case, where `*` matches
//! any run of characters and every other character is literal (so `*[bot]*` means the text
//! `[bot]`). [`DEFAULT_IDENTITIES`] covers the common coding assistants and every GitHub App
//! bot account (`*[bot]*`: an automated change gets the same scrutiny as an assisted one);
//! `default_identities = false` drops them, `identities = [...]` adds more.
//!
//! Every detection keeps the line that matched (`Co-authored-by: Claude
//! <noreply@anthropic.com>`) and why, so a report can show it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::git::Git;
use crate::error::{Error, Result};

/// The identity patterns used unless `default_identities = false`, each with what it is for.
pub const DEFAULT_IDENTITIES: &[(&str, &str)] = &[
    ("*copilot*", "GitHub Copilot"),
    ("*@anthropic.com>*", "Claude (Anthropic)"),
    ("claude <*", "Claude (Anthropic)"),
    ("*@cursor.com>*", "Cursor"),
    ("cursor agent*", "Cursor"),
    ("*@openai.com>*", "OpenAI Codex"),
    ("codex <*", "OpenAI Codex"),
    ("*chatgpt*", "OpenAI Codex"),
    ("devin ai*", "Devin"),
    ("*devin-ai-integration*", "Devin"),
    ("*@cognition.ai>*", "Devin"),
    ("*@aider.chat>*", "Aider"),
    ("*(aider)*", "Aider"),
    ("gemini <*", "Gemini"),
    ("*gemini-code-assist*", "Gemini"),
    ("amazon q*", "Amazon Q"),
    ("*amazon-q-developer*", "Amazon Q"),
    ("*@windsurf.com>*", "Windsurf"),
    ("*@codeium.com>*", "Windsurf"),
    ("openhands*", "OpenHands"),
    ("*@all-hands.dev>*", "OpenHands"),
    ("*google-labs-jules*", "Jules"),
    ("*tabnine*", "Tabnine"),
    ("*[bot]*", "a bot account"),
];

/// `[policy.ai_assisted.detect]`: what marks a change as AI-assisted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectSpec {
    /// Pull-request labels (from `--label`) that mark the whole change, ignoring case.
    pub labels: Vec<String>,
    /// Trailers that mark a commit whatever their value, ignoring case.
    pub trailers: Vec<String>,
    /// More assistant identity patterns for `Co-authored-by:` and authors.
    pub identities: Vec<String>,
    /// Whether [`DEFAULT_IDENTITIES`] apply too.
    pub default_identities: bool,
    /// Whether a commit whose author is an assistant identity counts.
    pub authors: bool,
}

impl Default for DetectSpec {
    fn default() -> Self {
        DetectSpec {
            labels: vec!["ai-assisted".to_string()],
            trailers: vec!["Assisted-by".to_string(), "Generated-by".to_string()],
            identities: Vec::new(),
            default_identities: true,
            authors: true,
        }
    }
}

impl DetectSpec {
    /// Checks the values. Returns the offending key and why.
    pub fn validate(&self) -> std::result::Result<(), (String, String)> {
        for t in &self.trailers {
            if t.is_empty() || t.contains([' ', ':', '\t', '\n', '\r']) {
                return Err((
                    "policy.ai_assisted.detect.trailers".into(),
                    format!(
                        "'{t}' is not a trailer name: trailer names have no spaces or colons, like \"Assisted-by\""
                    ),
                ));
            }
        }
        for i in &self.identities {
            if i.trim().is_empty() || i.chars().all(|c| c == '*') {
                return Err((
                    "policy.ai_assisted.detect.identities".into(),
                    format!(
                        "'{i}' would match everyone: name an identity, like \"*@assistant.example>*\""
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Whether `text` matches `pattern`, ignoring case: `*` matches any run of characters, every
/// other character only itself.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    // Greedy matching with backtracking to the last star: linear in practice, never
    // exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// One commit of the range, as far as detection needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    /// The full commit id.
    pub id: String,
    /// `Name <email>` of the author.
    pub author: String,
    /// The first line of the message.
    pub subject: String,
    /// The trailers, `(key, value)` as written, continuation lines unfolded.
    pub trailers: Vec<(String, String)>,
}

/// A line that marked something as AI-assisted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Match {
    /// The line as written: `Co-authored-by: Claude <noreply@anthropic.com>`,
    /// `Author: Copilot <…>`, `label: ai-assisted`.
    pub line: String,
    /// Why it counts: `assistant identity '*@anthropic.com>*' (Claude (Anthropic))`,
    /// `trailer Assisted-by`, `label`.
    pub why: String,
}

/// A commit found to be AI-assisted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectedCommit {
    /// The commit.
    pub commit: Commit,
    /// Every line that matched, in message order.
    pub matches: Vec<Match>,
}

/// What made a change AI-assisted: its commits and its labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AiAssisted {
    /// The AI-assisted commits, in `git log` order (newest first).
    pub commits: Vec<DetectedCommit>,
    /// The labels that mark the change (as given).
    pub labels: Vec<Match>,
    /// How many commits were read (0 when the change did not come from a git range).
    pub scanned: usize,
}

impl AiAssisted {
    /// Whether anything marked the change as AI-assisted.
    pub fn detected(&self) -> bool {
        !self.commits.is_empty() || !self.labels.is_empty()
    }
}

/// Compiled detection rules.
#[derive(Clone, Debug)]
pub struct Detector {
    labels: Vec<String>,
    trailers: Vec<String>,
    identities: Vec<(String, String)>,
    authors: bool,
}

impl Detector {
    /// The detector for `spec`.
    pub fn new(spec: &DetectSpec) -> Detector {
        let mut identities: Vec<(String, String)> = Vec::new();
        if spec.default_identities {
            identities.extend(
                DEFAULT_IDENTITIES
                    .iter()
                    .map(|(p, w)| (p.to_string(), w.to_string())),
            );
        }
        identities.extend(
            spec.identities
                .iter()
                .map(|p| (p.clone(), "configured".to_string())),
        );
        Detector {
            labels: spec.labels.iter().map(|l| l.to_lowercase()).collect(),
            trailers: spec.trailers.iter().map(|t| t.to_lowercase()).collect(),
            identities,
            authors: spec.authors,
        }
    }

    fn identity(&self, who: &str) -> Option<String> {
        self.identities
            .iter()
            .find(|(p, _)| wildcard_match(p, who))
            .map(|(p, what)| {
                if what == "configured" {
                    format!("assistant identity '{p}'")
                } else {
                    format!("assistant identity '{p}' ({what})")
                }
            })
    }

    /// The lines of `commit` that mark it as AI-assisted (empty when none do).
    pub fn commit(&self, commit: &Commit) -> Vec<Match> {
        let mut out = Vec::new();
        if self.authors
            && let Some(why) = self.identity(&commit.author)
        {
            out.push(Match {
                line: format!("Author: {}", commit.author),
                why,
            });
        }
        for (key, value) in &commit.trailers {
            let k = key.to_lowercase();
            let line = format!("{key}: {value}");
            if self.trailers.contains(&k) {
                out.push(Match {
                    line,
                    why: format!("trailer {key}"),
                });
            } else if k == "co-authored-by"
                && let Some(why) = self.identity(value)
            {
                out.push(Match { line, why });
            }
        }
        out
    }

    /// The labels among `given` that mark the change, each once, in the order given.
    pub fn labels(&self, given: &[String]) -> Vec<Match> {
        let mut seen = BTreeSet::new();
        given
            .iter()
            .filter(|l| self.labels.contains(&l.to_lowercase()))
            .filter(|l| seen.insert(l.to_lowercase()))
            .map(|l| Match {
                line: format!("label: {l}"),
                why: "label".to_string(),
            })
            .collect()
    }

    /// Detects over `commits` and `labels`.
    pub fn detect(&self, commits: Vec<Commit>, labels: &[String]) -> AiAssisted {
        let scanned = commits.len();
        let commits = commits
            .into_iter()
            .filter_map(|c| {
                let matches = self.commit(&c);
                (!matches.is_empty()).then_some(DetectedCommit { commit: c, matches })
            })
            .collect();
        AiAssisted {
            commits,
            labels: self.labels(labels),
            scanned,
        }
    }
}

/// The commits reachable from `head` and not from `base` (both commit ids), newest first.
///
/// # Errors
/// Git failing, or output that does not have the requested shape.
pub fn read_commits(git: &Git, base: &str, head: &str) -> Result<Vec<Commit>> {
    let range = format!("{base}..{head}");
    let out = git.run(
        "log",
        &[
            "-c",
            "log.showSignature=false",
            "log",
            "-z",
            "--no-color",
            "--no-show-signature",
            "--format=%H%x00%an <%ae>%x00%s%x00%(trailers:only,unfold)",
            &range,
            "--",
        ],
    )?;
    parse_log(&out)
}

/// Parses the output of [`read_commits`]' `git log`: four NUL-separated fields per commit
/// (id, author, subject, trailers), and the NUL `-z` puts after each commit.
///
/// # Errors
/// [`Error::Git`] when the fields do not come in fours.
pub fn parse_log(out: &[u8]) -> Result<Vec<Commit>> {
    let out = out.strip_suffix(b"\0").unwrap_or(out);
    if out.is_empty() {
        return Ok(Vec::new());
    }
    let text = String::from_utf8_lossy(out);
    let fields: Vec<&str> = text.split('\0').collect();
    if !fields.len().is_multiple_of(4) {
        return Err(Error::Git {
            message: format!(
                "unexpected `git log` output: {} fields, not a multiple of 4",
                fields.len()
            ),
            help: Some("report this with your git version (`git --version`)".to_string()),
        });
    }
    Ok(fields
        .chunks(4)
        .map(|f| Commit {
            id: f[0].to_string(),
            author: f[1].to_string(),
            subject: f[2].to_string(),
            trailers: parse_trailers(f[3]),
        })
        .collect())
}

/// `Key: value` lines (already unfolded by git) into pairs; lines without a `:` are skipped.
fn parse_trailers(block: &str) -> Vec<(String, String)> {
    block
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let k = k.trim();
            (!k.is_empty() && !k.contains(char::is_whitespace))
                .then(|| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_literal_except_star() {
        assert!(wildcard_match(
            "*[bot]*",
            "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"
        ));
        assert!(!wildcard_match("*[bot]*", "bob <b@example.com>"));
        assert!(wildcard_match(
            "*@anthropic.com>*",
            "Claude <noreply@ANTHROPIC.com>"
        ));
        assert!(wildcard_match("claude <*", "Claude <x@y>"));
        assert!(!wildcard_match(
            "claude <*",
            "Claude Monet <claude@example.com>"
        ));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(wildcard_match("**", ""));
        // No exponential blow-up on many stars.
        let text = "a".repeat(5000);
        assert!(!wildcard_match(&format!("{}b", "*a".repeat(50)), &text));
    }

    fn commit(author: &str, trailers: &[(&str, &str)]) -> Commit {
        Commit {
            id: "c0ffee".into(),
            author: author.into(),
            subject: "s".into(),
            trailers: trailers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn detects_trailers_identities_and_authors() {
        let d = Detector::new(&DetectSpec::default());
        let m = d.commit(&commit(
            "Ann <ann@example.com>",
            &[
                ("Signed-off-by", "Ann <ann@example.com>"),
                ("Co-authored-by", "Claude <noreply@anthropic.com>"),
                ("co-authored-by", "Bob <bob@example.com>"),
                ("ASSISTED-BY", "some tool"),
            ],
        ));
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[0].line, "Co-authored-by: Claude <noreply@anthropic.com>");
        assert_eq!(
            m[0].why,
            "assistant identity '*@anthropic.com>*' (Claude (Anthropic))"
        );
        assert_eq!(m[1].line, "ASSISTED-BY: some tool");
        assert_eq!(m[1].why, "trailer ASSISTED-BY");
        let m = d.commit(&commit(
            "Copilot <198982749+Copilot@users.noreply.github.com>",
            &[],
        ));
        assert_eq!(
            m[0].line,
            "Author: Copilot <198982749+Copilot@users.noreply.github.com>"
        );
        assert!(
            d.commit(&commit("Devin Smith <devin@example.com>", &[]))
                .is_empty()
        );
        let spec = DetectSpec {
            default_identities: false,
            authors: false,
            identities: vec!["*@bots.example>*".into()],
            ..DetectSpec::default()
        };
        let d = Detector::new(&spec);
        assert!(d.commit(&commit("Copilot <x@y>", &[])).is_empty());
        let m = d.commit(&commit(
            "a <a@b>",
            &[("Co-authored-by", "R2 <r2@bots.example>")],
        ));
        assert_eq!(m[0].why, "assistant identity '*@bots.example>*'");
    }

    #[test]
    fn labels_match_ignoring_case_once() {
        let d = Detector::new(&DetectSpec::default());
        let m = d.labels(&["bug".into(), "AI-Assisted".into(), "ai-assisted".into()]);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].line, "label: AI-Assisted");
    }

    #[test]
    fn log_records_parse() {
        let out = b"aaa\0A <a@x>\0first\0Co-authored-by: Claude <c@anthropic.com>\nSigned-off-by: A <a@x>\n\0bbb\0B <b@x>\0second\0\0ccc\0C <c@x>\0third: with colon\0\0";
        let c = parse_log(out).unwrap();
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(c[0].id, "aaa");
        assert_eq!(c[0].trailers.len(), 2);
        assert_eq!(c[1].id, "bbb");
        assert!(c[1].trailers.is_empty());
        assert_eq!(c[2].subject, "third: with colon");
        assert!(parse_log(b"").unwrap().is_empty());
        assert!(parse_log(b"aaa\0A\0s\0").is_err());
    }
}
