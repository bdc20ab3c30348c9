//! Operations: one function per command, wiring the pipeline together
//! (config → sources → graph → changes → analysis → report).
//!
//! The binary turns flags into the option structs here and calls these; everything they
//! print goes to the writer they are given, so the binary can hold the report until it is
//! complete (never a partial report on stdout).

pub mod audit;
pub mod changes;
pub mod ci;
pub mod render;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::analysis::{self, Analyzer, Policy};
use crate::codes::Finding;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::graph::{DependencyGraph, GraphBuilder, LoadReport};
use crate::report::json::ImpactJsonOptions;
use crate::report::{self, Format, text::TextOptions};

mod batch;
pub mod cache;
mod graph;
mod rank;
pub use batch::{BatchOptions, impact_batch};
pub use ci::{CiOptions, ci};
pub use graph::{ListOptions, graph};
pub use rank::{rank, spof};

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
    /// Do not read or write the compiled-graph cache (`--no-cache`).
    pub no_cache: bool,
}

/// A loaded configuration and graph.
pub struct Workspace {
    /// The configuration.
    pub config: Config,
    /// The graph.
    pub graph: DependencyGraph,
    /// Warnings and notes from loading.
    pub load: LoadReport,
    /// Where to store the compiled graph once the command is done, and which indexes the
    /// stored file already holds (`None`: no file yet); see
    /// [`store_cache`](Self::store_cache).
    cache_to: Option<(PathBuf, crate::graph::cache::CacheKey, Option<u8>)>,
    /// The discovered sources loaded (paths relative to the working directory), so a
    /// change can rebuild them at another revision.
    sources: Vec<crate::sources::SourceSpec>,
    /// Whether the graph files and sources are `blast.toml`'s (none on the command line).
    inputs_from_config: bool,
}

/// Shortens `p` to a path relative to `cwd` when it lies below it.
fn display_relative(p: &Path, cwd: &Path) -> PathBuf {
    match p.strip_prefix(cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => p.to_path_buf(),
    }
}

/// What to load: discovered sources and graph files, paths relative to the working
/// directory when they lie below it.
struct Inputs {
    sources: Vec<crate::sources::SourceSpec>,
    graphs: Vec<PathBuf>,
    /// Whether they are `blast.toml`'s (none were given on the command line).
    from_config: bool,
}

/// The config and what to load.
fn config_and_inputs(opts: &GraphOptions) -> Result<(Config, Inputs)> {
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
            (
                opts.graphs.iter().map(|g| opts.cwd.join(g)).collect(),
                opts.sources.clone(),
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
    let sources = sources
        .into_iter()
        .map(|mut s| {
            for p in s.paths.iter_mut().chain(s.options.env_files.iter_mut()) {
                *p = display_relative(&opts.cwd.join(&*p), &opts.cwd);
            }
            s
        })
        .collect();
    let graphs = graphs
        .iter()
        .map(|g| display_relative(g, &opts.cwd))
        .collect();
    let from_config = opts.graphs.is_empty() && opts.sources.is_empty();
    Ok((
        config,
        Inputs {
            sources,
            graphs,
            from_config,
        },
    ))
}

/// Loads the sources, then the graph files (overlays), into a builder.
fn builder_for(config: &Config, inputs: &Inputs) -> Result<GraphBuilder> {
    let mut builder = GraphBuilder::new();
    let ctx = crate::sources::LoadContext {
        root: &config.root,
        classifier: &config.classifier,
    };
    for s in &inputs.sources {
        crate::sources::load_source(&mut builder, s, &ctx)?;
    }
    for g in &inputs.graphs {
        crate::sources::load_graph_file(&mut builder, g)?;
    }
    Ok(builder)
}

/// Graphs with at least this many nodes are cached with their id order.
const LARGE_GRAPH: usize = 1 << 15;

impl Workspace {
    /// Loads the config and the graph, refusing a graph with errors.
    ///
    /// # Errors
    /// Config or graph files that are missing or invalid.
    pub fn load(opts: &GraphOptions) -> Result<Workspace> {
        let _t = crate::timing::Phase::start("load");
        let (config, inputs) = config_and_inputs(opts)?;
        // The compiled-graph cache, for large graph files. Discovered sources are not
        // cached: their inputs (included files, folders, cargo's view of a workspace) are
        // not a list of files to hash, and they load in milliseconds. The inputs' identities
        // are taken before the key: a file replaced while it is parsed must not put another
        // graph under this key (checked again after the parse).
        let cached = (!opts.no_cache && inputs.sources.is_empty())
            .then(cache::cache_dir)
            .flatten()
            .and_then(|dir| {
                let before = cache::identity(&inputs.graphs)?;
                cache::key_of(&dir, &inputs.graphs).map(|key| (dir, key, before))
            });
        if let Some((dir, key, _)) = &cached
            && let Some(graph) = cache::read(dir, key)
        {
            let indexes = graph.indexes();
            return Ok(Workspace {
                config,
                graph,
                load: LoadReport::default(),
                cache_to: cached.map(|(dir, key, _)| (dir, key, Some(indexes))),
                sources: inputs.sources,
                inputs_from_config: inputs.from_config,
            });
        }
        let (graph, load) = builder_for(&config, &inputs)?.finish()?;
        // Stored only when the files parsed are the ones the key was taken from (none was
        // written or replaced meanwhile), and when loading found nothing to report: a
        // cached graph does not keep the loader's findings (an `empty-source` warning),
        // and a run from the cache must say what a run without it says.
        let cache_to = cached
            .filter(|(_, _, before)| {
                load.findings.is_empty() && cache::identity(&inputs.graphs).as_ref() == Some(before)
            })
            .map(|(dir, key, _)| (dir, key, None));
        Ok(Workspace {
            config,
            graph,
            load,
            cache_to,
            sources: inputs.sources,
            inputs_from_config: inputs.from_config,
        })
    }

    /// Stores the compiled graph in the cache when it was built from its sources this run,
    /// or when it came from the cache and the command built an index the file lacks (call
    /// it after the command, so the indexes the command built are stored too: the next
    /// `rank` after an `impact` does not sort the ids again).
    ///
    /// A large graph is stored with its id order even when this command did not need it:
    /// every later listing of a large radius sorts by it, and it costs one parallel sort.
    pub fn store_cache(&self) {
        if let Some((dir, key, stored)) = &self.cache_to {
            if self.graph.node_count() >= LARGE_GRAPH {
                let _ = self.graph.id_order();
            }
            if stored.is_none_or(|s| self.graph.indexes() & !s != 0) {
                cache::write(dir, key, &self.graph);
            }
        }
    }

    /// Loads the config and the graph, keeping errors as findings (for `check`).
    ///
    /// # Errors
    /// Config or graph files that are missing or do not parse.
    pub fn load_lenient(opts: &GraphOptions) -> Result<(Workspace, Vec<Finding>)> {
        let (config, inputs) = config_and_inputs(opts)?;
        let (graph, findings) = builder_for(&config, &inputs)?.finish_lenient()?;
        Ok((
            Workspace {
                config,
                graph,
                load: LoadReport::default(),
                cache_to: None,
                sources: inputs.sources,
                inputs_from_config: inputs.from_config,
            },
            findings,
        ))
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.config.policy
    }
}

pub use changes::{ChangeOptions, PreparedChange};

/// Options of `blast impact`.
#[derive(Clone, Debug)]
pub struct ImpactOptions {
    /// What changed: node ids, paths, a git range or a file list.
    pub change: ChangeOptions,
    /// Output format.
    pub format: Format,
    /// What JSON lists.
    pub json: ImpactJsonOptions,
    /// Text options.
    pub text: TextOptions,
    /// Picture options (for `--format dot|svg|mermaid|html`).
    pub draw: render::DrawOptions,
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
/// An unknown node id, git faults, an unreadable file list, unmapped files under
/// `unmapped = "error"`.
pub fn impact(ws: &Workspace, opts: &ImpactOptions, out: &mut dyn Write) -> Result<(u8, Warnings)> {
    let prepared = PreparedChange::open(ws, &opts.change)?;
    let (changes, more) = prepared.resolve()?;
    let mut warnings: Warnings = prepared.warnings().to_vec();
    warnings.extend(more.into_iter().map(|w| format!("warning: {w}")));
    // Text output shows unmapped paths itself; other formats warn on stderr.
    if opts.format != Format::Text {
        warnings.extend(changes.unmapped.iter().map(|u| {
            let u = crate::report::inert(u);
            format!("warning: '{u}' maps to no node (no `paths` glob, Cargo package or rule claims it); it is listed under \"unmapped\"")
        }));
    }
    if !opts.format.is_picture() && !opts.draw.is_default() {
        return Err(Error::Usage(format!(
            "--focus, --depth, --direction, --collapse, --show-dev, --renderer and --renderer-timeout shape pictures, not --format {}\n  help: add --format svg (or dot, mermaid, html)",
            opts.format
        )));
    }
    let mut analyzer = Analyzer::new(prepared.graph(), ws.policy().clone())
        .codeowners(prepared.codeowners().cloned());
    let impact = analyzer.impact(changes);
    if opts.format.is_picture() {
        render::impact(&impact, ws.policy(), opts.format, &opts.draw, out)?;
        return Ok((0, warnings));
    }
    match opts.format {
        Format::Json => report::json::impact(out, &impact, &opts.json),
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
