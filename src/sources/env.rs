//! Compose-style variables: `.env` files and `${VAR}` interpolation.
//!
//! `.env` lines are `KEY=value` (optionally `export KEY=value`); `#` starts a comment at
//! the start of a line or after whitespace in an unquoted value; single-quoted values are
//! literal; double-quoted values may span lines and know `\n`, `\t`, `\"` and `\\`;
//! unquoted and double-quoted values are interpolated with the variables defined above
//! them.
//!
//! Interpolation follows the Compose specification: `$VAR`, `${VAR}`, `${VAR:-default}`
//! (default when unset or empty), `${VAR-default}` (when unset), `${VAR:+alt}` /
//! `${VAR+alt}`, `${VAR:?message}` / `${VAR?message}`, and `$$` for a literal `$`. Defaults
//! may themselves hold variables. A variable that is not set is left as written (`${X}`),
//! so the result shows what could not be resolved instead of silently becoming empty.
//!
//! The process environment is deliberately not read: the graph must not depend on who
//! runs `blast`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Result;

/// Variables by name.
pub type Vars = BTreeMap<String, String>;

/// Expands `s` with `vars` (see the module docs).
pub fn interpolate(s: &str, vars: &Vars) -> String {
    interpolate_noting(s, vars, &mut Vec::new())
}

/// A required variable (`${VAR:?message}`, `${VAR?message}`) a value needs and does not
/// have: Compose refuses to run without it, and the text is left as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Required {
    /// The variable.
    pub name: String,
    /// The reference as written (`${HOST:?need host}`).
    pub written: String,
    /// Set but empty (which `:?` refuses too), rather than not set.
    pub empty: bool,
}

/// [`interpolate`], noting in `missing` the required variables that are not set (or, with
/// `:?`, empty).
pub fn interpolate_noting(s: &str, vars: &Vars, missing: &mut Vec<Required>) -> String {
    if !s.contains('$') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let next = s[i..].find('$').map_or(s.len(), |j| i + j);
            out.push_str(&s[i..next]);
            i = next;
            continue;
        }
        match b.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => match matching_brace(s, i + 1) {
                Some(end) => {
                    out.push_str(&expand_braced(&s[i + 2..end], &s[i..=end], vars, missing));
                    i = end + 1;
                }
                None => {
                    out.push_str(&s[i..]);
                    i = b.len();
                }
            },
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                    end += 1;
                }
                match vars.get(&s[start..end]) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&s[i..end]),
                }
                i = end;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    out
}

/// The index of the `}` closing the `{` at `open`, counting nested `${…}`.
fn matching_brace(s: &str, open: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn expand_braced(inner: &str, raw: &str, vars: &Vars, missing: &mut Vec<Required>) -> String {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, rest) = inner.split_at(name_end);
    let value = vars.get(name);
    let set_nonempty = value.is_some_and(|v| !v.is_empty());
    let op = |p: &str| rest.strip_prefix(p);
    if rest.is_empty() {
        return value.cloned().unwrap_or_else(|| raw.to_string());
    }
    if let Some(d) = op(":-") {
        return if set_nonempty {
            value.cloned().unwrap_or_default()
        } else {
            interpolate_noting(d, vars, missing)
        };
    }
    if let Some(d) = op("-") {
        return match value {
            Some(v) => v.clone(),
            None => interpolate_noting(d, vars, missing),
        };
    }
    if let Some(a) = op(":+") {
        return if set_nonempty {
            interpolate_noting(a, vars, missing)
        } else {
            String::new()
        };
    }
    if let Some(a) = op("+") {
        return if value.is_some() {
            interpolate_noting(a, vars, missing)
        } else {
            String::new()
        };
    }
    if op(":?").is_some() {
        return if set_nonempty {
            value.cloned().unwrap_or_default()
        } else {
            missing.push(Required {
                name: name.to_string(),
                written: raw.to_string(),
                empty: value.is_some(),
            });
            raw.to_string()
        };
    }
    if op("?").is_some() {
        return value.cloned().unwrap_or_else(|| {
            missing.push(Required {
                name: name.to_string(),
                written: raw.to_string(),
                empty: false,
            });
            raw.to_string()
        });
    }
    raw.to_string()
}

/// Parses a `.env` file, interpolating with `base` and the lines above.
///
/// # Errors
/// A line that is not `KEY=value`, a comment or blank (with its line number), or an
/// unterminated quote.
pub fn parse_dotenv(path: &Path, text: &str, base: &Vars) -> Result<Vars> {
    parse_dotenv_noting(path, text, base, &mut Vec::new())
}

/// [`parse_dotenv`], noting the required variables each value needs and does not have, with
/// the value's key and line.
///
/// # Errors
/// As [`parse_dotenv`].
pub fn parse_dotenv_noting(
    path: &Path,
    text: &str,
    base: &Vars,
    missing: &mut Vec<(String, u32, Required)>,
) -> Result<Vars> {
    let mut scope = base.clone();
    let mut noted = Vec::new();
    let mut out = Vars::new();
    // A byte-order mark is skipped, as Compose skips it.
    let text = super::text::without_bom_str(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut n = 0;
    while n < lines.len() {
        let lineno = n + 1;
        let line = lines[n].trim_start();
        n += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, rest)) = line.split_once('=') else {
            return Err(super::parse_error(
                path,
                Some((lineno as u32, 1)),
                format!("expected KEY=value, found '{}'", line.trim_end()),
            ));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(super::parse_error(
                path,
                Some((lineno as u32, 1)),
                format!("invalid variable name '{key}'"),
            ));
        }
        let rest = rest.trim_start();
        let value = if let Some(q) = rest.strip_prefix('\'') {
            match q.find('\'') {
                Some(end) => q[..end].to_string(),
                None => {
                    return Err(super::parse_error(
                        path,
                        Some((lineno as u32, 1)),
                        format!("unterminated single quote in the value of '{key}'"),
                    ));
                }
            }
        } else if let Some(q) = rest.strip_prefix('"') {
            let mut buf = q.to_string();
            let mut closed = closing_quote(&buf);
            while closed.is_none() && n < lines.len() {
                buf.push('\n');
                buf.push_str(lines[n]);
                n += 1;
                closed = closing_quote(&buf);
            }
            let Some(end) = closed else {
                return Err(super::parse_error(
                    path,
                    Some((lineno as u32, 1)),
                    format!("unterminated double quote in the value of '{key}'"),
                ));
            };
            interpolate_noting(&unescape(&buf[..end]), &scope, &mut noted)
        } else {
            let v = match rest.find(" #").or_else(|| rest.find("\t#")) {
                Some(i) => &rest[..i],
                None => rest,
            };
            interpolate_noting(v.trim_end(), &scope, &mut noted)
        };
        missing.extend(noted.drain(..).map(|r| (key.to_string(), lineno as u32, r)));
        scope.insert(key.to_string(), value.clone());
        out.insert(key.to_string(), value);
    }
    Ok(out)
}

fn closing_quote(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn interpolates_like_compose() {
        let v = vars(&[("A", "x"), ("E", ""), ("PORT", "80")]);
        assert_eq!(interpolate("${A}:$PORT", &v), "x:80");
        assert_eq!(
            interpolate("${E:-d}|${E-d}|${U-d}|${U:-${A}}", &v),
            "d||d|x"
        );
        assert_eq!(interpolate("${A:+y}|${E:+y}|${U+y}", &v), "y||");
        assert_eq!(
            interpolate("$$A and ${U} and ${U:?need U}", &v),
            "$A and ${U} and ${U:?need U}"
        );
        assert_eq!(interpolate("cost $5", &v), "cost $5");
        // Required variables not set (or empty, with `:?`) are noted; `$$` is no variable.
        let mut missing = Vec::new();
        let text = "${U:?need U} ${E:?} ${E?} ${A?} $${W:?} ${X:-${Y?}}";
        assert_eq!(
            interpolate_noting(text, &v, &mut missing),
            "${U:?need U} ${E:?}  x ${W:?} ${Y?}"
        );
        let noted: Vec<(&str, &str, bool)> = missing
            .iter()
            .map(|r| (r.name.as_str(), r.written.as_str(), r.empty))
            .collect();
        assert_eq!(
            noted,
            [
                ("U", "${U:?need U}", false),
                ("E", "${E:?}", true),
                ("Y", "${Y?}", false)
            ]
        );
        assert_eq!(
            interpolate("${REGISTRY:-}jaegertracing/jaeger", &v),
            "jaegertracing/jaeger"
        );
    }

    #[test]
    fn parses_dotenv_files() {
        let text = "# comment\nHOST=quote\nPORT=8090   # trailing comment\nADDR=http://${HOST}:${PORT}\nexport Q='lit ${HOST}'\nD=\"a\\nb ${PORT}\"\nEMPTY=\nM=\"one\ntwo\"\n";
        let v = parse_dotenv(Path::new(".env"), text, &Vars::new()).unwrap();
        assert_eq!(v["ADDR"], "http://quote:8090");
        assert_eq!(v["PORT"], "8090");
        assert_eq!(v["Q"], "lit ${HOST}");
        assert_eq!(v["D"], "a\nb 8090");
        assert_eq!(v["EMPTY"], "");
        assert_eq!(v["M"], "one\ntwo");
        // A byte-order mark (Windows editors write one) is skipped, as Compose skips it.
        let v = parse_dotenv(Path::new(".env"), "\u{feff}# v\r\nA=1\r\n", &Vars::new()).unwrap();
        assert_eq!(v["A"], "1");
        let e = parse_dotenv(Path::new(".env"), "A=1\nnot a pair\n", &Vars::new())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(".env:2:1: expected KEY=value"), "{e}");
    }
}
