//! Approvals: who has signed off on a change. They come in as data, never from the network:
//! `--approved-by alice,bob`, or `--approvals FILE` holding GitHub's pull-request reviews
//! JSON (`gh api repos/OWNER/REPO/pulls/N/reviews`, also with `--paginate`, which writes one
//! array per page back to back).
//!
//! For the reviews JSON, each reviewer's **latest** review decides, in the order GitHub
//! lists them (by `submitted_at`, then `id`, when those are present): `APPROVED` approves; a
//! later `CHANGES_REQUESTED` or `DISMISSED` cancels that approval; `COMMENTED` changes
//! nothing; `PENDING` (a review not yet submitted) does not count. Reviews whose `user` is
//! `null` (a deleted account) are skipped with a warning. A reviewer whose latest review
//! requests changes is not counted even when `--approved-by` names them (with a warning).
//!
//! An approval is of one commit (the review's `commit_id`). When the run knows which commit
//! is under review (the pull request's head), an approval of any other commit is **stale**:
//! it is listed as such and not counted, as GitHub's "dismiss stale pull request approvals
//! when new commits are pushed" would have it ([`Approvals::drop_stale`]). Commit ids are
//! compared whole (ignoring case); a review that names no commit is stale too.
//!
//! People are compared by login, ignoring case and a leading `@`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::codes::Location;
use crate::error::{Error, Result};

/// A person's login as compared: lower-case, without a leading `@`.
pub fn person_key(login: &str) -> String {
    login.trim().trim_start_matches('@').to_lowercase()
}

/// Where an approval came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApprovalSource {
    /// `--approved-by`.
    Flag,
    /// A reviews file, with the file as given.
    Reviews(String),
}

impl ApprovalSource {
    /// `--approved-by`, or the file name.
    pub fn label(&self) -> String {
        match self {
            ApprovalSource::Flag => "--approved-by".to_string(),
            ApprovalSource::Reviews(f) => f.clone(),
        }
    }
}

/// The approvals a change has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Approvals {
    /// Approvers by [`person_key`]: the login as first written, and where it came from.
    pub approved: BTreeMap<String, (String, ApprovalSource)>,
    /// Reviewers whose latest review requests changes (by key: login as written).
    pub changes_requested: BTreeMap<String, String>,
    /// Reviewers whose approval was cancelled by a later review (by key: login, the state
    /// that cancelled it).
    pub withdrawn: BTreeMap<String, (String, String)>,
    /// Reviewers whose approval is of another commit than the one under review, not
    /// counted (by key: login, the commit approved if the review named one).
    pub stale: BTreeMap<String, (String, Option<String>)>,
    /// The commit each reviews-file approval is of, if the review names one (by key).
    pub approved_commits: BTreeMap<String, Option<String>>,
    /// What was read: `--approved-by`, and each reviews file.
    pub sources: Vec<String>,
    /// Problems that did not stop the run (skipped reviews).
    pub warnings: Vec<String>,
}

impl Approvals {
    /// Adds the logins of `--approved-by` (each value may hold several, comma-separated).
    pub fn add_flag_values(&mut self, values: &[String]) {
        let mut any = false;
        for login in values.iter().flat_map(|v| v.split(',')) {
            let login = login.trim();
            if login.is_empty() {
                continue;
            }
            any = true;
            self.approved.entry(person_key(login)).or_insert_with(|| {
                (
                    login.trim_start_matches('@').to_string(),
                    ApprovalSource::Flag,
                )
            });
        }
        if any {
            self.sources.push("--approved-by".to_string());
        }
    }

    /// Moves the reviews-file approvals of any commit but those in `reviewed` (full ids,
    /// compared ignoring case) to [`stale`](Self::stale), and those whose review names no
    /// commit. Approvals given with `--approved-by` stay.
    pub fn drop_stale(&mut self, reviewed: &[String]) {
        let current = |c: &Option<String>| {
            c.as_deref()
                .is_some_and(|c| reviewed.iter().any(|r| r.eq_ignore_ascii_case(c)))
        };
        let stale: Vec<(String, Option<String>)> = self
            .approved_commits
            .iter()
            .filter(|(_, c)| !current(c))
            .map(|(k, c)| (k.clone(), c.clone()))
            .collect();
        for (key, commit) in stale {
            if let Some((login, _)) = self.approved.remove(&key) {
                self.stale.insert(key, (login, commit));
            }
        }
    }

    /// Whether the person with this key approved.
    pub fn has(&self, key: &str) -> bool {
        self.approved.contains_key(key)
    }

    /// Approver logins, sorted by key.
    pub fn logins(&self) -> Vec<&str> {
        self.approved.values().map(|(l, _)| l.as_str()).collect()
    }

    /// Reads a GitHub reviews file (`display` names it in messages and reports).
    ///
    /// # Errors
    /// The file is unreadable, is not JSON, or is not a list of reviews.
    pub fn add_reviews_file(&mut self, path: &Path, display: &str) -> Result<()> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(display, e))?;
        self.add_reviews(&bytes, display)
    }

    /// Reads GitHub reviews JSON: one array, or several back to back (`gh api --paginate`),
    /// or an array of arrays (`--slurp`).
    ///
    /// # Errors
    /// Not JSON, or not reviews; the message names the line and column.
    pub fn add_reviews(&mut self, bytes: &[u8], display: &str) -> Result<()> {
        let text = crate::sources::text::without_bom(bytes);
        let bad = |offset: Option<usize>, message: String| {
            let (line, column) = offset
                .map(|o| crate::sources::locate::line_col(text, o))
                .unzip();
            Error::Parse {
                location: Location {
                    file: display.into(),
                    line,
                    column,
                },
                message,
                help: Some("--approvals takes GitHub's pull-request reviews JSON, as `gh api repos/OWNER/REPO/pulls/N/reviews --paginate` writes it: a list of {\"user\": {\"login\": …}, \"state\": \"APPROVED\", …}".to_string()),
            }
        };
        let mut reviews: Vec<Review> = Vec::new();
        let mut pages = 0;
        let mut offset = 0;
        loop {
            while offset < text.len() && text[offset].is_ascii_whitespace() {
                offset += 1;
            }
            if offset >= text.len() {
                break;
            }
            if text[offset] != b'[' {
                return Err(bad(
                    Some(offset),
                    "expected a list of reviews (`[…]`); an object here is often an error answer of GitHub's API".to_string(),
                ));
            }
            let mut next = offset + 1;
            while next < text.len() && text[next].is_ascii_whitespace() {
                next += 1;
            }
            let nested = text.get(next) == Some(&b'[');
            let rest = &text[offset..];
            let result = if nested {
                let mut s =
                    serde_json::Deserializer::from_slice(rest).into_iter::<Vec<Vec<Review>>>();
                s.next().map(|r| {
                    r.map(|p| (p.into_iter().flatten().collect::<Vec<_>>(), s.byte_offset()))
                })
            } else {
                let mut s = serde_json::Deserializer::from_slice(rest).into_iter::<Vec<Review>>();
                s.next().map(|r| r.map(|p| (p, s.byte_offset())))
            };
            match result {
                None => break,
                Some(Ok((r, used))) => {
                    pages += 1;
                    reviews.extend(r);
                    offset += used;
                }
                Some(Err(e)) => {
                    let at = line_offset(rest, e.line(), e.column()).map(|o| offset + o);
                    let msg = e.to_string();
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    return Err(bad(at, msg));
                }
            }
        }
        if pages == 0 {
            return Err(bad(
                None,
                "the file is empty: expected a list of reviews".into(),
            ));
        }
        self.sources.push(display.to_string());
        // GitHub lists reviews in the order they were submitted; sort by time then id when
        // given, keeping file order otherwise (a stable sort).
        reviews.sort_by(|a, b| {
            (a.submitted_at.as_deref(), a.id).cmp(&(b.submitted_at.as_deref(), b.id))
        });
        let mut latest: BTreeMap<String, (String, String, Option<String>)> = BTreeMap::new();
        let mut approved_before: BTreeMap<String, bool> = BTreeMap::new();
        for (i, r) in reviews.iter().enumerate() {
            let Some(login) = r.user.as_ref().and_then(|u| u.login.clone()) else {
                self.warnings.push(format!(
                    "warning: {display}: review {} has no user (a deleted account?); it is not counted",
                    r.id.map_or(format!("#{}", i + 1), |id| id.to_string())
                ));
                continue;
            };
            let state = r.state.clone().unwrap_or_default().to_ascii_uppercase();
            let key = person_key(&login);
            match state.as_str() {
                "APPROVED" => {
                    approved_before.insert(key.clone(), true);
                    latest.insert(key, (login, state, r.commit_id.clone()));
                }
                "CHANGES_REQUESTED" | "DISMISSED" => {
                    latest.insert(key, (login, state, None));
                }
                "COMMENTED" | "PENDING" => {}
                other => self.warnings.push(format!(
                    "warning: {display}: review by {} has the unknown state '{}'; it changes nothing",
                    crate::report::inert(&login),
                    crate::report::inert(other)
                )),
            }
        }
        for (key, (login, state, commit)) in latest {
            match state.as_str() {
                "APPROVED" => {
                    if !self.approved.contains_key(&key) {
                        self.approved_commits.insert(key.clone(), commit);
                        self.approved
                            .insert(key, (login, ApprovalSource::Reviews(display.to_string())));
                    }
                }
                "CHANGES_REQUESTED" => {
                    // A request for changes outweighs `--approved-by`: the reviewer's own
                    // latest word on the pull request says it is not approved.
                    let flagged =
                        matches!(self.approved.get(&key), Some((_, ApprovalSource::Flag)));
                    if flagged {
                        self.approved.remove(&key);
                        self.warnings.push(format!(
                            "warning: {display}: {}'s latest review requests changes; their --approved-by approval is not counted\n  help: counted again once they approve the pull request (or drop the request)",
                            crate::report::inert(&login)
                        ));
                    }
                    if flagged || approved_before.contains_key(&key) {
                        self.withdrawn
                            .insert(key.clone(), (login.clone(), state.clone()));
                    }
                    self.changes_requested.insert(key, login);
                }
                _ => {
                    if approved_before.contains_key(&key) {
                        self.withdrawn.insert(key, (login, state));
                    }
                }
            }
        }
        Ok(())
    }
}

fn line_offset(text: &[u8], line: usize, column: usize) -> Option<usize> {
    let mut offset = 0;
    for (i, l) in text.split(|&b| b == b'\n').enumerate() {
        if i + 1 == line {
            return Some(offset + column.saturating_sub(1).min(l.len()));
        }
        offset += l.len() + 1;
    }
    None
}

#[derive(Deserialize)]
struct Review {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    submitted_at: Option<String>,
    /// The commit the review is of.
    #[serde(default)]
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct User {
    #[serde(default)]
    login: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(id: u64, login: &str, state: &str, at: &str) -> String {
        format!(
            r#"{{"id":{id},"user":{{"login":"{login}","id":1}},"body":"","state":"{state}","submitted_at":"{at}","commit_id":"abc"}}"#
        )
    }

    #[test]
    fn approvals_of_another_commit_are_stale() {
        let of = |commit: &str, id, login: &str| {
            format!(
                r#"{{"id":{id},"user":{{"login":"{login}"}},"state":"APPROVED","submitted_at":"2026-01-01T10:00:00Z","commit_id":"{commit}"}}"#
            )
        };
        let head = "0c1f2e3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0";
        let old = "1111111111111111111111111111111111111111";
        let file = format!(
            r#"[{},{},{},{},{{"id":5,"user":{{"login":"dave"}},"state":"APPROVED"}}]"#,
            of(head, 1, "alice"),
            of(old, 2, "bob"),
            of(&head.to_uppercase(), 3, "carol"),
            of(&head[..12], 4, "frank"),
        );
        let mut a = Approvals::default();
        a.add_reviews(file.as_bytes(), "r.json").unwrap();
        a.add_flag_values(&["erin".to_string()]);
        a.drop_stale(&[head.to_string()]);
        // Whole ids match, ignoring case; a flag is not of a commit.
        assert_eq!(a.logins(), ["alice", "carol", "erin"]);
        // Another commit, a prefix of the right one, no commit: stale.
        let stale: Vec<_> = a.stale.values().cloned().collect();
        assert_eq!(
            stale,
            [
                ("bob".to_string(), Some(old.to_string())),
                ("dave".to_string(), None),
                ("frank".to_string(), Some(head[..12].to_string())),
            ]
        );
    }

    #[test]
    fn the_latest_review_per_person_counts() {
        let page1 = format!(
            "[{},{},{},{}]",
            review(1, "alice", "APPROVED", "2026-01-01T10:00:00Z"),
            review(2, "bob", "APPROVED", "2026-01-01T10:00:00Z"),
            review(3, "carol", "APPROVED", "2026-01-01T10:00:00Z"),
            review(4, "Alice", "COMMENTED", "2026-01-01T11:00:00Z"),
        );
        let page2 = format!(
            "[{},{},{}]",
            review(5, "bob", "CHANGES_REQUESTED", "2026-01-01T12:00:00Z"),
            review(6, "carol", "DISMISSED", "2026-01-01T12:00:00Z"),
            review(7, "dave", "PENDING", "2026-01-01T12:00:00Z"),
        );
        let mut a = Approvals::default();
        a.add_reviews(format!("{page1}\n{page2}\n").as_bytes(), "reviews.json")
            .unwrap();
        assert_eq!(a.logins(), ["alice"]);
        assert!(a.has("alice"));
        assert_eq!(a.changes_requested.keys().collect::<Vec<_>>(), ["bob"]);
        assert_eq!(a.withdrawn.keys().collect::<Vec<_>>(), ["bob", "carol"]);
        // A later approval counts again.
        let mut b = Approvals::default();
        let later = format!(
            "[[{}],[{}]]",
            review(8, "bob", "CHANGES_REQUESTED", "2026-01-01T12:00:00Z"),
            review(9, "bob", "APPROVED", "2026-01-02T12:00:00Z"),
        );
        b.add_reviews(later.as_bytes(), "r.json").unwrap();
        assert_eq!(b.logins(), ["bob"]);
    }

    #[test]
    fn a_request_for_changes_outweighs_the_flag() {
        let mut a = Approvals::default();
        a.add_flag_values(&["Alice,bob".to_string()]);
        let reviews = format!(
            "[{},{},{}]",
            review(1, "alice", "APPROVED", "2026-01-01T10:00:00Z"),
            review(2, "alice", "CHANGES_REQUESTED", "2026-01-01T11:00:00Z"),
            review(3, "bob", "COMMENTED", "2026-01-01T11:00:00Z"),
        );
        a.add_reviews(reviews.as_bytes(), "r.json").unwrap();
        assert_eq!(a.logins(), ["bob"]);
        assert_eq!(a.changes_requested.keys().collect::<Vec<_>>(), ["alice"]);
        assert_eq!(
            a.withdrawn.values().cloned().collect::<Vec<_>>(),
            [("alice".to_string(), "CHANGES_REQUESTED".to_string())]
        );
        assert_eq!(
            a.warnings,
            [
                "warning: r.json: alice's latest review requests changes; their --approved-by approval is not counted\n  help: counted again once they approve the pull request (or drop the request)"
            ]
        );
    }

    #[test]
    fn bad_files_name_the_place() {
        let mut a = Approvals::default();
        let e = a
            .add_reviews(
                b"[\n {\"user\": {\"login\": \"x\"}, \"state\": 3}\n]",
                "r.json",
            )
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("r.json:2:"), "{e}");
        let e = a
            .add_reviews(b"{\"message\": \"Not Found\"}", "r.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected a list of reviews"), "{e}");
        assert!(e.starts_with("r.json:1:1:"), "{e}");
        let e = a.add_reviews(b"  ", "r.json").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let mut a = Approvals::default();
        a.add_reviews(br#"[{"user": null, "state": "APPROVED"}]"#, "r.json")
            .unwrap();
        assert!(a.approved.is_empty());
        assert_eq!(a.warnings.len(), 1);
    }

    #[test]
    fn flag_values_split_on_commas() {
        let mut a = Approvals::default();
        a.add_flag_values(&["@Alice, bob".into(), "carol".into(), "".into()]);
        assert_eq!(a.logins(), ["Alice", "bob", "carol"]);
        assert!(a.has("alice"));
    }
}
