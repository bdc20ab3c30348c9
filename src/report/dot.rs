//! Graphviz DOT for a [`Picture`]: built as a `dot-structures` syntax tree (with
//! `dot-generator`'s macros) and printed here, deterministically (statements in the
//! picture's order, attributes in a fixed order, two-space indentation).
//!
//! # Format
//!
//! One `digraph`. Graph attributes come first: top-to-bottom ranks and an HTML-like
//! `label` holding the title, the legend (one cell per colour in use, the node shapes and
//! edge lines in use) and the picture's notes. Each cluster (a service and its modules) is
//! a `subgraph cluster_N`. Node names are the graph's ids, quoted (`"` written `\"`), except
//! for an id Graphviz cannot read back as written (one with a backslash, a control or a
//! bidirectional character), which is named `blast:node:N`; every node has an explicit
//! `label` (id, then kind/tier/risk) and `tooltip`. Edges carry `style`, `color`, `penwidth` and a `tooltip` naming the kind,
//! `optional` and the strength.
//!
//! Shapes: service `box` (rounded), module `component`, datastore `cylinder`, queue `cds`,
//! external `hexagon`. Customer-facing nodes get a double border (`peripheries=2`), changed
//! nodes a thick black one.

use std::fmt::Write as _;
use std::io::{self, Write};

use dot_generator::{attr, id};
use dot_structures::{
    Attribute, Edge, EdgeTy, Graph, GraphAttributes, Id, Node, NodeId, Stmt, Subgraph, Vertex,
};

use super::style::{self, Line};
use crate::analysis::picture::{Picture, PictureNode};
use crate::graph::NodeKind;

/// Escapes text for a quoted DOT string whose escape sequences Graphviz interprets
/// (labels, tooltips): `\` → `\\`, `"` → `\"`, newline → `\n`, and other control
/// characters (Graphviz stops reading a string at NUL) and bidirectional controls as
/// visible `\u{0}`-style escapes; cut with `…` past what Graphviz reads ([`MAX_QUOTED`]).
pub fn esc_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut piece = String::new();
    for c in s.chars() {
        piece.clear();
        match c {
            '\\' => piece.push_str("\\\\"),
            '"' => piece.push_str("\\\""),
            '\n' => piece.push_str("\\n"),
            c if super::unprintable(c) => {
                super::push_code(&mut piece, c);
                piece = piece.replace('\\', "\\\\");
            }
            c => piece.push(c),
        }
        // Graphviz refuses a quoted string longer than its limit: a longer text is cut,
        // ended with `…`.
        if out.len() + piece.len() + "…\"".len() > MAX_QUOTED {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    out.push('"');
    out
}

/// The longest quoted string Graphviz reads, in bytes, quotes included.
const MAX_QUOTED: usize = 16_384;

/// Escapes text for an HTML-like label (control characters, which Graphviz's XML reader
/// rejects, and bidirectional controls shown as `\u{202e}`-style escapes).
fn esc_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' => out.push(' '),
            c if super::unprintable(c) => super::push_code(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

fn q(s: &str) -> Id {
    Id::Escaped(esc_string(s))
}

/// An attribute whose value is already an id.
fn a(key: &str, value: Id) -> Attribute {
    Attribute(id!(key), value)
}

/// The longest id, in bytes, used as its own DOT node name (see [`node_id`]): quoted, it
/// stays within what Graphviz reads ([`MAX_QUOTED`]).
const MAX_PLAIN_NAME: usize = 1024;

/// The prefix of synthetic DOT node names (see [`node_id`]).
const SYNTHETIC: &str = "blast:node:";

/// A node's DOT name: its id, quoted, when Graphviz reads it back as written — at most
/// [`MAX_PLAIN_NAME`] bytes, no backslash (in a quoted DOT id only `\"` is an escape, so a
/// backslash before a quote or at the end cannot be written), no control or bidirectional
/// character; otherwise, or when the id starts with the synthetic prefix, `blast:node:N`
/// (N its index in the picture), which no id written as it is can equal. Either way the
/// label shows the id.
fn node_id(p: &Picture, i: usize) -> NodeId {
    let id = &p.nodes[i].id;
    let plain = !id.starts_with(SYNTHETIC)
        && id.len() <= MAX_PLAIN_NAME
        && !id.chars().any(|c| c == '\\' || super::unprintable(c));
    let name = if plain {
        format!("\"{}\"", id.replace('"', "\\\""))
    } else {
        format!("\"{SYNTHETIC}{i}\"")
    };
    NodeId(Id::Escaped(name), None)
}

fn shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Service => ("box", "rounded,filled"),
        NodeKind::Module => ("component", "filled"),
        NodeKind::Datastore => ("cylinder", "filled"),
        NodeKind::Queue => ("cds", "filled"),
        NodeKind::External => ("hexagon", "filled"),
    }
}

fn node_stmt(p: &Picture, i: usize) -> Stmt {
    let n: &PictureNode = &p.nodes[i];
    let s = style::shade(n, p.coloring).0;
    let (shape, fill_style) = shape(n.kind);
    let label = format!(
        "{}\n{}",
        style::clip(&n.id, 48),
        style::subtitle(n, p.coloring)
    );
    let mut attrs = vec![
        a("label", q(&label)),
        attr!("shape", shape),
        a("style", q(fill_style)),
        a("fillcolor", q(style::FILL[s])),
        a("fontcolor", q(style::INK[s])),
        a("tooltip", q(&style::tooltip(n))),
    ];
    if n.changed {
        attrs.push(a("color", q("#000000")));
        attrs.push(attr!("penwidth", "3"));
    } else {
        attrs.push(a("color", q(style::STROKE[s])));
    }
    if n.customer_facing {
        attrs.push(attr!("peripheries", "2"));
    }
    Stmt::Node(Node::new(node_id(p, i), attrs))
}

fn legend(p: &Picture) -> String {
    let (shades, kinds, lines) = style::used(p);
    let labels = style::shade_labels(p.coloring);
    let mut s = String::from("<<table border=\"0\" cellborder=\"0\" cellspacing=\"3\">");
    let _ = write!(
        s,
        "<tr><td align=\"left\"><b>{}</b></td></tr>",
        esc_html(&style::heading(p))
    );
    if !shades.is_empty() {
        s.push_str("<tr><td align=\"left\"><table border=\"0\" cellspacing=\"2\"><tr>");
    }
    for sh in &shades {
        let _ = write!(
            s,
            "<td bgcolor=\"{}\"><font color=\"{}\">{}</font></td>",
            style::FILL[sh.0],
            style::INK[sh.0],
            labels[sh.0]
        );
    }
    if !shades.is_empty() {
        s.push_str("</tr></table></td></tr>");
    }
    let shapes: Vec<String> = kinds
        .iter()
        .map(|&k| format!("{k}: {}", shape(k).0))
        .collect();
    let _ = write!(
        s,
        "<tr><td align=\"left\">shapes: {}; double border: customer-facing; thick black border: changed</td></tr>",
        esc_html(&shapes.join(", "))
    );
    if !lines.is_empty() {
        let l: Vec<String> = lines
            .iter()
            .map(|l| format!("{}: {}", l.name(), l.legend()))
            .collect();
        let _ = write!(
            s,
            "<tr><td align=\"left\">edges (dependent → dependency): {}</td></tr>",
            esc_html(&l.join("; "))
        );
    }
    for note in &p.notes {
        let _ = write!(
            s,
            "<tr><td align=\"left\">{}</td></tr>",
            esc_html(&style::note(note))
        );
    }
    s.push_str("</table>>");
    s
}

/// The DOT syntax tree of a picture.
pub fn graph(p: &Picture) -> Graph {
    let mut stmts: Vec<Stmt> = vec![
        Stmt::GAttribute(GraphAttributes::Graph(vec![
            attr!("rankdir", "TB"),
            attr!("fontname", "Helvetica"),
            attr!("fontsize", "11"),
            attr!("labelloc", "t"),
            attr!("labeljust", "l"),
            attr!("nodesep", "0.35"),
            attr!("ranksep", "0.6"),
            Attribute(id!("label"), Id::Html(legend(p))),
        ])),
        Stmt::GAttribute(GraphAttributes::Node(vec![
            attr!("fontname", "Helvetica"),
            attr!("fontsize", "11"),
            a("margin", q("0.15,0.06")),
        ])),
        Stmt::GAttribute(GraphAttributes::Edge(vec![attr!("arrowsize", "0.7")])),
    ];
    let mut in_cluster = vec![false; p.nodes.len()];
    for (ci, c) in p.clusters.iter().enumerate() {
        let mut body = vec![Stmt::GAttribute(GraphAttributes::Graph(vec![
            a("label", q(&style::clip(&p.nodes[c.service].id, 48))),
            a("style", q("rounded,dashed")),
            a("color", q("#8c8c8c")),
            a("fontcolor", q("#595959")),
        ]))];
        for &m in &c.members {
            in_cluster[m] = true;
            body.push(node_stmt(p, m));
        }
        stmts.push(Stmt::Subgraph(Subgraph {
            id: id!(format!("cluster_{ci}")),
            stmts: body,
        }));
    }
    for (i, _) in in_cluster.iter().enumerate().filter(|(_, c)| !**c) {
        stmts.push(node_stmt(p, i));
    }
    for e in &p.edges {
        let line = Line::of(e);
        let style = match line {
            Line::Solid | Line::Faint => "solid",
            Line::Dashed => "dashed",
            Line::Dotted | Line::Dev => "dotted",
        };
        let tip = style::edge_tooltip(p, e);
        stmts.push(Stmt::Edge(Edge {
            ty: EdgeTy::Pair(Vertex::N(node_id(p, e.from)), Vertex::N(node_id(p, e.to))),
            attributes: vec![
                attr!("style", style),
                a("color", q(line.color())),
                Attribute(id!("penwidth"), Id::Plain(format!("{:.1}", line.width()))),
                a("tooltip", q(&tip)),
            ],
        }));
    }
    Graph::DiGraph {
        id: q("blast-radius"),
        strict: false,
        stmts,
    }
}

/// Prints a DOT syntax tree.
pub fn print(g: &Graph) -> String {
    let mut out = String::new();
    let (kw, id, strict, stmts) = match g {
        Graph::Graph { id, strict, stmts } => ("graph", id, strict, stmts),
        Graph::DiGraph { id, strict, stmts } => ("digraph", id, strict, stmts),
    };
    let arrow = if kw == "digraph" { "->" } else { "--" };
    if *strict {
        out.push_str("strict ");
    }
    let _ = writeln!(out, "{kw} {} {{", id_text(id));
    for s in stmts {
        print_stmt(&mut out, s, 1, arrow);
    }
    out.push_str("}\n");
    out
}

fn id_text(id: &Id) -> &str {
    match id {
        Id::Html(s) | Id::Escaped(s) | Id::Plain(s) | Id::Anonymous(s) => s,
    }
}

fn attrs_text(attrs: &[Attribute]) -> String {
    let parts: Vec<String> = attrs
        .iter()
        .map(|Attribute(k, v)| format!("{}={}", id_text(k), id_text(v)))
        .collect();
    format!("[{}]", parts.join(", "))
}

fn vertex_text(v: &Vertex, depth: usize, arrow: &str) -> String {
    match v {
        Vertex::N(NodeId(id, _)) => id_text(id).to_string(),
        Vertex::S(sg) => {
            let mut s = String::new();
            print_subgraph(&mut s, sg, depth, arrow);
            s.trim_end().to_string()
        }
    }
}

fn print_subgraph(out: &mut String, sg: &Subgraph, depth: usize, arrow: &str) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(out, "subgraph {} {{", id_text(&sg.id));
    for s in &sg.stmts {
        print_stmt(out, s, depth + 1, arrow);
    }
    let _ = writeln!(out, "{pad}}}");
}

fn print_stmt(out: &mut String, s: &Stmt, depth: usize, arrow: &str) {
    let pad = "  ".repeat(depth);
    match s {
        Stmt::Node(n) => {
            let _ = write!(out, "{pad}{}", id_text(&n.id.0));
            if !n.attributes.is_empty() {
                let _ = write!(out, " {}", attrs_text(&n.attributes));
            }
            out.push_str(";\n");
        }
        Stmt::Attribute(Attribute(k, v)) => {
            let _ = writeln!(out, "{pad}{}={};", id_text(k), id_text(v));
        }
        Stmt::GAttribute(ga) => {
            let (kw, a) = match ga {
                GraphAttributes::Graph(a) => ("graph", a),
                GraphAttributes::Node(a) => ("node", a),
                GraphAttributes::Edge(a) => ("edge", a),
            };
            let _ = writeln!(out, "{pad}{kw} {};", attrs_text(a));
        }
        Stmt::Subgraph(sg) => {
            out.push_str(&pad);
            print_subgraph(out, sg, depth, arrow);
        }
        Stmt::Edge(e) => {
            let vs: Vec<String> = match &e.ty {
                EdgeTy::Pair(a, b) => {
                    vec![vertex_text(a, depth, arrow), vertex_text(b, depth, arrow)]
                }
                EdgeTy::Chain(v) => v.iter().map(|x| vertex_text(x, depth, arrow)).collect(),
            };
            let _ = write!(out, "{pad}{}", vs.join(&format!(" {arrow} ")));
            if !e.attributes.is_empty() {
                let _ = write!(out, " {}", attrs_text(&e.attributes));
            }
            out.push_str(";\n");
        }
    }
}

/// Writes a picture as DOT.
pub fn write(w: &mut dyn Write, p: &Picture) -> io::Result<()> {
    w.write_all(print(&graph(p)).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_backslashes_and_newlines() {
        assert_eq!(esc_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(esc_string("a\nb"), r#""a\nb""#);
        assert_eq!(esc_string("nul\0byte\r"), r#""nul\\u{0}byte\\u{d}""#);
        assert_eq!(esc_html("<img src=x>&\""), "&lt;img src=x&gt;&amp;&quot;");
    }

    proptest::proptest! {
        /// Any id makes a node statement that graphviz-rust's parser reads back as one
        /// node with the same id (control characters but the line feed shown as escapes).
        #[test]
        fn ids_parse_back(s in "\\PC*|[\u{0}-\u{7f}]{0,40}") {
            let text = format!("digraph {{ {} [label={}]; }}", esc_string(&s), esc_string(&s));
            let g = graphviz_rust::parse(&text).map_err(proptest::test_runner::TestCaseError::fail)?;
            let Graph::DiGraph { stmts, .. } = g else { unreachable!() };
            let [Stmt::Node(n)] = stmts.as_slice() else {
                return Err(proptest::test_runner::TestCaseError::fail(format!("{stmts:?}")));
            };
            let raw = id_text(&n.id.0);
            let inner = &raw[1..raw.len() - 1];
            let mut back = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => back.push('\n'),
                        Some(x) => back.push(x),
                        None => back.push('\\'),
                    }
                } else {
                    back.push(c);
                }
            }
            let shown: String = s
                .chars()
                .map(|c| match c {
                    '\n' => "\n".to_string(),
                    c if c.is_control() => format!("\\u{{{:x}}}", c as u32),
                    c => c.to_string(),
                })
                .collect();
            proptest::prop_assert_eq!(back, shown);
        }
    }
}
