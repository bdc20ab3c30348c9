//! `blast impact --batch`: many change sets, one load.
//!
//! Each line of the input is one change set (node ids or paths separated by spaces, split
//! into words as a POSIX shell splits them: `'a b'`, `"a b"` and `a\ b` are one word, a
//! word starting with `#` begins a comment; blank lines and comment lines are skipped). Each change set's impact is written as
//! one line of JSON (`blast-radius/impact/v1`), in input order and flushed as soon as it is
//! written (a pipe gets each answer right away), so CI runs over many commits
//! and architects' what-if lists share one load and one set of indexes.
//!
//! Owners come from the graph, else (for reached tier-0 and customer-facing nodes) from the
//! working tree's CODEOWNERS, as in a single `blast impact` run without a git range.
//!
//! A line that names an unknown node id does not stop the run: its output line is
//! `{"schema": …, "line": N, "error": "…"}`, the message also goes to stderr, and the exit
//! code is 2 at the end.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::analysis::{Analyzer, Impact};
use crate::changes::codeowners::CodeOwners;
use crate::changes::{RepoFiles, Resolver, Rules};
use crate::error::{Error, Result};
use crate::report::json::{IMPACT_SCHEMA, ImpactJsonOptions};

use super::{Warnings, Workspace};

/// One line's answer, on its way to the writer.
enum Answer<'g> {
    Impact(Box<Impact<'g>>),
    Error(LineError),
}

/// The result line of a batch line that has no answer: `{"schema", "line", "error"}`.
#[derive(serde::Serialize)]
struct LineError {
    schema: &'static str,
    line: usize,
    error: String,
}

/// Options of `blast impact --batch`.
#[derive(Clone, Debug, Default)]
pub struct BatchOptions {
    /// What each result lists.
    pub json: ImpactJsonOptions,
    /// `--unmapped`, overriding `unmapped` in `blast.toml` for every line.
    pub unmapped: Option<crate::changes::Unmapped>,
}

/// Runs every change set in `input`; returns the exit code (2 if any line failed).
///
/// # Errors
/// Reading the input or writing the output failed.
pub fn impact_batch(
    ws: &Workspace,
    opts: &BatchOptions,
    input: &mut dyn BufRead,
    input_name: &str,
    out: &mut (dyn Write + Send),
) -> Result<(u8, Warnings)> {
    let _t = crate::timing::Phase::start("batch");
    let rules = Rules::new(ws.config.rules.clone()).map_err(|(n, e)| {
        Error::Usage(format!(
            "blast.toml [[rule]] #{n}: {}",
            crate::report::inert(&e.to_string())
        ))
    })?;
    // Paths are relative to the git work tree, wherever blast.toml sits, as in a single run.
    let here = std::path::Path::new("");
    let root = &std::env::current_dir()
        .ok()
        .and_then(|cwd| super::changes::repository_root(&cwd))
        .unwrap_or_else(|| ws.config.root.clone());
    // As in a single run without a git range: blast.toml is ignored with its reason, and a
    // graph file changes no node on its own.
    let resolver = Resolver::new(&ws.graph)
        .rules(rules)
        .unmapped(opts.unmapped.unwrap_or(ws.config.unmapped))
        .files(RepoFiles::current(root))
        .graph_sources(super::changes::graph_sources(ws, here, root))
        .config_files(
            ws.config
                .path
                .as_deref()
                .and_then(|p| super::changes::repo_path(root, here, p)),
        );
    // Like a single run without a git range: the working tree's CODEOWNERS names the owners
    // of reached critical nodes that have none in the graph.
    let codeowners = CodeOwners::find_in_dir(root);
    let mut warnings: Vec<String> = codeowners
        .iter()
        .flat_map(|co| co.warnings.iter().map(|w| format!("warning: {w}")))
        .collect();
    let mut analyzer = Analyzer::new(&ws.graph, ws.policy().clone()).codeowners(codeowners);
    let mut code = 0;
    // One thread writes the answers while this one reads and computes the next: writing a
    // large answer overlaps the next walk. The channel is a rendezvous: the writer takes an
    // answer when it is done with the previous one, so at most two are alive, and a line is
    // read only after the previous answer went to the writer, so a caller that waits for
    // each answer before sending the next line is served as before.
    let (answers, queue) = mpsc::sync_channel::<Answer<'_>>(0);
    let stopped = AtomicBool::new(false);
    std::thread::scope(|s| {
        let writer = s.spawn(|| -> Result<()> {
            let write = |answer: Answer<'_>| -> Result<()> {
                match answer {
                    Answer::Impact(impact) => {
                        crate::report::json::impact(out, &impact, &opts.json)
                            .map_err(Error::Output)?;
                    }
                    Answer::Error(e) => {
                        let j = serde_json::to_string(&e).expect("strings and a number");
                        writeln!(out, "{j}").map_err(Error::Output)?
                    }
                }
                out.flush().map_err(Error::Output)
            };
            let written = queue.into_iter().try_for_each(write);
            stopped.store(true, Ordering::Relaxed);
            written
        });
        let read = (|| -> Result<()> {
            let mut line = Vec::new();
            let mut number = 0usize;
            let fail = |code: &mut u8, warnings: &mut Warnings, number: usize, message: String| {
                *code = 2;
                warnings.push(format!("error: {input_name}:{number}: {message}"));
                Answer::Error(LineError {
                    schema: IMPACT_SCHEMA,
                    line: number,
                    error: message,
                })
            };
            loop {
                line.clear();
                let n = input
                    .read_until(b'\n', &mut line)
                    .map_err(|e| Error::io(input_name, e))?;
                if n == 0 {
                    return Ok(());
                }
                number += 1;
                if number == 1 {
                    // A byte-order mark (Windows editors write one) is not part of the line.
                    line.drain(..line.len() - crate::sources::text::without_bom(&line).len());
                }
                if stopped.load(Ordering::Relaxed) {
                    // The writer failed while this line was awaited: it reports why.
                    return Ok(());
                }
                // A line that is not text, or whose quotes do not close, gets its own error
                // line; the others are answered. Words are split as a POSIX shell splits
                // them, so an id or a path with a space can be quoted ('a b', "a b", a\ b);
                // nothing is expanded.
                let words = match std::str::from_utf8(&line) {
                    Ok(t) => {
                        let t = t.trim();
                        if t.is_empty() || t.starts_with('#') {
                            continue;
                        }
                        shlex::split(t).ok_or_else(|| {
                            "a quote is not closed, or the line ends in a backslash; help: quote an id or path with a space as a shell would: 'a b' or \"a b\"".to_string()
                        })
                    }
                    Err(e) => Err(format!(
                        "not valid UTF-8 (at byte {} of the line); ids are UTF-8 text",
                        e.valid_up_to() + 1
                    )),
                };
                // An absolute path inside the root is its relative path; one outside it
                // (or climbing out with `..`) is this line's error.
                let inside = |w: String| {
                    if ws.graph.node(&w).is_some() {
                        return Ok(w);
                    }
                    super::changes::within(root, &w).ok_or_else(|| {
                        format!(
                            "'{}' is outside the repository ({}); help: name paths relative to the repository root, or absolute paths inside it",
                            crate::report::inert(&w),
                            root.display()
                        )
                    })
                };
                let changes: Vec<String> =
                    match words.and_then(|w| w.into_iter().map(inside).collect()) {
                        Ok(changes) => changes,
                        Err(message) => {
                            let failed = fail(&mut code, &mut warnings, number, message);
                            if answers.send(failed).is_err() {
                                return Ok(());
                            }
                            continue;
                        }
                    };
                let answer = match resolver.resolve(&changes).map(|mut set| {
                    set.topology_without_versions(false);
                    set
                }) {
                    Ok(set) => {
                        for u in &set.unmapped {
                            let u = crate::report::inert(u);
                            warnings.push(format!(
                                "warning: {input_name}:{number}: '{u}' maps to no node; it is listed under \"unmapped\""
                            ));
                        }
                        Answer::Impact(Box::new(analyzer.impact(set)))
                    }
                    Err(e) => {
                        // One line: the help follows the message after a semicolon.
                        let message = e
                            .to_string()
                            .replace("\n  help: ", "; help: ")
                            .replace('\n', " ");
                        fail(&mut code, &mut warnings, number, message)
                    }
                };
                if answers.send(answer).is_err() {
                    // The writer stopped on an error; it reports it.
                    return Ok(());
                }
            }
        })();
        drop(answers);
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // A failed write (a reader that went away) comes first: it is what ended the run.
        written.and(read)
    })?;
    Ok((code, warnings))
}
