//! Command-line flags (clap) and their translation into the library's option structs.
//! No logic lives here beyond that translation.

use std::io::IsTerminal;
use std::path::PathBuf;

use blast_radius::ops::{self, GraphOptions, ImpactOptions, WhyOptions, Workspace};
use blast_radius::report::Format;
use blast_radius::report::text::TextOptions;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Which customer-facing services can a change reach, how hard, and along which path.
#[derive(Parser, Debug)]
#[command(name = "blast", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to color the output.
    #[arg(long, value_enum, global = true, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// `--color`.
#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Args, Debug, Clone)]
struct GraphArgs {
    /// A graph file (.json, .toml, .yaml); repeat to merge several. With sources, an overlay that wins over them.
    #[arg(long = "graph", short = 'g', value_name = "FILE")]
    graphs: Vec<PathBuf>,
    /// A Cargo workspace (its directory or Cargo.toml); repeatable.
    #[arg(long = "cargo", value_name = "PATH")]
    cargo: Vec<PathBuf>,
    /// A Docker Compose file; repeat for override files, like `docker compose -f a -f b`.
    #[arg(long = "compose", value_name = "FILE")]
    compose: Vec<PathBuf>,
    /// With --compose: a profile to select (repeatable; default: every service).
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,
    /// Kubernetes manifests: a YAML file or a folder of them (repeatable).
    #[arg(long = "k8s", value_name = "PATH")]
    k8s: Vec<PathBuf>,
    /// A Backstage catalog file (Location targets are followed); repeatable.
    #[arg(long = "backstage", value_name = "FILE")]
    backstage: Vec<PathBuf>,
    /// Jaeger (`/api/dependencies`) or Zipkin dependency links, as JSON; repeatable.
    #[arg(long = "jaeger", value_name = "FILE")]
    jaeger: Vec<PathBuf>,
    /// The configuration file (default: blast.toml here or in the nearest parent directory).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum OutFormat {
    Text,
    Json,
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Format {
        match f {
            OutFormat::Text => Format::Text,
            OutFormat::Json => Format::Json,
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The blast radius of a change: every node it reaches, how hard, along which path, and the risk.
    Impact {
        /// Node ids or changed file paths (paths map to nodes through their `paths` globs).
        #[arg(required = true, value_name = "CHANGE")]
        changes: Vec<String>,
        #[command(flatten)]
        graph: GraphArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
        /// Text output: at most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// How a change to FROM reaches TO: the strongest and the shortest path, and how many paths there are.
    Why {
        /// The changed node.
        from: String,
        /// The node to explain.
        to: String,
        #[command(flatten)]
        graph: GraphArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
        /// Stop counting distinct simple paths at this number.
        #[arg(long, default_value_t = 10_000)]
        max_paths: u64,
    },
    /// The merged graph: every node and edge with the source, file, line and evidence it came from.
    Graph {
        /// Only these nodes and the edges touching them (default: everything).
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        #[command(flatten)]
        graph: GraphArgs,
        /// Output format (json: the graph file schema plus provenance; loads again with --graph).
        #[arg(long, short = 'f', value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
    },
    /// Problems in the graph: dangling edges, duplicates, cycles, missing tiers and owners, ...
    Check {
        #[command(flatten)]
        graph: GraphArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
    },
}

/// Whether to emit ANSI colour on stdout.
pub fn color_enabled(when: ColorWhen) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn graph_options(g: GraphArgs) -> blast_radius::Result<GraphOptions> {
    use blast_radius::sources::{SourceKind, SourceOptions, SourceSpec};
    let cwd = std::env::current_dir().map_err(|e| blast_radius::Error::io(".", e))?;
    if !g.profiles.is_empty() && g.compose.is_empty() {
        return Err(blast_radius::Error::Usage(
            "--profile selects Compose profiles\n  help: pass the Compose files with --compose FILE too".into(),
        ));
    }
    let mut sources = Vec::new();
    let mut add = |kind, paths: Vec<PathBuf>, options: SourceOptions| {
        if !paths.is_empty() {
            sources.push(SourceSpec {
                kind,
                paths,
                options,
            });
        }
    };
    add(SourceKind::Cargo, g.cargo, SourceOptions::default());
    add(
        SourceKind::Compose,
        g.compose,
        SourceOptions {
            profiles: g.profiles,
            ..SourceOptions::default()
        },
    );
    add(SourceKind::K8s, g.k8s, SourceOptions::default());
    add(SourceKind::Backstage, g.backstage, SourceOptions::default());
    add(SourceKind::Jaeger, g.jaeger, SourceOptions::default());
    Ok(GraphOptions {
        config: g.config,
        graphs: g.graphs,
        sources,
        cwd,
    })
}

/// Runs the command, writing the report into `out`. Returns the exit code and warnings.
pub fn run(cli: Cli, color: bool, out: &mut Vec<u8>) -> blast_radius::Result<(u8, Vec<String>)> {
    let text = |limit| TextOptions { color, limit };
    match cli.command {
        Command::Impact {
            changes,
            graph,
            format,
            limit,
        } => {
            let ws = Workspace::load(&graph_options(graph)?)?;
            let opts = ImpactOptions {
                changes,
                format: format.into(),
                text: text(limit),
            };
            let mut warnings = ops::load_warnings(&ws);
            let (code, more) = ops::impact(&ws, &opts, out)?;
            warnings.extend(more);
            Ok((code, warnings))
        }
        Command::Why {
            from,
            to,
            graph,
            format,
            max_paths,
        } => {
            let ws = Workspace::load(&graph_options(graph)?)?;
            let opts = WhyOptions {
                from,
                to,
                max_paths,
                format: format.into(),
                text: text(50),
            };
            ops::why(&ws, &opts, out).map(|c| (c, ops::load_warnings(&ws)))
        }
        Command::Graph { ids, graph, format } => {
            let opts = ops::ListOptions {
                ids,
                format: format.into(),
            };
            ops::graph(&graph_options(graph)?, &opts, out)
        }
        Command::Check { graph, format } => {
            ops::check(&graph_options(graph)?, format.into(), &text(50), out)
                .map(|c| (c, Vec::new()))
        }
    }
}
