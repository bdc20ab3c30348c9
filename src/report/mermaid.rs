//! Mermaid flowcharts for Markdown (GitHub renders ```` ```mermaid ```` blocks).
//!
//! # Format
//!
//! [`markdown`] writes one fenced ```` ```mermaid ```` block holding a `flowchart TB`:
//!
//! * node ids are synthetic (`n0`, `n1`, … in the picture's id order), so no real name can
//!   collide with Mermaid's keywords (`end`, `graph`, `click`…) or edge syntax; the real id
//!   is the node's label;
//! * labels are quoted, with `#` `"` `<` `>` `&` `%` and `` ` `` written as entity codes
//!   (`#35;`, `#quot;`, `#lt;`, `#gt;`, `#amp;`, `#37;`, `#96;`; a `%%{…}%%` in a name must
//!   not read as a Mermaid directive), control characters (line breaks too), line and
//!   paragraph separators and bidirectional controls as `\u{a}`-style escapes ([`label`]);
//! * shapes: service `["…"]`, module `[["…"]]`, datastore `[("…")]`, queue `>"…"]`,
//!   external `{{"…"}}`; a service with modules is a `subgraph`;
//! * one `classDef` per risk (or tier) in use, plus `changed` (thick black dashed border)
//!   and `customer` (thick border); `linkStyle` lines give async edges dashes, optional
//!   ones dots, and startup/telemetry/dev edges a faint grey;
//! * the title and the picture's notes are `%%` comments, their own `%` written `\u{25}`
//!   (Mermaid looks for `%%{` directives even inside comments).
//!
//! **Size budget.** Mermaid refuses charts over 500 edges or 50,000 characters (its
//! `maxEdges` and `maxTextSize` defaults, which a diagram cannot raise; characters as
//! JavaScript counts them, in UTF-16 units, so an emoji counts two). Over budget,
//! [`markdown`] falls back to the services-only picture it is given (modules folded), with
//! a `%%` comment saying so; if that is still too big, to a Markdown table of the nodes with
//! a note saying why.

use std::fmt::Write as _;
use std::io::{self, Write};

// Table cells are code spans (so `@team` notifies nobody and nothing reads as markup),
// with control and bidirectional characters as escapes.
use super::markdown::{cell, cells};
use super::style::{self, Line};
use crate::analysis::picture::{Coloring, Picture};
use crate::graph::NodeKind;

/// Mermaid's limits (its defaults; GitHub does not publish higher ones).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// At most this many edges.
    pub max_edges: usize,
    /// At most this many characters of diagram text.
    pub max_chars: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_edges: 500,
            max_chars: 50_000,
        }
    }
}

/// Rows of the fallback table before it says "… and N more".
pub const TABLE_ROWS: usize = 200;

/// Escapes a label for a quoted Mermaid string. Control characters, line and paragraph
/// separators and bidirectional controls are shown as `\u{202e}`-style escapes, so a label
/// stays on one line (a line break in an id shows as `\u{a}`, not as a space that would
/// make it look like another id) and reads in the order it was written.
pub fn label(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '%' => out.push_str("#37;"),
            c if super::shown_as_escape(c) => super::push_code(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A `%%` comment line: comments end at the line's end, so newlines become spaces, and
/// Mermaid reads a `%%{…}%%` directive anywhere, so `%` is written `\u{25}`.
fn comment(s: &str) -> String {
    let mut one = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => super::push_code(&mut one, c),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => one.push(' '),
            c => one.push_str(&super::show_bidi(c.encode_utf8(&mut [0; 4]))),
        }
    }
    format!("%% {one}\n")
}

/// The length of diagram text as Mermaid measures it (JavaScript's, in UTF-16 units).
fn text_size(s: &str) -> usize {
    s.encode_utf16().count()
}

fn shape(kind: NodeKind, text: &str) -> String {
    match kind {
        NodeKind::Module => format!("[[\"{text}\"]]"),
        NodeKind::Datastore => format!("[(\"{text}\")]"),
        NodeKind::Queue => format!(">\"{text}\"]"),
        NodeKind::External => format!("{{{{\"{text}\"}}}}"),
        _ => format!("[\"{text}\"]"),
    }
}

/// The flowchart text (no fences) of a picture, whatever its size.
pub fn flowchart(p: &Picture) -> String {
    let mut s = String::from("flowchart TB\n");
    s.push_str(&comment(&style::heading(p)));
    for n in &p.notes {
        s.push_str(&comment(n));
    }
    let node_line = |i: usize| {
        let n = &p.nodes[i];
        let text = label(&format!("{} · {}", n.id, style::subtitle(n, p.coloring)));
        format!("n{i}{}\n", shape(n.kind, &text))
    };
    let mut in_cluster = vec![false; p.nodes.len()];
    for (ci, c) in p.clusters.iter().enumerate() {
        let _ = writeln!(
            s,
            "  subgraph c{ci} [\"{}\"]",
            label(&p.nodes[c.service].id)
        );
        for &m in &c.members {
            in_cluster[m] = true;
            s.push_str("    ");
            s.push_str(&node_line(m));
        }
        s.push_str("  end\n");
    }
    for (i, _) in in_cluster.iter().enumerate().filter(|(_, c)| !**c) {
        s.push_str("  ");
        s.push_str(&node_line(i));
    }
    let mut by_line: std::collections::BTreeMap<Line, Vec<usize>> = Default::default();
    for (k, e) in p.edges.iter().enumerate() {
        let l = Line::of(e);
        let arrow = match l {
            Line::Solid | Line::Faint => "-->",
            Line::Dashed | Line::Dotted | Line::Dev => "-.->",
        };
        let _ = writeln!(s, "  n{} {arrow} n{}", e.from, e.to);
        by_line.entry(l).or_default().push(k);
    }
    // Classes: one per shade in use, then changed and customer-facing.
    let mut by_shade: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, n) in p.nodes.iter().enumerate() {
        by_shade
            .entry(style::shade(n, p.coloring).0)
            .or_default()
            .push(i);
    }
    let ids = |v: &[usize]| {
        v.iter()
            .map(|i| format!("n{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    for (sh, members) in &by_shade {
        let name = style::class(style::Shade(*sh), p.coloring);
        let _ = writeln!(
            s,
            "  classDef {name} fill:{},stroke:{},color:{}",
            style::FILL[*sh],
            style::STROKE[*sh],
            style::INK[*sh]
        );
        let _ = writeln!(s, "  class {} {name}", ids(members));
    }
    let customer: Vec<usize> = (0..p.nodes.len())
        .filter(|&i| p.nodes[i].customer_facing)
        .collect();
    if !customer.is_empty() {
        s.push_str("  classDef customer stroke-width:3px\n");
        let _ = writeln!(s, "  class {} customer", ids(&customer));
    }
    let changed: Vec<usize> = (0..p.nodes.len()).filter(|&i| p.nodes[i].changed).collect();
    if !changed.is_empty() {
        s.push_str("  classDef changed stroke:#000000,stroke-width:4px,stroke-dasharray:6 3\n");
        let _ = writeln!(s, "  class {} changed", ids(&changed));
    }
    for (l, edges) in &by_line {
        let style = match l {
            Line::Solid => continue,
            Line::Dashed => "stroke-dasharray:7 4".to_string(),
            Line::Dotted => "stroke-dasharray:2 3".to_string(),
            Line::Faint => format!("stroke:{}", l.color()),
            Line::Dev => format!("stroke:{},stroke-dasharray:2 3", l.color()),
        };
        let list = edges
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let _ = writeln!(s, "  linkStyle {list} {style}");
    }
    s
}

/// Whether a flowchart of `p` stays within the budget.
pub fn fits(p: &Picture, budget: &Budget) -> bool {
    p.edges.len() <= budget.max_edges && text_size(&flowchart(p)) <= budget.max_chars
}

/// The nodes of a picture as a Markdown table (at most [`TABLE_ROWS`] rows): by risk
/// for an impact, by id otherwise.
pub fn table(p: &Picture) -> String {
    let mut s = String::new();
    let mut order: Vec<usize> = (0..p.nodes.len()).collect();
    match p.coloring {
        Coloring::Risk => {
            s.push_str("| risk | node | kind | tier | customer-facing | distance | path |\n|---|---|---|---|---|---|---|\n");
            order.sort_by_key(|&i| {
                let n = &p.nodes[i];
                let imp = n.impact.as_ref();
                (
                    std::cmp::Reverse(imp.map(|x| x.risk)),
                    imp.map_or(u32::MAX, |x| x.distance),
                    i,
                )
            });
        }
        Coloring::Tier => {
            s.push_str(
                "| node | kind | tier | customer-facing | owners |\n|---|---|---|---|---|\n",
            );
        }
    }
    for &i in order.iter().take(TABLE_ROWS) {
        let n = &p.nodes[i];
        let tier = n.tier.map_or("-".to_string(), |t| t.to_string());
        let cf = if n.customer_facing { "yes" } else { "no" };
        match (&n.impact, p.coloring) {
            (Some(imp), Coloring::Risk) => {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {tier} | {cf} | {} | {} |",
                    imp.risk,
                    cell(&n.id),
                    n.kind,
                    imp.distance,
                    cell(&imp.path.join(" → "))
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "| {} | {} | {tier} | {cf} | {} |",
                    cell(&n.id),
                    n.kind,
                    cells(n.owners.iter().map(String::as_str))
                );
            }
        }
    }
    if order.len() > TABLE_ROWS {
        let _ = writeln!(s, "\n… and {} more nodes.", order.len() - TABLE_ROWS);
    }
    s
}

/// Markdown for a picture: a Mermaid block within `budget`; else the flowchart of
/// `services` (the same picture with modules folded, when the caller has one), with a
/// comment saying so; else a table with a note.
pub fn markdown(p: &Picture, services: Option<&Picture>, budget: &Budget) -> String {
    let fence = |body: &str| format!("```mermaid\n{body}```\n");
    let chart = flowchart(p);
    let chars = text_size(&chart);
    if p.edges.len() <= budget.max_edges && chars <= budget.max_chars {
        return fence(&chart);
    }
    let why = format!(
        "the full picture has {} edges and {} characters, over Mermaid's limits of {} edges and {} characters",
        p.edges.len(),
        chars,
        budget.max_edges,
        budget.max_chars
    );
    if let Some(sv) = services
        && sv.edges.len() <= budget.max_edges
    {
        let body = flowchart(sv).replacen(
            "flowchart TB\n",
            &format!(
                "flowchart TB\n{}",
                comment(&format!(
                    "services only: {why}, so modules are folded into their services"
                ))
            ),
            1,
        );
        // Measured with the comment that says why: Mermaid counts it too.
        if text_size(&body) <= budget.max_chars {
            return fence(&body);
        }
    }
    format!(
        "> **Note:** {} is too big for a Mermaid diagram: {why}{}. Its nodes as a table:\n\n{}",
        super::markdown::code(&style::heading(p)),
        if services.is_some() {
            ", even with modules folded into their services"
        } else {
            ""
        },
        table(p)
    )
}

/// Writes the Markdown of [`markdown`].
pub fn write(
    w: &mut dyn Write,
    p: &Picture,
    services: Option<&Picture>,
    budget: &Budget,
) -> io::Result<()> {
    w.write_all(markdown(p, services, budget).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_use_entity_codes() {
        assert_eq!(
            label("a\"b<c>&d#e`f\ng"),
            "a#quot;b#lt;c#gt;#amp;d#35;e#96;f\\u{a}g"
        );
        assert_eq!(label("x --> y ]} end"), "x --#gt; y ]} end");
        assert_eq!(label("pay\u{202e}tnem"), "pay\\u{202e}tnem");
        assert_eq!(label("a\u{2066}b\u{200f}"), "a\\u{2066}b\\u{200f}");
    }

    proptest::proptest! {
        /// Escaped labels hold nothing that ends a quoted label or reads as markup, and
        /// decoding the entity codes gives the text back (control characters, line breaks
        /// and separators as escapes).
        #[test]
        fn labels_are_inert_and_decode_back(s in "\\PC*|[\u{0}-\u{7f}]{0,40}|[a\u{202a}-\u{202e}\u{2066}-\u{2069}\u{200e}\u{200f}]{0,8}") {
            let l = label(&s);
            proptest::prop_assert!(!l.contains(['"', '<', '>', '&', '`', '%', '\n', '\r', '\u{2028}', '\u{2029}']), "{}", l);
            proptest::prop_assert!(!l.chars().any(char::is_control), "{}", l);
            proptest::prop_assert!(!l.chars().any(super::super::is_bidi_control), "{}", l);
            let decoded = l
                .replace("#quot;", "\"")
                .replace("#lt;", "<")
                .replace("#gt;", ">")
                .replace("#amp;", "&")
                .replace("#96;", "`")
                .replace("#37;", "%")
                .replace("#35;", "#");
            let expected: String = s
                .chars()
                .map(|c| match c {
                    c if c.is_control() || super::super::is_bidi_control(c) || c == '\u{2028}' || c == '\u{2029}' => format!("\\u{{{:x}}}", c as u32),
                    c => c.to_string(),
                })
                .collect();
            proptest::prop_assert_eq!(decoded, expected);
        }
    }

    #[test]
    fn names_cannot_restyle_the_chart_or_notify_anyone() {
        // A `%%{init}%%` directive in a name stays text, in labels and in comments.
        let directive = "%%{init: {'themeCSS': '.node {display:none}'}}%%";
        assert_eq!(
            label(directive),
            "#37;#37;{init: {'themeCSS': '.node {display:none}'}}#37;#37;"
        );
        assert_eq!(
            comment(&format!("focus on {directive}")),
            "%% focus on \\u{25}\\u{25}{init: {'themeCSS': '.node {display:none}'}}\\u{25}\\u{25}\n"
        );
        assert_eq!(label("a\u{1}b"), "a\\u{1}b");
        // Table cells are code spans: no mention, no markup, no reordering.
        assert_eq!(cell("@acme/payments"), "`@acme/payments`");
        assert_eq!(cell("a|b <i>"), "`a\\|b <i>`");
        assert_eq!(cell("pay\u{202e}tnem"), "`pay\\u{202e}tnem`");
        // Mermaid measures text in UTF-16 units.
        assert_eq!(text_size("😀a"), 3);
    }
}
