//! GitHub Actions annotations: `blast ci --annotations github` writes the findings as
//! workflow commands on standard output, where the runner turns them into annotations on
//! the changed files.
//!
//! # Format
//!
//! One line per finding:
//!
//! ```text
//! ::error file=services/payment/src/lib.rs,line=3,title=blast-radius change-risk::risk critical: …
//! ```
//!
//! The level is the finding's severity (`error`, `warning`, `notice` for notes). Values are
//! escaped by the runner's rules (`actions/runner`, `ActionCommand.cs`), so no name from a
//! graph file, path or commit message can end a property or start a second command: in the
//! message `%` → `%25`, CR → `%0D`, LF → `%0A`; in properties also `:` → `%3A` and `,` →
//! `%2C`. Before that, names in messages and titles pass through [`inert`] as in the text
//! reports: other control characters (ESC, NUL, NEL), line and paragraph separators and
//! bidirectional controls show as `\u{1b}`-style escapes, a CR or LF inside a name as
//! `\r`, `\n`; the only line break in a message is the one before the help. The `file`
//! property keeps the path exactly (the runner matches it to the diff), escaped by the
//! property rules. Messages are cut to [`MAX_MESSAGE`] characters (the runner keeps 4,096).
//!
//! The runner shows at most 10 annotations of each level per step, so at most
//! [`PER_LEVEL`] are written per level, most severe and riskiest first; when there are
//! more, the tenth is a roll-up of the same level saying how many were left out, where,
//! and which of the run's other outputs ([`Listed`]) hold them all: only outputs written
//! and holding every one of them (not a SARIF file past its 5,000 results, nor a summary
//! whose findings table was cut); with none, that `--json FILE` lists them.

use std::io::{self, Write};

use super::inert;
use crate::analysis::ci::CiFinding;
use crate::codes::Severity;

/// Annotations per level (the runner's limit per step).
pub const PER_LEVEL: usize = 10;

/// Messages longer than this many characters are cut, with `…`.
pub const MAX_MESSAGE: usize = 4000;

/// Escapes a command's message (data).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_MESSAGE - 1).collect();
    out.push('…');
    out
}

/// One workflow command.
pub fn command(
    severity: Severity,
    file: Option<&str>,
    line: Option<u32>,
    title: &str,
    message: &str,
) -> String {
    let mut props = Vec::new();
    if let Some(f) = file {
        props.push(format!("file={}", escape_property(f)));
        if let Some(l) = line {
            props.push(format!("line={l}"));
        }
    }
    props.push(format!("title={}", escape_property(title)));
    format!(
        "::{} {}::{}\n",
        level(severity),
        props.join(","),
        escape_data(&cut(message))
    )
}

/// Another output of the same run that lists findings: its name as the roll-up names it
/// (`the step summary`, `--sarif`) and how many of the findings it holds, the first ones
/// (all of them, or fewer: SARIF keeps the most severe 5,000, a cut summary fewer rows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The output's name.
    pub name: &'static str,
    /// How many of the findings, from the first, it holds.
    pub holds: usize,
}

/// The roll-up's last sentence: the outputs in `listed` that hold every finding of
/// `rest` (whose greatest index in the findings is `last`), else how to get them.
fn where_all(listed: &[Listed], last: usize) -> String {
    let names: Vec<&str> = listed
        .iter()
        .filter(|l| l.holds > last)
        .map(|l| l.name)
        .collect();
    match names.as_slice() {
        [] => "--json FILE lists them all.".to_string(),
        [one] => format!("{one} lists them all."),
        [first @ .., last] => format!("{} and {last} list them all.", first.join(", ")),
    }
}

/// Writes the annotations for `findings` (already sorted most severe first). A roll-up
/// names the outputs in `listed` that hold every finding it stands for.
pub fn write(w: &mut dyn Write, findings: &[CiFinding], listed: &[Listed]) -> io::Result<()> {
    for sev in [Severity::Error, Severity::Warning, Severity::Note] {
        let of: Vec<(usize, &CiFinding)> = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.finding.severity == sev)
            .collect();
        let shown = if of.len() > PER_LEVEL {
            PER_LEVEL - 1
        } else {
            of.len()
        };
        for (_, f) in &of[..shown] {
            let path = f.path();
            w.write_all(
                command(
                    sev,
                    Some(&path),
                    Some(f.line()),
                    &inert(&format!("blast-radius {}", f.finding.code)),
                    &format!("{}\n{}", inert(&f.finding.message), inert(&f.finding.help)),
                )
                .as_bytes(),
            )?;
        }
        if of.len() > shown {
            let rest = &of[shown..];
            let last = rest.iter().map(|(i, _)| *i).max().unwrap_or(0);
            let mut files: Vec<String> = rest.iter().map(|(_, f)| f.path()).collect();
            files.sort();
            files.dedup();
            let files_named: Vec<String> = files.iter().take(20).map(|f| inert(f)).collect();
            let more = if files.len() > 20 {
                format!(" and {} more", files.len() - 20)
            } else {
                String::new()
            };
            w.write_all(
                command(
                    sev,
                    None,
                    None,
                    "blast-radius",
                    &format!(
                        "… and {} more {} findings (GitHub shows at most {PER_LEVEL} per level), in: {}{more}. {}",
                        rest.len(),
                        level(sev),
                        files_named.join(", "),
                        where_all(listed, last)
                    ),
                )
                .as_bytes(),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a workflow command the way the runner does (`ActionCommand.TryParseV2`), to
    /// prove escaped values come back whole and forge nothing.
    type Parsed = (String, Vec<(String, String)>, String);

    fn parse(line: &str) -> Option<Parsed> {
        let line = line.trim_start();
        let rest = line.strip_prefix("::")?;
        let end = rest.find("::")?;
        let (cmd_info, data) = (&rest[..end], &rest[end + 2..]);
        let (name, props) = cmd_info.split_once(' ').unwrap_or((cmd_info, ""));
        let unescape_prop = |s: &str| {
            s.replace("%0D", "\r")
                .replace("%0A", "\n")
                .replace("%3A", ":")
                .replace("%2C", ",")
                .replace("%25", "%")
        };
        let props = props
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), unescape_prop(v))
            })
            .collect();
        let data = data
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%");
        Some((name.to_string(), props, data))
    }

    proptest::proptest! {
        #[test]
        fn commands_round_trip_and_stay_one_line(file in "\\PC*|[,:%=\r\n a]{0,20}", msg in "\\PC*|[,:%=\r\n a]{0,40}") {
            let c = command(Severity::Warning, Some(&file), Some(3), "t,i:tle", &msg);
            proptest::prop_assert_eq!(c.matches('\n').count(), 1);
            proptest::prop_assert!(!c.contains('\r'));
            let (name, props, data) = parse(c.trim_end_matches('\n')).unwrap();
            proptest::prop_assert_eq!(name, "warning");
            proptest::prop_assert_eq!(props.len(), 3);
            proptest::prop_assert_eq!(&props[0], &("file".to_string(), file.clone()));
            proptest::prop_assert_eq!(&props[1], &("line".to_string(), "3".to_string()));
            proptest::prop_assert_eq!(&props[2], &("title".to_string(), "t,i:tle".to_string()));
            if msg.chars().count() <= MAX_MESSAGE {
                proptest::prop_assert_eq!(data, msg);
            }
        }
    }

    #[test]
    fn hostile_values_cannot_forge() {
        let c = command(
            Severity::Error,
            Some("a,line=99,title=x::warning::forged\n::error::two.rs"),
            Some(1),
            "t",
            "%0A::error::x\r\n::warning file=y::z",
        );
        assert_eq!(
            c,
            "::error file=a%2Cline=99%2Ctitle=x%3A%3Awarning%3A%3Aforged%0A%3A%3Aerror%3A%3Atwo.rs,line=1,title=t::%250A::error::x%0D%0A::warning file=y::z\n"
        );
    }
}
