//! Operations: one function per command, wiring the pipeline together
//! (config → sources → graph → changes → analysis → report).
//!
//! The binary turns flags into the option structs here and calls these; everything they
//! print goes to the writer they are given, so the binary can hold the report until it is
//! complete (never a partial report on stdout).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::analysis::{self, Analyzer, Policy};
use crate::changes::Resolver;
use crate::codes::Finding;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::graph::{DependencyGraph, GraphBuilder, LoadReport};
use crate::report::{self, Format, text::TextOptions};

mod graph;
pub use graph::{ListOptions, graph};

/// Where the graph and policy come from.
#[derive(Clone, Debug, Default)]
pub struct GraphOptions {
    /// `--config FILE`; when `None`, `blast.toml` is searched from `cwd` upward.
    pub config: Option<PathBuf>,
    /// `--graph FILE` (repeatable): used instead of the config's `graphs` and sources.
    pub graphs: Vec<PathBuf>,
    /// Sources from the command line (`--cargo`, `--compose`, `--k8s`, `--backstage`,
    /// `--jaeger`), paths relative to `cwd`: used instead of the config's `graphs` and
    /// `[[source]]` tables.
    pub sources: Vec<crate::sources::SourceSpec>,
    /// The working directory.
    pub cwd: PathBuf,
}

/// A loaded configuration and graph.
pub struct Workspace {
    /// The configuration.
    pub config: Config,
    /// The graph.
    pub graph: DependencyGraph,
    /// Warnings and notes from loading.
    pub load: LoadReport,
}

/// Shortens `p` to a path relative to `cwd` when it lies below it.
fn display_relative(p: &Path, cwd: &Path) -> PathBuf {
    match p.strip_prefix(cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => p.to_path_buf(),
    }
}

fn config_and_builder(opts: &GraphOptions) -> Result<(Config, GraphBuilder)> {
    let config_path = match &opts.config {
        Some(p) => Some(p.clone()),
        None => Config::discover(&opts.cwd),
    };
    let config = Config::load(config_path.as_deref(), &opts.cwd)?;
    // Sources on the command line replace the config's.
    let (graphs, sources): (Vec<PathBuf>, Vec<crate::sources::SourceSpec>) =
        if opts.graphs.is_empty() && opts.sources.is_empty() {
            (config.graphs.clone(), config.sources.clone())
        } else {
            let sources = opts
                .sources
                .iter()
                .map(|s| {
                    let mut s = s.clone();
                    for p in s.paths.iter_mut().chain(s.options.env_files.iter_mut()) {
                        *p = opts.cwd.join(&*p);
                    }
                    s
                })
                .collect();
            (
                opts.graphs.iter().map(|g| opts.cwd.join(g)).collect(),
                sources,
            )
        };
    if graphs.is_empty() && sources.is_empty() {
        return Err(Error::Usage(match &config.path {
            Some(p) => format!(
                "{} lists no graph files and no sources\n  help: add `graphs = [\"path/to/graph.toml\"]` or a `[[source]]` table to it, or pass --graph FILE (or --cargo, --compose, --k8s, --backstage, --jaeger)",
                p.display()
            ),
            None => "no graph to load: no blast.toml was found here or in a parent directory\n  help: pass --graph FILE (or --cargo, --compose, --k8s, --backstage, --jaeger), or create blast.toml with `graphs = [\"path/to/graph.toml\"]`".to_string(),
        }));
    }
    let mut builder = GraphBuilder::new();
    let ctx = crate::sources::LoadContext {
        root: &config.root,
        classifier: &config.classifier,
    };
    for s in &sources {
        let mut s = s.clone();
        for p in s.paths.iter_mut().chain(s.options.env_files.iter_mut()) {
            *p = display_relative(p, &opts.cwd);
        }
        crate::sources::load_source(&mut builder, &s, &ctx)?;
    }
    for g in &graphs {
        crate::sources::load_graph_file(&mut builder, &display_relative(g, &opts.cwd))?;
    }
    Ok((config, builder))
}

impl Workspace {
    /// Loads the config and the graph, refusing a graph with errors.
    ///
    /// # Errors
    /// Config or graph files that are missing or invalid.
    pub fn load(opts: &GraphOptions) -> Result<Workspace> {
        let (config, builder) = config_and_builder(opts)?;
        let (graph, load) = builder.finish()?;
        Ok(Workspace {
            config,
            graph,
            load,
        })
    }

    /// Loads the config and the graph, keeping errors as findings (for `check`).
    ///
    /// # Errors
    /// Config or graph files that are missing or do not parse.
    pub fn load_lenient(opts: &GraphOptions) -> Result<(Workspace, Vec<Finding>)> {
        let (config, builder) = config_and_builder(opts)?;
        let (graph, findings) = builder.finish_lenient()?;
        Ok((
            Workspace {
                config,
                graph,
                load: LoadReport::default(),
            },
            findings,
        ))
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.config.policy
    }
}

/// Options of `blast impact`.
#[derive(Clone, Debug)]
pub struct ImpactOptions {
    /// Node ids or changed file paths.
    pub changes: Vec<String>,
    /// Output format.
    pub format: Format,
    /// Text options.
    pub text: TextOptions,
}

/// Warnings the command wants printed on stderr (the report goes to the writer).
pub type Warnings = Vec<String>;

/// One stderr line summing up the warnings loading the sources found (they are listed by
/// `blast check` and `blast graph`), or nothing.
pub fn load_warnings(ws: &Workspace) -> Warnings {
    let n = ws.load.findings.len();
    if n == 0 {
        return Vec::new();
    }
    vec![format!(
        "warning: loading the sources found {n} problem{} (run `blast check` to list {})",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" }
    )]
}

/// `blast impact`. Returns the exit code (0) and warnings for stderr.
///
/// # Errors
/// An unknown node id.
pub fn impact(ws: &Workspace, opts: &ImpactOptions, out: &mut dyn Write) -> Result<(u8, Warnings)> {
    let resolver = Resolver::new(&ws.graph);
    let changes = resolver.resolve(&opts.changes)?;
    // Text output shows unmapped paths itself; other formats warn on stderr.
    let warnings = match opts.format {
        Format::Text => Vec::new(),
        _ => changes
            .unmapped
            .iter()
            .map(|u| format!("warning: '{u}' maps to no node (no `paths` glob matches it); it is listed under \"unmapped\""))
            .collect(),
    };
    let mut analyzer = Analyzer::new(&ws.graph, ws.policy().clone());
    let impact = analyzer.impact(changes);
    match opts.format {
        Format::Json => report::json::impact(out, &impact, false),
        _ => report::text::impact(out, &impact, &opts.text),
    }
    .map_err(Error::Output)?;
    Ok((0, warnings))
}

/// Options of `blast why`.
#[derive(Clone, Debug)]
pub struct WhyOptions {
    /// The changed node.
    pub from: String,
    /// The node asked about.
    pub to: String,
    /// Stop counting simple paths here.
    pub max_paths: u64,
    /// Output format.
    pub format: Format,
    /// Text options.
    pub text: TextOptions,
}

fn node_or_suggest<'g>(graph: &'g DependencyGraph, id: &str) -> Result<crate::graph::Node<'g>> {
    graph.node(id).ok_or_else(|| Error::UnknownNode {
        id: id.to_string(),
        suggestions: graph.suggest(id, 3).into_iter().map(String::from).collect(),
    })
}

/// `blast why`.
///
/// # Errors
/// An unknown node id.
pub fn why(ws: &Workspace, opts: &WhyOptions, out: &mut dyn Write) -> Result<u8> {
    let from = node_or_suggest(&ws.graph, &opts.from)?;
    let to = node_or_suggest(&ws.graph, &opts.to)?;
    let why = analysis::why(&ws.graph, ws.policy(), from, to, opts.max_paths);
    match opts.format {
        Format::Json => report::json::why(out, &why),
        _ => report::text::why(out, &why, &opts.text),
    }
    .map_err(Error::Output)?;
    Ok(0)
}

/// `blast check`: exit 2 when there are errors, else 0.
///
/// # Errors
/// Config or graph files that are missing or do not parse.
pub fn check(
    graph: &GraphOptions,
    format: Format,
    text: &TextOptions,
    out: &mut dyn Write,
) -> Result<u8> {
    let (ws, load) = Workspace::load_lenient(graph)?;
    let mut report = analysis::check(&ws.graph, ws.policy(), load);
    crate::sources::locate::fill_lines(&mut report.findings);
    match format {
        Format::Json => report::json::check(out, &report),
        _ => report::text::check(out, &report, text),
    }
    .map_err(Error::Output)?;
    Ok(if report.has_errors() { 2 } else { 0 })
}
