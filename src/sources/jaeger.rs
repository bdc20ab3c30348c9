//! Traces: the dependency links Jaeger or Zipkin computed from real traffic.
//!
//! # Format
//!
//! Jaeger's `/api/dependencies` response, `{"data": [{"parent": "frontend", "child":
//! "driver", "callCount": 42}], "errors": null, …}`, or its `data` array alone; Zipkin's
//! `/api/v2/dependencies` response, a bare array of `{"parent", "child", "callCount",
//! "errorCount"}`. Save either with `curl` and pass it with `--jaeger FILE`.
//!
//! Every service named becomes a node (its kind left to the other sources); every link an
//! observed `sync` edge `parent → child`, with `calls` and `errors` attributes. Links
//! repeated in one file are summed (as Jaeger's own handler does); links to the same
//! service (internal spans) are skipped; links seen fewer times than the source's
//! `min_calls` are dropped. An `errors` array in the response is an error.
//!
//! Observed edges are what `blast check` compares the declared sources against (see
//! [`crate::analysis::drift`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::codes::{Code, Finding, Location};
use crate::error::{Error, Result};
use crate::graph::build::{EdgeSpec, NodeSpec};
use crate::graph::{AttrValue, EdgeKind, Evidence, GraphBuilder};

/// The source kind trace declarations carry.
pub const SOURCE: &str = "jaeger";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Link {
    parent: String,
    child: String,
    #[serde(default)]
    call_count: u64,
    #[serde(default)]
    error_count: Option<u64>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    msg: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<Vec<Link>>,
    #[serde(default)]
    errors: Option<Vec<ApiError>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Response {
    Bare(Vec<Link>),
    Envelope(Envelope),
}

/// Loads one dependencies file into `builder`.
///
/// # Errors
/// The file is missing, unreadable, not JSON of either shape (with line and column), or
/// holds an `errors` array.
pub fn load(builder: &mut GraphBuilder, path: &Path, min_calls: u64) -> Result<()> {
    let _t = crate::timing::Phase::start("load traces");
    let file = super::text::read(path)?;
    let bytes = super::text::without_bom(&file);
    let parse_err = |e: serde_json::Error| {
        super::parse_error(
            path,
            (e.line() > 0).then(|| (e.line() as u32, e.column() as u32)),
            super::manifest::json_message(&e),
        )
    };
    // Untagged enums lose serde_json's positions: try each shape and keep the better error.
    let response = match serde_json::from_slice::<Response>(bytes) {
        Ok(r) => r,
        Err(_) => {
            let err = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') => serde_json::from_slice::<Vec<Link>>(bytes).err(),
                _ => serde_json::from_slice::<Envelope>(bytes).err(),
            };
            return Err(match err {
                Some(e) => parse_err(e),
                None => super::parse_error(
                    path,
                    None,
                    "expected Jaeger's {\"data\": [...]} or Zipkin's [...] dependency links".into(),
                ),
            });
        }
    };
    let links = match response {
        Response::Bare(v) => v,
        Response::Envelope(e) => {
            if let Some(errs) = e.errors.filter(|v| !v.is_empty()) {
                let msgs: Vec<String> = errs
                    .iter()
                    .map(|e| match (&e.code, &e.msg) {
                        (Some(c), Some(m)) => format!("{m} (code {c})"),
                        (None, Some(m)) => m.clone(),
                        (Some(c), None) => format!("code {c}"),
                        (None, None) => "unknown error".into(),
                    })
                    .collect();
                return Err(Error::Parse {
                    location: Location::file(path),
                    message: format!("the trace query failed: {}", msgs.join("; ")),
                    help: Some("query /api/dependencies again and save the response".into()),
                });
            }
            e.data.unwrap_or_default()
        }
    };
    let mut merged: BTreeMap<(String, String), (u64, Option<u64>)> = BTreeMap::new();
    for l in links {
        // An empty id is kept: the builder reports it as `blank-id`, as it does "  ".
        if l.parent == l.child && !l.parent.trim().is_empty() {
            continue;
        }
        let e = merged.entry((l.parent, l.child)).or_insert((0, None));
        e.0 = e.0.saturating_add(l.call_count);
        if let Some(n) = l.error_count {
            e.1 = Some(e.1.unwrap_or(0) + n);
        }
    }
    let doc = builder.begin_document(SOURCE, path);
    let mut services: Vec<&str> = merged
        .keys()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    services.sort_unstable();
    services.dedup();
    let mut kept = 0;
    for ((parent, child), (calls, errors)) in &merged {
        if *calls < min_calls {
            continue;
        }
        kept += 1;
        let mut ev = Evidence::new("observed in traces").with("calls", AttrValue::Count(*calls));
        if let Some(e) = errors {
            ev = ev.with("errors", AttrValue::Count(*e));
        }
        builder.add_derived_edge(
            doc,
            EdgeSpec {
                from: parent.as_str().into(),
                to: child.as_str().into(),
                kind: Some(EdgeKind::Sync),
                optional: false,
            },
            ev,
        );
    }
    for s in services {
        builder.add_node(
            doc,
            NodeSpec {
                id: s.into(),
                ..NodeSpec::default()
            },
        );
    }
    if kept == 0 {
        builder.add_finding(
            Finding::new(
                Code::EmptySource,
                if merged.is_empty() {
                    "the trace file holds no dependency links".to_string()
                } else {
                    format!("no dependency link was seen at least {min_calls} times")
                },
            )
            .at(Location::file(path)),
        );
    }
    Ok(())
}
