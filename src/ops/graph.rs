//! `blast graph`: load every source, merge, and list the result with its provenance.

use std::io::Write;

use super::{GraphOptions, Warnings, Workspace};
use crate::analysis::listing::listing;
use crate::error::{Error, Result};
use crate::report::{self, Format};

/// Options of `blast graph`.
#[derive(Clone, Debug)]
pub struct ListOptions {
    /// Only these nodes and the edges touching them (all when empty).
    pub ids: Vec<String>,
    /// Output format.
    pub format: Format,
}

/// `blast graph`. Returns the exit code (0) and warnings for stderr.
///
/// # Errors
/// Config or sources that are missing or invalid; an id in `ids` that is not a node.
pub fn graph(
    opts: &GraphOptions,
    list: &ListOptions,
    out: &mut dyn Write,
) -> Result<(u8, Warnings)> {
    let ws = Workspace::load(opts)?;
    let l = listing(&ws.graph, &list.ids, ws.load.findings.clone()).map_err(|id| {
        Error::UnknownNode {
            suggestions: ws
                .graph
                .suggest(&id, 3)
                .into_iter()
                .map(String::from)
                .collect(),
            id,
        }
    })?;
    match list.format {
        Format::Json => report::graph::json(out, &l),
        _ => report::graph::text(out, &l),
    }
    .map_err(Error::Output)?;
    // A large graph's listing sorted its ids: the cache keeps them for the next run.
    ws.store_cache();
    // Text shows the load findings itself; JSON keeps stdout clean and warns on stderr.
    let warnings = match list.format {
        Format::Text => Vec::new(),
        _ => super::load_warnings(&ws),
    };
    Ok((0, warnings))
}
