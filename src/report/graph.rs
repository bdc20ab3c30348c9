//! `blast graph`: the merged graph as text or as JSON (one file for both formats of this
//! one report, so the listing's text and JSON stay side by side).
//!
//! # Format
//!
//! `blast graph --format json` (`blast-radius/graph/v1`) is the interchange schema of graph
//! files, plus provenance, so the output loads again with `--graph`:
//!
//! ```json
//! {"schema": "blast-radius/graph/v1",
//!  "nodes": [{"id": "quote", "kind": "service", "tier": 2, "customer_facing": false,
//!             "owners": ["@shop/quote"], "aliases": ["quoteservice"],
//!             "provenance": [{"source": "compose", "file": "compose.yaml"}]}],
//!  "edges": [{"from": "shipping", "to": "quote", "kind": "sync", "optional": false,
//!             "provenance": [{"source": "compose", "file": "compose.yaml", "line": 588,
//!                             "evidence": "environment QUOTE_ADDR=http://quote:8090 (value from .env)"}]}]}
//! ```
//!
//! Nodes are sorted by id; `tier`, `owners`, `paths`, `part_of` and `aliases` appear only
//! when set. Edges are sorted by `from`, `to`, `kind`; parallel declarations of one edge
//! are one entry with several `provenance` items, each `{source, file, line?, evidence?,
//! attributes?}` (`attributes`: `target` for Cargo platforms, `calls` and `errors` for
//! traces, `profiles` for Compose). The implicit `part_of` edges are not listed (`part_of`
//! implies them). `provenance` items are sorted by source, file, line, evidence (then the
//! rest), so the output does not depend on the order the files were given in.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use rayon::prelude::*;

use super::json::{
    ITEMS_PER_BLOCK, ITEMS_PER_TASK, push_int, push_joined, push_json, push_json_str,
    push_json_strs, push_node_head, write_array,
};
use super::plural;
use crate::analysis::listing::{EdgeRows, Listing};
use crate::graph::{AttrValue, Node, Origin};

/// Schema id of the graph listing (also accepted by graph files).
pub const GRAPH_SCHEMA: &str = crate::sources::manifest::GRAPH_SCHEMA;

struct Attrs<'a>(&'a [(String, AttrValue)]);

impl Serialize for Attrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct OriginJson<'a> {
    source: &'a str,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Attrs<'a>>,
}

fn origin_json(o: &Origin) -> OriginJson<'_> {
    OriginJson {
        source: &o.source,
        file: slash(&o.file),
        line: o.line,
        evidence: o.evidence.as_deref(),
        attributes: (!o.attributes.is_empty()).then_some(Attrs(&o.attributes)),
    }
}

/// The order `provenance` items are written in: by source, file, line, evidence, then the
/// rest of the item, whatever order the files were loaded in.
type OriginKey<'o> = (&'o str, String, Option<u32>, Option<&'o str>, &'o [u8]);

fn origin_key<'o>(o: &OriginJson<'o>, json: &'o [u8]) -> OriginKey<'o> {
    (o.source, o.file.clone(), o.line, o.evidence, json)
}

/// Each origin's rank in [`origin_key`] order (`json` holds each origin's JSON).
fn origin_ranks(origins: &[Origin], json: &[Vec<u8>]) -> Vec<u32> {
    let keys: Vec<_> = origins
        .iter()
        .zip(json)
        .map(|(o, j)| origin_key(&origin_json(o), j))
        .collect();
    let mut order: Vec<u32> = (0..origins.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
    let mut rank = vec![0u32; origins.len()];
    for (r, &o) in order.iter().enumerate() {
        rank[o as usize] = r as u32;
    }
    rank
}

/// Appends the `provenance` array of origins `ixs`, in rank order.
fn push_provenance<I: Iterator<Item = usize>>(
    b: &mut Vec<u8>,
    ixs: impl Fn() -> I,
    origins: &[Vec<u8>],
    rank: &[u32],
) {
    b.extend_from_slice(b",\"provenance\":[");
    if ixs().is_sorted_by_key(|o| rank[o]) {
        push_joined(b, ixs(), |b, o| b.extend_from_slice(&origins[o]));
    } else {
        let mut v: Vec<usize> = ixs().collect();
        v.sort_unstable_by_key(|&o| rank[o]);
        push_joined(b, v, |b, o| b.extend_from_slice(&origins[o]));
    }
    b.extend_from_slice(b"]}");
}

/// `provenance` in [`origin_key`] order: the oracle of [`push_provenance`].
#[cfg(test)]
fn sorted_provenance<'a>(mut v: Vec<OriginJson<'a>>) -> Vec<OriginJson<'a>> {
    let json: Vec<Vec<u8>> = v.iter().map(|o| serde_json::to_vec(o).unwrap()).collect();
    let mut ix: Vec<usize> = (0..v.len()).collect();
    ix.sort_by(|&a, &b| origin_key(&v[a], &json[a]).cmp(&origin_key(&v[b], &json[b])));
    let mut slots: Vec<Option<OriginJson<'a>>> = v.drain(..).map(Some).collect();
    ix.into_iter().map(|i| slots[i].take().unwrap()).collect()
}

/// A path with `/` separators (stable across platforms).
fn slash(p: &std::path::Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// A node as serde would write it: the oracle of [`push_node`]'s bytes.
#[cfg(test)]
#[derive(Serialize)]
struct NodeJson<'a> {
    id: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<u8>,
    customer_facing: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    owners: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    paths: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    part_of: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    aliases: &'a [String],
    provenance: Vec<OriginJson<'a>>,
}

#[cfg(test)]
fn node_json<'a>(n: &Node<'a>) -> NodeJson<'a> {
    NodeJson {
        id: n.id().as_str(),
        kind: n.kind().as_str(),
        tier: n.tier().map(|t| t.get()),
        customer_facing: n.customer_facing(),
        owners: n.owners().collect(),
        paths: n.paths().collect(),
        part_of: n.part_of().map(|p| p.id().as_str()),
        aliases: n.graph().aliases(n.id().as_str()),
        provenance: sorted_provenance(n.origins().map(origin_json).collect()),
    }
}

/// An edge row as serde would write it: the oracle of [`push_edge`]'s bytes.
#[cfg(test)]
#[derive(Serialize)]
struct EdgeJson<'a> {
    from: &'a str,
    to: &'a str,
    kind: &'static str,
    optional: bool,
    provenance: Vec<OriginJson<'a>>,
}

#[cfg(test)]
fn edge_json<'a>(e: &crate::analysis::listing::EdgeRow<'a>) -> EdgeJson<'a> {
    EdgeJson {
        from: e.from.id().as_str(),
        to: e.to.id().as_str(),
        kind: e.kind.as_str(),
        optional: e.optional,
        provenance: sorted_provenance(e.origins.iter().map(|o| origin_json(o)).collect()),
    }
}

/// Appends `true` or `false`.
fn push_bool(b: &mut Vec<u8>, x: bool) {
    b.extend_from_slice(if x { b"true" } else { b"false" });
}

/// Appends a node of the listing, the bytes serde writes for [`NodeJson`]; `origins` holds
/// the JSON of every origin of the graph, made once.
fn push_node(b: &mut Vec<u8>, n: &Node<'_>, origins: &[Vec<u8>], rank: &[u32]) {
    push_node_head(b, n);
    if let Some(t) = n.tier() {
        b.extend_from_slice(b",\"tier\":");
        push_int(b, t.get());
    }
    b.extend_from_slice(b",\"customer_facing\":");
    push_bool(b, n.customer_facing());
    if n.owners().len() > 0 {
        b.extend_from_slice(b",\"owners\":");
        push_json_strs(b, n.owners());
    }
    if n.paths().len() > 0 {
        b.extend_from_slice(b",\"paths\":");
        push_json_strs(b, n.paths());
    }
    if let Some(p) = n.part_of() {
        b.extend_from_slice(b",\"part_of\":");
        push_json_str(b, p.id().as_str());
    }
    let aliases = n.graph().aliases(n.id().as_str());
    if !aliases.is_empty() {
        b.extend_from_slice(b",\"aliases\":");
        push_json_strs(b, aliases.iter().map(String::as_str));
    }
    push_provenance(
        b,
        || n.origin_ixs().iter().map(|&o| o as usize),
        origins,
        rank,
    );
}

/// Appends edge row `i` of the listing, the bytes serde writes for [`EdgeJson`]; `origins`
/// as for [`push_node`].
fn push_edge(b: &mut Vec<u8>, edges: &EdgeRows<'_>, i: usize, origins: &[Vec<u8>], rank: &[u32]) {
    let d = edges
        .row_declarations(i)
        .next()
        .expect("rows are not empty");
    b.extend_from_slice(b"{\"from\":");
    push_json_str(b, d.from().id().as_str());
    b.extend_from_slice(b",\"to\":");
    push_json_str(b, d.to().id().as_str());
    b.extend_from_slice(b",\"kind\":");
    push_json_str(b, d.kind().as_str());
    b.extend_from_slice(b",\"optional\":");
    push_bool(b, d.optional());
    push_provenance(
        b,
        || edges.row_declarations(i).map(|d| d.origin_ix()),
        origins,
        rank,
    );
}

/// Writes the listing as JSON (one line). Nodes and edges are formatted in parallel, a run
/// at a time, so a graph of millions of edges streams out in bounded memory.
pub fn json(w: &mut dyn Write, l: &Listing<'_>) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    // Each origin's JSON is made once: a graph file is one origin for all its nodes and
    // edges (discovered edges have an origin each, with its line and evidence).
    let origins: Vec<Vec<u8>> = l
        .graph
        .origins()
        .par_iter()
        .map(|o| {
            let mut b = Vec::new();
            push_json(&mut b, &origin_json(o));
            b
        })
        .collect();
    let rank = origin_ranks(l.graph.origins(), &origins);
    // The bytes serde writes for `{"schema":…,"nodes":[…],"edges":[…]}`.
    w.write_all(b"{\"schema\":")?;
    serde_json::to_writer(&mut w, GRAPH_SCHEMA)?;
    let nodes = |b: &mut Vec<u8>, r, _: &mut ()| {
        push_joined(b, r, |b, i| push_node(b, &l.nodes[i], &origins, &rank))
    };
    let edges = |b: &mut Vec<u8>, r, _: &mut ()| {
        push_joined(b, r, |b, i| push_edge(b, &l.edges, i, &origins, &rank))
    };
    w.write_all(b",\"nodes\":")?;
    write_array(
        &mut w,
        l.nodes.len(),
        nodes,
        ITEMS_PER_TASK,
        ITEMS_PER_BLOCK,
    )?;
    w.write_all(b",\"edges\":")?;
    write_array(
        &mut w,
        l.edges.len(),
        edges,
        ITEMS_PER_TASK,
        ITEMS_PER_BLOCK,
    )?;
    w.write_all(b"}\n")?;
    w.flush()
}

/// Rows of a table formatted per task and kept in memory per block (see
/// [`super::write_parallel`]).
const ROWS_PER_TASK: usize = 4096;
const ROWS_PER_BLOCK: usize = 16 * ROWS_PER_TASK;

/// Writes `rows` rows as aligned columns under `header` (the last column is not padded);
/// row `i` has the cells `cells(i)`. The rows are made twice, in parallel, once to measure
/// the columns and once to write them, so a table of millions of rows is never held whole.
fn table(
    w: &mut dyn Write,
    header: &[&str],
    rows: usize,
    cells: impl Fn(usize) -> Vec<String> + Sync,
) -> io::Result<()> {
    // Names in cells shown through `inert`, so every row stays on its line.
    let cells =
        |i: usize| -> Vec<String> { cells(i).into_iter().map(super::inert_owned).collect() };
    let head: Vec<usize> = header.iter().map(|h| super::display_width(h)).collect();
    let widest = |mut a: Vec<usize>, b: &mut dyn Iterator<Item = usize>| {
        for (x, y) in a.iter_mut().zip(b) {
            *x = (*x).max(y);
        }
        a
    };
    let widths = (0..rows)
        .into_par_iter()
        .fold(
            || head.clone(),
            |a, i| widest(a, &mut cells(i).iter().map(|c| super::display_width(c))),
        )
        .reduce(|| head.clone(), |a, b| widest(a, &mut b.into_iter()));
    let line = |b: &mut Vec<u8>, cells: &[String]| {
        let last = cells.len() - 1;
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            if i < last {
                s.extend(std::iter::repeat_n(
                    ' ',
                    widths[i].saturating_sub(super::display_width(c)),
                ));
            }
        }
        b.extend_from_slice(b"  ");
        b.extend_from_slice(s.trim_end().as_bytes());
        b.push(b'\n');
    };
    let mut b = Vec::new();
    line(
        &mut b,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    w.write_all(&b)?;
    super::write_parallel(
        w,
        rows,
        ROWS_PER_TASK,
        ROWS_PER_BLOCK,
        b"",
        |b, r, _: &mut ()| {
            for i in r {
                line(b, &cells(i));
            }
        },
    )
}

/// [`table`] of rows already made.
fn table_of(w: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    table(w, header, rows.len(), |i| rows[i].clone())
}

fn place(o: &Origin) -> String {
    match o.line {
        Some(l) => format!("{}:{l}", slash(&o.file)),
        None => slash(&o.file),
    }
}

/// Writes the listing as text: a summary, then nodes and edges with where they came from.
pub fn text(w: &mut dyn Write, l: &Listing<'_>) -> io::Result<()> {
    let edge_count = l.edges.declaration_count();
    if l.filtered {
        writeln!(
            w,
            "graph: {} and {} touching them (of {} and {})",
            plural(l.nodes.len(), "node", "nodes"),
            plural(edge_count, "edge", "edges"),
            plural(l.graph.node_count(), "node", "nodes"),
            plural(
                l.graph.dependencies().filter(|d| !d.is_implicit()).count(),
                "edge",
                "edges"
            ),
        )?;
    } else {
        writeln!(
            w,
            "graph: {}, {}",
            plural(l.nodes.len(), "node", "nodes"),
            plural(edge_count, "edge", "edges"),
        )?;
    }
    let kinds: Vec<String> = l.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    writeln!(w, "kinds: {}", kinds.join(", "))?;
    writeln!(w, "sources:")?;
    let rows: Vec<Vec<String>> = l
        .by_source
        .iter()
        .map(|(s, c)| {
            vec![
                s.clone(),
                plural(c.nodes, "node", "nodes"),
                plural(c.edges, "edge", "edges"),
                c.files
                    .iter()
                    .map(|f| slash(f))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    table_of(w, &["SOURCE", "NODES", "EDGES", "FILES"], &rows)?;

    writeln!(w, "\nnodes:")?;
    let node_row = |i: usize| -> Vec<String> {
        let n = &l.nodes[i];
        // Discovered sources first, in load order; graph files (overlays) last.
        let mut sources: Vec<&str> = Vec::new();
        for o in n.origins().filter(|o| o.source != "graph") {
            if !sources.contains(&o.source.as_str()) {
                sources.push(&o.source);
            }
        }
        if n.origins().any(|o| o.source == "graph") {
            sources.push("graph");
        }
        let mut also = Vec::new();
        let aliases = l.graph.aliases(n.id().as_str());
        if !aliases.is_empty() {
            also.push(format!("aka {}", aliases.join(", ")));
        }
        if let Some(p) = n.part_of() {
            also.push(format!("part of {}", p.id()));
        }
        vec![
            n.id().to_string(),
            n.kind().to_string(),
            n.tier().map_or("-".into(), |t| t.to_string()),
            if n.customer_facing() { "yes" } else { "no" }.into(),
            {
                let o: Vec<&str> = n.owners().collect();
                if o.is_empty() {
                    "-".into()
                } else {
                    o.join(", ")
                }
            },
            sources.join(", "),
            also.join("; "),
        ]
    };
    table(
        w,
        &[
            "ID",
            "KIND",
            "TIER",
            "CUSTOMER-FACING",
            "OWNERS",
            "FROM",
            "NOTES",
        ],
        l.nodes.len(),
        node_row,
    )?;

    writeln!(w, "\nedges (from → to: from depends on to):")?;
    let edge_row = |i: usize| -> Vec<String> {
        let d = l.edges.declaration(i);
        let o = d.origin();
        let mut evidence = o.evidence.clone().unwrap_or_default();
        let attrs: Vec<String> = o
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !attrs.is_empty() {
            if !evidence.is_empty() {
                evidence.push(' ');
            }
            evidence.push_str(&format!("[{}]", attrs.join(", ")));
        }
        let (edge, kind) = if l.edges.starts_row(i) {
            let kind = if d.optional() {
                format!("{} (optional)", d.kind())
            } else {
                d.kind().to_string()
            };
            (format!("{} → {}", d.from().id(), d.to().id()), kind)
        } else {
            (String::new(), String::new())
        };
        vec![edge, kind, o.source.clone(), place(o), evidence]
    };
    if l.edges.is_empty() {
        writeln!(w, "  (none)")?;
    } else {
        table(
            w,
            &["EDGE", "KIND", "SOURCE", "WHERE", "EVIDENCE"],
            edge_count,
            edge_row,
        )?;
    }

    if !l.removed.is_empty() {
        writeln!(w, "\nremoved by graph files:")?;
        let rows: Vec<Vec<String>> = l
            .removed
            .iter()
            .map(|r| {
                vec![
                    format!("{} → {}", r.from, r.to),
                    r.kind.to_string(),
                    format!("{} {}", r.origin.source, place(&r.origin)),
                    format!("removed by {}", slash(&r.removed_by.file)),
                ]
            })
            .collect();
        table_of(w, &["EDGE", "KIND", "FROM", "BY"], &rows)?;
    }
    if !l.policies.is_empty() {
        writeln!(
            w,
            "\nnetwork policies (evidence of allowed traffic, not edges):"
        )?;
        let few = |v: &[String]| -> String {
            match v.len() {
                0 => "nothing".into(),
                1..=3 => v.join(", "),
                n => format!("{} and {} more", v[..3].join(", "), n - 3),
            }
        };
        let rows: Vec<Vec<String>> = l
            .policies
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    place(&p.origin),
                    few(&p.selects),
                    match &p.allows_from {
                        None => "anyone".into(),
                        Some(v) => few(v),
                    },
                ]
            })
            .collect();
        table_of(w, &["POLICY", "WHERE", "ISOLATES", "LETS IN"], &rows)?;
    }
    if !l.findings.is_empty() {
        writeln!(w, "\nwhile loading:")?;
        for f in &l.findings {
            writeln!(w, "{f}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::analysis::listing::listing;
    use crate::ops::{GraphOptions, Workspace};
    use crate::sources::{SourceKind, SourceOptions, SourceSpec};

    /// The listing as serde writes the old document: the oracle of [`json`].
    fn serde_bytes(l: &Listing<'_>) -> Vec<u8> {
        #[derive(Serialize)]
        struct Doc<'a> {
            schema: &'static str,
            nodes: Vec<NodeJson<'a>>,
            edges: Vec<EdgeJson<'a>>,
        }
        let doc = Doc {
            schema: GRAPH_SCHEMA,
            nodes: l.nodes.iter().map(node_json).collect(),
            edges: l.edges.iter().map(|e| edge_json(&e)).collect(),
        };
        let mut b = serde_json::to_vec(&doc).unwrap();
        b.push(b'\n');
        b
    }

    fn source(kind: SourceKind, path: &str) -> SourceSpec {
        SourceSpec {
            kind,
            paths: vec![PathBuf::from(path)],
            options: SourceOptions::default(),
        }
    }

    #[test]
    fn json_writes_the_bytes_serde_writes() {
        // Ids and values that need escaping, aliases, tiers, owners, paths, `part_of`, an
        // optional edge, and an edge declared by two files (one row, two origins).
        let dir = tempfile::tempdir().unwrap();
        let tricky = serde_json::json!({
            "nodes": [
                {"id": "quo\"te", "kind": "service", "tier": 0, "customer_facing": true,
                 "owners": ["@a\\b", "@é"], "paths": ["svc/\u{1}/**"], "aliases": ["q\nt", "→"]},
                {"id": "line\nbreak", "kind": "module", "part_of": "quo\"te"},
                {"id": "del\u{7f}", "kind": "datastore"}
            ],
            "edges": [
                {"from": "quo\"te", "to": "del\u{7f}", "kind": "data", "optional": true},
                {"from": "line\nbreak", "to": "del\u{7f}", "kind": "sync"}
            ]
        });
        let again = serde_json::json!({
            "nodes": [{"id": "del\u{7f}", "kind": "datastore"}],
            "edges": [{"from": "line\nbreak", "to": "del\u{7f}", "kind": "sync"}]
        });
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(&a, tricky.to_string()).unwrap();
        std::fs::write(&b, again.to_string()).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let cases = [
            (vec![a, b], vec![]),
            // Compose, traces and an overlay: line numbers, evidence, `calls` attributes.
            (
                vec![root.join("graphs/hotrod/overlay.toml")],
                vec![
                    source(SourceKind::Compose, "graphs/hotrod/docker-compose.yml"),
                    source(SourceKind::Jaeger, "graphs/hotrod/dependencies.json"),
                ],
            ),
            // Cargo: `target` attributes.
            (
                vec![root.join("graphs/cargo-workspace/overlay.toml")],
                vec![source(SourceKind::Cargo, "graphs/cargo-workspace")],
            ),
        ];
        for (graphs, sources) in cases {
            let ws = Workspace::load(&GraphOptions {
                config: None,
                graphs,
                sources,
                cwd: root.to_path_buf(),
                no_cache: true,
            })
            .unwrap();
            let some = ws.graph.dependencies().find(|d| !d.is_implicit()).unwrap();
            for ids in [vec![], vec![some.from().id().to_string()]] {
                let l = listing(&ws.graph, &ids, Vec::new()).unwrap();
                assert!(!l.nodes.is_empty() && !l.edges.is_empty());
                let mut out = Vec::new();
                json(&mut out, &l).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    String::from_utf8(serde_bytes(&l)).unwrap()
                );
            }
        }
    }
}
