//! How pictures look, shared by every picture format so they agree: the colour of each
//! risk or tier, the shape of each node kind, the line of each edge kind, and node labels.

use crate::analysis::Risk;
use crate::analysis::picture::{Coloring, Picture, PictureEdge, PictureNode};
use crate::graph::{EdgeKind, NodeKind};

/// A colour level, most severe first: critical / tier 0 … none / untiered.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Shade(pub(crate) usize);

/// Fill colours per shade.
pub(crate) const FILL: [&str; 5] = ["#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#e8e8e8"];
/// Text colour on each fill.
pub(crate) const INK: [&str; 5] = ["#ffffff", "#1a1a1a", "#1a1a1a", "#1a1a1a", "#1a1a1a"];
/// Border colour per shade.
pub(crate) const STROKE: [&str; 5] = ["#7f0000", "#b34700", "#8a7300", "#4d7300", "#6e6e6e"];
/// The class names (Mermaid, HTML) of the shades when colouring by risk.
pub(crate) const RISK_CLASS: [&str; 5] = ["critical", "high", "medium", "low", "none"];
/// The class names of the shades when colouring by tier.
pub(crate) const TIER_CLASS: [&str; 5] = ["tier0", "tier1", "tier2", "tier3", "untiered"];

/// The shade of a node under the picture's colouring.
pub(crate) fn shade(node: &PictureNode, coloring: Coloring) -> Shade {
    match coloring {
        Coloring::Risk => {
            let r = node.impact.as_ref().map_or(Risk::None, |i| i.risk);
            Shade(4 - Risk::ALL.iter().position(|&x| x == r).unwrap_or(0))
        }
        Coloring::Tier => Shade(node.tier.map_or(4, |t| t.get() as usize)),
    }
}

/// The class name of a shade.
pub(crate) fn class(s: Shade, coloring: Coloring) -> &'static str {
    match coloring {
        Coloring::Risk => RISK_CLASS[s.0],
        Coloring::Tier => TIER_CLASS[s.0],
    }
}

/// The legend's words for each shade.
pub(crate) fn shade_labels(coloring: Coloring) -> [&'static str; 5] {
    match coloring {
        Coloring::Risk => ["critical", "high", "medium", "low", "none"],
        Coloring::Tier => ["tier 0", "tier 1", "tier 2", "tier 3", "no tier"],
    }
}

/// How an edge is drawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Line {
    /// sync, build, data.
    Solid,
    /// async.
    Dashed,
    /// optional (any kind).
    Dotted,
    /// startup and telemetry: drawn, but do not propagate by default.
    Faint,
    /// dev (only when asked for).
    Dev,
}

impl Line {
    pub(crate) fn of(e: &PictureEdge) -> Line {
        match e.kind {
            EdgeKind::Dev => Line::Dev,
            EdgeKind::Startup | EdgeKind::Telemetry => Line::Faint,
            _ if e.optional => Line::Dotted,
            EdgeKind::Async => Line::Dashed,
            _ => Line::Solid,
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Line::Solid => "solid",
            Line::Dashed => "dashed",
            Line::Dotted => "dotted",
            Line::Faint => "faint",
            Line::Dev => "dev",
        }
    }
    /// What the legend says.
    pub(crate) fn legend(self) -> &'static str {
        match self {
            Line::Solid => "sync, build, data",
            Line::Dashed => "async",
            Line::Dotted => "optional",
            Line::Faint => "startup, telemetry",
            Line::Dev => "dev",
        }
    }
    pub(crate) fn color(self) -> &'static str {
        match self {
            Line::Solid | Line::Dashed | Line::Dotted => "#4a4a4a",
            Line::Faint | Line::Dev => "#b8b8b8",
        }
    }
    /// An SVG `stroke-dasharray`, if any.
    pub(crate) fn dash(self) -> Option<&'static str> {
        match self {
            Line::Solid | Line::Faint => None,
            Line::Dashed => Some("7 4"),
            Line::Dotted | Line::Dev => Some("2 3"),
        }
    }
    pub(crate) fn width(self) -> f64 {
        match self {
            Line::Solid | Line::Dashed | Line::Dotted => 1.4,
            Line::Faint | Line::Dev => 1.0,
        }
    }
}

/// The second line of a node's label.
pub(crate) fn subtitle(node: &PictureNode, coloring: Coloring) -> String {
    let mut parts: Vec<String> = Vec::new();
    match coloring {
        Coloring::Risk => {
            if let Some(i) = &node.impact {
                parts.push(i.risk.to_string());
            }
            parts.push(node.kind.to_string());
        }
        Coloring::Tier => {
            parts.push(node.kind.to_string());
            if let Some(t) = node.tier {
                parts.push(format!("tier {t}"));
            }
        }
    }
    if !node.folded.is_empty() {
        parts.push(format!(
            "+{} module{}",
            node.folded.len(),
            if node.folded.len() == 1 { "" } else { "s" }
        ));
    }
    if node.changed {
        parts.push("changed".to_string());
    }
    parts.join(" · ")
}

/// The longest id a tooltip shows, in characters ([`clip`]ped past it).
const TOOLTIP_ID_CHARS: usize = 120;

/// A path a tooltip shows whole up to this many nodes; a longer one keeps its first and
/// last few and says how many are left out.
const TOOLTIP_PATH_NODES: usize = 12;

/// The longest list of owners or modules a tooltip shows, in characters.
const TOOLTIP_LIST_CHARS: usize = 600;

/// An edge's tooltip: `a → b: sync optional, strength 0.50 (3 edges)`.
pub(crate) fn edge_tooltip(p: &Picture, e: &PictureEdge) -> String {
    let mut s = format!(
        "{} → {}: {}{}, strength {}",
        clip(&p.nodes[e.from].id, TOOLTIP_ID_CHARS),
        clip(&p.nodes[e.to].id, TOOLTIP_ID_CHARS),
        e.kind,
        if e.optional { " optional" } else { "" },
        super::fmt_strength(e.strength),
    );
    if e.count > 1 {
        s.push_str(&format!(" ({} edges)", e.count));
    }
    s
}

/// A tooltip: every attribute of a node on its own line. Ids are [`clip`]ped (one line
/// each), a long path keeps its ends, and long lists are cut, so a tooltip stays readable
/// and within what Graphviz reads (a quoted string of at most 16,384 bytes).
pub(crate) fn tooltip(node: &PictureNode) -> String {
    let id = |s: &str| clip(s, TOOLTIP_ID_CHARS);
    let mut s = format!("{} ({})", id(&node.id), node.kind);
    if let Some(t) = node.tier {
        s.push_str(&format!("\ntier {t}"));
    }
    if node.customer_facing {
        s.push_str("\ncustomer-facing");
    }
    if let Some(i) = &node.impact {
        let n = i.path.len();
        let path: Vec<String> = if n <= TOOLTIP_PATH_NODES {
            i.path.iter().map(|p| id(p)).collect()
        } else {
            let ends = TOOLTIP_PATH_NODES / 2;
            let left = n - 2 * ends;
            (i.path[..ends].iter().map(|p| id(p)))
                .chain([format!("… {left} more …")])
                .chain(i.path[n - ends..].iter().map(|p| id(p)))
                .collect()
        };
        s.push_str(&format!(
            "\nrisk {}, distance {}, strength {}\npath: {}",
            i.risk,
            i.distance,
            super::fmt_strength(i.strength),
            path.join(" → ")
        ));
    }
    let list = |items: &[String]| {
        let items: Vec<String> = items.iter().map(|o| id(o)).collect();
        clip(&items.join(", "), TOOLTIP_LIST_CHARS)
    };
    if !node.owners.is_empty() {
        s.push_str(&format!("\nowners: {}", list(&node.owners)));
    }
    if !node.folded.is_empty() {
        s.push_str(&format!("\nmodules: {}", list(&node.folded)));
    }
    s
}

/// The longest heading a picture shows, in characters (a few long ids would make a picture
/// as wide as a house; Graphviz refuses labels past 65,535 points).
const HEADING_CHARS: usize = 160;

/// The longest note line a picture shows, in characters.
const NOTE_CHARS: usize = 300;

/// One line naming what the picture shows (title and risk), as [`clip`] shows it.
pub(crate) fn heading(p: &Picture) -> String {
    let risk = p.risk.map(|r| format!(" — risk {r}")).unwrap_or_default();
    let room = HEADING_CHARS.saturating_sub(risk.chars().count());
    format!("{}{risk}", clip(&p.title, room))
}

/// A note line as pictures show it ([`clip`]ped).
pub(crate) fn note(s: &str) -> String {
    clip(s, NOTE_CHARS)
}

/// Which shades, kinds and lines appear in the picture (the legend lists only those).
pub(crate) fn used(p: &Picture) -> (Vec<Shade>, Vec<NodeKind>, Vec<Line>) {
    let mut shades: Vec<Shade> = p.nodes.iter().map(|n| shade(n, p.coloring)).collect();
    shades.sort();
    shades.dedup();
    let mut kinds: Vec<NodeKind> = p.nodes.iter().map(|n| n.kind).collect();
    kinds.sort();
    kinds.dedup();
    let mut lines: Vec<Line> = p.edges.iter().map(Line::of).collect();
    lines.sort();
    lines.dedup();
    (shades, kinds, lines)
}

/// A label as pictures show it: on one line (a line break inside it is a visible `\u{a}`,
/// so an id cannot pose as a second line of its label), bidirectional controls as visible
/// `\u{202e}` escapes (see [`is_bidi_control`](super::is_bidi_control)), shortened to `max`
/// characters and ended with `…` when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    let s = super::show_bidi(s);
    let s = if s.contains('\n') {
        std::borrow::Cow::Owned(s.replace('\n', "\\u{a}"))
    } else {
        s
    };
    let s = s.as_ref();
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
