//! Where declared, observed and allowed traffic disagree.
//!
//! * **Traces against declarations.** When the graph holds both observed edges (from
//!   traces, source `jaeger`) and declared ones (every other source, graph files included),
//!   an observed call with no declared runtime dependency (`sync`, `async` or `data`)
//!   between the same two nodes is [`Code::UndeclaredDependency`]; a declared runtime
//!   dependency whose caller shows up in the traces but never calls that target is
//!   [`Code::UnobservedDependency`]. Callers absent from the traces are not judged: they
//!   may simply not be instrumented.
//! * **Network policies against the graph.** A dependency (any kind that is traffic:
//!   `sync`, `async`, `data`, `telemetry`) into a workload that network policies isolate,
//!   from a caller none of them lets in, is [`Code::NetworkPolicyBlocks`]; a policy that
//!   lets a caller in that no source declares as a dependency is
//!   [`Code::NetworkPolicyUnused`] (a note).
//! * **Overlays against the sources.** With discovered sources loaded, a node that only
//!   graph files declare and that has no edge at all is [`Code::UnmatchedOverlay`]: most
//!   likely a misspelt id, or a service the source names differently.

use std::collections::{BTreeMap, BTreeSet};

use crate::codes::{Code, Finding, Location};
use crate::graph::provenance::{NATIVE_SOURCE, NetworkPolicy};
use crate::graph::{Dependency, DependencyGraph, EdgeKind, Origin};

/// The source kind of observed traffic.
pub const OBSERVED_SOURCE: &str = "jaeger";

fn is_runtime(k: EdgeKind) -> bool {
    matches!(k, EdgeKind::Sync | EdgeKind::Async | EdgeKind::Data)
}

fn is_traffic(k: EdgeKind) -> bool {
    is_runtime(k) || k == EdgeKind::Telemetry
}

fn location(o: &Origin) -> Location {
    Location {
        file: o.file.clone(),
        line: o.line,
        column: None,
    }
}

fn describe(d: &Dependency<'_>) -> String {
    let o = d.origin();
    let mut s = format!("{}, {}", d.kind(), o.source);
    if let Some(e) = &o.evidence {
        s.push_str(": ");
        s.push_str(e);
    }
    s
}

/// Every drift finding (see the module docs), sorted by pair.
pub fn drift(graph: &DependencyGraph) -> Vec<Finding> {
    let mut out = traces(graph);
    out.extend(policies(graph));
    out.extend(stray_overlay_nodes(graph));
    out
}

fn stray_overlay_nodes(graph: &DependencyGraph) -> Vec<Finding> {
    let discovered = graph
        .nodes()
        .any(|n| n.origins().any(|o| o.source != NATIVE_SOURCE));
    if !discovered {
        return Vec::new();
    }
    let mut out = Vec::new();
    for n in graph.nodes() {
        if n.origins().any(|o| o.source != NATIVE_SOURCE)
            || n.dependencies().next().is_some()
            || n.dependents().next().is_some()
        {
            continue;
        }
        let id = n.id().as_str();
        let near: Vec<&str> = graph
            .suggest(id, 4)
            .into_iter()
            .filter(|s| *s != id)
            .take(2)
            .collect();
        let mut f = Finding::new(
            Code::UnmatchedOverlay,
            format!(
                "'{id}' is declared only by graph files and has no edges: it matches no node of the discovered sources"
            ),
        )
        .with_nodes([id]);
        if let Some(o) = n.origins().next() {
            f = f.at(Location::file(o.file.clone()));
        }
        if !near.is_empty() {
            f = f.with_help(format!(
                "did you mean {}? (or give the source's name in `aliases`)",
                near.iter()
                    .map(|s| format!("'{s}'"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
        out.push(f);
    }
    out
}

fn traces(graph: &DependencyGraph) -> Vec<Finding> {
    let mut observed: BTreeMap<(&str, &str), Vec<Dependency<'_>>> = BTreeMap::new();
    let mut declared: BTreeMap<(&str, &str), Vec<Dependency<'_>>> = BTreeMap::new();
    for d in graph.dependencies().filter(|d| !d.is_implicit()) {
        let key = (d.from().id().as_str(), d.to().id().as_str());
        if d.origin().source == OBSERVED_SOURCE {
            observed.entry(key).or_default().push(d);
        } else {
            declared.entry(key).or_default().push(d);
        }
    }
    let mut out = Vec::new();
    if observed.is_empty() || declared.is_empty() {
        return out;
    }
    let traced: BTreeSet<&str> = observed.keys().flat_map(|&(a, b)| [a, b]).collect();
    for (&(a, b), obs) in &observed {
        let decl = declared.get(&(a, b));
        if decl.is_some_and(|v| v.iter().any(|d| is_runtime(d.kind()))) {
            continue;
        }
        let o = obs[0].origin();
        let calls: u64 = obs
            .iter()
            .flat_map(|d| d.origin().attributes.iter())
            .filter(|(k, _)| k == "calls")
            .filter_map(|(_, v)| match v {
                crate::graph::AttrValue::Count(n) => Some(*n),
                crate::graph::AttrValue::Text(_) => None,
            })
            .sum();
        let seen = if calls > 0 {
            format!("traces show '{a}' calling '{b}' ({calls} calls)")
        } else {
            format!("traces show '{a}' calling '{b}'")
        };
        let msg = match decl {
            Some(v) => format!(
                "{seen}, but the declared sources have it only as {}",
                v.iter().map(describe).collect::<Vec<_>>().join("; ")
            ),
            None => format!("{seen}, but no declared source has that dependency"),
        };
        out.push(
            Finding::new(Code::UndeclaredDependency, msg)
                .with_nodes([a, b])
                .at(location(o)),
        );
    }
    for (&(a, b), decl) in &declared {
        let Some(d) = decl.iter().find(|d| is_runtime(d.kind())) else {
            continue;
        };
        if !traced.contains(a) || observed.contains_key(&(a, b)) {
            continue;
        }
        let mut f = Finding::new(
            Code::UnobservedDependency,
            format!(
                "'{a}' depends on '{b}' ({}), but the traces never show '{a}' calling '{b}'",
                describe(d)
            ),
        )
        .with_nodes([a, b])
        .at(location(d.origin()));
        if let Some(obs) = observed.values().next() {
            f.related = Some(Location::file(obs[0].origin().file.clone()));
        }
        out.push(f);
    }
    out
}

fn allowed(p: &NetworkPolicy, from: &str) -> bool {
    p.allows_from
        .as_ref()
        .is_none_or(|v| v.binary_search_by(|x| x.as_str().cmp(from)).is_ok())
}

fn policies(graph: &DependencyGraph) -> Vec<Finding> {
    let policies = graph.network_policies();
    let mut out = Vec::new();
    if policies.is_empty() {
        return out;
    }
    let mut isolating: BTreeMap<&str, Vec<&NetworkPolicy>> = BTreeMap::new();
    for p in policies {
        for t in &p.selects {
            isolating.entry(t.as_str()).or_default().push(p);
        }
    }
    let mut edges: BTreeMap<(&str, &str), Vec<Dependency<'_>>> = BTreeMap::new();
    for d in graph.dependencies().filter(|d| !d.is_implicit()) {
        edges
            .entry((d.from().id().as_str(), d.to().id().as_str()))
            .or_default()
            .push(d);
    }
    for (&(a, b), ds) in &edges {
        let Some(d) = ds.iter().find(|d| is_traffic(d.kind())) else {
            continue;
        };
        let Some(ps) = isolating.get(b) else {
            continue;
        };
        if a == b || ps.iter().any(|p| allowed(p, a)) {
            continue;
        }
        let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
        let mut f = Finding::new(
            Code::NetworkPolicyBlocks,
            format!(
                "'{a}' depends on '{b}' ({}), but the network policies selecting '{b}' ({}) do not let '{a}' in",
                describe(d),
                names.join(", ")
            ),
        )
        .with_nodes([a, b])
        .at(location(d.origin()));
        f.related = Some(location(&ps[0].origin));
        out.push(f);
    }
    let mut seen: BTreeSet<(&str, &str)> = BTreeSet::new();
    for p in policies {
        let Some(from) = &p.allows_from else { continue };
        for t in &p.selects {
            for s in from {
                if s == t || edges.contains_key(&(s.as_str(), t.as_str())) {
                    continue;
                }
                if !seen.insert((s.as_str(), t.as_str())) {
                    continue;
                }
                out.push(
                    Finding::new(
                        Code::NetworkPolicyUnused,
                        format!(
                            "network policy {} lets '{s}' reach '{t}', but no source declares that dependency",
                            p.name
                        ),
                    )
                    .with_nodes([s.as_str(), t.as_str()])
                    .at(location(&p.origin)),
                );
            }
        }
    }
    out
}
