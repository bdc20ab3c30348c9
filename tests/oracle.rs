//! Property tests: the fast impact walk against a naive oracle on random graphs with cycles,
//! every edge kind, optional edges and `part_of`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use blast_radius::analysis::{Analyzer, Policy, Risk};
use blast_radius::changes::Resolver;
use blast_radius::graph::build::{EdgeSpec, NodeSpec};
use blast_radius::graph::{DependencyGraph, EdgeKind, GraphBuilder, NodeKind, Tier};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct RandomGraph {
    /// (tier, customer_facing, part_of)
    nodes: Vec<(Option<u8>, bool, Option<usize>)>,
    /// (from, to, kind, optional)
    edges: Vec<(usize, usize, usize, bool)>,
}

fn random_graph() -> impl Strategy<Value = RandomGraph> {
    (2usize..24).prop_flat_map(|n| {
        let node = (
            prop::option::of(0u8..4),
            any::<bool>(),
            prop::option::weighted(0.15, 0..n),
        );
        let edge = (
            0..n,
            0..n,
            0..EdgeKind::ALL.len(),
            prop::bool::weighted(0.2),
        );
        (
            prop::collection::vec(node, n),
            prop::collection::vec(edge, 0..n * 3),
        )
            .prop_map(|(nodes, edges)| RandomGraph { nodes, edges })
    })
}

fn id(i: usize) -> String {
    format!("n{i}")
}

fn build(r: &RandomGraph) -> DependencyGraph {
    let mut b = GraphBuilder::new();
    let doc = b.begin_document("graph", Path::new("<proptest>"));
    for (i, &(tier, cf, part_of)) in r.nodes.iter().enumerate() {
        b.add_node(
            doc,
            NodeSpec {
                id: Cow::Owned(id(i)),
                kind: Some(if part_of.is_some() {
                    NodeKind::Module
                } else {
                    NodeKind::Service
                }),
                tier: tier.and_then(Tier::new),
                customer_facing: Some(cf),
                owners: None,
                paths: None,
                part_of: part_of.map(|p| Cow::Owned(id(p))),
            },
        );
    }
    for &(a, c, k, optional) in &r.edges {
        b.add_edge(
            doc,
            EdgeSpec {
                from: Cow::Owned(id(a)),
                to: Cow::Owned(id(c)),
                kind: Some(EdgeKind::ALL[k]),
                optional,
            },
        );
    }
    let (g, _) = b.finish().expect("random graphs are valid");
    g.verify().expect("CSR matches the graph");
    g
}

/// Every propagating edge as (dependent, dependency, strength).
fn edges(g: &DependencyGraph, policy: &Policy) -> Vec<(String, String, f64)> {
    g.dependencies()
        .map(|d| {
            (
                d.from().id().to_string(),
                d.to().id().to_string(),
                policy.strength.of(d.kind(), d.optional()),
            )
        })
        .filter(|e| e.2 > 0.0)
        .collect()
}

struct Expected {
    distance: BTreeMap<String, u32>,
    strength: BTreeMap<String, f64>,
    /// Fewest hops among the strongest paths.
    strongest_hops: BTreeMap<String, u32>,
}

/// Relative difference under which two strengths are equal (as `blast` compares them).
const TIE: f64 = 1e-9;

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= TIE * a.abs().max(b.abs())
}

/// The obvious algorithms: breadth-first search, Bellman-Ford on max-product, then a
/// breadth-first search over "tight" edges for the fewest hops among strongest paths.
fn oracle(g: &DependencyGraph, policy: &Policy, changed: &BTreeSet<String>) -> Expected {
    let es = edges(g, policy);
    let mut distance: BTreeMap<String, u32> = changed.iter().map(|c| (c.clone(), 0)).collect();
    let mut q: VecDeque<String> = changed.iter().cloned().collect();
    while let Some(v) = q.pop_front() {
        let d = distance[&v];
        for (from, to, _) in &es {
            if *to == v && !distance.contains_key(from) {
                distance.insert(from.clone(), d + 1);
                q.push_back(from.clone());
            }
        }
    }
    let mut strength: BTreeMap<String, f64> = changed.iter().map(|c| (c.clone(), 1.0)).collect();
    loop {
        let mut changed_any = false;
        for (from, to, s) in &es {
            if let Some(&st) = strength.get(to) {
                let cand = st * s;
                // Strictly stronger: products of the same strengths in another order
                // differ in the last bits, and are equally strong.
                if strength
                    .get(from)
                    .is_none_or(|&old| cand > old * (1.0 + TIE))
                {
                    strength.insert(from.clone(), cand);
                    changed_any = true;
                }
            }
        }
        if !changed_any {
            break;
        }
    }
    let mut strongest_hops: BTreeMap<String, u32> =
        changed.iter().map(|c| (c.clone(), 0)).collect();
    let mut q: VecDeque<String> = changed.iter().cloned().collect();
    while let Some(v) = q.pop_front() {
        let h = strongest_hops[&v];
        for (from, to, s) in &es {
            if *to == v
                && same(strength[to] * s, strength[from])
                && !strongest_hops.contains_key(from)
            {
                strongest_hops.insert(from.clone(), h + 1);
                q.push_back(from.clone());
            }
        }
    }
    Expected {
        distance,
        strength,
        strongest_hops,
    }
}

fn impacted_ids(g: &DependencyGraph, policy: &Policy, changed: &[String]) -> BTreeSet<String> {
    let mut a = Analyzer::new(g, policy.clone());
    let cs = Resolver::new(g).resolve(changed).unwrap();
    a.impact(cs)
        .impacted()
        .map(|n| n.node().id().to_string())
        .collect()
}

/// Checks one impact against the oracle: the reached set, distances, strengths (equal
/// within [`TIE`]), risks, paths and the summary.
fn matches_the_oracle(
    r: &RandomGraph,
    picks: &[usize],
    direction: Option<bool>,
    policy: &Policy,
) -> Result<(), TestCaseError> {
    let g = build(r);
    let changed: BTreeSet<String> = picks.iter().map(|p| id(p % r.nodes.len())).collect();
    let inputs: Vec<String> = changed.iter().cloned().collect();
    let want = oracle(&g, policy, &changed);

    let mut analyzer = Analyzer::new(&g, policy.clone());
    // Small graphs walk top-down; force each direction so both are checked.
    analyzer.force_direction(direction);
    let impact = analyzer.impact(Resolver::new(&g).resolve(&inputs).unwrap());
    let got: BTreeMap<String, _> = impact
        .impacted()
        .map(|n| (n.node().id().to_string(), n))
        .collect();
    prop_assert_eq!(
        got.keys().cloned().collect::<BTreeSet<_>>(),
        want.distance.keys().cloned().collect::<BTreeSet<_>>()
    );
    let mut top = Risk::None;
    // The summary's counts, from the oracle's risks and the nodes' ratings.
    let (mut by_risk, mut customer_facing, mut tier0) = ([0usize; 5], 0, 0);
    for (id, n) in &got {
        prop_assert_eq!(n.distance(), want.distance[id], "distance of {}", id);
        prop_assert!(
            same(n.strength(), want.strength[id]),
            "strength of {}: {} against {}",
            id,
            n.strength(),
            want.strength[id]
        );
        let node = n.node();
        let risk = policy.risk_of(node.tier(), node.customer_facing(), want.strength[id]);
        prop_assert_eq!(n.risk(), risk, "risk of {}", id);
        top = top.max(risk);
        by_risk[Risk::ALL.iter().position(|&r| r == risk).unwrap()] += 1;
        customer_facing += node.customer_facing() as usize;
        tier0 += (node.tier().map(|t| t.get()) == Some(0)) as usize;
        // The path is real, as strong as claimed, and has the fewest hops among the strongest.
        let path: Vec<String> = n.path().iter().map(|p| p.id().to_string()).collect();
        prop_assert!(
            changed.contains(&path[0]),
            "path of {} starts at a change: {:?}",
            id,
            path
        );
        prop_assert_eq!(path.last().unwrap(), id);
        let es = edges(&g, policy);
        let mut product = 1.0;
        for w in path.windows(2) {
            let best = es
                .iter()
                .filter(|(f, t, _)| *f == w[1] && *t == w[0])
                .map(|e| e.2)
                .fold(0.0, f64::max);
            prop_assert!(best > 0.0, "{} depends on {}", w[1], w[0]);
            product *= best;
        }
        prop_assert!(
            same(product, want.strength[id]),
            "path strength of {}: {:?}",
            id,
            path
        );
        prop_assert_eq!(
            path.len() as u32 - 1,
            want.strongest_hops[id],
            "hops of {}: {:?}",
            id,
            path
        );
    }
    prop_assert_eq!(impact.risk, top);
    let s = impact.summary();
    prop_assert_eq!(
        (s.impacted, s.customer_facing, s.tier0, s.by_risk),
        (got.len(), customer_facing, tier0, by_risk)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn impact_matches_the_oracle(r in random_graph(), picks in prop::collection::vec(0usize..24, 1..4),
                                 direction in prop::sample::select(vec![None, Some(true), Some(false)])) {
        matches_the_oracle(&r, &picks, direction, &Policy::default())?;
    }

    /// Strengths whose products are not exact in binary (0.9, 0.3, 0.7): equally strong
    /// paths, whatever the order of their products, are one level.
    #[test]
    fn impact_matches_the_oracle_with_other_strengths(
        r in random_graph(), picks in prop::collection::vec(0usize..24, 1..4),
        direction in prop::sample::select(vec![None, Some(true), Some(false)]),
        s in prop::collection::vec(prop::sample::select(vec![1.0, 0.9, 0.7, 0.5, 0.3]), 5),
    ) {
        let mut policy = Policy::default();
        policy.strength.sync = s[0];
        policy.strength.async_ = s[1];
        policy.strength.build = s[2];
        policy.strength.data = s[3];
        policy.strength.optional_factor = s[4];
        matches_the_oracle(&r, &picks, direction, &policy)?;
    }

    #[test]
    fn impact_of_a_union_is_the_union_of_impacts(r in random_graph(), a in 0usize..24, b in 0usize..24) {
        let g = build(&r);
        let policy = Policy::default();
        let (a, b) = (id(a % r.nodes.len()), id(b % r.nodes.len()));
        let both = impacted_ids(&g, &policy, &[a.clone(), b.clone()]);
        let mut union = impacted_ids(&g, &policy, std::slice::from_ref(&a));
        union.extend(impacted_ids(&g, &policy, std::slice::from_ref(&b)));
        prop_assert_eq!(both, union);
    }

    #[test]
    fn one_analyzer_gives_the_same_answers_in_any_order(r in random_graph(), picks in prop::collection::vec(0usize..24, 2..6)) {
        let g = build(&r);
        let policy = Policy::default();
        let ids: Vec<String> = picks.iter().map(|p| id(p % r.nodes.len())).collect();
        let mut shared = Analyzer::new(&g, policy.clone());
        for x in &ids {
            let reused: Vec<(String, u32, f64)> = shared
                .impact(Resolver::new(&g).resolve(std::slice::from_ref(x)).unwrap())
                .impacted()
                .map(|n| (n.node().id().to_string(), n.distance(), n.strength()))
                .collect();
            let mut fresh = Analyzer::new(&g, policy.clone());
            let once: Vec<(String, u32, f64)> = fresh
                .impact(Resolver::new(&g).resolve(std::slice::from_ref(x)).unwrap())
                .impacted()
                .map(|n| (n.node().id().to_string(), n.distance(), n.strength()))
                .collect();
            prop_assert_eq!(reused, once);
        }
    }
}

/// Walks on a generated graph agree between the directions (distances and strengths exact,
/// paths valid), and both agree with the default.
#[test]
fn directions_agree_on_a_generated_graph() {
    let mut b = GraphBuilder::new();
    blast_radius::sources::load_graph_file(
        &mut b,
        &crate::util::root().join("graphs/large/generated-2k.json"),
    )
    .unwrap();
    let (g, _) = b.finish().unwrap();
    let policy = Policy::default();
    let q: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate::util::root().join("graphs/large/generated-2k.json.queries.json"))
            .unwrap(),
    )
    .unwrap();
    let run = |direction: Option<bool>, query: &[String]| {
        let mut a = Analyzer::new(&g, policy.clone());
        a.force_direction(direction);
        let impact = a.impact(Resolver::new(&g).resolve(query).unwrap());
        impact
            .impacted()
            .map(|n| {
                (
                    n.node().id().to_string(),
                    n.distance(),
                    n.strength(),
                    n.risk(),
                    n.path().len(),
                )
            })
            .collect::<Vec<_>>()
    };
    for query in q["queries"].as_array().unwrap() {
        let query: Vec<String> = query
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        let default = run(None, &query);
        assert_eq!(run(Some(true), &query), default, "bottom-up, {query:?}");
        assert_eq!(run(Some(false), &query), default, "top-down, {query:?}");
    }
}
