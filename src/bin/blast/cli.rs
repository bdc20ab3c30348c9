//! Command-line flags (clap) and their translation into the library's option structs.
//! No logic lives here beyond that translation.

use std::io::IsTerminal;
use std::path::PathBuf;

use blast_radius::analysis::picture::{Collapse, FocusDirection, PictureOptions};
use blast_radius::ops::render::{DrawOptions, RenderOptions, Renderer};
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
    /// A graph file (.json, .toml, .yaml); repeat to merge several. Replaces the config's `graphs`.
    #[arg(long = "graph", short = 'g', value_name = "FILE")]
    graphs: Vec<PathBuf>,
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

/// `blast impact --format`: reports and pictures.
#[derive(Copy, Clone, Debug, ValueEnum)]
enum ImpactFormat {
    /// Aligned text.
    Text,
    /// JSON (`blast-radius/impact/v1`).
    Json,
    /// Graphviz DOT.
    Dot,
    /// SVG, laid out by blast itself (see --renderer).
    Svg,
    /// A Mermaid flowchart in a Markdown code block.
    Mermaid,
    /// A self-contained HTML explorer.
    Html,
}

/// `blast render --format`.
#[derive(Copy, Clone, Debug, ValueEnum)]
enum PictureFormat {
    /// SVG, laid out by blast itself (see --renderer).
    Svg,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart in a Markdown code block.
    Mermaid,
    /// A self-contained HTML explorer.
    Html,
}

impl From<ImpactFormat> for Format {
    fn from(f: ImpactFormat) -> Format {
        match f {
            ImpactFormat::Text => Format::Text,
            ImpactFormat::Json => Format::Json,
            ImpactFormat::Dot => Format::Dot,
            ImpactFormat::Svg => Format::Svg,
            ImpactFormat::Mermaid => Format::Mermaid,
            ImpactFormat::Html => Format::Html,
        }
    }
}

impl From<PictureFormat> for Format {
    fn from(f: PictureFormat) -> Format {
        match f {
            PictureFormat::Svg => Format::Svg,
            PictureFormat::Dot => Format::Dot,
            PictureFormat::Mermaid => Format::Mermaid,
            PictureFormat::Html => Format::Html,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum DirectionArg {
    /// Towards dependents: what a change to the focus node reaches.
    Up,
    /// Towards dependencies.
    Down,
    /// Both.
    Both,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum CollapseArg {
    /// Fold modules into their services above 500 nodes.
    Auto,
    /// Always fold modules into their services (a service-level view).
    Modules,
    /// Never fold.
    None,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum RendererArg {
    /// blast's own layout: no external program.
    Builtin,
    /// Graphviz's `dot` (must be installed).
    Graphviz,
}

/// Flags that shape a picture.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Picture options (dot, svg, mermaid, html)")]
struct PictureArgs {
    /// Draw only this node's neighbourhood.
    #[arg(long, value_name = "ID")]
    focus: Option<String>,
    /// With --focus: at most this many hops away (default: no limit).
    #[arg(long, value_name = "N", requires = "focus")]
    depth: Option<u32>,
    /// With --focus: walk to dependents (up), dependencies (down) or both.
    #[arg(long, value_enum, default_value_t = DirectionArg::Both, requires = "focus")]
    direction: DirectionArg,
    /// Fold modules into their services: auto (above 500 nodes), modules (always) or none.
    #[arg(long, value_enum, default_value_t = CollapseArg::Auto)]
    collapse: CollapseArg,
    /// Also draw dev edges (hidden by default).
    #[arg(long)]
    show_dev: bool,
    /// Who lays out SVG: builtin (no external program) or graphviz (runs `dot`).
    #[arg(long, value_enum, default_value_t = RendererArg::Builtin)]
    renderer: RendererArg,
}

impl From<PictureArgs> for DrawOptions {
    fn from(a: PictureArgs) -> DrawOptions {
        DrawOptions {
            picture: PictureOptions {
                focus: a.focus,
                depth: a.depth,
                direction: match a.direction {
                    DirectionArg::Up => FocusDirection::Up,
                    DirectionArg::Down => FocusDirection::Down,
                    DirectionArg::Both => FocusDirection::Both,
                },
                collapse: match a.collapse {
                    CollapseArg::Auto => Collapse::Auto,
                    CollapseArg::Modules => Collapse::Modules,
                    CollapseArg::None => Collapse::None,
                },
                show_dev: a.show_dev,
            },
            renderer: match a.renderer {
                RendererArg::Builtin => Renderer::Builtin,
                RendererArg::Graphviz => Renderer::Graphviz,
            },
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
        /// Output format: a report (text, json) or a picture of the blast radius (dot, svg, mermaid, html).
        #[arg(long, short = 'f', value_enum, default_value_t = ImpactFormat::Text)]
        format: ImpactFormat,
        /// Text output: at most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        picture: PictureArgs,
    },
    /// A picture of the whole graph (or of --focus's neighbourhood), coloured by tier.
    Render {
        #[command(flatten)]
        graph: GraphArgs,
        /// Picture format.
        #[arg(long, short = 'f', value_enum, default_value_t = PictureFormat::Svg)]
        format: PictureFormat,
        #[command(flatten)]
        picture: PictureArgs,
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
    let cwd = std::env::current_dir().map_err(|e| blast_radius::Error::io(".", e))?;
    Ok(GraphOptions {
        config: g.config,
        graphs: g.graphs,
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
            picture,
        } => {
            let ws = Workspace::load(&graph_options(graph)?)?;
            let opts = ImpactOptions {
                changes,
                format: format.into(),
                text: text(limit),
                draw: picture.into(),
            };
            ops::impact(&ws, &opts, out)
        }
        Command::Render {
            graph,
            format,
            picture,
        } => {
            let ws = Workspace::load(&graph_options(graph)?)?;
            let opts = RenderOptions {
                format: format.into(),
                draw: picture.into(),
            };
            ops::render::render(&ws, &opts, out).map(|c| (c, Vec::new()))
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
            ops::why(&ws, &opts, out).map(|c| (c, Vec::new()))
        }
        Command::Check { graph, format } => {
            ops::check(&graph_options(graph)?, format.into(), &text(50), out)
                .map(|c| (c, Vec::new()))
        }
    }
}
