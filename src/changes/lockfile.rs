//! `Cargo.lock` precision: a lockfile change marks only the workspace crates that use what
//! changed.
//!
//! Both versions of the lockfile are parsed (formats v1 to v4). A package from a registry or
//! a git repository is identified by `(name, version, source)`; one whose version, source or
//! checksum differs between the two is a [`PackageChange`] (`serde 1.0.210 → 1.0.215`). Its
//! users are the local packages (those without a `source`: the workspace members and path
//! dependencies) that depend on it, directly or transitively, through the resolved
//! `dependencies` lists: in the head lockfile for what was added or changed, in the base one
//! for what was removed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Deserialize;

/// A parsed `Cargo.lock`.
#[derive(Clone, Debug, Default)]
pub struct Lockfile {
    packages: Vec<LockedPackage>,
    /// Reverse dependencies: for each package, the packages that depend on it.
    dependents: Vec<Vec<u32>>,
}

/// One `[[package]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedPackage {
    /// The name.
    pub name: String,
    /// The version.
    pub version: String,
    /// `registry+…` or `git+…`; `None` for a local package.
    pub source: Option<String>,
    /// The checksum, when the source has one.
    pub checksum: Option<String>,
}

#[derive(Deserialize)]
struct RawLock {
    #[serde(default)]
    package: Vec<RawPackage>,
    #[serde(default)]
    metadata: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl Lockfile {
    /// Parses a lockfile.
    ///
    /// # Errors
    /// The TOML parser's message, or a missing `name`/`version`.
    pub fn parse(text: &str) -> Result<Lockfile, String> {
        let raw: RawLock = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
        let mut packages: Vec<LockedPackage> = raw
            .package
            .iter()
            .map(|p| LockedPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                source: p.source.clone(),
                checksum: p.checksum.clone(),
            })
            .collect();
        // v1 keeps checksums in [metadata]: "checksum NAME VERSION (SOURCE)" = "…".
        for (k, v) in &raw.metadata {
            let (Some(rest), Some(sum)) = (k.strip_prefix("checksum "), v.as_str()) else {
                continue;
            };
            let mut parts = rest.splitn(3, ' ');
            let (Some(n), Some(ver)) = (parts.next(), parts.next()) else {
                continue;
            };
            let src = parts
                .next()
                .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
            if let Some(p) = packages.iter_mut().find(|p| {
                p.name == n
                    && p.version == ver
                    && p.source.as_deref() == src
                    && p.checksum.is_none()
            }) {
                p.checksum = Some(sum.to_string());
            }
        }
        let mut by_name: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for (i, p) in packages.iter().enumerate() {
            by_name.entry(p.name.as_str()).or_default().push(i as u32);
        }
        let mut dependents = vec![Vec::new(); packages.len()];
        for (i, p) in raw.package.iter().enumerate() {
            for d in &p.dependencies {
                // "name", "name version" or "name version (source)".
                let mut parts = d.splitn(3, ' ');
                let name = parts.next().unwrap_or_default();
                let version = parts.next();
                let source = parts
                    .next()
                    .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
                let Some(cands) = by_name.get(name) else {
                    continue;
                };
                let found = cands.iter().copied().find(|&c| {
                    let q = &packages[c as usize];
                    version.is_none_or(|v| q.version == v)
                        && source.is_none_or(|s| q.source.as_deref() == Some(s))
                });
                if let Some(c) = found {
                    dependents[c as usize].push(i as u32);
                }
            }
        }
        Ok(Lockfile {
            packages,
            dependents,
        })
    }

    /// Every package, in file order.
    pub fn packages(&self) -> &[LockedPackage] {
        &self.packages
    }

    /// The local packages (no `source`) that depend on any of `roots`, directly or
    /// transitively (a local root counts itself).
    fn local_users(&self, roots: &[u32]) -> BTreeSet<String> {
        let mut seen = vec![false; self.packages.len()];
        let mut queue: VecDeque<u32> = roots.iter().copied().collect();
        for &r in roots {
            seen[r as usize] = true;
        }
        let mut out = BTreeSet::new();
        while let Some(v) = queue.pop_front() {
            let p = &self.packages[v as usize];
            if p.source.is_none() {
                out.insert(p.name.clone());
            }
            for &u in &self.dependents[v as usize] {
                if !seen[u as usize] {
                    seen[u as usize] = true;
                    queue.push_back(u);
                }
            }
        }
        out
    }

    fn find(&self, k: &Key) -> Option<u32> {
        self.packages
            .iter()
            .position(|p| p.name == k.0 && p.version == k.1 && p.source == k.2)
            .map(|i| i as u32)
    }
}

type Key = (String, String, Option<String>);

/// One change between two lockfiles and the local packages it reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageChange {
    /// The package name.
    pub name: String,
    /// What changed: `serde 1.0.210 → 1.0.215`, `rand 0.9.0 added`, `log 0.4.22 checksum
    /// changed`, `foo 1.0.0 source git+…#abc → git+…#def`.
    pub description: String,
    /// The local packages that depend on it, sorted.
    pub users: Vec<String>,
}

fn short_source(s: &Option<String>) -> String {
    match s {
        None => "local".to_string(),
        Some(s) => s.clone(),
    }
}

/// Compares two lockfiles (`base` is `None` when the lockfile is new).
pub fn diff(base: Option<&Lockfile>, head: &Lockfile) -> Vec<PackageChange> {
    let empty = Lockfile::default();
    let base = base.unwrap_or(&empty);
    let index = |l: &Lockfile| -> BTreeMap<String, BTreeMap<Key, Option<String>>> {
        let mut m: BTreeMap<String, BTreeMap<Key, Option<String>>> = BTreeMap::new();
        for p in l.packages.iter().filter(|p| p.source.is_some()) {
            m.entry(p.name.clone()).or_default().insert(
                (p.name.clone(), p.version.clone(), p.source.clone()),
                p.checksum.clone(),
            );
        }
        m
    };
    let (bi, hi) = (index(base), index(head));
    let names: BTreeSet<&String> = bi.keys().chain(hi.keys()).collect();
    let none = BTreeMap::new();
    let mut out = Vec::new();
    for name in names {
        let (b, h) = (bi.get(name).unwrap_or(&none), hi.get(name).unwrap_or(&none));
        let removed: Vec<&Key> = b.keys().filter(|k| !h.contains_key(*k)).collect();
        let added: Vec<&Key> = h.keys().filter(|k| !b.contains_key(*k)).collect();
        let resummed: Vec<&Key> = h
            .iter()
            .filter(|(k, sum)| b.get(*k).is_some_and(|old| old != *sum))
            .map(|(k, _)| k)
            .collect();
        let users = |head_keys: &[&Key], base_keys: &[&Key]| -> Vec<String> {
            let hr: Vec<u32> = head_keys.iter().filter_map(|k| head.find(k)).collect();
            let br: Vec<u32> = base_keys.iter().filter_map(|k| base.find(k)).collect();
            let mut u = head.local_users(&hr);
            u.extend(base.local_users(&br));
            u.into_iter().collect()
        };
        if removed.len() == 1 && added.len() == 1 {
            let (r, a) = (removed[0], added[0]);
            let description = if r.1 != a.1 && r.2 == a.2 {
                format!("{name} {} → {}", r.1, a.1)
            } else if r.1 == a.1 {
                format!(
                    "{name} {} source {} → {}",
                    r.1,
                    short_source(&r.2),
                    short_source(&a.2)
                )
            } else {
                format!(
                    "{name} {} → {} (source {} → {})",
                    r.1,
                    a.1,
                    short_source(&r.2),
                    short_source(&a.2)
                )
            };
            out.push(PackageChange {
                name: name.clone(),
                description,
                users: users(&[a], &[r]),
            });
        } else {
            for a in &added {
                out.push(PackageChange {
                    name: name.clone(),
                    description: format!("{name} {} added", a.1),
                    users: users(&[a], &[]),
                });
            }
            for r in &removed {
                out.push(PackageChange {
                    name: name.clone(),
                    description: format!("{name} {} removed", r.1),
                    users: users(&[], &[r]),
                });
            }
        }
        for k in resummed {
            out.push(PackageChange {
                name: name.clone(),
                description: format!("{name} {} checksum changed", k.1),
                users: users(&[k], &[]),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REG: &str = "registry+https://github.com/rust-lang/crates.io-index";

    fn lock(pkgs: &[(&str, &str, bool, &str, &[&str])]) -> String {
        let mut s = String::from("version = 4\n\n");
        for (name, version, registry, sum, deps) in pkgs {
            s.push_str(&format!(
                "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"
            ));
            if *registry {
                s.push_str(&format!("source = \"{REG}\"\nchecksum = \"{sum}\"\n"));
            }
            if !deps.is_empty() {
                let d: Vec<String> = deps.iter().map(|d| format!("\"{d}\"")).collect();
                s.push_str(&format!("dependencies = [{}]\n", d.join(", ")));
            }
            s.push('\n');
        }
        s
    }

    fn base() -> String {
        lock(&[
            ("api", "0.1.0", false, "", &["core", "serde"]),
            ("core", "0.1.0", false, "", &["serde_json"]),
            ("cli", "0.1.0", false, "", &["clap"]),
            ("tool", "0.1.0", false, "", &["rand"]),
            ("clap", "4.5.0", true, "c1", &[]),
            ("serde", "1.0.210", true, "s1", &[]),
            ("serde_json", "1.0.1", true, "j1", &["serde"]),
            ("rand", "0.8.5", true, "r1", &[]),
        ])
    }

    #[test]
    fn a_bump_reaches_only_its_transitive_users() {
        let head = base()
            .replace("1.0.210", "1.0.215")
            .replace("\"s1\"", "\"s2\"");
        let (b, h) = (
            Lockfile::parse(&base()).unwrap(),
            Lockfile::parse(&head).unwrap(),
        );
        let d = diff(Some(&b), &h);
        assert_eq!(
            d,
            vec![PackageChange {
                name: "serde".into(),
                description: "serde 1.0.210 → 1.0.215".into(),
                // api directly, core through serde_json, not cli or tool
                users: vec!["api".into(), "core".into()],
            }]
        );
    }

    #[test]
    fn added_removed_and_checksum_changes() {
        let head = lock(&[
            ("api", "0.1.0", false, "", &["core", "serde"]),
            ("core", "0.1.0", false, "", &["serde_json"]),
            ("cli", "0.1.0", false, "", &["clap", "anyhow"]),
            ("tool", "0.1.0", false, "", &[]),
            ("anyhow", "1.0.0", true, "a1", &[]),
            ("clap", "4.5.0", true, "c1", &[]),
            ("serde", "1.0.210", true, "s1", &[]),
            ("serde_json", "1.0.1", true, "j2", &["serde"]),
        ]);
        let d = diff(
            Some(&Lockfile::parse(&base()).unwrap()),
            &Lockfile::parse(&head).unwrap(),
        );
        let got: Vec<(&str, Vec<&str>)> = d
            .iter()
            .map(|c| {
                (
                    c.description.as_str(),
                    c.users.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("anyhow 1.0.0 added", vec!["cli"]),
                ("rand 0.8.5 removed", vec!["tool"]),
                ("serde_json 1.0.1 checksum changed", vec!["api", "core"]),
            ]
        );
    }

    #[test]
    fn multiple_versions_are_told_apart() {
        let b = lock(&[
            ("a", "0.1.0", false, "", &["rand 0.7.3", "rand 0.8.5"]),
            ("b", "0.1.0", false, "", &["rand 0.8.5"]),
            ("c", "0.1.0", false, "", &["rand 0.7.3"]),
            ("rand", "0.7.3", true, "x", &[]),
            ("rand", "0.8.5", true, "y", &[]),
        ]);
        let h = b.replace("0.8.5", "0.8.6");
        let d = diff(
            Some(&Lockfile::parse(&b).unwrap()),
            &Lockfile::parse(&h).unwrap(),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].description, "rand 0.8.5 → 0.8.6");
        assert_eq!(d[0].users, vec!["a", "b"]);
    }

    #[test]
    fn v1_metadata_checksums_and_a_new_lockfile() {
        let v1 = format!(
            "[[package]]\nname = \"x\"\nversion = \"0.1.0\"\ndependencies = [\"log 0.4.0 ({REG})\"]\n\n[[package]]\nname = \"log\"\nversion = \"0.4.0\"\nsource = \"{REG}\"\n\n[metadata]\n\"checksum log 0.4.0 ({REG})\" = \"abc\"\n"
        );
        let l = Lockfile::parse(&v1).unwrap();
        assert_eq!(l.packages()[1].checksum.as_deref(), Some("abc"));
        let d = diff(None, &l);
        assert_eq!(d[0].description, "log 0.4.0 added");
        assert_eq!(d[0].users, vec!["x"]);
        assert!(Lockfile::parse("[[package]]\nname = 1\n").is_err());
    }
}
