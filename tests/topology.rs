//! Topology changes: a change that edits the graph sources is judged on the graph at both
//! ends, and a new path into tier 0 raises its risk.

use serde_json::{Value, json};

use crate::gitrepo::Repo;
use crate::util::{json, strings};

/// Adds `recs-v2` (tier 2) to the shop and makes `checkout` call it synchronously.
fn add_recs_v2(repo: &Repo) {
    let p = repo.path().join("graphs/shop.toml");
    let mut s = std::fs::read_to_string(&p).unwrap();
    s = s.replacen(
        "  \"orders\",\n  { id = \"shipping\"",
        "  \"orders\",\n  \"recs-v2\",\n  { id = \"shipping\"",
        1,
    );
    s.push_str(
        "\n[[nodes]]\nid = \"recs-v2\"\nkind = \"service\"\ntier = 2\nowners = [\"@shop/growth\"]\npaths = [\"services/recs-v2/**\"]\ndepends_on = [\"search\"]\n",
    );
    std::fs::write(p, s).unwrap();
}

#[test]
fn a_branch_adding_an_edge_into_checkout_reports_the_new_path_and_at_least_high() {
    let repo = Repo::shop();
    repo.branch("recs-v2");
    add_recs_v2(&repo);
    repo.commit("checkout calls recs-v2");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    let t = &v["topology"];
    assert_eq!(t["sources"], json!(["graphs/shop.toml"]));
    assert_eq!(t["added_nodes"], json!(["recs-v2"]));
    assert_eq!(t["removed_nodes"], json!([]));
    assert_eq!(
        t["added_edges"],
        json!([
            {"from": "checkout", "to": "recs-v2", "kind": "sync", "optional": false},
            {"from": "recs-v2", "to": "search", "kind": "sync", "optional": false},
        ])
    );
    assert_eq!(t["removed_edges"], json!([]));
    let paths: Vec<(Vec<String>, Value)> = t["new_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (strings(&p["nodes"]), p["tier"].clone()))
        .collect();
    assert_eq!(
        paths,
        vec![
            (vec!["recs-v2".into(), "checkout".into()], json!(0)),
            (
                vec!["search".into(), "recs-v2".into(), "checkout".into()],
                json!(0)
            ),
            (
                vec!["recs-v2".into(), "checkout".into(), "mobile-bff".into()],
                json!(1)
            ),
            (
                vec!["recs-v2".into(), "checkout".into(), "storefront".into()],
                json!(1)
            ),
        ]
    );
    assert_eq!(
        t["new_paths"][0]["hops"],
        json!([{"from": "recs-v2", "to": "checkout", "kind": "sync", "optional": false}])
    );
    let risk = v["risk"].as_str().unwrap();
    assert!(risk == "high" || risk == "critical", "{risk}");
    assert!(
        strings(&v["risk_reasons"])
            .contains(&"high: new synchronous path recs-v2 → checkout into tier-0 checkout (added by this change)".to_string()),
        "{}",
        v["risk_reasons"]
    );
    // The graph file maps to the nodes whose declarations changed.
    assert_eq!(
        v["changed"],
        json!([{"input": "graphs/shop.toml", "nodes": ["checkout", "recs-v2"],
                "reason": "topology: added node recs-v2; added edge checkout → recs-v2 (sync); added edge recs-v2 → search (sync)",
                "status": "modified", "via": "topology", "widened": false}])
    );
    let text = repo.ok(&["impact", "--base", "main"]).stdout;
    for line in [
        "because: high: new synchronous path recs-v2 → checkout into tier-0 checkout (added by this change)",
        "topology: graphs/shop.toml changed (",
        "  added node    recs-v2",
        "  added edge    checkout → recs-v2 (sync)",
        "  new path      recs-v2 → checkout (synchronous, strength 1.00) into tier 0",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }

    // From main, `--head` judges the change on the graph at the head: recs-v2 exists there.
    repo.git(&["checkout", "-q", "main"]);
    let w = json(&repo.ok(&[
        "impact", "--base", "main", "--head", "recs-v2", "-f", "json",
    ]));
    assert_eq!(w["topology"]["added_nodes"], json!(["recs-v2"]));
    assert_eq!(w["changed"], v["changed"]);
    assert_eq!(w["impacted"], v["impacted"]);
}

#[test]
fn a_new_weak_path_into_tier0_raises_medium_to_high() {
    let repo = Repo::new();
    let base = "[[nodes]]\nid = \"pay\"\ntier = 0\ndepends_on = [{ id = \"jobs\", kind = \"async\", optional = true }]\n\n[[nodes]]\nid = \"jobs\"\n";
    repo.write("graph.toml", base);
    repo.write("blast.toml", "graphs = [\"graph.toml\"]\n");
    repo.commit("init");
    // Without a topology change, a change to jobs is medium (tier 0 at strength 0.25).
    assert_eq!(
        json(&repo.ok(&["impact", "jobs", "-f", "json"]))["risk"],
        "medium"
    );
    repo.branch("newlib");
    repo.write(
        "graph.toml",
        &format!(
            "{}depends_on = [\"newlib\"]\n\n[[nodes]]\nid = \"newlib\"\n",
            base
        ),
    );
    repo.commit("jobs uses newlib");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    assert_eq!(v["risk"], "high");
    assert_eq!(
        v["risk_reasons"],
        json!([
            "high: new sync, async, optional path newlib → jobs → pay into tier-0 pay (added by this change)",
            "medium: pay (tier 0) is reached at strength 0.25 along jobs → pay",
        ])
    );
    let by_risk = &v["summary"]["by_risk"];
    assert_eq!(by_risk["medium"], 1, "node risks are unchanged: {by_risk}");
}

#[test]
fn a_graph_edit_that_changes_no_node_or_edge_is_ignored() {
    let repo = Repo::shop();
    repo.branch("comment");
    repo.append("graphs/shop.toml", "# a comment");
    repo.commit("comment");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    assert_eq!(v["changed"], json!([]));
    assert_eq!(
        v["ignored"],
        json!([{"input": "graphs/shop.toml", "status": "modified", "reason": "graph source: no node or edge changed"}])
    );
    assert_eq!(v["topology"]["added_edges"], json!([]));
    assert_eq!(v["risk"], "none");
}

#[test]
fn graphs_that_do_not_load_at_the_base_or_the_head() {
    let repo = Repo::shop();
    let good = std::fs::read_to_string(repo.path().join("graphs/shop.toml")).unwrap();
    let broken = format!("{good}\n[[edges]]\nfrom = \"checkout\"\nto = \"ghost\"\n");
    repo.branch("broken");
    repo.write("graphs/shop.toml", &broken);
    repo.commit("dangling edge");
    let head = repo.git(&["rev-parse", "HEAD"]).trim()[..12].to_string();
    repo.git(&["checkout", "-q", "main"]);
    // At the head: an error naming the revision and the file, never a temporary folder.
    let e = repo.expect(2, &["impact", "--base", "main", "--head", "broken"]);
    assert!(
        e.stderr.contains(&format!("{head}:graphs/shop.toml:")),
        "{}",
        e.stderr
    );
    assert!(
        e.stderr.contains("'checkout' depends on 'ghost'"),
        "{}",
        e.stderr
    );
    assert!(!e.stderr.contains("blast-graph-"), "{}", e.stderr);
    // At the base: a warning, and no topology.
    repo.git(&["checkout", "-q", "broken"]);
    repo.branch("fixed");
    repo.write("graphs/shop.toml", &good);
    repo.commit("fix");
    let out = repo.ok(&["impact", "--base", "broken", "-f", "json"]);
    assert!(
        out.stderr.contains("warning: the graph at ")
            && out
                .stderr
                .contains("does not load, so topology changes are not reported"),
        "{}",
        out.stderr
    );
    let v = json(&out);
    assert_eq!(v["topology"], Value::Null);
    // The graph file is still a graph source, not a file nothing maps.
    assert_eq!(v["unmapped"], json!([]));
    assert_eq!(v["changed"][0]["input"], "graphs/shop.toml");
    assert_eq!(v["changed"][0]["via"], "topology");
    assert_eq!(v["changed"][0]["nodes"], json!([]));
}

#[test]
fn staged_changes_are_judged_on_the_graph_in_the_index() {
    let repo = Repo::shop();
    add_recs_v2(&repo);
    repo.git(&["add", "graphs/shop.toml"]);
    // An unstaged edit on top adds another node, which --staged must not see.
    repo.append(
        "graphs/shop.toml",
        "\n[[nodes]]\nid = \"unstaged\"\npaths = [\"services/unstaged/**\"]\n",
    );
    let v = json(&repo.ok(&["impact", "--staged", "-f", "json"]));
    assert_eq!(v["topology"]["added_nodes"], json!(["recs-v2"]));
    assert_eq!(v["diff"]["head"], "index");
    let ids: Vec<&str> = v["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"recs-v2") && !ids.contains(&"unstaged"),
        "{ids:?}"
    );
    // Against HEAD with the working tree, both are new.
    let v = json(&repo.ok(&["impact", "--base", "HEAD", "-f", "json"]));
    assert_eq!(v["topology"]["added_nodes"], json!(["recs-v2", "unstaged"]));
}

/// A shop described by a Compose file plus an overlay that rates its services.
fn compose_shop() -> Repo {
    let repo = Repo::new();
    repo.write(
        "blast.toml",
        "graphs = [\"graphs/tiers.toml\"]\n\n[[source]]\nkind = \"compose\"\npath = \"deploy/compose.yaml\"\n",
    );
    repo.write(
        "graphs/tiers.toml",
        "[[nodes]]\nid = \"checkout\"\ntier = 0\ncustomer_facing = true\n\n[[nodes]]\nid = \"storefront\"\ntier = 1\ncustomer_facing = true\n",
    );
    repo.write(
        "deploy/compose.yaml",
        "services:\n  storefront:\n    image: shop/storefront\n    environment:\n      CHECKOUT_URL: http://checkout:8080\n  checkout:\n    image: shop/checkout\n  recs:\n    image: shop/recs\n",
    );
    repo.write("deploy/README.md", "how to run the shop\n");
    repo.commit("compose shop");
    repo
}

#[test]
fn a_compose_change_that_makes_checkout_call_a_service_is_a_topology_change() {
    let repo = compose_shop();
    repo.branch("recs");
    // checkout now calls recs through an environment variable: a new path into tier 0.
    let p = repo.path().join("deploy/compose.yaml");
    let s = std::fs::read_to_string(&p).unwrap().replace(
        "  checkout:\n    image: shop/checkout\n",
        "  checkout:\n    image: shop/checkout\n    environment:\n      RECS_ADDR: recs:9000\n",
    );
    std::fs::write(&p, s).unwrap();
    repo.commit("checkout calls recs");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    let t = &v["topology"];
    assert_eq!(t["sources"], json!(["deploy/compose.yaml"]));
    assert_eq!(t["added_nodes"], json!([]));
    assert_eq!(
        t["added_edges"],
        json!([{"from": "checkout", "to": "recs", "kind": "sync", "optional": false}])
    );
    assert_eq!(t["removed_edges"], json!([]));
    let paths: Vec<Vec<String>> = t["new_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| strings(&p["nodes"]))
        .collect();
    assert!(
        paths.contains(&vec!["recs".to_string(), "checkout".to_string()]),
        "{paths:?}"
    );
    let risk = v["risk"].as_str().unwrap();
    assert!(risk == "high" || risk == "critical", "{risk}");
    // The overlay rated the nodes at both ends: the report speaks of tier 0.
    assert_eq!(t["new_paths"][0]["tier"], json!(0), "{t}");
}

#[test]
fn files_a_compose_source_does_not_read_are_not_topology_changes() {
    let repo = compose_shop();
    repo.branch("docs");
    repo.append("deploy/README.md", "more words");
    repo.commit("docs");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    assert_eq!(v["topology"], Value::Null, "{v}");
}

#[test]
fn a_cargo_manifest_change_that_adds_a_dependency_between_members_is_a_topology_change() {
    let repo = Repo::new();
    repo.write(
        "blast.toml",
        "graphs = [\"graphs/tiers.toml\"]\n\n[[source]]\nkind = \"cargo\"\npath = \".\"\n",
    );
    repo.write(
        "graphs/tiers.toml",
        "[[nodes]]\nid = \"api\"\ntier = 0\ncustomer_facing = true\n",
    );
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/api\", \"crates/core\"]\nresolver = \"2\"\n",
    );
    for name in ["api", "core"] {
        repo.write(
            &format!("crates/{name}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"),
        );
        repo.write(&format!("crates/{name}/src/lib.rs"), "");
    }
    repo.commit("workspace");
    repo.branch("dep");
    repo.append("crates/api/Cargo.toml", "core = { path = \"../core\" }");
    repo.commit("api uses core");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    let t = &v["topology"];
    assert_eq!(t["sources"], json!(["crates/api/Cargo.toml"]), "{t}");
    assert_eq!(
        t["added_edges"],
        json!([{"from": "api", "to": "core", "kind": "build", "optional": false}])
    );
    assert_eq!(
        strings(&t["new_paths"][0]["nodes"]),
        vec!["core".to_string(), "api".to_string()]
    );
}

#[test]
fn a_renamed_graph_file_changes_no_node_or_edge() {
    let repo = Repo::shop();
    repo.branch("move");
    repo.git(&["mv", "graphs/shop.toml", "graphs/shop2.toml"]);
    repo.write("blast.toml", "graphs = [\"graphs/shop2.toml\"]\n");
    repo.commit("move the graph");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    let t = &v["topology"];
    // Under both names: the base read the old one.
    assert_eq!(
        t["sources"],
        json!(["graphs/shop.toml", "graphs/shop2.toml"])
    );
    for key in [
        "added_nodes",
        "removed_nodes",
        "changed_nodes",
        "added_edges",
        "removed_edges",
        "new_paths",
    ] {
        assert_eq!(t[key], json!([]), "{key}");
    }
    assert_eq!(v["risk"], "none");
}

/// Of two graph files, the one the range does not edit, named by hand, is ignored: the
/// topology comes from the one it edits.
#[test]
fn a_graph_file_the_range_does_not_edit_is_not_a_topology_source() {
    let repo = Repo::shop();
    repo.write("graphs/extra.toml", "[[nodes]]\nid = \"extra\"\ntier = 3\n");
    repo.write(
        "blast.toml",
        "graphs = [\"graphs/shop.toml\", \"graphs/extra.toml\"]\n",
    );
    repo.commit("two graphs");
    repo.branch("feat");
    repo.append("graphs/extra.toml", "depends_on = [\"payment\"]");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "extra depends on payment"]);
    let v = json(&repo.ok(&["impact", "--base", "main", "graphs/shop.toml", "-f", "json"]));
    assert_eq!(v["topology"]["sources"], json!(["graphs/extra.toml"]));
    assert_eq!(v["ignored"][0]["input"], "graphs/shop.toml");
    assert_eq!(
        v["ignored"][0]["reason"],
        "graph source: the change does not edit it, so the graph it describes is the same at both ends"
    );
    let inputs: Vec<&str> = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["input"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["graphs/extra.toml"]);
}
