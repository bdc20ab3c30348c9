//! `blast impact --batch`: many change sets, one load.
//!
//! Each line of the input is one change set (node ids or paths separated by spaces; blank
//! lines and lines starting with `#` are skipped). Each change set's impact is written as
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

use crate::analysis::Analyzer;
use crate::changes::codeowners::CodeOwners;
use crate::changes::{RepoFiles, Resolver, Rules};
use crate::error::{Error, Result};
use crate::report::json::{IMPACT_SCHEMA, ImpactJsonOptions};

use super::{Warnings, Workspace};

/// Options of `blast impact --batch`.
#[derive(Clone, Debug, Default)]
pub struct BatchOptions {
    /// What each result lists.
    pub json: ImpactJsonOptions,
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
    out: &mut dyn Write,
) -> Result<(u8, Warnings)> {
    let _t = crate::timing::Phase::start("batch");
    let rules = Rules::new(ws.config.rules.clone())
        .map_err(|(n, e)| Error::Usage(format!("blast.toml [[rule]] #{n}: {e}")))?;
    let resolver = Resolver::new(&ws.graph)
        .rules(rules)
        .unmapped(ws.config.unmapped)
        .files(RepoFiles::work_tree(&ws.config.root));
    // Like a single run without a git range: the working tree's CODEOWNERS names the owners
    // of reached critical nodes that have none in the graph.
    let codeowners = CodeOwners::find_in_dir(&ws.config.root);
    let mut warnings: Vec<String> = codeowners
        .iter()
        .flat_map(|co| co.warnings.iter().map(|w| format!("warning: {w}")))
        .collect();
    let mut analyzer = Analyzer::new(&ws.graph, ws.policy().clone()).codeowners(codeowners);
    let mut code = 0;
    let mut line = String::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let n = input
            .read_line(&mut line)
            .map_err(|e| Error::io(input_name, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let changes: Vec<&str> = text.split_whitespace().collect();
        match resolver.resolve(&changes) {
            Ok(set) => {
                for u in &set.unmapped {
                    warnings.push(format!(
                        "warning: {input_name}:{number}: '{u}' maps to no node; it is listed under \"unmapped\""
                    ));
                }
                let impact = analyzer.impact(set);
                crate::report::json::impact(out, &impact, &opts.json).map_err(Error::Output)?;
                out.flush().map_err(Error::Output)?;
            }
            Err(e) => {
                code = 2;
                let message = e.to_string().replace('\n', " ");
                warnings.push(format!("error: {input_name}:{number}: {message}"));
                let j =
                    serde_json::json!({"schema": IMPACT_SCHEMA, "line": number, "error": message});
                writeln!(out, "{j}").map_err(Error::Output)?;
                out.flush().map_err(Error::Output)?;
            }
        }
    }
    Ok((code, warnings))
}
