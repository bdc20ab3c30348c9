//! Reports: the analysis models written out in a format.
//!
//! Renderers read only the analysis models ([`Impact`](crate::analysis::Impact),
//! [`Why`](crate::analysis::Why), [`CheckReport`](crate::analysis::CheckReport)) and never
//! compute: one file per format, each writing into any [`std::io::Write`].

pub mod graph;
pub mod json;
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
}

impl Format {
    /// The keyword used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
        }
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
            _ => Err(format!("unknown format '{s}', expected text or json")),
        }
    }
}

/// A strength as text: two decimals.
pub(crate) fn fmt_strength(s: f64) -> String {
    format!("{s:.2}")
}
