//! Where in each changed file the change starts: the first added or changed line of the
//! head version, read from `git diff -U0`. CI findings point there, because GitHub shows an
//! annotation or a code-scanning alert in a pull request's diff only on lines the pull
//! request changed.

use std::collections::BTreeMap;

use super::git::{Diff, Git, Tree};
use crate::error::Result;

/// The first changed line (1-based, in the head version) of every file of `diff` that has
/// one. Deleted and binary files have none.
///
/// # Errors
/// Git failing.
pub fn first_changed_lines(git: &Git, diff: &Diff) -> Result<BTreeMap<String, u32>> {
    let base = match &diff.base {
        Tree::Commit(c) => c.clone(),
        _ => return Ok(BTreeMap::new()),
    };
    let mut args: Vec<&str> = vec![
        "diff",
        "-U0",
        "-M",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--src-prefix=a/",
        "--dst-prefix=b/",
    ];
    match &diff.head {
        Tree::Commit(h) => {
            args.push(&base);
            args.push(h);
        }
        Tree::Index => {
            args.push("--cached");
            args.push(&base);
        }
        Tree::WorkTree => args.push(&base),
        Tree::Empty => return Ok(BTreeMap::new()),
    }
    args.push("--");
    let out = git.run("diff -U0", &args)?;
    Ok(parse_unified(&out))
}

/// Parses `git diff -U0` output into the first changed line of each new-side file.
pub fn parse_unified(out: &[u8]) -> BTreeMap<String, u32> {
    let mut lines: BTreeMap<String, u32> = BTreeMap::new();
    let mut current: Option<String> = None;
    // For a file whose hunks all delete, the line the first deletion follows.
    let mut fallback: Option<u32> = None;
    // Between `diff --git` and the first hunk (content lines may look like headers).
    let mut in_header = false;
    let flush =
        |cur: &mut Option<String>, fb: &mut Option<u32>, map: &mut BTreeMap<String, u32>| {
            if let (Some(f), Some(l)) = (cur.take(), fb.take()) {
                map.entry(f).or_insert(l.max(1));
            }
        };
    for line in out.split(|&b| b == b'\n') {
        if line.starts_with(b"diff --git ") {
            flush(&mut current, &mut fallback, &mut lines);
            in_header = true;
        } else if in_header && let Some(path) = line.strip_prefix(b"+++ ") {
            flush(&mut current, &mut fallback, &mut lines);
            current = unquote(path).and_then(|p| p.strip_prefix("b/").map(str::to_string));
        } else if line.starts_with(b"@@ ")
            && {
                in_header = false;
                true
            }
            && let Some(cur) = &current
            && !lines.contains_key(cur)
            && let Some((start, count)) = new_side(line)
        {
            if count > 0 {
                lines.insert(cur.clone(), start.max(1));
            } else if fallback.is_none() {
                fallback = Some(start);
            }
        }
    }
    flush(&mut current, &mut fallback, &mut lines);
    lines
}

/// `@@ -a,b +c,d @@` → `(c, d)` (`d` is 1 when left out).
fn new_side(header: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(header).ok()?;
    let plus = text.split(' ').find(|w| w.starts_with('+'))?;
    let mut parts = plus[1..].splitn(2, ',');
    let start = parts.next()?.parse().ok()?;
    let count = match parts.next() {
        Some(c) => c.parse().ok()?,
        None => 1,
    };
    Some((start, count))
}

/// A path as git prints it in a patch header: as is, or C-quoted (`"b/a\nb"`) when it holds
/// special characters. `None` for `/dev/null`.
fn unquote(raw: &[u8]) -> Option<String> {
    let raw = raw.strip_suffix(b"\t").unwrap_or(raw);
    if raw == b"/dev/null" {
        return None;
    }
    let Some(inner) = raw.strip_prefix(b"\"").and_then(|r| r.strip_suffix(b"\"")) else {
        return Some(String::from_utf8_lossy(raw).into_owned());
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        if b != b'\\' || i + 1 >= inner.len() {
            bytes.push(b);
            i += 1;
            continue;
        }
        let e = inner[i + 1];
        i += 2;
        let decoded = match e {
            b'a' => 7,
            b'b' => 8,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 11,
            b'f' => 12,
            b'r' => b'\r',
            b'0'..=b'7' => {
                let digits: Vec<u8> = inner[i - 1..]
                    .iter()
                    .take(3)
                    .take_while(|d| (b'0'..=b'7').contains(d))
                    .copied()
                    .collect();
                i += digits.len() - 1;
                digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0')) as u8
            }
            other => other,
        };
        bytes.push(decoded);
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_lines_of_each_file() {
        let out = b"diff --git a/x.rs b/x.rs\nindex 1..2 100644\n--- a/x.rs\n+++ b/x.rs\n@@ -3,0 +4,2 @@ fn a\n+x\n+++ b/fake.rs\n@@ -9 +11 @@\n-a\n+b\n\
diff --git a/gone.rs b/gone.rs\n--- a/gone.rs\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-a\n\
diff --git \"a/we\\nird \\\"q\\\" \\303\\251.rs\" \"b/we\\nird \\\"q\\\" \\303\\251.rs\"\n--- \"a/we\\nird \\\"q\\\" \\303\\251.rs\"\n+++ \"b/we\\nird \\\"q\\\" \\303\\251.rs\"\n@@ -5,2 +4,0 @@\n-a\n-b\n\
diff --git a/one.rs b/one.rs\n--- a/one.rs\n+++ b/one.rs\n@@ -0,0 +1 @@\n+new\n";
        let m = parse_unified(out);
        assert_eq!(m.get("x.rs"), Some(&4));
        assert_eq!(m.get("gone.rs"), None);
        assert_eq!(m.get("we\nird \"q\" é.rs"), Some(&4));
        assert_eq!(m.get("one.rs"), Some(&1));
        assert_eq!(m.len(), 3, "{m:?}");
    }
}
