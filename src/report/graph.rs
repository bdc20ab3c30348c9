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
//! implies them).

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::analysis::listing::{EdgeRow, Listing};
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

/// A path with `/` separators (stable across platforms).
fn slash(p: &std::path::Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

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
        provenance: n.origins().map(origin_json).collect(),
    }
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    from: &'a str,
    to: &'a str,
    kind: &'static str,
    optional: bool,
    provenance: Vec<OriginJson<'a>>,
}

fn edge_json<'a>(e: &EdgeRow<'a>) -> EdgeJson<'a> {
    EdgeJson {
        from: e.from.id().as_str(),
        to: e.to.id().as_str(),
        kind: e.kind.as_str(),
        optional: e.optional,
        provenance: e.origins.iter().map(|o| origin_json(o)).collect(),
    }
}

struct Seq<I>(std::cell::RefCell<Option<I>>);

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Seq<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let it = self.0.borrow_mut().take().expect("serialized once");
        s.collect_seq(it)
    }
}

/// Writes the listing as JSON (one line).
pub fn json(w: &mut dyn Write, l: &Listing<'_>) -> io::Result<()> {
    #[derive(Serialize)]
    struct Doc<N, E> {
        schema: &'static str,
        nodes: N,
        edges: E,
    }
    let doc = Doc {
        schema: GRAPH_SCHEMA,
        nodes: Seq(std::cell::RefCell::new(Some(l.nodes.iter().map(node_json)))),
        edges: Seq(std::cell::RefCell::new(Some(l.edges.iter().map(edge_json)))),
    };
    let mut w = io::BufWriter::new(w);
    serde_json::to_writer(&mut w, &doc)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// Writes rows as aligned columns (the last column is not padded).
fn table(w: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let last = cells.len() - 1;
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.clone()
                } else {
                    format!("{c}{}", " ".repeat(widths[i] - c.chars().count()))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    writeln!(w, "  {}", line(&head))?;
    for r in rows {
        writeln!(w, "  {}", line(r))?;
    }
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn place(o: &Origin) -> String {
    match o.line {
        Some(l) => format!("{}:{l}", slash(&o.file)),
        None => slash(&o.file),
    }
}

/// Writes the listing as text: a summary, then nodes and edges with where they came from.
pub fn text(w: &mut dyn Write, l: &Listing<'_>) -> io::Result<()> {
    let edge_count: usize = l.edges.iter().map(|e| e.origins.len()).sum();
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
    table(w, &["SOURCE", "NODES", "EDGES", "FILES"], &rows)?;

    writeln!(w, "\nnodes:")?;
    let rows: Vec<Vec<String>> = l
        .nodes
        .iter()
        .map(|n| {
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
        })
        .collect();
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
        &rows,
    )?;

    writeln!(w, "\nedges (from → to: from depends on to):")?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for e in &l.edges {
        for (i, o) in e.origins.iter().enumerate() {
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
            let kind = if e.optional {
                format!("{} (optional)", e.kind)
            } else {
                e.kind.to_string()
            };
            rows.push(if i == 0 {
                vec![
                    format!("{} → {}", e.from.id(), e.to.id()),
                    kind,
                    o.source.clone(),
                    place(o),
                    evidence,
                ]
            } else {
                vec![
                    String::new(),
                    String::new(),
                    o.source.clone(),
                    place(o),
                    evidence,
                ]
            });
        }
    }
    if rows.is_empty() {
        writeln!(w, "  (none)")?;
    } else {
        table(w, &["EDGE", "KIND", "SOURCE", "WHERE", "EVIDENCE"], &rows)?;
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
        table(w, &["EDGE", "KIND", "FROM", "BY"], &rows)?;
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
        table(w, &["POLICY", "WHERE", "ISOLATES", "LETS IN"], &rows)?;
    }
    if !l.findings.is_empty() {
        writeln!(w, "\nwhile loading:")?;
        for f in &l.findings {
            writeln!(w, "{f}")?;
        }
    }
    Ok(())
}
