//! `blast graph`: the merged graph with provenance, as text and JSON; the JSON loads again.

use serde_json::Value;

use crate::util::{blast_in, expect, json, ok, run};

const CARGO: [&str; 4] = [
    "--cargo",
    "graphs/cargo-workspace",
    "--graph",
    "graphs/cargo-workspace/overlay.toml",
];

#[test]
fn text_shows_where_everything_came_from() {
    let out = ok(&[
        "graph",
        "--compose",
        "graphs/hotrod/docker-compose.yml",
        "--jaeger",
        "graphs/hotrod/dependencies.json",
        "--graph",
        "graphs/hotrod/overlay.toml",
    ]);
    insta::assert_snapshot!("graph_hotrod_text", out.stdout);
}

#[test]
fn json_is_the_graph_schema_with_provenance() {
    let mut args = vec!["graph", "--format", "json"];
    args.extend(CARGO);
    let out = ok(&args);
    let v = json(&out);
    assert_eq!(v["schema"], "blast-radius/graph/v1");
    insta::assert_json_snapshot!("graph_cargo_json", v);
}

/// Nodes and edges without provenance, for comparing two listings.
fn shape(v: &Value) -> Value {
    let mut v = v.clone();
    for list in ["nodes", "edges"] {
        for item in v[list].as_array_mut().unwrap() {
            item.as_object_mut().unwrap().remove("provenance");
        }
    }
    v
}

#[test]
fn json_loads_again_as_a_graph_file() {
    let dir = tempfile::tempdir().unwrap();
    for sources in [
        CARGO.to_vec(),
        vec![
            "--compose",
            "graphs/otel-demo/compose.yaml",
            "--compose",
            "graphs/otel-demo/compose.full.yaml",
            "--graph",
            "graphs/otel-demo/overlay.toml",
        ],
        vec![
            "--backstage",
            "graphs/backstage/catalog-info.yaml",
            "--graph",
            "graphs/backstage/overlay.toml",
        ],
    ] {
        let mut args = vec!["graph", "--format", "json"];
        args.extend(&sources);
        let first = json(&ok(&args));
        let file = dir.path().join("graph.json");
        std::fs::write(&file, serde_json::to_string(&first).unwrap()).unwrap();
        let f = file.to_str().unwrap();
        let second = json(&ok(&["graph", "--format", "json", "--graph", f]));
        assert_eq!(shape(&first), shape(&second), "{sources:?}");
        // Every edge of the reloaded graph comes from the one file.
        assert!(
            second["edges"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["provenance"][0]["source"] == "graph")
        );
        // The same impact either way.
        let node = first["nodes"][0]["id"].as_str().unwrap();
        let mut a = vec!["impact", "--format", "json"];
        a.extend(&sources);
        a.push(node);
        let via_sources = json(&ok(&a));
        let via_file = json(&ok(&["impact", "--format", "json", "--graph", f, node]));
        assert_eq!(via_sources["impacted"], via_file["impacted"]);
    }
}

#[test]
fn listing_some_nodes_and_unknown_ids() {
    let out = ok(&[
        "graph",
        "--compose",
        "graphs/otel-demo/compose.yaml",
        "quote",
    ]);
    assert!(
        out.stdout
            .starts_with("graph: 1 node and 3 edges touching them (of 20 nodes and 57 edges)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("sync       compose  graphs/otel-demo/compose.yaml:647  environment QUOTE_ADDR=http://quote:8090 (value from .env)\n"), "{}", out.stdout);
    let out = expect(
        2,
        &[
            "graph",
            "--compose",
            "graphs/otel-demo/compose.yaml",
            "qoute",
        ],
    );
    assert_eq!(
        out.stderr,
        "error: unknown node id 'qoute'\n  help: did you mean 'quote'?\n"
    );
}

#[test]
fn graph_works_with_the_config_alone() {
    // The repository's blast.toml lists graphs/shop.toml.
    let out = ok(&["graph", "checkout", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["nodes"][0]["id"], "checkout");
    assert_eq!(v["nodes"][0]["provenance"][0]["source"], "graph");
    // A config with sources.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("blast.toml"),
        format!(
            "[[source]]\nkind = \"compose\"\npath = [\"{0}/graphs/otel-demo/compose.yaml\", \"{0}/graphs/otel-demo/compose.full.yaml\"]\n\n[[source]]\nkind = \"graph\"\npath = \"{0}/graphs/otel-demo/overlay.toml\"\n",
            crate::util::root().display()
        ),
    )
    .unwrap();
    let out = run(
        blast_in(dir.path()),
        &["impact", "kafka", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["impacted"], 7);
}

#[test]
fn wide_characters_keep_text_columns_aligned() {
    // 支付 takes four terminal columns, café four: the next column starts where it does
    // after the eight-column `checkout`.
    let dir = tempfile::tempdir().unwrap();
    let g = crate::util::write_file(
        dir.path(),
        "g.json",
        r#"{"nodes": [{"id": "支付", "tier": 0}, {"id": "checkout", "tier": 1, "depends_on": ["支付"]}, {"id": "café", "depends_on": ["支付"]}]}"#,
    );
    let out = ok(&["graph", "-g", &g, "--no-cache"]).stdout;
    for row in [
        "  café      service  -     no",
        "  checkout  service  1     no",
        "  支付      service  0     no",
    ] {
        assert!(out.contains(row), "{row:?} in\n{out}");
    }
    let out = ok(&["impact", "支付", "-g", &g, "--no-cache"]).stdout;
    assert!(out.contains("  critical  支付      0     no"), "{out}");
}

/// `provenance` items are sorted (source, file, line), not in `-g` order: the JSON is
/// byte-identical whatever order the overlays are given in, and so is the text.
#[test]
fn json_does_not_depend_on_the_order_of_graph_files() {
    let d = tempfile::tempdir().unwrap();
    let a = crate::util::write_file(
        d.path(),
        "b-first.toml",
        "nodes = [{id = \"a\", tier = 1}, {id = \"b\", depends_on = [\"a\"]}]\n",
    );
    let b = crate::util::write_file(
        d.path(),
        "a-second.toml",
        "nodes = [{id = \"a\", owners = [\"@x\"]}, {id = \"b\", depends_on = [\"a\"]}]\n",
    );
    let one = ok(&["graph", "--format", "json", "-g", &a, "-g", &b]).stdout;
    let two = ok(&["graph", "--format", "json", "-g", &b, "-g", &a]).stdout;
    assert_eq!(one, two);
    let v: Value = serde_json::from_str(&one).unwrap();
    let files: Vec<&str> = v["edges"][0]["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, [b.as_str(), a.as_str()]);
    assert_eq!(v["nodes"][0]["provenance"], v["edges"][0]["provenance"]);
    // The text too: an edge's declarations are listed by file, whatever the load order.
    let one = ok(&["graph", "-g", &a, "-g", &b]).stdout;
    assert_eq!(one, ok(&["graph", "-g", &b, "-g", &a]).stdout);
    let rows: Vec<&str> = one
        .lines()
        .filter(|l| l.contains(".toml") && !l.contains("nodes"))
        .collect();
    assert!(
        rows.len() == 2 && rows[0].contains("a-second.toml") && rows[1].contains("b-first.toml"),
        "{one}"
    );
}
