//! JSON reports, with their own output types (separate from the internal ones) and a
//! versioned `schema` field.
//!
//! # Format
//!
//! `blast impact --format json` (`blast-radius/impact/v1`):
//!
//! ```json
//! {"schema": "blast-radius/impact/v1", "risk": "critical",
//!  "changed": [{"input": "services/payment/src/lib.rs", "nodes": ["payment"], "reason": "glob 'services/payment/**' of payment"}],
//!  "unmapped": [],
//!  "impacted": [{"id": "checkout", "kind": "service", "tier": 0, "customer_facing": true,
//!                "distance": 1, "strength": 1.0, "risk": "critical", "path": ["payment", "checkout"],
//!                "owners": ["@shop/checkout"]}],
//!  "summary": {"impacted": 12, "customer_facing": 3, "tier0": 2,
//!              "by_risk": {"critical": 2, "high": 1, "medium": 0, "low": 4, "none": 5}}}
//! ```
//!
//! `impacted` is sorted by risk (highest first), then distance, then id; `tier` is `null`
//! for an untiered node. With `--nodes rated` or `--nodes none` the list holds only the
//! customer-facing and tiered nodes, or nothing, and a `listed` field (`"rated"`, `"none"`)
//! says so; `summary` always counts every impacted node. Names in this schema never change
//! within `v1`; fields may be added.
//!
//! Fields added for changes read from git or file lists:
//!
//! * `risk_reasons`: why the risk is what it is, most decisive first;
//! * `diff`: `null`, or for a git range `{base, merge_base, head, head_commit}`;
//! * `changed[]` also has `status` (`added`, `modified`, `deleted`, `renamed-from`,
//!   `renamed-to`, `copied-to`, `type-changed`, `unmerged`, `untracked`, or `null` for an
//!   input given by hand), `via` (`node`, `paths`, `cargo-package`, `cargo-lock`,
//!   `cargo-manifest`, `rule`, `default-rule`, `unmapped`, `topology`) and `widened`;
//! * `ignored`: `[{input, status, reason}]`, files a rule says change nothing;
//! * `topology`: `null`, or when graph sources changed `{base, head, sources, added_nodes,
//!   removed_nodes, changed_nodes: [{id, changes}], added_edges, removed_edges (each
//!   {from, to, kind, optional}), new_paths: [{nodes, hops: [{from, to, kind, optional}],
//!   strength, into, tier, customer_facing}]}`;
//! * `impacted[].owners` are the graph's owners, or for a tier-0 or customer-facing node
//!   without them, CODEOWNERS' for its paths; `impacted[].owners_source` is `graph`,
//!   `codeowners` or `null`;
//! * `owners`: `[{owner, nodes}]`, the owners of every reached tier-0 and customer-facing
//!   node, sorted by owner.
//!
//! `blast why --format json` (`blast-radius/why/v1`): `from`, `to`, `reachable`, `risk`,
//! `strongest` and `shortest` (each `{nodes, hops: [{from, to, kind, optional, strength}],
//! strength}`) and `paths` (`{count, capped}`); the last four `null` when not reachable.
//!
//! `blast check --format json` (`blast-radius/check/v1`): `findings` (each `{code, severity,
//! message, nodes, location?: {file, line?, column?}, related?, help}`) and `summary`
//! (`{errors, warnings, notes}`).

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::analysis::why::Route;
use crate::analysis::{CheckReport, Impact, ImpactedNode, Risk, Why};
use crate::changes::DiffInfo;
use crate::changes::topology::{EdgeChange, Topology};
use crate::codes::{Finding, Severity};
use crate::graph::Node;

/// Schema id of the impact report.
pub const IMPACT_SCHEMA: &str = "blast-radius/impact/v1";
/// Schema id of the why report.
pub const WHY_SCHEMA: &str = "blast-radius/why/v1";
/// Schema id of the check report.
pub const CHECK_SCHEMA: &str = "blast-radius/check/v1";

#[derive(Serialize)]
struct ChangedJson<'a> {
    input: &'a str,
    nodes: Vec<&'a str>,
    reason: &'a str,
    status: Option<&'static str>,
    via: &'static str,
    widened: bool,
}

#[derive(Serialize)]
struct IgnoredJson<'a> {
    input: &'a str,
    status: Option<&'static str>,
    reason: &'a str,
}

#[derive(Serialize)]
struct DiffJson<'a> {
    base: &'a str,
    merge_base: Option<&'a str>,
    head: &'a str,
    head_commit: Option<&'a str>,
}

impl<'a> From<&'a DiffInfo> for DiffJson<'a> {
    fn from(d: &'a DiffInfo) -> Self {
        DiffJson {
            base: &d.base,
            merge_base: d.merge_base.as_deref(),
            head: &d.head,
            head_commit: d.head_commit.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    from: &'a str,
    to: &'a str,
    kind: &'static str,
    optional: bool,
}

impl<'a> From<&'a EdgeChange> for EdgeJson<'a> {
    fn from(e: &'a EdgeChange) -> Self {
        EdgeJson {
            from: &e.from,
            to: &e.to,
            kind: e.kind.as_str(),
            optional: e.optional,
        }
    }
}

#[derive(Serialize)]
struct NodeChangeJson<'a> {
    id: &'a str,
    changes: &'a [String],
}

#[derive(Serialize)]
struct NewPathJson<'a> {
    nodes: &'a [String],
    hops: Vec<EdgeJson<'a>>,
    strength: f64,
    into: &'a str,
    tier: Option<u8>,
    customer_facing: bool,
}

#[derive(Serialize)]
struct TopologyJson<'a> {
    base: &'a str,
    head: &'a str,
    sources: &'a [String],
    added_nodes: &'a [String],
    removed_nodes: &'a [String],
    changed_nodes: Vec<NodeChangeJson<'a>>,
    added_edges: Vec<EdgeJson<'a>>,
    removed_edges: Vec<EdgeJson<'a>>,
    new_paths: Vec<NewPathJson<'a>>,
}

impl<'a> From<&'a Topology> for TopologyJson<'a> {
    fn from(t: &'a Topology) -> Self {
        TopologyJson {
            base: &t.base,
            head: &t.head,
            sources: &t.sources,
            added_nodes: &t.added_nodes,
            removed_nodes: &t.removed_nodes,
            changed_nodes: t
                .changed_nodes
                .iter()
                .map(|c| NodeChangeJson {
                    id: &c.id,
                    changes: &c.changes,
                })
                .collect(),
            added_edges: t.added_edges.iter().map(EdgeJson::from).collect(),
            removed_edges: t.removed_edges.iter().map(EdgeJson::from).collect(),
            new_paths: t
                .new_paths
                .iter()
                .map(|p| NewPathJson {
                    nodes: &p.nodes,
                    hops: p
                        .nodes
                        .windows(2)
                        .zip(&p.hops)
                        .map(|(w, h)| EdgeJson {
                            from: &w[0],
                            to: &w[1],
                            kind: h.0.as_str(),
                            optional: h.1,
                        })
                        .collect(),
                    strength: p.strength,
                    into: p.target(),
                    tier: p.tier,
                    customer_facing: p.customer_facing,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct OwnerJson<'a> {
    owner: String,
    nodes: Vec<&'a str>,
}

/// Which impacted nodes a JSON report lists (the summary always counts all of them).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum NodeList {
    /// Every impacted node.
    #[default]
    All,
    /// Only customer-facing or tiered nodes (the ones that carry risk).
    Rated,
    /// None: risk, changes and summary only.
    None,
}

impl NodeList {
    /// The keyword used on the command line and in the report's `listed` field.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeList::All => "all",
            NodeList::Rated => "rated",
            NodeList::None => "none",
        }
    }
}

/// What an impact report lists.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ImpactJsonOptions {
    /// Which impacted nodes to list.
    pub nodes: NodeList,
    /// Whether each listed node carries its `path` (`--no-paths` drops it, for large
    /// radii where only the set matters).
    pub paths: bool,
}

impl Default for ImpactJsonOptions {
    fn default() -> Self {
        ImpactJsonOptions {
            nodes: NodeList::All,
            paths: true,
        }
    }
}

/// Items per parallel formatting task, and per block written at once (so a million-item
/// list is never held in memory whole).
pub(super) const ITEMS_PER_TASK: usize = 2048;
pub(super) const ITEMS_PER_BLOCK: usize = 64 * ITEMS_PER_TASK;

/// Writes a JSON array of `n` items, formatted in parallel by [`super::write_parallel`]:
/// `task` appends the items of a run of positions, comma-separated, to the buffer it is
/// given (with scratch state `S` made once per run).
pub(super) fn write_array<S: Default>(
    w: &mut dyn Write,
    n: usize,
    task: impl Fn(&mut Vec<u8>, std::ops::Range<usize>, &mut S) + Sync,
    per_task: usize,
    per_block: usize,
) -> io::Result<()> {
    w.write_all(b"[")?;
    super::write_parallel(w, n, per_task, per_block, b",", task)?;
    w.write_all(b"]")
}

/// [`write_array`] of `items`: `task` appends a run of them.
fn write_list<T: Sync, S: Default>(
    w: &mut dyn Write,
    items: &[T],
    task: impl Fn(&mut Vec<u8>, &[T], &mut S) + Sync,
    per_task: usize,
    per_block: usize,
) -> io::Result<()> {
    let task = |b: &mut Vec<u8>, r, s: &mut S| task(b, &items[r], s);
    write_array(w, items.len(), task, per_task, per_block)
}

/// Opens a node's object with its first two fields, `{"id":…,"kind":"…"` (the kind is a
/// plain lower-case word, written as it is).
pub(super) fn push_node_head(b: &mut Vec<u8>, node: &Node<'_>) {
    b.extend_from_slice(b"{\"id\":");
    push_json_str(b, node.id().as_str());
    b.extend_from_slice(b",\"kind\":\"");
    b.extend_from_slice(node.kind().as_str().as_bytes());
    b.push(b'"');
}

/// Appends `s` as a JSON string, escaped exactly as serde_json escapes it (the common
/// case, nothing to escape, is copied whole).
pub(super) fn push_json_str(b: &mut Vec<u8>, s: &str) {
    if needs_no_escape(s.as_bytes()) {
        b.reserve(s.len() + 2);
        b.push(b'"');
        b.extend_from_slice(s.as_bytes());
        b.push(b'"');
    } else {
        push_json(b, s);
    }
}

/// Whether serde_json writes `s` as it is between quotes: no byte below 0x20, no `"` and
/// no `\`. Eight bytes at a time (the last few padded with spaces): a word has a byte below
/// `k` (`k` ≤ 128) exactly when `(x - k·0x01…01) & !x & 0x80…80` is not zero, and a byte
/// equal to `c` when `x ^ c·0x01…01` has a zero byte (Anderson's "bit twiddling hacks",
/// `hasless` and `haszero`).
fn needs_no_escape(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let below = |x: u64, k: u8| x.wrapping_sub(ONES * k as u64) & !x & HIGH;
    let plain = |w: &[u8; 8]| {
        let x = u64::from_ne_bytes(*w);
        below(x, 0x20) | below(x ^ (ONES * b'"' as u64), 1) | below(x ^ (ONES * b'\\' as u64), 1)
            == 0
    };
    let (words, tail) = s.as_chunks::<8>();
    let mut last = [b' '; 8];
    last[..tail.len()].copy_from_slice(tail);
    words.iter().all(plain) && plain(&last)
}

/// Appends the integer `x` as serde_json writes it.
pub(super) fn push_int(b: &mut Vec<u8>, x: impl itoa::Integer) {
    b.extend_from_slice(itoa::Buffer::new().format(x).as_bytes());
}

/// Appends a node's `tier` value as serde_json writes it: the number, or `null`.
pub(super) fn push_tier(b: &mut Vec<u8>, node: &Node<'_>) {
    match node.tier() {
        Some(t) => push_int(b, t.get()),
        None => b.extend_from_slice(b"null"),
    }
}

/// Appends `items`, each by `each`, comma-separated.
pub(super) fn push_joined<T>(
    b: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut Vec<u8>, T),
) {
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        each(b, x);
    }
}

/// Appends `strs` as a JSON array of strings.
pub(super) fn push_json_strs<'s>(b: &mut Vec<u8>, strs: impl IntoIterator<Item = &'s str>) {
    b.push(b'[');
    push_joined(b, strs, push_json_str);
    b.push(b']');
}

/// Appends `x` as serde_json writes it.
pub(super) fn push_json<T: Serialize + ?Sized>(b: &mut Vec<u8>, x: &T) {
    serde_json::to_writer(b, x).expect("writing to memory");
}

/// `impacted` entries formatted a group at a time (see [`push_impacted_items`]).
const IMPACTED_GROUP: usize = 128;

/// Scratch for [`push_impacted_items`], kept across the groups of one task.
#[derive(Default)]
struct ImpactedScratch<'g> {
    /// The group's paths, one after another (or its nodes alone, without paths).
    nodes: Vec<Node<'g>>,
    /// Where each entry's nodes end in `nodes`.
    ends: Vec<usize>,
    /// For [`Impact::paths_into`].
    chains: Vec<Vec<u32>>,
}

/// Appends the `impacted` entries `items`, comma-separated, the same bytes serde writes for
/// the whole list (the tests hold them to it), without building a value per entry. A large
/// radius lists tens of thousands of entries scattered over the graph, and looking each one
/// up in turn mostly waits on memory; so a group at a time, this follows all the group's
/// paths together ([`Impact::paths_into`]), then asks the memory for every node record, then
/// for every id and owner list, and only then writes the group.
fn push_impacted_items<'g>(
    b: &mut Vec<u8>,
    impact: &Impact<'g>,
    items: &[ImpactedNode<'_, 'g>],
    paths: bool,
    s: &mut ImpactedScratch<'g>,
) {
    for (gi, group) in items.chunks(IMPACTED_GROUP).enumerate() {
        if paths {
            impact.paths_into(group, &mut s.nodes, &mut s.ends, &mut s.chains);
        } else {
            s.nodes.clear();
            s.ends.clear();
            for n in group {
                s.nodes.push(n.node());
                s.ends.push(s.nodes.len());
            }
        }
        for n in &s.nodes {
            n.prefetch();
        }
        for n in &s.nodes {
            n.prefetch_text();
        }
        let mut start = 0;
        for (i, (&n, &end)) in group.iter().zip(&s.ends).enumerate() {
            if gi > 0 || i > 0 {
                b.push(b',');
            }
            push_impacted(b, n, paths.then(|| &s.nodes[start..end]));
            start = end;
        }
    }
}

/// The [`write_list`] task of an `impacted` list.
fn impacted_task<'i, 'g>(
    impact: &'i Impact<'g>,
    paths: bool,
) -> impl Fn(&mut Vec<u8>, &[ImpactedNode<'i, 'g>], &mut ImpactedScratch<'g>) + Sync + 'i {
    move |b, t, s| push_impacted_items(b, impact, t, paths, s)
}

/// Appends one `impacted` entry, with `path` when the report lists paths. Its keywords
/// (`kind`, `risk`) are plain lower-case words, written as they are.
fn push_impacted(b: &mut Vec<u8>, n: ImpactedNode<'_, '_>, path: Option<&[Node<'_>]>) {
    let node = n.node();
    push_node_head(b, &node);
    b.extend_from_slice(b",\"tier\":");
    push_tier(b, &node);
    b.extend_from_slice(if node.customer_facing() {
        b",\"customer_facing\":true,\"distance\":"
    } else {
        b",\"customer_facing\":false,\"distance\":"
    });
    push_int(b, n.distance());
    b.extend_from_slice(b",\"strength\":");
    push_json(b, &n.strength());
    b.extend_from_slice(b",\"risk\":\"");
    b.extend_from_slice(n.risk().as_str().as_bytes());
    b.push(b'"');
    if let Some(path) = path {
        b.extend_from_slice(b",\"path\":");
        push_json_strs(b, path.iter().map(|p| p.id().as_str()));
    }
    b.extend_from_slice(b",\"owners\":");
    let (owners, source) = n.owners_iter();
    push_json_strs(b, owners);
    // The source is a plain lower-case word, written as it is.
    match source {
        Some(s) => {
            b.extend_from_slice(b",\"owners_source\":\"");
            b.extend_from_slice(s.as_str().as_bytes());
            b.extend_from_slice(b"\"}");
        }
        None => b.extend_from_slice(b",\"owners_source\":null}"),
    }
}

/// Starts a JSON object whose field `key` is too large for serde: writes the fields of `head`
/// (a struct serde writes with at least one field), then `,"key":`. The caller writes the
/// value, then ends the object with [`end_object`] (or `}` when nothing follows).
fn begin_object(w: &mut dyn Write, head: &impl Serialize, key: &str) -> io::Result<()> {
    // `{head…}` without its `}`.
    let mut bytes = serde_json::to_vec(head)?;
    bytes.pop();
    bytes.push(b',');
    serde_json::to_writer(&mut bytes, key)?;
    bytes.push(b':');
    w.write_all(&bytes)
}

/// Ends an object started by [`begin_object`] with the fields of `tail` (a struct serde
/// writes with at least one field) and `}`.
fn end_object(w: &mut dyn Write, tail: &impl Serialize) -> io::Result<()> {
    // `{tail…}` without its `{`.
    let mut bytes = serde_json::to_vec(tail)?;
    bytes[0] = b',';
    w.write_all(&bytes)
}

/// The listed impacted nodes, in report order.
fn listed<'i, 'g>(impact: &'i Impact<'g>, nodes: NodeList) -> Vec<ImpactedNode<'i, 'g>> {
    match nodes {
        NodeList::All => impact.impacted().collect(),
        NodeList::Rated => impact.rated(),
        NodeList::None => Vec::new(),
    }
}

struct ByRisk([usize; 5]);

impl Serialize for ByRisk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        for (i, r) in Risk::ALL.iter().enumerate().rev() {
            m.serialize_entry(r.as_str(), &self.0[i])?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct SummaryJson {
    impacted: usize,
    customer_facing: usize,
    tier0: usize,
    by_risk: ByRisk,
}

/// The fields of the impact report before `impacted`.
#[derive(Serialize)]
struct ImpactHead<'i> {
    schema: &'static str,
    risk: Risk,
    risk_reasons: &'i [String],
    diff: Option<DiffJson<'i>>,
    changed: Vec<ChangedJson<'i>>,
    unmapped: Vec<&'i str>,
    ignored: Vec<IgnoredJson<'i>>,
    topology: Option<TopologyJson<'i>>,
}

/// The fields of the impact report after `impacted`.
#[derive(Serialize)]
struct ImpactTail<'i> {
    #[serde(skip_serializing_if = "is_all")]
    listed: &'static str,
    owners: Vec<OwnerJson<'i>>,
    summary: SummaryJson,
}

fn is_all(s: &&str) -> bool {
    *s == "all"
}

/// Writes the impact report as one JSON object (no newline); the `impacted` list is
/// formatted in parallel.
fn write_impact<'i, 'g>(
    w: &mut dyn Write,
    impact: &'i Impact<'g>,
    opts: ImpactJsonOptions,
) -> io::Result<()> {
    let s = impact.summary();
    let head = ImpactHead {
        schema: IMPACT_SCHEMA,
        risk: impact.risk,
        risk_reasons: &impact.risk_reasons,
        diff: impact.changes.diff.as_ref().map(DiffJson::from),
        changed: impact
            .changes
            .changed
            .iter()
            .map(|c| ChangedJson {
                input: &c.input,
                nodes: c.nodes.iter().map(|n| n.id().as_str()).collect(),
                reason: &c.reason,
                status: c.status.map(|s| s.as_str()),
                via: c.via.as_str(),
                widened: c.widened,
            })
            .collect(),
        unmapped: impact.changes.unmapped.iter().map(String::as_str).collect(),
        ignored: impact
            .changes
            .ignored
            .iter()
            .map(|i| IgnoredJson {
                input: &i.input,
                status: i.status.map(|s| s.as_str()),
                reason: &i.reason,
            })
            .collect(),
        topology: impact.changes.topology.as_ref().map(TopologyJson::from),
    };
    let tail = ImpactTail {
        listed: opts.nodes.as_str(),
        owners: impact
            .owners()
            .into_iter()
            .map(|(owner, nodes)| OwnerJson {
                owner,
                nodes: nodes.iter().map(|n| n.node().id().as_str()).collect(),
            })
            .collect(),
        summary: SummaryJson {
            impacted: s.impacted,
            customer_facing: s.customer_facing,
            tier0: s.tier0,
            by_risk: ByRisk(s.by_risk),
        },
    };
    let nodes = listed(impact, opts.nodes);
    let task = impacted_task(impact, opts.paths);
    begin_object(w, &head, "impacted")?;
    write_list(w, &nodes, task, ITEMS_PER_TASK, ITEMS_PER_BLOCK)?;
    end_object(w, &tail)
}

/// Writes one report on one line: what `report` writes, then a newline, through one buffer.
fn one_line(
    w: &mut dyn Write,
    report: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 16, w);
    report(&mut w)?;
    w.write_all(b"\n")?;
    w.flush()
}

fn write_json<T: Serialize>(w: &mut dyn Write, value: &T) -> io::Result<()> {
    one_line(w, |w| Ok(serde_json::to_writer(w, value)?))
}

/// Writes the impact report on one line, listing what `opts` selects.
pub fn impact(w: &mut dyn Write, impact: &Impact<'_>, opts: &ImpactJsonOptions) -> io::Result<()> {
    let _t = crate::timing::Phase::start("impact json");
    one_line(w, |w| write_impact(w, impact, *opts))
}

#[derive(Serialize)]
struct HopJson<'a> {
    from: &'a str,
    to: &'a str,
    kind: &'static str,
    optional: bool,
    strength: f64,
}

#[derive(Serialize)]
struct RouteJson<'a> {
    nodes: Vec<&'a str>,
    hops: Vec<HopJson<'a>>,
    strength: f64,
}

fn route_json<'a>(r: &'a Route<'_>) -> RouteJson<'a> {
    RouteJson {
        nodes: r.nodes.iter().map(|n| n.id().as_str()).collect(),
        hops: r
            .hops
            .iter()
            .zip(r.nodes.windows(2))
            .map(|(h, w)| HopJson {
                from: w[0].id().as_str(),
                to: w[1].id().as_str(),
                kind: h.kind.as_str(),
                optional: h.optional,
                strength: h.strength,
            })
            .collect(),
        strength: r.strength,
    }
}

#[derive(Serialize)]
struct PathsJson {
    count: u64,
    capped: bool,
}

#[derive(Serialize)]
struct WhyJson<'a> {
    schema: &'static str,
    from: &'a str,
    to: &'a str,
    reachable: bool,
    // `null` when not reachable, as absent values are in every schema.
    risk: Option<Risk>,
    strongest: Option<RouteJson<'a>>,
    shortest: Option<RouteJson<'a>>,
    paths: Option<PathsJson>,
}

/// Writes the why report.
pub fn why(w: &mut dyn Write, why: &Why<'_>) -> io::Result<()> {
    let r = why.reach.as_ref();
    let j = WhyJson {
        schema: WHY_SCHEMA,
        from: why.from.id().as_str(),
        to: why.to.id().as_str(),
        reachable: r.is_some(),
        risk: r.map(|r| r.risk),
        strongest: r.map(|r| route_json(&r.strongest)),
        shortest: r.map(|r| route_json(&r.shortest)),
        paths: r.map(|r| PathsJson {
            count: r.paths.count,
            capped: r.paths.capped,
        }),
    };
    write_json(w, &j)
}

#[derive(Serialize)]
struct CheckSummaryJson {
    errors: usize,
    warnings: usize,
    notes: usize,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    schema: &'static str,
    findings: &'a [Finding],
    summary: CheckSummaryJson,
}

/// Writes the check report.
pub fn check(w: &mut dyn Write, report: &CheckReport) -> io::Result<()> {
    let j = CheckJson {
        schema: CHECK_SCHEMA,
        findings: &report.findings,
        summary: CheckSummaryJson {
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            notes: report.count(Severity::Note),
        },
    };
    write_json(w, &j)
}

/// Schema id of the rank report.
pub const RANK_SCHEMA: &str = "blast-radius/rank/v1";
/// Schema id of the spof report.
pub const SPOF_SCHEMA: &str = "blast-radius/spof/v1";

/// Appends a rank entry `{id, kind, tier, blast_radius, customer_facing, tier0, risk,
/// estimated}`, the bytes serde writes for it (the tests hold it to them).
fn push_ranked(b: &mut Vec<u8>, r: &crate::analysis::rank::Ranked<'_>) {
    push_node_head(b, &r.node);
    b.extend_from_slice(b",\"tier\":");
    push_tier(b, &r.node);
    b.extend_from_slice(b",\"blast_radius\":");
    push_int(b, r.blast_radius);
    b.extend_from_slice(b",\"customer_facing\":");
    push_int(b, r.customer_facing);
    b.extend_from_slice(b",\"tier0\":");
    push_int(b, r.tier0);
    b.extend_from_slice(b",\"risk\":\"");
    b.extend_from_slice(r.risk.as_str().as_bytes());
    b.extend_from_slice(if r.estimated {
        b"\",\"estimated\":true}"
    } else {
        b"\",\"estimated\":false}"
    });
}

/// The [`write_list`] task of rank's `nodes`.
fn rank_task<'g>(b: &mut Vec<u8>, t: &[crate::analysis::rank::Ranked<'g>], _: &mut ()) {
    push_joined(b, t, push_ranked);
}

#[derive(Serialize)]
struct EstimateJson {
    method: &'static str,
    k: usize,
    relative_standard_error: f64,
}

#[derive(Serialize)]
struct RankHead {
    schema: &'static str,
}

#[derive(Serialize)]
struct RankTail {
    matched: usize,
    estimate: Option<EstimateJson>,
}

/// Writes the rank report (`blast-radius/rank/v1`): `nodes` (each `{id, kind, tier,
/// blast_radius, customer_facing, tier0, risk, estimated}`; counts include the node
/// itself), `matched` (nodes that passed the filters, before `--top`) and `estimate`
/// (`{method, k, relative_standard_error}` when sizes are estimated, else `null`).
pub fn rank<'g>(w: &mut dyn Write, rank: &crate::analysis::rank::Rank<'g>) -> io::Result<()> {
    let _t = crate::timing::Phase::start("rank json");
    let tail = RankTail {
        matched: rank.matched,
        estimate: rank.estimate.map(|e| EstimateJson {
            method: "k-mins",
            k: e.k,
            relative_standard_error: e.relative_standard_error,
        }),
    };
    let head = RankHead {
        schema: RANK_SCHEMA,
    };
    one_line(w, |w| {
        begin_object(w, &head, "nodes")?;
        write_list(w, &rank.nodes, rank_task, ITEMS_PER_TASK, ITEMS_PER_BLOCK)?;
        end_object(w, &tail)
    })
}

#[derive(Serialize)]
struct ChokeJson<'a> {
    id: &'a str,
    behind: usize,
}

#[derive(Serialize)]
struct Tier0Json<'a> {
    id: &'a str,
    dependencies: usize,
    choke_points: Vec<ChokeJson<'a>>,
}

#[derive(Serialize)]
struct SpofJson<'a> {
    schema: &'static str,
    tier0: Vec<Tier0Json<'a>>,
    shared_fate: Vec<Vec<&'a str>>,
}

/// Writes the spof report (`blast-radius/spof/v1`): `tier0` (each `{id, dependencies,
/// choke_points: [{id, behind}]}`) and `shared_fate` (lists of ids).
pub fn spof(w: &mut dyn Write, report: &crate::analysis::spof::SpofReport<'_>) -> io::Result<()> {
    let j = SpofJson {
        schema: SPOF_SCHEMA,
        tier0: report
            .tier0
            .iter()
            .map(|t| Tier0Json {
                id: t.node.id().as_str(),
                dependencies: t.dependencies,
                choke_points: t
                    .choke_points
                    .iter()
                    .map(|c| ChokeJson {
                        id: c.node.id().as_str(),
                        behind: c.behind,
                    })
                    .collect(),
            })
            .collect(),
        shared_fate: report
            .shared_fate
            .iter()
            .map(|g| g.iter().map(|n| n.id().as_str()).collect())
            .collect(),
    };
    write_json(w, &j)
}

/// Schema id of the `blast ci` report.
pub const CI_SCHEMA: &str = "blast-radius/ci/v1";

#[derive(Serialize)]
struct EscalationJson {
    from: Risk,
    to: Risk,
    by: u8,
}

#[derive(Serialize)]
struct GateJson {
    tier: Option<Risk>,
    source: &'static str,
}

#[derive(Serialize)]
struct BlockJson<'a> {
    source: &'a str,
    overridden_by: Option<&'a str>,
    override_labels: &'a [String],
}

#[derive(Serialize)]
struct RequirementJson<'a> {
    source: &'a str,
    needs: u32,
    from: &'a [String],
    note: Option<&'a str>,
    eligible: Option<Vec<&'a str>>,
    has: &'a [String],
    unknown_teams: &'a [String],
    satisfied: bool,
    message: String,
}

#[derive(Serialize)]
struct VerdictJson<'a> {
    status: crate::analysis::gate::Status,
    exit_code: u8,
    risk: Risk,
    base_risk: Option<Risk>,
    gated_risk: Risk,
    escalation: Option<EscalationJson>,
    gate: GateJson,
    ai_assisted: bool,
    block: Option<BlockJson<'a>>,
    requirements: Vec<RequirementJson<'a>>,
    missing: Vec<String>,
    labels: &'a [String],
}

#[derive(Serialize)]
struct AiCommitJson<'a> {
    commit: &'a str,
    author: &'a str,
    subject: &'a str,
    matches: &'a [crate::changes::commits::Match],
}

#[derive(Serialize)]
struct AiJson<'a> {
    detected: bool,
    scanned: usize,
    commits: Vec<AiCommitJson<'a>>,
    labels: &'a [crate::changes::commits::Match],
}

#[derive(Serialize)]
struct ApprovedJson<'a> {
    login: &'a str,
    source: String,
}

#[derive(Serialize)]
struct StaleJson<'a> {
    login: &'a str,
    commit: Option<&'a str>,
}

#[derive(Serialize)]
struct WithdrawnJson<'a> {
    login: &'a str,
    state: &'a str,
}

#[derive(Serialize)]
struct ApprovalsJson<'a> {
    approved: Vec<ApprovedJson<'a>>,
    changes_requested: Vec<&'a str>,
    withdrawn: Vec<WithdrawnJson<'a>>,
    stale: Vec<StaleJson<'a>>,
    sources: &'a [String],
}

#[derive(Serialize)]
struct CiFindingJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    risk: Option<Risk>,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct CiJson<'i> {
    schema: &'static str,
    verdict: VerdictJson<'i>,
    ai_assisted: AiJson<'i>,
    approvals: ApprovalsJson<'i>,
    labels: &'i [String],
    findings: Vec<CiFindingJson<'i>>,
}

/// Writes the `blast ci` report (`blast-radius/ci/v1`) on one line: `verdict`,
/// `ai_assisted`, `approvals`, `labels`, `findings` and the whole impact report (`impact`,
/// `blast-radius/impact/v1`, listing what `opts` selects).
pub fn ci(
    w: &mut dyn Write,
    report: &crate::analysis::ci::CiReport<'_, '_>,
    opts: &ImpactJsonOptions,
) -> io::Result<()> {
    use crate::analysis::gate::GateSource;
    let v = &report.verdict;
    let j = CiJson {
        schema: CI_SCHEMA,
        verdict: VerdictJson {
            status: v.status,
            exit_code: v.exit_code(),
            risk: v.risk,
            base_risk: v.base_risk,
            gated_risk: v.gated_risk,
            escalation: v.escalation.as_ref().map(|e| EscalationJson {
                from: e.from,
                to: v.gated_risk,
                by: e.by,
            }),
            gate: GateJson {
                tier: v.tier,
                source: match v.gate_source {
                    GateSource::Configured => "configured",
                    GateSource::Builtin => "builtin",
                },
            },
            ai_assisted: v.ai_assisted,
            block: v.block.as_ref().map(|b| BlockJson {
                source: &b.source,
                overridden_by: b.overridden_by.as_deref(),
                override_labels: &b.override_labels,
            }),
            requirements: v
                .requirements
                .iter()
                .map(|r| RequirementJson {
                    source: &r.source,
                    needs: r.needs,
                    from: &r.from,
                    note: r.note.as_deref(),
                    eligible: r
                        .eligible
                        .as_ref()
                        .map(|e| e.iter().map(String::as_str).collect()),
                    has: &r.has,
                    unknown_teams: &r.unknown_teams,
                    satisfied: r.satisfied(),
                    message: r.message(),
                })
                .collect(),
            missing: v.missing(),
            labels: &v.labels,
        },
        ai_assisted: AiJson {
            detected: report.ai.detected(),
            scanned: report.ai.scanned,
            commits: report
                .ai
                .commits
                .iter()
                .map(|c| AiCommitJson {
                    commit: &c.commit.id,
                    author: &c.commit.author,
                    subject: &c.commit.subject,
                    matches: &c.matches,
                })
                .collect(),
            labels: &report.ai.labels,
        },
        approvals: ApprovalsJson {
            approved: report
                .approvals
                .approved
                .values()
                .map(|(l, s)| ApprovedJson {
                    login: l,
                    source: s.label(),
                })
                .collect(),
            changes_requested: report
                .approvals
                .changes_requested
                .values()
                .map(String::as_str)
                .collect(),
            withdrawn: report
                .approvals
                .withdrawn
                .values()
                .map(|(l, s)| WithdrawnJson { login: l, state: s })
                .collect(),
            stale: report
                .approvals
                .stale
                .values()
                .map(|(l, c)| StaleJson {
                    login: l,
                    commit: c.as_deref(),
                })
                .collect(),
            sources: &report.approvals.sources,
        },
        labels: &report.labels,
        findings: report
            .findings
            .iter()
            .map(|f| CiFindingJson {
                finding: &f.finding,
                risk: f.risk,
                fingerprint: &f.fingerprint,
            })
            .collect(),
    };
    // `impact` is the last field.
    one_line(w, |w| {
        begin_object(w, &j, "impact")?;
        write_impact(w, report.impact, *opts)?;
        w.write_all(b"}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Analyzer, Policy};
    use crate::changes::Resolver;
    use crate::graph::DependencyGraph;
    use crate::graph::testing::{TestNode, graph_of};

    /// The oracle for [`push_impacted`]: what serde writes for this struct.
    #[derive(Serialize)]
    struct ImpactedJson<'a> {
        id: &'a str,
        kind: &'static str,
        tier: Option<u8>,
        customer_facing: bool,
        distance: u32,
        strength: f64,
        risk: Risk,
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<Vec<&'a str>>,
        owners: Vec<&'a str>,
        owners_source: Option<&'static str>,
    }

    /// The oracle for [`push_ranked`]: what serde writes for this struct.
    #[derive(Serialize)]
    struct RankedJson<'a> {
        id: &'a str,
        kind: &'static str,
        tier: Option<u8>,
        blast_radius: u64,
        customer_facing: u32,
        tier0: u32,
        risk: Risk,
        estimated: bool,
    }

    fn impacted_json<'i>(n: ImpactedNode<'i, '_>, paths: bool) -> ImpactedJson<'i> {
        let node = n.node();
        let (owners, owners_source) = n.owners();
        ImpactedJson {
            id: node.id().as_str(),
            kind: node.kind().as_str(),
            tier: node.tier().map(|t| t.get()),
            customer_facing: node.customer_facing(),
            distance: n.distance(),
            strength: n.strength(),
            risk: n.risk(),
            path: paths.then(|| n.path().iter().map(|p| p.id().as_str()).collect()),
            owners,
            owners_source: owners_source.map(|o| o.as_str()),
        }
    }

    /// A library used by 600 services, some customer-facing or tiered, two ids needing
    /// escapes or holding what JSON leaves as it is (on the paths of others).
    fn fan_in() -> DependencyGraph {
        let id = |i: usize| match i {
            7 => "svc \"7\"\n".to_string(),
            9 => "svc\\9\u{1}\u{7f}é→".to_string(),
            _ => format!("svc-{i}"),
        };
        let lib = TestNode {
            id: "lib".into(),
            customer_facing: false,
            tier: None,
            calls: None,
        };
        graph_of(std::iter::once(lib).chain((0..600).map(|i| TestNode {
            id: id(i),
            customer_facing: i % 5 == 0,
            tier: (i % 3 == 0).then_some((i % 4) as u8),
            calls: Some((
                if i % 2 == 0 && i != 8 {
                    "lib".to_string()
                } else {
                    id(i - 1)
                },
                i % 7 == 0,
            )),
        })))
    }

    #[test]
    fn the_impacted_list_is_the_same_in_any_chunking() {
        let g = fan_in();
        let mut analyzer = Analyzer::new(&g, Policy::default());
        let imp = analyzer.impact(Resolver::new(&g).resolve(&["lib"]).unwrap());
        assert_eq!(imp.len(), 601);
        for nodes in [NodeList::All, NodeList::Rated, NodeList::None] {
            for paths in [true, false] {
                // The oracle: serde over the whole list at once.
                let list: Vec<ImpactedJson<'_>> = match nodes {
                    NodeList::All => imp.impacted().map(|n| impacted_json(n, paths)).collect(),
                    NodeList::Rated => imp
                        .rated()
                        .into_iter()
                        .map(|n| impacted_json(n, paths))
                        .collect(),
                    NodeList::None => Vec::new(),
                };
                let expected = serde_json::to_vec(&list).unwrap();
                // The whole report holds that list, and `listed` when it is not everything.
                let mut report = Vec::new();
                impact(&mut report, &imp, &ImpactJsonOptions { nodes, paths }).unwrap();
                let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
                let list_value: serde_json::Value = serde_json::from_slice(&expected).unwrap();
                assert_eq!(report["impacted"], list_value);
                assert_eq!(report["summary"]["impacted"], 601);
                assert_eq!(report.get("listed").is_some(), nodes != NodeList::All);
                let nodes = listed(&imp, nodes);
                // Tasks and blocks of every shape, and tasks of more than one group.
                let shapes = [
                    (1, 1),
                    (1, 3),
                    (2, 5),
                    (7, 64),
                    (64, 7),
                    (200, 450),
                    (2048, 1 << 17),
                ];
                for (task, block) in shapes {
                    let mut out = Vec::new();
                    write_list(&mut out, &nodes, impacted_task(&imp, paths), task, block).unwrap();
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        String::from_utf8(expected.clone()).unwrap()
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// A string is written as serde_json writes it, whatever bytes need escaping and
        /// wherever they fall in the eight-byte words the check reads.
        #[test]
        fn strings_are_what_serde_writes(
            s in "[a-z\"\\\\\u{0}-\u{1f}\u{7f}\u{a0}\u{a2}\u{dc}\u{e9}\u{2028}\u{1f600} ]{0,40}",
        ) {
            let mut b = Vec::new();
            push_json_str(&mut b, &s);
            proptest::prop_assert_eq!(b, serde_json::to_vec(&s).unwrap());
            let plain = !s.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\');
            proptest::prop_assert_eq!(needs_no_escape(s.as_bytes()), plain);
        }

        /// Integers and tiers are the digits serde_json writes.
        #[test]
        fn integers_are_what_serde_writes(x in proptest::num::u64::ANY, t in 0u8..=255) {
            let mut b = Vec::new();
            push_int(&mut b, x);
            proptest::prop_assert_eq!(b, serde_json::to_vec(&x).unwrap());
            let mut b = Vec::new();
            push_int(&mut b, t);
            proptest::prop_assert_eq!(b, serde_json::to_vec(&t).unwrap());
        }
    }

    #[test]
    fn the_rank_list_is_what_serde_writes_in_any_chunking() {
        use crate::analysis::rank::{RankOptions, SizeMode, rank as rank_of};
        let g = fan_in();
        for sizes in [SizeMode::Exact, SizeMode::Estimate] {
            let r = rank_of(
                &g,
                &Policy::default(),
                &RankOptions {
                    kinds: Vec::new(),
                    top: None,
                    sizes,
                },
            );
            assert_eq!(r.nodes.len(), 601);
            let oracle: Vec<RankedJson<'_>> = r
                .nodes
                .iter()
                .map(|x| RankedJson {
                    id: x.node.id().as_str(),
                    kind: x.node.kind().as_str(),
                    tier: x.node.tier().map(|t| t.get()),
                    blast_radius: x.blast_radius,
                    customer_facing: x.customer_facing,
                    tier0: x.tier0,
                    risk: x.risk,
                    estimated: x.estimated,
                })
                .collect();
            let expected = String::from_utf8(serde_json::to_vec(&oracle).unwrap()).unwrap();
            for (task, block) in [(1, 1), (2, 5), (64, 7), (2048, 1 << 17)] {
                let mut out = Vec::new();
                write_list(&mut out, &r.nodes, rank_task, task, block).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), expected);
            }
        }
    }
}
