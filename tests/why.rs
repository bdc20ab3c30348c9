//! `blast why`: strongest and shortest paths, path counts, unreachable answers.

use serde_json::json;

use crate::util::{expect, json, ok};

#[test]
fn payment_reaches_storefront_through_checkout() {
    let out = ok(&["why", "payment", "storefront"]);
    insta::assert_snapshot!("why_payment_storefront_text", out.stdout);
    let v = json(&ok(&["why", "payment", "storefront", "-f", "json"]));
    assert_eq!(v["schema"], "blast-radius/why/v1");
    assert_eq!(v["reachable"], true);
    assert_eq!(v["risk"], "high");
    assert_eq!(
        v["strongest"]["nodes"],
        json!(["payment", "checkout", "storefront"])
    );
    assert_eq!(
        v["strongest"]["hops"][0],
        json!({"from": "payment", "to": "checkout", "kind": "sync", "optional": false, "strength": 1.0})
    );
    assert_eq!(v["paths"], json!({"count": 1, "capped": false}));
}

#[test]
fn strongest_and_shortest_differ_on_a_detour() {
    let v = json(&ok(&[
        "why",
        "lib",
        "api",
        "-g",
        "graphs/small/detour.toml",
        "-f",
        "json",
    ]));
    assert_eq!(v["strongest"]["nodes"], json!(["lib", "b", "a", "api"]));
    assert_eq!(v["strongest"]["strength"], 1.0);
    assert_eq!(v["shortest"]["nodes"], json!(["lib", "api"]));
    assert_eq!(v["shortest"]["strength"], 0.5);
    assert_eq!(
        v["shortest"]["hops"][0],
        json!({"from": "lib", "to": "api", "kind": "sync", "optional": true, "strength": 0.5})
    );
    assert_eq!(v["paths"], json!({"count": 2, "capped": false}));
    let text = ok(&["why", "lib", "api", "-g", "graphs/small/detour.toml"]).stdout;
    assert!(text.contains("lib ─sync optional 0.50→ api"), "{text}");
}

#[test]
fn not_reachable_is_an_answer() {
    let out = ok(&["why", "storefront", "payment"]);
    assert!(
        out.stdout
            .starts_with("not reachable: a change to storefront does not reach payment"),
        "{}",
        out.stdout
    );
    let v = json(&ok(&["why", "storefront", "payment", "-f", "json"]));
    assert_eq!(
        v,
        json!({"schema": "blast-radius/why/v1", "from": "storefront", "to": "payment", "reachable": false,
            "risk": null, "strongest": null, "shortest": null, "paths": null})
    );
    // Dev edges do not propagate: test-utils never reaches checkout.
    let v = json(&ok(&["why", "test-utils", "checkout", "-f", "json"]));
    assert_eq!(v["reachable"], false);
}

#[test]
fn paths_are_counted_exactly_on_a_dag_and_capped_when_asked() {
    let v = json(&ok(&[
        "why",
        "base",
        "web",
        "-g",
        "graphs/small/diamond.json",
        "-f",
        "json",
    ]));
    assert_eq!(v["paths"], json!({"count": 2, "capped": false}));
    let v = json(&ok(&[
        "why",
        "logging",
        "storefront",
        "-f",
        "json",
        "--max-paths",
        "5",
    ]));
    assert_eq!(v["paths"], json!({"count": 5, "capped": true}));
    let text = ok(&["why", "logging", "storefront", "--max-paths", "5"]).stdout;
    assert!(text.contains("distinct simple paths: ≥ 5"), "{text}");
}

/// Writes `graph` (a JSON value) to a file in `dir`; returns its path.
fn graph_file(dir: &std::path::Path, graph: serde_json::Value) -> String {
    crate::util::write_file(dir, "g.json", &graph.to_string())
}

#[test]
fn a_dag_count_is_exact_past_the_cap() {
    // A ladder of 14 rungs, two nodes each, every node depending on both of the rung
    // before: 2^14 paths from src to dst, more than the default cap of 10,000.
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = vec![json!({"id": "src"})];
    let mut prev = vec!["src".to_string()];
    for i in 0..14 {
        let rung = vec![format!("l{i}a"), format!("l{i}b")];
        for id in &rung {
            nodes.push(json!({"id": id, "depends_on": prev}));
        }
        prev = rung;
    }
    nodes.push(json!({"id": "dst", "tier": 0, "depends_on": prev}));
    let g = graph_file(dir.path(), json!({ "nodes": nodes }));
    let v = json(&ok(&[
        "why",
        "src",
        "dst",
        "-g",
        &g,
        "--no-cache",
        "-f",
        "json",
    ]));
    assert_eq!(v["paths"], json!({"count": 16384, "capped": false}));
}

#[test]
fn a_reachable_node_never_counts_zero_paths() {
    // src's only way to zdst is src → zg → zdst, but the search meets the dense group of
    // k0..k10 first (every k depends on src and on every other k) and runs out of steps
    // there: the count is a lower bound, and at least the one path found.
    let dir = tempfile::tempdir().unwrap();
    let k = 11;
    let mut nodes = vec![json!({"id": "src", "depends_on": ["k0"]})];
    for i in 0..k {
        let mut deps = vec!["src".to_string()];
        deps.extend((0..k).filter(|&j| j != i).map(|j| format!("k{j}")));
        nodes.push(json!({"id": format!("k{i}"), "depends_on": deps}));
    }
    nodes.push(json!({"id": "zg", "depends_on": ["src"]}));
    nodes.push(json!({"id": "zdst", "tier": 0, "depends_on": ["zg"]}));
    let g = graph_file(dir.path(), json!({ "nodes": nodes }));
    let v = json(&ok(&[
        "why",
        "src",
        "zdst",
        "-g",
        &g,
        "--no-cache",
        "-f",
        "json",
    ]));
    assert_eq!(v["strongest"]["nodes"], json!(["src", "zg", "zdst"]));
    assert_eq!(v["paths"], json!({"count": 1, "capped": true}));
}

#[test]
fn a_node_reaches_itself_along_one_path() {
    // a sits in two cycles (a → b → a, a → c → a); its only simple path to itself has no hop.
    let dir = tempfile::tempdir().unwrap();
    let g = graph_file(
        dir.path(),
        json!({"nodes": [
            {"id": "a", "depends_on": ["b", "c"]},
            {"id": "b", "depends_on": ["a"]},
            {"id": "c", "depends_on": ["a"]},
        ]}),
    );
    let v = json(&ok(&[
        "why",
        "a",
        "a",
        "-g",
        &g,
        "--no-cache",
        "-f",
        "json",
    ]));
    assert_eq!(v["strongest"]["nodes"], json!(["a"]));
    assert_eq!(v["paths"], json!({"count": 1, "capped": false}));
}

#[test]
fn paths_through_a_cycle_are_simple() {
    // gateway → orders → billing → ledger → orders: from ledger, gateway is reached via orders.
    let v = json(&ok(&[
        "why",
        "ledger",
        "gateway",
        "-g",
        "graphs/small/cycle.yaml",
        "-f",
        "json",
    ]));
    assert_eq!(
        v["strongest"]["nodes"],
        json!(["ledger", "billing", "orders", "gateway"])
    );
    assert_eq!(v["paths"], json!({"count": 1, "capped": false}));
}

#[test]
fn unknown_ids_are_errors() {
    let out = expect(2, &["why", "paymnt", "checkout"]);
    assert!(
        out.stderr.contains("unknown node id 'paymnt'"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean one of: 'payment', "),
        "{}",
        out.stderr
    );
}

#[test]
fn exactly_the_cap_of_paths_through_a_cycle_is_not_capped() {
    // b and c form a cycle; a change to a reaches c along exactly one simple path.
    let dir = tempfile::tempdir().unwrap();
    let g = graph_file(
        dir.path(),
        json!({"nodes": [{"id": "a"}, {"id": "b"}, {"id": "c", "tier": 0}],
               "edges": [{"from": "b", "to": "a"}, {"from": "c", "to": "b"}, {"from": "b", "to": "c"}]}),
    );
    let args = ["why", "a", "c", "-g", &g, "--no-cache", "-f", "json"];
    let v = json(&ok(&[&args[..], &["--max-paths", "1"]].concat()));
    assert_eq!(v["paths"], json!({"count": 1, "capped": false}));
}

#[test]
fn equally_strong_paths_are_equal_whatever_the_order_of_their_products() {
    // x → b1 → b2 → t is 0.9 × 0.9 × 0.3 and x → a1 → a2 → a3 → t is 0.3 × 0.9 × 0.9 × 1.0:
    // the same strength (the products differ in the last bit), so the shorter path is shown.
    let dir = tempfile::tempdir().unwrap();
    crate::util::write_file(
        dir.path(),
        "blast.toml",
        "[policy.strength]\nsync = 0.9\nasync = 0.3\n",
    );
    let g = graph_file(
        dir.path(),
        json!({"nodes": [
            {"id": "x"},
            {"id": "b1", "depends_on": ["x"]},
            {"id": "b2", "depends_on": ["b1"]},
            {"id": "a1", "depends_on": [{"id": "x", "kind": "async"}]},
            {"id": "a2", "depends_on": ["a1"]},
            {"id": "a3", "depends_on": ["a2"]},
            {"id": "t", "tier": 0, "depends_on": [{"id": "b2", "kind": "async"}, {"id": "a3", "kind": "build"}]},
        ]}),
    );
    let v = json(&crate::util::run(
        crate::util::blast_in(dir.path()),
        &["why", "x", "t", "-g", &g, "--no-cache", "-f", "json"],
    ));
    assert_eq!(v["strongest"]["nodes"], json!(["x", "b1", "b2", "t"]));
    let impact = json(&crate::util::run(
        crate::util::blast_in(dir.path()),
        &["impact", "x", "-g", &g, "--no-cache", "-f", "json"],
    ));
    let t = impact["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "t")
        .unwrap()
        .clone();
    assert_eq!(t["path"], json!(["x", "b1", "b2", "t"]));
    assert_eq!(t["distance"], 3);
}

#[test]
fn a_long_weak_chain_still_reaches_in_why_as_in_impact() {
    // 700 optional async edges: 0.25^699 underflows a float; walks floor it above zero.
    let dir = tempfile::tempdir().unwrap();
    let n = 700;
    let mut nodes: Vec<serde_json::Value> =
        (0..n).map(|i| json!({"id": format!("c{i}")})).collect();
    nodes[n - 1]["tier"] = json!(0);
    let edges: Vec<serde_json::Value> = (0..n - 1)
        .map(|i| json!({"from": format!("c{}", i + 1), "to": format!("c{i}"), "kind": "async", "optional": true}))
        .collect();
    let g = graph_file(dir.path(), json!({"nodes": nodes, "edges": edges}));
    let why = json(&ok(&[
        "why",
        "c0",
        "c699",
        "-g",
        &g,
        "--no-cache",
        "-f",
        "json",
    ]));
    assert_eq!(why["risk"], "medium");
    let text = ok(&["impact", "c0", "-g", &g, "--no-cache"]).stdout;
    assert!(text.starts_with("risk: medium"), "{text}");
}

#[test]
fn a_strength_just_under_a_threshold_is_not_shown_as_meeting_it() {
    let dir = tempfile::tempdir().unwrap();
    crate::util::write_file(
        dir.path(),
        "blast.toml",
        "[policy.strength]\nsync = 0.998\n",
    );
    let g = graph_file(
        dir.path(),
        json!({"nodes": [{"id": "x"}, {"id": "t", "tier": 0, "depends_on": ["x"]}]}),
    );
    let out = crate::util::run(
        crate::util::blast_in(dir.path()),
        &["why", "x", "t", "-g", &g, "--no-cache"],
    );
    assert!(
        out.stdout.contains("strongest path (strength 0.99, 1 hop)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("with risk high"), "{}", out.stdout);
}
