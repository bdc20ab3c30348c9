//! `blast ci`: the impact of a change plus the policy gate's verdict, written to every
//! output asked for in one run.
//!
//! The change is read exactly as `blast impact` reads it ([`PreparedChange`]); the commits
//! of the same git range are searched for AI assistance; approvals come from the flags or a
//! reviews file; [`gate::evaluate`] judges; [`CiReport`] places the findings; then the
//! outputs are written (files first, the audit line last, then standard output). Nothing in
//! the environment changes the verdict: the same inputs give the same exit code in GitHub
//! Actions, GitLab CI and on a laptop.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::audit::{self, RangeInfo, RefInfo};
use super::{PreparedChange, Warnings, Workspace};
use crate::analysis::Analyzer;
use crate::analysis::ci::{CiReport, Locator};
use crate::analysis::gate::{self, GateInput, OwnerSets};
use crate::analysis::picture::{Collapse, Picture, PictureOptions};
use crate::changes::approvals::Approvals;
use crate::changes::commits::{Detector, read_commits};
use crate::changes::git::Range;
use crate::changes::hunks;
use crate::codes::Location;
use crate::error::{Error, Result};
use crate::report::json::ImpactJsonOptions;
use crate::report::text::TextOptions;
use crate::report::{self, markdown};

use super::ChangeOptions;

/// Where `--summary` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SummaryTarget {
    /// `--summary FILE`: the file is replaced (`-`: standard output).
    File(PathBuf),
    /// `--summary` without a value: appended to the step summary file, the value of
    /// `$GITHUB_STEP_SUMMARY` (`None` when it is not set).
    StepSummary(Option<PathBuf>),
}

/// Annotation formats for standard output.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Annotations {
    /// GitHub Actions workflow commands.
    Github,
}

/// Options of `blast ci`.
#[derive(Clone, Debug, Default)]
pub struct CiOptions {
    /// What changed.
    pub change: ChangeOptions,
    /// `--approved-by` values (comma-separated logins).
    pub approved_by: Vec<String>,
    /// `--approvals FILE`: GitHub reviews JSON.
    pub approvals: Option<PathBuf>,
    /// `--reviewed-commit SHA`: the commit approvals must be of.
    pub reviewed_commit: Option<String>,
    /// `--label` values (comma-separated).
    pub labels: Vec<String>,
    /// `--summary`.
    pub summary: Option<SummaryTarget>,
    /// `--summary-limit`: the summary's byte budget.
    pub summary_limit: Option<usize>,
    /// `--annotations`.
    pub annotations: Option<Annotations>,
    /// `--sarif FILE`.
    pub sarif: Option<PathBuf>,
    /// `--gitlab FILE`.
    pub gitlab: Option<PathBuf>,
    /// `--json FILE`.
    pub json: Option<PathBuf>,
    /// `--audit FILE`.
    pub audit: Option<PathBuf>,
    /// Text output.
    pub text: TextOptions,
}

fn is_dash(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// One output to write.
struct Output {
    path: PathBuf,
    bytes: Vec<u8>,
    append: bool,
}

/// `blast ci`. Returns the exit code (0 pass, 1 fail) and warnings for stderr.
///
/// # Errors
/// Everything `blast impact` can fail on, an unreadable or malformed `--approvals` file,
/// `--summary` without a file outside GitHub Actions, outputs that cannot be written.
pub fn ci(ws: &Workspace, opts: &CiOptions, out: &mut dyn Write) -> Result<(u8, Warnings)> {
    let cwd = &opts.change.cwd;
    let dashes: Vec<&str> = [
        ("--sarif", opts.sarif.as_deref()),
        ("--gitlab", opts.gitlab.as_deref()),
        ("--json", opts.json.as_deref()),
        (
            "--summary",
            match &opts.summary {
                Some(SummaryTarget::File(p)) => Some(p.as_path()),
                _ => None,
            },
        ),
    ]
    .into_iter()
    .filter(|(_, p)| p.is_some_and(is_dash))
    .map(|(f, _)| f)
    .collect();
    if let Some(c) = &opts.reviewed_commit
        && (!matches!(c.len(), 40 | 64) || !c.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(Error::Usage(format!(
            "--reviewed-commit takes a full commit id (40 hex digits, 64 in a SHA-256 repository), not '{}'\n  help: in GitHub Actions pass the pull request's head: --reviewed-commit ${{{{ github.event.pull_request.head.sha }}}}",
            crate::report::inert(c)
        )));
    }
    if dashes.len() > 1 {
        return Err(Error::Usage(format!(
            "{} all write to standard output ('-'); only one output can\n  help: give the others a file name",
            dashes.join(" and ")
        )));
    }
    if !dashes.is_empty() && opts.annotations.is_some() {
        return Err(Error::Usage(format!(
            "{} - and --annotations github both write to standard output\n  help: write {} to a file",
            dashes[0], dashes[0]
        )));
    }
    if opts.audit.as_deref().is_some_and(is_dash) {
        return Err(Error::Usage(
            "--audit appends to a file, not to standard output ('-')\n  help: name a file, like --audit blast-audit.jsonl".to_string(),
        ));
    }
    let summary_path = match &opts.summary {
        None => None,
        Some(SummaryTarget::File(p)) => Some((p.clone(), false)),
        Some(SummaryTarget::StepSummary(Some(p))) => Some((p.clone(), true)),
        Some(SummaryTarget::StepSummary(None)) => {
            return Err(Error::Usage(
                "--summary without a file writes to $GITHUB_STEP_SUMMARY, which is not set (GitHub Actions sets it)\n  help: name the file: --summary FILE".to_string(),
            ));
        }
    };

    let prepared = PreparedChange::open(ws, &opts.change)?;
    let (changes, more) = prepared.resolve()?;
    let mut warnings: Warnings = prepared.warnings().to_vec();
    warnings.extend(more.into_iter().map(|w| format!("warning: {w}")));
    let (policy, teams) = policy_in_force(ws, &prepared, &mut warnings);
    let policy = &policy;
    let mut analyzer =
        Analyzer::new(prepared.graph(), policy.clone()).codeowners(prepared.codeowners().cloned());
    let impact = analyzer.impact(changes);

    let mut approvals = Approvals::default();
    approvals.add_flag_values(&opts.approved_by);
    if let Some(f) = &opts.approvals {
        approvals.add_reviews_file(&cwd.join(f), &f.display().to_string())?;
    }
    warnings.extend(approvals.warnings.iter().cloned());
    let labels: Vec<String> = opts
        .labels
        .iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();

    // The commits of the range, and the range for the audit trail.
    let mut range = RangeInfo::default();
    let mut commits = Vec::new();
    if let (Some(git), Some(diff)) = (prepared.git(), prepared.diff()) {
        if let Range::Base { base, head } = &diff.range {
            let base_id = git.resolve_commit(base)?;
            let head_name = head.clone().unwrap_or_else(|| "HEAD".to_string());
            let head_id = git.resolve_commit(&head_name)?;
            commits = read_commits(git, &base_id, &head_id)?;
            range.base = Some(RefInfo {
                name: base.clone(),
                commit: Some(base_id),
            });
            range.head = Some(RefInfo {
                name: head_name,
                commit: Some(head_id),
            });
        }
        if let Some(d) = &impact.changes.diff {
            range.merge_base = d.merge_base.clone();
            if range.base.is_none() {
                range.base = Some(RefInfo {
                    name: d.base.clone(),
                    commit: d.merge_base.clone(),
                });
                range.head = Some(RefInfo {
                    name: d.head.clone(),
                    commit: d.head_commit.clone(),
                });
            }
        }
    }
    let ai = Detector::new(&policy.ai_assisted.detect).detect(commits, &labels);

    // Approvals of another commit than the one under review are stale: `--reviewed-commit`,
    // else the head commit. GitHub Actions on a pull request checks out a merge of its head
    // into the base (`refs/pull/N/merge`, `GITHUB_SHA`): the head reviewed is that merge's
    // second parent. Nothing else is taken on trust (a merge pushed to the branch may bring
    // in anything).
    if !approvals.approved_commits.is_empty() {
        let head = range.head.as_ref().and_then(|h| h.commit.clone());
        let reviewed = match (&opts.reviewed_commit, head) {
            (Some(c), _) => vec![c.clone()],
            (None, Some(head)) => {
                let mut v = vec![head.clone()];
                if github_pull_request_merge(&head)
                    && let Some(git) = prepared.git()
                    && let Some(pr_head) = git.parents(&head)?.get(1)
                {
                    v.push(pr_head.clone());
                }
                v
            }
            (None, None) => Vec::new(),
        };
        if reviewed.is_empty() {
            warnings.push("warning: the commit under review is unknown (this run has no head commit), so approvals in reviews files count whatever commit they are of; pass --reviewed-commit SHA (the pull request's head)".to_string());
        } else {
            approvals.drop_stale(&reviewed);
        }
    }

    // A change that edits its own graph or rules is judged at the base too (the higher
    // risk counts, and the base's tier-0, customer-facing and changed owners join the
    // head's), so it cannot lower its own risk to pass.
    let mut owners = OwnerSets::of(&impact);
    let base = prepared.judge_at_base(policy, &mut warnings);
    let base_risk = base.as_ref().map(|b| b.risk);
    if let Some(b) = base {
        if b.risk > impact.risk {
            warnings.push(format!(
                "warning: this change lowers its own risk from {} to {} by editing its graph, blast.toml or the Cargo packages its files belong to; it is judged as the base sees it, {}{}, and its edits apply once it is merged",
                b.risk,
                impact.risk,
                b.risk,
                b.reason
                    .as_deref()
                    .map_or_else(String::new, |r| format!(" ({})", crate::report::inert(r)))
            ));
        }
        owners.merge(b.owners);
    }
    let verdict = gate::evaluate(
        policy.gate.as_ref(),
        &policy.ai_assisted,
        &teams,
        &GateInput {
            risk: impact.risk,
            base_risk,
            owners: &owners,
            ai: &ai,
            approvals: &approvals,
            labels: &labels,
        },
    );
    warnings.extend(verdict.warnings.iter().cloned());
    warnings.extend(unmeetable(&verdict.requirements));

    // Where findings point.
    let first_lines = match (prepared.git(), prepared.diff()) {
        (Some(git), Some(diff)) => hunks::first_changed_lines(git, diff)?,
        _ => Default::default(),
    };
    // Locations are relative to the repository root: the git range's, else the work tree
    // holding the configuration's folder (a `blast.toml` in a subfolder, a graph file
    // beside it or above it), else that folder.
    let root =
        std::fs::canonicalize(prepared.root()).unwrap_or_else(|_| prepared.root().to_path_buf());
    let root = match prepared.git() {
        Some(_) => root,
        None => root
            .ancestors()
            .find(|a| a.join(".git").exists())
            .map_or(root.clone(), Path::to_path_buf),
    };
    let repo_path = |file: &Path| -> Option<PathBuf> {
        let abs = cwd.join(file);
        let abs = std::fs::canonicalize(&abs).ok()?;
        abs.strip_prefix(&root).ok().map(Path::to_path_buf)
    };
    let node_location = |id: &str| -> Option<Location> {
        let node = ws.graph.node(id).or_else(|| prepared.graph().node(id))?;
        let origin = node
            .origins()
            .find(|o| o.source == "graph")
            .or_else(|| node.origins().next())?;
        let rel = repo_path(&origin.file)?;
        let line = std::fs::read(cwd.join(&origin.file)).ok().and_then(|t| {
            crate::sources::locate::locate(&t, &crate::sources::locate::Needle::declaration(id))
        });
        Some(Location {
            file: rel,
            line: Some(line.map_or(1, |l| l.0)),
            column: None,
        })
    };
    let fallback = ws
        .graph
        .origins()
        .iter()
        .find_map(|o| repo_path(&o.file))
        .or_else(|| ws.config.path.as_deref().and_then(repo_path))
        .unwrap_or_else(|| PathBuf::from(crate::config::FILE_NAME));
    let locator = Locator {
        first_lines: &first_lines,
        node: &node_location,
        fallback: Location {
            file: fallback,
            line: Some(1),
            column: None,
        },
    };
    // Each changed file's finding speaks of what that file alone reaches.
    let reach = crate::analysis::ci::reach_by_input(&mut analyzer, &impact);
    let report = CiReport::new(&impact, verdict, ai, approvals, labels, &reach, &locator);

    // Render every output before writing any, so a failure writes nothing half-done.
    let mut outputs: Vec<Output> = Vec::new();
    // How many findings the summary holds, when it is written.
    let mut summary_holds: Option<usize> = None;
    let mut stdout_doc: Option<Vec<u8>> = None;
    let mut place = |path: &Path, bytes: Vec<u8>, append: bool| {
        if is_dash(path) {
            stdout_doc = Some(bytes);
        } else {
            outputs.push(Output {
                path: cwd.join(path),
                bytes,
                append,
            });
        }
    };
    if let Some(p) = &opts.json {
        let mut b = Vec::new();
        report::json::ci(&mut b, &report, &ImpactJsonOptions::default()).map_err(Error::Output)?;
        place(p, b, false);
    }
    if let Some(p) = &opts.sarif {
        let mut b = Vec::new();
        report::sarif::write(&mut b, &report.findings).map_err(Error::Output)?;
        if report.findings.len() > report::sarif::MAX_RESULTS {
            warnings.push(format!(
                "warning: --sarif holds the {} most severe of {} findings (GitHub shows at most 5,000)",
                report::sarif::MAX_RESULTS,
                report.findings.len()
            ));
        }
        place(p, b, false);
    }
    if let Some(p) = &opts.gitlab {
        let mut b = Vec::new();
        report::gitlab::write(&mut b, &report.findings).map_err(Error::Output)?;
        place(p, b, false);
    }
    if let Some((p, append)) = &summary_path {
        let already = if *append {
            std::fs::metadata(cwd.join(p))
                .map(|m| m.len() as usize)
                .unwrap_or(0)
        } else {
            0
        };
        let limit = opts
            .summary_limit
            .unwrap_or(markdown::DEFAULT_LIMIT)
            .saturating_sub(already);
        let diagram = summary_diagram(&impact, policy);
        let md = markdown::summary(
            &report,
            diagram.as_deref().map_err(String::as_str),
            limit,
            opts.json.is_some(),
        );
        if md.text.is_empty() {
            let budget = match opts.summary_limit {
                Some(l) => format!("--summary-limit {l}"),
                None => format!("the default budget of {} bytes", markdown::DEFAULT_LIMIT),
            };
            let held = if already > 0 {
                format!(", less the {already} bytes the step summary already holds")
            } else {
                String::new()
            };
            warnings.push(format!(
                "warning: --summary wrote nothing: its verdict line takes {} bytes and the budget leaves {limit} ({budget}{held})\n  help: raise --summary-limit",
                md.verdict_bytes
            ));
            // A file is emptied (an old summary would mislead); nothing is appended.
            if !*append {
                place(p, Vec::new(), false);
            }
        } else {
            place(p, md.text.into_bytes(), *append);
            summary_holds = Some(md.findings);
        }
    }
    // A run that fails writes no output file: every path is checked first, and replaced
    // files are written beside their targets and renamed into place once all are written.
    for o in &outputs {
        check_writable(&o.path)?;
    }
    if let Some(p) = &opts.audit {
        check_writable(&cwd.join(p))?;
    }
    let staged = outputs
        .iter()
        .filter(|o| !o.append)
        .map(|o| stage(o).map(|t| (t, &o.path)))
        .collect::<Result<Vec<_>>>()?;
    for (t, path) in staged {
        t.persist(path).map_err(|e| Error::io(path, e.error))?;
    }
    for o in outputs.iter().filter(|o| o.append) {
        write_output(o)?;
    }
    if let Some(p) = &opts.audit {
        let line = audit::line(&report, &range, std::time::SystemTime::now());
        audit::append(&cwd.join(p), &line)?;
    }
    match stdout_doc {
        Some(doc) => out.write_all(&doc).map_err(Error::Output)?,
        None => {
            report::text::ci(out, &report, &opts.text, opts.json.is_some())
                .map_err(Error::Output)?;
            if opts.annotations == Some(Annotations::Github) {
                // The outputs that list findings, and how many each holds, for the roll-ups.
                let all = report.findings.len();
                let summary_name = if summary_path.as_ref().is_some_and(|s| s.1) {
                    "the step summary"
                } else {
                    "--summary"
                };
                let listed: Vec<report::github::Listed> = [
                    summary_holds.map(|n| (summary_name, n)),
                    opts.sarif
                        .as_ref()
                        .map(|_| ("--sarif", all.min(report::sarif::MAX_RESULTS))),
                    opts.gitlab.as_ref().map(|_| ("--gitlab", all)),
                    opts.json.as_ref().map(|_| ("--json", all)),
                ]
                .into_iter()
                .flatten()
                .map(|(name, holds)| report::github::Listed { name, holds })
                .collect();
                report::github::write(out, &report.findings, &listed).map_err(Error::Output)?;
            }
        }
    }
    Ok((report.verdict.exit_code(), warnings))
}

/// Warnings for requirements no approvals can ever meet: fewer people may approve than
/// the count needs (`reviewers = ["alice"]` with `require_approvals = 2`, a team listed
/// with no members). Teams `[teams]` does not list are warned about where they are found.
fn unmeetable(requirements: &[gate::Requirement]) -> Vec<String> {
    requirements
        .iter()
        .filter(|r| r.unknown_teams.is_empty())
        .filter_map(|r| {
            let eligible = r.eligible.as_ref()?;
            if eligible.len() as u64 >= u64::from(r.needs) {
                return None;
            }
            let who = match eligible.len() {
                0 => "no one can approve (its teams have no members in [teams])".to_string(),
                1 => "only 1 person can approve".to_string(),
                n => format!("only {n} people can approve"),
            };
            let what = if r.needs == 1 {
                "1 approval".to_string()
            } else {
                format!("{} approvals", r.needs)
            };
            let note = r.note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
            Some(crate::report::inert(&format!(
                "warning: {}: needs {what} from {}{note}, but {who}, so no approvals can ever meet it; add reviewers or team members, or lower require_approvals",
                r.source,
                r.from.join(", ")
            )))
        })
        .collect()
}

/// Appends an output to its file.
fn write_output(o: &Output) -> Result<()> {
    let io = |e| Error::io(&o.path, e);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&o.path)
        .map_err(io)?;
    f.write_all(&o.bytes).map_err(io)
}

/// An output that replaces its file, written to a temporary file in the same folder (so
/// the rename is atomic), with the permissions a new file gets.
fn stage(o: &Output) -> Result<tempfile::NamedTempFile> {
    let io = |e| Error::io(&o.path, e);
    let dir = match o.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut b = tempfile::Builder::new();
    b.prefix(".blast-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut t = b.tempfile_in(dir).map_err(io)?;
    t.write_all(&o.bytes).map_err(io)?;
    t.flush().map_err(io)?;
    Ok(t)
}

/// Fails when `path` cannot be an output file: its folder is missing or not a folder, or
/// it is itself a folder.
fn check_writable(path: &Path) -> Result<()> {
    let err = |kind: std::io::ErrorKind, what: &str, hint: String| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(kind, what),
        hint: Some(hint),
    };
    if path.is_dir() {
        return Err(err(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
            "name a file, not a directory".to_string(),
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => return Ok(()),
    };
    if !dir.is_dir() {
        return Err(err(
            std::io::ErrorKind::NotFound,
            "no such folder",
            format!(
                "create the folder {} first, or name a file in a folder that exists",
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// The policy and teams that judge a change. For a git range they are read where GitHub
/// reads CODEOWNERS, at the base ref (`HEAD` for staged changes), so a change cannot loosen
/// the gate that judges it: its own edits to `blast.toml` apply once it is merged (a warning
/// says so). Without a git range, or when the base has no `blast.toml` (a change adopting
/// blast), the loaded configuration's; a base file that does not load is warned about and
/// the loaded one is used.
fn policy_in_force(
    ws: &Workspace,
    prepared: &PreparedChange<'_>,
    warnings: &mut Warnings,
) -> (crate::analysis::Policy, crate::analysis::gate::Teams) {
    let head = (ws.policy().clone(), ws.config.teams.clone());
    match prepared.config_in_force() {
        Ok(Some(Some(base))) => {
            if let Some(rel) = prepared.edited_config() {
                warnings.push(format!(
                    "warning: this change edits {}; the policy and teams that judge it are read at the base, as GitHub reads CODEOWNERS (the edits apply once it is merged)",
                    crate::report::inert(&rel)
                ));
            }
            (base.policy, base.teams)
        }
        Ok(_) => head,
        Err(e) => {
            warnings.push(format!(
                "warning: the configuration at the base does not load, so the change is judged by its own policy: {}",
                crate::report::inert(&e.to_string())
            ));
            head
        }
    }
}

/// The Mermaid Markdown of the blast radius (falling back to services only, then a table),
/// or why there is none.
fn summary_diagram(
    impact: &crate::analysis::Impact<'_>,
    policy: &crate::analysis::Policy,
) -> std::result::Result<String, String> {
    let budget = report::mermaid::Budget::default();
    let full = Picture::of_impact(impact, policy, &PictureOptions::default());
    let services = || {
        Picture::of_impact(
            impact,
            policy,
            &PictureOptions {
                collapse: Collapse::Modules,
                ..PictureOptions::default()
            },
        )
    };
    match full {
        Ok(p) => {
            let folded = if !p.collapsed && !report::mermaid::fits(&p, &budget) {
                services().ok()
            } else {
                None
            };
            Ok(report::mermaid::markdown(&p, folded.as_ref(), &budget))
        }
        Err(e) => match services() {
            Ok(p) => Ok(report::mermaid::markdown(&p, None, &budget)),
            Err(_) => Err(format!("No diagram: {e}")),
        },
    }
}

/// Whether this run is GitHub Actions on the merge commit it made for a pull request
/// (`GITHUB_REF=refs/pull/N/merge`, `GITHUB_SHA` the head commit).
fn github_pull_request_merge(head: &str) -> bool {
    let var = |k| std::env::var(k).unwrap_or_default();
    let r = var("GITHUB_REF");
    r.starts_with("refs/pull/")
        && r.ends_with("/merge")
        && var("GITHUB_SHA").eq_ignore_ascii_case(head)
}
