//! SVG for a [`Picture`], drawn with no external program: nodes placed by the layered
//! [`layout`](super::layout), edges as smooth curves with arrowheads, clusters as boxes,
//! and a legend on top.
//!
//! # Format
//!
//! A standalone SVG 1.1 document (valid XML; every piece of text escaped). Groups:
//! `g.legend`, `g.clusters` (one `g.cluster` per service with modules), `g.edges` (one
//! `path.edge` per edge, with a `<title>` naming its kind and strength), `g.nodes` (one
//! `g.node` per node, `id="nN"` in id order, `data-id` holding the node id, a `<title>`
//! tooltip, an invisible `rect.frame` of the node's box, the shape and two lines of text).
//! Coordinates are rounded to one decimal, so the same picture gives the same bytes.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::layout::{self, Layout, Rect};
use super::style::{self, Line};
use crate::analysis::picture::{Picture, PictureNode};
use crate::graph::NodeKind;

const MARGIN: f64 = 20.0;
const NODE_H: f64 = 42.0;
const FONT: &str = "Helvetica, Arial, sans-serif";
/// Characters of a label drawn before it is cut with `…`.
const MAX_LABEL: usize = 40;

/// Escapes text for XML content and attribute values, and drops characters XML 1.0 cannot
/// hold (control characters other than tab and newline, U+FFFE, U+FFFF).
pub fn esc_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Rounds to one decimal for output.
fn r(v: f64) -> String {
    let x = (v * 10.0).round() / 10.0;
    if x == x.trunc() {
        format!("{}", x as i64)
    } else {
        format!("{x:.1}")
    }
}

/// An estimate of the width of `s` at `size` px in a sans-serif font (generous, so text
/// fits its box in any common font).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| {
            // Widths in ems, rounded up for the widest common sans-serif fonts (DejaVu
            // Sans, Helvetica): a label must fit its box in any of them.
            if matches!(c, '@' | '%' | 'W' | 'M' | 'm') {
                1.0
            } else if c.is_ascii_uppercase() || c == 'w' || c == '#' || c == '&' {
                0.8
            } else if c.is_ascii() {
                0.6
            } else if (c as u32) >= 0x1100 {
                1.05
            } else {
                0.7
            }
        })
        .sum::<f64>()
        * size
}

/// The label lines of a node and the box size they need.
pub(crate) fn node_box(n: &PictureNode, p: &Picture) -> (String, String, f64, f64) {
    let title = style::clip(&n.id, MAX_LABEL);
    let sub = style::subtitle(n, p.coloring);
    let w = text_width(&title, 13.0).max(text_width(&sub, 10.5)) + 28.0;
    (title, sub, w.max(70.0), NODE_H)
}

/// Lays a picture out (the layout the SVG draws).
pub fn layout_of(p: &Picture) -> Layout {
    let sizes: Vec<(f64, f64)> = p
        .nodes
        .iter()
        .map(|n| {
            let (_, _, w, h) = node_box(n, p);
            (w, h)
        })
        .collect();
    let edges: Vec<(usize, usize)> = p.edges.iter().map(|e| (e.from, e.to)).collect();
    let clusters: Vec<Vec<usize>> = p.clusters.iter().map(|c| c.members.clone()).collect();
    layout::layout(&sizes, &edges, &clusters)
}

fn shape(s: &mut String, kind: NodeKind, b: Rect, fill: &str, stroke: &str, width: f64) {
    let (x, y, w, h) = (b.x, b.y, b.w, b.h);
    let paint = format!(
        "fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"",
        r(width)
    );
    match kind {
        NodeKind::Module => {
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" {paint}/>",
                r(x),
                r(y),
                r(w),
                r(h)
            );
            for ty in [y + 7.0, y + h - 15.0] {
                let _ = write!(
                    s,
                    "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"8\" {paint}/>",
                    r(x - 5.0),
                    r(ty)
                );
            }
        }
        NodeKind::Datastore => {
            let e = 6.0;
            let rx = w / 2.0;
            let _ = write!(
                s,
                "<path d=\"M{x0},{y0} A{rx},{e} 0 0 1 {x1},{y0} L{x1},{y1} A{rx},{e} 0 0 1 {x0},{y1} Z\" {paint}/><path d=\"M{x0},{y0} A{rx},{e} 0 0 0 {x1},{y0}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>",
                x0 = r(x),
                y0 = r(y + e),
                x1 = r(x + w),
                y1 = r(y + h - e),
                rx = r(rx),
                e = r(e),
                sw = r(width),
            );
        }
        NodeKind::Queue => {
            let e = 7.0;
            let _ = write!(
                s,
                "<path d=\"M{xa},{y0} L{xb},{y0} A{e},{ry} 0 0 1 {xb},{y1} L{xa},{y1} A{e},{ry} 0 0 1 {xa},{y0} Z\" {paint}/><path d=\"M{xb},{y0} A{e},{ry} 0 0 0 {xb},{y1}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>",
                xa = r(x + e),
                xb = r(x + w - e),
                y0 = r(y),
                y1 = r(y + h),
                e = r(e),
                ry = r(h / 2.0),
                sw = r(width),
            );
        }
        NodeKind::External => {
            let d = 11.0;
            let _ = write!(
                s,
                "<polygon points=\"{},{} {},{} {},{} {},{} {},{} {},{}\" {paint}/>",
                r(x + d),
                r(y),
                r(x + w - d),
                r(y),
                r(x + w),
                r(y + h / 2.0),
                r(x + w - d),
                r(y + h),
                r(x + d),
                r(y + h),
                r(x),
                r(y + h / 2.0)
            );
        }
        _ => {
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" {paint}/>",
                r(x),
                r(y),
                r(w),
                r(h)
            );
        }
    }
}

/// A smooth path through `pts` (vertical tangents at every point).
fn curve(pts: &[(f64, f64)]) -> String {
    let mut d = format!("M{},{}", r(pts[0].0), r(pts[0].1));
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let my = (y1 - y0) / 2.0;
        let _ = write!(
            d,
            " C{},{} {},{} {},{}",
            r(x0),
            r(y0 + my),
            r(x1),
            r(y1 - my),
            r(x1),
            r(y1)
        );
    }
    d
}

struct Legend {
    svg: String,
    width: f64,
    height: f64,
}

fn legend(p: &Picture) -> Legend {
    let (shades, kinds, lines) = style::used(p);
    let mut s = String::from("<g class=\"legend\">");
    let mut y = MARGIN;
    let mut width: f64 = 0.0;
    let heading = style::heading(p);
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\" fill=\"#1a1a1a\">{}</text>",
        r(MARGIN),
        r(y + 14.0),
        esc_xml(&heading)
    );
    width = width.max(text_width(&heading, 16.0) * 1.08);
    y += 28.0;
    // Colours.
    let mut x = MARGIN;
    let caption = match p.coloring {
        crate::analysis::picture::Coloring::Risk => "risk",
        crate::analysis::picture::Coloring::Tier => "tier",
    };
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#595959\">{caption}</text>",
        r(x),
        r(y + 13.0)
    );
    x += 40.0;
    let labels = style::shade_labels(p.coloring);
    for sh in &shades {
        let label = labels[sh.0];
        let w = text_width(label, 11.0) + 16.0;
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" rx=\"4\" fill=\"{}\" stroke=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"{}\">{label}</text>",
            r(x),
            r(y),
            r(w),
            style::FILL[sh.0],
            style::STROKE[sh.0],
            r(x + w / 2.0),
            r(y + 13.0),
            style::INK[sh.0],
        );
        x += w + 6.0;
    }
    // Borders.
    x += 14.0;
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"14\" rx=\"3\" fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"3\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#1a1a1a\">changed</text>",
        r(x),
        r(y + 2.0),
        r(x + 28.0),
        r(y + 13.0)
    );
    x += 28.0 + text_width("changed", 11.0) + 14.0;
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"14\" rx=\"3\" fill=\"#ffffff\" stroke=\"#4a4a4a\"/><rect x=\"{}\" y=\"{}\" width=\"28\" height=\"20\" rx=\"5\" fill=\"none\" stroke=\"#4a4a4a\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#1a1a1a\">customer-facing</text>",
        r(x + 3.0),
        r(y + 2.0),
        r(x),
        r(y - 1.0),
        r(x + 34.0),
        r(y + 13.0)
    );
    x += 34.0 + text_width("customer-facing", 11.0);
    width = width.max(x - MARGIN);
    y += 28.0;
    // Kinds.
    let mut x = MARGIN;
    for &k in &kinds {
        let b = Rect {
            x: x + 5.0,
            y,
            w: 30.0,
            h: 18.0,
        };
        shape(&mut s, k, b, "#ffffff", "#4a4a4a", 1.0);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#1a1a1a\">{k}</text>",
            r(x + 42.0),
            r(y + 13.0)
        );
        x += 42.0 + text_width(k.as_str(), 11.0) + 16.0;
    }
    width = width.max(x - MARGIN);
    y += 28.0;
    // Lines.
    if !lines.is_empty() {
        let mut x = MARGIN;
        for &l in &lines {
            let _ = write!(
                s,
                "<path d=\"M{},{} L{},{}\" stroke=\"{}\" stroke-width=\"{}\"{} marker-end=\"url(#{})\"/>",
                r(x),
                r(y + 9.0),
                r(x + 34.0),
                r(y + 9.0),
                l.color(),
                r(l.width()),
                l.dash()
                    .map(|d| format!(" stroke-dasharray=\"{d}\""))
                    .unwrap_or_default(),
                marker(l)
            );
            let text = l.legend();
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#1a1a1a\">{text}</text>",
                r(x + 42.0),
                r(y + 13.0)
            );
            x += 42.0 + text_width(text, 11.0) + 18.0;
        }
        let note = "arrows point from a dependent to what it depends on";
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#595959\">{note}</text>",
            r(x + 6.0),
            r(y + 13.0)
        );
        x += 6.0 + text_width(note, 11.0);
        width = width.max(x - MARGIN);
        y += 26.0;
    }
    for note in &p.notes {
        let note = style::note(note);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#595959\">{}</text>",
            r(MARGIN),
            r(y + 11.0),
            esc_xml(&note)
        );
        width = width.max(text_width(&note, 11.0));
        y += 18.0;
    }
    s.push_str("</g>");
    Legend {
        svg: s,
        width,
        height: y,
    }
}

fn marker(l: Line) -> &'static str {
    match l {
        Line::Faint | Line::Dev => "arrow-light",
        _ => "arrow-dark",
    }
}

/// Writes a picture as SVG.
pub fn write(w: &mut dyn Write, p: &Picture) -> io::Result<()> {
    w.write_all(render(p).as_bytes())
}

/// The SVG document of a picture.
pub fn render(p: &Picture) -> String {
    let lay = layout_of(p);
    let leg = legend(p);
    let (ox, oy) = (MARGIN + 6.0, leg.height + 12.0);
    let width = (lay.width + 2.0 * MARGIN + 12.0).max(leg.width + 2.0 * MARGIN);
    let height = oy + lay.height + MARGIN + 6.0;
    let mut s = String::with_capacity(4096 + p.nodes.len() * 700 + p.edges.len() * 200);
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\">\n<title>{}</title>\n",
        esc_xml(&style::heading(p)),
        w = r(width),
        h = r(height)
    );
    s.push_str("<defs>");
    for (id, color) in [
        ("arrow-dark", Line::Solid.color()),
        ("arrow-light", Line::Faint.color()),
    ] {
        let _ = write!(
            s,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>"
        );
    }
    s.push_str("</defs>\n");
    let _ = writeln!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        r(width),
        r(height)
    );
    s.push_str(&leg.svg);
    s.push('\n');
    let _ = writeln!(s, "<g transform=\"translate({},{})\">", r(ox), r(oy));
    s.push_str("<g class=\"clusters\">\n");
    for (c, b) in p.clusters.iter().zip(&lay.clusters) {
        let name = &p.nodes[c.service].id;
        let _ = writeln!(
            s,
            "<g class=\"cluster\" data-id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"10\" fill=\"#f6f6f6\" stroke=\"#8c8c8c\" stroke-dasharray=\"5 3\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#595959\">{}</text></g>",
            esc_xml(name),
            r(b.x),
            r(b.y),
            r(b.w),
            r(b.h),
            r(b.x + 10.0),
            r(b.y + 15.0),
            esc_xml(&style::clip(name, MAX_LABEL))
        );
    }
    s.push_str("</g>\n<g class=\"edges\" fill=\"none\">\n");
    for (e, pts) in p.edges.iter().zip(&lay.edges) {
        let l = Line::of(e);
        let tip = style::edge_tooltip(p, e);
        let _ = writeln!(
            s,
            "<path class=\"edge {}\" d=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{} marker-end=\"url(#{})\"><title>{}</title></path>",
            e.kind,
            curve(pts),
            l.color(),
            r(l.width()),
            l.dash()
                .map(|d| format!(" stroke-dasharray=\"{d}\""))
                .unwrap_or_default(),
            marker(l),
            esc_xml(&tip)
        );
    }
    s.push_str("</g>\n<g class=\"nodes\">\n");
    for (i, (n, b)) in p.nodes.iter().zip(&lay.nodes).enumerate() {
        let sh = style::shade(n, p.coloring).0;
        let (title, sub, _, _) = node_box(n, p);
        let _ = write!(
            s,
            "<g class=\"node {}{}{}\" id=\"n{i}\" data-id=\"{}\"><title>{}</title><rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"none\"/>",
            n.kind,
            if n.changed { " changed" } else { "" },
            if n.customer_facing {
                " customer-facing"
            } else {
                ""
            },
            esc_xml(&n.id),
            esc_xml(&style::tooltip(n)),
            r(b.x),
            r(b.y),
            r(b.w),
            r(b.h)
        );
        if n.customer_facing {
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"11\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\"/>",
                r(b.x - 4.0),
                r(b.y - 4.0),
                r(b.w + 8.0),
                r(b.h + 8.0),
                style::STROKE[sh]
            );
        }
        let (stroke, sw) = if n.changed {
            ("#000000", 3.0)
        } else {
            (style::STROKE[sh], 1.2)
        };
        shape(&mut s, n.kind, *b, style::FILL[sh], stroke, sw);
        let _ = writeln!(
            s,
            "<text x=\"{cx}\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\" fill=\"{ink}\">{}</text><text x=\"{cx}\" y=\"{}\" font-size=\"10.5\" text-anchor=\"middle\" fill=\"{ink}\">{}</text></g>",
            r(b.y + 18.0),
            esc_xml(&title),
            r(b.y + 33.0),
            esc_xml(&sub),
            cx = r(b.cx()),
            ink = style::INK[sh],
        );
    }
    s.push_str("</g>\n</g>\n</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping_covers_markup_quotes_and_control_characters() {
        assert_eq!(
            esc_xml("<a href='x'>\"&\"</a>\u{1}"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;\u{FFFD}"
        );
        assert_eq!(esc_xml("a\nb"), "a&#10;b");
    }

    proptest::proptest! {
        /// Any text survives a real XML parser, in content and in attributes (characters
        /// XML cannot hold become U+FFFD).
        #[test]
        fn xml_escaping_round_trips(s in "\\PC*|[\u{0}-\u{7f}]{0,40}") {
            let doc = format!("<t a=\"{}\">{}</t>", esc_xml(&s), esc_xml(&s));
            let parsed = roxmltree::Document::parse(&doc).unwrap();
            let expected: String = s
                .chars()
                .map(|c| match c {
                    '\t' | '\n' | '\r' => c,
                    c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
                    c => c,
                })
                .collect();
            let root = parsed.root_element();
            proptest::prop_assert_eq!(root.attribute("a").unwrap(), expected.as_str());
            proptest::prop_assert_eq!(root.text().unwrap_or(""), expected.as_str());
        }
    }

    #[test]
    fn numbers_are_rounded_for_stable_output() {
        assert_eq!(r(1.0), "1");
        assert_eq!(r(1.26), "1.3");
        assert_eq!(r(-0.04), "0");
    }
}
