//! Text reports for a terminal: a headline first, then aligned tables.
//!
//! Colour is ANSI and optional ([`TextOptions::color`]); the binary turns it on only for a
//! terminal and never when `NO_COLOR` is set.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use super::plural;
use super::{fmt_strength, inert};
use crate::analysis::why::Route;
use crate::analysis::{CheckReport, Impact, OwnersSource, Risk, Why};
use crate::changes::topology::{Topology, edge_label};
use crate::codes::Severity;
use crate::graph::NodeKind;

/// Options for text output.
#[derive(Clone, Debug)]
pub struct TextOptions {
    /// Emit ANSI colour.
    pub color: bool,
    /// At most this many rows per table (the rest are counted).
    pub limit: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            color: false,
            limit: 50,
        }
    }
}

struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: Style, s: &str) -> String {
        if self.color {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.to_string()
        }
    }
    fn risk_style(r: Risk) -> Style {
        match r {
            Risk::Critical => AnsiColor::Red.on_default().effects(Effects::BOLD),
            Risk::High => AnsiColor::Red.on_default(),
            Risk::Medium => AnsiColor::Yellow.on_default(),
            Risk::Low => AnsiColor::Cyan.on_default(),
            Risk::None => Style::new().effects(Effects::DIMMED),
        }
    }
    fn risk(&self, r: Risk) -> String {
        self.paint(Self::risk_style(r), r.as_str())
    }
    fn bold(&self, s: &str) -> String {
        self.paint(Style::new().effects(Effects::BOLD), s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint(Style::new().effects(Effects::DIMMED), s)
    }
    fn severity(&self, s: Severity) -> String {
        let style = match s {
            Severity::Error => AnsiColor::Red.on_default().effects(Effects::BOLD),
            Severity::Warning => AnsiColor::Yellow.on_default().effects(Effects::BOLD),
            Severity::Note => AnsiColor::Cyan.on_default(),
        };
        self.paint(style, s.as_str())
    }
}

/// Pads `s` (which may hold ANSI codes) to `width` visible characters.
fn pad(s: &str, visible: usize, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(visible)))
}

/// Writes rows as aligned columns; `cells[i]` is `(painted, visible width)`.
fn table(
    w: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<(String, usize)>],
    p: &Paint,
) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| super::display_width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.1);
        }
    }
    let last = header.len() - 1;
    let head: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == last {
                h.to_string()
            } else {
                pad(h, super::display_width(h), widths[i])
            }
        })
        .collect();
    writeln!(w, "  {}", p.dim(&head.join("  ")))?;
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.0.clone()
                } else {
                    pad(&c.0, c.1, widths[i])
                }
            })
            .collect();
        writeln!(w, "  {}", cells.join("  ").trim_end())?;
    }
    Ok(())
}

/// The dimmed `… and N more…` line after a list of `total` items cut at `shown` (nothing
/// when none were cut); `more(N)` words the rest.
fn and_more(
    w: &mut dyn Write,
    p: &Paint,
    indent: &str,
    total: usize,
    shown: usize,
    more: impl Fn(usize) -> String,
) -> io::Result<()> {
    if total > shown {
        writeln!(
            w,
            "{indent}{}",
            p.dim(&format!("… and {}", more(total - shown)))
        )?;
    }
    Ok(())
}

/// A cell of plain text: names in it shown through [`inert`], so a cell stays on its line.
fn plain(s: impl Into<String>) -> (String, usize) {
    let s = super::inert_owned(s.into());
    let n = super::display_width(&s);
    (s, n)
}

/// The first line of `impact` and `ci`: `risk: critical — a change to payment reaches 4
/// nodes: 3 customer-facing, 2 tier 0`, with `risk` the tier to show.
fn headline(w: &mut dyn Write, p: &Paint, impact: &Impact<'_>, risk: Risk) -> io::Result<()> {
    let summary = impact.summary();
    let names: Vec<String> = impact
        .changes
        .nodes()
        .iter()
        .map(|n| super::inert(n.id().as_str()))
        .collect();
    let subject = match names.len() {
        0 => "nothing".to_string(),
        1..=3 => names.join(", "),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    };
    let detail = super::critical_reach(&summary).map_or(String::new(), |d| format!(": {d}"));
    writeln!(
        w,
        "{} {} — a change to {} reaches {}{detail}",
        p.bold("risk:"),
        p.risk(risk),
        p.bold(&subject),
        plural(summary.impacted, "node", "nodes"),
    )
}

/// Writes the impact report.
pub fn impact(w: &mut dyn Write, impact: &Impact<'_>, opts: &TextOptions) -> io::Result<()> {
    let p = Paint { color: opts.color };
    headline(w, &p, impact, impact.risk)?;
    // With a topology change, say why the risk is what it is (new paths may have raised it).
    if impact.changes.topology.is_some() && impact.risk_reasons.len() > 1 {
        for r in &impact.risk_reasons {
            writeln!(w, "{} {}", p.dim("because:"), inert(r))?;
        }
    }
    changes(w, &p, impact, opts.limit, "all are in --format json")?;
    if let Some(t) = &impact.changes.topology {
        topology(w, t, opts, &p)?;
    }
    let rated = impact.rated();
    if !rated.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", p.bold("reached customer-facing and tiered nodes:"))?;
        let rows: Vec<Vec<(String, usize)>> = rated
            .iter()
            .take(opts.limit)
            .map(|n| {
                let node = n.node();
                let path = n
                    .path()
                    .iter()
                    .map(|x| x.id().as_str())
                    .collect::<Vec<_>>()
                    .join(" → ");
                vec![
                    (p.risk(n.risk()), n.risk().as_str().len()),
                    plain(node.id().as_str()),
                    plain(node.tier().map_or("-".to_string(), |t| t.to_string())),
                    plain(if node.customer_facing() { "yes" } else { "no" }),
                    plain(n.distance().to_string()),
                    plain(fmt_strength(n.strength())),
                    plain(path),
                ]
            })
            .collect();
        table(
            w,
            &[
                "RISK",
                "NODE",
                "TIER",
                "CUSTOMER-FACING",
                "DISTANCE",
                "STRENGTH",
                "PATH",
            ],
            &rows,
            &p,
        )?;
        and_more(w, &p, "  ", rated.len(), opts.limit, |n| {
            format!("{n} more (all are in --format json)")
        })?;
    }
    let owners = impact.owners();
    if !owners.is_empty() {
        let list: Vec<String> = owners
            .iter()
            .map(|(o, nodes)| {
                let ids: Vec<String> = nodes
                    .iter()
                    .map(|n| inert(n.node().id().as_str()))
                    .collect();
                let from = if nodes
                    .iter()
                    .any(|n| n.owners().1 == Some(OwnersSource::Codeowners))
                {
                    ", from CODEOWNERS"
                } else {
                    ""
                };
                format!("{} ({}{from})", inert(o), ids.join(", "))
            })
            .collect();
        writeln!(w, "  {} {}", p.dim("owners:"), list.join(", "))?;
    }
    let by_kind = impact.unrated_by_kind();
    let rest: usize = by_kind.values().sum();
    if rest > 0 {
        let kinds = by_kind
            .iter()
            .map(|(k, &c)| {
                let word = k.as_str();
                let many = match k {
                    NodeKind::Queue => "queues".to_string(),
                    _ => format!("{word}s"),
                };
                plural(c, word, &many)
            })
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(w)?;
        writeln!(
            w,
            "{} {} without tier or customer-facing flag ({kinds})",
            p.dim("also reached:"),
            plural(rest, "node", "nodes"),
        )?;
    }
    Ok(())
}

/// The lines about what changed, shared by `impact` and `ci`: the compared revisions, each
/// changed input and the nodes it maps to, ignored files with their reason, and files that
/// map to no node. `json` names where the full lists are.
fn changes(
    w: &mut dyn Write,
    p: &Paint,
    impact: &Impact<'_>,
    shown: usize,
    all_in: &str,
) -> io::Result<()> {
    if let Some(d) = &impact.changes.diff {
        let base = match &d.merge_base {
            Some(mb) if d.base != "HEAD" => {
                format!("{} (merge base {})", inert(&d.base), short(mb))
            }
            Some(mb) => format!("{} ({})", inert(&d.base), short(mb)),
            None => format!("{} (no commit yet)", inert(&d.base)),
        };
        writeln!(w, "{} {base} → {}", p.dim("diff:"), inert(&d.head))?;
    }
    for c in impact.changes.changed.iter().take(shown) {
        // At most five ids, escaped; a count for the rest.
        let shown: Vec<String> = c
            .nodes
            .iter()
            .take(5)
            .map(|n| inert(n.id().as_str()))
            .collect();
        let ids = if c.nodes.len() > 5 {
            format!("{} and {} more", shown.join(", "), c.nodes.len() - 5)
        } else {
            shown.join(", ")
        };
        let status = c.status.map(|s| format!(" ({s})")).unwrap_or_default();
        let input = inert(&c.input);
        let reason = inert(&c.reason);
        if c.reason == "node id" {
            writeln!(w, "{} {input}", p.dim("changed:"))?;
        } else if c.nodes.is_empty() {
            writeln!(
                w,
                "{} {input}{status} {}",
                p.dim("changed:"),
                p.dim(&format!("({reason})"))
            )?;
        } else {
            writeln!(
                w,
                "{} {input}{status} → {} {}",
                p.dim("changed:"),
                ids,
                p.dim(&format!("({reason})"))
            )?;
        }
    }
    and_more(w, p, "", impact.changes.changed.len(), shown, |n| {
        format!("{n} more changed inputs ({all_in})")
    })?;
    for i in impact.changes.ignored.iter().take(shown) {
        let status = i.status.map(|s| format!(" ({s})")).unwrap_or_default();
        writeln!(
            w,
            "{} {}{status} {}",
            p.dim("ignored:"),
            inert(&i.input),
            p.dim(&format!("— {}", inert(&i.reason)))
        )?;
    }
    and_more(w, p, "", impact.changes.ignored.len(), shown, |n| {
        format!("{n} more ignored files ({all_in})")
    })?;
    for u in &impact.changes.unmapped {
        writeln!(
            w,
            "{} {} {}",
            p.paint(
                AnsiColor::Yellow.on_default().effects(Effects::BOLD),
                "warning:"
            ),
            inert(u),
            p.dim("maps to no node (no `paths` glob, Cargo package or rule claims it)")
        )?;
    }
    Ok(())
}

/// The first 12 characters of a commit id (a reviews file's commit id included, which
/// may hold anything).
pub(crate) fn short(commit: &str) -> &str {
    commit
        .char_indices()
        .nth(12)
        .map_or(commit, |(i, _)| &commit[..i])
}

fn topology(w: &mut dyn Write, t: &Topology, opts: &TextOptions, p: &Paint) -> io::Result<()> {
    writeln!(w)?;
    writeln!(
        w,
        "{} {} changed ({} → {})",
        p.bold("topology:"),
        if t.sources.is_empty() {
            "the graph sources".to_string()
        } else {
            inert(&t.sources.join(", "))
        },
        inert(&t.base),
        inert(&t.head)
    )?;
    if t.is_empty() {
        writeln!(w, "  {}", p.dim("no node or edge changed"))?;
        return Ok(());
    }
    let mut rows: Vec<Vec<(String, usize)>> = Vec::new();
    let mut row = |what: &str, text: String| rows.push(vec![plain(what), plain(text)]);
    for n in &t.added_nodes {
        row("added node", n.clone());
    }
    for n in &t.removed_nodes {
        row("removed node", n.clone());
    }
    for c in &t.changed_nodes {
        row(
            "changed node",
            format!("{}: {}", c.id, c.changes.join(", ")),
        );
    }
    for e in &t.added_edges {
        row("added edge", edge_label(e));
    }
    for e in &t.removed_edges {
        row("removed edge", edge_label(e));
    }
    for np in &t.new_paths {
        let into = match (np.tier, np.customer_facing) {
            (Some(0), _) => "tier 0".to_string(),
            (Some(t), true) => format!("customer-facing, tier {t}"),
            (_, true) => "customer-facing".to_string(),
            (Some(t), false) => format!("tier {t}"),
            (None, false) => "untiered".to_string(),
        };
        row(
            "new path",
            format!(
                "{} ({}, strength {}) into {into}",
                np.nodes.join(" → "),
                np.kinds_label(),
                fmt_strength(np.strength)
            ),
        );
    }
    let total = rows.len();
    rows.truncate(opts.limit);
    for r in &rows {
        writeln!(w, "  {}  {}", p.dim(&format!("{:<12}", r[0].0)), r[1].0)?;
    }
    and_more(w, p, "  ", total, rows.len(), |n| {
        format!("{n} more (all are in --format json)")
    })?;
    Ok(())
}

fn write_route(w: &mut dyn Write, route: &Route<'_>, p: &Paint) -> io::Result<()> {
    let mut s = format!("  {}", inert(route.nodes[0].id().as_str()));
    for (h, n) in route.hops.iter().zip(&route.nodes[1..]) {
        let label = format!(
            "{}{} {}",
            h.kind,
            if h.optional { " optional" } else { "" },
            fmt_strength(h.strength)
        );
        s.push_str(&format!(
            " {} {}",
            p.dim(&format!("─{label}→")),
            inert(n.id().as_str())
        ));
    }
    writeln!(w, "{s}")
}

/// Writes the why report.
pub fn why(w: &mut dyn Write, why: &Why<'_>, opts: &TextOptions) -> io::Result<()> {
    let p = Paint { color: opts.color };
    let (from, to) = (inert(why.from.id().as_str()), inert(why.to.id().as_str()));
    let Some(r) = &why.reach else {
        writeln!(
            w,
            "{} a change to {} does not reach {}: {to} does not depend on {from}, directly or through edges that propagate failures",
            p.bold("not reachable:"),
            p.bold(&from),
            p.bold(&to),
        )?;
        return Ok(());
    };
    writeln!(
        w,
        "{} a change to {} reaches {} with risk {}",
        p.bold("reachable:"),
        p.bold(&from),
        p.bold(&to),
        p.risk(r.risk)
    )?;
    writeln!(w)?;
    let hops = |n: usize| plural(n, "hop", "hops");
    writeln!(
        w,
        "strongest path (strength {}, {}):",
        fmt_strength(r.strongest.strength),
        hops(r.strongest.hops.len())
    )?;
    write_route(w, &r.strongest, &p)?;
    if r.shortest.nodes == r.strongest.nodes {
        writeln!(
            w,
            "shortest path ({}): the same path",
            hops(r.shortest.hops.len())
        )?;
    } else {
        writeln!(
            w,
            "shortest path (strength {}, {}):",
            fmt_strength(r.shortest.strength),
            hops(r.shortest.hops.len())
        )?;
        write_route(w, &r.shortest, &p)?;
    }
    let count = if r.paths.capped {
        format!("≥ {}", r.paths.count)
    } else {
        r.paths.count.to_string()
    };
    writeln!(w, "distinct simple paths: {count}")?;
    writeln!(
        w,
        "{}",
        p.dim("each arrow reads \"is depended on by\": the node after it depends on the node before it")
    )?;
    Ok(())
}

/// Writes the check report.
pub fn check(w: &mut dyn Write, report: &CheckReport, opts: &TextOptions) -> io::Result<()> {
    let p = Paint { color: opts.color };
    for f in &report.findings {
        let loc = f
            .location
            .as_ref()
            .map(|l| format!(" {l}:"))
            .unwrap_or_default();
        writeln!(
            w,
            "{}[{}]{} {}",
            p.severity(f.severity),
            f.code,
            loc,
            inert(&f.message)
        )?;
        if let Some(rel) = &f.related {
            writeln!(w, "  {} {rel}", p.dim("see also:"))?;
        }
        writeln!(w, "  {} {}", p.dim("help:"), inert(&f.help))?;
    }
    if !report.findings.is_empty() {
        writeln!(w)?;
    }
    let (e, wa, n) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
    );
    if e + wa + n == 0 {
        writeln!(w, "{} no problems found", p.bold("check:"))?;
    } else {
        writeln!(
            w,
            "{} {}, {}, {}",
            p.bold("check:"),
            plural(e, "error", "errors"),
            plural(wa, "warning", "warnings"),
            plural(n, "note", "notes")
        )?;
    }
    Ok(())
}

/// Writes the rank report.
pub fn rank(
    w: &mut dyn Write,
    rank: &crate::analysis::rank::Rank<'_>,
    opts: &TextOptions,
) -> io::Result<()> {
    let p = Paint { color: opts.color };
    writeln!(
        w,
        "{} {} by customer-facing reach, then blast radius{}",
        p.bold("rank:"),
        plural(rank.matched, "node", "nodes"),
        if rank.nodes.len() < rank.matched {
            format!(" (top {})", rank.nodes.len())
        } else {
            String::new()
        }
    )?;
    writeln!(w)?;
    let rows: Vec<Vec<(String, usize)>> = rank
        .nodes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let size = if r.estimated {
                format!("~{}", r.blast_radius)
            } else {
                r.blast_radius.to_string()
            };
            vec![
                plain((i + 1).to_string()),
                plain(r.node.id().as_str()),
                plain(r.node.kind().as_str()),
                plain(r.node.tier().map_or("-".to_string(), |t| t.to_string())),
                plain(r.customer_facing.to_string()),
                plain(r.tier0.to_string()),
                plain(size),
                (p.risk(r.risk), r.risk.as_str().len()),
            ]
        })
        .collect();
    table(
        w,
        &[
            "#",
            "NODE",
            "KIND",
            "TIER",
            "CUSTOMER-FACING",
            "TIER-0",
            "BLAST RADIUS",
            "MAX RISK",
        ],
        &rows,
        &p,
    )?;
    if let Some(e) = rank.estimate {
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            p.dim(&format!(
                "~ marks an estimated blast radius size (k-mins sketch, k = {}, relative standard error {:.1}%); the other sizes and the counts of customer-facing and tier-0 nodes are exact",
                e.k,
                e.relative_standard_error * 100.0
            ))
        )?;
    }
    Ok(())
}

/// Writes the spof report.
pub fn spof(
    w: &mut dyn Write,
    report: &crate::analysis::spof::SpofReport<'_>,
    opts: &TextOptions,
) -> io::Result<()> {
    let p = Paint { color: opts.color };
    if report.tier0.is_empty() {
        writeln!(w, "{} no tier-0 nodes", p.bold("single points of failure:"))?;
    }
    for t in &report.tier0 {
        if t.dependencies == 0 {
            writeln!(
                w,
                "{} {} depends on nothing",
                p.bold("tier 0:"),
                p.bold(&inert(t.node.id().as_str()))
            )?;
            continue;
        }
        writeln!(
            w,
            "{} {} depends on {}",
            p.bold("tier 0:"),
            p.bold(&inert(t.node.id().as_str())),
            plural(t.dependencies, "node", "nodes")
        )?;
        if t.choke_points.is_empty() {
            writeln!(
                w,
                "  {}",
                p.dim("no choke points: no dependency hides others behind it")
            )?;
            continue;
        }
        let rows: Vec<Vec<(String, usize)>> = t
            .choke_points
            .iter()
            .take(opts.limit)
            .map(|c| {
                vec![
                    plain(c.node.id().as_str()),
                    plain(c.node.kind().as_str()),
                    plain(c.behind.to_string()),
                ]
            })
            .collect();
        table(
            w,
            &["CHOKE POINT", "KIND", "ONLY REACHED THROUGH IT"],
            &rows,
            &p,
        )?;
        and_more(w, &p, "  ", t.choke_points.len(), opts.limit, |n| {
            format!("{n} more")
        })?;
    }
    writeln!(w)?;
    if report.shared_fate.is_empty() {
        writeln!(w, "{} none", p.bold("shared-fate groups:"))?;
    } else {
        writeln!(
            w,
            "{} (a change to any member reaches all)",
            p.bold("shared-fate groups:")
        )?;
        for g in report.shared_fate.iter().take(opts.limit) {
            let ids: Vec<String> = g.iter().map(|n| inert(n.id().as_str())).collect();
            writeln!(w, "  {}", ids.join(", "))?;
        }
        and_more(w, &p, "  ", report.shared_fate.len(), opts.limit, |n| {
            format!("{n} more {}", if n == 1 { "group" } else { "groups" })
        })?;
    }
    Ok(())
}

/// Writes the report of `blast ci`: the risk and what the change reaches, the AI-assisted
/// commits, the approvals, and the verdict last. Every name passes through
/// [`inert`](super::inert), so no line can be read as a CI runner's command. A list cut at
/// `opts.limit` rows says where the rest are: in `--json` when `json_written` (this run
/// writes the JSON report), else that `--json FILE` lists them.
pub fn ci(
    w: &mut dyn Write,
    report: &crate::analysis::ci::CiReport<'_, '_>,
    opts: &TextOptions,
    json_written: bool,
) -> io::Result<()> {
    use crate::analysis::gate::Status;
    let p = Paint { color: opts.color };
    let impact = report.impact;
    let v = &report.verdict;
    let summary = impact.summary();
    headline(w, &p, impact, v.risk)?;
    if let Some(b) = v.base_risk {
        writeln!(
            w,
            "{} {} as the base sees it: the change's edits to its own graph, blast.toml or the Cargo packages its files belong to lower its risk, and apply once it is merged",
            p.bold("judged:"),
            p.risk(b),
        )?;
    }
    if let Some(e) = &v.escalation {
        writeln!(
            w,
            "{} {} → {} because the change is AI-assisted ([policy.ai_assisted] escalate = {})",
            p.bold("raised:"),
            p.risk(e.from),
            p.risk(v.gated_risk),
            e.by
        )?;
    }
    for r in &impact.risk_reasons {
        writeln!(w, "{} {}", p.dim("because:"), inert(r))?;
    }
    let shown = opts.limit;
    // Where the rows a list leaves out are: the JSON report when this run writes it.
    let all_in = if json_written {
        "all are in --json"
    } else {
        "--json FILE lists them all"
    };
    changes(w, &p, impact, shown, all_in)?;
    if let Some(t) = &impact.changes.topology {
        topology(w, t, opts, &p)?;
    }
    let key: Vec<_> = impact
        .rated()
        .into_iter()
        .filter(|n| n.node().customer_facing() || n.node().tier().map(|t| t.get()) == Some(0))
        .collect();
    if !key.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", p.bold("reached customer-facing and tier-0 nodes:"))?;
        let rows: Vec<Vec<(String, usize)>> = key
            .iter()
            .take(opts.limit)
            .map(|n| {
                let node = n.node();
                // `plain` escapes the cells.
                let path: Vec<&str> = n.path().iter().map(|x| x.id().as_str()).collect();
                let owners = n.owners().0;
                vec![
                    (p.risk(n.risk()), n.risk().as_str().len()),
                    plain(node.id().as_str()),
                    plain(node.tier().map_or("-".to_string(), |t| t.to_string())),
                    plain(if owners.is_empty() {
                        "-".to_string()
                    } else {
                        owners.join(", ")
                    }),
                    plain(path.join(" → ")),
                ]
            })
            .collect();
        table(w, &["RISK", "NODE", "TIER", "OWNERS", "PATH"], &rows, &p)?;
        and_more(w, &p, "  ", key.len(), opts.limit, |n| {
            format!("{n} more ({all_in})")
        })?;
    }
    let rest = summary.impacted - key.len();
    if rest > 0 {
        writeln!(
            w,
            "{}",
            p.dim(&format!(
                "also reached: {} neither customer-facing nor tier 0 (`blast impact` lists them)",
                plural(rest, "node", "nodes")
            ))
        )?;
    }
    if report.ai.detected() {
        writeln!(w)?;
        writeln!(
            w,
            "{} {} of {}{}",
            p.bold("ai-assisted:"),
            report.ai.commits.len(),
            plural(report.ai.scanned, "commit", "commits"),
            if report.ai.labels.is_empty() {
                ""
            } else {
                ", and labelled"
            }
        )?;
        for c in report.ai.commits.iter().take(shown) {
            writeln!(w, "  {} {}", short(&c.commit.id), inert(&c.commit.subject))?;
            for m in &c.matches {
                writeln!(
                    w,
                    "    {} {}",
                    inert(&m.line),
                    p.dim(&format!("({})", inert(&m.why)))
                )?;
            }
        }
        and_more(w, &p, "  ", report.ai.commits.len(), shown, |n| {
            format!("{n} more ({all_in})")
        })?;
        for l in &report.ai.labels {
            writeln!(w, "  {}", inert(&l.line))?;
        }
    }
    writeln!(w)?;
    let approved: Vec<String> = report
        .approvals
        .approved
        .values()
        .map(|(l, s)| format!("{} ({})", inert(l), inert(&s.label())))
        .collect();
    writeln!(
        w,
        "{} {}",
        p.bold("approvals:"),
        if approved.is_empty() {
            "none".to_string()
        } else {
            approved.join(", ")
        }
    )?;
    if !report.approvals.changes_requested.is_empty() {
        let who: Vec<String> = report
            .approvals
            .changes_requested
            .values()
            .map(|l| inert(l))
            .collect();
        writeln!(w, "{} {}", p.dim("changes requested by:"), who.join(", "))?;
    }
    if !report.approvals.stale.is_empty() {
        let who: Vec<String> = report
            .approvals
            .stale
            .values()
            .map(|(l, c)| match c {
                Some(c) => format!("{} (of {})", inert(l), inert(short(c))),
                None => format!("{} (of no named commit)", inert(l)),
            })
            .collect();
        writeln!(
            w,
            "{} {}",
            p.dim("stale approvals, not counted:"),
            who.join(", ")
        )?;
    }
    let status = match v.status {
        Status::Pass => p.paint(AnsiColor::Green.on_default().effects(Effects::BOLD), "pass"),
        Status::Fail => p.paint(AnsiColor::Red.on_default().effects(Effects::BOLD), "fail"),
    };
    let headline = inert(&v.headline());
    let rest_of = headline.split_once(' ').map_or("", |x| x.1);
    writeln!(w, "{} {status} {rest_of}", p.bold("verdict:"))?;
    if let Some(b) = &v.block {
        let mark = if b.overridden_by.is_some() {
            "✓"
        } else {
            "✗"
        };
        writeln!(w, "  {mark} {}", inert(&b.message(v.gated_risk)))?;
    }
    for r in &v.requirements {
        let mark = if r.satisfied() { "✓" } else { "✗" };
        writeln!(
            w,
            "  {mark} {} {}",
            inert(&r.message()),
            p.dim(&format!("[{}]", inert(&r.source)))
        )?;
    }
    if !v.labels.is_empty() {
        let labels: Vec<String> = v.labels.iter().map(|l| inert(l)).collect();
        writeln!(w, "  {} {}", p.dim("suggested labels:"), labels.join(", "))?;
    }
    Ok(())
}
