//! Command-line flags (clap) and their translation into the library's option structs.
//! No logic lives here beyond that translation.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use blast_radius::analysis::picture::{Collapse, FocusDirection, PictureOptions};
use blast_radius::analysis::rank::{RankOptions, SizeMode};
use blast_radius::changes::{ChangeSource, Range, Unmapped};
use blast_radius::graph::NodeKind;
use blast_radius::ops::ci::{Annotations, SummaryTarget};
use blast_radius::ops::render::{DrawOptions, RenderOptions, Renderer};
use blast_radius::ops::{self, ChangeOptions, GraphOptions, ImpactOptions, WhyOptions, Workspace};
use blast_radius::report::Format;
use blast_radius::report::json::{ImpactJsonOptions, NodeList};
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
    /// Neither read nor write the compiled-graph cache.
    #[arg(long)]
    no_cache: bool,
}

/// Where the change comes from, besides ids and paths on the command line.
#[derive(Args, Debug, Clone)]
struct ChangeArgs {
    /// Compare with the merge base of REF and HEAD: committed, staged, unstaged and untracked changes.
    #[arg(long, value_name = "REF", conflicts_with_all = ["staged", "files_from"])]
    base: Option<String>,
    /// With --base: compare the merge base with REF instead of HEAD and the working tree.
    #[arg(long, value_name = "REF", requires = "base")]
    head: Option<String>,
    /// Only the staged changes (HEAD against the index).
    #[arg(long, conflicts_with = "files_from")]
    staged: bool,
    /// Read the changed files from FILE ('-' for stdin): one per line, or NUL-separated.
    #[arg(long, value_name = "FILE")]
    files_from: Option<PathBuf>,
    /// What to do with files that map to no node (default: `unmapped` in blast.toml, else warn).
    #[arg(long, value_enum, value_name = "WHAT")]
    unmapped: Option<UnmappedArg>,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum UnmappedArg {
    /// List them under "unmapped" and warn.
    Warn,
    /// Treat each as a change to every node.
    All,
    /// Fail (exit 2) naming them.
    Error,
}

impl ChangeArgs {
    /// `--unmapped`, when given.
    fn unmapped(&self) -> Option<Unmapped> {
        self.unmapped.map(|u| match u {
            UnmappedArg::Warn => Unmapped::Warn,
            UnmappedArg::All => Unmapped::All,
            UnmappedArg::Error => Unmapped::Error,
        })
    }

    fn options(self, inputs: Vec<String>, cwd: PathBuf) -> ChangeOptions {
        let unmapped = self.unmapped();
        let source = if let Some(base) = self.base {
            Some(ChangeSource::Git(Range::Base {
                base,
                head: self.head,
            }))
        } else if self.staged {
            Some(ChangeSource::Git(Range::Staged))
        } else {
            self.files_from.map(ChangeSource::FilesFrom)
        };
        ChangeOptions {
            inputs,
            source,
            unmapped,
            cwd,
        }
    }
}

/// `blast ci`: sign-off, labels and outputs.
#[derive(Args, Debug, Clone)]
struct CiArgs {
    /// Logins that approved the change (comma-separated; repeatable).
    #[arg(long, value_name = "LOGIN,...", help_heading = "Sign-off")]
    approved_by: Vec<String>,
    /// GitHub's pull-request reviews JSON (`gh api repos/O/R/pulls/N/reviews --paginate`): each reviewer's latest review counts.
    #[arg(long, value_name = "FILE", help_heading = "Sign-off")]
    approvals: Option<PathBuf>,
    /// The commit under review, a full id (the pull request's head, `${{ github.event.pull_request.head.sha }}`): approvals of other commits are stale and not counted. Default: the head commit (on GitHub's pull-request merge commit, also the pull request's head).
    #[arg(long, value_name = "SHA", help_heading = "Sign-off")]
    reviewed_commit: Option<String>,
    /// The pull request's labels (comma-separated; repeatable): AI-assisted and override labels.
    #[arg(long, value_name = "LABEL,...", help_heading = "Sign-off")]
    label: Vec<String>,
    /// Write a Markdown summary to FILE ('-' for stdout); without FILE, append to $GITHUB_STEP_SUMMARY.
    #[arg(long, value_name = "FILE", num_args = 0..=1, help_heading = "CI outputs")]
    summary: Option<Option<PathBuf>>,
    /// The summary's size budget in bytes (default 1000000; about 65000 for a PR comment).
    #[arg(long, value_name = "BYTES", help_heading = "CI outputs")]
    summary_limit: Option<usize>,
    /// Also write annotations to stdout (GitHub Actions workflow commands).
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "CI outputs")]
    annotations: Option<AnnotationsArg>,
    /// Write SARIF 2.1.0 to FILE ('-' for stdout), for GitHub code scanning.
    #[arg(long, value_name = "FILE", help_heading = "CI outputs")]
    sarif: Option<PathBuf>,
    /// Write a GitLab Code Quality report to FILE ('-' for stdout).
    #[arg(long, value_name = "FILE", help_heading = "CI outputs")]
    gitlab: Option<PathBuf>,
    /// Write the JSON report (blast-radius/ci/v1) to FILE ('-' for stdout).
    #[arg(long, value_name = "FILE", help_heading = "CI outputs")]
    json: Option<PathBuf>,
    /// Append one JSON line per run to FILE (the audit trail).
    #[arg(long, value_name = "FILE", help_heading = "CI outputs")]
    audit: Option<PathBuf>,
    /// Text output: at most this many rows per list.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum AnnotationsArg {
    /// GitHub Actions workflow commands (::error file=…::…).
    Github,
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
    /// With --renderer graphviz: stop `dot` after this many seconds (0: no limit)
    /// [default: 300].
    #[arg(long, value_name = "SECS")]
    renderer_timeout: Option<u64>,
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
            renderer_timeout: a.renderer_timeout,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum Listed {
    /// Every impacted node.
    All,
    /// Only customer-facing or tiered nodes.
    Rated,
    /// None: risk, changes and summary only.
    None,
}

impl From<Listed> for NodeList {
    fn from(l: Listed) -> NodeList {
        match l {
            Listed::All => NodeList::All,
            Listed::Rated => NodeList::Rated,
            Listed::None => NodeList::None,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum Sizes {
    /// Exact when affordable, else estimated.
    Auto,
    /// Always exact.
    Exact,
    /// Always estimated.
    Estimate,
}

fn parse_kind(s: &str) -> Result<NodeKind, String> {
    s.parse()
        .map_err(|e: blast_radius::graph::ParseKindError| e.to_string())
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The blast radius of a change: every node it reaches, how hard, along which path, and the risk.
    Impact {
        /// Node ids, or file or folder paths relative to the repository root (a folder is every file in it, `.` the whole repository); paths map to nodes through `paths` globs, Cargo packages and rules.
        #[arg(value_name = "CHANGE", required_unless_present_any = ["base", "staged", "files_from", "batch"])]
        changes: Vec<String>,
        #[command(flatten)]
        change: ChangeArgs,
        #[command(flatten)]
        graph: GraphArgs,
        /// Output format: a report (text, json) or a picture of the blast radius (dot, svg, mermaid, html).
        #[arg(long, short = 'f', value_enum, default_value_t = ImpactFormat::Text)]
        format: ImpactFormat,
        /// Text output: at most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// JSON output: which impacted nodes to list (the summary always counts all).
        #[arg(long, value_enum, default_value_t = Listed::All)]
        nodes: Listed,
        /// JSON output: leave out each node's `path` (smaller output for large radii).
        #[arg(long)]
        no_paths: bool,
        /// Read one change set per line from FILE (`-` for stdin) and write one JSON result
        /// per line (always JSON), sharing one load.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["changes", "format", "base", "staged", "files_from"])]
        batch: Option<PathBuf>,
        #[command(flatten)]
        picture: PictureArgs,
    },
    /// The CI gate: the impact of a change, the sign-off its risk needs and whether it has it (exit 1 when not), with annotations, SARIF, GitLab, Markdown, JSON and audit outputs.
    Ci {
        /// Node ids or changed file paths, as for `impact`.
        #[arg(value_name = "CHANGE", required_unless_present_any = ["base", "staged", "files_from"])]
        changes: Vec<String>,
        #[command(flatten)]
        change: ChangeArgs,
        #[command(flatten)]
        graph: GraphArgs,
        #[command(flatten)]
        ci: CiArgs,
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
        /// Stop counting distinct simple paths through cycles at this number (counts without
        /// cycles are exact).
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
    /// Every node's reach: customer-facing and tier-0 nodes in its blast radius, its size, and the highest risk a change to it can cause.
    Rank {
        #[command(flatten)]
        graph: GraphArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
        /// Only the first N nodes (text shows 20 unless given; JSON lists every node unless given).
        #[arg(long)]
        top: Option<usize>,
        /// Only nodes of this kind (repeatable).
        #[arg(long, value_parser = parse_kind)]
        kind: Vec<NodeKind>,
        /// Blast-radius sizes: exact when affordable, else estimated (auto); or force one.
        #[arg(long, value_enum, default_value_t = Sizes::Auto)]
        sizes: Sizes,
    },
    /// Single points of failure of every tier-0 node, and shared-fate groups.
    Spof {
        #[command(flatten)]
        graph: GraphArgs,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
        /// Text output: at most this many rows per table.
        #[arg(long, default_value_t = 20)]
        limit: usize,
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
        no_cache: g.no_cache,
    })
}

/// Runs `f` with stdout as its output, for outputs that are large (a million-node rank or
/// graph listing) or come one answer at a time (`--batch`), instead of holding them until
/// the end like a single report. A reader that goes away (`| head`) ends the run quietly.
fn streamed(
    f: impl FnOnce(&mut (dyn Write + Send)) -> blast_radius::Result<(u8, Vec<String>)>,
) -> blast_radius::Result<(u8, Vec<String>)> {
    // Not locked for the whole run: `--batch` writes from another thread.
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout());
    match f(&mut w).and_then(|r| w.flush().map(|()| r).map_err(blast_radius::Error::Output)) {
        Err(blast_radius::Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok((0, Vec::new()))
        }
        r => r,
    }
}

/// Runs the command, writing the report into `out` (or, for `--batch`, `rank` and `graph`,
/// straight to stdout). Returns the exit code and warnings.
pub fn run(cli: Cli, color: bool, out: &mut Vec<u8>) -> blast_radius::Result<(u8, Vec<String>)> {
    let text = |limit| TextOptions { color, limit };
    match cli.command {
        Command::Impact {
            changes,
            change,
            graph,
            format,
            limit,
            picture,
            nodes,
            no_paths,
            batch,
        } => {
            let json = ImpactJsonOptions {
                nodes: nodes.into(),
                paths: !no_paths,
            };
            let graph = graph_options(graph)?;
            let ws = Workspace::load(&graph)?;
            if let Some(batch) = batch {
                // Results stream to stdout as they come (one line each, flushed).
                let opts = ops::BatchOptions {
                    json,
                    unmapped: change.unmapped(),
                };
                let name = batch.display().to_string();
                let result = streamed(|w| {
                    if name == "-" {
                        let stdin = std::io::stdin();
                        ops::impact_batch(&ws, &opts, &mut stdin.lock(), "<stdin>", w)
                    } else {
                        let file = std::fs::File::open(&batch)
                            .map_err(|e| blast_radius::Error::io(&batch, e))?;
                        let mut input = std::io::BufReader::new(file);
                        ops::impact_batch(&ws, &opts, &mut input, &name, w)
                    }
                });
                ws.store_cache();
                return result;
            }
            let opts = ImpactOptions {
                change: change.options(changes, graph.cwd.clone()),
                format: format.into(),
                json,
                text: text(limit),
                draw: picture.into(),
            };
            let result = ops::impact(&ws, &opts, out).map(|(code, more)| {
                let mut warnings = ops::load_warnings(&ws);
                warnings.extend(more);
                (code, warnings)
            });
            ws.store_cache();
            result
        }
        Command::Ci {
            changes,
            change,
            graph,
            ci,
        } => {
            let graph = graph_options(graph)?;
            let ws = Workspace::load(&graph)?;
            let opts = ops::CiOptions {
                change: change.options(changes, graph.cwd.clone()),
                approved_by: ci.approved_by,
                approvals: ci.approvals,
                reviewed_commit: ci.reviewed_commit,
                labels: ci.label,
                summary: ci.summary.map(|s| match s {
                    Some(file) => SummaryTarget::File(file),
                    // The step summary file is only a default for where to write.
                    None => SummaryTarget::StepSummary(
                        std::env::var_os("GITHUB_STEP_SUMMARY")
                            .filter(|v| !v.is_empty())
                            .map(PathBuf::from),
                    ),
                }),
                summary_limit: ci.summary_limit,
                annotations: ci.annotations.map(|a| match a {
                    AnnotationsArg::Github => Annotations::Github,
                }),
                sarif: ci.sarif,
                gitlab: ci.gitlab,
                json: ci.json,
                audit: ci.audit,
                text: text(ci.limit),
            };
            let result = ops::ci(&ws, &opts, out);
            ws.store_cache();
            result
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
            let result = ops::render::render(&ws, &opts, out).map(|c| (c, Vec::new()));
            ws.store_cache();
            result
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
            let result = ops::why(&ws, &opts, out).map(|c| (c, ops::load_warnings(&ws)));
            ws.store_cache();
            result
        }
        Command::Graph { ids, graph, format } => {
            let opts = ops::ListOptions {
                ids,
                format: format.into(),
            };
            let graph = graph_options(graph)?;
            // A million-node listing is most of a gigabyte: it streams.
            streamed(|w| ops::graph(&graph, &opts, w))
        }
        Command::Rank {
            graph,
            format,
            top,
            kind,
            sizes,
        } => {
            let ws = Workspace::load(&graph_options(graph)?)?;
            let top = match (top, format) {
                (Some(n), _) => Some(n),
                (None, OutFormat::Text) => Some(20),
                (None, OutFormat::Json) => None,
            };
            let opts = RankOptions {
                kinds: kind,
                top,
                sizes: match sizes {
                    Sizes::Auto => SizeMode::Auto,
                    Sizes::Exact => SizeMode::Exact,
                    Sizes::Estimate => SizeMode::Estimate,
                },
            };
            let result = streamed(|w| {
                ops::rank(&ws, &opts, format.into(), &text(50), w).map(|c| (c, Vec::new()))
            });
            ws.store_cache();
            result
        }
        Command::Spof {
            graph,
            format,
            limit,
        } => {
            let ws = Workspace::load(&graph_options(graph)?)?;
            let result = ops::spof(&ws, format.into(), &text(limit), out).map(|c| (c, Vec::new()));
            ws.store_cache();
            result
        }
        Command::Check { graph, format } => {
            ops::check(&graph_options(graph)?, format.into(), &text(50), out)
                .map(|c| (c, Vec::new()))
        }
    }
}
