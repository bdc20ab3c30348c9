//! YAML for the discovered sources: serde-saphyr with its safety budget on, errors turned
//! into [`Error::Parse`](crate::Error::Parse) naming the file, line and column, and small
//! deserialization helpers for the loosely typed values real files hold (a port written as
//! a number where a string is expected, a list-or-string field).

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::manifest::{yaml_error_position, yaml_message, yaml_options};
use super::parse_error;
use crate::error::Result;

/// Reads a UTF-8 text file.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = super::text::read(path)?;
    Ok(super::text::utf8(path, &bytes)?.to_string())
}

fn error(path: &Path, e: &serde_saphyr::Error) -> crate::Error {
    parse_error(path, yaml_error_position(e), yaml_message(e))
}

/// One YAML document of `path`.
pub(crate) fn document<'de, T: Deserialize<'de>>(path: &Path, text: &'de str) -> Result<T> {
    serde_saphyr::from_str_with_options(text, yaml_options(text.len())).map_err(|e| error(path, &e))
}

/// Every document of a multi-document YAML file (`---` separated; empty documents skipped).
pub(crate) fn documents<'de, T: Deserialize<'de>>(path: &Path, text: &'de str) -> Result<Vec<T>> {
    serde_saphyr::from_multiple_with_options(text, yaml_options(text.len()))
        .map_err(|e| error(path, &e))
}

/// The 1-based line of a spanned value, when known.
pub(crate) fn line_of<T>(s: &serde_saphyr::Spanned<T>) -> Option<u32> {
    let l = s.referenced.line();
    (l > 0).then_some(l as u32)
}

/// Deserializes `null` (an empty YAML value) as the default: real files write
/// `matchLabels:` with nothing after it. Use with `#[serde(deserialize_with = "nullable")]`.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Any scalar, as text: strings as they are, numbers and booleans as written, null as
/// `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) Option<String>);

impl Text {
    pub(crate) fn into_string(self) -> String {
        self.0.unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
                Text::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

/// A string or a list of strings (`command`, `env_file`, Backstage `targets`), as a list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OneOrMany(pub(crate) Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany(Vec::new()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut v = Vec::new();
                while let Some(t) = seq.next_element::<Text>()? {
                    v.extend(t.0);
                }
                Ok(OneOrMany(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Lexically normalizes a path: drops `.` components and folds `dir/..`.
pub(crate) fn normalize(p: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                match last {
                    None | Some(Component::ParentDir) => out.push(".."),
                    Some(Component::RootDir | Component::Prefix(_)) => {}
                    Some(_) => {
                        out.pop();
                    }
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// `rel` resolved against the directory of `file` (lexically normalized).
pub(crate) fn sibling(file: &Path, rel: &str) -> std::path::PathBuf {
    let rel = Path::new(rel);
    if rel.is_absolute() {
        return normalize(rel);
    }
    let dir = file.parent().unwrap_or(Path::new(""));
    normalize(&dir.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        assert_eq!(
            sibling(Path::new("a/b/c.yaml"), "./d.yaml"),
            Path::new("a/b/d.yaml")
        );
        assert_eq!(
            sibling(Path::new("a/b/c.yaml"), "../d.yaml"),
            Path::new("a/d.yaml")
        );
        assert_eq!(
            sibling(Path::new("c.yaml"), "../d.yaml"),
            Path::new("../d.yaml")
        );
        assert_eq!(
            sibling(Path::new("c.yaml"), "./x/../d.yaml"),
            Path::new("d.yaml")
        );
        assert_eq!(
            sibling(Path::new("../c.yaml"), "../d.yaml"),
            Path::new("../../d.yaml")
        );
        assert_eq!(normalize(Path::new("/a/../../b")), Path::new("/b"));
    }
}
