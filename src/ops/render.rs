//! `blast render` (a picture of the whole graph) and the picture formats of `blast impact`:
//! build the [`Picture`], then write it as DOT, SVG, Mermaid or HTML.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use super::Workspace;
use crate::analysis::picture::{Collapse, Picture, PictureOptions};
use crate::analysis::{Impact, Policy};
use crate::error::{Error, Result};
use crate::report::{self, Format};

/// Who lays out an SVG.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Renderer {
    /// blast's own layered layout: no external program.
    #[default]
    Builtin,
    /// Graphviz's `dot -Tsvg` (must be on `PATH`).
    Graphviz,
}

/// Seconds Graphviz's `dot` may run unless `--renderer-timeout` says otherwise.
pub const DEFAULT_RENDERER_TIMEOUT: u64 = 300;

/// How to draw a picture.
#[derive(Clone, Debug, Default)]
pub struct DrawOptions {
    /// What to keep and fold.
    pub picture: PictureOptions,
    /// Who lays out SVG.
    pub renderer: Renderer,
    /// Seconds Graphviz's `dot` may run (`--renderer-timeout`; `None`:
    /// [`DEFAULT_RENDERER_TIMEOUT`], `Some(0)`: as long as it takes).
    pub renderer_timeout: Option<u64>,
}

impl DrawOptions {
    /// Whether any picture-only option differs from its default.
    pub fn is_default(&self) -> bool {
        let p = &self.picture;
        p.focus.is_none()
            && p.depth.is_none()
            && p.direction == Default::default()
            && p.collapse == Collapse::Auto
            && !p.show_dev
            && self.renderer == Renderer::Builtin
            && self.renderer_timeout.is_none()
    }
}

/// Options of `blast render`.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// dot, svg, mermaid or html.
    pub format: Format,
    /// How to draw.
    pub draw: DrawOptions,
}

fn check_format(format: Format, draw: &DrawOptions) -> Result<()> {
    if !format.is_picture() {
        return Err(Error::Usage(format!(
            "`blast render` draws pictures: --format {format} is not one\n  help: use --format svg, dot, mermaid or html"
        )));
    }
    if draw.renderer == Renderer::Graphviz && format != Format::Svg {
        return Err(Error::Usage(format!(
            "--renderer applies to --format svg only (got --format {format})\n  help: drop --renderer, or use --format svg"
        )));
    }
    if draw.renderer_timeout.is_some() && draw.renderer != Renderer::Graphviz {
        return Err(Error::Usage(
            "--renderer-timeout applies to --renderer graphviz only\n  help: drop --renderer-timeout, or draw with --format svg --renderer graphviz".to_string(),
        ));
    }
    Ok(())
}

/// `blast render`: the whole graph (or the focused part of it) as a picture.
///
/// # Errors
/// A format that is not a picture, an unknown `--focus` id, or Graphviz missing for
/// `--renderer graphviz`.
pub fn render(ws: &Workspace, opts: &RenderOptions, out: &mut dyn Write) -> Result<u8> {
    check_format(opts.format, &opts.draw)?;
    let policy = ws.policy();
    let picture = Picture::of_graph(&ws.graph, policy, &opts.draw.picture)?;
    draw(&picture, opts.format, &opts.draw, out, || {
        Picture::of_graph(&ws.graph, policy, &services_only(&opts.draw.picture))
    })?;
    Ok(0)
}

/// Draws an impact as a picture (the picture formats of `blast impact`).
///
/// # Errors
/// An unknown `--focus` id or one outside the blast radius, or Graphviz missing for
/// `--renderer graphviz`.
pub fn impact(
    impact: &Impact<'_>,
    policy: &Policy,
    format: Format,
    opts: &DrawOptions,
    out: &mut dyn Write,
) -> Result<()> {
    check_format(format, opts)?;
    let picture = Picture::of_impact(impact, policy, &opts.picture)?;
    draw(&picture, format, opts, out, || {
        Picture::of_impact(impact, policy, &services_only(&opts.picture))
    })
}

fn services_only(p: &PictureOptions) -> PictureOptions {
    PictureOptions {
        collapse: Collapse::Modules,
        ..p.clone()
    }
}

fn draw(
    picture: &Picture,
    format: Format,
    opts: &DrawOptions,
    out: &mut dyn Write,
    services: impl FnOnce() -> Result<Picture>,
) -> Result<()> {
    match format {
        Format::Dot => report::dot::write(out, picture).map_err(Error::Output),
        Format::Svg => match opts.renderer {
            Renderer::Builtin => report::svg::write(out, picture).map_err(Error::Output),
            Renderer::Graphviz => {
                let svg = graphviz_svg(
                    &report::dot::print(&report::dot::graph(picture)),
                    match opts.renderer_timeout.unwrap_or(DEFAULT_RENDERER_TIMEOUT) {
                        0 => None,
                        secs => Some(std::time::Duration::from_secs(secs)),
                    },
                )?;
                out.write_all(&svg).map_err(Error::Output)
            }
        },
        Format::Mermaid => {
            let budget = report::mermaid::Budget::default();
            let folded;
            let services = if !picture.collapsed && !report::mermaid::fits(picture, &budget) {
                folded = services()?;
                Some(&folded)
            } else {
                None
            };
            report::mermaid::write(out, picture, services, &budget).map_err(Error::Output)
        }
        Format::Html => report::html::write(out, picture).map_err(Error::Output),
        _ => unreachable!("checked by check_format"),
    }
}

/// Runs Graphviz's `dot -Tsvg` on DOT text, stopping it after `timeout`.
fn graphviz_svg(dot: &str, timeout: Option<std::time::Duration>) -> Result<Vec<u8>> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::Usage(if e.kind() == std::io::ErrorKind::NotFound {
                "--renderer graphviz needs Graphviz's `dot` program, which is not on PATH\n  help: install Graphviz (`apt-get install graphviz`, `brew install graphviz`), or drop --renderer to use blast's own layout".to_string()
            } else {
                format!("cannot run Graphviz's `dot`: {e}\n  help: check your Graphviz installation, or drop --renderer to use blast's own layout")
            })
        })?;
    // The DOT goes in and the SVG and messages come out on threads of their own, so
    // neither side waits for the other with a full pipe, and the clock is kept here.
    let mut stdin = child.stdin.take().expect("piped");
    let input = dot.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let reader = read_all(child.stdout.take().expect("piped"));
    let complaints = read_all(child.stderr.take().expect("piped"));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::io("dot", e))? {
            break status;
        }
        if let Some(limit) = timeout.filter(|&t| started.elapsed() >= t) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Usage(format!(
                "Graphviz's `dot` did not finish within {} s, so it was stopped\n  help: drop --renderer to use blast's own layout (about a second for thousands of nodes), draw less (--focus ID --depth N, --collapse modules), or give it longer with --renderer-timeout SECS (0: no limit)",
                limit.as_secs()
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let _ = writer.join();
    let joined = |h: std::thread::JoinHandle<std::io::Result<_>>| {
        h.join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .map_err(|e| Error::io("dot", e))
    };
    let svg = joined(reader)?;
    let err = String::from_utf8_lossy(&joined(complaints)?).into_owned();
    if !status.success() {
        // Its last lines say what went wrong; thousands of warnings before them do not.
        let lines: Vec<String> = err.trim().lines().map(crate::report::inert).collect();
        let last = lines[lines.len().saturating_sub(DOT_MESSAGE_LINES)..].join("\n  ");
        let count = last.chars().count();
        let last = if count > DOT_MESSAGE_CHARS {
            let tail: String = last.chars().skip(count - DOT_MESSAGE_CHARS).collect();
            format!("…{tail}")
        } else {
            last
        };
        return Err(Error::Usage(format!(
            "Graphviz's `dot` failed ({status}):\n  {last}\n  help: drop --renderer to use blast's own layout, or report this DOT (from --format dot) as a bug"
        )));
    }
    Ok(svg)
}

/// Reads `r` to its end on a thread of its own.
fn read_all(
    mut r: impl Read + Send + 'static,
) -> std::thread::JoinHandle<std::io::Result<Vec<u8>>> {
    std::thread::spawn(move || {
        let mut b = Vec::new();
        r.read_to_end(&mut b).map(|_| b)
    })
}

/// At most this many of `dot`'s last lines, and of their last characters, go into the
/// error.
const DOT_MESSAGE_LINES: usize = 10;
const DOT_MESSAGE_CHARS: usize = 4000;
