//! Docker Compose: services become nodes; what they say about each other becomes edges.
//!
//! # What is read
//!
//! One project is one or more files given in order, like `docker compose -f a -f b`: later
//! files override earlier ones (scalars are replaced; `environment` and `depends_on` merge
//! by key; `command` and `entrypoint` are replaced; lists such as `links`, `volumes_from`
//! and `profiles` are appended). Within the files:
//!
//! * `.env` in the project directory (the first file's) and the `env_files` option give
//!   the variables for `${VAR}` interpolation, and the values of `environment` entries
//!   written without one (`- QUOTE_ADDR`), as Compose does. The process environment is not
//!   read, so the graph does not depend on who runs `blast`.
//! * `extends` (same file or `file:`), resolved recursively; a cycle is an error.
//! * `include` (short and long form): each entry is its own project, with its own
//!   directory and `.env`; a cycle or a missing file is an error; a service defined both
//!   here and in an included file keeps the local definition, with a warning.
//! * `profiles`: every service by default; with profiles selected (`--profile`), services
//!   without profiles plus those in a selected profile.
//! * `env_file` entries of a service (`required: false` ones may be missing).
//!
//! Unknown keys are ignored: the Compose specification is large and only the keys below
//! matter for dependencies.
//!
//! # Edges
//!
//! For each service, in order of strength (one edge per pair of services, its evidence
//! listing everything that produced it):
//!
//! * an environment value, `command` or `entrypoint` argument naming another service's
//!   host (see [`super::classify`]): `sync`, `data` to a datastore, `async` to a broker,
//!   `telemetry` to or from a telemetry component or in a telemetry variable;
//! * `network_mode`, `ipc` or `pid` `service:X`: `sync` (the service shares X's
//!   namespace and cannot run without it);
//! * `volumes_from: X`: `data`;
//! * `depends_on` (short and long form) and `links` with nothing else behind them:
//!   `startup` (start-up ordering only; strength 0 by default).
//!
//! Services whose image (or name) is a datastore or broker become `datastore` or `queue`
//! nodes. Every edge keeps its evidence: the key and value, the file and the line.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::LoadContext;
use super::classify::{self, Class};
use super::env::{
    Required, Vars, interpolate, interpolate_noting, parse_dotenv, parse_dotenv_noting,
};
use super::yaml::{self, OneOrMany, Text, line_of, nullable, sibling};
use crate::codes::{Code, Finding, Location};
use crate::error::{Error, Result};
use crate::graph::build::{DocId, EdgeSpec, NodeSpec};
use crate::graph::{AttrValue, EdgeKind, Evidence, GraphBuilder};

/// The source kind Compose declarations carry.
pub const SOURCE: &str = "compose";

// ---------------------------------------------------------------------------------------
// Raw file model (only the keys that matter; everything else is ignored).

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawFile {
    services: Option<BTreeMap<String, Option<RawService>>>,
    include: Option<Vec<Spanned<RawInclude>>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct RawService {
    image: Option<Text>,
    container_name: Option<Text>,
    #[serde(deserialize_with = "nullable")]
    profiles: Vec<String>,
    environment: Env,
    env_file: EnvFiles,
    command: Option<Spanned<Words>>,
    entrypoint: Option<Spanned<Words>>,
    depends_on: DependsOn,
    #[serde(deserialize_with = "nullable")]
    links: Vec<Spanned<String>>,
    #[serde(deserialize_with = "nullable")]
    volumes_from: Vec<Spanned<String>>,
    network_mode: Option<Spanned<String>>,
    ipc: Option<Spanned<String>>,
    pid: Option<Spanned<String>>,
    networks: Networks,
    extends: Option<Spanned<Extends>>,
}

/// `environment`, list or map form: (key, value, line).
#[derive(Default, Clone)]
struct Env(Vec<(String, Option<String>, Option<u32>)>);

impl<'de> Deserialize<'de> for Env {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Env;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of KEY=value strings or a map of variables")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Env, E> {
                Ok(Env::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Env, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Text>>()? {
                    let line = line_of(&item);
                    let s = item.value.into_string();
                    match s.split_once('=') {
                        Some((k, v)) => out.push((k.to_string(), Some(v.to_string()), line)),
                        None => out.push((s, None, line)),
                    }
                }
                Ok(Env(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Env, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let v = map.next_value::<Text>()?;
                    out.push((k.value.clone(), v.0, line_of(&k)));
                }
                Ok(Env(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `env_file`: a path, or a list of paths or `{path, required}` tables.
#[derive(Default, Clone)]
struct EnvFiles(Vec<(String, bool)>);

impl<'de> Deserialize<'de> for EnvFiles {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Long {
            path: String,
            #[serde(default = "yes")]
            required: bool,
        }
        fn yes() -> bool {
            true
        }
        struct Item(String, bool);
        impl<'de> Deserialize<'de> for Item {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Item;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a path or a table with `path` and `required`")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
                        Ok(Item(v.to_string(), true))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
                        let l = Long::deserialize(de::value::MapAccessDeserializer::new(map))?;
                        Ok(Item(l.path, l.required))
                    }
                }
                d.deserialize_any(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvFiles;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path or a list of paths")
            }
            fn visit_unit<E: de::Error>(self) -> Result<EnvFiles, E> {
                Ok(EnvFiles::default())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvFiles, E> {
                Ok(EnvFiles(vec![(v.to_string(), true)]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EnvFiles, A::Error> {
                let mut out = Vec::new();
                while let Some(Item(p, r)) = seq.next_element::<Item>()? {
                    out.push((p, r));
                }
                Ok(EnvFiles(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `command` / `entrypoint`: a string (split like a shell) or a list.
#[derive(Clone, Default)]
struct Words(Vec<String>);

impl<'de> Deserialize<'de> for Words {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let OneOrMany(v) = OneOrMany::deserialize(d)?;
        Ok(match v.as_slice() {
            [one] => Words(shell_words(one)),
            _ => Words(v),
        })
    }
}

/// Splits a command line into words, honouring single and double quotes.
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One `depends_on` entry.
#[derive(Clone, Debug)]
struct Dep {
    name: String,
    condition: Option<String>,
    required: bool,
    line: Option<u32>,
}

#[derive(Default, Clone)]
struct DependsOn(Vec<Dep>);

impl<'de> Deserialize<'de> for DependsOn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Long {
            condition: Option<String>,
            required: Option<bool>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DependsOn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of service names or a map of services to conditions")
            }
            fn visit_unit<E: de::Error>(self) -> Result<DependsOn, E> {
                Ok(DependsOn::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DependsOn, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Spanned<String>>()? {
                    out.push(Dep {
                        line: line_of(&s),
                        name: s.value,
                        condition: None,
                        required: true,
                    });
                }
                Ok(DependsOn(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DependsOn, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let l = map.next_value::<Option<Long>>()?.unwrap_or_default();
                    out.push(Dep {
                        line: line_of(&k),
                        name: k.value,
                        condition: l.condition,
                        required: l.required.unwrap_or(true),
                    });
                }
                Ok(DependsOn(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `networks`: names, or a map of names to `{aliases}`; only the aliases matter.
#[derive(Default, Clone)]
struct Networks(Vec<String>);

impl<'de> Deserialize<'de> for Networks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Attach {
            aliases: Vec<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Networks;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of networks or a map of networks")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Networks, E> {
                Ok(Networks::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Networks, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Networks::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Networks, A::Error> {
                let mut out = Vec::new();
                while map.next_key::<de::IgnoredAny>()?.is_some() {
                    if let Some(a) = map.next_value::<Option<Attach>>()? {
                        out.extend(a.aliases);
                    }
                }
                Ok(Networks(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `extends`: a service name, or `{service, file}`.
#[derive(Clone)]
struct Extends {
    service: String,
    file: Option<String>,
}

impl<'de> Deserialize<'de> for Extends {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Long {
            service: String,
            #[serde(default)]
            file: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Extends;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a service name or a table with `service` and `file`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Extends, E> {
                Ok(Extends {
                    service: v.to_string(),
                    file: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Extends, A::Error> {
                let l = Long::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Extends {
                    service: l.service,
                    file: l.file,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A top-level `include` entry.
#[derive(Clone)]
struct RawInclude {
    paths: Vec<String>,
    project_directory: Option<String>,
    env_files: Vec<String>,
}

impl<'de> Deserialize<'de> for RawInclude {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Long {
            path: OneOrMany,
            #[serde(default)]
            project_directory: Option<String>,
            #[serde(default)]
            env_file: OneOrMany,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawInclude;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path or a table with `path`, `project_directory`, `env_file`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawInclude, E> {
                Ok(RawInclude {
                    paths: vec![v.to_string()],
                    project_directory: None,
                    env_files: Vec::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawInclude, A::Error> {
                let l = Long::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawInclude {
                    paths: l.path.0,
                    project_directory: l.project_directory,
                    env_files: l.env_file.0,
                })
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------
// Merged model.

/// Where a value was written.
#[derive(Clone, Debug)]
struct At {
    file: usize,
    line: Option<u32>,
}

/// How an environment variable got its value.
#[derive(Clone, Debug)]
enum Via {
    /// `environment: KEY=value`.
    Environment,
    /// `environment: - KEY`, value from the project's variables (`.env`).
    Variables(String),
    /// A service's `env_file`.
    EnvFile(String),
}

#[derive(Clone, Debug)]
struct EnvVal {
    value: String,
    at: At,
    via: Via,
}

#[derive(Clone, Debug)]
struct Service {
    name: String,
    at: At,
    image: Option<String>,
    container_name: Option<String>,
    profiles: Vec<String>,
    /// `environment` entries (a `None` value: take it from the project's variables), with
    /// the required variables (`${VAR:?message}`) their values need and do not have.
    environment: BTreeMap<String, (Option<String>, At, Vec<Required>)>,
    env_files: Vec<(PathBuf, bool, At)>,
    /// `command` and `entrypoint`, with the required variables their words need and do not
    /// have.
    command: Option<(Vec<String>, At, Vec<Required>)>,
    entrypoint: Option<(Vec<String>, At, Vec<Required>)>,
    depends_on: BTreeMap<String, (Dep, At)>,
    links: Vec<(String, At)>,
    volumes_from: Vec<(String, At)>,
    namespaces: Vec<(&'static str, String, At)>,
    aliases: Vec<String>,
    /// The project's variables (for `- KEY` entries and env files).
    vars: Rc<Vars>,
    vars_file: Option<String>,
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

impl Service {
    /// Applies `over` on top of `self` (override-file and `extends` semantics).
    fn merge(&mut self, over: Service) {
        if over.image.is_some() {
            self.image = over.image;
        }
        if over.container_name.is_some() {
            self.container_name = over.container_name;
        }
        for p in over.profiles {
            push_unique(&mut self.profiles, p);
        }
        self.environment.extend(over.environment);
        self.env_files.extend(over.env_files);
        if over.command.is_some() {
            self.command = over.command;
        }
        if over.entrypoint.is_some() {
            self.entrypoint = over.entrypoint;
        }
        self.depends_on.extend(over.depends_on);
        for l in over.links {
            if !self.links.iter().any(|(x, _)| *x == l.0) {
                self.links.push(l);
            }
        }
        for l in over.volumes_from {
            if !self.volumes_from.iter().any(|(x, _)| *x == l.0) {
                self.volumes_from.push(l);
            }
        }
        for n in over.namespaces {
            self.namespaces.retain(|(k, _, _)| *k != n.0);
            self.namespaces.push(n);
        }
        for a in over.aliases {
            push_unique(&mut self.aliases, a);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Loading.

struct Loader {
    /// Every file read, as displayed.
    files: Vec<PathBuf>,
    parsed: HashMap<PathBuf, Rc<RawFile>>,
    /// Files being included (cycle detection).
    include_stack: Vec<PathBuf>,
    findings: Vec<Finding>,
}

fn file_error(location: Location, message: String, help: Option<String>) -> Error {
    Error::Parse {
        location,
        message,
        help,
    }
}

impl Loader {
    fn file_ix(&mut self, path: &Path) -> usize {
        match self.files.iter().position(|f| f == path) {
            Some(i) => i,
            None => {
                self.files.push(path.to_path_buf());
                self.files.len() - 1
            }
        }
    }

    fn loc(&self, at: &At) -> Location {
        Location {
            file: self.files[at.file].clone(),
            line: at.line,
            column: None,
        }
    }

    /// Parses `path` once. `from` is where it was named (for a missing file).
    fn parse(&mut self, path: &Path, from: Option<Location>) -> Result<Rc<RawFile>> {
        if let Some(f) = self.parsed.get(path) {
            return Ok(f.clone());
        }
        let text = match yaml::read_text(path) {
            Ok(t) => t,
            Err(e) => {
                return Err(match (from, e) {
                    (Some(loc), Error::Io { source, .. }) => file_error(
                        loc,
                        format!("cannot read '{}': {source}", path.display()),
                        Some("fix the path; it is relative to the file that names it".into()),
                    ),
                    (_, e) => e,
                });
            }
        };
        let raw: Option<RawFile> = yaml::document(path, &text)?;
        let raw = Rc::new(raw.unwrap_or_default());
        self.parsed.insert(path.to_path_buf(), raw.clone());
        self.file_ix(path);
        Ok(raw)
    }

    /// The variables of a project in `dir`: its `.env` (when present) and `extra` files, on
    /// top of `base`.
    fn project_vars(
        &mut self,
        dir: &Path,
        env_files: &[PathBuf],
        base: &Vars,
    ) -> Result<(Vars, Option<String>)> {
        let mut vars = base.clone();
        let mut shown = None;
        let default = yaml::normalize(&dir.join(".env"));
        let files: Vec<(PathBuf, bool)> = if env_files.is_empty() {
            vec![(default, false)]
        } else {
            env_files.iter().map(|p| (p.clone(), true)).collect()
        };
        for (f, required) in files {
            if !required && !f.is_file() {
                continue;
            }
            let text = yaml::read_text(&f)?;
            let parsed = parse_dotenv(&f, &text, &vars)?;
            // Variables set by the including project win over the included one's `.env`.
            for (k, v) in parsed {
                vars.entry(k).or_insert(v);
            }
            shown = Some(
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
        Ok((vars, shown))
    }

    /// Loads a project (files applied in order) with its includes and extends.
    fn project(
        &mut self,
        paths: &[PathBuf],
        dir: &Path,
        env_files: &[PathBuf],
        base: &Vars,
        from: Option<Location>,
    ) -> Result<BTreeMap<String, Service>> {
        let (vars, vars_file) = self.project_vars(dir, env_files, base)?;
        let vars = Rc::new(vars);
        let mut services: BTreeMap<String, Service> = BTreeMap::new();
        for p in paths {
            let file_services = self.file(p, &vars, &vars_file, from.clone())?;
            for (name, s) in file_services {
                match services.get_mut(&name) {
                    Some(base) => base.merge(s),
                    None => {
                        services.insert(name, s);
                    }
                }
            }
        }
        Ok(services)
    }

    /// One file: its includes, then its own services (with `extends` resolved).
    fn file(
        &mut self,
        path: &Path,
        vars: &Rc<Vars>,
        vars_file: &Option<String>,
        from: Option<Location>,
    ) -> Result<BTreeMap<String, Service>> {
        if let Some(pos) = self.include_stack.iter().position(|p| p == path) {
            let chain: Vec<String> = self.include_stack[pos..]
                .iter()
                .chain(std::iter::once(&path.to_path_buf()))
                .map(|p| p.display().to_string())
                .collect();
            return Err(file_error(
                from.unwrap_or_else(|| Location::file(path)),
                format!("include cycle: {}", chain.join(" → ")),
                Some("remove one of the `include` entries that form the cycle".into()),
            ));
        }
        let raw = self.parse(path, from)?;
        let fix = self.file_ix(path);
        self.include_stack.push(path.to_path_buf());
        let mut out: BTreeMap<String, Service> = BTreeMap::new();
        for inc in raw.include.iter().flatten() {
            let line = line_of(inc);
            let at_inc = Location {
                file: path.to_path_buf(),
                line,
                column: None,
            };
            let paths: Vec<PathBuf> = inc
                .value
                .paths
                .iter()
                .map(|p| sibling(path, &interpolate(p, vars)))
                .collect();
            if paths.is_empty() {
                continue;
            }
            let project_dir = inc
                .value
                .project_directory
                .as_ref()
                .map(|d| sibling(path, &interpolate(d, vars)));
            let dir = project_dir
                .unwrap_or_else(|| paths[0].parent().unwrap_or(Path::new("")).to_path_buf());
            let env_files: Vec<PathBuf> = inc
                .value
                .env_files
                .iter()
                .map(|e| sibling(path, &interpolate(e, vars)))
                .collect();
            // An included project reads the `.env` of its own directory.
            let included = self.project(&paths, &dir, &env_files, vars, Some(at_inc.clone()))?;
            for (name, s) in included {
                let local = raw.services.iter().flatten().any(|(n, _)| *n == name);
                if local || out.contains_key(&name) {
                    let message = match out.get(&name) {
                        Some(first) if !local => format!(
                            "service '{name}' is defined in the included files {} and {}; keeping the one in {}",
                            self.files[first.at.file].display(),
                            self.files[s.at.file].display(),
                            self.files[first.at.file].display()
                        ),
                        _ => format!(
                            "service '{name}' is defined here and in the included file {}; keeping the definition here",
                            self.files[s.at.file].display()
                        ),
                    };
                    self.findings.push(
                        Finding::new(Code::DuplicateObject, message)
                        .with_nodes([name.as_str()])
                        .at(at_inc.clone())
                        .with_help("rename one of the services; Compose refuses duplicate service names across includes"),
                    );
                    continue;
                }
                out.insert(name, s);
            }
        }
        self.include_stack.pop();
        let mut stack = Vec::new();
        for (name, svc) in raw.services.iter().flatten() {
            let svc = svc.clone().unwrap_or_default();
            let s = self.resolve(path, fix, name, &svc, vars, vars_file, &mut stack)?;
            out.insert(name.clone(), s);
        }
        Ok(out)
    }

    /// Converts a raw service, resolving `extends` (recursively).
    #[allow(clippy::too_many_arguments)]
    fn resolve(
        &mut self,
        path: &Path,
        fix: usize,
        name: &str,
        raw: &RawService,
        vars: &Rc<Vars>,
        vars_file: &Option<String>,
        stack: &mut Vec<(PathBuf, String)>,
    ) -> Result<Service> {
        let own = convert(path, fix, name, raw, vars, vars_file);
        let Some(ext) = &raw.extends else {
            return Ok(own);
        };
        let at = Location {
            file: path.to_path_buf(),
            line: line_of(ext),
            column: None,
        };
        let base_file = match &ext.value.file {
            Some(f) => sibling(path, &interpolate(f, vars)),
            None => path.to_path_buf(),
        };
        let base_name = interpolate(&ext.value.service, vars);
        let key = (path.to_path_buf(), name.to_string());
        if let Some(pos) = stack.iter().position(|k| *k == key) {
            let chain: Vec<String> = stack[pos..]
                .iter()
                .chain(std::iter::once(&key))
                .map(|(f, s)| format!("{s} ({})", f.display()))
                .collect();
            return Err(file_error(
                at,
                format!("extends cycle: {}", chain.join(" → ")),
                Some("a service cannot extend itself, directly or through others".into()),
            ));
        }
        let base_raw = self.parse(&base_file, Some(at.clone()))?;
        let bix = self.file_ix(&base_file);
        let Some(base_svc) = base_raw
            .services
            .iter()
            .flatten()
            .find(|(n, _)| **n == base_name)
            .map(|(_, s)| s.clone().unwrap_or_default())
        else {
            return Err(file_error(
                at,
                format!(
                    "service '{name}' extends '{base_name}', which {} does not define",
                    base_file.display()
                ),
                Some("fix the service name in `extends`, or add `file:`".into()),
            ));
        };
        stack.push(key);
        let mut base = self.resolve(
            &base_file, bix, &base_name, &base_svc, vars, vars_file, stack,
        )?;
        stack.pop();
        base.name = own.name.clone();
        base.at = own.at.clone();
        base.merge(own);
        Ok(base)
    }
}

/// A raw service, interpolated, as a [`Service`].
fn convert(
    path: &Path,
    fix: usize,
    name: &str,
    raw: &RawService,
    vars: &Rc<Vars>,
    vars_file: &Option<String>,
) -> Service {
    let ip = |s: &str| interpolate(s, vars);
    let at = |line: Option<u32>| At { file: fix, line };
    let mut s = Service {
        name: name.to_string(),
        at: at(None),
        image: raw.image.clone().and_then(|t| t.0).map(|i| ip(&i)),
        container_name: raw.container_name.clone().and_then(|t| t.0).map(|i| ip(&i)),
        profiles: raw.profiles.iter().map(|p| ip(p)).collect(),
        environment: BTreeMap::new(),
        env_files: raw
            .env_file
            .0
            .iter()
            .map(|(p, req)| (sibling(path, &ip(p)), *req, at(None)))
            .collect(),
        command: raw.command.as_ref().map(|c| words(c, vars, at(line_of(c)))),
        entrypoint: raw
            .entrypoint
            .as_ref()
            .map(|c| words(c, vars, at(line_of(c)))),
        depends_on: raw
            .depends_on
            .0
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d.name = ip(&d.name);
                (d.name.clone(), (d.clone(), at(d.line)))
            })
            .collect(),
        links: raw
            .links
            .iter()
            .map(|l| (ip(&l.value), at(line_of(l))))
            .collect(),
        volumes_from: raw
            .volumes_from
            .iter()
            .map(|l| (ip(&l.value), at(line_of(l))))
            .collect(),
        namespaces: [
            ("network_mode", &raw.network_mode),
            ("ipc", &raw.ipc),
            ("pid", &raw.pid),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, ip(&v.value), at(line_of(v)))))
        .collect(),
        aliases: raw.networks.0.iter().map(|a| ip(a)).collect(),
        vars: vars.clone(),
        vars_file: vars_file.clone(),
    };
    for (k, v, line) in &raw.environment.0 {
        let mut missing = Vec::new();
        let v = v
            .as_deref()
            .map(|v| interpolate_noting(v, vars, &mut missing));
        s.environment.insert(k.clone(), (v, at(*line), missing));
    }
    s
}

/// A `command` or `entrypoint`, interpolated, with the required variables it lacks.
fn words(c: &Spanned<Words>, vars: &Vars, at: At) -> (Vec<String>, At, Vec<Required>) {
    let mut missing = Vec::new();
    let words = c
        .value
        .0
        .iter()
        .map(|w| interpolate_noting(w, vars, &mut missing))
        .collect();
    (words, at, missing)
}

/// The `degraded-source` finding for a value of service `name` (`what`: `environment URL`)
/// that needs a variable it does not have.
fn lacks(name: &str, what: &str, r: &Required, location: Location) -> Finding {
    let why = if r.empty {
        "which is empty"
    } else {
        "which no .env file sets"
    };
    Finding::new(
        Code::DegradedSource,
        format!(
            "service '{name}': {what} needs the variable {} (`{}`), {why}, so a dependency it names cannot be seen",
            r.name,
            shorten(&r.written),
        ),
    )
    .with_nodes([name])
    .with_help(format!(
        "set {} in the .env file next to the Compose file (blast does not read the process environment)",
        r.name
    ))
    .at(location)
}

impl Service {
    /// The final environment: env files first, then `environment` (which wins).
    fn env(&self, loader: &mut Loader) -> Result<BTreeMap<String, EnvVal>> {
        let mut out = BTreeMap::new();
        for (p, required, at) in &self.env_files {
            if !p.is_file() && !required {
                continue;
            }
            let text = yaml::read_text(p).map_err(|e| match e {
                Error::Io { source, .. } => file_error(
                    Location::file(&loader.files[at.file]),
                    format!(
                        "service '{}': cannot read env_file '{}': {source}",
                        self.name,
                        p.display()
                    ),
                    Some("fix the path, or mark the entry `required: false`".into()),
                ),
                e => e,
            })?;
            let fix = loader.file_ix(p);
            let mut missing = Vec::new();
            let parsed = parse_dotenv_noting(p, &text, &self.vars, &mut missing)?;
            for (k, line, r) in &missing {
                let at = At {
                    file: fix,
                    line: Some(*line),
                };
                let f = lacks(&self.name, &format!("env_file {k}"), r, loader.loc(&at));
                loader.findings.push(f);
            }
            for (k, v) in parsed {
                let line = text
                    .lines()
                    .position(|l| {
                        l.trim_start()
                            .trim_start_matches("export ")
                            .starts_with(&format!("{k}="))
                    })
                    .map(|i| i as u32 + 1);
                out.insert(
                    k,
                    EnvVal {
                        value: v,
                        at: At { file: fix, line },
                        via: Via::EnvFile(
                            p.file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                        ),
                    },
                );
            }
        }
        for (k, (v, at, _)) in &self.environment {
            match v {
                Some(v) => {
                    out.insert(
                        k.clone(),
                        EnvVal {
                            value: v.clone(),
                            at: at.clone(),
                            via: Via::Environment,
                        },
                    );
                }
                None => {
                    if let Some(v) = self.vars.get(k) {
                        out.insert(
                            k.clone(),
                            EnvVal {
                                value: v.clone(),
                                at: at.clone(),
                                via: Via::Variables(
                                    self.vars_file.clone().unwrap_or_else(|| ".env".into()),
                                ),
                            },
                        );
                    }
                }
            }
        }
        Ok(out)
    }
}

/// One thing that makes `from` depend on `to`.
struct Item {
    kind: EdgeKind,
    text: String,
    at: At,
}

fn shorten(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Loads one Compose project (`paths` in override order) into `builder`.
///
/// # Errors
/// A file that is missing, unreadable or not valid YAML (with its line), a `.env` line that
/// is not `KEY=value`, an `include` or `extends` cycle, an `extends` naming a service that
/// does not exist.
pub fn load(
    builder: &mut GraphBuilder,
    paths: &[PathBuf],
    profiles: &[String],
    env_files: &[PathBuf],
    ctx: &LoadContext<'_>,
) -> Result<()> {
    let _t = crate::timing::Phase::start("load compose");
    if paths.is_empty() {
        return Ok(());
    }
    let paths: Vec<PathBuf> = paths.iter().map(|p| yaml::normalize(p)).collect();
    let mut loader = Loader {
        files: Vec::new(),
        parsed: HashMap::new(),
        include_stack: Vec::new(),
        findings: Vec::new(),
    };
    let env_files: Vec<PathBuf> = env_files.iter().map(|p| yaml::normalize(p)).collect();
    let dir = paths[0].parent().unwrap_or(Path::new("")).to_path_buf();
    let mut services = loader.project(&paths, &dir, &env_files, &Vars::new(), None)?;

    // Profiles: every service by default; otherwise the unprofiled and the selected ones.
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    if !profiles.is_empty() {
        services.retain(|name, s| {
            let keep = s.profiles.is_empty() || s.profiles.iter().any(|p| profiles.contains(p));
            if !keep {
                excluded.insert(name.clone());
            }
            keep
        });
    }

    // Host names: service names, container names, network aliases, link aliases.
    let mut hosts: BTreeMap<String, String> = BTreeMap::new();
    for name in services.keys() {
        hosts.insert(name.to_ascii_lowercase(), name.clone());
    }
    for (name, s) in &services {
        let mut extra: Vec<String> = s.aliases.clone();
        extra.extend(s.container_name.clone());
        for a in extra {
            hosts
                .entry(a.to_ascii_lowercase())
                .or_insert_with(|| name.clone());
        }
        for (l, _) in &s.links {
            if let Some((svc, alias)) = l.split_once(':')
                && services.contains_key(svc)
            {
                hosts
                    .entry(alias.to_ascii_lowercase())
                    .or_insert_with(|| svc.to_string());
            }
        }
    }
    let classes: BTreeMap<String, Class> = services
        .iter()
        .map(|(name, s)| {
            let mut names = vec![name.as_str()];
            if let Some(c) = &s.container_name {
                names.push(c);
            }
            (
                name.clone(),
                ctx.classifier.classify(s.image.as_deref(), &names),
            )
        })
        .collect();

    // Documents: one per file that defines a service.
    let mut docs: HashMap<usize, DocId> = HashMap::new();
    let mut doc_of = |builder: &mut GraphBuilder, files: &[PathBuf], f: usize| -> DocId {
        *docs
            .entry(f)
            .or_insert_with(|| builder.begin_document(SOURCE, &files[f]))
    };

    for (name, s) in &services {
        let doc = doc_of(builder, &loader.files, s.at.file);
        builder.add_node(
            doc,
            NodeSpec {
                id: name.as_str().into(),
                kind: classes[name].node_kind(),
                ..NodeSpec::default()
            },
        );
    }

    for (name, s) in &services {
        let from_class = classes[name];
        let mut items: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        let lookup = |h: &str| hosts.get(h).cloned();
        // A required variable no variable sets: Compose would refuse to start, and what
        // the value names cannot be seen.
        for (k, (_, at, missing)) in &s.environment {
            for r in missing {
                let f = lacks(name, &format!("environment {k}"), r, loader.loc(at));
                loader.findings.push(f);
            }
        }
        let env = s.env(&mut loader)?;
        for (k, v) in &env {
            for r in classify::references(Some(k), &v.value, &lookup) {
                if r.target == *name {
                    continue;
                }
                let shown = shorten(&classify::redact(Some(k), &v.value));
                let text = match &v.via {
                    Via::Environment => format!("environment {k}={shown}"),
                    Via::Variables(f) => format!("environment {k}={shown} (value from {f})"),
                    Via::EnvFile(f) => format!("env_file {f}: {k}={shown}"),
                };
                items.entry(r.target.clone()).or_default().push(Item {
                    kind: classify::edge_kind(from_class, classes[&r.target], Some(k)),
                    text,
                    at: v.at.clone(),
                });
            }
        }
        for (what, words) in [("command", &s.command), ("entrypoint", &s.entrypoint)] {
            let Some((words, at, missing)) = words else {
                continue;
            };
            for r in missing {
                let f = lacks(name, what, r, loader.loc(at));
                loader.findings.push(f);
            }
            let joined = words.join(" ");
            for r in classify::references(None, &joined, &lookup) {
                if r.target == *name {
                    continue;
                }
                items.entry(r.target.clone()).or_default().push(Item {
                    kind: classify::edge_kind(from_class, classes[&r.target], None),
                    text: format!("{what} {}", shorten(&classify::redact(None, &joined))),
                    at: at.clone(),
                });
            }
        }
        let unresolved = |loader: &mut Loader, what: &str, target: &str, at: &At| {
            let why = if excluded.contains(target) {
                format!("service '{name}': {what} '{target}', which the selected profiles exclude")
            } else {
                format!("service '{name}': {what} '{target}', which no Compose file defines")
            };
            let f = Finding::new(Code::UnresolvedReference, why)
                .with_nodes([name.as_str(), target])
                .at(loader.loc(at));
            loader.findings.push(f);
        };
        for (namespace, value, at) in &s.namespaces {
            if let Some(target) = value.strip_prefix("service:") {
                if services.contains_key(target) {
                    items.entry(target.to_string()).or_default().push(Item {
                        kind: EdgeKind::Sync,
                        text: format!("{namespace}: {value}"),
                        at: at.clone(),
                    });
                } else {
                    unresolved(&mut loader, &format!("{namespace} uses"), target, at);
                }
            }
        }
        for (v, at) in &s.volumes_from {
            let target = v.split(':').next().unwrap_or(v);
            if v.starts_with("container:") {
                continue;
            }
            if services.contains_key(target) {
                items.entry(target.to_string()).or_default().push(Item {
                    kind: EdgeKind::Data,
                    text: format!("volumes_from {v}"),
                    at: at.clone(),
                });
            } else {
                unresolved(&mut loader, "volumes_from names", target, at);
            }
        }
        for (dep, at) in s.depends_on.values() {
            if services.contains_key(&dep.name) {
                let mut text = format!("depends_on {}", dep.name);
                if let Some(c) = &dep.condition {
                    text.push_str(&format!(" ({c})"));
                }
                items.entry(dep.name.clone()).or_default().push(Item {
                    kind: EdgeKind::Startup,
                    text,
                    at: at.clone(),
                });
            } else if dep.required {
                unresolved(&mut loader, "depends_on names", &dep.name, at);
            }
        }
        for (l, at) in &s.links {
            let target = l.split(':').next().unwrap_or(l);
            if services.contains_key(target) {
                items.entry(target.to_string()).or_default().push(Item {
                    kind: EdgeKind::Startup,
                    text: format!("links {l}"),
                    at: at.clone(),
                });
            } else {
                unresolved(&mut loader, "links names", target, at);
            }
        }

        let doc = doc_of(builder, &loader.files, s.at.file);
        for (target, mut list) in items {
            // The strongest kind names the edge; its first item is the main evidence.
            list.sort_by_key(|i| std::cmp::Reverse(classify::rank(i.kind)));
            let kind = list[0].kind;
            let mut texts: Vec<String> = Vec::new();
            for i in &list {
                let t = if i.at.file == list[0].at.file {
                    i.text.clone()
                } else {
                    format!("{} ({})", i.text, loader.files[i.at.file].display())
                };
                push_unique(&mut texts, t);
            }
            let mut ev = Evidence::new(texts.join("; "))
                .at(loader.files[list[0].at.file].clone(), list[0].at.line);
            if !s.profiles.is_empty() {
                ev = ev.with("profiles", AttrValue::Text(s.profiles.join(",")));
            }
            builder.add_derived_edge(
                doc,
                EdgeSpec {
                    from: name.as_str().into(),
                    to: target.into(),
                    kind: Some(kind),
                    optional: false,
                },
                ev,
            );
        }
    }
    if services.is_empty() {
        loader.findings.push(
            Finding::new(
                Code::EmptySource,
                "the Compose project defines no services".to_string(),
            )
            .at(Location::file(&paths[0])),
        );
    }
    for f in loader.findings {
        builder.add_finding(f);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_command_lines() {
        assert_eq!(
            shell_words("-d 60 -h 'edge router' \"a b\"c"),
            ["-d", "60", "-h", "edge router", "a bc"]
        );
        assert_eq!(shell_words("postgres -c x=1"), ["postgres", "-c", "x=1"]);
    }
}
