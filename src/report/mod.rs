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
use std::io::{self, Write};
use std::ops::Range;
use std::str::FromStr;

use rayon::prelude::*;

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

/// The columns `s` takes in a terminal: a wide (CJK) character takes two, a combining
/// accent none. Text tables align by it.
pub(crate) fn display_width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        unicode_width::UnicodeWidthStr::width(s)
    }
}

/// `1 node`, `3 nodes`: a count and the word that fits it.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A strength as text: two decimals, cut rather than rounded (within the walker's tolerance,
/// [`STRENGTH_TIE`](crate::graph::reach::STRENGTH_TIE)), so what is shown meets exactly the
/// thresholds of two decimals (as the defaults are) the strength meets: 0.998 shows as 0.99
/// (a tier-0 node there is high, not critical), 0.7 × 0.7 = 0.48999999999999994 as 0.49.
pub fn fmt_strength(s: f64) -> String {
    let cut = (s * 100.0 * (1.0 + crate::graph::reach::STRENGTH_TIE)).floor() / 100.0;
    format!("{cut:.2}")
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

/// Whether pictures show `c` as an escape: a control or bidirectional character.
pub(crate) fn unprintable(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
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
            c if shown_as_escape(c) => push_code(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Whether [`inert`] (and a Mermaid label) shows `c` as an escape.
pub(crate) fn shown_as_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_bidi_control(c)
}

/// [`inert`] of a string already owned: returned as it is when nothing in it needs an
/// escape (almost every name), so tables of a million cells copy nothing.
pub(crate) fn inert_owned(s: String) -> String {
    if s.chars().any(shown_as_escape) {
        inert(&s)
    } else {
        s
    }
}

/// A message for the terminal (an error, a warning) with every control character but the
/// line feed, and every line or paragraph separator and bidirectional control, shown as an
/// escape ([`inert`] without the line feed). The line feeds left are the message's own:
/// names inside it went through [`inert`] where the message was made.
pub fn inert_lines(s: &str) -> String {
    s.split('\n').map(inert).collect::<Vec<_>>().join("\n")
}

/// Writes `n` items formatted in parallel: blocks of `per_block` items (so a list of
/// millions is never held in memory whole), each cut into runs of `per_task` items that
/// `task` appends to the buffer it is given (with scratch state `S` made once per run).
/// The runs are written in order, `sep` between two, so the bytes are the same on any
/// number of threads.
pub(crate) fn write_parallel<S: Default>(
    w: &mut dyn Write,
    n: usize,
    per_task: usize,
    per_block: usize,
    sep: &[u8],
    task: impl Fn(&mut Vec<u8>, Range<usize>, &mut S) + Sync,
) -> io::Result<()> {
    let mut first = true;
    for block in (0..n).step_by(per_block.max(1)) {
        let end = n.min(block.saturating_add(per_block));
        let parts: Vec<Vec<u8>> = (block..end)
            .into_par_iter()
            .step_by(per_task.max(1))
            .map(|start| {
                let r = start..end.min(start.saturating_add(per_task));
                let mut b = Vec::with_capacity(r.len() * 256);
                let mut scratch = S::default();
                task(&mut b, r, &mut scratch);
                b
            })
            .collect();
        for part in parts {
            if !first {
                w.write_all(sep)?;
            }
            first = false;
            w.write_all(&part)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_parallel;

    #[test]
    fn parallel_writes_are_in_order_whatever_the_task_and_block_sizes() {
        for n in 0..40 {
            let want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            for per_task in 1..6 {
                for per_block in 1..12 {
                    let mut out = Vec::new();
                    write_parallel(
                        &mut out,
                        n,
                        per_task,
                        per_block,
                        b",",
                        |b, r, _: &mut ()| {
                            let items: Vec<String> = r.map(|i| i.to_string()).collect();
                            b.extend_from_slice(items.join(",").as_bytes());
                        },
                    )
                    .unwrap();
                    assert_eq!(String::from_utf8(out).unwrap(), want.join(","));
                }
            }
        }
    }
}
