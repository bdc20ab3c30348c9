//! `blast rank` and `blast spof`: whole-graph answers.

use std::io::Write;

use crate::analysis::rank::{RankOptions, rank as rank_graph};
use crate::analysis::spof::spof as spof_graph;
use crate::error::{Error, Result};
use crate::report::{self, Format, text::TextOptions};

use super::Workspace;

/// `blast rank`.
///
/// # Errors
/// Writing the output failed.
pub fn rank(
    ws: &Workspace,
    opts: &RankOptions,
    format: Format,
    text: &TextOptions,
    out: &mut dyn Write,
) -> Result<u8> {
    let ranking = rank_graph(&ws.graph, ws.policy(), opts);
    match format {
        Format::Json => report::json::rank(out, &ranking),
        _ => report::text::rank(out, &ranking, text),
    }
    .map_err(Error::Output)?;
    Ok(0)
}

/// `blast spof`.
///
/// # Errors
/// Writing the output failed.
pub fn spof(ws: &Workspace, format: Format, text: &TextOptions, out: &mut dyn Write) -> Result<u8> {
    let report = spof_graph(&ws.graph, ws.policy());
    match format {
        Format::Json => report::json::spof(out, &report),
        _ => report::text::spof(out, &report, text),
    }
    .map_err(Error::Output)?;
    Ok(0)
}
