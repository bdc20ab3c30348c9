//! The HTML explorer: one self-contained page (no network, opens from `file://`) that draws
//! a [`Picture`] with cytoscape.js (vendored in `html/vendor/`, MIT) for pan and zoom, search
//! by id, filters by tier, node kind and edge kind, a details panel (tier, owners, paths,
//! where each node and edge was declared), the blast radius and dependencies of a clicked
//! node, and the strongest path between two nodes.
//!
//! # Format
//!
//! The page embeds the picture as JSON in `<script type="application/json"
//! id="blast-data">` (schema `blast-radius/picture/v1`): `heading`, `coloring` (`risk` or
//! `tier`), `notes`, `palette`, `nodes` (each with `id`, `rank`, `kind`, `tier`, `customer_facing`,
//! `changed`, `owners`, `paths`, `origins`, `part_of`, `folded`, its box `x`, `y`, `w`, `h` (top-left corner and size)
//! from [`layout`](super::layout), and for impact pictures `impact`: `{risk, distance,
//! strength, path}`), `edges` (each with `from`, `to` as node indices, `kind`, `optional`,
//! `strength` under the policy, `part_of`, `count`, `line`, `origin`) and `clusters` (`service`, `members` and the box drawn around them).
//!
//! The explorer computes nothing that `blast` knows: positions come from `blast`'s layout,
//! strengths from the policy; it only walks the embedded edges whose strength is above zero
//! (the blast radius of a clicked node is exactly `blast impact`'s impacted set on the same
//! picture).
//!
//! **Escaping.** In the JSON, `<`, `>`, `&`, U+2028 and U+2029 are written as `\u003c`,
//! `\u003e`, `\u0026`, `\u2028`, `\u2029`, so no id can end the `<script>` element; the page
//! builds its DOM with `textContent` only, and its Content-Security-Policy allows no
//! network access.

use std::io::{self, Write};

use serde::Serialize;

use super::style::{self, Line};
use crate::analysis::Risk;
use crate::analysis::picture::{Coloring, Picture, Provenance};
use crate::graph::{EdgeKind, NodeKind};

/// Schema id of the embedded data.
pub const PICTURE_SCHEMA: &str = "blast-radius/picture/v1";

const TEMPLATE: &str = include_str!("html/explorer.html");
const CSS: &str = include_str!("html/explorer.css");
const APP: &str = include_str!("html/explorer.js");
const CYTOSCAPE: &str = include_str!("html/vendor/cytoscape.min.js");

#[derive(Serialize)]
struct OriginJson<'a> {
    source: &'a str,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
}

fn origin(o: &Provenance) -> OriginJson<'_> {
    OriginJson {
        source: &o.source,
        file: o.file.display().to_string(),
        evidence: o.evidence.as_deref(),
    }
}

#[derive(Serialize)]
struct ImpactJson<'a> {
    risk: Risk,
    distance: u32,
    strength: f64,
    path: &'a [String],
}

#[derive(Serialize)]
struct NodeJson<'a> {
    id: &'a str,
    /// The node's place in the graph's declaration order (see `PictureNode::rank`).
    rank: u32,
    label: String,
    sub: String,
    kind: &'static str,
    tier: Option<u8>,
    customer_facing: bool,
    changed: bool,
    shade: usize,
    owners: &'a [String],
    paths: &'a [String],
    origins: Vec<OriginJson<'a>>,
    part_of: Option<usize>,
    folded: &'a [String],
    impact: Option<ImpactJson<'a>>,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    from: usize,
    to: usize,
    kind: &'static str,
    optional: bool,
    strength: f64,
    part_of: bool,
    count: usize,
    line: &'static str,
    origin: OriginJson<'a>,
}

#[derive(Serialize)]
struct ClusterJson<'a> {
    service: usize,
    members: &'a [usize],
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

#[derive(Serialize)]
struct LineJson {
    name: &'static str,
    legend: &'static str,
    color: &'static str,
}

#[derive(Serialize)]
struct PaletteJson {
    fill: [&'static str; 5],
    ink: [&'static str; 5],
    stroke: [&'static str; 5],
    labels: [&'static str; 5],
    used: Vec<usize>,
}

#[derive(Serialize)]
struct PictureJson<'a> {
    schema: &'static str,
    heading: String,
    coloring: &'static str,
    risk: Option<Risk>,
    notes: &'a [String],
    palette: PaletteJson,
    lines: Vec<LineJson>,
    node_kinds: Vec<&'static str>,
    edge_kinds: Vec<&'static str>,
    nodes: Vec<NodeJson<'a>>,
    edges: Vec<EdgeJson<'a>>,
    clusters: Vec<ClusterJson<'a>>,
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The JSON embedded in the page (before script escaping).
fn data(p: &Picture) -> PictureJson<'_> {
    let lay = super::svg::layout_of(p);
    let (shades, _, lines) = style::used(p);
    PictureJson {
        schema: PICTURE_SCHEMA,
        heading: style::heading(p),
        coloring: match p.coloring {
            Coloring::Risk => "risk",
            Coloring::Tier => "tier",
        },
        risk: p.risk,
        notes: &p.notes,
        palette: PaletteJson {
            fill: style::FILL,
            ink: style::INK,
            stroke: style::STROKE,
            labels: style::shade_labels(p.coloring),
            used: shades.iter().map(|s| s.0).collect(),
        },
        lines: lines
            .iter()
            .map(|l| LineJson {
                name: l.name(),
                legend: l.legend(),
                color: l.color(),
            })
            .collect(),
        node_kinds: NodeKind::ALL.iter().map(|k| k.as_str()).collect(),
        edge_kinds: EdgeKind::ALL.iter().map(|k| k.as_str()).collect(),
        nodes: p
            .nodes
            .iter()
            .zip(&lay.nodes)
            .map(|(n, b)| NodeJson {
                id: &n.id,
                rank: n.rank,
                label: style::clip(&n.id, 40),
                sub: style::subtitle(n, p.coloring),
                kind: n.kind.as_str(),
                tier: n.tier.map(|t| t.get()),
                customer_facing: n.customer_facing,
                changed: n.changed,
                shade: style::shade(n, p.coloring).0,
                owners: &n.owners,
                paths: &n.paths,
                origins: n.origins.iter().map(origin).collect(),
                part_of: n.part_of,
                folded: &n.folded,
                impact: n.impact.as_ref().map(|i| ImpactJson {
                    risk: i.risk,
                    distance: i.distance,
                    strength: i.strength,
                    path: &i.path,
                }),
                x: round(b.x),
                y: round(b.y),
                w: round(b.w),
                h: round(b.h),
            })
            .collect(),
        edges: p
            .edges
            .iter()
            .map(|e| EdgeJson {
                from: e.from,
                to: e.to,
                kind: e.kind.as_str(),
                optional: e.optional,
                strength: e.strength,
                part_of: e.part_of,
                count: e.count,
                line: Line::of(e).name(),
                origin: origin(&e.origin),
            })
            .collect(),
        clusters: p
            .clusters
            .iter()
            .zip(&lay.clusters)
            .map(|(c, b)| ClusterJson {
                service: c.service,
                members: &c.members,
                x: round(b.x),
                y: round(b.y),
                w: round(b.w),
                h: round(b.h),
            })
            .collect(),
    }
}

/// JSON that is safe inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 as
/// `\u` escapes (valid JSON, and nothing can close the element or open a comment).
pub fn script_json<T: Serialize>(value: &T) -> String {
    let raw = serde_json::to_string(value).expect("picture data serializes");
    let mut out = String::with_capacity(raw.len() + raw.len() / 16);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML content.
fn esc_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The explorer page of a picture.
pub fn render(p: &Picture) -> String {
    let data = script_json(&data(p));
    let title = esc_text(&style::heading(p));
    let mut out = String::with_capacity(TEMPLATE.len() + CYTOSCAPE.len() + APP.len() + data.len());
    // Fill `{{NAME}}` slots found in the template only (inserted text is never rescanned).
    let mut rest = TEMPLATE;
    while let Some(start) = rest.find("{{") {
        let end = start + rest[start..].find("}}").expect("template slots are closed");
        out.push_str(&rest[..start]);
        match &rest[start + 2..end] {
            "TITLE" => out.push_str(&title),
            "CSS" => out.push_str(CSS),
            "CYTOSCAPE" => out.push_str(CYTOSCAPE),
            "DATA" => out.push_str(&data),
            "APP" => out.push_str(APP),
            other => unreachable!("unknown template slot {other}"),
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Writes the explorer page of a picture.
pub fn write(w: &mut dyn Write, p: &Picture) -> io::Result<()> {
    w.write_all(render(p).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = script_json(&serde_json::json!({"id": "</script><!--\u{2028}&"}));
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["id"], "</script><!--\u{2028}&");
    }

    proptest::proptest! {
        /// Any text stays inside the script element and parses back unchanged.
        #[test]
        fn script_json_round_trips(s in "\\PC*|[\u{0}-\u{7f}]{0,40}|(</script>|<!--|\u{2028}|&)*") {
            let j = script_json(&serde_json::json!({ "id": s }));
            proptest::prop_assert!(!j.contains(['<', '>', '&', '\u{2028}', '\u{2029}']), "{}", j);
            let back: serde_json::Value = serde_json::from_str(&j).unwrap();
            proptest::prop_assert_eq!(back["id"].as_str().unwrap(), s.as_str());
        }
    }

    #[test]
    fn the_app_compares_strengths_with_the_walkers_tolerance() {
        let tie = format!("var TIE = {:e};", crate::graph::reach::STRENGTH_TIE);
        assert!(APP.contains(&tie), "explorer.js should hold {tie}");
    }

    #[test]
    fn the_vendored_library_and_the_app_hold_no_closing_script_tag() {
        for part in [CYTOSCAPE, APP, CSS] {
            assert!(!part.to_ascii_lowercase().contains("</script"));
        }
    }
}
