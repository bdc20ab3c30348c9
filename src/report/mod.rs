//! Reports: the analysis models written out in a format.
//!
//! Renderers read only the analysis models ([`Impact`](crate::analysis::Impact),
//! [`Why`](crate::analysis::Why), [`CheckReport`](crate::analysis::CheckReport)) and never
//! compute: one file per format, each writing into any [`std::io::Write`].
//!
//! The CI outputs of `blast ci` read a [`CiReport`](crate::analysis::ci::CiReport): the
//! [`markdown`] summary, [`github`] annotations, [`sarif`] and [`gitlab`] Code Quality,
//! plus the text and JSON reports. Every name they print passes through an escaper for its
//! format ([`inert`] for terminals and logs).
//!
//! Pictures ([`dot`], [`svg`], [`mermaid`], [`html`]) draw a
//! [`Picture`](crate::analysis::picture::Picture), the one model that says which nodes,
//! edges and clusters are drawn; [`style`] keeps their colours, shapes and lines in step.

pub mod dot;
pub mod github;
pub mod gitlab;
pub mod graph;
pub mod html;
pub mod json;
pub mod layout;
pub mod markdown;
pub mod mermaid;
pub mod sarif;
pub(crate) mod style;
pub mod svg;
pub mod text;

use std::fmt;
use std::str::FromStr;

/// An output format.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Aligned text for a terminal (the default).
    Text,
    /// JSON with a versioned schema.
    Json,
    /// Graphviz DOT.
    Dot,
    /// SVG (laid out without any external program, unless asked otherwise).
    Svg,
    /// A Mermaid flowchart in a Markdown code block.
    Mermaid,
    /// A self-contained HTML explorer.
    Html,
}

impl Format {
    /// The keyword used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Dot => "dot",
            Format::Svg => "svg",
            Format::Mermaid => "mermaid",
            Format::Html => "html",
        }
    }

    /// Whether the format is a picture (drawn from a
    /// [`Picture`](crate::analysis::picture::Picture)).
    pub fn is_picture(self) -> bool {
        matches!(
            self,
            Format::Dot | Format::Svg | Format::Mermaid | Format::Html
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "dot" => Ok(Format::Dot),
            "svg" => Ok(Format::Svg),
            "mermaid" => Ok(Format::Mermaid),
            "html" => Ok(Format::Html),
            _ => Err(format!(
                "unknown format '{s}', expected text, json, dot, svg, mermaid or html"
            )),
        }
    }
}

/// A strength as text: two decimals.
pub(crate) fn fmt_strength(s: f64) -> String {
    format!("{s:.2}")
}

/// How many customer-facing and tier-0 nodes a change reaches, the ones it reaches:
/// `3 customer-facing, 2 tier 0` (`None` when neither).
pub(crate) fn critical_reach(s: &crate::analysis::Summary) -> Option<String> {
    let mut parts = Vec::new();
    if s.customer_facing > 0 {
        parts.push(format!("{} customer-facing", s.customer_facing));
    }
    if s.tier0 > 0 {
        parts.push(format!("{} tier 0", s.tier0));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Whether `c` is an invisible character that changes the display order of the text around
/// it (Unicode bidirectional marks, embeddings, overrides and isolates): a name holding one
/// can read as another name ("Trojan Source"), so reports show it as an escape.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// `s` with its bidirectional controls as visible `\u{202e}`-style escapes.
pub(crate) fn show_bidi(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_bidi_control) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_bidi_control(c) {
            push_code(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Appends `c` as a visible `\u{202e}`-style escape.
pub(crate) fn push_code(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// Text with control characters, line and paragraph separators and bidirectional controls
/// shown as escapes (`\n`, `\u{202e}`), so a name stays on one line, reads as written, and
/// cannot start a line a CI runner would obey (a GitHub `::command::`).
pub fn inert(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_bidi_control(c) => {
                push_code(&mut out, c);
            }
            c => out.push(c),
        }
    }
    out
}
